/* test-job.c — the engine's job runner: stage order and events, outputs
 * written atomically, cancellation that leaves nothing behind. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "pipeline/ave-job.h"

typedef struct
{
  GMutex     lock;
  GPtrArray *log;          /* "start:stage", "end:stage", "result:name" */
  double     max_fraction[AVE_N_STAGES];
  gboolean   fraction_decreased;
  GCancellable *cancel_on_progress;
  AveStage   cancel_stage;
} EventLog;

static void
on_event (const AveEvent *event, gpointer user_data)
{
  EventLog *log = user_data;

  g_mutex_lock (&log->lock);
  switch (event->kind)
    {
    case AVE_EVENT_STAGE_START:
      g_ptr_array_add (log->log, g_strdup_printf ("start:%s", ave_stage_to_string (event->stage)));
      break;
    case AVE_EVENT_STAGE_END:
      g_ptr_array_add (log->log, g_strdup_printf ("end:%s", ave_stage_to_string (event->stage)));
      break;
    case AVE_EVENT_RESULT:
      g_assert_true (g_file_test (event->path, G_FILE_TEST_EXISTS));
      g_ptr_array_add (log->log, g_strdup_printf ("result:%s", event->name));
      break;
    case AVE_EVENT_STAGE_PROGRESS:
      if (event->fraction < log->max_fraction[event->stage])
        log->fraction_decreased = TRUE;
      log->max_fraction[event->stage] = event->fraction;
      if (log->cancel_on_progress != NULL && event->stage == log->cancel_stage && event->fraction > 0.1)
        g_cancellable_cancel (log->cancel_on_progress);
      break;
    default:
      break;
    }
  g_mutex_unlock (&log->lock);
}

/* An observer as a front end writes one (resources/ave-job-observer.h). */
typedef struct
{
  AveJobObserver parent;
  guint          starts, ends, stage_ends, events_outside_run, before_assets;
  gboolean       running;
  gboolean       failed;
  gboolean      *freed;
} Counter;

static gboolean
counter_run_start (AveJobObserver *observer, AveJobRun *run, GError **error)
{
  Counter *self = (Counter *) observer;

  /* The run is known: input probed, output folder chosen, decisions made. */
  g_assert_nonnull (run->media);
  g_assert_nonnull (run->output_dir);
  g_assert_nonnull (run->decisions);
  g_assert_true (run->stage_settings != run->settings);
  self->starts++;
  self->running = TRUE;
  return TRUE;
}

static void
counter_before_stage (AveJobObserver *observer, AveJobRun *run, AveStage stage)
{
  Counter *self = (Counter *) observer;

  g_assert_cmpint (stage, ==, AVE_STAGE_ASSETS);
  self->before_assets++;
}

static void
counter_event (AveJobObserver *observer, AveJobRun *run, const AveEvent *event)
{
  Counter *self = (Counter *) observer;

  /* Events are held until every observer has started. */
  if (!self->running)
    g_atomic_int_inc (&self->events_outside_run);
  if (event->kind == AVE_EVENT_STAGE_END)
    g_atomic_int_inc (&self->stage_ends);
}

static void
counter_run_end (AveJobObserver *observer, AveJobRun *run, const GError *error)
{
  Counter *self = (Counter *) observer;

  self->ends++;
  self->failed = error != NULL;
  self->running = FALSE;
}

static void
counter_free (gpointer data)
{
  Counter *self = data;

  *self->freed = TRUE;
  g_free (self);
}

static const AveJobObserverFuncs counter_funcs = {
  .run_start = counter_run_start,
  .before_stage = counter_before_stage,
  .event = counter_event,
  .run_end = counter_run_end,
  .free = counter_free,
};

static int
index_of (EventLog *log, const char *entry)
{
  for (guint i = 0; i < log->log->len; i++)
    if (g_str_equal (g_ptr_array_index (log->log, i), entry))
      return i;
  return -1;
}

