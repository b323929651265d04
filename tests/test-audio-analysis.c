/* test-audio-analysis.c — silences, speech, loudness, transcript and
 * fillers, beats, and bounded memory, on audio generated with sox,
 * espeak-ng and ffmpeg whose truth is known. */
#define G_LOG_DOMAIN "ave-test-audio-analysis"

#include "config.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <json-glib/json-glib.h>

#include "core/ave-error.h"
#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"
#include "analysis/ave-audio-analyzer.h"
#include "analysis/ave-transcriber.h"
#include "ave-test-util.h"
#include "ave-test-sanitizer.h"

#define RATE AVE_ANALYSIS_SAMPLE_RATE

/* ------------------------------------------------------------ helpers */

/* Decodes `input` into the two streams the media reader hands the
 * analyzer: mono 16 kHz float, and float at the given native layout. */
static void
decode_raw (const char *input,
            int         channels,
            int         rate,
            char      **mono_path,
            char      **native_path)
{
  g_autofree char *base = g_path_get_basename (input);

  *mono_path = ave_test_path (base);
  *native_path = g_strconcat (*mono_path, ".native.f32", NULL);
  {
    char *tmp = g_strconcat (*mono_path, ".mono.f32", NULL);
    g_free (*mono_path);
    *mono_path = tmp;
  }
  ave_test_sh ("ffmpeg -nostdin -loglevel error -y -i '%s' "
               "-f f32le -ac 1 -ar %d '%s' -f f32le -ac %d -ar %d '%s'",
               input, RATE, *mono_path, channels, rate, *native_path);
}

/* Feeds the two raw streams to an analyzer in chunks of an odd size (so
 * chunks and 10 ms windows do not line up) and returns the result. */
