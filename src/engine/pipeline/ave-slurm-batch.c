#define G_LOG_DOMAIN "ave-slurm"

#include "config.h"

#include "pipeline/ave-slurm-batch.h"

typedef struct
{
  gboolean in_flight;   /* a task of the current array is for it */
  gboolean started;     /* item_started was called for that task */
  gboolean finished;    /* nothing more to do in this run */
  gboolean submitted;   /* this run submitted it at least once */
  gboolean retry;       /* goes into the next array */
} ItemTrack;

struct _AveSlurmBatch
{
  AveBatchState          *state;
  const AveSlurmOptions  *options;
  guint                   retries;
  guint                   poll_ms;
  AveSlurmBatchCallbacks  callbacks;
  gpointer                user_data;

  AveSlurmArray          *array;      /* the array being watched */
  gboolean                attached;   /* it was submitted by an earlier run */
  ItemTrack              *track;      /* per item of state */
  guint                   poll_source;
  guint                   done_source;
  gboolean                cancelled;
  GSourceFunc             done;
  gpointer                done_data;
  guint                   n_submitted, n_done, n_failed, n_skipped, n_to_run;
};

AveSlurmBatch *
ave_slurm_batch_new (AveBatchState                *state,
                     const AveSlurmOptions        *options,
                     guint                         retries,
                     guint                         poll_ms,
                     const AveSlurmBatchCallbacks *callbacks,
                     gpointer                      user_data)
{
  AveSlurmBatch *self = g_new0 (AveSlurmBatch, 1);
  guint n = ave_batch_state_get_n_items (state);

  self->state = state;
  self->options = options;
  self->retries = retries;
  self->poll_ms = MAX (poll_ms, 100);
  if (callbacks != NULL)
    self->callbacks = *callbacks;
  self->user_data = user_data;
  self->track = g_new0 (ItemTrack, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      if (ave_batch_state_get_item (state, i)->skip)
        self->n_skipped++;
      else
        self->n_to_run++;
    }
  return self;
}

void
ave_slurm_batch_free (AveSlurmBatch *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_handle_id (&self->done_source, g_source_remove);
  g_clear_pointer (&self->array, ave_slurm_array_free);
  g_free (self->track);
  g_free (self);
}

const char *
ave_slurm_batch_get_job_id (AveSlurmBatch *self)
{
  return self->array != NULL ? ave_slurm_array_get_job_id (self->array) : NULL;
}

guint ave_slurm_batch_get_n_submitted (AveSlurmBatch *self) { return self->n_submitted; }
guint ave_slurm_batch_get_n_done (AveSlurmBatch *self) { return self->n_done; }
guint ave_slurm_batch_get_n_failed (AveSlurmBatch *self) { return self->n_failed; }
guint ave_slurm_batch_get_n_skipped (AveSlurmBatch *self) { return self->n_skipped; }
guint ave_slurm_batch_get_n_to_run (AveSlurmBatch *self) { return self->n_to_run; }

static guint
count_tasks (AveSlurmBatch *self, AveSlurmTaskState wanted)
{
  guint n = 0;

  if (self->array == NULL)
    return 0;
  for (guint i = 0; i < ave_slurm_array_get_n_tasks (self->array); i++)
    {
      AveSlurmTask *task = ave_slurm_array_get_task (self->array, i);
      if (task->state == wanted && task->id != G_MAXUINT)
        n++;
    }
  return n;
}

guint ave_slurm_batch_get_n_running (AveSlurmBatch *self) { return count_tasks (self, AVE_SLURM_TASK_RUNNING); }
guint ave_slurm_batch_get_n_queued (AveSlurmBatch *self) { return count_tasks (self, AVE_SLURM_TASK_QUEUED); }

static void
save (AveSlurmBatch *self)
{
  g_autoptr(GError) error = NULL;

  if (!ave_batch_state_save (self->state, &error) && self->callbacks.save_failed != NULL)
    self->callbacks.save_failed (error, self->user_data);
}

static void
call_done (gpointer user_data)
{
  AveSlurmBatch *self = user_data;
  GSourceFunc done = self->done;

  self->done = NULL;
  self->done_source = 0;
  if (done != NULL)
    done (self->done_data);
}

/* `done` always comes from the main loop, never from inside start(). */
static void
finish (AveSlurmBatch *self)
{
  g_clear_handle_id (&self->poll_source, g_source_remove);
  if (self->done_source == 0)
    self->done_source = g_idle_add_once (call_done, self);
}

static gboolean on_poll (gpointer user_data);

/* One array for every item that `wanted` says; FALSE when sbatch refused
 * it (the items are then failed with its message). */
