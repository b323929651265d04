#define G_LOG_DOMAIN "ave-test-smart-cut"

#include "config.h"

#include <math.h>
#include <string.h>
#include <libavformat/avformat.h>
#ifdef HAVE_OPENH264
#include <wels/codec_api.h>
#endif

#include "ave-test-util.h"
#include "compose/ave-composer.h"
#include "compose/ave-h264-rewrite.h"
#include "compose/ave-smart-cut.h"
#include "compose/ave-smart-cut-private.h"
#include "director/ave-plan.h"
#include "media/ave-media.h"

/* Fast mode's smart cut on generated H.264 (with B-frames and a keyframe
 * every 2 s): the output is checked with ffmpeg/ffprobe, not with our own
 * decoder, against the source's own pictures and the plan's times. */

/* ------------------------------------------------------------ helpers */

/* 16 s of moving pattern and a tone; x264's B-frames, GOP 2 s. */
static const char *
pattern_media (void)
{
  return ave_test_ffmpeg_media ("pattern.mp4",
                "-f lavfi -i testsrc2=s=320x180:r=25:d=16 "
                "-f lavfi -i sine=f=440:r=48000:d=16 "
                "-c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p -c:a aac -shortest");
}

static AveSettings *
fast_settings (void)
{
  AveSettings *settings = ave_settings_new ();

  ave_settings_apply_mode (settings, AVE_MODE_FAST);
  settings->mode = AVE_MODE_FAST;
  settings->transitions = FALSE;
  g_free (settings->encoder_preset);
  settings->encoder_preset = g_strdup ("veryfast");
  settings->n_workers = 2;
  settings->encoder_threads = 2;
  settings->audio_fade_duration = 0.01;
  settings->loudness_target = -14.0;
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

static double
probe_value (const char *path,
             const char *args)
{
  g_autofree char *out = ave_test_sh_output ("ffprobe -v error %s -of default=nw=1:nk=1 '%s'", args, path);
  g_strstrip (out);
  g_assert_cmpstr (out, !=, "");
  return g_ascii_strtod (out, NULL);
}

/* Every frame's luma plane, decoded by ffmpeg. */
static GBytes *
decode_luma (const char *path,
             int         width,
             int         height,
             guint      *n_frames)
{
  g_autofree char *raw = g_strdup_printf ("%s.y", path);
  char *data = NULL;
  gsize len = 0;

  ave_test_sh ("ffmpeg -nostdin -v error -y -i '%s' -map 0:v:0 -f rawvideo -pix_fmt gray '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &len, NULL));
  g_assert_cmpuint (len % (gsize) (width * height), ==, 0);
  *n_frames = (guint) (len / (gsize) (width * height));
  return g_bytes_new_take (data, len);
}

static double
luma_psnr (const guint8 *a,
           const guint8 *b,
           gsize         n)
{
  double se = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) a[i] - (double) b[i];
      se += d * d;
    }
  if (se == 0.0)
    return INFINITY;
  return 10.0 * log10 (255.0 * 255.0 / (se / (double) n));
}

/* The source frame the plan shows at each output frame: the one whose
 * display interval holds the piece's time (times relative to the file's
 * start, as everywhere in the engine). */
static GArray *
expected_source_frames (AvePlan    *plan,
                        const char *source,
                        double      fps,
                        GArray     *piece_starts)
{
  g_autoptr(AveMediaInfo) info = ave_media_probe (source, NULL);
  double video_start = probe_value (source, "-select_streams v:0 -show_entries stream=start_time");
  double offset = video_start - info->start_time;    /* where frame 0 sits on the engine's clock */
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (int));
  double out_end = 0.0;

  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *seg = ave_plan_get_segment (plan, i);
      gint64 first = llround (out_end * fps);
      gint64 end = llround ((out_end + seg->end - seg->start) * fps);

      out_end += seg->end - seg->start;
      g_array_append_val (piece_starts, first);
      for (gint64 f = first; f < end; f++)
        {
          double t = seg->start + (double) (f - first) / fps;
          int n = (int) floor ((t - offset) * fps + 0.5);
          g_array_append_val (frames, n);
        }
    }
  return frames;
}

typedef struct
{
  guint  n_frames;
  guint  identical;
  double worst_psnr;
  double worst_cut_psnr;
} Comparison;

