// Board memory regions as a user meets them: `solve`, `net`, `info`, `run` and `boards` with
// --board and --arena-regions (issue 12, item 1), and boards files validated on load.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/cli_run.h"

namespace {

using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;
using tinyscale::testing_support::run_cli_split;

constexpr long KiB = 1024;

nlohmann::json json_of(const std::string& args) {
  const auto r = run_cli_split(args);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

long used_in(const nlohmann::json& regions, const std::string& name) {
  for (const auto& r : regions["regions"]) {
    if (r["name"] == name) return r["used_bytes"].get<long>();
  }
  ADD_FAILURE() << "no region " << name << " in " << regions.dump();
  return -1;
}

// The ./run.sh reproducer: `solve --board NUCLEO-H743ZI2` returned a 979,968 B arena, which
// no region of the part holds (the largest, the AXI SRAM, is 512 KiB). The arena now fits the
// AXI SRAM less the 64 KiB application reserve.
TEST(BoardRegions, SolvedArenaFitsTheBoardsLargestRegion) {
  const nlohmann::json s =
      json_of("solve --board NUCLEO-H743ZI2 --input 3x96x96 --num-classes 10 --json");
  ASSERT_FALSE(s.is_discarded());
  EXPECT_EQ(s["budgets"]["ram_bytes"], 448 * KiB);
  EXPECT_EQ(s["budgets"]["arena_regions"], "single");
  EXPECT_LE(s["ram_bytes"].get<long>(), 448 * KiB);
  EXPECT_TRUE(s["ram_regions"]["fits"].get<bool>());
  EXPECT_EQ(used_in(s["ram_regions"], "AXI SRAM"), s["ram_bytes"].get<long>());
  EXPECT_EQ(used_in(s["ram_regions"], "DTCM"), 0);
  // The H7A3: its 1 MiB AXI SRAM less 64 KiB, not the 1.28 MiB of all its RAM.
  const nlohmann::json h7a3 = json_of("solve --board h7a3 --input 3x128x128 --json");
  EXPECT_EQ(h7a3["budgets"]["ram_bytes"], 960 * KiB);
  EXPECT_LE(h7a3["ram_bytes"].get<long>(), 960 * KiB);

  const auto table = run_cli("solve --board NUCLEO-H743ZI2 --input 3x96x96 --num-classes 10");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("RAM on NUCLEO-H743ZI2: one arena in AXI SRAM (458,752 B after the "
                           "64 KiB reserve)"),
            std::string::npos)
      << table.out;
}

// --arena-regions auto (tinyscale's host engine, --runtime engine: TFLite Micro and the
// generated code have one arena): `solve` places the activation buffers over the regions;
// `net` on its command, and `run` on its exported .tflite, place them identically, byte for byte.
TEST(BoardRegions, AutoSplitAgreesBetweenSolveNetAndRun) {
  const nlohmann::json s = json_of(
      "solve --board h743 --arena-regions auto --runtime engine --input 3x96x96 --num-classes 10 "
      "--json");
  ASSERT_FALSE(s.is_discarded());
  EXPECT_EQ(s["budgets"]["arena_regions"], "auto");
  EXPECT_EQ(s["budgets"]["ram_bytes"], (128 + 448 + 288 + 64) * KiB);
  const nlohmann::json& regions = s["ram_regions"];
  EXPECT_TRUE(regions["fits"].get<bool>());
  int used = 0;
  long total = 0;
  for (const auto& r : regions["regions"]) {
    EXPECT_LE(r["used_bytes"].get<long>(), r["available_bytes"].get<long>()) << r.dump();
    used += r["used_bytes"].get<long>() > 0;
    total += r["used_bytes"].get<long>();
  }
  EXPECT_GE(used, 2) << "the solution uses more than one region";
  EXPECT_EQ(total, s["ram_bytes"].get<long>());
  EXPECT_GT(total, 512 * KiB) << "more than the largest region holds";

  const std::string command = s["command"].get<std::string>().substr(10);  // "net phinet ..."
  const nlohmann::json net = json_of(command + " --board h743 --arena-regions auto --runtime engine --json");
  EXPECT_EQ(net["ram_bytes"], s["ram_bytes"]);
  EXPECT_EQ(net["ram_regions"], regions);

  const std::string dir = ::testing::TempDir() + "tinyscale_board_regions";
  std::filesystem::create_directories(dir);
  const std::string tflite = dir + "/model.tflite";
  const std::string export_command = "export" + command.substr(3) + " --tflite " + tflite;
  const auto exported = run_cli(export_command);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const nlohmann::json run =
      json_of("run " + tflite + " --random 1 --board h743 --arena-regions auto --json");
  EXPECT_EQ(run["arena_bytes"], s["ram_bytes"]);
  EXPECT_EQ(run["ram_regions"], regions);
  const nlohmann::json info = json_of("info " + tflite + " --board h743 --arena-regions auto --runtime engine --json");
  EXPECT_EQ(info["ram_regions"], regions);
  std::filesystem::remove_all(dir);
}

TEST(BoardRegions, ReportsWhatDoesNotFit) {
  const auto net = run_cli("net phinet --input 3x96x96 --alpha 1 --board f401");
  ASSERT_EQ(net.exit_code, 0) << net.out;
  EXPECT_NE(net.out.find("RAM on NUCLEO-F401RE: one arena in SRAM (73,728 B after the 24 KiB "
                         "reserve)"),
            std::string::npos)
      << net.out;
  EXPECT_NE(net.out.find("DOES NOT FIT (over in SRAM by"), std::string::npos) << net.out;
  const nlohmann::json j = json_of("net phinet --input 3x96x96 --alpha 1 --board f401 --json");
  EXPECT_FALSE(j["ram_regions"]["fits"].get<bool>());
  // `info` forwards the board to the network report.
  const auto info = run_cli("info phinet --input 3x96x96 --alpha 1 --board f401");
  EXPECT_NE(info.out.find("DOES NOT FIT"), std::string::npos) << info.out;
}

TEST(BoardRegions, OptionErrorsAreOneClearLine) {
  for (const auto& [args, mention] :
       {std::pair<std::string, std::string>{"net phinet --input 3x96x96 --arena-regions auto",
                                            "--arena-regions needs --board"},
        {"solve --flash 1M --ram 256K --arena-regions auto --input 3x96x96",
         "--arena-regions needs --board"},
        {"solve --board h743 --arena-regions all --input 3x96x96", "--arena-regions 'all'"},
        {"solve --board h743 --reserve-ram 600K --input 3x96x96",
         "leaves nothing of region 'AXI SRAM'"}}) {
    const auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.out), 1) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(mention), std::string::npos) << args << "\n" << r.out;
  }
}