static gboolean
submit (AveSlurmBatch *self, gboolean (*wanted) (AveSlurmBatch *, guint), GError **error)
{
  g_autoptr(AveSlurmArray) array = ave_slurm_array_new (ave_batch_state_get_root (self->state));
  guint n = ave_batch_state_get_n_items (self->state);
  guint n_tasks = 0;

  for (guint i = 0; i < n; i++)
    {
      AveBatchItem *item = ave_batch_state_get_item (self->state, i);

      if (!wanted (self, i))
        continue;
      if (!ave_slurm_array_add_task (array, i, item->input, item->output, error))
        return FALSE;
      n_tasks++;
    }
  if (n_tasks == 0)
    return TRUE;
  if (!ave_slurm_array_submit (array, self->options, error))
    return FALSE;

  for (guint t = 0; t < n_tasks; t++)
    {
      AveSlurmTask *task = ave_slurm_array_get_task (array, t);
      AveBatchItem *item = ave_batch_state_get_item (self->state, task->id);
      ItemTrack *track = &self->track[task->id];

      *track = (ItemTrack) { .in_flight = TRUE, .submitted = TRUE };
      item->state = AVE_BATCH_PENDING;
      item->attempts++;
      item->run_attempts++;
      /* What is recorded is the input as it was submitted. */
      ave_batch_item_stat (item);
    }
  self->n_submitted += n_tasks;
  g_clear_pointer (&self->array, ave_slurm_array_free);
  self->array = g_steal_pointer (&array);
  self->attached = FALSE;
  ave_batch_state_set_slurm (self->state, ave_slurm_array_get_job_id (self->array),
                             ave_slurm_array_get_dir (self->array));
  save (self);
  if (self->callbacks.submitted != NULL)
    self->callbacks.submitted (ave_slurm_array_get_job_id (self->array), ave_slurm_array_get_dir (self->array),
                               n_tasks, FALSE, self->user_data);
  return TRUE;
}

static gboolean
wanted_first (AveSlurmBatch *self, guint i)
{
  AveBatchItem *item = ave_batch_state_get_item (self->state, i);

  return !item->skip && !self->track[i].finished && !self->track[i].in_flight;
}

static gboolean
wanted_next (AveSlurmBatch *self, guint i)
{
  ItemTrack *track = &self->track[i];

  /* retried items, and those an attached array held back */
  return track->retry || (wanted_first (self, i) && !track->submitted);
}

/* Re-attaches to the array batch.json names.  Its tasks for inputs that
 * are still to run are watched; the others (done and unchanged, or no
 * longer in the batch) are left alone. */
static void
attach (AveSlurmBatch *self)
{
  const char *dir = ave_batch_state_get_slurm_dir (self->state);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveSlurmArray) array = NULL;
  guint n_watched = 0;

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return;
  array = ave_slurm_array_attach (dir, &error);
  if (array == NULL)
    {
      if (self->callbacks.poll_failed != NULL)
        self->callbacks.poll_failed (error, self->user_data);
      return;
    }
  for (guint t = 0; t < ave_slurm_array_get_n_tasks (array); t++)
    {
      AveSlurmTask *task = ave_slurm_array_get_task (array, t);
      AveBatchItem *item = ave_batch_state_lookup (self->state, task->input);
      guint index = 0;

      /* The task's id was the item's index in the earlier run; the batch
       * may have gained or lost inputs since, so find it by its input. */
      task->id = G_MAXUINT;
      if (item == NULL || item->skip || item->changed || !g_str_equal (item->output, task->output))
        continue;
      while (ave_batch_state_get_item (self->state, index) != item)
        index++;
      task->id = index;
      self->track[index].in_flight = TRUE;
      n_watched++;
    }
  if (n_watched == 0)
    return;
  self->array = g_steal_pointer (&array);
  self->attached = TRUE;
  if (self->callbacks.submitted != NULL)
    self->callbacks.submitted (ave_slurm_array_get_job_id (self->array), ave_slurm_array_get_dir (self->array),
                               n_watched, TRUE, self->user_data);
}

gboolean
ave_slurm_batch_start (AveSlurmBatch  *self,
                       gboolean        resume,
                       GSourceFunc     done,
                       gpointer        done_data,
                       GError        **error)
{
  self->done = done;
  self->done_data = done_data;
  if (resume)
    attach (self);
  /* While an earlier array runs, its inputs' folders are taken: the rest
   * waits for it rather than running beside it. */
  if (self->array == NULL)
    {
      if (!submit (self, wanted_first, error))
        {
          save (self);
          return FALSE;
        }
      save (self);
    }
  if (self->array == NULL)
    {
      finish (self);
      return TRUE;
    }
  self->poll_source = g_timeout_add (self->poll_ms, on_poll, self);
  /* a first look at once: an attached array may have ended long ago */
  on_poll (self);
  return TRUE;
}

