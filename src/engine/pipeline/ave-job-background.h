/* ave-job-background.h — run a job below the priority of the caller.
 *
 * An interactive front end must stay responsive while a job saturates every
 * core.  This runs the job on a dedicated thread whose nice value is raised
 * before the job starts: every thread the job creates (analysers, FFmpeg
 * decoders and encoders, worker pools created for the job) inherits it, so
 * the scheduler prefers the UI thread whenever it has work.  The thread is
 * not reused, because an unprivileged process cannot lower a nice value
 * again.
 */
#pragma once

#include "pipeline/ave-job.h"

G_BEGIN_DECLS

/* `nice_increment` 0..19 is added to the thread's nice value (best effort:
 * a failure to change it only costs responsiveness, never the job).  The
 * callback runs in the caller's thread-default main context; finish with
 * ave_job_run_finish. */
void ave_job_run_background_async (AveJob              *job,
                                   int                  nice_increment,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);

G_END_DECLS
