// One emitter per op with a device kernel: reads the node's device params from the compiled
// model (the very struct the host kernel's eval() passes to the device function), declares
// the const arrays its pointers point to, prints the struct as a designated initializer
// (field order of engine/kernels/device/<op>.h) and returns the call.
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "deploy/emit.h"
#include "engine/activation_fusion.h"
#include "engine/kernels/device/add.h"
#include "engine/kernels/device/add_fast.h"
#include "engine/kernels/device/avg_pool.h"
#include "engine/kernels/device/avg_pool_fast.h"
#include "engine/kernels/device/clip.h"
#include "engine/kernels/device/concat.h"
#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/conv2d_fast.h"
#include "engine/kernels/device/conv2d_gemm_fast.h"
#include "engine/kernels/device/depthwise_fast.h"
#include "engine/kernels/device/depthwise_fast_in_place.h"
#include "engine/kernels/device/dequantize.h"
#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fully_connected.h"
#include "engine/kernels/device/fully_connected_fast.h"
#include "engine/kernels/device/global_avg_pool.h"
#include "engine/kernels/device/global_avg_pool_fast.h"
#include "engine/kernels/device/hard_swish.h"
#include "engine/kernels/device/leaky_relu.h"
#include "engine/kernels/device/lut.h"
#include "engine/kernels/device/max_pool.h"
#include "engine/kernels/device/max_pool_fast.h"
#include "engine/kernels/device/mul.h"
#include "engine/kernels/device/mul_fast.h"
#include "engine/kernels/device/pad.h"
#include "engine/kernels/device/paste.h"
#include "engine/kernels/device/quantize.h"
#include "engine/kernels/device/relu.h"
#include "engine/kernels/device/reshape.h"
#include "engine/kernels/device/resize_nearest.h"
#include "engine/kernels/device/sigmoid.h"
#include "engine/kernels/device/slice.h"
#include "engine/kernels/device/softmax.h"
#include "engine/kernels/device/split.h"
#include "engine/kernels/device/tanh.h"

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

// A params struct made only of 4-byte fields, as a designated initializer wrapped at ~80
// columns: {.rows = 1, .depth = 12, ...}. `fields` lists every field in declaration order:
// "name" (int32), "name[4]" (an int32 array) or "name:f" (float).
// (fields_text: the same over `size` raw bytes.)
std::string fields_text(const void* data, std::size_t size,
                        std::initializer_list<const char*> fields) {
  std::size_t words = 0;
  struct Field {
    std::string name;
    std::size_t count;
    bool is_float;
  };
  std::vector<Field> parsed;
  for (const char* f : fields) {
    std::string name = f;
    Field field{name, 1, false};
    if (const auto colon = name.find(':'); colon != std::string::npos) {
      field.name = name.substr(0, colon);
      field.is_float = true;
    } else if (const auto bracket = name.find('['); bracket != std::string::npos) {
      field.name = name.substr(0, bracket);
      field.count = std::stoul(name.substr(bracket + 1));
    }
    words += field.count;
    parsed.push_back(field);
  }
  if (size != words * sizeof(std::int32_t)) {
    throw Error("deploy: params struct of " + std::to_string(size) + " bytes does not match " +
                std::to_string(words) + " int32 fields");
  }
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::size_t at = 0, line = 0;
  auto word = [&]() {
    std::int32_t v;
    std::memcpy(&v, bytes + at * sizeof v, sizeof v);
    ++at;
    return v == -2147483647 - 1 ? std::string("(-2147483647 - 1)") : std::to_string(v);
  };
  std::string out = "{";
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const Field& f = parsed[i];
    std::string item = "." + f.name + " = ";
    if (f.is_float) {
      float v;
      std::memcpy(&v, bytes + at * sizeof v, sizeof v);
      ++at;
      char buffer[40];
      std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(v));
      std::string text = buffer;
      if (text.find_first_of(".e") == std::string::npos) text += ".0";
      item += text + "f";
    } else if (f.count > 1) {
      item += "{";
      for (std::size_t k = 0; k < f.count; ++k) item += (k ? ", " : "") + word();
      item += "}";
    } else {
      item += word();
    }
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
  }
  return out + "}";
}

template <typename P>
std::string int32_fields(const P& p, std::initializer_list<const char*> fields) {
  return fields_text(&p, sizeof p, fields);
}

// The device size of a params struct of `words` 4-byte fields and `pointers` pointers (4
// bytes each on a 32-bit Cortex-M; the host's sizeof differs).
constexpr std::int64_t kDevicePointerStruct(int words, int pointers) {
  return 4 * static_cast<std::int64_t>(words + pointers);
}

