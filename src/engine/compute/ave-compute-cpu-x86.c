#define G_LOG_DOMAIN "ave-compute-cpu"

#include "config.h"

#include <string.h>

#include "compute/ave-compute-cpu-private.h"

/* The vectorised kernels of the CPU backend, for x86 with SSE2 and AVX2.
 *
 * Each function carries its own target attribute, so the file builds with
 * the distribution's baseline flags and the AVX2 code only ever runs after
 * __builtin_cpu_supports said the CPU has it (_ave_cpu_isa_detect).  Every
 * kernel gives exactly the bytes and sums of the scalar reference in
 * ave-compute-cpu.c: the arithmetic is the same integer arithmetic, only
 * done 16 or 32 samples at a time; columns left over at the end of a row
 * go through the same formula one at a time.  Off x86 only the detection
 * is compiled, and it answers "scalar". */

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define AVX2 __attribute__ ((target ("avx2")))
#define SSE2 __attribute__ ((target ("sse2")))

static inline int
clamp8 (int v)
{
  return v < 0 ? 0 : (v > 255 ? 255 : v);
}

AveCpuIsa
_ave_cpu_isa_detect (void)
{
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2"))
    return AVE_CPU_ISA_AVX2;
  if (__builtin_cpu_supports ("sse2"))
    return AVE_CPU_ISA_SSE2;
  return AVE_CPU_ISA_SCALAR;
}

/* ------------------------------------------------------------ reductions */

AVX2 static inline guint64
hsum_epi64_avx2 (__m256i v)
{
  __m128i s = _mm_add_epi64 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));

  return (guint64) _mm_cvtsi128_si64 (s) + (guint64) _mm_cvtsi128_si64 (_mm_unpackhi_epi64 (s, s));
}

/* Sum of eight unsigned 32-bit lanes, without overflow. */
AVX2 static inline guint64
hsum_epu32_avx2 (__m256i v)
{
  __m256i zero = _mm256_setzero_si256 ();

  return hsum_epi64_avx2 (_mm256_add_epi64 (_mm256_unpacklo_epi32 (v, zero),
                                            _mm256_unpackhi_epi32 (v, zero)));
}

/* Sum of eight signed 32-bit lanes. */
AVX2 static inline gint64
hsum_epi32_avx2 (__m256i v)
{
  __m256i lo = _mm256_cvtepi32_epi64 (_mm256_castsi256_si128 (v));
  __m256i hi = _mm256_cvtepi32_epi64 (_mm256_extracti128_si256 (v, 1));

  return (gint64) hsum_epi64_avx2 (_mm256_add_epi64 (lo, hi));
}

SSE2 static inline guint64
hsum_epi64_sse2 (__m128i v)
{
  return (guint64) _mm_cvtsi128_si64 (v) + (guint64) _mm_cvtsi128_si64 (_mm_unpackhi_epi64 (v, v));
}

SSE2 static inline guint64
hsum_epu32_sse2 (__m128i v)
{
  __m128i zero = _mm_setzero_si128 ();

  return hsum_epi64_sse2 (_mm_add_epi64 (_mm_unpacklo_epi32 (v, zero),
                                         _mm_unpackhi_epi32 (v, zero)));
}

SSE2 static inline gint64
hsum_epi32_sse2 (__m128i v)
{
  /* sign-extend each lane: its high half is all ones for a negative value */
  __m128i sign = _mm_srai_epi32 (v, 31);

  return (gint64) hsum_epi64_sse2 (_mm_add_epi64 (_mm_unpacklo_epi32 (v, sign),
                                                  _mm_unpackhi_epi32 (v, sign)));
}

/* Rows are cut into runs this long so that 32-bit lane accumulators can
 * not overflow (the worst lane gains 2 * 1020^2 per step). */
#define RUN 1024

/* --------------------------------------------------------------- analysis
 * Row by row: sum and sum of squares of luma, Laplacian sums, SAD against
 * the previous frame, and 8x8 block sums (psadbw against zero adds eight
 * bytes, exactly one block's row).  Histograms are scatter updates and stay
 * scalar in both paths. */

AVX2 static void
luma_row_avx2 (const guint8 *row, int w, guint64 *sum, guint64 *sum2)
{
  __m256i zero = _mm256_setzero_si256 ();
  __m256i acc = zero;
  guint64 s = 0, s2 = 0;
  int x = 0;

  while (x + 32 <= w)
    {
      __m256i acc2 = zero;
      int end = MIN (w, x + 32 * RUN);

      for (; x + 32 <= end; x += 32)
        {
          __m256i v = _mm256_loadu_si256 ((const __m256i *) (row + x));
          __m256i lo = _mm256_unpacklo_epi8 (v, zero);
          __m256i hi = _mm256_unpackhi_epi8 (v, zero);

          acc = _mm256_add_epi64 (acc, _mm256_sad_epu8 (v, zero));
          acc2 = _mm256_add_epi32 (acc2, _mm256_add_epi32 (_mm256_madd_epi16 (lo, lo),
                                                          _mm256_madd_epi16 (hi, hi)));
        }
      s2 += hsum_epu32_avx2 (acc2);
    }
  s += hsum_epi64_avx2 (acc);
  for (; x < w; x++)
    {
      guint32 v = row[x];
      s += v;
      s2 += v * v;
    }
  *sum += s;
  *sum2 += s2;
}

