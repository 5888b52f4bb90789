// `tinyscale deploy MODEL --target host|cortex-m4|cortex-m7|cortex-m33 -o DIR [--name NAME]`:
// generate the model's source package (deploy/codegen.h) from an int8 .tflite, or from a
// network given by family and net options as `export` takes them (`deploy phinet --alpha
// 0.25 --input 3x32x32 ...`: built with seed 0, initialized and quantized on seeded synthetic
// samples, as `export --tflite` does without --calib).
//
// `--board NAME` takes the core from the board (cortex-m7 for the NUCLEO-H743ZI2) and refuses,
// in one line before anything is written, a model whose arena exceeds the board's best RAM
// region. `--qemu` links the package into a QEMU firmware (deploy/qemu_firmware.h; cortex-m7
// on mps2-an500, cortex-m4 on mps2-an386, cortex-m3 on mps2-an385), runs it on --input (else
// --random SEED, as `run` fills inputs, seed 1), checks its outputs against the host engine's byte
// for byte, and reports instructions per inference, FLASH and RAM from the ELF and the painted
// stack, and a millisecond estimate at the board's (or the core's typical) clock.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli/board_regions.h"
#include "cli/commands.h"
#include "cli/model_loader.h"
#include "cli/options.h"
#include "cli/runtime_option.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/ops.h"
#include "costmodel/latency.h"
#include "costmodel/patches.h"
#include "deploy/codegen.h"
#include "deploy/cortex_m.h"
#include "deploy/elf_sections.h"
#include "deploy/qemu_firmware.h"
#include "deploy/qemu_runner.h"
#include "engine/deploy_size.h"
#include "engine/engine.h"
#include "export/data_init.h"
#include "export/quantizer.h"