// An op with one activation input and one output and a pointer-free params struct:
// <op>_s8(params, in, out, scratch).
// `bytes`: the params struct's size (pointer-free: the same on the host and the device).
std::string unary_call(NodeEmitContext& ctx, const char* op, const char* params_type,
                       const std::string& initializer, std::size_t bytes) {
  const std::string params =
      ctx.params(params_type, "params", initializer, static_cast<std::int64_t>(bytes));
  ctx.kernels.push_back(op);
  return std::string(op) + "_s8(" + params + ", " + ctx.arena_input(0) + ", " +
         ctx.arena_output(0) + ", " + ctx.scratch() + ")";
}

// ---- clip, hard_swish, leaky_relu, relu

std::string emit_clip(NodeEmitContext& ctx) {
  const auto& p = device_params<device::ClipS8Params>(ctx);
  return unary_call(ctx, "clip", "ClipS8Params", int32_fields(p, {"size", "lower", "upper"}),
                    sizeof(device::ClipS8Params));
}

// An int8 element-wise activation where the target takes fast kernels: a 256-entry table
// filled here by the op's own device kernel (engine::activation_table_s8, the table a fused
// activation gets), looked up by lut_s8 (device/lut.h): bit for bit the kernel's by
// construction, ~4 instructions per element instead of sigmoid/tanh's ~50, and 256 B of table
// instead of the kernel's code (1.1 KB for sigmoid or tanh, 0.5 KB for hard-swish).
std::string lut_call(NodeEmitContext& ctx, std::int32_t size) {
  std::int8_t table[engine::kActivationTableBytes];
  if (!engine::activation_table_s8(ctx.node().op, ctx.op_data(), table)) {
    throw Error("deploy: node '" + ctx.node().name + "' has no activation table");
  }
  const std::string t = ctx.array("int8_t", "table", table, engine::kActivationTableBytes);
  const std::string params = ctx.params(
      "LutS8Params", "params", "{.size = " + std::to_string(size) + ", .table = " + t + "}",
      kDevicePointerStruct(1, 1));
  ctx.kernels.push_back("lut");
  return "lut_s8(" + params + ", " + ctx.arena_input(0) + ", " + ctx.arena_output(0) + ", " +
         ctx.scratch() + ")";
}

std::string emit_hard_swish(NodeEmitContext& ctx) {
  const auto& p = device_params<device::HardSwishS8Params>(ctx);
  if (ctx.fast_kernels) return lut_call(ctx, p.size);
  return unary_call(
      ctx, "hard_swish", "HardSwishS8Params",
      int32_fields(p, {"size", "input_zero_point", "output_zero_point",
                       "output_multiplier_fixedpoint", "output_multiplier_exponent",
                       "reluish_multiplier_fixedpoint", "reluish_multiplier_exponent"}),
      sizeof(device::HardSwishS8Params));
}

std::string emit_leaky_relu(NodeEmitContext& ctx) {
  const auto& p = device_params<device::LeakyReluS8Params>(ctx);
  return unary_call(
      ctx, "leaky_relu", "LeakyReluS8Params",
      int32_fields(p, {"size", "input_zero_point", "output_zero_point", "identity_multiplier",
                       "identity_shift", "alpha_multiplier", "alpha_shift"}),
      sizeof(device::LeakyReluS8Params));
}

std::string emit_relu(NodeEmitContext& ctx) {
  const auto& p = device_params<device::ReluS8Params>(ctx);
  return unary_call(ctx, "relu", "ReluS8Params",
                    int32_fields(p, {"size", "input_zero_point", "output_zero_point", "multiplier",
                                     "shift", "act_min", "act_max"}),
                    sizeof(device::ReluS8Params));
}

// ---- avg_pool, global_avg_pool, reshape, softmax

// avg_pool and max_pool: {PoolGeometry, act_min, act_max}.
template <typename P>
std::string emit_pool(NodeEmitContext& ctx, const char* op, const char* type) {
  const auto& p = device_params<P>(ctx);
  const std::string geometry =
      int32_fields(p.geometry, {"batches", "in_h", "in_w", "channels", "out_h", "out_w", "kernel_h",
                                "kernel_w", "stride_h", "stride_w", "pad_top", "pad_left"});
  static_assert(sizeof(P) == sizeof(device::PoolGeometry) + 2 * sizeof(std::int32_t));
  return unary_call(ctx, op, type,
                    "{\n    .geometry = " + geometry +
                        ",\n    .act_min = " + std::to_string(p.act_min) +
                        ", .act_max = " + std::to_string(p.act_max) + "}",
                    sizeof(P));
}

