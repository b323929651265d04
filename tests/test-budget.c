/* test-budget.c — the memory budget, the worker pool and the job's runtime:
 * sizing from the budget, peak RSS of a real run measured on a child
 * process, alerts and load shedding, --no-parallel ordering, adaptive
 * quality decisions, temporary folders, priority and CPU affinity. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ave-test-util.h"
#include "ave-test-sanitizer.h"
#include "pipeline/ave-job.h"
#include "core/ave-memory-budget.h"
#include "resources/ave-runtime.h"
#include "core/ave-worker-pool.h"

#define MIB (1024ull * 1024ull)

/* ------------------------------------------------------------ sizing */

static void
test_plan_sizes_from_budget (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  AveBudgetPlan unbounded, small, again;

  ave_memory_budget_plan (s, 1920, 1080, 4, &unbounded);
  g_assert_cmpuint (unbounded.budget_bytes, ==, 0);
  g_assert_true (unbounded.fits);
  g_assert_cmpuint (unbounded.encoder_lookahead, ==, s->encoder_lookahead);
  g_assert_cmpuint (unbounded.encoder_threads, ==, 4);   /* balanced on 4 cores */
  g_assert_true (unbounded.parallel_outputs);

  s->max_memory_bytes = 300 * MIB;
  ave_memory_budget_plan (s, 1920, 1080, 4, &small);
  g_assert_true (small.fits);
  g_assert_cmpuint (MAX (small.analysis_bytes, small.composition_bytes), <=, 300 * MIB);
  g_assert_cmpuint (small.encoder_lookahead, <, unbounded.encoder_lookahead);
  g_assert_cmpuint (small.encoder_threads, ==, 1);
  g_assert_false (small.parallel_outputs);
  g_assert_cmpuint (small.reader_queue_bytes, <, unbounded.reader_queue_bytes);

  /* A smaller input leaves more of the same budget to x264. */
  {
    AveBudgetPlan sd;
    ave_memory_budget_plan (s, 640, 360, 4, &sd);
    g_assert_cmpuint (sd.encoder_lookahead, >, small.encoder_lookahead);
  }

  /* Sizing twice changes nothing. */
  ave_memory_budget_apply (s, &small);
  ave_memory_budget_plan (s, 1920, 1080, 4, &again);
  g_assert_cmpuint (again.encoder_lookahead, ==, small.encoder_lookahead);
  g_assert_cmpuint (again.encoder_threads, ==, small.encoder_threads);
  g_assert_cmpuint (again.workers, ==, small.workers);

  /* The estimate grows with what the budget buys. */
  g_assert_cmpuint (ave_memory_estimate_composition (s, 1920, 1080, 1, 20, FALSE), >,
                    ave_memory_estimate_composition (s, 1920, 1080, 1, 5, FALSE));
  g_assert_cmpuint (ave_memory_estimate_composition (s, 1920, 1080, 4, 5, FALSE), >,
                    ave_memory_estimate_composition (s, 1920, 1080, 1, 5, FALSE));

  g_assert_cmpint (ave_memory_pressure_level (79 * MIB, 100 * MIB), ==, AVE_PRESSURE_NORMAL);
  g_assert_cmpint (ave_memory_pressure_level (80 * MIB, 100 * MIB), ==, AVE_PRESSURE_HIGH);
  g_assert_cmpint (ave_memory_pressure_level (95 * MIB, 100 * MIB), ==, AVE_PRESSURE_CRITICAL);
  g_assert_cmpint (ave_memory_pressure_level (95 * MIB, 0), ==, AVE_PRESSURE_NORMAL);
}

