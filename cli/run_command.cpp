// `tinyscale run` and `tinyscale info`: run a model in the engine, or analyze it layer by
// layer in the spirit of STM32Cube.AI's analyze.
//
// Raw tensor files (--input, --output, --dump-tensors) are the tensor's bytes in its own
// dtype, little-endian, row-major in the model's layout (NHWC for images), no header:
// exactly what TFLite Micro's interpreter holds in memory for that tensor.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli/board_regions.h"
#include "cli/commands.h"
#include "cli/memory_svg.h"
#include "cli/model_loader.h"
#include "cli/options.h"
#include "cli/output_paths.h"
#include "cli/runtime_option.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/ops.h"
#include "deploy/codegen.h"
#include "engine/engine.h"
#include "engine/tflm_arena.h"
#include "scaling/sweep.h"

namespace tinyscale::cli {
namespace {

std::int64_t tensor_bytes(const core::Tensor& t) {
  return core::num_elements(t.shape) * core::dtype_size(t.dtype);
}

// With `budgets` (--board), the arena is placed in the board's RAM regions exactly as the
// cost model and `solve` place it (scaling::region_capacities), and the report says whether
// it fits; on the host the regions lie side by side in one allocation.
engine::CompiledModel compile_or_throw(const core::Graph& graph, const std::string& path,
                                       const std::optional<scaling::Budgets>& budgets) {
  engine::CompiledModel model;
  char error[512] = "";
  const std::vector<std::int64_t> capacities =
      budgets ? scaling::region_capacities(*budgets) : std::vector<std::int64_t>{};
  const engine::Status s =
      model.compile(graph, {.region_capacities = capacities}, error, sizeof error);
  if (s != engine::Status::ok) throw Error(path + ": " + error);
  return model;
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "': " + std::strerror(errno));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Reorders a rank-4 tensor's bytes between NCHW and NHWC (element size `element`).
std::string nchw_to_nhwc(const std::string& bytes, const core::Shape& nhwc, std::size_t element,
                         bool inverse) {
  const auto h = static_cast<std::size_t>(nhwc[1]), w = static_cast<std::size_t>(nhwc[2]),
             c = static_cast<std::size_t>(nhwc[3]);
  std::string out(bytes.size(), '\0');
  for (std::size_t ch = 0; ch < c; ++ch) {
    for (std::size_t y = 0; y < h; ++y) {
      for (std::size_t x = 0; x < w; ++x) {
        const std::size_t nchw_at = ((ch * h + y) * w + x) * element,
                          nhwc_at = ((y * w + x) * c + ch) * element;
        if (inverse) {
          std::memcpy(&out[nchw_at], &bytes[nhwc_at], element);
        } else {
          std::memcpy(&out[nhwc_at], &bytes[nchw_at], element);
        }
      }
    }
  }
  return out;
}

// Fills input `i` from a raw file (its size must match exactly) or with seeded random values
// over the dtype's full range (float: uniform in [-1, 1]).
void fill_input(const engine::CompiledModel& model, int i, const std::string& file,
                std::uint32_t seed, bool nchw) {
  const engine::TensorRef& in = model.input(i);
  const std::int64_t bytes = tensor_bytes(*in.tensor);
  if (!file.empty()) {
    // Sized before it is read: a file of another size (say, a wrong 4 GB one) is not loaded.
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(file, ec);
    if (!ec && size != static_cast<std::uintmax_t>(bytes)) {
      throw Error("--input '" + file + "' holds " + std::to_string(size) + " bytes; input '" +
                  in.tensor->name + "' (" + core::shape_string(in.shape()) + " " +
                  core::dtype_name(in.tensor->dtype) + ") needs " + std::to_string(bytes));
    }
    const std::vector<std::uint8_t> data = read_bytes(file);
    if (static_cast<std::int64_t>(data.size()) != bytes) {
      throw Error("--input '" + file + "' holds " + std::to_string(data.size()) +
                  " bytes; input '" + in.tensor->name + "' (" + core::shape_string(in.shape()) +
                  " " + core::dtype_name(in.tensor->dtype) + ") needs " + std::to_string(bytes));
    }
    if (in.tensor->dtype == core::DType::float32) {
      for (std::size_t k = 0; k < data.size() / sizeof(float); ++k) {
        float v = 0.0f;
        std::memcpy(&v, data.data() + k * sizeof(float), sizeof v);
        if (!std::isfinite(v)) {
          throw Error("--input '" + file + "': value " + std::to_string(k) +
                      " (in file order) is " + number_text(v) +
                      "; the model's input must be finite");
        }
      }
    }
    if (nchw && in.shape().size() == 4) {
      const std::string reordered =
          nchw_to_nhwc(std::string(data.begin(), data.end()), in.shape(),
                       static_cast<std::size_t>(core::dtype_size(in.tensor->dtype)), false);
      std::memcpy(in.data, reordered.data(), reordered.size());
    } else {
      std::memcpy(in.data, data.data(), data.size());
    }
    return;
  }
  std::mt19937 rng(seed + static_cast<std::uint32_t>(i));
  const auto count = static_cast<std::size_t>(core::num_elements(in.shape()));
  switch (in.tensor->dtype) {
    case core::DType::int8:
      for (std::size_t k = 0; k < count; ++k)
        in.as<std::int8_t>()[k] = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
      break;
    case core::DType::int32:
      for (std::size_t k = 0; k < count; ++k)
        in.as<std::int32_t>()[k] = static_cast<std::int32_t>(rng());
      break;
    case core::DType::float32:
      for (std::size_t k = 0; k < count; ++k) {
        in.as<float>()[k] = static_cast<float>(rng() >> 8) / static_cast<float>(1 << 23) - 1.0f;
      }
      break;
  }
}

double value_at(const engine::TensorRef& t, std::size_t k) {
  switch (t.tensor->dtype) {
    case core::DType::int8:
      return t.as<std::int8_t>()[k];
    case core::DType::int32:
      return t.as<std::int32_t>()[k];
    case core::DType::float32:
      return t.as<float>()[k];
  }
  return 0;
}

// Real value of element k (dequantized for quantized tensors).
double real_at(const engine::TensorRef& t, std::size_t k) {
  const double v = value_at(t, k);
  const core::Quantization& q = t.tensor->quantization;
  if (q.empty() || t.tensor->dtype == core::DType::float32) return v;
  return (v - static_cast<double>(q.zero_points[0])) * q.scales[0];
}

// [O, kh, kw, 1] (tinyscale's depthwise layout) -> [1, kh, kw, O] (TFLite's).
std::string depthwise_to_file_layout(const core::Tensor& weight, const std::string& bytes) {
  const auto o = static_cast<std::size_t>(weight.shape[0]);
  const auto hw = static_cast<std::size_t>(weight.shape[1] * weight.shape[2]);
  const auto element = static_cast<std::size_t>(core::dtype_size(weight.dtype));
  std::string out(bytes.size(), '\0');
  for (std::size_t c = 0; c < o; ++c) {
    for (std::size_t k = 0; k < hw; ++k) {
      std::memcpy(&out[(k * o + c) * element], &bytes[(c * hw + k) * element], element);
    }
  }
  return out;
}

struct RunOptions {
  std::string model;
  std::string input;
  std::optional<std::uint32_t> random;
  std::string output;
  int repeat = 1;
  std::string dump_dir;
  bool json = false;
  bool nhwc = false;  // .onnx: raw tensors are NHWC rather than PyTorch's NCHW
  RegionOptions regions;
  std::string patch = "off";
  std::optional<std::string> max_extra_macs;
};

// The graph `option` (--patch) asks to run: `graph` patched (core/patch.h), the choice
// made for the runtime (`engine_ram`: the host engine, whose kernel state grows with the
// nodes a patch repeats; else the generated code), or `graph` itself with --patch off.
core::PatchedGraph patched_model(const core::Graph& graph, const costmodel::PatchOption& option,
                                 bool engine_ram) {
  return costmodel::patch_graph(graph, option, {},
                                engine_ram ? costmodel::engine_fixed_bytes : nullptr);
}

// The report line on patches, for a model run or described with --patch.
std::string patch_line(const core::PatchedGraph& p, std::int64_t activation_arena,
                       const costmodel::PatchOption& option) {
  if (!p.choice.enabled()) {
    return "patches: none beats whole layers (--patch " + costmodel::patch_option_text(option) +
           ")";
  }
  char share[32];
  std::snprintf(share, sizeof share, "%.1f%%",
                p.plain_macs > 0 ? 100.0 * static_cast<double>(p.macs - p.plain_macs) /
                                       static_cast<double>(p.plain_macs)
                                 : 0.0);
  return "patches: the first " + std::to_string(p.choice.layers) + " layers in " +
         std::to_string(p.choice.grid) + "x" + std::to_string(p.choice.grid) + " patches (" +
         group_digits(p.macs - p.plain_macs) + " MACs, " + share +
         ", recomputed in the halos); activations " + group_digits(activation_arena) + " B";
}

// The bytes the compiled model uses in each region it was given, as the cost model reports
// them (CostReport::ram_region_bytes).
std::vector<std::int64_t> region_bytes(const engine::CompiledModel& model) {
  const engine::ArenaPlan& plan = model.arena_plan();
  const std::int64_t fixed = model.ram().kernel_state + model.ram().runtime_structures;
  std::vector<std::int64_t> bytes;
  for (std::size_t r = 0; r < plan.region_peak_bytes.size(); ++r)
    bytes.push_back(plan.region_used_bytes(static_cast<int>(r), fixed));
  return bytes;
}

struct DumpState {
  const engine::CompiledModel* model;
  std::vector<std::vector<std::uint8_t>>* snapshots;
};

void snapshot_outputs(void* user, int node) {
  auto* state = static_cast<DumpState*>(user);
  const core::Graph& g = state->model->graph();
  for (int id : g.nodes[static_cast<std::size_t>(node)].outputs) {
    const engine::TensorRef& t = state->model->tensor(id);
    const auto* p = static_cast<const std::uint8_t*>(t.data);
    (*state->snapshots)[static_cast<std::size_t>(id)].assign(p, p + tensor_bytes(*t.tensor));
  }
}

// The files `tinyscale run --dump-tensors DIR` writes in DIR: t<index>.bin.
bool is_dump_file_name(const std::string& name) {
  if (name.size() < 6 || name[0] != 't' || name.substr(name.size() - 4) != ".bin") return false;
  const std::string digits = name.substr(1, name.size() - 5);
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void run_model(const RunOptions& o) {
  if (!o.input.empty() && o.random) throw Error("give --input FILE or --random SEED, not both");
  if (o.repeat < 1) throw Error("--repeat must be ≥ 1");
  check_output_paths(
      {{"the model", o.model}, {"--input", o.input}},
      {{.option = "--output",
        .path = o.output,
        .refused_extensions = {".tflite", ".onnx"},
        .kind = "raw output tensor bytes"},
       {.option = "--dump-tensors", .path = o.dump_dir, .folder_of = is_dump_file_name}});
  const std::optional<scaling::Budgets> budgets = o.regions.budgets();
  const costmodel::PatchOption patch = patch_option_of(o.patch, o.max_extra_macs);
  if (patch.enabled() && !o.dump_dir.empty()) {
    throw Error("--dump-tensors writes every tensor of whole layers; it does not go with --patch " +
                o.patch);
  }
  const core::PatchedGraph patched = patched_model(load_model(o.model), patch, true);
  const core::Graph& graph = patched.graph;
  engine::CompiledModel model = compile_or_throw(graph, o.model, budgets);
  if (budgets && !model.arena_plan().fits) {
    std::fprintf(stderr,
                 "warning: %s: the arena does not fit board %s's RAM%s (run on the host "
                 "anyway)\n",
                 o.model.c_str(), budgets->board.c_str(),
                 budgets->arena_regions == scaling::ArenaRegions::split
                     ? " regions"
                     : " region; try --arena-regions auto");
  }
  if (!o.input.empty() && model.num_inputs() != 1) {
    throw Error("--input gives one tensor but the model has " + std::to_string(model.num_inputs()) +
                " inputs");
  }
  // PyTorch users hand ONNX models NCHW tensors; tinyscale's graphs are NHWC.
  const bool nchw = !o.nhwc && std::filesystem::path(o.model).extension() == ".onnx";
  for (int i = 0; i < model.num_inputs(); ++i)
    fill_input(model, i, o.input, o.random.value_or(1), nchw);

  // Keep a copy of the inputs: some runs overwrite them (arena reuse) and --repeat reruns.
  std::vector<std::vector<std::uint8_t>> inputs;
  for (int i = 0; i < model.num_inputs(); ++i) {
    const auto* p = static_cast<const std::uint8_t*>(model.input(i).data);
    inputs.emplace_back(p, p + tensor_bytes(*model.input(i).tensor));
  }
  std::vector<std::vector<std::uint8_t>> snapshots(graph.tensors.size());
  DumpState dump{&model, &snapshots};
  std::vector<double> times_ms;
  for (int r = 0; r < o.repeat; ++r) {
    for (int i = 0; i < model.num_inputs(); ++i)
      std::memcpy(model.input(i).data, inputs[static_cast<std::size_t>(i)].data(),
                  inputs[static_cast<std::size_t>(i)].size());
    const bool dump_now = !o.dump_dir.empty() && r == o.repeat - 1;
    const auto start = std::chrono::steady_clock::now();
    const engine::Status s = dump_now ? model.run(snapshot_outputs, &dump) : model.run();
    times_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (s != engine::Status::ok) throw Error(o.model + ": run failed: " + engine::status_name(s));
  }
  std::sort(times_ms.begin(), times_ms.end());
  const double ms = times_ms[times_ms.size() / 2];

  if (!o.output.empty()) {
    std::string bytes;
    for (int i = 0; i < model.num_outputs(); ++i) {
      const engine::TensorRef& out = model.output(i);
      std::string raw(static_cast<const char*>(out.data),
                      static_cast<std::size_t>(tensor_bytes(*out.tensor)));
      if (nchw && out.shape().size() == 4) {
        raw = nchw_to_nhwc(raw, out.shape(),
                           static_cast<std::size_t>(core::dtype_size(out.tensor->dtype)), true);
      }
      bytes += raw;
    }
    core::write_file_atomically(o.output, bytes);
  }
  if (!o.dump_dir.empty()) {
    // Depthwise weights were transposed to tinyscale's [C·m, kh, kw, 1] on import; the dump
    // writes them back in the file's [1, kh, kw, C·m] so t<i>.bin matches the model.
    std::vector<char> depthwise_weight(graph.tensors.size(), 0);
    for (const core::Node& node : graph.nodes) {
      if (node.op == core::OpType::conv2d && node.attrs.groups > 1 &&
          node.attrs.groups == graph.tensor(node.inputs[0]).shape.back()) {
        depthwise_weight[static_cast<std::size_t>(node.inputs[1])] = 1;
      }
    }
    std::filesystem::create_directories(o.dump_dir);
    for (std::size_t t = 0; t < graph.tensors.size(); ++t) {
      std::string bytes;
      if (graph.tensors[t].is_constant || snapshots[t].empty()) {
        const engine::TensorRef& ref = model.tensor(static_cast<int>(t));
        if (!ref.data) continue;  // an activation no node produced (cannot happen in a valid graph)
        const bool is_input = std::find(graph.inputs.begin(), graph.inputs.end(),
                                        static_cast<int>(t)) != graph.inputs.end();
        if (is_input) {
          const auto it = std::find(graph.inputs.begin(), graph.inputs.end(), static_cast<int>(t));
          const auto& in = inputs[static_cast<std::size_t>(it - graph.inputs.begin())];
          bytes.assign(in.begin(), in.end());
        } else {
          bytes.assign(static_cast<const char*>(ref.data),
                       static_cast<std::size_t>(tensor_bytes(graph.tensors[t])));
        }
      } else {
        bytes.assign(snapshots[t].begin(), snapshots[t].end());
      }
      if (depthwise_weight[t]) bytes = depthwise_to_file_layout(graph.tensors[t], bytes);
      core::write_file_atomically(o.dump_dir + "/t" + std::to_string(t) + ".bin", bytes);
    }
  }

  const std::int64_t macs = patched.plain_macs;
  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = o.model;
    j["arena_bytes"] = model.arena_bytes();
    if (patch.enabled()) {
      j["patch"] = {{"option", costmodel::patch_option_text(patch)},
                    {"layers", patched.choice.layers},
                    {"grid", patched.choice.grid},
                    {"executed_macs", patched.macs}};
    }
    j["ram"] = {{"activation_arena", model.ram().activation_arena},
                {"kernel_state", model.ram().kernel_state},
                {"runtime_structures", model.ram().runtime_structures}};
    if (budgets) {
      j["ram_regions"] = region_use_json(*budgets, region_bytes(model), model.arena_plan().fits);
    }
    j["ms_per_inference"] = ms;
    j["macs"] = macs;
    nlohmann::ordered_json outs = nlohmann::ordered_json::array();
    for (int i = 0; i < model.num_outputs(); ++i) {
      const engine::TensorRef& out = model.output(i);
      const core::Quantization& q = out.tensor->quantization;
      nlohmann::ordered_json jo = {{"name", out.tensor->name},
                                   {"shape", out.shape()},
                                   {"dtype", core::dtype_name(out.tensor->dtype)}};
      if (!q.empty()) {
        jo["scale"] = q.scales;
        jo["zero_point"] = q.zero_points;
      }
      const auto count = static_cast<std::size_t>(core::num_elements(out.shape()));
      std::vector<double> values;
      for (std::size_t k = 0; k < std::min<std::size_t>(count, 4096); ++k)
        values.push_back(value_at(out, k));
      jo["values"] = values;
      outs.push_back(jo);
    }
    j["outputs"] = outs;
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (int i = 0; i < model.num_outputs(); ++i) {
    const engine::TensorRef& out = model.output(i);
    const auto count = static_cast<std::size_t>(core::num_elements(out.shape()));
    std::size_t best = 0;
    for (std::size_t k = 1; k < count; ++k) {
      if (value_at(out, k) > value_at(out, best)) best = k;
    }
    std::printf("output %d '%s' %s %s:", i, out.tensor->name.c_str(),
                core::shape_string(out.shape()).c_str(), core::dtype_name(out.tensor->dtype));
    for (std::size_t k = 0; k < std::min<std::size_t>(count, 12); ++k)
      std::printf(" %g", value_at(out, k));
    if (count > 12) std::printf(" ...");
    std::printf("\n  argmax %zu (value %g, real %.6g)\n", best, value_at(out, best),
                real_at(out, best));
  }
  std::printf(
      "arena %s B (activations %s, kernel state %s, runtime %s)   %.3f ms per inference (median of "
      "%d)   %s MACs\n",
      group_digits(model.arena_bytes()).c_str(), group_digits(model.ram().activation_arena).c_str(),
      group_digits(model.ram().kernel_state).c_str(),
      group_digits(model.ram().runtime_structures).c_str(), ms, o.repeat,
      group_digits(macs).c_str());
  if (patch.enabled()) {
    std::printf("%s\n", patch_line(patched, model.ram().activation_arena, patch).c_str());
  }
  if (budgets) print_region_use(*budgets, region_bytes(model), model.arena_plan().fits);
}

void info_model(const std::string& path, bool json, const RegionOptions& regions,
                const RuntimeOption& runtime, const std::string& memory_svg_path) {
  check_memory_svg_path(memory_svg_path, path);
  const std::optional<scaling::Budgets> budgets = regions.budgets();
  runtime.check(budgets ? &*budgets : nullptr);
  const core::Graph graph = load_model(path);
  // With --patch, the plan and the figures are the patched graph's; the table stays the
  // model's layers, each with the most bytes live while any of its patches runs.
  const costmodel::PatchOption patch = runtime.patch_option();
  const core::PatchedGraph patched =
      patched_model(graph, patch, runtime.value() == costmodel::Runtime::engine);
  engine::CompiledModel model = compile_or_throw(patched.graph, path, budgets);
  std::vector<std::vector<std::size_t>> steps_of(graph.nodes.size());
  for (std::size_t n = 0; n < patched.origin.size(); ++n) {
    if (patched.origin[n] >= 0) steps_of[static_cast<std::size_t>(patched.origin[n])].push_back(n);
  }
  if (!memory_svg_path.empty()) {
    // The compiled model's own plan: the one its activation arena figure comes from.
    MemorySvgOptions picture{
        .title = path, .fixed_bytes = model.ram().kernel_state + model.ram().runtime_structures};
    if (patched.choice.enabled()) {
      picture.step_patch = patched.patch;
      picture.patch_text = "the first " + std::to_string(patched.choice.layers) + " layers in " +
                           std::to_string(patched.choice.grid) + "x" +
                           std::to_string(patched.choice.grid) + " patches";
    }
    add_region_labels(budgets, &picture);
    write_memory_svg(memory_svg_path, memory_svg(patched.graph, model.arena_plan(), picture));
    std::fprintf(stderr, "  wrote %s (memory picture: activation arena %s B)\n",
                 memory_svg_path.c_str(), group_digits(model.ram().activation_arena).c_str());
  }
  const std::int64_t file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(path));
  // --runtime tinyscale: the generated code's figures (deploy/codegen.h) on the board's core;
  // tflite-micro: TFLite Micro's arena and code for the .tflite as it is (a float .onnx: the
  // .tflite `tinyscale export` makes of it).
  const bool tinyscale = runtime.value() == costmodel::Runtime::tinyscale;
  const bool tflm = runtime.value() == costmodel::Runtime::tflite_micro;
  const engine::DeviceCore device_core = device_core_of(budgets ? budgets->core : "");
  const bool is_tflite = std::filesystem::path(path).extension() == ".tflite";
  const engine::TfliteLayout layout =
      is_tflite ? tflite_layout_of_file(path) : export_layout(graph);
  const engine::TflmArena arena = engine::predict_tflm_arena(layout, runtime.tflm_kernels());
  const engine::TflmCodeSize code =
      engine::tflm_code_size(layout, runtime.tflm_kernels(), device_core);
  const std::int64_t tflm_flash = layout.file_bytes + code.interpreter_bytes + code.kernel_bytes;
  std::vector<std::string> tflm_notes = arena.notes;
  if (!code.exact) tflm_notes.insert(tflm_notes.end(), code.notes.begin(), code.notes.end());
  const engine::DeviceFootprint generated =
      tinyscale ? engine::device_footprint(deploy::generated_code_size(patched.graph), device_core)
                : engine::DeviceFootprint{};
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  std::int64_t total_macs = 0, total_params = 0, weight_bytes = 0;
  bool any_in_place = false;
  bool any_patched = false;
  if (!json) {
    std::printf("  %-4s %-18s %-34s %-16s %-16s %10s %12s %10s %10s\n", "#", "op", "name", "input",
                "output", "params", "MACs", "weight B", "live B");
  }
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    const core::OpInfo& info = core::op_info(node.op);
    std::int64_t params = 0, wbytes = 0;
    for (std::size_t i = 1; i < node.inputs.size(); ++i) {
      const core::Tensor& t = graph.tensor(node.inputs[i]);
      if (!t.is_constant) continue;
      params += core::num_elements(t.shape);
      wbytes += tensor_bytes(t);
    }
    const std::int64_t macs = info.macs(graph, node);
    std::int64_t live = 0;
    bool in_place = false;
    bool patched_layer = false;
    for (const std::size_t at : steps_of[n]) {
      live = std::max(live, model.arena_plan().live_bytes_at_step[at]);
      in_place = in_place || model.arena_plan().buffers.in_place_input[at] >= 0;
      patched_layer = patched_layer || patched.patch[at] >= 0;
    }
    any_in_place = any_in_place || in_place;
    any_patched = any_patched || patched_layer;
    total_macs += macs;
    total_params += params;
    weight_bytes += wbytes;
    const std::string in_shape = core::shape_string(graph.tensor(node.inputs[0]).shape);
    const std::string out_shape = core::shape_string(graph.tensor(node.outputs[0]).shape);
    if (json) {
      layers.push_back({{"node", n},
                        {"op", info.name},
                        {"name", node.name},
                        {"input_shape", graph.tensor(node.inputs[0]).shape},
                        {"output_shape", graph.tensor(node.outputs[0]).shape},
                        {"params", params},
                        {"macs", macs},
                        {"weight_bytes", wbytes},
                        {"live_bytes", live},
                        {"in_place", in_place},
                        {"patched", patched_layer}});
    } else {
      const std::string marks = std::string(in_place || patched_layer ? " " : "") +
                                (in_place ? "*" : "") + (patched_layer ? "p" : "");
      std::printf("  %-4zu %-18s %-34.34s %-16s %-16s %10s %12s %10s %10s%s\n", n, info.name,
                  node.name.c_str(), in_shape.c_str(), out_shape.c_str(),
                  group_digits(params).c_str(), group_digits(macs).c_str(),
                  group_digits(wbytes).c_str(), group_digits(live).c_str(), marks.c_str());
    }
  }
  if (!json && any_in_place) {
    std::printf("  (* in place: the node writes its output over its input, one buffer)\n");
  }
  if (!json && any_patched) {
    std::printf("  (p patch by patch: live B is the most while any of its patches runs)\n");
  }
  if (json) {
    nlohmann::ordered_json j;
    j["model"] = path;
    // What the raw --input bytes must hold, input by input.
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (const int id : graph.inputs) {
      const core::Tensor& t = graph.tensor(id);
      inputs.push_back({{"name", t.name},
                        {"shape", t.shape},
                        {"dtype", core::dtype_name(t.dtype)},
                        {"bytes", core::num_elements(t.shape) * core::dtype_size(t.dtype)}});
    }
    j["inputs"] = inputs;
    j["runtime"] = runtime.runtime;
    j["flash_bytes"] = tinyscale ? generated.flash_bytes() : tflm ? tflm_flash : file_bytes;
    j["weight_bytes"] = weight_bytes;
    j["params"] = total_params;
    j["macs"] = total_macs;
    j["ram_bytes"] = tinyscale ? generated.ram_bytes()
                     : tflm    ? arena.used_bytes
                               : model.arena_bytes();
    if (tinyscale) j["tinyscale"] = tinyscale_json(generated, device_core);
    j["tflite_micro"] =
        tflm_json(arena, code, layout.file_bytes, runtime.tflm_kernels(), device_core);
    j["notes"] = tflm_notes;
    j["ram"] = {{"activation_arena", model.ram().activation_arena},
                {"kernel_state", model.ram().kernel_state},
                {"runtime_structures", model.ram().runtime_structures}};
    if (budgets && tflm) {
      const std::vector<std::int64_t> used = {arena.used_bytes};
      j["ram_regions"] = region_use_json(
          *budgets, used, arena.used_bytes <= scaling::region_capacities(*budgets).front());
    } else if (budgets) {
      j["ram_regions"] = region_use_json(*budgets, region_bytes(model), model.arena_plan().fits);
    }
    if (patch.enabled()) {
      j["patch"] = {{"option", costmodel::patch_option_text(patch)},
                    {"layers", patched.choice.layers},
                    {"grid", patched.choice.grid},
                    {"executed_macs", patched.macs},
                    {"extra_macs", patched.macs - patched.plain_macs}};
    }
    j["layers"] = layers;
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (patch.enabled()) {
    // The arena of the runtime reported: the generated code's is int8 even for a float model.
    const std::int64_t patched_arena =
        tinyscale ? generated.arena_bytes : model.ram().activation_arena;
    std::printf("\n  %s\n", patch_line(patched, patched_arena, patch).c_str());
  }
  if (tinyscale) {
    std::printf(
        "\n  FLASH %s B (tinyscale generated code, %s: model data %s, kernel code %s, "
        "invoke %s)   RAM %s B (tinyscale generated code: arena %s, stack bound %s)   "
        "MACs %s\n",
        group_digits(generated.flash_bytes()).c_str(), engine::device_core_name(device_core),
        group_digits(generated.model_data_bytes).c_str(),
        group_digits(generated.kernel_code_bytes).c_str(),
        group_digits(generated.invoke_code_bytes).c_str(),
        group_digits(generated.ram_bytes()).c_str(), group_digits(generated.arena_bytes).c_str(),
        group_digits(generated.stack_bytes).c_str(), group_digits(total_macs).c_str());
    if (budgets) print_region_use(*budgets, region_bytes(model), model.arena_plan().fits);
    return;
  }
  if (tflm) {
    std::printf("\n  MACs %s\n", group_digits(total_macs).c_str());
    std::printf("  FLASH            %12s B  (TFLite Micro, %s kernels, %s)\n",
                group_digits(tflm_flash).c_str(), engine::tflm_kernels_name(runtime.tflm_kernels()),
                engine::device_core_name(device_core));
    std::printf("    .tflite file                %10s B\n",
                group_digits(layout.file_bytes).c_str());
    std::printf("    interpreter code            %10s B  (measured table)\n",
                group_digits(code.interpreter_bytes).c_str());
    std::printf("    kernel code                 %10s B  (measured table, %zu operators)\n",
                group_digits(code.kernel_bytes).c_str(), code.per_op.size());
    std::printf("  RAM              %12s B  (the arena_used_bytes TFLite Micro reports)\n",
                group_digits(arena.used_bytes).c_str());
    print_tflm_arena(arena, runtime.tflm_kernels());
    std::printf(
        "  other runtimes   tinyscale engine: RAM %s B; --runtime tinyscale for the "
        "generated code\n",
        group_digits(model.arena_bytes()).c_str());
    for (const std::string& note : tflm_notes) std::printf("  note: %s\n", note.c_str());
    const std::string core_note = code_table_note(budgets ? budgets->core : "");
    if (!core_note.empty()) std::printf("  note: %s\n", core_note.c_str());
    if (budgets) {
      const bool fits = arena.used_bytes <= scaling::region_capacities(*budgets).front();
      const std::vector<std::int64_t> used = {arena.used_bytes};
      print_region_use(*budgets, used, fits);
    }
    return;
  }
  std::printf(
      "\n  FLASH %s B (the model file; weights and biases %s B)   RAM %s B (arena: activations %s, "
      "kernel state %s, runtime %s)   MACs %s\n",
      group_digits(file_bytes).c_str(), group_digits(weight_bytes).c_str(),
      group_digits(model.arena_bytes()).c_str(), group_digits(model.ram().activation_arena).c_str(),
      group_digits(model.ram().kernel_state).c_str(),
      group_digits(model.ram().runtime_structures).c_str(), group_digits(total_macs).c_str());
  std::printf("  runtime engine (FLASH the model file, RAM tinyscale's host engine arena)\n");
  if (budgets) print_region_use(*budgets, region_bytes(model), model.arena_plan().fits);
}

}  // namespace

Command add_run_command(CLI::App& app) {
  CLI::App* cmd =
      app.add_subcommand("run", "Run an int8 .tflite (or a float .onnx) in tinyscale's engine");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("model", o->model, "Model file (.tflite, or a float .onnx)")->required();
  cmd->add_option("--input", o->input, "Raw input tensor (its dtype, little-endian, model layout)");
  cmd->add_option("--random", o->random,
                  "Fill the inputs with seeded random values (default seed 1)");
  cmd->add_option("--output", o->output, "Write the raw output tensor(s), concatenated");
  cmd->add_option("--repeat", o->repeat, "Run N times; report the median time");
  cmd->add_option("--dump-tensors", o->dump_dir,
                  "Write every tensor after the run as DIR/t<index>.bin");
  cmd->add_flag("--json", o->json,
                "Print arena_bytes, ms_per_inference, macs and the outputs as JSON");
  cmd->add_flag("--nhwc", o->nhwc,
                "A float .onnx's --input/--output files are NHWC (default: NCHW, as PyTorch "
                "gives them)");
  o->regions.add_to(cmd);
  add_patch_options(cmd, &o->patch, &o->max_extra_macs);
  return [o] { run_model(*o); };
}

Command add_info_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("info",
                                     "Per-layer analysis: of a model file, or of `phinet|xinet|"
                                     "yolo-phinet|yolo-xinet [net options]` (as `tinyscale net`)");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("model", *path,
                  "Model file (.tflite or float .onnx), or a family (phinet, xinet, yolo-phinet, "
                  "yolo-xinet) followed by net options")
      ->required();
  cmd->add_flag("--json", *json, "Print as JSON");
  auto memory_svg_path = std::make_shared<std::string>();
  cmd->add_option("--memory-svg", *memory_svg_path,
                  "Draw the engine's activation arena over the node steps to this .svg file");
  auto regions = std::make_shared<RegionOptions>();
  regions->add_to(cmd);
  auto runtime = std::make_shared<RuntimeOption>();
  runtime->add_to(cmd);
  cmd->allow_extras();
  return [cmd, path, json, memory_svg_path, regions, runtime] {
    std::vector<std::string> extras = cmd->remaining();
    if (*path == "phinet" || *path == "xinet" || *path == "yolo-phinet" || *path == "yolo-xinet") {
      // A network from hyperparameters: the same per-layer report as `tinyscale net`.
      CLI::App net_app;
      const Command net = add_net_command(net_app);
      reject_empty_values(net_app);
      std::vector<std::string> args = {"net", *path};
      args.insert(args.end(), extras.begin(), extras.end());
      if (*json) args.push_back("--json");
      if (!memory_svg_path->empty()) args.insert(args.end(), {"--memory-svg", *memory_svg_path});
      for (const std::string& a : regions->arguments()) args.push_back(a);
      for (const std::string& a : runtime->arguments()) args.push_back(a);
      std::reverse(args.begin(), args.end());  // CLI11 parses a vector from the back
      try {
        net_app.parse(args);
      } catch (const CLI::ParseError& e) {
        throw Error(std::string("info ") + *path + ": " + e.what());
      }
      net();
      return;
    }
    if (!extras.empty()) throw Error("info " + *path + ": unexpected argument '" + extras[0] + "'");
    info_model(*path, *json, *regions, *runtime, *memory_svg_path);
  };
}

}  // namespace tinyscale::cli
