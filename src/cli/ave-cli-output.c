#define G_LOG_DOMAIN "ave-cli"

#include "config.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

#include "ave-cli-output.h"
#include "core/ave-error.h"
#include "core/ave-monitor.h"

struct _AveCliOutput
{
  gboolean   json;
  gboolean   progress_bar;
  gboolean   line_open;            /* a progress line waits for \r */
  double     fraction[AVE_N_STAGES];
  gboolean   active[AVE_N_STAGES];
  GPtrArray *results;              /* "name\tpath" of the current input */

  /* --real-time-stats: the job sends AVE_EVENT_SAMPLE events only then */
  gboolean   have_stats;
  AveResourceSample last_sample;
  double     cpu_percent;
  guint      n_samples;
};

AveCliOutput *
ave_cli_output_new (gboolean json, gboolean progress_bar)
{
  AveCliOutput *self = g_new0 (AveCliOutput, 1);

  self->json = json;
  self->progress_bar = progress_bar && !json;
  self->results = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
ave_cli_output_free (AveCliOutput *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->results);
  g_free (self);
}

static const char *
stage_label (AveStage stage)
{
  static const char * const labels[AVE_N_STAGES] = {
    "audio analysis", "video analysis", "AI director", "assets", "composition",
  };
  return labels[stage];
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  fprintf (stdout, "%s\n", text);
  fflush (stdout);
}

static JsonBuilder *
json_event_begin (const char *event, const char *input)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  if (input != NULL)
    {
      json_builder_set_member_name (builder, "input");
      json_builder_add_string_value (builder, input);
    }
  return builder;
}

static void
json_event_end (JsonBuilder *builder)
{
  json_builder_end_object (builder);
  print_json (builder);
  g_object_unref (builder);
}

static void
add_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
clear_progress_line (AveCliOutput *self)
{
  if (self->line_open)
    {
      fputs ("\r\033[K", stderr);
      self->line_open = FALSE;
    }
}

static void
draw_progress_line (AveCliOutput *self, double elapsed)
{
  GString *line = g_string_new ("\r\033[K  ");
  double total = 0;
  guint n = 0;

  for (guint s = 0; s < AVE_N_STAGES; s++)
    if (self->active[s])
      {
        total += self->fraction[s];
        n++;
      }
  if (n == 0)
    {
      g_string_free (line, TRUE);
      return;
    }
  total /= n;
  g_string_append_c (line, '[');
  for (int i = 0; i < 24; i++)
    g_string_append (line, i < (int) (total * 24 + 0.5) ? "#" : "-");
  g_string_append (line, "] ");
  for (guint s = 0, k = 0; s < AVE_N_STAGES; s++)
    if (self->active[s])
      g_string_append_printf (line, "%s%s %3.0f%%", k++ ? " · " : "",
                              stage_label (s), 100 * self->fraction[s]);
  if (self->have_stats)
    g_string_append_printf (line, " · CPU %.0f %% · RSS %.0f MB",
                            self->cpu_percent, self->last_sample.rss_bytes / 1048576.0);
  g_string_append_printf (line, "  %.1f s", elapsed);
  fputs (line->str, stderr);
  fflush (stderr);
  self->line_open = TRUE;
  g_string_free (line, TRUE);
}

/* The job's sampler is the clock; the numbers come from our own sample. */
static void
take_stats (AveCliOutput *self)
{
  AveResourceSample now;

  ave_resource_sample_take (&now);
  if (self->have_stats)
    self->cpu_percent = ave_resource_sample_cpu_percent (&self->last_sample, &now);
  self->last_sample = now;
  self->have_stats = TRUE;
  self->n_samples++;
}

static void
print_stats_line (AveCliOutput *self, double elapsed)
{
  GString *line = g_string_new ("  stats:");
  gboolean any = FALSE;

  for (guint s = 0; s < AVE_N_STAGES; s++)
    if (self->active[s])
      {
        g_string_append_printf (line, "%s %s %.0f %%", any ? "," : "", stage_label (s), 100 * self->fraction[s]);
        any = TRUE;
      }
  g_string_append_printf (line, "%s CPU %.0f %%, RSS %.0f MB, %.1f s elapsed\n", any ? " ·" : "",
                          self->cpu_percent, self->last_sample.rss_bytes / 1048576.0, elapsed);
  fputs (line->str, stderr);
  fflush (stderr);
  g_string_free (line, TRUE);
}

