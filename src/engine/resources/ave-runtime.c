#define G_LOG_DOMAIN "ave-runtime"

#include "config.h"

#include <math.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ave-runtime.h"
#include "core/ave-monitor.h"
#include "core/ave-worker-pool.h"
#include "core/ave-events.h"
#include "core/ave-memory-budget.h"

#define MB(bytes) ((double) (bytes) / (1024.0 * 1024.0))
#define WATCH_INTERVAL_US (G_USEC_PER_SEC / 5)
/* The level falls back only well below its threshold, so that a run
 * hovering at 80 % does not flap. */
#define RELAX_SHARE 0.70
/* Adaptive quality's own scale of what each step gives up (docs/performance.md):
 * one x264 preset faster, one analysis width step smaller. */
#define PRESET_STEP_QUALITY   0.97
#define ANALYSIS_STEP_QUALITY 0.97
#define SMALLEST_ANALYSIS_WIDTH 192u
/* During a run, blocks at least this large get a mapping of their own
 * (see ave_runtime_start); between runs, glibc's own ceiling for the
 * threshold it raises by itself (DEFAULT_MMAP_THRESHOLD_MAX on 64 bits). */
#define AVE_MMAP_THRESHOLD_BYTES      (256 * 1024)
#define AVE_MMAP_THRESHOLD_IDLE_BYTES (32 * 1024 * 1024)

typedef struct _AveRuntime AveRuntime;

struct _AveRuntime
{
  AveJobRun           *run;             /* between run_start and run_end */
  const AveSettings   *settings;        /* the user's intent: never written */
  AveRunDecisions     *d;               /* what the run uses instead: written here */
  AveSettings         *view;            /* settings + decisions, for the sizing functions */
  int                  width, height;

  AveBudgetPlan        plan;
  guint64              budget;          /* the bound kept (may be below the setting with --resource-aware) */
  guint                n_cpus;
  double               quality;         /* adaptive quality: relative quality chosen so far */

  guint                alerted;         /* watcher: 1 = 80 % sent, 2 = 90 % sent */
  double               own_cpus;        /* under lock: this process's CPU use, in cores */
  AveThreadPins       *pins;

  gboolean             holds_threshold; /* counted in mmap_threshold_runs */

  GThread             *watcher;
  GMutex               lock;
  GCond                wake;
  gboolean             stopping;
};

static void
send (AveRuntime *self, AveEventKind kind, const char *message, const AveDecision *decision)
{
  AveEvent event = { .kind = kind, .message = message, .decision = decision,
                     .name = decision != NULL ? decision->what : NULL };

  g_debug ("%s%s%s", event.name != NULL ? event.name : "", event.name != NULL ? ": " : "", message);
  ave_job_run_emit (self->run, &event);
}

