/* ave-compute.h — the compute interface used by video analysis and composition.
 *
 * Stages never call a backend directly: they hold an AveCompute and call the
 * functions below.  The CPU backend (ave-compute-cpu.c) is the reference; the
 * Vulkan backend (ave-compute-vulkan.c) must give the same results.  Every
 * kernel is defined in integer arithmetic so that both backends can agree
 * exactly; floating-point statistics are derived from the integer sums in
 * ave-compute.c, once, for both backends.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Which matrix relates a frame's limited-range Y'CbCr to R'G'B': the
 * colour kernels (yuv_to_rgba, rgba_to_yuv, overlay_rgba) use the YUV
 * frame's.  BT.709 is HD video's; BT.601 is SD video's (and JPEG's).
 * BT.709 is 0, so a frame initialised with { .width = ... } is BT.709. */
typedef enum
{
  AVE_COMPUTE_MATRIX_BT709 = 0,
  AVE_COMPUTE_MATRIX_BT601 = 1,
} AveComputeMatrix;

/* An 8-bit YUV 4:2:0 frame (planes not owned). Chroma is (width+1)/2 x (height+1)/2. */
typedef struct
{
  int     width, height;
  guint8 *y; int y_stride;
  guint8 *u; guint8 *v; int uv_stride;
  AveComputeMatrix matrix;   /* for the colour kernels only */
} AveYuvFrame;

#define AVE_LUMA_BINS   64   /* bin = y >> 2 */
#define AVE_CHROMA_BINS 16   /* bin = u >> 4, v >> 4 */
#define AVE_MOTION_BLOCK 8   /* motion works on 8x8 luma block sums */

/* Integer results of the analysis kernel for one frame. */
typedef struct
{
  guint64 n_pixels;                  /* width * height */
  guint64 sum_y;                     /* sum of luma */
  guint64 sum_y2;                    /* sum of luma squared */
  guint32 hist_y[AVE_LUMA_BINS];
  guint32 hist_u[AVE_CHROMA_BINS];
  guint32 hist_v[AVE_CHROMA_BINS];
  /* Laplacian L = 4*c - up - down - left - right over interior pixels
   * (1 <= x < w-1, 1 <= y < h-1): count, sum and sum of squares. */
  guint64 lap_n;
  gint64  lap_sum;
  guint64 lap_sum2;
  /* Against the previous frame in the sequence (zero for the first frame
   * when no previous frame is given): sum over all luma pixels of |a - b|. */
  guint64 sad_prev;
  /* Motion energy: over whole 8x8 blocks (floor(w/8) x floor(h/8)), the sum
   * of |blocksum_a - blocksum_b|, where blocksum is the sum of the block's 64
   * luma values.  Coarse, so noise cancels and real movement remains. */
  guint64 motion_prev;
  guint64 motion_blocks;
  gboolean has_prev;
} AveFrameStats;

/* Floating-point statistics derived from AveFrameStats (same for every backend). */
typedef struct
{
  double mean_luma;        /* 0..255: exposure */
  double contrast;         /* standard deviation of luma, 0..127.5 */
  double sharpness;        /* variance of the Laplacian */
  double diff_prev;        /* mean |a-b| per pixel, 0..255 */
  double motion;           /* mean |blocksum_a - blocksum_b| / 64 per block, 0..255 */
  double hist_diff_prev;   /* set by the caller from two stats: see ave_frame_stats_hist_distance */
} AveFrameMeasures;

void   ave_frame_stats_derive         (const AveFrameStats *stats,
                                       AveFrameMeasures    *out);
/* Half the L1 distance between normalised luma+chroma histograms: 0 (same) .. 1 (disjoint). */
double ave_frame_stats_hist_distance  (const AveFrameStats *a,
                                       const AveFrameStats *b);

/* One operation of a frame chain (see AveComputeFrameChain). */
typedef enum
{
  AVE_COMPUTE_CHAIN_TAKE,      /* frame = picture, scaled to the chain's size if it differs */
  AVE_COMPUTE_CHAIN_BLEND,     /* frame = blend (frame, other or black, weight) */
  AVE_COMPUTE_CHAIN_OVERLAY,   /* frame = frame with the RGBA image drawn over it */
} AveComputeChainOpKind;

