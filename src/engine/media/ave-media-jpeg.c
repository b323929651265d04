/* ave-media-jpeg.c — pictures written as JPEG stills (FFmpeg's mjpeg). */
#define G_LOG_DOMAIN "ave-media"

#include "config.h"

#include <math.h>

#include "core/ave-error.h"
#include "media/ave-media-private.h"

#define JPEG_QUALITY 3     /* mjpeg qscale: 2 (best) .. 31 */

struct _AveJpegWriter
{
  AVCodecContext *encoder;
  AVFrame        *full;       /* the picture in full range, reused */
  AVPacket       *packet;
  gint64          n_written;
  guint8          luma[256], chroma[256];
};

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
   * range, so the levels are stretched or the still looks washed out. */
  for (int v = 0; v < 256; v++)
    {
      self->luma[v] = (guint8) CLAMP (lround ((v - 16) * 255.0 / 219.0), 0, 255);
      self->chroma[v] = (guint8) CLAMP (lround ((v - 128) * 255.0 / 224.0 + 128.0), 0, 255);
    }
  return g_steal_pointer (&self);
}

gboolean
ave_jpeg_writer_write (AveJpegWriter    *self,
                       const AvePicture *picture,
                       const char       *path,
                       GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  const guint8 *planes[3];
  int strides[3];
  int ret;

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

  planes[0] = picture->y, planes[1] = picture->u, planes[2] = picture->v;
  strides[0] = picture->y_stride, strides[1] = strides[2] = picture->uv_stride;
  for (int plane = 0; plane < 3; plane++)
    {
      int w = plane == 0 ? picture->width : (picture->width + 1) / 2;
      int h = plane == 0 ? picture->height : (picture->height + 1) / 2;
      const guint8 *lut = plane == 0 ? self->luma : self->chroma;

      for (int y = 0; y < h; y++)
        {
          const guint8 *in = planes[plane] + (gsize) y * strides[plane];
          guint8 *out = self->full->data[plane] + (gsize) y * self->full->linesize[plane];

          for (int x = 0; x < w; x++)
            out[x] = lut[in[x]];
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
