#define G_LOG_DOMAIN "ave-config"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <json-glib/json-glib.h>

#include "ave-config.h"
#include "ave-error.h"
#include "ave-presets.h"

/* ------------------------------------------------------------ sources */

typedef struct
{
  AveSettingSource source;
  char            *origin;
} SourceEntry;

struct _AveSettingsSources
{
  GHashTable *fields;   /* field name -> SourceEntry */
};

static void
source_entry_free (gpointer data)
{
  SourceEntry *entry = data;
  g_free (entry->origin);
  g_free (entry);
}

AveSettingsSources *
ave_settings_sources_new (void)
{
  AveSettingsSources *self = g_new0 (AveSettingsSources, 1);

  self->fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, source_entry_free);
  return self;
}

void
ave_settings_sources_free (AveSettingsSources *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->fields);
  g_free (self);
}

void
ave_settings_sources_set (AveSettingsSources *self,
                          const char         *field,
                          AveSettingSource    source,
                          const char         *origin)
{
  SourceEntry *entry;

  if (self == NULL)
    return;
  entry = g_new0 (SourceEntry, 1);
  entry->source = source;
  entry->origin = g_strdup (origin);
  g_hash_table_replace (self->fields, g_strdup (field), entry);
}

AveSettingSource
ave_settings_sources_lookup (const AveSettingsSources *self,
                             const char               *field,
                             const char              **origin)
{
  SourceEntry *entry = self != NULL ? g_hash_table_lookup (self->fields, field) : NULL;

  if (origin != NULL)
    *origin = entry != NULL ? entry->origin : NULL;
  return entry != NULL ? entry->source : AVE_SETTING_SOURCE_DEFAULT;
}

const char *
ave_setting_source_to_string (AveSettingSource source)
{
  static const char * const names[] = { "default", "preset", "config", "flag" };

  g_return_val_if_fail (source <= AVE_SETTING_SOURCE_FLAG, "default");
  return names[source];
}

/* ------------------------------------------------------------- fields */

typedef enum {
  FIELD_BOOL,
  FIELD_UINT,
  FIELD_INT,
  FIELD_BYTES,
  FIELD_DOUBLE,
  FIELD_STRING,
  FIELD_STRV,
  FIELD_CONTENT,
  FIELD_QUALITY,
  FIELD_MODE,
  FIELD_STRATEGY,
  FIELD_CACHE_STRATEGY,
  FIELD_SUBTITLES,
} FieldType;

#define FIELD(name, type) { #name, type, G_STRUCT_OFFSET (AveSettings, name) }

/* Every field of AveSettings, in the order of the header: what the settings
 * printer shows and what a layer is compared on to know what it changed. */
static const struct
{
  const char *name;
  FieldType   type;
  gsize       offset;
} fields[] = {
  FIELD (content_type, FIELD_CONTENT),
  FIELD (quality, FIELD_QUALITY),
  FIELD (mode, FIELD_MODE),
  FIELD (max_memory_bytes, FIELD_BYTES),
  FIELD (n_workers, FIELD_UINT),
  FIELD (parallel, FIELD_BOOL),
  FIELD (enable_gpu, FIELD_BOOL),
  FIELD (gpu_memory_bytes, FIELD_BYTES),
  FIELD (silence_threshold_db, FIELD_DOUBLE),
  FIELD (silence_min_duration, FIELD_DOUBLE),
  FIELD (transcribe, FIELD_BOOL),
  FIELD (filler_words, FIELD_STRV),
  FIELD (detect_beats, FIELD_BOOL),
  FIELD (analysis_width, FIELD_UINT),
  FIELD (frame_step, FIELD_UINT),
  FIELD (shot_threshold, FIELD_DOUBLE),
  FIELD (cut_silence_min, FIELD_DOUBLE),
  FIELD (word_padding, FIELD_DOUBLE),
  FIELD (cut_fillers, FIELD_BOOL),
  FIELD (remove_retakes, FIELD_BOOL),
  FIELD (transitions, FIELD_BOOL),
  FIELD (crossfade_duration, FIELD_DOUBLE),
  FIELD (audio_fade_duration, FIELD_DOUBLE),
  FIELD (min_segment_duration, FIELD_DOUBLE),
  FIELD (thumbnail_count, FIELD_UINT),
  FIELD (thumbnail_width, FIELD_UINT),
  FIELD (subtitles, FIELD_SUBTITLES),
  FIELD (embed_subtitles, FIELD_BOOL),
  FIELD (burn_captions, FIELD_BOOL),
  FIELD (export_formats, FIELD_STRING),
  FIELD (export_paths, FIELD_STRING),
  FIELD (caption_font, FIELD_STRING),
  FIELD (caption_size, FIELD_DOUBLE),
  FIELD (caption_position, FIELD_STRING),
  FIELD (caption_margin, FIELD_DOUBLE),
  FIELD (caption_color, FIELD_STRING),
  FIELD (caption_outline_color, FIELD_STRING),
  FIELD (caption_outline_width, FIELD_DOUBLE),
  FIELD (caption_box_color, FIELD_STRING),
  FIELD (caption_box_opacity, FIELD_DOUBLE),
  FIELD (caption_highlight, FIELD_STRING),
  FIELD (output_height, FIELD_UINT),
  FIELD (encoder_preset, FIELD_STRING),
  FIELD (crf, FIELD_UINT),
  FIELD (audio_bitrate, FIELD_UINT),
  FIELD (loudness_target, FIELD_DOUBLE),
  FIELD (encoder_lookahead, FIELD_UINT),
  FIELD (encoder_threads, FIELD_UINT),
  FIELD (temp_dir, FIELD_STRING),
  FIELD (cleanup_temp, FIELD_BOOL),
  FIELD (preset, FIELD_STRING),
  FIELD (parallel_strategy, FIELD_STRATEGY),
  FIELD (max_workers, FIELD_UINT),
  FIELD (thread_pool_size, FIELD_UINT),
  FIELD (process_priority, FIELD_INT),
  FIELD (cpu_affinity, FIELD_BOOL),
  FIELD (memory_efficient, FIELD_BOOL),
  FIELD (minimal_buffers, FIELD_BOOL),
  FIELD (monitor_memory, FIELD_BOOL),
  FIELD (memory_alerts, FIELD_BOOL),
  FIELD (adaptive_quality, FIELD_BOOL),
  FIELD (quality_threshold, FIELD_DOUBLE),
  FIELD (resource_aware, FIELD_BOOL),
  FIELD (performance_target, FIELD_STRING),
  FIELD (skip_optional_analysis, FIELD_BOOL),
  FIELD (cache_enabled, FIELD_BOOL),
  FIELD (persistent_cache, FIELD_BOOL),
  FIELD (cache_size_bytes, FIELD_BYTES),
  FIELD (aggressive_caching, FIELD_BOOL),
  FIELD (cache_strategy, FIELD_CACHE_STRATEGY),
  FIELD (cache_dir, FIELD_STRING),
  FIELD (performance_monitoring, FIELD_BOOL),
  FIELD (metrics_output, FIELD_STRING),
  FIELD (real_time_stats, FIELD_BOOL),
  FIELD (debug_performance, FIELD_BOOL),
  FIELD (batch_api_calls, FIELD_BOOL),
  FIELD (cache_responses, FIELD_BOOL),
  FIELD (optimize_requests, FIELD_BOOL),
  FIELD (cost_aware, FIELD_BOOL),
  FIELD (track_costs, FIELD_BOOL),
  FIELD (cost_alerts, FIELD_BOOL),
  FIELD (budget_limit_usd, FIELD_DOUBLE),
  FIELD (director, FIELD_STRING),
  FIELD (llm_provider, FIELD_STRING),
  FIELD (llm_url, FIELD_STRING),
  FIELD (llm_model, FIELD_STRING),
  FIELD (llm_cheap_model, FIELD_STRING),
  FIELD (llm_max_tokens, FIELD_UINT),
  FIELD (target_duration, FIELD_DOUBLE),
  FIELD (api_max_retries, FIELD_UINT),
  FIELD (api_timeout, FIELD_DOUBLE),
  FIELD (api_batch_size, FIELD_UINT),
  FIELD (response_cache_seconds, FIELD_UINT),
  FIELD (api_prices, FIELD_STRV),
  FIELD (asr, FIELD_STRING),
  FIELD (asr_url, FIELD_STRING),
  FIELD (asr_model, FIELD_STRING),
  FIELD (asr_upload_format, FIELD_STRING),
  FIELD (thumbnail_art, FIELD_STRING),
  FIELD (image_url, FIELD_STRING),
  FIELD (image_model, FIELD_STRING),
  FIELD (image_batch_generation, FIELD_BOOL),
  FIELD (image_template_reuse, FIELD_BOOL),
  FIELD (image_cache_similar, FIELD_BOOL),
  FIELD (verbose_timing, FIELD_BOOL),
  FIELD (smart_cut, FIELD_BOOL),
};

#define FIELD_PTR(settings, i, type) ((type *) ((guint8 *) (settings) + fields[i].offset))

static gboolean
field_equal (const AveSettings *a, const AveSettings *b, guint i)
{
  switch (fields[i].type)
    {
    case FIELD_BOOL:
    case FIELD_INT:
    case FIELD_CONTENT:
    case FIELD_QUALITY:
    case FIELD_MODE:
    case FIELD_STRATEGY:
    case FIELD_CACHE_STRATEGY:
    case FIELD_SUBTITLES:
      return *FIELD_PTR (a, i, int) == *FIELD_PTR (b, i, int);
    case FIELD_UINT:
      return *FIELD_PTR (a, i, guint) == *FIELD_PTR (b, i, guint);
    case FIELD_BYTES:
      return *FIELD_PTR (a, i, guint64) == *FIELD_PTR (b, i, guint64);
    case FIELD_DOUBLE:
      return *FIELD_PTR (a, i, double) == *FIELD_PTR (b, i, double);
    case FIELD_STRING:
      return g_strcmp0 (*FIELD_PTR (a, i, char *), *FIELD_PTR (b, i, char *)) == 0;
    case FIELD_STRV:
      {
        char **x = *FIELD_PTR (a, i, char **), **y = *FIELD_PTR (b, i, char **);
        if (x == NULL || y == NULL)
          return x == y;
        return g_strv_equal ((const char * const *) x, (const char * const *) y);
      }
    default:
      /* Unreachable from files: field kinds come from the static table. */
      g_return_val_if_reached (TRUE);
    }
}

