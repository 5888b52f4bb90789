// batch_norm: inference-mode BatchNorm over the last (channel) axis, float32 only:
//   y = (x - running_mean[c]) / sqrt(running_var[c] + epsilon) · gamma[c] + beta[c]
// as PyTorch's BatchNorm2d in eval mode (micromind's eps 1e-3 comes in attrs.epsilon). It
// runs float graphs that keep a BatchNorm (an ONNX file read as it is, a BatchNorm after an
// activation); an int8 deployment never sees one, since core::lower_for_deployment folds it
// into its convolution or lowers it to mul + add. prepare() turns the four statistics into
// one scale and one shift per channel, held after the fixed op_data struct.
#include <cmath>
#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct BatchNormData {
  std::int64_t outer;  // elements / channels
  std::int64_t channels;
};

// `channels` scales then `channels` shifts after the header.
float* scales_of(void* op_data) {
  return reinterpret_cast<float*>(static_cast<std::uint8_t*>(op_data) + sizeof(BatchNormData));
}

std::size_t extra_bytes(const core::Graph& graph, const core::Node& node) {
  const core::Shape& x = graph.tensor(node.inputs[0]).shape;
  return x.empty() ? 0 : 2 * static_cast<std::size_t>(x.back()) * sizeof(float);
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  if (Status s = check_arity(ctx, 5, 5); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_float32(ctx, x); s != Status::ok) return s;
  if (Status s = check_float32(ctx, y); s != Status::ok) return s;
  if (x.shape.empty() || y.shape != x.shape) {
    return ctx.fail(Status::invalid_model,
                    "batch_norm '%s': the output must have the input's shape, with a channel axis",
                    ctx.node->name.c_str());
  }
  const std::int64_t channels = x.shape.back();
  for (int i = 1; i < 5; ++i) {
    const TensorRef& stat = ctx.inputs[i];
    if (Status s = check_float32(ctx, *stat.tensor); s != Status::ok) return s;
    if (Status s = check_constant_data(ctx, stat); s != Status::ok) return s;
    if (stat.tensor->shape != core::Shape{channels}) {
      return ctx.fail(Status::invalid_model, "batch_norm '%s': '%s' must be [%lld]",
                      ctx.node->name.c_str(), stat.tensor->name.c_str(),
                      static_cast<long long>(channels));
    }
  }
  const float epsilon = ctx.node->attrs.epsilon;
  if (!(epsilon > 0.0f)) {
    return ctx.fail(Status::invalid_model, "batch_norm '%s': epsilon %g must be positive",
                    ctx.node->name.c_str(), static_cast<double>(epsilon));
  }
  auto& d = ctx.data<BatchNormData>();
  d.channels = channels;
  d.outer = core::num_elements(x.shape) / channels;
  const float* gamma = ctx.inputs[1].as<const float>();
  const float* beta = ctx.inputs[2].as<const float>();
  const float* mean = ctx.inputs[3].as<const float>();
  const float* var = ctx.inputs[4].as<const float>();
  float* scale = scales_of(ctx.op_data);
  float* shift = scale + channels;
  for (std::int64_t c = 0; c < channels; ++c) {
    const double s = gamma[c] / std::sqrt(static_cast<double>(var[c]) + epsilon);
    scale[c] = static_cast<float>(s);
    shift[c] = static_cast<float>(beta[c] - mean[c] * s);
  }
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<BatchNormData>();
  const float* scale = scales_of(ctx.op_data);
  const float* shift = scale + d.channels;
  const float* x = ctx.inputs[0].as<const float>();
  float* y = ctx.outputs[0].as<float>();
  for (std::int64_t o = 0; o < d.outer; ++o) {
    for (std::int64_t c = 0; c < d.channels; ++c) {
      y[o * d.channels + c] = x[o * d.channels + c] * scale[c] + shift[c];
    }
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kBatchNormFloat32{core::OpType::batch_norm,
                                          core::DType::float32,
                                          sizeof(BatchNormData),
                                          prepare_float,
                                          eval_float,
                                          extra_bytes};

}  // namespace tinyscale::engine
