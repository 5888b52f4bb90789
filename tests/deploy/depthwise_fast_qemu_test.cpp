// depthwise_s8_fast against conv2d_s8 on the device (issue 16): the test firmware
// tests/deploy/firmware/depthwise_fast_main.cpp runs both kernels on the same depthwise
// convolutions under QEMU's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4), where
// depthwise_fast.cpp is built with the DSP intrinsics, and reports each one's instruction
// count and the bytes that differ (must be none). The counts are printed for
// bench/README.md; the fast kernel must be at least 3x cheaper on the measured shapes. The
// firmware also runs depthwise_s8_fast_in_place against conv2d_s8's in-place path.
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

class DepthwiseFastQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware(
        "depthwise_fast",
        {"tests/deploy/firmware/depthwise_fast_main.cpp", "engine/kernels/device/conv2d.cpp",
         "engine/kernels/device/conv2d_fast.cpp", "engine/kernels/device/depthwise_fast.cpp",
         "engine/kernels/device/depthwise_fast_short.cpp",
         "engine/kernels/device/depthwise_fast_in_place.cpp"});
  }
};

TEST_P(DepthwiseFastQemuTest, DepthwiseFastKernelIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  const std::uint64_t cases = r.figure("cases");
  ASSERT_EQ(cases, 14u);
  const char* names[] = {"25x5x64 3x3 s1", "48x48x16 3x3 s1", "24x24x32 3x3 s2"};
  for (std::uint64_t i = 0; i < cases; ++i) {
    const std::string k = "case" + std::to_string(i) + "_";
    EXPECT_EQ(r.figure(k + "mismatch_bytes"), 0u) << "case " << i;
    EXPECT_EQ(r.figure(k + "fast_path"), 1u) << "case " << i;
    const std::uint64_t ref = r.figure(k + "ref_instructions");
    const std::uint64_t fast = r.figure(k + "fast_instructions");
    if (i < 3) {
      std::cout << target_->qemu_machine << " depthwise " << names[i] << ": conv2d_s8 " << ref
                << " instructions, depthwise_s8_fast " << fast << " ("
                << static_cast<double>(fast) / static_cast<double>(ref) << "x)\n";
      EXPECT_LT(3 * fast, ref) << names[i];
    }
  }
  // In place (3x3 s1 SAME, one channel plane of scratch): depthwise_s8_fast_in_place against
  // conv2d_s8's in-place path.
  const std::uint64_t in_place_cases = r.figure("in_place_cases");
  ASSERT_EQ(in_place_cases, 6u);
  for (std::uint64_t i = 0; i < in_place_cases; ++i) {
    const std::string k = "ip" + std::to_string(i) + "_";
    EXPECT_EQ(r.figure(k + "mismatch_bytes"), 0u) << "in-place case " << i;
    EXPECT_EQ(r.figure(k + "fast_path"), 1u) << "in-place case " << i;
    const std::uint64_t ref = r.figure(k + "ref_instructions");
    const std::uint64_t fast = r.figure(k + "fast_instructions");
    if (i < 2) {
      std::cout << target_->qemu_machine << " depthwise in place 48x48x16 3x3 s1"
                << (i == 1 ? " (output table)" : "") << ": conv2d_s8 " << ref
                << " instructions, depthwise_s8_fast_in_place " << fast << " ("
                << static_cast<double>(fast) / static_cast<double>(ref) << "x)\n";
      EXPECT_LT(3 * fast, ref) << "in-place case " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Mps2, DepthwiseFastQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
