#version 450
#extension GL_GOOGLE_include_directive : require
/* yuv2rgba.comp — limited range YUV 4:2:0 -> RGBA, nearest chroma, with
 * the frame's matrix (coefficients from the host).
 *
 * Each invocation converts the 4 pixels of one luma word; their chroma
 * samples (x/2 for an x that is a multiple of 4, and x/2 + 1) always share
 * one chroma word.  Output is one RGBA word per pixel, rows of `width` words. */

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

#include "ave-common.glsl"

layout(push_constant) uniform Params
{
  uint y_offset, u_offset, v_offset;
  uint y_stride, c_stride;
  uint width, height;
  uint out_offset;
  int cy, crv, cgu, cgv, cbu;
} pc;

void
main ()
{
  uint word_x = gl_GlobalInvocationID.x;
  uint y = gl_GlobalInvocationID.y;
  if (y >= pc.height || word_x * 4u >= pc.width)
    return;

  uint yw = inbuf.data[pc.y_offset + y * pc.y_stride + word_x];
  uint cword = (y >> 1) * pc.c_stride + (word_x >> 1);
  uint uw = inbuf.data[pc.u_offset + cword];
  uint vw = inbuf.data[pc.v_offset + cword];
  uint cshift = (word_x & 1u) * 2u;   /* which half of the chroma word */

  for (uint k = 0u; k < 4u; k++)
    {
      uint x = word_x * 4u + k;
      if (x >= pc.width)
        break;
      int c = pc.cy * (int (byte_of (yw, k)) - 16);
      int u = int (byte_of (uw, cshift + (k >> 1))) - 128;
      int v = int (byte_of (vw, cshift + (k >> 1))) - 128;
      uint r = clamp8 ((c + pc.crv * v + 32768) >> 16);
      uint g = clamp8 ((c - pc.cgu * u - pc.cgv * v + 32768) >> 16);
      uint b = clamp8 ((c + pc.cbu * u + 32768) >> 16);
      outbuf.data[pc.out_offset + y * pc.width + x] = pack4 (r, g, b, 255u);
    }
}
