#define G_LOG_DOMAIN "ave-settings"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <pango/pango.h>

#include "ave-settings.h"
#include "core/ave-error.h"
#include "core/ave-memory-budget.h"

G_DEFINE_BOXED_TYPE (AveSettings, ave_settings, ave_settings_copy, ave_settings_free)

static const char * const default_fillers[] = { "um", "uh", "ah", "er", "hmm", NULL };

AveSettings *
ave_settings_new (void)
{
  AveSettings *self = g_new0 (AveSettings, 1);

  self->content_type = AVE_CONTENT_GENERAL;
  self->n_workers = MAX (1, g_get_num_processors ());
  self->parallel = TRUE;

  self->silence_threshold_db = -40.0;
  self->silence_min_duration = 0.35;
  self->transcribe = TRUE;
  self->filler_words = g_strdupv ((char **) default_fillers);

  self->shot_threshold = 0.35;

  self->cut_silence_min = 0.8;
  self->word_padding = 0.15;
  self->audio_fade_duration = 0.01;
  self->crossfade_duration = 0.5;
  self->min_segment_duration = 0.5;

  self->thumbnail_count = 3;
  self->thumbnail_width = 1280;
  self->subtitles = AVE_SUBTITLES_ALL;
  /* White on a black outline, low in the picture: readable on any video
   * without hiding it. */
  self->caption_font = g_strdup ("Sans Bold");
  self->caption_size = 0.055;
  self->caption_position = g_strdup ("bottom");
  self->caption_margin = 0.06;
  self->caption_color = g_strdup ("#ffffff");
  self->caption_outline_color = g_strdup ("#000000");
  self->caption_outline_width = 0.12;
  self->caption_box_color = g_strdup ("#000000");
  self->caption_box_opacity = 0.0;

  self->audio_bitrate = 160000;
  self->loudness_target = -14.0;
  /* x264 holds this many full frames: 10 keeps a 1080p render under
   * 400 MB with two threads; a budget may lower it further. */
  self->encoder_lookahead = 10;

  self->cleanup_temp = TRUE;
  self->parallel_strategy = AVE_PARALLEL_BALANCED;
  self->quality_threshold = 0.85;
  self->performance_target = g_strdup ("balanced");
  self->export_paths = g_strdup ("absolute");
  self->cache_strategy = AVE_CACHE_STRATEGY_LRU;
  self->smart_cut = TRUE;

  self->director = g_strdup ("local");
  self->llm_provider = g_strdup ("openai");
  self->llm_max_tokens = 4096;
  self->api_max_retries = 3;
  self->api_timeout = 60;
  self->api_batch_size = 5;
  self->response_cache_seconds = 3600;
  self->asr = g_strdup ("local");
  self->thumbnail_art = g_strdup ("none");

  ave_settings_apply_quality (self, AVE_QUALITY_HIGH);
  ave_settings_apply_mode (self, AVE_MODE_BALANCED);
  ave_settings_apply_content_type (self, AVE_CONTENT_GENERAL);

  return self;
}

AveSettings *
ave_settings_copy (const AveSettings *self)
{
  AveSettings *copy = g_memdup2 (self, sizeof *self);

  copy->filler_words = g_strdupv (self->filler_words);
  copy->encoder_preset = g_strdup (self->encoder_preset);
  copy->temp_dir = g_strdup (self->temp_dir);
  copy->preset = g_strdup (self->preset);
  copy->performance_target = g_strdup (self->performance_target);
  copy->cache_dir = g_strdup (self->cache_dir);
  copy->metrics_output = g_strdup (self->metrics_output);
  copy->caption_font = g_strdup (self->caption_font);
  copy->caption_position = g_strdup (self->caption_position);
  copy->caption_color = g_strdup (self->caption_color);
  copy->caption_outline_color = g_strdup (self->caption_outline_color);
  copy->caption_box_color = g_strdup (self->caption_box_color);
  copy->caption_highlight = g_strdup (self->caption_highlight);
  copy->export_formats = g_strdup (self->export_formats);
  copy->export_paths = g_strdup (self->export_paths);
  copy->director = g_strdup (self->director);
  copy->llm_provider = g_strdup (self->llm_provider);
  copy->llm_url = g_strdup (self->llm_url);
  copy->llm_model = g_strdup (self->llm_model);
  copy->llm_cheap_model = g_strdup (self->llm_cheap_model);
  copy->api_prices = g_strdupv (self->api_prices);
  copy->asr = g_strdup (self->asr);
  copy->asr_url = g_strdup (self->asr_url);
  copy->asr_model = g_strdup (self->asr_model);
  copy->asr_upload_format = g_strdup (self->asr_upload_format);
  copy->thumbnail_art = g_strdup (self->thumbnail_art);
  copy->image_url = g_strdup (self->image_url);
  copy->image_model = g_strdup (self->image_model);
  return copy;
}

