#define G_LOG_DOMAIN "ave-analysis"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "core/ave-error.h"
#include "ave-analysis.h"
#include "core/ave-files.h"
#include "core/ave-json-doc.h"
#include "core/ave-json-read.h"
#include "core/ave-json-write.h"

/* The record is shared read-only between the director, assets and the UI,
 * which may live on different threads: an atomic refcounted box lets each
 * hold it without copying the (possibly long) word list. */
G_DEFINE_BOXED_TYPE (AveAnalysis, ave_analysis, ave_analysis_ref, ave_analysis_unref)

static void
clear_word (gpointer data)
{
  AveWord *word = data;

  g_clear_pointer (&word->word, g_free);
}

AveAnalysis *
ave_analysis_new (const char         *source,
                  const AveMediaInfo *media)
{
  AveAnalysis *self = g_atomic_rc_box_new0 (AveAnalysis);

  self->version = AVE_ANALYSIS_VERSION;
  self->source = g_strdup (source);
  self->media = media != NULL ? ave_media_info_copy (media) : NULL;

  self->shots = g_array_new (FALSE, TRUE, sizeof (AveShot));
  self->highlights = g_array_new (FALSE, TRUE, sizeof (AveHighlight));
  self->thumbnail_candidates = g_array_new (FALSE, TRUE, sizeof (AveThumbnailCandidate));
  self->silences = g_array_new (FALSE, TRUE, sizeof (AveInterval));
  self->speech = g_array_new (FALSE, TRUE, sizeof (AveInterval));
  self->repeats = g_array_new (FALSE, TRUE, sizeof (AveRepeat));
  self->words = g_array_new (FALSE, TRUE, sizeof (AveWord));
  g_array_set_clear_func (self->words, clear_word);
  self->beats = g_array_new (FALSE, TRUE, sizeof (double));
  self->keyframes = g_array_new (FALSE, TRUE, sizeof (double));
  self->copy_ends = g_array_new (FALSE, TRUE, sizeof (double));
  self->warnings = g_ptr_array_new_with_free_func (g_free);

  /* -70 LUFS is what EBU R128 meters report for digital silence; using it
   * as the default keeps "no audio" distinguishable from "0 LUFS". */
  self->loudness.integrated_lufs = -70.0;
  self->loudness.true_peak_dbtp = -70.0;
  self->loudness.sample_peak_dbfs = -70.0;

  return self;
}

AveAnalysis *
ave_analysis_ref (AveAnalysis *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

static void
ave_analysis_clear (gpointer data)
{
  AveAnalysis *self = data;

  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->media, ave_media_info_free);
  g_clear_pointer (&self->shots, g_array_unref);
  g_clear_pointer (&self->highlights, g_array_unref);
  g_clear_pointer (&self->thumbnail_candidates, g_array_unref);
  g_clear_pointer (&self->silences, g_array_unref);
  g_clear_pointer (&self->speech, g_array_unref);
  g_clear_pointer (&self->repeats, g_array_unref);
  g_clear_pointer (&self->words, g_array_unref);
  g_clear_pointer (&self->beats, g_array_unref);
  g_clear_pointer (&self->keyframes, g_array_unref);
  g_clear_pointer (&self->copy_ends, g_array_unref);
  g_clear_pointer (&self->transcriber, g_free);
  g_clear_pointer (&self->language, g_free);
  g_clear_pointer (&self->compute_backend, g_free);
  g_clear_pointer (&self->warnings, g_ptr_array_unref);
}

void
ave_analysis_unref (AveAnalysis *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, ave_analysis_clear);
}

void
ave_analysis_add_word (AveAnalysis *self,
                       const char  *word,
                       double       start,
                       double       end,
                       double       confidence,
                       gboolean     filler)
{
  AveWord w = { 0 };

  g_return_if_fail (self != NULL);
  g_return_if_fail (word != NULL);

  w.word = g_strdup (word);
  w.start = start;
  w.end = MAX (start, end);
  w.confidence = CLAMP (confidence, 0.0, 1.0);
  w.filler = filler;
  g_array_append_val (self->words, w);
}

/* Letters, digits and hyphens in subtags of 1 to 8 characters, the first
 * of 2 to 8 letters: the shape of a BCP 47 tag ("en", "en-US", "zh-Hant"). */
static gboolean
is_language_tag (const char *tag)
{
  g_auto(GStrv) subtags = NULL;

  if (tag == NULL || *tag == '\0')
    return FALSE;
  subtags = g_strsplit (tag, "-", -1);
  for (guint i = 0; subtags[i] != NULL; i++)
    {
      gsize length = strlen (subtags[i]);

      if (length < (i == 0 ? 2 : 1) || length > 8)
        return FALSE;
      for (const char *c = subtags[i]; *c != '\0'; c++)
        if (i == 0 ? !g_ascii_isalpha (*c) : !g_ascii_isalnum (*c))
          return FALSE;
    }
  return TRUE;
}

const char *
ave_analysis_get_language (const AveAnalysis *self)
{
  const char *model;
  g_autofree char *primary = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->language != NULL)
    return self->language;
  if (self->transcriber == NULL)
    return NULL;

  /* The recogniser's name ends with the model it loaded ("… en-us"):
   * its first subtag is the language the words are in. */
  model = strrchr (self->transcriber, ' ');
  model = model != NULL ? model + 1 : self->transcriber;
  if (!is_language_tag (model))
    return NULL;
  primary = g_ascii_strdown (model, strcspn (model, "-"));

  /* Interned: the borrowed string outlives this analysis' fields. */
  return g_intern_string (primary);
}

