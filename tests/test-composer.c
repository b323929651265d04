#define G_LOG_DOMAIN "ave-test-composer"

#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <ebur128.h>

#include "ave-test-util.h"
#include "ave-test-sanitizer.h"
#include "core/ave-error.h"
#include "compose/ave-composer.h"
#include "compose/ave-compose-private.h"
#include "compute/ave-compute.h"
#include "director/ave-plan.h"

/* Every test renders a hand-made plan over media generated with ffmpeg
 * lavfi, then inspects the output with ffprobe/ffmpeg (independent of our
 * own decoding) against what the plan says must be there. */

/* ------------------------------------------------------------ helpers */

/* 10 s of moving test pattern with a 440 Hz tone. */
static const char *
bars_media (void)
{
  return ave_test_ffmpeg_media ("bars.mp4",
                "-f lavfi -i testsrc2=s=320x240:r=25:d=10 "
                "-f lavfi -i sine=f=440:r=48000:d=10 "
                "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest");
}

/* Red for 5 s, then blue for 5 s, with a tone. */
static const char *
redblue_media (void)
{
  return ave_test_ffmpeg_media ("redblue.mp4",
                "-f lavfi -i color=c=red:s=160x120:r=25:d=5 "
                "-f lavfi -i color=c=blue:s=160x120:r=25:d=5 "
                "-f lavfi -i sine=f=440:r=48000:d=10 "
                "-filter_complex \"[0:v][1:v]concat=n=2:v=1:a=0[v]\" -map \"[v]\" -map 2:a "
                "-c:v libx264 -preset ultrafast -c:a aac");
}

static AveSettings *
test_settings (void)
{
  AveSettings *settings = ave_settings_new ();

  /* Small media on a shared two-core machine: the fastest preset keeps
   * these tests quick without changing what they check. */
  g_free (settings->encoder_preset);
  settings->encoder_preset = g_strdup ("ultrafast");
  settings->n_workers = 2;
  settings->encoder_threads = 2;
  settings->crf = 23;
  settings->loudness_target = -14.0;
  settings->audio_fade_duration = 0.01;
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

typedef struct
{
  GArray  *fractions;
  double   cancel_at;
  GCancellable *cancellable;
} ProgressLog;

static void
on_progress (double   fraction,
             gpointer user_data)
{
  ProgressLog *log = user_data;

  g_array_append_val (log->fractions, fraction);
  if (log->cancellable != NULL && fraction >= log->cancel_at)
    g_cancellable_cancel (log->cancellable);
}

static gboolean
render (AvePlan           *plan,
        const AveSettings *settings,
        const char        *output,
        AveComposeResult  *result,
        ProgressLog       *log,
        GCancellable      *cancellable,
        GError           **error)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();

  return ave_composer_render (plan, NULL, settings, compute, output, result,
                              log != NULL ? on_progress : NULL, log, cancellable, error);
}

/* "key=value" lines from ffprobe into a table. */
static GHashTable *
probe (const char *path,
       const char *selection)
{
  g_autofree char *out = ave_test_sh_output ("ffprobe -v error %s -of default=nw=1 '%s'", selection, path);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');
      if (eq != NULL && !g_hash_table_contains (table, lines[i]))
        {
          *eq = '\0';
          g_hash_table_insert (table, g_strdup (lines[i]), g_strdup (eq + 1));
        }
    }
  return table;
}

static double
probe_double (GHashTable *table,
              const char *key)
{
  const char *value = g_hash_table_lookup (table, key);

  if (value == NULL)
    g_error ("ffprobe gave no %s", key);
  return g_ascii_strtod (value, NULL);
}

static double
format_duration (const char *path)
{
  g_autoptr(GHashTable) t = probe (path, "-show_entries format=duration");
  return probe_double (t, "duration");
}

static char *
stream_codecs (const char *path)
{
  g_autofree char *out = ave_test_sh_output ("ffprobe -v error -show_entries stream=codec_name "
                                             "-of csv=p=0 '%s'", path);
  return g_strstrip (g_strdup (out));
}

/* Luma of every frame, averaged over a 16x12 downscale (only the Y plane:
 * no range conversion in the way). */
