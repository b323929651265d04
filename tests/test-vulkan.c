#define G_LOG_DOMAIN "ave-test-vulkan"

#include "config.h"

#include <string.h>

#include "ave-test-util.h"
#include "core/ave-error.h"
#include "compute/ave-compute.h"
#include "compute/ave-compute-vulkan.h"

/* The Vulkan backend against the CPU reference: every kernel must give
 * exactly the CPU's integers.  The tests run on Mesa's lavapipe (the CPU
 * Vulkan device), selected through AVE_VULKAN_DEVICE as a user would;
 * AVE_TEST_VULKAN_DEVICE names another device for the exactness tests
 * (e.g. "nvidia" to check a real GPU). */

typedef struct
{
  AveYuvFrame f;
  guint8 *y, *u, *v;
} TestFrame;

/* Strides wider than the rows, so packing must honour them. */
static TestFrame *
test_frame_new (int width,
                int height)
{
  TestFrame *t = g_new0 (TestFrame, 1);
  int cw = (width + 1) / 2, ch = (height + 1) / 2;

  t->f.width = width;
  t->f.height = height;
  t->f.y_stride = width + 13;
  t->f.uv_stride = cw + 7;
  t->y = g_malloc0 ((gsize) t->f.y_stride * height);
  t->u = g_malloc0 ((gsize) t->f.uv_stride * ch);
  t->v = g_malloc0 ((gsize) t->f.uv_stride * ch);
  t->f.y = t->y;
  t->f.u = t->u;
  t->f.v = t->v;
  return t;
}

static void
test_frame_free (TestFrame *t)
{
  g_free (t->y);
  g_free (t->u);
  g_free (t->v);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestFrame, test_frame_free)

static void
fill_random (TestFrame *t,
             GRand     *rand)
{
  int ch = (t->f.height + 1) / 2;

  for (int i = 0; i < t->f.y_stride * t->f.height; i++)
    t->y[i] = g_rand_int (rand) & 0xff;
  for (int i = 0; i < t->f.uv_stride * ch; i++)
    {
      t->u[i] = g_rand_int (rand) & 0xff;
      t->v[i] = g_rand_int (rand) & 0xff;
    }
}

/* Patterns that stress particular sums: `kind` 0 = checkerboard 0/255 (the
 * largest Laplacian, so lap_sum2 passes 2^32 at 720p), 1 = all 255 (sum_y2
 * passes 2^32), 2 = gradients, 3 = a bright square at `shift` on grey (real
 * motion between frames). */
static void
fill_pattern (TestFrame *t,
              int        kind,
              int        shift)
{
  int w = t->f.width, h = t->f.height;
  int cw = (w + 1) / 2, ch = (h + 1) / 2;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint8 v;
        switch (kind)
          {
          case 0: v = ((x + y) & 1) ? 255 : 0; break;
          case 1: v = 255; break;
          case 2: v = (guint8) ((x * 3 + y * 5 + shift) & 0xff); break;
          default:
            v = (x >= shift && x < shift + w / 3 && y >= h / 4 && y < h / 4 + h / 3) ? 235 : 60;
            break;
          }
        t->y[y * t->f.y_stride + x] = v;
      }
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++)
      {
        t->u[y * t->f.uv_stride + x] = (guint8) (kind == 1 ? 255 : (x * 7 + shift) & 0xff);
        t->v[y * t->f.uv_stride + x] = (guint8) (kind == 1 ? 0 : (y * 11 + 3 * shift) & 0xff);
      }
}

static AveCompute *
vulkan_backend (guint64 limit)
{
  g_autoptr(GError) error = NULL;
  const char *device = g_getenv ("AVE_TEST_VULKAN_DEVICE");
  AveCompute *compute;

  g_setenv ("AVE_VULKAN_DEVICE", device != NULL ? device : "llvmpipe", TRUE);
  compute = ave_compute_vulkan_new (g_getenv ("AVE_VULKAN_DEVICE"), limit, &error);
  g_assert_no_error (error);
  g_assert_nonnull (compute);
  return compute;
}

static void
assert_stats_equal (const AveFrameStats *cpu,
                    const AveFrameStats *gpu,
                    const char          *label)
{
#define FIELD(f) \
  if (cpu->f != gpu->f) \
    g_error ("%s: " #f " differs: cpu %" G_GINT64_FORMAT " vulkan %" G_GINT64_FORMAT, \
             label, (gint64) cpu->f, (gint64) gpu->f);
  FIELD (n_pixels)
  FIELD (sum_y)
  FIELD (sum_y2)
  FIELD (lap_n)
  FIELD (lap_sum)
  FIELD (lap_sum2)
  FIELD (sad_prev)
  FIELD (motion_prev)
  FIELD (motion_blocks)
  FIELD (has_prev)
#undef FIELD
  for (int i = 0; i < AVE_LUMA_BINS; i++)
    if (cpu->hist_y[i] != gpu->hist_y[i])
      g_error ("%s: hist_y[%d] differs: cpu %u vulkan %u", label, i, cpu->hist_y[i], gpu->hist_y[i]);
  for (int i = 0; i < AVE_CHROMA_BINS; i++)
    {
      if (cpu->hist_u[i] != gpu->hist_u[i])
        g_error ("%s: hist_u[%d] differs: cpu %u vulkan %u", label, i, cpu->hist_u[i], gpu->hist_u[i]);
      if (cpu->hist_v[i] != gpu->hist_v[i])
        g_error ("%s: hist_v[%d] differs: cpu %u vulkan %u", label, i, cpu->hist_v[i], gpu->hist_v[i]);
    }
}

static void
assert_plane_equal (const guint8 *a, int a_stride,
                    const guint8 *b, int b_stride,
                    int w, int h, const char *label)
{
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (a[(gsize) y * a_stride + x] != b[(gsize) y * b_stride + x])
        g_error ("%s: sample (%d, %d) differs: cpu %u vulkan %u", label, x, y,
                 a[(gsize) y * a_stride + x], b[(gsize) y * b_stride + x]);
}

static void
assert_frames_equal (const AveYuvFrame *cpu,
                     const AveYuvFrame *gpu,
                     const char        *label)
{
  int cw = (cpu->width + 1) / 2, ch = (cpu->height + 1) / 2;
  g_autofree char *ly = g_strdup_printf ("%s Y", label);
  g_autofree char *lu = g_strdup_printf ("%s U", label);
  g_autofree char *lv = g_strdup_printf ("%s V", label);

  g_assert_cmpint (cpu->width, ==, gpu->width);
  g_assert_cmpint (cpu->height, ==, gpu->height);
  assert_plane_equal (cpu->y, cpu->y_stride, gpu->y, gpu->y_stride, cpu->width, cpu->height, ly);
  assert_plane_equal (cpu->u, cpu->uv_stride, gpu->u, gpu->uv_stride, cw, ch, lu);
  assert_plane_equal (cpu->v, cpu->uv_stride, gpu->v, gpu->uv_stride, cw, ch, lv);
}

static void
copy_frame (TestFrame       *dst,
            const TestFrame *src)
{
  int ch = (src->f.height + 1) / 2;

  g_assert_cmpint (dst->f.y_stride, ==, src->f.y_stride);
  memcpy (dst->y, src->y, (gsize) src->f.y_stride * src->f.height);
  memcpy (dst->u, src->u, (gsize) src->f.uv_stride * ch);
  memcpy (dst->v, src->v, (gsize) src->f.uv_stride * ch);
}

