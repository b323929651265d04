#define G_LOG_DOMAIN "ave-document"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "core/ave-error.h"
#include "director/ave-project.h"
#include "pipeline/ave-job-queue.h"

#include "ave-document.h"

/* Below the UI thread's priority, so the window stays responsive while a
 * job keeps every core busy. */
#define JOB_NICE_INCREMENT 10

typedef struct
{
  AveDocument  *document;     /* owned while the job is queued or runs */
  AveJob       *job;
  AveJobKind    kind;
  char         *source;
  GCancellable *cancellable;
  gboolean      running;
} DocJob;

struct _AveDocument
{
  GObject         parent_instance;

  char           *source;
  AveMediaInfo   *media;
  AveAnalysis    *analysis;
  AvePlan        *plan;
  AvePlanHistory *history;
  gulong          plan_changed_id;
  gboolean        dirty;
  char           *output_root;     /* DIR */
  char           *output_name;     /* DIR/<name>/ holds the results */
  char           *project_path;
  GCancellable   *open_cancellable;

  AveJobQueue    *queue;
  GPtrArray      *jobs;            /* DocJob, in order of arrival */

  GPtrArray      *thumbnail_paths;
  char           *metadata_path;
  char           *final_path;
  gboolean        disposed;
};

G_DEFINE_FINAL_TYPE (AveDocument, ave_document, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_PROJECT_PATH,
  PROP_BUSY,
  PROP_N_JOBS,
  PROP_DIRTY,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  MODEL_CHANGED,
  PLAN_CHANGED,
  STATE_CHANGED,
  JOB_STARTED,
  JOB_FINISHED,
  STAGE_STARTED,
  STAGE_PROGRESS,
  STAGE_FINISHED,
  RESULTS_CHANGED,
  MESSAGE,
  WARNING,
  ERROR,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* g_set_str arrived in GLib 2.76; the floor is 2.74. */
static void
replace_str (char **slot, const char *value)
{
  char *copy;

  if (*slot == value)
    return;
  copy = g_strdup (value);
  g_free (*slot);
  *slot = copy;
}

static void
emit_error (AveDocument *self, const GError *error, const char *button_label, const char *action_name)
{
  g_signal_emit (self, signals[ERROR], 0, error, button_label, action_name);
}

static void
emit_message (AveDocument *self, const char *message)
{
  g_signal_emit (self, signals[MESSAGE], 0, message);
}

static void
state_changed (AveDocument *self)
{
  if (!self->disposed)
    g_signal_emit (self, signals[STATE_CHANGED], 0);
}

static void
set_dirty (AveDocument *self, gboolean dirty)
{
  if (self->dirty == dirty)
    return;
  self->dirty = dirty;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRTY]);
}

/* ----------------------------------------------------------- the model */

static void
on_plan_changed (AvePlan *plan, AveDocument *self)
{
  set_dirty (self, TRUE);
  g_signal_emit (self, signals[PLAN_CHANGED], 0);
}

