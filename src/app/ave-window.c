#define G_LOG_DOMAIN "ave-window"

#include "config.h"

#include <glib/gi18n.h>

#include "core/ave-error.h"
#include "core/ave-monitor.h"
#include "director/ave-project.h"
#include "pipeline/ave-job.h"
#include "resources/ave-cost-ledger.h"

#include "ave-app-settings.h"
#include "ave-document.h"
#include "ave-graph.h"
#include "ave-preview.h"
#include "ave-series.h"
#include "ave-service-jobs.h"
#include "ave-timeline.h"
#include "ave-transcript-view.h"
#include "ave-window.h"

/* Four samples a second over a minute of history. */
#define SAMPLE_INTERVAL_MS 250
#define GRAPH_SPAN_S       60
#define SERIES_CAPACITY    (GRAPH_SPAN_S * 1000 / SAMPLE_INTERVAL_MS + 4)

/* The window is a view of one AveDocument (ave-document.h): it shows the
 * document's video, plan, jobs and results, and turns the user's commands
 * into calls on it.  The processing controls, the live graphs and the
 * recent projects are the window's own. */
struct _AveWindow
{
  AdwApplicationWindow parent_instance;

  /* template */
  AdwHeaderBar         *header_bar;
  AdwWindowTitle       *window_title;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  AdwFlap              *flap;
  GtkToggleButton      *settings_button;
  GtkToggleButton      *results_button;
  GtkWidget            *process_button;
  GtkWidget            *cancel_button;
  GtkStack             *view_stack;
  GtkBox               *preview_box;
  GtkBox               *transcript_box;
  GtkBox               *timeline_box;
  GtkLabel             *plan_label;
  GtkLabel             *job_label;
  GtkGrid              *stage_grid;
  GtkLabel             *results_empty_label;
  GtkFlowBox           *thumbnails_box;
  AdwPreferencesGroup  *metadata_group;
  AdwPreferencesGroup  *warnings_group;
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
  AdwComboRow          *director_row;
  AdwComboRow          *llm_provider_row;
  AdwComboRow          *asr_row;
  GtkSwitch            *burn_captions_switch;
  GtkLabel             *cpu_label;
  GtkLabel             *memory_label;
  GtkLabel             *cost_label;
  AveGraph             *cpu_graph;
  AveGraph             *memory_graph;
  AveGraph             *cost_graph;
  GMenu                *recent_menu;

  GtkLabel             *stage_states[AVE_N_STAGES];
  GtkProgressBar       *stage_bars[AVE_N_STAGES];

  GSettings            *settings;
  GtkWidget            *timeline;
  GtkWidget            *preview;
  GtkWidget            *transcript;
  GtkDropTarget        *drop_target;

