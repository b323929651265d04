/* test-app-units.c — the app's pieces that need no display: project files
 * (relative paths, round trip, errors), the document object and the live
 * graphs' series model. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "director/ave-project.h"
#include "assets/ave-captions.h"
#include "ave-app-settings.h"
#include "providers/ave-remote.h"
#include "ave-series.h"
#include "ave-timeline.h"
#include "ave-timeline-layout.h"
#include "ave-stall-monitor.h"
#include "ave-document.h"

static AvePlan *
make_plan (const char *source)
{
  AvePlan *plan = ave_plan_new (source, 20.0);
  AveSegment a = { .start = 0.5, .end = 6.0, .enabled = TRUE };
  AveSegment b = { .start = 7.25, .end = 12.0, .enabled = FALSE };
  AveSegment c = { .start = 13.0, .end = 19.5, .transition = AVE_TRANSITION_CROSSFADE,
                   .transition_duration = 0.5, .enabled = TRUE };

  g_assert_true (ave_plan_append_segment (plan, &a));
  g_assert_true (ave_plan_append_segment (plan, &b));
  g_assert_true (ave_plan_append_segment (plan, &c));
  ave_plan_add_chapter (plan, 0, "Intro");
  return plan;
}

static char *
plan_json (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);
  JsonObject *object = json_node_get_object (node);

  /* The source is compared separately: it is stored relative. */
  json_object_remove_member (object, "source");
  return json_to_string (node, FALSE);
}

/* Three sentences, one in each segment of make_plan (the middle one
 * cut): words 0.4 s long with 0.1 s between. */
static AveAnalysis *
make_talk (void)
{
  AveMediaInfo info = { 0 };
  AveAnalysis *a;
  const struct { const char *text; double start; } sentences[] = {
    { "welcome to the talk", 1.0 },
    { "this part is cut away", 8.0 },
    { "and here we end", 14.0 },
  };

  info.path = (char *) "talk.mp4";
  info.duration = 20.0;
  info.has_audio = info.has_video = TRUE;
  info.frame_rate = 25.0;
  a = ave_analysis_new ("talk.mp4", &info);
  for (guint s = 0; s < G_N_ELEMENTS (sentences); s++)
    {
      g_auto(GStrv) words = g_strsplit (sentences[s].text, " ", -1);

      for (guint i = 0; words[i] != NULL; i++)
        ave_analysis_add_word (a, words[i], sentences[s].start + i * 0.5,
                               sentences[s].start + i * 0.5 + 0.4, 0.9, FALSE);
    }
  return a;
}

static GArray *
build_cues (AveAnalysis *a, AvePlan *plan, GArray **words_out)
{
  GArray *words = ave_caption_words_map (a, plan);
  GArray *cues = ave_captions_build (words, ave_captions_frame_rate (a), "en");

  *words_out = words;
  return cues;
}

static gboolean
cues_mention (GArray *cues, const char *word)
{
  for (guint i = 0; i < cues->len; i++)
    if (strstr (g_array_index (cues, AveCue, i).text, word) != NULL)
      return TRUE;
  return FALSE;
}

/* The caption lane: each cue's block starts where the timeline shows its
 * first word (the engine's output times mapped back through the layout),
 * a cut sentence has no cue and comes back when its segment is switched
 * on again. */
static void
test_caption_lane (void)
{
  g_autoptr(AveAnalysis) a = make_talk ();
  g_autoptr(AvePlan) plan = make_plan ("talk.mp4");
  const double zoom = 50.0;

  for (int pass = 0; pass < 2; pass++)
    {
      g_autoptr(GArray) words = NULL;
      g_autoptr(GArray) cues = build_cues (a, plan, &words);
      g_autoptr(AveTimelineLayout) layout = ave_timeline_layout_new (plan, zoom);
      g_autoptr(GArray) blocks = ave_timeline_layout_captions (layout, cues);

      g_assert_cmpuint (cues->len, >=, pass == 0 ? 2 : 3);
      g_assert_true (cues_mention (cues, "Welcome"));
      g_assert_true (cues_mention (cues, "end"));
      /* Segment 1 (7.25 to 12 s) holds the middle sentence. */
      g_assert_true (cues_mention (cues, "cut away") == (pass == 1));
      g_assert_cmpuint (blocks->len, ==, cues->len);

      for (guint i = 0; i < blocks->len; i++)
        {
          const AveTimelineCaption *block = &g_array_index (blocks, AveTimelineCaption, i);
          const AveCue *cue = &g_array_index (cues, AveCue, block->cue);
          const AveCaptionWord *first = &g_array_index (words, AveCaptionWord, cue->first_word);
          const AveCaptionWord *last = &g_array_index (words, AveCaptionWord,
                                                       cue->first_word + cue->n_words - 1);
          double first_x, last_x;
          guint item;

          g_assert_cmpuint (block->cue, ==, i);
          g_assert_true (ave_timeline_layout_source_to_x (layout, first->source_start, &first_x, &item));
          g_assert_true (g_array_index (layout->items, AveTimelineItem, item).enabled);
          /* Within a millisecond (the files' grid) of the word. */
          g_assert_cmpfloat (fabs (block->x - first_x), <=, zoom * 0.001 + 1e-6);
          g_assert_true (ave_timeline_layout_source_to_x (layout, last->source_end, &last_x, NULL));
          g_assert_cmpfloat (block->x + block->width, >=, last_x - zoom * 0.001);
          g_assert_cmpfloat (block->x + block->width, <=, layout->total_width + 1e-6);
          if (i + 1 < blocks->len)
            g_assert_cmpfloat (block->x + block->width, <=,
                               g_array_index (blocks, AveTimelineCaption, i + 1).x + 1e-6);
        }
      g_assert_true (ave_plan_set_segment_enabled (plan, 1, TRUE));
    }

  /* No cues, no blocks. */
  {
    g_autoptr(AveTimelineLayout) layout = ave_timeline_layout_new (plan, zoom);
    g_autoptr(GArray) none = g_array_new (FALSE, FALSE, sizeof (AveCue));
    g_autoptr(GArray) blocks = ave_timeline_layout_captions (layout, none);

    g_assert_cmpuint (blocks->len, ==, 0);
  }
}