typedef struct
{
  AveComputeChainOpKind kind;
  guint                 frame;        /* the working frame written */
  /* TAKE */
  AveYuvFrame           picture;
  /* BLEND: other_is_black blends towards black (Y 16, U and V 128) */
  guint                 other;
  gboolean              other_is_black;
  guint                 weight;       /* 0..256 */
  /* OVERLAY: as ave_compute_overlay_rgba */
  const guint8         *rgba;
  int                   rgba_width, rgba_height, rgba_stride;
  int                   x, y;
  guint                 opacity;      /* 1..255 */
} AveComputeChainOp;

#define AVE_COMPUTE_CHAIN_MAX_FRAMES 4

#define AVE_TYPE_COMPUTE (ave_compute_get_type ())
G_DECLARE_INTERFACE (AveCompute, ave_compute, AVE, COMPUTE, GObject)

struct _AveComputeInterface
{
  GTypeInterface parent_iface;

  const char *(*get_name)      (AveCompute *self);

  /* Analysis: stats for each of frames[0..n-1]; the "previous" frame of
   * frames[0] is `prev` (may be NULL), of frames[i] it is frames[i-1].  All
   * frames of one call have the same size. */
  gboolean (*analyze_frames)   (AveCompute         *self,
                                const AveYuvFrame  *prev,
                                const AveYuvFrame  *frames,
                                guint               n_frames,
                                AveFrameStats      *out,
                                GError            **error);

  /* Composition, all on YUV 4:2:0 frames of equal size unless stated.
   * blend: out = (a * (256 - weight) + b * weight + 128) >> 8 per sample,
   * weight in 0..256 (crossfades; a fade is a blend with a black frame).
   * `out` may alias `a`. */
  gboolean (*blend)            (AveCompute         *self,
                                const AveYuvFrame  *a,
                                const AveYuvFrame  *b,
                                guint               weight,
                                AveYuvFrame        *out,
                                GError            **error);

  /* Bilinear scale of src to dst's size, 8.8 fixed point (see ave-compute-cpu.c
   * for the exact sample positions: centre-aligned, clamped at edges). */
  gboolean (*scale)            (AveCompute         *self,
                                const AveYuvFrame  *src,
                                AveYuvFrame        *dst,
                                GError            **error);

  /* Limited-range conversions in fixed point with the YUV frame's matrix
   * (BT.709 or BT.601; see ave-compute-cpu.c).
   * rgba is width*height*4 bytes with the given stride. */
  gboolean (*yuv_to_rgba)      (AveCompute         *self,
                                const AveYuvFrame  *src,
                                guint8             *rgba,
                                int                 rgba_stride,
                                GError            **error);
  gboolean (*rgba_to_yuv)      (AveCompute         *self,
                                const guint8       *rgba,
                                int                 rgba_stride,
                                AveYuvFrame        *dst,
                                GError            **error);

  /* Alpha overlay of an RGBA image (straight alpha) at (x, y) onto dst,
   * clipped to dst, converted with dst's matrix; `opacity` 0..255
   * multiplies the image's alpha. */
  gboolean (*overlay_rgba)     (AveCompute         *self,
                                AveYuvFrame        *dst,
                                const guint8       *rgba,
                                int                 rgba_width,
                                int                 rgba_height,
                                int                 rgba_stride,
                                int                 x,
                                int                 y,
                                guint               opacity,
                                GError            **error);

  /* The fused analysis (AveComputeAnalysis below), optional: a backend
   * whose frames live apart from the host's (a GPU) keeps the scaled
   * frames where its kernels run.  NULL here: ave-compute.c composes
   * scale and analyze_frames on the host's frames, with the same results.
   * analysis_begin returns the backend's state for frames of width x height
   * (NULL when it cannot take one now: the composition runs instead);
   * analysis_add takes one picture (the caller checked it); analysis_flush
   * gives the stats of the pictures added since the last flush, the first
   * against the last picture of that flush; analysis_end frees the state. */
  gpointer (*analysis_begin)   (AveCompute         *self,
                                int                 width,
                                int                 height);
  gboolean (*analysis_add)     (AveCompute         *self,
                                gpointer            state,
                                const AveYuvFrame  *picture,
                                GError            **error);
  gboolean (*analysis_flush)   (AveCompute         *self,
                                gpointer            state,
                                AveFrameStats      *out,
                                GError            **error);
  void     (*analysis_end)     (AveCompute         *self,
                                gpointer            state);

