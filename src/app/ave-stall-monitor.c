#define G_LOG_DOMAIN "ave-stall-monitor"

#include "config.h"

#include "ave-stall-monitor.h"

#define PERIOD_MS 10

struct _AveStallMonitor
{
  GMainContext *context;
  GSource *source;
  gint64   last_wakeup_us;
  gint64   max_lateness_us;
  guint    depth;
  guint    n_wakeups;
};

static gboolean
on_tick (gpointer data)
{
  AveStallMonitor *self = data;
  gint64 now = g_get_monotonic_time ();

  if (self->last_wakeup_us != 0)
    {
      /* Whatever exceeds the period is time the loop spent elsewhere. */
      gint64 lateness = now - self->last_wakeup_us - PERIOD_MS * G_TIME_SPAN_MILLISECOND;

      if (lateness > self->max_lateness_us)
        self->max_lateness_us = lateness;
      self->n_wakeups++;
    }
  self->last_wakeup_us = now;
  return G_SOURCE_CONTINUE;
}

AveStallMonitor *
ave_stall_monitor_new (GMainContext *context)
{
  AveStallMonitor *self = g_new0 (AveStallMonitor, 1);

  self->context = context != NULL ? g_main_context_ref (context) : NULL;
  return self;
}

static void
stop_source (AveStallMonitor *self)
{
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  self->last_wakeup_us = 0;
}

void
ave_stall_monitor_free (AveStallMonitor *self)
{
  if (self == NULL)
    return;
  stop_source (self);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}

void
ave_stall_monitor_begin (AveStallMonitor *self)
{
  /* The source only exists while measuring: a 10 ms wake-up costs power. */
  if (self->depth++ > 0)
    return;
  self->source = g_timeout_source_new (PERIOD_MS);
  /* Above redraws and idles, so it measures them rather than waiting behind them. */
  g_source_set_priority (self->source, G_PRIORITY_HIGH);
  g_source_set_name (self->source, "[ave] main-loop stall monitor");
  g_source_set_callback (self->source, on_tick, self, NULL);
  g_source_attach (self->source, self->context);
  self->last_wakeup_us = g_get_monotonic_time ();
}

void
ave_stall_monitor_end (AveStallMonitor *self)
{
  g_return_if_fail (self->depth > 0);
  if (--self->depth == 0)
    stop_source (self);
}

gboolean
ave_stall_monitor_is_measuring (AveStallMonitor *self)
{
  return self->depth > 0;
}

double
ave_stall_monitor_get_max_ms (AveStallMonitor *self)
{
  return self->max_lateness_us / 1000.0;
}

guint
ave_stall_monitor_get_n_wakeups (AveStallMonitor *self)
{
  return self->n_wakeups;
}
