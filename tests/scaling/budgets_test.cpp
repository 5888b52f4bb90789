#include "scaling/budgets.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "tests/support/errors.h"

namespace tinyscale::scaling {
namespace {

using testing_support::error_of;
using testing_support::expect_contains;

TEST(ParseSize, BinarySuffixesAndDecimalKilobytes) {
  EXPECT_EQ(parse_size("--flash", "512K"), 524288);
  EXPECT_EQ(parse_size("--flash", "512KB"), 524288);
  EXPECT_EQ(parse_size("--flash", "512k"), 524288);
  EXPECT_EQ(parse_size("--flash", "1M"), 1048576);
  EXPECT_EQ(parse_size("--flash", "1.5MiB"), 1572864);
  EXPECT_EQ(parse_size("--flash", "1.5 MiB"), 1572864);
  EXPECT_EQ(parse_size("--ram", "320KiB"), 327680);
  EXPECT_EQ(parse_size("--ram", "1000kB"), 1000000);  // the one decimal unit
  EXPECT_EQ(parse_size("--ram", "65536"), 65536);
  EXPECT_EQ(parse_size("--ram", "65536B"), 65536);
  EXPECT_EQ(parse_size("--flash", "2G"), 2147483648);
  EXPECT_EQ(parse_size("--flash", " 8MB "), 8388608);
  EXPECT_EQ(parse_size("--flash", ".5K"), 512);
  EXPECT_EQ(parse_size("--flash", "1e3"), 1000);
}

TEST(ParseSize, RoundsDownToWholeBytesExactly) {
  EXPECT_EQ(parse_size("--ram", "1.4MiB"), 1468006);  // 1468006.4
  EXPECT_EQ(parse_size("--ram", "0.1K"), 102);        // 102.4
  EXPECT_EQ(parse_size("--ram", "4.1kB"), 4100);      // exact decimal, no 4099.999...
  EXPECT_EQ(parse_size("--ram", "2.3M"), 2411724);    // 2411724.8
  EXPECT_EQ(parse_size("--ram", "1.9"), 1);
  EXPECT_EQ(parse_size("--ram", "9223372036854775807"), 9223372036854775807);
}

TEST(ParseSize, RejectsWithTheOptionAndTheExpectedForm) {
  EXPECT_EQ(error_of([] { parse_size("--flash", "512Q"); }),
            "--flash '512Q' is not a size: expected a number with an optional K, M, G, KiB, MiB, "
            "kB suffix (e.g. 512K, 1.5MiB)");
  expect_contains(error_of([] { parse_size("--flash", "-1K"); }), "--flash '-1K' is not a size");
  expect_contains(error_of([] { parse_size("--flash", "-1K"); }), "negative");
  expect_contains(error_of([] { parse_size("--ram", ""); }), "--ram '' is not a size");
  expect_contains(error_of([] { parse_size("--ram", "K"); }), "--ram 'K' is not a size");
  expect_contains(error_of([] { parse_size("--ram", "1e400"); }), "exceeds");
  expect_contains(error_of([] { parse_size("--ram", "0"); }), "at least 1 byte");
  expect_contains(error_of([] { parse_size("--ram", "0.5"); }), "at least 1 byte");
  expect_contains(error_of([] { parse_size("--ram", "9223372036854775808"); }), "exceeds");
  expect_contains(error_of([] { parse_size("--ram", "9000000000G"); }), "exceeds");
  expect_contains(error_of([] { parse_size("--ram", "nan"); }), "is not a size");
  expect_contains(error_of([] { parse_size("--ram", "inf"); }), "is not a size");
  expect_contains(error_of([] { parse_size("--ram", "1.2.3K"); }), "is not a size");
  expect_contains(error_of([] { parse_size("--ram", "0x100"); }), "is not a size");
  expect_contains(error_of([] { parse_size("--ram", "1e"); }), "is not a size");
}

TEST(ParseCount, PowersOfAThousand) {
  EXPECT_EQ(parse_count("--macs", "20M"), 20000000);
  EXPECT_EQ(parse_count("--macs", "1.5G"), 1500000000);
  EXPECT_EQ(parse_count("--macs", "300k"), 300000);
  EXPECT_EQ(parse_count("--macs", "12345"), 12345);
  EXPECT_EQ(parse_count("--macs", "2.5e6"), 2500000);
  expect_contains(error_of([] { parse_count("--macs", "20MiB"); }),
                  "--macs '20MiB' is not a count: expected a number with an optional K, M, G");
  expect_contains(error_of([] { parse_count("--macs", "-5M"); }), "negative");
  expect_contains(error_of([] { parse_count("--macs", "0"); }), "at least 1");
  expect_contains(error_of([] { parse_count("--macs", "1e30"); }), "exceeds");
}

TEST(ParseDuration, MillisecondsSecondsMicroseconds) {
  EXPECT_DOUBLE_EQ(parse_duration_ms("--latency", "50ms"), 50.0);
  EXPECT_DOUBLE_EQ(parse_duration_ms("--latency", "0.05s"), 50.0);
  EXPECT_DOUBLE_EQ(parse_duration_ms("--latency", "500us"), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration_ms("--latency", "50"), 50.0);  // bare = milliseconds
  EXPECT_DOUBLE_EQ(parse_duration_ms("--latency", "1.5 s"), 1500.0);
  expect_contains(error_of([] { parse_duration_ms("--latency", "50min"); }),
                  "--latency '50min' is not a duration: expected a number with an optional ms, s, "
                  "us suffix");
  expect_contains(error_of([] { parse_duration_ms("--latency", "-3ms"); }), "negative");
  expect_contains(error_of([] { parse_duration_ms("--latency", "0"); }), "positive");
  expect_contains(error_of([] { parse_duration_ms("--latency", "1e400"); }), "too large");
  expect_contains(error_of([] { parse_duration_ms("--latency", ""); }), "is not a duration");
}

TEST(FormatSize, ExactUnitsAndThreeSignificantDigits) {
  EXPECT_EQ(format_size(1048576), "1 MiB");
  EXPECT_EQ(format_size(327680), "320 KiB");
  EXPECT_EQ(format_size(1468006), "1.4 MiB");
  EXPECT_EQ(format_size(1409024), "1.34 MiB");
  EXPECT_EQ(format_size(1000), "1000 B");
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(1024), "1 KiB");
  EXPECT_EQ(format_size(1536), "1.5 KiB");
  EXPECT_EQ(format_size(12800), "12.5 KiB");
  EXPECT_EQ(format_size(8589934592), "8 GiB");
  EXPECT_EQ(format_size(-2048), "-2 KiB");
}

Board h743() {
  Board b;
  b.name = "NUCLEO-H743ZI2";
  b.core = "cortex-m7";
  b.mhz = 480;
  b.flash_bytes = 2097152;
  b.ram_bytes = 1048576;
  b.reserve_flash_bytes = 131072;
  b.reserve_ram_bytes = 65536;
  return b;
}

TEST(BudgetsForBoard, SubtractsReservesAndCopiesCoreAndClock) {
  const Budgets b = budgets_for_board(h743());
  EXPECT_EQ(b.flash_bytes, 2097152 - 131072);
  EXPECT_EQ(b.ram_bytes, 1048576 - 65536);
  EXPECT_EQ(b.core, "cortex-m7");
  EXPECT_EQ(b.mhz, 480);
  EXPECT_EQ(b.board_mhz, 480);  // the rated clock stays known when --mhz lowers `mhz`
  EXPECT_EQ(b.board, "NUCLEO-H743ZI2");
  EXPECT_FALSE(b.macs.has_value());
  EXPECT_FALSE(b.latency_ms.has_value());
}

TEST(BudgetsForBoard, HonoursReserveOverrides) {
  const Budgets b = budgets_for_board(h743(), 0, 262144);
  EXPECT_EQ(b.flash_bytes, 2097152);
  EXPECT_EQ(b.ram_bytes, 1048576 - 262144);
  const Budgets only_ram = budgets_for_board(h743(), std::nullopt, 0);
  EXPECT_EQ(only_ram.flash_bytes, 2097152 - 131072);
  EXPECT_EQ(only_ram.ram_bytes, 1048576);
  const std::string m = error_of([] { budgets_for_board(h743(), std::nullopt, 1048576); });
  expect_contains(m, "RAM reserve");
  expect_contains(m, "NUCLEO-H743ZI2");
  expect_contains(error_of([] { budgets_for_board(h743(), -1); }), "negative");
}

constexpr std::int64_t KiB = 1024;

// One arena must fit one region: the best of (region size, less the reserve where it is
// taken from). Before, the H743's budget was its whole RAM less the reserve (960 KiB), an
// arena no region holds.
TEST(BudgetsForBoard, RamIsTheBestSingleRegionUnlessSplit) {
  const BoardDatabase db = BoardDatabase::builtin();
  const Board& board = db.find("NUCLEO-H743ZI2");
  const Budgets one = budgets_for_board(board);
  EXPECT_EQ(one.ram_bytes, 448 * KiB);  // AXI SRAM 512 KiB less the 64 KiB reserve
  ASSERT_EQ(one.ram_regions.size(), 4u);
  EXPECT_EQ(one.ram_regions[static_cast<std::size_t>(one.ram_region)].name, "AXI SRAM");
  EXPECT_EQ(one.ram_regions[1].reserve_bytes, 64 * KiB);
  EXPECT_EQ(one.ram_regions[2].model_bytes(), 288 * KiB);
  EXPECT_EQ(region_capacities(one), std::vector<std::int64_t>{448 * KiB});

  const Budgets split = budgets_for_board(board, std::nullopt, std::nullopt, ArenaRegions::split);
  EXPECT_EQ(split.ram_bytes, (128 + 448 + 288 + 64) * KiB);
  EXPECT_EQ(region_capacities(split),
            (std::vector<std::int64_t>{128 * KiB, 448 * KiB, 288 * KiB, 64 * KiB}));

  // A larger reserve can make another region the best: 300 KiB of reserve leaves 212 KiB of
  // the AXI SRAM, less than SRAM1-3's 288 KiB.
  const Budgets big_reserve = budgets_for_board(board, std::nullopt, 300 * KiB);
  EXPECT_EQ(big_reserve.ram_bytes, 288 * KiB);
  EXPECT_EQ(big_reserve.ram_regions[static_cast<std::size_t>(big_reserve.ram_region)].name,
            "SRAM1 + SRAM2 + SRAM3");
  // The H7A3: 1 MiB AXI SRAM less 64 KiB, not 1.28 MiB.
  EXPECT_EQ(budgets_for_board(db.find("h7a3")).ram_bytes, 960 * KiB);
  // Single-region boards keep their figure.
  EXPECT_EQ(budgets_for_board(db.find("f746")).ram_bytes, 288 * KiB);
}

TEST(BudgetsForBoard, ReserveMustFitItsRegion) {
  Board b = h743();
  b.ram_regions = {{"TCM", "dtcm", 128 * KiB, std::nullopt},
                   {"Main", "sram", 896 * KiB, std::nullopt}};
  b.ram_bytes = 1024 * KiB;
  b.reserve_ram_region = "TCM";
  const Budgets fine = budgets_for_board(b);
  EXPECT_EQ(fine.ram_bytes, 896 * KiB);  // the reserve sits in the TCM
  const std::string m = error_of([&] { budgets_for_board(b, std::nullopt, 128 * KiB); });
  expect_contains(m, "leaves nothing of region 'TCM' of board NUCLEO-H743ZI2");
  b.reserve_ram_region = "ITCM";
  expect_contains(error_of([&] { budgets_for_board(b); }), "reserve_ram_region 'ITCM'");
}

TEST(BudgetsForBoard, ExplicitRamIsOneRegion) {
  Budgets b;
  b.ram_bytes = 100000;
  EXPECT_EQ(region_capacities(b), std::vector<std::int64_t>{100000});
}

TEST(ParseArenaRegions, AutoOrSingle) {
  EXPECT_EQ(parse_arena_regions("auto"), ArenaRegions::split);
  EXPECT_EQ(parse_arena_regions("single"), ArenaRegions::single);
  expect_contains(error_of([] { parse_arena_regions("all"); }), "--arena-regions 'all'");
}

}  // namespace
}  // namespace tinyscale::scaling
