#define G_LOG_DOMAIN "ave-compute"

#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ave-error.h"
#include "compute/ave-compute.h"
#if HAVE_VULKAN
#include "compute/ave-compute-vulkan.h"
#endif

/* The interface itself carries no state: backends are plain GObjects that
 * implement it, and stages only ever see the AveCompute pointer. */
G_DEFINE_INTERFACE (AveCompute, ave_compute, G_TYPE_OBJECT)

static void
ave_compute_default_init (AveComputeInterface *iface)
{
}

/* ------------------------------------------------------------ statistics */

void
ave_frame_stats_derive (const AveFrameStats *stats,
                        AveFrameMeasures    *out)
{
  g_return_if_fail (stats != NULL);
  g_return_if_fail (out != NULL);

  memset (out, 0, sizeof *out);

  if (stats->n_pixels > 0)
    {
      double n = (double) stats->n_pixels;
      double mean = (double) stats->sum_y / n;
      /* Variance from the integer sums; tiny negative values from rounding
       * of a perfectly flat frame must not become NaN. */
      double var = (double) stats->sum_y2 / n - mean * mean;

      out->mean_luma = mean;
      out->contrast = sqrt (MAX (var, 0.0));
      if (stats->has_prev)
        out->diff_prev = (double) stats->sad_prev / n;
    }

  if (stats->lap_n > 0)
    {
      double n = (double) stats->lap_n;
      double mean = (double) stats->lap_sum / n;
      double var = (double) stats->lap_sum2 / n - mean * mean;

      out->sharpness = MAX (var, 0.0);
    }

  if (stats->has_prev && stats->motion_blocks > 0)
    out->motion = (double) stats->motion_prev / (double) stats->motion_blocks / 64.0;

  out->hist_diff_prev = 0.0;
}

static double
half_l1_distance (const guint32 *a,
                  const guint32 *b,
                  guint          n_bins)
{
  guint64 total_a = 0, total_b = 0;
  double distance = 0.0;

  for (guint i = 0; i < n_bins; i++)
    {
      total_a += a[i];
      total_b += b[i];
    }

  /* An empty histogram has no distribution to compare: treat two empty
   * ones as equal and an empty against a full one as disjoint. */
  if (total_a == 0 || total_b == 0)
    return (total_a == total_b) ? 0.0 : 1.0;

  for (guint i = 0; i < n_bins; i++)
    distance += fabs ((double) a[i] / (double) total_a - (double) b[i] / (double) total_b);

  return CLAMP (distance * 0.5, 0.0, 1.0);
}

double
ave_frame_stats_hist_distance (const AveFrameStats *a,
                               const AveFrameStats *b)
{
  g_return_val_if_fail (a != NULL, 0.0);
  g_return_val_if_fail (b != NULL, 0.0);

  /* The three planes count equally, so a change of colour with the same
   * brightness distribution is seen as clearly as a change of brightness. */
  return (half_l1_distance (a->hist_y, b->hist_y, AVE_LUMA_BINS) +
          half_l1_distance (a->hist_u, b->hist_u, AVE_CHROMA_BINS) +
          half_l1_distance (a->hist_v, b->hist_v, AVE_CHROMA_BINS)) / 3.0;
}

/* ----------------------------------------------------------- call counts
 *
 * The counters hang off the instance as qdata: the interface has no
 * instance struct of its own, and every backend gets them for free.  The
 * first count creates them under a lock; counting itself is atomic, since
 * a backend may be called from several threads. */

typedef struct
{
  gint calls[AVE_COMPUTE_N_KERNELS];
} CallCounts;

G_LOCK_DEFINE_STATIC (call_counts);

static CallCounts *
call_counts (AveCompute *self)
{
  static GQuark quark = 0;
  CallCounts *counts;

  G_LOCK (call_counts);
  if (quark == 0)
    quark = g_quark_from_static_string ("ave-compute-call-counts");
  counts = g_object_get_qdata (G_OBJECT (self), quark);
  if (counts == NULL)
    {
      counts = g_new0 (CallCounts, 1);
      g_object_set_qdata_full (G_OBJECT (self), quark, counts, g_free);
    }
  G_UNLOCK (call_counts);
  return counts;
}

