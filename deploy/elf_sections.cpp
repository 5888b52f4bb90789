#include "deploy/elf_sections.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace tinyscale::deploy {
namespace {

constexpr std::uint32_t kShtNobits = 8;
constexpr std::uint32_t kShfWrite = 1;
constexpr std::uint32_t kShfAlloc = 2;
constexpr std::size_t kElf32HeaderBytes = 52;
constexpr std::size_t kElf32SectionHeaderBytes = 40;

std::uint16_t read_u16(const std::vector<unsigned char>& bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] | (bytes[at + 1] << 8));
}

std::uint32_t read_u32(const std::vector<unsigned char>& bytes, std::size_t at) {
  return static_cast<std::uint32_t>(bytes[at]) | (static_cast<std::uint32_t>(bytes[at + 1]) << 8) |
         (static_cast<std::uint32_t>(bytes[at + 2]) << 16) |
         (static_cast<std::uint32_t>(bytes[at + 3]) << 24);
}

}  // namespace

std::uint64_t ElfSections::size_of(const std::string& name) const {
  for (const ElfSection& section : sections)
    if (section.name == name) return section.size;
  return 0;
}

std::uint64_t ElfSections::flash_bytes() const {
  std::uint64_t total = 0;
  for (const ElfSection& section : sections)
    if ((section.flags & kShfAlloc) != 0 && section.type != kShtNobits) total += section.size;
  return total;
}

std::uint64_t ElfSections::ram_bytes() const {
  std::uint64_t total = 0;
  for (const ElfSection& section : sections)
    if ((section.flags & kShfAlloc) != 0 && (section.flags & kShfWrite) != 0) total += section.size;
  return total;
}

ElfSections elf_sections(const std::filesystem::path& elf) {
  const std::string file = elf.string();
  std::ifstream in(elf, std::ios::binary);
  if (!in) throw Error("cannot open ELF file " + file);
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
  auto fail = [&](const std::string& what) -> Error { return Error(file + ": " + what); };

  if (bytes.size() < kElf32HeaderBytes || std::memcmp(bytes.data(), "\x7f" "ELF", 4) != 0)
    throw fail("not an ELF file (" + std::to_string(bytes.size()) + " bytes, no \\x7fELF header)");
  if (bytes[4] != 1) throw fail("ELF class " + std::to_string(bytes[4]) + ", expected 1 (ELF32)");
  if (bytes[5] != 1)
    throw fail("ELF data encoding " + std::to_string(bytes[5]) + ", expected 1 (little-endian)");

  ElfSections result;
  result.machine = read_u16(bytes, 18);
  const std::uint64_t table_offset = read_u32(bytes, 32);
  const std::uint64_t entry_bytes = read_u16(bytes, 46);
  const std::uint64_t count = read_u16(bytes, 48);
  const std::uint64_t names_index = read_u16(bytes, 50);
  if (count == 0) throw fail("no section header table (e_shnum is 0)");
  if (entry_bytes < kElf32SectionHeaderBytes)
    throw fail("section header entry of " + std::to_string(entry_bytes) + " bytes, expected >= 40");
  if (table_offset + count * entry_bytes > bytes.size())
    throw fail("section header table (" + std::to_string(count) + " x " +
               std::to_string(entry_bytes) + " bytes at offset " + std::to_string(table_offset) +
               ") runs past the end of the file (" + std::to_string(bytes.size()) + " bytes)");
  if (names_index >= count)
    throw fail("section name table index " + std::to_string(names_index) + " >= section count " +
               std::to_string(count));

  const std::size_t names_header = static_cast<std::size_t>(table_offset + names_index * entry_bytes);
  const std::uint64_t names_offset = read_u32(bytes, names_header + 16);
  const std::uint64_t names_size = read_u32(bytes, names_header + 20);
  if (names_offset + names_size > bytes.size())
    throw fail("section name table (offset " + std::to_string(names_offset) + ", " +
               std::to_string(names_size) + " bytes) runs past the end of the file");

  for (std::uint64_t i = 0; i < count; ++i) {
    const std::size_t header = static_cast<std::size_t>(table_offset + i * entry_bytes);
    const std::uint32_t name_at = read_u32(bytes, header);
    ElfSection section;
    section.type = read_u32(bytes, header + 4);
    section.flags = read_u32(bytes, header + 8);
    section.address = read_u32(bytes, header + 12);
    section.size = read_u32(bytes, header + 20);
    if (name_at >= names_size)
      throw fail("section " + std::to_string(i) + ": name offset " + std::to_string(name_at) +
                 " outside the name table (" + std::to_string(names_size) + " bytes)");
    const std::size_t begin = static_cast<std::size_t>(names_offset + name_at);
    const std::size_t end = static_cast<std::size_t>(names_offset + names_size);
    std::size_t stop = begin;
    while (stop < end && bytes[stop] != 0) ++stop;
    if (stop == end) throw fail("section " + std::to_string(i) + ": name not NUL-terminated");
    section.name.assign(reinterpret_cast<const char*>(bytes.data()) + begin, stop - begin);
    if (section.type != kShtNobits && i != 0) {
      const std::uint64_t data_offset = read_u32(bytes, header + 16);
      if (data_offset + section.size > bytes.size())
        throw fail("section " + section.name + " (offset " + std::to_string(data_offset) + ", " +
                   std::to_string(section.size) + " bytes) runs past the end of the file");
    }
    result.sections.push_back(std::move(section));
  }
  return result;
}

}  // namespace tinyscale::deploy
