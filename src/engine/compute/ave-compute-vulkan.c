#define G_LOG_DOMAIN "ave-compute-vulkan"

#include "config.h"

#include <string.h>

#include "core/ave-error.h"
#include "compute/ave-compute-vulkan.h"
#include "compute/ave-vulkan-private.h"
#include "compute/ave-compute-cpu-private.h"   /* the colour coefficients */

/* The Vulkan compute backend.
 *
 * Every kernel reproduces ave-compute-cpu.c bit for bit (the formulas are
 * integer-only; docs/compute.md lists them).  Frames travel packed 4 samples
 * per 32-bit word (shaders/ave-common.glsl): the host copies rows into mapped
 * memory, one submission uploads, runs and downloads, and the host copies
 * the results out.  Analysis batches many frames per submission and
 * alternates two slots, so the host packs batch k+1 while the device works
 * on batch k; the fused analysis (AveComputeAnalysis) has two chained slots
 * of its own, where the scaled frames stay on the device between the scale
 * and the frame statistics.  One GMutex serialises callers: the backend is meant for one
 * worker thread at a time but stays safe with more.
 */

/* Packed words are read by the device as little-endian 32-bit integers. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

#define DEFAULT_MAX_BATCH 16
#define STATS_HIST_WORDS  (AVE_LUMA_BINS + 2 * AVE_CHROMA_BINS)
#define STATS_TILE_W      64
#define STATS_TILE_H      16
#define STATS_TILE_WORDS  6
#define GROUP_2D          16
#define GROUP_1D          256
#define MAX_GROUPS        65535

struct _AveComputeVulkan
{
  GObject       parent_instance;

  GMutex        lock;
  AveVkContext *ctx;
  char         *name;
  guint         max_batch;
  gboolean      analysis_busy;   /* a fused analysis holds the chained slots */
};

static void ave_compute_vulkan_iface_init (AveComputeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AveComputeVulkan, ave_compute_vulkan, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AVE_TYPE_COMPUTE,
                                                      ave_compute_vulkan_iface_init))

/* ------------------------------------------------------------ packing */

typedef struct
{
  int     width, height, cwidth, cheight;
  guint32 y_stride, c_stride;   /* words per row */
  guint32 y_words, c_words;     /* words per plane */
  guint32 frame_words;          /* Y, U, V back to back */
} FrameLayout;

static void
frame_layout_init (FrameLayout *l,
                   int          width,
                   int          height)
{
  l->width = width;
  l->height = height;
  l->cwidth = (width + 1) / 2;
  l->cheight = (height + 1) / 2;
  l->y_stride = (width + 3) / 4;
  l->c_stride = (l->cwidth + 3) / 4;
  l->y_words = l->y_stride * height;
  l->c_words = l->c_stride * l->cheight;
  l->frame_words = l->y_words + 2 * l->c_words;
}

/* Copies `bytes` of each of `rows` rows into packed rows of `stride` words,
 * zeroing the padding so the buffers never carry stale data. */
static void
pack_rows (guint32      *dst,
           guint32       stride,
           const guint8 *src,
           int           src_stride,
           gsize         bytes,
           int           rows)
{
  guint8 *out = (guint8 *) dst;
  gsize row_bytes = (gsize) stride * 4;

  for (int y = 0; y < rows; y++)
    {
      memcpy (out + y * row_bytes, src + (gsize) y * src_stride, bytes);
      if (bytes < row_bytes)
        memset (out + y * row_bytes + bytes, 0, row_bytes - bytes);
    }
}

static void
unpack_rows (guint8        *dst,
             int            dst_stride,
             const guint32 *src,
             guint32        stride,
             gsize          bytes,
             int            rows)
{
  const guint8 *in = (const guint8 *) src;

  for (int y = 0; y < rows; y++)
    memcpy (dst + (gsize) y * dst_stride, in + (gsize) y * stride * 4, bytes);
}

static void
pack_frame (guint32           *dst,
            const FrameLayout *l,
            const AveYuvFrame *frame)
{
  pack_rows (dst, l->y_stride, frame->y, frame->y_stride, l->width, l->height);
  pack_rows (dst + l->y_words, l->c_stride, frame->u, frame->uv_stride, l->cwidth, l->cheight);
  pack_rows (dst + l->y_words + l->c_words, l->c_stride, frame->v, frame->uv_stride, l->cwidth, l->cheight);
}

static void
unpack_frame (AveYuvFrame       *frame,
              const FrameLayout *l,
              const guint32     *src)
{
  unpack_rows (frame->y, frame->y_stride, src, l->y_stride, l->width, l->height);
  unpack_rows (frame->u, frame->uv_stride, src + l->y_words, l->c_stride, l->cwidth, l->cheight);
  unpack_rows (frame->v, frame->uv_stride, src + l->y_words + l->c_words, l->c_stride, l->cwidth, l->cheight);
}

static guint32
div_up (guint64 a,
        guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

static gboolean
check_frame (const AveYuvFrame *frame,
             const char        *what,
             GError           **error)
{
  if (frame->width > 0 && frame->height > 0 && frame->width <= (1 << 16) && frame->height <= (1 << 16))
    return TRUE;
  g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
               "Vulkan: %s frame size %dx%d is out of range", what, frame->width, frame->height);
  return FALSE;
}

static gboolean
check_same_size (const AveYuvFrame *a,
                 const AveYuvFrame *b,
                 const char        *what,
                 GError           **error)
{
  if (a->width == b->width && a->height == b->height)
    return TRUE;
  g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
               "Vulkan: %s needs frames of one size (%dx%d and %dx%d)",
               what, a->width, a->height, b->width, b->height);
  return FALSE;
}

static guint32 *
slot_in (AveVkContext *ctx,
         guint         slot)
{
  return ctx->slots[slot].in_host.map;
}

static const guint32 *
slot_out (AveVkContext *ctx,
          guint         slot)
{
  return ctx->slots[slot].out_host.map;
}

/* Waits for every slot, keeping the first error: on a failure no buffer may
 * be reused or freed while the device still reads it. */
static gboolean
drain (AveVkContext  *ctx,
       GError       **error)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < AVE_VK_N_SLOTS; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!_ave_vk_slot_wait (ctx, i, &local_error))
        {
          /* A failed wait leaves the device marked lost; later calls fail fast. */
          ctx->slots[i].pending = FALSE;
          if (ok)
            g_propagate_error (error, g_steal_pointer (&local_error));
          ok = FALSE;
        }
    }
  return ok;
}

/* One-submission kernels run on slot 0; when a limit is set, an idle slot 1
 * left over from analysis gives its memory back first. */
static gboolean
reserve_single (AveVkContext  *ctx,
                VkDeviceSize   in_bytes,
                VkDeviceSize   out_bytes,
                GError       **error)
{
  if (ctx->memory_limit > 0 &&
      ctx->allocated + _ave_vk_context_footprint (ctx, in_bytes, out_bytes) > ctx->memory_limit)
    _ave_vk_slot_release (ctx, 1);
  return _ave_vk_slot_reserve (ctx, 0, in_bytes, out_bytes, error);
}

static gboolean
run_single (AveVkContext  *ctx,
            AveVkKernel    kernel,
            const void    *push,
            gsize          push_size,
            guint32        groups_x,
            guint32        groups_y,
            guint32        groups_z,
            GError       **error)
{
  if (!_ave_vk_slot_submit (ctx, 0, kernel, push, push_size, groups_x, groups_y, groups_z, 0, error))
    return FALSE;
  return _ave_vk_slot_wait (ctx, 0, error);
}

static double
elapsed_us (gint64 start)
{
  return (double) (g_get_monotonic_time () - start);
}

/* A kernel run once on slot 0, as blend, scale, the colour conversions
 * and overlay are: `pack` fills its input buffer (in_bytes) and `unpack`
 * reads its output (out_bytes), each given `data`.  Holds the backend's
 * lock for the whole run and times the copies. */
typedef void (*PackFunc)   (gpointer data, guint32 *in);
typedef void (*UnpackFunc) (gpointer data, const guint32 *out);

