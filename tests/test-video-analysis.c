#define G_LOG_DOMAIN "ave-test-video-analysis"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-test-util.h"
#include "core/ave-settings.h"
#include "core/ave-worker-pool.h"
#include "analysis/ave-analysis.h"
#include "analysis/ave-video-analyzer.h"
#include "analysis/ave-shot-detector.h"
#include "compute/ave-compute.h"
#if HAVE_VULKAN
#include "compute/ave-compute-vulkan.h"
#endif
#include "media/ave-media.h"

#define W 320
#define H 180
#define FPS 25.0
#define FRAME_BYTES (W * H * 3 / 2)

/* Renders a lavfi filter graph to raw 320x180 yuv420p at 25 fps (no codec
 * in the way, so the truth is exactly what the graph says). */
static char *
make_raw (const char *name,
          const char *graph)
{
  char *path = ave_test_path (name);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    ave_test_sh ("ffmpeg -nostdin -v error -y -filter_complex \"%s\" "
                 "-pix_fmt yuv420p -f rawvideo '%s'", graph, path);
  return path;
}

/* Feeds every `step`-th frame of a raw file to a video analyser. */
static AveAnalysis *
analyze_raw_with (AveCompute *compute,
                  const char *path,
                  guint       step,
                  gboolean    with_media)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveVideoAnalyzer) analyzer = NULL;
  g_autoptr(AveAnalysis) analysis = ave_analysis_new (path, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;
  AveMediaInfo media = { 0 };

  settings->frame_step = step;
  media.frame_rate = FPS;
  media.width = W;
  media.height = H;
  media.has_video = TRUE;
  analyzer = ave_video_analyzer_new (settings, with_media ? &media : NULL, compute);

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length % FRAME_BYTES, ==, 0);

  for (gsize i = 0; i < length / FRAME_BYTES; i += step)
    {
      const guint8 *base = (const guint8 *) data + i * FRAME_BYTES;
      AveAnalysisFrame frame = {
        .index = (gint64) (i / step),
        .pts = i / FPS,
        .duration = 1.0 / FPS,
        .width = W,
        .height = H,
        .y = base,
        .y_stride = W,
        .u = base + W * H,
        .v = base + W * H + (W / 2) * (H / 2),
        .uv_stride = W / 2,
      };

      g_assert_true (ave_video_analyzer_push (analyzer, &frame, &error));
      g_assert_no_error (error);
    }

  g_assert_true (ave_video_analyzer_finish (analyzer, analysis, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&analysis);
}

static AveAnalysis *
analyze_raw (const char *path,
             guint       step,
             gboolean    with_media)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();

  return analyze_raw_with (compute, path, step, with_media);
}

static void
print_shots (const AveAnalysis *analysis)
{
  for (guint i = 0; i < analysis->shots->len; i++)
    {
      const AveShot *s = &g_array_index (analysis->shots, AveShot, i);

      g_test_message ("shot %u: %.3f..%.3f transition %d (%.2f s) exposure %.2f contrast %.2f "
                      "sharpness %.2f motion %.2f luma %.1f quality %.2f highlight %.2f",
                      i, s->start, s->end, s->transition, s->transition_duration, s->exposure,
                      s->contrast, s->sharpness, s->motion, s->mean_luma, s->quality, s->highlight);
    }
}

/* Shots cover [0, end] without gaps, every score is in 0..1. */
static void
check_shots_well_formed (const AveAnalysis *analysis,
                         double             end)
{
  g_assert_cmpuint (analysis->shots->len, >=, 1);
  for (guint i = 0; i < analysis->shots->len; i++)
    {
      const AveShot *s = &g_array_index (analysis->shots, AveShot, i);

      if (i == 0)
        {
          g_assert_cmpfloat (s->start, ==, 0.0);
          g_assert_cmpint (s->transition, ==, AVE_SHOT_TRANSITION_NONE);
        }
      else
        {
          g_assert_cmpfloat (s->start, ==, g_array_index (analysis->shots, AveShot, i - 1).end);
          g_assert_cmpint (s->transition, !=, AVE_SHOT_TRANSITION_NONE);
        }
      g_assert_cmpfloat (s->end, >, s->start);
      g_assert_cmpfloat (s->exposure, >=, 0.0);
      g_assert_cmpfloat (s->exposure, <=, 1.0);
      g_assert_cmpfloat (s->contrast, >=, 0.0);
      g_assert_cmpfloat (s->contrast, <=, 1.0);
      g_assert_cmpfloat (s->sharpness, >=, 0.0);
      g_assert_cmpfloat (s->sharpness, <=, 1.0);
      g_assert_cmpfloat (s->motion, >=, 0.0);
      g_assert_cmpfloat (s->motion, <=, 1.0);
      g_assert_cmpfloat (s->quality, >=, 0.0);
      g_assert_cmpfloat (s->quality, <=, 1.0);
      g_assert_cmpfloat (s->highlight, >=, 0.0);
      g_assert_cmpfloat (s->highlight, <=, 1.0);
      g_assert_cmpfloat (s->mean_luma, >=, 0.0);
      g_assert_cmpfloat (s->mean_luma, <=, 255.0);
    }
  g_assert_cmpfloat_with_epsilon (g_array_index (analysis->shots, AveShot,
                                                 analysis->shots->len - 1).end, end, 1e-6);
}

/* Four different sources cut together at frames 40, 75 and 105 (of 145). */
static const char *cuts_graph =
  "testsrc2=s=320x180:r=25:d=1.6[a];"
  "smptebars=s=320x180:r=25:d=1.4[b];"
  "mandelbrot=s=320x180:r=25,trim=duration=1.2,setpts=PTS-STARTPTS[c];"
  "color=c=0x3060a0:s=320x180:r=25:d=1.6,noise=alls=30:allf=t[d];"
  "[a][b][c][d]concat=n=4:v=1:a=0,format=yuv420p";
static const int cut_frames[] = { 40, 75, 105 };