static void
on_history_notify (GObject *object, GParamSpec *pspec, AveDocument *self)
{
  if (g_str_equal (pspec->name, "can-undo"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
  state_changed (self);
}

static void
clear_model (AveDocument *self)
{
  if (self->plan != NULL)
    g_clear_signal_handler (&self->plan_changed_id, self->plan);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  g_clear_object (&self->plan);
  g_clear_pointer (&self->analysis, ave_analysis_unref);
}

/* Takes the analysis and plan as the document's; the plan is edited in
 * place from now on (a job keeps its own copy). */
static void
set_model (AveDocument *self, AveAnalysis *analysis, AvePlan *plan)
{
  clear_model (self);
  self->analysis = analysis != NULL ? ave_analysis_ref (analysis) : NULL;
  self->plan = plan != NULL ? g_object_ref (plan) : NULL;
  if (self->plan != NULL)
    {
      self->plan_changed_id = g_signal_connect (self->plan, "changed", G_CALLBACK (on_plan_changed), self);
      self->history = ave_plan_history_new (self->plan);
      g_signal_connect (self->history, "notify::can-undo", G_CALLBACK (on_history_notify), self);
      g_signal_connect (self->history, "notify::can-redo", G_CALLBACK (on_history_notify), self);
    }
  set_dirty (self, FALSE);
  g_signal_emit (self, signals[MODEL_CHANGED], 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
  state_changed (self);
}

static void
clear_results (AveDocument *self)
{
  g_ptr_array_set_size (self->thumbnail_paths, 0);
  g_clear_pointer (&self->metadata_path, g_free);
  g_clear_pointer (&self->final_path, g_free);
  g_signal_emit (self, signals[RESULTS_CHANGED], 0);
}

static void
set_source (AveDocument *self, const char *path, AveMediaInfo *media)
{
  replace_str (&self->source, path);
  g_clear_pointer (&self->media, ave_media_info_free);
  self->media = media;
  g_clear_pointer (&self->output_name, g_free);
  if (self->project_path != NULL)
    {
      g_clear_pointer (&self->project_path, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT_PATH]);
    }
  clear_results (self);
  set_model (self, NULL, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE]);
  state_changed (self);
}

/* The results of an earlier run (an opened project): what is on disk. */
static void
load_results (AveDocument *self)
{
  g_autofree char *dir = ave_document_dup_output_dir (self);
  g_autofree char *thumbs = NULL;
  g_autofree char *metadata = NULL;
  g_autofree char *final = NULL;
  g_autoptr(GDir) folder = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return;
  g_ptr_array_set_size (self->thumbnail_paths, 0);
  thumbs = g_build_filename (dir, "thumbnails", NULL);
  folder = g_dir_open (thumbs, 0, NULL);
  while (folder != NULL && (name = g_dir_read_name (folder)) != NULL)
    if (g_str_has_suffix (name, ".jpg"))
      g_ptr_array_add (names, g_build_filename (thumbs, name, NULL));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (self->thumbnail_paths, g_strdup (names->pdata[i]));
  metadata = g_build_filename (dir, "metadata.json", NULL);
  g_clear_pointer (&self->metadata_path, g_free);
  if (g_file_test (metadata, G_FILE_TEST_IS_REGULAR))
    self->metadata_path = g_steal_pointer (&metadata);
  final = g_build_filename (dir, "final.mp4", NULL);
  g_clear_pointer (&self->final_path, g_free);
  if (g_file_test (final, G_FILE_TEST_IS_REGULAR))
    self->final_path = g_steal_pointer (&final);
  g_signal_emit (self, signals[RESULTS_CHANGED], 0);
}

/* ------------------------------------------------------------- opening */

static void
probe_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  AveMediaInfo *info = ave_media_probe (task_data, &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else if (!info->has_video)
    {
      g_task_return_new_error (task, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NO_STREAMS,
                               _("%s holds no video; open a video file (MP4, MKV, WebM, MOV)"),
                               (const char *) task_data);
      ave_media_info_free (info);
    }
  else
    g_task_return_pointer (task, info, (GDestroyNotify) ave_media_info_free);
}

static void
on_probed (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  AveDocument *self = AVE_DOCUMENT (source_object);
  g_autoptr(GError) error = NULL;
  AveMediaInfo *info = g_task_propagate_pointer (G_TASK (result), &error);

  if (self->disposed)
    {
      g_clear_pointer (&info, ave_media_info_free);
      return;
    }
  if (info == NULL)
    {
      emit_error (self, error, _("Open Another…"), "app.open");
      return;
    }
  set_source (self, g_task_get_task_data (G_TASK (result)), info);
}

typedef struct
{
  AveProject   *project;
  AveMediaInfo *media;
  AveAnalysis  *analysis;
  char         *path;
} ProjectLoad;

static void
project_load_free (gpointer data)
{
  ProjectLoad *load = data;

  g_clear_pointer (&load->project, ave_project_free);
  g_clear_pointer (&load->media, ave_media_info_free);
  g_clear_pointer (&load->analysis, ave_analysis_unref);
  g_free (load->path);
  g_free (load);
}

static void
project_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  ProjectLoad *load = task_data;
  GError *error = NULL;

  load->project = ave_project_load (load->path, &error);
  if (load->project == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  load->media = ave_media_probe (load->project->source, &error);
  if (load->media == NULL)
    {
      g_prefix_error (&error, _("The project’s video cannot be used: "));
      g_task_return_error (task, error);
      return;
    }
  /* Without its analysis a project still opens: Process analyses again. */
  if (load->project->analysis_path != NULL && g_file_test (load->project->analysis_path, G_FILE_TEST_IS_REGULAR))
    {
      load->analysis = ave_analysis_load (load->project->analysis_path, &error);
      if (load->analysis == NULL)
        {
          g_debug ("%s", error->message);
          g_clear_error (&error);
        }
    }
  g_task_return_boolean (task, TRUE);
}

static void
set_project_path (AveDocument *self, const char *path)
{
  if (g_strcmp0 (self->project_path, path) == 0)
    return;
  replace_str (&self->project_path, path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT_PATH]);
}