/* Compares every output frame with the source frame the plan shows there. */
static Comparison
compare_with_source (AvePlan    *plan,
                     const char *source,
                     const char *output,
                     int         width,
                     int         height,
                     double      fps)
{
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) expected = expected_source_frames (plan, source, fps, starts);
  guint n_src, n_out;
  g_autoptr(GBytes) src = decode_luma (source, width, height, &n_src);
  g_autoptr(GBytes) out = decode_luma (output, width, height, &n_out);
  const guint8 *s = g_bytes_get_data (src, NULL), *o = g_bytes_get_data (out, NULL);
  gsize plane = (gsize) (width * height);
  Comparison c = { .n_frames = n_out, .worst_psnr = INFINITY, .worst_cut_psnr = INFINITY };

  g_assert_cmpuint (n_out, ==, expected->len);
  for (guint f = 0; f < n_out; f++)
    {
      int n = CLAMP (g_array_index (expected, int, f), 0, (int) n_src - 1);
      double psnr = luma_psnr (o + f * plane, s + (gsize) n * plane, plane);
      gboolean at_cut = FALSE;

      for (guint k = 0; k < starts->len; k++)
        at_cut |= g_array_index (starts, gint64, k) == (gint64) f;
      if (isinf (psnr))
        c.identical++;
      if (psnr < 35.0)
        g_test_message ("output frame %u = source frame %d: only %.1f dB", f, n, psnr);
      c.worst_psnr = MIN (c.worst_psnr, psnr);
      if (at_cut)
        {
          g_test_message ("output frame %u (first after a cut) = source frame %d: %.1f dB", f, n, psnr);
          c.worst_cut_psnr = MIN (c.worst_cut_psnr, psnr);
        }
    }
  return c;
}

