/* test-reports.c — analyze-performance computed from the metrics of real
 * runs, and diagnose-performance's sections. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "core/ave-job.h"
#include "resources/ave-diagnose.h"
#include "resources/ave-report.h"

static char *metrics_dir;

/* Two monitored runs of one clip (the second at another quality level). */
static const char *
two_runs (void)
{
  const char *sample;

  if (metrics_dir != NULL)
    return metrics_dir;
  sample = ave_test_sample ("report.mp4", 6, 320, 180);
  metrics_dir = ave_test_path ("metrics");
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *outdir = ave_test_path ("runs");
      g_autoptr(AveSettings) settings = ave_settings_new ();
      g_autoptr(AveJob) job = NULL;
      g_autoptr(GError) error = NULL;

      if (i == 1)
        ave_settings_apply_quality (settings, AVE_QUALITY_FAST);
      settings->performance_monitoring = TRUE;
      settings->metrics_output = g_strdup (metrics_dir);
      job = ave_job_new (AVE_JOB_PROCESS, sample, outdir, settings);
      g_assert_true (ave_job_run (job, NULL, &error));
      g_assert_no_error (error);
    }
  return metrics_dir;
}

/* Summed wall time per stage, read straight from the metrics lines. */
static void
sum_stages (const char *dir, double totals[AVE_N_STAGES], guint *n_files)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  memset (totals, 0, sizeof (double) * AVE_N_STAGES);
  *n_files = 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_str_has_suffix (name, ".jsonl"))
        continue;
      (*n_files)++;
      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
        {
          g_autoptr(JsonNode) node = json_from_string (lines[i], NULL);
          JsonObject *o = json_node_get_object (node);

          if (!g_str_equal (json_object_get_string_member (o, "type"), "stage")
              || json_object_get_boolean_member (o, "skipped"))
            continue;
          for (guint s = 0; s < AVE_N_STAGES; s++)
            if (g_str_equal (json_object_get_string_member (o, "stage"), ave_stage_to_string (s)))
              totals[s] += json_object_get_double_member (o, "wall_s");
        }
    }
}

static void
test_report (void)
{
  const char *dir = two_runs ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) report = ave_performance_report_build (dir, &error);
  g_autofree char *text = NULL;
  JsonObject *root, *breakdown, *bottleneck, *resources, *costs, *compare;
  JsonArray *recommendations, *comparison;
  double totals[AVE_N_STAGES];
  guint n_files, largest = 0;
  gboolean persistent = FALSE;

  g_assert_no_error (error);
  g_assert_nonnull (report);
  sum_stages (dir, totals, &n_files);
  g_assert_cmpuint (n_files, ==, 2);
  for (guint s = 1; s < AVE_N_STAGES; s++)
    if (totals[s] > totals[largest])
      largest = s;

  root = json_node_get_object (report);
  g_assert_cmpint (json_object_get_int_member (root, "runs_analyzed"), ==, 2);

  breakdown = json_object_get_object_member (root, "time_breakdown");
  for (guint s = 0; s < AVE_N_STAGES; s++)
    {
      JsonObject *st = json_object_get_object_member (breakdown, ave_stage_to_string (s));
      g_assert_nonnull (st);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (st, "total_s"), totals[s], 1e-6);
      g_assert_cmpint (json_object_get_int_member (st, "runs"), ==, 2);
    }

  bottleneck = json_object_get_object_member (root, "bottleneck");
  g_test_message ("bottleneck: %s", json_object_get_string_member (bottleneck, "reason"));
  g_assert_cmpstr (json_object_get_string_member (bottleneck, "stage"), ==, ave_stage_to_string (largest));
  g_assert_nonnull (strstr (json_object_get_string_member (bottleneck, "reason"), ave_stage_to_string (largest)));
  {
    const char *kind = json_object_get_string_member (bottleneck, "kind");
    double ratio = json_object_get_double_member (bottleneck, "cpu_wall_ratio");
    g_assert_true (ratio >= 0);
    g_assert_true (ratio < 0.7 ? g_str_equal (kind, "waiting") : g_str_has_prefix (kind, "cpu-bound"));
  }

  resources = json_object_get_object_member (root, "resource_usage");
  g_assert_cmpint (json_object_get_int_member (resources, "peak_rss_bytes"), >, 1 << 20);
  g_assert_cmpfloat (json_object_get_double_member (resources, "max_cpu_percent"), >, 0);
  g_assert_cmpint (json_object_get_int_member (resources, "cores"), ==, g_get_num_processors ());

  /* The same content analysed twice without a cache: --persistent-cache. */
  recommendations = json_object_get_array_member (root, "recommendations");
  g_assert_cmpuint (json_array_get_length (recommendations), >, 0);
  for (guint i = 0; i < json_array_get_length (recommendations); i++)
    {
      JsonObject *r = json_array_get_object_element (recommendations, i);
      const char *flag = json_object_get_string_member (r, "flag");
      g_test_message ("recommendation: %s: %s", flag, json_object_get_string_member (r, "reason"));
      g_assert_nonnull (flag);
      g_assert_true (g_str_has_prefix (flag, "--"));
      g_assert_cmpuint (strlen (json_object_get_string_member (r, "reason")), >, 10);
      persistent |= g_str_equal (flag, "--persistent-cache");
    }
  g_assert_true (persistent);

  costs = json_object_get_object_member (root, "cost_analysis");
  g_assert_cmpint (json_object_get_int_member (costs, "api_calls"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (costs, "cost_usd"), ==, 0);

  comparison = json_object_get_array_member (root, "comparison");
  g_assert_cmpuint (json_array_get_length (comparison), ==, 1);
  compare = json_array_get_object_element (comparison, 0);
  g_assert_cmpint (json_object_get_int_member (compare, "runs"), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (compare, "delta_s"), >=, 0);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (compare, "slowest"), "wall_s"), >=,
                     json_object_get_double_member (json_object_get_object_member (compare, "fastest"), "wall_s"));

  text = ave_performance_report_to_text (report);
  g_assert_nonnull (strstr (text, "Bottleneck:"));
  g_assert_nonnull (strstr (text, "--persistent-cache"));
}