TEST(BoardRegions, BoardsListsRegionsAndTheRamAModelGets) {
  const nlohmann::json boards = json_of("boards --json");
  const nlohmann::json* h743 = nullptr;
  for (const auto& b : boards) {
    if (b["name"] == "NUCLEO-H743ZI2") h743 = &b;
  }
  ASSERT_NE(h743, nullptr);
  EXPECT_EQ((*h743)["ram_regions"].size(), 4u);
  EXPECT_EQ((*h743)["ram_regions"][1]["name"], "AXI SRAM");
  EXPECT_EQ((*h743)["ram_regions"][1]["address"], "0x24000000");
  EXPECT_EQ((*h743)["reserve_ram_region"], "AXI SRAM");
  EXPECT_EQ((*h743)["model_ram_bytes"], 448 * KiB);
  EXPECT_EQ((*h743)["split_ram_bytes"], 928 * KiB);
  const auto table = run_cli("boards");
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("split RAM"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("AXI SRAM*"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("SRAM1 + SRAM2 + SRAM3"), std::string::npos) << table.out;
}

// A boards file is validated as it is loaded: an unknown core names the file and the board;
// an alias another board already has is refused, naming both.
TEST(BoardRegions, BoardsFileIsValidatedOnLoad) {
  const std::string path = ::testing::TempDir() + "tinyscale_cli_boards.json";
  auto write = [&](const std::string& text) {
    std::ofstream out(path);
    out << text;
  };
  write(R"({"boards": [{"name": "Lab Board", "core": "cortex-m85", "mhz": 400,
    "flash_bytes": 2097152, "ram_bytes": 1048576, "reserve_flash_bytes": 0,
    "reserve_ram_bytes": 0}]})");
  auto r = run_cli("boards --boards-file " + path);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find(path + ": boards[0] ('Lab Board'): field 'core': unknown core 'cortex-m85'"),
            std::string::npos)
      << r.out;
  write(R"({"boards": [{"name": "Lab Board", "aliases": ["pico"], "core": "cortex-m33",
    "mhz": 100, "flash_bytes": 2097152, "ram_bytes": 262144, "reserve_flash_bytes": 0,
    "reserve_ram_bytes": 0}]})");
  r = run_cli("solve --board lab-board --boards-file " + path + " --input 3x96x96");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("'Lab Board' (" + path + "): its alias 'pico' is already a name or alias "
                       "of board 'Raspberry Pi Pico'"),
            std::string::npos)
      << r.out;
  std::remove(path.c_str());
}

}  // namespace
