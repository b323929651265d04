/* test-plan.c — the edit plan model: edits, timing, plan.json. */
#define G_LOG_DOMAIN "ave-test-plan"

#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/ave-error.h"
#include "director/ave-plan.h"
#include "director/ave-project.h"
#include "ave-test-util.h"

#define EPS 1e-9

static void
count_changed (AvePlan *plan,
               guint   *count)
{
  (*count)++;
}

static AvePlan *
make_plan (guint *changed)
{
  /* Source of 20 s; segments [1,4] [6,10] [12,18]. */
  AvePlan *plan = ave_plan_new ("/videos/talk.mp4", 20.0);
  AveSegment s = { 0 };

  s.enabled = TRUE;
  s.start = 1; s.end = 4; s.reason = (char *) "speech";
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 6; s.end = 10; s.reason = NULL;
  g_assert_true (ave_plan_append_segment (plan, &s));
  s.start = 12; s.end = 18; s.reason = (char *) "shot 3";
  g_assert_true (ave_plan_append_segment (plan, &s));

  if (changed != NULL)
    g_signal_connect (plan, "changed", G_CALLBACK (count_changed), changed);
  return plan;
}

static char *
plan_to_string (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static void
assert_segment (AvePlan *plan,
                guint    index,
                double   start,
                double   end)
{
  const AveSegment *s = ave_plan_get_segment (plan, index);

  g_assert_cmpfloat_with_epsilon (s->start, start, EPS);
  g_assert_cmpfloat_with_epsilon (s->end, end, EPS);
}

static void
test_append (void)
{
  g_autoptr(AvePlan) plan = ave_plan_new ("a.mp4", 10.0);
  guint changed = 0;
  AveSegment s = { 0 };

  g_signal_connect (plan, "changed", G_CALLBACK (count_changed), &changed);
  s.enabled = TRUE;

  s.start = 2; s.end = 2;          /* empty */
  g_assert_false (ave_plan_append_segment (plan, &s));
  s.start = 3; s.end = 2;          /* reversed */
  g_assert_false (ave_plan_append_segment (plan, &s));
  s.start = -1; s.end = 2;         /* before the source */
  g_assert_false (ave_plan_append_segment (plan, &s));
  s.start = 8; s.end = 10.5;       /* after the source */
  g_assert_false (ave_plan_append_segment (plan, &s));
  s.start = 1; s.end = 1.005;      /* shorter than a frame */
  g_assert_false (ave_plan_append_segment (plan, &s));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 0);
  g_assert_cmpuint (changed, ==, 0);

  s.start = 0; s.end = 10; s.reason = (char *) "all";
  g_assert_true (ave_plan_append_segment (plan, &s));
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpstr (ave_plan_get_segment (plan, 0)->reason, ==, "all");
  /* The plan owns a copy of the reason. */
  g_assert_true (ave_plan_get_segment (plan, 0)->reason != s.reason);
  g_assert_cmpstr (ave_plan_get_source (plan), ==, "a.mp4");
  g_assert_cmpfloat (ave_plan_get_source_duration (plan), ==, 10.0);
}

static void
test_trim (void)
{
  guint changed = 0;
  g_autoptr(AvePlan) plan = make_plan (&changed);

  g_assert_true (ave_plan_trim_segment (plan, 1, 5.5, 9.0));
  assert_segment (plan, 1, 5.5, 9.0);
  g_assert_cmpuint (changed, ==, 1);

  /* Invalid requests leave everything as it was and say nothing. */
  g_assert_false (ave_plan_trim_segment (plan, 1, 9.0, 5.5));
  g_assert_false (ave_plan_trim_segment (plan, 1, 5.0, 5.0));
  g_assert_false (ave_plan_trim_segment (plan, 1, 5.0, 5.005));
  g_assert_false (ave_plan_trim_segment (plan, 1, -0.5, 3.0));
  g_assert_false (ave_plan_trim_segment (plan, 1, 15.0, 20.5));
  g_assert_false (ave_plan_trim_segment (plan, 7, 1.0, 2.0));
  assert_segment (plan, 1, 5.5, 9.0);
  g_assert_cmpuint (changed, ==, 1);

  /* The whole source and exactly one minimum length are fine. */
  g_assert_true (ave_plan_trim_segment (plan, 2, 0.0, 20.0));
  g_assert_true (ave_plan_trim_segment (plan, 0, 2.0, 2.01));
  g_assert_cmpuint (changed, ==, 3);
}

static void
test_move (void)
{
  guint changed = 0;
  g_autoptr(AvePlan) plan = make_plan (&changed);

  g_assert_true (ave_plan_move_segment (plan, 0, 2));
  assert_segment (plan, 0, 6, 10);
  assert_segment (plan, 1, 12, 18);
  assert_segment (plan, 2, 1, 4);
  g_assert_cmpstr (ave_plan_get_segment (plan, 2)->reason, ==, "speech");
  g_assert_cmpuint (changed, ==, 1);

  g_assert_true (ave_plan_move_segment (plan, 2, 0));
  assert_segment (plan, 0, 1, 4);
  assert_segment (plan, 1, 6, 10);
  assert_segment (plan, 2, 12, 18);
  g_assert_cmpstr (ave_plan_get_segment (plan, 2)->reason, ==, "shot 3");
  g_assert_cmpuint (changed, ==, 2);

  g_assert_false (ave_plan_move_segment (plan, 3, 0));
  g_assert_false (ave_plan_move_segment (plan, 0, 3));
  assert_segment (plan, 0, 1, 4);
  g_assert_cmpuint (changed, ==, 2);
}

