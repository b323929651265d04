#define G_LOG_DOMAIN "ave-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "ave-cli.h"
#include "providers/ave-http.h"
#include "providers/ave-keys.h"
#include "ave-cli-options.h"
#include "ave-cli-output.h"
#include "ave-cli-reports.h"
#include "core/ave-config.h"
#include "core/ave-error.h"
#include "pipeline/ave-job.h"
#include "assets/ave-captions.h"
#include "core/ave-files.h"
#include "interchange/ave-interchange.h"

#define EXIT_CODES_TEXT \
  "Exit status:\n" \
  "  0    every input was processed\n" \
  "  1    at least one input failed (each failure is one line on stderr)\n" \
  "  2    usage error: unknown option, bad value, missing input\n" \
  "  130  cancelled with Ctrl+C, SIGTERM or SIGHUP (the previous results are kept; nothing unfinished is left)\n"

/* `ai-video-editor --config FILE COMMAND …`: the global option applies to
 * whichever command follows. */
static char *global_config_path;

const char *
ave_cli_get_global_config (void)
{
  return global_config_path;
}

typedef struct
{
  char    *output;
  char    *plan;
  char    *output_name;
  char    *config;
  gboolean json;
  gboolean print_settings;
  char   **inputs;
} CommonOptions;

static void
common_options_clear (CommonOptions *o)
{
  g_free (o->output);
  g_free (o->plan);
  g_free (o->output_name);
  g_free (o->config);
  g_strfreev (o->inputs);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CommonOptions, common_options_clear)

static int
usage_error (const char *command, const char *message)
{
  fprintf (stderr, "ai-video-editor %s: %s\nRun 'ai-video-editor %s --help' for usage.\n",
           command, message, command);
  return AVE_EXIT_USAGE;
}

/* Defaults < preset < config file < flags; FALSE with a usage message
 * (a bad value anywhere is a usage error, exit 2). */
static gboolean
resolve_settings (const char         *command,
                  AveCliOptions      *options,
                  CommonOptions      *o,
                  AveSettings        *settings,
                  AveSettingsSources *sources,
                  int                *exit_code)
{
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *config = o->config != NULL ? o->config : global_config_path;
  gboolean ok = ave_cli_options_resolve (options, config, settings, sources, notices, &error);

  for (guint i = 0; i < notices->len; i++)
    fprintf (stderr, "ai-video-editor: %s\n", (const char *) g_ptr_array_index (notices, i));
  if (!ok)
    {
      *exit_code = usage_error (command, error->message);
      return FALSE;
    }
  return TRUE;
}

static int
print_settings (AveSettings *settings, AveSettingsSources *sources, gboolean json)
{
  g_autofree char *text = ave_settings_describe (settings, sources, json);

  fputs (text, stdout);
  if (json)
    fputc ('\n', stdout);
  return AVE_EXIT_OK;
}

/* ------------------------------------------------------------ running */

typedef struct
{
  GMainLoop    *loop;
  GCancellable *cancellable;
  AveCliOutput *output;
  GError       *error;
  gboolean      interrupted;
  guint         signals;
} RunState;

/* Ctrl+C, SIGTERM and SIGHUP all cancel: the job stops, its unfinished
 * files go and the previous results stay.  Cleaning up takes a moment; a
 * third signal quits at once, and the next run removes what is left. */
static gboolean
on_stop_signal (gpointer user_data)
{
  RunState *state = user_data;

  state->signals++;
  if (state->signals == 1)
    {
      state->interrupted = TRUE;
      ave_cli_output_message (state->output, "ai-video-editor: cancelling…");
      g_cancellable_cancel (state->cancellable);
    }
  else if (state->signals == 2)
    ave_cli_output_message (state->output,
                            "ai-video-editor: still removing unfinished files; press Ctrl+C again to quit at once "
                            "(the next run cleans up what is left)");
  else
    _exit (AVE_EXIT_CANCELLED);
  return G_SOURCE_CONTINUE;
}

static void
on_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RunState *state = user_data;

  ave_job_run_finish (AVE_JOB (source), result, &state->error);
  g_main_loop_quit (state->loop);
}