static void
add_field_value (JsonBuilder *b, const AveSettings *s, guint i)
{
  switch (fields[i].type)
    {
    case FIELD_BOOL:
      json_builder_add_boolean_value (b, *FIELD_PTR (s, i, gboolean));
      break;
    case FIELD_INT:
      json_builder_add_int_value (b, *FIELD_PTR (s, i, int));
      break;
    case FIELD_UINT:
      json_builder_add_int_value (b, *FIELD_PTR (s, i, guint));
      break;
    case FIELD_BYTES:
      json_builder_add_int_value (b, (gint64) *FIELD_PTR (s, i, guint64));
      break;
    case FIELD_DOUBLE:
      json_builder_add_double_value (b, *FIELD_PTR (s, i, double));
      break;
    case FIELD_STRING:
      if (*FIELD_PTR (s, i, char *) == NULL)
        json_builder_add_null_value (b);
      else
        json_builder_add_string_value (b, *FIELD_PTR (s, i, char *));
      break;
    case FIELD_STRV:
      json_builder_begin_array (b);
      for (char **w = *FIELD_PTR (s, i, char **); w != NULL && *w != NULL; w++)
        json_builder_add_string_value (b, *w);
      json_builder_end_array (b);
      break;
    case FIELD_CONTENT:
      json_builder_add_string_value (b, ave_content_type_to_string (*FIELD_PTR (s, i, AveContentType)));
      break;
    case FIELD_QUALITY:
      json_builder_add_string_value (b, ave_quality_to_string (*FIELD_PTR (s, i, AveQuality)));
      break;
    case FIELD_MODE:
      json_builder_add_string_value (b, ave_mode_to_string (*FIELD_PTR (s, i, AveMode)));
      break;
    case FIELD_STRATEGY:
      json_builder_add_string_value (b, ave_parallel_strategy_to_string (*FIELD_PTR (s, i, AveParallelStrategy)));
      break;
    case FIELD_CACHE_STRATEGY:
      json_builder_add_string_value (b, ave_cache_strategy_to_string (*FIELD_PTR (s, i, AveCacheStrategy)));
      break;
    case FIELD_SUBTITLES:
      json_builder_add_string_value (b, ave_subtitles_to_string (*FIELD_PTR (s, i, AveSubtitles)));
      break;
    default:
      g_return_if_reached ();
    }
}

static char *
field_to_text (const AveSettings *s, guint i)
{
  switch (fields[i].type)
    {
    case FIELD_BOOL:
      return g_strdup (*FIELD_PTR (s, i, gboolean) ? "true" : "false");
    case FIELD_INT:
      return g_strdup_printf ("%d", *FIELD_PTR (s, i, int));
    case FIELD_UINT:
      return g_strdup_printf ("%u", *FIELD_PTR (s, i, guint));
    case FIELD_BYTES:
      {
        guint64 v = *FIELD_PTR (s, i, guint64);
        if (v == 0)
          return g_strdup ("0 (none)");
        return g_strdup_printf ("%" G_GUINT64_FORMAT " (%.2f GiB)", v, v / 1073741824.0);
      }
    case FIELD_DOUBLE:
      return g_strdup_printf ("%g", *FIELD_PTR (s, i, double));
    case FIELD_STRING:
      return g_strdup (*FIELD_PTR (s, i, char *) != NULL ? *FIELD_PTR (s, i, char *) : "(none)");
    case FIELD_STRV:
      {
        char **w = *FIELD_PTR (s, i, char **);
        return w != NULL ? g_strjoinv (" ", w) : g_strdup ("");
      }
    case FIELD_CONTENT:
      return g_strdup (ave_content_type_to_string (*FIELD_PTR (s, i, AveContentType)));
    case FIELD_QUALITY:
      return g_strdup (ave_quality_to_string (*FIELD_PTR (s, i, AveQuality)));
    case FIELD_MODE:
      return g_strdup (ave_mode_to_string (*FIELD_PTR (s, i, AveMode)));
    case FIELD_STRATEGY:
      return g_strdup (ave_parallel_strategy_to_string (*FIELD_PTR (s, i, AveParallelStrategy)));
    case FIELD_CACHE_STRATEGY:
      return g_strdup (ave_cache_strategy_to_string (*FIELD_PTR (s, i, AveCacheStrategy)));
    case FIELD_SUBTITLES:
      return g_strdup (ave_subtitles_to_string (*FIELD_PTR (s, i, AveSubtitles)));
    default:
      /* Unreachable from files: field kinds come from the static table. */
      g_return_val_if_reached (NULL);
    }
}

char *
ave_settings_describe (const AveSettings        *settings,
                       const AveSettingsSources *sources,
                       gboolean                  json)
{
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "settings");
      json_builder_begin_object (b);
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        {
          const char *origin;
          AveSettingSource source = ave_settings_sources_lookup (sources, fields[i].name, &origin);

          json_builder_set_member_name (b, fields[i].name);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "value");
          add_field_value (b, settings, i);
          json_builder_set_member_name (b, "source");
          json_builder_add_string_value (b, ave_setting_source_to_string (source));
          json_builder_set_member_name (b, "origin");
          if (origin != NULL)
            json_builder_add_string_value (b, origin);
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      return json_generator_to_data (generator, NULL);
    }
  else
    {
      GString *out = g_string_new (NULL);

      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        {
          const char *origin;
          AveSettingSource source = ave_settings_sources_lookup (sources, fields[i].name, &origin);
          g_autofree char *value = field_to_text (settings, i);

          g_string_append_printf (out, "%-24s %-28s %s%s%s%s\n", fields[i].name, value,
                                  ave_setting_source_to_string (source),
                                  origin != NULL ? " (" : "", origin != NULL ? origin : "",
                                  origin != NULL ? ")" : "");
        }
      return g_string_free (out, FALSE);
    }
}

/* ------------------------------------------------------------ options */

#define R AVE_OPTION_RENDER_ONLY