static void
test_split (void)
{
  guint changed = 0;
  g_autoptr(AvePlan) plan = make_plan (&changed);

  g_assert_true (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, 0.5));
  changed = 0;

  g_assert_true (ave_plan_split_segment (plan, 1, 7.5));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 4);
  assert_segment (plan, 1, 6, 7.5);
  assert_segment (plan, 2, 7.5, 10);
  /* The first half keeps the way in; the join is a plain cut. */
  g_assert_cmpint (ave_plan_get_segment (plan, 1)->transition, ==, AVE_TRANSITION_CROSSFADE);
  g_assert_cmpint (ave_plan_get_segment (plan, 2)->transition, ==, AVE_TRANSITION_CUT);
  g_assert_cmpuint (changed, ==, 1);
  /* Cutting a segment in two does not change the output. */
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 3 + 4 + 6 - 0.5, EPS);

  /* Only strictly inside. */
  g_assert_false (ave_plan_split_segment (plan, 1, 6.0));
  g_assert_false (ave_plan_split_segment (plan, 1, 7.5));
  g_assert_false (ave_plan_split_segment (plan, 1, 7.495));
  g_assert_false (ave_plan_split_segment (plan, 1, 11.0));
  g_assert_false (ave_plan_split_segment (plan, 9, 11.0));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 4);
  g_assert_cmpuint (changed, ==, 1);
}

static void
test_enable_remove (void)
{
  guint changed = 0;
  g_autoptr(AvePlan) plan = make_plan (&changed);

  g_assert_true (ave_plan_set_segment_enabled (plan, 1, FALSE));
  g_assert_false (ave_plan_get_segment (plan, 1)->enabled);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 3 + 6, EPS);
  g_assert_false (ave_plan_set_segment_enabled (plan, 3, FALSE));
  g_assert_cmpuint (changed, ==, 1);
  g_assert_true (ave_plan_set_segment_enabled (plan, 1, TRUE));
  g_assert_cmpuint (changed, ==, 2);

  g_assert_true (ave_plan_remove_segment (plan, 0));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  assert_segment (plan, 0, 6, 10);
  g_assert_cmpuint (changed, ==, 3);
  g_assert_false (ave_plan_remove_segment (plan, 2));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  g_assert_cmpuint (changed, ==, 3);
}

static void
test_transitions (void)
{
  guint changed = 0;
  g_autoptr(AvePlan) plan = make_plan (&changed);

  /* Segment 1 lasts 4 s and follows one of 3 s. */
  g_assert_false (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, 3.0));
  g_assert_false (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, 0.0));
  g_assert_false (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, -1.0));
  g_assert_false (ave_plan_set_transition (plan, 5, AVE_TRANSITION_FADE, 1.0));
  g_assert_false (ave_plan_set_transition (plan, 1, (AveTransitionType) 17, 1.0));
  g_assert_cmpuint (changed, ==, 0);
  g_assert_cmpint (ave_plan_get_segment (plan, 1)->transition, ==, AVE_TRANSITION_CUT);

  g_assert_true (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, 2.9));
  g_assert_cmpuint (changed, ==, 1);
  g_assert_true (ave_plan_set_transition (plan, 2, AVE_TRANSITION_FADE, 1.0));
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 2)->transition_duration, ==, 1.0);

  /* A cut has no duration whatever is asked. */
  g_assert_true (ave_plan_set_transition (plan, 2, AVE_TRANSITION_CUT, 1.0));
  g_assert_cmpfloat (ave_plan_get_segment (plan, 2)->transition_duration, ==, 0.0);

  /* Trimming a neighbour shorter than the crossfade shortens the crossfade
   * so the plan stays renderable. */
  g_assert_true (ave_plan_trim_segment (plan, 0, 1.0, 2.0));
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->transition_duration, <, 1.0);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->transition_duration, >, 0.0);
}

static void
test_output_duration (void)
{
  g_autoptr(AvePlan) plan = make_plan (NULL);
  g_autoptr(AvePlan) copy = NULL;

  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 13.0, EPS);

  /* A crossfade overlaps the previous segment. */
  g_assert_true (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, 0.5));
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 12.5, EPS);
  /* A fade through black does not. */
  g_assert_true (ave_plan_set_transition (plan, 2, AVE_TRANSITION_FADE, 1.0));
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 12.5, EPS);
  g_assert_true (ave_plan_set_transition (plan, 2, AVE_TRANSITION_CROSSFADE, 1.0));
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 11.5, EPS);
  /* The first segment's transition has nothing to overlap. */
  g_assert_true (ave_plan_set_transition (plan, 0, AVE_TRANSITION_CROSSFADE, 1.0));
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 11.5, EPS);

  /* With the first one disabled, the second becomes first and its
   * crossfade is ignored. */
  g_assert_true (ave_plan_set_segment_enabled (plan, 0, FALSE));
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 4 + 6 - 1.0, EPS);

  /* A copy is independent. */
  copy = ave_plan_copy (plan);
  g_assert_true (ave_plan_remove_segment (copy, 2));
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (copy), 4.0, EPS);
}

static void
test_source_to_output (void)
{
  g_autoptr(AvePlan) plan = make_plan (NULL);

  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 1.0), 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 2.5), 1.5, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 7.0), 4.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 17.0), 12.0, EPS);
  /* Cut parts. */
  g_assert_cmpfloat (ave_plan_source_to_output (plan, 0.5), ==, -1.0);
  g_assert_cmpfloat (ave_plan_source_to_output (plan, 5.0), ==, -1.0);
  g_assert_cmpfloat (ave_plan_source_to_output (plan, 19.0), ==, -1.0);

  /* The crossfade pulls everything after it earlier. */
  g_assert_true (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, 0.5));
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 6.0), 2.5, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 17.0), 11.5, EPS);

  /* Disabled segments are cut; reordered ones map in their new place. */
  g_assert_true (ave_plan_set_segment_enabled (plan, 0, FALSE));
  g_assert_cmpfloat (ave_plan_source_to_output (plan, 2.0), ==, -1.0);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 6.0), 0.0, EPS);
  g_assert_true (ave_plan_move_segment (plan, 2, 0));
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 12.0), 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 6.0), 6.0 - 0.5, EPS);

  /* A source moment used twice maps to its first appearance. */
  {
    AveSegment s = { 0 };

    s.start = 12; s.end = 14; s.enabled = TRUE;
    g_assert_true (ave_plan_append_segment (plan, &s));
    g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 13.0), 1.0, EPS);
  }
}

