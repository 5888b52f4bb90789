// Runs the real `tinyscale sweep` binary: what a user or a script sees.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;

using tinyscale::testing_support::CliRun;
CliRun run(const std::string& args) { return tinyscale::testing_support::run_cli(args); }

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SweepCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinyscale_sweep_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A board nothing fits on.
    std::ofstream(dir_ / "tiny.json") << R"({"boards": [
      {"name": "Speck", "core": "cortex-m0plus", "mhz": 48, "flash_bytes": 16384,
       "ram_bytes": 4096, "reserve_flash_bytes": 8192, "reserve_ram_bytes": 2048}]})";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(SweepCommand, BoardsWithCsvAndAnInfeasibleBoard) {
  const CliRun r =
      run("sweep --input 3x64x64 --num-classes 10 --boards pico,Speck,f401 "
          "--families phinet --boards-file " +
          path("tiny.json") + " --csv " + path("sweep.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Raspberry Pi Pico"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NUCLEO-F401RE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("phinet  no PhiNet"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(path("sweep.csv")));
  const std::string csv = read_all(path("sweep.csv"));
  EXPECT_EQ(csv.rfind("board,family,alpha,", 0), 0u);
  EXPECT_EQ(count(csv, "\n"), 4) << csv;
  EXPECT_NE(csv.find("\nSpeck,phinet,,"), std::string::npos) << csv;
  const std::size_t pico = csv.find("\nRaspberry Pi Pico,phinet,");
  ASSERT_NE(pico, std::string::npos) << csv;
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(csv[pico + 26]))) << csv;  // alpha
  // Only the CSV: no temp file left beside it.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 2);
}

