// One-node test harness for the kernels: builds a core::Graph with one node (inputs,
// constants with data and quantization, attributes), runs find_kernel → prepare → eval on
// buffers it allocates itself, and returns the output bytes plus prepare's status/message.
//
//   TensorSpec x = int8_tensor({1, 2, 2, 1}, 0.5f, -1, {1, 2, 3, 4});
//   KernelRun r = run_kernel(core::OpType::avg_pool, {x}, attrs, int8_output(0.5f, -1));
//   EXPECT_EQ(r.values<std::int8_t>(), (std::vector<std::int8_t>{3}));
//
// property_vs_float() runs an int8 node and the float kernel of the same op on the
// dequantized inputs and checks the dequantized int8 output is within `tolerance_steps`
// output quantization steps of the float result.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/graph.h"
#include "engine/kernels/kernel.h"

namespace tinyscale::engine::testing {

struct TensorSpec {
  core::Shape shape;
  core::DType dtype = core::DType::float32;
  core::Quantization quantization;
  std::vector<std::uint8_t> bytes;  // little-endian element data
  bool is_constant = false;
};

template <typename T>
std::vector<std::uint8_t> to_bytes(const std::vector<T>& values) {
  std::vector<std::uint8_t> out(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

template <typename T>
std::vector<T> from_bytes(const std::vector<std::uint8_t>& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

inline core::Quantization per_tensor(float scale, std::int64_t zero_point) {
  core::Quantization q;
  q.scales = {scale};
  q.zero_points = {zero_point};
  return q;
}

inline core::Quantization per_channel(std::vector<float> scales, int axis = 0) {
  core::Quantization q;
  q.zero_points.assign(scales.size(), 0);
  q.scales = std::move(scales);
  q.axis = axis;
  return q;
}

inline TensorSpec int8_tensor(core::Shape shape, float scale, std::int64_t zero_point,
                              const std::vector<std::int8_t>& values) {
  return {std::move(shape), core::DType::int8, per_tensor(scale, zero_point), to_bytes(values),
          false};
}
inline TensorSpec int8_constant(core::Shape shape, core::Quantization q,
                                const std::vector<std::int8_t>& values) {
  return {std::move(shape), core::DType::int8, std::move(q), to_bytes(values), true};
}
// Bias: scales are input_scale × weight_scale[c] (used only to dequantize for float checks).
inline TensorSpec int32_constant(core::Shape shape, std::vector<float> scales,
                                 const std::vector<std::int32_t>& values) {
  core::Quantization q;
  q.zero_points.assign(scales.size(), 0);
  q.scales = std::move(scales);
  return {std::move(shape), core::DType::int32, std::move(q), to_bytes(values), true};
}
inline TensorSpec float_tensor(core::Shape shape, const std::vector<float>& values) {
  return {std::move(shape), core::DType::float32, {}, to_bytes(values), false};
}
inline TensorSpec float_constant(core::Shape shape, const std::vector<float>& values) {
  return {std::move(shape), core::DType::float32, {}, to_bytes(values), true};
}

struct OutputSpec {
  core::DType dtype = core::DType::float32;
  core::Quantization quantization;
  std::optional<core::Shape> shape;  // overrides the inferred shape (error tests)
};
inline OutputSpec int8_output(float scale, std::int64_t zero_point) {
  return {core::DType::int8, per_tensor(scale, zero_point), std::nullopt};
}
inline OutputSpec float_output() { return {}; }

struct KernelRun {
  bool found = false;
  Status prepare_status = Status::ok;
  std::string error;
  core::Shape output_shape;
  std::vector<std::uint8_t> output;
  template <typename T>
  std::vector<T> values() const {
    return from_bytes<T>(output);
  }
};

// Aligned byte buffer (kernels read floats and int32s straight from it).
class Buffer {
 public:
  explicit Buffer(std::size_t bytes, std::uint8_t fill = 0)
      : storage_((bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t) + 1) {
    std::memset(storage_.data(), fill, storage_.size() * sizeof(std::max_align_t));
  }
  void* data() { return storage_.data(); }

 private:
  std::vector<std::max_align_t> storage_;
};

inline KernelRun run_kernel(core::OpType op, const std::vector<TensorSpec>& inputs,
                            const core::Attributes& attrs, const OutputSpec& output_spec) {
  core::Graph g;
  std::vector<int> ids;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec& s = inputs[i];
    const std::string name = (s.is_constant ? "const" : "in") + std::to_string(i);
    const int id = s.is_constant ? g.add_constant(name, s.shape, s.dtype)
                                 : g.add_input(name, s.shape, s.dtype);
    core::Tensor& t = g.tensor(id);
    t.quantization = s.quantization;
    if (s.is_constant) t.data = s.bytes;
    ids.push_back(id);
  }
  const int out_id = g.add_node(op, "node", ids, attrs);
  core::Tensor& out = g.tensor(out_id);
  out.dtype = output_spec.dtype;
  out.quantization = output_spec.quantization;
  if (output_spec.shape) out.shape = *output_spec.shape;
  g.mark_output(out_id);

  KernelRun run;
  run.output_shape = out.shape;
  const KernelInfo* kernel = find_kernel(op, inputs.at(0).dtype);
  if (!kernel) return run;
  run.found = true;

  std::vector<Buffer> input_buffers;
  input_buffers.reserve(inputs.size());
  std::vector<TensorRef> refs(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    input_buffers.emplace_back(inputs[i].bytes.size());
    if (!inputs[i].bytes.empty())
      std::memcpy(input_buffers[i].data(), inputs[i].bytes.data(), inputs[i].bytes.size());
    refs[i].tensor = &g.tensor(ids[i]);
    refs[i].data = inputs[i].is_constant ? input_buffers[i].data() : nullptr;  // no arena yet
  }
  const auto out_bytes =
      static_cast<std::size_t>(core::num_elements(out.shape) * core::dtype_size(out.dtype));
  Buffer output_buffer(out_bytes, 0x5a);  // sentinel: unwritten bytes show up in comparisons
  TensorRef out_ref{&out, nullptr};

  Buffer op_data(op_data_bytes(*kernel, g, g.nodes[0]));
  char error[256] = {};
  NodeContext ctx;
  ctx.graph = &g;
  ctx.node = &g.nodes[0];
  ctx.inputs = refs.data();
  ctx.num_inputs = static_cast<int>(refs.size());
  ctx.outputs = &out_ref;
  ctx.num_outputs = 1;
  ctx.op_data = op_data.data();
  ctx.error = error;
  ctx.error_size = sizeof(error);
  std::int64_t scratch_bytes = 0;
  run.prepare_status = kernel->prepare(ctx, &scratch_bytes);
  run.error = error;
  if (run.prepare_status != Status::ok) return run;

  Buffer scratch(static_cast<std::size_t>(std::max<std::int64_t>(scratch_bytes, 0)));
  for (std::size_t i = 0; i < inputs.size(); ++i) refs[i].data = input_buffers[i].data();
  out_ref.data = output_buffer.data();
  ctx.scratch = scratch_bytes > 0 ? scratch.data() : nullptr;
  ctx.error = nullptr;
  ctx.error_size = 0;
  EXPECT_EQ(kernel->eval(ctx), Status::ok);
  run.output.resize(out_bytes);
  std::memcpy(run.output.data(), output_buffer.data(), out_bytes);
  return run;
}

// ---- random data and the int8-vs-float property check

inline std::vector<std::int8_t> random_int8(std::mt19937& rng, std::size_t n, int lo = -128,
                                            int hi = 127) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<std::int8_t> v(n);
  for (auto& x : v) x = static_cast<std::int8_t>(dist(rng));
  return v;
}
inline std::vector<std::int32_t> random_int32(std::mt19937& rng, std::size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<std::int32_t> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// The float twin of an int8 / int32 spec: each element (q - zero_point) × scale, with
// per-channel scales along axis 0 (weights, biases).
inline TensorSpec dequantized(const TensorSpec& s) {
  if (s.dtype == core::DType::float32) return s;
  const std::int64_t n = core::num_elements(s.shape);
  const std::size_t channels = s.quantization.scales.size();
  const std::int64_t inner = channels > 1 ? n / s.shape.at(0) : n;
  std::vector<float> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::size_t c = channels > 1 ? static_cast<std::size_t>(i / inner) : 0;
    const double q =
        s.dtype == core::DType::int8
            ? static_cast<double>(from_bytes<std::int8_t>(s.bytes)[static_cast<std::size_t>(i)])
            : static_cast<double>(from_bytes<std::int32_t>(s.bytes)[static_cast<std::size_t>(i)]);
    values[static_cast<std::size_t>(i)] =
        static_cast<float>((q - static_cast<double>(s.quantization.zero_points[c])) *
                           static_cast<double>(s.quantization.scales[c]));
  }
  return {s.shape, core::DType::float32, {}, to_bytes(values), s.is_constant};
}

// Runs `op` on int8 `inputs` and on their dequantized float twins; every dequantized int8
// output must lie within tolerance_steps × output scale of the float output (after clamping
// the float result into the int8 output's representable range).
inline void property_vs_float(core::OpType op, const std::vector<TensorSpec>& inputs,
                              const core::Attributes& attrs, const OutputSpec& int8_out,
                              double tolerance_steps) {
  const KernelRun q = run_kernel(op, inputs, attrs, int8_out);
  ASSERT_TRUE(q.found);
  ASSERT_EQ(q.prepare_status, Status::ok) << q.error;
  std::vector<TensorSpec> float_inputs;
  for (const TensorSpec& s : inputs) float_inputs.push_back(dequantized(s));
  const KernelRun f = run_kernel(op, float_inputs, attrs, float_output());
  ASSERT_TRUE(f.found);
  ASSERT_EQ(f.prepare_status, Status::ok) << f.error;
  const auto qv = q.values<std::int8_t>();
  const auto fv = f.values<float>();
  ASSERT_EQ(qv.size(), fv.size());
  const double scale = int8_out.quantization.scales[0];
  const double zp = static_cast<double>(int8_out.quantization.zero_points[0]);
  const double lo = (-128 - zp) * scale, hi = (127 - zp) * scale;
  double worst = 0;
  for (std::size_t i = 0; i < qv.size(); ++i) {
    const double got = (qv[i] - zp) * scale;
    const double want = std::clamp(static_cast<double>(fv[i]), lo, hi);
    worst = std::max(worst, std::abs(got - want) / scale);
  }
  // 1e-3 steps of slack for float rounding in the dequantization itself.
  EXPECT_LE(worst, tolerance_steps + 1e-3)
      << "worst error in output steps over " << qv.size() << " values";
}

}  // namespace tinyscale::engine::testing
