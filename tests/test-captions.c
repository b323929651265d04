/* test-captions.c — subtitles timed to the edited video, and the
 * transcript command.
 *
 * The mapping and the cue rules are checked on analyses written by hand
 * (every word's time is known); the files `process` writes, on the
 * generated sample talk; both formats go through FFmpeg's demuxers.
 */
#define G_LOG_DOMAIN "ave-test-captions"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pango/pango.h>
#include <json-glib/json-glib.h>

#include "core/ave-error.h"
#include "analysis/ave-analysis.h"
#include "assets/ave-captions.h"
#include "director/ave-plan.h"
#include "ave-test-util.h"

#define FPS 25.0
#define FRAME (1.0 / FPS)

static AveAnalysis *
make_analysis (double duration)
{
  AveMediaInfo info = { 0 };

  info.path = (char *) "talk.mp4";
  info.duration = duration;
  info.has_audio = info.has_video = TRUE;
  info.frame_rate = FPS;
  return ave_analysis_new ("talk.mp4", &info);
}

/* Words of `text` from `start`, each `length` long with `gap` between;
 * returns the end of the last one. */
static double
add_words (AveAnalysis *a, const char *text, double start, double length, double gap)
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
add_segment (AvePlan *plan, double start, double end, AveTransitionType transition, double duration)
{
  AveSegment s = { 0 };

  s.start = start;
  s.end = end;
  s.enabled = TRUE;
  s.transition = transition;
  s.transition_duration = duration;
  g_assert_true (ave_plan_append_segment (plan, &s));
}

static guint
graphemes (const char *text)
{
  glong n = g_utf8_strlen (text, -1);
  g_autofree PangoLogAttr *attrs = g_new0 (PangoLogAttr, n + 1);
  guint count = 0;

  pango_get_log_attrs (text, strlen (text), -1, pango_language_from_string ("en"), attrs, n + 1);
  for (glong i = 0; i < n; i++)
    count += attrs[i].is_cursor_position;
  return count;
}

/* Every cue keeps the rules of docs/captions.md. */
static void
assert_cue_rules (GArray *cues, GArray *words)
{
  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);
      const AveCue *next = i + 1 < cues->len ? &g_array_index (cues, AveCue, i + 1) : NULL;
      g_auto(GStrv) lines = g_strsplit (cue->text, "\n", -1);
      double duration = cue->end - cue->start;
      guint chars = 0;

      g_assert_true (g_utf8_validate (cue->text, -1, NULL));
      g_assert_cmpuint (g_strv_length (lines), >=, 1);
      g_assert_cmpuint (g_strv_length (lines), <=, AVE_CUE_MAX_LINES);
      for (guint k = 0; lines[k] != NULL; k++)
        {
          if (graphemes (lines[k]) > AVE_CUE_MAX_LINE_CHARS)
            g_error ("cue %u line '%s' has %u characters", i, lines[k], graphemes (lines[k]));
          chars += graphemes (lines[k]);
        }
      g_assert_cmpfloat (duration, <=, AVE_CUE_MAX_SECONDS + 1e-9);
      if (next != NULL)
        {
          double gap = next->start - cue->end;

          g_assert_cmpfloat (gap, >=, -1e-9);                 /* no overlap */
          if (gap > 1e-9 && gap < AVE_CUE_MIN_GAP_FRAMES * FRAME - 1e-9)
            g_error ("cue %u: a gap of %.3f s before the next one", i, gap);
        }
      /* At least a second and slow enough to read, unless the next cue
       * starts before that: then it lasts until the next one begins. */
      if (duration < MAX (AVE_CUE_MIN_SECONDS, chars / AVE_CUE_MAX_CPS) - 1e-9)
        {
          if (next == NULL || next->start - cue->end > 1e-9)
            g_error ("cue %u '%s' lasts %.3f s for %u characters with room after it", i, cue->text, duration, chars);
        }
      /* No cue runs over a cut that removed more than a short pause. */
      for (guint k = cue->first_word + 1; k < cue->first_word + cue->n_words; k++)
        {
          const AveCaptionWord *a = &g_array_index (words, AveCaptionWord, k - 1);
          const AveCaptionWord *b = &g_array_index (words, AveCaptionWord, k);
          double removed = (b->source_start - a->source_end) - (b->start - a->end);

          g_assert_cmpfloat (removed, <=, AVE_CUE_MAX_BRIDGED_CUT + 1e-6);
        }
    }
}

/* Each cue starts on its first word, and every word it shows plays while
 * it is up (within a frame). */
static void
assert_cues_on_words (GArray *cues, GArray *words)
{
  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);
      const AveCaptionWord *first = &g_array_index (words, AveCaptionWord, cue->first_word);

      g_assert_cmpfloat (fabs (cue->start - first->start), <=, FRAME);
      for (guint k = cue->first_word; k < cue->first_word + cue->n_words; k++)
        {
          const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, k);

          g_assert_cmpfloat (w->start, >=, cue->start - FRAME);
          g_assert_cmpfloat (w->start, <=, cue->end + FRAME);
        }
    }
}

/* A talk with a cut pause, a removed filler, a removed sentence, a
 * crossfade and a title card: each word's output time is known. */
