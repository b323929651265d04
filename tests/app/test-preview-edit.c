/* test-preview-edit.c — the app's preview plays the edit: after a seek in
 * output time it shows the edit stream's frame of that time (the engine's
 * composer, which test-edit-stream checks against the render), frame steps
 * move by frames of the edit, and playback keeps time.
 *
 * Needs a display: run under xvfb-run.  With --bench CLIP it measures
 * instead (bench/bench-ui.sh): seek latency and playback frame rate on
 * CLIP. */
#define G_LOG_DOMAIN "ave-test-preview-edit"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <gtk/gtk.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "compose/ave-edit-stream.h"
#include "core/ave-files.h"
#include "director/ave-plan.h"
#include "media/ave-proxy.h"
#include "ave-preview.h"

typedef gboolean (*Condition) (gpointer data);

static void
wait_for (Condition    condition,
          gpointer     data,
          double       seconds,
          const char  *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %.0f s waiting for %s", seconds, what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
spin (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

typedef struct
{
  AvePreview *preview;
  gint64      frame;
} FrameWait;

static gboolean
shows_frame (gpointer data)
{
  FrameWait *wait = data;

  return ave_preview_get_shown_frame (wait->preview) == wait->frame;
}

static void
add_segment (AvePlan           *plan,
             double             start,
             double             end,
             AveTransitionType  transition,
             double             duration)
{
  AveSegment s = { .start = start, .end = end, .enabled = TRUE,
                   .transition = transition, .transition_duration = duration };

  g_assert_true (ave_plan_append_segment (plan, &s));
}

static double
psnr (const guint8 *a,
      int           a_stride,
      const guint8 *b,
      int           b_stride,
      int           width,
      int           height)
{
  double sum = 0.0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        {
          double d = (double) a[y * a_stride + 4 * x + c] - (double) b[y * b_stride + 4 * x + c];
          sum += d * d;
        }
  sum /= (double) width * height * 3;
  return sum > 0.0 ? 10.0 * log10 (255.0 * 255.0 / sum) : 99.0;
}

/* The preview's picture now against the stream's frame of output time t. */
static void
assert_shows (AvePreview    *preview,
              AveEditStream *stream,
              double         t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveEditFrame) frame = NULL;
  g_autofree guint8 *pixels = NULL;
  GdkTexture *texture;
  int stride;
  double db;

  g_assert_true (ave_edit_stream_seek (stream, t, &error));
  frame = ave_edit_stream_next (stream, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ave_preview_get_shown_frame (preview), ==, frame->index);

  texture = ave_preview_get_shown_texture (preview);
  g_assert_nonnull (texture);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, frame->width);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, frame->height);
  /* GTK 4.8 downloads as cairo's ARGB32: B, G, R, A bytes here */
  stride = 4 * frame->width;
  pixels = g_malloc ((gsize) stride * frame->height);
  gdk_texture_download (texture, pixels, stride);
  for (gsize i = 0; i < (gsize) stride * frame->height; i += 4)
    {
      guint8 b = pixels[i];
      pixels[i] = pixels[i + 2];
      pixels[i + 2] = b;
    }
  db = psnr (pixels, stride, frame->rgba, frame->stride, frame->width, frame->height);
  g_test_message ("output %.2f s: frame %" G_GINT64_FORMAT ", %.1f dB against the stream",
                  t, frame->index, db);
  g_assert_cmpfloat (db, >=, 50.0);
}

