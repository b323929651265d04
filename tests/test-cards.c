#define G_LOG_DOMAIN "ave-test-cards"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "analysis/ave-analysis.h"
#include "assets/ave-assets.h"
#include "assets/ave-cards.h"
#include "assets/ave-cards-private.h"
#include "compose/ave-composer.h"
#include "compute/ave-compute.h"
#include "director/ave-plan.h"

/* Cards in the plan (model, JSON, timing), drawn (cairo/pango), suggested
 * (the bin) and rendered by the composer into real media, inspected with
 * ffmpeg independently of our own decoding. */

#define EPS 1e-9

/* ------------------------------------------------------------ helpers */

static void
plan_add (AvePlan           *plan,
          double             start,
          double             end,
          AveTransitionType  transition,
          double             transition_duration)
{
  AveSegment segment = {
    .start = start, .end = end, .transition = transition,
    .transition_duration = transition_duration, .enabled = TRUE,
  };
  g_assert_true (ave_plan_append_segment (plan, &segment));
}

static void
count_changed (AvePlan *plan,
               guint   *count)
{
  (*count)++;
}

static AvePlan *
load_string (const char  *json,
             GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return ave_plan_new_from_json (json_parser_get_root (parser), error);
}

static AveSettings *
test_settings (void)
{
  AveSettings *settings = ave_settings_new ();

  /* Small media on a shared two-core machine. */
  g_free (settings->encoder_preset);
  settings->encoder_preset = g_strdup ("ultrafast");
  settings->n_workers = 2;
  settings->encoder_threads = 2;
  settings->crf = 18;
  settings->loudness_target = -14.0;
  settings->audio_fade_duration = 0.01;
  return settings;
}

static void
render (AvePlan          *plan,
        const char       *output,
        AveComposeResult *result)
{
  g_autoptr(AveSettings) settings = test_settings ();
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ave_composer_render (plan, NULL, settings, compute, output, result,
                                      NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The luma planes of every frame of `path` (the Y plane as encoded: no
 * range conversion in the way), one after the other. */
static GBytes *
decode_luma (const char *path,
             int         width,
             int         height,
             guint      *n_frames)
{
  g_autofree char *raw = g_strdup_printf ("%s.yuv", path);
  g_autofree char *data = NULL;
  gsize length = 0, luma_size = (gsize) width * height, frame_size = luma_size * 3 / 2;
  GByteArray *planes = g_byte_array_new ();

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -map 0:v:0 -vf scale=%d:%d -pix_fmt yuv420p "
               "-f rawvideo '%s'", path, width, height, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  *n_frames = (guint) (length / frame_size);
  for (guint i = 0; i < *n_frames; i++)
    g_byte_array_append (planes, (const guint8 *) data + i * frame_size, (guint) luma_size);
  return g_byte_array_free_to_bytes (planes);
}

/* The audio, mixed to mono, as 48 kHz float samples. */
static GArray *
decode_audio (const char *path)
{
  g_autofree char *raw = g_strdup_printf ("%s.f32", path);
  g_autofree char *data = NULL;
  gsize length = 0;
  GArray *samples;

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -map 0:a:0 -ac 1 -ar 48000 -f f32le '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  samples = g_array_sized_new (FALSE, FALSE, sizeof (float), (guint) (length / sizeof (float)));
  g_array_append_vals (samples, data, (guint) (length / sizeof (float)));
  return samples;
}

static double
probe_value (const char *path,
             const char *selection)
{
  g_autofree char *out = ave_test_sh_output ("ffprobe -v error %s -of csv=p=0 '%s'", selection, path);
  return g_ascii_strtod (g_strstrip (out), NULL);
}

static double
rms (GArray *samples,
     double  from,
     double  to)
{
  gsize a = (gsize) (from * 48000), b = MIN ((gsize) (to * 48000), samples->len);
  double sum = 0.0;

  g_assert_cmpuint (a, <, b);
  for (gsize i = a; i < b; i++)
    {
      double v = g_array_index (samples, float, i);
      sum += v * v;
    }
  return sqrt (sum / (double) (b - a));
}

typedef struct
{
  double mean, stddev;
} Stats;

static Stats
frame_stats (const guint8 *frame,
             gsize         n)
{
  double sum = 0.0, sum2 = 0.0;
  Stats s;

  for (gsize i = 0; i < n; i++)
    {
      sum += frame[i];
      sum2 += (double) frame[i] * frame[i];
    }
  s.mean = sum / (double) n;
  s.stddev = sqrt (MAX (0.0, sum2 / (double) n - s.mean * s.mean));
  return s;
}

/* ------------------------------------------------------------ model */

static AvePlan *
three_segment_plan (void)
{
  AvePlan *plan = ave_plan_new ("talk.mp4", 30.0);

  plan_add (plan, 0.0, 4.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 5.0, 9.0, AVE_TRANSITION_CROSSFADE, 1.0);
  plan_add (plan, 10.0, 16.0, AVE_TRANSITION_CUT, 0.0);
  return plan;
}

static void
test_timing (void)
{
  g_autoptr(AvePlan) plan = three_segment_plan ();
  g_autoptr(AveCard) title = ave_card_new_title ("Part Two", "Gradient descent", 2, 2.0);
  g_autoptr(AveCard) intro = ave_card_new_title ("Welcome", NULL, 0, 3.0);
  g_autoptr(AveCard) lower = ave_card_new_overlay ("Ada Lovelace", "Speaker", 1.0, 2.0);
  g_autoptr(GArray) items = NULL;
  const AveOutputItem *item;

  /* 4 + 4 + 6 - 1 (crossfade) */
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 13.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 12.0), 9.0, EPS);

  /* A 2 s title card before the third segment: the output grows by 2 s,
   * times after it move by 2 s, times before it stay. */
  g_assert_cmpint (ave_plan_add_card (plan, title), ==, 0);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 15.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 12.0), 11.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 6.0), 4.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 2.0), 2.0, EPS);

  items = ave_plan_list_output_items (plan);
  g_assert_cmpuint (items->len, ==, 4);
  item = &g_array_index (items, AveOutputItem, 2);
  g_assert_nonnull (item->card);
  g_assert_null (item->segment);
  g_assert_cmpfloat_with_epsilon (item->output_start, 7.0, EPS);
  g_assert_cmpfloat_with_epsilon (item->duration, 2.0, EPS);
  item = &g_array_index (items, AveOutputItem, 3);
  g_assert_cmpuint (item->index, ==, 2);
  g_assert_cmpfloat_with_epsilon (item->output_start, 9.0, EPS);
  g_clear_pointer (&items, g_array_unref);

  /* An overlay takes no output time. */
  g_assert_cmpint (ave_plan_add_card (plan, lower), ==, 1);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 15.0, EPS);

  /* A crossfading card overlaps both neighbours by its transition: 3 s
   * intro with 0.5 s crossfades adds 3 - 0.5 (only one neighbour: it comes
   * first).  The overlay after it moves on by the same amount. */
  intro->transition = AVE_TRANSITION_CROSSFADE;
  intro->transition_duration = 0.5;
  g_assert_cmpint (ave_plan_add_card (plan, intro), ==, 2);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 17.5, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 0.0), 2.5, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_card (plan, 1)->output_time, 3.5, EPS);

  /* The card's transition governs the join on its far side, too: the
   * third segment is cut in by its own transition, but after the title
   * card a crossfade card dissolves into it. */
  {
    g_autoptr(AveCard) changed = ave_card_copy (ave_plan_get_card (plan, 0));

    changed->transition = AVE_TRANSITION_CROSSFADE;
    changed->transition_duration = 0.5;
    g_assert_true (ave_plan_update_card (plan, 0, changed));
    /* 17.5 - 0.5 (into the card) - 0.5 (out of it) */
    g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 16.5, EPS);
    items = ave_plan_list_output_items (plan);
    item = &g_array_index (items, AveOutputItem, items->len - 1);
    g_assert_cmpint (item->transition, ==, AVE_TRANSITION_CROSSFADE);
    g_assert_cmpfloat_with_epsilon (item->overlap, 0.5, EPS);
  }

  /* A disabled segment keeps its slot: the card still plays there. */
  g_assert_true (ave_plan_set_segment_enabled (plan, 2, FALSE));
  g_clear_pointer (&items, g_array_unref);
  items = ave_plan_list_output_items (plan);
  item = &g_array_index (items, AveOutputItem, items->len - 1);
  g_assert_nonnull (item->card);
  g_assert_cmpstr (item->card->title, ==, "Part Two");
}

