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
#include <string>
#include <vector>

#include "core/error.h"
#include "deploy/codegen.h"
#include "deploy/cortex_m.h"
#include "deploy/qemu_firmware.h"
#include "deploy/qemu_runner.h"
#include "engine/engine.h"
#include "export/tflite_reader.h"

namespace tinyscale::deploy {
namespace {

namespace fs = std::filesystem;
const std::string kInterop = TINYSCALE_SHARED_DIR "/interop/tflite/";

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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
                                           Case{"kws_ref_model", "cortex-m4"}),
                         [](const ::testing::TestParamInfo<Case>& p) {
                           std::string s = std::string(p.param.model) + "_" + p.param.target;
                           for (char& ch : s) {
                             if (ch == '-') ch = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace tinyscale::deploy