  AveDocument          *document;
  gboolean              measuring;        /* the stall monitor, while busy */
  GtkWidget            *warning_rows[8];  /* the newest warnings */
  guint                 n_warnings;
  guint                 results_serial;   /* of the thumbnails being loaded */

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

static AveApplication *
get_app (AveWindow *self)
{
  return AVE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static void
update_actions (AveWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autofree char *dir = ave_document_dup_output_dir (self->document);

  if (app != NULL)
    ave_application_update_actions (AVE_APPLICATION (app));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-output-folder", dir != NULL);
}

/* The transcript view fills the pane beside the preview. */
static void
set_transcript (AveWindow *self, GtkWidget *transcript)
{
  gtk_widget_set_vexpand (transcript, TRUE);
  gtk_box_append (self->transcript_box, transcript);
}

AveDocument *
ave_window_get_document (AveWindow *self)
{
  g_return_val_if_fail (AVE_IS_WINDOW (self), NULL);
  return self->document;
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
      gtk_label_set_label (self->stage_states[i], _("Waiting"));
    }
}

static void
on_stage_started (AveDocument *document, guint stage, AveWindow *self)
{
  g_return_if_fail (stage < AVE_N_STAGES);
  gtk_progress_bar_set_fraction (self->stage_bars[stage], 0);
  gtk_label_set_label (self->stage_states[stage], _("Running…"));
}

static void
on_stage_progress (AveDocument *document, guint stage, double fraction, AveWindow *self)
{
  g_return_if_fail (stage < AVE_N_STAGES);
  gtk_progress_bar_set_fraction (self->stage_bars[stage], fraction);
}

static void
on_stage_finished (AveDocument *document, guint stage, gboolean skipped, double seconds, AveWindow *self)
{
  g_autofree char *text = NULL;

  g_return_if_fail (stage < AVE_N_STAGES);
  gtk_progress_bar_set_fraction (self->stage_bars[stage], 1);
  if (skipped)
    gtk_label_set_label (self->stage_states[stage], _("Skipped: nothing to do"));
  else
    {
      text = g_strdup_printf (_("Done in %.1f s"), seconds);
      gtk_label_set_label (self->stage_states[stage], text);
    }
}

/* The strip's heading: which job runs and how many wait. */
static void
update_job_label (AveWindow *self, guint kind, const char *source)
{
  guint waiting = ave_document_get_n_waiting (self->document);
  g_autofree char *name = source != NULL ? g_path_get_basename (source) : NULL;
  g_autofree char *text = NULL;

  if (!ave_document_is_busy (self->document))
    text = g_strdup (_("No job running"));
  else if (name == NULL)
    text = g_strdup (_("Starting…"));
  else if (waiting == 0)
    text = g_strdup_printf (kind == AVE_JOB_RENDER ? _("Rendering %s") : _("Processing %s"), name);
  else
    /* Translators: "Processing talk.mp4 (2 more queued)" */
    text = g_strdup_printf (kind == AVE_JOB_RENDER ? _("Rendering %s (%u more queued)")
                                                   : _("Processing %s (%u more queued)"), name, waiting);
  gtk_label_set_label (self->job_label, text);
}

static void
on_job_started (AveDocument *document, guint kind, const char *source, AveWindow *self)
{
  reset_progress (self);
  update_job_label (self, kind, source);
}

/* ------------------------------------------------------------ the model */

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
  AvePlan *plan = ave_document_get_plan (self->document);
  g_autofree char *kept = NULL;
  g_autofree char *total = NULL;
  g_autofree char *text = NULL;
  guint n, n_cut = 0;

  if (plan == NULL)
    {
      gtk_label_set_label (self->plan_label,
                           ave_document_get_source (self->document) != NULL
                           ? _("Press Process to analyse the video and plan the edit.") : "");
      return;
    }
  n = ave_plan_get_n_segments (plan);
  for (guint i = 0; i < n; i++)
    if (!ave_plan_get_segment (plan, i)->enabled)
      n_cut++;
  kept = format_time (ave_plan_get_output_duration (plan));
  total = format_time (ave_plan_get_source_duration (plan));
  /* Translators: "12 segments, 3 cut out: 1:02 of 1:30 kept" */
  text = g_strdup_printf (ngettext ("%u segment, %u cut out: %s of %s kept",
                                    "%u segments, %u cut out: %s of %s kept", n),
                          n, n_cut, kept, total);
  gtk_label_set_label (self->plan_label, text);
}

static void
on_plan_changed (AveDocument *document, AveWindow *self)
{
  update_plan_label (self);
  update_actions (self);
}

/* The timeline and the preview show the document's analysis and plan. */
static void
on_model_changed (AveDocument *document, AveWindow *self)
{
  if (self->timeline != NULL)
    ave_timeline_set_model (AVE_TIMELINE (self->timeline), ave_document_get_history (document),
                            ave_document_get_analysis (document));
  if (self->preview != NULL)
    {
      ave_preview_set_plan (AVE_PREVIEW (self->preview), ave_document_get_plan (document));
      ave_preview_set_analysis (AVE_PREVIEW (self->preview), ave_document_get_analysis (document));
    }
  if (self->transcript != NULL)
    {
      /* Cuts made in the text keep the padding the plan was made with. */
      if (self->settings != NULL)
        {
          g_autoptr(AveSettings) settings = ave_app_settings_build_from_gsettings (self->settings, NULL);
          if (settings != NULL)
            ave_transcript_view_set_word_padding (AVE_TRANSCRIPT_VIEW (self->transcript),
                                                  settings->word_padding);
        }
      ave_transcript_view_set_model (AVE_TRANSCRIPT_VIEW (self->transcript),
                                     ave_document_get_history (document),
                                     ave_document_get_analysis (document));
    }
  update_plan_label (self);
  update_actions (self);
}

static void
on_state_changed (AveDocument *document, AveWindow *self)
{
  update_actions (self);
}

static void
clear_warnings (AveWindow *self)
{
  for (guint i = 0; i < self->n_warnings; i++)
    adw_preferences_group_remove (self->warnings_group, self->warning_rows[i]);
  self->n_warnings = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->warnings_group), FALSE);
}

