/* test-dbus-service.c — the engine's D-Bus API as a client meets it.
 *
 * Runs under `dbus-run-session --config-file tests/dbus/session.conf` with
 * no DISPLAY: the bus starts `ai-video-editor --gapplication-service` by
 * D-Bus activation from the .service file next to that config (a job limit
 * of 2, an idle timeout of 3 s).  Plain GDBus calls, as any client would
 * make them. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "ave-test-util.h"

#define BUS_NAME    "io.github.aivideoeditor.Editor"
#define ENGINE_PATH "/io/github/aivideoeditor/Editor"
#define ENGINE_IFACE "io.github.aivideoeditor.Editor.Engine1"
#define JOB_IFACE   "io.github.aivideoeditor.Editor.Job1"

/* The generated talk (speech, pauses, fillers): every stage has work. */
static const char *
short_clip (void)
{
  return ave_test_sample ("talk.mp4", 6, 320, 180);
}

/* Long enough to be caught running (several seconds here). */
static const char *
long_clip (void)
{
  return ave_test_ffmpeg_media ("long.mp4",
                                "-v error -f lavfi -i testsrc=s=320x240:d=20:r=25 -f lavfi -i sine=f=440:d=20 "
                                "-shortest -c:v libx264 -pix_fmt yuv420p -c:a aac");
}

static GDBusConnection *
connect_bus (void)
{
  g_autoptr(GError) error = NULL;
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  GDBusConnection *connection;

  g_assert_nonnull (address);
  /* Each call a connection of its own: a distinct sender. */
  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                       | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static GVariant *
call (GDBusConnection *c, const char *path, const char *iface, const char *method,
      GVariant *args, const char *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (c, BUS_NAME, path, iface, method, args,
                                      reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 120000, NULL, error);
}

static GVariant *
options_for (const char *output_dir, const char *extra_key, GVariant *extra_value)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  if (output_dir != NULL)
    g_variant_builder_add (&b, "{sv}", "output-dir", g_variant_new_string (output_dir));
  if (extra_key != NULL)
    g_variant_builder_add (&b, "{sv}", extra_key, extra_value);
  return g_variant_builder_end (&b);
}

/* Process(inputs, options) → the job paths. */
static GStrv
start (GDBusConnection *c, const char *method, const char * const *inputs, GVariant *options, GError **error)
{
  g_autoptr(GVariant) reply = call (c, ENGINE_PATH, ENGINE_IFACE, method,
                                    g_variant_new ("(^as@a{sv})", inputs, options), "(ao)", error);
  GStrv paths = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(^ao)", &paths);
  return paths;
}

static char *
start_one (GDBusConnection *c, const char *input, const char *output_dir)
{
  g_autoptr(GError) error = NULL;
  const char *inputs[] = { input, NULL };
  g_auto(GStrv) paths = start (c, "Process", inputs, options_for (output_dir, NULL, NULL), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (paths), ==, 1);
  return g_strdup (paths[0]);
}

static char *
get_string (GDBusConnection *c, const char *job, const char *property)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (c, job, "org.freedesktop.DBus.Properties", "Get",
                                    g_variant_new ("(ss)", JOB_IFACE, property), "(v)", &error);
  g_autoptr(GVariant) value = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

/* Spins the default context until the job's State is `state`. */
static void
wait_for_state (GDBusConnection *c, const char *job, const char *state)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *now = get_string (c, job, "State");

      if (g_str_equal (now, state))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s stayed %s, never %s", job, now, state);
      g_usleep (50000);
    }
}

/* ------------------------------------------------ signals of one job */

typedef struct
{
  char      *job;
  GPtrArray *stage_events;   /* "stage:status" */
  guint      n_progress;
  double     last_progress;
  char      *finished_state;
  char      *finished_error;
  char      *finished_output;
  GMainLoop *loop;
} JobWatch;

