/* ave-metrics.h — what a job did with time, memory, I/O and money, as JSON
 * lines (--performance-monitoring --metrics-output DIR).
 *
 * An observer of the job (resources/ave-job-observer.h): the job attaches
 * one when its settings ask (ave_metrics_wanted); it keeps one AveMetrics
 * per run and feeds it every event.  The metrics file
 * DIR/<stem>-<timestamp>.jsonl gets one object per line:
 *
 *   {"type":"start", "input", "input_bytes", "input_fingerprint", "duration_s",
 *    "started_at", "engine", "settings":{...}, "system":{"cores","ram_bytes"}}
 *   {"type":"stage", "stage", "time", "wall_s", "cpu_s", "cpu_ratio",
 *    "peak_rss_bytes", "read_bytes", "write_bytes", "skipped"}
 *   {"type":"sample", "time", "cpu_percent", "rss_bytes", "peak_rss_bytes",
 *    "read_bytes", "write_bytes"}                                  (~2 per second)
 *   {"type":"cache", "what", "hit", "time"}
 *   {"type":"decision", "name", "message", "time"}
 *   {"type":"warning"|"notice", "message", "time"}
 *   {"type":"summary", "status", "error", "wall_s", "cpu_s", "peak_rss_bytes",
 *    "mean_cpu_percent", "max_cpu_percent", "read_bytes", "write_bytes",
 *    "decisions", "decision_log":[{"what","from","to","why","when"}],
 *    "stages":{name: wall_s}, "cache":{...}, "api_calls", "cost_usd",
 *    "api_refused", "budget_usd", "gpu":{"backend", "vulkan":{...}}}
 *
 * docs/performance.md documents the fields.  The sampler thread also drives
 * the live status (--real-time-stats) through a callback.
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"
#include "core/ave-events.h"
#include "compute/ave-compute.h"
#include "media/ave-media.h"
#include "resources/ave-cache.h"
#include "resources/ave-cost-ledger.h"
#include "resources/ave-job-observer.h"
#include "core/ave-monitor.h"

G_BEGIN_DECLS

#define AVE_METRICS_VERSION 1

typedef struct _AveMetrics AveMetrics;

typedef void (*AveMetricsSampleFunc) (const AveResourceSample *sample,
                                      double                   cpu_percent,
                                      gpointer                 user_data);

/* `directory` NULL: nothing is written (sampling only).  Otherwise the file
 * DIR/<stem>-<YYYYmmdd-HHMMSS.uuuuuu>.jsonl is created with the start line. */
AveMetrics *ave_metrics_new             (const char          *directory,
                                         const char          *input,
                                         const AveMediaInfo  *media,
                                         const AveSettings   *settings,
                                         GError             **error);
void        ave_metrics_free            (AveMetrics *self);
/* NULL when nothing is written. */
const char *ave_metrics_get_path        (AveMetrics *self);

/* Every job event goes here (from any thread): stages, samples, cache
 * answers (AVE_EVENT_CACHE), decisions, the run's costs (AVE_EVENT_COSTS). */
void        ave_metrics_record_event    (AveMetrics *self, const AveEvent *event);

/* Takes a sample every `interval_ms` on a thread of its own, writes it and
 * calls `func` (nullable) with it, until ave_metrics_stop_sampling. */
void        ave_metrics_start_sampling  (AveMetrics           *self,
                                         guint                 interval_ms,
                                         AveMetricsSampleFunc  func,
                                         gpointer              user_data);
void        ave_metrics_stop_sampling   (AveMetrics *self);

/* Writes the summary line and closes the file.  `error` NULL = success. */
void        ave_metrics_finish          (AveMetrics           *self,
                                         const GError         *error,
                                         AveCache             *cache,
                                         AveCompute           *compute);

/* The metrics as an observer: at run start it creates the file (in
 * --metrics-output, or with the results for --performance-monitoring
 * alone) and starts the sampler, which sends AVE_EVENT_SAMPLE about twice
 * a second with --real-time-stats; at run end it writes the summary and
 * reports the file as the "metrics" result. */
AveJobObserver *ave_metrics_observer_new (void);
/* Whether these settings ask for metrics (--performance-monitoring,
 * --metrics-output, --real-time-stats). */
gboolean    ave_metrics_wanted          (const AveSettings *settings);

/* --cost-alerts: the budget thresholds (0.5, 0.8, 1.0) crossed between two
 * fractions, as a bit mask (bit 0 = 50 %, 1 = 80 %, 2 = 100 %). */
guint       ave_cost_alert_thresholds   (double before, double after);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveMetrics, ave_metrics_free)

G_END_DECLS