SSE2 static void
luma_row_sse2 (const guint8 *row, int w, guint64 *sum, guint64 *sum2)
{
  __m128i zero = _mm_setzero_si128 ();
  __m128i acc = zero;
  guint64 s = 0, s2 = 0;
  int x = 0;

  while (x + 16 <= w)
    {
      __m128i acc2 = zero;
      int end = MIN (w, x + 16 * RUN);

      for (; x + 16 <= end; x += 16)
        {
          __m128i v = _mm_loadu_si128 ((const __m128i *) (row + x));
          __m128i lo = _mm_unpacklo_epi8 (v, zero);
          __m128i hi = _mm_unpackhi_epi8 (v, zero);

          acc = _mm_add_epi64 (acc, _mm_sad_epu8 (v, zero));
          acc2 = _mm_add_epi32 (acc2, _mm_add_epi32 (_mm_madd_epi16 (lo, lo),
                                                     _mm_madd_epi16 (hi, hi)));
        }
      s2 += hsum_epu32_sse2 (acc2);
    }
  s += hsum_epi64_sse2 (acc);
  for (; x < w; x++)
    {
      guint32 v = row[x];
      s += v;
      s2 += v * v;
    }
  *sum += s;
  *sum2 += s2;
}

/* Laplacian over columns 1 .. w-2 of one interior row. */
static void
lap_tail (const guint8 *up, const guint8 *mid, const guint8 *down,
          int x, int w, gint64 *sum, guint64 *sum2)
{
  for (; x < w - 1; x++)
    {
      gint32 l = 4 * (gint32) mid[x] - up[x] - down[x] - mid[x - 1] - mid[x + 1];
      *sum += l;
      *sum2 += (guint64) (l * l);
    }
}

AVX2 static void
lap_row_avx2 (const guint8 *up, const guint8 *mid, const guint8 *down,
              int w, gint64 *sum, guint64 *sum2)
{
  __m256i ones = _mm256_set1_epi16 (1);
  __m256i acc = _mm256_setzero_si256 ();
  gint64 s = 0;
  guint64 s2 = 0;
  int x = 1;

  /* 16 columns a step; mid[x + 16] must exist, hence x + 16 <= w - 1 */
  while (x + 16 <= w - 1)
    {
      __m256i acc2 = _mm256_setzero_si256 ();
      int end = MIN (w - 1, x + 16 * RUN);

      for (; x + 16 <= end; x += 16)
        {
          __m256i c = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (mid + x)));
          __m256i l = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (mid + x - 1)));
          __m256i r = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (mid + x + 1)));
          __m256i u = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (up + x)));
          __m256i d = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (down + x)));
          __m256i lap = _mm256_sub_epi16 (_mm256_slli_epi16 (c, 2),
                                          _mm256_add_epi16 (_mm256_add_epi16 (l, r),
                                                            _mm256_add_epi16 (u, d)));

          acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (lap, ones));
          acc2 = _mm256_add_epi32 (acc2, _mm256_madd_epi16 (lap, lap));
        }
      s2 += hsum_epu32_avx2 (acc2);
    }
  s += hsum_epi32_avx2 (acc);
  lap_tail (up, mid, down, x, w, &s, &s2);
  *sum += s;
  *sum2 += s2;
}

SSE2 static void
lap_row_sse2 (const guint8 *up, const guint8 *mid, const guint8 *down,
              int w, gint64 *sum, guint64 *sum2)
{
  __m128i zero = _mm_setzero_si128 ();
  __m128i ones = _mm_set1_epi16 (1);
  __m128i acc = zero;
  gint64 s = 0;
  guint64 s2 = 0;
  int x = 1;

  while (x + 8 <= w - 1)
    {
      __m128i acc2 = zero;
      int end = MIN (w - 1, x + 8 * RUN);

      for (; x + 8 <= end; x += 8)
        {
          __m128i c = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (mid + x)), zero);
          __m128i l = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (mid + x - 1)), zero);
          __m128i r = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (mid + x + 1)), zero);
          __m128i u = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (up + x)), zero);
          __m128i d = _mm_unpacklo_epi8 (_mm_loadl_epi64 ((const __m128i *) (down + x)), zero);
          __m128i lap = _mm_sub_epi16 (_mm_slli_epi16 (c, 2),
                                       _mm_add_epi16 (_mm_add_epi16 (l, r), _mm_add_epi16 (u, d)));

          acc = _mm_add_epi32 (acc, _mm_madd_epi16 (lap, ones));
          acc2 = _mm_add_epi32 (acc2, _mm_madd_epi16 (lap, lap));
        }
      s2 += hsum_epu32_sse2 (acc2);
    }
  s += hsum_epi32_sse2 (acc);
  lap_tail (up, mid, down, x, w, &s, &s2);
  *sum += s;
  *sum2 += s2;
}

