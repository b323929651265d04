#define G_LOG_DOMAIN "ave-window"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "core/ave-error.h"
#include "pipeline/ave-job.h"
#include "pipeline/ave-job-background.h"
#include "media/ave-media.h"
#include "core/ave-monitor.h"
#include "resources/ave-cost-ledger.h"
#include "director/ave-plan-history.h"
#include "ave-timeline.h"
#include "ave-preview.h"

#include "ave-app-settings.h"
#include "ave-graph.h"
#include "director/ave-project.h"
#include "ave-series.h"
#include "ave-window.h"
#include "ave-service-jobs.h"

/* Four samples a second over a minute of history. */
#define SAMPLE_INTERVAL_MS 250
#define GRAPH_SPAN_S       60
#define JOB_NICE_INCREMENT 10
#define SERIES_CAPACITY    (GRAPH_SPAN_S * 1000 / SAMPLE_INTERVAL_MS + 4)

struct _AveWindow
{
  AdwApplicationWindow parent_instance;

  /* template */
  AdwHeaderBar         *header_bar;
  AdwWindowTitle       *window_title;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  GtkBox               *preview_box;
  GtkBox               *timeline_box;
  GtkLabel             *plan_label;
  GtkBox               *results_box;
  GtkFlowBox           *thumbnails_box;
  AdwActionRow         *titles_row;
  AdwActionRow         *description_row;
  AdwActionRow         *tags_row;
  AdwActionRow         *chapters_row;
  AdwComboRow          *quality_row;
  AdwComboRow          *mode_row;
  AdwComboRow          *content_type_row;
  AdwComboRow          *preset_row;
  AdwComboRow          *retakes_row;
  AdwComboRow          *subtitles_row;
  GtkSwitch            *burn_captions_switch;
  AdwPreferencesGroup  *progress_group;
  GtkLabel             *cpu_label;
  GtkLabel             *memory_label;
  GtkLabel             *cost_label;
  AveGraph             *cpu_graph;
  AveGraph             *memory_graph;
  AveGraph             *cost_graph;
  GMenu                *recent_menu;

  AdwActionRow         *stage_rows[AVE_N_STAGES];
  GtkProgressBar       *stage_bars[AVE_N_STAGES];

  GSettings            *settings;
  GtkWidget            *timeline;
  GtkWidget            *preview;

  /* the document */
  char                 *source;
  AveMediaInfo         *media;
  AveAnalysis          *analysis;
  AvePlan              *plan;
  AvePlanHistory       *history;
  gulong                plan_changed_id;
  char                 *output_root;     /* DIR */
  char                 *output_name;     /* DIR/<name>/ holds the results */
  char                 *project_path;
  GCancellable         *open_cancellable;

  /* the running job */
  AveJob               *job;
  AveJobKind            job_kind;
  GCancellable         *cancellable;
  GPtrArray            *thumbnail_paths;
  char                 *metadata_path;
  char                 *final_path;

  /* live graphs */
  AveSeries            *cpu_series;
  AveSeries            *memory_series;
  AveSeries            *cost_series;
  AveResourceSample     last_sample;
  gint64                graph_start_us;
  guint64               memory_limit;
  guint                 sample_source_id;

  GtkRecentManager     *recent_manager;
  gulong                recent_changed_id;
  gboolean              disposed;
};

G_DEFINE_FINAL_TYPE (AveWindow, ave_window, ADW_TYPE_APPLICATION_WINDOW)

static void update_plan_label (AveWindow *self);

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
static void load_results (AveWindow *self);

static AveApplication *
get_app (AveWindow *self)
{
  return AVE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static void
update_actions (AveWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app != NULL)
    ave_application_update_actions (AVE_APPLICATION (app));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-output-folder",
                                 self->output_root != NULL && self->output_name != NULL);
}

/* ------------------------------------------------------------ messages */