static GArray *
frame_lumas (const char *path)
{
  g_autofree char *raw = g_strdup_printf ("%s.luma", path);
  g_autofree char *data = NULL;
  gsize length = 0;
  const gsize frame_bytes = 16 * 12 * 3 / 2;
  GArray *lumas = g_array_new (FALSE, FALSE, sizeof (double));

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -map 0:v:0 -vf scale=16:12 -pix_fmt yuv420p "
               "-f rawvideo '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  for (gsize off = 0; off + frame_bytes <= length; off += frame_bytes)
    {
      double sum = 0.0;
      for (gsize i = 0; i < 16 * 12; i++)
        sum += (guint8) data[off + i];
      sum /= 16 * 12;
      g_array_append_val (lumas, sum);
    }
  return lumas;
}

/* Integrated loudness measured by FFmpeg's own ebur128 filter. */
static double
ffmpeg_loudness (const char *path)
{
  g_autofree char *out = ave_test_sh_output ("ffmpeg -nostats -nostdin -i '%s' -map 0:a:0 "
                                             "-af ebur128 -f null - 2>&1", path);
  const char *summary = g_strrstr (out, "Integrated loudness:");
  const char *i_line;

  g_assert_nonnull (summary);
  i_line = strstr (summary, "I:");
  g_assert_nonnull (i_line);
  return g_ascii_strtod (i_line + 2, NULL);
}

/* ------------------------------------------------------------ tests */

static void
test_duration (void)
{
  const char *source = bars_media ();
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  g_autofree char *output = ave_test_path ("duration.mp4");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) video = NULL;
  g_autoptr(GHashTable) audio = NULL;
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  ProgressLog log = { fractions, 2.0, NULL };
  AveComposeResult result = { 0 };
  double expected, frame = 1.0 / 25.0;

  /* Edges deliberately off the 25 fps grid. */
  plan_add (plan, 0.5, 2.03, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 2.9, 4.47, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 5.11, 6.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 7.33, 9.81, AVE_TRANSITION_CUT, 0.0);
  expected = ave_plan_get_output_duration (plan);

  g_assert_true (render (plan, settings, output, &result, &log, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpfloat (fabs (result.output_duration - expected), <=, frame);
  g_assert_cmpint (result.video_frames, ==, (gint64) lround (result.output_duration * 25.0));

  video = probe (output, "-select_streams v:0 -count_frames -show_entries "
                         "stream=nb_read_frames,width,height,codec_name,pix_fmt,r_frame_rate");
  g_assert_cmpstr (g_hash_table_lookup (video, "codec_name"), ==, "h264");
  g_assert_cmpstr (g_hash_table_lookup (video, "pix_fmt"), ==, "yuv420p");
  g_assert_cmpstr (g_hash_table_lookup (video, "r_frame_rate"), ==, "25/1");
  g_assert_cmpint ((int) probe_double (video, "width"), ==, 320);
  g_assert_cmpint ((int) probe_double (video, "height"), ==, 240);
  g_assert_cmpfloat (fabs (probe_double (video, "nb_read_frames") * frame - expected), <=, frame + 1e-6);

  audio = probe (output, "-select_streams a:0 -show_entries stream=codec_name,sample_rate,duration");
  g_assert_cmpstr (g_hash_table_lookup (audio, "codec_name"), ==, "aac");
  g_assert_cmpint ((int) probe_double (audio, "sample_rate"), ==, 48000);
  g_assert_cmpfloat (fabs (probe_double (audio, "duration") - expected), <=, frame + 1e-3);
  g_assert_cmpfloat (fabs (format_duration (output) - expected), <=, frame + 1e-3);

  ave_test_assert_decodes_cleanly (output);

  g_assert_cmpuint (fractions->len, >, 10);
  for (guint i = 1; i < fractions->len; i++)
    g_assert_cmpfloat (g_array_index (fractions, double, i), >=, g_array_index (fractions, double, i - 1));
  g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), ==, 1.0);
}

/* Renders `plan` and checks that each white frame and its beep come out
 * together (within a frame) and where the plan puts them. */
static void
assert_in_sync (AvePlan      *plan,
                const char   *name,
                const double *events,
                guint         n_events)
{
  g_autoptr(AveSettings) settings = test_settings ();
  g_autofree char *output = ave_test_path (name);
  g_autoptr(GError) error = NULL;
  AveComposeResult result = { 0 };

  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);
  ave_test_assert_events_in_sync (output, plan, events, n_events, 25.0, name);
}

