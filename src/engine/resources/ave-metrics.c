#define G_LOG_DOMAIN "ave-metrics"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "ave-metrics.h"
#include "core/ave-error.h"
#include "core/ave-files.h"
#include "compute/ave-compute.h"
#if HAVE_VULKAN
#include "compute/ave-compute-vulkan.h"
#endif

struct _AveMetrics
{
  GMutex            lock;       /* the file and the counters */
  FILE             *file;
  char             *path;
  gint64            start_us;
  AveResourceSample start_sample;
  AveResourceSample stage_start[AVE_N_STAGES];
  double            stage_wall[AVE_N_STAGES];
  gboolean          stage_done[AVE_N_STAGES];

  /* samples */
  GThread          *sampler;
  GMutex            sampler_lock;
  GCond             sampler_cond;
  gboolean          sampler_stop;
  guint             interval_ms;
  AveMetricsSampleFunc sample_func;
  gpointer          sample_data;
  guint             n_samples;
  double            max_cpu_percent;

  guint             cache_hits;
  guint             cache_misses;
  guint             decisions;
  guint             warnings;
  GPtrArray        *decision_log; /* AveDecision copies, under lock */
  AveCostTotals     costs;        /* the run's, from AVE_EVENT_COSTS */
  gboolean          track_costs; /* --track-costs: a line per remote call */
};

static const char * const strategy_names[] = { "conservative", "balanced", "aggressive", "adaptive" };
static const char * const cache_strategy_names[] = { "lru", "intelligent", "analysis-only" };

static guint64
system_ram_bytes (void)
{
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return 0;
  p = strstr (text, "MemTotal:");
  return p != NULL ? g_ascii_strtoull (p + strlen ("MemTotal:"), NULL, 10) * 1024 : 0;
}

static double
now_s (AveMetrics *self)
{
  return (g_get_monotonic_time () - self->start_us) / 1e6;
}

static void
write_line (AveMetrics *self, JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_end_object (builder);
  if (self->file == NULL)
    return;
  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  g_mutex_lock (&self->lock);
  if (self->file != NULL)
    {
      /* One whole line per write, flushed: a crashed run still leaves
       * every line it reached, readable by analyze-performance. */
      fputs (text, self->file);
      fputc ('\n', self->file);
      fflush (self->file);
    }
  g_mutex_unlock (&self->lock);
}

static JsonBuilder *
line_begin (AveMetrics *self, const char *type)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "time");
  json_builder_add_double_value (b, now_s (self));
  return b;
}

#define ADD_STR(b, k, v)  G_STMT_START { json_builder_set_member_name (b, k); \
                                         if ((v) != NULL) json_builder_add_string_value (b, v); \
                                         else json_builder_add_null_value (b); } G_STMT_END
#define ADD_INT(b, k, v)  G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define ADD_DBL(b, k, v)  G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_double_value (b, v); } G_STMT_END
#define ADD_BOOL(b, k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_boolean_value (b, v); } G_STMT_END

static void
add_settings (JsonBuilder *b, const AveSettings *s)
{
  json_builder_set_member_name (b, "settings");
  json_builder_begin_object (b);
  ADD_STR (b, "quality", ave_quality_to_string (s->quality));
  ADD_STR (b, "mode", ave_mode_to_string (s->mode));
  ADD_STR (b, "type", ave_content_type_to_string (s->content_type));
  ADD_STR (b, "preset", s->preset);
  ADD_STR (b, "encoder_preset", s->encoder_preset);
  ADD_INT (b, "crf", s->crf);
  ADD_INT (b, "analysis_width", s->analysis_width);
  ADD_INT (b, "frame_step", s->frame_step);
  ADD_INT (b, "max_memory_bytes", s->max_memory_bytes);
  ADD_INT (b, "n_workers", s->n_workers);
  ADD_INT (b, "max_workers", s->max_workers);
  ADD_BOOL (b, "parallel", s->parallel);
  ADD_STR (b, "parallel_strategy", s->parallel_strategy < G_N_ELEMENTS (strategy_names)
                                   ? strategy_names[s->parallel_strategy] : NULL);
  ADD_INT (b, "encoder_threads", s->encoder_threads);
  ADD_INT (b, "encoder_lookahead", s->encoder_lookahead);
  ADD_BOOL (b, "memory_efficient", s->memory_efficient);
  ADD_BOOL (b, "minimal_buffers", s->minimal_buffers);
  ADD_BOOL (b, "enable_gpu", s->enable_gpu);
  ADD_BOOL (b, "cache_enabled", s->cache_enabled);
  ADD_BOOL (b, "persistent_cache", s->persistent_cache);
  ADD_BOOL (b, "aggressive_caching", s->aggressive_caching);
  ADD_STR (b, "cache_strategy", s->cache_strategy < G_N_ELEMENTS (cache_strategy_names)
                                ? cache_strategy_names[s->cache_strategy] : NULL);
  ADD_BOOL (b, "skip_optional_analysis", s->skip_optional_analysis);
  ADD_BOOL (b, "adaptive_quality", s->adaptive_quality);
  ADD_DBL (b, "budget_limit_usd", s->budget_limit_usd);
  json_builder_end_object (b);
}

