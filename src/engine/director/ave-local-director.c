#define G_LOG_DOMAIN "ave-local-director"

#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ave-error.h"
#include "ave-keywords.h"
#include "ave-local-director.h"
#include "ave-plan-words.h"

/* A cut point moves to a shot change this close, so the cut hides in a
 * change of picture the viewer expects anyway. */
#define SNAP_WINDOW 0.3
/* Kept pieces closer than this are joined: a jump cut that removes a
 * fifth of a second is more jarring than the pause it removes. */
#define MERGE_GAP 0.2
/* When the render will smart cut (--mode fast), a piece may take back
 * this much of a cut pause to start at a keyframe of the source (copied,
 * not encoded again) or to end at one (its last GOP copied whole). */
#define KEYFRAME_SNAP_WINDOW 1.0
/* A segment "starts at a shot change" when within this of one. */
#define SHOT_MATCH 0.05
/* A silence touching a filler word within this is part of the hesitation. */
#define FILLER_REACH 0.1
/* Shorter dissolves read as a glitch rather than a transition. */
#define MIN_CROSSFADE 0.04
/* The shortest chapter worth a title. */
#define CHAPTER_MIN_SPACING 30.0
/* A cut pause this long (or longer than twice cut_silence_min) is a
 * likely change of topic, so a chapter may start there. */
#define CHAPTER_PAUSE 2.0
/* Music: the lowest-quality fifth of the shots is dropped when there are
 * at least this many. */
#define MUSIC_MIN_SHOTS_TO_DROP 5
/* Retakes (docs/plan-schema.md, "How the local director builds a plan"):
 * a pause this long between two words ends a sentence (or a false start);
 * a sentence is a retake of the one right after it when its words match
 * the first words of that one with a word-level edit distance of at most
 * RETAKE_MAX_DISTANCE of its length, it has at least RETAKE_MIN_WORDS
 * words (a two-word start must match exactly), it is at most one word
 * longer than the later take, and the later take starts within
 * RETAKE_MAX_GAP of its end.  Or by their sound: the analysis found the
 * earlier take said again at the start of the later one (a repeat,
 * analysis/ave-voice-print.h); the words' edges may be RETAKE_SOUND_SLACK
 * off the sound's (recognisers place them loosely in quiet). */
#define RETAKE_SENTENCE_PAUSE 0.45
#define RETAKE_MAX_DISTANCE   0.2
#define RETAKE_MIN_WORDS      2
#define RETAKE_MAX_GAP        10.0
#define RETAKE_SOUND_SLACK    0.35

typedef struct
{
  double   start, end;
  char    *reason;
  gboolean disabled;   /* kept in the plan, switched off (a retake) */
} Piece;

typedef struct
{
  const AveAnalysis *analysis;
  const AveSettings *settings;
  double             duration;
  double             padding;
  GArray            *shot_bounds;  /* double: shot starts after the first, sorted */
  GArray            *filler_cuts;  /* AveInterval: fillers being removed */
  GArray            *retakes;      /* Retake: earlier takes being removed */
  const AveDirectorGuide *guide;   /* another director's decisions, or NULL */
} Director;

typedef struct
{
  double start, end;     /* source range removed: the take and the pause after it */
  double kept_start;     /* where the take that is kept begins */
  double kept_end;
  char  *kept_text;      /* its first words, for the reason */
} Retake;

static void
clear_retake (gpointer data)
{
  Retake *retake = data;

  g_clear_pointer (&retake->kept_text, g_free);
}

static void
clear_piece (gpointer data)
{
  Piece *piece = data;

  g_clear_pointer (&piece->reason, g_free);
}

static GArray *
piece_array_new (void)
{
  GArray *pieces = g_array_new (FALSE, TRUE, sizeof (Piece));

  g_array_set_clear_func (pieces, clear_piece);
  return pieces;
}

/* Times come out of sums such as 7.28 + 0.15 = 7.430000000000001; a
 * microsecond grid keeps plan.json readable and changes no frame. */
static double
round_time (double t)
{
  return round (t * 1e6) / 1e6;
}

static void
add_piece (GArray     *pieces,
           double      start,
           double      end,
           const char *reason)
{
  Piece piece = { start, end, g_strdup (reason), FALSE };

  g_array_append_val (pieces, piece);
}

/* ------------------------------------------------------ interval lists */

static int
compare_interval (gconstpointer a,
                  gconstpointer b)
{
  const AveInterval *ia = a, *ib = b;

  if (ia->start != ib->start)
    return ia->start < ib->start ? -1 : 1;
  if (ia->end != ib->end)
    return ia->end < ib->end ? -1 : 1;
  return 0;
}

/* Sorts and merges overlapping or touching intervals; drops empty ones. */
static void
intervals_normalize (GArray *list)
{
  guint out = 0;

  g_array_sort (list, compare_interval);
  for (guint i = 0; i < list->len; i++)
    {
      AveInterval iv = g_array_index (list, AveInterval, i);

      if (iv.end <= iv.start)
        continue;
      if (out > 0 && iv.start <= g_array_index (list, AveInterval, out - 1).end)
        {
          AveInterval *last = &g_array_index (list, AveInterval, out - 1);

          last->end = MAX (last->end, iv.end);
          continue;
        }
      g_array_index (list, AveInterval, out++) = iv;
    }
  g_array_set_size (list, out);
}