static void
test_av_sync (void)
{
  /* A white frame and a 1 kHz beep start together every 2 s (t = 1, 3, 5, 7, 9). */
  const char *source = ave_test_sync_media ("sync.mp4", "-c:v libx264 -preset ultrafast -g 25 -c:a aac -b:a 128k");
  g_autoptr(GArray) src_white = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) src_beep = g_array_new (FALSE, FALSE, sizeof (double));
  const double events[] = { 1.0, 3.0, 5.0, 7.0, 9.0 };

  /* The generator itself must be in sync, or the test proves nothing. */
  ave_test_find_sync_events (source, 25.0, src_white, src_beep);
  g_assert_cmpuint (src_white->len, ==, 5);
  g_assert_cmpuint (src_beep->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpfloat (fabs (g_array_index (src_white, double, i) - events[i]), <, 1e-3);
      g_assert_cmpfloat (fabs (g_array_index (src_beep, double, i) - events[i]), <, 2e-3);
    }

  /* Cuts that are neither on the frame grid nor near the events; the
   * gaps are short, so each piece reads on from the previous one. */
  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);

    plan_add (plan, 0.37, 1.83, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 2.61, 3.52, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 4.93, 6.21, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 6.55, 9.43, AVE_TRANSITION_CUT, 0.0);
    assert_in_sync (plan, "sync-forward.mp4", events, G_N_ELEMENTS (events));
  }

  /* The same pieces shuffled: every piece seeks, forwards or backwards. */
  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);

    plan_add (plan, 4.93, 6.21, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 0.37, 1.83, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 6.55, 9.43, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 2.61, 3.52, AVE_TRANSITION_CUT, 0.0);
    assert_in_sync (plan, "sync-shuffled.mp4", events, G_N_ELEMENTS (events));
  }
}

static void
test_loudness (void)
{
  /* 1 kHz at -30 dBFS peak (amplitude 10^(-30/20)). */
  const char *source = ave_test_ffmpeg_media ("quiet.mp4",
                              "-f lavfi -i color=c=gray:s=160x120:r=25:d=8 "
                              "-f lavfi -i \"aevalsrc='0.0316228*sin(2*PI*1000*t)':s=48000:d=8\" "
                              "-c:v libx264 -preset ultrafast -c:a aac -b:a 128k -shortest");
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 8.0);
  g_autofree char *output = ave_test_path ("loud.mp4");
  g_autoptr(GError) error = NULL;
  AveComposeResult result = { 0 };
  double measured, source_lufs;

  plan_add (plan, 0.2, 2.5, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 3.1, 5.4, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 6.0, 7.9, AVE_TRANSITION_CUT, 0.0);
  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);

  source_lufs = ffmpeg_loudness (source);
  measured = ffmpeg_loudness (output);
  g_test_message ("source %.1f LUFS, output %.1f LUFS (composer: %.2f LUFS, gain %.2f dB)",
                  source_lufs, measured, result.output_lufs, result.gain_db);
  g_assert_cmpfloat (source_lufs, <, -28.0);
  g_assert_cmpfloat (fabs (measured - settings->loudness_target), <=, 1.0);
  g_assert_cmpfloat (fabs (result.output_lufs - settings->loudness_target), <=, 1.0);
  g_assert_cmpfloat (fabs (result.gain_db - (settings->loudness_target - source_lufs)), <=, 1.0);
}

static void
test_speech_loudness (void)
{
  /* espeak-ng speech with pauses: peaky, so the limiter has work to do */
  const char *source = ave_test_sample ("talk.mp4", 12.0, 320, 240);
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 12.0);
  g_autofree char *output = ave_test_path ("talk-out.mp4");
  g_autofree char *summary = NULL;
  g_autoptr(GError) error = NULL;
  AveComposeResult result = { 0 };
  const char *peak_line;
  double measured;

  plan_add (plan, 0.3, 4.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 5.0, 8.2, AVE_TRANSITION_CROSSFADE, 0.3);
  plan_add (plan, 8.9, 11.8, AVE_TRANSITION_CUT, 0.0);
  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);

  measured = ffmpeg_loudness (output);
  g_test_message ("speech: output %.1f LUFS (composer: %.2f LUFS, gain %.2f dB)",
                  measured, result.output_lufs, result.gain_db);
  g_assert_cmpfloat (fabs (measured - settings->loudness_target), <=, 1.0);

  /* true peak of the decoded output under -1 dBTP */
  summary = ave_test_sh_output ("ffmpeg -nostats -nostdin -i '%s' -map 0:a:0 -af ebur128=peak=true "
                                "-f null - 2>&1", output);
  peak_line = g_strrstr (summary, "Peak:");
  g_assert_nonnull (peak_line);
  g_assert_cmpfloat (g_ascii_strtod (peak_line + 5, NULL), <=, -1.0);
}