void
ave_window_show_message (AveWindow *self, const char *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast *toast = adw_toast_new (escaped);

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
ave_window_show_error (AveWindow *self, const GError *error, const char *button_label, const char *action_name)
{
  g_autofree char *escaped = NULL;
  AdwToast *toast;

  /* Cancelling is the user's own choice, never a failure. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_debug ("error shown: %s", error->message);
  escaped = g_markup_escape_text (error->message, -1);
  toast = adw_toast_new (escaped);
  /* Errors stay until read: they say what to do next. */
  adw_toast_set_timeout (toast, 0);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  if (button_label != NULL && action_name != NULL)
    {
      adw_toast_set_button_label (toast, button_label);
      adw_toast_set_action_name (toast, action_name);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* ------------------------------------------------------------- graphs */

static char *
format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void
refresh_memory_limit (AveWindow *self)
{
  g_autoptr(AveSettings) settings =
    ave_app_settings_build (ave_app_settings_choice_value ("quality", adw_combo_row_get_selected (self->quality_row)),
                            ave_app_settings_choice_value ("mode", adw_combo_row_get_selected (self->mode_row)),
                            ave_app_settings_choice_value ("content-type", adw_combo_row_get_selected (self->content_type_row)),
                            ave_app_settings_choice_value ("preset", adw_combo_row_get_selected (self->preset_row)),
                            NULL);

  self->memory_limit = ave_app_settings_memory_limit (settings);
  ave_graph_set_limit (self->memory_graph, self->memory_limit / (1024.0 * 1024.0));
}

static gboolean
on_sample (gpointer data)
{
  AveWindow *self = data;
  AveResourceSample sample;
  AveCostTotals totals;
  double t, cpu, rss_mb, cost;
  g_autofree char *rss = NULL;
  g_autofree char *limit = NULL;
  g_autofree char *text = NULL;

  ave_resource_sample_take (&sample);
  t = (sample.monotonic_us - self->graph_start_us) / (double) G_USEC_PER_SEC;
  cpu = ave_resource_sample_cpu_percent (&self->last_sample, &sample);
  self->last_sample = sample;

  ave_cost_ledger_get_totals (ave_cost_ledger_get_default (), &totals);
  cost = totals.spent_usd + totals.reserved_usd;
  rss_mb = sample.rss_bytes / (1024.0 * 1024.0);

  ave_series_push (self->cpu_series, t, cpu);
  ave_series_push (self->memory_series, t, rss_mb);
  ave_series_push (self->cost_series, t, cost);
  ave_graph_set_limit (self->cost_graph, totals.budget_usd);

  text = g_strdup_printf (_("CPU: %.0f %%"), cpu);
  gtk_label_set_label (self->cpu_label, text);
  g_clear_pointer (&text, g_free);

  rss = format_bytes (sample.rss_bytes);
  limit = format_bytes (self->memory_limit);
  /* Translators: memory in use "of" the budget, e.g. "Memory: 210 MiB of 8.0 GiB" */
  text = g_strdup_printf (_("Memory: %s of %s"), rss, limit);
  gtk_label_set_label (self->memory_label, text);
  g_clear_pointer (&text, g_free);

  if (totals.budget_usd > 0)
    text = g_strdup_printf (_("API cost: $%.2f of $%.2f"), cost, totals.budget_usd);
  else
    text = g_strdup_printf (_("API cost: $%.2f (no budget set)"), cost);
  gtk_label_set_label (self->cost_label, text);
  g_clear_pointer (&text, g_free);

  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ progress */

static const char *
stage_title (AveStage stage)
{
  switch (stage)
    {
    case AVE_STAGE_AUDIO_ANALYSIS: return _("Audio Analysis");
    case AVE_STAGE_VIDEO_ANALYSIS: return _("Video Analysis");
    case AVE_STAGE_DIRECTOR: return _("Edit Plan");
    case AVE_STAGE_ASSETS: return _("Thumbnails and Metadata");
    case AVE_STAGE_COMPOSITION: return _("Rendering");
    case AVE_N_STAGES:
    default: return "";
    }
}

static void
reset_progress (AveWindow *self)
{
  for (guint i = 0; i < AVE_N_STAGES; i++)
    {
      gtk_progress_bar_set_fraction (self->stage_bars[i], 0);
      adw_action_row_set_subtitle (self->stage_rows[i], _("Waiting"));
    }
}

typedef struct
{
  AveWindow    *window;      /* owned */
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

  g_object_unref (e->window);
  g_object_unref (e->job);
  g_free (e->message);
  g_free (e->name);
  g_free (e->path);
  g_clear_object (&e->plan);
  g_clear_pointer (&e->analysis, ave_analysis_unref);
  g_free (e);
}

static void set_document (AveWindow *self, AveAnalysis *analysis, AvePlan *plan);

static gboolean
on_event_main (gpointer data)
{
  EventData *e = data;
  AveWindow *self = e->window;
  g_autofree char *text = NULL;

  /* Events of a job that is over, or of a closed window, have no place to go. */
  if (self->disposed || e->job != self->job)
    return G_SOURCE_REMOVE;

  switch (e->kind)
    {
    case AVE_EVENT_STAGE_START:
      gtk_progress_bar_set_fraction (self->stage_bars[e->stage], 0);
      adw_action_row_set_subtitle (self->stage_rows[e->stage], _("Running…"));
      break;
    case AVE_EVENT_STAGE_PROGRESS:
      gtk_progress_bar_set_fraction (self->stage_bars[e->stage], CLAMP (e->fraction, 0, 1));
      break;
    case AVE_EVENT_STAGE_END:
      gtk_progress_bar_set_fraction (self->stage_bars[e->stage], 1);
      if (e->skipped)
        adw_action_row_set_subtitle (self->stage_rows[e->stage], _("Skipped: nothing to do"));
      else
        {
          text = g_strdup_printf (_("Done in %.1f s"), e->wall_seconds);
          adw_action_row_set_subtitle (self->stage_rows[e->stage], text);
        }
      break;
    case AVE_EVENT_WARNING:
    case AVE_EVENT_DECISION:
      if (e->message != NULL)
        ave_window_show_message (self, e->message);
      break;
    case AVE_EVENT_NOTICE:
      g_debug ("notice: %s", e->message);
      break;
    case AVE_EVENT_RESULT:
      if (g_strcmp0 (e->name, "thumbnail") == 0)
        g_ptr_array_add (self->thumbnail_paths, g_strdup (e->path));
      else if (g_strcmp0 (e->name, "metadata") == 0)
        replace_str (&self->metadata_path, e->path);
      else if (g_strcmp0 (e->name, "final") == 0)
        replace_str (&self->final_path, e->path);
      else if (g_strcmp0 (e->name, "plan") == 0 && e->plan != NULL && self->job_kind == AVE_JOB_PROCESS)
        /* The plan is on the timeline while the video renders.  A render
         * writes back the plan it was given: the edited one stays. */
        set_document (self, e->analysis, e->plan);
      break;
    case AVE_EVENT_SAMPLE:
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

typedef struct
{
  AveWindow *window;
  AveJob    *job;
} EventTarget;

static void
event_target_free (gpointer data)
{
  EventTarget *target = data;

  g_object_unref (target->window);
  g_free (target);
}

/* Runs on the job's worker threads: copy what the main thread needs. */
static void
on_job_event (const AveEvent *event, gpointer user_data)
{
  EventTarget *target = user_data;
  EventData *e;

  /* The monitor is polled on the main thread; these are for the CLI. */
  if (event->kind == AVE_EVENT_SAMPLE)
    return;

  e = g_new0 (EventData, 1);
  e->window = g_object_ref (target->window);
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

/* ------------------------------------------------------------ document */

static void
on_plan_changed (AvePlan *plan, AveWindow *self)
{
  update_plan_label (self);
  update_actions (self);
}

static char *
format_time (double seconds)
{
  int s = (int) (seconds + 0.5);

  if (s >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return g_strdup_printf ("%d:%02d", s / 60, s % 60);
}

static void
update_plan_label (AveWindow *self)
{
  g_autofree char *kept = NULL;
  g_autofree char *total = NULL;
  g_autofree char *text = NULL;
  guint n, n_cut = 0;

  if (self->plan == NULL)
    {
      gtk_label_set_label (self->plan_label,
                           self->source != NULL ? _("Press Process to analyse the video and plan the edit.") : "");
      return;
    }
  n = ave_plan_get_n_segments (self->plan);
  for (guint i = 0; i < n; i++)
    if (!ave_plan_get_segment (self->plan, i)->enabled)
      n_cut++;
  kept = format_time (ave_plan_get_output_duration (self->plan));
  total = format_time (ave_plan_get_source_duration (self->plan));
  /* Translators: "12 segments, 3 cut out: 1:02 of 1:30 kept" */
  text = g_strdup_printf (ngettext ("%u segment, %u cut out: %s of %s kept",
                                    "%u segments, %u cut out: %s of %s kept", n),
                          n, n_cut, kept, total);
  gtk_label_set_label (self->plan_label, text);
}

static void
on_history_notify (GObject *object, GParamSpec *pspec, AveWindow *self)
{
  update_actions (self);
}

static void
clear_document_model (AveWindow *self)
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
 * place from now on (the job keeps its own copy). */
static void
set_document (AveWindow *self, AveAnalysis *analysis, AvePlan *plan)
{
  clear_document_model (self);
  self->analysis = analysis != NULL ? ave_analysis_ref (analysis) : NULL;
  self->plan = plan != NULL ? g_object_ref (plan) : NULL;

  if (self->plan != NULL)
    {
      self->plan_changed_id = g_signal_connect (self->plan, "changed", G_CALLBACK (on_plan_changed), self);
      self->history = ave_plan_history_new (self->plan);
      g_signal_connect (self->history, "notify::can-undo", G_CALLBACK (on_history_notify), self);
      g_signal_connect (self->history, "notify::can-redo", G_CALLBACK (on_history_notify), self);
    }
  if (self->timeline != NULL)
    ave_timeline_set_model (AVE_TIMELINE (self->timeline), self->history, self->analysis);
  if (self->preview != NULL)
    {
      ave_preview_set_plan (AVE_PREVIEW (self->preview), self->plan);
      ave_preview_set_analysis (AVE_PREVIEW (self->preview), self->analysis);
    }
  update_plan_label (self);
  update_actions (self);
}

static void
clear_results (AveWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnails_box))) != NULL)
    gtk_flow_box_remove (self->thumbnails_box, child);
  gtk_widget_set_visible (GTK_WIDGET (self->results_box), FALSE);
  g_ptr_array_set_size (self->thumbnail_paths, 0);
  g_clear_pointer (&self->metadata_path, g_free);
  g_clear_pointer (&self->final_path, g_free);
}

static void
set_source (AveWindow *self, const char *path, AveMediaInfo *media)
{
  g_autofree char *basename = g_path_get_basename (path);
  g_autofree char *subtitle = NULL;
  g_autofree char *duration = NULL;

  replace_str (&self->source, path);
  g_clear_pointer (&self->media, ave_media_info_free);
  self->media = media;
  g_clear_pointer (&self->project_path, g_free);
  g_clear_pointer (&self->output_name, g_free);
  clear_document_model (self);
  clear_results (self);
  reset_progress (self);

  duration = format_time (media->duration);
  if (media->has_video)
    subtitle = g_strdup_printf ("%s — %d×%d, %s", basename, media->display_width, media->display_height, duration);
  else
    subtitle = g_strdup_printf ("%s — %s", basename, duration);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_stack_set_visible_child_name (self->stack, "project");

  if (self->preview != NULL)
    {
      ave_preview_set_source (AVE_PREVIEW (self->preview), path);
      ave_preview_set_plan (AVE_PREVIEW (self->preview), NULL);
      ave_preview_set_analysis (AVE_PREVIEW (self->preview), NULL);
    }
  if (self->timeline != NULL)
    ave_timeline_set_model (AVE_TIMELINE (self->timeline), NULL, NULL);
  update_plan_label (self);
  update_actions (self);
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
  AveWindow *self = AVE_WINDOW (source_object);
  g_autoptr(GError) error = NULL;
  AveMediaInfo *info = g_task_propagate_pointer (G_TASK (result), &error);

  if (self->disposed)
    {
      g_clear_pointer (&info, ave_media_info_free);
      return;
    }
  if (info == NULL)
    {
      ave_window_show_error (self, error, _("Open Another…"), "app.open");
      return;
    }
  set_source (self, g_task_get_task_data (G_TASK (result)), info);
}

typedef struct
{
  AveProject  *project;
  AveMediaInfo *media;
  AveAnalysis *analysis;
  char        *path;
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
add_recent_project (AveWindow *self, const char *path)
{
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  GtkRecentData data = {
    .display_name = NULL,
    .description = NULL,
    .mime_type = (char *) AVE_PROJECT_MIME_TYPE,
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "ai-video-editor %f",
    .groups = NULL,
    .is_private = FALSE,
  };

  if (uri != NULL)
    gtk_recent_manager_add_full (self->recent_manager, uri, &data);
}

static void
on_project_loaded (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  AveWindow *self = AVE_WINDOW (source_object);
  g_autoptr(GError) error = NULL;
  ProjectLoad *load = g_task_get_task_data (G_TASK (result));

  if (self->disposed)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      ave_window_show_error (self, error, _("Open Another…"), "app.open-project");
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
  set_document (self, load->analysis, load->project->plan);
  replace_str (&self->project_path, load->path);
  add_recent_project (self, load->path);
  if (load->analysis == NULL)
    ave_window_show_message (self, _("The project’s analysis was not found: process the video again to render it"));
  else
    load_results (self);
}

void
ave_window_open_file (AveWindow *self, GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AVE_IS_WINDOW (self));

  if (path == NULL)
    {
      g_autoptr(GError) error = g_error_new (AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_FOUND,
                                             _("Only local files can be opened; copy the video to this computer first"));
      ave_window_show_error (self, error, NULL, NULL);
      return;
    }
  if (ave_window_is_busy (self))
    {
      ave_window_show_message (self, _("Cancel the running job before opening another video"));
      return;
    }

  g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  self->open_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->open_cancellable, g_str_has_suffix (path, ".aveproj") ? on_project_loaded : on_probed, NULL);
  if (g_str_has_suffix (path, ".aveproj"))
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

static void
on_open_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  AveWindow *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      ave_window_open_file (self, file);
    }
  g_object_unref (dialog);
}

static void
show_chooser (AveWindow *self, const char *title, GtkFileFilter *filter)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));

  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (filter);
}

