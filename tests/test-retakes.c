/* test-retakes.c — bad takes removed on generated speech whose takes are
 * known: espeak-ng says some sentences twice (the first take slower and
 * lower, as a talker's second try differs from the first) and starts one
 * sentence falsely; the analysis and the local director must switch off
 * each earlier take, keep the last take whole, and clip no word.  A talk
 * without retakes keeps every sentence, and so does recorded human speech. */
#define G_LOG_DOMAIN "ave-test-retakes"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/ave-job.h"
#include "core/ave-settings.h"
#include "director/ave-local-director.h"
#include "ave-test-util.h"

/* Each talk: "S:text" said once, "R:text" said twice (the first take is
 * a retake), "F:start|text" a false start and then the sentence. */
typedef struct
{
  double start, end;     /* source seconds */
  gboolean retake;       /* an earlier take that must be switched off */
} Take;

#define PAUSE 1.0

static double
say (const char *text,
     const char *voice_args,
     const char *wav)
{
  g_autofree char *raw = g_strconcat (wav, ".raw.wav", NULL);
  g_autofree char *seconds = NULL;

  ave_test_sh ("espeak-ng %s -w '%s' '%s'", voice_args, raw, text);
  /* trimmed to the voice, so that the takes' times are known */
  ave_test_sh ("sox '%s' -r 16000 -c 1 -b 16 '%s' silence 1 0.01 0.5%% reverse silence 1 0.01 0.5%% reverse",
               raw, wav);
  seconds = ave_test_sh_output ("soxi -D '%s'", wav);
  return g_ascii_strtod (seconds, NULL);
}

/* Builds NAME.mp4 from the items; fills `takes` with each spoken piece. */
static char *
make_talk (const char *name,
           const char *items,
           GArray     *takes)
{
  g_auto(GStrv) parts = g_strsplit (items, ";", -1);
  g_autoptr(GString) pieces = g_string_new (NULL);
  g_autofree char *pause = ave_test_path ("pause.wav");
  g_autofree char *wav = NULL;
  char *mp4 = ave_test_path (name);
  double t = PAUSE;
  guint k = 0;

  ave_test_sh ("sox -n -r 16000 -c 1 -b 16 '%s' trim 0 %g", pause, PAUSE);
  g_string_append_printf (pieces, "'%s' ", pause);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char kind = parts[i][0];
      const char *text = parts[i] + 2;
      g_auto(GStrv) said = NULL;
      g_autofree char *twice = g_strdup_printf ("%s|%s", text, text);

      if (kind == 'R')
        said = g_strsplit (twice, "|", 2);
      else if (kind == 'F')
        said = g_strsplit (text, "|", 2);
      else
        said = g_strsplit (text, "|", 1);

      for (guint j = 0; said[j] != NULL; j++)
        {
          g_autofree char *piece = g_strdup_printf ("%s-%u.wav", name, k++);
          g_autofree char *path = ave_test_path (piece);
          gboolean earlier = said[j + 1] != NULL;
          /* an earlier take: slower and lower than the one kept */
          double d = say (said[j], earlier ? "-s 138 -p 40" : "-s 155 -p 50", path);
          Take take = { t, t + d, earlier };

          g_array_append_val (takes, take);
          g_string_append_printf (pieces, "'%s' '%s' ", path, pause);
          t += d + PAUSE;
        }
    }
  wav = g_strconcat (mp4, ".wav", NULL);
  ave_test_sh ("sox %s '%s'", pieces->str, wav);
  ave_test_sh ("ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=gray:s=160x120:r=25 -i '%s' "
               "-shortest -c:v libx264 -preset ultrafast -c:a aac '%s'", wav, mp4);
  return mp4;
}

static AvePlan *
plan_for (const char *input)
{
  g_autofree char *outdir = ave_test_path ("out");
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;
  AvePlan *plan;

  ave_settings_apply_content_type (settings, AVE_CONTENT_EDUCATIONAL);
  g_assert_true (settings->remove_retakes);
  job = ave_job_new (AVE_JOB_ANALYZE, input, outdir, settings);
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);
  plan = ave_local_director_plan (ave_job_get_analysis (job), settings, &error);
  g_assert_no_error (error);
  g_assert_nonnull (plan);
  return plan;
}

/* The segment that holds source time `t`, or NULL. */
static const AveSegment *
segment_at (AvePlan *plan,
            double   t)
{
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *s = ave_plan_get_segment (plan, i);

      if (s->start <= t && t < s->end)
        return s;
    }
  return NULL;
}

/* Every moment of [start, end] is inside enabled segments: nothing of the
 * take is cut (a word's first and last 20 ms may be the trim's). */
static void
assert_kept_whole (AvePlan    *plan,
                   const Take *take)
{
  for (double t = take->start + 0.02; t <= take->end - 0.02; t += 0.01)
    {
      const AveSegment *s = segment_at (plan, t);

      if (s == NULL || !s->enabled)
        g_error ("the take %.2f–%.2f s is cut at %.2f s (%s)", take->start, take->end, t,
                 s != NULL ? s->reason : "no segment");
    }
}