static const AveOption options[] = {
  /* presets and levels */
  { "preset", 0, NULL, NULL, "NAME", "Machine preset: 8gb, 16gb, 32gb or auto (from this machine's RAM)", 0 },
  { "type", 't', NULL, NULL, "TYPE", "Content type: general, educational (also cuts filler words and retakes), music (beats and tempo)", 0 },
  { "quality", 'q', NULL, NULL, "LEVEL", "fast, medium, high (default) or ultra: analysis resolution, encoder preset and CRF", 0 },
  { "mode", 'm', NULL, NULL, "MODE", "fast (lighter analysis, cuts only, smart cut), balanced (default: crossfades at shot changes) or high_quality", 0 },
  { "performance-target", 0, NULL, NULL, "TARGET", "speed (faster encoder preset, narrower analysis), balanced (default) or quality (slower preset, finer CRF)", 0 },
  { "optimize-speed", 0, "performance-target", "speed", NULL, "Same as --performance-target speed", 0 },

  /* memory */
  { "max-memory", 0, NULL, NULL, "GB", "Memory budget in GB (2^30 bytes), 0.1 to 1024: queues, decoder threads, workers, lookahead and caches are sized from it", 0 },
  { "memory-efficient", 0, NULL, NULL, NULL, "Smaller queues and buffers", 0 },
  { "stream-processing", 0, "memory-efficient", NULL, NULL, "Same as --memory-efficient", 0 },
  { "minimal-buffers", 0, NULL, NULL, NULL, "The smallest queues that still stream", 0 },
  { "reduce-buffers", 0, "minimal-buffers", NULL, NULL, "Same as --minimal-buffers", 0 },
  { "monitor-memory", 0, NULL, NULL, NULL, "Sample memory while running and record it in the metrics", 0 },
  { "trace-resources", 0, "monitor-memory", NULL, NULL, "Same as --monitor-memory (samples go to the metrics)", 0 },
  { "memory-alerts", 0, NULL, NULL, NULL, "Warn at 80 % and 90 % of the budget and shed load (implies --monitor-memory)", 0 },

  /* parallelism and CPU */
  { "parallel", 0, NULL, NULL, NULL, "Run independent stages at the same time (default)", 0 },
  { "no-parallel", 0, "parallel", "false", NULL, "One stage at a time, one worker", 0 },
  { "stage-parallelization", 0, "parallel", NULL, NULL, "Same as --parallel", 0 },
  { "max-workers", 0, NULL, NULL, "N", "Worker threads, 1 to 256 (default: from the strategy and the cores)", 0 },
  { "thread-pool-size", 0, NULL, NULL, "N", "FFmpeg decoder/encoder threads, 1 to 256", 0 },
  { "parallel-strategy", 0, NULL, NULL, "STRATEGY", "conservative (2 workers), balanced (3-4), aggressive (all cores) or adaptive (follows load and memory)", 0 },
  { "resource-scheduling", 0, "parallel-strategy", "adaptive", NULL, "Same as --parallel-strategy adaptive", 0 },
  { "resource-aware", 0, NULL, NULL, NULL, "Size work from free memory and the load average, not only from settings", 0 },
  { "load-balancing", 0, "resource-aware", NULL, NULL, "Same as --resource-aware", 0 },
  { "cpu-optimization", 0, NULL, NULL, NULL, "Use every core: --parallel --parallel-strategy aggressive, encoder threads from the cores", 0 },
  { "cpu-affinity", 0, NULL, NULL, NULL, "Pin worker threads to cores", 0 },
  { "process-priority", 0, NULL, NULL, "PRIORITY", "low (nice 10), normal (0) or high (nice -5; needs permission, else a notice)", 0 },
  { "pipeline-optimization", 0, NULL, NULL, NULL, "Same as --stage-parallelization --dependency-optimization --resource-scheduling", 0 },
  { "dependency-optimization", 0, "skip-optional-analysis", NULL, NULL, "Same as --skip-optional-analysis (run only what the outputs depend on)", 0 },

  /* adaptive quality and analysis */
  { "adaptive-quality", 0, NULL, NULL, NULL, "Lower analysis or encode settings when resources are short (each change is recorded)", 0 },
  { "quality-threshold", 0, NULL, NULL, "X", "Lowest relative quality adaptive quality may choose, 0 to 1 (default 0.85)", 0 },
  { "skip-optional-analysis", 0, NULL, NULL, NULL, "Skip analysis the plan does not need (beats unless music, highlights, extra thumbnail scoring)", 0 },
  { "resolution-optimization", 0, NULL, NULL, NULL, "Analyse at most 256 px wide, every second frame", 0 },
  { "audio-preprocessing", 0, NULL, NULL, NULL, "Silence threshold 5 dB lower (-45 dBFS) and pauses of at least 0.4 s: soft speech is kept", 0 },
  { "format-conversion", 0, NULL, NULL, NULL, "Re-encode everything to H.264/AAC, also in fast mode (no stream copy of the source)", R },
  { "preprocess-optimization", 0, NULL, NULL, NULL, "Same as --format-conversion --resolution-optimization --audio-preprocessing", 0 },

  /* content-specific */
  { "optimize-concepts", 0, NULL, NULL, NULL, "Keep explanations whole: cut only pauses of 1 s or more, merge pieces under 1 s", R },
  { "filler-word-optimization", 0, NULL, NULL, NULL, "More filler words (erm, mm, uhm, eh), always cut them, tighter padding (0.08 s)", 0 },
  { "beat-detection-optimization", 0, NULL, NULL, NULL, "Beats and tempo on, speech recognition off", 0 },
  { "audio-quality-priority", 0, NULL, NULL, NULL, "AAC at 320 kb/s and 20 ms audio crossfades at cuts", R },
  { "remove-retakes", 0, NULL, NULL, NULL, "Cut earlier takes of a sentence that is said again, keep the last (default for --type educational)", R },
  { "keep-retakes", 0, "remove-retakes", "false", NULL, "Keep every take of a repeated sentence", R },

  /* outputs */
  { "subtitles", 0, NULL, NULL, "FORMAT", "Subtitles timed to the edited video beside final.mp4: all (final.srt and final.vtt, default), srt, vtt or none", R },
  { "embed-subtitles", 0, NULL, NULL, NULL, "The same cues as a soft subtitle track (mov_text, language tagged) in final.mp4", R },
  { "burn-captions", 0, NULL, NULL, NULL, "Draw the captions into the pictures (fast mode then re-encodes every frame)", R },
  { "resolution", 0, NULL, NULL, "HEIGHT", "Render at most HEIGHT lines (e.g. 720p, 480, or source, the default), the source's shape kept; smaller sources keep their size (fast mode then re-encodes every frame)", R },
  { "export", 0, NULL, NULL, "FORMAT,...", "The edit for other editors beside final.mp4: mlt (Shotcut), kdenlive, fcpxml (Final Cut, Resolve), xmeml (Premiere), otio, edl, or none (docs/interchange.md)", R },
  { "export-paths", 0, NULL, NULL, "MODE", "How exports name the video: absolute (default) or relative to the export's folder", R },
  { "caption-style", 0, NULL, NULL, "KEY=VALUE,...", "Burned caption style: font, size, position (bottom|top|middle), margin, color, outline-color, outline-width, box-color, box-opacity, highlight (docs/captions.md)", R },

  /* GPU */
  { "enable-gpu", 0, NULL, NULL, NULL, "Analyse and compose with the Vulkan compute backend on a GPU when one is found (AVE_VULKAN_DEVICE picks a device by name)", 0 },
  { "cuda-optimization", 0, "enable-gpu", NULL, NULL, "Same as --enable-gpu (the engine uses Vulkan, not CUDA)", 0 },
  { "gpu-memory", 0, NULL, NULL, "GB", "GPU memory bound in GB, 0.1 to 1024 (implies --enable-gpu)", 0 },

  /* files and storage */
  { "temp-dir", 0, NULL, NULL, "DIR", "Folder for temporary files (created if needed)", 0 },
  { "cleanup-temp", 0, NULL, NULL, NULL, "Remove the run's temporary files (default)", 0 },
  { "keep-temp", 0, "cleanup-temp", "false", NULL, "Keep the run's temporary files", 0 },
  { "output-compression", 0, NULL, NULL, NULL, "Smaller files: CRF 4 steps higher, AAC at 128 kb/s", R },
  { "storage-optimization", 0, NULL, NULL, NULL, "Bound disk use: --cleanup-temp and a 1 GB cache unless --cache-size says otherwise", 0 },

  /* cache */
  { "cache", 0, NULL, NULL, NULL, "Use the content-addressed analysis cache for this run", 0 },
  { "cache-educational-patterns", 0, "cache", NULL, NULL, "Same as --cache (analysis results of a lecture are reused)", 0 },
  { "persistent-cache", 0, NULL, NULL, NULL, "Keep the cache across runs in $XDG_CACHE_HOME/ai-video-editor (implies --cache)", 0 },
  { "aggressive-caching", 0, NULL, NULL, NULL, "Also cache thumbnails and renders of the same plan (implies --cache)", 0 },
  { "visual-sync-caching", 0, "aggressive-caching", NULL, NULL, "Same as --aggressive-caching", 0 },
  { "cache-size", 0, NULL, NULL, "SIZE", "Cache bound, e.g. 4GB, 512MiB (a bare number is GB); least recently used entries go first", 0 },
  { "cache-strategy", 0, NULL, NULL, "STRATEGY", "lru (default), intelligent (cheap-to-recompute, large entries go first) or analysis_only", 0 },
  { "cache-dir", 0, NULL, NULL, "DIR", "Cache folder (default $XDG_CACHE_HOME/ai-video-editor)", 0 },

  /* monitoring */
  { "performance-monitoring", 0, NULL, NULL, NULL, "Record metrics as JSON lines (per stage and periodic samples)", 0 },
  { "profile-execution", 0, "performance-monitoring", NULL, NULL, "Same as --performance-monitoring", 0 },
  { "metrics-output", 0, NULL, NULL, "DIR", "Folder for the metrics files (implies --performance-monitoring)", 0 },
  { "real-time-stats", 0, NULL, NULL, NULL, "A live one-line status (CPU, memory, stage) on the terminal", 0 },
  { "verbose-timing", 0, NULL, NULL, NULL, "Print a per-stage timing table (wall, CPU, peak memory) after each input", 0 },
  { "debug-performance", 0, NULL, NULL, NULL, "Everything above: --performance-monitoring --monitor-memory --verbose-timing, and a notice of how the run was sized", 0 },

  /* remote API and costs (no-ops with the offline director: the ledger stays at 0) */
  { "batch-api-calls", 0, NULL, NULL, NULL, "Group remote director requests into batches", R },
  { "batch-requests", 0, "batch-api-calls", NULL, NULL, "Same as --batch-api-calls", R },
  { "cache-responses", 0, NULL, NULL, NULL, "Reuse cached responses of the remote director", R },
  { "optimize-requests", 0, NULL, NULL, NULL, "Shorter prompts, fewer remote calls", R },
  { "minimize-calls", 0, "optimize-requests", NULL, NULL, "Same as --optimize-requests", R },
  { "cost-aware", 0, NULL, NULL, NULL, "Prefer cheaper models and skip optional calls near the budget", R },
  { "cost-optimization", 0, NULL, NULL, NULL, "Same as --batch-api-calls --cache-responses --optimize-requests --cost-aware", R },
  { "track-costs", 0, NULL, NULL, NULL, "Record every remote call's cost in the ledger and the metrics", R },
  { "cost-alerts", 0, NULL, NULL, NULL, "Warn at 50, 80 and 100 % of the budget (implies --track-costs)", R },
  { "budget-limit", 0, NULL, NULL, "USD", "Refuse remote calls that would pass this many US dollars, 0 to 100000 (implies --track-costs)", R },

  /* remote providers (docs/ai.md) */
  { "director", 0, NULL, NULL, "DIRECTOR", "local (embedded rules, default: no network, $0) or llm (a language model plans the cut; the local rules are its fallback)", R },
  { "llm-provider", 0, NULL, NULL, "PROVIDER", "openai (any OpenAI-compatible chat API: OpenAI, Ollama, llama.cpp, vLLM…; default) or gemini", R },
  { "llm-url", 0, NULL, NULL, "URL", "Base URL of the chat API, e.g. http://127.0.0.1:11434/v1 (default: the provider's public API)", R },
  { "llm-model", 0, NULL, NULL, "NAME", "Model of the LLM director (default gpt-4o-mini, or gemini-1.5-flash)", R },
  { "llm-cheap-model", 0, NULL, NULL, "NAME", "A cheaper model --cost-aware switches to near the budget", R },
  { "llm-max-tokens", 0, NULL, NULL, "N", "Most tokens an answer may use, 256 to 65536 (default 4096; bounds a call's worst-case cost)", R },
  { "target-duration", 0, NULL, NULL, "SECONDS", "Ask the director for a shorter cut of about this length (a highlight version)", R },
  { "api-retries", 0, NULL, NULL, "N", "Retries of a request that met 429, 5xx, a timeout or a dropped connection, 0 to 10 (default 3)", R },
  { "api-timeout", 0, NULL, NULL, "SECONDS", "Seconds a request may make no progress before it is abandoned, 1 to 600 (default 60)", R },
  { "api-batch-size", 0, NULL, NULL, "N", "With --batch-api-calls, chunks of 40 sentences sent together in one request, 1 to 100 (default 5)", R },
  { "response-cache-lifetime", 0, NULL, NULL, "SECONDS", "How long --cache-responses keeps an answer (default 3600)", R },
  { "asr", 0, NULL, NULL, "ASR", "local (PocketSphinx, default: offline) or remote (the OpenAI-compatible transcription API: OpenAI, whisper.cpp's server…; PocketSphinx is the fallback)", 0 },
  { "asr-url", 0, NULL, NULL, "URL", "Base URL of the transcription API, e.g. http://127.0.0.1:8080/v1 (default: OpenAI's)", 0 },
  { "asr-model", 0, NULL, NULL, "NAME", "Model of the remote speech recognition (default whisper-1)", 0 },
  { "asr-upload-format", 0, NULL, NULL, "FORMAT", "flac (default: lossless, about half the bytes) or wav (for servers that take only WAV, e.g. whisper.cpp's without --convert)", 0 },
  { "thumbnail-art", 0, NULL, NULL, "ART", "none (frames of the video, default) or remote (an OpenAI-compatible image API draws the thumbnails' background from the title; the frames are the fallback)", R },
  { "image-url", 0, NULL, NULL, "URL", "Base URL of the image API, e.g. http://127.0.0.1:7860/v1 (default: OpenAI's)", R },
  { "image-model", 0, NULL, NULL, "NAME", "Model of the thumbnail art (default dall-e-3)", R },
  { "image-batch-generation", 0, NULL, NULL, NULL, "Ask for every thumbnail's background in one request (n = the number of thumbnails) instead of one request each", R },
  { "image-template-reuse", 0, NULL, NULL, NULL, "One generated background for every thumbnail; only the text differs", R },
  { "image-cache-similar", 0, NULL, NULL, NULL, "With --cache-responses, titles that differ only in case, punctuation or word order share a cached background", R },
  { "api-price", 0, NULL, NULL, "MODEL:KEY=VALUE,...", "Price of a model in USD: input_per_mtok, output_per_mtok, audio_per_minute, per_image (adds to or overrides data/prices.json)", R },
};