AVX2 static guint64
sad_row_avx2 (const guint8 *a, const guint8 *b, int w)
{
  __m256i acc = _mm256_setzero_si256 ();
  guint64 s;
  int x = 0;

  for (; x + 32 <= w; x += 32)
    acc = _mm256_add_epi64 (acc, _mm256_sad_epu8 (_mm256_loadu_si256 ((const __m256i *) (a + x)),
                                                  _mm256_loadu_si256 ((const __m256i *) (b + x))));
  s = hsum_epi64_avx2 (acc);
  for (; x < w; x++)
    s += (guint64) ABS ((int) a[x] - (int) b[x]);
  return s;
}

SSE2 static guint64
sad_row_sse2 (const guint8 *a, const guint8 *b, int w)
{
  __m128i acc = _mm_setzero_si128 ();
  guint64 s;
  int x = 0;

  for (; x + 16 <= w; x += 16)
    acc = _mm_add_epi64 (acc, _mm_sad_epu8 (_mm_loadu_si128 ((const __m128i *) (a + x)),
                                            _mm_loadu_si128 ((const __m128i *) (b + x))));
  s = hsum_epi64_sse2 (acc);
  for (; x < w; x++)
    s += (guint64) ABS ((int) a[x] - (int) b[x]);
  return s;
}

/* Adds the sums of the 8-byte groups of one line to row_sums[0 .. bw-1]. */
AVX2 static void
block_row_avx2 (const guint8 *line, int bw, guint32 *row_sums)
{
  __m256i zero = _mm256_setzero_si256 ();
  /* the low dword of each 64-bit psadbw result, gathered into 128 bits */
  __m256i pick = _mm256_setr_epi32 (0, 2, 4, 6, 0, 2, 4, 6);
  int bx = 0;

  for (; bx + 4 <= bw; bx += 4)
    {
      __m256i s = _mm256_sad_epu8 (_mm256_loadu_si256 ((const __m256i *) (line + 8 * bx)), zero);
      __m128i s4 = _mm256_castsi256_si128 (_mm256_permutevar8x32_epi32 (s, pick));
      __m128i old = _mm_loadu_si128 ((const __m128i *) (row_sums + bx));

      _mm_storeu_si128 ((__m128i *) (row_sums + bx), _mm_add_epi32 (old, s4));
    }
  for (; bx < bw; bx++)
    {
      const guint8 *px = line + 8 * bx;
      guint32 s = 0;

      for (int k = 0; k < AVE_MOTION_BLOCK; k++)
        s += px[k];
      row_sums[bx] += s;
    }
}

SSE2 static void
block_row_sse2 (const guint8 *line, int bw, guint32 *row_sums)
{
  __m128i zero = _mm_setzero_si128 ();
  int bx = 0;

  for (; bx + 2 <= bw; bx += 2)
    {
      __m128i s = _mm_sad_epu8 (_mm_loadu_si128 ((const __m128i *) (line + 8 * bx)), zero);

      row_sums[bx] += (guint32) _mm_cvtsi128_si32 (s);
      row_sums[bx + 1] += (guint32) _mm_cvtsi128_si32 (_mm_unpackhi_epi64 (s, s));
    }
  for (; bx < bw; bx++)
    {
      const guint8 *px = line + 8 * bx;
      guint32 s = 0;

      for (int k = 0; k < AVE_MOTION_BLOCK; k++)
        s += px[k];
      row_sums[bx] += s;
    }
}

typedef struct
{
  void    (*luma) (const guint8 *row, int w, guint64 *sum, guint64 *sum2);
  void    (*lap)  (const guint8 *up, const guint8 *mid, const guint8 *down,
                   int w, gint64 *sum, guint64 *sum2);
  guint64 (*sad)  (const guint8 *a, const guint8 *b, int w);
  void    (*block)(const guint8 *line, int bw, guint32 *row_sums);
} RowKernels;

static void
block_sums (const RowKernels *k, const AveYuvFrame *frame, guint32 *sums)
{
  int bw = frame->width / AVE_MOTION_BLOCK;
  int bh = frame->height / AVE_MOTION_BLOCK;

  memset (sums, 0, sizeof (guint32) * bw * bh);
  for (int by = 0; by < bh; by++)
    for (int dy = 0; dy < AVE_MOTION_BLOCK; dy++)
      k->block (frame->y + (gsize) (by * AVE_MOTION_BLOCK + dy) * frame->y_stride, bw,
                sums + (gsize) by * bw);
}

