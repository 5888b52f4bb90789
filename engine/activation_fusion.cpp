#include "engine/activation_fusion.h"

#include "core/ops.h"
#include "engine/kernels/device/clip.h"
#include "engine/kernels/device/hard_swish.h"
#include "engine/kernels/device/leaky_relu.h"
#include "engine/kernels/device/quantize.h"
#include "engine/kernels/device/relu.h"
#include "engine/kernels/device/sigmoid.h"
#include "engine/kernels/device/tanh.h"

namespace tinyscale::engine {
namespace {

// The device kernel of activation params P over the 256 int8 values.
template <typename P, typename Kernel>
void fill_table(const void* device_params, Kernel kernel, std::int8_t* table) {
  P p = *static_cast<const P*>(device_params);
  p.size = static_cast<std::int32_t>(kActivationTableBytes);
  std::int8_t input[kActivationTableBytes];
  for (int i = 0; i < kActivationTableBytes; ++i) input[i] = static_cast<std::int8_t>(i - 128);
  kernel(p, input, table, nullptr);
}

}  // namespace

bool op_fuses_into_conv(core::OpType op) {
  switch (op) {
    case core::OpType::hard_swish:
    case core::OpType::sigmoid:
    case core::OpType::tanh:
    case core::OpType::leaky_relu:
    case core::OpType::relu:
    case core::OpType::clip:
    case core::OpType::quantize:
      return true;
    default:
      return false;
  }
}

ActivationFusion no_activation_fusion(const core::Graph& graph) {
  ActivationFusion f;
  f.activation.assign(graph.nodes.size(), -1);
  f.fused_into.assign(graph.nodes.size(), -1);
  return f;
}

std::vector<int> sole_readers(const core::Graph& graph) {
  // Per tensor: how many times nodes read it, and the last node reading it.
  std::vector<int> reads(graph.tensors.size(), 0), reader(graph.tensors.size(), -1);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    for (const int id : graph.nodes[n].inputs) {
      ++reads[static_cast<std::size_t>(id)];
      reader[static_cast<std::size_t>(id)] = static_cast<int>(n);
    }
  }
  std::vector<int> producer(graph.tensors.size(), -1);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    for (const int id : graph.nodes[n].outputs)
      producer[static_cast<std::size_t>(id)] = static_cast<int>(n);
  }
  for (const int id : graph.outputs) reads[static_cast<std::size_t>(id)] = 0;
  for (std::size_t t = 0; t < reader.size(); ++t) {
    if (reads[t] != 1 || reader[t] <= producer[t]) reader[t] = -1;
  }
  return reader;
}

ActivationFusion plan_activation_fusion(const core::Graph& graph, bool int8_activations) {
  ActivationFusion f = no_activation_fusion(graph);
  const std::vector<int> reader = sole_readers(graph);
  for (std::size_t c = 0; c < graph.nodes.size(); ++c) {
    const core::Node& conv = graph.nodes[c];
    if (conv.op != core::OpType::conv2d || conv.outputs.size() != 1 || conv.inputs.empty()) {
      continue;
    }
    const auto y = static_cast<std::size_t>(conv.outputs[0]);
    if (reader[y] < 0) continue;
    const auto a = static_cast<std::size_t>(reader[y]);
    const core::Node& act = graph.nodes[a];
    if (!op_fuses_into_conv(act.op) || act.inputs.size() != 1 || act.outputs.size() != 1) {
      continue;
    }
    const core::Tensor& x = graph.tensor(conv.inputs[0]);
    const core::Tensor& pre = graph.tensor(conv.outputs[0]);
    const core::Tensor& z = graph.tensor(act.outputs[0]);
    const bool same_dtype = x.dtype == pre.dtype && z.dtype == pre.dtype;
    const bool int8 =
        pre.dtype == core::DType::int8 || (int8_activations && pre.dtype == core::DType::float32);
    if (!same_dtype || !int8 || core::num_elements(z.shape) != core::num_elements(pre.shape)) {
      continue;
    }
    f.activation[c] = static_cast<int>(a);
    f.fused_into[a] = static_cast<int>(c);
    ++f.count;
  }
  return f;
}

bool activation_table_s8(core::OpType op, const void* device_params, std::int8_t* table) {
  switch (op) {
    case core::OpType::hard_swish:
      fill_table<device::HardSwishS8Params>(device_params, device::hard_swish_s8, table);
      return true;
    case core::OpType::sigmoid:
      fill_table<device::SigmoidS8Params>(device_params, device::sigmoid_s8, table);
      return true;
    case core::OpType::tanh:
      fill_table<device::TanhS8Params>(device_params, device::tanh_s8, table);
      return true;
    case core::OpType::leaky_relu:
      fill_table<device::LeakyReluS8Params>(device_params, device::leaky_relu_s8, table);
      return true;
    case core::OpType::relu:
      fill_table<device::ReluS8Params>(device_params, device::relu_s8, table);
      return true;
    case core::OpType::clip:
      fill_table<device::ClipS8Params>(device_params, device::clip_s8, table);
      return true;
    case core::OpType::quantize:
      fill_table<device::QuantizeS8Params>(device_params, device::quantize_s8, table);
      return true;
    default:
      return false;
  }
}

}  // namespace tinyscale::engine
