/* ave-runtime.h — what keeps a job within its resources while it runs.
 *
 * An observer of the job (resources/ave-job-observer.h) that the job
 * attaches to every run.  It sizes the run from the memory budget
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
 * With glibc it also keeps the allocator from hoarding: two arenas, and
 * while any run is under way a fixed mmap threshold of 256 KiB, so that
 * pictures, x264's planes and the speech model's tables go back to the
 * system when freed instead of pinning heap pages (docs/performance.md,
 * "Peak memory"); after the last run the threshold is 32 MiB.
 *
 * What cannot change inside a running stage (x264's threads and look-ahead
 * are fixed when the encoder opens; decoder threads when a decoder opens)
 * changes for the next stage: before each group of stages (the observer's
 * before_stage) it applies the adaptive strategy (workers from the load
 * average and memory pressure), load shedding and adaptive quality.
 *
 * It never writes the user's settings: the sizing and every change go
 * into the run's decisions (core/ave-run-decisions.h), each change logged
 * and sent as an AVE_EVENT_DECISION; the memory pressure level too
 * (AveRunDecisions.memory_pressure, which the analysis reader polls).
 */
#pragma once

#include "resources/ave-job-observer.h"

G_BEGIN_DECLS

/* The runtime watcher for a job's runs (one run at a time). */
AveJobObserver *ave_runtime_observer_new (void);

G_END_DECLS