static void
analyze_one (const RowKernels  *k,
             const AveYuvFrame *frame,
             const AveYuvFrame *prev,
             const guint32     *frame_blocks,
             const guint32     *prev_blocks,
             guint64            n_blocks,
             AveFrameStats     *out)
{
  int w = frame->width, h = frame->height;
  int cw = (w + 1) / 2, ch = (h + 1) / 2;

  memset (out, 0, sizeof *out);
  out->n_pixels = (guint64) w * h;

  for (int y = 0; y < h; y++)
    {
      const guint8 *row = frame->y + (gsize) y * frame->y_stride;

      k->luma (row, w, &out->sum_y, &out->sum_y2);
      for (int x = 0; x < w; x++)
        out->hist_y[row[x] >> 2]++;
    }

  for (int y = 0; y < ch; y++)
    {
      const guint8 *urow = frame->u + (gsize) y * frame->uv_stride;
      const guint8 *vrow = frame->v + (gsize) y * frame->uv_stride;

      for (int x = 0; x < cw; x++)
        {
          out->hist_u[urow[x] >> 4]++;
          out->hist_v[vrow[x] >> 4]++;
        }
    }

  if (w >= 3 && h >= 3)
    {
      for (int y = 1; y < h - 1; y++)
        k->lap (frame->y + (gsize) (y - 1) * frame->y_stride,
                frame->y + (gsize) y * frame->y_stride,
                frame->y + (gsize) (y + 1) * frame->y_stride,
                w, &out->lap_sum, &out->lap_sum2);
      out->lap_n = (guint64) (w - 2) * (h - 2);
    }

  out->motion_blocks = n_blocks;

  if (prev != NULL)
    {
      guint64 sad = 0, motion = 0;

      for (int y = 0; y < h; y++)
        sad += k->sad (frame->y + (gsize) y * frame->y_stride,
                       prev->y + (gsize) y * prev->y_stride, w);
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

void
_ave_cpu_simd_analyze_frames (AveCpuIsa          isa,
                              const AveYuvFrame *prev,
                              const AveYuvFrame *frames,
                              guint              n_frames,
                              AveFrameStats     *out)
{
  static const RowKernels avx2 = { luma_row_avx2, lap_row_avx2, sad_row_avx2, block_row_avx2 };
  static const RowKernels sse2 = { luma_row_sse2, lap_row_sse2, sad_row_sse2, block_row_sse2 };
  const RowKernels *k = (isa >= AVE_CPU_ISA_AVX2) ? &avx2 : &sse2;
  guint64 n_blocks = (guint64) (frames[0].width / AVE_MOTION_BLOCK) *
                     (guint64) (frames[0].height / AVE_MOTION_BLOCK);
  g_autofree guint32 *blocks_prev = g_new0 (guint32, MAX (n_blocks, 1));
  g_autofree guint32 *blocks_cur = g_new0 (guint32, MAX (n_blocks, 1));

  if (prev != NULL)
    block_sums (k, prev, blocks_prev);

  for (guint i = 0; i < n_frames; i++)
    {
      const AveYuvFrame *p = (i == 0) ? prev : &frames[i - 1];
      guint32 *tmp;

      block_sums (k, &frames[i], blocks_cur);
      analyze_one (k, &frames[i], p, blocks_cur, blocks_prev, n_blocks, &out[i]);
      tmp = blocks_prev;
      blocks_prev = blocks_cur;
      blocks_cur = tmp;
    }
}

/* ------------------------------------------------------------------ blend
 * (a * (256 - weight) + b * weight + 128) >> 8 in 16-bit lanes: the sum is
 * at most 255 * 256 + 128, which fits unsigned 16 bits.  Loads come before
 * the store of the same columns, so out may alias a or b. */

AVX2 static void
blend_plane_avx2 (const guint8 *a, int a_stride, const guint8 *b, int b_stride,
                  guint8 *out, int out_stride, int w, int h, guint weight)
{
  __m256i zero = _mm256_setzero_si256 ();
  __m256i wa = _mm256_set1_epi16 ((short) (256 - weight));
  __m256i wb = _mm256_set1_epi16 ((short) weight);
  __m256i round = _mm256_set1_epi16 (128);

  for (int y = 0; y < h; y++)
    {
      const guint8 *ra = a + (gsize) y * a_stride;
      const guint8 *rb = b + (gsize) y * b_stride;
      guint8 *ro = out + (gsize) y * out_stride;
      int x = 0;

      for (; x + 32 <= w; x += 32)
        {
          __m256i va = _mm256_loadu_si256 ((const __m256i *) (ra + x));
          __m256i vb = _mm256_loadu_si256 ((const __m256i *) (rb + x));
          __m256i lo = _mm256_add_epi16 (_mm256_add_epi16 (_mm256_mullo_epi16 (_mm256_unpacklo_epi8 (va, zero), wa),
                                                           _mm256_mullo_epi16 (_mm256_unpacklo_epi8 (vb, zero), wb)),
                                         round);
          __m256i hi = _mm256_add_epi16 (_mm256_add_epi16 (_mm256_mullo_epi16 (_mm256_unpackhi_epi8 (va, zero), wa),
                                                           _mm256_mullo_epi16 (_mm256_unpackhi_epi8 (vb, zero), wb)),
                                         round);

          _mm256_storeu_si256 ((__m256i *) (ro + x),
                               _mm256_packus_epi16 (_mm256_srli_epi16 (lo, 8), _mm256_srli_epi16 (hi, 8)));
        }
      for (; x < w; x++)
        ro[x] = (guint8) ((ra[x] * (256 - weight) + rb[x] * weight + 128) >> 8);
    }
}

SSE2 static void
blend_plane_sse2 (const guint8 *a, int a_stride, const guint8 *b, int b_stride,
                  guint8 *out, int out_stride, int w, int h, guint weight)
{
  __m128i zero = _mm_setzero_si128 ();
  __m128i wa = _mm_set1_epi16 ((short) (256 - weight));
  __m128i wb = _mm_set1_epi16 ((short) weight);
  __m128i round = _mm_set1_epi16 (128);

  for (int y = 0; y < h; y++)
    {
      const guint8 *ra = a + (gsize) y * a_stride;
      const guint8 *rb = b + (gsize) y * b_stride;
      guint8 *ro = out + (gsize) y * out_stride;
      int x = 0;

      for (; x + 16 <= w; x += 16)
        {
          __m128i va = _mm_loadu_si128 ((const __m128i *) (ra + x));
          __m128i vb = _mm_loadu_si128 ((const __m128i *) (rb + x));
          __m128i lo = _mm_add_epi16 (_mm_add_epi16 (_mm_mullo_epi16 (_mm_unpacklo_epi8 (va, zero), wa),
                                                     _mm_mullo_epi16 (_mm_unpacklo_epi8 (vb, zero), wb)),
                                      round);
          __m128i hi = _mm_add_epi16 (_mm_add_epi16 (_mm_mullo_epi16 (_mm_unpackhi_epi8 (va, zero), wa),
                                                     _mm_mullo_epi16 (_mm_unpackhi_epi8 (vb, zero), wb)),
                                      round);

          _mm_storeu_si128 ((__m128i *) (ro + x),
                            _mm_packus_epi16 (_mm_srli_epi16 (lo, 8), _mm_srli_epi16 (hi, 8)));
        }
      for (; x < w; x++)
        ro[x] = (guint8) ((ra[x] * (256 - weight) + rb[x] * weight + 128) >> 8);
    }
}

void
_ave_cpu_simd_blend (AveCpuIsa          isa,
                     const AveYuvFrame *a,
                     const AveYuvFrame *b,
                     guint              weight,
                     AveYuvFrame       *out)
{
  int cw = (a->width + 1) / 2, ch = (a->height + 1) / 2;
  void (*plane) (const guint8 *, int, const guint8 *, int, guint8 *, int, int, int, guint) =
    (isa >= AVE_CPU_ISA_AVX2) ? blend_plane_avx2 : blend_plane_sse2;

  plane (a->y, a->y_stride, b->y, b->y_stride, out->y, out->y_stride, a->width, a->height, weight);
  plane (a->u, a->uv_stride, b->u, b->uv_stride, out->u, out->uv_stride, cw, ch, weight);
  plane (a->v, a->uv_stride, b->v, b->uv_stride, out->v, out->uv_stride, cw, ch, weight);
}

/* ------------------------------------------------------------------ scale
 * The positions are the reference's (_ave_cpu_scale_positions).  The
 * reference interpolates each row's two samples horizontally, then the two
 * rows vertically; with no rounding until the final shift, the other order
 * gives the same integer:
 *   v(x)   = S(x,y0) * (256 - fy) + S(x,y1) * fy          (<= 65280: u16)
 *   D(x,y) = (v(x0) * (256 - fx) + v(x1) * fx + 32768) >> 16
 * so the vertical pass runs over the whole source row 16 samples a step
 * in 16-bit lanes, and the horizontal pass then needs two loads per
 * destination pixel instead of four.  (AVX2 gathers for the horizontal
 * pass measured slower than plain loads on the EPYC this was written on.) */

AVX2 static void
scale_plane_avx2 (const guint8 *src, int src_stride, int sw, int sh,
                  guint8 *dst, int dst_stride, int dw, int dh)
{
  g_autofree int *x0 = g_new (int, dw);
  g_autofree int *x1 = g_new (int, dw);
  g_autofree int *fx = g_new (int, dw);
  g_autofree int *y0 = g_new (int, dh);
  g_autofree int *y1 = g_new (int, dh);
  g_autofree int *fy = g_new (int, dh);
  g_autofree guint16 *v = g_new (guint16, sw);

  _ave_cpu_scale_positions (sw, dw, x0, x1, fx);
  _ave_cpu_scale_positions (sh, dh, y0, y1, fy);

  for (int y = 0; y < dh; y++)
    {
      const guint8 *s0 = src + (gsize) y0[y] * src_stride;
      const guint8 *s1 = src + (gsize) y1[y] * src_stride;
      guint8 *d = dst + (gsize) y * dst_stride;
      guint32 wy = (guint32) fy[y], wy0 = 256 - wy;
      __m256i vwy = _mm256_set1_epi16 ((short) wy);
      __m256i vwy0 = _mm256_set1_epi16 ((short) wy0);
      int x = 0;

      /* 255 * 256 fits unsigned 16 bits: mullo and add are exact */
      for (; x + 16 <= sw; x += 16)
        {
          __m256i a = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (s0 + x)));
          __m256i b = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (s1 + x)));

          _mm256_storeu_si256 ((__m256i *) (v + x),
                               _mm256_add_epi16 (_mm256_mullo_epi16 (a, vwy0), _mm256_mullo_epi16 (b, vwy)));
        }
      for (; x < sw; x++)
        v[x] = (guint16) (s0[x] * wy0 + s1[x] * wy);

      for (x = 0; x < dw; x++)
        {
          guint32 f = (guint32) fx[x];

          d[x] = (guint8) ((v[x0[x]] * (256 - f) + v[x1[x]] * f + 32768) >> 16);
        }
    }
}