/* A new video: its name and size in the title, the editor shown. */
static void
on_source_changed (AveDocument *document, GParamSpec *pspec, AveWindow *self)
{
  const char *path = ave_document_get_source (document);
  const AveMediaInfo *media = ave_document_get_media (document);
  g_autofree char *basename = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *duration = NULL;

  if (path == NULL || media == NULL)
    return;
  basename = g_path_get_basename (path);
  duration = format_time (media->duration);
  if (media->has_video)
    subtitle = g_strdup_printf ("%s — %d×%d, %s", basename, media->display_width, media->display_height, duration);
  else
    subtitle = g_strdup_printf ("%s — %s", basename, duration);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_stack_set_visible_child_name (self->stack, "project");
  gtk_toggle_button_set_active (self->results_button, FALSE);
  if (!ave_document_is_busy (document))
    reset_progress (self);
  clear_warnings (self);

  if (self->preview != NULL)
    ave_preview_set_source (AVE_PREVIEW (self->preview), path);
  /* The model is already cleared: "model-changed" came first. */
  update_plan_label (self);
  update_actions (self);
}

/* ------------------------------------------------------------- opening */

void
ave_window_open_file (AveWindow *self, GFile *file)
{
  g_return_if_fail (AVE_IS_WINDOW (self));
  ave_document_open (self->document, file);
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

/* The processing settings of the window's controls; NULL and an error
 * that names the preference to fix. */
static const char *
selected_value (AdwComboRow *row, const char *key)
{
  return ave_app_settings_choice_value (key, adw_combo_row_get_selected (row));
}

static AveSettings *
build_settings (AveWindow *self, GError **error)
{
  g_autoptr(AveSettings) settings = NULL;
  g_autofree char *style = NULL;

  settings = ave_app_settings_build (selected_value (self->quality_row, "quality"),
                                     selected_value (self->mode_row, "mode"),
                                     selected_value (self->content_type_row, "content-type"),
                                     selected_value (self->preset_row, "preset"),
                                     error);
  if (settings == NULL)
    return NULL;
  style = self->settings != NULL ? g_settings_get_string (self->settings, "caption-style") : NULL;
  if (!ave_app_settings_apply_captions (settings, selected_value (self->subtitles_row, "subtitles"),
                                        gtk_switch_get_active (self->burn_captions_switch),
                                        selected_value (self->retakes_row, "retakes"), style, error) ||
      !ave_app_settings_apply_providers (settings, self->settings, error))
    return NULL;
  return g_steal_pointer (&settings);
}

/* --output-dir of this instance, or the preference. */
static char *
dup_output_root (AveWindow *self)
{
  const char *override = ave_application_get_output_root (get_app (self));

  return override != NULL ? g_strdup (override) : ave_app_settings_get_output_folder (self->settings);
}

/* The graphs measure against the budgets of the job about to start. */
static void
apply_job_budgets (AveWindow *self, const AveSettings *settings)
{
  /* The ledger the graph draws holds this job's budget (0: none). */
  ave_cost_ledger_set_budget (ave_cost_ledger_get_default (), settings->budget_limit_usd);
  self->memory_limit = ave_app_settings_memory_limit (settings);
  ave_graph_set_limit (self->memory_graph, self->memory_limit / (1024.0 * 1024.0));
}

/* Several files dropped at once: the first opens when no video is open,
 * and each is queued to be processed, one after another. */
gboolean
ave_window_drop_files (AveWindow *self, GSList *files)
{
  g_autoptr(AveSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output_root = NULL;
  guint queued = 0;

  g_return_val_if_fail (AVE_IS_WINDOW (self), FALSE);
  if (files == NULL)
    return FALSE;
  settings = build_settings (self, &error);
  if (settings == NULL)
    {
      ave_window_show_error (self, error, _("Preferences"), "app.preferences");
      return FALSE;
    }
  output_root = dup_output_root (self);
  if (ave_document_get_source (self->document) == NULL && !ave_document_is_busy (self->document))
    ave_window_open_file (self, files->data);
  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);

      if (path == NULL || g_str_has_suffix (path, ".aveproj"))
        {
          /* A project opens instead (when it is the only thing dropped). */
          if (path != NULL && files->next == NULL)
            ave_window_open_file (self, l->data);
          else if (path == NULL)
            ave_window_show_message (self, _("Only local files can be processed; copy the video to this computer first"));
          continue;
        }
      if (queued == 0 && !ave_document_is_busy (self->document))
        apply_job_budgets (self, settings);
      if (!ave_document_queue_video (self->document, path, settings, output_root, &error))
        {
          ave_window_show_error (self, error, _("Preferences"), "app.preferences");
          return queued > 0;
        }
      queued++;
    }
  if (queued > 1)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("%u video queued", "%u videos queued", queued), queued);
      ave_window_show_message (self, text);
    }
  return TRUE;
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, gpointer user_data)
{
  AveWindow *self = user_data;
  g_autoptr(GSList) files = NULL;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    files = gdk_file_list_get_files (g_value_get_boxed (value));
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE) && g_value_get_object (value) != NULL)
    files = g_slist_prepend (NULL, g_value_get_object (value));
  return ave_window_drop_files (self, files);
}

