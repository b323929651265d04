/* ave-batch.h — many inputs, one output folder, and a record that survives
 * a crash: what `ai-video-editor batch` (and `batch --slurm`) run.
 *
 * The inputs are every video under a folder and its subfolders, or every
 * path in a list file (one a line; '#' starts a comment; relative paths are
 * relative to the list file).  Each input gets the output folder
 * DIR/<name>, where <name> is its path relative to the input folder without
 * the extension ("a/talk.mp4" → "a/talk"), so two files of one name in two
 * folders never share one; a second file that would take a name already
 * taken gets "-2", "-3"...  (for a list, paths are relative to the deepest
 * folder all of them share).
 *
 * The state file DIR/batch.json (written whole, to a temporary file renamed
 * over the old one, after every change) holds one entry per input:
 *
 *   { "version": 1, "source": "/abs/INPUT_DIR or LIST", "kind": "process",
 *     "updated": "2026-12-03T13:00:00Z",
 *     "items": [ { "input": "/abs/a/talk.mp4", "name": "a/talk",
 *                  "output": "/abs/DIR/a/talk",
 *                  "state": "pending" | "running" | "done" | "failed",
 *                  "error": null | "message", "attempts": 1,
 *                  "size": 12345, "mtime_us": 1764763200000000,
 *                  "seconds": 12.5, "cost_usd": 0.0 } ],
 *     "slurm": { "job_id": "1234", "submission": "/abs/DIR/.slurm/..." } }
 *
 * `attempts` counts every run of the input, in every batch; `size` and
 * `mtime_us` are the input's when it was last run.  After a crash an entry
 * may still say "running": it is run again.  With resume, an input that is
 * "done" and whose size and modification time are unchanged is skipped;
 * everything else runs.
 */
#pragma once

#include <gio/gio.h>

#include "pipeline/ave-job.h"

G_BEGIN_DECLS

#define AVE_BATCH_STATE_NAME "batch.json"

typedef enum {
  AVE_BATCH_PENDING,
  AVE_BATCH_RUNNING,
  AVE_BATCH_DONE,
  AVE_BATCH_FAILED,
} AveBatchItemState;

/* "pending", "running", "done", "failed" */
const char *ave_batch_item_state_to_string   (AveBatchItemState state);
gboolean    ave_batch_item_state_from_string (const char *str, AveBatchItemState *out);

typedef struct
{
  char              *input;      /* absolute path */
  char              *name;       /* output folder relative to DIR: "a/talk" */
  char              *output;     /* DIR/<name>, absolute */
  AveBatchItemState  state;
  char              *error;      /* the last failure's message, or NULL */
  guint              attempts;
  guint64            size;       /* of the input when it was last run */
  gint64             mtime_us;
  double             seconds;    /* wall time of the last attempt */
  double             cost_usd;   /* of the last attempt */
  /* Not saved: what this batch run decided. */
  gboolean           skip;       /* done and unchanged (resume) */
  gboolean           changed;    /* done before, but the input changed since */
  guint              run_attempts;
} AveBatchItem;

typedef struct _AveBatchState AveBatchState;

/* The inputs of `source` (a folder or a list file) with their names, sizes
 * and modification times, in a stable order.  `output_root` (may be NULL)
 * is skipped when it lies inside the folder, and so is every folder of
 * results (one holding the engine's manifest), so a batch never processes
 * its own results, even with the output folder as the input folder.  Fails when the source cannot be read or holds no video. */
AveBatchState *ave_batch_state_collect  (const char  *source,
                                         const char  *output_root,
                                         AveJobKind   kind,
                                         GError     **error);
/* DIR/batch.json, or NULL with no error when there is none. */
AveBatchState *ave_batch_state_load     (const char  *output_root,
                                         GError     **error);
void           ave_batch_state_free     (AveBatchState *self);

/* Takes over, from the state an earlier run left (`previous`, may be NULL),
 * each input's name (so results stay where they are) and record; with
 * `resume`, marks the inputs that are done and unchanged as skipped.
 * Entries that were "running" (a crash) become "pending". */
void           ave_batch_state_merge    (AveBatchState       *self,
                                         const AveBatchState *previous,
                                         gboolean             resume);
/* batch --slurm (ave-slurm-batch.h): the job array last submitted and its
 * submission folder, saved as "slurm" so that --resume re-attaches to it. */
void           ave_batch_state_set_slurm (AveBatchState *self,
                                          const char    *job_id,
                                          const char    *submission_dir);
const char    *ave_batch_state_get_slurm_job_id (AveBatchState *self);
const char    *ave_batch_state_get_slurm_dir (AveBatchState *self);
/* Writes DIR/batch.json atomically. */
gboolean       ave_batch_state_save     (AveBatchState *self,
                                         GError       **error);

const char    *ave_batch_state_get_root (AveBatchState *self);
guint          ave_batch_state_get_n_items (AveBatchState *self);
AveBatchItem  *ave_batch_state_get_item (AveBatchState *self,
                                         guint          index);
AveBatchItem  *ave_batch_state_lookup   (AveBatchState *self,
                                         const char    *input);
/* Re-reads the input's size and modification time into the item. */
void           ave_batch_item_stat      (AveBatchItem  *item);

/* ------------------------------------------------------------ running */

typedef struct _AveBatch AveBatch;

typedef struct
{
  /* The item starts (state "running"; attempts counted). */
  void (*item_started)  (AveBatchItem *item, gpointer user_data);
  /* The item ended: done, failed (error set) or, when cancelled, pending
   * again.  `will_retry`: it failed and runs again (--retry). */
  void (*item_finished) (AveBatchItem *item, const GError *error,
                         gboolean will_retry, gpointer user_data);
  /* An event of the item's job (from a worker thread, like AveEventFunc). */
  void (*job_event)     (AveBatchItem *item, const AveEvent *event, gpointer user_data);
  /* The state file could not be written (the batch goes on). */
  void (*save_failed)   (const GError *error, gpointer user_data);
} AveBatchCallbacks;

/* Runs every item of `state` that is not skipped, as `kind` jobs with
 * `settings`, at most `jobs` at once within settings->max_memory_bytes
 * (ave-job-queue.h); a failed item runs again up to `retries` times.  The
 * state file is saved after every change. */
AveBatch      *ave_batch_new            (AveBatchState           *state,
                                         AveJobKind               kind,
                                         const AveSettings       *settings,
                                         guint                    jobs,
                                         guint                    retries,
                                         const AveBatchCallbacks *callbacks,
                                         gpointer                 user_data);
void           ave_batch_free           (AveBatch *self);
/* Starts on the thread default main context; `done` is called there once
 * every item has ended (or, after `cancellable` fired, every running job
 * has stopped). */
void           ave_batch_start          (AveBatch       *self,
                                         GCancellable   *cancellable,
                                         GSourceFunc     done,
                                         gpointer        done_data);
guint          ave_batch_get_n_done     (AveBatch *self);
guint          ave_batch_get_n_failed   (AveBatch *self);
guint          ave_batch_get_n_skipped  (AveBatch *self);
guint          ave_batch_get_n_running  (AveBatch *self);
guint          ave_batch_get_n_to_run   (AveBatch *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveBatchState, ave_batch_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveBatch, ave_batch_free)

G_END_DECLS
