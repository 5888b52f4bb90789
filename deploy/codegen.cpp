#include "deploy/codegen.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/ops.h"
#include "core/patch.h"
#include "deploy/device_sources.h"
#include "deploy/emit.h"
#include "engine/mul_fusion.h"
#include "export/quantizer.h"

#ifndef TINYSCALE_VERSION
#define TINYSCALE_VERSION "unknown"
#endif

namespace tinyscale::deploy {
namespace fs = std::filesystem;

const char* tinyscale_version() { return TINYSCALE_VERSION; }

const char* target_name(Target target) {
  switch (target) {
    case Target::host:
      return "host";
    case Target::cortex_m4:
      return "cortex-m4";
    case Target::cortex_m7:
      return "cortex-m7";
    case Target::cortex_m33:
      return "cortex-m33";
    case Target::cortex_m3:
      return "cortex-m3";
    case Target::cortex_m0plus:
      return "cortex-m0plus";
  }
  return "?";
}

Target parse_target(const std::string& name) {
  for (Target t : {Target::host, Target::cortex_m4, Target::cortex_m7, Target::cortex_m33,
                   Target::cortex_m3, Target::cortex_m0plus}) {
    if (name == target_name(t)) return t;
  }
  throw Error("unknown target '" + name +
              "'; expected host, cortex-m4, cortex-m7, cortex-m33, cortex-m3 or cortex-m0plus");
}

std::string sanitize_identifier(const std::string& name) {
  std::string out;
  bool gap = false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_') {
      if (gap && !out.empty() && out.back() != '_') out += '_';
      gap = false;
      out += static_cast<char>(std::tolower(u));
    } else {
      gap = true;
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty()) return "x";
  if (std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
  return out;
}

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string float_literal(float v) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(v));
  std::string s = buffer;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  if (s == "inf" || s == "-inf" || s == "nan") throw Error("non-finite constant " + s);
  return s + "f";
}

std::string int_literal(std::int64_t v) {
  // INT32_MIN has no literal of its own in C.
  if (v == -2147483648LL) return "(-2147483647 - 1)";
  return std::to_string(v);
}

// Values of a typed array, 16 per line (12 for wide types), indented by two.
template <typename T>
std::string array_body(const void* data, std::int64_t count) {
  std::string out;
  const int per_line = sizeof(T) == 1 ? 16 : 8;
  for (std::int64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v,
                static_cast<const std::uint8_t*>(data) + i * static_cast<std::int64_t>(sizeof(T)),
                sizeof v);
    if (i % per_line == 0) out += "\n   ";
    out += ' ';
    if constexpr (std::is_same_v<T, float>) {
      out += float_literal(v);
    } else {
      out += int_literal(static_cast<std::int64_t>(v));
    }
    out += ',';
  }
  return out + "\n";
}

std::int64_t type_size(const std::string& type) {
  if (type == "int8_t" || type == "uint8_t") return 1;
  if (type == "int16_t" || type == "uint16_t") return 2;
  if (type == "int32_t" || type == "uint32_t" || type == "float") return 4;
  throw Error("deploy: no C array type '" + type + "'");
}

const char* c_type(core::DType dtype) {
  switch (dtype) {
    case core::DType::int8:
      return "int8_t";
    case core::DType::int32:
      return "int32_t";
    case core::DType::float32:
      return "float";
    default:
      break;
  }
  throw Error(std::string("deploy: no C type for dtype ") + core::dtype_name(dtype));
}

// The single-region arena offset of tensor `id`, or -1.
std::int64_t tensor_offset(const engine::CompiledModel& model, int id) {
  const auto& offsets = model.arena_plan().tensor_offsets;
  return id >= 0 && static_cast<std::size_t>(id) < offsets.size()
             ? offsets[static_cast<std::size_t>(id)]
             : -1;
}

}  // namespace

// ---- NodeEmitContext

std::string NodeEmitContext::unique_name(const std::string& suffix) {
  std::string base = layer_ + "_" + suffix, name = base;
  for (int k = 2; std::find(used_names_->begin(), used_names_->end(), name) != used_names_->end();
       ++k) {
    name = base + "_" + std::to_string(k);
  }
  used_names_->push_back(name);
  return name;
}

std::string NodeEmitContext::arena_input(int k) const {
  const int id = node().inputs[static_cast<std::size_t>(k)];
  const std::int64_t offset = tensor_offset(model_, id);
  if (offset < 0) {
    throw Error("deploy: node " + std::to_string(node_) + " '" + node().name + "': input " +
                std::to_string(k) + " is not in the arena");
  }
  return "arena + " + std::to_string(offset);
}

std::string NodeEmitContext::arena_output(int k) const {
  const int id = node().outputs[static_cast<std::size_t>(k)];
  const std::int64_t offset = tensor_offset(model_, id);
  if (offset < 0) {
    throw Error("deploy: node " + std::to_string(node_) + " '" + node().name + "': output " +
                std::to_string(k) + " is not in the arena");
  }
  return "arena + " + std::to_string(offset);
}