/* ------------------------------------------------------------- projects */

char *ave_window_dup_output_dir (AveWindow *self);

char *
ave_window_dup_output_dir (AveWindow *self)
{
  return ave_document_dup_output_dir (self->document);
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

/* A project opened or saved is a recent one. */
static void
on_project_path_changed (AveDocument *document, GParamSpec *pspec, AveWindow *self)
{
  const char *path = ave_document_get_project_path (document);

  if (path != NULL)
    add_recent_project (self, path);
}

gboolean
ave_window_save_project_to (AveWindow *self, const char *path, GError **error)
{
  g_return_val_if_fail (AVE_IS_WINDOW (self), FALSE);
  return ave_document_save_project_to (self->document, path, error);
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

  if (ave_document_get_plan (self->document) == NULL)
    {
      ave_window_show_message (self, _("There is no edit to save yet: process the video first"));
      return;
    }
  chooser = gtk_file_chooser_native_new (_("Save the Project"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  if (ave_document_get_project_path (self->document) != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (ave_document_get_project_path (self->document));
      gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, NULL);
    }
  else
    {
      g_autofree char *stem = ave_job_output_stem (ave_document_get_source (self->document));
      g_autofree char *dir = g_path_get_dirname (ave_document_get_source (self->document));
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

  /* A texture of results shown before the current ones: they are gone. */
  if (self->disposed || texture == NULL || GPOINTER_TO_UINT (user_data) != self->results_serial)
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
  GPtrArray *thumbnails = ave_document_get_thumbnails (self->document);
  const char *metadata = ave_document_get_metadata_path (self->document);
  GtkWidget *child;

  self->results_serial++;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnails_box))) != NULL)
    gtk_flow_box_remove (self->thumbnails_box, child);
  for (guint i = 0; i < thumbnails->len; i++)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, on_texture_loaded, GUINT_TO_POINTER (self->results_serial));

      /* Decoding a 1280-pixel JPEG takes longer than a frame. */
      g_task_set_task_data (task, g_strdup (thumbnails->pdata[i]), g_free);
      g_task_run_in_thread (task, texture_thread);
    }
  if (metadata != NULL)
    show_metadata (self, metadata);
  gtk_widget_set_visible (GTK_WIDGET (self->thumbnails_box), thumbnails->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->metadata_group), metadata != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->results_empty_label), thumbnails->len == 0 && metadata == NULL);
}

/* Results come in while a job runs; they are shown once it is done (or at
 * once when read from disk for a project). */
static void
on_results_changed (AveDocument *document, AveWindow *self)
{
  if (!ave_document_is_busy (document))
    show_results (self);
  update_actions (self);
}

static void
on_warning (AveDocument *document, const char *message, AveWindow *self)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  /* The newest few; older ones were toasts already. */
  if (self->n_warnings == G_N_ELEMENTS (self->warning_rows))
    {
      adw_preferences_group_remove (self->warnings_group, self->warning_rows[0]);
      memmove (self->warning_rows, self->warning_rows + 1, sizeof self->warning_rows[0] * (self->n_warnings - 1));
      self->n_warnings--;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), TRUE);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 3);
  adw_preferences_group_add (self->warnings_group, row);
  self->warning_rows[self->n_warnings++] = row;
  gtk_widget_set_visible (GTK_WIDGET (self->warnings_group), TRUE);
}