static void
test_retakes_removed (void)
{
  g_autoptr(GArray) takes = g_array_new (FALSE, FALSE, sizeof (Take));
  g_autofree char *input = NULL;
  g_autoptr(AvePlan) plan = NULL;
  guint n_retakes = 0, n_switched_off = 0;

  input = make_talk ("retakes.mp4",
                     "S:welcome to this lesson about neural networks;"
                     "R:the gradient tells us which way is downhill;"
                     "S:then we take a small step and measure the loss again;"
                     "F:so the|so the result is a network that has learned",
                     takes);
  plan = plan_for (input);

  for (guint i = 0; i < takes->len; i++)
    {
      const Take *take = &g_array_index (takes, Take, i);

      if (take->retake)
        {
          const AveSegment *s = segment_at (plan, (take->start + take->end) / 2);

          n_retakes++;
          if (s == NULL || s->enabled || !g_str_has_prefix (s->reason, "retake of"))
            g_error ("the earlier take %.2f–%.2f s is not switched off as a retake (%s)",
                     take->start, take->end, s != NULL ? s->reason : "no segment");
          /* switched off whole: its first and last moments too */
          g_assert_false (segment_at (plan, take->start + 0.05)->enabled);
          g_assert_false (segment_at (plan, take->end - 0.05)->enabled);
        }
      else
        assert_kept_whole (plan, take);
    }
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    if (!ave_plan_get_segment (plan, i)->enabled)
      n_switched_off++;
  g_assert_cmpuint (n_retakes, ==, 2);
  /* one switched-off segment per earlier take, nothing else */
  g_assert_cmpuint (n_switched_off, ==, n_retakes);
}

static void
test_no_retakes_kept (void)
{
  g_autoptr(GArray) takes = g_array_new (FALSE, FALSE, sizeof (Take));
  g_autofree char *input = NULL;
  g_autoptr(AvePlan) plan = NULL;

  input = make_talk ("no-retakes.mp4",
                     "S:this talk has no retakes at all;"
                     "S:every sentence is said exactly once;"
                     "S:the director should keep each one of them;"
                     "S:and cut only the pauses between them",
                     takes);
  plan = plan_for (input);
  for (guint i = 0; i < takes->len; i++)
    assert_kept_whole (plan, &g_array_index (takes, Take, i));
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    g_assert_true (ave_plan_get_segment (plan, i)->enabled);
}

/* Recorded human speech (Debian's pocketsphinx-testdata: five sentences
 * read for LibriVox and five card-game phrases that share words, "ten of
 * clubs", "seven of clubs"): no sentence is said twice, so nothing may be
 * taken for a retake. */
static void
test_recorded_speech_no_repeats (void)
{
  const char *data = "/usr/share/pocketsphinx/test/data";
  const char *names[] = {
    "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
    "cards/001.wav", "cards/002.wav", "cards/003.wav", "cards/004.wav", "cards/005.wav",
  };
  g_autoptr(GString) pieces = g_string_new (NULL);
  g_autofree char *pause = ave_test_path ("pause-recorded.wav");
  g_autofree char *wav = ave_test_path ("recorded.wav");
  g_autofree char *mp4 = ave_test_path ("recorded.mp4");
  g_autofree char *outdir = ave_test_path ("out-recorded");
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = NULL;
  AveAnalysis *analysis;

  if (!g_file_test (data, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("pocketsphinx-testdata is not installed (tools/setup.sh installs it)");
      return;
    }
  ave_test_sh ("sox -n -r 16000 -c 1 -b 16 '%s' trim 0 1", pause);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_string_append_printf (pieces, "'%s/%s' '%s' ", data, names[i], pause);
  ave_test_sh ("sox %s -r 16000 -c 1 -b 16 '%s'", pieces->str, wav);
  ave_test_sh ("ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=gray:s=160x120:r=25 -i '%s' "
               "-shortest -c:v libx264 -preset ultrafast -c:a aac '%s'", wav, mp4);

  ave_settings_apply_content_type (settings, AVE_CONTENT_EDUCATIONAL);
  job = ave_job_new (AVE_JOB_ANALYZE, mp4, outdir, settings);
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);
  analysis = ave_job_get_analysis (job);
  g_assert_cmpuint (analysis->words->len, >, 20);
  for (guint i = 0; i < analysis->repeats->len; i++)
    {
      const AveRepeat *r = &g_array_index (analysis->repeats, AveRepeat, i);
      g_error ("%.2f–%.2f s taken for a repeat of %.2f s (distance %.2f)", r->start, r->end,
               r->repeat_start, r->distance);
    }
  plan = ave_local_director_plan (analysis, settings, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    g_assert_false (g_str_has_prefix (ave_plan_get_segment (plan, i)->reason, "retake of"));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/engine/retakes/removed", test_retakes_removed);
  g_test_add_func ("/engine/retakes/none", test_no_retakes_kept);
  g_test_add_func ("/engine/retakes/recorded-speech", test_recorded_speech_no_repeats);
  return g_test_run ();
}
