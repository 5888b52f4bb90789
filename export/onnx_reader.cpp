#include "export/onnx_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "core/ops.h"
#include "export/onnx_proto.h"

namespace tinyscale::exporter {
namespace {

// Bounds on what a file may declare, so that a corrupt field fails with a message instead
// of an overflow or a huge allocation.
constexpr std::size_t kMaxRank = 8;
constexpr std::int64_t kMaxDimension = std::int64_t{1} << 24;
// Constants are held as int64 or float values, folded through 8-byte index lists: 8 bytes an
// element bounds what one of them costs.
constexpr std::int64_t kConstantElementBytes = 8;
constexpr std::int64_t kMaxWindow = 1 << 16;   // kernels, strides, dilations, scales
constexpr std::int64_t kMaxPadding = 1 << 20;  // pads
constexpr std::size_t kMaxFileBytes = static_cast<std::size_t>(core::kMaxModelFileBytes);

constexpr const char* kSupported =
    "Conv, BatchNormalization, Relu, LeakyRelu, Clip, HardSigmoid (only as x*HardSigmoid(x)), "
    "HardSwish, Sigmoid, Tanh, Mul, Add, Sub, Div, GlobalAveragePool, ReduceMean, AveragePool, "
    "MaxPool, Pad, Gemm, MatMul, Flatten, Reshape, Squeeze, Unsqueeze, Concat, Resize, Softmax, "
    "Identity, Transpose, Constant, Split (equal parts), Slice (unit steps), and on "
    "constants: Shape, Gather, Cast, ConstantOfShape";

std::string values_text(const std::vector<std::int64_t>& values) {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

// ---------------------------------------------------------------- constants

// A tensor whose value is known at import time: an initializer, a Constant node or the
// result of folding shape arithmetic. Floating types are held as float, integer and
// boolean types as int64.
struct Constant {
  bool integer = false;
  core::Shape dims;
  std::vector<float> f;
  std::vector<std::int64_t> i;

  std::size_t size() const { return integer ? i.size() : f.size(); }
  double at(std::size_t k) const { return integer ? static_cast<double>(i[k]) : f[k]; }
  std::vector<float> floats() const {
    if (!integer) return f;
    return {i.begin(), i.end()};
  }
};

std::vector<std::int64_t> strides_of(const core::Shape& dims) {
  std::vector<std::int64_t> strides(dims.size(), 1);
  for (std::size_t k = dims.size(); k-- > 1;) strides[k - 1] = strides[k] * dims[k];
  return strides;
}

// A constant of `dims` whose element k is element source[k] of `c`.
Constant take(const Constant& c, core::Shape dims, const std::vector<std::size_t>& source) {
  Constant out;
  out.integer = c.integer;
  out.dims = std::move(dims);
  if (c.integer) {
    out.i.reserve(source.size());
    for (const std::size_t s : source) out.i.push_back(c.i[s]);
  } else {
    out.f.reserve(source.size());
    for (const std::size_t s : source) out.f.push_back(c.f[s]);
  }
  return out;
}

// Calls fn(index, flat) for every multi-index of `dims` in row-major order.
void for_each_index(const core::Shape& dims,
                    const std::function<void(const std::vector<std::int64_t>&, std::size_t)>& fn) {
  const std::int64_t total = core::num_elements(dims);
  std::vector<std::int64_t> index(dims.size(), 0);
  for (std::int64_t flat = 0; flat < total; ++flat) {
    fn(index, static_cast<std::size_t>(flat));
    for (std::size_t k = dims.size(); k-- > 0;) {
      if (++index[k] < dims[k]) break;
      index[k] = 0;
    }
  }
}

Constant permute(const Constant& c, const std::vector<std::int64_t>& perm) {
  core::Shape dims(perm.size());
  for (std::size_t k = 0; k < perm.size(); ++k) dims[k] = c.dims[static_cast<std::size_t>(perm[k])];
  const std::vector<std::int64_t> in_strides = strides_of(c.dims);
  std::vector<std::size_t> source(c.size());
  for_each_index(dims, [&](const std::vector<std::int64_t>& index, std::size_t flat) {
    std::int64_t s = 0;
    for (std::size_t k = 0; k < perm.size(); ++k) {
      s += index[k] * in_strides[static_cast<std::size_t>(perm[k])];
    }
    source[flat] = static_cast<std::size_t>(s);
  });
  return take(c, std::move(dims), source);
}

const std::vector<std::int64_t> kNchwToNhwc = {0, 2, 3, 1};

// ---------------------------------------------------------------- reader state

// What an ONNX value name refers to: a constant, or a tensor of the graph being built
// (rank-4 activations NHWC).
struct Value {
  std::optional<Constant> constant;
  int tensor = -1;
};

struct Reader {
  std::string origin;
  core::Graph graph;
  std::unordered_map<std::string, Value> values;
  std::int64_t opset = 0;
  // Bytes of every constant read or folded so far, against core::kMaxConstantBytes.
  mutable std::int64_t constant_bytes = 0;
  // Split nodes made for Slices of computed tensors, by (tensor, graph axis, parts).
  std::map<std::tuple<int, int, std::int64_t>, std::vector<int>> chunks;

  [[noreturn]] void fail(const std::string& what) const { throw Error(origin + ": " + what); }

  // The ONNX (NCHW) shape of a graph tensor.
  core::Shape onnx_shape(int id) const {
    core::Shape s = graph.tensor(id).shape;
    if (s.size() == 4) return {s[0], s[3], s[1], s[2]};
    return s;
  }
};

// Refuses `dims` when `element_bytes` per element come to more than one tensor may hold,
// before anything is allocated from them (`what` names the value).
void check_tensor_bytes(const Reader& r, const std::string& what, const core::Shape& dims,
                        std::int64_t element_bytes) {
  const std::int64_t bytes = core::shape_bytes(dims, element_bytes);
  if (bytes < 0 || bytes > core::kMaxTensorBytes) {
    r.fail(core::limit_error(what + " (" + core::shape_string(dims) + ", " +
                                 std::to_string(element_bytes) + " bytes an element)",
                             bytes, core::kMaxTensorBytes, "kMaxTensorBytes", "for one tensor"));
  }
}

// Adds a constant of `dims` (8 bytes an element at most) to the reader's total, refusing it
// when the total passes core::kMaxConstantBytes: many constants each under kMaxTensorBytes
// (or one initializer folded many times) cannot add up to more.
void count_constant_bytes(const Reader& r, const std::string& what, const core::Shape& dims) {
  r.constant_bytes += core::shape_bytes(dims, kConstantElementBytes);  // each <= 256 MiB
  if (r.constant_bytes > core::kMaxConstantBytes) {
    r.fail(core::limit_error(what + " brings the model's constants to a total that",
                             r.constant_bytes, core::kMaxConstantBytes, "kMaxConstantBytes",
                             "for a model's constants"));
  }
}

core::Shape read_dims(const Reader& r, const std::string& what,
                      const google::protobuf::RepeatedField<std::int64_t>& dims,
                      std::int64_t element_bytes = kConstantElementBytes) {
  if (static_cast<std::size_t>(dims.size()) > kMaxRank) {
    r.fail(what + " has rank " + std::to_string(dims.size()) + ", more than " +
           std::to_string(kMaxRank));
  }
  core::Shape shape;
  for (const std::int64_t d : dims) {
    if (d < 0 || d > kMaxDimension) {
      r.fail(what + " has dimension " + std::to_string(d) + "; dimensions must be 0.." +
             std::to_string(kMaxDimension));
    }
    shape.push_back(d);
  }
  check_tensor_bytes(r, what, shape, element_bytes);
  return shape;
}

std::string data_type_name(int type) {
  const std::string& name = onnx::TensorProto_DataType_Name(type);
  return name.empty() ? "data type " + std::to_string(type) : name;
}

template <typename T>
void copy_raw(const std::string& raw, std::size_t count, std::vector<float>& f,
              std::vector<std::int64_t>& i, bool integer) {
  // ONNX raw_data is little-endian, as the hosts tinyscale runs on.
  for (std::size_t k = 0; k < count; ++k) {
    T v;
    std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));
    if (integer) {
      i.push_back(static_cast<std::int64_t>(v));
    } else {
      f.push_back(static_cast<float>(v));
    }
  }
}

Constant read_tensor_proto(const Reader& r, const onnx::TensorProto& t, const std::string& what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0) {
    r.fail(what + " keeps its data in an external file, which tinyscale does not read");
  }
  if (t.has_segment()) r.fail(what + " is segmented, which tinyscale does not read");
  Constant c;
  c.dims = read_dims(r, what, t.dims());
  const auto count = static_cast<std::size_t>(core::num_elements(c.dims));
  count_constant_bytes(r, what, c.dims);
  const std::string& raw = t.raw_data();
  const bool has_raw = t.has_raw_data();
  auto check_count = [&](std::size_t held, const char* field) {
    if (held != count) {
      r.fail(what + " holds " + std::to_string(held) + " values in " + field + ", but its shape " +
             core::shape_string(c.dims) + " needs " + std::to_string(count));
    }
  };
  auto from_raw = [&](std::size_t element_size) {
    if (raw.size() != count * element_size) {
      r.fail(what + " has " + std::to_string(raw.size()) + " bytes of raw data, but shape " +
             core::shape_string(c.dims) + " of " + data_type_name(t.data_type()) + " needs " +
             std::to_string(count * element_size));
    }
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (has_raw) {
        from_raw(4);
        copy_raw<float>(raw, count, c.f, c.i, false);
      } else {
        check_count(static_cast<std::size_t>(t.float_data_size()), "float_data");
        c.f.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (has_raw) {
        from_raw(8);
        copy_raw<double>(raw, count, c.f, c.i, false);
      } else {
        check_count(static_cast<std::size_t>(t.double_data_size()), "double_data");
        for (const double v : t.double_data()) c.f.push_back(static_cast<float>(v));
      }
      break;
    case onnx::TensorProto::INT64:
      c.integer = true;
      if (has_raw) {
        from_raw(8);
        copy_raw<std::int64_t>(raw, count, c.f, c.i, true);
      } else {
        check_count(static_cast<std::size_t>(t.int64_data_size()), "int64_data");
        c.i.assign(t.int64_data().begin(), t.int64_data().end());
      }
      break;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      c.integer = true;
      if (has_raw) {
        switch (t.data_type()) {
          case onnx::TensorProto::INT32:
            from_raw(4);
            copy_raw<std::int32_t>(raw, count, c.f, c.i, true);
            break;
          case onnx::TensorProto::INT16:
            from_raw(2);
            copy_raw<std::int16_t>(raw, count, c.f, c.i, true);
            break;
          case onnx::TensorProto::UINT16:
            from_raw(2);
            copy_raw<std::uint16_t>(raw, count, c.f, c.i, true);
            break;
          case onnx::TensorProto::INT8:
            from_raw(1);
            copy_raw<std::int8_t>(raw, count, c.f, c.i, true);
            break;
          default:  // UINT8, BOOL
            from_raw(1);
            copy_raw<std::uint8_t>(raw, count, c.f, c.i, true);
            break;
        }
      } else {
        check_count(static_cast<std::size_t>(t.int32_data_size()), "int32_data");
        c.i.assign(t.int32_data().begin(), t.int32_data().end());
      }
      break;
    default:
      r.fail(what + " has " + data_type_name(t.data_type()) +
             "; tinyscale reads float, double, int64, int32, int16, int8, uint16, uint8 and "
             "bool tensors");
  }
  return c;
}

// ---------------------------------------------------------------- one node

struct NodeView {
  Reader& r;
  std::size_t index;
  const onnx::NodeProto& node;
  std::string name;  // the ONNX node name, or its first output's when it has none

