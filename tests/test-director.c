/* test-director.c — the local director and the metadata built from a plan.
 *
 * The analyses are written by hand so every expected cut is known exactly:
 * the director only reads analysis.json, it never sees media.
 */
#define G_LOG_DOMAIN "ave-test-director"

#include "config.h"

#include <string.h>

#include "core/ave-error.h"
#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"
#include "director/ave-keywords.h"
#include "director/ave-local-director.h"
#include "director/ave-plan.h"
#include "assets/ave-assets.h"
#include "ave-test-util.h"

#define EPS 1e-6

static AveAnalysis *
make_analysis (const char *source,
               double      duration,
               gboolean    has_audio,
               gboolean    has_video)
{
  AveMediaInfo info = { 0 };

  info.path = (char *) source;
  info.duration = duration;
  info.has_audio = has_audio;
  info.has_video = has_video;
  if (has_video)
    {
      info.width = info.display_width = 640;
      info.height = info.display_height = 360;
      info.frame_rate = 25;
    }
  if (has_audio)
    {
      info.sample_rate = 48000;
      info.channels = 1;
    }
  return ave_analysis_new (source, &info);
}

static AveSettings *
make_settings (AveContentType type)
{
  AveSettings *s = ave_settings_new ();

  ave_settings_apply_content_type (s, type);
  s->cut_silence_min = 0.8;
  s->word_padding = 0.15;
  s->min_segment_duration = 0.5;
  s->transitions = FALSE;
  s->crossfade_duration = 0.5;
  return s;
}

static void
add_silence (AveAnalysis *a,
             double       start,
             double       end)
{
  AveInterval iv = { start, end };

  g_array_append_val (a->silences, iv);
}

static void
add_speech (AveAnalysis *a,
            double       start,
            double       end)
{
  AveInterval iv = { start, end };

  g_array_append_val (a->speech, iv);
}

static void
add_shot (AveAnalysis *a,
          double       start,
          double       end,
          double       quality)
{
  AveShot shot = { 0 };

  shot.start = start;
  shot.end = end;
  shot.transition = a->shots->len == 0 ? AVE_SHOT_TRANSITION_NONE : AVE_SHOT_TRANSITION_CUT;
  shot.quality = quality;
  g_array_append_val (a->shots, shot);
}

/* Adds the words of `text` one after the other from `start`, each lasting
 * `length` with `gap` between them; returns the end of the last word. */
static double
add_words (AveAnalysis *a,
           const char  *text,
           double       start,
           double       length,
           double       gap)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  double t = start;

  for (guint i = 0; words[i] != NULL; i++)
    {
      gboolean filler = g_str_equal (words[i], "um") || g_str_equal (words[i], "uh");

      ave_analysis_add_word (a, words[i], t, t + length, 0.9, filler);
      t += length + gap;
    }
  return t - gap;
}

static void
assert_segment (AvePlan *plan,
                guint    index,
                double   start,
                double   end)
{
  const AveSegment *s;

  g_assert_cmpuint (index, <, ave_plan_get_n_segments (plan));
  s = ave_plan_get_segment (plan, index);
  if (ABS (s->start - start) > EPS || ABS (s->end - end) > EPS)
    g_error ("segment %u is [%.4f, %.4f], expected [%.4f, %.4f]",
             index, s->start, s->end, start, end);
}

static AvePlan *
plan_ok (AveAnalysis *a,
         AveSettings *s)
{
  g_autoptr(GError) error = NULL;
  AvePlan *plan;

  ave_analysis_sort (a);
  plan = ave_local_director_plan (a, s, &error);
  g_assert_no_error (error);
  g_assert_nonnull (plan);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "local");
  g_assert_true (ave_plan_validate (plan, a->media->duration, &error));
  g_assert_no_error (error);
  return plan;
}

/* A talk: words, a long pause (cut), a short pause (kept), a long tail. */
static AveAnalysis *
make_talk (void)
{
  AveAnalysis *a = make_analysis ("talk.mp4", 20.0, TRUE, TRUE);

  add_silence (a, 0.0, 0.5);                                   /* short: kept */
  add_words (a, "hello world", 0.5, 0.5, 0.1);                 /* 0.5 .. 1.6 */
  add_silence (a, 1.6, 5.0);                                   /* long: cut */
  add_words (a, "this pause stays", 5.0, 1.0, 0.5);            /* 5.0 .. 9.0 */
  add_words (a, "here", 9.0, 0.5, 0);                          /* 9.0 .. 9.5 */
  add_silence (a, 9.5, 9.8);                                   /* short: kept */
  add_words (a, "and the talk ends", 9.8, 0.475, 0.1);         /* 9.8 .. 12.0 */
  add_silence (a, 12.0, 20.0);                                 /* tail: cut */
  add_speech (a, 0.5, 1.6);
  add_speech (a, 5.0, 12.0);
  add_shot (a, 0, 20, 0.8);
  return a;
}

