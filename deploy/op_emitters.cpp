// One emitter per op with a device kernel: reads the node's device params from the compiled
// model (the very struct the host kernel's eval() passes to the device function), declares
// the const arrays its pointers point to, prints the struct as a designated initializer
// (field order of engine/kernels/device/<op>.h) and returns the call.
#include <cstring>
#include <initializer_list>
#include <string>

#include "core/error.h"
#include "deploy/emit.h"
#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/avg_pool.h"
#include "engine/kernels/device/fully_connected.h"
#include "engine/kernels/device/global_avg_pool.h"
#include "engine/kernels/device/reshape.h"
#include "engine/kernels/device/softmax.h"

namespace tinyscale::deploy {
namespace {

// The node's device params as the engine prepared them.
template <typename Params>
const Params& device_params(const NodeEmitContext& ctx) {
  return *static_cast<const Params*>(ctx.op_data());
}

std::string field(const char* name, std::int64_t v, bool last = false) {
  return std::string("    .") + name + " = " +
         (v == -2147483648LL ? std::string("(-2147483647 - 1)") : std::to_string(v)) +
         (last ? "\n" : ",\n");
}
std::string field(const char* name, const std::string& v, bool last = false) {
  return std::string("    .") + name + " = " + v + (last ? "\n" : ",\n");
}

// A params struct made only of int32 fields, as a designated initializer on one or a few
// lines: {.rows = 1, .depth = 12, ...}. `names` lists every field in declaration order.
template <typename P>
std::string int32_fields(const P& p, std::initializer_list<const char*> names) {
  if (sizeof(P) != names.size() * sizeof(std::int32_t)) {
    throw Error("deploy: params struct of " + std::to_string(sizeof(P)) + " bytes does not match " +
                std::to_string(names.size()) + " int32 field names");
  }
  std::string out = "{";
  std::size_t i = 0, line = 0;
  for (const char* name : names) {
    std::int32_t v;
    std::memcpy(&v, reinterpret_cast<const unsigned char*>(&p) + i * sizeof v, sizeof v);
    std::string item = std::string(".") + name + " = " +
                       (v == -2147483647 - 1 ? std::string("(-2147483647 - 1)") : std::to_string(v));
    if (i > 0) {
      if (line + item.size() > 80) {
        out += ",\n    ";
        line = 0;
      } else {
        out += ", ";
      }
    }
    out += item;
    line += item.size() + 2;
    ++i;
  }
  return out + "}";
}

// An op with one activation input and one output and a pointer-free params struct:
// <op>_s8(params, in, out, scratch).
std::string unary_call(NodeEmitContext& ctx, const char* op, const char* params_type,
                       const std::string& initializer) {
  const std::string params = ctx.params(params_type, "params", initializer);
  ctx.kernels.push_back(op);
  return std::string(op) + "_s8(" + params + ", " + ctx.arena_input(0) + ", " +
         ctx.arena_output(0) + ", " + ctx.scratch() + ")";
}

// ---- avg_pool, global_avg_pool, reshape, softmax

std::string emit_avg_pool(NodeEmitContext& ctx) {
  const auto& p = device_params<device::AvgPoolS8Params>(ctx);
  const std::string geometry =
      int32_fields(p.geometry, {"batches", "in_h", "in_w", "channels", "out_h", "out_w", "kernel_h",
                                "kernel_w", "stride_h", "stride_w", "pad_top", "pad_left"});
  static_assert(sizeof(device::AvgPoolS8Params) ==
                sizeof(device::PoolGeometry) + 2 * sizeof(std::int32_t));
  return unary_call(ctx, "avg_pool", "AvgPoolS8Params",
                    "{\n    .geometry = " + geometry + ",\n    .act_min = " +
                        std::to_string(p.act_min) + ", .act_max = " + std::to_string(p.act_max) +
                        "}");
}

std::string emit_global_avg_pool(NodeEmitContext& ctx) {
  const auto& p = device_params<device::GlobalAvgPoolS8Params>(ctx);
  return unary_call(ctx, "global_avg_pool", "GlobalAvgPoolS8Params",
                    int32_fields(p, {"batches", "height", "width", "channels", "input_zero_point",
                                     "output_zero_point", "multiplier", "shift"}));
}

std::string emit_reshape(NodeEmitContext& ctx) {
  const auto& p = device_params<device::ReshapeS8Params>(ctx);
  return unary_call(ctx, "reshape", "ReshapeS8Params", int32_fields(p, {"bytes"}));
}

std::string emit_softmax(NodeEmitContext& ctx) {
  const auto& p = device_params<device::SoftmaxS8Params>(ctx);
  return unary_call(ctx, "softmax", "SoftmaxS8Params",
                    int32_fields(p, {"rows", "depth", "input_beta_multiplier",
                                     "input_beta_left_shift", "diff_min"}));
}

// ---- conv2d

std::string emit_conv2d(NodeEmitContext& ctx) {
  const auto& p = device_params<device::Conv2dS8Params>(ctx);
  const std::string weights = ctx.constant_input(1, "weights");
  const std::string bias = ctx.node().inputs.size() > 2 ? ctx.constant_input(2, "bias") : "nullptr";
  const std::string multipliers = ctx.array("int32_t", "multipliers", p.multipliers, p.requant_channels);
  const std::string shifts = ctx.array("int8_t", "shifts", p.shifts, p.requant_channels);
  std::string init = "{\n";
  init += field("batches", p.batches) + field("in_h", p.in_h) + field("in_w", p.in_w) +
          field("in_c", p.in_c) + field("out_h", p.out_h) + field("out_w", p.out_w) +
          field("out_c", p.out_c) + field("kernel_h", p.kernel_h) + field("kernel_w", p.kernel_w) +
          field("stride_h", p.stride_h) + field("stride_w", p.stride_w) +
          field("dilation_h", p.dilation_h) + field("dilation_w", p.dilation_w) +
          field("pad_top", p.pad_top) + field("pad_left", p.pad_left) +
          field("in_c_per_group", p.in_c_per_group) + field("out_c_per_group", p.out_c_per_group) +
          field("input_offset", p.input_offset) + field("output_offset", p.output_offset) +
          field("act_min", p.act_min) + field("act_max", p.act_max) +
          field("requant_channels", p.requant_channels) + field("multipliers", multipliers) +
          field("shifts", shifts, true) + "}";
  const std::string params = ctx.params("Conv2dS8Params", "params", init);
  ctx.kernels.push_back("conv2d");
  return "conv2d_s8(" + params + ", " + ctx.arena_input(0) + ", " + weights + ", " + bias + ", " +
         ctx.arena_output(0) + ", " + ctx.scratch() + ")";
}

// ---- fully_connected

std::string emit_fully_connected(NodeEmitContext& ctx) {
  const auto& p = device_params<device::FullyConnectedS8Params>(ctx);
  const std::string weights = ctx.constant_input(1, "weights");
  const std::string bias = ctx.node().inputs.size() > 2 ? ctx.constant_input(2, "bias") : "nullptr";
  const std::string multipliers = ctx.array("int32_t", "multipliers", p.multipliers, p.requant_channels);
  const std::string shifts = ctx.array("int8_t", "shifts", p.shifts, p.requant_channels);
  std::string init = "{\n";
  init += field("batches", p.batches) + field("in_features", p.in_features) +
          field("out_features", p.out_features) + field("input_offset", p.input_offset) +
          field("weight_offset", p.weight_offset) + field("output_offset", p.output_offset) +
          field("act_min", p.act_min) + field("act_max", p.act_max) +
          field("requant_channels", p.requant_channels) + field("multipliers", multipliers) +
          field("shifts", shifts, true) + "}";
  const std::string params = ctx.params("FullyConnectedS8Params", "params", init);
  ctx.kernels.push_back("fully_connected");
  return "fully_connected_s8(" + params + ", " + ctx.arena_input(0) + ", " + weights + ", " + bias +
         ", " + ctx.arena_output(0) + ", " + ctx.scratch() + ")";
}

}  // namespace

Emitter find_emitter(core::OpType op) {
  switch (op) {
    case core::OpType::conv2d: return emit_conv2d;
    case core::OpType::fully_connected: return emit_fully_connected;
    case core::OpType::avg_pool: return emit_avg_pool;
    case core::OpType::global_avg_pool: return emit_global_avg_pool;
    case core::OpType::reshape: return emit_reshape;
    case core::OpType::softmax: return emit_softmax;
    default: return nullptr;
  }
}

}  // namespace tinyscale::deploy
