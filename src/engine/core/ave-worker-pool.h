/* ave-worker-pool.h — how many workers a run gets, and where they run.
 *
 * The engine's "workers" are the threads one heavy operation may use at a
 * time: FFmpeg decoder and encoder threads, transcription threads, and the
 * stages that run side by side.  The parallel strategy turns the machine
 * (cores, load average, free memory) into that number; the process
 * priority and CPU affinity settings say where those threads run.  Linux
 * /proc and sched_* calls; elsewhere the neutral answers are given.
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"

G_BEGIN_DECLS

/* A snapshot of the machine, cheap enough to take before every stage. */
typedef struct
{
  guint   n_cpus;               /* cores this process may run on */
  double  load_1min;            /* /proc/loadavg; 0 when unknown */
  guint64 mem_total_bytes;      /* /proc/meminfo MemTotal; 0 when unknown */
  guint64 mem_available_bytes;  /* /proc/meminfo MemAvailable; 0 when unknown */
} AveSystemLoad;

void         ave_system_load_take            (AveSystemLoad *load);

/* Cores left to this process: n_cpus minus what other processes use, i.e.
 * the load average less this process's own share (`own_cpus`, e.g. the CPU
 * % of the last seconds / 100).  At least 1. */
double       ave_system_load_free_cpus       (const AveSystemLoad *load,
                                              double               own_cpus);

/* The worker count a strategy gives on this machine before any memory
 * bound: conservative 2, balanced 3-4, aggressive all cores (at least 5
 * threads of work when there are that many cores), adaptive starts as
 * balanced and then follows ave_worker_pool_adapt().  Capped by
 * settings->max_workers; 1 when settings->parallel is off. */
guint        ave_worker_pool_size            (const AveSettings   *settings,
                                              const AveSystemLoad *load);

/* The adaptive strategy's next size: the balanced size, lowered to the
 * cores other processes leave free (load average) and halved under memory
 * pressure (1 = 80 %, 2 = 90 % of the budget or of the machine's memory). */
guint        ave_worker_pool_adapt           (const AveSettings   *settings,
                                              const AveSystemLoad *load,
                                              double               own_cpus,
                                              int                  pressure);

/* Applies settings->process_priority (a nice value) to the calling
 * thread, the one that runs the job, before it starts its workers: on
 * Linux the nice value belongs to each thread and the threads it starts
 * inherit it, so the engine's threads run at that priority while the
 * program around the engine (the app's main thread, its other threads)
 * keeps its own.  FALSE with `error` set when it is refused (raising
 * priority needs CAP_SYS_NICE). */
gboolean     ave_job_thread_set_priority     (int      nice_value,
                                              GError **error);

/* The calling thread's nice value (on Linux each thread has its own, and
 * the threads it creates inherit it); 0 where threads have none. */
int          ave_thread_get_nice             (void);
/* Lowers the calling thread's priority to nice value `nice` (at most 19)
 * when it is higher than that; never raises it, which an unprivileged
 * process could not undo.  Threads it creates from then on, FFmpeg's
 * decoder threads included, inherit it.  FALSE (and a debug message)
 * where it could not; a no-op where threads have no nice value of their
 * own. */
gboolean     ave_thread_lower_priority_to    (int nice);

/* Pins the engine's threads round-robin to the cores the process may run
 * on.  ave_thread_pins_new(), called on the job's thread, pins that
 * thread; each update pins the threads started since by a pinned thread
 * (they inherit its one-core mask, which is how they are told apart) and
 * leaves every other thread of the process alone.  Returns how many
 * threads this call pinned; free restores the pinned threads' masks. */
typedef struct _AveThreadPins AveThreadPins;
AveThreadPins *ave_thread_pins_new           (void);
guint          ave_thread_pins_update        (AveThreadPins *pins);
guint          ave_thread_pins_get_count     (AveThreadPins *pins);
void           ave_thread_pins_free          (AveThreadPins *pins);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveThreadPins, ave_thread_pins_free)

G_END_DECLS
