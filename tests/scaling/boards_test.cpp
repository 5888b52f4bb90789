#include "scaling/boards.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "core/error.h"
#include "costmodel/latency.h"
#include "tests/support/errors.h"

namespace tinyscale::scaling {
namespace {

constexpr std::int64_t KiB = 1024;
constexpr std::int64_t MiB = 1024 * 1024;

using testing_support::error_of;
using testing_support::expect_contains;

struct Published {
  const char* name;
  const char* core;
  double mhz;
  std::int64_t flash_bytes;
  std::int64_t ram_bytes;
};

// The issue's figures, as vendors publish them.
const Published kRequired[] = {
    {"STM32F746G-DISCO", "cortex-m7", 216, 1 * MiB, 320 * KiB},
    {"NUCLEO-H743ZI2", "cortex-m7", 480, 2 * MiB, 1 * MiB},
    {"STM32H7A3", "cortex-m7", 280, 2 * MiB, 1376 * KiB},
    {"STM32L4R5", "cortex-m4", 120, 2 * MiB, 640 * KiB},
    {"Arduino Nano 33 BLE Sense", "cortex-m4", 64, 1 * MiB, 256 * KiB},
    {"SparkFun Edge", "cortex-m4", 48, 1 * MiB, 384 * KiB},
    {"Raspberry Pi Pico", "cortex-m0plus", 133, 2 * MiB, 264 * KiB},
    {"MAX78000", "cortex-m4", 100, 512 * KiB, 128 * KiB},
    {"ESP32-S3", "xtensa-lx7", 240, 8 * MiB, 512 * KiB},
};

TEST(Boards, BuiltinHasEveryRequiredBoardWithPublishedFigures) {
  const BoardDatabase db = BoardDatabase::builtin();
  for (const Published& p : kRequired) {
    SCOPED_TRACE(p.name);
    const Board& b = db.find(p.name);
    EXPECT_EQ(b.name, p.name);
    EXPECT_EQ(b.core, p.core);
    EXPECT_EQ(b.mhz, p.mhz);
    EXPECT_EQ(b.flash_bytes, p.flash_bytes);
    EXPECT_EQ(b.ram_bytes, p.ram_bytes);
  }
  const Board& h743 = db.find("NUCLEO-H743ZI2");
  EXPECT_EQ(h743.flash_bytes, 2097152);
  EXPECT_EQ(h743.ram_bytes, 1048576);
  EXPECT_EQ(db.find("STM32H7A3").ram_bytes, 1409024);
}

TEST(Boards, BuiltinEntriesAreSane) {
  const BoardDatabase db = BoardDatabase::builtin();
  ASSERT_GE(db.boards().size(), std::size(kRequired));
  std::set<std::string> names;
  for (const Board& b : db.boards()) {
    SCOPED_TRACE(b.name);
    EXPECT_TRUE(names.insert(b.name).second);
    EXPECT_FALSE(b.aliases.empty());
    EXPECT_FALSE(b.notes.empty());
    // Every built-in core has a row in the latency table.
    EXPECT_NO_THROW(costmodel::cycle_costs(b.core));
    // Reserves are explicit and leave most of each memory to the model.
    EXPECT_GT(b.reserve_flash_bytes, 0);
    EXPECT_GT(b.reserve_ram_bytes, 0);
    EXPECT_LE(b.reserve_flash_bytes * 4, b.flash_bytes);
    EXPECT_LE(b.reserve_ram_bytes * 4, b.ram_bytes);
    // Every alias finds its own board.
    for (const std::string& alias : b.aliases) EXPECT_EQ(&db.find(alias), &db.find(b.name));
  }
}

TEST(Boards, ReservesFollowTheDocumentedRule) {
  const BoardDatabase db = BoardDatabase::builtin();
  EXPECT_EQ(db.find("NUCLEO-H743ZI2").reserve_flash_bytes, 128 * KiB);
  EXPECT_EQ(db.find("NUCLEO-H743ZI2").reserve_ram_bytes, 64 * KiB);
  EXPECT_EQ(db.find("STM32F746G-DISCO").reserve_ram_bytes, 32 * KiB);
  EXPECT_EQ(db.find("STM32L4R5").reserve_ram_bytes, 48 * KiB);
  EXPECT_EQ(db.find("MAX78000").reserve_flash_bytes, 96 * KiB);
  EXPECT_EQ(db.find("MAX78000").reserve_ram_bytes, 24 * KiB);
}

TEST(Boards, FindsByAliasIgnoringCaseDashesUnderscoresSpacesAndParentheses) {
  const BoardDatabase db = BoardDatabase::builtin();
  const Board& h743 = db.find("NUCLEO-H743ZI2");
  EXPECT_EQ(&db.find("nucleo-h743zi2"), &h743);
  EXPECT_EQ(&db.find("NUCLEO_H743ZI2"), &h743);
  EXPECT_EQ(&db.find("Nucleo H743ZI2"), &h743);
  EXPECT_EQ(&db.find("stm32h743"), &h743);
  EXPECT_EQ(&db.find("stm32-h743"), &h743);
  EXPECT_EQ(&db.find("H743"), &h743);
  EXPECT_EQ(&db.find("(h743)"), &h743);
  EXPECT_EQ(db.find("nano33ble").name, "Arduino Nano 33 BLE Sense");
  EXPECT_EQ(db.find("pico").name, "Raspberry Pi Pico");
  EXPECT_EQ(db.find("rp2040").name, "Raspberry Pi Pico");
  EXPECT_EQ(db.find("esp32s3").name, "ESP32-S3");
  EXPECT_EQ(db.find("apollo3").name, "SparkFun Edge");
  EXPECT_EQ(db.find("nucleo-h7a3zi-q").name, "STM32H7A3");
}

TEST(Boards, UnknownBoardSuggestsNearestNames) {
  const BoardDatabase db = BoardDatabase::builtin();
  const std::string m = error_of([&] { db.find("stm32h74"); });
  expect_contains(m, "unknown board 'stm32h74'");
  expect_contains(m, "did you mean: NUCLEO-H743ZI2");
  // At most three suggestions.
  EXPECT_LE(std::count(m.begin(), m.end(), ','), 2) << m;
  expect_contains(error_of([&] { db.find("nano33"); }), "Arduino Nano 33 BLE Sense");
  expect_contains(error_of([] { BoardDatabase{}.find("pico"); }), "empty");
}

const char* kUserBoard = R"({"boards": [{
  "name": "NUCLEO-H743ZI2", "aliases": ["my-h743"], "core": "cortex-m7", "mhz": 400,
  "flash_bytes": 2097152, "ram_bytes": 524288,
  "reserve_flash_bytes": 262144, "reserve_ram_bytes": 16384 }, {
  "name": "Custom Board", "aliases": ["h743"], "core": "cortex-m33", "mhz": 100,
  "flash_bytes": 1048576, "ram_bytes": 131072,
  "reserve_flash_bytes": 0, "reserve_ram_bytes": 0, "notes": "mine"}]})";