static void
on_project_loaded (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  AveDocument *self = AVE_DOCUMENT (source_object);
  g_autoptr(GError) error = NULL;
  ProjectLoad *load = g_task_get_task_data (G_TASK (result));

  if (self->disposed)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      emit_error (self, error, _("Open Another…"), "app.open-project");
      return;
    }

  set_source (self, load->project->source, g_steal_pointer (&load->media));
  if (load->project->output_folder != NULL)
    {
      g_autofree char *root = g_path_get_dirname (load->project->output_folder);

      replace_str (&self->output_root, root);
      g_free (self->output_name);
      self->output_name = g_path_get_basename (load->project->output_folder);
    }
  set_model (self, load->analysis, load->project->plan);
  set_project_path (self, load->path);
  if (load->analysis == NULL)
    emit_message (self, _("The project’s analysis was not found: process the video again to render it"));
  else
    load_results (self);
  state_changed (self);
}

void
ave_document_open (AveDocument *self, GFile *file)
{
  g_autofree char *path = NULL;
  g_autoptr(GTask) task = NULL;
  gboolean project;

  g_return_if_fail (AVE_IS_DOCUMENT (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autoptr(GError) error = g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_FOUND,
                                             _("Only local files can be opened; copy the video to this computer first"));
      emit_error (self, error, NULL, NULL);
      return;
    }
  if (ave_document_is_busy (self))
    {
      emit_message (self, _("Cancel the running job before opening another video"));
      return;
    }

  g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  self->open_cancellable = g_cancellable_new ();
  project = g_str_has_suffix (path, ".aveproj");
  task = g_task_new (self, self->open_cancellable, project ? on_project_loaded : on_probed, NULL);
  if (project)
    {
      ProjectLoad *load = g_new0 (ProjectLoad, 1);

      load->path = g_steal_pointer (&path);
      g_task_set_task_data (task, load, project_load_free);
      g_task_run_in_thread (task, project_thread);
    }
  else
    {
      g_task_set_task_data (task, g_steal_pointer (&path), g_free);
      g_task_run_in_thread (task, probe_thread);
    }
}

/* ------------------------------------------------------------ projects */

char *
ave_document_dup_output_dir (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  if (self->output_root == NULL || self->output_name == NULL)
    return NULL;
  return g_build_filename (self->output_root, self->output_name, NULL);
}

gboolean
ave_document_save_project_to (AveDocument *self, const char *path, GError **error)
{
  g_autofree char *output_dir = ave_document_dup_output_dir (self);
  g_autofree char *analysis = output_dir != NULL ? g_build_filename (output_dir, "analysis.json", NULL) : NULL;
  g_autoptr(AveProject) project = NULL;

  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  if (self->plan == NULL || self->source == NULL)
    {
      g_set_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_INVALID,
                   _("There is no edit to save yet: process the video first"));
      return FALSE;
    }
  project = ave_project_new (self->source, self->plan, output_dir, analysis);
  if (!ave_project_save (project, path, error))
    return FALSE;
  set_project_path (self, path);
  set_dirty (self, FALSE);
  return TRUE;
}

/* ---------------------------------------------------------------- jobs */

static void
doc_job_free (DocJob *entry)
{
  g_clear_object (&entry->job);
  g_clear_object (&entry->cancellable);
  g_free (entry->source);
  g_free (entry);
}

static DocJob *
find_job (AveDocument *self, AveJob *job)
{
  for (guint i = 0; i < self->jobs->len; i++)
    {
      DocJob *entry = self->jobs->pdata[i];

      if (entry->job == job)
        return entry;
    }
  return NULL;
}

/* A job's plan and results are the document's when it is a Process or
 * Render of the document's own video. */
static gboolean
is_own (AveDocument *self, DocJob *entry)
{
  return entry->kind != AVE_JOB_ANALYZE && g_strcmp0 (entry->source, self->source) == 0
         && !entry->document->disposed;
}

