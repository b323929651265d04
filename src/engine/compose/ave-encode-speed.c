/* ave-encode-speed.c — which encoders FFmpeg has, and how fast x264 runs here. */
#define G_LOG_DOMAIN "ave-composer"

#include "config.h"

#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "compose/ave-composer.h"

gboolean
ave_composer_has_encoder (const char *name)
{
  return avcodec_find_encoder_by_name (name) != NULL;
}

double
ave_composer_measure_encode_fps (const char *preset,
                                 int         width,
                                 int         height,
                                 int         n_frames)
{
  const AVCodec *codec = avcodec_find_encoder_by_name ("libx264");
  AVCodecContext *ctx;
  AVFrame *frame;
  AVPacket *packet;
  gint64 start;
  double fps = 0;

  if (codec == NULL || (ctx = avcodec_alloc_context3 (codec)) == NULL)
    return 0;
  ctx->width = width;
  ctx->height = height;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->time_base = (AVRational) { 1, 30 };
  ctx->framerate = (AVRational) { 30, 1 };
  av_opt_set (ctx->priv_data, "preset", preset, 0);
  av_opt_set (ctx->priv_data, "crf", "23", 0);
  frame = av_frame_alloc ();
  packet = av_packet_alloc ();
  frame->width = width;
  frame->height = height;
  frame->format = AV_PIX_FMT_YUV420P;
  if (avcodec_open2 (ctx, codec, NULL) < 0 || av_frame_get_buffer (frame, 0) < 0)
    goto out;

  start = g_get_monotonic_time ();
  for (int n = 0; n <= n_frames; n++)
    {
      int ret = avcodec_send_frame (ctx, n < n_frames ? frame : NULL);
      if (n < n_frames)
        {
          /* A moving pattern with detail, so the encoder has real work. */
          av_frame_make_writable (frame);
          for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
              frame->data[0][y * frame->linesize[0] + x] = (guint8) ((x + 3 * n) ^ (y - 2 * n)) + ((x * y) >> 7);
          for (int y = 0; y < height / 2; y++)
            {
              memset (frame->data[1] + y * frame->linesize[1], 128 + (y + n) % 32, width / 2);
              memset (frame->data[2] + y * frame->linesize[2], 128 - (y + n) % 32, width / 2);
            }
          frame->pts = n;
        }
      if (ret < 0)
        goto out;
      while (avcodec_receive_packet (ctx, packet) == 0)
        av_packet_unref (packet);
    }
  fps = n_frames / MAX (1e-6, (g_get_monotonic_time () - start) / 1e6);

out:
  av_packet_free (&packet);
  av_frame_free (&frame);
  avcodec_free_context (&ctx);
  return fps;
}