void
ave_analysis_add_warning (AveAnalysis *self,
                          const char  *message)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (message != NULL);

  /* The same problem (a broken packet, say) may be reported many times by
   * a reader; one line per distinct message is what a user wants to see. */
  for (guint i = 0; i < self->warnings->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->warnings, i), message) == 0)
      return;

  g_ptr_array_add (self->warnings, g_strdup (message));
}

/* ------------------------------------------------------------ sorting */

static int
compare_double (double a,
                double b)
{
  return (a > b) - (a < b);
}

static int
compare_interval (gconstpointer a,
                  gconstpointer b)
{
  const AveInterval *ia = a, *ib = b;
  int c = compare_double (ia->start, ib->start);

  return c != 0 ? c : compare_double (ia->end, ib->end);
}

static int
compare_repeat (gconstpointer a,
                gconstpointer b)
{
  const AveRepeat *ra = a, *rb = b;
  int c = compare_double (ra->start, rb->start);

  return c != 0 ? c : compare_double (ra->repeat_start, rb->repeat_start);
}

static int
compare_shot (gconstpointer a,
              gconstpointer b)
{
  const AveShot *sa = a, *sb = b;
  int c = compare_double (sa->start, sb->start);

  return c != 0 ? c : compare_double (sa->end, sb->end);
}

static int
compare_word (gconstpointer a,
              gconstpointer b)
{
  const AveWord *wa = a, *wb = b;
  int c = compare_double (wa->start, wb->start);

  if (c == 0)
    c = compare_double (wa->end, wb->end);
  /* A stable tie-break keeps the sort deterministic for identical times. */
  return c != 0 ? c : g_strcmp0 (wa->word, wb->word);
}

static int
compare_highlight (gconstpointer a,
                   gconstpointer b)
{
  const AveHighlight *ha = a, *hb = b;

  return compare_double (ha->time, hb->time);
}

int
ave_thumbnail_candidate_compare_best_first (gconstpointer a,
                                            gconstpointer b)
{
  const AveThumbnailCandidate *ca = a, *cb = b;
  int c = compare_double (cb->score, ca->score);

  return c != 0 ? c : compare_double (ca->time, cb->time);
}

/* Every pixel of a box up to this width; wider planes every n-th row and
 * column, so a 1080p picture costs about what a 640-wide one does. */
#define SIGNATURE_FULL_WIDTH 640

void
ave_thumbnail_signature_compute (const guint8          *y,
                                 int                    y_stride,
                                 int                    width,
                                 int                    height,
                                 AveThumbnailSignature *out)
{
  int step;

  g_return_if_fail (y != NULL && width > 0 && height > 0);
  g_return_if_fail (out != NULL);

  step = MAX (1, (width + SIGNATURE_FULL_WIDTH - 1) / SIGNATURE_FULL_WIDTH);
  for (int sy = 0; sy < AVE_THUMBNAIL_SIGNATURE_H; sy++)
    {
      int y0 = sy * height / AVE_THUMBNAIL_SIGNATURE_H;
      int y1 = MAX (y0 + 1, (sy + 1) * height / AVE_THUMBNAIL_SIGNATURE_H);

      for (int sx = 0; sx < AVE_THUMBNAIL_SIGNATURE_W; sx++)
        {
          int x0 = sx * width / AVE_THUMBNAIL_SIGNATURE_W;
          int x1 = MAX (x0 + 1, (sx + 1) * width / AVE_THUMBNAIL_SIGNATURE_W);
          guint64 sum = 0, n = 0;

          for (int row = y0; row < MIN (y1, height); row += step)
            {
              const guint8 *line = y + (gsize) row * (gsize) y_stride;

              for (int x = x0; x < MIN (x1, width); x += step)
                sum += line[x];
              n += (guint64) ((MIN (x1, width) - x0 + step - 1) / step);
            }
          out->luma[sy * AVE_THUMBNAIL_SIGNATURE_W + sx] = (guint8) ((sum + n / 2) / MAX (n, 1));
        }
    }
}

double
ave_thumbnail_signature_distance (const AveThumbnailSignature *a,
                                  const AveThumbnailSignature *b)
{
  guint sum = 0;

  g_return_val_if_fail (a != NULL && b != NULL, 0.0);

  for (guint i = 0; i < G_N_ELEMENTS (a->luma); i++)
    sum += (guint) ABS ((int) a->luma[i] - (int) b->luma[i]);
  return (double) sum / G_N_ELEMENTS (a->luma);
}

static int
compare_time (gconstpointer a,
              gconstpointer b)
{
  return compare_double (*(const double *) a, *(const double *) b);
}

void
ave_analysis_sort (AveAnalysis *self)
{
  g_return_if_fail (self != NULL);

  /* g_array_sort is a stable merge sort, so equal keys keep their order
   * and the same input always gives the same output. */
  g_array_sort (self->shots, compare_shot);
  g_array_sort (self->highlights, compare_highlight);
  g_array_sort (self->thumbnail_candidates, ave_thumbnail_candidate_compare_best_first);
  g_array_sort (self->silences, compare_interval);
  g_array_sort (self->speech, compare_interval);
  g_array_sort (self->repeats, compare_repeat);
  g_array_sort (self->words, compare_word);
  g_array_sort (self->beats, compare_time);
  g_array_sort (self->keyframes, compare_time);
  g_array_sort (self->copy_ends, compare_time);
}

