/* test-reports.c — analyze-performance computed from the metrics of real
 * runs, and diagnose-performance's sections; the threads process priority
 * and CPU affinity apply to. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "pipeline/ave-job.h"
#include "resources/ave-diagnose.h"
#include "resources/ave-report.h"
#include "core/ave-worker-pool.h"

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


/* Issue #9 item 15: numbers in metrics files were cast to integers
 * whatever they were (undefined beyond the integer's range) and infinity
 * was written back into the report.  Such values are skipped, and the
 * report says which. */
static void
test_report_bad_numbers (void)
{
  g_autofree char *dir = ave_test_path ("bad-metrics");
  g_autofree char *file = g_build_filename (dir, "run.jsonl", NULL);
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) reparsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *summary = NULL;
  JsonObject *root, *resources;
  JsonArray *warnings;
  gboolean named_rss = FALSE, named_cores = FALSE, named_wall = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (file,
    "{\"type\":\"start\",\"time\":0,\"input\":\"a.mp4\",\"settings\":{\"max_memory_bytes\":-1,\"analysis_width\":1e300},"
    "\"system\":{\"cores\":1e999,\"ram_bytes\":4e9}}\n"
    "{\"type\":\"stage\",\"stage\":\"audio_analysis\",\"wall_s\":1e999,\"cpu_s\":1,\"peak_rss_bytes\":1e300}\n"
    "{\"type\":\"sample\",\"time\":1,\"cpu_percent\":-1e999,\"peak_rss_bytes\":1000000}\n"
    "{\"type\":\"summary\",\"time\":2,\"status\":\"ok\",\"wall_s\":2,\"cpu_s\":1,\"peak_rss_bytes\":2000000,"
    "\"read_bytes\":1e30,\"write_bytes\":5,\"api_calls\":-3,\"cost_usd\":1e999}\n", -1, NULL));

  report = ave_performance_report_build (dir, &error);
  g_assert_no_error (error);
  root = json_node_get_object (report);
  resources = json_object_get_object_member (root, "resource_usage");
  /* The good values are used, the bad ones skipped. */
  g_assert_cmpint (json_object_get_int_member (resources, "peak_rss_bytes"), ==, 2000000);

  warnings = json_object_get_array_member (root, "warnings");
  g_assert_nonnull (warnings);
  for (guint i = 0; i < json_array_get_length (warnings); i++)
    {
      const char *w = json_array_get_string_element (warnings, i);

      g_assert_nonnull (strstr (w, file));
      named_rss |= strstr (w, ":2: peak_rss_bytes: 1e+300 is not a number from 0 to") != NULL;
      named_cores |= strstr (w, ":1: cores: inf") != NULL;
      named_wall |= strstr (w, ":2: wall_s: inf") != NULL;
    }
  g_assert_true (named_rss);
  g_assert_true (named_cores);
  g_assert_true (named_wall);

  /* What is written is JSON again (no inf), and the text says it too. */
  json_generator_set_root (generator, report);
  text = json_generator_to_data (generator, NULL);
  reparsed = json_from_string (text, &error);
  g_assert_no_error (error);
  summary = ave_performance_report_to_text (report);
  g_assert_nonnull (strstr (summary, "ignored"));
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


/* ------------------------------------------- the job's threads (item 15) */

typedef struct
{
  GMutex        lock;
  GCond         cond;
  pid_t         tid;
  int           nice;
  cpu_set_t     mask;
  gboolean      ready;
  GCancellable *stop;
} ThreadProbe;

static void
probe_init (ThreadProbe *probe, GCancellable *stop)
{
  memset (probe, 0, sizeof *probe);
  g_mutex_init (&probe->lock);
  g_cond_init (&probe->cond);
  probe->stop = stop;
}

static void
probe_clear (ThreadProbe *probe)
{
  g_mutex_clear (&probe->lock);
  g_cond_clear (&probe->cond);
}

