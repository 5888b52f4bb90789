#include "export/tflite_layout.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "core/error.h"
#include "export/quantizer.h"
#include "export/tflite_file.h"
#include "export/tflite_schema.h"
#include "export/tflite_writer.h"

namespace tinyscale::exporter {
namespace {

using detail::FileDescription;
using detail::FileOptions;
using detail::FileTensor;
using tflite::BuiltinOptions;

// The size of what flatbuffers::FlatBufferBuilder (2.0.x, flatbuffer_builder.h) builds,
// from the sequence of its calls alone. The builder writes downwards from the end of its
// buffer, so everything is a function of the bytes written so far (size_):
//   Align(n)          pads size_ to a multiple of n and raises the buffer's minimum
//                     alignment to n;
//   PreAlign(len, n)  pads so that size_ + len is a multiple of n (nothing when len is 0);
//   vectors           PreAlign(len·elem, 4), PreAlign(len·elem, elem), the elements, then
//                     the uint32 length (aligned to 4);
//   strings           PreAlign(len + 1, 4), the bytes and a NUL, the uint32 length;
//   tables            each field not equal to its default aligned to its size and pushed,
//                     in the order the generated Create* function adds them; then the
//                     int32 offset to the vtable; the vtable (uint16: its size, the table's
//                     size, each field's offset from the table start, 4 + 2·max field slot
//                     bytes) is written unless an identical vtable was written before;
//   Finish            PreAlign(root offset + identifier, minimum alignment), "TFL3", the
//                     root offset.
class SizeBuilder {
 public:
  std::int64_t size() const { return size_; }

  void align(std::int64_t n) {
    track(n);
    size_ += padding(size_, n);
  }
  void pre_align(std::int64_t len, std::int64_t n) {
    if (len == 0) return;
    track(n);
    size_ += padding(size_ + len, n);
  }
  // ForceVectorAlignment(len, 1, alignment) then CreateVector of `len` bytes.
  void aligned_bytes(std::int64_t len, std::int64_t alignment) {
    pre_align(len, alignment);
    vector(len, 1);
  }
  void vector(std::int64_t count, std::int64_t element) {
    const std::int64_t bytes = count * element;
    pre_align(bytes, 4);
    pre_align(bytes, element);
    size_ += bytes;
    push(4);
  }
  void string(std::int64_t length) {
    pre_align(length + 1, 4);
    size_ += length + 1;
    push(4);
  }

  void start_table() {
    start_ = size_;
    fields_ = 0;
    vtable_bytes_ = 4;
  }
  // A field at vtable slot offset `slot` (4, 6, ...) of `bytes` bytes (offsets: 4).
  void field(int slot, std::int64_t bytes) {
    push(bytes);
    slots_[fields_] = slot;
    at_[fields_] = size_;
    ++fields_;
    vtable_bytes_ = std::max(vtable_bytes_, slot + 2);  // kept as it goes: no re-reading
  }
  template <typename T>
  void field_unless(int slot, T value, T default_value) {
    if (!(value == default_value)) field(slot, sizeof(T));
  }
  void end_table() {
    push(4);
    const std::int64_t table = size_;
    const int vtable_bytes = vtable_bytes_;
    // The vtable's uint16 entries, four to a word (entry k at bits 16·(k % 4) of word k / 4),
    // composed in registers.
    Words vt{};
    set_entry(&vt, 0, vtable_bytes);
    set_entry(&vt, 1, table - start_);
    for (int i = 0; i < fields_; ++i) set_entry(&vt, slots_[i] / 2, table - at_[i]);
    if (remember(vt)) size_ += vtable_bytes;
  }

  void finish() {  // with a 4-byte file identifier
    pre_align(8, minalign_);
    size_ += 4;
    push(4);
  }

 private:
  static constexpr int kMaxSlots = 16;  // vtable entries; tflite's tables use at most 11
  using Words = std::array<std::uint64_t, kMaxSlots / 4>;  // a vtable's 16 uint16 entries