/* ------------------------------------------------------------- to JSON */

static const char * const shot_transition_names[] = {
  [AVE_SHOT_TRANSITION_NONE] = "none",
  [AVE_SHOT_TRANSITION_CUT] = "cut",
  [AVE_SHOT_TRANSITION_DISSOLVE] = "dissolve",
  [AVE_SHOT_TRANSITION_FADE] = "fade",
};

/* How many of a list's `n` items are written: at most what the reader
 * accepts, with a warning (added to `warnings`) when some are left out. */
static guint
items_to_write (const char *name,
                guint       n,
                GPtrArray  *warnings)
{
  if (n <= AVE_ANALYSIS_MAX_ITEMS)
    return n;
  g_ptr_array_add (warnings, g_strdup_printf ("%s: only the first %u of %u were kept (the most analysis.json holds)",
                                              name, (guint) AVE_ANALYSIS_MAX_ITEMS, n));
  return AVE_ANALYSIS_MAX_ITEMS;
}

static void
add_capped_string (JsonBuilder *builder,
                   const char  *value,
                   guint        max_chars)
{
  g_autofree char *valid = g_utf8_make_valid (value, -1);

  if ((gsize) g_utf8_strlen (valid, -1) > max_chars)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, max_chars);

      json_builder_add_string_value (builder, cut);
    }
  else
    json_builder_add_string_value (builder, valid);
}

static void
add_times (JsonBuilder *builder,
           const char  *name,
           GArray      *times,
           GPtrArray   *warnings)
{
  guint n = items_to_write (name, times->len, warnings);

  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      double t = g_array_index (times, double, i);

      json_builder_add_double_value (builder, isfinite (t) ? t : 0.0);
    }
  json_builder_end_array (builder);
}