  [[noreturn]] void fail(const std::string& what) const {
    r.fail("node " + std::to_string(index) + " '" + name + "' (" + node.op_type() + "): " + what);
  }

  // ---- attributes
  const onnx::AttributeProto* attr(const char* key) const {
    for (const onnx::AttributeProto& a : node.attribute()) {
      if (a.name() == key) return &a;
    }
    return nullptr;
  }
  const onnx::AttributeProto* typed_attr(const char* key,
                                         onnx::AttributeProto::AttributeType type) const {
    const onnx::AttributeProto* a = attr(key);
    if (a && a->type() != type) {
      fail(std::string("attribute '") + key + "' is " +
           onnx::AttributeProto::AttributeType_Name(a->type()) + ", expected " +
           onnx::AttributeProto::AttributeType_Name(type));
    }
    return a;
  }
  std::int64_t attr_int(const char* key, std::int64_t fallback) const {
    const auto* a = typed_attr(key, onnx::AttributeProto::INT);
    return a ? a->i() : fallback;
  }
  float attr_float(const char* key, float fallback) const {
    const auto* a = typed_attr(key, onnx::AttributeProto::FLOAT);
    return a ? a->f() : fallback;
  }
  std::string attr_string(const char* key, const std::string& fallback) const {
    const auto* a = typed_attr(key, onnx::AttributeProto::STRING);
    return a ? a->s() : fallback;
  }
  std::optional<std::vector<std::int64_t>> attr_ints(const char* key) const {
    const auto* a = typed_attr(key, onnx::AttributeProto::INTS);
    if (!a) return std::nullopt;
    if (static_cast<std::size_t>(a->ints_size()) > 2 * kMaxRank + 64) {
      fail(std::string("attribute '") + key + "' has " + std::to_string(a->ints_size()) +
           " values, implausibly many");
    }
    return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
  }

  // ---- inputs and outputs
  bool has_input(int k) const { return k < node.input_size() && !node.input(k).empty(); }
  int input_count() const {
    int n = node.input_size();
    while (n > 0 && node.input(n - 1).empty()) --n;
    return n;
  }
  void expect_inputs(int min, int max) const {
    const int n = input_count();
    if (n < min || n > max) {
      fail("has " + std::to_string(n) + " inputs, expected " +
           (min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max)));
    }
  }
  const Value& input(int k, const char* what) const {
    if (!has_input(k)) fail("input " + std::to_string(k) + " (" + what + ") is missing");
    const auto found = r.values.find(node.input(k));
    if (found == r.values.end()) {
      fail(std::string("input ") + std::to_string(k) + " (" + what + ") '" + node.input(k) +
           "' is not produced by an earlier node, an initializer or a graph input");
    }
    return found->second;
  }
  bool is_constant(int k) const { return has_input(k) && input(k, "value").constant.has_value(); }
  const Constant& constant(int k, const char* what) const {
    const Value& v = input(k, what);
    if (!v.constant) {
      fail(std::string(what) + " '" + node.input(k) +
           "' must be a constant (an initializer or a foldable constant expression), but it "
           "is computed at run time");
    }
    return *v.constant;
  }
  std::vector<std::int64_t> constant_ints(int k, const char* what) const {
    const Constant& c = constant(k, what);
    if (!c.integer) fail(std::string(what) + " '" + node.input(k) + "' must be an integer tensor");
    return c.i;
  }
  float constant_scalar(int k, const char* what) const {
    const Constant& c = constant(k, what);
    if (c.size() != 1) {
      fail(std::string(what) + " '" + node.input(k) + "' must hold one value, got shape " +
           core::shape_string(c.dims));
    }
    return static_cast<float>(c.at(0));
  }
  int runtime(int k, const char* what) const {
    const Value& v = input(k, what);
    if (v.constant) {
      fail(std::string(what) + " '" + node.input(k) +
           "' is a constant; tinyscale imports this op only on computed tensors");
    }
    return v.tensor;
  }
  int runtime_of_rank(int k, const char* what, std::size_t rank) const {
    const int id = runtime(k, what);
    const core::Shape s = r.onnx_shape(id);
    if (s.size() != rank) {
      fail(std::string(what) + " '" + node.input(k) + "' must have rank " + std::to_string(rank) +
           ", got " + core::shape_string(s));
    }
    return id;
  }

  void set_output(Value v, int k = 0) const {
    if (k >= node.output_size() || node.output(k).empty()) return;
    r.values[node.output(k)] = std::move(v);
  }
  void set_output(Constant c, int k = 0) const {
    check_folded(c.dims);
    count_constant_bytes(r, folded_what(), c.dims);
    set_output(Value{std::move(c), -1}, k);
  }
  // A constant this node folds to, checked before it is computed.
  void check_folded(const core::Shape& dims) const {
    check_tensor_bytes(r, folded_what(), dims, kConstantElementBytes);
  }
  std::string folded_what() const {
    return "node " + std::to_string(index) + " '" + name + "' (" + node.op_type() +
           "): its folded constant";
  }
  void set_output_tensor(int id) const { set_output(Value{std::nullopt, id}); }
  void expect_single_output() const {
    for (int k = 1; k < node.output_size(); ++k) {
      if (!node.output(k).empty()) {
        fail("has output " + std::to_string(k) + " '" + node.output(k) +
             "', which tinyscale does not compute (inference graphs use output 0 only)");
      }
    }
  }

  // A graph constant holding `values` in `shape` (already in graph layout).
  int graph_constant(const std::string& tensor_name, core::Shape shape,
                     const std::vector<float>& values) const {
    return r.graph.add_constant(tensor_name, std::move(shape), std::span<const float>(values));
  }
  // Appends a graph node named after this ONNX node; core's shape errors name it too.
  int add_node(core::OpType op, std::vector<int> inputs, const core::Attributes& attrs = {},
               const std::string& suffix = "") const {
    int id = -1;
    try {
      id = r.graph.add_node(op, name + suffix, std::move(inputs), attrs);
    } catch (const Error& e) {
      fail(e.what());
    }
    // Shapes inferred from the file's: bounded before the engine allocates them.
    const core::Tensor& out = r.graph.tensor(id);
    check_tensor_bytes(r,
                       "node " + std::to_string(index) + " '" + name + "' (" + node.op_type() +
                           ") output '" + out.name + "'",
                       out.shape, core::dtype_size(out.dtype));
    return id;
  }
};

// ---------------------------------------------------------------- folding of constants

std::int64_t normalize_axis(const NodeView& v, std::int64_t axis, std::size_t rank,
                            const char* what = "axis") {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) {
    v.fail(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
           std::to_string(rank));
  }
  return axis < 0 ? axis + r : axis;
}

// ONNX Reshape's target: 0 copies the input dimension (unless allowzero), one -1 is inferred.
core::Shape reshape_target(const NodeView& v, const core::Shape& in,
                           const std::vector<std::int64_t>& target, bool allow_zero) {
  if (target.size() > kMaxRank) v.fail("target shape " + values_text(target) + " is too long");
  core::Shape out;
  int infer = -1;
  std::int64_t known = 1;
  for (std::size_t k = 0; k < target.size(); ++k) {
    std::int64_t d = target[k];
    if (d == 0 && !allow_zero) {
      if (k >= in.size()) v.fail("target shape " + values_text(target) + " copies a missing axis");
      d = in[k];
    }
    if (d == -1) {
      if (infer >= 0) v.fail("target shape " + values_text(target) + " has two -1 entries");
      infer = static_cast<int>(k);
      out.push_back(1);
      continue;
    }
    if (d < 0 || d > kMaxDimension) v.fail("target shape " + values_text(target) + " is invalid");
    out.push_back(d);
    known *= d;
  }
  const std::int64_t total = core::num_elements(in);
  if (infer >= 0) {
    if (known == 0 || total % known != 0) {
      v.fail("cannot reshape " + core::shape_string(in) + " to " + values_text(target));
    }
    out[static_cast<std::size_t>(infer)] = total / known;
  }
  if (core::num_elements(out) != total) {
    v.fail("cannot reshape " + core::shape_string(in) + " (" + std::to_string(total) +
           " elements) to " + values_text(target));
  }
  return out;
}

