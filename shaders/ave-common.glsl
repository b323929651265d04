/* ave-common.glsl — shared by every compute shader.
 *
 * Frames travel as 32-bit words: a plane row is packed 4 samples per word
 * (sample x sits in bits 8*(x&3) of word x>>2), rows padded to whole words.
 * Packing avoids the optional 8-bit storage extension and lets each
 * invocation write one whole word, so no two invocations share a word. */

layout(std430, set = 0, binding = 0) readonly buffer InBuffer  { uint data[]; } inbuf;
layout(std430, set = 0, binding = 1)          buffer OutBuffer { uint data[]; } outbuf;

uint
byte_of (uint word, uint i)
{
  return (word >> (i * 8u)) & 0xffu;
}

/* Sample (x, y) of a packed plane starting at word `base` with `stride` words per row. */
uint
in_sample (uint base, uint stride, uint x, uint y)
{
  return byte_of (inbuf.data[base + y * stride + (x >> 2)], x & 3u);
}

uint
pack4 (uint a, uint b, uint c, uint d)
{
  return a | (b << 8) | (c << 16) | (d << 24);
}

uint
clamp8 (int v)
{
  return uint (clamp (v, 0, 255));
}

/* Limited-range RGB -> YUV in 16.16 fixed point: the same rounding as
 * ave-compute-cpu.c (see docs/compute.md); the coefficients of the frame's
 * matrix (BT.709 or BT.601) come from the host's table in push constants.
 * ">>" on int is an arithmetic shift in GLSL, as it is in GCC, so negative
 * sums agree. */
uint
rgb_dot (int r, int g, int b, int kr, int kg, int kb, int offset)
{
  return clamp8 ((kr * r + kg * g + kb * b + offset) >> 16);
}

#define RGB_Y_OFFSET  ((16 << 16) + 32768)
#define RGB_UV_OFFSET ((128 << 16) + 32768)