static gboolean
run_single_kernel (AveComputeVulkan  *self,
                   AveVkKernel        kernel,
                   const void        *push,
                   gsize              push_size,
                   VkDeviceSize       in_bytes,
                   VkDeviceSize       out_bytes,
                   PackFunc           pack,
                   UnpackFunc         unpack,
                   gpointer           data,
                   guint32            groups_x,
                   guint32            groups_y,
                   guint32            groups_z,
                   GError           **error)
{
  AveVkContext *ctx = self->ctx;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gint64 start;

  if (!reserve_single (ctx, in_bytes, out_bytes, error))
    return FALSE;

  start = g_get_monotonic_time ();
  pack (data, slot_in (ctx, 0));
  ctx->timings.pack_us += elapsed_us (start);

  if (!run_single (ctx, kernel, push, push_size, groups_x, groups_y, groups_z, error))
    return FALSE;

  start = g_get_monotonic_time ();
  unpack (data, slot_out (ctx, 0));
  ctx->timings.unpack_us += elapsed_us (start);
  return TRUE;
}

/* The unpacking of the kernels whose output is one whole frame. */
typedef struct
{
  const FrameLayout *layout;
  AveYuvFrame       *dst;
} FrameOut;

static void
unpack_frame_out (gpointer       data,
                  const guint32 *out)
{
  FrameOut *f = data;

  unpack_frame (f->dst, f->layout, out);
}

/* ----------------------------------------------------------- analysis */

typedef struct
{
  guint32 width, height, cwidth, cheight;
  guint32 y_stride, c_stride;
  guint32 in_offset, frame_words, first_has_prev;
  guint32 out_offset, out_frame_words, tiles_x;
} StatsParams;

typedef struct
{
  guint first, count;   /* frames of the submission a slot holds */
} BatchRange;

static void
stats_unpack (const guint32     *words,
              const FrameLayout *l,
              guint32            n_tiles,
              gboolean           has_prev,
              AveFrameStats     *out)
{
  const guint32 *tile = words + STATS_HIST_WORDS;
  guint64 sum = 0, sum2 = 0, lap2 = 0, sad = 0, motion = 0;
  gint64 lap = 0;

  memset (out, 0, sizeof *out);
  out->n_pixels = (guint64) l->width * l->height;
  memcpy (out->hist_y, words, sizeof out->hist_y);
  memcpy (out->hist_u, words + AVE_LUMA_BINS, sizeof out->hist_u);
  memcpy (out->hist_v, words + AVE_LUMA_BINS + AVE_CHROMA_BINS, sizeof out->hist_v);
  for (guint32 t = 0; t < n_tiles; t++, tile += STATS_TILE_WORDS)
    {
      sum += tile[0];
      sum2 += tile[1];
      lap += (gint32) tile[2];
      lap2 += tile[3];
      sad += tile[4];
      motion += tile[5];
    }
  out->sum_y = sum;
  out->sum_y2 = sum2;
  if (l->width >= 3 && l->height >= 3)
    {
      out->lap_n = (guint64) (l->width - 2) * (l->height - 2);
      out->lap_sum = lap;
      out->lap_sum2 = lap2;
    }
  out->motion_blocks = (guint64) (l->width / AVE_MOTION_BLOCK) * (guint64) (l->height / AVE_MOTION_BLOCK);
  out->has_prev = has_prev;
  if (has_prev)
    {
      out->sad_prev = sad;
      out->motion_prev = motion;
    }
}

static char *
format_mib (guint64 bytes)
{
  return g_strdup_printf ("%.1f MiB", bytes / (1024.0 * 1024.0));
}

static gboolean
ave_compute_vulkan_analyze_frames (AveCompute         *compute,
                                   const AveYuvFrame  *prev,
                                   const AveYuvFrame  *frames,
                                   guint               n_frames,
                                   AveFrameStats      *out,
                                   GError            **error)
{
  AveComputeVulkan *self = AVE_COMPUTE_VULKAN (compute);
  AveVkContext *ctx = self->ctx;
  g_autoptr(GMutexLocker) locker = NULL;
  FrameLayout l;
  guint32 tiles_x, tiles_y, out_frame_words;
  VkDeviceSize in_frame_bytes, out_frame_bytes;
  BatchRange pending[AVE_VK_N_SLOTS] = { { 0 } };
  guint batch, n_slots, done = 0, k = 0;

  if (n_frames == 0)
    return TRUE;
  if (!check_frame (&frames[0], "analysis", error))
    return FALSE;
  for (guint i = 1; i < n_frames; i++)
    if (!check_same_size (&frames[0], &frames[i], "analysis", error))
      return FALSE;
  if (prev != NULL && !check_same_size (&frames[0], prev, "analysis", error))
    return FALSE;

  frame_layout_init (&l, frames[0].width, frames[0].height);
  tiles_x = div_up (l.width, STATS_TILE_W);
  tiles_y = div_up (l.height, STATS_TILE_H);
  out_frame_words = STATS_HIST_WORDS + tiles_x * tiles_y * STATS_TILE_WORDS;
  in_frame_bytes = (VkDeviceSize) l.frame_words * 4;
  out_frame_bytes = (VkDeviceSize) out_frame_words * 4;

  locker = g_mutex_locker_new (&self->lock);

  /* Batch size: as many frames as allowed, within the device's limits and
   * the memory limit; two slots when there is more than one batch, so
   * packing overlaps the device's work, one when only that fits. */
  batch = MIN (n_frames, self->max_batch);
  batch = MIN (batch, ctx->props.limits.maxComputeWorkGroupCount[2]);
  while (batch > 1 && MAX ((batch + 1) * in_frame_bytes, batch * out_frame_bytes) > ctx->max_buffer_bytes)
    batch--;
  n_slots = batch < n_frames ? 2 : 1;
  if (ctx->memory_limit > 0)
    {
      while (batch > 1 &&
             n_slots * _ave_vk_context_footprint (ctx, (batch + 1) * in_frame_bytes,
                                                  batch * out_frame_bytes) > ctx->memory_limit)
        {
          batch--;
          n_slots = batch < n_frames ? 2 : 1;
        }
      if (n_slots == 2 &&
          2 * _ave_vk_context_footprint (ctx, 2 * in_frame_bytes, out_frame_bytes) > ctx->memory_limit)
        n_slots = 1;
      if (_ave_vk_context_footprint (ctx, (batch + 1) * in_frame_bytes, batch * out_frame_bytes) > ctx->memory_limit)
        {
          g_autofree char *limit = format_mib (ctx->memory_limit);
          g_autofree char *need = format_mib (_ave_vk_context_footprint (ctx, 2 * in_frame_bytes, out_frame_bytes));
          g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                       "the GPU memory limit (%s) is too small to analyse one %dx%d frame (needs %s); "
                       "raise --gpu-memory or use the CPU backend",
                       limit, l.width, l.height, need);
          return FALSE;
        }
      /* Nothing runs between calls: shed buffers a larger earlier job left. */
      for (guint s = 0; s < AVE_VK_N_SLOTS; s++)
        {
          AveVkSlot *slot = &ctx->slots[s];
          VkDeviceSize held = slot->in_host.allocated + slot->out_host.allocated +
                              slot->in_dev.allocated + slot->out_dev.allocated;
          if (s >= n_slots ||
              held > _ave_vk_context_footprint (ctx, (batch + 1) * in_frame_bytes, batch * out_frame_bytes))
            _ave_vk_slot_release (ctx, s);
        }
    }

  while (done < n_frames)
    {
      guint s = k % n_slots;
      guint count = MIN (batch, n_frames - done);
      const AveYuvFrame *batch_prev = done == 0 ? prev : &frames[done - 1];
      StatsParams params = { 0 };
      guint32 *in;
      gint64 start;

      /* Collect what this slot computed two batches ago before reusing it. */
      if (ctx->slots[s].pending)
        {
          if (!_ave_vk_slot_wait (ctx, s, error))
            goto fail;
          start = g_get_monotonic_time ();
          for (guint i = 0; i < pending[s].count; i++)
            {
              guint f = pending[s].first + i;
              stats_unpack (slot_out (ctx, s) + (gsize) i * out_frame_words, &l, tiles_x * tiles_y,
                            f > 0 || prev != NULL, &out[f]);
            }
          ctx->timings.unpack_us += elapsed_us (start);
        }

      if (!_ave_vk_slot_reserve (ctx, s, (count + 1) * in_frame_bytes, count * out_frame_bytes, error))
        goto fail;

      start = g_get_monotonic_time ();
      in = slot_in (ctx, s);
      if (batch_prev != NULL)
        pack_frame (in, &l, batch_prev);
      for (guint i = 0; i < count; i++)
        pack_frame (in + (gsize) (i + 1) * l.frame_words, &l, &frames[done + i]);
      ctx->timings.pack_us += elapsed_us (start);

      params.width = l.width;
      params.height = l.height;
      params.cwidth = l.cwidth;
      params.cheight = l.cheight;
      params.y_stride = l.y_stride;
      params.c_stride = l.c_stride;
      params.in_offset = 0;
      params.frame_words = l.frame_words;
      params.first_has_prev = batch_prev != NULL;
      params.out_offset = 0;
      params.out_frame_words = out_frame_words;
      params.tiles_x = tiles_x;
      /* Zeroing the whole output covers the histograms the tiles add into. */
      if (!_ave_vk_slot_submit (ctx, s, AVE_VK_KERNEL_FRAME_STATS, &params, sizeof params,
                                tiles_x, tiles_y, count, count * out_frame_bytes, error))
        goto fail;
      pending[s].first = done;
      pending[s].count = count;
      done += count;
      k++;
    }

  /* Collect the last batches in submission order. */
  for (guint j = 0; j < n_slots; j++)
    {
      guint s = (k + j) % n_slots;
      gint64 start;

      if (!ctx->slots[s].pending)
        continue;
      if (!_ave_vk_slot_wait (ctx, s, error))
        goto fail;
      start = g_get_monotonic_time ();
      for (guint i = 0; i < pending[s].count; i++)
        {
          guint f = pending[s].first + i;
          stats_unpack (slot_out (ctx, s) + (gsize) i * out_frame_words, &l, tiles_x * tiles_y,
                        f > 0 || prev != NULL, &out[f]);
        }
      ctx->timings.unpack_us += elapsed_us (start);
    }
  return TRUE;