static void
render_fast (AvePlan          *plan,
             const char       *output,
             AveComposeResult *result)
{
  g_autoptr(AveSettings) settings = fast_settings ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ave_composer_render (plan, NULL, settings, NULL, output, result,
                                      NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------ tests */

/* Cancelled at any point (while the sound is measured, while it is
 * encoded on its own thread beside the pictures, near the end), the
 * smart cut stops with G_IO_ERROR_CANCELLED: neither side waits for the
 * other, and nothing is left running or allocated (the sanitizer run). */
static void
test_cancel (void)
{
  const char *source = pattern_media ();
  static const double points[] = { 0.0, 0.05, 0.3, 0.6, 0.95 };

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      g_autofree char *output = ave_test_path ("pattern-cancel.mp4");
      g_autoptr(AvePlan) plan = ave_plan_new (source, 16.0);
      g_autoptr(AveSettings) settings = fast_settings ();
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      AveComposeResult result = { 0 };
      AveTestStopAt at = { cancellable, points[i], 0.0 };

      plan_add (plan, 0.0, 3.3, AVE_TRANSITION_CUT, 0.0);
      plan_add (plan, 4.52, 15.5, AVE_TRANSITION_CUT, 0.0);
      if (points[i] == 0.0)
        g_cancellable_cancel (cancellable);
      g_assert_false (ave_composer_render (plan, NULL, settings, NULL, output, &result,
                                           ave_test_stop_at, &at, cancellable, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
}

static void
test_copy_and_encode (void)
{
  const char *source = pattern_media ();
  g_autofree char *output = ave_test_path ("pattern-cut.mp4");
  g_autoptr(AvePlan) plan = ave_plan_new (source, 16.0);
  AveComposeResult result = { 0 };
  const double fps = 25.0;
  double expected;
  Comparison c;

  /* cuts off the keyframes (0, 2, 4, ... s), one piece inside one GOP */
  plan_add (plan, 0.0, 3.3, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 4.52, 10.9, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 11.31, 11.9, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 12.0, 15.5, AVE_TRANSITION_CUT, 0.0);
  expected = ave_plan_get_output_duration (plan);

  render_fast (plan, output, &result);
  g_assert_true (result.smart_cut);
  g_assert_cmpint (result.video_frames, ==, llround (expected * fps));
  g_assert_cmpint (result.frames_copied + result.frames_reencoded, ==, result.video_frames);
  /* Whole GOPs 0-2, 6-8, 8-10 and 12-14 s (200 frames) are copied, and
   * so are the beginnings of the GOPs the pieces end in (2-3.3, 10-10.9
   * and 14-15.5 s: 33 + 23 + 38 frames) but for the last frames of each
   * (at most 3, the B-frames that need a picture from after the cut); the
   * rest (up to the first keyframe after each cut) is encoded. */
  g_assert_cmpint (result.frames_copied, >=, 200 + 94 - 3 * 3);
  g_assert_cmpint (result.frames_copied, <=, 200 + 94);
  g_assert_cmpint (result.frames_reencoded, <, result.frames_copied);
  g_test_message ("%" G_GINT64_FORMAT " frames: %" G_GINT64_FORMAT " copied, %" G_GINT64_FORMAT " encoded",
                  result.video_frames, result.frames_copied, result.frames_reencoded);

  ave_test_assert_decodes_cleanly (output);
  g_assert_cmpfloat (fabs (probe_value (output, "-show_entries format=duration") - expected), <=, 1.0 / fps + 1e-3);
  g_assert_cmpfloat (fabs (probe_value (output, "-select_streams v:0 -show_entries stream=duration") - expected),
                     <=, 1.0 / fps + 1e-3);
  g_assert_cmpfloat (fabs (probe_value (output, "-select_streams a:0 -show_entries stream=duration") - expected),
                     <=, 1.0 / fps + 1e-3);

  c = compare_with_source (plan, source, output, 320, 180, fps);
  g_test_message ("%u frames, %u identical to the source, worst %.1f dB, worst at a cut %.1f dB",
                  c.n_frames, c.identical, c.worst_psnr, c.worst_cut_psnr);
  /* copied packets decode to the very same pictures */
  g_assert_cmpuint (c.identical, >=, (guint) result.frames_copied);
  g_assert_cmpfloat (c.worst_cut_psnr, >, 35.0);
  g_assert_cmpfloat (c.worst_psnr, >, 35.0);
}

/* The copied packets really are the source's: the output is not larger
 * than the source for the same pictures, and the plan that keeps whole
 * GOPs encodes nothing. */
static void
test_whole_gops_copied (void)
{
  const char *source = pattern_media ();
  g_autofree char *output = ave_test_path ("pattern-gops.mp4");
  g_autoptr(AvePlan) plan = ave_plan_new (source, 16.0);
  AveComposeResult result = { 0 };
  g_autofree char *src_sizes = NULL, *out_sizes = NULL;
  gint64 src_bytes = 0, out_bytes = 0;
  g_auto(GStrv) lines = NULL;
  Comparison c;

  plan_add (plan, 2.0, 4.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 8.0, 10.0, AVE_TRANSITION_CUT, 0.0);
  render_fast (plan, output, &result);
  g_assert_true (result.smart_cut);
  g_assert_cmpint (result.frames_reencoded, ==, 0);
  g_assert_cmpint (result.frames_copied, ==, 100);
  ave_test_assert_decodes_cleanly (output);

  c = compare_with_source (plan, source, output, 320, 180, 25.0);
  g_assert_cmpuint (c.identical, ==, 100);

  /* the same packet bytes: the source's GOPs at 2-4 s and 8-10 s */
  src_sizes = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,size "
                                  "-of csv=p=0 '%s'", source);
  lines = g_strsplit (src_sizes, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      double t;
      char *comma = strchr (lines[i], ',');
      if (comma == NULL)
        continue;
      t = g_ascii_strtod (lines[i], NULL);
      if ((t >= 2.0 - 1e-3 && t < 4.0 - 1e-3) || (t >= 8.0 - 1e-3 && t < 10.0 - 1e-3))
        src_bytes += g_ascii_strtoll (comma + 1, NULL, 10);
    }
  out_sizes = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries packet=size "
                                  "-of csv=p=0 '%s' | awk '{s+=$1} END {print s}'", output);
  out_bytes = g_ascii_strtoll (out_sizes, NULL, 10);
  g_test_message ("source GOPs %" G_GINT64_FORMAT " bytes, output %" G_GINT64_FORMAT " bytes", src_bytes, out_bytes);
  g_assert_cmpint (src_bytes, >, 0);
  g_assert_cmpint (out_bytes, ==, src_bytes);
}

/* Without B-frames a GOP's first frames are also its first packets: a
 * piece that ends inside a GOP is copied up to the cut. */
static void
test_gop_prefix_copied (void)
{
  const char *source = ave_test_ffmpeg_media ("no-bframes.mp4",
                              "-f lavfi -i testsrc2=s=320x180:r=25:d=8 "
                              "-f lavfi -i sine=f=440:r=48000:d=8 "
                              "-c:v libx264 -preset veryfast -bf 0 -g 50 -pix_fmt yuv420p -c:a aac -shortest");
  g_autofree char *output = ave_test_path ("no-bframes-cut.mp4");
  g_autoptr(AvePlan) plan = ave_plan_new (source, 8.0);
  AveComposeResult result = { 0 };
  Comparison c;

  plan_add (plan, 0.0, 3.31, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 4.0, 5.51, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 6.21, 7.61, AVE_TRANSITION_CUT, 0.0);
  render_fast (plan, output, &result);
  g_assert_true (result.smart_cut);
  /* 0-2 and 4-6 s whole or cut short: copied; 6.21-7.61 starts after an IDR */
  g_assert_cmpint (result.frames_copied, ==, 83 + 38);
  g_assert_cmpint (result.frames_reencoded, ==, 35);
  ave_test_assert_decodes_cleanly (output);
  c = compare_with_source (plan, source, output, 320, 180, 25.0);
  g_assert_cmpuint (c.identical, >=, 83 + 38);
  g_assert_cmpfloat (c.worst_psnr, >, 35.0);
}

static void
assert_in_sync (AvePlan      *plan,
                const char   *name,
                const double *events,
                guint         n_events)
{
  g_autofree char *output = ave_test_path (name);
  AveComposeResult result = { 0 };

  render_fast (plan, output, &result);
  g_assert_true (result.smart_cut);
  g_assert_cmpint (result.frames_copied, >, 0);
  ave_test_assert_decodes_cleanly (output);
  ave_test_assert_events_in_sync (output, plan, events, n_events, 25.0, name);
}

static void
test_av_sync (void)
{
  /* A white frame and a 1 kHz beep start together every 2 s (t = 1, 3, 5, 7, 9);
   * B-frames and a keyframe every 2 s at 0, 2, 4... */
  const char *source = ave_test_sync_media ("sync.mp4", "-c:v libx264 -preset veryfast -g 50 -c:a aac -b:a 128k");
  const double events[] = { 1.0, 3.0, 5.0, 7.0, 9.0 };

  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);

    plan_add (plan, 0.37, 1.83, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 2.61, 3.52, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 3.93, 6.21, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 6.55, 9.43, AVE_TRANSITION_CUT, 0.0);
    assert_in_sync (plan, "sync-forward.mp4", events, G_N_ELEMENTS (events));
  }
  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);

    plan_add (plan, 3.93, 6.21, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 0.37, 1.83, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 6.55, 9.43, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 2.61, 3.52, AVE_TRANSITION_CUT, 0.0);
    assert_in_sync (plan, "sync-shuffled.mp4", events, G_N_ELEMENTS (events));
  }
}

