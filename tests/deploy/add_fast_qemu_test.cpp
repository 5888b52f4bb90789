// add_s8_fast against add_s8 on the device (issue 16): the test firmware
// tests/deploy/firmware/add_fast_main.cpp runs both on the same additions under QEMU's
// mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4), where add_fast.cpp is built with the DSP
// instructions, and reports each one's instruction count and the bytes that differ (must be
// none). On a PhiNet residual and an XiNet skip the fast kernel must need at most a third of
// the reference's instructions.
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

class AddFastQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware("add_fast",
                    {"tests/deploy/firmware/add_fast_main.cpp", "engine/kernels/device/add.cpp",
                     "engine/kernels/device/add_fast.cpp"});
  }
};

TEST_P(AddFastQemuTest, FastKernelIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  ASSERT_EQ(r.figure("cases"), 7u);
  for (std::uint64_t i = 0; i < 7; ++i) {
    EXPECT_EQ(r.figure("case" + std::to_string(i) + "_mismatch_bytes"), 0u) << "case " << i;
  }
  for (const int i : {0, 1}) {
    const std::string c = "case" + std::to_string(i);
    const std::uint64_t ref = r.figure(c + "_ref_instructions");
    const std::uint64_t fast = r.figure(c + "_fast_instructions");
    std::cout << target_->qemu_machine << (i == 0 ? " residual 24x24x16" : " skip 12x12x32")
              << ": add_s8 " << ref << " instructions, add_s8_fast " << fast << " ("
              << static_cast<double>(fast) / static_cast<double>(ref) << "x)\n";
    EXPECT_LE(3 * fast, ref) << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Mps2, AddFastQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