void
ave_cli_output_event (const AveEvent *event, gpointer user_data)
{
  AveCliOutput *self = user_data;
  JsonBuilder *b;

  if (self->json)
    {
      switch (event->kind)
        {
        case AVE_EVENT_STAGE_START:
          b = json_event_begin ("stage-start", event->input);
          add_string (b, "stage", ave_stage_to_string (event->stage));
          add_double (b, "time", event->elapsed);
          json_event_end (b);
          break;
        case AVE_EVENT_STAGE_PROGRESS:
          b = json_event_begin ("progress", event->input);
          add_string (b, "stage", ave_stage_to_string (event->stage));
          add_double (b, "fraction", event->fraction);
          add_double (b, "time", event->elapsed);
          json_event_end (b);
          break;
        case AVE_EVENT_STAGE_END:
          b = json_event_begin ("stage-end", event->input);
          add_string (b, "stage", ave_stage_to_string (event->stage));
          add_double (b, "time", event->elapsed);
          add_double (b, "wall_seconds", event->wall_seconds);
          add_double (b, "cpu_seconds", event->cpu_seconds);
          add_double (b, "peak_rss_mb", event->peak_rss_bytes / 1048576.0);
          json_builder_set_member_name (b, "skipped");
          json_builder_add_boolean_value (b, event->skipped);
          json_event_end (b);
          break;
        case AVE_EVENT_WARNING:
        case AVE_EVENT_NOTICE:
          b = json_event_begin (event->kind == AVE_EVENT_WARNING ? "warning" : "notice", event->input);
          add_string (b, "message", event->message);
          json_event_end (b);
          break;
        case AVE_EVENT_RESULT:
          b = json_event_begin ("result", event->input);
          add_string (b, "name", event->name);
          add_string (b, "path", event->path);
          json_event_end (b);
          break;
        case AVE_EVENT_DECISION:
          b = json_event_begin ("decision", event->input);
          add_string (b, "name", event->name);
          add_string (b, "message", event->message);
          json_event_end (b);
          break;
        case AVE_EVENT_COST:
          b = json_event_begin ("cost", event->input);
          add_string (b, "kind", event->cost->kind);
          add_string (b, "provider", event->cost->provider);
          add_string (b, "model", event->cost->model);
          json_builder_set_member_name (b, "prompt_tokens");
          json_builder_add_int_value (b, event->cost->prompt_tokens);
          json_builder_set_member_name (b, "completion_tokens");
          json_builder_add_int_value (b, event->cost->completion_tokens);
          add_double (b, "audio_seconds", event->cost->audio_seconds);
          json_builder_set_member_name (b, "images");
          json_builder_add_int_value (b, event->cost->images);
          add_double (b, "usd", event->cost->usd);
          add_string (b, "status", ave_call_status_to_string (event->cost->status));
          add_double (b, "latency_s", event->cost->latency_s);
          json_event_end (b);
          break;
        case AVE_EVENT_SAMPLE:
          take_stats (self);
          b = json_event_begin ("sample", event->input);
          add_double (b, "time", event->elapsed);
          add_double (b, "cpu_percent", self->cpu_percent);
          add_double (b, "rss_mb", self->last_sample.rss_bytes / 1048576.0);
          json_event_end (b);
          break;
        default:
          break;
        }
      return;
    }

  switch (event->kind)
    {
    case AVE_EVENT_STAGE_START:
      self->active[event->stage] = TRUE;
      self->fraction[event->stage] = 0;
      if (self->progress_bar)
        draw_progress_line (self, event->elapsed);
      else
        fprintf (stderr, "  %s: started\n", stage_label (event->stage));
      break;
    case AVE_EVENT_STAGE_PROGRESS:
      self->fraction[event->stage] = event->fraction;
      if (self->progress_bar)
        draw_progress_line (self, event->elapsed);
      break;
    case AVE_EVENT_STAGE_END:
      self->active[event->stage] = FALSE;
      clear_progress_line (self);
      if (event->skipped)
        fprintf (stderr, "  %-15s skipped (nothing to do)\n", stage_label (event->stage));
      else
        fprintf (stderr, "  %-15s done in %.1f s (CPU %.1f s, peak memory %.0f MB)\n",
                 stage_label (event->stage), event->wall_seconds, event->cpu_seconds,
                 event->peak_rss_bytes / 1048576.0);
      if (self->progress_bar)
        draw_progress_line (self, event->elapsed);
      break;
    case AVE_EVENT_WARNING:
      clear_progress_line (self);
      fprintf (stderr, "  warning: %s\n", event->message);
      break;
    case AVE_EVENT_NOTICE:
      clear_progress_line (self);
      fprintf (stderr, "  note: %s\n", event->message);
      break;
    case AVE_EVENT_RESULT:
      g_ptr_array_add (self->results, g_strdup_printf ("%s\t%s", event->name, event->path));
      break;
    case AVE_EVENT_DECISION:
      clear_progress_line (self);
      fprintf (stderr, "  decision: %s: %s\n", event->name, event->message);
      break;
    case AVE_EVENT_COST:
      {
        g_autofree char *audio = event->cost->audio_seconds > 0
                                 ? g_strdup_printf (", %.1f s of audio", event->cost->audio_seconds) : g_strdup ("");

        clear_progress_line (self);
        fprintf (stderr, "  cost: %s %s %s: %" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT " tokens%s, $%.6f (%s)\n",
                 event->cost->kind, event->cost->provider, event->cost->model,
                 event->cost->prompt_tokens, event->cost->completion_tokens, audio,
                 event->cost->usd, ave_call_status_to_string (event->cost->status));
      }
      break;
    case AVE_EVENT_SAMPLE:
      take_stats (self);
      if (self->progress_bar)
        draw_progress_line (self, event->elapsed);
      else if (self->n_samples % 4 == 1)
        print_stats_line (self, event->elapsed);   /* not a terminal: a line every ~2 s */
      break;
    default:
      break;
    }
}