fail:
  drain (ctx, NULL);
  return FALSE;
}

/* -------------------------------------------------------------- blend */

typedef struct
{
  guint32 a_offset, b_offset, out_offset;
  guint32 n_words;
  guint32 weight;
  guint32 groups_x;
} BlendParams;

typedef struct
{
  FrameOut           out;       /* first: unpack_frame_out reads it */
  const AveYuvFrame *a, *b;
} BlendRun;

static void
blend_pack (gpointer  data,
            guint32  *in)
{
  BlendRun *r = data;

  pack_frame (in, r->out.layout, r->a);
  pack_frame (in + r->out.layout->frame_words, r->out.layout, r->b);
}

static gboolean
ave_compute_vulkan_blend (AveCompute         *compute,
                          const AveYuvFrame  *a,
                          const AveYuvFrame  *b,
                          guint               weight,
                          AveYuvFrame        *out,
                          GError            **error)
{
  BlendParams params = { 0 };
  FrameLayout l;
  BlendRun data = { { &l, out }, a, b };
  guint32 groups;

  if (!check_frame (a, "blend", error) ||
      !check_same_size (a, b, "blend", error) ||
      !check_same_size (a, out, "blend", error))
    return FALSE;
  frame_layout_init (&l, a->width, a->height);

  groups = div_up (l.frame_words, GROUP_1D);
  params.a_offset = 0;
  params.b_offset = l.frame_words;
  params.out_offset = 0;
  params.n_words = l.frame_words;
  params.weight = MIN (weight, 256);
  params.groups_x = MIN (groups, MAX_GROUPS);

  return run_single_kernel (AVE_COMPUTE_VULKAN (compute), AVE_VK_KERNEL_BLEND, &params, sizeof params,
                            2 * (VkDeviceSize) l.frame_words * 4, (VkDeviceSize) l.frame_words * 4,
                            blend_pack, unpack_frame_out, &data,
                            params.groups_x, div_up (groups, params.groups_x), 1, error);
}

/* -------------------------------------------------------------- scale */

typedef struct
{
  guint32 src_offset[3];
  guint32 src_stride_y, src_stride_c;
  guint32 src_w, src_h, src_cw, src_ch;
  guint32 dst_offset[3];
  guint32 dst_stride_y, dst_stride_c;
  guint32 dst_w, dst_h, dst_cw, dst_ch;
  guint32 xtab_y, ytab_y, xtab_c, ytab_c;
} ScaleParams;
G_STATIC_ASSERT (sizeof (ScaleParams) <= AVE_VK_PUSH_CONSTANT_BYTES);

/* Source positions of each destination column (or row) as x0 | fx << 24,
 * by the centre-aligned 8.8 rule of the CPU backend; computed here because
 * the product needs 64 bits, which GLSL lacks without an extension. */
static void
scale_table (guint32 *table,
             int      src_size,
             int      dst_size)
{
  for (int x = 0; x < dst_size; x++)
    {
      gint64 p = ((gint64) (2 * x + 1) * src_size * 128) / dst_size - 128;
      guint32 whole, frac;

      if (p < 0)
        p = 0;
      whole = (guint32) (p >> 8);
      frac = (guint32) (p & 255);
      if (whole >= (guint32) src_size - 1)
        {
          whole = src_size - 1;
          frac = 0;
        }
      table[x] = whole | (frac << 24);
    }
}

/* Words of the four tables (scale_tables_pack) for scaling to `ld`. */
static guint32
scale_table_words (const FrameLayout *ld)
{
  return ld->width + ld->height + ld->cwidth + ld->cheight;
}

/* The scale of a packed source frame at word `src_base` of the input to a
 * frame at word `dst_base` of the output, with the tables at `tables`. */
static void
scale_params_init (ScaleParams       *params,
                   const FrameLayout *ls,
                   const FrameLayout *ld,
                   guint32            src_base,
                   guint32            dst_base,
                   guint32            tables)
{
  params->src_offset[0] = src_base;
  params->src_offset[1] = src_base + ls->y_words;
  params->src_offset[2] = src_base + ls->y_words + ls->c_words;
  params->src_stride_y = ls->y_stride;
  params->src_stride_c = ls->c_stride;
  params->src_w = ls->width;
  params->src_h = ls->height;
  params->src_cw = ls->cwidth;
  params->src_ch = ls->cheight;
  params->dst_offset[0] = dst_base;
  params->dst_offset[1] = dst_base + ld->y_words;
  params->dst_offset[2] = dst_base + ld->y_words + ld->c_words;
  params->dst_stride_y = ld->y_stride;
  params->dst_stride_c = ld->c_stride;
  params->dst_w = ld->width;
  params->dst_h = ld->height;
  params->dst_cw = ld->cwidth;
  params->dst_ch = ld->cheight;
  params->xtab_y = tables;
  params->ytab_y = params->xtab_y + ld->width;
  params->xtab_c = params->ytab_y + ld->height;
  params->ytab_c = params->xtab_c + ld->cwidth;
}

static void
scale_tables_pack (guint32           *in,
                   const ScaleParams *params,
                   const FrameLayout *ls,
                   const FrameLayout *ld)
{
  scale_table (in + params->xtab_y, ls->width, ld->width);
  scale_table (in + params->ytab_y, ls->height, ld->height);
  scale_table (in + params->xtab_c, ls->cwidth, ld->cwidth);
  scale_table (in + params->ytab_c, ls->cheight, ld->cheight);
}

typedef struct
{
  FrameOut           out;       /* first: unpack_frame_out reads it */
  const FrameLayout *src_layout;
  const AveYuvFrame *src;
  const ScaleParams *params;
} ScaleRun;

static void
scale_pack (gpointer  data,
            guint32  *in)
{
  ScaleRun *r = data;
  const FrameLayout *ls = r->src_layout, *ld = r->out.layout;

  pack_frame (in, ls, r->src);
  scale_tables_pack (in, r->params, ls, ld);
}