static void
open_output_folder (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AveWindow *self = AVE_WINDOW (widget);
  g_autofree char *dir = ave_document_dup_output_dir (self->document);
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

static void
toggle_flap (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AveWindow *self = AVE_WINDOW (widget);

  gtk_toggle_button_set_active (self->settings_button, !gtk_toggle_button_get_active (self->settings_button));
}

static void
toggle_results (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AveWindow *self = AVE_WINDOW (widget);

  gtk_toggle_button_set_active (self->results_button, !gtk_toggle_button_get_active (self->results_button));
}

static void
on_results_toggled (GtkToggleButton *button, AveWindow *self)
{
  gtk_stack_set_visible_child_name (self->view_stack, gtk_toggle_button_get_active (button) ? "results" : "edit");
}

/* The settings and the results belong to a video: nothing to toggle on
 * the empty page. */
static void
on_page_changed (GtkStack *stack, GParamSpec *pspec, AveWindow *self)
{
  gboolean project = g_strcmp0 (gtk_stack_get_visible_child_name (stack), "project") == 0;

  gtk_widget_set_sensitive (GTK_WIDGET (self->settings_button), project);
  gtk_widget_set_sensitive (GTK_WIDGET (self->results_button), project);
}

/* ------------------------------------------------------------------ jobs */

gboolean
ave_window_is_busy (AveWindow *self)
{
  return ave_document_is_busy (self->document);
}

gboolean
ave_window_can_process (AveWindow *self)
{
  return ave_document_can_process (self->document);
}

gboolean
ave_window_has_plan (AveWindow *self)
{
  return ave_document_get_plan (self->document) != NULL;
}

gboolean
ave_window_can_render (AveWindow *self)
{
  return ave_document_can_render (self->document);
}

gboolean
ave_window_can_undo (AveWindow *self)
{
  return ave_document_can_undo (self->document);
}

gboolean
ave_window_can_redo (AveWindow *self)
{
  return ave_document_can_redo (self->document);
}

static void
set_controls_sensitive (AveWindow *self, gboolean sensitive)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->quality_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mode_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->content_type_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->preset_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retakes_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->subtitles_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->burn_captions_switch), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->director_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->llm_provider_row), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->asr_row), sensitive);
}

/* While jobs run or wait: the controls are locked (they made the jobs'
 * settings), Cancel replaces Process, and the stall monitor measures. */
static void
on_busy_changed (AveDocument *document, GParamSpec *pspec, AveWindow *self)
{
  gboolean busy = ave_document_is_busy (document);
  AveApplication *app = get_app (self);

  set_controls_sensitive (self, !busy);
  gtk_widget_set_visible (self->cancel_button, busy);
  gtk_widget_set_visible (self->process_button, !busy);
  if (busy != self->measuring && app != NULL)
    {
      if (busy)
        ave_stall_monitor_begin (ave_application_get_stall_monitor (app));
      else
        ave_stall_monitor_end (ave_application_get_stall_monitor (app));
      self->measuring = busy;
    }
  if (!busy)
    {
      update_job_label (self, AVE_JOB_PROCESS, NULL);
      show_results (self);
    }
  update_actions (self);
}

static void
on_job_finished (AveDocument *document, guint kind, const char *source, gboolean ok, AveWindow *self)
{
  /* A cancelled or failed job leaves no stage half done on screen. */
  if (!ok && !ave_document_is_busy (document))
    reset_progress (self);
}

static void
on_document_message (AveDocument *document, const char *message, AveWindow *self)
{
  ave_window_show_message (self, message);
}

static void
on_document_error (AveDocument *document, const GError *error, const char *button_label,
                   const char *action_name, AveWindow *self)
{
  ave_window_show_error (self, error, button_label, action_name);
}

static void
start_job (AveWindow *self, AveJobKind kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveSettings) settings = build_settings (self, &error);
  g_autofree char *output_root = NULL;
  gboolean ok;

  if (settings == NULL)
    {
      ave_window_show_error (self, error, _("Preferences"), "app.preferences");
      return;
    }
  output_root = dup_output_root (self);
  apply_job_budgets (self, settings);
  if (kind == AVE_JOB_RENDER)
    ok = ave_document_render (self->document, settings, output_root, &error);
  else
    ok = ave_document_process (self->document, settings, output_root, &error);
  if (!ok)
    {
      if (g_error_matches (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_NOT_WRITABLE))
        ave_window_show_error (self, error, _("Preferences"), "app.preferences");
      else if (kind == AVE_JOB_RENDER)
        ave_window_show_error (self, error, _("Undo"), "app.undo");
      else
        ave_window_show_error (self, error, NULL, NULL);
    }
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
  if (!ave_document_can_process (self->document))
    return;
  if (!ave_document_can_undo (self->document))
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
  g_return_if_fail (AVE_IS_WINDOW (self));
  if (!ave_document_can_render (self->document))
    return;
  start_job (self, AVE_JOB_RENDER);
}