// Where the target takes fast kernels and 4 channels per word fit (device/avg_pool_fast.h:
// the window sums by SXTAB16), the same params to avg_pool_s8_fast.
std::string emit_avg_pool(NodeEmitContext& ctx) {
  const bool fast = ctx.fast_kernels &&
                    device::avg_pool_s8_fast_applies(device_params<device::AvgPoolS8Params>(ctx));
  std::string call = emit_pool<device::AvgPoolS8Params>(ctx, "avg_pool", "AvgPoolS8Params");
  if (fast) {
    ctx.kernels.back() = "avg_pool_fast";
    call.replace(0, std::string("avg_pool_s8(").size(), "avg_pool_s8_fast(");
  }
  return call;
}

// Where the target takes fast kernels, the same params to max_pool_s8_fast
// (device/max_pool_fast.h: SSUB8 + SEL, 4 channels a word).
std::string emit_max_pool(NodeEmitContext& ctx) {
  std::string call = emit_pool<device::MaxPoolS8Params>(ctx, "max_pool", "MaxPoolS8Params");
  if (ctx.fast_kernels) {
    ctx.kernels.back() = "max_pool_fast";
    call.replace(0, std::string("max_pool_s8(").size(), "max_pool_s8_fast(");
  }
  return call;
}

std::string emit_global_avg_pool(NodeEmitContext& ctx) {
  const auto& p = device_params<device::GlobalAvgPoolS8Params>(ctx);
  std::string call =
      unary_call(ctx, "global_avg_pool", "GlobalAvgPoolS8Params",
                 int32_fields(p, {"batches", "height", "width", "channels", "input_zero_point",
                                  "output_zero_point", "multiplier", "shift"}),
                 sizeof(device::GlobalAvgPoolS8Params));
  // Where the target takes fast kernels, the same params to global_avg_pool_s8_fast
  // (device/global_avg_pool_fast.h: the sums by SXTAB16, 4 channels a word).
  if (ctx.fast_kernels) {
    ctx.kernels.back() = "global_avg_pool_fast";
    call.replace(0, std::string("global_avg_pool_s8(").size(), "global_avg_pool_s8_fast(");
  }
  return call;
}

std::string emit_reshape(NodeEmitContext& ctx) {
  const auto& p = device_params<device::ReshapeS8Params>(ctx);
  return unary_call(ctx, "reshape", "ReshapeS8Params", int32_fields(p, {"bytes"}),
                    sizeof(device::ReshapeS8Params));
}

std::string emit_softmax(NodeEmitContext& ctx) {
  const auto& p = device_params<device::SoftmaxS8Params>(ctx);
  return unary_call(ctx, "softmax", "SoftmaxS8Params",
                    int32_fields(p, {"rows", "depth", "input_beta_multiplier",
                                     "input_beta_left_shift", "diff_min"}),
                    sizeof(device::SoftmaxS8Params));
}

// ---- add, mul (an operand may be a constant: then it is const data, not in the arena)

std::string operand(NodeEmitContext& ctx, int k) {
  return ctx.input(k).is_constant ? ctx.constant_input(k, k == 0 ? "operand1" : "operand2")
                                  : ctx.arena_input(k);
}

std::string binary_call(NodeEmitContext& ctx, const char* op, const char* type,
                        const std::string& initializer, std::size_t bytes) {
  const std::string a = operand(ctx, 0), b = operand(ctx, 1);
  const std::string params =
      ctx.params(type, "params", initializer, static_cast<std::int64_t>(bytes));
  ctx.kernels.push_back(op);
  return std::string(op) + "_s8(" + params + ", " + a + ", " + b + ", " + ctx.arena_output(0) +
         ", " + ctx.scratch() + ")";
}

std::string broadcast_text(const device::Broadcast4d& b) {
  return int32_fields(b, {"dims[4]", "stride_a[4]", "stride_b[4]"});
}

std::string emit_add(NodeEmitContext& ctx) {
  const auto& p = device_params<device::AddS8Params>(ctx);
  const std::string rest = fields_text(
      reinterpret_cast<const unsigned char*>(&p) + sizeof p.shape, sizeof p - sizeof p.shape,
      {"input1_offset", "input2_offset", "output_offset", "input1_multiplier", "input2_multiplier",
       "output_multiplier", "input1_shift", "input2_shift", "output_shift", "act_min", "act_max"});
  std::string call = binary_call(ctx, "add", "AddS8Params",
                                 "{\n    .shape = " + broadcast_text(p.shape) + ",\n    " +
                                     rest.substr(1, rest.size() - 2) + "}",
                                 sizeof(device::AddS8Params));
  // Where the target takes fast kernels, the same params to add_s8_fast (device/add_fast.h:
  // each input's rescaling as one SMMULR and one floor shift, about 27 instructions a value).
  if (ctx.fast_kernels) {
    ctx.kernels.back() = "add_fast";
    call.replace(0, std::string("add_s8(").size(), "add_s8_fast(");
  }
  return call;
}