static void
probe_wait_ready (ThreadProbe *probe)
{
  g_mutex_lock (&probe->lock);
  while (!probe->ready)
    g_cond_wait (&probe->cond, &probe->lock);
  g_mutex_unlock (&probe->lock);
}

/* Records its thread id and nice value, then idles until `stop`. */
static gpointer
probe_thread (gpointer data)
{
  ThreadProbe *probe = data;

  g_mutex_lock (&probe->lock);
  probe->tid = (pid_t) syscall (SYS_gettid);
  errno = 0;
  probe->nice = getpriority (PRIO_PROCESS, (id_t) probe->tid);
  probe->ready = TRUE;
  g_cond_broadcast (&probe->cond);
  g_mutex_unlock (&probe->lock);
  while (!g_cancellable_is_cancelled (probe->stop))
    g_usleep (2000);
  return NULL;
}

static int
nice_of (pid_t tid)
{
  return getpriority (PRIO_PROCESS, (id_t) tid);
}

typedef struct
{
  ThreadProbe *self;      /* the job's thread */
  ThreadProbe *worker;    /* a thread the job starts after the priority is set */
  GThread     *worker_thread;
  int          nice;
  gboolean     applied;
} PriorityJob;

static gpointer
priority_job_thread (gpointer data)
{
  PriorityJob *job = data;
  g_autoptr(GError) error = NULL;

  job->applied = ave_job_thread_set_priority (job->nice, &error);
  g_assert_no_error (error);
  job->worker_thread = g_thread_new ("job-worker", probe_thread, job->worker);
  return probe_thread (job->self);
}

/* The nice value reaches the job's thread and the threads it starts, and
 * no other thread: before, every thread of the process got it, the app's
 * main thread included. */
static void
test_priority_job_threads_only (void)
{
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  ThreadProbe host, self, worker;
  PriorityJob job = { &self, &worker, NULL, 0, FALSE };
  pid_t main_tid = (pid_t) syscall (SYS_gettid);
  int main_nice = nice_of (main_tid);
  GThread *host_thread, *job_thread;

  probe_init (&host, stop);
  probe_init (&self, stop);
  probe_init (&worker, stop);
  host_thread = g_thread_new ("host", probe_thread, &host);
  probe_wait_ready (&host);

  /* Lowering the priority needs no privilege. */
  job.nice = MIN (main_nice + 5, 19);
  g_assert_cmpint (job.nice, >, main_nice);
  job_thread = g_thread_new ("job", priority_job_thread, &job);
  probe_wait_ready (&self);
  probe_wait_ready (&worker);

  g_assert_true (job.applied);
  g_assert_cmpint (nice_of (self.tid), ==, job.nice);
  g_assert_cmpint (nice_of (worker.tid), ==, job.nice);
  g_assert_cmpint (nice_of (main_tid), ==, main_nice);
  g_assert_cmpint (nice_of (host.tid), ==, main_nice);

  g_cancellable_cancel (stop);
  g_thread_join (host_thread);
  g_thread_join (job.worker_thread);
  g_thread_join (job_thread);
  probe_clear (&host);
  probe_clear (&self);
  probe_clear (&worker);
}

static guint
n_cores_of (pid_t tid, int *only_core)
{
  cpu_set_t set;

  CPU_ZERO (&set);
  g_assert_cmpint (sched_getaffinity (tid, sizeof set, &set), ==, 0);
  for (int c = 0; c < CPU_SETSIZE && only_core != NULL; c++)
    if (CPU_ISSET (c, &set))
      *only_core = c;
  return (guint) CPU_COUNT (&set);
}

typedef struct
{
  ThreadProbe   *self;
  ThreadProbe   *worker;
  GThread       *worker_thread;
  AveThreadPins *pins;
  GMutex         lock;
  GCond          cond;
  gboolean       pins_made;
} AffinityJob;

