/* test-job-queue.c — the engine's job queue with real jobs: it admits what
 * the memory budget and the job limit allow, in order, a job cancelled
 * while it waits leaves without ever starting (also when the running job
 * is cancelled with it), and jobs can run below the
 * caller's priority. */
#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <gio/gio.h>

#include "ave-test-util.h"
#include "pipeline/ave-job-queue.h"

typedef struct
{
  AveJobQueue *queue;
  GMainLoop   *loop;
  guint        max_running;
  guint        n_started;
  guint        n_done;
  guint        n_cancelled;
  guint        expected;
  GPtrArray   *order;       /* inputs in the order they started */
} Run;

static void
on_started (AveJob *job, gpointer user_data)
{
  Run *run = user_data;

  run->n_started++;
  /* Counted as running by the time it is told. */
  run->max_running = MAX (run->max_running, ave_job_queue_get_n_running (run->queue));
  g_ptr_array_add (run->order, g_strdup (ave_job_get_input (job)));
}

static void
on_done (AveJob *job, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  if (error != NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      run->n_cancelled++;
    }
  run->n_done++;
  if (run->n_done == run->expected)
    g_main_loop_quit (run->loop);
}

static const char *
clip (void)
{
  return ave_test_ffmpeg_media ("clip.mp4",
                                "-v error -f lavfi -i testsrc=s=160x120:d=2:r=25 -f lavfi -i sine=d=2 "
                                "-shortest -c:v libx264 -pix_fmt yuv420p -c:a aac");
}

static void
run_jobs (guint64 budget, guint max_jobs, guint64 estimate, guint n, gboolean cancel_last, Run *run)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autofree char *out = ave_test_path ("queue-out");
  g_autoptr(GCancellable) last = g_cancellable_new ();

  run->queue = ave_job_queue_new (budget, max_jobs);
  run->loop = g_main_loop_new (NULL, FALSE);
  run->order = g_ptr_array_new_with_free_func (g_free);
  run->expected = n;
  settings->mode = AVE_MODE_FAST;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *input = g_strdup_printf ("%s/in-%u.mp4", ave_test_tmpdir (), i);
      g_autoptr(AveJob) job = NULL;

      ave_test_sh ("cp -f '%s' '%s'", clip (), input);
      job = ave_job_new (AVE_JOB_ANALYZE, input, out, settings);
      ave_job_queue_add (run->queue, job, estimate, i == n - 1 ? last : NULL, on_started, on_done, run);
    }
  g_assert_cmpuint (ave_job_queue_get_n_waiting (run->queue) + ave_job_queue_get_n_running (run->queue), ==, n);
  if (cancel_last)
    g_cancellable_cancel (last);
  g_main_loop_run (run->loop);
  g_assert_true (ave_job_queue_is_idle (run->queue));
  g_clear_pointer (&run->queue, ave_job_queue_free);
  g_main_loop_unref (run->loop);
}

/* Two estimates fit the budget, three do not: never more than two run. */
static void
test_memory_bound (void)
{
  Run run = { 0 };

  run_jobs (1000, 8, 400, 4, FALSE, &run);
  g_assert_cmpuint (run.n_started, ==, 4);
  g_assert_cmpuint (run.max_running, ==, 2);
  g_assert_cmpuint (run.n_cancelled, ==, 0);
  /* In order of arrival. */
  for (guint i = 0; i < run.order->len; i++)
    {
      g_autofree char *suffix = g_strdup_printf ("/in-%u.mp4", i);
      g_assert_true (g_str_has_suffix (g_ptr_array_index (run.order, i), suffix));
    }
  g_ptr_array_unref (run.order);
}

/* The job limit holds when memory would allow more; a job larger than the
 * whole budget still runs (alone). */
static void
test_count_bound_and_oversized (void)
{
  Run run = { 0 };

  run_jobs (0, 1, 400, 3, FALSE, &run);
  g_assert_cmpuint (run.max_running, ==, 1);
  g_ptr_array_unref (run.order);

  memset (&run, 0, sizeof run);
  run_jobs (100, 4, 400, 2, FALSE, &run);
  g_assert_cmpuint (run.n_started, ==, 2);
  g_assert_cmpuint (run.max_running, ==, 1);
  g_ptr_array_unref (run.order);
}

/* Cancelled while waiting: done with G_IO_ERROR_CANCELLED, never started. */
static void
test_cancel_waiting (void)
{
  Run run = { 0 };

  run_jobs (0, 1, 400, 3, TRUE, &run);
  g_assert_cmpuint (run.n_started, ==, 2);
  g_assert_cmpuint (run.n_cancelled, ==, 1);
  g_ptr_array_unref (run.order);
}