  // Adds `w` to the vtables written so far (an open-addressing hash set of their four words:
  // a file holds a few dozen distinct ones; an empty slot is all zeros, which no vtable is,
  // its first entry being at least 4); false if it was there.
  static void set_entry(Words* vt, int entry, std::int64_t value) {
    const int shift = 16 * (entry % 4);
    std::uint64_t& word = (*vt)[static_cast<std::size_t>(entry / 4)];
    word = (word & ~(std::uint64_t{0xFFFF} << shift)) |
           static_cast<std::uint64_t>(static_cast<std::uint16_t>(value)) << shift;
  }

  bool remember(const Words& w) {
    std::uint64_t h = w[0] * 0x9E3779B97F4A7C15ull ^ w[1] * 0xC2B2AE3D27D4EB4Full ^
                      w[2] * 0x165667B19E3779F9ull ^ w[3] * 0x27D4EB2F165667C5ull;
    h ^= h >> 29;
    if (2 * (count_ + 1) > table_.size()) grow();
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
      Words& slot = table_[i];
      if ((slot[0] | slot[1] | slot[2] | slot[3]) == 0) {
        slot = w;
        ++count_;
        return true;
      }
      if (slot[0] == w[0] && slot[1] == w[1] && slot[2] == w[2] && slot[3] == w[3]) return false;
    }
  }
  void grow() {
    std::vector<Words> old;
    old.swap(table_);
    const std::size_t capacity = std::max<std::size_t>(64, 2 * old.size());
    table_.assign(capacity, Words{});
    count_ = 0;
    for (const Words& w : old) {
      if ((w[0] | w[1] | w[2] | w[3]) != 0) remember(w);
    }
  }

  static std::int64_t padding(std::int64_t size, std::int64_t n) { return (-size) & (n - 1); }
  void track(std::int64_t n) { minalign_ = std::max(minalign_, n); }
  void push(std::int64_t bytes) {
    align(bytes);
    size_ += bytes;
  }

