/* ave-diagnose.h — diagnose-performance: what this machine can do and what
 * to run it with.
 *
 * Sections (each only when its flag is given):
 *   system        cores, RAM, load, temp folder (free space and measured write
 *                 speed: 64 MiB written with fsync), Vulkan devices, encoders
 *   bottlenecks   measured throughput of the parts of the pipeline on this
 *                 machine (x264 encode, the analysis kernel, temp writes),
 *                 the one that limits a 1080p render, and — when a metrics
 *                 folder is given — the measured bottleneck of real runs
 *   suggestions   a preset (8gb/16gb/32gb from the RAM) and flags, each with
 *                 its reason
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  AVE_DIAGNOSE_SYSTEM      = 1 << 0,
  AVE_DIAGNOSE_BOTTLENECKS = 1 << 1,
  AVE_DIAGNOSE_SUGGESTIONS = 1 << 2,
} AveDiagnoseFlags;

/* `temp_dir` NULL: g_get_tmp_dir (); `metrics_dir` nullable. */
JsonNode *ave_diagnose_run     (AveDiagnoseFlags   flags,
                                const char        *temp_dir,
                                const char        *metrics_dir,
                                GError           **error);
char     *ave_diagnose_to_text (JsonNode *diagnosis);

G_END_DECLS
