/* ave-cost-report.h — what the job tells the user about API costs.
 *
 * An observer of the job (resources/ave-job-observer.h), attached when the
 * settings ask for it (ave_cost_report_wanted):
 *
 *  - --cost-alerts: a warning when the run's ledger passes 50 %, 80 % and
 *    100 % of the budget (each once);
 *  - --track-costs: at the end, a notice with what the run spent (from the
 *    job's AVE_EVENT_COSTS).
 *
 * The ledger itself (the budget that refuses calls) is
 * resources/ave-cost-ledger.h; the per-call records are AVE_EVENT_COST.
 */
#pragma once

#include "resources/ave-job-observer.h"

G_BEGIN_DECLS

AveJobObserver *ave_cost_report_observer_new (void);
gboolean        ave_cost_report_wanted       (const AveSettings *settings);

G_END_DECLS