static gpointer
affinity_job_thread (gpointer data)
{
  AffinityJob *job = data;

  job->pins = ave_thread_pins_new ();
  job->worker_thread = g_thread_new ("job-worker", probe_thread, job->worker);
  g_mutex_lock (&job->lock);
  job->pins_made = TRUE;
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->lock);
  return probe_thread (job->self);
}

/* CPU affinity pins the job's thread and the threads it starts, round-
 * robin, and leaves the other threads (main, host threads started before
 * or during the job) on all their cores. */
static void
test_affinity_job_threads_only (void)
{
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  ThreadProbe before, during, self, worker;
  AffinityJob job = { &self, &worker, NULL, NULL };
  pid_t main_tid = (pid_t) syscall (SYS_gettid);
  guint all = n_cores_of (main_tid, NULL);
  GThread *before_thread, *during_thread, *job_thread;
  int self_core = -1, worker_core = -1;

  if (all < 2)
    {
      g_test_skip ("needs two cores to spread threads over");
      return;
    }
  probe_init (&before, stop);
  probe_init (&during, stop);
  probe_init (&self, stop);
  probe_init (&worker, stop);
  g_mutex_init (&job.lock);
  g_cond_init (&job.cond);

  before_thread = g_thread_new ("host-before", probe_thread, &before);
  probe_wait_ready (&before);
  job_thread = g_thread_new ("job", affinity_job_thread, &job);
  g_mutex_lock (&job.lock);
  while (!job.pins_made)
    g_cond_wait (&job.cond, &job.lock);
  g_mutex_unlock (&job.lock);
  during_thread = g_thread_new ("host-during", probe_thread, &during);
  probe_wait_ready (&during);
  probe_wait_ready (&self);
  probe_wait_ready (&worker);

  /* The job's worker is pinned; nothing else is new to the engine. */
  g_assert_cmpuint (ave_thread_pins_update (job.pins), ==, 1);
  g_assert_cmpuint (ave_thread_pins_update (job.pins), ==, 0);
  g_assert_cmpuint (ave_thread_pins_get_count (job.pins), ==, 2);
  g_assert_cmpuint (n_cores_of (self.tid, &self_core), ==, 1);
  g_assert_cmpuint (n_cores_of (worker.tid, &worker_core), ==, 1);
  g_assert_cmpint (self_core, !=, worker_core);
  g_assert_cmpuint (n_cores_of (main_tid, NULL), ==, all);
  g_assert_cmpuint (n_cores_of (before.tid, NULL), ==, all);
  g_assert_cmpuint (n_cores_of (during.tid, NULL), ==, all);

  /* Undone when the job ends. */
  g_clear_pointer (&job.pins, ave_thread_pins_free);
  g_assert_cmpuint (n_cores_of (self.tid, NULL), ==, all);
  g_assert_cmpuint (n_cores_of (worker.tid, NULL), ==, all);

  g_cancellable_cancel (stop);
  g_thread_join (before_thread);
  g_thread_join (during_thread);
  g_thread_join (job.worker_thread);
  g_thread_join (job_thread);
  probe_clear (&before);
  probe_clear (&during);
  probe_clear (&self);
  probe_clear (&worker);
  g_mutex_clear (&job.lock);
  g_cond_clear (&job.cond);
}

int
main (int argc, char **argv)
{
  int ret;

  ave_test_init (&argc, &argv);
  g_test_add_func ("/engine/reports/analyze-performance", test_report);
  g_test_add_func ("/engine/reports/errors", test_report_errors);
  g_test_add_func ("/engine/reports/bad-numbers", test_report_bad_numbers);
  g_test_add_func ("/engine/resources/job-threads/priority", test_priority_job_threads_only);
  g_test_add_func ("/engine/resources/job-threads/affinity", test_affinity_job_threads_only);
  g_test_add_func ("/engine/reports/diagnose-performance", test_diagnose);
  ret = g_test_run ();
  g_free (metrics_dir);
  return ret;
}