static AveAnalysis *
analyze_raw (const AveSettings *settings,
             const char        *mono_path,
             const char        *native_path,
             int                channels,
             int                rate)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveAudioAnalyzer) analyzer = NULL;
  g_autofree char *mono = NULL;
  g_autofree char *native = NULL;
  gsize mono_len = 0, native_len = 0;
  AveAnalysis *analysis;
  gsize n_mono, n_frames;
  const gsize step = 1003;

  g_assert_true (g_file_get_contents (mono_path, &mono, &mono_len, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (native_path, &native, &native_len, &error));
  g_assert_no_error (error);
  n_mono = mono_len / sizeof (float);
  n_frames = native_len / (sizeof (float) * channels);
  g_assert_cmpuint (n_mono, >, 0);

  analyzer = ave_audio_analyzer_new (settings, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (analyzer);

  for (gsize off = 0; off < n_mono; off += step)
    {
      gsize n = MIN (step, n_mono - off);
      gsize f0 = (gsize) ((guint64) off * rate / RATE);
      gsize f1 = off + n >= n_mono ? n_frames : (gsize) ((guint64) (off + n) * rate / RATE);
      AveAudioChunk chunk = {
        .pts = (double) off / RATE,
        .mono = (const float *) mono + off,
        .n_mono = n,
        .native = (const float *) native + f0 * channels,
        .n_native_frames = MIN (f1, n_frames) - MIN (f0, n_frames),
        .native_channels = channels,
        .native_rate = rate,
      };
      g_assert_true (ave_audio_analyzer_push (analyzer, &chunk, &error));
      g_assert_no_error (error);
    }

  analysis = ave_analysis_new (mono_path, NULL);
  g_assert_true (ave_audio_analyzer_finish (analyzer, analysis, NULL, &error));
  g_assert_no_error (error);
  return analysis;
}

static AveAnalysis *
analyze_file (const AveSettings *settings,
              const char        *input,
              int                channels,
              int                rate)
{
  g_autofree char *mono = NULL;
  g_autofree char *native = NULL;

  decode_raw (input, channels, rate, &mono, &native);
  return analyze_raw (settings, mono, native, channels, rate);
}

static double
sox_duration (const char *path)
{
  g_autofree char *out = ave_test_sh_output ("soxi -D '%s'", path);
  return g_ascii_strtod (out, NULL);
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static gsize
rss_bytes (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return (gsize) g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10) * 1024;
}

static void
print_intervals (const char *what,
                 GArray     *intervals)
{
  for (guint i = 0; i < intervals->len; i++)
    {
      AveInterval *iv = &g_array_index (intervals, AveInterval, i);
      g_test_message ("%s %u: %.3f – %.3f", what, i, iv->start, iv->end);
    }
}

static void
assert_intervals_near (GArray            *got,
                       const AveInterval *want,
                       guint              n_want,
                       double             tolerance)
{
  g_assert_cmpuint (got->len, ==, n_want);
  for (guint i = 0; i < n_want; i++)
    {
      AveInterval *iv = &g_array_index (got, AveInterval, i);
      g_assert_cmpfloat_with_epsilon (iv->start, want[i].start, tolerance);
      g_assert_cmpfloat_with_epsilon (iv->end, want[i].end, tolerance);
    }
}

/* ------------------------------------------------------------ silences */

/* Tones and a spoken phrase separated by gaps of 0.2, 0.5 and 1.2 s, a
 * 1.0 s gap with a 40 ms click in the middle, and 0.6 s of trailing
 * silence.  With silences of at least 0.35 s: the 0.2 s gap is speech,
 * the click does not split its gap, and the tail counts. */
static void
test_silences (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autofree char *speech = ave_test_path ("phrase.wav");
  g_autofree char *input = ave_test_path ("gaps.wav");
  double phrase, t;
  AveInterval want_silences[4];
  AveInterval want_speech[4];

  ave_test_sh ("cd '%s' && "
               "espeak-ng -s 160 -w raw.wav 'the quick brown fox jumps over the lazy dog' && "
               "sox raw.wav -r 48000 -c 2 -b 16 '%s' silence 1 0.01 0.5%% reverse silence 1 0.01 0.5%% reverse && "
               "sox -n -r 48000 -c 2 -b 16 tone1.wav synth 1.0 sine 440 vol 0.4 && "
               "sox -n -r 48000 -c 2 -b 16 tone2.wav synth 0.8 sine 660 vol 0.4 && "
               "sox -n -r 48000 -c 2 -b 16 tone3.wav synth 0.7 square 220 vol 0.2 && "
               "sox -n -r 48000 -c 2 -b 16 tone4.wav synth 0.9 sine 330 vol 0.3 && "
               "sox -n -r 48000 -c 2 -b 16 click.wav synth 0.04 sine 2000 vol 0.5 && "
               "sox -n -r 48000 -c 2 -b 16 g02.wav trim 0 0.2 && "
               "sox -n -r 48000 -c 2 -b 16 g05.wav trim 0 0.5 && "
               "sox -n -r 48000 -c 2 -b 16 g12.wav trim 0 1.2 && "
               "sox -n -r 48000 -c 2 -b 16 g048.wav trim 0 0.48 && "
               "sox -n -r 48000 -c 2 -b 16 g06.wav trim 0 0.6 && "
               "sox tone1.wav g02.wav tone2.wav g05.wav '%s' g12.wav tone3.wav "
               "g048.wav click.wav g048.wav tone4.wav g06.wav '%s'",
               ave_test_tmpdir (), speech, speech, input);

  phrase = sox_duration (speech);
  /* tone1 0.2 tone2 | 0.5 | phrase | 1.2 | tone3 | 0.48 click 0.48 | tone4 | 0.6 */
  t = 1.0 + 0.2 + 0.8;
  want_speech[0] = (AveInterval) { 0, t };
  want_silences[0] = (AveInterval) { t, t + 0.5 };
  t += 0.5;
  want_speech[1] = (AveInterval) { t, t + phrase };
  t += phrase;
  want_silences[1] = (AveInterval) { t, t + 1.2 };
  t += 1.2;
  want_speech[2] = (AveInterval) { t, t + 0.7 };
  t += 0.7;
  want_silences[2] = (AveInterval) { t, t + 0.48 + 0.04 + 0.48 };
  t += 1.0;
  want_speech[3] = (AveInterval) { t, t + 0.9 };
  t += 0.9;
  want_silences[3] = (AveInterval) { t, t + 0.6 };

  settings->transcribe = FALSE;
  settings->detect_beats = FALSE;
  g_assert_cmpfloat (settings->silence_min_duration, ==, 0.35);
  analysis = analyze_file (settings, input, 2, 48000);

  print_intervals ("silence", analysis->silences);
  print_intervals ("speech", analysis->speech);
  assert_intervals_near (analysis->silences, want_silences, G_N_ELEMENTS (want_silences), 0.05);
  assert_intervals_near (analysis->speech, want_speech, G_N_ELEMENTS (want_speech), 0.05);
  g_assert_null (analysis->transcriber);
  g_assert_cmpuint (analysis->words->len, ==, 0);
  g_assert_cmpuint (analysis->beats->len, ==, 0);

  /* A longer minimum turns the 0.5 s gap into speech too. */
  settings->silence_min_duration = 0.55;
  g_clear_pointer (&analysis, ave_analysis_unref);
  analysis = analyze_file (settings, input, 2, 48000);
  print_intervals ("silence(0.55)", analysis->silences);
  g_assert_cmpuint (analysis->silences->len, ==, 3);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->silences, AveInterval, 0).start,
                                  want_silences[1].start, 0.05);
  g_assert_cmpuint (analysis->speech->len, ==, 3);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->speech, AveInterval, 0).end,
                                  want_speech[1].end, 0.05);
}