  std::int64_t size_ = 0;
  std::int64_t minalign_ = 1;
  std::int64_t start_ = 0;
  int fields_ = 0;
  int vtable_bytes_ = 4;
  std::array<int, kMaxSlots> slots_{};
  std::array<std::int64_t, kMaxSlots> at_{};
  std::vector<Words> table_;
  std::size_t count_ = 0;
};

// Field slots (VT_* of the generated schema) and sizes, in the order each Create* adds them.
void options_size(SizeBuilder& b, const FileOptions& o) {
  const auto padding = static_cast<std::int8_t>(o.padding);
  const auto fused = static_cast<std::int8_t>(o.fused);
  constexpr std::int8_t kZero8 = 0;
  switch (o.type) {
    case BuiltinOptions::Conv2DOptions:
      b.start_table();
      b.field_unless(14, o.dilation_h, 1);
      b.field_unless(12, o.dilation_w, 1);
      b.field_unless(8, o.stride_h, 0);
      b.field_unless(6, o.stride_w, 0);
      b.field_unless(10, fused, kZero8);
      b.field_unless(4, padding, kZero8);
      break;
    case BuiltinOptions::DepthwiseConv2DOptions:
      b.start_table();
      b.field_unless(16, o.dilation_h, 1);
      b.field_unless(14, o.dilation_w, 1);
      b.field_unless(10, o.depth_multiplier, 0);
      b.field_unless(8, o.stride_h, 0);
      b.field_unless(6, o.stride_w, 0);
      b.field_unless(12, fused, kZero8);
      b.field_unless(4, padding, kZero8);
      break;
    case BuiltinOptions::Pool2DOptions:
      b.start_table();
      b.field_unless(12, o.filter_h, 0);
      b.field_unless(10, o.filter_w, 0);
      b.field_unless(8, o.stride_h, 0);
      b.field_unless(6, o.stride_w, 0);
      b.field_unless(14, fused, kZero8);
      b.field_unless(4, padding, kZero8);
      break;
    case BuiltinOptions::FullyConnectedOptions:
      b.start_table();
      b.field_unless(8, o.keep_dims, false);
      b.field_unless(4, fused, kZero8);
      break;
    case BuiltinOptions::ReducerOptions:
      b.start_table();
      b.field_unless(4, o.keep_dims, false);
      break;
    case BuiltinOptions::ReshapeOptions:
      b.vector(static_cast<std::int64_t>(o.new_shape.size()), 4);
      b.start_table();
      b.field(4, 4);
      break;
    case BuiltinOptions::SoftmaxOptions:
      b.start_table();
      b.field_unless(4, o.beta, 0.0f);
      break;
    case BuiltinOptions::AddOptions:  // pot_scale_int16 keeps its default (true)
    case BuiltinOptions::MulOptions:
      b.start_table();
      b.field_unless(4, fused, kZero8);
      break;
    case BuiltinOptions::ConcatenationOptions:
      b.start_table();
      b.field_unless(4, o.axis, 0);
      b.field_unless(6, fused, kZero8);
      break;
    case BuiltinOptions::SplitOptions:
      b.start_table();
      b.field_unless(4, o.num_splits, 0);
      break;
    case BuiltinOptions::LeakyReluOptions:
      b.start_table();
      b.field_unless(4, o.alpha, 0.0f);
      break;
    case BuiltinOptions::ResizeNearestNeighborOptions:  // both flags false: defaults
    case BuiltinOptions::PadOptions:
    case BuiltinOptions::SliceOptions:
    case BuiltinOptions::HardSwishOptions:
    case BuiltinOptions::QuantizeOptions:
    case BuiltinOptions::DequantizeOptions:
      b.start_table();
      break;
    default:
      return;  // NONE: no table
  }
  b.end_table();
}

// The size of serialize(d) (tflite_writer.cpp), call for call.
std::int64_t file_size(const FileDescription& d) {
  SizeBuilder b;
  b.start_table();  // buffer 0
  b.end_table();
  std::int64_t buffers = 1;
  std::vector<bool> has_buffer(d.tensors.size(), false);
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    const FileTensor& t = d.tensors[i];
    if (!t.constant) continue;
    b.aligned_bytes(t.bytes, 16);
    b.start_table();
    b.field(4, 4);  // Buffer.data
    b.end_table();
    has_buffer[i] = true;
    ++buffers;
  }
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    const FileTensor& t = d.tensors[i];
    if (t.quantized()) {
      b.vector(static_cast<std::int64_t>(t.quantization->zero_points.size()), 8);
      b.vector(static_cast<std::int64_t>(t.quantization->scales.size()), 4);
      b.start_table();
      b.field_unless(16, t.quantized_dimension, 0);
      b.field(10, 4);  // zero_point
      b.field(8, 4);   // scale
      b.end_table();
    }
    b.string(static_cast<std::int64_t>(t.name.size()));
    b.vector(static_cast<std::int64_t>(t.shape.size()), 4);
    b.start_table();
    if (t.quantized()) b.field(12, 4);
    b.field(10, 4);                    // name
    if (has_buffer[i]) b.field(8, 4);  // buffer (index 0 is the default)
    b.field(4, 4);                     // shape
    b.field_unless(6, static_cast<std::int8_t>(t.type), std::int8_t{0});
    b.end_table();
  }
  for (const auto& [op, version] : d.codes) {
    const auto code = static_cast<std::int32_t>(op);
    b.start_table();
    b.field_unless(10, code, 0);
    b.field_unless(8, version, 1);
    b.field_unless(4, static_cast<std::int8_t>(std::min(code, 127)), std::int8_t{0});
    b.end_table();
  }
  for (std::size_t k = 0; k < d.operators.size(); ++k) {
    const detail::FileOperator& op = d.operators[k];
    options_size(b, op.options);
    b.vector(static_cast<std::int64_t>(op.inputs.size()), 4);
    b.vector(static_cast<std::int64_t>(op.outputs.size()), 4);
    const bool options = op.options.type != BuiltinOptions::NONE;
    b.start_table();
    if (options) b.field(12, 4);
    b.field(8, 4);  // outputs
    b.field(6, 4);  // inputs
    b.field_unless(4, d.code_of[k], 0u);
    b.field_unless(10, static_cast<std::uint8_t>(op.options.type), std::uint8_t{0});
    b.end_table();
  }
  b.string(4);  // "main"
  b.vector(static_cast<std::int64_t>(d.operators.size()), 4);
  b.vector(static_cast<std::int64_t>(d.outputs.size()), 4);
  b.vector(static_cast<std::int64_t>(d.inputs.size()), 4);
  b.vector(static_cast<std::int64_t>(d.tensors.size()), 4);
  b.start_table();
  for (const int slot : {12, 10, 8, 6, 4}) b.field(slot, 4);
  b.end_table();
  for (const detail::FileMetadata& m : d.metadata) {
    b.aligned_bytes(static_cast<std::int64_t>(m.bytes), 16);
    b.start_table();
    b.field(4, 4);  // Buffer.data
    b.end_table();
    b.string(static_cast<std::int64_t>(m.name.size()));
    b.start_table();
    b.field_unless(6, static_cast<std::uint32_t>(buffers), 0u);
    b.field(4, 4);  // name
    b.end_table();
    ++buffers;
  }
  if (!d.metadata.empty()) b.vector(static_cast<std::int64_t>(d.metadata.size()), 4);
  b.vector(buffers, 4);
  b.string(9);  // "tinyscale"
  b.vector(1, 4);
  b.vector(static_cast<std::int64_t>(d.codes.size()), 4);
  b.start_table();
  if (!d.metadata.empty()) b.field(16, 4);
  for (const int slot : {12, 10, 8, 6}) b.field(slot, 4);
  b.field(4, 4);  // version 3
  b.end_table();
  b.finish();
  return b.size();
}