static void
test_stage_order (void)
{
  const char *sample = ave_test_sample ("job.mp4", 12, 320, 180);
  g_autofree char *outdir = ave_test_path ("order");
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = ave_job_new (AVE_JOB_PROCESS, sample, outdir, settings);
  g_autoptr(GError) error = NULL;
  EventLog log = { .log = g_ptr_array_new_with_free_func (g_free) };
  Counter *counter = g_new0 (Counter, 1);
  gboolean counter_freed = FALSE;

  g_mutex_init (&log.lock);
  ave_job_set_event_func (job, on_event, &log, NULL);
  counter->parent.funcs = &counter_funcs;
  counter->freed = &counter_freed;
  ave_job_add_observer (job, &counter->parent);
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);

  /* The observer saw one whole run, and every stage end in it. */
  g_assert_cmpuint (counter->starts, ==, 1);
  g_assert_cmpuint (counter->ends, ==, 1);
  g_assert_false (counter->failed);
  g_assert_cmpuint (counter->before_assets, ==, 1);
  g_assert_cmpuint (counter->stage_ends, ==, AVE_N_STAGES);
  g_assert_cmpuint (counter->events_outside_run, ==, 0);

  /* Both analysis stages run before the director; assets and composition
   * come after it; each stage starts before it ends. */
  for (AveStage s = 0; s < AVE_N_STAGES; s++)
    {
      g_autofree char *start = g_strdup_printf ("start:%s", ave_stage_to_string (s));
      g_autofree char *end = g_strdup_printf ("end:%s", ave_stage_to_string (s));
      g_assert_cmpint (index_of (&log, start), >=, 0);
      g_assert_cmpint (index_of (&log, start), <, index_of (&log, end));
    }
  g_assert_cmpint (index_of (&log, "end:audio_analysis"), <, index_of (&log, "start:director"));
  g_assert_cmpint (index_of (&log, "end:video_analysis"), <, index_of (&log, "start:director"));
  g_assert_cmpint (index_of (&log, "end:director"), <, index_of (&log, "start:composition"));
  g_assert_cmpint (index_of (&log, "end:director"), <, index_of (&log, "start:assets"));
  g_assert_cmpint (index_of (&log, "result:final"), >, index_of (&log, "end:composition"));
  g_assert_cmpint (index_of (&log, "result:analysis"), >=, 0);
  g_assert_cmpint (index_of (&log, "result:plan"), >=, 0);
  g_assert_cmpint (index_of (&log, "result:metadata"), >=, 0);
  g_assert_false (log.fraction_decreased);

  g_assert_nonnull (ave_job_get_analysis (job));
  g_assert_nonnull (ave_job_get_plan (job));
  /* the demuxing pass notes the keyframes (tools/make-sample.sh puts one
   * every 2 s and at each shot change) */
  {
    GArray *keyframes = ave_job_get_analysis (job)->keyframes;

    g_assert_cmpuint (keyframes->len, >=, 6);
    g_assert_cmpfloat (fabs (g_array_index (keyframes, double, 0)), <, 1e-3);
    for (guint i = 1; i < keyframes->len; i++)
      g_assert_cmpfloat (g_array_index (keyframes, double, i), >, g_array_index (keyframes, double, i - 1));
  }
  /* and where a copy may end (x264 writes B-frames): several per GOP */
  {
    GArray *ends = ave_job_get_analysis (job)->copy_ends;

    g_assert_cmpuint (ends->len, >=, 2 * ave_job_get_analysis (job)->keyframes->len);
    for (guint i = 1; i < ends->len; i++)
      g_assert_cmpfloat (g_array_index (ends, double, i), >, g_array_index (ends, double, i - 1));
  }
  g_ptr_array_unref (log.log);
  g_mutex_clear (&log.lock);
  g_clear_object (&job);
  g_assert_true (counter_freed);
}

static void
assert_no_outputs (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_assert_cmpstr (name, !=, "final.mp4");
      g_assert_false (g_str_has_prefix (name, ".final"));
      g_assert_false (g_str_has_prefix (name, ".thumbnails"));
    }
}