  /* The frame chain (AveComputeFrameChain below), optional: runs a
   * frame's operations (checked, visible overlays only) with the working
   * frames where the kernels run and writes working frame `result` into
   * the host frame `out`, once.  NULL here: ave-compute.c runs the
   * kernels one after the other on host frames, with the same results. */
  gboolean (*frame_chain_run)  (AveCompute                 *self,
                                const AveComputeChainOp    *ops,
                                guint                       n_ops,
                                guint                       n_frames,
                                guint                       result,
                                AveYuvFrame                *out,
                                GError                    **error);
};

/* The kernels, for counting calls (ave_compute_get_calls). */
typedef enum
{
  AVE_COMPUTE_KERNEL_ANALYZE,
  AVE_COMPUTE_KERNEL_BLEND,
  AVE_COMPUTE_KERNEL_SCALE,
  AVE_COMPUTE_KERNEL_YUV_TO_RGBA,
  AVE_COMPUTE_KERNEL_RGBA_TO_YUV,
  AVE_COMPUTE_KERNEL_OVERLAY,
  AVE_COMPUTE_N_KERNELS
} AveComputeKernel;

/* How many times each kernel of this backend instance ran (frames for
 * ANALYZE, calls for the others), whichever backend it is: the job's
 * metrics report them, so a run shows which work its GPU really did. */
guint64     ave_compute_get_calls      (AveCompute *self, AveComputeKernel kernel);
/* "analyze_frames", "blend", "scale", "yuv_to_rgba", "rgba_to_yuv", "overlay_rgba" */
const char *ave_compute_kernel_name    (AveComputeKernel kernel);

const char *ave_compute_get_name       (AveCompute *self);
gboolean    ave_compute_analyze_frames (AveCompute *self, const AveYuvFrame *prev,
                                        const AveYuvFrame *frames, guint n_frames,
                                        AveFrameStats *out, GError **error);
gboolean    ave_compute_blend          (AveCompute *self, const AveYuvFrame *a,
                                        const AveYuvFrame *b, guint weight,
                                        AveYuvFrame *out, GError **error);
gboolean    ave_compute_scale          (AveCompute *self, const AveYuvFrame *src,
                                        AveYuvFrame *dst, GError **error);
gboolean    ave_compute_yuv_to_rgba    (AveCompute *self, const AveYuvFrame *src,
                                        guint8 *rgba, int rgba_stride, GError **error);
gboolean    ave_compute_rgba_to_yuv    (AveCompute *self, const guint8 *rgba,
                                        int rgba_stride, AveYuvFrame *dst, GError **error);
gboolean    ave_compute_overlay_rgba   (AveCompute *self, AveYuvFrame *dst,
                                        const guint8 *rgba, int rgba_width, int rgba_height,
                                        int rgba_stride, int x, int y, guint opacity,
                                        GError **error);

/* The video analysis of decoded pictures: each picture added is scaled to
 * the analysis size (as ave_compute_scale; a picture of that size is
 * copied) and the scaled frames are analysed in order (as
 * ave_compute_analyze_frames, each frame against the one before, the
 * first of a flush against the last of the flush before).  A GPU backend
 * uploads each picture once and downloads only the statistics: the
 * scaled frames never leave the device.  Every backend gives the same
 * stats as the two kernels called one after the other, and counts the
 * pictures it scales and the frames it analyses (ave_compute_get_calls).
 * After an error the analysis can only be freed. */
typedef struct _AveComputeAnalysis AveComputeAnalysis;

AveComputeAnalysis *ave_compute_analysis_new       (AveCompute          *compute,
                                                    int                  width,
                                                    int                  height);
/* The picture (any size, 4:2:0) is read before this returns. */
gboolean            ave_compute_analysis_add       (AveComputeAnalysis  *self,
                                                    const AveYuvFrame   *picture,
                                                    GError             **error);
/* Pictures added since the last flush. */
guint               ave_compute_analysis_get_n_pending (AveComputeAnalysis *self);
/* Stats of those pictures, in order, into out[0 .. n_pending - 1]. */
gboolean            ave_compute_analysis_flush     (AveComputeAnalysis  *self,
                                                    AveFrameStats       *out,
                                                    GError             **error);
