#include "core/graph.h"

#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/ops.h"

namespace tinyscale::core {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return "float32";
    case DType::int8:
      return "int8";
    case DType::int32:
      return "int32";
  }
  return "?";
}

std::int64_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return 4;
    case DType::int8:
      return 1;
    case DType::int32:
      return 4;
  }
  return 0;
}

const char* fused_activation_name(FusedActivation activation) {
  switch (activation) {
    case FusedActivation::none:
      return "none";
    case FusedActivation::relu:
      return "relu";
    case FusedActivation::relu6:
      return "relu6";
  }
  return "?";
}

// Saturates at INT64_MAX instead of overflowing (engine code calls it and must not throw);
// Graph::add_tensor refuses such a shape by name.
std::int64_t num_elements(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return std::numeric_limits<std::int64_t>::max();
  }
  return n;
}

std::string shape_string(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

int Graph::add_tensor(Tensor tensor) {
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(num_elements(tensor.shape), dtype_size(tensor.dtype), &bytes) ||
      bytes == std::numeric_limits<std::int64_t>::max()) {
    throw Error("tensor '" + tensor.name + "': shape " + shape_string(tensor.shape) +
                " has more elements than a 64-bit size can count");
  }
  tensors.push_back(std::move(tensor));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::add_input(const std::string& name, Shape shape, DType dtype) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.dtype = dtype;
  const int id = add_tensor(std::move(t));
  inputs.push_back(id);
  return id;
}

int Graph::add_constant(const std::string& name, Shape shape, DType dtype) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.dtype = dtype;
  t.is_constant = true;
  return add_tensor(std::move(t));
}

int Graph::add_constant(const std::string& name, Shape shape, std::span<const float> values) {
  if (static_cast<std::int64_t>(values.size()) != num_elements(shape)) {
    throw Error("constant '" + name + "': " + std::to_string(values.size()) + " values for shape " +
                shape_string(shape));
  }
  const int id = add_constant(name, std::move(shape), DType::float32);
  Tensor& t = tensor(id);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return id;
}

namespace {

// add_node_with_outputs without the list of the new tensors (add_node, the common case, reads
// them from the node appended last).
void append_node(Graph& g, OpType op, const std::string& name, std::vector<int> node_inputs,
                 int num_outputs, const Attributes& attrs) {
  std::vector<Tensor>& tensors = g.tensors;
  const OpInfo& info = op_info(op);
  const auto arity = static_cast<int>(node_inputs.size());
  if (arity < info.min_inputs || arity > info.max_inputs) {
    throw Error("layer '" + name + "' (" + info.name + "): takes " +
                std::to_string(info.min_inputs) + ".." + std::to_string(info.max_inputs) +
                " inputs, got " + std::to_string(arity));
  }
  if (num_outputs < info.min_outputs || num_outputs > info.max_outputs) {
    throw Error("layer '" + name + "' (" + info.name + "): has " +
                std::to_string(info.min_outputs) + ".." + std::to_string(info.max_outputs) +
                " outputs, asked for " + std::to_string(num_outputs));
  }
  for (int id : node_inputs) {
    if (id < 0 || id >= static_cast<int>(tensors.size())) {
      throw Error("layer '" + name + "' (" + info.name + "): input tensor id " +
                  std::to_string(id) + " does not exist");
    }
  }
  Node node;
  node.op = op;
  node.name = name;
  node.inputs = std::move(node_inputs);
  node.attrs = attrs;
  node.outputs.assign(static_cast<std::size_t>(num_outputs), -1);  // counted by infer_shape
  Shape shape = info.infer_shape(g, node);
  const DType dtype = g.tensor(node.inputs[0]).dtype;
  for (int k = 0; k < num_outputs; ++k) {
    Tensor out;
    out.name = num_outputs == 1 ? name : name + "." + std::to_string(k);
    out.dtype = dtype;
    if (k + 1 == num_outputs) {
      out.shape = std::move(shape);
    } else {
      out.shape = shape;
    }
    node.outputs[static_cast<std::size_t>(k)] = g.add_tensor(std::move(out));
  }
  g.nodes.push_back(std::move(node));
}

}  // namespace

int Graph::add_node(OpType op, const std::string& name, std::vector<int> node_inputs,
                    const Attributes& attrs) {
  append_node(*this, op, name, std::move(node_inputs), 1, attrs);
  return nodes.back().outputs.front();
}

std::vector<int> Graph::add_node_with_outputs(OpType op, const std::string& name,
                                              std::vector<int> node_inputs, int num_outputs,
                                              const Attributes& attrs) {
  append_node(*this, op, name, std::move(node_inputs), num_outputs, attrs);
  return nodes.back().outputs;
}

void Graph::mark_output(int tensor_id) { outputs.push_back(tensor_id); }

