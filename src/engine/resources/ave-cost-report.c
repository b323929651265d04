#define G_LOG_DOMAIN "ave-cost-report"

#include "config.h"

#include "resources/ave-cost-report.h"
#include "resources/ave-metrics.h"

typedef struct
{
  AveJobObserver  parent;
  AveJobRun      *run;
  AveCostLedger  *ledger;     /* while a run is watched for --cost-alerts */
  gulong          handler;
  GMutex          lock;       /* the ledger changes on the caller's thread */
  double          fraction;   /* the highest fraction of the budget seen */
} CostReport;

/* The ledger's "changed": whichever thread settled or reserved a call. */
static void
on_ledger_changed (AveCostLedger *ledger, gpointer user_data)
{
  CostReport *self = user_data;
  double fraction = ave_cost_ledger_get_fraction (ledger);
  static const int percents[] = { 50, 80, 100 };
  guint crossed;

  g_mutex_lock (&self->lock);
  crossed = ave_cost_alert_thresholds (self->fraction, fraction);
  self->fraction = MAX (self->fraction, fraction);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < G_N_ELEMENTS (percents); i++)
    if (crossed & (1u << i))
      {
        AveCostTotals t;
        g_autofree char *message = NULL;
        AveEvent event = { .kind = AVE_EVENT_WARNING };

        ave_cost_ledger_get_totals (ledger, &t);
        message = g_strdup_printf ("API costs reached %d %% of the $%.2f budget ($%.4f spent, $%.4f reserved)",
                                   percents[i], t.budget_usd, t.spent_usd, t.reserved_usd);
        event.message = message;
        ave_job_run_emit (self->run, &event);
      }
}

static gboolean
cost_report_run_start (AveJobObserver *observer, AveJobRun *run, GError **error)
{
  CostReport *self = (CostReport *) observer;

  self->run = run;
  if (run->settings->cost_alerts && run->ledger != NULL)
    {
      self->fraction = ave_cost_ledger_get_fraction (run->ledger);
      self->ledger = g_object_ref (run->ledger);
      self->handler = g_signal_connect (self->ledger, "changed", G_CALLBACK (on_ledger_changed), self);
    }
  return TRUE;
}

static void
cost_report_event (AveJobObserver *observer, AveJobRun *run, const AveEvent *event)
{
  const AveCostTotals *t = event->totals;
  g_autofree char *message = NULL;
  AveEvent notice = { .kind = AVE_EVENT_NOTICE };

  if (event->kind != AVE_EVENT_COSTS || !run->settings->track_costs)
    return;
  message = g_strdup_printf ("API costs of this run: %u call%s, $%.4f%s%s",
                             t->calls, t->calls == 1 ? "" : "s", t->spent_usd,
                             t->refused > 0 ? ", calls refused by the budget" : "",
                             t->calls == 0 ? " (the local director calls no API)" : "");
  notice.message = message;
  ave_job_run_emit (run, &notice);
}

static void
cost_report_run_end (AveJobObserver *observer, AveJobRun *run, const GError *error)
{
  CostReport *self = (CostReport *) observer;

  if (self->handler != 0)
    g_clear_signal_handler (&self->handler, self->ledger);
  g_clear_object (&self->ledger);
}

static void
cost_report_free (gpointer data)
{
  CostReport *self = data;

  if (self->handler != 0)
    g_clear_signal_handler (&self->handler, self->ledger);
  g_clear_object (&self->ledger);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static const AveJobObserverFuncs cost_report_funcs = {
  .run_start = cost_report_run_start,
  .event = cost_report_event,
  .run_end = cost_report_run_end,
  .free = cost_report_free,
};

AveJobObserver *
ave_cost_report_observer_new (void)
{
  CostReport *self = g_new0 (CostReport, 1);

  self->parent.funcs = &cost_report_funcs;
  g_mutex_init (&self->lock);
  return &self->parent;
}

gboolean
ave_cost_report_wanted (const AveSettings *settings)
{
  return settings->cost_alerts || settings->track_costs;
}
