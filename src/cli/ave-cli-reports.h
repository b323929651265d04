/* ave-cli-reports.h — the two report commands of the performance guide:
 *
 *   ai-video-editor analyze-performance --metrics-dir DIR [--report-output FILE] [--json]
 *   ai-video-editor diagnose-performance [--analyze-bottlenecks] [--system-check]
 *                                        [--optimization-suggestions] [--json]
 *                                        [--temp-dir DIR] [--metrics-dir DIR]
 *
 * Both take argv as a subcommand sees it (argv[0] is "ai-video-editor NAME")
 * and return an exit status (AVE_EXIT_*). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int ave_cli_analyze_performance  (int argc, char **argv);
int ave_cli_diagnose_performance (int argc, char **argv);

G_END_DECLS