void
ave_window_cancel (AveWindow *self)
{
  g_return_if_fail (AVE_IS_WINDOW (self));
  ave_document_cancel (self->document);
}

void
ave_window_undo (AveWindow *self)
{
  ave_document_undo (self->document);
}

void
ave_window_redo (AveWindow *self)
{
  ave_document_redo (self->document);
}

gboolean
ave_window_set_segment_enabled (AveWindow *self, guint index, gboolean enabled)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (AVE_IS_WINDOW (self), FALSE);
  if (!ave_document_set_segment_enabled (self->document, index, enabled, &error))
    {
      if (error != NULL)
        ave_window_show_message (self, error->message);
      return FALSE;
    }
  return TRUE;
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
  if (self->document != NULL)
    {
      /* The jobs hold the document until they stop; nothing of theirs
       * comes here any more. */
      ave_document_cancel (self->document);
      g_signal_handlers_disconnect_by_data (self->document, self);
      g_clear_object (&self->document);
    }
  if (self->measuring && get_app (self) != NULL)
    ave_stall_monitor_end (ave_application_get_stall_monitor (get_app (self)));
  self->measuring = FALSE;
  g_clear_handle_id (&self->sample_source_id, g_source_remove);
  if (self->recent_manager != NULL)
    g_clear_signal_handler (&self->recent_changed_id, self->recent_manager);
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
  g_clear_object (&self->cpu_series);
  g_clear_object (&self->memory_series);
  g_clear_object (&self->cost_series);
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
  gtk_widget_class_bind_template_child (widget_class, AveWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, settings_button);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, results_button);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, process_button);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, preview_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, transcript_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, timeline_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, plan_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, job_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, stage_grid);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, results_empty_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, thumbnails_box);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, metadata_group);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, warnings_group);
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
  gtk_widget_class_bind_template_child (widget_class, AveWindow, director_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, llm_provider_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, asr_row);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, burn_captions_switch);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cpu_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, memory_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cost_label);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cpu_graph);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, memory_graph);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, cost_graph);
  gtk_widget_class_bind_template_child (widget_class, AveWindow, recent_menu);
  gtk_widget_class_install_action (widget_class, "win.open-output-folder", NULL, open_output_folder);
  gtk_widget_class_install_action (widget_class, "win.toggle-settings", NULL, toggle_flap);
  gtk_widget_class_install_action (widget_class, "win.toggle-results", NULL, toggle_results);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-settings", NULL);
  /* F10 is GTK's key for the primary menu. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                      "win.toggle-results", NULL);
}

static void
on_choice_changed (GObject *object, GParamSpec *pspec, AveWindow *self)
{
  if (!ave_document_is_busy (self->document))
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
on_transcript_seek (AveTranscriptView *view,
                    double             source_time,
                    double             output_time,
                    AveWindow         *self)
{
  if (ave_preview_get_plays_edit (AVE_PREVIEW (self->preview)))
    ave_preview_seek_output (AVE_PREVIEW (self->preview), output_time);
  else
    ave_preview_seek (AVE_PREVIEW (self->preview), source_time);
}

static void
on_preview_position (AvePreview *preview,
                     GParamSpec *pspec,
                     AveWindow  *self)
{
  ave_transcript_view_set_playhead (AVE_TRANSCRIPT_VIEW (self->transcript),
                                    ave_preview_get_position (preview));
}

static void
on_timeline_seek (GtkWidget *timeline, double source_time, AveWindow *self)
{
  ave_preview_seek (AVE_PREVIEW (self->preview), source_time);
}

static void
build_stage_strip (AveWindow *self)
{
  for (guint i = 0; i < AVE_N_STAGES; i++)
    {
      GtkWidget *title = gtk_label_new (stage_title (i));
      GtkWidget *bar = gtk_progress_bar_new ();
      GtkWidget *state = gtk_label_new (NULL);

      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_widget_add_css_class (title, "caption");
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (bar, 90, -1);
      gtk_label_set_xalign (GTK_LABEL (state), 0);
      gtk_label_set_width_chars (GTK_LABEL (state), 14);
      gtk_widget_add_css_class (state, "caption");
      gtk_widget_add_css_class (state, "dim-label");
      gtk_grid_attach (self->stage_grid, title, 0, i, 1, 1);
      gtk_grid_attach (self->stage_grid, bar, 1, i, 1, 1);
      gtk_grid_attach (self->stage_grid, state, 2, i, 1, 1);
      /* The bar is read out with the stage's name. */
      gtk_accessible_update_relation (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_RELATION_LABELLED_BY, title, NULL, -1);
      self->stage_bars[i] = GTK_PROGRESS_BAR (bar);
      self->stage_states[i] = GTK_LABEL (state);
    }
  reset_progress (self);
}

