// deploy::generated_code_size and `--runtime tinyscale` in the cost model against the code
// generator and the firmware ELF: the cost model's arena equals NAME_ARENA_BYTES, its model
// data equals NAME_MODEL_DATA_BYTES and NAME.cpp's read-only data in the linked ELF, and its
// FLASH (model data + kernel code + invoke code, engine/deploy_size.h's measured tables) is
// within 2 % of the ELF's model part (NAME.cpp and the kernels' objects, after
// --gc-sections, from the linker's map). The MLPerf models skip without ../shared; the ELF
// checks skip without the cross compiler.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/passes.h"
#include "costmodel/costmodel.h"
#include "deploy/codegen.h"
#include "deploy/cortex_m.h"
#include "deploy/qemu_firmware.h"
#include "deploy/qemu_runner.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "nets/yolo.h"
#include "tests/deploy/firmware_build.h"

namespace tinyscale::deploy {
namespace {

namespace fs = std::filesystem;

struct ModelCase {
  const char* name;
  bool needs_shared;
  // The graph the cost model is given (the float network for an export) and the int8
  // graph the package is generated from.
  core::Graph cost_graph;
  core::Graph int8_graph;
};

nets::PhiNetConfig small_phinet() {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.alpha = 0.25;
  c.num_layers = 4;
  c.downsampling_layers = {2};
  c.include_top = true;
  return c;
}

bool load_case(const std::string& name, ModelCase* c) {
  if (name == "phinet") {
    core::Graph f = nets::build_phinet(small_phinet(), {.materialize_weights = true, .seed = 8});
    c->int8_graph = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 1), {});
    c->cost_graph = std::move(f);
    return true;
  }
  if (name == "xinet" || name == "yolo_phinet") {
    core::Graph f;
    if (name == "xinet") {
      nets::XiNetConfig x;
      x.input = {3, 32, 32};
      x.alpha = 0.25;
      x.num_layers = 4;
      x.include_top = true;
      x.num_classes = 10;
      f = nets::build_xinet(x, {.materialize_weights = true, .seed = 9});
    } else {
      nets::YoloConfig y;
      y.input = {3, 64, 64};
      y.phinet.alpha = 0.25;
      y.num_classes = 3;
      y.depth_multiple = 1.0 / 3.0;
      f = nets::build_yolo(y, {.materialize_weights = true, .seed = 10});
    }
    c->int8_graph = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 1), {});
    c->cost_graph = std::move(f);
    return true;
  }
  const std::string path =
      std::string(TINYSCALE_SHARED_DIR) + "/interop/tflite/" + name + "/model.tflite";
  if (!fs::exists(path)) return false;
  c->int8_graph = exporter::read_tflite(path);
  c->cost_graph = c->int8_graph;
  return true;
}

