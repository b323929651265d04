/* Settings from presets, config files and flags: precedence, sources,
 * the guide's performance_config.yaml, error messages, presets. */
#include "config.h"

#include <json-glib/json-glib.h>

#include "ave-test-util.h"
#include "core/ave-config.h"
#include "core/ave-error.h"
#include "core/ave-presets.h"

#define GiB (1024.0 * 1024.0 * 1024.0)

static char *
guide_config_path (void)
{
  return g_build_filename (ave_test_source_root (), "tests", "data", "performance_config.yaml", NULL);
}

static char *
write_file (const char *name, const char *text)
{
  char *path = ave_test_path (name);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
assert_origin (AveSettingsSources *sources, const char *field,
               AveSettingSource source, const char *origin_suffix)
{
  const char *origin = NULL;

  g_assert_cmpstr (ave_setting_source_to_string (ave_settings_sources_lookup (sources, field, &origin)),
                   ==, ave_setting_source_to_string (source));
  if (origin_suffix != NULL)
    {
      g_assert_nonnull (origin);
      if (!g_str_has_suffix (origin, origin_suffix))
        g_error ("%s: origin '%s' does not end in '%s'", field, origin, origin_suffix);
    }
}

/* The guide's file, copied verbatim into tests/data, loads without a single
 * warning and every key lands where docs/cli.md says. */
static void
test_guide_yaml (void)
{
  g_autofree char *path = guide_config_path ();
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  g_assert_true (ave_config_load_file (s, sources, path, warnings, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (warnings->len, ==, 0);

  g_assert_cmpint (s->mode, ==, AVE_MODE_BALANCED);                       /* processing_mode */
  g_assert_cmpint (s->parallel_strategy, ==, AVE_PARALLEL_ADAPTIVE);      /* resource_management */
  g_assert_cmpstr (s->performance_target, ==, "balanced");                /* optimization_target, speed_priority */
  g_assert_cmpuint (s->max_memory_bytes, ==, 12ull << 30);                /* max_usage_gb */
  g_assert_true (s->memory_efficient);                                    /* buffer_management: efficient */
  g_assert_true (s->minimal_buffers);                                     /* garbage_collection: aggressive */
  g_assert_cmpuint (s->cache_size_bytes, ==, 2000000000ull);              /* cache_size_gb */
  g_assert_true (s->cache_enabled);
  g_assert_true (s->parallel);                                            /* parallel_processing */
  g_assert_cmpuint (s->max_workers, ==, 4);                               /* max_concurrent_operations */
  g_assert_true (s->resource_aware);                                      /* batch_size: optimal */
  g_assert_true (s->monitor_memory);                                      /* queue_management: smart */
  g_assert_true (s->batch_api_calls);
  g_assert_true (s->optimize_requests);
  g_assert_true (s->cache_responses);
  g_assert_true (s->cost_aware);                                          /* rate_limiting: adaptive */
  g_assert_true (s->adaptive_quality);
  g_assert_cmpfloat_with_epsilon (s->quality_threshold, 0.85, 1e-9);

  assert_origin (sources, "max_memory_bytes", AVE_SETTING_SOURCE_CONFIG, "performance_config.yaml:8");
  assert_origin (sources, "max_workers", AVE_SETTING_SOURCE_CONFIG, "performance_config.yaml:15");
  assert_origin (sources, "quality_threshold", AVE_SETTING_SOURCE_CONFIG, "performance_config.yaml:27");
  assert_origin (sources, "crf", AVE_SETTING_SOURCE_DEFAULT, NULL);
}

/* defaults < preset < config file < flags, each field remembering its layer. */
static void
test_precedence (void)
{
  g_autofree char *path = write_file ("precedence.yaml",
                                      "memory:\n"
                                      "  max_usage_gb: 10\n"
                                      "quality:\n"
                                      "  level: ultra\n"
                                      "processing:\n"
                                      "  max_concurrent_operations: 3\n");
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ave_config_apply_option (s, sources, "preset", "8gb", AVE_SETTING_SOURCE_FLAG, "--preset", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s->max_memory_bytes, ==, 6ull << 30);
  g_assert_cmpint (s->quality, ==, AVE_QUALITY_MEDIUM);
  g_assert_false (s->parallel);
  g_assert_true (ave_config_load_file (s, sources, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ave_config_apply_option (s, sources, "max-workers", "2", AVE_SETTING_SOURCE_FLAG, "--max-workers", NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (s->mode, ==, AVE_MODE_FAST);            /* preset only */
  g_assert_false (s->parallel);
  g_assert_cmpuint (s->max_memory_bytes, ==, 10ull << 30); /* config over preset */
  g_assert_cmpint (s->quality, ==, AVE_QUALITY_ULTRA);
  g_assert_cmpstr (s->encoder_preset, ==, "slow");
  g_assert_cmpuint (s->max_workers, ==, 2);                /* flag over config */

  assert_origin (sources, "mode", AVE_SETTING_SOURCE_PRESET, "(8gb.yaml:5)");
  assert_origin (sources, "parallel", AVE_SETTING_SOURCE_PRESET, "(8gb.yaml:9)");
  assert_origin (sources, "max_memory_bytes", AVE_SETTING_SOURCE_CONFIG, "precedence.yaml:2");
  assert_origin (sources, "quality", AVE_SETTING_SOURCE_CONFIG, "precedence.yaml:4");
  assert_origin (sources, "encoder_preset", AVE_SETTING_SOURCE_CONFIG, "precedence.yaml:4");
  assert_origin (sources, "max_workers", AVE_SETTING_SOURCE_FLAG, "--max-workers");
  assert_origin (sources, "preset", AVE_SETTING_SOURCE_FLAG, "--preset");
  assert_origin (sources, "silence_threshold_db", AVE_SETTING_SOURCE_DEFAULT, NULL);
}

/* The same through the binary: --preset after the config on the command
 * line is still the lower layer, and a flag wins over both. */
static void
test_precedence_cli (void)
{
  g_autofree char *path = write_file ("cli.yaml", "memory:\n  max_usage_gb: 10\nperformance:\n  processing_mode: high_quality\n");
  g_autofree char *out = ave_test_sh_output ("'%s' --config '%s' settings --json --mode balanced --preset 32gb",
                                             ave_test_binary (), path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *settings;

  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  settings = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "settings");
#define MEMBER(name) json_object_get_object_member (settings, name)
  g_assert_cmpint (json_object_get_int_member (MEMBER ("max_memory_bytes"), "value"), ==, 10ll << 30);
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("max_memory_bytes"), "source"), ==, "config");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (MEMBER ("max_memory_bytes"), "origin"), "cli.yaml:2"));
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("mode"), "value"), ==, "balanced");
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("mode"), "source"), ==, "flag");
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("quality"), "value"), ==, "ultra");
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("quality"), "source"), ==, "preset");
  g_assert_true (json_object_get_boolean_member (MEMBER ("aggressive_caching"), "value"));
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("aggressive_caching"), "source"), ==, "preset");
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("crf"), "source"), ==, "preset");
  g_assert_cmpstr (json_object_get_string_member (MEMBER ("shot_threshold"), "source"), ==, "default");
  g_assert_true (json_node_is_null (json_object_get_member (MEMBER ("shot_threshold"), "origin")));