static gboolean
ave_compute_vulkan_scale (AveCompute         *compute,
                          const AveYuvFrame  *src,
                          AveYuvFrame        *dst,
                          GError            **error)
{
  ScaleParams params = { 0 };
  FrameLayout ls, ld;
  ScaleRun data = { { &ld, dst }, &ls, src, &params };
  guint32 table_words;

  if (!check_frame (src, "scale source", error) || !check_frame (dst, "scale destination", error))
    return FALSE;
  frame_layout_init (&ls, src->width, src->height);
  frame_layout_init (&ld, dst->width, dst->height);
  table_words = scale_table_words (&ld);
  scale_params_init (&params, &ls, &ld, 0, 0, ls.frame_words);

  return run_single_kernel (AVE_COMPUTE_VULKAN (compute), AVE_VK_KERNEL_SCALE, &params, sizeof params,
                            ((VkDeviceSize) ls.frame_words + table_words) * 4, (VkDeviceSize) ld.frame_words * 4,
                            scale_pack, unpack_frame_out, &data,
                            div_up (ld.y_stride, GROUP_2D), div_up (ld.height, GROUP_2D), 3, error);
}

/* ---------------------------------------------------- fused analysis
 *
 * ave_compute_analysis_*: each picture is packed into a chained slot's
 * input as it arrives (so the caller can release it), at its decoded
 * size.  One submission per batch scales every picture into the slot's
 * device-local work buffer (frames 1..n; frame 0 is the previous frame,
 * copied on the device from the work buffer of the batch before) and,
 * after a barrier, runs frame-stats over the work buffer: the pictures go
 * up once, the scaled frames never come back, only the stats do.  Within
 * a flush two chained slots alternate, so the host packs one batch while
 * the device runs the other. */

typedef struct
{
  guint    first;              /* results index of the batch's first picture */
  guint    count;              /* 0: nothing to collect */
  gboolean first_has_prev;
} ChainedBatch;

typedef struct
{
  FrameLayout   dst;           /* the analysis size */
  guint32       tiles_x, tiles_y, out_frame_words;
  guint         batch;         /* pictures per submission; 0 until the first picture */
  guint         n_slots;       /* chained slots in use, 1 or 2 */

  /* the slot being packed */
  guint         slot;
  guint         count;
  guint32       in_words;
  int           table_w, table_h;   /* source size of the tables packed last, 0: none */
  guint32       tables;             /* their word offset */
  GArray       *scales;             /* ScaleParams, one per picture */

  ChainedBatch  submitted[AVE_VK_N_CHAINED];
  /* the last scaled frame of the last submission: chained slot and index
   * of its work buffer */
  gboolean      has_prev;
  guint         prev_slot;
  guint32       prev_index;

  GArray       *results;       /* AveFrameStats since the last flush */
} FusedAnalysis;

static gpointer
ave_compute_vulkan_analysis_begin (AveCompute *compute,
                                   int         width,
                                   int         height)
{
  AveComputeVulkan *self = AVE_COMPUTE_VULKAN (compute);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  FusedAnalysis *fa;

  /* One at a time: a second analysis composes the kernels instead, with
   * the same results. */
  if (self->analysis_busy || width > (1 << 16) || height > (1 << 16))
    return NULL;
  self->analysis_busy = TRUE;

  fa = g_new0 (FusedAnalysis, 1);
  frame_layout_init (&fa->dst, width, height);
  fa->tiles_x = div_up (width, STATS_TILE_W);
  fa->tiles_y = div_up (height, STATS_TILE_H);
  fa->out_frame_words = STATS_HIST_WORDS + fa->tiles_x * fa->tiles_y * STATS_TILE_WORDS;
  fa->scales = g_array_new (FALSE, FALSE, sizeof (ScaleParams));
  fa->results = g_array_new (FALSE, TRUE, sizeof (AveFrameStats));
  return fa;
}

static guint
chained_index (guint slot)
{
  return AVE_VK_CHAINED_SLOT + slot;
}

/* Bytes of one batch's buffers: the pictures of size `ls` with their
 * tables, the scaled frames and the previous one, the stats. */
static void
fused_sizes (const FusedAnalysis *fa,
             const FrameLayout   *ls,
             guint                batch,
             VkDeviceSize        *in_bytes,
             VkDeviceSize        *work_bytes,
             VkDeviceSize        *out_bytes)
{
  *in_bytes = (VkDeviceSize) batch * (ls->frame_words + scale_table_words (&fa->dst)) * 4;
  *work_bytes = (VkDeviceSize) (batch + 1) * fa->dst.frame_words * 4;
  *out_bytes = (VkDeviceSize) batch * fa->out_frame_words * 4;
}

/* The batch size and the number of slots, from the first picture's size:
 * as many pictures as allowed, within the device's limits and the memory
 * limit; two slots unless only one fits. */
static gboolean
fused_plan (AveComputeVulkan     *self,
            FusedAnalysis        *fa,
            const FrameLayout    *ls,
            GError              **error)
{
  AveVkContext *ctx = self->ctx;
  VkDeviceSize in_bytes, work_bytes, out_bytes;
  guint cap = MIN (self->max_batch, ctx->props.limits.maxComputeWorkGroupCount[2]);

  for (; cap > 1; cap--)
    {
      fused_sizes (fa, ls, cap, &in_bytes, &work_bytes, &out_bytes);
      if (MAX (MAX (in_bytes, work_bytes), out_bytes) <= ctx->max_buffer_bytes)
        break;
    }
  if (ctx->memory_limit == 0)
    {
      fa->batch = cap;
      fa->n_slots = AVE_VK_N_CHAINED;
      return TRUE;
    }

  /* Nothing else runs now: what the one-call kernels and an earlier
   * analysis left goes back first. */
  for (guint s = 0; s < AVE_VK_N_ALL_SLOTS; s++)
    if (!ctx->slots[s].pending)
      _ave_vk_slot_release (ctx, s);
  for (guint n_slots = AVE_VK_N_CHAINED; n_slots >= 1; n_slots--)
    for (guint b = cap; b >= 1; b--)
      {
        fused_sizes (fa, ls, b, &in_bytes, &work_bytes, &out_bytes);
        if (ctx->allocated + n_slots * _ave_vk_chained_footprint (ctx, in_bytes, work_bytes, out_bytes)
            <= ctx->memory_limit)
          {
            fa->batch = b;
            fa->n_slots = n_slots;
            return TRUE;
          }
      }

  fused_sizes (fa, ls, 1, &in_bytes, &work_bytes, &out_bytes);
  {
    g_autofree char *limit = format_mib (ctx->memory_limit);
    g_autofree char *need = format_mib (_ave_vk_chained_footprint (ctx, in_bytes, work_bytes, out_bytes));

    g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                 "the GPU memory limit (%s) is too small to analyse one %dx%d frame from a %dx%d picture "
                 "(needs %s); raise --gpu-memory or use the CPU backend",
                 limit, fa->dst.width, fa->dst.height, ls->width, ls->height, need);
  }
  return FALSE;
}

/* Waits for what chained slot `slot` computed and reads its stats out. */
static gboolean
fused_collect (AveComputeVulkan  *self,
               FusedAnalysis     *fa,
               guint              slot,
               GError           **error)
{
  AveVkContext *ctx = self->ctx;
  ChainedBatch *b = &fa->submitted[slot];
  gint64 start;

  if (b->count == 0)
    return TRUE;
  if (!_ave_vk_slot_wait (ctx, chained_index (slot), error))
    return FALSE;
  start = g_get_monotonic_time ();
  for (guint i = 0; i < b->count; i++)
    stats_unpack (slot_out (ctx, chained_index (slot)) + (gsize) i * fa->out_frame_words, &fa->dst,
                  fa->tiles_x * fa->tiles_y, i > 0 || b->first_has_prev,
                  &g_array_index (fa->results, AveFrameStats, b->first + i));
  ctx->timings.unpack_us += elapsed_us (start);
  b->count = 0;
  return TRUE;
}

