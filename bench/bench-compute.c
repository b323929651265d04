#define G_LOG_DOMAIN "ave-bench-compute"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include <sys/resource.h>
#include <libswscale/swscale.h>

#include "analysis/ave-analysis.h"
#include "analysis/ave-video-analyzer.h"
#include "compute/ave-compute.h"
#include "core/ave-settings.h"
#include "media/ave-media.h"
#if HAVE_VULKAN
#include "compute/ave-compute-vulkan.h"
#endif

/* bench-compute — frames per second of each compute kernel on the CPU
 * backend's scalar reference kernels, on its vectorised kernels (the
 * default CPU path: AVX2 or SSE2, see ave-compute-cpu-x86.c) and on the
 * Vulkan backend, with the ratios vector/scalar and Vulkan/vector measured
 * in the same run.  Both CPU columns are ONE thread: a kernel call runs on
 * the calling thread (the job runs one analysis stream), so neither ratio
 * compares against a multi-threaded CPU.  Also printed: and for Vulkan where the time goes (host packing, upload,
 * kernels, download, host unpacking).  The device comes from
 * $AVE_VULKAN_DEVICE or the default choice (never lavapipe unless named).
 * Each case is warmed up first (pipelines, buffer allocation), then timed
 * over --frames frames with g_get_monotonic_time.  Results are also checked
 * for equality between the backends, so a run on new hardware doubles as an
 * exactness check. */

typedef struct
{
  AveYuvFrame f;
  guint8     *data;
} BenchFrame;

static BenchFrame *
bench_frame_new (int width,
                 int height,
                 guint seed)
{
  BenchFrame *b = g_new0 (BenchFrame, 1);
  int cw = (width + 1) / 2, ch = (height + 1) / 2;
  gsize y_size = (gsize) width * height, c_size = (gsize) cw * ch;
  guint32 state = seed * 2654435761u + 1;

  b->data = g_malloc (y_size + 2 * c_size);
  b->f.width = width;
  b->f.height = height;
  b->f.y = b->data;
  b->f.u = b->data + y_size;
  b->f.v = b->data + y_size + c_size;
  b->f.y_stride = width;
  b->f.uv_stride = cw;
  /* Gradients plus noise: real-looking statistics, different per frame. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        state = state * 1664525u + 1013904223u;
        b->f.y[(gsize) y * width + x] = (guint8) ((x / 4 + y / 3 + seed * 7) + (state >> 28));
      }
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++)
      {
        b->f.u[(gsize) y * cw + x] = (guint8) (96 + (x + seed) % 64);
        b->f.v[(gsize) y * cw + x] = (guint8) (160 - (y + seed) % 64);
      }
  return b;
}

static void
bench_frame_free (BenchFrame *b)
{
  g_free (b->data);
  g_free (b);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchFrame, bench_frame_free)

typedef enum
{
  CASE_ANALYZE,
  CASE_BLEND,
  CASE_SCALE,
  CASE_YUV_TO_RGBA,
  CASE_RGBA_TO_YUV,
  CASE_OVERLAY,
} CaseKind;

typedef struct
{
  const char *name;
  CaseKind    kind;
  int         w, h;       /* input size */
  int         dw, dh;     /* scale output */
} BenchCase;

/* Inputs shared by both backends, and a place for each backend's output. */
typedef struct
{
  BenchFrame *frames[4];
  BenchFrame *out;
  guint8     *rgba;
  guint8     *image;
  int         image_w, image_h;
  AveFrameStats *stats;
} CaseData;

#define N_FRAME_BUFFERS 4

static void
case_data_init (CaseData        *d,
                const BenchCase *c,
                guint            n_frames)
{
  memset (d, 0, sizeof *d);
  for (guint i = 0; i < N_FRAME_BUFFERS; i++)
    d->frames[i] = bench_frame_new (c->w, c->h, i + 1);
  d->out = c->kind == CASE_SCALE ? bench_frame_new (c->dw, c->dh, 9) : bench_frame_new (c->w, c->h, 9);
  d->rgba = g_malloc0 ((gsize) c->w * c->h * 4);
  /* A lower third: 80% wide, a fifth of the height, soft alpha. */
  d->image_w = c->w * 4 / 5;
  d->image_h = c->h / 5;
  d->image = g_malloc ((gsize) d->image_w * d->image_h * 4);
  for (int i = 0; i < d->image_w * d->image_h; i++)
    {
      d->image[4 * i + 0] = (guint8) (i * 3);
      d->image[4 * i + 1] = (guint8) (200 - i % 50);
      d->image[4 * i + 2] = 240;
      d->image[4 * i + 3] = (guint8) (i % 7 == 0 ? 0 : 128 + i % 128);
    }
  d->stats = g_new0 (AveFrameStats, n_frames);
}

