#define G_LOG_DOMAIN "ave-compute-cpu"

#include "config.h"

#include <string.h>

#include "core/ave-error.h"
#include "compute/ave-compute-cpu-private.h"

/* The CPU reference backend.
 *
 * Every kernel below is defined in integer arithmetic only, so that the
 * Vulkan backend can reproduce it bit for bit; docs/compute.md repeats the
 * formulas.  Conventions used throughout:
 *
 *   - ">> n" on a signed value is an arithmetic shift, i.e. floor division
 *     by 2^n (GCC and GLSL both define it so).
 *   - "/" on non-negative integers is truncating (= floor) division.
 *   - clamp8(v) = min(max(v, 0), 255).
 *   - Chroma planes are (w+1)/2 x (h+1)/2; luma pixel (x, y) uses chroma
 *     sample (x/2, y/2), and chroma sample (cx, cy) covers the luma pixels
 *     (2cx .. 2cx+1, 2cy .. 2cy+1) that exist (1, 2 or 4 of them).
 *
 * These scalar kernels are the reference.  By default an instance runs
 * the vectorised kernels of ave-compute-cpu-x86.c instead (AVX2, or SSE2
 * where only that exists; the kernels SSE2 lacks a 32-bit multiply for stay
 * scalar there), which give exactly the same results; AVE_COMPUTE_CPU=scalar
 * (or ave_compute_cpu_new_for_isa) keeps an instance on these.  The backend
 * keeps no state beyond that choice, so one instance may be used from
 * several threads at once.
 */

struct _AveComputeCpu
{
  GObject   parent_instance;
  AveCpuIsa isa;
};

#define AVE_TYPE_COMPUTE_CPU (ave_compute_cpu_get_type ())
G_DECLARE_FINAL_TYPE (AveComputeCpu, ave_compute_cpu, AVE, COMPUTE_CPU, GObject)

static void ave_compute_cpu_iface_init (AveComputeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AveComputeCpu, ave_compute_cpu, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AVE_TYPE_COMPUTE,
                                                      ave_compute_cpu_iface_init))

static inline int
clamp8 (int v)
{
  return v < 0 ? 0 : (v > 255 ? 255 : v);
}

/* ------------------------------------------------------------ colour math
 *
 * Limited range (Y 16..235, U/V 16..240), coefficients of the frame's
 * matrix scaled by 2^16 and rounded to the nearest integer.  For BT.709:
 *
 * YUV -> RGB:
 *   c = 76309 * (Y - 16)
 *   R = clamp8((c + 117489 * (V - 128)                     + 32768) >> 16)
 *   G = clamp8((c -  13975 * (U - 128) - 34925 * (V - 128) + 32768) >> 16)
 *   B = clamp8((c + 138438 * (U - 128)                     + 32768) >> 16)
 *
 * RGB -> YUV, per pixel (the U and V rows each sum to 0, so grey stays at
 * exactly 128; the Y row sums to 56284 = 219/255 * 2^16):
 *   Y = clamp8((11966 * R + 40254 * G +  4064 * B + 1081344) >> 16)
 *   U = clamp8((-6596 * R - 22189 * G + 28785 * B + 8421376) >> 16)
 *   V = clamp8((28785 * R - 26145 * G -  2640 * B + 8421376) >> 16)
 * where 1081344 = 16 * 2^16 + 2^15 and 8421376 = 128 * 2^16 + 2^15 (the
 * 2^15 rounds to nearest).  The arguments of the two chroma shifts are
 * always positive.
 *
 * BT.601 (Kr 0.299, Kb 0.114) has the same form with the numbers in the
 * table below.  Where rounding each coefficient to nearest would leave a
 * chroma row summing to +-1, the coefficient closest to a half was
 * rounded the other way (BT.709's -2640, BT.601's -19071 and -24104), so
 * that grey maps to exactly 128 in both.
 */

static const AveColorCoefs color_coefs[] = {
  [AVE_COMPUTE_MATRIX_BT709] = {
    76309, 117489, 13975, 34925, 138438,
    11966, 40254, 4064,
    -6596, -22189, 28785,
    28785, -26145, -2640,
  },
  [AVE_COMPUTE_MATRIX_BT601] = {
    76309, 104597, 25675, 53279, 132201,
    16829, 33039, 6416,
    -9714, -19071, 28785,
    28785, -24104, -4681,
  },
};