typedef struct
{
  AveDocument  *document;    /* owned */
  AveJob       *job;         /* owned */
  AveEventKind  kind;
  AveStage      stage;
  double        fraction;
  double        wall_seconds;
  gboolean      skipped;
  char         *message;
  char         *name;
  char         *path;
  AvePlan      *plan;        /* RESULT "plan": a copy made on the job's thread */
  AveAnalysis  *analysis;
} EventData;

static void
event_data_free (gpointer data)
{
  EventData *e = data;

  g_object_unref (e->document);
  g_object_unref (e->job);
  g_free (e->message);
  g_free (e->name);
  g_free (e->path);
  g_clear_object (&e->plan);
  g_clear_pointer (&e->analysis, ave_analysis_unref);
  g_free (e);
}

static gboolean
on_event_main (gpointer data)
{
  EventData *e = data;
  AveDocument *self = e->document;
  DocJob *entry = find_job (self, e->job);

  /* Events of a job that is over, or of a closed document, have no place to go. */
  if (self->disposed || entry == NULL)
    return G_SOURCE_REMOVE;

  switch (e->kind)
    {
    case AVE_EVENT_STAGE_START:
      g_signal_emit (self, signals[STAGE_STARTED], 0, (guint) e->stage);
      break;
    case AVE_EVENT_STAGE_PROGRESS:
      g_signal_emit (self, signals[STAGE_PROGRESS], 0, (guint) e->stage, CLAMP (e->fraction, 0, 1));
      break;
    case AVE_EVENT_STAGE_END:
      g_signal_emit (self, signals[STAGE_FINISHED], 0, (guint) e->stage, e->skipped, e->wall_seconds);
      break;
    case AVE_EVENT_WARNING:
    case AVE_EVENT_DECISION:
      if (e->message != NULL)
        {
          emit_message (self, e->message);
          g_signal_emit (self, signals[WARNING], 0, e->message);
        }
      break;
    case AVE_EVENT_NOTICE:
      g_debug ("notice: %s", e->message);
      break;
    case AVE_EVENT_RESULT:
      if (!is_own (self, entry))
        break;
      if (g_strcmp0 (e->name, "thumbnail") == 0)
        g_ptr_array_add (self->thumbnail_paths, g_strdup (e->path));
      else if (g_strcmp0 (e->name, "metadata") == 0)
        replace_str (&self->metadata_path, e->path);
      else if (g_strcmp0 (e->name, "final") == 0)
        replace_str (&self->final_path, e->path);
      else if (g_strcmp0 (e->name, "plan") == 0 && e->plan != NULL && entry->kind == AVE_JOB_PROCESS)
        /* The plan is on the timeline while the video renders.  A render
         * writes back the plan it was given: the edited one stays. */
        set_model (self, e->analysis, e->plan);
      break;
    case AVE_EVENT_SAMPLE:
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

typedef struct
{
  AveDocument *document;
  AveJob      *job;
} EventTarget;

static void
event_target_free (gpointer data)
{
  EventTarget *target = data;

  g_object_unref (target->document);
  g_free (target);
}

/* Runs on the job's worker threads: copy what the main thread needs. */
static void
on_job_event (const AveEvent *event, gpointer user_data)
{
  EventTarget *target = user_data;
  EventData *e;

  /* The window polls the monitor on the main thread; these are for the CLI. */
  if (event->kind == AVE_EVENT_SAMPLE)
    return;

  e = g_new0 (EventData, 1);
  e->document = g_object_ref (target->document);
  e->job = g_object_ref (target->job);
  e->kind = event->kind;
  e->stage = event->stage;
  e->fraction = event->fraction;
  e->wall_seconds = event->wall_seconds;
  e->skipped = event->skipped;
  e->message = g_strdup (event->message);
  e->name = g_strdup (event->name);
  e->path = g_strdup (event->path);
  /* The job wrote the plan just before this event and nothing else touches
   * it until the outputs start, so a copy made here is consistent. */
  if (event->kind == AVE_EVENT_RESULT && g_strcmp0 (event->name, "plan") == 0
      && ave_job_get_plan (target->job) != NULL && ave_job_get_analysis (target->job) != NULL)
    {
      e->plan = ave_plan_copy (ave_job_get_plan (target->job));
      e->analysis = ave_analysis_ref (ave_job_get_analysis (target->job));
    }
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, on_event_main, e, event_data_free);
}

static void
notify_jobs (AveDocument *self)
{
  if (self->disposed)
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_JOBS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  state_changed (self);
}

static void
on_queue_started (AveJob *job, gpointer user_data)
{
  DocJob *entry = user_data;
  AveDocument *self = entry->document;

  entry->running = TRUE;
  if (self->disposed)
    return;
  if (is_own (self, entry))
    clear_results (self);
  g_signal_emit (self, signals[JOB_STARTED], 0, (guint) entry->kind, entry->source);
  state_changed (self);
}

static gboolean
unref_idle (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
on_queue_done (AveJob *job, const GError *error, gpointer user_data)
{
  DocJob *entry = user_data;
  AveDocument *self = entry->document;   /* owned by the entry until here */
  gboolean own = is_own (self, entry);

  g_ptr_array_remove (self->jobs, entry);   /* steals: freed below */
  if (self->disposed)
    goto out;

  if (error == NULL && own)
    {
      /* The plan from the "plan" event is already on the timeline and may
       * have been edited since: keep it.  A render leaves the plan alone. */
      if (entry->kind == AVE_JOB_PROCESS && self->plan == NULL && ave_job_get_plan (job) != NULL)
        {
          g_autoptr(AvePlan) plan = ave_plan_copy (ave_job_get_plan (job));

          set_model (self, ave_job_get_analysis (job), plan);
        }
      /* Where its results are, also for a job queued before the video
       * was open (a drop). */
      g_free (self->output_root);
      self->output_root = g_path_get_dirname (ave_job_get_output_dir (job));
      g_free (self->output_name);
      self->output_name = g_path_get_basename (ave_job_get_output_dir (job));
      g_signal_emit (self, signals[RESULTS_CHANGED], 0);
      emit_message (self, entry->kind == AVE_JOB_RENDER ? _("Rendered the edited video")
                                                         : _("The video is ready"));
    }
  else if (error == NULL)
    {
      g_autofree char *name = g_path_get_basename (entry->source);
      g_autofree char *text = g_strdup_printf (_("%s is ready in %s"), name, ave_job_get_output_dir (job));

      emit_message (self, text);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    emit_message (self, _("Cancelled: no partial output was kept"));
  else if (own)
    emit_error (self, error, _("Try Again"), entry->kind == AVE_JOB_RENDER ? "app.render" : "app.process");
  else
    {
      g_autofree char *name = g_path_get_basename (entry->source);
      g_autoptr(GError) named = g_error_new (error->domain, error->code, "%s: %s", name, error->message);

      emit_error (self, named, NULL, NULL);
    }

  g_signal_emit (self, signals[JOB_FINISHED], 0, (guint) entry->kind, entry->source, error == NULL);
  notify_jobs (self);

out:
  {
    AveDocument *document = entry->document;

    doc_job_free (entry);
    /* The queue goes on with its own work after this callback returns;
     * the last reference, and with it the queue, go after that. */
    g_idle_add_full (G_PRIORITY_DEFAULT, unref_idle, document, NULL);
  }
}

static gboolean
enqueue (AveDocument       *self,
         AveJobKind         kind,
         const char        *source,
         const AveSettings *settings,
         const char        *output_root,
         const char        *output_name,
         GError           **error)
{
  g_autoptr(AveSettings) copy = ave_settings_copy (settings);
  EventTarget *target;
  DocJob *entry;

  if (output_root == NULL)
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   _("No output folder is set: choose one in the preferences"));
      return FALSE;
    }
  if (g_mkdir_with_parents (output_root, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                   _("Cannot create the output folder %s: %s. Choose another one in the preferences"),
                   output_root, g_strerror (saved));
      return FALSE;
    }

  entry = g_new0 (DocJob, 1);
  entry->document = g_object_ref (self);
  entry->kind = kind;
  entry->source = g_strdup (source);
  entry->cancellable = g_cancellable_new ();
  entry->job = ave_job_new (kind, source, output_root, copy);
  if (output_name != NULL)
    ave_job_set_output_name (entry->job, output_name);
  if (kind == AVE_JOB_RENDER)
    {
      ave_job_set_analysis (entry->job, self->analysis);
      ave_job_set_plan (entry->job, self->plan);
    }
  target = g_new0 (EventTarget, 1);
  target->document = g_object_ref (self);
  target->job = entry->job;
  ave_job_set_event_func (entry->job, on_job_event, target, event_target_free);

  g_ptr_array_add (self->jobs, entry);
  ave_job_queue_add (self->queue, entry->job, 0, entry->cancellable,
                     on_queue_started, on_queue_done, entry);
  notify_jobs (self);
  return TRUE;
}

gboolean
ave_document_process (AveDocument *self, const AveSettings *settings, const char *output_root, GError **error)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);

  if (!ave_document_can_process (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   self->source == NULL ? _("Open a video first") : _("Wait for the running job or cancel it"));
      return FALSE;
    }
  if (!enqueue (self, AVE_JOB_PROCESS, self->source, settings, output_root, NULL, error))
    return FALSE;
  replace_str (&self->output_root, output_root);
  /* A new analysis makes a new plan: the old edit goes. */
  set_model (self, NULL, NULL);
  return TRUE;
}

