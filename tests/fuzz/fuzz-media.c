/* fuzz-media.c — a media file as a job first meets it: ave_media_probe,
 * then the first second of decoding through both readers, the one-pass
 * analysis reader (demuxer and decode threads; every picture, then the
 * reference pictures) and AveMediaSource (composition, thumbnails), with
 * one seek.
 *
 * Frames are small and reading stops after a second of content so that one
 * input takes milliseconds; run-fuzzers.sh gives each a -timeout. */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <libavutil/pixfmt.h>
#include <libavutil/samplefmt.h>

#include "media/ave-media-private.h"
#include "fuzz-util.h"

#define SECONDS 1.0
#define MAX_FRAMES 60

static GQuark
enough_quark (void)
{
  return g_quark_from_static_string ("fuzz-enough");
}

static gboolean
on_video_frame (const AveAnalysisFrame *frame,
                gpointer                user_data,
                GError                **error)
{
  volatile guint8 corner;

  g_assert (frame->width > 0 && frame->height > 0);
  g_assert (frame->y != NULL && frame->u != NULL && frame->v != NULL);
  /* Read the last pixel of each plane: ASan stops here when a plane is
   * smaller than the frame says. */
  corner = frame->y[(gsize) (frame->height - 1) * (gsize) frame->y_stride + (gsize) frame->width - 1];
  if (frame->height >= 2 && frame->width >= 2)
    {
      corner = frame->u[(gsize) (frame->height / 2 - 1) * (gsize) frame->uv_stride + (gsize) frame->width / 2 - 1];
      corner = frame->v[(gsize) (frame->height / 2 - 1) * (gsize) frame->uv_stride + (gsize) frame->width / 2 - 1];
    }
  (void) corner;
  if (frame->pts > SECONDS || frame->index >= MAX_FRAMES)
    {
      g_set_error_literal (error, enough_quark (), 0, "enough");
      return FALSE;
    }
  return TRUE;
}

static gboolean
on_audio_chunk (const AveAudioChunk *chunk,
                gpointer             user_data,
                GError             **error)
{
  volatile float sum = 0;

  for (gsize i = 0; i < chunk->n_mono; i++)
    sum += chunk->mono[i];
  for (gsize i = 0; i < chunk->n_native_frames * (gsize) chunk->native_channels; i++)
    sum += chunk->native[i];
  if (chunk->pts > SECONDS)
    {
      g_set_error_literal (error, enough_quark (), 0, "enough");
      return FALSE;
    }
  return TRUE;
}

static void
read_for_analysis (const char        *path,
                   AveAnalysisFrames  pictures)
{
  AveMediaReadOptions options = {
    .pictures = pictures,
    .analysis_width = 64,
    .frame_step = 1,
    .want_video = TRUE,
    .want_audio = TRUE,
    .queue_bytes = 1 << 20,
    .decoder_threads = 1,
  };
  AveMediaReadCallbacks callbacks = {
    .video_frame = on_video_frame,
    .audio_chunk = on_audio_chunk,
  };
  g_autoptr(GError) error = NULL;

  if (!ave_media_read_for_analysis (path, &options, &callbacks, NULL, NULL, &error))
    g_assert (error != NULL && error->message != NULL);
}

static void
read_source (const char *path)
{
  AveMediaSourceOptions options = {
    .want_video = TRUE,
    .want_audio = TRUE,
    .video_width = 64,
    .video_height = 36,
    .apply_rotation = TRUE,
    .audio_rate = 16000,
    .audio_channels = 1,
    .decoder_threads = 1,
  };
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(GError) error = NULL;
  AVFrame *frame;

  source = ave_media_source_open (path, &options, &error);
  if (source == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return;
    }
  for (int n = 0; n < MAX_FRAMES && (frame = ave_media_source_read_video (source, &error)) != NULL; n++)
    {
      gboolean past = frame->pts > (gint64) (SECONDS * 1e6);

      g_assert (frame->format == AV_PIX_FMT_YUV420P);
      g_assert (frame->width == 64 && frame->height == 36);
      av_frame_free (&frame);
      if (past)
        break;
    }
  g_clear_error (&error);
  for (int n = 0; n < MAX_FRAMES && (frame = ave_media_source_read_audio (source, &error)) != NULL; n++)
    {
      gboolean past = frame->pts > (gint64) (SECONDS * 1e6);

      g_assert (frame->format == AV_SAMPLE_FMT_FLTP);
      g_assert (frame->sample_rate == 16000);
      av_frame_free (&frame);
      if (past)
        break;
    }
  g_clear_error (&error);
  if (ave_media_source_seek (source, SECONDS / 2, &error))
    {
      frame = ave_media_source_read_video (source, &error);
      av_frame_free (&frame);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(AveMediaInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  const char *path;

  fuzz_init ();
  path = fuzz_write_input ("input", data, size);
  info = ave_media_probe (path, &error);
  if (info == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  g_assert (info->has_video || info->has_audio);
  /* every picture, and the reference pictures (with key pictures'
   * leading pictures) as the default mode's analysis reads them */
  read_for_analysis (path, AVE_ANALYSIS_FRAMES_ALL);
  read_for_analysis (path, AVE_ANALYSIS_FRAMES_REFERENCE);
  read_source (path);
  return 0;
}