static void
check_cuts (const AveAnalysis *analysis,
            double             tolerance_frames)
{
  print_shots (analysis);
  check_shots_well_formed (analysis, 145 / FPS);
  g_assert_cmpuint (analysis->shots->len, ==, G_N_ELEMENTS (cut_frames) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (cut_frames); i++)
    {
      const AveShot *s = &g_array_index (analysis->shots, AveShot, i + 1);

      g_assert_cmpint (s->transition, ==, AVE_SHOT_TRANSITION_CUT);
      g_assert_cmpfloat (s->transition_duration, ==, 0.0);
      g_assert_cmpfloat (fabs (s->start - cut_frames[i] / FPS), <=, tolerance_frames / FPS + 1e-9);
    }
}

static void
test_hard_cuts (void)
{
  g_autofree char *path = make_raw ("cuts.yuv", cuts_graph);
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 1, TRUE);

  check_cuts (analysis, 1.0);
}

static void
test_frame_step (void)
{
  g_autofree char *path = make_raw ("cuts.yuv", cuts_graph);
  /* without media info the analyser times its comparisons from the frames */
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 2, FALSE);

  check_cuts (analysis, 2.0);
}

/* Feeds the raw cuts at 320x180 declaring a 160x90 analysis size, so the
 * analyser must downscale through `compute` (as it does with the reader's
 * leave_scaling), or, with prescale, scaled beforehand by the test. */
static AveAnalysis *
analyze_raw_scaled (AveCompute *compute,
                    const char *path,
                    gboolean    prescale)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveVideoAnalyzer) analyzer = NULL;
  g_autoptr(AveAnalysis) analysis = ave_analysis_new (path, NULL);
  g_autoptr(AveCompute) helper = ave_compute_cpu_new_for_isa ("scalar");
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree guint8 *small = g_malloc (160 * 90 * 3 / 2);
  gsize length = 0;
  AveMediaInfo media = { .frame_rate = FPS, .width = W, .height = H, .has_video = TRUE };

  analyzer = ave_video_analyzer_new (settings, &media, compute);
  g_assert_true (g_file_get_contents (path, &data, &length, &error));

  for (gsize i = 0; i < length / FRAME_BYTES; i++)
    {
      guint8 *base = (guint8 *) data + i * FRAME_BYTES;
      AveYuvFrame src = { W, H, base, W, base + W * H, base + W * H + (W / 2) * (H / 2), W / 2 };
      AveYuvFrame dst = { 160, 90, small, 160, small + 160 * 90, small + 160 * 90 + 80 * 45, 80 };
      AveAnalysisFrame frame = {
        .index = (gint64) i, .pts = i / FPS, .duration = 1.0 / FPS,
        .width = W, .height = H, .y = src.y, .y_stride = W, .u = src.u, .v = src.v,
        .uv_stride = W / 2, .scaled_width = 160, .scaled_height = 90,
      };

      if (prescale)
        {
          g_assert_true (ave_compute_scale (helper, &src, &dst, &error));
          frame.width = 160, frame.height = 90;
          frame.y = dst.y, frame.y_stride = 160, frame.u = dst.u, frame.v = dst.v, frame.uv_stride = 80;
        }
      g_assert_true (ave_video_analyzer_push (analyzer, &frame, &error));
      g_assert_no_error (error);
    }
  g_assert_true (ave_video_analyzer_finish (analyzer, analysis, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&analysis);
}

/* Pictures delivered at their decoded size are downscaled by the
 * analyser's AveCompute: one scale per frame, and the same analysis as
 * frames scaled beforehand (by the scalar reference kernel). */
static void
test_scale_on_compute (void)
{
  g_autofree char *path = make_raw ("cuts.yuv", cuts_graph);
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(AveCompute) other = ave_compute_cpu_new ();
  g_autoptr(AveAnalysis) scaled_inside = analyze_raw_scaled (compute, path, FALSE);
  g_autoptr(AveAnalysis) scaled_before = analyze_raw_scaled (other, path, TRUE);

  g_assert_cmpuint (ave_compute_get_calls (compute, AVE_COMPUTE_KERNEL_SCALE), ==, 145);
  g_assert_cmpuint (ave_compute_get_calls (compute, AVE_COMPUTE_KERNEL_ANALYZE), ==, 145);
  g_assert_cmpuint (ave_compute_get_calls (other, AVE_COMPUTE_KERNEL_SCALE), ==, 0);
  check_cuts (scaled_inside, 1.0);
  g_assert_cmpuint (scaled_inside->shots->len, ==, scaled_before->shots->len);
  g_assert_cmpmem (scaled_inside->shots->data, scaled_inside->shots->len * sizeof (AveShot),
                   scaled_before->shots->data, scaled_before->shots->len * sizeof (AveShot));
}

/* The Vulkan backend gives the same integers, so the same analysis. */
static void
test_vulkan_same_result (void)
{
#if HAVE_VULKAN
  g_autofree char *path = make_raw ("cuts.yuv", cuts_graph);
  g_autoptr(GError) error = NULL;
  /* lavapipe, the CPU Vulkan driver, is part of the test set-up */
  g_autoptr(AveCompute) gpu = ave_compute_vulkan_new ("llvmpipe", 0, &error);
  g_autoptr(AveAnalysis) on_cpu = NULL;
  g_autoptr(AveAnalysis) on_gpu = NULL;

  g_assert_no_error (error);
  on_cpu = analyze_raw (path, 1, TRUE);
  on_gpu = analyze_raw_with (gpu, path, 1, TRUE);
  g_assert_cmpuint (on_gpu->shots->len, ==, on_cpu->shots->len);
  g_assert_cmpmem (on_gpu->shots->data, on_gpu->shots->len * sizeof (AveShot),
                   on_cpu->shots->data, on_cpu->shots->len * sizeof (AveShot));
  g_assert_cmpmem (on_gpu->thumbnail_candidates->data,
                   on_gpu->thumbnail_candidates->len * sizeof (AveThumbnailCandidate),
                   on_cpu->thumbnail_candidates->data,
                   on_cpu->thumbnail_candidates->len * sizeof (AveThumbnailCandidate));
#else
  /* Built without Vulkan: the backend selection must say so and still
   * analyse on the CPU. */
  g_autofree char *notice = NULL;
  g_autoptr(AveCompute) compute = ave_compute_new_for_settings (TRUE, 0, &notice);

  g_assert_cmpstr (ave_compute_get_name (compute), ==, "cpu");
  g_assert_nonnull (notice);
#endif
}

