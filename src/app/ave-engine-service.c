#define G_LOG_DOMAIN "ave-engine-service"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/ave-config.h"
#include "core/ave-job.h"
#include "core/ave-job-queue.h"
#include "director/ave-plan.h"
#include "analysis/ave-analysis.h"

#include "ave-app-settings.h"
#include "ave-engine-service.h"

/* Progress signals at most this often per job: a client on the bus must
 * not be flooded by the encoder's frame rate. */
#define PROGRESS_INTERVAL_US (100 * 1000)

typedef struct
{
  AveEngineService *service;
  guint             id;
  char             *path;
  char             *owner;          /* unique bus name of the caller that started it */
  AveDBusJob1      *skeleton;
  AveJob           *job;
  AveJobKind        kind;
  GCancellable     *cancellable;
  double            stage_fraction[AVE_N_STAGES];
  gint64            last_progress_us;
  GHashTable       *results;       /* output name → path */
  gboolean          finished;
} ServiceJob;

struct _AveEngineService
{
  GObject          parent_instance;
  GApplication    *app;             /* not a reference: it owns us */
  GSettings       *preferences;
  char            *output_root;
  GMainContext    *context;
  AveDBusEngine1  *skeleton;
  GDBusConnection *connection;
  AveJobQueue     *queue;
  GPtrArray       *jobs;            /* ServiceJob, oldest first */
  GPtrArray       *job_objects;     /* their skeletons, for the window */
  guint            next_id;
  GPtrArray       *quit_calls;      /* Quit invocations waiting for the jobs */
  gboolean         quitting;
};

G_DEFINE_FINAL_TYPE (AveEngineService, ave_engine_service, G_TYPE_OBJECT)

enum { JOB_ADDED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char * const state_queued = "queued";
static const char * const kind_names[] = { "analyze", "process", "render" };

/* The stages each kind of job goes through (its progress is their mean). */
static gboolean
kind_has_stage (AveJobKind kind, AveStage stage)
{
  switch (kind)
    {
    case AVE_JOB_ANALYZE:
      return stage == AVE_STAGE_AUDIO_ANALYSIS || stage == AVE_STAGE_VIDEO_ANALYSIS;
    case AVE_JOB_RENDER:
      return stage == AVE_STAGE_ASSETS || stage == AVE_STAGE_COMPOSITION;
    case AVE_JOB_PROCESS:
    default:
      return TRUE;
    }
}

static double
job_progress (ServiceJob *sj)
{
  double sum = 0;
  guint n = 0;

  for (guint s = 0; s < AVE_N_STAGES; s++)
    if (kind_has_stage (sj->kind, s))
      {
        sum += sj->stage_fraction[s];
        n++;
      }
  return n > 0 ? sum / n : 0;
}

static GVariant *
results_variant (GHashTable *results)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer key, value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_hash_table_iter_init (&iter, results);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_variant_builder_add (&builder, "{ss}", key, value);
  return g_variant_builder_end (&builder);
}

static void
service_job_free (gpointer data)
{
  ServiceJob *sj = data;

  if (sj->skeleton != NULL && g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (sj->skeleton)) != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (sj->skeleton));
  g_clear_object (&sj->skeleton);
  g_clear_object (&sj->job);
  g_clear_object (&sj->cancellable);
  g_clear_pointer (&sj->results, g_hash_table_unref);
  g_free (sj->path);
  g_free (sj->owner);
  g_free (sj);
}

/* ------------------------------------------------------------- events */

typedef struct
{
  ServiceJob   *sj;
  AveEventKind  kind;
  AveStage      stage;
  double        fraction;
  gboolean      skipped;
  guint64       peak_rss_bytes;
  char         *name;
  char         *path;
} EventCopy;

static void
event_copy_free (gpointer data)
{
  EventCopy *copy = data;

  g_free (copy->name);
  g_free (copy->path);
  g_free (copy);
}