static void
on_job_signal (GDBusConnection *c, const char *sender, const char *path, const char *iface,
               const char *signal, GVariant *params, gpointer user_data)
{
  JobWatch *w = user_data;

  if (w->job == NULL || !g_str_equal (path, w->job))
    return;
  if (g_str_equal (signal, "StageChanged"))
    {
      const char *stage, *status;
      g_variant_get (params, "(&s&s)", &stage, &status);
      g_ptr_array_add (w->stage_events, g_strdup_printf ("%s:%s", stage, status));
    }
  else if (g_str_equal (signal, "Progress"))
    {
      const char *stage;
      double fraction, progress;
      g_variant_get (params, "(&sdd)", &stage, &fraction, &progress);
      g_assert_cmpfloat (progress, >=, 0);
      g_assert_cmpfloat (progress, <=, 1);
      w->n_progress++;
      w->last_progress = progress;
    }
  else if (g_str_equal (signal, "Finished"))
    {
      g_variant_get (params, "(sss)", &w->finished_state, &w->finished_error, &w->finished_output);
      g_main_loop_quit (w->loop);
    }
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("no Finished signal within the time allowed");
  return G_SOURCE_REMOVE;
}

static void
wait_finished (JobWatch *w)
{
  guint timeout = g_timeout_add_seconds (180, on_timeout, NULL);

  if (w->finished_state == NULL)
    g_main_loop_run (w->loop);
  g_source_remove (timeout);
}

static guint
watch (GDBusConnection *c, JobWatch *w)
{
  w->stage_events = g_ptr_array_new_with_free_func (g_free);
  w->loop = g_main_loop_new (NULL, FALSE);
  return g_dbus_connection_signal_subscribe (c, NULL, JOB_IFACE, NULL, NULL, NULL,
                                             G_DBUS_SIGNAL_FLAGS_NONE, on_job_signal, w, NULL);
}

static void
watch_clear (GDBusConnection *c, guint id, JobWatch *w)
{
  g_dbus_connection_signal_unsubscribe (c, id);
  g_ptr_array_unref (w->stage_events);
  g_main_loop_unref (w->loop);
  g_free (w->job);
  g_free (w->finished_state);
  g_free (w->finished_error);
  g_free (w->finished_output);
}

/* Ready to follow another job. */
static void
watch_reset (JobWatch *w)
{
  g_clear_pointer (&w->job, g_free);
  g_clear_pointer (&w->finished_state, g_free);
  g_clear_pointer (&w->finished_error, g_free);
  g_clear_pointer (&w->finished_output, g_free);
  g_ptr_array_set_size (w->stage_events, 0);
}

static gboolean
has_event (JobWatch *w, const char *event)
{
  for (guint i = 0; i < w->stage_events->len; i++)
    if (g_str_equal (g_ptr_array_index (w->stage_events, i), event))
      return TRUE;
  return FALSE;
}

static char *
fresh_dir (const char *name)
{
  char *dir = ave_test_path (name);

  ave_test_sh ("rm -rf '%s' && mkdir -p '%s'", dir, dir);
  return dir;
}

/* --------------------------------------------------------------- tests */

static void
test_no_display (void)
{
  /* The point of the service: it runs where there is no display. */
  g_assert_null (g_getenv ("DISPLAY"));
  g_assert_null (g_getenv ("WAYLAND_DISPLAY"));
}