#undef MEMBER
}

static void
test_unknown_key_warns (void)
{
  g_autofree char *path = write_file ("unknown.yaml",
                                      "memory:\n"
                                      "  max_usage_gb: 4\n"
                                      "  colour: blue\n"
                                      "network:\n"
                                      "  speed: fast\n");
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_assert_true (ave_config_load_file (s, sources, path, warnings, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s->max_memory_bytes, ==, 4ull << 30);
  g_assert_cmpuint (warnings->len, ==, 2);
  g_assert_true (g_str_has_suffix (g_ptr_array_index (warnings, 0), "unknown.yaml:3: unknown key 'memory.colour' (ignored)"));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (warnings, 1), "unknown.yaml:4: unknown section 'network' (ignored)"));

  /* On the command line the warning is shown and the command goes on. */
  status = ave_test_sh_status (&out, &err, "'%s' --config '%s' settings", ave_test_binary (), path);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (err, "unknown.yaml:3: unknown key 'memory.colour'"));
}

static void
assert_config_fails (const char *name, const char *text, const char *message_suffix)
{
  g_autofree char *path = write_file (name, text);
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_assert_false (ave_config_load_file (s, sources, path, NULL, &error));
  g_assert_error (error, AVE_SETTINGS_ERROR, error->code);
  if (!g_str_has_prefix (error->message, path) || strstr (error->message, message_suffix) == NULL)
    g_error ("unexpected message: %s (wanted %s…%s)", error->message, path, message_suffix);

  status = ave_test_sh_status (NULL, &err, "'%s' --config '%s' process video.mp4", ave_test_binary (), path);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, message_suffix));
}

