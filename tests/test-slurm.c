/* test-slurm.c — batches on a real one-node Slurm cluster.
 *
 * tests/slurm/run-test.sh starts the cluster (munged, slurmctld, slurmd in
 * a temporary folder, SLURM_CONF set) around this program and takes it down
 * afterwards, whatever happens; run alone, this program skips.
 *
 * `batch --slurm` with three inputs, one of them not a video: two outputs
 * that decode, the bad one failed with its message in batch.json, and a
 * --resume afterwards that submits nothing.  Then a batch whose submitter
 * is stopped (Ctrl+C without a terminal) while its task runs, a --resume
 * that re-attaches to the running array, a task killed under it (scancel)
 * and submitted again, which completes.  The engine's array unit is also
 * driven directly: the job Slurm got, and re-attaching to a finished one.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ave-test-util.h"
#include "pipeline/ave-batch.h"
#include "pipeline/ave-slurm.h"

static AveSlurmOptions *
test_options (guint throttle)
{
  AveSlurmOptions *options = ave_slurm_options_new ();
  const char *args[] = { "--mode", "fast", "--max-memory", "0.5", NULL };

  options->program = g_strdup (ave_test_binary ());
  options->process_args = g_strdupv ((char **) args);
  options->throttle = throttle;
  options->mem_bytes = 512 * 1048576ull;
  options->cpus = 1;
  options->time_limit = g_strdup ("10:00");
  options->job_name = g_strdup ("ave-test");
  return options;
}

/* Polls until no task waits or runs, at most `seconds`. */
static void
wait_finished (AveSlurmArray *array, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  gboolean finished = FALSE;

  while (!finished)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (ave_slurm_array_poll (array, &finished, &error));
      g_assert_no_error (error);
      if (!finished)
        {
          if (g_get_monotonic_time () > end)
            g_error ("job array %s still running after %.0f s", ave_slurm_array_get_job_id (array), seconds);
          g_usleep (G_USEC_PER_SEC / 2);
        }
    }
}

static char *
bad_input (void)
{
  char *path = ave_test_path ("bad/broken.mp4");
  g_autofree char *folder = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, "this is not a video, only text\n", -1, NULL));
  return path;
}

