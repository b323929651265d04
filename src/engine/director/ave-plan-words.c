#define G_LOG_DOMAIN "ave-plan-words"

#include "config.h"

#include <math.h>

#include "ave-plan-words.h"

/* The plan's shortest segment (ave-plan.c refuses shorter splits): a
 * piece of a segment shorter than this goes with the cut or restore
 * rather than staying behind as a sliver. */
#define MIN_PIECE 0.01
/* Segment edges this close are the same point of the source. */
#define JOIN_TOLERANCE 1e-6

void
ave_words_removal_range (GArray *words,
                         guint   first,
                         guint   last,
                         double  padding,
                         double  duration,
                         double *start,
                         double *end)
{
  const AveWord *a, *b;

  g_return_if_fail (words != NULL && first <= last && last < words->len);

  a = &g_array_index (words, AveWord, first);
  b = &g_array_index (words, AveWord, last);
  *start = a->start - padding;
  if (first > 0)
    {
      const AveWord *before = &g_array_index (words, AveWord, first - 1);

      /* the word before keeps its padding (half the pause if shorter) */
      *start = MAX (*start, before->end + MIN (padding, (a->start - before->end) / 2.0));
    }
  *start = MAX (*start, 0.0);
  *end = b->end + padding;
  if (last + 1 < words->len)
    {
      const AveWord *after = &g_array_index (words, AveWord, last + 1);

      *end = MAX (b->end, after->start - padding);
      *end = MAX (*end, b->end + MIN (padding, (after->start - b->end) / 2.0));
      *end = MIN (*end, after->start);
    }
  *end = MIN (*end, duration);
}

static inline const AveWord *
word_at (const AveAnalysis *analysis,
         guint              index)
{
  return &g_array_index (analysis->words, AveWord, index);
}

/* A word belongs to the segment holding its middle. */
static inline gboolean
segment_holds (const AveSegment *segment,
               const AveWord    *word)
{
  double middle = (word->start + word->end) / 2.0;

  return middle >= segment->start && middle < segment->end;
}

static inline double
word_middle (const AveWord *word)
{
  return (word->start + word->end) / 2.0;
}

/* The first word whose middle is at or after `time`; the words' middles
 * must be sorted. */
static guint
first_word_from (const AveAnalysis *analysis,
                 double             time)
{
  guint low = 0, high = analysis->words->len;

  while (low < high)
    {
      guint mid = low + (high - low) / 2;

      if (word_middle (word_at (analysis, mid)) < time)
        low = mid + 1;
      else
        high = mid;
    }
  return low;
}

/* For each word, the segment holding it: the first enabled one in plan
 * order, else the first cut one, else -1.  Each segment looks up its
 * words by binary search (words are sorted by start; their middles too,
 * unless a recogniser made words overlap, where every word is tried). */
static int *
words_segments (AvePlan           *plan,
                const AveAnalysis *analysis)
{
  guint n_words = analysis->words->len;
  guint n_segments = ave_plan_get_n_segments (plan);
  int *segment_of = g_new (int, MAX (n_words, 1));
  gboolean sorted = TRUE;

  for (guint w = 0; w < n_words; w++)
    {
      segment_of[w] = -1;
      if (w > 0 && word_middle (word_at (analysis, w)) < word_middle (word_at (analysis, w - 1)))
        sorted = FALSE;
    }

  for (guint i = 0; i < n_segments; i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);
      guint w = sorted ? first_word_from (analysis, segment->start) : 0;

      for (; w < n_words; w++)
        {
          const AveWord *word = word_at (analysis, w);

          if (sorted && word_middle (word) >= segment->end)
            break;
          if (!segment_holds (segment, word))
            continue;
          if (segment_of[w] < 0 ||
              (segment->enabled && !ave_plan_get_segment (plan, (guint) segment_of[w])->enabled))
            segment_of[w] = (int) i;
        }
    }
  return segment_of;
}

static void
append_word (GArray *list,
             guint   word,
             int     segment,
             gboolean kept,
             double  output_time)
{
  AvePlanWord entry = { word, segment, kept, output_time };

  g_array_append_val (list, entry);
}