static const int sizes[][2] = {
  { 1, 1 }, { 2, 2 }, { 3, 3 }, { 7, 5 }, { 33, 17 }, { 64, 16 }, { 65, 33 },
  { 127, 71 }, { 320, 180 }, { 1280, 720 },
};

/* Frames [0] = prev, [1..n] = the sequence; compares with and without prev. */
static void
compare_analysis (AveCompute  *cpu,
                  AveCompute  *gpu,
                  TestFrame  **frames,
                  guint        n,
                  const char  *what)
{
  g_autofree AveYuvFrame *seq = g_new0 (AveYuvFrame, n);
  g_autofree AveFrameStats *a = g_new0 (AveFrameStats, n);
  g_autofree AveFrameStats *b = g_new0 (AveFrameStats, n);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    seq[i] = frames[i + 1]->f;

  for (int with_prev = 0; with_prev < 2; with_prev++)
    {
      const AveYuvFrame *prev = with_prev ? &frames[0]->f : NULL;

      memset (b, 0xa5, sizeof (AveFrameStats) * n);
      g_assert_true (ave_compute_analyze_frames (cpu, prev, seq, n, a, &error));
      g_assert_no_error (error);
      g_assert_true (ave_compute_analyze_frames (gpu, prev, seq, n, b, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *label = g_strdup_printf ("%s %dx%d frame %u%s", what, seq[0].width,
                                                    seq[0].height, i, with_prev ? " (prev)" : "");
          assert_stats_equal (&a[i], &b[i], label);
        }
    }
}

static void
test_analyze (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int w = sizes[s][0], h = sizes[s][1];
      /* Fewer frames at 720p: lavapipe shares two cores with everything else. */
      guint n = w >= 1280 ? 3 : 6;
      TestFrame *frames[8];

      for (guint i = 0; i <= n; i++)
        {
          frames[i] = test_frame_new (w, h);
          fill_random (frames[i], rand);
        }
      compare_analysis (cpu, gpu, frames, n, "random");

      for (guint i = 0; i <= n; i++)
        fill_pattern (frames[i], i % 4 == 3 ? 3 : i % 4, (int) i * 5);
      compare_analysis (cpu, gpu, frames, n, "patterns");

      for (guint i = 0; i <= n; i++)
        fill_pattern (frames[i], 3, (int) i * 3);
      compare_analysis (cpu, gpu, frames, n, "moving square");

      for (guint i = 0; i <= n; i++)
        test_frame_free (frames[i]);
    }
}

/* The sums that overflow 32 bits must still come out whole. */
static void
test_analyze_large_sums (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  g_autoptr(TestFrame) board = test_frame_new (1280, 720);
  g_autoptr(TestFrame) white = test_frame_new (1280, 720);
  AveYuvFrame seq[2];
  AveFrameStats a[2], b[2];
  g_autoptr(GError) error = NULL;

  fill_pattern (board, 0, 0);
  fill_pattern (white, 1, 0);
  seq[0] = board->f;
  seq[1] = white->f;
  g_assert_true (ave_compute_analyze_frames (cpu, NULL, seq, 2, a, &error));
  g_assert_true (ave_compute_analyze_frames (gpu, NULL, seq, 2, b, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (a[0].lap_sum2, >, G_MAXUINT32);
  g_assert_cmpuint (a[1].sum_y2, >, G_MAXUINT32);
  g_assert_cmpuint (a[1].sum_y2, ==, (guint64) 1280 * 720 * 255 * 255);
  assert_stats_equal (&a[0], &b[0], "checkerboard");
  assert_stats_equal (&a[1], &b[1], "white");
}

static void
test_batch_sizes (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GError) error = NULL;
  const guint n = 20;
  TestFrame *frames[21];
  AveYuvFrame seq[20];
  AveFrameStats ref[20], one[20], sixteen[20];
  AveComputeVulkanTimings t1, t16;

  for (guint i = 0; i <= n; i++)
    {
      frames[i] = test_frame_new (96, 54);
      if (i % 2)
        fill_random (frames[i], rand);
      else
        fill_pattern (frames[i], 3, (int) i);
      if (i > 0)
        seq[i - 1] = frames[i]->f;
    }

  ave_compute_vulkan_set_max_batch (AVE_COMPUTE_VULKAN (gpu), 1);
  ave_compute_vulkan_reset_timings (AVE_COMPUTE_VULKAN (gpu));
  g_assert_true (ave_compute_analyze_frames (gpu, &frames[0]->f, seq, n, one, &error));
  g_assert_no_error (error);
  ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (gpu), &t1);

  ave_compute_vulkan_set_max_batch (AVE_COMPUTE_VULKAN (gpu), 16);
  ave_compute_vulkan_reset_timings (AVE_COMPUTE_VULKAN (gpu));
  g_assert_true (ave_compute_analyze_frames (gpu, &frames[0]->f, seq, n, sixteen, &error));
  g_assert_no_error (error);
  ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (gpu), &t16);

  g_assert_true (ave_compute_analyze_frames (cpu, &frames[0]->f, seq, n, ref, &error));
  g_assert_no_error (error);

  /* 20 frames: one submission each, or a batch of 16 and one of 4. */
  g_assert_cmpuint (t1.submissions, ==, 20);
  g_assert_cmpuint (t16.submissions, ==, 2);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *label = g_strdup_printf ("frame %u", i);
      assert_stats_equal (&one[i], &sixteen[i], label);
      assert_stats_equal (&ref[i], &sixteen[i], label);
    }
  for (guint i = 0; i <= n; i++)
    test_frame_free (frames[i]);
}

static void
test_blend (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  static const guint weights[] = { 0, 1, 77, 128, 255, 256 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int w = sizes[s][0], h = sizes[s][1];
      g_autoptr(TestFrame) a = test_frame_new (w, h);
      g_autoptr(TestFrame) b = test_frame_new (w, h);
      g_autoptr(TestFrame) out_cpu = test_frame_new (w, h);
      g_autoptr(TestFrame) out_gpu = test_frame_new (w, h);
      g_autoptr(TestFrame) alias = test_frame_new (w, h);

      fill_random (a, rand);
      if (s % 2)
        fill_pattern (b, 2, (int) s);
      else
        fill_random (b, rand);
      for (guint i = 0; i < G_N_ELEMENTS (weights); i++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *label = g_strdup_printf ("blend %dx%d weight %u", w, h, weights[i]);

          g_assert_true (ave_compute_blend (cpu, &a->f, &b->f, weights[i], &out_cpu->f, &error));
          g_assert_true (ave_compute_blend (gpu, &a->f, &b->f, weights[i], &out_gpu->f, &error));
          g_assert_no_error (error);
          assert_frames_equal (&out_cpu->f, &out_gpu->f, label);

          /* out aliasing a, as crossfades do in place */
          copy_frame (alias, a);
          g_assert_true (ave_compute_blend (gpu, &alias->f, &b->f, weights[i], &alias->f, &error));
          g_assert_no_error (error);
          assert_frames_equal (&out_cpu->f, &alias->f, label);
        }
    }
}