static void
free_decision (gpointer data)
{
  ave_decision_clear (data);
  g_free (data);
}

AveMetrics *
ave_metrics_new (const char          *directory,
                 const char          *input,
                 const AveMediaInfo  *media,
                 const AveSettings   *settings,
                 GError             **error)
{
  g_autoptr(AveMetrics) self = g_new0 (AveMetrics, 1);
  JsonBuilder *b;

  g_mutex_init (&self->lock);
  self->decision_log = g_ptr_array_new_with_free_func (free_decision);
  g_mutex_init (&self->sampler_lock);
  g_cond_init (&self->sampler_cond);
  self->start_us = g_get_monotonic_time ();
  self->track_costs = settings != NULL && settings->track_costs;
  ave_resource_sample_take (&self->start_sample);

  if (directory != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S.%f");
      g_autofree char *stem = ave_file_stem (input);
      g_autofree char *name = g_strdup_printf ("%s-%s.jsonl", stem, stamp);
      g_autofree char *fingerprint = ave_cache_fingerprint_file (input, NULL);
      g_autofree char *started = g_date_time_format_iso8601 (now);

      if (g_mkdir_with_parents (directory, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                       "%s: cannot create the metrics folder (%s); choose another with --metrics-output",
                       directory, g_strerror (saved));
          return NULL;
        }
      self->path = g_build_filename (directory, name, NULL);
      /* "x": a new file, never one that exists (it could be anything, an
       * input included). */
      self->file = g_fopen (self->path, "wxe");
      if (self->file == NULL)
        {
          int saved = errno;
          g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                       "%s: cannot write the metrics file (%s); choose another folder with --metrics-output",
                       self->path, g_strerror (saved));
          return NULL;
        }

      b = line_begin (self, "start");
      ADD_INT (b, "version", AVE_METRICS_VERSION);
      ADD_STR (b, "engine", PACKAGE_VERSION);
      ADD_STR (b, "input", input);
      ADD_STR (b, "input_fingerprint", fingerprint);
      ADD_INT (b, "input_bytes", media != NULL ? media->size_bytes : 0);
      ADD_DBL (b, "duration_s", media != NULL ? media->duration : 0);
      if (media != NULL && media->has_video)
        {
          ADD_INT (b, "width", media->display_width);
          ADD_INT (b, "height", media->display_height);
        }
      ADD_STR (b, "started_at", started);
      add_settings (b, settings);
      json_builder_set_member_name (b, "system");
      json_builder_begin_object (b);
      ADD_INT (b, "cores", g_get_num_processors ());
      ADD_INT (b, "ram_bytes", system_ram_bytes ());
      json_builder_end_object (b);
      write_line (self, b);
      g_object_unref (b);
    }
  return g_steal_pointer (&self);
}

void
ave_metrics_free (AveMetrics *self)
{
  if (self == NULL)
    return;
  ave_metrics_stop_sampling (self);
  if (self->file != NULL)
    fclose (self->file);
  g_free (self->path);
  g_ptr_array_unref (self->decision_log);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->sampler_lock);
  g_cond_clear (&self->sampler_cond);
  g_free (self);
}

