#define G_LOG_DOMAIN "ave-decisions"

#include "config.h"

#include "core/ave-run-decisions.h"
#include "core/ave-memory-budget.h"

static void
decision_free (gpointer data)
{
  AveDecision *decision = data;

  ave_decision_clear (decision);
  g_free (decision);
}

void
ave_decision_clear (AveDecision *decision)
{
  g_clear_pointer (&decision->what, g_free);
  g_clear_pointer (&decision->from, g_free);
  g_clear_pointer (&decision->to, g_free);
  g_clear_pointer (&decision->why, g_free);
}

AveRunDecisions *
ave_run_decisions_new (const AveSettings *settings)
{
  AveRunDecisions *self = g_new0 (AveRunDecisions, 1);

  self->max_memory_bytes = settings->max_memory_bytes;
  self->n_workers = settings->n_workers;
  self->encoder_threads = settings->encoder_threads;
  self->encoder_lookahead = settings->encoder_lookahead;
  self->encoder_preset = g_strdup (settings->encoder_preset);
  self->analysis_width = settings->analysis_width;
  self->frame_step = settings->frame_step;
  self->detect_beats = settings->detect_beats;
  self->temp_dir = g_strdup (settings->temp_dir);
  self->reader_threads = MAX (1u, settings->n_workers);
  self->parallel_outputs = settings->parallel;
  self->memory_pressure = AVE_PRESSURE_NORMAL;
  g_mutex_init (&self->lock);
  self->log = g_ptr_array_new_with_free_func (decision_free);
  return self;
}

void
ave_run_decisions_free (AveRunDecisions *self)
{
  if (self == NULL)
    return;
  g_free (self->encoder_preset);
  g_free (self->temp_dir);
  g_ptr_array_unref (self->log);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
ave_run_decisions_apply (const AveRunDecisions *self,
                         AveSettings           *view)
{
  view->max_memory_bytes = self->max_memory_bytes;
  view->n_workers = self->n_workers;
  view->encoder_threads = self->encoder_threads;
  view->encoder_lookahead = self->encoder_lookahead;
  if (g_strcmp0 (view->encoder_preset, self->encoder_preset) != 0)
    {
      g_free (view->encoder_preset);
      view->encoder_preset = g_strdup (self->encoder_preset);
    }
  view->analysis_width = self->analysis_width;
  view->frame_step = self->frame_step;
  view->detect_beats = self->detect_beats;
  if (g_strcmp0 (view->temp_dir, self->temp_dir) != 0)
    {
      g_free (view->temp_dir);
      view->temp_dir = g_strdup (self->temp_dir);
    }
}

const AveDecision *
ave_run_decisions_log (AveRunDecisions *self,
                       const char      *what,
                       const char      *from,
                       const char      *to,
                       const char      *why,
                       double           when)
{
  AveDecision *decision = g_new0 (AveDecision, 1);

  decision->what = g_strdup (what);
  decision->from = g_strdup (from);
  decision->to = g_strdup (to);
  decision->why = g_strdup (why);
  decision->when = when;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->log, decision);
  g_mutex_unlock (&self->lock);
  return decision;
}

guint
ave_run_decisions_count (AveRunDecisions *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->log->len;
  g_mutex_unlock (&self->lock);
  return n;
}

void
ave_run_decisions_get (AveRunDecisions *self,
                       guint            i,
                       AveDecision     *out)
{
  const AveDecision *d;

  g_mutex_lock (&self->lock);
  if (i >= self->log->len)
    {
      g_mutex_unlock (&self->lock);
      g_return_if_reached ();
    }
  d = g_ptr_array_index (self->log, i);
  out->what = g_strdup (d->what);
  out->from = g_strdup (d->from);
  out->to = g_strdup (d->to);
  out->why = g_strdup (d->why);
  out->when = d->when;
  g_mutex_unlock (&self->lock);
}