static void
test_flash (void)
{
  /* one-frame white flashes at frames 30 and 70 of a 4 s shot */
  g_autofree char *path = make_raw ("flash.yuv",
    "testsrc2=s=320x180:r=25:d=4,"
    "lutyuv=y=235:u=128:v=128:enable='eq(n\\,30)+eq(n\\,70)',format=yuv420p");
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 1, TRUE);

  print_shots (analysis);
  check_shots_well_formed (analysis, 4.0);
  g_assert_cmpuint (analysis->shots->len, ==, 1);
}

static void
test_dissolve (void)
{
  /* 1 s cross-dissolve from 2.0 to 3.0 s */
  g_autofree char *path = make_raw ("dissolve.yuv",
    "testsrc2=s=320x180:r=25:d=3[a];"
    "smptebars=s=320x180:r=25:d=3[b];"
    "[a][b]xfade=transition=fade:duration=1:offset=2,format=yuv420p");
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 1, TRUE);
  const AveShot *s;

  print_shots (analysis);
  check_shots_well_formed (analysis, 5.0);
  g_assert_cmpuint (analysis->shots->len, ==, 2);
  s = &g_array_index (analysis->shots, AveShot, 1);
  g_assert_cmpint (s->transition, ==, AVE_SHOT_TRANSITION_DISSOLVE);
  g_assert_cmpfloat (fabs (s->start - 2.5), <=, 0.5);
  g_assert_cmpfloat (s->transition_duration, >=, 0.5);
  g_assert_cmpfloat (s->transition_duration, <=, 1.6);
}

static void
test_fade (void)
{
  /* fade out over 1.5..2.0 s, fade in over 2.0..2.5 s */
  g_autofree char *path = make_raw ("fade.yuv",
    "testsrc2=s=320x180:r=25:d=2,fade=t=out:st=1.5:d=0.5[a];"
    "smptebars=s=320x180:r=25:d=2,fade=t=in:st=0:d=0.5[b];"
    "[a][b]concat=n=2:v=1:a=0,format=yuv420p");
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 1, TRUE);
  const AveShot *s;

  print_shots (analysis);
  check_shots_well_formed (analysis, 4.0);
  g_assert_cmpuint (analysis->shots->len, ==, 2);
  s = &g_array_index (analysis->shots, AveShot, 1);
  g_assert_cmpint (s->transition, ==, AVE_SHOT_TRANSITION_FADE);
  g_assert_cmpfloat (fabs (s->start - 2.0), <=, 0.3);
  g_assert_cmpfloat (s->transition_duration, >=, 0.6);
  g_assert_cmpfloat (s->transition_duration, <=, 1.4);
}

static void
test_no_false_boundaries (void)
{
  /* a zooming fractal, then (cut at frame 100) a scrolling pattern whose
   * hues rotate: lots of change, but only one new shot */
  g_autofree char *path = make_raw ("busy.yuv",
    "mandelbrot=s=320x180:r=25,trim=duration=4,setpts=PTS-STARTPTS[a];"
    "testsrc2=s=640x360:r=25:d=4,scroll=horizontal=0.005,crop=320:180,hue=h=t*60[b];"
    "[a][b]concat=n=2:v=1:a=0,format=yuv420p");
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 1, TRUE);
  const AveShot *s;

  print_shots (analysis);
  check_shots_well_formed (analysis, 8.0);
  g_assert_cmpuint (analysis->shots->len, ==, 2);
  s = &g_array_index (analysis->shots, AveShot, 1);
  g_assert_cmpint (s->transition, ==, AVE_SHOT_TRANSITION_CUT);
  g_assert_cmpfloat (fabs (s->start - 4.0), <=, 1.0 / FPS + 1e-9);
  /* both shots move all the time */
  g_assert_cmpfloat (g_array_index (analysis->shots, AveShot, 0).motion, >, 0.1);
  g_assert_cmpfloat (s->motion, >, 0.1);
}

static AveShot
single_shot_of (const char *name,
                const char *graph)
{
  g_autofree char *path = make_raw (name, graph);
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 1, TRUE);

  print_shots (analysis);
  check_shots_well_formed (analysis, 2.0);
  g_assert_cmpuint (analysis->shots->len, ==, 1);
  return g_array_index (analysis->shots, AveShot, 0);
}

static void
test_quality (void)
{
  AveShot sharp = single_shot_of ("sharp.yuv",
                                  "testsrc2=s=320x180:r=25:d=2,format=yuv420p");
  AveShot blurred = single_shot_of ("blurred.yuv",
                                    "testsrc2=s=320x180:r=25:d=2,boxblur=4,format=yuv420p");
  AveShot dark = single_shot_of ("dark.yuv",
                                 "testsrc2=s=320x180:r=25:d=2,eq=brightness=-0.4,format=yuv420p");
  AveShot still = single_shot_of ("still.yuv",
                                  "smptebars=s=320x180:r=25:d=2,format=yuv420p");

  g_assert_cmpfloat (blurred.sharpness, <, sharp.sharpness - 0.1);
  g_assert_cmpfloat (blurred.quality, <, sharp.quality);
  g_assert_cmpfloat (dark.exposure, <, sharp.exposure - 0.3);
  g_assert_cmpfloat (dark.mean_luma, <, sharp.mean_luma - 50);
  g_assert_cmpfloat (dark.quality, <, sharp.quality);
  /* testsrc2 moves, smpte bars do not */
  g_assert_cmpfloat (still.motion, <, 0.05);
  g_assert_cmpfloat (sharp.motion, >, still.motion);
}

