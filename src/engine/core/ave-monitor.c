#define G_LOG_DOMAIN "ave-monitor"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "ave-monitor.h"

static guint64
read_status_kib (const char *text, const char *key)
{
  const char *p = strstr (text, key);

  if (p == NULL)
    return 0;
  p += strlen (key);
  return g_ascii_strtoull (p, NULL, 10) * 1024;
}

void
ave_resource_sample_take (AveResourceSample *sample)
{
  g_autofree char *status = NULL;
  g_autofree char *io = NULL;
  struct rusage usage;

  memset (sample, 0, sizeof *sample);
  sample->monotonic_us = g_get_monotonic_time ();

  if (getrusage (RUSAGE_SELF, &usage) == 0)
    {
      sample->cpu_user_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6;
      sample->cpu_system_s = usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    }

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    {
      sample->rss_bytes = read_status_kib (status, "VmRSS:");
      sample->peak_rss_bytes = read_status_kib (status, "VmHWM:");
    }

  /* /proc/self/io is absent in some containers: then I/O stays 0. */
  if (g_file_get_contents ("/proc/self/io", &io, NULL, NULL))
    {
      const char *r = strstr (io, "read_bytes:");
      const char *w = strstr (io, "\nwrite_bytes:");
      if (r != NULL)
        sample->read_bytes = g_ascii_strtoull (r + strlen ("read_bytes:"), NULL, 10);
      if (w != NULL)
        sample->write_bytes = g_ascii_strtoull (w + strlen ("\nwrite_bytes:"), NULL, 10);
    }
}

double
ave_resource_sample_cpu_percent (const AveResourceSample *before,
                                 const AveResourceSample *after)
{
  double wall = (after->monotonic_us - before->monotonic_us) / 1e6;
  double cpu = (after->cpu_user_s + after->cpu_system_s)
             - (before->cpu_user_s + before->cpu_system_s);

  if (wall <= 0)
    return 0;
  return 100.0 * cpu / wall;
}

double
ave_thread_cpu_seconds (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
ave_thread_get_nice (void)
{
#ifdef __linux__
  int nice;

  errno = 0;
  nice = getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
  return errno == 0 ? nice : 0;
#else
  return 0;
#endif
}

gboolean
ave_thread_lower_priority_to (int nice)
{
#ifdef __linux__
  id_t tid = (id_t) syscall (SYS_gettid);
  int current;

  nice = MIN (nice, 19);
  errno = 0;
  current = getpriority (PRIO_PROCESS, tid);
  if (errno != 0)
    {
      g_debug ("cannot read the thread's priority: %s", g_strerror (errno));
      return FALSE;
    }
  if (current >= nice)
    return TRUE;
  if (setpriority (PRIO_PROCESS, tid, nice) != 0)
    {
      g_debug ("cannot lower the thread's priority to nice %d: %s", nice, g_strerror (errno));
      return FALSE;
    }
#else
  (void) nice;
#endif
  return TRUE;
}
