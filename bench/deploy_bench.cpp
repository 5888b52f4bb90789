// tinyscale's generated code on Cortex-M beside TensorFlow Lite Micro, measured in the same
// run: instructions per inference on QEMU's mps2-an500 (Cortex-M7) and mps2-an386
// (Cortex-M4), as ratios tflm / tinyscale, and RAM (tinyscale arena + stack against
// TFLite Micro's arena_used_bytes).
//
// Models: the MLPerf Tiny KWS DS-CNN and AD autoencoder (../shared/interop/tflite, their
// input_sine.bin) and two tinyscale exports written by `tinyscale export ... --tflite`
// (PhiNet, XiNet) on a fixed random input. Every model is the same .tflite file for both
// runtimes. Per model and core:
//   tinyscale: generate_package + build_qemu_firmware (deploy/), then
//     - run_qemu (-icount shift=0): the firmware's own SysTick count (40-instruction ticks),
//       its stack high-water mark and its outputs;
//     - ../shared/tools/tflm/cm/run_elf.sh --mark NAME_invoke --mark ts_counter_instructions:
//       the exact count of the TCG plugin that measure.sh uses, from NAME_invoke()'s entry to
//       the entry of the counter read main() calls right after it returns (NAME_invoke plus
//       its return and that call: a couple of instructions).
//   TensorFlow Lite Micro: ../shared/tools/tflm/cm/measure.sh MODEL INPUT m7|m4 ref|cmsis
//     (the plugin's count of Invoke(); arena_used_bytes; the outputs as output_hex).
// The outputs of tinyscale's firmware are compared with each TFLite Micro run's output_hex.
//
// A plain program, not a Google Benchmark: every figure comes from an external emulator
// run and is deterministic; the measurement is run by hand (minutes), ctest only checks
// that the program starts (--list).
//
//   build/bench/deploy_bench                 # all models, both cores
//   build/bench/deploy_bench --only kws      # one model
//   build/bench/deploy_bench --list          # the models, nothing run
//
// Needs arm-none-eabi-g++, qemu-system-arm, python3 and ../shared/tools/tflm.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "core/error.h"
#include "deploy/codegen.h"
#include "deploy/cortex_m.h"
#include "deploy/elf_sections.h"
#include "deploy/qemu_firmware.h"
#include "deploy/qemu_runner.h"
#include "engine/engine.h"
#include "export/tflite_reader.h"

namespace {

using namespace tinyscale;
namespace fs = std::filesystem;

struct Case {
  const char* name;
  const char* shared_model;  // under ../shared/interop/tflite, or nullptr: an export
  const char* export_args;   // `tinyscale export` arguments before --tflite
};

const Case kCases[] = {
    {"kws", "kws_ref_model", nullptr},
    {"ad", "ad01_int8", nullptr},
    {"phinet", nullptr, "phinet --input 3x96x96 --alpha 0.25 --include-top"},
    {"xinet", nullptr, "xinet --input 3x96x96 --alpha 0.5 --include-top --num-classes 10"},
};

struct Core {
  const char* short_name;  // m7, m4 (run_elf.sh, measure.sh)
  const char* target;      // cortex-m7, cortex-m4
};
const Core kCores[] = {{"m7", "cortex-m7"}, {"m4", "cortex-m4"}};

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Runs a shell command; its stdout (stderr goes to the terminal) and exit status.
std::string capture(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw Error("cannot run: " + command);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int rc = ::pclose(pipe);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::uint64_t json_number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\"\\s*:\\s*([0-9]+)")))
    throw Error("no \"" + key + "\" in: " + json);
  return std::stoull(m[1]);
}

std::string json_string(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"")))
    throw Error("no \"" + key + "\" in: " + json);
  return m[1];
}

struct TinyscaleFigures {
  std::uint64_t systick_instructions = 0;  // the firmware's SysTick count under -icount
  std::uint64_t exact_instructions = 0;    // the plugin's count (run_elf.sh)
  std::uint64_t stack_bytes = 0;
  std::uint64_t arena_bytes = 0;
  std::uint64_t data_bss_bytes = 0;  // the ELF's .data + .bss (the arena included)
  std::vector<std::uint8_t> output;
};

struct TflmFigures {
  std::uint64_t instructions = 0;
  std::uint64_t arena_used_bytes = 0;
  std::string output_hex;
};

