#define G_LOG_DOMAIN "ave-test-edit-stream"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "assets/ave-captions.h"
#include "compose/ave-composer.h"
#include "compose/ave-edit-stream.h"
#include "compute/ave-compute.h"
#include "director/ave-plan.h"
#include "media/ave-media.h"
#include "media/ave-proxy.h"

/* The preview's stream is the composer with another consumer: its frames
 * must be the render's frames at the same output time (scaled to the
 * preview size), and its sound the render's sound.  These tests render a
 * plan with a crossfade, a title card and an overlay on the sample talk,
 * decode the render (AveMediaSource, scaled to the preview size) and
 * compare. */

#define PREVIEW_W 320
#define PREVIEW_H 180

static const char *
talk (void)
{
  return ave_test_sample ("edit-talk.mp4", 14, 640, 360);
}

static AveSettings *
test_settings (void)
{
  AveSettings *settings = ave_settings_new ();

  g_free (settings->encoder_preset);
  settings->encoder_preset = g_strdup ("ultrafast");
  settings->n_workers = 2;
  settings->encoder_threads = 2;
  settings->crf = 18;
  settings->loudness_target = -16.0;
  settings->audio_fade_duration = 0.02;
  return settings;
}

static void
plan_add (AvePlan           *plan,
          double             start,
          double             end,
          AveTransitionType  transition,
          double             transition_duration)
{
  AveSegment segment = {
    .start = start, .end = end, .transition = transition,
    .transition_duration = transition_duration, .enabled = TRUE,
  };
  g_assert_true (ave_plan_append_segment (plan, &segment));
}

/* 1-5 s, a 1 s title card, 6-10 s crossfading (1 s) into 10.5-13.5 s,
 * and a lower third over output 1.0-3.0 s.  Output: 4 + 1 + 4 + 3 - 1 = 11 s. */
static AvePlan *
edit_plan (void)
{
  AvePlan *plan = ave_plan_new (talk (), 14.0);
  g_autoptr(AveCard) title = ave_card_new_title ("Part Two", "The edit, previewed", 1, 1.0);
  g_autoptr(AveCard) lower = ave_card_new_overlay ("Ada Lovelace", "Speaker", 1.0, 2.0);

  plan_add (plan, 1.0, 5.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 6.0, 10.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 10.5, 13.5, AVE_TRANSITION_CROSSFADE, 1.0);
  g_assert_cmpint (ave_plan_add_card (plan, title), >=, 0);
  g_assert_cmpint (ave_plan_add_card (plan, lower), >=, 0);
  return plan;
}