static void
test_editing (void)
{
  g_autoptr(AvePlan) plan = three_segment_plan ();
  g_autoptr(AveCard) title = ave_card_new_title ("Chapter", NULL, 1, 2.0);
  g_autoptr(AveCard) outro = ave_card_new_title ("Thanks for watching", NULL, 3, 2.5);
  g_autoptr(AveCard) lower = ave_card_new_overlay ("Caption", NULL, 10.0, 2.0);
  g_autoptr(AveCard) bad = NULL;
  g_autoptr(AvePlan) copy = NULL;
  guint changes = 0;

  g_signal_connect (plan, "changed", G_CALLBACK (count_changed), &changes);
  ave_plan_add_chapter (plan, 0.0, "Intro");
  ave_plan_add_chapter (plan, 4.0, "Middle");   /* where segment 1 begins */
  ave_plan_add_chapter (plan, 8.0, "End");
  changes = 0;

  g_assert_cmpint (ave_plan_add_card (plan, title), ==, 0);
  g_assert_cmpuint (changes, ==, 1);
  /* The card stands between segments 0 and 1, so segment 1 no longer
   * crossfades (1 s) with segment 0: the output grows by 2 + 1 s.  The
   * card opens the chapter that starts there; the later chapter keeps to
   * its picture. */
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 16.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_chapter (plan, 0)->time, 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_chapter (plan, 1)->time, 4.0, EPS);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_chapter (plan, 2)->time, 11.0, EPS);
  g_assert_cmpint (ave_plan_add_card (plan, lower), ==, 1);
  g_assert_cmpint (ave_plan_add_card (plan, outro), ==, 2);
  g_assert_cmpuint (changes, ==, 3);
  g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 3);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 16.0 + 2.5, EPS);

  /* Refused, and nothing changes. */
  bad = ave_card_new_title ("Too far", NULL, 4, 2.0);
  g_assert_cmpint (ave_plan_add_card (plan, bad), ==, -1);
  bad->insert_before = 0;
  bad->duration = 0.0;
  g_assert_cmpint (ave_plan_add_card (plan, bad), ==, -1);
  bad->duration = 2.0;
  bad->transition = AVE_TRANSITION_CROSSFADE;
  bad->transition_duration = 1.5;
  g_assert_cmpint (ave_plan_add_card (plan, bad), ==, -1);
  g_clear_pointer (&bad, ave_card_free);
  bad = ave_card_new_title (NULL, "only a subtitle", 0, 2.0);
  g_assert_cmpint (ave_plan_add_card (plan, bad), ==, -1);
  g_clear_pointer (&bad, ave_card_free);
  bad = ave_card_new_overlay ("Box", NULL, 1.0, 1.0);
  bad->x = 0.5;
  bad->width = 0.6;
  g_assert_cmpint (ave_plan_add_card (plan, bad), ==, -1);
  bad->width = 0.5;
  bad->opacity = 1.5;
  g_assert_cmpint (ave_plan_add_card (plan, bad), ==, -1);
  g_assert_false (ave_plan_remove_card (plan, 3));
  g_assert_false (ave_plan_move_card (plan, 0, 4, 0.0));
  g_assert_false (ave_plan_move_card (plan, 1, 0, -1.0));
  g_assert_cmpuint (changes, ==, 3);
  g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 3);

  /* A copy is deep and independent. */
  copy = ave_plan_copy (plan);
  g_assert_cmpuint (ave_plan_get_n_cards (copy), ==, 3);
  g_assert_cmpstr (ave_plan_get_card (copy, 1)->title, ==, "Caption");
  g_assert_true (ave_plan_get_card (copy, 1)->title != ave_plan_get_card (plan, 1)->title);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (copy),
                                  ave_plan_get_output_duration (plan), EPS);

  /* Segment edits keep title cards between the same neighbours; the outro
   * stays last. */
  g_assert_true (ave_plan_split_segment (plan, 0, 2.0));
  g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 2);
  g_assert_cmpuint (ave_plan_get_card (plan, 2)->insert_before, ==, 4);
  g_assert_true (ave_plan_remove_segment (plan, 0));
  g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 1);
  g_assert_cmpuint (ave_plan_get_card (plan, 2)->insert_before, ==, 3);
  plan_add (plan, 20.0, 22.0, AVE_TRANSITION_CUT, 0.0);
  g_assert_cmpuint (ave_plan_get_card (plan, 2)->insert_before, ==, 4);
  g_assert_true (ave_plan_remove_segment (plan, 3));
  g_assert_true (ave_plan_remove_segment (plan, 0));
  g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 0);
  g_assert_cmpuint (ave_plan_get_card (plan, 2)->insert_before, ==, 2);

  /* Moving the title card to the end: the overlay after it moves back by
   * the card's 2 s. */
  {
    double overlay_before = ave_plan_get_card (plan, 1)->output_time;

    changes = 0;
    g_assert_true (ave_plan_move_card (plan, 0, 2, 0.0));
    g_assert_cmpuint (changes, ==, 1);
    g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 2);
    g_assert_cmpfloat_with_epsilon (ave_plan_get_card (plan, 1)->output_time, overlay_before - 2.0, EPS);
  }
  g_assert_true (ave_plan_move_card (plan, 1, 0, 1.25));
  g_assert_cmpfloat_with_epsilon (ave_plan_get_card (plan, 1)->output_time, 1.25, EPS);

  /* Removing the outro shortens the output by its length. */
  {
    double before = ave_plan_get_output_duration (plan);

    g_assert_true (ave_plan_remove_card (plan, 2));
    g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), before - 2.5, EPS);
  }

  /* update keeps the position and the kind */
  {
    g_autoptr(AveCard) longer = ave_card_new_title ("Chapter (long)", "sub", 0, 4.0);
    g_autoptr(AveCard) overlay = ave_card_new_overlay ("x", NULL, 0.0, 1.0);
    double before = ave_plan_get_output_duration (plan);

    g_assert_true (ave_plan_update_card (plan, 0, longer));
    g_assert_cmpuint (ave_plan_get_card (plan, 0)->insert_before, ==, 2);
    g_assert_cmpstr (ave_plan_get_card (plan, 0)->subtitle, ==, "sub");
    g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), before + 2.0, EPS);
    g_assert_false (ave_plan_update_card (plan, 0, overlay));
  }
}