static void
test_silence_cut (void)
{
  g_autoptr(AveAnalysis) a = make_talk ();
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AvePlan) plan = plan_ok (a, s);
  const AveSegment *last;

  /* Edges are the silence edges plus the padding; the leading short
   * silence and the short pause inside the second piece stay. */
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  last = ave_plan_get_segment (plan, 1);
  assert_segment (plan, 0, 0.0, 1.6 + 0.15);
  assert_segment (plan, 1, 5.0 - 0.15, last->end);
  g_assert_cmpfloat_with_epsilon (last->end, 12.0 + 0.15, EPS);
  g_assert_cmpfloat (ave_plan_source_to_output (plan, 9.65), >=, 0.0);
  g_assert_cmpfloat (ave_plan_source_to_output (plan, 3.0), ==, -1.0);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan),
                                  1.75 + (last->end - 4.85), EPS);
  g_assert_nonnull (strstr (ave_plan_get_segment (plan, 0)->reason, "speech"));
  g_assert_cmpint (ave_plan_get_segment (plan, 1)->transition, ==, AVE_TRANSITION_CUT);

  /* A longer cut_silence_min keeps the pause. */
  s->cut_silence_min = 4.0;
  {
    g_autoptr(AvePlan) longer = plan_ok (a, s);

    g_assert_cmpuint (ave_plan_get_n_segments (longer), ==, 1);
    assert_segment (longer, 0, 0.0, 12.15);
  }
}

static void
test_word_never_clipped (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("edge.mp4", 10.0, TRUE, FALSE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AvePlan) plan = NULL;

  add_words (a, "one two", 0.5, 0.6, 0.1);          /* 0.5 .. 1.8 */
  /* The soft ending of "edge" reaches into the detected silence. */
  ave_analysis_add_word (a, "edge", 1.8, 2.3, 0.7, FALSE);
  add_silence (a, 2.0, 6.0);
  /* A quiet word the silence detector missed entirely. */
  ave_analysis_add_word (a, "whisper", 4.0, 4.4, 0.5, FALSE);
  add_words (a, "back again", 6.0, 0.5, 0.2);        /* 6.0 .. 7.2 */
  add_silence (a, 7.2, 10.0);
  add_speech (a, 0.5, 2.0);
  add_speech (a, 6.0, 7.2);

  plan = plan_ok (a, s);
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);
  assert_segment (plan, 0, 0.0, 2.3 + 0.15);
  assert_segment (plan, 1, 4.0 - 0.15, 4.4 + 0.15);
  assert_segment (plan, 2, 6.0 - 0.15, 7.2 + 0.15);

  /* Every word lies entirely inside one kept segment. */
  for (guint i = 0; i < a->words->len; i++)
    {
      const AveWord *w = &g_array_index (a->words, AveWord, i);
      gboolean inside = FALSE;

      for (guint j = 0; j < ave_plan_get_n_segments (plan); j++)
        {
          const AveSegment *seg = ave_plan_get_segment (plan, j);

          inside |= seg->start <= w->start && w->end <= seg->end;
        }
      if (!inside)
        g_error ("word \"%s\" [%.2f, %.2f] is clipped", w->word, w->start, w->end);
    }
}

static AveAnalysis *
make_hesitant_talk (void)
{
  AveAnalysis *a = make_analysis ("lecture.mp4", 8.0, TRUE, FALSE);

  ave_analysis_add_word (a, "so", 0.5, 1.3, 0.9, FALSE);
  ave_analysis_add_word (a, "um", 1.5, 1.8, 0.6, TRUE);
  add_silence (a, 1.8, 2.4);                 /* the pause after the filler */
  ave_analysis_add_word (a, "the", 2.4, 2.7, 0.9, FALSE);
  ave_analysis_add_word (a, "lesson", 2.8, 3.4, 0.9, FALSE);
  ave_analysis_add_word (a, "uh", 3.45, 3.75, 0.6, TRUE);
  ave_analysis_add_word (a, "begins", 3.8, 4.5, 0.9, FALSE);
  add_silence (a, 4.5, 8.0);
  add_speech (a, 0.5, 4.5);
  return a;
}

static void
test_fillers (void)
{
  g_autoptr(AveAnalysis) a = make_hesitant_talk ();
  g_autoptr(AveSettings) edu = make_settings (AVE_CONTENT_EDUCATIONAL);
  g_autoptr(AveSettings) general = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AvePlan) cut = NULL;
  g_autoptr(AvePlan) kept = NULL;

  g_assert_true (edu->cut_fillers);
  g_assert_false (general->cut_fillers);

  cut = plan_ok (a, edu);
  /* "um" and the pauses around it go, leaving the padding after "so" and
   * before "the"; "uh" goes between two words with no room for padding;
   * nothing else. */
  g_assert_cmpuint (ave_plan_get_n_segments (cut), ==, 3);
  assert_segment (cut, 0, 0.0, 1.3 + 0.15);
  assert_segment (cut, 1, 2.4 - 0.15, 3.45);
  assert_segment (cut, 2, 3.75, 4.5 + 0.15);
  g_assert_cmpfloat (ave_plan_source_to_output (cut, 1.65), ==, -1.0);
  g_assert_cmpfloat (ave_plan_source_to_output (cut, 2.1), ==, -1.0);
  g_assert_cmpfloat (ave_plan_source_to_output (cut, 3.6), ==, -1.0);
  for (guint i = 0; i < a->words->len; i++)
    {
      const AveWord *w = &g_array_index (a->words, AveWord, i);
      double mid = (w->start + w->end) / 2.0;

      if (w->filler)
        g_assert_cmpfloat (ave_plan_source_to_output (cut, mid), ==, -1.0);
      else
        g_assert_cmpfloat (ave_plan_source_to_output (cut, mid), >=, 0.0);
    }

  /* A general video keeps the fillers. */
  kept = plan_ok (a, general);
  g_assert_cmpuint (ave_plan_get_n_segments (kept), ==, 1);
  assert_segment (kept, 0, 0.0, 4.65);
  g_assert_cmpfloat (ave_plan_source_to_output (kept, 1.65), >=, 0.0);
}

