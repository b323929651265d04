#define G_LOG_DOMAIN "ave-test-compute"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "compute/ave-compute.h"

/* A frame that owns its planes, with strides wider than the rows so that
 * kernels that ignore the stride fail. */
typedef struct
{
  AveYuvFrame f;
  guint8 *data;
} TestFrame;

static TestFrame *
test_frame_new (int w, int h, guint8 y, guint8 u, guint8 v)
{
  TestFrame *t = g_new0 (TestFrame, 1);
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  int ys = w + 7, uvs = cw + 5;
  gsize ysize = (gsize) ys * h, uvsize = (gsize) uvs * ch;

  t->data = g_malloc (ysize + 2 * uvsize);
  memset (t->data, y, ysize);
  memset (t->data + ysize, u, uvsize);
  memset (t->data + ysize + uvsize, v, uvsize);
  t->f.width = w;
  t->f.height = h;
  t->f.y = t->data;
  t->f.y_stride = ys;
  t->f.u = t->data + ysize;
  t->f.v = t->data + ysize + uvsize;
  t->f.uv_stride = uvs;
  return t;
}

static void
test_frame_free (TestFrame *t)
{
  g_free (t->data);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestFrame, test_frame_free)

#define Y_AT(t, x, yy) ((t)->f.y[(gsize) (yy) * (t)->f.y_stride + (x)])
#define U_AT(t, x, yy) ((t)->f.u[(gsize) (yy) * (t)->f.uv_stride + (x)])
#define V_AT(t, x, yy) ((t)->f.v[(gsize) (yy) * (t)->f.uv_stride + (x)])

/* ------------------------------------------------------------- analysis */