/* ------------------------------------------------------------ JSON */

static void
test_json_roundtrip (void)
{
  g_autoptr(AvePlan) plan = three_segment_plan ();
  g_autoptr(AveCard) title = ave_card_new_title ("Part \"Two\"", "Gradient descent", 2, 2.0);
  g_autoptr(AveCard) still = ave_card_new_overlay (NULL, "Figure 1", 3.0, 4.0);
  g_autoptr(AveCard) lower = ave_card_new_overlay ("Ada Lovelace", NULL, 1.0, 2.5);
  g_autofree char *path = ave_test_path ("cards-plan.json");
  g_autofree char *contents = NULL;
  g_autoptr(AvePlan) loaded = NULL;
  g_autoptr(GError) error = NULL;
  const AveCard *card;

  title->style = AVE_CARD_STYLE_ACCENT;
  title->transition = AVE_TRANSITION_FADE;
  title->transition_duration = 0.6;
  still->image_path = g_strdup ("figure.png");
  still->x = 0.6;
  still->y = 0.1;
  still->width = 0.35;
  still->height = 0.4;
  still->opacity = 0.9;
  still->transition = AVE_TRANSITION_CROSSFADE;
  still->transition_duration = 0.25;
  g_assert_cmpint (ave_plan_add_card (plan, title), >=, 0);
  g_assert_cmpint (ave_plan_add_card (plan, still), >=, 0);
  g_assert_cmpint (ave_plan_add_card (plan, lower), >=, 0);

  g_assert_true (ave_plan_save (plan, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"cards\": ["));
  g_assert_nonnull (strstr (contents, "\"kind\": \"title\""));
  g_assert_nonnull (strstr (contents, "\"insert_before\": 2"));
  g_assert_nonnull (strstr (contents, "\"image\": \"figure.png\""));

  loaded = ave_plan_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_plan_get_n_cards (loaded), ==, 3);

  card = ave_plan_get_card (loaded, 0);
  g_assert_cmpint (card->kind, ==, AVE_CARD_TITLE);
  g_assert_cmpstr (card->title, ==, "Part \"Two\"");
  g_assert_cmpstr (card->subtitle, ==, "Gradient descent");
  g_assert_null (card->image_path);
  g_assert_cmpint (card->style, ==, AVE_CARD_STYLE_ACCENT);
  g_assert_cmpuint (card->insert_before, ==, 2);
  g_assert_cmpfloat_with_epsilon (card->duration, 2.0, EPS);
  g_assert_cmpint (card->transition, ==, AVE_TRANSITION_FADE);
  g_assert_cmpfloat_with_epsilon (card->transition_duration, 0.6, EPS);

  card = ave_plan_get_card (loaded, 1);
  g_assert_cmpint (card->kind, ==, AVE_CARD_OVERLAY);
  g_assert_null (card->title);
  g_assert_cmpstr (card->subtitle, ==, "Figure 1");
  g_assert_cmpstr (card->image_path, ==, "figure.png");
  g_assert_cmpfloat_with_epsilon (card->output_time, ave_plan_get_card (plan, 1)->output_time, EPS);
  g_assert_cmpfloat_with_epsilon (card->x, 0.6, EPS);
  g_assert_cmpfloat_with_epsilon (card->y, 0.1, EPS);
  g_assert_cmpfloat_with_epsilon (card->width, 0.35, EPS);
  g_assert_cmpfloat_with_epsilon (card->height, 0.4, EPS);
  g_assert_cmpfloat_with_epsilon (card->opacity, 0.9, EPS);
  g_assert_cmpint (card->transition, ==, AVE_TRANSITION_CROSSFADE);

  card = ave_plan_get_card (loaded, 2);
  g_assert_cmpstr (card->title, ==, "Ada Lovelace");
  g_assert_cmpint (card->style, ==, AVE_CARD_STYLE_DARK);
  g_assert_cmpfloat_with_epsilon (card->opacity, 1.0, EPS);

  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (loaded),
                                  ave_plan_get_output_duration (plan), EPS);

  /* A version 1 plan written before cards existed loads with none; a
   * hand-written card gets the documented defaults. */
  {
    g_autoptr(AvePlan) old = load_string ("{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":10,"
                                          "\"segments\":[{\"start\":0,\"end\":5}]}", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ave_plan_get_n_cards (old), ==, 0);
  }
  {
    g_autoptr(AvePlan) hand = load_string ("{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":10,"
                                           "\"segments\":[{\"start\":0,\"end\":5}],"
                                           "\"cards\":[{\"kind\":\"overlay\",\"title\":\"Hi\",\"time\":1,\"duration\":2},"
                                           "{\"kind\":\"title\",\"title\":\"End\",\"insert_before\":1,"
                                           "\"duration\":2,\"transition\":\"crossfade\"}]}", &error);
    g_assert_no_error (error);
    card = ave_plan_get_card (hand, 0);
    g_assert_cmpfloat_with_epsilon (card->y, 0.72, EPS);
    g_assert_cmpfloat_with_epsilon (card->height, 0.2, EPS);
    g_assert_cmpfloat_with_epsilon (card->opacity, 1.0, EPS);
    card = ave_plan_get_card (hand, 1);
    g_assert_cmpfloat_with_epsilon (card->transition_duration, 0.5, EPS);
    /* 5 + 2 - 0.5 */
    g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (hand), 6.5, EPS);
  }
}