static void
test_config_errors (void)
{
  assert_config_fails ("syntax.yaml", "memory:\n  max_usage_gb: 12\n   cache_size_gb: [2\n",
                       "syntax.yaml:3: syntax error");
  /* Issue #9 item 13: libyaml notices the missing ']' on line 5 (the end);
   * the mistake is where the sequence starts, line 4. */
  assert_config_fails ("bad.yaml", "performance:\n  processing_mode: fast\nmemory:\n  max_usage_gb: [oops",
                       "bad.yaml:4: syntax error: this flow sequence ('[') is never closed with ']'");
  assert_config_fails ("brace.yaml", "memory:\n  max_usage_gb: {a: 1\n\n\nprocessing:\n",
                       "brace.yaml:2: syntax error: this flow mapping ('{') is never closed with '}'");
  assert_config_fails ("quote.yaml", "storage:\n  temp_dir: \"/tmp\n  cleanup_temp: true\n",
                       "quote.yaml:2: syntax error: this quoted string is never closed");
  /* A block mapping's problem is where libyaml noticed it, not where the
   * mapping starts. */
  assert_config_fails ("indent.yaml", "memory:\n  max_usage_gb: 1\n cache_size_gb: 2\n",
                       "indent.yaml:3: syntax error: did not find expected key");
  assert_config_fails ("enum.yaml", "performance:\n  processing_mode: turbo\n",
                       "enum.yaml:2: processing_mode: 'turbo' is not one of fast|balanced|high_quality");
  assert_config_fails ("mapped.yaml", "memory:\n  max_usage_gb: 2\n  garbage_collection: sometimes\n",
                       "mapped.yaml:3: garbage_collection: 'sometimes' is not one of normal|aggressive");
  assert_config_fails ("number.yaml", "quality:\n  adaptive_quality: true\n  quality_threshold: high\n",
                       "number.yaml:3: quality_threshold: 'high' is not a number from 0 to 1");
  assert_config_fails ("bool.yaml", "processing:\n  parallel_processing: maybe\n",
                       "bool.yaml:2: parallel_processing: 'maybe' is not one of true|false");
  assert_config_fails ("shape.yaml", "- memory\n- processing\n", "shape.yaml:1: expected sections");
}

static void
assert_flag_fails (const char *args, const char *message)
{
  g_autofree char *err = NULL;
  int status = ave_test_sh_status (NULL, &err, "'%s' process video.mp4 %s", ave_test_binary (), args);

  g_assert_cmpint (status, ==, 2);
  if (strstr (err, message) == NULL)
    g_error ("'%s': expected '%s' in: %s", args, message, err);
}