Constant fold_slice(const NodeView& v, const Constant& c, std::vector<std::int64_t> starts,
                    std::vector<std::int64_t> ends, std::vector<std::int64_t> axes,
                    std::vector<std::int64_t> steps) {
  const std::size_t rank = c.dims.size();
  if (axes.empty()) {
    for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    v.fail("starts, ends, axes and steps differ in length");
  }
  std::vector<std::int64_t> first(rank, 0), step(rank, 1);
  core::Shape dims = c.dims;
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const auto axis = static_cast<std::size_t>(normalize_axis(v, axes[k], rank));
    const std::int64_t dim = c.dims[axis];
    const std::int64_t s = steps[k];
    if (s == 0) v.fail("step 0 along axis " + std::to_string(axis));
    std::int64_t b = starts[k], e = ends[k];
    if (s < -kMaxDimension || s > kMaxDimension)
      v.fail("step " + std::to_string(s) + " is implausible");
    if (b < 0) b += dim;  // adding a positive dim to a negative value cannot overflow
    if (e < 0) e += dim;
    if (s > 0) {
      b = std::clamp<std::int64_t>(b, 0, dim);
      e = std::clamp<std::int64_t>(e, 0, dim);
      dims[axis] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<std::int64_t>(b, -1, dim - 1);
      e = std::clamp<std::int64_t>(e, -1, dim - 1);
      dims[axis] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    first[axis] = b;
    step[axis] = s;
  }
  const std::vector<std::int64_t> strides = strides_of(c.dims);
  std::vector<std::size_t> source(static_cast<std::size_t>(core::num_elements(dims)));
  for_each_index(dims, [&](const std::vector<std::int64_t>& index, std::size_t flat) {
    std::int64_t s = 0;
    for (std::size_t k = 0; k < rank; ++k) s += (first[k] + index[k] * step[k]) * strides[k];
    source[flat] = static_cast<std::size_t>(s);
  });
  return take(c, dims, source);
}

core::Shape broadcast_dims(const NodeView& v, const core::Shape& a, const core::Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  core::Shape out(rank);
  for (std::size_t k = 0; k < rank; ++k) {
    const std::int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    const std::int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      v.fail("cannot broadcast " + core::shape_string(a) + " with " + core::shape_string(b));
    }
    out[k] = std::max(da, db);
  }
  return out;
}

// Element indices of `c` that each element of the broadcast shape `dims` reads.
std::vector<std::size_t> broadcast_source(const Constant& c, const core::Shape& dims) {
  const std::size_t offset = dims.size() - c.dims.size();
  const std::vector<std::int64_t> strides = strides_of(c.dims);
  std::vector<std::size_t> source(static_cast<std::size_t>(core::num_elements(dims)));
  for_each_index(dims, [&](const std::vector<std::int64_t>& index, std::size_t flat) {
    std::int64_t s = 0;
    for (std::size_t k = 0; k < c.dims.size(); ++k) {
      if (c.dims[k] != 1) s += index[k + offset] * strides[k];
    }
    source[flat] = static_cast<std::size_t>(s);
  });
  return source;
}

Constant fold_binary(const NodeView& v, const std::string& op, const Constant& a,
                     const Constant& b) {
  const core::Shape dims = broadcast_dims(v, a.dims, b.dims);
  v.check_folded(dims);
  const Constant x = take(a, dims, broadcast_source(a, dims));
  const Constant y = take(b, dims, broadcast_source(b, dims));
  Constant out;
  out.dims = dims;
  out.integer = a.integer && b.integer;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (out.integer) {
      const std::int64_t p = x.i[k], q = y.i[k];
      if (op == "Div" && q == 0) v.fail("integer division by zero");
      out.i.push_back(op == "Add" ? p + q : op == "Sub" ? p - q : op == "Mul" ? p * q : p / q);
    } else {
      const double p = x.at(k), q = y.at(k);
      out.f.push_back(static_cast<float>(op == "Add"   ? p + q
                                         : op == "Sub" ? p - q
                                         : op == "Mul" ? p * q
                                                       : p / q));
    }
  }
  return out;
}

Constant make_ints(std::vector<std::int64_t> values) {
  Constant c;
  c.integer = true;
  c.dims = {static_cast<std::int64_t>(values.size())};
  c.i = std::move(values);
  return c;
}

// The axes of Squeeze/Unsqueeze/ReduceMean: an attribute before opset 13 (18 for
// ReduceMean), an input after.
std::optional<std::vector<std::int64_t>> axes_of(const NodeView& v, int input) {
  if (auto a = v.attr_ints("axes")) return a;
  if (v.has_input(input)) return v.constant_ints(input, "axes");
  return std::nullopt;
}

core::Shape unsqueeze_dims(const NodeView& v, const core::Shape& in,
                           std::vector<std::int64_t> axes) {
  const std::size_t rank = in.size() + axes.size();
  for (std::int64_t& a : axes) a = normalize_axis(v, a, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) v.fail("repeats an axis");
  core::Shape out;
  std::size_t next = 0, used = 0;
  for (std::size_t k = 0; k < rank; ++k) {
    if (used < axes.size() && axes[used] == static_cast<std::int64_t>(k)) {
      out.push_back(1);
      ++used;
    } else {
      out.push_back(in[next++]);
    }
  }
  return out;
}

core::Shape squeeze_dims(const NodeView& v, const core::Shape& in,
                         const std::optional<std::vector<std::int64_t>>& axes) {
  std::vector<bool> drop(in.size(), false);
  if (axes) {
    for (const std::int64_t a : *axes) {
      const auto k = static_cast<std::size_t>(normalize_axis(v, a, in.size()));
      if (in[k] != 1)
        v.fail("cannot squeeze axis " + std::to_string(a) + " of " + core::shape_string(in));
      drop[k] = true;
    }
  } else {
    for (std::size_t k = 0; k < in.size(); ++k) drop[k] = in[k] == 1;
  }
  core::Shape out;
  for (std::size_t k = 0; k < in.size(); ++k) {
    if (!drop[k]) out.push_back(in[k]);
  }
  return out;
}

Constant constant_attribute(const NodeView& v) {
  if (v.node.attribute_size() != 1) v.fail("must have exactly one value attribute");
  const onnx::AttributeProto& a = v.node.attribute(0);
  Constant c;
  if (a.name() == "value") {
    if (a.type() != onnx::AttributeProto::TENSOR) v.fail("attribute 'value' must be a TENSOR");
    return read_tensor_proto(v.r, a.t(),
                             "node " + std::to_string(v.index) + " '" + v.name + "' value");
  }
  if (a.name() == "value_float") {
    c.dims = {};
    c.f = {v.attr_float("value_float", 0.0f)};
  } else if (a.name() == "value_floats") {
    const auto* f = v.typed_attr("value_floats", onnx::AttributeProto::FLOATS);
    c.f.assign(f->floats().begin(), f->floats().end());
    c.dims = {static_cast<std::int64_t>(c.f.size())};
  } else if (a.name() == "value_int") {
    c = make_ints({v.attr_int("value_int", 0)});
    c.dims = {};
  } else if (a.name() == "value_ints") {
    c = make_ints(*v.attr_ints("value_ints"));
  } else {
    v.fail("attribute '" + a.name() +
           "' is not supported; tinyscale reads value, value_float(s) "
           "and value_int(s)");
  }
  return c;
}

