#define G_LOG_DOMAIN "ave-preferences"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ave-app-settings.h"
#include "ave-preferences.h"

struct _AvePreferences
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow  *quality_row;
  AdwComboRow  *mode_row;
  AdwComboRow  *content_type_row;
  AdwComboRow  *preset_row;
  AdwComboRow  *retakes_row;
  AdwComboRow  *subtitles_row;
  GtkSwitch    *burn_captions_switch;
  GtkSwitch    *preview_proxies_switch;
  AdwEntryRow  *caption_style_row;
  AdwActionRow *output_folder_row;

  AdwComboRow  *director_row;
  AdwComboRow  *llm_provider_row;
  AdwEntryRow  *llm_url_row;
  AdwEntryRow  *llm_model_row;
  AdwEntryRow  *llm_key_row;
  AdwActionRow *llm_key_status_row;
  AdwComboRow  *asr_row;
  AdwEntryRow  *asr_url_row;
  AdwEntryRow  *asr_model_row;
  AdwEntryRow  *asr_key_row;
  AdwActionRow *asr_key_status_row;
  AdwEntryRow  *image_key_row;
  AdwActionRow *image_key_status_row;
  AdwComboRow  *thumbnail_art_row;
  AdwEntryRow  *image_url_row;
  AdwEntryRow  *image_model_row;
  GtkSpinButton *budget_spin;

  GSettings    *settings;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (AvePreferences, ave_preferences, ADW_TYPE_PREFERENCES_WINDOW)

static void
update_output_folder_row (AvePreferences *self)
{
  g_autofree char *folder = ave_app_settings_get_output_folder (self->settings);
  g_autofree char *escaped = g_markup_escape_text (folder, -1);

  adw_action_row_set_subtitle (self->output_folder_row, escaped);
}

static void
on_output_folder_changed (GSettings *settings, const char *key, AvePreferences *self)
{
  update_output_folder_row (self);
}

static void
on_folder_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  AvePreferences *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->settings != NULL)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "output-folder", path);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
on_output_folder_clicked (AvePreferences *self)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Choose the Output Folder"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), _("_Cancel"));
  g_autofree char *current = ave_app_settings_get_output_folder (self->settings);

  if (g_file_test (current, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) file = g_file_new_for_path (current);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), file, NULL);
    }
  g_signal_connect (chooser, "response", G_CALLBACK (on_folder_response), g_object_ref (self));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* A style is stored only when the engine accepts it, so a render never
 * fails on it; a refused one stays in the row, marked, with the reason. */
static void
on_caption_style_apply (AvePreferences *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->caption_style_row));
  g_autoptr(AveSettings) check = ave_settings_new ();
  g_autoptr(GError) error = NULL;

  if (!ave_app_settings_apply_caption_style (check, text, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->caption_style_row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->caption_style_row), error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->caption_style_row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->caption_style_row), NULL);
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "caption-style", text);
}

/* --- AI providers --- */

/* A URL or model is stored only when the engine's own option accepts it
 * (ave_app_settings_apply_provider), as the caption style. */
static void
on_provider_entry_apply (AdwEntryRow *row, AvePreferences *self)
{
  const char *key = g_object_get_data (G_OBJECT (row), "settings-key");
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autoptr(AveSettings) check = ave_settings_new ();
  g_autoptr(GError) error = NULL;

  if (!ave_app_settings_apply_provider (check, key, text, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), error->message);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (row), NULL);
  if (self->settings != NULL)
    g_settings_set_string (self->settings, key, text);
}

/* What the keyring work in a thread needs: copies, never the GSettings. */
typedef struct
{
  char *service;
  char *provider;
  char *url;
  char *key;      /* NULL for a status look-up */
} KeyTask;

