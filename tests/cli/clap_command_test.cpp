// `tinyscale clap-export` and `tinyscale clap` as a user runs them. The ranking the command
// prints is checked against a float computation done here from the same file: the engine's
// dequantized embedding, then the projection (Linear, exact GELU, Linear, residual,
// LayerNorm), L2 normalization and cosine similarity written out in double.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "export/tflite_reader.h"
#include "export/tflite_writer.h"
#include "nets/tinyclap.h"
#include "recipes/audio_io.h"
#include "recipes/clap.h"
#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;
using namespace tinyscale;
using testing_support::count_lines;
using testing_support::run_cli;

class ClapCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("tinyscale_clap_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    export_run_ = new testing_support::CliRun(run_cli("clap-export -o " + model() +
                                                      " --alpha 0.25 --embedding 32 --shared 16 " +
                                                      "--frames 138 --calib-samples 2"));
    std::vector<float> tone(44100);
    for (std::size_t n = 0; n < tone.size(); ++n)
      tone[n] =
          0.4f * static_cast<float>(std::sin(2 * M_PI * 440.0 * static_cast<double>(n) / 44100.0));
    recipes::write_wav(wav(), tone, 44100);
  }
  static void TearDownTestSuite() {
    delete export_run_;
    fs::remove_all(dir_);
  }
  static std::string model() { return (dir_ / "tinyclap.tflite").string(); }
  static std::string wav() { return (dir_ / "tone.wav").string(); }
  static std::string path(const std::string& name) { return (dir_ / name).string(); }

  static inline fs::path dir_;
  static inline testing_support::CliRun* export_run_ = nullptr;
};

// The engine's dequantized audio embedding of the tone, as `clap` feeds it to the projection.
std::vector<float> engine_embedding(const core::Graph& g, const std::string& origin,
                                    const nets::ClapProjection* p, const std::string& wav) {
  recipes::ClapAudioEncoder encoder(g, origin);
  if (p) encoder.set_band_normalization(p->mel_scale, p->mel_shift);
  return encoder.embed(recipes::read_audio(wav, 44100).samples);
}

std::vector<double> project_and_normalize(const std::vector<float>& x,
                                          const nets::ClapProjection& p) {
  const auto in = static_cast<std::size_t>(p.in), out = static_cast<std::size_t>(p.out);
  std::vector<double> e1(out), h(out), y(out);
  for (std::size_t o = 0; o < out; ++o) {
    e1[o] = p.b1[o];
    for (std::size_t i = 0; i < in; ++i) e1[o] += double{p.w1[o * in + i]} * x[i];
    h[o] = 0.5 * e1[o] * (1.0 + std::erf(e1[o] / std::sqrt(2.0)));
  }
  for (std::size_t o = 0; o < out; ++o) {
    y[o] = e1[o] + p.b2[o];
    for (std::size_t i = 0; i < out; ++i) y[o] += double{p.w2[o * out + i]} * h[i];
  }
  const double mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(out);
  double var = 0.0;
  for (double v : y) var += (v - mean) * (v - mean);
  var /= static_cast<double>(out);
  double norm = 0.0;
  for (std::size_t o = 0; o < out; ++o) {
    y[o] = (y[o] - mean) / std::sqrt(var + p.ln_eps) * p.ln_gamma[o] + p.ln_beta[o];
    norm += y[o] * y[o];
  }
  for (double& v : y) v /= std::sqrt(norm);
  return y;
}

double cosine(const std::vector<double>& a, const std::vector<float>& b) {
  double dot = 0.0, aa = 0.0, bb = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    dot += a[k] * b[k];
    aa += a[k] * a[k];
    bb += double{b[k]} * b[k];
  }
  return dot / std::sqrt(aa * bb);
}

// "same" = the expected embedding, "opposite" = its negation, three seeded random classes.
nlohmann::ordered_json classes_around(const std::vector<double>& e) {
  nlohmann::ordered_json j;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const char* label : {"rain", "siren", "dog"}) {
    std::vector<float> v(e.size());
    for (float& x : v) x = u(rng);
    j[label] = v;
  }
  std::vector<float> same(e.begin(), e.end()), opposite;
  for (float v : same) opposite.push_back(-v);
  j["same"] = same;
  j["opposite"] = opposite;
  return j;
}