const AveColorCoefs *
_ave_color_coefs (AveComputeMatrix matrix)
{
  return &color_coefs[matrix == AVE_COMPUTE_MATRIX_BT601 ? AVE_COMPUTE_MATRIX_BT601 : AVE_COMPUTE_MATRIX_BT709];
}

static inline int
rgb_to_y (const AveColorCoefs *k, int r, int g, int b)
{
  return clamp8 ((k->yr * r + k->yg * g + k->yb * b + RGB_Y_OFFSET) >> 16);
}

static inline int
rgb_to_u (const AveColorCoefs *k, int r, int g, int b)
{
  return clamp8 ((k->ur * r + k->ug * g + k->ub * b + RGB_UV_OFFSET) >> 16);
}

static inline int
rgb_to_v (const AveColorCoefs *k, int r, int g, int b)
{
  return clamp8 ((k->vr * r + k->vg * g + k->vb * b + RGB_UV_OFFSET) >> 16);
}

/* --------------------------------------------------------------- analysis
 *
 * For one frame F of w x h with previous frame P (same size, optional):
 *   n_pixels = w*h, sum_y = sum F.y, sum_y2 = sum F.y^2
 *   hist_y[F.y >> 2]++ over all luma; hist_u[F.u >> 4]++, hist_v[F.v >> 4]++
 *     over all (w+1)/2 x (h+1)/2 chroma samples
 *   Laplacian over 1 <= x < w-1, 1 <= y < h-1:
 *     L = 4*F(x,y) - F(x,y-1) - F(x,y+1) - F(x-1,y) - F(x+1,y)
 *     lap_n = count, lap_sum = sum L, lap_sum2 = sum L^2
 *   with P: sad_prev = sum |F.y - P.y| over all luma;
 *     blocks (bx, by) for bx < w/8, by < h/8: S(bx,by) = sum of the 64 luma
 *     values of the block; motion_prev = sum |S_F - S_P|,
 *     motion_blocks = (w/8) * (h/8); has_prev = TRUE.
 *   without P: sad_prev = motion_prev = 0, motion_blocks = (w/8) * (h/8),
 *     has_prev = FALSE.
 */

static void
block_sums (const AveYuvFrame *frame,
            guint32 *restrict  sums)
{
  int bw = frame->width / AVE_MOTION_BLOCK;
  int bh = frame->height / AVE_MOTION_BLOCK;

  for (int by = 0; by < bh; by++)
    {
      guint32 *restrict row_sums = sums + (gsize) by * bw;

      memset (row_sums, 0, sizeof (guint32) * bw);
      for (int dy = 0; dy < AVE_MOTION_BLOCK; dy++)
        {
          const guint8 *restrict line =
            frame->y + (gsize) (by * AVE_MOTION_BLOCK + dy) * frame->y_stride;

          for (int bx = 0; bx < bw; bx++)
            {
              const guint8 *restrict px = line + bx * AVE_MOTION_BLOCK;
              guint32 s = 0;

              for (int k = 0; k < AVE_MOTION_BLOCK; k++)
                s += px[k];
              row_sums[bx] += s;
            }
        }
    }
}

