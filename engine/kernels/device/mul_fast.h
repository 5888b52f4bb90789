// mul_s8_fast: int8 MUL on Cortex-M4/M7/M33 (DSP extension), byte for byte the results of
// mul_s8 (mul.h), which stays the oracle (issue 16): PhiNet's squeeze-excite gate
// ([1,H,W,C] x [1,1,1,C]) and XiNet's attention (two tensors of one shape).
//
// Any shape mul_s8 takes. The elementwise case (both inputs the output's shape) runs as one
// row; the channel broadcast (one input [.., C] repeated over every pixel of the other, in
// either order: the product commutes) as one row per pixel against the same C values; any
// other broadcast walks mul_s8's loops with the same per-element stage.
// A row takes 4 values of each input per word: SXTAB16 adds the input offsets to two lanes at
// once, SMULBB / SMULTT form the products (a + o1)(b + o2), |product| <= 255^2. The stage:
//   - short (mul_s8_fast_short_stage: TFLite's usual MUL, a right shift rs of 1..23): the
//     doubling high multiply as one SMMULR of 2 x product (dsp.h's short stage: exact where
//     2 x product fits, which it always does here), then
//     q = (high + 2^(rs-1) - [high < 0] + output_offset * 2^rs) >> rs, which is the rounding
//     right shift and the offset in one floor shift (the sum stays within int32: |high| <
//     2^17, 2^(rs-1) + 128 * 2^rs <= 2^31 - 2^22), clamped by SSAT #8 (and the activation
//     range where it is narrower than int8's): about 10 instructions per value, against
//     about 80 for mul_s8's broadcast loop;
//   - otherwise mul_s8's multiply_by_quantized_multiplier per value.
//
// `output` may alias the input with the output's shape (each word is read before it is
// written), as mul_s8's. Scratch: none.
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics; elsewhere (the host)
// portable C++ with the same semantics, so the host tests exercise the same loop.
//
// Usage (firmware; same params as mul_s8):
//   tinyscale::device::mul_s8_fast(se_mul_params, arena + 0, arena + 1152, arena + 0, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/mul.h"

namespace tinyscale::device {

void mul_s8_fast(const MulS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
                 std::int8_t* output, std::int8_t* scratch);

// Whether the short stage serves these params: output_shift in [-23, -1], a multiplier in
// [0, 2^31), the output offset an int8 value, the input offsets in [-255, 255] (the products
// then fit the bounds above; the engine's int8 zero points always do).
bool mul_s8_fast_short_stage(const MulS8Params& p);

// Scratch bytes mul_s8_fast needs (none).
std::int32_t mul_s8_fast_scratch_bytes(const MulS8Params& p);

}  // namespace tinyscale::device