std::string NodeEmitContext::arena_tensor(int id) const {
  const std::int64_t offset = tensor_offset(model_, id);
  if (offset < 0) {
    throw Error("deploy: node " + std::to_string(node_) + " '" + node().name + "': tensor " +
                std::to_string(id) + " is not in the arena");
  }
  return "arena + " + std::to_string(offset);
}

std::string NodeEmitContext::arena_pointer_table(const std::string& suffix, bool outputs,
                                                 const std::vector<int>& ks) {
  const std::string name = unique_name(suffix);
  std::string body;
  for (const int k : ks) {
    const std::string at = outputs ? arena_output(k) : arena_input(k);  // "arena + N"
    body += "\n    " + arena_symbol + at.substr(5) + ",";
  }
  ConstDefinition d;
  d.text = std::string("static ") + (outputs ? "int8_t* const " : "const int8_t* const ") + name +
           "[" + std::to_string(std::max<std::size_t>(ks.size(), 1)) + "] = {" + body + "\n};\n";
  d.bytes = static_cast<std::int64_t>(ks.size()) * 4;  // 32-bit pointers on the device
  definitions_->push_back(std::move(d));
  return name;
}

std::int64_t NodeEmitContext::scratch_offset() const {
  const engine::ArenaPlan& plan = model_.arena_plan();
  for (std::size_t i = 0; i < plan.buffers.node.size(); ++i) {
    if (plan.buffers.node[i] == node_) return plan.plan.offsets[i];
  }
  return -1;
}

std::string NodeEmitContext::scratch() const {
  const std::int64_t offset = scratch_offset();
  return offset < 0 ? "nullptr" : "arena + " + std::to_string(offset);
}

std::string NodeEmitContext::array(const char* type, const std::string& suffix, const void* data,
                                   std::int64_t count) {
  const std::string t = type;
  std::string shared_key;
  if (patch_arrays != nullptr && count > 0 && data != nullptr) {
    const std::string copy_of = core::patch_copy_of(node().name);
    if (!copy_of.empty()) {
      shared_key = copy_of + '\0' + suffix + '\0' + t + '\0' +
                   std::string(static_cast<const char*>(data),
                               static_cast<std::size_t>(count * type_size(t)));
      if (auto it = patch_arrays->find(shared_key); it != patch_arrays->end()) return it->second;
    }
  }
  const std::string name = unique_name(suffix);
  if (!shared_key.empty()) (*patch_arrays)[shared_key] = name;
  std::string body;
  if (!array_values)
    body = "\n";
  else if (t == "int8_t")
    body = array_body<std::int8_t>(data, count);
  else if (t == "uint8_t")
    body = array_body<std::uint8_t>(data, count);
  else if (t == "int16_t")
    body = array_body<std::int16_t>(data, count);
  else if (t == "uint16_t")
    body = array_body<std::uint16_t>(data, count);
  else if (t == "int32_t")
    body = array_body<std::int32_t>(data, count);
  else if (t == "uint32_t")
    body = array_body<std::uint32_t>(data, count);
  else if (t == "float")
    body = array_body<float>(data, count);
  else
    throw Error("deploy: no C array type '" + t + "'");
  ConstDefinition d;
  // An empty array is not valid C++; one element keeps the name usable (count says 0).
  if (count == 0) body = "\n    0,\n";
  d.text = "alignas(4) static const " + t + " " + name + "[" +
           std::to_string(std::max<std::int64_t>(count, 1)) + "] = {" + body + "};\n";
  d.bytes = std::max<std::int64_t>(count, 1) * type_size(t);
  definitions_->push_back(std::move(d));
  return name;
}

std::string NodeEmitContext::constant_input(int k, const std::string& suffix) {
  const int id = node().inputs[static_cast<std::size_t>(k)];
  if (auto it = constant_names_->find(id); it != constant_names_->end()) return it->second;
  const core::Tensor& t = graph_.tensor(id);
  if (!t.is_constant || !t.has_data()) {
    throw Error("deploy: node " + std::to_string(node_) + " '" + node().name + "': input " +
                std::to_string(k) + " '" + t.name + "' is not a constant with data");
  }
  const std::string name =
      array(c_type(t.dtype), suffix, t.data.data(),
            static_cast<std::int64_t>(t.data.size()) / core::dtype_size(t.dtype));
  (*constant_names_)[id] = name;
  return name;
}

std::string NodeEmitContext::params(const std::string& type, const std::string& suffix,
                                    const std::string& initializer, std::int64_t device_bytes) {
  const std::string name = unique_name(suffix);
  ConstDefinition d;
  d.text = "static const tinyscale::device::" + type + " " + name + " = " + initializer + ";\n";
  d.bytes = device_bytes;
  d.is_params = true;
  definitions_->push_back(std::move(d));
  return name;
}

// ---- the package