static void
assert_invalid (const char *cards_json,
                const char *expected)
{
  g_autofree char *json = g_strdup_printf ("{\"version\":1,\"source\":\"a.mp4\",\"source_duration\":10,"
                                           "\"segments\":[{\"start\":0,\"end\":5},{\"start\":6,\"end\":9}],"
                                           "\"cards\":%s}", cards_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = load_string (json, &error);

  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_json_invalid (void)
{
  assert_invalid ("{}", "cards: expected an array, found an object");
  assert_invalid ("[3]", "cards[0]: expected an object with kind, title and duration, found a number");
  assert_invalid ("[{\"title\":\"A\",\"duration\":1,\"insert_before\":0}]",
                  "cards[0].kind: missing (expected \"title\" or \"overlay\")");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1,\"insert_before\":0},"
                  "{\"kind\":\"banner\",\"title\":\"B\",\"duration\":1}]",
                  "cards[1].kind: unknown kind \"banner\" (allowed: title, overlay)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"insert_before\":0}]",
                  "cards[0].duration: missing (expected a number of seconds)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1,\"insert_before\":0},"
                  "{\"kind\":\"title\",\"title\":\"B\",\"duration\":-2,\"insert_before\":0}]",
                  "cards[1].duration: must be at least 0.01 s (got -2.000)");
  assert_invalid ("[{\"kind\":\"title\",\"duration\":1,\"insert_before\":0}]",
                  "cards[0].title: missing (a card needs a title, an image or both)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1,\"insert_before\":3}]",
                  "cards[0].insert_before: 3 is past the last segment (there are 2; 2 means at the end)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1,\"insert_before\":0.5}]",
                  "cards[0].insert_before: expected a whole number from 0 (got 0.5)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1}]",
                  "cards[0].insert_before: missing (expected the index of the segment the card plays before)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1,\"insert_before\":0,\"style\":\"neon\"}]",
                  "cards[0].style: unknown style \"neon\" (allowed: dark, light, accent)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1,\"insert_before\":0,"
                  "\"transition\":\"crossfade\",\"transition_duration\":0.8}]",
                  "cards[0].transition_duration: 0.800 must be at most half the card's duration (0.500 s)");
  assert_invalid ("[{\"kind\":\"title\",\"title\":\"A\",\"duration\":1,\"insert_before\":0,\"transition\":\"wipe\"}]",
                  "cards[0].transition: unknown transition \"wipe\" (allowed: cut, crossfade, fade)");
  assert_invalid ("[{\"kind\":\"overlay\",\"title\":\"A\",\"duration\":1}]",
                  "cards[0].time: missing (expected a number of seconds)");
  assert_invalid ("[{\"kind\":\"overlay\",\"title\":\"A\",\"duration\":1,\"time\":-1}]",
                  "cards[0].time: must not be negative (-1.000)");
  assert_invalid ("[{\"kind\":\"overlay\",\"title\":\"A\",\"duration\":1,\"time\":1,\"opacity\":2}]",
                  "cards[0].opacity: must be between 0 and 1 (got 2.000)");
  assert_invalid ("[{\"kind\":\"overlay\",\"title\":\"A\",\"duration\":1,\"time\":1,\"x\":0.5,\"width\":0.7}]",
                  "cards[0].width: must be greater than 0 with x + width at most 1 (got 0.700 at x 0.500)");
  assert_invalid ("[{\"kind\":\"overlay\",\"title\":3,\"duration\":1,\"time\":1}]",
                  "cards[0].title: expected a string, found a number");

  /* Before rendering, a card's image must exist. */
  {
    g_autoptr(AvePlan) plan = three_segment_plan ();
    g_autoptr(AveCard) still = ave_card_new_overlay (NULL, NULL, 1.0, 1.0);
    g_autoptr(GError) error = NULL;

    still->image_path = g_strdup ("/nonexistent/figure.png");
    g_assert_cmpint (ave_plan_add_card (plan, still), ==, 0);
    g_assert_false (ave_plan_validate (plan, 30.0, &error));
    g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (error->message, "cards[0].image: /nonexistent/figure.png does not exist"));
  }
}

/* The cards example in docs/plan-schema.md loads, and the numbers its
 * text gives are the ones the program computes. */
static void
test_documented_example (void)
{
  g_autofree char *doc_path = g_build_filename (ave_test_source_root (), "docs", "plan-schema.md", NULL);
  g_autofree char *doc = NULL;
  g_autofree char *example = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GArray) items = NULL;
  const char *begin, *end;

  g_assert_true (g_file_get_contents (doc_path, &doc, NULL, &error));
  g_assert_no_error (error);
  begin = strstr (doc, "\n## Cards\n");
  g_assert_nonnull (begin);
  begin = strstr (begin, "```json\n");
  g_assert_nonnull (begin);
  begin += strlen ("```json\n");
  end = strstr (begin, "```");
  g_assert_nonnull (end);
  example = g_strndup (begin, end - begin);

  g_assert_true (json_parser_load_from_data (parser, example, -1, &error));
  g_assert_no_error (error);
  plan = ave_plan_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 3);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan),
                                  json_object_get_double_member (json_node_get_object (json_parser_get_root (parser)),
                                                                 "output_duration"), 1e-9);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 39.25, 1e-9);

  /* intro 0..3, segment 2.5..14.85, chapter card 14.85..16.85, segment 16.85.. */
  items = ave_plan_list_output_items (plan);
  g_assert_cmpuint (items->len, ==, 4);
  g_assert_cmpfloat_with_epsilon (g_array_index (items, AveOutputItem, 1).output_start, 2.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_array_index (items, AveOutputItem, 2).output_start, 14.85, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_array_index (items, AveOutputItem, 3).output_start, 16.85, 1e-9);
  g_assert_cmpint (g_array_index (items, AveOutputItem, 3).transition, ==, AVE_TRANSITION_FADE);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_chapter (plan, 1)->time,
                                  g_array_index (items, AveOutputItem, 2).output_start, 1e-9);
  g_assert_cmpfloat_with_epsilon (ave_plan_source_to_output (plan, 15.8), 16.85, 1e-9);
}

/* ------------------------------------------------------------ drawing */

static void
test_render_rgba (void)
{
  g_autoptr(AveCard) title = ave_card_new_title ("Gradient Descent", "Chapter 2", 0, 2.0);
  g_autoptr(AveCard) lower = ave_card_new_overlay ("Ada Lovelace", "Mathematician", 0.0, 2.0);
  g_autoptr(GError) error = NULL;
  const int w = 320, h = 180;
  guint8 *rgba = NULL;
  int stride = 0;

  /* TITLE, dark: opaque, dark on average, with light text on it. */
  g_assert_true (ave_card_render_rgba (title, w, h, &rgba, &stride, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stride, ==, w * 4);
  {
    double sum = 0.0;
    guint bright = 0;

    for (int i = 0; i < w * h; i++)
      {
        const guint8 *p = rgba + i * 4;
        double luma = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];

        g_assert_cmpuint (p[3], ==, 255);
        sum += luma;
        bright += luma > 200;
      }
    g_test_message ("dark title: mean %.1f, %u bright pixels", sum / (w * h), bright);
    g_assert_cmpfloat (sum / (w * h), <, 70.0);
    /* text: some hundreds of pixels, far from all of them */
    g_assert_cmpuint (bright, >, 300);
    g_assert_cmpuint (bright, <, w * h / 4);
    /* The top left corner is background, the centre row holds text. */
    g_assert_cmpuint (rgba[0], <, 60);
  }
  g_clear_pointer (&rgba, g_free);

  /* LIGHT: light on average, dark text. */
  title->style = AVE_CARD_STYLE_LIGHT;
  g_assert_true (ave_card_render_rgba (title, w, h, &rgba, &stride, &error));
  {
    double sum = 0.0;
    guint dark = 0;

    for (int i = 0; i < w * h; i++)
      {
        const guint8 *p = rgba + i * 4;
        double luma = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];

        sum += luma;
        dark += luma < 60;
      }
    g_assert_cmpfloat (sum / (w * h), >, 180.0);
    g_assert_cmpuint (dark, >, 300);
  }
  g_clear_pointer (&rgba, g_free);

  /* OVERLAY lower third: rounded corners are transparent, the box is
   * semi-transparent, the text opaque. */
  g_assert_true (ave_card_render_rgba (lower, 288, 36, &rgba, &stride, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rgba[3], ==, 0);
  {
    guint opaque = 0, translucent = 0;

    for (int i = 0; i < 288 * 36; i++)
      {
        guint a = rgba[i * 4 + 3];
        opaque += a == 255;
        translucent += a > 150 && a < 230;
      }
    g_assert_cmpuint (translucent, >, 288 * 36 / 2);
    g_assert_cmpuint (opaque, >, 50);
  }
  g_clear_pointer (&rgba, g_free);

  /* A still as picture-in-picture: a 64x48 red PNG fitted into a 200x100
   * box is 133x100, centred, transparent on both sides. */
  {
    const char *png = ave_test_ffmpeg_media ("red.png", "-f lavfi -i color=c=red:s=64x48 -frames:v 1");
    g_autoptr(AveCard) still = ave_card_new_overlay (NULL, NULL, 0.0, 1.0);
    const guint8 *centre, *side;

    still->image_path = g_strdup (png);
    g_assert_true (ave_card_render_rgba (still, 200, 100, &rgba, &stride, &error));
    g_assert_no_error (error);
    centre = rgba + (50 * 200 + 100) * 4;
    side = rgba + (50 * 200 + 10) * 4;
    g_assert_cmpuint (centre[0], >, 200);
    g_assert_cmpuint (centre[1], <, 40);
    g_assert_cmpuint (centre[2], <, 40);
    g_assert_cmpuint (centre[3], ==, 255);
    g_assert_cmpuint (side[3], ==, 0);
    g_clear_pointer (&rgba, g_free);
  }

  /* A JPEG (through FFmpeg) as a full-screen B-roll card: it covers the
   * frame; the caption band darkens only the bottom. */
  {
    const char *jpeg = ave_test_ffmpeg_media ("blue.jpg", "-f lavfi -i color=c=0x2060e0:s=400x300 -frames:v 1");
    g_autoptr(AveCard) broll = ave_card_new_title ("Field work", NULL, 0, 2.0);
    const guint8 *top, *left;

    broll->image_path = g_strdup (jpeg);
    g_assert_true (ave_card_render_rgba (broll, w, h, &rgba, &stride, &error));
    g_assert_no_error (error);
    top = rgba + (10 * w + w / 2) * 4;
    left = rgba + (h / 3 * w + 2) * 4;
    for (int k = 0; k < 2; k++)
      {
        const guint8 *p = k == 0 ? top : left;
        g_assert_cmpint (abs ((int) p[0] - 0x20), <=, 12);
        g_assert_cmpint (abs ((int) p[1] - 0x60), <=, 12);
        g_assert_cmpint (abs ((int) p[2] - 0xe0), <=, 12);
        g_assert_cmpuint (p[3], ==, 255);
      }
    g_clear_pointer (&rgba, g_free);
  }

  /* An image that is not there names the file. */
  {
    g_autoptr(AveCard) missing = ave_card_new_title ("x", NULL, 0, 2.0);

    missing->image_path = g_strdup ("/nonexistent/still.jpg");
    g_assert_false (ave_card_render_rgba (missing, w, h, &rgba, &stride, &error));
    g_assert_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "/nonexistent/still.jpg"));
  }

  /* The overlay box lands on even pixels inside the frame. */
  {
    int x, y, bw, bh;

    ave_card_get_overlay_box (lower, 321, 181, &x, &y, &bw, &bh);
    g_assert_cmpint (x % 2, ==, 0);
    g_assert_cmpint (y % 2, ==, 0);
    g_assert_cmpint (bw % 2, ==, 0);
    g_assert_cmpint (bh % 2, ==, 0);
    g_assert_cmpint (x + bw, <=, 320);
    g_assert_cmpint (y + bh, <=, 180);
    g_assert_cmpint (x, ==, 16);      /* 0.05 * 321 = 16.05 */
    g_assert_cmpint (y, ==, 130);     /* 0.72 * 181 = 130.3 */
  }
}