void
ave_window_show_open_dialog (AveWindow *self)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Videos"));
  gtk_file_filter_add_mime_type (filter, "video/*");
  show_chooser (self, _("Open a Video"), filter);
}

void
ave_window_show_open_project_dialog (AveWindow *self)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("AI Video Editor Projects"));
  gtk_file_filter_add_pattern (filter, "*.aveproj");
  gtk_file_filter_add_mime_type (filter, AVE_PROJECT_MIME_TYPE);
  show_chooser (self, _("Open a Project"), filter);
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, gpointer user_data)
{
  AveWindow *self = user_data;
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files == NULL)
    return FALSE;
  /* One window edits one video: the first dropped file is the one. */
  ave_window_open_file (self, files->data);
  if (files->next != NULL)
    ave_window_show_message (self, _("Only the first dropped file was opened"));
  g_slist_free (files);
  return TRUE;
}

/* ------------------------------------------------------------- projects */

char *ave_window_dup_output_dir (AveWindow *self);

char *
ave_window_dup_output_dir (AveWindow *self)
{
  if (self->output_root == NULL || self->output_name == NULL)
    return NULL;
  return g_build_filename (self->output_root, self->output_name, NULL);
}

gboolean
ave_window_save_project_to (AveWindow *self, const char *path, GError **error)
{
  g_autofree char *output_dir = ave_window_dup_output_dir (self);
  g_autofree char *analysis = output_dir != NULL ? g_build_filename (output_dir, "analysis.json", NULL) : NULL;
  g_autoptr(AveProject) project = NULL;

  if (self->plan == NULL || self->source == NULL)
    {
      g_set_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_INVALID,
                   _("There is no edit to save yet: process the video first"));
      return FALSE;
    }
  project = ave_project_new (self->source, self->plan, output_dir, analysis);
  if (!ave_project_save (project, path, error))
    return FALSE;
  replace_str (&self->project_path, path);
  add_recent_project (self, path);
  return TRUE;
}