static const char *
rendered (void)
{
  static char *path;

  if (path == NULL)
    {
      g_autoptr(AvePlan) plan = edit_plan ();
      g_autoptr(AveSettings) settings = test_settings ();
      g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
      g_autoptr(GError) error = NULL;
      AveComposeResult result = { 0 };

      path = ave_test_path ("edit-render.mp4");
      g_assert_true (ave_composer_render (plan, NULL, settings, compute, path, &result,
                                          NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (fabs (result.output_duration - ave_plan_get_output_duration (plan)), <, 0.05);
    }
  return path;
}

/* The render's pictures at the preview size, as RGBA, in output order. */
static GPtrArray *
render_pictures (void)
{
  static GPtrArray *pictures;
  AveMediaSourceOptions options = {
    .want_video = TRUE, .video_width = PREVIEW_W, .video_height = PREVIEW_H, .apply_rotation = TRUE,
  };
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(GError) error = NULL;

  if (pictures != NULL)
    return pictures;
  source = ave_media_source_open (rendered (), &options, &error);
  g_assert_no_error (error);
  pictures = g_ptr_array_new_with_free_func (g_free);
  for (;;)
    {
      g_autoptr(AvePicture) picture = ave_media_source_read_picture (source, &error);
      AveYuvFrame view;
      guint8 *rgba;

      g_assert_no_error (error);
      if (picture == NULL)
        break;
      view = (AveYuvFrame) {
        .width = picture->width, .height = picture->height,
        .y = (guint8 *) picture->y, .y_stride = picture->y_stride,
        .u = (guint8 *) picture->u, .v = (guint8 *) picture->v, .uv_stride = picture->uv_stride,
        /* as a player reads it: the matrix the render is tagged with */
        .matrix = picture->matrix == AVE_COLOR_MATRIX_BT709 ? AVE_COMPUTE_MATRIX_BT709 : AVE_COMPUTE_MATRIX_BT601,
      };
      rgba = g_malloc ((gsize) 4 * PREVIEW_W * PREVIEW_H);
      g_assert_true (ave_compute_yuv_to_rgba (compute, &view, rgba, 4 * PREVIEW_W, &error));
      g_ptr_array_add (pictures, rgba);
    }
  return pictures;
}

static double
psnr (const guint8 *a,
      const guint8 *b,
      int           width,
      int           height,
      int           stride)
{
  double sum = 0.0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        {
          double d = (double) a[y * stride + 4 * x + c] - (double) b[y * stride + 4 * x + c];
          sum += d * d;
        }
  sum /= (double) width * height * 3;
  return sum > 0.0 ? 10.0 * log10 (255.0 * 255.0 / sum) : 99.0;
}

static AveEditStream *
open_stream (void)
{
  g_autoptr(AvePlan) plan = edit_plan ();
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(GError) error = NULL;
  AveEditStream *stream = ave_edit_stream_open (plan, settings, NULL, PREVIEW_W, PREVIEW_H, NAN, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stream);
  g_assert_cmpint (ave_edit_stream_get_width (stream), ==, PREVIEW_W);
  g_assert_cmpint (ave_edit_stream_get_height (stream), ==, PREVIEW_H);
  return stream;
}

/* After a seek to each output time, the stream's frame is the render's frame
 * of that time: mid-segment, on the overlay, on the title card, in and
 * after the crossfade, and back again (seeks go both ways). */
static void
test_frames_match_render (void)
{
  static const double times[] = { 0.5, 2.0, 4.5, 6.2, 8.5, 9.3, 10.4, 2.5, 0.0 };
  g_autoptr(AveEditStream) stream = open_stream ();
  GPtrArray *pictures = render_pictures ();
  double fps = ave_edit_stream_get_frame_rate (stream);

  g_assert_cmpint (llabs ((gint64) pictures->len - ave_edit_stream_get_n_frames (stream)), <=, 1);
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AveEditFrame) frame = NULL;
      gint64 want = (gint64) floor (times[i] * fps + 1e-6);
      double db;

      g_assert_true (ave_edit_stream_seek (stream, times[i], &error));
      g_assert_no_error (error);
      frame = ave_edit_stream_next (stream, &error);
      g_assert_no_error (error);
      g_assert_nonnull (frame);
      g_assert_cmpint (frame->index, ==, want);
      g_assert_cmpfloat (fabs (frame->time - (double) want / fps), <, 1e-9);
      g_assert_cmpuint ((guint) frame->index, <, pictures->len);
      db = psnr (frame->rgba, g_ptr_array_index (pictures, frame->index), PREVIEW_W, PREVIEW_H, frame->stride);
      g_test_message ("output %.2f s (frame %" G_GINT64_FORMAT "): %.1f dB against the render",
                      times[i], frame->index, db);
      g_assert_cmpfloat (db, >=, 30.0);

      /* a frame off is a different picture: the comparison can tell */
      if (i == 4)
        {
          double off = psnr (frame->rgba, g_ptr_array_index (pictures, frame->index - 12),
                             PREVIEW_W, PREVIEW_H, frame->stride);
          g_test_message ("  and %.1f dB against the render 12 frames earlier", off);
          g_assert_cmpfloat (off, <, db);
        }
    }
}

/* Reading on from a seek gives the same frames as reading from the start:
 * a seek lands on the frame of that time, and frames follow one by one. */