/* Retakes are the cut segments whose reason names the kept take. */
static void
test_retake_segments (void)
{
  g_autoptr(AvePlan) plan = ave_plan_new ("talk.mp4", 20.0);
  AveSegment kept = { .start = 0.0, .end = 4.0, .enabled = TRUE, .reason = (char *) "speech" };
  AveSegment retake = { .start = 4.0, .end = 6.0, .enabled = FALSE,
                        .reason = (char *) "retake of 6.00–9.00 s (\"the result is five\")" };
  AveSegment take = { .start = 6.0, .end = 9.0, .enabled = TRUE, .reason = (char *) "speech" };
  AveSegment pause = { .start = 9.0, .end = 10.0, .enabled = FALSE, .reason = (char *) "silence" };
  g_autoptr(AveTimelineLayout) layout = NULL;
  g_autoptr(AveTimelineLayout) restored = NULL;

  g_assert_true (ave_plan_append_segment (plan, &kept));
  g_assert_true (ave_plan_append_segment (plan, &retake));
  g_assert_true (ave_plan_append_segment (plan, &take));
  g_assert_true (ave_plan_append_segment (plan, &pause));
  layout = ave_timeline_layout_new (plan, 10.0);
  g_assert_cmpuint (layout->items->len, ==, 4);
  g_assert_false (g_array_index (layout->items, AveTimelineItem, 0).retake);
  g_assert_true (g_array_index (layout->items, AveTimelineItem, 1).retake);
  g_assert_false (g_array_index (layout->items, AveTimelineItem, 2).retake);
  g_assert_false (g_array_index (layout->items, AveTimelineItem, 3).retake);

  /* Switched back on, it is kept: no longer drawn as a retake. */
  g_assert_true (ave_plan_set_segment_enabled (plan, 1, TRUE));
  restored = ave_timeline_layout_new (plan, 10.0);
  g_assert_false (g_array_index (restored->items, AveTimelineItem, 1).retake);
}

/* What a screen reader says for segments and cards (their pieces'
 * labels), and the layout's overlay spans and joins that the layers and
 * the pointer share. */