/* The sample talk (tools/make-sample.sh): speech, shots, GOP 2 s. */
static void
test_sample_talk (void)
{
  const char *source = ave_test_sample ("talk.mp4", 20.0, 320, 180);
  g_autofree char *output = ave_test_path ("talk-cut.mp4");
  g_autoptr(AvePlan) plan = ave_plan_new (source, 20.0);
  AveComposeResult result = { 0 };
  double expected;
  Comparison c;

  plan_add (plan, 0.42, 4.2, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 5.71, 11.33, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 12.1, 19.5, AVE_TRANSITION_CUT, 0.0);
  expected = ave_plan_get_output_duration (plan);

  render_fast (plan, output, &result);
  g_assert_true (result.smart_cut);
  g_assert_cmpint (result.frames_copied, >, result.frames_reencoded);
  ave_test_assert_decodes_cleanly (output);
  g_assert_cmpfloat (fabs (probe_value (output, "-show_entries format=duration") - expected), <=, 1.0 / 30 + 1e-3);
  g_assert_cmpfloat (fabs (result.output_lufs - (-14.0)), <, 1.5);

  c = compare_with_source (plan, source, output, 320, 180, 30.0);
  g_test_message ("%u frames, %u identical, worst at a cut %.1f dB", c.n_frames, c.identical, c.worst_cut_psnr);
  g_assert_cmpuint (c.identical, >=, (guint) result.frames_copied);
  g_assert_cmpfloat (c.worst_cut_psnr, >, 35.0);
}

/* The display matrix is copied, not applied to the pixels. */
static void
test_rotation_kept (void)
{
  const char *upright = pattern_media ();
  g_autofree char *source = ave_test_path ("rotated.mp4");
  g_autofree char *output = ave_test_path ("rotated-cut.mp4");
  g_autoptr(AvePlan) plan = ave_plan_new (source, 16.0);
  AveComposeResult result = { 0 };
  g_autofree char *side = NULL, *source_side = NULL;
  g_autoptr(AveMediaInfo) info = NULL;

  /* (x264 through ffmpeg 5.1 drops the tag when encoding: set it on a copy) */
  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -c copy -metadata:s:v:0 rotate=90 '%s'", upright, source);
  info = ave_media_probe (source, NULL);
  g_assert_nonnull (info);
  g_assert_cmpint (info->rotation, !=, 0);
  source_side = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation "
                                    "-of default=nw=1:nk=1 '%s'", source);
  g_strstrip (source_side);
  g_assert_cmpstr (source_side, !=, "");

  plan_add (plan, 0.5, 2.7, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 3.1, 5.9, AVE_TRANSITION_CUT, 0.0);
  render_fast (plan, output, &result);
  g_assert_true (result.smart_cut);
  ave_test_assert_decodes_cleanly (output);
  g_assert_cmpint ((int) probe_value (output, "-select_streams v:0 -show_entries stream=width"), ==, 320);
  side = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation "
                             "-of default=nw=1:nk=1 '%s'", output);
  g_strstrip (side);
  g_assert_cmpstr (side, ==, source_side);
}

/* ------------------------------------------------- files as they come */

/* The sync clip (a white frame and a beep at 1, 3, 5, 7, 9 s) made the way
 * cameras, phones and editors make files.  Each must be smart cut with
 * most of its frames copied, decode cleanly and stay in sync at every
 * cut; the fraction copied is in the test log. */
typedef struct
{
  const char *name;
  const char *what;
  double      duration;
  double      events[10];
  guint       n_events;
  double      min_copied;   /* fraction of the output frames */
  gboolean    constant;     /* constant rate: each output frame is compared with its source frame */
  const char *note;         /* a pattern the smart cut's line must match, or NULL */
} RealFile;