gboolean
ave_document_render (AveDocument *self, const AveSettings *settings, const char *output_root, GError **error)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);

  if (!ave_document_can_render (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   self->plan == NULL ? _("There is no plan to render: process the video first")
                                      : _("Wait for the running job or cancel it"));
      return FALSE;
    }
  if (!ave_plan_validate (self->plan, ave_plan_get_source_duration (self->plan), error))
    return FALSE;
  /* Into the same output folder as before, when there is one. */
  if (self->output_root == NULL)
    replace_str (&self->output_root, output_root);
  return enqueue (self, AVE_JOB_RENDER, self->source, settings, self->output_root, self->output_name, error);
}

gboolean
ave_document_queue_video (AveDocument *self, const char *path, const AveSettings *settings,
                          const char *output_root, GError **error)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);

  /* The document's own video: the same as Process (its plan comes here). */
  if (g_strcmp0 (path, self->source) == 0 && ave_document_can_process (self))
    return ave_document_process (self, settings, output_root, error);
  return enqueue (self, AVE_JOB_PROCESS, path, settings, output_root, NULL, error);
}

void
ave_document_cancel (AveDocument *self)
{
  g_return_if_fail (AVE_IS_DOCUMENT (self));
  /* A waiting job leaves the list from an idle callback, never here. */
  for (guint i = 0; i < self->jobs->len; i++)
    g_cancellable_cancel (((DocJob *) self->jobs->pdata[i])->cancellable);
}