static void
analyze_one (const AveYuvFrame *frame,
             const AveYuvFrame *prev,
             const guint32     *frame_blocks,
             const guint32     *prev_blocks,
             guint64            n_blocks,
             AveFrameStats     *out)
{
  int w = frame->width;
  int h = frame->height;
  int cw = (w + 1) / 2;
  int ch = (h + 1) / 2;
  guint64 sum_y = 0, sum_y2 = 0;

  memset (out, 0, sizeof *out);
  out->n_pixels = (guint64) w * h;

  for (int y = 0; y < h; y++)
    {
      const guint8 *restrict row = frame->y + (gsize) y * frame->y_stride;
      guint32 *restrict hist = out->hist_y;
      guint64 s = 0, s2 = 0;

      for (int x = 0; x < w; x++)
        {
          guint32 v = row[x];
          s += v;
          s2 += v * v;
        }
      for (int x = 0; x < w; x++)
        hist[row[x] >> 2]++;
      sum_y += s;
      sum_y2 += s2;
    }
  out->sum_y = sum_y;
  out->sum_y2 = sum_y2;

  for (int y = 0; y < ch; y++)
    {
      const guint8 *restrict urow = frame->u + (gsize) y * frame->uv_stride;
      const guint8 *restrict vrow = frame->v + (gsize) y * frame->uv_stride;

      for (int x = 0; x < cw; x++)
        {
          out->hist_u[urow[x] >> 4]++;
          out->hist_v[vrow[x] >> 4]++;
        }
    }

  if (w >= 3 && h >= 3)
    {
      gint64 lsum = 0;
      guint64 lsum2 = 0;

      for (int y = 1; y < h - 1; y++)
        {
          const guint8 *restrict up = frame->y + (gsize) (y - 1) * frame->y_stride;
          const guint8 *restrict mid = frame->y + (gsize) y * frame->y_stride;
          const guint8 *restrict down = frame->y + (gsize) (y + 1) * frame->y_stride;
          gint64 s = 0;
          gint64 s2 = 0;

          for (int x = 1; x < w - 1; x++)
            {
              gint32 l = 4 * (gint32) mid[x] - up[x] - down[x] - mid[x - 1] - mid[x + 1];
              s += l;
              s2 += l * l;
            }
          lsum += s;
          lsum2 += (guint64) s2;
        }
      out->lap_n = (guint64) (w - 2) * (h - 2);
      out->lap_sum = lsum;
      out->lap_sum2 = lsum2;
    }

  out->motion_blocks = n_blocks;

  if (prev != NULL)
    {
      guint64 sad = 0, motion = 0;

      for (int y = 0; y < h; y++)
        {
          const guint8 *restrict a = frame->y + (gsize) y * frame->y_stride;
          const guint8 *restrict b = prev->y + (gsize) y * prev->y_stride;
          guint64 s = 0;

          for (int x = 0; x < w; x++)
            {
              int d = (int) a[x] - (int) b[x];
              s += (guint32) (d < 0 ? -d : d);
            }
          sad += s;
        }

      for (guint64 i = 0; i < n_blocks; i++)
        {
          gint64 d = (gint64) frame_blocks[i] - (gint64) prev_blocks[i];
          motion += (guint64) (d < 0 ? -d : d);
        }

      out->sad_prev = sad;
      out->motion_prev = motion;
      out->has_prev = TRUE;
    }
}

static gboolean
scalar_analyze_frames (AveCompute        *compute,
                       const AveYuvFrame *prev,
                       const AveYuvFrame *frames,
                       guint              n_frames,
                       AveFrameStats     *out,
                       GError           **error)
{
  guint64 n_blocks = (guint64) (frames[0].width / AVE_MOTION_BLOCK) *
                     (guint64) (frames[0].height / AVE_MOTION_BLOCK);
  /* Block sums of the previous and the current frame; each frame's sums
   * are reused as the "previous" ones of the next frame in the batch. */
  g_autofree guint32 *blocks_prev = g_new0 (guint32, MAX (n_blocks, 1));
  g_autofree guint32 *blocks_cur = g_new0 (guint32, MAX (n_blocks, 1));

  if (prev != NULL)
    block_sums (prev, blocks_prev);

  for (guint i = 0; i < n_frames; i++)
    {
      const AveYuvFrame *p = (i == 0) ? prev : &frames[i - 1];
      guint32 *tmp;

      block_sums (&frames[i], blocks_cur);
      analyze_one (&frames[i], p, blocks_cur, blocks_prev, n_blocks, &out[i]);

      tmp = blocks_prev;
      blocks_prev = blocks_cur;
      blocks_cur = tmp;
    }

  return TRUE;
}

/* ------------------------------------------------------------------ blend
 *
 * out = (a * (256 - weight) + b * weight + 128) >> 8 for every sample of
 * the three planes; weight 0..256.  out may alias a (or b): each sample is
 * read before it is written.
 */