TEST_F(SweepCommand, JsonRowsCarryBoardFamilyAndError) {
  const CliRun r = tinyscale::testing_support::run_cli_split(
      "sweep --input 3x64x64 --boards nano33ble,Speck --boards-file " + path("tiny.json") +
      " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);  // stdout: the JSON alone
  ASSERT_EQ(j.size(), 4u);  // both families by default
  EXPECT_EQ(j[0]["board"], "Arduino Nano 33 BLE Sense");
  EXPECT_EQ(j[0]["family"], "phinet");
  EXPECT_EQ(j[0]["num_layers"], 7);
  EXPECT_EQ(j[1]["family"], "xinet");
  EXPECT_EQ(j[1]["num_layers"], 5) << "each family gets its own default depth";
  EXPECT_TRUE(j[1]["error"].is_null());
  EXPECT_LE(j[0]["ram_bytes"].get<long>(), 262144 - 32768);
  EXPECT_EQ(j[2]["board"], "Speck");
  EXPECT_TRUE(j[2]["error"].is_string());
}

TEST_F(SweepCommand, ParetoWritesSvgAndCsv) {
  const CliRun r =
      run("sweep --pareto --flash 256K --ram-range 16K..256K --points 5 --input "
          "3x64x64 --csv " +
          path("front.csv") + " --svg " + path("front.svg"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("PhiNet Pareto front"), std::string::npos) << r.out;
  const std::string svg = read_all(path("front.svg"));
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(count(svg, "<polyline"), 1);
  const std::string csv = read_all(path("front.csv"));
  EXPECT_EQ(count(svg, "<circle"), count(csv, "\n") - 1) << "one marker per point";
  EXPECT_GE(count(csv, "\n"), 3);
}

TEST_F(SweepCommand, ProgressGoesToStderrOneLinePerSolveAndQuietSilencesIt) {
  const std::string args = "sweep --input 3x64x64 --boards pico,Speck --families phinet,xinet "
                           "--boards-file " + path("tiny.json");
  const CliRun r = tinyscale::testing_support::run_cli_split(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err,
            "tinyscale: sweep 1/4: Raspberry Pi Pico phinet\n"
            "tinyscale: sweep 2/4: Speck phinet\n"
            "tinyscale: sweep 3/4: Raspberry Pi Pico xinet\n"
            "tinyscale: sweep 4/4: Speck xinet\n");
  EXPECT_EQ(r.out.rfind("Sweep: input 3x64x64", 0), 0u) << "stdout holds only the table";
  const CliRun quiet = tinyscale::testing_support::run_cli_split(args + " --quiet");
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.out, r.out);
}

TEST_F(SweepCommand, ParetoReportsOneLinePerRamBudget) {
  const CliRun r = tinyscale::testing_support::run_cli_split(
      "sweep --pareto --flash 256K --ram-range 16K..256K --points 3 --input 3x64x64 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err,
            "tinyscale: pareto front 1/3: RAM 16 KiB\n"
            "tinyscale: pareto front 2/3: RAM 64 KiB\n"
            "tinyscale: pareto front 3/3: RAM 256 KiB\n");
  const nlohmann::json j = nlohmann::json::parse(r.out);  // stdout: the JSON alone
  EXPECT_EQ(j["points"], 3);
}

TEST_F(SweepCommand, AnOutputThatWouldReplaceTheBoardsFileIsRefused) {
  fs::copy_file(path("tiny.json"), path("boards.csv"));
  const std::string before = read_all(path("boards.csv"));
  const CliRun r = run("sweep --input 3x64x64 --boards-file " + path("boards.csv") + " --csv " +
                       path("boards.csv"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count(r.out, "\n"), 1) << r.out;
  EXPECT_NE(r.out.find("--boards-file"), std::string::npos) << r.out;
  EXPECT_EQ(read_all(path("boards.csv")), before);
}

// Issue 12: a sweep in which no board fits anything exited 0. It still prints every row with
// its reason (and writes the CSV), then fails with one error line.
TEST_F(SweepCommand, EveryBoardFailingExitsNonZero) {
  const CliRun r = run("sweep --input 3x64x64 --boards Speck --boards-file " + path("tiny.json") +
                       " --csv " + path("none.csv"));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("phinet  no PhiNet fits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("xinet   no XiNet"), std::string::npos) << r.out;
  EXPECT_EQ(count(r.out, "error:"), 1) << r.out;
  EXPECT_NE(r.out.find("tinyscale: error: no network fits any board of the sweep (2 rows"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(count(read_all(path("none.csv")), "\nSpeck,"), 2);
  // One board that fits is enough for success.
  const CliRun some =
      run("sweep --input 3x64x64 --boards Speck,pico --families phinet --boards-file " +
          path("tiny.json"));
  EXPECT_EQ(some.exit_code, 0) << some.out;
}

void expect_one_line_error(const std::string& args, const std::string& mention) {
  const CliRun r = run(args);
  EXPECT_NE(r.exit_code, 0) << args;
  EXPECT_EQ(count(r.out, "\n"), 1) << args << "\n" << r.out;
  EXPECT_NE(r.out.find("error"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(mention), std::string::npos) << args << "\n" << r.out;
}

TEST_F(SweepCommand, BadInputGivesOneClearLine) {
  const std::string pareto = "sweep --pareto --input 3x64x64 ";
  expect_one_line_error("sweep --input 3x64x64 --boards pico,nosuchboard", "nosuchboard");
  expect_one_line_error("sweep --input 3x64x64 --families phinet,resnet", "resnet");
  expect_one_line_error(pareto + "--flash 256K --ram-range 64K-512K", "64K-512K");
  expect_one_line_error(pareto + "--ram-range 64K..512K", "--flash");
  expect_one_line_error(pareto + "--flash 256K --ram-range 512K..64K", "MIN ≤ MAX");
  expect_one_line_error(pareto + "--flash 256K --ram-range 64K..512K --points 1", "--points");
  expect_one_line_error(pareto + "--flash 256K --ram-range 64Q..512K", "64Q");
  // (after the work: without --quiet, the progress of the 12 solves comes first)
  expect_one_line_error(pareto + "--flash 256K --ram-range 1K..2K --quiet", "no PhiNet");
  expect_one_line_error(pareto + "--flash 256K --ram-range 64K..512K --boards pico", "--boards");
  expect_one_line_error("sweep --input 3x64x64 --boards pico --svg x.svg", "--pareto");
  expect_one_line_error("sweep --input 3x64x64 --boards pico --num-layers 0", "--num-layers");
  expect_one_line_error("sweep --input 3x64x64 --boards pico --csv " + path("rows.txt"),
                        "name the file *.csv");
  expect_one_line_error(pareto + "--flash 256K --ram-range 64K..512K --svg " + path("f.png"),
                        "name the file *.svg");
  // An output that cannot be written names the path; nothing is left behind.
  expect_one_line_error(
      "sweep --input 3x64x64 --boards f401 --families phinet --csv " + path("missing/out.csv"),
      path("missing/out.csv"));
  EXPECT_FALSE(fs::exists(path("missing")));
}

TEST_F(SweepCommand, TinyscaleRuntimePricesEachBoardsCore) {
  const CliRun r = tinyscale::testing_support::run_cli_split(
      "sweep --input 3x32x32 --boards STM32L4R5 --families phinet --runtime tinyscale --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["runtime"], "tinyscale");
  EXPECT_EQ(rows[0]["tinyscale"]["core"], "cortex-m4");  // the STM32L4R5's core
  EXPECT_EQ(rows[0]["flash_bytes"], rows[0]["tinyscale"]["flash_bytes"]);
}

}  // namespace
