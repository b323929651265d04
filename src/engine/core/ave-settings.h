/* ave-settings.h — every knob the engine reads, in one plain struct.
 *
 * Front ends fill an AveSettings (defaults < quality/mode < presets < config
 * file < flags) and hand a copy to the engine; stages only read it.  Each
 * stage receives `const AveSettings *` and must not keep the pointer past the
 * call unless it copies it.  Nothing changes them while a job runs: what the
 * engine decides for itself (sizing, load shedding, adaptive quality) is the
 * run's decisions (core/ave-run-decisions.h), and stages read a view of the
 * settings with the decisions laid over it.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  AVE_CONTENT_GENERAL,
  AVE_CONTENT_EDUCATIONAL,
  AVE_CONTENT_MUSIC,
} AveContentType;

typedef enum {
  AVE_QUALITY_FAST,
  AVE_QUALITY_MEDIUM,
  AVE_QUALITY_HIGH,
  AVE_QUALITY_ULTRA,
} AveQuality;

typedef enum {
  AVE_MODE_FAST,
  AVE_MODE_BALANCED,
  AVE_MODE_HIGH_QUALITY,
} AveMode;

typedef enum {
  AVE_PARALLEL_CONSERVATIVE,   /* 2 concurrent operations */
  AVE_PARALLEL_BALANCED,       /* 3-4, bounded by cores */
  AVE_PARALLEL_AGGRESSIVE,     /* 5+ / all cores */
  AVE_PARALLEL_ADAPTIVE,       /* follows load average and memory pressure while running */
} AveParallelStrategy;

typedef enum {
  AVE_CACHE_STRATEGY_LRU,          /* least recently used entries go first */
  AVE_CACHE_STRATEGY_INTELLIGENT,  /* cost-aware: cheap-to-recompute, large entries go first */
  AVE_CACHE_STRATEGY_ANALYSIS_ONLY,/* only analysis results are kept */
} AveCacheStrategy;

/* Which subtitle files `process` writes beside final.mp4 (bit flags). */
typedef enum {
  AVE_SUBTITLES_NONE = 0,
  AVE_SUBTITLES_SRT  = 1 << 0,   /* final.srt (SubRip) */
  AVE_SUBTITLES_VTT  = 1 << 1,   /* final.vtt (WebVTT) */
  AVE_SUBTITLES_ALL  = AVE_SUBTITLES_SRT | AVE_SUBTITLES_VTT,
} AveSubtitles;

/* The edit formats --export writes (interchange/ave-interchange.h). */
typedef enum {
  AVE_EXPORT_MLT,
  AVE_EXPORT_KDENLIVE,
  AVE_EXPORT_FCPXML,
  AVE_EXPORT_XMEML,
  AVE_EXPORT_OTIO,
  AVE_EXPORT_EDL,
  AVE_N_EXPORT_FORMATS
} AveExportFormat;

typedef struct _AveSettings AveSettings;

struct _AveSettings
{
  AveContentType content_type;
  AveQuality     quality;
  AveMode        mode;

  /* --- resources --- */
  guint64  max_memory_bytes;      /* 0 = no budget */
  guint    n_workers;             /* threads for decode/encode/analysis, >= 1 */
  gboolean parallel;              /* run independent stages concurrently */
  gboolean enable_gpu;            /* use the Vulkan compute backend when one is found */
  guint64  gpu_memory_bytes;      /* 0 = no bound */

  /* --- audio analysis --- */
  double   silence_threshold_db;  /* dBFS (RMS over 10 ms windows) below which audio is silent, e.g. -40 */
  double   silence_min_duration;  /* seconds; shorter pauses are not silences, e.g. 0.35 */
  gboolean transcribe;            /* run speech recognition */
  char   **filler_words;          /* NULL-terminated, lower case: um uh ah er hmm */
  gboolean detect_beats;          /* beats and tempo (on for music) */

  /* --- video analysis --- */
  guint    analysis_width;        /* downscaled analysis frame width in pixels (height keeps aspect, even) */
  guint    frame_step;            /* analyse every Nth frame (1 = every frame) */
  double   shot_threshold;        /* hard-cut sensitivity 0..1 (higher = fewer cuts), e.g. 0.35 */

  /* --- director --- */
  double   cut_silence_min;       /* only silences at least this long are cut, seconds */
  double   word_padding;          /* seconds kept around words at each cut */
  gboolean cut_fillers;           /* remove filler words (default: educational) */
  gboolean remove_retakes;        /* cut earlier takes of a sentence said again (default: educational) */
  gboolean transitions;           /* crossfades at shot changes when the mode allows */
  double   crossfade_duration;    /* seconds of video crossfade where the plan asks for one */
  double   audio_fade_duration;   /* seconds of audio crossfade at every cut, e.g. 0.01 */
  double   min_segment_duration;  /* shorter kept pieces are merged or dropped */

