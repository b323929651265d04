/* test-metrics.c — the metrics a monitored job writes (JSON lines: stages,
 * samples, cache, costs, summary), the cost ledger's budget and the cost
 * alerts the job raises. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "pipeline/ave-job.h"
#include "resources/ave-cost-ledger.h"
#include "resources/ave-metrics.h"

/* Every line of the one metrics file in `dir`, parsed. */
static GPtrArray *
read_metrics (const char *dir, char **path_out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) split = NULL;
  const char *name;
  guint n_files = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".jsonl"))
      {
        g_free (path);
        path = g_build_filename (dir, name, NULL);
        n_files++;
      }
  g_assert_cmpuint (n_files, ==, 1);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (g_str_has_suffix (text, "\n"));
  split = g_strsplit (text, "\n", -1);
  for (guint i = 0; split[i] != NULL && split[i][0] != '\0'; i++)
    {
      g_autoptr(GError) error = NULL;
      JsonNode *node = json_from_string (split[i], &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      g_ptr_array_add (lines, node);
    }
  if (path_out != NULL)
    *path_out = g_steal_pointer (&path);
  return lines;
}

static const char *
type_of (JsonNode *node)
{
  return json_object_get_string_member (json_node_get_object (node), "type");
}

typedef struct
{
  GMutex     lock;
  GPtrArray *warnings;
  guint      samples;
  GThread   *charger;
} Events;

static gpointer
charge_thread (gpointer data)
{
  AveCostLedger *ledger = ave_cost_ledger_get_default ();
  guint id;

  /* What a remote director would do: reserve, then settle with the real cost. */
  id = ave_cost_ledger_reserve (ledger, "test-llm", 0.55, NULL);
  g_assert_cmpuint (id, >, 0);
  ave_cost_ledger_settle (ledger, id, 0.6);
  id = ave_cost_ledger_reserve (ledger, "test-llm", 0.2, NULL);
  g_assert_cmpuint (id, >, 0);
  ave_cost_ledger_settle (ledger, id, 0.25);
  /* 0.85 spent: this one would pass the $1 budget. */
  g_assert_cmpuint (ave_cost_ledger_reserve (ledger, "test-llm", 0.3, NULL), ==, 0);
  return NULL;
}

static void
on_event (const AveEvent *event, gpointer user_data)
{
  Events *e = user_data;

  g_mutex_lock (&e->lock);
  if (event->kind == AVE_EVENT_WARNING)
    g_ptr_array_add (e->warnings, g_strdup (event->message));
  else if (event->kind == AVE_EVENT_SAMPLE)
    e->samples++;
  else if (event->kind == AVE_EVENT_STAGE_START && event->stage == AVE_STAGE_DIRECTOR && e->charger == NULL)
    e->charger = g_thread_new ("charge", charge_thread, NULL);
  g_mutex_unlock (&e->lock);
}

