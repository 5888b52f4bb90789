#include "blocks/builder.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace tinyscale::blocks {
namespace {

constexpr std::int64_t kMaxBuilderChannels = 2147483647;  // int32, as groups and TFLite shapes

}  // namespace

Builder::Builder(core::Graph& graph, BuilderOptions options)
    : graph_(graph), options_(options), rng_(options.seed) {
  // Networks here have a few hundred tensors; growing the vectors would move them all
  // repeatedly, which the solver pays for on every candidate.
  graph_.tensors.reserve(512);
  graph_.nodes.reserve(256);
}

int Builder::input(const std::string& name, std::int64_t channels, std::int64_t height,
                   std::int64_t width) {
  if (channels < 1 || height < 1 || width < 1) {
    throw Error("input '" + name + "': shape " + std::to_string(channels) + "x" +
                std::to_string(height) + "x" + std::to_string(width) + " must be positive");
  }
  return graph_.add_input(name, {1, height, width, channels});
}

int Builder::parameter(const std::string& name, core::Shape shape, float bound) {
  const int id = graph_.add_constant(name, std::move(shape));
  if (!options_.materialize_weights) return id;
  core::Tensor& t = graph_.tensor(id);
  std::vector<float> values(static_cast<std::size_t>(core::num_elements(t.shape)));
  // 24 random bits per value: the same stream on every platform (std::uniform_real_distribution
  // is implementation-defined).
  for (float& v : values) {
    const double unit = static_cast<double>(rng_() >> 40) / static_cast<double>(1 << 24);
    v = static_cast<float>((2.0 * unit - 1.0) * bound);
  }
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return id;
}

int Builder::constant_fill(const std::string& name, core::Shape shape, float value) {
  const int id = graph_.add_constant(name, std::move(shape));
  if (!options_.materialize_weights) return id;
  core::Tensor& t = graph_.tensor(id);
  const std::vector<float> values(static_cast<std::size_t>(core::num_elements(t.shape)), value);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return id;
}

int Builder::conv2d(const std::string& name, int x, const ConvSpec& spec) {
  const std::int64_t in_channels = channels(x);
  if (spec.out_channels < 1) {
    throw Error("layer '" + name + "' (conv2d): " + std::to_string(spec.out_channels) +
                " output channels; the width multiplier is too small for this layer");
  }
  // Channel counts reach here from double arithmetic in the blocks; a count beyond int32 would
  // wrap in `groups` and in the exporters' int32 shapes.
  if (in_channels > kMaxBuilderChannels || spec.out_channels > kMaxBuilderChannels) {
    throw Error("layer '" + name + "' (conv2d): " + std::to_string(in_channels) + " -> " +
                std::to_string(spec.out_channels) + " channels; at most " +
                std::to_string(kMaxBuilderChannels) + " per tensor");
  }
  if (spec.groups < 1 || in_channels % spec.groups != 0 || spec.out_channels % spec.groups != 0) {
    throw Error("layer '" + name + "' (conv2d): groups " + std::to_string(spec.groups) +
                " must divide input channels " + std::to_string(in_channels) +
                " and output channels " + std::to_string(spec.out_channels));
  }
  const std::int64_t fan_in = in_channels / spec.groups * spec.kernel * spec.kernel;
  const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in)));
  std::vector<int> inputs = {
      x,
      parameter(name + ".weight",
                {spec.out_channels, spec.kernel, spec.kernel, in_channels / spec.groups}, bound)};
  if (spec.bias) inputs.push_back(parameter(name + ".bias", {spec.out_channels}, bound));
  core::Attributes a;
  a.kernel_h = a.kernel_w = spec.kernel;
  a.stride_h = a.stride_w = spec.stride;
  a.dilation_h = a.dilation_w = spec.dilation;
  a.pad_top = spec.pad.top;
  a.pad_bottom = spec.pad.bottom;
  a.pad_left = spec.pad.left;
  a.pad_right = spec.pad.right;
  a.groups = spec.groups;
  return graph_.add_node(core::OpType::conv2d, name, std::move(inputs), a);
}

void Builder::fill_bias(int output, float value) {
  const core::Node& layer = graph_.nodes.back();
  if (layer.outputs.empty() || layer.outputs[0] != output || layer.inputs.size() < 3) {
    throw Error("layer '" + layer.name +
                "': fill_bias needs the output of the layer just added, with a bias");
  }
  if (!options_.materialize_weights) return;
  for (float& b : graph_.tensor(layer.inputs[2]).mutable_values<float>()) b = value;
}