namespace tinyscale::cli {
namespace {

struct DeployOptions {
  std::string model, target, output_dir, name;
  RegionOptions regions;
  bool qemu = false, json = false, profile = false;
  std::string input, input_file, output;
  std::optional<std::uint32_t> random;
  std::string patch = "off";
  std::optional<std::string> max_extra_macs;
};

bool is_family(const std::string& word) {
  return word == "phinet" || word == "xinet" || word == "yolo-phinet" || word == "yolo-xinet";
}

// The int8 graph of `family` + net options, as `export --tflite` makes it without --calib.
core::Graph build_quantized_net(const std::string& family, std::vector<std::string> extras) {
  CLI::App net_app;
  const std::shared_ptr<NetOptions> net = add_net_options(&net_app);
  std::vector<std::string> args = {family};
  args.insert(args.end(), extras.begin(), extras.end());
  std::reverse(args.begin(), args.end());  // CLI11 parses a vector from the back
  try {
    net_app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw Error("deploy " + family + ": " + e.what());
  }
  core::Graph graph = build_net(*net, {.materialize_weights = true, .seed = 0});
  const std::vector<std::vector<float>> calibration =
      is_detector(*net) ? exporter::synthetic_images(graph, 32, 1)
                        : exporter::synthetic_calibration(graph, 32, 1);
  std::fprintf(stderr,
               "tinyscale: warning: calibrating %s on 32 synthetic samples (export --tflite with "
               "--calib, then deploy the .tflite, for real data)\n",
               family.c_str());
  exporter::data_dependent_init(graph, calibration);
  return exporter::quantize(graph, calibration, {});
}

std::int64_t tensor_bytes(const core::Tensor& t) {
  return core::num_elements(t.shape) * core::dtype_size(t.dtype);
}

// A core's typical clock when no --board gives one (the fastest common parts).
struct TypicalClock {
  const char* core;
  double mhz;
  const char* part;
};
constexpr TypicalClock kTypicalClocks[] = {{"cortex-m7", 480, "STM32H743"},
                                           {"cortex-m4", 168, "STM32F407"},
                                           {"cortex-m33", 160, "STM32U585"},
                                           {"cortex-m3", 72, "STM32F103"},
                                           {"cortex-m0plus", 133, "RP2040"}};

// A fresh temporary folder, removed with everything in it when the guard goes.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tinyscale_deploy_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a temporary folder");
    path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// The inputs' bytes, concatenated in input order: the file's (its size must be their total),
// or seeded random values as `run --random SEED` makes them.
std::string input_bytes(const engine::CompiledModel& model, const DeployOptions& o) {
  std::int64_t total = 0;
  for (int i = 0; i < model.num_inputs(); ++i) total += tensor_bytes(*model.input(i).tensor);
  if (!o.input.empty()) {
    std::ifstream in(o.input, std::ios::binary);
    if (!in) throw Error("cannot open '" + o.input + "': " + std::strerror(errno));
    std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (static_cast<std::int64_t>(data.size()) != total) {
      throw Error("--input '" + o.input + "' holds " + std::to_string(data.size()) +
                  " bytes; the model's inputs need " + std::to_string(total));
    }
    return data;
  }
  std::string data;
  const std::uint32_t seed = o.random.value_or(1);
  for (int i = 0; i < model.num_inputs(); ++i) {
    const core::Tensor& t = *model.input(i).tensor;
    std::mt19937 rng(seed + static_cast<std::uint32_t>(i));
    const auto count = static_cast<std::size_t>(core::num_elements(t.shape));
    for (std::size_t k = 0; k < count; ++k) {
      switch (t.dtype) {
        case core::DType::int8:
          data.push_back(static_cast<char>(static_cast<int>(rng() % 256) - 128));
          break;
        case core::DType::int32: {
          const auto v = static_cast<std::int32_t>(rng());
          data.append(reinterpret_cast<const char*>(&v), sizeof v);
          break;
        }
        case core::DType::float32: {
          const float v = static_cast<float>(rng() >> 8) / static_cast<float>(1 << 23) - 1.0f;
          data.append(reinterpret_cast<const char*>(&v), sizeof v);
          break;
        }
      }
    }
  }
  return data;
}

double value_at(const core::Tensor& t, const char* data, std::size_t k) {
  switch (t.dtype) {
    case core::DType::int8:
      return static_cast<std::int8_t>(data[k]);
    case core::DType::int32: {
      std::int32_t v = 0;
      std::memcpy(&v, data + k * sizeof v, sizeof v);
      return v;
    }
    case core::DType::float32: {
      float v = 0;
      std::memcpy(&v, data + k * sizeof v, sizeof v);
      return v;
    }
  }
  return 0;
}

struct QemuFigures {
  std::string machine, input_text, board, clock_from;
  std::string output;  // the device's output bytes, concatenated
  double wall_seconds = 0, mhz = 0;
  std::uint64_t instructions = 0, stack_bytes = 0;
  std::uint64_t model_data = 0, code = 0, flash_total = 0, rodata = 0;
  std::uint64_t arena = 0, data_bss = 0;
  // With --patch: the outputs were also compared with the host engine running whole layers.
  bool whole_layers_compared = false;
  // The instruction model's figure for the package (costmodel/latency.h).
  double predicted = 0;
  // With --profile: each kernel call's instructions (the profiling hook's cost removed), and
  // the model's prediction for the call's node.
  struct Call {
    int node = -1;
    std::string function;
    costmodel::OpWork work;
    double instructions = 0, predicted = 0;
  };
  std::vector<Call> calls;
  std::uint64_t ram_total() const { return arena + data_bss + stack_bytes; }
  double ms() const { return static_cast<double>(instructions) / (mhz * 1000.0); }
};

void print_outputs(const engine::CompiledModel& model, const std::string& bytes) {
  std::size_t at = 0;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const core::Tensor& t = *model.output(i).tensor;
    const char* data = bytes.data() + at;
    at += static_cast<std::size_t>(tensor_bytes(t));
    const auto count = static_cast<std::size_t>(core::num_elements(t.shape));
    std::size_t best = 0;
    for (std::size_t k = 1; k < count; ++k)
      if (value_at(t, data, k) > value_at(t, data, best)) best = k;
    std::printf("output %d '%s' %s %s:", i, t.name.c_str(), core::shape_string(t.shape).c_str(),
                core::dtype_name(t.dtype));
    for (std::size_t k = 0; k < std::min<std::size_t>(count, 12); ++k)
      std::printf(" %g", value_at(t, data, k));
    if (count > 12) std::printf(" ...");
    double real = value_at(t, data, best);
    const core::Quantization& q = t.quantization;
    if (!q.empty() && t.dtype != core::DType::float32)
      real = (real - static_cast<double>(q.zero_points[0])) * q.scales[0];
    std::printf("\n  argmax %zu (value %g, real %.6g)\n", best, value_at(t, data, best), real);
  }
}

nlohmann::ordered_json outputs_json(const engine::CompiledModel& model, const std::string& bytes) {
  nlohmann::ordered_json outs = nlohmann::ordered_json::array();
  std::size_t at = 0;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const core::Tensor& t = *model.output(i).tensor;
    const char* data = bytes.data() + at;
    at += static_cast<std::size_t>(tensor_bytes(t));
    nlohmann::ordered_json jo = {
        {"name", t.name}, {"shape", t.shape}, {"dtype", core::dtype_name(t.dtype)}};
    if (!t.quantization.empty()) {
      jo["scale"] = t.quantization.scales;
      jo["zero_point"] = t.quantization.zero_points;
    }
    std::vector<double> values;
    const auto count = static_cast<std::size_t>(core::num_elements(t.shape));
    for (std::size_t k = 0; k < std::min<std::size_t>(count, 4096); ++k)
      values.push_back(value_at(t, data, k));
    jo["values"] = values;
    outs.push_back(jo);
  }
  return outs;
}