static void
blend_plane (const guint8 *a, int a_stride,
             const guint8 *b, int b_stride,
             guint8 *out, int out_stride,
             int w, int h, guint weight)
{
  guint wa = 256 - weight;

  for (int y = 0; y < h; y++)
    {
      const guint8 *ra = a + (gsize) y * a_stride;
      const guint8 *rb = b + (gsize) y * b_stride;
      guint8 *ro = out + (gsize) y * out_stride;

      /* no restrict here: out may alias a or b by contract */
      for (int x = 0; x < w; x++)
        ro[x] = (guint8) ((ra[x] * wa + rb[x] * weight + 128) >> 8);
    }
}

static gboolean
scalar_blend (AveCompute        *compute,
              const AveYuvFrame *a,
              const AveYuvFrame *b,
              guint              weight,
              AveYuvFrame       *out,
              GError           **error)
{
  int cw = (a->width + 1) / 2;
  int ch = (a->height + 1) / 2;

  blend_plane (a->y, a->y_stride, b->y, b->y_stride, out->y, out->y_stride,
               a->width, a->height, weight);
  blend_plane (a->u, a->uv_stride, b->u, b->uv_stride, out->u, out->uv_stride, cw, ch, weight);
  blend_plane (a->v, a->uv_stride, b->v, b->uv_stride, out->v, out->uv_stride, cw, ch, weight);
  return TRUE;
}

/* ------------------------------------------------------------------ scale
 *
 * Each plane is scaled on its own from its size (sw, sh) to (dw, dh)
 * (chroma: the chroma plane sizes).  Centre-aligned source position of
 * destination column x, in 8.8 fixed point:
 *   p  = ((2x + 1) * sw * 128) / dw - 128      (64-bit, floor division)
 *   if p < 0: p = 0
 *   x0 = p >> 8, fx = p & 255
 *   if x0 >= sw - 1: x0 = sw - 1, fx = 0
 *   x1 = min(x0 + 1, sw - 1)
 * and the same for rows (y0, y1, fy from sh, dh).  Then
 *   top    = S(x0,y0) * (256 - fx) + S(x1,y0) * fx
 *   bottom = S(x0,y1) * (256 - fx) + S(x1,y1) * fx
 *   D(x,y) = (top * (256 - fy) + bottom * fy + 32768) >> 16
 * (The ((2x+1)*sw*128)/dw term is never negative, so the division is exact
 * floor; subtracting 128 afterwards keeps the definition in integers.)
 * Equal sizes give an exact copy.
 */

void
_ave_cpu_scale_positions (int           src_size,
                          int           dst_size,
                          int *restrict i0,
                          int *restrict i1,
                          int *restrict frac)
{
  for (int x = 0; x < dst_size; x++)
    {
      gint64 p = ((gint64) (2 * x + 1) * src_size * 128) / dst_size - 128;
      int whole, f;

      if (p < 0)
        p = 0;
      whole = (int) (p >> 8);
      f = (int) (p & 255);
      if (whole >= src_size - 1)
        {
          whole = src_size - 1;
          f = 0;
        }
      i0[x] = whole;
      i1[x] = MIN (whole + 1, src_size - 1);
      frac[x] = f;
    }
}

static void
scale_plane (const guint8 *src, int src_stride, int sw, int sh,
             guint8 *dst, int dst_stride, int dw, int dh)
{
  g_autofree int *x0 = g_new (int, dw);
  g_autofree int *x1 = g_new (int, dw);
  g_autofree int *fx = g_new (int, dw);
  g_autofree int *y0 = g_new (int, dh);
  g_autofree int *y1 = g_new (int, dh);
  g_autofree int *fy = g_new (int, dh);
  g_autofree guint32 *top = g_new (guint32, dw);
  g_autofree guint32 *bottom = g_new (guint32, dw);

  _ave_cpu_scale_positions (sw, dw, x0, x1, fx);
  _ave_cpu_scale_positions (sh, dh, y0, y1, fy);

  for (int y = 0; y < dh; y++)
    {
      const guint8 *restrict s0 = src + (gsize) y0[y] * src_stride;
      const guint8 *restrict s1 = src + (gsize) y1[y] * src_stride;
      guint8 *restrict d = dst + (gsize) y * dst_stride;
      guint32 *restrict t = top;
      guint32 *restrict b = bottom;
      const int *restrict ax0 = x0;
      const int *restrict ax1 = x1;
      const int *restrict afx = fx;
      guint32 wy = (guint32) fy[y];
      guint32 wy0 = 256 - wy;

      for (int x = 0; x < dw; x++)
        {
          guint32 f = (guint32) afx[x];
          t[x] = s0[ax0[x]] * (256 - f) + s0[ax1[x]] * f;
          b[x] = s1[ax0[x]] * (256 - f) + s1[ax1[x]] * f;
        }
      for (int x = 0; x < dw; x++)
        d[x] = (guint8) ((t[x] * wy0 + b[x] * wy + 32768) >> 16);
    }
}