/* Submits the slot being packed: the scales, then the stats. */
static gboolean
fused_submit (AveComputeVulkan  *self,
              FusedAnalysis     *fa,
              GError           **error)
{
  AveVkContext *ctx = self->ctx;
  guint n = fa->count;
  g_autofree AveVkDispatch *dispatches = g_new0 (AveVkDispatch, n + 1);
  VkDeviceSize frame_bytes = (VkDeviceSize) fa->dst.frame_words * 4;
  VkDeviceSize stats_bytes = (VkDeviceSize) n * fa->out_frame_words * 4;
  StatsParams params = { 0 };

  for (guint i = 0; i < n; i++)
    dispatches[i] = (AveVkDispatch) {
      .kernel = AVE_VK_KERNEL_SCALE,
      .push_constants = &g_array_index (fa->scales, ScaleParams, i),
      .push_constants_size = sizeof (ScaleParams),
      .groups_x = div_up (fa->dst.y_stride, GROUP_2D),
      .groups_y = div_up (fa->dst.height, GROUP_2D),
      .groups_z = 3,
    };
  params.width = fa->dst.width;
  params.height = fa->dst.height;
  params.cwidth = fa->dst.cwidth;
  params.cheight = fa->dst.cheight;
  params.y_stride = fa->dst.y_stride;
  params.c_stride = fa->dst.c_stride;
  params.in_offset = 0;
  params.frame_words = fa->dst.frame_words;
  params.first_has_prev = fa->has_prev;
  params.out_offset = 0;
  params.out_frame_words = fa->out_frame_words;
  params.tiles_x = fa->tiles_x;
  dispatches[n] = (AveVkDispatch) {
    .kernel = AVE_VK_KERNEL_FRAME_STATS,
    .work_in = TRUE,
    .push_constants = &params,
    .push_constants_size = sizeof params,
    .groups_x = fa->tiles_x,
    .groups_y = fa->tiles_y,
    .groups_z = n,
  };

  /* Zeroing the whole output covers the histograms the tiles add into. */
  if (!_ave_vk_chained_submit (ctx, chained_index (fa->slot), (VkDeviceSize) fa->in_words * 4,
                               chained_index (fa->prev_slot), fa->prev_index * frame_bytes, 0,
                               fa->has_prev ? frame_bytes : 0,
                               stats_bytes, stats_bytes, dispatches, n + 1, error))
    return FALSE;

  fa->submitted[fa->slot] = (ChainedBatch) { fa->results->len, n, fa->has_prev };
  g_array_set_size (fa->results, fa->results->len + n);
  fa->has_prev = TRUE;
  fa->prev_slot = fa->slot;
  fa->prev_index = n;
  fa->slot = (fa->slot + 1) % fa->n_slots;
  fa->count = 0;
  fa->in_words = 0;
  fa->table_w = fa->table_h = 0;
  g_array_set_size (fa->scales, 0);
  return TRUE;
}

/* After a failure no chained buffer may be reused or freed while the
 * device still reads it. */
static void
fused_drain (AveVkContext *ctx)
{
  for (guint s = 0; s < AVE_VK_N_CHAINED; s++)
    if (!_ave_vk_slot_wait (ctx, chained_index (s), NULL))
      ctx->slots[chained_index (s)].pending = FALSE;
}

static gboolean
ave_compute_vulkan_analysis_add (AveCompute         *compute,
                                 gpointer            state,
                                 const AveYuvFrame  *picture,
                                 GError            **error)
{
  AveComputeVulkan *self = AVE_COMPUTE_VULKAN (compute);
  AveVkContext *ctx = self->ctx;
  FusedAnalysis *fa = state;
  g_autoptr(GMutexLocker) locker = NULL;
  FrameLayout ls;
  ScaleParams params;
  gboolean new_tables;
  guint32 words, table_words = scale_table_words (&fa->dst);
  guint32 *in;
  gint64 start;

  if (!check_frame (picture, "analysis picture", error))
    return FALSE;
  frame_layout_init (&ls, picture->width, picture->height);
  locker = g_mutex_locker_new (&self->lock);
  if (fa->batch == 0 && !fused_plan (self, fa, &ls, error))
    return FALSE;

  new_tables = ls.width != fa->table_w || ls.height != fa->table_h;
  words = ls.frame_words + (new_tables ? table_words : 0);
  if (fa->count > 0 &&
      (fa->count == fa->batch ||
       ((VkDeviceSize) fa->in_words + words) * 4 > ctx->slots[chained_index (fa->slot)].in_host.size) &&
      !fused_submit (self, fa, error))
    goto fail;

  if (fa->count == 0)
    {
      VkDeviceSize in_bytes, work_bytes, out_bytes;

      /* The slot's last batch is read out before it is packed again; a
       * larger picture than before grows its input. */
      fused_sizes (fa, &ls, fa->batch, &in_bytes, &work_bytes, &out_bytes);
      if (!fused_collect (self, fa, fa->slot, error) ||
          !_ave_vk_chained_reserve (ctx, chained_index (fa->slot), in_bytes, work_bytes, out_bytes, error))
        goto fail;
      new_tables = TRUE;
    }

  start = g_get_monotonic_time ();
  in = slot_in (ctx, chained_index (fa->slot));
  if (new_tables)
    {
      fa->table_w = ls.width;
      fa->table_h = ls.height;
      fa->tables = fa->in_words + ls.frame_words;
    }
  scale_params_init (&params, &ls, &fa->dst, fa->in_words, (fa->count + 1) * fa->dst.frame_words, fa->tables);
  pack_frame (in + fa->in_words, &ls, picture);
  if (new_tables)
    scale_tables_pack (in, &params, &ls, &fa->dst);
  fa->in_words += ls.frame_words + (new_tables ? table_words : 0);
  ctx->timings.pack_us += elapsed_us (start);
  g_array_append_val (fa->scales, params);
  fa->count++;
  return TRUE;

fail:
  fused_drain (ctx);
  return FALSE;
}

static gboolean
ave_compute_vulkan_analysis_flush (AveCompute     *compute,
                                   gpointer        state,
                                   AveFrameStats  *out,
                                   GError        **error)
{
  AveComputeVulkan *self = AVE_COMPUTE_VULKAN (compute);
  FusedAnalysis *fa = state;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (fa->count > 0 && !fused_submit (self, fa, error))
    goto fail;
  for (guint s = 0; s < AVE_VK_N_CHAINED; s++)
    if (!fused_collect (self, fa, s, error))
      goto fail;
  memcpy (out, fa->results->data, fa->results->len * sizeof (AveFrameStats));
  g_array_set_size (fa->results, 0);
  /* Both slots are idle: the next batch starts again on the first, so a
   * caller that flushes every batch (the analyser) only ever fills one
   * slot's buffers; the second serves flushes longer than a batch, where
   * packing overlaps the device's work. */
  fa->slot = 0;
  return TRUE;

fail:
  fused_drain (self->ctx);
  return FALSE;
}

static void
ave_compute_vulkan_analysis_end (AveCompute *compute,
                                 gpointer    state)
{
  AveComputeVulkan *self = AVE_COMPUTE_VULKAN (compute);
  FusedAnalysis *fa = state;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  /* The chained buffers go back: cut refinement and the composer that
   * follow an analysis need the memory under a limit. */
  fused_drain (self->ctx);
  for (guint s = 0; s < AVE_VK_N_CHAINED; s++)
    _ave_vk_slot_release (self->ctx, chained_index (s));
  g_array_unref (fa->scales);
  g_array_unref (fa->results);
  g_free (fa);
  self->analysis_busy = FALSE;
}

/* ------------------------------------------------- colour conversion */

typedef struct
{
  guint32 y_offset, u_offset, v_offset;
  guint32 y_stride, c_stride;
  guint32 width, height;
  guint32 out_offset;
  gint32  cy, crv, cgu, cgv, cbu;    /* the frame's matrix */
} YuvToRgbaParams;

/* The RGBA side of the colour conversions: rows of `width` pixels. */
typedef struct
{
  FrameOut           frame;     /* first: unpack_frame_out reads it */
  const AveYuvFrame *src;
  const guint8      *rgba_in;
  guint8            *rgba_out;
  int                rgba_stride;
} ConvertRun;

static void
pack_frame_in (gpointer  data,
               guint32  *in)
{
  ConvertRun *r = data;

  pack_frame (in, r->frame.layout, r->src);
}

static void
unpack_rgba_out (gpointer       data,
                 const guint32 *out)
{
  ConvertRun *r = data;
  const FrameLayout *l = r->frame.layout;

  unpack_rows (r->rgba_out, r->rgba_stride, out, l->width, (gsize) l->width * 4, l->height);
}

static void
pack_rgba_in (gpointer  data,
              guint32  *in)
{
  ConvertRun *r = data;
  const FrameLayout *l = r->frame.layout;

  pack_rows (in, l->width, r->rgba_in, r->rgba_stride, (gsize) l->width * 4, l->height);
}

