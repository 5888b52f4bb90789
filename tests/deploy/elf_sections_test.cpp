// deploy/elf_sections on a cross-built firmware (checked against arm-none-eabi-size -A)
// and on damaged files.
#include "deploy/elf_sections.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "tests/deploy/firmware_build.h"

namespace tinyscale::deploy {
namespace {

std::vector<char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::filesystem::path firmware_elf() {
  return testing::FirmwareBuild::instance().elf(*find_cortex_m_target("cortex-m7"), 2);
}

TEST(ElfSections, MatchArmNoneEabiSize) {
  if (!testing::cross_tools_present()) GTEST_SKIP() << "arm-none-eabi-gcc missing";
  const std::filesystem::path elf = firmware_elf();
  ASSERT_FALSE(elf.empty());
  const ElfSections sections = elf_sections(elf);
  EXPECT_EQ(sections.machine, 40);  // EM_ARM

  std::map<std::string, std::uint64_t> expected;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(
      popen(("arm-none-eabi-size -A " + elf.string()).c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  char line[256];
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::istringstream fields(line);
    std::string name;
    std::uint64_t size = 0;
    if (fields >> name >> size && name.starts_with(".")) expected[name] = size;
  }
  ASSERT_TRUE(expected.count(".text"));
  for (const auto& [name, size] : expected) EXPECT_EQ(sections.size_of(name), size) << name;

  EXPECT_GT(sections.size_of(".text"), 0u);
  EXPECT_GE(sections.size_of(".bss"), 65536u);  // the test firmware's 64 KiB buffer
  EXPECT_EQ(sections.size_of(".no_such_section"), 0u);
  EXPECT_EQ(sections.ram_bytes(), sections.size_of(".data") + sections.size_of(".bss"));
  EXPECT_EQ(sections.flash_bytes(), sections.size_of(".isr_vector") + sections.size_of(".text") +
                                        sections.size_of(".rodata") + sections.size_of(".data") +
                                        sections.size_of(".ARM.exidx") +
                                        sections.size_of(".init_array") +
                                        sections.size_of(".fini_array") +
                                        sections.size_of(".preinit_array") +
                                        sections.size_of(".ARM.extab"));
}

TEST(ElfSections, DamagedFilesNameTheFileAndTheFault) {
  if (!testing::cross_tools_present()) GTEST_SKIP() << "arm-none-eabi-gcc missing";
  const std::filesystem::path elf = firmware_elf();
  ASSERT_FALSE(elf.empty());
  const std::vector<char> good = read_bytes(elf);
  const std::filesystem::path bad = testing::FirmwareBuild::instance().root() / "bad.elf";
  auto expect_error = [&](const std::vector<char>& bytes, const std::string& words) {
    write_bytes(bad, bytes);
    try {
      elf_sections(bad);
      ADD_FAILURE() << "no error for: " << words;
    } catch (const Error& error) {
      const std::string what = error.what();
      EXPECT_NE(what.find(bad.string()), std::string::npos) << what;
      EXPECT_NE(what.find(words), std::string::npos) << what;
    }
  };

  expect_error({good.begin(), good.begin() + 20}, "not an ELF file");
  std::vector<char> bytes = good;
  bytes[4] = 2;
  expect_error(bytes, "expected 1 (ELF32)");
  // The section header table sits at the end of the file: cut into it.
  expect_error({good.begin(), good.end() - 8}, "runs past the end of the file");
  bytes = good;
  bytes[50] = static_cast<char>(0xFF);  // e_shstrndx
  bytes[51] = 0x7F;
  expect_error(bytes, "section name table index");
  bytes = good;
  bytes[48] = 0;  // e_shnum
  bytes[49] = 0;
  expect_error(bytes, "no section header table");
  EXPECT_THROW(elf_sections("/nonexistent/fw.elf"), Error);
}

}  // namespace
}  // namespace tinyscale::deploy