// Nodes that only compute constants. Returns false when the op is not one of them or an
// input is computed at run time (the caller then maps it as a graph op, or refuses it).
bool fold_constant_node(const NodeView& v) {
  const std::string& op = v.node.op_type();
  if (op == "Constant") {
    v.set_output(constant_attribute(v));
    return true;
  }
  if (op == "Shape") {  // the shape of any tensor is known
    v.expect_inputs(1, 1);
    const Value& in = v.input(0, "data");
    core::Shape dims = in.constant ? in.constant->dims : v.r.onnx_shape(in.tensor);
    const auto rank = static_cast<std::int64_t>(dims.size());
    std::int64_t start = v.attr_int("start", 0), end = v.attr_int("end", rank);
    start = std::clamp<std::int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<std::int64_t>(end < 0 ? end + rank : end, 0, rank);
    std::vector<std::int64_t> values;
    for (std::int64_t k = start; k < end; ++k) values.push_back(dims[static_cast<std::size_t>(k)]);
    v.set_output(make_ints(values));
    return true;
  }
  if (op == "ConstantOfShape") {
    v.expect_inputs(1, 1);
    const std::vector<std::int64_t> shape = v.constant_ints(0, "shape");
    Constant fill;
    fill.f = {0.0f};
    if (const auto* a = v.typed_attr("value", onnx::AttributeProto::TENSOR)) {
      fill = read_tensor_proto(v.r, a->t(), "node " + std::to_string(v.index) + " value");
      if (fill.size() != 1) v.fail("attribute 'value' must hold one element");
    }
    google::protobuf::RepeatedField<std::int64_t> dims(shape.begin(), shape.end());
    const core::Shape out_dims =
        read_dims(v.r, "node " + std::to_string(v.index) + " output", dims);
    v.set_output(
        take(fill, out_dims,
             std::vector<std::size_t>(static_cast<std::size_t>(core::num_elements(out_dims)), 0)));
    return true;
  }
  const int n = v.input_count();
  for (int k = 0; k < n; ++k) {
    if (v.has_input(k) && !v.input(k, "input").constant) return false;
  }
  if (n == 0) return false;
  const Constant& x = v.constant(0, "input");
  if (op == "Identity") {
    v.set_output(x);
  } else if (op == "Cast") {
    const auto to = static_cast<int>(v.attr_int("to", onnx::TensorProto::FLOAT));
    Constant out;
    out.dims = x.dims;
    switch (to) {
      case onnx::TensorProto::FLOAT:
      case onnx::TensorProto::DOUBLE:
      case onnx::TensorProto::FLOAT16:
        out.f = x.floats();
        break;
      case onnx::TensorProto::BOOL:
        out.integer = true;
        for (std::size_t k = 0; k < x.size(); ++k) out.i.push_back(x.at(k) != 0.0 ? 1 : 0);
        break;
      default:
        out.integer = true;
        if (x.integer) {
          out.i = x.i;
        } else {
          for (const float f : x.f) {
            if (!std::isfinite(f) || std::fabs(f) > 9.0e18f) v.fail("casts a value out of range");
            out.i.push_back(static_cast<std::int64_t>(f));
          }
        }
    }
    v.set_output(out);
  } else if (op == "Reshape") {
    v.expect_inputs(2, 2);
    Constant out = x;
    out.dims = reshape_target(v, x.dims, v.constant_ints(1, "shape"), v.attr_int("allowzero", 0));
    v.set_output(out);
  } else if (op == "Flatten") {
    const auto axis =
        static_cast<std::size_t>(normalize_axis(v, v.attr_int("axis", 1), x.dims.size() + 1));
    Constant out = x;
    std::int64_t outer = 1;
    for (std::size_t k = 0; k < axis; ++k) outer *= x.dims[k];
    out.dims = {outer, core::num_elements(x.dims) / std::max<std::int64_t>(outer, 1)};
    v.set_output(out);
  } else if (op == "Unsqueeze") {
    const auto axes = axes_of(v, 1);
    if (!axes) v.fail("has no axes");
    Constant out = x;
    out.dims = unsqueeze_dims(v, x.dims, *axes);
    v.set_output(out);
  } else if (op == "Squeeze") {
    Constant out = x;
    out.dims = squeeze_dims(v, x.dims, axes_of(v, 1));
    v.set_output(out);
  } else if (op == "Transpose") {
    std::vector<std::int64_t> perm;
    if (auto p = v.attr_ints("perm")) {
      perm = *p;
    } else {
      for (std::size_t k = x.dims.size(); k-- > 0;) perm.push_back(static_cast<std::int64_t>(k));
    }
    std::vector<std::int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t k = 0; k < sorted.size(); ++k) {
      if (sorted[k] != static_cast<std::int64_t>(k) || sorted.size() != x.dims.size()) {
        v.fail("perm " + values_text(perm) + " is not a permutation of rank " +
               std::to_string(x.dims.size()));
      }
    }
    v.set_output(permute(x, perm));
  } else if (op == "Concat") {
    if (x.dims.empty()) v.fail("cannot concatenate scalars");
    const auto axis =
        static_cast<std::size_t>(normalize_axis(v, v.attr_int("axis", 0), x.dims.size()));
    std::vector<const Constant*> parts;
    core::Shape dims = x.dims;
    dims[axis] = 0;
    for (int k = 0; k < n; ++k) {
      if (!v.has_input(k)) continue;
      const Constant& p = v.constant(k, "input");
      core::Shape a = p.dims, b = x.dims;
      if (a.size() != b.size() || p.integer != x.integer) v.fail("inputs differ in rank or type");
      a[axis] = b[axis] = 0;
      if (a != b) v.fail("inputs differ in shape off the concatenation axis");
      dims[axis] += p.dims[axis];
      parts.push_back(&p);
    }
    v.check_folded(dims);
    Constant out;
    out.integer = x.integer;
    out.dims = dims;
    std::int64_t outer = 1;
    for (std::size_t k = 0; k < axis; ++k) outer *= dims[k];
    for (std::int64_t o = 0; o < outer; ++o) {
      for (const Constant* p : parts) {
        const auto block = static_cast<std::size_t>(core::num_elements(p->dims) /
                                                    std::max<std::int64_t>(outer, 1));
        const std::size_t from = static_cast<std::size_t>(o) * block;
        if (x.integer) {
          out.i.insert(out.i.end(), p->i.begin() + static_cast<std::ptrdiff_t>(from),
                       p->i.begin() + static_cast<std::ptrdiff_t>(from + block));
        } else {
          out.f.insert(out.f.end(), p->f.begin() + static_cast<std::ptrdiff_t>(from),
                       p->f.begin() + static_cast<std::ptrdiff_t>(from + block));
        }
      }
    }
    v.set_output(out);
  } else if (op == "Gather") {
    v.expect_inputs(2, 2);
    if (x.dims.empty()) v.fail("cannot gather from a scalar");
    const auto axis =
        static_cast<std::size_t>(normalize_axis(v, v.attr_int("axis", 0), x.dims.size()));
    const Constant& indices = v.constant(1, "indices");
    if (!indices.integer) v.fail("indices must be integers");
    core::Shape dims(x.dims.begin(), x.dims.begin() + static_cast<std::ptrdiff_t>(axis));
    dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
    dims.insert(dims.end(), x.dims.begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.dims.end());
    if (dims.size() > kMaxRank) v.fail("output rank is too high");
    v.check_folded(dims);
    const std::vector<std::int64_t> strides = strides_of(x.dims);
    std::int64_t outer = 1;
    for (std::size_t k = 0; k < axis; ++k) outer *= x.dims[k];
    const std::int64_t inner = strides[axis];
    std::vector<std::size_t> source;
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t index : indices.i) {
        if (index < -x.dims[axis] || index >= x.dims[axis]) {
          v.fail("index " + std::to_string(index) + " is out of range for dimension " +
                 std::to_string(x.dims[axis]));
        }
        if (index < 0) index += x.dims[axis];
        for (std::int64_t in = 0; in < inner; ++in) {
          source.push_back(static_cast<std::size_t>(o * x.dims[axis] * inner + index * inner + in));
        }
      }
    }
    v.set_output(take(x, dims, source));
  } else if (op == "Slice") {
    if (v.r.opset < 10) {
      v.set_output(fold_slice(v, x, v.attr_ints("starts").value_or(std::vector<std::int64_t>{}),
                              v.attr_ints("ends").value_or(std::vector<std::int64_t>{}),
                              v.attr_ints("axes").value_or(std::vector<std::int64_t>{}), {}));
    } else {
      v.expect_inputs(3, 5);
      v.set_output(
          fold_slice(v, x, v.constant_ints(1, "starts"), v.constant_ints(2, "ends"),
                     v.has_input(3) ? v.constant_ints(3, "axes") : std::vector<std::int64_t>{},
                     v.has_input(4) ? v.constant_ints(4, "steps") : std::vector<std::int64_t>{}));
    }
  } else if (op == "Split") {
    if (x.dims.empty()) v.fail("cannot split a scalar");
    const auto axis = normalize_axis(v, v.attr_int("axis", 0), x.dims.size());
    const std::int64_t dim = x.dims[static_cast<std::size_t>(axis)];
    std::vector<std::int64_t> sizes;
    if (auto s = v.attr_ints("split")) {
      sizes = *s;
    } else if (v.has_input(1)) {
      sizes = v.constant_ints(1, "split");
    } else {
      const std::int64_t parts = v.node.output_size();
      if (parts < 1) v.fail("has no outputs");
      const std::int64_t each = (dim + parts - 1) / parts;
      for (std::int64_t k = 0; k < parts; ++k) sizes.push_back(std::min(each, dim - k * each));
    }
    if (static_cast<int>(sizes.size()) != v.node.output_size()) {
      v.fail("split sizes " + values_text(sizes) + " do not match its " +
             std::to_string(v.node.output_size()) + " outputs");
    }
    std::int64_t start = 0;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      if (sizes[k] < 0 || start + sizes[k] > dim)
        v.fail("split sizes " + values_text(sizes) + " exceed " + std::to_string(dim));
      v.set_output(fold_slice(v, x, {start}, {start + sizes[k]}, {axis}, {1}), static_cast<int>(k));
      start += sizes[k];
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    v.expect_inputs(2, 2);
    v.set_output(fold_binary(v, op, x, v.constant(1, "B")));
  } else {
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- graph ops

// A constant operand of an elementwise op on the computed tensor `id`, as a graph
// constant in that tensor's layout (right-aligned to its rank; NCHW -> NHWC for rank 4).
int operand_constant(const NodeView& v, int k, int id, const std::vector<float>& values,
                     const core::Shape& dims) {
  const std::size_t rank = v.r.graph.tensor(id).shape.size();
  if (dims.size() > rank) {
    v.fail("constant '" + v.node.input(k) + "' " + core::shape_string(dims) +
           " has a higher rank than the tensor it combines with");
  }
  Constant c;
  c.f = values;
  c.dims = core::Shape(rank - dims.size(), 1);
  c.dims.insert(c.dims.end(), dims.begin(), dims.end());
  if (rank == 4) c = permute(c, kNchwToNhwc);
  return v.graph_constant(v.node.input(k), c.dims, c.f);
}

// Windows of Conv and the pools: kernel, strides, dilations, pads [t, l, b, r] or auto_pad.
void set_window(const NodeView& v, core::Attributes& a, const core::Shape& x_nhwc, std::int64_t kh,
                std::int64_t kw, bool dilation_allowed) {
  auto pair = [&](const char* key, std::int64_t fallback) {
    const std::vector<std::int64_t> values =
        v.attr_ints(key).value_or(std::vector<std::int64_t>{fallback, fallback});
    if (values.size() != 2)
      v.fail(std::string(key) + " " + values_text(values) + " must have 2 entries");
    for (const std::int64_t value : values) {
      if (value < 1 || value > kMaxWindow) {
        v.fail(std::string(key) + " " + values_text(values) + " must be 1.." +
               std::to_string(kMaxWindow));
      }
    }
    return values;
  };
  if (kh < 1 || kw < 1 || kh > kMaxWindow || kw > kMaxWindow) {
    v.fail("kernel " + std::to_string(kh) + "x" + std::to_string(kw) + " is out of range");
  }
  const std::vector<std::int64_t> strides = pair("strides", 1);
  const std::vector<std::int64_t> dilations = pair("dilations", 1);
  if (!dilation_allowed && (dilations[0] != 1 || dilations[1] != 1)) {
    v.fail("dilations " + values_text(dilations) + " are not supported for pooling");
  }
  a.kernel_h = static_cast<int>(kh);
  a.kernel_w = static_cast<int>(kw);
  a.stride_h = static_cast<int>(strides[0]);
  a.stride_w = static_cast<int>(strides[1]);
  a.dilation_h = static_cast<int>(dilations[0]);
  a.dilation_w = static_cast<int>(dilations[1]);
  const std::string auto_pad = v.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    const std::vector<std::int64_t> pads =
        v.attr_ints("pads").value_or(std::vector<std::int64_t>{0, 0, 0, 0});
    if (pads.size() != 4) v.fail("pads " + values_text(pads) + " must have 4 entries");
    for (const std::int64_t p : pads) {
      if (p < 0 || p > kMaxPadding)
        v.fail("pads " + values_text(pads) + " must be 0.." + std::to_string(kMaxPadding));
    }
    a.pad_top = static_cast<int>(pads[0]);
    a.pad_left = static_cast<int>(pads[1]);
    a.pad_bottom = static_cast<int>(pads[2]);
    a.pad_right = static_cast<int>(pads[3]);
  } else if (auto_pad == "VALID") {
    a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = 0;
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    auto same = [&](std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d, int& before,
                    int& after) {
      const std::int64_t out = (in + s - 1) / s;
      const std::int64_t total = std::max<std::int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
      const std::int64_t small = total / 2;
      before = static_cast<int>(auto_pad == "SAME_UPPER" ? small : total - small);
      after = static_cast<int>(total - before);
    };
    same(x_nhwc[1], kh, strides[0], dilations[0], a.pad_top, a.pad_bottom);
    same(x_nhwc[2], kw, strides[1], dilations[1], a.pad_left, a.pad_right);
  } else {
    v.fail("auto_pad '" + auto_pad + "' is not supported");
  }
}

