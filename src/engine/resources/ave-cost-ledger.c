#define G_LOG_DOMAIN "ave-cost-ledger"

#include "config.h"

#include <gio/gio.h>

#include "ave-cost-ledger.h"

struct _AveCostLedger
{
  GObject     parent_instance;
  GMutex      lock;
  AveCostTotals totals;
  GHashTable *reservations;   /* id -> double* estimate */
  guint       next_id;
};

G_DEFINE_FINAL_TYPE (AveCostLedger, ave_cost_ledger, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
ave_cost_ledger_finalize (GObject *object)
{
  AveCostLedger *self = AVE_COST_LEDGER (object);

  g_hash_table_unref (self->reservations);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (ave_cost_ledger_parent_class)->finalize (object);
}

static void
ave_cost_ledger_class_init (AveCostLedgerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ave_cost_ledger_finalize;

  /* Emitted from whichever thread changed the totals; UIs marshal. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ave_cost_ledger_init (AveCostLedger *self)
{
  g_mutex_init (&self->lock);
  self->reservations = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->next_id = 1;
}

AveCostLedger *
ave_cost_ledger_new (double budget_usd)
{
  AveCostLedger *self = g_object_new (AVE_TYPE_COST_LEDGER, NULL);

  self->totals.budget_usd = MAX (0.0, budget_usd);
  return self;
}

AveCostLedger *
ave_cost_ledger_get_default (void)
{
  static AveCostLedger *ledger;

  if (g_once_init_enter (&ledger))
    g_once_init_leave (&ledger, ave_cost_ledger_new (0));
  return ledger;
}

void
ave_cost_ledger_set_budget (AveCostLedger *self, double budget_usd)
{
  g_mutex_lock (&self->lock);
  self->totals.budget_usd = MAX (0.0, budget_usd);
  g_mutex_unlock (&self->lock);
  g_signal_emit (self, signals[CHANGED], 0);
}

guint
ave_cost_ledger_reserve (AveCostLedger  *self,
                         const char     *service,
                         double          estimate_usd,
                         GError        **error)
{
  guint id = 0;
  double committed;

  g_return_val_if_fail (AVE_IS_COST_LEDGER (self), 0);
  estimate_usd = MAX (0.0, estimate_usd);

  g_mutex_lock (&self->lock);
  committed = self->totals.spent_usd + self->totals.reserved_usd;
  if (self->totals.budget_usd > 0 && committed + estimate_usd > self->totals.budget_usd)
    {
      self->totals.refused++;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "%s: the API budget of $%.2f would be passed ($%.4f spent or reserved, this call ~$%.4f); "
                   "raise --budget-limit or use the local director",
                   service, self->totals.budget_usd, committed, estimate_usd);
    }
  else
    {
      id = self->next_id++;
      self->totals.reserved_usd += estimate_usd;
      g_hash_table_insert (self->reservations, GUINT_TO_POINTER (id), g_memdup2 (&estimate_usd, sizeof estimate_usd));
    }
  g_mutex_unlock (&self->lock);
  g_signal_emit (self, signals[CHANGED], 0);
  return id;
}

void
ave_cost_ledger_settle (AveCostLedger *self,
                        guint          reservation,
                        double         actual_usd)
{
  double *estimate;

  g_return_if_fail (AVE_IS_COST_LEDGER (self));
  g_mutex_lock (&self->lock);
  estimate = g_hash_table_lookup (self->reservations, GUINT_TO_POINTER (reservation));
  if (estimate != NULL)
    {
      self->totals.reserved_usd = MAX (0.0, self->totals.reserved_usd - *estimate);
      self->totals.spent_usd += MAX (0.0, actual_usd);
      self->totals.calls++;
      g_hash_table_remove (self->reservations, GUINT_TO_POINTER (reservation));
    }
  g_mutex_unlock (&self->lock);
  if (estimate == NULL)
    g_warning ("settling unknown reservation %u", reservation);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
ave_cost_ledger_record_cache_hit (AveCostLedger *self, const char *service)
{
  g_mutex_lock (&self->lock);
  self->totals.cache_hits++;
  g_mutex_unlock (&self->lock);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
ave_cost_ledger_get_totals (AveCostLedger *self, AveCostTotals *totals)
{
  g_mutex_lock (&self->lock);
  *totals = self->totals;
  g_mutex_unlock (&self->lock);
}

double
ave_cost_ledger_get_fraction (AveCostLedger *self)
{
  AveCostTotals t;

  ave_cost_ledger_get_totals (self, &t);
  if (t.budget_usd <= 0)
    return 0;
  return (t.spent_usd + t.reserved_usd) / t.budget_usd;
}