static void
test_array_unit (void)
{
  const char *talk_a = ave_test_sample ("talk-a.mp4", 6, 320, 180);
  const char *talk_b = ave_test_sample ("talk-b.mp4", 8, 320, 180);
  g_autofree char *bad = bad_input ();
  g_autofree char *root = ave_test_path ("out-array");
  const char *inputs[] = { talk_a, talk_b, bad };
  g_autoptr(AveSlurmOptions) options = test_options (2);
  g_autoptr(AveSlurmArray) array = ave_slurm_array_new (root);
  g_autoptr(AveSlurmArray) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sbatch_script = NULL;
  g_autofree char *dir = NULL;
  gboolean finished = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *stem = g_path_get_basename (inputs[i]);
      g_autofree char *output = NULL;

      *strrchr (stem, '.') = '\0';
      /* a folder per input, one of them named differently from its file */
      output = g_strdup_printf ("%s/%s", root, i == 1 ? "b/renamed" : stem);
      g_assert_true (ave_slurm_array_add_task (array, 10 + i, inputs[i], output, &error));
      g_assert_no_error (error);
    }
  g_assert_true (ave_slurm_array_submit (array, options, &error));
  g_assert_no_error (error);
  g_assert_nonnull (ave_slurm_array_get_job_id (array));
  dir = g_strdup (ave_slurm_array_get_dir (array));
  g_assert_true (g_str_has_prefix (dir, root));

  /* What Slurm was asked for: the array with its throttle, memory, CPUs. */
  {
    g_autofree char *job = ave_test_sh_output ("scontrol -o show job %s_0 || scontrol -o show job %s",
                                               ave_slurm_array_get_job_id (array),
                                               ave_slurm_array_get_job_id (array));
    if (strstr (job, "ArrayTaskThrottle=2") == NULL || strstr (job, "MinMemoryNode=512M") == NULL
        || strstr (job, "NumCPUs=1") == NULL || strstr (job, "TimeLimit=00:10:00") == NULL)
      g_error ("the array was not submitted as asked: %s", job);
  }

  wait_finished (array, 300);
  for (guint i = 0; i < 2; i++)
    {
      AveSlurmTask *task = ave_slurm_array_lookup (array, 10 + i);
      g_autofree char *final = g_build_filename (task->output, "final.mp4", NULL);

      if (task->state != AVE_SLURM_TASK_DONE)
        g_error ("%s: %s (%s)", task->input, ave_slurm_task_state_to_string (task->state), task->error);
      g_assert_cmpint (task->exit_code, ==, 0);
      g_assert_nonnull (task->node);
      ave_test_assert_decodes_cleanly (final);
    }
  {
    AveSlurmTask *task = ave_slurm_array_lookup (array, 12);

    g_assert_cmpint (task->state, ==, AVE_SLURM_TASK_FAILED);
    g_assert_cmpint (task->exit_code, ==, 1);
    /* the message `process` gave, naming the file */
    if (task->error == NULL || strstr (task->error, "broken.mp4") == NULL)
      g_error ("the bad input's error does not name it: %s", task->error);
    g_assert_false (g_file_test (task->output, G_FILE_TEST_EXISTS));
  }

  /* Re-attaching to the finished array reads the same results and
   * submits nothing. */
  again = ave_slurm_array_attach (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_slurm_array_get_job_id (again), ==, ave_slurm_array_get_job_id (array));
  g_assert_cmpuint (ave_slurm_array_get_n_tasks (again), ==, 3);
  g_assert_true (ave_slurm_array_poll (again, &finished, &error));
  g_assert_no_error (error);
  g_assert_true (finished);
  g_assert_cmpint (ave_slurm_array_lookup (again, 10)->state, ==, AVE_SLURM_TASK_DONE);
  g_assert_cmpint (ave_slurm_array_lookup (again, 11)->state, ==, AVE_SLURM_TASK_DONE);
  g_assert_cmpint (ave_slurm_array_lookup (again, 12)->state, ==, AVE_SLURM_TASK_FAILED);
  g_assert_cmpstr (ave_slurm_array_lookup (again, 12)->error, ==, ave_slurm_array_lookup (array, 12)->error);
  sbatch_script = g_build_filename (dir, "task.sh", NULL);
  g_assert_true (g_file_test (sbatch_script, G_FILE_TEST_IS_EXECUTABLE));
}


/* ------------------------------------------------------ batch --slurm */

/* A fresh folder under the test's temporary one. */
static char *
fresh_dir (const char *name)
{
  char *dir = ave_test_path (name);

  ave_test_sh ("rm -rf '%s' && mkdir -p '%s'", dir, dir);
  return dir;
}

static void
put (const char *sample, const char *dir, const char *rel)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  ave_test_sh ("cp '%s' '%s'", sample, path);
}

static AveBatchState *
load_state (const char *out)
{
  g_autoptr(GError) error = NULL;
  AveBatchState *state = ave_batch_state_load (out, &error);

  g_assert_no_error (error);
  g_assert_nonnull (state);
  return state;
}

static AveBatchItem *
item_of (AveBatchState *state, const char *in, const char *rel)
{
  g_autofree char *input = g_build_filename (in, rel, NULL);
  AveBatchItem *item = ave_batch_state_lookup (state, input);

  if (item == NULL)
    g_error ("%s is not in batch.json", input);
  return item;
}

/* The JSON events of `out` whose "event" is `name`. */
static guint
count_events (const char *out, const char *name)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autofree char *needle = g_strdup_printf ("\"event\":\"%s\"", name);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      n++;
  return n;
}

#define BATCH_FLAGS "--slurm --mode fast --max-memory 0.5 --time 10:00"