static void
test_no_click (void)
{
  const char *source = ave_test_ffmpeg_media ("tone.mp4",
                              "-f lavfi -i color=c=gray:s=160x120:r=25:d=8 "
                              "-f lavfi -i \"aevalsrc='0.5*sin(2*PI*440*t)':s=48000:d=8\" "
                              "-c:v libx264 -preset ultrafast -c:a aac -b:a 192k -shortest");
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 8.0);
  g_autofree char *output = ave_test_path ("noclick.mp4");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) samples = NULL;
  AveComposeResult result = { 0 };
  /* Segments 1.6 s long (40 frames: exactly on the grid) that end on a
   * positive crest and start on a negative one: spliced hard, each cut
   * would jump by twice the amplitude. */
  const double s1 = 880.25 / 440.0 - 1.6, s2 = 1320.75 / 440.0, s3 = 2420.25 / 440.0;
  const gsize cuts[] = { 76800, 153600 };
  double amplitude = 0.0, natural = 0.0;

  plan_add (plan, s1, s1 + 1.6, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, s2, s2 + 1.6, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, s3, s3 + 1.6, AVE_TRANSITION_CUT, 0.0);
  g_assert_cmpfloat (fabs (sin (2 * G_PI * 440 * (s1 + 1.6)) - sin (2 * G_PI * 440 * s2)), >, 1.99);

  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);
  samples = ave_test_decode_audio (output);
  g_assert_cmpuint (samples->len, >=, 4 * 48000);

  /* level and natural sample-to-sample change away from the cuts */
  for (gsize i = 24000; i < 72000; i++)
    {
      float x = g_array_index (samples, float, i);
      amplitude = MAX (amplitude, fabs (x));
      natural = MAX (natural, fabs (x - g_array_index (samples, float, i - 1)));
    }
  g_assert_cmpfloat (amplitude, >, 0.05);

  for (guint c = 0; c < G_N_ELEMENTS (cuts); c++)
    {
      double jump = 0.0;

      for (gsize i = cuts[c] - 960; i < cuts[c] + 960; i++)
        jump = MAX (jump, fabs (g_array_index (samples, float, i) - g_array_index (samples, float, i - 1)));
      g_test_message ("cut %u: max jump %.4f, natural %.4f, hard splice %.4f",
                      c, jump, natural, 2 * amplitude);
      g_assert_cmpfloat (jump, <, 0.1 * 2 * amplitude);
      g_assert_cmpfloat (jump, <, 1.5 * natural);
    }
}