static const char *
real_file (const RealFile *file)
{
  const char *h264 = "-c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p -c:a aac -b:a 128k";
  const char *base = ave_test_sync_media ("sync.mp4", h264);
  g_autofree char *args = NULL;

  if (g_str_equal (file->name, "vfr"))
    /* phone-style: every fifth frame 12 ms late, timestamps kept */
    args = g_strdup_printf ("-i '%s' -map 0 -vf \"setpts='N/(25*TB)+if(eq(mod(N\\,5)\\,2)\\,0.012/TB\\,0)'\" "
                            "-fps_mode passthrough %s", base, h264);
  else if (g_str_equal (file->name, "joined"))
    /* three copies joined: irregular frames at the joins and at the end */
    args = g_strdup_printf ("-stream_loop 2 -i '%s' -c copy", base);
  else if (g_str_equal (file->name, "open-gop"))
    return ave_test_sync_media ("sync-open-gop.mp4", "-c:v libx264 -preset veryfast -g 50 -x264-params open-gop=1 "
                                "-pix_fmt yuv420p -c:a aac -b:a 128k");
  else if (g_str_equal (file->name, "open-gop-cavlc"))
    return ave_test_sync_media ("sync-open-gop-cavlc.mp4", "-c:v libx264 -preset veryfast -g 50 -coder 0 "
                                "-x264-params open-gop=1 -pix_fmt yuv420p -c:a aac -b:a 128k");
  else if (g_str_equal (file->name, "b-pyramid"))
    return ave_test_sync_media ("sync-b-pyramid.mp4", "-c:v libx264 -preset veryfast -g 50 "
                                "-x264-params bframes=5:b-pyramid=strict:b-adapt=0 "
                                "-pix_fmt yuv420p -c:a aac -b:a 128k");
  else if (g_str_equal (file->name, "hevc"))
    /* x265 writes open GOPs (CRA keyframes with leading pictures) */
    return ave_test_sync_media ("sync-hevc.mp4", "-c:v libx265 -preset veryfast "
                                "-x265-params keyint=50:min-keyint=50:log-level=error "
                                "-pix_fmt yuv420p -c:a aac -b:a 128k");
  else if (g_str_equal (file->name, "mpeg4"))
    return ave_test_sync_media ("sync-mpeg4.mp4", "-c:v mpeg4 -g 50 -bf 1 -q:v 3 -c:a aac -b:a 128k");
  else if (g_str_equal (file->name, "edit-list"))
    /* starts 0.52 s into a GOP: an edit list hides the frames before */
    args = g_strdup_printf ("-ss 0.52 -i '%s' -c copy", base);
  else
    g_assert_not_reached ();
  {
    g_autofree char *name = g_strdup_printf ("sync-%s.mp4", file->name);
    return ave_test_ffmpeg_media (name, args);
  }
}

/* Every SPS in an H.264 output's avcC (the source's and x264's) declares
 * the same references, lets the same number of pictures wait for output,
 * in a buffer of the same size: else a decoder may drop the copied
 * pictures still waiting at the IDR that starts an encoded piece (C.4.4;
 * OpenH264 does), and GStreamer's H.264 decoders drain and renegotiate at
 * each one. */
static void
assert_one_output_delay (const char *path)
{
  AVFormatContext *fmt = NULL;
  g_autoptr(GPtrArray) sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const AVCodecParameters *par;
  AveH264Buffering first = { 0 };
  gsize tail;

  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  par = fmt->streams[0]->codecpar;
  g_assert_cmpint (par->codec_id, ==, AV_CODEC_ID_H264);
  g_assert_true (_ave_smart_cut_parse_avcc (par->extradata, (gsize) par->extradata_size, sps, pps, &tail));
  for (guint i = 0; i < sps->len; i++)
    {
      AveH264Buffering b;
      gsize len;
      const guint8 *nal = g_bytes_get_data (g_ptr_array_index (sps, i), &len);

      g_assert_true (_ave_h264_sps_buffering (nal, len, &b));
      g_test_message ("%s: SPS %u has %d references, lets %d pictures wait, in a buffer of %d", path, i,
                      b.max_num_ref_frames, b.num_reorder_frames, b.max_dec_frame_buffering);
      if (i == 0)
        first = b;
      g_assert_cmpint (b.max_num_ref_frames, ==, first.max_num_ref_frames);
      g_assert_cmpint (b.num_reorder_frames, ==, first.num_reorder_frames);
      g_assert_cmpint (b.max_dec_frame_buffering, ==, first.max_dec_frame_buffering);
    }
  avformat_close_input (&fmt);
}

/* Every VPS and SPS of an HEVC output (the source's and x265's, in the
 * stream) declares the same picture buffer, read by FFmpeg's own reader. */