static void
test_mapping (void)
{
  g_autoptr(AveAnalysis) a = make_analysis (30.0);
  g_autoptr(AvePlan) plan = ave_plan_new ("talk.mp4", 30.0);
  g_autoptr(AveCard) card = ave_card_new_title ("Part two", NULL, 2, 2.0);
  g_autoptr(GArray) words = NULL;
  g_autoptr(GArray) cues = NULL;
  g_autoptr(GString) all = g_string_new (NULL);

  add_words (a, "alpha bravo charlie", 1.0, 0.4, 0.1);      /* 1.0 .. 2.4 */
  add_words (a, "um", 2.6, 0.3, 0);                          /* a filler the plan cuts */
  add_words (a, "delta echo", 3.1, 0.4, 0.1);                /* 3.1 .. 4.0 */
  add_words (a, "foxtrot golf hotel", 6.0, 0.4, 0.1);        /* cut whole */
  add_words (a, "india juliet kilo lima", 10.0, 0.4, 0.1);   /* 10.0 .. 11.9 */
  add_words (a, "mike november", 20.0, 0.4, 0.1);            /* after a card */
  ave_analysis_sort (a);

  add_segment (plan, 0.8, 2.5, AVE_TRANSITION_CUT, 0);        /* out 0 .. 1.7 */
  add_segment (plan, 3.0, 4.2, AVE_TRANSITION_CUT, 0);        /* out 1.7 .. 2.9 */
  add_segment (plan, 9.8, 12.2, AVE_TRANSITION_CROSSFADE, 0.4);
  add_segment (plan, 19.8, 21.0, AVE_TRANSITION_CUT, 0);
  g_assert_cmpint (ave_plan_add_card (plan, card), ==, 0);   /* before segment 2 */

  words = ave_caption_words_map (a, plan);
  /* Output: seg0 0–1.7; seg1 1.7–2.9; card 2.9–4.9; seg2 4.9–7.3 (the
   * crossfade is the card's own cut here); seg3 7.3–8.5. */
  g_assert_cmpuint (words->len, ==, 11);
  for (guint i = 0; i < words->len; i++)
    {
      const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, i);
      double expected = ave_plan_source_to_output (plan, w->source_start);

      g_assert_false (w->filler);
      g_assert_cmpfloat (expected, >=, 0.0);
      g_assert_cmpfloat (fabs (w->start - expected), <, 1e-9);
      g_assert_cmpfloat (fabs ((w->end - w->start) - (w->source_end - w->source_start)), <, 1e-9);
    }
  g_assert_cmpfloat (fabs (g_array_index (words, AveCaptionWord, 0).start - 0.2), <, 1e-9);
  g_assert_cmpfloat (fabs (g_array_index (words, AveCaptionWord, 3).start - 1.8), <, 1e-9);
  g_assert_cmpfloat (fabs (g_array_index (words, AveCaptionWord, 5).start - 5.1), <, 1e-9);
  g_assert_cmpfloat (fabs (g_array_index (words, AveCaptionWord, 9).start - 7.5), <, 1e-9);

  cues = ave_captions_build (words, FPS, "en");
  g_assert_cmpuint (cues->len, >=, 3);
  assert_cue_rules (cues, words);
  assert_cues_on_words (cues, words);
  for (guint i = 0; i < cues->len; i++)
    g_string_append_printf (all, "%s\n", g_array_index (cues, AveCue, i).text);
  /* What the plan cut is never shown, and the card separates cues. */
  g_assert_null (strstr (all->str, "um"));
  g_assert_null (strstr (all->str, "foxtrot"));
  g_assert_null (strstr (all->str, "golf"));
  g_assert_null (strstr (all->str, "hotel"));
  g_assert_nonnull (strstr (all->str, "juliet"));
  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);

      g_assert_false (strstr (cue->text, "echo") != NULL && strstr (cue->text, "ndia") != NULL);
    }

  /* Without a plan, every word at its source time, fillers kept as words. */
  {
    g_autoptr(GArray) source = ave_caption_words_map (a, NULL);

    g_assert_cmpuint (source->len, ==, a->words->len);
    for (guint i = 0; i < source->len; i++)
      g_assert_cmpfloat (g_array_index (source, AveCaptionWord, i).start, ==,
                         g_array_index (a->words, AveWord, i).start);
  }
}

/* A long talk in bursts: every cue obeys the rules, cues break at long
 * pauses, and fast speech is not shown faster than it can be read when
 * there is time after it. */
static AveAnalysis *
make_long_talk (AvePlan **plan_out)
{
  static const char * const sentences[] = {
    "neural networks learn by adjusting their weights a little at a time",
    "the gradient says which way is downhill",
    "we take a small step and measure again",
    "after many steps the loss is low and the network has learned the pattern in the data that we showed it",
    "ok",
    "that is the whole idea behind training",
  };
  AveAnalysis *a = make_analysis (120.0);
  AvePlan *plan = ave_plan_new ("talk.mp4", 120.0);
  double t = 0.5;

  for (guint round = 0; round < 3; round++)
    for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
      {
        double start = t;

        /* clause pauses inside sentences come from word gaps of 0.1–0.3 s */
        t = add_words (a, sentences[i], t, 0.28 + 0.02 * (i % 3), 0.08 + 0.1 * ((i + round) % 3 == 0));
        add_segment (plan, MAX (0.0, start - 0.15), t + 0.15, AVE_TRANSITION_CUT, 0);
        t += 0.8 + 0.5 * (i % 2);   /* the pause is cut */
      }
  ave_analysis_sort (a);
  *plan_out = plan;
  return a;
}

static void
test_rules (void)
{
  AvePlan *plan_raw = NULL;
  g_autoptr(AveAnalysis) a = make_long_talk (&plan_raw);
  g_autoptr(AvePlan) plan = plan_raw;
  g_autoptr(GArray) words = ave_caption_words_map (a, plan);
  g_autoptr(GArray) cues = ave_captions_build (words, FPS, "en");
  guint two_line = 0;

  g_assert_cmpuint (words->len, ==, a->words->len);
  g_assert_cmpuint (cues->len, >, 10);
  assert_cue_rules (cues, words);
  assert_cues_on_words (cues, words);
  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);

      two_line += strchr (cue->text, '\n') != NULL;
    }
  /* A sentence starts with a capital (recognisers write lower case). */
  g_assert_true (g_str_has_prefix (g_array_index (cues, AveCue, 0).text, "Neural networks"));
  g_assert_cmpuint (two_line, >, 0);

  /* The same talk in source times: no cut, so pauses alone break cues. */
  {
    g_autoptr(GArray) source = ave_caption_words_map (a, NULL);
    g_autoptr(GArray) source_cues = ave_captions_build (source, FPS, "en");

    assert_cue_rules (source_cues, source);
    assert_cues_on_words (source_cues, source);
  }
}

/* The cue under a time is the one whose final.srt times hold it: checked
 * against a plain scan of the files' times every 10 ms, and on the words
 * (a word plays inside its cue). */
