#define G_LOG_DOMAIN "ave-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "ave-cli.h"
#include "ave-cli-options.h"
#include "ave-cli-output.h"
#include "ave-cli-slurm.h"
#include "pipeline/ave-batch.h"
#include "pipeline/ave-job-queue.h"

/* `ai-video-editor batch`: the front end of ave-batch.h.  Everything it
 * decides (names, state file, resume, retries, the queue) is the engine's;
 * this file parses flags and shows what happens. */

typedef struct
{
  GMainLoop    *loop;
  GCancellable *cancellable;
  AveBatch     *batch;
  gboolean      json;
  gboolean      bar;           /* a progress line on a terminal */
  gboolean      line_open;
  guint         total;         /* inputs this run processes */
  guint         signals;
  gboolean      interrupted;
  GMutex        lock;          /* job events come from worker threads */
  GHashTable   *fractions;     /* input → progress of its current stage */
  AveCliOutput *json_output;
} BatchRun;

/* One line for the whole batch: inputs finished, plus the part of the
 * running ones that is done. */
static void
draw_bar (BatchRun *run)
{
  guint finished = ave_batch_get_n_done (run->batch) + ave_batch_get_n_failed (run->batch);
  double partial = 0, total;
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GString) line = g_string_new ("\r\033[K[");

  if (!run->bar)
    return;
  g_mutex_lock (&run->lock);
  g_hash_table_iter_init (&iter, run->fractions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    partial += *(double *) value;
  g_mutex_unlock (&run->lock);
  total = run->total > 0 ? MIN (1.0, (finished + partial) / run->total) : 1.0;
  for (int i = 0; i < 30; i++)
    g_string_append_c (line, i < (int) (total * 30 + 0.5) ? '#' : '-');
  g_string_append_printf (line, "] %u/%u done, %u failed, %u running",
                          ave_batch_get_n_done (run->batch), run->total,
                          ave_batch_get_n_failed (run->batch), ave_batch_get_n_running (run->batch));
  fputs (line->str, stderr);
  fflush (stderr);
  run->line_open = TRUE;
}

