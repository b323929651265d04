#define G_LOG_DOMAIN "ave-report"

#include "config.h"

#include <math.h>
#include <string.h>
#include <gio/gio.h>

#include "ave-report.h"
#include "core/ave-error.h"
#include "core/ave-events.h"

typedef struct
{
  char    *file;
  char    *input;
  char    *fingerprint;
  char    *status;
  char    *quality;
  char    *encoder_preset;
  char    *parallel_strategy;
  gboolean parallel;
  gboolean cache_enabled;
  guint    analysis_width;
  guint64  max_memory;
  guint    cores;
  guint64  ram;
  double   wall, cpu;
  double   stage_wall[AVE_N_STAGES];
  double   stage_cpu[AVE_N_STAGES];
  gboolean stage_ran[AVE_N_STAGES];
  guint64  peak_rss, read_bytes, write_bytes;
  double   mean_cpu, max_cpu;
  double   sample_cpu_sum;
  guint    n_samples;
  guint    cache_hits, cache_misses;
  guint    api_calls, api_refused;
  double   cost, budget;
  gboolean finished;
  double   last_time;
} Run;

static void
run_free (Run *run)
{
  g_free (run->file);
  g_free (run->input);
  g_free (run->fingerprint);
  g_free (run->status);
  g_free (run->quality);
  g_free (run->encoder_preset);
  g_free (run->parallel_strategy);
  g_free (run);
}

static const char *
get_str (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
         ? json_node_get_string (n) : NULL;
}

static double
get_num (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return 0;
  switch (json_node_get_value_type (n))
    {
    case G_TYPE_INT64: return json_node_get_int (n);
    case G_TYPE_DOUBLE: return json_node_get_double (n);
    case G_TYPE_BOOLEAN: return json_node_get_boolean (n);
    default: return 0;
    }
}

/* Where the numbers of a metrics line come from, to name them when one
 * is skipped. */
typedef struct
{
  const char *file;
  guint       line;       /* 1-based */
  GPtrArray  *warnings;   /* char*, for the report */
} Origin;

/* Metrics files are read back whatever they hold (a crash, a hand edit,
 * 1e999, which json-glib reads as infinity).  A value that is not finite
 * or is outside [min, max] is skipped, and the report says so: casting it
 * to an integer would be undefined, and infinity is not JSON. */
static double
get_checked (const Origin *origin, JsonObject *o, const char *name, double min, double max)
{
  double value;

  if (o == NULL || !json_object_has_member (o, name))
    return 0;
  value = get_num (o, name);
  if (isfinite (value) && value >= min && value <= max)
    return value;
  g_ptr_array_add (origin->warnings,
                   g_strdup_printf ("%s:%u: %s: %g is not a number from %g to %g; ignored",
                                    origin->file, origin->line, name, value, min, max));
  return 0;
}

/* Byte counts: whole numbers a double holds exactly. */
#define MAX_BYTES    9007199254740992.0   /* 2^53 */
/* Seconds (wall, CPU, the time of a line): a century. */
#define MAX_SECONDS  3.2e9
/* CPU use of a process: 100 % per core, for any machine. */
#define MAX_PERCENT  1e7
#define MAX_USD      1e12

static guint64
get_bytes (const Origin *origin, JsonObject *o, const char *name)
{
  return (guint64) get_checked (origin, o, name, 0, MAX_BYTES);
}

static guint
get_count (const Origin *origin, JsonObject *o, const char *name)
{
  return (guint) get_checked (origin, o, name, 0, G_MAXUINT);
}

