#define G_LOG_DOMAIN "ave-cli"

#include "config.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

#include "ave-cli.h"
#include "ave-cli-reports.h"
#include "resources/ave-diagnose.h"
#include "resources/ave-report.h"

static int
usage (const char *command, const char *message)
{
  fprintf (stderr, "ai-video-editor %s: %s\nRun 'ai-video-editor %s --help' for usage.\n",
           command, message, command);
  return AVE_EXIT_USAGE;
}

static int
parse (const char *command, GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    return usage (command, error->message);
  if (*argc > 1)
    {
      g_autofree char *message = g_strdup_printf ("unexpected argument '%s'", (*argv)[1]);
      return usage (command, message);
    }
  return AVE_EXIT_OK;
}

static char *
to_json_text (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

int
ave_cli_analyze_performance (int argc, char **argv)
{
  g_autofree char *metrics_dir = NULL;
  g_autofree char *report_output = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "metrics-dir", 0, 0, G_OPTION_ARG_FILENAME, &metrics_dir, "Folder of metrics files written by --performance-monitoring --metrics-output (default ./metrics)", "DIR" },
    { "report-output", 0, 0, G_OPTION_ARG_FILENAME, &report_output, "Write the JSON report to this file (written atomically); without it the report is printed", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the JSON report on stdout instead of the text summary", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autofree char *text = NULL;
  g_autofree char *summary = NULL;
  int rc;

  g_option_context_set_summary (context,
      "Report on earlier runs from their metrics: time per stage, resource use, the bottleneck\n"
      "and why, recommended flags, API costs and a comparison of the runs of each input.");
  g_option_context_add_main_entries (context, entries, NULL);
  if ((rc = parse ("analyze-performance", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;

  report = ave_performance_report_build (metrics_dir != NULL ? metrics_dir : "metrics", &error);
  if (report == NULL)
    {
      fprintf (stderr, "ai-video-editor: %s\n", error->message);
      return AVE_EXIT_FAILURE;
    }
  text = to_json_text (report);
  if (report_output != NULL && !g_file_set_contents (report_output, text, -1, &error))
    {
      fprintf (stderr, "ai-video-editor: %s: cannot write the report (%s)\n", report_output, error->message);
      return AVE_EXIT_FAILURE;
    }

  if (json)
    printf ("%s\n", text);
  else
    {
      summary = ave_performance_report_to_text (report);
      fputs (summary, report_output != NULL ? stderr : stdout);
      if (report_output != NULL)
        fprintf (stderr, "Report written to %s\n", report_output);
    }
  return AVE_EXIT_OK;
}

int
ave_cli_diagnose_performance (int argc, char **argv)
{
  gboolean bottlenecks = FALSE, system = FALSE, suggestions = FALSE, json = FALSE;
  g_autofree char *temp_dir = NULL;
  g_autofree char *metrics_dir = NULL;
  const GOptionEntry entries[] = {
    { "analyze-bottlenecks", 0, 0, G_OPTION_ARG_NONE, &bottlenecks, "Measure encoder, analysis and storage throughput and name the slowest; with --metrics-dir also the bottleneck of real runs", NULL },
    { "system-check", 0, 0, G_OPTION_ARG_NONE, &system, "Check cores, RAM, load, temp folder space and write speed, Vulkan devices and encoders", NULL },
    { "optimization-suggestions", 0, 0, G_OPTION_ARG_NONE, &suggestions, "Suggest a preset (8gb, 16gb, 32gb) and flags for this machine", NULL },
    { "temp-dir", 0, 0, G_OPTION_ARG_FILENAME, &temp_dir, "Temp folder to check (default: the system's)", "DIR" },
    { "metrics-dir", 0, 0, G_OPTION_ARG_FILENAME, &metrics_dir, "Metrics of earlier runs to include in the bottleneck analysis", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON instead of text", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) diagnosis = NULL;
  g_autofree char *text = NULL;
  AveDiagnoseFlags flags = 0;
  int rc;

  g_option_context_set_summary (context,
      "Check this machine and suggest settings.  Without any of --analyze-bottlenecks,\n"
      "--system-check and --optimization-suggestions all three sections are shown.");
  g_option_context_add_main_entries (context, entries, NULL);
  if ((rc = parse ("diagnose-performance", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;

  if (system)
    flags |= AVE_DIAGNOSE_SYSTEM;
  if (bottlenecks)
    flags |= AVE_DIAGNOSE_BOTTLENECKS;
  if (suggestions)
    flags |= AVE_DIAGNOSE_SUGGESTIONS;
  if (flags == 0)
    flags = AVE_DIAGNOSE_SYSTEM | AVE_DIAGNOSE_BOTTLENECKS | AVE_DIAGNOSE_SUGGESTIONS;

  diagnosis = ave_diagnose_run (flags, temp_dir, metrics_dir, &error);
  if (diagnosis == NULL)
    {
      fprintf (stderr, "ai-video-editor: %s\n", error->message);
      return AVE_EXIT_FAILURE;
    }
  text = json ? to_json_text (diagnosis) : ave_diagnose_to_text (diagnosis);
  fputs (text, stdout);
  if (json)
    fputc ('\n', stdout);
  return AVE_EXIT_OK;
}