static AvePlan *
edit_plan (const char *sample,
           double      duration)
{
  AvePlan *plan = ave_plan_new (sample, duration);
  g_autoptr(AveCard) title = ave_card_new_title ("Part Two", NULL, 1, 1.0);
  g_autoptr(AveCard) lower = ave_card_new_overlay ("Ada Lovelace", "Speaker", 1.0, 1.5);

  /* 0-3 s output: [1, 4]; a title card 3-4 s; [5, 8] 4-7 s crossfading
   * (1 s) into [8.5, 10] at 6-7.5 s */
  add_segment (plan, 1.0, 4.0, AVE_TRANSITION_CUT, 0.0);
  add_segment (plan, 5.0, 8.0, AVE_TRANSITION_CUT, 0.0);
  add_segment (plan, 8.5, 10.0, AVE_TRANSITION_CROSSFADE, 1.0);
  g_assert_cmpint (ave_plan_add_card (plan, title), >=, 0);
  g_assert_cmpint (ave_plan_add_card (plan, lower), >=, 0);
  return plan;
}

static void
test_seek_shows_edit (void)
{
  const char *sample = ave_test_sample ("preview-talk.mp4", 10.5, 320, 180);
  g_autoptr(AvePlan) plan = edit_plan (sample, 10.5);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveEditStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *preview = ave_preview_new ();
  static const double times[] = { 0.5, 1.8, 3.5, 6.5, 7.2, 2.0 };
  double fps;

  gtk_window_set_child (GTK_WINDOW (window), preview);
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 300);
  gtk_window_present (GTK_WINDOW (window));
  /* the source's own pictures, compared bit for bit below (the proxy's
   * are checked in /app/preview-edit/proxy): with proxies off a proxy in
   * the cache is neither made nor used */
  {
    g_autofree char *proxy = ave_proxy_make (sample, 640, 360, NULL, NULL, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (proxy);
  }
  ave_preview_set_use_proxies (AVE_PREVIEW (preview), FALSE);
  ave_preview_set_source (AVE_PREVIEW (preview), sample);
  ave_preview_set_plan (AVE_PREVIEW (preview), plan);
  g_assert_true (ave_preview_get_plays_edit (AVE_PREVIEW (preview)));
  g_assert_false (ave_preview_get_preparing_proxy (AVE_PREVIEW (preview)));

  /* the stream the preview should show: the same plan, the same size box */
  stream = ave_edit_stream_open (plan, settings, NULL, 640, 360, NAN, NULL, &error);
  g_assert_no_error (error);
  fps = ave_edit_stream_get_frame_rate (stream);

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      FrameWait wait = { AVE_PREVIEW (preview), ave_edit_stream_frame_at (stream, times[i]) };

      ave_preview_seek_output (AVE_PREVIEW (preview), times[i]);
      wait_for (shows_frame, &wait, 60, "the frame of the seek");
      g_assert_cmpfloat (fabs (ave_preview_get_output_position (AVE_PREVIEW (preview)) - times[i]), <=, 1.0 / fps);
      assert_shows (AVE_PREVIEW (preview), stream, times[i]);
    }
  g_assert_false (ave_preview_get_uses_proxy (AVE_PREVIEW (preview)));

  /* Frame steps are frames of the edit: forward over the title card's
   * end, and back. */
  {
    FrameWait wait = { AVE_PREVIEW (preview), ave_edit_stream_frame_at (stream, 3.99) };

    ave_preview_seek_output (AVE_PREVIEW (preview), 3.99);
    wait_for (shows_frame, &wait, 60, "the last frame of the card");
    g_assert_true (gtk_widget_activate_action (preview, "preview.step", "i", 1));
    wait.frame++;
    wait_for (shows_frame, &wait, 60, "a step forward");
    assert_shows (AVE_PREVIEW (preview), stream, (double) wait.frame / fps);
    /* the timeline's playhead: the source moment of the segment after the card */
    g_assert_cmpfloat (fabs (ave_preview_get_position (AVE_PREVIEW (preview)) - 5.0), <=, 1.0 / fps);
    g_assert_true (gtk_widget_activate_action (preview, "preview.step", "i", -2));
    wait.frame -= 2;
    wait_for (shows_frame, &wait, 60, "two steps back");
    assert_shows (AVE_PREVIEW (preview), stream, (double) wait.frame / fps);
  }

  /* J goes back two seconds of the edit. */
  {
    FrameWait wait = { AVE_PREVIEW (preview), ave_edit_stream_frame_at (stream, 3.0) };

    ave_preview_seek_output (AVE_PREVIEW (preview), 5.0);
    g_assert_true (gtk_widget_activate_action (preview, "preview.back", NULL));
    wait_for (shows_frame, &wait, 60, "J");
    assert_shows (AVE_PREVIEW (preview), stream, 3.0);
  }

  /* An edit of the plan shows at once: the first segment cut, the edit
   * starts on the title card (the gain of the plan before until the new
   * one is measured: pictures do not depend on it). */
  {
    g_autoptr(AveEditStream) edited = NULL;
    FrameWait wait = { AVE_PREVIEW (preview), -1 };

    g_assert_true (ave_plan_set_segment_enabled (plan, 0, FALSE));
    spin (0.1);
    edited = ave_edit_stream_open (plan, settings, NULL, 640, 360, NAN, NULL, &error);
    g_assert_no_error (error);
    wait.frame = ave_edit_stream_frame_at (edited, 0.5);
    ave_preview_seek_output (AVE_PREVIEW (preview), 0.5);
    wait_for (shows_frame, &wait, 60, "the edited plan");
    assert_shows (AVE_PREVIEW (preview), edited, 0.5);
    g_assert_true (ave_plan_set_segment_enabled (plan, 0, TRUE));
    spin (0.1);
    ave_preview_seek_output (AVE_PREVIEW (preview), 3.0);
    wait.frame = ave_edit_stream_frame_at (stream, 3.0);
    wait_for (shows_frame, &wait, 60, "the plan restored");
  }

  /* L plays on from there, K pauses: frames came and time went on. */
  {
    AveEditPlayerStats stats;
    double from = ave_preview_get_output_position (AVE_PREVIEW (preview));

    g_assert_true (gtk_widget_activate_action (preview, "preview.play", NULL));
    spin (1.0);
    g_assert_true (gtk_widget_activate_action (preview, "preview.pause", NULL));
    g_assert_false (ave_preview_get_playing (AVE_PREVIEW (preview)));
    g_assert_true (ave_preview_get_edit_stats (AVE_PREVIEW (preview), &stats));
    g_test_message ("played %.2f s of output: %" G_GINT64_FORMAT " frames shown, %" G_GINT64_FORMAT " late",
                    ave_preview_get_output_position (AVE_PREVIEW (preview)) - from,
                    stats.frames_shown, stats.frames_late);
    g_assert_cmpfloat (ave_preview_get_output_position (AVE_PREVIEW (preview)) - from, >, 0.5);
    g_assert_cmpint (stats.frames_shown, >, 5);
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
uses_proxy (gpointer data)
{
  return ave_preview_get_uses_proxy (data);
}

/* The preview makes the source's proxy on its own (in the cache folder:
 * here the test's), switches to it while playing without a jump, and a
 * seek after that shows the edit's frame of that time (+-1 frame), with
 * the picture of the render (30 dB at preview size, as the edit stream's
 * test holds the proxy to). */
static void
test_proxy (void)
{
  const char *sample = ave_test_sample ("preview-talk.mp4", 10.5, 320, 180);
  g_autoptr(AvePlan) plan = edit_plan (sample, 10.5);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveEditStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *proxies = g_build_filename (g_get_user_cache_dir (), "ai-video-editor", "proxies", NULL);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *preview = ave_preview_new ();
  static const double times[] = { 6.5, 3.5, 1.8, 7.2 };
  FrameWait wait = { AVE_PREVIEW (preview), 0 };
  double fps, before;

  g_assert_true (g_str_has_prefix (proxies, ave_test_tmpdir ()));
  g_assert_true (ave_preview_get_use_proxies (AVE_PREVIEW (preview)));
  gtk_window_set_child (GTK_WINDOW (window), preview);
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 300);
  gtk_window_present (GTK_WINDOW (window));
  ave_preview_set_source (AVE_PREVIEW (preview), sample);
  ave_preview_set_plan (AVE_PREVIEW (preview), plan);
  stream = ave_edit_stream_open (plan, settings, NULL, 640, 360, NAN, NULL, &error);
  g_assert_no_error (error);
  fps = ave_edit_stream_get_frame_rate (stream);

  /* playing from the source while the proxy is made, and on after the
   * switch: the clock never goes back */
  wait_for (shows_frame, &wait, 60, "the edit to open");
  g_assert_true (gtk_widget_activate_action (preview, "preview.play", NULL));
  wait_for (uses_proxy, preview, 60, "the proxy");
  g_assert_false (ave_preview_get_preparing_proxy (AVE_PREVIEW (preview)));
  g_assert_true (g_file_test (proxies, G_FILE_TEST_IS_DIR));
  before = ave_preview_get_output_position (AVE_PREVIEW (preview));
  spin (0.5);
  g_assert_true (ave_preview_get_playing (AVE_PREVIEW (preview)));
  g_assert_cmpfloat (ave_preview_get_output_position (AVE_PREVIEW (preview)), >, before);
  g_assert_true (gtk_widget_activate_action (preview, "preview.pause", NULL));

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autoptr(AveEditFrame) frame = NULL;
      g_autofree guint8 *pixels = NULL;
      GdkTexture *texture;
      int stride;
      double db;

      wait.frame = ave_edit_stream_frame_at (stream, times[i]);
      ave_preview_seek_output (AVE_PREVIEW (preview), times[i]);
      wait_for (shows_frame, &wait, 60, "the frame of the seek");
      g_assert_true (ave_preview_get_uses_proxy (AVE_PREVIEW (preview)));
      g_assert_cmpfloat (fabs (ave_preview_get_output_position (AVE_PREVIEW (preview)) - times[i]), <=, 1.0 / fps);

      /* the picture: the stream's on the source, within what the proxy's
       * encoding costs */
      g_assert_true (ave_edit_stream_seek (stream, times[i], &error));
      frame = ave_edit_stream_next (stream, &error);
      g_assert_no_error (error);
      texture = ave_preview_get_shown_texture (AVE_PREVIEW (preview));
      g_assert_cmpint (gdk_texture_get_width (texture), ==, frame->width);
      stride = 4 * frame->width;
      pixels = g_malloc ((gsize) stride * frame->height);
      gdk_texture_download (texture, pixels, stride);
      for (gsize k = 0; k < (gsize) stride * frame->height; k += 4)
        {
          guint8 b = pixels[k];
          pixels[k] = pixels[k + 2];
          pixels[k + 2] = b;
        }
      db = psnr (pixels, stride, frame->rgba, frame->stride, frame->width, frame->height);
      g_test_message ("proxy, output %.2f s: frame %" G_GINT64_FORMAT ", %.1f dB against the stream on the source",
                      times[i], frame->index, db);
      g_assert_cmpfloat (db, >=, 30.0);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------ bench */

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
process_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

static guint
count_over (GArray *values,
            double  limit)
{
  guint n = 0;

  for (guint i = 0; i < values->len; i++)
    n += g_array_index (values, double, i) > limit;
  return n;
}

static char *
load_average (void)
{
  static char text[64];
  g_autofree char *contents = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &contents, NULL, NULL))
    return "unknown";
  g_strlcpy (text, contents, sizeof text);
  if (strchr (text, ' ') != NULL)
    *strchr (text, ' ') = '\0';
  return text;
}

