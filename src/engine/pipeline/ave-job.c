#define G_LOG_DOMAIN "ave-job"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pipeline/ave-job.h"
#include "core/ave-error.h"
#include "core/ave-files.h"
#include "analysis/ave-audio-analyzer.h"
#include "analysis/ave-video-analyzer.h"
#include "assets/ave-assets.h"
#include "assets/ave-captions.h"
#include "compose/ave-composer.h"
#include "compute/ave-compute.h"
#include "director/ave-director.h"
#include "providers/ave-llm-director.h"
#include "providers/ave-remote.h"
#include "providers/ave-remote-asr.h"
#include "providers/ave-remote-image.h"
#include "director/ave-local-director.h"
#include "interchange/ave-interchange.h"
#include "media/ave-media.h"
#include "core/ave-monitor.h"
#include "resources/ave-cache.h"
#include "resources/ave-cost-ledger.h"
#include "resources/ave-cost-report.h"
#include "resources/ave-job-observer.h"
#include "resources/ave-metrics.h"
#include "resources/ave-output-dir.h"
#include "resources/ave-runtime.h"
#include "resources/ave-temp-dir.h"

/* Nice steps the video analysis runs below the speech recogniser (see
 * run_analysis). */
#define ANALYSIS_VIDEO_NICE_STEP 10

struct _AveJob
{
  GObject         parent_instance;

  AveJobKind      kind;
  char           *input;
  char           *output_root;
  char           *output_name;
  char           *output_dir;
  guint           export_mask;   /* 1 << AveInterchangeFormat of --export, parsed once at the start */
  AveOutputDir   *out;           /* lock and staging while the job runs */
  GArray         *results;       /* JobResult, reported once the outputs are in place */
  char           *plan_file;
  /* The user's settings, never changed; the stages read `view`: these
   * with the run's `decisions` laid over them, refreshed at stage
   * boundaries (core/ave-run-decisions.h). */
  AveSettings    *settings;
  AveSettings    *view;
  AveRunDecisions *decisions;

  /* Who watches the runs (resources/ave-job-observer.h): the front end's,
   * kept across runs, and the ones the settings ask for, for one run. */
  GPtrArray      *observers;
  AveJobObserver *event_observer;  /* ave_job_set_event_func's, last */
  GPtrArray      *run_observers;
  AveJobRun       run;
  guint           n_started;       /* observers whose run_start succeeded */
  /* Events sent while the observers start are held and delivered when
   * all have started, so that every observer sees every event. */
  GMutex          hold_lock;
  GPtrArray      *held;            /* AveEvent copies, NULL when not holding */

  gint64          start_us;
  AveAnalysis    *analysis;
  AvePlan        *plan;
  AveAnalysis    *given_analysis;
  AvePlan        *given_plan;
  AveMediaInfo   *media;
  AveCompute     *compute;
  /* The cues of final.srt, final.vtt, the embedded track and the burned
   * captions: built once from the plan the composer renders. */
  GArray         *caption_words;
  GArray         *caption_cues;

  /* cache and costs (ave_job_run sets them up and clears them) */
  AveCache       *cache;
  char           *analysis_key;
  AveCostLedger  *ledger;
  AveRemote      *remote;        /* the run's remote calls (--director llm), NULL otherwise */

  /* the run's temp folder */
  char           *run_temp_dir;
  char           *temp_parent;   /* --temp-dir as the user gave it, NULL for the system's */
  gboolean        render_in_temp;/* --temp-dir given: the render is written there */
  AveCostTotals   cost_start;
  double          cost_usd;      /* what the ledger was charged while the job ran */
};

G_DEFINE_FINAL_TYPE (AveJob, ave_job, G_TYPE_OBJECT)

typedef struct
{
  const char *name;   /* a constant: "final", "plan", "thumbnail" … */
  char       *path;
} JobResult;

static void
clear_job_result (gpointer data)
{
  g_free (((JobResult *) data)->path);
}

static void
ave_job_finalize (GObject *object)
{
  AveJob *self = AVE_JOB (object);

  g_ptr_array_unref (self->observers);
  g_clear_pointer (&self->event_observer, ave_job_observer_free);
  g_clear_pointer (&self->run_observers, g_ptr_array_unref);
  g_clear_pointer (&self->held, g_ptr_array_unref);
  g_mutex_clear (&self->hold_lock);
  g_free (self->input);
  g_free (self->output_root);
  g_free (self->output_name);
  g_free (self->output_dir);
  g_clear_pointer (&self->out, ave_output_dir_close);
  g_array_unref (self->results);
  g_free (self->plan_file);
  g_free (self->temp_parent);
  g_clear_pointer (&self->settings, ave_settings_free);
  g_clear_pointer (&self->view, ave_settings_free);
  g_clear_pointer (&self->decisions, ave_run_decisions_free);
  g_clear_pointer (&self->analysis, ave_analysis_unref);
  g_clear_pointer (&self->given_analysis, ave_analysis_unref);
  g_clear_pointer (&self->media, ave_media_info_free);
  g_clear_object (&self->plan);
  g_clear_object (&self->given_plan);
  g_clear_object (&self->compute);
  g_clear_pointer (&self->caption_words, g_array_unref);
  g_clear_pointer (&self->caption_cues, g_array_unref);

  G_OBJECT_CLASS (ave_job_parent_class)->finalize (object);
}

static void
ave_job_class_init (AveJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ave_job_finalize;
}

static void
ave_job_init (AveJob *self)
{
  g_mutex_init (&self->hold_lock);
  self->observers = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_job_observer_free);
  self->results = g_array_new (FALSE, FALSE, sizeof (JobResult));
  g_array_set_clear_func (self->results, clear_job_result);
}

char *
ave_job_output_stem (const char *input)
{
  return ave_file_stem (input);
}

AveJob *
ave_job_new (AveJobKind         kind,
             const char        *input,
             const char        *output_root,
             const AveSettings *settings)
{
  AveJob *self = g_object_new (AVE_TYPE_JOB, NULL);

  self->kind = kind;
  self->input = g_strdup (input);
  self->output_root = g_strdup (output_root != NULL ? output_root : "output");
  self->output_name = ave_job_output_stem (input);
  self->settings = settings != NULL ? ave_settings_copy (settings) : ave_settings_new ();
  return self;
}