/* --verbose-timing: the stage lines of each input, kept to print a table
 * once the input is done. */
typedef struct
{
  AveCliOutput *output;
  GMutex        lock;
  gboolean      seen[AVE_N_STAGES];
  double        wall[AVE_N_STAGES];
  double        cpu[AVE_N_STAGES];
  double        peak_mb[AVE_N_STAGES];
  gboolean      skipped[AVE_N_STAGES];
} StageTimes;

static void
on_event_with_timing (const AveEvent *event, gpointer user_data)
{
  StageTimes *times = user_data;

  if (event->kind == AVE_EVENT_STAGE_END)
    {
      g_mutex_lock (&times->lock);
      times->seen[event->stage] = TRUE;
      times->wall[event->stage] = event->wall_seconds;
      times->cpu[event->stage] = event->cpu_seconds;
      times->peak_mb[event->stage] = event->peak_rss_bytes / 1048576.0;
      times->skipped[event->stage] = event->skipped;
      g_mutex_unlock (&times->lock);
    }
  ave_cli_output_event (event, times->output);
}

static void
print_stage_times (StageTimes *times, const char *input, double total)
{
  double sum = 0;

  g_mutex_lock (&times->lock);
  fprintf (stderr, "timing of %s:\n  %-16s %9s %9s %6s %10s\n", input, "stage", "wall s", "CPU s", "CPU %", "peak MB");
  for (guint s = 0; s < AVE_N_STAGES; s++)
    {
      if (!times->seen[s])
        continue;
      if (times->skipped[s])
        {
          fprintf (stderr, "  %-16s %9s\n", ave_stage_to_string (s), "skipped");
          continue;
        }
      sum += times->wall[s];
      fprintf (stderr, "  %-16s %9.3f %9.3f %6.0f %10.1f\n", ave_stage_to_string (s), times->wall[s],
               times->cpu[s], times->wall[s] > 0 ? 100 * times->cpu[s] / times->wall[s] : 0,
               times->peak_mb[s]);
    }
  /* Stages overlap when they run in parallel: the sum can pass the total. */
  fprintf (stderr, "  %-16s %9.3f (sum of stages %.3f s)\n", "total", total, sum);
  memset (times->seen, 0, sizeof times->seen);
  g_mutex_unlock (&times->lock);
}

static int
run_jobs (const char    *command,
          AveJobKind     kind,
          CommonOptions *o,
          AveSettings   *settings)
{
  g_autoptr(AveCliOutput) output = ave_cli_output_new (o->json, isatty (STDERR_FILENO));
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GHashTable) stems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  RunState state = { .loop = loop, .cancellable = cancellable, .output = output };
  StageTimes times = { .output = output };
  guint n_inputs = g_strv_length (o->inputs);
  guint succeeded = 0, failed = 0;
  guint signal_sources[3];

  signal_sources[0] = g_unix_signal_add (SIGINT, on_stop_signal, &state);
  signal_sources[1] = g_unix_signal_add (SIGTERM, on_stop_signal, &state);
  signal_sources[2] = g_unix_signal_add (SIGHUP, on_stop_signal, &state);

  for (guint i = 0; i < n_inputs && !state.interrupted; i++)
    {
      g_autoptr(AveJob) job = ave_job_new (kind, o->inputs[i], o->output, settings);
      g_autofree char *stem = ave_job_output_stem (o->inputs[i]);
      gint64 start = g_get_monotonic_time ();

      /* Two inputs with one name must not write into one folder. */
      for (guint n = 2; g_hash_table_contains (stems, stem); n++)
        {
          g_autofree char *base = ave_job_output_stem (o->inputs[i]);
          g_free (stem);
          stem = g_strdup_printf ("%s-%u", base, n);
        }
      g_hash_table_add (stems, g_strdup (stem));
      ave_job_set_output_name (job, o->output_name != NULL ? o->output_name : stem);

      if (o->plan != NULL)
        ave_job_set_plan_file (job, o->plan);
      if (settings->verbose_timing)
        ave_job_set_event_func (job, on_event_with_timing, &times, NULL);
      else
        ave_job_set_event_func (job, ave_cli_output_event, output, NULL);

      ave_cli_output_input_start (output, o->inputs[i], i, n_inputs);
      g_clear_error (&state.error);
      ave_job_run_async (job, cancellable, on_job_done, &state);
      g_main_loop_run (loop);
      ave_cli_output_input_end (output, job, state.error, (g_get_monotonic_time () - start) / 1e6);
      if (settings->verbose_timing && state.error == NULL)
        print_stage_times (&times, o->inputs[i], (g_get_monotonic_time () - start) / 1e6);
      if (state.error == NULL)
        succeeded++;
      else
        failed++;
    }
  g_clear_error (&state.error);
  for (guint i = 0; i < G_N_ELEMENTS (signal_sources); i++)
    g_source_remove (signal_sources[i]);
  g_mutex_clear (&times.lock);

  ave_cli_output_done (output, command, succeeded, failed);
  if (state.interrupted)
    return AVE_EXIT_CANCELLED;
  return failed > 0 ? AVE_EXIT_FAILURE : AVE_EXIT_OK;
}