static void
test_scale (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  static const int pairs[][4] = {
    { 1920, 1080, 1280, 720 }, { 1280, 720, 384, 216 }, { 33, 17, 64, 36 },
    { 64, 36, 33, 17 }, { 1280, 720, 33, 17 }, { 320, 180, 320, 180 },
    { 1, 1, 5, 3 }, { 5, 3, 1, 1 }, { 7, 5, 640, 360 }, { 100, 2, 3, 100 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autoptr(TestFrame) src = test_frame_new (pairs[i][0], pairs[i][1]);
      g_autoptr(TestFrame) out_cpu = test_frame_new (pairs[i][2], pairs[i][3]);
      g_autoptr(TestFrame) out_gpu = test_frame_new (pairs[i][2], pairs[i][3]);
      g_autoptr(GError) error = NULL;
      g_autofree char *label = g_strdup_printf ("scale %dx%d -> %dx%d", pairs[i][0], pairs[i][1],
                                                pairs[i][2], pairs[i][3]);

      if (i % 2)
        fill_random (src, rand);
      else
        fill_pattern (src, 2, (int) i);
      g_assert_true (ave_compute_scale (cpu, &src->f, &out_cpu->f, &error));
      g_assert_true (ave_compute_scale (gpu, &src->f, &out_gpu->f, &error));
      g_assert_no_error (error);
      assert_frames_equal (&out_cpu->f, &out_gpu->f, label);
    }
}

static void
test_colour (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int w = sizes[s][0], h = sizes[s][1];
      int stride = w * 4 + 12;
      g_autoptr(TestFrame) src = test_frame_new (w, h);
      g_autoptr(TestFrame) yuv_cpu = test_frame_new (w, h);
      g_autoptr(TestFrame) yuv_gpu = test_frame_new (w, h);
      g_autofree guint8 *rgba_cpu = g_malloc0 ((gsize) stride * h);
      g_autofree guint8 *rgba_gpu = g_malloc0 ((gsize) stride * h);
      g_autofree guint8 *rgba_random = g_malloc ((gsize) stride * h);
      g_autoptr(GError) error = NULL;
      /* BT.709 and BT.601 on alternate sizes: the coefficients are pushed */
      AveComputeMatrix matrix = (s & 1) ? AVE_COMPUTE_MATRIX_BT601 : AVE_COMPUTE_MATRIX_BT709;
      g_autofree char *label = g_strdup_printf ("%dx%d %s", w, h, matrix ? "BT.601" : "BT.709");

      src->f.matrix = yuv_cpu->f.matrix = yuv_gpu->f.matrix = matrix;
      fill_random (src, rand);
      g_assert_true (ave_compute_yuv_to_rgba (cpu, &src->f, rgba_cpu, stride, &error));
      g_assert_true (ave_compute_yuv_to_rgba (gpu, &src->f, rgba_gpu, stride, &error));
      g_assert_no_error (error);
      assert_plane_equal (rgba_cpu, stride, rgba_gpu, stride, w * 4, h, label);

      /* Random RGBA covers the clamps; the converted frame covers real colours. */
      for (gsize i = 0; i < (gsize) stride * h; i++)
        rgba_random[i] = g_rand_int (rand) & 0xff;
      g_assert_true (ave_compute_rgba_to_yuv (cpu, rgba_random, stride, &yuv_cpu->f, &error));
      g_assert_true (ave_compute_rgba_to_yuv (gpu, rgba_random, stride, &yuv_gpu->f, &error));
      g_assert_no_error (error);
      assert_frames_equal (&yuv_cpu->f, &yuv_gpu->f, label);

      g_assert_true (ave_compute_rgba_to_yuv (cpu, rgba_cpu, stride, &yuv_cpu->f, &error));
      g_assert_true (ave_compute_rgba_to_yuv (gpu, rgba_cpu, stride, &yuv_gpu->f, &error));
      g_assert_no_error (error);
      assert_frames_equal (&yuv_cpu->f, &yuv_gpu->f, label);
    }
}

static void
test_overlay (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (19);
  /* frame w, h, image w, h, x, y, opacity */
  static const int cases[][7] = {
    { 320, 180, 100, 40, 10, 20, 255 },
    { 320, 180, 100, 40, 11, 21, 128 },
    { 320, 180, 100, 41, -13, -7, 200 },
    { 320, 180, 57, 33, 290, 160, 255 },
    { 33, 17, 40, 20, -3, -1, 255 },
    { 33, 17, 5, 3, 31, 15, 90 },
    { 33, 17, 1, 1, 32, 16, 255 },
    { 1280, 720, 1280, 720, 0, 0, 255 },
    { 1280, 720, 400, 120, 437, 555, 0 },
    { 64, 36, 10, 10, 100, 100, 255 },   /* entirely outside: no-op */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const int *c = cases[i];
      int stride = c[2] * 4 + 8;
      g_autoptr(TestFrame) dst_cpu = test_frame_new (c[0], c[1]);
      g_autoptr(TestFrame) dst_gpu = test_frame_new (c[0], c[1]);
      g_autofree guint8 *rgba = g_malloc ((gsize) stride * c[3]);
      g_autoptr(GError) error = NULL;
      g_autofree char *label = g_strdup_printf ("overlay case %u", i);

      dst_cpu->f.matrix = dst_gpu->f.matrix = (i & 1) ? AVE_COMPUTE_MATRIX_BT601 : AVE_COMPUTE_MATRIX_BT709;
      fill_random (dst_cpu, rand);
      copy_frame (dst_gpu, dst_cpu);
      for (gsize k = 0; k < (gsize) stride * c[3]; k++)
        rgba[k] = g_rand_int (rand) & 0xff;
      /* Fully opaque and fully transparent pixels too, not only random alpha. */
      for (int y = 0; y < c[3]; y++)
        for (int x = 0; x < c[2]; x++)
          if ((x + y) % 5 == 0)
            rgba[(gsize) y * stride + 4 * x + 3] = (x % 2) ? 255 : 0;

      g_assert_true (ave_compute_overlay_rgba (cpu, &dst_cpu->f, rgba, c[2], c[3], stride,
                                               c[4], c[5], c[6], &error));
      g_assert_true (ave_compute_overlay_rgba (gpu, &dst_gpu->f, rgba, c[2], c[3], stride,
                                               c[4], c[5], c[6], &error));
      g_assert_no_error (error);
      assert_frames_equal (&dst_cpu->f, &dst_gpu->f, label);
    }
}

static void
test_device_filter (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveCompute) compute = NULL;
  g_autofree char *known = NULL;
  g_autofree char *upper = NULL;

  /* The device the other tests use; the error below must list it. */
  compute = vulkan_backend (0);
  known = g_strdup (ave_compute_vulkan_get_device_name (AVE_COMPUTE_VULKAN (compute)));
  g_clear_object (&compute);

  compute = ave_compute_vulkan_new ("no-such-gpu-xyz", 0, &error);
  g_assert_null (compute);
  g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "no-such-gpu-xyz"));
  g_assert_nonnull (strstr (error->message, "(devices: "));
  g_assert_nonnull (strstr (error->message, known));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);

  /* Case-insensitive match. */
  upper = g_ascii_strup (g_getenv ("AVE_VULKAN_DEVICE"), -1);
  compute = ave_compute_vulkan_new (upper, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_compute_vulkan_get_device_name (AVE_COMPUTE_VULKAN (compute)), ==, known);
  g_assert_true (g_str_has_prefix (ave_compute_get_name (compute), "vulkan: "));
  g_assert_nonnull (strstr (ave_compute_get_name (compute), known));
  g_clear_object (&compute);

  /* Without a filter the CPU device is never chosen: either a real GPU
   * runs, or the error says how to ask for lavapipe. */
  compute = ave_compute_vulkan_new (NULL, 0, &error);
  if (compute != NULL)
    {
      g_assert_no_error (error);
      g_assert_null (strstr (ave_compute_get_name (compute), "llvmpipe"));
    }
  else
    {
      g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE);
      g_assert_nonnull (strstr (error->message, "no Vulkan device found"));
      g_assert_nonnull (strstr (error->message, "llvmpipe (LLVM"));
      g_assert_nonnull (strstr (error->message, "AVE_VULKAN_DEVICE=llvmpipe"));
    }
}