void
ave_job_set_output_name (AveJob *self, const char *name)
{
  g_return_if_fail (AVE_IS_JOB (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_free (self->output_name);
  self->output_name = g_strdup (name);
}

void
ave_job_set_plan_file (AveJob *self, const char *plan_path)
{
  g_return_if_fail (AVE_IS_JOB (self));
  g_free (self->plan_file);
  self->plan_file = g_strdup (plan_path);
}

void
ave_job_set_analysis (AveJob *self, AveAnalysis *analysis)
{
  g_return_if_fail (AVE_IS_JOB (self));
  g_clear_pointer (&self->given_analysis, ave_analysis_unref);
  if (analysis != NULL)
    self->given_analysis = ave_analysis_ref (analysis);
}

void
ave_job_set_plan (AveJob *self, AvePlan *plan)
{
  g_return_if_fail (AVE_IS_JOB (self));
  g_clear_object (&self->given_plan);
  if (plan != NULL)
    self->given_plan = ave_plan_copy (plan);
}

void
ave_job_set_event_func (AveJob         *self,
                        AveEventFunc    func,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  g_return_if_fail (AVE_IS_JOB (self));
  g_clear_pointer (&self->event_observer, ave_job_observer_free);
  if (func != NULL)
    self->event_observer = ave_event_func_observer_new (func, user_data, destroy);
  else if (destroy != NULL)
    destroy (user_data);
}

void
ave_job_add_observer (AveJob *self, AveJobObserver *observer)
{
  g_return_if_fail (AVE_IS_JOB (self));
  g_return_if_fail (observer != NULL && observer->funcs != NULL);
  g_ptr_array_add (self->observers, observer);
}

const AveSettings *ave_job_get_settings (AveJob *self) { return self->settings; }
AveRunDecisions *ave_job_get_decisions (AveJob *self) { return self->decisions; }

const char *ave_job_get_input (AveJob *self) { return self->input; }
const char *ave_job_get_output_dir (AveJob *self) { return self->output_dir; }
AveAnalysis *ave_job_get_analysis (AveJob *self) { return self->analysis; }
AvePlan *ave_job_get_plan (AveJob *self) { return self->plan; }
double ave_job_get_cost_usd (AveJob *self) { return self->cost_usd; }

/* ------------------------------------------------------------- events */

static void
free_held_event (gpointer data)
{
  AveEvent *event = data;

  g_free ((char *) event->message);
  g_free ((char *) event->name);
  g_free ((char *) event->path);
  g_free (event);
}

/* Every observer, in order: the run's (runtime, metrics, cost report),
 * the front end's, then the event callback. */
static void
dispatch (AveJob *self, const AveEvent *event)
{
  for (guint i = 0; self->run_observers != NULL && i < self->run_observers->len; i++)
    {
      AveJobObserver *observer = g_ptr_array_index (self->run_observers, i);
      if (observer->funcs->event != NULL)
        observer->funcs->event (observer, &self->run, event);
    }
  for (guint i = 0; i < self->observers->len; i++)
    {
      AveJobObserver *observer = g_ptr_array_index (self->observers, i);
      if (observer->funcs->event != NULL)
        observer->funcs->event (observer, &self->run, event);
    }
  if (self->event_observer != NULL)
    self->event_observer->funcs->event (self->event_observer, &self->run, event);
}

static void
emit (AveJob *self, AveEvent *event)
{
  event->input = self->input;
  event->elapsed = (g_get_monotonic_time () - self->start_us) / 1e6;
  g_mutex_lock (&self->hold_lock);
  if (self->held != NULL)
    {
      AveEvent *copy = g_memdup2 (event, sizeof *event);

      /* Only kinds sent while observers start: no cost records or totals. */
      copy->message = g_strdup (event->message);
      copy->name = g_strdup (event->name);
      copy->path = g_strdup (event->path);
      copy->cost = NULL;
      copy->totals = NULL;
      g_ptr_array_add (self->held, copy);
      g_mutex_unlock (&self->hold_lock);
      return;
    }
  g_mutex_unlock (&self->hold_lock);
  dispatch (self, event);
}

static void
run_emit (AveJobRun *run, AveEvent *event)
{
  emit (run->job, event);
}

static void
hold_events (AveJob *self)
{
  g_mutex_lock (&self->hold_lock);
  if (self->held == NULL)
    self->held = g_ptr_array_new_with_free_func (free_held_event);
  g_mutex_unlock (&self->hold_lock);
}

static void
release_events (AveJob *self)
{
  g_autoptr(GPtrArray) held = NULL;

  g_mutex_lock (&self->hold_lock);
  held = g_steal_pointer (&self->held);
  g_mutex_unlock (&self->hold_lock);
  for (guint i = 0; held != NULL && i < held->len; i++)
    dispatch (self, g_ptr_array_index (held, i));
}

static void before_stage (AveJob *self, AveStage stage);

static void
emit_cache (AveJob *self, const char *what, gboolean hit)
{
  AveEvent event = { .kind = AVE_EVENT_CACHE, .name = what, .hit = hit };
  emit (self, &event);
}

static void
emit_simple (AveJob *self, AveEventKind kind, const char *message)
{
  AveEvent event = { .kind = kind, .message = message };
  emit (self, &event);
}

static void
emit_result (AveJob *self, const char *name, const char *path)
{
  AveEvent event = { .kind = AVE_EVENT_RESULT, .name = name, .path = path };
  emit (self, &event);
}

/* Wall and CPU time of one stage, measured on the threads that run it. */
typedef struct
{
  AveStage stage;
  gint64   start_us;
  double   cpu_s;
  double   last_fraction;
  gint64   last_progress_us;
} StageClock;

static void
stage_start (AveJob *self, StageClock *clock, AveStage stage)
{
  AveEvent event = { .kind = AVE_EVENT_STAGE_START, .stage = stage };

  clock->stage = stage;
  clock->start_us = g_get_monotonic_time ();
  clock->cpu_s = 0;
  clock->last_fraction = 0;
  clock->last_progress_us = 0;
  emit (self, &event);
}

static void
stage_progress (AveJob *self, StageClock *clock, double fraction)
{
  gint64 now = g_get_monotonic_time ();
  AveEvent event = { .kind = AVE_EVENT_STAGE_PROGRESS, .stage = clock->stage };

  fraction = CLAMP (fraction, clock->last_fraction, 1.0);
  /* A few updates per second are enough for any front end. */
  if (now - clock->last_progress_us < 200000 && fraction < 1.0)
    return;
  clock->last_progress_us = now;
  clock->last_fraction = fraction;
  event.fraction = fraction;
  emit (self, &event);
}

static void
stage_end (AveJob *self, StageClock *clock, gboolean skipped)
{
  AveResourceSample sample;
  AveEvent event = { .kind = AVE_EVENT_STAGE_END, .stage = clock->stage, .skipped = skipped };

  ave_resource_sample_take (&sample);
  event.wall_seconds = (g_get_monotonic_time () - clock->start_us) / 1e6;
  event.cpu_seconds = clock->cpu_s;
  event.peak_rss_bytes = sample.peak_rss_bytes;
  event.fraction = 1.0;
  emit (self, &event);
}

static void
stage_skip (AveJob *self, AveStage stage)
{
  StageClock clock;
  stage_start (self, &clock, stage);
  stage_end (self, &clock, TRUE);
}

/* ------------------------------------------------------------- files */

/* What a job of each kind may write into DIR/<stem>/ (ave-output-dir.h). */
static const char * const analyze_outputs[] = { "analysis.json", "costs.json", NULL };
static const char * const process_outputs[] = {
  "analysis.json", "plan.json", "plan.json.bak", "metadata.json", "final.mp4", "final.srt", "final.vtt",
  "costs.json", "thumbnails/", NULL
};

static gboolean
prepare_output_dir (AveJob *self, GError **error)
{
  const char *inputs[] = { self->input, NULL, NULL };
  g_autofree char *plan_output = NULL;

  g_free (self->output_dir);
  self->output_dir = g_build_filename (self->output_root, self->output_name, NULL);
  /* --plan DIR/<stem>/plan.json renders the plan a run wrote there (read
   * whole before anything is replaced; kept as plan.json.bak if the new
   * one differs); any other output must not be the plan file. */
  plan_output = g_build_filename (self->output_dir, "plan.json", NULL);
  if (self->plan_file != NULL && !ave_file_is_same (self->plan_file, plan_output))
    inputs[1] = self->plan_file;
  g_clear_pointer (&self->out, ave_output_dir_close);
  /* --export adds its files (edit.mlt ...): only those asked for, so that
   * `--plan DIR/<stem>/edit.mlt` reads an earlier export in place. */
  if (self->kind != AVE_JOB_ANALYZE)
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new ();

      for (guint i = 0; process_outputs[i] != NULL; i++)
        g_ptr_array_add (names, (gpointer) process_outputs[i]);
      for (guint f = 0; f < AVE_INTERCHANGE_N_FORMATS; f++)
        if (self->export_mask & (1u << f))
          g_ptr_array_add (names, (gpointer) ave_interchange_format_file_name (f));
      g_ptr_array_add (names, NULL);
      self->out = ave_output_dir_open (self->output_dir, (const char * const *) names->pdata, inputs, error);
    }
  else
    self->out = ave_output_dir_open (self->output_dir, analyze_outputs, inputs, error);
  return self->out != NULL;
}

/* Where output NAME is written until the job commits its outputs. */
static char *
stage_path (AveJob *self, const char *name, GError **error)
{
  return ave_output_dir_stage (self->out, name, error);
}

/* A result is reported when it is in place, after the commit. */
static void
add_result (AveJob *self, const char *name, const char *output_name)
{
  JobResult result = { name, ave_output_dir_final_path (self->out, output_name) };
  g_array_append_val (self->results, result);
}

static gboolean
commit_outputs (AveJob *self, GError **error)
{
  if (!ave_output_dir_commit (self->out, error))
    return FALSE;
  for (guint i = 0; i < self->results->len; i++)
    {
      JobResult *result = &g_array_index (self->results, JobResult, i);
      emit_result (self, result->name, result->path);
    }
  g_array_set_size (self->results, 0);
  return TRUE;
}

static gboolean
write_json_atomically (JsonNode *node, const char *path, GError **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  /* g_file_set_contents writes a temporary file and renames it. */
  if (!g_file_set_contents (path, text, -1, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

/* --export: the plan for other editors, beside final.mp4. */
static gboolean
write_exports (AveJob *self, GError **error)
{
  AveExportPaths paths = g_strcmp0 (self->view->export_paths, "relative") == 0
                       ? AVE_EXPORT_PATHS_RELATIVE : AVE_EXPORT_PATHS_ABSOLUTE;

  for (guint f = 0; f < AVE_INTERCHANGE_N_FORMATS; f++)
    {
      const char *name = ave_interchange_format_file_name (f);
      g_autofree char *staged = NULL;
      g_autofree char *final_path = NULL;
      g_autofree char *text = NULL;

      if (!(self->export_mask & (1u << f)))
        continue;
      staged = stage_path (self, name, error);
      if (staged == NULL)
        return FALSE;
      /* Relative references are relative to where the file will be. */
      final_path = ave_output_dir_final_path (self->out, name);
      text = ave_interchange_export (self->plan, self->media, self->analysis, f, final_path, paths, error);
      if (text == NULL || !g_file_set_contents (staged, text, -1, error))
        {
          g_prefix_error (error, "--export %s: ", ave_interchange_format_name (f));
          return FALSE;
        }
      add_result (self, "export", name);
    }
  return TRUE;
}

/* ------------------------------------------------------------ analysis */

typedef struct
{
  AveJob           *job;
  AveAudioAnalyzer *audio;
  AveVideoAnalyzer *video;
  StageClock        audio_clock;
  StageClock        video_clock;
  double            audio_thread_cpu0;
  double            video_thread_cpu0;
  gboolean          audio_seen;
  gboolean          video_seen;
  double            video_end;      /* end of the last frame / sample delivered */
  double            audio_end;
  double            process_cpu0;   /* when video analysis started: its decoder threads are FFmpeg's */
  GMutex            lock;   /* progress is reported from either thread */
} AnalysisRun;

static gboolean
on_video_frame (const AveAnalysisFrame *frame, gpointer user_data, GError **error)
{
  AnalysisRun *run = user_data;
  gboolean ok;

  /* The reader decodes on this same thread, so the thread's CPU clock
   * counts decoding and analysis together. */
  if (!run->video_seen)
    {
      run->video_seen = TRUE;
      run->video_thread_cpu0 = ave_thread_cpu_seconds ();
    }
  run->video_end = MAX (run->video_end, frame->pts + frame->duration);
  ok = ave_video_analyzer_push (run->video, frame, error);
  run->video_clock.cpu_s = ave_thread_cpu_seconds () - run->video_thread_cpu0;
  return ok;
}

static gboolean
on_audio_chunk (const AveAudioChunk *chunk, gpointer user_data, GError **error)
{
  AnalysisRun *run = user_data;
  gboolean ok;

  if (!run->audio_seen)
    {
      run->audio_seen = TRUE;
      run->audio_thread_cpu0 = ave_thread_cpu_seconds ();
    }
  run->audio_end = MAX (run->audio_end, chunk->pts + (double) chunk->n_mono / AVE_ANALYSIS_SAMPLE_RATE);
  ok = ave_audio_analyzer_push (run->audio, chunk, error);
  run->audio_clock.cpu_s = ave_thread_cpu_seconds () - run->audio_thread_cpu0;
  return ok;
}

/* The demuxing thread; nothing else touches the analysis while it reads. */
static void
on_video_keyframe (double seconds, gpointer user_data)
{
  AnalysisRun *run = user_data;

  g_array_append_val (run->job->analysis->keyframes, seconds);
}

/* The same thread: where a smart cut's copy may end (B-frames). */
static void
on_video_copy_end (double seconds, gpointer user_data)
{
  AnalysisRun *run = user_data;

  g_array_append_val (run->job->analysis->copy_ends, seconds);
}

static void
on_read_progress (double fraction, gpointer user_data)
{
  AnalysisRun *run = user_data;

  g_mutex_lock (&run->lock);
  if (run->audio != NULL)
    stage_progress (run->job, &run->audio_clock, fraction);
  if (run->video != NULL)
    stage_progress (run->job, &run->video_clock, fraction);
  g_mutex_unlock (&run->lock);
}

static void
on_read_warning (const char *message, gpointer user_data)
{
  AnalysisRun *run = user_data;

  ave_analysis_add_warning (run->job->analysis, message);
  emit_simple (run->job, AVE_EVENT_WARNING, message);
}

static double
process_cpu_seconds (void)
{
  AveResourceSample sample;

  ave_resource_sample_take (&sample);
  return sample.cpu_user_s + sample.cpu_system_s;
}

/* The analysis's decoders: the reading pass's threads, and with key
 * pictures only the stretches decoded again after it (the adaptive
 * strategy may have lowered the workers since the plan). */
static guint
analysis_decoder_threads (AveJob *self)
{
  const AveSettings *s = self->view;
  const AveRunDecisions *d = self->decisions;

  return s->thread_pool_size > 0 ? d->reader_threads : MIN (d->reader_threads, s->n_workers);
}

static gboolean
finish_video_analysis (AveJob *self, AnalysisRun *run, GError **error)
{
  double cpu0 = ave_thread_cpu_seconds ();
  double audio_cpu = 0;

  ave_video_analyzer_set_decoders (run->video, analysis_decoder_threads (self));
  if (!ave_video_analyzer_finish (run->video, self->analysis, error))
    return FALSE;
  run->video_clock.cpu_s += ave_thread_cpu_seconds () - cpu0;
  /* FFmpeg decodes on threads of its own, which no thread clock of ours
   * sees: count the whole process since the stage began, less what the
   * audio threads used meanwhile. */
  if (run->audio != NULL)
    audio_cpu = run->audio_clock.cpu_s + ave_audio_analyzer_get_worker_cpu_seconds (run->audio);
  run->video_clock.cpu_s = MAX (run->video_clock.cpu_s,
                                process_cpu_seconds () - run->process_cpu0 - audio_cpu);
  stage_end (self, &run->video_clock, FALSE);
  return TRUE;
}

static gboolean
finish_audio_analysis (AveJob *self, AnalysisRun *run, GCancellable *cancellable, GError **error)
{
  double cpu0 = ave_thread_cpu_seconds ();

  if (!ave_audio_analyzer_finish (run->audio, self->analysis, cancellable, error))
    return FALSE;
  run->audio_clock.cpu_s += ave_thread_cpu_seconds () - cpu0
                           + ave_audio_analyzer_get_worker_cpu_seconds (run->audio);
  stage_end (self, &run->audio_clock, FALSE);
  return TRUE;
}

/* Whether decoded pictures reach the video analysis at their decoded size,
 * to be downscaled by the job's AveCompute, or already downscaled by the
 * reader's swscale.  With --enable-gpu the scale runs on the device, next
 * to the analysis kernels.  On the CPU swscale stays: its SIMD
 * SWS_FAST_BILINEAR measured about twice as fast as the AVX2 scale kernel
 * for 1080p -> 384x216 on a quiet machine (docs/performance.md), a few per
 * cent of the analysis.  AVE_ANALYSIS_SCALER=swscale|compute overrides the
 * choice on either backend: for bench/bench-gpu.sh to compare the paths in
 * one run, and to get on the CPU the very numbers the GPU path gives. */
static gboolean
analysis_scales_on_compute (AveJob *self)
{
  const char *forced = g_getenv ("AVE_ANALYSIS_SCALER");

  if (g_strcmp0 (forced, "swscale") == 0)
    return FALSE;
  if (g_strcmp0 (forced, "compute") == 0)
    return TRUE;
  return !ave_compute_is_cpu (self->compute);
}

/* Audio and video analysis need nothing from each other: with --parallel one demuxing pass feeds both at once;
 * otherwise the audio is read and analysed first, its analyser (and the
 * speech model) freed, then the video is read in a second pass. */
static gboolean
run_analysis (AveJob *self, GCancellable *cancellable, GError **error)
{
  const AveSettings *s = self->view;
  const AveRunDecisions *d = self->decisions;
  /* The two analyses share one demuxing pass; they run one after the
   * other only with --no-parallel. */
  gboolean together = s->parallel;
  AnalysisRun run = { .job = self };
  g_autofree char *frames_why = NULL;

  AveMediaReadOptions options = {
    .analysis_width = s->analysis_width,
    .frame_step = MAX (1, s->frame_step),
    .want_video = self->media->has_video,
    .want_audio = self->media->has_audio,
    .queue_bytes = d->reader_queue_bytes,
    .decoder_threads = analysis_decoder_threads (self),
    .fast_decode = TRUE,
    .leave_scaling = analysis_scales_on_compute (self),
    .pressure = &d->memory_pressure,
  };
  AveMediaReadCallbacks callbacks = {
    .video_frame = on_video_frame,
    .video_keyframe = on_video_keyframe,
    .video_copy_end = on_video_copy_end,
    .audio_chunk = on_audio_chunk,
    .progress = on_read_progress,
    .warning = on_read_warning,
  };
  gboolean ok = FALSE;

  /* the video analyser makes the same choice from the same two */
  if (ave_settings_analysis_frames (s) == AVE_ANALYSIS_FRAMES_KEY)
    ave_media_info_measure_key_interval (self->media);
  options.pictures = ave_video_analysis_frames_for (s, self->media, &frames_why);
  g_mutex_init (&run.lock);
  if (self->media->has_video)
    {
      g_autofree char *name = g_path_get_basename (self->input);

      /* what --mode fast asked for, and whether this file allows it */
      if (ave_settings_analysis_frames (s) == AVE_ANALYSIS_FRAMES_KEY)
        g_message ("Video analysis of %s decodes %s", name, frames_why);
      else
        g_debug ("video analysis of %s decodes %s", name, frames_why);
    }

  if (self->media->has_audio)
    {
      run.audio = ave_audio_analyzer_new (s, self->media, error);
      if (run.audio == NULL)
        goto out;
    }
  if (self->media->has_video && (together || run.audio == NULL))
    run.video = ave_video_analyzer_new (s, self->media, self->compute);
  /* The speech recogniser is one thread, and the longest part of the
   * analysis unless the video's decoding is heavier still; the video's
   * threads (decoding, statistics, key intervals) can share the cores.
   * When the two run at once the video's yield to it, so the recogniser
   * keeps a core of its own and the video's work fills the rest (the
   * ordering that ends soonest).  docs/performance.md, "The speech
   * recogniser first". */
  if (run.video != NULL && run.audio != NULL && s->transcribe)
    {
      options.video_nice_increment = ANALYSIS_VIDEO_NICE_STEP;
      ave_video_analyzer_set_nice_increment (run.video, ANALYSIS_VIDEO_NICE_STEP);
    }

  if (run.audio != NULL)
    stage_start (self, &run.audio_clock, AVE_STAGE_AUDIO_ANALYSIS);
  if (run.video != NULL)
    {
      run.process_cpu0 = process_cpu_seconds ();
      stage_start (self, &run.video_clock, AVE_STAGE_VIDEO_ANALYSIS);
    }

  if (!together && run.audio != NULL)
    {
      options.want_video = FALSE;
      if (!ave_media_read_for_analysis (self->input, &options, &callbacks, &run, cancellable, error)
          || !finish_audio_analysis (self, &run, cancellable, error))
        goto out;
      g_clear_pointer (&run.audio, ave_audio_analyzer_free);
      if (!self->media->has_video)
        {
          stage_skip (self, AVE_STAGE_VIDEO_ANALYSIS);
          goto done;
        }
      run.video = ave_video_analyzer_new (s, self->media, self->compute);
      run.process_cpu0 = process_cpu_seconds ();
      stage_start (self, &run.video_clock, AVE_STAGE_VIDEO_ANALYSIS);
      options.want_video = TRUE;
      options.want_audio = FALSE;
      if (!ave_media_read_for_analysis (self->input, &options, &callbacks, &run, cancellable, error)
          || !finish_video_analysis (self, &run, error))
        goto out;
      goto done;
    }

  if (!ave_media_read_for_analysis (self->input, &options, &callbacks, &run, cancellable, error))
    goto out;

  if (run.video != NULL)
    {
      if (!finish_video_analysis (self, &run, error))
        goto out;
    }
  else
    stage_skip (self, AVE_STAGE_VIDEO_ANALYSIS);

  if (run.audio != NULL)
    {
      if (!finish_audio_analysis (self, &run, cancellable, error))
        goto out;
    }
  else
    stage_skip (self, AVE_STAGE_AUDIO_ANALYSIS);

done:
  /* A truncated file is as long as what could be decoded, whatever its
   * header says: the director must not plan, nor the composer render,
   * beyond it. */
  {
    double decoded = MAX (run.video_end, run.audio_end);
    if (decoded > 0 && decoded < self->media->duration - 0.25)
      {
        g_debug ("%s: decoded %.3f s of %.3f s", self->input, decoded, self->media->duration);
        self->media->duration = decoded;
        self->analysis->media->duration = decoded;
      }
  }
  g_free (self->analysis->compute_backend);
  self->analysis->compute_backend = g_strdup (ave_compute_get_name (self->compute));
  ave_analysis_sort (self->analysis);
  ok = TRUE;

out:
  g_clear_pointer (&run.audio, ave_audio_analyzer_free);
  g_clear_pointer (&run.video, ave_video_analyzer_free);
  g_mutex_clear (&run.lock);
  return ok;
}

/* The analysis cache: a hit skips both analysis stages. */
static gboolean
run_analysis_cached (AveJob *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 start;

  if (self->cache != NULL && self->analysis_key != NULL)
    {
      AveAnalysis *cached = ave_cache_lookup_analysis (self->cache, self->analysis_key,
                                                       self->input, self->media);
      emit_cache (self, "analysis", cached != NULL);
      if (cached != NULL)
        {
          ave_analysis_unref (self->analysis);
          self->analysis = cached;
          emit_simple (self, AVE_EVENT_NOTICE,
                       "analysis: cache hit (this content was analysed with the same settings before)");
          stage_skip (self, AVE_STAGE_AUDIO_ANALYSIS);
          stage_skip (self, AVE_STAGE_VIDEO_ANALYSIS);
          return TRUE;
        }
      emit_simple (self, AVE_EVENT_NOTICE, "analysis: cache miss");
    }

  start = g_get_monotonic_time ();
  if (!run_analysis (self, cancellable, error))
    return FALSE;
  if (self->cache != NULL && self->analysis_key != NULL
      && !ave_cache_store_analysis (self->cache, self->analysis_key, self->analysis,
                                    (g_get_monotonic_time () - start) / 1e6, &local_error))
    emit_simple (self, AVE_EVENT_WARNING, local_error->message);
  return TRUE;
}

/* ------------------------------------------------------------ director */

static void
on_director_message (AveDirectorMessageKind kind, const char *message, gpointer user_data)
{
  emit_simple (user_data, kind == AVE_DIRECTOR_WARNING ? AVE_EVENT_WARNING : AVE_EVENT_NOTICE, message);
}

static void
on_remote_event (AveRemoteEventKind kind, const char *message, const AveCostRecord *record, gpointer user_data)
{
  AveJob *self = user_data;
  AveEvent event = { .message = message, .cost = record };

  event.kind = kind == AVE_REMOTE_COST ? AVE_EVENT_COST
             : kind == AVE_REMOTE_WARNING ? AVE_EVENT_WARNING : AVE_EVENT_NOTICE;
  emit (self, &event);
}

/* The director the settings ask for; the LLM director's calls go through
 * this run's AveRemote (prices, budget, cache, costs.json). */
static AveRemote *
ensure_remote (AveJob *self)
{
  if (self->remote == NULL)
    {
      self->remote = ave_remote_new (self->view, self->ledger != NULL ? self->ledger
                                                                         : ave_cost_ledger_get_default ());
      ave_remote_set_event_func (self->remote, on_remote_event, self);
    }
  return self->remote;
}

static AveDirector *
create_director (AveJob *self)
{
  if (g_strcmp0 (self->view->director, "llm") == 0)
    return ave_llm_director_new (ensure_remote (self));
  return ave_local_director_new ();
}

/* --asr remote: the service's words replace PocketSphinx's, which stay
 * when it fails (ave-remote-asr.h). */
static gboolean
run_remote_asr (AveJob *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *message = NULL;

  if (g_strcmp0 (self->view->asr, "remote") != 0 || !self->media->has_audio || !self->view->transcribe)
    return TRUE;
  if (ave_remote_asr_transcribe (ensure_remote (self), self->input, self->analysis, self->view,
                                 AVE_REMOTE_ASR_MAX_UPLOAD_BYTES, cancellable, &local))
    {
      message = g_strdup_printf ("speech recognition: %u words from %s", self->analysis->words->len,
                                 self->analysis->transcriber);
      emit_simple (self, AVE_EVENT_NOTICE, message);
      return TRUE;
    }
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  message = g_strdup_printf ("remote speech recognition: %s; the PocketSphinx transcript is used", local->message);
  ave_analysis_add_warning (self->analysis, message);
  emit_simple (self, AVE_EVENT_WARNING, message);
  return TRUE;
}

/* DIR/<stem>/costs.json: every remote call of the run (docs/ai.md). */
static gboolean
write_costs (AveJob *self, GError **error)
{
  g_autoptr(JsonNode) costs = NULL;
  g_autofree char *path = NULL;

  if (self->remote == NULL || ave_remote_get_n_calls (self->remote) == 0)
    return TRUE;
  costs = ave_remote_costs_to_json (self->remote);
  path = stage_path (self, "costs.json", error);
  if (path == NULL || !write_json_atomically (costs, path, error))
    return FALSE;
  /* Written again when the thumbnails' calls add to it: reported once. */
  for (guint i = 0; i < self->results->len; i++)
    if (g_str_equal (g_array_index (self->results, JobResult, i).name, "costs"))
      return TRUE;
  add_result (self, "costs", "costs.json");
  return TRUE;
}

static gboolean
run_director (AveJob *self, GCancellable *cancellable, GError **error)
{
  StageClock clock;
  double cpu0 = ave_thread_cpu_seconds ();

  stage_start (self, &clock, AVE_STAGE_DIRECTOR);
  g_clear_object (&self->plan);

  if (self->given_plan != NULL)
    {
      self->plan = ave_plan_copy (self->given_plan);
      if (!ave_plan_check_source (self->plan, self->input, error)
          || !ave_plan_validate (self->plan, self->media->duration, error))
        return FALSE;
    }
  else if (self->plan_file != NULL)
    {
      g_autofree char *notice = g_strdup_printf ("using the edit plan %s", self->plan_file);

      /* A plan.json, or an edit exported to another editor and trimmed
       * there (docs/interchange.md): told by content. */
      self->plan = ave_interchange_import (self->plan_file, error);
      if (self->plan == NULL)
        return FALSE;
      /* A plan renders its own video only: never another file into this
       * input's folder. */
      if (!ave_plan_check_source (self->plan, self->input, error)
          || !ave_plan_validate (self->plan, self->media->duration, error))
        {
          g_prefix_error (error, "%s: ", self->plan_file);
          return FALSE;
        }
      emit_simple (self, AVE_EVENT_NOTICE, notice);
    }
  else
    {
      g_autoptr(AveDirector) director = create_director (self);

      ave_director_set_message_func (director, on_director_message, self);
      self->plan = ave_director_plan (director, self->analysis, self->view, cancellable, error);
      if (self->plan != NULL && !write_costs (self, error))
        return FALSE;
      if (self->plan == NULL)
        {
          g_prefix_error (error, "%s: ", self->input);
          return FALSE;
        }
    }

  clock.cpu_s = ave_thread_cpu_seconds () - cpu0;
  stage_end (self, &clock, FALSE);
  return TRUE;
}

/* -------------------------------------------------- assets ‖ composition */

typedef struct
{
  AveJob       *job;
  GCancellable *cancellable;
  StageClock    clock;
  char         *temp_dir;      /* .thumbnails.tmp */
  GPtrArray    *paths;
  GError       *error;
  gboolean      ok;
  gboolean      ended;         /* stage-end already reported (run before the render) */
} AssetsRun;

static void
on_assets_progress (double fraction, gpointer user_data)
{
  AssetsRun *run = user_data;
  stage_progress (run->job, &run->clock, fraction);
}

/* --aggressive-caching: the key of what a stage derives from the analysis,
 * the plan and the settings it reads; NULL when nothing is cached. */
static char *
derived_key (AveJob *self, const char *kind, const char *settings_text)
{
  g_autoptr(JsonNode) plan = NULL;
  g_autofree char *plan_text = NULL;
  g_autofree char *text = NULL;

  if (self->cache == NULL || self->analysis_key == NULL || !ave_cache_keeps_renders (self->cache))
    return NULL;
  plan = ave_plan_to_json (self->plan);
  plan_text = json_to_string (plan, FALSE);
  text = g_strconcat (settings_text, "\n", plan_text, NULL);
  return ave_cache_derive_key (self->analysis_key, kind, text);
}

static gboolean
write_thumbnails_cached (AssetsRun *run)
{
  AveJob *self = run->job;
  const AveSettings *s = self->view;
  g_autofree char *settings_text = g_strdup_printf ("count=%u;width=%u;quality=%s", s->thumbnail_count,
                                                    s->thumbnail_width, ave_quality_to_string (s->quality));
  g_autofree char *key = derived_key (self, "thumbnails", settings_text);
  g_autoptr(GError) local_error = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean hit;

  /* --thumbnail-art remote: a generated background behind the text, the
   * frames when it cannot be had (the response cache, not this one,
   * keeps the pictures). */
  if (g_strcmp0 (s->thumbnail_art, "remote") == 0 && s->thumbnail_count > 0)
    {
      g_autofree char *subject = ave_thumbnail_art_subject (self->analysis, self->plan, s);
      g_autoptr(GPtrArray) art = ave_remote_image_generate (ensure_remote (self), s, subject, s->thumbnail_count,
                                                            run->cancellable, &local_error);

      if (art != NULL)
        return ave_thumbnails_write_art (self->analysis, self->plan, s, art, run->temp_dir, run->paths,
                                         on_assets_progress, run, run->cancellable, &run->error);
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (&run->error, g_steal_pointer (&local_error));
          return FALSE;
        }
      {
        g_autofree char *message = g_strdup_printf ("thumbnail art: %s; the thumbnails are frames of the video",
                                                    local_error->message);
        emit_simple (self, AVE_EVENT_WARNING, message);
        g_clear_error (&local_error);
      }
    }

  if (key != NULL)
    {
      hit = ave_cache_lookup_files (self->cache, key, "thumbnails", run->temp_dir, run->paths);
      emit_cache (self, "thumbnails", hit);
      if (hit)
        {
          emit_simple (self, AVE_EVENT_NOTICE, "thumbnails: cache hit");
          return TRUE;
        }
    }
  if (!ave_thumbnails_write (self->analysis, self->plan, s, run->temp_dir, run->paths,
                             on_assets_progress, run, run->cancellable, &run->error))
    return FALSE;
  if (key != NULL)
    {
      g_ptr_array_add (run->paths, NULL);
      if (!ave_cache_store_files (self->cache, key, "thumbnails", (const char * const *) run->paths->pdata,
                                  (g_get_monotonic_time () - start) / 1e6, &local_error))
        emit_simple (self, AVE_EVENT_WARNING, local_error->message);
      g_ptr_array_remove_index (run->paths, run->paths->len - 1);
    }
  return TRUE;
}

static gpointer
assets_thread (gpointer user_data)
{
  AssetsRun *run = user_data;
  double cpu0 = ave_thread_cpu_seconds ();

  run->ok = write_thumbnails_cached (run);
  run->clock.cpu_s = ave_thread_cpu_seconds () - cpu0;
  return NULL;
}

static void
on_compose_progress (double fraction, gpointer user_data)
{
  gpointer *pair = user_data;
  stage_progress (pair[0], pair[1], fraction);
}

/* The cues every caption output shares (docs/captions.md), built once
 * when a subtitle file, the embedded track or burned captions want them
 * and the analysis has a transcript. */
static void
build_captions (AveJob *self)
{
  const AveSettings *s = self->view;

  g_clear_pointer (&self->caption_words, g_array_unref);
  g_clear_pointer (&self->caption_cues, g_array_unref);
  if ((s->subtitles == AVE_SUBTITLES_NONE && !s->embed_subtitles && !s->burn_captions) ||
      self->analysis->words->len == 0)
    return;
  self->caption_words = ave_caption_words_map (self->analysis, self->plan);
  self->caption_cues = ave_captions_build (self->caption_words, ave_captions_frame_rate (self->analysis),
                                           ave_analysis_get_language (self->analysis));
  if (self->caption_cues->len == 0)
    emit_simple (self, AVE_EVENT_NOTICE, "subtitles: the plan keeps none of the transcript's words; none written");
}

/* Subtitles timed to final.mp4, when settings->subtitles asks for them. */
static gboolean
write_subtitles (AveJob *self, GError **error)
{
  static const struct
  {
    AveSubtitles flag;
    const char  *name;
    char      *(*format) (GArray *cues);
  } files[] = {
    { AVE_SUBTITLES_SRT, "final.srt", ave_captions_to_srt },
    { AVE_SUBTITLES_VTT, "final.vtt", ave_captions_to_vtt },
  };

  if (self->caption_cues == NULL || self->caption_cues->len == 0)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;

      if ((self->view->subtitles & files[i].flag) == 0)
        continue;
      path = stage_path (self, files[i].name, error);
      text = files[i].format (self->caption_cues);
      if (path == NULL || !g_file_set_contents (path, text, -1, error))
        return FALSE;
      add_result (self, "subtitles", files[i].name);
    }
  return TRUE;
}

static gboolean
finish_assets (AveJob *self, AssetsRun *run, GError **error)
{
  g_autofree char *metadata_path = NULL;
  g_autoptr(JsonNode) metadata = NULL;

  if (!run->ok)
    {
      g_propagate_error (error, g_steal_pointer (&run->error));
      return FALSE;
    }

  metadata = ave_metadata_build (self->analysis, self->plan, self->view);
  metadata_path = stage_path (self, "metadata.json", error);
  if (metadata_path == NULL || !write_json_atomically (metadata, metadata_path, error))
    return FALSE;
  /* Subtitles of an earlier render do not match this one. */
  ave_output_dir_retire (self->out, "final.srt");
  ave_output_dir_retire (self->out, "final.vtt");
  if (!write_subtitles (self, error))
    return FALSE;
  /* --thumbnail-art remote: the pictures' calls join the director's. */
  if (g_strcmp0 (self->settings->thumbnail_art, "remote") == 0 && !write_costs (self, error))
    return FALSE;
  if (!run->ended)
    stage_end (self, &run->clock, FALSE);

  add_result (self, "metadata", "metadata.json");
  for (guint i = 0; i < run->paths->len; i++)
    {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (run->paths, i));
      g_autofree char *name = g_build_filename ("thumbnails", base, NULL);
      add_result (self, "thumbnail", name);
    }
  return TRUE;
}

/* --aggressive-caching: the same plan of the same content with the same
 * encoder settings renders the same video; reuse the earlier render. */
static gboolean
render_cached (AveJob *self, const char *temp_path, AveComposeResult *result,
               gpointer progress_pair, GCancellable *cancellable, GError **error)
{
  const AveSettings *s = self->view;
  g_autofree char *settings_text = NULL;
  g_autofree char *captions_text = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 start = g_get_monotonic_time ();
  AveComposeCaptions captions = {
    .words = self->caption_words,
    .cues = self->caption_cues,
    .language = ave_analysis_get_language (self->analysis),
  };

  /* The captions are part of the render: their cues follow from the plan
   * and the analysis (in the key), their style from these settings. */
  captions_text = s->burn_captions
                  ? g_strdup_printf ("burn:%s/%g/%s/%g/%s/%s/%g/%s/%g/%s", s->caption_font, s->caption_size,
                                     s->caption_position, s->caption_margin, s->caption_color,
                                     s->caption_outline_color, s->caption_outline_width, s->caption_box_color,
                                     s->caption_box_opacity, s->caption_highlight != NULL ? s->caption_highlight : "none")
                  : g_strdup ("");
  settings_text = g_strdup_printf ("preset=%s;crf=%u;abr=%u;lufs=%.3f;fade=%.4f;mode=%s;type=%s;embed=%d;%s",
                                   s->encoder_preset, s->crf, s->audio_bitrate, s->loudness_target,
                                   s->audio_fade_duration, ave_mode_to_string (s->mode),
                                   ave_content_type_to_string (s->content_type),
                                   s->embed_subtitles, captions_text);
  key = derived_key (self, "render", settings_text);
  if (key != NULL)
    {
      g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *dir = g_path_get_dirname (temp_path);
      gboolean hit = ave_cache_lookup_files (self->cache, key, "render", dir, paths);

      emit_cache (self, "render", hit);
      if (hit && paths->len == 1 && g_str_equal (g_ptr_array_index (paths, 0), temp_path))
        {
          emit_simple (self, AVE_EVENT_NOTICE, "composition: cache hit (the same plan was rendered with these settings before)");
          return TRUE;
        }
    }
  if (!ave_composer_render_with_captions (self->plan, self->analysis, s, self->compute,
                                          self->caption_cues != NULL ? &captions : NULL, temp_path, result,
                                          on_compose_progress, progress_pair, cancellable, error))
    return FALSE;
  if (key != NULL)
    {
      const char *files[] = { temp_path, NULL };
      if (!ave_cache_store_files (self->cache, key, "render", files,
                                  (g_get_monotonic_time () - start) / 1e6, &local_error))
        emit_simple (self, AVE_EVENT_WARNING, local_error->message);
    }
  return TRUE;
}

static void
cancel_other (GCancellable *source, gpointer other)
{
  g_cancellable_cancel (G_CANCELLABLE (other));
}

static gboolean
run_outputs (AveJob *self, GCancellable *cancellable, GError **error)
{
  g_autofree char *final_path = stage_path (self, "final.mp4", error);
  /* --temp-dir: the render is written there and moved into the staging
   * folder when complete. */
  g_autofree char *temp_path = self->render_in_temp && self->run_temp_dir != NULL
                             ? g_build_filename (self->run_temp_dir, "final.tmp.mp4", NULL)
                             : g_strdup (final_path);
  g_autoptr(GCancellable) assets_cancellable = g_cancellable_new ();
  AssetsRun assets = { .job = self, .cancellable = assets_cancellable };
  StageClock compose_clock;
  gpointer progress_pair[2] = { self, &compose_clock };
  AveComposeResult result = { 0 };
  GThread *thread = NULL;
  gboolean composed;
  double cpu0, process_cpu0, render_process_cpu;

  gulong forward = 0;

  if (final_path == NULL)
    return FALSE;
  assets.temp_dir = stage_path (self, "thumbnails/", error);
  if (assets.temp_dir == NULL)
    return FALSE;
  /* The thumbnails stop when the user cancels or when the render fails. */
  if (cancellable != NULL)
    forward = g_cancellable_connect (cancellable, G_CALLBACK (cancel_other),
                                     assets_cancellable, NULL);
  assets.paths = g_ptr_array_new_with_free_func (g_free);

  build_captions (self);
  before_stage (self, AVE_STAGE_ASSETS);
  stage_start (self, &assets.clock, AVE_STAGE_ASSETS);
  /* Thumbnails decode a handful of frames: run them beside the render when
   * --parallel and the memory budget allow (the runtime may have turned
   * parallel_outputs off to shed load), before it otherwise (then the
   * stage ends before the render starts).  Neither needs the other: both
   * read only the plan. */
  if (self->view->parallel && self->decisions->parallel_outputs && self->view->n_workers > 1)
    thread = g_thread_new ("ave-assets", assets_thread, &assets);
  else
    {
      assets_thread (&assets);
      if (!assets.ok)
        {
          g_propagate_error (error, g_steal_pointer (&assets.error));
          goto fail;
        }
      stage_end (self, &assets.clock, FALSE);
      assets.ended = TRUE;
    }

  stage_start (self, &compose_clock, AVE_STAGE_COMPOSITION);
  cpu0 = ave_thread_cpu_seconds ();
  process_cpu0 = process_cpu_seconds ();
  composed = render_cached (self, temp_path, &result, progress_pair, cancellable, error);
  compose_clock.cpu_s = ave_thread_cpu_seconds () - cpu0;
  render_process_cpu = process_cpu_seconds () - process_cpu0;

  if (thread != NULL)
    {
      if (!composed)
        g_cancellable_cancel (assets_cancellable);
      g_thread_join (thread);
    }
  /* x264 and the decoders work on threads of their own: count the process
   * during the render, less the thumbnails thread beside it. */
  compose_clock.cpu_s = MAX (compose_clock.cpu_s,
                             render_process_cpu - (thread != NULL ? assets.clock.cpu_s : 0));
  g_cancellable_disconnect (cancellable, forward);

  if (!composed)
    goto fail;
  if (result.smart_cut)
    {
      g_autofree char *notice =
        g_strdup_printf ("composition: smart cut copied %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                         " frames from the source and encoded %" G_GINT64_FORMAT,
                         result.frames_copied, result.video_frames, result.frames_reencoded);
      emit_simple (self, AVE_EVENT_NOTICE, notice);
    }
  else if (ave_settings_uses_smart_cut (self->view) && result.frames_captioned > 0)
    {
      /* What burning cost in fast mode: no GOP could be copied. */
      g_autofree char *notice =
        g_strdup_printf ("composition: fast mode encoded all %" G_GINT64_FORMAT " frames instead of smart "
                         "cutting: burned captions are drawn on %" G_GINT64_FORMAT " of them",
                         result.video_frames, result.frames_captioned);
      emit_simple (self, AVE_EVENT_NOTICE, notice);
    }
  if (!g_str_equal (temp_path, final_path) && !ave_temp_move_file (temp_path, final_path, error))
    goto fail;
  stage_end (self, &compose_clock, FALSE);

  if (!finish_assets (self, &assets, error))
    goto fail;

  add_result (self, "final", "final.mp4");
  g_ptr_array_unref (assets.paths);
  g_free (assets.temp_dir);
  return TRUE;

fail:
  /* Unfinished files stay in the staging folder, which goes when the job
   * ends; the render in --temp-dir is the run's own. */
  if (!g_str_equal (temp_path, final_path))
    g_unlink (temp_path);
  g_clear_error (&assets.error);
  g_ptr_array_unref (assets.paths);
  g_free (assets.temp_dir);
  return FALSE;
}

/* ------------------------------------------------------- observers */

/* The stages' view: the user's settings with the run's decisions. */
static void
refresh_view (AveJob *self)
{
  ave_run_decisions_apply (self->decisions, self->view);
}

/* Before a group of stages: the observers (the runtime) may decide; the
 * stages that follow read the refreshed view.  On the job's thread. */
static void
before_stage (AveJob *self, AveStage stage)
{
  for (guint i = 0; i < self->run_observers->len; i++)
    {
      AveJobObserver *observer = g_ptr_array_index (self->run_observers, i);
      if (observer->funcs->before_stage != NULL)
        observer->funcs->before_stage (observer, &self->run, stage);
    }
  for (guint i = 0; i < self->observers->len; i++)
    {
      AveJobObserver *observer = g_ptr_array_index (self->observers, i);
      if (observer->funcs->before_stage != NULL)
        observer->funcs->before_stage (observer, &self->run, stage);
    }
  refresh_view (self);
}

/* The i-th observer of this run, in start order. */
static AveJobObserver *
run_observer_at (AveJob *self, guint i)
{
  if (i < self->run_observers->len)
    return g_ptr_array_index (self->run_observers, i);
  i -= self->run_observers->len;
  if (i < self->observers->len)
    return g_ptr_array_index (self->observers, i);
  return i == self->observers->len ? self->event_observer : NULL;
}

/* The observers the settings ask for, then the front end's, in order.
 * Each starts with the view the ones before it left: the runtime sizes
 * the run before the metrics record its settings. */
static gboolean
observers_start (AveJob *self, GError **error)
{
  const AveSettings *s = self->settings;
  guint n = 0;

  /* The runtime sizes every run; metrics and cost reports when asked. */
  g_ptr_array_add (self->run_observers, ave_runtime_observer_new ());
  if (ave_metrics_wanted (s))
    g_ptr_array_add (self->run_observers, ave_metrics_observer_new ());
  if (ave_cost_report_wanted (s))
    g_ptr_array_add (self->run_observers, ave_cost_report_observer_new ());

  self->n_started = 0;
  n = self->run_observers->len + self->observers->len + (self->event_observer != NULL ? 1 : 0);
  for (guint i = 0; i < n; i++)
    {
      AveJobObserver *observer = run_observer_at (self, i);

      if (observer->funcs->run_start != NULL && !observer->funcs->run_start (observer, &self->run, error))
        return FALSE;
      self->n_started++;
      refresh_view (self);
    }
  return TRUE;
}

static void
observers_end (AveJob *self, const GError *error)
{
  for (guint i = 0; i < self->n_started; i++)
    {
      AveJobObserver *observer = run_observer_at (self, i);

      if (observer != NULL && observer->funcs->run_end != NULL)
        observer->funcs->run_end (observer, &self->run, error);
    }
  self->n_started = 0;
  g_ptr_array_set_size (self->run_observers, 0);
}

/* ------------------------------------------------------ cache, costs */

/* The cache and the cost ledger of this run; after the input is known to
 * be media and the output folder exists. */
static void
resources_begin (AveJob *self)
{
  const AveSettings *s = self->settings;
  g_autoptr(GError) local_error = NULL;
  AveCostTotals totals;

  self->cache = ave_cache_new_for_settings (s, self->temp_parent, &local_error);
  if (local_error != NULL)
    emit_simple (self, AVE_EVENT_WARNING, local_error->message);

  /* The ledger every remote client of this process charges. */
  self->ledger = g_object_ref (ave_cost_ledger_get_default ());
  if (s->budget_limit_usd > 0)
    ave_cost_ledger_set_budget (self->ledger, s->budget_limit_usd);
  ave_cost_ledger_get_totals (self->ledger, &totals);
  self->cost_start = totals;
  self->run.cache = self->cache;
  self->run.ledger = self->ledger;
}

/* The analysis cache's key, from the settings the analysis will really
 * use (after the runtime's decisions). */
static void
analysis_key_begin (AveJob *self)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *fingerprint = NULL;

  if (self->cache == NULL)
    return;
  fingerprint = ave_cache_fingerprint_file (self->input, &local_error);
  if (fingerprint != NULL)
    self->analysis_key = ave_cache_analysis_key (fingerprint, self->view);
  else
    emit_simple (self, AVE_EVENT_WARNING, local_error->message);
}