TEST_F(ClapCommand, RankingMatchesAFloatComputationFromTheSameFile) {
  ASSERT_EQ(export_run_->exit_code, 0) << export_run_->out;
  EXPECT_NE(export_run_->out.find("wrote " + model()), std::string::npos) << export_run_->out;
  EXPECT_NE(export_run_->out.find("projection 32 -> 16"), std::string::npos);

  const core::Graph g = exporter::read_tflite(model());
  const auto p = nets::find_clap_projection(g, model());
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->in, 32);
  ASSERT_EQ(p->out, 16);
  const std::vector<double> expected =
      project_and_normalize(engine_embedding(g, model(), &*p, wav()), *p);
  const nlohmann::ordered_json classes = classes_around(expected);
  std::ofstream(path("classes.json")) << classes.dump();

  std::vector<std::pair<double, std::string>> ranking;
  for (const auto& [label, v] : classes.items())
    ranking.emplace_back(cosine(expected, v.get<std::vector<float>>()), label);
  std::stable_sort(ranking.begin(), ranking.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  const auto r = run_cli("clap " + model() + " " + wav() + " --classes " + path("classes.json") +
                         " --top 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["projection"], true);
  EXPECT_EQ(out["embedding_width"], 16);
  ASSERT_EQ(out["top"].size(), 5u);
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_EQ(out["top"][k]["label"], ranking[k].second) << "rank " << k;
    EXPECT_NEAR(out["top"][k]["similarity"].get<double>(), ranking[k].first, 1e-4) << k;
  }
  EXPECT_EQ(out["top"][0]["label"], "same");
  EXPECT_NEAR(out["top"][0]["similarity"].get<double>(), 1.0, 1e-5);
  EXPECT_EQ(out["top"][4]["label"], "opposite");

  const auto text =
      run_cli("clap " + model() + " " + wav() + " --classes " + path("classes.json") + " --top 2");
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_EQ(count_lines(text.out), 2) << text.out;
  EXPECT_EQ(text.out.rfind("same ", 0), 0u) << text.out;
}

TEST_F(ClapCommand, ModelWithoutProjectionWarnsOnceAndRanksTheEmbedding) {
  ASSERT_EQ(export_run_->exit_code, 0) << export_run_->out;
  core::Graph g = exporter::read_tflite(model());
  g.metadata.clear();
  exporter::write_tflite(g, path("bare.tflite"));
  std::vector<float> e = engine_embedding(g, "bare.tflite", nullptr, wav());
  nlohmann::ordered_json classes;
  std::vector<float> negated;
  for (float v : e) negated.push_back(-v);
  classes["opposite"] = negated;
  classes["same"] = e;
  std::ofstream(path("embedding_classes.json")) << classes.dump();

  const auto r = run_cli("clap " + path("bare.tflite") + " " + wav() + " --classes " +
                         path("embedding_classes.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::size_t first = r.out.find("warning:");
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("warning:", first + 1), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no tinyscale.clap_projection metadata"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("same                     +1.0000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("opposite                 -1.0000"), std::string::npos) << r.out;
}

TEST_F(ClapCommand, BadInputGivesOneErrorLine) {
  ASSERT_EQ(export_run_->exit_code, 0) << export_run_->out;
  nlohmann::ordered_json narrow;
  narrow["dog"] = std::vector<float>(16, 0.5f);
  narrow["siren"] = std::vector<float>(15, 0.5f);
  std::ofstream(path("narrow.json")) << narrow.dump();
  nlohmann::ordered_json good;
  good["dog"] = std::vector<float>(16, 0.5f);
  std::ofstream(path("good.json")) << good.dump();
  { std::ofstream(path("empty.wav")); }
  std::ofstream(path("text.wav")) << "this is not a RIFF file, just words\n";

  auto expect_error = [&](const std::string& args, const std::string& mention) {
    const auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find(mention), std::string::npos) << r.out;
  };
  const std::string run = "clap " + model() + " ";
  expect_error(run + wav() + " --classes " + path("narrow.json"),
               "class 'siren' has 15 values; the model's embedding has 16");
  expect_error(run + path("missing.wav") + " --classes " + path("good.json"), "missing.wav");
  expect_error(run + path("empty.wav") + " --classes " + path("good.json"), "empty.wav");
  expect_error(run + path("text.wav") + " --classes " + path("good.json"), "text.wav");
  expect_error("clap " + path("none.tflite") + " " + wav() + " --classes " + path("good.json"),
               "none.tflite");
  expect_error("clap-export -o " + path("bad.tflite") + " --embedding 0", "--embedding 0");
  EXPECT_FALSE(fs::exists(path("bad.tflite")));
}

// clap-export's default init is data-dependent (bn0 and every BatchNorm from the calibration
// clips), so the embedding depends on the recording: silence and a tone score differently.
// (With PyTorch's default init every recording got the same scores.)
TEST_F(ClapCommand, SilenceAndToneGetDifferentSimilarities) {
  ASSERT_EQ(export_run_->exit_code, 0) << export_run_->out;
  EXPECT_NE(export_run_->out.find("init: data-dependent (BatchNorm statistics of 2 samples"),
            std::string::npos)
      << export_run_->out;
  recipes::write_wav(path("silence.wav"), std::vector<float>(44100, 0.0f), 44100);
  nlohmann::ordered_json classes;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const char* label : {"rain", "siren", "dog"}) {
    std::vector<float> v(16);
    for (float& x : v) x = u(rng);
    classes[label] = v;
  }
  std::ofstream(path("random_classes.json")) << classes.dump();
  const auto similarities = [&](const std::string& audio) {
    const auto r =
        run_cli("clap " + model() + " " + audio + " --classes " + path("random_classes.json") +
                " --top 3 --json");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    std::map<std::string, double> s;
    for (const auto& t : j["top"])
      s[t["label"].get<std::string>()] = t["similarity"].get<double>();
    return s;
  };
  const auto silence = similarities(path("silence.wav"));
  const auto tone = similarities(wav());
  double largest_change = 0.0;
  for (const auto& [label, similarity] : silence)
    largest_change = std::max(largest_change, std::fabs(similarity - tone.at(label)));
  EXPECT_GT(largest_change, 0.05);
}

}  // namespace