static void
test_transitions (void)
{
  const char *source = redblue_media ();
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(GError) error = NULL;
  const double frame = 1.0 / 25.0;

  /* crossfade: 3 s + 3 s overlapping by 1 s = 5 s */
  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
    g_autofree char *output = ave_test_path ("crossfade.mp4");
    g_autoptr(GArray) lumas = NULL;
    AveComposeResult result = { 0 };
    double red, blue, mid;

    plan_add (plan, 0.0, 3.0, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 6.0, 9.0, AVE_TRANSITION_CROSSFADE, 1.0);
    g_assert_cmpfloat (fabs (ave_plan_get_output_duration (plan) - 5.0), <, 1e-9);
    g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
    g_assert_no_error (error);
    ave_test_assert_decodes_cleanly (output);
    g_assert_cmpfloat (fabs (format_duration (output) - 5.0), <=, frame + 1e-3);

    lumas = frame_lumas (output);
    g_assert_cmpuint (lumas->len, ==, 125);
    red = g_array_index (lumas, double, 25);
    blue = g_array_index (lumas, double, 110);
    mid = g_array_index (lumas, double, 62);
    g_test_message ("red %.1f, blue %.1f, middle of the dissolve %.1f", red, blue, mid);
    g_assert_cmpfloat (red - blue, >, 25.0);
    g_assert_cmpfloat (fabs (mid - (red + blue) / 2), <, 0.2 * (red - blue));
    /* a ramp, not a jump: every step across the overlap is small and downhill */
    for (guint i = 51; i < 75; i++)
      {
        double step = g_array_index (lumas, double, i) - g_array_index (lumas, double, i - 1);
        g_assert_cmpfloat (step, <=, 1.0);
        g_assert_cmpfloat (step, >, -0.15 * (red - blue));
      }
  }

  /* fade through black: no overlap, 6 s, dark at the cut */
  {
    g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
    g_autofree char *output = ave_test_path ("fade.mp4");
    g_autoptr(GArray) lumas = NULL;
    AveComposeResult result = { 0 };

    plan_add (plan, 0.0, 3.0, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 6.0, 9.0, AVE_TRANSITION_FADE, 1.0);
    g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
    g_assert_no_error (error);
    ave_test_assert_decodes_cleanly (output);
    g_assert_cmpfloat (fabs (format_duration (output) - 6.0), <=, frame + 1e-3);

    lumas = frame_lumas (output);
    g_assert_cmpuint (lumas->len, ==, 150);
    g_assert_cmpfloat (g_array_index (lumas, double, 25), >, 70.0);      /* red */
    g_assert_cmpfloat (g_array_index (lumas, double, 74), <, 20.0);      /* black */
    g_assert_cmpfloat (g_array_index (lumas, double, 75), <, 20.0);
    g_assert_cmpfloat (g_array_index (lumas, double, 130), >, 35.0);     /* blue */
    g_assert_cmpfloat (g_array_index (lumas, double, 68), <, g_array_index (lumas, double, 25) - 10.0);
  }
}

#if HAVE_VULKAN
/* The Vulkan backend must compose exactly the frames the CPU backend does:
 * the same plan rendered with each decodes to identical pictures. */
