#define G_LOG_DOMAIN "ave-transcriber"

#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/ngram_model.h>

#include "core/ave-error.h"
#include "analysis/ave-transcriber.h"

/* The acoustic model, language model and dictionary loaded: the
 * pocketsphinx-en-us package's. */
#define MODEL_NAME "en-us"

#define SAMPLE_RATE       16000
#define FRAMES_PER_SECOND 100     /* PocketSphinx's default -frate */
#define WINDOW_SAMPLES    160     /* 10 ms, the same windows as the silence detector */

/* Hesitations are short vocalisations set apart by pauses.  Inside an
 * utterance, a burst of sound no longer than this, with at least
 * ISLAND_MIN_GAP of quiet on each side, is decoded a second time with a
 * language model that expects fillers (see decode_island()). */
#define ISLAND_MIN_DURATION 0.10
#define ISLAND_MAX_DURATION 1.00
#define ISLAND_MIN_GAP      0.15
#define ISLAND_MARGIN       0.10

/* Weight of the filler-only unigram model interpolated into the general
 * model for island decoding: about 1 % of the probability mass.  Enough
 * for an isolated "um" to beat "them", small enough that ordinary isolated
 * words ("so", "right", "well") are still recognised as themselves. */
#define FILLER_LM_WEIGHT 0.01f

#define FILLER_SEARCH "ave-fillers"
#define DEFAULT_SEARCH "_default"   /* the name ps_init() gives its own search */

struct _AveTranscriber
{
  ps_decoder_t *ps;
  logmath_t    *lm_math;           /* the language model's; it must outlive ps */
  char        **filler_words;      /* the ones the dictionary knows */
  double        silence_threshold_db;
  gboolean      have_filler_search;
};

/* Pronunciations (CMU phone set) for hesitation words that the CMU
 * dictionary might lack; the installed dictionary is checked first. */
static const struct
{
  const char *word;
  const char *phones;
} filler_pronunciations[] = {
  { "um",  "AH M" },
  { "uh",  "AH" },
  { "ah",  "AA" },
  { "er",  "ER" },
  { "erm", "ER M" },
  { "hmm", "HH M" },
  { "mm",  "M" },
  { "uhm", "AH M" },
  { "eh",  "EH" },
};

static void
clear_transcribed_word (gpointer data)
{
  AveTranscribedWord *word = data;
  g_clear_pointer (&word->word, g_free);
}

GArray *
ave_transcribed_words_new (void)
{
  GArray *words = g_array_new (FALSE, TRUE, sizeof (AveTranscribedWord));
  g_array_set_clear_func (words, clear_transcribed_word);
  return words;
}

const char *
ave_transcriber_get_name (void)
{
  /* The library the build linked, and the model it loads. */
  return "pocketsphinx " POCKETSPHINX_VERSION " " MODEL_NAME;
}

/* SphinxBase logs through one process-wide FILE, which every ps_init()
 * with -logfn replaces (closing the old one).  With decoders running on
 * several threads that would close a stream another thread is writing
 * to, so the log callback is replaced once by one that never touches it:
 * information is dropped, problems go to g_debug. */
static void
sphinx_log (void       *user_data,
            err_lvl_t   level,
            const char *format,
            ...)
{
  if (level < ERR_WARN)
    return;

  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("pocketsphinx: %s", g_strchomp (message));
}

static GMutex init_mutex;

static void
ensure_quiet_logging (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      err_set_callback (sphinx_log, NULL);
      g_once_init_leave (&done, 1);
    }
}

typedef struct
{
  const char *maxhmmpf;   /* active HMMs per frame */
  const char *maxwpf;     /* word exits per frame */
  const char *topn;       /* Gaussians scored per codebook */
  const char *fwdflat;    /* flat-lexicon second pass */
  const char *bestpath;   /* lattice rescoring */
} Pruning;