static void
test_report_errors (void)
{
  g_autofree char *empty = ave_test_path ("no-metrics");
  g_autofree char *junk = g_build_filename (empty, "junk.jsonl", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (ave_performance_report_build ("/nonexistent/metrics", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A folder whose only file is not metrics of a finished run. */
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  g_assert_true (g_file_set_contents (junk, "{\"type\":\"start\",\"input\":\"x\"}\n{\"type\":\"sta", -1, NULL));
  g_assert_null (ave_performance_report_build (empty, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "--performance-monitoring"));
}

static void
test_diagnose (void)
{
  const char *dir = two_runs ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) all = ave_diagnose_run (AVE_DIAGNOSE_SYSTEM | AVE_DIAGNOSE_BOTTLENECKS | AVE_DIAGNOSE_SUGGESTIONS,
                                              ave_test_tmpdir (), dir, &error);
  g_autoptr(JsonNode) system_only = NULL;
  g_autofree char *text = NULL;
  JsonObject *root, *sys, *bn, *sg;
  guint64 ram;
  const char *expected_preset;

  g_assert_no_error (error);
  root = json_node_get_object (all);
  sys = json_object_get_object_member (root, "system");
  g_assert_cmpint (json_object_get_int_member (sys, "cores"), ==, g_get_num_processors ());
  ram = json_object_get_int_member (sys, "ram_bytes");
  g_assert_cmpuint (ram, >, 256u << 20);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (sys, "temp"), "write_mb_per_s"), >, 0);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (sys, "encoders"), "libx264"));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (sys, "encoders"), "aac"));
  g_assert_true (json_object_has_member (json_object_get_object_member (sys, "vulkan"), "available"));

  bn = json_object_get_object_member (root, "bottlenecks");
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (bn, "measured"),
                                                    "encode_fps_1080p_medium"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (bn, "measured"),
                                                    "analysis_fps_384px"), >, 0);
  g_assert_nonnull (json_object_get_object_member (bn, "from_metrics"));

  sg = json_object_get_object_member (root, "suggestions");
  expected_preset = ram < 12 * 1073741824.0 ? "8gb" : ram < 24 * 1073741824.0 ? "16gb" : "32gb";
  g_assert_cmpstr (json_object_get_string_member (sg, "preset"), ==, expected_preset);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (sg, "flags")), >=, 3);
  g_assert_nonnull (strstr (json_object_get_string_member (sg, "command"), expected_preset));

  text = ave_diagnose_to_text (all);
  g_assert_nonnull (strstr (text, "System check"));
  g_assert_nonnull (strstr (text, "Bottleneck analysis"));
  g_assert_nonnull (strstr (text, "Optimization suggestions"));

  /* Each flag adds its section and only its section. */
  system_only = ave_diagnose_run (AVE_DIAGNOSE_SYSTEM, NULL, NULL, &error);
  g_assert_no_error (error);
  root = json_node_get_object (system_only);
  g_assert_true (json_object_has_member (root, "system"));
  g_assert_false (json_object_has_member (root, "bottlenecks"));
  g_assert_false (json_object_has_member (root, "suggestions"));
  {
    g_autoptr(JsonNode) suggestions_only = ave_diagnose_run (AVE_DIAGNOSE_SUGGESTIONS, NULL, NULL, &error);
    g_assert_no_error (error);
    root = json_node_get_object (suggestions_only);
    g_assert_false (json_object_has_member (root, "system"));
    g_assert_true (json_object_has_member (root, "suggestions"));
  }
  g_assert_null (ave_diagnose_run (AVE_DIAGNOSE_SYSTEM, "/nonexistent/tmp", NULL, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  int ret;

  ave_test_init (&argc, &argv);
  g_test_add_func ("/engine/reports/analyze-performance", test_report);
  g_test_add_func ("/engine/reports/errors", test_report_errors);
  g_test_add_func ("/engine/reports/diagnose-performance", test_diagnose);
  ret = g_test_run ();
  g_free (metrics_dir);
  return ret;
}