static gboolean
handle_event (gpointer user_data)
{
  EventCopy *e = user_data;
  ServiceJob *sj = e->sj;
  const char *stage = e->kind <= AVE_EVENT_STAGE_END ? ave_stage_to_string (e->stage) : NULL;
  gint64 now = g_get_monotonic_time ();

  if (sj->finished)
    return G_SOURCE_REMOVE;
  switch (e->kind)
    {
    case AVE_EVENT_STAGE_START:
      ave_dbus_job1_set_stage (sj->skeleton, stage);
      ave_dbus_job1_emit_stage_changed (sj->skeleton, stage, "started");
      break;
    case AVE_EVENT_STAGE_PROGRESS:
      sj->stage_fraction[e->stage] = MAX (sj->stage_fraction[e->stage], CLAMP (e->fraction, 0, 1));
      if (now - sj->last_progress_us >= PROGRESS_INTERVAL_US)
        {
          double progress = job_progress (sj);

          sj->last_progress_us = now;
          ave_dbus_job1_set_progress (sj->skeleton, progress);
          ave_dbus_job1_emit_progress (sj->skeleton, stage, sj->stage_fraction[e->stage], progress);
        }
      break;
    case AVE_EVENT_STAGE_END:
      sj->stage_fraction[e->stage] = 1.0;
      ave_dbus_job1_set_progress (sj->skeleton, job_progress (sj));
      ave_dbus_job1_set_peak_rss_bytes (sj->skeleton, MAX (e->peak_rss_bytes,
                                                           ave_dbus_job1_get_peak_rss_bytes (sj->skeleton)));
      ave_dbus_job1_emit_stage_changed (sj->skeleton, stage, e->skipped ? "skipped" : "finished");
      break;
    case AVE_EVENT_RESULT:
      {
        g_autofree char *key = g_strdup (e->name);

        /* Several thumbnails: thumbnail, thumbnail-2, ... */
        for (guint n = 2; g_hash_table_contains (sj->results, key); n++)
          {
            g_free (key);
            key = g_strdup_printf ("%s-%u", e->name, n);
          }
        g_hash_table_insert (sj->results, g_steal_pointer (&key), g_strdup (e->path));
        ave_dbus_job1_set_results (sj->skeleton, results_variant (sj->results));
        break;
      }
    case AVE_EVENT_WARNING:
      g_message ("%s: %s", ave_dbus_job1_get_input (sj->skeleton), e->path);
      break;
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

/* From the job's worker threads: copied and handed to the main context. */
static void
on_job_event (const AveEvent *event, gpointer user_data)
{
  ServiceJob *sj = user_data;
  EventCopy *copy;

  if (event->kind > AVE_EVENT_RESULT || event->kind == AVE_EVENT_NOTICE)
    return;
  copy = g_new0 (EventCopy, 1);
  copy->sj = sj;
  copy->kind = event->kind;
  copy->stage = event->stage;
  copy->fraction = event->fraction;
  copy->skipped = event->skipped;
  copy->peak_rss_bytes = event->peak_rss_bytes;
  copy->name = g_strdup (event->name);
  copy->path = g_strdup (event->kind == AVE_EVENT_WARNING ? event->message : event->path);
  g_main_context_invoke_full (sj->service->context, G_PRIORITY_DEFAULT, handle_event, copy, event_copy_free);
}

/* ------------------------------------------------------------ lifecycle */

static void
finish_quit_if_idle (AveEngineService *self)
{
  if (!self->quitting || !ave_job_queue_is_idle (self->queue))
    return;
  for (guint i = 0; i < self->quit_calls->len; i++)
    ave_dbus_engine1_complete_quit (self->skeleton, g_ptr_array_index (self->quit_calls, i));
  g_ptr_array_set_size (self->quit_calls, 0);
  /* The replies go out before the process ends. */
  if (self->connection != NULL)
    g_dbus_connection_flush_sync (self->connection, NULL, NULL);
  g_application_quit (self->app);
}

static void
on_job_started (AveJob *job, gpointer user_data)
{
  ServiceJob *sj = user_data;

  ave_dbus_job1_set_state (sj->skeleton, "running");
  ave_dbus_job1_set_output_dir (sj->skeleton, ave_job_get_output_dir (job) != NULL
                                ? ave_job_get_output_dir (job) : ave_dbus_job1_get_output_dir (sj->skeleton));
}

static void
on_job_done (AveJob *job, const GError *error, gpointer user_data)
{
  ServiceJob *sj = user_data;
  AveEngineService *self = sj->service;
  const char *state;

  /* The job's events were handed to this context before its end (in
   * order, at the same priority): they are all handled by now. */
  if (error == NULL)
    state = "done";
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    state = "cancelled";
  else
    {
      state = "failed";
      ave_dbus_job1_set_error (sj->skeleton, error->message);
    }
  if (error == NULL)
    ave_dbus_job1_set_progress (sj->skeleton, 1.0);
  sj->finished = TRUE;
  ave_dbus_job1_set_cost_usd (sj->skeleton, ave_job_get_cost_usd (job));
  ave_dbus_job1_set_state (sj->skeleton, state);
  /* Properties first, so that a client reading them on Finished sees the end. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (sj->skeleton));
  ave_dbus_job1_emit_finished (sj->skeleton, state, ave_dbus_job1_get_error (sj->skeleton),
                               ave_dbus_job1_get_output_dir (sj->skeleton));
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("%s: %s", ave_dbus_job1_get_input (sj->skeleton), error->message);
  g_application_release (self->app);
  finish_quit_if_idle (self);
}

/* ------------------------------------------------------------- options */

typedef struct
{
  const AveOption *option;
  char            *key;
  char            *value;
} OptionValue;

static void
option_value_free (gpointer data)
{
  OptionValue *v = data;

  g_free (v->key);
  g_free (v->value);
  g_free (v);
}

static int
compare_options (gconstpointer pa, gconstpointer pb)
{
  const OptionValue *a = *(const OptionValue **) pa, *b = *(const OptionValue **) pb;
  const char *na = a->option->alias_of != NULL ? a->option->alias_of : a->option->name;
  const char *nb = b->option->alias_of != NULL ? b->option->alias_of : b->option->name;
  int ra = g_str_equal (na, "preset") ? -1 : ave_config_option_rank (na);
  int rb = g_str_equal (nb, "preset") ? -1 : ave_config_option_rank (nb);

  /* The order of the command line: presets, levels, groups, single values. */
  if (ra != rb)
    return ra - rb;
  return strcmp (a->key, b->key);
}

/* A D-Bus value as the text an option takes; NULL (error set) when its
 * type does not fit the option. */
static char *
option_text (const AveOption *option, const char *key, GVariant *value, GError **error)
{
  const GVariantType *type = g_variant_get_type (value);

  if (option->value_name == NULL)
    {
      if (!g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN))
        {
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                       "option '%s': a switch takes a boolean (b), not '%s'", key, g_variant_get_type_string (value));
          return NULL;
        }
      return g_strdup (g_variant_get_boolean (value) ? "true" : "false");
    }
  if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (value, NULL);
  if (g_variant_type_equal (type, G_VARIANT_TYPE_DOUBLE))
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, g_variant_get_double (value)));
    }
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT32))
    return g_strdup_printf ("%d", g_variant_get_int32 (value));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32))
    return g_strdup_printf ("%u", g_variant_get_uint32 (value));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT64))
    return g_strdup_printf ("%" G_GINT64_FORMAT, g_variant_get_int64 (value));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT64))
    return g_strdup_printf ("%" G_GUINT64_FORMAT, g_variant_get_uint64 (value));
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
               "option '%s': takes a string or a number (s, d, i, u, x, t), not '%s'",
               key, g_variant_get_type_string (value));
  return NULL;
}