static void
test_strategies (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  AveSystemLoad machine = { .n_cpus = 16, .load_1min = 0 };
  AveSystemLoad busy = { .n_cpus = 16, .load_1min = 14 };
  AveBudgetPlan plan;

  s->parallel_strategy = AVE_PARALLEL_CONSERVATIVE;
  g_assert_cmpuint (ave_worker_pool_size (s, &machine), ==, 2);
  s->parallel_strategy = AVE_PARALLEL_BALANCED;
  g_assert_cmpuint (ave_worker_pool_size (s, &machine), ==, 4);
  s->parallel_strategy = AVE_PARALLEL_AGGRESSIVE;
  g_assert_cmpuint (ave_worker_pool_size (s, &machine), ==, 16);
  machine.n_cpus = 2;
  g_assert_cmpuint (ave_worker_pool_size (s, &machine), ==, 5);
  machine.n_cpus = 16;
  s->max_workers = 3;
  g_assert_cmpuint (ave_worker_pool_size (s, &machine), ==, 3);
  s->max_workers = 0;

  /* Adaptive: the cores other processes leave, halved under pressure. */
  s->parallel_strategy = AVE_PARALLEL_ADAPTIVE;
  g_assert_cmpuint (ave_worker_pool_adapt (s, &machine, 0, AVE_PRESSURE_NORMAL), ==, 4);
  g_assert_cmpuint (ave_worker_pool_adapt (s, &busy, 0, AVE_PRESSURE_NORMAL), ==, 2);
  /* our own load is not someone else's */
  g_assert_cmpuint (ave_worker_pool_adapt (s, &busy, 12, AVE_PRESSURE_NORMAL), ==, 4);
  g_assert_cmpuint (ave_worker_pool_adapt (s, &machine, 0, AVE_PRESSURE_HIGH), ==, 2);
  g_assert_cmpuint (ave_worker_pool_adapt (s, &machine, 0, AVE_PRESSURE_CRITICAL), ==, 1);

  /* --no-parallel: one worker, one thread per codec. */
  s->parallel = FALSE;
  ave_memory_budget_plan (s, 1280, 720, 8, &plan);
  g_assert_cmpuint (plan.workers, ==, 1);
  g_assert_cmpuint (plan.reader_threads, ==, 1);
  g_assert_cmpuint (plan.encoder_threads, ==, 1);
  g_assert_false (plan.parallel_outputs);

  /* --thread-pool-size sets FFmpeg's threads apart from the workers. */
  s->parallel = TRUE;
  s->parallel_strategy = AVE_PARALLEL_CONSERVATIVE;
  s->thread_pool_size = 6;
  s->encoder_threads = 0;
  ave_memory_budget_plan (s, 1280, 720, 8, &plan);
  g_assert_cmpuint (plan.workers, ==, 2);
  g_assert_cmpuint (plan.reader_threads, ==, 6);
  g_assert_cmpuint (plan.encoder_threads, ==, 6);

}

static gpointer
idle_thread (gpointer data)
{
  GCancellable *stop = data;

  while (!g_cancellable_is_cancelled (stop))
    g_usleep (10000);
  return NULL;
}

static gboolean
thread_cores (pid_t tid, guint *n)
{
  cpu_set_t set;

  CPU_ZERO (&set);
  if (sched_getaffinity (tid, sizeof set, &set) != 0)
    return FALSE;
  *n = CPU_COUNT (&set);
  return TRUE;
}

