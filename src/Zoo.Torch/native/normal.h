// Standard normal draws with libtorch's bits, faster (see normal.cpp).
#pragma once
#include <cstdint>

namespace zoo_normal {

// Turns the uniforms in [0, 1) at data[16 b0, 16 b1) into standard normal draws, 16 at a time, as libtorch's AVX2
// normal_fill turns them (a CPU with AVX2 and FMA only) (Box-Muller on [u1 | u2] halves of each 16). Blocks are independent: the pair takes a range.
void box_muller_blocks(float* data, int64_t b0, int64_t b1);

}  // namespace zoo_normal