/* Removes [hole_start, hole_end] from every interval of the list. */
static void
intervals_subtract (GArray *list,
                    double  hole_start,
                    double  hole_end)
{
  if (hole_end <= hole_start)
    return;

  for (guint i = 0; i < list->len; i++)
    {
      AveInterval *iv = &g_array_index (list, AveInterval, i);

      if (iv->end <= hole_start || iv->start >= hole_end)
        continue;

      if (iv->start < hole_start && iv->end > hole_end)
        {
          AveInterval tail = { hole_end, iv->end };

          iv->end = hole_start;
          g_array_insert_val (list, i + 1, tail);
          i++;
        }
      else if (iv->start < hole_start)
        iv->end = hole_start;
      else if (iv->end > hole_end)
        iv->start = hole_end;
      else
        {
          g_array_remove_index (list, i);
          i--;
        }
    }
}

static gboolean
intervals_overlap (double a_start,
                   double a_end,
                   double b_start,
                   double b_end)
{
  return a_end > b_start && a_start < b_end;
}

/* --------------------------------------------------------------- words */

static gboolean
word_is_filler (const Director *d,
                const AveWord  *word)
{
  return word->filler || (word->word != NULL && ave_settings_is_filler_word (d->settings, word->word));
}

/* A word the edit must keep whole: every word, except fillers when the
 * settings ask to remove them. */
static gboolean
word_is_kept (const Director *d,
              const AveWord  *word)
{
  return !(d->settings->cut_fillers && word_is_filler (d, word));
}

static gboolean
range_touches_kept_word (const Director *d,
                         double          start,
                         double          end)
{
  GArray *words = d->analysis->words;

  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *w = &g_array_index (words, AveWord, i);

      if (w->start >= end)
        break;
      if (word_is_kept (d, w) && intervals_overlap (w->start, w->end, start, end))
        return TRUE;
    }
  return FALSE;
}

static guint
count_kept_words (const Director *d,
                  double          start,
                  double          end)
{
  GArray *words = d->analysis->words;
  guint n = 0;

  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *w = &g_array_index (words, AveWord, i);

      if (w->start >= end)
        break;
      if (word_is_kept (d, w) && intervals_overlap (w->start, w->end, start, end))
        n++;
    }
  return n;
}

static gboolean
range_touches_filler_cut (const Director *d,
                          double          start,
                          double          end)
{
  for (guint i = 0; i < d->filler_cuts->len; i++)
    {
      const AveInterval *iv = &g_array_index (d->filler_cuts, AveInterval, i);

      if (intervals_overlap (iv->start, iv->end, start, end))
        return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------ speech editing */

static void
add_silence_cuts (Director *d,
                  GArray   *cuts)
{
  GArray *silences = d->analysis->silences;
  GArray *words = d->analysis->words;
  g_autoptr(GArray) silence_cuts = g_array_new (FALSE, FALSE, sizeof (AveInterval));

  for (guint i = 0; i < silences->len; i++)
    {
      const AveInterval *s = &g_array_index (silences, AveInterval, i);
      double start = CLAMP (s->start, 0.0, d->duration);
      double end = CLAMP (s->end, 0.0, d->duration);
      AveInterval cut;

      if (end - start < d->settings->cut_silence_min)
        continue;

      /* Padding keeps the breath around words; at the very start and end
       * of the recording there is no word on the other side to pad. */
      cut.start = start <= 1e-3 ? 0.0 : start + d->padding;
      cut.end = end >= d->duration - 1e-3 ? d->duration : end - d->padding;
      if (cut.end > cut.start)
        g_array_append_val (silence_cuts, cut);
    }

  /* A word the silence detector partly covered (a soft ending, a quiet
   * first syllable) is kept whole with its padding. */
  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *w = &g_array_index (words, AveWord, i);

      if (word_is_kept (d, w))
        intervals_subtract (silence_cuts, w->start - d->padding, w->end + d->padding);
    }

  g_array_append_vals (cuts, silence_cuts->data, silence_cuts->len);
}

static void
add_filler_cuts (Director *d,
                 GArray   *cuts)
{
  GArray *words = d->analysis->words;
  GArray *silences = d->analysis->silences;

  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *f = &g_array_index (words, AveWord, i);
      const AveWord *prev = NULL;
      const AveWord *next = NULL;
      AveInterval cut;

      if (!word_is_filler (d, f))
        continue;

      cut.start = f->start;
      cut.end = f->end;

      /* The hesitation includes the pause around the filler: removing
       * "um" but keeping the silence after it leaves a gap. */
      for (guint j = 0; j < silences->len; j++)
        {
          const AveInterval *s = &g_array_index (silences, AveInterval, j);

          if (s->start <= f->start + FILLER_REACH && s->end >= f->start - FILLER_REACH)
            cut.start = MIN (cut.start, s->start);
          if (s->start <= f->end + FILLER_REACH && s->end >= f->end - FILLER_REACH)
            cut.end = MAX (cut.end, s->end);
        }

      for (guint j = i; j-- > 0;)
        {
          const AveWord *w = &g_array_index (words, AveWord, j);

          if (!word_is_filler (d, w))
            {
              prev = w;
              break;
            }
        }
      for (guint j = i + 1; j < words->len; j++)
        {
          const AveWord *w = &g_array_index (words, AveWord, j);

          if (!word_is_filler (d, w))
            {
              next = w;
              break;
            }
        }

      /* The hesitation also includes a pause too short to count as a
       * silence: everything between the neighbours' padding goes. */
      if (prev != NULL)
        cut.start = MIN (cut.start, prev->end + d->padding);
      if (next != NULL)
        cut.end = MAX (cut.end, next->start - d->padding);

      /* Neighbouring words keep their padding where the filler leaves room
       * for it, and are never clipped. */
      if (prev != NULL)
        cut.start = MAX (cut.start, MAX (prev->end, MIN (prev->end + d->padding, f->start)));
      if (next != NULL)
        cut.end = MIN (cut.end, MIN (next->start, MAX (next->start - d->padding, f->end)));

      cut.start = MAX (cut.start, 0.0);
      cut.end = MIN (cut.end, d->duration);
      if (cut.end - cut.start > 0.01)
        {
          g_array_append_val (cuts, cut);
          g_array_append_val (d->filler_cuts, cut);
        }
    }
}

