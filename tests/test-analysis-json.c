/* test-analysis-json.c — analysis.json: round trip and validation. */
#define G_LOG_DOMAIN "ave-test-analysis-json"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/ave-error.h"
#include "analysis/ave-analysis.h"
#include "ave-test-util.h"

static AveAnalysis *
make_full_analysis (void)
{
  AveMediaInfo info = { 0 };
  AveAnalysis *a;
  AveShot shot = { 0 };
  AveInterval iv;
  AveHighlight h;
  AveThumbnailCandidate c;
  double beat;

  info.path = (char *) "/videos/talk.mp4";
  info.size_bytes = 123456789;
  info.container = (char *) "mov,mp4,m4a,3gp,3g2,mj2";
  info.duration = 61.25;
  info.start_time = 0.023;
  info.bit_rate = 2500000;
  info.has_video = TRUE;
  info.video_codec = (char *) "h264";
  info.width = 1920;
  info.height = 1080;
  info.rotation = 90;
  info.display_width = 1080;
  info.display_height = 1920;
  info.frame_rate = 29.97;
  info.variable_frame_rate = TRUE;
  info.n_frames_estimate = 1836;
  info.sample_aspect_num = 1;
  info.sample_aspect_den = 1;
  info.has_audio = TRUE;
  info.audio_codec = (char *) "aac";
  info.sample_rate = 48000;
  info.channels = 2;

  a = ave_analysis_new ("/videos/talk.mp4", &info);

  shot.start = 0; shot.end = 20.5; shot.transition = AVE_SHOT_TRANSITION_NONE;
  shot.exposure = 0.9; shot.contrast = 0.6; shot.sharpness = 0.7; shot.motion = 0.1;
  shot.mean_luma = 121.5; shot.quality = 0.8; shot.highlight = 0.4;
  g_array_append_val (a->shots, shot);
  shot.start = 20.5; shot.end = 40; shot.transition = AVE_SHOT_TRANSITION_DISSOLVE;
  shot.transition_duration = 0.75; shot.quality = 0.55;
  g_array_append_val (a->shots, shot);
  shot.start = 40; shot.end = 50; shot.transition = AVE_SHOT_TRANSITION_FADE;
  shot.transition_duration = 1.0; shot.mean_luma = 20;
  g_array_append_val (a->shots, shot);
  shot.start = 50; shot.end = 61.25; shot.transition = AVE_SHOT_TRANSITION_CUT;
  shot.transition_duration = 0;
  g_array_append_val (a->shots, shot);

  iv.start = 5.0; iv.end = 7.5;
  g_array_append_val (a->silences, iv);
  iv.start = 0.2; iv.end = 5.0;
  g_array_append_val (a->speech, iv);
  iv.start = 7.5; iv.end = 61.0;
  g_array_append_val (a->speech, iv);

  ave_analysis_add_word (a, "hello", 0.3, 0.7, 0.95, FALSE);
  ave_analysis_add_word (a, "um", 0.8, 1.1, 0.6, TRUE);
  ave_analysis_add_word (a, "world", 1.2, 1.6, 0.875, FALSE);

  a->loudness.integrated_lufs = -19.5;
  a->loudness.loudness_range = 6.25;
  a->loudness.true_peak_dbtp = -1.5;
  a->loudness.sample_peak_dbfs = -2.0;

  beat = 0.5;
  g_array_append_val (a->beats, beat);
  beat = 1.0;
  g_array_append_val (a->beats, beat);
  a->tempo_bpm = 120;
  beat = 0.0;
  g_array_append_val (a->keyframes, beat);
  beat = 2.5;
  g_array_append_val (a->keyframes, beat);
  beat = 0.12;
  g_array_append_val (a->copy_ends, beat);

  h.time = 1; h.score = 0.25;
  g_array_append_val (a->highlights, h);
  h.time = 2; h.score = 0.75;
  g_array_append_val (a->highlights, h);

  c.time = 12.5; c.score = 0.9; c.sharpness = 0.8; c.exposure = 0.95;
  c.has_signature = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (c.signature.luma); i++)
    c.signature.luma[i] = (guint8) (i * 7 + 3);
  g_array_append_val (a->thumbnail_candidates, c);
  c.time = 3; c.score = 0.6; c.sharpness = 0.5; c.exposure = 0.7;
  c.has_signature = FALSE;
  g_array_append_val (a->thumbnail_candidates, c);

  a->transcriber = g_strdup ("pocketsphinx 5prealpha en-us");
  a->compute_backend = g_strdup ("cpu");
  ave_analysis_add_warning (a, "The file ended early at 60.0 s");
  /* Duplicates are folded. */
  ave_analysis_add_warning (a, "The file ended early at 60.0 s");

  return a;
}

