// --patch auto|off|k,n and --max-extra-macs on the real binary: `net` reports the patches and
// marks the patched layers, `run` computes the same bytes patched, `info --memory-svg` draws
// the patches and the arena it reports, `solve` fits the board with patches, `deploy --qemu`
// checks the patched device against whole layers; every misuse is one line on stderr and
// leaves no file behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/cli/cli_run.h"
#include "tests/cli/xml_check.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli_split;
using tinyscale::testing_support::xml_problem;

const std::string kNet = "net phinet --input 3x64x64 --alpha 0.25";

fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_patch_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string text_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

long files_in(const fs::path& dir) {
  return std::distance(fs::directory_iterator(dir), fs::directory_iterator());
}

// A small int8 PhiNet at 96×96, where `run --patch auto` (the engine's RAM, kernel state
// included) finds patches that pay.
std::string export_phinet(const fs::path& dir) {
  const std::string file = (dir / "phinet96.tflite").string();
  const auto r = run_cli_split(
      "export phinet --input 3x96x96 --alpha 0.25 -q --calib-samples 2 "
      "--tflite " +
      file);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return file;
}

// One line on stderr, "tinyscale: error: ...", nothing on stdout, a non-zero exit.
void expect_one_error_line(const std::string& args, const std::string& mentions) {
  const auto r = run_cli_split(args);
  EXPECT_NE(r.exit_code, 0) << args;
  EXPECT_EQ(r.out, "") << args;
  EXPECT_EQ(count_lines(r.err), 1) << args << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("tinyscale: error:", 0), 0u) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << args << "\n" << r.err;
}

TEST(PatchOption, NetReportsThePatchesAndMarksThePatchedLayers) {
  const auto r = run_cli_split(kNet + " --runtime engine --patch auto");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.out, m, std::regex(R"(\n  patches +the first (\d+) layers in (\d+)x(\d+) patches: )")))
      << r.out;
  const int k = std::stoi(m[1]);
  EXPECT_GT(k, 0);
  EXPECT_EQ(m[2].str(), m[3].str());
  // Table rows end with the live bytes, then " p" (or "*p" in place) for a patched layer.
  int patched_rows = 0, whole_rows = 0;
  const std::regex row(R"(^  \d+ +\S+ +\S+ +\S+ .*\d( [* ]?p| \*)?$)");
  std::size_t start = 0;
  while (start < r.out.size()) {
    std::size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    const std::string line = r.out.substr(start, end - start);
    start = end + 1;
    if (!std::regex_match(line, row)) continue;
    (line.back() == 'p' ? patched_rows : whole_rows) += 1;
  }
  EXPECT_GE(patched_rows, k) << r.out;
  EXPECT_GT(whole_rows, 0) << r.out;
  EXPECT_NE(r.out.find("(p patch by patch"), std::string::npos) << r.out;

  const auto j = run_cli_split(kNet + " --runtime engine --patch auto --json");
  ASSERT_EQ(j.exit_code, 0) << j.out << j.err;
  const nlohmann::json doc = nlohmann::json::parse(j.out);
  ASSERT_TRUE(doc.contains("patch")) << j.out;
  EXPECT_EQ(doc["patch"]["option"], "auto");
  EXPECT_EQ(doc["patch"]["layers"].get<int>(), k);
  EXPECT_LT(doc["patch"]["activation_bytes"].get<long>(),
            doc["patch"]["unpatched_activation_bytes"].get<long>());
  EXPECT_EQ(doc["patch"]["activation_bytes"], doc["ram"]["activation_arena"]);
  EXPECT_LE(doc["patch"]["extra_macs"].get<double>(), 0.2 * doc["macs"].get<double>());
  int patched = 0, whole = 0;
  for (const auto& layer : doc["layers"]) {
    ASSERT_TRUE(layer.contains("patched")) << layer.dump();
    (layer["patched"].get<bool>() ? patched : whole) += 1;
  }
  EXPECT_EQ(patched, patched_rows);
  EXPECT_EQ(whole, whole_rows);
  // Without --patch: no patch line, no layer patched.
  const auto plain = run_cli_split(kNet + " --runtime engine --json");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const nlohmann::json p = nlohmann::json::parse(plain.out);
  EXPECT_EQ(p["ram"]["activation_arena"], doc["patch"]["unpatched_activation_bytes"]);
  for (const auto& layer : p["layers"]) EXPECT_FALSE(layer.value("patched", false));
}

