#define G_LOG_DOMAIN "ave-settings"

#include "config.h"

#include <string.h>

#include "ave-settings.h"

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

  self->audio_bitrate = 160000;
  self->loudness_target = -14.0;
  self->encoder_lookahead = 20;

  self->cleanup_temp = TRUE;
  self->parallel_strategy = AVE_PARALLEL_BALANCED;
  self->quality_threshold = 0.85;
  self->performance_target = g_strdup ("balanced");
  self->cache_strategy = AVE_CACHE_STRATEGY_LRU;

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
  self->detect_beats = (type == AVE_CONTENT_MUSIC);
}

void
ave_settings_apply_memory_budget (AveSettings *self)
{
  guint64 mib;

  if (self->max_memory_bytes == 0)
    return;
  mib = self->max_memory_bytes / (1024 * 1024);
  /* x264's lookahead holds full frames: keep it short on small budgets. */
  if (mib < 400)
    self->encoder_lookahead = 5;
  else if (mib < 1024)
    self->encoder_lookahead = 10;
  else
    self->encoder_lookahead = 20;

  self->cleanup_temp = TRUE;
  self->parallel_strategy = AVE_PARALLEL_BALANCED;
  self->quality_threshold = 0.85;
  self->performance_target = g_strdup ("balanced");
  self->cache_strategy = AVE_CACHE_STRATEGY_LRU;
  if (mib < 400)
    self->encoder_threads = MIN (self->n_workers, 2);
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