static void
case_data_clear (CaseData *d)
{
  for (guint i = 0; i < N_FRAME_BUFFERS; i++)
    g_clear_pointer (&d->frames[i], bench_frame_free);
  g_clear_pointer (&d->out, bench_frame_free);
  g_clear_pointer (&d->rgba, g_free);
  g_clear_pointer (&d->image, g_free);
  g_clear_pointer (&d->stats, g_free);
}

/* Runs `n` frames of the case; analysis is one call over n frames, as the
 * video analyser batches them. */
static gboolean
run_case (AveCompute       *compute,
          const BenchCase  *c,
          CaseData         *d,
          guint             n,
          GError          **error)
{
  switch (c->kind)
    {
    case CASE_ANALYZE:
      {
        g_autofree AveYuvFrame *seq = g_new (AveYuvFrame, n);
        for (guint i = 0; i < n; i++)
          seq[i] = d->frames[(i + 1) % N_FRAME_BUFFERS]->f;
        return ave_compute_analyze_frames (compute, &d->frames[0]->f, seq, n, d->stats, error);
      }
    case CASE_BLEND:
      for (guint i = 0; i < n; i++)
        if (!ave_compute_blend (compute, &d->frames[i % N_FRAME_BUFFERS]->f,
                                &d->frames[(i + 1) % N_FRAME_BUFFERS]->f,
                                (i * 13) % 257, &d->out->f, error))
          return FALSE;
      return TRUE;
    case CASE_SCALE:
      for (guint i = 0; i < n; i++)
        if (!ave_compute_scale (compute, &d->frames[i % N_FRAME_BUFFERS]->f, &d->out->f, error))
          return FALSE;
      return TRUE;
    case CASE_YUV_TO_RGBA:
      for (guint i = 0; i < n; i++)
        if (!ave_compute_yuv_to_rgba (compute, &d->frames[i % N_FRAME_BUFFERS]->f, d->rgba, c->w * 4, error))
          return FALSE;
      return TRUE;
    case CASE_RGBA_TO_YUV:
      for (guint i = 0; i < n; i++)
        if (!ave_compute_rgba_to_yuv (compute, d->rgba, c->w * 4, &d->out->f, error))
          return FALSE;
      return TRUE;
    case CASE_OVERLAY:
      for (guint i = 0; i < n; i++)
        {
          /* Overlay draws in place: each frame starts from a clean copy, as
           * in the composer; the copy is timed alike for both backends. */
          memcpy (d->out->data, d->frames[i % N_FRAME_BUFFERS]->data,
                  (gsize) c->w * c->h + 2 * (gsize) ((c->w + 1) / 2) * ((c->h + 1) / 2));
          if (!ave_compute_overlay_rgba (compute, &d->out->f, d->image, d->image_w, d->image_h,
                                         d->image_w * 4, c->w / 10, c->h * 7 / 10, 230, error))
            return FALSE;
        }
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
outputs_equal (const BenchCase *c,
               CaseData        *a,
               CaseData        *b,
               guint            n)
{
  switch (c->kind)
    {
    case CASE_ANALYZE:
      for (guint i = 0; i < n; i++)
        {
          const AveFrameStats *x = &a->stats[i], *y = &b->stats[i];
          if (x->sum_y != y->sum_y || x->sum_y2 != y->sum_y2 || x->lap_sum != y->lap_sum ||
              x->lap_sum2 != y->lap_sum2 || x->lap_n != y->lap_n || x->sad_prev != y->sad_prev ||
              x->motion_prev != y->motion_prev || x->motion_blocks != y->motion_blocks ||
              x->has_prev != y->has_prev || x->n_pixels != y->n_pixels ||
              memcmp (x->hist_y, y->hist_y, sizeof x->hist_y) != 0 ||
              memcmp (x->hist_u, y->hist_u, sizeof x->hist_u) != 0 ||
              memcmp (x->hist_v, y->hist_v, sizeof x->hist_v) != 0)
            return FALSE;
        }
      return TRUE;
    case CASE_YUV_TO_RGBA:
      return memcmp (a->rgba, b->rgba, (gsize) c->w * c->h * 4) == 0;
    default:
      {
        int w = a->out->f.width, h = a->out->f.height;
        gsize size = (gsize) w * h + 2 * (gsize) ((w + 1) / 2) * ((h + 1) / 2);
        return memcmp (a->out->data, b->out->data, size) == 0;
      }
    }
}

typedef struct
{
  double fps;
  double seconds;
#if HAVE_VULKAN
  AveComputeVulkanTimings timings;
#endif
  char  *error;
} Result;

static void
measure (AveCompute      *compute,
         const BenchCase *c,
         CaseData        *d,
         guint            n_frames,
         Result          *r)
{
  g_autoptr(GError) error = NULL;
  gint64 start;

  memset (r, 0, sizeof *r);
  /* Warm-up: first calls create buffers and let drivers finish pipelines. */
  if (!run_case (compute, c, d, MIN (n_frames, 4), &error) ||
      !run_case (compute, c, d, MIN (n_frames, 4), &error))
    {
      r->error = g_strdup (error->message);
      return;
    }
#if HAVE_VULKAN
  if (AVE_IS_COMPUTE_VULKAN (compute))
    ave_compute_vulkan_reset_timings (AVE_COMPUTE_VULKAN (compute));
#endif
  start = g_get_monotonic_time ();
  if (!run_case (compute, c, d, n_frames, &error))
    {
      r->error = g_strdup (error->message);
      return;
    }
  r->seconds = (g_get_monotonic_time () - start) / 1e6;
  r->fps = r->seconds > 0 ? n_frames / r->seconds : 0;
#if HAVE_VULKAN
  if (AVE_IS_COMPUTE_VULKAN (compute))
    ave_compute_vulkan_get_timings (AVE_COMPUTE_VULKAN (compute), &r->timings);
#endif
}

/* swscale on the same frames as a scale case, one thread, frames per
 * second: SWS_FAST_BILINEAR as the reader uses it for the analysis,
 * SWS_BICUBIC as the composer's decoder uses it on the CPU. */
static double
swscale_fps (const BenchCase *c, CaseData *d, guint n, int flags)
{
  struct SwsContext *sws = sws_getContext (c->w, c->h, AV_PIX_FMT_YUV420P, c->dw, c->dh,
                                           AV_PIX_FMT_YUV420P, flags, NULL, NULL, NULL);
  gint64 start;

  if (sws == NULL)
    return 0;
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n + 2; i++)
    {
      const AveYuvFrame *f = &d->frames[i % N_FRAME_BUFFERS]->f;
      const guint8 *const src[3] = { f->y, f->u, f->v };
      const int src_stride[3] = { f->y_stride, f->uv_stride, f->uv_stride };
      guint8 *const dst[3] = { d->out->f.y, d->out->f.u, d->out->f.v };
      const int dst_stride[3] = { d->out->f.y_stride, d->out->f.uv_stride, d->out->f.uv_stride };

      /* the first two are warm-up */
      if (i == 2)
        start = g_get_monotonic_time ();
      sws_scale (sws, src, src_stride, 0, c->h, dst, dst_stride);
    }
  sws_freeContext (sws);
  return n / ((g_get_monotonic_time () - start) / 1e6);
}

/* ----------------------------------------------- --analysis-input FILE
 * The video half of the job's analysis on a real file, both ways the
 * decoded pictures can be downscaled: by swscale in the reader (the old
 * path) and by the backend's `scale` kernel in the analyser (the default).
 * Video only, decoded as the job decodes (deblocking skipped, FFmpeg's
 * threads), alternating the two paths `rounds` times; the best of each is
 * reported, with the process CPU time (all threads). */

static gboolean
push_frame (const AveAnalysisFrame *frame, gpointer user_data, GError **error)
{
  return ave_video_analyzer_push (user_data, frame, error);
}

static double
process_cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static gboolean
analysis_run (const char *path, AveCompute *compute, gboolean leave_scaling, int width,
              double *wall, double *cpu, guint *n_shots, GError **error)
{
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveMediaInfo) info = ave_media_probe (path, error);
  g_autoptr(AveVideoAnalyzer) analyzer = NULL;
  g_autoptr(AveAnalysis) analysis = NULL;
  AveMediaReadOptions options = {
    .analysis_width = width, .frame_step = 1, .want_video = TRUE, .fast_decode = TRUE,
    .leave_scaling = leave_scaling,
  };
  AveMediaReadCallbacks callbacks = { .video_frame = push_frame };
  gint64 t0;
  double c0;

  if (info == NULL)
    return FALSE;
  analysis = ave_analysis_new (path, info);
  analyzer = ave_video_analyzer_new (settings, info, compute);
  t0 = g_get_monotonic_time ();
  c0 = process_cpu_seconds ();
  if (!ave_media_read_for_analysis (path, &options, &callbacks, analyzer, NULL, error) ||
      !ave_video_analyzer_finish (analyzer, analysis, error))
    return FALSE;
  *cpu = process_cpu_seconds () - c0;
  *wall = (g_get_monotonic_time () - t0) / 1e6;
  *n_shots = analysis->shots->len;
  return TRUE;
}