static void
test_seek_then_read_on (void)
{
  g_autoptr(AveEditStream) stream = open_stream ();
  g_autoptr(GError) error = NULL;
  GPtrArray *pictures = render_pictures ();
  double target = 5.3, fps = ave_edit_stream_get_frame_rate (stream);
  gint64 first = (gint64) floor (target * fps + 1e-6);

  g_assert_true (ave_edit_stream_seek (stream, target, &error));
  g_assert_cmpint (ave_edit_stream_get_position (stream), ==, first);
  for (gint64 k = 0; k < 40; k++)
    {
      g_autoptr(AveEditFrame) frame = ave_edit_stream_next (stream, &error);

      g_assert_no_error (error);
      g_assert_cmpint (frame->index, ==, first + k);
      g_assert_cmpfloat (psnr (frame->rgba, g_ptr_array_index (pictures, frame->index),
                               PREVIEW_W, PREVIEW_H, frame->stride), >=, 30.0);
    }
}

/* The stream's sound read from the start is the render's sound (the same
 * cross-fades, gain and limiter), around the cut, the card and the
 * crossfade; the render went through AAC, so they agree closely but not
 * bit for bit. */
static void
test_sound_matches_render (void)
{
  g_autoptr(AveEditStream) stream = open_stream ();
  g_autoptr(GArray) ours = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr(GArray) theirs = ave_test_decode_audio (rendered ());
  g_autoptr(GError) error = NULL;
  AveEditFrame *frame;
  int channels = ave_edit_stream_get_channels (stream);
  /* the cut at output 4 s, the card (4-5 s, silent), the crossfade (8-9 s) */
  static const double windows[][2] = { { 3.75, 4.25 }, { 4.9, 5.4 }, { 7.8, 9.2 } };

  g_assert_cmpint (channels, >, 0);
  /* the gain alone, as the preview measures an edited plan's */
  {
    g_autoptr(AvePlan) plan = edit_plan ();
    g_autoptr(AveSettings) settings = test_settings ();
    double gain = NAN;

    g_assert_true (ave_edit_stream_measure_gain (plan, settings, NULL, &gain, &error));
    g_assert_no_error (error);
    g_test_message ("gain %.2f dB", gain);
    g_assert_cmpfloat (fabs (gain - ave_edit_stream_get_gain_db (stream)), <, 1e-9);
    g_assert_cmpfloat (fabs (gain), >, 1.0);
  }
  while ((frame = ave_edit_stream_next (stream, &error)) != NULL)
    {
      g_assert_cmpint (frame->audio_start, ==, (gint64) ours->len);
      for (gsize i = 0; i < frame->n_audio; i++)
        {
          float mono = 0.0f;
          for (int ch = 0; ch < channels; ch++)
            mono += frame->audio[i * (gsize) channels + (gsize) ch];
          /* as FFmpeg's downmix does it (ave_test_decode_audio): the
           * channels of a stereo pair at -3 dB each */
          mono *= channels == 2 ? (float) G_SQRT2 / 2.0f : 1.0f;
          g_array_append_val (ours, mono);
        }
      ave_edit_frame_free (frame);
    }
  g_assert_no_error (error);
  g_test_message ("stream %u samples, render %u samples", ours->len, theirs->len);
  g_assert_cmpint (llabs ((gint64) ours->len - (gint64) theirs->len), <, 48000 / 10);

  /* After a seek the sound goes on from the same output sample: a seek in
   * the middle of a segment, and one in the crossfade. */
  for (guint k = 0; k < 2; k++)
    {
      double target = k == 0 ? 6.3 : 8.4, err = 0.0, energy = 0.0;

      g_assert_true (ave_edit_stream_seek (stream, target, &error));
      for (int n = 0; n < 15; n++)
        {
          g_autoptr(AveEditFrame) f = ave_edit_stream_next (stream, &error);

          g_assert_no_error (error);
          if (n == 0)
            g_assert_cmpint (f->audio_start, ==, (gint64) llround (f->time * 48000));
          for (gsize i = 0; i < f->n_audio; i++)
            {
              float mono = 0.0f;
              double ref = g_array_index (ours, float, f->audio_start + (gint64) i);

              for (int ch = 0; ch < channels; ch++)
                mono += f->audio[i * (gsize) channels + (gsize) ch];
              mono *= channels == 2 ? (float) G_SQRT2 / 2.0f : 1.0f;
              err += (mono - ref) * (mono - ref);
              energy += ref * ref;
            }
        }
      g_test_message ("sound after a seek to %.1f s: error %.1f dB under the signal",
                      target, 10 * log10 (energy / MAX (err, 1e-20)));
      g_assert_cmpfloat (energy, >, 0.0);
      g_assert_cmpfloat (err, <, 0.001 * energy);
    }

  for (guint w = 0; w < G_N_ELEMENTS (windows); w++)
    {
      gsize from = (gsize) (windows[w][0] * 48000), to = (gsize) (windows[w][1] * 48000);
      double err = 0.0, energy = 0.0, dot = 0.0, e_ours = 0.0;

      g_assert_cmpuint (to, <=, MIN (ours->len, theirs->len));
      for (gsize i = from; i < to; i++)
        {
          double a = g_array_index (ours, float, i), b = g_array_index (theirs, float, i);
          err += (a - b) * (a - b);
          energy += b * b;
          e_ours += a * a;
          dot += a * b;
        }
      g_test_message ("%.2f-%.2f s: rms %.4f, error rms %.4f, correlation %.3f, scale %.3f",
                      windows[w][0], windows[w][1], sqrt (energy / (double) (to - from)),
                      sqrt (err / (double) (to - from)), dot / sqrt (MAX (energy * e_ours, 1e-20)), dot / MAX (e_ours, 1e-20));
      g_assert_cmpfloat (energy, >, 0.0);
      g_assert_cmpfloat (dot / sqrt (energy * e_ours), >, 0.95);
      /* within -20 dB of the render's own level */
      g_assert_cmpfloat (err, <, 0.01 * energy);
    }
}

