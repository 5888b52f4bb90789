// max_pool_s8_fast against max_pool_s8 on the device (issue 16): the test firmware
// tests/deploy/firmware/max_pool_fast_main.cpp runs both on the same pools under QEMU's
// mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4), where max_pool_fast.cpp is built with
// the DSP instructions, and reports each one's instruction count and the bytes that differ
// (must be none). On an XiNet 2x2 pool the fast kernel must need at most half the
// reference's instructions.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>

#include "deploy/cortex_m.h"
#include "deploy/qemu_runner.h"
#include "tests/deploy/firmware_build.h"

namespace tinyscale::deploy {
namespace {

using namespace std::chrono_literals;

class MaxPoolFastQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware("max_pool_fast", {"tests/deploy/firmware/max_pool_fast_main.cpp",
                                      "engine/kernels/device/max_pool.cpp",
                                      "engine/kernels/device/max_pool_fast.cpp"});
  }
};

TEST_P(MaxPoolFastQemuTest, FastKernelIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  ASSERT_EQ(r.figure("cases"), 4u);
  for (std::uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.figure("case" + std::to_string(i) + "_mismatch_bytes"), 0u) << "case " << i;
  }
  const std::uint64_t ref = r.figure("case0_ref_instructions");
  const std::uint64_t fast = r.figure("case0_fast_instructions");
  std::cout << target_->qemu_machine << " XiNet pool 48x48x8: max_pool_s8 " << ref
            << " instructions, max_pool_s8_fast " << fast << " ("
            << static_cast<double>(fast) / static_cast<double>(ref) << "x)\n";
  EXPECT_LE(2 * fast, ref);
}

INSTANTIATE_TEST_SUITE_P(Mps2, MaxPoolFastQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