static char *
to_string (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
check_full_analysis (const AveAnalysis *a)
{
  const AveShot *shot;
  const AveWord *w;

  g_assert_cmpint (a->version, ==, 1);
  g_assert_cmpstr (a->source, ==, "/videos/talk.mp4");
  g_assert_nonnull (a->media);
  g_assert_cmpstr (a->media->path, ==, "/videos/talk.mp4");
  g_assert_cmpint (a->media->size_bytes, ==, 123456789);
  g_assert_cmpstr (a->media->container, ==, "mov,mp4,m4a,3gp,3g2,mj2");
  g_assert_cmpfloat (a->media->duration, ==, 61.25);
  g_assert_cmpfloat (a->media->start_time, ==, 0.023);
  g_assert_cmpint (a->media->bit_rate, ==, 2500000);
  g_assert_true (a->media->has_video);
  g_assert_cmpstr (a->media->video_codec, ==, "h264");
  g_assert_cmpint (a->media->width, ==, 1920);
  g_assert_cmpint (a->media->height, ==, 1080);
  g_assert_cmpint (a->media->rotation, ==, 90);
  g_assert_cmpint (a->media->display_width, ==, 1080);
  g_assert_cmpint (a->media->display_height, ==, 1920);
  g_assert_cmpfloat (a->media->frame_rate, ==, 29.97);
  g_assert_true (a->media->variable_frame_rate);
  g_assert_cmpint (a->media->n_frames_estimate, ==, 1836);
  g_assert_cmpint (a->media->sample_aspect_num, ==, 1);
  g_assert_cmpint (a->media->sample_aspect_den, ==, 1);
  g_assert_true (a->media->has_audio);
  g_assert_cmpstr (a->media->audio_codec, ==, "aac");
  g_assert_cmpint (a->media->sample_rate, ==, 48000);
  g_assert_cmpint (a->media->channels, ==, 2);

  g_assert_cmpuint (a->shots->len, ==, 4);
  shot = &g_array_index (a->shots, AveShot, 0);
  g_assert_cmpint (shot->transition, ==, AVE_SHOT_TRANSITION_NONE);
  g_assert_cmpfloat (shot->exposure, ==, 0.9);
  g_assert_cmpfloat (shot->contrast, ==, 0.6);
  g_assert_cmpfloat (shot->sharpness, ==, 0.7);
  g_assert_cmpfloat (shot->motion, ==, 0.1);
  g_assert_cmpfloat (shot->mean_luma, ==, 121.5);
  g_assert_cmpfloat (shot->quality, ==, 0.8);
  g_assert_cmpfloat (shot->highlight, ==, 0.4);
  shot = &g_array_index (a->shots, AveShot, 1);
  g_assert_cmpfloat (shot->start, ==, 20.5);
  g_assert_cmpfloat (shot->end, ==, 40);
  g_assert_cmpint (shot->transition, ==, AVE_SHOT_TRANSITION_DISSOLVE);
  g_assert_cmpfloat (shot->transition_duration, ==, 0.75);
  g_assert_cmpfloat (shot->quality, ==, 0.55);
  shot = &g_array_index (a->shots, AveShot, 2);
  g_assert_cmpint (shot->transition, ==, AVE_SHOT_TRANSITION_FADE);
  g_assert_cmpfloat (shot->mean_luma, ==, 20);
  shot = &g_array_index (a->shots, AveShot, 3);
  g_assert_cmpint (shot->transition, ==, AVE_SHOT_TRANSITION_CUT);

  g_assert_cmpuint (a->silences->len, ==, 1);
  g_assert_cmpfloat (g_array_index (a->silences, AveInterval, 0).start, ==, 5.0);
  g_assert_cmpfloat (g_array_index (a->silences, AveInterval, 0).end, ==, 7.5);
  g_assert_cmpuint (a->speech->len, ==, 2);
  g_assert_cmpfloat (g_array_index (a->speech, AveInterval, 1).end, ==, 61.0);

  g_assert_cmpuint (a->words->len, ==, 3);
  w = &g_array_index (a->words, AveWord, 1);
  g_assert_cmpstr (w->word, ==, "um");
  g_assert_cmpfloat (w->start, ==, 0.8);
  g_assert_cmpfloat (w->end, ==, 1.1);
  g_assert_cmpfloat (w->confidence, ==, 0.6);
  g_assert_true (w->filler);
  w = &g_array_index (a->words, AveWord, 2);
  g_assert_cmpstr (w->word, ==, "world");
  g_assert_cmpfloat (w->confidence, ==, 0.875);
  g_assert_false (w->filler);

  g_assert_cmpfloat (a->loudness.integrated_lufs, ==, -19.5);
  g_assert_cmpfloat (a->loudness.loudness_range, ==, 6.25);
  g_assert_cmpfloat (a->loudness.true_peak_dbtp, ==, -1.5);
  g_assert_cmpfloat (a->loudness.sample_peak_dbfs, ==, -2.0);

  g_assert_cmpuint (a->beats->len, ==, 2);
  g_assert_cmpfloat (g_array_index (a->beats, double, 1), ==, 1.0);
  g_assert_cmpfloat (a->tempo_bpm, ==, 120);
  g_assert_cmpuint (a->keyframes->len, ==, 2);
  g_assert_cmpfloat (g_array_index (a->keyframes, double, 1), ==, 2.5);
  g_assert_cmpuint (a->copy_ends->len, ==, 1);
  g_assert_cmpfloat (g_array_index (a->copy_ends, double, 0), ==, 0.12);

  g_assert_cmpuint (a->highlights->len, ==, 2);
  g_assert_cmpfloat (g_array_index (a->highlights, AveHighlight, 1).score, ==, 0.75);

  g_assert_cmpuint (a->thumbnail_candidates->len, ==, 2);
  g_assert_cmpfloat (g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 0).time, ==, 12.5);
  g_assert_cmpfloat (g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 0).sharpness, ==, 0.8);
  g_assert_cmpfloat (g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 1).exposure, ==, 0.7);
  /* the signature of the analysed picture, when there is one */
  {
    const AveThumbnailCandidate *first = &g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 0);

    g_assert_true (first->has_signature);
    for (guint i = 0; i < G_N_ELEMENTS (first->signature.luma); i++)
      g_assert_cmpuint (first->signature.luma[i], ==, (guint8) (i * 7 + 3));
    g_assert_false (g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 1).has_signature);
  }

  g_assert_cmpstr (a->transcriber, ==, "pocketsphinx 5prealpha en-us");
  g_assert_cmpstr (a->compute_backend, ==, "cpu");
  g_assert_cmpuint (a->warnings->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (a->warnings, 0), ==, "The file ended early at 60.0 s");
}