static gboolean
ave_compute_vulkan_yuv_to_rgba (AveCompute         *compute,
                                const AveYuvFrame  *src,
                                guint8             *rgba,
                                int                 rgba_stride,
                                GError            **error)
{
  YuvToRgbaParams params = { 0 };
  FrameLayout l;
  ConvertRun data = { { &l, NULL }, src, NULL, rgba, rgba_stride };

  if (!check_frame (src, "YUV to RGBA", error))
    return FALSE;
  frame_layout_init (&l, src->width, src->height);

  params.y_offset = 0;
  params.u_offset = l.y_words;
  params.v_offset = l.y_words + l.c_words;
  params.y_stride = l.y_stride;
  params.c_stride = l.c_stride;
  params.width = l.width;
  params.height = l.height;
  params.out_offset = 0;
  {
    const AveColorCoefs *k = _ave_color_coefs (src->matrix);

    params.cy = k->cy;
    params.crv = k->crv;
    params.cgu = k->cgu;
    params.cgv = k->cgv;
    params.cbu = k->cbu;
  }

  return run_single_kernel (AVE_COMPUTE_VULKAN (compute), AVE_VK_KERNEL_YUV_TO_RGBA, &params, sizeof params,
                            (VkDeviceSize) l.frame_words * 4, (VkDeviceSize) l.width * l.height * 4,
                            pack_frame_in, unpack_rgba_out, &data,
                            div_up (l.y_stride, GROUP_2D), div_up (l.height, GROUP_2D), 1, error);
}

/* The RGB -> YUV coefficients of a parameter block (rgba2yuv, overlay). */
#define SET_RGB_TO_YUV(params, k) G_STMT_START {                       \
    (params)->yr = (k)->yr; (params)->yg = (k)->yg; (params)->yb = (k)->yb; \
    (params)->ur = (k)->ur; (params)->ug = (k)->ug; (params)->ub = (k)->ub; \
    (params)->vr = (k)->vr; (params)->vg = (k)->vg; (params)->vb = (k)->vb; \
  } G_STMT_END

typedef struct
{
  guint32 in_offset;
  guint32 width, height, cwidth, cheight;
  guint32 y_offset, u_offset, v_offset;
  guint32 y_stride, c_stride;
  gint32  yr, yg, yb, ur, ug, ub, vr, vg, vb;   /* the frame's matrix */
} RgbaToYuvParams;

static gboolean
ave_compute_vulkan_rgba_to_yuv (AveCompute    *compute,
                                const guint8  *rgba,
                                int            rgba_stride,
                                AveYuvFrame   *dst,
                                GError       **error)
{
  RgbaToYuvParams params = { 0 };
  FrameLayout l;
  ConvertRun data = { { &l, dst }, NULL, rgba, NULL, rgba_stride };

  if (!check_frame (dst, "RGBA to YUV", error))
    return FALSE;
  frame_layout_init (&l, dst->width, dst->height);

  params.in_offset = 0;
  params.width = l.width;
  params.height = l.height;
  params.cwidth = l.cwidth;
  params.cheight = l.cheight;
  params.y_offset = 0;
  params.u_offset = l.y_words;
  params.v_offset = l.y_words + l.c_words;
  params.y_stride = l.y_stride;
  params.c_stride = l.c_stride;
  SET_RGB_TO_YUV (&params, _ave_color_coefs (dst->matrix));

  return run_single_kernel (AVE_COMPUTE_VULKAN (compute), AVE_VK_KERNEL_RGBA_TO_YUV, &params, sizeof params,
                            (VkDeviceSize) l.width * l.height * 4, (VkDeviceSize) l.frame_words * 4,
                            pack_rgba_in, unpack_frame_out, &data,
                            div_up (l.y_stride, GROUP_2D), div_up (l.height, GROUP_2D), 2, error);
}

/* ------------------------------------------------------------ overlay */

typedef struct
{
  guint32 width, height;
  guint32 dx0, dy0, dx1, dy1;
  guint32 lx0, l_stride;
  guint32 cwx0, c_stride;
  guint32 cy0, cy1;
  guint32 in_y, in_u, in_v, in_img;
  guint32 out_y, out_u, out_v;
  guint32 opacity;
  gint32  yr, yg, yb, ur, ug, ub, vr, vg, vb;   /* the frame's matrix */
} OverlayParams;
G_STATIC_ASSERT (sizeof (OverlayParams) <= AVE_VK_PUSH_CONSTANT_BYTES);
G_STATIC_ASSERT (sizeof (RgbaToYuvParams) <= AVE_VK_PUSH_CONSTANT_BYTES);

/* Only the rectangle the image covers goes to the device and back: its
 * luma rows, its chroma rows (whole 4-byte words), and the image. */
typedef struct
{
  const OverlayParams *p;
  AveYuvFrame         *dst;
  const guint8        *rgba;         /* the image's first covered pixel */
  int                  rgba_stride;
  int                  img_width, dy0, l_rows, c_rows;
  gsize                l_bytes, c_bytes;
} OverlayRun;

static void
overlay_pack (gpointer  data,
              guint32  *in)
{
  OverlayRun *r = data;
  const OverlayParams *p = r->p;
  AveYuvFrame *dst = r->dst;

  pack_rows (in + p->in_y, p->l_stride, dst->y + (gsize) r->dy0 * dst->y_stride + p->lx0 * 4,
             dst->y_stride, r->l_bytes, r->l_rows);
  pack_rows (in + p->in_u, p->c_stride, dst->u + (gsize) p->cy0 * dst->uv_stride + p->cwx0 * 4,
             dst->uv_stride, r->c_bytes, r->c_rows);
  pack_rows (in + p->in_v, p->c_stride, dst->v + (gsize) p->cy0 * dst->uv_stride + p->cwx0 * 4,
             dst->uv_stride, r->c_bytes, r->c_rows);
  pack_rows (in + p->in_img, r->img_width, r->rgba, r->rgba_stride, (gsize) r->img_width * 4, r->l_rows);
}

static void
overlay_unpack (gpointer       data,
                const guint32 *out)
{
  OverlayRun *r = data;
  const OverlayParams *p = r->p;
  AveYuvFrame *dst = r->dst;

  unpack_rows (dst->y + (gsize) r->dy0 * dst->y_stride + p->lx0 * 4, dst->y_stride,
               out + p->out_y, p->l_stride, r->l_bytes, r->l_rows);
  unpack_rows (dst->u + (gsize) p->cy0 * dst->uv_stride + p->cwx0 * 4, dst->uv_stride,
               out + p->out_u, p->c_stride, r->c_bytes, r->c_rows);
  unpack_rows (dst->v + (gsize) p->cy0 * dst->uv_stride + p->cwx0 * 4, dst->uv_stride,
               out + p->out_v, p->c_stride, r->c_bytes, r->c_rows);
}