void
ave_settings_free (AveSettings *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->filler_words);
  g_free (self->encoder_preset);
  g_free (self->temp_dir);
  g_free (self->preset);
  g_free (self->performance_target);
  g_free (self->cache_dir);
  g_free (self->metrics_output);
  g_free (self->caption_font);
  g_free (self->caption_position);
  g_free (self->caption_color);
  g_free (self->caption_outline_color);
  g_free (self->caption_box_color);
  g_free (self->caption_highlight);
  g_free (self->export_formats);
  g_free (self->export_paths);
  g_free (self->director);
  g_free (self->llm_provider);
  g_free (self->llm_url);
  g_free (self->llm_model);
  g_free (self->llm_cheap_model);
  g_strfreev (self->api_prices);
  g_free (self->asr);
  g_free (self->asr_url);
  g_free (self->asr_model);
  g_free (self->asr_upload_format);
  g_free (self->thumbnail_art);
  g_free (self->image_url);
  g_free (self->image_model);
  g_free (self);
}

/* What each quality level means; docs/cli.md has the same table. */
static const struct {
  guint analysis_width;
  guint frame_step;
  const char *preset;
  guint crf;
  guint thumbnails;
} quality_table[] = {
  [AVE_QUALITY_FAST]   = { 256, 1, "veryfast", 26, 3 },
  [AVE_QUALITY_MEDIUM] = { 320, 1, "faster",   23, 3 },
  [AVE_QUALITY_HIGH]   = { 384, 1, "medium",   21, 4 },
  [AVE_QUALITY_ULTRA]  = { 480, 1, "slow",     18, 6 },
};

void
ave_settings_apply_quality (AveSettings *self,
                            AveQuality   quality)
{
  g_return_if_fail (quality <= AVE_QUALITY_ULTRA);

  self->quality = quality;
  self->analysis_width = quality_table[quality].analysis_width;
  self->frame_step = quality_table[quality].frame_step;
  g_free (self->encoder_preset);
  self->encoder_preset = g_strdup (quality_table[quality].preset);
  self->crf = quality_table[quality].crf;
  self->thumbnail_count = quality_table[quality].thumbnails;
}

void
ave_settings_apply_mode (AveSettings *self,
                         AveMode      mode)
{
  self->mode = mode;
  switch (mode)
    {
    case AVE_MODE_FAST:
      self->transitions = FALSE;
      self->crossfade_duration = 0.0;
      break;
    case AVE_MODE_BALANCED:
      self->transitions = TRUE;
      self->crossfade_duration = 0.4;
      break;
    case AVE_MODE_HIGH_QUALITY:
      self->transitions = TRUE;
      self->crossfade_duration = 0.6;
      break;
    default:
      g_return_if_reached ();
    }
}

void
ave_settings_apply_content_type (AveSettings    *self,
                                 AveContentType  type)
{
  self->content_type = type;
  self->cut_fillers = (type == AVE_CONTENT_EDUCATIONAL);
  /* A lecturer who says a sentence again wants the better take kept. */
  self->remove_retakes = (type == AVE_CONTENT_EDUCATIONAL);
  self->detect_beats = (type == AVE_CONTENT_MUSIC);
}

void
ave_settings_apply_memory_budget (AveSettings *self)
{
  AveBudgetPlan plan;

  /* All the sizing lives in ave-memory-budget.c.  The input is not known
   * here, so this sizes for 1080p; a job sizes again for its input. */
  ave_memory_budget_plan (self, 0, 0, g_get_num_processors (), &plan);
  ave_memory_budget_apply (self, &plan);
}

static const char * const encoder_presets[] = {
  "ultrafast", "superfast", "veryfast", "faster", "fast",
  "medium", "slow", "slower", "veryslow", NULL
};