std::vector<std::int64_t> kernel_shape(const NodeView& v) {
  const auto k = v.attr_ints("kernel_shape");
  if (!k || k->size() != 2) v.fail("needs a 2-entry kernel_shape (2-D pooling only)");
  return *k;
}

void map_conv(const NodeView& v) {
  v.expect_inputs(2, 3);
  const int x = v.runtime_of_rank(0, "input", 4);
  const Constant& w = v.constant(1, "weight");
  const core::Shape& xs = v.r.graph.tensor(x).shape;
  if (w.dims.size() != 4)
    v.fail("weight must be [O, C/group, kh, kw], got " + core::shape_string(w.dims));
  if (auto k = v.attr_ints("kernel_shape");
      k && *k != std::vector<std::int64_t>{w.dims[2], w.dims[3]}) {
    v.fail("kernel_shape " + values_text(*k) + " does not match weight " +
           core::shape_string(w.dims));
  }
  const std::int64_t group = v.attr_int("group", 1);
  if (group < 1 || w.dims[1] * group != xs[3] || w.dims[0] % group != 0) {
    v.fail("group " + std::to_string(group) + " with weight " + core::shape_string(w.dims) +
           " does not fit an input of " + std::to_string(xs[3]) + " channels");
  }
  core::Attributes a;
  a.groups = static_cast<int>(group);
  set_window(v, a, xs, w.dims[2], w.dims[3], true);
  const Constant ohwi = permute(w, kNchwToNhwc);
  std::vector<int> inputs = {x, v.graph_constant(v.node.input(1), ohwi.dims, ohwi.floats())};
  if (v.has_input(2)) {
    const Constant& b = v.constant(2, "bias");
    if (b.size() != static_cast<std::size_t>(w.dims[0])) {
      v.fail("bias " + core::shape_string(b.dims) + " must have " + std::to_string(w.dims[0]) +
             " values");
    }
    inputs.push_back(v.graph_constant(v.node.input(2), {w.dims[0]}, b.floats()));
  }
  v.set_output_tensor(v.add_node(core::OpType::conv2d, inputs, a));
}

void map_batch_norm(const NodeView& v) {
  v.expect_inputs(5, 5);
  v.expect_single_output();
  if (v.attr_int("training_mode", 0) != 0) v.fail("training_mode 1 is not supported");
  const int x = v.runtime(0, "input");
  const core::Shape s = v.r.onnx_shape(x);
  if (s.size() != 4 && s.size() != 2)
    v.fail("input must have rank 4 or 2, got " + core::shape_string(s));
  std::vector<int> inputs = {x};
  const char* names[] = {"scale", "B", "input_mean", "input_var"};
  for (int k = 1; k < 5; ++k) {
    const Constant& c = v.constant(k, names[k - 1]);
    if (c.size() != static_cast<std::size_t>(s[1])) {
      v.fail(std::string(names[k - 1]) + " " + core::shape_string(c.dims) + " must have " +
             std::to_string(s[1]) + " values");
    }
    inputs.push_back(v.graph_constant(v.node.input(k), {s[1]}, c.floats()));
  }
  core::Attributes a;
  a.epsilon = v.attr_float("epsilon", 1e-5f);
  v.set_output_tensor(v.add_node(core::OpType::batch_norm, inputs, a));
}

void map_clip(const NodeView& v) {
  v.expect_inputs(1, 3);
  const int x = v.runtime(0, "input");
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (v.r.opset < 11) {
    lo = v.attr_float("min", lo);
    hi = v.attr_float("max", hi);
  } else {
    if (v.has_input(1)) lo = v.constant_scalar(1, "min");
    if (v.has_input(2)) hi = v.constant_scalar(2, "max");
  }
  core::Attributes a;
  if (lo == 0.0f && hi > std::numeric_limits<float>::max()) {
    v.set_output_tensor(v.add_node(core::OpType::relu, {x}));
    return;
  }
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) {
    v.fail("bounds " + number_text(lo) + ".." + number_text(hi) +
           " are not supported; tinyscale clips to finite bounds min < max (or min 0 = Relu)");
  }
  a.clip_min = lo;
  a.clip_max = hi;
  v.set_output_tensor(v.add_node(core::OpType::clip, {x}, a));
}

// Add, Mul, Sub, Div with at most one constant operand (a constant pair is folded).
void map_binary(const NodeView& v) {
  v.expect_inputs(2, 2);
  const std::string& op = v.node.op_type();
  int a = 0, b = 1;
  if (v.is_constant(0)) {
    if (op == "Sub" || op == "Div") {
      v.fail("the constant is the first operand; tinyscale imports " + op +
             " only as computed tensor " + (op == "Sub" ? "minus" : "divided by") + " a constant");
    }
    std::swap(a, b);
  }
  const int x = v.runtime(a, "A");
  const core::OpType core_op = (op == "Add" || op == "Sub") ? core::OpType::add : core::OpType::mul;
  int y = -1;
  if (v.is_constant(b)) {
    const Constant& c = v.constant(b, "B");
    std::vector<float> values = c.floats();
    for (float& f : values) {
      if (op == "Sub") f = -f;
      if (op == "Div") {
        if (f == 0.0f) v.fail("divides by a constant holding 0");
        f = 1.0f / f;
      }
    }
    y = operand_constant(v, b, x, values, c.dims);
  } else {
    if (op == "Sub" || op == "Div") {
      v.fail(op + " of two computed tensors is not supported; tinyscale imports " + op +
             " by a constant only");
    }
    y = v.runtime(b, "B");
    const std::size_t ra = v.r.graph.tensor(x).shape.size(), rb = v.r.graph.tensor(y).shape.size();
    if ((ra == 4 || rb == 4) && ra != rb) {
      v.fail("broadcasts a rank-" + std::to_string(std::min(ra, rb)) +
             " tensor against a rank-4 "
             "one, which does not map onto the NHWC layout");
    }
  }
  v.set_output_tensor(v.add_node(core_op, {x, y}));
}

void map_pool(const NodeView& v, core::OpType op) {
  v.expect_inputs(1, 1);
  v.expect_single_output();
  const int x = v.runtime_of_rank(0, "input", 4);
  if (v.attr_int("ceil_mode", 0) != 0) v.fail("ceil_mode 1 is not supported");
  if (v.attr_int("storage_order", 0) != 0) v.fail("storage_order 1 is not supported");
  const std::vector<std::int64_t> k = kernel_shape(v);
  core::Attributes a;
  set_window(v, a, v.r.graph.tensor(x).shape, k[0], k[1], false);
  const bool padded = a.pad_top || a.pad_bottom || a.pad_left || a.pad_right;
  if (op == core::OpType::avg_pool && padded && v.attr_int("count_include_pad", 0) != 0) {
    v.fail(
        "count_include_pad 1 with padding is not supported; tinyscale averages in-image "
        "cells only (as TFLite does)");
  }
  v.set_output_tensor(v.add_node(op, {x}, a));
}

