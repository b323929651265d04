/* ave-media-audio-encode.c — short mono speech as an upload file (FLAC by
 * FFmpeg's encoder, or a plain WAV), in memory. */
#define G_LOG_DOMAIN "ave-media"

#include "config.h"

#include <string.h>

#include "core/ave-error.h"
#include "media/ave-media-private.h"

#define WAV_HEAD 44

static void
put_le32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = v >> 24;
}

static void
put_le16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff; p[1] = v >> 8;
}

static GBytes *
encode_wav (const gint16 *samples, gsize n_samples, int rate)
{
  gsize data_bytes = n_samples * 2;
  guint8 *wav = g_malloc (WAV_HEAD + data_bytes);

  memcpy (wav, "RIFF", 4);
  put_le32 (wav + 4, 36 + data_bytes);
  memcpy (wav + 8, "WAVEfmt ", 8);
  put_le32 (wav + 16, 16);
  put_le16 (wav + 20, 1);          /* PCM */
  put_le16 (wav + 22, 1);          /* mono */
  put_le32 (wav + 24, rate);
  put_le32 (wav + 28, rate * 2);
  put_le16 (wav + 32, 2);
  put_le16 (wav + 34, 16);
  memcpy (wav + 36, "data", 4);
  put_le32 (wav + 40, data_bytes);
  /* Little-endian samples: this program runs on little-endian machines
   * (Debian amd64/arm64); a big-endian one would swap here. */
  memcpy (wav + WAV_HEAD, samples, data_bytes);
  return g_bytes_new_take (wav, WAV_HEAD + data_bytes);
}

static gboolean
drain (AVCodecContext *encoder, AVPacket *packet, GByteArray *frames, guint8 streaminfo[34], GError **error)
{
  for (;;)
    {
      int ret = avcodec_receive_packet (encoder, packet);
      size_t side_size = 0;
      const guint8 *side;

      if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
        return TRUE;
      if (ret < 0)
        {
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "The FLAC encoder failed (%s)", av_err2str (ret));
          return FALSE;
        }
      g_byte_array_append (frames, packet->data, packet->size);
      /* The last packet carries the final STREAMINFO (sample count, MD5). */
      side = av_packet_get_side_data (packet, AV_PKT_DATA_NEW_EXTRADATA, &side_size);
      if (side != NULL && side_size == 34)
        memcpy (streaminfo, side, 34);
      av_packet_unref (packet);
    }
}

/* A native FLAC stream: "fLaC", the STREAMINFO block (the only and so the
 * last metadata block), then the frames as the encoder makes them.  Written
 * by hand rather than through the flac muxer because the whole file is in
 * memory: the final STREAMINFO goes in front without seeking. */
static GBytes *
encode_flac (const gint16 *samples, gsize n_samples, int rate, GError **error)
{
  const AVCodec *codec = avcodec_find_encoder (AV_CODEC_ID_FLAC);
  g_autoptr(AVCodecContext) encoder = NULL;
  g_autoptr(AVFrame) frame = NULL;
  g_autoptr(AVPacket) packet = NULL;
  g_autoptr(GByteArray) frames = g_byte_array_new ();
  GByteArray *out;
  guint8 streaminfo[34];
  gsize done = 0;
  int ret;

  if (codec == NULL)
    {
      g_set_error_literal (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                           "FFmpeg's FLAC encoder is not available: install a complete libavcodec, or choose --asr-upload-format wav");
      return NULL;
    }
  encoder = avcodec_alloc_context3 (codec);
  frame = av_frame_alloc ();
  packet = av_packet_alloc ();
  if (encoder == NULL || frame == NULL || packet == NULL)
    {
      g_set_error_literal (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "Out of memory for the FLAC encoder");
      return NULL;
    }
  encoder->sample_fmt = AV_SAMPLE_FMT_S16;
  encoder->sample_rate = rate;
  av_channel_layout_default (&encoder->ch_layout, 1);
  encoder->time_base = (AVRational) { 1, rate };
  if ((ret = avcodec_open2 (encoder, codec, NULL)) < 0 || encoder->extradata_size != 34 || encoder->frame_size <= 0)
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED,
                   "Cannot start the FLAC encoder for %d Hz mono (%s)", rate, ret < 0 ? av_err2str (ret) : "no STREAMINFO");
      return NULL;
    }
  memcpy (streaminfo, encoder->extradata, 34);

  while (done < n_samples)
    {
      gsize n = MIN ((gsize) encoder->frame_size, n_samples - done);

      av_frame_unref (frame);
      frame->format = AV_SAMPLE_FMT_S16;
      frame->sample_rate = rate;
      frame->nb_samples = (int) n;
      frame->pts = (gint64) done;
      av_channel_layout_default (&frame->ch_layout, 1);
      if (av_frame_get_buffer (frame, 0) < 0)
        {
          g_set_error_literal (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "Out of memory for FLAC samples");
          return NULL;
        }
      memcpy (frame->data[0], samples + done, n * 2);
      if ((ret = avcodec_send_frame (encoder, frame)) < 0)
        {
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_FAILED, "The FLAC encoder failed (%s)", av_err2str (ret));
          return NULL;
        }
      if (!drain (encoder, packet, frames, streaminfo, error))
        return NULL;
      done += n;
    }
  avcodec_send_frame (encoder, NULL);
  if (!drain (encoder, packet, frames, streaminfo, error))
    return NULL;

  out = g_byte_array_sized_new (8 + 34 + frames->len);
  g_byte_array_append (out, (const guint8 *) "fLaC", 4);
  g_byte_array_append (out, (const guint8 *) "\x80\x00\x00\x22", 4);   /* last block, STREAMINFO, 34 bytes */
  g_byte_array_append (out, streaminfo, 34);
  g_byte_array_append (out, frames->data, frames->len);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ave_media_encode_speech (const gint16          *samples,
                         gsize                  n_samples,
                         int                    rate,
                         AveSpeechUploadFormat  format,
                         GError               **error)
{
  g_return_val_if_fail (rate > 0, NULL);

  if (format == AVE_SPEECH_UPLOAD_WAV)
    return encode_wav (samples, n_samples, rate);
  return encode_flac (samples, n_samples, rate, error);
}