std::string emit_mul(NodeEmitContext& ctx) {
  const auto& p = device_params<device::MulS8Params>(ctx);
  const std::string rest = fields_text(reinterpret_cast<const unsigned char*>(&p) + sizeof p.shape,
                                       sizeof p - sizeof p.shape,
                                       {"input1_offset", "input2_offset", "output_offset",
                                        "output_multiplier", "output_shift", "act_min", "act_max"});
  std::string call = binary_call(ctx, "mul", "MulS8Params",
                                 "{\n    .shape = " + broadcast_text(p.shape) + ",\n    " +
                                     rest.substr(1, rest.size() - 2) + "}",
                                 sizeof(device::MulS8Params));
  // Where the target takes fast kernels, the same params to mul_s8_fast (device/mul_fast.h:
  // the squeeze-excite gate and the attention four values a word, about 12 instructions a
  // value with the usual requantization).
  if (ctx.fast_kernels) {
    ctx.kernels.back() = "mul_fast";
    call.replace(0, std::string("mul_s8(").size(), "mul_s8_fast(");
  }
  return call;
}

// ---- concat, split (pointer tables into the arena)

std::string emit_concat(NodeEmitContext& ctx) {
  const auto& p = device_params<device::ConcatS8Params>(ctx);
  const std::string inner = ctx.array("int32_t", "input_inner", p.input_inner, p.num_inputs);
  std::vector<int> ks;
  for (int k = 0; k < static_cast<int>(ctx.node().inputs.size()); ++k) ks.push_back(k);
  const std::string inputs = ctx.arena_pointer_table("inputs", false, ks);
  const std::string params = ctx.params(
      "ConcatS8Params", "params",
      "{.outer = " + std::to_string(p.outer) + ", .num_inputs = " + std::to_string(p.num_inputs) +
          ", .output_inner = " + std::to_string(p.output_inner) + ", .input_inner = " + inner + "}",
      kDevicePointerStruct(3, 1));
  ctx.kernels.push_back("concat");
  return "concat_s8(" + params + ", " + inputs + ", " + ctx.arena_output(0) + ", " + ctx.scratch() +
         ")";
}

std::string emit_split(NodeEmitContext& ctx) {
  const auto& p = device_params<device::SplitS8Params>(ctx);
  std::vector<int> ks;
  for (int k = 0; k < static_cast<int>(ctx.node().outputs.size()); ++k) ks.push_back(k);
  const std::string outputs = ctx.arena_pointer_table("outputs", true, ks);
  const std::string params = ctx.params(
      "SplitS8Params", "params", int32_fields(p, {"outer", "num_outputs", "part_inner"}), sizeof p);
  ctx.kernels.push_back("split");
  return "split_s8(" + params + ", " + ctx.arena_input(0) + ", " + outputs + ", " + ctx.scratch() +
         ")";
}

// ---- pad, slice, paste, resize_nearest, sigmoid, tanh, quantize, dequantize

std::string emit_pad(NodeEmitContext& ctx) {
  const auto& p = device_params<device::PadS8Params>(ctx);
  return unary_call(ctx, "pad", "PadS8Params",
                    int32_fields(p, {"batches", "in_h", "in_w", "channels", "pad_top", "pad_bottom",
                                     "pad_left", "pad_right", "pad_value"}),
                    sizeof(device::PadS8Params));
}

std::string emit_slice(NodeEmitContext& ctx) {
  const auto& p = device_params<device::SliceS8Params>(ctx);
  static_assert(device::kSliceMaxRank == 5, "the field list below spells the rank");
  return unary_call(ctx, "slice", "SliceS8Params",
                    int32_fields(p, {"in_dims[5]", "begin[5]", "size[5]", "element_bytes"}),
                    sizeof(device::SliceS8Params));
}

// paste_s8(params, destination or nullptr, block, output, scratch); in place (the arena plan's
// chain of pastes) the destination and the output are the same arena address.
std::string emit_paste(NodeEmitContext& ctx) {
  const auto& p = device_params<device::PasteS8Params>(ctx);
  static_assert(device::kPasteMaxRank == 5, "the field list below spells the rank");
  const bool has_destination = ctx.node().inputs.size() == 2;
  const std::string params = ctx.params(
      "PasteS8Params", "params",
      int32_fields(p, {"out_dims[5]", "begin[5]", "size[5]", "element_bytes"}), sizeof p);
  ctx.kernels.push_back("paste");
  return "paste_s8(" + params + ", " + (has_destination ? ctx.arena_input(0) : "nullptr") + ", " +
         ctx.arena_input(has_destination ? 1 : 0) + ", " + ctx.arena_output(0) + ", " +
         ctx.scratch() + ")";
}