static void
test_no_driver (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AveCompute) compute = NULL;

      /* The loader reads these when the instance is created. */
      g_setenv ("VK_ICD_FILENAMES", "/nonexistent/ave-test-icd.json", TRUE);
      g_setenv ("VK_DRIVER_FILES", "/nonexistent/ave-test-icd.json", TRUE);
      compute = ave_compute_vulkan_new ("llvmpipe", 0, &error);
      g_assert_null (compute);
      g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE);
      g_assert_nonnull (strstr (error->message, "no Vulkan device found"));
      g_print ("%s\n", error->message);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*no Vulkan device found*");
}

static void
test_memory_limit (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) tiny = vulkan_backend (100 * 1024);
  g_autoptr(AveCompute) small = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (23);
  g_autoptr(GError) error = NULL;
  TestFrame *frames[9];
  AveYuvFrame seq[8];
  AveFrameStats ref[8], got[8];
  AveComputeVulkanTimings t;

  for (guint i = 0; i < 9; i++)
    {
      frames[i] = test_frame_new (320, 180);
      fill_random (frames[i], rand);
      if (i > 0)
        seq[i - 1] = frames[i]->f;
    }

  /* 100 KiB cannot hold one 320x180 frame and its neighbour. */
  g_assert_false (ave_compute_analyze_frames (tiny, NULL, seq, 8, got, &error));
  g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "GPU memory limit"));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "320x180"));
  g_assert_nonnull (strstr (error->message, "--gpu-memory"));
  g_clear_error (&error);
  g_assert_false (ave_compute_blend (tiny, &frames[1]->f, &frames[2]->f, 100, &frames[3]->f, &error));
  g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "--gpu-memory"));
  g_clear_error (&error);

  /* 768 KiB fits only a frame or two per batch (one where the device needs
   * staging copies): more submissions, same results. */
  small = vulkan_backend (768 * 1024);
  g_assert_true (ave_compute_analyze_frames (small, &frames[0]->f, seq, 8, got, &error));
  g_assert_no_error (error);
  g_assert_true (ave_compute_analyze_frames (cpu, &frames[0]->f, seq, 8, ref, &error));
  ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (small), &t);
  g_assert_cmpuint (t.submissions, >=, 4);
  g_assert_cmpuint (t.submissions, <=, 8);
  for (guint i = 0; i < 8; i++)
    assert_stats_equal (&ref[i], &got[i], "768 KiB limit");

  /* Composition kernels also run under that limit. */
  {
    g_autoptr(TestFrame) out_cpu = test_frame_new (320, 180);
    g_autoptr(TestFrame) out_gpu = test_frame_new (320, 180);
    g_assert_true (ave_compute_blend (cpu, &frames[1]->f, &frames[2]->f, 90, &out_cpu->f, &error));
    g_assert_true (ave_compute_blend (small, &frames[1]->f, &frames[2]->f, 90, &out_gpu->f, &error));
    g_assert_no_error (error);
    assert_frames_equal (&out_cpu->f, &out_gpu->f, "blend under 768 KiB");
  }
  for (guint i = 0; i < 9; i++)
    test_frame_free (frames[i]);
}

/* The staged path a discrete GPU takes (host buffers copied to and from
 * device-local ones) gives the same results as the unified one. */
static void
test_staged (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (29);
  g_autoptr(GError) error = NULL;
  g_autoptr(TestFrame) out_cpu = test_frame_new (127, 71);
  g_autoptr(TestFrame) out_gpu = test_frame_new (127, 71);
  AveComputeVulkanTimings t;
  TestFrame *frames[8];

  g_setenv ("AVE_VULKAN_STAGING", "1", TRUE);
  gpu = vulkan_backend (0);
  g_unsetenv ("AVE_VULKAN_STAGING");
  ave_compute_vulkan_set_max_batch (AVE_COMPUTE_VULKAN (gpu), 3);

  for (guint i = 0; i < 8; i++)
    {
      frames[i] = test_frame_new (127, 71);
      if (i % 2)
        fill_random (frames[i], rand);
      else
        fill_pattern (frames[i], 3, (int) i * 4);
    }
  compare_analysis (cpu, gpu, frames, 7, "staged");

  g_assert_true (ave_compute_blend (cpu, &frames[1]->f, &frames[2]->f, 200, &out_cpu->f, &error));
  g_assert_true (ave_compute_blend (gpu, &frames[1]->f, &frames[2]->f, 200, &out_gpu->f, &error));
  g_assert_no_error (error);
  assert_frames_equal (&out_cpu->f, &out_gpu->f, "staged blend");

  g_assert_true (ave_compute_scale (cpu, &frames[3]->f, &out_cpu->f, &error));
  g_assert_true (ave_compute_scale (gpu, &frames[3]->f, &out_gpu->f, &error));
  g_assert_no_error (error);
  assert_frames_equal (&out_cpu->f, &out_gpu->f, "staged scale");

  /* Device timestamps see the copies the staged path adds. */
  ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (gpu), &t);
  g_assert_cmpuint (t.submissions, ==, 2 * 3 + 2);
  for (guint i = 0; i < 8; i++)
    test_frame_free (frames[i]);
}

/* ------------------------------------------------------ fused analysis */

/* The reference for ave_compute_analysis_*: each picture scaled (or, at
 * the analysis size, copied) on the CPU's scalar kernels, then the scaled
 * frames analysed in one call, each against the one before. */