engine::TfliteOptionsLayout options_layout(FileOptions&& o) {
  engine::TfliteOptionsLayout l;
  l.type = static_cast<int>(o.type);
  const auto set_conv = [&] {
    l.padding = static_cast<int>(o.padding);
    l.stride_w = o.stride_w;
    l.stride_h = o.stride_h;
    l.fused_activation = static_cast<int>(o.fused);
  };
  switch (o.type) {
    case BuiltinOptions::Conv2DOptions:
      set_conv();
      l.dilation_w = o.dilation_w;
      l.dilation_h = o.dilation_h;
      break;
    case BuiltinOptions::DepthwiseConv2DOptions:
      set_conv();
      l.dilation_w = o.dilation_w;
      l.dilation_h = o.dilation_h;
      l.depth_multiplier = o.depth_multiplier;
      break;
    case BuiltinOptions::Pool2DOptions:
      set_conv();
      l.filter_w = o.filter_w;
      l.filter_h = o.filter_h;
      break;
    case BuiltinOptions::FullyConnectedOptions:
      l.fused_activation = static_cast<int>(o.fused);
      l.keep_num_dims = o.keep_dims;
      break;
    case BuiltinOptions::ReducerOptions:
      l.keep_num_dims = o.keep_dims;
      break;
    case BuiltinOptions::ReshapeOptions:
      l.new_shape = std::move(o.new_shape);
      break;
    case BuiltinOptions::SoftmaxOptions:
      l.beta = o.beta;
      break;
    case BuiltinOptions::AddOptions:
    case BuiltinOptions::MulOptions:
      l.fused_activation = static_cast<int>(o.fused);
      break;
    case BuiltinOptions::ConcatenationOptions:
      l.axis = o.axis;
      l.fused_activation = static_cast<int>(o.fused);
      break;
    case BuiltinOptions::SplitOptions:
      l.num_splits = o.num_splits;
      break;
    case BuiltinOptions::LeakyReluOptions:
      l.alpha = o.alpha;
      break;
    default:
      break;
  }
  return l;
}

