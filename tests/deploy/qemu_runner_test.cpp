// deploy/qemu_runner against the test firmware (tests/deploy/firmware/test_main.c) on
// QEMU's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4): the instruction counter on
// a loop of known length, the semihosting file round trip, stack painting, a HardFault,
// and the timeout.
#include "deploy/qemu_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <vector>

#include "deploy/cortex_m.h"
#include "tests/deploy/firmware_build.h"

namespace tinyscale::deploy {
namespace {

using namespace std::chrono_literals;

enum Mode { kKnownLoop = 1, kRoundTrip = 2, kStack = 3, kHardFault = 4, kInfiniteLoop = 5 };

class QemuRunnerTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!testing::cross_tools_present())
      GTEST_SKIP() << "arm-none-eabi-gcc or qemu-system-arm missing (scripts/setup.sh installs them)";
    target_ = find_cortex_m_target(GetParam());
    ASSERT_NE(target_, nullptr);
  }
  std::filesystem::path elf(Mode mode) {
    return testing::FirmwareBuild::instance().elf(*target_, mode);
  }
  QemuRun run(Mode mode, const std::filesystem::path& input = {},
              const std::filesystem::path& output = {}) {
    return run_qemu(elf(mode), target_->qemu_machine, input, output, 20s);
  }
  const CortexMTarget* target_ = nullptr;
};

TEST_P(QemuRunnerTest, KnownLoopMeasuresTwoInstructionsPerIteration) {
  const QemuRun first = run(kKnownLoop);
  ASSERT_EQ(first.exit_code, 0) << first.failure_text();
  const std::uint64_t expected = first.figure("expected_instructions");
  ASSERT_EQ(expected, 2'000'000u);
  const std::uint64_t measured = first.figure("instructions");
  const std::uint64_t empty = first.figure("empty_instructions");
  std::cout << target_->qemu_machine << ": known loop " << measured << " instructions (expected "
            << expected << ", empty measurement " << empty << "), QEMU run "
            << first.wall_seconds * 1000 << " ms\n";
  // The loop body is `subs; bne` by construction; the measurement adds the call, the
  // loop's setup and the counter reads, which the empty measurement bounds.
  EXPECT_LE(empty, 40u);
  EXPECT_GE(measured + 40, expected);
  EXPECT_LE(measured, expected + 80);
  EXPECT_EQ(measured % 40, 0u);

  // A 4096-tick reload wraps the 24-bit counter a dozen times: the wraps are counted,
  // and each costs only the interrupt handler's few instructions.
  const std::uint64_t wraps = first.figure("wraps");
  const std::uint64_t wrapped = first.figure("wrapped_instructions");
  EXPECT_EQ(wraps, expected / (4096 * 40));
  EXPECT_GE(wrapped + 40, expected);
  EXPECT_LE(wrapped, expected + 80 + wraps * 16);

  // -icount makes the count repeatable run to run.
  const QemuRun second = run(kKnownLoop);
  EXPECT_EQ(second.figures, first.figures);
}

TEST_P(QemuRunnerTest, SemihostingRoundTripIsByteExact) {
  const std::filesystem::path dir = testing::FirmwareBuild::instance().root();
  const std::filesystem::path input = dir / (std::string(GetParam()) + "_in.bin");
  const std::filesystem::path output = dir / (std::string(GetParam()) + "_out.bin");
  std::vector<char> bytes(40'000);
  std::mt19937 random(13);
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xFF);
  bytes[0] = 0;
  bytes[1] = '\n';
  bytes[2] = 0x1A;  // NUL, newline and ^Z pass through binary mode untouched
  std::ofstream(input, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  const QemuRun result = run(kRoundTrip, input, output);
  ASSERT_EQ(result.exit_code, 0) << result.failure_text();
  EXPECT_EQ(result.figure("input_bytes"), bytes.size());
  std::ifstream in(output, std::ios::binary);
  const std::vector<char> back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, bytes);
  std::cout << target_->qemu_machine << ": QEMU start to exit " << result.wall_seconds * 1000
            << " ms (round trip of " << bytes.size() << " bytes)\n";
}