// Builds the package into a QEMU firmware, runs it on `input`, checks the outputs against
// the host engine's and collects the figures. The firmware's build folder is temporary.
QemuFigures run_on_qemu(engine::CompiledModel& model, const core::Graph& graph,
                        const deploy::PackageSummary& s, const deploy::CortexMTarget& target,
                        const DeployOptions& o, const std::string& input,
                        const std::optional<scaling::Budgets>& budgets) {
  const TempDir temp;
  const std::filesystem::path elf =
      deploy::build_qemu_firmware(o.output_dir, s.name, target, temp.path / "build");
  core::write_file_atomically((temp.path / "input.bin").string(), input);
  const deploy::QemuRun run = deploy::run_qemu(elf, target.qemu_machine, temp.path / "input.bin",
                                               temp.path / "output.bin", std::chrono::minutes(10));
  if (run.exit_code != 0) throw Error("the firmware under QEMU: " + run.failure_text());
  QemuFigures f;
  f.machine = std::string(target.qemu_machine);
  f.wall_seconds = run.wall_seconds;
  f.instructions = run.figure("instructions");
  f.stack_bytes = run.figure("stack_bytes");
  {
    std::ifstream in(temp.path / "output.bin", std::ios::binary);
    f.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // The host engine on the same input.
  std::size_t at = 0;
  for (int i = 0; i < model.num_inputs(); ++i) {
    const auto n = static_cast<std::size_t>(tensor_bytes(*model.input(i).tensor));
    std::memcpy(model.input(i).data, input.data() + at, n);
    at += n;
  }
  const engine::Status status = model.run();
  if (status != engine::Status::ok)
    throw Error(o.model + ": host run failed: " + engine::status_name(status));
  std::string host;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const engine::TensorRef& out = model.output(i);
    host.append(static_cast<const char*>(out.data),
                static_cast<std::size_t>(tensor_bytes(*out.tensor)));
  }
  if (f.output.size() != host.size()) {
    throw Error("the firmware wrote " + std::to_string(f.output.size()) +
                " output bytes; the host engine's outputs are " + std::to_string(host.size()));
  }
  const auto diff = std::mismatch(host.begin(), host.end(), f.output.begin());
  if (diff.first != host.end()) {
    const auto k = diff.first - host.begin();
    throw Error(
        "outputs differ from the host engine: first at byte " + std::to_string(k) + " (device " +
        std::to_string(static_cast<int>(static_cast<std::int8_t>(*diff.second))) + ", host " +
        std::to_string(static_cast<int>(static_cast<std::int8_t>(*diff.first))) + ")");
  }

  // The instruction model's prediction, per node of the package's graph.
  // (None for a core without a fitted model: the M3 runs the reference kernels.)
  const costmodel::InstructionModel* im = costmodel::instruction_model(target.name);
  const std::vector<costmodel::OpWork> work = costmodel::op_work(graph, s.fused_multiply_into);
  if (im != nullptr) {
    for (const costmodel::OpWork& w : work)
      f.predicted += costmodel::predicted_instructions(w, *im);
  }
  if (o.profile) {
    // A second firmware whose model.cpp records the counter after each call.
    const std::filesystem::path pelf = deploy::build_qemu_firmware(
        o.output_dir, s.name, target, temp.path / "profile", /*profile=*/true);
    const deploy::QemuRun prun =
        deploy::run_qemu(pelf, target.qemu_machine, temp.path / "input.bin",
                         temp.path / "profile_output.bin", std::chrono::minutes(10));
    if (prun.exit_code != 0)
      throw Error("the profiling firmware under QEMU: " + prun.failure_text());
    const double hook = static_cast<double>(prun.figure("profile_hook_x256")) / 256.0;
    const auto n = static_cast<std::size_t>(prun.figure("profile_calls"));
    if (n != s.call_list.size()) {
      throw Error("the profiling firmware recorded " + std::to_string(n) +
                  " calls; the package has " + std::to_string(s.call_list.size()));
    }
    double previous = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const auto done = static_cast<double>(prun.figure("call" + std::to_string(k)));
      QemuFigures::Call c;
      c.node = s.call_list[k].node;
      c.function = s.call_list[k].function;
      c.work = work[static_cast<std::size_t>(c.node)];
      c.instructions = std::max(0.0, done - previous - hook);
      c.predicted = im != nullptr ? costmodel::predicted_instructions(c.work, *im) : 0.0;
      previous = done;
      f.calls.push_back(std::move(c));
    }
  }

  const deploy::ElfSections sections = deploy::elf_sections(elf);
  f.model_data = static_cast<std::uint64_t>(s.model_data_bytes);
  f.code = sections.size_of(".text");
  f.rodata = sections.size_of(".rodata");
  f.flash_total = sections.flash_bytes();
  f.arena = static_cast<std::uint64_t>(s.arena_bytes);
  f.data_bss = sections.ram_bytes() - std::min<std::uint64_t>(sections.ram_bytes(), f.arena);
  if (budgets) {
    f.mhz = budgets->board_mhz;
    f.clock_from = budgets->board + "'s clock";
  } else {
    for (const TypicalClock& c : kTypicalClocks) {
      if (c.core == target.name) {
        f.mhz = c.mhz;
        f.clock_from =
            std::string("a typical ") + c.core + ", " + c.part + "; --board gives a board's";
      }
    }
  }
  f.input_text = o.input.empty() ? "random seed " + std::to_string(o.random.value_or(1)) : o.input;
  return f;
}