// The layout of a description, which it consumes (its vectors move into the layout).
engine::TfliteLayout layout_of(FileDescription&& d) {
  engine::TfliteLayout l;
  l.file_bytes = file_size(d);
  l.tensors.resize(d.tensors.size());
  int buffers = 1;
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    FileTensor& t = d.tensors[i];
    engine::TfliteTensorLayout& o = l.tensors[i];
    o.type = static_cast<int>(t.type);
    o.shape = std::move(t.shape);
    o.constant = t.constant && t.bytes > 0;
    if (t.constant) ++buffers;
    if (t.quantized()) {
      o.quantized = true;
      o.scales = static_cast<int>(t.quantization->scales.size());
      o.zero_points = static_cast<int>(t.quantization->zero_points.size());
      o.quantized_dimension = t.quantized_dimension;
    }
  }
  l.operators.resize(d.operators.size());
  for (std::size_t k = 0; k < d.operators.size(); ++k) {
    detail::FileOperator& op = d.operators[k];
    engine::TfliteOperatorLayout& o = l.operators[k];
    o.builtin = static_cast<int>(op.op);
    o.version = d.codes[d.code_of[k]].second;
    o.inputs = std::move(op.inputs);
    o.outputs = std::move(op.outputs);
    o.options = options_layout(std::move(op.options));
  }
  l.inputs = std::move(d.inputs);
  l.outputs = std::move(d.outputs);
  l.buffers = buffers + static_cast<int>(d.metadata.size());
  l.operator_codes = static_cast<int>(d.codes.size());
  for (const detail::FileMetadata& m : d.metadata) l.metadata_names.emplace_back(m.name);
  return l;
}

// The options a file's operator holds, as options_layout reports them for the writer's.
engine::TfliteOptionsLayout read_options(const tflite::Operator& op) {
  engine::TfliteOptionsLayout l;
  l.type = static_cast<int>(op.builtin_options_type());
  if (op.builtin_options() == nullptr) return l;
  const auto conv_like = [&l](const auto* o) {
    l.padding = static_cast<int>(o->padding());
    l.stride_w = o->stride_w();
    l.stride_h = o->stride_h();
    l.fused_activation = static_cast<int>(o->fused_activation_function());
  };
  switch (op.builtin_options_type()) {
    case BuiltinOptions::Conv2DOptions: {
      const auto* o = op.builtin_options_as_Conv2DOptions();
      conv_like(o);
      l.dilation_w = o->dilation_w_factor();
      l.dilation_h = o->dilation_h_factor();
      break;
    }
    case BuiltinOptions::DepthwiseConv2DOptions: {
      const auto* o = op.builtin_options_as_DepthwiseConv2DOptions();
      conv_like(o);
      l.dilation_w = o->dilation_w_factor();
      l.dilation_h = o->dilation_h_factor();
      l.depth_multiplier = o->depth_multiplier();
      break;
    }
    case BuiltinOptions::Pool2DOptions: {
      const auto* o = op.builtin_options_as_Pool2DOptions();
      conv_like(o);
      l.filter_w = o->filter_width();
      l.filter_h = o->filter_height();
      break;
    }
    case BuiltinOptions::FullyConnectedOptions: {
      const auto* o = op.builtin_options_as_FullyConnectedOptions();
      l.fused_activation = static_cast<int>(o->fused_activation_function());
      l.weights_format = static_cast<int>(o->weights_format());
      l.keep_num_dims = o->keep_num_dims();
      break;
    }
    case BuiltinOptions::ReducerOptions:
      l.keep_num_dims = op.builtin_options_as_ReducerOptions()->keep_dims();
      break;
    case BuiltinOptions::ReshapeOptions: {
      const auto* shape = op.builtin_options_as_ReshapeOptions()->new_shape();
      if (shape != nullptr) l.new_shape.assign(shape->begin(), shape->end());
      break;
    }
    case BuiltinOptions::SoftmaxOptions:
      l.beta = op.builtin_options_as_SoftmaxOptions()->beta();
      break;
    case BuiltinOptions::AddOptions:
      l.fused_activation =
          static_cast<int>(op.builtin_options_as_AddOptions()->fused_activation_function());
      break;
    case BuiltinOptions::MulOptions:
      l.fused_activation =
          static_cast<int>(op.builtin_options_as_MulOptions()->fused_activation_function());
      break;
    case BuiltinOptions::ConcatenationOptions: {
      const auto* o = op.builtin_options_as_ConcatenationOptions();
      l.axis = o->axis();
      l.fused_activation = static_cast<int>(o->fused_activation_function());
      break;
    }
    case BuiltinOptions::SplitOptions:
      l.num_splits = op.builtin_options_as_SplitOptions()->num_splits();
      break;
    case BuiltinOptions::LeakyReluOptions:
      l.alpha = op.builtin_options_as_LeakyReluOptions()->alpha();
      break;
    case BuiltinOptions::ResizeNearestNeighborOptions: {
      const auto* o = op.builtin_options_as_ResizeNearestNeighborOptions();
      l.align_corners = o->align_corners();
      l.half_pixel_centers = o->half_pixel_centers();
      break;
    }
    default:
      break;
  }
  return l;
}

