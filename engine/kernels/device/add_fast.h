// add_s8_fast: int8 ADD on Cortex-M4/M7/M33 (DSP extension), byte for byte the results of
// add_s8 (add.h), which stays the oracle (issue 16): PhiNet's residuals and XiNet's skip
// connections (two tensors of one shape), and a [.., C] operand over [N, H, W, C].
//
// Any shape add_s8 takes; the elementwise case runs as one row, the channel broadcast as one
// row per pixel (the sum commutes), any other broadcast walks add_s8's loops. Per value, with
// TFLite's left shift of 20 and v = (x + offset) (|v| <= 383 for int8 zero points):
//   - each input's doubling high multiply of v * 2^20 as one SMMULR of v * 2^21 (the offset
//     folded in: one ADD with a shifted operand), exact where the doubled value fits int32,
//     which it does (|v * 2^21| < 2^30); its rounding right shift as one floor shift,
//     (h + 2^(rs-1) - [h < 0]) >> rs, with no rounding term for a shift of 0 (the larger
//     input scale's);
//   - the sum (|sum| < 2^30, so its double fits too) through the output's SMMULR and floor
//     shift, the output offset, SSAT #8 and the activation range;
// about 27 instructions a value against about 130 for add_s8's broadcast loop. Params
// outside those bounds (add_s8_fast_short_stage false) keep add_s8's arithmetic.
//
// `output` may alias the input with the output's shape (each value is read before it is
// written), as add_s8's. Scratch: none.
//
// Usage (firmware; same params as add_s8):
//   tinyscale::device::add_s8_fast(add1_params, arena + 0, arena + 128, arena + 0, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/add.h"

namespace tinyscale::device {

void add_s8_fast(const AddS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
                 std::int8_t* output, std::int8_t* scratch);

// Whether the fast arithmetic serves these params: every shift in [-31, 0], multipliers >= 0,
// the input offsets in [-255, 255] and the output offset an int8 value.
bool add_s8_fast_short_stage(const AddS8Params& p);

// Scratch bytes add_s8_fast needs (none).
std::int32_t add_s8_fast_scratch_bytes(const AddS8Params& p);

}  // namespace tinyscale::device
