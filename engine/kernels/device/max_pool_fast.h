// max_pool_s8_fast: int8 MAX_POOL_2D on Cortex-M4/M7/M33 (DSP extension), byte for byte the
// results of max_pool_s8 (max_pool.h), which stays the oracle (issue 16): XiNet's 2x2 pools.
//
// Per output pixel, 4 channels a word: each window cell's word against the running maximum by
// SSUB8 (the GE flags of the 4 signed byte lanes) and SEL (3 instructions per 4 values
// instead of about 5 per value), from -128 in every lane (a window with no cell inside the
// input stays there, as max_pool_s8's), then the activation range the same way; channels
// beyond a multiple of 4 one at a time.
//
// Built with __ARM_FEATURE_DSP the lane maximum is SSUB8 + SEL; elsewhere (the host) portable
// C++ with the same semantics, so the host tests exercise the same loop.
//
// Usage (firmware; same params as max_pool_s8):
//   tinyscale::device::max_pool_s8_fast(pool1_params, arena + 0, arena + 9216, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/max_pool.h"

namespace tinyscale::device {

// Must not overlap the input. Scratch: none (may be null).
void max_pool_s8_fast(const MaxPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                      std::int8_t* scratch);

// Scratch bytes max_pool_s8_fast needs (none).
std::int32_t max_pool_s8_fast_scratch_bytes(const MaxPoolS8Params& p);

}  // namespace tinyscale::device
