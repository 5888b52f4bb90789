// The board database: microcontroller boards with their published memory and clock, and
// the part of each memory the application keeps for itself (code, runtime, stack, heap).
//
// The built-in list is data/boards.json, compiled into the binary; users extend or
// override it with their own file of the same format (`--boards-file my_boards.json`;
// an entry with the name of a built-in board replaces it). Lookup is by name or alias,
// case-insensitive, ignoring '-', '_' and spaces; an unknown name gets an error that
// suggests the nearest names.
//
// Usage:
//   scaling::BoardDatabase db = scaling::BoardDatabase::builtin();
//   db.merge(scaling::BoardDatabase::from_file("my_boards.json"));
//   const scaling::Board& b = db.find("nucleo-h743zi2");
//   b.flash_bytes - b.reserve_flash_bytes;   // what a model may use
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyscale::scaling {

struct Board {
  std::string name;
  std::vector<std::string> aliases;
  std::string core;  // cortex-m0plus, cortex-m4, cortex-m7, cortex-m33, cortex-m55, xtensa-lx7, ...
  double mhz = 0.0;
  std::int64_t flash_bytes = 0;
  std::int64_t ram_bytes = 0;
  std::int64_t reserve_flash_bytes = 0;  // code, runtime, constants of the application
  std::int64_t reserve_ram_bytes = 0;    // stack, heap, runtime structures, I/O buffers
  std::string notes;
};

class BoardDatabase {
 public:
  static BoardDatabase builtin();
  // Throws tinyscale::Error naming the file and the entry (index, field) that is wrong.
  static BoardDatabase from_file(const std::string& path);
  static BoardDatabase from_json_text(const std::string& text, const std::string& origin);

  // Adds the boards of `other`; a board with the same name replaces the existing one.
  void merge(const BoardDatabase& other);
  // Throws tinyscale::Error "unknown board 'X'; did you mean: A, B, C?".
  const Board& find(std::string_view name) const;
  const std::vector<Board>& boards() const { return boards_; }

 private:
  std::vector<Board> boards_;
};

}  // namespace tinyscale::scaling
