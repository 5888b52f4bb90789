// A multiply fused into a pointwise convolution on the device (issue 16): the test firmware
// tests/deploy/firmware/conv2d_fast_mul_main.cpp runs mul_s8 then conv2d_s8 (the reference),
// mul_s8_fast then conv2d_s8_fast (two calls) and conv2d_s8_fast_*_mul (one) on the same data
// under QEMU's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4) and reports the bytes that
// differ (must be none) and each one's instructions. On the squeeze-excite and attention
// shapes, whose products go into the expansion, the fused call must take fewer instructions
// than the two fast calls.
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

class Conv2dFastMulQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware(
        "conv2d_fast_mul",
        {"tests/deploy/firmware/conv2d_fast_mul_main.cpp", "engine/kernels/device/conv2d.cpp",
         "engine/kernels/device/conv2d_fast.cpp", "engine/kernels/device/conv2d_fast_short.cpp",
         "engine/kernels/device/conv2d_fast_mul.cpp",
         "engine/kernels/device/conv2d_fast_short_mul.cpp", "engine/kernels/device/mul.cpp",
         "engine/kernels/device/mul_fast.cpp"});
  }
};

TEST_P(Conv2dFastMulQemuTest, FusedMultiplyIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  ASSERT_EQ(r.figure("cases"), 6u);
  for (std::uint64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(r.figure("case" + std::to_string(i) + "_mismatch_bytes"), 0u) << "case " << i;
  }
  for (const int i : {0, 1}) {
    const std::string c = "case" + std::to_string(i);
    const std::uint64_t ref = r.figure(c + "_ref_instructions");
    const std::uint64_t separate = r.figure(c + "_separate_instructions");
    const std::uint64_t fused = r.figure(c + "_fused_instructions");
    std::cout << target_->qemu_machine << (i == 0 ? " squeeze-excite" : " attention")
              << ": reference " << ref << ", mul_s8_fast + conv2d_s8_fast " << separate
              << ", fused " << fused << " instructions\n";
    EXPECT_LT(fused, separate) << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Mps2, Conv2dFastMulQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