static void
test_roundtrip (void)
{
  g_autoptr(AveAnalysis) a = make_full_analysis ();
  g_autoptr(AveAnalysis) b = NULL;
  g_autoptr(AveAnalysis) c = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) reparsed = NULL;
  g_autoptr(JsonNode) node_b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text_a = NULL;
  g_autofree char *text_b = NULL;
  g_autofree char *path = ave_test_path ("analysis.json");

  check_full_analysis (a);

  node = ave_analysis_to_json (a);
  text_a = to_string (node);
  /* Through text, as a file would go. */
  reparsed = parse (text_a);
  b = ave_analysis_from_json (reparsed, &error);
  g_assert_no_error (error);
  check_full_analysis (b);

  node_b = ave_analysis_to_json (b);
  text_b = to_string (node_b);
  g_assert_cmpstr (text_a, ==, text_b);

  /* And through a file. */
  g_assert_true (ave_analysis_save (b, path, &error));
  g_assert_no_error (error);
  c = ave_analysis_load (path, &error);
  g_assert_no_error (error);
  check_full_analysis (c);
}

static void
test_refcount_and_sort (void)
{
  g_autoptr(AveAnalysis) a = ave_analysis_new ("x.mp4", NULL);
  AveAnalysis *extra;
  AveInterval iv;
  AveThumbnailCandidate c = { 0 };
  double beat;

  ave_analysis_add_word (a, "second", 2, 3, 1, FALSE);
  ave_analysis_add_word (a, "first", 0, 1, 1, FALSE);
  iv.start = 4; iv.end = 5;
  g_array_append_val (a->silences, iv);
  iv.start = 1; iv.end = 2;
  g_array_append_val (a->silences, iv);
  beat = 3; g_array_append_val (a->beats, beat);
  beat = 1; g_array_append_val (a->beats, beat);
  c.time = 1; c.score = 0.2; g_array_append_val (a->thumbnail_candidates, c);
  c.time = 2; c.score = 0.9; g_array_append_val (a->thumbnail_candidates, c);

  extra = ave_analysis_ref (a);
  g_assert_true (extra == a);
  ave_analysis_unref (extra);

  ave_analysis_sort (a);
  g_assert_cmpstr (g_array_index (a->words, AveWord, 0).word, ==, "first");
  g_assert_cmpfloat (g_array_index (a->silences, AveInterval, 0).start, ==, 1);
  g_assert_cmpfloat (g_array_index (a->beats, double, 0), ==, 1);
  /* thumbnail candidates: best first */
  g_assert_cmpfloat (g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 0).score, ==, 0.9);

  g_assert_true (g_type_is_a (AVE_TYPE_ANALYSIS, G_TYPE_BOXED));
}