static void
test_spoken_names (void)
{
  g_autoptr(AvePlan) plan = ave_plan_new ("talk.mp4", 20.0);
  AveSegment kept = { .start = 0.0, .end = 4.0, .enabled = TRUE, .reason = (char *) "long pause removed" };
  AveSegment retake = { .start = 4.0, .end = 6.0, .enabled = FALSE,
                        .reason = (char *) "retake of 6.00–9.00 s (\"the result is five\")" };
  AveSegment take = { .start = 6.0, .end = 9.5, .enabled = TRUE,
                      .transition = AVE_TRANSITION_CROSSFADE, .transition_duration = 0.5,
                      .origin = AVE_SEGMENT_ORIGIN_LLM };
  AveSegment pause = { .start = 10.0, .end = 11.0, .enabled = FALSE, .origin = AVE_SEGMENT_ORIGIN_USER };
  g_autoptr(AveCard) title = ave_card_new_title ("Intro", NULL, 0, 2.0);
  g_autoptr(AveCard) picture = ave_card_new_title (NULL, NULL, 4, 1.0);
  g_autoptr(AveCard) overlay = ave_card_new_overlay ("Jane", NULL, 2.5, 1.0);
  g_autoptr(AveTimelineLayout) layout = NULL;
  g_autofree char *s0 = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL, *c0 = NULL, *c1 = NULL, *c2 = NULL;
  double x0, x1;

  g_assert_true (ave_plan_append_segment (plan, &kept));
  g_assert_true (ave_plan_append_segment (plan, &retake));
  g_assert_true (ave_plan_append_segment (plan, &take));
  g_assert_true (ave_plan_append_segment (plan, &pause));
  picture->image_path = g_strdup ("still.png");
  g_assert_cmpint (ave_plan_add_card (plan, title), ==, 0);
  g_assert_cmpint (ave_plan_add_card (plan, picture), ==, 1);
  g_assert_cmpint (ave_plan_add_card (plan, overlay), ==, 2);

  s0 = ave_timeline_describe_segment (plan, 0);
  s1 = ave_timeline_describe_segment (plan, 1);
  s2 = ave_timeline_describe_segment (plan, 2);
  s3 = ave_timeline_describe_segment (plan, 3);
  g_assert_cmpstr (s0, ==, "Segment 1 of 4, kept, 0:00.0 to 0:04.0, 4.0 s, local director: long pause removed");
  g_assert_cmpstr (s1, ==, "Segment 2 of 4, cut, earlier take, 0:04.0 to 0:06.0, 2.0 s, "
                           "local director: retake of 6.00–9.00 s (\"the result is five\")");
  g_assert_cmpstr (s2, ==, "Segment 3 of 4, kept, 0:06.0 to 0:09.5, 3.5 s, crossfade in, language model");
  g_assert_cmpstr (s3, ==, "Segment 4 of 4, cut, 0:10.0 to 0:11.0, 1.0 s, edited by hand");
  c0 = ave_timeline_describe_card (plan, 0);
  c1 = ave_timeline_describe_card (plan, 1);
  c2 = ave_timeline_describe_card (plan, 2);
  g_assert_cmpstr (c0, ==, "Card 1 of 3, title card Intro, 2.0 s, before segment 1");
  g_assert_cmpstr (c1, ==, "Card 2 of 3, picture card, 1.0 s, at the end");
  g_assert_cmpstr (c2, ==, "Card 3 of 3, overlay Jane, 1.0 s from 0:02.5 of the output");

  /* Items: Intro, 4 segments, the picture card; 10 px a second.  The
   * overlay at 2.5 s of output is 0.5 s into the first segment, which
   * starts after the 2 s title. */
  layout = ave_timeline_layout_new (plan, 10.0);
  g_assert_cmpuint (layout->items->len, ==, 6);
  g_assert_true (ave_timeline_layout_overlay_span (layout, ave_plan_get_card (plan, 2), &x0, &x1));
  g_assert_cmpfloat_with_epsilon (x0, 25.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (x1, 35.0, 1e-9);
  g_assert_false (ave_timeline_layout_overlay_span (layout, ave_plan_get_card (plan, 0), &x0, &x1));
  /* Joins: nothing before the first; the segment's own crossfade into the
   * kept take, across the cut retake. */
  g_assert_cmpint (ave_timeline_layout_join_before (layout, plan, 0), ==, AVE_TRANSITION_CUT);
  g_assert_cmpint (ave_timeline_layout_join_before (layout, plan, 3), ==, AVE_TRANSITION_CROSSFADE);
}

/* The preview's output time: the playing segment decides, then the plan's
 * own source-to-output mapping. */
static void
test_playback_output_time (void)
{
  g_autoptr(AvePlan) plan = make_plan ("talk.mp4");
  AveSegment again = { .start = 1.0, .end = 3.0, .enabled = TRUE };
  /* Segment 0 plays 0 to 5.5; segment 2 crossfades in 0.5 s early. */
  const double c_start = 5.5 - 0.5;

  g_assert_cmpfloat_with_epsilon (ave_playback_output_time (plan, -1, 2.5), 2.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ave_playback_output_time (plan, 0, 2.5), 2.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ave_playback_output_time (plan, 2, 14.0), c_start + 1.0, 1e-9);
  g_assert_cmpfloat (ave_playback_output_time (plan, -1, 9.0), ==, -1.0);   /* cut */
  g_assert_cmpfloat (ave_playback_output_time (plan, 1, 9.0), ==, -1.0);
  g_assert_cmpfloat_with_epsilon (ave_playback_output_time (plan, -1, 2.5),
                                  ave_plan_source_to_output (plan, 2.5), 1e-9);

  /* The same moment used twice: where it plays now. */
  g_assert_true (ave_plan_append_segment (plan, &again));
  g_assert_cmpfloat_with_epsilon (ave_playback_output_time (plan, 3, 2.0),
                                  ave_plan_get_output_duration (plan) - 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (ave_playback_output_time (plan, 0, 2.0), 1.5, 1e-9);
}

/* The caption, subtitle and retake choices reach AveSettings as the
 * command line's flags would set them, after the content type. */
static void
test_caption_settings (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveSettings) talk = ave_app_settings_build ("medium", "balanced", "educational", "auto", &error);
  g_autoptr(AveSettings) general = ave_app_settings_build ("medium", "balanced", "general", "auto", &error);
  g_autoptr(GSettings) gsettings = NULL;

  g_assert_no_error (error);
  /* auto: the content type decides (on for talks). */
  g_assert_true (ave_app_settings_apply_captions (talk, "srt", TRUE, "auto", "", &error));
  g_assert_no_error (error);
  g_assert_true (talk->remove_retakes);
  g_assert_cmpint (talk->subtitles, ==, AVE_SUBTITLES_SRT);
  g_assert_true (talk->burn_captions);
  g_assert_true (ave_app_settings_apply_captions (talk, "none", FALSE, "keep", NULL, &error));
  g_assert_false (talk->remove_retakes);
  g_assert_cmpint (talk->subtitles, ==, AVE_SUBTITLES_NONE);
  g_assert_false (talk->burn_captions);
  g_assert_true (ave_app_settings_apply_captions (general, "all", FALSE, "auto", NULL, &error));
  g_assert_false (general->remove_retakes);
  g_assert_true (ave_app_settings_apply_captions (general, "vtt", FALSE, "remove",
                                                  " size=0.08, position=top,highlight=yellow ", &error));
  g_assert_no_error (error);
  g_assert_true (general->remove_retakes);
  g_assert_cmpint (general->subtitles, ==, AVE_SUBTITLES_VTT);
  g_assert_cmpfloat_with_epsilon (general->caption_size, 0.08, 1e-9);
  g_assert_cmpstr (general->caption_position, ==, "top");
  g_assert_nonnull (general->caption_highlight);

  /* What the engine refuses is refused, naming the key. */
  g_assert_false (ave_app_settings_apply_caption_style (general, "size=2", &error));
  g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "size"));
  g_clear_error (&error);
  g_assert_false (ave_app_settings_apply_caption_style (general, "bold", &error));
  g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  g_assert_false (ave_app_settings_apply_captions (general, "ass", FALSE, NULL, NULL, &error));
  g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  g_assert_false (ave_app_settings_apply_captions (general, NULL, FALSE, "sometimes", NULL, &error));
  g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  /* The GSettings keys (memory backend, the build tree's schema). */
  gsettings = ave_app_settings_new ();
  g_assert_nonnull (gsettings);
  {
    g_autoptr(AveSettings) defaults = ave_app_settings_build_from_gsettings (gsettings, &error);
    g_autoptr(AveSettings) chosen = NULL;
    g_autoptr(AveSettings) bad = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (defaults->subtitles, ==, AVE_SUBTITLES_ALL);
    g_assert_false (defaults->burn_captions);
    g_assert_false (defaults->remove_retakes);

    g_settings_set_string (gsettings, "content-type", "educational");
    g_settings_set_string (gsettings, "subtitles", "srt");
    g_settings_set_boolean (gsettings, "burn-captions", TRUE);
    g_settings_set_string (gsettings, "caption-style", "box-opacity=0.6");
    chosen = ave_app_settings_build_from_gsettings (gsettings, &error);
    g_assert_no_error (error);
    g_assert_cmpint (chosen->subtitles, ==, AVE_SUBTITLES_SRT);
    g_assert_true (chosen->burn_captions);
    g_assert_true (chosen->remove_retakes);
    g_assert_cmpfloat_with_epsilon (chosen->caption_box_opacity, 0.6, 1e-9);
    g_settings_set_string (gsettings, "retakes", "keep");
    g_clear_pointer (&chosen, ave_settings_free);
    chosen = ave_app_settings_build_from_gsettings (gsettings, &error);
    g_assert_false (chosen->remove_retakes);

    g_settings_set_string (gsettings, "caption-style", "position=left");
    bad = ave_app_settings_build_from_gsettings (gsettings, &error);
    g_assert_null (bad);
    g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
    g_clear_error (&error);
  }
}