std::vector<int> Graph::producers() const {
  std::vector<int> producer(tensors.size(), -1);
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    for (int out : nodes[n].outputs) producer[static_cast<std::size_t>(out)] = static_cast<int>(n);
  }
  return producer;
}

std::vector<int> Graph::use_counts() const {
  std::vector<int> uses(tensors.size(), 0);
  for (const Node& node : nodes) {
    for (int in : node.inputs) ++uses[static_cast<std::size_t>(in)];
  }
  for (int out : outputs) ++uses[static_cast<std::size_t>(out)];
  return uses;
}

void Graph::validate() const {
  const int tensor_count = static_cast<int>(tensors.size());
  auto valid_id = [&](int id) { return id >= 0 && id < tensor_count; };
  // 0 = not yet available, 1 = graph input or constant, 2 = produced by an earlier node.
  std::vector<int> available(tensors.size(), 0);
  for (int id : inputs) {
    if (!valid_id(id)) throw Error("graph input id " + std::to_string(id) + " does not exist");
    if (tensors[static_cast<std::size_t>(id)].is_constant) {
      throw Error("graph input tensor '" + tensors[static_cast<std::size_t>(id)].name +
                  "' is marked constant");
    }
    available[static_cast<std::size_t>(id)] = 1;
  }
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const Tensor& tensor = tensors[t];
    for (std::int64_t d : tensor.shape) {
      if (d < 1)
        throw Error("tensor '" + tensor.name + "' has invalid shape " + shape_string(tensor.shape));
    }
    std::int64_t bytes = 0;
    if (__builtin_mul_overflow(num_elements(tensor.shape), dtype_size(tensor.dtype), &bytes) ||
        bytes == std::numeric_limits<std::int64_t>::max()) {
      throw Error("tensor '" + tensor.name + "': shape " + shape_string(tensor.shape) +
                  " has more elements than a 64-bit size can count");
    }
    if (tensor.is_constant) {
      available[t] = 1;
      const auto expected =
          static_cast<std::size_t>(num_elements(tensor.shape) * dtype_size(tensor.dtype));
      if (tensor.has_data() && tensor.data.size() != expected) {
        throw Error("constant '" + tensor.name + "' holds " + std::to_string(tensor.data.size()) +
                    " bytes, shape " + shape_string(tensor.shape) + " needs " +
                    std::to_string(expected));
      }
    }
  }
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    const Node& node = nodes[n];
    const std::string where =
        "node " + std::to_string(n) + " '" + node.name + "' (" + op_name(node.op) + ")";
    const OpInfo& info = op_info(node.op);
    const auto arity = static_cast<int>(node.inputs.size());
    if (arity < info.min_inputs || arity > info.max_inputs) {
      throw Error(where + ": has " + std::to_string(arity) + " inputs, expected " +
                  std::to_string(info.min_inputs) + ".." + std::to_string(info.max_inputs));
    }
    for (int in : node.inputs) {
      if (!valid_id(in))
        throw Error(where + ": input tensor id " + std::to_string(in) + " does not exist");
      if (!available[static_cast<std::size_t>(in)]) {
        throw Error(where + ": input tensor '" + tensors[static_cast<std::size_t>(in)].name +
                    "' is not produced before it is used");
      }
    }
    const auto outputs_count = static_cast<int>(node.outputs.size());
    if (outputs_count < info.min_outputs || outputs_count > info.max_outputs) {
      throw Error(where + ": has " + std::to_string(outputs_count) + " outputs, expected " +
                  std::to_string(info.min_outputs) + ".." + std::to_string(info.max_outputs));
    }
    Shape inferred;
    try {
      inferred = info.infer_shape(*this, node);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    for (int id : node.outputs) {
      if (!valid_id(id)) {
        throw Error(where + ": output tensor id " + std::to_string(id) + " does not exist");
      }
      const auto out = static_cast<std::size_t>(id);
      if (available[out]) {
        throw Error(where + ": output tensor '" + tensors[out].name + "' already has a producer");
      }
      if (inferred != tensors[out].shape) {
        throw Error(where + ": output tensor '" + tensors[out].name + "' has shape " +
                    shape_string(tensors[out].shape) + ", the op gives " + shape_string(inferred));
      }
      available[out] = 2;
    }
  }
  for (int id : outputs) {
    if (!valid_id(id) || !available[static_cast<std::size_t>(id)]) {
      throw Error("graph output id " + std::to_string(id) + " is not produced by the graph");
    }
  }
}

}  // namespace tinyscale::core