namespace {

struct Files {
  std::vector<std::pair<std::string, std::string>> files;  // relative path, contents
  void add(std::string path, std::string text) {
    files.emplace_back(std::move(path), std::move(text));
  }
};

std::string shape_list(const core::Shape& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s;
}

std::string opening_comment(const GenerateOptions& options, const std::string& what,
                            const char* open, const char* line, const char* close) {
  std::string s = std::string(open) + what + "\n";
  s += std::string(line) + "Generated by tinyscale " + tinyscale_version() + " for " +
       target_name(options.target) + "; do not edit.\n";
  if (!options.command_line.empty())
    s += std::string(line) + "Command: " + options.command_line + "\n";
  return s + close;
}

struct IoTensor {
  int id;
  const core::Tensor* tensor;
  std::int64_t offset;
  std::int64_t bytes;
};

std::string io_info_entry(const IoTensor& io) {
  const core::Tensor& t = *io.tensor;
  std::string shape = "{" + shape_list(t.shape) + "}";
  const float scale = t.quantization.scales.empty() ? 0.0f : t.quantization.scales[0];
  const std::int64_t zp = t.quantization.zero_points.empty() ? 0 : t.quantization.zero_points[0];
  std::string name;
  for (const char c : t.name) {
    if (c == '"' || c == '\\') name += '\\';
    if (static_cast<unsigned char>(c) >= 32) name += c;
  }
  return "    {\"" + name + "\", arena + " + std::to_string(io.offset) + ", " +
         std::to_string(io.bytes) + ", " + std::to_string(t.shape.size()) + ", " + shape + ", " +
         std::to_string(core::dtype_size(t.dtype)) + ", " + float_literal(scale) + ", " +
         int_literal(zp) + "},\n";
}

// Device sources: the op's .h/.cpp and every device header they include, includes rewritten
// from "engine/kernels/device/x.h" to "x.h" (the package keeps them flat in kernels/).
void collect_sources(const std::string& file, std::map<std::string, std::string>* out) {
  if (out->count(file)) return;
  for (const DeviceSource& s : device_sources()) {
    if (s.file != file) continue;
    std::string text(s.text);
    (*out)[file] = "";  // mark before recursing
    static const std::string kPrefix = "#include \"engine/kernels/device/";
    std::string rewritten;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(kPrefix, 0) == 0) {
        const std::string rest = line.substr(kPrefix.size());
        const std::string included = rest.substr(0, rest.find('"'));
        collect_sources(included, out);
        line = "#include \"" + rest;
      } else if (line.rfind("#include \"", 0) == 0) {
        throw Error("deploy: device source " + file + " includes " + line.substr(9) +
                    ", which is not a device source");
      }
      rewritten += line + "\n";
    }
    (*out)[file] = rewritten;
    return;
  }
  throw Error("deploy: device source '" + file + "' is not compiled into this tinyscale");
}

// Cortex-M4, M7 and M33 have the DSP extension (SMLAD, SXTB16, ...): their packages take the
// fast kernels (issue 16). So does the host, where the kernels' portable twins of those
// instructions run the same loops (the host package tests check them on whole models).
// The Cortex-M3 and M0+ have no DSP extension: they keep the reference kernels.
bool target_takes_fast_kernels(Target target) {
  switch (target) {
    case Target::host:
    case Target::cortex_m4:
    case Target::cortex_m7:
    case Target::cortex_m33:
      return true;
    case Target::cortex_m3:
    case Target::cortex_m0plus:
      return false;
  }
  return false;
}

std::string target_flags(Target target) {
  switch (target) {
    case Target::host:
      return "";
    case Target::cortex_m4:
      return "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16";
    case Target::cortex_m7:
      return "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16";
    case Target::cortex_m33:
      return "-mcpu=cortex-m33 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16";
    case Target::cortex_m3:
      return "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft";
    case Target::cortex_m0plus:
      return "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft";
  }
  return "";
}

// The node's op_data, prepared exactly as engine::CompiledModel::compile prepares it (the
// engine keeps its copy private): it begins with the node's device params struct.
std::vector<std::max_align_t> prepare_node(const core::Graph& graph, std::size_t n,
                                           const engine::KernelInfo& kernel,
                                           std::int64_t* scratch_bytes) {
  const core::Node& node = graph.nodes[n];
  std::vector<engine::TensorRef> io;
  auto ref = [&](int id) {
    const core::Tensor& t = graph.tensor(id);
    engine::TensorRef r;
    r.tensor = &t;
    if (t.is_constant) r.data = const_cast<std::uint8_t*>(t.data.data());
    io.push_back(r);
  };
  for (int id : node.inputs) ref(id);
  for (int id : node.outputs) ref(id);
  const std::size_t bytes = engine::op_data_bytes(kernel, graph, node);
  std::vector<std::max_align_t> op_data(
      (bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t) + 1, std::max_align_t{});
  char message[256] = "";
  engine::NodeContext ctx;
  ctx.graph = &graph;
  ctx.node = &node;
  ctx.inputs = io.data();
  ctx.num_inputs = static_cast<int>(node.inputs.size());
  ctx.outputs = io.data() + node.inputs.size();
  ctx.num_outputs = static_cast<int>(node.outputs.size());
  ctx.op_data = op_data.data();
  ctx.error = message;
  ctx.error_size = sizeof message;
  *scratch_bytes = 0;
  if (kernel.prepare(ctx, scratch_bytes) != engine::Status::ok) {
    throw Error("deploy: node " + std::to_string(n) + " '" + node.name + "': " + message);
  }
  return op_data;
}