static void
expect_invalid (const char *json,
                const char *expected_in_message)
{
  g_autoptr(JsonNode) node = parse (json);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = ave_analysis_from_json (node, &error);

  g_assert_null (a);
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID);
  if (strstr (error->message, expected_in_message) == NULL)
    g_error ("expected \"%s\" in the error for %s, got: %s", expected_in_message, json, error->message);
}

static void
test_invalid (void)
{
  expect_invalid ("{\"source\":\"a\"}", "version: missing");
  expect_invalid ("{\"version\":\"1\"}", "version: expected a number");
  expect_invalid ("{\"version\":1,\"source\":3}", "source: expected a string");
  expect_invalid ("{\"version\":1,\"shots\":{}}", "shots: expected an array");
  expect_invalid ("{\"version\":1,\"shots\":[{\"start\":0,\"end\":1},{\"start\":1,\"end\":2},"
                  "{\"start\":2,\"end\":3},{\"start\":3,\"end\":\"4\"}]}",
                  "shots[3].end: expected a number");
  expect_invalid ("{\"version\":1,\"shots\":[{\"start\":0}]}", "shots[0].end: missing");
  expect_invalid ("{\"version\":1,\"shots\":[{\"start\":5,\"end\":4}]}", "shots[0].end: must not be before start");
  expect_invalid ("{\"version\":1,\"shots\":[{\"start\":0,\"end\":4,\"transition\":\"wipe\"}]}",
                  "shots[0].transition: unknown transition \"wipe\"");
  expect_invalid ("{\"version\":1,\"shots\":[3]}", "shots[0]: expected an object");
  expect_invalid ("{\"version\":1,\"silences\":[{\"start\":-1,\"end\":2}]}", "silences[0].start: must not be negative");
  expect_invalid ("{\"version\":1,\"speech\":[{\"start\":1,\"end\":2},{\"start\":3,\"end\":null}]}",
                  "speech[1].end: expected a number");
  expect_invalid ("{\"version\":1,\"words\":[{\"start\":1,\"end\":2}]}", "words[0].word: missing");
  expect_invalid ("{\"version\":1,\"words\":[{\"word\":\"a\",\"start\":1,\"end\":2,\"filler\":1}]}",
                  "words[0].filler: expected true or false");
  expect_invalid ("{\"version\":1,\"words\":[{\"word\":\"a\",\"start\":1,\"end\":2,\"confidence\":2}]}",
                  "words[0].confidence: must be between 0 and 1");
  expect_invalid ("{\"version\":1,\"media\":{\"duration\":\"long\"}}", "media.duration: expected a number");
  expect_invalid ("{\"version\":1,\"media\":{\"duration\":3,\"rotation\":45}}", "media.rotation");
  expect_invalid ("{\"version\":1,\"media\":{\"duration\":3,\"width\":1.5}}", "media.width: expected a whole number");
  expect_invalid ("{\"version\":1,\"loudness\":{\"integrated_lufs\":\"loud\"}}", "loudness.integrated_lufs: expected a number");
  expect_invalid ("{\"version\":1,\"beats\":[1,\"x\"]}", "beats[1]: expected a number");
  expect_invalid ("{\"version\":1,\"keyframes\":[0,-2]}", "keyframes[1]: must not be negative");
  expect_invalid ("{\"version\":1,\"highlights\":[{\"time\":1}]}", "highlights[0].score: missing");
  expect_invalid ("{\"version\":1,\"thumbnail_candidates\":[{\"time\":1,\"score\":true}]}",
                  "thumbnail_candidates[0].score: expected a number");
  expect_invalid ("{\"version\":1,\"thumbnail_candidates\":[{\"time\":1,\"score\":1,\"signature\":\"AAEC\"}]}",
                  "thumbnail_candidates[0].signature: expected 144 bytes in base64, found 3");
  expect_invalid ("{\"version\":1,\"thumbnail_candidates\":[{\"time\":1,\"score\":1,\"signature\":7}]}",
                  "thumbnail_candidates[0].signature: expected a string");
  expect_invalid ("{\"version\":1,\"warnings\":[1]}", "warnings[0]: expected a string");
  expect_invalid ("{\"version\":1,\"tempo_bpm\":-3}", "tempo_bpm: must not be negative");
  expect_invalid ("[1,2]", "not a JSON object");
}

