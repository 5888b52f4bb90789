// Patch-based execution on the device: the generated code of a PATCHED graph (core/patch.h),
// built into a firmware and run under QEMU on a Cortex-M7 (mps2-an500) and a Cortex-M4
// (mps2-an386), gives byte for byte what the host engine computes for the UNPATCHED graph,
// with --patch auto's choice and with one fixed fine grid, for a small PhiNet (squeeze-excite,
// residuals), an XiNet, a small YOLO-PhiNet and the MLPerf DS-CNN. The package's arena is the
// one the cost model reports for the same network with runtime tinyscale and the same patches.
// Skips without the cross tools; the DS-CNN without ../shared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/patch.h"
#include "costmodel/costmodel.h"
#include "costmodel/patches.h"
#include "deploy/codegen.h"
#include "deploy/cortex_m.h"
#include "deploy/qemu_firmware.h"
#include "deploy/qemu_runner.h"
#include "engine/engine.h"
#include "engine/liveness.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "nets/yolo.h"
#include "tests/support/byte_files.h"

namespace tinyscale::deploy {
namespace {

namespace fs = std::filesystem;
using testing_support::read_bytes;
using testing_support::write_bytes;
const std::string kKws = TINYSCALE_SHARED_DIR "/interop/tflite/kws_ref_model/model.tflite";

// The float network (empty for a model read from a file) and the int8 graph deployed.
struct Model {
  std::optional<core::Graph> float_graph;
  core::Graph int8;
};

Model quantized(core::Graph f, bool images) {
  const auto calibration =
      images ? exporter::synthetic_images(f, 2, 1) : exporter::synthetic_calibration(f, 2, 1);
  core::Graph q = exporter::quantize(f, calibration, {});
  return {std::move(f), std::move(q)};
}

struct Net {
  const char* name;
  Model (*build)();  // throws nothing; a model that needs ../shared gives an empty int8 graph
};

const Net kNets[] = {
    {"phinet",  // α 0.25, 48×48, squeeze-excite and residuals on (PhiNet's defaults)
     [] {
       nets::PhiNetConfig c;
       c.input = {3, 48, 48};
       c.alpha = 0.25;
       return quantized(nets::build_phinet(c, {.materialize_weights = true, .seed = 21}), false);
     }},
    {"xinet",
     [] {
       nets::XiNetConfig c;
       c.input = {3, 48, 48};
       c.alpha = 0.5;
       return quantized(nets::build_xinet(c, {.materialize_weights = true, .seed = 22}), false);
     }},
    {"yolo_phinet",
     [] {
       nets::YoloConfig c;
       c.input = {3, 64, 64};
       c.phinet.alpha = 0.25;
       c.num_classes = 3;
       c.depth_multiple = 1.0 / 3.0;
       return quantized(nets::build_yolo(c, {.materialize_weights = true, .seed = 23}), true);
     }},
    {"ds_cnn",
     [] {
       Model m;
       if (fs::exists(kKws)) m.int8 = exporter::read_tflite(kKws);
       return m;
     }},
};

// The fixed fine grid: the longest stage of at most 6 layers whose output is at least 4×4,
// cut as finely as its output allows, up to 6×6.
core::PatchChoice fine_choice(const core::Graph& graph) {
  core::PatchChoice best;
  for (const core::PatchStage& s : core::patch_stages(graph)) {
    if (s.layers > 6 || s.height < 4 || s.width < 4) continue;
    if (s.layers >= best.layers) {
      best.layers = s.layers;
      best.grid = static_cast<int>(std::min<std::int64_t>({6, s.height, s.width}));
    }
  }
  return best;
}

std::vector<std::uint8_t> run_host(const core::Graph& graph, const std::vector<std::uint8_t>& in,
                                   engine::CompiledModel* model) {
  char error[256] = "";
  if (model->compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    ADD_FAILURE() << error;
    return {};
  }
  std::size_t k = 0;
  for (int i = 0; i < model->num_inputs(); ++i) {
    auto* p = static_cast<std::uint8_t*>(model->input(i).data);
    const auto n = static_cast<std::size_t>(core::num_elements(model->input(i).shape()));
    for (std::size_t j = 0; j < n && k < in.size(); ++j) p[j] = in[k++];
  }
  EXPECT_EQ(k, in.size());
  if (model->run() != engine::Status::ok) {
    ADD_FAILURE() << "the host engine failed";
    return {};
  }
  std::vector<std::uint8_t> out;
  for (int i = 0; i < model->num_outputs(); ++i) {
    const auto* y = static_cast<const std::uint8_t*>(model->output(i).data);
    out.insert(out.end(), y, y + core::num_elements(model->output(i).shape()));
  }
  return out;
}

class PatchQemu : public ::testing::TestWithParam<std::tuple<int, const char*>> {};

TEST_P(PatchQemu, PatchedPackageEqualsTheHostEngineOnWholeLayers) {
  const Net& net = kNets[std::get<0>(GetParam())];
  const std::string target_text = std::get<1>(GetParam());
  if (std::system("command -v arm-none-eabi-g++ >/dev/null 2>&1 && "
                  "command -v qemu-system-arm >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "arm-none-eabi-g++ or qemu-system-arm is absent (scripts/setup.sh)";
  }
  const CortexMTarget* target = find_cortex_m_target(target_text);
  ASSERT_NE(target, nullptr);
  const Model m = net.build();
  if (m.int8.nodes.empty()) GTEST_SKIP() << "../shared/interop is absent (" << kKws << ")";

  // The reference: the host engine running every layer whole, on a seeded random input.
  std::vector<std::uint8_t> in;
  {
    std::mt19937 rng(5);
    for (const int t : m.int8.inputs) {
      for (std::int64_t j = 0; j < core::num_elements(m.int8.tensor(t).shape); ++j)
        in.push_back(static_cast<std::uint8_t>(rng()));
    }
  }
  engine::CompiledModel whole;
  const std::vector<std::uint8_t> expected = run_host(m.int8, in, &whole);
  ASSERT_FALSE(expected.empty());
  const std::int64_t whole_arena = whole.ram().activation_arena;

  const fs::path root =
      fs::temp_directory_path() / ("tinyscale_patch_qemu_" + std::string(net.name) + "_" +
                                   target_text + "_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  write_bytes(root / "in.bin", in);

  const costmodel::PatchOption automatic = costmodel::parse_patch_option("auto");
  costmodel::PatchOption fine;
  fine.mode = costmodel::PatchOption::Mode::fixed;
  fine.fixed = fine_choice(m.int8);
  ASSERT_TRUE(fine.fixed.enabled()) << net.name << ": no stage of at most 6 layers to cut";
  for (int pass = 0; pass < 2; ++pass) {
    const costmodel::PatchOption& option = pass == 0 ? automatic : fine;
    const std::string what = std::string(net.name) + " on " + target_text + ", --patch " +
                             costmodel::patch_option_text(option);
    const core::PatchedGraph patched = costmodel::patch_graph(m.int8, option);
    if (option.mode == costmodel::PatchOption::Mode::fixed) {
      EXPECT_EQ(patched.choice.layers, option.fixed.layers) << what;
      EXPECT_EQ(patched.choice.grid, option.fixed.grid) << what;
    } else if (std::string(net.name) != "ds_cnn") {
      // (The DS-CNN's auto choice is whole layers: nothing beats its plain plan.)
      EXPECT_TRUE(patched.choice.enabled()) << what << ": auto chose no patches";
    }
    engine::CompiledModel model;
    const std::vector<std::uint8_t> host = run_host(patched.graph, in, &model);
    EXPECT_EQ(host, expected) << what << ": patched vs whole layers on the host";
    const std::int64_t arena = model.ram().activation_arena;
    if (option.mode == costmodel::PatchOption::Mode::automatic) {
      EXPECT_LE(arena, whole_arena) << what;
      if (patched.choice.enabled()) {
        EXPECT_LT(arena, whole_arena) << what;
      }
    }

    const fs::path pkg = root / ("pkg_" + std::to_string(pass));
    const PackageSummary summary = generate_package(
        model, patched.graph, {.name = net.name, .target = parse_target(target_text)}, pkg);
    EXPECT_EQ(summary.arena_bytes, arena) << what;
    // The same figure from the cost model: the float network (or the .tflite's int8 graph)
    // with runtime tinyscale and the same patch option.
    costmodel::CostOptions cost;
    cost.per_layer = false;
    cost.compare_greedy = false;
    cost.runtime = costmodel::Runtime::tinyscale;
    cost.generated_code_size = generated_code_size;
    cost.tinyscale_core =
        target_text == "cortex-m4" ? engine::DeviceCore::cortex_m4 : engine::DeviceCore::cortex_m7;
    cost.patch = option;
    const costmodel::CostReport report =
        costmodel::analyze(m.float_graph ? *m.float_graph : m.int8, cost);
    EXPECT_EQ(report.patch.layers, patched.choice.layers) << what;
    EXPECT_EQ(report.patch.grid, patched.choice.grid) << what;
    EXPECT_EQ(report.tinyscale.arena_bytes, summary.arena_bytes) << what;
    EXPECT_EQ(report.ram_activation_bytes, summary.arena_bytes) << what;

    const fs::path elf = build_qemu_firmware(pkg, net.name, *target, root / "fw");
    const QemuRun run = run_qemu(elf, target->qemu_machine, root / "in.bin", root / "out.bin",
                                 std::chrono::seconds(120));
    ASSERT_EQ(run.exit_code, 0) << what << "\n" << run.failure_text();
    EXPECT_EQ(read_bytes(root / "out.bin"), expected) << what << ": device vs whole layers";
    std::printf("  %s: %s, arena %lld B (whole layers %lld B), %llu instructions\n", what.c_str(),
                core::patch_choice_text(patched.choice).c_str(), static_cast<long long>(arena),
                static_cast<long long>(whole_arena),
                static_cast<unsigned long long>(run.figure("instructions")));
    fs::remove_all(root / "fw");
  }
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(Nets, PatchQemu,
                         ::testing::Combine(::testing::Range(0, 4),
                                            ::testing::Values("cortex-m7", "cortex-m4")),
                         [](const ::testing::TestParamInfo<std::tuple<int, const char*>>& p) {
                           std::string s = std::string(kNets[std::get<0>(p.param)].name) + "_" +
                                           std::get<1>(p.param);
                           for (char& ch : s) {
                             if (ch == '-') ch = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace tinyscale::deploy