int Builder::batch_norm(const std::string& name, int x, float epsilon) {
  const std::int64_t c = channels(x);
  std::vector<int> inputs = {x, constant_fill(name + ".weight", {c}, 1.0f),
                             constant_fill(name + ".bias", {c}, 0.0f),
                             constant_fill(name + ".running_mean", {c}, 0.0f),
                             constant_fill(name + ".running_var", {c}, 1.0f)};
  core::Attributes a;
  a.epsilon = epsilon;
  return graph_.add_node(core::OpType::batch_norm, name, std::move(inputs), a);
}

int Builder::activation(const std::string& name, int x, Activation activation) {
  core::Attributes a;
  switch (activation) {
    case Activation::none:
      return x;
    case Activation::relu:
      return graph_.add_node(core::OpType::relu, name, {x});
    case Activation::relu6:
      a.clip_min = 0.0f;
      a.clip_max = 6.0f;
      return graph_.add_node(core::OpType::clip, name, {x}, a);
    case Activation::hard_swish:
      return graph_.add_node(core::OpType::hard_swish, name, {x});
    case Activation::sigmoid:
      return graph_.add_node(core::OpType::sigmoid, name, {x});
    case Activation::silu:
      return graph_.add_node(core::OpType::silu, name, {x});
  }
  return x;
}

int Builder::add(const std::string& name, int a, int b) {
  return graph_.add_node(core::OpType::add, name, {a, b});
}

int Builder::mul(const std::string& name, int a, int b) {
  return graph_.add_node(core::OpType::mul, name, {a, b});
}

int Builder::max_pool(const std::string& name, int x, int kernel, int stride) {
  core::Attributes a;
  a.kernel_h = a.kernel_w = kernel;
  a.stride_h = a.stride_w = stride;
  return graph_.add_node(core::OpType::max_pool, name, {x}, a);
}

int Builder::global_avg_pool(const std::string& name, int x) {
  return graph_.add_node(core::OpType::global_avg_pool, name, {x});
}

int Builder::adaptive_avg_pool(const std::string& name, int x, std::int64_t out_h,
                               std::int64_t out_w) {
  const core::Shape& s = shape(x);
  if (out_h < 1 || out_w < 1) {
    throw Error("layer '" + name + "' (adaptive_avg_pool): output size " + std::to_string(out_h) +
                "x" + std::to_string(out_w) + " is empty; the input resolution is too small");
  }
  if (s[1] == out_h && s[2] == out_w) return x;
  if (out_h == 1 && out_w == 1) return global_avg_pool(name, x);
  core::Attributes a;
  if (s[1] % out_h == 0 && s[2] % out_w == 0) {
    a.kernel_h = a.stride_h = static_cast<int>(s[1] / out_h);
    a.kernel_w = a.stride_w = static_cast<int>(s[2] / out_w);
    return graph_.add_node(core::OpType::avg_pool, name, {x}, a);
  }
  a.out_h = static_cast<int>(out_h);
  a.out_w = static_cast<int>(out_w);
  return graph_.add_node(core::OpType::adaptive_avg_pool, name, {x}, a);
}

int Builder::zero_pad(const std::string& name, int x, const Padding& pad) {
  if (pad.top == 0 && pad.bottom == 0 && pad.left == 0 && pad.right == 0) return x;
  core::Attributes a;
  a.pad_top = pad.top;
  a.pad_bottom = pad.bottom;
  a.pad_left = pad.left;
  a.pad_right = pad.right;
  return graph_.add_node(core::OpType::pad, name, {x}, a);
}

int Builder::flatten(const std::string& name, int x) {
  const core::Shape& s = shape(x);
  core::Attributes a;
  a.new_shape = {s[0], core::num_elements(s) / s[0]};
  return graph_.add_node(core::OpType::reshape, name, {x}, a);
}

int Builder::fully_connected(const std::string& name, int x, std::int64_t out_features, bool bias) {
  const std::int64_t in_features = shape(x).back();
  if (out_features < 1 || out_features > kMaxBuilderChannels) {
    throw Error("layer '" + name + "' (fully_connected): " + std::to_string(out_features) +
                " output features; must be within 1.." + std::to_string(kMaxBuilderChannels));
  }
  const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(in_features)));
  std::vector<int> inputs = {x, parameter(name + ".weight", {out_features, in_features}, bound)};
  if (bias) inputs.push_back(parameter(name + ".bias", {out_features}, bound));
  return graph_.add_node(core::OpType::fully_connected, name, std::move(inputs));
}

}  // namespace tinyscale::blocks