void
ave_cli_output_input_start (AveCliOutput *self, const char *input, guint index, guint total)
{
  g_ptr_array_set_size (self->results, 0);
  memset (self->active, 0, sizeof self->active);
  self->have_stats = FALSE;
  self->n_samples = 0;
  if (self->json)
    {
      JsonBuilder *b = json_event_begin ("input-start", input);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, index + 1);
      json_builder_set_member_name (b, "total");
      json_builder_add_int_value (b, total);
      json_event_end (b);
      return;
    }
  /* A lone input needs no header: a failure then reads as one line. */
  if (total > 1)
    fprintf (stderr, "%s (%u of %u)\n", input, index + 1, total);
  else if (self->progress_bar)
    fprintf (stderr, "%s\n", input);
}

void
ave_cli_output_input_end (AveCliOutput *self, AveJob *job, const GError *error, double seconds)
{
  const char *input = ave_job_get_input (job);
  gboolean cancelled = error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  const char *status = error == NULL ? "ok" : cancelled ? "cancelled" : "failed";

  clear_progress_line (self);
  if (self->json)
    {
      JsonBuilder *b = json_event_begin ("input-end", input);
      add_string (b, "status", status);
      add_double (b, "seconds", seconds);
      if (error != NULL && !cancelled)
        add_string (b, "error", error->message);
      if (error == NULL && ave_job_get_output_dir (job) != NULL)
        add_string (b, "output_dir", ave_job_get_output_dir (job));
      json_event_end (b);
    }

  /* A failure is always one line on stderr, even with --json. */
  if (error != NULL && !cancelled)
    fprintf (stderr, "ai-video-editor: %s\n", error->message);
  else if (cancelled)
    fprintf (stderr, "ai-video-editor: %s: cancelled; nothing unfinished was left, and earlier results in the output folder are as they were\n", input);
  else if (!self->json)
    {
      fprintf (stderr, "  finished in %.1f s; results in %s/\n", seconds, ave_job_get_output_dir (job));
      for (guint i = 0; i < self->results->len; i++)
        {
          const char *entry = g_ptr_array_index (self->results, i);
          const char *tab = strchr (entry, '\t');
          if (g_str_has_prefix (entry, "thumbnail\t") && i > 0
              && g_str_has_prefix (g_ptr_array_index (self->results, i - 1), "thumbnail\t"))
            continue;
          fprintf (stderr, "    %s\n", g_str_has_prefix (entry, "thumbnail\t")
                   ? "thumbnails/" : strrchr (tab + 1, '/') ? strrchr (tab + 1, '/') + 1 : tab + 1);
        }
    }
  fflush (stderr);
}

void
ave_cli_output_message (AveCliOutput *self, const char *message)
{
  clear_progress_line (self);
  fprintf (stderr, "%s\n", message);
}

void
ave_cli_output_done (AveCliOutput *self, const char *command, guint succeeded, guint failed)
{
  if (self->json)
    {
      JsonBuilder *b = json_event_begin ("done", NULL);
      add_string (b, "command", command);
      json_builder_set_member_name (b, "succeeded");
      json_builder_add_int_value (b, succeeded);
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, failed);
      json_event_end (b);
    }
  else if (succeeded + failed > 1)
    fprintf (stderr, "%u succeeded, %u failed\n", succeeded, failed);
}

void
ave_cli_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
  fflush (stdout);
}

void
ave_cli_print_batch_item (const char   *event,
                          AveBatchItem *item,
                          const char   *status,
                          const char   *error,
                          gboolean      will_retry)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, event);
  json_builder_set_member_name (b, "input");
  json_builder_add_string_value (b, item->input);
  json_builder_set_member_name (b, "output_dir");
  json_builder_add_string_value (b, item->output);
  json_builder_set_member_name (b, "attempt");
  json_builder_add_int_value (b, item->attempts);
  if (status != NULL)
    {
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, status);
      json_builder_set_member_name (b, "seconds");
      json_builder_add_double_value (b, item->seconds);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, item->cost_usd);
      json_builder_set_member_name (b, "will_retry");
      json_builder_add_boolean_value (b, will_retry);
    }
  if (error != NULL)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, error);
    }
  json_builder_end_object (b);
  ave_cli_print_json (b);
}

void
ave_cli_clear_status_line (gboolean *line_open)
{
  if (*line_open)
    {
      fputs ("\r\033[K", stderr);
      *line_open = FALSE;
    }
}