static void
fused_reference (TestFrame    **pictures,
                 guint          n,
                 int            width,
                 int            height,
                 AveFrameStats *out)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new_for_isa ("scalar");
  g_autofree AveYuvFrame *scaled = g_new0 (AveYuvFrame, n);
  g_autoptr(GError) error = NULL;
  TestFrame **frames = g_new0 (TestFrame *, n);

  for (guint i = 0; i < n; i++)
    {
      frames[i] = test_frame_new (width, height);
      if (pictures[i]->f.width == width && pictures[i]->f.height == height)
        copy_frame (frames[i], pictures[i]);
      else
        g_assert_true (ave_compute_scale (cpu, &pictures[i]->f, &frames[i]->f, &error));
      g_assert_no_error (error);
      scaled[i] = frames[i]->f;
    }
  g_assert_true (ave_compute_analyze_frames (cpu, NULL, scaled, n, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    test_frame_free (frames[i]);
  g_free (frames);
}

/* The pictures through an analysis on `compute`, flushed after
 * flushes[0], flushes[1], ... pictures (cycling). */
static void
fused_run (AveCompute     *compute,
           TestFrame     **pictures,
           guint           n,
           int             width,
           int             height,
           const guint    *flushes,
           guint           n_flushes,
           AveFrameStats  *out)
{
  g_autoptr(AveComputeAnalysis) analysis = ave_compute_analysis_new (compute, width, height);
  g_autoptr(GError) error = NULL;
  guint done = 0, k = 0;

  for (guint i = 0; i < n; i++)
    {
      g_assert_true (ave_compute_analysis_add (analysis, &pictures[i]->f, &error));
      g_assert_no_error (error);
      if (ave_compute_analysis_get_n_pending (analysis) == flushes[k % n_flushes] || i + 1 == n)
        {
          guint pending = ave_compute_analysis_get_n_pending (analysis);

          g_assert_true (ave_compute_analysis_flush (analysis, out + done, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (ave_compute_analysis_get_n_pending (analysis), ==, 0);
          done += pending;
          k++;
        }
    }
  g_assert_cmpuint (done, ==, n);
}

typedef struct
{
  int src[2][2];     /* pictures alternate between these sizes (equal: one size) */
  int dst[2];
  guint n;
} FusedCase;

static const FusedCase fused_cases[] = {
  { { { 641, 359 }, { 641, 359 } }, { 320, 180 }, 20 },
  { { { 333, 187 }, { 333, 187 } }, { 65, 37 }, 20 },
  /* at the analysis size (copied) and twice it, in one batch */
  { { { 128, 72 }, { 256, 144 } }, { 128, 72 }, 20 },
  /* two decoded sizes: the scale tables change within a batch */
  { { { 640, 360 }, { 480, 270 } }, { 96, 54 }, 20 },
  { { { 7, 5 }, { 7, 5 } }, { 33, 17 }, 20 },
  { { { 1280, 720 }, { 1280, 720 } }, { 384, 216 }, 6 },
};

static TestFrame **
fused_pictures (const FusedCase *c,
                GRand           *rand)
{
  TestFrame **pictures = g_new0 (TestFrame *, c->n);

  for (guint i = 0; i < c->n; i++)
    {
      const int *size = c->src[i % 2];

      pictures[i] = test_frame_new (size[0], size[1]);
      if (i % 3 == 1)
        fill_random (pictures[i], rand);
      else
        fill_pattern (pictures[i], 3, (int) i * 3);
    }
  return pictures;
}

static void
fused_pictures_free (TestFrame **pictures,
                     guint       n)
{
  for (guint i = 0; i < n; i++)
    test_frame_free (pictures[i]);
  g_free (pictures);
}

static guint64
packed_bytes (const AveYuvFrame *f)
{
  guint64 cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;

  return 4 * ((guint64) (f->width + 3) / 4 * f->height + 2 * ((cw + 3) / 4) * ch);
}

/* The fused analysis on the device gives the stats of scale followed by
 * analyze_frames on the CPU, whatever the sizes, strides, batch sizes,
 * flush points and memory path; it counts both kernels; and on the
 * staged path each picture goes up once and only the stats come back. */
static void
test_analysis_fused (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (41);
  static const guint flushes[] = { 5, 12, 1, 7 };

  for (guint staged = 0; staged < 2; staged++)
    {
      g_autoptr(AveCompute) gpu = NULL;

      if (staged)
        g_setenv ("AVE_VULKAN_STAGING", "1", TRUE);
      gpu = vulkan_backend (0);
      g_unsetenv ("AVE_VULKAN_STAGING");

      for (guint c = 0; c < G_N_ELEMENTS (fused_cases); c++)
        for (guint batch = 1; batch <= 16; batch += 15)
          {
            const FusedCase *fc = &fused_cases[c];
            TestFrame **pictures = fused_pictures (fc, rand);
            g_autofree AveFrameStats *ref = g_new0 (AveFrameStats, fc->n);
            g_autofree AveFrameStats *got = g_new0 (AveFrameStats, fc->n);
            g_autofree AveFrameStats *host = g_new0 (AveFrameStats, fc->n);
            g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
            guint64 scale0 = ave_compute_get_calls (gpu, AVE_COMPUTE_KERNEL_SCALE);
            guint64 analyze0 = ave_compute_get_calls (gpu, AVE_COMPUTE_KERNEL_ANALYZE);
            guint64 n_scaled = 0, picture_bytes = 0;
            AveComputeVulkanTimings t;

            for (guint i = 0; i < fc->n; i++)
              {
                if (pictures[i]->f.width != fc->dst[0] || pictures[i]->f.height != fc->dst[1])
                  n_scaled++;
                picture_bytes += packed_bytes (&pictures[i]->f);
              }

            fused_reference (pictures, fc->n, fc->dst[0], fc->dst[1], ref);
            ave_compute_vulkan_set_max_batch (AVE_COMPUTE_VULKAN (gpu), batch);
            ave_compute_vulkan_reset_timings (AVE_COMPUTE_VULKAN (gpu));
            fused_run (gpu, pictures, fc->n, fc->dst[0], fc->dst[1], flushes, G_N_ELEMENTS (flushes), got);
            ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (gpu), &t);
            /* the CPU backend composes the kernels: the same stats */
            fused_run (cpu, pictures, fc->n, fc->dst[0], fc->dst[1], flushes, G_N_ELEMENTS (flushes), host);

            for (guint i = 0; i < fc->n; i++)
              {
                g_autofree char *label = g_strdup_printf ("%dx%d/%dx%d -> %dx%d, batch %u%s, picture %u",
                                                          fc->src[0][0], fc->src[0][1], fc->src[1][0], fc->src[1][1],
                                                          fc->dst[0], fc->dst[1], batch,
                                                          staged ? ", staged" : "", i);
                assert_stats_equal (&ref[i], &got[i], label);
                assert_stats_equal (&ref[i], &host[i], label);
              }
            g_assert_cmpuint (ave_compute_get_calls (gpu, AVE_COMPUTE_KERNEL_SCALE) - scale0, ==, n_scaled);
            g_assert_cmpuint (ave_compute_get_calls (gpu, AVE_COMPUTE_KERNEL_ANALYZE) - analyze0, ==, fc->n);
            /* batch 1: a submission per picture; 16: one per flush */
            if (batch == 1)
              g_assert_cmpuint (t.submissions, ==, fc->n);
            else
              g_assert_cmpuint (t.submissions, <=, (fc->n + 4) / 5 + 1);
            if (staged)
              {
                /* up: every picture once, and the scale tables (a few
                 * words per row and column) once per submission, or per
                 * picture where the decoded size changes every picture;
                 * down: a few words per 64x16 tile of each analysed frame */
                guint64 tables = 4 * (guint64) (fc->dst[0] + fc->dst[1] + (fc->dst[0] + 1) / 2 + (fc->dst[1] + 1) / 2);
                guint64 tiles = ((fc->dst[0] + 63) / 64) * (guint64) ((fc->dst[1] + 15) / 16);

                g_assert_cmpuint (t.upload_bytes, >=, picture_bytes);
                gboolean one_size = fc->src[0][0] == fc->src[1][0] && fc->src[0][1] == fc->src[1][1];

                g_assert_cmpuint (t.upload_bytes, <=, picture_bytes + (one_size ? t.submissions : fc->n) * tables);
                g_assert_cmpuint (t.download_bytes, ==, fc->n * 4 * (96 + 6 * tiles));
              }
            else
              {
                g_assert_cmpuint (t.upload_bytes, ==, 0);
                g_assert_cmpuint (t.download_bytes, ==, 0);
              }
            fused_pictures_free (pictures, fc->n);
          }
    }
}

/* Under --gpu-memory the fused analysis shrinks its batches (down to one
 * slot of one picture, the previous frame then copied within it), with
 * the same results; where not even one picture fits it says so. */
static void
test_analysis_fused_memory (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (43);
  const FusedCase *fc = &fused_cases[0];
  TestFrame **pictures = fused_pictures (fc, rand);
  g_autofree AveFrameStats *ref = g_new0 (AveFrameStats, fc->n);
  g_autofree AveFrameStats *got = g_new0 (AveFrameStats, fc->n);
  static const guint flushes[] = { 12 };
  static const struct { guint64 limit; gboolean staged; guint min_submissions; } limits[] = {
    { 1536 * 1024, TRUE, 20 },    /* one slot of one picture */
    { 3 * 1024 * 1024, FALSE, 4 },
  };

  fused_reference (pictures, fc->n, fc->dst[0], fc->dst[1], ref);
  for (guint l = 0; l < G_N_ELEMENTS (limits); l++)
    {
      g_autoptr(AveCompute) gpu = NULL;
      AveComputeVulkanTimings t;

      if (limits[l].staged)
        g_setenv ("AVE_VULKAN_STAGING", "1", TRUE);
      gpu = vulkan_backend (limits[l].limit);
      g_unsetenv ("AVE_VULKAN_STAGING");
      fused_run (gpu, pictures, fc->n, fc->dst[0], fc->dst[1], flushes, 1, got);
      ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (gpu), &t);
      g_assert_cmpuint (t.submissions, >=, limits[l].min_submissions);
      for (guint i = 0; i < fc->n; i++)
        assert_stats_equal (&ref[i], &got[i], "fused analysis under a memory limit");
    }

  {
    g_autoptr(AveCompute) tiny = vulkan_backend (256 * 1024);
    g_autoptr(AveComputeAnalysis) analysis = ave_compute_analysis_new (tiny, 320, 180);
    g_autoptr(GError) error = NULL;

    g_assert_false (ave_compute_analysis_add (analysis, &pictures[0]->f, &error));
    g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "GPU memory limit"));
    g_assert_nonnull (strstr (error->message, "641x359"));
    g_assert_nonnull (strstr (error->message, "--gpu-memory"));
    g_clear_error (&error);
    /* and stays failed */
    g_assert_false (ave_compute_analysis_flush (analysis, got, &error));
    g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED);
  }
  fused_pictures_free (pictures, fc->n);
}