static gboolean
scalar_scale (AveCompute        *compute,
              const AveYuvFrame *src,
              AveYuvFrame       *dst,
              GError           **error)
{
  int scw = (src->width + 1) / 2, sch = (src->height + 1) / 2;
  int dcw = (dst->width + 1) / 2, dch = (dst->height + 1) / 2;

  scale_plane (src->y, src->y_stride, src->width, src->height,
               dst->y, dst->y_stride, dst->width, dst->height);
  scale_plane (src->u, src->uv_stride, scw, sch, dst->u, dst->uv_stride, dcw, dch);
  scale_plane (src->v, src->uv_stride, scw, sch, dst->v, dst->uv_stride, dcw, dch);
  return TRUE;
}

/* ------------------------------------------------------- colour conversion
 *
 * yuv_to_rgba: pixel (x, y) converts (Y(x,y), U(x/2,y/2), V(x/2,y/2)) with
 * the YUV -> RGB formula above (nearest chroma, no interpolation); A = 255.
 *
 * rgba_to_yuv: the alpha byte is ignored.  Y(x,y) is the per-pixel Y
 * formula.  For chroma sample (cx, cy) with its n (1, 2 or 4) existing luma
 * pixels, U_p and V_p are first computed and rounded per pixel with the
 * formulas above, then U = (sum U_p + n/2) / n and V likewise.
 */

static gboolean
scalar_yuv_to_rgba (AveCompute        *compute,
                    const AveYuvFrame *src,
                    guint8            *rgba,
                    int                rgba_stride,
                    GError           **error)
{
  const AveColorCoefs *k = _ave_color_coefs (src->matrix);

  for (int y = 0; y < src->height; y++)
    {
      const guint8 *restrict yrow = src->y + (gsize) y * src->y_stride;
      const guint8 *restrict urow = src->u + (gsize) (y / 2) * src->uv_stride;
      const guint8 *restrict vrow = src->v + (gsize) (y / 2) * src->uv_stride;
      guint8 *restrict out = rgba + (gsize) y * rgba_stride;

      /* two pixels share one chroma sample: its terms are computed once */
      for (int x = 0; x < src->width; x += 2)
        {
          int u = (int) urow[x >> 1] - 128;
          int v = (int) vrow[x >> 1] - 128;
          int r_uv = k->crv * v + 32768;
          int g_uv = -k->cgu * u - k->cgv * v + 32768;
          int b_uv = k->cbu * u + 32768;
          int n = (x + 1 < src->width) ? 2 : 1;

          for (int i = 0; i < n; i++)
            {
              int c = k->cy * ((int) yrow[x + i] - 16);
              guint8 *restrict px = out + 4 * (x + i);

              px[0] = (guint8) clamp8 ((c + r_uv) >> 16);
              px[1] = (guint8) clamp8 ((c + g_uv) >> 16);
              px[2] = (guint8) clamp8 ((c + b_uv) >> 16);
              px[3] = 255;
            }
        }
    }
  return TRUE;
}

