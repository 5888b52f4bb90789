// core::Graph — the one description of a network that every tinyscale module reads or
// writes (builders, cost model, passes, exporters, engine).
//
// A graph is a flat list of tensors and a flat list of nodes in topological order. Nodes
// refer to tensors by integer id; there are no pointers between nodes, and fan-out needs no
// special node. Activation shapes are NHWC (batch, height, width, channels); 2-D tensors are
// [batch, features]. Weight layouts:
//   conv2d           [out_channels, kernel_h, kernel_w, in_channels / groups]   (OHWI)
//   fully_connected  [out_features, in_features]
//   batch_norm       gamma, beta, running_mean, running_var, each [channels]
//
// Usage:
//   core::Graph g;
//   int x = g.add_input("input", {1, 96, 96, 3});
//   core::Attributes a;  a.kernel_h = a.kernel_w = 3;  a.pad_top = ... ;
//   int w = g.add_constant("conv.weight", {16, 3, 3, 3}, core::DType::float32);
//   int y = g.add_node(core::OpType::conv2d, "conv", {x, w}, a);   // shape inferred
//   g.mark_output(y);
//   g.validate();                 // throws tinyscale::Error naming node and tensor
//   std::cout << core::dump(g);   // one node per line
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tinyscale::core {

enum class DType : std::uint8_t { float32, int8, int32 };
const char* dtype_name(DType dtype);
std::int64_t dtype_size(DType dtype);

using Shape = std::vector<std::int64_t>;
std::int64_t num_elements(const Shape& shape);
// "1x96x96x3"; "scalar" for rank 0.
std::string shape_string(const Shape& shape);

#define TINYSCALE_OP(name, onnx, tflite) name,
enum class OpType : std::uint8_t {
#include "core/ops.def"
};
#undef TINYSCALE_OP

// Activation fused into the producing op by the fuse_activations pass (TFLite's fused
// activation function field).
enum class FusedActivation : std::uint8_t { none, relu, relu6 };
const char* fused_activation_name(FusedActivation activation);

// Quantization parameters: one scale and zero point per tensor, or one per channel along
// `axis` (per-channel weights).
struct Quantization {
  std::vector<float> scales;
  std::vector<std::int64_t> zero_points;
  int axis = 0;
  bool empty() const { return scales.empty(); }
  bool per_channel() const { return scales.size() > 1; }
};

struct Tensor {
  std::string name;
  Shape shape;
  DType dtype = DType::float32;
  // Constants (weights) carry `data` (little-endian, shape.size() elements of dtype) once
  // materialized. Shape-only builds for the solver leave `data` empty.
  bool is_constant = false;
  std::vector<std::uint8_t> data;
  Quantization quantization;

  bool has_data() const { return !data.empty(); }
  template <typename T>
  std::span<const T> values() const {
    return {reinterpret_cast<const T*>(data.data()), data.size() / sizeof(T)};
  }
  template <typename T>
  std::span<T> mutable_values() {
    return {reinterpret_cast<T*>(data.data()), data.size() / sizeof(T)};
  }
};

// Attributes of every op in one flat struct; each op reads the fields it documents in
// core/ops.cpp and the dump prints only those.
struct Attributes {
  int kernel_h = 1, kernel_w = 1;                                // conv2d, avg_pool, max_pool
  int stride_h = 1, stride_w = 1;                                // conv2d, avg_pool, max_pool
  int dilation_h = 1, dilation_w = 1;                            // conv2d
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  // conv2d, pools, pad
  int groups = 1;                                                // conv2d
  float clip_min = 0.0f, clip_max = 6.0f;                        // clip
  float epsilon = 1e-5f;                                         // batch_norm
  int axis = -1;             // concat, softmax, split (negative counts from the end)
  Shape new_shape;           // reshape (one entry may be -1); paste without a destination
  int out_h = 1, out_w = 1;  // adaptive_avg_pool output size
  // slice: the block starting at slice_begin[d] and slice_size[d] long along every axis d of
  // the input (TFLite SLICE's begin and size; every size >= 1, the block within the input).
  // paste: slice_begin is where the block goes in the destination.
  Shape slice_begin, slice_size;
  int scale_h = 2, scale_w = 2;  // resize_nearest integer upsampling factors
  float pad_value = 0.0f;        // pad (constant value)
  float softmax_beta = 1.0f;     // softmax: exp(beta · x)
  float leaky_alpha = 0.2f;      // leaky_relu: slope below zero
  // fully_connected: true keeps the input's leading dimensions ([..., K] -> [..., O]);
  // false flattens them into a batch ([N, O] with N = elements / K), TFLite's default.
  bool keep_num_dims = true;
  FusedActivation fused_activation = FusedActivation::none;  // conv2d, fully_connected, add
};

struct Node {
  OpType op = OpType::add;
  std::string name;
  std::vector<int> inputs;
  std::vector<int> outputs;
  Attributes attrs;
};

// A named blob that travels with a model file but is no part of its computation (a TFLite
// Model.metadata entry), e.g. "tinyscale.clap_projection": the float post-processing
// weights of a tinyCLAP encoder. Runtimes skip entries they do not know.
struct MetadataEntry {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

class Graph {
 public:
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::vector<int> inputs;
  std::vector<int> outputs;
  // Carried through every pass and the quantizer unchanged; written and read back by the
  // TFLite writer / reader (ONNX files do not carry it).
  std::vector<MetadataEntry> metadata;

  int add_tensor(Tensor tensor);
  int add_input(const std::string& name, Shape shape, DType dtype = DType::float32);
  // A constant without data (shape only); fill `tensors[id].data` to materialize it.
  int add_constant(const std::string& name, Shape shape, DType dtype = DType::float32);
  int add_constant(const std::string& name, Shape shape, std::span<const float> values);
  // Appends a node, infers its output shape through the op table and creates the output
  // tensor (named after the node). Returns the output tensor id. Throws tinyscale::Error
  // naming the node when the inputs do not fit the op.
  int add_node(OpType op, const std::string& name, std::vector<int> inputs,
               const Attributes& attrs = {});
  // add_node for an op with several outputs (split: `num_outputs` equal parts), named
  // "<name>.0", "<name>.1", ...; returns their ids in order.
  std::vector<int> add_node_with_outputs(OpType op, const std::string& name,
                                         std::vector<int> inputs, int num_outputs,
                                         const Attributes& attrs = {});
  void mark_output(int tensor_id);

  const Tensor& tensor(int id) const { return tensors.at(static_cast<std::size_t>(id)); }
  Tensor& tensor(int id) { return tensors.at(static_cast<std::size_t>(id)); }

  // Checks ids, topological order, single producers, constants and every inferred shape.
  // Throws tinyscale::Error naming the offending node (index and name) and tensor.
  void validate() const;

  // Index of the node producing each tensor (-1 for graph inputs and constants).
  std::vector<int> producers() const;
  // Number of node inputs reading each tensor, plus one for each graph-output use.
  std::vector<int> use_counts() const;
};

// One line per graph input, constant summary, node and output; stable for golden tests.
std::string dump(const Graph& graph);

// A 128-bit fingerprint of everything a graph's cost depends on but its constants' values:
// every tensor's name, shape, dtype, constness and quantization layout (lengths, axis), every
// node's op, name, operands and attributes, the inputs, outputs and metadata (names and
// lengths). Two graphs with equal fingerprints have equal cost reports (the solver reuses one
// for the other); values are ignored, so a shape-only build and its materialized copy match.
struct Fingerprint {
  std::uint64_t a = 0, b = 0;
  bool operator<(const Fingerprint& o) const { return a != o.a ? a < o.a : b < o.b; }
  bool operator==(const Fingerprint& o) const { return a == o.a && b == o.b; }
};
Fingerprint structural_fingerprint(const Graph& graph);

}  // namespace tinyscale::core
