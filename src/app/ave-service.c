#define G_LOG_DOMAIN "ave-service"

#include "config.h"

#include <string.h>

#include "ave-app-settings.h"
#include "ave-engine-service.h"
#include "ave-service.h"

/* A plain GApplication (no GTK) that owns the application's bus name and
 * serves the engine's D-Bus API. */
#define AVE_TYPE_SERVICE_APP (ave_service_app_get_type ())
G_DECLARE_FINAL_TYPE (AveServiceApp, ave_service_app, AVE, SERVICE_APP, GApplication)

struct _AveServiceApp
{
  GApplication      parent_instance;
  GSettings        *settings;
  AveEngineService *engine;
  char             *output_root;
  int               max_jobs;
  int               idle_seconds;
};

G_DEFINE_FINAL_TYPE (AveServiceApp, ave_service_app, G_TYPE_APPLICATION)

static gboolean
ave_service_app_dbus_register (GApplication    *application,
                               GDBusConnection *connection,
                               const char      *object_path,
                               GError         **error)
{
  AveServiceApp *self = AVE_SERVICE_APP (application);

  /* Exported before the name is taken: an activating call never finds the
   * name without the API behind it. */
  self->engine = ave_engine_service_new (application, self->settings, self->output_root,
                                         (guint) MAX (self->max_jobs, 0));
  return ave_engine_service_export (self->engine, connection, error);
}

static void
ave_service_app_dbus_unregister (GApplication    *application,
                                 GDBusConnection *connection,
                                 const char      *object_path)
{
  AveServiceApp *self = AVE_SERVICE_APP (application);

  if (self->engine != NULL)
    ave_engine_service_unexport (self->engine);
}

static int
ave_service_app_handle_local_options (GApplication *application, GVariantDict *options)
{
  AveServiceApp *self = AVE_SERVICE_APP (application);
  const char *dir = NULL;

  if (g_variant_dict_lookup (options, "output-dir", "^&ay", &dir))
    self->output_root = g_canonicalize_filename (dir, NULL);
  if (self->max_jobs < 0 || self->max_jobs > 256)
    {
      g_printerr ("ai-video-editor: --max-jobs: give a number from 1 to 256\n");
      return 2;
    }
  if (self->idle_seconds < 1 || self->idle_seconds > 86400)
    {
      g_printerr ("ai-video-editor: --idle-timeout: give a number of seconds from 1 to 86400\n");
      return 2;
    }
  g_application_set_inactivity_timeout (application, self->idle_seconds * 1000);
  return -1;
}

static void
ave_service_app_activate (GApplication *application)
{
  /* Nothing to show without a display; activation only keeps it alive. */
  g_debug ("activated without a display");
}

static void
ave_service_app_shutdown (GApplication *application)
{
  AveServiceApp *self = AVE_SERVICE_APP (application);

  /* Disposing waits for running jobs to stop (they were cancelled). */
  g_clear_object (&self->engine);
  G_APPLICATION_CLASS (ave_service_app_parent_class)->shutdown (application);
}

static void
ave_service_app_finalize (GObject *object)
{
  AveServiceApp *self = AVE_SERVICE_APP (object);

  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  g_free (self->output_root);
  G_OBJECT_CLASS (ave_service_app_parent_class)->finalize (object);
}

static void
ave_service_app_class_init (AveServiceAppClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ave_service_app_finalize;
  app_class->dbus_register = ave_service_app_dbus_register;
  app_class->dbus_unregister = ave_service_app_dbus_unregister;
  app_class->handle_local_options = ave_service_app_handle_local_options;
  app_class->activate = ave_service_app_activate;
  app_class->shutdown = ave_service_app_shutdown;
}

static void
ave_service_app_init (AveServiceApp *self)
{
  const GOptionEntry options[] = {
    { "output-dir", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      "Folder for the results of jobs that give no output-dir (default: the app's preference)", "DIR" },
    { "max-jobs", 0, 0, G_OPTION_ARG_INT, &self->max_jobs,
      "Jobs run at once at most (default: as many as the memory budget holds)", "N" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &self->idle_seconds,
      "Seconds without jobs before the service exits (default 10)", "SECONDS" },
    { NULL }
  };

  self->idle_seconds = 10;
  self->settings = ave_app_settings_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

int
ave_service_run (int argc, char **argv)
{
  g_autoptr(AveServiceApp) app = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  /* GApplication takes --gapplication-service only from applications that
   * are not already services: this one is one, so the option goes. */
  for (int i = 0; i < argc; i++)
    if (i == 0 || !g_str_equal (argv[i], "--gapplication-service"))
      g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);

  app = g_object_new (AVE_TYPE_SERVICE_APP,
                      "application-id", APPLICATION_ID,
                      "flags", G_APPLICATION_IS_SERVICE,
                      NULL);
  return g_application_run (G_APPLICATION (app), (int) args->len - 1, (char **) args->pdata);
}