TEST(PatchOption, MisusesAreOneErrorLineAndLeaveNoFile) {
  const fs::path dir = temp_dir("errors");
  const std::string svg = (dir / "x.svg").string();
  // k that no stage ends at: the valid ones are listed.
  expect_one_error_line(kNet + " --runtime engine --patch 40,2 --memory-svg " + svg,
                        "stages can end after 1, 2");
  expect_one_error_line(kNet + " --runtime engine --patch 40,2 --json", "40");
  // A grid finer than the stage's output.
  expect_one_error_line(kNet + " --runtime tinyscale --patch 1,64", "64");
  expect_one_error_line(kNet + " --runtime engine --patch sometimes", "sometimes");
  // TFLite Micro (the default runtime) computes layers whole.
  expect_one_error_line(kNet + " --patch auto --memory-svg " + svg, "--runtime");
  expect_one_error_line("info phinet --input 3x32x32 --patch 2,2", "--runtime");
  // --max-extra-macs bounds the auto search only, and must be a share.
  expect_one_error_line(kNet + " --runtime engine --max-extra-macs 5%", "--max-extra-macs");
  expect_one_error_line(kNet + " --runtime engine --patch 3,2 --max-extra-macs 5%",
                        "--max-extra-macs");
  expect_one_error_line(kNet + " --runtime engine --patch auto --max-extra-macs abc", "abc");
  expect_one_error_line(kNet + " --runtime engine --patch auto --max-extra-macs 2000%",
                        "--max-extra-macs");
  // run: the same checks, and --dump-tensors (tensors of whole layers) refuses patches.
  const std::string model = export_phinet(dir);
  const std::string out = (dir / "out.bin").string();
  const std::string dump = (dir / "dump").string();
  expect_one_error_line("run " + model + " --random 1 --patch auto --dump-tensors " + dump,
                        "--dump-tensors");
  expect_one_error_line("run " + model + " --random 1 --patch 40,2 --output " + out,
                        "stages can end after");
  expect_one_error_line(
      "run " + model + " --random 1 --max-extra-macs abc --patch auto --output " + out, "abc");
  expect_one_error_line("info " + model + " --patch auto --memory-svg " + svg, "--runtime");
  const fs::path pkg = dir / "pkg";
  expect_one_error_line("deploy " + model + " --target cortex-m7 --patch 40,2 -o " + pkg.string(),
                        "stages can end after");
  EXPECT_EQ(files_in(dir), 1) << "only the exported model";
  fs::remove_all(dir);
}