TEST(Boards, MergeReplacesByNameAndAppendsNewBoards) {
  BoardDatabase db = BoardDatabase::builtin();
  const std::size_t before = db.boards().size();
  db.merge(BoardDatabase::from_json_text(kUserBoard, "user.json"));
  EXPECT_EQ(db.boards().size(), before + 1);
  const Board& h743 = db.find("nucleo_h743zi2");
  EXPECT_EQ(h743.mhz, 400);
  EXPECT_EQ(h743.ram_bytes, 524288);
  EXPECT_EQ(h743.reserve_flash_bytes, 262144);
  EXPECT_EQ(h743.aliases, std::vector<std::string>{"my-h743"});
  EXPECT_EQ(db.find("custom-board").notes, "mine");
  // The later file takes over an alias of a built-in board.
  EXPECT_EQ(db.find("h743").name, "Custom Board");
  EXPECT_EQ(db.find("STM32F746G-DISCO").mhz, 216);  // others untouched
}

TEST(Boards, FromFileReadsAndNamesTheFile) {
  const std::string path = ::testing::TempDir() + "tinyscale_boards_test.json";
  {
    std::ofstream out(path);
    out << kUserBoard;
  }
  EXPECT_EQ(BoardDatabase::from_file(path).boards().size(), 2u);
  {
    std::ofstream out(path);
    out << R"({"boards": [{"name": "x"}]})";
  }
  expect_contains(error_of([&] { BoardDatabase::from_file(path); }), path);
  std::remove(path.c_str());
  expect_contains(error_of([] { BoardDatabase::from_file("/nonexistent/boards.json"); }),
                  "/nonexistent/boards.json");
}

