/* ave-cost-ledger.h — what remote calls (LLM director, image API) cost, and
 * the hard budget that stops them.
 *
 * One ledger per engine (ave_cost_ledger_get_default) or per job.  Thread
 * safe.  A remote client asks ave_cost_ledger_reserve() with its estimate
 * BEFORE the call: the ledger refuses when the estimate would pass the
 * budget; after the call the client settles the reservation with the real
 * cost.  With the local director nothing is ever charged and the totals stay
 * at zero.
 */
#pragma once

#include <glib-object.h>

#include "core/ave-events.h"

G_BEGIN_DECLS

#define AVE_TYPE_COST_LEDGER (ave_cost_ledger_get_type ())
G_DECLARE_FINAL_TYPE (AveCostLedger, ave_cost_ledger, AVE, COST_LEDGER, GObject)

/* AveCostTotals: core/ave-events.h (an event carries it). */



AveCostLedger *ave_cost_ledger_new          (double budget_usd);
/* The process-wide ledger the app's graphs show. */
AveCostLedger *ave_cost_ledger_get_default  (void);

void     ave_cost_ledger_set_budget   (AveCostLedger *self, double budget_usd);
/* Returns a reservation id (> 0), or 0 and an error (AVE_SETTINGS_ERROR
 * domain is not used: G_IO_ERROR_PERMISSION_DENIED with "the API budget of
 * $X would be passed ($Y spent, this call ~$Z)") when refused. */
guint    ave_cost_ledger_reserve      (AveCostLedger  *self,
                                       const char     *service,
                                       double          estimate_usd,
                                       GError        **error);
void     ave_cost_ledger_settle       (AveCostLedger  *self,
                                       guint           reservation,
                                       double          actual_usd);
void     ave_cost_ledger_record_cache_hit (AveCostLedger *self, const char *service);
void     ave_cost_ledger_get_totals   (AveCostLedger  *self,
                                       AveCostTotals  *totals);
/* Fraction of the budget spent or reserved (0 when there is no budget). */
double   ave_cost_ledger_get_fraction (AveCostLedger  *self);

G_END_DECLS