std::string emit_resize_nearest(NodeEmitContext& ctx) {
  const auto& p = device_params<device::ResizeNearestS8Params>(ctx);
  return unary_call(
      ctx, "resize_nearest", "ResizeNearestS8Params",
      int32_fields(p, {"batches", "in_h", "in_w", "scale_h", "scale_w", "pixel_bytes"}),
      sizeof(device::ResizeNearestS8Params));
}

std::string fixed_point_activation(const device::FixedPointActivationS8Params& p) {
  return int32_fields(p, {"size", "input_zero_point", "input_range_radius", "input_multiplier",
                          "input_left_shift"});
}

std::string emit_sigmoid(NodeEmitContext& ctx) {
  if (ctx.fast_kernels) return lut_call(ctx, device_params<device::SigmoidS8Params>(ctx).size);
  return unary_call(ctx, "sigmoid", "SigmoidS8Params",
                    fixed_point_activation(device_params<device::SigmoidS8Params>(ctx)),
                    sizeof(device::SigmoidS8Params));
}

std::string emit_tanh(NodeEmitContext& ctx) {
  if (ctx.fast_kernels) return lut_call(ctx, device_params<device::TanhS8Params>(ctx).size);
  return unary_call(ctx, "tanh", "TanhS8Params",
                    fixed_point_activation(device_params<device::TanhS8Params>(ctx)),
                    sizeof(device::TanhS8Params));
}

std::string emit_quantize(NodeEmitContext& ctx) {
  if (ctx.input(0).dtype == core::DType::float32) {  // a float-I/O model's input
    const auto& f = device_params<device::QuantizeF32ToS8Params>(ctx);
    const std::string params =
        ctx.params("QuantizeF32ToS8Params", "params",
                   int32_fields(f, {"size", "output_scale:f", "output_zero_point"}), sizeof f);
    ctx.kernels.push_back("quantize");
    return "quantize_f32_to_s8(" + params + ", reinterpret_cast<const float*>(" +
           ctx.arena_input(0) + "), " + ctx.arena_output(0) + ", " + ctx.scratch() + ")";
  }
  const auto& p = device_params<device::QuantizeS8Params>(ctx);
  return unary_call(
      ctx, "quantize", "QuantizeS8Params",
      int32_fields(p, {"size", "input_zero_point", "output_zero_point", "multiplier", "shift"}),
      sizeof(device::QuantizeS8Params));
}

std::string emit_dequantize(NodeEmitContext& ctx) {
  const auto& p = device_params<device::DequantizeS8Params>(ctx);
  const std::string params = ctx.params(
      "DequantizeS8Params", "params", int32_fields(p, {"size", "zero_point", "scale:f"}), sizeof p);
  ctx.kernels.push_back("dequantize");
  return "dequantize_s8(" + params + ", " + ctx.arena_input(0) + ", reinterpret_cast<float*>(" +
         ctx.arena_output(0) + "), " + ctx.scratch() + ")";
}

// ---- requantizing layers (conv2d, fully_connected)

// The constants such a layer reads: its weights, its bias (or nullptr), and the per-channel
// multipliers and shifts its params point at.
struct RequantConstants {
  std::string weights, bias, multipliers, shifts;
};

template <typename Params>
RequantConstants requant_constants(NodeEmitContext& ctx, const Params& p) {
  return {ctx.constant_input(1, "weights"),
          ctx.node().inputs.size() > 2 ? ctx.constant_input(2, "bias") : "nullptr",
          ctx.array("int32_t", "multipliers", p.multipliers, p.requant_channels),
          ctx.array("int8_t", "shifts", p.shifts, p.requant_channels)};
}

// The params' three requantization fields, pointing at those arrays.
template <typename Params>
std::string requant_fields(const Params& p, const RequantConstants& c, bool last = true) {
  return field("requant_channels", p.requant_channels) + field("multipliers", c.multipliers) +
         field("shifts", c.shifts, last);
}

// ---- conv2d

// The layer's bias with the input zero-point term folded in (conv2d_s8_fold_bias), as the
// const array <layer>_folded_bias; the fast kernels take it instead of the bias.
std::string folded_conv_bias(NodeEmitContext& ctx, const device::Conv2dS8Params& p) {
  const core::Tensor& w = ctx.input(1);
  const std::int32_t* bias = nullptr;
  if (ctx.node().inputs.size() > 2) {
    bias = reinterpret_cast<const std::int32_t*>(ctx.input(2).data.data());
  }
  std::vector<std::int32_t> folded(static_cast<std::size_t>(p.out_c));
  device::conv2d_s8_fold_bias(p, reinterpret_cast<const std::int8_t*>(w.data.data()), bias,
                              folded.data());
  return ctx.array("int32_t", "folded_bias", folded.data(), p.out_c);
}