#undef R

const AveOption *
ave_config_get_options (guint *n_options)
{
  *n_options = G_N_ELEMENTS (options);
  return options;
}

const AveOption *
ave_config_find_option (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (g_strcmp0 (options[i].name, name) == 0)
      return &options[i];
  return NULL;
}

int
ave_config_option_rank (const char *name)
{
  static const char * const groups[] = { "type", "quality", "mode", NULL };
  static const char * const bundles[] = {
    "performance-target", "optimize-speed", "cpu-optimization", "pipeline-optimization",
    "preprocess-optimization", "optimize-concepts", "filler-word-optimization",
    "beat-detection-optimization", "audio-quality-priority", "resolution-optimization",
    "audio-preprocessing", "output-compression", "storage-optimization", "cost-optimization",
    "debug-performance", NULL
  };

  if (g_strcmp0 (name, "preset") == 0)
    return 0;
  if (g_strv_contains (groups, name))
    return 1;
  if (g_strv_contains (bundles, name))
    return 2;
  return 3;
}

static gboolean
parse_bool (const char *value, gboolean *out)
{
  static const char * const yes[] = { "true", "yes", "on", "1", NULL };
  static const char * const no[] = { "false", "no", "off", "0", NULL };

  if (value == NULL)
    {
      *out = TRUE;
      return TRUE;
    }
  if (g_strv_contains (yes, value))
    *out = TRUE;
  else if (g_strv_contains (no, value))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_double (const char *value, double min, double max, double *out)
{
  char *end = NULL;
  double v;

  if (value == NULL || *value == '\0')
    return FALSE;
  errno = 0;
  v = g_ascii_strtod (value, &end);
  while (end != NULL && g_ascii_isspace (*end))
    end++;
  if (errno != 0 || end == NULL || *end != '\0' || !isfinite (v) || v < min || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
parse_uint (const char *value, guint min, guint max, guint *out)
{
  guint64 v;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, min, max, &v, NULL))
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
ave_config_parse_size (const char *text, guint64 *bytes)
{
  static const struct { const char *unit; double factor; } units[] = {
    { "", 1e9 }, { "b", 1 },
    { "kb", 1e3 }, { "mb", 1e6 }, { "gb", 1e9 }, { "tb", 1e12 },
    { "k", 1e3 }, { "m", 1e6 }, { "g", 1e9 }, { "t", 1e12 },
    { "kib", 1024.0 }, { "mib", 1048576.0 }, { "gib", 1073741824.0 }, { "tib", 1099511627776.0 },
  };
  g_autofree char *lower = NULL;
  char *end = NULL;
  double v;

  if (text == NULL)
    return FALSE;
  lower = g_ascii_strdown (text, -1);
  g_strstrip (lower);
  if (*lower == '\0' || *lower == '-' || *lower == '+')
    return FALSE;
  errno = 0;
  v = g_ascii_strtod (lower, &end);
  if (errno != 0 || end == lower || !isfinite (v) || v < 0)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_str_equal (end, units[i].unit))
      {
        double b = v * units[i].factor;
        if (b < 1 || b > 1e18)
          return FALSE;
        *bytes = (guint64) (b + 0.5);
        return TRUE;
      }
  return FALSE;
}

static void
set_string (char **field, const char *value)
{
  char *copy = g_strdup (value);
  g_free (*field);
  *field = copy;
}

static gboolean
invalid (GError **error, const char *value, const char *allowed)
{
  g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
               "'%s' is not %s", value != NULL ? value : "", allowed);
  return FALSE;
}

#define ONE_OF(list) "one of " list

/* Applies a canonical (non-alias) option.  `primary` receives the field the
 * option names, recorded even when its value does not change. */