  /* --- assets --- */
  guint    thumbnail_count;       /* JPEGs written to thumbnails/ */
  guint    thumbnail_width;       /* pixels, e.g. 1280 */
  AveSubtitles subtitles;         /* subtitle files timed to the output (default: all) */
  gboolean embed_subtitles;       /* the same cues as a mov_text track in final.mp4 */
  gboolean burn_captions;         /* the cues drawn into the pictures, in the caption style below */
  /* The edit for other editors beside final.mp4 (docs/interchange.md). */
  char    *export_formats;        /* "mlt,kdenlive,fcpxml,xmeml,otio,edl" (any of them), NULL = none */
  char    *export_paths;          /* "absolute" (default) or "relative" to the export's folder */
  /* The caption style (docs/captions.md; --caption-style KEY=VALUE, YAML
   * captions:).  Sizes are fractions of the picture height so a style
   * looks the same at any resolution; colours are "#rrggbb". */
  char    *caption_font;          /* pango family and style, e.g. "Sans Bold" */
  double   caption_size;          /* text height (pango's font size), e.g. 0.055 */
  char    *caption_position;      /* "bottom", "top" or "middle" */
  double   caption_margin;        /* from the bottom or top edge, e.g. 0.06 */
  char    *caption_color;         /* the text */
  char    *caption_outline_color; /* the stroke around each letter */
  double   caption_outline_width; /* fraction of the text size; 0 = no outline */
  char    *caption_box_color;     /* a box behind the lines */
  double   caption_box_opacity;   /* 0 (no box) to 1 */
  char    *caption_highlight;     /* the word being said, word by word; NULL = none */

  /* --- composition --- */
  guint    output_height;         /* --resolution: the render at most this many lines, the
                                   * source's shape kept (0 = the source's size) */
  char    *encoder_preset;        /* x264 preset: ultrafast .. veryslow */
  guint    crf;                   /* x264 CRF */
  guint    audio_bitrate;         /* bits per second for AAC */
  double   loudness_target;       /* LUFS, e.g. -14 */
  guint    encoder_lookahead;     /* x264 rc-lookahead frames; sized from the memory budget */
  guint    encoder_threads;       /* 0 = auto from n_workers */

  /* --- files --- */
  char    *temp_dir;              /* NULL = g_get_tmp_dir () */
  gboolean cleanup_temp;          /* remove temporary files of the run (default TRUE) */

  /* --- the performance guide (docs/cli.md maps each flag here) --- */
  char    *preset;                /* "8gb", "16gb", "32gb", "auto" or NULL */
  AveParallelStrategy parallel_strategy;
  guint    max_workers;           /* 0 = from the strategy and cores */
  guint    thread_pool_size;      /* FFmpeg decoder/encoder threads; 0 = from n_workers */
  int      process_priority;      /* nice value applied to the process, 0 = unchanged */
  gboolean cpu_affinity;          /* pin worker threads to cores */
  gboolean memory_efficient;      /* smaller queues and buffers (also --stream-processing) */
  gboolean minimal_buffers;       /* smallest queues that still stream (also --reduce-buffers) */
  gboolean monitor_memory;        /* sample RSS while running, record it in metrics */
  gboolean memory_alerts;         /* warn at 80 % and 90 % of max_memory_bytes */
  gboolean adaptive_quality;      /* lower analysis/encode settings when resources are short */
  double   quality_threshold;     /* 0..1: lowest relative quality adaptive mode may choose */
  gboolean resource_aware;        /* size work from free memory and load, not only from settings */
  char    *performance_target;    /* "speed", "balanced", "quality" */
  gboolean skip_optional_analysis;/* skip what the plan does not need: beats unless music, highlights, extra thumbnail scoring */

  /* --- cache --- */
  gboolean cache_enabled;         /* content-addressed analysis cache for this run */
  gboolean persistent_cache;      /* keep it across runs in $XDG_CACHE_HOME/ai-video-editor */
  guint64  cache_size_bytes;      /* bound, LRU eviction; 0 = default (2 GiB) */
  gboolean aggressive_caching;    /* also thumbnails and renders of the same plan */
  AveCacheStrategy cache_strategy;
  char    *cache_dir;             /* NULL = default location */

  /* --- monitoring and metrics --- */
  gboolean performance_monitoring;/* record metrics (JSON lines) */
  char    *metrics_output;        /* folder for metrics files; NULL = none */
  gboolean real_time_stats;       /* live one-line status on a terminal */
  gboolean debug_performance;     /* verbose timing and resource tracing */