/* ------------------------------------------------------------ loudness */

static void
measure_sine (int          channels,
              double       dbfs,
              AveLoudness *out)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autofree char *name = g_strdup_printf ("sine-%dch-%g.wav", channels, -dbfs);
  g_autofree char *path = ave_test_path (name);

  /* Float output: no dither, the amplitude is exactly 10^(dBFS/20). */
  ave_test_sh ("sox -n -r 48000 -c %d -b 32 -e floating-point '%s' synth 10 sine 1000 vol %gdB",
               channels, path, dbfs);
  settings->transcribe = FALSE;
  analysis = analyze_file (settings, path, channels, 48000);
  *out = analysis->loudness;
  g_test_message ("%d ch sine at %g dBFS: %.2f LUFS, LRA %.2f, TP %.2f dBTP, SP %.2f dBFS",
                  channels, dbfs, out->integrated_lufs, out->loudness_range,
                  out->true_peak_dbtp, out->sample_peak_dbfs);
}

/* EBU R128: L = -0.691 + 10 log10 (sum over channels of the K-weighted
 * mean square).  The K filter's gain at 1 kHz is +0.691 dB, so a sine of
 * peak amplitude A gives A²/2 per channel: stereo at A = -23 dBFS reads
 * -23 LUFS (EBU Tech 3341, case 1), stereo at -20 dBFS reads -20 LUFS,
 * and mono at -20 dBFS reads 3 dB less, -23 LUFS. */
static void
test_loudness (void)
{
  AveLoudness l;
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autofree char *silent = ave_test_path ("silent.wav");

  measure_sine (2, -23, &l);
  g_assert_cmpfloat_with_epsilon (l.integrated_lufs, -23.0, 0.5);
  g_assert_cmpfloat_with_epsilon (l.sample_peak_dbfs, -23.0, 0.1);
  g_assert_cmpfloat_with_epsilon (l.true_peak_dbtp, -23.0, 0.3);
  g_assert_cmpfloat (l.loudness_range, <, 1.0);

  measure_sine (2, -20, &l);
  g_assert_cmpfloat_with_epsilon (l.integrated_lufs, -20.0, 0.5);
  g_assert_cmpfloat_with_epsilon (l.sample_peak_dbfs, -20.0, 0.1);

  measure_sine (1, -20, &l);
  g_assert_cmpfloat_with_epsilon (l.integrated_lufs, -23.0, 0.5);

  /* Digital silence: -70, not -inf (which JSON cannot hold). */
  ave_test_sh ("sox -n -r 44100 -c 2 -b 16 '%s' trim 0 3", silent);
  settings->transcribe = FALSE;
  analysis = analyze_file (settings, silent, 2, 44100);
  g_assert_cmpfloat (analysis->loudness.integrated_lufs, ==, -70.0);
  g_assert_cmpfloat (analysis->loudness.true_peak_dbtp, ==, -70.0);
  g_assert_cmpfloat (analysis->loudness.sample_peak_dbfs, ==, -70.0);
  g_assert_cmpfloat (analysis->loudness.loudness_range, ==, 0.0);
  /* and it is one silence, no speech */
  g_assert_cmpuint (analysis->silences->len, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->silences, AveInterval, 0).start, 0, 0.001);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->silences, AveInterval, 0).end, 3.0, 0.01);
  g_assert_cmpuint (analysis->speech->len, ==, 0);
}

/* ------------------------------------------------------------- fillers */

static JsonObject *
load_truth (const char *sample, JsonParser **parser_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strconcat (sample, ".truth.json", NULL);
  JsonParser *parser = json_parser_new ();

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  *parser_out = parser;
  return json_node_get_object (json_parser_get_root (parser));
}

