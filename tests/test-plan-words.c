/* test-plan-words.c — cutting and restoring words of the transcript:
 * segment edges land on the words' removal range (the local director's
 * padding rule), every edit is one undo step, restoring gives back the
 * plan before the cut, and words map to output times and back. */
#define G_LOG_DOMAIN "ave-test-plan-words"

#include "config.h"

#include <math.h>

#include "director/ave-plan.h"
#include "director/ave-plan-history.h"
#include "director/ave-plan-words.h"

#define EPS 1e-9
#define PADDING 0.15

/* Ten words in 20 s of source: a sentence with a filler, a pause, three
 * words, a long pause, the last word. */
static AveAnalysis *
make_analysis (void)
{
  AveAnalysis *analysis = ave_analysis_new ("/videos/talk.mp4", NULL);

  ave_analysis_add_word (analysis, "hello", 1.0, 1.4, 0.9, FALSE);   /* 0 */
  ave_analysis_add_word (analysis, "um", 1.5, 1.8, 0.9, TRUE);       /* 1 */
  ave_analysis_add_word (analysis, "this", 1.9, 2.2, 0.9, FALSE);    /* 2 */
  ave_analysis_add_word (analysis, "is", 2.3, 2.5, 0.9, FALSE);      /* 3 */
  ave_analysis_add_word (analysis, "a", 2.6, 2.7, 0.9, FALSE);       /* 4 */
  ave_analysis_add_word (analysis, "test", 2.8, 3.3, 0.9, FALSE);    /* 5 */
  ave_analysis_add_word (analysis, "second", 6.0, 6.5, 0.9, FALSE);  /* 6 */
  ave_analysis_add_word (analysis, "part", 6.6, 7.0, 0.9, FALSE);    /* 7 */
  ave_analysis_add_word (analysis, "here", 7.1, 7.6, 0.9, FALSE);    /* 8 */
  ave_analysis_add_word (analysis, "end", 12.0, 12.5, 0.9, FALSE);   /* 9 */
  return analysis;
}

static void
add_segment (AvePlan    *plan,
             double      start,
             double      end,
             const char *reason)
{
  AveSegment s = { .start = start, .end = end, .enabled = TRUE, .reason = (char *) reason };

  g_assert_true (ave_plan_append_segment (plan, &s));
}

/* What the local director would keep: each run of speech with its padding. */
static AvePlan *
make_plan (void)
{
  AvePlan *plan = ave_plan_new ("/videos/talk.mp4", 20.0);

  add_segment (plan, 0.85, 3.45, "speech (6 words)");
  add_segment (plan, 5.85, 7.75, "speech (3 words)");
  add_segment (plan, 11.85, 12.65, "speech (1 word)");
  return plan;
}

static char *
plan_json (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);

  return json_to_string (node, FALSE);
}

static void
assert_segment (AvePlan    *plan,
                guint       index,
                double      start,
                double      end,
                gboolean    enabled,
                const char *reason)
{
  const AveSegment *segment = ave_plan_get_segment (plan, index);

  g_assert_nonnull (segment);
  g_assert_cmpfloat_with_epsilon (segment->start, start, EPS);
  g_assert_cmpfloat_with_epsilon (segment->end, end, EPS);
  g_assert_cmpint (segment->enabled, ==, enabled);
  if (reason != NULL)
    {
      g_assert_cmpstr (segment->reason, ==, reason);
      g_assert_cmpint (segment->origin, ==, AVE_SEGMENT_ORIGIN_USER);
    }
}

/* The shared rule: the word before keeps its padding, or half the pause
 * when the pause is shorter than two paddings. */