static void
test_process_metrics (void)
{
  const char *sample = ave_test_sample ("metrics.mp4", 6, 320, 180);
  g_autofree char *outdir = ave_test_path ("metrics-out");
  g_autofree char *metrics_dir = ave_test_path ("metrics");
  g_autofree char *path = NULL;
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  Events events = { .warnings = g_ptr_array_new_with_free_func (g_free) };
  gboolean seen_stage[AVE_N_STAGES] = { FALSE };
  guint samples = 0, starts = 0, summaries = 0;
  JsonObject *summary = NULL;

  settings->performance_monitoring = TRUE;
  settings->metrics_output = g_strdup (metrics_dir);
  settings->real_time_stats = TRUE;
  settings->track_costs = TRUE;
  settings->cost_alerts = TRUE;
  settings->budget_limit_usd = 1.0;

  g_mutex_init (&events.lock);
  job = ave_job_new (AVE_JOB_PROCESS, sample, outdir, settings);
  ave_job_set_event_func (job, on_event, &events, NULL);
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (events.charger);
  g_thread_join (events.charger);

  lines = read_metrics (metrics_dir, &path);
  {
    g_autofree char *base = g_path_get_basename (path);
    g_assert_true (g_str_has_prefix (base, "metrics-"));
  }
  g_assert_cmpstr (type_of (g_ptr_array_index (lines, 0)), ==, "start");
  g_assert_cmpstr (type_of (g_ptr_array_index (lines, lines->len - 1)), ==, "summary");

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *o = json_node_get_object (g_ptr_array_index (lines, i));
      const char *type = type_of (g_ptr_array_index (lines, i));

      g_assert_true (json_object_get_double_member (o, "time") >= 0);
      if (g_str_equal (type, "start"))
        {
          starts++;
          g_assert_cmpstr (json_object_get_string_member (o, "input"), ==, sample);
          g_assert_cmpuint (strlen (json_object_get_string_member (o, "input_fingerprint")), ==, 64);
          g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "system"), "cores"),
                           ==, g_get_num_processors ());
        }
      else if (g_str_equal (type, "stage"))
        {
          const char *stage = json_object_get_string_member (o, "stage");
          gboolean known = FALSE;

          for (guint s = 0; s < AVE_N_STAGES; s++)
            if (g_str_equal (stage, ave_stage_to_string (s)))
              {
                known = TRUE;
                seen_stage[s] = TRUE;
              }
          g_assert_true (known);
          g_assert_false (json_object_get_boolean_member (o, "skipped"));
          g_assert_cmpfloat (json_object_get_double_member (o, "wall_s"), >, 0);
          g_assert_cmpfloat (json_object_get_double_member (o, "cpu_s"), >=, 0);
          g_assert_cmpint (json_object_get_int_member (o, "peak_rss_bytes"), >, 1 << 20);
          g_assert_true (json_object_has_member (o, "read_bytes"));
          g_assert_true (json_object_has_member (o, "write_bytes"));
        }
      else if (g_str_equal (type, "sample"))
        {
          samples++;
          g_assert_cmpint (json_object_get_int_member (o, "rss_bytes"), >, 1 << 20);
          g_assert_cmpfloat (json_object_get_double_member (o, "cpu_percent"), >=, 0);
        }
      else if (g_str_equal (type, "summary"))
        {
          summaries++;
          summary = o;
        }
    }
  g_assert_cmpuint (starts, ==, 1);
  g_assert_cmpuint (summaries, ==, 1);
  for (guint s = 0; s < AVE_N_STAGES; s++)
    g_assert_true (seen_stage[s]);

  /* ~2 samples per second over a run of a second or more. */
  g_assert_cmpuint (samples, >=, 1);
  g_assert_cmpuint (samples, <=, 2 * json_object_get_double_member (summary, "wall_s") + 2);
  g_assert_cmpuint (json_object_get_int_member (summary, "samples"), ==, samples);
  /* --real-time-stats: the front end got a sample event for each. */
  g_assert_cmpuint (events.samples, >=, 1);

  g_assert_cmpstr (json_object_get_string_member (summary, "status"), ==, "ok");
  g_assert_cmpfloat (json_object_get_double_member (summary, "wall_s"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (summary, "gpu"), "backend"), ==, "cpu");
  /* the analysis ran its kernels on the job's backend; on the CPU the
   * decoded pictures were downscaled by swscale, not by the scale kernel */
  {
    JsonObject *calls = json_object_get_object_member (json_object_get_object_member (summary, "gpu"),
                                                       "kernel_calls");

    g_assert_nonnull (calls);
    g_assert_cmpint (json_object_get_int_member (calls, "analyze_frames"), >, 0);
    g_assert_cmpint (json_object_get_int_member (calls, "scale"), ==, 0);
  }
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (summary, "cache"), "enabled"));
  for (guint s = 0; s < AVE_N_STAGES; s++)
    g_assert_true (json_object_has_member (json_object_get_object_member (summary, "stages"), ave_stage_to_string (s)));

  /* The simulated remote calls: two settled, one refused, all recorded as
   * this job's share, and the 50 % and 80 % alerts raised. */
  g_assert_cmpint (json_object_get_int_member (summary, "api_calls"), ==, 2);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (summary, "cost_usd"), 0.85, 1e-9);
  g_assert_cmpint (json_object_get_int_member (summary, "api_refused"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (summary, "budget_usd"), ==, 1.0);
  {
    gboolean alert50 = FALSE, alert80 = FALSE, alert100 = FALSE;
    for (guint i = 0; i < events.warnings->len; i++)
      {
        const char *w = g_ptr_array_index (events.warnings, i);
        alert50 |= strstr (w, "reached 50 %") != NULL;
        alert80 |= strstr (w, "reached 80 %") != NULL;
        alert100 |= strstr (w, "reached 100 %") != NULL;
      }
    g_assert_true (alert50);
    g_assert_true (alert80);
    g_assert_false (alert100);
  }
  g_ptr_array_unref (events.warnings);
  g_mutex_clear (&events.lock);
}

