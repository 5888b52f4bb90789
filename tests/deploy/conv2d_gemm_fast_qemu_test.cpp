// conv2d_s8_gemm_fast against conv2d_s8 on the device (issue 16): the test firmware
// tests/deploy/firmware/conv2d_gemm_fast_main.cpp runs both kernels on the same full
// convolutions (DS-CNN's first layer, XiNet a0.5 96's 7x7 stem and 3x3 layers, an RGB 3x3
// stride-2 stem, small odd shapes) under QEMU's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4),
// where conv2d_gemm_fast.cpp is built with the DSP intrinsics, and reports each one's instruction
// count and the bytes that differ (must be none). The counts are printed for
// bench/README.md; the fast kernel must be at least 2x cheaper on the measured shapes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "deploy/cortex_m.h"
#include "deploy/qemu_runner.h"
#include "tests/deploy/firmware_build.h"

namespace tinyscale::deploy {
namespace {

using namespace std::chrono_literals;

class Conv2dGemmFastQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware(
        "conv2d_gemm_fast",
        {"tests/deploy/firmware/conv2d_gemm_fast_main.cpp", "engine/kernels/device/conv2d.cpp",
         "engine/kernels/device/conv2d_fast.cpp", "engine/kernels/device/conv2d_gemm_fast.cpp",
         "engine/kernels/device/conv2d_gemm_fast_short.cpp"});
  }
};

TEST_P(Conv2dGemmFastQemuTest, FullConvolutionFastKernelIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  const std::uint64_t cases = r.figure("cases");
  ASSERT_EQ(cases, 15u);
  // The quads take the DS-CNN's, the in_c 4 XiNet 3x3 and the 32 -> 64 s2 layers, and the
  // last four cases; in_c 3 or 2 (a window row not a multiple of 4) keeps the columns, and so
  // does the 6x6 map of 128 channels (most of its pixels lack the room to expand).
  for (const std::uint64_t i : {0u, 3u, 6u, 11u, 12u, 13u, 14u}) {
    EXPECT_EQ(r.figure("case" + std::to_string(i) + "_quads"), 1u) << "case " << i;
  }
  for (const std::uint64_t i : {1u, 2u, 4u, 5u}) {
    EXPECT_EQ(r.figure("case" + std::to_string(i) + "_quads"), 0u) << "case " << i;
  }
  ASSERT_EQ(r.figure("measured_cases"), 7u);
  const char* names[] = {"DS-CNN 49x10x1->25x5x64 k10x4 s2", "XiNet 96x96x3->48x48x8 k7 s2",
                         "RGB 96x96x3->48x48x8 k3 s2",       "XiNet 24x24x4->24x24x16 k3",
                         "XiNet 24x24x2->24x24x16 k3",       "XiNet 6x6x32->6x6x128 k3",
                         "24x24x32->12x12x64 k3 s2"};
  for (std::uint64_t i = 0; i < cases; ++i) {
    const std::string k = "case" + std::to_string(i) + "_";
    EXPECT_EQ(r.figure(k + "mismatch_bytes"), 0u) << "case " << i;
    const std::uint64_t ref = r.figure(k + "ref_instructions");
    const std::uint64_t fast = r.figure(k + "fast_instructions");
    if (i < 7) {
      std::cout << target_->qemu_machine << " conv " << names[i] << ": conv2d_s8 " << ref
                << " instructions, conv2d_s8_gemm_fast " << fast << " ("
                << static_cast<double>(fast) / static_cast<double>(ref) << "x)\n";
      EXPECT_LT(2 * fast, ref) << names[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Mps2, Conv2dGemmFastQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