static void
test_removal_range (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  double start, end;

  /* "this is": 0.1 s after "um" and before "a": half of each pause */
  ave_words_removal_range (analysis->words, 2, 3, PADDING, 20.0, &start, &end);
  g_assert_cmpfloat_with_epsilon (start, 1.85, EPS);
  g_assert_cmpfloat_with_epsilon (end, 2.55, EPS);
  /* "here": a full padding after "part"'s end is not needed (0.1 s pause);
   * before "end" (4.4 s later) the cut runs to its padding */
  ave_words_removal_range (analysis->words, 8, 8, PADDING, 20.0, &start, &end);
  g_assert_cmpfloat_with_epsilon (start, 7.05, EPS);
  g_assert_cmpfloat_with_epsilon (end, 11.85, EPS);
  /* the last word: to its padding, within the source */
  ave_words_removal_range (analysis->words, 9, 9, PADDING, 12.6, &start, &end);
  g_assert_cmpfloat_with_epsilon (start, 11.85, EPS);
  g_assert_cmpfloat_with_epsilon (end, 12.6, EPS);
}

/* Cutting words inside a segment splits it at the removal range; undo,
 * redo and restore give the exact plans. */
static void
test_cut_inside (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *original = plan_json (plan);
  g_autofree char *cut = NULL;
  g_autofree char *restored = NULL;
  g_autofree char *redone = NULL;
  double duration = ave_plan_get_output_duration (plan);

  g_assert_true (ave_plan_history_cut_words (history, analysis, 2, 3, PADDING));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 5);
  assert_segment (plan, 0, 0.85, 1.85, TRUE, NULL);
  g_assert_cmpstr (ave_plan_get_segment (plan, 0)->reason, ==, "speech (6 words)");
  assert_segment (plan, 1, 1.85, 2.55, FALSE, AVE_PLAN_WORDS_CUT_REASON);
  assert_segment (plan, 2, 2.55, 3.45, TRUE, NULL);
  assert_segment (plan, 3, 5.85, 7.75, TRUE, NULL);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), duration - 0.7, 1e-6);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Cut words");
  cut = plan_json (plan);

  /* cutting what is already cut changes nothing and records nothing */
  g_assert_false (ave_plan_history_cut_words (history, analysis, 2, 3, PADDING));
  g_assert_false (ave_plan_history_cut_words (history, analysis, 3, 3, PADDING));
  g_assert_true (ave_plan_history_undo (history));
  {
    g_autofree char *undone = plan_json (plan);

    g_assert_cmpstr (undone, ==, original);
  }
  g_assert_true (ave_plan_history_redo (history));
  redone = plan_json (plan);
  g_assert_cmpstr (redone, ==, cut);

  /* restoring the same words is the reverse edit, one more undo step */
  g_assert_true (ave_plan_history_restore_words (history, analysis, 2, 3, PADDING));
  restored = plan_json (plan);
  g_assert_cmpstr (restored, ==, original);
  g_assert_cmpstr (ave_plan_history_get_undo_label (history), ==, "Restore words");
  g_assert_false (ave_plan_history_restore_words (history, analysis, 2, 3, PADDING));
  g_assert_true (ave_plan_history_undo (history));
  {
    g_autofree char *undone = plan_json (plan);

    g_assert_cmpstr (undone, ==, cut);
  }

  /* invalid ranges are refused */
  g_assert_false (ave_plan_cut_words (plan, analysis, 3, 2, PADDING));
  g_assert_false (ave_plan_cut_words (plan, analysis, 0, 10, PADDING));
}

/* A range over the pause between two segments cuts the end of one and
 * the start of the other. */
static void
test_cut_across_segments (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *original = plan_json (plan);
  g_autofree char *restored = NULL;

  g_assert_true (ave_plan_history_cut_words (history, analysis, 5, 6, PADDING));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 5);
  assert_segment (plan, 0, 0.85, 2.75, TRUE, NULL);
  assert_segment (plan, 1, 2.75, 3.45, FALSE, AVE_PLAN_WORDS_CUT_REASON);
  assert_segment (plan, 2, 5.85, 6.55, FALSE, AVE_PLAN_WORDS_CUT_REASON);
  assert_segment (plan, 3, 6.55, 7.75, TRUE, NULL);
  g_assert_cmpint (ave_plan_get_segment (plan, 3)->origin, ==, AVE_SEGMENT_ORIGIN_LOCAL);
  assert_segment (plan, 4, 11.85, 12.65, TRUE, NULL);

  g_assert_true (ave_plan_history_restore_words (history, analysis, 5, 6, PADDING));
  restored = plan_json (plan);
  g_assert_cmpstr (restored, ==, original);
}