/* Two analyses at once on one device: the second composes the kernels
 * (the device's chained buffers belong to the first), and both give the
 * reference stats. */
static void
test_analysis_fused_two (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (47);
  g_autoptr(AveCompute) gpu = NULL;
  g_autoptr(GError) error = NULL;
  const FusedCase *fc = &fused_cases[3];
  TestFrame **pictures = fused_pictures (fc, rand);
  g_autofree AveFrameStats *ref = g_new0 (AveFrameStats, fc->n);
  AveFrameStats got[2][20];
  AveComputeAnalysis *analysis[2];
  guint done[2] = { 0, 0 };

  g_setenv ("AVE_VULKAN_STAGING", "1", TRUE);
  gpu = vulkan_backend (0);
  g_unsetenv ("AVE_VULKAN_STAGING");
  g_assert_cmpuint (fc->n, <=, G_N_ELEMENTS (got[0]));
  fused_reference (pictures, fc->n, fc->dst[0], fc->dst[1], ref);
  for (guint a = 0; a < 2; a++)
    analysis[a] = ave_compute_analysis_new (gpu, fc->dst[0], fc->dst[1]);
  for (guint i = 0; i < fc->n; i++)
    for (guint a = 0; a < 2; a++)
      {
        g_assert_true (ave_compute_analysis_add (analysis[a], &pictures[i]->f, &error));
        g_assert_no_error (error);
        if (ave_compute_analysis_get_n_pending (analysis[a]) == 3 + a || i + 1 == fc->n)
          {
            guint n = ave_compute_analysis_get_n_pending (analysis[a]);

            g_assert_true (ave_compute_analysis_flush (analysis[a], got[a] + done[a], &error));
            g_assert_no_error (error);
            done[a] += n;
          }
      }
  for (guint a = 0; a < 2; a++)
    {
      g_assert_cmpuint (done[a], ==, fc->n);
      for (guint i = 0; i < fc->n; i++)
        assert_stats_equal (&ref[i], &got[a][i], a == 0 ? "fused analysis" : "composed analysis");
      ave_compute_analysis_free (analysis[a]);
    }
  fused_pictures_free (pictures, fc->n);
}

typedef struct
{
  AveCompute *gpu;
  AveCompute *cpu;
  guint       seed;
} ThreadData;

/* --------------------------------------------------------- frame chain */

/* One operation of a test chain: take picture `picture` (index into the
 * test's pictures), blend frame into frame `other` (-1: black), or draw
 * image `image` at x, y. */
typedef struct
{
  AveComputeChainOpKind kind;
  guint frame;
  int   picture;
  int   other;
  guint weight;
  int   image, x, y;
  guint opacity;
} ChainStep;

typedef struct
{
  const char *name;
  int         out_w, out_h;
  guint       n_steps;
  ChainStep   steps[8];
  guint       result;
} ChainCase;

/* Pictures: 0 = 641x359, 1 = 320x180 (the output size of most cases),
 * 2 = 1280x720, 3 = 127x71.  Images: 0 = 100x41 (a card), 1 = 300x30
 * (a caption, wider than the small outputs). */
static const int chain_pictures[][2] = { { 641, 359 }, { 320, 180 }, { 1280, 720 }, { 127, 71 } };
static const int chain_images[][2] = { { 100, 41 }, { 300, 30 } };

#define TAKE(f, p)            { AVE_COMPUTE_CHAIN_TAKE, f, p, 0, 0, 0, 0, 0, 0 }
#define BLEND(f, o, w)        { AVE_COMPUTE_CHAIN_BLEND, f, 0, o, w, 0, 0, 0, 0 }
#define OVERLAY(f, i, x, y, a) { AVE_COMPUTE_CHAIN_OVERLAY, f, 0, 0, 0, i, x, y, a }

static const ChainCase chain_cases[] = {
  { "scale", 320, 180, 1, { TAKE (0, 0) }, 0 },
  { "scale odd", 127, 71, 1, { TAKE (0, 2) }, 0 },
  { "scale up odd", 321, 181, 1, { TAKE (0, 3) }, 0 },
  { "scale + fade", 320, 180, 2, { TAKE (0, 0), BLEND (0, -1, 77) }, 0 },
  { "fade unscaled", 320, 180, 2, { TAKE (0, 1), BLEND (0, -1, 256) }, 0 },
  { "dissolve", 320, 180, 3, { TAKE (0, 0), TAKE (1, 2), BLEND (0, 1, 130) }, 0 },
  { "dissolve of faded", 127, 71, 5,
    { TAKE (0, 0), BLEND (0, -1, 200), TAKE (1, 3), BLEND (1, -1, 13), BLEND (0, 1, 1) }, 0 },
  { "dissolve + card + caption", 320, 180, 5,
    { TAKE (0, 0), TAKE (1, 1), BLEND (0, 1, 64), OVERLAY (0, 0, 11, 21, 170), OVERLAY (0, 1, 10, 140, 255) }, 0 },
  { "overlays clipped odd", 127, 71, 4,
    { TAKE (0, 2), OVERLAY (0, 0, -13, -7, 255), OVERLAY (0, 1, -50, 60, 200), OVERLAY (0, 0, 500, 500, 255) }, 0 },
  { "overlay on unscaled", 320, 180, 2, { TAKE (0, 1), OVERLAY (0, 1, 7, 149, 255) }, 0 },
  { "result is the second", 320, 180, 3, { TAKE (0, 1), TAKE (1, 0), BLEND (1, 0, 100) }, 1 },
};