/* -------------------------------------------------------------- editing */

void
ave_document_undo (AveDocument *self)
{
  g_return_if_fail (AVE_IS_DOCUMENT (self));
  if (self->history != NULL)
    ave_plan_history_undo (self->history);
}

void
ave_document_redo (AveDocument *self)
{
  g_return_if_fail (AVE_IS_DOCUMENT (self));
  if (self->history != NULL)
    ave_plan_history_redo (self->history);
}

gboolean
ave_document_set_segment_enabled (AveDocument *self, guint index, gboolean enabled, GError **error)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  if (self->plan == NULL || index >= ave_plan_get_n_segments (self->plan))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("There is no segment %u in the plan"), index);
      return FALSE;
    }
  return ave_plan_history_set_enabled (self->history, index, enabled);
}

/* ------------------------------------------------------------ accessors */

const char *
ave_document_get_source (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->source;
}

const AveMediaInfo *
ave_document_get_media (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->media;
}

AveAnalysis *
ave_document_get_analysis (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->analysis;
}

AvePlan *
ave_document_get_plan (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->plan;
}

AvePlanHistory *
ave_document_get_history (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->history;
}

const char *
ave_document_get_project_path (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->project_path;
}

gboolean
ave_document_get_dirty (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  return self->dirty;
}

gboolean
ave_document_is_busy (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  return self->jobs->len > 0;
}

guint
ave_document_get_n_jobs (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), 0);
  return self->jobs->len;
}

guint
ave_document_get_n_waiting (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), 0);
  return ave_job_queue_get_n_waiting (self->queue);
}

gboolean
ave_document_can_process (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  return self->source != NULL && !ave_document_is_busy (self);
}

gboolean
ave_document_can_render (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  return self->plan != NULL && self->analysis != NULL && !ave_document_is_busy (self);
}

