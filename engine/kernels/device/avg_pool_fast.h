// avg_pool_s8_fast: int8 AVERAGE_POOL_2D on Cortex-M4/M7/M33 (DSP extension), byte for byte
// the results of avg_pool_s8 (avg_pool.h), which stays the oracle (issue 16).
//
// Applies (avg_pool_s8_fast_applies): channels % 4 == 0 and windows of at most 256 cells. Per
// output pixel, each group of 4 channels sums its window with two SXTAB16 per input word (the
// even and the odd channels' 16-bit lanes: 3 instructions per 4 values instead of about 9 per
// value); 256 cells of -128..127 stay within a lane's int16 range, so the sums are exact.
// Then avg_pool_s8's own division (rounded half away from zero over the cells inside the
// input) and clamp. The MLPerf DS-CNN's 25x5 average pool: 72.4 K -> 18.6 K instructions (M7).
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics; elsewhere (the host)
// portable C++ with the same semantics, so the host tests exercise the same loop.
//
// Usage (firmware; same params as avg_pool_s8):
//   tinyscale::device::avg_pool_s8_fast(pool_params, arena + 0, arena + 8000, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/avg_pool.h"

namespace tinyscale::device {

// Requires avg_pool_s8_fast_applies(p); scratch: none (may be null).
void avg_pool_s8_fast(const AvgPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                      std::int8_t* scratch);

// Whether avg_pool_s8_fast handles these params.
bool avg_pool_s8_fast_applies(const AvgPoolS8Params& p);

// Scratch bytes avg_pool_s8_fast needs (none).
std::int32_t avg_pool_s8_fast_scratch_bytes(const AvgPoolS8Params& p);

}  // namespace tinyscale::device