/* Words from 0.2 to 3.0, a pause, words from `resume` for 1.8 s, then
 * quiet until `duration`; no shots. */
static AveAnalysis *
make_two_parts (double resume,
                double duration)
{
  AveAnalysis *a = make_analysis ("parts.mp4", duration, TRUE, TRUE);

  add_words (a, "first part ends", 0.2, 0.8, 0.2);   /* 0.2 .. 3.0 */
  add_silence (a, 3.0, resume);
  add_words (a, "second part", resume, 0.8, 0.2);    /* resume .. resume + 1.8 */
  add_silence (a, resume + 1.8, duration);
  add_speech (a, 0.2, 3.0);
  add_speech (a, resume, resume + 1.8);
  return a;
}

/* Words end at 3.0 and resume at 8.0: cut points 3.15 and 7.85. */
static AveAnalysis *
make_snappable (double first_boundary,
                double second_boundary)
{
  AveAnalysis *a = make_two_parts (8.0, 12.0);

  add_shot (a, 0.0, first_boundary, 0.8);
  add_shot (a, first_boundary, second_boundary, 0.8);
  add_shot (a, second_boundary, 12.0, 0.8);
  return a;
}

static void
test_snap_to_shot (void)
{
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AveAnalysis) near = make_snappable (3.25, 7.7);
  g_autoptr(AveAnalysis) clipping = make_snappable (2.9, 8.1);
  g_autoptr(AveAnalysis) far = make_snappable (3.6, 7.4);
  g_autoptr(AvePlan) plan = NULL;

  /* Both cut points move onto the shot changes nearby. */
  plan = plan_ok (near, s);
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  assert_segment (plan, 0, 0.0, 3.25);
  assert_segment (plan, 1, 7.7, 9.95);
  g_clear_object (&plan);

  /* Moving there would clip "ends" and "second": they stay put. */
  plan = plan_ok (clipping, s);
  assert_segment (plan, 0, 0.0, 3.15);
  assert_segment (plan, 1, 7.85, 9.95);
  g_clear_object (&plan);

  /* Too far away (0.45 s of extra silence): no snapping. */
  plan = plan_ok (far, s);
  assert_segment (plan, 0, 0.0, 3.15);
  assert_segment (plan, 1, 7.85, 9.95);
}

static void
add_keyframes (AveAnalysis *a,
               double       first,
               double       step)
{
  for (double t = first; t < a->media->duration; t += step)
    g_array_append_val (a->keyframes, t);
}

/* Fast mode (smart cut): cut points move onto keyframes when that only
 * gives back up to 1 s of the pause, never into a removed filler; the
 * other modes ignore keyframes. */