static void
on_save_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  AveWindow *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path != NULL && !g_str_has_suffix (path, ".aveproj"))
        {
          char *with_suffix = g_strconcat (path, ".aveproj", NULL);
          g_free (path);
          path = with_suffix;
        }
      if (path == NULL)
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Projects can only be saved to local folders"));
      if (path == NULL || !ave_window_save_project_to (self, path, &error))
        ave_window_show_error (self, error, _("Try Again"), "app.save-project");
      else
        ave_window_show_message (self, _("Project saved"));
    }
  g_object_unref (dialog);
}

void
ave_window_save_project (AveWindow *self)
{
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;

  if (self->plan == NULL)
    {
      ave_window_show_message (self, _("There is no edit to save yet: process the video first"));
      return;
    }
  chooser = gtk_file_chooser_native_new (_("Save the Project"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  if (self->project_path != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (self->project_path);
      gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, NULL);
    }
  else
    {
      g_autofree char *stem = ave_job_output_stem (self->source);
      g_autofree char *dir = g_path_get_dirname (self->source);
      g_autoptr(GFile) folder = g_file_new_for_path (dir);

      name = g_strconcat (stem, ".aveproj", NULL);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
refresh_recent_menu (AveWindow *self)
{
  GList *items = gtk_recent_manager_get_items (self->recent_manager);
  guint n = 0;

  g_menu_remove_all (self->recent_menu);
  for (GList *l = items; l != NULL && n < 8; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      const char *uri = gtk_recent_info_get_uri (info);
      g_autoptr(GMenuItem) item = NULL;
      g_autofree char *detailed = NULL;

      if (!g_str_has_suffix (uri, ".aveproj") || !gtk_recent_info_exists (info))
        continue;
      item = g_menu_item_new (gtk_recent_info_get_display_name (info), NULL);
      g_menu_item_set_action_and_target_value (item, "app.open-recent", g_variant_new_string (uri));
      g_menu_append_item (self->recent_menu, item);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
}

static void
on_recent_changed (GtkRecentManager *manager, AveWindow *self)
{
  refresh_recent_menu (self);
}

/* --------------------------------------------------------------- results */

static void
texture_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GdkTexture *texture = gdk_texture_new_from_filename (task_data, &error);

  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
on_texture_loaded (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  AveWindow *self = AVE_WINDOW (source_object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = g_task_propagate_pointer (G_TASK (result), &error);
  GtkWidget *picture;

  if (self->disposed || texture == NULL)
    return;
  picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_size_request (picture, 160, 90);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_widget_set_tooltip_text (picture, g_task_get_task_data (G_TASK (result)));
  gtk_flow_box_append (self->thumbnails_box, picture);
}

static char *
join_array_member (JsonObject *object, const char *member, const char *separator)
{
  JsonArray *array = json_object_has_member (object, member) ? json_object_get_array_member (object, member) : NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (out->len > 0)
        g_string_append (out, separator);
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_string_append (out, json_node_get_string (node));
      else if (JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *chapter = json_node_get_object (node);
          g_autofree char *time = format_time (json_object_get_double_member_with_default (chapter, "time", 0));
          g_string_append_printf (out, "%s %s", time, json_object_get_string_member_with_default (chapter, "title", ""));
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
set_row_text (AdwActionRow *row, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL && *text != '\0' ? text : _("None"), -1);

  adw_action_row_set_subtitle (row, escaped);
}

static void
show_metadata (AveWindow *self, const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *titles = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *chapters = NULL;
  JsonObject *root;

  /* metadata.json is a few kilobytes: read here. */
  if (!json_parser_load_from_file (parser, path, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      if (error != NULL)
        ave_window_show_error (self, error, NULL, NULL);
      return;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  titles = join_array_member (root, "titles", "\n");
  tags = join_array_member (root, "tags", ", ");
  chapters = join_array_member (root, "chapters", "\n");
  set_row_text (self->titles_row, titles);
  set_row_text (self->description_row, json_object_get_string_member_with_default (root, "description", ""));
  set_row_text (self->tags_row, tags);
  set_row_text (self->chapters_row, chapters);
}

static void
show_results (AveWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnails_box))) != NULL)
    gtk_flow_box_remove (self->thumbnails_box, child);
  for (guint i = 0; i < self->thumbnail_paths->len; i++)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, on_texture_loaded, NULL);

      /* Decoding a 1280-pixel JPEG takes longer than a frame. */
      g_task_set_task_data (task, g_strdup (self->thumbnail_paths->pdata[i]), g_free);
      g_task_run_in_thread (task, texture_thread);
    }
  if (self->metadata_path != NULL)
    show_metadata (self, self->metadata_path);
  gtk_widget_set_visible (GTK_WIDGET (self->results_box), self->thumbnail_paths->len > 0 || self->metadata_path != NULL);
}

/* The results of an earlier run (an opened project): what is on disk. */
static void
load_results (AveWindow *self)
{
  g_autofree char *dir = ave_window_dup_output_dir (self);
  g_autofree char *thumbs = NULL;
  g_autofree char *metadata = NULL;
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
  show_results (self);
}

static void
open_output_folder (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AveWindow *self = AVE_WINDOW (widget);
  g_autofree char *dir = ave_window_dup_output_dir (self);
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAppLaunchContext) context = NULL;

  if (dir == NULL)
    return;
  uri = g_filename_to_uri (dir, NULL, &error);
  context = G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (gtk_widget_get_display (widget)));
  if (uri == NULL || !g_app_info_launch_default_for_uri (uri, context, &error))
    {
      g_prefix_error (&error, _("Could not open the output folder %s: "), dir);
      ave_window_show_error (self, error, NULL, NULL);
    }
}