void
_ave_cpu_avx2_scale (const AveYuvFrame *src,
                     AveYuvFrame       *dst)
{
  int scw = (src->width + 1) / 2, sch = (src->height + 1) / 2;
  int dcw = (dst->width + 1) / 2, dch = (dst->height + 1) / 2;

  scale_plane_avx2 (src->y, src->y_stride, src->width, src->height,
                    dst->y, dst->y_stride, dst->width, dst->height);
  scale_plane_avx2 (src->u, src->uv_stride, scw, sch, dst->u, dst->uv_stride, dcw, dch);
  scale_plane_avx2 (src->v, src->uv_stride, scw, sch, dst->v, dst->uv_stride, dcw, dch);
}

/* ------------------------------------------------------- colour conversion
 * 32-bit lanes throughout, as in the reference; packs with signed and then
 * unsigned saturation are exactly clamp8 for these ranges. */

/* Eight 32-bit lanes of 0..255 values (r, g, b, a) -> 8 RGBA pixels. */
AVX2 static inline void
store_rgba8_avx2 (guint8 *out, __m256i r, __m256i g, __m256i b, __m256i a)
{
  /* per 128-bit lane: r0-3 g0-3 b0-3 a0-3 (then r4-7 ... in the high lane) */
  __m256i bytes = _mm256_packus_epi16 (_mm256_packs_epi32 (r, g), _mm256_packs_epi32 (b, a));
  __m256i order = _mm256_setr_epi8 (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                    0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

  _mm256_storeu_si256 ((__m256i *) out, _mm256_shuffle_epi8 (bytes, order));
}

AVX2 void
_ave_cpu_avx2_yuv_to_rgba (const AveYuvFrame *src,
                           guint8            *rgba,
                           int                rgba_stride)
{
  __m256i c16 = _mm256_set1_epi32 (16);
  __m256i c128 = _mm256_set1_epi32 (128);
  const AveColorCoefs *k = _ave_color_coefs (src->matrix);
  __m256i cy = _mm256_set1_epi32 (k->cy);
  __m256i crv = _mm256_set1_epi32 (k->crv);
  __m256i cgu = _mm256_set1_epi32 (k->cgu);
  __m256i cgv = _mm256_set1_epi32 (k->cgv);
  __m256i cbu = _mm256_set1_epi32 (k->cbu);
  __m256i round = _mm256_set1_epi32 (32768);
  __m256i alpha = _mm256_set1_epi32 (255);

  for (int y = 0; y < src->height; y++)
    {
      const guint8 *yrow = src->y + (gsize) y * src->y_stride;
      const guint8 *urow = src->u + (gsize) (y / 2) * src->uv_stride;
      const guint8 *vrow = src->v + (gsize) (y / 2) * src->uv_stride;
      guint8 *out = rgba + (gsize) y * rgba_stride;
      int x = 0;

      for (; x + 8 <= src->width; x += 8)
        {
          guint32 u4, v4;
          __m128i u8, v8;
          __m256i yv, u, v, c, r, g, b;

          memcpy (&u4, urow + x / 2, 4);
          memcpy (&v4, vrow + x / 2, 4);
          /* each chroma sample serves two neighbouring pixels */
          u8 = _mm_cvtsi32_si128 ((int) u4);
          v8 = _mm_cvtsi32_si128 ((int) v4);
          u = _mm256_sub_epi32 (_mm256_cvtepu8_epi32 (_mm_unpacklo_epi8 (u8, u8)), c128);
          v = _mm256_sub_epi32 (_mm256_cvtepu8_epi32 (_mm_unpacklo_epi8 (v8, v8)), c128);
          yv = _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) (yrow + x)));
          c = _mm256_add_epi32 (_mm256_mullo_epi32 (cy, _mm256_sub_epi32 (yv, c16)), round);
          r = _mm256_srai_epi32 (_mm256_add_epi32 (c, _mm256_mullo_epi32 (crv, v)), 16);
          g = _mm256_srai_epi32 (_mm256_sub_epi32 (c, _mm256_add_epi32 (_mm256_mullo_epi32 (cgu, u),
                                                                        _mm256_mullo_epi32 (cgv, v))), 16);
          b = _mm256_srai_epi32 (_mm256_add_epi32 (c, _mm256_mullo_epi32 (cbu, u)), 16);
          store_rgba8_avx2 (out + 4 * x, r, g, b, alpha);
        }
      for (; x < src->width; x++)
        {
          int u = (int) urow[x >> 1] - 128;
          int v = (int) vrow[x >> 1] - 128;
          int c = k->cy * ((int) yrow[x] - 16);
          guint8 *px = out + 4 * x;

          px[0] = (guint8) clamp8 ((c + k->crv * v + 32768) >> 16);
          px[1] = (guint8) clamp8 ((c - k->cgu * u - k->cgv * v + 32768) >> 16);
          px[2] = (guint8) clamp8 ((c + k->cbu * u + 32768) >> 16);
          px[3] = 255;
        }
    }
}

