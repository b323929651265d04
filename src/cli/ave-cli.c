#define G_LOG_DOMAIN "ave-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib-unix.h>

#include "ave-cli.h"
#include "ave-cli-output.h"
#include "core/ave-error.h"
#include "core/ave-job.h"

#define EXIT_CODES_TEXT \
  "Exit status:\n" \
  "  0    every input was processed\n" \
  "  1    at least one input failed (each failure is one line on stderr)\n" \
  "  2    usage error: unknown option, bad value, missing input\n" \
  "  130  cancelled with Ctrl+C (no partial output is left)\n"

typedef struct
{
  char    *output;
  char    *type;
  char    *quality;
  char    *mode;
  char    *plan;
  gboolean json;
  char   **inputs;
} CommonOptions;

static void
common_options_clear (CommonOptions *o)
{
  g_free (o->output);
  g_free (o->type);
  g_free (o->quality);
  g_free (o->mode);
  g_free (o->plan);
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

/* Turns the parsed options into engine settings; FALSE with a usage message. */
static gboolean
settings_from_options (const char   *command,
                       CommonOptions *o,
                       AveSettings  *settings,
                       int          *exit_code)
{
  AveContentType type;
  AveQuality quality;
  AveMode mode;

  if (o->quality != NULL)
    {
      if (!ave_quality_from_string (o->quality, &quality))
        {
          g_autofree char *msg = g_strdup_printf ("--quality: '%s' is not one of fast, medium, high, ultra", o->quality);
          *exit_code = usage_error (command, msg);
          return FALSE;
        }
      ave_settings_apply_quality (settings, quality);
    }
  if (o->mode != NULL)
    {
      if (!ave_mode_from_string (o->mode, &mode))
        {
          g_autofree char *msg = g_strdup_printf ("--mode: '%s' is not one of fast, balanced, high_quality", o->mode);
          *exit_code = usage_error (command, msg);
          return FALSE;
        }
      ave_settings_apply_mode (settings, mode);
    }
  if (o->type != NULL)
    {
      if (!ave_content_type_from_string (o->type, &type))
        {
          g_autofree char *msg = g_strdup_printf ("--type: '%s' is not one of general, educational, music", o->type);
          *exit_code = usage_error (command, msg);
          return FALSE;
        }
      ave_settings_apply_content_type (settings, type);
    }
  return TRUE;
}

/* ------------------------------------------------------------ running */

typedef struct
{
  GMainLoop    *loop;
  GCancellable *cancellable;
  AveCliOutput *output;
  GError       *error;
  gboolean      interrupted;
} RunState;

static gboolean
on_sigint (gpointer user_data)
{
  RunState *state = user_data;

  if (!state->interrupted)
    {
      state->interrupted = TRUE;
      ave_cli_output_message (state->output, "ai-video-editor: cancelling (press Ctrl+C again to quit at once)…");
      g_cancellable_cancel (state->cancellable);
      return G_SOURCE_CONTINUE;
    }
  _exit (AVE_EXIT_CANCELLED);
}

static void
on_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RunState *state = user_data;

  ave_job_run_finish (AVE_JOB (source), result, &state->error);
  g_main_loop_quit (state->loop);
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
  guint n_inputs = g_strv_length (o->inputs);
  guint succeeded = 0, failed = 0;
  guint sigint;

  sigint = g_unix_signal_add (SIGINT, on_sigint, &state);

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
      ave_job_set_output_name (job, stem);

      if (o->plan != NULL)
        ave_job_set_plan_file (job, o->plan);
      ave_job_set_event_func (job, ave_cli_output_event, output, NULL);

      ave_cli_output_input_start (output, o->inputs[i], i, n_inputs);
      g_clear_error (&state.error);
      ave_job_run_async (job, cancellable, on_job_done, &state);
      g_main_loop_run (loop);
      ave_cli_output_input_end (output, job, state.error, (g_get_monotonic_time () - start) / 1e6);
      if (state.error == NULL)
        succeeded++;
      else
        failed++;
    }
  g_clear_error (&state.error);
  g_source_remove (sigint);

  ave_cli_output_done (output, command, succeeded, failed);
  if (state.interrupted)
    return AVE_EXIT_CANCELLED;
  return failed > 0 ? AVE_EXIT_FAILURE : AVE_EXIT_OK;
}

