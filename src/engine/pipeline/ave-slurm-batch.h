/* ave-slurm-batch.h — `batch --slurm`: the items of a batch state
 * (ave-batch.h) run as Slurm job arrays (ave-slurm.h) instead of local jobs.
 *
 * One array holds every item to run; when it has ended, the items that
 * failed and have retries left go into a new array, and so on.  Each
 * array's job id and submission folder are saved in batch.json ("slurm")
 * as soon as sbatch accepts it, and every task's end is saved as it is
 * seen, so a submitter that is stopped (Ctrl+C without scancel, a lost
 * login session, kill -9) loses nothing: --resume re-attaches to the
 * recorded array instead of submitting again, waits for what still runs,
 * and then submits only the items that did not finish: never run, or
 * stopped (cancelled, killed, out of time or memory, node lost), or whose
 * input changed.  An item whose `process` failed on its own (a file that
 * is not a video) is not submitted again by --resume unless the input
 * changed; --retry N retries it within a run.
 */
#pragma once

#include "pipeline/ave-batch.h"
#include "pipeline/ave-slurm.h"

G_BEGIN_DECLS

typedef struct _AveSlurmBatch AveSlurmBatch;

typedef struct
{
  /* sbatch accepted an array of n_tasks (its id is saved already). */
  void (*submitted)     (const char *job_id, const char *submission_dir, guint n_tasks,
                         gboolean attached, gpointer user_data);
  /* A task was seen running (state "running", attempts counted). */
  void (*item_started)  (AveBatchItem *item, gpointer user_data);
  /* A task ended: done, or failed with item->error; `will_retry`: it goes
   * into the next array (--retry). */
  void (*item_finished) (AveBatchItem *item, gboolean will_retry, gpointer user_data);
  /* squeue or scontrol failed (the controller is busy or down); polling
   * goes on. */
  void (*poll_failed)   (const GError *error, gpointer user_data);
  /* batch.json could not be written (the batch goes on). */
  void (*save_failed)   (const GError *error, gpointer user_data);
} AveSlurmBatchCallbacks;

/* `state` (merged with the previous one, ave_batch_state_merge) must
 * outlive the batch.  `retries`: failed items run again up to this many
 * times.  `poll_ms`: how often squeue is asked. */
AveSlurmBatch *ave_slurm_batch_new        (AveBatchState                *state,
                                           const AveSlurmOptions        *options,
                                           guint                         retries,
                                           guint                         poll_ms,
                                           const AveSlurmBatchCallbacks *callbacks,
                                           gpointer                      user_data);
void           ave_slurm_batch_free       (AveSlurmBatch *self);

/* With `resume` and an array recorded in batch.json, re-attaches to it;
 * then submits what is left to run.  FALSE when sbatch refused (nothing
 * was submitted, batch.json says so).  `done` is called on the thread
 * default main context once no array runs and nothing is left to submit
 * (at once, from an idle, when there is nothing to do). */
gboolean       ave_slurm_batch_start      (AveSlurmBatch  *self,
                                           gboolean        resume,
                                           GSourceFunc     done,
                                           gpointer        done_data,
                                           GError        **error);
/* scancel of the running array; nothing more is submitted, and `done`
 * follows once Slurm has ended its tasks. */
gboolean       ave_slurm_batch_cancel     (AveSlurmBatch  *self,
                                           GError        **error);
/* Stops watching, leaving the array to run (--resume re-attaches);
 * `done` is not called. */
void           ave_slurm_batch_detach     (AveSlurmBatch  *self);

/* The array being watched, or NULL. */
const char    *ave_slurm_batch_get_job_id (AveSlurmBatch *self);
guint          ave_slurm_batch_get_n_submitted (AveSlurmBatch *self);  /* tasks submitted by this run */
guint          ave_slurm_batch_get_n_done     (AveSlurmBatch *self);
guint          ave_slurm_batch_get_n_failed   (AveSlurmBatch *self);
guint          ave_slurm_batch_get_n_running  (AveSlurmBatch *self);
guint          ave_slurm_batch_get_n_queued   (AveSlurmBatch *self);
guint          ave_slurm_batch_get_n_skipped  (AveSlurmBatch *self);
/* Items this run had to finish (not skipped). */
guint          ave_slurm_batch_get_n_to_run   (AveSlurmBatch *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSlurmBatch, ave_slurm_batch_free)

G_END_DECLS
