/* ave-job-queue.h — how many jobs run at once, decided by the memory budget.
 *
 * Every front end that runs several jobs side by side (the D-Bus service,
 * `batch`) hands them to one queue instead of starting them all: a job is
 * admitted while the estimated peak memory of the running jobs plus its own
 * stays within the budget and fewer than `max_running` run; the others wait
 * in order of arrival.  A job larger than the whole budget runs alone, so
 * nothing waits for ever.  The estimate is the memory budget unit's
 * (ave_memory_budget_plan for a 1080p source), the number the job itself
 * is sized with.
 *
 * The queue lives on the thread default main context of its creator: the
 * callbacks run there, and a job cancelled while it waits leaves the queue
 * at once (done is called with G_IO_ERROR_CANCELLED, started never is).
 */
#pragma once

#include <gio/gio.h>

#include "pipeline/ave-job.h"

G_BEGIN_DECLS

typedef struct _AveJobQueue AveJobQueue;

/* Called when the job leaves the queue and starts running. */
typedef void (*AveJobQueueStartedFunc) (AveJob   *job,
                                        gpointer  user_data);
/* Called once per job: its result (NULL error: success). */
typedef void (*AveJobQueueDoneFunc)    (AveJob       *job,
                                        const GError *error,
                                        gpointer      user_data);

/* `budget_bytes` 0: no memory bound, only `max_running` (at least 1). */
AveJobQueue *ave_job_queue_new          (guint64 budget_bytes,
                                         guint   max_running);
/* Cancels nothing: free it once every job is done (see _is_idle). */
void         ave_job_queue_free         (AveJobQueue *self);

/* Estimated peak resident bytes of one job run with `settings`. */
guint64      ave_job_queue_estimate     (const AveSettings *settings);
/* How many jobs with these settings fit the budget at once: budget /
 * estimate, at least 1, at most the number of cores; 1 when there is no
 * budget (the default of `batch --jobs`). */
guint        ave_job_queue_default_jobs (const AveSettings *settings);

/* Queues `job` (a reference is kept until done).  `estimate_bytes` 0:
 * ave_job_queue_estimate of nothing known, the 1080p default.  The job is
 * run with `cancellable` (may be NULL). */
void         ave_job_queue_add          (AveJobQueue            *self,
                                         AveJob                 *job,
                                         guint64                 estimate_bytes,
                                         GCancellable           *cancellable,
                                         AveJobQueueStartedFunc  started,
                                         AveJobQueueDoneFunc     done,
                                         gpointer                user_data);

/* Jobs admitted from now on run on a thread of their own whose nice value
 * is raised by `nice_increment` (1..19; 0, the default: the job's own
 * threads at the caller's priority), as ave_job_run_background_async: an
 * interactive front end stays responsive while they run. */
void         ave_job_queue_set_nice_increment (AveJobQueue *self,
                                               int          nice_increment);

guint        ave_job_queue_get_n_running (AveJobQueue *self);
guint        ave_job_queue_get_n_waiting (AveJobQueue *self);
/* Nothing runs and nothing waits. */
gboolean     ave_job_queue_is_idle      (AveJobQueue *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveJobQueue, ave_job_queue_free)

G_END_DECLS
