#define G_LOG_DOMAIN "ave-application"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "ave-app-settings.h"
#include "ave-preferences.h"
#include "ave-window.h"
#include "ave-application.h"

struct _AveApplication
{
  AdwApplication   parent_instance;
  GSettings       *settings;
  AveStallMonitor *stall_monitor;
  char            *output_root;
  AveEngineService *engine;       /* the D-Bus API, while registered */
};

G_DEFINE_FINAL_TYPE (AveApplication, ave_application, ADW_TYPE_APPLICATION)

GSettings *
ave_application_get_settings (AveApplication *self)
{
  return self->settings;
}

AveStallMonitor *
ave_application_get_stall_monitor (AveApplication *self)
{
  return self->stall_monitor;
}

AveEngineService *
ave_application_get_engine_service (AveApplication *self)
{
  return self->engine;
}

const char *
ave_application_get_output_root (AveApplication *self)
{
  return self->output_root;
}

static AveWindow *
get_window (AveApplication *self, gboolean create)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      /* Another top level (preferences, about) may be the active one. */
      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
        if (AVE_IS_WINDOW (l->data))
          return l->data;
    }
  else if (!AVE_IS_WINDOW (window))
    window = gtk_window_get_transient_for (window);

  if (window == NULL || !AVE_IS_WINDOW (window))
    {
      if (!create)
        return NULL;
      window = GTK_WINDOW (ave_window_new (self));
    }
  return AVE_WINDOW (window);
}

static void
set_enabled (AveApplication *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  if (action != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

void
ave_application_update_actions (AveApplication *self)
{
  AveWindow *window = get_window (self, FALSE);

  set_enabled (self, "process", window != NULL && ave_window_can_process (window));
  set_enabled (self, "cancel", window != NULL && ave_window_is_busy (window));
  set_enabled (self, "render", window != NULL && ave_window_can_render (window));
  set_enabled (self, "undo", window != NULL && ave_window_can_undo (window));
  set_enabled (self, "redo", window != NULL && ave_window_can_redo (window));
  set_enabled (self, "save-project", window != NULL && ave_window_has_plan (window));
  set_enabled (self, "cut-segment", window != NULL && ave_window_has_plan (window));
  set_enabled (self, "restore-segment", window != NULL && ave_window_has_plan (window));
}

/* ---------------------------------------------------------------- actions */

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveApplication *self = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing cancels running jobs; their threads stop at the next check. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
  g_application_quit (G_APPLICATION (self));
}

static void
open_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, TRUE);

  gtk_window_present (GTK_WINDOW (window));
  ave_window_show_open_dialog (window);
}

static void
open_project_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, TRUE);

  gtk_window_present (GTK_WINDOW (window));
  ave_window_show_open_project_dialog (window);
}

static void
open_recent_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, TRUE);
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (parameter, NULL));

  gtk_window_present (GTK_WINDOW (window));
  ave_window_open_file (window, file);
}

static void
process_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_process (window);
}

static void
cancel_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_cancel (window);
}

static void
render_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_render (window);
}

static void
undo_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_undo (window);
}

static void
redo_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_redo (window);
}

static void
save_project_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_save_project (window);
}

static void
cut_segment_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_set_segment_enabled (window, g_variant_get_uint32 (parameter), FALSE);
}

static void
restore_segment_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, FALSE);

  if (window != NULL)
    ave_window_set_segment_enabled (window, g_variant_get_uint32 (parameter), TRUE);
}

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, TRUE);
  GtkWindow *preferences = GTK_WINDOW (ave_preferences_new (AVE_APPLICATION (user_data)));

  gtk_window_set_transient_for (preferences, GTK_WINDOW (window));
  gtk_window_present (preferences);
}

static void
shortcuts_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, TRUE);
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/io/github/aivideoeditor/Editor/ave-shortcuts.ui");
  GtkWindow *shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));

  gtk_window_set_transient_for (shortcuts, GTK_WINDOW (window));
  gtk_window_present (shortcuts);
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AveWindow *window = get_window (user_data, TRUE);
  const char *developers[] = { "The AI Video Editor developers", NULL };
  GtkWidget *about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                                   "transient-for", window,
                                   "application-name", _("AI Video Editor"),
                                   "application-icon", APPLICATION_ID,
                                   "version", PACKAGE_VERSION,
                                   "developer-name", _("The AI Video Editor developers"),
                                   "developers", developers,
                                   "comments", _("Turns raw recordings into edited videos with thumbnails, titles, "
                                                 "a description and chapters. Works offline."),
                                   "website", "https://github.com/aivideoeditor/ai-video-editor",
                                   "issue-url", "https://github.com/aivideoeditor/ai-video-editor/issues",
                                   "license-type", GTK_LICENSE_GPL_3_0,
                                   /* Translators: your names, one per line */
                                   "translator-credits", _("translator-credits"),
                                   NULL);

  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "open", open_activated },
  { "open-project", open_project_activated },
  { "open-recent", open_recent_activated, "s" },
  { "process", process_activated },
  { "cancel", cancel_activated },
  { "render", render_activated },
  { "undo", undo_activated },
  { "redo", redo_activated },
  { "save-project", save_project_activated },
  { "cut-segment", cut_segment_activated, "u" },
  { "restore-segment", restore_segment_activated, "u" },
  { "preferences", preferences_activated },
  { "shortcuts", shortcuts_activated },
  { "about", about_activated },
};