static void
test_snap_to_keyframe (void)
{
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AveAnalysis) a = make_snappable (1.0, 11.0);   /* no shot change near the cut */
  g_autoptr(AveAnalysis) far = make_snappable (1.0, 11.0);
  g_autoptr(AveAnalysis) filler = make_analysis ("filler.mp4", 12.0, TRUE, TRUE);
  g_autoptr(AvePlan) plan = NULL;

  /* keyframes at 0, 3.5, 7.0, 10.5: "ends" stops at 3.15 (3.5 is 0.35 s
   * later), "second" starts at 7.85 (7.0 is 0.85 s earlier), the talk
   * stops at 9.95 (10.5 is 0.55 s later) */
  add_keyframes (a, 0.0, 3.5);
  plan = plan_ok (a, s);
  assert_segment (plan, 0, 0.0, 3.15);
  assert_segment (plan, 1, 7.85, 9.95);
  g_clear_object (&plan);

  ave_settings_apply_mode (s, AVE_MODE_FAST);
  g_assert_true (ave_settings_uses_smart_cut (s));
  plan = plan_ok (a, s);
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
  assert_segment (plan, 0, 0.0, 3.5);
  assert_segment (plan, 1, 7.0, 10.5);
  g_clear_object (&plan);

  /* With B-frames a copy may also end where the pictures stored so far
   * are the ones shown so far (copy_ends): an end takes the first of
   * those and the keyframes, a start only a keyframe. */
  {
    double ends[] = { 3.28, 7.3, 10.02 };

    g_array_append_vals (a->copy_ends, ends, G_N_ELEMENTS (ends));
    plan = plan_ok (a, s);
    g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
    assert_segment (plan, 0, 0.0, 3.28);
    assert_segment (plan, 1, 7.0, 10.02);
    g_clear_object (&plan);
    /* without the smart cut they change nothing */
    s->smart_cut = FALSE;
    plan = plan_ok (a, s);
    assert_segment (plan, 0, 0.0, 3.15);
    assert_segment (plan, 1, 7.85, 9.95);
    g_clear_object (&plan);
    s->smart_cut = TRUE;
    g_array_set_size (a->copy_ends, 0);
  }

  /* keyframes at 0, 5.5, 11: more than 1 s from either cut point */
  add_keyframes (far, 0.0, 5.5);
  plan = plan_ok (far, s);
  assert_segment (plan, 0, 0.0, 3.15);
  assert_segment (plan, 1, 7.85, 9.95);
  g_clear_object (&plan);

  /* One keyframe inside a short pause: the start takes it (that saves
   * encoding up to a GOP), and the end stays where it was, so the pause
   * is still cut rather than both pieces joining on it. */
  {
    g_autoptr(AveAnalysis) shortpause = make_two_parts (4.2, 8.0);
    double k;

    add_shot (shortpause, 0.0, 8.0, 0.8);
    k = 0.0;
    g_array_append_val (shortpause->keyframes, k);
    k = 3.6;
    g_array_append_val (shortpause->keyframes, k);
    plan = plan_ok (shortpause, s);
    g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 2);
    assert_segment (plan, 0, 0.0, 3.15);
    assert_segment (plan, 1, 3.6, 6.15);
    g_clear_object (&plan);
  }

  /* --format-conversion: no smart cut, no snapping */
  s->smart_cut = FALSE;
  plan = plan_ok (a, s);
  assert_segment (plan, 0, 0.0, 3.15);
  assert_segment (plan, 1, 7.85, 9.95);
  g_clear_object (&plan);
  s->smart_cut = TRUE;

  /* A removed "um" between the cut point and the keyframe stays removed. */
  ave_settings_apply_content_type (s, AVE_CONTENT_EDUCATIONAL);
  add_words (filler, "first part ends", 0.2, 0.8, 0.2);   /* 0.2 .. 3.0 */
  add_silence (filler, 3.0, 6.0);
  add_words (filler, "um", 6.0, 0.4, 0);                  /* 6.0 .. 6.4 */
  add_silence (filler, 6.4, 8.0);
  add_words (filler, "second part", 8.0, 0.8, 0.2);       /* 8.0 .. 9.8 */
  add_silence (filler, 9.8, 12.0);
  add_speech (filler, 0.2, 3.0);
  add_speech (filler, 6.0, 6.4);
  add_speech (filler, 8.0, 9.8);
  add_shot (filler, 0.0, 12.0, 0.8);
  g_array_append_val (filler->keyframes, (double) { 0.0 });
  g_array_append_val (filler->keyframes, (double) { 6.2 });
  plan = plan_ok (filler, s);
  g_assert_cmpfloat (ave_plan_source_to_output (plan, 6.2), ==, -1.0);
  assert_segment (plan, ave_plan_get_n_segments (plan) - 1, 7.85, 9.95);
}

static void
test_crossfades (void)
{
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AveAnalysis) near = make_snappable (3.25, 7.7);
  g_autoptr(AveAnalysis) far = make_snappable (3.6, 7.4);
  g_autoptr(AvePlan) off = NULL;
  g_autoptr(AvePlan) on = NULL;
  g_autoptr(AvePlan) no_shot = NULL;
  const AveSegment *seg;

  off = plan_ok (near, s);
  g_assert_cmpint (ave_plan_get_segment (off, 1)->transition, ==, AVE_TRANSITION_CUT);

  s->transitions = TRUE;
  on = plan_ok (near, s);
  seg = ave_plan_get_segment (on, 1);
  g_assert_cmpint (seg->transition, ==, AVE_TRANSITION_CROSSFADE);
  g_assert_cmpfloat_with_epsilon (seg->transition_duration, 0.5, EPS);
  g_assert_cmpint (ave_plan_get_segment (on, 0)->transition, ==, AVE_TRANSITION_CUT);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (on),
                                  3.25 + (9.95 - 7.7) - 0.5, EPS);

  /* The crossfade is bounded by half of each neighbour. */
  s->crossfade_duration = 5.0;
  g_clear_object (&on);
  on = plan_ok (near, s);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_segment (on, 1)->transition_duration,
                                  (9.95 - 7.7) / 2.0, EPS);

  /* A cut that is not at a shot change stays a cut. */
  no_shot = plan_ok (far, s);
  g_assert_cmpint (ave_plan_get_segment (no_shot, 1)->transition, ==, AVE_TRANSITION_CUT);
}