/* Search effort by quality level, measured on the generated talks
 * (docs/performance.md, "Speech search"): the flat-lexicon pass and
 * lattice rescoring buy word accuracy only, and only "ultra" pays for
 * them.  On the 5-minute talk (36 fillers), capping active HMMs at 1500
 * and word exits at 5 and scoring one Gaussian per codebook found 30
 * fillers where 3000 / 10 / 2 found 29 (with more false ones), in 61 %
 * of its CPU time; 1000 HMMs found 27 in 46 %, which --mode fast and
 * --quality fast accept.  Frame downsampling (-ds) is never used: it
 * blurs the short vowels that fillers are, and tighter beams lost an
 * "uh" that ran into the next word. */
static Pruning
pruning_for (const AveSettings *settings)
{
  AveQuality quality = ave_settings_fast_analysis (settings) ? AVE_QUALITY_FAST : settings->quality;

  switch (quality)
    {
    case AVE_QUALITY_FAST:
      return (Pruning) { "1000", "5", "1", "no", "no" };
    case AVE_QUALITY_MEDIUM:
    case AVE_QUALITY_HIGH:
      return (Pruning) { "1500", "5", "1", "no", "no" };
    case AVE_QUALITY_ULTRA:
    default:
      return (Pruning) { "30000", "-1", "4", "yes", "yes" };
    }
}

static gboolean
model_file_exists (const char *path,
                   GError    **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_MODEL_MISSING,
               "The speech recognition model %s is missing: install the "
               "pocketsphinx-en-us package, or turn transcription off",
               path);
  return FALSE;
}

/* Writes `contents` to a new file in the job's temporary folder (or the
 * system's) and returns its name.  SphinxBase reads models and
 * dictionaries from files only; the caller removes the file once read.
 * Written through the descriptor g_mkstemp() opened: no second open by
 * name, no rename and no fsync (g_file_set_contents() syncs a file that
 * exists, and this one is gone a moment later). */
static char *
write_temp_file (const AveSettings  *settings,
                 const char         *pattern,
                 const char         *contents,
                 gsize               length,
                 GError            **error)
{
  const char *folder = settings->temp_dir ? settings->temp_dir : g_get_tmp_dir ();
  g_autofree char *path = g_build_filename (folder, pattern, NULL);
  int fd = g_mkstemp (path);
  int saved_errno;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create a file in %s: %s", folder, g_strerror (saved_errno));
      return NULL;
    }
  while (length > 0)
    {
      gssize n = write (fd, contents, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          close (fd);
          g_unlink (path);
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "Cannot write %s: %s", path, g_strerror (saved_errno));
          return NULL;
        }
      contents += n;
      length -= (gsize) n;
    }
  if (close (fd) < 0)
    {
      saved_errno = errno;
      g_unlink (path);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot write %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  return g_steal_pointer (&path);
}

/* An ARPA unigram model in which every filler is equally likely; it is
 * interpolated with the general model (ngram_model_set_init) so that the
 * general model's words keep their relative probabilities. */
static ngram_model_t *
load_filler_model (AveTranscriber    *self,
                   cmd_ln_t          *config,
                   const AveSettings *settings)
{
  g_autoptr(GString) arpa = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint n = g_strv_length (self->filler_words);
  ngram_model_t *model;

  if (n == 0)
    return NULL;

  g_string_append_printf (arpa, "\\data\\\nngram 1=%u\n\n\\1-grams:\n", n);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (arpa, "%.4f %s\n", -log10 ((double) n),
                            self->filler_words[i]);
  g_string_append (arpa, "\n\\end\\\n");

  path = write_temp_file (settings, "ave-fillers-XXXXXX.arpa", arpa->str, arpa->len, &error);
  if (path == NULL)
    {
      g_debug ("cannot write the filler model: %s", error->message);
      return NULL;
    }
  model = ngram_model_read (config, path, NGRAM_ARPA, self->lm_math);
  g_unlink (path);
  return model;
}