/* ------------------------------------------------------------------ jobs */

gboolean
ave_window_is_busy (AveWindow *self)
{
  return self->job != NULL;
}

gboolean
ave_window_can_process (AveWindow *self)
{
  return self->source != NULL && self->job == NULL;
}

gboolean
ave_window_has_plan (AveWindow *self)
{
  return self->plan != NULL;
}

gboolean
ave_window_can_render (AveWindow *self)
{
  return self->plan != NULL && self->analysis != NULL && self->job == NULL;
}

gboolean
ave_window_can_undo (AveWindow *self)
{
  gboolean can = FALSE;

  if (self->history != NULL)
    g_object_get (self->history, "can-undo", &can, NULL);
  return can;
}

gboolean
ave_window_can_redo (AveWindow *self)
{
  gboolean can = FALSE;

  if (self->history != NULL)
    g_object_get (self->history, "can-redo", &can, NULL);
  return can;
}

static void
on_job_finished (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  AveJob *job = AVE_JOB (source_object);
  AveWindow *self = user_data;   /* owned */
  g_autoptr(GError) error = NULL;
  gboolean ok = ave_job_run_finish (job, result, &error);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app != NULL)
    ave_stall_monitor_end (ave_application_get_stall_monitor (AVE_APPLICATION (app)));

  if (self->disposed || self->job != job)
    {
      g_object_unref (self);
      return;
    }

  if (ok)
    {
      /* The plan from the "plan" event is already on the timeline and may
       * have been edited since: keep it.  A render leaves the plan alone. */
      if (self->job_kind == AVE_JOB_PROCESS && self->plan == NULL && ave_job_get_plan (job) != NULL)
        {
          g_autoptr(AvePlan) plan = ave_plan_copy (ave_job_get_plan (job));
          set_document (self, ave_job_get_analysis (job), plan);
        }
      g_free (self->output_name);
      self->output_name = g_path_get_basename (ave_job_get_output_dir (job));
      show_results (self);
      ave_window_show_message (self, self->job_kind == AVE_JOB_RENDER ? _("Rendered the edited video")
                                                                        : _("The video is ready"));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      reset_progress (self);
      ave_window_show_message (self, _("Cancelled: no partial output was kept"));
    }
  else
    ave_window_show_error (self, error, _("Try Again"), self->job_kind == AVE_JOB_RENDER ? "app.render" : "app.process");

  g_clear_object (&self->job);
  g_clear_object (&self->cancellable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->quality_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mode_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->content_type_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->preset_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retakes_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->subtitles_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->burn_captions_switch), TRUE);
  update_actions (self);
  g_object_unref (self);
}

