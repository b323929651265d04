#define G_LOG_DOMAIN "ave-main"

#include "config.h"

#include <locale.h>
#include <libavutil/log.h>

#include "ave-cli.h"

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Engine messages are ours; FFmpeg's own chatter is for debugging only. */
  av_log_set_level (g_getenv ("AVE_FFMPEG_LOG") != NULL ? AV_LOG_INFO : AV_LOG_QUIET);
  return ave_cli_main (argc, argv);
}
