// global_avg_pool_s8_fast: int8 MEAN over H and W on Cortex-M4/M7/M33 (DSP extension), byte
// for byte the results of global_avg_pool_s8 (global_avg_pool.h), which stays the oracle
// (issue 16): PhiNet's squeeze-excite pools and the classifiers' global pools.
//
// Per group of 4 channels, the sums over the pixels run with two SXTAB16 per input word (the
// even and the odd channels' 16-bit lanes: 3 instructions per 4 values instead of about 4
// per value), folded into int32 every 256 pixels (256 values of -128..127 fit a lane), so
// they are exact for any map; the channels beyond a multiple of 4 add one at a time. Then
// global_avg_pool_s8's own requantization per channel.
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics; elsewhere (the host)
// portable C++ with the same semantics, so the host tests exercise the same loop.
//
// Usage (firmware; same params as global_avg_pool_s8):
//   tinyscale::device::global_avg_pool_s8_fast(gap_params, arena + 0, arena + 2304, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/global_avg_pool.h"

namespace tinyscale::device {

// Scratch: none (may be null).
void global_avg_pool_s8_fast(const GlobalAvgPoolS8Params& p, const std::int8_t* input,
                             std::int8_t* output, std::int8_t* scratch);

// Scratch bytes global_avg_pool_s8_fast needs (none).
std::int32_t global_avg_pool_s8_fast_scratch_bytes(const GlobalAvgPoolS8Params& p);

}  // namespace tinyscale::device