/* -------------------------------------------------------- subcommands */

static GOptionContext *
make_context (const char *parameter, const char *summary, const char *description,
              const GOptionEntry *entries)
{
  GOptionContext *context = g_option_context_new (parameter);

  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
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

static int
cmd_process (int argc, char **argv)
{
  g_auto(CommonOptions) o = { 0 };
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "Folder for the results (default ./output); each input gets DIR/<name>/", "DIR" },
    { "type", 't', 0, G_OPTION_ARG_STRING, &o.type, "Content type: general, educational (also cuts filler words), music (cuts on beats)", "TYPE" },
    { "quality", 'q', 0, G_OPTION_ARG_STRING, &o.quality, "fast, medium, high (default) or ultra: analysis resolution, encoder preset and CRF", "LEVEL" },
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &o.mode, "fast (cuts only), balanced (default: crossfades at shot changes) or high_quality", "MODE" },
    { "plan", 0, 0, G_OPTION_ARG_FILENAME, &o.plan, "Render this edit plan (a plan.json, possibly edited by hand) instead of asking the director", "PLAN.json" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print one JSON event per line on stdout (stage start, progress, end, warnings, results)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = make_context (
      "INPUT...",
      "Analyse each input, plan an edit with the offline director and render it.\n"
      "Writes DIR/<name>/final.mp4, plan.json, analysis.json, metadata.json and thumbnails/.",
      EXIT_CODES_TEXT, entries);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  int rc;

  if ((rc = parse_or_usage ("process", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;
  if ((rc = collect_inputs ("process", &o, argc, argv)) != AVE_EXIT_OK)
    return rc;
  if (o.plan != NULL && g_strv_length (o.inputs) > 1)
    return usage_error ("process", "--plan describes one source: give exactly one input with it");
  if (!settings_from_options ("process", &o, settings, &rc))
    return rc;
  return run_jobs ("process", AVE_JOB_PROCESS, &o, settings);
}

static int
cmd_analyze (int argc, char **argv)
{
  g_auto(CommonOptions) o = { 0 };
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "Folder for the results (default ./output); each input gets DIR/<name>/analysis.json", "DIR" },
    { "type", 't', 0, G_OPTION_ARG_STRING, &o.type, "Content type: general, educational, music (adds beats and tempo)", "TYPE" },
    { "quality", 'q', 0, G_OPTION_ARG_STRING, &o.quality, "fast, medium, high (default) or ultra: analysis resolution", "LEVEL" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print one JSON event per line on stdout", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = make_context (
      "INPUT...",
      "Run only the audio and video analysis of each input and write DIR/<name>/analysis.json\n"
      "(shots, silences, words with filler flags, loudness, beats for music).",
      EXIT_CODES_TEXT, entries);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  int rc;

  if ((rc = parse_or_usage ("analyze", context, &argc, &argv)) != AVE_EXIT_OK)
    return rc;
  if ((rc = collect_inputs ("analyze", &o, argc, argv)) != AVE_EXIT_OK)
    return rc;
  if (!settings_from_options ("analyze", &o, settings, &rc))
    return rc;
  return run_jobs ("analyze", AVE_JOB_ANALYZE, &o, settings);
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
};

static void
print_help (FILE *out)
{
  fprintf (out,
           "Usage: ai-video-editor COMMAND [OPTION...] INPUT...\n\n"
           "AI Video Editor turns raw recordings into edited videos with thumbnails\n"
           "and metadata, offline by default.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out,
           "\nRun 'ai-video-editor COMMAND --help' for the options of a command.\n"
           "Options: -h, --help  show this help;  --version  show the version\n\n"
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
      || g_str_equal (word, "--version");
}

int
ave_cli_main (int argc, char **argv)
{
  const char *word = argc > 1 ? argv[1] : NULL;

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