static void
add_media (JsonBuilder        *builder,
           const AveMediaInfo *media)
{
  json_builder_set_member_name (builder, "media");
  if (media == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  ave_json_add_string (builder, "path", media->path);
  ave_json_add_int (builder, "size_bytes", media->size_bytes);
  ave_json_add_string (builder, "container", media->container);
  ave_json_add_double (builder, "duration", media->duration);
  ave_json_add_double (builder, "start_time", media->start_time);
  ave_json_add_int (builder, "bit_rate", media->bit_rate);
  ave_json_add_bool (builder, "has_video", media->has_video);
  ave_json_add_string (builder, "video_codec", media->video_codec);
  ave_json_add_int (builder, "width", media->width);
  ave_json_add_int (builder, "height", media->height);
  ave_json_add_int (builder, "rotation", media->rotation);
  ave_json_add_int (builder, "display_width", media->display_width);
  ave_json_add_int (builder, "display_height", media->display_height);
  ave_json_add_double (builder, "frame_rate", media->frame_rate);
  ave_json_add_bool (builder, "variable_frame_rate", media->variable_frame_rate);
  ave_json_add_int (builder, "n_frames_estimate", media->n_frames_estimate);
  ave_json_add_int (builder, "sample_aspect_num", media->sample_aspect_num);
  ave_json_add_int (builder, "sample_aspect_den", media->sample_aspect_den);
  ave_json_add_bool (builder, "has_audio", media->has_audio);
  ave_json_add_string (builder, "audio_codec", media->audio_codec);
  ave_json_add_int (builder, "sample_rate", media->sample_rate);
  ave_json_add_int (builder, "channels", media->channels);
  json_builder_end_object (builder);
}

static void
add_intervals (JsonBuilder  *builder,
               const char   *name,
               const GArray *intervals,
               GPtrArray    *warnings)
{
  guint n = items_to_write (name, intervals->len, warnings);

  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      const AveInterval *iv = &g_array_index (intervals, AveInterval, i);

      json_builder_begin_object (builder);
      ave_json_add_double (builder, "start", iv->start);
      ave_json_add_double (builder, "end", iv->end);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_repeats (JsonBuilder  *builder,
             const GArray *repeats,
             GPtrArray    *warnings)
{
  guint n = items_to_write ("repeats", repeats->len, warnings);

  json_builder_set_member_name (builder, "repeats");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      const AveRepeat *r = &g_array_index (repeats, AveRepeat, i);

      json_builder_begin_object (builder);
      ave_json_add_double (builder, "start", r->start);
      ave_json_add_double (builder, "end", r->end);
      ave_json_add_double (builder, "repeat_start", r->repeat_start);
      ave_json_add_double (builder, "repeat_end", r->repeat_end);
      ave_json_add_double (builder, "distance", r->distance);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

JsonNode *
ave_analysis_to_json (const AveAnalysis *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  guint n;

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (builder);
  ave_json_add_int (builder, "version", self->version > 0 ? self->version : AVE_ANALYSIS_VERSION);
  ave_json_add_string (builder, "source", self->source);
  add_media (builder, self->media);

  json_builder_set_member_name (builder, "shots");
  json_builder_begin_array (builder);
  n = items_to_write ("shots", self->shots->len, warnings);
  for (guint i = 0; i < n; i++)
    {
      const AveShot *shot = &g_array_index (self->shots, AveShot, i);
      guint t = (guint) shot->transition < G_N_ELEMENTS (shot_transition_names) ? shot->transition : 0;

      json_builder_begin_object (builder);
      ave_json_add_double (builder, "start", shot->start);
      ave_json_add_double (builder, "end", shot->end);
      ave_json_add_string (builder, "transition", shot_transition_names[t]);
      ave_json_add_double (builder, "transition_duration", shot->transition_duration);
      ave_json_add_double (builder, "exposure", shot->exposure);
      ave_json_add_double (builder, "contrast", shot->contrast);
      ave_json_add_double (builder, "sharpness", shot->sharpness);
      ave_json_add_double (builder, "motion", shot->motion);
      ave_json_add_double (builder, "mean_luma", shot->mean_luma);
      ave_json_add_double (builder, "quality", shot->quality);
      ave_json_add_double (builder, "highlight", shot->highlight);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_intervals (builder, "silences", self->silences, warnings);
  add_intervals (builder, "speech", self->speech, warnings);
  add_repeats (builder, self->repeats, warnings);

  json_builder_set_member_name (builder, "words");
  json_builder_begin_array (builder);
  n = items_to_write ("words", self->words->len, warnings);
  for (guint i = 0; i < n; i++)
    {
      const AveWord *w = &g_array_index (self->words, AveWord, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "word");
      add_capped_string (builder, w->word != NULL ? w->word : "", AVE_ANALYSIS_MAX_WORD_CHARS);
      ave_json_add_double (builder, "start", w->start);
      ave_json_add_double (builder, "end", w->end);
      ave_json_add_double (builder, "confidence", w->confidence);
      ave_json_add_bool (builder, "filler", w->filler);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "loudness");
  json_builder_begin_object (builder);
  ave_json_add_double (builder, "integrated_lufs", self->loudness.integrated_lufs);
  ave_json_add_double (builder, "loudness_range", self->loudness.loudness_range);
  ave_json_add_double (builder, "true_peak_dbtp", self->loudness.true_peak_dbtp);
  ave_json_add_double (builder, "sample_peak_dbfs", self->loudness.sample_peak_dbfs);
  json_builder_end_object (builder);

  add_times (builder, "beats", self->beats, warnings);
  ave_json_add_double (builder, "tempo_bpm", self->tempo_bpm);

  json_builder_set_member_name (builder, "highlights");
  json_builder_begin_array (builder);
  n = items_to_write ("highlights", self->highlights->len, warnings);
  for (guint i = 0; i < n; i++)
    {
      const AveHighlight *h = &g_array_index (self->highlights, AveHighlight, i);

      json_builder_begin_object (builder);
      ave_json_add_double (builder, "time", h->time);
      ave_json_add_double (builder, "score", h->score);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "thumbnail_candidates");
  json_builder_begin_array (builder);
  n = items_to_write ("thumbnail_candidates", self->thumbnail_candidates->len, warnings);
  for (guint i = 0; i < n; i++)
    {
      const AveThumbnailCandidate *c = &g_array_index (self->thumbnail_candidates,
                                                       AveThumbnailCandidate, i);

      json_builder_begin_object (builder);
      ave_json_add_double (builder, "time", c->time);
      ave_json_add_double (builder, "score", c->score);
      ave_json_add_double (builder, "sharpness", c->sharpness);
      ave_json_add_double (builder, "exposure", c->exposure);
      if (c->has_signature)
        {
          g_autofree char *encoded = g_base64_encode (c->signature.luma, sizeof c->signature.luma);

          ave_json_add_string (builder, "signature", encoded);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_times (builder, "keyframes", self->keyframes, warnings);
  add_times (builder, "copy_ends", self->copy_ends, warnings);
  ave_json_add_string (builder, "transcriber", self->transcriber);
  ave_json_add_string (builder, "language", ave_analysis_get_language (self));
  ave_json_add_string (builder, "compute_backend", self->compute_backend);

  json_builder_set_member_name (builder, "warnings");
  json_builder_begin_array (builder);
  /* The writer's own warnings (lists cut above) come first: they are
   * the ones a reader must see. */
  for (guint i = 0; i < warnings->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (warnings, i));
  for (guint i = 0; i < self->warnings->len && warnings->len + i < AVE_ANALYSIS_MAX_WARNINGS; i++)
    add_capped_string (builder, g_ptr_array_index (self->warnings, i), AVE_ANALYSIS_MAX_WARNING_CHARS);
  json_builder_end_array (builder);

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* ----------------------------------------------------------- from JSON */

/* Every error names the field by its path in the document
 * ("shots[3].end"), so a user editing analysis.json by hand, or a developer
 * reading a bug report, can find the offending value directly. */

static const AveJsonDocType analysis_document = {
  .kind = "analysis",
  .file_noun = "an analysis file",
  .format = { ave_analysis_error_quark, AVE_ANALYSIS_ERROR_INVALID, "a number", NULL },
  /* analysis.json has no codes of its own for these: it is regenerated,
   * not edited, and every caller treats a bad one alike. */
  .parse_code = AVE_ANALYSIS_ERROR_INVALID,
  .version_code = AVE_ANALYSIS_ERROR_INVALID,
  .newest_version = AVE_ANALYSIS_VERSION,
  .max_bytes = AVE_ANALYSIS_MAX_FILE_BYTES,
  .too_new_advice = "analyse the file again or update AI Video Editor",
};

static gboolean
check_range (const AveJsonFormat  *fmt,
             const char           *path,
             double                start,
             double                end,
             GError              **error)
{
  if (start < 0.0)
    {
      g_autofree char *p = ave_json_member_path (path, "start");

      ave_json_set_invalid (fmt, error, p, "must not be negative (%.3f)", start);
      return FALSE;
    }
  if (end > AVE_ANALYSIS_MAX_SECONDS)
    {
      g_autofree char *p = ave_json_member_path (path, "end");

      ave_json_set_invalid (fmt, error, p, "must be at most %.0f s (got %.3f)",
                            AVE_ANALYSIS_MAX_SECONDS, end);
      return FALSE;
    }
  if (end < start)
    {
      g_autofree char *p = ave_json_member_path (path, "end");

      ave_json_set_invalid (fmt, error, p, "must not be before start (%.3f < %.3f)", end, start);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_media (const AveJsonFormat  *fmt,
            JsonObject           *root,
            AveMediaInfo        **out,
            GError              **error)
{
  JsonNode *node = json_object_get_member (root, "media");
  JsonObject *obj;
  AveMediaInfo info = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *container = NULL;
  g_autofree char *video_codec = NULL;
  g_autofree char *audio_codec = NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (fmt, error, "media", "expected an object, found %s", ave_json_node_describe (node));
      return FALSE;
    }
  obj = json_node_get_object (node);

  if (!ave_json_read_string (fmt, obj, "media", "path", &path, error) ||
      !ave_json_read_int (fmt, obj, "media", "size_bytes", 0, &info.size_bytes, error) ||
      !ave_json_read_string (fmt, obj, "media", "container", &container, error) ||
      !ave_json_read_number (fmt, obj, "media", "duration", TRUE, 0, &info.duration, error) ||
      !ave_json_read_number (fmt, obj, "media", "start_time", FALSE, 0, &info.start_time, error) ||
      !ave_json_read_int (fmt, obj, "media", "bit_rate", 0, &info.bit_rate, error) ||
      !ave_json_read_bool (fmt, obj, "media", "has_video", FALSE, &info.has_video, error) ||
      !ave_json_read_string (fmt, obj, "media", "video_codec", &video_codec, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "width", &info.width, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "height", &info.height, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "rotation", &info.rotation, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "display_width", &info.display_width, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "display_height", &info.display_height, error) ||
      !ave_json_read_number (fmt, obj, "media", "frame_rate", FALSE, 0, &info.frame_rate, error) ||
      !ave_json_read_bool (fmt, obj, "media", "variable_frame_rate", FALSE, &info.variable_frame_rate, error) ||
      !ave_json_read_int (fmt, obj, "media", "n_frames_estimate", 0, &info.n_frames_estimate, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "sample_aspect_num", &info.sample_aspect_num, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "sample_aspect_den", &info.sample_aspect_den, error) ||
      !ave_json_read_bool (fmt, obj, "media", "has_audio", FALSE, &info.has_audio, error) ||
      !ave_json_read_string (fmt, obj, "media", "audio_codec", &audio_codec, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "sample_rate", &info.sample_rate, error) ||
      !ave_json_read_int32 (fmt, obj, "media", "channels", &info.channels, error))
    return FALSE;

  if (info.duration < 0 || info.duration > AVE_ANALYSIS_MAX_SECONDS)
    {
      ave_json_set_invalid (fmt, error, "media.duration", "must be from 0 to %.0f s (got %.3f)",
                            AVE_ANALYSIS_MAX_SECONDS, info.duration);
      return FALSE;
    }
  if (info.rotation != 0 && info.rotation != 90 && info.rotation != 180 && info.rotation != 270)
    {
      ave_json_set_invalid (fmt, error, "media.rotation", "must be 0, 90, 180 or 270 (got %d)", info.rotation);
      return FALSE;
    }
  if (info.width < 0 || info.height < 0 || info.display_width < 0 || info.display_height < 0)
    {
      ave_json_set_invalid (fmt, error, "media", "frame sizes must not be negative");
      return FALSE;
    }

  info.path = path;
  info.container = container;
  info.video_codec = video_codec;
  info.audio_codec = audio_codec;
  *out = ave_media_info_copy (&info);
  return TRUE;
}

static gboolean
read_intervals (const AveJsonFormat  *fmt,
                JsonObject           *root,
                const char           *member,
                GArray               *out,
                GError              **error)
{
  JsonArray *array;

  if (!ave_json_read_array_max (fmt, root, member, AVE_ANALYSIS_MAX_ITEMS, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s[%u]", member, i);
      JsonObject *obj = ave_json_array_object (fmt, array, i, path, error);
      AveInterval iv;

      if (obj == NULL ||
          !ave_json_read_number (fmt, obj, path, "start", TRUE, 0, &iv.start, error) ||
          !ave_json_read_number (fmt, obj, path, "end", TRUE, 0, &iv.end, error) ||
          !check_range (fmt, path, iv.start, iv.end, error))
        return FALSE;
      g_array_append_val (out, iv);
    }
  return TRUE;
}

static gboolean
read_repeats (const AveJsonFormat  *fmt,
              JsonObject           *root,
              GArray               *out,
              GError              **error)
{
  JsonArray *array;

  if (!ave_json_read_array_max (fmt, root, "repeats", AVE_ANALYSIS_MAX_ITEMS, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("repeats[%u]", i);
      JsonObject *obj = ave_json_array_object (fmt, array, i, path, error);
      AveRepeat r;

      if (obj == NULL ||
          !ave_json_read_number (fmt, obj, path, "start", TRUE, 0, &r.start, error) ||
          !ave_json_read_number (fmt, obj, path, "end", TRUE, 0, &r.end, error) ||
          !ave_json_read_number (fmt, obj, path, "repeat_start", TRUE, 0, &r.repeat_start, error) ||
          !ave_json_read_number (fmt, obj, path, "repeat_end", TRUE, 0, &r.repeat_end, error) ||
          !ave_json_read_number (fmt, obj, path, "distance", TRUE, 0, &r.distance, error) ||
          !check_range (fmt, path, r.start, r.end, error) ||
          !check_range (fmt, path, r.repeat_start, r.repeat_end, error))
        return FALSE;
      if (r.repeat_start < r.end)
        {
          g_autofree char *p = ave_json_member_path (path, "repeat_start");

          ave_json_set_invalid (fmt, error, p, "must not be before the first take's end (%.3f < %.3f)",
                                r.repeat_start, r.end);
          return FALSE;
        }
      g_array_append_val (out, r);
    }
  return TRUE;
}

static gboolean
read_shots (const AveJsonFormat  *fmt,
            JsonObject           *root,
            GArray               *out,
            GError              **error)
{
  JsonArray *array;

  if (!ave_json_read_array_max (fmt, root, "shots", AVE_ANALYSIS_MAX_ITEMS, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("shots[%u]", i);
      g_autofree char *transition = NULL;
      JsonObject *obj = ave_json_array_object (fmt, array, i, path, error);
      AveShot shot = { 0 };

      if (obj == NULL ||
          !ave_json_read_number (fmt, obj, path, "start", TRUE, 0, &shot.start, error) ||
          !ave_json_read_number (fmt, obj, path, "end", TRUE, 0, &shot.end, error) ||
          !check_range (fmt, path, shot.start, shot.end, error) ||
          !ave_json_read_string (fmt, obj, path, "transition", &transition, error) ||
          !ave_json_read_number (fmt, obj, path, "transition_duration", FALSE, 0, &shot.transition_duration, error) ||
          !ave_json_read_number (fmt, obj, path, "exposure", FALSE, 0, &shot.exposure, error) ||
          !ave_json_read_number (fmt, obj, path, "contrast", FALSE, 0, &shot.contrast, error) ||
          !ave_json_read_number (fmt, obj, path, "sharpness", FALSE, 0, &shot.sharpness, error) ||
          !ave_json_read_number (fmt, obj, path, "motion", FALSE, 0, &shot.motion, error) ||
          !ave_json_read_number (fmt, obj, path, "mean_luma", FALSE, 0, &shot.mean_luma, error) ||
          !ave_json_read_number (fmt, obj, path, "quality", FALSE, 0, &shot.quality, error) ||
          !ave_json_read_number (fmt, obj, path, "highlight", FALSE, 0, &shot.highlight, error))
        return FALSE;

      if (transition == NULL)
        shot.transition = i == 0 ? AVE_SHOT_TRANSITION_NONE : AVE_SHOT_TRANSITION_CUT;
      else
        {
          gboolean found = FALSE;

          for (guint t = 0; t < G_N_ELEMENTS (shot_transition_names); t++)
            if (g_str_equal (transition, shot_transition_names[t]))
              {
                shot.transition = t;
                found = TRUE;
              }
          if (!found)
            {
              g_autofree char *p = ave_json_member_path (path, "transition");

              ave_json_set_invalid (fmt, error, p, "unknown transition \"%s\" (expected none, cut, dissolve or fade)",
                           transition);
              return FALSE;
            }
        }

      if (shot.transition_duration < 0)
        {
          g_autofree char *p = ave_json_member_path (path, "transition_duration");

          ave_json_set_invalid (fmt, error, p, "must not be negative (%.3f)", shot.transition_duration);
          return FALSE;
        }

      g_array_append_val (out, shot);
    }
  return TRUE;
}

static gboolean
read_words (const AveJsonFormat  *fmt,
            JsonObject           *root,
            AveAnalysis          *self,
            GError              **error)
{
  JsonArray *array;

  if (!ave_json_read_array_max (fmt, root, "words", AVE_ANALYSIS_MAX_ITEMS, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("words[%u]", i);
      g_autofree char *word = NULL;
      JsonObject *obj = ave_json_array_object (fmt, array, i, path, error);
      double start, end, confidence;
      gboolean filler;

      if (obj == NULL ||
          !ave_json_read_string_max (fmt, obj, path, "word", AVE_ANALYSIS_MAX_WORD_CHARS, &word, error))
        return FALSE;
      if (word == NULL)
        {
          g_autofree char *p = ave_json_member_path (path, "word");

          ave_json_set_invalid (fmt, error, p, "missing (expected a string)");
          return FALSE;
        }
      if (!ave_json_read_number (fmt, obj, path, "start", TRUE, 0, &start, error) ||
          !ave_json_read_number (fmt, obj, path, "end", TRUE, 0, &end, error) ||
          !check_range (fmt, path, start, end, error) ||
          !ave_json_read_number (fmt, obj, path, "confidence", FALSE, 1.0, &confidence, error) ||
          !ave_json_read_bool (fmt, obj, path, "filler", FALSE, &filler, error))
        return FALSE;
      if (confidence < 0 || confidence > 1)
        {
          g_autofree char *p = ave_json_member_path (path, "confidence");

          ave_json_set_invalid (fmt, error, p, "must be between 0 and 1 (got %g)", confidence);
          return FALSE;
        }

      ave_analysis_add_word (self, word, start, end, confidence, filler);
    }
  return TRUE;
}

static gboolean
read_loudness (const AveJsonFormat  *fmt,
               JsonObject           *root,
               AveLoudness          *out,
               GError              **error)
{
  JsonNode *node = json_object_get_member (root, "loudness");
  JsonObject *obj;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (fmt, error, "loudness", "expected an object, found %s", ave_json_node_describe (node));
      return FALSE;
    }
  obj = json_node_get_object (node);

  return ave_json_read_number (fmt, obj, "loudness", "integrated_lufs", FALSE, out->integrated_lufs,
                      &out->integrated_lufs, error) &&
         ave_json_read_number (fmt, obj, "loudness", "loudness_range", FALSE, out->loudness_range,
                      &out->loudness_range, error) &&
         ave_json_read_number (fmt, obj, "loudness", "true_peak_dbtp", FALSE, out->true_peak_dbtp,
                      &out->true_peak_dbtp, error) &&
         ave_json_read_number (fmt, obj, "loudness", "sample_peak_dbfs", FALSE, out->sample_peak_dbfs,
                      &out->sample_peak_dbfs, error);
}

/* An array of times in seconds ("beats", "keyframes", "copy_ends"). */
static gboolean
read_times (const AveJsonFormat  *fmt,
            JsonObject           *root,
            const char           *member,
            GArray               *out,
            GError              **error)
{
  JsonArray *array;

  if (!ave_json_read_array_max (fmt, root, member, AVE_ANALYSIS_MAX_ITEMS, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s[%u]", member, i);
      double time;

      if (!ave_json_node_get_number (fmt, json_array_get_element (array, i), path,
                                     0.0, AVE_ANALYSIS_MAX_SECONDS, &time, error))
        return FALSE;
      g_array_append_val (out, time);
    }
  return TRUE;
}

/* A candidate's "signature": base64 of its 16 x 9 box means. */
static gboolean
read_signature (const AveJsonFormat    *fmt,
                JsonObject             *obj,
                const char             *path,
                AveThumbnailCandidate  *c,
                GError                **error)
{
  g_autofree char *text = NULL;
  g_autofree guchar *bytes = NULL;
  gsize length = 0;

  if (!ave_json_read_string_max (fmt, obj, path, "signature", 4 * sizeof c->signature.luma, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  bytes = g_base64_decode (text, &length);
  if (length != sizeof c->signature.luma)
    {
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID,
                   "%s.signature: expected %u bytes in base64, found %" G_GSIZE_FORMAT,
                   path, (guint) sizeof c->signature.luma, length);
      return FALSE;
    }
  memcpy (c->signature.luma, bytes, length);
  c->has_signature = TRUE;
  return TRUE;
}

/* "highlights" and "thumbnail_candidates" are both lists of scored moments:
 * one reader for both; only candidates carry how sharp and well exposed
 * the frame is. */
static gboolean
read_scored_times (const AveJsonFormat  *fmt,
                   JsonObject           *root,
                   const char           *member,
                   gboolean              with_frame_quality,
                   GArray               *out,
                   GError              **error)
{
  JsonArray *array;

  if (!ave_json_read_array_max (fmt, root, member, AVE_ANALYSIS_MAX_ITEMS, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s[%u]", member, i);
      JsonObject *obj = ave_json_array_object (fmt, array, i, path, error);
      AveThumbnailCandidate c = { 0 };

      if (obj == NULL ||
          !ave_json_read_number_in (fmt, obj, path, "time", TRUE, 0, 0.0, AVE_ANALYSIS_MAX_SECONDS,
                                    &c.time, error) ||
          !ave_json_read_number (fmt, obj, path, "score", TRUE, 0, &c.score, error))
        return FALSE;
      if (with_frame_quality)
        {
          if (!ave_json_read_number (fmt, obj, path, "sharpness", FALSE, 0, &c.sharpness, error) ||
              !ave_json_read_number (fmt, obj, path, "exposure", FALSE, 0, &c.exposure, error) ||
              !read_signature (fmt, obj, path, &c, error))
            return FALSE;
          g_array_append_val (out, c);
        }
      else
        {
          AveHighlight h = { c.time, c.score };

          g_array_append_val (out, h);
        }
    }
  return TRUE;
}

static gboolean
read_warnings (const AveJsonFormat  *fmt,
               JsonObject           *root,
               AveAnalysis          *self,
               GError              **error)
{
  JsonArray *array;

  if (!ave_json_read_array_max (fmt, root, "warnings", AVE_ANALYSIS_MAX_WARNINGS, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("warnings[%u]", i);
      const char *warning = ave_json_node_get_string (fmt, json_array_get_element (array, i), path,
                                                      AVE_ANALYSIS_MAX_WARNING_CHARS, error);

      if (warning == NULL)
        return FALSE;
      g_ptr_array_add (self->warnings, g_strdup (warning));
    }
  return TRUE;
}

/* Reads an analysis from its document: the header is checked already. */
static AveAnalysis *
analysis_from_document (AveJsonDoc  *document,
                        GError      **error)
{
  const AveJsonFormat *fmt = ave_json_doc_get_format (document);
  JsonObject *root = ave_json_doc_get_root (document);
  g_autoptr(AveAnalysis) self = NULL;
  g_autofree char *source = NULL;

  if (!ave_json_read_string (fmt, root, NULL, "source", &source, error))
    return NULL;

  self = ave_analysis_new (source, NULL);
  self->version = (int) ave_json_doc_get_version (document);

  if (!read_media (fmt, root, &self->media, error) ||
      !read_shots (fmt, root, self->shots, error) ||
      !read_intervals (fmt, root, "silences", self->silences, error) ||
      !read_intervals (fmt, root, "speech", self->speech, error) ||
      !read_repeats (fmt, root, self->repeats, error) ||
      !read_words (fmt, root, self, error) ||
      !read_loudness (fmt, root, &self->loudness, error) ||
      !read_times (fmt, root, "beats", self->beats, error) ||
      !read_times (fmt, root, "keyframes", self->keyframes, error) ||
      !read_times (fmt, root, "copy_ends", self->copy_ends, error) ||
      !ave_json_read_number (fmt, root, NULL, "tempo_bpm", FALSE, 0, &self->tempo_bpm, error) ||
      !read_scored_times (fmt, root, "highlights", FALSE, self->highlights, error) ||
      !read_scored_times (fmt, root, "thumbnail_candidates", TRUE, self->thumbnail_candidates, error) ||
      !ave_json_read_string (fmt, root, NULL, "transcriber", &self->transcriber, error) ||
      !ave_json_read_string_max (fmt, root, NULL, "language", AVE_ANALYSIS_MAX_LANGUAGE_CHARS,
                                 &self->language, error) ||
      !ave_json_read_string (fmt, root, NULL, "compute_backend", &self->compute_backend, error) ||
      !read_warnings (fmt, root, self, error))
    return NULL;

  if (self->language != NULL && !is_language_tag (self->language))
    {
      ave_json_set_invalid (fmt, error, "language",
                            "'%s' is not a BCP 47 language tag such as \"en\" or \"pt-BR\"", self->language);
      return NULL;
    }

  if (self->tempo_bpm < 0 || self->tempo_bpm > 10000)
    {
      ave_json_set_invalid (fmt, error, "tempo_bpm", "%s (got %g)",
                            self->tempo_bpm < 0 ? "must not be negative" : "must be at most 10000", self->tempo_bpm);
      return NULL;
    }

  /* A hand-edited file may list things out of order; every reader relies
   * on sorted arrays. */
  ave_analysis_sort (self);

  return g_steal_pointer (&self);
}

AveAnalysis *
ave_analysis_from_json (JsonNode  *node,
                        GError   **error)
{
  g_autoptr(AveJsonDoc) document = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  document = ave_json_doc_new (&analysis_document, node, NULL, error);
  if (document == NULL)
    return NULL;
  return analysis_from_document (document, error);
}

/* ------------------------------------------------------------- files */

gboolean
ave_analysis_save (const AveAnalysis  *self,
                   const char         *path,
                   GError            **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  root = ave_analysis_to_json (self);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, &length);
  if (length > AVE_ANALYSIS_MAX_FILE_BYTES)
    {
      /* Never write a file that ave_analysis_load() would refuse. */
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                   "%s not written: the analysis is %.0f MiB, more than the %.0f MiB analysis.json may be",
                   path, length / 1048576.0, AVE_ANALYSIS_MAX_FILE_BYTES / 1048576.0);
      return FALSE;
    }

  /* g_file_set_contents writes a temporary file in the same folder and
   * renames it over `path`, so readers never see a half-written file. */
  return g_file_set_contents (path, data, (gssize) length, error);
}

AveAnalysis *
ave_analysis_load (const char  *path,
                   GError     **error)
{
  g_autoptr(AveJsonDoc) document = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  /* Every error names the file: ave_json_doc_load() puts it first. */
  document = ave_json_doc_load (&analysis_document, path, error);
  if (document == NULL)
    return NULL;
  return analysis_from_document (document, error);
}

AveAnalysis *
ave_analysis_load_for_input (const char *analysis_path,
                             const char *input)
{
  g_autoptr(AveAnalysis) analysis = NULL;
  GStatBuf input_stat, analysis_stat;

  if (g_stat (input, &input_stat) != 0 || g_stat (analysis_path, &analysis_stat) != 0 ||
      analysis_stat.st_mtime < input_stat.st_mtime)
    return NULL;
  analysis = ave_analysis_load (analysis_path, NULL);
  if (analysis == NULL || analysis->source == NULL || !ave_file_is_same (analysis->source, input))
    return NULL;
  return g_steal_pointer (&analysis);
}