static void
test_flag_values (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  guint64 bytes = 0;

  assert_flag_fails ("--max-memory 0", "--max-memory: '0' is not a number from 0.1 to 1024 (GB)");
  assert_flag_fails ("--max-memory abc", "--max-memory: 'abc' is not a number from 0.1 to 1024 (GB)");
  assert_flag_fails ("--parallel-strategy fast", "'fast' is not one of conservative|balanced|aggressive|adaptive");
  assert_flag_fails ("--process-priority urgent", "'urgent' is not one of low|normal|high");
  assert_flag_fails ("--performance-target fast", "'fast' is not one of speed|balanced|quality");
  assert_flag_fails ("--cache-size 4XB", "--cache-size: '4XB' is not a size");
  assert_flag_fails ("--budget-limit -1", "--budget-limit: '-1' is not an amount of US dollars");
  assert_flag_fails ("--max-workers 0", "--max-workers: '0' is not a whole number from 1 to 256");
  assert_flag_fails ("--preset 64gb", "--preset: '64gb' is not one of 8gb|16gb|32gb|auto");
  assert_flag_fails ("--no-such-flag", "no-such-flag");

  g_assert_true (ave_config_parse_size ("4GB", &bytes));
  g_assert_cmpuint (bytes, ==, 4000000000ull);
  g_assert_true (ave_config_parse_size ("4 GiB", &bytes));
  g_assert_cmpuint (bytes, ==, 4ull << 30);
  g_assert_true (ave_config_parse_size ("512MB", &bytes));
  g_assert_cmpuint (bytes, ==, 512000000ull);
  g_assert_true (ave_config_parse_size ("64KiB", &bytes));
  g_assert_cmpuint (bytes, ==, 65536);
  g_assert_true (ave_config_parse_size ("2", &bytes));
  g_assert_cmpuint (bytes, ==, 2000000000ull);
  g_assert_false (ave_config_parse_size ("-4GB", &bytes));
  g_assert_false (ave_config_parse_size ("GB", &bytes));

  g_assert_true (ave_config_apply_option (s, sources, "budget-limit", "5.00", AVE_SETTING_SOURCE_FLAG, "--budget-limit", NULL, NULL));
  g_assert_cmpfloat_with_epsilon (s->budget_limit_usd, 5.0, 1e-9);
  g_assert_true (s->track_costs);
  g_assert_true (ave_config_apply_option (s, sources, "process-priority", "high", AVE_SETTING_SOURCE_FLAG, "--process-priority", NULL, NULL));
  g_assert_cmpint (s->process_priority, ==, -5);
  g_assert_true (ave_config_apply_option (s, sources, "process-priority", "low", AVE_SETTING_SOURCE_FLAG, "--process-priority", NULL, NULL));
  g_assert_cmpint (s->process_priority, ==, 10);
  g_assert_true (ave_config_apply_option (s, sources, "max-memory", "0.3", AVE_SETTING_SOURCE_FLAG, "--max-memory", NULL, NULL));
  g_assert_cmpuint (s->max_memory_bytes, ==, (guint64) (0.3 * GiB));
}

/* No option is accepted and ignored: each one, applied alone to the
 * defaults, records a flag source on at least one field, and every one
 * except those restating a default changes a value. */
static void
test_every_option_has_an_effect (void)
{
  static const char * const restating_defaults[] = {
    "parallel", "stage-parallelization", "cleanup-temp", "keep-retakes", NULL
  };
  guint n;
  const AveOption *options = ave_config_get_options (&n);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AveSettings) defaults = ave_settings_new ();
      g_autoptr(AveSettings) s = ave_settings_new ();
      g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *before = ave_settings_describe (defaults, NULL, FALSE);
      g_autofree char *after = NULL;
      g_autofree char *origin = g_strdup_printf ("--%s", options[i].name);
      g_autofree char *described = NULL;
      const char *value = NULL;
      const char *name = options[i].name;

      if (options[i].value_name != NULL)
        {
          static const struct { const char *name, *value; } samples[] = {
            { "preset", "8gb" }, { "type", "educational" }, { "quality", "ultra" },
            { "mode", "fast" }, { "performance-target", "speed" }, { "max-memory", "2" },
            { "max-workers", "3" }, { "thread-pool-size", "8" }, { "parallel-strategy", "aggressive" },
            { "process-priority", "low" }, { "quality-threshold", "0.5" }, { "gpu-memory", "2" },
            { "temp-dir", "/tmp/ave-temp" }, { "cache-size", "4GB" }, { "cache-strategy", "intelligent" },
            { "cache-dir", "/tmp/ave-cache" }, { "metrics-output", "/tmp/ave-metrics" }, { "budget-limit", "5.00" },
            { "subtitles", "srt" }, { "caption-style", "size=0.08,highlight=yellow" },
            { "export", "mlt,edl" }, { "export-paths", "relative" },
            { "director", "llm" }, { "llm-provider", "gemini" }, { "llm-url", "http://127.0.0.1:8080/v1" },
            { "llm-model", "llama3" }, { "llm-cheap-model", "gpt-4o-mini" }, { "llm-max-tokens", "1024" },
            { "target-duration", "60" }, { "api-retries", "5" }, { "api-timeout", "10" },
            { "api-batch-size", "2" }, { "response-cache-lifetime", "60" },
            { "api-price", "my-model:input_per_mtok=0.5,output_per_mtok=1.5" },
            { "asr", "remote" }, { "asr-url", "http://127.0.0.1:8081/v1" }, { "asr-model", "large-v3" },
            { "asr-upload-format", "wav" }, { "thumbnail-art", "remote" }, { "image-url", "http://127.0.0.1:7860/v1" },
            { "image-model", "gpt-image-1" }, { "resolution", "720p" },
          };
          for (guint k = 0; k < G_N_ELEMENTS (samples); k++)
            if (g_str_equal (samples[k].name, name))
              value = samples[k].value;
          if (value == NULL)
            g_error ("option --%s takes a value but the test has no sample for it", name);
        }

      if (!ave_config_apply_option (s, sources, name, value, AVE_SETTING_SOURCE_FLAG, origin, NULL, &error))
        g_error ("--%s %s: %s", name, value ? value : "", error->message);

      described = ave_settings_describe (s, sources, FALSE);
      if (strstr (described, origin) == NULL)
        g_error ("--%s set no field", name);
      after = ave_settings_describe (s, NULL, FALSE);
      if (!g_strv_contains (restating_defaults, name) && g_str_equal (before, after))
        g_error ("--%s changed nothing", name);
    }
}