static void
test_cue_at (void)
{
  AvePlan *plan_raw = NULL;
  g_autoptr(AveAnalysis) a = make_long_talk (&plan_raw);
  g_autoptr(AvePlan) plan = plan_raw;
  g_autoptr(GArray) words = ave_caption_words_map (a, plan);
  g_autoptr(GArray) cues = ave_captions_build (words, FPS, "en");
  g_autoptr(GArray) none = g_array_new (FALSE, FALSE, sizeof (AveCue));
  gint64 first_ms, last_ms, unused;
  guint gaps = 0;

  g_assert_cmpuint (cues->len, >, 10);
  ave_captions_cue_times_ms (cues, 0, &first_ms, &unused);
  ave_captions_cue_times_ms (cues, cues->len - 1, &unused, &last_ms);
  for (gint64 ms = 0; ms <= last_ms + 500; ms += 10)
    {
      int expected = -1;

      for (guint i = 0; i < cues->len; i++)
        {
          gint64 start_ms, end_ms;

          ave_captions_cue_times_ms (cues, i, &start_ms, &end_ms);
          if (ms >= start_ms && ms < end_ms)
            expected = (int) i;
        }
      gaps += expected < 0 && ms > first_ms && ms < last_ms;
      g_assert_cmpint (ave_captions_cue_at (cues, ms / 1000.0), ==, expected);
    }
  /* The talk has pauses between sentences longer than a cue stays up. */
  g_assert_cmpuint (gaps, >, 0);
  g_assert_cmpint (ave_captions_cue_at (cues, first_ms / 1000.0 - 0.001), ==, -1);
  g_assert_cmpint (ave_captions_cue_at (cues, first_ms / 1000.0), ==, 0);
  g_assert_cmpint (ave_captions_cue_at (cues, last_ms / 1000.0), ==, -1);
  g_assert_cmpint (ave_captions_cue_at (cues, -1.0), ==, -1);
  g_assert_cmpint (ave_captions_cue_at (cues, NAN), ==, -1);
  g_assert_cmpint (ave_captions_cue_at (none, 1.0), ==, -1);

  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);

      for (guint k = cue->first_word; k < cue->first_word + cue->n_words; k++)
        {
          const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, k);
          double middle = (w->start + w->end) / 2.0;
          gint64 start_ms, end_ms;

          ave_captions_cue_times_ms (cues, i, &start_ms, &end_ms);
          if (middle * 1000.0 >= start_ms && middle * 1000.0 < end_ms)
            g_assert_cmpint (ave_captions_cue_at (cues, middle), ==, (int) i);
        }
    }
}

/* Lines are measured in graphemes: a letter with a combining accent, a
 * flag or a family emoji is one character to a reader, and a line is
 * never broken inside one. */
static void
test_utf8 (void)
{
  g_autoptr(AveAnalysis) a = make_analysis (30.0);
  g_autoptr(GArray) words = NULL;
  g_autoptr(GArray) cues = NULL;
  /* "cafe\u0301" is 5 characters, 4 graphemes; the family is 5 code points. */
  const char *text = "cafe\xcc\x81 na\xc3\xafve \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 "
                     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
                     "cafe\xcc\x81 na\xc3\xafve \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 "
                     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
                     "cafe\xcc\x81 na\xc3\xafve";
  double t = add_words (a, text, 1.0, 0.3, 0.05);
  g_autofree char *longword = NULL;
  GString *build = g_string_new (NULL);

  /* one word of 100 graphemes, each a letter with a combining mark */
  for (guint i = 0; i < 100; i++)
    g_string_append (build, "e\xcc\x81");
  longword = g_string_free (build, FALSE);
  ave_analysis_add_word (a, longword, t + 2.0, t + 3.0, 0.9, FALSE);
  ave_analysis_sort (a);

  words = ave_caption_words_map (a, NULL);
  cues = ave_captions_build (words, FPS, "en");
  assert_cue_rules (cues, words);
  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);
      const char *mark;

      /* no line starts with a combining mark or a joiner */
      for (mark = cue->text; mark != NULL; mark = strchr (mark, '\n'))
        {
          gunichar c;

          if (*mark == '\n')
            mark++;
          c = g_utf8_get_char (mark);
          g_assert_false (g_unichar_ismark (c) || c == 0x200D);
          if (strchr (mark, '\n') == NULL)
            break;
        }
    }
  /* The 27 short words fit two lines because graphemes, not bytes, count. */
  g_assert_cmpuint (cues->len, ==, 2);
}

static char *
write_text (const char *name, const char *text)
{
  char *path = ave_test_path (name);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* FFmpeg's SRT and WebVTT demuxers and decoders read every cue, and say
 * nothing (decoded and encoded again as ASS: a subtitle-only input has
 * nothing for `-f null` to take by default). */
static void
assert_ffmpeg_reads (const char *path, guint n_cues)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *count = NULL;
  int status = ave_test_sh_status (&out, &err, "ffmpeg -nostdin -v warning -i '%s' -map 0 -c:s ass -f null - 2>&1", path);

  g_assert_cmpint (status, ==, 0);
  if (out != NULL && *g_strstrip (out) != '\0')
    g_error ("ffmpeg warns about %s: %s", path, out);
  count = ave_test_sh_output ("ffprobe -v error -count_packets -select_streams s:0 "
                              "-show_entries stream=nb_read_packets -of csv=p=0 '%s'", path);
  g_assert_cmpuint (g_ascii_strtoull (g_strstrip (count), NULL, 10), ==, n_cues);
}