static void
setup_filler_search (AveTranscriber    *self,
                     cmd_ln_t          *config,
                     const AveSettings *settings)
{
  ngram_model_t *general = ps_get_lm (self->ps, ps_get_search (self->ps));
  ngram_model_t *fillers;
  ngram_model_t *models[2];
  char *names[2] = { (char *) "general", (char *) "fillers" };
  float32 weights[2] = { 1.0f - FILLER_LM_WEIGHT, FILLER_LM_WEIGHT };
  ngram_model_t *set;

  if (general == NULL)
    return;
  fillers = load_filler_model (self, config, settings);
  if (fillers == NULL)
    return;

  /* ngram_model_set_init() takes references of its own to both models:
   * ours to the filler model goes right after, or it would keep both
   * models (tens of MB) alive after ps_free(). */
  models[0] = general;
  models[1] = fillers;
  set = ngram_model_set_init (config, models, names, weights, 2);
  ngram_model_free (fillers);
  if (set == NULL)
    return;
  /* ps_set_lm() takes its own reference. */
  self->have_filler_search = ps_set_lm (self->ps, FILLER_SEARCH, set) == 0;
  ngram_model_free (set);
  ps_set_search (self->ps, DEFAULT_SEARCH);
}

static void
add_filler_words (AveTranscriber    *self,
                  const AveSettings *settings)
{
  g_autoptr(GPtrArray) known = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; settings->filler_words && settings->filler_words[i]; i++)
    {
      const char *word = settings->filler_words[i];
      g_autofree char *phones = NULL;

      /* Multi-word fillers ("you know") are not single dictionary entries. */
      if (*word == '\0' || strchr (word, ' ') != NULL)
        continue;

      phones = ps_lookup_word (self->ps, word);
      if (phones == NULL)
        {
          for (guint k = 0; k < G_N_ELEMENTS (filler_pronunciations); k++)
            if (g_str_equal (filler_pronunciations[k].word, word))
              {
                if (ps_add_word (self->ps, word, filler_pronunciations[k].phones, TRUE) >= 0)
                  phones = g_strdup (filler_pronunciations[k].phones);
                break;
              }
        }
      if (phones == NULL)
        {
          g_debug ("no pronunciation for the filler word “%s”; it will not be recognised", word);
          continue;
        }
      g_ptr_array_add (known, g_strdup (word));
    }
  g_ptr_array_add (known, NULL);
  self->filler_words = (char **) g_ptr_array_free (g_steal_pointer (&known), FALSE);
}

gboolean
ave_transcriber_check_model (GError **error)
{
  g_autofree char *hmm = g_build_filename (POCKETSPHINX_MODEL_DIR, MODEL_NAME, MODEL_NAME, NULL);
  g_autofree char *lm = g_build_filename (POCKETSPHINX_MODEL_DIR, MODEL_NAME, MODEL_NAME ".lm.bin", NULL);
  g_autofree char *dict = g_build_filename (POCKETSPHINX_MODEL_DIR, MODEL_NAME, "cmudict-" MODEL_NAME ".dict", NULL);
  g_autofree char *mdef = g_build_filename (hmm, "mdef", NULL);

  return model_file_exists (mdef, error) &&
         model_file_exists (lm, error) &&
         model_file_exists (dict, error);
}

/* The entries of the pronunciation dictionary `dict`
 * whose word the language model knows, or that is one of the filler words
 * (which may be configured outside the model's vocabulary).
 *
 * The search only ever hypothesises words of its language model, so the
 * first pass is the same with either dictionary.  The filler search is
 * not: with the whole dictionary (134,000 words for 72,500 in the model)
 * the interpolated model of ngram_model_set_init() lets every word the
 * general model lacks into that search, which made it slower to build,
 * larger, and its hypotheses over an island worse (docs/performance.md,
 * "Speech model load").  Reading the model once here costs what ps_init()
 * would spend on it. */
