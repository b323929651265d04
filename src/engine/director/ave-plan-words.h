/* ave-plan-words.h — the plan seen through the transcript: which words
 * the output keeps, in output order, and cutting or restoring a run of
 * words as the local director removes one (from the padding after the
 * word before to the padding before the word after: no word is clipped).
 *
 * Word indexes are indexes into analysis->words (sorted by time). */
#pragma once

#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"
#include "director/ave-plan-history.h"

G_BEGIN_DECLS

/* The reasons a transcript edit gives the segments it switches. */
#define AVE_PLAN_WORDS_CUT_REASON      "cut in transcript"
#define AVE_PLAN_WORDS_RESTORE_REASON  "restored in transcript"

/* The source range removed with words first..last of `words` (AveWord,
 * sorted): from `padding` before the first word, but no closer to the word
 * before it than `padding` after that word (half the pause between them
 * when the pause is shorter than two paddings), to the same after the last
 * word; clamped to [0, duration].  The local director removes retakes and
 * dropped sentences with exactly this range. */
void     ave_words_removal_range  (GArray *words,
                                   guint   first,
                                   guint   last,
                                   double  padding,
                                   double  duration,
                                   double *start,
                                   double *end);

/* One word as the transcript shows it. */
typedef struct
{
  guint    word;          /* index in analysis->words */
  int      segment;       /* plan segment holding it (its middle), -1 for none */
  gboolean kept;          /* in an enabled segment: the output plays it */
  double   output_time;   /* where it starts in the output; for a cut word,
                           * where the cut is (the end of what plays before it) */
} AvePlanWord;

/* Every word of the analysis once, in output order: the words of each
 * segment in plan order (cut segments where they sit), and words in no
 * segment (removed with a silence or a filler) right after the word
 * before them in the source. */
GArray  *ave_plan_list_words      (AvePlan           *plan,
                                   const AveAnalysis *analysis);

/* Output time where word `word` starts, -1 when it is cut. */
double   ave_plan_word_to_output  (AvePlan           *plan,
                                   const AveAnalysis *analysis,
                                   guint              word);
/* The word the output plays at `output_time` (the last one started by
 * then within the same segment), -1 for none: a title card, or a pause
 * before the segment's first word. */
int      ave_plan_output_to_word  (AvePlan           *plan,
                                   const AveAnalysis *analysis,
                                   double             output_time);
/* The word being said at `source_time`, or the last one that started
 * before it; -1 before the first word. */
int      ave_words_at_source      (const AveAnalysis *analysis,
                                   double             source_time);

/* Cuts words first..last: every enabled segment over their removal range
 * is split at the range's edges (a piece shorter than the plan's shortest
 * segment goes with the cut rather than staying as a sliver) and the part
 * inside is switched off, origin "user", reason
 * AVE_PLAN_WORDS_CUT_REASON.  FALSE (plan unchanged) when nothing of the
 * range is in the output or the indexes are invalid. */
gboolean ave_plan_cut_words       (AvePlan           *plan,
                                   const AveAnalysis *analysis,
                                   guint              first,
                                   guint              last,
                                   double             padding);
/* The reverse: the cut parts of the plan over the words' removal range
 * are split off and switched on again, and rejoined to enabled neighbours
 * they continue in the source (ave_plan_merge_segments), so restoring
 * what ave_plan_cut_words cut gives back the plan before it.  Words in no
 * segment at all (a filler the director removed) get a segment of their
 * own (origin "user", reason AVE_PLAN_WORDS_RESTORE_REASON) right after
 * the segment before them in the source, joined the same way.  FALSE
 * (plan unchanged) when every word in the range already plays. */
gboolean ave_plan_restore_words   (AvePlan           *plan,
                                   const AveAnalysis *analysis,
                                   guint              first,
                                   guint              last,
                                   double             padding);

/* The same, as one undo step of `history` ("Cut words", "Restore words"). */
gboolean ave_plan_history_cut_words     (AvePlanHistory    *history,
                                         const AveAnalysis *analysis,
                                         guint              first,
                                         guint              last,
                                         double             padding);
gboolean ave_plan_history_restore_words (AvePlanHistory    *history,
                                         const AveAnalysis *analysis,
                                         guint              first,
                                         guint              last,
                                         double             padding);

G_END_DECLS