static gboolean
redraw (gpointer user_data)
{
  draw_bar (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_item_started (AveBatchItem *item, gpointer user_data)
{
  BatchRun *run = user_data;

  g_mutex_lock (&run->lock);
  g_hash_table_insert (run->fractions, g_strdup (item->input), g_new0 (double, 1));
  g_mutex_unlock (&run->lock);
  if (run->json)
    ave_cli_print_batch_item ("input-start", item, NULL, NULL, FALSE);
  draw_bar (run);
}

static void
on_item_finished (AveBatchItem *item, const GError *error, gboolean retry, gpointer user_data)
{
  BatchRun *run = user_data;
  gboolean cancelled = error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  const char *status = error == NULL ? "done" : cancelled ? "cancelled" : retry ? "retry" : "failed";

  g_mutex_lock (&run->lock);
  g_hash_table_remove (run->fractions, item->input);
  g_mutex_unlock (&run->lock);
  if (run->json)
    ave_cli_print_batch_item ("input-end", item, status, cancelled || error == NULL ? NULL : error->message, retry);
  ave_cli_clear_status_line (&run->line_open);
  /* A failure is one line on stderr, even with --json. */
  if (error != NULL && !cancelled)
    fprintf (stderr, "ai-video-editor: %s%s\n", error->message,
             retry ? " (trying again)" : "");
  else if (error == NULL && !run->json)
    fprintf (stderr, "%s → %s/ (%.1f s)\n", item->input, item->output, item->seconds);
  draw_bar (run);
}

static void
on_job_event (AveBatchItem *item, const AveEvent *event, gpointer user_data)
{
  BatchRun *run = user_data;

  g_mutex_lock (&run->lock);
  if (run->json)
    ave_cli_output_event (event, run->json_output);
  else if (event->kind == AVE_EVENT_STAGE_PROGRESS || event->kind == AVE_EVENT_STAGE_START)
    {
      double *fraction = g_hash_table_lookup (run->fractions, item->input);
      /* Five stages for `process`; each counts for a fifth. */
      if (fraction != NULL)
        *fraction = MAX (*fraction, (event->stage + (event->kind == AVE_EVENT_STAGE_PROGRESS ? event->fraction : 0))
                                    / AVE_N_STAGES);
    }
  g_mutex_unlock (&run->lock);
}

static void
on_save_failed (const GError *error, gpointer user_data)
{
  ave_cli_clear_status_line (&((BatchRun *) user_data)->line_open);
  fprintf (stderr, "ai-video-editor: the batch state was not saved: %s\n", error->message);
}

static gboolean
on_batch_done (gpointer user_data)
{
  g_main_loop_quit (((BatchRun *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal (gpointer user_data)
{
  BatchRun *run = user_data;

  run->signals++;
  ave_cli_clear_status_line (&run->line_open);
  if (run->signals == 1)
    {
      run->interrupted = TRUE;
      fprintf (stderr, "ai-video-editor: cancelling the batch; --resume continues it…\n");
      g_cancellable_cancel (run->cancellable);
    }
  else if (run->signals == 2)
    fprintf (stderr, "ai-video-editor: still stopping the running inputs; press Ctrl+C again to quit at once "
                     "(--resume runs them again)\n");
  else
    _exit (AVE_EXIT_CANCELLED);
  return G_SOURCE_CONTINUE;
}

static void
print_summary (AveBatchState *state, AveBatch *batch, double seconds, gboolean json)
{
  double cost = 0;
  guint n = ave_batch_state_get_n_items (state);

  for (guint i = 0; i < n; i++)
    cost += ave_batch_state_get_item (state, i)->cost_usd;
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;
      g_autofree char *path = g_build_filename (ave_batch_state_get_root (state), AVE_BATCH_STATE_NAME, NULL);
      const struct { const char *name; guint value; } counts[] = {
        { "done", ave_batch_get_n_done (batch) },
        { "failed", ave_batch_get_n_failed (batch) },
        { "skipped", ave_batch_get_n_skipped (batch) },
        { "not_run", ave_batch_get_n_to_run (batch) - ave_batch_get_n_done (batch) - ave_batch_get_n_failed (batch) },
      };

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "done");
      json_builder_set_member_name (b, "command");
      json_builder_add_string_value (b, "batch");
      for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
        {
          json_builder_set_member_name (b, counts[i].name);
          json_builder_add_int_value (b, counts[i].value);
        }
      json_builder_set_member_name (b, "seconds");
      json_builder_add_double_value (b, seconds);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, cost);
      json_builder_set_member_name (b, "state_file");
      json_builder_add_string_value (b, path);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (generator, root);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
      fflush (stdout);
      return;
    }
  fprintf (stderr, "\n%-8s %5s %9s %9s  %s\n", "state", "tries", "time s", "cost $", "input → output folder, or error");
  for (guint i = 0; i < n; i++)
    {
      AveBatchItem *item = ave_batch_state_get_item (state, i);

      fprintf (stderr, "%-8s %5u %9.1f %9.4f  %s → %s\n",
               item->skip ? "done*" : ave_batch_item_state_to_string (item->state), item->attempts,
               item->seconds, item->cost_usd, item->input,
               item->state == AVE_BATCH_FAILED && item->error != NULL ? item->error : item->output);
    }
  fprintf (stderr, "%u done, %u failed, %u done before (*, skipped), %u not run; %.1f s, $%.4f in API costs; state in %s/%s\n",
           ave_batch_get_n_done (batch), ave_batch_get_n_failed (batch), ave_batch_get_n_skipped (batch),
           ave_batch_get_n_to_run (batch) - ave_batch_get_n_done (batch) - ave_batch_get_n_failed (batch),
           seconds, cost, ave_batch_state_get_root (state), AVE_BATCH_STATE_NAME);
}

static int
usage (const char *message)
{
  fprintf (stderr, "ai-video-editor batch: %s\nRun 'ai-video-editor batch --help' for usage.\n", message);
  return AVE_EXIT_USAGE;
}

int
ave_cli_batch (int argc, char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *config = NULL;
  gboolean json = FALSE, resume = FALSE, slurm = FALSE;
  int jobs = 0, retries = 0;
  g_autofree char *partition = NULL;
  g_autofree char *account = NULL;
  g_autofree char *time_limit = NULL;
  g_auto(GStrv) sbatch_args = NULL;
  /* the command line as given: batch --slurm hands its process flags on */
  g_autofree char **raw_argv = g_memdup2 (argv, (argc + 1) * sizeof (char *));
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Folder for the results (required); each input gets DIR/<its path without extension>/, and DIR/batch.json records the batch", "DIR" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Inputs processed at once, within the memory budget (default: as many as the preset's budget holds, 1 without one)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue the batch in DIR/batch.json: skip inputs that are done and unchanged, run the rest", NULL },
    { "retry", 0, 0, G_OPTION_ARG_INT, &retries, "Run a failed input again up to N more times (default 0)", "N" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Settings from this YAML file (the guide's performance_config.yaml format)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON event per line on stdout: input-start, input-end (status, error, seconds), the jobs' own events, done", NULL },
    { "slurm", 0, 0, G_OPTION_ARG_NONE, &slurm, "Run the inputs as one Slurm job array (each task runs 'process' on one input) instead of here; --jobs N limits the tasks running at once (docs/scale-out.md)", NULL },
    { "partition", 0, 0, G_OPTION_ARG_STRING, &partition, "With --slurm: sbatch --partition", "P" },
    { "account", 0, 0, G_OPTION_ARG_STRING, &account, "With --slurm: sbatch --account", "A" },
    { "time", 0, 0, G_OPTION_ARG_STRING, &time_limit, "With --slurm: sbatch --time, the limit of each task (e.g. 2:00:00)", "T" },
    { "sbatch-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sbatch_args, "With --slurm: one more sbatch argument (repeatable), e.g. --sbatch-arg=--qos=long", "ARG" },
    { NULL }
  };
  g_autoptr(AveCliOptions) options = ave_cli_options_new (TRUE);
  g_autoptr(GOptionContext) context = g_option_context_new ("INPUT_DIR|LIST_FILE");
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AveBatchState) state = NULL;
  g_autoptr(AveBatchState) previous = NULL;
  g_autoptr(AveBatch) batch = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(AveCliOutput) json_output = NULL;
  BatchRun run = { 0 };
  guint signal_sources[3], redraw_source = 0;
  gint64 start;
  int rc;

  g_option_context_set_summary (context,
      "Process every video in a folder and its subfolders (or every path in a list file, one a\n"
      "line) as 'process' would, several at once, into DIR/<path relative to the input folder>/.\n"
      "DIR/batch.json records each input's state; after a crash or a kill, --resume continues\n"
      "where the batch stopped and runs again the inputs that changed since.");
  g_option_context_set_description (context,
      "Settings are resolved as for 'process': defaults < --preset < --config FILE < flags.\n\n"
      "Exit status:\n"
      "  0    every input is done\n"
      "  1    at least one input failed (each failure is one line on stderr; the others ran)\n"
      "  2    usage error\n"
      "  130  cancelled (running inputs stop without leaving anything unfinished; --resume continues)\n");
  g_option_context_set_main_group (context, ave_cli_options_group (options));
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage (error->message);
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1] != '\0')
      {
        g_autofree char *msg = g_strdup_printf ("unknown option %s", argv[i]);
        return usage (msg);
      }
  if (argc != 2)
    return usage (argc < 2 ? "give a folder of videos or a list file" : "give exactly one folder or list file");
  if (output == NULL)
    return usage ("-o DIR is required: the folder for the results and batch.json");
  if (jobs < 0 || jobs > 256)
    return usage ("--jobs: give a number from 1 to 256");
  if (retries < 0 || retries > 100)
    return usage ("--retry: give a number from 0 to 100");
  if (!slurm && (partition != NULL || account != NULL || time_limit != NULL || sbatch_args != NULL))
    return usage ("--partition, --account, --time and --sbatch-arg only go with --slurm");
  if (!ave_cli_options_resolve (options, config != NULL ? config : ave_cli_get_global_config (),
                                settings, sources, notices, &error))
    return usage (error->message);
  for (guint i = 0; i < notices->len; i++)
    fprintf (stderr, "ai-video-editor: %s\n", (const char *) g_ptr_array_index (notices, i));

  state = ave_batch_state_collect (argv[1], output, AVE_JOB_PROCESS, &error);
  if (state == NULL)
    {
      fprintf (stderr, "ai-video-editor: %s\n", error->message);
      return AVE_EXIT_FAILURE;
    }
  previous = ave_batch_state_load (output, &error);
  if (previous == NULL && error != NULL)
    {
      fprintf (stderr, "ai-video-editor: %s\n", error->message);
      return AVE_EXIT_FAILURE;
    }
  if (resume && previous == NULL)
    fprintf (stderr, "ai-video-editor: no %s in %s: starting the batch from the beginning\n",
             AVE_BATCH_STATE_NAME, output);
  ave_batch_state_merge (state, previous, resume);
  if (slurm)
    {
      g_autoptr(AveSlurmOptions) slurm_options = ave_slurm_options_new ();
      g_auto(GStrv) process_args = ave_cli_slurm_process_args (raw_argv, argv[1]);
      const char *config_path = config != NULL ? config : ave_cli_get_global_config ();
      g_autoptr(GStrvBuilder) args = g_strv_builder_new ();

      /* --resume re-attaches to the array the last run submitted */
      if (previous != NULL)
        ave_batch_state_set_slurm (state, ave_batch_state_get_slurm_job_id (previous),
                                   ave_batch_state_get_slurm_dir (previous));
      /* The task uses the CPUs it asks for (--cpus-per-task below), not
       * the node's count; a --max-workers on the command line follows
       * and wins. */
      {
        g_autofree char *workers = g_strdup_printf ("%u", settings->n_workers);
        g_strv_builder_add_many (args, "--max-workers", workers, NULL);
      }
      if (config_path != NULL)
        {
          g_autofree char *absolute = g_canonicalize_filename (config_path, NULL);
          g_strv_builder_add_many (args, "--config", absolute, NULL);
        }
      g_strv_builder_addv (args, (const char **) process_args);
      slurm_options->process_args = g_strv_builder_end (args);
      slurm_options->program = g_file_read_link ("/proc/self/exe", NULL);
      if (slurm_options->program == NULL)
        slurm_options->program = g_canonicalize_filename (g_get_prgname (), NULL);
      slurm_options->partition = g_steal_pointer (&partition);
      slurm_options->account = g_steal_pointer (&account);
      slurm_options->time_limit = g_steal_pointer (&time_limit);
      slurm_options->sbatch_args = g_steal_pointer (&sbatch_args);
      slurm_options->throttle = (guint) jobs;
      /* The engine keeps within its budget; Slurm's limit (a kill, where
       * cgroups enforce it) sits a tenth above it. */
      slurm_options->mem_bytes = settings->max_memory_bytes + settings->max_memory_bytes / 10;
      slurm_options->cpus = settings->n_workers;
      return ave_cli_batch_slurm (state, argv[1], slurm_options, resume, (guint) retries, json);
    }
  if (jobs == 0)
    jobs = ave_job_queue_default_jobs (settings);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  run.cancellable = cancellable;
  run.json = json;
  run.bar = !json && isatty (STDERR_FILENO);
  run.fractions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&run.lock);
  if (json)
    run.json_output = json_output = ave_cli_output_new (TRUE, FALSE);
  {
    const AveBatchCallbacks callbacks = {
      on_item_started, on_item_finished, on_job_event, on_save_failed
    };
    batch = ave_batch_new (state, AVE_JOB_PROCESS, settings, jobs, retries, &callbacks, &run);
  }
  run.batch = batch;
  run.total = ave_batch_get_n_to_run (batch);
  if (!json)
    {
      g_autofree char *budget = settings->max_memory_bytes > 0
        ? g_strdup_printf ("within the %.1f GB budget", settings->max_memory_bytes / 1073741824.0)
        : g_strdup ("no memory budget");

      fprintf (stderr, "%u input%s to process (%u done before, skipped), up to %d at a time "
               "(about %.0f MB each, %s), into %s/\n",
               run.total, run.total == 1 ? "" : "s", ave_batch_get_n_skipped (batch), jobs,
               ave_job_queue_estimate (settings) / 1e6, budget, ave_batch_state_get_root (state));
    }

  signal_sources[0] = g_unix_signal_add (SIGINT, on_stop_signal, &run);
  signal_sources[1] = g_unix_signal_add (SIGTERM, on_stop_signal, &run);
  signal_sources[2] = g_unix_signal_add (SIGHUP, on_stop_signal, &run);
  if (run.bar)
    redraw_source = g_timeout_add (500, redraw, &run);
  start = g_get_monotonic_time ();
  ave_batch_start (batch, cancellable, on_batch_done, &run);
  g_main_loop_run (loop);
  for (guint i = 0; i < G_N_ELEMENTS (signal_sources); i++)
    g_source_remove (signal_sources[i]);
  if (redraw_source != 0)
    g_source_remove (redraw_source);
  ave_cli_clear_status_line (&run.line_open);
  print_summary (state, batch, (g_get_monotonic_time () - start) / 1e6, json);

  if (run.interrupted)
    rc = AVE_EXIT_CANCELLED;
  else
    rc = ave_batch_get_n_failed (batch) > 0 ? AVE_EXIT_FAILURE : AVE_EXIT_OK;
  g_clear_pointer (&batch, ave_batch_free);
  g_hash_table_unref (run.fractions);
  g_mutex_clear (&run.lock);
  return rc;
}