/* Seeks to the golden-ratio sequence of output times (the targets
 * bench/ges-seek.py seeks to as well: equal work), spread over the edit
 * without repeats; prints the latency and CPU figures under `label`. */
static void
measure_seeks (AvePreview *preview,
               AvePlan    *plan,
               double      fps,
               int         n_seeks,
               const char *label)
{
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
  double duration = ave_plan_get_output_duration (plan);
  FrameWait wait = { preview, -1 };
  int width = 0, height = 0;

  for (int i = 0; i < n_seeks; i++)
    {
      double t = fmod ((i + 1) * 0.6180339887498949, 1.0) * (duration - 0.5);
      gint64 start;
      double ms, cpu_start;

      wait.frame = (gint64) floor (t * fps + 1e-6);
      if (wait.frame == ave_preview_get_shown_frame (preview))
        continue;
      start = g_get_monotonic_time ();
      cpu_start = process_cpu_ms ();
      ave_preview_seek_output (preview, t);
      wait_for (shows_frame, &wait, 30, "a seek");
      ms = (g_get_monotonic_time () - start) / 1000.0;
      if (g_getenv ("AVE_BENCH_SEEKS") != NULL)
        g_print ("%s: seek to %.3f s (source %.3f s): %.0f ms\n", label, t, ave_plan_output_to_source (plan, t), ms);
      g_array_append_val (latencies, ms);
      ms = process_cpu_ms () - cpu_start;
      g_array_append_val (cpu, ms);
      spin (0.05);
    }
  g_array_sort (latencies, compare_doubles);
  g_array_sort (cpu, compare_doubles);
  {
    GdkTexture *texture = ave_preview_get_shown_texture (preview);

    width = texture != NULL ? gdk_texture_get_width (texture) : 0;
    height = texture != NULL ? gdk_texture_get_height (texture) : 0;
  }
  /* CPU time (all threads) tells what a seek costs when the machine is
   * shared: on two idle cores the latency is about that. */
  g_print ("seek latency %s (%dx%d pictures, %u seeks): median %.0f ms, 90th percentile %.0f ms, max %.0f ms, "
           "%u over 150 ms; CPU per seek: median %.0f ms, max %.0f ms; load average %s\n",
           label, width, height, latencies->len,
           g_array_index (latencies, double, latencies->len / 2),
           g_array_index (latencies, double, (latencies->len * 9) / 10),
           g_array_index (latencies, double, latencies->len - 1),
           count_over (latencies, 150.0),
           g_array_index (cpu, double, cpu->len / 2),
           g_array_index (cpu, double, cpu->len - 1), load_average ());
}