static gboolean
apply_canonical (AveSettings  *s,
                 const char   *name,
                 const char   *value,
                 const char  **primary,
                 GPtrArray    *notices,
                 GError      **error)
{
  gboolean on = TRUE;
  const AveOption *option = ave_config_find_option (name);

  g_return_val_if_fail (option != NULL, FALSE);
  if (option->value_name == NULL && !parse_bool (value, &on))
    return invalid (error, value, ONE_OF ("true|false"));
  if (option->value_name != NULL && value == NULL)
    return invalid (error, value, "a value");

#define SWITCH(opt, field) \
  if (g_str_equal (name, opt)) { s->field = on; *primary = #field; return TRUE; }

  if (g_str_equal (name, "type"))
    {
      AveContentType t;
      if (!ave_content_type_from_string (value, &t))
        return invalid (error, value, ONE_OF ("general|educational|music"));
      ave_settings_apply_content_type (s, t);
      *primary = "content_type";
      return TRUE;
    }
  if (g_str_equal (name, "quality"))
    {
      AveQuality q;
      if (!ave_quality_from_string (value, &q))
        return invalid (error, value, ONE_OF ("fast|medium|high|ultra"));
      ave_settings_apply_quality (s, q);
      *primary = "quality";
      return TRUE;
    }
  if (g_str_equal (name, "mode"))
    {
      AveMode m;
      if (!ave_mode_from_string (value, &m))
        return invalid (error, value, ONE_OF ("fast|balanced|high_quality"));
      ave_settings_apply_mode (s, m);
      *primary = "mode";
      return TRUE;
    }
  if (g_str_equal (name, "performance-target"))
    {
      if (!ave_settings_apply_performance_target (s, value))
        return invalid (error, value, ONE_OF ("speed|balanced|quality"));
      *primary = "performance_target";
      return TRUE;
    }
  if (g_str_equal (name, "max-memory") || g_str_equal (name, "gpu-memory"))
    {
      double gb;
      if (!parse_double (value, 0.1, 1024, &gb))
        return invalid (error, value, "a number from 0.1 to 1024 (GB)");
      if (g_str_equal (name, "max-memory"))
        {
          s->max_memory_bytes = (guint64) (gb * 1073741824.0);
          *primary = "max_memory_bytes";
        }
      else
        {
          s->gpu_memory_bytes = (guint64) (gb * 1073741824.0);
          s->enable_gpu = TRUE;
          *primary = "gpu_memory_bytes";
        }
      return TRUE;
    }
  SWITCH ("memory-efficient", memory_efficient);
  SWITCH ("minimal-buffers", minimal_buffers);
  SWITCH ("monitor-memory", monitor_memory);
  if (g_str_equal (name, "memory-alerts"))
    {
      s->memory_alerts = on;
      if (on)
        s->monitor_memory = TRUE;
      *primary = "memory_alerts";
      return TRUE;
    }
  SWITCH ("parallel", parallel);
  if (g_str_equal (name, "max-workers") || g_str_equal (name, "thread-pool-size"))
    {
      guint n;
      if (!parse_uint (value, 1, 256, &n))
        return invalid (error, value, "a whole number from 1 to 256");
      if (g_str_equal (name, "max-workers"))
        {
          s->max_workers = n;
          *primary = "max_workers";
        }
      else
        {
          s->thread_pool_size = n;
          *primary = "thread_pool_size";
        }
      return TRUE;
    }
  if (g_str_equal (name, "parallel-strategy"))
    {
      if (!ave_parallel_strategy_from_string (value, &s->parallel_strategy))
        return invalid (error, value, ONE_OF ("conservative|balanced|aggressive|adaptive"));
      *primary = "parallel_strategy";
      return TRUE;
    }
  SWITCH ("resource-aware", resource_aware);
  if (g_str_equal (name, "cpu-optimization"))
    {
      if (on)
        {
          s->parallel = TRUE;
          s->parallel_strategy = AVE_PARALLEL_AGGRESSIVE;
          s->n_workers = MAX (1, g_get_num_processors ());
          s->encoder_threads = 0;
        }
      *primary = "parallel_strategy";
      return TRUE;
    }
  SWITCH ("cpu-affinity", cpu_affinity);
  if (g_str_equal (name, "process-priority"))
    {
      if (g_str_equal (value, "low"))
        s->process_priority = 10;
      else if (g_str_equal (value, "normal"))
        s->process_priority = 0;
      else if (g_str_equal (value, "high"))
        s->process_priority = -5;
      else
        return invalid (error, value, ONE_OF ("low|normal|high"));
      *primary = "process_priority";
      return TRUE;
    }
  if (g_str_equal (name, "pipeline-optimization"))
    {
      if (on)
        {
          s->parallel = TRUE;
          s->skip_optional_analysis = TRUE;
          s->parallel_strategy = AVE_PARALLEL_ADAPTIVE;
        }
      *primary = "parallel";
      return TRUE;
    }
  SWITCH ("adaptive-quality", adaptive_quality);
  if (g_str_equal (name, "quality-threshold"))
    {
      if (!parse_double (value, 0, 1, &s->quality_threshold))
        return invalid (error, value, "a number from 0 to 1");
      *primary = "quality_threshold";
      return TRUE;
    }
  SWITCH ("skip-optional-analysis", skip_optional_analysis);
  SWITCH ("remove-retakes", remove_retakes);
  SWITCH ("embed-subtitles", embed_subtitles);
  SWITCH ("burn-captions", burn_captions);
  if (g_str_equal (name, "resolution"))
    {
      g_autofree char *number = g_strdup (value != NULL ? value : "");
      guint lines = 0;

      if (number[0] != '\0' && (number[strlen (number) - 1] == 'p' || number[strlen (number) - 1] == 'P'))
        number[strlen (number) - 1] = '\0';
      if (g_strcmp0 (value, "source") != 0 && !parse_uint (number, 16, 8640, &lines))
        return invalid (error, value, "a height from 16 to 8640 lines (e.g. 720p) or source");
      /* 4:2:0 pictures need even sizes */
      s->output_height = lines & ~1u;
      *primary = "output_height";
      return TRUE;
    }
  if (g_str_equal (name, "caption-style"))
    {
      g_auto(GStrv) pairs = g_strsplit (value, ",", -1);

      if (pairs[0] == NULL)
        return invalid (error, value, "KEY=VALUE[,KEY=VALUE...] (docs/captions.md)");
      for (guint i = 0; pairs[i] != NULL; i++)
        {
          char *eq = strchr (g_strstrip (pairs[i]), '=');
          g_autofree char *message = NULL;

          if (eq == NULL)
            {
              g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                           "'%s' is not KEY=VALUE (docs/captions.md lists the keys)", pairs[i]);
              return FALSE;
            }
          *eq = '\0';
          if (!ave_settings_set_caption_style_key (s, g_strstrip (pairs[i]), g_strstrip (eq + 1),
                                                   primary, &message))
            {
              g_set_error_literal (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE, message);
              return FALSE;
            }
        }
      return TRUE;
    }
  if (g_str_equal (name, "export"))
    {
      guint mask;
      if (!ave_export_formats_parse (value, &mask, NULL))
        return invalid (error, value, "a list of mlt, kdenlive, fcpxml, xmeml, otio, edl (or none)");
      set_string (&s->export_formats, mask != 0 ? value : NULL);
      *primary = "export_formats";
      return TRUE;
    }
  if (g_str_equal (name, "export-paths"))
    {
      if (!g_str_equal (value, "absolute") && !g_str_equal (value, "relative"))
        return invalid (error, value, ONE_OF ("absolute|relative"));
      set_string (&s->export_paths, value);
      *primary = "export_paths";
      return TRUE;
    }
  if (g_str_equal (name, "subtitles"))
    {
      if (!ave_subtitles_from_string (value, &s->subtitles))
        return invalid (error, value, ONE_OF ("none|srt|vtt|all"));
      *primary = "subtitles";
      return TRUE;
    }

#define ADJUST(opt, func, field) \
  if (g_str_equal (name, opt)) { if (on) func (s); *primary = #field; return TRUE; }

  ADJUST ("resolution-optimization", ave_settings_apply_resolution_optimization, analysis_width);
  ADJUST ("audio-preprocessing", ave_settings_apply_audio_preprocessing, silence_threshold_db);
  ADJUST ("optimize-concepts", ave_settings_apply_concept_optimization, min_segment_duration);
  ADJUST ("filler-word-optimization", ave_settings_apply_filler_word_optimization, filler_words);
  ADJUST ("beat-detection-optimization", ave_settings_apply_beat_detection_optimization, detect_beats);
  ADJUST ("audio-quality-priority", ave_settings_apply_audio_quality_priority, audio_bitrate);
  ADJUST ("output-compression", ave_settings_apply_output_compression, crf);
  if (g_str_equal (name, "format-conversion"))
    {
      s->smart_cut = !on;
      *primary = "smart_cut";
      return TRUE;
    }
  if (g_str_equal (name, "preprocess-optimization"))
    {
      if (on)
        {
          s->smart_cut = FALSE;
          ave_settings_apply_resolution_optimization (s);
          ave_settings_apply_audio_preprocessing (s);
        }
      *primary = "smart_cut";
      return TRUE;
    }
  if (g_str_equal (name, "enable-gpu"))
    {
      s->enable_gpu = on;
      *primary = "enable_gpu";
      return TRUE;
    }
  if (g_str_equal (name, "temp-dir") || g_str_equal (name, "metrics-output") || g_str_equal (name, "cache-dir"))
    {
      if (*value == '\0')
        return invalid (error, value, "a folder name");
      if (g_file_test (value, G_FILE_TEST_EXISTS) && !g_file_test (value, G_FILE_TEST_IS_DIR))
        return invalid (error, value, "a folder (it is a file)");
      if (g_str_equal (name, "temp-dir"))
        {
          set_string (&s->temp_dir, value);
          *primary = "temp_dir";
        }
      else if (g_str_equal (name, "metrics-output"))
        {
          set_string (&s->metrics_output, value);
          s->performance_monitoring = TRUE;
          *primary = "metrics_output";
        }
      else
        {
          set_string (&s->cache_dir, value);
          s->cache_enabled = TRUE;
          *primary = "cache_dir";
        }
      return TRUE;
    }
  SWITCH ("cleanup-temp", cleanup_temp);
  if (g_str_equal (name, "storage-optimization"))
    {
      if (on)
        {
          s->cleanup_temp = TRUE;
          if (s->cache_size_bytes == 0)
            s->cache_size_bytes = 1000000000;
        }
      *primary = "cleanup_temp";
      return TRUE;
    }
  SWITCH ("cache", cache_enabled);
  if (g_str_equal (name, "persistent-cache") || g_str_equal (name, "aggressive-caching"))
    {
      if (g_str_equal (name, "persistent-cache"))
        {
          s->persistent_cache = on;
          *primary = "persistent_cache";
        }
      else
        {
          s->aggressive_caching = on;
          *primary = "aggressive_caching";
        }
      if (on)
        s->cache_enabled = TRUE;
      return TRUE;
    }
  if (g_str_equal (name, "cache-size"))
    {
      if (!ave_config_parse_size (value, &s->cache_size_bytes))
        return invalid (error, value, "a size such as 4GB, 512MB or 2GiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
      s->cache_enabled = TRUE;
      *primary = "cache_size_bytes";
      return TRUE;
    }
  if (g_str_equal (name, "cache-strategy"))
    {
      if (!ave_cache_strategy_from_string (value, &s->cache_strategy))
        return invalid (error, value, ONE_OF ("lru|intelligent|analysis_only"));
      s->cache_enabled = TRUE;
      *primary = "cache_strategy";
      return TRUE;
    }
  SWITCH ("performance-monitoring", performance_monitoring);
  SWITCH ("real-time-stats", real_time_stats);
  SWITCH ("verbose-timing", verbose_timing);
  if (g_str_equal (name, "debug-performance"))
    {
      s->debug_performance = on;
      if (on)
        {
          s->performance_monitoring = TRUE;
          s->monitor_memory = TRUE;
          s->verbose_timing = TRUE;
        }
      *primary = "debug_performance";
      return TRUE;
    }
  SWITCH ("batch-api-calls", batch_api_calls);
  SWITCH ("cache-responses", cache_responses);
  SWITCH ("optimize-requests", optimize_requests);
  SWITCH ("cost-aware", cost_aware);
  if (g_str_equal (name, "cost-optimization"))
    {
      if (on)
        s->batch_api_calls = s->cache_responses = s->optimize_requests = s->cost_aware = TRUE;
      *primary = "cost_aware";
      return TRUE;
    }
  SWITCH ("track-costs", track_costs);
  if (g_str_equal (name, "cost-alerts"))
    {
      s->cost_alerts = on;
      if (on)
        s->track_costs = TRUE;
      *primary = "cost_alerts";
      return TRUE;
    }
  if (g_str_equal (name, "director"))
    {
      if (!g_str_equal (value, "local") && !g_str_equal (value, "llm"))
        return invalid (error, value, ONE_OF ("local|llm"));
      set_string (&s->director, value);
      *primary = "director";
      return TRUE;
    }
  if (g_str_equal (name, "llm-provider"))
    {
      if (!g_str_equal (value, "openai") && !g_str_equal (value, "gemini"))
        return invalid (error, value, ONE_OF ("openai|gemini"));
      set_string (&s->llm_provider, value);
      *primary = "llm_provider";
      return TRUE;
    }
  if (g_str_equal (name, "asr"))
    {
      if (!g_str_equal (value, "local") && !g_str_equal (value, "remote"))
        return invalid (error, value, ONE_OF ("local|remote"));
      set_string (&s->asr, value);
      *primary = "asr";
      return TRUE;
    }
  if (g_str_equal (name, "asr-model"))
    {
      if (*value == '\0' || strlen (value) > 200)
        return invalid (error, value, "a model name");
      set_string (&s->asr_model, value);
      *primary = "asr_model";
      return TRUE;
    }
  SWITCH ("image-batch-generation", image_batch_generation);
  SWITCH ("image-template-reuse", image_template_reuse);
  SWITCH ("image-cache-similar", image_cache_similar);
  if (g_str_equal (name, "thumbnail-art"))
    {
      if (!g_str_equal (value, "none") && !g_str_equal (value, "remote"))
        return invalid (error, value, ONE_OF ("none|remote"));
      set_string (&s->thumbnail_art, value);
      *primary = "thumbnail_art";
      return TRUE;
    }
  if (g_str_equal (name, "image-model"))
    {
      if (*value == '\0' || strlen (value) > 200)
        return invalid (error, value, "a model name");
      set_string (&s->image_model, value);
      *primary = "image_model";
      return TRUE;
    }
  if (g_str_equal (name, "asr-upload-format"))
    {
      if (!g_str_equal (value, "flac") && !g_str_equal (value, "wav"))
        return invalid (error, value, ONE_OF ("flac|wav"));
      set_string (&s->asr_upload_format, value);
      *primary = "asr_upload_format";
      return TRUE;
    }
  if (g_str_equal (name, "llm-url") || g_str_equal (name, "asr-url") || g_str_equal (name, "image-url"))
    {
      g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);

      if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
        return invalid (error, value, "an http:// or https:// URL");
      /* Keys go in a header, never in a URL (docs/ai.md). */
      if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL)
        return invalid (error, "(hidden: it may hold a key)",
                        "a URL without user info or query: give keys through AVE_LLM_API_KEY, AVE_ASR_API_KEY, AVE_IMAGE_API_KEY or the keyring");
      if (g_str_equal (name, "llm-url"))
        {
          set_string (&s->llm_url, value);
          *primary = "llm_url";
        }
      else if (g_str_equal (name, "asr-url"))
        {
          set_string (&s->asr_url, value);
          *primary = "asr_url";
        }
      else
        {
          set_string (&s->image_url, value);
          *primary = "image_url";
        }
      return TRUE;
    }
  if (g_str_equal (name, "llm-model") || g_str_equal (name, "llm-cheap-model"))
    {
      if (*value == '\0' || strlen (value) > 200)
        return invalid (error, value, "a model name");
      if (g_str_equal (name, "llm-model"))
        {
          set_string (&s->llm_model, value);
          *primary = "llm_model";
        }
      else
        {
          set_string (&s->llm_cheap_model, value);
          *primary = "llm_cheap_model";
        }
      return TRUE;
    }
  if (g_str_equal (name, "llm-max-tokens"))
    {
      if (!parse_uint (value, 256, 65536, &s->llm_max_tokens))
        return invalid (error, value, "a whole number from 256 to 65536");
      *primary = "llm_max_tokens";
      return TRUE;
    }
  if (g_str_equal (name, "target-duration"))
    {
      if (!parse_double (value, 0, 1000000, &s->target_duration))
        return invalid (error, value, "a number of seconds (0: no target)");
      *primary = "target_duration";
      return TRUE;
    }
  if (g_str_equal (name, "api-retries"))
    {
      if (!parse_uint (value, 0, 10, &s->api_max_retries))
        return invalid (error, value, "a whole number from 0 to 10");
      *primary = "api_max_retries";
      return TRUE;
    }
  if (g_str_equal (name, "api-timeout"))
    {
      if (!parse_double (value, 1, 600, &s->api_timeout))
        return invalid (error, value, "a number of seconds from 1 to 600");
      *primary = "api_timeout";
      return TRUE;
    }
  if (g_str_equal (name, "api-batch-size"))
    {
      if (!parse_uint (value, 1, 100, &s->api_batch_size))
        return invalid (error, value, "a whole number from 1 to 100");
      *primary = "api_batch_size";
      return TRUE;
    }
  if (g_str_equal (name, "response-cache-lifetime"))
    {
      if (!parse_uint (value, 0, 31536000, &s->response_cache_seconds))
        return invalid (error, value, "a whole number of seconds from 0 to 31536000");
      *primary = "response_cache_seconds";
      return TRUE;
    }
  if (g_str_equal (name, "api-price"))
    {
      const char *colon = strrchr (value, ':');
      g_auto(GStrv) pairs = NULL;
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_autofree char *model = NULL;

      if (colon == NULL || colon == value)
        return invalid (error, value, "MODEL:KEY=VALUE[,KEY=VALUE...]");
      model = g_strndup (value, colon - value);
      pairs = g_strsplit (colon + 1, ",", -1);
      if (s->api_prices != NULL)
        g_strv_builder_addv (builder, (const char **) s->api_prices);
      for (guint i = 0; pairs[i] != NULL; i++)
        {
          char *eq = strchr (g_strstrip (pairs[i]), '=');
          double price;

          if (eq == NULL)
            return invalid (error, pairs[i], "KEY=VALUE with KEY input_per_mtok, output_per_mtok, audio_per_minute or per_image");
          *eq = '\0';
          if (!g_str_equal (pairs[i], "input_per_mtok") && !g_str_equal (pairs[i], "output_per_mtok")
              && !g_str_equal (pairs[i], "audio_per_minute") && !g_str_equal (pairs[i], "per_image"))
            return invalid (error, pairs[i], ONE_OF ("input_per_mtok|output_per_mtok|audio_per_minute|per_image"));
          if (!parse_double (eq + 1, 0, 100000, &price))
            return invalid (error, eq + 1, "a price in US dollars from 0 to 100000");
          {
            g_autofree char *entry = g_strdup_printf ("%s:%s=%.17g", model, pairs[i], price);
            g_strv_builder_add (builder, entry);
          }
        }
      g_strfreev (s->api_prices);
      s->api_prices = g_strv_builder_end (builder);
      *primary = "api_prices";
      return TRUE;
    }
  if (g_str_equal (name, "budget-limit"))
    {
      const char *v = value[0] == '$' ? value + 1 : value;
      if (!parse_double (v, 0, 100000, &s->budget_limit_usd))
        return invalid (error, value, "an amount of US dollars from 0 to 100000, such as 5.00");
      s->track_costs = TRUE;
      *primary = "budget_limit_usd";
      return TRUE;
    }
#undef SWITCH
#undef ADJUST

  /* Unreachable from files: `name` was found in the option table, and
   * every option in it has a handler above: only a new option without one
   * gets here, a programming error. */
  g_return_val_if_reached (FALSE);
}

