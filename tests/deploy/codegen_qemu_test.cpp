// The generated package on an emulated board: the MLPerf models' packages for Cortex-M7 and
// Cortex-M4, linked with deploy/firmware's startup code and semihosting into a firmware,
// run under qemu-system-arm (deploy::run_qemu), must give the host engine's outputs byte for
// byte (deploy::build_qemu_firmware). Skips without the cross tools or ../shared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "deploy/codegen.h"
#include "deploy/cortex_m.h"
#include "deploy/qemu_firmware.h"
#include "deploy/qemu_runner.h"
#include "engine/engine.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "nets/phinet.h"
#include "nets/tinyclap.h"
#include "nets/xinet.h"
#include "nets/yolo.h"
#include "tests/support/byte_files.h"

namespace tinyscale::deploy {
namespace {

namespace fs = std::filesystem;
using testing_support::read_bytes;
const std::string kInterop = TINYSCALE_SHARED_DIR "/interop/tflite/";

struct Case {
  const char* model;
  const char* target;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << " on " << c.target; }

class QemuPackage : public ::testing::TestWithParam<Case> {};

TEST_P(QemuPackage, OutputsMatchTheHostEngineByteForByte) {
  const Case c = GetParam();
  const std::string dir = kInterop + c.model + "/";
  if (!fs::exists(dir + "model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  if (std::system("command -v arm-none-eabi-g++ >/dev/null 2>&1 && "
                  "command -v qemu-system-arm >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "arm-none-eabi-g++ or qemu-system-arm is absent (scripts/setup.sh)";
  }
  const CortexMTarget* target = find_cortex_m_target(c.target);
  ASSERT_NE(target, nullptr);
  const core::Graph graph = exporter::read_tflite(dir + "model.tflite");
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(graph, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path root =
      fs::temp_directory_path() / ("tinyscale_codegen_qemu_" + std::string(c.model) + "_" +
                                   c.target + "_" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::string name = "model";
  try {
    generate_package(model, graph, {.name = name, .target = parse_target(c.target)}, root / "pkg");
  } catch (const Error& e) {
    if (std::string(e.what()).find("has no device kernel yet") != std::string::npos) {
      fs::remove_all(root);
      GTEST_SKIP() << e.what();
    }
    throw;
  }
  const fs::path elf = build_qemu_firmware(root / "pkg", name, *target, root / "fw");
  for (const char* input : {"uniform", "sine", "narrow"}) {
    const std::vector<std::uint8_t> in = read_bytes(dir + "input_" + input + ".bin");
    ASSERT_EQ(in.size(), static_cast<std::size_t>(core::num_elements(model.input(0).shape())));
    std::memcpy(model.input(0).data, in.data(), in.size());
    ASSERT_EQ(model.run(), engine::Status::ok);
    const auto* y = static_cast<const std::uint8_t*>(model.output(0).data);
    const std::vector<std::uint8_t> expected(y, y + core::num_elements(model.output(0).shape()));
    const QemuRun run = run_qemu(elf, target->qemu_machine, dir + "input_" + input + ".bin",
                                 root / "out.bin", std::chrono::seconds(60));
    ASSERT_EQ(run.exit_code, 0) << run.failure_text();
    EXPECT_EQ(read_bytes(root / "out.bin"), expected)
        << c.model << " on " << c.target << ", " << input;
    std::printf("  %s on %s (%s): %llu instructions, stack %llu bytes\n", c.model, c.target, input,
                static_cast<unsigned long long>(run.figure("instructions")),
                static_cast<unsigned long long>(run.figure("stack_bytes")));
  }
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(Mlperf, QemuPackage,
                         ::testing::Values(Case{"ad01_int8", "cortex-m7"},
                                           Case{"ad01_int8", "cortex-m4"},
                                           Case{"kws_ref_model", "cortex-m7"},
                                           Case{"kws_ref_model", "cortex-m4"},
                                           // No DSP extension: the reference kernels.
                                           Case{"kws_ref_model", "cortex-m3"}),
                         [](const ::testing::TestParamInfo<Case>& p) {
                           std::string s = std::string(p.param.model) + "_" + p.param.target;
                           for (char& ch : s) {
                             if (ch == '-') ch = '_';
                           }
                           return s;
                         });

// tinyscale's own exports (int8, quantized on synthetic samples): PhiNet, XiNet, a small
// YOLO-PhiNet and a small tinyCLAP encoder, and a chain of pastes, on a seeded random input.
struct Export {
  const char* name;
  core::Graph (*build)();
};

core::Graph quantized(core::Graph f, bool images) {
  const auto calibration =
      images ? exporter::synthetic_images(f, 2, 1) : exporter::synthetic_calibration(f, 2, 1);
  return exporter::quantize(f, calibration, {});
}

const Export kExports[] = {
    {"phinet",
     [] {
       nets::PhiNetConfig c;
       c.input = {3, 32, 32};
       c.alpha = 0.25;
       c.num_layers = 4;
       c.downsampling_layers = {2};
       c.include_top = true;
       return quantized(nets::build_phinet(c, {.materialize_weights = true, .seed = 8}), false);
     }},
    {"xinet",
     [] {
       nets::XiNetConfig c;
       c.input = {3, 32, 32};
       c.alpha = 0.25;
       c.num_layers = 4;
       c.include_top = true;
       c.num_classes = 10;
       return quantized(nets::build_xinet(c, {.materialize_weights = true, .seed = 9}), false);
     }},
    {"yolo_phinet",
     [] {
       nets::YoloConfig c;
       c.input = {3, 64, 64};
       c.phinet.alpha = 0.25;
       c.num_classes = 3;
       c.depth_multiple = 1.0 / 3.0;
       return quantized(nets::build_yolo(c, {.materialize_weights = true, .seed = 10}), true);
     }},
    {"tinyclap",
     [] {
       nets::TinyClapConfig c;
       c.alpha = 0.25;
       c.frames = 64;
       c.n_mels = 32;
       c.audio_embedding = 32;
       c.shared_embedding = 16;
       return quantized(nets::build_tinyclap_encoder(c, {.materialize_weights = true, .seed = 11}),
                        false);
     }},
    // Patch-based execution's assembly: a [1, 10, 12, 8] tensor cut into 2 x 3 tiles, each
    // through relu, pasted back by a chain of paste_s8 calls over one arena buffer.
    {"paste_chain",
     [] {
       core::Graph g;
       auto quantize = [&](int id) {
         g.tensor(id).quantization.scales = {0.05f};
         g.tensor(id).quantization.zero_points = {7};
       };
       const core::Shape shape = {1, 10, 12, 8};
       const int x = g.add_input("x", shape, core::DType::int8);
       quantize(x);
       int assembled = -1;
       for (std::int64_t i = 0; i < 2; ++i) {
         for (std::int64_t j = 0; j < 3; ++j) {
           const std::string tile = std::to_string(i) + std::to_string(j);
           core::Attributes cut;
           cut.slice_begin = {0, 5 * i, 4 * j, 0};
           cut.slice_size = {1, 5, 4, 8};
           const int s = g.add_node(core::OpType::slice, "slice" + tile, {x}, cut);
           quantize(s);
           const int r = g.add_node(core::OpType::relu, "relu" + tile, {s});
           quantize(r);
           core::Attributes at;
           at.slice_begin = cut.slice_begin;
           if (assembled < 0) at.new_shape = shape;
           assembled =
               g.add_node(core::OpType::paste, "paste" + tile,
                          assembled < 0 ? std::vector<int>{r} : std::vector{assembled, r}, at);
           quantize(assembled);
         }
       }
       g.mark_output(assembled);
       return g;
     }},
};

class QemuExport : public ::testing::TestWithParam<std::tuple<int, const char*>> {};

TEST_P(QemuExport, OutputsMatchTheHostEngineByteForByte) {
  const Export& e = kExports[std::get<0>(GetParam())];
  const char* target_name_text = std::get<1>(GetParam());
  if (std::system("command -v arm-none-eabi-g++ >/dev/null 2>&1 && "
                  "command -v qemu-system-arm >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "arm-none-eabi-g++ or qemu-system-arm is absent (scripts/setup.sh)";
  }
  const CortexMTarget* target = find_cortex_m_target(target_name_text);
  ASSERT_NE(target, nullptr);
  const core::Graph graph = e.build();
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(graph, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path root =
      fs::temp_directory_path() / ("tinyscale_codegen_qemu_" + std::string(e.name) + "_" +
                                   target_name_text + "_" + std::to_string(::getpid()));
  fs::remove_all(root);
  generate_package(model, graph, {.name = e.name, .target = parse_target(target_name_text)},
                   root / "pkg");
  const fs::path elf = build_qemu_firmware(root / "pkg", e.name, *target, root / "fw");
  std::vector<std::uint8_t> in;
  std::mt19937 rng(3);
  for (int i = 0; i < model.num_inputs(); ++i) {
    const auto n = static_cast<std::size_t>(core::num_elements(model.input(i).shape()));
    auto* p = static_cast<std::uint8_t*>(model.input(i).data);
    for (std::size_t k = 0; k < n; ++k) {
      p[k] = static_cast<std::uint8_t>(rng());
      in.push_back(p[k]);
    }
  }
  {
    std::ofstream f(root / "in.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(in.data()), static_cast<std::streamsize>(in.size()));
  }
  ASSERT_EQ(model.run(), engine::Status::ok);
  std::vector<std::uint8_t> expected;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const auto* y = static_cast<const std::uint8_t*>(model.output(i).data);
    expected.insert(expected.end(), y, y + core::num_elements(model.output(i).shape()));
  }
  // The package runs element-wise ops in place (the default plan); the plain plan, every
  // node writing a fresh buffer, computes the same bytes.
  int in_place_nodes = 0;
  for (const int t : model.arena_plan().buffers.in_place_input) in_place_nodes += t >= 0;
  EXPECT_GT(in_place_nodes, 0) << e.name;
  engine::CompiledModel plain;
  ASSERT_EQ(plain.compile(graph, {.in_place = false}, error, sizeof error), engine::Status::ok)
      << error;
  for (int i = 0, k = 0; i < plain.num_inputs(); ++i) {
    auto* p = static_cast<std::uint8_t*>(plain.input(i).data);
    for (std::int64_t j = 0; j < core::num_elements(plain.input(i).shape()); ++j)
      p[j] = in[static_cast<std::size_t>(k++)];
  }
  ASSERT_EQ(plain.run(), engine::Status::ok);
  std::vector<std::uint8_t> plain_out;
  for (int i = 0; i < plain.num_outputs(); ++i) {
    const auto* y = static_cast<const std::uint8_t*>(plain.output(i).data);
    plain_out.insert(plain_out.end(), y, y + core::num_elements(plain.output(i).shape()));
  }
  EXPECT_EQ(plain_out, expected) << e.name << ": in-place vs plain plan on the host";
  const QemuRun run = run_qemu(elf, target->qemu_machine, root / "in.bin", root / "out.bin",
                               std::chrono::seconds(120));
  ASSERT_EQ(run.exit_code, 0) << run.failure_text();
  EXPECT_EQ(read_bytes(root / "out.bin"), expected) << e.name << " on " << target_name_text;
  std::printf("  %s on %s: %llu instructions, stack %llu bytes\n", e.name, target_name_text,
              static_cast<unsigned long long>(run.figure("instructions")),
              static_cast<unsigned long long>(run.figure("stack_bytes")));
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(Exports, QemuExport,
                         ::testing::Combine(::testing::Range(0, 5),
                                            ::testing::Values("cortex-m7", "cortex-m4",
                                                              "cortex-m3")),
                         [](const ::testing::TestParamInfo<std::tuple<int, const char*>>& p) {
                           std::string s = std::string(kExports[std::get<0>(p.param)].name) + "_" +
                                           std::get<1>(p.param);
                           for (char& ch : s) {
                             if (ch == '-') ch = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace tinyscale::deploy