void map_global_pool(const NodeView& v, const std::vector<std::int64_t>& axes, bool keep_dims) {
  const int x = v.runtime_of_rank(0, "input", 4);
  std::vector<std::int64_t> sorted;
  for (const std::int64_t axis : axes) sorted.push_back(normalize_axis(v, axis, 4));
  std::sort(sorted.begin(), sorted.end());
  if (sorted != std::vector<std::int64_t>{2, 3}) {
    v.fail("reduces over axes " + values_text(axes) +
           "; tinyscale imports ReduceMean over the "
           "spatial axes [2, 3] only (global average pooling)");
  }
  int y = v.add_node(core::OpType::global_avg_pool, {x});
  if (!keep_dims) {
    core::Attributes a;
    a.new_shape = {v.r.graph.tensor(x).shape[0], v.r.graph.tensor(x).shape[3]};
    y = v.add_node(core::OpType::reshape, {y}, a, "/squeeze");
  }
  v.set_output_tensor(y);
}

// A reshape of a computed tensor from ONNX shape `in` to `out`. NCHW and NHWC order the
// elements alike only when a rank-4 side has C == 1 or H·W == 1.
void map_reshape_to(const NodeView& v, int x, const core::Shape& out) {
  const core::Shape in = v.r.onnx_shape(x);
  auto layout_free = [](const core::Shape& s) {
    return s.size() != 4 || s[1] == 1 || s[2] * s[3] == 1;
  };
  if ((in.size() == 4 || out.size() == 4) && !(layout_free(in) && layout_free(out))) {
    v.fail("reshapes " + core::shape_string(in) + " to " + core::shape_string(out) +
           ", which changes the element order between NCHW and tinyscale's NHWC layout; "
           "tinyscale imports only layout-free reshapes (e.g. [N,C,1,1] -> [N,C] after a "
           "global pool)");
  }
  if (in == out) {
    v.set_output_tensor(x);
    return;
  }
  core::Attributes a;
  a.new_shape = out.size() == 4 ? core::Shape{out[0], out[2], out[3], out[1]} : out;
  v.set_output_tensor(v.add_node(core::OpType::reshape, {x}, a));
}

void map_gemm(const NodeView& v) {
  v.expect_inputs(2, 3);
  const bool matmul = v.node.op_type() == "MatMul";
  const int x = v.runtime_of_rank(0, "A", 2);
  if (!matmul && v.attr_int("transA", 0) != 0) v.fail("transA 1 is not supported");
  const Constant& b = v.constant(1, "B");
  if (b.dims.size() != 2) v.fail("B must have rank 2, got " + core::shape_string(b.dims));
  const bool trans_b = !matmul && v.attr_int("transB", 0) != 0;
  Constant w = trans_b ? b : permute(b, {1, 0});  // [O, K]
  const float alpha = matmul ? 1.0f : v.attr_float("alpha", 1.0f);
  const float beta = matmul ? 1.0f : v.attr_float("beta", 1.0f);
  std::vector<float> weights = w.floats();
  if (alpha != 1.0f) {
    for (float& f : weights) f *= alpha;
  }
  const std::int64_t out = w.dims[0];
  std::vector<int> inputs = {x, v.graph_constant(v.node.input(1), w.dims, weights)};
  if (v.has_input(2)) {
    const Constant& c = v.constant(2, "C");
    if (c.size() != static_cast<std::size_t>(out) && c.size() != 1) {
      v.fail("bias C " + core::shape_string(c.dims) + " must have " + std::to_string(out) +
             " values");
    }
    std::vector<float> bias(static_cast<std::size_t>(out));
    for (std::size_t k = 0; k < bias.size(); ++k) {
      bias[k] = beta * static_cast<float>(c.at(c.size() == 1 ? 0 : k));
    }
    inputs.push_back(v.graph_constant(v.node.input(2), {out}, bias));
  }
  v.set_output_tensor(v.add_node(core::OpType::fully_connected, inputs));
}

void map_concat(const NodeView& v) {
  if (v.input_count() < 1) v.fail("has no inputs");
  std::vector<int> inputs;
  for (int k = 0; k < v.input_count(); ++k) inputs.push_back(v.runtime(k, "input"));
  const std::size_t rank = v.r.graph.tensor(inputs[0]).shape.size();
  std::int64_t axis = normalize_axis(v, v.attr_int("axis", 0), rank);
  if (rank == 4) axis = std::vector<std::int64_t>{0, 3, 1, 2}[static_cast<std::size_t>(axis)];
  core::Attributes a;
  a.axis = static_cast<int>(axis);
  v.set_output_tensor(v.add_node(core::OpType::concat, inputs, a));
}

// An NCHW axis of the file as the graph's axis (rank 4: NHWC).
int graph_axis(std::int64_t axis, std::size_t rank) {
  if (rank == 4) return std::vector<int>{0, 3, 1, 2}[static_cast<std::size_t>(axis)];
  return static_cast<int>(axis);
}

std::vector<int> add_split(const NodeView& v, int x, int axis, std::int64_t parts,
                           const std::string& suffix) {
  core::Attributes a;
  a.axis = axis;
  try {
    return v.r.graph.add_node_with_outputs(core::OpType::split, v.name + suffix, {x},
                                           static_cast<int>(parts), a);
  } catch (const Error& e) {
    v.fail(e.what());
  }
}

// Split of a computed tensor (torch.chunk / torch.split into equal sizes) into one split node.
void map_split(const NodeView& v) {
  v.expect_inputs(1, 2);
  const int x = v.runtime(0, "input");
  const core::Shape in = v.r.onnx_shape(x);
  const std::int64_t axis = normalize_axis(v, v.attr_int("axis", 0), in.size());
  const std::int64_t dim = in[static_cast<std::size_t>(axis)];
  const std::int64_t parts = v.node.output_size();
  if (parts < 1 || parts > core::kMaxSplitOutputs) {
    v.fail("has " + std::to_string(parts) + " outputs; tinyscale splits into 1.." +
           std::to_string(core::kMaxSplitOutputs) + " parts");
  }
  if (v.attr("num_outputs") && v.attr_int("num_outputs", parts) != parts) {
    v.fail("num_outputs " + std::to_string(v.attr_int("num_outputs", parts)) +
           " differs from its " + std::to_string(parts) + " outputs");
  }
  std::vector<std::int64_t> sizes;
  if (auto s = v.attr_ints("split")) {
    sizes = *s;
  } else if (v.has_input(1)) {
    sizes = v.constant_ints(1, "split");
  }
  const bool equal = sizes.empty()
                         ? dim % parts == 0
                         : static_cast<std::int64_t>(sizes.size()) == parts &&
                               std::all_of(sizes.begin(), sizes.end(),
                                           [&](std::int64_t s) { return s * parts == dim; });
  if (!equal) {
    v.fail("splits dimension " + std::to_string(dim) + " of axis " + std::to_string(axis) +
           " into " +
           (sizes.empty() ? std::to_string(parts) + " parts" : "sizes " + values_text(sizes)) +
           "; tinyscale imports a Split of a computed tensor into equal parts only");
  }
  const std::vector<int> ids = add_split(v, x, graph_axis(axis, in.size()), parts, "");
  for (std::size_t k = 0; k < ids.size(); ++k) {
    v.set_output(Value{std::nullopt, ids[k]}, static_cast<int>(k));
  }
}