std::string entry_error(const std::string& entry_fields) {
  return error_of([&] {
    BoardDatabase::from_json_text(
        R"({"boards": [{"name": "Good", "core": "cortex-m4", "mhz": 80, "flash_bytes": 1024,
            "ram_bytes": 1024, "reserve_flash_bytes": 0, "reserve_ram_bytes": 0},
            {)" +
            entry_fields + "}]}",
        "mine.json");
  });
}

constexpr const char* kCore = R"("core": "cortex-m4", "mhz": 80, )";

TEST(Boards, EntryErrorsNameFileEntryAndField) {
  std::string m = entry_error(std::string(R"("name": "Broken", )") + kCore +
                              R"("ram_bytes": 4096, "reserve_flash_bytes": 0,
                                 "reserve_ram_bytes": 0)");
  expect_contains(m, "mine.json");
  expect_contains(m, "boards[1]");
  expect_contains(m, "'Broken'");
  expect_contains(m, "missing required field 'flash_bytes'");

  m = entry_error(std::string(R"("name": "Tight", )") + kCore +
                  R"("flash_bytes": 4096, "ram_bytes": 4096, "reserve_flash_bytes": 0,
                     "reserve_ram_bytes": 8192)");
  expect_contains(m, "boards[1] ('Tight')");
  expect_contains(m, "'reserve_ram_bytes' (8192) must be smaller than 'ram_bytes' (4096)");

  m = entry_error(std::string(R"("name": "good", )") + kCore +
                  R"("flash_bytes": 4096, "ram_bytes": 4096, "reserve_flash_bytes": 0,
                     "reserve_ram_bytes": 0)");
  expect_contains(m, "boards[1] ('good')");
  expect_contains(m, "duplicate board name 'good' (also boards[0])");

  m = entry_error(std::string(R"("name": "Other", "aliases": ["GOOD"], )") + kCore +
                  R"("flash_bytes": 4096, "ram_bytes": 4096, "reserve_flash_bytes": 0,
                     "reserve_ram_bytes": 0)");
  expect_contains(m, "'GOOD' also names boards[0] ('Good')");

  m = entry_error(std::string(R"("name": "Zero", )") + kCore +
                  R"("flash_bytes": 0, "ram_bytes": 4096, "reserve_flash_bytes": 0,
                     "reserve_ram_bytes": 0)");
  expect_contains(m, "'flash_bytes' must be positive, found 0");

  m = entry_error(R"("name": "Clockless", "core": "cortex-m4", "mhz": -1, "flash_bytes": 4096,
                     "ram_bytes": 4096, "reserve_flash_bytes": 0, "reserve_ram_bytes": 0)");
  expect_contains(m, "'mhz' must be a positive number");

  m = entry_error(R"("name": "NoCore", "core": "", "mhz": 10, "flash_bytes": 4096,
                     "ram_bytes": 4096, "reserve_flash_bytes": 0, "reserve_ram_bytes": 0)");
  expect_contains(m, "field 'core'");

  m = entry_error(std::string(R"("name": "Typo", )") + kCore +
                  R"("flash_bytes": 4096, "ram_bytes": 4096, "reserve_flash_bytes": 0,
                     "reserve_ram_bytes": 0, "reserve_flsh_bytes": 1)");
  expect_contains(m, "unknown field 'reserve_flsh_bytes'");

  m = entry_error(std::string(R"("name": "Text", )") + kCore +
                  R"("flash_bytes": "2MiB", "ram_bytes": 4096, "reserve_flash_bytes": 0,
                     "reserve_ram_bytes": 0)");
  expect_contains(m, "'flash_bytes' must be an integer number of bytes");

  expect_contains(error_of([] { BoardDatabase::from_json_text("{\"boards\": [", "bad.json"); }),
                  "bad.json: not valid JSON");
  expect_contains(error_of([] { BoardDatabase::from_json_text("{}", "empty.json"); }),
                  "empty.json: expected a \"boards\" array");
}

}  // namespace
}  // namespace tinyscale::scaling