/* The first word: the cut piece starts the segment and keeps its place;
 * the last word: its whole segment is switched off. */
static void
test_cut_first_and_last (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autofree char *original = plan_json (plan);

  g_assert_true (ave_plan_history_cut_words (history, analysis, 0, 0, PADDING));
  assert_segment (plan, 0, 0.85, 1.45, FALSE, AVE_PLAN_WORDS_CUT_REASON);
  assert_segment (plan, 1, 1.45, 3.45, TRUE, NULL);
  g_assert_cmpfloat_with_epsilon (ave_plan_word_to_output (plan, analysis, 2), 1.9 - 1.45, 1e-9);
  g_assert_cmpfloat (ave_plan_word_to_output (plan, analysis, 0), <, 0.0);
  g_assert_true (ave_plan_history_restore_words (history, analysis, 0, 0, PADDING));
  {
    g_autofree char *restored = plan_json (plan);

    g_assert_cmpstr (restored, ==, original);
  }

  g_assert_true (ave_plan_history_cut_words (history, analysis, 9, 9, PADDING));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);
  assert_segment (plan, 2, 11.85, 12.65, FALSE, AVE_PLAN_WORDS_CUT_REASON);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 2.6 + 1.9, 1e-9);
  /* nothing to rejoin: the segment plays again, as the user's */
  g_assert_true (ave_plan_history_restore_words (history, analysis, 9, 9, PADDING));
  assert_segment (plan, 2, 11.85, 12.65, TRUE, AVE_PLAN_WORDS_RESTORE_REASON);
  g_assert_true (ave_plan_history_undo (history));
  g_assert_true (ave_plan_history_undo (history));
  {
    g_autofree char *undone = plan_json (plan);

    g_assert_cmpstr (undone, ==, original);
  }
}

/* A filler the director removed with its pause (in no segment) comes
 * back joined to both neighbours. */
static void
test_restore_removed_filler (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  g_autoptr(AvePlan) plan = ave_plan_new ("/videos/talk.mp4", 20.0);
  g_autoptr(AvePlanHistory) history = ave_plan_history_new (plan);
  g_autoptr(GArray) words = NULL;

  add_segment (plan, 0.85, 1.45, "speech (1 word)");
  add_segment (plan, 1.75, 3.45, "speech (4 words)");
  add_segment (plan, 5.85, 7.75, NULL);

  words = ave_plan_list_words (plan, analysis);
  g_assert_cmpuint (words->len, ==, 10);
  g_assert_cmpuint (g_array_index (words, AvePlanWord, 1).word, ==, 1);
  g_assert_false (g_array_index (words, AvePlanWord, 1).kept);
  g_assert_cmpint (g_array_index (words, AvePlanWord, 1).segment, ==, -1);
  /* the cut is where the first segment ends in the output */
  g_assert_cmpfloat_with_epsilon (g_array_index (words, AvePlanWord, 1).output_time, 0.6, 1e-9);

  g_assert_true (ave_plan_history_restore_words (history, analysis, 1, 1, PADDING));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  assert_segment (plan, 0, 0.85, 3.45, TRUE, NULL);
  g_assert_cmpstr (ave_plan_get_segment (plan, 0)->reason, ==, "speech (1 word)");
  g_assert_cmpfloat (ave_plan_word_to_output (plan, analysis, 1), >=, 0.0);
  g_assert_true (ave_plan_history_undo (history));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);
}

/* Output order and times, and back: reordered segments list their words
 * in the order they play. */