// "functional_1/" when most nodes' names start with it (a Keras model's root), else "".
std::string common_path_prefix(const core::Graph& graph) {
  std::map<std::string, std::size_t> count;
  for (const core::Node& node : graph.nodes) {
    if (const auto slash = node.name.find('/'); slash != std::string::npos) {
      ++count[node.name.substr(0, slash + 1)];
    }
  }
  for (const auto& [prefix, n] : count) {
    if (2 * n > graph.nodes.size()) return prefix;
  }
  return "";
}

// The C name of node n's constants: its layer name (micromind's module path, a .tflite
// tensor name) without the common root of most names, or "<op>_<n>" where that name is empty,
// a TFLite converter's ';'-joined list of fused tensors, or too long to read.
std::string layer_identifier(const core::Graph& graph, std::size_t n, const std::string& prefix) {
  const core::Node& node = graph.nodes[n];
  const std::string fallback = std::string(core::op_name(node.op)) + "_" + std::to_string(n);
  if (node.name.empty() || node.name.find(';') != std::string::npos) return fallback;
  const bool has_prefix = !prefix.empty() && node.name.rfind(prefix, 0) == 0;
  const std::string id = sanitize_identifier(node.name.substr(has_prefix ? prefix.size() : 0));
  return id.size() > 40 ? fallback : id;
}

const engine::KernelInfo* node_kernel(const core::Graph& graph, const core::Node& node) {
  return node.inputs.empty() ? nullptr
                             : engine::find_kernel(node.op, graph.tensor(node.inputs[0]).dtype);
}

}  // namespace

namespace {

// The package of generate_package; with output_dir null, only its summary's figures (name,
// arena, model data, kernels), returned before any file text is made.
PackageSummary generate(const engine::CompiledModel& model, const core::Graph& graph,
                        const GenerateOptions& options, const fs::path* output_dir_or_null) {
  if (&model.graph() != &graph) {
    throw Error("deploy: the graph is not the one the model was compiled from");
  }
  const engine::ArenaPlan& plan = model.arena_plan();
  if (plan.region_peak_bytes.size() > 1) {
    throw Error("deploy: the model was compiled over " +
                std::to_string(plan.region_peak_bytes.size()) +
                " memory regions; the generated code has one arena");
  }
  PackageSummary summary;
  summary.name = sanitize_identifier(options.name);
  const std::string& name = summary.name;
  const std::string NAME = upper(name);

  // 1. Every node must have a device kernel: refuse before generating anything.
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    for (int id : node.inputs) {
      const core::Tensor& t = graph.tensor(id);
      // Float only where a float-I/O model converts at its edges (quantize's input).
      const bool float_edge = node.op == core::OpType::quantize && t.dtype == core::DType::float32;
      if (!t.is_constant && t.dtype != core::DType::int8 && !float_edge) {
        throw Error(std::string("deploy: node ") + std::to_string(n) + " '" + node.name + "' (" +
                    core::op_name(node.op) + ") reads " + core::dtype_name(t.dtype) + " tensor '" +
                    t.name + "'; the device kernels run int8 models only");
      }
    }
    const engine::KernelInfo* kernel = node_kernel(graph, node);
    if (!kernel || !kernel->device_function || !find_emitter(node.op)) {
      throw Error(std::string("deploy: op ") + core::op_name(node.op) + " (node " +
                  std::to_string(n) + " '" + node.name + "') has no device kernel yet");
    }
  }