static void
test_highlights_thumbnails (void)
{
  g_autofree char *path = make_raw ("cuts.yuv", cuts_graph);
  g_autoptr(AveAnalysis) analysis = analyze_raw (path, 1, TRUE);
  double previous = G_MAXDOUBLE;
  guint per_shot[8] = { 0 };

  /* ~1 highlight per second over 5.8 s */
  g_assert_cmpuint (analysis->highlights->len, ==, 6);
  for (guint i = 0; i < analysis->highlights->len; i++)
    {
      const AveHighlight *h = &g_array_index (analysis->highlights, AveHighlight, i);

      g_assert_cmpfloat (h->time, >=, i * 1.0);
      g_assert_cmpfloat (h->time, <=, MIN (5.8, (i + 1) * 1.0));
      g_assert_cmpfloat (h->score, >=, 0.0);
      g_assert_cmpfloat (h->score, <=, 1.0);
    }

  g_assert_cmpuint (analysis->thumbnail_candidates->len, >=, analysis->shots->len);
  for (guint i = 0; i < analysis->thumbnail_candidates->len; i++)
    {
      const AveThumbnailCandidate *c = &g_array_index (analysis->thumbnail_candidates,
                                                       AveThumbnailCandidate, i);
      gboolean placed = FALSE;

      g_assert_cmpfloat (c->score, <=, previous);
      previous = c->score;
      g_assert_cmpfloat (c->score, >=, 0.0);
      g_assert_cmpfloat (c->score, <=, 1.0);
      /* never in the first or last 0.3 s of its shot */
      for (guint s = 0; s < analysis->shots->len; s++)
        {
          const AveShot *shot = &g_array_index (analysis->shots, AveShot, s);

          if (c->time >= shot->start && c->time < shot->end)
            {
              g_assert_cmpfloat (c->time, >=, shot->start + 0.3 - 1e-9);
              g_assert_cmpfloat (c->time, <=, shot->end - 0.3 + 1e-9);
              per_shot[s]++;
              placed = TRUE;
            }
        }
      g_assert_true (placed);
    }
  for (guint s = 0; s < analysis->shots->len; s++)
    {
      g_assert_cmpuint (per_shot[s], >=, 1);
      g_assert_cmpuint (per_shot[s], <=, 3);
    }
}

/* The generated sample's known cut times (seconds) and frame rate, from
 * its .truth.json. */
static GArray *
load_sample_cuts (const char *path,
                  double     *fps)
{
  g_autofree char *truth_path = g_strdup_printf ("%s.truth.json", path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (double));
  JsonObject *root;
  JsonArray *array;

  g_assert_true (json_parser_load_from_file (parser, truth_path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  array = json_object_get_array_member (root, "shot_cuts");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      double t = json_array_get_double_element (array, i);
      g_array_append_val (cuts, t);
    }
  *fps = json_object_get_double_member (root, "fps");
  g_assert_cmpuint (cuts->len, >=, 3);
  return cuts;
}

/* One hard cut per known cut, each within `tolerance` seconds. */
static void
assert_sample_cuts (const AveAnalysis *analysis,
                    GArray            *cuts,
                    double             tolerance)
{
  print_shots (analysis);
  g_assert_cmpuint (analysis->shots->len, ==, cuts->len + 1);
  for (guint i = 0; i < cuts->len; i++)
    {
      const AveShot *s = &g_array_index (analysis->shots, AveShot, i + 1);

      g_assert_cmpint (s->transition, ==, AVE_SHOT_TRANSITION_CUT);
      g_assert_cmpfloat (fabs (s->start - g_array_index (cuts, double, i)), <=, tolerance + 1e-6);
    }
}

/* A real encoded file (H.264, 30 fps) from tools/make-sample.sh, decoded
 * and downscaled by the engine's streaming decoder, against the cut times
 * in its .truth.json. */
static void
test_sample_file (void)
{
  const char *path = ave_test_sample ("sample.mp4", 30, 320, 180);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(AveVideoAnalyzer) analyzer = NULL;
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(GError) error = NULL;
  AveMediaSourceOptions options = { .want_video = TRUE, .video_width = 320, .video_height = 180 };
  double fps, last_end = 0.0;
  g_autoptr(GArray) cuts = load_sample_cuts (path, &fps);
  const AveMediaInfo *info;
  gint64 index = 0;
  AvePicture *frame;

  source = ave_media_source_open (path, &options, &error);
  g_assert_no_error (error);
  info = ave_media_source_get_info (source);
  analysis = ave_analysis_new (path, info);
  analyzer = ave_video_analyzer_new (settings, info, compute);

  while ((frame = ave_media_source_read_picture (source, &error)) != NULL)
    {
      AveAnalysisFrame f = {
        .index = index++,
        .pts = frame->pts,
        /* constant frame rate: the truth knows the rate */
        .duration = 1.0 / fps,
        .width = frame->width,
        .height = frame->height,
        .y = frame->y, .y_stride = frame->y_stride,
        .u = frame->u, .v = frame->v, .uv_stride = frame->uv_stride,
      };

      g_assert_cmpint (frame->width, ==, 320);
      g_assert_cmpint (frame->height, ==, 180);
      last_end = f.pts + f.duration;
      g_assert_true (ave_video_analyzer_push (analyzer, &f, &error));
      ave_picture_free (frame);
      g_assert_no_error (error);
    }
  g_assert_no_error (error);
  g_assert_true (ave_video_analyzer_finish (analyzer, analysis, &error));
  g_assert_no_error (error);

  check_shots_well_formed (analysis, last_end);
  assert_sample_cuts (analysis, cuts, 1.0 / fps);
  g_assert_cmpuint (analysis->thumbnail_candidates->len, >=, analysis->shots->len);
  g_assert_cmpuint (analysis->highlights->len, >=, 29);
  g_assert_cmpuint (analysis->highlights->len, <=, 31);
}

typedef struct
{
  AveVideoAnalyzer *analyzer;
  AveAnalysisFrames frames;       /* the pictures the reader decoded */
  guint             n_frames;
  guint             n_keyframes;
  guint             decoders;       /* for the key intervals; 0: the settings' */
  gboolean          no_finish;      /* free the analyser after the reading pass */
  int               nice_increment; /* the video's threads below the caller's priority */
} FastRun;

static gboolean
fast_run_frame (const AveAnalysisFrame *frame, gpointer data, GError **error)
{
  FastRun *run = data;

  run->n_frames++;
  return ave_video_analyzer_push (run->analyzer, frame, error);
}

static void
fast_run_keyframe (double seconds, gpointer data)
{
  ((FastRun *) data)->n_keyframes++;
}

/* Reads `path` as the job does (the reader decodes the pictures that the
 * settings and the file call for) into a video analyser; `media` FALSE
 * gives the analyser no file to decode cuts from again. */
static AveAnalysis *
analyze_like_job (const char        *path,
                  const AveSettings *settings,
                  gboolean           media,
                  FastRun           *run)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(AveMediaInfo) info = NULL;
  g_autoptr(AveVideoAnalyzer) analyzer = NULL;
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(GError) error = NULL;
  AveMediaReadOptions options = { .analysis_width = 320, .frame_step = 1, .want_video = TRUE,
                                  .queue_bytes = 8 << 20, .decoder_threads = 1,
                                  .fast_decode = TRUE };
  AveMediaReadCallbacks callbacks = { .video_frame = fast_run_frame,
                                      .video_keyframe = fast_run_keyframe };

  info = ave_media_probe (path, &error);
  g_assert_no_error (error);
  /* as the job does */
  if (ave_settings_analysis_frames (settings) == AVE_ANALYSIS_FRAMES_KEY)
    ave_media_info_measure_key_interval (info);
  run->frames = options.pictures = ave_video_analysis_frames_for (settings, info, NULL);
  analysis = ave_analysis_new (path, info);
  run->analyzer = analyzer = ave_video_analyzer_new (settings, media ? info : NULL, compute);
  if (run->decoders > 0)
    ave_video_analyzer_set_decoders (analyzer, run->decoders);
  options.video_nice_increment = run->nice_increment;
  ave_video_analyzer_set_nice_increment (analyzer, run->nice_increment);
  g_assert_true (ave_media_read_for_analysis (path, &options, &callbacks, run, NULL, &error));
  g_assert_no_error (error);
  if (run->no_finish)
    return NULL;
  g_assert_true (ave_video_analyzer_finish (analyzer, analysis, &error));
  g_assert_no_error (error);
  g_test_message ("%s pictures: %u of %.0f frames decoded, %u keyframes (at most %.2f s apart)",
                  ave_analysis_frames_to_string (run->frames), run->n_frames,
                  info->duration * FPS, run->n_keyframes, info->key_interval);
  return g_steal_pointer (&analysis);
}