/* The sample talk: espeak-ng sentences with "um" and "uh" between them,
 * encoded to AAC in an MP4, read back at 48 kHz stereo. */
static void
test_fillers (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(JsonParser) parser = NULL;
  const char *sample = ave_test_sample ("talk.mp4", 60, 320, 180);
  JsonObject *truth = load_truth (sample, &parser);
  JsonArray *fillers = json_object_get_array_member (truth, "fillers");
  JsonArray *sentences = json_object_get_array_member (truth, "sentences");
  JsonArray *pauses = json_object_get_array_member (truth, "pauses");
  guint n_inside = 0, n_ordinary = 0, n_false_fillers = 0, n_long_pauses = 0;
  double cpu0;

  g_assert_cmpuint (json_array_get_length (fillers), >=, 3);

  cpu0 = cpu_seconds ();
  analysis = analyze_file (settings, sample, 2, 48000);
  g_test_message ("transcribing the 60 s talk took %.2f s of CPU", cpu_seconds () - cpu0);

  g_assert_cmpstr (analysis->transcriber, ==, "pocketsphinx 5prealpha en-us");
  for (guint i = 0; i < analysis->words->len; i++)
    {
      AveWord *w = &g_array_index (analysis->words, AveWord, i);
      g_test_message ("%7.2f %7.2f %.2f %s%s", w->start, w->end, w->confidence,
                      w->word, w->filler ? " (filler)" : "");
      g_assert_cmpfloat (w->end, >, w->start);
      g_assert_cmpfloat (w->confidence, >=, 0);
      g_assert_cmpfloat (w->confidence, <=, 1);
      g_assert_null (strchr (w->word, '('));
      g_assert_cmpint (w->word[0], !=, '<');
      g_assert_cmpint (w->word[0], !=, '[');
      {
        g_autofree char *lower = g_utf8_strdown (w->word, -1);
        g_assert_cmpstr (lower, ==, w->word);
      }
      g_assert_cmpint (w->filler, ==, ave_settings_is_filler_word (settings, w->word));
      if (i > 0)
        g_assert_cmpfloat (w->start, >=, g_array_index (analysis->words, AveWord, i - 1).start);
    }

  /* Every spoken filler is found as a filler at its time. */
  for (guint f = 0; f < json_array_get_length (fillers); f++)
    {
      JsonObject *want = json_array_get_object_element (fillers, f);
      double start = json_object_get_double_member (want, "start");
      double end = json_object_get_double_member (want, "end");
      gboolean found = FALSE;

      for (guint i = 0; i < analysis->words->len && !found; i++)
        {
          AveWord *w = &g_array_index (analysis->words, AveWord, i);
          found = w->filler && fabs (w->start - start) <= 0.15 && fabs (w->end - end) <= 0.15;
        }
      g_test_message ("filler “%s” at %.2f – %.2f: %s",
                      json_object_get_string_member (want, "word"), start, end,
                      found ? "found" : "MISSING");
      g_assert_true (found);
    }

  /* Ordinary words: there are many, and they lie inside the sentences. */
  for (guint i = 0; i < analysis->words->len; i++)
    {
      AveWord *w = &g_array_index (analysis->words, AveWord, i);
      double mid = (w->start + w->end) / 2;
      gboolean inside = FALSE, near_filler = FALSE;

      for (guint s = 0; s < json_array_get_length (sentences); s++)
        {
          JsonObject *sentence = json_array_get_object_element (sentences, s);
          inside |= mid >= json_object_get_double_member (sentence, "start") - 0.05 &&
                    mid <= json_object_get_double_member (sentence, "end") + 0.05;
        }
      for (guint f = 0; f < json_array_get_length (fillers); f++)
        {
          JsonObject *filler = json_array_get_object_element (fillers, f);
          near_filler |= mid >= json_object_get_double_member (filler, "start") - 0.1 &&
                         mid <= json_object_get_double_member (filler, "end") + 0.1;
        }
      if (w->filler && !near_filler)
        n_false_fillers++;
      if (!w->filler)
        {
          n_ordinary++;
          n_inside += inside;
        }
    }
  g_test_message ("%u ordinary words, %u inside sentences; %u fillers outside the truth",
                  n_ordinary, n_inside, n_false_fillers);
  g_assert_cmpuint (n_ordinary, >=, 5 * json_array_get_length (sentences));
  g_assert_cmpfloat ((double) n_inside / n_ordinary, >=, 0.9);
  /* espeak-ng is far from a real voice; a few hesitations may be heard
   * in it, but not one per sentence. */
  g_assert_cmpuint (n_false_fillers, <, json_array_get_length (sentences) / 2 + 1);

  /* Silences on real speech: each pause of at least silence_min_duration
   * is found (±50 ms), the shorter ones are not.  Pauses that touch (the
   * one after the last sentence and the padding to the end) are one. */
  print_intervals ("silence", analysis->silences);
  {
    g_autoptr(GArray) merged = g_array_new (FALSE, FALSE, sizeof (AveInterval));

    for (guint p = 0; p < json_array_get_length (pauses); p++)
      {
        JsonObject *pause = json_array_get_object_element (pauses, p);
        AveInterval iv = { json_object_get_double_member (pause, "start"),
                           json_object_get_double_member (pause, "end") };

        if (merged->len > 0 &&
            iv.start <= g_array_index (merged, AveInterval, merged->len - 1).end + 0.001)
          g_array_index (merged, AveInterval, merged->len - 1).end = iv.end;
        else
          g_array_append_val (merged, iv);
      }
    for (guint p = 0; p < merged->len; p++)
      {
        AveInterval *want = &g_array_index (merged, AveInterval, p);
        gboolean found = FALSE;

        if (want->end - want->start < settings->silence_min_duration)
          continue;
        n_long_pauses++;
        for (guint i = 0; i < analysis->silences->len && !found; i++)
          {
            AveInterval *iv = &g_array_index (analysis->silences, AveInterval, i);
            found = fabs (iv->start - want->start) <= 0.05 && fabs (iv->end - want->end) <= 0.05;
          }
        g_test_message ("pause %.2f – %.2f: %s", want->start, want->end, found ? "found" : "MISSING");
        g_assert_true (found);
      }
  }
  g_assert_cmpuint (analysis->silences->len, ==, n_long_pauses);
}