static void
clear_word (gpointer data)
{
  g_free (((AveCaptionWord *) data)->text);
}

/* Burned captions come out of the stream as out of the render: the same
 * cue, the same highlighted word, drawn by the same code (words placed by
 * hand in output time). */
static void
test_burned_captions_match_render (void)
{
  static const struct { const char *text; double start, end; } spoken[] = {
    { "welcome", 0.4, 0.9 }, { "to", 1.0, 1.2 }, { "the", 1.3, 1.5 }, { "talk", 1.6, 2.1 },
    { "and", 7.6, 7.9 }, { "the", 8.0, 8.2 }, { "crossfade", 8.3, 9.0 },
  };
  g_autoptr(AvePlan) plan = edit_plan ();
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(GArray) words = g_array_new (FALSE, TRUE, sizeof (AveCaptionWord));
  g_autoptr(GArray) cues = NULL;
  g_autoptr(AveEditStream) stream = NULL;
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ave_test_path ("edit-captions.mp4");
  AveMediaSourceOptions options = {
    .want_video = TRUE, .video_width = PREVIEW_W, .video_height = PREVIEW_H, .apply_rotation = TRUE,
  };
  AveComposeResult result = { 0 };
  AveComposeCaptions captions = { 0 };
  static const double times[] = { 1.1, 1.7, 8.6 };
  guint next = 0;

  g_array_set_clear_func (words, clear_word);
  for (guint i = 0; i < G_N_ELEMENTS (spoken); i++)
    {
      AveCaptionWord w = {
        .text = g_strdup (spoken[i].text), .start = spoken[i].start, .end = spoken[i].end,
        .source_start = spoken[i].start, .source_end = spoken[i].end, .item = -1,
      };
      g_array_append_val (words, w);
    }
  cues = ave_captions_build (words, 30.0, "en");
  g_assert_cmpuint (cues->len, >=, 2);
  captions.words = words;
  captions.cues = cues;
  settings->burn_captions = TRUE;
  g_free (settings->caption_highlight);
  settings->caption_highlight = g_strdup ("yellow");

  g_assert_true (ave_composer_render_with_captions (plan, NULL, settings, compute, &captions, path,
                                                    &result, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result.frames_captioned, >, 0);
  stream = ave_edit_stream_open (plan, settings, &captions, PREVIEW_W, PREVIEW_H, NAN, NULL, &error);
  g_assert_no_error (error);

  source = ave_media_source_open (path, &options, &error);
  g_assert_no_error (error);
  for (gint64 index = 0; next < G_N_ELEMENTS (times); index++)
    {
      g_autoptr(AvePicture) picture = ave_media_source_read_picture (source, &error);
      g_autoptr(AveEditFrame) frame = NULL;
      g_autofree guint8 *rgba = NULL;
      g_autofree guint8 *bare = NULL;
      AveYuvFrame view;
      double db, without;

      g_assert_no_error (error);
      g_assert_nonnull (picture);
      if (index != ave_edit_stream_frame_at (stream, times[next]))
        continue;
      view = (AveYuvFrame) {
        .width = picture->width, .height = picture->height,
        .y = (guint8 *) picture->y, .y_stride = picture->y_stride,
        .u = (guint8 *) picture->u, .v = (guint8 *) picture->v, .uv_stride = picture->uv_stride,
        /* as a player reads it: the matrix the render is tagged with */
        .matrix = picture->matrix == AVE_COLOR_MATRIX_BT709 ? AVE_COMPUTE_MATRIX_BT709 : AVE_COMPUTE_MATRIX_BT601,
      };
      rgba = g_malloc ((gsize) 4 * PREVIEW_W * PREVIEW_H);
      g_assert_true (ave_compute_yuv_to_rgba (compute, &view, rgba, 4 * PREVIEW_W, &error));
      g_assert_true (ave_edit_stream_seek (stream, times[next], &error));
      frame = ave_edit_stream_next (stream, &error);
      g_assert_no_error (error);
      g_assert_cmpint (frame->index, ==, index);
      db = psnr (frame->rgba, rgba, PREVIEW_W, PREVIEW_H, frame->stride);
      /* the same frame without captions: the caption is really there */
      without = psnr ((guint8 *) g_ptr_array_index (render_pictures (), index), rgba,
                      PREVIEW_W, PREVIEW_H, 4 * PREVIEW_W);
      g_test_message ("output %.2f s: %.1f dB against the captioned render (%.1f dB for the bare one)",
                      times[next], db, without);
      g_assert_cmpfloat (db, >=, 30.0);
      g_assert_cmpfloat (without, <, db - 3.0);
      next++;
    }
}

/* The stream on a preview proxy (media/ave-proxy.h) shows the render's
 * frames too (mid-segment, on the overlay, on the title card, in and after
 * the crossfade), and its sound is the stream's on the source: read from
 * the start sample for sample, and after seeks the same up to where the
 * source's audio decoder started (a few samples of AAC priming). */
static void
test_proxy_matches_render (void)
{
  static const double times[] = { 0.5, 2.0, 4.5, 6.2, 8.5, 9.3, 10.4, 2.5, 0.0 };
  g_autoptr(AveEditStream) on_source = open_stream ();
  g_autoptr(AveEditStream) on_proxy = open_stream ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ave_test_path ("proxies");
  g_autofree char *proxy = NULL;
  GPtrArray *pictures = render_pictures ();
  double fps = ave_edit_stream_get_frame_rate (on_proxy);
  AveEditFrame *a, *b;
  gsize compared = 0;
  double total_err = 0.0, total_energy = 0.0, max_diff = 0.0;
  double seek_err = 0.0, seek_energy = 0.0;

  proxy = ave_proxy_make (talk (), PREVIEW_W, PREVIEW_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ave_edit_stream_use_proxy (on_proxy, proxy, &error));
  g_assert_no_error (error);

  /* the whole edit from the start: the same sound, sample for sample */
  while ((a = ave_edit_stream_next (on_source, &error)) != NULL)
    {
      b = ave_edit_stream_next (on_proxy, &error);
      g_assert_no_error (error);
      g_assert_nonnull (b);
      g_assert_cmpint (a->index, ==, b->index);
      g_assert_cmpint (a->audio_start, ==, b->audio_start);
      g_assert_cmpuint (a->n_audio, ==, b->n_audio);
      for (gsize k = 0; k < a->n_audio * (gsize) a->channels; k++)
        {
          double d = a->audio[k] - b->audio[k];

          total_err += d * d;
          total_energy += (double) a->audio[k] * a->audio[k];
          max_diff = MAX (max_diff, fabs (d));
        }
      compared += a->n_audio;
      ave_edit_frame_free (a);
      ave_edit_frame_free (b);
    }
  g_assert_no_error (error);
  g_assert_null (ave_edit_stream_next (on_proxy, &error));
  g_assert_cmpuint (compared, >, 48000 * 10);
  /* The same sound, but not bit for bit: the source's AAC decoder, on a
   * seek of its own instead of beside the pictures, starts a packet
   * elsewhere, and AAC's perceptual noise substitution fills some bands
   * with pseudo-random noise whose sequence depends on how many frames
   * the decoder has made (two audio-only readers agree exactly).  The
   * render's own noise is no more "right" than either. */
  g_test_message ("sound on the proxy: error %.1f dB under the signal, at most %.5f",
                  total_err > 0 ? 10 * log10 (total_energy / total_err) : 999.0, max_diff);
  g_assert_cmpfloat (total_err, <, 1e-4 * total_energy);
  g_assert_cmpfloat (max_diff, <, 0.05);

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autoptr(AveEditFrame) frame = NULL;
      g_autoptr(AveEditFrame) ref = NULL;
      gint64 want = (gint64) floor (times[i] * fps + 1e-6);
      double db;

      g_assert_true (ave_edit_stream_seek (on_proxy, times[i], &error));
      g_assert_true (ave_edit_stream_seek (on_source, times[i], &error));
      frame = ave_edit_stream_next (on_proxy, &error);
      ref = ave_edit_stream_next (on_source, &error);
      g_assert_no_error (error);
      g_assert_cmpint (frame->index, ==, want);
      db = psnr (frame->rgba, g_ptr_array_index (pictures, frame->index), PREVIEW_W, PREVIEW_H, frame->stride);
      g_test_message ("proxy, output %.2f s (frame %" G_GINT64_FORMAT "): %.1f dB against the render",
                      times[i], frame->index, db);
      g_assert_cmpfloat (db, >=, 30.0);
      g_assert_cmpint (frame->audio_start, ==, ref->audio_start);
      g_assert_cmpuint (frame->n_audio, ==, ref->n_audio);
      for (gsize k = 0; k < frame->n_audio * (gsize) frame->channels; k++)
        {
          seek_err += (frame->audio[k] - ref->audio[k]) * (frame->audio[k] - ref->audio[k]);
          seek_energy += ref->audio[k] * ref->audio[k];
        }
    }
  g_test_message ("sound after the seeks: error %.1f dB under the signal",
                  10 * log10 (seek_energy / MAX (seek_err, 1e-20)));
  g_assert_cmpfloat (seek_energy, >, 0.0);
  g_assert_cmpfloat (seek_err, <, 0.001 * seek_energy);
}