/* Eight 32-bit lanes -> eight bytes, saturated to 0..255 (= clamp8). */
AVX2 static inline void
store_bytes8_avx2 (guint8 *out, __m256i v)
{
  __m256i pick = _mm256_setr_epi32 (0, 4, 0, 4, 0, 4, 0, 4);
  __m256i p16 = _mm256_packs_epi32 (v, v);
  __m256i p8 = _mm256_packus_epi16 (p16, p16);

  _mm_storel_epi64 ((__m128i *) out, _mm256_castsi256_si128 (_mm256_permutevar8x32_epi32 (p8, pick)));
}

/* The R, G, B bytes of 8 RGBA pixels as 32-bit lanes. */
AVX2 static inline void
load_rgb8_avx2 (const guint8 *in, __m256i *r, __m256i *g, __m256i *b, __m256i *a)
{
  __m256i px = _mm256_loadu_si256 ((const __m256i *) in);
  __m256i mask = _mm256_set1_epi32 (255);

  *r = _mm256_and_si256 (px, mask);
  *g = _mm256_and_si256 (_mm256_srli_epi32 (px, 8), mask);
  *b = _mm256_and_si256 (_mm256_srli_epi32 (px, 16), mask);
  if (a != NULL)
    *a = _mm256_srli_epi32 (px, 24);
}