static void
test_chapters (void)
{
  guint changed = 0;
  g_autoptr(AvePlan) plan = make_plan (&changed);

  ave_plan_add_chapter (plan, 30.0, "Later");
  ave_plan_add_chapter (plan, 0.0, "Intro");
  ave_plan_add_chapter (plan, 10.0, "Middle");
  g_assert_cmpuint (changed, ==, 3);
  g_assert_cmpuint (ave_plan_get_n_chapters (plan), ==, 3);
  g_assert_cmpstr (ave_plan_get_chapter (plan, 0)->title, ==, "Intro");
  g_assert_cmpstr (ave_plan_get_chapter (plan, 1)->title, ==, "Middle");
  g_assert_cmpfloat (ave_plan_get_chapter (plan, 2)->time, ==, 30.0);

  ave_plan_set_director (plan, "local");
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "local");
  g_assert_cmpuint (changed, ==, 4);

  ave_plan_clear_chapters (plan);
  g_assert_cmpuint (ave_plan_get_n_chapters (plan), ==, 0);
  g_assert_cmpuint (changed, ==, 5);
}

static void
test_json_roundtrip (void)
{
  g_autoptr(AvePlan) plan = make_plan (NULL);
  g_autoptr(AvePlan) loaded = NULL;
  g_autoptr(AvePlan) from_node = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ave_test_path ("plan.json");
  g_autofree char *contents = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  ave_plan_set_director (plan, "local");
  g_assert_true (ave_plan_set_transition (plan, 1, AVE_TRANSITION_CROSSFADE, 0.4));
  g_assert_true (ave_plan_set_transition (plan, 2, AVE_TRANSITION_FADE, 1.25));
  g_assert_true (ave_plan_set_segment_enabled (plan, 2, FALSE));
  g_assert_true (ave_plan_trim_segment (plan, 0, 1.1, 3.3333333333333335));
  ave_plan_add_chapter (plan, 0, "Welcome \"home\"");
  ave_plan_add_chapter (plan, 2.5, "Part two\\with\ttab");

  node = ave_plan_to_json (plan);
  from_node = ave_plan_new_from_json (node, &error);
  g_assert_no_error (error);

  g_assert_true (ave_plan_save (plan, path, &error));
  g_assert_no_error (error);
  loaded = ave_plan_load (path, &error);
  g_assert_no_error (error);

  a = plan_to_string (plan);
  b = plan_to_string (from_node);
  c = plan_to_string (loaded);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, ==, c);

  g_assert_cmpstr (ave_plan_get_source (loaded), ==, "/videos/talk.mp4");
  g_assert_cmpfloat (ave_plan_get_source_duration (loaded), ==, 20.0);
  g_assert_cmpstr (ave_plan_get_director (loaded), ==, "local");
  g_assert_cmpuint (ave_plan_get_n_segments (loaded), ==, 3);
  g_assert_cmpfloat (ave_plan_get_segment (loaded, 0)->end, ==, 3.3333333333333335);
  g_assert_cmpint (ave_plan_get_segment (loaded, 1)->transition, ==, AVE_TRANSITION_CROSSFADE);
  g_assert_cmpfloat (ave_plan_get_segment (loaded, 1)->transition_duration, ==, 0.4);
  g_assert_cmpint (ave_plan_get_segment (loaded, 2)->transition, ==, AVE_TRANSITION_FADE);
  g_assert_false (ave_plan_get_segment (loaded, 2)->enabled);
  g_assert_null (ave_plan_get_segment (loaded, 1)->reason);
  g_assert_cmpstr (ave_plan_get_segment (loaded, 2)->reason, ==, "shot 3");
  g_assert_cmpstr (ave_plan_get_chapter (loaded, 0)->title, ==, "Welcome \"home\"");
  g_assert_cmpstr (ave_plan_get_chapter (loaded, 1)->title, ==, "Part two\\with\ttab");
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (loaded),
                                  ave_plan_get_output_duration (plan), EPS);

  /* Written for people: short numbers, the derived duration included. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"transition_duration\": 0.4,"));
  g_assert_nonnull (strstr (contents, "\"output_duration\": "));
  g_assert_null (strstr (contents, "0000000"));
  g_assert_null (strstr (contents, "e+"));
  g_assert_nonnull (strstr (contents, "\"source_duration\": 20,"));
}

static void
test_json_output_duration_ignored (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  g_assert_true (json_parser_load_from_data (parser,
    "{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":10,"
    "\"segments\":[{\"start\":0,\"end\":4},{\"start\":5,\"end\":9,\"transition\":\"crossfade\"}],"
    "\"output_duration\":99}", -1, NULL));
  plan = ave_plan_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  /* Defaults: enabled, a cut, and half a second for a crossfade without a duration. */
  g_assert_true (ave_plan_get_segment (plan, 0)->enabled);
  g_assert_cmpint (ave_plan_get_segment (plan, 0)->transition, ==, AVE_TRANSITION_CUT);
  g_assert_cmpfloat (ave_plan_get_segment (plan, 1)->transition_duration, ==, 0.5);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 7.5, EPS);
}

static void
expect_load_error (const char *json,
                   int         code,
                   const char *expected)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  plan = ave_plan_new_from_json (json_parser_get_root (parser), &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, code);
  if (strstr (error->message, expected) == NULL)
    g_error ("expected \"%s\" in the error for %s, got: %s", expected, json, error->message);
}

#define HEAD "{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":10,"