// A fast convolution kernel: its file stem, its function, and the generation-time reordering
// of its weights (same bytes; null: the original order).
struct FastConv {
  const char* stem;
  const char* function;
  void (*reorder_weights)(const device::Conv2dS8Params&, const std::int8_t*, std::int8_t*);
};

// A fast kernel's constants: its weights in its order (<layer>_weights_reordered) instead of
// the originals, the folded bias instead of the bias, the multipliers and shifts.
RequantConstants fast_conv_constants(NodeEmitContext& ctx, const device::Conv2dS8Params& p,
                                     const FastConv& kernel) {
  RequantConstants c;
  if (kernel.reorder_weights == nullptr) {
    c.weights = ctx.constant_input(1, "weights");
  } else {
    const core::Tensor& w = ctx.input(1);
    const auto bytes = static_cast<std::size_t>(p.out_c) * static_cast<std::size_t>(p.kernel_h) *
                       static_cast<std::size_t>(p.kernel_w) *
                       static_cast<std::size_t>(p.in_c_per_group);
    if (w.data.size() != bytes) {
      throw Error("deploy: node '" + ctx.node().name + "': weights hold " +
                  std::to_string(w.data.size()) + " bytes, expected " + std::to_string(bytes));
    }
    std::vector<std::int8_t> reordered(bytes);
    kernel.reorder_weights(p, reinterpret_cast<const std::int8_t*>(w.data.data()),
                           reordered.data());
    c.weights = ctx.array("int8_t", "weights_reordered", reordered.data(),
                          static_cast<std::int64_t>(reordered.size()));
  }
  c.multipliers = ctx.array("int32_t", "multipliers", p.multipliers, p.requant_channels);
  c.shifts = ctx.array("int8_t", "shifts", p.shifts, p.requant_channels);
  c.bias = folded_conv_bias(ctx, p);
  return c;
}

