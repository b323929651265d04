#version 450
#extension GL_GOOGLE_include_directive : require
/* rgba2yuv.comp — RGBA -> limited range YUV 4:2:0 with the frame's matrix
 * (coefficients from the host; alpha ignored).
 *
 * z = 0: one luma word (4 pixels) per invocation.  z = 1: one U word and the
 * matching V word (4 chroma samples); each sample averages the per-pixel
 * rounded U/V of the 1, 2 or 4 pixels it covers, rounding once, exactly as
 * the CPU backend does.  Input rows are `width` RGBA words. */

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

#include "ave-common.glsl"

layout(push_constant) uniform Params
{
  uint in_offset;
  uint width, height, cwidth, cheight;
  uint y_offset, u_offset, v_offset;
  uint y_stride, c_stride;
  int yr, yg, yb, ur, ug, ub, vr, vg, vb;
} pc;

void
main ()
{
  uint word_x = gl_GlobalInvocationID.x;
  uint row = gl_GlobalInvocationID.y;

  if (gl_GlobalInvocationID.z == 0u)
    {
      if (row >= pc.height || word_x >= pc.y_stride)
        return;
      uint result = 0u;
      for (uint k = 0u; k < 4u; k++)
        {
          uint x = word_x * 4u + k;
          if (x >= pc.width)
            break;
          uint p = inbuf.data[pc.in_offset + row * pc.width + x];
          result |= rgb_dot (int (byte_of (p, 0u)), int (byte_of (p, 1u)), int (byte_of (p, 2u)),
                            pc.yr, pc.yg, pc.yb, RGB_Y_OFFSET) << (8u * k);
        }
      outbuf.data[pc.y_offset + row * pc.y_stride + word_x] = result;
      return;
    }

  if (row >= pc.cheight || word_x >= pc.c_stride)
    return;
  uint rows = (2u * row + 1u < pc.height) ? 2u : 1u;
  uint ures = 0u, vres = 0u;
  for (uint k = 0u; k < 4u; k++)
    {
      uint cx = word_x * 4u + k;
      if (cx >= pc.cwidth)
        break;
      uint cols = (2u * cx + 1u < pc.width) ? 2u : 1u;
      int n = int (rows * cols);
      int su = 0, sv = 0;
      for (uint r = 0u; r < rows; r++)
        for (uint c = 0u; c < cols; c++)
          {
            uint p = inbuf.data[pc.in_offset + (2u * row + r) * pc.width + 2u * cx + c];
            int R = int (byte_of (p, 0u)), G = int (byte_of (p, 1u)), B = int (byte_of (p, 2u));
            su += int (rgb_dot (R, G, B, pc.ur, pc.ug, pc.ub, RGB_UV_OFFSET));
            sv += int (rgb_dot (R, G, B, pc.vr, pc.vg, pc.vb, RGB_UV_OFFSET));
          }
      ures |= uint ((su + n / 2) / n) << (8u * k);
      vres |= uint ((sv + n / 2) / n) << (8u * k);
    }
  outbuf.data[pc.u_offset + row * pc.c_stride + word_x] = ures;
  outbuf.data[pc.v_offset + row * pc.c_stride + word_x] = vres;
}