static gboolean
ave_compute_vulkan_overlay_rgba (AveCompute    *compute,
                                 AveYuvFrame   *dst,
                                 const guint8  *rgba,
                                 int            rgba_width,
                                 int            rgba_height,
                                 int            rgba_stride,
                                 int            x,
                                 int            y,
                                 guint          opacity,
                                 GError       **error)
{
  OverlayParams p = { 0 };
  OverlayRun data = { 0 };
  int w = dst->width, h = dst->height;
  int dx0, dy0, dx1, dy1, cw, l_rows, c_rows;
  guint32 l_words, c_words, img_words;

  if (!check_frame (dst, "overlay", error))
    return FALSE;
  /* Only the covered rectangle changes; an image entirely outside is a no-op. */
  dx0 = MAX (x, 0);
  dy0 = MAX (y, 0);
  dx1 = (int) MIN ((gint64) x + rgba_width, (gint64) w);
  dy1 = (int) MIN ((gint64) y + rgba_height, (gint64) h);
  if (dx0 >= dx1 || dy0 >= dy1)
    return TRUE;

  cw = (w + 1) / 2;
  p.width = w;
  p.height = h;
  p.dx0 = dx0;
  p.dy0 = dy0;
  p.dx1 = dx1;
  p.dy1 = dy1;
  p.lx0 = dx0 / 4;
  p.l_stride = (dx1 - 1) / 4 + 1 - p.lx0;
  p.cwx0 = (dx0 / 2) / 4;
  p.c_stride = ((dx1 - 1) / 2) / 4 + 1 - p.cwx0;
  p.cy0 = dy0 / 2;
  p.cy1 = (dy1 - 1) / 2 + 1;
  p.opacity = opacity;
  SET_RGB_TO_YUV (&p, _ave_color_coefs (dst->matrix));
  l_rows = dy1 - dy0;
  c_rows = p.cy1 - p.cy0;
  l_words = p.l_stride * l_rows;
  c_words = p.c_stride * c_rows;
  img_words = (guint32) (dx1 - dx0) * l_rows;
  p.in_y = 0;
  p.in_u = l_words;
  p.in_v = p.in_u + c_words;
  p.in_img = p.in_v + c_words;
  p.out_y = 0;
  p.out_u = l_words;
  p.out_v = p.out_u + c_words;

  data.p = &p;
  data.dst = dst;
  data.rgba = rgba + (gsize) (dy0 - y) * rgba_stride + (gsize) (dx0 - x) * 4;
  data.rgba_stride = rgba_stride;
  data.img_width = dx1 - dx0;
  data.dy0 = dy0;
  data.l_rows = l_rows;
  data.c_rows = c_rows;
  /* Bytes of each region row that lie inside the frame. */
  data.l_bytes = MIN ((gsize) p.l_stride * 4, (gsize) (w - p.lx0 * 4));
  data.c_bytes = MIN ((gsize) p.c_stride * 4, (gsize) (cw - p.cwx0 * 4));

  return run_single_kernel (AVE_COMPUTE_VULKAN (compute), AVE_VK_KERNEL_OVERLAY, &p, sizeof p,
                            ((VkDeviceSize) l_words + 2 * c_words + img_words) * 4, ((VkDeviceSize) l_words + 2 * c_words) * 4,
                            overlay_pack, overlay_unpack, &data,
                            div_up (MAX (p.l_stride, p.c_stride), GROUP_2D), div_up (l_rows, GROUP_2D), 2, error);
}

/* -------------------------------------------------------- frame chain
 *
 * ave_compute_frame_chain_*: one submission per output frame on the
 * chain slot, whose one device-local work buffer is bound as both the
 * kernels' input and output.  It holds the working frames (packed, of the
 * chain's size) first, then a black frame when a fade needs one (filled
 * on the device), then the inputs: the pictures to scale with their
 * tables and the covered part of each RGBA image.  A picture of the
 * chain's size is packed straight into its working frame.  The host
 * input buffer has the same layout; only the parts packed go up.  The
 * kernels run in order on the work buffer (blend and overlay in place,
 * each reading and writing only its own words), and only the result
 * frame comes down. */

/* OverlayParams for drawing in place on a packed frame at word `frame`
 * of the work buffer: whole rows of words (the kernel copies the samples
 * outside the image unchanged), the image's covered part at `image`. */
static void
chain_overlay_params (OverlayParams           *p,
                      const FrameLayout       *l,
                      guint32                  frame,
                      guint32                  image,
                      const AveComputeChainOp *op,
                      AveComputeMatrix         matrix,
                      int                      dx0,
                      int                      dy0,
                      int                      dx1,
                      int                      dy1)
{
  memset (p, 0, sizeof *p);
  p->width = l->width;
  p->height = l->height;
  p->dx0 = dx0;
  p->dy0 = dy0;
  p->dx1 = dx1;
  p->dy1 = dy1;
  p->lx0 = 0;
  p->l_stride = l->y_stride;
  p->cwx0 = 0;
  p->c_stride = l->c_stride;
  p->cy0 = dy0 / 2;
  p->cy1 = (dy1 - 1) / 2 + 1;
  p->in_y = p->out_y = frame + (guint32) dy0 * l->y_stride;
  p->in_u = p->out_u = frame + l->y_words + p->cy0 * l->c_stride;
  p->in_v = p->out_v = frame + l->y_words + l->c_words + p->cy0 * l->c_stride;
  p->in_img = image;
  p->opacity = op->opacity;
  SET_RGB_TO_YUV (p, _ave_color_coefs (matrix));
}

/* A word offset into the work buffer must fit the kernels' 32 bits. */
static gboolean
chain_check_words (guint64   words,
                   GError  **error)
{
  if (words <= G_MAXUINT32 / 4)
    return TRUE;
  g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
               "Vulkan: a composed frame's pictures and images are too large for one submission; "
               "use the CPU backend");
  return FALSE;
}