gboolean
ave_config_apply_option (AveSettings        *settings,
                         AveSettingsSources *sources,
                         const char         *name,
                         const char         *value,
                         AveSettingSource    source,
                         const char         *origin,
                         GPtrArray          *notices,
                         GError            **error)
{
  const AveOption *option = ave_config_find_option (name);
  g_autoptr(AveSettings) before = NULL;
  const char *primary = NULL;

  if (option == NULL)
    {
      g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                   "unknown option '%s'", name);
      return FALSE;
    }
  if (option->alias_of != NULL)
    {
      const AveOption *canonical = ave_config_find_option (option->alias_of);

      if (option->alias_value != NULL)
        {
          gboolean on;
          /* A fixed-value alias given "false" in a config file asks for nothing. */
          if (!parse_bool (value, &on))
            return invalid (error, value, ONE_OF ("true|false"));
          if (!on)
            return TRUE;
          value = option->alias_value;
        }
      if (g_str_equal (name, "cuda-optimization") && notices != NULL)
        g_ptr_array_add (notices, g_strdup ("--cuda-optimization: this engine accelerates with Vulkan compute, not CUDA; "
                                            "it is the same as --enable-gpu"));
      option = canonical;
      name = canonical->name;
    }

  if (g_str_equal (name, "preset"))
    {
      if (!ave_settings_apply_preset_with_sources (settings, sources, value, error))
        return FALSE;
      ave_settings_sources_set (sources, "preset", source, origin);
      return TRUE;
    }

  before = ave_settings_copy (settings);
  if (!apply_canonical (settings, name, value, &primary, notices, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (!field_equal (before, settings, i) || g_strcmp0 (primary, fields[i].name) == 0)
      ave_settings_sources_set (sources, fields[i].name, source, origin);
  return TRUE;
}

/* --------------------------------------------------------------- YAML */

/* How each key of a config file maps to an option.  `values` maps the
 * file's words to option values where they differ ("yaml=option-value",
 * or "yaml=option:value" to set another option); NULL passes the value
 * through.  `unit` is appended to numbers (cache_size_gb: 2 → "2GB"). */
typedef struct
{
  const char *section;
  const char *key;
  const char *option;
  const char *allowed;            /* for messages when `values` is set */
  const char *values[6];
  const char *unit;
} ConfigKey;

static const ConfigKey config_keys[] = {
  /* the guide's performance_config.yaml */
  { "performance", "processing_mode", "mode", NULL, { NULL }, NULL },
  { "performance", "resource_management", "parallel-strategy", NULL, { NULL }, NULL },
  { "performance", "optimization_target", "performance-target", "speed|balanced|quality|speed_quality_balance",
    { "speed=speed", "balanced=balanced", "quality=quality", "speed_quality_balance=balanced", NULL }, NULL },
  { "memory", "max_usage_gb", "max-memory", NULL, { NULL }, NULL },
  { "memory", "buffer_management", NULL, "standard|efficient|minimal",
    { "standard=memory-efficient:false", "efficient=memory-efficient:true", "minimal=minimal-buffers:true", NULL }, NULL },
  { "memory", "garbage_collection", NULL, "normal|aggressive",
    { "normal=minimal-buffers:false", "aggressive=minimal-buffers:true", NULL }, NULL },
  { "memory", "cache_size_gb", "cache-size", NULL, { NULL }, "GB" },
  { "processing", "parallel_processing", "parallel", NULL, { NULL }, NULL },
  { "processing", "max_concurrent_operations", "max-workers", NULL, { NULL }, NULL },
  { "processing", "batch_size", NULL, "optimal|fixed",
    { "optimal=resource-aware:true", "fixed=resource-aware:false", NULL }, NULL },
  { "processing", "queue_management", NULL, "smart|fixed",
    { "smart=monitor-memory:true", "fixed=monitor-memory:false", NULL }, NULL },
  { "api", "batch_requests", "batch-api-calls", NULL, { NULL }, NULL },
  { "api", "request_optimization", "optimize-requests", NULL, { NULL }, NULL },
  { "api", "cache_responses", "cache-responses", NULL, { NULL }, NULL },
  { "api", "rate_limiting", NULL, "adaptive|none",
    { "adaptive=cost-aware:true", "none=cost-aware:false", NULL }, NULL },
  { "quality", "adaptive_quality", "adaptive-quality", NULL, { NULL }, NULL },
  { "quality", "quality_threshold", "quality-threshold", NULL, { NULL }, NULL },
  { "quality", "speed_priority", "performance-target", "low|balanced|high",
    { "low=quality", "balanced=balanced", "high=speed", NULL }, NULL },

  /* the rest of the settings, named like their flags */
  { "performance", "preset", "preset", NULL, { NULL }, NULL },
  { "performance", "content_type", "type", NULL, { NULL }, NULL },
  { "performance", "process_priority", "process-priority", NULL, { NULL }, NULL },
  { "performance", "skip_optional_analysis", "skip-optional-analysis", NULL, { NULL }, NULL },
  { "performance", "resource_aware", "resource-aware", NULL, { NULL }, NULL },
  { "memory", "memory_efficient", "memory-efficient", NULL, { NULL }, NULL },
  { "memory", "minimal_buffers", "minimal-buffers", NULL, { NULL }, NULL },
  { "memory", "monitor_memory", "monitor-memory", NULL, { NULL }, NULL },
  { "memory", "memory_alerts", "memory-alerts", NULL, { NULL }, NULL },
  { "processing", "parallel_strategy", "parallel-strategy", NULL, { NULL }, NULL },
  { "processing", "thread_pool_size", "thread-pool-size", NULL, { NULL }, NULL },
  { "processing", "cpu_affinity", "cpu-affinity", NULL, { NULL }, NULL },
  { "api", "cost_aware", "cost-aware", NULL, { NULL }, NULL },
  { "api", "track_costs", "track-costs", NULL, { NULL }, NULL },
  { "api", "cost_alerts", "cost-alerts", NULL, { NULL }, NULL },
  { "api", "budget_limit_usd", "budget-limit", NULL, { NULL }, NULL },
  { "api", "director", "director", NULL, { NULL }, NULL },
  { "api", "llm_provider", "llm-provider", NULL, { NULL }, NULL },
  { "api", "llm_url", "llm-url", NULL, { NULL }, NULL },
  { "api", "llm_model", "llm-model", NULL, { NULL }, NULL },
  { "api", "llm_cheap_model", "llm-cheap-model", NULL, { NULL }, NULL },
  { "api", "llm_max_tokens", "llm-max-tokens", NULL, { NULL }, NULL },
  { "api", "target_duration", "target-duration", NULL, { NULL }, NULL },
  { "api", "max_retries", "api-retries", NULL, { NULL }, NULL },
  { "api", "asr", "asr", NULL, { NULL }, NULL },
  { "api", "asr_url", "asr-url", NULL, { NULL }, NULL },
  { "api", "asr_model", "asr-model", NULL, { NULL }, NULL },
  { "api", "asr_upload_format", "asr-upload-format", NULL, { NULL }, NULL },
  { "api", "thumbnail_art", "thumbnail-art", NULL, { NULL }, NULL },
  { "api", "image_url", "image-url", NULL, { NULL }, NULL },
  { "api", "image_model", "image-model", NULL, { NULL }, NULL },
  { "api", "timeout", "api-timeout", NULL, { NULL }, NULL },
  /* api: prices: MODEL: {input_per_mtok: …}: one api-price per key */
  { "api", "prices", "api-price", NULL, { NULL }, NULL },
  /* the guide's api_optimization: section, one level deeper */
  { "api_optimization", "gemini.batch_size", "api-batch-size", NULL, { NULL }, NULL },
  { "api_optimization", "gemini.request_grouping", "batch-api-calls", NULL, { NULL }, NULL },
  { "api_optimization", "gemini.response_caching", "response-cache-lifetime", NULL, { NULL }, NULL },
  { "api_optimization", "imagen.batch_generation", "image-batch-generation", NULL, { NULL }, NULL },
  { "api_optimization", "imagen.template_reuse", "image-template-reuse", NULL, { NULL }, NULL },
  { "api_optimization", "imagen.cache_similar", "image-cache-similar", NULL, { NULL }, NULL },
  { "quality", "level", "quality", NULL, { NULL }, NULL },
  { "quality", "performance_target", "performance-target", NULL, { NULL }, NULL },
  { "quality", "output_compression", "output-compression", NULL, { NULL }, NULL },
  { "cache", "enabled", "cache", NULL, { NULL }, NULL },
  { "cache", "persistent", "persistent-cache", NULL, { NULL }, NULL },
  { "cache", "aggressive_caching", "aggressive-caching", NULL, { NULL }, NULL },
  { "cache", "size", "cache-size", NULL, { NULL }, NULL },
  { "cache", "strategy", "cache-strategy", NULL, { NULL }, NULL },
  { "cache", "dir", "cache-dir", NULL, { NULL }, NULL },
  { "monitoring", "performance_monitoring", "performance-monitoring", NULL, { NULL }, NULL },
  { "monitoring", "metrics_output", "metrics-output", NULL, { NULL }, NULL },
  { "monitoring", "real_time_stats", "real-time-stats", NULL, { NULL }, NULL },
  { "monitoring", "verbose_timing", "verbose-timing", NULL, { NULL }, NULL },
  { "monitoring", "debug_performance", "debug-performance", NULL, { NULL }, NULL },
  { "storage", "temp_dir", "temp-dir", NULL, { NULL }, NULL },
  { "storage", "cleanup_temp", "cleanup-temp", NULL, { NULL }, NULL },
  { "gpu", "enabled", "enable-gpu", NULL, { NULL }, NULL },
  { "gpu", "memory_gb", "gpu-memory", NULL, { NULL }, NULL },
  { "editing", "remove_retakes", "remove-retakes", NULL, { NULL }, NULL },
  { "output", "subtitles", "subtitles", NULL, { NULL }, NULL },
  { "output", "embed_subtitles", "embed-subtitles", NULL, { NULL }, NULL },
  { "output", "burn_captions", "burn-captions", NULL, { NULL }, NULL },
  { "output", "resolution", "resolution", NULL, { NULL }, NULL },
  { "output", "export", "export", NULL, { NULL }, NULL },
  { "output", "export_paths", "export-paths", NULL, { NULL }, NULL },
  /* the caption style: each key is one KEY=VALUE of --caption-style */
  { "captions", "burn", "burn-captions", NULL, { NULL }, NULL },
  { "captions", "font", "caption-style", NULL, { NULL }, NULL },
  { "captions", "size", "caption-style", NULL, { NULL }, NULL },
  { "captions", "position", "caption-style", NULL, { NULL }, NULL },
  { "captions", "margin", "caption-style", NULL, { NULL }, NULL },
  { "captions", "color", "caption-style", NULL, { NULL }, NULL },
  { "captions", "outline_color", "caption-style", NULL, { NULL }, NULL },
  { "captions", "outline_width", "caption-style", NULL, { NULL }, NULL },
  { "captions", "box_color", "caption-style", NULL, { NULL }, NULL },
  { "captions", "box_opacity", "caption-style", NULL, { NULL }, NULL },
  { "captions", "highlight", "caption-style", NULL, { NULL }, NULL },
};

static const ConfigKey *
find_config_key (const char *section, const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (g_str_equal (config_keys[i].section, section) && g_str_equal (config_keys[i].key, key))
      return &config_keys[i];
  return NULL;
}

static gboolean
is_section (const char *section)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (g_str_equal (config_keys[i].section, section))
      return TRUE;
  return FALSE;
}

