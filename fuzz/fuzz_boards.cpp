// libFuzzer harness: bytes -> a boards JSON file (scaling/boards.h, as --boards-file) merged
// into the built-in database -> every board's budgets, single-region and split, as `solve`,
// `run --board` and `deploy --board` go (cli/board_regions.cpp, cli/solve_command.cpp). A
// tinyscale::Error is a clean rejection; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "scaling/boards.h"
#include "scaling/budgets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace scaling = tinyscale::scaling;
  static const scaling::BoardDatabase builtin = scaling::BoardDatabase::builtin();
  try {
    const scaling::BoardDatabase file = scaling::BoardDatabase::from_json_text(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz_boards.json");
    scaling::BoardDatabase merged = builtin;
    merged.merge(file);
    for (const scaling::Board& board : file.boards()) {
      const scaling::Board& found = merged.find(board.name);
      for (const auto mode : {scaling::ArenaRegions::single, scaling::ArenaRegions::split}) {
        try {
          (void)scaling::region_capacities(
              scaling::budgets_for_board(found, std::nullopt, std::nullopt, mode));
        } catch (const tinyscale::Error&) {
        }
      }
    }
  } catch (const tinyscale::Error&) {
  }
  return 0;
}