static const struct {
  const char *action;
  const char *accels[3];
} app_accels[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.open", { "<Control>o", NULL } },
  { "app.open-project", { "<Control><Shift>o", NULL } },
  { "app.save-project", { "<Control>s", NULL } },
  { "app.process", { "<Control>Return", NULL } },
  { "app.render", { "<Control>r", NULL } },
  { "app.cancel", { "<Control>period", NULL } },
  { "app.undo", { "<Control>z", NULL } },
  { "app.redo", { "<Control><Shift>z", "<Control>y", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "app.shortcuts", { "<Control>question", NULL } },
};

/* ------------------------------------------------------------ lifecycle */

static void
on_active_window_changed (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  ave_application_update_actions (AVE_APPLICATION (object));
}

static void
ave_application_startup (GApplication *application)
{
  AveApplication *self = AVE_APPLICATION (application);

  G_APPLICATION_CLASS (ave_application_parent_class)->startup (application);

  g_set_application_name (_("AI Video Editor"));
  gtk_window_set_default_icon_name (APPLICATION_ID);
  /* dbus_register, which runs first, may have made them already. */
  if (self->settings == NULL)
    self->settings = ave_app_settings_new ();
  self->stall_monitor = ave_stall_monitor_new (NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (app_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), app_accels[i].action, app_accels[i].accels);
  g_signal_connect (self, "notify::active-window", G_CALLBACK (on_active_window_changed), NULL);
  ave_application_update_actions (self);
}

static void
ave_application_activate (GApplication *application)
{
  AveWindow *window = get_window (AVE_APPLICATION (application), TRUE);

  gtk_window_present (GTK_WINDOW (window));
}

static void
ave_application_open (GApplication *application, GFile **files, int n_files, const char *hint)
{
  AveApplication *self = AVE_APPLICATION (application);

  /* One window per video. */
  for (int i = 0; i < n_files; i++)
    {
      AveWindow *window = i == 0 ? get_window (self, TRUE) : ave_window_new (self);

      ave_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static int
ave_application_handle_local_options (GApplication *application, GVariantDict *options)
{
  AveApplication *self = AVE_APPLICATION (application);
  const char *dir = NULL;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      printf ("ai-video-editor %s\n", PACKAGE_VERSION);
      return 0;
    }
  /* Where results go for this instance: the tests keep them in a
   * temporary folder without touching the user's settings. */
  if (g_variant_dict_lookup (options, "output-dir", "^&ay", &dir))
    {
      g_free (self->output_root);
      self->output_root = g_canonicalize_filename (dir, NULL);
    }
  return -1;
}

/* The running app serves the same engine API as the headless service, so
 * a script can drive the app a user is looking at. */
static gboolean
ave_application_dbus_register (GApplication    *application,
                               GDBusConnection *connection,
                               const char      *object_path,
                               GError         **error)
{
  AveApplication *self = AVE_APPLICATION (application);

  if (!G_APPLICATION_CLASS (ave_application_parent_class)->dbus_register (application, connection,
                                                                          object_path, error))
    return FALSE;
  if (self->settings == NULL)
    self->settings = ave_app_settings_new ();
  self->engine = ave_engine_service_new (application, self->settings, self->output_root, 0);
  return ave_engine_service_export (self->engine, connection, error);
}

static void
ave_application_dbus_unregister (GApplication    *application,
                                 GDBusConnection *connection,
                                 const char      *object_path)
{
  AveApplication *self = AVE_APPLICATION (application);

  if (self->engine != NULL)
    ave_engine_service_unexport (self->engine);
  G_APPLICATION_CLASS (ave_application_parent_class)->dbus_unregister (application, connection, object_path);
}

static void
ave_application_shutdown (GApplication *application)
{
  AveApplication *self = AVE_APPLICATION (application);

  /* Waits for the D-Bus jobs (cancelled when unregistered) to stop. */
  g_clear_object (&self->engine);

  if (g_getenv ("AVE_REPORT_STALL") != NULL && self->stall_monitor != NULL)
    fprintf (stderr, "main-loop-max-stall-ms: %.1f\n", ave_stall_monitor_get_max_ms (self->stall_monitor));
  G_APPLICATION_CLASS (ave_application_parent_class)->shutdown (application);
}

static void
ave_application_finalize (GObject *object)
{
  AveApplication *self = AVE_APPLICATION (object);

  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->stall_monitor, ave_stall_monitor_free);
  g_free (self->output_root);
  G_OBJECT_CLASS (ave_application_parent_class)->finalize (object);
}

static void
ave_application_class_init (AveApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ave_application_finalize;
  app_class->startup = ave_application_startup;
  app_class->activate = ave_application_activate;
  app_class->open = ave_application_open;
  app_class->handle_local_options = ave_application_handle_local_options;
  app_class->shutdown = ave_application_shutdown;
  app_class->dbus_register = ave_application_dbus_register;
  app_class->dbus_unregister = ave_application_dbus_unregister;
}

static const GOptionEntry app_options[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL },
  { "output-dir", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, NULL,
    N_("Folder for the results of this session (instead of the preference)"), N_("DIR") },
  { NULL }
};

static void
ave_application_init (AveApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), app_options);
}

AveApplication *
ave_application_new (void)
{
  return g_object_new (AVE_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/aivideoeditor/Editor",
                       NULL);
}