static void
test_batch (void)
{
  g_autofree char *in = fresh_dir ("batch-in");
  g_autofree char *out = ave_test_path ("batch-out");
  g_autofree char *bad = g_build_filename (in, "bad.mp4", NULL);
  g_autofree char *json = NULL;
  g_autofree char *err = NULL;
  g_autoptr(AveBatchState) state = NULL;
  g_autoptr(AveBatchState) after = NULL;
  g_autofree char *job_id = NULL;
  g_autofree char *jobs_before = NULL;
  g_autofree char *jobs_after = NULL;
  AveBatchItem *item;
  int status;

  put (ave_test_sample ("talk-a.mp4", 6, 320, 180), in, "a.mp4");
  put (ave_test_sample ("talk-b.mp4", 8, 320, 180), in, "sub/b.mp4");
  g_assert_true (g_file_set_contents (bad, "this is not a video, only text\n", -1, NULL));

  status = ave_test_sh_status (&json, &err, "'%s' batch '%s' -o '%s' --jobs 2 --json " BATCH_FLAGS
                               " --partition debug --account ave-test --sbatch-arg=--comment=ave-batch-test",
                               ave_test_binary (), in, out);
  if (status != 1)
    g_error ("batch --slurm: exit %d (expected 1: one input is bad)\n%s\n%s", status, json, err);
  g_assert_cmpuint (count_events (json, "slurm-submitted"), ==, 1);
  state = load_state (out);
  job_id = g_strdup (ave_batch_state_get_slurm_job_id (state));
  g_assert_nonnull (job_id);
  g_assert_nonnull (ave_batch_state_get_slurm_dir (state));

  /* What Slurm was asked for: --mem from the memory budget (plus a tenth),
   * --cpus-per-task from the worker count, the throttle from --jobs. */
  {
    g_autofree char *settings_json = ave_test_sh_output ("'%s' settings --json --mode fast --max-memory 0.5",
                                                         ave_test_binary ());
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *settings;
    gint64 workers, budget;
    g_autofree char *job = NULL;
    g_autofree char *want_mem = NULL;
    g_autofree char *want_cpus = NULL;

    g_assert_true (json_parser_load_from_data (parser, settings_json, -1, NULL));
    settings = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "settings");
    workers = json_object_get_int_member (json_object_get_object_member (settings, "n_workers"), "value");
    budget = json_object_get_int_member (json_object_get_object_member (settings, "max_memory_bytes"), "value");
    want_mem = g_strdup_printf ("MinMemoryNode=%" G_GINT64_FORMAT "M", (budget + budget / 10 + 1048575) / 1048576);
    want_cpus = g_strdup_printf ("NumCPUs=%" G_GINT64_FORMAT " ", workers);
    job = ave_test_sh_output ("scontrol -o show job %s_0", job_id);
    if (strstr (job, want_mem) == NULL || strstr (job, want_cpus) == NULL
        || strstr (job, "ArrayTaskThrottle=2") == NULL || strstr (job, "TimeLimit=00:10:00") == NULL
        || strstr (job, "Partition=debug") == NULL || strstr (job, "Account=ave-test") == NULL
        || strstr (job, "Comment=ave-batch-test") == NULL)
      g_error ("the array was not submitted as asked (%s, %s, throttle 2, 10 min, partition debug, "
               "account ave-test, --comment from --sbatch-arg): %s", want_mem, want_cpus, job);
  }
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *final = NULL;

      item = item_of (state, in, i == 0 ? "a.mp4" : "sub/b.mp4");
      if (item->state != AVE_BATCH_DONE)
        g_error ("%s: %s (%s)\n%s", item->input, ave_batch_item_state_to_string (item->state), item->error, err);
      g_assert_cmpuint (item->attempts, ==, 1);
      final = g_build_filename (item->output, "final.mp4", NULL);
      ave_test_assert_decodes_cleanly (final);
    }
  g_assert_true (g_str_has_suffix (item_of (state, in, "sub/b.mp4")->output, "/sub/b"));
  item = item_of (state, in, "bad.mp4");
  g_assert_cmpint (item->state, ==, AVE_BATCH_FAILED);
  if (item->error == NULL || strstr (item->error, "bad.mp4") == NULL || strstr (item->error, "not a video") == NULL)
    g_error ("the bad input's error is not the one process gives: %s", item->error);
  /* one line on stderr names it */
  g_assert_nonnull (strstr (err, item->error));

  /* --resume once the array has ended: its results are gathered, nothing
   * is submitted (the bad file failed on its own and has not changed). */
  jobs_before = ave_test_sh_output ("squeue -h -o %%i | wc -l");
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&err, g_free);
  status = ave_test_sh_status (&json, &err, "'%s' batch '%s' -o '%s' --resume --json " BATCH_FLAGS,
                               ave_test_binary (), in, out);
  g_assert_cmpint (status, ==, 1);
  g_assert_cmpuint (count_events (json, "slurm-submitted"), ==, 0);
  g_assert_nonnull (strstr (json, "\"submitted\":0"));
  g_assert_nonnull (strstr (json, "\"skipped\":2"));
  jobs_after = ave_test_sh_output ("squeue -h -o %%i | wc -l");
  g_assert_cmpstr (jobs_after, ==, jobs_before);
  after = load_state (out);
  g_assert_cmpstr (ave_batch_state_get_slurm_job_id (after), ==, job_id);
  g_assert_cmpint (item_of (after, in, "bad.mp4")->state, ==, AVE_BATCH_FAILED);
  g_assert_cmpuint (item_of (after, in, "bad.mp4")->attempts, ==, 1);
  g_assert_cmpint (item_of (after, in, "a.mp4")->state, ==, AVE_BATCH_DONE);
}

