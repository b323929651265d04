#define G_LOG_DOMAIN "ave-monitor"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

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
