/* ave-monitor.h — samples of this process's resource use (CPU, memory, I/O).
 *
 * Cheap enough to call a few times per second; the job puts one sample in
 * every stage-end event and the app's live graphs poll it. Linux /proc. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64  monotonic_us;    /* g_get_monotonic_time () when taken */
  double  cpu_user_s;      /* process CPU time so far */
  double  cpu_system_s;
  guint64 rss_bytes;       /* resident set size now */
  guint64 peak_rss_bytes;  /* high-water mark (VmHWM) */
  guint64 read_bytes;      /* storage I/O so far (/proc/self/io); 0 if unavailable */
  guint64 write_bytes;
} AveResourceSample;

void   ave_resource_sample_take     (AveResourceSample       *sample);
/* CPU % of one core between two samples (can exceed 100 with threads). */
double ave_resource_sample_cpu_percent (const AveResourceSample *before,
                                        const AveResourceSample *after);
/* CPU seconds used by the calling thread so far. */
double ave_thread_cpu_seconds       (void);

G_END_DECLS
