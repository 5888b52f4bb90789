// `tinyscale solve` and `tinyscale boards` as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/cli_run.h"

namespace {

using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;

nlohmann::json json_of(const std::string& args) {
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(SolveCommand, BoardSolutionFitsAndItsCommandRebuildsIt) {
  const nlohmann::json s =
      json_of("solve --board nucleo-h743zi2 --input 3x96x96 --num-classes 10 --json");
  ASSERT_FALSE(s.is_discarded());
  for (const char* key :
       {"family", "alpha", "beta", "t0", "num_layers", "input", "params", "macs", "flash_bytes",
        "ram_bytes", "latency_ms", "utilization", "binding", "command"}) {
    EXPECT_TRUE(s.contains(key)) << key;
  }
  EXPECT_EQ(s["family"], "phinet");
  EXPECT_EQ(s["budgets"]["board"], "NUCLEO-H743ZI2");
  EXPECT_LE(s["flash_bytes"].get<long>(), s["budgets"]["flash_bytes"].get<long>());
  EXPECT_LE(s["ram_bytes"].get<long>(), s["budgets"]["ram_bytes"].get<long>());
  EXPECT_GT(s["utilization"][s["binding"].get<std::string>()].get<double>(), 0.95);
  EXPECT_TRUE(s["latency_ms"].is_number());
  // The printed command rebuilds the very same network.
  std::string command = s["command"];
  ASSERT_EQ(command.rfind("tinyscale ", 0), 0u);
  const nlohmann::json net = json_of(command.substr(10) + " --json");
  EXPECT_EQ(net["flash_bytes"], s["flash_bytes"]);
  EXPECT_EQ(net["ram_bytes"], s["ram_bytes"]);
  EXPECT_EQ(net["params"], s["params"]);
  EXPECT_EQ(net["macs"], s["macs"]);
}

TEST(SolveCommand, YoloPhiNetFitsAndItsCommandRebuildsIt) {
  const nlohmann::json s = json_of(
      "solve --family yolo-phinet --board NUCLEO-H743ZI2 --input 3x64x64 --classes 20 --json");
  ASSERT_FALSE(s.is_discarded());
  EXPECT_EQ(s["family"], "yolo-phinet");
  EXPECT_TRUE(s.contains("t0"));
  EXPECT_LE(s["flash_bytes"].get<long>(), s["budgets"]["flash_bytes"].get<long>());
  EXPECT_LE(s["ram_bytes"].get<long>(), s["budgets"]["ram_bytes"].get<long>());
  EXPECT_GT(s["utilization"][s["binding"].get<std::string>()].get<double>(), 0.95);
  // `net` reports the same FLASH and RAM for the printed configuration.
  const std::string command = s["command"];
  ASSERT_EQ(command.rfind("tinyscale net yolo-phinet ", 0), 0u) << command;
  EXPECT_NE(command.find("--classes 20"), std::string::npos) << command;
  const nlohmann::json net = json_of(command.substr(10) + " --json");
  EXPECT_EQ(net["flash_bytes"], s["flash_bytes"]);
  EXPECT_EQ(net["ram_bytes"], s["ram_bytes"]);
  EXPECT_EQ(net["params"], s["params"]);
  EXPECT_EQ(net["macs"], s["macs"]);
}

TEST(SolveCommand, ExplicitBudgetsWithMacsAndXiNet) {
  const nlohmann::json s = json_of(
      "solve --flash 512K --ram 128KiB --macs 20M --family xinet --input 3x96x96 --num-classes 10 "
      "--json");
  EXPECT_EQ(s["family"], "xinet");
  EXPECT_TRUE(s.contains("gamma"));
  EXPECT_LE(s["flash_bytes"].get<long>(), 524288);
  EXPECT_LE(s["ram_bytes"].get<long>(), 131072);
  EXPECT_LE(s["macs"].get<long>(), 20000000);
  EXPECT_TRUE(s["utilization"].contains("macs"));
}

// Issue 12: this reproducer printed "~65.0 ms" for a 50 ms target (the target became a MAC
// budget at the convolution rate). The target now bounds the printed estimate itself.
TEST(SolveCommand, LatencyTargetBoundsThePrintedEstimate) {
  const auto table = run_cli("solve --board f746 --input 3x64x64 --latency 50ms");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  const std::size_t at = table.out.find("latency ~");
  ASSERT_NE(at, std::string::npos) << table.out;
  const double printed = std::stod(table.out.substr(at + 9));
  EXPECT_LE(printed, 50.0) << table.out;
  EXPECT_GE(printed, 45.0) << table.out;
  EXPECT_NE(table.out.find("50 ms"), std::string::npos) << table.out;

  const nlohmann::json s = json_of("solve --board f746 --input 3x64x64 --latency 50ms --json");
  EXPECT_LE(s["latency_ms"].get<double>(), 50.0);
  // The target is filled (FLASH, with TFLite Micro's code, binds as tightly on this board).
  EXPECT_GE(s["utilization"]["latency"].get<double>(), 0.9);
  EXPECT_NEAR(s["utilization"]["latency"].get<double>(), s["latency_ms"].get<double>() / 50.0,
              1e-12);
  EXPECT_EQ(s["budgets"]["latency_ms"], 50.0);
  EXPECT_TRUE(s["budgets"]["macs"].is_null()) << "a latency target is not a MAC budget";
  EXPECT_FALSE(s["utilization"].contains("macs"));

  const nlohmann::json explicit_core = json_of(
      "solve --flash 1M --ram 256K --latency 0.1s --core cortex-m4 --mhz 64 --input 3x64x64 "
      "--json");
  EXPECT_LE(explicit_core["latency_ms"].get<double>(), 100.0);
  EXPECT_GE(explicit_core["latency_ms"].get<double>(), 90.0);
  EXPECT_EQ(explicit_core["budgets"]["core"], "cortex-m4");

  // --macs stays a plain MAC budget, and both may be given: each holds.
  const nlohmann::json both =
      json_of("solve --board f746 --input 3x64x64 --latency 200ms --macs 5M --json");
  EXPECT_LE(both["latency_ms"].get<double>(), 200.0);
  EXPECT_LE(both["macs"].get<long>(), 5000000);
  EXPECT_GE(both["utilization"]["macs"].get<double>(), 0.9);
  EXPECT_EQ(both["budgets"]["macs"], 5000000);
}

// --mhz with --board is a lower clock than the board's rated one (boards run slower to save
// power): honoured, and the report says so; above the rated clock, or --core with --board,
// is an error rather than an option silently ignored.
TEST(SolveCommand, MhzWithBoardIsAStatedOverride) {
  const nlohmann::json rated = json_of("solve --board f746 --input 3x64x64 --latency 50ms --json");
  const nlohmann::json half =
      json_of("solve --board f746 --mhz 108 --input 3x64x64 --latency 50ms --json");
  EXPECT_EQ(half["budgets"]["mhz"], 108.0);
  EXPECT_EQ(half["budgets"]["board_mhz"], 216.0);
  EXPECT_EQ(rated["budgets"]["mhz"], 216.0);
  EXPECT_LE(half["latency_ms"].get<double>(), 50.0);
  // Half the clock, half the work in the same time.
  EXPECT_LT(half["macs"].get<double>(), 0.7 * rated["macs"].get<double>());
  const auto table = run_cli("solve --board f746 --mhz 108 --input 3x64x64 --latency 50ms");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("cortex-m7 @ 108 MHz"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("clock 108 MHz from --mhz (board STM32F746G-DISCO is rated 216 MHz)"),
            std::string::npos)
      << table.out;
}

TEST(SolveCommand, TableNamesTheBindingBudget) {
  const auto r = run_cli("solve --board pico --input 3x96x96 --objective max-macs");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("<- binding"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rebuild: tinyscale net phinet"), std::string::npos) << r.out;
}

void expect_one_line_error(const std::string& args, const std::string& mention) {
  const auto r = run_cli(args);
  EXPECT_NE(r.exit_code, 0) << args;
  EXPECT_EQ(count_lines(r.out), 1) << args << "\n" << r.out;
  EXPECT_NE(r.out.find("error"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(mention), std::string::npos) << args << "\n" << r.out;
}

TEST(SolveCommand, BadInputGivesOneClearLine) {
  expect_one_line_error("solve --board stm32h74 --input 3x96x96", "NUCLEO-H743ZI2");
  expect_one_line_error("solve --flash 512Q --ram 128K --input 3x96x96", "512Q");
  expect_one_line_error("solve --flash -1K --ram 128K --input 3x96x96", "--flash");
  expect_one_line_error("solve --flash 10K --ram 2K --input 3x96x96", "smallest");
  expect_one_line_error("solve --flash 1M --input 3x96x96", "--ram");
  expect_one_line_error("solve --board pico --input 3x96x96 --objective weights:1,2", "weights");
  expect_one_line_error("solve --flash 1M --ram 256K --latency 50ms --input 3x96x96", "--latency");
  expect_one_line_error("solve --board pico --input 3x96x96 --num-layers 9..3", "--num-layers");
  expect_one_line_error("solve --board pico --flash 1M --input 3x96x96", "--board");
  expect_one_line_error("solve --board pico --input 3x96x96 --family resnet", "resnet");
  expect_one_line_error("solve --board f746 --mhz 300 --input 3x64x64",
                        "--mhz 300 exceeds the rated clock of board STM32F746G-DISCO (216 MHz)");
  expect_one_line_error("solve --board f746 --core cortex-m4 --input 3x64x64",
                        "--core conflicts with --board STM32F746G-DISCO (its core is cortex-m7)");
  expect_one_line_error("solve --flash 1M --ram 256K --core m4 --input 3x64x64",
                        "--core and --mhz go together");
  expect_one_line_error("solve --board pico --input 3x96x96 --latency 0.5ms",
                        "latency target 0.5 ms");
}

TEST(BoardsCommand, ListsThePublishedBoards) {
  const nlohmann::json boards = json_of("boards --json");
  ASSERT_TRUE(boards.is_array());
  std::vector<std::string> names;
  for (const auto& b : boards) names.push_back(b["name"]);
  for (const char* required : {"STM32F746G-DISCO", "NUCLEO-H743ZI2", "STM32H7A3", "STM32L4R5",
                               "MAX78000", "Raspberry Pi Pico", "ESP32-S3"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  }
  const auto table = run_cli("boards");
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("NUCLEO-H743ZI2"), std::string::npos);
}

TEST(SolveCommand, TinyscaleRuntimeSolutionFitsItsFigures) {
  // --runtime tinyscale prices the generated code (const data + kernel code, arena + stack).
  const nlohmann::json s = json_of(
      "solve --board NUCLEO-H743ZI2 --input 3x96x96 --num-classes 10 --runtime tinyscale --json");
  ASSERT_FALSE(s.is_discarded());
  EXPECT_EQ(s["runtime"], "tinyscale");
  ASSERT_TRUE(s.contains("tinyscale"));
  EXPECT_EQ(s["tinyscale"]["core"], "cortex-m7");
  EXPECT_EQ(s["flash_bytes"], s["tinyscale"]["flash_bytes"]);
  EXPECT_EQ(s["ram_bytes"], s["tinyscale"]["ram_bytes"]);
  EXPECT_LE(s["flash_bytes"].get<long>(), s["budgets"]["flash_bytes"].get<long>());
  EXPECT_LE(s["ram_bytes"].get<long>(), s["budgets"]["ram_bytes"].get<long>());
  EXPECT_GT(s["utilization"][s["binding"].get<std::string>()].get<double>(), 0.95);
  EXPECT_EQ(s["tinyscale"]["flash_bytes"].get<long>(),
            s["tinyscale"]["model_data_bytes"].get<long>() +
                s["tinyscale"]["kernel_code_bytes"].get<long>() +
                s["tinyscale"]["invoke_code_bytes"].get<long>());
  EXPECT_EQ(s["tinyscale"]["ram_bytes"].get<long>(),
            s["tinyscale"]["arena_bytes"].get<long>() + s["tinyscale"]["stack_bytes"].get<long>());
  // The rebuilt network, costed by `net` for the same runtime, has the same figures.
  std::string command = s["command"];
  ASSERT_EQ(command.rfind("tinyscale ", 0), 0u);
  const nlohmann::json net = json_of(command.substr(10) + " --runtime tinyscale --json");
  EXPECT_EQ(net["runtime"], "tinyscale");
  EXPECT_EQ(net["flash_bytes"], s["flash_bytes"]);
  EXPECT_EQ(net["ram_bytes"], s["ram_bytes"]);
  // The default is TFLite Micro with CMSIS-NN kernels; the text says which runtime the figures
  // are for and what the generated code would need.
  const auto table = run_cli("solve --board NUCLEO-H743ZI2 --input 3x96x96 --num-classes 10");
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("(FLASH and RAM for TFLite Micro, cmsis-nn kernels, cortex-m7)"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("(other runtimes: tinyscale generated code (cortex-m7): FLASH "),
            std::string::npos)
      << table.out;
}

}  // namespace