static void
test_json_invalid (void)
{
  expect_load_error ("{\"source\":\"a.mp4\"}", AVE_PLAN_ERROR_INVALID, "version: missing");
  expect_load_error ("{\"version\":3,\"source\":\"a.mp4\"}", AVE_PLAN_ERROR_VERSION, "newer");
  expect_load_error ("{\"version\":1,\"source_duration\":10,\"segments\":[]}",
                     AVE_PLAN_ERROR_INVALID, "source: missing");
  expect_load_error ("{\"version\":1,\"source\":\"a.mp4\",\"segments\":[]}",
                     AVE_PLAN_ERROR_INVALID, "source_duration: missing");
  expect_load_error ("{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":0,\"segments\":[]}",
                     AVE_PLAN_ERROR_INVALID, "source_duration: must be greater than 0");
  expect_load_error (HEAD "\"director\":5,\"segments\":[]}", AVE_PLAN_ERROR_INVALID, "director: expected a string");
  expect_load_error (HEAD "\"chapters\":[]}", AVE_PLAN_ERROR_INVALID, "segments: missing");
  expect_load_error (HEAD "\"segments\":{}}", AVE_PLAN_ERROR_INVALID, "segments: expected an array");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1},{\"start\":1,\"end\":2},"
                     "{\"start\":4,\"end\":3}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[2].end: must be greater than start (4.000)");
  expect_load_error (HEAD "\"segments\":[{\"start\":0}]}", AVE_PLAN_ERROR_INVALID, "segments[0].end: missing");
  expect_load_error (HEAD "\"segments\":[{\"start\":\"0\",\"end\":1}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].start: expected a number");
  expect_load_error (HEAD "\"segments\":[{\"start\":-1,\"end\":1}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].start: must not be negative");
  expect_load_error (HEAD "\"segments\":[{\"start\":5,\"end\":12}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].end: 12.000 is beyond the end of the source");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1,\"transition\":\"wipe\"}]}",
                     AVE_PLAN_ERROR_INVALID,
                     "segments[0].transition: unknown transition \"wipe\" (allowed: cut, crossfade, fade)");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1},"
                     "{\"start\":2,\"end\":5,\"transition\":\"crossfade\",\"transition_duration\":1.5}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[1].transition_duration: 1.500 must be shorter");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1,\"transition\":\"fade\",\"transition_duration\":0}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].transition_duration: a fade needs a duration");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1,\"enabled\":\"yes\"}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].enabled: expected true or false");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1,\"reason\":[]}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].reason: expected a string");
  expect_load_error (HEAD "\"segments\":[7]}", AVE_PLAN_ERROR_INVALID, "segments[0]: expected an object");
  expect_load_error (HEAD "\"segments\":[],\"chapters\":[{\"time\":1}]}",
                     AVE_PLAN_ERROR_INVALID, "chapters[0].title: missing");
  expect_load_error (HEAD "\"segments\":[],\"chapters\":[{\"title\":\"x\"}]}",
                     AVE_PLAN_ERROR_INVALID, "chapters[0].time: missing");
  expect_load_error (HEAD "\"segments\":[],\"chapters\":[{\"time\":-2,\"title\":\"x\"}]}",
                     AVE_PLAN_ERROR_INVALID, "chapters[0].time: must not be negative");
  expect_load_error ("[]", AVE_PLAN_ERROR_INVALID, "JSON object");
}


/* Issue #9: every number finite and in range, every string and list
 * capped; json-glib reads 1e999 as infinity. */
static void
test_json_limits (void)
{
  g_autoptr(GString) long_title = g_string_new (NULL);
  g_autoptr(GString) many_chapters = g_string_new (HEAD "\"segments\":[],\"chapters\":[");
  g_autofree char *json = NULL;

  expect_load_error ("{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":1e999,\"segments\":[]}",
                     AVE_PLAN_ERROR_INVALID, "source_duration: must be a finite number");
  expect_load_error ("{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":1e7,\"segments\":[]}",
                     AVE_PLAN_ERROR_INVALID, "source_duration: must be greater than 0 and at most 1000000");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1e999}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].end: must be a finite number");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1,\"transition\":\"fade\","
                     "\"transition_duration\":-1e999}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].transition_duration: must be a finite number");
  expect_load_error (HEAD "\"segments\":[],\"chapters\":[{\"time\":1e999,\"title\":\"x\"}]}",
                     AVE_PLAN_ERROR_INVALID, "chapters[0].time: must be a finite number");
  expect_load_error (HEAD "\"segments\":[],\"chapters\":[{\"time\":2e6,\"title\":\"x\"}]}",
                     AVE_PLAN_ERROR_INVALID, "chapters[0].time: must be at most 1000000 s");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1}],"
                     "\"cards\":[{\"kind\":\"title\",\"title\":\"Hi\",\"insert_before\":0,\"duration\":1e7}]}",
                     AVE_PLAN_ERROR_INVALID, "cards[0].duration: a title card plays at most 300 s");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1}],"
                     "\"cards\":[{\"kind\":\"title\",\"title\":\"Hi\",\"insert_before\":1e999,\"duration\":2}]}",
                     AVE_PLAN_ERROR_INVALID, "cards[0].insert_before: must be a finite number");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1}],"
                     "\"cards\":[{\"kind\":\"overlay\",\"title\":\"Hi\",\"time\":5e6,\"duration\":2}]}",
                     AVE_PLAN_ERROR_INVALID, "cards[0].time: must be from 0 to 1000000 s");
  expect_load_error (HEAD "\"segments\":[{\"start\":0,\"end\":1}],"
                     "\"cards\":[{\"kind\":\"overlay\",\"title\":\"Hi\",\"time\":1,\"duration\":2,\"x\":1e999}]}",
                     AVE_PLAN_ERROR_INVALID, "cards[0].x: must be a finite number");

  /* A 100,000-character title took more than 28 CPU seconds a frame to draw. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (long_title, "abcdefghij "[i % 11]);
  json = g_strdup_printf (HEAD "\"segments\":[{\"start\":0,\"end\":1}],"
                          "\"cards\":[{\"kind\":\"title\",\"title\":\"%s\",\"insert_before\":0,\"duration\":2}]}",
                          long_title->str);
  expect_load_error (json, AVE_PLAN_ERROR_INVALID, "cards[0].title: too long (more than 200 characters)");
  g_free (json);
  json = g_strdup_printf (HEAD "\"segments\":[],\"chapters\":[{\"time\":1,\"title\":\"%s\"}]}", long_title->str);
  expect_load_error (json, AVE_PLAN_ERROR_INVALID, "chapters[0].title: too long");

  for (guint i = 0; i <= AVE_PLAN_MAX_CHAPTERS; i++)
    g_string_append_printf (many_chapters, "%s{\"time\":%u,\"title\":\"c\"}", i > 0 ? "," : "", i);
  g_string_append (many_chapters, "]}");
  expect_load_error (many_chapters->str, AVE_PLAN_ERROR_INVALID, "chapters: too many elements (10001; at most 10000)");
}

/* Chapters are appended and sorted once (loading was quadratic); the order
 * must be the one insertion gave: by time, ties in the file's order. */