/* ------------------------------------------------------------- retakes */

typedef struct
{
  guint first, last;     /* indexes in the analysis' words (fillers included) */
  GPtrArray *tokens;     /* the words compared: no fillers, lower case, letters and digits */
} Sentence;

static void
clear_sentence (gpointer data)
{
  Sentence *sentence = data;

  g_clear_pointer (&sentence->tokens, g_ptr_array_unref);
}

/* "Don't," → "dont": recognisers and hand edits differ in punctuation
 * and case, not in what was said. */
static char *
normalise_word (const char *word)
{
  GString *out = g_string_new (NULL);

  for (const char *p = word; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      if (g_unichar_isalnum (c))
        g_string_append_unichar (out, g_unichar_tolower (c));
    }
  return g_string_free (out, FALSE);
}

static GArray *
split_sentences (const Director *d)
{
  GArray *words = d->analysis->words;
  GArray *sentences = g_array_new (FALSE, TRUE, sizeof (Sentence));
  Sentence current = { 0 };
  double last_end = -G_MAXDOUBLE;

  g_array_set_clear_func (sentences, clear_sentence);
  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *w = &g_array_index (words, AveWord, i);
      g_autofree char *token = NULL;

      if (current.tokens != NULL && w->start - last_end >= RETAKE_SENTENCE_PAUSE)
        {
          g_array_append_val (sentences, current);
          memset (&current, 0, sizeof current);
        }
      if (current.tokens == NULL)
        {
          current.tokens = g_ptr_array_new_with_free_func (g_free);
          current.first = i;
        }
      current.last = i;
      last_end = MAX (last_end, w->end);
      if (word_is_filler (d, w))
        continue;
      token = normalise_word (w->word);
      if (*token != '\0')
        g_ptr_array_add (current.tokens, g_steal_pointer (&token));
    }
  if (current.tokens != NULL)
    g_array_append_val (sentences, current);
  return sentences;
}