// torch exports torch.chunk at opset 13 and later as one Slice per part of a computed tensor.
// A Slice that is an equal part [k·n, (k+1)·n) of its input along one axis becomes output k
// of a split node shared by all the Slices cutting that tensor into the same parts. Any other
// Slice with unit steps (tinyscale's own lowering of adaptive average pooling writes them)
// becomes a slice node.
void map_slice(const NodeView& v) {
  const int x = v.runtime(0, "data");
  const core::Shape in = v.r.onnx_shape(x);
  std::vector<std::int64_t> starts, ends, axes, steps;
  if (v.r.opset < 10) {
    starts = v.attr_ints("starts").value_or(std::vector<std::int64_t>{});
    ends = v.attr_ints("ends").value_or(std::vector<std::int64_t>{});
    axes = v.attr_ints("axes").value_or(std::vector<std::int64_t>{});
  } else {
    v.expect_inputs(3, 5);
    starts = v.constant_ints(1, "starts");
    ends = v.constant_ints(2, "ends");
    if (v.has_input(3)) axes = v.constant_ints(3, "axes");
    if (v.has_input(4)) steps = v.constant_ints(4, "steps");
  }
  if (axes.empty()) {
    for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
  }
  if (starts.empty() || starts.size() != ends.size() || axes.size() != starts.size() ||
      (!steps.empty() && steps.size() != starts.size()) ||
      std::any_of(steps.begin(), steps.end(), [](std::int64_t s) { return s != 1; })) {
    v.fail("starts " + values_text(starts) + ", ends " + values_text(ends) + ", axes " +
           values_text(axes) + ", steps " + values_text(steps) +
           "; tinyscale imports a Slice of a computed tensor with one start and end per axis "
           "and unit steps");
  }
  core::Shape begin(in.size(), 0), size = in;
  std::vector<char> seen(in.size(), 0);
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const auto axis = static_cast<std::size_t>(normalize_axis(v, axes[k], in.size()));
    if (seen[axis]) v.fail("slices axis " + std::to_string(axis) + " twice");
    seen[axis] = 1;
    const std::int64_t dim = in[axis];
    auto clamp = [&](std::int64_t i) {
      return std::clamp<std::int64_t>(i < 0 ? i + dim : i, 0, dim);
    };
    begin[axis] = clamp(starts[k]);
    size[axis] = clamp(ends[k]) - begin[axis];
    if (size[axis] <= 0) {
      v.fail("takes [" + std::to_string(starts[k]) + ", " + std::to_string(ends[k]) +
             ") of dimension " + std::to_string(dim) + " along axis " + std::to_string(axis) +
             ", which is empty");
    }
  }
  if (axes.size() == 1) {
    const auto axis = static_cast<std::size_t>(normalize_axis(v, axes[0], in.size()));
    const std::int64_t length = size[axis];
    if (in[axis] % length == 0 && begin[axis] % length == 0) {
      const std::int64_t parts = in[axis] / length;
      if (parts == 1) return v.set_output_tensor(x);
      const int graph_ax = graph_axis(static_cast<std::int64_t>(axis), in.size());
      auto& ids = v.r.chunks[{x, graph_ax, parts}];
      if (ids.empty()) ids = add_split(v, x, graph_ax, parts, "/chunk");
      return v.set_output_tensor(ids[static_cast<std::size_t>(begin[axis] / length)]);
    }
  }
  core::Attributes a;
  a.slice_begin = a.slice_size = core::Shape(in.size());
  for (std::size_t k = 0; k < in.size(); ++k) {
    const auto g = static_cast<std::size_t>(graph_axis(static_cast<std::int64_t>(k), in.size()));
    a.slice_begin[g] = begin[k];
    a.slice_size[g] = size[k];
  }
  if (a.slice_size == v.r.graph.tensor(x).shape) return v.set_output_tensor(x);
  v.set_output_tensor(v.add_node(core::OpType::slice, {x}, a));
}

void map_resize(const NodeView& v) {
  const int x = v.runtime_of_rank(0, "X", 4);
  if (v.attr_string("mode", "nearest") != "nearest") {
    v.fail("mode '" + v.attr_string("mode", "") +
           "' is not supported; tinyscale resizes nearest only");
  }
  const std::string transform = v.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string rounding = v.attr_string("nearest_mode", "round_prefer_floor");
  const core::Shape in = v.r.onnx_shape(x);
  std::vector<double> scales;
  const int scales_input = v.r.opset < 11 ? 1 : 2;
  if (v.has_input(scales_input) && v.constant(scales_input, "scales").size() > 0) {
    const Constant& s = v.constant(scales_input, "scales");
    for (std::size_t k = 0; k < s.size(); ++k) scales.push_back(s.at(k));
  } else if (v.r.opset >= 11 && v.has_input(3)) {
    const std::vector<std::int64_t> sizes = v.constant_ints(3, "sizes");
    if (sizes.size() == 4) {
      for (std::size_t k = 0; k < 4; ++k) {
        scales.push_back(in[k] > 0 && sizes[k] % in[k] == 0 ? static_cast<double>(sizes[k] / in[k])
                                                            : 0.5);
      }
    }
  } else if (auto s = v.typed_attr("scales", onnx::AttributeProto::FLOATS)) {
    scales.assign(s->floats().begin(), s->floats().end());
  }
  auto integer = [](double s) { return s >= 1.0 && s <= kMaxWindow && s == std::floor(s); };
  if (scales.size() != 4 || scales[0] != 1.0 || scales[1] != 1.0 || !integer(scales[2]) ||
      !integer(scales[3])) {
    v.fail(
        "is not an integer upscaling of height and width; tinyscale resizes by integer "
        "factors only");
  }
  const double largest = std::max(scales[2], scales[3]);
  // For an integer factor these mappings all pick the source pixel floor(o / s).
  const bool exact =
      ((transform == "asymmetric") &&
       (rounding == "floor" || (rounding == "round_prefer_floor" && largest <= 2))) ||
      ((transform == "half_pixel" || transform == "pytorch_half_pixel") &&
       (rounding == "round_prefer_floor" || rounding == "round_prefer_ceil"));
  if (!exact) {
    v.fail("coordinate_transformation_mode '" + transform + "' with nearest_mode '" + rounding +
           "' does not repeat each pixel; tinyscale supports asymmetric/floor and half_pixel");
  }
  core::Attributes a;
  a.scale_h = static_cast<int>(scales[2]);
  a.scale_w = static_cast<int>(scales[3]);
  v.set_output_tensor(v.add_node(core::OpType::resize_nearest, {x}, a));
}

void map_softmax(const NodeView& v) {
  v.expect_inputs(1, 1);
  const int x = v.runtime(0, "input");
  const std::size_t rank = v.r.onnx_shape(x).size();
  const std::int64_t axis = normalize_axis(v, v.attr_int("axis", v.r.opset < 13 ? 1 : -1), rank);
  const bool channels = rank == 4 && axis == 1 && v.r.opset >= 13;
  if (!channels && axis != static_cast<std::int64_t>(rank) - 1) {
    v.fail("axis " + std::to_string(axis) + " of a rank-" + std::to_string(rank) +
           " input is not supported; tinyscale takes softmax over the last (or channel) axis");
  }
  core::Attributes a;
  a.axis = -1;
  v.set_output_tensor(v.add_node(core::OpType::softmax, {x}, a));
}

// The Mul of x·HardSigmoid(x); the HardSigmoid (checked when it was reached) emitted nothing.
void map_hard_swish(const NodeView& v, int x_input) {
  const int x = v.runtime(x_input, "x");
  v.set_output_tensor(v.add_node(core::OpType::hard_swish, {x}));
}

// HardSigmoid nodes that are torch's hardswish, x·HardSigmoid(x): HardSigmoid index ->
// the Mul's index and the Mul's input holding x.
struct HardSwishPattern {
  std::map<std::size_t, std::size_t> mul_of;                // HardSigmoid -> Mul
  std::map<std::size_t, std::pair<std::size_t, int>> x_of;  // Mul -> (HardSigmoid, x input)
};

HardSwishPattern find_hard_swish(const onnx::GraphProto& g) {
  HardSwishPattern p;
  std::unordered_map<std::string, std::vector<std::size_t>> readers;
  for (int n = 0; n < g.node_size(); ++n) {
    for (const std::string& in : g.node(n).input())
      readers[in].push_back(static_cast<std::size_t>(n));
  }
  std::unordered_map<std::string, bool> is_output;
  for (const auto& o : g.output()) is_output[o.name()] = true;
  for (int n = 0; n < g.node_size(); ++n) {
    const onnx::NodeProto& h = g.node(n);
    if (h.op_type() != "HardSigmoid" || h.input_size() != 1 || h.output_size() != 1) continue;
    const auto found = readers.find(h.output(0));
    if (found == readers.end() || found->second.size() != 1 || is_output.count(h.output(0)))
      continue;
    const onnx::NodeProto& m = g.node(static_cast<int>(found->second[0]));
    if (m.op_type() != "Mul" || m.input_size() != 2) continue;
    const int x_input = m.input(0) == h.output(0) ? 1 : 0;
    if (m.input(x_input) != h.input(0) || m.input(1 - x_input) != h.output(0)) continue;
    p.mul_of[static_cast<std::size_t>(n)] = found->second[0];
    p.x_of[found->second[0]] = {static_cast<std::size_t>(n), x_input};
  }
  return p;
}

