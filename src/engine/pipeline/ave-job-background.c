#define G_LOG_DOMAIN "ave-job"

#include "config.h"

#include "core/ave-worker-pool.h"
#include "pipeline/ave-job-background.h"

typedef struct
{
  GTask *task;   /* owned */
  int    nice_increment;
} BackgroundRun;

static gpointer
background_thread (gpointer data)
{
  BackgroundRun *run = data;
  GTask *task = run->task;
  GError *error = NULL;

  /* On Linux the nice value belongs to the thread and is inherited by the
   * threads it creates: changing it here covers all of the job's threads. */
  ave_thread_lower_priority_to (ave_thread_get_nice () + run->nice_increment);

  if (ave_job_run (g_task_get_source_object (task), g_task_get_cancellable (task), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
  g_free (run);
  return NULL;
}

void
ave_job_run_background_async (AveJob              *job,
                              int                  nice_increment,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  BackgroundRun *run = g_new0 (BackgroundRun, 1);

  g_return_if_fail (AVE_IS_JOB (job));

  /* Tagged like ave_job_run_async so ave_job_run_finish accepts it. */
  run->task = g_task_new (job, cancellable, callback, user_data);
  g_task_set_source_tag (run->task, ave_job_run_async);
  run->nice_increment = CLAMP (nice_increment, 0, 19);
  g_thread_unref (g_thread_new ("ave-job", background_thread, run));
}
