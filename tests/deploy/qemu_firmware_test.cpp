// deploy/qemu_firmware: a generated package of a small int8 convolution network linked
// into the QEMU firmware and run on mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4):
// outputs byte for byte the engine's, instructions and stack reported, sections sized.
#include "deploy/qemu_firmware.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>

#include "blocks/builder.h"
#include "core/error.h"
#include "deploy/codegen.h"
#include "deploy/elf_sections.h"
#include "deploy/qemu_runner.h"
#include "engine/engine.h"
#include "export/quantizer.h"
#include "tests/deploy/firmware_build.h"

namespace tinyscale::deploy {
namespace {

namespace fs = std::filesystem;

core::Graph conv_net() {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 11});
  int x = b.input("image", 3, 16, 16);
  x = b.conv2d("stem.conv", x, {.out_channels = 8, .kernel = 3, .stride = 2, .pad = {1, 1, 1, 1},
                                .bias = true});
  x = b.conv2d("pw.conv", x, {.out_channels = 12, .kernel = 1, .bias = true});
  g.outputs = {x};
  return exporter::quantize(g, exporter::synthetic_calibration(g, 4, 1), {});
}

std::vector<char> engine_output(engine::CompiledModel& model, const std::vector<char>& in) {
  std::size_t at = 0;
  for (int i = 0; i < model.num_inputs(); ++i) {
    const engine::TensorRef& t = model.input(i);
    const auto n = static_cast<std::size_t>(core::num_elements(t.shape()) * core::dtype_size(t.tensor->dtype));
    std::memcpy(t.data, in.data() + at, n);
    at += n;
  }
  EXPECT_EQ(model.run(), engine::Status::ok);
  std::vector<char> out;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const engine::TensorRef& t = model.output(i);
    const auto n = static_cast<std::size_t>(core::num_elements(t.shape()) * core::dtype_size(t.tensor->dtype));
    const auto* p = static_cast<const char*>(t.data);
    out.insert(out.end(), p, p + n);
  }
  return out;
}

class QemuFirmwareTest : public ::testing::TestWithParam<const char*> {};

TEST_P(QemuFirmwareTest, GeneratedConvNetMatchesTheEngineOnTheBoard) {
  if (!testing::cross_tools_present()) GTEST_SKIP() << "arm-none-eabi-gcc or qemu-system-arm missing";
  const CortexMTarget& target = *find_cortex_m_target(GetParam());
  const core::Graph graph = conv_net();
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(graph, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path dir = testing::FirmwareBuild::instance().root() / ("model_" + std::string(target.name));
  PackageSummary summary;
  try {
    summary = generate_package(model, graph,
                               {.name = "net", .target = parse_target(std::string(target.name))},
                               dir / "pkg");
  } catch (const Error& e) {
    if (std::string(e.what()).find("has no device kernel yet") != std::string::npos)
      GTEST_SKIP() << e.what();
    throw;
  }
  const fs::path elf = build_qemu_firmware(dir / "pkg", summary.name, target, dir / "fw");

  std::vector<char> input;
  for (int id : graph.inputs) {
    const core::Tensor& t = graph.tensor(id);
    input.resize(input.size() + static_cast<std::size_t>(core::num_elements(t.shape)));
  }
  std::mt19937 random(3);
  for (char& byte : input) byte = static_cast<char>(random() & 0xFF);
  std::ofstream(dir / "in.bin", std::ios::binary).write(input.data(), static_cast<std::streamsize>(input.size()));

  const QemuRun run = run_qemu(elf, target.qemu_machine, dir / "in.bin", dir / "out.bin",
                               std::chrono::seconds(30));
  ASSERT_EQ(run.exit_code, 0) << run.failure_text();
  std::ifstream in(dir / "out.bin", std::ios::binary);
  const std::vector<char> board((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(board == engine_output(model, input)) << "the board's outputs differ from the engine's";

  const ElfSections sections = elf_sections(elf);
  EXPECT_EQ(run.figure("arena_bytes"), static_cast<std::uint64_t>(summary.arena_bytes));
  EXPECT_GE(sections.size_of(".bss"), static_cast<std::uint64_t>(summary.arena_bytes));
  EXPECT_GE(sections.size_of(".rodata"), static_cast<std::uint64_t>(summary.model_data_bytes));
  EXPECT_GT(run.figure("instructions"), 0u);
  EXPECT_GT(run.figure("stack_bytes"), 0u);
  EXPECT_LT(run.figure("stack_bytes"), 8192u);
  std::cout << target.qemu_machine << ": conv net " << run.figure("instructions")
            << " instructions, stack " << run.figure("stack_bytes") << " B, arena "
            << summary.arena_bytes << " B, model data " << summary.model_data_bytes
            << " B, FLASH " << sections.flash_bytes() << " B (.text " << sections.size_of(".text")
            << ", .rodata " << sections.size_of(".rodata") << "), RAM " << sections.ram_bytes()
            << " B, QEMU " << run.wall_seconds * 1000 << " ms\n";

  // A wrong-sized input is refused by the firmware, with a reason.
  std::ofstream(dir / "short.bin", std::ios::binary).write(input.data(), 5);
  const QemuRun refused = run_qemu(elf, target.qemu_machine, dir / "short.bin", {}, std::chrono::seconds(30));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.figure("input_bytes_expected"), input.size());
}

INSTANTIATE_TEST_SUITE_P(Mps2, QemuFirmwareTest, ::testing::Values("cortex-m7", "cortex-m4"),
                         [](const auto& test_param) {
                           return std::string(test_param.param) == "cortex-m7" ? "M7" : "M4";
                         });

TEST(QemuFirmware, RefusesACoreWithoutAMachine) {
  EXPECT_THROW(build_qemu_firmware("/nonexistent", "net", *find_cortex_m_target("cortex-m33"), "/tmp"),
               Error);
}

}  // namespace
}  // namespace tinyscale::deploy