std::vector<std::int32_t> read_ids(const flatbuffers::Vector<std::int32_t>* ids, std::int64_t count,
                                   bool optional, const std::string& where,
                                   const std::string& what) {
  std::vector<std::int32_t> out;
  if (ids == nullptr) return out;
  out.reserve(ids->size());
  for (const std::int32_t id : *ids) {
    if ((id < 0 && !(optional && id == -1)) || id >= count) {
      throw Error(where + ": " + what + " names tensor " + std::to_string(id) + " of " +
                  std::to_string(count));
    }
    out.push_back(id);
  }
  return out;
}

// A float graph (to be quantized) rather than an int8 one, whose float32 activations can
// only be a QUANTIZE node's input or a DEQUANTIZE node's output (float I/O).
bool has_float_activations(const core::Graph& graph) {
  const auto is_float = [&](int id) {
    const core::Tensor& t = graph.tensor(id);
    return !t.is_constant && t.dtype == core::DType::float32;
  };
  for (const core::Node& n : graph.nodes) {
    if (n.op != core::OpType::quantize) {
      for (const int id : n.inputs) {
        if (is_float(id)) return true;
      }
    }
    if (n.op != core::OpType::dequantize) {
      for (const int id : n.outputs) {
        if (is_float(id)) return true;
      }
    }
  }
  return false;
}

}  // namespace

engine::TfliteLayout tflite_layout(const core::Graph& graph, bool float_io) {
  if (!has_float_activations(graph)) {
    return layout_of(detail::describe_tflite(graph, false, /*validate=*/true));
  }
  // quantize_layout lowers a valid graph into a valid one: no second validation.
  const core::Graph int8 = quantize_layout(graph, float_io);
  return layout_of(detail::describe_tflite(int8, false, /*validate=*/false));
}

engine::TfliteLayout tflite_layout_moved(core::Graph&& graph, bool float_io) {
  if (!has_float_activations(graph)) {
    return layout_of(detail::describe_tflite(graph, false, /*validate=*/true));
  }
  const core::Graph int8 = quantize_layout(std::move(graph), float_io);
  return layout_of(detail::describe_tflite(int8, false, /*validate=*/false));
}

std::int64_t tflite_file_bytes(const core::Graph& graph) { return tflite_layout(graph).file_bytes; }