static void
test_vulkan_same_as_cpu (void)
{
  const char *source = redblue_media ();
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  g_autofree char *cpu_out = ave_test_path ("backend-cpu.mp4");
  g_autofree char *gpu_out = ave_test_path ("backend-vulkan.mp4");
  g_autofree char *notice = NULL;
  g_autofree char *cpu_md5 = NULL;
  g_autofree char *gpu_md5 = NULL;
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = NULL;
  g_autoptr(GError) error = NULL;
  AveComposeResult result = { 0 };

  /* lavapipe when there is no GPU: the point is the backend, not speed */
  if (g_getenv ("AVE_VULKAN_DEVICE") == NULL)
    g_setenv ("AVE_VULKAN_DEVICE", "llvmpipe", TRUE);
  gpu = ave_compute_new_for_settings (TRUE, 0, &notice);
  g_test_message ("%s", notice);
  g_assert_true (g_str_has_prefix (ave_compute_get_name (gpu), "vulkan"));

  plan_add (plan, 0.0, 2.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 6.0, 8.0, AVE_TRANSITION_CROSSFADE, 0.8);
  plan_add (plan, 3.0, 4.5, AVE_TRANSITION_FADE, 0.6);

  g_assert_true (ave_composer_render (plan, NULL, settings, cpu, cpu_out, &result,
                                      NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ave_composer_render (plan, NULL, settings, gpu, gpu_out, &result,
                                      NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* encoder settings are the same, so compare what the frames decode to */
  cpu_md5 = ave_test_sh_output ("ffmpeg -v error -nostdin -i '%s' -map 0:v -f md5 -", cpu_out);
  gpu_md5 = ave_test_sh_output ("ffmpeg -v error -nostdin -i '%s' -map 0:v -f md5 -", gpu_out);
  g_assert_cmpstr (cpu_md5, ==, gpu_md5);
}
#endif

/* Mean luma of the four quadrants (TL, TR, BL, BR). */
static void
quadrants (const char *path,
           gboolean    autorotate,
           double      out[4])
{
  g_autofree char *raw = g_strdup_printf ("%s.quad", path);
  g_autofree char *data = NULL;
  gsize length = 0;

  ave_test_sh ("ffmpeg -v error -nostdin -y %s -i '%s' -frames:v 1 -vf scale=2:2:flags=area "
               "-pix_fmt yuv420p -f rawvideo '%s'", autorotate ? "" : "-noautorotate", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  g_assert_cmpuint (length, >=, 4);
  for (int i = 0; i < 4; i++)
    out[i] = (guint8) data[i];
}

static void
test_rotation (void)
{
  const char *coded = ave_test_ffmpeg_media ("upright.mp4",
                             "-f lavfi -i \"color=c=black:s=320x240:r=25:d=3,"
                             "drawbox=x=0:y=0:w=320:h=120:color=white:t=fill\" "
                             "-f lavfi -i sine=f=440:r=48000:d=3 "
                             "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest");
  g_autofree char *rotated = ave_test_path ("rotated.mp4");
  g_autofree char *output = ave_test_path ("rotated-out.mp4");
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (rotated, 3.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) video = NULL;
  AveComposeResult result = { 0 };
  double want[4], got[4];
  g_autofree char *side = NULL;

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -c copy -metadata:s:v:0 rotate=90 '%s'", coded, rotated);

  plan_add (plan, 0.5, 2.5, AVE_TRANSITION_CUT, 0.0);
  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);

  video = probe (output, "-select_streams v:0 -show_entries stream=width,height");
  g_assert_cmpint ((int) probe_double (video, "width"), ==, 240);
  g_assert_cmpint ((int) probe_double (video, "height"), ==, 320);
  /* upright pixels, so no display matrix is needed any more */
  side = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries stream_side_data "
                             "-of csv=p=0 '%s'", output);
  g_assert_null (strstr (side, "Display Matrix"));

  /* Same picture as FFmpeg's own rotation of the source for display. */
  quadrants (rotated, TRUE, want);
  quadrants (output, FALSE, got);
  g_assert_cmpfloat (fabs ((want[0] + want[2]) - (want[1] + want[3])), >, 200.0);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (fabs (want[i] - got[i]), <, 30.0);
}

static void
test_audio_only (void)
{
  const char *source = ave_test_ffmpeg_media ("tone-only.mp4",
                              "-f lavfi -i sine=f=440:r=44100:d=6 -c:a aac");
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 6.0);
  g_autofree char *output = ave_test_path ("audio-only-out.mp4");
  g_autofree char *codecs = NULL;
  g_autoptr(GError) error = NULL;
  AveComposeResult result = { 0 };

  plan_add (plan, 0.5, 2.5, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 3.0, 5.2, AVE_TRANSITION_CUT, 0.0);
  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);

  codecs = stream_codecs (output);
  g_assert_cmpstr (codecs, ==, "aac");
  g_assert_cmpint (result.video_frames, ==, 0);
  g_assert_cmpfloat (fabs (format_duration (output) - 4.2), <=, 0.011);
  g_assert_cmpfloat (fabs (ffmpeg_loudness (output) - settings->loudness_target), <=, 1.0);
}

static void
test_video_only (void)
{
  const char *source = ave_test_ffmpeg_media ("pattern-only.mp4",
                              "-f lavfi -i testsrc2=s=320x240:r=30:d=6 -c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 6.0);
  g_autofree char *output = ave_test_path ("video-only-out.mp4");
  g_autofree char *codecs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) video = NULL;
  AveComposeResult result = { 0 };

  plan_add (plan, 0.2, 2.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 3.0, 5.5, AVE_TRANSITION_CROSSFADE, 0.5);
  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);

  codecs = stream_codecs (output);
  g_assert_cmpstr (codecs, ==, "h264");
  video = probe (output, "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames,r_frame_rate");
  g_assert_cmpstr (g_hash_table_lookup (video, "r_frame_rate"), ==, "30/1");
  g_assert_cmpfloat (fabs (probe_double (video, "nb_read_frames") - 3.8 * 30), <=, 1.0);
  g_assert_cmpint (result.video_frames, ==, (gint64) probe_double (video, "nb_read_frames"));
}