static void
test_affinity_round_robin (void)
{
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(AveThreadPins) pins = NULL;
  GThread *threads[3];
  guint before = 0, after = 0;

  g_assert_true (thread_cores (0, &before));
  /* Pinning starts on the job's thread (this one); the threads it starts
   * afterwards are the job's workers.  Other threads are left alone: that
   * is test-reports' /engine/resources/job-threads/affinity. */
  pins = ave_thread_pins_new ();
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("idle", idle_thread, stop);

  if (before >= 2)
    {
      g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
      const char *name;
      GHashTable *cores_used = g_hash_table_new (g_direct_hash, g_direct_equal);
      guint n_pinned = 0;

      g_assert_cmpuint (ave_thread_pins_update (pins), ==, G_N_ELEMENTS (threads));
      g_assert_cmpuint (ave_thread_pins_update (pins), ==, 0);   /* nothing new */
      g_assert_cmpuint (ave_thread_pins_get_count (pins), ==, G_N_ELEMENTS (threads) + 1);
      /* the job's threads are on one core each, spread over two at least */
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          cpu_set_t set;
          pid_t tid = (pid_t) g_ascii_strtoll (name, NULL, 10);

          CPU_ZERO (&set);
          g_assert_cmpint (sched_getaffinity (tid, sizeof set, &set), ==, 0);
          if (CPU_COUNT (&set) != 1)
            continue;
          n_pinned++;
          for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET (c, &set))
              g_hash_table_add (cores_used, GINT_TO_POINTER (c + 1));
        }
      g_assert_cmpuint (n_pinned, ==, G_N_ELEMENTS (threads) + 1);
      g_assert_cmpuint (g_hash_table_size (cores_used), >=, 2);
      g_hash_table_unref (cores_used);
    }
  else
    g_assert_cmpuint (ave_thread_pins_update (pins), ==, 0);   /* one core: nothing to spread */

  g_clear_pointer (&pins, ave_thread_pins_free);
  g_assert_true (thread_cores (0, &after));
  g_assert_cmpuint (after, ==, before);   /* undone when the job ends */

  g_cancellable_cancel (stop);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

/* ---------------------------------------------- peak RSS of a real run */

/* Runs the CLI as a child and returns its exit status; *peak_kib is the
 * child's own high-water mark (wait4's rusage: only this child). */
