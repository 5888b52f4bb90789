// tinyCLAP's float post-processing and ranking against values computed by hand (standard
// normal CDF values for GELU, small LayerNorm and projection examples), the class embeddings
// file's errors, and the encoder's front-end plumbing on a model whose output is known.
#include "recipes/clap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "nets/tinyclap.h"
#include "recipes/log_mel.h"
#include "tests/support/errors.h"

namespace tinyscale::recipes {
namespace {

using testing_support::error_of;
using testing_support::expect_contains;

TEST(Clap, GeluIsTheExactErfForm) {
  // x · Φ(x) with the standard normal CDF Φ(1) = 0.8413447461, Φ(2) = 0.9772498681,
  // Φ(-3) = 0.0013498980, Φ(0.5) = 0.6914624613.
  EXPECT_EQ(gelu(0.0f), 0.0f);
  EXPECT_NEAR(gelu(1.0f), 0.8413447461f, 1e-7);
  EXPECT_NEAR(gelu(-1.0f), -0.1586552539f, 1e-7);
  EXPECT_NEAR(gelu(2.0f), 1.9544997361f, 1e-6);
  EXPECT_NEAR(gelu(-3.0f), -0.0040496941f, 1e-8);
  EXPECT_NEAR(gelu(0.5f), 0.3457312306f, 1e-7);
}

TEST(Clap, LayerNormUsesTheBiasedVariance) {
  // [1, 2, 3, 4]: mean 2.5, biased variance 1.25; with eps 0.75 the divisor is sqrt(2).
  std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> gamma = {1, 2, 1, 1}, beta = {0, 0, 0, 1};
  layer_norm(x, gamma, beta, 0.75f);
  EXPECT_NEAR(x[0], -1.5 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(x[1], 2 * -0.5 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(x[2], 0.5 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(x[3], 1.5 / std::sqrt(2.0) + 1, 1e-6);
}

TEST(Clap, ProjectionIsLinearGeluLinearResidualLayerNorm) {
  // x = [1, -0.5]; e1 = W1 x + b1 = [1, -1, 0.5];
  // gelu(e1) = [0.841344746, -0.158655254, 0.345731231];
  // e2 = W2 gelu(e1) + b2 = [0.941344746, -0.158655254, 1.028420723];
  // e1 + e2 = [1.941344746, -1.158655254, 1.528420723], LayerNorm (eps 1e-5) with
  // gamma [1, 2, 0.5], beta [0, 0, 1] -> [0.851984828, -2.807063802, 1.275773536].
  const std::vector<float> w1 = {1, 0, 0, 2, 0.5f, 0.5f}, b1 = {0, 0, 0.25f};
  const std::vector<float> w2 = {1, 0, 0, 0, 1, 0, 1, 1, 1}, b2 = {0.1f, 0, 0};
  const std::vector<float> gamma = {1, 2, 0.5f}, beta = {0, 0, 1};
  const ClapProjectionWeights w{2, 3, w1, b1, w2, b2, gamma, beta, 1e-5f};
  const std::vector<float> x = {1.0f, -0.5f};
  const std::vector<float> y = clap_project(x, w);
  ASSERT_EQ(y.size(), 3u);
  EXPECT_NEAR(y[0], 0.851984828, 1e-5);
  EXPECT_NEAR(y[1], -2.807063802, 1e-5);
  EXPECT_NEAR(y[2], 1.275773536, 1e-5);

  const std::vector<float> wrong = {1, 2, 3};
  expect_contains(error_of([&] { clap_project(wrong, w); }),
                  "the audio embedding has 3 values, the projection takes 2");
}

TEST(Clap, L2NormalizeAndCosineRanking) {
  std::vector<float> v = {3, 4};
  EXPECT_DOUBLE_EQ(l2_normalize(v), 5.0);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  std::vector<float> zero = {0, 0};
  EXPECT_EQ(l2_normalize(zero), 0.0);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));

  const ClassEmbeddings classes = parse_class_embeddings(
      R"({"dog": [0, 1, 0], "bird": [1, 1, 0], "car": [-1, 0, 0], "cat": [2, 0, 0],
          "tie": [3, 3, 0], "rain": [1, -1, 1]})",
      "c.json", 3);
  // Against [3, 0, 0]: cat 1, bird and tie 1/√2 (file order), rain 1/√3, dog 0, car -1.
  const std::vector<float> audio = {3, 0, 0};
  const std::vector<ClassScore> top = rank_classes(audio, classes, 4);
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0].label, "cat");
  EXPECT_EQ(top[0].index, 3);
  EXPECT_FLOAT_EQ(top[0].similarity, 1.0f);
  EXPECT_EQ(top[1].label, "bird");
  EXPECT_EQ(top[2].label, "tie");
  EXPECT_FLOAT_EQ(top[2].similarity, static_cast<float>(1 / std::sqrt(2.0)));
  EXPECT_EQ(top[3].label, "rain");
  EXPECT_FLOAT_EQ(top[3].similarity, static_cast<float>(1 / std::sqrt(3.0)));
  const std::vector<ClassScore> all = rank_classes(audio, classes, 100);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[5].label, "car");
  EXPECT_FLOAT_EQ(all[5].similarity, -1.0f);
}

