// Section sizes of a firmware ELF: what a board's FLASH and RAM hold.
//
// elf_sections() reads an ELF32 little-endian file's section header table itself (no
// binutils needed) and checks every offset and size against the file before using it;
// a malformed file raises tinyscale::Error naming the file and what is wrong.
//
//   auto sections = tinyscale::deploy::elf_sections("fw.elf");
//   sections.size_of(".rodata");   // the model's const data (weights, parameters)
//   sections.flash_bytes();        // every loaded section: code, constants, .data's image
//   sections.ram_bytes();          // writable sections: .data + .bss (arena included)
//
// The figures match `arm-none-eabi-size -A`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tinyscale::deploy {

struct ElfSection {
  std::string name;
  std::uint32_t type = 0;   // SHT_PROGBITS = 1, SHT_NOBITS = 8, ...
  std::uint32_t flags = 0;  // SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4
  std::uint32_t address = 0;
  std::uint32_t size = 0;
};

struct ElfSections {
  std::uint16_t machine = 0;  // e_machine: 40 = ARM
  std::vector<ElfSection> sections;

  // Bytes of the section of this name; 0 if the file has none.
  std::uint64_t size_of(const std::string& name) const;
  // Allocated sections with file contents (code, constants, the .data load image).
  std::uint64_t flash_bytes() const;
  // Allocated writable sections (.data, .bss).
  std::uint64_t ram_bytes() const;
};

ElfSections elf_sections(const std::filesystem::path& elf);

}  // namespace tinyscale::deploy