static void
test_vfr (void)
{
  /* 30 fps for 3 s, then every third frame (10 fps) for 3 s: 20 fps average */
  const char *source = ave_test_ffmpeg_media ("vfr.mp4",
                              "-f lavfi -i testsrc2=s=160x120:r=30:d=6 "
                              "-f lavfi -i sine=f=440:r=48000:d=6 "
                              "-vf \"select='lt(t\\,3)+not(mod(n\\,3))'\" -vsync vfr "
                              "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest");
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 6.0);
  g_autofree char *output = ave_test_path ("vfr-out.mp4");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) video = NULL;
  g_autofree char *pts = NULL;
  g_auto(GStrv) lines = NULL;
  AveComposeResult result = { 0 };
  double fps, previous = -1.0, step = -1.0;
  guint n = 0;

  plan_add (plan, 1.0, 5.0, AVE_TRANSITION_CUT, 0.0);
  g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_no_error (error);
  ave_test_assert_decodes_cleanly (output);

  video = probe (output, "-select_streams v:0 -count_frames -show_entries stream=nb_read_frames,avg_frame_rate");
  fps = result.video_frames / result.output_duration;
  g_assert_cmpfloat (fabs (fps - 20.0), <, 1.0);
  g_assert_cmpfloat (fabs (result.output_duration - 4.0), <=, 1.0 / fps);
  g_assert_cmpint ((gint64) probe_double (video, "nb_read_frames"), ==, result.video_frames);

  /* constant frame rate: every frame lasts the same */
  pts = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries frame=pts_time "
                            "-of default=nw=1:nk=1 '%s'", output);
  lines = g_strsplit (g_strstrip (pts), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      double t;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      t = g_ascii_strtod (lines[i], NULL);
      n++;
      if (previous >= 0.0)
        {
          if (step < 0.0)
            step = t - previous;
          g_assert_cmpfloat (fabs ((t - previous) - step), <, 1e-3);
        }
      previous = t;
    }
  g_assert_cmpuint (n, ==, result.video_frames);
}

static void
test_cancel (void)
{
  const char *source = bars_media ();
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  g_autofree char *output = ave_test_path ("cancelled.mp4");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  ProgressLog log = { fractions, 0.4, cancellable };
  g_autoptr(GError) error = NULL;
  AveComposeResult result = { 0 };

  plan_add (plan, 0.0, 10.0, AVE_TRANSITION_CUT, 0.0);
  g_assert_false (render (plan, settings, output, &result, &log, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), <, 0.6);
}

static void
test_write_error (void)
{
  const char *source = bars_media ();
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  g_autofree char *output = ave_test_path ("no-such-folder/out.mp4");
  g_autoptr(GError) error = NULL;
  AveComposeResult result = { 0 };

  plan_add (plan, 1.0, 2.0, AVE_TRANSITION_CUT, 0.0);
  g_assert_false (render (plan, settings, output, &result, NULL, NULL, &error));
  g_assert_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, output));
}

static void
test_limiter (void)
{
  const int rate = 48000, n = rate;
  g_autoptr(AveLimiter) limiter = _ave_limiter_new (2, rate, -1.5, 0.005, 0.08);
  g_autofree float *left = g_new (float, n + 1000);
  g_autofree float *right = g_new (float, n + 1000);
  float *planes[2] = { left, right };
  g_autofree float *interleaved = g_new (float, 2 * (gsize) n);
  const float ceiling = powf (10.0f, -1.5f / 20.0f);
  gsize latency = _ave_limiter_get_latency (limiter);
  gsize got;
  ebur128_state *meter;
  double true_peak = 0.0;

  /* 0.5 s of a quiet tone, then a tone near half the sample rate at twice
   * full scale: sample peaks alone would miss its inter-sample peaks. */
  for (int i = 0; i < n; i++)
    {
      double t = (double) i / rate;
      left[i] = i < n / 2 ? (float) (0.25 * sin (2 * G_PI * 1000 * t))
                          : (float) (2.0 * sin (2 * G_PI * 11025 * t + 0.3));
      right[i] = left[i] * 0.5f;
    }
  {
    g_autofree float *orig = g_memdup2 (left, sizeof (float) * (gsize) n);

    got = _ave_limiter_process (limiter, (const float * const *) planes, (gsize) n, planes);
    g_assert_cmpuint (got, ==, (gsize) n - latency);
    got += _ave_limiter_flush (limiter, (float *[]) { left + got, right + got });
    g_assert_cmpuint (got, ==, (gsize) n);

    /* quiet part untouched (only delayed) */
    for (int i = 0; i < n / 2 - 2000; i++)
      g_assert_cmpfloat (fabsf (left[i] - orig[i]), <, 1e-6);
  }

  for (int i = 0; i < n; i++)
    {
      g_assert_cmpfloat (fabsf (left[i]), <=, ceiling * 1.0001f);
      interleaved[2 * i] = left[i];
      interleaved[2 * i + 1] = right[i];
    }
  meter = ebur128_init (2, (unsigned) rate, EBUR128_MODE_TRUE_PEAK);
  ebur128_add_frames_float (meter, interleaved, (size_t) n);
  ebur128_true_peak (meter, 0, &true_peak);
  ebur128_destroy (&meter);
  g_test_message ("true peak %.2f dBTP", 20 * log10 (true_peak));
  g_assert_cmpfloat (20 * log10 (true_peak), <, -1.0);
  g_assert_cmpfloat (_ave_limiter_get_max_reduction_db (limiter), <, -6.0);
}

