#include "costmodel/latency.h"

#include <cctype>
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"
#include "engine/activation_fusion.h"
#include "engine/mul_fusion.h"

namespace tinyscale::costmodel {
namespace {

// The instruction models: coefficients fitted by bench/fit_latency_model.py to the per-call
// instructions of tinyscale's generated code under QEMU (see kInstructionModels' comment).
#include "costmodel/latency_fit.inc"

// Cycles per MAC (per output element for `elementwise`) of int8 inference, one core, for
// the cores without an instruction model (and the names every estimate accepts).
//
// These are ESTIMATES, not measurements. They follow from the inner loops of the int8
// kernels each core runs (instruction counts of the inner loops plus overhead), are not
// fitted to any measurement, and can be off by tens of percent for a given network (more
// for tiny layers, where per-call overhead dominates). That is good enough to size a
// network for a latency target; replace them by measured cycle counts (qemu, DWT
// CYCCNT on boards) as the engine gets them.
//   cortex-m4, cortex-m33  CMSIS-NN s8 kernels on the DSP extension: SMLAD does 2 MACs
//                          per instruction, but operand loads, sign extension (SXTB16) and
//                          im2col / requantization overhead make ~1.6-1.8 cycles per MAC
//                          for convolutions; depthwise reuses each weight load far less
//                          (~3); the M33's pipeline is a little slower than the M4's.
//   cortex-m7              the same kernels, dual-issue 6-stage pipeline: roughly half the
//                          M4's cycles per MAC (~0.9 conv, ~1.8 depthwise).
//   cortex-m0plus          no SIMD, no DSP extension: one MULS plus loads and adds per MAC
//                          in plain C (TFLM reference / CMSIS-NN's pure-C path), ~8-10.
//   cortex-m55             Helium (MVE) CMSIS-NN kernels: one VMLADAV accumulates 16
//                          int8 products and the M55 executes it in 2 cycles (8 MACs per
//                          cycle peak), ~0.3 per MAC for conv / FC with overhead.
//   xtensa-lx7             ESP-NN on the ESP32-S3's PIE 128-bit SIMD, ~0.6 per MAC.
// Elementwise ops (add, mul, activations, pooling, requantization per element) cost a
// few cycles per output element everywhere, more without SIMD.
// clang-format off
// A function-local static, not a namespace-scope vector: the board database validates cores
// against it while other translation units are still being initialized (a benchmark's static
// registration loads the built-in boards), and a global's dynamic initialization may not have
// run by then.
const std::vector<CycleCosts>& table() {
  static const std::vector<CycleCosts> rows = {
    // core            conv  depthwise  fully_connected  elementwise
    {"cortex-m0plus",  8.0,  10.0,      8.0,             12.0},
    {"cortex-m4",      1.6,   3.0,      1.4,              6.0},
    {"cortex-m7",      0.9,   1.8,      0.8,              4.0},
    {"cortex-m33",     1.8,   3.2,      1.6,              6.0},
    {"cortex-m55",     0.3,   0.8,      0.3,              2.0},
    {"xtensa-lx7",     0.6,   1.2,      0.6,              3.0},
  };
  return rows;
}
// clang-format on

// "Cortex-M4F", "cortex_m4", "M4", "cm4", "ARM Cortex-M0+" and "m0plus" name table rows.
std::string core_key(std::string_view core) {
  std::string key;
  for (const char c : core) {
    if (c == '-' || c == '_' || c == ' ') continue;
    if (c == '+') {
      key += "plus";
      continue;
    }
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  auto drop_prefix = [&](std::string_view prefix) {
    if (key.starts_with(prefix)) key.erase(0, prefix.size());
  };
  drop_prefix("arm");
  drop_prefix("cortex");
  if (key.size() > 1 && key[0] == 'c' && key[1] == 'm') key.erase(0, 1);  // cm4 -> m4
  drop_prefix("xtensa");
  if (key == "esp32s3") key = "lx7";
  // The FPU variant (M4F, M7F, M33F) runs the same integer kernels.
  if (key.size() > 2 && key[0] == 'm' && key.back() == 'f') key.pop_back();
  return key;
}

bool needs_lowering(const core::Graph& graph) {
  for (const core::Node& node : graph.nodes) {
    switch (node.op) {
      case core::OpType::batch_norm:
      case core::OpType::silu:
      case core::OpType::pad:
      case core::OpType::relu:
      case core::OpType::clip:
        return true;
      default:
        break;
    }
  }
  return false;
}

void check_mhz(double mhz) {
  if (!(mhz > 0.0) || !std::isfinite(mhz)) {
    throw Error("core clock must be a positive number of MHz, found " + number_text(mhz));
  }
}

}  // namespace

const std::vector<CycleCosts>& cycle_costs_table() { return table(); }

const CycleCosts& cycle_costs(std::string_view core) {
  const std::string key = core_key(core);
  for (const CycleCosts& row : table()) {
    if (!key.empty() && core_key(row.core) == key) return row;
  }
  std::string known;
  for (const CycleCosts& row : table()) known += std::string(known.empty() ? "" : ", ") + row.core;
  throw Error("unknown core '" + std::string(core) + "'; known cores: " + known);
}

const char* op_class_name(OpClass c) {
  static constexpr const char* kNames[kOpClasses] = {"conv_pointwise",
                                                     "conv_depthwise",
                                                     "conv_general",
                                                     "conv_grouped",
                                                     "fully_connected",
                                                     "add",
                                                     "mul",
                                                     "activation",
                                                     "pool",
                                                     "global_pool",
                                                     "softmax",
                                                     "convert",
                                                     "copy",
                                                     "fused"};
  return kNames[static_cast<int>(c)];
}

// The multiplies the generated code fuses by their shapes (op_work's default).
std::vector<int> multiplies_fused_by_shape(const core::Graph& deployed) {
  std::vector<int> into(deployed.nodes.size(), -1);
  for (const engine::FusedMultiply& f : engine::multiply_fusion_candidates(deployed, true)) {
    if (engine::multiply_fusion_pays(deployed, f)) into[static_cast<std::size_t>(f.mul)] = f.conv;
  }
  return into;
}

std::vector<OpWork> op_work(const core::Graph& deployed, std::span<const int> fused_multiply_into) {
  const engine::ActivationFusion fusion = engine::plan_activation_fusion(deployed, true);
  const std::vector<int> by_shape = fused_multiply_into.size() == deployed.nodes.size()
                                        ? std::vector<int>{}
                                        : multiplies_fused_by_shape(deployed);
  const std::span<const int> multiply_into =
      by_shape.empty() ? fused_multiply_into : std::span<const int>(by_shape);
  std::vector<OpWork> work(deployed.nodes.size());
  for (std::size_t n = 0; n < deployed.nodes.size(); ++n) {
    const core::Node& node = deployed.nodes[n];
    OpWork& w = work[n];
    if (!node.outputs.empty()) {
      const std::vector<std::int64_t>& shape = deployed.tensor(node.outputs[0]).shape;
      w.outputs = static_cast<double>(core::num_elements(shape));
      w.pixels = shape.empty() || shape.back() == 0 ? w.outputs
                                                    : w.outputs / static_cast<double>(shape.back());
    }
    if (fusion.fused_into[n] >= 0) {
      w.op_class = OpClass::fused;
      continue;
    }
    if (const int conv = multiply_into.empty() ? -1 : multiply_into[n]; conv >= 0) {
      w.op_class = OpClass::fused;  // in the convolution's figure: its fused_products
      work[static_cast<std::size_t>(conv)].fused_products = w.outputs;
      continue;
    }
    switch (node.op) {
      case core::OpType::conv2d: {
        const core::Attributes& a = node.attrs;
        const std::vector<std::int64_t>& ws = deployed.tensor(node.inputs[1]).shape;  // OHWI
        w.macs = static_cast<double>(core::op_info(node.op).macs(deployed, node));
        const bool padded = a.pad_top || a.pad_bottom || a.pad_left || a.pad_right;
        const double window = static_cast<double>(ws[1] * ws[2]);
        if (a.groups <= 1) {
          w.op_class =
              ws[1] == 1 && ws[2] == 1 && !padded ? OpClass::conv_pointwise : OpClass::conv_general;
          const std::int64_t depth =
              w.op_class == OpClass::conv_pointwise ? ws[3] : ws[1] * ws[2] * ws[3];
          w.scalar_macs = w.outputs * static_cast<double>(depth % 4);
        } else {
          w.op_class =
              ws[3] == 1 && ws[0] == a.groups ? OpClass::conv_depthwise : OpClass::conv_grouped;
          w.scalar_macs = w.pixels * static_cast<double>(ws[0] % 4) * window;
        }
        if (fusion.activation[n] >= 0) w.fused_outputs = w.outputs;
        w.channels = w.outputs > 0 ? w.outputs / w.pixels : 0.0;
        break;
      }
      case core::OpType::fully_connected: {
        w.op_class = OpClass::fully_connected;
        w.macs = static_cast<double>(core::op_info(node.op).macs(deployed, node));
        const std::vector<std::int64_t>& ws = deployed.tensor(node.inputs[1]).shape;
        w.scalar_macs = ws.size() == 2 ? w.outputs * static_cast<double>(ws[1] % 4) : 0.0;
        w.channels = ws.empty() ? 0.0 : static_cast<double>(ws[0]);
        break;
      }
      case core::OpType::add:
        w.op_class = OpClass::add;
        break;
      case core::OpType::mul:
        w.op_class = OpClass::mul;
        break;
      case core::OpType::hard_swish:
      case core::OpType::sigmoid:
      case core::OpType::tanh:
      case core::OpType::relu:
      case core::OpType::clip:
      case core::OpType::leaky_relu:
        w.op_class = OpClass::activation;
        break;
      case core::OpType::avg_pool:
      case core::OpType::max_pool:
        w.op_class = OpClass::pool;
        w.macs = w.outputs * node.attrs.kernel_h * node.attrs.kernel_w;
        break;
      case core::OpType::global_avg_pool:
        w.op_class = OpClass::global_pool;
        w.macs = static_cast<double>(core::num_elements(deployed.tensor(node.inputs[0]).shape));
        break;
      case core::OpType::softmax:
        w.op_class = OpClass::softmax;
        break;
      case core::OpType::quantize:
      case core::OpType::dequantize:
        w.op_class = OpClass::convert;
        break;
      case core::OpType::paste:
        // A copy of its block (as slice's output): in place, the rest of the output is
        // the destination's bytes, untouched.
        w.op_class = OpClass::copy;
        w.outputs =
            static_cast<double>(core::num_elements(deployed.tensor(node.inputs.back()).shape));
        break;
      default:
        w.op_class = OpClass::copy;
        break;
    }
  }
  return work;
}

const InstructionModel* instruction_model(std::string_view core) {
  const std::string key = core_key(core);
  const std::string_view wanted = key == "m33" ? "cortex-m4" : "";
  for (const InstructionModel& m : kInstructionModels) {
    if (core_key(m.core) == key || (!wanted.empty() && m.core == wanted)) return &m;
  }
  return nullptr;
}

double predicted_instructions(const OpWork& w, const InstructionModel& model) {
  const InstructionCoefficients& c = model.by_class[static_cast<std::size_t>(w.op_class)];
  if (w.op_class == OpClass::fused) return 0.0;  // in its convolution's figure
  return c.per_mac * w.macs + c.per_output * w.outputs + c.per_pixel * w.pixels +
         c.per_scalar_mac * w.scalar_macs + c.per_fused_output * w.fused_outputs + c.per_call +
         c.per_channel * w.channels + c.per_fused_product * w.fused_products;
}

ComputeBreakdown compute_breakdown(const core::Graph& deployed) {
  ComputeBreakdown work;
  const std::vector<OpWork> ops = op_work(deployed);
  for (std::size_t n = 0; n < deployed.nodes.size(); ++n) {
    const core::Node& node = deployed.nodes[n];
    const OpWork& w = ops[n];
    const auto k = static_cast<std::size_t>(w.op_class);
    work.by_class[k].macs += w.macs;
    work.by_class[k].outputs += w.outputs;
    work.by_class[k].fused_outputs += w.fused_outputs;
    work.by_class[k].pixels += w.pixels;
    work.by_class[k].scalar_macs += w.scalar_macs;
    work.by_class[k].channels += w.channels;
    work.by_class[k].fused_products += w.fused_products;
    work.calls[k] += w.op_class == OpClass::fused ? 0 : 1;
    switch (node.op) {
      case core::OpType::conv2d: {
        const auto macs = static_cast<std::int64_t>(w.macs);
        // Depthwise: every output channel reads one input channel (OHWI weights with
        // I == 1). Other grouped convolutions run the dense kernel per group.
        const bool depthwise =
            node.attrs.groups > 1 && deployed.tensor(node.inputs[1]).shape[3] == 1;
        (depthwise ? work.depthwise_macs : work.conv_macs) += macs;
        break;
      }
      case core::OpType::fully_connected:
        work.fully_connected_macs += static_cast<std::int64_t>(w.macs);
        break;
      default:
        work.elementwise_elements += static_cast<std::int64_t>(w.outputs);
        break;
    }
  }
  return work;
}

double predicted_instructions(const ComputeBreakdown& compute, std::string_view core) {
  const InstructionModel* model = instruction_model(core);
  if (model == nullptr) {
    throw Error("no instruction model for core '" + std::string(core) +
                "' (fitted: cortex-m7, cortex-m4; cortex-m33 takes cortex-m4's)");
  }
  double total = 0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(kOpClasses); ++k) {
    if (static_cast<OpClass>(k) == OpClass::fused) continue;
    const InstructionCoefficients& c = model->by_class[k];
    const OpWork& w = compute.by_class[k];
    total += c.per_mac * w.macs + c.per_output * w.outputs + c.per_pixel * w.pixels +
             c.per_scalar_mac * w.scalar_macs + c.per_fused_output * w.fused_outputs +
             c.per_call * static_cast<double>(compute.calls[k]) + c.per_channel * w.channels +
             c.per_fused_product * w.fused_products;
  }
  return total;
}

double estimate_latency_ms(const core::Graph& graph, std::string_view core, double mhz) {
  cycle_costs(core);  // an unknown core fails before the graph is lowered
  check_mhz(mhz);
  // Lowering is idempotent; skipping it when nothing would change avoids copying weights.
  const bool lower = needs_lowering(graph);
  const core::Graph lowered = lower ? core::lower_for_deployment(graph) : core::Graph{};
  return estimate_latency_ms(compute_breakdown(lower ? lowered : graph), core, mhz);
}

double estimate_latency_ms(const ComputeBreakdown& compute, std::string_view core, double mhz) {
  const CycleCosts& costs = cycle_costs(core);
  check_mhz(mhz);
  if (instruction_model(core) != nullptr) {
    // One instruction per cycle, as `deploy --qemu` states its figures.
    return predicted_instructions(compute, core) / (mhz * 1000.0);
  }
  const double cycles = static_cast<double>(compute.conv_macs) * costs.conv +
                        static_cast<double>(compute.depthwise_macs) * costs.depthwise +
                        static_cast<double>(compute.fully_connected_macs) * costs.fully_connected +
                        static_cast<double>(compute.elementwise_elements) * costs.elementwise;
  return cycles / (mhz * 1000.0);
}

}  // namespace tinyscale::costmodel