static char *
plan_json (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static void
test_deterministic (void)
{
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_EDUCATIONAL);
  g_autoptr(AveAnalysis) a = make_hesitant_talk ();
  g_autoptr(AveAnalysis) b = make_snappable (3.25, 7.7);
  g_autoptr(AvePlan) a1 = NULL;
  g_autoptr(AvePlan) a2 = NULL;
  g_autoptr(AvePlan) b1 = NULL;
  g_autoptr(AvePlan) b2 = NULL;
  g_autofree char *ja1 = NULL, *ja2 = NULL, *jb1 = NULL, *jb2 = NULL;

  s->transitions = TRUE;
  a1 = plan_ok (a, s);
  a2 = plan_ok (a, s);
  b1 = plan_ok (b, s);
  b2 = plan_ok (b, s);
  ja1 = plan_json (a1);
  ja2 = plan_json (a2);
  jb1 = plan_json (b1);
  jb2 = plan_json (b2);
  g_assert_cmpstr (ja1, ==, ja2);
  g_assert_cmpstr (jb1, ==, jb2);
  g_assert_cmpstr (ja1, !=, jb1);
}

static void
test_music_beats (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("song.mp4", 10.0, TRUE, TRUE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_MUSIC);
  g_autoptr(AvePlan) plan = NULL;

  for (double t = 0.0; t < 10.0; t += 0.5)
    g_array_append_val (a->beats, t);
  a->tempo_bpm = 120;
  add_shot (a, 0.0, 2.1, 0.9);
  add_shot (a, 2.1, 4.4, 0.2);   /* the worst fifth: dropped */
  add_shot (a, 4.4, 6.05, 0.8);
  add_shot (a, 6.05, 8.3, 0.7);
  add_shot (a, 8.3, 10.0, 0.6);
  /* A quiet bar inside the music is part of it. */
  add_silence (a, 6.5, 8.0);
  add_speech (a, 0.0, 6.5);
  add_speech (a, 8.0, 10.0);

  plan = plan_ok (a, s);
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 4);
  assert_segment (plan, 0, 0.0, 2.0);
  assert_segment (plan, 1, 4.5, 6.0);
  assert_segment (plan, 2, 6.0, 8.5);
  assert_segment (plan, 3, 8.5, 10.0);
  g_assert_nonnull (strstr (ave_plan_get_segment (plan, 1)->reason, "shot 3"));
}

static void
test_no_audio_keeps_shots (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("silent-film.mp4", 9.0, FALSE, TRUE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AvePlan) plan = NULL;

  add_shot (a, 0.0, 3.0, 0.9);
  add_shot (a, 3.0, 5.5, 0.1);
  add_shot (a, 5.5, 9.0, 0.7);

  plan = plan_ok (a, s);
  g_assert_cmpuint (ave_plan_get_n_segments (plan), ==, 3);
  assert_segment (plan, 0, 0.0, 3.0);
  assert_segment (plan, 1, 3.0, 5.5);
  assert_segment (plan, 2, 5.5, 9.0);
  g_assert_cmpstr (ave_plan_get_segment (plan, 1)->reason, ==, "shot 2");
  g_assert_cmpfloat_with_epsilon (ave_plan_get_output_duration (plan), 9.0, EPS);
  g_assert_cmpuint (ave_plan_get_n_chapters (plan), ==, 1);
  g_assert_cmpstr (ave_plan_get_chapter (plan, 0)->title, ==, "Part 1");

  /* With transitions, every shot change dissolves. */
  s->transitions = TRUE;
  g_clear_object (&plan);
  plan = plan_ok (a, s);
  g_assert_cmpint (ave_plan_get_segment (plan, 1)->transition, ==, AVE_TRANSITION_CROSSFADE);
  g_assert_cmpint (ave_plan_get_segment (plan, 2)->transition, ==, AVE_TRANSITION_CROSSFADE);
}

static void
test_empty (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("hiss.wav", 6.0, TRUE, FALSE);
  g_autoptr(AveAnalysis) b = make_analysis ("mumble.wav", 6.0, TRUE, FALSE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;

  /* Silent audio, no picture. */
  add_silence (a, 0.0, 6.0);
  plan = ave_local_director_plan (a, s, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "hiss.wav"));
  g_assert_nonnull (strstr (error->message, "silent"));
  g_clear_error (&error);

  /* A click was called speech; with padding it is still shorter than
   * min_segment_duration and holds no word. */
  add_silence (b, 0.0, 2.0);
  add_speech (b, 2.0, 2.1);
  add_silence (b, 2.1, 6.0);
  plan = ave_local_director_plan (b, s, &error);
  g_assert_null (plan);
  g_assert_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "Nothing to keep"));
}