const char *
ave_metrics_get_path (AveMetrics *self)
{
  return self->path;
}

void
ave_metrics_record_event (AveMetrics *self, const AveEvent *event)
{
  JsonBuilder *b = NULL;

  switch (event->kind)
    {
    case AVE_EVENT_STAGE_START:
      g_mutex_lock (&self->lock);
      ave_resource_sample_take (&self->stage_start[event->stage]);
      g_mutex_unlock (&self->lock);
      break;

    case AVE_EVENT_STAGE_END:
      {
        AveResourceSample now, start;

        ave_resource_sample_take (&now);
        g_mutex_lock (&self->lock);
        start = self->stage_start[event->stage];
        self->stage_wall[event->stage] += event->wall_seconds;
        self->stage_done[event->stage] = TRUE;
        g_mutex_unlock (&self->lock);

        b = line_begin (self, "stage");
        ADD_STR (b, "stage", ave_stage_to_string (event->stage));
        ADD_DBL (b, "wall_s", event->wall_seconds);
        ADD_DBL (b, "cpu_s", event->cpu_seconds);
        ADD_DBL (b, "cpu_ratio", event->wall_seconds > 0 ? event->cpu_seconds / event->wall_seconds : 0);
        ADD_INT (b, "peak_rss_bytes", MAX (event->peak_rss_bytes, now.peak_rss_bytes));
        ADD_INT (b, "rss_bytes", now.rss_bytes);
        /* /proc/self/io is per process: stages that overlap share bytes. */
        ADD_INT (b, "read_bytes", now.read_bytes - MIN (now.read_bytes, start.read_bytes));
        ADD_INT (b, "write_bytes", now.write_bytes - MIN (now.write_bytes, start.write_bytes));
        ADD_BOOL (b, "skipped", event->skipped);
      }
      break;

    case AVE_EVENT_DECISION:
      b = line_begin (self, "decision");
      ADD_STR (b, "name", event->name);
      ADD_STR (b, "message", event->message);
      g_atomic_int_inc (&self->decisions);
      if (event->decision != NULL)
        {
          AveDecision *copy = g_new0 (AveDecision, 1);

          copy->what = g_strdup (event->decision->what);
          copy->from = g_strdup (event->decision->from);
          copy->to = g_strdup (event->decision->to);
          copy->why = g_strdup (event->decision->why);
          copy->when = event->decision->when;
          g_mutex_lock (&self->lock);
          g_ptr_array_add (self->decision_log, copy);
          g_mutex_unlock (&self->lock);
        }
      break;

    case AVE_EVENT_CACHE:
      g_mutex_lock (&self->lock);
      if (event->hit)
        self->cache_hits++;
      else
        self->cache_misses++;
      g_mutex_unlock (&self->lock);
      b = line_begin (self, "cache");
      ADD_STR (b, "what", event->name);
      ADD_BOOL (b, "hit", event->hit);
      break;

    case AVE_EVENT_COSTS:
      g_mutex_lock (&self->lock);
      self->costs = *event->totals;
      g_mutex_unlock (&self->lock);
      break;

    case AVE_EVENT_COST:
      /* --track-costs: every call, as costs.json has it. */
      if (!self->track_costs)
        return;
      b = line_begin (self, "cost");
      ADD_STR (b, "kind", event->cost->kind);
      ADD_STR (b, "provider", event->cost->provider);
      ADD_STR (b, "model", event->cost->model);
      ADD_INT (b, "prompt_tokens", event->cost->prompt_tokens);
      ADD_INT (b, "completion_tokens", event->cost->completion_tokens);
      ADD_DBL (b, "audio_seconds", event->cost->audio_seconds);
      ADD_INT (b, "images", event->cost->images);
      ADD_DBL (b, "usd", event->cost->usd);
      ADD_STR (b, "status", ave_call_status_to_string (event->cost->status));
      ADD_DBL (b, "latency_s", event->cost->latency_s);
      break;

    case AVE_EVENT_WARNING:
    case AVE_EVENT_NOTICE:
      b = line_begin (self, event->kind == AVE_EVENT_WARNING ? "warning" : "notice");
      ADD_STR (b, "message", event->message);
      if (event->kind == AVE_EVENT_WARNING)
        g_atomic_int_inc (&self->warnings);
      break;

    case AVE_EVENT_RESULT:
      b = line_begin (self, "result");
      ADD_STR (b, "name", event->name);
      ADD_STR (b, "path", event->path);
      break;

    default:
      break;
    }

  if (b != NULL)
    {
      write_line (self, b);
      g_object_unref (b);
    }
}