/* The switches that move existing parameters, as docs/cli.md says. */
static void
test_parameter_effects (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  guint crf = s->crf;

#define APPLY(name, value) \
  g_assert_true (ave_config_apply_option (s, sources, name, value, AVE_SETTING_SOURCE_FLAG, "--" name, NULL, NULL))

  /* --resolution: a height, "p" or not, even; "source" is the default */
  APPLY ("resolution", "720p");
  g_assert_cmpuint (s->output_height, ==, 720);
  APPLY ("resolution", "481");
  g_assert_cmpuint (s->output_height, ==, 480);
  APPLY ("resolution", "source");
  g_assert_cmpuint (s->output_height, ==, 0);
  g_assert_false (ave_config_apply_option (s, sources, "resolution", "big", AVE_SETTING_SOURCE_FLAG,
                                           "--resolution", NULL, NULL));

  g_assert_cmpstr (s->encoder_preset, ==, "medium");
  APPLY ("optimize-speed", NULL);
  g_assert_cmpstr (s->encoder_preset, ==, "faster");
  g_assert_cmpuint (s->analysis_width, <=, 256);
  g_assert_cmpstr (s->performance_target, ==, "speed");
  APPLY ("output-compression", NULL);
  g_assert_cmpuint (s->crf, ==, crf + 4);
  g_assert_cmpuint (s->audio_bitrate, ==, 128000);
  APPLY ("audio-quality-priority", NULL);
  g_assert_cmpuint (s->audio_bitrate, ==, 320000);
  APPLY ("filler-word-optimization", NULL);
  g_assert_true (ave_settings_is_filler_word (s, "erm"));
  g_assert_true (ave_settings_is_filler_word (s, "um"));
  g_assert_true (s->cut_fillers);
  APPLY ("beat-detection-optimization", NULL);
  g_assert_true (s->detect_beats);
  g_assert_false (s->transcribe);
  APPLY ("preprocess-optimization", NULL);
  g_assert_false (s->smart_cut);
  g_assert_cmpuint (s->frame_step, ==, 2);
  g_assert_cmpfloat (s->silence_threshold_db, <=, -45);
  APPLY ("pipeline-optimization", NULL);
  g_assert_true (s->skip_optional_analysis);
  g_assert_cmpint (s->parallel_strategy, ==, AVE_PARALLEL_ADAPTIVE);
  APPLY ("no-parallel", NULL);
  g_assert_false (s->parallel);
  APPLY ("stream-processing", NULL);
  g_assert_true (s->memory_efficient);
  APPLY ("reduce-buffers", NULL);
  g_assert_true (s->minimal_buffers);
  APPLY ("debug-performance", NULL);
  g_assert_true (s->verbose_timing);
  g_assert_true (s->monitor_memory);
  g_assert_true (s->performance_monitoring);
  APPLY ("cost-optimization", NULL);
  g_assert_true (s->batch_api_calls && s->cache_responses && s->optimize_requests && s->cost_aware);
#undef APPLY
  assert_origin (sources, "memory_efficient", AVE_SETTING_SOURCE_FLAG, "--stream-processing");
  assert_origin (sources, "audio_bitrate", AVE_SETTING_SOURCE_FLAG, "--audio-quality-priority");
}

