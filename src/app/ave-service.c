#define G_LOG_DOMAIN "ave-service"

#include "config.h"

#include <errno.h>

#include "pipeline/ave-job.h"

#include "ave-app-settings.h"
#include "ave-service.h"

typedef struct
{
  GApplication *app;
  GSettings    *settings;
  GCancellable *cancellable;   /* shared by the running jobs: cancel stops them all */
} Service;

typedef struct
{
  Service *service;
  char    *input;
} RunData;

static void
on_event (const AveEvent *event, gpointer user_data)
{
  const char *input = user_data;

  /* The journal is the service's only voice. */
  switch (event->kind)
    {
    case AVE_EVENT_WARNING:
      g_message ("%s: %s", input, event->message);
      break;
    case AVE_EVENT_RESULT:
      g_debug ("%s: %s written to %s", input, event->name, event->path);
      break;
    default:
      break;
    }
}

static void
on_job_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  RunData *run = user_data;
  g_autoptr(GError) error = NULL;

  if (ave_job_run_finish (AVE_JOB (source_object), result, &error))
    g_message ("%s: done, results in %s", run->input, ave_job_get_output_dir (AVE_JOB (source_object)));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("%s: %s", run->input, error->message);
  g_application_release (run->service->app);
  g_free (run->input);
  g_free (run);
}

static void
process_file_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  Service *service = user_data;
  const char *input = NULL, *output = NULL;
  g_autofree char *root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AveSettings) settings = NULL;
  g_autoptr(AveJob) job = NULL;
  RunData *run;

  g_variant_get (parameter, "(&s&s)", &input, &output);
  settings = ave_app_settings_build_from_gsettings (service->settings, &error);
  if (settings == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  root = *output != '\0' ? g_canonicalize_filename (output, NULL) : ave_app_settings_get_output_folder (service->settings);
  if (g_mkdir_with_parents (root, 0755) != 0)
    {
      g_warning ("Cannot create the output folder %s: %s", root, g_strerror (errno));
      return;
    }
  if (service->cancellable == NULL || g_cancellable_is_cancelled (service->cancellable))
    {
      g_clear_object (&service->cancellable);
      service->cancellable = g_cancellable_new ();
    }

  job = ave_job_new (AVE_JOB_PROCESS, input, root, settings);
  run = g_new0 (RunData, 1);
  run->service = service;
  run->input = g_strdup (input);
  ave_job_set_event_func (job, on_event, g_strdup (input), g_free);
  /* Held while the job runs, so the idle timeout does not end it. */
  g_application_hold (service->app);
  ave_job_run_async (job, service->cancellable, on_job_done, run);
}

static void
cancel_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  Service *service = user_data;

  if (service->cancellable != NULL)
    g_cancellable_cancel (service->cancellable);
}

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  Service *service = user_data;

  cancel_activated (action, parameter, user_data);
  g_application_quit (service->app);
}

static const GActionEntry service_actions[] = {
  { "process-file", process_file_activated, "(ss)" },
  { "cancel", cancel_activated },
  { "quit", quit_activated },
};

static void
on_activate (GApplication *app, gpointer user_data)
{
  /* Nothing to show without a display; activation only keeps it alive. */
  g_debug ("activated without a display");
}

int
ave_service_run (int argc, char **argv)
{
  Service service = { 0 };
  int status;

  service.app = g_application_new (APPLICATION_ID, G_APPLICATION_IS_SERVICE);
  service.settings = ave_app_settings_new ();
  g_application_set_inactivity_timeout (service.app, 10000);
  g_action_map_add_action_entries (G_ACTION_MAP (service.app), service_actions,
                                   G_N_ELEMENTS (service_actions), &service);
  g_signal_connect (service.app, "activate", G_CALLBACK (on_activate), NULL);
  status = g_application_run (service.app, argc, argv);

  if (service.cancellable != NULL)
    g_cancellable_cancel (service.cancellable);
  g_clear_object (&service.cancellable);
  g_clear_object (&service.settings);
  g_clear_object (&service.app);
  return status;
}
