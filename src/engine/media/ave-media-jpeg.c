/* ave-media-jpeg.c — pictures written as JPEG stills (FFmpeg's mjpeg). */
#define G_LOG_DOMAIN "ave-media"

#include "config.h"

#include <math.h>

#include "core/ave-error.h"
#include "media/ave-media-private.h"

#define JPEG_QUALITY 3     /* mjpeg qscale: 2 (best) .. 31 */

/* Limited-range Y'CbCr of one matrix to JPEG's full-range BT.601, as
 * tables of 16.16 fixed-point terms.  Grey stays grey in every matrix, so
 * luma only gains terms from the chroma and chroma never depends on luma:
 * each 2x2 block's luma uses that block's chroma, exactly as a decoder
 * pairs them, and the chroma planes convert on their own. */
typedef struct
{
  gint32 y[256];              /* Y  -> Y' */
  gint32 y_cb[256], y_cr[256];
  gint32 cb_cb[256], cb_cr[256];
  gint32 cr_cb[256], cr_cr[256];
} Conversion;

struct _AveJpegWriter
{
  AVCodecContext *encoder;
  AVFrame        *full;       /* the picture in full range, reused */
  AVPacket       *packet;
  gint64          n_written;
  Conversion      conversions[2];   /* by AveColorMatrix */
};

static void
matrix_weights (AveColorMatrix  matrix,
                double         *kr,
                double         *kb)
{
  *kr = matrix == AVE_COLOR_MATRIX_BT709 ? 0.2126 : 0.299;
  *kb = matrix == AVE_COLOR_MATRIX_BT709 ? 0.0722 : 0.114;
}

/* BT.601 (Y, Pb, Pr) of the colour whose `matrix` luma is 0 and chroma
 * (pb, pr); everything is linear, so this gives each chroma term. */
static void
chroma_to_601 (AveColorMatrix  matrix,
               double          pb,
               double          pr,
               double          out[3])
{
  double kr, kb, kr6, kb6, r, g, b, y;

  matrix_weights (matrix, &kr, &kb);
  matrix_weights (AVE_COLOR_MATRIX_BT601, &kr6, &kb6);
  r = 2.0 * (1.0 - kr) * pr;
  b = 2.0 * (1.0 - kb) * pb;
  g = (-kr * r - kb * b) / (1.0 - kr - kb);
  y = kr6 * r + (1.0 - kr6 - kb6) * g + kb6 * b;
  out[0] = y;
  out[1] = (b - y) / (2.0 * (1.0 - kb6));
  out[2] = (r - y) / (2.0 * (1.0 - kr6));
}

static void
conversion_init (Conversion     *c,
                 AveColorMatrix  matrix)
{
  for (int v = 0; v < 256; v++)
    {
      double p = (v - 128) / 224.0, from_cb[3], from_cr[3];

      c->y[v] = (gint32) lround ((v - 16) * 255.0 / 219.0 * 65536.0);
      chroma_to_601 (matrix, p, 0.0, from_cb);
      chroma_to_601 (matrix, 0.0, p, from_cr);
      c->y_cb[v] = (gint32) lround (from_cb[0] * 255.0 * 65536.0);
      c->y_cr[v] = (gint32) lround (from_cr[0] * 255.0 * 65536.0);
      /* the 128 of the chroma's zero rides on the Cb and Cr terms */
      c->cb_cb[v] = (gint32) lround ((from_cb[1] * 255.0 + 128.0) * 65536.0);
      c->cb_cr[v] = (gint32) lround (from_cr[1] * 255.0 * 65536.0);
      c->cr_cb[v] = (gint32) lround (from_cb[2] * 255.0 * 65536.0);
      c->cr_cr[v] = (gint32) lround ((from_cr[2] * 255.0 + 128.0) * 65536.0);
    }
}

static inline guint8
fixed_to_byte (gint32 v)
{
  v += 1 << 15;
  return v <= 0 ? 0 : v >= 255 << 16 ? 255 : (guint8) (v >> 16);
}

void
ave_jpeg_writer_free (AveJpegWriter *self)
{
  if (self == NULL)
    return;
  avcodec_free_context (&self->encoder);
  av_frame_free (&self->full);
  av_packet_free (&self->packet);
  g_free (self);
}