std::string emit_conv2d(NodeEmitContext& ctx) {
  const auto& p = device_params<device::Conv2dS8Params>(ctx);
  // The kernel: where the target takes fast kernels, pointwise, depthwise (out of place, or a
  // 3x3 stride-1 layer in place) and full convolutions each run their DSP kernel, byte for
  // byte conv2d_s8's, with the input zero-point term folded into the bias and the weights in
  // the kernel's order, written here in place of the originals; conv2d_s8 takes the rest.
  const int activation = ctx.model().activation_fusion().activation[ctx.node_index()];
  const std::string output =
      activation < 0
          ? ctx.arena_output(0)
          : ctx.arena_tensor(ctx.graph().nodes[static_cast<std::size_t>(activation)].outputs[0]);
  const bool in_place = ctx.arena_input(0) == output;
  // Pointwise: device/conv2d_fast.h (a 2 x 2 SMLAD GEMM). Depthwise, channel multiplier 1:
  // device/depthwise_fast.h (taps paired into SMLADs). Any other groups-1 convolution (a
  // kernel larger than 1x1, or padding): device/conv2d_gemm_fast.h (im2col of two pixels into
  // the output's free part, then a GEMM). A depthwise convolution kept in place (3x3,
  // stride 1, same shape): device/depthwise_fast_in_place.h, per channel through the plane
  // the arena plan holds as the node's scratch (engine/liveness.h in_place_scratch_bytes),
  // with the original weights.
  // Each of the three has two entry points, in two files: *_short where the layer's
  // requantization takes dsp.h's short output stage (TFLite's usual: the activation range all
  // of int8, right shifts 1..31; with or without a fused table), *_any otherwise; a package
  // holds only the files its layers call.
  const FastConv* fast = nullptr;
  const bool short_stage = ctx.assume_usual_requantization || device::dsp::short_output(p);
  static constexpr FastConv kPointwise{"conv2d_fast", "conv2d_s8_fast_any",
                                       device::conv2d_s8_fast_reorder_weights};
  static constexpr FastConv kPointwiseShort{"conv2d_fast_short", "conv2d_s8_fast_short",
                                            device::conv2d_s8_fast_reorder_weights};
  static constexpr FastConv kDepthwise{"depthwise_fast", "depthwise_s8_fast_any",
                                       device::depthwise_s8_fast_reorder_weights};
  static constexpr FastConv kDepthwiseShort{"depthwise_fast_short", "depthwise_s8_fast_short",
                                            device::depthwise_s8_fast_reorder_weights};
  static constexpr FastConv kFull{"conv2d_gemm_fast", "conv2d_s8_gemm_fast_any",
                                  device::conv2d_s8_gemm_fast_reorder_weights};
  static constexpr FastConv kFullShort{"conv2d_gemm_fast_short", "conv2d_s8_gemm_fast_short",
                                       device::conv2d_s8_gemm_fast_reorder_weights};
  static constexpr FastConv kDepthwiseInPlace{"depthwise_fast_in_place",
                                              "depthwise_s8_fast_in_place", nullptr};
  if (ctx.fast_kernels && !in_place) {
    if (device::conv2d_s8_fast_applies(p)) {
      fast = short_stage ? &kPointwiseShort : &kPointwise;
    } else if (device::depthwise_s8_fast_applies(p)) {
      fast = short_stage ? &kDepthwiseShort : &kDepthwise;
    } else if (device::conv2d_s8_gemm_fast_applies(p)) {
      fast = short_stage ? &kFullShort : &kFull;
    }
  } else if (ctx.fast_kernels && device::depthwise_s8_fast_in_place_applies(p)) {
    fast = &kDepthwiseInPlace;
  }
  const RequantConstants c = fast ? fast_conv_constants(ctx, p, *fast) : requant_constants(ctx, p);
  std::string init = "{\n";
  init += field("batches", p.batches) + field("in_h", p.in_h) + field("in_w", p.in_w) +
          field("in_c", p.in_c) + field("out_h", p.out_h) + field("out_w", p.out_w) +
          field("out_c", p.out_c) + field("kernel_h", p.kernel_h) + field("kernel_w", p.kernel_w) +
          field("stride_h", p.stride_h) + field("stride_w", p.stride_w) +
          field("dilation_h", p.dilation_h) + field("dilation_w", p.dilation_w) +
          field("pad_top", p.pad_top) + field("pad_left", p.pad_left) +
          field("in_c_per_group", p.in_c_per_group) + field("out_c_per_group", p.out_c_per_group) +
          field("input_offset", p.input_offset) + field("output_offset", p.output_offset) +
          field("act_min", p.act_min) + field("act_max", p.act_max) + requant_fields(p, c, false);
  // A fused activation (engine/activation_fusion.h): its table, and its output as the call's.
  const std::string table =
      activation < 0
          ? "nullptr"
          : ctx.array("int8_t", "activation_table", ctx.model().activation_table(ctx.node_index()),
                      engine::kActivationTableBytes);
  init += field("output_table", table, true) + "}";
  const std::string params =
      ctx.params("Conv2dS8Params", "params", init, kDevicePointerStruct(22, 3));
  if (fast == &kDepthwiseInPlace) {
    ctx.kernels.push_back(fast->stem);
    return std::string(fast->function) + "(" + params + ", " + output + ", " + c.weights + ", " +
           c.bias + ", " + ctx.scratch() + ")";
  }
  if (ctx.fused_multiply >= 0) {
    // A multiply fused into the input (engine/mul_fusion.h; the code generator checked that
    // this kernel takes it): its params, in the order the kernel reads the operands, x (the
    // operand the multiply runs in place over: this call's input bytes) then the other.
    if (fast != &kPointwise && fast != &kPointwiseShort) {
      throw Error("deploy: node '" + ctx.node().name +
                  "': a fused multiply needs the fast pointwise kernel");
    }
    const auto& m = *static_cast<const device::MulS8Params*>(ctx.fused_multiply_params);
    const core::Node& mul = ctx.graph().nodes[static_cast<std::size_t>(ctx.fused_multiply)];
    const int x = ctx.model()
                      .arena_plan()
                      .buffers.in_place_input[static_cast<std::size_t>(ctx.fused_multiply)];
    const bool x_first = mul.inputs[0] == x;
    const int other = x_first ? mul.inputs[1] : mul.inputs[0];
    const bool gate = core::num_elements(ctx.graph().tensor(other).shape) == p.in_c;
    std::string mul_init = "{\n";
    mul_init += field("x_offset", x_first ? m.input1_offset : m.input2_offset) +
                field("other_offset", x_first ? m.input2_offset : m.input1_offset) +
                field("output_offset", m.output_offset) +
                field("output_multiplier", m.output_multiplier) +
                field("output_shift", m.output_shift) + field("act_min", m.act_min) +
                field("act_max", m.act_max) + field("other_step", gate ? 0 : p.in_c) +
                field("other", ctx.arena_symbol + ctx.arena_tensor(other).substr(5), true) + "}";
    const std::string mul_params =
        ctx.params("PointwiseMulS8Params", "mul_params", mul_init, kDevicePointerStruct(8, 1));
    ctx.kernels.push_back(std::string(fast->stem) + "_mul");
    return std::string(fast->function) + "_mul(" + params + ", " + mul_params + ", " +
           ctx.arena_input(0) + ", " + c.weights + ", " + c.bias + ", " + output + ")";
  }
  if (fast != nullptr) {
    ctx.kernels.push_back(fast->stem);
    return std::string(fast->function) + "(" + params + ", " + ctx.arena_input(0) + ", " +
           c.weights + ", " + c.bias + ", " + output + ", " + ctx.scratch() + ")";
  }
  ctx.kernels.push_back("conv2d");
  return "conv2d_s8(" + params + ", " + ctx.arena_input(0) + ", " + c.weights + ", " + c.bias +
         ", " + output + ", " + ctx.scratch() + ")";
}