/* ------------------------------------------------------------- sampling */

static gpointer
sampler_thread (gpointer user_data)
{
  AveMetrics *self = user_data;
  AveResourceSample previous, sample;
  gint64 deadline;

  ave_resource_sample_take (&previous);
  deadline = g_get_monotonic_time ();

  g_mutex_lock (&self->sampler_lock);
  for (;;)
    {
      double cpu;
      JsonBuilder *b;

      deadline += self->interval_ms * G_TIME_SPAN_MILLISECOND;
      while (!self->sampler_stop && g_cond_wait_until (&self->sampler_cond, &self->sampler_lock, deadline))
        ;
      if (self->sampler_stop)
        break;
      g_mutex_unlock (&self->sampler_lock);

      ave_resource_sample_take (&sample);
      cpu = ave_resource_sample_cpu_percent (&previous, &sample);
      previous = sample;

      g_mutex_lock (&self->lock);
      self->n_samples++;
      self->max_cpu_percent = MAX (self->max_cpu_percent, cpu);
      g_mutex_unlock (&self->lock);

      b = line_begin (self, "sample");
      ADD_DBL (b, "cpu_percent", cpu);
      ADD_INT (b, "rss_bytes", sample.rss_bytes);
      ADD_INT (b, "peak_rss_bytes", sample.peak_rss_bytes);
      ADD_INT (b, "read_bytes", sample.read_bytes);
      ADD_INT (b, "write_bytes", sample.write_bytes);
      write_line (self, b);
      g_object_unref (b);

      if (self->sample_func != NULL)
        self->sample_func (&sample, cpu, self->sample_data);

      g_mutex_lock (&self->sampler_lock);
    }
  g_mutex_unlock (&self->sampler_lock);
  return NULL;
}

void
ave_metrics_start_sampling (AveMetrics           *self,
                            guint                 interval_ms,
                            AveMetricsSampleFunc  func,
                            gpointer              user_data)
{
  g_return_if_fail (self->sampler == NULL);
  self->interval_ms = MAX (interval_ms, 10);
  self->sample_func = func;
  self->sample_data = user_data;
  self->sampler_stop = FALSE;
  self->sampler = g_thread_new ("ave-metrics", sampler_thread, self);
}

void
ave_metrics_stop_sampling (AveMetrics *self)
{
  if (self->sampler == NULL)
    return;
  g_mutex_lock (&self->sampler_lock);
  self->sampler_stop = TRUE;
  g_cond_signal (&self->sampler_cond);
  g_mutex_unlock (&self->sampler_lock);
  g_thread_join (self->sampler);
  self->sampler = NULL;
}

/* -------------------------------------------------------------- summary */

