/* ave-slurm.h — many inputs as one Slurm job array, for clusters.
 *
 * An AveSlurmArray is one `sbatch --array` submission: task i runs
 * `ai-video-editor process --json` on input i, with the output folder the
 * caller chose for it.  Everything the tasks need and leave lives in a
 * submission folder under the output root, on storage every node sees:
 *
 *   DIR/.slurm/<submission>/tasks.tsv     task i is line i+1: id, input,
 *                                         output parent, output name
 *                                         (tab-separated)
 *                          /task.sh       the batch script sbatch got
 *                          /job_id        the array's job id, once submitted
 *                          /state/<i>.json  task i's record, written by the
 *                                         task itself: "running" when it
 *                                         starts, then "done" or "failed"
 *                                         with its exit code and the
 *                                         input-end event of `process`
 *                                         (whose "error" is the message)
 *                          /events/<i>.jsonl  the task's --json events
 *                          /logs/<i>.out  its stderr and Slurm's messages
 *
 * The submitting process tracks the array with `squeue` (which tasks still
 * wait or run) and, for a task that left the queue without finishing its
 * record (cancelled, killed, out of time or memory, node failure), asks
 * `scontrol show job` why.  `sacct` is never needed, so clusters without
 * accounting work the same.  Nothing here deletes anything: the submission
 * folders stay as the log of what ran where.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AVE_SLURM_ERROR (ave_slurm_error_quark ())

typedef enum {
  AVE_SLURM_ERROR_NOT_INSTALLED,   /* sbatch, squeue or scontrol missing */
  AVE_SLURM_ERROR_SUBMIT,          /* sbatch refused the array */
  AVE_SLURM_ERROR_QUERY,           /* squeue / scontrol failed */
  AVE_SLURM_ERROR_INVALID,         /* a submission folder that is not ours or is damaged */
} AveSlurmError;

GQuark ave_slurm_error_quark (void);

/* How the tasks are submitted. */
typedef struct
{
  char    *program;       /* the ai-video-editor the nodes run (absolute path) */
  char   **process_args;  /* flags given to every `process` (NULL = none) */
  char    *partition;     /* --partition, NULL = the cluster's default */
  char    *account;       /* --account */
  char    *time_limit;    /* --time, in any form sbatch takes ("2:00:00") */
  char   **sbatch_args;   /* further sbatch arguments, each one word */
  char    *job_name;      /* --job-name, NULL = "ai-video-editor" */
  char    *workdir;       /* --chdir: where relative paths in process_args point; NULL = the current folder */
  guint    throttle;      /* at most this many tasks run at once (%N); 0 = no limit */
  guint64  mem_bytes;     /* --mem of each task; 0 = the partition's default */
  guint    cpus;          /* --cpus-per-task; 0 = the partition's default */
} AveSlurmOptions;

AveSlurmOptions *ave_slurm_options_new  (void);
void             ave_slurm_options_free (AveSlurmOptions *self);

typedef enum {
  AVE_SLURM_TASK_QUEUED,   /* waiting in the queue (or not yet seen there) */
  AVE_SLURM_TASK_RUNNING,
  AVE_SLURM_TASK_DONE,     /* `process` exited 0 */
  AVE_SLURM_TASK_FAILED,   /* error says why */
} AveSlurmTaskState;

/* "queued", "running", "done", "failed" */
const char *ave_slurm_task_state_to_string (AveSlurmTaskState state);

typedef struct
{
  guint              id;        /* the caller's, e.g. an index into its items */
  char              *input;     /* absolute path */
  char              *output;    /* the task's output folder, absolute */
  AveSlurmTaskState  state;
  char              *error;     /* when failed: the message to show */
  int                exit_code; /* of `process`, -1 while unknown */
  double             seconds;   /* wall time on the node, once ended */
  char              *node;      /* where it ran, once it started */
  gboolean           interrupted; /* failed because it was stopped (cancelled, killed,
                                   * out of time, node lost), not because of its input */
} AveSlurmTask;

typedef struct _AveSlurmArray AveSlurmArray;

/* TRUE when sbatch, squeue, scontrol and scancel are on PATH. */
gboolean       ave_slurm_available        (GError **error);

/* Whether `path` lies on storage other nodes can see.  Returns FALSE with
 * a warning in *message when it is local storage (ext4, xfs, btrfs, tmpfs,
 * overlay, ...) and the partition (NULL = the default one) has more than
 * one node; TRUE otherwise, with a note in *message when it is local on a
 * one-node partition (fine there) or when the file system type says nothing
 * either way (FUSE). */
gboolean       ave_slurm_check_shared_storage (const char  *path,
                                               const char  *partition,
                                               char       **message);

/* A new array whose submission folder will be made under
 * `output_root`/.slurm when it is submitted. */
AveSlurmArray *ave_slurm_array_new        (const char *output_root);
/* Re-attaches to a submission made earlier (e.g. by a process that was
 * killed): reads its tasks and job id from `submission_dir`. */
AveSlurmArray *ave_slurm_array_attach     (const char  *submission_dir,
                                           GError     **error);
void           ave_slurm_array_free       (AveSlurmArray *self);

/* Adds a task before submission.  `output` is the folder `process` must
 * write (parent/name); paths with a tab or a newline cannot be listed and
 * are refused. */
gboolean       ave_slurm_array_add_task   (AveSlurmArray  *self,
                                           guint           id,
                                           const char     *input,
                                           const char     *output,
                                           GError        **error);
/* Writes the submission folder and runs sbatch once for all tasks. */
gboolean       ave_slurm_array_submit     (AveSlurmArray          *self,
                                           const AveSlurmOptions  *options,
                                           GError                **error);
/* Asks squeue (and scontrol for tasks that vanished) where each task is
 * and reads the tasks' records.  Sets *finished when no task waits or
 * runs any more. */
gboolean       ave_slurm_array_poll       (AveSlurmArray  *self,
                                           gboolean       *finished,
                                           GError        **error);
/* scancel of the whole array. */
gboolean       ave_slurm_array_cancel     (AveSlurmArray  *self,
                                           GError        **error);

const char    *ave_slurm_array_get_job_id (AveSlurmArray *self);
const char    *ave_slurm_array_get_dir    (AveSlurmArray *self);
guint          ave_slurm_array_get_n_tasks (AveSlurmArray *self);
AveSlurmTask  *ave_slurm_array_get_task   (AveSlurmArray *self,
                                           guint          index);
/* The task with this caller id, or NULL. */
AveSlurmTask  *ave_slurm_array_lookup     (AveSlurmArray *self,
                                           guint          id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSlurmOptions, ave_slurm_options_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSlurmArray, ave_slurm_array_free)

G_END_DECLS