static void
test_ffmpeg_parses (void)
{
  AvePlan *plan_raw = NULL;
  g_autoptr(AveAnalysis) a = make_long_talk (&plan_raw);
  g_autoptr(AvePlan) plan = plan_raw;
  g_autoptr(GArray) words = ave_caption_words_map (a, plan);
  g_autoptr(GArray) cues = NULL;
  g_autofree char *srt = NULL;
  g_autofree char *vtt = NULL;
  g_autofree char *srt_path = NULL;
  g_autofree char *vtt_path = NULL;
  g_autofree char *bad_path = NULL;
  g_autofree char *bad_out = NULL;

  /* markup characters in a word must not become WebVTT tags */
  g_free (g_array_index (words, AveCaptionWord, 3).text);
  g_array_index (words, AveCaptionWord, 3).text = g_strdup ("<b>&co");
  cues = ave_captions_build (words, FPS, "en");
  srt = ave_captions_to_srt (cues);
  vtt = ave_captions_to_vtt (cues);
  g_assert_true (g_str_has_prefix (vtt, "WEBVTT\n\n"));
  g_assert_nonnull (strstr (vtt, "&lt;b&gt;&amp;co"));
  g_assert_true (g_str_has_prefix (srt, "1\n00:00:"));
  srt_path = write_text ("rules.srt", srt);
  vtt_path = write_text ("rules.vtt", vtt);
  assert_ffmpeg_reads (srt_path, cues->len);
  assert_ffmpeg_reads (vtt_path, cues->len);

  /* The check can fail: text that is not UTF-8 is reported. */
  bad_path = write_text ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\n\xff\xfe not text\n\n");
  ave_test_sh_status (&bad_out, NULL, "ffmpeg -nostdin -v warning -i '%s' -map 0 -c:s ass -f null - 2>&1", bad_path);
  g_assert_true (bad_out != NULL && *g_strstrip (bad_out) != '\0');
}

/* "language": the recogniser's model when absent (older files), the
 * member when present, refused when it is not a language tag. */
static void
test_language (void)
{
  static const char * const good =
    "{\"version\":1,\"transcriber\":\"pocketsphinx 5prealpha en-us\"}";
  static const char * const tagged =
    "{\"version\":1,\"transcriber\":\"remote\",\"language\":\"pt-BR\"}";
  static const char * const bad =
    "{\"version\":1,\"language\":\"not a tag\"}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) n1 = json_from_string (good, NULL);
  g_autoptr(JsonNode) n2 = json_from_string (tagged, NULL);
  g_autoptr(JsonNode) n3 = json_from_string (bad, NULL);
  g_autoptr(AveAnalysis) a1 = ave_analysis_from_json (n1, &error);
  g_autoptr(AveAnalysis) a2 = NULL;
  g_autoptr(AveAnalysis) a3 = NULL;
  g_autoptr(JsonNode) written = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (ave_analysis_get_language (a1), ==, "en");
  written = ave_analysis_to_json (a1);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (written), "language"), ==, "en");

  a2 = ave_analysis_from_json (n2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_analysis_get_language (a2), ==, "pt-BR");

  a3 = ave_analysis_from_json (n3, &error);
  g_assert_null (a3);
  g_assert_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "language"));
}

/* ------------------------------------------------------------ end to end */

static const char *
processed_talk (void)
{
  static char *dir;

  if (dir == NULL)
    {
      const char *talk = ave_test_sample ("captions-talk.mp4", 24, 320, 240);

      dir = ave_test_path ("captions-out");
      ave_test_sh ("'%s' process --type educational --quality fast --cache-dir '%s/cache' -o '%s' '%s' >/dev/null 2>&1",
                   ave_test_binary (), ave_test_tmpdir (), dir, talk);
    }
  return dir;
}

/* The words of a subtitle file's cues, lower case, in order. */
static GPtrArray *
file_words (const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) tokens = NULL;

      if (*lines[i] == '\0' || strstr (lines[i], "-->") != NULL || g_str_equal (lines[i], "WEBVTT") ||
          g_ascii_isdigit (*lines[i]))
        continue;
      tokens = g_strsplit (lines[i], " ", -1);
      for (guint k = 0; tokens[k] != NULL; k++)
        g_ptr_array_add (out, g_utf8_strdown (tokens[k], -1));
    }
  return out;
}

static void
test_process_writes_subtitles (void)
{
  const char *dir = processed_talk ();
  g_autofree char *analysis_path = g_build_filename (dir, "captions-talk", "analysis.json", NULL);
  g_autofree char *plan_path = g_build_filename (dir, "captions-talk", "plan.json", NULL);
  g_autofree char *srt_path = g_build_filename (dir, "captions-talk", "final.srt", NULL);
  g_autofree char *vtt_path = g_build_filename (dir, "captions-talk", "final.vtt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = ave_analysis_load (analysis_path, &error);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GArray) words = NULL;
  g_autoptr(GArray) cues = NULL;
  g_autoptr(GPtrArray) shown = NULL;
  g_autofree char *srt = NULL;
  g_autofree char *vtt = NULL;
  g_autofree char *expected_srt = NULL;
  guint n = 0, cut_words = 0;

  g_assert_no_error (error);
  plan = ave_plan_load (plan_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_analysis_get_language (a), ==, "en");
  g_assert_cmpuint (a->words->len, >, 20);
  g_assert_true (g_file_get_contents (srt_path, &srt, NULL, NULL));
  g_assert_true (g_file_get_contents (vtt_path, &vtt, NULL, NULL));

  words = ave_caption_words_map (a, plan);
  cues = ave_captions_build (words, ave_captions_frame_rate (a), "en");
  assert_cue_rules (cues, words);
  assert_cues_on_words (cues, words);
  expected_srt = ave_captions_to_srt (cues);
  g_assert_cmpstr (srt, ==, expected_srt);
  assert_ffmpeg_reads (srt_path, cues->len);
  assert_ffmpeg_reads (vtt_path, cues->len);

  /* Each word mapped where the plan plays it; the words the plan cut
   * (fillers at least: this is an educational edit) are not among them. */
  for (guint i = 0; i < a->words->len; i++)
    {
      const AveWord *w = &g_array_index (a->words, AveWord, i);

      if (ave_plan_source_to_output (plan, (w->start + w->end) / 2.0) < 0.0)
        cut_words++;
    }
  g_assert_cmpuint (cut_words, >, 0);
  g_assert_cmpuint (words->len, ==, a->words->len - cut_words);

  /* The file shows exactly the kept words, in order, fillers left out. */
  shown = file_words (srt);
  for (guint i = 0; i < words->len; i++)
    {
      const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, i);
      g_autofree char *lower = NULL;

      g_assert_false (w->filler);   /* the educational edit cut them all */
      g_assert_cmpfloat (fabs (w->start - ave_plan_source_to_output (plan, w->source_start)), <=, 1.0 / ave_captions_frame_rate (a));
      lower = g_utf8_strdown (w->text, -1);
      g_assert_cmpuint (n, <, shown->len);
      g_assert_cmpstr (g_ptr_array_index (shown, n), ==, lower);
      n++;
    }
  g_assert_cmpuint (n, ==, shown->len);
}

