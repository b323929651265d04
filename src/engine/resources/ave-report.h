/* ave-report.h — the performance report (analyze-performance), computed
 * from the metrics files (*.jsonl, see ave-metrics.h) of earlier runs.
 *
 * The report (JSON, "version": 1) holds:
 *   runs             one entry per metrics file: input, status, wall, stages
 *   time_breakdown   per stage (the five, by name): total, mean, share, CPU
 *   resource_usage   peak RSS, mean and max CPU %, I/O bytes, cores
 *   bottleneck       the stage with the largest share of wall time, and
 *                    whether it is CPU-bound or waiting (CPU/wall ratio)
 *   recommendations  [{"flag", "reason"}] derived from the numbers above
 *   cost_analysis    API calls, cost, refusals, budget
 *   cache            hits, misses
 *   comparison       per input: runs, fastest, slowest, delta
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define AVE_REPORT_VERSION 1

/* Reads every *.jsonl in `metrics_dir` (and its direct subfolders).  Fails
 * when the folder cannot be read or holds no metrics of a finished run. */
JsonNode *ave_performance_report_build (const char  *metrics_dir,
                                        GError     **error);
/* A few lines for a terminal. */
char     *ave_performance_report_to_text (JsonNode *report);

G_END_DECLS