static void
assert_hevc_one_buffer (const char *path)
{
  const char *fields[] = { "_max_dec_pic_buffering_minus1", "_max_num_reorder_pics", "_max_latency_increase_plus1" };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *values = ave_test_sh_output ("ffmpeg -nostdin -i '%s' -map 0:v:0 -c copy -bsf:v trace_headers "
                                                    "-f null - 2>&1 | grep -E '[sv]ps%s' | awk '{print $NF}' "
                                                    "| sort -u | paste -sd,", path, fields[i]);

      g_strstrip (values);
      g_test_message ("%s: every VPS and SPS%s: %s", path, fields[i], values);
      g_assert_cmpstr (values, !=, "");
      g_assert_null (strchr (values, ','));
    }
}

#ifdef HAVE_OPENH264
typedef struct
{
  ISVCDecoder *dec;
  guint        pictures;
  guint        errors;
} OpenH264Run;

static void
openh264_feed (OpenH264Run  *run,
               const guint8 *annexb,
               gsize         size)
{
  guint8 *planes[3] = { NULL };
  SBufferInfo info = { 0 };
  DECODING_STATE state;

  state = (*run->dec)->DecodeFrameNoDelay (run->dec, annexb, (int) size, planes, &info);
  if (state != dsErrorFree)
    run->errors++;
  if (info.iBufferStatus == 1)
    run->pictures++;
}

static gboolean
append_start_code_nal (const guint8 *nal,
                       gsize         size,
                       gpointer      data)
{
  static const guint8 start[4] = { 0, 0, 0, 1 };

  g_byte_array_append (data, start, 4);
  g_byte_array_append (data, nal, (guint) size);
  return TRUE;
}

/* The pictures OpenH264, a second decoder, outputs from an MP4's H.264
 * (each access unit fed whole, the avcC's sets first), and its errors. */
static void
openh264_decode (const char *path,
                 guint      *pictures,
                 guint      *errors)
{
  AVFormatContext *fmt = NULL;
  g_autoptr(GPtrArray) sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GByteArray) unit = g_byte_array_new ();
  AVPacket *pkt = av_packet_alloc ();
  const AVCodecParameters *par;
  SDecodingParam param = { 0 };
  OpenH264Run run = { 0 };
  int length_size, left = 0;
  gsize tail;

  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  par = fmt->streams[0]->codecpar;
  g_assert_true (_ave_smart_cut_parse_avcc (par->extradata, (gsize) par->extradata_size, sps, pps, &tail));
  length_size = (par->extradata[4] & 3) + 1;
  g_assert_cmpint (WelsCreateDecoder (&run.dec), ==, 0);
  param.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
  param.eEcActiveIdc = ERROR_CON_DISABLE;
  g_assert_cmpint ((*run.dec)->Initialize (run.dec, &param), ==, 0);

  for (guint i = 0; i < sps->len + pps->len; i++)
    {
      gsize len;
      const guint8 *nal = g_bytes_get_data (i < sps->len ? g_ptr_array_index (sps, i)
                                                         : g_ptr_array_index (pps, i - sps->len), &len);
      append_start_code_nal (nal, len, unit);
    }
  openh264_feed (&run, unit->data, unit->len);
  while (av_read_frame (fmt, pkt) >= 0)
    {
      if (pkt->stream_index == 0)
        {
          g_byte_array_set_size (unit, 0);
          g_assert_true (_ave_smart_cut_for_each_nal (pkt->data, (gsize) pkt->size, length_size,
                                                      append_start_code_nal, unit));
          openh264_feed (&run, unit->data, unit->len);
        }
      av_packet_unref (pkt);
    }
  (*run.dec)->GetOption (run.dec, DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER, &left);
  for (int k = 0; k < left; k++)
    {
      guint8 *planes[3] = { NULL };
      SBufferInfo info = { 0 };

      (*run.dec)->FlushFrame (run.dec, planes, &info);
      if (info.iBufferStatus == 1)
        run.pictures++;
    }
  (*run.dec)->Uninitialize (run.dec);
  WelsDestroyDecoder (run.dec);
  av_packet_free (&pkt);
  avformat_close_input (&fmt);
  *pictures = run.pictures;
  *errors = run.errors;
}

/* Where OpenH264 decodes the source whole, it decodes the smart cut's
 * output whole too, with no error.  (It cannot decode some sources at all:
 * x264's strict B-pyramid with 5 B-frames runs out of its picture buffer,
 * which it sizes from the reference count.) */
static void
assert_openh264_decodes_as_source (const char *source,
                                   const char *output,
                                   gint64      n_frames)
{
  guint pictures, errors;
  /* every coded picture, also those an edit list hides */
  gint64 source_frames = (gint64) probe_value (source, "-count_packets -select_streams v:0 "
                                                        "-show_entries stream=nb_read_packets");

  openh264_decode (source, &pictures, &errors);
  g_test_message ("%s: OpenH264 output %u of %" G_GINT64_FORMAT " pictures, %u errors",
                  source, pictures, source_frames, errors);
  if (errors != 0 || pictures != source_frames)
    return;
  openh264_decode (output, &pictures, &errors);
  g_test_message ("%s: OpenH264 output %u of %" G_GINT64_FORMAT " pictures, %u errors",
                  output, pictures, n_frames, errors);
  g_assert_cmpuint (errors, ==, 0);
  g_assert_cmpint (pictures, ==, n_frames);
}
#endif