/* A file processed over the bus: every stage reported, then the result. */
static void
test_process_reports_every_stage (void)
{
  g_autoptr(GDBusConnection) c = connect_bus ();
  g_autofree char *out = fresh_dir ("dbus-process");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autofree char *final = NULL;
  JobWatch w = { 0 };
  guint id = watch (c, &w);
  const char *stages[] = { "audio_analysis", "video_analysis", "director", "assets", "composition" };

  {
    /* A valid typed option is taken as the command line takes it. */
    const char *inputs[] = { short_clip (), NULL };
    g_auto(GStrv) jobs = start (c, "Process", inputs, options_for (out, "max-workers", g_variant_new_uint32 (2)), &error);

    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length (jobs), ==, 1);
    w.job = g_strdup (jobs[0]);
  }
  g_assert_true (g_str_has_prefix (w.job, ENGINE_PATH "/jobs/"));
  wait_finished (&w);

  g_assert_cmpstr (w.finished_state, ==, "done");
  g_assert_cmpstr (w.finished_error, ==, "");
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    {
      g_autofree char *started = g_strdup_printf ("%s:started", stages[i]);
      g_autofree char *finished = g_strdup_printf ("%s:finished", stages[i]);
      g_autofree char *skipped = g_strdup_printf ("%s:skipped", stages[i]);

      if (!has_event (&w, skipped))
        {
          g_assert_true (has_event (&w, started));
          g_assert_true (has_event (&w, finished));
        }
    }
  g_assert_cmpuint (w.n_progress, >, 0);

  /* The properties tell the same story. */
  reply = call (c, w.job, "org.freedesktop.DBus.Properties", "GetAll",
                g_variant_new ("(s)", JOB_IFACE), "(a{sv})", &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) props = g_variant_get_child_value (reply, 0);
    GVariantDict dict;
    const char *state = NULL, *output_dir = NULL;
    double progress = 0;
    guint64 peak = 0;

    g_variant_dict_init (&dict, props);
    g_assert_true (g_variant_dict_lookup (&dict, "State", "&s", &state));
    g_assert_cmpstr (state, ==, "done");
    g_assert_true (g_variant_dict_lookup (&dict, "Progress", "d", &progress));
    g_assert_cmpfloat (progress, ==, 1.0);
    g_assert_true (g_variant_dict_lookup (&dict, "OutputDir", "&s", &output_dir));
    g_assert_cmpstr (output_dir, ==, w.finished_output);
    g_assert_true (g_str_has_prefix (output_dir, out));
    g_assert_true (g_variant_dict_lookup (&dict, "PeakRssBytes", "t", &peak));
    g_assert_cmpuint (peak, >, 0);
    results = g_variant_dict_lookup_value (&dict, "Results", G_VARIANT_TYPE ("a{ss}"));
    g_assert_nonnull (results);
    g_assert_true (g_variant_lookup (results, "final", "s", &final));
    g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
    g_variant_dict_clear (&dict);
  }
  ave_test_assert_decodes_cleanly (final);

  /* ListJobs knows it. */
  {
    g_autoptr(GVariant) list = call (c, ENGINE_PATH, ENGINE_IFACE, "ListJobs", NULL, "(ao)", &error);
    g_auto(GStrv) jobs = NULL;

    g_assert_no_error (error);
    g_variant_get (list, "(^ao)", &jobs);
    g_assert_true (g_strv_contains ((const char * const *) jobs, w.job));
  }

  /* Render the plan it wrote again: a render job that reuses the analysis. */
  {
    g_autofree char *plan = g_build_filename (w.finished_output, "plan.json", NULL);
    g_autoptr(GVariant) render = call (c, ENGINE_PATH, ENGINE_IFACE, "Render",
                                       g_variant_new ("(s@a{sv})", plan, options_for (NULL, NULL, NULL)),
                                       "(o)", &error);
    g_autofree char *kind = NULL;

    g_assert_no_error (error);
    watch_reset (&w);
    g_variant_get (render, "(o)", &w.job);
    kind = get_string (c, w.job, "Kind");
    g_assert_cmpstr (kind, ==, "render");
    wait_finished (&w);
    g_assert_cmpstr (w.finished_state, ==, "done");
    g_assert_true (has_event (&w, "audio_analysis:skipped"));
    g_assert_true (has_event (&w, "composition:finished"));
    ave_test_assert_decodes_cleanly (final);
  }
  watch_clear (c, id, &w);
}

static void
assert_invalid (GDBusConnection *c, const char *method, const char *input, GVariant *options, const char *expected)
{
  g_autoptr(GError) error = NULL;
  const char *inputs[] = { input, NULL };
  g_auto(GStrv) paths = start (c, method, inputs, options, &error);
  g_autofree char *remote = NULL;

  g_assert_null (paths);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  if (strstr (error->message, expected) == NULL)
    g_error ("expected '%s' in: %s", expected, error->message);
}

