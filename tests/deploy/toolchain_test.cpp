// deploy/firmware/arm-none-eabi.cmake: a CMake project configured with it builds the test
// firmware for each core (run under QEMU where the core has a machine) and compiles the
// firmware support for Cortex-M33, warning-free with -Wall -Wextra -Werror.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "deploy/cortex_m.h"
#include "deploy/qemu_runner.h"
#include "tests/deploy/firmware_build.h"

namespace tinyscale::deploy {
namespace {

class ToolchainFileTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ToolchainFileTest, BuildsTheFirmwareWithTheCoresFlags) {
  if (!testing::cross_tools_present()) GTEST_SKIP() << "arm-none-eabi-gcc or qemu-system-arm missing";
  const CortexMTarget& target = *find_cortex_m_target(GetParam());
  const std::filesystem::path project =
      testing::FirmwareBuild::instance().root() / ("toolchain_" + std::string(target.name));
  std::filesystem::create_directories(project);
  const std::string fw = firmware_dir().string();
  std::ofstream(project / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.25)\nproject(firmware C)\n"
      << "set(FW " << fw << ")\n"
      << "add_library(support STATIC ${FW}/startup.c ${FW}/counter.c ${FW}/semihost.c ${FW}/syscalls.c)\n"
      << "target_include_directories(support PUBLIC ${FW})\n"
      << "target_compile_options(support PRIVATE -Wall -Wextra -Werror)\n"
      << (target.linker_script.empty()
              ? std::string()
              : "add_executable(fw.elf " + std::string(TINYSCALE_SOURCE_DIR) +
                    "/tests/deploy/firmware/test_main.c)\n"
                    "target_compile_definitions(fw.elf PRIVATE TS_TEST_MODE=1)\n"
                    "target_compile_options(fw.elf PRIVATE -Wall -Wextra -Werror)\n"
                    "target_link_libraries(fw.elf PRIVATE support)\n"
                    "target_link_options(fw.elf PRIVATE -nostartfiles -T${FW}/" +
                    std::string(target.linker_script) + ")\n");
  const std::string log = (project / "log.txt").string();
  const std::string configure = "cmake -S " + project.string() + " -B " + (project / "build").string() +
                                " -DCMAKE_TOOLCHAIN_FILE=" + fw + "/arm-none-eabi.cmake" +
                                " -DTINYSCALE_CORTEX_M=" + std::string(target.name) + " >" + log + " 2>&1";
  const std::string build = "cmake --build " + (project / "build").string() + " --verbose >>" + log + " 2>&1";
  const bool built = std::system(configure.c_str()) == 0 && std::system(build.c_str()) == 0;
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(built) << text;
  for (const std::string flag : {"-O2", "-ffunction-sections", "-fdata-sections"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  EXPECT_NE(text.find(std::string(target.gcc_flags).substr(0, target.gcc_flags.find(" -mthumb"))),
            std::string::npos)
      << "the toolchain file's flags differ from deploy/cortex_m.cpp's for " << target.name;
  EXPECT_EQ(text.find("warning:"), std::string::npos) << text;
  if (target.linker_script.empty()) return;
  EXPECT_NE(text.find("--gc-sections"), std::string::npos);
  const QemuRun run = run_qemu(project / "build" / "fw.elf", target.qemu_machine, {}, {},
                               std::chrono::seconds(20));
  ASSERT_EQ(run.exit_code, 0) << run.failure_text();
  EXPECT_LE(run.figure("instructions"), run.figure("expected_instructions") + 80);
  EXPECT_GE(run.figure("instructions") + 40, run.figure("expected_instructions"));
}

TEST(ToolchainFile, RejectsAnUnknownCore) {
  if (!testing::cross_tools_present()) GTEST_SKIP() << "arm-none-eabi-gcc missing";
  const std::filesystem::path project = testing::FirmwareBuild::instance().root() / "toolchain_bad";
  std::filesystem::create_directories(project);
  std::ofstream(project / "CMakeLists.txt") << "cmake_minimum_required(VERSION 3.25)\nproject(x C)\n";
  const std::string log = (project / "log.txt").string();
  EXPECT_NE(std::system(("cmake -S " + project.string() + " -B " + (project / "build").string() +
                         " -DCMAKE_TOOLCHAIN_FILE=" + firmware_dir().string() +
                         "/arm-none-eabi.cmake -DTINYSCALE_CORTEX_M=cortex-m0 >" + log + " 2>&1")
                            .c_str()),
            0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("TINYSCALE_CORTEX_M is 'cortex-m0'"), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(Cores, ToolchainFileTest,
                         ::testing::Values("cortex-m7", "cortex-m4", "cortex-m33"),
                         [](const auto& test_param) {
                           std::string name = test_param.param;
                           return name == "cortex-m7" ? "M7" : name == "cortex-m4" ? "M4" : "M33";
                         });

}  // namespace
}  // namespace tinyscale::deploy