static int
run_cli_measured (const char * const *args, guint64 *peak_kib, char **out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  struct rusage usage;
  GPid pid;
  int out_fd, status = 0;
  g_autoptr(GString) text = g_string_new (NULL);
  char buf[4096];
  gssize n;

  g_ptr_array_add (argv, (gpointer) ave_test_binary ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  /* meson test sets MALLOC_PERTURB_, with which glibc writes every byte
   * malloc hands out: blocks that x264 and the speech model allocate but
   * never touch whole become resident (+~50 MiB at 1080p).  The peak is
   * measured as users run the program. */
  envp = g_environ_unsetenv (envp, "MALLOC_PERTURB_");

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv->pdata, envp,
                                           G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);
  while ((n = read (out_fd, buf, sizeof buf)) > 0)
    g_string_append_len (text, buf, n);
  close (out_fd);
  g_assert_cmpint (wait4 (pid, &status, 0, &usage), ==, pid);
  g_spawn_close_pid (pid);
  *peak_kib = (guint64) usage.ru_maxrss;
  if (out != NULL)
    *out = g_string_free (g_steal_pointer (&text), FALSE);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
test_peak_rss_1080p (void)
{
  const char *sample = ave_test_sample ("talk-1080p.mp4", 12, 1920, 1080);
  g_autofree char *outdir = ave_test_path ("rss");
  g_autofree char *final = g_build_filename (outdir, "talk-1080p", "final.mp4", NULL);
  const char *args[] = { "process", sample, "-o", outdir, "--max-memory", "0.3", "--json", NULL };
  guint64 peak_kib = 0;
  int status;

  status = run_cli_measured (args, &peak_kib, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
  g_test_message ("peak RSS with --max-memory 0.3: %.1f MB", peak_kib * 1024 / 1e6);
  if (AVE_TEST_ASAN)
    {
      g_test_skip (AVE_TEST_ASAN_SKIP_RSS_LIMIT);
      return;
    }
  /* 0.3 GB of the guide; measured in decimal megabytes, the stricter reading. */
  g_assert_cmpuint (peak_kib * 1024, <, 300ull * 1000 * 1000);
}

/* Issue #12: a default process of 1080p (no budget: speech model,
 * x264 medium with its threads and look-ahead) peaks under 300 MiB.  The
 * render's peak does not depend on the length (x264 and the decoders
 * reach their steady state within a second), nor does the speech
 * model's, so a short talk stands for the 60 s one of bench.sh. */
static void
test_peak_rss_1080p_default (void)
{
  const char *sample = ave_test_sample ("talk-1080p.mp4", 12, 1920, 1080);
  g_autofree char *outdir = ave_test_path ("rss-default");
  g_autofree char *final = g_build_filename (outdir, "talk-1080p", "final.mp4", NULL);
  /* The target is the two-core machine's: with more cores x264 and the
   * decoders take more threads (and a look-ahead thread), so a bigger
   * host is held to the same two workers. */
  gboolean more_cores = g_get_num_processors () > 2;
  const char *args[] = { "process", sample, "-o", outdir, "--json",
                         more_cores ? "--max-workers" : NULL, "2", NULL };
  guint64 peak_kib = 0;
  int status;

  status = run_cli_measured (args, &peak_kib, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
  g_test_message ("peak RSS of a default 1080p process%s: %.1f MiB",
                  more_cores ? " (two workers)" : "", peak_kib / 1024.0);
  if (AVE_TEST_ASAN)
    {
      g_test_skip (AVE_TEST_ASAN_SKIP_RSS_LIMIT);
      return;
    }
  g_assert_cmpuint (peak_kib, <, 300ull * 1024);
}

/* ------------------------------------------------- events of in-process jobs */

typedef struct
{
  GMutex     lock;
  GPtrArray *log;   /* "start:stage", "end:stage", "warning:msg", "decision:name:msg", "notice:msg" */
} Events;

static void
on_event (const AveEvent *event, gpointer user_data)
{
  Events *e = user_data;
  char *line = NULL;

  switch (event->kind)
    {
    case AVE_EVENT_STAGE_START:
      line = g_strdup_printf ("start:%s", ave_stage_to_string (event->stage));
      break;
    case AVE_EVENT_STAGE_END:
      line = g_strdup_printf ("end:%s", ave_stage_to_string (event->stage));
      break;
    case AVE_EVENT_WARNING:
      line = g_strdup_printf ("warning:%s", event->message);
      break;
    case AVE_EVENT_NOTICE:
      line = g_strdup_printf ("notice:%s", event->message);
      break;
    case AVE_EVENT_DECISION:
      g_assert_nonnull (event->name);
      g_assert_nonnull (event->message);
      line = g_strdup_printf ("decision:%s:%s", event->name, event->message);
      break;
    default:
      return;
    }
  g_mutex_lock (&e->lock);
  g_ptr_array_add (e->log, line);
  g_mutex_unlock (&e->lock);
}

static guint
count_prefix (Events *e, const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < e->log->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (e->log, i), prefix))
      n++;
  return n;
}

static guint
count_containing (Events *e, const char *prefix, const char *part)
{
  guint n = 0;

  for (guint i = 0; i < e->log->len; i++)
    {
      const char *line = g_ptr_array_index (e->log, i);
      if (g_str_has_prefix (line, prefix) && strstr (line, part) != NULL)
        n++;
    }
  return n;
}

static void
run_job (AveSettings *settings, const char *outdir, Events *e)
{
  const char *sample = ave_test_sample ("talk-360p.mp4", 8, 640, 360);
  g_autoptr(AveJob) job = ave_job_new (AVE_JOB_PROCESS, sample, outdir, settings);
  g_autoptr(GError) error = NULL;
  g_autofree char *final = g_build_filename (outdir, "talk-360p", "final.mp4", NULL);

  g_mutex_init (&e->lock);
  e->log = g_ptr_array_new_with_free_func (g_free);
  ave_job_set_event_func (job, on_event, e, NULL);
  /* Load is shed; the run never fails for memory. */
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (final, G_FILE_TEST_IS_REGULAR));
}

static void
events_clear (Events *e)
{
  g_ptr_array_unref (e->log);
  g_mutex_clear (&e->lock);
}

