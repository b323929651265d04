/* test-settings.c — quality levels, modes and content types map to
 * concrete engine parameters; names parse; copies are deep. */
#include "config.h"

#include "ave-test-util.h"
#include "core/ave-settings.h"

static void
test_defaults (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();

  g_assert_cmpint (s->quality, ==, AVE_QUALITY_HIGH);
  g_assert_cmpint (s->mode, ==, AVE_MODE_BALANCED);
  g_assert_cmpint (s->content_type, ==, AVE_CONTENT_GENERAL);
  g_assert_true (s->transitions);
  g_assert_false (s->cut_fillers);
  g_assert_false (s->detect_beats);
  g_assert_cmpfloat (s->loudness_target, ==, -14.0);
  g_assert_true (ave_settings_is_filler_word (s, "um"));
  g_assert_true (ave_settings_is_filler_word (s, "uh"));
  g_assert_false (ave_settings_is_filler_word (s, "video"));
  g_assert_cmpuint (s->n_workers, >=, 1);
}

static void
test_quality_levels (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  guint previous_width = 0;
  guint previous_crf = 100;

  /* Each level up analyses more pixels and encodes at a lower CRF. */
  for (AveQuality q = AVE_QUALITY_FAST; q <= AVE_QUALITY_ULTRA; q++)
    {
      ave_settings_apply_quality (s, q);
      g_assert_cmpuint (s->analysis_width, >, previous_width);
      g_assert_cmpuint (s->crf, <, previous_crf);
      g_assert_nonnull (s->encoder_preset);
      previous_width = s->analysis_width;
      previous_crf = s->crf;
    }
}

static void
test_modes_and_types (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();

  ave_settings_apply_mode (s, AVE_MODE_FAST);
  g_assert_false (s->transitions);
  ave_settings_apply_mode (s, AVE_MODE_HIGH_QUALITY);
  g_assert_true (s->transitions);
  g_assert_cmpfloat (s->crossfade_duration, >, 0);

  ave_settings_apply_content_type (s, AVE_CONTENT_EDUCATIONAL);
  g_assert_true (s->cut_fillers);
  ave_settings_apply_content_type (s, AVE_CONTENT_MUSIC);
  g_assert_true (s->detect_beats);
  g_assert_false (s->cut_fillers);
}

static void
test_names (void)
{
  AveQuality q;
  AveMode m;
  AveContentType t;

  g_assert_true (ave_quality_from_string ("ultra", &q));
  g_assert_cmpint (q, ==, AVE_QUALITY_ULTRA);
  g_assert_false (ave_quality_from_string ("extreme", &q));
  g_assert_true (ave_mode_from_string ("high_quality", &m));
  g_assert_cmpint (m, ==, AVE_MODE_HIGH_QUALITY);
  g_assert_true (ave_mode_from_string ("high-quality", &m));
  g_assert_false (ave_mode_from_string ("turbo", &m));
  g_assert_true (ave_content_type_from_string ("educational", &t));
  g_assert_cmpint (t, ==, AVE_CONTENT_EDUCATIONAL);
  g_assert_false (ave_content_type_from_string (NULL, &t));
  for (AveQuality i = AVE_QUALITY_FAST; i <= AVE_QUALITY_ULTRA; i++)
    {
      g_assert_true (ave_quality_from_string (ave_quality_to_string (i), &q));
      g_assert_cmpint (q, ==, i);
    }
}

static void
test_copy_and_fillers (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveSettings) copy = NULL;
  const char *words[] = { " Like ", "UM", "", NULL };

  ave_settings_set_filler_words (s, words);
  g_assert_true (ave_settings_is_filler_word (s, "like"));
  g_assert_true (ave_settings_is_filler_word (s, "um"));
  g_assert_false (ave_settings_is_filler_word (s, "uh"));
  g_assert_cmpuint (g_strv_length (s->filler_words), ==, 2);

  copy = ave_settings_copy (s);
  g_assert_true (copy->filler_words != s->filler_words);
  g_assert_true (copy->encoder_preset != s->encoder_preset);
  g_assert_cmpstr (copy->encoder_preset, ==, s->encoder_preset);
}

static void
test_memory_budget (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  guint unbounded = s->encoder_lookahead;

  s->max_memory_bytes = 300ull << 20;
  ave_settings_apply_memory_budget (s);
  g_assert_cmpuint (s->encoder_lookahead, <, unbounded);
  g_assert_cmpuint (s->encoder_threads, <=, 2);
}

/* Which pictures the video analysis decodes: reference pictures below
 * ultra, every one at ultra, key pictures in fast mode; AVE_ANALYSIS_FRAMES
 * overrides the choice every way (bench/bench.sh compares them). */
static void
test_analysis_frames (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();

  g_unsetenv ("AVE_ANALYSIS_FRAMES");
  g_assert_cmpint (ave_settings_analysis_frames (s), ==, AVE_ANALYSIS_FRAMES_REFERENCE);
  ave_settings_apply_quality (s, AVE_QUALITY_ULTRA);
  g_assert_cmpint (ave_settings_analysis_frames (s), ==, AVE_ANALYSIS_FRAMES_ALL);
  ave_settings_apply_mode (s, AVE_MODE_FAST);
  g_assert_cmpint (ave_settings_analysis_frames (s), ==, AVE_ANALYSIS_FRAMES_KEY);

  g_setenv ("AVE_ANALYSIS_FRAMES", "all", TRUE);
  g_assert_cmpint (ave_settings_analysis_frames (s), ==, AVE_ANALYSIS_FRAMES_ALL);
  g_setenv ("AVE_ANALYSIS_FRAMES", "reference", TRUE);
  g_assert_cmpint (ave_settings_analysis_frames (s), ==, AVE_ANALYSIS_FRAMES_REFERENCE);
  ave_settings_apply_mode (s, AVE_MODE_BALANCED);
  g_setenv ("AVE_ANALYSIS_FRAMES", "key", TRUE);
  g_assert_cmpint (ave_settings_analysis_frames (s), ==, AVE_ANALYSIS_FRAMES_KEY);
  g_assert_cmpstr (ave_analysis_frames_to_string (ave_settings_analysis_frames (s)), ==, "key");
  /* anything else leaves the choice to the settings */
  g_setenv ("AVE_ANALYSIS_FRAMES", "every", TRUE);
  g_assert_cmpint (ave_settings_analysis_frames (s), ==, AVE_ANALYSIS_FRAMES_ALL);
  g_unsetenv ("AVE_ANALYSIS_FRAMES");
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/settings/defaults", test_defaults);
  g_test_add_func ("/engine/settings/quality-levels", test_quality_levels);
  g_test_add_func ("/engine/settings/modes-and-types", test_modes_and_types);
  g_test_add_func ("/engine/settings/names", test_names);
  g_test_add_func ("/engine/settings/copy-and-fillers", test_copy_and_fillers);
  g_test_add_func ("/engine/settings/memory-budget", test_memory_budget);
  g_test_add_func ("/engine/settings/analysis-frames", test_analysis_frames);

  return g_test_run ();
}