void map_node(const NodeView& v, const HardSwishPattern& hs) {
  const std::string& op = v.node.op_type();
  if (!v.node.domain().empty() && v.node.domain() != "ai.onnx") {
    v.r.fail("node " + std::to_string(v.index) + " '" + v.name + "' is " + op + " of domain '" +
             v.node.domain() + "', which tinyscale does not import; supported: " + kSupported);
  }
  if (op == "HardSigmoid") {
    if (!hs.mul_of.count(v.index)) {
      v.fail(
          "a HardSigmoid not followed by a Mul with its own input is not supported; "
          "tinyscale imports HardSigmoid only as torch's hardswish, x * HardSigmoid(x)");
    }
    const float alpha = v.attr_float("alpha", 0.2f), beta = v.attr_float("beta", 0.5f);
    if (std::fabs(alpha - 1.0f / 6.0f) > 1e-6f || std::fabs(beta - 0.5f) > 1e-6f) {
      v.fail("alpha " + number_text(alpha) + ", beta " + number_text(beta) +
             " are not hardswish's 1/6, 1/2");
    }
    v.runtime(0, "input");
    return;  // the Mul that follows emits the hard_swish
  }
  if (op == "Mul" && hs.x_of.count(v.index)) {
    return map_hard_swish(v, hs.x_of.at(v.index).second);
  }
  if (fold_constant_node(v)) return;
  if (op == "Conv") return map_conv(v);
  if (op == "BatchNormalization") return map_batch_norm(v);
  if (op == "Relu" || op == "Sigmoid" || op == "HardSwish" || op == "Tanh" || op == "LeakyRelu") {
    v.expect_inputs(1, 1);
    core::Attributes a;
    a.leaky_alpha = v.attr_float("alpha", 0.01f);
    const core::OpType t = op == "Relu"        ? core::OpType::relu
                           : op == "Sigmoid"   ? core::OpType::sigmoid
                           : op == "HardSwish" ? core::OpType::hard_swish
                           : op == "Tanh"      ? core::OpType::tanh
                                               : core::OpType::leaky_relu;
    return v.set_output_tensor(v.add_node(t, {v.runtime(0, "input")}, a));
  }
  if (op == "Clip") return map_clip(v);
  if (op == "Add" || op == "Mul" || op == "Sub" || op == "Div") return map_binary(v);
  if (op == "GlobalAveragePool") {
    v.expect_inputs(1, 1);
    return map_global_pool(v, {2, 3}, true);
  }
  if (op == "ReduceMean") {
    const auto axes = axes_of(v, 1);
    if (!axes) v.fail("reduces over all axes; tinyscale imports ReduceMean over [2, 3] only");
    return map_global_pool(v, *axes, v.attr_int("keepdims", 1) != 0);
  }
  if (op == "AveragePool") return map_pool(v, core::OpType::avg_pool);
  if (op == "MaxPool") return map_pool(v, core::OpType::max_pool);
  if (op == "Pad") {
    const int x = v.runtime_of_rank(0, "data", 4);
    if (v.attr_string("mode", "constant") != "constant") {
      v.fail("mode '" + v.attr_string("mode", "") +
             "' is not supported; tinyscale pads with a constant");
    }
    std::vector<std::int64_t> p;
    float value = 0.0f;
    if (v.r.opset < 11) {
      p = v.attr_ints("pads").value_or(std::vector<std::int64_t>{});
      value = v.attr_float("value", 0.0f);
    } else {
      v.expect_inputs(2, 3);
      p = v.constant_ints(1, "pads");
      if (v.has_input(2)) value = v.constant_scalar(2, "constant_value");
    }
    const bool ok =
        p.size() == 8 && p[0] == 0 && p[1] == 0 && p[4] == 0 && p[5] == 0 &&
        std::all_of(p.begin(), p.end(), [](std::int64_t d) { return d >= 0 && d <= kMaxPadding; });
    if (!ok) {
      v.fail("pads " + values_text(p) +
             " are not supported; tinyscale pads height and width "
             "only ([0, 0, top, left, 0, 0, bottom, right], amounts 0.." +
             std::to_string(kMaxPadding) + ")");
    }
    core::Attributes a;
    a.pad_top = static_cast<int>(p[2]);
    a.pad_left = static_cast<int>(p[3]);
    a.pad_bottom = static_cast<int>(p[6]);
    a.pad_right = static_cast<int>(p[7]);
    a.pad_value = value;
    return v.set_output_tensor(v.add_node(core::OpType::pad, {x}, a));
  }
  if (op == "Gemm" || op == "MatMul") return map_gemm(v);
  if (op == "Flatten") {
    v.expect_inputs(1, 1);
    const int x = v.runtime(0, "input");
    const core::Shape in = v.r.onnx_shape(x);
    const auto axis =
        static_cast<std::size_t>(normalize_axis(v, v.attr_int("axis", 1), in.size() + 1));
    std::int64_t outer = 1;
    for (std::size_t k = 0; k < axis; ++k) outer *= in[k];
    return map_reshape_to(v, x, {outer, core::num_elements(in) / std::max<std::int64_t>(outer, 1)});
  }
  if (op == "Reshape") {
    v.expect_inputs(2, 2);
    const int x = v.runtime(0, "data");
    return map_reshape_to(v, x,
                          reshape_target(v, v.r.onnx_shape(x), v.constant_ints(1, "shape"),
                                         v.attr_int("allowzero", 0) != 0));
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    const int x = v.runtime(0, "data");
    const auto axes = axes_of(v, 1);
    if (op == "Unsqueeze" && !axes) v.fail("has no axes");
    return map_reshape_to(v, x,
                          op == "Squeeze" ? squeeze_dims(v, v.r.onnx_shape(x), axes)
                                          : unsqueeze_dims(v, v.r.onnx_shape(x), *axes));
  }
  if (op == "Identity") {
    v.expect_inputs(1, 1);
    return v.set_output_tensor(v.runtime(0, "input"));
  }
  if (op == "Transpose") {
    const int x = v.runtime(0, "data");
    const std::size_t rank = v.r.onnx_shape(x).size();
    const std::vector<std::int64_t> perm =
        v.attr_ints("perm").value_or(std::vector<std::int64_t>{});
    for (std::size_t k = 0; k < perm.size(); ++k) {
      if (perm.size() != rank || perm[k] != static_cast<std::int64_t>(k)) {
        v.fail("perm " + values_text(perm) +
               " moves data of a computed tensor; tinyscale "
               "imports only transposes that keep the layout (identity permutations)");
      }
    }
    if (perm.empty() && rank > 1) v.fail("reverses the axes of a computed tensor");
    return v.set_output_tensor(x);
  }
  if (op == "Concat") return map_concat(v);
  if (op == "Resize") return map_resize(v);
  if (op == "Softmax") return map_softmax(v);
  if (op == "Split") return map_split(v);
  if (op == "Slice") return map_slice(v);
  const bool constant_only =
      op == "Shape" || op == "Gather" || op == "Cast" || op == "ConstantOfShape";
  if (constant_only) {
    v.fail("has an input computed at run time; tinyscale imports " + op +
           " only where it folds to a constant");
  }
  v.r.fail("node " + std::to_string(v.index) + " '" + v.name + "' is " + op +
           ", which tinyscale does not import; supported: " + kSupported);
}

// ---------------------------------------------------------------- model

void read_inputs(Reader& r, const onnx::GraphProto& g) {
  for (const onnx::ValueInfoProto& in : g.input()) {
    if (r.values.count(in.name())) continue;  // an initializer listed as input (IR < 4)
    const std::string what = "graph input '" + in.name() + "'";
    if (!in.type().has_tensor_type()) r.fail(what + " is not a tensor");
    const onnx::TypeProto::Tensor& t = in.type().tensor_type();
    if (t.elem_type() != onnx::TensorProto::FLOAT) {
      r.fail(what + " has " + data_type_name(t.elem_type()) + "; tinyscale imports float models");
    }
    if (!t.has_shape()) r.fail(what + " has no shape");
    google::protobuf::RepeatedField<std::int64_t> dims;
    for (const auto& d : t.shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 1) {
        r.fail(what + " has a symbolic or empty dimension ('" + d.dim_param() +
               "'); tinyscale imports static shapes (export with dynamic_axes=None)");
      }
      dims.Add(d.dim_value());
    }
    core::Shape shape = read_dims(r, what, dims, 4);
    if (shape.size() == 4) shape = {shape[0], shape[2], shape[3], shape[1]};
    r.values[in.name()] = Value{std::nullopt, r.graph.add_input(in.name(), shape)};
  }
}

core::Graph convert(const onnx::ModelProto& model, const std::string& origin) {
  Reader r;
  r.origin = origin;
  for (const onnx::OperatorSetIdProto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") r.opset = o.version();
  }
  if (r.opset < 7 || r.opset > 18) {
    r.fail("uses opset " + std::to_string(r.opset) +
           " of the default domain; tinyscale reads "
           "opsets 7..18 (torch.onnx.export writes 11..17)");
  }
  if (!model.has_graph()) r.fail("has no graph");
  const onnx::GraphProto& g = model.graph();
  if (g.sparse_initializer_size() > 0)
    r.fail("has sparse initializers, which tinyscale does not read");
  for (const onnx::TensorProto& t : g.initializer()) {
    r.values[t.name()] = Value{read_tensor_proto(r, t, "initializer '" + t.name() + "'"), -1};
  }
  read_inputs(r, g);
  if (r.graph.inputs.empty()) r.fail("has no graph input computed at run time");
  const HardSwishPattern hs = find_hard_swish(g);
  for (int n = 0; n < g.node_size(); ++n) {
    const onnx::NodeProto& node = g.node(n);
    std::string name = node.name();
    if (name.empty()) name = node.output_size() > 0 ? node.output(0) : "node_" + std::to_string(n);
    NodeView v{r, static_cast<std::size_t>(n), node, name};
    map_node(v, hs);
  }
  if (g.output_size() == 0) r.fail("has no graph output");
  for (const onnx::ValueInfoProto& out : g.output()) {
    const auto found = r.values.find(out.name());
    if (found == r.values.end()) r.fail("graph output '" + out.name() + "' is never computed");
    if (found->second.constant) {
      r.fail("graph output '" + out.name() + "' is a constant; tinyscale needs computed outputs");
    }
    r.graph.mark_output(found->second.tensor);
  }
  try {
    r.graph.validate();
  } catch (const Error& e) {
    r.fail(std::string("the imported graph is invalid: ") + e.what());
  }
  return std::move(r.graph);
}

}  // namespace

const char* onnx_supported_operators() { return kSupported; }

core::Graph read_onnx_buffer(std::span<const std::uint8_t> bytes, const std::string& origin) {
  if (bytes.size() > kMaxFileBytes) {
    throw Error(origin + ": " + std::to_string(bytes.size()) +
                " bytes is beyond protobuf's 2 GB limit");
  }
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(origin +
                ": is not an ONNX model (the bytes do not parse as an onnx.ModelProto; "
                "the file is corrupt, truncated or of another format)");
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw Error(origin + ": is not a valid ONNX model: " + e.what());
  }
  return convert(model, origin);
}

core::Graph read_onnx(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) throw Error(path + ": cannot open the file");
  const std::streamoff size = file.tellg();
  if (size < 0 || static_cast<std::uint64_t>(size) > kMaxFileBytes) {
    throw Error(path + ": cannot read the file's size, or it is beyond protobuf's 2 GB limit");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  file.seekg(0);
  if (!file.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw Error(path + ": cannot read the file");
  }
  return read_onnx_buffer(bytes, path);
}

}  // namespace tinyscale::exporter