static int
analysis_bench (const char *path, AveCompute *cpu, int width, int rounds)
{
  const char *names[2] = { "swscale in the reader", "AveCompute scale" };
  double best_wall[2] = { G_MAXDOUBLE, G_MAXDOUBLE }, best_cpu[2] = { G_MAXDOUBLE, G_MAXDOUBLE };
  guint shots[2] = { 0, 0 };

  printf ("video analysis of %s at width %d, CPU backend kernels: %s; best of %d alternating runs\n",
          path, width, ave_compute_cpu_get_isa (cpu), rounds);
  for (int r = 0; r < rounds; r++)
    for (int way = 0; way < 2; way++)
      {
        g_autoptr(GError) error = NULL;
        double wall, c;

        if (!analysis_run (path, cpu, way == 1, width, &wall, &c, &shots[way], &error))
          {
            g_printerr ("%s\n", error->message);
            return 1;
          }
        best_wall[way] = MIN (best_wall[way], wall);
        best_cpu[way] = MIN (best_cpu[way], c);
      }
  for (int way = 0; way < 2; way++)
    printf ("  %-24s wall %7.2f s  CPU %7.2f s  shots %u\n", names[way], best_wall[way], best_cpu[way],
            shots[way]);
  printf ("  AveCompute / swscale:    wall %.2f  CPU %.2f  (< 1: the AveCompute path is faster)\n",
          best_wall[1] / best_wall[0], best_cpu[1] / best_cpu[0]);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  int n_frames = 20;
  gboolean json = FALSE;
  gboolean cpu_only = FALSE;
  char *only = NULL;
  char *analysis_input = NULL;
  int analysis_width = 384;
  int rounds = 3;
  GOptionEntry entries[] = {
    { "analysis-input", 0, 0, G_OPTION_ARG_FILENAME, &analysis_input,
      "Instead of the kernels: time the video analysis of FILE with swscale vs AveCompute downscaling", "FILE" },
    { "analysis-width", 0, 0, G_OPTION_ARG_INT, &analysis_width, "Analysis width for --analysis-input (default 384)", "W" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Alternating rounds for --analysis-input (default 3)", "N" },
    { "frames", 'n', 0, G_OPTION_ARG_INT, &n_frames, "Frames per case (default 20)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON instead of a table", NULL },
    { "cpu-only", 0, 0, G_OPTION_ARG_NONE, &cpu_only, "Skip the Vulkan backend", NULL },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Run only cases whose name contains TEXT", "TEXT" },
    { NULL }
  };
  static const BenchCase cases[] = {
    { "analyze",      CASE_ANALYZE,     1280,  720, 0, 0 },
    { "analyze",      CASE_ANALYZE,     1920, 1080, 0, 0 },
    { "analyze",      CASE_ANALYZE,      384,  216, 0, 0 },
    { "blend",        CASE_BLEND,       1280,  720, 0, 0 },
    { "blend",        CASE_BLEND,       1920, 1080, 0, 0 },
    { "scale",        CASE_SCALE,       1920, 1080, 1280, 720 },
    /* what the analysis does to each decoded 1080p frame (analysis_width
     * 384 for --quality high, 256 for the fast analysis) */
    { "scale",        CASE_SCALE,       1920, 1080, 384, 216 },
    { "scale",        CASE_SCALE,       1920, 1080, 256, 144 },
    { "yuv-to-rgba",  CASE_YUV_TO_RGBA, 1280,  720, 0, 0 },
    { "yuv-to-rgba",  CASE_YUV_TO_RGBA, 1920, 1080, 0, 0 },
    { "rgba-to-yuv",  CASE_RGBA_TO_YUV, 1280,  720, 0, 0 },
    { "rgba-to-yuv",  CASE_RGBA_TO_YUV, 1920, 1080, 0, 0 },
    { "overlay",      CASE_OVERLAY,     1280,  720, 0, 0 },
    { "overlay",      CASE_OVERLAY,     1920, 1080, 0, 0 },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— compute backend benchmark");
  g_autoptr(GError) error = NULL;
  g_autoptr(AveCompute) cpu = NULL;
  g_autoptr(AveCompute) scalar = NULL;
  g_autoptr(AveCompute) gpu = NULL;
  g_autofree char *gpu_error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  setlocale (LC_ALL, "C.UTF-8");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (n_frames < 1)
    {
      g_printerr ("--frames must be at least 1\n");
      return 2;
    }

  cpu = ave_compute_cpu_new ();
  scalar = ave_compute_cpu_new_for_isa ("scalar");
  if (analysis_input != NULL)
    {
      int rc = analysis_bench (analysis_input, cpu, analysis_width, MAX (rounds, 1));

      g_free (analysis_input);
      g_free (only);
      return rc;
    }
#if HAVE_VULKAN
  if (!cpu_only)
    {
      gpu = ave_compute_vulkan_new (g_getenv ("AVE_VULKAN_DEVICE"), 0, &error);
      if (gpu == NULL)
        gpu_error = g_strdup (error->message);
      g_clear_error (&error);
    }
#else
  gpu_error = g_strdup ("built without Vulkan");
#endif

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "frames");
  json_builder_add_int_value (builder, n_frames);
  json_builder_set_member_name (builder, "cpu_isa");
  json_builder_add_string_value (builder, ave_compute_cpu_get_isa (cpu));
  json_builder_set_member_name (builder, "device");
  json_builder_add_string_value (builder, gpu ? ave_compute_get_name (gpu) : "none");
  if (gpu_error)
    {
      json_builder_set_member_name (builder, "device_error");
      json_builder_add_string_value (builder, gpu_error);
    }
  json_builder_set_member_name (builder, "cases");
  json_builder_begin_array (builder);

  if (!json)
    {
      printf ("compute benchmark: %d frames per case; CPU scalar reference and CPU %s "
              "(one thread each) vs %s\n", n_frames, ave_compute_cpu_get_isa (cpu),
              gpu ? ave_compute_get_name (gpu) : "(no Vulkan device)");
      if (gpu_error)
        printf ("  Vulkan unavailable: %s\n", gpu_error);
      printf ("%-12s %-21s %9s %9s %7s %5s %9s %7s %5s | %s\n", "kernel", "size", "scalar", "simd",
              "x", "same", "vk fps", "vk/simd", "same",
              "vulkan ms/frame: pack upload compute download unpack wait");
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const BenchCase *c = &cases[i];
      g_autofree char *size = NULL;
      CaseData dc, dg, ds;
      Result rc, rg = { 0 }, rs;
      gboolean same = FALSE, same_scalar;
      double sws_fps = 0, sws_bicubic_fps = 0;

      if (only != NULL && strstr (c->name, only) == NULL)
        continue;
      size = c->kind == CASE_SCALE
        ? g_strdup_printf ("%dx%d->%dx%d", c->w, c->h, c->dw, c->dh)
        : g_strdup_printf ("%dx%d", c->w, c->h);

      case_data_init (&dc, c, n_frames);
      measure (cpu, c, &dc, n_frames, &rc);
      case_data_init (&ds, c, n_frames);
      measure (scalar, c, &ds, n_frames, &rs);
      same_scalar = rc.error == NULL && rs.error == NULL && outputs_equal (c, &dc, &ds, n_frames);
      case_data_clear (&ds);
      if (c->kind == CASE_SCALE)
        {
          CaseData dw;

          case_data_init (&dw, c, n_frames);
          sws_fps = swscale_fps (c, &dw, n_frames, SWS_FAST_BILINEAR);
          sws_bicubic_fps = swscale_fps (c, &dw, n_frames, SWS_BICUBIC);
          case_data_clear (&dw);
        }
      if (gpu != NULL)
        {
          case_data_init (&dg, c, n_frames);
          measure (gpu, c, &dg, n_frames, &rg);
          same = rc.error == NULL && rg.error == NULL && outputs_equal (c, &dc, &dg, n_frames);
          case_data_clear (&dg);
        }
      case_data_clear (&dc);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kernel");
      json_builder_add_string_value (builder, c->name);
      json_builder_set_member_name (builder, "size");
      json_builder_add_string_value (builder, size);
      json_builder_set_member_name (builder, "cpu_fps");
      json_builder_add_double_value (builder, rc.fps);
      json_builder_set_member_name (builder, "cpu_scalar_fps");
      json_builder_add_double_value (builder, rs.fps);
      json_builder_set_member_name (builder, "simd_speedup");
      json_builder_add_double_value (builder, rs.fps > 0 ? rc.fps / rs.fps : 0);
      json_builder_set_member_name (builder, "simd_identical");
      json_builder_add_boolean_value (builder, same_scalar);
      if (sws_fps > 0)
        {
          json_builder_set_member_name (builder, "swscale_fast_bilinear_fps");
          json_builder_add_double_value (builder, sws_fps);
          json_builder_set_member_name (builder, "swscale_bicubic_fps");
          json_builder_add_double_value (builder, sws_bicubic_fps);
        }
      if (gpu != NULL)
        {
          json_builder_set_member_name (builder, "vulkan_fps");
          json_builder_add_double_value (builder, rg.fps);
          json_builder_set_member_name (builder, "ratio");
          json_builder_add_double_value (builder, rc.fps > 0 ? rg.fps / rc.fps : 0);
          json_builder_set_member_name (builder, "identical");
          json_builder_add_boolean_value (builder, same);
#if HAVE_VULKAN
          json_builder_set_member_name (builder, "vulkan_ms_per_frame");
          json_builder_begin_object (builder);
#define MS(field) \
          json_builder_set_member_name (builder, #field); \
          json_builder_add_double_value (builder, rg.timings.field##_us / 1000.0 / n_frames);
          MS (pack) MS (upload) MS (compute) MS (download) MS (unpack) MS (wait)
#undef MS
          json_builder_set_member_name (builder, "submissions");
          json_builder_add_int_value (builder, rg.timings.submissions);
          json_builder_end_object (builder);
#endif
          if (rg.error)
            {
              json_builder_set_member_name (builder, "vulkan_error");
              json_builder_add_string_value (builder, rg.error);
            }
        }
      if (rc.error)
        {
          json_builder_set_member_name (builder, "cpu_error");
          json_builder_add_string_value (builder, rc.error);
        }
      json_builder_end_object (builder);

      if (!json)
        {
          printf ("%-12s %-21s %9.1f %9.1f %6.2fx %5s", c->name, size, rs.fps, rc.fps,
                  rs.fps > 0 ? rc.fps / rs.fps : 0, same_scalar ? "yes" : "NO");
          if (gpu != NULL && rg.error == NULL)
            {
#if HAVE_VULKAN
              double per = 1000.0 * n_frames;
              printf (" %9.1f %6.2fx %5s | %.2f %.2f %.2f %.2f %.2f %.2f", rg.fps,
                      rc.fps > 0 ? rg.fps / rc.fps : 0, same ? "yes" : "NO",
                      rg.timings.pack_us / per, rg.timings.upload_us / per,
                      rg.timings.compute_us / per, rg.timings.download_us / per,
                      rg.timings.unpack_us / per, rg.timings.wait_us / per);
#endif
            }
          else if (rg.error != NULL)
            printf ("  vulkan failed: %s", rg.error);
          if (rc.error != NULL)
            printf ("  cpu failed: %s", rc.error);
          if (sws_fps > 0)
            printf ("  [swscale, 1 thread: fast-bilinear %.1f fps, simd/swscale %.2fx; "
                    "bicubic (the composer's) %.1f fps, simd/bicubic %.2fx]", sws_fps, rc.fps / sws_fps,
                    sws_bicubic_fps, sws_bicubic_fps > 0 ? rc.fps / sws_bicubic_fps : 0.0);
          printf ("\n");
        }
      g_free (rc.error);
      g_free (rg.error);
      g_free (rs.error);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);
  if (json)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      g_autofree char *text = NULL;

      json_generator_set_pretty (generator, TRUE);
      json_generator_set_root (generator, root);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    printf ("x = simd fps / scalar fps, one thread each; vk/simd > 1 means Vulkan is faster "
            "than the default CPU path; \"wait\" is host time blocked on the device "
            "(kernels plus copies); pack/unpack are host copies into and out of mapped memory.\n");
  g_free (only);
  return 0;
}