/* Every key of the schema back to its default (the memory backend is
 * shared by the tests of this process). */
static void
reset_all_keys (GSettings *gsettings)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (gsettings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (gsettings, keys[i]);
}

/* The AI provider keys reach AveSettings as the command line's flags
 * would set them, through the engine's own option checks. */
static void
test_provider_settings (void)
{
  g_autoptr(GSettings) gsettings = ave_app_settings_new ();
  g_autoptr(AveSettings) defaults = NULL;
  g_autoptr(AveSettings) chosen = NULL;
  g_autoptr(AveSettings) bad = NULL;
  g_autoptr(AveSettings) plain = ave_settings_new ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (gsettings);
  reset_all_keys (gsettings);

  /* The defaults change nothing: local rules, local speech, no budget. */
  defaults = ave_app_settings_build_from_gsettings (gsettings, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (defaults->director, ==, "local");
  g_assert_cmpstr (defaults->llm_provider, ==, "openai");
  g_assert_null (defaults->llm_url);
  g_assert_null (defaults->llm_model);
  g_assert_cmpstr (defaults->asr, ==, "local");
  g_assert_null (defaults->asr_url);
  g_assert_null (defaults->asr_model);
  g_assert_cmpfloat (defaults->budget_limit_usd, ==, 0);
  g_assert_cmpint (defaults->track_costs, ==, plain->track_costs);

  g_settings_set_string (gsettings, "director", "llm");
  g_settings_set_string (gsettings, "llm-provider", "gemini");
  g_settings_set_string (gsettings, "llm-url", "http://127.0.0.1:11434/v1");
  g_settings_set_string (gsettings, "llm-model", "gemma2:2b");
  g_settings_set_string (gsettings, "asr", "remote");
  g_settings_set_string (gsettings, "asr-url", "https://asr.example.org/v1");
  g_settings_set_string (gsettings, "asr-model", "whisper-large-v3");
  g_settings_set_double (gsettings, "budget-limit", 2.5);
  chosen = ave_app_settings_build_from_gsettings (gsettings, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (chosen->director, ==, "llm");
  g_assert_cmpstr (chosen->llm_provider, ==, "gemini");
  g_assert_cmpstr (chosen->llm_url, ==, "http://127.0.0.1:11434/v1");
  g_assert_cmpstr (chosen->llm_model, ==, "gemma2:2b");
  g_assert_cmpstr (chosen->asr, ==, "remote");
  g_assert_cmpstr (chosen->asr_url, ==, "https://asr.example.org/v1");
  g_assert_cmpstr (chosen->asr_model, ==, "whisper-large-v3");
  g_assert_cmpfloat_with_epsilon (chosen->budget_limit_usd, 2.5, 1e-9);
  /* As --budget-limit: a budget tracks the costs. */
  g_assert_true (chosen->track_costs);

  /* What --llm-url refuses, the preferences refuse, naming the key; a
   * URL that may hold a key is never quoted. */
  g_settings_set_string (gsettings, "llm-url", "ftp://127.0.0.1/v1");
  bad = ave_app_settings_build_from_gsettings (gsettings, &error);
  g_assert_null (bad);
  g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "llm-url"));
  g_clear_error (&error);
  g_settings_set_string (gsettings, "llm-url", "https://api.example.org/v1?key=sk-in-the-url");
  bad = ave_app_settings_build_from_gsettings (gsettings, &error);
  g_assert_null (bad);
  g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
  g_assert_null (strstr (error->message, "sk-in-the-url"));
  g_clear_error (&error);
  g_assert_false (ave_app_settings_apply_provider (plain, "director", "oracle", &error));
  g_assert_error (error, AVE_SETTINGS_ERROR, AVE_SETTINGS_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  /* Empty: the engine's default, as a flag not given. */
  g_assert_true (ave_app_settings_apply_provider (plain, "llm-model", "", &error));
  g_assert_null (plain->llm_model);

  /* The budget reaches the ledger the window graphs, and 0 lifts it. */
  {
    g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (7.0);
    AveCostTotals totals;

    g_settings_set_double (gsettings, "budget-limit", 2.5);
    ave_app_settings_apply_budget (gsettings, ledger);
    ave_cost_ledger_get_totals (ledger, &totals);
    g_assert_cmpfloat_with_epsilon (totals.budget_usd, 2.5, 1e-9);
    g_settings_reset (gsettings, "budget-limit");
    ave_app_settings_apply_budget (gsettings, ledger);
    ave_cost_ledger_get_totals (ledger, &totals);
    g_assert_cmpfloat (totals.budget_usd, ==, 0);
  }
  reset_all_keys (gsettings);
}

/* A key goes to the keyring under the provider and URL the engine looks
 * it up with, never into GSettings; without a keyring the message points
 * to the environment; the status says where a key is, never what. */
static void
test_provider_keys (void)
{
  const char *secret = "sk-test-0123456789abcdef";
  g_autoptr(GSettings) gsettings = ave_app_settings_new ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *url = NULL;
  g_autofree char *status = NULL;

  g_assert_nonnull (gsettings);
  reset_all_keys (gsettings);
  ave_app_settings_key_target (gsettings, "llm", &provider, &url);
  g_assert_cmpstr (provider, ==, "openai");
  g_assert_null (url);
  g_clear_pointer (&provider, g_free);
  g_settings_set_string (gsettings, "llm-provider", "gemini");
  g_settings_set_string (gsettings, "llm-url", "http://127.0.0.1:8081/v1beta");
  g_settings_set_string (gsettings, "asr-url", "http://127.0.0.1:8080/v1");
  ave_app_settings_key_target (gsettings, "llm", &provider, &url);
  g_assert_cmpstr (provider, ==, "gemini");
  g_assert_cmpstr (url, ==, "http://127.0.0.1:8081/v1beta");
  g_clear_pointer (&provider, g_free);
  g_clear_pointer (&url, g_free);
  ave_app_settings_key_target (gsettings, "asr", &provider, &url);
  g_assert_cmpstr (provider, ==, "openai");
  g_assert_cmpstr (url, ==, "http://127.0.0.1:8080/v1");

  /* No keyring here (no session bus): refused, pointing to the
   * environment, the key in no message. */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("AVE_API_KEY");
  g_unsetenv ("AVE_LLM_API_KEY");
  g_unsetenv ("AVE_ASR_API_KEY");
  g_assert_false (ave_app_settings_store_key ("asr", provider, url, secret, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "AVE_ASR_API_KEY"));
  g_assert_null (strstr (error->message, secret));
  g_clear_error (&error);
  g_assert_false (ave_app_settings_store_key ("llm", "openai", NULL, "two\nkeys", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  status = ave_app_settings_describe_key ("asr", provider, url);
  g_assert_true (g_str_has_prefix (status, "No key"));
  g_assert_nonnull (strstr (status, "AVE_ASR_API_KEY"));
  g_clear_pointer (&status, g_free);
  g_setenv ("AVE_ASR_API_KEY", secret, TRUE);
  status = ave_app_settings_describe_key ("asr", provider, url);
  g_assert_nonnull (strstr (status, "AVE_ASR_API_KEY"));
  g_assert_null (strstr (status, secret));
  g_clear_pointer (&status, g_free);
  /* The chat's own variable is not the speech one: AVE_API_KEY serves both. */
  status = ave_app_settings_describe_key ("llm", "gemini", NULL);
  g_assert_true (g_str_has_prefix (status, "No key"));
  g_clear_pointer (&status, g_free);
  g_setenv ("AVE_API_KEY", secret, TRUE);
  status = ave_app_settings_describe_key ("llm", "gemini", NULL);
  g_assert_nonnull (strstr (status, "AVE_API_KEY"));
  g_assert_null (strstr (status, secret));
  g_unsetenv ("AVE_API_KEY");
  g_unsetenv ("AVE_ASR_API_KEY");

  /* Nothing in the settings holds the key. */
  g_object_get (gsettings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (gsettings, keys[i]);
      g_autofree char *text = g_variant_print (value, FALSE);

      g_assert_null (strstr (text, secret));
    }
  reset_all_keys (gsettings);
}

/* With a desktop keyring (the app-keyring test runs this one under
 * dbus-run-session with an unlocked gnome-keyring-daemon): the key the
 * preferences store is the one a job finds, filed under the provider and
 * URL of the settings, and the status says so without showing it. */
static void
test_provider_keyring (void)
{
  const char *secret = "sk-keyring-test-9f8e7d6c";
  g_autoptr(GSettings) gsettings = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *url = NULL;
  g_autofree char *status = NULL;
  g_autofree char *found = NULL;

  if (g_getenv ("AVE_TEST_KEYRING") == NULL)
    {
      g_test_skip ("needs a desktop keyring: the app-keyring test runs this");
      return;
    }
  g_unsetenv ("AVE_API_KEY");
  g_unsetenv ("AVE_LLM_API_KEY");
  g_unsetenv ("AVE_ASR_API_KEY");
  gsettings = ave_app_settings_new ();
  reset_all_keys (gsettings);
  g_settings_set_string (gsettings, "llm-provider", "gemini");
  g_settings_set_string (gsettings, "llm-url", "http://127.0.0.1:8081/v1beta");
  ave_app_settings_key_target (gsettings, "llm", &provider, &url);

  status = ave_app_settings_describe_key ("llm", provider, url);
  g_assert_true (g_str_has_prefix (status, "No key"));
  g_clear_pointer (&status, g_free);

  g_assert_true (ave_app_settings_store_key ("llm", provider, url, secret, &error));
  g_assert_no_error (error);
  status = ave_app_settings_describe_key ("llm", provider, url);
  g_assert_cmpstr (status, ==, "A key for gemini is stored in the desktop keyring");
  /* The engine's look-up for a job finds that very key. */
  found = ave_remote_find_key ("llm", "gemini", "http://127.0.0.1:8081/v1beta", NULL);
  g_assert_cmpstr (found, ==, secret);
  g_clear_pointer (&found, g_free);
  /* Filed for gemini at that URL: speech (openai) has none. */
  g_clear_pointer (&status, g_free);
  status = ave_app_settings_describe_key ("asr", "openai", NULL);
  g_assert_true (g_str_has_prefix (status, "No key"));
  g_assert_null (strstr (status, secret));

  /* The image API's key (the preferences' Thumbnail Art group) is filed
   * under openai at the image URL, where a job looks for it. */
  {
    const char *image_secret = "sk-image-keyring-test-1a2b3c";
    g_autofree char *image_provider = NULL;
    g_autofree char *image_url = NULL;
    g_autofree char *image_status = NULL;
    g_autofree char *image_found = NULL;

    g_unsetenv ("AVE_IMAGE_API_KEY");
    g_settings_set_string (gsettings, "image-url", "http://127.0.0.1:8082/v1");
    ave_app_settings_key_target (gsettings, "image", &image_provider, &image_url);
    g_assert_cmpstr (image_provider, ==, "openai");
    g_assert_cmpstr (image_url, ==, "http://127.0.0.1:8082/v1");
    image_status = ave_app_settings_describe_key ("image", image_provider, image_url);
    g_assert_true (g_str_has_prefix (image_status, "No key"));
    g_clear_pointer (&image_status, g_free);
    g_assert_true (ave_app_settings_store_key ("image", image_provider, image_url, image_secret, &error));
    g_assert_no_error (error);
    image_status = ave_app_settings_describe_key ("image", image_provider, image_url);
    g_assert_cmpstr (image_status, ==, "A key for openai is stored in the desktop keyring");
    image_found = ave_remote_find_key ("image", "openai", "http://127.0.0.1:8082/v1", NULL);
    g_assert_cmpstr (image_found, ==, image_secret);
    /* and not the language model's */
    g_clear_pointer (&found, g_free);
    found = ave_remote_find_key ("llm", "gemini", "http://127.0.0.1:8081/v1beta", NULL);
    g_assert_cmpstr (found, ==, secret);
  }

  g_object_get (gsettings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (gsettings, keys[i]);
      g_autofree char *text = g_variant_print (value, FALSE);

      g_assert_null (strstr (text, secret));
    }
  reset_all_keys (gsettings);
}

/* The timeline's tooltip says who decided a segment, beside its reason. */
static void
test_origin_labels (void)
{
  const char *labels[4];

  labels[0] = ave_timeline_origin_label (AVE_SEGMENT_ORIGIN_LOCAL);
  labels[1] = ave_timeline_origin_label (AVE_SEGMENT_ORIGIN_LLM);
  labels[2] = ave_timeline_origin_label (AVE_SEGMENT_ORIGIN_USER);
  labels[3] = ave_timeline_origin_label (AVE_SEGMENT_ORIGIN_IMPORT);
  g_assert_nonnull (strstr (labels[0], "local rules"));
  g_assert_nonnull (strstr (labels[1], "language model"));
  g_assert_nonnull (strstr (labels[2], "by hand"));
  g_assert_nonnull (strstr (labels[3], "imported"));
}

static void
test_relative_paths (void)
{
  struct { const char *base, *target, *expected; } cases[] = {
    { "/home/u/projects", "/home/u/projects/talk.mp4", "talk.mp4" },
    { "/home/u/projects", "/home/u/videos/talk.mp4", "../videos/talk.mp4" },
    { "/home/u/a/b/c", "/home/u/x.mp4", "../../../x.mp4" },
    { "/home/u/projects/", "/home/u/projects/out/talk", "out/talk" },
    { "/home/u/projects", "/home/u/projects", "." },
    { "/home/u", "/srv/media/talk.mp4", NULL },   /* only "/" in common */
    { "relative", "/x", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *rel = ave_project_relative_path (cases[i].base, cases[i].target);
      g_assert_cmpstr (rel, ==, cases[i].expected);
    }
}

static void
test_project_roundtrip (void)
{
  g_autofree char *dir = ave_test_path ("project");
  g_autofree char *media = g_build_filename (dir, "media", NULL);
  g_autofree char *projects = g_build_filename (dir, "projects", NULL);
  g_autofree char *source = g_build_filename (media, "talk.mp4", NULL);
  g_autofree char *out = g_build_filename (dir, "out", "talk", NULL);
  g_autofree char *analysis = g_build_filename (out, "analysis.json", NULL);
  g_autofree char *path = g_build_filename (projects, "edit.aveproj", NULL);
  g_autofree char *text = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveProject) project = NULL;
  g_autoptr(AveProject) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  g_assert_cmpint (g_mkdir_with_parents (media, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (projects, 0755), ==, 0);
  plan = make_plan (source);
  project = ave_project_new (source, plan, out, analysis);
  g_assert_true (ave_project_save (project, path, &error));
  g_assert_no_error (error);

  /* Stored relative to the project's folder, the plan's source too. */
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  root = json_from_string (text, &error);
  g_assert_no_error (error);
  object = json_node_get_object (root);
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, AVE_PROJECT_VERSION);
  g_assert_cmpstr (json_object_get_string_member (object, "source"), ==, "../media/talk.mp4");
  g_assert_cmpstr (json_object_get_string_member (object, "output_folder"), ==, "../out/talk");
  g_assert_cmpstr (json_object_get_string_member (object, "analysis"), ==, "../out/talk/analysis.json");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "plan"), "source"),
                   ==, "../media/talk.mp4");

  loaded = ave_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_cmpstr (loaded->source, ==, source);
  g_assert_cmpstr (loaded->output_folder, ==, out);
  g_assert_cmpstr (loaded->analysis_path, ==, analysis);
  g_assert_cmpstr (ave_plan_get_source (loaded->plan), ==, source);
  before = plan_json (plan);
  after = plan_json (loaded->plan);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (loaded->plan),
                                  ave_plan_get_output_duration (plan), 1e-9);
  g_assert_false (ave_plan_get_segment (loaded->plan, 1)->enabled);

  /* Moving the project together with its media keeps it working. */
  {
    g_autofree char *moved = g_build_filename (dir, "moved", NULL);
    g_autofree char *moved_path = g_build_filename (moved, "projects", "edit.aveproj", NULL);
    g_autofree char *moved_source = g_build_filename (moved, "media", "talk.mp4", NULL);
    g_autoptr(AveProject) again = NULL;

    g_assert_cmpint (g_mkdir_with_parents (moved, 0755), ==, 0);
    ave_test_sh ("mv '%s' '%s' && mv '%s' '%s'", media, moved, projects, moved);
    again = ave_project_load (moved_path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (again->source, ==, moved_source);
  }
}