static gboolean
uses_proxy_now (gpointer data)
{
  return ave_preview_get_uses_proxy (data);
}

static int
bench (const char *clip,
       int         n_seeks)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (clip, &error);
  g_autoptr(AvePlan) plan = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *preview = ave_preview_new ();
  AveEditPlayerStats stats;
  double duration, fps = 0.0, played;
  FrameWait wait = { AVE_PREVIEW (preview), -1 };

  if (info == NULL)
    g_error ("%s", error->message);
  /* an edit that removes pauses: keep 1.6 s of every 2 s, with a
   * crossfade every fourth cut */
  plan = ave_plan_new (clip, info->duration);
  for (double t = 0.0; t + 1.6 <= info->duration; t += 2.0)
    add_segment (plan, t, t + 1.6, (int) (t / 2.0) % 4 == 3 ? AVE_TRANSITION_CROSSFADE : AVE_TRANSITION_CUT,
                 (int) (t / 2.0) % 4 == 3 ? 0.4 : 0.0);
  duration = ave_plan_get_output_duration (plan);

  gtk_window_set_child (GTK_WINDOW (window), preview);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  gtk_window_present (GTK_WINDOW (window));
  /* first the source itself, as before a proxy exists */
  ave_preview_set_use_proxies (AVE_PREVIEW (preview), FALSE);
  ave_preview_set_source (AVE_PREVIEW (preview), clip);
  ave_preview_set_plan (AVE_PREVIEW (preview), plan);
  wait.frame = 0;
  wait_for (shows_frame, &wait, 120, "the edit to open");
  fps = info->frame_rate;
  measure_seeks (AVE_PREVIEW (preview), plan, fps, n_seeks, "on the source");

  /* the proxy, made here to time it (the app makes it on a thread of
   * lower priority while the preview plays), then found by the preview */
  {
    gint64 start = g_get_monotonic_time ();
    double cpu_start = process_cpu_ms ();
    g_autofree char *proxy = ave_proxy_make (clip, 640, 360, NULL, NULL, NULL, NULL, &error);
    double wall = (g_get_monotonic_time () - start) / 1e6, cpu_s = (process_cpu_ms () - cpu_start) / 1000.0;
    GStatBuf st;

    if (proxy == NULL)
      g_error ("%s", error->message);
    if (g_stat (proxy, &st) != 0)
      g_error ("%s: %s", proxy, g_strerror (errno));
    g_print ("proxy of the %.0f s %dx%d clip: built in %.1f s (%.1f s CPU, %.2fx real time), "
             "%.1f MB (%.0f kB/s of video)\n",
             info->duration, info->display_width, info->display_height, wall, cpu_s, info->duration / wall,
             st.st_size / 1e6, st.st_size / 1e3 / info->duration);
  }
  ave_preview_set_use_proxies (AVE_PREVIEW (preview), TRUE);
  wait_for (uses_proxy_now, preview, 60, "the preview to use the proxy");
  measure_seeks (AVE_PREVIEW (preview), plan, fps, n_seeks, "with the proxy");

  ave_preview_seek_output (AVE_PREVIEW (preview), 0.0);
  wait.frame = 0;
  wait_for (shows_frame, &wait, 30, "the start");
  ave_preview_play (AVE_PREVIEW (preview));
  spin (MIN (10.0, duration - 0.5));
  ave_preview_get_edit_stats (AVE_PREVIEW (preview), &stats);
  ave_preview_pause (AVE_PREVIEW (preview));
  played = stats.played_seconds;
  {
    GdkTexture *texture = ave_preview_get_shown_texture (AVE_PREVIEW (preview));
    double shown_fps = stats.frames_shown / MAX (played, 1e-3);

    g_print ("playback at %dx%d with the proxy: %.1f s of output, %" G_GINT64_FORMAT " frames shown (%.1f fps of %.1f), "
             "%" G_GINT64_FORMAT " late; %s; clock: %s\n",
             texture != NULL ? gdk_texture_get_width (texture) : 0,
             texture != NULL ? gdk_texture_get_height (texture) : 0,
             played, stats.frames_shown, shown_fps, fps, stats.frames_late,
             shown_fps >= 0.95 * fps ? "real time held" : "real time NOT held",
             stats.audio_clock ? "the sound" : "monotonic (no audio device)");
  }
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc >= 3 && g_str_equal (argv[1], "--bench"))
    {
      /* a cache folder of its own: the proxy is made (and timed) anew */
      g_autofree char *cache = g_dir_make_tmp ("ave-bench-cache-XXXXXX", NULL);
      int status;

      if (cache == NULL)
        g_error ("Cannot make a temporary folder");
      g_setenv ("XDG_CACHE_HOME", cache, TRUE);
      ave_media_set_ffmpeg_log (FALSE);
      gtk_init ();
      status = bench (argv[2], argc >= 4 ? atoi (argv[3]) : 20);
      ave_remove_tree_nofollow (cache);
      return status;
    }

  ave_test_init (&argc, &argv);
  /* proxies go to the cache folder: the test's own */
  {
    g_autofree char *cache = ave_test_path ("cache");
    g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  }
  gtk_init ();
  g_test_add_func ("/app/preview-edit/seek-shows-edit", test_seek_shows_edit);
  g_test_add_func ("/app/preview-edit/proxy", test_proxy);
  return g_test_run ();
}