static gboolean
scalar_rgba_to_yuv (AveCompute   *compute,
                    const guint8 *rgba,
                    int           rgba_stride,
                    AveYuvFrame  *dst,
                    GError      **error)
{
  int w = dst->width;
  int h = dst->height;
  int cw = (w + 1) / 2;
  int ch = (h + 1) / 2;
  const AveColorCoefs *k = _ave_color_coefs (dst->matrix);

  for (int y = 0; y < h; y++)
    {
      const guint8 *restrict in = rgba + (gsize) y * rgba_stride;
      guint8 *restrict out = dst->y + (gsize) y * dst->y_stride;

      for (int x = 0; x < w; x++)
        out[x] = (guint8) rgb_to_y (k, in[4 * x], in[4 * x + 1], in[4 * x + 2]);
    }

  for (int cy = 0; cy < ch; cy++)
    {
      int rows = (2 * cy + 1 < h) ? 2 : 1;
      guint8 *restrict uout = dst->u + (gsize) cy * dst->uv_stride;
      guint8 *restrict vout = dst->v + (gsize) cy * dst->uv_stride;

      for (int cx = 0; cx < cw; cx++)
        {
          int cols = (2 * cx + 1 < w) ? 2 : 1;
          int n = rows * cols;
          int su = 0, sv = 0;

          for (int r = 0; r < rows; r++)
            {
              const guint8 *restrict in = rgba + (gsize) (2 * cy + r) * rgba_stride + 8 * cx;

              for (int c = 0; c < cols; c++)
                {
                  su += rgb_to_u (k, in[4 * c], in[4 * c + 1], in[4 * c + 2]);
                  sv += rgb_to_v (k, in[4 * c], in[4 * c + 1], in[4 * c + 2]);
                }
            }
          uout[cx] = (guint8) ((su + n / 2) / n);
          vout[cx] = (guint8) ((sv + n / 2) / n);
        }
    }
  return TRUE;
}

/* ---------------------------------------------------------------- overlay
 *
 * Image pixel (ix, iy) lands on destination pixel (x + ix, y + iy); only
 * destination pixels inside the frame are touched.  For a covered pixel p
 * with image colour (R, G, B, A):
 *   a_p = (A * opacity + 127) / 255          (0..255)
 *   Y_p, U_p, V_p = the per-pixel RGB -> YUV formulas above
 *   Y' = (Y * (255 - a_p) + Y_p * a_p + 127) / 255
 * Chroma sample (cx, cy) whose 2x2 block holds n existing destination
 * pixels (1, 2 or 4), of which the covered ones contribute a_p, U_p, V_p
 * and the uncovered ones a_p = 0:
 *   SA = sum a_p, SU = sum a_p * U_p, SV = sum a_p * V_p
 *   U' = (U * (255*n - SA) + SU + (255*n) / 2) / (255*n)
 *   V' = (V * (255*n - SA) + SV + (255*n) / 2) / (255*n)
 * i.e. the average over the block of the per-pixel alpha blends, rounded
 * once.  Blocks with SA = 0 are unchanged (the formula gives U' = U).
 */

/* The chroma half of the overlay (the block formula above), shared by the
 * scalar kernel and the vectorised ones, which blend luma only. */
void
_ave_cpu_overlay_chroma (AveYuvFrame  *dst,
                         const guint8 *rgba,
                         int           rgba_stride,
                         int           x,
                         int           y,
                         int           dx0,
                         int           dy0,
                         int           dx1,
                         int           dy1,
                         guint         opacity)
{
  int w = dst->width;
  int h = dst->height;
  int op = (int) opacity;
  const AveColorCoefs *k = _ave_color_coefs (dst->matrix);

  for (int cy = dy0 / 2; cy <= (dy1 - 1) / 2; cy++)
    {
      int rows = (2 * cy + 1 < h) ? 2 : 1;
      guint8 *restrict uout = dst->u + (gsize) cy * dst->uv_stride;
      guint8 *restrict vout = dst->v + (gsize) cy * dst->uv_stride;

      for (int cx = dx0 / 2; cx <= (dx1 - 1) / 2; cx++)
        {
          int cols = (2 * cx + 1 < w) ? 2 : 1;
          int n255 = 255 * rows * cols;
          int sa = 0, su = 0, sv = 0;

          for (int r = 0; r < rows; r++)
            {
              int py = 2 * cy + r;

              if (py < dy0 || py >= dy1)
                continue;
              for (int c = 0; c < cols; c++)
                {
                  int px = 2 * cx + c;
                  const guint8 *in;
                  int a;

                  if (px < dx0 || px >= dx1)
                    continue;
                  in = rgba + (gsize) (py - y) * rgba_stride + (gsize) (px - x) * 4;
                  a = (in[3] * op + 127) / 255;
                  if (a == 0)
                    continue;
                  sa += a;
                  su += a * rgb_to_u (k, in[0], in[1], in[2]);
                  sv += a * rgb_to_v (k, in[0], in[1], in[2]);
                }
            }

          if (sa == 0)
            continue;
          uout[cx] = (guint8) ((uout[cx] * (n255 - sa) + su + n255 / 2) / n255);
          vout[cx] = (guint8) ((vout[cx] * (n255 - sa) + sv + n255 / 2) / n255);
        }
    }

}

