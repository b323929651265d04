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

/* The calling thread's nice value (on Linux each thread has its own, and
 * the threads it creates inherit it); 0 where threads have none. */
int      ave_thread_get_nice          (void);
/* Lowers the calling thread's priority to nice value `nice` (at most 19)
 * when it is higher than that; never raises it, which an unprivileged
 * process could not undo.  Threads it creates from then on, FFmpeg's
 * decoder threads included, inherit it.  FALSE (and a debug message)
 * where it could not; a no-op where threads have no nice value of their
 * own. */
gboolean ave_thread_lower_priority_to (int nice);

G_END_DECLS