/* What the run added to the ledger (it may be shared by several jobs),
 * as an event: the metrics and the cost report read it. */
static void
emit_costs (AveJob *self)
{
  AveCostTotals t, run = { 0 };
  AveEvent event = { .kind = AVE_EVENT_COSTS, .totals = &run };

  if (self->ledger == NULL)
    return;
  ave_cost_ledger_get_totals (self->ledger, &t);
  run.spent_usd = MAX (0.0, t.spent_usd - self->cost_start.spent_usd);
  run.reserved_usd = t.reserved_usd;
  run.budget_usd = t.budget_usd;
  run.calls = t.calls - MIN (t.calls, self->cost_start.calls);
  run.refused = t.refused - MIN (t.refused, self->cost_start.refused);
  run.cache_hits = t.cache_hits - MIN (t.cache_hits, self->cost_start.cache_hits);
  self->cost_usd = run.spent_usd;
  emit (self, &event);
}

static void
resources_end (AveJob *self)
{
  g_clear_pointer (&self->cache, ave_cache_free);
  g_clear_pointer (&self->analysis_key, g_free);
  g_clear_pointer (&self->remote, ave_remote_free);
  g_clear_object (&self->ledger);
  self->run.cache = NULL;
  self->run.ledger = NULL;
}

/* --skip-optional-analysis: what no plan of this content type needs, as
 * decisions of the run (the user's settings stay as they are). */