AVX2 static inline __m256i
dot3_avx2 (__m256i r, __m256i g, __m256i b, int cr, int cg, int cb, int offset)
{
  __m256i s = _mm256_add_epi32 (_mm256_mullo_epi32 (r, _mm256_set1_epi32 (cr)),
                                _mm256_mullo_epi32 (g, _mm256_set1_epi32 (cg)));

  s = _mm256_add_epi32 (s, _mm256_mullo_epi32 (b, _mm256_set1_epi32 (cb)));
  return _mm256_srai_epi32 (_mm256_add_epi32 (s, _mm256_set1_epi32 (offset)), 16);
}

AVX2 static inline __m256i
clamp8_avx2 (__m256i v)
{
  return _mm256_min_epi32 (_mm256_max_epi32 (v, _mm256_setzero_si256 ()), _mm256_set1_epi32 (255));
}

static inline int
rgb_u (const AveColorCoefs *k, const guint8 *p)
{
  return clamp8 ((k->ur * p[0] + k->ug * p[1] + k->ub * p[2] + RGB_UV_OFFSET) >> 16);
}

static inline int
rgb_v (const AveColorCoefs *k, const guint8 *p)
{
  return clamp8 ((k->vr * p[0] + k->vg * p[1] + k->vb * p[2] + RGB_UV_OFFSET) >> 16);
}

static inline int
rgb_y (const AveColorCoefs *k, const guint8 *p)
{
  return clamp8 ((k->yr * p[0] + k->yg * p[1] + k->yb * p[2] + RGB_Y_OFFSET) >> 16);
}

/* Per-pixel rounded U_p and V_p of one RGBA row. */
AVX2 static void
uv_row_avx2 (const AveColorCoefs *k, const guint8 *in, int w, int *u, int *v)
{
  int x = 0;

  for (; x + 8 <= w; x += 8)
    {
      __m256i r, g, b;

      load_rgb8_avx2 (in + 4 * x, &r, &g, &b, NULL);
      _mm256_storeu_si256 ((__m256i *) (u + x),
                           clamp8_avx2 (dot3_avx2 (r, g, b, k->ur, k->ug, k->ub, RGB_UV_OFFSET)));
      _mm256_storeu_si256 ((__m256i *) (v + x),
                           clamp8_avx2 (dot3_avx2 (r, g, b, k->vr, k->vg, k->vb, RGB_UV_OFFSET)));
    }
  for (; x < w; x++)
    {
      u[x] = rgb_u (k, in + 4 * x);
      v[x] = rgb_v (k, in + 4 * x);
    }
}

AVX2 void
_ave_cpu_avx2_rgba_to_yuv (const guint8 *rgba,
                           int           rgba_stride,
                           AveYuvFrame  *dst)
{
  int w = dst->width, h = dst->height;
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  g_autofree int *tmp = g_new (int, 4 * (gsize) w);
  int *u[2] = { tmp, tmp + w };
  int *v[2] = { tmp + 2 * w, tmp + 3 * w };
  const AveColorCoefs *k = _ave_color_coefs (dst->matrix);

  for (int y = 0; y < h; y++)
    {
      const guint8 *in = rgba + (gsize) y * rgba_stride;
      guint8 *out = dst->y + (gsize) y * dst->y_stride;
      int x = 0;

      for (; x + 8 <= w; x += 8)
        {
          __m256i r, g, b;

          load_rgb8_avx2 (in + 4 * x, &r, &g, &b, NULL);
          store_bytes8_avx2 (out + x, dot3_avx2 (r, g, b, k->yr, k->yg, k->yb, RGB_Y_OFFSET));
        }
      for (; x < w; x++)
        out[x] = (guint8) rgb_y (k, in + 4 * x);
    }

  for (int cy = 0; cy < ch; cy++)
    {
      int rows = (2 * cy + 1 < h) ? 2 : 1;
      guint8 *uout = dst->u + (gsize) cy * dst->uv_stride;
      guint8 *vout = dst->v + (gsize) cy * dst->uv_stride;

      for (int r = 0; r < rows; r++)
        uv_row_avx2 (k, rgba + (gsize) (2 * cy + r) * rgba_stride, w, u[r], v[r]);
      for (int cx = 0; cx < cw; cx++)
        {
          int cols = (2 * cx + 1 < w) ? 2 : 1;
          int n = rows * cols;
          int su = 0, sv = 0;

          for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
              {
                su += u[r][2 * cx + c];
                sv += v[r][2 * cx + c];
              }
          uout[cx] = (guint8) ((su + n / 2) / n);
          vout[cx] = (guint8) ((sv + n / 2) / n);
        }
    }
}

