// Builds the test firmware (tests/deploy/firmware/test_main.c) with the firmware support
// of deploy/firmware for a Cortex-M target, straight through arm-none-eabi-gcc into a
// temporary directory. The support objects are compiled once per target per test
// program run and every (target, mode) ELF is linked once; all of it is removed at exit.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>

#include "deploy/cortex_m.h"

namespace tinyscale::deploy::testing {

inline bool cross_tools_present() {
  return std::system(
             "command -v arm-none-eabi-gcc >/dev/null 2>&1 && "
             "command -v qemu-system-arm >/dev/null 2>&1") == 0;
}

class FirmwareBuild {
 public:
  static FirmwareBuild& instance() {
    static FirmwareBuild build;
    return build;
  }

  // The ELF for this target and TS_TEST_MODE; empty (and a test failure) if a build failed.
  std::filesystem::path elf(const CortexMTarget& target, int mode) {
    const std::string key = std::string(target.name) + "_" + std::to_string(mode);
    if (auto found = elfs_.find(key); found != elfs_.end()) return found->second;
    const std::filesystem::path fw = firmware_dir();
    std::string objects;
    for (const char* source : {"startup", "counter", "semihost", "syscalls"}) {
      const std::filesystem::path object = root_ / (std::string(target.name) + "_" + source + ".o");
      if (!std::filesystem::exists(object) &&
          !run(compile(target) + " -c " + (fw / (std::string(source) + ".c")).string() + " -o " +
               object.string()))
        return {};
      objects += " " + object.string();
    }
    const std::filesystem::path elf = root_ / (key + ".elf");
    const std::string test_main =
        std::string(TINYSCALE_SOURCE_DIR) + "/tests/deploy/firmware/test_main.c";
    if (!run(compile(target) + " -DTS_TEST_MODE=" + std::to_string(mode) + " " + test_main +
             objects + " -nostartfiles -T" + (fw / target.linker_script).string() +
             " -Wl,--gc-sections -o " + elf.string()))
      return {};
    elfs_[key] = elf;
    return elf;
  }

  const std::filesystem::path& root() const { return root_; }

  // A kernel test firmware: the firmware support plus `sources` (paths under the source
  // tree: the test's main and the device kernels it calls), compiled with the package's
  // flags for `target` and linked into root()/NAME_<target>/NAME.elf; empty (and a test
  // failure) if a step fails.
  std::filesystem::path kernel_firmware(const CortexMTarget& target, const std::string& name,
                                        std::initializer_list<const char*> sources) {
    const std::filesystem::path dir = root_ / (name + "_" + std::string(target.name));
    std::filesystem::create_directories(dir);
    const std::filesystem::path fw = firmware_dir();
    const std::string src = TINYSCALE_SOURCE_DIR;
    const std::string cxx =
        "arm-none-eabi-g++ -std=c++20 -fno-exceptions -fno-rtti "
        "-fno-threadsafe-statics -O2 -ffunction-sections -fdata-sections "
        "-Wall -Wextra -Werror " +
        std::string(target.gcc_flags) + " -I" + fw.string() + " -I" + src;
    std::string objects;
    auto compile = [&](const std::string& compiler, const std::filesystem::path& source) {
      const std::filesystem::path object = dir / (source.stem().string() + ".o");
      if (!run(compiler + " -c " + source.string() + " -o " + object.string())) return false;
      objects += " " + object.string();
      return true;
    };
    for (const char* s : {"startup", "counter", "semihost", "syscalls"})
      if (!compile(compile_c(target), fw / (std::string(s) + ".c"))) return {};
    for (const char* s : sources)
      if (!compile(cxx, std::filesystem::path(src) / s)) return {};
    const std::filesystem::path elf = dir / (name + ".elf");
    if (!run("arm-none-eabi-g++ " + std::string(target.gcc_flags) +
             " -nostartfiles -Wl,--gc-sections -T" + (fw / target.linker_script).string() +
             objects + " -o " + elf.string()))
      return {};
    return elf;
  }

 private:
  FirmwareBuild() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tinyscale-fw-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) root_ = pattern;
  }
  ~FirmwareBuild() {
    std::error_code ignored;
    if (!root_.empty()) std::filesystem::remove_all(root_, ignored);
  }

  std::string compile_c(const CortexMTarget& target) const { return compile(target); }
  std::string compile(const CortexMTarget& target) const {
    return "arm-none-eabi-gcc " + std::string(target.gcc_flags) +
           " -O2 -ffunction-sections -fdata-sections -Wall -Wextra -Werror -I" +
           firmware_dir().string();
  }

  bool run(const std::string& command) {
    const std::filesystem::path log = root_ / "build.log";
    if (std::system((command + " >" + log.string() + " 2>&1").c_str()) == 0) return true;
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    ADD_FAILURE() << "firmware build failed: " << command << "\n" << text.str();
    return false;
  }

  std::filesystem::path root_;
  std::map<std::string, std::filesystem::path> elfs_;
};

// The device kernels' QEMU tests: parameterised by the target's name ("cortex-m7" or
// "cortex-m4", instantiated with kKernelQemuTargets and named by kernel_qemu_test_name);
// skipped without the cross tools. firmware() builds the test's kernel firmware.
class KernelQemuTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!cross_tools_present())
      GTEST_SKIP()
          << "arm-none-eabi-gcc or qemu-system-arm missing (scripts/setup.sh installs them)";
    target_ = find_cortex_m_target(GetParam());
    ASSERT_NE(target_, nullptr);
  }

  std::filesystem::path firmware(const std::string& name,
                                 std::initializer_list<const char*> sources) {
    return FirmwareBuild::instance().kernel_firmware(*target_, name, sources);
  }

  const CortexMTarget* target_ = nullptr;
};

inline const auto kKernelQemuTargets = ::testing::Values("cortex-m7", "cortex-m4");

inline std::string kernel_qemu_test_name(const ::testing::TestParamInfo<const char*>& info) {
  return std::string(info.param) == "cortex-m7" ? "CortexM7" : "CortexM4";
}

}  // namespace tinyscale::deploy::testing