/* The sample (x264 with B-frames, a key picture every 2 s) read as the
 * job reads it in `mode` (AVE_ANALYSIS_FRAMES=`forced` when not NULL):
 * the reader decodes `expected` pictures, and the shots are still found
 * on their frames. */
static void
check_sample_frames (AveMode           mode,
                     const char       *forced,
                     AveAnalysisFrames expected)
{
  const char *path = ave_test_sample ("sample.mp4", 30, 320, 180);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  FastRun run = { 0 };
  double fps;
  g_autoptr(GArray) cuts = load_sample_cuts (path, &fps);

  ave_settings_apply_mode (settings, mode);
  if (forced != NULL)
    g_setenv ("AVE_ANALYSIS_FRAMES", forced, TRUE);
  analysis = analyze_like_job (path, settings, TRUE, &run);
  g_unsetenv ("AVE_ANALYSIS_FRAMES");
  g_assert_cmpint (run.frames, ==, expected);
  g_assert_cmpuint (run.n_keyframes, >=, cuts->len);
  if (expected == AVE_ANALYSIS_FRAMES_KEY)
    g_assert_cmpuint (run.n_frames, ==, run.n_keyframes);
  else
    g_assert_cmpfloat (run.n_frames, <, 0.8 * 30 * fps);
  assert_sample_cuts (analysis, cuts, 1.0 / fps);
}

/* The default mode decodes reference pictures only, and so does fast
 * mode when asked to (AVE_ANALYSIS_FRAMES=reference). */
static void
test_reference_frames_only (void)
{
  check_sample_frames (AVE_MODE_BALANCED, NULL, AVE_ANALYSIS_FRAMES_REFERENCE);
  check_sample_frames (AVE_MODE_FAST, "reference", AVE_ANALYSIS_FRAMES_REFERENCE);
}

/* --mode fast decodes one picture per key picture. */
static void
test_key_frames_sample (void)
{
  check_sample_frames (AVE_MODE_FAST, NULL, AVE_ANALYSIS_FRAMES_KEY);
}

/* With key pictures only, the stretches between key pictures that differ
 * are decoded by a pool of threads while the reading pass goes on, each
 * run of them by one thread: the analysis is the same whatever the number
 * of threads, and an analyser freed while they decode (a cancelled job)
 * stops them and leaks nothing (the sanitizer run checks that). */
static void
test_key_frames_decoders (void)
{
  const char *path = ave_test_sample ("sample.mp4", 30, 320, 180);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) one = NULL;
  g_autoptr(AveAnalysis) three = NULL;
  g_autoptr(AveAnalysis) none = NULL;
  /* three decoders on threads of their own, below the caller's priority
   * (as the job runs them beside the speech recogniser) */
  FastRun run_one = { .decoders = 1 }, run_three = { .decoders = 3, .nice_increment = 3 };
  FastRun stopped = { .no_finish = TRUE, .nice_increment = 3 };

  int nice = ave_thread_get_nice ();

  ave_settings_apply_mode (settings, AVE_MODE_FAST);
  g_setenv ("AVE_ANALYSIS_FRAMES", "key", TRUE);
  one = analyze_like_job (path, settings, TRUE, &run_one);
  three = analyze_like_job (path, settings, TRUE, &run_three);
  none = analyze_like_job (path, settings, TRUE, &stopped);
  g_unsetenv ("AVE_ANALYSIS_FRAMES");
  g_assert_cmpint (run_three.frames, ==, AVE_ANALYSIS_FRAMES_KEY);
  g_assert_null (none);
  /* only the threads the analysis started ran below it */
  g_assert_cmpint (ave_thread_get_nice (), ==, nice);

  g_assert_cmpuint (one->shots->len, >, 1);
  g_assert_cmpuint (one->shots->len, ==, three->shots->len);
  for (guint i = 0; i < one->shots->len; i++)
    {
      const AveShot *a = &g_array_index (one->shots, AveShot, i);
      const AveShot *b = &g_array_index (three->shots, AveShot, i);

      g_assert_cmpfloat (a->start, ==, b->start);
      g_assert_cmpfloat (a->end, ==, b->end);
      g_assert_cmpint (a->transition, ==, b->transition);
      g_assert_cmpfloat (a->quality, ==, b->quality);
      g_assert_cmpfloat (a->motion, ==, b->motion);
      g_assert_cmpfloat (a->highlight, ==, b->highlight);
    }
  g_assert_cmpuint (one->highlights->len, ==, three->highlights->len);
  g_assert_cmpmem (one->highlights->data, one->highlights->len * sizeof (AveHighlight),
                   three->highlights->data, three->highlights->len * sizeof (AveHighlight));
  g_assert_cmpuint (one->thumbnail_candidates->len, ==, three->thumbnail_candidates->len);
  g_assert_cmpmem (one->thumbnail_candidates->data,
                   one->thumbnail_candidates->len * sizeof (AveThumbnailCandidate),
                   three->thumbnail_candidates->data,
                   three->thumbnail_candidates->len * sizeof (AveThumbnailCandidate));
}

