/* ave-compute-cpu-private.h — shared by the scalar CPU backend and its
 * vectorised kernels (ave-compute-cpu-x86.c).
 *
 * The scalar kernels in ave-compute-cpu.c are the reference: every
 * vectorised kernel gives exactly the same bytes and sums (tests/test-compute.c
 * compares them on odd sizes and unaligned strides).  The colour constants
 * live here so both files use one definition. */
#pragma once

#include "compute/ave-compute.h"

G_BEGIN_DECLS

/* Limited-range colour coefficients in 16.16 fixed point, one set per
 * AveComputeMatrix (see ave-compute-cpu.c and docs/compute.md).  The Vulkan
 * backend pushes the same numbers to its shaders, so this table is the
 * only definition.
 *   YUV -> RGB: c = cy*(Y-16); R = c + crv*V'; G = c - cgu*U' - cgv*V';
 *               B = c + cbu*U'          (U' = U-128, V' = V-128)
 *   RGB -> YUV: Y = yr*R + yg*G + yb*B + RGB_Y_OFFSET, U and V alike
 *               with RGB_UV_OFFSET; the U and V rows sum to 0. */
typedef struct
{
  int cy, crv, cgu, cgv, cbu;
  int yr, yg, yb;
  int ur, ug, ub;
  int vr, vg, vb;
} AveColorCoefs;

#define RGB_Y_OFFSET  ((16 << 16) + 32768)
#define RGB_UV_OFFSET ((128 << 16) + 32768)

/* The set for `matrix` (an unknown value gives BT.709's). */
const AveColorCoefs *_ave_color_coefs (AveComputeMatrix matrix);

/* The instruction sets the CPU backend can run its kernels with, best last. */
typedef enum
{
  AVE_CPU_ISA_SCALAR,
  AVE_CPU_ISA_SSE2,
  AVE_CPU_ISA_AVX2,
} AveCpuIsa;

/* The best set this CPU supports (runtime detection; SCALAR off x86). */
AveCpuIsa   _ave_cpu_isa_detect (void);
const char *_ave_cpu_isa_name   (AveCpuIsa isa);

/* Vectorised kernels.  Each has the exact contract of the scalar kernel of
 * the same name in ave-compute-cpu.c (arguments already validated).  The
 * ones taking an isa use the widest of SSE2/AVX2 allowed; the others need
 * AVX2 (32-bit multiplies) and are only called when it is present. */
void _ave_cpu_simd_analyze_frames (AveCpuIsa          isa,
                                   const AveYuvFrame *prev,
                                   const AveYuvFrame *frames,
                                   guint              n_frames,
                                   AveFrameStats     *out);
void _ave_cpu_simd_blend          (AveCpuIsa          isa,
                                   const AveYuvFrame *a,
                                   const AveYuvFrame *b,
                                   guint              weight,
                                   AveYuvFrame       *out);
void _ave_cpu_avx2_scale          (const AveYuvFrame *src,
                                   AveYuvFrame       *dst);
void _ave_cpu_avx2_yuv_to_rgba    (const AveYuvFrame *src,
                                   guint8            *rgba,
                                   int                rgba_stride);
void _ave_cpu_avx2_rgba_to_yuv    (const guint8      *rgba,
                                   int                rgba_stride,
                                   AveYuvFrame       *dst);
void _ave_cpu_avx2_overlay_rgba   (AveYuvFrame       *dst,
                                   const guint8      *rgba,
                                   int                rgba_width,
                                   int                rgba_height,
                                   int                rgba_stride,
                                   int                x,
                                   int                y,
                                   guint              opacity);

/* ave-compute-cpu.c: where each destination sample of the bilinear scale
 * reads (the two source samples and the 8-bit weight), for every
 * instruction set. */
void _ave_cpu_scale_positions     (int                src_size,
                                   int                dst_size,
                                   int               *i0,
                                   int               *i1,
                                   int               *frac);
/* ave-compute-cpu.c: the overlay's chroma blend over the covered
 * rectangle [dx0, dx1) x [dy0, dy1), for every instruction set. */
void _ave_cpu_overlay_chroma      (AveYuvFrame       *dst,
                                   const guint8      *rgba,
                                   int                rgba_stride,
                                   int                x,
                                   int                y,
                                   int                dx0,
                                   int                dy0,
                                   int                dx1,
                                   int                dy1,
                                   guint              opacity);

G_END_DECLS