static void
test_bad_arguments (void)
{
  g_autoptr(GDBusConnection) c = connect_bus ();
  g_autofree char *out = fresh_dir ("dbus-bad");
  g_autofree char *listing = NULL;

  assert_invalid (c, "Process", short_clip (), options_for (out, "max-memory", g_variant_new_string ("lots")), "'max-memory'");
  assert_invalid (c, "Process", short_clip (), options_for (out, "quality", g_variant_new_string ("superb")), "'quality'");
  assert_invalid (c, "Process", short_clip (), options_for (out, "quality-threshold", g_variant_new_double (5.0)),
                  "option 'quality-threshold': '5'");
  assert_invalid (c, "Process", short_clip (), options_for (out, "max-workers", g_variant_new_boolean (TRUE)),
                  "option 'max-workers': takes a string or a number");
  assert_invalid (c, "Process", short_clip (), options_for (out, "no-such-knob", g_variant_new_boolean (TRUE)),
                  "option 'no-such-knob': no such option");
  assert_invalid (c, "Process", short_clip (), options_for (out, "parallel", g_variant_new_string ("yes")),
                  "option 'parallel': a switch takes a boolean");
  assert_invalid (c, "Process", short_clip (), options_for ("relative/dir", NULL, NULL), "'output-dir'");
  assert_invalid (c, "Process", "relative.mp4", options_for (out, NULL, NULL), "not an absolute path");
  assert_invalid (c, "Process", "/nonexistent/talk.mp4", options_for (out, NULL, NULL), "not a regular file");
  assert_invalid (c, "Analyze", ave_test_tmpdir (), options_for (out, NULL, NULL), "not a regular file");
  /* A render-only option means nothing to an analysis. */
  assert_invalid (c, "Analyze", short_clip (), options_for (out, "subtitles", g_variant_new_string ("srt")),
                  "option 'subtitles': only applies when a video is rendered");
  /* Nothing was started: the output folder is empty. */
  listing = ave_test_sh_output ("ls -A '%s'", out);
  g_assert_cmpstr (listing, ==, "");
}

/* A second connection may not cancel someone else's job; the owner may. */
static void
test_cancel_only_by_owner (void)
{
  g_autoptr(GDBusConnection) owner = connect_bus ();
  g_autoptr(GDBusConnection) other = connect_bus ();
  g_autofree char *out = fresh_dir ("dbus-cancel");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  JobWatch w = { 0 };
  guint id = watch (owner, &w);

  w.job = start_one (owner, long_clip (), out);
  reply = call (other, w.job, JOB_IFACE, "Cancel", NULL, NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_clear_error (&error);
  {
    g_autofree char *state = get_string (owner, w.job, "State");
    g_assert_true (g_str_equal (state, "running") || g_str_equal (state, "queued"));
  }
  reply = call (owner, w.job, JOB_IFACE, "Cancel", NULL, NULL, &error);
  g_assert_no_error (error);
  wait_finished (&w);
  g_assert_cmpstr (w.finished_state, ==, "cancelled");
  watch_clear (owner, id, &w);
}

/* The service runs two jobs at once (--max-jobs 2): a third waits. */
static void
test_third_job_waits (void)
{
  g_autoptr(GDBusConnection) c = connect_bus ();
  g_autofree char *out = fresh_dir ("dbus-queue");
  g_autofree char *a = g_build_filename (out, "a.mp4", NULL);
  g_autofree char *b = g_build_filename (out, "b.mp4", NULL);
  g_autofree char *d = g_build_filename (out, "d.mp4", NULL);
  g_autofree char *results = g_build_filename (out, "results", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) jobs = NULL;

  ave_test_sh ("cp '%s' '%s' && cp '%s' '%s' && cp '%s' '%s'", long_clip (), a, long_clip (), b, long_clip (), d);
  {
    const char *inputs[] = { a, b, d, NULL };
    jobs = start (c, "Process", inputs, options_for (results, NULL, NULL), &error);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (jobs), ==, 3);
  wait_for_state (c, jobs[0], "running");
  wait_for_state (c, jobs[1], "running");
  {
    g_autofree char *third = get_string (c, jobs[2], "State");
    g_assert_cmpstr (third, ==, "queued");
  }
  /* One place frees up: the third runs. */
  g_variant_unref (call (c, jobs[0], JOB_IFACE, "Cancel", NULL, NULL, &error));
  g_assert_no_error (error);
  wait_for_state (c, jobs[2], "running");
  for (guint i = 1; i < 3; i++)
    {
      g_variant_unref (call (c, jobs[i], JOB_IFACE, "Cancel", NULL, NULL, &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < 3; i++)
    wait_for_state (c, jobs[i], "cancelled");
}

static gboolean
name_has_owner (GDBusConnection *c)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", BUS_NAME), G_VARIANT_TYPE ("(b)"),
                                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean has = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &has);
  return has;
}

static void
wait_name_gone (GDBusConnection *c, int seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (name_has_owner (c))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the service is still on the bus after %d s", seconds);
      g_usleep (100000);
    }
}