static void
test_chapters (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("course.mp4", 100.0, TRUE, TRUE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_EDUCATIONAL);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveAnalysis) short_talk = make_talk ();
  g_autoptr(AvePlan) short_plan = NULL;
  double t = 1.0;

  /* Words every 0.5 s; topics change with the shots at 40 s and 75 s. */
  while (t < 39.0)
    t = add_words (a, "neural networks learn the weights um neural networks", t, 0.3, 0.2) + 0.2;
  t = 40.5;
  while (t < 74.0)
    t = add_words (a, "gradient descent finds the minimum gradient", t, 0.3, 0.2) + 0.2;
  t = 75.5;
  while (t < 79.0)
    t = add_words (a, "summary of everything", t, 0.3, 0.2) + 0.2;
  /* The long tail is silence and is cut. */
  add_silence (a, t, 100.0);
  add_speech (a, 1.0, t);
  add_shot (a, 0.0, 40.0, 0.8);
  add_shot (a, 40.0, 75.0, 0.8);
  add_shot (a, 75.0, 100.0, 0.8);

  plan = plan_ok (a, s);
  /* The change at 75 s would leave a last chapter under 30 s. */
  g_assert_cmpfloat (ave_plan_get_output_duration (plan) - ave_plan_source_to_output (plan, 75.0), <, 30.0);
  g_assert_cmpuint (ave_plan_get_n_chapters (plan), ==, 2);
  g_assert_cmpfloat (ave_plan_get_chapter (plan, 0)->time, ==, 0.0);
  g_assert_cmpfloat_with_epsilon (ave_plan_get_chapter (plan, 1)->time,
                                  ave_plan_source_to_output (plan, 40.0), EPS);
  g_assert_cmpstr (ave_plan_get_chapter (plan, 0)->title, ==, "Neural Networks Learn");
  g_assert_cmpstr (ave_plan_get_chapter (plan, 1)->title, ==, "Gradient Descent Finds");

  /* A short source gets one chapter. */
  short_plan = plan_ok (short_talk, s);
  g_assert_cmpuint (ave_plan_get_n_chapters (short_plan), ==, 1);
  g_assert_cmpfloat (ave_plan_get_chapter (short_plan, 0)->time, ==, 0.0);
}

/* ------------------------------------------------------------ metadata */

static gboolean
array_contains (JsonArray  *array,
                const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_str_equal (json_array_get_string_element (array, i), value))
      return TRUE;
  return FALSE;
}

static gboolean
contains_word (const char *text,
               const char *word)
{
  g_autofree char *lower = g_utf8_strdown (text, -1);
  g_auto(GStrv) parts = g_strsplit_set (lower, " ,.:()&", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (parts[i], word))
      return TRUE;
  return FALSE;
}

static void
test_metadata_keywords (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("lesson.mp4", 30.0, TRUE, TRUE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_EDUCATIONAL);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;
  JsonArray *titles, *tags, *chapters;
  const char *description;
  static const char * const never[] = { "um", "uh", "the", "and", "about", "so", "you", "this", NULL };
  double t = 0.5;

  t = add_words (a, "today we learn about photosynthesis and um chlorophyll", t, 0.3, 0.1);
  add_silence (a, t, t + 1.5);
  t += 1.5;
  t = add_words (a, "photosynthesis turns light into sugar uh chlorophyll absorbs light", t, 0.3, 0.1);
  t = add_words (a, "so photosynthesis needs chlorophyll and light", t + 0.1, 0.3, 0.1);
  add_silence (a, t, 30.0);
  add_speech (a, 0.5, t);
  add_shot (a, 0, 30, 0.8);
  a->transcriber = g_strdup ("pocketsphinx en-us");

  plan = plan_ok (a, s);
  node = ave_metadata_build (a, plan, s);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  obj = json_node_get_object (node);
  if (g_test_verbose ())
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_pretty (gen, TRUE);
      json_generator_set_root (gen, node);
      text = json_generator_to_data (gen, NULL);
      g_test_message ("%s", text);
    }

  g_assert_cmpint (json_object_get_int_member (obj, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (obj, "language"), ==, "en");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (obj, "duration"),
                                  ave_plan_get_output_duration (plan), EPS);

  tags = json_object_get_array_member (obj, "tags");
  g_assert_true (array_contains (tags, "photosynthesis"));
  g_assert_true (array_contains (tags, "chlorophyll"));
  g_assert_true (array_contains (tags, "light"));
  g_assert_true (array_contains (tags, "educational"));
  g_assert_cmpuint (json_array_get_length (tags), <=, 11);
  /* Most frequent first. */
  g_assert_cmpstr (json_array_get_string_element (tags, 0), ==, "photosynthesis");

  titles = json_object_get_array_member (obj, "titles");
  g_assert_cmpuint (json_array_get_length (titles), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      const char *title = json_array_get_string_element (titles, i);

      g_autofree char *lower = g_utf8_strdown (title, -1);
      g_auto(GStrv) parts = g_strsplit_set (lower, " ,.:()&", -1);

      g_assert_true (contains_word (title, "photosynthesis"));
      for (guint j = 0; parts[j] != NULL; j++)
        if (ave_keywords_is_stopword (parts[j]))
          g_error ("title \"%s\" contains the stopword \"%s\"", title, parts[j]);
      for (guint j = 0; never[j] != NULL; j++)
        if (contains_word (title, never[j]))
          g_error ("title \"%s\" contains \"%s\"", title, never[j]);
      for (guint j = i + 1; j < 3; j++)
        g_assert_cmpstr (title, !=, json_array_get_string_element (titles, j));
    }
  for (guint i = 0; i < json_array_get_length (tags); i++)
    {
      const char *tag = json_array_get_string_element (tags, i);

      g_assert_false (ave_keywords_is_stopword (tag));
      for (guint j = 0; never[j] != NULL; j++)
        g_assert_cmpstr (tag, !=, never[j]);
    }

  description = json_object_get_string_member (obj, "description");
  g_assert_true (g_str_has_prefix (description, "Today we learn about photosynthesis and chlorophyll."));
  g_assert_true (contains_word (description, "chlorophyll"));
  g_assert_false (contains_word (description, "um"));
  g_assert_false (contains_word (description, "uh"));
  g_assert_nonnull (strstr (description, "Running time: "));

  chapters = json_object_get_array_member (obj, "chapters");
  g_assert_cmpuint (json_array_get_length (chapters), ==, ave_plan_get_n_chapters (plan));
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (chapters, 0), "time"), ==, 0.0);
}