engine::TfliteLayout read_tflite_layout(std::span<const std::uint8_t> bytes,
                                        const std::string& where) {
  if (bytes.size() < 8) {
    throw Error(where + ": " + std::to_string(bytes.size()) +
                " bytes is too short for a TFLite flatbuffer");
  }
  if (bytes.size() >= (std::uint64_t{1} << 31)) {
    throw Error(where + ": larger than 2 GB; not a flatbuffer");
  }
  if (std::memcmp(bytes.data() + 4, tflite::ModelIdentifier(), 4) != 0) {
    throw Error(where + ": not a TFLite model: the file identifier is not 'TFL3'");
  }
  // The accessors load scalars in place: an 8-byte aligned copy keeps them aligned.
  std::vector<std::uint64_t> storage((bytes.size() + 7) / 8);
  std::memcpy(storage.data(), bytes.data(), bytes.size());
  const auto* data = reinterpret_cast<const std::uint8_t*>(storage.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!tflite::VerifyModelBuffer(verifier)) {
    throw Error(where +
                ": corrupt TFLite file: the flatbuffer fails verification (truncated or "
                "damaged)");
  }
  const tflite::Model* model = tflite::GetModel(data);
  if (model->subgraphs() == nullptr || model->subgraphs()->size() == 0) {
    throw Error(where + ": the model has no subgraph");
  }
  const tflite::SubGraph* sg = model->subgraphs()->Get(0);
  const auto* buffers = model->buffers();
  const std::int64_t buffer_count = buffers == nullptr ? 0 : buffers->size();
  const auto* codes = model->operator_codes();
  const std::int64_t code_count = codes == nullptr ? 0 : codes->size();

  engine::TfliteLayout l;
  l.subgraphs = static_cast<int>(model->subgraphs()->size());
  l.buffers = static_cast<int>(buffer_count);
  l.operator_codes = static_cast<int>(code_count);
  l.file_bytes = static_cast<std::int64_t>(bytes.size());
  const std::int64_t tensor_count = sg->tensors() == nullptr ? 0 : sg->tensors()->size();
  l.tensors.resize(static_cast<std::size_t>(tensor_count));
  for (std::int64_t i = 0; i < tensor_count; ++i) {
    const tflite::Tensor* t = sg->tensors()->Get(static_cast<flatbuffers::uoffset_t>(i));
    engine::TfliteTensorLayout& o = l.tensors[static_cast<std::size_t>(i)];
    o.type = static_cast<int>(t->type());
    o.has_shape = t->shape() != nullptr;
    if (o.has_shape) o.shape.assign(t->shape()->begin(), t->shape()->end());
    o.variable = t->is_variable();
    if (t->buffer() >= buffer_count && !(t->buffer() == 0 && buffer_count == 0)) {
      throw Error(where + ": tensor " + std::to_string(i) + " names buffer " +
                  std::to_string(t->buffer()) + " of " + std::to_string(buffer_count));
    }
    if (t->buffer() != 0) {
      const tflite::Buffer* b = buffers->Get(t->buffer());
      o.constant = (b->data() != nullptr && b->data()->size() > 0) || b->size() > 0;
    }
    if (const tflite::QuantizationParameters* q = t->quantization()) {
      o.quantized = true;
      o.scales = q->scale() == nullptr ? 0 : static_cast<int>(q->scale()->size());
      o.zero_points = q->zero_point() == nullptr ? 0 : static_cast<int>(q->zero_point()->size());
      o.quantized_dimension = q->quantized_dimension();
    }
  }
  const std::int64_t operator_count = sg->operators() == nullptr ? 0 : sg->operators()->size();
  l.operators.resize(static_cast<std::size_t>(operator_count));
  for (std::int64_t k = 0; k < operator_count; ++k) {
    const tflite::Operator* op = sg->operators()->Get(static_cast<flatbuffers::uoffset_t>(k));
    engine::TfliteOperatorLayout& o = l.operators[static_cast<std::size_t>(k)];
    const std::string what = "operator " + std::to_string(k);
    if (op->opcode_index() >= code_count) {
      throw Error(where + ": " + what + " names operator code " +
                  std::to_string(op->opcode_index()) + " of " + std::to_string(code_count));
    }
    const tflite::OperatorCode* code = codes->Get(op->opcode_index());
    // TFLite's rule: the larger of builtin_code and the deprecated int8 code.
    o.builtin = std::max(static_cast<int>(code->builtin_code()),
                         static_cast<int>(code->deprecated_builtin_code()));
    o.version = code->version();
    o.inputs = read_ids(op->inputs(), tensor_count, true, where, what + "'s inputs");
    o.outputs = read_ids(op->outputs(), tensor_count, false, where, what + "'s outputs");
    o.intermediates =
        read_ids(op->intermediates(), tensor_count, false, where, what + "'s intermediates");
    o.options = read_options(*op);
  }
  l.inputs = read_ids(sg->inputs(), tensor_count, false, where, "the subgraph's inputs");
  l.outputs = read_ids(sg->outputs(), tensor_count, false, where, "the subgraph's outputs");
  if (model->metadata() != nullptr) {
    for (const tflite::Metadata* m : *model->metadata()) {
      l.metadata_names.emplace_back(m->name() == nullptr ? "" : m->name()->str());
    }
  }
  return l;
}

}  // namespace tinyscale::exporter