static void
emit (AveRuntime *self, AveEventKind kind, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* A warning or a notice. */
static void
emit (AveRuntime *self, AveEventKind kind, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  send (self, kind, message, NULL);
}

/* Logs a change in the run's decisions and reports it as
 * "FROM → TO[ UNIT]: WHY".  The caller has written the field. */
static void
decide (AveRuntime *self, const char *what, const char *from, const char *to, const char *unit,
        const char *why)
{
  const AveDecision *decision = ave_run_decisions_log (self->d, what, from, to, why,
                                                       ave_job_run_elapsed (self->run));
  g_autofree char *message = g_strdup_printf ("%s → %s%s%s: %s", from, to, unit != NULL ? " " : "",
                                              unit != NULL ? unit : "", why);

  send (self, AVE_EVENT_DECISION, message, decision);
}

static void
decide_uint (AveRuntime *self, const char *what, guint from, guint to, const char *unit, const char *why)
{
  char from_text[16], to_text[16];

  g_snprintf (from_text, sizeof from_text, "%u", from);
  g_snprintf (to_text, sizeof to_text, "%u", to);
  decide (self, what, from_text, to_text, unit, why);
}

/* The user's settings with the decisions so far, for the sizing functions
 * that read an AveSettings.  The job's thread only (the watcher changes
 * nothing the view holds). */
static const AveSettings *
view (AveRuntime *self)
{
  ave_run_decisions_apply (self->d, self->view);
  return self->view;
}

static AveRuntime *
ave_runtime_new (AveJobRun *run)
{
  AveRuntime *self = g_new0 (AveRuntime, 1);

  self->run = run;
  self->settings = run->settings;
  self->d = run->decisions;
  self->view = ave_settings_copy (run->settings);
  ave_run_decisions_apply (self->d, self->view);
  self->width = run->media->has_video ? run->media->display_width : 0;
  self->height = run->media->has_video ? run->media->display_height : 0;
  self->quality = 1.0;
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  return self;
}

static void ave_runtime_stop (AveRuntime *self);

#ifdef __GLIBC__
/* The runs under way in this process (the app may run several at once). */
static guint mmap_threshold_runs;
G_LOCK_DEFINE_STATIC (mmap_threshold);
#endif

/* The fixed mmap threshold is for runs only: a fresh mapping per block
 * costs a page fault per 4 KiB (one 8 MB block: 1 ms from the heap,
 * 25 ms as a fresh mapping on the development VM), and the program
 * around the engine (the app's toolkit) allocates as it likes; what the
 * engine allocates per frame while a run holds it is pooled (the media
 * source's pictures, the edit stream's RGBA).  Once set, glibc no
 * longer raises the threshold by itself; after the last run it is set
 * to the ceiling glibc's own adjustment would reach. */
static void
mmap_threshold_hold (AveRuntime *self)
{
#ifdef __GLIBC__
  if (self->holds_threshold)
    return;
  G_LOCK (mmap_threshold);
  if (mmap_threshold_runs++ == 0)
    mallopt (M_MMAP_THRESHOLD, AVE_MMAP_THRESHOLD_BYTES);
  G_UNLOCK (mmap_threshold);
  self->holds_threshold = TRUE;
#endif
}

static void
mmap_threshold_release (AveRuntime *self)
{
#ifdef __GLIBC__
  if (!self->holds_threshold)
    return;
  G_LOCK (mmap_threshold);
  if (--mmap_threshold_runs == 0)
    mallopt (M_MMAP_THRESHOLD, AVE_MMAP_THRESHOLD_IDLE_BYTES);
  G_UNLOCK (mmap_threshold);
  self->holds_threshold = FALSE;
#endif
}

static void
ave_runtime_free (AveRuntime *self)
{
  if (self == NULL)
    return;
  ave_runtime_stop (self);
  mmap_threshold_release (self);
  g_clear_pointer (&self->view, ave_settings_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_free (self);
}

static const char *
pressure_name (int level)
{
  static const char * const names[] = { "normal", "high (80 %)", "critical (90 %)" };
  return names[CLAMP (level, 0, 2)];
}

/* ------------------------------------------------------------ watcher */

/* The machine itself running out matters with --resource-aware and
 * adaptive quality even when the process is within its own budget. */
static int
system_pressure (void)
{
  AveSystemLoad load;

  ave_system_load_take (&load);
  if (load.mem_total_bytes == 0)
    return AVE_PRESSURE_NORMAL;
  if (load.mem_available_bytes * 20 < load.mem_total_bytes)
    return AVE_PRESSURE_CRITICAL;
  if (load.mem_available_bytes * 10 < load.mem_total_bytes)
    return AVE_PRESSURE_HIGH;
  return AVE_PRESSURE_NORMAL;
}

static void
watch_memory (AveRuntime *self, guint64 rss, guint tick)
{
  const AveSettings *s = self->settings;
  int level = ave_memory_pressure_level (rss, self->budget);
  int current = g_atomic_int_get (&self->d->memory_pressure);
  static const int percents[] = { 80, 90 };

  if ((s->resource_aware || s->adaptive_quality) && tick % 5 == 0)
    level = MAX (level, system_pressure ());

  if (s->memory_alerts && self->budget > 0)
    for (guint i = 0; i < G_N_ELEMENTS (percents); i++)
      if (!(self->alerted & (1u << i)) && rss * 100 >= self->budget * percents[i])
        {
          self->alerted |= 1u << i;
          emit (self, AVE_EVENT_WARNING,
                "memory use reached %d %% of the %.0f MB budget (%.0f MB resident)",
                percents[i], MB (self->budget), MB (rss));
        }

  if (level > current)
    {
#ifdef __GLIBC__
      /* Freed frames and model buffers may sit in the allocator's free
       * lists; giving them back is the one thing that lowers the resident
       * size of work already under way. */
      malloc_trim (0);
#endif
      g_autofree char *why = g_strdup_printf ("%.0f MB resident of a %.0f MB bound; free memory returned to the system, "
                                              "the analysis reader keeps its queues to %s, the next stage runs with fewer workers",
                                              MB (rss), MB (self->budget > 0 ? self->budget : rss),
                                              level >= AVE_PRESSURE_CRITICAL ? "a quarter" : "a half");

      g_atomic_int_set (&self->d->memory_pressure, level);
      decide (self, "memory_pressure", pressure_name (current), pressure_name (level), NULL, why);
    }
  else if (level < current
           && (self->budget == 0 || rss < self->budget * RELAX_SHARE))
    {
      g_autofree char *why = g_strdup_printf ("%.0f MB resident; the reader's queues grow back", MB (rss));

      g_atomic_int_set (&self->d->memory_pressure, level);
      decide (self, "memory_pressure", pressure_name (current), pressure_name (level), NULL, why);
    }
}

static gpointer
watcher_thread (gpointer data)
{
  AveRuntime *self = data;
  AveResourceSample last_cpu, sample;
  guint tick = 0;

  ave_resource_sample_take (&last_cpu);
  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      gint64 until = g_get_monotonic_time () + WATCH_INTERVAL_US;

      while (!self->stopping && g_cond_wait_until (&self->wake, &self->lock, until))
        ;
      if (self->stopping)
        break;
      g_mutex_unlock (&self->lock);

      ave_resource_sample_take (&sample);
      tick++;
      watch_memory (self, sample.rss_bytes, tick);
      if (self->pins != NULL)
        ave_thread_pins_update (self->pins);

      g_mutex_lock (&self->lock);
      /* The process's CPU use over about a second, for the adaptive
       * strategy's estimate of what other processes use. */
      if (sample.monotonic_us - last_cpu.monotonic_us >= G_USEC_PER_SEC)
        {
          self->own_cpus = ave_resource_sample_cpu_percent (&last_cpu, &sample) / 100.0;
          last_cpu = sample;
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* -------------------------------------------------------------- start */

static gboolean
can_step (AveRuntime *self, double factor)
{
  return self->quality * factor >= self->settings->quality_threshold - 1e-9;
}

/* One x264 preset faster, if adaptive quality's threshold allows it. */
static gboolean
step_preset_down (AveRuntime *self, const char *why)
{
  AveRunDecisions *d = self->d;
  int index = ave_encoder_preset_index (d->encoder_preset);
  g_autofree char *from = NULL;
  g_autofree char *full_why = NULL;

  if (index <= 0 || !can_step (self, PRESET_STEP_QUALITY))
    return FALSE;
  from = g_steal_pointer (&d->encoder_preset);
  d->encoder_preset = g_strdup (ave_encoder_presets[index - 1]);
  self->quality *= PRESET_STEP_QUALITY;
  full_why = g_strdup_printf ("%s (relative quality %.2f, threshold %.2f)",
                              why, self->quality, self->settings->quality_threshold);
  decide (self, "encoder_preset", from, d->encoder_preset, NULL, full_why);
  return TRUE;
}

static gboolean
step_analysis_down (AveRuntime *self, const char *why)
{
  guint from = self->d->analysis_width;
  guint to = MAX (SMALLEST_ANALYSIS_WIDTH, (from * 3 / 4) & ~7u);
  g_autofree char *full_why = NULL;

  if (to >= from || !can_step (self, ANALYSIS_STEP_QUALITY))
    return FALSE;
  self->d->analysis_width = to;
  self->quality *= ANALYSIS_STEP_QUALITY;
  full_why = g_strdup_printf ("%s (relative quality %.2f, threshold %.2f)",
                              why, self->quality, self->settings->quality_threshold);
  decide_uint (self, "analysis_width", from, to, "pixels", full_why);
  return TRUE;
}

static guint64
composition_estimate (AveRuntime *self)
{
  return ave_memory_estimate_composition (view (self), self->width, self->height,
                                          MAX (1u, self->d->encoder_threads), self->d->encoder_lookahead,
                                          self->d->parallel_outputs);
}

/* Adaptive quality under memory: a faster preset keeps fewer reference
 * frames and sub-pel planes; only when the performance target allows. */
static void
fit_composition (AveRuntime *self)
{
  const AveSettings *s = self->settings;
  guint64 limit = (guint64) (self->budget * 0.90);   /* BUDGET_SHARE of ave-memory-budget.c */

  if (!s->adaptive_quality || self->budget == 0 || g_strcmp0 (s->performance_target, "quality") == 0)
    return;
  while (composition_estimate (self) > limit)
    {
      g_autofree char *why = g_strdup_printf ("the render needs ~%.0f MB, more than the %.0f MB budget leaves",
                                              MB (composition_estimate (self)), MB (self->budget));
      if (!step_preset_down (self, why))
        break;
    }
}

static void
ave_runtime_start (AveRuntime *self)
{
  const AveSettings *s = self->settings;
  AveRunDecisions *d = self->d;
  AveSystemLoad load;
  g_autofree char *budget_text = NULL;
  gboolean watch;

  ave_system_load_take (&load);
  self->n_cpus = load.n_cpus;
  self->budget = d->max_memory_bytes;

  /* --resource-aware: the budget is also what the machine has free now. */
  if (s->resource_aware && load.mem_available_bytes > 0)
    {
      guint64 free_share = load.mem_available_bytes / 10 * 8;

      if (self->budget == 0 || free_share < self->budget)
        {
          g_autofree char *from = self->budget == 0 ? g_strdup ("no bound")
                                : g_strdup_printf ("%.0f MB", MB (self->budget));
          g_autofree char *to = g_strdup_printf ("%.0f MB", MB (free_share));
          g_autofree char *why = g_strdup_printf ("%.0f MB of memory is available on this machine now",
                                                  MB (load.mem_available_bytes));

          self->budget = free_share;
          d->max_memory_bytes = free_share;
          decide (self, "max_memory_bytes", from, to, NULL, why);
        }
    }

#ifdef __GLIBC__
  /* glibc gives each thread that allocates its own arena (up to 8 per
   * core), each keeping freed memory for itself: ~40 MB more at the peak
   * of a 1080p run.  Two arenas are enough for the engine's threads, with
   * or without a budget. */
  mallopt (M_ARENA_MAX, 2);
  /* glibc raises its mmap threshold each time a mapped block is freed (up
   * to 32 MB), after which frames and model tables come from the arenas,
   * where small blocks that live on pin them: ~40 MB of the analysis was
   * still resident when the render started, and the render's own frames
   * crept up by ~20 MB.  A fixed threshold keeps every block of 256 KiB
   * or more (pictures, x264's planes, the speech model's tables) in a
   * mapping of its own that goes back to the system when freed
   * (docs/performance.md, "Peak memory").  FFmpeg, x264 and the media
   * source pool their frames, so this costs few extra page faults. */
  mmap_threshold_hold (self);
#endif

  /* The sizing is the run's starting point, not a change: it is in the
   * notice below, not in the decisions' log. */
  ave_memory_budget_plan (view (self), self->width, self->height, self->n_cpus, &self->plan);
  d->n_workers = self->plan.workers;
  d->encoder_threads = self->plan.encoder_threads;
  d->encoder_lookahead = self->plan.encoder_lookahead;
  d->reader_threads = self->plan.reader_threads;
  d->reader_queue_bytes = self->plan.reader_queue_bytes;
  d->parallel_outputs = self->plan.parallel_outputs;

  budget_text = self->budget > 0 ? g_strdup_printf ("memory budget %.0f MB", MB (self->budget))
                                 : g_strdup ("no memory budget");
  if (self->budget > 0 || s->debug_performance)
    emit (self, AVE_EVENT_NOTICE,
          "%s: %u worker%s, reader %u thread%s and %.0f MB queue, x264 %u thread%s with %u frames of look-ahead, "
          "thumbnails %s the render (estimated peaks: analysis %.0f MB, render %.0f MB)",
          budget_text,
          self->plan.workers, self->plan.workers == 1 ? "" : "s",
          self->plan.reader_threads, self->plan.reader_threads == 1 ? "" : "s",
          MB (self->plan.reader_queue_bytes),
          self->plan.encoder_threads, self->plan.encoder_threads == 1 ? "" : "s",
          self->plan.encoder_lookahead, self->plan.parallel_outputs ? "beside" : "after",
          MB (self->plan.analysis_bytes), MB (self->plan.composition_bytes));

  fit_composition (self);
  if (self->budget > 0 && MAX (self->plan.analysis_bytes, composition_estimate (self)) > self->budget)
    emit (self, AVE_EVENT_WARNING,
          "the %.0f MB memory budget is below the ~%.0f MB this %dx%d input needs even with the smallest "
          "buffers; the run goes on and sheds load as memory fills",
          MB (self->budget), MB (MAX (self->plan.analysis_bytes, composition_estimate (self))),
          self->width > 0 ? self->width : 1920, self->height > 0 ? self->height : 1080);

  if (s->process_priority != 0)
    {
      g_autoptr(GError) error = NULL;

      if (ave_job_thread_set_priority (s->process_priority, &error))
        emit (self, AVE_EVENT_NOTICE, "process priority set to nice %d for the job's threads (the rest of the program keeps its own)",
              s->process_priority);
      else
        emit (self, AVE_EVENT_WARNING, "%s; running at the current priority", error->message);
    }

  if (s->cpu_affinity)
    {
      self->pins = ave_thread_pins_new ();
      ave_thread_pins_update (self->pins);
      emit (self, AVE_EVENT_NOTICE,
            "CPU affinity: the job's threads are pinned round-robin to the %u cores this process may use",
            self->n_cpus);
    }

  watch = self->budget > 0 || s->cpu_affinity || s->monitor_memory || s->memory_alerts
       || s->adaptive_quality || s->resource_aware || s->parallel_strategy == AVE_PARALLEL_ADAPTIVE;
  if (watch && self->watcher == NULL)
    {
      self->stopping = FALSE;
      self->watcher = g_thread_new ("ave-watcher", watcher_thread, self);
    }
}

/* Stops the watcher and undoes the thread pinning. */
static void
ave_runtime_stop (AveRuntime *self)
{
  if (self->watcher != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stopping = TRUE;
      g_cond_signal (&self->wake);
      g_mutex_unlock (&self->lock);
      g_thread_join (self->watcher);
      self->watcher = NULL;
    }
  g_clear_pointer (&self->pins, ave_thread_pins_free);
}

/* ------------------------------------------------------ stage boundaries */

/* The level the resident size gives right now (after freeing memory). */
static int
current_pressure (AveRuntime *self)
{
  AveResourceSample sample;

  ave_resource_sample_take (&sample);
  return ave_memory_pressure_level (sample.rss_bytes, self->budget);
}

static void
set_workers (AveRuntime *self, guint n, const char *why)
{
  const AveSettings *s = self->settings;
  AveRunDecisions *d = self->d;
  guint threads;

  if (n != d->n_workers)
    {
      guint from = d->n_workers;

      d->n_workers = n;
      decide_uint (self, "n_workers", from, n, NULL, why);
    }
  /* x264 follows unless --thread-pool-size fixed the FFmpeg threads; never
   * above what the budget allowed. */
  threads = s->thread_pool_size > 0 ? d->encoder_threads : MIN (n, self->plan.encoder_threads);
  if (s->thread_pool_size == 0 && threads != d->encoder_threads)
    {
      guint from = d->encoder_threads;

      d->encoder_threads = threads;
      decide_uint (self, "encoder_threads", from, threads, NULL, "follows the workers");
    }
}

/* Before the analyses (AVE_STAGE_AUDIO_ANALYSIS) and before assets ‖
 * composition (AVE_STAGE_ASSETS): workers from the load and the memory
 * pressure, load shedding and adaptive quality for what follows. */
static void
ave_runtime_prepare_stage (AveRuntime *self,
                           AveStage    stage)
{
  const AveSettings *s = self->settings;
  AveRunDecisions *d = self->d;
  int pressure = g_atomic_int_get (&d->memory_pressure);
  AveSystemLoad load;
  double own_cpus, free_cpus;
  g_autofree char *why = NULL;

  ave_system_load_take (&load);
  g_mutex_lock (&self->lock);
  own_cpus = self->own_cpus;
  g_mutex_unlock (&self->lock);
  free_cpus = ave_system_load_free_cpus (&load, own_cpus);

  /* Workers for the next stage. */
  if (s->parallel && s->parallel_strategy == AVE_PARALLEL_ADAPTIVE)
    {
      guint n = MIN (ave_worker_pool_adapt (view (self), &load, own_cpus, pressure), self->plan.workers);

      why = g_strdup_printf ("adaptive: load average %.2f on %u cores (%.1f used by this run), memory pressure %s",
                             load.load_1min, load.n_cpus, own_cpus, pressure_name (pressure));
      set_workers (self, n, why);
    }
  else if (pressure > AVE_PRESSURE_NORMAL && d->n_workers > 1)
    {
      guint n = pressure >= AVE_PRESSURE_CRITICAL ? 1 : MAX (1u, d->n_workers / 2);

      why = g_strdup_printf ("memory pressure %s: fewer frames in flight", pressure_name (pressure));
      set_workers (self, n, why);
    }

  if (stage != AVE_STAGE_ASSETS)
    {
      /* Adaptive quality when the CPU is short: other processes take more
       * than half the cores.  Smaller analysis frames cost less to scale
       * and measure; the transcript and silences are unaffected. */
      if (s->adaptive_quality && g_strcmp0 (s->performance_target, "quality") != 0
          && free_cpus < load.n_cpus * 0.5)
        {
          g_autofree char *cpu_why = g_strdup_printf ("other processes keep %.1f of %u cores busy",
                                                      load.n_cpus - free_cpus, load.n_cpus);
          step_analysis_down (self, cpu_why);
        }
      return;
    }

#ifdef __GLIBC__
  /* The analysers (the speech model above all) are gone by now; without
   * this their memory stays in the allocator's free lists and the render
   * starts on top of it. */
  malloc_trim (0);
  if (self->budget > 0)
    pressure = MIN (pressure, current_pressure (self));
#endif

  /* Outputs: shed what the render can do without. */
  if (pressure > AVE_PRESSURE_NORMAL)
    {
      guint lookahead = pressure >= AVE_PRESSURE_CRITICAL ? 0 : MIN (d->encoder_lookahead, 5u);

      if (d->parallel_outputs)
        {
          g_autofree char *off_why = g_strdup_printf ("memory pressure %s, thumbnails are made after the render",
                                                      pressure_name (pressure));

          d->parallel_outputs = FALSE;
          decide (self, "parallel_outputs", "on", "off", NULL, off_why);
        }
      if (lookahead < d->encoder_lookahead)
        {
          g_autofree char *la_why = g_strdup_printf ("memory pressure %s", pressure_name (pressure));
          guint from = d->encoder_lookahead;

          d->encoder_lookahead = lookahead;
          decide_uint (self, "encoder_lookahead", from, lookahead, "frames", la_why);
        }
      if (s->adaptive_quality && pressure >= AVE_PRESSURE_CRITICAL
          && g_strcmp0 (s->performance_target, "quality") != 0)
        step_preset_down (self, "memory pressure critical (90 %) before the render");
    }
  fit_composition (self);

  if (s->adaptive_quality && g_strcmp0 (s->performance_target, "speed") == 0
      && free_cpus < load.n_cpus * 0.5)
    {
      g_autofree char *cpu_why = g_strdup_printf ("performance target speed and other processes keep %.1f of %u cores busy",
                                                  load.n_cpus - free_cpus, load.n_cpus);
      step_preset_down (self, cpu_why);
    }
}

/* ------------------------------------------------------------ observer */

typedef struct
{
  AveJobObserver  parent;
  AveRuntime     *runtime;   /* one per run */
} RuntimeObserver;

static gboolean
runtime_observer_run_start (AveJobObserver *observer, AveJobRun *run, GError **error)
{
  RuntimeObserver *self = (RuntimeObserver *) observer;

  g_clear_pointer (&self->runtime, ave_runtime_free);
  self->runtime = ave_runtime_new (run);
  ave_runtime_start (self->runtime);
  /* The analyses follow the start at once (or are skipped): they are
   * prepared here, before the metrics record the settings and before the
   * analysis cache's key is made from them. */
  ave_runtime_prepare_stage (self->runtime, AVE_STAGE_AUDIO_ANALYSIS);
  return TRUE;
}

static void
runtime_observer_before_stage (AveJobObserver *observer, AveJobRun *run, AveStage stage)
{
  RuntimeObserver *self = (RuntimeObserver *) observer;

  if (self->runtime != NULL)
    ave_runtime_prepare_stage (self->runtime, stage);
}

static void
runtime_observer_run_end (AveJobObserver *observer, AveJobRun *run, const GError *error)
{
  RuntimeObserver *self = (RuntimeObserver *) observer;

  g_clear_pointer (&self->runtime, ave_runtime_free);   /* joins the watcher */
}

static void
runtime_observer_free (gpointer data)
{
  RuntimeObserver *self = data;

  g_clear_pointer (&self->runtime, ave_runtime_free);
  g_free (self);
}

static const AveJobObserverFuncs runtime_observer_funcs = {
  .run_start = runtime_observer_run_start,
  .before_stage = runtime_observer_before_stage,
  .run_end = runtime_observer_run_end,
  .free = runtime_observer_free,
};

AveJobObserver *
ave_runtime_observer_new (void)
{
  RuntimeObserver *self = g_new0 (RuntimeObserver, 1);

  self->parent.funcs = &runtime_observer_funcs;
  return &self->parent;
}