static void
count_call (AveCompute       *self,
            AveComputeKernel  kernel,
            guint             n)
{
  g_atomic_int_add (&call_counts (self)->calls[kernel], (gint) n);
}

guint64
ave_compute_get_calls (AveCompute       *self,
                       AveComputeKernel  kernel)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), 0);
  g_return_val_if_fail (kernel < AVE_COMPUTE_N_KERNELS, 0);

  return (guint) g_atomic_int_get (&call_counts (self)->calls[kernel]);
}

const char *
ave_compute_kernel_name (AveComputeKernel kernel)
{
  static const char *const names[AVE_COMPUTE_N_KERNELS] = {
    "analyze_frames", "blend", "scale", "yuv_to_rgba", "rgba_to_yuv", "overlay_rgba",
  };

  g_return_val_if_fail (kernel < AVE_COMPUTE_N_KERNELS, NULL);
  return names[kernel];
}

/* -------------------------------------------------------------- wrappers */

static gboolean
frame_is_valid (const AveYuvFrame *frame)
{
  return frame != NULL && frame->width > 0 && frame->height > 0 &&
         frame->y != NULL && frame->u != NULL && frame->v != NULL &&
         frame->y_stride >= frame->width &&
         frame->uv_stride >= (frame->width + 1) / 2;
}

static gboolean
same_size (const AveYuvFrame *a,
           const AveYuvFrame *b)
{
  return a->width == b->width && a->height == b->height;
}

static gboolean
size_mismatch (GError    **error,
               const char *what)
{
  g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
               "%s: the frames have different sizes", what);
  return FALSE;
}

const char *
ave_compute_get_name (AveCompute *self)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), NULL);

  return AVE_COMPUTE_GET_IFACE (self)->get_name (self);
}

gboolean
ave_compute_analyze_frames (AveCompute        *self,
                            const AveYuvFrame *prev,
                            const AveYuvFrame *frames,
                            guint              n_frames,
                            AveFrameStats     *out,
                            GError           **error)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), FALSE);
  g_return_val_if_fail (n_frames == 0 || frames != NULL, FALSE);
  g_return_val_if_fail (n_frames == 0 || out != NULL, FALSE);
  g_return_val_if_fail (prev == NULL || frame_is_valid (prev), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_frames == 0)
    return TRUE;

  for (guint i = 0; i < n_frames; i++)
    {
      g_return_val_if_fail (frame_is_valid (&frames[i]), FALSE);
      if (!same_size (&frames[i], &frames[0]))
        return size_mismatch (error, "frame analysis");
    }
  if (prev != NULL && !same_size (prev, &frames[0]))
    return size_mismatch (error, "frame analysis (previous frame)");

  count_call (self, AVE_COMPUTE_KERNEL_ANALYZE, n_frames);
  return AVE_COMPUTE_GET_IFACE (self)->analyze_frames (self, prev, frames, n_frames, out, error);
}

gboolean
ave_compute_blend (AveCompute        *self,
                   const AveYuvFrame *a,
                   const AveYuvFrame *b,
                   guint              weight,
                   AveYuvFrame       *out,
                   GError           **error)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), FALSE);
  g_return_val_if_fail (frame_is_valid (a), FALSE);
  g_return_val_if_fail (frame_is_valid (b), FALSE);
  g_return_val_if_fail (frame_is_valid (out), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!same_size (a, b) || !same_size (a, out))
    return size_mismatch (error, "blend");

  count_call (self, AVE_COMPUTE_KERNEL_BLEND, 1);
  return AVE_COMPUTE_GET_IFACE (self)->blend (self, a, b, MIN (weight, 256u), out, error);
}

gboolean
ave_compute_scale (AveCompute        *self,
                   const AveYuvFrame *src,
                   AveYuvFrame       *dst,
                   GError           **error)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), FALSE);
  g_return_val_if_fail (frame_is_valid (src), FALSE);
  g_return_val_if_fail (frame_is_valid (dst), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  count_call (self, AVE_COMPUTE_KERNEL_SCALE, 1);
  return AVE_COMPUTE_GET_IFACE (self)->scale (self, src, dst, error);
}