static void
test_json_chapters_sorted (void)
{
  g_autoptr(GString) json = g_string_new (HEAD "\"segments\":[],\"chapters\":[");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;
  guint n = 5000;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s{\"time\":%u,\"title\":\"%u\"}", i > 0 ? "," : "", (n - 1 - i) / 2, i);
  g_string_append (json, "]}");
  g_assert_true (json_parser_load_from_data (parser, json->str, -1, NULL));
  plan = ave_plan_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_plan_get_n_chapters (plan), ==, n);
  for (guint i = 1; i < n; i++)
    {
      const AveChapter *a = ave_plan_get_chapter (plan, i - 1), *b = ave_plan_get_chapter (plan, i);

      g_assert_cmpfloat (a->time, <=, b->time);
      if (a->time == b->time)
        g_assert_cmpint (atoi (a->title), <, atoi (b->title));
    }
}

static void
make_sparse_file (const char *path,
                  goffset     size)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  close (fd);
}

/* Files are not read whole whatever their size, nor parsed whatever their
 * depth (json-glib recurses once per level). */
static void
test_load_file_caps (void)
{
  g_autofree char *big = ave_test_path ("big-plan.json");
  g_autofree char *deep = ave_test_path ("deep-plan.json");
  g_autofree char *nested = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  make_sparse_file (big, (goffset) AVE_PLAN_MAX_FILE_BYTES + 1);
  plan = ave_plan_load (big, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, big));
  g_assert_nonnull (strstr (error->message, "more than the 32 MiB"));
  g_clear_error (&error);
  g_unlink (big);

  nested = g_strnfill (1000000, '[');
  g_assert_true (g_file_set_contents (deep, nested, -1, NULL));
  plan = ave_plan_load (deep, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "more than 64 deep"));
  g_clear_error (&error);

  plan = ave_plan_load (ave_test_tmpdir (), &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
}

/* Issue #9: a project file (*.aveproj) gets the same limits: its size is
 * capped and the plan inside is read by the same checks. */
static void
test_project_limits (void)
{
  g_autofree char *big = ave_test_path ("big.aveproj");
  g_autofree char *inf = ave_test_path ("inf.aveproj");
  g_autofree char *long_path = g_strnfill (AVE_PLAN_MAX_PATH_CHARS + 1, 'p');
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  AveProject *project;

  make_sparse_file (big, (goffset) AVE_PLAN_MAX_FILE_BYTES + 1);
  project = ave_project_load (big, &error);
  g_assert_null (project);
  g_assert_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "more than the 32 MiB"));
  g_clear_error (&error);
  g_unlink (big);

  g_assert_true (g_file_set_contents (inf,
    "{\"version\":1,\"source\":\"talk.mp4\",\"plan\":{\"version\":1,\"source\":\"talk.mp4\","
    "\"source_duration\":1e999,\"segments\":[]}}", -1, NULL));
  project = ave_project_load (inf, &error);
  g_assert_null (project);
  g_assert_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, inf));
  g_assert_nonnull (strstr (error->message, "plan: source_duration: must be a finite number"));
  g_clear_error (&error);

  json = g_strdup_printf ("{\"version\":1,\"source\":\"%s\",\"plan\":{}}", long_path);
  g_assert_true (g_file_set_contents (inf, json, -1, NULL));
  project = ave_project_load (inf, &error);
  g_assert_null (project);
  g_assert_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "source: too long"));
}

/* Whatever the editing calls accept, plan.json holds and loads again. */
static void
test_save_within_limits (void)
{
  g_autoptr(AvePlan) plan = make_plan (NULL);
  g_autoptr(AvePlan) loaded = NULL;
  g_autoptr(AveCard) card = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ave_test_path ("limits-plan.json");
  g_autofree char *title = g_strnfill (300, 'x');
  g_autofree char *reason = g_strnfill (5000, 'r');
  AveSegment s = { 0 };

  ave_plan_add_chapter (plan, 1.0, title);
  ave_plan_add_chapter (plan, 1e300, "far");
  s.start = 18.5; s.end = 19.5; s.enabled = TRUE; s.reason = reason;
  g_assert_true (ave_plan_append_segment (plan, &s));

  card = ave_card_new_title ("Long", NULL, 0, 1e7);
  g_assert_cmpint (ave_plan_add_card (plan, card), ==, -1);
  card->duration = AVE_PLAN_MAX_TITLE_CARD_SECONDS;
  g_assert_cmpint (ave_plan_add_card (plan, card), ==, 0);
  g_free (card->title);
  card->title = g_strnfill (AVE_PLAN_MAX_TITLE_CHARS + 1, 't');
  g_assert_false (ave_plan_update_card (plan, 0, card));

  g_assert_true (ave_plan_save (plan, path, &error));
  g_assert_no_error (error);
  loaded = ave_plan_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_utf8_strlen (ave_plan_get_chapter (loaded, 0)->title, -1), ==, AVE_PLAN_MAX_TITLE_CHARS);
  g_assert_cmpfloat (ave_plan_get_chapter (loaded, 1)->time, ==, AVE_PLAN_MAX_SECONDS);
  g_assert_cmpuint (strlen (ave_plan_get_segment (loaded, 3)->reason), ==, AVE_PLAN_MAX_REASON_CHARS);
  g_assert_cmpfloat (ave_plan_get_card (loaded, 0)->duration, ==, AVE_PLAN_MAX_TITLE_CARD_SECONDS);
}