static gboolean
scalar_overlay_rgba (AveCompute   *compute,
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
  int w = dst->width;
  int h = dst->height;
  /* the covered destination rectangle [dx0, dx1) x [dy0, dy1) */
  int dx0 = MAX (x, 0);
  int dy0 = MAX (y, 0);
  int dx1 = (int) MIN ((gint64) x + rgba_width, (gint64) w);
  int dy1 = (int) MIN ((gint64) y + rgba_height, (gint64) h);
  int op = (int) opacity;
  const AveColorCoefs *k = _ave_color_coefs (dst->matrix);

  if (dx0 >= dx1 || dy0 >= dy1)
    return TRUE;

  for (int dy = dy0; dy < dy1; dy++)
    {
      const guint8 *restrict in = rgba + (gsize) (dy - y) * rgba_stride + (gsize) (dx0 - x) * 4;
      guint8 *restrict out = dst->y + (gsize) dy * dst->y_stride;

      for (int dx = dx0; dx < dx1; dx++, in += 4)
        {
          int a = (in[3] * op + 127) / 255;
          int yp;

          /* transparent pixels (most of a title card) change nothing */
          if (a == 0)
            continue;
          yp = rgb_to_y (k, in[0], in[1], in[2]);
          out[dx] = (guint8) ((out[dx] * (255 - a) + yp * a + 127) / 255);
        }
    }

  _ave_cpu_overlay_chroma (dst, rgba, rgba_stride, x, y, dx0, dy0, dx1, dy1, opacity);
  return TRUE;
}

/* ------------------------------------------------------------- dispatch
 *
 * The interface's entry points: the vectorised kernel where the instance's
 * instruction set allows, the scalar reference otherwise. */

static gboolean
ave_compute_cpu_analyze_frames (AveCompute        *compute,
                                const AveYuvFrame *prev,
                                const AveYuvFrame *frames,
                                guint              n_frames,
                                AveFrameStats     *out,
                                GError           **error)
{
  AveCpuIsa isa = AVE_COMPUTE_CPU (compute)->isa;

  if (isa < AVE_CPU_ISA_SSE2)
    return scalar_analyze_frames (compute, prev, frames, n_frames, out, error);
  _ave_cpu_simd_analyze_frames (isa, prev, frames, n_frames, out);
  return TRUE;
}

static gboolean
ave_compute_cpu_blend (AveCompute        *compute,
                       const AveYuvFrame *a,
                       const AveYuvFrame *b,
                       guint              weight,
                       AveYuvFrame       *out,
                       GError           **error)
{
  AveCpuIsa isa = AVE_COMPUTE_CPU (compute)->isa;

  if (isa < AVE_CPU_ISA_SSE2)
    return scalar_blend (compute, a, b, weight, out, error);
  _ave_cpu_simd_blend (isa, a, b, weight, out);
  return TRUE;
}

static gboolean
ave_compute_cpu_scale (AveCompute        *compute,
                       const AveYuvFrame *src,
                       AveYuvFrame       *dst,
                       GError           **error)
{
  if (AVE_COMPUTE_CPU (compute)->isa < AVE_CPU_ISA_AVX2)
    return scalar_scale (compute, src, dst, error);
  _ave_cpu_avx2_scale (src, dst);
  return TRUE;
}

static gboolean
ave_compute_cpu_yuv_to_rgba (AveCompute        *compute,
                             const AveYuvFrame *src,
                             guint8            *rgba,
                             int                rgba_stride,
                             GError           **error)
{
  if (AVE_COMPUTE_CPU (compute)->isa < AVE_CPU_ISA_AVX2)
    return scalar_yuv_to_rgba (compute, src, rgba, rgba_stride, error);
  _ave_cpu_avx2_yuv_to_rgba (src, rgba, rgba_stride);
  return TRUE;
}