// --profile's table: each call's measured instructions against the model's.
void print_profile(const engine::CompiledModel& model, const QemuFigures& f) {
  std::printf(
      "per call (--profile: each call's instructions, the profiling hook's removed; "
      "predicted by the model):\n");
  std::printf("  %4s %5s %-16s %-24s %12s %12s %12s %7s\n", "call", "node", "op", "kernel", "MACs",
              "measured", "predicted", "diff");
  for (std::size_t k = 0; k < f.calls.size(); ++k) {
    const QemuFigures::Call& c = f.calls[k];
    const core::Node& node = model.graph().nodes[static_cast<std::size_t>(c.node)];
    std::printf("  %4zu %5d %-16s %-24s %12s %12s %12s %+6.1f%%\n", k, c.node,
                core::op_name(node.op), c.function.c_str(),
                group_digits(std::llround(c.work.macs)).c_str(),
                group_digits(std::llround(c.instructions)).c_str(),
                group_digits(std::llround(c.predicted)).c_str(),
                c.instructions > 0 ? 100.0 * (c.predicted / c.instructions - 1.0) : 0.0);
  }
}

void report_qemu(const engine::CompiledModel& model, const deploy::PackageSummary& s,
                 const deploy::CortexMTarget& target, const QemuFigures& f,
                 const std::optional<scaling::Budgets>& budgets, const DeployOptions& o) {
  const std::string NAME = [&] {
    std::string n = s.name;
    for (char& c : n) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return n;
  }();
  const std::string data_bss_includes =
      "firmware included: everything but the arena, i.e. the firmware's startup, semihosting "
      "and counter state and newlib's";
  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = o.model;
    j["target"] = std::string(target.name);
    j["package"] = o.output_dir;
    j["name"] = s.name;
    j["qemu_machine"] = f.machine;
    j["input"] = f.input_text;
    j["outputs"] = outputs_json(model, f.output);
    j["byte_identical_to_host"] = true;
    if (f.whole_layers_compared) j["byte_identical_to_whole_layers"] = true;
    j["instructions"] = {
        {"per_inference", f.instructions},
        {"granularity", 40},
        {"method",
         "SysTick under qemu -icount shift=0: exact and deterministic, counted in "
         "steps of 40 instructions"},
        {"predicted", f.predicted > 0 ? nlohmann::ordered_json(std::llround(f.predicted))
                                      : nlohmann::ordered_json(nullptr)},
        {"predicted_by", "the per-op instruction model (costmodel/latency.h)"}};
    if (o.profile) {
      nlohmann::ordered_json calls = nlohmann::ordered_json::array();
      for (std::size_t k = 0; k < f.calls.size(); ++k) {
        const QemuFigures::Call& c = f.calls[k];
        const core::Node& node = model.graph().nodes[static_cast<std::size_t>(c.node)];
        calls.push_back({{"call", k},
                         {"node", c.node},
                         {"name", node.name},
                         {"op", core::op_name(node.op)},
                         {"function", c.function},
                         {"class", costmodel::op_class_name(c.work.op_class)},
                         {"macs", std::llround(c.work.macs)},
                         {"outputs", std::llround(c.work.outputs)},
                         {"pixels", std::llround(c.work.pixels)},
                         {"scalar_macs", std::llround(c.work.scalar_macs)},
                         {"fused_outputs", std::llround(c.work.fused_outputs)},
                         {"channels", std::llround(c.work.channels)},
                         {"fused_products", std::llround(c.work.fused_products)},
                         {"instructions", std::llround(c.instructions)},
                         {"predicted", std::llround(c.predicted)}});
      }
      j["profile"] = calls;
    }
    j["flash"] = {{"model_data_bytes", f.model_data},
                  {"model_data_is", NAME + "_MODEL_DATA_BYTES (the .rodata of " + s.name + ".cpp)"},
                  {"code_bytes", f.code},
                  {"rodata_bytes", f.rodata},
                  {"total_bytes", f.flash_total}};
    j["ram"] = {{"arena_bytes", f.arena},
                {"data_bss_bytes", f.data_bss},
                {"data_bss_includes", data_bss_includes},
                {"stack_bytes", f.stack_bytes},
                {"stack_is", "high-water mark of main and " + s.name + "_invoke(), painted"},
                {"total_bytes", f.ram_total()}};
    j["estimate"] = {{"ms", f.ms()},
                     {"mhz", f.mhz},
                     {"clock", f.clock_from},
                     {"label", "estimate (instructions / MHz, 1 instruction per cycle)"}};
    if (budgets) {
      j["board"] = {
          {"name", budgets->board},
          {"flash_budget_bytes", budgets->flash_bytes},
          {"ram_budget_bytes", budgets->ram_bytes},
          {"ram_region",
           budgets->ram_regions.empty()
               ? std::string("RAM")
               : budgets->ram_regions[static_cast<std::size_t>(budgets->ram_region)].name}};
    }
    j["qemu_wall_seconds"] = f.wall_seconds;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("QEMU %s (%s), input %s, %.2f s:\n", f.machine.c_str(),
              std::string(target.name).c_str(), f.input_text.c_str(), f.wall_seconds);
  print_outputs(model, f.output);
  std::printf("outputs: byte-identical to the host engine (%s bytes)%s\n",
              group_digits(static_cast<std::int64_t>(f.output.size())).c_str(),
              f.whole_layers_compared ? ", patched and with whole layers" : "");
  std::printf(
      "instructions per inference: %s (exact: SysTick under -icount shift=0, counted in "
      "steps of 40 instructions)\n",
      group_digits(static_cast<std::int64_t>(f.instructions)).c_str());
  if (f.predicted > 0) {
    std::printf(
        "predicted by the per-op instruction model (costmodel/latency.h): %s (%+.1f%%)\n",
        group_digits(std::llround(f.predicted)).c_str(),
        f.instructions ? 100.0 * (f.predicted / static_cast<double>(f.instructions) - 1.0) : 0.0);
  } else {
    std::printf("predicted: no instruction model for %s (fitted for cortex-m7 and cortex-m4)\n",
                std::string(target.name).c_str());
  }
  if (o.profile) print_profile(model, f);
  const auto g = [](std::uint64_t v) { return group_digits(static_cast<std::int64_t>(v)); };
  std::printf(
      "FLASH %s B: model data %s B (%s_MODEL_DATA_BYTES, the .rodata of %s.cpp), code %s B "
      "(.text), the rest vectors, other constants and the .data image\n",
      g(f.flash_total).c_str(), g(f.model_data).c_str(), NAME.c_str(), s.name.c_str(),
      g(f.code).c_str());
  std::printf(
      "RAM %s B: arena %s B, .data + .bss %s B (%s), stack %s B (high-water mark, "
      "painted)\n",
      g(f.ram_total()).c_str(), g(f.arena).c_str(), g(f.data_bss).c_str(),
      data_bss_includes.c_str(), g(f.stack_bytes).c_str());
  std::printf(
      "%.3f ms per inference at %g MHz (%s): estimate (instructions / MHz, 1 instruction "
      "per cycle)\n",
      f.ms(), f.mhz, f.clock_from.c_str());
  if (budgets) {
    const std::string region =
        budgets->ram_regions.empty()
            ? "RAM"
            : budgets->ram_regions[static_cast<std::size_t>(budgets->ram_region)].name;
    std::printf("board %s: FLASH %s B of %s B budget; RAM %s B of %s B budget (%s)\n",
                budgets->board.c_str(), g(f.flash_total).c_str(),
                group_digits(budgets->flash_bytes).c_str(), g(f.ram_total()).c_str(),
                group_digits(budgets->ram_bytes).c_str(), region.c_str());
  }
}