/* A proxy removed while the stream reads it (the cache cleared, or
 * trimmed by another process): what is open reads on, a reader opened
 * after reads the source's own pictures, with a warning; the frames are
 * still the render's. */
static void
test_proxy_removed (void)
{
  g_autoptr(AveEditStream) stream = open_stream ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ave_test_path ("proxies-removed");
  g_autofree char *proxy = NULL;
  GPtrArray *pictures = render_pictures ();
  static const double times[] = { 0.5, 8.5, 2.0 };

  proxy = ave_proxy_make (talk (), PREVIEW_W, PREVIEW_H, dir, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ave_edit_stream_use_proxy (stream, proxy, &error));
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autoptr(AveEditFrame) frame = NULL;
      double db;

      if (i == 1)
        {
          g_assert_cmpint (g_unlink (proxy), ==, 0);
          /* the crossfade needs a second reader: the source's */
          g_test_expect_message ("ave-composer", G_LOG_LEVEL_WARNING, "*instead of its proxy*");
        }
      g_assert_true (ave_edit_stream_seek (stream, times[i], &error));
      g_assert_no_error (error);
      frame = ave_edit_stream_next (stream, &error);
      g_assert_no_error (error);
      if (i == 1)
        g_test_assert_expected_messages ();
      db = psnr (frame->rgba, g_ptr_array_index (pictures, frame->index), PREVIEW_W, PREVIEW_H, frame->stride);
      g_test_message ("output %.2f s, the proxy %s: %.1f dB against the render",
                      times[i], i == 0 ? "there" : "removed", db);
      g_assert_cmpfloat (db, >=, 30.0);
    }
}

