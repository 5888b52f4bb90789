// `tinyscale kws` as a user runs it: MLPerf's DS-CNN on the interop recordings, bad inputs,
// and end to end on speech the project synthesizes (scripts/make_kws_samples.sh).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recipes/audio_io.h"
#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;

const std::string kModel = TINYSCALE_SHARED_DIR "/interop/tflite/kws_ref_model/model.tflite";
const std::string kAudio = TINYSCALE_SHARED_DIR "/interop/audio/";
const std::string kLabels = TINYSCALE_SOURCE_DIR "/data/kws_labels.txt";

class KwsCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kModel) || !fs::exists(kAudio)) GTEST_SKIP() << "../shared/interop is absent";
    dir_ = fs::temp_directory_path() / ("tinyscale_kws_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }
  void expect_one_line_error(const std::string& args, const std::string& mention) {
    const auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find(mention), std::string::npos) << r.out;
  }
  fs::path dir_;
};

TEST_F(KwsCommand, InteropYesIsHeardAsYes) {
  const auto r = run_cli("kws " + kModel + " " + kAudio + "yes_1000ms.wav --labels " + kLabels);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(count_lines(r.out), 3);  // --top defaults to 3
  EXPECT_EQ(r.out.rfind("yes ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("0.9961"), std::string::npos) << r.out;
}

TEST_F(KwsCommand, JsonTopKMatchesTfliteMicro) {
  // TFLite Micro says no -> go (0.9141) with no second (0.0781): the model's no/go confusion.
  const auto r = run_cli("kws " + kModel + " " + kAudio + "no_1000ms.wav --labels " + kLabels +
                         " --top 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["front_end"], "mfcc");
  ASSERT_EQ(j["top"].size(), 2u);
  EXPECT_EQ(j["top"][0]["label"], "go");
  EXPECT_DOUBLE_EQ(j["top"][0]["probability"].get<double>(), 234.0 / 256);
  EXPECT_EQ(j["top"][1]["label"], "no");
  EXPECT_DOUBLE_EQ(j["top"][1]["probability"].get<double>(), 20.0 / 256);
}

TEST_F(KwsCommand, BadInputsGiveOneErrorLine) {
  const std::string model_and = "kws " + kModel + " ";
  const std::string labels = " --labels " + kLabels;
  expect_one_line_error(model_and + (dir_ / "missing.wav").string() + labels, "no such file");
  expect_one_line_error(model_and + write("empty.wav", "") + labels, "empty file");
  expect_one_line_error(model_and + write("text.wav", "not audio at all\n") + labels,
                        "not a readable audio file");
  std::ifstream yes(kAudio + "yes_1000ms.wav", std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(yes), {}};
  expect_one_line_error(model_and + write("cut.wav", bytes.substr(0, 10000)) + labels, "truncated");
  expect_one_line_error(
      model_and + kAudio + "yes_1000ms.wav --labels " + write("five.txt", "a\nb\nc\nd\ne\n"),
      "5 labels, but the model has 12 classes");
  expect_one_line_error(model_and + kAudio + "yes_1000ms.wav" + labels + " --stream --smooth 0",
                        "smoothing");
  // streaming options without --stream are a usage error
  expect_one_line_error(model_and + kAudio + "yes_1000ms.wav" + labels + " --hop 0.2", "--hop");
}

// End to end on speech synthesized by scripts/make_kws_samples.sh (espeak-ng + sox).
TEST_F(KwsCommand, SynthesizedWordsAndSentence) {
  if (std::system("command -v espeak-ng > /dev/null 2>&1 && command -v sox > /dev/null 2>&1") !=
      0) {
    GTEST_SKIP() << "espeak-ng or sox is not installed";
  }
  const std::string samples = (dir_ / "samples").string();
  ASSERT_EQ(std::system(("bash " TINYSCALE_SOURCE_DIR "/scripts/make_kws_samples.sh " + samples +
                         " > /dev/null")
                            .c_str()),
            0);
  for (const std::string word : {"yes", "go"}) {
    const auto r = run_cli("kws " + kModel + " " + samples + "/" + word + ".wav --labels " +
                           kLabels + " --top 1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.rfind(word + " ", 0), 0u) << word << ": " << r.out;
  }
  // sentence.wav: hello, go, stop, yes centred at 1.0, 2.0, 3.5 and 5.0 s
  const auto r = run_cli("kws " + kModel + " " + samples + "/sentence.wav --labels " + kLabels +
                         " --stream --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  bool go = false, yes = false;
  for (const auto& d : j["detections"]) {
    const double t = d["time_seconds"].get<double>();
    EXPECT_GT(t, 1.5) << "nothing before go: 'hello' is not a keyword";
    if (d["label"] == "go") go = go || std::abs(t - 2.0) < 0.3;
    if (d["label"] == "yes") yes = yes || std::abs(t - 5.0) < 0.3;
  }
  EXPECT_TRUE(go) << r.out;
  EXPECT_TRUE(yes) << r.out;
}

}  // namespace

namespace {

// Streaming over a long recording reports how far it got on stderr, a line per tenth when
// stderr is not a terminal; stdout keeps only the result.
TEST(KwsCommandProgress, LongStreamsReportSecondsScannedOnStderr) {
  if (!fs::exists(kModel)) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path wav =
      fs::temp_directory_path() / ("tinyscale_kws_long_" + std::to_string(::getpid()) + ".wav");
  tinyscale::recipes::write_wav(wav.string(), std::vector<float>(61 * 16000, 0.0f), 16000);
  const std::string args =
      "kws " + kModel + " " + wav.string() + " --labels " + kLabels + " --stream --hop 1 --json";
  const auto r = tinyscale::testing_support::run_cli_split(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count_lines(r.err), 10) << r.err;
  EXPECT_EQ(r.err.rfind("tinyscale: scanning 7/61 s of audio\n", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("tinyscale: scanning 61/61 s of audio\n"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["windows"], 61);
  const auto quiet = tinyscale::testing_support::run_cli_split(args + " --quiet");
  EXPECT_EQ(quiet.err, "");
  fs::remove(wav);
}

}  // namespace