/* --retry: a failed task goes into a new array, up to N more times. */
static void
test_retry (void)
{
  g_autofree char *in = fresh_dir ("retry-in");
  g_autofree char *out = ave_test_path ("retry-out");
  g_autofree char *list = g_build_filename (in, "inputs.txt", NULL);
  g_autofree char *bad = g_build_filename (in, "broken.mkv", NULL);
  g_autofree char *json = NULL;
  g_autoptr(AveBatchState) state = NULL;
  AveBatchItem *item;

  g_assert_true (g_file_set_contents (bad, "not a video either\n", -1, NULL));
  g_assert_true (g_file_set_contents (list, "broken.mkv\n", -1, NULL));
  g_assert_cmpint (ave_test_sh_status (&json, NULL, "'%s' batch '%s' -o '%s' --retry 1 --json " BATCH_FLAGS,
                                       ave_test_binary (), list, out), ==, 1);
  g_assert_cmpuint (count_events (json, "slurm-submitted"), ==, 2);
  g_assert_nonnull (strstr (json, "\"status\":\"retry\""));
  state = load_state (out);
  item = item_of (state, in, "broken.mkv");
  g_assert_cmpint (item->state, ==, AVE_BATCH_FAILED);
  g_assert_cmpuint (item->attempts, ==, 2);
  g_assert_nonnull (strstr (item->error, "broken.mkv"));
}

/* The record of the task for `out`'s only input says it is running. */
static gboolean
task_running (const char *out)
{
  g_autoptr(AveBatchState) state = ave_batch_state_load (out, NULL);
  g_autofree char *record_path = NULL;
  g_autofree char *record = NULL;

  if (state == NULL || ave_batch_state_get_slurm_dir (state) == NULL)
    return FALSE;
  record_path = g_build_filename (ave_batch_state_get_slurm_dir (state), "state", "0.json", NULL);
  return g_file_get_contents (record_path, &record, NULL, NULL) && strstr (record, "\"running\"") != NULL;
}

static void
wait_for (gboolean (*ready) (const char *), const char *arg, const char *what)
{
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (!ready (arg))
    {
      if (g_get_monotonic_time () > end)
        g_error ("%s did not happen in 120 s", what);
      g_usleep (G_USEC_PER_SEC / 5);
    }
}

static gboolean
file_has_attached (const char *path)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) && strstr (text, "\"slurm-attached\"") != NULL;
}

static GPid
spawn_batch (const char *in, const char *out, const char *extra, const char *log)
{
  g_autofree char *command = g_strdup_printf ("exec '%s' batch '%s' -o '%s' --json %s " BATCH_FLAGS " > '%s' 2>&1 < /dev/null",
                                              ave_test_binary (), in, out, extra, log);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  return pid;
}