  /* --- remote API (LLM director, image API): all no-ops for the local director --- */
  gboolean batch_api_calls;
  gboolean cache_responses;
  gboolean optimize_requests;     /* shorter prompts, fewer calls */
  gboolean cost_aware;            /* prefer cheaper models / skip optional calls near the budget */
  gboolean track_costs;           /* record every call's cost in the ledger and metrics */
  gboolean cost_alerts;           /* warn at 50/80/100 % of the budget */
  double   budget_limit_usd;      /* 0 = no limit; calls that would pass it are refused */

  /* --- remote providers (docs/ai.md): the local director needs none --- */
  char    *director;              /* "local" (default: embedded rules) or "llm" */
  char    *llm_provider;          /* "openai" (any OpenAI-compatible chat API, default) or "gemini" */
  char    *llm_url;               /* base URL; NULL = the provider's public one */
  char    *llm_model;             /* NULL = the provider's default model */
  char    *llm_cheap_model;       /* --cost-aware near the budget prefers it; NULL = none */
  guint    llm_max_tokens;        /* completion tokens a call may use (bounds its worst-case cost) */
  double   target_duration;       /* seconds: ask the director for a cut of about this length; 0 = no target */
  guint    api_max_retries;       /* retries of a failed request (429, 5xx, timeouts) */
  double   api_timeout;           /* seconds without progress before a request is abandoned */
  guint    api_batch_size;        /* --batch-api-calls: chunks of 40 sentences grouped per request */
  guint    response_cache_seconds;/* lifetime of a cached response (--cache-responses) */
  char   **api_prices;            /* "model:key=value" price overrides (YAML api.prices.<model>) */
  char    *asr;                   /* "local" (PocketSphinx, default) or "remote" (OpenAI-compatible transcription API) */
  char    *asr_url;               /* base URL; NULL = OpenAI's */
  char    *asr_model;             /* NULL = "whisper-1" */
  char    *asr_upload_format;     /* "flac" (default, NULL) or "wav" (servers that take only WAV) */
  char    *thumbnail_art;         /* "none" (default: frames only) or "remote" (an image API draws the thumbnails' background) */
  char    *image_url;             /* base URL of the OpenAI-compatible image API; NULL = OpenAI's */
  char    *image_model;           /* NULL = "dall-e-3" */
  gboolean image_batch_generation;/* the guide's imagen.batch_generation: one request with n = thumbnail_count */
  gboolean image_template_reuse;  /* imagen.template_reuse: one background for every variant (the text differs) */
  gboolean image_cache_similar;   /* imagen.cache_similar: the response cache keys on the normalised prompt */

  /* --- switches of the guide that need a field of their own --- */
  gboolean verbose_timing;        /* front ends print a per-stage timing table after each input */
  gboolean smart_cut;             /* fast mode may copy untouched GOPs; FALSE (--format-conversion) re-encodes everything */
};

#define AVE_TYPE_SETTINGS (ave_settings_get_type ())
GType        ave_settings_get_type          (void) G_GNUC_CONST;

AveSettings *ave_settings_new               (void);
AveSettings *ave_settings_copy              (const AveSettings *self);
void         ave_settings_free              (AveSettings *self);

/* Applies the concrete parameters of a quality level, mode or content type
 * (see docs/cli.md for the table).  Later calls override earlier ones only
 * for the fields they own. */
void         ave_settings_apply_quality     (AveSettings *self, AveQuality quality);
void         ave_settings_apply_mode        (AveSettings *self, AveMode mode);
void         ave_settings_apply_content_type (AveSettings *self, AveContentType type);

/* Sizes workers, x264 threads and look-ahead from the parallel settings
 * and max_memory_bytes, for a 1080p input (core/ave-memory-budget.h). */
void         ave_settings_apply_memory_budget (AveSettings *self);

/* The guide's switches that change existing parameters (docs/cli.md has
 * the table).  Each only moves the values it names, from their current
 * value, so they compose with the quality level chosen before them. */
gboolean     ave_settings_apply_performance_target (AveSettings *self, const char *target);
void         ave_settings_apply_output_compression (AveSettings *self);
void         ave_settings_apply_filler_word_optimization (AveSettings *self);
void         ave_settings_apply_concept_optimization (AveSettings *self);
void         ave_settings_apply_beat_detection_optimization (AveSettings *self);
void         ave_settings_apply_audio_quality_priority (AveSettings *self);
void         ave_settings_apply_resolution_optimization (AveSettings *self);
void         ave_settings_apply_audio_preprocessing (AveSettings *self);
/* What --mode fast changes besides transitions (docs/cli.md, "Modes"):
 * the analysis decodes only key pictures and runs the lightest
 * speech search, and the smart cut encodes its frames with a preset no
 * slower than "veryfast". */