static void
test_presets (void)
{
  static const struct {
    const char *name;
    guint64 memory;
    AveQuality quality;
    AveMode mode;
    gboolean parallel;
    gboolean aggressive_caching;
  } guide[] = {
    { "8gb", 6ull << 30, AVE_QUALITY_MEDIUM, AVE_MODE_FAST, FALSE, FALSE },
    { "16gb", 12ull << 30, AVE_QUALITY_HIGH, AVE_MODE_BALANCED, TRUE, FALSE },
    { "32gb", 24ull << 30, AVE_QUALITY_ULTRA, AVE_MODE_HIGH_QUALITY, TRUE, TRUE },
  };
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_strv_length ((char **) ave_presets_list ()), ==, G_N_ELEMENTS (guide));
  for (guint i = 0; i < G_N_ELEMENTS (guide); i++)
    {
      g_autoptr(AveSettings) s = ave_settings_new ();

      g_assert_true (ave_settings_apply_preset (s, guide[i].name, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (s->max_memory_bytes, ==, guide[i].memory);
      g_assert_cmpint (s->quality, ==, guide[i].quality);
      g_assert_cmpint (s->mode, ==, guide[i].mode);
      g_assert_cmpint (s->parallel, ==, guide[i].parallel);
      g_assert_cmpint (s->aggressive_caching, ==, guide[i].aggressive_caching);
      g_assert_cmpstr (s->preset, ==, guide[i].name);
    }

  /* The embedded copies are the files in data/presets. */
  for (guint i = 0; i < G_N_ELEMENTS (guide); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/data/presets/%s.yaml", ave_test_source_root (), guide[i].name);
      g_autofree char *on_disk = NULL;
      g_autofree char *embedded = ave_presets_get_data (guide[i].name, NULL, &error);

      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (file, &on_disk, NULL, NULL));
      g_assert_cmpstr (embedded, ==, on_disk);
    }

  g_assert_cmpstr (ave_presets_for_ram (4ull << 30), ==, "8gb");
  g_assert_cmpstr (ave_presets_for_ram ((guint64) (7.7 * GiB)), ==, "8gb");
  g_assert_cmpstr (ave_presets_for_ram ((guint64) (15.5 * GiB)), ==, "16gb");
  g_assert_cmpstr (ave_presets_for_ram ((guint64) (31.3 * GiB)), ==, "32gb");
  g_assert_cmpstr (ave_presets_for_ram (256ull << 30), ==, "32gb");

  {
    g_autoptr(AveSettings) s = ave_settings_new ();
    g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
    guint64 ram = ave_presets_machine_ram ();
    const char *origin = NULL;
    g_autofree char *expected = g_strdup_printf ("preset auto=%s", ave_presets_for_ram (ram));

    g_assert_cmpuint (ram, >, 0);
    g_assert_true (ave_settings_apply_preset_with_sources (s, sources, "auto", &error));
    g_assert_no_error (error);
    g_assert_cmpstr (s->preset, ==, "auto");
    /* Never a budget the machine cannot give. */
    g_assert_cmpuint (s->max_memory_bytes, <=, ram);
    ave_settings_sources_lookup (sources, "quality", &origin);
    g_assert_true (g_str_has_prefix (origin, expected));
  }
  {
    g_autoptr(AveSettings) s = ave_settings_new ();
    g_assert_false (ave_settings_apply_preset (s, "64gb", &error));
    g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
    g_assert_cmpstr (error->message, ==, "'64gb' is not one of 8gb|16gb|32gb|auto");
    g_clear_error (&error);
  }
  /* AVE_DATA_DIR overrides the embedded copy, for trying changes. */
  {
    g_autoptr(AveSettings) s = ave_settings_new ();
    g_autofree char *dir = ave_test_path ("data");
    g_autofree char *presets = g_build_filename (dir, "presets", NULL);
    g_autofree char *file = g_build_filename (presets, "16gb.yaml", NULL);

    g_assert_cmpint (g_mkdir_with_parents (presets, 0755), ==, 0);
    g_assert_true (g_file_set_contents (file, "memory:\n  max_usage_gb: 11\n", -1, NULL));
    g_setenv ("AVE_DATA_DIR", dir, TRUE);
    g_assert_true (ave_settings_apply_preset (s, "16gb", &error));
    g_unsetenv ("AVE_DATA_DIR");
    g_assert_no_error (error);
    g_assert_cmpuint (s->max_memory_bytes, ==, 11ull << 30);
  }
}