TEST(PatchOption, RunGivesTheSameBytesPatched) {
  const fs::path dir = temp_dir("run");
  const std::string model = export_phinet(dir);
  const auto whole =
      run_cli_split("run " + model + " --random 4 --output " + (dir / "whole.bin").string());
  ASSERT_EQ(whole.exit_code, 0) << whole.out << whole.err;
  EXPECT_EQ(whole.out.find("patches"), std::string::npos) << whole.out;
  const auto automatic = run_cli_split("run " + model + " --random 4 --patch auto --output " +
                                       (dir / "auto.bin").string());
  ASSERT_EQ(automatic.exit_code, 0) << automatic.out << automatic.err;
  EXPECT_NE(automatic.out.find("patches: the first "), std::string::npos) << automatic.out;
  const auto fixed = run_cli_split("run " + model + " --random 4 --patch 4,3 --output " +
                                   (dir / "fixed.bin").string());
  ASSERT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_NE(fixed.out.find("patches: the first 4 layers in 3x3 patches"), std::string::npos)
      << fixed.out;
  const std::string expected = text_of(dir / "whole.bin");
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(text_of(dir / "auto.bin"), expected);
  EXPECT_EQ(text_of(dir / "fixed.bin"), expected);
  // --json: the choice, and an arena below the whole layers'.
  const auto j = run_cli_split("run " + model + " --random 4 --patch auto --json");
  const auto k = run_cli_split("run " + model + " --random 4 --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  ASSERT_EQ(k.exit_code, 0) << k.err;
  const nlohmann::json patched = nlohmann::json::parse(j.out);
  const nlohmann::json plain = nlohmann::json::parse(k.out);
  EXPECT_GT(patched["patch"]["layers"].get<int>(), 0);
  EXPECT_GT(patched["patch"]["grid"].get<int>(), 1);
  EXPECT_GT(patched["patch"]["executed_macs"].get<long>(), patched["macs"].get<long>());
  EXPECT_LT(patched["arena_bytes"].get<long>(), plain["arena_bytes"].get<long>());
  EXPECT_EQ(patched["outputs"], plain["outputs"]);
  fs::remove_all(dir);
}

TEST(PatchOption, InfoMemorySvgDrawsThePatchesAndTheReportedArena) {
  const fs::path dir = temp_dir("svg");
  const std::string model = export_phinet(dir);
  const fs::path svg = dir / "x.svg";
  const auto r = run_cli_split("info " + model +
                               " --runtime tinyscale --patch auto --json "
                               "--memory-svg " +
                               svg.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_GT(j["patch"]["layers"].get<int>(), 0) << r.out;
  const std::string text = text_of(svg);
  EXPECT_EQ(xml_problem(text), "");
  // One tinted rectangle per patch at least.
  const int grid = j["patch"]["grid"].get<int>();
  int patch_rects = 0;
  for (std::size_t i = text.find("class=\"patch\""); i != std::string::npos;
       i = text.find("class=\"patch\"", i + 1))
    ++patch_rects;
  EXPECT_GE(patch_rects, grid * grid);
  EXPECT_NE(text.find("<rect class=\"patch\""), std::string::npos);
  // The regex only over the label's element: libstdc++'s regex recurses once per character,
  // which overflows the stack on a whole drawing under AddressSanitizer.
  const std::size_t label_at = text.find("id=\"peak-label\"");
  ASSERT_NE(label_at, std::string::npos);
  const std::string label = text.substr(label_at, text.find('<', label_at) - label_at);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(label, m, std::regex(R"re(>peak ([0-9,]+) B)re"))) << label;
  std::string digits = m[1].str();
  std::erase(digits, ',');
  EXPECT_EQ(std::stol(digits), j["ram"]["activation_arena"].get<long>());
  EXPECT_EQ(std::stol(digits), j["tinyscale"]["arena_bytes"].get<long>());
  // The text report says the same arena.
  const auto t = run_cli_split("info " + model + " --runtime tinyscale --patch auto");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("arena " + m[1].str()), std::string::npos) << t.out;
  fs::remove_all(dir);
}

