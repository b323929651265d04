#define G_LOG_DOMAIN "ave-main"

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <libavutil/log.h>

#include "ave-cli.h"
#include "ave-application.h"
#include "ave-service.h"

static gboolean
has_argument (int argc, char **argv, const char *argument)
{
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], argument))
      return TRUE;
  return FALSE;
}

int
main (int argc, char **argv)
{
  g_autoptr(AveApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* Engine messages are ours; FFmpeg's own chatter is for debugging only. */
  av_log_set_level (g_getenv ("AVE_FFMPEG_LOG") != NULL ? AV_LOG_INFO : AV_LOG_QUIET);

  /* `ai-video-editor process …` and friends: the headless front end. */
  if (argc > 1 && ave_cli_is_command (argv[1]))
    return ave_cli_main (argc, argv);

  /* D-Bus activation on a machine without a display: a plain service
   * (AdwApplication would exit when it cannot open a display).  With no
   * display named at all GTK is not even loaded. */
  if (has_argument (argc, argv, "--gapplication-service")
      && ((g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL) || !gtk_init_check ()))
    return ave_service_run (argc, argv);

  /* A word that is neither a command, an option nor an existing file is
   * most likely a mistyped command: say so instead of opening a window. */
  if (argc > 1 && argv[1][0] != '-' && !g_file_test (argv[1], G_FILE_TEST_EXISTS))
    return ave_cli_main (argc, argv);

  /* No subcommand, or files: the desktop app. */
  app = ave_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
