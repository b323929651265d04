#version 450
#extension GL_GOOGLE_include_directive : require
/* overlay.comp — straight-alpha RGBA image over a YUV 4:2:0 frame.
 *
 * Only the words the image touches travel: the host uploads the luma words
 * [lx0, lx0 + l_stride) of rows [dy0, dy1), the chroma words
 * [cwx0, cwx0 + c_stride) of rows [cy0, cy1) of U and V, and the covered part
 * of the image (rows of (dx1 - dx0) RGBA words).  The kernel writes the same
 * regions back; samples outside the covered rectangle are copied unchanged.
 * Formulas (rounding included) are those of the CPU backend. */

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

#include "ave-common.glsl"

layout(push_constant) uniform Params
{
  uint width, height;          /* the destination frame */
  uint dx0, dy0, dx1, dy1;     /* covered destination rectangle (exclusive ends) */
  uint lx0, l_stride;          /* luma region: first word, words per row */
  uint cwx0, c_stride;         /* chroma region: first word, words per row */
  uint cy0, cy1;               /* chroma rows */
  uint in_y, in_u, in_v, in_img;
  uint out_y, out_u, out_v;
  uint opacity;
  int yr, yg, yb, ur, ug, ub, vr, vg, vb;   /* the frame's matrix */
} pc;

uint
image_pixel (uint px, uint py)
{
  return inbuf.data[pc.in_img + (py - pc.dy0) * (pc.dx1 - pc.dx0) + (px - pc.dx0)];
}

int
pixel_alpha (uint p)
{
  return (int (byte_of (p, 3u)) * int (pc.opacity) + 127) / 255;
}

void
main ()
{
  uint word_x = gl_GlobalInvocationID.x;
  uint row = gl_GlobalInvocationID.y;

  if (gl_GlobalInvocationID.z == 0u)
    {
      if (word_x >= pc.l_stride || row >= pc.dy1 - pc.dy0)
        return;
      uint dy = pc.dy0 + row;
      uint i = row * pc.l_stride + word_x;
      uint word = inbuf.data[pc.in_y + i];
      uint result = 0u;
      for (uint k = 0u; k < 4u; k++)
        {
          uint px = (pc.lx0 + word_x) * 4u + k;
          uint v = byte_of (word, k);
          if (px >= pc.dx0 && px < pc.dx1)
            {
              uint p = image_pixel (px, dy);
              int a = pixel_alpha (p);
              int yp = int (rgb_dot (int (byte_of (p, 0u)), int (byte_of (p, 1u)), int (byte_of (p, 2u)),
                                      pc.yr, pc.yg, pc.yb, RGB_Y_OFFSET));
              v = uint ((int (v) * (255 - a) + yp * a + 127) / 255);
            }
          result |= v << (8u * k);
        }
      outbuf.data[pc.out_y + i] = result;
      return;
    }

  if (word_x >= pc.c_stride || row >= pc.cy1 - pc.cy0)
    return;
  uint cy = pc.cy0 + row;
  uint i = row * pc.c_stride + word_x;
  uint uword = inbuf.data[pc.in_u + i];
  uint vword = inbuf.data[pc.in_v + i];
  uint rows = (2u * cy + 1u < pc.height) ? 2u : 1u;
  uint ures = 0u, vres = 0u;
  for (uint k = 0u; k < 4u; k++)
    {
      uint cx = (pc.cwx0 + word_x) * 4u + k;
      uint u = byte_of (uword, k), v = byte_of (vword, k);
      uint cols = (2u * cx + 1u < pc.width) ? 2u : 1u;
      int n255 = 255 * int (rows * cols);
      int sa = 0, su = 0, sv = 0;
      for (uint r = 0u; r < rows; r++)
        {
          uint py = 2u * cy + r;
          if (py < pc.dy0 || py >= pc.dy1)
            continue;
          for (uint c = 0u; c < cols; c++)
            {
              uint px = 2u * cx + c;
              if (px < pc.dx0 || px >= pc.dx1)
                continue;
              uint p = image_pixel (px, py);
              int a = pixel_alpha (p);
              int R = int (byte_of (p, 0u)), G = int (byte_of (p, 1u)), B = int (byte_of (p, 2u));
              sa += a;
              su += a * int (rgb_dot (R, G, B, pc.ur, pc.ug, pc.ub, RGB_UV_OFFSET));
              sv += a * int (rgb_dot (R, G, B, pc.vr, pc.vg, pc.vb, RGB_UV_OFFSET));
            }
        }
      if (sa != 0)
        {
          u = uint ((int (u) * (n255 - sa) + su + n255 / 2) / n255);
          v = uint ((int (v) * (n255 - sa) + sv + n255 / 2) / n255);
        }
      ures |= u << (8u * k);
      vres |= v << (8u * k);
    }
  outbuf.data[pc.out_u + i] = ures;
  outbuf.data[pc.out_v + i] = vres;
}