static int
wait_exit (GPid pid)
{
  int status = 0;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_resume_killed (void)
{
  g_autofree char *in = fresh_dir ("killed-in");
  g_autofree char *out = ave_test_path ("killed-out");
  g_autofree char *log1 = ave_test_path ("killed-1.log");
  g_autofree char *log2 = ave_test_path ("killed-2.log");
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *final = NULL;
  g_autofree char *job_id = NULL;
  g_autoptr(AveBatchState) state = NULL;
  AveBatchItem *item;
  GPid pid;

  put (ave_test_sample ("talk-long.mp4", 20, 640, 360), in, "long.mp4");

  /* 1. The submitter is interrupted while its task runs; with no terminal
   * to ask on, it leaves the array running and says how to cancel it. */
  pid = spawn_batch (in, out, "", log1);
  wait_for (task_running, out, "the task's start");
  kill (pid, SIGINT);
  g_assert_cmpint (wait_exit (pid), ==, 130);
  state = load_state (out);
  job_id = g_strdup (ave_batch_state_get_slurm_job_id (state));
  g_assert_true (g_file_get_contents (log1, &text, NULL, NULL));
  expected = g_strdup_printf ("scancel %s", job_id);
  if (strstr (text, expected) == NULL || strstr (text, "--resume") == NULL)
    g_error ("the interrupted batch does not say how to cancel or resume: %s", text);
  g_clear_pointer (&state, ave_batch_state_free);

  /* 2. --resume re-attaches to the running array instead of submitting
   * again; the task is killed under it (scancel of that one task) and
   * submitted again, and completes. */
  pid = spawn_batch (in, out, "--resume", log2);
  wait_for (file_has_attached, log2, "re-attaching to the array");
  {
    g_autofree char *task = g_strdup_printf ("%s_0", job_id);
    /* still running: the kill lands mid-run */
    g_assert_true (task_running (out));
    ave_test_sh ("scancel '%s'", task);
  }
  if (wait_exit (pid) != 0)
    {
      g_autofree char *log = NULL;
      g_file_get_contents (log2, &log, NULL, NULL);
      g_error ("batch --resume after the kill did not complete: %s", log);
    }
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (log2, &text, NULL, NULL));
  g_assert_cmpuint (count_events (text, "slurm-attached"), ==, 1);
  g_assert_cmpuint (count_events (text, "slurm-submitted"), ==, 1);
  state = load_state (out);
  item = item_of (state, in, "long.mp4");
  g_assert_cmpint (item->state, ==, AVE_BATCH_DONE);
  g_assert_cmpuint (item->attempts, ==, 2);
  g_assert_cmpstr (ave_batch_state_get_slurm_job_id (state), !=, job_id);
  final = g_build_filename (item->output, "final.mp4", NULL);
  ave_test_assert_decodes_cleanly (final);
}

static void
test_shared_storage (void)
{
  g_autofree char *message = NULL;

  /* The test cluster has one node: local storage is fine, and said so. */
  g_assert_true (ave_slurm_check_shared_storage (ave_test_tmpdir (), NULL, &message));
  if (message != NULL)
    g_assert_nonnull (strstr (message, ave_test_tmpdir ()));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  /* squeue every half second, not every five: the tasks here are short */
  g_setenv ("AVE_SLURM_POLL_MS", "500", TRUE);
  if (g_getenv ("SLURM_CONF") == NULL || g_getenv ("AVE_SLURM_TEST_DIR") == NULL)
    {
      g_print ("skipped: no test cluster (run through tests/slurm/run-test.sh, which starts one)\n");
      return 77;
    }
  g_test_add_func ("/engine/slurm/shared-storage", test_shared_storage);
  g_test_add_func ("/engine/slurm/array-unit", test_array_unit);
  g_test_add_func ("/engine/slurm/batch", test_batch);
  g_test_add_func ("/engine/slurm/retry", test_retry);
  g_test_add_func ("/engine/slurm/resume-killed", test_resume_killed);
  return g_test_run ();
}