void deploy_model(DeployOptions o, const std::vector<std::string>& extras) {
  const std::optional<scaling::Budgets> budgets = o.regions.budgets();
  std::string target_text = o.target;
  if (budgets) {
    if (target_text.empty()) {
      target_text = budgets->core;
    } else if (target_text != budgets->core) {
      throw Error("--target " + target_text + " but board " + budgets->board + " has a " +
                  budgets->core);
    }
  }
  if (target_text.empty()) target_text = "host";
  deploy::Target target = deploy::Target::host;
  try {
    target = deploy::parse_target(target_text);
  } catch (const Error& e) {
    if (!budgets) throw;
    throw Error("board " + budgets->board + ": " + e.what());
  }
  const deploy::CortexMTarget* cortex_m = deploy::find_cortex_m_target(target_text);
  if (o.qemu && (cortex_m == nullptr || cortex_m->qemu_machine.empty())) {
    throw Error("no QEMU machine for " + target_text +
                " here (--qemu runs cortex-m7 on mps2-an500, cortex-m4 on mps2-an386, cortex-m3 on "
                "mps2-an385)");
  }
  // A network given by net options takes --input as its shape (CxHxW, as `net` and `export`
  // do); its tensor file then comes with --input-file.
  std::vector<std::string> net_args = extras;
  if (is_family(o.model) && !o.input.empty()) {
    net_args.insert(net_args.begin(), {"--input", o.input});
    o.input.clear();
  }
  if (!o.input_file.empty()) {
    if (!o.input.empty()) throw Error("give --input FILE or --input-file FILE, not both");
    o.input = o.input_file;
  }
  if (!o.qemu && (!o.input.empty() || o.random || !o.output.empty() || o.json || o.profile))
    throw Error("--input, --random, --output, --json and --profile go with --qemu");
  if (!o.input.empty() && o.random) throw Error("give --input FILE or --random SEED, not both");
  if (!is_family(o.model) && !extras.empty()) {
    throw Error("deploy " + o.model + ": unexpected argument '" + extras[0] + "'");
  }
  const costmodel::PatchOption patch = patch_option_of(o.patch, o.max_extra_macs);
  const core::Graph whole =
      is_family(o.model) ? build_quantized_net(o.model, net_args) : load_model(o.model);
  // With --patch, the package runs the patched graph (core/patch.h); the choice is made for
  // the generated code's RAM (its arena: the kernel state is const data in FLASH).
  const core::PatchedGraph patched = costmodel::patch_graph(whole, patch);
  const core::Graph& graph = patched.graph;
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    throw Error(o.model + ": " + error);
  }
  // The package's arena is the engine's activation arena (no kernel state or runtime
  // structures on the device: their data is const, in FLASH).
  const std::int64_t arena = model.ram().activation_arena;
  if (budgets && arena > budgets->ram_bytes) {
    const std::string region =
        budgets->ram_regions.empty()
            ? "RAM"
            : budgets->ram_regions[static_cast<std::size_t>(budgets->ram_region)].name;
    throw Error(o.model + ": arena " + group_digits(arena) + " B exceeds board " + budgets->board +
                "'s best RAM region (" + region + ", " + group_digits(budgets->ram_bytes) +
                " B for the model)");
  }
  const std::string input = o.qemu ? input_bytes(model, o) : std::string();
  std::string name = o.name;
  if (name.empty()) name = std::filesystem::path(o.model).stem().string();
  std::string command = "tinyscale deploy " + o.model;
  for (const std::string& e : net_args) command += " " + e;
  command += " --target " + target_text + " -o " + o.output_dir;
  if (!o.name.empty()) command += " --name " + o.name;
  if (patch.enabled()) command += " --patch " + o.patch;
  if (o.max_extra_macs) command += " --max-extra-macs " + *o.max_extra_macs;
  const deploy::PackageSummary s = deploy::generate_package(
      model, graph, {.name = name, .target = target, .command_line = command}, o.output_dir);
  // With --json, stdout is the JSON document alone.
  std::FILE* text = o.json ? stderr : stdout;
  std::fprintf(text, "%s: %s package '%s' in %s\n", o.model.c_str(), deploy::target_name(target),
               s.name.c_str(), o.output_dir.c_str());
  std::fprintf(text, "  arena %lld bytes (RAM), model data %lld bytes (FLASH), %zu layers\n",
               static_cast<long long>(s.arena_bytes), static_cast<long long>(s.model_data_bytes),
               graph.nodes.size());
  // Each kernel's code, as measured for the core (engine/deploy_size.cpp: the M4's figures for
  // the M33, which runs the same DSP code; none for the host or the M3/M0+).
  const bool sized = target == deploy::Target::cortex_m7 || target == deploy::Target::cortex_m4 ||
                     target == deploy::Target::cortex_m33;
  const engine::DeviceCore size_core = target == deploy::Target::cortex_m7
                                           ? engine::DeviceCore::cortex_m7
                                           : engine::DeviceCore::cortex_m4;
  std::fprintf(text, sized ? "  kernels (code bytes):" : "  kernels:");
  for (const std::string& k : s.kernels) {
    engine::DeviceKernelSize size;
    if (sized && engine::device_kernel_size(k, size_core, &size)) {
      std::fprintf(text, " %s %s", k.c_str(), group_digits(size.code_bytes).c_str());
    } else {
      std::fprintf(text, " %s", k.c_str());
    }
  }
  std::fprintf(text, "\n  files:");
  for (const std::string& f : s.files) std::fprintf(text, " %s", f.c_str());
  std::fprintf(text, "\n");
  if (patch.enabled()) {
    if (patched.choice.enabled()) {
      std::fprintf(text,
                   "  patches: the first %d layers in %dx%d patches (%s MACs recomputed in the "
                   "halos, %s executed)\n",
                   patched.choice.layers, patched.choice.grid, patched.choice.grid,
                   group_digits(patched.macs - patched.plain_macs).c_str(),
                   group_digits(patched.macs).c_str());
    } else {
      std::fprintf(text, "  patches: none beats whole layers\n");
    }
  }
  if (!o.qemu) return;
  std::fflush(text);
  QemuFigures f = run_on_qemu(model, graph, s, *cortex_m, o, input, budgets);
  if (patched.choice.enabled()) {
    // The patched device against the host engine running the whole layers: bit-identical.
    engine::CompiledModel plain;
    if (plain.compile(whole, {}, error, sizeof error) != engine::Status::ok) {
      throw Error(o.model + ": " + error);
    }
    std::size_t at = 0;
    for (int i = 0; i < plain.num_inputs(); ++i) {
      const auto n = static_cast<std::size_t>(tensor_bytes(*plain.input(i).tensor));
      std::memcpy(plain.input(i).data, input.data() + at, n);
      at += n;
    }
    if (plain.run() != engine::Status::ok) throw Error(o.model + ": host run failed");
    std::string host;
    for (int i = 0; i < plain.num_outputs(); ++i) {
      host.append(static_cast<const char*>(plain.output(i).data),
                  static_cast<std::size_t>(tensor_bytes(*plain.output(i).tensor)));
    }
    if (host != f.output) {
      throw Error("the patched firmware's outputs differ from the host engine's with whole layers");
    }
    f.whole_layers_compared = true;
  }
  if (!o.output.empty()) core::write_file_atomically(o.output, f.output);
  report_qemu(model, s, *cortex_m, f, budgets, o);
}

}  // namespace