fs::path temp_dir(const std::string& name) {
  std::string pattern =
      (fs::temp_directory_path() / ("tinyscale-gcs-" + name + "-XXXXXX")).string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The bytes of .text* and .rodata* input sections the linker kept, per object file, from a
// GNU ld map (after "Linker script and memory map"; a long section name puts its address,
// size and file on the next line).
std::map<std::string, std::int64_t> kept_bytes_by_object(const fs::path& map_file) {
  std::map<std::string, std::int64_t> bytes;
  std::istringstream in(read_text(map_file));
  std::string line;
  bool in_map = false;
  std::string pending;
  while (std::getline(in, line)) {
    if (!in_map) {
      in_map = line.rfind("Linker script and memory map", 0) == 0;
      continue;
    }
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    std::string section;
    std::size_t at = 0;
    if (line.size() > 1 && line[0] == ' ' && line[1] == '.') {
      section = f[0];
      at = 1;
      if (f.size() == 1) {
        pending = section;
        continue;
      }
    } else if (!pending.empty() && !f.empty() && f[0].rfind("0x", 0) == 0) {
      section = pending;
      at = 0;
    }
    pending.clear();
    if (section.empty() || f.size() < at + 3) continue;
    if (section.rfind(".text", 0) != 0 && section.rfind(".rodata", 0) != 0) continue;
    const std::string& object = f[at + 2];
    if (object.size() < 2 || object.substr(object.size() - 2) != ".o") continue;
    bytes[fs::path(object).filename().string()] += std::stoll(f[at + 1], nullptr, 16);
  }
  return bytes;
}

struct Case {
  const char* model;
  const char* target;  // "cortex-m7" or "cortex-m4"
};

class GeneratedCodeSize : public ::testing::TestWithParam<Case> {};

TEST_P(GeneratedCodeSize, CostModelEqualsThePackageAndTheElf) {
  const std::string name = GetParam().model;
  const std::string target = GetParam().target;
  const bool m4 = target == "cortex-m4";
  ModelCase c;
  if (!load_case(name, &c)) {
    GTEST_SKIP() << "no ../shared/interop/tflite/" << name << " (the MLPerf fixtures)";
  }
  const costmodel::CostReport report = costmodel::analyze(
      c.cost_graph,
      {.runtime = costmodel::Runtime::tinyscale,
       .generated_code_size = generated_code_size,
       .tinyscale_core = m4 ? engine::DeviceCore::cortex_m4 : engine::DeviceCore::cortex_m7});
  EXPECT_EQ(report.runtime, costmodel::Runtime::tinyscale);

  engine::CompiledModel model;
  char error[512] = "";
  ASSERT_EQ(model.compile(c.int8_graph, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path dir = temp_dir(name);
  const PackageSummary s = generate_package(
      model, c.int8_graph, {.name = "m", .target = m4 ? Target::cortex_m4 : Target::cortex_m7},
      dir / "pkg");
  const PackageSummary summary = summarize_package(
      model, c.int8_graph, {.name = "m", .target = m4 ? Target::cortex_m4 : Target::cortex_m7});

  // The cost model's figures are the generated code's, to the byte.
  EXPECT_EQ(report.tinyscale.arena_bytes, s.arena_bytes);
  EXPECT_EQ(report.tinyscale.model_data_bytes, s.model_data_bytes);
  EXPECT_EQ(summary.model_data_bytes, s.model_data_bytes);
  EXPECT_EQ(summary.arena_bytes, s.arena_bytes);
  EXPECT_EQ(summary.kernels, s.kernels);
  EXPECT_TRUE(summary.files.empty());
  EXPECT_NE(read_text(dir / "pkg" / "m.h")
                .find("#define M_MODEL_DATA_BYTES " + std::to_string(s.model_data_bytes) + "\n"),
            std::string::npos);
  EXPECT_EQ(report.flash_bytes, report.tinyscale.flash_bytes());
  EXPECT_EQ(report.ram_bytes, s.arena_bytes + report.tinyscale.stack_bytes);
  EXPECT_TRUE(report.tinyscale.unknown_kernels.empty());

  if (!testing::cross_tools_present()) {
    fs::remove_all(dir);
    GTEST_SKIP() << "no arm-none-eabi-gcc / qemu-system-arm: the ELF checks need them";
  }
  const CortexMTarget& m7 = *find_cortex_m_target(target);  // the case's core
  const fs::path build = dir / "fw";
  const fs::path elf = build_qemu_firmware(dir / "pkg", "m", m7, build);
  ASSERT_TRUE(fs::exists(elf));
  // Link the same objects again with a map (the firmware build keeps no map).
  std::string link = "arm-none-eabi-g++ " + std::string(m7.gcc_flags) +
                     " -nostartfiles -Wl,--gc-sections -T" +
                     (firmware_dir() / m7.linker_script).string();
  std::set<std::string> model_objects;
  for (const auto& entry : fs::directory_iterator(build)) {
    if (entry.path().extension() != ".o") continue;
    link += " " + entry.path().string();
    // Objects are "<index>_<stem>.o": the model's are m.cpp and the kernels.
    const std::string file = entry.path().filename().string();
    const std::string stem = file.substr(file.find('_') + 1, file.size() - file.find('_') - 3);
    if (stem == "m" || std::find(s.kernels.begin(), s.kernels.end(), stem) != s.kernels.end())
      model_objects.insert(file);
  }
  link += " -Wl,-Map=" + (build / "m.map").string() + " -o " + (build / "m_map.elf").string() +
          " >" + (build / "map.log").string() + " 2>&1";
  ASSERT_EQ(std::system(link.c_str()), 0) << read_text(build / "map.log");
  EXPECT_EQ(model_objects.size(), s.kernels.size() + 1);
  const std::map<std::string, std::int64_t> kept = kept_bytes_by_object(build / "m.map");
  std::int64_t elf_model = 0;
  for (const std::string& object : model_objects) {
    const auto found = kept.find(object);
    if (found != kept.end()) elf_model += found->second;
  }

  // NAME.cpp's read-only data in the ELF: its rodata symbols but the I/O tables.
  const std::string nm = "arm-none-eabi-nm -S " + (build / "m_map.elf").string() + " >" +
                         (build / "symbols.txt").string();
  ASSERT_EQ(std::system(nm.c_str()), 0);
  std::istringstream symbols(read_text(build / "symbols.txt"));
  std::int64_t model_rodata = 0;
  for (std::string line; std::getline(symbols, line);) {
    std::istringstream fields(line);
    std::string address, size, kind, symbol;
    if (!(fields >> address >> size >> kind >> symbol)) continue;
    if ((kind == "r" || kind == "R") && symbol.rfind("_ZN12_GLOBAL__N_1L", 0) == 0 &&
        symbol.find("kInputs") == std::string::npos &&
        symbol.find("kOutputs") == std::string::npos) {
      model_rodata += std::stoll(size, nullptr, 16);
    }
  }
  EXPECT_EQ(model_rodata, report.tinyscale.model_data_bytes);

  // The stack bound against QEMU's painted stack: the firmware reports main's frame (32 B,
  // -fstack-usage of the QEMU firmware's main on cortex-m7 and -m4) plus everything invoke called;
  // 8 B of slack for the AAPCS 8-byte stack alignment at calls (the autoencoder measures
  // 140 B = main 32 + invoke 32 + fully_connected 72 + 4).
  const std::int64_t input_bytes = [&] {
    std::int64_t n = 0;
    for (const int id : c.int8_graph.inputs) {
      const core::Tensor& t = c.int8_graph.tensor(id);
      n += core::num_elements(t.shape) * core::dtype_size(t.dtype);
    }
    return n;
  }();
  std::ofstream(build / "in.bin", std::ios::binary)
      << std::string(static_cast<std::size_t>(input_bytes), '\0');
  const QemuRun run = run_qemu(elf, m7.qemu_machine, build / "in.bin", build / "out.bin",
                               std::chrono::seconds(120));
  ASSERT_EQ(run.exit_code, 0) << run.failure_text();
  const auto painted = static_cast<std::int64_t>(run.figure("stack_bytes"));
  constexpr std::int64_t kFirmwareMainFrame = 32;
  EXPECT_LE(painted, kFirmwareMainFrame + report.tinyscale.stack_bytes + 8)
      << "the measured stack exceeds the bound (engine/deploy_size.cpp)";

  const double predicted = static_cast<double>(report.flash_bytes);
  EXPECT_NEAR(predicted, static_cast<double>(elf_model), 0.02 * static_cast<double>(elf_model))
      << "model data + kernel code + invoke code in the ELF";
  std::printf(
      "  %s on %s: FLASH predicted %lld B (data %lld, kernels %lld, invoke %lld), "
      "ELF model part %lld B (%+.2f %%); model data in the ELF %lld B; arena %lld B, "
      "stack bound %lld B (QEMU painted stack %lld B, with main's frame); kernels:%s\n",
      name.c_str(), target.c_str(), static_cast<long long>(report.flash_bytes),
      static_cast<long long>(report.tinyscale.model_data_bytes),
      static_cast<long long>(report.tinyscale.kernel_code_bytes),
      static_cast<long long>(report.tinyscale.invoke_code_bytes), static_cast<long long>(elf_model),
      100.0 * (predicted - static_cast<double>(elf_model)) / static_cast<double>(elf_model),
      static_cast<long long>(model_rodata), static_cast<long long>(report.tinyscale.arena_bytes),
      static_cast<long long>(report.tinyscale.stack_bytes), static_cast<long long>(painted),
      [&] {
        std::string list;
        for (const std::string& k : s.kernels) list += " " + k;
        return list;
      }()
          .c_str());
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Models, GeneratedCodeSize,
    ::testing::Values(Case{"kws_ref_model", "cortex-m7"}, Case{"kws_ref_model", "cortex-m4"},
                      Case{"ad01_int8", "cortex-m7"}, Case{"ad01_int8", "cortex-m4"},
                      Case{"phinet", "cortex-m7"}, Case{"phinet", "cortex-m4"},
                      Case{"xinet", "cortex-m7"}, Case{"yolo_phinet", "cortex-m7"}),
    [](const ::testing::TestParamInfo<Case>& p) {
      std::string s = std::string(p.param.model) + "_" + p.param.target;
      for (char& ch : s) {
        if (ch == '-') ch = '_';
      }
      return s;
    });

TEST(GeneratedCodeSize, ShapeOnlyFloatGraphPricesLikeTheCalibratedPackage) {
  // The solver's candidates have no weights: the figures must not depend on them.
  const core::Graph shape_only = nets::build_phinet(small_phinet(), {});
  core::Graph f = nets::build_phinet(small_phinet(), {.materialize_weights = true, .seed = 8});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 1), {});
  engine::CompiledModel model;
  char error[512] = "";
  ASSERT_EQ(model.compile(q, {}, error, sizeof error), engine::Status::ok) << error;
  const PackageSummary s = summarize_package(model, q, {});
  const engine::GeneratedCodeSize g = generated_code_size(core::lower_for_deployment(shape_only));
  EXPECT_EQ(g.model_data_bytes, s.model_data_bytes);
  EXPECT_EQ(g.arena_bytes, s.arena_bytes);
  EXPECT_EQ(g.kernels, s.kernels);
  // One call per node but the activations fused into their convolutions.
  EXPECT_EQ(g.nodes, s.calls);
  EXPECT_GT(model.activation_fusion().count, 0);
  EXPECT_EQ(s.calls, static_cast<int>(q.nodes.size()) - model.activation_fusion().count);
}

TEST(GeneratedCodeSize, TinyscaleRuntimeWithoutTheFunctionIsAnError) {
  const core::Graph g = nets::build_phinet(small_phinet(), {});
  EXPECT_THROW(costmodel::analyze(g, {.runtime = costmodel::Runtime::tinyscale}), Error);
  EXPECT_THROW(costmodel::parse_runtime("tflm"), Error);
  EXPECT_EQ(costmodel::parse_runtime("tinyscale"), costmodel::Runtime::tinyscale);
}

TEST(DeviceFootprint, KernelTableCoversEveryDeviceKernelAndSumsUsedKernelsOnce) {
  engine::DeviceKernelSize m7, m4;
  ASSERT_TRUE(engine::device_kernel_size("conv2d", engine::DeviceCore::cortex_m7, &m7));
  ASSERT_TRUE(engine::device_kernel_size("conv2d", engine::DeviceCore::cortex_m4, &m4));
  EXPECT_GT(m7.code_bytes, 0);
  EXPECT_GT(m7.stack_bytes, 0);
  // Every device kernel file the code generator can copy has a row.
  for (const auto& entry :
       fs::directory_iterator(fs::path(TINYSCALE_SOURCE_DIR) / "engine/kernels/device")) {
    if (entry.path().extension() != ".cpp") continue;
    engine::DeviceKernelSize size;
    EXPECT_TRUE(engine::device_kernel_size(entry.path().stem().string(),
                                           engine::DeviceCore::cortex_m7, &size))
        << entry.path().stem() << " has no measured size (engine/deploy_size.cpp)";
  }
  engine::GeneratedCodeSize g;
  g.model_data_bytes = 1000;
  g.arena_bytes = 512;
  g.nodes = 4;
  g.kernels = {"conv2d", "reshape"};
  engine::DeviceKernelSize reshape;
  ASSERT_TRUE(engine::device_kernel_size("reshape", engine::DeviceCore::cortex_m7, &reshape));
  const engine::DeviceFootprint f = engine::device_footprint(g, engine::DeviceCore::cortex_m7);
  EXPECT_EQ(f.kernel_code_bytes, m7.code_bytes + reshape.code_bytes);
  EXPECT_EQ(f.invoke_code_bytes,
            engine::kGeneratedFixedCodeBytes + 4 * engine::kInvokeCodeBytesPerNode);
  EXPECT_EQ(f.stack_bytes, engine::kInvokeFrameStackBytes + m7.stack_bytes);
  EXPECT_EQ(f.flash_bytes(), 1000 + f.kernel_code_bytes + f.invoke_code_bytes);
  EXPECT_EQ(f.ram_bytes(), 512 + f.stack_bytes);
  g.kernels.push_back("no_such_kernel");
  EXPECT_EQ(engine::device_footprint(g, engine::DeviceCore::cortex_m7).unknown_kernels,
            std::vector<std::string>{"no_such_kernel"});
}

}  // namespace
}  // namespace tinyscale::deploy
