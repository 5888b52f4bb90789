// lut_s8: an element-wise int8 function as a 256-entry table, output[i] =
// table[input[i] + 128]. The code generator fills the table at generation time by running the
// op's own device kernel (sigmoid_s8, tanh_s8, hard_swish_s8, ...) over the 256 int8 inputs
// (engine::activation_table_s8, engine/activation_fusion.h), so the call is bit for bit that
// kernel's by construction, in about three instructions per element (issue 16).
//
// Usage (firmware):
//   alignas(4) static const int8_t gate_table[256] = {-128, -128, ...};
//   static const tinyscale::device::LutS8Params gate_params = {.size = 64, .table = gate_table};
//   tinyscale::device::lut_s8(gate_params, arena + 0, arena + 64, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct LutS8Params {
  std::int32_t size;         // elements
  const std::int8_t* table;  // [256]: table[q + 128] is the function of q
};

// Elementwise; `output` may alias `input`.
void lut_s8(const LutS8Params& p, const std::int8_t* input, std::int8_t* output,
            std::int8_t* scratch);
// Scratch bytes lut_s8 needs: none.
std::int32_t lut_s8_scratch_bytes(const LutS8Params& p);

}  // namespace tinyscale::device