static void
test_subtitles_option (void)
{
  const char *talk = ave_test_sample ("captions-talk.mp4", 24, 320, 240);
  g_autofree char *dir = ave_test_path ("captions-none");
  g_autofree char *srt = g_build_filename (dir, "captions-talk", "final.srt", NULL);
  g_autofree char *vtt = g_build_filename (dir, "captions-talk", "final.vtt", NULL);
  g_autofree char *settings = NULL;

  processed_talk ();   /* fills the analysis cache */
  ave_test_sh ("'%s' process --subtitles none --quality fast --cache-dir '%s/cache' -o '%s' '%s' >/dev/null 2>&1",
               ave_test_binary (), ave_test_tmpdir (), dir, talk);
  g_assert_false (g_file_test (srt, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (vtt, G_FILE_TEST_EXISTS));

  ave_test_sh ("'%s' process --subtitles vtt --quality fast --cache-dir '%s/cache' -o '%s' '%s' >/dev/null 2>&1",
               ave_test_binary (), ave_test_tmpdir (), dir, talk);
  g_assert_false (g_file_test (srt, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (vtt, G_FILE_TEST_IS_REGULAR));

  /* A bad value is a usage error; the setting shows where it came from. */
  g_assert_cmpint (ave_test_sh_status (NULL, NULL, "'%s' process --subtitles ass '%s' 2>/dev/null",
                                       ave_test_binary (), talk), ==, 2);
  settings = ave_test_sh_output ("'%s' settings --subtitles srt", ave_test_binary ());
  g_assert_true (g_regex_match_simple ("^subtitles +srt +flag \\(--subtitles\\)$", settings, G_REGEX_MULTILINE, 0));
}

/* ------------------------------------------------------- in final.mp4 */

static void
test_iso639 (void)
{
  g_assert_cmpstr (ave_captions_iso639_2 ("en"), ==, "eng");
  g_assert_cmpstr (ave_captions_iso639_2 ("en-US"), ==, "eng");
  g_assert_cmpstr (ave_captions_iso639_2 ("de"), ==, "deu");   /* terminology, not "ger" */
  g_assert_cmpstr (ave_captions_iso639_2 ("pt-BR"), ==, "por");
  g_assert_cmpstr (ave_captions_iso639_2 ("fil"), ==, "fil");
  g_assert_cmpstr (ave_captions_iso639_2 ("FRA"), ==, "fra");
  g_assert_cmpstr (ave_captions_iso639_2 ("xx"), ==, "und");
  g_assert_cmpstr (ave_captions_iso639_2 ("english"), ==, "und");
  g_assert_cmpstr (ave_captions_iso639_2 (NULL), ==, "und");
}

/* The SRT's cue times in milliseconds, [start, end] pairs. */
static GArray *
srt_times (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      int h1, m1, s1, ms1, h2, m2, s2, ms2;
      gint64 start, end;

      if (sscanf (lines[i], "%d:%d:%d,%d --> %d:%d:%d,%d", &h1, &m1, &s1, &ms1, &h2, &m2, &s2, &ms2) != 8)
        continue;
      start = ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1;
      end = ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2;
      g_array_append_val (times, start);
      g_array_append_val (times, end);
    }
  return times;
}

/* final.mp4 has a mov_text stream tagged "eng" whose cues (the samples
 * with text: the muxer fills gaps with empty ones) are final.srt's, at
 * the same times to the millisecond; the file decodes without a message. */
static void
assert_embedded_track (const char *dir)
{
  g_autofree char *mp4 = g_build_filename (dir, "captions-talk", "final.mp4", NULL);
  g_autofree char *srt = g_build_filename (dir, "captions-talk", "final.srt", NULL);
  g_autoptr(GArray) times = srt_times (srt);
  g_autofree char *streams = ave_test_sh_output ("ffprobe -v error -select_streams s -show_entries "
                                                 "stream=codec_name:stream_tags=language -of csv=p=0 '%s'", mp4);
  g_autofree char *packets = ave_test_sh_output ("ffprobe -v error -select_streams s:0 -show_entries "
                                                 "packet=pts_time,duration_time,size -of csv=p=0 '%s'", mp4);
  g_auto(GStrv) lines = g_strsplit (packets, "\n", -1);
  guint n = 0;

  g_assert_cmpstr (g_strstrip (streams), ==, "mov_text,eng");
  g_assert_cmpuint (times->len, >=, 2 * 4);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      double pts, duration;
      int size;

      if (sscanf (lines[i], "%lf,%lf,%d", &pts, &duration, &size) != 3 || size <= 2)
        continue;
      g_assert_cmpuint (2 * n + 1, <, times->len);
      g_assert_cmpfloat (fabs (pts * 1000.0 - g_array_index (times, gint64, 2 * n)), <=, 1.0);
      g_assert_cmpfloat (fabs ((pts + duration) * 1000.0 - g_array_index (times, gint64, 2 * n + 1)), <=, 1.0);
      n++;
    }
  g_assert_cmpuint (2 * n, ==, times->len);
  ave_test_assert_decodes_cleanly (mp4);
}

