// conv2d_s8_fast against conv2d_s8 on the device (issue 16): the test firmware
// tests/deploy/firmware/conv2d_fast_main.cpp runs both kernels on the same pointwise
// convolutions under QEMU's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4), where
// conv2d_fast.cpp is built with the DSP intrinsics, and reports each one's instruction
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

class Conv2dFastQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware(
        "conv2d_fast",
        {"tests/deploy/firmware/conv2d_fast_main.cpp", "engine/kernels/device/conv2d.cpp",
         "engine/kernels/device/conv2d_fast.cpp", "engine/kernels/device/conv2d_fast_short.cpp"});
  }
};

TEST_P(Conv2dFastQemuTest, PointwiseFastKernelIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  const std::uint64_t cases = r.figure("cases");
  ASSERT_EQ(cases, 12u);
  const char* names[] = {"48x48x16->32", "12x12x64->64", "25x5x64->64"};
  for (std::uint64_t i = 0; i < cases; ++i) {
    const std::string k = "case" + std::to_string(i) + "_";
    EXPECT_EQ(r.figure(k + "mismatch_bytes"), 0u) << "case " << i;
    EXPECT_EQ(r.figure(k + "fast_path"), 1u) << "case " << i;
    const std::uint64_t ref = r.figure(k + "ref_instructions");
    const std::uint64_t fast = r.figure(k + "fast_instructions");
    if (i < 3) {
      std::cout << target_->qemu_machine << " 1x1 conv " << names[i] << ": conv2d_s8 " << ref
                << " instructions, conv2d_s8_fast " << fast << " ("
                << static_cast<double>(fast) / static_cast<double>(ref) << "x)\n";
      EXPECT_LT(2 * fast, ref) << names[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Mps2, Conv2dFastQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
