// The board database: microcontroller boards with their published memory and clock, and
// the part of each memory the application keeps for itself (code, runtime, stack, heap).
//
// The built-in list is data/boards.json, compiled into the binary; users extend or
// override it with their own file of the same format (`--boards-file my_boards.json`;
// an entry with the name of a built-in board replaces it). Lookup is by name or alias,
// case-insensitive, ignoring '-', '_' and spaces; an unknown name gets an error that
// suggests the nearest names.
//
// Every board's RAM is a list of regions (name, kind, address, size) as its reference
// manual's memory map has them, since an arena must lie in one contiguous block unless it is
// split over regions (scaling/budgets.h says how the budgets follow from them). A file is
// validated as it is loaded: every error names the file, the entry and the field (an
// unknown core, a region list that does not add up to ram_bytes, a reserve larger than its
// region); a name or alias that is also another board's, in the same file or in the
// database it is merged into, is refused naming both boards.
//
// Usage:
//   scaling::BoardDatabase db = scaling::BoardDatabase::builtin();
//   db.merge(scaling::BoardDatabase::from_file("my_boards.json"));
//   const scaling::Board& b = db.find("nucleo-h743zi2");
//   b.flash_bytes - b.reserve_flash_bytes;   // what a model may use
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyscale::scaling {

// One separately addressed block of RAM. Banks at adjacent addresses are one region.
struct RamRegion {
  std::string name;  // as the reference manual calls it: "AXI SRAM", "SRAM1 + SRAM2 + SRAM3"
  std::string kind;  // dtcm, itcm, axi, sram, psram, sdram
  std::int64_t size_bytes = 0;
  std::optional<std::uint64_t> address;  // its base address, when known
};

struct Board {
  std::string name;
  std::vector<std::string> aliases;
  std::string core;  // cortex-m0plus, cortex-m4, cortex-m7, cortex-m33, cortex-m55, xtensa-lx7, ...
  double mhz = 0.0;
  std::int64_t flash_bytes = 0;
  std::int64_t ram_bytes = 0;  // the sum of ram_regions
  // Never empty for a loaded board; a Board built in code may leave it empty (ram_regions_of).
  std::vector<RamRegion> ram_regions;
  std::int64_t reserve_flash_bytes = 0;  // code, runtime, constants of the application
  std::int64_t reserve_ram_bytes = 0;    // stack, heap, runtime structures, I/O buffers
  std::string reserve_ram_region;        // the region holding the RAM reserve; empty: the largest
  std::string notes;
  std::string origin;  // the file the entry came from, for messages
};

// The board's RAM regions: ram_regions, or one region "RAM" of ram_bytes when it has none.
std::vector<RamRegion> ram_regions_of(const Board& board);
// Index into ram_regions_of(board) of the region the RAM reserve is taken from: the one named
// reserve_ram_region, else the largest (the first of equals). Throws tinyscale::Error naming
// the board when no region has that name.
std::size_t reserve_region_of(const Board& board);
// "dtcm, itcm, axi, sram, psram, sdram"
const std::vector<std::string>& ram_region_kinds();

class BoardDatabase {
 public:
  static BoardDatabase builtin();
  // Throws tinyscale::Error naming the file and the entry (index, field) that is wrong.
  static BoardDatabase from_file(const std::string& path);
  static BoardDatabase from_json_text(const std::string& text, const std::string& origin);

  // Adds the boards of `other`; a board with the same name replaces the existing one. Throws
  // tinyscale::Error, leaving the database unchanged, when a name or alias of the result
  // would name two boards (the message names both and the files they came from).
  void merge(const BoardDatabase& other);
  // Throws tinyscale::Error "unknown board 'X'; did you mean: A, B, C?".
  const Board& find(std::string_view name) const;
  const std::vector<Board>& boards() const { return boards_; }

 private:
  std::vector<Board> boards_;
};

}  // namespace tinyscale::scaling