gboolean
ave_compute_yuv_to_rgba (AveCompute        *self,
                         const AveYuvFrame *src,
                         guint8            *rgba,
                         int                rgba_stride,
                         GError           **error)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), FALSE);
  g_return_val_if_fail (frame_is_valid (src), FALSE);
  g_return_val_if_fail (rgba != NULL, FALSE);
  g_return_val_if_fail (rgba_stride >= src->width * 4, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  count_call (self, AVE_COMPUTE_KERNEL_YUV_TO_RGBA, 1);
  return AVE_COMPUTE_GET_IFACE (self)->yuv_to_rgba (self, src, rgba, rgba_stride, error);
}

gboolean
ave_compute_rgba_to_yuv (AveCompute   *self,
                         const guint8 *rgba,
                         int           rgba_stride,
                         AveYuvFrame  *dst,
                         GError      **error)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), FALSE);
  g_return_val_if_fail (frame_is_valid (dst), FALSE);
  g_return_val_if_fail (rgba != NULL, FALSE);
  g_return_val_if_fail (rgba_stride >= dst->width * 4, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  count_call (self, AVE_COMPUTE_KERNEL_RGBA_TO_YUV, 1);
  return AVE_COMPUTE_GET_IFACE (self)->rgba_to_yuv (self, rgba, rgba_stride, dst, error);
}

/* Whether an RGBA image of rgba_width x rgba_height at (x, y) with this
 * opacity shows on a frame of width x height at all. */
static gboolean
overlay_visible (int   width,
                 int   height,
                 int   rgba_width,
                 int   rgba_height,
                 int   x,
                 int   y,
                 guint opacity)
{
  return rgba_width > 0 && rgba_height > 0 && opacity > 0 &&
         x < width && y < height &&
         (gint64) x + rgba_width > 0 && (gint64) y + rgba_height > 0;
}

gboolean
ave_compute_overlay_rgba (AveCompute   *self,
                          AveYuvFrame  *dst,
                          const guint8 *rgba,
                          int           rgba_width,
                          int           rgba_height,
                          int           rgba_stride,
                          int           x,
                          int           y,
                          guint         opacity,
                          GError      **error)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (self), FALSE);
  g_return_val_if_fail (frame_is_valid (dst), FALSE);
  g_return_val_if_fail (rgba_width >= 0 && rgba_height >= 0, FALSE);
  g_return_val_if_fail (rgba != NULL || rgba_width == 0 || rgba_height == 0, FALSE);
  g_return_val_if_fail (rgba_stride >= rgba_width * 4, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Nothing visible: skip the backend entirely (a GPU round trip for an
   * image that lies off screen would only cost time). */
  if (!overlay_visible (dst->width, dst->height, rgba_width, rgba_height, x, y, opacity))
    return TRUE;

  count_call (self, AVE_COMPUTE_KERNEL_OVERLAY, 1);
  return AVE_COMPUTE_GET_IFACE (self)->overlay_rgba (self, dst, rgba, rgba_width, rgba_height,
                                                     rgba_stride, x, y, MIN (opacity, 255u),
                                                     error);
}

/* ------------------------------------------------------------- analysis */

struct _AveComputeAnalysis
{
  AveCompute  *compute;
  int          width, height;
  guint        n_pending;
  gboolean     failed;

  /* the backend's fused analysis; NULL: the composition below */
  gpointer     state;

  /* the composition: the scaled frames of this flush on the host, and the
   * last frame of the flush before */
  guint8      *data;
  AveYuvFrame *frames;
  guint        capacity;
  guint8      *prev_data;
  AveYuvFrame  prev;
  gboolean     have_prev;
};

static gsize
analysis_frame_bytes (int w,
                      int h)
{
  return (gsize) w * h + 2 * (gsize) ((w + 1) / 2) * ((h + 1) / 2);
}

static void
analysis_frame_setup (AveYuvFrame *frame,
                      guint8      *data,
                      int          w,
                      int          h)
{
  int cw = (w + 1) / 2, ch = (h + 1) / 2;

  *frame = (AveYuvFrame) {
    .width = w, .height = h,
    .y = data, .y_stride = w,
    .u = data + (gsize) w * h, .v = data + (gsize) w * h + (gsize) cw * ch, .uv_stride = cw,
  };
}