static void
test_version_too_new (void)
{
  g_autoptr(JsonNode) node = parse ("{\"version\":2,\"source\":\"a.mp4\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = ave_analysis_from_json (node, &error);

  g_assert_null (a);
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "version"));
  g_assert_nonnull (strstr (error->message, "newer"));
}

static void
test_minimal_and_unsorted (void)
{
  /* A hand-written file with only what is required loads with defaults,
   * and arrays come back sorted. */
  g_autoptr(JsonNode) node = parse ("{\"version\":1,"
                                    "\"words\":[{\"word\":\"b\",\"start\":2,\"end\":3},"
                                    "{\"word\":\"a\",\"start\":0,\"end\":1}]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = ave_analysis_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_null (a->source);
  g_assert_null (a->media);
  g_assert_cmpuint (a->shots->len, ==, 0);
  g_assert_cmpuint (a->words->len, ==, 2);
  g_assert_cmpstr (g_array_index (a->words, AveWord, 0).word, ==, "a");
  g_assert_cmpfloat (g_array_index (a->words, AveWord, 0).confidence, ==, 1.0);
  g_assert_cmpfloat (a->loudness.integrated_lufs, ==, -70.0);
}


/* Issue #9: every number finite and in range (json-glib reads 1e999 as
 * infinity), every string and list capped. */
static void
test_limits (void)
{
  g_autoptr(GString) json = g_string_new ("{\"version\":1,\"words\":[{\"word\":\"");
  g_autoptr(GString) warnings = g_string_new ("{\"version\":1,\"warnings\":[");

  expect_invalid ("{\"version\":1,\"media\":{\"duration\":1e999}}", "media.duration: must be a finite number");
  expect_invalid ("{\"version\":1,\"media\":{\"duration\":2e6}}", "media.duration: must be from 0 to 1000000 s");
  expect_invalid ("{\"version\":1,\"media\":{\"duration\":3,\"size_bytes\":1e300}}",
                  "media.size_bytes: must be a finite number");
  expect_invalid ("{\"version\":1,\"media\":{\"duration\":3,\"width\":1e999}}", "media.width: must be a finite number");
  expect_invalid ("{\"version\":1,\"shots\":[{\"start\":0,\"end\":1e999}]}", "shots[0].end: must be a finite number");
  expect_invalid ("{\"version\":1,\"shots\":[{\"start\":0,\"end\":1,\"quality\":-1e999}]}",
                  "shots[0].quality: must be a finite number");
  expect_invalid ("{\"version\":1,\"silences\":[{\"start\":0,\"end\":5e6}]}", "silences[0].end: must be at most 1000000 s");
  expect_invalid ("{\"version\":1,\"words\":[{\"word\":\"a\",\"start\":1e999,\"end\":1e999}]}",
                  "words[0].start: must be a finite number");
  expect_invalid ("{\"version\":1,\"loudness\":{\"integrated_lufs\":-1e999}}",
                  "loudness.integrated_lufs: must be a finite number");
  expect_invalid ("{\"version\":1,\"beats\":[1,1e999]}", "beats[1]: must be a finite number");
  expect_invalid ("{\"version\":1,\"keyframes\":[2e6]}", "keyframes[0]: must be from 0 to 1e+06");
  expect_invalid ("{\"version\":1,\"tempo_bpm\":1e999}", "tempo_bpm: must be a finite number");
  expect_invalid ("{\"version\":1,\"highlights\":[{\"time\":1e999,\"score\":1}]}", "highlights[0].time: must be a finite number");
  expect_invalid ("{\"version\":1,\"thumbnail_candidates\":[{\"time\":1,\"score\":1e999}]}",
                  "thumbnail_candidates[0].score: must be a finite number");

  for (guint i = 0; i <= AVE_ANALYSIS_MAX_WORD_CHARS; i++)
    g_string_append_c (json, 'w');
  g_string_append (json, "\",\"start\":0,\"end\":1}]}");
  expect_invalid (json->str, "words[0].word: too long (more than 200 characters)");

  for (guint i = 0; i <= AVE_ANALYSIS_MAX_WARNINGS; i++)
    g_string_append_printf (warnings, "%s\"w%u\"", i > 0 ? "," : "", i);
  g_string_append (warnings, "]}");
  expect_invalid (warnings->str, "warnings: too many elements (1001; at most 1000)");
}

/* Whatever the engine holds, analysis.json is written within the limits
 * and loads again: no inf (JSON has none), long text cut, lists capped. */
static void
test_save_within_limits (void)
{
  g_autoptr(AveAnalysis) a = ave_analysis_new ("/videos/talk.mp4", NULL);
  g_autoptr(AveAnalysis) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ave_test_path ("limits-analysis.json");
  g_autofree char *long_word = g_strnfill (500, 'w');
  g_autofree char *long_warning = g_strnfill (10000, 'x');
  g_autofree char *contents = NULL;
  double beat = INFINITY;

  ave_analysis_add_word (a, long_word, 1.0, 2.0, 0.9, FALSE);
  g_array_append_val (a->beats, beat);
  a->tempo_bpm = NAN;
  a->loudness.integrated_lufs = -INFINITY;
  ave_analysis_add_warning (a, long_warning);
  for (guint i = 0; i < AVE_ANALYSIS_MAX_WARNINGS + 5; i++)
    {
      g_autofree char *warning = g_strdup_printf ("warning %u", i);

      ave_analysis_add_warning (a, warning);
    }

  g_assert_true (ave_analysis_save (a, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "inf"));
  g_assert_null (strstr (contents, "nan"));
  loaded = ave_analysis_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (g_array_index (loaded->words, AveWord, 0).word), ==, AVE_ANALYSIS_MAX_WORD_CHARS);
  g_assert_cmpuint (loaded->warnings->len, ==, AVE_ANALYSIS_MAX_WARNINGS);
  g_assert_cmpuint (strlen (g_ptr_array_index (loaded->warnings, 0)), ==, AVE_ANALYSIS_MAX_WARNING_CHARS);
}

