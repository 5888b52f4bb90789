// fully_connected_s8_fast against fully_connected_s8 on the device (issue 16): the test
// firmware tests/deploy/firmware/fully_connected_fast_main.cpp runs both kernels on the same
// layers under QEMU's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4), where
// fully_connected_fast.cpp is built with the DSP instructions, and reports each one's
// instruction count and the bytes that differ (must be none). The counts are printed for
// bench/README.md; on the autoencoder's shapes the fast kernel must need at most a third of
// the reference's instructions, and under 1.6 per MAC on its two large layers. Each case runs
// the fast kernel also with its optional scratch (the input's int16 copy) where it takes one;
// the later cases have TFLite's usual requantization (the short output stage), and two of
// them accumulators plus bias past 2^30 (its out-of-line path).
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

class FullyConnectedFastQemuTest : public testing::KernelQemuTest {
 protected:
  std::filesystem::path build() {
    return firmware("fully_connected_fast", {"tests/deploy/firmware/fully_connected_fast_main.cpp",
                                             "engine/kernels/device/fully_connected.cpp",
                                             "engine/kernels/device/fully_connected_fast.cpp"});
  }
};

TEST_P(FullyConnectedFastQemuTest, FastKernelIsByteIdenticalAndCheaperOnTheDevice) {
  const std::filesystem::path elf = build();
  ASSERT_FALSE(elf.empty());
  const QemuRun r = run_qemu(elf, target_->qemu_machine, {}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.failure_text();
  const std::uint64_t cases = r.figure("cases");
  ASSERT_EQ(cases, 16u);
  const char* names[] = {"640->128", "128->128", "128->8", "128->640"};
  const std::uint64_t macs[] = {640 * 128, 128 * 128, 128 * 8, 128 * 640};
  for (std::uint64_t i = 0; i < cases; ++i) {
    const std::string k = "case" + std::to_string(i) + "_";
    EXPECT_EQ(r.figure(k + "mismatch_bytes"), 0u) << "case " << i;
    EXPECT_EQ(r.figure(k + "scratch_mismatch_bytes"), 0u) << "case " << i;
    EXPECT_EQ(r.figure(k + "fast_path"), 1u) << "case " << i;
    const std::uint64_t ref = r.figure(k + "ref_instructions");
    const std::uint64_t fast = r.figure(k + "fast_instructions");
    if (i < 4) {
      const double per_mac = static_cast<double>(fast) / static_cast<double>(macs[i]);
      std::cout << target_->qemu_machine << " fully connected " << names[i]
                << ": fully_connected_s8 " << ref << " instructions, fully_connected_s8_fast "
                << fast << " (" << static_cast<double>(fast) / static_cast<double>(ref) << "x, "
                << per_mac << " per MAC)\n";
      EXPECT_LE(3 * fast, ref) << names[i];
      // The two 81,920-MAC layers (per-tensor requantization); 128->128 is per-channel and
      // 128->8 has 1,024 MACs, both bound more by the output stage.
      if (i == 0 || i == 3) {
        EXPECT_LT(per_mac, 1.6) << names[i];
      }
    }
    if (i >= 8 && i < 12) {
      // The autoencoder's shapes again, with its requantization (one right shift, the whole
      // int8 range): the short stage, all blocks in assembly; with the scratch where taken.
      const std::uint64_t layer_macs[] = {640 * 128, 128 * 128, 8 * 128, 128 * 640};
      const std::uint64_t with_scratch = r.figure(k + "scratch_instructions");
      const double per_mac =
          static_cast<double>(with_scratch) / static_cast<double>(layer_macs[i - 8]);
      std::cout << target_->qemu_machine << " fully connected, usual requantization, "
                << (i == 8    ? "640->128"
                    : i == 9  ? "128->128"
                    : i == 10 ? "8->128"
                              : "128->640")
                << ": " << fast << " instructions, " << with_scratch << " with scratch (" << per_mac
                << " per MAC)\n";
      // 18 instructions per 16 MACs from the scratch, 20 without, plus about 17 per output
      // (measured 2026-12-07: 1.29, 1.28 and 1.26 per MAC).
      if (i == 8) {
        EXPECT_LT(static_cast<double>(fast) / (640.0 * 128.0), 1.30);
      } else if (i == 9) {
        EXPECT_LT(per_mac, 1.29);
      } else if (i == 11) {
        EXPECT_LT(per_mac, 1.27);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Mps2, FullyConnectedFastQemuTest, testing::kKernelQemuTargets,
                         testing::kernel_qemu_test_name);

}  // namespace
}  // namespace tinyscale::deploy