static void
copy_plane (guint8       *dst,
            int           dst_stride,
            const guint8 *src,
            int           src_stride,
            int           w,
            int           h)
{
  for (int y = 0; y < h; y++)
    memcpy (dst + (gsize) y * dst_stride, src + (gsize) y * src_stride, w);
}

AveComputeAnalysis *
ave_compute_analysis_new (AveCompute *compute,
                          int         width,
                          int         height)
{
  AveComputeAnalysis *self;
  AveComputeInterface *iface;

  g_return_val_if_fail (AVE_IS_COMPUTE (compute), NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  self = g_new0 (AveComputeAnalysis, 1);
  self->compute = g_object_ref (compute);
  self->width = width;
  self->height = height;
  iface = AVE_COMPUTE_GET_IFACE (compute);
  if (iface->analysis_begin != NULL)
    self->state = iface->analysis_begin (compute, width, height);
  if (self->state == NULL)
    {
      gsize bytes = analysis_frame_bytes (width, height);

      self->prev_data = g_malloc (bytes);
      analysis_frame_setup (&self->prev, self->prev_data, width, height);
    }
  return self;
}

static gboolean
analysis_failed (GError **error)
{
  g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
               "frame analysis: an earlier step failed");
  return FALSE;
}

gboolean
ave_compute_analysis_add (AveComputeAnalysis  *self,
                          const AveYuvFrame   *picture,
                          GError             **error)
{
  gboolean scaled;
  AveYuvFrame *dst;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (frame_is_valid (picture), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->failed)
    return analysis_failed (error);
  scaled = picture->width != self->width || picture->height != self->height;

  if (self->state != NULL)
    {
      /* Counted as the two kernels would be: the fused path runs both. */
      if (scaled)
        count_call (self->compute, AVE_COMPUTE_KERNEL_SCALE, 1);
      if (!AVE_COMPUTE_GET_IFACE (self->compute)->analysis_add (self->compute, self->state, picture, error))
        {
          self->failed = TRUE;
          return FALSE;
        }
      self->n_pending++;
      return TRUE;
    }

  if (self->n_pending == self->capacity)
    {
      gsize bytes = analysis_frame_bytes (self->width, self->height);

      self->capacity = MAX (2 * self->capacity, 16);
      self->data = g_realloc (self->data, bytes * self->capacity);
      self->frames = g_renew (AveYuvFrame, self->frames, self->capacity);
      for (guint i = 0; i < self->capacity; i++)
        analysis_frame_setup (&self->frames[i], self->data + bytes * i, self->width, self->height);
    }
  dst = &self->frames[self->n_pending];
  if (scaled)
    {
      if (!ave_compute_scale (self->compute, picture, dst, error))
        {
          self->failed = TRUE;
          return FALSE;
        }
    }
  else
    {
      copy_plane (dst->y, dst->y_stride, picture->y, picture->y_stride, dst->width, dst->height);
      copy_plane (dst->u, dst->uv_stride, picture->u, picture->uv_stride, dst->uv_stride, (dst->height + 1) / 2);
      copy_plane (dst->v, dst->uv_stride, picture->v, picture->uv_stride, dst->uv_stride, (dst->height + 1) / 2);
    }
  self->n_pending++;
  return TRUE;
}

guint
ave_compute_analysis_get_n_pending (AveComputeAnalysis *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_pending;
}

gboolean
ave_compute_analysis_flush (AveComputeAnalysis  *self,
                            AveFrameStats       *out,
                            GError             **error)
{
  guint n;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->n_pending == 0 || out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->failed)
    return analysis_failed (error);
  n = self->n_pending;
  if (n == 0)
    return TRUE;
  self->n_pending = 0;

  if (self->state != NULL)
    {
      count_call (self->compute, AVE_COMPUTE_KERNEL_ANALYZE, n);
      if (!AVE_COMPUTE_GET_IFACE (self->compute)->analysis_flush (self->compute, self->state, out, error))
        {
          self->failed = TRUE;
          return FALSE;
        }
      return TRUE;
    }

  if (!ave_compute_analyze_frames (self->compute, self->have_prev ? &self->prev : NULL,
                                   self->frames, n, out, error))
    {
      self->failed = TRUE;
      return FALSE;
    }
  memcpy (self->prev_data, self->frames[n - 1].y, analysis_frame_bytes (self->width, self->height));
  self->have_prev = TRUE;
  return TRUE;
}