/* ---------------------------------------------------------------- overlay
 * The luma blend runs 8 pixels a step.  (v + 1 + (v >> 8)) >> 8 equals
 * v / 255 for every v below 65535, and both divisions here stay below
 * 255 * 255 + 127; a pixel with a_p = 0 comes out unchanged, as the
 * reference's skip leaves it.  Chroma is the reference's block loop (_ave_cpu_overlay_chroma). */

AVX2 static inline __m256i
div255_avx2 (__m256i v)
{
  return _mm256_srli_epi32 (_mm256_add_epi32 (_mm256_add_epi32 (v, _mm256_set1_epi32 (1)),
                                              _mm256_srli_epi32 (v, 8)), 8);
}

AVX2 void
_ave_cpu_avx2_overlay_rgba (AveYuvFrame  *dst,
                            const guint8 *rgba,
                            int           rgba_width,
                            int           rgba_height,
                            int           rgba_stride,
                            int           x,
                            int           y,
                            guint         opacity)
{
  int w = dst->width, h = dst->height;
  int dx0 = MAX (x, 0), dy0 = MAX (y, 0);
  int dx1 = (int) MIN ((gint64) x + rgba_width, (gint64) w);
  int dy1 = (int) MIN ((gint64) y + rgba_height, (gint64) h);
  int op = (int) opacity;
  __m256i vop = _mm256_set1_epi32 (op);
  __m256i c127 = _mm256_set1_epi32 (127);
  __m256i c255 = _mm256_set1_epi32 (255);
  const AveColorCoefs *k = _ave_color_coefs (dst->matrix);

  if (dx0 >= dx1 || dy0 >= dy1)
    return;

  for (int dy = dy0; dy < dy1; dy++)
    {
      const guint8 *in = rgba + (gsize) (dy - y) * rgba_stride + (gsize) (dx0 - x) * 4;
      guint8 *out = dst->y + (gsize) dy * dst->y_stride;
      int dx = dx0;

      for (; dx + 8 <= dx1; dx += 8, in += 32)
        {
          __m256i r, g, b, a, yp, old, blended;

          load_rgb8_avx2 (in, &r, &g, &b, &a);
          a = div255_avx2 (_mm256_add_epi32 (_mm256_mullo_epi32 (a, vop), c127));
          yp = clamp8_avx2 (dot3_avx2 (r, g, b, k->yr, k->yg, k->yb, RGB_Y_OFFSET));
          old = _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) (out + dx)));
          blended = _mm256_add_epi32 (_mm256_mullo_epi32 (old, _mm256_sub_epi32 (c255, a)),
                                      _mm256_add_epi32 (_mm256_mullo_epi32 (yp, a), c127));
          store_bytes8_avx2 (out + dx, div255_avx2 (blended));
        }
      for (; dx < dx1; dx++, in += 4)
        {
          int a = (in[3] * op + 127) / 255;

          if (a == 0)
            continue;
          out[dx] = (guint8) ((out[dx] * (255 - a) + rgb_y (k, in) * a + 127) / 255);
        }
    }

  _ave_cpu_overlay_chroma (dst, rgba, rgba_stride, x, y, dx0, dy0, dx1, dy1, opacity);
}

#else /* not x86 */

AveCpuIsa
_ave_cpu_isa_detect (void)
{
  return AVE_CPU_ISA_SCALAR;
}

/* Never called: the backend only uses them for an isa above SCALAR. */
void
_ave_cpu_simd_analyze_frames (AveCpuIsa isa, const AveYuvFrame *prev, const AveYuvFrame *frames,
                              guint n_frames, AveFrameStats *out)
{
  g_assert_not_reached ();
}

void
_ave_cpu_simd_blend (AveCpuIsa isa, const AveYuvFrame *a, const AveYuvFrame *b, guint weight,
                     AveYuvFrame *out)
{
  g_assert_not_reached ();
}

void
_ave_cpu_avx2_scale (const AveYuvFrame *src, AveYuvFrame *dst)
{
  g_assert_not_reached ();
}

void
_ave_cpu_avx2_yuv_to_rgba (const AveYuvFrame *src, guint8 *rgba, int rgba_stride)
{
  g_assert_not_reached ();
}

void
_ave_cpu_avx2_rgba_to_yuv (const guint8 *rgba, int rgba_stride, AveYuvFrame *dst)
{
  g_assert_not_reached ();
}

void
_ave_cpu_avx2_overlay_rgba (AveYuvFrame *dst, const guint8 *rgba, int rgba_width, int rgba_height,
                            int rgba_stride, int x, int y, guint opacity)
{
  g_assert_not_reached ();
}

#endif

const char *
_ave_cpu_isa_name (AveCpuIsa isa)
{
  switch (isa)
    {
    case AVE_CPU_ISA_AVX2:
      return "avx2";
    case AVE_CPU_ISA_SSE2:
      return "sse2";
    case AVE_CPU_ISA_SCALAR:
    default:
      return "scalar";
    }
}