/* Word-level Levenshtein distance between a[0..na) and b[0..nb). */
static guint
word_distance (GPtrArray *a,
               guint      na,
               GPtrArray *b,
               guint      nb)
{
  g_autofree guint *row = g_new (guint, nb + 1);

  for (guint j = 0; j <= nb; j++)
    row[j] = j;
  for (guint i = 1; i <= na; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (guint j = 1; j <= nb; j++)
        {
          guint above = row[j];
          guint cost = g_str_equal (g_ptr_array_index (a, i - 1), g_ptr_array_index (b, j - 1)) ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[nb];
}

/* Whether `earlier` is a take (or a false start) of `later`: its words
 * are nearly the first words of `later`. */
static gboolean
is_retake_of (const Sentence *earlier,
              const Sentence *later)
{
  guint na = earlier->tokens->len;
  guint nb = later->tokens->len;
  guint compared, distance;

  if (na < RETAKE_MIN_WORDS || na > nb + 1)
    return FALSE;
  compared = MIN (na, nb);
  distance = word_distance (earlier->tokens, na, later->tokens, compared);
  if (na <= RETAKE_MIN_WORDS)
    return distance == 0;
  return distance <= RETAKE_MAX_DISTANCE * na;
}

/* Sentences the analysis heard said again (analysis.json's repeats): all
 * sentences inside a repeat's first take (give or take RETAKE_SOUND_SLACK,
 * none reaching out of it) are earlier takes of the sentence that follows
 * them, when that one starts where the repeat does.  The recogniser may
 * have split the first take in two, or heard other words in each take. */
static void
find_sound_retakes (const Director *d,
                    GArray         *sentences,
                    int            *kept_of)
{
  GArray *words = d->analysis->words;
  GArray *repeats = d->analysis->repeats;

  for (guint r = 0; repeats != NULL && r < repeats->len; r++)
    {
      const AveRepeat *repeat = &g_array_index (repeats, AveRepeat, r);
      int first = -1, last = -1;
      gboolean straddles = FALSE;

      for (guint i = 0; i < sentences->len; i++)
        {
          const Sentence *s = &g_array_index (sentences, Sentence, i);
          double start = g_array_index (words, AveWord, s->first).start;
          double end = g_array_index (words, AveWord, s->last).end;
          gboolean inside = start >= repeat->start - RETAKE_SOUND_SLACK && end <= repeat->end + RETAKE_SOUND_SLACK;

          if (inside)
            {
              if (first < 0)
                first = i;
              last = i;
            }
          else if (start < repeat->end && end > repeat->start)
            straddles = TRUE;
        }
      if (first < 0 || straddles || (guint) last + 1 >= sentences->len)
        continue;
      {
        const Sentence *next = &g_array_index (sentences, Sentence, last + 1);
        double next_start = g_array_index (words, AveWord, next->first).start;

        if (fabs (next_start - repeat->repeat_start) > RETAKE_SOUND_SLACK)
          continue;
      }
      for (int i = first; i <= last; i++)
        if (kept_of[i] < 0)
          kept_of[i] = last + 1;
    }
  /* kept_of points forwards: from the end, each ends at the last take. */
  for (guint i = sentences->len; i-- > 0;)
    if (kept_of[i] >= 0 && kept_of[kept_of[i]] >= 0)
      kept_of[i] = kept_of[kept_of[i]];
}

static char *
sentence_text (const Director *d,
               const Sentence *sentence,
               guint           max_words)
{
  GString *out = g_string_new (NULL);
  guint n = 0;

  for (guint i = sentence->first; i <= sentence->last; i++)
    {
      const AveWord *w = &g_array_index (d->analysis->words, AveWord, i);

      if (word_is_filler (d, w) || w->word == NULL)
        continue;
      if (n == max_words)
        {
          g_string_append (out, "…");
          break;
        }
      if (n > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, w->word);
      n++;
    }
  return g_string_free (out, FALSE);
}

/* Finds the earlier takes of repeated sentences: each is removed from the
 * first word's padding to the padding before the next take, so the kept
 * take follows what came before the first one. */
static void
find_retakes (Director *d)
{
  GArray *words = d->analysis->words;
  g_autoptr(GArray) sentences = split_sentences (d);
  g_autofree int *kept_of = NULL;

  if (sentences->len < 2)
    return;
  /* kept_of[i]: the sentence whose take replaces sentence i, or -1; from
   * the end, so that three takes all point at the last one. */
  kept_of = g_new (int, sentences->len);
  for (guint i = 0; i < sentences->len; i++)
    kept_of[i] = -1;
  for (guint i = sentences->len - 1; i-- > 0;)
    {
      const Sentence *a = &g_array_index (sentences, Sentence, i);
      const Sentence *b = &g_array_index (sentences, Sentence, i + 1);
      const AveWord *a_last = &g_array_index (words, AveWord, a->last);
      const AveWord *b_first = &g_array_index (words, AveWord, b->first);

      if (b_first->start - a_last->end > RETAKE_MAX_GAP || !is_retake_of (a, b))
        continue;
      kept_of[i] = kept_of[i + 1] >= 0 ? kept_of[i + 1] : (int) i + 1;
    }
  find_sound_retakes (d, sentences, kept_of);

  for (guint i = 0; i < sentences->len; i++)
    {
      const Sentence *a = &g_array_index (sentences, Sentence, i);
      const Sentence *kept;
      Retake retake = { 0 };

      if (kept_of[i] < 0)
        continue;
      kept = &g_array_index (sentences, Sentence, kept_of[i]);
      /* from the first word's padding to the padding before the next take
       * (sentence i + 1, whose first word follows a->last) */
      ave_words_removal_range (words, a->first, a->last, d->padding, d->duration,
                               &retake.start, &retake.end);
      if (i > 0 && kept_of[i - 1] == kept_of[i])
        {
          /* one take the recogniser split in two: one retake */
          Retake *previous = &g_array_index (d->retakes, Retake, d->retakes->len - 1);

          previous->end = retake.end;
          continue;
        }
      retake.kept_start = g_array_index (words, AveWord, kept->first).start;
      retake.kept_end = g_array_index (words, AveWord, kept->last).end;
      retake.kept_text = sentence_text (d, kept, 6);
      g_array_append_val (d->retakes, retake);
    }
}

static char *
speech_reason (const Director *d,
               double          start,
               double          end)
{
  guint n_words = count_kept_words (d, start, end);

  if (n_words == 0)
    return g_strdup ("sound between pauses");
  return g_strdup_printf ("speech (%u word%s)", n_words, n_words == 1 ? "" : "s");
}

/* What is left of a kept piece beside a retake is worth a segment when
 * something is said in it or it is not a sliver of pause. */
static gboolean
worth_keeping (const Director *d,
               double          start,
               double          end)
{
  return end - start >= 0.01 &&
         (count_kept_words (d, start, end) > 0 || end - start >= d->settings->min_segment_duration);
}

/* Splits the pieces at a removed range and switches off the parts inside
 * it: they stay in the plan, so the timeline can bring them back. */
static void
disable_range (Director   *d,
               GArray     *pieces,
               double      range_start,
               double      range_end,
               const char *reason)
{
  for (guint i = 0; i < pieces->len; i++)
    {
      Piece *piece = &g_array_index (pieces, Piece, i);
      double start = piece->start, end = piece->end;
      double inside_start = MAX (start, range_start);
      double inside_end = MIN (end, range_end);

      if (piece->disabled || inside_end - inside_start < 0.01)
        continue;
      /* Only the words themselves are kept (switched off) in the plan;
       * the pause around them is simply cut. */
      if (count_kept_words (d, inside_start, inside_end) == 0)
        {
          Piece *rest = piece;

          if (worth_keeping (d, inside_end, end) && inside_start <= start + 0.01)
            rest->start = inside_end;
          else if (worth_keeping (d, start, inside_start) && inside_end >= end - 0.01)
            rest->end = inside_start;
          continue;
        }

      /* the piece becomes: [head] [the range, switched off] [tail] */
      g_free (piece->reason);
      piece->start = inside_start;
      piece->end = inside_end;
      piece->reason = g_strdup (reason);
      piece->disabled = TRUE;
      if (worth_keeping (d, inside_end, end))
        {
          Piece tail = { inside_end, end, speech_reason (d, inside_end, end), FALSE };

          g_array_insert_val (pieces, i + 1, tail);
        }
      if (worth_keeping (d, start, inside_start))
        {
          Piece head = { start, inside_start, speech_reason (d, start, inside_start), FALSE };

          g_array_insert_val (pieces, i, head);
          i++;
        }
    }
}

static void
disable_retakes (Director *d,
                 GArray   *pieces)
{
  for (guint r = 0; r < d->retakes->len; r++)
    {
      const Retake *retake = &g_array_index (d->retakes, Retake, r);
      g_autofree char *reason =
        g_strdup_printf ("retake of %.2f–%.2f s (\"%s\")", retake->kept_start, retake->kept_end,
                         retake->kept_text);

      disable_range (d, pieces, retake->start, retake->end, reason);
    }
}

/* The range a removed run of words takes with it (ave-plan-words.h): the
 * transcript view cuts words with the same rule. */
static void
removal_range (const Director *d, guint first, guint last, double *start, double *end)
{
  ave_words_removal_range (d->analysis->words, first, last, d->padding, d->duration, start, end);
}

/* The guide's dropped sentences go the way of retakes; kept pieces take
 * the reason of the first kept sentence in them. */
static void
apply_guide (Director *d,
             GArray   *pieces)
{
  const AveDirectorGuide *guide = d->guide;
  GArray *words = d->analysis->words;

  for (guint i = 0; i < guide->n_sentences; i++)
    {
      const AveGuideSentence *g = &guide->sentences[i];
      g_autofree char *reason = NULL;
      double start, end;

      if (g->keep || g->first_word > g->last_word || g->last_word >= words->len)
        continue;
      removal_range (d, g->first_word, g->last_word, &start, &end);
      reason = g_strdup_printf ("dropped: %s", g->reason != NULL ? g->reason : "the director left it out");
      disable_range (d, pieces, start, end, reason);
    }
  for (guint p = 0; p < pieces->len; p++)
    {
      Piece *piece = &g_array_index (pieces, Piece, p);

      if (piece->disabled)
        continue;
      for (guint i = 0; i < guide->n_sentences; i++)
        {
          const AveGuideSentence *g = &guide->sentences[i];
          double start, end;

          if (!g->keep || g->reason == NULL || g->first_word > g->last_word || g->last_word >= words->len)
            continue;
          start = g_array_index (words, AveWord, g->first_word).start;
          end = g_array_index (words, AveWord, g->last_word).end;
          if (MIN (end, piece->end) - MAX (start, piece->start) > 0)
            {
              g_free (piece->reason);
              piece->reason = g_strdup (g->reason);
              break;
            }
        }
    }
}

/* The best shot boundary for a cut point at `t`, or `t` itself.  `lo` and
 * `hi` bound where the point may go (the neighbouring pieces).
 * `extends_before`: moving the point earlier makes the piece longer (a
 * piece start); otherwise moving it later does (a piece end). */
static double
snap_to_shot (const Director *d,
              double          t,
              double          lo,
              double          hi,
              gboolean        is_start)
{
  double best = t;
  double best_distance = G_MAXDOUBLE;

  for (guint i = 0; i < d->shot_bounds->len; i++)
    {
      double b = g_array_index (d->shot_bounds, double, i);
      double distance = fabs (b - t);
      double gained_start, gained_end;
      gboolean grows;

      if (distance > SNAP_WINDOW || distance >= best_distance || distance < 1e-6)
        continue;
      if (b <= lo || b >= hi)
        continue;

      grows = is_start ? b < t : b > t;
      gained_start = MIN (b, t);
      gained_end = MAX (b, t);

      if (grows)
        {
          /* Taking back part of a cut: never a removed filler, and never
           * more than SNAP_WINDOW of silence. */
          if (range_touches_filler_cut (d, gained_start, gained_end) ||
              gained_end - gained_start > SNAP_WINDOW)
            continue;
        }
      else if (range_touches_kept_word (d, gained_start, gained_end))
        continue;

      best = b;
      best_distance = distance;
    }
  return best;
}

/* A cut point moved to one of `keyframes` (sorted times) where that only
 * makes the piece longer, by at most KEYFRAME_SNAP_WINDOW of the pause
 * being cut and never into a removed filler; `t` itself when none
 * qualifies. */
static double
snap_to_keyframe (const Director *d,
                  GArray         *keyframes,
                  double          t,
                  double          lo,
                  double          hi,
                  gboolean        is_start)
{
  double best = t;

  for (guint i = 0; i < keyframes->len; i++)
    {
      double k = g_array_index (keyframes, double, i);

      if (fabs (k - t) < 1e-6)
        return t;
      if (k <= lo || k >= hi || fabs (k - t) > KEYFRAME_SNAP_WINDOW)
        continue;
      if (is_start ? k > t : k < t)
        continue;
      if (range_touches_filler_cut (d, MIN (k, t), MAX (k, t)))
        continue;
      /* the nearest: for a start the last one before it, for an end the
       * first one after it */
      if (is_start || best == t)
        best = k;
    }
  return best;
}

static GArray *
plan_speech (Director *d)
{
  g_autoptr(GArray) cuts = g_array_new (FALSE, FALSE, sizeof (AveInterval));
  g_autoptr(GArray) kept = g_array_new (FALSE, FALSE, sizeof (AveInterval));
  GArray *pieces = piece_array_new ();
  GArray *words = d->analysis->words;
  AveInterval whole = { 0.0, d->duration };

  add_silence_cuts (d, cuts);
  if (d->settings->cut_fillers)
    add_filler_cuts (d, cuts);
  intervals_normalize (cuts);

  /* Whatever the rules above decided, a kept word is never clipped. */
  for (guint i = 0; i < words->len; i++)
    {
      const AveWord *w = &g_array_index (words, AveWord, i);

      if (word_is_kept (d, w))
        intervals_subtract (cuts, w->start, w->end);
    }

  g_array_append_val (kept, whole);
  for (guint i = 0; i < cuts->len; i++)
    {
      const AveInterval *c = &g_array_index (cuts, AveInterval, i);

      intervals_subtract (kept, c->start, c->end);
    }

  /* Cut points move to nearby shot changes. */
  for (guint i = 0; i < kept->len; i++)
    {
      AveInterval *iv = &g_array_index (kept, AveInterval, i);
      double prev_end = i > 0 ? g_array_index (kept, AveInterval, i - 1).end : -1.0;
      double next_start = i + 1 < kept->len ? g_array_index (kept, AveInterval, i + 1).start
                                            : d->duration + 1.0;

      if (iv->start > 0.0)
        iv->start = snap_to_shot (d, iv->start, prev_end, iv->end, TRUE);
      if (iv->end < d->duration)
        iv->end = snap_to_shot (d, iv->end, iv->start, next_start, FALSE);
    }

  /* With a smart cut, then onto keyframes: the starts first (each saves
   * encoding up to a GOP), then the ends (a few frames each), which stay
   * short of the next piece so that the pause is still cut. */
  if (ave_settings_uses_smart_cut (d->settings))
    {
      for (guint i = 0; i < kept->len; i++)
        {
          AveInterval *iv = &g_array_index (kept, AveInterval, i);
          double prev_end = i > 0 ? g_array_index (kept, AveInterval, i - 1).end : -1.0;

          if (iv->start > 0.0)
            iv->start = snap_to_keyframe (d, d->analysis->keyframes, iv->start, prev_end, iv->end, TRUE);
        }
      for (guint i = 0; i < kept->len; i++)
        {
          AveInterval *iv = &g_array_index (kept, AveInterval, i);
          double next_start = i + 1 < kept->len ? g_array_index (kept, AveInterval, i + 1).start - MERGE_GAP
                                                : d->duration + 1.0;

          /* An end is copied up to the next keyframe, or up to where
           * the pictures stored so far are the ones shown so far (with
           * B-frames, every few frames): whichever comes first.  Ending
           * elsewhere costs decoding the GOP up to there and encoding
           * the last few frames. */
          if (iv->end < d->duration)
            {
              double at_key = snap_to_keyframe (d, d->analysis->keyframes, iv->end, iv->start, next_start, FALSE);
              double at_copy_end = snap_to_keyframe (d, d->analysis->copy_ends, iv->end, iv->start, next_start, FALSE);

              if (at_key == iv->end || (at_copy_end != iv->end && at_copy_end < at_key))
                iv->end = at_copy_end;
              else
                iv->end = at_key;
            }
        }
    }

  /* Join pieces separated by a sliver, unless the sliver is a removed
   * filler (its removal was the point). */
  for (guint i = 1; i < kept->len; i++)
    {
      AveInterval *prev = &g_array_index (kept, AveInterval, i - 1);
      AveInterval *cur = &g_array_index (kept, AveInterval, i);

      if (cur->start - prev->end < MERGE_GAP &&
          !range_touches_filler_cut (d, prev->end, cur->start))
        {
          prev->end = cur->end;
          g_array_remove_index (kept, i);
          i--;
        }
    }

  for (guint i = 0; i < kept->len; i++)
    {
      const AveInterval *iv = &g_array_index (kept, AveInterval, i);
      guint n_words = count_kept_words (d, iv->start, iv->end);
      g_autofree char *reason = NULL;

      /* Short leftovers with nothing said in them are noise or breath. */
      if (n_words == 0 && iv->end - iv->start < d->settings->min_segment_duration)
        continue;
      if (iv->end - iv->start < 0.01)
        continue;

      if (n_words > 0)
        reason = g_strdup_printf ("speech (%u word%s)", n_words, n_words == 1 ? "" : "s");
      else
        reason = g_strdup ("sound between pauses");
      add_piece (pieces, iv->start, iv->end, reason);
    }

  if (d->settings->remove_retakes)
    {
      find_retakes (d);
      disable_retakes (d, pieces);
    }
  if (d->guide != NULL)
    apply_guide (d, pieces);
  return pieces;
}

/* -------------------------------------------------------- shots, music */

static GArray *
plan_whole_shots (Director *d)
{
  GArray *pieces = piece_array_new ();
  GArray *shots = d->analysis->shots;

  for (guint i = 0; i < shots->len; i++)
    {
      const AveShot *shot = &g_array_index (shots, AveShot, i);
      double start = CLAMP (shot->start, 0.0, d->duration);
      double end = CLAMP (shot->end, 0.0, d->duration);
      g_autofree char *reason = g_strdup_printf ("shot %u", i + 1);

      if (end - start >= 0.01)
        add_piece (pieces, start, end, reason);
    }

  if (pieces->len == 0)
    add_piece (pieces, 0.0, d->duration, "whole recording");
  return pieces;
}

static double
beat_period (const AveAnalysis *analysis)
{
  GArray *beats = analysis->beats;
  g_autoptr(GArray) gaps = g_array_new (FALSE, FALSE, sizeof (double));

  if (analysis->tempo_bpm > 0.0)
    return 60.0 / analysis->tempo_bpm;

  for (guint i = 1; i < beats->len; i++)
    {
      double gap = g_array_index (beats, double, i) - g_array_index (beats, double, i - 1);

      if (gap > 0.0)
        g_array_append_val (gaps, gap);
    }
  if (gaps->len == 0)
    return 0.5;

  /* The median ignores a missed or doubled beat. */
  for (guint i = 1; i < gaps->len; i++)
    for (guint j = i; j > 0 && g_array_index (gaps, double, j - 1) > g_array_index (gaps, double, j); j--)
      {
        double tmp = g_array_index (gaps, double, j);

        g_array_index (gaps, double, j) = g_array_index (gaps, double, j - 1);
        g_array_index (gaps, double, j - 1) = tmp;
      }
  return g_array_index (gaps, double, gaps->len / 2);
}

static double
snap_to_beat (const AveAnalysis *analysis,
              double             t,
              double             max_distance)
{
  GArray *beats = analysis->beats;
  double best = t;
  double best_distance = max_distance;

  for (guint i = 0; i < beats->len; i++)
    {
      double beat = g_array_index (beats, double, i);
      double distance = fabs (beat - t);

      if (distance <= best_distance)
        {
          /* `<=` and a forward scan: on a tie the later beat wins, which
           * keeps the cut after the sound it follows. */
          best = beat;
          best_distance = distance;
        }
    }
  return best;
}

static int
compare_quality_index (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  GArray *shots = user_data;
  guint ia = *(const guint *) a, ib = *(const guint *) b;
  double qa = g_array_index (shots, AveShot, ia).quality;
  double qb = g_array_index (shots, AveShot, ib).quality;

  if (qa != qb)
    return qa < qb ? -1 : 1;
  return ia < ib ? -1 : (ia > ib);
}

static GArray *
plan_music (Director *d)
{
  GArray *shots = d->analysis->shots;
  GArray *pieces = piece_array_new ();
  g_autofree gboolean *dropped = NULL;
  g_autofree double *bounds = NULL;
  double half_beat = beat_period (d->analysis) / 2.0;
  guint n = shots->len;

  if (n == 0)
    {
      add_piece (pieces, 0.0, d->duration, "music");
      return pieces;
    }

  /* Cuts land on the beat: every shot change moves to the nearest beat
   * within half a beat; the very start and end stay where they are. */
  bounds = g_new0 (double, n + 1);
  bounds[0] = 0.0;
  bounds[n] = d->duration;
  for (guint i = 1; i < n; i++)
    {
      double b = CLAMP (g_array_index (shots, AveShot, i).start, 0.0, d->duration);

      bounds[i] = CLAMP (snap_to_beat (d->analysis, b, half_beat), bounds[i - 1], d->duration);
    }

  dropped = g_new0 (gboolean, n);
  if (n >= MUSIC_MIN_SHOTS_TO_DROP)
    {
      g_autofree guint *order = g_new (guint, n);

      for (guint i = 0; i < n; i++)
        order[i] = i;
      g_qsort_with_data (order, n, sizeof (guint), compare_quality_index, shots);
      for (guint i = 0; i < n / 5; i++)
        dropped[order[i]] = TRUE;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *reason = NULL;

      if (dropped[i] || bounds[i + 1] - bounds[i] < 0.01)
        continue;
      reason = g_strdup_printf ("shot %u on the beat", i + 1);
      add_piece (pieces, bounds[i], bounds[i + 1], reason);
    }
  return pieces;
}

/* ---------------------------------------------------------- transitions */

static gboolean
starts_at_shot_change (const Director *d,
                       double          t)
{
  for (guint i = 0; i < d->shot_bounds->len; i++)
    if (fabs (g_array_index (d->shot_bounds, double, i) - t) <= SHOT_MATCH)
      return TRUE;
  return FALSE;
}

static void
append_pieces (Director *d,
               AvePlan  *plan,
               GArray   *pieces)
{
  const Piece *prev = NULL;   /* the previous piece that plays */

  for (guint i = 0; i < pieces->len; i++)
    {
      const Piece *piece = &g_array_index (pieces, Piece, i);
      AveSegment segment = { 0 };

      segment.start = MAX (0.0, round_time (piece->start));
      segment.end = MIN (d->duration, round_time (piece->end));
      segment.enabled = !piece->disabled;
      segment.reason = piece->reason;
      segment.origin = d->guide != NULL ? d->guide->origin : AVE_SEGMENT_ORIGIN_LOCAL;
      segment.transition = AVE_TRANSITION_CUT;

      if (prev != NULL && segment.enabled && d->settings->transitions && starts_at_shot_change (d, piece->start))
        {
          double duration = MIN (d->settings->crossfade_duration,
                                 MIN ((prev->end - prev->start) / 2.0,
                                      (piece->end - piece->start) / 2.0));

          if (duration >= MIN_CROSSFADE)
            {
              segment.transition = AVE_TRANSITION_CROSSFADE;
              segment.transition_duration = duration;
            }
        }

      if (!ave_plan_append_segment (plan, &segment))
        g_warning ("Segment %.3f–%.3f was refused by the plan", segment.start, segment.end);
      if (segment.enabled)
        prev = piece;
    }
}

/* ------------------------------------------------------------- chapters */

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double da = *(const double *) a, db = *(const double *) b;

  return (da > db) - (da < db);
}

static void
add_chapters (Director *d,
              AvePlan  *plan)
{
  GArray *words = d->analysis->words;
  g_autoptr(GArray) candidates = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  double output_duration = ave_plan_get_output_duration (plan);
  double spacing = MAX (CHAPTER_MIN_SPACING, output_duration / 10.0);
  double long_pause = MAX (CHAPTER_PAUSE, 2.0 * d->settings->cut_silence_min);
  double zero = 0.0;
  double last = 0.0;

  /* Chapters begin at shot changes and at long removed pauses: the places
   * where the picture or the speaker moves on. */
  for (guint i = 0; i < d->shot_bounds->len; i++)
    {
      double t = ave_plan_source_to_output (plan, g_array_index (d->shot_bounds, double, i));

      if (t > 0.0)
        g_array_append_val (candidates, t);
    }
  for (guint i = 1; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *prev = ave_plan_get_segment (plan, i - 1);
      const AveSegment *seg = ave_plan_get_segment (plan, i);

      if (seg->start - prev->end >= long_pause)
        {
          double t = ave_plan_source_to_output (plan, seg->start);

          if (t > 0.0)
            g_array_append_val (candidates, t);
        }
    }
  g_array_sort (candidates, compare_double);

  g_array_append_val (times, zero);
  for (guint i = 0; i < candidates->len; i++)
    {
      double t = g_array_index (candidates, double, i);

      if (t - last >= spacing && output_duration - t >= CHAPTER_MIN_SPACING)
        {
          g_array_append_val (times, t);
          last = t;
        }
    }

  for (guint c = 0; c < times->len; c++)
    {
      double from = g_array_index (times, double, c);
      double to = c + 1 < times->len ? g_array_index (times, double, c + 1) : G_MAXDOUBLE;
      g_autoptr(AveKeywordCounter) counter = ave_keyword_counter_new (d->settings);
      g_auto(GStrv) top = NULL;
      g_autofree char *title = NULL;

      for (guint i = 0; i < words->len; i++)
        {
          const AveWord *w = &g_array_index (words, AveWord, i);
          double t = ave_plan_source_to_output (plan, (w->start + w->end) / 2.0);

          if (t >= from && t < to)
            ave_keyword_counter_add (counter, w);
        }

      top = ave_keyword_counter_top (counter, 3);
      if (top[0] != NULL)
        title = ave_keywords_title_case ((const char * const *) top, g_strv_length (top));
      else
        title = g_strdup_printf ("Part %u", c + 1);
      ave_plan_add_chapter (plan, from, title);
    }
}

/* ----------------------------------------------------------------- main */

static double
analysis_duration (const AveAnalysis *a)
{
  double duration = 0.0;

  if (a->media != NULL && a->media->duration > 0.0)
    return a->media->duration;

  /* Without a probe (a hand-made analysis), the furthest thing analysed. */
  for (guint i = 0; i < a->shots->len; i++)
    duration = MAX (duration, g_array_index (a->shots, AveShot, i).end);
  for (guint i = 0; i < a->silences->len; i++)
    duration = MAX (duration, g_array_index (a->silences, AveInterval, i).end);
  for (guint i = 0; i < a->speech->len; i++)
    duration = MAX (duration, g_array_index (a->speech, AveInterval, i).end);
  for (guint i = 0; i < a->words->len; i++)
    duration = MAX (duration, g_array_index (a->words, AveWord, i).end);
  return duration;
}

AvePlan *
ave_local_director_plan (const AveAnalysis  *analysis,
                         const AveSettings  *settings,
                         GError            **error)
{
  return ave_local_director_plan_guided (analysis, settings, NULL, error);
}

AvePlan *
ave_local_director_plan_guided (const AveAnalysis       *analysis,
                                const AveSettings       *settings,
                                const AveDirectorGuide  *guide,
                                GError                 **error)
{
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GArray) pieces = NULL;
  g_autoptr(GArray) shot_bounds = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) filler_cuts = g_array_new (FALSE, FALSE, sizeof (AveInterval));
  g_autoptr(GArray) retakes = g_array_new (FALSE, TRUE, sizeof (Retake));
  Director d = { 0 };
  gboolean has_audio, has_video, has_speech;
  const char *what;

  g_return_val_if_fail (analysis != NULL, NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  d.analysis = analysis;
  d.settings = settings;
  d.duration = analysis_duration (analysis);
  d.padding = MAX (0.0, settings->word_padding);
  d.shot_bounds = shot_bounds;
  d.filler_cuts = filler_cuts;
  d.retakes = retakes;
  d.guide = guide;
  g_array_set_clear_func (retakes, clear_retake);

  for (guint i = 1; i < analysis->shots->len; i++)
    {
      double b = g_array_index (analysis->shots, AveShot, i).start;

      if (b > 0.0 && b < d.duration)
        g_array_append_val (shot_bounds, b);
    }
  g_array_sort (shot_bounds, compare_double);

  has_audio = analysis->media != NULL ? analysis->media->has_audio
                                      : (analysis->silences->len > 0 || analysis->speech->len > 0 ||
                                         analysis->words->len > 0);
  has_video = analysis->media != NULL ? analysis->media->has_video : analysis->shots->len > 0;
  has_speech = has_audio && (analysis->speech->len > 0 || analysis->words->len > 0);

  if (d.duration <= 0.0)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                   "Nothing to edit in %s: the recording has no duration",
                   analysis->source != NULL ? analysis->source : "the recording");
      return NULL;
    }

  if (settings->content_type == AVE_CONTENT_MUSIC && analysis->beats->len > 0)
    {
      /* Music keeps its quiet passages: they are part of the piece. */
      pieces = plan_music (&d);
      what = "music";
    }
  else if (has_speech)
    {
      pieces = plan_speech (&d);
      what = "speech";
    }
  else if (has_video)
    {
      /* No one speaks (no audio, or a silent track): the pictures are the
       * content, kept shot by shot. */
      pieces = plan_whole_shots (&d);
      what = "shots";
    }
  else
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                   "Nothing to keep in %s: the recording is silent and has no picture",
                   analysis->source != NULL ? analysis->source : "the recording");
      return NULL;
    }

  if (pieces->len == 0)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                   "Nothing to keep in %s: every part of the recording was cut as silence; "
                   "lower the silence threshold or raise cut_silence_min",
                   analysis->source != NULL ? analysis->source : "the recording");
      return NULL;
    }

  g_debug ("%s: %u segments from %s", analysis->source, pieces->len, what);

  plan = ave_plan_new (analysis->source, d.duration);
  append_pieces (&d, plan, pieces);
  if (ave_plan_get_n_segments (plan) == 0)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                   "Nothing to keep in %s: every kept piece was shorter than a frame",
                   analysis->source != NULL ? analysis->source : "the recording");
      return NULL;
    }
  add_chapters (&d, plan);
  ave_plan_set_director (plan, guide != NULL && guide->director != NULL ? guide->director : "local");

  return g_steal_pointer (&plan);
}