/* ----------------------------------------------------------- long speech */

/* A minute of speech with no pause long enough to be a silence: the
 * analyzer must cut it into bounded utterances (at most 20 s), lose no
 * audio at the cuts, and run on two transcription threads.  Reports the
 * CPU time it takes to transcribe 60 s of speech. */
static void
test_long_speech (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autofree char *input = ave_test_path ("minute.wav");
  const char *sentences[] = {
    "Welcome to this short talk about editing video automatically",
    "Today we will look at how silences and filler words are found",
    "The editor listens to the speech and watches every shot",
    "A good edit keeps the ideas and removes the waiting",
    "Loudness is measured and brought to a common level",
    "Thumbnails are chosen from the sharpest and brightest frames",
    "Chapters follow the topics of the transcript",
    "Thank you for watching this demonstration",
  };
  g_autoptr(GString) script = g_string_new (NULL);
  guint buckets[6] = { 0 };
  double duration, cpu0, cpu;
  gsize rss0;

  g_string_append_printf (script, "cd '%s' && sox -n -r 16000 -c 1 -b 16 gap.wav trim 0 0.15 && parts='' && ",
                          ave_test_tmpdir ());
  for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
    g_string_append_printf (script,
                            "espeak-ng -s 150 -w raw.wav '%s' && "
                            "sox raw.wav -r 16000 -c 1 -b 16 s%u.wav silence 1 0.01 0.5%% reverse silence 1 0.01 0.5%% reverse && "
                            "parts=\"$parts s%u.wav gap.wav\" && ",
                            sentences[i], i, i);
  /* repeated until a minute */
  g_string_append_printf (script, "sox $parts $parts $parts once.wav && sox once.wav '%s' trim 0 60", input);
  ave_test_sh ("%s", script->str);
  duration = sox_duration (input);
  g_assert_cmpfloat_with_epsilon (duration, 60.0, 0.01);

  settings->n_workers = 6;   /* two transcription threads */
  settings->quality = AVE_QUALITY_MEDIUM;
  rss0 = rss_bytes ();
  cpu0 = cpu_seconds ();
  analysis = analyze_file (settings, input, 1, 16000);
  cpu = cpu_seconds () - cpu0;
  g_test_message ("transcribing 60 s of continuous speech took %.2f s of CPU (%.2fx real time); "
                  "RSS grew by %.1f MB", cpu, cpu / 60.0, (rss_bytes () - (double) rss0) / 1e6);
  if (g_test_verbose ())
    g_printerr ("# 60 s of speech: %.2f s CPU\n", cpu);

  print_intervals ("silence", analysis->silences);
  print_intervals ("speech", analysis->speech);
  /* One speech interval over the whole minute (espeak's own gaps are
   * shorter than 0.35 s). */
  g_assert_cmpuint (analysis->speech->len, ==, 1);
  g_assert_cmpfloat (g_array_index (analysis->speech, AveInterval, 0).start, <, 0.1);
  g_assert_cmpfloat (g_array_index (analysis->speech, AveInterval, 0).end, >, 59.5);

  /* Words everywhere, in order, not repeated where utterances were cut. */
  for (guint i = 0; i < analysis->words->len; i++)
    {
      AveWord *w = &g_array_index (analysis->words, AveWord, i);
      buckets[MIN (5, (guint) (w->start / 10))]++;
      if (i > 0)
        g_assert_cmpfloat (w->start, >=, g_array_index (analysis->words, AveWord, i - 1).end - 0.011);
    }
  for (guint b = 0; b < G_N_ELEMENTS (buckets); b++)
    {
      g_test_message ("words in %u–%u s: %u", b * 10, b * 10 + 10, buckets[b]);
      g_assert_cmpuint (buckets[b], >=, 12);
    }
}

