#include "engine/mul_fusion.h"

#include "engine/activation_fusion.h"
#include "engine/kernels/device/conv2d_fast.h"

namespace tinyscale::engine {
namespace {

bool is_int8(const core::Tensor& t, bool int8_activations) {
  return t.dtype == core::DType::int8 || (int8_activations && t.dtype == core::DType::float32);
}

// One value per channel of `y` ([.., C] with every other axis 1).
bool is_channel_gate(const core::Shape& gate, const core::Shape& y) {
  if (gate.empty() || gate.size() > y.size() || gate.back() != y.back()) return false;
  for (std::size_t i = 0; i + 1 < gate.size(); ++i) {
    if (gate[i] != 1) return false;
  }
  return true;
}

// A 1x1, stride-1, unpadded, ungrouped int8 convolution of a 4-D map.
bool is_pointwise(const core::Graph& graph, const core::Node& conv, bool int8_activations) {
  if (conv.op != core::OpType::conv2d || conv.inputs.size() < 2 || conv.outputs.size() != 1) {
    return false;
  }
  const core::Attributes& a = conv.attrs;
  const core::Shape& x = graph.tensor(conv.inputs[0]).shape;
  const core::Shape& w = graph.tensor(conv.inputs[1]).shape;
  return x.size() == 4 && w.size() == 4 && w[1] == 1 && w[2] == 1 && w[3] == x[3] &&
         a.groups <= 1 && a.stride_h == 1 && a.stride_w == 1 && a.pad_top == 0 &&
         a.pad_bottom == 0 && a.pad_left == 0 && a.pad_right == 0 &&
         is_int8(graph.tensor(conv.inputs[0]), int8_activations) &&
         is_int8(graph.tensor(conv.outputs[0]), int8_activations);
}

}  // namespace

std::vector<FusedMultiply> multiply_fusion_candidates(const core::Graph& graph,
                                                      bool int8_activations) {
  const std::vector<int> reader = sole_readers(graph);
  std::vector<FusedMultiply> pairs;
  for (std::size_t m = 0; m < graph.nodes.size(); ++m) {
    const core::Node& mul = graph.nodes[m];
    if (mul.op != core::OpType::mul || mul.inputs.size() != 2 || mul.outputs.size() != 1) {
      continue;
    }
    const auto y = static_cast<std::size_t>(mul.outputs[0]);
    if (reader[y] < 0) continue;
    const core::Tensor& out = graph.tensor(mul.outputs[0]);
    const core::Tensor& a = graph.tensor(mul.inputs[0]);
    const core::Tensor& b = graph.tensor(mul.inputs[1]);
    if (a.is_constant || b.is_constant || !is_int8(a, int8_activations) ||
        !is_int8(b, int8_activations) || !is_int8(out, int8_activations) || out.shape.size() != 4 ||
        out.shape[0] != 1) {
      continue;
    }
    const bool rows =
        (a.shape == out.shape && (b.shape == out.shape || is_channel_gate(b.shape, out.shape))) ||
        (b.shape == out.shape && is_channel_gate(a.shape, out.shape));
    const core::Node& conv = graph.nodes[static_cast<std::size_t>(reader[y])];
    if (!rows || !is_pointwise(graph, conv, int8_activations) || conv.inputs[0] != mul.outputs[0]) {
      continue;
    }
    pairs.push_back({static_cast<int>(m), reader[y]});
  }
  return pairs;
}

bool multiply_fusion_pays(const core::Graph& graph, const FusedMultiply& pair) {
  const core::Node& conv = graph.nodes[static_cast<std::size_t>(pair.conv)];
  const core::Shape& x = graph.tensor(conv.inputs[0]).shape;   // [1, H, W, in_c]
  const core::Shape& y = graph.tensor(conv.outputs[0]).shape;  // [1, H, W, out_c]
  device::Conv2dS8Params p{};
  p.batches = 1;
  p.in_h = p.out_h = static_cast<std::int32_t>(x[1]);
  p.in_w = p.out_w = static_cast<std::int32_t>(x[2]);
  p.in_c = static_cast<std::int32_t>(x[3]);
  p.out_c = static_cast<std::int32_t>(y[3]);
  return device::conv2d_s8_fast_mul_expansion_applies(p);
}

}  // namespace tinyscale::engine