// The plugin's count at the first pass over `addr` in a TSICOUNT line.
std::uint64_t first_pass(const std::string& console, const std::string& addr) {
  const auto at = console.find("TSICOUNT ");
  if (at == std::string::npos) throw Error("run_elf.sh printed no TSICOUNT line:\n" + console);
  const std::string line = console.substr(at, console.find('\n', at) - at);
  static const std::regex mark(
      "\"addr\"\\s*:\\s*\"(0x[0-9a-fA-F]+)\"\\s*,\\s*\"count\"\\s*:\\s*([0-9]+)");
  for (auto it = std::sregex_iterator(line.begin(), line.end(), mark); it != std::sregex_iterator();
       ++it) {
    if (std::stoull((*it)[1].str(), nullptr, 16) == std::stoull(addr, nullptr, 16))
      return std::stoull((*it)[2].str());
  }
  throw Error("no pass over " + addr + " in: " + line);
}

std::string symbol_address(const fs::path& elf, const std::string& symbol) {
  int status = 0;
  const std::string out =
      capture("arm-none-eabi-nm " + quoted(elf) + " | awk '$3==\"" + symbol + "\"{print $1; exit}'",
              &status);
  if (status != 0 || out.size() < 2) throw Error("symbol " + symbol + " not in " + elf.string());
  return "0x" + out.substr(0, out.find('\n'));
}

TinyscaleFigures measure_tinyscale(const engine::CompiledModel& model, const core::Graph& graph,
                                   const Core& core, const fs::path& input, const fs::path& dir,
                                   const fs::path& tools) {
  const std::string name = "bench_model";
  const deploy::CortexMTarget* target = deploy::find_cortex_m_target(core.target);
  deploy::generate_package(
      model, graph, {.name = name, .target = deploy::parse_target(core.target)}, dir / "pkg");
  const fs::path elf = deploy::build_qemu_firmware(dir / "pkg", name, *target, dir / "fw");

  TinyscaleFigures f;
  const deploy::QemuRun run =
      deploy::run_qemu(elf, target->qemu_machine, input, dir / "out.bin", std::chrono::minutes(20));
  if (run.exit_code != 0) throw Error(run.failure_text());
  f.systick_instructions = run.figure("instructions");
  f.stack_bytes = run.figure("stack_bytes");
  f.arena_bytes = run.figure("arena_bytes");
  f.output = read_bytes(dir / "out.bin");
  f.data_bss_bytes = deploy::elf_sections(elf).ram_bytes();

  // The exact count: the firmware reads input.bin from the directory QEMU runs in.
  const fs::path run_dir = dir / "exact";
  fs::create_directories(run_dir);
  fs::copy_file(input, run_dir / "input.bin", fs::copy_options::overwrite_existing);
  const std::string begin = symbol_address(elf, name + "_invoke");
  const std::string end = symbol_address(elf, "ts_counter_instructions");
  int status = 0;
  const std::string console =
      capture("cd " + quoted(run_dir) + " && " + quoted(tools / "run_elf.sh") + " " + quoted(elf) +
                  " " + core.short_name + " --mark " + begin + " --mark " + end + " --timeout 1200",
              &status);
  if (status != 0)
    throw Error("run_elf.sh failed (exit " + std::to_string(status) + "):\n" + console);
  f.exact_instructions = first_pass(console, end) - first_pass(console, begin);
  return f;
}

TflmFigures measure_tflm(const fs::path& tools, const fs::path& tflite, const fs::path& input,
                         const Core& core, const char* kernels) {
  int status = 0;
  const std::string json = capture(quoted(tools / "measure.sh") + " " + quoted(tflite) + " " +
                                       quoted(input) + " " + core.short_name + " " + kernels,
                                   &status);
  if (status != 0) throw Error("measure.sh failed (exit " + std::to_string(status) + "): " + json);
  return {json_number(json, "instructions"), json_number(json, "arena_used_bytes"),
          json_string(json, "output_hex")};
}