void
ave_compute_analysis_free (AveComputeAnalysis *self)
{
  if (self == NULL)
    return;

  if (self->state != NULL)
    AVE_COMPUTE_GET_IFACE (self->compute)->analysis_end (self->compute, self->state);
  g_clear_object (&self->compute);
  g_free (self->data);
  g_free (self->frames);
  g_free (self->prev_data);
  g_free (self);
}

/* ---------------------------------------------------------- frame chain */

struct _AveComputeFrameChain
{
  AveCompute       *compute;
  int               width, height;
  AveComputeMatrix  matrix;
  GArray           *ops;        /* AveComputeChainOp since the last finish */
  guint             n_frames;

  /* the composition on host frames: one buffer per working frame and the
   * black frame, made when first needed and kept for the next frames */
  guint8           *own_data[AVE_COMPUTE_CHAIN_MAX_FRAMES];
  guint8           *black_data;
};

AveComputeFrameChain *
ave_compute_frame_chain_new (AveCompute       *compute,
                             int               width,
                             int               height,
                             AveComputeMatrix  matrix)
{
  AveComputeFrameChain *self;

  g_return_val_if_fail (AVE_IS_COMPUTE (compute), NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  self = g_new0 (AveComputeFrameChain, 1);
  self->compute = g_object_ref (compute);
  self->width = width;
  self->height = height;
  self->matrix = matrix;
  self->ops = g_array_new (FALSE, TRUE, sizeof (AveComputeChainOp));
  return self;
}

guint
ave_compute_frame_chain_take (AveComputeFrameChain *self,
                              const AveYuvFrame    *picture)
{
  AveComputeChainOp op = { .kind = AVE_COMPUTE_CHAIN_TAKE };

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (frame_is_valid (picture), 0);
  g_return_val_if_fail (self->n_frames < AVE_COMPUTE_CHAIN_MAX_FRAMES, 0);

  op.frame = self->n_frames++;
  op.picture = *picture;
  op.picture.matrix = self->matrix;
  g_array_append_val (self->ops, op);
  return op.frame;
}

void
ave_compute_frame_chain_blend (AveComputeFrameChain *self,
                               guint                 frame,
                               guint                 other,
                               guint                 weight)
{
  AveComputeChainOp op = { .kind = AVE_COMPUTE_CHAIN_BLEND };

  g_return_if_fail (self != NULL);
  g_return_if_fail (frame < self->n_frames && other < self->n_frames && frame != other);

  op.frame = frame;
  op.other = other;
  op.weight = MIN (weight, 256u);
  g_array_append_val (self->ops, op);
}

void
ave_compute_frame_chain_fade (AveComputeFrameChain *self,
                              guint                 frame,
                              guint                 weight)
{
  AveComputeChainOp op = { .kind = AVE_COMPUTE_CHAIN_BLEND, .other_is_black = TRUE };

  g_return_if_fail (self != NULL);
  g_return_if_fail (frame < self->n_frames);

  op.frame = frame;
  op.weight = MIN (weight, 256u);
  g_array_append_val (self->ops, op);
}

void
ave_compute_frame_chain_overlay (AveComputeFrameChain *self,
                                 guint                 frame,
                                 const guint8         *rgba,
                                 int                   rgba_width,
                                 int                   rgba_height,
                                 int                   rgba_stride,
                                 int                   x,
                                 int                   y,
                                 guint                 opacity)
{
  AveComputeChainOp op = { .kind = AVE_COMPUTE_CHAIN_OVERLAY };

  g_return_if_fail (self != NULL);
  g_return_if_fail (frame < self->n_frames);
  g_return_if_fail (rgba_width >= 0 && rgba_height >= 0);
  g_return_if_fail (rgba != NULL || rgba_width == 0 || rgba_height == 0);
  g_return_if_fail (rgba_stride >= rgba_width * 4);

  /* Nothing visible: no kernel runs, as with ave_compute_overlay_rgba. */
  if (!overlay_visible (self->width, self->height, rgba_width, rgba_height, x, y, opacity))
    return;

  op.frame = frame;
  op.rgba = rgba;
  op.rgba_width = rgba_width;
  op.rgba_height = rgba_height;
  op.rgba_stride = rgba_stride;
  op.x = x;
  op.y = y;
  op.opacity = MIN (opacity, 255u);
  g_array_append_val (self->ops, op);
}

void
ave_compute_frame_chain_clear (AveComputeFrameChain *self)
{
  g_return_if_fail (self != NULL);

  g_array_set_size (self->ops, 0);
  self->n_frames = 0;
}

guint
ave_compute_frame_chain_get_n_ops (AveComputeFrameChain *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->ops->len;
}

static void
copy_frame (AveYuvFrame       *dst,
            const AveYuvFrame *src)
{
  int cw = (dst->width + 1) / 2, ch = (dst->height + 1) / 2;

  copy_plane (dst->y, dst->y_stride, src->y, src->y_stride, dst->width, dst->height);
  copy_plane (dst->u, dst->uv_stride, src->u, src->uv_stride, cw, ch);
  copy_plane (dst->v, dst->uv_stride, src->v, src->uv_stride, cw, ch);
}

static AveYuvFrame
chain_own_frame (AveComputeFrameChain *self,
                 guint                 frame)
{
  AveYuvFrame view;

  if (self->own_data[frame] == NULL)
    self->own_data[frame] = g_malloc (analysis_frame_bytes (self->width, self->height));
  analysis_frame_setup (&view, self->own_data[frame], self->width, self->height);
  view.matrix = self->matrix;
  return view;
}

static AveYuvFrame
chain_black (AveComputeFrameChain *self)
{
  AveYuvFrame view;
  gsize luma = (gsize) self->width * self->height;

  if (self->black_data == NULL)
    {
      gsize bytes = analysis_frame_bytes (self->width, self->height);

      self->black_data = g_malloc (bytes);
      memset (self->black_data, 16, luma);
      memset (self->black_data + luma, 128, bytes - luma);
    }
  analysis_frame_setup (&view, self->black_data, self->width, self->height);
  view.matrix = self->matrix;
  return view;
}

/* The kernels one after the other on host frames, with as few copies as
 * the composer made before the chain: the last operation that makes the
 * result (before the overlays drawn on it) writes straight into `out`, a
 * picture of the right size is read where it lies, and copied only to be
 * drawn on. */
static gboolean
chain_run_on_host (AveComputeFrameChain  *self,
                   guint                  result,
                   AveYuvFrame           *out,
                   GError               **error)
{
  const AveComputeChainOp *ops = (const AveComputeChainOp *) self->ops->data;
  guint n = self->ops->len;
  AveYuvFrame view[AVE_COMPUTE_CHAIN_MAX_FRAMES];
  gboolean writable[AVE_COMPUTE_CHAIN_MAX_FRAMES] = { FALSE };
  guint last_maker = 0;

  for (guint i = 0; i < n; i++)
    if (ops[i].frame == result && ops[i].kind != AVE_COMPUTE_CHAIN_OVERLAY)
      last_maker = i;

  for (guint i = 0; i < n; i++)
    {
      const AveComputeChainOp *op = &ops[i];
      guint f = op->frame;
      gboolean into_out = i == last_maker;
      AveYuvFrame dst;

      switch (op->kind)
        {
        case AVE_COMPUTE_CHAIN_TAKE:
          if (op->picture.width != self->width || op->picture.height != self->height)
            {
              dst = into_out ? *out : chain_own_frame (self, f);
              if (!ave_compute_scale (self->compute, &op->picture, &dst, error))
                return FALSE;
              view[f] = dst;
              writable[f] = TRUE;
            }
          else if (into_out)
            {
              copy_frame (out, &op->picture);
              view[f] = *out;
              writable[f] = TRUE;
            }
          else
            {
              view[f] = op->picture;
              writable[f] = FALSE;
            }
          break;

        case AVE_COMPUTE_CHAIN_BLEND:
          {
            AveYuvFrame other = op->other_is_black ? chain_black (self) : view[op->other];

            dst = into_out ? *out : chain_own_frame (self, f);
            if (!ave_compute_blend (self->compute, &view[f], &other, op->weight, &dst, error))
              return FALSE;
            view[f] = dst;
            writable[f] = TRUE;
          }
          break;

        case AVE_COMPUTE_CHAIN_OVERLAY:
          if (!writable[f])
            {
              dst = chain_own_frame (self, f);
              copy_frame (&dst, &view[f]);
              view[f] = dst;
              writable[f] = TRUE;
            }
          if (!ave_compute_overlay_rgba (self->compute, &view[f], op->rgba, op->rgba_width,
                                         op->rgba_height, op->rgba_stride, op->x, op->y,
                                         op->opacity, error))
            return FALSE;
          break;

        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

gboolean
ave_compute_frame_chain_finish (AveComputeFrameChain  *self,
                                guint                  frame,
                                AveYuvFrame           *out,
                                GError               **error)
{
  AveComputeInterface *iface;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (frame < self->n_frames, FALSE);
  g_return_val_if_fail (frame_is_valid (out), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out->width != self->width || out->height != self->height)
    {
      ave_compute_frame_chain_clear (self);
      return size_mismatch (error, "frame chain");
    }

  out->matrix = self->matrix;
  iface = AVE_COMPUTE_GET_IFACE (self->compute);
  if (iface->frame_chain_run != NULL)
    {
      const AveComputeChainOp *ops = (const AveComputeChainOp *) self->ops->data;

      /* Counted as the kernels would be: the chain runs each of them. */
      for (guint i = 0; i < self->ops->len; i++)
        switch (ops[i].kind)
          {
          case AVE_COMPUTE_CHAIN_TAKE:
            if (ops[i].picture.width != self->width || ops[i].picture.height != self->height)
              count_call (self->compute, AVE_COMPUTE_KERNEL_SCALE, 1);
            break;
          case AVE_COMPUTE_CHAIN_BLEND:
            count_call (self->compute, AVE_COMPUTE_KERNEL_BLEND, 1);
            break;
          case AVE_COMPUTE_CHAIN_OVERLAY:
            count_call (self->compute, AVE_COMPUTE_KERNEL_OVERLAY, 1);
            break;
          default:
            g_assert_not_reached ();
          }
      ok = iface->frame_chain_run (self->compute, ops, self->ops->len, self->n_frames, frame, out, error);
    }
  else
    ok = chain_run_on_host (self, frame, out, error);

  ave_compute_frame_chain_clear (self);
  return ok;
}

void
ave_compute_frame_chain_free (AveComputeFrameChain *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->compute);
  g_array_unref (self->ops);
  for (guint i = 0; i < AVE_COMPUTE_CHAIN_MAX_FRAMES; i++)
    g_free (self->own_data[i]);
  g_free (self->black_data);
  g_free (self);
}

/* ------------------------------------------------------------- selection */

AveCompute *
ave_compute_new_for_settings (gboolean   enable_gpu,
                              guint64    gpu_memory_bytes,
                              char     **notice)
{
  if (notice != NULL)
    *notice = NULL;

  if (!enable_gpu)
    return ave_compute_cpu_new ();

#if HAVE_VULKAN
  {
    g_autoptr(GError) error = NULL;
    AveCompute *gpu = ave_compute_vulkan_new (g_getenv ("AVE_VULKAN_DEVICE"),
                                              gpu_memory_bytes, &error);

    if (gpu != NULL)
      {
        if (notice != NULL)
          *notice = g_strdup_printf ("using GPU compute: %s",
                                     ave_compute_vulkan_get_device_name (AVE_COMPUTE_VULKAN (gpu)));
        return gpu;
      }

    const char *reason = (error != NULL) ? error->message : "no usable Vulkan device";

    g_debug ("Vulkan backend unavailable: %s", reason);
    if (notice != NULL)
      *notice = g_strdup_printf ("GPU acceleration unavailable (%s); using the CPU path",
                                 reason);
    return ave_compute_cpu_new ();
  }
#else
  if (notice != NULL)
    *notice = g_strdup ("this build has no Vulkan support; using the CPU path");
  return ave_compute_cpu_new ();
#endif
}