TEST_P(QemuRunnerTest, StackHighWaterCoversALargeLocalArray) {
  const QemuRun result = run(kStack);
  ASSERT_EQ(result.exit_code, 0) << result.failure_text();
  const std::uint64_t before = result.figure("stack_before");
  const std::uint64_t after = result.figure("stack_bytes");
  EXPECT_LT(before, 256u);
  EXPECT_GE(after, before + 16384);  // the 16 KiB array
  EXPECT_LT(after, before + 16384 + 512);
  EXPECT_EQ(result.figure("stack_size"), 65536u);
}

TEST_P(QemuRunnerTest, HardFaultExitsNonZeroWithAClearMessage) {
  const QemuRun result = run(kHardFault);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.figures.at("fault"), "HardFault");
  EXPECT_NE(result.failure_text().find("firmware fault: fault=HardFault pc=0x"), std::string::npos)
      << result.failure_text();
}

TEST_P(QemuRunnerTest, TimeoutKillsAnEndlessFirmware) {
  const auto started = std::chrono::steady_clock::now();
  try {
    run_qemu(elf(kInfiniteLoop), target_->qemu_machine, {}, {}, 300ms);
    FAIL() << "no timeout";
  } catch (const QemuTimeout& timeout) {
    EXPECT_NE(std::string(timeout.what()).find("did not finish within 300 ms"), std::string::npos)
        << timeout.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

INSTANTIATE_TEST_SUITE_P(Mps2, QemuRunnerTest, ::testing::Values("cortex-m7", "cortex-m4"),
                         [](const auto& test_param) {
                           return std::string(test_param.param) == "cortex-m7" ? "M7" : "M4";
                         });

TEST(QemuRunner, RefusesWhatItCannotRun) {
  EXPECT_THROW(run_qemu("/nonexistent/fw.elf", "mps2-an500", {}, {}, 1s), Error);
  EXPECT_THROW(run_qemu("/nonexistent/fw.elf", "mps2-an505", {}, {}, 1s), Error);
  try {
    run_qemu(TINYSCALE_SOURCE_DIR "/CMakeLists.txt", "mps2-an386", "/nonexistent/in.bin", {}, 1s);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/in.bin"), std::string::npos);
  }
}

TEST(QemuRunner, ParsesTheReportLines) {
  const auto figures = parse_report(
      "qemu noise\nTINYSCALE instructions=120\r\nTINYSCALE fault=HardFault pc=0x000000ca\n"
      "TINYSCALEx=1\nTINYSCALE =3 stack_bytes=64");
  EXPECT_EQ(figures.size(), 4u);
  EXPECT_EQ(figures.at("instructions"), "120");
  EXPECT_EQ(figures.at("fault"), "HardFault");
  EXPECT_EQ(figures.at("pc"), "0x000000ca");
  EXPECT_EQ(figures.at("stack_bytes"), "64");
  QemuRun run;
  run.figures = figures;
  EXPECT_EQ(run.figure("instructions"), 120u);
  EXPECT_THROW(run.figure("pc"), Error);
  EXPECT_THROW(run.figure("cycles"), Error);
}

TEST(CortexMTargets, NameMachinesAndLinkerScriptsThatExist) {
  for (const CortexMTarget& target : cortex_m_targets()) {
    if (target.linker_script.empty()) continue;
    EXPECT_TRUE(std::filesystem::exists(firmware_dir() / target.linker_script)) << target.name;
  }
  ASSERT_NE(find_cortex_m_target("cortex-m7"), nullptr);
  EXPECT_EQ(find_cortex_m_target("cortex-m7")->qemu_machine, "mps2-an500");
  EXPECT_EQ(find_cortex_m_target("cortex-m4")->qemu_machine, "mps2-an386");
  EXPECT_EQ(find_cortex_m_target("cortex-m0"), nullptr);
}

}  // namespace
}  // namespace tinyscale::deploy