/* The chain's operations as separate kernel calls on host frames of the
 * scalar CPU backend: the reference. */
static void
chain_reference (const ChainCase  *cc,
                 TestFrame       **pictures,
                 guint8          **images,
                 AveComputeMatrix  matrix,
                 TestFrame        *out)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new_for_isa ("scalar");
  g_autoptr(TestFrame) black = test_frame_new (cc->out_w, cc->out_h);
  TestFrame *frames[AVE_COMPUTE_CHAIN_MAX_FRAMES] = { NULL };
  g_autoptr(GError) error = NULL;

  memset (black->y, 16, (gsize) black->f.y_stride * cc->out_h);
  memset (black->u, 128, (gsize) black->f.uv_stride * ((cc->out_h + 1) / 2));
  memset (black->v, 128, (gsize) black->f.uv_stride * ((cc->out_h + 1) / 2));
  for (guint i = 0; i < cc->n_steps; i++)
    {
      const ChainStep *st = &cc->steps[i];
      AveYuvFrame *f;

      if (st->kind == AVE_COMPUTE_CHAIN_TAKE)
        {
          const AveYuvFrame *p = &pictures[st->picture]->f;

          frames[st->frame] = test_frame_new (cc->out_w, cc->out_h);
          if (p->width == cc->out_w && p->height == cc->out_h)
            copy_frame (frames[st->frame], pictures[st->picture]);
          else
            g_assert_true (ave_compute_scale (cpu, p, &frames[st->frame]->f, &error));
          continue;
        }
      f = &frames[st->frame]->f;
      f->matrix = matrix;
      if (st->kind == AVE_COMPUTE_CHAIN_BLEND)
        g_assert_true (ave_compute_blend (cpu, f, st->other < 0 ? &black->f : &frames[st->other]->f,
                                          st->weight, f, &error));
      else
        g_assert_true (ave_compute_overlay_rgba (cpu, f, images[st->image], chain_images[st->image][0],
                                                 chain_images[st->image][1], chain_images[st->image][0] * 4 + 12,
                                                 st->x, st->y, st->opacity, &error));
      g_assert_no_error (error);
    }
  copy_frame (out, frames[cc->result]);
  for (guint i = 0; i < AVE_COMPUTE_CHAIN_MAX_FRAMES; i++)
    g_clear_pointer (&frames[i], test_frame_free);
}

/* Runs the case on `chain`; adds to *upload the bytes its pictures and
 * images take packed (what the staged path must upload, no more). */
static gboolean
chain_run (AveComputeFrameChain  *chain,
           const ChainCase       *cc,
           TestFrame            **pictures,
           guint8               **images,
           TestFrame             *out,
           guint64               *upload,
           GError               **error)
{
  for (guint i = 0; i < cc->n_steps; i++)
    {
      const ChainStep *st = &cc->steps[i];

      switch (st->kind)
        {
        case AVE_COMPUTE_CHAIN_TAKE:
          {
            const AveYuvFrame *p = &pictures[st->picture]->f;

            g_assert_cmpuint (ave_compute_frame_chain_take (chain, p), ==, st->frame);
            *upload += packed_bytes (p);
            if (p->width != cc->out_w || p->height != cc->out_h)
              *upload += 4 * (guint64) (cc->out_w + cc->out_h + (cc->out_w + 1) / 2 + (cc->out_h + 1) / 2);
          }
          break;
        case AVE_COMPUTE_CHAIN_BLEND:
          if (st->other < 0)
            ave_compute_frame_chain_fade (chain, st->frame, st->weight);
          else
            ave_compute_frame_chain_blend (chain, st->frame, (guint) st->other, st->weight);
          break;
        default:
          {
            int iw = chain_images[st->image][0], ih = chain_images[st->image][1];
            int x0 = MAX (st->x, 0), y0 = MAX (st->y, 0);
            int x1 = MIN (st->x + iw, cc->out_w), y1 = MIN (st->y + ih, cc->out_h);

            ave_compute_frame_chain_overlay (chain, st->frame, images[st->image], iw, ih, iw * 4 + 12,
                                             st->x, st->y, st->opacity);
            if (x1 > x0 && y1 > y0)
              *upload += 4 * (guint64) (x1 - x0) * (y1 - y0);
          }
          break;
        }
    }
  return ave_compute_frame_chain_finish (chain, cc->result, &out->f, error);
}

/* Every chain gives on the device, unified or staged, and on the CPU's
 * own chain, exactly the separate kernels' frame; each kernel is counted
 * as the separate calls count it; on the staged path a frame is one
 * submission that uploads its pictures and images once and downloads
 * the finished frame only. */