static void
test_project_errors (void)
{
  struct { const char *text; int code; const char *needle; } cases[] = {
    { "not json", AVE_PROJECT_ERROR_PARSE, "is not a project file" },
    { "[1,2]", AVE_PROJECT_ERROR_PARSE, "no JSON object" },
    { "{\"source\":\"a.mp4\"}", AVE_PROJECT_ERROR_INVALID, "version" },
    { "{\"version\":99,\"source\":\"a.mp4\"}", AVE_PROJECT_ERROR_VERSION, "newer" },
    { "{\"version\":1,\"plan\":{}}", AVE_PROJECT_ERROR_INVALID, "“source” is missing" },
    { "{\"version\":1,\"source\":\"a.mp4\"}", AVE_PROJECT_ERROR_INVALID, "“plan”" },
    { "{\"version\":1,\"source\":\"a.mp4\",\"plan\":{\"version\":1}}", AVE_PROJECT_ERROR_INVALID, "plan:" },
  };
  g_autofree char *path = ave_test_path ("broken.aveproj");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AveProject) project = NULL;

      g_assert_true (g_file_set_contents (path, cases[i].text, -1, NULL));
      project = ave_project_load (path, &error);
      g_assert_null (project);
      g_assert_error (error, AVE_PROJECT_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, path));
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %u: “%s” does not mention “%s”", i, error->message, cases[i].needle);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *missing = ave_test_path ("missing.aveproj");
    g_assert_null (ave_project_load (missing, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  }
}

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, GString *log)
{
  g_string_append_printf (log, "%u-%u+%u;", position, removed, added);
}