static GString *
model_dictionary (ngram_model_t      *lm,
                  const char         *dict,
                  const AveSettings  *settings,
                  GError            **error)
{
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) out = NULL;
  g_autofree char *text = NULL;
  gsize length;
  int32 n_words = ngram_model_get_counts (lm)[0];
  char *line, *text_end;

  if (!g_file_get_contents (dict, &text, &length, error))
    return NULL;
  for (int32 i = 0; i < n_words; i++)
    g_hash_table_add (known, (gpointer) ngram_word (lm, i));
  for (guint i = 0; settings->filler_words && settings->filler_words[i]; i++)
    g_hash_table_add (known, settings->filler_words[i]);

  out = g_string_sized_new (length);
  text_end = text + length;
  /* memchr, bounded by the length: strchr on what is left of 3.7 MB, once
   * a line, made the sanitizers check the rest of the text every time
   * (77 s a model load under ASan's strict_string_checks). */
  for (line = text; line < text_end;)
    {
      char *end = memchr (line, '\n', (gsize) (text_end - line));
      char *word_end = line;
      char saved;
      gboolean keep;

      if (end == NULL)
        end = text_end;
      /* "word" or "word(2)" for an alternative pronunciation */
      while (word_end < end && *word_end != ' ' && *word_end != '\t' && *word_end != '(')
        word_end++;
      saved = *word_end;
      *word_end = '\0';
      keep = g_hash_table_contains (known, line);
      *word_end = saved;
      if (keep)
        {
          g_string_append_len (out, line, end - line);
          g_string_append_c (out, '\n');
        }
      line = end + 1;
    }
  return g_steal_pointer (&out);
}

AveTranscriber *
ave_transcriber_new (const AveSettings  *settings,
                     GError            **error)
{
  g_autoptr(AveTranscriber) self = NULL;
  g_autofree char *hmm = g_build_filename (POCKETSPHINX_MODEL_DIR, MODEL_NAME, MODEL_NAME, NULL);
  g_autofree char *lm = g_build_filename (POCKETSPHINX_MODEL_DIR, MODEL_NAME, MODEL_NAME ".lm.bin", NULL);
  g_autofree char *dict = g_build_filename (POCKETSPHINX_MODEL_DIR, MODEL_NAME, "cmudict-" MODEL_NAME ".dict", NULL);
  g_autofree char *dict_path = NULL;
  g_autoptr(GString) words = NULL;
  ngram_model_t *general;
  Pruning pruning;
  cmd_ln_t *config;

  g_return_val_if_fail (settings != NULL, NULL);

  if (!ave_transcriber_check_model (error))
    return NULL;

  ensure_quiet_logging ();
  pruning = pruning_for (settings);

  self = g_new0 (AveTranscriber, 1);
  self->silence_threshold_db = settings->silence_threshold_db;

  config = cmd_ln_init (NULL, ps_args (), TRUE,
                        "-hmm", hmm,
                        "-samprate", "16000",
                        /* Keeps the frame count equal to the audio: with
                         * silence removal, word times are wrong. */
                        "-remove_silence", "no",
                        "-logfn", "/dev/null",
                        "-maxhmmpf", pruning.maxhmmpf,
                        "-maxwpf", pruning.maxwpf,
                        "-topn", pruning.topn,
                        "-fwdflat", pruning.fwdflat,
                        "-bestpath", pruning.bestpath,
                        NULL);
  if (config == NULL)
    {
      g_set_error_literal (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                           "Speech recognition could not be configured");
      return NULL;
    }

  /* The language model first, with the logarithm base ps_init() uses
   * (and a table exactly when it does), for the dictionary. */
  self->lm_math = logmath_init ((float64) cmd_ln_float32_r (config, "-logbase"), 0,
                                cmd_ln_boolean_r (config, "-bestpath"));
  general = ngram_model_read (config, lm, NGRAM_AUTO, self->lm_math);
  if (general == NULL)
    {
      cmd_ln_free_r (config);
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_MODEL_MISSING,
                   "The language model %s could not be loaded: reinstall the "
                   "pocketsphinx-en-us package, or turn transcription off", lm);
      return NULL;
    }
  words = model_dictionary (general, dict, settings, error);
  if (words != NULL)
    dict_path = write_temp_file (settings, "ave-dictionary-XXXXXX.dict", words->str, words->len, error);
  if (dict_path == NULL)
    {
      ngram_model_free (general);
      cmd_ln_free_r (config);
      g_prefix_error (error, "Speech recognition cannot prepare its dictionary: ");
      return NULL;
    }
  cmd_ln_set_str_r (config, "-dict", dict_path);

  /* ps_init() swaps SphinxBase's process-wide log file (-logfn). */
  g_mutex_lock (&init_mutex);
  self->ps = ps_init (config);
  g_mutex_unlock (&init_mutex);
  g_unlink (dict_path);

  /* ps_set_lm() takes its own reference to the model. */
  if (self->ps != NULL &&
      (ps_set_lm (self->ps, DEFAULT_SEARCH, general) < 0 ||
       ps_set_search (self->ps, DEFAULT_SEARCH) < 0))
    g_clear_pointer (&self->ps, ps_free);
  ngram_model_free (general);

  if (self->ps == NULL)
    {
      cmd_ln_free_r (config);
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_MODEL_MISSING,
                   "The speech recognition model in %s could not be loaded: "
                   "reinstall the pocketsphinx-en-us package, or turn "
                   "transcription off", POCKETSPHINX_MODEL_DIR);
      return NULL;
    }

  add_filler_words (self, settings);
  setup_filler_search (self, config, settings);
  /* The decoder keeps its own reference. */
  cmd_ln_free_r (config);

  return g_steal_pointer (&self);
}