static void
key_task_free (gpointer data)
{
  KeyTask *task = data;

  g_free (task->service);
  g_free (task->provider);
  g_free (task->url);
  if (task->key != NULL)
    {
      /* The key leaves no copy behind in freed memory. */
      memset (task->key, 0, strlen (task->key));
      g_free (task->key);
    }
  g_free (task);
}

static KeyTask *
key_task_new (AvePreferences *self, const char *service, const char *key)
{
  KeyTask *task = g_new0 (KeyTask, 1);

  task->service = g_strdup (service);
  task->key = g_strdup (key);
  ave_app_settings_key_target (self->settings, service, &task->provider, &task->url);
  return task;
}

static AdwActionRow *
status_row (AvePreferences *self, const char *service)
{
  if (g_str_equal (service, "asr"))
    return self->asr_key_status_row;
  if (g_str_equal (service, "image"))
    return self->image_key_status_row;
  return self->llm_key_status_row;
}

/* libsecret answers over D-Bus and may wait on an unlock prompt: the
 * look-up runs in a thread so the window never freezes. */
static void
describe_key_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  KeyTask *k = data;

  g_task_return_pointer (task, ave_app_settings_describe_key (k->service, k->provider, k->url), g_free);
}

static void
on_key_described (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AvePreferences *self = AVE_PREFERENCES (source);
  KeyTask *k = g_task_get_task_data (G_TASK (result));
  g_autofree char *text = g_task_propagate_pointer (G_TASK (result), NULL);
  g_autofree char *escaped = NULL;

  /* Closed meanwhile: the rows are gone (dispose cancelled the task). */
  if (text == NULL || g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  escaped = g_markup_escape_text (text, -1);
  adw_action_row_set_subtitle (status_row (self, k->service), escaped);
}

static void
update_key_status (AvePreferences *self, const char *service)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_key_described, NULL);

  adw_action_row_set_subtitle (status_row (self, service), _("Looking for a key…"));
  g_task_set_task_data (task, key_task_new (self, service, NULL), key_task_free);
  g_task_run_in_thread (task, describe_key_thread);
}

static void
on_key_target_changed (GSettings *settings, const char *key, AvePreferences *self)
{
  update_key_status (self, g_str_equal (key, "asr-url") ? "asr" : g_str_equal (key, "image-url") ? "image" : "llm");
}

static void
store_key_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  KeyTask *k = data;
  GError *error = NULL;

  if (ave_app_settings_store_key (k->service, k->provider, k->url, k->key, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_key_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AvePreferences *self = AVE_PREFERENCES (source);
  KeyTask *k = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
  else
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                      adw_toast_new (_("The key is stored in the desktop keyring")));
  update_key_status (self, k->service);
}

/* The key goes to the keyring only: the row is emptied at once, and
 * nothing of it is written to GSettings. */
static void
on_key_apply (AdwEntryRow *row, AvePreferences *self)
{
  const char *service = row == self->asr_key_row ? "asr" : row == self->image_key_row ? "image" : "llm";
  g_autofree char *key = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autoptr(GTask) task = NULL;

  gtk_editable_set_text (GTK_EDITABLE (row), "");
  if (*key == '\0')
    return;
  task = g_task_new (self, self->cancellable, on_key_stored, NULL);
  g_task_set_task_data (task, key_task_new (self, service, key), key_task_free);
  memset (key, 0, strlen (key));
  g_task_run_in_thread (task, store_key_thread);
}

static void
bind_provider_entry (AvePreferences *self, AdwEntryRow *row, const char *key)
{
  g_object_set_data (G_OBJECT (row), "settings-key", (gpointer) key);
  if (self->settings != NULL)
    {
      g_autofree char *value = g_settings_get_string (self->settings, key);
      gtk_editable_set_text (GTK_EDITABLE (row), value);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (row), self->settings != NULL);
}

static void
ave_preferences_dispose (GObject *object)
{
  AvePreferences *self = AVE_PREFERENCES (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), AVE_TYPE_PREFERENCES);
  G_OBJECT_CLASS (ave_preferences_parent_class)->dispose (object);
}

