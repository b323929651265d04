#define G_LOG_DOMAIN "ave-job-queue"

#include "config.h"

#include "ave-job-queue.h"
#include "ave-job-background.h"
#include "core/ave-memory-budget.h"

typedef struct
{
  AveJobQueue            *queue;
  AveJob                 *job;
  guint64                 estimate;
  GCancellable           *cancellable;
  gulong                  cancel_handler;
  AveJobQueueStartedFunc  started;
  AveJobQueueDoneFunc     done;
  gpointer                user_data;
} Entry;

struct _AveJobQueue
{
  guint64       budget;
  guint         max_running;
  int           nice_increment;
  guint64       running_bytes;
  guint         n_running;
  GQueue        waiting;        /* Entry, oldest first */
  GMainContext *context;
  GSource      *sweep;          /* removes cancelled waiting jobs */
};

static void admit (AveJobQueue *self);

guint64
ave_job_queue_estimate (const AveSettings *settings)
{
  AveBudgetPlan plan;

  ave_memory_budget_plan (settings, 0, 0, g_get_num_processors (), &plan);
  return MAX (plan.analysis_bytes, plan.composition_bytes);
}

guint
ave_job_queue_default_jobs (const AveSettings *settings)
{
  guint64 estimate = ave_job_queue_estimate (settings);
  guint64 n;

  if (settings->max_memory_bytes == 0 || estimate == 0)
    return 1;
  n = settings->max_memory_bytes / estimate;
  return (guint) CLAMP (n, 1, (guint64) MAX (1, g_get_num_processors ()));
}

AveJobQueue *
ave_job_queue_new (guint64 budget_bytes,
                   guint   max_running)
{
  AveJobQueue *self = g_new0 (AveJobQueue, 1);

  self->budget = budget_bytes;
  self->max_running = MAX (1, max_running);
  g_queue_init (&self->waiting);
  self->context = g_main_context_ref_thread_default ();
  return self;
}

static void
entry_free (Entry *entry)
{
  if (entry->cancel_handler != 0)
    g_cancellable_disconnect (entry->cancellable, entry->cancel_handler);
  g_clear_object (&entry->cancellable);
  g_clear_object (&entry->job);
  g_free (entry);
}

void
ave_job_queue_free (AveJobQueue *self)
{
  if (self == NULL)
    return;
  /* Jobs still waiting are dropped without a call: the owner frees the
   * queue only once it has nothing more to hear from it. */
  g_queue_clear_full (&self->waiting, (GDestroyNotify) entry_free);
  if (self->sweep != NULL)
    {
      g_source_destroy (self->sweep);
      g_source_unref (self->sweep);
    }
  g_main_context_unref (self->context);
  g_free (self);
}

/* A job that leaves the line cancelled, without ever starting. */
static void
finish_cancelled (Entry *entry)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "Cancelled before it started");

  entry->done (entry->job, error, entry->user_data);
  entry_free (entry);
}

static gboolean
sweep_cancelled (gpointer user_data)
{
  AveJobQueue *self = user_data;
  GSource *source = g_atomic_pointer_exchange (&self->sweep, NULL);
  GList *l;

  if (source != NULL)
    g_source_unref (source);
  l = self->waiting.head;
  while (l != NULL)
    {
      Entry *entry = l->data;

      if (entry->cancellable != NULL && g_cancellable_is_cancelled (entry->cancellable))
        {
          g_queue_delete_link (&self->waiting, l);
          finish_cancelled (entry);
          /* The owner may have queued or started jobs from its callback:
           * the line is read again from its head. */
          l = self->waiting.head;
        }
      else
        l = l->next;
    }
  /* A cancelled job at the head may have held back the ones behind it. */
  admit (self);
  return G_SOURCE_REMOVE;
}

