// `tinyscale info ... --memory-svg FILE` and `net ... --memory-svg FILE`: the picture is the
// plan the report's activation arena figure comes from, and a bad path fails in one line
// with nothing written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/cli/cli_run.h"
#include "tests/cli/xml_check.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;
using tinyscale::testing_support::run_cli_split;
using tinyscale::testing_support::xml_problem;

const std::string kKws = TINYSCALE_SHARED_DIR "/interop/tflite/kws_ref_model/model.tflite";

fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string text_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

long peak_label(const std::string& svg) {
  std::smatch m;
  if (!std::regex_search(svg, m, std::regex(R"re(id="peak-label"[^>]*>peak ([0-9,]+) B)re")))
    return -1;
  std::string digits = m[1].str();
  std::erase(digits, ',');
  return std::stol(digits);
}

int buffers_drawn(const std::string& svg) {
  int n = 0;
  const std::string what = "class=\"buffer\"";
  for (std::size_t i = svg.find(what); i != std::string::npos; i = svg.find(what, i + 1)) ++n;
  return n;
}

TEST(MemorySvgCommand, InfoModelDrawsTheArenaTheReportGives) {
  if (!fs::exists(kKws)) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir("memory_svg_info");
  const fs::path svg = dir / "kws.svg";
  const auto r = run_cli_split("info " + kKws + " --json --memory-svg " + svg.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);  // stdout stays JSON
  const std::string text = text_of(svg);
  EXPECT_EQ(xml_problem(text), "");
  EXPECT_EQ(peak_label(text), j["ram"]["activation_arena"].get<long>());
  // The DS-CNN's engine plan: the input, 11 intermediate tensors, the output and the fully
  // connected layer's optional scratch (its fast kernel's int16 copy of the 64 inputs, which
  // the plan gives where the peak has room; the other fast kernels need no scratch).
  EXPECT_EQ(buffers_drawn(text), 14);
  EXPECT_NE(text.find("data-kind=\"graph input\""), std::string::npos);
  EXPECT_NE(text.find("data-kind=\"graph output\""), std::string::npos);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(MemorySvgCommand, InfoNetworkForwardsToNetAndMatchesItsFigure) {
  const fs::path dir = temp_dir("memory_svg_net");
  const fs::path svg = dir / "phinet.svg";
  const auto r =
      run_cli_split("info phinet --input 3x64x64 --alpha 0.25 --json --memory-svg " + svg.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const std::string text = text_of(svg);
  EXPECT_EQ(xml_problem(text), "");
  EXPECT_EQ(peak_label(text), j["ram"]["activation_arena"].get<long>());
  EXPECT_GT(buffers_drawn(text), 20);
  // Split over a board's regions: one band per region, the same total.
  const fs::path split = dir / "split.svg";
  const auto s = run_cli_split(
      "net phinet --input 3x224x224 --alpha 0.5 --json --board NUCLEO-H743ZI2 --arena-regions "
      "auto --runtime engine --memory-svg " +
      split.string());
  ASSERT_EQ(s.exit_code, 0) << s.out << s.err;
  const nlohmann::json k = nlohmann::json::parse(s.out);
  const std::string split_text = text_of(split);
  EXPECT_EQ(xml_problem(split_text), "");
  EXPECT_EQ(peak_label(split_text), k["ram"]["activation_arena"].get<long>());
  std::size_t bands = 0;
  for (std::size_t i = split_text.find("class=\"region\""); i != std::string::npos;
       i = split_text.find("class=\"region\"", i + 1))
    ++bands;
  EXPECT_EQ(bands, k["ram_regions"]["regions"].size());
  fs::remove_all(dir);
}

TEST(MemorySvgCommand, BadPathIsOneLineAndWritesNothing) {
  const fs::path dir = temp_dir("memory_svg_bad");
  const std::string net = "info phinet --input 3x32x32 --memory-svg ";
  for (const std::string& path :
       {(dir / "arena.png").string(), (dir / "missing" / "arena.svg").string()}) {
    const auto r = run_cli(net + path);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find("--memory-svg"), std::string::npos) << r.out;
  }
  // The model itself (a copy named .svg, so only the identity check can refuse it).
  if (fs::exists(kKws)) {
    const fs::path model = dir / "model.svg";
    fs::copy_file(kKws, model);
    const std::string before = text_of(model);
    const auto r = run_cli("info " + model.string() + " --memory-svg " + model.string());
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find("the model"), std::string::npos) << r.out;
    EXPECT_EQ(text_of(model), before);
    fs::remove(model);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 0);
  fs::remove_all(dir);
}

}  // namespace