static void
test_metadata_without_transcript (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("/home/me/Videos/my_talk.mp4", 9.0, FALSE, TRUE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_GENERAL);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;
  JsonArray *titles, *tags;

  add_shot (a, 0.0, 3.0, 0.9);
  add_shot (a, 3.0, 5.5, 0.5);
  add_shot (a, 5.5, 9.0, 0.7);
  plan = plan_ok (a, s);
  node = ave_metadata_build (a, plan, s);
  obj = json_node_get_object (node);

  titles = json_object_get_array_member (obj, "titles");
  g_assert_cmpuint (json_array_get_length (titles), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (titles, 0), ==, "My Talk");
  g_assert_cmpstr (json_array_get_string_element (titles, 1), ==, "My Talk: 3 Shots");
  tags = json_object_get_array_member (obj, "tags");
  g_assert_true (array_contains (tags, "general"));
  g_assert_nonnull (strstr (json_object_get_string_member (obj, "description"), "3 shots"));
  g_assert_true (json_object_get_null_member (obj, "language"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (obj, "duration"), 9.0, EPS);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (obj, "chapters"), 0), "title"), ==, "Part 1");
}


/* ------------------------------------------------------------- retakes */

static guint
count_disabled (AvePlan *plan, const char *reason_prefix)
{
  guint n = 0;

  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *seg = ave_plan_get_segment (plan, i);

      if (!seg->enabled)
        {
          g_assert_nonnull (seg->reason);
          g_assert_true (g_str_has_prefix (seg->reason, reason_prefix));
          n++;
        }
    }
  return n;
}

/* Every word in [from, to] plays whole (inside one enabled segment), or
 * none of it does. */
static void
assert_words_played (AvePlan *plan, AveAnalysis *a, double from, double to, gboolean played)
{
  for (guint i = 0; i < a->words->len; i++)
    {
      const AveWord *w = &g_array_index (a->words, AveWord, i);
      gboolean whole = FALSE, touched = FALSE;

      if (w->start < from - EPS || w->end > to + EPS)
        continue;
      for (guint k = 0; k < ave_plan_get_n_segments (plan); k++)
        {
          const AveSegment *seg = ave_plan_get_segment (plan, k);

          if (!seg->enabled)
            continue;
          if (seg->start <= w->start + EPS && seg->end >= w->end - EPS)
            whole = TRUE;
          if (seg->end > w->start && seg->start < w->end)
            touched = TRUE;
        }
      if (played && !whole)
        g_error ("'%s' (%.2f–%.2f) should play whole", w->word, w->start, w->end);
      if (!played && touched)
        g_error ("'%s' (%.2f–%.2f) should be cut", w->word, w->start, w->end);
    }
}

static AveAnalysis *
make_retake_talk (void)
{
  AveAnalysis *a = make_analysis ("retakes.mp4", 20.0, TRUE, TRUE);

  add_words (a, "welcome to the lesson", 0.5, 0.3, 0.05);            /* 0.5 .. 1.85 */
  add_silence (a, 1.85, 2.8);
  add_words (a, "the result is five", 2.8, 0.3, 0.05);              /* take 1: 2.8 .. 4.15 */
  add_silence (a, 4.15, 4.9);
  add_words (a, "the result is five point two", 4.9, 0.3, 0.05);    /* kept: 4.9 .. 6.95 */
  add_silence (a, 6.95, 8.0);
  add_words (a, "so the", 8.0, 0.3, 0.05);                          /* false start: 8.0 .. 8.65 */
  add_silence (a, 8.65, 9.2);
  add_words (a, "so the answer is yes", 9.2, 0.3, 0.05);            /* kept: 9.2 .. 10.9 */
  add_silence (a, 10.9, 20.0);
  add_speech (a, 0.5, 10.9);
  add_shot (a, 0, 20, 0.8);
  return a;
}