static gboolean
ave_compute_cpu_rgba_to_yuv (AveCompute   *compute,
                             const guint8 *rgba,
                             int           rgba_stride,
                             AveYuvFrame  *dst,
                             GError      **error)
{
  if (AVE_COMPUTE_CPU (compute)->isa < AVE_CPU_ISA_AVX2)
    return scalar_rgba_to_yuv (compute, rgba, rgba_stride, dst, error);
  _ave_cpu_avx2_rgba_to_yuv (rgba, rgba_stride, dst);
  return TRUE;
}

static gboolean
ave_compute_cpu_overlay_rgba (AveCompute   *compute,
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
  if (AVE_COMPUTE_CPU (compute)->isa < AVE_CPU_ISA_AVX2)
    return scalar_overlay_rgba (compute, dst, rgba, rgba_width, rgba_height, rgba_stride,
                                x, y, opacity, error);
  _ave_cpu_avx2_overlay_rgba (dst, rgba, rgba_width, rgba_height, rgba_stride, x, y, opacity);
  return TRUE;
}

/* ---------------------------------------------------------------- object */

static const char *
ave_compute_cpu_get_name (AveCompute *compute)
{
  return "cpu";
}

static void
ave_compute_cpu_iface_init (AveComputeInterface *iface)
{
  iface->get_name = ave_compute_cpu_get_name;
  iface->analyze_frames = ave_compute_cpu_analyze_frames;
  iface->blend = ave_compute_cpu_blend;
  iface->scale = ave_compute_cpu_scale;
  iface->yuv_to_rgba = ave_compute_cpu_yuv_to_rgba;
  iface->rgba_to_yuv = ave_compute_cpu_rgba_to_yuv;
  iface->overlay_rgba = ave_compute_cpu_overlay_rgba;
}

static void
ave_compute_cpu_class_init (AveComputeCpuClass *klass)
{
}

static void
ave_compute_cpu_init (AveComputeCpu *self)
{
  self->isa = AVE_CPU_ISA_SCALAR;
}

static gboolean
isa_from_name (const char *name,
               AveCpuIsa  *isa)
{
  for (AveCpuIsa i = AVE_CPU_ISA_SCALAR; i <= AVE_CPU_ISA_AVX2; i++)
    if (g_strcmp0 (name, _ave_cpu_isa_name (i)) == 0)
      {
        *isa = i;
        return TRUE;
      }
  return FALSE;
}

AveCompute *
ave_compute_cpu_new_for_isa (const char *isa)
{
  static gsize detected = 0;
  AveCpuIsa best, wanted;
  AveComputeCpu *self;

  if (g_once_init_enter (&detected))
    g_once_init_leave (&detected, (gsize) _ave_cpu_isa_detect () + 1);
  best = (AveCpuIsa) (detected - 1);

  if (isa == NULL)
    wanted = best;
  else if (!isa_from_name (isa, &wanted))
    return NULL;

  self = g_object_new (AVE_TYPE_COMPUTE_CPU, NULL);
  /* asking for more than the CPU has gives what it has */
  self->isa = MIN (wanted, best);
  return AVE_COMPUTE (self);
}

AveCompute *
ave_compute_cpu_new (void)
{
  const char *forced = g_getenv ("AVE_COMPUTE_CPU");
  AveCompute *self = NULL;

  if (forced != NULL && *forced != '\0')
    {
      self = ave_compute_cpu_new_for_isa (forced);
      if (self == NULL)
        g_warning ("AVE_COMPUTE_CPU=%s is not one of scalar, sse2, avx2; ignored", forced);
    }
  return self != NULL ? self : ave_compute_cpu_new_for_isa (NULL);
}

gboolean
ave_compute_is_cpu (AveCompute *compute)
{
  g_return_val_if_fail (AVE_IS_COMPUTE (compute), FALSE);

  return AVE_IS_COMPUTE_CPU (compute);
}

const char *
ave_compute_cpu_get_isa (AveCompute *compute)
{
  g_return_val_if_fail (AVE_IS_COMPUTE_CPU (compute), NULL);

  return _ave_cpu_isa_name (AVE_COMPUTE_CPU (compute)->isa);
}