typedef struct
{
  const ConfigKey *key;
  char            *value;
  guint            line;
  int              rank;
  guint            order;
} Assignment;

static void
assignment_free (gpointer data)
{
  Assignment *a = data;
  g_free (a->value);
  g_free (a);
}

static int
compare_assignments (gconstpointer pa, gconstpointer pb)
{
  const Assignment *a = *(const Assignment **) pa, *b = *(const Assignment **) pb;

  if (a->rank != b->rank)
    return a->rank - b->rank;
  return (int) a->order - (int) b->order;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (yaml_parser_t, yaml_parser_delete)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (yaml_document_t, yaml_document_delete)

static gboolean
yaml_error (GError **error, int code, const char *name, gsize line, const char *format, ...) G_GNUC_PRINTF (5, 6);

static gboolean
yaml_error (GError **error, int code, const char *name, gsize line, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, AVE_SETTINGS_ERROR, code, "%s:%" G_GSIZE_FORMAT ": %s", name, line, message);
  return FALSE;
}

static void
add_assignment (GPtrArray *assignments, const ConfigKey *key, char *value, gsize line)
{
  Assignment *a = g_new0 (Assignment, 1);

  a->key = key;
  a->value = value;
  a->line = line;
  a->order = assignments->len;
  a->rank = ave_config_option_rank (key->option != NULL ? key->option : "");
  g_ptr_array_add (assignments, a);
}

/* api.prices.<model>.<key>: each price becomes "model:key=value" of
 * --api-price; api_optimization.<service>.<key>: the key "service.key". */
static gboolean
collect_nested (yaml_document_t *document,
                const char      *section,
                const char      *name,
                yaml_node_t     *mapping,
                const char      *display_name,
                GPtrArray       *assignments,
                GPtrArray       *warnings,
                GError         **error)
{
  gboolean prices = g_str_equal (section, "api");

  for (yaml_node_pair_t *p = mapping->data.mapping.pairs.start; p < mapping->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = yaml_document_get_node (document, p->key);
      yaml_node_t *v = yaml_document_get_node (document, p->value);
      const char *sub;

      if (k->type != YAML_SCALAR_NODE)
        return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, display_name, k->start_mark.line + 1,
                           "%s.%s: a key must be a plain word", section, name);
      sub = (const char *) k->data.scalar.value;
      if (prices)
        {
          if (v->type != YAML_MAPPING_NODE)
            return yaml_error (error, AVE_SETTINGS_ERROR_INVALID_VALUE, display_name, k->start_mark.line + 1,
                               "api.prices.%s: expected input_per_mtok, output_per_mtok, audio_per_minute "
                               "or per_image under the model", sub);
          for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++)
            {
              yaml_node_t *fk = yaml_document_get_node (document, q->key);
              yaml_node_t *fv = yaml_document_get_node (document, q->value);

              if (fk->type != YAML_SCALAR_NODE || fv->type != YAML_SCALAR_NODE)
                return yaml_error (error, AVE_SETTINGS_ERROR_INVALID_VALUE, display_name, fk->start_mark.line + 1,
                                   "api.prices.%s: expected 'key: price' lines", sub);
              add_assignment (assignments, find_config_key ("api", "prices"),
                              g_strdup_printf ("%s:%s=%s", sub, (const char *) fk->data.scalar.value,
                                               (const char *) fv->data.scalar.value),
                              fk->start_mark.line + 1);
            }
        }
      else
        {
          g_autofree char *joined = g_strdup_printf ("%s.%s", name, sub);
          const ConfigKey *key = find_config_key (section, joined);

          if (key == NULL || key->option == NULL)
            {
              if (warnings != NULL)
                g_ptr_array_add (warnings, g_strdup_printf ("%s:%" G_GSIZE_FORMAT ": unknown key '%s.%s' (ignored)",
                                                            display_name, k->start_mark.line + 1, section, joined));
              continue;
            }
          if (v->type != YAML_SCALAR_NODE)
            return yaml_error (error, AVE_SETTINGS_ERROR_INVALID_VALUE, display_name, v->start_mark.line + 1,
                               "%s: expected a single value", joined);
          add_assignment (assignments, key, g_strndup ((const char *) v->data.scalar.value, v->data.scalar.length),
                          k->start_mark.line + 1);
        }
    }
  return TRUE;
}