/* The earlier take of a repeated sentence and a false start are cut as
 * switched-off segments naming the kept take; every other word plays. */
static void
test_retakes (void)
{
  g_autoptr(AveAnalysis) a = make_retake_talk ();
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_EDUCATIONAL);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  gboolean saw_first = FALSE, saw_false_start = FALSE;

  g_assert_true (s->remove_retakes);
  plan = plan_ok (a, s);
  g_assert_cmpuint (count_disabled (plan, "retake of "), ==, 2);
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *seg = ave_plan_get_segment (plan, i);

      if (seg->enabled)
        continue;
      if (seg->start <= 2.8 && seg->end >= 4.15)
        {
          saw_first = TRUE;
          g_assert_true (g_str_has_prefix (seg->reason, "retake of 4.90–6.95 s"));
        }
      if (seg->start <= 8.0 && seg->end >= 8.65)
        {
          saw_false_start = TRUE;
          g_assert_true (g_str_has_prefix (seg->reason, "retake of 9.20–10.90 s"));
        }
    }
  g_assert_true (saw_first);
  g_assert_true (saw_false_start);
  assert_words_played (plan, a, 0.0, 1.9, TRUE);
  assert_words_played (plan, a, 2.7, 4.2, FALSE);
  assert_words_played (plan, a, 4.8, 7.0, TRUE);
  assert_words_played (plan, a, 7.9, 8.7, FALSE);
  assert_words_played (plan, a, 9.1, 11.0, TRUE);
  g_assert_true (ave_plan_validate (plan, 20.0, &error));
  g_assert_no_error (error);

  /* --keep-retakes (and the general type's default) keep every take;
   * --remove-retakes works for any type. */
  {
    g_autoptr(AveSettings) keep = make_settings (AVE_CONTENT_EDUCATIONAL);
    g_autoptr(AveSettings) general = make_settings (AVE_CONTENT_GENERAL);
    g_autoptr(AvePlan) kept = NULL;
    g_autoptr(AvePlan) general_plan = NULL;
    g_autoptr(AvePlan) general_removed = NULL;

    keep->remove_retakes = FALSE;
    kept = plan_ok (a, keep);
    g_assert_cmpuint (count_disabled (kept, ""), ==, 0);
    assert_words_played (kept, a, 0.0, 20.0, TRUE);
    g_assert_false (general->remove_retakes);
    general_plan = plan_ok (a, general);
    g_assert_cmpuint (count_disabled (general_plan, ""), ==, 0);
    general->remove_retakes = TRUE;
    general_removed = plan_ok (a, general);
    g_assert_cmpuint (count_disabled (general_removed, "retake of "), ==, 2);
  }
}

/* Sentences that share a start but say different things are no retakes. */
static void
test_no_retakes (void)
{
  g_autoptr(AveAnalysis) a = make_analysis ("talk.mp4", 20.0, TRUE, TRUE);
  g_autoptr(AveSettings) s = make_settings (AVE_CONTENT_EDUCATIONAL);
  g_autoptr(AvePlan) plan = NULL;

  add_words (a, "the first step is to measure", 0.5, 0.3, 0.05);
  add_silence (a, 2.6, 3.5);
  add_words (a, "the second step is to compare", 3.5, 0.3, 0.05);
  add_silence (a, 5.6, 6.5);
  add_words (a, "the third step is to decide", 6.5, 0.3, 0.05);
  add_silence (a, 8.6, 9.5);
  add_words (a, "thank you thank you", 9.5, 0.3, 0.05);
  add_silence (a, 10.85, 20.0);
  add_speech (a, 0.5, 10.85);
  add_shot (a, 0, 20, 0.8);
  plan = plan_ok (a, s);
  g_assert_cmpuint (count_disabled (plan, ""), ==, 0);
  assert_words_played (plan, a, 0.0, 20.0, TRUE);
}

int
main (int    argc,
      char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/director/silence-cut", test_silence_cut);
  g_test_add_func ("/engine/director/word-never-clipped", test_word_never_clipped);
  g_test_add_func ("/engine/director/fillers", test_fillers);
  g_test_add_func ("/engine/director/snap-to-shot", test_snap_to_shot);
  g_test_add_func ("/engine/director/snap-to-keyframe", test_snap_to_keyframe);
  g_test_add_func ("/engine/director/crossfades", test_crossfades);
  g_test_add_func ("/engine/director/deterministic", test_deterministic);
  g_test_add_func ("/engine/director/music-beats", test_music_beats);
  g_test_add_func ("/engine/director/no-audio-keeps-shots", test_no_audio_keeps_shots);
  g_test_add_func ("/engine/director/empty", test_empty);
  g_test_add_func ("/engine/director/chapters", test_chapters);
  g_test_add_func ("/engine/director/retakes", test_retakes);
  g_test_add_func ("/engine/director/no-retakes", test_no_retakes);
  g_test_add_func ("/engine/metadata/keywords", test_metadata_keywords);
  g_test_add_func ("/engine/metadata/without-transcript", test_metadata_without_transcript);

  return g_test_run ();
}