/* Issue #10: the plan's source is compared with the input by identity. */
static void
test_check_source (void)
{
  g_autofree char *dir = ave_test_path ("check-source");
  g_autofree char *video = g_build_filename (dir, "video.mp4", NULL);
  g_autofree char *link = g_build_filename (dir, "link.mp4", NULL);
  g_autofree char *other = g_build_filename (dir, "other.mp4", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.mp4", NULL);
  g_autofree char *spelled = g_build_filename (dir, ".", "..", "check-source", "video.mp4", NULL);
  g_autoptr(AvePlan) plan = ave_plan_new (video, 10.0);
  g_autoptr(AvePlan) linked = ave_plan_new (link, 10.0);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  /* The same bytes in both: only identity tells them apart. */
  g_assert_true (g_file_set_contents (video, "same", -1, NULL));
  g_assert_true (g_file_set_contents (other, "same", -1, NULL));
  g_unlink (link);
  g_assert_cmpint (symlink ("video.mp4", link), ==, 0);

  g_assert_true (ave_plan_check_source (plan, video, &error));
  g_assert_no_error (error);
  g_assert_true (ave_plan_check_source (plan, spelled, &error));
  g_assert_no_error (error);
  g_assert_true (ave_plan_check_source (plan, link, &error));
  g_assert_no_error (error);
  g_assert_true (ave_plan_check_source (linked, video, &error));
  g_assert_no_error (error);

  g_assert_false (ave_plan_check_source (plan, other, &error));
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, video));
  g_assert_nonnull (strstr (error->message, other));
  g_clear_error (&error);

  g_assert_false (ave_plan_check_source (plan, missing, &error));
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  {
    g_autoptr(AvePlan) lost = ave_plan_new (missing, 10.0);

    g_assert_false (ave_plan_check_source (lost, video, &error));
    g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, missing));
    g_assert_nonnull (strstr (error->message, video));
  }
}

/* Issue #10: the source is written relative to the plan's folder, so a
 * folder holding both can move; absolute sources of older plans load. */
static void
test_moved_folder (void)
{
  g_autofree char *first = ave_test_path ("project-a");
  g_autofree char *second = ave_test_path ("project-b");
  g_autofree char *video = g_build_filename (first, "media", "talk.mp4", NULL);
  g_autofree char *media = g_path_get_dirname (video);
  g_autofree char *plan_path = g_build_filename (first, "plan.json", NULL);
  g_autofree char *moved_plan = g_build_filename (second, "plan.json", NULL);
  g_autofree char *moved_video = g_build_filename (second, "media", "talk.mp4", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *old_style = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AvePlan) loaded = NULL;
  g_autoptr(AvePlan) old = NULL;
  g_autoptr(GError) error = NULL;
  AveSegment s = { 0 };

  ave_test_sh ("rm -rf '%s' '%s'", first, second);
  g_assert_cmpint (g_mkdir_with_parents (media, 0755), ==, 0);
  g_assert_true (g_file_set_contents (video, "video", -1, NULL));
  plan = ave_plan_new (video, 10.0);
  s.start = 0; s.end = 5; s.enabled = TRUE;
  g_assert_true (ave_plan_append_segment (plan, &s));
  g_assert_true (ave_plan_save (plan, plan_path, &error));
  g_assert_no_error (error);
  /* In memory the path stays as given. */
  g_assert_cmpstr (ave_plan_get_source (plan), ==, video);

  g_assert_true (g_file_get_contents (plan_path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"source\": \"media/talk.mp4\""));

  ave_test_sh ("cp -r '%s' '%s'", first, second);
  loaded = ave_plan_load (moved_plan, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_plan_get_source (loaded), ==, moved_video);
  g_assert_true (ave_plan_check_source (loaded, moved_video, &error));
  g_assert_no_error (error);
  g_assert_false (ave_plan_check_source (loaded, video, &error));
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_clear_error (&error);

  /* A plan written before sources were relative names the file itself. */
  old_style = g_strdup_printf ("{\"version\":1,\"source\":\"%s\",\"source_duration\":10,"
                               "\"segments\":[{\"start\":0,\"end\":5}]}", video);
  g_assert_true (g_file_set_contents (moved_plan, old_style, -1, NULL));
  old = ave_plan_load (moved_plan, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_plan_get_source (old), ==, video);
}

static void
test_load_parse_error (void)
{
  g_autofree char *path = ave_test_path ("broken-plan.json");
  g_autofree char *missing = ave_test_path ("no-plan.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  g_assert_true (g_file_set_contents (path,
                                      "{\n  \"version\": 1,\n  \"segments\": [\n    { \"start\": 0, \"end\": }\n  ]\n}\n",
                                      -1, NULL));
  plan = ave_plan_load (path, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, path));
  /* json-glib reports line 4, where the value is missing. */
  g_assert_nonnull (strstr (error->message, ":4:"));
  g_clear_error (&error);

  plan = ave_plan_load (missing, &error);
  g_assert_null (plan);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, HEAD "\"segments\":[{\"start\":3,\"end\":2}]}", -1, NULL));
  plan = ave_plan_load (path, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "segments[0].end"));
}

static void
test_validate (void)
{
  g_autoptr(AvePlan) plan = make_plan (NULL);
  g_autoptr(AvePlan) empty = ave_plan_new ("a.mp4", 10);
  g_autoptr(GError) error = NULL;

  g_assert_true (ave_plan_validate (plan, 20.0, &error));
  g_assert_no_error (error);
  /* Probes differ by a frame or so. */
  g_assert_true (ave_plan_validate (plan, 17.96, &error));
  g_assert_no_error (error);

  g_assert_false (ave_plan_validate (plan, 15.0, &error));
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "segments[2].end"));
  g_clear_error (&error);

  g_assert_false (ave_plan_validate (plan, 11.0, &error));
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "segments[2].start"));
  g_clear_error (&error);

  for (guint i = 0; i < 3; i++)
    g_assert_true (ave_plan_set_segment_enabled (plan, i, FALSE));
  g_assert_false (ave_plan_validate (plan, 20.0, &error));
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "disabled"));
  g_clear_error (&error);

  g_assert_false (ave_plan_validate (empty, 10.0, &error));
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY);
}

/* The example in docs/plan-schema.md is what users copy: it must load and
 * its numbers must be right. */