static void
ave_window_init (AveWindow *self)
{
  GdkRGBA cpu_color = { 0.21, 0.52, 0.89, 1 };
  GdkRGBA memory_color = { 0.57, 0.25, 0.67, 1 };
  GdkRGBA cost_color = { 0.15, 0.64, 0.41, 1 };
  GType drop_types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = ave_app_settings_new ();
  self->document = ave_document_new ();

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
  /* The same keys as the preferences: the job reads them from GSettings
   * (ave_app_settings_apply_providers). */
  ave_app_settings_bind_choice (self->settings, "director", self->director_row);
  ave_app_settings_bind_choice (self->settings, "llm-provider", self->llm_provider_row);
  ave_app_settings_bind_choice (self->settings, "asr", self->asr_row);
  if (self->settings != NULL)
    g_settings_bind (self->settings, "burn-captions", self->burn_captions_switch, "active", G_SETTINGS_BIND_DEFAULT);

  build_stage_strip (self);

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
      g_settings_bind (self->settings, "preview-proxies", self->preview, "use-proxies", G_SETTINGS_BIND_DEFAULT);
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
  /* The transcript beside the preview: a click on a word seeks there (in
   * output time: the preview plays the edit), the playing word follows. */
  self->transcript = ave_transcript_view_new ();
  set_transcript (self, self->transcript);
  g_signal_connect (self->transcript, "seek", G_CALLBACK (on_transcript_seek), self);
  g_signal_connect (self->preview, "notify::position", G_CALLBACK (on_preview_position), self);

  /* The views follow the document. */
  g_signal_connect (self->document, "notify::source", G_CALLBACK (on_source_changed), self);
  g_signal_connect (self->document, "notify::project-path", G_CALLBACK (on_project_path_changed), self);
  g_signal_connect (self->document, "notify::busy", G_CALLBACK (on_busy_changed), self);
  g_signal_connect (self->document, "model-changed", G_CALLBACK (on_model_changed), self);
  g_signal_connect (self->document, "plan-changed", G_CALLBACK (on_plan_changed), self);
  g_signal_connect (self->document, "state-changed", G_CALLBACK (on_state_changed), self);
  g_signal_connect (self->document, "job-started", G_CALLBACK (on_job_started), self);
  g_signal_connect (self->document, "job-finished", G_CALLBACK (on_job_finished), self);
  g_signal_connect (self->document, "stage-started", G_CALLBACK (on_stage_started), self);
  g_signal_connect (self->document, "stage-progress", G_CALLBACK (on_stage_progress), self);
  g_signal_connect (self->document, "stage-finished", G_CALLBACK (on_stage_finished), self);
  g_signal_connect (self->document, "results-changed", G_CALLBACK (on_results_changed), self);
  g_signal_connect (self->document, "message", G_CALLBACK (on_document_message), self);
  g_signal_connect (self->document, "warning", G_CALLBACK (on_warning), self);
  g_signal_connect (self->document, "error", G_CALLBACK (on_document_error), self);

  g_signal_connect (self->results_button, "toggled", G_CALLBACK (on_results_toggled), self);
  g_signal_connect (self->stack, "notify::visible-child-name", G_CALLBACK (on_page_changed), self);
  on_page_changed (self->stack, NULL, self);

  /* A file manager offers a file list; a single GFile is taken too. */
  self->drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (self->drop_target, drop_types, G_N_ELEMENTS (drop_types));
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drop_target));

  self->recent_manager = gtk_recent_manager_get_default ();
  self->recent_changed_id = g_signal_connect (self->recent_manager, "changed", G_CALLBACK (on_recent_changed), self);
  refresh_recent_menu (self);

  update_job_label (self, AVE_JOB_PROCESS, NULL);
  show_results (self);
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