static JsonObject *
get_obj (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
get_array (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static int
stage_from_name (const char *name)
{
  for (int s = 0; s < AVE_N_STAGES; s++)
    if (g_strcmp0 (name, ave_stage_to_string (s)) == 0)
      return s;
  return -1;
}

static Run *
parse_run (const char *path, GPtrArray *warnings)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  Run *run;
  gboolean started = FALSE;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  run = g_new0 (Run, 1);
  run->file = g_strdup (path);
  lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      Origin origin = { path, i + 1, warnings };
      JsonObject *o;
      const char *type;

      /* A run that crashed may end in half a line: skip what does not parse. */
      if (*lines[i] == '\0' || !json_parser_load_from_data (parser, lines[i], -1, NULL))
        continue;
      /* A line of blanks (a CR of a CRLF file) parses to no root at all. */
      if (json_parser_get_root (parser) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      o = json_node_get_object (json_parser_get_root (parser));
      type = get_str (o, "type");
      run->last_time = MAX (run->last_time, get_checked (&origin, o, "time", 0, MAX_SECONDS));

      if (g_strcmp0 (type, "start") == 0)
        {
          JsonObject *settings = get_obj (o, "settings");
          JsonObject *system = get_obj (o, "system");

          /* A file with two start lines (two runs appended): the last one
           * names the run, as the last summary ends it. */
          started = TRUE;
          g_free (run->input);
          run->input = g_strdup (get_str (o, "input"));
          g_free (run->fingerprint);
          run->fingerprint = g_strdup (get_str (o, "input_fingerprint"));
          if (settings != NULL)
            {
              g_free (run->quality);
              run->quality = g_strdup (get_str (settings, "quality"));
              g_free (run->encoder_preset);
              run->encoder_preset = g_strdup (get_str (settings, "encoder_preset"));
              g_free (run->parallel_strategy);
              run->parallel_strategy = g_strdup (get_str (settings, "parallel_strategy"));
              run->parallel = get_num (settings, "parallel") != 0;
              run->analysis_width = get_count (&origin, settings, "analysis_width");
              run->max_memory = get_bytes (&origin, settings, "max_memory_bytes");
            }
          if (system != NULL)
            {
              run->cores = get_count (&origin, system, "cores");
              run->ram = get_bytes (&origin, system, "ram_bytes");
            }
        }
      else if (g_strcmp0 (type, "stage") == 0)
        {
          int s = stage_from_name (get_str (o, "stage"));
          if (s >= 0 && get_num (o, "skipped") == 0)
            {
              run->stage_wall[s] += get_checked (&origin, o, "wall_s", 0, MAX_SECONDS);
              run->stage_cpu[s] += get_checked (&origin, o, "cpu_s", 0, MAX_SECONDS);
              run->stage_ran[s] = TRUE;
            }
          run->peak_rss = MAX (run->peak_rss, get_bytes (&origin, o, "peak_rss_bytes"));
        }
      else if (g_strcmp0 (type, "sample") == 0)
        {
          double cpu = get_checked (&origin, o, "cpu_percent", 0, MAX_PERCENT);
          run->n_samples++;
          run->sample_cpu_sum += cpu;
          run->max_cpu = MAX (run->max_cpu, cpu);
          run->peak_rss = MAX (run->peak_rss, get_bytes (&origin, o, "peak_rss_bytes"));
        }
      else if (g_strcmp0 (type, "cache") == 0 && g_strcmp0 (get_str (o, "what"), "analysis") == 0)
        {
          if (get_num (o, "hit") != 0)
            run->cache_hits++;
          else
            run->cache_misses++;
        }
      else if (g_strcmp0 (type, "summary") == 0)
        {
          JsonObject *cache = get_obj (o, "cache");

          run->finished = TRUE;
          g_free (run->status);
          run->status = g_strdup (get_str (o, "status"));
          run->wall = get_checked (&origin, o, "wall_s", 0, MAX_SECONDS);
          run->cpu = get_checked (&origin, o, "cpu_s", 0, MAX_SECONDS);
          run->peak_rss = MAX (run->peak_rss, get_bytes (&origin, o, "peak_rss_bytes"));
          run->mean_cpu = get_checked (&origin, o, "mean_cpu_percent", 0, MAX_PERCENT);
          run->max_cpu = MAX (run->max_cpu, get_checked (&origin, o, "max_cpu_percent", 0, MAX_PERCENT));
          run->read_bytes = get_bytes (&origin, o, "read_bytes");
          run->write_bytes = get_bytes (&origin, o, "write_bytes");
          run->cache_enabled = cache != NULL && get_num (cache, "enabled") != 0;
          run->api_calls = get_count (&origin, o, "api_calls");
          run->api_refused = get_count (&origin, o, "api_refused");
          run->cost = get_checked (&origin, o, "cost_usd", 0, MAX_USD);
          run->budget = get_checked (&origin, o, "budget_usd", 0, MAX_USD);
        }
    }

  if (!started)
    {
      run_free (run);
      return NULL;
    }
  if (!run->finished)
    {
      /* Interrupted: what the lines say is all there is. */
      run->status = g_strdup ("incomplete");
      run->wall = run->last_time;
      run->mean_cpu = run->n_samples > 0 ? run->sample_cpu_sum / run->n_samples : 0;
    }
  return run;
}

static void
collect_files (const char *dir_path, GPtrArray *files, gboolean recurse)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      if (g_str_has_suffix (name, ".jsonl") && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_steal_pointer (&path));
      else if (recurse && g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_files (path, files, FALSE);
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* ---------------------------------------------------------- recommendations */

static void
recommend (JsonBuilder *b, const char *flag, const char *reason)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "flag");
  if (flag != NULL)
    json_builder_add_string_value (b, flag);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, reason);
  json_builder_end_object (b);
}