static const char *
selected_value (AdwComboRow *row, const char *key)
{
  return ave_app_settings_choice_value (key, adw_combo_row_get_selected (row));
}

static void
start_job (AveWindow *self, AveJobKind kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveSettings) settings = NULL;
  EventTarget *target;
  const char *override = ave_application_get_output_root (get_app (self));

  if (self->job != NULL || self->source == NULL)
    return;

  settings = ave_app_settings_build (selected_value (self->quality_row, "quality"),
                                     selected_value (self->mode_row, "mode"),
                                     selected_value (self->content_type_row, "content-type"),
                                     selected_value (self->preset_row, "preset"),
                                     &error);
  if (settings != NULL)
    {
      g_autofree char *style = self->settings != NULL ? g_settings_get_string (self->settings, "caption-style") : NULL;

      if (!ave_app_settings_apply_captions (settings, selected_value (self->subtitles_row, "subtitles"),
                                            gtk_switch_get_active (self->burn_captions_switch),
                                            selected_value (self->retakes_row, "retakes"), style, &error) ||
          !ave_app_settings_apply_providers (settings, self->settings, &error))
        g_clear_pointer (&settings, ave_settings_free);
    }
  if (settings == NULL)
    {
      ave_window_show_error (self, error, _("Preferences"), "app.preferences");
      return;
    }

  if (kind == AVE_JOB_PROCESS || self->output_root == NULL)
    {
      g_free (self->output_root);
      self->output_root = override != NULL ? g_strdup (override) : ave_app_settings_get_output_folder (self->settings);
    }
  if (g_mkdir_with_parents (self->output_root, 0755) != 0)
    {
      int saved = errno;
      error = g_error_new (AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE,
                           _("Cannot create the output folder %s: %s. Choose another one in the preferences"),
                           self->output_root, g_strerror (saved));
      ave_window_show_error (self, error, _("Preferences"), "app.preferences");
      return;
    }

  /* The ledger the graph draws holds this job's budget (0: none). */
  ave_cost_ledger_set_budget (ave_cost_ledger_get_default (), settings->budget_limit_usd);
  self->job = ave_job_new (kind, self->source, self->output_root, settings);
  self->job_kind = kind;
  if (self->output_name != NULL && kind == AVE_JOB_RENDER)
    ave_job_set_output_name (self->job, self->output_name);
  if (kind == AVE_JOB_RENDER)
    {
      ave_job_set_analysis (self->job, self->analysis);
      ave_job_set_plan (self->job, self->plan);
    }
  else
    {
      /* A new analysis makes a new plan: the old edit goes. */
      set_document (self, NULL, NULL);
    }

  target = g_new0 (EventTarget, 1);
  target->window = g_object_ref (self);
  target->job = self->job;
  ave_job_set_event_func (self->job, on_job_event, target, event_target_free);

  clear_results (self);
  reset_progress (self);
  self->memory_limit = ave_app_settings_memory_limit (settings);
  ave_graph_set_limit (self->memory_graph, self->memory_limit / (1024.0 * 1024.0));
  gtk_widget_set_sensitive (GTK_WIDGET (self->quality_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mode_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->content_type_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->preset_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retakes_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->subtitles_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->burn_captions_switch), FALSE);

  self->cancellable = g_cancellable_new ();
  ave_stall_monitor_begin (ave_application_get_stall_monitor (get_app (self)));
  /* Below the UI thread's priority, so the window stays responsive while
   * the job keeps every core busy. */
  ave_job_run_background_async (self->job, JOB_NICE_INCREMENT, self->cancellable,
                                on_job_finished, g_object_ref (self));
  update_actions (self);
}

static void
on_discard_edits_response (AdwMessageDialog *dialog,
                           const char       *response,
                           gpointer          user_data)
{
  AveWindow *self = AVE_WINDOW (user_data);

  if (g_str_equal (response, "process"))
    start_job (self, AVE_JOB_PROCESS);
}

/* Processing again makes a new plan; edits on the timeline go only when
 * the user says so. */