GArray *
ave_plan_list_words (AvePlan           *plan,
                     const AveAnalysis *analysis)
{
  g_autoptr(GArray) items = NULL;
  g_autofree int *segment_of = NULL;
  g_autofree double *item_start = NULL;
  g_autofree double *played_end = NULL;
  g_autofree guint *bucket_start = NULL;
  g_autofree guint *bucket = NULL;
  g_autofree guint *fill = NULL;
  GArray *list;
  guint n_words, n_segments;
  double end_so_far = 0.0;
  guint w;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);
  g_return_val_if_fail (analysis != NULL, NULL);

  list = g_array_new (FALSE, FALSE, sizeof (AvePlanWord));
  n_words = analysis->words->len;
  if (n_words == 0)
    return list;

  n_segments = ave_plan_get_n_segments (plan);
  segment_of = words_segments (plan, analysis);
  /* item_start[i]: output start of enabled segment i; played_end[i]: the
   * output time reached after segment i in plan order (where a cut
   * segment i, or what follows it in no segment, is skipped). */
  item_start = g_new0 (double, n_segments + 1);
  played_end = g_new0 (double, n_segments + 1);
  items = ave_plan_list_output_items (plan);
  for (guint k = 0; k < items->len; k++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, k);

      if (item->segment != NULL)
        item_start[item->index] = item->output_start;
    }
  for (guint i = 0, k = 0; i < n_segments; i++)
    {
      for (; k < items->len; k++)
        {
          const AveOutputItem *item = &g_array_index (items, AveOutputItem, k);

          /* cards before segment i + 1 play after segment i */
          guint slot = item->segment != NULL ? item->index : item->card->insert_before;

          if (slot > i)
            break;
          end_so_far = item->output_start + item->duration;
        }
      played_end[i] = end_so_far;
    }

  /* Words before any segment's word come first. */
  for (w = 0; w < n_words && segment_of[w] < 0; w++)
    append_word (list, w, -1, FALSE, 0.0);

  /* The words of each segment, in source order: bucket_start[i] ..
   * bucket_start[i + 1] in `bucket`. */
  bucket_start = g_new0 (guint, n_segments + 1);
  bucket = g_new (guint, MAX (n_words, 1));
  for (guint v = 0; v < n_words; v++)
    if (segment_of[v] >= 0)
      bucket_start[segment_of[v] + 1]++;
  for (guint i = 0; i < n_segments; i++)
    bucket_start[i + 1] += bucket_start[i];
  fill = g_memdup2 (bucket_start, (n_segments + 1) * sizeof (guint));
  for (guint v = 0; v < n_words; v++)
    if (segment_of[v] >= 0)
      bucket[fill[segment_of[v]]++] = v;

  for (guint i = 0; i < n_segments; i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);

      for (guint k = bucket_start[i]; k < bucket_start[i + 1]; k++)
        {
          guint v = bucket[k];
          const AveWord *word = word_at (analysis, v);

          if (segment->enabled)
            append_word (list, v, (int) i, TRUE,
                         item_start[i] + MAX (0.0, word->start - segment->start));
          else
            append_word (list, v, (int) i, FALSE, played_end[i]);
          /* the words removed with the pause after it */
          for (guint u = v + 1; u < n_words && segment_of[u] < 0; u++)
            append_word (list, u, -1, FALSE, played_end[i]);
        }
    }
  return list;
}

double
ave_plan_word_to_output (AvePlan           *plan,
                         const AveAnalysis *analysis,
                         guint              word)
{
  g_autoptr(GArray) list = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (plan), -1.0);
  g_return_val_if_fail (analysis != NULL, -1.0);

  if (word >= analysis->words->len)
    return -1.0;
  list = ave_plan_list_words (plan, analysis);
  for (guint i = 0; i < list->len; i++)
    {
      const AvePlanWord *entry = &g_array_index (list, AvePlanWord, i);

      if (entry->word == word)
        return entry->kept ? entry->output_time : -1.0;
    }
  return -1.0;
}

int
ave_plan_output_to_word (AvePlan           *plan,
                         const AveAnalysis *analysis,
                         double             output_time)
{
  g_autoptr(GArray) items = NULL;
  const AveOutputItem *found = NULL;
  double source_time;
  int word;

  g_return_val_if_fail (AVE_IS_PLAN (plan), -1);
  g_return_val_if_fail (analysis != NULL, -1);

  /* In a crossfade the item coming in is the one that counts. */
  items = ave_plan_list_output_items (plan);
  for (guint k = 0; k < items->len; k++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, k);

      if (output_time >= item->output_start && output_time < item->output_start + item->duration)
        found = item;
    }
  if (found == NULL || found->segment == NULL)
    return -1;

  source_time = found->segment->start + (output_time - found->output_start);
  word = ave_words_at_source (analysis, source_time);
  if (word < 0 || !segment_holds (found->segment, word_at (analysis, word)))
    return -1;
  return word;
}

int
ave_words_at_source (const AveAnalysis *analysis,
                     double             source_time)
{
  guint low = 0, high;

  g_return_val_if_fail (analysis != NULL, -1);

  /* the last word starting at or before the time */
  high = analysis->words->len;
  while (low < high)
    {
      guint mid = low + (high - low) / 2;

      if (word_at (analysis, mid)->start <= source_time)
        low = mid + 1;
      else
        high = mid;
    }
  return (int) low - 1;
}