gboolean
ave_document_can_undo (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  return self->history != NULL && ave_plan_history_get_can_undo (self->history);
}

gboolean
ave_document_can_redo (AveDocument *self)
{
  gboolean can = FALSE;

  g_return_val_if_fail (AVE_IS_DOCUMENT (self), FALSE);
  if (self->history != NULL)
    g_object_get (self->history, "can-redo", &can, NULL);
  return can;
}

GPtrArray *
ave_document_get_thumbnails (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->thumbnail_paths;
}

const char *
ave_document_get_metadata_path (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->metadata_path;
}

const char *
ave_document_get_final_path (AveDocument *self)
{
  g_return_val_if_fail (AVE_IS_DOCUMENT (self), NULL);
  return self->final_path;
}

/* ------------------------------------------------------------- the class */

static void
ave_document_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AveDocument *self = AVE_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_PROJECT_PATH:
      g_value_set_string (value, self->project_path);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, ave_document_is_busy (self));
      break;
    case PROP_N_JOBS:
      g_value_set_uint (value, self->jobs->len);
      break;
    case PROP_DIRTY:
      g_value_set_boolean (value, self->dirty);
      break;
    case PROP_CAN_UNDO:
      g_value_set_boolean (value, ave_document_can_undo (self));
      break;
    case PROP_CAN_REDO:
      g_value_set_boolean (value, ave_document_can_redo (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_document_dispose (GObject *object)
{
  AveDocument *self = AVE_DOCUMENT (object);

  self->disposed = TRUE;
  g_cancellable_cancel (self->open_cancellable);
  clear_model (self);
  G_OBJECT_CLASS (ave_document_parent_class)->dispose (object);
}

static void
ave_document_finalize (GObject *object)
{
  AveDocument *self = AVE_DOCUMENT (object);

  /* Every job holds a reference: the queue is idle by now. */
  g_clear_pointer (&self->queue, ave_job_queue_free);
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_clear_object (&self->open_cancellable);
  g_clear_pointer (&self->media, ave_media_info_free);
  g_clear_pointer (&self->thumbnail_paths, g_ptr_array_unref);
  g_free (self->source);
  g_free (self->output_root);
  g_free (self->output_name);
  g_free (self->project_path);
  g_free (self->metadata_path);
  g_free (self->final_path);
  G_OBJECT_CLASS (ave_document_parent_class)->finalize (object);
}

static void
ave_document_class_init (AveDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ave_document_get_property;
  object_class->dispose = ave_document_dispose;
  object_class->finalize = ave_document_finalize;

  properties[PROP_SOURCE] =
    g_param_spec_string ("source", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROJECT_PATH] =
    g_param_spec_string ("project-path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_JOBS] =
    g_param_spec_uint ("n-jobs", NULL, NULL, 0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIRTY] =
    g_param_spec_boolean ("dirty", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_UNDO] =
    g_param_spec_boolean ("can-undo", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_REDO] =
    g_param_spec_boolean ("can-redo", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MODEL_CHANGED] = g_signal_new ("model-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[PLAN_CHANGED] = g_signal_new ("plan-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[JOB_STARTED] = g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[JOB_FINISHED] = g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                        G_TYPE_UINT, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[STAGE_STARTED] = g_signal_new ("stage-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[STAGE_PROGRESS] = g_signal_new ("stage-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_DOUBLE);
  signals[STAGE_FINISHED] = g_signal_new ("stage-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                          G_TYPE_UINT, G_TYPE_BOOLEAN, G_TYPE_DOUBLE);
  signals[RESULTS_CHANGED] = g_signal_new ("results-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[WARNING] = g_signal_new ("warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                 G_TYPE_ERROR, G_TYPE_STRING, G_TYPE_STRING);
}

static void
ave_document_init (AveDocument *self)
{
  self->open_cancellable = g_cancellable_new ();
  self->thumbnail_paths = g_ptr_array_new_with_free_func (g_free);
  self->jobs = g_ptr_array_new ();
  /* One job at a time: each already uses every core. */
  self->queue = ave_job_queue_new (0, 1);
  ave_job_queue_set_nice_increment (self->queue, JOB_NICE_INCREMENT);
}

AveDocument *
ave_document_new (void)
{
  return g_object_new (AVE_TYPE_DOCUMENT, NULL);
}