/* The job settings: the preferences, then the options as the command line
 * would apply them (ave_config_apply_option validates each value). */
static AveSettings *
build_settings (AveEngineService *self,
                GVariant         *options,
                gboolean          render,
                char            **output_dir,
                GError          **error)
{
  g_autoptr(AveSettings) settings = NULL;
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (option_value_free);
  g_autoptr(GError) local = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  settings = ave_app_settings_build_from_gsettings (self->preferences, &local);
  if (settings == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                   "The app's preferences do not make valid settings: %s", local->message);
      return NULL;
    }

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;
      const AveOption *option;
      OptionValue *v;
      char *text;

      if (g_str_equal (key, "output-dir"))
        {
          if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
              || !g_path_is_absolute (g_variant_get_string (value, NULL)))
            {
              g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           "option 'output-dir': give an absolute folder path (s)");
              return NULL;
            }
          g_free (*output_dir);
          *output_dir = g_variant_dup_string (value, NULL);
          continue;
        }
      option = ave_config_find_option (key);
      if (option == NULL || (!render && (option->flags & AVE_OPTION_RENDER_ONLY)))
        {
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                       option == NULL ? "option '%s': no such option (see ai-video-editor process --help)"
                                      : "option '%s': only applies when a video is rendered", key);
          return NULL;
        }
      text = option_text (option, key, value, error);
      if (text == NULL)
        return NULL;
      v = g_new0 (OptionValue, 1);
      v->option = option;
      v->key = g_strdup (key);
      v->value = text;
      g_ptr_array_add (values, v);
    }
  g_ptr_array_sort (values, compare_options);
  for (guint i = 0; i < values->len; i++)
    {
      OptionValue *v = g_ptr_array_index (values, i);
      g_autofree char *origin = g_strdup_printf ("D-Bus option '%s'", v->key);

      g_clear_error (&local);
      if (!ave_config_apply_option (settings, sources, v->option->name, v->value,
                                    AVE_SETTING_SOURCE_FLAG, origin, NULL, &local))
        {
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "option '%s': %s", v->key, local->message);
          return NULL;
        }
    }
  return g_steal_pointer (&settings);
}