static void
test_print_settings (void)
{
  g_autofree char *out = ave_test_sh_output ("'%s' process --print-settings --stream-processing --quality fast",
                                             ave_test_binary ());
  g_autofree char *analyze_err = NULL;
  int status;

  g_assert_nonnull (strstr (out, "memory_efficient"));
  g_assert_true (g_regex_match_simple ("memory_efficient +true +flag \\(--stream-processing\\)", out, 0, 0));
  g_assert_true (g_regex_match_simple ("crf +26 +flag \\(--quality\\)", out, 0, 0));
  g_assert_true (g_regex_match_simple ("shot_threshold +0.35 +default", out, 0, 0));

  /* Rendering options are no options of analyze. */
  status = ave_test_sh_status (NULL, &analyze_err, "'%s' analyze video.mp4 --output-compression", ave_test_binary ());
  g_assert_cmpint (status, ==, 2);
}

/* The remote providers' keys: api.prices.<model> and the guide's
 * api_optimization.gemini.* go one level deeper than other keys. */
static void
test_api_keys (void)
{
  static const char yaml[] =
    "api:\n"
    "  director: llm\n"
    "  llm_url: http://127.0.0.1:11434/v1\n"
    "  llm_model: llama3.1\n"
    "  prices:\n"
    "    llama3.1:\n"
    "      input_per_mtok: 0.25\n"
    "      output_per_mtok: 1.0\n"
    "api_optimization:\n"
    "  gemini:\n"
    "    batch_size: 3\n"
    "    response_caching: 600\n"
    "  imagen:\n"
    "    cache_similar: true\n";
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettingsSources) sources = ave_settings_sources_new ();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *origin = NULL;

  g_assert_true (ave_config_load_data (s, sources, yaml, sizeof yaml - 1, "c.yaml",
                                       AVE_SETTING_SOURCE_CONFIG, NULL, warnings, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (s->director, ==, "llm");
  g_assert_cmpstr (s->llm_url, ==, "http://127.0.0.1:11434/v1");
  g_assert_cmpuint (s->api_batch_size, ==, 3);
  g_assert_cmpuint (s->response_cache_seconds, ==, 600);
  g_assert_nonnull (s->api_prices);
  g_assert_true (g_strv_contains ((const char * const *) s->api_prices, "llama3.1:input_per_mtok=0.25"));
  g_assert_true (g_strv_contains ((const char * const *) s->api_prices, "llama3.1:output_per_mtok=1"));
  g_assert_cmpint (ave_settings_sources_lookup (sources, "api_batch_size", &origin), ==, AVE_SETTING_SOURCE_CONFIG);
  g_assert_cmpstr (origin, ==, "c.yaml:11");
  /* imagen's keys mean the thumbnail art's (ave-remote-image.h). */
  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_true (s->image_cache_similar);
  g_assert_false (s->image_batch_generation);
  g_assert_cmpint (ave_settings_sources_lookup (sources, "image_cache_similar", &origin), ==, AVE_SETTING_SOURCE_CONFIG);
  g_assert_cmpstr (origin, ==, "c.yaml:14");

  /* A URL that could carry a key is refused without echoing it. */
  g_clear_error (&error);
  g_assert_false (ave_config_apply_option (s, sources, "llm-url", "https://x.org/v1?key=SECRET",
                                           AVE_SETTING_SOURCE_FLAG, "--llm-url", NULL, &error));
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, "SECRET"));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/config/guide-yaml", test_guide_yaml);
  g_test_add_func ("/engine/config/precedence", test_precedence);
  g_test_add_func ("/engine/config/precedence-cli", test_precedence_cli);
  g_test_add_func ("/engine/config/unknown-key", test_unknown_key_warns);
  g_test_add_func ("/engine/config/errors", test_config_errors);
  g_test_add_func ("/engine/config/flag-values", test_flag_values);
  g_test_add_func ("/engine/config/every-option", test_every_option_has_an_effect);
  g_test_add_func ("/engine/config/parameter-effects", test_parameter_effects);
  g_test_add_func ("/engine/config/presets", test_presets);
  g_test_add_func ("/engine/config/print-settings", test_print_settings);
  g_test_add_func ("/engine/config/api-keys", test_api_keys);

  return g_test_run ();
}