static void
test_documented_example (void)
{
  g_autofree char *doc_path = g_build_filename (ave_test_source_root (), "docs", "plan-schema.md", NULL);
  g_autofree char *doc = NULL;
  g_autofree char *example = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;
  JsonObject *root;
  const char *begin, *end;

  g_assert_true (g_file_get_contents (doc_path, &doc, NULL, &error));
  g_assert_no_error (error);
  begin = strstr (doc, "```json\n");
  g_assert_nonnull (begin);
  begin += strlen ("```json\n");
  end = strstr (begin, "```");
  g_assert_nonnull (end);
  example = g_strndup (begin, end - begin);

  g_assert_true (json_parser_load_from_data (parser, example, -1, &error));
  g_assert_no_error (error);
  plan = ave_plan_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan),
                                  json_object_get_double_member (root, "output_duration"), EPS);
  g_assert_cmpuint (ave_plan_get_n_chapters (plan), ==, 2);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_chapter (plan, 1)->time,
                                  ave_plan_source_to_output (plan, ave_plan_get_segment (plan, 3)->start), EPS);
  g_assert_true (ave_plan_validate (plan, 60.0, &error));
  g_assert_no_error (error);
}

/* Schema v2: each segment says who decided it; a version-1 plan still
 * loads, its segments read as the local director's. */
static void
test_segment_origin (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) v1 = NULL;
  g_autoptr(AvePlan) again = NULL;
  g_autoptr(JsonNode) node = NULL;
  AveSegment llm = { .start = 5, .end = 9, .enabled = TRUE, .reason = (char *) "the model kept it",
                     .origin = AVE_SEGMENT_ORIGIN_LLM };
  JsonObject *first;

  g_assert_true (json_parser_load_from_data (parser,
    "{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":10,"
    "\"segments\":[{\"start\":0,\"end\":4,\"reason\":\"speech\"}]}", -1, NULL));
  v1 = ave_plan_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_cmpint (ave_plan_get_segment (v1, 0)->origin, ==, AVE_SEGMENT_ORIGIN_LOCAL);

  g_assert_true (ave_plan_append_segment (v1, &llm));
  node = ave_plan_to_json (v1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "version"), ==, 2);
  first = json_array_get_object_element (json_object_get_array_member (json_node_get_object (node), "segments"), 1);
  g_assert_cmpstr (json_object_get_string_member (first, "origin"), ==, "llm");
  g_assert_cmpstr (json_object_get_string_member (first, "reason"), ==, "the model kept it");
  again = ave_plan_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ave_plan_get_segment (again, 1)->origin, ==, AVE_SEGMENT_ORIGIN_LLM);
  g_assert_cmpstr (ave_plan_get_segment (again, 1)->reason, ==, "the model kept it");

  /* A trim makes the bounds the user's. */
  g_assert_true (ave_plan_trim_segment (again, 1, 5.5, 9));
  g_assert_cmpint (ave_plan_get_segment (again, 1)->origin, ==, AVE_SEGMENT_ORIGIN_USER);

  expect_load_error ("{\"version\":2,\"source\":\"a.mp4\",\"source_duration\":10,"
                     "\"segments\":[{\"start\":0,\"end\":4,\"origin\":\"robot\"}]}",
                     AVE_PLAN_ERROR_INVALID, "segments[0].origin: unknown origin");
}

/* Issue #10: plan.json is read by the engine's one document reader; its
 * errors name the file, then the member by its path, then what was
 * expected and what was found. */
