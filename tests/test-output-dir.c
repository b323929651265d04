/* test-output-dir.c — the output folder never loses a file: the engine
 * replaces only what it wrote, never follows a link, never writes over an
 * input, keeps the previous result whole when a re-run fails or is
 * cancelled, keeps the previous plan, locks the folder, and cleans up after
 * signals (issue #9, items 1–6). */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "pipeline/ave-job.h"
#include "resources/ave-output-dir.h"

static const char *
sample (void)
{
  return ave_test_sample ("od.mp4", 6, 320, 180);
}

static char *
read_file (const char *path)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) text, length);
}

static gboolean
run_job (AveJobKind kind, const char *input, const char *root, const char *plan_file,
         GCancellable *cancellable, GError **error)
{
  g_autoptr(AveJob) job = ave_job_new (kind, input, root, NULL);

  if (plan_file != NULL)
    ave_job_set_plan_file (job, plan_file);
  return ave_job_run (job, cancellable, error);
}

static void
process_ok (const char *root)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (run_job (AVE_JOB_PROCESS, sample (), root, NULL, NULL, &error));
  g_assert_no_error (error);
}

static char *
in_dir (const char *root, const char *name)
{
  return g_build_filename (root, "od", name, NULL);
}

/* Item 1: a thumbnails folder that is a link to another folder is refused,
 * and nothing in that other folder is touched. */