/* Each thumbnail candidate carries the signature of its own analysed
 * picture (the thumbnail step compares candidates by it without decoding
 * them): with reference pictures, and with key pictures where most
 * candidates come from the stretches decoded between two of them.  The
 * picture decoded again at the candidate's time, at the analysis size,
 * has nearly the same signature. */
static void
check_candidate_signatures (AveMode mode)
{
  const char *path = ave_test_sample ("sample.mp4", 30, 320, 180);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(GError) error = NULL;
  FastRun run = { 0 };
  AveMediaSourceOptions options = { .want_video = TRUE, .video_width = 320, .video_height = 180 };

  ave_settings_apply_mode (settings, mode);
  analysis = analyze_like_job (path, settings, TRUE, &run);
  source = ave_media_source_open (path, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (analysis->thumbnail_candidates->len, >=, analysis->shots->len);
  for (guint i = 0; i < analysis->thumbnail_candidates->len; i++)
    {
      const AveThumbnailCandidate *c = &g_array_index (analysis->thumbnail_candidates, AveThumbnailCandidate, i);
      g_autoptr(AvePicture) picture = NULL;
      AveThumbnailSignature decoded;
      double distance;

      g_assert_true (c->has_signature);
      g_assert_true (ave_media_source_seek (source, c->time, &error));
      picture = ave_media_source_read_picture (source, &error);
      g_assert_no_error (error);
      g_assert_nonnull (picture);
      ave_thumbnail_signature_compute (picture->y, picture->y_stride, picture->width, picture->height, &decoded);
      distance = ave_thumbnail_signature_distance (&c->signature, &decoded);
      g_test_message ("%s: candidate at %.3f s, %.2f from the picture decoded again",
                      ave_analysis_frames_to_string (run.frames), c->time, distance);
      g_assert_cmpfloat (distance, <, 0.25 * AVE_THUMBNAIL_SIGNATURE_ALIKE);
    }
}

static void
test_candidate_signatures (void)
{
  check_candidate_signatures (AVE_MODE_BALANCED);
  check_candidate_signatures (AVE_MODE_FAST);
}

/* The default analysis decodes reference pictures too.  Here x264 may not
 * start a new picture type at a change of scene (scenecut=0) and every
 * fourth picture only is a reference (3 B-frames, no pyramid): the cuts
 * at frames 75 and 105 fall on B-frames that the reader drops, and the
 * analysis finds them at the next reference picture (76, 108), then
 * decodes the pictures between and puts each cut on its own frame. */
static void
test_cut_on_skipped_frame (void)
{
  g_autofree char *args = g_strdup_printf ("-filter_complex '%s' -c:v libx264 -preset veryfast "
                                           "-x264-params scenecut=0:bframes=3:b-adapt=0:b-pyramid=none",
                                           cuts_graph);
  const char *path = ave_test_ffmpeg_media ("cuts-b-frames.mp4", args);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  FastRun run = { 0 };

  g_assert_false (ave_settings_fast_analysis (settings));
  /* every level but ultra; ultra decodes every picture */
  ave_settings_apply_quality (settings, AVE_QUALITY_ULTRA);
  g_assert_cmpint (ave_settings_analysis_frames (settings), ==, AVE_ANALYSIS_FRAMES_ALL);
  ave_settings_apply_quality (settings, AVE_QUALITY_HIGH);
  analysis = analyze_like_job (path, settings, TRUE, &run);
  g_assert_cmpint (run.frames, ==, AVE_ANALYSIS_FRAMES_REFERENCE);
  /* a quarter of 145 frames, and the last one */
  g_assert_cmpuint (run.n_frames, <=, 40);
  check_cuts (analysis, 0.0);
}

/* Key pictures only (fast mode, AVE_ANALYSIS_FRAMES=key), on the cuts at frames 40, 75 and 105
 * encoded so that no cut starts a GOP (no picture type chosen at a change
 * of scene, a key picture every 50 or 70 frames, the last GOP running to
 * the end): each cut lies between two key pictures, or after the last,
 * and must come out on its exact frame.  With 70 frames the cuts at 75
 * and 105 lie in one GOP: both must be found, not only the stronger. */
typedef struct
{
  const char *name;
  const char *codec;
} KeyEncoding;

static void
check_key_encoding (const KeyEncoding *enc)
{
  g_autofree char *args = g_strdup_printf ("-filter_complex '%s' %s", cuts_graph, enc->codec);
  const char *path = ave_test_ffmpeg_media (enc->name, args);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  FastRun run = { 0 };

  g_test_message ("%s: %s", enc->name, enc->codec);
  ave_settings_apply_mode (settings, AVE_MODE_FAST);
  g_setenv ("AVE_ANALYSIS_FRAMES", "key", TRUE);
  analysis = analyze_like_job (path, settings, TRUE, &run);
  g_unsetenv ("AVE_ANALYSIS_FRAMES");
  g_assert_cmpint (run.frames, ==, AVE_ANALYSIS_FRAMES_KEY);
  /* the key pictures only: 0, 50, 100 or 0, 70, 140 */
  g_assert_cmpuint (run.n_frames, <=, 3);
  g_assert_cmpuint (run.n_frames, ==, run.n_keyframes);
  check_cuts (analysis, 0.0);
}

static void
test_key_frames_cut_mid_gop (void)
{
  static const KeyEncoding encodings[] = {
    { "key-cuts-x264.mp4", "-c:v libx264 -preset veryfast -x264-params keyint=50:min-keyint=50:scenecut=0" },
    { "key-cuts-mpeg4.mp4", "-c:v mpeg4 -q:v 3 -g 50 -sc_threshold 1000000000" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++)
    check_key_encoding (&encodings[i]);
}

static void
test_key_frames_two_cuts_in_gop (void)
{
  static const KeyEncoding encodings[] = {
    { "key-two-cuts-x264.mp4", "-c:v libx264 -preset veryfast -x264-params keyint=70:min-keyint=70:scenecut=0" },
    /* open GOPs: the key picture at 70 is an I-frame, not an IDR */
    { "key-two-cuts-open-gop.mp4",
      "-c:v libx264 -preset veryfast -x264-params keyint=70:min-keyint=70:scenecut=0:open-gop=1" },
    /* HEVC: the key picture at 70 is a CRA */
    { "key-two-cuts-hevc.mp4",
      "-c:v libx265 -preset veryfast -x265-params keyint=70:min-keyint=70:scenecut=0:open-gop=1:log-level=error" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++)
    check_key_encoding (&encodings[i]);
}

/* The sample talk with a key picture every 50 frames whatever the
 * pictures (fixed GOPs, as screen recorders write them), so its cuts lie
 * inside GOPs.  Its busy shots change as much between two key pictures as
 * a cut does; those intervals are not looked into, and one next to a GOP
 * decoded again (whose small steps lower the detector's local median)
 * must still not read as a cut: the analysis finds the sample's cuts and
 * no others. */
static void
test_key_frames_fixed_gop (void)
{
  const char *sample = ave_test_sample ("sample.mp4", 30, 320, 180);
  g_autofree char *args = g_strdup_printf ("-i '%s' -map 0 -c:v libx264 -preset veryfast "
                                           "-x264-params keyint=50:min-keyint=50:scenecut=0 -c:a copy",
                                           sample);
  const char *path = ave_test_ffmpeg_media ("sample-fixed-gop.mp4", args);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  FastRun run = { 0 };
  double fps;
  g_autoptr(GArray) cuts = load_sample_cuts (sample, &fps);

  ave_settings_apply_mode (settings, AVE_MODE_FAST);
  g_setenv ("AVE_ANALYSIS_FRAMES", "key", TRUE);
  analysis = analyze_like_job (path, settings, TRUE, &run);
  g_unsetenv ("AVE_ANALYSIS_FRAMES");
  g_assert_cmpint (run.frames, ==, AVE_ANALYSIS_FRAMES_KEY);
  print_shots (analysis);
  assert_sample_cuts (analysis, cuts, 1.0 / fps);
}

/* A still picture, then a fast pan between two key pictures (from 2 s to
 * 4 s, speeding up to 25 pixels a frame and slowing down again, across
 * four copies of the same picture side by side), then still again: the
 * key pictures at 2 s and 4 s show the picture shifted by half its
 * width, as different as across a cut, and without the pictures between
 * that is what the analysis finds; with them, the pan's steps are small,
 * and there is one shot, as when every picture is analysed. */
static void
test_key_frames_pan (void)
{
  const char *path = ave_test_ffmpeg_media ("key-pan.mp4",
      "-filter_complex 'testsrc2=s=320x180:r=25:d=6,gblur=sigma=3,split=4[p1][p2][p3][p4];"
      "[p1][p2][p3][p4]hstack=inputs=4,crop=320:180:x=400*(1-cos(PI*clip(t-2\\,0\\,2)/2)):y=0,format=yuv420p' "
      "-c:v libx264 -preset veryfast -x264-params keyint=50:min-keyint=50:scenecut=0");
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) unrefined = NULL;
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AveAnalysis) every = NULL;
  FastRun run = { 0 }, bare = { 0 }, all = { 0 };

  ave_settings_apply_mode (settings, AVE_MODE_FAST);
  g_setenv ("AVE_ANALYSIS_FRAMES", "key", TRUE);
  unrefined = analyze_like_job (path, settings, FALSE, &bare);
  g_assert_cmpint (bare.frames, ==, AVE_ANALYSIS_FRAMES_KEY);
  print_shots (unrefined);
  g_assert_cmpuint (unrefined->shots->len, >, 1);

  analysis = analyze_like_job (path, settings, TRUE, &run);
  print_shots (analysis);
  g_assert_cmpint (run.frames, ==, AVE_ANALYSIS_FRAMES_KEY);
  g_assert_cmpuint (analysis->shots->len, ==, 1);

  g_setenv ("AVE_ANALYSIS_FRAMES", "all", TRUE);
  every = analyze_like_job (path, settings, TRUE, &all);
  g_unsetenv ("AVE_ANALYSIS_FRAMES");
  g_assert_cmpint (all.frames, ==, AVE_ANALYSIS_FRAMES_ALL);
  g_assert_cmpuint (every->shots->len, ==, 1);
}

/* AVE_ANALYSIS_FRAMES=key asks for key pictures at any level; a file
 * whose key pictures are too far apart (one every 250 frames: the whole
 * 5.8 s) gets reference pictures, and the shots all the same. */
static void
test_key_frames_override (void)
{
  g_autofree char *sparse_args = g_strdup_printf ("-filter_complex '%s' -c:v libx264 -preset veryfast "
                                                  "-x264-params keyint=250:scenecut=0", cuts_graph);
  const char *sparse = ave_test_ffmpeg_media ("key-sparse.mp4", sparse_args);
  g_autofree char *dense_args = g_strdup_printf ("-filter_complex '%s' -c:v libx264 -preset veryfast "
                                                 "-x264-params keyint=50:min-keyint=50:scenecut=0", cuts_graph);
  const char *dense = ave_test_ffmpeg_media ("key-cuts-x264.mp4", dense_args);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AveAnalysis) fallback = NULL;
  FastRun run = { 0 }, other = { 0 };

  g_setenv ("AVE_ANALYSIS_FRAMES", "key", TRUE);
  g_assert_cmpint (ave_settings_analysis_frames (settings), ==, AVE_ANALYSIS_FRAMES_KEY);
  analysis = analyze_like_job (dense, settings, TRUE, &run);
  fallback = analyze_like_job (sparse, settings, TRUE, &other);
  g_unsetenv ("AVE_ANALYSIS_FRAMES");

  g_assert_cmpint (run.frames, ==, AVE_ANALYSIS_FRAMES_KEY);
  g_assert_cmpuint (run.n_frames, ==, 3);
  check_cuts (analysis, 0.0);
  g_assert_cmpint (other.frames, ==, AVE_ANALYSIS_FRAMES_REFERENCE);
  g_assert_cmpuint (other.n_frames, >, 3);
  check_cuts (fallback, 0.0);
}