static void
apply_skip_optional_analysis (AveJob *self)
{
  const AveSettings *s = self->settings;
  AveRunDecisions *d = self->decisions;
  g_autoptr(GString) skipped = g_string_new (NULL);

  if (d->detect_beats && s->content_type != AVE_CONTENT_MUSIC)
    {
      d->detect_beats = FALSE;
      g_string_append (skipped, "beats and tempo (not music)");
    }
  /* Shot boundaries, quality and highlight scores from at most 15 frames
   * a second: cuts are still found, to within one analysed frame. */
  if (self->media->has_video && self->media->frame_rate > 15.0)
    {
      guint step = (guint) ceil (self->media->frame_rate / 15.0 - 1e-6);

      if (step > d->frame_step)
        {
          g_string_append_printf (skipped, "%svideo analysed on every %u%s frame instead of every %s",
                                  skipped->len > 0 ? "; " : "", step, step == 2 ? "nd" : step == 3 ? "rd" : "th",
                                  d->frame_step <= 1 ? "frame" : "few");
          d->frame_step = step;
        }
    }
  if (skipped->len > 0)
    {
      g_string_prepend (skipped, "skipping optional analysis: ");
      emit_simple (self, AVE_EVENT_NOTICE, skipped->str);
    }
}

/* The run's temporary folder and the decisions it starts from. */
static gboolean
temp_begin (AveJob *self, GError **error)
{
  const AveSettings *s = self->settings;

  g_free (self->temp_parent);
  self->temp_parent = g_strdup (s->temp_dir);

  /* The run's own temporary folder; everything the engine writes as
   * scratch goes there (the stages' view of temp_dir points at it). */
  if (s->cleanup_temp)
    {
      guint stale = ave_temp_dir_clean_stale (self->temp_parent);
      if (stale > 0)
        {
          g_autofree char *notice = g_strdup_printf ("removed %u temporary folder%s left by interrupted runs",
                                                     stale, stale == 1 ? "" : "s");
          emit_simple (self, AVE_EVENT_NOTICE, notice);
        }
    }
  self->run_temp_dir = ave_temp_dir_create (self->temp_parent, error);
  if (self->run_temp_dir == NULL)
    return FALSE;
  self->render_in_temp = self->temp_parent != NULL;
  g_free (self->decisions->temp_dir);
  self->decisions->temp_dir = g_strdup (self->run_temp_dir);

  if (s->skip_optional_analysis && self->kind != AVE_JOB_RENDER)
    apply_skip_optional_analysis (self);
  refresh_view (self);
  return TRUE;
}