static void
test_series_ring (void)
{
  g_autoptr(AveSeries) series = ave_series_new (3);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(AvePoint) first = NULL;
  double t, v;

  g_signal_connect (series, "items-changed", G_CALLBACK (on_items_changed), log);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (series)), ==, 0);
  g_assert_false (ave_series_get_last (series, NULL, NULL));

  ave_series_push (series, 0.0, 10);
  ave_series_push (series, 0.25, 30);
  ave_series_push (series, 0.5, 20);
  g_assert_cmpstr (log->str, ==, "0-0+1;1-0+1;2-0+1;");
  g_assert_cmpfloat (ave_series_get_max (series), ==, 30);

  /* Full: the oldest point leaves at 0, the new one arrives at the end. */
  g_string_truncate (log, 0);
  ave_series_push (series, 0.75, 5);
  g_assert_cmpstr (log->str, ==, "0-1+0;2-0+1;");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (series)), ==, 3);
  g_assert_true (ave_series_get_point (series, 0, &t, &v));
  g_assert_cmpfloat (t, ==, 0.25);
  g_assert_cmpfloat (v, ==, 30);
  g_assert_true (ave_series_get_last (series, &t, &v));
  g_assert_cmpfloat (t, ==, 0.75);
  g_assert_cmpfloat (v, ==, 5);
  g_assert_false (ave_series_get_point (series, 3, NULL, NULL));

  first = g_list_model_get_item (G_LIST_MODEL (series), 0);
  g_assert_true (AVE_IS_POINT (first));
  g_assert_cmpfloat (ave_point_get_time (first), ==, 0.25);
  g_assert_cmpfloat (ave_point_get_value (first), ==, 30);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (series), 3));

  ave_series_push (series, 1.0, 1);
  g_assert_cmpfloat (ave_series_get_max (series), ==, 20);   /* 30 has left */

  g_string_truncate (log, 0);
  ave_series_clear (series);
  g_assert_cmpstr (log->str, ==, "0-3+0;");
  g_assert_cmpfloat (ave_series_get_max (series), ==, 0);
}

