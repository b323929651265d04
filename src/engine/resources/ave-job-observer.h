/* ave-job-observer.h — how anything watches a job run: one small vtable.
 *
 * A job (pipeline/ave-job.h) runs its stages and sends events
 * (core/ave-events.h).  Everything else that follows a run is an observer
 * attached to it: the metrics file (resources/ave-metrics.h), the runtime
 * watcher that sizes the run, raises alerts and sheds load
 * (resources/ave-runtime.h), the cost report and --cost-alerts
 * (resources/ave-cost-ledger.h), the CLI's progress printer, the app's and
 * the D-Bus service's event forwarding (ave_job_set_event_func wraps a
 * plain callback in an observer).  The job attaches the ones its settings
 * ask for when a run starts; a front end adds its own with
 * ave_job_add_observer() before running the job.
 *
 * To write one: embed AveJobObserver first in your struct, point `funcs`
 * at a static AveJobObserverFuncs and fill only the members you need:
 *
 *   typedef struct { AveJobObserver parent; guint stages; } StageCounter;
 *
 *   static void
 *   counter_event (AveJobObserver *observer, AveJobRun *run, const AveEvent *event)
 *   {
 *     if (event->kind == AVE_EVENT_STAGE_END)
 *       g_atomic_int_inc (&((StageCounter *) observer)->stages);
 *   }
 *
 *   static const AveJobObserverFuncs counter_funcs = { .event = counter_event,
 *                                                      .free = g_free };
 *
 * Order and threads: run_start is called on the job's thread in the order
 * observers were attached (the job's own first: runtime, metrics, cost
 * report); events sent while observers start are held and delivered once
 * all have started.  `event` is called from whichever thread sent the event
 * (the job's, a stage's, the watcher's, the sampler's), possibly from two
 * at once: an observer keeps its own lock.  before_stage and run_end are
 * called on the job's thread, when no stage runs.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-events.h"
#include "core/ave-run-decisions.h"
#include "core/ave-settings.h"
#include "compute/ave-compute.h"
#include "media/ave-media.h"
#include "resources/ave-cache.h"
#include "resources/ave-cost-ledger.h"

G_BEGIN_DECLS

typedef struct _AveJobRun AveJobRun;
typedef struct _AveJobObserver AveJobObserver;

/* What an observer may read (and the one thing it may write: `decisions`,
 * on the job's thread).  Valid from run_start to the end of run_end. */
struct _AveJobRun
{
  const char          *input;           /* the input path as given */
  const char          *output_dir;      /* DIR/<stem> */
  const AveMediaInfo  *media;           /* the probed input */
  const AveSettings   *settings;        /* the user's: never changed by the run */
  const AveSettings   *stage_settings;  /* settings + decisions: what the stages read,
                                         * refreshed by the job after before_stage */
  AveRunDecisions     *decisions;       /* the runtime writes here */
  AveCache            *cache;           /* NULL without --cache */
  AveCostLedger       *ledger;          /* what remote calls are charged to */
  AveCompute          *compute;         /* set before the first stage (NULL in run_start) */
  gint64               start_us;        /* g_get_monotonic_time () when the job started */

  /*< private >*/
  void               (*emit) (AveJobRun *run, AveEvent *event);
  gpointer             job;
};

typedef struct
{
  /* The run starts: the input is probed, the output folder is locked, the
   * run's temporary folder exists.  FALSE (with `error` set) fails it. */
  gboolean (*run_start)    (AveJobObserver *self, AveJobRun *run, GError **error);
  /* A group of stages is about to start: AVE_STAGE_ASSETS (assets ‖
   * composition).  The place to write `run->decisions`; the job refreshes
   * the stages' view after.  (The analyses start right after run_start:
   * prepare them there.) */
  void     (*before_stage) (AveJobObserver *self, AveJobRun *run, AveStage stage);
  /* Every event of the run (see above for threads). */
  void     (*event)        (AveJobObserver *self, AveJobRun *run, const AveEvent *event);
  /* The run ended; `error` is NULL on success.  Stop your threads here. */
  void     (*run_end)      (AveJobObserver *self, AveJobRun *run, const GError *error);
  /* Frees the observer (the job owns it once attached). */
  void     (*free)         (gpointer self);
} AveJobObserverFuncs;

struct _AveJobObserver
{
  const AveJobObserverFuncs *funcs;
};

/* Sends an event as the job does (its `input` and `elapsed` are filled
 * in): what observers report — warnings, notices, samples, results. */
static inline void
ave_job_run_emit (AveJobRun *run, AveEvent *event)
{
  run->emit (run, event);
}

/* Seconds since the job started, as events carry it. */
static inline double
ave_job_run_elapsed (const AveJobRun *run)
{
  return (g_get_monotonic_time () - run->start_us) / 1e6;
}

/* A plain callback as an observer: events one at a time (serialised), for
 * front ends that marshal them to their own thread.  `destroy` frees
 * `user_data` when the observer goes. */
AveJobObserver *ave_event_func_observer_new (AveEventFunc   func,
                                             gpointer       user_data,
                                             GDestroyNotify destroy);

void            ave_job_observer_free     (AveJobObserver *self);

G_END_DECLS