void
ave_metrics_finish (AveMetrics    *self,
                    const GError  *error,
                    AveCache      *cache,
                    AveCompute    *compute)
{
  AveResourceSample end;
  AveCostTotals costs;
  double wall, cpu;
  JsonBuilder *b;

  ave_metrics_stop_sampling (self);
  if (self->file == NULL)
    return;

  ave_resource_sample_take (&end);
  wall = (end.monotonic_us - self->start_sample.monotonic_us) / 1e6;
  cpu = (end.cpu_user_s + end.cpu_system_s) - (self->start_sample.cpu_user_s + self->start_sample.cpu_system_s);
  g_mutex_lock (&self->lock);
  costs = self->costs;
  g_mutex_unlock (&self->lock);

  b = line_begin (self, "summary");
  ADD_STR (b, "status", error == NULL ? "ok"
                        : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled" : "failed");
  ADD_STR (b, "error", error != NULL ? error->message : NULL);
  ADD_DBL (b, "wall_s", wall);
  ADD_DBL (b, "cpu_s", cpu);
  ADD_INT (b, "peak_rss_bytes", end.peak_rss_bytes);
  ADD_DBL (b, "mean_cpu_percent", wall > 0 ? 100 * cpu / wall : 0);
  ADD_DBL (b, "max_cpu_percent", MAX (self->max_cpu_percent, wall > 0 ? 100 * cpu / wall : 0));
  ADD_INT (b, "samples", self->n_samples);
  ADD_INT (b, "read_bytes", end.read_bytes - MIN (end.read_bytes, self->start_sample.read_bytes));
  ADD_INT (b, "write_bytes", end.write_bytes - MIN (end.write_bytes, self->start_sample.write_bytes));
  ADD_INT (b, "decisions", self->decisions);
  ADD_INT (b, "warnings", self->warnings);
  /* What the engine chose instead of the settings (core/ave-run-decisions.h). */
  json_builder_set_member_name (b, "decision_log");
  json_builder_begin_array (b);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->decision_log->len; i++)
    {
      const AveDecision *d = g_ptr_array_index (self->decision_log, i);

      json_builder_begin_object (b);
      ADD_STR (b, "what", d->what);
      ADD_STR (b, "from", d->from);
      ADD_STR (b, "to", d->to);
      ADD_STR (b, "why", d->why);
      ADD_DBL (b, "when", d->when);
      json_builder_end_object (b);
    }
  g_mutex_unlock (&self->lock);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "stages");
  json_builder_begin_object (b);
  for (guint s = 0; s < AVE_N_STAGES; s++)
    if (self->stage_done[s])
      ADD_DBL (b, ave_stage_to_string (s), self->stage_wall[s]);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "cache");
  json_builder_begin_object (b);
  ADD_BOOL (b, "enabled", cache != NULL);
  ADD_INT (b, "hits", self->cache_hits);
  ADD_INT (b, "misses", self->cache_misses);
  if (cache != NULL)
    {
      AveCacheStats stats;
      ave_cache_get_stats (cache, &stats);
      ADD_INT (b, "corrupt", stats.corrupt);
      ADD_INT (b, "evictions", stats.evictions);
      ADD_INT (b, "size_bytes", stats.size_bytes);
      ADD_STR (b, "directory", ave_cache_get_directory (cache));
    }
  json_builder_end_object (b);

  /* This job's share of a ledger that may outlive it (AVE_EVENT_COSTS). */
  ADD_INT (b, "api_calls", costs.calls);
  ADD_DBL (b, "cost_usd", costs.spent_usd);
  ADD_INT (b, "api_refused", costs.refused);
  ADD_INT (b, "api_cache_hits", costs.cache_hits);
  ADD_DBL (b, "budget_usd", costs.budget_usd);

  json_builder_set_member_name (b, "gpu");
  json_builder_begin_object (b);
  ADD_STR (b, "backend", compute != NULL ? ave_compute_get_name (compute) : NULL);
  if (compute != NULL)
    {
      /* which kernels this run's backend executed, and how often */
      json_builder_set_member_name (b, "kernel_calls");
      json_builder_begin_object (b);
      for (AveComputeKernel k = 0; k < AVE_COMPUTE_N_KERNELS; k++)
        ADD_INT (b, ave_compute_kernel_name (k), ave_compute_get_calls (compute, k));
      json_builder_end_object (b);
    }
#if HAVE_VULKAN
  if (compute != NULL && AVE_IS_COMPUTE_VULKAN (compute))
    {
      AveComputeVulkanTimings t;

      ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (compute), &t);
      json_builder_set_member_name (b, "vulkan");
      json_builder_begin_object (b);
      ADD_STR (b, "device", ave_compute_vulkan_get_device_name (AVE_COMPUTE_VULKAN (compute)));
      ADD_INT (b, "submissions", t.submissions);
      /* what crossed the bus: 0 where the device reads host memory */
      ADD_INT (b, "upload_bytes", t.upload_bytes);
      ADD_INT (b, "download_bytes", t.download_bytes);
      ADD_DBL (b, "upload_ms", t.upload_us / 1000);
      ADD_DBL (b, "compute_ms", t.compute_us / 1000);
      ADD_DBL (b, "download_ms", t.download_us / 1000);
      ADD_DBL (b, "wait_ms", t.wait_us / 1000);
      json_builder_end_object (b);
    }