/* ------------------------------------------------------------ the bin */


/* Issue #9: a 100,000-character title took more than 28 CPU seconds a
 * 64x64 frame, the whole text laid out again at every size tried.  The
 * work must not grow with text that cannot be seen. */
static void
test_fit_long_text (void)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 64, 64);
  cairo_t *cr = cairo_create (surface);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(PangoLayout) layout = NULL;
  g_autoptr(PangoLayout) short_layout = NULL;
  g_autoptr(AveCard) card = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *rgba = NULL;
  gsize laid_out = 0;
  int stride = 0;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (text, "Lorem ipsum "[i % 12]);

  /* The sizes a title gets on a 64-pixel-high frame. */
  layout = _ave_card_fit_text (cr, text->str, TRUE, 6.4, 2.24, 64, 54, PANGO_ALIGN_CENTER, &laid_out);
  /* Less than one pass over the text, for all the sizes tried together... */
  g_assert_cmpuint (laid_out, <, text->len);
  /* ...and the same work as for a tenth of it. */
  {
    g_autofree char *tenth = g_strndup (text->str, text->len / 10);
    g_autoptr(PangoLayout) tenth_layout = NULL;
    gsize tenth_laid_out = 0;

    tenth_layout = _ave_card_fit_text (cr, tenth, TRUE, 6.4, 2.24, 64, 54, PANGO_ALIGN_CENTER, &tenth_laid_out);
    g_assert_cmpuint (laid_out, ==, tenth_laid_out);
  }
  g_assert_true (pango_layout_is_ellipsized (layout) ||
                 g_str_has_suffix (pango_layout_get_text (layout), "…"));

  /* Text that fits is laid out whole, once. */
  short_layout = _ave_card_fit_text (cr, "Hello", TRUE, 6.4, 2.24, 64, 54, PANGO_ALIGN_CENTER, &laid_out);
  g_assert_cmpstr (pango_layout_get_text (short_layout), ==, "Hello");
  g_assert_cmpuint (laid_out, ==, 5);

  /* And a card made outside the plan (no length check) still draws. */
  card = ave_card_new_title (text->str, text->str, 0, 2.0);
  g_assert_true (ave_card_render_rgba (card, 64, 64, &rgba, &stride, &error));
  g_assert_no_error (error);

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static void
test_default_bin (void)
{
  g_autoptr(AvePlan) plan = ave_plan_new ("/videos/my_great-talk.mp4", 60.0);
  g_autoptr(GPtrArray) bin = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) with_analysis = NULL;
  g_autoptr(AveAnalysis) analysis = ave_analysis_new ("/videos/my_great-talk.mp4", NULL);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(JsonNode) metadata = NULL;
  const AveCard *card;

  plan_add (plan, 0.0, 10.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 12.0, 30.0, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 31.0, 50.0, AVE_TRANSITION_CUT, 0.0);
  ave_plan_add_chapter (plan, 0.0, "Welcome");
  ave_plan_add_chapter (plan, 27.5, "Results");   /* nearest edge: segment 2 at 28 */

  bin = ave_cards_default_bin (NULL, plan);
  g_assert_cmpuint (bin->len, ==, 4);

  card = g_ptr_array_index (bin, 0);
  g_assert_cmpint (card->kind, ==, AVE_CARD_TITLE);
  g_assert_cmpstr (card->title, ==, "My Great Talk");
  g_assert_cmpuint (card->insert_before, ==, 0);

  card = g_ptr_array_index (bin, 1);
  g_assert_cmpstr (card->title, ==, "Welcome");
  g_assert_cmpstr (card->subtitle, ==, "Chapter 1");
  g_assert_cmpuint (card->insert_before, ==, 0);
  card = g_ptr_array_index (bin, 2);
  g_assert_cmpstr (card->title, ==, "Results");
  g_assert_cmpstr (card->subtitle, ==, "Chapter 2");
  g_assert_cmpuint (card->insert_before, ==, 2);

  card = g_ptr_array_index (bin, 3);
  g_assert_cmpstr (card->title, ==, "Thanks for watching");
  g_assert_cmpstr (card->subtitle, ==, "My Great Talk");
  g_assert_cmpuint (card->insert_before, ==, 3);

  /* Every suggestion is a card the plan accepts (the plan is not changed
   * by asking). */
  g_assert_cmpuint (ave_plan_get_n_cards (plan), ==, 0);
  {
    g_autoptr(AvePlan) copy = ave_plan_copy (plan);

    for (guint i = 0; i < bin->len; i++)
      g_assert_cmpint (ave_plan_add_card (copy, g_ptr_array_index (bin, i)), ==, (int) i);
  }

  /* Deterministic. */
  again = ave_cards_default_bin (NULL, plan);
  g_assert_cmpuint (again->len, ==, bin->len);
  for (guint i = 0; i < bin->len; i++)
    {
      const AveCard *a = g_ptr_array_index (bin, i), *b = g_ptr_array_index (again, i);

      g_assert_cmpstr (a->title, ==, b->title);
      g_assert_cmpstr (a->subtitle, ==, b->subtitle);
      g_assert_cmpuint (a->insert_before, ==, b->insert_before);
      g_assert_cmpfloat (a->duration, ==, b->duration);
    }

  /* With an analysis, the intro is the metadata's first title. */
  metadata = ave_metadata_build (analysis, plan, settings);
  with_analysis = ave_cards_default_bin (analysis, plan);
  card = g_ptr_array_index (with_analysis, 0);
  g_assert_cmpstr (card->title, ==,
                   json_array_get_string_element (json_object_get_array_member (json_node_get_object (metadata),
                                                                                "titles"), 0));
}