/* --------------------------------------------------------------- beats */

/* A click track at 120 BPM: a 30 ms 1 kHz burst every 0.5 s. */
static void
test_beats (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autofree char *input = ave_test_path ("clicks.wav");
  guint n_checked = 0;

  ave_test_sh ("cd '%s' && sox -n -r 44100 -c 2 -b 16 click1.wav synth 0.03 sine 1000 vol 0.7 fade 0 0.03 0.01 pad 0 0.47 && "
               "sox click1.wav '%s' repeat 39", ave_test_tmpdir (), input);
  g_assert_cmpfloat_with_epsilon (sox_duration (input), 20.0, 0.01);

  settings->transcribe = FALSE;
  settings->detect_beats = TRUE;
  analysis = analyze_file (settings, input, 2, 44100);


  for (guint i = 0; i < analysis->beats->len; i++)
    {
      double t = g_array_index (analysis->beats, double, i);
      double nearest = round (t / 0.5) * 0.5;

      g_test_message ("beat %.3f (%+.3f)", t, t - nearest);
      if (i > 0)
        g_assert_cmpfloat (t, >, g_array_index (analysis->beats, double, i - 1));
      /* the tracker needs a few seconds to lock on */
      if (t < 4.0)
        continue;
      g_assert_cmpfloat (fabs (t - nearest), <=, 0.05);
      n_checked++;
    }
  g_test_message ("tempo %.2f BPM, %u beats", analysis->tempo_bpm, analysis->beats->len);
  g_assert_cmpfloat_with_epsilon (analysis->tempo_bpm, 120.0, 2.0);
  /* 32 clicks after 4 s; allow the tracker to miss a few */
  g_assert_cmpuint (n_checked, >=, 28);

  /* Without detect_beats there are none. */
  settings->detect_beats = FALSE;
  g_clear_pointer (&analysis, ave_analysis_unref);
  analysis = analyze_file (settings, input, 2, 44100);
  g_assert_cmpuint (analysis->beats->len, ==, 0);
  g_assert_cmpfloat (analysis->tempo_bpm, ==, 0.0);
}

/* -------------------------------------------------------- bounded memory */

/* Ten minutes of synthetic audio, made and fed chunk by chunk so that only
 * the analyzer can hold memory: every minute, 22 s of a 1 kHz tone and
 * 38 s of silence.  Each tone is longer than an utterance may be, so the
 * transcription buffer must be cut; RSS after loading the model grows by
 * less than 30 MB.  (A pure tone keeps the recogniser quick.) */
static double
synthetic_sample (double t)
{
  if (fmod (t, 60.0) >= 22.0)
    return 0.0;
  return 0.3 * sin (2 * G_PI * 1000 * t);
}