static void
test_load_file_cap (void)
{
  g_autofree char *big = ave_test_path ("big-analysis.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = NULL;
  FILE *f = fopen (big, "w");

  /* Sparse: the size is refused before anything is read. */
  g_assert_nonnull (f);
  g_assert_cmpint (ftruncate (fileno (f), (off_t) AVE_ANALYSIS_MAX_FILE_BYTES + 1), ==, 0);
  fclose (f);
  a = ave_analysis_load (big, &error);
  g_assert_null (a);
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, big));
  g_assert_nonnull (strstr (error->message, "more than the 256 MiB"));
  g_unlink (big);
}

static void
test_load_errors (void)
{
  g_autofree char *bad = ave_test_path ("bad-analysis.json");
  g_autofree char *missing = ave_test_path ("does-not-exist.json");
  g_autofree char *stale = ave_test_path ("stale-analysis.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = NULL;

  g_assert_true (g_file_set_contents (bad, "{\n  \"version\": 1,\n  \"shots\": [\n", -1, NULL));
  a = ave_analysis_load (bad, &error);
  g_assert_null (a);
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, bad));
  g_clear_error (&error);

  a = ave_analysis_load (missing, &error);
  g_assert_null (a);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (stale, "{\"version\":1,\"speech\":[{\"start\":3,\"end\":1}]}", -1, NULL));
  a = ave_analysis_load (stale, &error);
  g_assert_null (a);
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID);
  /* Both the file and the field are named. */
  g_assert_nonnull (strstr (error->message, stale));
  g_assert_nonnull (strstr (error->message, "speech[0].end"));
}