static gboolean
check_input (const char *input, guint index, GError **error)
{
  if (!g_path_is_absolute (input))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "inputs[%u]: '%s' is not an absolute path", index, input);
      return FALSE;
    }
  if (!g_file_test (input, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "inputs[%u]: '%s' is not a regular file", index, input);
      return FALSE;
    }
  if (g_access (input, R_OK) != 0)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "inputs[%u]: '%s' cannot be read: %s", index, input, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- jobs */

static gboolean
on_handle_cancel (AveDBusJob1           *skeleton,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  ServiceJob *sj = user_data;

  if (g_strcmp0 (g_dbus_method_invocation_get_sender (invocation), sj->owner) != 0)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                             "Only the connection that started job %u may cancel it", sj->id);
      return TRUE;
    }
  g_cancellable_cancel (sj->cancellable);
  ave_dbus_job1_complete_cancel (skeleton, invocation);
  return TRUE;
}

static ServiceJob *
add_job (AveEngineService *self,
         AveJob           *job,
         AveJobKind        kind,
         const char       *owner,
         guint64           estimate,
         GError          **error)
{
  ServiceJob *sj = g_new0 (ServiceJob, 1);
  g_autofree char *output_dir = NULL;

  sj->service = self;
  sj->id = ++self->next_id;
  sj->path = g_strdup_printf (AVE_ENGINE_SERVICE_PATH "/jobs/%u", sj->id);
  sj->owner = g_strdup (owner);
  sj->job = g_object_ref (job);
  sj->kind = kind;
  sj->cancellable = g_cancellable_new ();
  sj->results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sj->skeleton = ave_dbus_job1_skeleton_new ();
  ave_dbus_job1_set_state (sj->skeleton, state_queued);
  ave_dbus_job1_set_stage (sj->skeleton, "");
  ave_dbus_job1_set_kind (sj->skeleton, kind_names[kind]);
  ave_dbus_job1_set_input (sj->skeleton, ave_job_get_input (job));
  ave_dbus_job1_set_error (sj->skeleton, "");
  ave_dbus_job1_set_results (sj->skeleton, results_variant (sj->results));
  g_signal_connect (sj->skeleton, "handle-cancel", G_CALLBACK (on_handle_cancel), sj);
  if (self->connection != NULL
      && !g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (sj->skeleton), self->connection,
                                            sj->path, error))
    {
      g_clear_object (&sj->skeleton);
      service_job_free (sj);
      return NULL;
    }
  ave_job_set_event_func (job, on_job_event, sj, NULL);
  g_ptr_array_add (self->jobs, sj);
  g_ptr_array_add (self->job_objects, g_object_ref (sj->skeleton));
  /* Held while it waits or runs: the idle timeout does not end it. */
  g_application_hold (self->app);
  g_signal_emit (self, signals[JOB_ADDED], 0, sj->skeleton);
  ave_job_queue_add (self->queue, job, estimate, sj->cancellable, on_job_started, on_job_done, sj);
  return sj;
}