static void
test_bounded_memory (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AveAudioAnalyzer) analyzer = NULL;
  g_autoptr(GError) error = NULL;
  const int native_rate = 48000, channels = 2;
  const gsize chunk_mono = 1024;
  const gsize total_mono = 600 * RATE;
  g_autofree float *mono = g_new (float, chunk_mono);
  g_autofree float *native = g_new (float, (chunk_mono * 3 + 3) * channels);
  gsize rss_before, rss_peak = 0;
  guint64 native_done = 0;
  double cpu0 = cpu_seconds ();

  settings->transcribe = TRUE;
  settings->detect_beats = TRUE;
  settings->quality = AVE_QUALITY_FAST;
  analyzer = ave_audio_analyzer_new (settings, NULL, &error);
  g_assert_no_error (error);

  /* The model loads beside the first minutes (the analyzer does not wait
   * for it); by the fourth minute the first utterances have been decoded
   * with it, so the growth from there on is the analysis's own. */
  rss_before = 0;
  for (gsize off = 0; off < total_mono; off += chunk_mono)
    {
      gsize n = MIN (chunk_mono, total_mono - off);
      guint64 native_end = (guint64) (off + n) * native_rate / RATE;
      gsize n_native = native_end - native_done;
      AveAudioChunk chunk;

      for (gsize i = 0; i < n; i++)
        mono[i] = synthetic_sample ((double) (off + i) / RATE);
      for (gsize i = 0; i < n_native; i++)
        {
          float s = synthetic_sample ((double) (native_done + i) / native_rate);
          native[2 * i] = s;
          native[2 * i + 1] = s;
        }
      chunk = (AveAudioChunk) {
        .pts = (double) off / RATE,
        .mono = mono, .n_mono = n,
        .native = native, .n_native_frames = n_native,
        .native_channels = channels, .native_rate = native_rate,
      };
      native_done = native_end;
      g_assert_true (ave_audio_analyzer_push (analyzer, &chunk, &error));
      g_assert_no_error (error);
      if (rss_before == 0 && off >= 3 * 60 * RATE)
        rss_before = rss_bytes ();
      if (off % (10 * RATE) < chunk_mono)
        rss_peak = MAX (rss_peak, rss_bytes ());
    }

  analysis = ave_analysis_new ("synthetic", NULL);
  g_assert_true (ave_audio_analyzer_finish (analyzer, analysis, NULL, &error));
  g_assert_no_error (error);
  rss_peak = MAX (rss_peak, rss_bytes ());

  g_test_message ("10 minutes: RSS grew by %.1f MB after the first three; %.1f s of CPU; %u words",
                  (rss_peak - (double) rss_before) / 1e6, cpu_seconds () - cpu0,
                  analysis->words->len);
  if (!AVE_TEST_ASAN)
    g_assert_cmpfloat ((double) rss_peak - (double) rss_before, <, 30e6);
  g_assert_cmpuint (analysis->silences->len, ==, 10);
  g_assert_cmpuint (analysis->speech->len, ==, 10);
  for (guint i = 0; i < analysis->silences->len; i++)
    {
      AveInterval *iv = &g_array_index (analysis->silences, AveInterval, i);
      g_assert_cmpfloat_with_epsilon (iv->start, 60.0 * i + 22.0, 0.02);
      g_assert_cmpfloat_with_epsilon (iv->end, 60.0 * i + 60.0, 0.02);
    }
  /* A 1 kHz sine of amplitude 0.3 in stereo, silences gated out:
   * 10 log10 (2 × 0.3² / 2) = -10.5 LUFS. */
  g_assert_cmpfloat_with_epsilon (analysis->loudness.integrated_lufs, -10.5, 0.5);
  g_assert_nonnull (analysis->transcriber);
}

/* ------------------------------------------------------- stream quirks */

/* A hole in the timestamps is silence on the analysis clock; a chunk
 * without native audio is measured on the mono stream. */
static void
test_gap_in_stream (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AveAudioAnalyzer) analyzer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *tone = g_new (float, RATE);
  AveAudioChunk chunk = { 0 };

  for (gsize i = 0; i < RATE; i++)
    tone[i] = 0.25f * sinf (2 * G_PI * 1000 * i / (double) RATE);

  settings->transcribe = FALSE;
  analyzer = ave_audio_analyzer_new (settings, NULL, &error);
  g_assert_no_error (error);

  /* 1 s of tone from 5.0 s, nothing from 6.0 to 7.5, 1 s of tone */
  chunk.pts = 5.0;
  chunk.mono = tone;
  chunk.n_mono = RATE;
  g_assert_true (ave_audio_analyzer_push (analyzer, &chunk, &error));
  chunk.pts = 7.5;
  g_assert_true (ave_audio_analyzer_push (analyzer, &chunk, &error));
  g_assert_no_error (error);

  analysis = ave_analysis_new ("gap", NULL);
  g_assert_true (ave_audio_analyzer_finish (analyzer, analysis, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (analysis->silences->len, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->silences, AveInterval, 0).start, 6.0, 0.02);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->silences, AveInterval, 0).end, 7.5, 0.02);
  g_assert_cmpuint (analysis->speech->len, ==, 2);
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->speech, AveInterval, 1).end, 8.5, 0.02);
  /* mono 1 kHz sine of amplitude 0.25: 10 log10 (0.25² / 2) = -15.1 LUFS */
  g_assert_cmpfloat_with_epsilon (analysis->loudness.integrated_lufs, -15.1, 0.5);
}