namespace tinyscale::core {
namespace {

// Two independent 64-bit hashes over the same words (two multiply-xorshift mixes with
// different constants and seeds). Each runs as two lanes that take alternate words, so the
// multiplications of consecutive words do not wait on each other; done() folds the lanes.
class FingerprintBuilder {
 public:
  void word(std::uint64_t v) {
    if (odd_) {
      mix(&a1_, &b1_, v);
    } else {
      mix(&a0_, &b0_, v);
    }
    odd_ = !odd_;
  }
  // Two 32-bit values as one word.
  void pair(std::uint32_t lo, std::uint32_t hi) {
    word(static_cast<std::uint64_t>(lo) | static_cast<std::uint64_t>(hi) << 32);
  }
  void text(const std::string& s) {
    word(s.size());
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t v = 0;
      std::memcpy(&v, s.data() + i, 8);
      word(v);
    }
    std::uint64_t tail = 0;  // the last 0..7 bytes, as a little-endian memcpy would load them
    for (std::size_t k = 0; i + k < s.size(); ++k) {
      tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i + k])) << (8 * k);
    }
    word(tail);
  }
  void shape(const Shape& s) {
    word(s.size());
    for (const std::int64_t d : s) word(static_cast<std::uint64_t>(d));
  }
  void ints(std::initializer_list<int> values) {  // two to a word
    auto it = values.begin();
    for (; it + 1 < values.end(); it += 2) {
      pair(static_cast<std::uint32_t>(it[0]), static_cast<std::uint32_t>(it[1]));
    }
    if (it != values.end()) word(static_cast<std::uint32_t>(*it));
  }
  void reals(std::initializer_list<float> values) {  // two to a word
    auto it = values.begin();
    for (; it + 1 < values.end(); it += 2) pair(bits(it[0]), bits(it[1]));
    if (it != values.end()) word(bits(*it));
  }
  Fingerprint done() const {
    std::uint64_t a = a0_, b = b0_;
    std::uint64_t a1 = a1_, b1 = b1_;
    mix(&a, &b, a1);
    mix(&a, &b, b1);
    return {a, b};
  }

 private:
  static void mix(std::uint64_t* a, std::uint64_t* b, std::uint64_t v) {
    *a = (*a ^ v) * 0x100000001b3ULL;
    *a ^= *a >> 32;
    *b = (*b ^ (v + 0x632be59bd9b4e019ULL)) * 0x9e3779b97f4a7c15ULL;
    *b ^= *b >> 29;
  }
  static std::uint32_t bits(float f) {
    std::uint32_t u = 0;
    std::memcpy(&u, &f, sizeof u);
    return u;
  }

  std::uint64_t a0_ = 0xcbf29ce484222325ULL;
  std::uint64_t b0_ = 0x2545f4914f6cdd1dULL;
  std::uint64_t a1_ = 0x84222325cbf29ce4ULL;
  std::uint64_t b1_ = 0x4f6cdd1d2545f491ULL;
  bool odd_ = false;
};

}  // namespace

// Every word is fixed-width or preceded by its count, so different graphs give different word
// sequences.
Fingerprint structural_fingerprint(const Graph& graph) {
  FingerprintBuilder h;
  h.word(graph.tensors.size());
  for (const Tensor& t : graph.tensors) {
    h.text(t.name);
    h.shape(t.shape);
    h.pair(static_cast<std::uint32_t>(t.dtype) | (t.is_constant ? 1u << 16 : 0u),
           static_cast<std::uint32_t>(t.quantization.axis));
    h.word(t.quantization.scales.size());
    h.word(t.quantization.zero_points.size());
  }
  h.word(graph.nodes.size());
  for (const Node& n : graph.nodes) {
    const Attributes& a = n.attrs;
    h.pair(static_cast<std::uint32_t>(n.op),
           static_cast<std::uint32_t>(a.fused_activation) | (a.keep_num_dims ? 1u << 16 : 0u));
    h.text(n.name);
    h.word(n.inputs.size());
    for (const int i : n.inputs) h.word(static_cast<std::uint64_t>(i));
    h.word(n.outputs.size());
    for (const int o : n.outputs) h.word(static_cast<std::uint64_t>(o));
    h.ints({a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, a.pad_top,
            a.pad_bottom, a.pad_left, a.pad_right, a.groups, a.axis, a.out_h, a.out_w, a.scale_h,
            a.scale_w});
    h.reals({a.clip_min, a.clip_max, a.epsilon, a.pad_value, a.softmax_beta, a.leaky_alpha});
    h.shape(a.new_shape);
    h.shape(a.slice_begin);
    h.shape(a.slice_size);
  }
  h.word(graph.inputs.size());
  for (const int i : graph.inputs) h.word(static_cast<std::uint64_t>(i));
  h.word(graph.outputs.size());
  for (const int o : graph.outputs) h.word(static_cast<std::uint64_t>(o));
  h.word(graph.metadata.size());
  for (const MetadataEntry& m : graph.metadata) {
    h.text(m.name);
    h.word(m.bytes.size());
  }
  return h.done();
}

}  // namespace tinyscale::core