/* The output folder DIR/<stem> a job will use, shown while it waits. */
static void
set_expected_output (ServiceJob *sj, const char *root, const char *name)
{
  g_autofree char *dir = g_build_filename (root, name, NULL);

  ave_dbus_job1_set_output_dir (sj->skeleton, dir);
}

static char *
default_output_root (AveEngineService *self)
{
  if (self->output_root != NULL)
    return g_strdup (self->output_root);
  return ave_app_settings_get_output_folder (self->preferences);
}

static gboolean
make_root (const char *root, GError **error)
{
  if (g_mkdir_with_parents (root, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                   "Cannot create the output folder %s: %s", root, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
start_inputs (AveEngineService      *self,
              GDBusMethodInvocation *invocation,
              AveJobKind             kind,
              const char * const    *inputs,
              GVariant              *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveSettings) settings = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) stems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *root = NULL;
  guint64 estimate;

  if (self->quitting)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                             "The service is quitting; start the job again in a moment");
      return;
    }
  if (inputs[0] == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "inputs: give at least one file");
      return;
    }
  /* Everything is checked before anything starts. */
  for (guint i = 0; inputs[i] != NULL; i++)
    if (!check_input (inputs[i], i, &error))
      {
        g_dbus_method_invocation_return_gerror (invocation, error);
        return;
      }
  settings = build_settings (self, options, kind != AVE_JOB_ANALYZE, &root, &error);
  if (settings == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  if (root == NULL)
    root = default_output_root (self);
  if (!make_root (root, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  estimate = ave_job_queue_estimate (settings);
  for (guint i = 0; inputs[i] != NULL; i++)
    {
      g_autoptr(AveJob) job = ave_job_new (kind, inputs[i], root, settings);
      g_autofree char *stem = ave_job_output_stem (inputs[i]);
      ServiceJob *sj;

      /* Two inputs of one name in one call must not share a folder. */
      for (guint n = 2; g_hash_table_contains (stems, stem); n++)
        {
          g_autofree char *base = ave_job_output_stem (inputs[i]);
          g_free (stem);
          stem = g_strdup_printf ("%s-%u", base, n);
        }
      g_hash_table_add (stems, g_strdup (stem));
      ave_job_set_output_name (job, stem);
      sj = add_job (self, job, kind, g_dbus_method_invocation_get_sender (invocation), estimate, &error);
      if (sj == NULL)
        {
          g_dbus_method_invocation_return_gerror (invocation, error);
          return;
        }
      set_expected_output (sj, root, stem);
      g_ptr_array_add (paths, g_strdup (sj->path));
    }
  g_ptr_array_add (paths, NULL);
  if (kind == AVE_JOB_ANALYZE)
    ave_dbus_engine1_complete_analyze (self->skeleton, invocation, (const char * const *) paths->pdata);
  else
    ave_dbus_engine1_complete_process (self->skeleton, invocation, (const char * const *) paths->pdata);
}

static gboolean
on_handle_process (AveDBusEngine1 *skeleton, GDBusMethodInvocation *invocation,
                   const char * const *inputs, GVariant *options, gpointer user_data)
{
  start_inputs (user_data, invocation, AVE_JOB_PROCESS, inputs, options);
  return TRUE;
}

static gboolean
on_handle_analyze (AveDBusEngine1 *skeleton, GDBusMethodInvocation *invocation,
                   const char * const *inputs, GVariant *options, gpointer user_data)
{
  start_inputs (user_data, invocation, AVE_JOB_ANALYZE, inputs, options);
  return TRUE;
}

static gboolean
on_handle_render (AveDBusEngine1        *skeleton,
                  GDBusMethodInvocation *invocation,
                  const char            *plan_path,
                  GVariant              *options,
                  gpointer               user_data)
{
  AveEngineService *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AveSettings) settings = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveJob) job = NULL;
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autofree char *root = NULL;
  g_autofree char *name = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *analysis_path = NULL;
  const char *source;
  ServiceJob *sj;

  if (self->quitting)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                             "The service is quitting; start the job again in a moment");
      return TRUE;
    }
  if (!check_input (plan_path, 0, &error))
    {
      g_prefix_error (&error, "plan_path: ");
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  settings = build_settings (self, options, TRUE, &root, &error);
  if (settings == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  plan = ave_plan_load (plan_path, &error);
  if (plan == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "plan_path: %s", error->message);
      return TRUE;
    }
  source = ave_plan_get_source (plan);
  if (source == NULL || !check_input (source, 0, &error))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "plan_path: the plan's source is not a readable file (%s)",
                                             error != NULL ? error->message : "none given");
      return TRUE;
    }
  /* Into the folder that holds the plan (DIR/<name>/plan.json), as
   * "render again after edits" does, unless output-dir says elsewhere. */
  folder = g_path_get_dirname (plan_path);
  if (root == NULL)
    {
      root = g_path_get_dirname (folder);
      name = g_path_get_basename (folder);
    }
  else
    name = ave_job_output_stem (source);
  if (!make_root (root, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  analysis_path = g_build_filename (folder, "analysis.json", NULL);
  analysis = ave_analysis_load_for_input (analysis_path, source);
  /* Without a matching analysis the source is analysed again first. */
  job = ave_job_new (analysis != NULL ? AVE_JOB_RENDER : AVE_JOB_PROCESS, source, root, settings);
  ave_job_set_output_name (job, name);
  ave_job_set_plan_file (job, plan_path);
  if (analysis != NULL)
    ave_job_set_analysis (job, analysis);
  sj = add_job (self, job, analysis != NULL ? AVE_JOB_RENDER : AVE_JOB_PROCESS,
                g_dbus_method_invocation_get_sender (invocation), ave_job_queue_estimate (settings), &error);
  if (sj == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  set_expected_output (sj, root, name);
  ave_dbus_engine1_complete_render (self->skeleton, invocation, sj->path);
  return TRUE;
}

static gboolean
on_handle_list_jobs (AveDBusEngine1 *skeleton, GDBusMethodInvocation *invocation, gpointer user_data)
{
  AveEngineService *self = user_data;
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < self->jobs->len; i++)
    g_ptr_array_add (paths, ((ServiceJob *) g_ptr_array_index (self->jobs, i))->path);
  g_ptr_array_add (paths, NULL);
  ave_dbus_engine1_complete_list_jobs (skeleton, invocation, (const char * const *) paths->pdata);
  return TRUE;
}

static void
cancel_all (AveEngineService *self)
{
  for (guint i = 0; i < self->jobs->len; i++)
    g_cancellable_cancel (((ServiceJob *) g_ptr_array_index (self->jobs, i))->cancellable);
}

static gboolean
on_handle_quit (AveDBusEngine1 *skeleton, GDBusMethodInvocation *invocation, gpointer user_data)
{
  AveEngineService *self = user_data;

  /* The reply waits until every job has stopped: the caller knows then
   * that nothing unfinished is left. */
  self->quitting = TRUE;
  g_ptr_array_add (self->quit_calls, g_object_ref (invocation));
  cancel_all (self);
  finish_quit_if_idle (self);
  return TRUE;
}

/* -------------------------------------------------------------- object */

GPtrArray *
ave_engine_service_get_jobs (AveEngineService *self)
{
  return self->job_objects;
}

void
ave_engine_service_cancel_job (AveEngineService *self, AveDBusJob1 *job)
{
  for (guint i = 0; i < self->jobs->len; i++)
    {
      ServiceJob *sj = g_ptr_array_index (self->jobs, i);
      if (sj->skeleton == job)
        g_cancellable_cancel (sj->cancellable);
    }
}

gboolean
ave_engine_service_export (AveEngineService *self,
                           GDBusConnection  *connection,
                           GError          **error)
{
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), connection,
                                         AVE_ENGINE_SERVICE_PATH, error))
    return FALSE;
  g_set_object (&self->connection, connection);
  return TRUE;
}