static guint
count_run_folders (const char *parent)
{
  g_autoptr(GDir) dir = g_dir_open (parent, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "ai-video-editor-"))
      n++;
  return n;
}

static void
test_alerts_and_shedding (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autofree char *outdir = ave_test_path ("alerts");
  g_autofree char *temp = ave_test_path ("alerts-temp");
  g_autofree char *stale = g_build_filename (temp, "ai-video-editor-999999999-abcdef", NULL);
  g_autofree char *stale_owner = g_build_filename (stale, ".ai-video-editor-temp", NULL);
  g_autofree char *foreign = g_build_filename (temp, "ai-video-editor-999999998-ghijkl", NULL);
  Events e;

  /* A budget the speech model alone passes: both alerts must come, once. */
  settings->max_memory_bytes = 100 * MIB;
  settings->monitor_memory = TRUE;
  settings->memory_alerts = TRUE;
  settings->temp_dir = g_strdup (temp);
  /* a folder left by a run that was killed (no such process), and one of
   * that name that the engine did not make (no owner file): it stays */
  g_assert_cmpint (g_mkdir_with_parents (stale, 0755), ==, 0);
  g_assert_true (g_file_set_contents (stale_owner, "", 0, NULL));
  g_assert_cmpint (g_mkdir_with_parents (foreign, 0755), ==, 0);

  run_job (settings, outdir, &e);
  g_assert_cmpuint (count_containing (&e, "warning:", "reached 80 % of the 100 MB budget"), ==, 1);
  g_assert_cmpuint (count_containing (&e, "warning:", "reached 90 % of the 100 MB budget"), ==, 1);
  g_assert_cmpuint (count_prefix (&e, "decision:memory_pressure:"), >=, 1);
  g_assert_cmpuint (count_prefix (&e, "notice:memory budget 100 MB"), ==, 1);
  /* the run's temp folder is gone, and so is the stale one */
  g_assert_cmpuint (count_containing (&e, "notice:", "left by interrupted runs"), ==, 1);
  g_assert_cmpuint (count_run_folders (temp), ==, 1);
  g_assert_true (g_file_test (foreign, G_FILE_TEST_IS_DIR));
  events_clear (&e);
}