static double
source_duration (AvePlan *plan)
{
  double duration = ave_plan_get_source_duration (plan);

  return duration > 0.0 ? duration : AVE_PLAN_MAX_SECONDS;
}

/* Whether [start, end] holds any of words first..last. */
static gboolean
range_has_words (const AveAnalysis *analysis,
                 guint              first,
                 guint              last,
                 double             start,
                 double             end)
{
  for (guint w = first; w <= last; w++)
    {
      const AveWord *word = word_at (analysis, w);

      if (MIN (word->end, end) - MAX (word->start, start) > 0.0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
check_range (AvePlan           *plan,
             const AveAnalysis *analysis,
             guint              first,
             guint              last,
             double             padding)
{
  g_return_val_if_fail (AVE_IS_PLAN (plan), FALSE);
  g_return_val_if_fail (analysis != NULL, FALSE);

  return first <= last && last < analysis->words->len && isfinite (padding) && padding >= 0.0;
}

/* Splits segment `*index` at the edges of [start, end] (those at least
 * MIN_PIECE inside it) and leaves `*index` on the part inside. */
static gboolean
split_out (AvePlan *plan,
           guint   *index,
           double   start,
           double   end)
{
  const AveSegment *segment = ave_plan_get_segment (plan, *index);

  if (start - segment->start >= MIN_PIECE)
    {
      if (!ave_plan_split_segment (plan, *index, start))
        return FALSE;
      (*index)++;
      segment = ave_plan_get_segment (plan, *index);
    }
  if (segment->end - end >= MIN_PIECE && !ave_plan_split_segment (plan, *index, end))
    return FALSE;
  return TRUE;
}

gboolean
ave_plan_cut_words (AvePlan           *plan,
                    const AveAnalysis *analysis,
                    guint              first,
                    guint              last,
                    double             padding)
{
  double range_start, range_end;
  gboolean changed = FALSE;

  if (!check_range (plan, analysis, first, last, padding))
    return FALSE;

  ave_words_removal_range (analysis->words, first, last, padding, source_duration (plan),
                           &range_start, &range_end);
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);
      double start = MAX (segment->start, range_start);
      double end = MIN (segment->end, range_end);

      if (!segment->enabled || end - start < MIN_PIECE ||
          !range_has_words (analysis, first, last, start, end))
        continue;
      if (!split_out (plan, &i, start, end) ||
          !ave_plan_set_segment_enabled (plan, i, FALSE) ||
          !ave_plan_set_segment_reason (plan, i, AVE_SEGMENT_ORIGIN_USER, AVE_PLAN_WORDS_CUT_REASON))
        return FALSE;
      changed = TRUE;
    }
  return changed;
}

/* Where a new segment for [start, ...) goes: after the segment that ends
 * last at or before `start` in the source (the one it continues). */
static guint
insertion_index (AvePlan *plan,
                 double   start)
{
  guint index = 0;
  double best = -1.0;

  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);

      if (segment->end <= start + JOIN_TOLERANCE && segment->end > best)
        {
          best = segment->end;
          index = i + 1;
        }
    }
  return index;
}

/* Gives the words of first..last that no segment holds a segment: from
 * their removal range, less what neighbouring segments already cover. */
static gboolean
restore_uncovered (AvePlan           *plan,
                   const AveAnalysis *analysis,
                   guint              first,
                   guint              last,
                   double             padding,
                   GArray            *joins,
                   gboolean          *changed)
{
  g_autofree int *segment_of = words_segments (plan, analysis);

  for (guint p = first; p <= last; p++)
    {
      AveSegment piece = { .enabled = TRUE, .transition = AVE_TRANSITION_CUT,
                           .origin = AVE_SEGMENT_ORIGIN_USER,
                           .reason = (char *) AVE_PLAN_WORDS_RESTORE_REASON };
      double first_middle, last_middle;
      guint q = p;

      if (segment_of[p] >= 0)
        continue;
      while (q + 1 <= last && segment_of[q + 1] < 0)
        q++;

      ave_words_removal_range (analysis->words, p, q, padding, source_duration (plan),
                               &piece.start, &piece.end);
      first_middle = (word_at (analysis, p)->start + word_at (analysis, p)->end) / 2.0;
      last_middle = (word_at (analysis, q)->start + word_at (analysis, q)->end) / 2.0;
      for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
        {
          const AveSegment *segment = ave_plan_get_segment (plan, i);

          if (segment->end > piece.start && segment->end <= first_middle)
            piece.start = segment->end;
          if (segment->start < piece.end && segment->start >= last_middle)
            piece.end = segment->start;
        }
      if (piece.end - piece.start >= MIN_PIECE)
        {
          if (!ave_plan_insert_segment (plan, insertion_index (plan, piece.start), &piece))
            return FALSE;
          g_array_append_val (joins, piece.start);
          g_array_append_val (joins, piece.end);
          *changed = TRUE;
        }
      p = q;
    }
  return TRUE;
}