static void
temp_end (AveJob *self)
{
  if (self->run_temp_dir != NULL)
    {
      if (self->settings->cleanup_temp)
        ave_temp_dir_remove (self->run_temp_dir);
      else
        {
          g_autofree char *notice = g_strdup_printf ("temporary files kept in %s (--cleanup-temp is off)",
                                                     self->run_temp_dir);
          emit_simple (self, AVE_EVENT_NOTICE, notice);
        }
      g_clear_pointer (&self->run_temp_dir, g_free);
    }
}

/* ----------------------------------------------------------------- run */

static gboolean
run_stages (AveJob        *self,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *notice = NULL;
  g_autofree char *analysis_path = NULL;
  g_autofree char *plan_path = NULL;

  self->start_us = g_get_monotonic_time ();
  g_clear_pointer (&self->analysis, ave_analysis_unref);
  g_clear_pointer (&self->media, ave_media_info_free);
  g_clear_object (&self->plan);

  /* A fresh view and decisions for each run: nothing carries over. */
  g_clear_pointer (&self->view, ave_settings_free);
  g_clear_pointer (&self->decisions, ave_run_decisions_free);
  self->view = ave_settings_copy (self->settings);
  self->decisions = ave_run_decisions_new (self->settings);
  self->run = (AveJobRun) {
    .input = self->input,
    .settings = self->settings,
    .stage_settings = self->view,
    .decisions = self->decisions,
    .start_us = self->start_us,
    .emit = run_emit,
    .job = self,
  };

  /* Refuse bad input before anything is created on disk. */
  self->media = ave_media_probe (self->input, error);
  if (self->media == NULL)
    return FALSE;
  self->run.media = self->media;
  if (self->kind == AVE_JOB_PROCESS && self->plan_file != NULL
      && !g_file_test (self->plan_file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_PARSE,
                   "%s: no such plan file; give the path of a plan.json written by a previous run",
                   self->plan_file);
      return FALSE;
    }
  /* --export of a rate the format cannot hold: refused before the render. */
  if (self->kind != AVE_JOB_ANALYZE)
    {
      if (!ave_interchange_parse_format_list (self->view->export_formats, &self->export_mask, error))
        return FALSE;
      for (guint f = 0; f < AVE_INTERCHANGE_N_FORMATS; f++)
        if ((self->export_mask & (1u << f)) && !ave_interchange_check_media (self->media, f, error))
          {
            g_prefix_error (error, "--export %s: ", ave_interchange_format_name (f));
            return FALSE;
          }
    }
  if (!prepare_output_dir (self, error))
    return FALSE;
  self->run.output_dir = self->output_dir;

  /* Until every observer has started, events wait (release_events). */
  hold_events (self);
  if (!temp_begin (self, error))
    return FALSE;
  resources_begin (self);
  /* The runtime sizes the run and prepares the analyses before the
   * metrics record the settings, so they record what the run really
   * uses, and before the cache key is made. */
  if (!observers_start (self, error))
    return FALSE;
  analysis_key_begin (self);
  release_events (self);

  g_clear_object (&self->compute);
  self->compute = ave_compute_new_for_settings (self->view->enable_gpu,
                                                self->view->gpu_memory_bytes, &notice);
  self->run.compute = self->compute;
  if (notice != NULL)
    emit_simple (self, AVE_EVENT_NOTICE, notice);

  if (self->kind == AVE_JOB_RENDER && self->given_plan == NULL && self->plan_file == NULL)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                   "%s: nothing to render: no edit plan was given", self->input);
      return FALSE;
    }

  if (self->given_analysis != NULL)
    {
      self->analysis = ave_analysis_ref (self->given_analysis);
      stage_skip (self, AVE_STAGE_AUDIO_ANALYSIS);
      stage_skip (self, AVE_STAGE_VIDEO_ANALYSIS);
    }
  else
    {
      self->analysis = ave_analysis_new (self->input, self->media);
      if (!run_analysis_cached (self, cancellable, error) || !run_remote_asr (self, cancellable, error))
        return FALSE;
    }
  analysis_path = stage_path (self, "analysis.json", error);
  if (analysis_path == NULL || !ave_analysis_save (self->analysis, analysis_path, error))
    return FALSE;
  add_result (self, "analysis", "analysis.json");

  if (self->kind == AVE_JOB_ANALYZE)
    return write_costs (self, error) && commit_outputs (self, error);

  if (!run_director (self, cancellable, error))
    return FALSE;
  plan_path = stage_path (self, "plan.json", error);
  if (plan_path == NULL || !ave_plan_save_in (self->plan, plan_path, self->output_dir, error))
    return FALSE;
  add_result (self, "plan", "plan.json");

  if (!run_outputs (self, cancellable, error))
    return FALSE;
  if (!write_exports (self, error))
    return FALSE;
  /* Past this point a cancel no longer undoes the job: it is done. */
  return commit_outputs (self, error);
}

gboolean
ave_job_run (AveJob        *self,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  g_return_val_if_fail (AVE_IS_JOB (self), FALSE);

  if (self->run_observers == NULL)
    self->run_observers = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_job_observer_free);
  ok = run_stages (self, cancellable, &local_error);
  /* A run that failed while observers started still delivers what they
   * said, to the ones that started. */
  release_events (self);
  /* Everything the run says is said before its observers end. */
  temp_end (self);
  emit_costs (self);
  observers_end (self, local_error);
  resources_end (self);
  /* Whatever was not committed goes with the staging folder; the lock is
   * released last. */
  g_array_set_size (self->results, 0);
  g_clear_pointer (&self->out, ave_output_dir_close);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

static void
run_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (ave_job_run (source_object, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
ave_job_run_async (AveJob              *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, ave_job_run_async);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

gboolean
ave_job_run_finish (AveJob        *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