static void
test_no_parallel_is_sequential (void)
{
  const char *sample = ave_test_sample ("talk-360p.mp4", 8, 640, 360);
  g_autofree char *outdir = ave_test_path ("sequential");
  const char *args[] = { "process", sample, "-o", outdir, "--no-parallel", "--json", NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 peak;
  int open_stage = -1;
  guint starts = 0;

  g_assert_cmpint (run_cli_measured (args, &peak, &out), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  /* Each stage ends before the next one starts: never two open at once. */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o;
      const char *kind, *stage;

      if (*lines[i] != '{' || !json_parser_load_from_data (parser, lines[i], -1, NULL))
        continue;
      o = json_node_get_object (json_parser_get_root (parser));
      kind = json_object_get_string_member_with_default (o, "event", "");
      stage = json_object_get_string_member_with_default (o, "stage", "");
      if (g_str_equal (kind, "stage-start"))
        {
          g_assert_cmpint (open_stage, ==, -1);
          open_stage = (int) g_quark_from_string (stage);
          starts++;
        }
      else if (g_str_equal (kind, "stage-end"))
        {
          g_assert_cmpint (open_stage, ==, (int) g_quark_from_string (stage));
          open_stage = -1;
        }
    }
  g_assert_cmpuint (starts, ==, AVE_N_STAGES);
  g_assert_cmpint (open_stage, ==, -1);
}

static void
on_decision_event (const AveEvent *event, gpointer user_data)
{
  guint *n = user_data;

  /* Each decision event carries the logged change as data. */
  if (event->kind == AVE_EVENT_DECISION)
    {
      g_assert_nonnull (event->decision);
      g_assert_cmpstr (event->decision->what, ==, event->name);
      g_assert_true (g_str_has_prefix (event->message, event->decision->from));
      g_atomic_int_inc (n);
    }
}

/* The summary line of the one metrics file in `dir`. */
static JsonObject *
read_summary (const char *dir, JsonParser *parser)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name = d != NULL ? g_dir_read_name (d) : NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  g_assert_nonnull (name);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (g_strstrip (text), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 1);
  g_assert_true (json_parser_load_from_data (parser, lines[n - 1], -1, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

/* Under memory pressure the engine takes decisions (a faster preset or
 * smaller analysis frames, fewer frames of look-ahead, a coarser frame
 * step): all of them land in the run's decisions and the stages' view,
 * none in the settings the job was given. */
static void
test_settings_unchanged (void)
{
  const char *sample = ave_test_sample ("talk-360p.mp4", 8, 640, 360);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autofree char *outdir = ave_test_path ("unchanged");
  g_autofree char *metrics_dir = ave_test_path ("unchanged-metrics");
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const AveSettings *given;
  g_autofree char *preset = NULL;
  const char *preset_pointer;
  AveSettings before;
  AveRunDecisions *d;
  JsonObject *summary;
  JsonArray *log;
  guint n, events = 0;
  gboolean changed = FALSE;

  settings->max_memory_bytes = 120 * MIB;
  settings->adaptive_quality = TRUE;
  settings->quality_threshold = 0.95;
  settings->skip_optional_analysis = TRUE;
  settings->metrics_output = g_strdup (metrics_dir);
  job = ave_job_new (AVE_JOB_PROCESS, sample, outdir, settings);
  ave_job_set_event_func (job, on_decision_event, &events, NULL);
  given = ave_job_get_settings (job);
  g_assert_null (ave_job_get_decisions (job));
  memcpy (&before, given, sizeof before);
  preset = g_strdup (given->encoder_preset);
  preset_pointer = given->encoder_preset;

  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);

  /* The settings the job holds are as given, to the byte: the scalars
   * and the strings (same pointers, same text). */
  g_assert_true (memcmp (&before, given, sizeof before) == 0);
  g_assert_true (given->encoder_preset == preset_pointer);
  g_assert_cmpstr (given->encoder_preset, ==, preset);
  g_assert_cmpstr (given->temp_dir, ==, NULL);

  /* What was decided instead. */
  d = ave_job_get_decisions (job);
  g_assert_nonnull (d);
  n = ave_run_decisions_count (d);
  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (events, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_auto(AveDecision) entry = { 0 };

      ave_run_decisions_get (d, i, &entry);
      g_test_message ("%s: %s → %s at %.2f s: %s", entry.what, entry.from, entry.to, entry.when, entry.why);
      g_assert_cmpstr (entry.from, !=, entry.to);
      g_assert_nonnull (entry.why);
      g_assert_cmpfloat (entry.when, >=, 0);
      if (g_str_equal (entry.what, "encoder_preset"))
        {
          g_assert_cmpstr (entry.from, ==, preset);
          g_assert_cmpstr (d->encoder_preset, ==, entry.to);
          changed = TRUE;
        }
      else if (g_str_equal (entry.what, "analysis_width"))
        {
          g_assert_cmpuint (g_ascii_strtoull (entry.from, NULL, 10), ==, given->analysis_width);
          g_assert_cmpuint (d->analysis_width, <, given->analysis_width);
          changed = TRUE;
        }
    }
  /* 120 MB is too little for the render at the given preset: one
   * adaptive-quality step (test_adaptive_quality_decisions). */
  g_assert_true (changed);
  /* Not logged (the run's starting point and a notice), but decided: the
   * run's own temporary folder and, at 25 frames a second, every 2nd frame. */
  g_assert_nonnull (d->temp_dir);
  g_assert_cmpuint (d->frame_step, ==, 2);
  g_assert_cmpuint (given->frame_step, <=, 1);

  /* The metrics keep the same list. */
  summary = read_summary (metrics_dir, parser);
  log = json_object_get_array_member (summary, "decision_log");
  g_assert_nonnull (log);
  g_assert_cmpuint (json_array_get_length (log), ==, n);
  g_assert_cmpint (json_object_get_int_member (summary, "decisions"), ==, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (log, i);
      g_auto(AveDecision) entry = { 0 };

      ave_run_decisions_get (d, i, &entry);
      g_assert_cmpstr (json_object_get_string_member (o, "what"), ==, entry.what);
      g_assert_cmpstr (json_object_get_string_member (o, "from"), ==, entry.from);
      g_assert_cmpstr (json_object_get_string_member (o, "to"), ==, entry.to);
      g_assert_cmpstr (json_object_get_string_member (o, "why"), ==, entry.why);
      g_assert_cmpfloat (fabs (json_object_get_double_member (o, "when") - entry.when), <, 1e-6);
    }
}

static void
test_adaptive_quality_decisions (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autofree char *outdir = ave_test_path ("adaptive");
  g_autofree char *temp = ave_test_path ("adaptive-temp");
  Events e;
  int priority;

  /* An artificially small budget: the render cannot fit at "medium". */
  settings->max_memory_bytes = 120 * MIB;
  settings->adaptive_quality = TRUE;
  settings->quality_threshold = 0.95;   /* one preset step at most (0.97) */
  settings->cleanup_temp = FALSE;
  settings->temp_dir = g_strdup (temp);
  settings->cpu_affinity = TRUE;
  settings->process_priority = 5;       /* lowering priority needs no permission */

  run_job (settings, outdir, &e);
  for (guint i = 0; i < e.log->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (e.log, i), "decision:"))
      g_test_message ("%s", (const char *) g_ptr_array_index (e.log, i));
  /* One step is needed (the render does not fit) and one is all the
   * threshold allows: a faster preset for memory, or, when other
   * processes keep the cores busy, smaller analysis frames first. */
  g_assert_cmpuint (count_prefix (&e, "decision:encoder_preset:") + count_prefix (&e, "decision:analysis_width:"), ==, 1);
  if (count_prefix (&e, "decision:encoder_preset:") == 1)
    g_assert_cmpuint (count_containing (&e, "decision:encoder_preset:", "medium → fast"), ==, 1);
  g_assert_cmpuint (count_containing (&e, "warning:", "memory budget is below"), ==, 1);
  g_assert_cmpuint (count_containing (&e, "notice:", "process priority set to nice 5"), ==, 1);
  g_assert_cmpuint (count_containing (&e, "notice:", "CPU affinity"), ==, 1);
  errno = 0;
  priority = getpriority (PRIO_PROCESS, 0);
  g_assert_cmpint (priority, ==, 5);
  /* --cleanup-temp off: the run's folder stays, and the job says where */
  g_assert_cmpuint (count_run_folders (temp), ==, 1);
  g_assert_cmpuint (count_containing (&e, "notice:", "temporary files kept in"), ==, 1);
  events_clear (&e);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/budget/plan", test_plan_sizes_from_budget);
  g_test_add_func ("/engine/budget/strategies", test_strategies);
  g_test_add_func ("/engine/budget/affinity", test_affinity_round_robin);
  g_test_add_func ("/engine/budget/peak-rss-1080p", test_peak_rss_1080p);
  g_test_add_func ("/engine/budget/peak-rss-1080p-default", test_peak_rss_1080p_default);
  g_test_add_func ("/engine/budget/alerts-and-shedding", test_alerts_and_shedding);
  g_test_add_func ("/engine/budget/no-parallel", test_no_parallel_is_sequential);
  g_test_add_func ("/engine/budget/settings-unchanged", test_settings_unchanged);
  /* last: it lowers this process's priority */
  g_test_add_func ("/engine/budget/adaptive-quality", test_adaptive_quality_decisions);

  return g_test_run ();
}