static void
task_ended (AveSlurmBatch *self, AveSlurmTask *task)
{
  AveBatchItem *item = ave_batch_state_get_item (self->state, task->id);
  ItemTrack *track = &self->track[task->id];
  gboolean retry = FALSE;

  track->in_flight = FALSE;
  item->seconds = task->seconds;
  if (task->state == AVE_SLURM_TASK_DONE)
    {
      item->state = AVE_BATCH_DONE;
      g_clear_pointer (&item->error, g_free);
      self->n_done++;
    }
  else if (self->cancelled && task->interrupted)
    /* stopped by this run's Ctrl+C: not a failure, --resume runs it */
    item->state = AVE_BATCH_PENDING;
  else
    {
      g_free (item->error);
      item->error = g_strdup (task->error);
      if (self->cancelled)
        retry = FALSE;
      else if (self->attached)
        /* --resume: what was stopped runs again; what failed on its own
         * does not (unless --retry, within this run) */
        retry = task->interrupted;
      else
        retry = item->run_attempts <= self->retries;
      item->state = retry ? AVE_BATCH_PENDING : AVE_BATCH_FAILED;
      if (!retry)
        self->n_failed++;
    }
  track->retry = retry;
  track->finished = !retry;
  save (self);
  if (self->callbacks.item_finished != NULL)
    self->callbacks.item_finished (item, retry, self->user_data);
}

static gboolean
on_poll (gpointer user_data)
{
  AveSlurmBatch *self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean finished = FALSE;
  guint n_tasks;

  if (self->array == NULL)
    return G_SOURCE_REMOVE;
  if (!ave_slurm_array_poll (self->array, &finished, &error))
    {
      if (self->callbacks.poll_failed != NULL)
        self->callbacks.poll_failed (error, self->user_data);
      return G_SOURCE_CONTINUE;
    }
  n_tasks = ave_slurm_array_get_n_tasks (self->array);
  for (guint t = 0; t < n_tasks; t++)
    {
      AveSlurmTask *task = ave_slurm_array_get_task (self->array, t);
      AveBatchItem *item;
      ItemTrack *track;

      if (task->id == G_MAXUINT)
        continue;
      item = ave_batch_state_get_item (self->state, task->id);
      track = &self->track[task->id];
      if (!track->in_flight)
        continue;
      if (task->state == AVE_SLURM_TASK_RUNNING && !track->started)
        {
          track->started = TRUE;
          item->state = AVE_BATCH_RUNNING;
          save (self);
          if (self->callbacks.item_started != NULL)
            self->callbacks.item_started (item, self->user_data);
        }
      else if (task->state == AVE_SLURM_TASK_DONE || task->state == AVE_SLURM_TASK_FAILED)
        task_ended (self, task);
    }
  if (!finished)
    return G_SOURCE_CONTINUE;

  /* The array has ended: the next one holds the retries and whatever
   * waited for it. */
  if (!self->cancelled)
    {
      g_autoptr(GError) submit_error = NULL;
      g_autofree char *previous = g_strdup (ave_slurm_array_get_job_id (self->array));

      if (submit (self, wanted_next, &submit_error))
        {
          if (g_strcmp0 (previous, ave_slurm_array_get_job_id (self->array)) != 0)
            return G_SOURCE_CONTINUE;
        }
      else
        {
          for (guint i = 0; i < ave_batch_state_get_n_items (self->state); i++)
            if (wanted_next (self, i))
              {
                AveBatchItem *item = ave_batch_state_get_item (self->state, i);

                g_free (item->error);
                item->error = g_strdup (submit_error->message);
                item->state = AVE_BATCH_FAILED;
                self->track[i] = (ItemTrack) { .finished = TRUE };
                self->n_failed++;
                if (self->callbacks.item_finished != NULL)
                  self->callbacks.item_finished (item, FALSE, self->user_data);
              }
          save (self);
        }
    }
  finish (self);
  return G_SOURCE_REMOVE;
}

gboolean
ave_slurm_batch_cancel (AveSlurmBatch *self, GError **error)
{
  self->cancelled = TRUE;
  if (self->array == NULL)
    return TRUE;
  return ave_slurm_array_cancel (self->array, error);
}

void
ave_slurm_batch_detach (AveSlurmBatch *self)
{
  g_clear_handle_id (&self->poll_source, g_source_remove);
  self->done = NULL;
}