  // 2. The nodes' calls and const data.
  const std::string common_prefix = common_path_prefix(graph);
  std::map<int, std::string> constant_names;
  std::map<std::string, std::string> patch_arrays;
  std::vector<ConstDefinition> definitions;
  std::vector<std::string> used_names = {"arena"};
  std::set<std::string> kernel_stems;
  std::string invoke;
  // An activation fused into its convolution (engine/activation_fusion.h) has no call: the
  // convolution's params carry its table.
  const engine::ActivationFusion& fusion = model.activation_fusion();
  // A multiply fused into a pointwise convolution (engine/mul_fusion.h) has no call either,
  // on a target with the fast pointwise kernel and where the fusion pays
  // (engine::multiply_fusion_pays): the convolution forms the products as it takes each pixel.
  const bool fast_kernels = target_takes_fast_kernels(options.target);
  std::vector<int> multiply_of(graph.nodes.size(), -1);  // per convolution
  std::map<int, std::vector<std::max_align_t>> multiply_params;
  for (std::size_t m = 0; fast_kernels && m < model.fused_multiply_into().size(); ++m) {
    const int c = model.fused_multiply_into()[m];
    if (c < 0 || !engine::multiply_fusion_pays(graph, {static_cast<int>(m), c})) continue;
    std::int64_t unused = 0;
    multiply_of[static_cast<std::size_t>(c)] = static_cast<int>(m);
    multiply_params[static_cast<int>(m)] =
        prepare_node(graph, m, *node_kernel(graph, graph.nodes[m]), &unused);
  }
  summary.fused_multiply_into.assign(graph.nodes.size(), -1);
  for (std::size_t c = 0; c < multiply_of.size(); ++c) {
    if (multiply_of[c] >= 0) {
      summary.fused_multiply_into[static_cast<std::size_t>(multiply_of[c])] = static_cast<int>(c);
    }
  }
  int calls = 0;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    if (const int conv = fusion.fused_into[n]; conv >= 0) {
      invoke += "  // node " + std::to_string(n) + ": " + core::op_name(node.op) + " '" +
                node.name + "' runs in node " + std::to_string(conv) + "'s output stage\n";
      continue;
    }
    if (multiply_params.count(static_cast<int>(n)) != 0) {
      invoke += "  // node " + std::to_string(n) + ": " + core::op_name(node.op) + " '" +
                node.name + "' runs in node " + std::to_string(model.fused_multiply_into()[n]) +
                "'s input\n";
      continue;
    }
    ++calls;
    const std::string layer = layer_identifier(graph, n, common_prefix);
    std::int64_t scratch_bytes = 0;
    const std::vector<std::max_align_t> op_data =
        prepare_node(graph, n, *node_kernel(graph, node), &scratch_bytes);
    NodeEmitContext ctx(model, graph, static_cast<int>(n), layer, &constant_names, &definitions,
                        &used_names, op_data.data());
    ctx.arena_symbol = name + "_arena";
    ctx.array_values = output_dir_or_null != nullptr;
    ctx.patch_arrays = &patch_arrays;
    ctx.fast_kernels = fast_kernels;
    ctx.assume_usual_requantization = options.assume_usual_requantization;
    if (const int m = multiply_of[n]; m >= 0) {
      ctx.fused_multiply = m;
      ctx.fused_multiply_params = multiply_params[m].data();
    }
    if (scratch_bytes > 0 && ctx.scratch_offset() < 0) {
      throw Error("deploy: node " + std::to_string(n) + " '" + node.name +
                  "' needs scratch the arena plan does not hold");
    }
    const std::size_t first_definition = definitions.size();
    const std::string call = find_emitter(node.op)(ctx);
    for (const std::string& k : ctx.kernels) kernel_stems.insert(k);
    std::string shapes;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const core::Tensor& t = graph.tensor(node.inputs[i]);
      if (!t.is_constant) shapes += (shapes.empty() ? "[" : " + [") + shape_list(t.shape) + "]";
    }
    shapes += " -> ";
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      shapes += (i ? " + [" : "[") + shape_list(graph.tensor(node.outputs[i]).shape) + "]";
    }
    // An element-wise node the plan runs in place writes over its input's bytes.
    if (plan.buffers.in_place_input[n] >= 0) shapes += ", in place";
    if (const int m = multiply_of[n]; m >= 0) {
      shapes += std::string(", its input first multiplied as node ") + std::to_string(m);
    }
    if (const int a = fusion.activation[n]; a >= 0) {
      const core::Node& activation = graph.nodes[static_cast<std::size_t>(a)];
      shapes += std::string(", then ") + core::op_name(activation.op) + " (node " +
                std::to_string(a) + ") as a table";
    }
    const std::string comment = "// node " + std::to_string(n) + ": " + core::op_name(node.op) +
                                " '" + node.name + "' " + shapes + "\n";
    if (definitions.size() > first_definition) {
      definitions[first_definition].text = comment + definitions[first_definition].text;
    }
    invoke += "  " + comment + "  " + call + ";\n  TINYSCALE_OP_DONE(" + std::to_string(calls - 1) +
              ");\n";
    summary.call_list.push_back({static_cast<int>(n), call.substr(0, call.find('('))});
  }

  // 3. Inputs and outputs.
  auto io_of = [&](int id) {
    const core::Tensor& t = graph.tensor(id);
    const std::int64_t offset = tensor_offset(model, id);
    if (offset < 0) throw Error("deploy: graph input/output '" + t.name + "' is not in the arena");
    return IoTensor{id, &t, offset, core::num_elements(t.shape) * core::dtype_size(t.dtype)};
  };
  std::vector<IoTensor> inputs, outputs;
  for (int id : graph.inputs) inputs.push_back(io_of(id));
  for (int id : graph.outputs) outputs.push_back(io_of(id));

  summary.arena_bytes = plan.plan.peak_bytes;
  summary.calls = calls;
  for (const ConstDefinition& d : definitions) summary.model_data_bytes += d.bytes;
  if (!output_dir_or_null) {
    summary.kernels.assign(kernel_stems.begin(), kernel_stems.end());
    return summary;
  }
  const fs::path& output_dir = *output_dir_or_null;
  std::int64_t params_count = 0;
  for (const ConstDefinition& d : definitions) params_count += d.is_params ? 1 : 0;

  Files files;
  // ---- NAME.h
  {
    std::string h = opening_comment(
        options, "/* " + name + ".h: the generated model '" + name + "' (tinyscale deploy).", "",
        " * ", " */\n");
    h += "#ifndef " + NAME + "_H_\n#define " + NAME + "_H_\n\n#include <stdint.h>\n\n";
    h += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
    h += "/* The activation arena: inputs, outputs and every intermediate tensor, at offsets\n"
         " * planned by tinyscale's memory planner (16-byte aligned). */\n";
    h += "#define " + NAME + "_ARENA_BYTES " + std::to_string(summary.arena_bytes) + "\n";
    h += "extern int8_t " + name + "_arena[" + NAME + "_ARENA_BYTES];\n\n";
    h += "/* Model data in FLASH, bytes: every const array and params struct of " + name +
         ".cpp\n * (weights, biases, multipliers, shifts, tables), at their 32-bit sizes. */\n";
    h += "#define " + NAME + "_MODEL_DATA_BYTES " + std::to_string(summary.model_data_bytes) +
         "\n\n";
    h += "/* Runs the model once: write the inputs first (every run; the arena reuses their\n"
         " * bytes), then read the outputs. */\n";
    h += "void " + name + "_invoke(void);\n\n";
    h += "typedef struct {\n"
         "  const char* name;\n"
         "  void* data;            /* in the arena */\n"
         "  int32_t bytes;\n"
         "  int32_t rank;\n"
         "  int32_t shape[6];      /* NHWC for images */\n"
         "  int32_t element_bytes; /* 1: int8 */\n"
         "  float scale;           /* real = scale * (q - zero_point) */\n"
         "  int32_t zero_point;\n"
         "} " +
         name + "_tensor_t;\n\n";
    h += "/* Inputs and outputs by index; null past the last one. */\n";
    h += "const " + name + "_tensor_t* " + name + "_input(int index);\n";
    h += "const " + name + "_tensor_t* " + name + "_output(int index);\n\n";
    h += "#define " + NAME + "_NUM_INPUTS " + std::to_string(inputs.size()) + "\n";
    h += "#define " + NAME + "_NUM_OUTPUTS " + std::to_string(outputs.size()) + "\n\n";
    auto macros = [&](const char* kind, int i, const IoTensor& io) {
      const core::Tensor& t = *io.tensor;
      const std::string m = NAME + "_" + kind + std::to_string(i);
      const float scale = t.quantization.scales.empty() ? 0.0f : t.quantization.scales[0];
      const std::int64_t zp =
          t.quantization.zero_points.empty() ? 0 : t.quantization.zero_points[0];
      std::string s = std::string("/* ") + (std::string(kind) == "INPUT" ? "input " : "output ") +
                      std::to_string(i) + ": " + core::dtype_name(t.dtype) + " [" +
                      shape_list(t.shape) + "] */\n";
      s += "#define " + m + " ((" + c_type(t.dtype) + "*)(" + name + "_arena + " +
           std::to_string(io.offset) + "))\n";
      s += "#define " + m + "_BYTES " + std::to_string(io.bytes) + "\n";
      s += "#define " + m + "_SHAPE {" + shape_list(t.shape) + "}\n";
      s += "#define " + m + "_SCALE " + float_literal(scale) + "\n";
      s += "#define " + m + "_ZERO_POINT " + int_literal(zp) + "\n\n";
      return s;
    };
    for (std::size_t i = 0; i < inputs.size(); ++i)
      h += macros("INPUT", static_cast<int>(i), inputs[i]);
    for (std::size_t i = 0; i < outputs.size(); ++i)
      h += macros("OUTPUT", static_cast<int>(i), outputs[i]);
    h += "#ifdef __cplusplus\n}  /* extern \"C\" */\n#endif\n\n#endif /* " + NAME + "_H_ */\n";
    files.add(name + ".h", h);
  }

  // ---- NAME.cpp
  {
    std::string c = opening_comment(
        options, "// " + name + ".cpp: the generated model '" + name + "'.", "", "// ", "\n");
    c += "// " + std::to_string(graph.nodes.size()) + " layers; model data " +
         std::to_string(summary.model_data_bytes) + " bytes of const data (FLASH; " +
         std::to_string(params_count) + " params structs included, at 32-bit size); arena " +
         std::to_string(summary.arena_bytes) + " bytes.\n";
    c += "#include \"" + name + ".h\"\n\n";
    for (const std::string& k : kernel_stems) c += "#include \"" + k + ".h\"\n";
    c += "\n";
    c += "// Profiling hook: TINYSCALE_OP_DONE(k) runs after the k-th kernel call of " + name +
         "_invoke()\n// (0-based; " + std::to_string(calls) +
         " calls). Define it, e.g. to read DWT->CYCCNT, to time each layer.\n";
    c += "#ifndef TINYSCALE_OP_DONE\n#define TINYSCALE_OP_DONE(k) ((void)0)\n#endif\n\n";
    c += "alignas(16) int8_t " + name + "_arena[" + NAME + "_ARENA_BYTES];\n\n";
    c += "namespace {\n\n";
    for (const ConstDefinition& d : definitions) c += d.text + "\n";
    c += "int8_t* const arena = " + name + "_arena;\n\n";
    c += "static const " + name + "_tensor_t kInputs[" +
         std::to_string(std::max<std::size_t>(inputs.size(), 1)) + "] = {\n";
    for (const IoTensor& io : inputs) c += io_info_entry(io);
    c += "};\nstatic const " + name + "_tensor_t kOutputs[" +
         std::to_string(std::max<std::size_t>(outputs.size(), 1)) + "] = {\n";
    for (const IoTensor& io : outputs) c += io_info_entry(io);
    c += "};\n\n}  // namespace\n\n";
    c += "const " + name + "_tensor_t* " + name +
         "_input(int index) {\n  return index >= 0 && index < " + NAME +
         "_NUM_INPUTS ? &kInputs[index] : nullptr;\n}\n\n";
    c += "const " + name + "_tensor_t* " + name +
         "_output(int index) {\n  return index >= 0 && index < " + NAME +
         "_NUM_OUTPUTS ? &kOutputs[index] : nullptr;\n}\n\n";
    c +=
        "void " + name + "_invoke(void) {\n  using namespace tinyscale::device;\n" + invoke + "}\n";
    files.add(name + ".cpp", c);
  }

  // ---- kernels/
  std::map<std::string, std::string> sources;
  for (const std::string& k : kernel_stems) {
    collect_sources(k + ".h", &sources);
    bool has_cpp = false;
    for (const DeviceSource& s : device_sources()) has_cpp |= s.file == k + ".cpp";
    if (has_cpp) collect_sources(k + ".cpp", &sources);
  }
  std::string kernel_cpps;
  for (const auto& [file, text] : sources) {
    files.add("kernels/" + file, text);
    if (file.size() > 4 && file.substr(file.size() - 4) == ".cpp")
      kernel_cpps += "  kernels/" + file + "\n";
  }
  summary.kernels.assign(kernel_stems.begin(), kernel_stems.end());

  // ---- CMakeLists.txt (+ toolchain)
  {
    std::string m = opening_comment(
        options, "# " + name + ": a static library of the generated model.", "", "# ", "");
    m += "#   host:      cmake -S . -B build && cmake --build build\n";
    m += "#   Cortex-M:  cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=arm-none-eabi.cmake && "
         "cmake --build build\n";
    m += "cmake_minimum_required(VERSION 3.13)\nproject(" + name + " C CXX)\n\n";
    m += "add_library(" + name + " STATIC\n  " + name + ".cpp\n" + kernel_cpps + ")\n";
    m += "target_include_directories(" + name +
         " PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}\n"
         "                           PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/kernels)\n";
    m += "set_target_properties(" + name +
         " PROPERTIES CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON "
         "CXX_EXTENSIONS OFF)\n";
    m += "target_compile_options(" + name +
         " PRIVATE -O2 -Wall -Wextra -Werror\n"
         "  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)\n";
    const std::string flags = target_flags(options.target);
    if (!flags.empty()) {
      m += "# " + std::string(target_name(options.target)) +
           "; pass the same flags when linking "
           "the firmware.\n";
      m += "target_compile_options(" + name + " PUBLIC " + flags + ")\n";
    }
    files.add("CMakeLists.txt", m);
    if (options.target != Target::host) {
      files.add(
          "arm-none-eabi.cmake",
          "# Toolchain file for Debian's gcc-arm-none-eabi (with libnewlib-arm-none-eabi).\n"
          "set(CMAKE_SYSTEM_NAME Generic)\nset(CMAKE_SYSTEM_PROCESSOR arm)\n"
          "set(CMAKE_C_COMPILER arm-none-eabi-gcc)\nset(CMAKE_CXX_COMPILER arm-none-eabi-g++)\n"
          "set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)\n");
    }
  }

  // ---- README.md
  {
    std::string r = "# " + name + "\n\n";
    r += "Generated by tinyscale " + std::string(tinyscale_version()) + " for " +
         target_name(options.target) + ".";
    if (!options.command_line.empty()) r += " Command:\n\n    " + options.command_line + "\n";
    r += "\n\n| figure | bytes |\n|---|---|\n";
    r += "| arena (RAM, `" + name + "_arena`) | " + std::to_string(summary.arena_bytes) + " |\n";
    r += "| model data (FLASH: weights, biases, multipliers, tables, " +
         std::to_string(params_count) + " params structs) | " +
         std::to_string(summary.model_data_bytes) + " |\n";
    r += "\nThe kernel code comes on top, also in FLASH.\n";
    r += "Layers: " + std::to_string(graph.nodes.size()) + "; kernels: ";
    for (std::size_t i = 0; i < summary.kernels.size(); ++i)
      r += (i ? ", " : "") + summary.kernels[i];
    r += ".\n\n## Use from firmware\n\n```c\n";
    r += "#include <string.h>\n#include \"" + name + ".h\"\n\n";
    r += "extern void read_sensor(int8_t* dst, int bytes);  /* yours */\n\n";
    r += "int main(void) {\n";
    r += "  const " + name + "_tensor_t* in = " + name + "_input(0);\n";
    r += "  const " + name + "_tensor_t* out = " + name + "_output(0);\n";
    r += "  for (;;) {\n";
    r += "    read_sensor((int8_t*)in->data, in->bytes);  /* quantized: q = x / scale + zero_point "
         "*/\n";
    r += "    " + name + "_invoke();\n";
    r += "    const int8_t* y = (const int8_t*)out->data;\n";
    r += "    int best = 0;\n";
    r += "    for (int i = 1; i < out->bytes; ++i) if (y[i] > y[best]) best = i;\n";
    r += "    (void)best;  /* act on the class */\n";
    r += "  }\n}\n```\n\n";
    r += "Build: `cmake -S . -B build";
    if (options.target != Target::host) r += " -DCMAKE_TOOLCHAIN_FILE=arm-none-eabi.cmake";
    r += " && cmake --build build` gives `lib" + name + ".a`";
    if (options.target != Target::host) r += " (link with `" + target_flags(options.target) + "`)";
    r += ". The firmware needs no heap and no C++ runtime beyond the compiler's support library.\n";
    files.add("README.md", r);
  }

  // 4. Write: every file checked and generated above, now onto disk.
  std::error_code ec;
  fs::create_directories(output_dir / "kernels", ec);
  if (ec) throw Error("cannot create '" + output_dir.string() + "': " + ec.message());
  for (const auto& [path, text] : files.files) {
    const fs::path full = output_dir / path;
    const fs::path tmp = full.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary);
      out << text;
      if (!out) throw Error("cannot write '" + tmp.string() + "'");
    }
    fs::rename(tmp, full, ec);
    if (ec) throw Error("cannot write '" + full.string() + "': " + ec.message());
    summary.files.push_back(path);
  }
  // A package regenerated in place keeps only the kernels it uses: device sources an earlier
  // model needed are removed (nothing else in kernels/ is touched).
  for (const DeviceSource& d : device_sources()) {
    const std::string file(d.file);
    if (!sources.count(file)) fs::remove(output_dir / "kernels" / file, ec);
  }
  return summary;
}

}  // namespace