void
ave_engine_service_unexport (AveEngineService *self)
{
  cancel_all (self);
  if (self->connection != NULL)
    {
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
      for (guint i = 0; i < self->jobs->len; i++)
        {
          GDBusInterfaceSkeleton *job = G_DBUS_INTERFACE_SKELETON (((ServiceJob *) g_ptr_array_index (self->jobs, i))->skeleton);

          if (g_dbus_interface_skeleton_get_connection (job) != NULL)
            g_dbus_interface_skeleton_unexport (job);
        }
      g_clear_object (&self->connection);
    }
}

static void
ave_engine_service_dispose (GObject *object)
{
  AveEngineService *self = AVE_ENGINE_SERVICE (object);

  if (self->jobs != NULL)
    {
      cancel_all (self);
      /* Job threads hold pointers to their ServiceJob until they end: the
       * owner quits through the queue (Quit, or the app's shutdown), which
       * waits; this only runs when nothing runs any more. */
      while (self->queue != NULL && !ave_job_queue_is_idle (self->queue))
        g_main_context_iteration (self->context, TRUE);
    }
  ave_engine_service_unexport (self);
  G_OBJECT_CLASS (ave_engine_service_parent_class)->dispose (object);
}

static void
ave_engine_service_finalize (GObject *object)
{
  AveEngineService *self = AVE_ENGINE_SERVICE (object);

  g_clear_pointer (&self->queue, ave_job_queue_free);
  g_clear_pointer (&self->job_objects, g_ptr_array_unref);
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_clear_pointer (&self->quit_calls, g_ptr_array_unref);
  g_clear_object (&self->skeleton);
  g_clear_object (&self->preferences);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->output_root);
  G_OBJECT_CLASS (ave_engine_service_parent_class)->finalize (object);
}

