#define G_LOG_DOMAIN "ave-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "ave-cli.h"
#include "ave-cli-output.h"
#include "ave-cli-slurm.h"
#include "pipeline/ave-slurm-batch.h"

/* `ai-video-editor batch --slurm`: the front end of ave-slurm-batch.h.
 * What is submitted, retried and re-attached is the engine's; this file
 * turns flags into AveSlurmOptions and shows what happens. */

typedef struct
{
  GMainLoop     *loop;
  AveSlurmBatch *batch;
  const char    *source;
  const char    *output;
  gboolean       json;
  gboolean       bar;
  gboolean       line_open;
  gboolean       interrupted;
  gboolean       cancelling;
  guint          signals;
} SlurmRun;

/* The bar counts finished tasks: a task's own progress is on its node. */
static void
draw_bar (SlurmRun *run)
{
  guint total = ave_slurm_batch_get_n_to_run (run->batch);
  guint finished = ave_slurm_batch_get_n_done (run->batch) + ave_slurm_batch_get_n_failed (run->batch);
  g_autoptr(GString) line = g_string_new ("\r\033[K[");
  double fraction = total > 0 ? MIN (1.0, (double) finished / total) : 1.0;

  if (!run->bar)
    return;
  for (int i = 0; i < 30; i++)
    g_string_append_c (line, i < (int) (fraction * 30 + 0.5) ? '#' : '-');
  g_string_append_printf (line, "] %u/%u done, %u failed, %u running, %u queued (Slurm job %s)",
                          ave_slurm_batch_get_n_done (run->batch), total,
                          ave_slurm_batch_get_n_failed (run->batch), ave_slurm_batch_get_n_running (run->batch),
                          ave_slurm_batch_get_n_queued (run->batch),
                          ave_slurm_batch_get_job_id (run->batch) != NULL ? ave_slurm_batch_get_job_id (run->batch) : "-");
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
on_submitted (const char *job_id, const char *dir, guint n_tasks, gboolean attached, gpointer user_data)
{
  SlurmRun *run = user_data;

  if (run->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, attached ? "slurm-attached" : "slurm-submitted");
      json_builder_set_member_name (b, "job_id");
      json_builder_add_string_value (b, job_id);
      json_builder_set_member_name (b, "tasks");
      json_builder_add_int_value (b, n_tasks);
      json_builder_set_member_name (b, "submission");
      json_builder_add_string_value (b, dir);
      json_builder_end_object (b);
      ave_cli_print_json (b);
      return;
    }
  ave_cli_clear_status_line (&run->line_open);
  fprintf (stderr, "%s Slurm job array %s (%u task%s); its files are in %s/\n",
           attached ? "watching again the" : "submitted the", job_id, n_tasks, n_tasks == 1 ? "" : "s", dir);
  draw_bar (run);
}

static void
on_item_started (AveBatchItem *item, gpointer user_data)
{
  SlurmRun *run = user_data;

  if (run->json)
    ave_cli_print_batch_item ("input-start", item, NULL, NULL, FALSE);
  draw_bar (run);
}

static void
on_item_finished (AveBatchItem *item, gboolean retry, gpointer user_data)
{
  SlurmRun *run = user_data;
  const char *status = item->state == AVE_BATCH_DONE ? "done"
                       : retry ? "retry"
                       : item->state == AVE_BATCH_FAILED ? "failed" : "cancelled";

  if (run->json)
    ave_cli_print_batch_item ("input-end", item, status, item->error, retry);
  ave_cli_clear_status_line (&run->line_open);
  /* A failure is one line on stderr, even with --json. */
  if (item->state == AVE_BATCH_FAILED || retry)
    fprintf (stderr, "ai-video-editor: %s%s\n", item->error, retry ? " (submitting it again)" : "");
  else if (item->state == AVE_BATCH_DONE && !run->json)
    fprintf (stderr, "%s → %s/ (%.0f s on the node)\n", item->input, item->output, item->seconds);
  draw_bar (run);
}

static void
on_poll_failed (const GError *error, gpointer user_data)
{
  SlurmRun *run = user_data;

  ave_cli_clear_status_line (&run->line_open);
  fprintf (stderr, "ai-video-editor: %s (trying again)\n", error->message);
}

static void
on_save_failed (const GError *error, gpointer user_data)
{
  ave_cli_clear_status_line (&((SlurmRun *) user_data)->line_open);
  fprintf (stderr, "ai-video-editor: the batch state was not saved: %s\n", error->message);
}