TEST(PatchOption, SolveFitsTheBoardWithPatches) {
  const std::string solve =
      "solve --board NUCLEO-H743ZI2 --input 3x160x160 --runtime tinyscale --json";
  const auto p = run_cli_split(solve + " --patch auto");
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  const nlohmann::json j = nlohmann::json::parse(p.out);
  ASSERT_TRUE(j.contains("patch")) << "solve --patch auto reports no patches: " << p.out;
  EXPECT_GT(j["patch"]["layers"].get<int>(), 0) << j["patch"].dump();
  EXPECT_LE(j["ram_bytes"].get<long>(), j["budgets"]["ram_bytes"].get<long>());
  EXPECT_TRUE(j["ram_regions"]["fits"].get<bool>());
  // The rebuild command, with the same runtime and patches, gives the same RAM.
  const std::string command = j["command"].get<std::string>();
  ASSERT_EQ(command.rfind("tinyscale ", 0), 0u) << command;
  std::string args = command.substr(10);
  if (args.find("--patch") == std::string::npos) args += " --runtime tinyscale --patch auto";
  const auto net = run_cli_split(args + " --json");
  ASSERT_EQ(net.exit_code, 0) << args << "\n" << net.err;
  const nlohmann::json n = nlohmann::json::parse(net.out);
  EXPECT_EQ(n["ram_bytes"], j["ram_bytes"]) << args;
  // The RAM patches free buys a larger network than without them.
  const auto w = run_cli_split(solve);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const nlohmann::json whole = nlohmann::json::parse(w.out);
  EXPECT_GT(j["macs"].get<long>(), whole["macs"].get<long>());
  // The text report names the patches too.
  const auto text = run_cli_split(
      "solve --board NUCLEO-H743ZI2 --input 3x160x160 --runtime tinyscale --patch auto");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("patches"), std::string::npos) << text.out;
}

// A sweep with --patch says, per board, the patches its network was costed with: the
// --patch to deploy it with.
TEST(PatchOption, SweepNamesEachBoardsPatches) {
  const std::string sweep =
      "sweep --input 3x160x160 --boards pico --families phinet --runtime tinyscale -q";
  const auto text = run_cli_split(sweep + " --patch auto");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("  --patch "), std::string::npos) << text.out;
  const auto j = run_cli_split(sweep + " --patch auto --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const nlohmann::json rows = nlohmann::json::parse(j.out);
  ASSERT_EQ(rows.size(), 1u);
  const std::string patch = rows[0]["patch"].get<std::string>();
  EXPECT_NE(patch, "off") << "the Pico's PhiNet at 160x160 is RAM-bound: patches help";
  // Without --patch no column and no field.
  const auto plain = run_cli_split(sweep + " --json");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(nlohmann::json::parse(plain.out)[0].contains("patch"));
  expect_one_error_line(sweep + " --runtime tflite-micro --patch auto", "--runtime");
}

TEST(PatchOption, DeployQemuComparesThePatchedDeviceWithWholeLayers) {
  if (std::system("command -v arm-none-eabi-g++ >/dev/null 2>&1 && "
                  "command -v qemu-system-arm >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "arm-none-eabi-g++ or qemu-system-arm is absent (scripts/setup.sh)";
  }
  const fs::path dir = temp_dir("deploy");
  const std::string deploy =
      "deploy phinet --input 3x48x48 --alpha 0.25 "
      "--target cortex-m7 --qemu --patch auto -o ";
  const auto r = run_cli_split(deploy + (dir / "text").string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("  patches: the first "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("outputs: byte-identical to the host engine ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("patched and with whole layers"), std::string::npos) << r.out;
  const auto j = run_cli_split(deploy + (dir / "json").string() + " --json");
  ASSERT_EQ(j.exit_code, 0) << j.out << j.err;
  const nlohmann::json doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["byte_identical_to_host"], true);
  EXPECT_EQ(doc["byte_identical_to_whole_layers"], true);
  // The arena the package holds is the one `net --runtime tinyscale --patch auto` reports.
  const auto n = run_cli_split(
      "net phinet --input 3x48x48 --alpha 0.25 --runtime tinyscale "
      "--patch auto --json");
  ASSERT_EQ(n.exit_code, 0) << n.err;
  const nlohmann::json net = nlohmann::json::parse(n.out);
  EXPECT_EQ(doc["ram"]["arena_bytes"], net["tinyscale"]["arena_bytes"]);
  fs::remove_all(dir);
}

}  // namespace