static char *
checksum_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
}

/* Quit while a job renders over an earlier result: the reply comes once the
 * job stopped, nothing unfinished is left, the earlier result is intact. */
static void
test_quit_during_job (void)
{
  g_autoptr(GDBusConnection) c = connect_bus ();
  g_autofree char *out = fresh_dir ("dbus-quit");
  g_autofree char *first = fresh_dir ("dbus-quit-first");
  g_autofree char *second = fresh_dir ("dbus-quit-second");
  g_autofree char *short_talk = g_build_filename (first, "talk.mp4", NULL);
  g_autofree char *long_talk = g_build_filename (second, "talk.mp4", NULL);
  g_autofree char *final = g_build_filename (out, "talk", "final.mp4", NULL);
  g_autofree char *staging = g_build_filename (out, "talk", ".ai-video-editor-staging", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  JobWatch w = { 0 };
  guint id = watch (c, &w);

  ave_test_sh ("cp '%s' '%s' && cp '%s' '%s'", short_clip (), short_talk, long_clip (), long_talk);
  w.job = start_one (c, short_talk, out);
  wait_finished (&w);
  g_assert_cmpstr (w.finished_state, ==, "done");
  before = checksum_file (final);

  watch_reset (&w);
  w.job = start_one (c, long_talk, out);
  wait_for_state (c, w.job, "running");
  g_usleep (300000);   /* into the work, long before its end */
  reply = call (c, ENGINE_PATH, ENGINE_IFACE, "Quit", NULL, NULL, &error);
  g_assert_no_error (error);
  /* By the reply the job has ended and said so. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (w.finished_state, ==, "cancelled");
  wait_name_gone (c, 20);

  after = checksum_file (final);
  g_assert_cmpstr (after, ==, before);
  g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
  /* Only what a finished run leaves: no temporary or partial file. */
  listing = ave_test_sh_output ("cd '%s' && find . -name '*.tmp' -o -name '.*~' -o -name '*.part' | wc -l", out);
  g_assert_cmpint (atoi (listing), ==, 0);
  watch_clear (c, id, &w);
}

/* kill -9 of the service in the middle of a job: the next one (started
 * by activation on the next call) processes the same input into the same
 * folder without tripping on the lock or the staging files left behind,
 * and exits on its own once idle. */
static void
test_killed_service (void)
{
  g_autoptr(GDBusConnection) c = connect_bus ();
  g_autofree char *out = fresh_dir ("dbus-killed");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *final = g_build_filename (out, "long", "final.mp4", NULL);
  JobWatch w = { 0 };
  guint id = watch (c, &w);
  guint32 pid = 0;

  w.job = start_one (c, long_clip (), out);
  wait_for_state (c, w.job, "running");
  g_usleep (300000);
  reply = g_dbus_connection_call_sync (c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", BUS_NAME), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &pid);
  g_assert_cmpint (kill ((pid_t) pid, SIGKILL), ==, 0);
  wait_name_gone (c, 20);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));

  watch_reset (&w);
  w.job = start_one (c, long_clip (), out);
  wait_finished (&w);
  if (!g_str_equal (w.finished_state, "done"))
    g_error ("after the kill: %s: %s", w.finished_state, w.finished_error);
  g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
  ave_test_assert_decodes_cleanly (final);

  /* Nothing runs or waits: the service goes (idle timeout 3 s). */
  wait_name_gone (c, 30);
  watch_clear (c, id, &w);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/dbus/no-display", test_no_display);
  g_test_add_func ("/dbus/process-reports-every-stage", test_process_reports_every_stage);
  g_test_add_func ("/dbus/bad-arguments", test_bad_arguments);
  g_test_add_func ("/dbus/cancel-only-by-owner", test_cancel_only_by_owner);
  g_test_add_func ("/dbus/third-job-waits", test_third_job_waits);
  g_test_add_func ("/dbus/quit-during-job", test_quit_during_job);
  g_test_add_func ("/dbus/killed-service", test_killed_service);
  return g_test_run ();
}