static gboolean
busy_for_80_ms (gpointer data)
{
  g_usleep (80 * 1000);
  return G_SOURCE_REMOVE;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
test_stall_monitor (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AveStallMonitor) monitor = ave_stall_monitor_new (NULL);

  /* Idle loop: wake-ups are on time. */
  ave_stall_monitor_begin (monitor);
  g_timeout_add (200, quit_loop, loop);
  g_main_loop_run (loop);
  g_assert_cmpuint (ave_stall_monitor_get_n_wakeups (monitor), >=, 5);
  g_assert_cmpfloat (ave_stall_monitor_get_max_ms (monitor), <, 40);

  /* A handler that blocks the loop for 80 ms is seen as an 80 ms stall. */
  g_timeout_add (50, busy_for_80_ms, NULL);
  g_timeout_add (250, quit_loop, loop);
  g_main_loop_run (loop);
  g_assert_cmpfloat (ave_stall_monitor_get_max_ms (monitor), >=, 65);
  g_assert_cmpfloat (ave_stall_monitor_get_max_ms (monitor), <, 200);
  ave_stall_monitor_end (monitor);
  g_assert_false (ave_stall_monitor_is_measuring (monitor));

  /* Not measuring: a stall is not counted. */
  {
    double before = ave_stall_monitor_get_max_ms (monitor);
    g_timeout_add (10, busy_for_80_ms, NULL);
    g_usleep (1000);
    g_timeout_add (150, quit_loop, loop);
    g_main_loop_run (loop);
    g_assert_cmpfloat (ave_stall_monitor_get_max_ms (monitor), ==, before);
  }
}