static void
test_output_mapping (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(GArray) words = NULL;
  static const guint order[] = { 6, 7, 8, 0, 1, 2, 3, 4, 5, 9 };

  for (guint w = 0; w < analysis->words->len; w++)
    {
      double t = ave_plan_word_to_output (plan, analysis, w);

      g_assert_cmpfloat (t, >=, 0.0);
      g_assert_cmpint (ave_plan_output_to_word (plan, analysis, t + 1e-6), ==, (int) w);
    }
  g_assert_cmpfloat_with_epsilon (ave_plan_word_to_output (plan, analysis, 6), 2.6 + 0.15, 1e-9);
  /* the pause before a segment's first word is no word */
  g_assert_cmpint (ave_plan_output_to_word (plan, analysis, 0.1), ==, -1);
  g_assert_cmpint (ave_words_at_source (analysis, 0.5), ==, -1);
  g_assert_cmpint (ave_words_at_source (analysis, 6.55), ==, 6);
  g_assert_cmpint (ave_words_at_source (analysis, 30.0), ==, 9);

  g_assert_true (ave_plan_move_segment (plan, 1, 0));
  words = ave_plan_list_words (plan, analysis);
  g_assert_cmpuint (words->len, ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < words->len; i++)
    {
      const AvePlanWord *entry = &g_array_index (words, AvePlanWord, i);

      g_assert_cmpuint (entry->word, ==, order[i]);
      g_assert_true (entry->kept);
      if (i > 0)
        g_assert_cmpfloat (entry->output_time, >, g_array_index (words, AvePlanWord, i - 1).output_time);
    }
  g_assert_cmpfloat_with_epsilon (ave_plan_word_to_output (plan, analysis, 0), 1.9 + 0.15, 1e-9);
}

/* A title card between two segments stays where it was through a cut
 * across them and the restore; segments are never joined across it. */
static void
test_title_card (void)
{
  g_autoptr(AveAnalysis) analysis = make_analysis ();
  g_autoptr(AvePlan) plan = make_plan ();
  g_autoptr(AvePlanHistory) history = NULL;
  g_autoptr(AveCard) card = ave_card_new_title ("Part two", NULL, 1, 2.0);
  g_autofree char *original = NULL;
  g_autofree char *restored = NULL;
  AveSegment joined = { .start = 3.45, .end = 5.85, .enabled = TRUE };

  g_assert_cmpint (ave_plan_add_card (plan, card), ==, 0);
  history = ave_plan_history_new (plan);
  original = plan_json (plan);

  g_assert_true (ave_plan_history_cut_words (history, analysis, 5, 6, PADDING));
  /* the card still plays before what is left of "second part here" */
  g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 2);
  assert_segment (plan, 2, 5.85, 6.55, FALSE, AVE_PLAN_WORDS_CUT_REASON);
  /* words after the card play after it */
  g_assert_cmpfloat_with_epsilon (ave_plan_word_to_output (plan, analysis, 7),
                                  1.9 + 2.0 + (6.6 - 6.55), 1e-9);
  g_assert_true (ave_plan_history_restore_words (history, analysis, 5, 6, PADDING));
  restored = plan_json (plan);
  g_assert_cmpstr (restored, ==, original);

  /* a segment continuing the one before, but after the card: not merged */
  g_assert_true (ave_plan_insert_segment (plan, 1, &joined));
  g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 2);
  g_assert_true (ave_plan_merge_segments (plan, 0));
  assert_segment (plan, 0, 0.85, 5.85, TRUE, NULL);
  g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 1);
  g_assert_false (ave_plan_merge_segments (plan, 0));
  g_assert_false (ave_plan_merge_segments (plan, 2));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plan-words/removal-range", test_removal_range);
  g_test_add_func ("/plan-words/cut-inside", test_cut_inside);
  g_test_add_func ("/plan-words/cut-across-segments", test_cut_across_segments);
  g_test_add_func ("/plan-words/cut-first-and-last", test_cut_first_and_last);
  g_test_add_func ("/plan-words/restore-removed-filler", test_restore_removed_filler);
  g_test_add_func ("/plan-words/output-mapping", test_output_mapping);
  g_test_add_func ("/plan-words/title-card", test_title_card);
  return g_test_run ();
}