void                ave_compute_analysis_free      (AveComputeAnalysis  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveComputeAnalysis, ave_compute_analysis_free)

/* One output frame of a composition as a short list of operations on
 * working frames of one size: take a picture (scaled to that size when
 * it has another), blend two working frames or one with black, draw RGBA
 * images over one; then ave_compute_frame_chain_finish writes one of them
 * into a host frame.  Nothing runs before finish: a GPU backend uploads
 * each picture and image once, runs every kernel in one submission on
 * frames that stay on the device, and downloads only the finished frame.
 * Every backend gives the same result as the kernels called one after
 * the other on host frames, and counts each kernel run
 * (ave_compute_get_calls).  The pictures and images must stay valid and
 * unchanged until finish returns.  One chain serves frame after frame. */
typedef struct _AveComputeFrameChain AveComputeFrameChain;

AveComputeFrameChain *ave_compute_frame_chain_new     (AveCompute            *compute,
                                                       int                    width,
                                                       int                    height,
                                                       AveComputeMatrix       matrix);
/* A new working frame holding `picture` (4:2:0, any size); returns its
 * index (at most AVE_COMPUTE_CHAIN_MAX_FRAMES per frame). */
guint                 ave_compute_frame_chain_take    (AveComputeFrameChain  *self,
                                                       const AveYuvFrame     *picture);
/* frame = (frame * (256 - weight) + other * weight + 128) >> 8 */
void                  ave_compute_frame_chain_blend   (AveComputeFrameChain  *self,
                                                       guint                  frame,
                                                       guint                  other,
                                                       guint                  weight);
/* The same towards black: a fade. */
void                  ave_compute_frame_chain_fade    (AveComputeFrameChain  *self,
                                                       guint                  frame,
                                                       guint                  weight);
/* As ave_compute_overlay_rgba on the working frame (in the chain's matrix). */
void                  ave_compute_frame_chain_overlay (AveComputeFrameChain  *self,
                                                       guint                  frame,
                                                       const guint8          *rgba,
                                                       int                    rgba_width,
                                                       int                    rgba_height,
                                                       int                    rgba_stride,
                                                       int                    x,
                                                       int                    y,
                                                       guint                  opacity);
/* Forgets the operations recorded since the last finish (a frame given up). */
void                  ave_compute_frame_chain_clear   (AveComputeFrameChain  *self);
/* Operations recorded since the last finish. */
guint                 ave_compute_frame_chain_get_n_ops (AveComputeFrameChain *self);
/* Runs the operations and writes working frame `frame` into `out` (the
 * chain's size); the chain is then empty for the next frame, also after
 * an error. */
gboolean              ave_compute_frame_chain_finish  (AveComputeFrameChain  *self,
                                                       guint                  frame,
                                                       AveYuvFrame           *out,
                                                       GError               **error);
void                  ave_compute_frame_chain_free    (AveComputeFrameChain  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveComputeFrameChain, ave_compute_frame_chain_free)

/* The CPU backend (always available), with the best kernels this CPU can
 * run: vectorised (AVX2 or SSE2) where the CPU has them, else the scalar
 * reference.  AVE_COMPUTE_CPU=scalar|sse2|avx2 in the environment caps the
 * choice (the tests and benches compare against "scalar"). */
AveCompute *ave_compute_cpu_new         (void);
/* The CPU backend capped at `isa` ("scalar", "sse2", "avx2"; NULL = the
 * best available); NULL when the name is none of these.  A cap above what
 * the CPU has gives what it has. */
AveCompute *ave_compute_cpu_new_for_isa (const char *isa);
/* TRUE for the CPU backend (whatever its kernels), FALSE for a device. */
gboolean    ave_compute_is_cpu          (AveCompute *compute);
/* "scalar", "sse2" or "avx2": which kernels a CPU backend runs. */
const char *ave_compute_cpu_get_isa     (AveCompute *compute);

/* The backend for these settings: Vulkan when enable_gpu is set and a device
 * is found (see docs/compute.md for AVE_VULKAN_DEVICE), else the CPU one.
 * `notice` (nullable) receives a one-line message saying which device runs,
 * or why the CPU path runs instead. */
AveCompute *ave_compute_new_for_settings (gboolean   enable_gpu,
                                          guint64    gpu_memory_bytes,
                                          char     **notice);

G_END_DECLS