std::string with_commas(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

int run(int argc, char** argv) {
  std::string only;
  bool list = false;
  fs::path shared = TINYSCALE_SHARED_DIR;
  fs::path cli = TINYSCALE_CLI;
  fs::path work =
      fs::temp_directory_path() / ("tinyscale_deploy_bench_" + std::to_string(::getpid()));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--list") {
      list = true;
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--shared" && i + 1 < argc) {
      shared = argv[++i];
    } else if (a == "--tinyscale" && i + 1 < argc) {
      cli = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: deploy_bench [--list] [--only kws|ad|phinet|xinet] [--shared DIR] "
                   "[--tinyscale CLI]\n");
      return 1;
    }
  }
  if (list) {
    for (const Case& c : kCases) std::printf("%s\n", c.name);
    return 0;
  }
  const fs::path tools = shared / "tools" / "tflm" / "cm";
  if (!fs::exists(tools / "measure.sh")) {
    std::printf("skipped: %s is absent (the TensorFlow Lite Micro anchor tool)\n",
                (tools / "measure.sh").c_str());
    return 0;
  }
  fs::create_directories(work);

  int status = 0;
  std::string qemu = capture("qemu-system-arm --version 2>&1 | head -1", &status);
  if (!qemu.empty() && qemu.back() == '\n') qemu.pop_back();
  std::printf(
      "deploy_bench: instructions per inference under QEMU (%s), tinyscale generated code "
      "vs TensorFlow Lite Micro, same run.\n"
      "plugin: exact count of the TCG plugin of run_elf.sh/measure.sh (tinyscale: "
      "NAME_invoke entry to the counter read after it); SysTick: the firmware's own count "
      "under -icount (40-instruction ticks); ratios use the plugin counts.\n\n",
      qemu.c_str());
  std::printf(
      "| model | core | tinyscale (plugin) | tinyscale (SysTick) | TFLM ref | TFLM CMSIS-NN "
      "| ref / tinyscale | CMSIS-NN / tinyscale | tinyscale arena + stack | tinyscale .data+.bss + "
      "stack | TFLM arena_used ref / CMSIS | outputs equal |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  int mismatches = 0;
  for (const Case& c : kCases) {
    if (!only.empty() && only != c.name) continue;
    const fs::path dir = work / c.name;
    fs::create_directories(dir);
    fs::path tflite, input;
    if (c.shared_model != nullptr) {
      tflite = shared / "interop" / "tflite" / c.shared_model / "model.tflite";
      input = shared / "interop" / "tflite" / c.shared_model / "input_sine.bin";
    } else {
      tflite = dir / (std::string(c.name) + ".tflite");
      int status = 0;
      const std::string out = capture(
          quoted(cli) + " export " + c.export_args + " --tflite " + quoted(tflite) + " 2>&1",
          &status);
      if (status != 0) throw Error("tinyscale export failed:\n" + out);
    }
    const core::Graph graph = exporter::read_tflite(tflite.string());
    engine::CompiledModel model;
    char error[256] = "";
    if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok)
      throw Error(std::string(c.name) + ": " + error);
    if (c.shared_model == nullptr) {  // a fixed random input
      input = dir / "input.bin";
      std::vector<char> bytes;
      std::mt19937 rng(13);
      for (int i = 0; i < model.num_inputs(); ++i) {
        const auto n = core::num_elements(model.input(i).shape());
        for (std::int64_t k = 0; k < n; ++k) bytes.push_back(static_cast<char>(rng() & 0xFF));
      }
      std::ofstream(input, std::ios::binary)
          .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    for (const Core& core : kCores) {
      const TinyscaleFigures t =
          measure_tinyscale(model, graph, core, input, dir / core.short_name, tools);
      const TflmFigures ref = measure_tflm(tools, tflite, input, core, "ref");
      const TflmFigures cmsis = measure_tflm(tools, tflite, input, core, "cmsis");
      const std::string hex = to_hex(t.output);
      std::string equal = "yes";
      if (hex != ref.output_hex || hex != cmsis.output_hex) {
        ++mismatches;
        equal = std::string("NO (ref ") + (hex == ref.output_hex ? "equal" : "differs") +
                ", CMSIS-NN " + (hex == cmsis.output_hex ? "equal" : "differs") + ")";
        std::fprintf(stderr, "%s %s outputs:\n  tinyscale %s\n  TFLM ref  %s\n  TFLM cmsis %s\n",
                     c.name, core.short_name, hex.c_str(), ref.output_hex.c_str(),
                     cmsis.output_hex.c_str());
      }
      const double n = static_cast<double>(t.exact_instructions);
      std::printf(
          "| %s | %s | %s | %s | %s | %s | %.2fx | %.2fx | %s + %s = %s | %s + %s = %s | %s / %s | "
          "%s |\n",
          c.name, core.short_name, with_commas(t.exact_instructions).c_str(),
          with_commas(t.systick_instructions).c_str(), with_commas(ref.instructions).c_str(),
          with_commas(cmsis.instructions).c_str(), static_cast<double>(ref.instructions) / n,
          static_cast<double>(cmsis.instructions) / n, with_commas(t.arena_bytes).c_str(),
          with_commas(t.stack_bytes).c_str(), with_commas(t.arena_bytes + t.stack_bytes).c_str(),
          with_commas(t.data_bss_bytes).c_str(), with_commas(t.stack_bytes).c_str(),
          with_commas(t.data_bss_bytes + t.stack_bytes).c_str(),
          with_commas(ref.arena_used_bytes).c_str(), with_commas(cmsis.arena_used_bytes).c_str(),
          equal.c_str());
      std::fflush(stdout);
    }
  }
  fs::remove_all(work);
  return mismatches == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deploy_bench: %s\n", e.what());
    return 1;
  }
}