static gboolean
ave_compute_vulkan_frame_chain_run (AveCompute               *compute,
                                    const AveComputeChainOp  *ops,
                                    guint                     n_ops,
                                    guint                     n_frames,
                                    guint                     result,
                                    AveYuvFrame              *out,
                                    GError                  **error)
{
  AveComputeVulkan *self = AVE_COMPUTE_VULKAN (compute);
  AveVkContext *ctx = self->ctx;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree AveVkDispatch *dispatches = g_new0 (AveVkDispatch, n_ops);
  g_autofree ScaleParams *scales = g_new0 (ScaleParams, n_ops);
  g_autofree BlendParams *blends = g_new0 (BlendParams, n_ops);
  g_autofree OverlayParams *overlays = g_new0 (OverlayParams, n_ops);
  g_autofree guint32 *input_at = g_new0 (guint32, n_ops);   /* word of each op's input */
  g_autofree VkBufferCopy *uploads = g_new0 (VkBufferCopy, n_ops + 1);
  AveVkFill fills[3];
  guint n_dispatches = 0, n_uploads = 0, n_fills = 0;
  FrameLayout l;
  gboolean need_black = FALSE;
  guint32 black = 0, inputs, words;
  guint32 *in;
  gint64 start;

  if (!check_frame (out, "composed", error))
    return FALSE;
  frame_layout_init (&l, out->width, out->height);

  /* The layout: working frames, black, then each op's input. */
  for (guint i = 0; i < n_ops; i++)
    need_black |= ops[i].kind == AVE_COMPUTE_CHAIN_BLEND && ops[i].other_is_black;
  black = n_frames * l.frame_words;
  inputs = black + (need_black ? l.frame_words : 0);
  words = inputs;
  for (guint i = 0; i < n_ops; i++)
    {
      const AveComputeChainOp *op = &ops[i];
      guint64 need = 0;

      if (op->kind == AVE_COMPUTE_CHAIN_TAKE)
        {
          FrameLayout ls;

          if (!check_frame (&op->picture, "chain picture", error))
            return FALSE;
          frame_layout_init (&ls, op->picture.width, op->picture.height);
          if (ls.width != l.width || ls.height != l.height)
            need = (guint64) ls.frame_words + scale_table_words (&l);
        }
      else if (op->kind == AVE_COMPUTE_CHAIN_OVERLAY)
        {
          int dx0 = MAX (op->x, 0), dy0 = MAX (op->y, 0);
          int dx1 = (int) MIN ((gint64) op->x + op->rgba_width, (gint64) l.width);
          int dy1 = (int) MIN ((gint64) op->y + op->rgba_height, (gint64) l.height);

          need = (guint64) (dx1 - dx0) * (dy1 - dy0);
        }
      input_at[i] = words;
      if (!chain_check_words ((guint64) words + need, error))
        return FALSE;
      words += (guint32) need;
    }

  locker = g_mutex_locker_new (&self->lock);
  if (!_ave_vk_chain_reserve (ctx, l.width, l.height, (VkDeviceSize) words * 4, (VkDeviceSize) words * 4,
                              (VkDeviceSize) l.frame_words * 4, error))
    return FALSE;

  start = g_get_monotonic_time ();
  in = slot_in (ctx, AVE_VK_CHAIN_SLOT);
  for (guint i = 0; i < n_ops; i++)
    {
      const AveComputeChainOp *op = &ops[i];
      guint32 frame = op->frame * l.frame_words;

      switch (op->kind)
        {
        case AVE_COMPUTE_CHAIN_TAKE:
          {
            FrameLayout ls;

            frame_layout_init (&ls, op->picture.width, op->picture.height);
            if (ls.width == l.width && ls.height == l.height)
              {
                /* Packed where the kernels read it: no kernel to run. */
                pack_frame (in + frame, &l, &op->picture);
                uploads[n_uploads++] = (VkBufferCopy) {
                  .srcOffset = (VkDeviceSize) frame * 4, .dstOffset = (VkDeviceSize) frame * 4,
                  .size = (VkDeviceSize) l.frame_words * 4,
                };
                break;
              }
            scale_params_init (&scales[i], &ls, &l, input_at[i], frame, input_at[i] + ls.frame_words);
            pack_frame (in + input_at[i], &ls, &op->picture);
            scale_tables_pack (in, &scales[i], &ls, &l);
            dispatches[n_dispatches++] = (AveVkDispatch) {
              .kernel = AVE_VK_KERNEL_SCALE,
              .push_constants = &scales[i],
              .push_constants_size = sizeof (ScaleParams),
              .groups_x = div_up (l.y_stride, GROUP_2D),
              .groups_y = div_up (l.height, GROUP_2D),
              .groups_z = 3,
            };
          }
          break;

        case AVE_COMPUTE_CHAIN_BLEND:
          {
            guint32 groups = div_up (l.frame_words, GROUP_1D);
            BlendParams *b = &blends[i];

            b->a_offset = frame;
            b->b_offset = op->other_is_black ? black : op->other * l.frame_words;
            b->out_offset = frame;
            b->n_words = l.frame_words;
            b->weight = op->weight;
            b->groups_x = MIN (groups, MAX_GROUPS);
            dispatches[n_dispatches++] = (AveVkDispatch) {
              .kernel = AVE_VK_KERNEL_BLEND,
              .push_constants = b,
              .push_constants_size = sizeof (BlendParams),
              .groups_x = b->groups_x,
              .groups_y = div_up (groups, b->groups_x),
              .groups_z = 1,
            };
          }
          break;

        case AVE_COMPUTE_CHAIN_OVERLAY:
          {
            int dx0 = MAX (op->x, 0), dy0 = MAX (op->y, 0);
            int dx1 = (int) MIN ((gint64) op->x + op->rgba_width, (gint64) l.width);
            int dy1 = (int) MIN ((gint64) op->y + op->rgba_height, (gint64) l.height);
            const guint8 *covered = op->rgba + (gsize) (dy0 - op->y) * op->rgba_stride + (gsize) (dx0 - op->x) * 4;

            chain_overlay_params (&overlays[i], &l, frame, input_at[i], op, out->matrix, dx0, dy0, dx1, dy1);
            pack_rows (in + input_at[i], dx1 - dx0, covered, op->rgba_stride, (gsize) (dx1 - dx0) * 4, dy1 - dy0);
            dispatches[n_dispatches++] = (AveVkDispatch) {
              .kernel = AVE_VK_KERNEL_OVERLAY,
              .push_constants = &overlays[i],
              .push_constants_size = sizeof (OverlayParams),
              .groups_x = div_up (l.y_stride, GROUP_2D),
              .groups_y = div_up (dy1 - dy0, GROUP_2D),
              .groups_z = 2,
            };
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }
  ctx->timings.pack_us += elapsed_us (start);
  if (words > inputs)
    uploads[n_uploads++] = (VkBufferCopy) {
      .srcOffset = (VkDeviceSize) inputs * 4, .dstOffset = (VkDeviceSize) inputs * 4,
      .size = (VkDeviceSize) (words - inputs) * 4,
    };
  if (need_black)
    {
      /* Limited-range black, made on the device instead of uploaded. */
      fills[n_fills++] = (AveVkFill) { (VkDeviceSize) black * 4, (VkDeviceSize) l.y_words * 4, 0x10101010u };
      fills[n_fills++] = (AveVkFill) { (VkDeviceSize) (black + l.y_words) * 4,
                                       (VkDeviceSize) 2 * l.c_words * 4, 0x80808080u };
    }

  if (!_ave_vk_chain_submit (ctx, uploads, n_uploads, fills, n_fills, dispatches, n_dispatches,
                             (VkDeviceSize) result * l.frame_words * 4, (VkDeviceSize) l.frame_words * 4, error) ||
      !_ave_vk_slot_wait (ctx, AVE_VK_CHAIN_SLOT, error))
    {
      if (!_ave_vk_slot_wait (ctx, AVE_VK_CHAIN_SLOT, NULL))
        ctx->slots[AVE_VK_CHAIN_SLOT].pending = FALSE;
      return FALSE;
    }

  start = g_get_monotonic_time ();
  unpack_frame (out, &l, slot_out (ctx, AVE_VK_CHAIN_SLOT));
  ctx->timings.unpack_us += elapsed_us (start);
  return TRUE;
}

/* ------------------------------------------------------------- object */

static const char *
ave_compute_vulkan_get_name (AveCompute *compute)
{
  return AVE_COMPUTE_VULKAN (compute)->name;
}

static void
ave_compute_vulkan_iface_init (AveComputeInterface *iface)
{
  iface->get_name = ave_compute_vulkan_get_name;
  iface->analyze_frames = ave_compute_vulkan_analyze_frames;
  iface->blend = ave_compute_vulkan_blend;
  iface->scale = ave_compute_vulkan_scale;
  iface->yuv_to_rgba = ave_compute_vulkan_yuv_to_rgba;
  iface->rgba_to_yuv = ave_compute_vulkan_rgba_to_yuv;
  iface->overlay_rgba = ave_compute_vulkan_overlay_rgba;
  iface->analysis_begin = ave_compute_vulkan_analysis_begin;
  iface->analysis_add = ave_compute_vulkan_analysis_add;
  iface->analysis_flush = ave_compute_vulkan_analysis_flush;
  iface->analysis_end = ave_compute_vulkan_analysis_end;
  iface->frame_chain_run = ave_compute_vulkan_frame_chain_run;
}

static void
ave_compute_vulkan_finalize (GObject *object)
{
  AveComputeVulkan *self = AVE_COMPUTE_VULKAN (object);

  g_clear_pointer (&self->ctx, _ave_vk_context_free);
  g_clear_pointer (&self->name, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ave_compute_vulkan_parent_class)->finalize (object);
}

static void
ave_compute_vulkan_class_init (AveComputeVulkanClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ave_compute_vulkan_finalize;
}

static void
ave_compute_vulkan_init (AveComputeVulkan *self)
{
  g_mutex_init (&self->lock);
  self->max_batch = DEFAULT_MAX_BATCH;
}

AveCompute *
ave_compute_vulkan_new (const char  *device_filter,
                        guint64      memory_limit_bytes,
                        GError     **error)
{
  g_autoptr(AveComputeVulkan) self = NULL;
  AveVkContext *ctx;

  ctx = _ave_vk_context_new (device_filter, memory_limit_bytes, error);
  if (ctx == NULL)
    return NULL;

  self = g_object_new (AVE_TYPE_COMPUTE_VULKAN, NULL);
  self->ctx = ctx;
  self->name = g_strdup_printf ("vulkan: %s", ctx->props.deviceName);
  return AVE_COMPUTE (g_steal_pointer (&self));
}

const char *
ave_compute_vulkan_get_device_name (AveComputeVulkan *self)
{
  g_return_val_if_fail (AVE_IS_COMPUTE_VULKAN (self), NULL);

  return self->ctx->props.deviceName;
}

void
ave_compute_vulkan_set_max_batch (AveComputeVulkan *self,
                                  guint             max_frames)
{
  g_return_if_fail (AVE_IS_COMPUTE_VULKAN (self));

  g_mutex_lock (&self->lock);
  self->max_batch = MAX (max_frames, 1);
  g_mutex_unlock (&self->lock);
}

void
ave_compute_vulkan_get_timings (AveComputeVulkan        *self,
                                AveComputeVulkanTimings *out)
{
  g_return_if_fail (AVE_IS_COMPUTE_VULKAN (self));

  g_mutex_lock (&self->lock);
  *out = self->ctx->timings;
  g_mutex_unlock (&self->lock);
}

void
ave_compute_vulkan_reset_timings (AveComputeVulkan *self)
{
  g_return_if_fail (AVE_IS_COMPUTE_VULKAN (self));

  g_mutex_lock (&self->lock);
  memset (&self->ctx->timings, 0, sizeof self->ctx->timings);
  g_mutex_unlock (&self->lock);
}
