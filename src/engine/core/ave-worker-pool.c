#define G_LOG_DOMAIN "ave-worker-pool"
/* sched_setaffinity and the CPU_* macros */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <gio/gio.h>

#include "ave-worker-pool.h"

static guint64
meminfo_kib (const char *text, const char *key)
{
  const char *p = strstr (text, key);

  if (p == NULL)
    return 0;
  return g_ascii_strtoull (p + strlen (key), NULL, 10) * 1024;
}

void
ave_system_load_take (AveSystemLoad *load)
{
  g_autofree char *loadavg = NULL;
  g_autofree char *meminfo = NULL;

  memset (load, 0, sizeof *load);
  /* GLib counts the cores of this process's affinity mask, which is what
   * a container or `taskset` leaves us. */
  load->n_cpus = MAX (1, g_get_num_processors ());

  if (g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL))
    load->load_1min = g_ascii_strtod (loadavg, NULL);
  if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL))
    {
      load->mem_total_bytes = meminfo_kib (meminfo, "MemTotal:");
      load->mem_available_bytes = meminfo_kib (meminfo, "MemAvailable:");
    }
}

double
ave_system_load_free_cpus (const AveSystemLoad *load,
                           double               own_cpus)
{
  /* The load average counts our own runnable threads too: only the rest
   * is other processes' demand. */
  double others = MAX (0.0, load->load_1min - MAX (0.0, own_cpus));

  return MAX (1.0, (double) load->n_cpus - others);
}

static guint
strategy_size (AveParallelStrategy strategy,
               guint               n_cpus)
{
  switch (strategy)
    {
    case AVE_PARALLEL_CONSERVATIVE:
      return MIN (2u, n_cpus);
    case AVE_PARALLEL_AGGRESSIVE:
      /* More threads than cores still helps FFmpeg's frame threads hide
       * their waits; the guide's "5+". */
      return MAX (n_cpus, 5u);
    case AVE_PARALLEL_BALANCED:
    case AVE_PARALLEL_ADAPTIVE:
    default:
      return MIN (4u, n_cpus);
    }
}

guint
ave_worker_pool_size (const AveSettings   *settings,
                      const AveSystemLoad *load)
{
  guint n;

  if (!settings->parallel)
    return 1;
  n = strategy_size (settings->parallel_strategy, MAX (1u, load->n_cpus));
  if (settings->max_workers > 0)
    n = MIN (n, settings->max_workers);
  return MAX (1u, n);
}

guint
ave_worker_pool_adapt (const AveSettings   *settings,
                       const AveSystemLoad *load,
                       double               own_cpus,
                       int                  pressure)
{
  guint n = ave_worker_pool_size (settings, load);
  double free_cpus = ave_system_load_free_cpus (load, own_cpus);

  n = MIN (n, (guint) MAX (1.0, floor (free_cpus + 0.5)));
  /* Each worker holds frames: fewer workers is the quickest way to hand
   * memory back once the budget is nearly spent. */
  if (pressure >= 2)
    n = 1;
  else if (pressure == 1)
    n = MAX (1u, n / 2);
  return n;
}

/* The thread ids of this process, from /proc/self/task. */
static GArray *
list_threads (void)
{
  GArray *tids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        pid_t tid = (pid_t) g_ascii_strtoll (name, NULL, 10);
        if (tid > 0)
          g_array_append_val (tids, tid);
      }
  return tids;
}

static pid_t
current_tid (void)
{
  return (pid_t) syscall (SYS_gettid);
}

gboolean
ave_job_thread_set_priority (int      nice_value,
                             GError **error)
{
  /* Only this thread: the threads it starts from now on inherit the value
   * (on Linux it belongs to each thread), while the threads of the program
   * around the engine, the app's main thread first of all, keep theirs. */
  if (setpriority (PRIO_PROCESS, (id_t) current_tid (), nice_value) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot set the priority of the job's threads to nice %d (%s)%s", nice_value,
                   g_strerror (saved),
                   nice_value < 0 ? "; raising it needs root or CAP_SYS_NICE" : "");
      return FALSE;
    }
  return TRUE;
}

int
ave_thread_get_nice (void)
{
#ifdef __linux__
  int nice;

  errno = 0;
  nice = getpriority (PRIO_PROCESS, (id_t) current_tid ());
  return errno == 0 ? nice : 0;
#else
  return 0;
#endif
}