static void
test_embed_subtitles (void)
{
  const char *talk = ave_test_sample ("captions-talk.mp4", 24, 320, 240);
  g_autofree char *full = ave_test_path ("captions-embed");
  g_autofree char *fast = ave_test_path ("captions-embed-fast");
  g_autofree char *log = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GRegex) copied = g_regex_new ("smart cut copied ([0-9]+) of ([0-9]+) frames", 0, 0, NULL);
  g_autofree char *plain_streams = NULL;
  g_autofree char *plain = g_build_filename (processed_talk (), "captions-talk", "final.mp4", NULL);

  /* Without the flag there is no track. */
  plain_streams = ave_test_sh_output ("ffprobe -v error -select_streams s -show_entries stream=codec_name "
                                      "-of csv=p=0 '%s'", plain);
  g_assert_cmpstr (g_strstrip (plain_streams), ==, "");

  ave_test_sh ("'%s' process --embed-subtitles --type educational --quality fast --cache-dir '%s/cache' "
               "-o '%s' '%s' >/dev/null 2>&1", ave_test_binary (), ave_test_tmpdir (), full, talk);
  assert_embedded_track (full);

  /* Fast mode muxes the track beside the copied pictures. */
  log = ave_test_sh_output ("'%s' process --embed-subtitles --mode fast --type educational --quality fast "
                            "--cache-dir '%s/cache' -o '%s' '%s' 2>&1", ave_test_binary (), ave_test_tmpdir (),
                            fast, talk);
  g_assert_true (g_regex_match (copied, log, 0, &match));
  {
    g_autofree char *n_copied = g_match_info_fetch (match, 1);
    g_autofree char *n_total = g_match_info_fetch (match, 2);

    g_assert_cmpuint (g_ascii_strtoull (n_copied, NULL, 10), >, g_ascii_strtoull (n_total, NULL, 10) / 2);
  }
  assert_embedded_track (fast);
}

/* One frame of `path` as RGB24 (selected by number: exact, no seeking). */
static guint8 *
decode_rgb_frame (const char *path, gint64 frame, int width, int height)
{
  g_autofree char *raw = g_strdup_printf ("%s.%" G_GINT64_FORMAT ".rgb", path, frame);
  g_autofree char *data = NULL;
  gsize length = 0;

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -vf 'select=eq(n\\,%" G_GINT64_FORMAT ")' -vsync 0 "
               "-frames:v 1 -pix_fmt rgb24 -f rawvideo '%s'", path, frame, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  g_assert_cmpuint (length, ==, (gsize) width * height * 3);
  return (guint8 *) g_steal_pointer (&data);
}

#define BURN_STYLE "size=0.07,box-opacity=0.6,box-color=#202080,highlight=#ffd700"

static AveSettings *
burn_style (void)
{
  AveSettings *s = ave_settings_new ();
  g_auto(GStrv) pairs = g_strsplit (BURN_STYLE, ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (pairs[i], "=", 2);
      const char *field = NULL;
      g_autofree char *message = NULL;

      g_assert_true (ave_settings_set_caption_style_key (s, kv[0], kv[1], &field, &message));
    }
  return s;
}

/* A shown word of a cue after its first, and the frame that shows it. */
static gboolean
find_word_frame (GArray *cues, GArray *words, double fps, guint *cue_index, int *word, gint64 *frame)
{
  for (guint c = 0; c < cues->len; c++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, c);
      gint64 start_ms, end_ms;

      ave_captions_cue_times_ms (cues, c, &start_ms, &end_ms);
      for (guint i = cue->first_word + 1; i < cue->first_word + cue->n_words; i++)
        {
          const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, i);
          gint64 f = (gint64) ceil ((w->start + 0.02) * fps);

          if (w->filler || f * 1000.0 / fps >= end_ms || ave_caption_word_at (cue, words, f / fps) != (int) i)
            continue;
          *cue_index = c;
          *word = (int) i;
          *frame = f;
          return TRUE;
        }
    }
  return FALSE;
}

/* The word being said is drawn in the highlight colour: two word times of
 * one cue give two pictures; without a highlight, one. */
static void
test_burn_highlight (void)
{
  AvePlan *plan_raw = NULL;
  g_autoptr(AveAnalysis) a = make_long_talk (&plan_raw);
  g_autoptr(AvePlan) plan = plan_raw;
  g_autoptr(GArray) words = ave_caption_words_map (a, plan);
  g_autoptr(GArray) cues = ave_captions_build (words, FPS, "en");
  g_autoptr(AveSettings) style = burn_style ();
  const AveCue *cue = &g_array_index (cues, AveCue, 0);
  const AveCaptionWord *second = NULL;
  int w1, w2;
  g_autofree guint8 *p1 = NULL, *p2 = NULL, *p3 = NULL;
  int stride, x[3], y[3], w[3], h[3];
  guint highlighted = 0;

  g_assert_cmpuint (cue->n_words, >=, 2);
  for (guint i = cue->first_word + 1; second == NULL && i < cue->first_word + cue->n_words; i++)
    if (!g_array_index (words, AveCaptionWord, i).filler)
      second = &g_array_index (words, AveCaptionWord, i);
  g_assert_nonnull (second);
  w1 = ave_caption_word_at (cue, words, cue->start + 0.01);
  w2 = ave_caption_word_at (cue, words, second->start + 0.01);
  g_assert_cmpint (w1, >=, 0);
  g_assert_cmpint (w2, >, w1);

  g_assert_true (ave_caption_render_rgba (cue, words, w1, style, 640, 360, &p1, &stride, &x[0], &y[0], &w[0], &h[0], NULL));
  g_assert_true (ave_caption_render_rgba (cue, words, w2, style, 640, 360, &p2, &stride, &x[1], &y[1], &w[1], &h[1], NULL));
  /* the box does not move while the highlight does */
  g_assert_cmpint (x[0], ==, x[1]);
  g_assert_cmpint (y[0], ==, y[1]);
  g_assert_cmpint (w[0], ==, w[1]);
  g_assert_cmpint (h[0], ==, h[1]);
  g_assert_true (x[0] % 2 == 0 && y[0] % 2 == 0 && w[0] % 2 == 0 && h[0] % 2 == 0);
  g_assert_cmpint (y[0] + h[0], <=, 360 - (int) (0.06 * 360) + 1);   /* the bottom margin */
  g_assert_cmpint (memcmp (p1, p2, (gsize) h[0] * stride), !=, 0);
  for (int i = 0; i < w[0] * h[0]; i++)
    if (p2[i * 4] > 230 && p2[i * 4 + 1] > 190 && p2[i * 4 + 1] < 230 && p2[i * 4 + 2] < 40)
      highlighted++;
  g_assert_cmpuint (highlighted, >, 20);

  /* with highlight=none the two word times look the same */
  g_clear_pointer (&style->caption_highlight, g_free);
  g_assert_true (ave_caption_render_rgba (cue, words, -1, style, 640, 360, &p3, &stride, &x[2], &y[2], &w[2], &h[2], NULL));
  g_assert_cmpint (memcmp (p1, p3, (gsize) h[0] * stride), !=, 0);

  /* top and middle positions move the box */
  {
    g_autofree guint8 *p4 = NULL;
    int x4, y4, w4, h4;
    const char *field;
    g_autofree char *message = NULL;

    g_assert_true (ave_settings_set_caption_style_key (style, "position", "top", &field, &message));
    g_assert_true (ave_caption_render_rgba (cue, words, -1, style, 640, 360, &p4, &stride, &x4, &y4, &w4, &h4, NULL));
    g_assert_cmpint (y4, ==, (int) lround (0.06 * 360) & ~1);
  }
}