static gboolean
preset_is_slow (const char *preset)
{
  static const char * const slow[] = { "medium", "slow", "slower", "veryslow", "placebo", NULL };
  return preset != NULL && g_strv_contains (slow, preset);
}

#define SET_NUM(b, k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_double_value (b, v); } G_STMT_END
#define SET_INT(b, k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, v); } G_STMT_END
#define SET_STR(b, k, v) G_STMT_START { json_builder_set_member_name (b, k); \
                                        if ((v) != NULL) json_builder_add_string_value (b, v); \
                                        else json_builder_add_null_value (b); } G_STMT_END

JsonNode *
ave_performance_report_build (const char  *metrics_dir,
                              GError     **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) run_free);
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *generated = g_date_time_format_iso8601 (now);
  double stage_total[AVE_N_STAGES] = { 0 }, stage_cpu[AVE_N_STAGES] = { 0 };
  guint stage_runs[AVE_N_STAGES] = { 0 };
  double all_stages = 0, mean_cpu = 0, max_cpu = 0, cost = 0, budget = 0;
  guint64 peak_rss = 0, max_memory = 0, ram = 0, read_bytes = 0, write_bytes = 0;
  guint cores = 0, api_calls = 0, api_refused = 0, finished = 0, hits = 0, misses = 0;
  gboolean any_parallel_off = FALSE, any_strategy_not_aggressive = FALSE, any_cache_off = FALSE;
  int bottleneck = -1;
  double bottleneck_ratio = 0;
  guint n_recommendations = 0;
  const Run *slowest_preset_run = NULL;

  if (!g_file_test (metrics_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: no such metrics folder; run 'process --performance-monitoring --metrics-output %s' first",
                   metrics_dir, metrics_dir);
      return NULL;
    }
  collect_files (metrics_dir, files, TRUE);
  g_ptr_array_sort (files, compare_strings);
  for (guint i = 0; i < files->len; i++)
    {
      Run *run = parse_run (g_ptr_array_index (files, i), warnings);
      if (run != NULL)
        g_ptr_array_add (runs, run);
    }
  for (guint i = 0; i < runs->len; i++)
    finished += ((Run *) g_ptr_array_index (runs, i))->finished;
  if (finished == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: no metrics of a finished run (%u metrics files); run 'process --performance-monitoring "
                   "--metrics-output %s' first", metrics_dir, files->len, metrics_dir);
      return NULL;
    }

  for (guint i = 0; i < runs->len; i++)
    {
      Run *r = g_ptr_array_index (runs, i);

      for (guint s = 0; s < AVE_N_STAGES; s++)
        if (r->stage_ran[s])
          {
            stage_total[s] += r->stage_wall[s];
            stage_cpu[s] += r->stage_cpu[s];
            stage_runs[s]++;
            all_stages += r->stage_wall[s];
          }
      peak_rss = MAX (peak_rss, r->peak_rss);
      max_memory = MAX (max_memory, r->max_memory);
      ram = MAX (ram, r->ram);
      cores = MAX (cores, r->cores);
      mean_cpu += r->mean_cpu / runs->len;
      max_cpu = MAX (max_cpu, r->max_cpu);
      read_bytes += r->read_bytes;
      write_bytes += r->write_bytes;
      api_calls += r->api_calls;
      api_refused += r->api_refused;
      cost += r->cost;
      budget = MAX (budget, r->budget);
      hits += r->cache_hits;
      misses += r->cache_misses;
      any_parallel_off |= !r->parallel;
      any_strategy_not_aggressive |= g_strcmp0 (r->parallel_strategy, "aggressive") != 0;
      any_cache_off |= !r->cache_enabled;
      if (r->stage_ran[AVE_STAGE_COMPOSITION] && preset_is_slow (r->encoder_preset))
        slowest_preset_run = r;
    }
  for (guint s = 0; s < AVE_N_STAGES; s++)
    if (stage_runs[s] > 0 && (bottleneck < 0 || stage_total[s] > stage_total[bottleneck]))
      bottleneck = s;
  if (bottleneck >= 0 && stage_total[bottleneck] > 0)
    bottleneck_ratio = stage_cpu[bottleneck] / stage_total[bottleneck];

  json_builder_begin_object (b);
  SET_INT (b, "version", AVE_REPORT_VERSION);
  SET_STR (b, "generated_at", generated);
  SET_STR (b, "metrics_dir", metrics_dir);
  SET_INT (b, "runs_analyzed", runs->len);

  /* runs */
  json_builder_set_member_name (b, "runs");
  json_builder_begin_array (b);
  for (guint i = 0; i < runs->len; i++)
    {
      Run *r = g_ptr_array_index (runs, i);
      json_builder_begin_object (b);
      SET_STR (b, "file", r->file);
      SET_STR (b, "input", r->input);
      SET_STR (b, "status", r->status);
      SET_STR (b, "quality", r->quality);
      SET_NUM (b, "wall_s", r->wall);
      SET_NUM (b, "cpu_s", r->cpu);
      SET_INT (b, "peak_rss_bytes", r->peak_rss);
      json_builder_set_member_name (b, "stages");
      json_builder_begin_object (b);
      for (guint s = 0; s < AVE_N_STAGES; s++)
        if (r->stage_ran[s])
          SET_NUM (b, ave_stage_to_string (s), r->stage_wall[s]);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* time breakdown */
  json_builder_set_member_name (b, "time_breakdown");
  json_builder_begin_object (b);
  for (guint s = 0; s < AVE_N_STAGES; s++)
    {
      json_builder_set_member_name (b, ave_stage_to_string (s));
      json_builder_begin_object (b);
      SET_NUM (b, "total_s", stage_total[s]);
      SET_NUM (b, "mean_s", stage_runs[s] > 0 ? stage_total[s] / stage_runs[s] : 0);
      SET_INT (b, "runs", stage_runs[s]);
      /* Stages overlap (audio ‖ video, assets ‖ composition): shares are of
       * the summed stage times, not of the runs' wall time. */
      SET_NUM (b, "share", all_stages > 0 ? stage_total[s] / all_stages : 0);
      SET_NUM (b, "cpu_s", stage_cpu[s]);
      SET_NUM (b, "cpu_wall_ratio", stage_total[s] > 0 ? stage_cpu[s] / stage_total[s] : 0);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  /* resources */
  json_builder_set_member_name (b, "resource_usage");
  json_builder_begin_object (b);
  SET_INT (b, "peak_rss_bytes", peak_rss);
  SET_INT (b, "max_memory_bytes", max_memory);
  SET_NUM (b, "mean_cpu_percent", mean_cpu);
  SET_NUM (b, "max_cpu_percent", max_cpu);
  SET_NUM (b, "mean_cores_busy", mean_cpu / 100);
  SET_INT (b, "cores", cores);
  SET_INT (b, "ram_bytes", ram);
  SET_INT (b, "read_bytes", read_bytes);
  SET_INT (b, "write_bytes", write_bytes);
  json_builder_end_object (b);

  /* bottleneck */
  json_builder_set_member_name (b, "bottleneck");
  json_builder_begin_object (b);
  if (bottleneck >= 0)
    {
      const char *kind = bottleneck_ratio >= 1.5 ? "cpu-bound (multi-threaded)"
                       : bottleneck_ratio >= 0.7 ? "cpu-bound"
                       : "waiting";
      g_autofree char *reason = g_strdup_printf (
          "%s takes %.0f %% of the stage time (%.2f s over %u run%s); its threads used %.2f s of CPU per second "
          "of wall time, so it is %s%s",
          ave_stage_to_string (bottleneck), all_stages > 0 ? 100 * stage_total[bottleneck] / all_stages : 0,
          stage_total[bottleneck], stage_runs[bottleneck], stage_runs[bottleneck] == 1 ? "" : "s",
          bottleneck_ratio, kind,
          g_str_equal (kind, "waiting") ? " (on I/O, a queue or the stage it runs beside)" : "");
      SET_STR (b, "stage", ave_stage_to_string (bottleneck));
      SET_NUM (b, "share", all_stages > 0 ? stage_total[bottleneck] / all_stages : 0);
      SET_NUM (b, "wall_s", stage_total[bottleneck]);
      SET_NUM (b, "cpu_wall_ratio", bottleneck_ratio);
      SET_STR (b, "kind", kind);
      SET_STR (b, "reason", reason);
    }
  json_builder_end_object (b);

  /* recommendations */
  json_builder_set_member_name (b, "recommendations");
  json_builder_begin_array (b);
  if (bottleneck == AVE_STAGE_COMPOSITION && slowest_preset_run != NULL)
    {
      g_autofree char *why = g_strdup_printf (
          "composition dominates (%.0f %%) and x264 runs with preset '%s': a faster quality level encodes faster",
          100 * stage_total[bottleneck] / all_stages, slowest_preset_run->encoder_preset);
      recommend (b, g_strcmp0 (slowest_preset_run->quality, "medium") == 0 ? "--quality fast" : "--quality medium", why);
      n_recommendations++;
    }
  if (all_stages > 0 && (stage_total[AVE_STAGE_AUDIO_ANALYSIS] + stage_total[AVE_STAGE_VIDEO_ANALYSIS]) / all_stages > 0.5)
    {
      g_autofree char *why = g_strdup_printf (
          "analysis takes %.0f %% of the stage time: skip what the plan does not need",
          100 * (stage_total[AVE_STAGE_AUDIO_ANALYSIS] + stage_total[AVE_STAGE_VIDEO_ANALYSIS]) / all_stages);
      recommend (b, "--skip-optional-analysis", why);
      n_recommendations++;
    }
  if (max_memory > 0 && peak_rss >= 0.8 * max_memory)
    {
      g_autofree char *why = g_strdup_printf ("peak memory %.0f MB is %.0f %% of the %.0f MB budget",
                                              peak_rss / 1048576.0, 100.0 * peak_rss / max_memory,
                                              max_memory / 1048576.0);
      recommend (b, "--memory-efficient", why);
      n_recommendations++;
    }
  else if (max_memory == 0 && ram > 0 && peak_rss > ram / 2)
    {
      g_autofree char *flag = g_strdup_printf ("--max-memory %.0f", ram * 0.4 / 1e9 < 1 ? 1 : ram * 0.4 / 1e9);
      g_autofree char *why = g_strdup_printf ("peak memory %.0f MB is more than half the machine's RAM and no budget was set",
                                              peak_rss / 1048576.0);
      recommend (b, flag, why);
      n_recommendations++;
    }
  if (cores > 1 && mean_cpu / 100 < 0.5 * cores)
    {
      g_autofree char *why = g_strdup_printf ("on average %.1f of %u cores were busy",
                                              mean_cpu / 100, cores);
      if (any_parallel_off)
        recommend (b, "--parallel", why);
      else if (any_strategy_not_aggressive)
        recommend (b, "--parallel-strategy aggressive", why);
      else
        recommend (b, "--max-workers 0", why);
      n_recommendations++;
    }
  {
    /* The same content analysed again without a hit: a cache would have answered. */
    g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
    guint repeated_misses = 0;

    for (guint i = 0; i < runs->len; i++)
      {
        Run *r = g_ptr_array_index (runs, i);
        const char *id = r->fingerprint != NULL ? r->fingerprint : r->input;
        if (id == NULL)
          continue;
        if (g_hash_table_contains (seen, id) && r->cache_hits == 0 && r->stage_ran[AVE_STAGE_AUDIO_ANALYSIS] + r->stage_ran[AVE_STAGE_VIDEO_ANALYSIS] > 0)
          repeated_misses++;
        g_hash_table_add (seen, (gpointer) id);
      }
    if (repeated_misses > 0)
      {
        g_autofree char *why = g_strdup_printf (
            "%u run%s analysed content that an earlier run had already analysed%s",
            repeated_misses, repeated_misses == 1 ? "" : "s",
            any_cache_off ? " with the cache off" : " (the cache did not survive between runs)");
        recommend (b, "--persistent-cache", why);
        n_recommendations++;
      }
  }
  if (bottleneck >= 0 && bottleneck_ratio < 0.5 && write_bytes > 256u << 20)
    {
      recommend (b, "--temp-dir DIR", "the slowest stage mostly waits while the runs write a lot: "
                 "put temporary files on faster storage");
      n_recommendations++;
    }
  if (budget > 0 && cost >= 0.8 * budget)
    {
      recommend (b, "--cost-aware", "API costs reached 80 % of the budget: prefer cheaper calls");
      n_recommendations++;
    }
  if (api_refused > 0)
    {
      recommend (b, "--batch-api-calls", "the budget refused API calls: batch requests or raise --budget-limit");
      n_recommendations++;
    }
  if (n_recommendations == 0)
    recommend (b, NULL, "nothing stands out: no stage, resource or cost limit calls for another setting");
  json_builder_end_array (b);

  /* cost */
  json_builder_set_member_name (b, "cost_analysis");
  json_builder_begin_object (b);
  SET_INT (b, "api_calls", api_calls);
  SET_NUM (b, "cost_usd", cost);
  SET_NUM (b, "mean_cost_per_run_usd", runs->len > 0 ? cost / runs->len : 0);
  SET_INT (b, "refused_calls", api_refused);
  SET_NUM (b, "budget_usd", budget);
  SET_STR (b, "note", api_calls == 0 ? "no remote API was called (the local director is free)" : NULL);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "cache");
  json_builder_begin_object (b);
  SET_INT (b, "analysis_hits", hits);
  SET_INT (b, "analysis_misses", misses);
  SET_NUM (b, "hit_rate", hits + misses > 0 ? (double) hits / (hits + misses) : 0);
  json_builder_end_object (b);

  /* comparison */
  json_builder_set_member_name (b, "comparison");
  json_builder_begin_array (b);
  {
    g_autoptr(GHashTable) done = g_hash_table_new (g_str_hash, g_str_equal);

    for (guint i = 0; i < runs->len; i++)
      {
        Run *first = g_ptr_array_index (runs, i);
        const char *id = first->fingerprint != NULL ? first->fingerprint : first->input;
        Run *fastest = NULL, *slowest = NULL;
        guint n = 0;

        if (id == NULL || g_hash_table_contains (done, id))
          continue;
        g_hash_table_add (done, (gpointer) id);
        for (guint j = i; j < runs->len; j++)
          {
            Run *r = g_ptr_array_index (runs, j);
            if (!r->finished || g_strcmp0 (r->fingerprint != NULL ? r->fingerprint : r->input, id) != 0)
              continue;
            n++;
            if (fastest == NULL || r->wall < fastest->wall)
              fastest = r;
            if (slowest == NULL || r->wall > slowest->wall)
              slowest = r;
          }
        if (n == 0)
          continue;
        json_builder_begin_object (b);
        SET_STR (b, "input", first->input);
        SET_INT (b, "runs", n);
        json_builder_set_member_name (b, "fastest");
        json_builder_begin_object (b);
        SET_STR (b, "file", fastest->file);
        SET_NUM (b, "wall_s", fastest->wall);
        json_builder_end_object (b);
        json_builder_set_member_name (b, "slowest");
        json_builder_begin_object (b);
        SET_STR (b, "file", slowest->file);
        SET_NUM (b, "wall_s", slowest->wall);
        json_builder_end_object (b);
        SET_NUM (b, "delta_s", slowest->wall - fastest->wall);
        SET_NUM (b, "delta_percent", fastest->wall > 0 ? 100 * (slowest->wall - fastest->wall) / fastest->wall : 0);
        json_builder_end_object (b);
      }
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "warnings");
  json_builder_begin_array (b);
  for (guint i = 0; i < warnings->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (warnings, i));
  json_builder_end_array (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
ave_performance_report_to_text (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonObject *breakdown = get_obj (root, "time_breakdown");
  JsonObject *bottleneck = get_obj (root, "bottleneck");
  JsonObject *resources = get_obj (root, "resource_usage");
  JsonArray *recommendations = get_array (root, "recommendations");
  JsonArray *warnings = get_array (root, "warnings");
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "Performance report: %u run(s) from %s\n",
                          (guint) CLAMP (get_num (root, "runs_analyzed"), 0, G_MAXUINT), get_str (root, "metrics_dir"));
  g_string_append (out, "Time per stage:\n");
  for (guint s = 0; s < AVE_N_STAGES; s++)
    {
      JsonObject *st = get_obj (breakdown, ave_stage_to_string (s));
      g_string_append_printf (out, "  %-15s %8.2f s  %5.1f %%  CPU/wall %.2f\n", ave_stage_to_string (s),
                              get_num (st, "total_s"), 100 * get_num (st, "share"), get_num (st, "cpu_wall_ratio"));
    }
  g_string_append_printf (out, "Resources: peak memory %.0f MB, CPU mean %.0f %% max %.0f %% on %u cores\n",
                          get_num (resources, "peak_rss_bytes") / 1048576.0, get_num (resources, "mean_cpu_percent"),
                          get_num (resources, "max_cpu_percent"), (guint) CLAMP (get_num (resources, "cores"), 0, G_MAXUINT));
  if (get_str (bottleneck, "reason") != NULL)
    g_string_append_printf (out, "Bottleneck: %s\n", get_str (bottleneck, "reason"));
  g_string_append (out, "Recommendations:\n");
  for (guint i = 0; recommendations != NULL && i < json_array_get_length (recommendations); i++)
    {
      JsonObject *r = json_array_get_object_element (recommendations, i);
      const char *flag = get_str (r, "flag");
      g_string_append_printf (out, "  %s%s%s\n", flag != NULL ? flag : "", flag != NULL ? ": " : "",
                              get_str (r, "reason"));
    }
  /* A few are enough to find the file; the JSON report lists them all. */
  for (guint i = 0; warnings != NULL && i < json_array_get_length (warnings) && i < 5; i++)
    g_string_append_printf (out, "Warning: %s\n", json_array_get_string_element (warnings, i));
  if (warnings != NULL && json_array_get_length (warnings) > 5)
    g_string_append_printf (out, "Warning: %u more values ignored (see \"warnings\" in the JSON report)\n",
                            json_array_get_length (warnings) - 5);
  return g_string_free (out, FALSE);
}