/* Cancel everything while one job runs and one waits (the app's Cancel):
 * the running job's end reaches the queue before its sweep of the line
 * (an idle), and the waiting job must still never start. */
static void
test_cancel_running_and_waiting (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autofree char *out = ave_test_path ("queue-cancel-all");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Run run = { 0 };

  run.queue = ave_job_queue_new (0, 1);
  run.loop = g_main_loop_new (NULL, FALSE);
  run.order = g_ptr_array_new_with_free_func (g_free);
  run.expected = 2;
  settings->mode = AVE_MODE_FAST;
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *input = g_strdup_printf ("%s/all-%u.mp4", ave_test_tmpdir (), i);
      g_autoptr(AveJob) job = NULL;

      ave_test_sh ("cp -f '%s' '%s'", clip (), input);
      job = ave_job_new (AVE_JOB_ANALYZE, input, out, settings);
      ave_job_queue_add (run.queue, job, 400, cancellable, on_started, on_done, &run);
    }
  g_assert_cmpuint (run.n_started, ==, 1);
  g_cancellable_cancel (cancellable);
  /* Long enough for the running job to see the cancel and end: its end
   * is then waiting in the main context beside the sweep. */
  g_usleep (G_USEC_PER_SEC / 2);
  g_main_loop_run (run.loop);

  g_assert_cmpuint (run.n_started, ==, 1);
  g_assert_cmpuint (run.n_cancelled, ==, 2);
  g_assert_true (ave_job_queue_is_idle (run.queue));
  g_clear_pointer (&run.queue, ave_job_queue_free);
  g_main_loop_unref (run.loop);
  g_ptr_array_unref (run.order);
}

typedef struct
{
  GMainLoop *loop;
  int        nice;       /* of the thread that told of the first stage */
  gboolean   done;
} NiceRun;

/* Runs on the job's thread. */
static void
on_nice_event (const AveEvent *event, gpointer user_data)
{
  NiceRun *run = user_data;

  if (event->kind == AVE_EVENT_STAGE_START && run->nice == G_MININT)
    run->nice = getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
}

static void
on_nice_done (AveJob *job, const GError *error, gpointer user_data)
{
  NiceRun *run = user_data;

  g_assert_no_error ((GError *) error);
  run->done = TRUE;
  g_main_loop_quit (run->loop);
}

/* ave_job_queue_set_nice_increment: the job runs below the caller's
 * priority (the app's UI thread), as ave_job_run_background_async. */
static void
test_nice_increment (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autofree char *out = ave_test_path ("queue-nice-out");
  g_autoptr(AveJobQueue) queue = ave_job_queue_new (0, 1);
  g_autoptr(AveJob) job = NULL;
  NiceRun run = { g_main_loop_new (NULL, FALSE), G_MININT, FALSE };
  int base = getpriority (PRIO_PROCESS, 0);

  settings->mode = AVE_MODE_FAST;
  job = ave_job_new (AVE_JOB_ANALYZE, clip (), out, settings);
  ave_job_set_event_func (job, on_nice_event, &run, NULL);
  ave_job_queue_set_nice_increment (queue, 7);
  ave_job_queue_add (queue, job, 0, NULL, NULL, on_nice_done, &run);
  g_main_loop_run (run.loop);
  g_assert_true (run.done);
  g_assert_cmpint (run.nice, ==, MIN (base + 7, 19));
  /* The caller's own priority is untouched. */
  g_assert_cmpint (getpriority (PRIO_PROCESS, 0), ==, base);
  g_main_loop_unref (run.loop);
}

static void
test_default_jobs (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  guint64 estimate = ave_job_queue_estimate (settings);

  g_assert_cmpuint (estimate, >, 0);
  /* No budget: one at a time. */
  settings->max_memory_bytes = 0;
  g_assert_cmpuint (ave_job_queue_default_jobs (settings), ==, 1);
  /* A budget for about two. */
  settings->max_memory_bytes = ave_job_queue_estimate (settings) * 2 + 1;
  g_assert_cmpuint (ave_job_queue_default_jobs (settings), >=, MIN (2, MAX (1, g_get_num_processors ())));
  g_assert_cmpuint (ave_job_queue_default_jobs (settings), <=, MAX (1, g_get_num_processors ()));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/job-queue/default-jobs", test_default_jobs);
  g_test_add_func ("/job-queue/memory-bound", test_memory_bound);
  g_test_add_func ("/job-queue/count-bound-and-oversized", test_count_bound_and_oversized);
  g_test_add_func ("/job-queue/cancel-waiting", test_cancel_waiting);
  g_test_add_func ("/job-queue/cancel-running-and-waiting", test_cancel_running_and_waiting);
  g_test_add_func ("/job-queue/nice-increment", test_nice_increment);
  return g_test_run ();
}
