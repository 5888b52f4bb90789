// lut_s8 against sigmoid_s8, tanh_s8 and hard_swish_s8 on the device (issue 16): the test
// firmware tests/deploy/firmware/lut_main.cpp fills each table with the kernel itself (as the
// code generator does), runs both on the same 1,000 values under QEMU's mps2-an500
// (Cortex-M7) and mps2-an386 (Cortex-M4) and reports their instruction counts and the bytes
// that differ (must be none). The lookup must be at least 4x cheaper than each kernel.
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

class LutQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware("lut",
                    {"tests/deploy/firmware/lut_main.cpp", "engine/kernels/device/sigmoid.cpp",
                     "engine/kernels/device/tanh.cpp", "engine/kernels/device/hard_swish.cpp",
                     "engine/kernels/device/lut.cpp"});
  }
};

TEST_P(LutQemuTest, TableLookupIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  ASSERT_EQ(r.figure("cases"), 3u);
  const char* names[] = {"sigmoid_s8", "tanh_s8", "hard_swish_s8"};
  for (std::uint64_t i = 0; i < 3; ++i) {
    const std::string k = "case" + std::to_string(i) + "_";
    EXPECT_EQ(r.figure(k + "mismatch_bytes"), 0u) << names[i];
    const std::uint64_t ref = r.figure(k + "ref_instructions");
    const std::uint64_t lut = r.figure(k + "lut_instructions");
    std::cout << target_->qemu_machine << " 1,000 values: " << names[i] << " " << ref
              << " instructions, lut_s8 " << lut << " ("
              << static_cast<double>(lut) / static_cast<double>(ref) << "x)\n";
    EXPECT_LE(4 * lut, ref) << names[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Mps2, LutQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