/* A freed recogniser gives its language models back: the app makes one or
 * more per file, for hours.  The filler search once kept both models
 * (about 40 MB a decoder) alive after ps_free(). */
static void
test_transcriber_frees_models (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  gsize before = 0;
  double grown_mb;

  for (guint round = 0; round < 4; round++)
    {
      g_autoptr(GError) error = NULL;
      AveTranscriber *transcriber = ave_transcriber_new (settings, &error);

      g_assert_no_error (error);
      ave_transcriber_free (transcriber);
      /* What glibc keeps of freed memory is not a leak: give it back
       * before measuring. */
      malloc_trim (0);
      /* The first round fills the allocator's free lists. */
      if (round == 0)
        before = rss_bytes ();
    }
  grown_mb = (rss_bytes () - (double) before) / 1e6;
  g_test_message ("RSS grew by %.1f MB over 3 recognisers made and freed", grown_mb);
  /* ASan keeps freed blocks in quarantine, and lsan.supp has to name all
   * of SphinxBase for its own 24 bytes: the normal build checks this. */
  if (AVE_TEST_ASAN)
    {
      g_test_skip (AVE_TEST_ASAN_SKIP_RSS_LIMIT);
      return;
    }
  g_assert_cmpfloat (grown_mb, <, 40.0);
}

static gboolean
has_narrowband_warning (const AveAnalysis *analysis)
{
  for (guint i = 0; i < analysis->warnings->len; i++)
    if (strstr (g_ptr_array_index (analysis->warnings, i), "narrowband") != NULL)
      return TRUE;
  return FALSE;
}

/* Speech through a telephone band (resampled to 8 kHz and back: nothing
 * above 4 kHz) is reported in the warnings; the same speech as recorded
 * is not. */
static void
test_narrowband_warning (void)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) wide = NULL;
  g_autoptr(AveAnalysis) narrow = NULL;
  g_autofree char *raw = ave_test_path ("nb-raw.wav");
  g_autofree char *wide_wav = ave_test_path ("wideband.wav");
  g_autofree char *tel = ave_test_path ("tel8k.wav");
  g_autofree char *narrow_wav = ave_test_path ("narrowband.wav");

  ave_test_sh ("espeak-ng -s 150 -w '%s' 'the recogniser was trained on speech recorded with a microphone. "
               "a telephone line keeps only the sound below four kilohertz. "
               "so the words it hears through a phone are often wrong.'", raw);
  ave_test_sh ("sox '%s' -r 16000 -c 1 -b 16 '%s'", raw, wide_wav);
  ave_test_sh ("sox '%s' -r 8000 '%s' && sox '%s' -r 16000 '%s'", wide_wav, tel, tel, narrow_wav);

  wide = analyze_file (settings, wide_wav, 1, 16000);
  narrow = analyze_file (settings, narrow_wav, 1, 16000);
  g_assert_cmpuint (wide->words->len, >, 5);
  g_assert_false (has_narrowband_warning (wide));
  g_assert_true (has_narrowband_warning (narrow));
}

int
main (int argc, char *argv[])
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/audio-analysis/silences", test_silences);
  g_test_add_func ("/engine/audio-analysis/loudness", test_loudness);
  g_test_add_func ("/engine/audio-analysis/gap-in-stream", test_gap_in_stream);
  g_test_add_func ("/engine/audio-analysis/beats", test_beats);
  g_test_add_func ("/engine/audio-analysis/bounded-memory", test_bounded_memory);
  g_test_add_func ("/engine/audio-analysis/fillers", test_fillers);
  g_test_add_func ("/engine/audio-analysis/long-speech", test_long_speech);
  g_test_add_func ("/engine/audio-analysis/transcriber-frees-models", test_transcriber_frees_models);
  g_test_add_func ("/engine/audio-analysis/narrowband-warning", test_narrowband_warning);

  return g_test_run ();
}