/* Issue #10: analysis.json is read by the engine's one document reader;
 * its errors name the file, then the member by its path, then what was
 * expected and what was found. */
static void
expect_file_error (const char *path,
                   const char *json,
                   const char *detail)
{
  g_autofree char *expected = g_strdup_printf ("%s: %s", path, detail);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = NULL;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  a = ave_analysis_load (path, &error);
  g_assert_null (a);
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_document_errors (void)
{
  g_autofree char *path = ave_test_path ("document-analysis.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = NULL;

  /* A wrong type deep in a list. */
  expect_file_error (path,
                     "{\"version\":1,\"shots\":[{\"start\":0,\"end\":1},{\"start\":1,\"end\":2},"
                     "{\"start\":2,\"end\":3},{\"start\":3,\"end\":\"4\"}]}",
                     "shots[3].end: expected a number, found a string");
  expect_file_error (path, "{\"version\":1,\"media\":{\"duration\":3,\"has_audio\":\"yes\"}}",
                     "media.has_audio: expected true or false, found a string");
  expect_file_error (path, "{\"version\":1,\"loudness\":[-23]}", "loudness: expected an object, found an array");
  /* Highlights and thumbnail candidates share one reader: the same
   * errors, each naming its own list; only candidates carry sharpness. */
  expect_file_error (path, "{\"version\":1,\"highlights\":[{\"time\":1,\"score\":0.5},{\"time\":{},\"score\":1}]}",
                     "highlights[1].time: expected a number, found an object");
  expect_file_error (path, "{\"version\":1,\"thumbnail_candidates\":[{\"time\":1,\"score\":0.5,\"sharpness\":\"high\"}]}",
                     "thumbnail_candidates[0].sharpness: expected a number, found a string");
  expect_file_error (path, "{\"version\":1,\"thumbnail_candidates\":[7]}",
                     "thumbnail_candidates[0]: expected an object, found a number");
  /* A missing member. */
  expect_file_error (path, "{\"version\":1,\"highlights\":[{\"time\":1}]}",
                     "highlights[0].score: missing (expected a number)");
  expect_file_error (path, "{\"source\":\"a.mp4\"}", "version: missing (expected 1)");
  /* A version newer than this build reads. */
  expect_file_error (path, "{\"version\":2,\"source\":\"a.mp4\"}",
                     "version: analysis version 2 is newer than this program understands (it reads version 1); "
                     "analyse the file again or update AI Video Editor");

  /* The version this build writes loads, highlights and candidates each
   * into their own list. */
  g_assert_true (g_file_set_contents (path,
                                      "{\"version\":1,\"highlights\":[{\"time\":2,\"score\":0.5,\"sharpness\":\"x\"}],"
                                      "\"thumbnail_candidates\":[{\"time\":3,\"score\":0.25,\"sharpness\":0.75,"
                                      "\"exposure\":0.5}]}", -1, NULL));
  a = ave_analysis_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->highlights->len, ==, 1);
  g_assert_cmpfloat (g_array_index (a->highlights, AveHighlight, 0).time, ==, 2.0);
  g_assert_cmpfloat (g_array_index (a->highlights, AveHighlight, 0).score, ==, 0.5);
  g_assert_cmpuint (a->thumbnail_candidates->len, ==, 1);
  g_assert_cmpfloat (g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 0).sharpness, ==, 0.75);
  g_assert_cmpfloat (g_array_index (a->thumbnail_candidates, AveThumbnailCandidate, 0).exposure, ==, 0.5);
}

int
main (int    argc,
      char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/analysis/json-roundtrip", test_roundtrip);
  g_test_add_func ("/engine/analysis/refcount-sort", test_refcount_and_sort);
  g_test_add_func ("/engine/analysis/json-invalid", test_invalid);
  g_test_add_func ("/engine/analysis/json-version-too-new", test_version_too_new);
  g_test_add_func ("/engine/analysis/json-minimal", test_minimal_and_unsorted);
  g_test_add_func ("/engine/analysis/load-errors", test_load_errors);
  g_test_add_func ("/engine/analysis/json-limits", test_limits);
  g_test_add_func ("/engine/analysis/save-within-limits", test_save_within_limits);
  g_test_add_func ("/engine/analysis/load-file-cap", test_load_file_cap);
  g_test_add_func ("/engine/analysis/document-errors", test_document_errors);

  return g_test_run ();
}