static int
encoder_preset_index (const char *preset)
{
  for (int i = 0; encoder_presets[i] != NULL; i++)
    if (g_strcmp0 (encoder_presets[i], preset) == 0)
      return i;
  return -1;
}

const char *
ave_encoder_preset_step (const char *preset,
                         int         steps)
{
  int i = encoder_preset_index (preset);
  int last = G_N_ELEMENTS (encoder_presets) - 2;

  return i < 0 ? preset : encoder_presets[CLAMP (i - steps, 0, last)];
}

gboolean
ave_settings_fast_analysis (const AveSettings *self)
{
  return self->mode == AVE_MODE_FAST;
}

AveAnalysisFrames
ave_settings_analysis_frames (const AveSettings *self)
{
  const char *forced = g_getenv ("AVE_ANALYSIS_FRAMES");

  if (g_strcmp0 (forced, "all") == 0)
    return AVE_ANALYSIS_FRAMES_ALL;
  if (g_strcmp0 (forced, "reference") == 0)
    return AVE_ANALYSIS_FRAMES_REFERENCE;
  if (g_strcmp0 (forced, "key") == 0)
    return AVE_ANALYSIS_FRAMES_KEY;
  /* Fast mode decodes key pictures (and the stretches between those that
   * differ, while the reading pass goes on): less CPU time and less wall
   * time than reference pictures on 1080p H.264 and HEVC
   * (docs/performance.md, "Key pictures only in fast mode's analysis"). */
  if (ave_settings_fast_analysis (self))
    return AVE_ANALYSIS_FRAMES_KEY;
  return self->quality != AVE_QUALITY_ULTRA ? AVE_ANALYSIS_FRAMES_REFERENCE : AVE_ANALYSIS_FRAMES_ALL;
}

const char *
ave_analysis_frames_to_string (AveAnalysisFrames frames)
{
  switch (frames)
    {
    case AVE_ANALYSIS_FRAMES_REFERENCE:
      return "reference";
    case AVE_ANALYSIS_FRAMES_KEY:
      return "key";
    case AVE_ANALYSIS_FRAMES_ALL:
    default:
      return "all";
    }
}

gboolean
ave_settings_uses_smart_cut (const AveSettings *self)
{
  return self->mode == AVE_MODE_FAST && self->smart_cut;
}

const char *
ave_settings_aac_coder (const AveSettings *self)
{
  return self->mode == AVE_MODE_FAST ? "fast" : "twoloop";
}

#define FAST_MODE_REENCODE_PRESET "veryfast"

const char *
ave_settings_reencode_preset (const AveSettings *self)
{
  const char *preset = self->encoder_preset != NULL ? self->encoder_preset : FAST_MODE_REENCODE_PRESET;

  if (self->mode == AVE_MODE_FAST &&
      encoder_preset_index (preset) > encoder_preset_index (FAST_MODE_REENCODE_PRESET))
    return FAST_MODE_REENCODE_PRESET;
  return preset;
}

static void
step_encoder_preset (AveSettings *self, int steps)
{
  const char *next = ave_encoder_preset_step (self->encoder_preset, steps);

  if (next != self->encoder_preset)
    {
      char *copy = g_strdup (next);
      g_free (self->encoder_preset);
      self->encoder_preset = copy;
    }
}

/* "speed" trades output and analysis detail for time: two x264 presets
 * faster and a narrower analysis frame (shot detection stays reliable down
 * to ~192 px, see docs/analysis.md).  "quality" spends time instead: one
 * preset slower and one CRF step finer.  "balanced" keeps the level's own
 * values.  Adaptive quality reads the target too. */
gboolean
ave_settings_apply_performance_target (AveSettings *self,
                                       const char  *target)
{
  if (g_strcmp0 (target, "speed") == 0)
    {
      step_encoder_preset (self, 2);
      self->analysis_width = MAX (192, MIN (self->analysis_width, 256));
    }
  else if (g_strcmp0 (target, "quality") == 0)
    {
      step_encoder_preset (self, -1);
      if (self->crf > 16)
        self->crf -= 1;
    }
  else if (g_strcmp0 (target, "balanced") != 0)
    return FALSE;

  g_free (self->performance_target);
  self->performance_target = g_strdup (target);
  return TRUE;
}