static void
test_real_file (gconstpointer data)
{
  const RealFile *file = data;
  const char *source;
  g_autofree char *name = g_strdup_printf ("real-%s-cut.mp4", file->name);
  g_autofree char *output = ave_test_path (name);
  g_autoptr(AvePlan) plan = NULL;
  AveComposeResult result = { 0 };
  double fraction;

  if (g_str_equal (file->name, "hevc") &&
      ave_test_sh_status (NULL, NULL, "ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx265") != 0)
    {
      g_test_skip ("this FFmpeg has no libx265");
      return;
    }
  source = real_file (file);
  plan = ave_plan_new (source, file->duration);

  /* pieces that start and end off the keyframes (0, 2, 4... s), around
   * every event, one across the join of the joined file */
  for (guint i = 0; i < file->n_events; i++)
    {
      double e = file->events[i];
      plan_add (plan, MAX (0.0, e - 1.37), MIN (file->duration - 0.1, e + 0.81 + 0.3 * (i % 3)),
                AVE_TRANSITION_CUT, 0.0);
    }
  if (file->note != NULL)
    g_test_expect_message ("ave-smart-cut", G_LOG_LEVEL_MESSAGE, file->note);
  render_fast (plan, output, &result);
  g_test_assert_expected_messages ();
  g_assert_true (result.smart_cut);
  fraction = (double) result.frames_copied / (double) result.video_frames;
  g_test_message ("%s (%s): %" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT " copied (%.0f%%), %"
                  G_GINT64_FORMAT " encoded", file->name, file->what, result.video_frames,
                  result.frames_copied, 100.0 * fraction, result.frames_reencoded);
  g_assert_cmpint (result.frames_copied + result.frames_reencoded, ==, result.video_frames);
  /* each piece is about 2.2-2.8 s: a cut GOP on each side is encoded */
  g_assert_cmpfloat (fraction, >=, file->min_copied);
  ave_test_assert_decodes_cleanly (output);
  {
    /* not even a warning, and every frame there */
    g_autofree char *warnings = NULL, *frames = NULL;

    g_assert_cmpint (ave_test_sh_status (NULL, &warnings, "ffmpeg -v warning -nostdin -i '%s' -f null -", output), ==, 0);
    g_assert_cmpstr (warnings, ==, "");
    frames = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_frames -show_entries frame=pict_type "
                                 "-of csv '%s' | grep -c '^frame'", output);
    g_assert_cmpint (g_ascii_strtoll (frames, NULL, 10), ==, result.video_frames);
  }
  ave_test_assert_events_in_sync (output, plan, file->events, file->n_events, 25.0, name);
  if (g_str_equal (file->name, "hevc"))
    assert_hevc_one_buffer (output);
  else if (!g_str_equal (file->name, "mpeg4"))
    {
      assert_one_output_delay (output);
#ifdef HAVE_OPENH264
      assert_openh264_decodes_as_source (source, output, result.video_frames);
#else
      g_test_message ("built without OpenH264 (libopenh264-dev): no second decoder");
#endif
    }
  if (file->constant)
    {
      Comparison c = compare_with_source (plan, source, output, 320, 240, 25.0);

      g_test_message ("%u frames, %u identical to the source, worst %.1f dB", c.n_frames, c.identical, c.worst_psnr);
      /* copied packets decode to the very same pictures */
      g_assert_cmpuint (c.identical, >=, (guint) result.frames_copied);
      g_assert_cmpfloat (c.worst_psnr, >, 30.0);
    }
}

static const RealFile real_files[] = {
  { "vfr", "variable frame rate, every fifth frame 12 ms late", 10.0, { 1, 3, 5, 7, 9 }, 5, 0.75, FALSE },
  { "joined", "three copies joined with -stream_loop 2 -c copy", 30.0,
    { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 }, 10, 0.75, FALSE },
  /* One IDR, then I-frames with recovery points: after encoded frames a
   * copy resumes at such an I-frame made an IDR, the headers after it
   * renumbered (docs/composition.md, "Smart cut", Open GOPs). */
  { "open-gop", "x264 open GOPs (one IDR)", 10.0, { 1, 3, 5, 7, 9 }, 5, 0.75, TRUE,
    "Smart cut: copies *" },
  /* CAVLC slice data does not start byte-aligned: no rewrite, and the
   * line says why (only the first piece's GOP from the IDR is copied) */
  { "open-gop-cavlc", "x264 open GOPs, CAVLC", 10.0, { 1, 3, 5, 7, 9 }, 5, 0.1, TRUE,
    "Smart cut: copies *an open GOP's I-frame (not an IDR) cannot follow encoded frames: "
    "the PPS codes with CAVLC, not CABAC*" },
  { "b-pyramid", "5 B-frames, strict B-pyramid", 10.0, { 1, 3, 5, 7, 9 }, 5, 0.75, TRUE },
  { "hevc", "HEVC (x265, open GOPs: CRA keyframes)", 10.0, { 1, 3, 5, 7, 9 }, 5, 0.6, TRUE },
  { "mpeg4", "MPEG-4 Part 2 with B-frames", 10.0, { 1, 3, 5, 7, 9 }, 5, 0.6, TRUE },
  { "edit-list", "an edit list starting 0.52 s into a GOP", 9.48, { 0.48, 2.48, 4.48, 6.48, 8.48 }, 5, 0.6, FALSE },
};