void
ave_window_process (AveWindow *self)
{
  GtkWidget *dialog;

  g_return_if_fail (AVE_IS_WINDOW (self));
  if (self->history == NULL || !ave_plan_history_get_can_undo (self->history))
    {
      start_job (self, AVE_JOB_PROCESS);
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Discard the Edited Plan?"),
                                   _("Processing again analyses the video and makes a new plan, "
                                     "so the edits on the timeline will be lost. If you rendered "
                                     "them, their plan stays in the output folder as plan.json.bak."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Keep Editing"),
                                    "process", _("_Discard and Process"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "process",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_discard_edits_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
ave_window_render (AveWindow *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (AVE_IS_WINDOW (self));
  if (!ave_window_can_render (self))
    return;
  if (!ave_plan_validate (self->plan, ave_plan_get_source_duration (self->plan), &error))
    {
      ave_window_show_error (self, error, _("Undo"), "app.undo");
      return;
    }
  start_job (self, AVE_JOB_RENDER);
}

void
ave_window_cancel (AveWindow *self)
{
  g_return_if_fail (AVE_IS_WINDOW (self));
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

void
ave_window_undo (AveWindow *self)
{
  if (self->history != NULL)
    ave_plan_history_undo (self->history);
}

void
ave_window_redo (AveWindow *self)
{
  if (self->history != NULL)
    ave_plan_history_redo (self->history);
}

gboolean
ave_window_set_segment_enabled (AveWindow *self, guint index, gboolean enabled)
{
  gboolean done;

  g_return_val_if_fail (AVE_IS_WINDOW (self), FALSE);
  if (self->plan == NULL || index >= ave_plan_get_n_segments (self->plan))
    {
      g_autofree char *message = g_strdup_printf (_("There is no segment %u in the plan"), index);
      ave_window_show_message (self, message);
      return FALSE;
    }
  done = ave_plan_history_set_enabled (self->history, index, enabled);
  return done;
}

/* ------------------------------------------------------------- the class */

static gboolean
ave_window_close_request (GtkWindow *window)
{
  AveWindow *self = AVE_WINDOW (window);
  int width, height;

  if (self->settings != NULL)
    {
      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
      g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
    }
  ave_window_cancel (self);
  return GTK_WINDOW_CLASS (ave_window_parent_class)->close_request (window);
}

static void
ave_window_dispose (GObject *object)
{
  AveWindow *self = AVE_WINDOW (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->open_cancellable);
  g_clear_handle_id (&self->sample_source_id, g_source_remove);
  if (self->recent_manager != NULL)
    g_clear_signal_handler (&self->recent_changed_id, self->recent_manager);
  clear_document_model (self);
  /* The caption style handler; the settings may outlive us a moment
   * through the bindings of our controls. */
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), AVE_TYPE_WINDOW);
  G_OBJECT_CLASS (ave_window_parent_class)->dispose (object);
}

static void
ave_window_finalize (GObject *object)
{
  AveWindow *self = AVE_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->open_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->job);
  g_clear_pointer (&self->media, ave_media_info_free);
  g_clear_pointer (&self->thumbnail_paths, g_ptr_array_unref);
  g_clear_object (&self->cpu_series);
  g_clear_object (&self->memory_series);
  g_clear_object (&self->cost_series);
  g_free (self->source);
  g_free (self->output_root);
  g_free (self->output_name);
  g_free (self->project_path);
  g_free (self->metadata_path);
  g_free (self->final_path);
  G_OBJECT_CLASS (ave_window_parent_class)->finalize (object);
}

static void
ave_window_class_init (AveWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ave_window_dispose;
  object_class->finalize = ave_window_finalize;
  window_class->close_request = ave_window_close_request;

  g_type_ensure (AVE_TYPE_GRAPH);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/aivideoeditor/Editor/ave-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AveWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, preview_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, timeline_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, plan_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, results_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, thumbnails_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, titles_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, description_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, tags_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, chapters_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, quality_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, mode_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, content_type_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, preset_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, retakes_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, subtitles_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, burn_captions_switch);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, progress_group);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cpu_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, memory_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cost_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cpu_graph);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, memory_graph);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cost_graph);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, recent_menu);

  gtk_widget_class_install_action (widget_class, "win.open-output-folder", NULL, open_output_folder);
}

static void
on_choice_changed (GObject *object, GParamSpec *pspec, AveWindow *self)
{
  if (self->job == NULL)
    refresh_memory_limit (self);
}

/* The preview draws captions in the style the render would burn them in;
 * a style the engine refuses leaves the default (processing says why). */
/* The cost graph measures against the budget in the preferences from the
 * start, not only once a job has run; and a budget taken back to 0 lifts
 * the limit (a job only ever raises it from its settings). */
static void
on_budget_changed (GSettings *settings, const char *key, AveWindow *self)
{
  ave_app_settings_apply_budget (settings, ave_cost_ledger_get_default ());
}

static void
on_caption_style_changed (GSettings *settings, const char *key, AveWindow *self)
{
  g_autoptr(AveSettings) style = ave_settings_new ();
  g_autofree char *text = settings != NULL ? g_settings_get_string (settings, "caption-style") : NULL;
  g_autoptr(GError) error = NULL;

  if (!ave_app_settings_apply_caption_style (style, text, &error))
    {
      g_message ("%s", error->message);
      g_clear_pointer (&style, ave_settings_free);
      style = ave_settings_new ();
    }
  ave_preview_set_caption_style (AVE_PREVIEW (self->preview), style);
}

/* Captions about to be burned in are worth seeing before the render. */
static void
on_burn_captions_active (GtkSwitch *sw, GParamSpec *pspec, AveWindow *self)
{
  if (gtk_switch_get_active (sw))
    ave_preview_set_show_captions (AVE_PREVIEW (self->preview), TRUE);
}

static void
on_timeline_seek (GtkWidget *timeline, double source_time, AveWindow *self)
{
  ave_preview_seek (AVE_PREVIEW (self->preview), source_time);
}