TEST(Clap, ClassEmbeddingErrorsNameTheFileAndLabel) {
  auto parse = [](const std::string& json) {
    return error_of([&] { parse_class_embeddings(json, "c.json", 3); });
  };
  EXPECT_EQ(parse(R"({"dog": [1, 2, 3], "siren": [1, 2]})"),
            "c.json: class 'siren' has 2 values; the model's embedding has 3");
  expect_contains(parse("{}"), "c.json: holds no classes");
  expect_contains(parse("[1, 2, 3]"), "c.json: expected a JSON object");
  expect_contains(parse("{\"dog\": [1, 2"), "c.json: not valid JSON");
  expect_contains(parse(R"({"dog": "woof"})"), "class 'dog' is a string, expected an array");
  expect_contains(parse(R"({"dog": [1, "2", 3]})"), "class 'dog' value 1 is a string");
  expect_contains(parse(R"({"dog": [1, 2, 1e39]})"), "class 'dog' value 2 is not a finite");
  expect_contains(parse(R"({"dog": [1e999, 2, 3]})"), "c.json: not valid JSON: ");  // overflow
  expect_contains(parse(R"({"dog": [0, 0, 0]})"), "class 'dog' is a zero vector");
  const std::string missing = (std::filesystem::temp_directory_path() / "no_such.json").string();
  expect_contains(error_of([&] { read_class_embeddings(missing, 3); }), missing + ": cannot open");
}

// core/limits.h: JSON nested deeper than kMaxJsonDepth, or larger than kMaxJsonFileBytes, is
// refused before it is parsed; brackets inside strings are not nesting.
TEST(Clap, ClassEmbeddingsOverTheJsonLimitsAreRefusedBeforeParsing) {
  const std::string deep = "{\"dog\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(error_of([&] { parse_class_embeddings(deep, "deep.json", 3); }),
            "deep.json: its nesting needs 100001 levels, over the 64 levels limit for a JSON "
            "document (kMaxJsonDepth)");
  const std::string label(1000, '[');
  EXPECT_EQ(parse_class_embeddings("{\"" + label + "\": [1, 2, 3]}", "c.json", 3).labels.at(0),
            label);
  const std::filesystem::path big = std::filesystem::temp_directory_path() /
                                    ("tinyscale_clap_big_" + std::to_string(::getpid()) + ".json");
  std::ofstream(big) << "{}";
  std::filesystem::resize_file(big, 20 * 1024 * 1024);  // sparse
  EXPECT_EQ(error_of([&] { read_class_embeddings(big.string(), 3); }),
            big.string() +
                " needs 20971520 bytes, over the 16 MiB limit for a JSON document "
                "(kMaxJsonFileBytes)");
  std::filesystem::remove(big);
}

TEST(Clap, DefaultEncoderFramesAreTheLogMelFrontEndsFiveSeconds) {
  EXPECT_EQ(nets::TinyClapConfig{}.frames, LogMelFrontEnd{}.num_frames());
  EXPECT_EQ(nets::TinyClapConfig{}.n_mels, LogMelFrontEnd{}.num_mel_bands());
}

// A float model [1, F, M, 1] -> mean over the map -> [1, 1]: its output is known by hand.
core::Graph mean_model(int frames, int bands) {
  core::Graph g;
  const int x = g.add_input("log_mel", {1, frames, bands, 1});
  const int m = g.add_node(core::OpType::global_avg_pool, "mean", {x});
  core::Attributes a;
  a.new_shape = {1, 1};
  g.mark_output(g.add_node(core::OpType::reshape, "embedding", {m}, a));
  return g;
}

TEST(Clap, EncoderAppliesTheBandNormalizationBeforeTheModel) {
  ClapAudioEncoder encoder(mean_model(5, 4), "mean.tflite");
  EXPECT_EQ(encoder.sample_rate(), 44100);
  EXPECT_EQ(encoder.num_frames(), 5);
  EXPECT_EQ(encoder.clip_samples(), 4 * 320);
  EXPECT_EQ(encoder.num_mel_bands(), 4);
  EXPECT_EQ(encoder.embedding_width(), 1);
  // Every frame holds [1, 2, 3, 4]: mean 2.5.
  std::vector<float> features;
  for (int t = 0; t < 5; ++t) features.insert(features.end(), {1, 2, 3, 4});
  EXPECT_FLOAT_EQ(encoder.embed_features(features)[0], 2.5f);
  // Bands become 1·1 + 0, 2·2 + 1, 3·0.5 - 1, 4·(-1) + 2 = [1, 5, 0.5, -2]: mean 1.125.
  encoder.set_band_normalization({1, 2, 0.5f, -1}, {0, 1, -1, 2});
  EXPECT_FLOAT_EQ(encoder.embed_features(features)[0], 1.125f);
  expect_contains(error_of([&] {
                    encoder.set_band_normalization({1, 2}, {0, 0});
                  }),
                  "2 scales and 2 shifts; the input has 4 mel bands");
  expect_contains(error_of([&] { encoder.embed_features(std::vector<float>(7)); }),
                  "7 features for input 'log_mel' of 20 values");
  // A silent clip runs through the front end: every log-mel value is the floor, -100 dB.
  encoder.set_band_normalization({}, {});
  EXPECT_NEAR(encoder.embed(std::vector<float>(100, 0.0f))[0], -100.0f, 1e-4);

  ClapAudioEncoder five_seconds(mean_model(690, 64), "m.tflite");
  EXPECT_EQ(five_seconds.clip_samples(), 5 * 44100);
}

TEST(Clap, EncoderRejectsModelsThatDoNotReadALogMelImage) {
  expect_contains(error_of([] {
                    core::Graph g;
                    const int x = g.add_input("image", {1, 32, 32, 3});
                    g.mark_output(g.add_node(core::OpType::global_avg_pool, "mean", {x}));
                    ClapAudioEncoder(std::move(g), "rgb.tflite");
                  }),
                  "model 'rgb.tflite': input 'image' has shape 1x32x32x3; a tinyCLAP encoder");
}

}  // namespace
}  // namespace tinyscale::recipes