/* Plans and sources the smart cut leaves to the full render. */
static void
test_fallback (void)
{
  const char *source = pattern_media ();
  const char *mpeg2 = ave_test_ffmpeg_media ("mpeg2.mp4",
                             "-f lavfi -i testsrc2=s=320x180:r=25:d=4 -f lavfi -i sine=r=48000:d=4 "
                             "-c:v mpeg2video -c:a aac -shortest");
  g_autoptr(AveSettings) settings = fast_settings ();

  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 16.0);
    g_autofree char *why = NULL;

    plan_add (plan, 0.5, 3.0, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 4.0, 6.0, AVE_TRANSITION_CROSSFADE, 0.5);
    g_assert_false (ave_smart_cut_applicable (plan, settings, &why));
    g_assert_nonnull (strstr (why, "crossfade"));
  }
  {
    g_autoptr(AvePlan) plan = ave_plan_new (mpeg2, 4.0);
    g_autofree char *why = NULL;
    g_autofree char *output = ave_test_path ("mpeg2-cut.mp4");
    AveComposeResult result = { 0 };

    plan_add (plan, 0.5, 1.5, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 2.0, 3.5, AVE_TRANSITION_CUT, 0.0);
    g_assert_false (ave_smart_cut_applicable (plan, settings, &why));
    g_assert_nonnull (strstr (why, "not H.264, HEVC or MPEG-4 Part 2"));

    /* fast mode still renders it, by re-encoding */
    render_fast (plan, output, &result);
    g_assert_false (result.smart_cut);
    g_assert_cmpint (result.frames_copied, ==, 0);
    g_assert_cmpint (result.frames_reencoded, ==, result.video_frames);
    ave_test_assert_decodes_cleanly (output);
  }
  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 16.0);
    g_autofree char *why = NULL;

    plan_add (plan, 0.5, 3.0, AVE_TRANSITION_CUT, 0.0);
    g_assert_true (ave_smart_cut_applicable (plan, settings, &why));
    g_assert_null (why);
  }
  {
    /* --resolution below the source's: every picture is scaled, nothing
     * can be copied; at or above it the smart cut still copies */
    g_autoptr(AvePlan) plan = ave_plan_new (source, 16.0);
    g_autoptr(AveSettings) scaled = fast_settings ();
    g_autoptr(GError) error = NULL;
    g_autofree char *output = ave_test_path ("pattern-scaled.mp4");
    g_autofree char *size = NULL;
    AveComposeResult result = { 0 };

    plan_add (plan, 0.5, 3.0, AVE_TRANSITION_CUT, 0.0);
    scaled->output_height = 90;
    g_assert_true (ave_composer_render (plan, NULL, scaled, NULL, output, &result, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (result.smart_cut);
    g_assert_cmpint (result.frames_reencoded, ==, result.video_frames);
    size = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries stream=width,height "
                               "-of csv=p=0 '%s'", output);
    g_assert_cmpstr (g_strstrip (size), ==, "160,90");

    scaled->output_height = 180;
    g_assert_true (ave_composer_render (plan, NULL, scaled, NULL, output, &result, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (result.smart_cut);
  }
}

int
main (int    argc,
      char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/smart-cut/copy-and-encode", test_copy_and_encode);
  g_test_add_func ("/engine/smart-cut/whole-gops-copied", test_whole_gops_copied);
  g_test_add_func ("/engine/smart-cut/gop-prefix-copied", test_gop_prefix_copied);
  g_test_add_func ("/engine/smart-cut/av-sync", test_av_sync);
  g_test_add_func ("/engine/smart-cut/sample-talk", test_sample_talk);
  g_test_add_func ("/engine/smart-cut/rotation", test_rotation_kept);
  g_test_add_func ("/engine/smart-cut/fallback", test_fallback);
  g_test_add_func ("/engine/smart-cut/cancel", test_cancel);
  for (guint i = 0; i < G_N_ELEMENTS (real_files); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/smart-cut/real/%s", real_files[i].name);
      g_test_add_data_func (path, &real_files[i], test_real_file);
    }
  return g_test_run ();
}