/* -------------------------------------------------------- subcommands */

static GOptionContext *
make_context (const char *parameter, const char *summary, const char *description,
              const GOptionEntry *entries, AveCliOptions *options)
{
  GOptionContext *context = g_option_context_new (parameter);

  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  if (options != NULL)
    g_option_context_set_main_group (context, ave_cli_options_group (options));
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_strict_posix (context, FALSE);
  return context;
}

static int
parse_or_usage (const char *command, GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    return usage_error (command, error->message);
  return AVE_EXIT_OK;
}

static int
collect_inputs (const char *command, CommonOptions *o, int argc, char **argv)
{
  if (o->inputs == NULL)
    {
      /* Whatever GOption left over: argv[0] is the program, then inputs. */
      GPtrArray *inputs = g_ptr_array_new ();
      for (int i = 1; i < argc; i++)
        {
          if (argv[i][0] == '-' && argv[i][1] != '\0' && !g_str_equal (argv[i], "--"))
            {
              g_autofree char *msg = g_strdup_printf ("unknown option %s", argv[i]);
              g_ptr_array_free (inputs, TRUE);
              return usage_error (command, msg);
            }
          if (!g_str_equal (argv[i], "--"))
            g_ptr_array_add (inputs, g_strdup (argv[i]));
        }
      g_ptr_array_add (inputs, NULL);
      o->inputs = (char **) g_ptr_array_free (inputs, FALSE);
    }
  if (o->inputs[0] == NULL)
    return usage_error (command, "no input file given");
  return AVE_EXIT_OK;
}

#define SETTINGS_TEXT \
  "Settings are resolved as: built-in defaults < --preset < --config FILE < flags.\n" \
  "--print-settings shows each resolved value and where it came from.\n" \
  "docs/cli.md lists every option, its aliases and the setting it changes.\n\n"