static void
ave_preferences_class_init (AvePreferencesClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ave_preferences_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/aivideoeditor/Editor/ave-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, quality_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, mode_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, content_type_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, preset_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, output_folder_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, retakes_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, subtitles_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, burn_captions_switch);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, preview_proxies_switch);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, caption_style_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, director_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, llm_provider_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, llm_url_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, llm_model_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, llm_key_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, llm_key_status_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, asr_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, asr_url_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, asr_model_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, asr_key_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, asr_key_status_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, image_key_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, image_key_status_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, thumbnail_art_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, image_url_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, image_model_row);
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, budget_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_output_folder_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_provider_entry_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_key_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_caption_style_apply);
}

static void
ave_preferences_init (AvePreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

AvePreferences *
ave_preferences_new (AveApplication *application)
{
  AvePreferences *self = g_object_new (AVE_TYPE_PREFERENCES, "application", application, NULL);
  GSettings *settings = ave_application_get_settings (application);

  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  ave_app_settings_bind_choice (self->settings, "quality", self->quality_row);
  ave_app_settings_bind_choice (self->settings, "mode", self->mode_row);
  ave_app_settings_bind_choice (self->settings, "content-type", self->content_type_row);
  ave_app_settings_bind_choice (self->settings, "preset", self->preset_row);
  ave_app_settings_bind_choice (self->settings, "retakes", self->retakes_row);
  ave_app_settings_bind_choice (self->settings, "subtitles", self->subtitles_row);
  if (self->settings != NULL)
    {
      g_autofree char *style = g_settings_get_string (self->settings, "caption-style");

      g_settings_bind (self->settings, "burn-captions", self->burn_captions_switch, "active",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "preview-proxies", self->preview_proxies_switch, "active",
                       G_SETTINGS_BIND_DEFAULT);
      gtk_editable_set_text (GTK_EDITABLE (self->caption_style_row), style);
      g_signal_connect (self->settings, "changed::output-folder", G_CALLBACK (on_output_folder_changed), self);
      g_settings_bind (self->settings, "budget-limit", self->budget_spin, "value", G_SETTINGS_BIND_DEFAULT);
      /* A key is filed under the provider and URL: another one may be there. */
      g_signal_connect (self->settings, "changed::llm-provider", G_CALLBACK (on_key_target_changed), self);
      g_signal_connect (self->settings, "changed::llm-url", G_CALLBACK (on_key_target_changed), self);
      g_signal_connect (self->settings, "changed::asr-url", G_CALLBACK (on_key_target_changed), self);
      g_signal_connect (self->settings, "changed::image-url", G_CALLBACK (on_key_target_changed), self);
    }
  ave_app_settings_bind_choice (self->settings, "director", self->director_row);
  ave_app_settings_bind_choice (self->settings, "llm-provider", self->llm_provider_row);
  ave_app_settings_bind_choice (self->settings, "asr", self->asr_row);
  bind_provider_entry (self, self->llm_url_row, "llm-url");
  bind_provider_entry (self, self->llm_model_row, "llm-model");
  bind_provider_entry (self, self->asr_url_row, "asr-url");
  bind_provider_entry (self, self->asr_model_row, "asr-model");
  ave_app_settings_bind_choice (self->settings, "thumbnail-art", self->thumbnail_art_row);
  bind_provider_entry (self, self->image_url_row, "image-url");
  bind_provider_entry (self, self->image_model_row, "image-model");
  gtk_widget_set_sensitive (GTK_WIDGET (self->budget_spin), self->settings != NULL);
  update_key_status (self, "llm");
  update_key_status (self, "asr");
  update_key_status (self, "image");
  gtk_widget_set_sensitive (GTK_WIDGET (self->caption_style_row), self->settings != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->output_folder_row), self->settings != NULL);
  update_output_folder_row (self);
  return self;
}
