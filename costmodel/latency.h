// Latency of an int8 deployment on a microcontroller core.
//
// Cortex-M4, M7 and M33: a per-op INSTRUCTION MODEL of tinyscale's generated code, fitted to
// the instructions each kernel call takes under QEMU (`tinyscale deploy --qemu --profile`,
// exact counts; bench/fit_latency_model.py). Each deployed node falls in the class of the
// kernel the code generator gives it (OpClass) and costs
//   instructions(node) = c.per_mac · macs + c.per_output · outputs + c.per_pixel · pixels
//                      + c.per_scalar_mac · scalar_macs + c.per_fused_output · fused_outputs
//                      + c.per_call + c.per_channel · channels
//                      + c.per_fused_product · fused_products
// with the class's coefficients for the core; the estimate is Σ instructions / MHz at one
// instruction per cycle (what `deploy --qemu` states too). The M33 takes the M4's
// coefficients (same DSP instructions, not emulated here). The fit's error on whole models is
// reported in bench/README.md; `deploy --qemu` prints predicted against measured.
//
// Other cores (M0+, M55, Xtensa LX7): cycles per MAC by op kind, ESTIMATES from published
// CMSIS-NN / ESP-NN kernel throughput (cycle_costs_table()), not measurements.
//
// A ComputeBreakdown holds both sums for a deployed graph; costmodel::analyze puts one in
// every CostReport, so the estimate of a costed network is one dot product (the solver
// constrains this very figure when given a latency target).
//
// Usage:
//   double ms = costmodel::estimate_latency_ms(graph, "cortex-m7", 480.0);
//   double same = costmodel::estimate_latency_ms(costmodel::analyze(graph).compute,
//                                                "cortex-m7", 480.0);
//   double n = costmodel::predicted_instructions(op_work(deployed)[3], "cortex-m7");
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.h"

namespace tinyscale::costmodel {

// The kernel a deployed node runs in the generated code (device kernels, issue 16).
enum class OpClass : int {
  conv_pointwise,  // 1x1, no padding, groups 1: conv2d_s8_fast (int8 GEMM)
  conv_depthwise,  // one input channel per output channel
  conv_general,    // groups 1, any other window
  conv_grouped,    // other grouped convolutions (reference kernel)
  fully_connected,
  add,
  mul,          // squeeze-excite and attention products (often broadcast)
  activation,   // hard_swish, sigmoid, tanh, relu, clip, leaky_relu (not fused)
  pool,         // avg_pool, max_pool
  global_pool,  // global_avg_pool
  softmax,
  convert,  // quantize, dequantize
  copy,     // pad, concat, split, slice, paste, reshape, resize, ...
  fused,    // an activation applied in a convolution's output stage: no call
};
inline constexpr int kOpClasses = 14;
const char* op_class_name(OpClass c);

// What one node asks of its kernel: the terms its loops scale with.
struct OpWork {
  OpClass op_class = OpClass::copy;
  double macs = 0;     // multiply-accumulates (pools: window elements read)
  double outputs = 0;  // output elements (paste: its block)
  double pixels = 0;   // output positions: outputs / the last dimension (channels)
  // MACs the SIMD loops leave to scalar code: the depth of each dot product beyond a
  // multiple of 4 (input channels, or kernel window x input channels; depthwise: the
  // channels beyond a multiple of 4).
  double scalar_macs = 0;
  double fused_outputs = 0;  // a convolution's outputs stored through an activation table
  // A convolution's or fully connected layer's output channels: what a call prepares once
  // per channel or channel group (weights, requantization, biases) before its pixels.
  double channels = 0;
  // A pointwise convolution's input values it multiplies itself (a multiply fused into it,
  // engine/mul_fusion.h: the multiply's output elements).
  double fused_products = 0;
};

// One OpWork per node of the deployed (lowered) graph, float or int8, in node order.
// fused_multiply_into: per node, the convolution a multiply runs in (the code generator's
// PackageSummary::fused_multiply_into); empty: the multiplies the generated code for a DSP
// core fuses by their shapes (engine::multiply_fusion_candidates whose convolution takes the
// products into its expansion, device::conv2d_s8_fast_mul_expansion_applies).
std::vector<OpWork> op_work(const core::Graph& deployed,
                            std::span<const int> fused_multiply_into = {});

// Coefficients of one class on one core, in instructions.
struct InstructionCoefficients {
  double per_mac = 0, per_output = 0, per_pixel = 0, per_scalar_mac = 0, per_fused_output = 0,
         per_call = 0, per_channel = 0, per_fused_product = 0;
};
struct InstructionModel {
  const char* core;  // "cortex-m7"
  std::array<InstructionCoefficients, kOpClasses> by_class;
};
// The fitted models (cortex-m7, cortex-m4), or nullptr for a core without one. M33 -> M4's.
const InstructionModel* instruction_model(std::string_view core);
double predicted_instructions(const OpWork& work, const InstructionModel& model);

// Cycles-per-MAC estimates for the cores without an instruction model.
struct CycleCosts {
  const char* core;
  double conv;             // cycles per MAC, standard and pointwise convolution
  double depthwise;        // cycles per MAC, depthwise convolution
  double fully_connected;  // cycles per MAC
  double elementwise;      // cycles per output element of any other op
};

// The table, one row per known core (every core the estimate accepts).
const std::vector<CycleCosts>& cycle_costs_table();
// Throws tinyscale::Error "unknown core 'x'; known cores: ..." when absent.
const CycleCosts& cycle_costs(std::string_view core);

// The work of a deployed (lowered) graph: the instruction model's feature sums per class, and
// the cycles-per-MAC table's sums by kind.
struct ComputeBreakdown {
  std::int64_t conv_macs = 0;       // conv2d, groups == 1 or grouped but not depthwise
  std::int64_t depthwise_macs = 0;  // conv2d, one input channel per output channel
  std::int64_t fully_connected_macs = 0;
  std::int64_t elementwise_elements = 0;      // output elements of every other op
  std::array<OpWork, kOpClasses> by_class{};  // sums (op_class unused); calls in `calls`
  std::array<std::int64_t, kOpClasses> calls{};
};
ComputeBreakdown compute_breakdown(const core::Graph& deployed);

// Instructions the generated code takes for the breakdown on a core with an instruction
// model (throws tinyscale::Error for another core).
double predicted_instructions(const ComputeBreakdown& compute, std::string_view core);

// Estimated time of one inference of `graph` (a float graph is lowered first).
double estimate_latency_ms(const core::Graph& graph, std::string_view core, double mhz);
// The same from the breakdown of the deployed graph (CostReport::compute). Both throw
// tinyscale::Error for an unknown core or a clock that is not a positive number.
double estimate_latency_ms(const ComputeBreakdown& compute, std::string_view core, double mhz);

}  // namespace tinyscale::costmodel