/* ------------------------------------------------------------ composing */

/* White frames (single frames) and the first sample of each beep; the
 * quiet tone under them is below the onset threshold. */
static void
find_events (GBytes     *luma,
             guint       n_frames,
             gsize       frame_size,
             GArray     *samples,
             GArray     *white_times,
             GArray     *beep_times)
{
  const guint8 *data = g_bytes_get_data (luma, NULL);
  double peak = 0.0;
  gboolean was_white = FALSE;
  gint64 last_loud = -G_MAXINT32;

  for (guint i = 0; i < n_frames; i++)
    {
      gboolean white = frame_stats (data + i * frame_size, frame_size).mean > 128.0;
      if (white && !was_white)
        {
          double t = i / 25.0;
          g_array_append_val (white_times, t);
        }
      was_white = white;
    }

  for (guint i = 0; i < samples->len; i++)
    peak = MAX (peak, fabs (g_array_index (samples, float, i)));
  g_assert_cmpfloat (peak, >, 0.05);
  for (guint i = 0; i < samples->len; i++)
    if (fabs (g_array_index (samples, float, i)) > 0.4 * peak)
      {
        if ((gint64) i - last_loud > 48000 * 3 / 10)
          {
            double t = i / 48000.0;
            g_array_append_val (beep_times, t);
          }
        last_loud = i;
      }
}

static void
test_compose_title (void)
{
  /* Black with a white frame and a 1 kHz beep together every 2 s (t = 1,
   * 3, 5, 7, 9), over a quiet continuous 200 Hz tone, so that silence
   * during the card is something the composer has to make. */
  const char *source = ave_test_ffmpeg_media ("sync-tone.mp4",
                              "-f lavfi -i \"color=c=black:s=320x240:r=25:d=10,format=yuv420p,"
                              "geq=lum='if(eq(mod(N\\,50)\\,25)\\,235\\,16)':cb=128:cr=128\" "
                              "-f lavfi -i \"aevalsrc='0.03*sin(2*PI*200*t)+"
                              "if(lt(mod(t+1\\,2)\\,0.04)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=10\" "
                              "-c:v libx264 -preset ultrafast -g 25 -c:a aac -b:a 128k -shortest");
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  g_autoptr(AveCard) card = ave_card_new_title ("Part Two", "Results", 1, 2.0);
  g_autofree char *output = ave_test_path ("title-card.mp4");
  g_autoptr(GBytes) luma = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autoptr(GArray) white = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) beep = g_array_new (FALSE, FALSE, sizeof (double));
  const double events[] = { 1.0, 3.0, 5.0, 7.0, 9.0 };
  const double frame = 1.0 / 25.0;
  const gsize frame_size = 320 * 240;
  AveComposeResult result = { 0 };
  double expected, card_start, card_end;
  guint n_frames;

  plan_add (plan, 0.37, 3.52, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 4.93, 9.43, AVE_TRANSITION_CUT, 0.0);
  g_assert_cmpint (ave_plan_add_card (plan, card), ==, 0);
  expected = ave_plan_get_output_duration (plan);
  g_assert_cmpfloat_with_epsilon (expected, 3.15 + 2.0 + 4.5, 1e-9);
  card_start = 3.15;
  card_end = card_start + 2.0;

  render (plan, output, &result);

  /* Duration: segments + 2 s, within a frame, video and audio alike. */
  g_assert_cmpfloat (fabs (result.output_duration - expected), <=, frame);
  g_assert_cmpfloat (fabs (probe_value (output, "-show_entries format=duration") - expected), <=, frame + 1e-3);
  g_assert_cmpfloat (fabs (probe_value (output, "-select_streams a:0 -show_entries stream=duration") - expected),
                     <=, frame + 1e-3);
  luma = decode_luma (output, 320, 240, &n_frames);
  g_assert_cmpfloat (fabs (n_frames * frame - expected), <=, frame + 1e-6);

  /* The card's frames: not the black source, and not uniform (the text);
   * the source's frames around it are uniform black. */
  for (guint i = 0; i < n_frames; i++)
    {
      double t = i * frame;
      Stats s = frame_stats ((const guint8 *) g_bytes_get_data (luma, NULL) + i * frame_size, frame_size);

      if (t > card_start + frame && t < card_end - 2 * frame)
        {
          g_assert_cmpfloat (s.mean, >, 22.0);
          g_assert_cmpfloat (s.stddev, >, 10.0);
        }
      else if ((t < card_start - 2 * frame || t > card_end + frame) && s.mean < 128.0)
        {
          g_assert_cmpfloat (fabs (s.mean - 16.0), <, 3.0);
          g_assert_cmpfloat (s.stddev, <, 3.0);
        }
    }

  /* Silence during the card, the tone on both sides of it. */
  samples = decode_audio (output);
  g_test_message ("rms before %.4f, during %.6f, after %.4f",
                  rms (samples, 2.0, 2.5), rms (samples, card_start + 0.01, card_end - 0.01),
                  rms (samples, 6.0, 6.5));
  g_assert_cmpfloat (rms (samples, 2.0, 2.5), >, 0.01);
  g_assert_cmpfloat (rms (samples, 6.0, 6.5), >, 0.01);
  g_assert_cmpfloat (rms (samples, card_start + 0.01, card_end - 0.01), <, 1e-3);

  /* A/V sync before and after the card: each white frame and its beep
   * come out together and where the plan (with the card) says. */
  find_events (luma, n_frames, frame_size, samples, white, beep);
  g_assert_cmpuint (white->len, ==, G_N_ELEMENTS (events));
  g_assert_cmpuint (beep->len, ==, G_N_ELEMENTS (events));
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      double e = ave_plan_source_to_output (plan, events[i]);
      double w = g_array_index (white, double, i);
      double b = g_array_index (beep, double, i);

      g_test_message ("event %.0f: expected %.4f, white %.4f, beep %.4f", events[i], e, w, b);
      g_assert_cmpfloat (fabs (w - e), <=, frame + 1e-3);
      g_assert_cmpfloat (fabs (b - e), <=, frame + 1e-3);
      g_assert_cmpfloat (fabs (w - b), <=, frame + 1e-3);
    }
  /* the last three come after the card */
  g_assert_cmpfloat (g_array_index (white, double, 2), >, card_end);
}