/* Constructs libyaml only finds unclosed where the file (or the next
 * line) ends: the mistake is where they start, libyaml's context mark. */
static const struct
{
  const char *context;
  const char *what;
} unclosed_constructs[] = {
  { "while parsing a flow sequence", "this flow sequence ('[') is never closed with ']'" },
  { "while parsing a flow mapping", "this flow mapping ('{') is never closed with '}'" },
  { "while scanning a quoted scalar", "this quoted string is never closed" },
};

/* "NAME:LINE: syntax error: ..." pointing at the line to fix: where an
 * unclosed construct starts, else where libyaml noticed the problem (with
 * where the enclosing construct starts when that is another line). */
static gboolean
yaml_syntax_error (GError **error, const yaml_parser_t *parser, const char *name)
{
  const char *problem = parser->problem != NULL ? parser->problem : "invalid YAML";
  gsize problem_line = parser->problem_mark.line + 1;
  gsize context_line = parser->context_mark.line + 1;

  if (parser->context != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (unclosed_constructs); i++)
      if (g_str_equal (parser->context, unclosed_constructs[i].context))
        return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, name, context_line,
                           "syntax error: %s (libyaml: %s at line %" G_GSIZE_FORMAT ")",
                           unclosed_constructs[i].what, problem, problem_line);

  if (parser->context != NULL && context_line != problem_line)
    return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, name, problem_line,
                       "syntax error: %s (%s that starts at line %" G_GSIZE_FORMAT ")",
                       problem, parser->context, context_line);
  return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, name, problem_line,
                     "syntax error: %s%s%s", problem,
                     parser->context != NULL ? " " : "", parser->context != NULL ? parser->context : "");
}

/* Resolves a config value to (option, value) through the key's value map. */
static gboolean
map_config_value (const ConfigKey *key,
                  const char      *value,
                  char           **option,
                  char           **option_value)
{
  if (g_strcmp0 (key->option, "caption-style") == 0)
    {
      /* captions.size: 0.07 is --caption-style size=0.07 */
      *option = g_strdup (key->option);
      *option_value = g_strdup_printf ("%s=%s", key->key, value);
      return TRUE;
    }
  if (key->values[0] == NULL)
    {
      *option = g_strdup (key->option);
      *option_value = key->unit != NULL && value != NULL && *value != '\0' && g_ascii_isdigit (value[strlen (value) - 1])
                      ? g_strconcat (value, key->unit, NULL) : g_strdup (value);
      return TRUE;
    }
  for (guint i = 0; key->values[i] != NULL; i++)
    {
      const char *eq = strchr (key->values[i], '=');
      if (strncmp (key->values[i], value, eq - key->values[i]) == 0 && strlen (value) == (gsize) (eq - key->values[i]))
        {
          const char *target = eq + 1;
          const char *colon = strchr (target, ':');
          if (colon != NULL)
            {
              *option = g_strndup (target, colon - target);
              *option_value = g_strdup (colon + 1);
            }
          else
            {
              *option = g_strdup (key->option);
              *option_value = g_strdup (target);
            }
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
ave_config_load_data (AveSettings        *settings,
                      AveSettingsSources *sources,
                      const char         *data,
                      gsize               length,
                      const char         *display_name,
                      AveSettingSource    source,
                      const char         *origin_prefix,
                      GPtrArray          *warnings,
                      GError            **error)
{
  g_auto(yaml_parser_t) parser = { 0 };
  g_auto(yaml_document_t) document = { 0 };
  g_autoptr(GPtrArray) assignments = g_ptr_array_new_with_free_func (assignment_free);
  yaml_node_t *root;

  /* Fails only when malloc does, before any byte of the file is read. */
  if (!yaml_parser_initialize (&parser))
    g_error ("libyaml: out of memory");
  yaml_parser_set_input_string (&parser, (const unsigned char *) data, length);
  if (!yaml_parser_load (&parser, &document))
    return yaml_syntax_error (error, &parser, display_name);

  root = yaml_document_get_root_node (&document);
  if (root == NULL)
    return TRUE;   /* an empty file sets nothing */
  if (root->type != YAML_MAPPING_NODE)
    return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, display_name, root->start_mark.line + 1,
                       "expected sections such as 'memory:' and 'processing:' at the top level");

  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++)
    {
      yaml_node_t *sk = yaml_document_get_node (&document, p->key);
      yaml_node_t *sv = yaml_document_get_node (&document, p->value);
      const char *section;

      if (sk->type != YAML_SCALAR_NODE)
        return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, display_name, sk->start_mark.line + 1,
                           "a section name must be a plain word");
      section = (const char *) sk->data.scalar.value;
      if (!is_section (section))
        {
          if (warnings != NULL)
            g_ptr_array_add (warnings, g_strdup_printf ("%s:%" G_GSIZE_FORMAT ": unknown section '%s' (ignored)",
                                                        display_name, sk->start_mark.line + 1, section));
          continue;
        }
      if (sv->type == YAML_SCALAR_NODE && sv->data.scalar.length == 0)
        continue;   /* "section:" with nothing under it */
      if (sv->type != YAML_MAPPING_NODE)
        return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, display_name, sv->start_mark.line + 1,
                           "%s: expected 'key: value' lines under it", section);

      for (yaml_node_pair_t *q = sv->data.mapping.pairs.start; q < sv->data.mapping.pairs.top; q++)
        {
          yaml_node_t *kk = yaml_document_get_node (&document, q->key);
          yaml_node_t *kv = yaml_document_get_node (&document, q->value);
          const char *name;
          const ConfigKey *key;
          Assignment *a;

          if (kk->type != YAML_SCALAR_NODE)
            return yaml_error (error, AVE_SETTINGS_ERROR_PARSE, display_name, kk->start_mark.line + 1,
                               "%s: a key must be a plain word", section);
          name = (const char *) kk->data.scalar.value;
          key = find_config_key (section, name);
          /* Two sections go one level deeper: api.prices.<model>.<key>
           * and the guide's api_optimization.<service>.<key>. */
          if (kv->type == YAML_MAPPING_NODE && (g_str_equal (section, "api_optimization")
                                                || (key != NULL && g_str_equal (section, "api") && g_str_equal (name, "prices"))))
            {
              if (!collect_nested (&document, section, name, kv, display_name, assignments, warnings, error))
                return FALSE;
              continue;
            }
          if (key == NULL)
            {
              if (warnings != NULL)
                g_ptr_array_add (warnings, g_strdup_printf ("%s:%" G_GSIZE_FORMAT ": unknown key '%s.%s' (ignored)",
                                                            display_name, kk->start_mark.line + 1, section, name));
              continue;
            }
          if (kv->type != YAML_SCALAR_NODE)
            return yaml_error (error, AVE_SETTINGS_ERROR_INVALID_VALUE, display_name, kv->start_mark.line + 1,
                               "%s: expected a single value", name);
          if (source == AVE_SETTING_SOURCE_PRESET && g_str_equal (key->option != NULL ? key->option : "", "preset"))
            return yaml_error (error, AVE_SETTINGS_ERROR_INVALID_VALUE, display_name, kk->start_mark.line + 1,
                               "%s: a preset cannot name another preset", name);
          a = g_new0 (Assignment, 1);
          a->key = key;
          a->value = g_strndup ((const char *) kv->data.scalar.value, kv->data.scalar.length);
          a->line = kk->start_mark.line + 1;
          a->order = assignments->len;
          a->rank = ave_config_option_rank (key->option != NULL ? key->option : "");
          g_ptr_array_add (assignments, a);
        }
    }

  /* Same order as flags: preset, levels, groups, then single values. */
  g_ptr_array_sort (assignments, compare_assignments);
  for (guint i = 0; i < assignments->len; i++)
    {
      Assignment *a = g_ptr_array_index (assignments, i);
      g_autofree char *option = NULL;
      g_autofree char *option_value = NULL;
      g_autofree char *origin = NULL;
      g_autoptr(GError) local = NULL;
      g_autofree char *base = g_path_get_basename (display_name);

      if (!map_config_value (a->key, a->value, &option, &option_value))
        return yaml_error (error, AVE_SETTINGS_ERROR_INVALID_VALUE, display_name, a->line,
                           "%s: '%s' is not one of %s", a->key->key, a->value, a->key->allowed);
      origin = origin_prefix != NULL
               ? g_strdup_printf ("%s (%s:%u)", origin_prefix, base, a->line)
               : g_strdup_printf ("%s:%u", display_name, a->line);
      if (!ave_config_apply_option (settings, sources, option, option_value, source, origin, NULL, &local))
        return yaml_error (error, local->code, display_name, a->line, "%s: %s", a->key->key, local->message);
    }
  return TRUE;
}

gboolean
ave_config_load_file (AveSettings        *settings,
                      AveSettingsSources *sources,
                      const char         *path,
                      GPtrArray          *warnings,
                      GError            **error)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents (path, &data, &length, &local))
    {
      g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_PARSE,
                   "%s: cannot read the config file (%s)", path, local->message);
      return FALSE;
    }
  return ave_config_load_data (settings, sources, data, length, path,
                               AVE_SETTING_SOURCE_CONFIG, NULL, warnings, error);
}