/* --burn-captions: at a word's time the caption's box differs from the
 * render without captions, and nothing outside it does; fast mode says it
 * encoded every frame. */
static void
test_burn_captions (void)
{
  const char *talk = ave_test_sample ("captions-talk.mp4", 24, 320, 240);
  const char *plain_dir = processed_talk ();
  g_autofree char *dir = ave_test_path ("captions-burn");
  g_autofree char *fast_dir = ave_test_path ("captions-burn-fast");
  g_autofree char *plain = g_build_filename (plain_dir, "captions-talk", "final.mp4", NULL);
  g_autofree char *burned = g_build_filename (dir, "captions-talk", "final.mp4", NULL);
  g_autofree char *analysis_path = g_build_filename (dir, "captions-talk", "analysis.json", NULL);
  g_autofree char *plan_path = g_build_filename (dir, "captions-talk", "plan.json", NULL);
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAnalysis) a = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GArray) words = NULL;
  g_autoptr(GArray) cues = NULL;
  g_autoptr(AveSettings) style = burn_style ();
  g_autofree guint8 *with = NULL, *without = NULL, *box = NULL;
  double fps, inside = 0.0, outside = 0.0;
  guint n_inside = 0, n_outside = 0, cue_index = 0;
  int word = -1, stride, bx, by, bw, bh;
  gint64 frame = 0;
  const int ring = 16;   /* blocks the encoder shares with the box */

  ave_test_sh ("'%s' process --burn-captions --caption-style '" BURN_STYLE "' --type educational --quality fast "
               "--cache-dir '%s/cache' -o '%s' '%s' >/dev/null 2>&1", ave_test_binary (), ave_test_tmpdir (), dir, talk);
  a = ave_analysis_load (analysis_path, &error);
  g_assert_no_error (error);
  plan = ave_plan_load (plan_path, &error);
  g_assert_no_error (error);
  fps = ave_captions_frame_rate (a);
  words = ave_caption_words_map (a, plan);
  cues = ave_captions_build (words, fps, ave_analysis_get_language (a));
  g_assert_true (find_word_frame (cues, words, fps, &cue_index, &word, &frame));
  g_assert_true (ave_caption_render_rgba (&g_array_index (cues, AveCue, cue_index), words, word, style, 320, 240,
                                          &box, &stride, &bx, &by, &bw, &bh, NULL));

  with = decode_rgb_frame (burned, frame, 320, 240);
  without = decode_rgb_frame (plain, frame, 320, 240);
  for (int y = 0; y < 240; y++)
    for (int x = 0; x < 320; x++)
      {
        double d = 0.0;

        for (int k = 0; k < 3; k++)
          d += abs ((int) with[(y * 320 + x) * 3 + k] - (int) without[(y * 320 + x) * 3 + k]) / 3.0;
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
  outside /= MAX (n_outside, 1);
  g_test_message ("frame %" G_GINT64_FORMAT ": inside the caption %.2f, outside %.2f", frame, inside, outside);
  g_assert_cmpuint (n_outside, >, 320 * 240 / 4);
  g_assert_cmpfloat (inside, >, 15.0);
  g_assert_cmpfloat (outside, <, 1.5);
  ave_test_assert_decodes_cleanly (burned);

  /* Fast mode cannot copy pictures it draws on, and says what it cost. */
  log = ave_test_sh_output ("'%s' process --burn-captions --mode fast --type educational --quality fast "
                            "--cache-dir '%s/cache' -o '%s' '%s' 2>&1", ave_test_binary (), ave_test_tmpdir (),
                            fast_dir, talk);
  g_assert_true (g_regex_match_simple ("fast mode encoded all [0-9]+ frames instead of smart cutting: "
                                       "burned captions are drawn on [1-9][0-9]* of them", log, 0, 0));
  g_assert_null (strstr (log, "smart cut copied"));
}

/* The style from flags and the YAML captions: section, with sources; a
 * bad value is a usage error that names the key. */
