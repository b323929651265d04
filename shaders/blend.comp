#version 450
#extension GL_GOOGLE_include_directive : require
/* blend.comp — out = (a * (256 - weight) + b * weight + 128) >> 8 per sample.
 *
 * a, b and out share one packed layout, so the three planes are one flat run
 * of words and padding bytes are harmless.  Two samples are blended at once
 * in the 16-bit lanes of a 32-bit word: a lane never exceeds
 * 255 * 256 + 128 < 2^16, so the result is exact. */

layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

#include "ave-common.glsl"

layout(push_constant) uniform Params
{
  uint a_offset, b_offset, out_offset;
  uint n_words;
  uint weight;     /* 0..256 */
  uint groups_x;   /* the dispatch is folded into 2D past 65535 groups */
} pc;

void
main ()
{
  uint i = (gl_WorkGroupID.y * pc.groups_x + gl_WorkGroupID.x) * 256u + gl_LocalInvocationID.x;
  if (i >= pc.n_words)
    return;

  uint a = inbuf.data[pc.a_offset + i];
  uint b = inbuf.data[pc.b_offset + i];
  uint wb = pc.weight;
  uint wa = 256u - wb;
  const uint lanes = 0x00ff00ffu;
  const uint half_ = 0x00800080u;

  uint even = (((a & lanes) * wa + (b & lanes) * wb + half_) >> 8) & lanes;
  uint odd = (((a >> 8) & lanes) * wa + ((b >> 8) & lanes) * wb + half_) & ~lanes;
  outbuf.data[pc.out_offset + i] = even | odd;
}
