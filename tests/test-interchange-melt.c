/* test-interchange-melt.c — the MLT and Kdenlive exports of a generated
 * talk rendered by Debian's melt (the engine of Shotcut and Kdenlive):
 * as long as our final.mp4 to the frame, the same pictures in the middle
 * of every segment (PSNR >= 35 dB), and the crossfade dissolving where
 * ours does.  Also the CLI: `process --export`, `export`, `--plan` of an
 * export, and the refusal of an export made for another video. */
#define G_LOG_DOMAIN "ave-test-interchange-melt"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "director/ave-plan.h"
#include "interchange/ave-interchange.h"
#include "ave-test-util.h"

#define FPS 30

static const char plan_text[] =
  "{ \"version\": 1, \"source\": \"%s\", \"source_duration\": 14,\n"
  "  \"segments\": [\n"
  "    { \"start\": 0.5, \"end\": 4.5 },\n"
  "    { \"start\": 5.5, \"end\": 9.0, \"transition\": \"crossfade\", \"transition_duration\": 0.6 },\n"
  "    { \"start\": 9.2, \"end\": 9.8, \"enabled\": false, \"reason\": \"retake of 10-13 s\" },\n"
  "    { \"start\": 10.0, \"end\": 13.5, \"transition\": \"fade\", \"transition_duration\": 0.4 } ],\n"
  "  \"chapters\": [ { \"time\": 0, \"title\": \"Start\" }, { \"time\": 4.0, \"title\": \"Middle\" } ] }\n";

/* Segment output ranges of that plan: [0, 4), [3.4, 6.9), [6.9, 10.4). */
static const double mids[] = { 2.0, 5.2, 8.6 };
#define CROSSFADE_MID 3.7      /* inside [3.4, 4.0) */
#define TOTAL_FRAMES 312       /* 10.4 s */

static int
run_cli (char **out, char **err, const char *args)
{
  return ave_test_sh_status (out, err, "'%s' %s", ave_test_binary (), args);
}

static double
psnr (const char *a, gint64 frame_a, const char *b, gint64 frame_b)
{
  g_autofree char *out = ave_test_sh_output (
      "ffmpeg -nostdin -v info -i '%s' -i '%s' -lavfi "
      "\"[0:v]select=eq(n\\,%" G_GINT64_FORMAT "),setpts=0[a];[1:v]select=eq(n\\,%" G_GINT64_FORMAT "),setpts=0[b];"
      "[a][b]psnr\" -f null - 2>&1 | grep -o 'average:[0-9.inf]*' | tail -1",
      a, b, frame_a, frame_b);
  const char *value = strchr (out, ':');

  g_assert_nonnull (value);
  if (g_str_has_prefix (value + 1, "inf"))
    return INFINITY;
  return g_ascii_strtod (value + 1, NULL);
}