Command add_deploy_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "deploy",
      "Generate C++ source for a model: const weights, a static arena, one kernel call "
      "per layer (a static library for a Cortex-M firmware or the host)");
  auto o = std::make_shared<DeployOptions>();
  cmd->add_option("model", o->model,
                  "Model file (an int8 .tflite), or a family (phinet, xinet, yolo-phinet, "
                  "yolo-xinet) followed by net options")
      ->required();
  cmd->add_option("--target", o->target,
                  "host, cortex-m4, cortex-m7, cortex-m33 (fast DSP kernels), cortex-m3 or "
                  "cortex-m0plus (reference kernels) (default: the --board's core, else host)");
  cmd->add_option("-o,--output-dir", o->output_dir, "Directory to write the package into")
      ->required();
  cmd->add_option("--name", o->name,
                  "C identifier prefix of the generated code (default: the model file's stem)");
  cmd->add_option("--board", o->regions.board,
                  "The board: its core is the target, and the arena must fit its best RAM region");
  cmd->add_option("--boards-file", o->regions.boards_file,
                  "Extra boards (JSON, same format as data/boards.json)");
  cmd->add_flag("--qemu", o->qemu,
                "Build the package into a firmware, run it under QEMU (cortex-m7: mps2-an500, "
                "cortex-m4: mps2-an386, cortex-m3: mps2-an385), compare with the host engine, "
                "report instructions, "
                "FLASH and RAM");
  cmd->add_option("--input", o->input,
                  "With --qemu and a model file: raw input bytes (the inputs concatenated), as "
                  "`run --input`; with a family: the input shape CxHxW, as `net --input`");
  cmd->add_option("--input-file", o->input_file,
                  "With --qemu: raw input bytes, whatever the model (for a family, whose --input "
                  "is its shape)");
  cmd->add_option("--random", o->random,
                  "With --qemu: seeded random input, as `run --random` (default seed 1)");
  cmd->add_option("--output", o->output, "With --qemu: write the device's output bytes here");
  cmd->add_flag("--json", o->json, "With --qemu: print the report as JSON");
  cmd->add_flag("--profile", o->profile,
                "With --qemu: also run a firmware that times every kernel call, and print "
                "each call's instructions against the instruction model's");
  add_patch_options(cmd, &o->patch, &o->max_extra_macs);
  cmd->allow_extras();
  return [cmd, o] { deploy_model(*o, cmd->remaining()); };
}

}  // namespace tinyscale::cli