static void
expect_plan_file_error (const char *path,
                        const char *json,
                        int         code,
                        const char *detail)
{
  g_autofree char *expected = g_strdup_printf ("%s: %s", path, detail);
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  plan = ave_plan_load (path, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, code);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_document_errors (void)
{
  g_autofree char *path = ave_test_path ("document-plan.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  /* A wrong type deep in a segment. */
  expect_plan_file_error (path,
                          HEAD "\"segments\":[{\"start\":0,\"end\":1},{\"start\":1,\"end\":2},"
                          "{\"start\":2,\"end\":3},{\"start\":\"3\",\"end\":4}]}",
                          AVE_PLAN_ERROR_INVALID, "segments[3].start: expected a number, found a string");
  expect_plan_file_error (path, HEAD "\"segments\":[{\"start\":0,\"end\":1,\"enabled\":null}]}",
                          AVE_PLAN_ERROR_INVALID, "segments[0].enabled: expected true or false, found null");
  expect_plan_file_error (path,
                          "{\"version\":2,\"source\":\"a.mp4\",\"source_duration\":10,"
                          "\"segments\":[{\"start\":0,\"end\":1}],\"metadata\":{\"title\":\"T\",\"tags\":\"talk\"}}",
                          AVE_PLAN_ERROR_INVALID, "metadata.tags: expected an array, found a string");
  expect_plan_file_error (path, HEAD "\"segments\":[{\"start\":0,\"end\":1}],\"chapters\":[\"intro\"]}",
                          AVE_PLAN_ERROR_INVALID, "chapters[0]: expected an object with time and title, found a string");
  /* A missing member. */
  expect_plan_file_error (path, HEAD "\"segments\":[{\"start\":0,\"end\":1},{\"start\":2}]}",
                          AVE_PLAN_ERROR_INVALID, "segments[1].end: missing (expected a number of seconds)");
  expect_plan_file_error (path, "{\"source\":\"a.mp4\",\"source_duration\":10,\"segments\":[]}",
                          AVE_PLAN_ERROR_INVALID, "version: missing (expected 2)");
  /* A version newer than this build reads; the header is checked first. */
  expect_plan_file_error (path, "{\"version\":3,\"segments\":7}", AVE_PLAN_ERROR_VERSION,
                          "version: plan version 3 is newer than this program understands (it reads versions 1 to 2); "
                          "update AI Video Editor or plan the video again");
  expect_plan_file_error (path, "{\"version\":1.5}", AVE_PLAN_ERROR_INVALID,
                          "version: expected a whole number from 1 (got 1.5)");

  /* No JSON object at all: not a plan file. */
  g_assert_true (g_file_set_contents (path, "[1, 2]", -1, NULL));
  plan = ave_plan_load (path, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "is not a plan file"));
  g_clear_error (&error);

  /* Both versions this build reads load: a version 1 plan (no origin,
   * no metadata) and a version 2 one. */
  g_assert_true (g_file_set_contents (path, HEAD "\"segments\":[{\"start\":0,\"end\":1}]}", -1, NULL));
  plan = ave_plan_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ave_plan_get_segment (plan, 0)->origin, ==, AVE_SEGMENT_ORIGIN_LOCAL);
  g_clear_object (&plan);
  g_assert_true (g_file_set_contents (path,
                                      "{\"version\":2,\"source\":\"a.mp4\",\"source_duration\":10,"
                                      "\"segments\":[{\"start\":0,\"end\":1,\"origin\":\"user\"}]}", -1, NULL));
  plan = ave_plan_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ave_plan_get_segment (plan, 0)->origin, ==, AVE_SEGMENT_ORIGIN_USER);
  g_clear_object (&plan);

  /* JSON that is not a file (a director's answer) has no name to give:
   * the message starts at the member. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_true (json_parser_load_from_data (parser, HEAD "\"segments\":[{\"start\":true,\"end\":1}]}", -1, NULL));
    plan = ave_plan_new_from_json (json_parser_get_root (parser), &error);
    g_assert_null (plan);
    g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==, "segments[0].start: expected a number, found true");
  }
}

/* The same reader for project files: the file, then the member. */
static void
expect_project_file_error (const char *path,
                           const char *json,
                           int         code,
                           const char *detail)
{
  g_autofree char *expected = g_strdup_printf ("%s: %s", path, detail);
  g_autoptr(GError) error = NULL;
  AveProject *project;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  project = ave_project_load (path, &error);
  g_assert_null (project);
  g_assert_error (error, AVE_PROJECT_ERROR, code);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_project_document_errors (void)
{
  g_autofree char *path = ave_test_path ("document.aveproj");
  g_autoptr(GError) error = NULL;
  AveProject *project;

  /* A wrong type deep in a segment of the plan inside. */
  expect_project_file_error (path,
                             "{\"version\":1,\"source\":\"talk.mp4\",\"plan\":" HEAD
                             "\"segments\":[{\"start\":0,\"end\":1},{\"start\":2,\"end\":[3]}]}}",
                             AVE_PROJECT_ERROR_INVALID,
                             "plan: segments[1].end: expected a number, found an array");
  expect_project_file_error (path,
                             "{\"version\":1,\"source\":\"talk.mp4\",\"output_folder\":5,\"plan\":" HEAD
                             "\"segments\":[{\"start\":0,\"end\":1}]}}",
                             AVE_PROJECT_ERROR_INVALID, "output_folder: expected a string, found a number");
  /* A missing member. */
  expect_project_file_error (path, "{\"version\":1,\"plan\":{}}", AVE_PROJECT_ERROR_INVALID,
                             "source: “source” is missing (expected a path)");
  expect_project_file_error (path, "{\"version\":1,\"source\":\"talk.mp4\",\"plan\":" HEAD "\"chapters\":[]}}",
                             AVE_PROJECT_ERROR_INVALID, "plan: segments: missing (expected a list of segments)");
  expect_project_file_error (path, "{\"version\":\"1\",\"source\":\"talk.mp4\"}", AVE_PROJECT_ERROR_INVALID,
                             "version: expected a number, found a string");
  /* A version newer than this build reads. */
  expect_project_file_error (path, "{\"version\":2,\"source\":\"talk.mp4\",\"plan\":{}}", AVE_PROJECT_ERROR_VERSION,
                             "version: project version 2 is newer than this program understands "
                             "(it reads version 1); update AI Video Editor to open it");

  /* The version this build writes loads. */
  g_assert_true (g_file_set_contents (path,
                                      "{\"version\":1,\"source\":\"talk.mp4\",\"plan\":" HEAD
                                      "\"segments\":[{\"start\":0,\"end\":1}]}}", -1, NULL));
  project = ave_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_plan_get_n_segments (project->plan), ==, 1);
  ave_project_free (project);
}

int
main (int    argc,
      char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/plan/append", test_append);
  g_test_add_func ("/engine/plan/trim", test_trim);
  g_test_add_func ("/engine/plan/move", test_move);
  g_test_add_func ("/engine/plan/split", test_split);
  g_test_add_func ("/engine/plan/enable-remove", test_enable_remove);
  g_test_add_func ("/engine/plan/transitions", test_transitions);
  g_test_add_func ("/engine/plan/output-duration", test_output_duration);
  g_test_add_func ("/engine/plan/source-to-output", test_source_to_output);
  g_test_add_func ("/engine/plan/chapters", test_chapters);
  g_test_add_func ("/engine/plan/json-roundtrip", test_json_roundtrip);
  g_test_add_func ("/engine/plan/json-defaults", test_json_output_duration_ignored);
  g_test_add_func ("/engine/plan/json-invalid", test_json_invalid);
  g_test_add_func ("/engine/plan/json-limits", test_json_limits);
  g_test_add_func ("/engine/plan/json-chapters-sorted", test_json_chapters_sorted);
  g_test_add_func ("/engine/plan/load-file-caps", test_load_file_caps);
  g_test_add_func ("/engine/plan/save-within-limits", test_save_within_limits);
  g_test_add_func ("/engine/plan/project-limits", test_project_limits);
  g_test_add_func ("/engine/plan/check-source", test_check_source);
  g_test_add_func ("/engine/plan/moved-folder", test_moved_folder);
  g_test_add_func ("/engine/plan/load-parse-error", test_load_parse_error);
  g_test_add_func ("/engine/plan/validate", test_validate);
  g_test_add_func ("/engine/plan/documented-example", test_documented_example);
  g_test_add_func ("/engine/plan/segment-origin", test_segment_origin);
  g_test_add_func ("/engine/plan/document-errors", test_document_errors);
  g_test_add_func ("/engine/plan/project-document-errors", test_project_document_errors);

  return g_test_run ();
}