PackageSummary generate_package(const engine::CompiledModel& model, const core::Graph& graph,
                                const GenerateOptions& options, const fs::path& output_dir) {
  return generate(model, graph, options, &output_dir);
}

PackageSummary summarize_package(const engine::CompiledModel& model, const core::Graph& graph,
                                 const GenerateOptions& options) {
  return generate(model, graph, options, nullptr);
}

engine::GeneratedCodeSize generated_code_size(const core::Graph& graph) {
  bool float_activations = false;
  for (const core::Tensor& t : graph.tensors) {
    float_activations = float_activations || (!t.is_constant && t.dtype == core::DType::float32);
  }
  // The generated arrays' sizes depend on shapes and quantization granularity, not on the
  // values: a float graph is quantized as a layout (its float constants' values dropped, so
  // the solver's thousands of candidates skip quantizing weights), and every constant left
  // without values (a shape-only graph's) is zeros of its int8/int32 type.
  core::Graph layout = graph;
  if (float_activations) {
    for (core::Tensor& t : layout.tensors) {
      if (t.is_constant && t.dtype == core::DType::float32) t.data.clear();
    }
    layout = exporter::quantize_layout(layout);
  }
  for (core::Tensor& t : layout.tensors) {
    if (t.is_constant && !t.has_data()) {
      t.data.assign(
          static_cast<std::size_t>(core::num_elements(t.shape) * core::dtype_size(t.dtype)), 0);
    }
  }
  const core::Graph& int8_graph = layout;
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(int8_graph, {}, error, sizeof error) != engine::Status::ok) {
    throw Error(std::string("deploy: cannot compile the model: ") + error);
  }
  // The package of a Cortex-M core with the DSP extension (the M4 and M7 the cost model
  // prices take the same kernels).
  const PackageSummary s = summarize_package(
      model, int8_graph,
      {.target = Target::cortex_m7, .assume_usual_requantization = float_activations});
  engine::GeneratedCodeSize g;
  g.model_data_bytes = s.model_data_bytes;
  g.arena_bytes = s.arena_bytes;
  g.nodes = s.calls;
  g.kernels = s.kernels;
  return g;
}

}  // namespace tinyscale::deploy