/* With the local director nothing is charged: the metrics say zero. */
static void
test_local_director_costs_nothing (void)
{
  const char *sample = ave_test_sample ("metrics.mp4", 6, 320, 180);
  g_autofree char *outdir = ave_test_path ("local-out");
  g_autofree char *metrics_dir = ave_test_path ("local-metrics");
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  JsonObject *summary;

  settings->metrics_output = g_strdup (metrics_dir);
  settings->track_costs = TRUE;
  job = ave_job_new (AVE_JOB_ANALYZE, sample, outdir, settings);
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);

  lines = read_metrics (metrics_dir, NULL);
  summary = json_node_get_object (g_ptr_array_index (lines, lines->len - 1));
  g_assert_cmpstr (json_object_get_string_member (summary, "status"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (summary, "api_calls"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (summary, "cost_usd"), ==, 0);
  /* analyze runs the two analysis stages only. */
  g_assert_true (json_object_has_member (json_object_get_object_member (summary, "stages"), "audio_analysis"));
  g_assert_false (json_object_has_member (json_object_get_object_member (summary, "stages"), "composition"));
}

static void
test_ledger_budget (void)
{
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (1.0);
  g_autoptr(GError) error = NULL;
  AveCostTotals t;
  guint a, b;

  a = ave_cost_ledger_reserve (ledger, "gemini", 0.6, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a, >, 0);
  /* In flight, the reservation counts against the budget. */
  g_assert_cmpfloat_with_epsilon (ave_cost_ledger_get_fraction (ledger), 0.6, 1e-9);
  b = ave_cost_ledger_reserve (ledger, "gemini", 0.5, &error);
  g_assert_cmpuint (b, ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "--budget-limit"));
  g_clear_error (&error);

  ave_cost_ledger_settle (ledger, a, 0.4);
  ave_cost_ledger_get_totals (ledger, &t);
  g_assert_cmpuint (t.calls, ==, 1);
  g_assert_cmpuint (t.refused, ==, 1);
  g_assert_cmpfloat_with_epsilon (t.spent_usd, 0.4, 1e-9);
  g_assert_cmpfloat_with_epsilon (t.reserved_usd, 0.0, 1e-9);
  /* The actual cost freed room: the same call now fits. */
  b = ave_cost_ledger_reserve (ledger, "gemini", 0.5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (b, >, 0);

  /* Alert thresholds: each crossed once, in any step size. */
  g_assert_cmpuint (ave_cost_alert_thresholds (0.0, 0.49), ==, 0);
  g_assert_cmpuint (ave_cost_alert_thresholds (0.0, 0.5), ==, 1);
  g_assert_cmpuint (ave_cost_alert_thresholds (0.6, 0.85), ==, 2);
  g_assert_cmpuint (ave_cost_alert_thresholds (0.85, 1.0), ==, 4);
  g_assert_cmpuint (ave_cost_alert_thresholds (0.0, 1.2), ==, 7);
  g_assert_cmpuint (ave_cost_alert_thresholds (0.6, 0.7), ==, 0);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/engine/metrics/ledger-budget", test_ledger_budget);
  g_test_add_func ("/engine/metrics/process", test_process_metrics);
  g_test_add_func ("/engine/metrics/local-director", test_local_director_costs_nothing);
  return g_test_run ();
}
