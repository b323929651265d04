/* ave-cli.h — the headless front end: `ai-video-editor SUBCOMMAND ...`. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes, documented in --help and docs/cli.md. */
#define AVE_EXIT_OK        0
#define AVE_EXIT_FAILURE   1
#define AVE_EXIT_USAGE     2
#define AVE_EXIT_CANCELLED 130

/* TRUE when argv[1] names a subcommand (process, analyze, help, ...). */
gboolean ave_cli_is_command (const char *word);
int      ave_cli_main       (int argc, char **argv);
/* The --config FILE given before the command, or NULL. */
const char *ave_cli_get_global_config (void);
/* `ai-video-editor batch` (ave-cli-batch.c). */
int      ave_cli_batch      (int argc, char **argv);

G_END_DECLS