/* The same with the preview's pictures scaled by AveCompute's scale
 * kernel (what --enable-gpu does on the device) instead of swscale. */
static void
test_frames_match_render_kernel_scale (void)
{
  g_setenv ("AVE_COMPOSE_SCALER", "compute", TRUE);
  test_frames_match_render ();
  g_unsetenv ("AVE_COMPOSE_SCALER");
}

/* The pictures' buffers go back to the stream when their frame or their
 * bytes are freed, and a picture still held (as a texture holds its
 * bytes) is never written by a later frame. */
static void
test_pictures_reused (void)
{
  g_autoptr(AveEditStream) stream = open_stream ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) held = NULL;
  g_autofree guint8 *copy = NULL;
  const guint8 *held_data;
  gsize size;
  AveEditFrame *frame;
  guint8 *freed;
  guint reused = 0;

  frame = ave_edit_stream_next (stream, &error);
  g_assert_no_error (error);
  held = ave_edit_frame_take_rgba (frame);
  g_assert_null (frame->rgba);
  ave_edit_frame_free (frame);
  held_data = g_bytes_get_data (held, &size);
  g_assert_cmpuint (size, ==, (gsize) 4 * PREVIEW_W * PREVIEW_H);
  copy = g_memdup2 (held_data, size);

  /* a frame freed gives its buffer to the next one; its bytes likewise */
  for (int i = 0; i < 20; i++)
    {
      g_autoptr(GBytes) bytes = NULL;

      frame = ave_edit_stream_next (stream, &error);
      g_assert_no_error (error);
      g_assert_true (frame->rgba != held_data);
      freed = frame->rgba;
      if (i % 2 == 0)
        {
          ave_edit_frame_free (frame);
        }
      else
        {
          bytes = ave_edit_frame_take_rgba (frame);
          ave_edit_frame_free (frame);
          g_clear_pointer (&bytes, g_bytes_unref);
        }
      frame = ave_edit_stream_next (stream, &error);
      g_assert_no_error (error);
      reused += frame->rgba == freed;
      ave_edit_frame_free (frame);
    }
  g_assert_cmpuint (reused, ==, 20);
  /* the held picture is as it was */
  g_assert_cmpmem (held_data, size, copy, size);

  /* bytes may outlive their stream */
  frame = ave_edit_stream_next (stream, &error);
  g_assert_no_error (error);
  g_clear_pointer (&held, g_bytes_unref);
  held = ave_edit_frame_take_rgba (frame);
  ave_edit_frame_free (frame);
  g_clear_pointer (&stream, ave_edit_stream_free);
  g_assert_cmpuint (g_bytes_get_size (held), ==, size);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/edit-stream/frames-match-render", test_frames_match_render);
  g_test_add_func ("/edit-stream/frames-match-render-kernel-scale", test_frames_match_render_kernel_scale);
  g_test_add_func ("/edit-stream/seek-then-read-on", test_seek_then_read_on);
  g_test_add_func ("/edit-stream/sound-matches-render", test_sound_matches_render);
  g_test_add_func ("/edit-stream/burned-captions-match-render", test_burned_captions_match_render);
  g_test_add_func ("/edit-stream/proxy-matches-render", test_proxy_matches_render);
  g_test_add_func ("/edit-stream/proxy-removed", test_proxy_removed);
  g_test_add_func ("/edit-stream/pictures-reused", test_pictures_reused);
  return g_test_run ();
}