static void
test_compose_overlay (void)
{
  const char *source = ave_test_ffmpeg_media ("bars4.mp4",
                              "-f lavfi -i testsrc2=s=320x240:r=25:d=4 "
                              "-f lavfi -i sine=f=440:r=48000:d=4 "
                              "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest");
  g_autoptr(AvePlan) plain = ave_plan_new (source, 4.0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveCard) lower = ave_card_new_overlay ("Ada Lovelace", "Mathematician", 1.0, 1.5);
  g_autofree char *with_path = ave_test_path ("overlay.mp4");
  g_autofree char *without_path = ave_test_path ("no-overlay.mp4");
  g_autoptr(GBytes) with = NULL;
  g_autoptr(GBytes) without = NULL;
  AveComposeResult result = { 0 };
  guint n_with, n_without;
  int bx, by, bw, bh;
  /* Encoders spread a difference over the blocks it touches: pixels this
   * close to the box are neither inside nor clearly outside. */
  const int ring = 16;

  plan_add (plain, 0.0, 4.0, AVE_TRANSITION_CUT, 0.0);
  plan = ave_plan_copy (plain);
  lower->x = 0.1;
  lower->y = 0.6;
  lower->width = 0.5;
  lower->height = 0.25;
  g_assert_cmpint (ave_plan_add_card (plan, lower), ==, 0);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 4.0, 1e-9);
  ave_card_get_overlay_box (lower, 320, 240, &bx, &by, &bw, &bh);
  g_assert_cmpint (bx, ==, 32);
  g_assert_cmpint (by, ==, 144);
  g_assert_cmpint (bw, ==, 160);
  g_assert_cmpint (bh, ==, 60);

  render (plan, with_path, &result);
  render (plain, without_path, &result);
  with = decode_luma (with_path, 320, 240, &n_with);
  without = decode_luma (without_path, 320, 240, &n_without);
  g_assert_cmpuint (n_with, ==, 100);
  g_assert_cmpuint (n_without, ==, 100);

  for (guint f = 0; f < n_with; f++)
    {
      const guint8 *a = (const guint8 *) g_bytes_get_data (with, NULL) + f * 320 * 240;
      const guint8 *b = (const guint8 *) g_bytes_get_data (without, NULL) + f * 320 * 240;
      double inside = 0.0, outside = 0.0;
      guint n_inside = 0, n_outside = 0;

      for (int y = 0; y < 240; y++)
        for (int x = 0; x < 320; x++)
          {
            double d = abs ((int) a[y * 320 + x] - (int) b[y * 320 + x]);

            if (x >= bx && x < bx + bw && y >= by && y < by + bh)
              {
                inside += d;
                n_inside++;
              }
            else if (x < bx - ring || x >= bx + bw + ring || y < by - ring || y >= by + bh + ring)
              {
                outside += d;
                n_outside++;
              }
          }
      inside /= n_inside;
      outside /= n_outside;

      /* frames 25..62 show it (1.0 s to 2.5 s) */
      if (f >= 26 && f <= 61)
        {
          if (inside <= 15.0 || outside >= 1.5)
            g_test_message ("frame %u: inside %.2f outside %.2f", f, inside, outside);
          g_assert_cmpfloat (inside, >, 15.0);
        }
      else if (f < 24 || f > 63)
        g_assert_cmpfloat (inside, <, 1.5);
      g_assert_cmpfloat (outside, <, 1.5);
    }
}

/* The mean colour of the centre 32x32 block of frame `index` of `path`,
 * converted to RGB with the matrix its stream is tagged with (as a player
 * does), and that tag. */
static void
decoded_centre_rgb (const char *path,
                    int         width,
                    int         height,
                    guint       index,
                    double      rgb[3],
                    char      **matrix)
{
  g_autofree char *raw = g_strdup_printf ("%s.rgb", path);
  g_autofree char *data = NULL;
  g_autofree char *tag = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries "
                                             "stream=color_space -of csv=p=0 '%s'", path);
  const char *swscale_matrix;
  gsize length = 0, frame_size = (gsize) width * height * 3;

  g_strstrip (tag);
  swscale_matrix = g_str_equal (tag, "bt709") ? "bt709"
                   : (g_str_equal (tag, "smpte170m") || g_str_equal (tag, "bt470bg")) ? "bt601" : NULL;
  g_assert_nonnull (swscale_matrix);   /* untagged: players would guess */
  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -map 0:v:0 "
               "-vf scale=in_color_matrix=%s:in_range=tv:flags=accurate_rnd+full_chroma_int,format=rgb24 "
               "-f rawvideo '%s'", path, swscale_matrix, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  g_assert_cmpuint (length, >=, (index + 1) * frame_size);
  for (int c = 0; c < 3; c++)
    {
      double sum = 0.0;

      for (int y = height / 2 - 16; y < height / 2 + 16; y++)
        for (int x = width / 2 - 16; x < width / 2 + 16; x++)
          sum += (guint8) data[index * frame_size + ((gsize) y * width + x) * 3 + c];
      rgb[c] = sum / (32.0 * 32.0);
    }
  *matrix = g_steal_pointer (&tag);
}

/* Title cards keep their colours on SD (BT.601) and HD (BT.709) sources:
 * they are converted with the source's matrix and the output is tagged,
 * so a player decoding with the tag sees the colour the card was drawn
 * in.  (Drawn with BT.709 on an SD source, red came out 25 levels off.) */
