#version 450
#extension GL_GOOGLE_include_directive : require
/* frame-stats.comp — the analysis kernel: AveFrameStats for a batch of frames.
 *
 * One dispatch covers the batch: workgroup z is the frame, x/y a 64x16 luma
 * tile (16x16 invocations, 4 luma samples each) and the matching 32x8 chroma
 * tile (one chroma sample each).  Sums that can pass 32 bits over a frame
 * (sum_y2, lap_sum2) stay far below it over one tile, so every tile writes its
 * own 32-bit partial sums and the host adds them into 64-bit totals.
 * Histograms are counts (< 2^32 per frame), so tiles add their shared-memory
 * histograms into the frame's global one with atomics.
 *
 * Input buffer: slot 0 = the previous frame (if any), slots 1..n = the frames,
 * each `frame_words` long: Y, then U, then V (packed, see ave-common.glsl).
 * Output per frame, `out_frame_words` long: 96 histogram words
 * (64 Y, 16 U, 16 V; zeroed by the host before the dispatch), then per tile
 * TILE_WORDS partials. */

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

#include "ave-common.glsl"

layout(push_constant) uniform Params
{
  uint width, height;        /* luma */
  uint cwidth, cheight;      /* chroma */
  uint y_stride, c_stride;   /* words per row */
  uint in_offset;            /* word offset of slot 0 */
  uint frame_words;
  uint first_has_prev;       /* slot 0 holds a previous frame */
  uint out_offset;
  uint out_frame_words;
  uint tiles_x;
} pc;

#define HIST_WORDS 96u
#define TILE_WORDS 6u
#define T_SUM     0u
#define T_SUM2    1u
#define T_LAPSUM  2u
#define T_LAPSUM2 3u
#define T_SAD     4u
#define T_MOTION  5u

shared uint s_hist[HIST_WORDS];
shared uint s_sum, s_sum2, s_lap2, s_sad, s_motion;
shared int  s_lap;
shared uint s_block_cur[16];   /* 8 x 2 blocks of 8x8 per tile */
shared uint s_block_prev[16];

void
main ()
{
  uint li = gl_LocalInvocationIndex;
  uint frame = gl_WorkGroupID.z;
  bool has_prev = frame > 0u || pc.first_has_prev != 0u;
  uint cur_base = pc.in_offset + (frame + 1u) * pc.frame_words;
  uint prev_base = pc.in_offset + frame * pc.frame_words;
  uint tile_x0 = gl_WorkGroupID.x * 64u;
  uint tile_y0 = gl_WorkGroupID.y * 16u;

  if (li < HIST_WORDS)
    s_hist[li] = 0u;
  if (li < 16u)
    {
      s_block_cur[li] = 0u;
      s_block_prev[li] = 0u;
    }
  if (li == 0u)
    {
      s_sum = 0u; s_sum2 = 0u; s_lap = 0; s_lap2 = 0u; s_sad = 0u; s_motion = 0u;
    }
  barrier ();

  uint x0 = tile_x0 + gl_LocalInvocationID.x * 4u;
  uint y = tile_y0 + gl_LocalInvocationID.y;
  uint word_x = x0 >> 2;

  if (y < pc.height && x0 < pc.width)
    {
      uint row = cur_base + y * pc.y_stride;
      uint c = inbuf.data[row + word_x];
      /* Neighbour words only feed the Laplacian, which needs 1 <= y < h-1. */
      bool interior_row = y >= 1u && y + 1u < pc.height;
      uint up = interior_row ? inbuf.data[row - pc.y_stride + word_x] : 0u;
      uint down = interior_row ? inbuf.data[row + pc.y_stride + word_x] : 0u;
      uint left = (interior_row && word_x > 0u) ? inbuf.data[row + word_x - 1u] : 0u;
      uint right = (interior_row && word_x + 1u < pc.y_stride) ? inbuf.data[row + word_x + 1u] : 0u;
      uint p = has_prev ? inbuf.data[prev_base + y * pc.y_stride + word_x] : 0u;

      uint sum = 0u, sum2 = 0u, lap2 = 0u, sad = 0u, block_cur = 0u, block_prev = 0u;
      int lap = 0;
      for (uint k = 0u; k < 4u; k++)
        {
          uint x = x0 + k;
          if (x >= pc.width)
            break;
          uint v = byte_of (c, k);
          sum += v;
          sum2 += v * v;
          atomicAdd (s_hist[v >> 2], 1u);
          if (interior_row && x >= 1u && x + 1u < pc.width)
            {
              uint l = k == 0u ? byte_of (left, 3u) : byte_of (c, k - 1u);
              uint r = k == 3u ? byte_of (right, 0u) : byte_of (c, k + 1u);
              int L = 4 * int (v) - int (byte_of (up, k)) - int (byte_of (down, k)) - int (l) - int (r);
              lap += L;
              lap2 += uint (L * L);
            }
          if (has_prev)
            {
              uint pv = byte_of (p, k);
              sad += uint (abs (int (v) - int (pv)));
              block_prev += pv;
            }
          block_cur += v;
        }
      atomicAdd (s_sum, sum);
      atomicAdd (s_sum2, sum2);
      atomicAdd (s_lap, lap);
      atomicAdd (s_lap2, lap2);
      atomicAdd (s_sad, sad);

      /* The 4 samples lie in one 8x8 block (x0 is a multiple of 4); only
       * whole blocks count, and a whole block never crosses the right edge. */
      if (has_prev && (x0 >> 3) < pc.width / 8u && (y >> 3) < pc.height / 8u)
        {
          uint b = ((x0 - tile_x0) >> 3) + ((y - tile_y0) >> 3) * 8u;
          atomicAdd (s_block_cur[b], block_cur);
          atomicAdd (s_block_prev[b], block_prev);
        }
    }

  uint cx = tile_x0 / 2u + (li & 31u);
  uint cy = tile_y0 / 2u + (li >> 5);
  if (cx < pc.cwidth && cy < pc.cheight)
    {
      uint u_base = cur_base + pc.height * pc.y_stride;
      uint v_base = u_base + pc.cheight * pc.c_stride;
      atomicAdd (s_hist[64u + (in_sample (u_base, pc.c_stride, cx, cy) >> 4)], 1u);
      atomicAdd (s_hist[80u + (in_sample (v_base, pc.c_stride, cx, cy) >> 4)], 1u);
    }
  barrier ();

  if (li < 16u)
    {
      uint a = s_block_cur[li], b = s_block_prev[li];
      uint d = a > b ? a - b : b - a;
      if (d != 0u)
        atomicAdd (s_motion, d);
    }
  barrier ();

  uint out_base = pc.out_offset + frame * pc.out_frame_words;
  if (li < HIST_WORDS && s_hist[li] != 0u)
    atomicAdd (outbuf.data[out_base + li], s_hist[li]);
  if (li == 0u)
    {
      uint t = out_base + HIST_WORDS
               + (gl_WorkGroupID.y * pc.tiles_x + gl_WorkGroupID.x) * TILE_WORDS;
      outbuf.data[t + T_SUM] = s_sum;
      outbuf.data[t + T_SUM2] = s_sum2;
      outbuf.data[t + T_LAPSUM] = uint (s_lap);
      outbuf.data[t + T_LAPSUM2] = s_lap2;
      outbuf.data[t + T_SAD] = s_sad;
      outbuf.data[t + T_MOTION] = s_motion;
    }
}