AveJpegWriter *
ave_jpeg_writer_new (int       width,
                     int       height,
                     GError  **error)
{
  const AVCodec *codec = avcodec_find_encoder (AV_CODEC_ID_MJPEG);
  g_autoptr(AveJpegWriter) self = NULL;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                           "FFmpeg's JPEG (mjpeg) encoder is not available: install a complete libavcodec");
      return NULL;
    }
  self = g_new0 (AveJpegWriter, 1);
  self->encoder = avcodec_alloc_context3 (codec);
  self->full = av_frame_alloc ();
  self->packet = av_packet_alloc ();
  if (self->encoder == NULL || self->full == NULL || self->packet == NULL)
    {
      g_set_error_literal (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "Out of memory for the JPEG encoder");
      return NULL;
    }
  self->encoder->width = width;
  self->encoder->height = height;
  self->encoder->pix_fmt = AV_PIX_FMT_YUVJ420P;
  self->encoder->color_range = AVCOL_RANGE_JPEG;
  self->encoder->time_base = (AVRational) { 1, 25 };
  self->encoder->flags |= AV_CODEC_FLAG_QSCALE;
  self->encoder->global_quality = FF_QP2LAMBDA * JPEG_QUALITY;
  if (avcodec_open2 (self->encoder, codec, NULL) < 0)
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "Cannot start the JPEG encoder for %dx%d pictures", width, height);
      return NULL;
    }
  self->full->format = AV_PIX_FMT_YUVJ420P;
  self->full->width = width;
  self->full->height = height;
  if (av_frame_get_buffer (self->full, 0) < 0)
    {
      g_set_error_literal (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "Out of memory for a JPEG picture");
      return NULL;
    }
  /* Decoded pictures are limited range (16..235); JPEG (yuvj420p) is full
   * range, so the levels are stretched or the still looks washed out; and
   * JPEG readers use BT.601, so BT.709 pictures change matrix too. */
  conversion_init (&self->conversions[AVE_COLOR_MATRIX_BT601], AVE_COLOR_MATRIX_BT601);
  conversion_init (&self->conversions[AVE_COLOR_MATRIX_BT709], AVE_COLOR_MATRIX_BT709);
  return g_steal_pointer (&self);
}

gboolean
ave_jpeg_writer_write (AveJpegWriter    *self,
                       const AvePicture *picture,
                       const char       *path,
                       GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  const Conversion *conversion;
  int cw, ch, ret;

  g_return_val_if_fail (self != NULL && picture != NULL && path != NULL, FALSE);
  if (picture->width != self->encoder->width || picture->height != self->encoder->height)
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "A %dx%d picture cannot be written by a %dx%d JPEG writer",
                   picture->width, picture->height, self->encoder->width, self->encoder->height);
      return FALSE;
    }
  if (av_frame_make_writable (self->full) < 0)
    {
      g_set_error_literal (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "Out of memory for a JPEG picture");
      return FALSE;
    }

  conversion = &self->conversions[picture->matrix == AVE_COLOR_MATRIX_BT709
                                  ? AVE_COLOR_MATRIX_BT709 : AVE_COLOR_MATRIX_BT601];
  cw = (picture->width + 1) / 2;
  ch = (picture->height + 1) / 2;
  for (int cy = 0; cy < ch; cy++)
    {
      const guint8 *u = picture->u + (gsize) cy * picture->uv_stride;
      const guint8 *v = picture->v + (gsize) cy * picture->uv_stride;
      guint8 *out_u = self->full->data[1] + (gsize) cy * self->full->linesize[1];
      guint8 *out_v = self->full->data[2] + (gsize) cy * self->full->linesize[2];

      for (int cx = 0; cx < cw; cx++)
        {
          gint32 y_offset = conversion->y_cb[u[cx]] + conversion->y_cr[v[cx]];

          out_u[cx] = fixed_to_byte (conversion->cb_cb[u[cx]] + conversion->cb_cr[v[cx]]);
          out_v[cx] = fixed_to_byte (conversion->cr_cb[u[cx]] + conversion->cr_cr[v[cx]]);
          /* the block's two (or, at an odd edge, one) rows of two luma */
          for (int y = 2 * cy; y < MIN (2 * cy + 2, picture->height); y++)
            {
              const guint8 *in = picture->y + (gsize) y * picture->y_stride;
              guint8 *out = self->full->data[0] + (gsize) y * self->full->linesize[0];

              for (int x = 2 * cx; x < MIN (2 * cx + 2, picture->width); x++)
                out[x] = fixed_to_byte (conversion->y[in[x]] + y_offset);
            }
        }
    }
  self->full->quality = self->encoder->global_quality;
  self->full->pict_type = AV_PICTURE_TYPE_I;
  /* The encoder insists on increasing timestamps, even for stills. */
  self->full->pts = self->n_written++;

  ret = avcodec_send_frame (self->encoder, self->full);
  if (ret >= 0)
    ret = avcodec_receive_packet (self->encoder, self->packet);
  if (ret < 0)
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "Encoding the picture %s failed", path);
      return FALSE;
    }

  /* Temporary name + rename: a reader never sees half a JPEG. */
  if (!g_file_set_contents_full (path, (const char *) self->packet->data, self->packet->size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local_error))
    {
      av_packet_unref (self->packet);
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   "Cannot write %s: %s", path, local_error->message);
      return FALSE;
    }
  av_packet_unref (self->packet);
  return TRUE;
}