static gboolean
is_join (GArray *joins,
         double  time)
{
  for (guint j = 0; j < joins->len; j++)
    if (fabs (g_array_index (joins, double, j) - time) <= JOIN_TOLERANCE)
      return TRUE;
  return FALSE;
}

/* Joins restored pieces to the enabled segments they continue.  A piece
 * joined to the one after it takes that one's reason and origin: it was
 * split from it by the cut being undone. */
static void
merge_at_joins (AvePlan *plan,
                GArray  *joins)
{
  guint i = 0;

  while (i + 1 < ave_plan_get_n_segments (plan))
    {
      const AveSegment *a = ave_plan_get_segment (plan, i);
      const AveSegment *b = ave_plan_get_segment (plan, i + 1);
      gboolean restored = a->origin == AVE_SEGMENT_ORIGIN_USER &&
                          g_strcmp0 (a->reason, AVE_PLAN_WORDS_RESTORE_REASON) == 0;
      AveSegmentOrigin next_origin = b->origin;
      g_autofree char *next_reason = g_strdup (b->reason);

      if (!a->enabled || !b->enabled || !is_join (joins, a->end) ||
          !ave_plan_merge_segments (plan, i))
        {
          i++;
          continue;
        }
      if (restored)
        ave_plan_set_segment_reason (plan, i, next_origin, next_reason);
    }
}

gboolean
ave_plan_restore_words (AvePlan           *plan,
                        const AveAnalysis *analysis,
                        guint              first,
                        guint              last,
                        double             padding)
{
  g_autoptr(GArray) joins = NULL;
  double range_start, range_end;
  gboolean changed = FALSE;

  if (!check_range (plan, analysis, first, last, padding))
    return FALSE;

  joins = g_array_new (FALSE, FALSE, sizeof (double));
  ave_words_removal_range (analysis->words, first, last, padding, source_duration (plan),
                           &range_start, &range_end);
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *segment = ave_plan_get_segment (plan, i);
      double start = MAX (segment->start, range_start);
      double end = MIN (segment->end, range_end);

      if (segment->enabled || end - start < MIN_PIECE ||
          !range_has_words (analysis, first, last, start, end))
        continue;
      if (!split_out (plan, &i, start, end) ||
          !ave_plan_set_segment_enabled (plan, i, TRUE) ||
          !ave_plan_set_segment_reason (plan, i, AVE_SEGMENT_ORIGIN_USER, AVE_PLAN_WORDS_RESTORE_REASON))
        return FALSE;
      segment = ave_plan_get_segment (plan, i);
      g_array_append_val (joins, segment->start);
      g_array_append_val (joins, segment->end);
      changed = TRUE;
    }
  if (!restore_uncovered (plan, analysis, first, last, padding, joins, &changed))
    return FALSE;
  merge_at_joins (plan, joins);
  return changed;
}

typedef struct
{
  const AveAnalysis *analysis;
  guint              first, last;
  double             padding;
} WordsEdit;

static gboolean
run_cut (AvePlan  *plan,
         gpointer  user_data)
{
  WordsEdit *edit = user_data;

  return ave_plan_cut_words (plan, edit->analysis, edit->first, edit->last, edit->padding);
}

static gboolean
run_restore (AvePlan  *plan,
             gpointer  user_data)
{
  WordsEdit *edit = user_data;

  return ave_plan_restore_words (plan, edit->analysis, edit->first, edit->last, edit->padding);
}

gboolean
ave_plan_history_cut_words (AvePlanHistory    *history,
                            const AveAnalysis *analysis,
                            guint              first,
                            guint              last,
                            double             padding)
{
  WordsEdit edit = { analysis, first, last, padding };

  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (history), FALSE);

  return ave_plan_history_apply (history, last > first ? "Cut words" : "Cut word", run_cut, &edit);
}

gboolean
ave_plan_history_restore_words (AvePlanHistory    *history,
                                const AveAnalysis *analysis,
                                guint              first,
                                guint              last,
                                double             padding)
{
  WordsEdit edit = { analysis, first, last, padding };

  g_return_val_if_fail (AVE_IS_PLAN_HISTORY (history), FALSE);

  return ave_plan_history_apply (history, last > first ? "Restore words" : "Restore word",
                                 run_restore, &edit);
}