void
ave_transcriber_free (AveTranscriber *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->ps, ps_free);
  g_clear_pointer (&self->lm_math, logmath_free);
  g_strfreev (self->filler_words);
  g_free (self);
}

static gboolean
is_filler (AveTranscriber *self,
           const char     *word)
{
  return g_strv_contains ((const char * const *) self->filler_words, word);
}

/* Turns a dictionary entry into the word we report, or NULL for the
 * decoder's own markers (<s>, </s>, <sil>) and noise fillers ([NOISE],
 * +BREATH+ …). */
static char *
clean_word (const char *raw)
{
  const char *paren;

  if (raw == NULL || raw[0] == '\0' || raw[0] == '<' || raw[0] == '[' || raw[0] == '+')
    return NULL;
  paren = strchr (raw, '(');
  return g_ascii_strdown (raw, paren ? paren - raw : -1);
}

static gboolean
decode_samples (AveTranscriber *self,
                const gint16   *samples,
                gsize           n_samples,
                double          start_time,
                GError        **error)
{
  if (ps_start_utt (self->ps) < 0 ||
      ps_process_raw (self->ps, samples, n_samples, FALSE, TRUE) < 0 ||
      ps_end_utt (self->ps) < 0)
    {
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                   "Speech recognition failed on the audio at %.2f s", start_time);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_utterance (AveTranscriber *self,
               const gint16   *samples,
               gsize           n_samples,
               double          start_time,
               gboolean        keep_noise,
               GArray         *out,
               GError        **error)
{
  logmath_t *lmath = ps_get_logmath (self->ps);
  ps_seg_t *seg;
  g_autofree char *hyp = NULL;

  if (!decode_samples (self, samples, n_samples, start_time, error))
    return FALSE;

  seg = ps_seg_iter (self->ps);
  hyp = g_strdup (ps_get_hyp (self->ps, NULL));
  if (seg == NULL && hyp != NULL && hyp[0] != '\0')
    {
      /* The word lattice has no end when the audio stops inside a word
       * ("Failed to find DAG node corresponding to </s>"): decode again
       * with a little near-silence after it, which gives the sentence
       * its end.  The padding is faint noise rather than zeros, whose
       * log energy would be minus infinity. */
      gsize pad = SAMPLE_RATE / 4;
      g_autofree gint16 *padded = g_new (gint16, n_samples + pad);
      guint32 noise = 1;

      memcpy (padded, samples, n_samples * sizeof (gint16));
      for (gsize i = 0; i < pad; i++)
        {
          noise = noise * 1664525u + 1013904223u;
          padded[n_samples + i] = (gint16) ((noise >> 30) & 3) - 1;
        }
      g_debug ("no word times for the audio at %.2f s; decoding it again, padded", start_time);
      if (!decode_samples (self, padded, n_samples + pad, start_time, error))
        return FALSE;
      seg = ps_seg_iter (self->ps);
      if (seg == NULL)
        g_debug ("still no word times at %.2f s; “%s” is left out", start_time, hyp);
    }

  for (; seg != NULL; seg = ps_seg_next (seg))
    {
      AveTranscribedWord word = { 0 };
      int first, last;
      const char *raw = ps_seg_word (seg);

      /* Vocal noise ([SPEECH], [NOISE]) is reported with a NULL word
       * when asked for; silence and sentence markers never are. */
      word.word = clean_word (raw);
      if (word.word == NULL && !(keep_noise && raw != NULL && raw[0] == '['))
        continue;
      ps_seg_frames (seg, &first, &last);
      word.start = start_time + (double) first / FRAMES_PER_SECOND;
      word.end = start_time + (double) (last + 1) / FRAMES_PER_SECOND;
      word.confidence = CLAMP (logmath_exp (lmath, ps_seg_prob (seg, NULL, NULL, NULL)), 0.0, 1.0);
      word.filler = word.word != NULL && is_filler (self, word.word);
      g_array_append_val (out, word);
    }
  return TRUE;
}

typedef struct
{
  gsize start, end;    /* windows */
} Island;

/* Short bursts of sound set apart by quiet on both sides.  The audio
 * outside the buffer counts as quiet: the analyzer cuts utterances at
 * silences (or, for very long speech, at its quietest moment). */
static GArray *
find_islands (AveTranscriber *self,
              const gint16   *samples,
              gsize           n_samples)
{
  GArray *islands = g_array_new (FALSE, FALSE, sizeof (Island));
  gsize n_windows = n_samples / WINDOW_SAMPLES;
  gsize min_gap = (gsize) (ISLAND_MIN_GAP * 100 + 0.5);
  double threshold = pow (10.0, self->silence_threshold_db / 10.0) * 32768.0 * 32768.0;
  gsize quiet_run = min_gap;   /* the start of the buffer follows quiet */
  gssize sound_start = -1;
  gsize sound_end = 0;

  for (gsize w = 0; w <= n_windows; w++)
    {
      gboolean quiet = TRUE;

      if (w < n_windows)
        {
          double sum = 0;
          for (gsize i = 0; i < WINDOW_SAMPLES; i++)
            {
              double s = samples[w * WINDOW_SAMPLES + i];
              sum += s * s;
            }
          quiet = sum / WINDOW_SAMPLES < threshold;
        }
      else
        quiet_run = min_gap;   /* the end of the buffer is followed by quiet */

      if (!quiet)
        {
          /* Sound after a short dip joins the burst before it. */
          if (sound_start < 0)
            sound_start = w;
          sound_end = w + 1;
          quiet_run = 0;
          continue;
        }

      quiet_run++;
      if (quiet_run >= min_gap && sound_start >= 0)
        {
          Island island = { sound_start, sound_end };
          double duration = (double) (sound_end - sound_start) / 100.0;

          if (duration >= ISLAND_MIN_DURATION && duration <= ISLAND_MAX_DURATION)
            g_array_append_val (islands, island);
          sound_start = -1;
        }
    }
  return islands;
}

/* Decodes one island with the filler-friendly model.  When everything
 * heard there is a filler, the first pass's words over the island are
 * replaced by them. */
static gboolean
decode_island (AveTranscriber *self,
               const gint16   *samples,
               gsize           n_samples,
               double          start_time,
               const Island   *island,
               GArray         *words,
               GError        **error)
{
  g_autoptr(GArray) heard = ave_transcribed_words_new ();
  double island_start = start_time + island->start / 100.0;
  double island_end = start_time + island->end / 100.0;
  gsize margin = (gsize) (ISLAND_MARGIN * SAMPLE_RATE);
  gsize first = island->start * WINDOW_SAMPLES;
  gsize last = MIN (island->end * WINDOW_SAMPLES + margin, n_samples);
  gboolean all_fillers = TRUE;
  double covered = 0;
  guint n_fillers;
  guint i;

  first = first > margin ? first - margin : 0;

  /* Nothing to do when the first pass already heard fillers only, over
   * most of the island (a filler over half of it means the rest was
   * heard as something else, or not at all). */
  for (i = 0; i < words->len; i++)
    {
      AveTranscribedWord *w = &g_array_index (words, AveTranscribedWord, i);
      double mid = (w->start + w->end) / 2;

      if (mid >= island_start && mid <= island_end)
        {
          all_fillers = all_fillers && w->filler;
          covered += MIN (w->end, island_end) - MAX (w->start, island_start);
        }
    }
  if (all_fillers && covered >= 0.7 * (island_end - island_start))
    return TRUE;

  ps_set_search (self->ps, FILLER_SEARCH);
  if (!run_utterance (self, samples + first, last - first,
                      start_time + (double) first / SAMPLE_RATE, TRUE, heard, error))
    {
      ps_set_search (self->ps, DEFAULT_SEARCH);
      return FALSE;
    }
  ps_set_search (self->ps, DEFAULT_SEARCH);

  /* A filler, possibly with vocal noise next to it (the decoder sometimes
   * hears the start of a drawn-out "uh" as [SPEECH]); nothing else. */
  n_fillers = 0;
  for (i = 0; i < heard->len; i++)
    {
      AveTranscribedWord *w = &g_array_index (heard, AveTranscribedWord, i);

      if (w->word == NULL)
        continue;
      if (!w->filler)
        {
          g_debug ("island %.2f–%.2f: heard “%s”, not a filler", island_start, island_end, w->word);
          return TRUE;
        }
      n_fillers++;
    }
  if (n_fillers == 0)
    return TRUE;
  g_debug ("island %.2f–%.2f: a filler", island_start, island_end);

  /* Replace: drop the first pass's words over the island, add the fillers. */
  for (i = words->len; i > 0; i--)
    {
      AveTranscribedWord *w = &g_array_index (words, AveTranscribedWord, i - 1);
      double mid = (w->start + w->end) / 2;

      if (mid >= island_start && mid <= island_end)
        g_array_remove_index (words, i - 1);
    }
  /* One burst is one hesitation: "uh um" becomes a single filler over
   * both (and any vocal noise beside them), named after the longest
   * filler, so that it is cut as one. */
  {
    AveTranscribedWord merged = { 0 };
    double longest = 0, weighted = 0, voiced = 0;

    merged.start = G_MAXDOUBLE;
    merged.end = -G_MAXDOUBLE;
    merged.filler = TRUE;
    for (i = 0; i < heard->len; i++)
      {
        AveTranscribedWord *w = &g_array_index (heard, AveTranscribedWord, i);
        double duration = w->end - w->start;

        merged.start = MIN (merged.start, w->start);
        merged.end = MAX (merged.end, w->end);
        if (w->word == NULL)
          continue;
        weighted += w->confidence * duration;
        voiced += duration;
        if (duration > longest)
          {
            longest = duration;
            g_free (merged.word);
            merged.word = g_strdup (w->word);
          }
      }
    merged.confidence = voiced > 0 ? CLAMP (weighted / voiced, 0.0, 1.0) : 0.0;
    g_array_append_val (words, merged);
  }
  return TRUE;
}

static int
compare_words (gconstpointer a,
               gconstpointer b)
{
  const AveTranscribedWord *wa = a, *wb = b;
  return (wa->start > wb->start) - (wa->start < wb->start);
}

gboolean
ave_transcriber_decode (AveTranscriber *self,
                        const gint16   *samples,
                        gsize           n_samples,
                        double          start_time,
                        GArray         *words,
                        GError        **error)
{
  g_autoptr(GArray) utterance = ave_transcribed_words_new ();
  g_autoptr(GArray) islands = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (words != NULL, FALSE);

  /* Under a quarter second PocketSphinx has too few frames for its
   * cepstral normalisation to mean anything. */
  if (n_samples < SAMPLE_RATE / 4)
    return TRUE;

  if (!run_utterance (self, samples, n_samples, start_time, FALSE, utterance, error))
    return FALSE;

  if (self->have_filler_search)
    {
      islands = find_islands (self, samples, n_samples);
      for (guint i = 0; i < islands->len; i++)
        if (!decode_island (self, samples, n_samples, start_time,
                            &g_array_index (islands, Island, i), utterance, error))
          return FALSE;
      g_array_sort (utterance, compare_words);
    }

  for (guint i = 0; i < utterance->len; i++)
    {
      AveTranscribedWord *w = &g_array_index (utterance, AveTranscribedWord, i);
      AveTranscribedWord moved = *w;

      w->word = NULL;
      g_array_append_val (words, moved);
    }
  return TRUE;
}