/* Smaller files: four CRF steps (about 40 % fewer bits for H.264) and
 * 128 kb/s AAC, which is transparent for speech. */
void
ave_settings_apply_output_compression (AveSettings *self)
{
  self->crf = MIN (self->crf + 4, 51);
  self->audio_bitrate = MIN (self->audio_bitrate, 128000);
}

/* More hesitation sounds count as fillers (the transcriber has
 * pronunciations for all of them), fillers are cut whatever the content
 * type, and the padding kept around words at a cut is tighter so the
 * hesitation does not survive in the margin. */
void
ave_settings_apply_filler_word_optimization (AveSettings *self)
{
  static const char * const extra[] = { "um", "uh", "ah", "er", "hmm", "erm", "mm", "uhm", "eh", NULL };
  g_autoptr(GPtrArray) words = g_ptr_array_new ();

  for (guint i = 0; self->filler_words != NULL && self->filler_words[i] != NULL; i++)
    g_ptr_array_add (words, self->filler_words[i]);
  for (guint i = 0; extra[i] != NULL; i++)
    if (!ave_settings_is_filler_word (self, extra[i]))
      g_ptr_array_add (words, (char *) extra[i]);
  g_ptr_array_add (words, NULL);
  ave_settings_set_filler_words (self, (const char * const *) words->pdata);

  self->cut_fillers = TRUE;
  self->word_padding = MIN (self->word_padding, 0.08);
}

/* A lecture's ideas need whole sentences: only longer pauses are cut and
 * kept pieces shorter than a second are merged, so an explanation is not
 * chopped into fragments. */
void
ave_settings_apply_concept_optimization (AveSettings *self)
{
  self->cut_silence_min = MAX (self->cut_silence_min, 1.0);
  self->min_segment_duration = MAX (self->min_segment_duration, 1.0);
}

/* Music: beats and tempo are what the director cuts on; speech recognition
 * over a song finds no words worth cutting and costs most of the audio
 * analysis time, so it is skipped. */
void
ave_settings_apply_beat_detection_optimization (AveSettings *self)
{
  self->detect_beats = TRUE;
  self->transcribe = FALSE;
}

/* Music keeps its sound: 320 kb/s AAC and longer audio crossfades at cuts
 * (20 ms instead of 10 ms: no click on sustained notes). */
void
ave_settings_apply_audio_quality_priority (AveSettings *self)
{
  self->audio_bitrate = MAX (self->audio_bitrate, 320000);
  self->audio_fade_duration = MAX (self->audio_fade_duration, 0.02);
}

/* Analysis works on a small frame whatever the input size: at most 256 px
 * wide and every second frame, which halves decoding-side scaling work; shot
 * boundaries are then known to within two frames. */
void
ave_settings_apply_resolution_optimization (AveSettings *self)
{
  self->analysis_width = MIN (self->analysis_width, 256);
  self->frame_step = MAX (self->frame_step, 2);
}

/* Quiet speakers: the silence threshold moves 5 dB lower so soft word ends
 * are not taken for pauses, and pauses must last a little longer to count. */
void
ave_settings_apply_audio_preprocessing (AveSettings *self)
{
  self->silence_threshold_db = MIN (self->silence_threshold_db, -45.0);
  self->silence_min_duration = MAX (self->silence_min_duration, 0.4);
}

void
ave_settings_set_filler_words (AveSettings        *self,
                               const char * const *words)
{
  GPtrArray *lower = g_ptr_array_new ();

  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    {
      g_autofree char *w = g_strstrip (g_utf8_strdown (words[i], -1));
      if (*w != '\0')
        g_ptr_array_add (lower, g_steal_pointer (&w));
    }
  g_ptr_array_add (lower, NULL);
  g_strfreev (self->filler_words);
  self->filler_words = (char **) g_ptr_array_free (lower, FALSE);
}

gboolean
ave_settings_is_filler_word (const AveSettings *self,
                             const char        *word)
{
  if (self->filler_words == NULL || word == NULL)
    return FALSE;
  return g_strv_contains ((const char * const *) self->filler_words, word);
}

static const char * const content_names[] = { "general", "educational", "music", NULL };
static const char * const quality_names[] = { "fast", "medium", "high", "ultra", NULL };
static const char * const mode_names[] = { "fast", "balanced", "high_quality", NULL };