static gboolean
on_done (gpointer user_data)
{
  g_main_loop_quit (((SlurmRun *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

static void
say_how_to_continue (SlurmRun *run, const char *job_id)
{
  fprintf (stderr,
           "ai-video-editor: stopped watching; the Slurm job array %s keeps running.\n"
           "  to watch it again and gather its results: ai-video-editor batch '%s' -o '%s' --slurm --resume\n"
           "  to cancel it:                             scancel %s\n",
           job_id, run->source, run->output, job_id);
}

/* Ctrl+C on a terminal asks whether to cancel the array; otherwise (a
 * script, SIGTERM, SIGHUP, no answer) the array is left to run and the
 * message says how to cancel it or watch it again. */
static gboolean
on_stop_signal (gpointer user_data)
{
  SlurmRun *run = user_data;
  const char *job_id = ave_slurm_batch_get_job_id (run->batch);
  char answer[16] = "";

  run->signals++;
  run->interrupted = TRUE;
  ave_cli_clear_status_line (&run->line_open);
  if (run->signals > 1 || job_id == NULL)
    {
      if (job_id != NULL)
        say_how_to_continue (run, job_id);
      ave_slurm_batch_detach (run->batch);
      g_main_loop_quit (run->loop);
      return G_SOURCE_CONTINUE;
    }
  if (isatty (STDIN_FILENO) && isatty (STDERR_FILENO))
    {
      fprintf (stderr, "\nCancel the Slurm job array %s (%u running, %u queued) with scancel? [y/N] ", job_id,
               ave_slurm_batch_get_n_running (run->batch), ave_slurm_batch_get_n_queued (run->batch));
      fflush (stderr);
      if (fgets (answer, sizeof answer, stdin) == NULL)
        answer[0] = '\0';
    }
  if (answer[0] == 'y' || answer[0] == 'Y')
    {
      g_autoptr(GError) error = NULL;

      if (ave_slurm_batch_cancel (run->batch, &error))
        {
          run->cancelling = TRUE;
          fprintf (stderr, "ai-video-editor: cancelling job %s; waiting for Slurm to end its tasks "
                           "(Ctrl+C again stops waiting)…\n", job_id);
          return G_SOURCE_CONTINUE;
        }
      fprintf (stderr, "ai-video-editor: %s\n", error->message);
    }
  say_how_to_continue (run, job_id);
  ave_slurm_batch_detach (run->batch);
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
print_summary (SlurmRun *run, AveBatchState *state, double seconds)
{
  AveSlurmBatch *batch = run->batch;
  guint n = ave_batch_state_get_n_items (state);
  guint not_run = ave_slurm_batch_get_n_to_run (batch) - ave_slurm_batch_get_n_done (batch)
                  - ave_slurm_batch_get_n_failed (batch);

  if (run->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autofree char *path = g_build_filename (ave_batch_state_get_root (state), AVE_BATCH_STATE_NAME, NULL);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "done");
      json_builder_set_member_name (b, "command");
      json_builder_add_string_value (b, "batch");
      json_builder_set_member_name (b, "done");
      json_builder_add_int_value (b, ave_slurm_batch_get_n_done (batch));
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, ave_slurm_batch_get_n_failed (batch));
      json_builder_set_member_name (b, "skipped");
      json_builder_add_int_value (b, ave_slurm_batch_get_n_skipped (batch));
      json_builder_set_member_name (b, "not_run");
      json_builder_add_int_value (b, not_run);
      json_builder_set_member_name (b, "submitted");
      json_builder_add_int_value (b, ave_slurm_batch_get_n_submitted (batch));
      json_builder_set_member_name (b, "seconds");
      json_builder_add_double_value (b, seconds);
      json_builder_set_member_name (b, "state_file");
      json_builder_add_string_value (b, path);
      json_builder_end_object (b);
      ave_cli_print_json (b);
      return;
    }
  fprintf (stderr, "\n%-8s %5s %9s  %s\n", "state", "tries", "node s", "input → output folder, or error");
  for (guint i = 0; i < n; i++)
    {
      AveBatchItem *item = ave_batch_state_get_item (state, i);

      fprintf (stderr, "%-8s %5u %9.0f  %s → %s\n",
               item->skip ? "done*" : ave_batch_item_state_to_string (item->state), item->attempts,
               item->seconds, item->input,
               item->state == AVE_BATCH_FAILED && item->error != NULL ? item->error : item->output);
    }
  fprintf (stderr, "%u done, %u failed, %u done before (*, skipped), %u not finished; %u task%s submitted; "
                   "%.1f s; state in %s/%s\n",
           ave_slurm_batch_get_n_done (batch), ave_slurm_batch_get_n_failed (batch),
           ave_slurm_batch_get_n_skipped (batch), not_run, ave_slurm_batch_get_n_submitted (batch),
           ave_slurm_batch_get_n_submitted (batch) == 1 ? "" : "s", seconds,
           ave_batch_state_get_root (state), AVE_BATCH_STATE_NAME);
}

int
ave_cli_batch_slurm (AveBatchState         *state,
                     const char            *source,
                     const AveSlurmOptions *options,
                     gboolean               resume,
                     guint                  retries,
                     gboolean               json)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AveSlurmBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *storage_note = NULL;
  const AveSlurmBatchCallbacks callbacks = {
    on_submitted, on_item_started, on_item_finished, on_poll_failed, on_save_failed
  };
  SlurmRun run = { .loop = loop, .source = source, .output = ave_batch_state_get_root (state), .json = json };
  guint signal_sources[3], redraw_source = 0;
  const char *poll_env = g_getenv ("AVE_SLURM_POLL_MS");
  guint poll_ms = poll_env != NULL ? (guint) g_ascii_strtoull (poll_env, NULL, 10) : 5000;
  gint64 start;

  if (!ave_slurm_available (&error))
    {
      fprintf (stderr, "ai-video-editor: --slurm: %s\n", error->message);
      return AVE_EXIT_FAILURE;
    }
  /* Every node must see the inputs, the output folder and the program;
   * said plainly when the output folder is local, but not refused: on a
   * one-node partition local storage is fine. */
  if (!ave_slurm_check_shared_storage (ave_batch_state_get_root (state), options->partition, &storage_note))
    fprintf (stderr, "ai-video-editor: warning: %s\n", storage_note);
  else if (storage_note != NULL && !json)
    fprintf (stderr, "ai-video-editor: %s\n", storage_note);

  batch = ave_slurm_batch_new (state, options, retries, poll_ms, &callbacks, &run);
  run.batch = batch;
  run.bar = !json && isatty (STDERR_FILENO);
  if (!json)
    fprintf (stderr, "%u input%s to process on Slurm (%u done before, skipped), into %s/\n",
             ave_slurm_batch_get_n_to_run (batch), ave_slurm_batch_get_n_to_run (batch) == 1 ? "" : "s",
             ave_slurm_batch_get_n_skipped (batch), ave_batch_state_get_root (state));

  start = g_get_monotonic_time ();
  if (!ave_slurm_batch_start (batch, resume, on_done, &run, &error))
    {
      fprintf (stderr, "ai-video-editor: %s\n", error->message);
      return AVE_EXIT_FAILURE;
    }
  signal_sources[0] = g_unix_signal_add (SIGINT, on_stop_signal, &run);
  signal_sources[1] = g_unix_signal_add (SIGTERM, on_stop_signal, &run);
  signal_sources[2] = g_unix_signal_add (SIGHUP, on_stop_signal, &run);
  if (run.bar)
    redraw_source = g_timeout_add (1000, redraw, &run);
  g_main_loop_run (loop);
  for (guint i = 0; i < G_N_ELEMENTS (signal_sources); i++)
    g_source_remove (signal_sources[i]);
  if (redraw_source != 0)
    g_source_remove (redraw_source);
  ave_cli_clear_status_line (&run.line_open);
  print_summary (&run, state, (g_get_monotonic_time () - start) / 1e6);

  if (run.interrupted)
    return AVE_EXIT_CANCELLED;
  return ave_slurm_batch_get_n_failed (batch) > 0 ? AVE_EXIT_FAILURE : AVE_EXIT_OK;
}

/* batch's own options: { long name, short name, takes a value } */
static const struct { const char *name; char short_name; gboolean value; } batch_only[] = {
  { "output", 'o', TRUE }, { "jobs", 'j', TRUE }, { "resume", 0, FALSE }, { "retry", 0, TRUE },
  { "json", 0, FALSE }, { "config", 0, TRUE }, { "slurm", 0, FALSE }, { "partition", 0, TRUE },
  { "account", 0, TRUE }, { "time", 0, TRUE }, { "sbatch-arg", 0, TRUE },
};

char **
ave_cli_slurm_process_args (char **argv, const char *source)
{
  GPtrArray *args = g_ptr_array_new ();

  for (guint i = 1; argv[i] != NULL; i++)
    {
      const char *arg = argv[i];
      gboolean dropped = FALSE;

      if (arg == source)
        continue;
      for (guint k = 0; k < G_N_ELEMENTS (batch_only) && !dropped; k++)
        {
          gsize len = strlen (batch_only[k].name);

          if (g_str_has_prefix (arg, "--") && strncmp (arg + 2, batch_only[k].name, len) == 0
              && (arg[2 + len] == '\0' || arg[2 + len] == '='))
            {
              dropped = TRUE;
              /* "--name value": the value goes too */
              if (batch_only[k].value && arg[2 + len] == '\0' && argv[i + 1] != NULL)
                i++;
            }
          else if (batch_only[k].short_name != 0 && arg[0] == '-' && arg[1] == batch_only[k].short_name)
            {
              dropped = TRUE;
              if (batch_only[k].value && arg[2] == '\0' && argv[i + 1] != NULL)
                i++;
            }
        }
      if (!dropped && !g_str_equal (arg, "--"))
        g_ptr_array_add (args, g_strdup (arg));
    }
  g_ptr_array_add (args, NULL);
  return (char **) g_ptr_array_free (args, FALSE);
}
