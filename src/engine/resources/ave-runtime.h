/* ave-runtime.h — what keeps a job within its resources while it runs.
 *
 * One AveRuntime per job run.  It sizes the run from the memory budget
 * (ave-memory-budget.h) and the parallel strategy (ave-worker-pool.h),
 * sets the process priority, and runs a watcher thread that samples the
 * resident memory five times a second:
 *
 *  - --memory-alerts: a warning at 80 % and at 90 % of the budget (once
 *    each);
 *  - load shedding instead of failing: at 80 % the allocator returns its
 *    free memory to the system (malloc_trim) and the pressure level rises;
 *    the analysis reader reads it at every packet and keeps its queues to
 *    a half (80 %) or a quarter (90 %) of their size — that changes at once;
 *  - --cpu-affinity: threads are pinned to cores round-robin as they appear.
 *
 * What cannot change inside a running stage (x264's threads and look-ahead
 * are fixed when the encoder opens; decoder threads when a decoder opens)
 * changes for the next stage: the job calls ave_runtime_prepare_stage()
 * at each stage boundary, which applies the adaptive strategy (workers
 * from the load average and memory pressure), load shedding and adaptive
 * quality to the job's settings, and reports every change as a decision.
 */
#pragma once

#include <glib.h>

#include "core/ave-events.h"
#include "core/ave-settings.h"
#include "core/ave-memory-budget.h"

G_BEGIN_DECLS

typedef enum {
  AVE_RUNTIME_WARNING,    /* → AVE_EVENT_WARNING */
  AVE_RUNTIME_NOTICE,     /* → AVE_EVENT_NOTICE */
  AVE_RUNTIME_DECISION,   /* → AVE_EVENT_DECISION; `name` is the setting */
} AveRuntimeEventKind;

typedef void (*AveRuntimeEventFunc) (AveRuntimeEventKind  kind,
                                     const char          *name,
                                     const char          *message,
                                     gpointer             user_data);

/* Which stages are about to run (a stage group of the job's graph). */
typedef enum {
  AVE_RUNTIME_ANALYSIS,      /* audio ‖ video analysis */
  AVE_RUNTIME_OUTPUTS,       /* assets ‖ composition */
} AveRuntimePhase;

typedef struct _AveRuntime AveRuntime;

/* `settings` is the job's own copy: the runtime changes it at stage
 * boundaries (on the job's thread) and keeps the pointer until freed.
 * `width` x `height` is the source's size (0 x 0 when unknown). */
AveRuntime  *ave_runtime_new               (AveSettings         *settings,
                                            int                  width,
                                            int                  height,
                                            AveRuntimeEventFunc  func,
                                            gpointer             user_data);
/* Sizes the settings from the budget, applies the priority and CPU
 * affinity and starts the watcher when anything needs it.  Call it on the
 * thread that runs the job, before the job starts its workers: priority
 * and affinity apply to that thread and the threads it starts, never to
 * the rest of the program. */
void         ave_runtime_start             (AveRuntime *self);
/* Stops the watcher and undoes the thread pinning. */
void         ave_runtime_stop              (AveRuntime *self);
void         ave_runtime_free              (AveRuntime *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveRuntime, ave_runtime_free)

/* Called by the job on its thread before a phase starts. */
void         ave_runtime_prepare_stage     (AveRuntime      *self,
                                            AveRuntimePhase  phase);

const AveBudgetPlan *ave_runtime_get_plan  (AveRuntime *self);
/* Whether the two stages of the phase may run side by side now:
 * --parallel is on and the budget leaves room. */
gboolean     ave_runtime_may_overlap       (AveRuntime      *self,
                                            AveRuntimePhase  phase);
/* The pressure level the watcher keeps (AVE_PRESSURE_*), for readers that
 * poll it with g_atomic_int_get. */
const gint  *ave_runtime_pressure_location (AveRuntime *self);
int          ave_runtime_get_pressure      (AveRuntime *self);

/* The highest resident memory the watcher saw (bytes). */
guint64      ave_runtime_get_peak_rss      (AveRuntime *self);

G_END_DECLS