static void
test_flat_stats (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(TestFrame) t = test_frame_new (33, 17, 100, 128, 200);
  g_autoptr(GError) error = NULL;
  AveFrameStats stats;
  AveFrameMeasures m;

  g_assert_true (ave_compute_analyze_frames (compute, NULL, &t->f, 1, &stats, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (stats.n_pixels, ==, 33 * 17);
  g_assert_cmpuint (stats.sum_y, ==, 100 * 33 * 17);
  g_assert_cmpuint (stats.sum_y2, ==, 10000 * 33 * 17);
  for (guint i = 0; i < AVE_LUMA_BINS; i++)
    g_assert_cmpuint (stats.hist_y[i], ==, i == 25 ? 33 * 17 : 0);
  /* chroma plane is 17 x 9 */
  for (guint i = 0; i < AVE_CHROMA_BINS; i++)
    {
      g_assert_cmpuint (stats.hist_u[i], ==, i == 8 ? 17 * 9 : 0);
      g_assert_cmpuint (stats.hist_v[i], ==, i == 12 ? 17 * 9 : 0);
    }
  g_assert_cmpuint (stats.lap_n, ==, 31 * 15);
  g_assert_cmpint (stats.lap_sum, ==, 0);
  g_assert_cmpuint (stats.lap_sum2, ==, 0);
  g_assert_false (stats.has_prev);
  g_assert_cmpuint (stats.sad_prev, ==, 0);
  g_assert_cmpuint (stats.motion_prev, ==, 0);
  g_assert_cmpuint (stats.motion_blocks, ==, 4 * 2);

  ave_frame_stats_derive (&stats, &m);
  g_assert_cmpfloat_with_epsilon (m.mean_luma, 100.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (m.contrast, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (m.sharpness, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (m.diff_prev, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (m.motion, 0.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (ave_frame_stats_hist_distance (&stats, &stats), 0.0, 1e-12);
}

static void
test_laplacian_edge (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(TestFrame) t = test_frame_new (33, 17, 0, 128, 128);
  g_autoptr(GError) error = NULL;
  AveFrameStats stats;
  AveFrameMeasures m;
  double n, mean;

  /* a vertical edge: columns 0..15 are 0, 16..32 are 200 */
  for (int y = 0; y < 17; y++)
    for (int x = 16; x < 33; x++)
      Y_AT (t, x, y) = 200;

  g_assert_true (ave_compute_analyze_frames (compute, NULL, &t->f, 1, &stats, &error));
  g_assert_no_error (error);

  /* only columns 15 (L = -200) and 16 (L = +200) respond, on 15 interior rows */
  g_assert_cmpuint (stats.lap_n, ==, 31 * 15);
  g_assert_cmpint (stats.lap_sum, ==, 0);
  g_assert_cmpuint (stats.lap_sum2, ==, 2 * 15 * 40000);
  g_assert_cmpuint (stats.sum_y, ==, 200 * 17 * 17);
  g_assert_cmpuint (stats.hist_y[0], ==, 16 * 17);
  g_assert_cmpuint (stats.hist_y[50], ==, 17 * 17);

  ave_frame_stats_derive (&stats, &m);
  n = 31 * 15;
  g_assert_cmpfloat_with_epsilon (m.sharpness, 2 * 15 * 40000 / n, 1e-6);
  mean = 200.0 * 17 / 33;
  g_assert_cmpfloat_with_epsilon (m.mean_luma, mean, 1e-9);
  g_assert_cmpfloat_with_epsilon (m.contrast, sqrt (40000.0 * 17 / 33 - mean * mean), 1e-6);
}

static void
test_histogram_ramp (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(TestFrame) t = test_frame_new (64, 4, 0, 0, 0);
  g_autoptr(GError) error = NULL;
  AveFrameStats stats;

  /* luma x*4 + (y & 3): every bin gets the 4 values of its range once per row */
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 64; x++)
      Y_AT (t, x, y) = (guint8) (x * 4 + y);
  /* chroma 32 x 2: u = x*8 (two samples per bin), v = 255 - x*8 */
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 32; x++)
      {
        U_AT (t, x, y) = (guint8) (x * 8);
        V_AT (t, x, y) = (guint8) (255 - x * 8);
      }

  g_assert_true (ave_compute_analyze_frames (compute, NULL, &t->f, 1, &stats, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < AVE_LUMA_BINS; i++)
    g_assert_cmpuint (stats.hist_y[i], ==, 4);
  for (guint i = 0; i < AVE_CHROMA_BINS; i++)
    {
      g_assert_cmpuint (stats.hist_u[i], ==, 4);
      g_assert_cmpuint (stats.hist_v[i], ==, 4);
    }
}

static void
test_sad_motion (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(TestFrame) a = test_frame_new (33, 17, 0, 128, 128);
  g_autoptr(TestFrame) b = test_frame_new (33, 17, 0, 128, 128);
  g_autoptr(GError) error = NULL;
  AveYuvFrame batch[3];
  AveFrameStats stats[3], single;
  AveFrameMeasures m;

  /* a bright 8x8 block moves from block (1,1) to block (2,1) */
  for (int y = 8; y < 16; y++)
    for (int x = 0; x < 8; x++)
      {
        Y_AT (a, 8 + x, y) = 200;
        Y_AT (b, 16 + x, y) = 200;
      }

  batch[0] = a->f;
  batch[1] = b->f;
  batch[2] = a->f;
  g_assert_true (ave_compute_analyze_frames (compute, NULL, batch, 3, stats, &error));
  g_assert_no_error (error);

  g_assert_false (stats[0].has_prev);
  g_assert_cmpuint (stats[0].sad_prev, ==, 0);
  for (int i = 1; i < 3; i++)
    {
      g_assert_true (stats[i].has_prev);
      g_assert_cmpuint (stats[i].sad_prev, ==, 2 * 64 * 200);
      g_assert_cmpuint (stats[i].motion_prev, ==, 2 * 64 * 200);
      g_assert_cmpuint (stats[i].motion_blocks, ==, 8);
    }

  ave_frame_stats_derive (&stats[1], &m);
  g_assert_cmpfloat_with_epsilon (m.diff_prev, 25600.0 / (33 * 17), 1e-9);
  g_assert_cmpfloat_with_epsilon (m.motion, 25600.0 / 8 / 64, 1e-9);

  /* the same pair across two calls (prev given explicitly) agrees */
  g_assert_true (ave_compute_analyze_frames (compute, &a->f, &b->f, 1, &single, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (&single, sizeof single, &stats[1], sizeof stats[1]);

  /* noise that keeps a block's sum: sad sees it, motion does not */
  {
    g_autoptr(TestFrame) noisy = test_frame_new (33, 17, 0, 128, 128);

    for (int y = 8; y < 16; y++)
      for (int x = 0; x < 8; x++)
        Y_AT (noisy, 8 + x, y) = 200;
    Y_AT (noisy, 9, 9) = 205;
    Y_AT (noisy, 10, 12) = 195;
    g_assert_true (ave_compute_analyze_frames (compute, &a->f, &noisy->f, 1, &single, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (single.sad_prev, ==, 10);
    g_assert_cmpuint (single.motion_prev, ==, 0);
  }

  /* frames of different sizes in one call are refused */
  {
    g_autoptr(TestFrame) c = test_frame_new (32, 16, 0, 128, 128);
    g_autoptr(GError) size_error = NULL;

    g_assert_false (ave_compute_analyze_frames (compute, &c->f, &a->f, 1, &single, &size_error));
    g_assert_error (size_error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED);
  }
}

static void
test_hist_distance (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(TestFrame) black = test_frame_new (16, 16, 16, 128, 128);
  g_autoptr(TestFrame) white = test_frame_new (16, 16, 235, 128, 128);
  g_autoptr(TestFrame) red = test_frame_new (16, 16, 63, 102, 240);
  g_autoptr(TestFrame) half = test_frame_new (16, 16, 16, 128, 128);
  AveYuvFrame frames[4];
  AveFrameStats s[4];

  /* half: top half white, chroma unchanged */
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 16; x++)
      Y_AT (half, x, y) = 235;

  frames[0] = black->f;
  frames[1] = white->f;
  frames[2] = red->f;
  frames[3] = half->f;
  g_assert_true (ave_compute_analyze_frames (compute, NULL, frames, 4, s, NULL));

  /* luma disjoint, chroma equal: 1/3 */
  g_assert_cmpfloat_with_epsilon (ave_frame_stats_hist_distance (&s[0], &s[1]), 1.0 / 3, 1e-9);
  /* all three planes disjoint */
  g_assert_cmpfloat_with_epsilon (ave_frame_stats_hist_distance (&s[0], &s[2]), 1.0, 1e-9);
  /* half the luma moved */
  g_assert_cmpfloat_with_epsilon (ave_frame_stats_hist_distance (&s[0], &s[3]), 0.5 / 3, 1e-9);
  g_assert_cmpfloat_with_epsilon (ave_frame_stats_hist_distance (&s[3], &s[0]), 0.5 / 3, 1e-9);
}

/* ------------------------------------------------------------ composition */

static void
test_blend (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(TestFrame) a = test_frame_new (33, 17, 10, 20, 30);
  g_autoptr(TestFrame) b = test_frame_new (33, 17, 210, 220, 230);
  g_autoptr(TestFrame) out = test_frame_new (33, 17, 0, 0, 0);
  g_autoptr(GError) error = NULL;
  struct { guint weight; guint8 y, u, v; } cases[] = {
    { 0, 10, 20, 30 },
    { 256, 210, 220, 230 },
    /* (10*128 + 210*128 + 128) >> 8 = 110 */
    { 128, 110, 120, 130 },
    /* (10*192 + 210*64 + 128) >> 8 = 60 */
    { 64, 60, 70, 80 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_assert_true (ave_compute_blend (compute, &a->f, &b->f, cases[c].weight, &out->f, &error));
      g_assert_no_error (error);
      for (int y = 0; y < 17; y++)
        for (int x = 0; x < 33; x++)
          g_assert_cmpuint (Y_AT (out, x, y), ==, cases[c].y);
      for (int y = 0; y < 9; y++)
        for (int x = 0; x < 17; x++)
          {
            g_assert_cmpuint (U_AT (out, x, y), ==, cases[c].u);
            g_assert_cmpuint (V_AT (out, x, y), ==, cases[c].v);
          }
    }

  /* out may alias a */
  g_assert_true (ave_compute_blend (compute, &a->f, &b->f, 128, &a->f, &error));
  g_assert_cmpuint (Y_AT (a, 32, 16), ==, 110);
  g_assert_cmpuint (V_AT (a, 16, 8), ==, 130);

  /* different sizes are an error, not a crash */
  {
    g_autoptr(TestFrame) small = test_frame_new (32, 16, 0, 0, 0);
    g_autoptr(GError) size_error = NULL;

    g_assert_false (ave_compute_blend (compute, &small->f, &b->f, 0, &out->f, &size_error));
    g_assert_error (size_error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED);
  }
}

static void
test_yuv_to_rgba (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  struct { guint8 y, u, v; int r, g, b; int tolerance; } cases[] = {
    { 235, 128, 128, 255, 255, 255, 0 },
    { 16, 128, 128, 0, 0, 0, 0 },
    { 126, 128, 128, 128, 128, 128, 0 },
    /* BT.709 primaries in limited range */
    { 63, 102, 240, 255, 0, 0, 2 },
    { 173, 42, 26, 0, 255, 0, 2 },
    { 32, 240, 118, 0, 0, 255, 2 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(TestFrame) t = test_frame_new (33, 17, cases[c].y, cases[c].u, cases[c].v);
      const int stride = 33 * 4 + 12;
      g_autofree guint8 *rgba = g_malloc0 ((gsize) stride * 17);
      g_autoptr(GError) error = NULL;

      g_assert_true (ave_compute_yuv_to_rgba (compute, &t->f, rgba, stride, &error));
      g_assert_no_error (error);
      for (int i = 0; i < 33 * 17; i++)
        {
          const guint8 *p = rgba + (i / 33) * stride + (i % 33) * 4;

          g_assert_cmpint (ABS (p[0] - cases[c].r), <=, cases[c].tolerance);
          g_assert_cmpint (ABS (p[1] - cases[c].g), <=, cases[c].tolerance);
          g_assert_cmpint (ABS (p[2] - cases[c].b), <=, cases[c].tolerance);
          g_assert_cmpuint (p[3], ==, 255);
        }
    }
}

static void
test_rgba_to_yuv (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(TestFrame) t = test_frame_new (3, 3, 0, 0, 0);
  g_autoptr(GError) error = NULL;
  /* 3x3: row 0 white white blue, row 1 blue blue black, row 2 black x3 */
  const guint8 rgba[3 * 12] = {
    255, 255, 255, 255,  255, 255, 255, 255,  0, 0, 255, 255,
    0, 0, 255, 255,      0, 0, 255, 255,      0, 0, 0, 255,
    0, 0, 0, 255,        0, 0, 0, 255,        0, 0, 0, 255,
  };

  g_assert_true (ave_compute_rgba_to_yuv (compute, rgba, 12, &t->f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (Y_AT (t, 0, 0), ==, 235);
  g_assert_cmpuint (Y_AT (t, 2, 1), ==, 16);
  /* blue: (4064*255 + 16*65536 + 32768) >> 16 = 32 */
  g_assert_cmpuint (Y_AT (t, 2, 0), ==, 32);
  /* block (0,0): U_p = 128,128,240,240 -> (736 + 2) / 4 = 184;
   * V_p = 128,128,118,118 -> (492 + 2) / 4 = 123 */
  g_assert_cmpuint (U_AT (t, 0, 0), ==, 184);
  g_assert_cmpuint (V_AT (t, 0, 0), ==, 123);
  /* block (1,0) has two pixels, blue and black: (240 + 128 + 1) / 2 = 184 */
  g_assert_cmpuint (U_AT (t, 1, 0), ==, 184);
  g_assert_cmpuint (V_AT (t, 1, 0), ==, 123);
  /* block (0,1): two black pixels; block (1,1): one black pixel */
  g_assert_cmpuint (U_AT (t, 0, 1), ==, 128);
  g_assert_cmpuint (V_AT (t, 1, 1), ==, 128);
}

static void
rgb_round_trip (AveComputeMatrix matrix)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  /* every colour of a 18^3 grid as a 2x2 block, so chroma averaging is exact */
  const int steps = 18, w = steps * 2, h = steps * steps * 2;
  g_autoptr(TestFrame) t = test_frame_new (w, h, 0, 0, 0);
  g_autofree guint8 *in = g_malloc ((gsize) w * h * 4);
  g_autofree guint8 *out = g_malloc ((gsize) w * h * 4);
  g_autoptr(GError) error = NULL;
  int worst = 0;

  t->f.matrix = matrix;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        int r = (x / 2) * 15, g = ((y / 2) % steps) * 15, b = ((y / 2) / steps) * 15;
        guint8 *p = in + ((gsize) y * w + x) * 4;

        p[0] = (guint8) r;
        p[1] = (guint8) g;
        p[2] = (guint8) b;
        p[3] = 255;
      }

  g_assert_true (ave_compute_rgba_to_yuv (compute, in, w * 4, &t->f, &error));
  g_assert_true (ave_compute_yuv_to_rgba (compute, &t->f, out, w * 4, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < (gsize) w * h * 4; i++)
    worst = MAX (worst, ABS ((int) in[i] - (int) out[i]));
  g_test_message ("worst round-trip error: %d", worst);
  g_assert_cmpint (worst, <=, 2);
}

static void
test_rgb_round_trip (void)
{
  rgb_round_trip (AVE_COMPUTE_MATRIX_BT709);
  rgb_round_trip (AVE_COMPUTE_MATRIX_BT601);
}

/* SD video's matrix: the textbook values of pure colours, and a picture
 * drawn with one matrix read with the other is visibly off (what a BT.709
 * card on a BT.601 source looked like). */
static void
test_bt601 (void)
{
  static const struct { guint8 r, g, b, y, u, v; } colours[] = {
    { 255, 0, 0, 81, 90, 240 },
    { 0, 255, 0, 145, 54, 34 },
    { 0, 0, 255, 41, 240, 110 },
    { 255, 255, 255, 235, 128, 128 },
    { 0, 0, 0, 16, 128, 128 },
  };
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();

  for (guint c = 0; c < G_N_ELEMENTS (colours); c++)
    {
      g_autoptr(TestFrame) t = test_frame_new (6, 4, 0, 0, 0);
      g_autoptr(TestFrame) bg = test_frame_new (6, 4, 16, 128, 128);
      guint8 rgba[6 * 4 * 4], back[6 * 4 * 4];
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < 6 * 4; i++)
        {
          rgba[4 * i] = colours[c].r;
          rgba[4 * i + 1] = colours[c].g;
          rgba[4 * i + 2] = colours[c].b;
          rgba[4 * i + 3] = 255;
        }
      t->f.matrix = bg->f.matrix = AVE_COMPUTE_MATRIX_BT601;
      g_assert_true (ave_compute_rgba_to_yuv (compute, rgba, 24, &t->f, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (Y_AT (t, 3, 2), ==, colours[c].y);
      g_assert_cmpuint (U_AT (t, 1, 1), ==, colours[c].u);
      g_assert_cmpuint (V_AT (t, 1, 1), ==, colours[c].v);

      /* an opaque overlay gives the same samples */
      g_assert_true (ave_compute_overlay_rgba (compute, &bg->f, rgba, 6, 4, 24, 0, 0, 255, &error));
      g_assert_cmpuint (Y_AT (bg, 3, 2), ==, colours[c].y);
      g_assert_cmpuint (U_AT (bg, 1, 1), ==, colours[c].u);
      g_assert_cmpuint (V_AT (bg, 1, 1), ==, colours[c].v);

      /* and back, within the rounding of the two ways */
      g_assert_true (ave_compute_yuv_to_rgba (compute, &t->f, back, 24, &error));
      for (guint k = 0; k < 3; k++)
        g_assert_cmpint (ABS ((int) back[k] - (int) rgba[k]), <=, 2);

      /* the same samples read as BT.709: red comes out about 25 levels off */
      if (c == 0)
        {
          t->f.matrix = AVE_COMPUTE_MATRIX_BT709;
          g_assert_true (ave_compute_yuv_to_rgba (compute, &t->f, back, 24, &error));
          g_assert_cmpint (ABS ((int) back[0] - 255) + ABS ((int) back[1]) + ABS ((int) back[2]), >, 20);
        }
    }
}

static void
test_scale (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(GError) error = NULL;

  /* a constant frame stays constant at any size, odd ones included */
  {
    g_autoptr(TestFrame) src = test_frame_new (33, 17, 77, 99, 201);
    int sizes[][2] = { { 33, 17 }, { 16, 9 }, { 67, 35 }, { 1, 1 }, { 320, 180 } };

    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      {
        g_autoptr(TestFrame) dst = test_frame_new (sizes[s][0], sizes[s][1], 0, 0, 0);
        int cw = (sizes[s][0] + 1) / 2, ch = (sizes[s][1] + 1) / 2;

        g_assert_true (ave_compute_scale (compute, &src->f, &dst->f, &error));
        g_assert_no_error (error);
        for (int y = 0; y < sizes[s][1]; y++)
          for (int x = 0; x < sizes[s][0]; x++)
            g_assert_cmpuint (Y_AT (dst, x, y), ==, 77);
        for (int y = 0; y < ch; y++)
          for (int x = 0; x < cw; x++)
            {
              g_assert_cmpuint (U_AT (dst, x, y), ==, 99);
              g_assert_cmpuint (V_AT (dst, x, y), ==, 201);
            }
      }
  }

  /* same size is an exact copy */
  {
    g_autoptr(TestFrame) src = test_frame_new (33, 17, 0, 0, 0);
    g_autoptr(TestFrame) dst = test_frame_new (33, 17, 0, 0, 0);

    for (int y = 0; y < 17; y++)
      for (int x = 0; x < 33; x++)
        Y_AT (src, x, y) = (guint8) (x * 7 + y * 13);
    g_assert_true (ave_compute_scale (compute, &src->f, &dst->f, &error));
    for (int y = 0; y < 17; y++)
      for (int x = 0; x < 33; x++)
        g_assert_cmpuint (Y_AT (dst, x, y), ==, Y_AT (src, x, y));
  }

  /* halving averages pairs: [0 100 200 50] -> [50 125] */
  {
    g_autoptr(TestFrame) src = test_frame_new (4, 2, 0, 128, 128);
    g_autoptr(TestFrame) dst = test_frame_new (2, 2, 0, 0, 0);
    const guint8 row[] = { 0, 100, 200, 50 };

    for (int y = 0; y < 2; y++)
      memcpy (&Y_AT (src, 0, y), row, 4);
    g_assert_true (ave_compute_scale (compute, &src->f, &dst->f, &error));
    g_assert_cmpuint (Y_AT (dst, 0, 0), ==, 50);
    g_assert_cmpuint (Y_AT (dst, 1, 0), ==, 125);
    g_assert_cmpuint (Y_AT (dst, 1, 1), ==, 125);
  }

  /* doubling [0 200]: centre-aligned, clamped at the edges -> [0 50 150 200] */
  {
    g_autoptr(TestFrame) src = test_frame_new (2, 1, 0, 128, 128);
    g_autoptr(TestFrame) dst = test_frame_new (4, 1, 0, 0, 0);
    const guint8 expected[] = { 0, 50, 150, 200 };

    Y_AT (src, 1, 0) = 200;
    g_assert_true (ave_compute_scale (compute, &src->f, &dst->f, &error));
    for (int x = 0; x < 4; x++)
      g_assert_cmpuint (Y_AT (dst, x, 0), ==, expected[x]);
  }
}

static guint8 *
solid_rgba (int w, int h, guint8 r, guint8 g, guint8 b, guint8 a)
{
  guint8 *rgba = g_malloc ((gsize) w * h * 4);

  for (int i = 0; i < w * h; i++)
    {
      rgba[4 * i] = r;
      rgba[4 * i + 1] = g;
      rgba[4 * i + 2] = b;
      rgba[4 * i + 3] = a;
    }
  return rgba;
}

static void
test_overlay (void)
{
  g_autoptr(AveCompute) compute = ave_compute_cpu_new ();
  g_autoptr(GError) error = NULL;

  /* alpha 0 (or opacity 0) leaves the frame unchanged */
  {
    g_autoptr(TestFrame) dst = test_frame_new (33, 17, 50, 60, 70);
    g_autoptr(TestFrame) ref = test_frame_new (33, 17, 50, 60, 70);
    g_autofree guint8 *clear = solid_rgba (40, 20, 255, 0, 0, 0);
    g_autofree guint8 *opaque = solid_rgba (40, 20, 255, 0, 0, 255);

    g_assert_true (ave_compute_overlay_rgba (compute, &dst->f, clear, 40, 20, 160, -3, -2, 255, &error));
    g_assert_true (ave_compute_overlay_rgba (compute, &dst->f, opaque, 40, 20, 160, -3, -2, 0, &error));
    g_assert_no_error (error);
    g_assert_cmpmem (dst->data, (gsize) dst->f.y_stride * 17 + 2 * (gsize) dst->f.uv_stride * 9,
                     ref->data, (gsize) ref->f.y_stride * 17 + 2 * (gsize) ref->f.uv_stride * 9);
  }

  /* alpha 255 writes the colour; clipped at both edges of an odd frame */
  {
    g_autoptr(TestFrame) dst = test_frame_new (33, 17, 50, 60, 70);
    g_autofree guint8 *blue = solid_rgba (20, 10, 0, 0, 255, 255);

    /* covers x 23..32 (clipped from 23..42), y -4..5 -> 0..5 */
    g_assert_true (ave_compute_overlay_rgba (compute, &dst->f, blue, 20, 10, 80, 23, -4, 255, &error));
    g_assert_no_error (error);
    for (int y = 0; y < 17; y++)
      for (int x = 0; x < 33; x++)
        g_assert_cmpuint (Y_AT (dst, x, y), ==, (x >= 23 && y <= 5) ? 32 : 50);
    /* chroma blocks fully covered: cx 12..16 (block 16 holds the single
     * column 32), cy 0..2 */
    for (int cy = 0; cy < 9; cy++)
      for (int cx = 0; cx < 17; cx++)
        {
          gboolean full = cx >= 12 && cy <= 2;
          gboolean partial = cx == 11 && cy <= 2;

          if (full)
            {
              g_assert_cmpuint (U_AT (dst, cx, cy), ==, 240);
              g_assert_cmpuint (V_AT (dst, cx, cy), ==, 118);
            }
          else if (partial)
            {
              /* column 23 of block 11 is covered, column 22 is not:
               * U = (60*(1020-510) + 510*240 + 510) / 1020 = 150 */
              g_assert_cmpuint (U_AT (dst, cx, cy), ==, 150);
              /* V = (70*510 + 510*118 + 510) / 1020 = 94 */
              g_assert_cmpuint (V_AT (dst, cx, cy), ==, 94);
            }
          else
            {
              g_assert_cmpuint (U_AT (dst, cx, cy), ==, 60);
              g_assert_cmpuint (V_AT (dst, cx, cy), ==, 70);
            }
        }
  }

  /* half opacity: a = (255*128 + 127)/255 = 128;
   * Y = (16*127 + 235*128 + 127) / 255 = 126; a lone blue pixel moves its
   * block's U to the average of (240, 128, 128, 128) = 156 */
  {
    g_autoptr(TestFrame) dst = test_frame_new (8, 8, 16, 128, 128);
    g_autofree guint8 *white = solid_rgba (8, 8, 255, 255, 255, 255);
    g_autofree guint8 *blue = solid_rgba (1, 1, 0, 0, 255, 255);

    g_assert_true (ave_compute_overlay_rgba (compute, &dst->f, white, 8, 8, 32, 0, 0, 128, &error));
    g_assert_cmpuint (Y_AT (dst, 3, 5), ==, 126);
    g_assert_cmpuint (U_AT (dst, 1, 1), ==, 128);
    g_assert_true (ave_compute_overlay_rgba (compute, &dst->f, blue, 1, 1, 4, 7, 7, 255, &error));
    g_assert_cmpuint (U_AT (dst, 3, 3), ==, 156);
    g_assert_cmpuint (Y_AT (dst, 7, 7), ==, 32);
    g_assert_cmpuint (Y_AT (dst, 6, 7), ==, 126);
    g_assert_no_error (error);
  }

  /* entirely off the frame: nothing happens, no error */
  {
    g_autoptr(TestFrame) dst = test_frame_new (8, 8, 16, 128, 128);
    g_autofree guint8 *white = solid_rgba (4, 4, 255, 255, 255, 255);

    g_assert_true (ave_compute_overlay_rgba (compute, &dst->f, white, 4, 4, 16, 8, 0, 255, &error));
    g_assert_true (ave_compute_overlay_rgba (compute, &dst->f, white, 4, 4, 16, -4, -4, 255, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (Y_AT (dst, 7, 0), ==, 16);
    g_assert_cmpuint (Y_AT (dst, 0, 0), ==, 16);
  }
}

/* ------------------------------------------------ vector against scalar */

/* Random planes at an odd byte offset with odd strides, so that vector
 * loads are unaligned and rows end at every position within a vector.
 * Half the frames are pure noise, half mostly 0 and 255, where clamping
 * and the largest sums happen. */
static TestFrame *
random_frame (GRand *rand, int w, int h, gboolean extreme)
{
  TestFrame *t = g_new0 (TestFrame, 1);
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  int ys = w + 1 + 2 * g_rand_int_range (rand, 0, 20), uvs = cw + 3;
  gsize ysize = (gsize) ys * h, uvsize = (gsize) uvs * ch;

  t->data = g_malloc (1 + ysize + 2 * uvsize);
  for (gsize i = 0; i < 1 + ysize + 2 * uvsize; i++)
    t->data[i] = extreme ? (g_rand_boolean (rand) ? 255 : (guint8) g_rand_int_range (rand, 0, 3))
                         : (guint8) g_rand_int_range (rand, 0, 256);
  t->f.width = w;
  t->f.height = h;
  t->f.y = t->data + 1;
  t->f.y_stride = ys;
  t->f.u = t->f.y + ysize;
  t->f.v = t->f.u + uvsize;
  t->f.uv_stride = uvs;
  return t;
}

static gsize
frame_span (const TestFrame *t)
{
  return (gsize) (t->f.v - t->f.y) + (gsize) t->f.uv_stride * ((t->f.height + 1) / 2);
}

/* Every pixel of the frames, padding excluded. */
static void
assert_frames_equal (const TestFrame *a, const TestFrame *b, const char *what)
{
  int cw = (a->f.width + 1) / 2, ch = (a->f.height + 1) / 2;

  for (int y = 0; y < a->f.height; y++)
    if (memcmp (&Y_AT (a, 0, y), &Y_AT (b, 0, y), a->f.width) != 0)
      g_error ("%s: %dx%d luma row %d differs from the scalar reference", what,
               a->f.width, a->f.height, y);
  for (int y = 0; y < ch; y++)
    if (memcmp (&U_AT (a, 0, y), &U_AT (b, 0, y), cw) != 0 ||
        memcmp (&V_AT (a, 0, y), &V_AT (b, 0, y), cw) != 0)
      g_error ("%s: %dx%d chroma row %d differs from the scalar reference", what,
               a->f.width, a->f.height, y);
}

static TestFrame *
frame_clone (const TestFrame *t)
{
  TestFrame *c = g_new0 (TestFrame, 1);
  gsize span = 1 + frame_span (t);

  c->data = g_memdup2 (t->data, span);
  c->f = t->f;
  c->f.y = c->data + (t->f.y - t->data);
  c->f.u = c->data + (t->f.u - t->data);
  c->f.v = c->data + (t->f.v - t->data);
  return c;
}

/* The analysis of decoded pictures composes the kernels on the CPU:
 * each picture scaled (or, at the analysis size, copied) and the frames
 * analysed each against the one before, across flushes; the same stats as
 * the kernels called by hand, and the same counts. */
static void
test_analysis_composed (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (53);
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveComputeAnalysis) analysis = ave_compute_analysis_new (cpu, 96, 54);
  g_autoptr(GError) error = NULL;
  const guint n = 13;
  TestFrame *pictures[13], *scaled[13];
  AveYuvFrame frames[13];
  AveFrameStats ref[13], got[13];
  guint done = 0;

  for (guint i = 0; i < n; i++)
    {
      /* decoded sizes change; every third picture is at the analysis size */
      int w = i % 3 == 2 ? 96 : i % 2 ? 321 : 197, h = i % 3 == 2 ? 54 : i % 2 ? 179 : 111;

      pictures[i] = random_frame (rand, w, h, i % 4 == 3);
      scaled[i] = test_frame_new (96, 54, 0, 0, 0);
      if (w == 96)
        {
          for (int y = 0; y < 54; y++)
            memcpy (&Y_AT (scaled[i], 0, y), &Y_AT (pictures[i], 0, y), 96);
          for (int y = 0; y < 27; y++)
            {
              memcpy (&U_AT (scaled[i], 0, y), &U_AT (pictures[i], 0, y), 48);
              memcpy (&V_AT (scaled[i], 0, y), &V_AT (pictures[i], 0, y), 48);
            }
        }
      else
        g_assert_true (ave_compute_scale (cpu, &pictures[i]->f, &scaled[i]->f, &error));
      frames[i] = scaled[i]->f;
    }
  g_assert_true (ave_compute_analyze_frames (cpu, NULL, frames, n, ref, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < n; i++)
    {
      g_assert_true (ave_compute_analysis_add (analysis, &pictures[i]->f, &error));
      g_assert_no_error (error);
      if (ave_compute_analysis_get_n_pending (analysis) == 4 || i + 1 == n)
        {
          guint pending = ave_compute_analysis_get_n_pending (analysis);

          g_assert_true (ave_compute_analysis_flush (analysis, got + done, &error));
          g_assert_no_error (error);
          done += pending;
        }
    }
  g_assert_cmpuint (done, ==, n);
  for (guint i = 0; i < n; i++)
    if (memcmp (&ref[i], &got[i], sizeof ref[i]) != 0)
      g_error ("picture %u: the analysis differs from scale + analyze_frames", i);
  /* by hand: 9 scales and 13 frames; the analysis: as many again */
  g_assert_cmpuint (ave_compute_get_calls (cpu, AVE_COMPUTE_KERNEL_SCALE), ==, 2 * 9);
  g_assert_cmpuint (ave_compute_get_calls (cpu, AVE_COMPUTE_KERNEL_ANALYZE), ==, 2 * n);

  for (guint i = 0; i < n; i++)
    {
      test_frame_free (pictures[i]);
      test_frame_free (scaled[i]);
    }
}

static void
compare_isa (const char *isa)
{
  static const int sizes[][2] = {
    { 1, 1 }, { 2, 2 }, { 3, 3 }, { 5, 4 }, { 7, 9 }, { 17, 3 }, { 31, 33 },
    { 33, 17 }, { 64, 64 }, { 67, 35 }, { 97, 41 }, { 320, 180 }, { 641, 359 },
    /* rows longer than the vector kernels' accumulator runs (16384 and
     * 32768 samples) */
    { 40011, 3 },
  };
  g_autoptr(AveCompute) ref = ave_compute_cpu_new_for_isa ("scalar");
  g_autoptr(AveCompute) vec = ave_compute_cpu_new_for_isa (isa);
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234);
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (ave_compute_cpu_get_isa (vec), isa) != 0)
    {
      g_test_skip_printf ("this CPU has no %s (best: %s)", isa, ave_compute_cpu_get_isa (vec));
      return;
    }
  g_assert_cmpstr (ave_compute_cpu_get_isa (ref), ==, "scalar");

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int extreme = 0; extreme < 2; extreme++)
      {
        int w = sizes[s][0], h = sizes[s][1];
        TestFrame *frames[4];
        AveYuvFrame batch[3];
        AveFrameStats sr[3], sv[3];

        for (guint i = 0; i < 4; i++)
          frames[i] = random_frame (rand, w, h, extreme);
        for (guint i = 0; i < 3; i++)
          batch[i] = frames[i + 1]->f;

        /* analysis, with and without a previous frame */
        g_assert_true (ave_compute_analyze_frames (ref, &frames[0]->f, batch, 3, sr, &error));
        g_assert_true (ave_compute_analyze_frames (vec, &frames[0]->f, batch, 3, sv, &error));
        g_assert_cmpmem (sr, sizeof sr, sv, sizeof sv);
        g_assert_true (ave_compute_analyze_frames (ref, NULL, batch, 1, sr, &error));
        g_assert_true (ave_compute_analyze_frames (vec, NULL, batch, 1, sv, &error));
        g_assert_cmpmem (&sr[0], sizeof sr[0], &sv[0], sizeof sv[0]);

        /* blend, into a third frame and in place (out aliasing a) */
        for (guint k = 0; k < 5; k++)
          {
            static const guint weights[] = { 0, 1, 128, 255, 256 };
            g_autoptr(TestFrame) outr = frame_clone (frames[2]);
            g_autoptr(TestFrame) outv = frame_clone (frames[2]);
            g_autoptr(TestFrame) ar = frame_clone (frames[0]);
            g_autoptr(TestFrame) av = frame_clone (frames[0]);

            g_assert_true (ave_compute_blend (ref, &frames[0]->f, &frames[1]->f, weights[k], &outr->f, &error));
            g_assert_true (ave_compute_blend (vec, &frames[0]->f, &frames[1]->f, weights[k], &outv->f, &error));
            assert_frames_equal (outr, outv, "blend");
            g_assert_true (ave_compute_blend (ref, &ar->f, &frames[1]->f, weights[k], &ar->f, &error));
            g_assert_true (ave_compute_blend (vec, &av->f, &frames[1]->f, weights[k], &av->f, &error));
            assert_frames_equal (ar, av, "blend in place");
          }

        /* scale to smaller, larger and odd sizes */
        for (guint t = 0; t < G_N_ELEMENTS (sizes); t += 2)
          {
            g_autoptr(TestFrame) dr = random_frame (rand, sizes[t][0], sizes[t][1], FALSE);
            g_autoptr(TestFrame) dv = frame_clone (dr);

            g_assert_true (ave_compute_scale (ref, &frames[0]->f, &dr->f, &error));
            g_assert_true (ave_compute_scale (vec, &frames[0]->f, &dv->f, &error));
            assert_frames_equal (dr, dv, "scale");
          }

        /* colour conversions both ways, rows at an unaligned stride, in
         * BT.709 and BT.601 on alternate sizes */
        {
          AveComputeMatrix matrix = (s & 1) ? AVE_COMPUTE_MATRIX_BT601 : AVE_COMPUTE_MATRIX_BT709;
          int stride = w * 4 + 5;
          g_autofree guint8 *rgba_r = g_malloc0 ((gsize) stride * h + 1);
          g_autofree guint8 *rgba_v = g_malloc0 ((gsize) stride * h + 1);
          g_autoptr(TestFrame) yr = random_frame (rand, w, h, FALSE);
          g_autoptr(TestFrame) yv = NULL;

          frames[0]->f.matrix = frames[3]->f.matrix = yr->f.matrix = matrix;
          yv = frame_clone (yr);
          g_assert_true (ave_compute_yuv_to_rgba (ref, &frames[0]->f, rgba_r + 1, stride, &error));
          g_assert_true (ave_compute_yuv_to_rgba (vec, &frames[0]->f, rgba_v + 1, stride, &error));
          for (int y = 0; y < h; y++)
            g_assert_cmpmem (rgba_r + 1 + (gsize) y * stride, w * 4, rgba_v + 1 + (gsize) y * stride, w * 4);

          /* random RGBA (not a converted picture) reaches every clamp */
          for (gsize i = 0; i < (gsize) stride * h + 1; i++)
            rgba_r[i] = (guint8) g_rand_int_range (rand, 0, 256);
          g_assert_true (ave_compute_rgba_to_yuv (ref, rgba_r + 1, stride, &yr->f, &error));
          g_assert_true (ave_compute_rgba_to_yuv (vec, rgba_r + 1, stride, &yv->f, &error));
          assert_frames_equal (yr, yv, "rgba_to_yuv");

          /* overlay at several places, clipped and not, several opacities */
          for (guint k = 0; k < 6; k++)
            {
              int ow = g_rand_int_range (rand, 1, w + 9), oh = g_rand_int_range (rand, 1, h + 3);
              int ox = g_rand_int_range (rand, -ow / 2 - 1, w), oy = g_rand_int_range (rand, -oh / 2 - 1, h);
              guint opacity = (k == 0) ? 255 : (guint) g_rand_int_range (rand, 1, 256);
              int os = ow * 4 + 3;
              g_autofree guint8 *img = g_malloc ((gsize) os * oh);
              g_autoptr(TestFrame) or = frame_clone (frames[3]);
              g_autoptr(TestFrame) ov = frame_clone (frames[3]);

              for (gsize i = 0; i < (gsize) os * oh; i++)
                img[i] = (guint8) (extreme ? (g_rand_boolean (rand) ? 255 : 0) : g_rand_int_range (rand, 0, 256));
              g_assert_true (ave_compute_overlay_rgba (ref, &or->f, img, ow, oh, os, ox, oy, opacity, &error));
              g_assert_true (ave_compute_overlay_rgba (vec, &ov->f, img, ow, oh, os, ox, oy, opacity, &error));
              assert_frames_equal (or, ov, "overlay");
            }
        }
        g_assert_no_error (error);

        for (guint i = 0; i < 4; i++)
          test_frame_free (frames[i]);
      }
}

static void
test_vector_sse2 (void)
{
  compare_isa ("sse2");
}

static void
test_vector_avx2 (void)
{
  compare_isa ("avx2");
}

static void
test_cpu_isa_choice (void)
{
  g_autoptr(AveCompute) best = ave_compute_cpu_new_for_isa (NULL);

  g_assert_null (ave_compute_cpu_new_for_isa ("avx512-please"));

  /* AVE_COMPUTE_CPU caps what ave_compute_cpu_new (and so every job) runs */
  g_setenv ("AVE_COMPUTE_CPU", "scalar", TRUE);
  {
    g_autoptr(AveCompute) forced = ave_compute_cpu_new ();
    g_autoptr(AveCompute) chosen = ave_compute_new_for_settings (FALSE, 0, NULL);

    g_assert_cmpstr (ave_compute_cpu_get_isa (forced), ==, "scalar");
    g_assert_cmpstr (ave_compute_cpu_get_isa (chosen), ==, "scalar");
  }
  g_unsetenv ("AVE_COMPUTE_CPU");
  {
    g_autoptr(AveCompute) unforced = ave_compute_cpu_new ();

    g_assert_cmpstr (ave_compute_cpu_get_isa (unforced), ==, ave_compute_cpu_get_isa (best));
  }
#if defined(__x86_64__)
  /* every x86-64 CPU has SSE2: the default is never the scalar path there */
  g_assert_cmpstr (ave_compute_cpu_get_isa (best), !=, "scalar");
#endif
}

/* -------------------------------------------------------------- selection */

static void
test_new_for_settings (void)
{
  g_autofree char *notice = NULL;

  {
    g_autoptr(AveCompute) cpu = ave_compute_new_for_settings (FALSE, 0, &notice);

    g_assert_nonnull (cpu);
    g_assert_cmpstr (ave_compute_get_name (cpu), ==, "cpu");
    g_assert_null (notice);
  }

  /* a device filter that matches nothing: the CPU path, with a notice that
   * says why */
  {
    g_autoptr(AveCompute) fallback = NULL;

    g_setenv ("AVE_VULKAN_DEVICE", "no-such-device-ave-test", TRUE);
    fallback = ave_compute_new_for_settings (TRUE, 0, &notice);
    g_unsetenv ("AVE_VULKAN_DEVICE");

    g_assert_nonnull (fallback);
    g_assert_cmpstr (ave_compute_get_name (fallback), ==, "cpu");
    g_assert_nonnull (notice);
#if HAVE_VULKAN
    g_assert_true (g_str_has_prefix (notice, "GPU acceleration unavailable ("));
    g_assert_true (g_str_has_suffix (notice, "); using the CPU path"));
#else
    g_assert_cmpstr (notice, ==, "this build has no Vulkan support; using the CPU path");
#endif
  }
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/compute/flat-stats", test_flat_stats);
  g_test_add_func ("/engine/compute/laplacian-edge", test_laplacian_edge);
  g_test_add_func ("/engine/compute/histogram", test_histogram_ramp);
  g_test_add_func ("/engine/compute/sad-motion", test_sad_motion);
  g_test_add_func ("/engine/compute/hist-distance", test_hist_distance);
  g_test_add_func ("/engine/compute/analysis-composed", test_analysis_composed);
  g_test_add_func ("/engine/compute/blend", test_blend);
  g_test_add_func ("/engine/compute/yuv-to-rgba", test_yuv_to_rgba);
  g_test_add_func ("/engine/compute/rgba-to-yuv", test_rgba_to_yuv);
  g_test_add_func ("/engine/compute/rgb-round-trip", test_rgb_round_trip);
  g_test_add_func ("/engine/compute/bt601", test_bt601);
  g_test_add_func ("/engine/compute/scale", test_scale);
  g_test_add_func ("/engine/compute/overlay", test_overlay);
  g_test_add_func ("/engine/compute/new-for-settings", test_new_for_settings);
  g_test_add_func ("/engine/compute/vector-sse2", test_vector_sse2);
  g_test_add_func ("/engine/compute/vector-avx2", test_vector_avx2);
  g_test_add_func ("/engine/compute/cpu-isa-choice", test_cpu_isa_choice);

  return g_test_run ();
}