static void
test_frame_chain (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (53);
  TestFrame *pictures[G_N_ELEMENTS (chain_pictures)];
  guint8 *images[G_N_ELEMENTS (chain_images)];

  for (guint i = 0; i < G_N_ELEMENTS (chain_pictures); i++)
    {
      pictures[i] = test_frame_new (chain_pictures[i][0], chain_pictures[i][1]);
      if (i % 2)
        fill_random (pictures[i], rand);
      else
        fill_pattern (pictures[i], 2 + (int) i / 2, 5);
    }
  for (guint i = 0; i < G_N_ELEMENTS (chain_images); i++)
    {
      int stride = chain_images[i][0] * 4 + 12;

      images[i] = g_malloc ((gsize) stride * chain_images[i][1]);
      for (gsize k = 0; k < (gsize) stride * chain_images[i][1]; k++)
        images[i][k] = g_rand_int (rand) & 0xff;
    }

  for (guint mode = 0; mode < 3; mode++)
    {
      g_autoptr(AveCompute) compute = NULL;
      g_autoptr(AveCompute) counter = ave_compute_cpu_new_for_isa ("scalar");
      guint64 upload = 0, download = 0;

      if (mode == 0)
        compute = ave_compute_cpu_new ();
      else
        {
          if (mode == 2)
            g_setenv ("AVE_VULKAN_STAGING", "1", TRUE);
          compute = vulkan_backend (0);
          g_unsetenv ("AVE_VULKAN_STAGING");
        }

      for (guint c = 0; c < G_N_ELEMENTS (chain_cases); c++)
        {
          const ChainCase *cc = &chain_cases[c];
          AveComputeMatrix matrix = (c & 1) ? AVE_COMPUTE_MATRIX_BT601 : AVE_COMPUTE_MATRIX_BT709;
          g_autoptr(AveComputeFrameChain) chain = ave_compute_frame_chain_new (compute, cc->out_w, cc->out_h, matrix);
          g_autoptr(AveComputeFrameChain) counted = ave_compute_frame_chain_new (counter, cc->out_w, cc->out_h, matrix);
          g_autoptr(TestFrame) ref = test_frame_new (cc->out_w, cc->out_h);
          g_autoptr(TestFrame) got = test_frame_new (cc->out_w, cc->out_h);
          g_autoptr(TestFrame) unused = test_frame_new (cc->out_w, cc->out_h);
          g_autoptr(GError) error = NULL;
          g_autofree char *label = g_strdup_printf ("chain %s (%s)", cc->name,
                                                    mode == 0 ? "cpu" : mode == 1 ? "vulkan" : "vulkan staged");
          guint64 ignored = 0;

          chain_reference (cc, pictures, images, matrix, ref);
          /* twice on one chain: it starts empty after each frame */
          for (guint k = 0; k < 2; k++)
            {
              memset (got->y, 0x5a, (gsize) got->f.y_stride * cc->out_h);
              g_assert_true (chain_run (chain, cc, pictures, images, got, k == 0 ? &upload : &ignored, &error));
              g_assert_no_error (error);
              g_assert_cmpuint (ave_compute_frame_chain_get_n_ops (chain), ==, 0);
              assert_frames_equal (&ref->f, &got->f, label);
            }
          download += 2 * packed_bytes (&got->f);
          upload += ignored;
          /* The CPU chain of the scalar backend counts its kernel calls. */
          g_assert_true (chain_run (counted, cc, pictures, images, unused, &ignored, &error));
          g_assert_no_error (error);
        }

      for (AveComputeKernel k = 0; k < AVE_COMPUTE_N_KERNELS; k++)
        g_assert_cmpuint (ave_compute_get_calls (compute, k), ==, 2 * ave_compute_get_calls (counter, k));
      g_assert_cmpuint (ave_compute_get_calls (compute, AVE_COMPUTE_KERNEL_SCALE), >, 0);
      if (mode == 2)
        {
          AveComputeVulkanTimings t;

          ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (compute), &t);
          g_assert_cmpuint (t.submissions, ==, 2 * G_N_ELEMENTS (chain_cases));
          g_assert_cmpuint (t.download_bytes, ==, download);
          g_assert_cmpuint (t.upload_bytes, ==, upload);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (chain_pictures); i++)
    test_frame_free (pictures[i]);
  for (guint i = 0; i < G_N_ELEMENTS (chain_images); i++)
    g_free (images[i]);
}

/* A frame that does not fit the memory limit fails with a message that
 * says what to do; the chain then serves a frame that fits. */
static void
test_frame_chain_memory (void)
{
  g_autoptr(AveCompute) gpu = vulkan_backend (1024 * 1024);
  g_autoptr(AveComputeFrameChain) chain = ave_compute_frame_chain_new (gpu, 320, 180, AVE_COMPUTE_MATRIX_BT709);
  g_autoptr(TestFrame) big = test_frame_new (1280, 720);
  g_autoptr(TestFrame) small = test_frame_new (641, 359);
  g_autoptr(TestFrame) out = test_frame_new (320, 180);
  g_autoptr(TestFrame) ref = test_frame_new (320, 180);
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (59);
  g_autoptr(GError) error = NULL;

  fill_random (big, rand);
  fill_random (small, rand);
  ave_compute_frame_chain_take (chain, &big->f);
  g_assert_false (ave_compute_frame_chain_finish (chain, 0, &out->f, &error));
  g_assert_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "GPU memory limit"));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "320x180"));
  g_assert_nonnull (strstr (error->message, "--gpu-memory"));
  g_clear_error (&error);

  ave_compute_frame_chain_take (chain, &small->f);
  g_assert_true (ave_compute_frame_chain_finish (chain, 0, &out->f, &error));
  g_assert_no_error (error);
  g_assert_true (ave_compute_scale (cpu, &small->f, &ref->f, &error));
  assert_frames_equal (&ref->f, &out->f, "chain after a memory error");

  /* Between two frames a one-call kernel (a card's conversion) gets the
   * memory the chain held. */
  g_assert_true (ave_compute_blend (gpu, &out->f, &ref->f, 128, &out->f, &error));
  g_assert_no_error (error);
}

static gpointer
thread_blend (gpointer user_data)
{
  ThreadData *d = user_data;
  g_autoptr(GRand) rand = g_rand_new_with_seed (d->seed);

  for (int round = 0; round < 10; round++)
    {
      g_autoptr(TestFrame) a = test_frame_new (64 + (int) d->seed, 36);
      g_autoptr(TestFrame) b = test_frame_new (64 + (int) d->seed, 36);
      g_autoptr(TestFrame) oc = test_frame_new (64 + (int) d->seed, 36);
      g_autoptr(TestFrame) og = test_frame_new (64 + (int) d->seed, 36);
      g_autoptr(GError) error = NULL;

      fill_random (a, rand);
      fill_random (b, rand);
      g_assert_true (ave_compute_blend (d->cpu, &a->f, &b->f, 100 + round, &oc->f, &error));
      g_assert_true (ave_compute_blend (d->gpu, &a->f, &b->f, 100 + round, &og->f, &error));
      g_assert_no_error (error);
      assert_frames_equal (&oc->f, &og->f, "threaded blend");
    }
  return NULL;
}

/* Callers on several threads are serialised, never interleaved. */
static void
test_threads (void)
{
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autoptr(AveCompute) gpu = vulkan_backend (0);
  ThreadData data[3];
  GThread *threads[3];

  for (guint i = 0; i < 3; i++)
    {
      data[i] = (ThreadData) { gpu, cpu, i + 1 };
      threads[i] = g_thread_new ("vulkan-test", thread_blend, &data[i]);
    }
  for (guint i = 0; i < 3; i++)
    g_thread_join (threads[i]);
}

int
main (int   argc,
      char *argv[])
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/vulkan/device-filter", test_device_filter);
  g_test_add_func ("/engine/vulkan/no-driver", test_no_driver);
  g_test_add_func ("/engine/vulkan/analyze", test_analyze);
  g_test_add_func ("/engine/vulkan/analyze-large-sums", test_analyze_large_sums);
  g_test_add_func ("/engine/vulkan/batch-sizes", test_batch_sizes);
  g_test_add_func ("/engine/vulkan/memory-limit", test_memory_limit);
  g_test_add_func ("/engine/vulkan/blend", test_blend);
  g_test_add_func ("/engine/vulkan/scale", test_scale);
  g_test_add_func ("/engine/vulkan/colour", test_colour);
  g_test_add_func ("/engine/vulkan/overlay", test_overlay);
  g_test_add_func ("/engine/vulkan/staged", test_staged);
  g_test_add_func ("/engine/vulkan/analysis-fused", test_analysis_fused);
  g_test_add_func ("/engine/vulkan/analysis-fused-memory", test_analysis_fused_memory);
  g_test_add_func ("/engine/vulkan/analysis-fused-two", test_analysis_fused_two);
  g_test_add_func ("/engine/vulkan/frame-chain", test_frame_chain);
  g_test_add_func ("/engine/vulkan/frame-chain-memory", test_frame_chain_memory);
  g_test_add_func ("/engine/vulkan/threads", test_threads);

  return g_test_run ();
}