static void
ave_window_init (AveWindow *self)
{
  GtkDropTarget *drop;
  GdkRGBA cpu_color = { 0.21, 0.52, 0.89, 1 };
  GdkRGBA memory_color = { 0.57, 0.25, 0.67, 1 };
  GdkRGBA cost_color = { 0.15, 0.64, 0.41, 1 };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->thumbnail_paths = g_ptr_array_new_with_free_func (g_free);
  self->open_cancellable = g_cancellable_new ();
  self->settings = ave_app_settings_new ();

  if (self->settings != NULL)
    {
      int width = g_settings_get_int (self->settings, "window-width");
      int height = g_settings_get_int (self->settings, "window-height");

      gtk_window_set_default_size (GTK_WINDOW (self), width, height);
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }

  /* The window's controls start from, and remember, the defaults. */
  ave_app_settings_bind_choice (self->settings, "quality", self->quality_row);
  ave_app_settings_bind_choice (self->settings, "mode", self->mode_row);
  ave_app_settings_bind_choice (self->settings, "content-type", self->content_type_row);
  ave_app_settings_bind_choice (self->settings, "preset", self->preset_row);
  g_signal_connect (self->quality_row, "notify::selected", G_CALLBACK (on_choice_changed), self);
  g_signal_connect (self->mode_row, "notify::selected", G_CALLBACK (on_choice_changed), self);
  g_signal_connect (self->content_type_row, "notify::selected", G_CALLBACK (on_choice_changed), self);
  g_signal_connect (self->preset_row, "notify::selected", G_CALLBACK (on_choice_changed), self);
  ave_app_settings_bind_choice (self->settings, "retakes", self->retakes_row);
  ave_app_settings_bind_choice (self->settings, "subtitles", self->subtitles_row);
  if (self->settings != NULL)
    g_settings_bind (self->settings, "burn-captions", self->burn_captions_switch, "active", G_SETTINGS_BIND_DEFAULT);

  for (guint i = 0; i < AVE_N_STAGES; i++)
    {
      self->stage_rows[i] = ADW_ACTION_ROW (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->stage_rows[i]), stage_title (i));
      self->stage_bars[i] = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
      gtk_widget_set_valign (GTK_WIDGET (self->stage_bars[i]), GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (GTK_WIDGET (self->stage_bars[i]), 100, -1);
      adw_action_row_add_suffix (self->stage_rows[i], GTK_WIDGET (self->stage_bars[i]));
      adw_preferences_group_add (self->progress_group, GTK_WIDGET (self->stage_rows[i]));
    }
  reset_progress (self);

  self->cpu_series = ave_series_new (SERIES_CAPACITY);
  self->memory_series = ave_series_new (SERIES_CAPACITY);
  self->cost_series = ave_series_new (SERIES_CAPACITY);
  ave_graph_set_series (self->cpu_graph, self->cpu_series);
  ave_graph_set_series (self->memory_graph, self->memory_series);
  ave_graph_set_series (self->cost_graph, self->cost_series);
  ave_graph_set_span (self->cpu_graph, GRAPH_SPAN_S);
  ave_graph_set_span (self->memory_graph, GRAPH_SPAN_S);
  ave_graph_set_span (self->cost_graph, GRAPH_SPAN_S);
  ave_graph_set_color (self->cpu_graph, &cpu_color);
  ave_graph_set_color (self->memory_graph, &memory_color);
  ave_graph_set_color (self->cost_graph, &cost_color);
  ave_resource_sample_take (&self->last_sample);
  self->graph_start_us = self->last_sample.monotonic_us;
  refresh_memory_limit (self);
  on_sample (self);
  self->sample_source_id = g_timeout_add (SAMPLE_INTERVAL_MS, on_sample, self);

  self->preview = GTK_WIDGET (ave_preview_new ());
  gtk_widget_set_vexpand (self->preview, TRUE);
  gtk_box_append (self->preview_box, self->preview);
  if (self->settings != NULL)
    {
      g_settings_bind (self->settings, "show-captions", self->preview, "show-captions", G_SETTINGS_BIND_DEFAULT);
      g_signal_connect (self->settings, "changed::caption-style", G_CALLBACK (on_caption_style_changed), self);
      g_signal_connect (self->settings, "changed::budget-limit", G_CALLBACK (on_budget_changed), self);
      on_budget_changed (self->settings, "budget-limit", self);
    }
  on_caption_style_changed (self->settings, "caption-style", self);
  g_signal_connect (self->burn_captions_switch, "notify::active", G_CALLBACK (on_burn_captions_active), self);
  self->timeline = GTK_WIDGET (ave_timeline_new ());
  gtk_widget_set_vexpand (self->timeline, TRUE);
  gtk_box_append (self->timeline_box, self->timeline);
  /* One playhead: the preview drives the timeline, a click on the timeline seeks. */
  g_object_bind_property (self->preview, "position", self->timeline, "playhead", G_BINDING_SYNC_CREATE);
  g_signal_connect (self->timeline, "seek", G_CALLBACK (on_timeline_seek), self);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  self->recent_manager = gtk_recent_manager_get_default ();
  self->recent_changed_id = g_signal_connect (self->recent_manager, "changed", G_CALLBACK (on_recent_changed), self);
  refresh_recent_menu (self);

  update_plan_label (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-output-folder", FALSE);
}

AveWindow *
ave_window_new (AveApplication *application)
{
  AveWindow *self = g_object_new (AVE_TYPE_WINDOW, "application", application, NULL);
  AveEngineService *engine = ave_application_get_engine_service (application);

  /* Jobs that scripts start over D-Bus show here too. */
  if (engine != NULL)
    adw_header_bar_pack_end (self->header_bar, ave_service_jobs_button_new (engine));
  return self;
}