/* The detector on hand-made records: pure function, exact expectations. */
static void
fill_records (AveFrameRecord *r,
              guint           n)
{
  for (guint i = 0; i < n; i++)
    {
      r[i] = (AveFrameRecord) {
        .pts = i / FPS, .duration = 1 / FPS, .has_prev = i > 0,
        .mean_luma = 120, .contrast = 50, .sharpness = 500, .colourfulness = 20,
        .diff_prev = 2, .motion = 1, .hist_prev = 0.01f,
        .hist_skip = i >= 2 ? 0.015f : -1, .hist_long = i >= 10 ? 0.03f : -1,
      };
    }
}

static void
test_detector_records (void)
{
  AveFrameRecord r[100];
  g_autoptr(GArray) found = NULL;

  /* a cut at 50: big step, and everything after differs from before */
  fill_records (r, 100);
  r[50].diff_prev = 60;
  r[50].hist_prev = 0.7f;
  r[51].hist_skip = 0.7f;
  for (guint i = 50; i < 60; i++)
    r[i].hist_long = 0.7f;
  found = _ave_shot_detect (r, 100, 10, 0.35);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpuint (g_array_index (found, AveShotBoundary, 0).index, ==, 50);
  g_assert_cmpint (g_array_index (found, AveShotBoundary, 0).transition, ==, AVE_SHOT_TRANSITION_CUT);
  g_clear_pointer (&found, g_array_unref);

  /* the same step on a record judged to hold no cut (with key pictures
   * only: a key interval not looked into, whose long-span change is
   * unknown) is none; without the judgement it is one */
  for (guint i = 50; i < 60; i++)
    r[i].hist_long = -1.0f;
  found = _ave_shot_detect (r, 100, 10, 0.35);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_array_unref);
  r[50].no_cut = TRUE;
  found = _ave_shot_detect (r, 100, 10, 0.35);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_array_unref);
  r[50].no_cut = FALSE;
  for (guint i = 50; i < 60; i++)
    r[i].hist_long = 0.7f;

  /* the same step, but frame 51 is back to frame 49: a flash */
  r[51].diff_prev = 60;
  r[51].hist_prev = 0.7f;
  r[51].hist_skip = 0.02f;
  for (guint i = 50; i < 60; i++)
    r[i].hist_long = 0.03f;
  r[50].hist_long = 0.7f;
  found = _ave_shot_detect (r, 100, 10, 0.35);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_array_unref);

  /* a small step in a calm shot is not a cut; a very sensitive threshold
   * still does not find one in steady noise */
  fill_records (r, 100);
  r[50].diff_prev = 6;
  r[50].hist_prev = 0.05f;
  found = _ave_shot_detect (r, 100, 10, 0.35);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_array_unref);
  found = _ave_shot_detect (r, 100, 10, 0.0);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_array_unref);

  /* fade through black: luma ramps 120 -> 16 over 40..49, black 50..54,
   * back up over 55..64 */
  fill_records (r, 100);
  for (guint i = 40; i < 65; i++)
    {
      double level = i < 50 ? 120 - (i - 39) * 10.4 : i < 55 ? 16 : 16 + (i - 54) * 10.4;

      r[i].mean_luma = (float) level;
      r[i].contrast = (float) ((level - 16) / 104 * 50);
      r[i].diff_prev = 10;
      r[i].hist_prev = 0.1f;
    }
  for (guint i = 50; i < 55; i++)
    r[i].diff_prev = 0, r[i].hist_prev = 0;
  found = _ave_shot_detect (r, 100, 10, 0.35);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpint (g_array_index (found, AveShotBoundary, 0).transition, ==, AVE_SHOT_TRANSITION_FADE);
  g_assert_cmpuint (g_array_index (found, AveShotBoundary, 0).index, >=, 51);
  g_assert_cmpuint (g_array_index (found, AveShotBoundary, 0).index, <=, 53);
  g_clear_pointer (&found, g_array_unref);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/video-analysis/detector-records", test_detector_records);
  g_test_add_func ("/engine/video-analysis/hard-cuts", test_hard_cuts);
  g_test_add_func ("/engine/video-analysis/frame-step", test_frame_step);
  g_test_add_func ("/engine/video-analysis/reference-frames-only", test_reference_frames_only);
  g_test_add_func ("/engine/video-analysis/cut-on-skipped-frame", test_cut_on_skipped_frame);
  g_test_add_func ("/engine/video-analysis/key-frames-sample", test_key_frames_sample);
  g_test_add_func ("/engine/video-analysis/candidate-signatures", test_candidate_signatures);
  g_test_add_func ("/engine/video-analysis/key-frames-decoders", test_key_frames_decoders);
  g_test_add_func ("/engine/video-analysis/key-frames-fixed-gop", test_key_frames_fixed_gop);
  g_test_add_func ("/engine/video-analysis/key-frames-cut-mid-gop", test_key_frames_cut_mid_gop);
  g_test_add_func ("/engine/video-analysis/key-frames-two-cuts-in-gop", test_key_frames_two_cuts_in_gop);
  g_test_add_func ("/engine/video-analysis/key-frames-pan", test_key_frames_pan);
  g_test_add_func ("/engine/video-analysis/key-frames-override", test_key_frames_override);
  g_test_add_func ("/engine/video-analysis/vulkan-same-result", test_vulkan_same_result);
  g_test_add_func ("/engine/video-analysis/scale-on-compute", test_scale_on_compute);
  g_test_add_func ("/engine/video-analysis/flash", test_flash);
  g_test_add_func ("/engine/video-analysis/dissolve", test_dissolve);
  g_test_add_func ("/engine/video-analysis/fade", test_fade);
  g_test_add_func ("/engine/video-analysis/no-false-boundaries", test_no_false_boundaries);
  g_test_add_func ("/engine/video-analysis/quality", test_quality);
  g_test_add_func ("/engine/video-analysis/highlights-thumbnails", test_highlights_thumbnails);
  g_test_add_func ("/engine/video-analysis/sample-file", test_sample_file);

  return g_test_run ();
}