#endif
  json_builder_end_object (b);

  write_line (self, b);
  g_object_unref (b);

  g_mutex_lock (&self->lock);
  fclose (self->file);
  self->file = NULL;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ observer */

typedef struct
{
  AveJobObserver  parent;
  AveMetrics     *metrics;   /* one per run */
  AveJobRun      *run;
} MetricsObserver;

/* --real-time-stats: the sampler's clock drives the front ends' live line. */
static void
on_sample (const AveResourceSample *sample, double cpu_percent, gpointer user_data)
{
  MetricsObserver *self = user_data;
  AveEvent event = { .kind = AVE_EVENT_SAMPLE };

  /* Receivers take their own sample (ave-events.h); this is the clock. */
  ave_job_run_emit (self->run, &event);
}

static gboolean
metrics_observer_run_start (AveJobObserver *observer, AveJobRun *run, GError **error)
{
  MetricsObserver *self = (MetricsObserver *) observer;
  const AveSettings *s = run->settings;
  /* --performance-monitoring alone keeps its metrics with the results. */
  const char *directory = s->metrics_output != NULL ? s->metrics_output
                        : (s->performance_monitoring ? run->output_dir : NULL);

  g_clear_pointer (&self->metrics, ave_metrics_free);
  self->run = run;
  /* The start line records the settings the run really uses: the user's
   * with the runtime's sizing (it starts before this observer). */
  self->metrics = ave_metrics_new (directory, run->input, run->media, run->stage_settings, error);
  if (self->metrics == NULL)
    return FALSE;
  ave_metrics_start_sampling (self->metrics, 500, s->real_time_stats ? on_sample : NULL, self);
  return TRUE;
}

static void
metrics_observer_event (AveJobObserver *observer, AveJobRun *run, const AveEvent *event)
{
  MetricsObserver *self = (MetricsObserver *) observer;

  if (self->metrics != NULL)
    ave_metrics_record_event (self->metrics, event);
}

static void
metrics_observer_run_end (AveJobObserver *observer, AveJobRun *run, const GError *error)
{
  MetricsObserver *self = (MetricsObserver *) observer;
  AveMetrics *metrics = g_steal_pointer (&self->metrics);
  AveEvent event = { .kind = AVE_EVENT_RESULT, .name = "metrics" };

  if (metrics == NULL)
    return;
  ave_metrics_finish (metrics, error, run->cache, run->compute);
  event.path = ave_metrics_get_path (metrics);
  if (event.path != NULL && error == NULL)
    ave_job_run_emit (run, &event);
  ave_metrics_free (metrics);
}

static void
metrics_observer_free (gpointer data)
{
  MetricsObserver *self = data;

  g_clear_pointer (&self->metrics, ave_metrics_free);
  g_free (self);
}

static const AveJobObserverFuncs metrics_observer_funcs = {
  .run_start = metrics_observer_run_start,
  .event = metrics_observer_event,
  .run_end = metrics_observer_run_end,
  .free = metrics_observer_free,
};

AveJobObserver *
ave_metrics_observer_new (void)
{
  MetricsObserver *self = g_new0 (MetricsObserver, 1);

  self->parent.funcs = &metrics_observer_funcs;
  return &self->parent;
}

gboolean
ave_metrics_wanted (const AveSettings *settings)
{
  return settings->performance_monitoring || settings->metrics_output != NULL || settings->real_time_stats;
}

guint
ave_cost_alert_thresholds (double before, double after)
{
  static const double levels[] = { 0.5, 0.8, 1.0 };
  guint mask = 0;

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (before < levels[i] - 1e-9 && after >= levels[i] - 1e-9)
      mask |= 1u << i;
  return mask;
}
