/* test-slurm.c — batches on a real one-node Slurm cluster.
 *
 * tests/slurm/run-test.sh starts the cluster (munged, slurmctld, slurmd in
 * a temporary folder, SLURM_CONF set) around this program and takes it down
 * afterwards, whatever happens; run alone, this program skips.  The
 * engine's array unit (core/ave-slurm.h) is driven directly: a job array of
 * three inputs, one of them not a video; re-attaching to it after it ended;
 * and a task killed mid-run, then submitted again.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "core/ave-slurm.h"

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
test_array (void)
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

/* The record of task 0 says "running" and its `process` has started. */
static gboolean
task_running (AveSlurmArray *array)
{
  g_autofree char *record_path = g_build_filename (ave_slurm_array_get_dir (array), "state", "0.json", NULL);
  g_autofree char *record = NULL;

  return g_file_get_contents (record_path, &record, NULL, NULL) && strstr (record, "\"running\"") != NULL;
}

static void
test_killed_task (void)
{
  const char *talk = ave_test_sample ("talk-long.mp4", 20, 640, 360);
  g_autofree char *root = ave_test_path ("out-killed");
  g_autofree char *output = g_build_filename (root, "talk-long", NULL);
  g_autofree char *final = g_build_filename (output, "final.mp4", NULL);
  g_autoptr(AveSlurmOptions) options = test_options (1);
  g_autoptr(AveSlurmArray) first = ave_slurm_array_new (root);
  g_autoptr(AveSlurmArray) second = ave_slurm_array_new (root);
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;
  gint64 end;
  AveSlurmTask *task;

  g_assert_true (ave_slurm_array_add_task (first, 0, talk, output, &error));
  g_assert_true (ave_slurm_array_submit (first, options, &error));
  g_assert_no_error (error);

  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!task_running (first))
    {
      if (g_get_monotonic_time () > end)
        g_error ("task %s_0 did not start in 60 s", ave_slurm_array_get_job_id (first));
      g_usleep (G_USEC_PER_SEC / 5);
    }
  /* Let `process` get into its work, then cancel that one task. */
  g_usleep (G_USEC_PER_SEC);
  task_id = g_strdup_printf ("%s_0", ave_slurm_array_get_job_id (first));
  ave_test_sh ("scancel %s", task_id);
  wait_finished (first, 120);
  task = ave_slurm_array_get_task (first, 0);
  g_assert_cmpint (task->state, ==, AVE_SLURM_TASK_FAILED);
  g_test_message ("the killed task: %s", task->error);
  if (strstr (task->error, task_id) == NULL && strstr (task->error, "cancelled") == NULL)
    g_error ("the killed task's error says neither its id nor that it was cancelled: %s", task->error);
  /* nothing half-written in place of the result */
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));

  /* Submitted again, it completes. */
  g_assert_true (ave_slurm_array_add_task (second, 0, talk, output, &error));
  g_assert_true (ave_slurm_array_submit (second, options, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ave_slurm_array_get_job_id (second), !=, ave_slurm_array_get_job_id (first));
  wait_finished (second, 300);
  task = ave_slurm_array_get_task (second, 0);
  if (task->state != AVE_SLURM_TASK_DONE)
    g_error ("the resubmitted task: %s (%s)", ave_slurm_task_state_to_string (task->state), task->error);
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
  if (g_getenv ("SLURM_CONF") == NULL || g_getenv ("AVE_SLURM_TEST_DIR") == NULL)
    {
      g_print ("skipped: no test cluster (run through tests/slurm/run-test.sh, which starts one)\n");
      return 77;
    }
  g_test_add_func ("/engine/slurm/shared-storage", test_shared_storage);
  g_test_add_func ("/engine/slurm/array", test_array);
  g_test_add_func ("/engine/slurm/killed-task", test_killed_task);
  return g_test_run ();
}
