// fully_connected_s8_fast: int8 FULLY_CONNECTED on Cortex-M4/M7/M33 (DSP extension) as a
// register-blocked GEMV, byte for byte the results of fully_connected_s8
// (fully_connected.h), which stays the oracle (issue 16).
//
// Applies (fully_connected_s8_fast_applies): symmetric weights (weight_offset 0: TFLite's
// int8 scheme, per-tensor or per-channel), and an input whose rows start on a word boundary
// (in_features % 4 == 0, or one batch). The caller (the code generator) checks it and never
// calls it in place. Each batch row runs 4 output rows x 4 input features per step: the rows'
// 16 weight bytes loaded by one LDM and sign-extended (SXTB16, SXTB16 ROR #8), two
// multiply-accumulates per SMLAD, the 4 input bytes sign-extended to two 16-bit pairs shared
// by the 4 rows; the loop's compare and branch once per 8 steps. Rows past the last multiple
// of 4 run one at a time. The output stage is requantize_s8's, in about 9 instructions for
// TFLite's usual per-tensor requantization (right shift 1..31, the whole int8 range), with
// QADD rounding where the shift allows it, dsp.h's otherwise.
//
// Scratch: none required. Given the optional scratch (2 x in_features bytes, where the short
// output stage serves the layer, in_features % 4 == 0 and there are at least two row blocks:
// the figure of fully_connected_s8_fast_optional_scratch_bytes), the kernel sign-extends each
// input row once into it, as the pairs the loop multiplies, and the blocks load a step's input
// with one LDRD: 18 instructions per 16 MACs instead of 20. The engine's prepare reports that
// figure (NodeContext::optional_scratch_bytes) and the deployment plan hands the bytes over
// only where they cost no arena byte (engine::plan_arena_for_deployment); any other caller
// passes nullptr or that many 4-byte-aligned bytes.
//
// Generation-time work (the generated package stores these arrays instead of the originals,
// the same byte counts):
//   - fully_connected_s8_fold_bias: folded[o] = bias[o] + input_offset * sum_k w[o][k]
//     (wrapping int32: the reference accumulator's value mod 2^32), so the inner loop
//     multiplies raw int8 inputs;
//   - fully_connected_s8_fast_reorder_weights: each block of 4 rows interleaved in 4-feature
//     steps (row 0's 4 weights, row 1's, row 2's, row 3's, next step...), the block's
//     in_features % 4 trailing weights after them row by row; rows past the last block of 4
//     stay [row][in_features]. One pointer then walks the block in the loop's order.
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics; elsewhere (the host)
// portable C++ with the same semantics, so the host tests exercise the same loop. The input
// and the weights must be 4-byte aligned on the device (the arena and the package's arrays
// are).
//
// Usage (firmware; same params as fully_connected_s8):
//   tinyscale::device::fully_connected_s8_fast(fc1_params, arena + 0, fc1_weights_reordered,
//                                              fc1_folded_bias, arena + 640, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/fully_connected.h"

namespace tinyscale::device {

// Requires fully_connected_s8_fast_applies(p), output != input, the reordered weights and the
// folded bias (never null); scratch: nullptr or the optional scratch (below).
void fully_connected_s8_fast(const FullyConnectedS8Params& p, const std::int8_t* input,
                             const std::int8_t* weights, const std::int32_t* folded_bias,
                             std::int8_t* output, std::int8_t* scratch);

// Whether fully_connected_s8_fast handles these params.
bool fully_connected_s8_fast_applies(const FullyConnectedS8Params& p);

// The bias with the input zero-point term folded in (weights in the original [out, in]
// layout; bias may be null: zeros). folded holds out_features values.
void fully_connected_s8_fold_bias(const FullyConnectedS8Params& p, const std::int8_t* weights,
                                  const std::int32_t* bias, std::int32_t* folded);

// The weights [out_features, in_features] in the kernel's access order (above); `out` holds
// out_features * in_features bytes and must not overlap `in`.
void fully_connected_s8_fast_reorder_weights(const FullyConnectedS8Params& p, const std::int8_t* in,
                                             std::int8_t* out);

// Scratch bytes fully_connected_s8_fast needs (none).
std::int32_t fully_connected_s8_fast_scratch_bytes(const FullyConnectedS8Params& p);

// Scratch bytes it uses when given them (above), or 0 where it would not use any (also where
// fully_connected_s8_fast does not apply).
std::int32_t fully_connected_s8_fast_optional_scratch_bytes(const FullyConnectedS8Params& p);

}  // namespace tinyscale::device