// ---- fully_connected

std::string emit_fully_connected(NodeEmitContext& ctx) {
  const auto& p = device_params<device::FullyConnectedS8Params>(ctx);
  // The kernel: where the target takes fast kernels, a register-blocked GEMV
  // (device/fully_connected_fast.h: 4 rows x 8 features per step, two MACs per SMLAD), byte
  // for byte fully_connected_s8's, reading its weights in its own order and the bias with the
  // input zero-point term folded in, both written here in place of the originals.
  const bool fast = ctx.fast_kernels && ctx.arena_input(0) != ctx.arena_output(0) &&
                    device::fully_connected_s8_fast_applies(p);
  RequantConstants c;
  if (fast) {
    const auto* w = reinterpret_cast<const std::int8_t*>(ctx.input(1).data.data());
    const std::int32_t* bias = nullptr;
    if (ctx.node().inputs.size() > 2) {
      bias = reinterpret_cast<const std::int32_t*>(ctx.input(2).data.data());
    }
    std::vector<std::int8_t> reordered(static_cast<std::size_t>(p.out_features) *
                                       static_cast<std::size_t>(p.in_features));
    device::fully_connected_s8_fast_reorder_weights(p, w, reordered.data());
    std::vector<std::int32_t> folded(static_cast<std::size_t>(p.out_features));
    device::fully_connected_s8_fold_bias(p, w, bias, folded.data());
    c.weights = ctx.array("int8_t", "weights_reordered", reordered.data(),
                          static_cast<std::int64_t>(reordered.size()));
    c.bias = ctx.array("int32_t", "folded_bias", folded.data(), p.out_features);
    c.multipliers = ctx.array("int32_t", "multipliers", p.multipliers, p.requant_channels);
    c.shifts = ctx.array("int8_t", "shifts", p.shifts, p.requant_channels);
  } else {
    c = requant_constants(ctx, p);
  }
  std::string init = "{\n";
  init += field("batches", p.batches) + field("in_features", p.in_features) +
          field("out_features", p.out_features) + field("input_offset", p.input_offset) +
          field("weight_offset", p.weight_offset) + field("output_offset", p.output_offset) +
          field("act_min", p.act_min) + field("act_max", p.act_max) + requant_fields(p, c) + "}";
  const std::string params =
      ctx.params("FullyConnectedS8Params", "params", init, kDevicePointerStruct(9, 2));
  ctx.kernels.push_back(fast ? "fully_connected_fast" : "fully_connected");
  return std::string(fast ? "fully_connected_s8_fast(" : "fully_connected_s8(") + params + ", " +
         ctx.arena_input(0) + ", " + c.weights + ", " + c.bias + ", " + ctx.arena_output(0) + ", " +
         ctx.scratch() + ")";
}

}  // namespace

Emitter find_emitter(core::OpType op) {
  switch (op) {
    case core::OpType::conv2d:
      return emit_conv2d;
    case core::OpType::fully_connected:
      return emit_fully_connected;
    case core::OpType::avg_pool:
      return emit_avg_pool;
    case core::OpType::max_pool:
      return emit_max_pool;
    case core::OpType::global_avg_pool:
      return emit_global_avg_pool;
    case core::OpType::reshape:
      return emit_reshape;
    case core::OpType::softmax:
      return emit_softmax;
    case core::OpType::clip:
      return emit_clip;
    case core::OpType::hard_swish:
      return emit_hard_swish;
    case core::OpType::leaky_relu:
      return emit_leaky_relu;
    case core::OpType::relu:
      return emit_relu;
    case core::OpType::add:
      return emit_add;
    case core::OpType::mul:
      return emit_mul;
    case core::OpType::concat:
      return emit_concat;
    case core::OpType::split:
      return emit_split;
    case core::OpType::pad:
      return emit_pad;
    case core::OpType::slice:
      return emit_slice;
    case core::OpType::paste:
      return emit_paste;
    case core::OpType::resize_nearest:
      return emit_resize_nearest;
    case core::OpType::sigmoid:
      return emit_sigmoid;
    case core::OpType::tanh:
      return emit_tanh;
    case core::OpType::quantize:
      return emit_quantize;
    case core::OpType::dequantize:
      return emit_dequantize;
    default:
      return nullptr;
  }
}

}  // namespace tinyscale::deploy