/* A project is never saved over the video it edits (issue #9, item 2). */
static void
test_project_not_over_source (void)
{
  g_autofree char *source = ave_test_path ("own-video.mp4");
  g_autofree char *link = ave_test_path ("own-video-link.aveproj");
  g_autoptr(AvePlan) plan = make_plan (source);
  g_autoptr(AveProject) project = ave_project_new (source, plan, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true (g_file_set_contents (source, "the only copy", -1, NULL));
  g_assert_cmpint (symlink (source, link), ==, 0);
  g_assert_false (ave_project_save (project, source, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT);
  g_clear_error (&error);
  g_assert_false (ave_project_save (project, link, &error));
  g_assert_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT);
  g_assert_true (g_file_get_contents (source, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "the only copy");
}

typedef struct
{
  guint  n_model;
  guint  n_plan;
  guint  n_errors;
  char  *message;
  gboolean finished_ok;
  guint  n_finished;
} DocEvents;

static void on_doc_model (AveDocument *d, DocEvents *e) { e->n_model++; }
static void on_doc_plan (AveDocument *d, DocEvents *e) { e->n_plan++; }
static void
on_doc_error (AveDocument *d, const GError *error, const char *label, const char *action, DocEvents *e)
{
  g_assert_nonnull (error);
  e->n_errors++;
}
static void
on_doc_message (AveDocument *d, const char *message, DocEvents *e)
{
  g_free (e->message);
  e->message = g_strdup (message);
}
static void
on_doc_finished (AveDocument *d, guint kind, const char *source, gboolean ok, DocEvents *e)
{
  e->n_finished++;
  e->finished_ok = ok;
}

static void
iterate_until (AveDocument *document, gboolean (*done) (AveDocument *))
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!done (document))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean doc_has_source (AveDocument *d) { return ave_document_get_source (d) != NULL; }
static gboolean doc_idle (AveDocument *d) { return !ave_document_is_busy (d); }

/* AveDocument: a project opens with its plan and an undo history, edits
 * make it dirty and go through the history, saving makes it clean, errors
 * and messages are signals, and a job is queued and cancelled. */
static void
test_document (void)
{
  const char *video = ave_test_sample ("doc.mp4", 6, 160, 90);
  g_autofree char *dir = ave_test_path ("document");
  g_autofree char *path = g_build_filename (dir, "edit.aveproj", NULL);
  g_autofree char *saved = g_build_filename (dir, "saved.aveproj", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *junk = g_build_filename (dir, "not-a-video.mp4", NULL);
  g_autoptr(AvePlan) plan = make_plan (video);
  g_autoptr(AveProject) project = ave_project_new (video, plan, NULL, NULL);
  g_autoptr(AveProject) reloaded = NULL;
  g_autoptr(AveDocument) document = ave_document_new ();
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) junk_file = g_file_new_for_path (junk);
  g_autoptr(GError) error = NULL;
  DocEvents events = { 0 };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (ave_project_save (project, path, &error));
  g_assert_no_error (error);
  g_signal_connect (document, "model-changed", G_CALLBACK (on_doc_model), &events);
  g_signal_connect (document, "plan-changed", G_CALLBACK (on_doc_plan), &events);
  g_signal_connect (document, "error", G_CALLBACK (on_doc_error), &events);
  g_signal_connect (document, "message", G_CALLBACK (on_doc_message), &events);
  g_signal_connect (document, "job-finished", G_CALLBACK (on_doc_finished), &events);

  /* Nothing open: nothing to do. */
  g_assert_false (ave_document_can_process (document));
  g_assert_false (ave_document_process (document, settings, out, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);

  ave_document_open (document, file);
  iterate_until (document, doc_has_source);
  g_assert_cmpstr (ave_document_get_source (document), ==, video);
  g_assert_cmpstr (ave_document_get_project_path (document), ==, path);
  g_assert_nonnull (ave_document_get_media (document));
  g_assert_nonnull (ave_document_get_plan (document));
  g_assert_nonnull (ave_document_get_history (document));
  g_assert_null (ave_document_get_analysis (document));
  g_assert_cmpuint (events.n_model, >=, 1);
  /* Without its analysis the project opens, and says so. */
  g_assert_nonnull (events.message);
  g_assert_nonnull (strstr (events.message, "analysis"));
  g_assert_false (ave_document_get_dirty (document));
  g_assert_false (ave_document_can_undo (document));
  g_assert_false (ave_document_can_render (document));
  g_assert_true (ave_document_can_process (document));

  /* An edit: through the history, dirty, undoable. */
  g_assert_true (ave_document_set_segment_enabled (document, 1, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (ave_plan_get_segment (ave_document_get_plan (document), 1)->enabled);
  g_assert_cmpuint (events.n_plan, >=, 1);
  g_assert_true (ave_document_get_dirty (document));
  g_assert_true (ave_document_can_undo (document));
  g_assert_false (ave_document_set_segment_enabled (document, 9, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  ave_document_undo (document);
  g_assert_false (ave_plan_get_segment (ave_document_get_plan (document), 1)->enabled);
  g_assert_true (ave_document_can_redo (document));
  ave_document_redo (document);
  g_assert_true (ave_plan_get_segment (ave_document_get_plan (document), 1)->enabled);

  /* Saved: clean, the new path, the edit in the file. */
  g_assert_true (ave_document_save_project_to (document, saved, &error));
  g_assert_no_error (error);
  g_assert_false (ave_document_get_dirty (document));
  g_assert_cmpstr (ave_document_get_project_path (document), ==, saved);
  reloaded = ave_project_load (saved, &error);
  g_assert_no_error (error);
  g_assert_true (ave_plan_get_segment (reloaded->plan, 1)->enabled);

  /* A file that is no video: an error signal, the document unchanged. */
  g_assert_true (g_file_set_contents (junk, "not a video", -1, NULL));
  ave_document_open (document, junk_file);
  {
    gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

    while (events.n_errors == 0 && g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
  }
  g_assert_cmpuint (events.n_errors, ==, 1);
  g_assert_cmpstr (ave_document_get_source (document), ==, video);

  /* A job: queued, busy, refused a second time, cancelled cleanly.
   * Processing discards the edited plan (the window asks first). */
  settings->mode = AVE_MODE_FAST;
  g_assert_true (ave_document_process (document, settings, out, &error));
  g_assert_no_error (error);
  g_assert_true (ave_document_is_busy (document));
  g_assert_cmpuint (ave_document_get_n_jobs (document), ==, 1);
  g_assert_null (ave_document_get_plan (document));
  g_assert_false (ave_document_process (document, settings, out, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  ave_document_open (document, file);   /* refused while busy: a message */
  g_assert_nonnull (strstr (events.message, "Cancel"));
  ave_document_cancel (document);
  iterate_until (document, doc_idle);
  g_assert_cmpuint (events.n_finished, ==, 1);
  g_assert_false (events.finished_ok);
  g_assert_cmpuint (ave_document_get_n_jobs (document), ==, 0);
  g_assert_true (ave_document_can_process (document));
  g_free (events.message);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/app/project/relative-paths", test_relative_paths);
  g_test_add_func ("/app/project/roundtrip", test_project_roundtrip);
  g_test_add_func ("/app/project/errors", test_project_errors);
  g_test_add_func ("/app/project/not-over-source", test_project_not_over_source);
  g_test_add_func ("/app/document/project-edit-job", test_document);
  g_test_add_func ("/app/series/ring", test_series_ring);
  g_test_add_func ("/app/settings/captions", test_caption_settings);
  g_test_add_func ("/app/settings/providers", test_provider_settings);
  g_test_add_func ("/app/settings/provider-keys", test_provider_keys);
  g_test_add_func ("/app/settings/provider-keyring", test_provider_keyring);
  g_test_add_func ("/app/timeline/origin-labels", test_origin_labels);
  g_test_add_func ("/app/timeline/caption-lane", test_caption_lane);
  g_test_add_func ("/app/timeline/retake-segments", test_retake_segments);
  g_test_add_func ("/app/timeline/spoken-names", test_spoken_names);
  g_test_add_func ("/app/timeline/playback-output-time", test_playback_output_time);
  g_test_add_func ("/app/stall-monitor/lateness", test_stall_monitor);
  return g_test_run ();
}