static void
test_symlinked_thumbnails (void)
{
  g_autofree char *root = ave_test_path ("od-symlink");
  g_autofree char *victim = ave_test_path ("od-victim");
  g_autofree char *precious = g_build_filename (victim, "precious.txt", NULL);
  g_autofree char *thumbs = in_dir (root, "thumbnails");
  g_autoptr(GError) error = NULL;

  process_ok (root);
  g_assert_cmpint (g_mkdir_with_parents (victim, 0755), ==, 0);
  g_assert_true (g_file_set_contents (precious, "only copy", -1, NULL));
  ave_test_sh ("rm -r '%s' && ln -s '%s' '%s'", thumbs, victim, thumbs);

  g_assert_false (run_job (AVE_JOB_PROCESS, sample (), root, NULL, NULL, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS);
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_assert_true (g_file_test (precious, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (thumbs, G_FILE_TEST_IS_SYMLINK));
}

/* Item 1: a folder the engine did not make is never emptied; files a user
 * adds to the engine's own thumbnails folder stay. */
static void
test_foreign_files (void)
{
  g_autofree char *root = ave_test_path ("od-foreign");
  g_autofree char *thumbs = in_dir (root, "thumbnails");
  g_autofree char *mine = g_build_filename (thumbs, "mine.jpg", NULL);
  g_autofree char *final = in_dir (root, "final.mp4");
  g_autofree char *before = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (thumbs, 0755), ==, 0);
  g_assert_true (g_file_set_contents (mine, "a user's picture", -1, NULL));
  g_assert_false (run_job (AVE_JOB_PROCESS, sample (), root, NULL, NULL, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS);
  g_assert_true (g_file_test (mine, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* A final.mp4 of the user's own, where no run of ours wrote one. */
  ave_test_sh ("rm -r '%s'", thumbs);
  g_assert_true (g_file_set_contents (final, "a user's video", -1, NULL));
  g_assert_false (run_job (AVE_JOB_PROCESS, sample (), root, NULL, NULL, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS);
  {
    g_autofree char *expected = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "a user's video", -1);
    before = read_file (final);
    g_assert_cmpstr (before, ==, expected);
  }
  g_clear_error (&error);

  /* In a folder of our own, a file the user adds to thumbnails/ stays
   * through a re-run; our thumbnails are replaced. */
  g_unlink (final);
  process_ok (root);
  g_assert_true (g_file_set_contents (mine, "a user's picture", -1, NULL));
  process_ok (root);
  g_assert_true (g_file_test (mine, G_FILE_TEST_IS_REGULAR));
  {
    g_autofree char *thumb = g_build_filename (thumbs, "thumb-01.jpg", NULL);
    g_assert_true (g_file_test (thumb, G_FILE_TEST_IS_REGULAR));
  }
}

/* Item 2: the input is never an output, whatever its spelling or links. */
static void
test_input_is_output (void)
{
  g_autofree char *root = ave_test_path ("od-input");
  g_autofree char *folder = g_build_filename (root, "final", NULL);
  g_autofree char *input = g_build_filename (folder, "final.mp4", NULL);
  g_autofree char *linked_root = ave_test_path ("od-input-link");
  g_autofree char *link = NULL;
  g_autofree char *sum = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  ave_test_sh ("cp '%s' '%s'", sample (), input);
  sum = read_file (input);

  g_assert_false (run_job (AVE_JOB_PROCESS, input, root, NULL, NULL, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT);
  g_assert_nonnull (strstr (error->message, "input"));
  {
    g_autofree char *now = read_file (input);
    g_assert_cmpstr (now, ==, sum);
  }
  /* Refused before anything was created there. */
  {
    g_autofree char *lock = g_build_filename (folder, AVE_OUTPUT_LOCK_NAME, NULL);
    g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
  }
  g_clear_error (&error);

  /* The same file reached through a link: DIR/<stem>/final.mp4 links to it. */
  link = g_build_filename (linked_root, "od", "final.mp4", NULL);
  ave_test_sh ("mkdir -p '%s/od' && ln -s '%s' '%s'", linked_root, input, link);
  g_assert_false (run_job (AVE_JOB_PROCESS, sample (), linked_root, NULL, NULL, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS);
  g_clear_error (&error);
  {
    g_autofree char *copy = ave_test_path ("od-input-link/od.mp4");
    ave_test_sh ("cp '%s' '%s'", sample (), copy);
    g_unlink (link);
    ave_test_sh ("ln -s '%s' '%s'", copy, link);
    g_assert_false (run_job (AVE_JOB_PROCESS, copy, linked_root, NULL, NULL, &error));
    g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT);
    g_assert_true (g_file_test (copy, G_FILE_TEST_IS_REGULAR));
  }
}

typedef struct
{
  GCancellable *cancellable;
  AveStage      stage;
} CancelAt;

static void
cancel_at_progress (const AveEvent *event, gpointer user_data)
{
  CancelAt *at = user_data;

  if (event->kind == AVE_EVENT_STAGE_PROGRESS && event->stage == at->stage && event->fraction > 0.2)
    g_cancellable_cancel (at->cancellable);
}

static void
assert_same_results (const char *root, char **sums)
{
  const char *names[] = { "final.mp4", "plan.json", "analysis.json", "metadata.json", "thumbnails/thumb-01.jpg" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = in_dir (root, names[i]);
      g_autofree char *now = read_file (path);

      g_assert_nonnull (now);
      if (sums[i] == NULL)
        sums[i] = g_steal_pointer (&now);
      else
        g_assert_cmpstr (now, ==, sums[i]);
    }
}

static void
assert_no_staging (const char *root)
{
  g_autofree char *staging = in_dir (root, AVE_OUTPUT_STAGING_NAME);
  g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
}

/* Item 3: a cancelled or failed re-run leaves the previous result exactly
 * as it was, with nothing unfinished beside it. */
static void
test_rerun_all_or_nothing (void)
{
  g_autofree char *root = ave_test_path ("od-rerun");
  g_autofree char *bad_plan = ave_test_path ("od-bad-plan.json");
  char *sums[5] = { NULL };
  g_autoptr(GError) error = NULL;

  process_ok (root);
  assert_same_results (root, sums);

  for (guint i = 0; i < 2; i++)
    {
      AveStage stage = i == 0 ? AVE_STAGE_VIDEO_ANALYSIS : AVE_STAGE_COMPOSITION;
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(AveSettings) settings = ave_settings_new ();
      g_autoptr(AveJob) job = NULL;
      CancelAt at = { cancellable, stage };

      /* Other settings, so that a finished run would change every file. */
      settings->quality = AVE_QUALITY_HIGH;
      job = ave_job_new (AVE_JOB_PROCESS, sample (), root, settings);
      ave_job_set_event_func (job, cancel_at_progress, &at, NULL);
      g_assert_false (ave_job_run (job, cancellable, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
      assert_same_results (root, sums);
      assert_no_staging (root);
    }

  /* A failure after the analysis was redone: the plan is not for this
   * video's length, so the director refuses it. */
  g_assert_true (g_file_set_contents (bad_plan,
    "{\"version\": 1, \"source\": \"od.mp4\", \"source_duration\": 600, "
    "\"segments\": [{\"start\": 500, \"end\": 590}], \"chapters\": [], \"cards\": []}", -1, NULL));
  g_assert_false (run_job (AVE_JOB_PROCESS, sample (), root, bad_plan, NULL, &error));
  g_assert_nonnull (error);
  assert_same_results (root, sums);
  assert_no_staging (root);
  for (guint i = 0; i < G_N_ELEMENTS (sums); i++)
    g_free (sums[i]);
}

/* Item 4: a hand-edited plan.json is kept as plan.json.bak when a re-run
 * writes a new plan; an unchanged one makes no backup. */
static void
test_plan_backup (void)
{
  g_autofree char *root = ave_test_path ("od-backup");
  g_autofree char *plan = in_dir (root, "plan.json");
  g_autofree char *backup = in_dir (root, "plan.json.bak");
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *saved = NULL;

  process_ok (root);
  process_ok (root);
  g_assert_false (g_file_test (backup, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_get_contents (plan, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"chapters\""));
  {
    g_autoptr(GRegex) title = g_regex_new ("\"title\" *: *\"[^\"]*\"", 0, 0, NULL);
    edited = g_regex_replace (title, text, -1, 0, "\"title\": \"Edited by hand\"", 0, NULL);
  }
  g_assert_cmpstr (edited, !=, text);
  g_assert_true (g_file_set_contents (plan, edited, -1, NULL));

  process_ok (root);
  g_assert_true (g_file_get_contents (backup, &saved, NULL, NULL));
  g_assert_cmpstr (saved, ==, edited);
  g_clear_pointer (&saved, g_free);
  g_assert_true (g_file_get_contents (plan, &saved, NULL, NULL));
  g_assert_null (strstr (saved, "Edited by hand"));
}

/* Item 5: one job at a time per output folder, in this process or any
 * other; the refusal names the holder. */
static void
test_lock (void)
{
  g_autofree char *root = ave_test_path ("od-lock");
  g_autofree char *dir = g_build_filename (root, "od", NULL);
  g_autofree char *pid = g_strdup_printf ("process %d", (int) getpid ());
  g_autofree char *err = NULL;
  g_autoptr(AveOutputDir) held = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  held = ave_output_dir_open (dir, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (run_job (AVE_JOB_ANALYZE, sample (), root, NULL, NULL, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, pid));
  g_clear_error (&error);

  /* Another process: the command line. */
  status = ave_test_sh_status (NULL, &err, "'%s' analyze '%s' -o '%s'", ave_test_binary (), sample (), root);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "another job is writing to this output folder"));
  g_assert_nonnull (strstr (err, pid));

  g_clear_pointer (&held, ave_output_dir_close);
  g_assert_true (run_job (AVE_JOB_ANALYZE, sample (), root, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Item 6: a stale staging folder (of a run that was killed) goes; one that
 * is not ours stops the job instead. */
static void
test_stale_staging (void)
{
  g_autofree char *root = ave_test_path ("od-stale");
  g_autofree char *staging = in_dir (root, AVE_OUTPUT_STAGING_NAME);
  g_autofree char *owner = g_build_filename (staging, ".owner", NULL);
  g_autofree char *partial = g_build_filename (staging, "final.mp4", NULL);
  g_autofree char *foreign = g_build_filename (staging, "notes.txt", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (staging, 0755), ==, 0);
  g_assert_true (g_file_set_contents (owner, "999999\n", -1, NULL));
  g_assert_true (g_file_set_contents (partial, "half a video", -1, NULL));
  process_ok (root);
  assert_no_staging (root);

  g_assert_cmpint (g_mkdir_with_parents (staging, 0755), ==, 0);
  g_assert_true (g_file_set_contents (foreign, "mine", -1, NULL));
  g_assert_false (run_job (AVE_JOB_PROCESS, sample (), root, NULL, NULL, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_OURS);
  g_assert_true (g_file_test (foreign, G_FILE_TEST_IS_REGULAR));
}

static gboolean
folder_has_prefix (const char *folder, const char *prefix)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix))
      return TRUE;
  return FALSE;
}

/* Item 6: SIGTERM, SIGHUP and a second Ctrl+C cancel like the first: the
 * command exits 130 and leaves neither the staging folder nor its
 * temporary folder, and the previous result is whole. */
static void
test_signals (void)
{
  const int signals[] = { SIGTERM, SIGHUP, SIGINT };
  const char *input = ave_test_sample ("od-long.mp4", 40, 640, 360);
  g_autofree char *root = ave_test_path ("od-signals");
  g_autofree char *temp = ave_test_path ("od-signals-temp");
  g_autofree char *final = g_build_filename (root, "od-long", "final.mp4", NULL);
  g_autofree char *first = NULL;
  g_autofree char *staging = g_build_filename (root, "od-long", AVE_OUTPUT_STAGING_NAME, NULL);

  ave_test_sh ("'%s' process '%s' -o '%s' --quality fast", ave_test_binary (), input, root);
  first = read_file (final);
  g_assert_cmpint (g_mkdir_with_parents (temp, 0755), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      const char *argv[] = { ave_test_binary (), "process", input, "-o", root, "--temp-dir", temp,
                             "--quality", "high", "--json", NULL };
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(GDataInputStream) events = NULL;
      g_autoptr(GError) error = NULL;
      char *line;
      gboolean composing = FALSE;

      child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
      g_assert_no_error (error);
      events = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
      /* Signal it once the render has begun writing into the staging folder. */
      while (!composing && (line = g_data_input_stream_read_line (events, NULL, NULL, NULL)) != NULL)
        {
          composing = strstr (line, "\"progress\"") != NULL && strstr (line, "\"composition\"") != NULL;
          g_free (line);
        }
      g_assert_true (composing);
      g_assert_true (g_file_test (staging, G_FILE_TEST_IS_DIR));
      g_subprocess_send_signal (child, signals[i]);
      if (signals[i] == SIGINT)
        g_subprocess_send_signal (child, SIGINT);   /* the second Ctrl+C */
      g_assert_true (g_subprocess_wait (child, NULL, &error));
      g_assert_true (g_subprocess_get_if_exited (child));
      g_assert_cmpint (g_subprocess_get_exit_status (child), ==, 130);

      g_assert_false (g_file_test (staging, G_FILE_TEST_EXISTS));
      g_assert_false (folder_has_prefix (temp, "ai-video-editor-"));
      {
        g_autofree char *now = read_file (final);
        g_assert_cmpstr (now, ==, first);
      }
    }
}

/* Item 10: a plan renders only the video it was made for; the check is by
 * identity, so another spelling of the same file (or a link) is fine. */
static void
test_plan_for_other_source (void)
{
  g_autofree char *root = ave_test_path ("od-plan-source");
  g_autofree char *other = ave_test_path ("od-other.mp4");
  g_autofree char *link = ave_test_path ("od-link.mp4");
  g_autofree char *plan = in_dir (root, "plan.json");
  g_autofree char *moved = ave_test_path ("od-moved");
  g_autofree char *err = NULL;
  g_autofree char *other_dir = g_build_filename (root, "od-other", NULL);
  int status;

  process_ok (root);
  ave_test_sh ("cp '%s' '%s' && ln -sf '%s' '%s'", sample (), other, sample (), link);

  status = ave_test_sh_status (NULL, &err, "'%s' process '%s' --plan '%s' -o '%s'",
                               ave_test_binary (), other, plan, root);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "The plan was made for"));
  {
    g_autofree char *other_final = g_build_filename (other_dir, "final.mp4", NULL);
    g_assert_false (g_file_test (other_final, G_FILE_TEST_EXISTS));
  }
  g_clear_pointer (&err, g_free);

  status = ave_test_sh_status (NULL, &err, "'%s' process '%s' --plan '%s' -o '%s'",
                               ave_test_binary (), link, plan, root);
  g_assert_cmpint (status, ==, 0);

  /* A --plan that is another of the outputs is never replaced. */
  {
    g_autofree char *analysis = in_dir (root, "analysis.json");
    g_autofree char *before = read_file (analysis);
    g_autofree char *after = NULL;

    g_clear_pointer (&err, g_free);
    status = ave_test_sh_status (NULL, &err, "'%s' process '%s' --plan '%s' -o '%s'",
                                 ave_test_binary (), sample (), analysis, root);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "would replace the input itself"));
    after = read_file (analysis);
    g_assert_cmpstr (after, ==, before);
  }

  /* The source is written relative to the plan's own folder (not to the
   * staging folder it was written in): the output folder can move with
   * its video. */
  ave_test_sh ("mkdir -p '%s/out' && cp -r '%s/od' '%s/out/' && cp '%s' '%s/'",
               moved, root, moved, sample (), moved);
  status = ave_test_sh_status (NULL, NULL, "cd '%s' && '%s' process od.mp4 --plan out/od/plan.json -o out",
                               moved, ave_test_binary ());
  g_assert_cmpint (status, ==, 0);
}

/* Subtitles of an earlier render go when a re-run renders without them:
 * they would no longer match final.mp4. */
static void
test_stale_subtitles (void)
{
  g_autofree char *root = ave_test_path ("od-subtitles");
  g_autofree char *srt = in_dir (root, "final.srt");
  g_autofree char *vtt = in_dir (root, "final.vtt");
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;

  process_ok (root);
  g_assert_true (g_file_test (srt, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (vtt, G_FILE_TEST_IS_REGULAR));

  settings->subtitles = AVE_SUBTITLES_NONE;
  job = ave_job_new (AVE_JOB_PROCESS, sample (), root, settings);
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (srt, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (vtt, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/output-dir/symlinked-thumbnails", test_symlinked_thumbnails);
  g_test_add_func ("/engine/output-dir/foreign-files", test_foreign_files);
  g_test_add_func ("/engine/output-dir/input-is-output", test_input_is_output);
  g_test_add_func ("/engine/output-dir/rerun-all-or-nothing", test_rerun_all_or_nothing);
  g_test_add_func ("/engine/output-dir/plan-backup", test_plan_backup);
  g_test_add_func ("/engine/output-dir/lock", test_lock);
  g_test_add_func ("/engine/output-dir/stale-staging", test_stale_staging);
  g_test_add_func ("/engine/output-dir/stale-subtitles", test_stale_subtitles);
  g_test_add_func ("/cli/output-dir/signals", test_signals);
  g_test_add_func ("/cli/output-dir/plan-for-other-source", test_plan_for_other_source);

  return g_test_run ();
}