static void
cancel_during (AveStage stage, const char *name)
{
  const char *sample = ave_test_sample ("job.mp4", 12, 320, 180);
  g_autofree char *outdir = ave_test_path (name);
  g_autofree char *dir = g_build_filename (outdir, "job", NULL);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = ave_job_new (AVE_JOB_PROCESS, sample, outdir, settings);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  EventLog log = { .log = g_ptr_array_new_with_free_func (g_free),
                   .cancel_on_progress = cancellable, .cancel_stage = stage };
  gint64 start;

  g_mutex_init (&log.lock);
  ave_job_set_event_func (job, on_event, &log, NULL);
  start = g_get_monotonic_time ();
  g_assert_false (ave_job_run (job, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Cancel is prompt: well under the time of a whole run. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 60 * G_USEC_PER_SEC);
  assert_no_outputs (dir);
  g_ptr_array_unref (log.log);
  g_mutex_clear (&log.lock);
}

static void
test_cancel_analysis (void)
{
  cancel_during (AVE_STAGE_VIDEO_ANALYSIS, "cancel-analysis");
}

static void
test_cancel_composition (void)
{
  cancel_during (AVE_STAGE_COMPOSITION, "cancel-composition");
}

typedef struct
{
  GMainLoop *loop;
  gboolean   ok;
  GError    *error;
} AsyncWait;

static void
on_async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncWait *wait = user_data;

  wait->ok = ave_job_run_finish (AVE_JOB (source), result, &wait->error);
  g_main_loop_quit (wait->loop);
}

/* The app runs jobs this way: the main loop stays free while it works. */
static void
test_async (void)
{
  const char *sample = ave_test_sample ("job.mp4", 12, 320, 180);
  g_autofree char *outdir = ave_test_path ("async");
  g_autofree char *analysis = g_build_filename (outdir, "job", "analysis.json", NULL);
  g_autoptr(AveJob) job = ave_job_new (AVE_JOB_ANALYZE, sample, outdir, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  AsyncWait wait = { .loop = loop };

  ave_job_run_async (job, NULL, on_async_done, &wait);
  g_main_loop_run (loop);
  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
  g_assert_true (g_file_test (analysis, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (ave_job_get_analysis (job));
  g_assert_null (ave_job_get_plan (job));
}

static double
probe_duration (const char *path)
{
  g_autofree char *out = ave_test_sh_output (
      "ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 '%s'", path);
  return g_ascii_strtod (out, NULL);
}

/* "Render again after edits": the app keeps the analysis and the edited
 * plan; a render job must not analyse again and must render the edit. */
static void
test_render_again (void)
{
  const char *sample = ave_test_sample ("job.mp4", 12, 320, 180);
  g_autofree char *outdir = ave_test_path ("render-again");
  g_autofree char *final = g_build_filename (outdir, "job", "final.mp4", NULL);
  g_autoptr(AveJob) first = ave_job_new (AVE_JOB_PROCESS, sample, outdir, NULL);
  g_autoptr(AveJob) again = NULL;
  g_autoptr(AvePlan) edited = NULL;
  g_autoptr(GError) error = NULL;
  EventLog log = { .log = g_ptr_array_new_with_free_func (g_free) };

  g_assert_true (ave_job_run (first, NULL, &error));
  edited = ave_plan_copy (ave_job_get_plan (first));
  g_assert_cmpuint (ave_plan_get_n_segments (edited), >=, 1);
  /* keep only the first two seconds of the first segment */
  {
    const AveSegment *seg = ave_plan_get_segment (edited, 0);
    g_assert_true (ave_plan_trim_segment (edited, 0, seg->start, seg->start + 2.0));
    while (ave_plan_get_n_segments (edited) > 1)
      g_assert_true (ave_plan_remove_segment (edited, 1));
  }

  again = ave_job_new (AVE_JOB_RENDER, sample, outdir, NULL);
  ave_job_set_analysis (again, ave_job_get_analysis (first));
  ave_job_set_plan (again, edited);
  g_mutex_init (&log.lock);
  ave_job_set_event_func (again, on_event, &log, NULL);
  g_assert_true (ave_job_run (again, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ave_job_get_analysis (again) == ave_job_get_analysis (first));
  g_assert_cmpfloat_with_epsilon (probe_duration (final), 2.0, 0.05);
  g_assert_cmpint (index_of (&log, "result:final"), >=, 0);
  g_ptr_array_unref (log.log);
  g_mutex_clear (&log.lock);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/job/stage-order", test_stage_order);
  g_test_add_func ("/engine/job/cancel-analysis", test_cancel_analysis);
  g_test_add_func ("/engine/job/cancel-composition", test_cancel_composition);
  g_test_add_func ("/engine/job/async", test_async);
  g_test_add_func ("/engine/job/render-again", test_render_again);

  return g_test_run ();
}