static gboolean
lookup_name (const char * const *names, const char *str, guint *out)
{
  for (guint i = 0; str != NULL && names[i] != NULL; i++)
    if (g_str_equal (names[i], str))
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

const char *ave_content_type_to_string (AveContentType t) { return content_names[t]; }
const char *ave_quality_to_string (AveQuality q) { return quality_names[q]; }
const char *ave_mode_to_string (AveMode m) { return mode_names[m]; }

gboolean
ave_content_type_from_string (const char *str, AveContentType *out)
{
  guint v;
  if (!lookup_name (content_names, str, &v))
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
ave_quality_from_string (const char *str, AveQuality *out)
{
  guint v;
  if (!lookup_name (quality_names, str, &v))
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
ave_mode_from_string (const char *str, AveMode *out)
{
  guint v;
  /* "high-quality" is accepted as a spelling of "high_quality". */
  if (g_strcmp0 (str, "high-quality") == 0)
    str = "high_quality";
  if (!lookup_name (mode_names, str, &v))
    return FALSE;
  *out = v;
  return TRUE;
}

static const char * const strategy_names[] = { "conservative", "balanced", "aggressive", "adaptive", NULL };
static const char * const cache_strategy_names[] = { "lru", "intelligent", "analysis_only", NULL };

const char *ave_parallel_strategy_to_string (AveParallelStrategy s) { return strategy_names[s]; }
const char *ave_cache_strategy_to_string (AveCacheStrategy s) { return cache_strategy_names[s]; }

gboolean
ave_parallel_strategy_from_string (const char *str, AveParallelStrategy *out)
{
  guint v;
  if (!lookup_name (strategy_names, str, &v))
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
ave_cache_strategy_from_string (const char *str, AveCacheStrategy *out)
{
  guint v;
  if (g_strcmp0 (str, "analysis-only") == 0)
    str = "analysis_only";
  if (!lookup_name (cache_strategy_names, str, &v))
    return FALSE;
  *out = v;
  return TRUE;
}

/* Indexed by the AveSubtitles bits. */
static const char * const subtitles_names[] = { "none", "srt", "vtt", "all", NULL };

const char *
ave_subtitles_to_string (AveSubtitles subtitles)
{
  g_return_val_if_fail ((guint) subtitles < G_N_ELEMENTS (subtitles_names) - 1, "none");
  return subtitles_names[subtitles];
}

gboolean
ave_subtitles_from_string (const char *str, AveSubtitles *out)
{
  guint v;
  if (!lookup_name (subtitles_names, str, &v))
    return FALSE;
  *out = v;
  return TRUE;
}

static const char * const export_names[] = { "mlt", "kdenlive", "fcpxml", "xmeml", "otio", "edl", NULL };
G_STATIC_ASSERT (G_N_ELEMENTS (export_names) == AVE_N_EXPORT_FORMATS + 1);

const char *
ave_export_format_to_string (AveExportFormat format)
{
  g_return_val_if_fail ((guint) format < AVE_N_EXPORT_FORMATS, NULL);
  return export_names[format];
}

gboolean
ave_export_format_from_string (const char *str, AveExportFormat *out)
{
  for (guint i = 0; str != NULL && i < AVE_N_EXPORT_FORMATS; i++)
    if (g_ascii_strcasecmp (str, export_names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
ave_export_formats_parse (const char *list, guint *mask, GError **error)
{
  g_auto(GStrv) words = g_strsplit (list != NULL ? list : "", ",", -1);

  *mask = 0;
  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *word = g_strstrip (words[i]);
      AveExportFormat format;

      if (*word == '\0' || g_ascii_strcasecmp (word, "none") == 0)
        continue;
      if (!ave_export_format_from_string (word, &format))
        {
          g_set_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE,
                       "unknown export format '%s' (known: mlt, kdenlive, fcpxml, xmeml, otio, edl)", word);
          return FALSE;
        }
      *mask |= 1u << format;
    }
  return TRUE;
}

gboolean
ave_caption_color_parse (const char *text, guint32 *rgb)
{
  PangoColor color;

  if (text == NULL || *text == '\0' || !pango_color_parse (&color, text))
    return FALSE;
  *rgb = (guint32) (color.red >> 8) << 16 | (guint32) (color.green >> 8) << 8 | (color.blue >> 8);
  return TRUE;
}

static gboolean
set_caption_color (char **field, const char *value, gboolean may_be_none, char **message)
{
  guint32 rgb;

  if (may_be_none && g_strcmp0 (value, "none") == 0)
    {
      g_clear_pointer (field, g_free);
      return TRUE;
    }
  if (!ave_caption_color_parse (value, &rgb))
    {
      *message = g_strdup_printf ("'%s' is not a colour such as #ffd700, #fff or yellow%s",
                                  value, may_be_none ? ", or none" : "");
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup_printf ("#%06x", rgb);
  return TRUE;
}

static gboolean
set_caption_fraction (double *field, const char *value, double min, double max, char **message)
{
  char *end = NULL;
  double v;

  errno = 0;
  v = value != NULL ? g_ascii_strtod (value, &end) : NAN;
  if (value == NULL || end == value || *end != '\0' || errno != 0 || !isfinite (v) || v < min || v > max)
    {
      *message = g_strdup_printf ("'%s' is not a number from %g to %g", value != NULL ? value : "", min, max);
      return FALSE;
    }
  *field = v;
  return TRUE;
}

gboolean
ave_settings_set_caption_style_key (AveSettings  *self,
                                    const char   *key,
                                    const char   *value,
                                    const char  **field,
                                    char        **message)
{
  g_autofree char *name = g_strdelimit (g_strdup (key != NULL ? key : ""), "_", '-');
  gboolean ok;

  g_return_val_if_fail (message != NULL && field != NULL, FALSE);
  *message = NULL;
  if (g_str_equal (name, "font"))
    {
      g_autoptr(PangoFontDescription) font = NULL;

      if (value == NULL || *value == '\0' ||
          (font = pango_font_description_from_string (value)) == NULL ||
          pango_font_description_get_family (font) == NULL)
        {
          *message = g_strdup_printf ("font: '%s' is not a font such as \"Sans Bold\"", value != NULL ? value : "");
          return FALSE;
        }
      g_free (self->caption_font);
      self->caption_font = g_strdup (value);
      *field = "caption_font";
      return TRUE;
    }
  if (g_str_equal (name, "position"))
    {
      static const char * const positions[] = { "bottom", "top", "middle", NULL };

      if (value == NULL || !g_strv_contains (positions, value))
        {
          *message = g_strdup_printf ("position: '%s' is not one of bottom|top|middle", value != NULL ? value : "");
          return FALSE;
        }
      g_free (self->caption_position);
      self->caption_position = g_strdup (value);
      *field = "caption_position";
      return TRUE;
    }
  if (g_str_equal (name, "size"))
    ok = set_caption_fraction (&self->caption_size, value, 0.01, 0.5, message), *field = "caption_size";
  else if (g_str_equal (name, "margin"))
    ok = set_caption_fraction (&self->caption_margin, value, 0.0, 0.45, message), *field = "caption_margin";
  else if (g_str_equal (name, "outline-width"))
    ok = set_caption_fraction (&self->caption_outline_width, value, 0.0, 0.5, message), *field = "caption_outline_width";
  else if (g_str_equal (name, "box-opacity"))
    ok = set_caption_fraction (&self->caption_box_opacity, value, 0.0, 1.0, message), *field = "caption_box_opacity";
  else if (g_str_equal (name, "color"))
    ok = set_caption_color (&self->caption_color, value, FALSE, message), *field = "caption_color";
  else if (g_str_equal (name, "outline-color"))
    ok = set_caption_color (&self->caption_outline_color, value, FALSE, message), *field = "caption_outline_color";
  else if (g_str_equal (name, "box-color"))
    ok = set_caption_color (&self->caption_box_color, value, FALSE, message), *field = "caption_box_color";
  else if (g_str_equal (name, "highlight"))
    ok = set_caption_color (&self->caption_highlight, value, TRUE, message), *field = "caption_highlight";
  else
    {
      *message = g_strdup_printf ("unknown caption style key '%s' (font, size, position, margin, color, "
                                  "outline-color, outline-width, box-color, box-opacity, highlight)", key);
      return FALSE;
    }
  if (!ok)
    {
      g_autofree char *bare = *message;
      *message = g_strdup_printf ("%s: %s", key, bare);
    }
  return ok;
}