static gint64
count_frames (const char *path)
{
  g_autofree char *out = ave_test_sh_output (
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 '%s'", path);
  return g_ascii_strtoll (out, NULL, 10);
}

static const char *
rendered_talk (void)
{
  static char *folder;

  if (folder == NULL)
    {
      const char *talk = ave_test_sample ("talk.mp4", 14, 320, 240);
      g_autofree char *plan_path = ave_test_path ("melt-plan.json");
      g_autofree char *text = g_strdup_printf (plan_text, talk);
      g_autofree char *out = ave_test_path ("melt-out");
      g_autofree char *args = NULL;
      g_autofree char *err = NULL;

      g_assert_true (g_file_set_contents (plan_path, text, -1, NULL));
      args = g_strdup_printf ("process '%s' --plan '%s' -o '%s' --export mlt,kdenlive,fcpxml,xmeml,otio,edl "
                              "--export-paths relative", talk, plan_path, out);
      if (run_cli (NULL, &err, args) != 0)
        g_error ("process --export failed: %s", err);
      folder = g_build_filename (out, "talk", NULL);
    }
  return folder;
}

static void
melt_matches_final (const char *export_name)
{
  const char *folder = rendered_talk ();
  g_autofree char *final = g_build_filename (folder, "final.mp4", NULL);
  g_autofree char *edit = g_build_filename (folder, export_name, NULL);
  g_autofree char *render = g_strdup_printf ("%s.melt.mp4", edit);
  g_autofree char *talk = g_strdup (ave_test_sample ("talk.mp4", 14, 320, 240));
  gint64 frames, final_frames;
  double xfade_final, xfade_out, xfade_in;
  gint64 xf = (gint64) floor (CROSSFADE_MID * FPS);

  g_assert_true (g_file_test (edit, G_FILE_TEST_IS_REGULAR));
  /* Headless: Qt-based services (qtblend) draw offscreen. */
  ave_test_sh ("cd '%s' && QT_QPA_PLATFORM=offscreen melt -quiet '%s' -consumer 'avformat:%s' "
               "vcodec=libx264 preset=ultrafast crf=10 acodec=aac > /dev/null 2>&1",
               folder, edit, render);
  ave_test_assert_decodes_cleanly (render);

  /* As long as the plan, and as our render, to the frame. */
  frames = count_frames (render);
  final_frames = count_frames (final);
  g_test_message ("%s: melt rendered %" G_GINT64_FORMAT " frames, final.mp4 has %" G_GINT64_FORMAT ", the plan %d",
                  export_name, frames, final_frames, TOTAL_FRAMES);
  g_assert_cmpint (llabs (frames - TOTAL_FRAMES), <=, 1);
  g_assert_cmpint (llabs (frames - final_frames), <=, 1);
  {
    g_autofree char *audio = ave_test_sh_output ("ffprobe -v error -select_streams a -show_entries stream=codec_type "
                                                 "-of csv=p=0 '%s'", render);
    g_assert_nonnull (strstr (audio, "audio"));
  }

  /* The same pictures in the middle of every segment. */
  for (guint i = 0; i < G_N_ELEMENTS (mids); i++)
    {
      gint64 n = (gint64) floor (mids[i] * FPS);
      double db = psnr (render, n, final, n);
      g_test_message ("%s: segment %u, output frame %" G_GINT64_FORMAT ": PSNR %.2f dB", export_name, i, n, db);
      if (db < 35)
        g_error ("%s: output frame %" G_GINT64_FORMAT " differs from final.mp4 (PSNR %.2f dB)", export_name, n, db);
    }

  /* The crossfade: halfway through it melt shows what final.mp4 shows, a
   * mix of the two segments, unlike either of them alone (source frames
   * 4.2 s of the first, 5.8 s of the second). */
  xfade_final = psnr (render, xf, final, xf);
  xfade_out = psnr (render, xf, talk, (gint64) floor ((0.5 + CROSSFADE_MID) * FPS));
  xfade_in = psnr (render, xf, talk, (gint64) floor ((5.5 + CROSSFADE_MID - 3.4) * FPS));
  g_test_message ("%s: crossfade frame %" G_GINT64_FORMAT ": %.2f dB to final.mp4, %.2f to the outgoing, %.2f to "
                  "the incoming source frame", export_name, xf, xfade_final, xfade_out, xfade_in);
  g_assert_cmpfloat (xfade_final, >=, 35);
  g_assert_cmpfloat (xfade_out, <, xfade_final - 5);
  g_assert_cmpfloat (xfade_in, <, xfade_final - 5);
}

static void
test_melt_mlt (void)
{
  melt_matches_final ("edit.mlt");
}

static void
test_melt_kdenlive (void)
{
  melt_matches_final ("edit.kdenlive");
}

/* Each export of the run reads back as the plan the run rendered. */
static void
test_cli_round_trip (void)
{
  const char *folder = rendered_talk ();
  g_autofree char *plan_path = g_build_filename (folder, "plan.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(AvePlan) plan = ave_plan_load (plan_path, &error);
  static const char * const names[] = { "edit.mlt", "edit.kdenlive", "edit.fcpxml", "edit.xml", "edit.otio", "edit.edl" };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (folder, names[i], NULL);
      g_autoptr(AvePlan) back = ave_interchange_import (path, &error);
      guint k = 0;

      g_assert_no_error (error);
      g_assert_true (ave_plan_check_source (back, ave_plan_get_source (plan), &error));
      for (guint s = 0; s < ave_plan_get_n_segments (plan); s++)
        {
          const AveSegment *a = ave_plan_get_segment (plan, s);
          const AveSegment *b;
          if (!a->enabled)
            continue;
          b = ave_plan_get_segment (back, k++);
          g_assert_cmpfloat (fabs (a->start - b->start), <, 1e-6);
          g_assert_cmpfloat (fabs (a->end - b->end), <, 1e-6);
          /* A fade through black comes back as a cut. */
          g_assert_cmpint (b->transition, ==, a->transition == AVE_TRANSITION_CROSSFADE ? AVE_TRANSITION_CROSSFADE
                                                                                         : AVE_TRANSITION_CUT);
        }
      g_assert_cmpuint (k, ==, ave_plan_get_n_segments (back));
      g_assert_cmpuint (ave_plan_get_n_chapters (back), ==, 2);
    }
}

/* The CLI: `export` converts a plan; `--plan edit.mlt` renders an export;
 * another video is refused; unknown formats are usage errors. */
static void
test_cli (void)
{
  const char *folder = rendered_talk ();
  const char *talk = ave_test_sample ("talk.mp4", 14, 320, 240);
  const char *other = ave_test_ffmpeg_media ("other.mp4", "-f lavfi -i testsrc=s=320x240:r=30:d=14 -c:v libx264 -preset ultrafast");
  g_autofree char *plan_path = g_build_filename (folder, "plan.json", NULL);
  g_autofree char *mlt = g_build_filename (folder, "edit.mlt", NULL);
  g_autofree char *exported = ave_test_path ("converted.fcpxml");
  g_autofree char *again = ave_test_path ("again-out");
  g_autofree char *args = NULL;
  g_autofree char *err = NULL;
  g_autofree char *text = NULL;
  AveInterchangeFormat format;

  args = g_strdup_printf ("export '%s' -o '%s'", plan_path, exported);
  g_assert_cmpint (run_cli (NULL, &err, args), ==, 0);
  g_assert_true (g_file_get_contents (exported, &text, NULL, NULL));
  g_assert_true (ave_interchange_sniff (text, strlen (text), &format));
  g_assert_cmpint (format, ==, AVE_INTERCHANGE_FCPXML);
  g_clear_pointer (&args, g_free);
  g_clear_pointer (&err, g_free);

  args = g_strdup_printf ("export '%s' --format avid -o '%s.avid'", plan_path, exported);
  g_assert_cmpint (run_cli (NULL, &err, args), ==, 2);
  g_assert_nonnull (strstr (err, "avid"));
  g_clear_pointer (&args, g_free);
  g_clear_pointer (&err, g_free);

  /* The export is not overwritten by its own conversion. */
  args = g_strdup_printf ("export '%s' -o '%s'", mlt, mlt);
  g_assert_cmpint (run_cli (NULL, &err, args), ==, 1);
  g_clear_pointer (&args, g_free);
  g_clear_pointer (&err, g_free);

  args = g_strdup_printf ("process '%s' -o '%s' --export avid", talk, again);
  g_assert_cmpint (run_cli (NULL, &err, args), ==, 2);
  g_clear_pointer (&args, g_free);
  g_clear_pointer (&err, g_free);

  /* An export trimmed elsewhere renders with our composer. */
  args = g_strdup_printf ("process '%s' --plan '%s' -o '%s'", talk, mlt, again);
  if (run_cli (NULL, &err, args) != 0)
    g_error ("process --plan edit.mlt failed: %s", err);
  {
    g_autofree char *final = g_build_filename (again, "talk", "final.mp4", NULL);
    g_assert_cmpint (llabs (count_frames (final) - TOTAL_FRAMES), <=, 1);
  }
  g_clear_pointer (&args, g_free);
  g_clear_pointer (&err, g_free);

  /* A rate the EDL cannot count is refused before anything is rendered. */
  {
    const char *odd = ave_test_ffmpeg_media ("screen.mp4", "-f lavfi -i testsrc=s=160x120:r=25/2:d=2 -c:v libx264 -preset ultrafast");
    g_autofree char *odd_out = ave_test_path ("odd-out");
    g_autofree char *odd_final = g_build_filename (odd_out, "screen", "final.mp4", NULL);

    args = g_strdup_printf ("process '%s' -o '%s' --export mlt,edl", odd, odd_out);
    g_assert_cmpint (run_cli (NULL, &err, args), ==, 1);
    g_assert_nonnull (strstr (err, "--export edl"));
    g_assert_nonnull (strstr (err, "12.500"));
    g_assert_false (g_file_test (odd_final, G_FILE_TEST_EXISTS));
    g_clear_pointer (&args, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* An export read in place cannot be replaced by the same run. */
  {
    g_autofree char *root = g_path_get_dirname (folder);
    args = g_strdup_printf ("process '%s' --plan '%s' -o '%s' --export mlt", talk, mlt, root);
  }
  g_assert_cmpint (run_cli (NULL, &err, args), ==, 1);
  g_assert_nonnull (strstr (err, "edit.mlt"));
  g_clear_pointer (&args, g_free);
  g_clear_pointer (&err, g_free);

  /* ...but only for its own video. */
  args = g_strdup_printf ("process '%s' --plan '%s' -o '%s'", other, mlt, again);
  g_assert_cmpint (run_cli (NULL, &err, args), ==, 1);
  g_assert_nonnull (strstr (err, "talk.mp4"));
  g_assert_nonnull (strstr (err, "other.mp4"));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/interchange-melt/mlt", test_melt_mlt);
  g_test_add_func ("/interchange-melt/kdenlive", test_melt_kdenlive);
  g_test_add_func ("/interchange-melt/round-trip", test_cli_round_trip);
  g_test_add_func ("/interchange-melt/cli", test_cli);
  return g_test_run ();
}
