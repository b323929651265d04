#define G_LOG_DOMAIN "ave-preferences"

#include "config.h"

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
  AdwEntryRow  *caption_style_row;
  AdwActionRow *output_folder_row;

  GSettings    *settings;
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

static void
ave_preferences_dispose (GObject *object)
{
  AvePreferences *self = AVE_PREFERENCES (object);

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
  gtk_widget_class_bind_template_child (widget_class, AvePreferences, caption_style_row);
  gtk_widget_class_bind_template_callback (widget_class, on_output_folder_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_caption_style_apply);
}

static void
ave_preferences_init (AvePreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
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
      gtk_editable_set_text (GTK_EDITABLE (self->caption_style_row), style);
      g_signal_connect (self->settings, "changed::output-folder", G_CALLBACK (on_output_folder_changed), self);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->caption_style_row), self->settings != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->output_folder_row), self->settings != NULL);
  update_output_folder_row (self);
  return self;
}