/* Peak memory of a 1080p render, measured in a fresh process so that the
 * other tests' allocations do not count. */
static void
test_memory_1080p (void)
{
  if (g_test_subprocess ())
    {
      const char *source = g_getenv ("AVE_TEST_1080P_SOURCE");
      g_autoptr(AveSettings) settings = test_settings ();
      g_autoptr(AvePlan) plan = ave_plan_new (source, 3.0);
      g_autofree char *output = ave_test_path ("big-out.mp4");
      g_autoptr(GError) error = NULL;
      AveComposeResult result = { 0 };
      struct rusage usage;

      /* What a 400 MiB budget asks of the encoder (look-ahead, threads). */
      g_free (settings->encoder_preset);
      settings->encoder_preset = g_strdup ("veryfast");
      settings->encoder_threads = 0;
      settings->max_memory_bytes = 400 * 1024 * 1024;
      ave_settings_apply_memory_budget (settings);
      plan_add (plan, 0.0, 1.2, AVE_TRANSITION_CUT, 0.0);
      plan_add (plan, 1.6, 3.0, AVE_TRANSITION_CROSSFADE, 0.4);
      g_assert_true (render (plan, settings, output, &result, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (getrusage (RUSAGE_SELF, &usage), ==, 0);
      g_printerr ("peak RSS %ld MiB (look-ahead %u, %u threads)\n", usage.ru_maxrss / 1024,
                  settings->encoder_lookahead,
                  settings->encoder_threads > 0 ? settings->encoder_threads : settings->n_workers);
      if (!AVE_TEST_ASAN)
        g_assert_cmpint (usage.ru_maxrss, <, 400 * 1024);
      return;
    }

  {
    const char *source = ave_test_ffmpeg_media ("big.mp4",
                                "-f lavfi -i testsrc2=s=1920x1080:r=25:d=3 "
                                "-f lavfi -i sine=f=440:r=48000:d=3 "
                                "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest");
    g_setenv ("AVE_TEST_1080P_SOURCE", source, TRUE);
    /* meson sets MALLOC_PERTURB_, which writes every allocation and so
     * makes memory resident that a real run never touches. */
    g_unsetenv ("MALLOC_PERTURB_");
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed ();
    if (AVE_TEST_ASAN)
      g_test_skip (AVE_TEST_ASAN_SKIP_RSS_LIMIT);
  }
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/composer/limiter", test_limiter);
  g_test_add_func ("/engine/composer/duration", test_duration);
  g_test_add_func ("/engine/composer/av-sync", test_av_sync);
  g_test_add_func ("/engine/composer/loudness", test_loudness);
  g_test_add_func ("/engine/composer/speech-loudness", test_speech_loudness);
  g_test_add_func ("/engine/composer/no-click", test_no_click);
  g_test_add_func ("/engine/composer/transitions", test_transitions);
  g_test_add_func ("/engine/composer/rotation", test_rotation);
#if HAVE_VULKAN
  g_test_add_func ("/engine/composer/vulkan-same-as-cpu", test_vulkan_same_as_cpu);
#endif
  g_test_add_func ("/engine/composer/audio-only", test_audio_only);
  g_test_add_func ("/engine/composer/video-only", test_video_only);
  g_test_add_func ("/engine/composer/vfr", test_vfr);
  g_test_add_func ("/engine/composer/cancel", test_cancel);
  g_test_add_func ("/engine/composer/write-error", test_write_error);
  g_test_add_func ("/engine/composer/memory-1080p", test_memory_1080p);
  return g_test_run ();
}