static void
ave_engine_service_class_init (AveEngineServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ave_engine_service_dispose;
  G_OBJECT_CLASS (klass)->finalize = ave_engine_service_finalize;
  signals[JOB_ADDED] = g_signal_new ("job-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, AVE_DBUS_TYPE_JOB1);
}

static void
ave_engine_service_init (AveEngineService *self)
{
  self->jobs = g_ptr_array_new_with_free_func (service_job_free);
  self->job_objects = g_ptr_array_new_with_free_func (g_object_unref);
  self->quit_calls = g_ptr_array_new_with_free_func (g_object_unref);
  self->context = g_main_context_ref_thread_default ();
  self->skeleton = ave_dbus_engine1_skeleton_new ();
  g_signal_connect (self->skeleton, "handle-process", G_CALLBACK (on_handle_process), self);
  g_signal_connect (self->skeleton, "handle-analyze", G_CALLBACK (on_handle_analyze), self);
  g_signal_connect (self->skeleton, "handle-render", G_CALLBACK (on_handle_render), self);
  g_signal_connect (self->skeleton, "handle-list-jobs", G_CALLBACK (on_handle_list_jobs), self);
  g_signal_connect (self->skeleton, "handle-quit", G_CALLBACK (on_handle_quit), self);
}

AveEngineService *
ave_engine_service_new (GApplication *app,
                        GSettings    *preferences,
                        const char   *output_root,
                        guint         max_jobs)
{
  AveEngineService *self = g_object_new (AVE_TYPE_ENGINE_SERVICE, NULL);
  g_autoptr(AveSettings) base = ave_app_settings_build_from_gsettings (preferences, NULL);

  self->app = app;
  self->preferences = preferences != NULL ? g_object_ref (preferences) : NULL;
  self->output_root = g_strdup (output_root);
  if (base == NULL)
    base = ave_settings_new ();
  /* The budget the preferences give (or all of RAM), and as many jobs as
   * it holds unless the service was told a number. */
  self->queue = ave_job_queue_new (ave_app_settings_memory_limit (base),
                                   max_jobs > 0 ? max_jobs : ave_job_queue_default_jobs (base));
  return self;
}