/* Runs in whichever thread cancels: only schedules the sweep. */
static void
on_waiting_cancelled (GCancellable *cancellable, gpointer user_data)
{
  AveJobQueue *self = user_data;
  GSource *source;

  source = g_idle_source_new ();
  g_source_set_callback (source, sweep_cancelled, self, NULL);
  g_source_set_name (source, "[ave] job queue sweep");
  /* One sweep at a time is enough; the context owns what it runs. */
  if (g_atomic_pointer_compare_and_exchange (&self->sweep, NULL, source))
    g_source_attach (source, self->context);
  else
    g_source_unref (source);
}

static void
on_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Entry *entry = user_data;
  AveJobQueue *self = entry->queue;
  g_autoptr(GError) error = NULL;

  ave_job_run_finish (AVE_JOB (source), result, &error);
  self->n_running--;
  self->running_bytes -= entry->estimate;
  /* Room is made before the owner hears of it, so that a job it queues
   * from the callback sees the true state. */
  entry->done (entry->job, error, entry->user_data);
  entry_free (entry);
  admit (self);
}

static gboolean
fits (AveJobQueue *self, Entry *entry)
{
  if (self->n_running == 0)
    return TRUE;
  if (self->n_running >= self->max_running)
    return FALSE;
  return self->budget == 0 || self->running_bytes + entry->estimate <= self->budget;
}

static void
admit (AveJobQueue *self)
{
  Entry *entry;

  /* In order of arrival: a large job at the head is not overtaken by
   * smaller ones for ever. */
  while ((entry = g_queue_peek_head (&self->waiting)) != NULL && fits (self, entry))
    {
      g_queue_pop_head (&self->waiting);
      /* Cancelled while it waited, and the sweep has not run yet: a
       * running job's end (dispatched before the idle sweep) admits the
       * next in line, which must not start. */
      if (entry->cancellable != NULL && g_cancellable_is_cancelled (entry->cancellable))
        {
          finish_cancelled (entry);
          continue;
        }
      if (entry->cancel_handler != 0)
        {
          g_cancellable_disconnect (entry->cancellable, entry->cancel_handler);
          entry->cancel_handler = 0;
        }
      self->n_running++;
      self->running_bytes += entry->estimate;
      if (entry->started != NULL)
        entry->started (entry->job, entry->user_data);
      if (self->nice_increment > 0)
        ave_job_run_background_async (entry->job, self->nice_increment, entry->cancellable, on_job_done, entry);
      else
        ave_job_run_async (entry->job, entry->cancellable, on_job_done, entry);
    }
}

void
ave_job_queue_add (AveJobQueue            *self,
                   AveJob                 *job,
                   guint64                 estimate_bytes,
                   GCancellable           *cancellable,
                   AveJobQueueStartedFunc  started,
                   AveJobQueueDoneFunc     done,
                   gpointer                user_data)
{
  Entry *entry;

  g_return_if_fail (self != NULL);
  g_return_if_fail (AVE_IS_JOB (job));
  g_return_if_fail (done != NULL);

  entry = g_new0 (Entry, 1);
  entry->queue = self;
  entry->job = g_object_ref (job);
  entry->estimate = estimate_bytes;
  if (entry->estimate == 0)
    {
      g_autoptr(AveSettings) defaults = ave_settings_new ();
      entry->estimate = ave_job_queue_estimate (defaults);
    }
  entry->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  entry->started = started;
  entry->done = done;
  entry->user_data = user_data;
  g_queue_push_tail (&self->waiting, entry);
  admit (self);
  /* Still waiting: a cancel must take it out of the line. */
  if (g_queue_find (&self->waiting, entry) != NULL && cancellable != NULL)
    entry->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_waiting_cancelled), self, NULL);
}

void
ave_job_queue_set_nice_increment (AveJobQueue *self,
                                  int          nice_increment)
{
  self->nice_increment = CLAMP (nice_increment, 0, 19);
}

guint
ave_job_queue_get_n_running (AveJobQueue *self)
{
  return self->n_running;
}

guint
ave_job_queue_get_n_waiting (AveJobQueue *self)
{
  return self->waiting.length;
}

gboolean
ave_job_queue_is_idle (AveJobQueue *self)
{
  return self->n_running == 0 && self->waiting.length == 0;
}