static void
test_caption_style_options (void)
{
  const char *talk = ave_test_sample ("captions-talk.mp4", 24, 320, 240);
  g_autofree char *config = write_text ("captions.yaml",
                                        "output:\n  burn_captions: true\n"
                                        "captions:\n  size: 0.08\n  highlight: yellow\n  position: top\n");
  g_autofree char *settings = NULL;
  g_autofree char *err = NULL;

  settings = ave_test_sh_output ("'%s' settings --embed-subtitles --caption-style 'font=Serif Italic,outline-width=0'",
                                 ave_test_binary ());
  g_assert_true (g_regex_match_simple ("^embed_subtitles +true +flag \\(--embed-subtitles\\)$", settings, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^caption_font +Serif Italic +flag \\(--caption-style\\)$", settings, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^caption_outline_width +0 +flag", settings, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^caption_size +0.055 +default$", settings, G_REGEX_MULTILINE, 0));
  g_clear_pointer (&settings, g_free);

  settings = ave_test_sh_output ("'%s' --config '%s' settings", ave_test_binary (), config);
  g_assert_true (g_regex_match_simple ("^burn_captions +true +config \\(.*captions.yaml:2\\)$", settings, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^caption_size +0.08 +config \\(.*captions.yaml:4\\)$", settings, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^caption_highlight +#ffff00 +config", settings, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^caption_position +top +config", settings, G_REGEX_MULTILINE, 0));
  g_clear_pointer (&settings, g_free);

  /* a flag wins over the file */
  settings = ave_test_sh_output ("'%s' --config '%s' settings --caption-style size=0.04", ave_test_binary (), config);
  g_assert_true (g_regex_match_simple ("^caption_size +0.04 +flag", settings, G_REGEX_MULTILINE, 0));

  g_assert_cmpint (ave_test_sh_status (NULL, &err, "'%s' process --caption-style size=2 '%s'",
                                       ave_test_binary (), talk), ==, 2);
  g_assert_nonnull (strstr (err, "size"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ave_test_sh_status (NULL, &err, "'%s' process --caption-style colour=red '%s'",
                                       ave_test_binary (), talk), ==, 2);
  g_assert_nonnull (strstr (err, "colour"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ave_test_sh_status (NULL, &err, "'%s' process --caption-style highlight=sparkly '%s'",
                                       ave_test_binary (), talk), ==, 2);
  g_assert_nonnull (strstr (err, "highlight"));
}

static void
test_transcript_command (void)
{
  const char *dir = processed_talk ();
  g_autofree char *analysis_path = g_build_filename (dir, "captions-talk", "analysis.json", NULL);
  g_autofree char *srt_path = g_build_filename (dir, "captions-talk", "final.srt", NULL);
  g_autofree char *final_srt = NULL;
  g_autofree char *txt = NULL, *source_txt = NULL, *srt = NULL, *vtt = NULL, *json = NULL, *source_json = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) source_root = NULL;
  JsonArray *words, *source_words;
  double shifted = 0;

  g_assert_true (g_file_get_contents (srt_path, &final_srt, NULL, NULL));
  txt = ave_test_sh_output ("'%s' transcript '%s' 2>/dev/null", ave_test_binary (), analysis_path);
  source_txt = ave_test_sh_output ("'%s' transcript --source-times '%s' 2>/dev/null", ave_test_binary (), analysis_path);
  srt = ave_test_sh_output ("'%s' transcript --format srt '%s' 2>/dev/null", ave_test_binary (), analysis_path);
  vtt = ave_test_sh_output ("'%s' transcript --format vtt '%s' 2>/dev/null", ave_test_binary (), analysis_path);
  json = ave_test_sh_output ("'%s' transcript --format json '%s' 2>/dev/null", ave_test_binary (), analysis_path);
  source_json = ave_test_sh_output ("'%s' transcript --format json --source-times '%s' 2>/dev/null",
                                    ave_test_binary (), analysis_path);

  /* With the plan beside it, the transcript is timed like final.srt. */
  g_assert_cmpstr (srt, ==, final_srt);
  g_assert_true (g_str_has_prefix (vtt, "WEBVTT\n\n"));
  g_assert_true (g_str_has_prefix (txt, "[00:00:"));
  g_assert_cmpstr (txt, !=, source_txt);

  root = json_from_string (json, NULL);
  source_root = json_from_string (source_json, NULL);
  g_assert_nonnull (root);
  g_assert_nonnull (source_root);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "times"), ==, "output");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (source_root), "times"), ==, "source");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "language"), ==, "en");
  words = json_object_get_array_member (json_node_get_object (root), "words");
  source_words = json_object_get_array_member (json_node_get_object (source_root), "words");
  g_assert_cmpuint (json_array_get_length (words), <, json_array_get_length (source_words));
  for (guint i = 0; i < json_array_get_length (source_words); i++)
    {
      JsonObject *w = json_array_get_object_element (source_words, i);

      g_assert_cmpfloat (json_object_get_double_member (w, "start"), ==,
                         json_object_get_double_member (w, "source_start"));
    }
  for (guint i = 0; i < json_array_get_length (words); i++)
    {
      JsonObject *w = json_array_get_object_element (words, i);

      shifted = MAX (shifted, json_object_get_double_member (w, "source_start") -
                              json_object_get_double_member (w, "start"));
    }
  g_assert_cmpfloat (shifted, >, 0.5);   /* the cut pauses moved later words earlier */

  /* A video input reuses the analysis.json under -o (it is newer). */
  {
    const char *talk = ave_test_sample ("captions-talk.mp4", 24, 320, 240);
    g_autofree char *from_video = ave_test_sh_output ("'%s' transcript --format srt -o '%s' '%s' 2>/dev/null",
                                                      ave_test_binary (), dir, talk);

    g_assert_cmpstr (from_video, ==, final_srt);
  }

  g_assert_cmpint (ave_test_sh_status (NULL, NULL, "'%s' transcript --format doc '%s' 2>/dev/null",
                                       ave_test_binary (), analysis_path), ==, 2);
  g_assert_cmpint (ave_test_sh_status (NULL, NULL, "'%s' transcript --source-times --plan x.json '%s' 2>/dev/null",
                                       ave_test_binary (), analysis_path), ==, 2);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/captions/mapping", test_mapping);
  g_test_add_func ("/engine/captions/rules", test_rules);
  g_test_add_func ("/engine/captions/cue-at", test_cue_at);
  g_test_add_func ("/engine/captions/utf8", test_utf8);
  g_test_add_func ("/engine/captions/ffmpeg-parses", test_ffmpeg_parses);
  g_test_add_func ("/engine/captions/language", test_language);
  g_test_add_func ("/engine/captions/process", test_process_writes_subtitles);
  g_test_add_func ("/engine/captions/subtitles-option", test_subtitles_option);
  g_test_add_func ("/engine/captions/iso639", test_iso639);
  g_test_add_func ("/engine/captions/embed", test_embed_subtitles);
  g_test_add_func ("/engine/captions/burn-highlight", test_burn_highlight);
  g_test_add_func ("/engine/captions/burn", test_burn_captions);
  g_test_add_func ("/engine/captions/style-options", test_caption_style_options);
  g_test_add_func ("/cli/transcript", test_transcript_command);
  return g_test_run ();
}