static int
cmd_run (const char *command, AveJobKind kind, int argc, char **argv)
{
  gboolean render = kind == AVE_JOB_PROCESS;
  g_auto(CommonOptions) o = { 0 };
  const GOptionEntry process_entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "Folder for the results (default ./output); each input gets DIR/<name>/", "DIR" },
    { "plan", 0, 0, G_OPTION_ARG_FILENAME, &o.plan, "Render this edit plan (a plan.json, possibly edited by hand, or an MLT, Kdenlive, FCPXML, xmeml, OTIO or EDL edit of this input) instead of asking the director", "PLAN" },
    { "output-name", 0, 0, G_OPTION_ARG_FILENAME, &o.output_name, "Name of the input's folder in DIR instead of its file name without extension (one input; batch --slurm uses it)", "NAME" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &o.config, "Settings from this YAML file (the guide's performance_config.yaml format)", "FILE" },
    { "print-settings", 0, 0, G_OPTION_ARG_NONE, &o.print_settings, "Print the resolved settings and where each came from, then exit (with --json: as JSON)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print one JSON event per line on stdout (stage start, progress, end, warnings, results)", NULL },
    { NULL }
  };
  const GOptionEntry analyze_entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "Folder for the results (default ./output); each input gets DIR/<name>/analysis.json", "DIR" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &o.config, "Settings from this YAML file (the guide's performance_config.yaml format)", "FILE" },
    { "print-settings", 0, 0, G_OPTION_ARG_NONE, &o.print_settings, "Print the resolved settings and where each came from, then exit (with --json: as JSON)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print one JSON event per line on stdout", NULL },
    { NULL }
  };
  g_autoptr(AveCliOptions) options = ave_cli_options_new (render);
  g_autoptr(GOptionContext) context = make_context (
      "INPUT...",
      render ? "Analyse each input, plan an edit with the offline director and render it.\n"
               "Writes DIR/<name>/final.mp4, plan.json, analysis.json, metadata.json and thumbnails/."
             : "Run only the audio and video analysis of each input and write DIR/<name>/analysis.json\n"
               "(shots, silences, words with filler flags, loudness, beats for music).",
      SETTINGS_TEXT EXIT_CODES_TEXT, render ? process_entries : analyze_entries, options);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  int rc;

  if ((rc = parse_or_usage (command, context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;
  if (!resolve_settings (command, options, &o, settings, sources, &rc))
    return rc;
  if (o.print_settings)
    return print_settings (settings, sources, o.json);
  if ((rc = collect_inputs (command, &o, argc, argv)) != AVE_EXIT_OK)
    return rc;
  if (o.plan != NULL && g_strv_length (o.inputs) > 1)
    return usage_error (command, "--plan describes one source: give exactly one input with it");
  if (o.output_name != NULL && g_strv_length (o.inputs) > 1)
    return usage_error (command, "--output-name names one folder: give exactly one input with it");
  if (o.output_name != NULL
      && (*o.output_name == '\0' || strchr (o.output_name, '/') != NULL
          || g_str_equal (o.output_name, ".") || g_str_equal (o.output_name, "..")))
    return usage_error (command, "--output-name: give a folder name, not a path");
  return run_jobs (command, kind, &o, settings);
}

static int
cmd_process (int argc, char **argv)
{
  return cmd_run ("process", AVE_JOB_PROCESS, argc, argv);
}

static int
cmd_analyze (int argc, char **argv)
{
  return cmd_run ("analyze", AVE_JOB_ANALYZE, argc, argv);
}

static int
cmd_settings (int argc, char **argv)
{
  g_auto(CommonOptions) o = { 0 };
  const GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &o.config, "Settings from this YAML file", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print the settings as one JSON object", NULL },
    { NULL }
  };
  g_autoptr(AveCliOptions) options = ave_cli_options_new (TRUE);
  g_autoptr(GOptionContext) context = make_context (
      "",
      "Print the settings that 'process' would run with, given the same options, and where\n"
      "each value came from (default, preset, config file:line or flag).",
      SETTINGS_TEXT EXIT_CODES_TEXT, entries, options);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  int rc;

  if ((rc = parse_or_usage ("settings", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;
  if (argc > 1)
    {
      g_autofree char *msg = g_strdup_printf ("%s %s", argv[1][0] == '-' ? "unknown option" : "unexpected argument", argv[1]);
      return usage_error ("settings", msg);
    }
  if (!resolve_settings ("settings", options, &o, settings, sources, &rc))
    return rc;
  return print_settings (settings, sources, o.json);
}

/* ---------------------------------------------------------- transcript */

typedef enum {
  TRANSCRIPT_TXT,
  TRANSCRIPT_SRT,
  TRANSCRIPT_VTT,
  TRANSCRIPT_JSON,
} TranscriptFormat;

static int
cmd_transcript (int argc, char **argv)
{
  g_auto(CommonOptions) o = { 0 };
  g_autofree char *format_name = NULL;
  gboolean source_times = FALSE;
  const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "txt (default: one sentence a line with its start time), srt, vtt or json (every word and cue)", "FORMAT" },
    { "source-times", 0, 0, G_OPTION_ARG_NONE, &source_times, "Times of the recording, even when there is a plan", NULL },
    { "plan", 0, 0, G_OPTION_ARG_FILENAME, &o.plan, "Times of the video this plan renders (default: the plan.json beside the analysis.json, if any)", "PLAN.json" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "For a video: the folder of earlier results (default ./output); DIR/<name>/analysis.json is reused when it is newer than the video, else the video is analysed into it", "DIR" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &o.config, "Settings from this YAML file (for analysing a video)", "FILE" },
    { NULL }
  };
  g_autoptr(AveCliOptions) options = ave_cli_options_new (FALSE);
  g_autoptr(GOptionContext) context = make_context (
      "INPUT|analysis.json",
      "Print the transcript of a video, or of an analysis.json, on stdout.\n"
      "Times are those of the edited video when there is a plan (--plan, or the plan.json\n"
      "beside the analysis.json), those of the recording otherwise or with --source-times.",
      SETTINGS_TEXT EXIT_CODES_TEXT, entries, options);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GArray) words = NULL;
  g_autoptr(GArray) cues = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *analysis_path = NULL;
  g_autofree char *plan_path = NULL;
  g_autofree char *text = NULL;
  TranscriptFormat format = TRANSCRIPT_TXT;
  const char *input;
  int rc;

  if ((rc = parse_or_usage ("transcript", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;
  if (format_name != NULL)
    {
      static const char * const names[] = { "txt", "srt", "vtt", "json", NULL };
      guint i;

      for (i = 0; names[i] != NULL && !g_str_equal (names[i], format_name); i++)
        ;
      if (names[i] == NULL)
        {
          g_autofree char *msg = g_strdup_printf ("--format: '%s' is not one of txt|srt|vtt|json", format_name);
          return usage_error ("transcript", msg);
        }
      format = (TranscriptFormat) i;
    }
  if (source_times && o.plan != NULL)
    return usage_error ("transcript", "--source-times and --plan ask for different times: give one of them");
  if (!resolve_settings ("transcript", options, &o, settings, sources, &rc))
    return rc;
  if ((rc = collect_inputs ("transcript", &o, argc, argv)) != AVE_EXIT_OK)
    return rc;
  if (g_strv_length (o.inputs) != 1)
    return usage_error ("transcript", "give exactly one video or analysis.json");
  input = o.inputs[0];

  if (g_str_has_suffix (input, ".json"))
    {
      analysis_path = g_strdup (input);
      analysis = ave_analysis_load (analysis_path, &error);
    }
  else
    {
      g_autofree char *stem = ave_job_output_stem (input);

      analysis_path = g_build_filename (o.output != NULL ? o.output : "output", stem, "analysis.json", NULL);
      analysis = ave_analysis_load_for_input (analysis_path, input);
      if (analysis == NULL)
        {
          /* The analysis job, as `analyze` runs it (cache included): it
           * writes DIR/<name>/analysis.json, which the next call reuses. */
          char *plan_option = g_steal_pointer (&o.plan);

          rc = run_jobs ("transcript", AVE_JOB_ANALYZE, &o, settings);
          o.plan = plan_option;
          if (rc != AVE_EXIT_OK)
            return rc;
          analysis = ave_analysis_load (analysis_path, &error);
        }
    }
  if (analysis == NULL)
    {
      fprintf (stderr, "ai-video-editor: %s\n", error->message);
      return AVE_EXIT_FAILURE;
    }

  if (!source_times)
    {
      g_autofree char *folder = g_path_get_dirname (analysis_path);
      g_autofree char *beside = g_build_filename (folder, "plan.json", NULL);

      if (o.plan != NULL)
        plan_path = g_strdup (o.plan);
      else if (g_file_test (beside, G_FILE_TEST_IS_REGULAR))
        plan_path = g_steal_pointer (&beside);
    }
  if (plan_path != NULL)
    {
      plan = ave_plan_load (plan_path, &error);
      if (plan == NULL)
        {
          fprintf (stderr, "ai-video-editor: %s\n", error->message);
          return AVE_EXIT_FAILURE;
        }
      fprintf (stderr, "ai-video-editor: times of the video %s renders (--source-times for the recording's)\n",
               plan_path);
    }

  if (analysis->words->len == 0)
    fprintf (stderr, "ai-video-editor: %s has no transcript (speech recognition did not run or heard nothing)\n",
             analysis_path);
  words = ave_caption_words_map (analysis, plan);
  cues = ave_captions_build (words, ave_captions_frame_rate (analysis), ave_analysis_get_language (analysis));
  switch (format)
    {
    case TRANSCRIPT_TXT:
      text = ave_captions_to_text (words);
      break;
    case TRANSCRIPT_SRT:
      text = ave_captions_to_srt (cues);
      break;
    case TRANSCRIPT_VTT:
      text = ave_captions_to_vtt (cues);
      break;
    case TRANSCRIPT_JSON:
    default:
      {
        text = ave_captions_to_json (words, cues, ave_analysis_get_language (analysis), plan_path);
        break;
      }
    }
  fputs (text, stdout);
  if (format == TRANSCRIPT_JSON)
    fputc ('\n', stdout);
  return fflush (stdout) == 0 ? AVE_EXIT_OK : AVE_EXIT_FAILURE;
}

/* --------------------------------------------------------------- export */

static int
cmd_export (int argc, char **argv)
{
  g_autofree char *format_name = NULL;
  g_autofree char *output = NULL;
  g_autofree char *paths_name = NULL;
  const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "mlt (Shotcut), kdenlive, fcpxml (Final Cut Pro, Resolve), xmeml (Premiere, Resolve), otio or edl (default: from the extension of -o)", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The file to write (required); never the plan or the video, and an existing file only when it is an edit of the same format", "FILE" },
    { "export-paths", 0, 0, G_OPTION_ARG_STRING, &paths_name, "How the export names the video: absolute (default) or relative to the folder of FILE", "MODE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = make_context (
      "PLAN",
      "Write an edit plan for another editor, without rendering.",
      "PLAN is a plan.json (possibly edited by hand) or an edit in any format this program\n"
      "reads (so this also converts between formats).  The video it names is probed for its\n"
      "real duration, frame rate, size and sound; an analysis.json beside the plan adds the\n"
      "cut filler words as markers.  docs/interchange.md says what each format keeps.\n\n"
      "Exit status:\n  0    written\n  1    the plan, the video or the export failed (one line on stderr)\n"
      "  2    usage error\n", entries, NULL);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveMediaInfo) media = NULL;
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *analysis_path = NULL;
  AveInterchangeFormat format;
  AveExportPaths paths = AVE_EXPORT_PATHS_ABSOLUTE;
  int rc;

  if ((rc = parse_or_usage ("export", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;
  if (argc != 2)
    return usage_error ("export", argc < 2 ? "give the PLAN to export" : "give exactly one PLAN");
  if (output == NULL || *output == '\0')
    return usage_error ("export", "-o FILE is required");
  if (format_name == NULL)
    {
      static const struct { const char *ext; AveInterchangeFormat format; } by_ext[] = {
        { ".mlt", AVE_INTERCHANGE_MLT }, { ".kdenlive", AVE_INTERCHANGE_KDENLIVE },
        { ".fcpxml", AVE_INTERCHANGE_FCPXML }, { ".xml", AVE_INTERCHANGE_XMEML },
        { ".otio", AVE_INTERCHANGE_OTIO }, { ".edl", AVE_INTERCHANGE_EDL },
      };
      guint i;
      for (i = 0; i < G_N_ELEMENTS (by_ext) && !g_str_has_suffix (output, by_ext[i].ext); i++)
        ;
      if (i == G_N_ELEMENTS (by_ext))
        return usage_error ("export", "--format is required when the name of -o does not end in "
                                      ".mlt, .kdenlive, .fcpxml, .xml, .otio or .edl");
      format = by_ext[i].format;
    }
  else if (!ave_interchange_format_from_name (format_name, &format))
    {
      g_autofree char *msg = g_strdup_printf ("--format: '%s' is not one of mlt|kdenlive|fcpxml|xmeml|otio|edl",
                                              format_name);
      return usage_error ("export", msg);
    }
  if (paths_name != NULL)
    {
      if (g_str_equal (paths_name, "relative"))
        paths = AVE_EXPORT_PATHS_RELATIVE;
      else if (!g_str_equal (paths_name, "absolute"))
        return usage_error ("export", "--export-paths: give absolute or relative");
    }

  plan = ave_interchange_import (argv[1], &error);
  if (plan == NULL)
    goto fail;
  /* Never write over an input. */
  if (ave_file_is_same (output, argv[1]) || ave_file_is_same (output, ave_plan_get_source (plan)))
    {
      g_set_error (&error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                   "%s: is the plan or its video; give another -o FILE", output);
      goto fail;
    }
  media = ave_media_probe (ave_plan_get_source (plan), &error);
  if (media == NULL || !ave_plan_validate (plan, media->duration, &error))
    goto fail;
  folder = g_path_get_dirname (argv[1]);
  analysis_path = g_build_filename (folder, "analysis.json", NULL);
  if (g_file_test (analysis_path, G_FILE_TEST_IS_REGULAR))
    analysis = ave_analysis_load_for_input (analysis_path, ave_plan_get_source (plan));
  if (!ave_interchange_export_file (plan, media, analysis, format, output, paths, &error))
    goto fail;
  fprintf (stderr, "ai-video-editor: wrote %s (%s)\n", output, ave_interchange_format_name (format));
  return AVE_EXIT_OK;

fail:
  fprintf (stderr, "ai-video-editor: %s\n", error->message);
  return AVE_EXIT_FAILURE;
}

/* `auth set PROVIDER [--url URL]`: the key from standard input into the
 * desktop keyring, never from the command line (it would be in the shell
 * history and in `ps`). */
static int
cmd_auth (int argc, char **argv)
{
  g_autofree char *url = NULL;
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "The key is for this API URL only (default: any URL of the provider)", "URL" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = make_context (
      "set PROVIDER",
      "Store an API key in the desktop keyring (libsecret), read from standard input.\n"
      "PROVIDER is openai (any OpenAI-compatible API) or gemini. Without a keyring\n"
      "(CI, the headless service) give keys in AVE_LLM_API_KEY, AVE_ASR_API_KEY or\n"
      "AVE_API_KEY instead (docs/ai.md).",
      EXIT_CODES_TEXT, entries, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) key = g_string_new (NULL);
  char buffer[512];
  size_t n;
  int rc;

  if ((rc = parse_or_usage ("auth", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;
  if (argc != 3 || !g_str_equal (argv[1], "set"))
    return usage_error ("auth", "expected: auth set PROVIDER (the key is read from standard input)");
  if (!g_str_equal (argv[2], "openai") && !g_str_equal (argv[2], "gemini"))
    return usage_error ("auth", "PROVIDER must be openai or gemini");
  if (isatty (STDIN_FILENO))
    fprintf (stderr, "API key for %s (input is not echoed by the keyring, end with Enter):\n", argv[2]);
  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0 && key->len < 16384)
    g_string_append_len (key, buffer, n);
  g_strstrip (key->str);
  key->len = strlen (key->str);
  if (key->len == 0 || strchr (key->str, '\n') != NULL)
    {
      fprintf (stderr, "ai-video-editor auth: expected one key on standard input\n");
      return AVE_EXIT_FAILURE;
    }
  if (!ave_keys_store (argv[2], url, key->str, &error))
    {
      g_autofree char *message = ave_http_redact (error->message, key->str);
      fprintf (stderr, "ai-video-editor auth: the keyring did not store the key: %s\n", message);
      return AVE_EXIT_FAILURE;
    }
  fprintf (stderr, "stored the %s API key in the desktop keyring\n", argv[2]);
  return AVE_EXIT_OK;
}

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "process", cmd_process, "analyse, plan and render: final video, thumbnails, metadata" },
  { "analyze", cmd_analyze, "analysis only: shots, silences, transcript, loudness, beats" },
  { "settings", cmd_settings, "print the resolved settings and where each came from" },
  { "export", cmd_export, "write an edit plan for Shotcut, Kdenlive, Final Cut, Resolve, Premiere (MLT, FCPXML, xmeml, OTIO, EDL)" },
  { "batch", ave_cli_batch, "process every video of a folder or list, several at once, resumable (batch.json)" },
  { "transcript", cmd_transcript, "print the transcript (txt, srt, vtt, json), timed to the edit when there is a plan" },
  { "analyze-performance", ave_cli_analyze_performance, "a JSON report from the metrics of earlier runs" },
  { "diagnose-performance", ave_cli_diagnose_performance, "check this machine and suggest a preset and flags" },
  { "auth", cmd_auth, "store an API key for the LLM director or remote speech in the desktop keyring" },
};

static void
print_help (FILE *out)
{
  fprintf (out,
           "Usage: ai-video-editor [--config FILE.yaml] COMMAND [OPTION...] INPUT...\n"
           "       ai-video-editor [VIDEO...]   (the desktop app)\n\n"
           "AI Video Editor turns raw recordings into edited videos with thumbnails\n"
           "and metadata, offline by default.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf (out,
           "\nRun 'ai-video-editor COMMAND --help' for the options of a command.\n"
           "Options: -h, --help  show this help;  --version  show the version;\n"
           "         --config FILE.yaml  settings for the command (defaults < preset < config < flags)\n\n"
           EXIT_CODES_TEXT);
}

gboolean
ave_cli_is_command (const char *word)
{
  if (word == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (word, commands[i].name))
      return TRUE;
  return g_str_equal (word, "help") || g_str_equal (word, "--help") || g_str_equal (word, "-h")
      || g_str_equal (word, "--version") || g_str_has_prefix (word, "--config");
}

int
ave_cli_main (int argc, char **argv)
{
  const char *word;

  /* Global options before the command: --config FILE or --config=FILE. */
  while (argc > 1 && g_str_has_prefix (argv[1], "--config"))
    {
      int used;

      if (g_str_has_prefix (argv[1], "--config="))
        {
          g_free (global_config_path);
          global_config_path = g_strdup (argv[1] + strlen ("--config="));
          used = 1;
        }
      else if (g_str_equal (argv[1], "--config"))
        {
          if (argc < 3)
            {
              fprintf (stderr, "ai-video-editor: --config needs a FILE.yaml\n");
              return AVE_EXIT_USAGE;
            }
          g_free (global_config_path);
          global_config_path = g_strdup (argv[2]);
          used = 2;
        }
      else
        break;
      /* Keep argv[0]; the command becomes argv[1]. */
      memmove (argv + 1, argv + 1 + used, (argc - 1 - used + 1) * sizeof (char *));
      argc -= used;
    }
  if (global_config_path != NULL && *global_config_path == '\0')
    {
      fprintf (stderr, "ai-video-editor: --config needs a FILE.yaml\n");
      return AVE_EXIT_USAGE;
    }
  word = argc > 1 ? argv[1] : NULL;

  if (word == NULL)
    {
      print_help (stderr);
      return AVE_EXIT_USAGE;
    }
  if (g_str_equal (word, "--help") || g_str_equal (word, "-h") || g_str_equal (word, "help"))
    {
      print_help (stdout);
      return AVE_EXIT_OK;
    }
  if (g_str_equal (word, "--version"))
    {
      printf ("ai-video-editor %s\n", PACKAGE_VERSION);
      return AVE_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (word, commands[i].name))
      {
        /* The subcommand sees "ai-video-editor process" as its argv[0]. */
        g_autofree char *name = g_strdup_printf ("ai-video-editor %s", word);
        argv[1] = name;
        return commands[i].run (argc - 1, argv + 1);
      }

  fprintf (stderr, "ai-video-editor: '%s' is not a command.\n", word);
  if (g_file_test (word, G_FILE_TEST_EXISTS))
    fprintf (stderr, "To process that file: ai-video-editor process '%s'\n", word);
  fprintf (stderr, "Run 'ai-video-editor --help' for the list of commands.\n");
  return AVE_EXIT_USAGE;
}