static void
test_compose_colours (void)
{
  static const struct { const char *name, *args, *tag; int w, h; } sources[] = {
    { "sd601.mp4", "-f lavfi -i testsrc2=s=640x480:r=25:d=2 -f lavfi -i sine=f=440:r=48000:d=2 "
      "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -colorspace smpte170m -color_primaries smpte170m "
      "-color_trc smpte170m -color_range tv -c:a aac -shortest", "smpte170m", 640, 480 },
    /* SD and untagged: FFmpeg (and players) take it for BT.601 */
    { "sd-untagged.mp4", "-f lavfi -i testsrc2=s=320x240:r=25:d=2 -f lavfi -i sine=f=440:r=48000:d=2 "
      "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest", "smpte170m", 320, 240 },
    { "hd-untagged.mp4", "-f lavfi -i testsrc2=s=1280x720:r=25:d=2 -f lavfi -i sine=f=440:r=48000:d=2 "
      "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest", "bt709", 1280, 720 },
  };
  static const struct { const char *name, *colour; guint8 r, g, b; } images[] = {
    { "card-red.png", "0xff0000", 255, 0, 0 },
    { "card-teal.png", "0x20a0c8", 0x20, 0xa0, 0xc8 },
  };

  for (guint s = 0; s < G_N_ELEMENTS (sources); s++)
    {
      const char *source = ave_test_ffmpeg_media (sources[s].name, sources[s].args);
      g_autoptr(AvePlan) plan = ave_plan_new (source, 2.0);
      g_autofree char *name = g_strdup_printf ("colours-%s", sources[s].name);
      g_autofree char *output = ave_test_path (name);
      AveComposeResult result = { 0 };

      plan_add (plan, 0.0, 0.6, AVE_TRANSITION_CUT, 0.0);
      plan_add (plan, 0.6, 1.3, AVE_TRANSITION_CUT, 0.0);
      plan_add (plan, 1.3, 2.0, AVE_TRANSITION_CUT, 0.0);
      for (guint i = 0; i < G_N_ELEMENTS (images); i++)
        {
          g_autofree char *args = g_strdup_printf ("-f lavfi -i color=c=%s:s=64x48,format=rgb24 -frames:v 1",
                                                   images[i].colour);
          g_autoptr(AveCard) card = ave_card_new_title (NULL, NULL, i + 1, 1.0);

          card->image_path = g_strdup (ave_test_ffmpeg_media (images[i].name, args));
          g_assert_cmpint (ave_plan_add_card (plan, card), >=, 0);
        }
      render (plan, output, &result);

      for (guint i = 0; i < G_N_ELEMENTS (images); i++)
        {
          /* the middle of each card: output seconds 1.1 and 2.8 */
          guint index = i == 0 ? 27 : 70;
          g_autofree char *tag = NULL;
          double rgb[3];

          decoded_centre_rgb (output, sources[s].w, sources[s].h, index, rgb, &tag);
          g_test_message ("%s, %s card: tagged %s, decoded %.1f %.1f %.1f", sources[s].name, images[i].name,
                          tag, rgb[0], rgb[1], rgb[2]);
          g_assert_cmpstr (tag, ==, sources[s].tag);
          g_assert_cmpfloat (fabs (rgb[0] - images[i].r), <=, 2.0);
          g_assert_cmpfloat (fabs (rgb[1] - images[i].g), <=, 2.0);
          g_assert_cmpfloat (fabs (rgb[2] - images[i].b), <=, 2.0);
        }
      {
        g_autofree char *tags = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries "
                                                    "stream=color_range,color_primaries,color_transfer "
                                                    "-of csv=p=0 '%s'", output);
        g_autofree char *expected = g_strdup_printf ("tv,%s,%s", sources[s].tag, sources[s].tag);

        g_assert_cmpstr (g_strstrip (tags), ==, expected);
      }
    }

  /* A matrix the kernels do not have: the video's values pass through, so
   * the source's tags do too (not a bt709 that would contradict them). */
  {
    const char *source = ave_test_ffmpeg_media ("bt2020.mp4",
                                 "-f lavfi -i testsrc2=s=320x240:r=25:d=2 -f lavfi -i sine=f=440:r=48000:d=2 "
                                 "-c:v libx264 -preset ultrafast -pix_fmt yuv420p10le -colorspace bt2020nc "
                                 "-color_primaries bt2020 -color_trc smpte2084 -c:a aac -shortest");
    g_autoptr(AvePlan) plan = ave_plan_new (source, 2.0);
    g_autoptr(AveCard) card = ave_card_new_title ("HDR", NULL, 1, 0.5);
    g_autofree char *output = ave_test_path ("colours-bt2020.mp4");
    g_autofree char *tags = NULL;
    AveComposeResult result = { 0 };

    plan_add (plan, 0.0, 1.0, AVE_TRANSITION_CUT, 0.0);
    plan_add (plan, 1.0, 2.0, AVE_TRANSITION_CUT, 0.0);
    g_assert_cmpint (ave_plan_add_card (plan, card), >=, 0);
    render (plan, output, &result);
    tags = ave_test_sh_output ("ffprobe -v error -select_streams v:0 -show_entries "
                               "stream=color_space,color_primaries,color_transfer -of csv=p=0 '%s'", output);
    g_assert_cmpstr (g_strstrip (tags), ==, "bt2020nc,smpte2084,bt2020");
  }
}

/* A crossfading card dissolves in and out, overlapping both neighbours,
 * and the output is as long as the plan says. */
static void
test_compose_crossfade (void)
{
  const char *source = ave_test_ffmpeg_media ("grey.mp4",
                              "-f lavfi -i color=c=0x808080:s=320x240:r=25:d=4 "
                              "-f lavfi -i sine=f=440:r=48000:d=4 "
                              "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest");
  g_autoptr(AvePlan) plan = ave_plan_new (source, 4.0);
  g_autoptr(AveCard) card = ave_card_new_title ("Between", NULL, 1, 1.5);
  g_autofree char *output = ave_test_path ("crossfade-card.mp4");
  g_autoptr(GBytes) luma = NULL;
  AveComposeResult result = { 0 };
  const double frame = 1.0 / 25.0;
  const gsize frame_size = 320 * 240;
  double expected, source_mean, card_mean, middle_mean;
  guint n_frames;

  plan_add (plan, 0.0, 1.5, AVE_TRANSITION_CUT, 0.0);
  plan_add (plan, 2.0, 3.5, AVE_TRANSITION_CUT, 0.0);
  card->transition = AVE_TRANSITION_CROSSFADE;
  card->transition_duration = 0.5;
  g_assert_cmpint (ave_plan_add_card (plan, card), ==, 0);
  expected = ave_plan_get_output_duration (plan);
  g_assert_cmpfloat_with_epsilon (expected, 1.5 + 1.5 + 1.5 - 2 * 0.5, 1e-9);

  render (plan, output, &result);
  g_assert_cmpfloat (fabs (probe_value (output, "-show_entries format=duration") - expected), <=, frame + 1e-3);
  luma = decode_luma (output, 320, 240, &n_frames);
  g_assert_cmpfloat (fabs (n_frames * frame - expected), <=, frame + 1e-6);

  /* The card occupies output 1.0 .. 2.5 s, dissolving in over 1.0 .. 1.5
   * and out over 2.0 .. 2.5. */
#define MEAN_AT(t) frame_stats ((const guint8 *) g_bytes_get_data (luma, NULL) + \
                                (gsize) llround ((t) * 25.0) * frame_size, frame_size).mean
  source_mean = MEAN_AT (0.5);
  card_mean = MEAN_AT (1.75);
  middle_mean = MEAN_AT (1.25);
  g_test_message ("source %.1f, card %.1f, halfway %.1f", source_mean, card_mean, middle_mean);
  g_assert_cmpfloat (fabs (source_mean - card_mean), >, 40.0);
  g_assert_cmpfloat (middle_mean, <, MAX (source_mean, card_mean) - 10.0);
  g_assert_cmpfloat (middle_mean, >, MIN (source_mean, card_mean) + 10.0);
  middle_mean = MEAN_AT (2.25);
  g_assert_cmpfloat (middle_mean, <, MAX (source_mean, card_mean) - 10.0);
  g_assert_cmpfloat (middle_mean, >, MIN (source_mean, card_mean) + 10.0);
  g_assert_cmpfloat (fabs (MEAN_AT (3.0) - source_mean), <, 3.0);
#undef MEAN_AT
}

int
main (int   argc,
      char *argv[])
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/cards/timing", test_timing);
  g_test_add_func ("/engine/cards/editing", test_editing);
  g_test_add_func ("/engine/cards/json-roundtrip", test_json_roundtrip);
  g_test_add_func ("/engine/cards/json-invalid", test_json_invalid);
  g_test_add_func ("/engine/cards/documented-example", test_documented_example);
  g_test_add_func ("/engine/cards/render-rgba", test_render_rgba);
  g_test_add_func ("/engine/cards/fit-long-text", test_fit_long_text);
  g_test_add_func ("/engine/cards/default-bin", test_default_bin);
  g_test_add_func ("/engine/cards/compose-title", test_compose_title);
  g_test_add_func ("/engine/cards/compose-crossfade", test_compose_crossfade);
  g_test_add_func ("/engine/cards/compose-overlay", test_compose_overlay);
  g_test_add_func ("/engine/cards/compose-colours", test_compose_colours);

  return g_test_run ();
}