gboolean
ave_thread_lower_priority_to (int nice)
{
#ifdef __linux__
  id_t tid = (id_t) current_tid ();
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

struct _AveThreadPins
{
  GHashTable *pinned;   /* tid → core + 1: the engine's threads placed so far */
  GHashTable *others;   /* tids that are not the engine's: never touched */
  GArray     *cores;    /* the cores the process may use, in order */
  guint       next;
};

/* Pins `tid` to the next core, round-robin. */
static gboolean
pin_thread (AveThreadPins *self,
            pid_t          tid)
{
  int core = g_array_index (self->cores, int, self->next % self->cores->len);
  cpu_set_t set;

  CPU_ZERO (&set);
  CPU_SET (core, &set);
  /* A thread that ended meanwhile (ESRCH) is simply not pinned. */
  if (sched_setaffinity (tid, sizeof set, &set) != 0)
    return FALSE;
  g_hash_table_insert (self->pinned, GINT_TO_POINTER (tid), GINT_TO_POINTER (core + 1));
  self->next++;
  g_debug ("thread %d pinned to core %d", (int) tid, core);
  return TRUE;
}

/* Whether `tid` was started by one of the engine's pinned threads: on
 * Linux a new thread inherits its creator's CPU mask, so it still runs on
 * exactly one of the cores handed out, where a thread of the program
 * around the engine has the whole mask. */
static gboolean
started_by_pinned_thread (AveThreadPins *self,
                          pid_t          tid)
{
  cpu_set_t set;

  CPU_ZERO (&set);
  if (sched_getaffinity (tid, sizeof set, &set) != 0 || CPU_COUNT (&set) != 1)
    return FALSE;
  for (guint i = 0; i < self->cores->len && i < self->next; i++)
    if (CPU_ISSET (g_array_index (self->cores, int, i), &set))
      return TRUE;
  return FALSE;
}

AveThreadPins *
ave_thread_pins_new (void)
{
  AveThreadPins *self = g_new0 (AveThreadPins, 1);
  g_autoptr(GArray) tids = NULL;
  pid_t me = current_tid ();
  cpu_set_t set;

  self->pinned = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->others = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->cores = g_array_new (FALSE, FALSE, sizeof (int));
  /* The mask of the calling thread before any pinning is the process's. */
  CPU_ZERO (&set);
  if (sched_getaffinity (0, sizeof set, &set) == 0)
    {
      for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET (cpu, &set))
          g_array_append_val (self->cores, cpu);
    }
  if (self->cores->len < 2)
    return self;   /* one core: nothing to spread */

  /* The threads already running belong to the program that runs the job
   * (its main thread, its own workers); the job's thread is this one. */
  tids = list_threads ();
  for (guint i = 0; i < tids->len; i++)
    if (g_array_index (tids, pid_t, i) != me)
      g_hash_table_add (self->others, GINT_TO_POINTER (g_array_index (tids, pid_t, i)));
  pin_thread (self, me);
  return self;
}

guint
ave_thread_pins_update (AveThreadPins *self)
{
  g_autoptr(GArray) tids = NULL;
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);
  if (self->cores->len < 2)
    return 0;   /* one core: nothing to spread */

  tids = list_threads ();
  for (guint i = 0; i < tids->len; i++)
    {
      pid_t tid = g_array_index (tids, pid_t, i);

      if (g_hash_table_contains (self->pinned, GINT_TO_POINTER (tid)) ||
          g_hash_table_contains (self->others, GINT_TO_POINTER (tid)))
        continue;
      if (!started_by_pinned_thread (self, tid))
        {
          /* Started by the program around the engine: its mask stays. */
          g_hash_table_add (self->others, GINT_TO_POINTER (tid));
          continue;
        }
      if (pin_thread (self, tid))
        n++;
    }
  return n;
}

guint
ave_thread_pins_get_count (AveThreadPins *self)
{
  return g_hash_table_size (self->pinned);
}

void
ave_thread_pins_free (AveThreadPins *self)
{
  GHashTableIter iter;
  gpointer tid;
  cpu_set_t all;

  if (self == NULL)
    return;
  /* A long-lived process (the app) must not keep its threads on one core
   * each after the job that asked for it. */
  CPU_ZERO (&all);
  for (guint i = 0; i < self->cores->len; i++)
    CPU_SET (g_array_index (self->cores, int, i), &all);
  g_hash_table_iter_init (&iter, self->pinned);
  while (g_hash_table_iter_next (&iter, &tid, NULL))
    sched_setaffinity ((pid_t) GPOINTER_TO_INT (tid), sizeof all, &all);
  g_hash_table_unref (self->pinned);
  g_hash_table_unref (self->others);
  g_array_unref (self->cores);
  g_free (self);
}
