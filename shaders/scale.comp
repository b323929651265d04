#version 450
#extension GL_GOOGLE_include_directive : require
/* scale.comp — bilinear 8.8 fixed-point scale of one plane per z.
 *
 * The centre-aligned source positions need a 64-bit product, so the host
 * computes them once per call into tables (the same function the CPU
 * backend uses): per destination column/row one word, x0 | fx << 24.  Each
 * invocation writes one destination word (4 samples). */

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

#include "ave-common.glsl"

layout(push_constant) uniform Params
{
  uint src_offset[3];
  uint src_stride_y, src_stride_c;
  uint src_w, src_h, src_cw, src_ch;
  uint dst_offset[3];
  uint dst_stride_y, dst_stride_c;
  uint dst_w, dst_h, dst_cw, dst_ch;
  uint xtab_y, ytab_y, xtab_c, ytab_c;
} pc;

void
main ()
{
  uint plane = gl_GlobalInvocationID.z;
  bool luma = plane == 0u;
  uint word_x = gl_GlobalInvocationID.x;
  uint y = gl_GlobalInvocationID.y;
  uint dw = luma ? pc.dst_w : pc.dst_cw;
  uint dh = luma ? pc.dst_h : pc.dst_ch;
  uint sw = luma ? pc.src_w : pc.src_cw;
  uint sstride = luma ? pc.src_stride_y : pc.src_stride_c;
  uint dstride = luma ? pc.dst_stride_y : pc.dst_stride_c;

  if (y >= dh || word_x >= dstride)
    return;

  uint ytab = inbuf.data[(luma ? pc.ytab_y : pc.ytab_c) + y];
  uint sh = luma ? pc.src_h : pc.src_ch;
  uint y0 = ytab & 0xffffffu;
  uint y1 = min (y0 + 1u, sh - 1u);
  uint fy = ytab >> 24;
  uint base = pc.src_offset[plane];
  uint xtab_base = luma ? pc.xtab_y : pc.xtab_c;
  uint result = 0u;

  for (uint k = 0u; k < 4u; k++)
    {
      uint x = word_x * 4u + k;
      if (x >= dw)
        break;
      uint xtab = inbuf.data[xtab_base + x];
      uint x0 = xtab & 0xffffffu;
      uint x1 = min (x0 + 1u, sw - 1u);
      uint fx = xtab >> 24;
      uint top = in_sample (base, sstride, x0, y0) * (256u - fx) + in_sample (base, sstride, x1, y0) * fx;
      uint bottom = in_sample (base, sstride, x0, y1) * (256u - fx) + in_sample (base, sstride, x1, y1) * fx;
      result |= ((top * (256u - fy) + bottom * fy + 32768u) >> 16) << (8u * k);
    }
  outbuf.data[pc.dst_offset[plane] + y * dstride + word_x] = result;
}