gboolean     ave_settings_fast_analysis     (const AveSettings *self);
/* Which pictures the video analysis decodes (ave_settings_analysis_frames). */
typedef enum {
  AVE_ANALYSIS_FRAMES_ALL,
  /* the pictures other pictures refer to (FFmpeg's AVDISCARD_NONREF:
   * about half of a stream with B-frames, none skipped without them) */
  AVE_ANALYSIS_FRAMES_REFERENCE,
  /* the key pictures only (IDR, CRA, open-GOP I-frames: those a decoder
   * can start at), when they come close enough together; else reference
   * pictures (ave_video_analysis_frames_for) */
  AVE_ANALYSIS_FRAMES_KEY,
} AveAnalysisFrames;
/* Which pictures the video analysis decodes; a cut found between two of
 * them is put on its exact frame by decoding the pictures between
 * (ave-video-analyzer.c).  Key pictures in --mode fast, reference
 * pictures at every other level but --quality ultra, all at ultra.
 * AVE_ANALYSIS_FRAMES=all|reference|key in the environment overrides it,
 * for benches and tests that compare them (bench/bench.sh). */
AveAnalysisFrames ave_settings_analysis_frames (const AveSettings *self);
const char  *ave_analysis_frames_to_string  (AveAnalysisFrames frames);
/* FFmpeg's AAC coder: "fast" in --mode fast (about half the time of the
 * default "twoloop", a little lower quality), else "twoloop". */
const char  *ave_settings_aac_coder         (const AveSettings *self);
/* Whether a cut-only plan is rendered by copying the source's GOPs
 * (--mode fast, unless --format-conversion asked for a full encode). */
gboolean     ave_settings_uses_smart_cut    (const AveSettings *self);
const char  *ave_settings_reencode_preset   (const AveSettings *self);
/* Moves an x264 preset name `steps` places towards "ultrafast" (negative:
 * towards "veryslow"), clamped; unknown names are returned unchanged. */
const char  *ave_encoder_preset_step        (const char *preset, int steps);

void         ave_settings_set_filler_words  (AveSettings *self, const char * const *words);
gboolean     ave_settings_is_filler_word    (const AveSettings *self, const char *word);

/* Names as used on the command line and in JSON: "general", "fast", ... */
const char  *ave_content_type_to_string     (AveContentType type);
const char  *ave_quality_to_string          (AveQuality quality);
const char  *ave_mode_to_string             (AveMode mode);
gboolean     ave_content_type_from_string   (const char *str, AveContentType *out);
gboolean     ave_quality_from_string        (const char *str, AveQuality *out);
gboolean     ave_mode_from_string           (const char *str, AveMode *out);
const char  *ave_parallel_strategy_to_string (AveParallelStrategy strategy);
gboolean     ave_parallel_strategy_from_string (const char *str, AveParallelStrategy *out);
const char  *ave_cache_strategy_to_string   (AveCacheStrategy strategy);
gboolean     ave_cache_strategy_from_string (const char *str, AveCacheStrategy *out);
/* "none", "srt", "vtt", "all" */
const char  *ave_subtitles_to_string        (AveSubtitles subtitles);
gboolean     ave_subtitles_from_string      (const char *str, AveSubtitles *out);
/* "mlt", "kdenlive", "fcpxml", "xmeml", "otio", "edl" (any case on read) */
const char  *ave_export_format_to_string    (AveExportFormat format);
gboolean     ave_export_format_from_string  (const char *str, AveExportFormat *out);
/* A comma-separated list of them ("none" and empty words are skipped) as a
 * mask of 1 << AveExportFormat; fails naming the unknown word. */
gboolean     ave_export_formats_parse       (const char *list, guint *mask, GError **error);
/* Applies one caption style key (font, size, position, margin, color,
 * outline-color, outline-width, box-color, box-opacity, highlight; `_` may
 * stand for `-`).  FALSE with a message naming the key when the key is
 * unknown or the value is not one it takes; *field receives the AveSettings
 * field set. */
gboolean     ave_settings_set_caption_style_key (AveSettings  *self,
                                                 const char   *key,
                                                 const char   *value,
                                                 const char  **field,
                                                 char        **message);
/* "#rrggbb" (also "#rgb", a colour name pango knows, e.g. "yellow") as
 * 0xRRGGBB; FALSE when it is none of those. */
gboolean     ave_caption_color_parse        (const char *text, guint32 *rgb);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveSettings, ave_settings_free)

G_END_DECLS
