// tinyCLAP's student encoder against tinyCLAP's modules.py (shapes worked out by hand from
// micromind's layer arithmetic), and the projection's metadata blob against its documented
// byte layout.
#include "nets/tinyclap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/passes.h"
#include "costmodel/costmodel.h"
#include "tests/nets/graph_lookup.h"
#include "tests/support/errors.h"

namespace tinyscale::nets {
namespace {

using testing_support::error_of;
using testing_support::expect_contains;
using testing_support::find_node;

TEST(TinyClap, DefaultEncoderShapes) {
  const TinyClapConfig cfg;
  EXPECT_EQ(cfg.frames, 690);  // 1 + floor(5 · 44100 / 320), centred STFT
  const core::Graph g = build_tinyclap_encoder(cfg);
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (core::Shape{1, 690, 64, 1}));  // H time, W mel
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (core::Shape{1, 2048}));

  // 690x64 -> stem (pad 0,1 / 0,1, 3x3 stride 2) 345x32 -> blocks 1, 3, 5, 7 halve it with
  // pad 1: 173x16, 87x8, 44x4, 22x2; last block int(192 · 1.5) = 288 channels.
  const core::Node* pn = find_node(g, "pn_block");
  ASSERT_NE(pn, nullptr);
  EXPECT_EQ(g.tensor(pn->inputs[0]).shape, (core::Shape{1, 22, 2, 288}));
  EXPECT_EQ(pn->attrs.kernel_h, 1);
  EXPECT_EQ(pn->attrs.stride_h, 2);
  EXPECT_EQ(pn->attrs.stride_w, 2);
  ASSERT_EQ(pn->inputs.size(), 3u);  // with bias
  EXPECT_EQ(g.tensor(pn->inputs[1]).shape, (core::Shape{2048, 1, 1, 288}));
  EXPECT_EQ(g.tensor(pn->outputs[0]).shape, (core::Shape{1, 11, 1, 2048}));
  EXPECT_EQ(g.nodes.back().op, core::OpType::reshape);
  EXPECT_EQ(g.nodes[g.nodes.size() - 2].op, core::OpType::global_avg_pool);
}

TEST(TinyClap, CompatibilityModeHasNoHardSwishNorSqueezeExcite) {
  const core::Graph g = build_tinyclap_encoder({});
  for (const core::Node& n : g.nodes) {
    EXPECT_NE(n.op, core::OpType::hard_swish) << n.name;
    EXPECT_NE(n.op, core::OpType::sigmoid) << n.name;
    EXPECT_NE(n.op, core::OpType::mul) << n.name;
  }
}

TEST(TinyClap, HeadParametersAndWidths) {
  TinyClapConfig cfg;
  cfg.alpha = 0.5;
  cfg.audio_embedding = 96;
  const auto with_head = costmodel::analyze(build_tinyclap_encoder(cfg),
                                            {.per_layer = false, .compare_greedy = false});
  // pn_block: int(192 · 0.5) = 96 input channels, 1x1 to 96 with bias.
  cfg.audio_embedding = 32;
  const auto smaller = costmodel::analyze(build_tinyclap_encoder(cfg),
                                          {.per_layer = false, .compare_greedy = false});
  EXPECT_EQ(with_head.params - smaller.params, (96 * 96 + 96) - (96 * 32 + 32));
}

TEST(TinyClap, MetadataSurvivesLoweringAndCompaction) {
  TinyClapConfig cfg;
  cfg.alpha = 0.25;
  cfg.frames = 32;
  core::Graph g = build_tinyclap_encoder(cfg);
  g.metadata.push_back({kClapProjectionMetadata, {1, 2, 3}});
  const core::Graph lowered = core::lower_for_deployment(g);
  EXPECT_LT(lowered.tensors.size(), g.tensors.size());  // BatchNorm folded, tensors compacted
  ASSERT_EQ(lowered.metadata.size(), 1u);
  EXPECT_EQ(lowered.metadata[0].name, kClapProjectionMetadata);
  EXPECT_EQ(lowered.metadata[0].bytes, (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST(TinyClap, BadConfigurationNamesTheOption) {
  TinyClapConfig cfg;
  cfg.audio_embedding = 0;
  expect_contains(error_of([&] { build_tinyclap_encoder(cfg); }), "--embedding 0 must be ≥ 1");
  cfg = {};
  cfg.alpha = -1;
  expect_contains(error_of([&] { build_tinyclap_encoder(cfg); }), "--alpha -1 must be > 0");
  cfg = {};
  cfg.n_mels = 0;  // the CLI's spelling, not the field's
  expect_contains(error_of([&] { build_tinyclap_encoder(cfg); }), "--mels 0 must be ≥ 1");
  cfg = {};
  cfg.frames = 2'000'000'000;  // the log-mel input would be 128 GB
  expect_contains(error_of([&] { build_tinyclap_encoder(cfg); }),
                  "--frames 2000000000 x --mels 64 is 128,000,000,000 bytes");
}

TEST(ClapProjection, InitializationFollowsPyTorch) {
  TinyClapConfig cfg;
  cfg.audio_embedding = 64;
  cfg.shared_embedding = 16;
  const ClapProjection p = init_clap_projection(cfg, 3);
  EXPECT_EQ(p.in, 64);
  EXPECT_EQ(p.out, 16);
  ASSERT_EQ(p.w1.size(), 64u * 16u);
  ASSERT_EQ(p.w2.size(), 16u * 16u);
  float w1_max = 0, w2_max = 0;
  for (float v : p.w1) w1_max = std::max(w1_max, std::abs(v));
  for (float v : p.w2) w2_max = std::max(w2_max, std::abs(v));
  EXPECT_LE(w1_max, 1.0f / 8.0f);  // 1 / sqrt(64)
  EXPECT_GT(w1_max, 0.1f);         // and the range is used
  EXPECT_LE(w2_max, 1.0f / 4.0f);  // 1 / sqrt(16)
  EXPECT_EQ(p.b1, std::vector<float>(16, 0.0f));
  EXPECT_EQ(p.ln_gamma, std::vector<float>(16, 1.0f));
  EXPECT_FLOAT_EQ(p.ln_eps, 1e-5f);
  ASSERT_EQ(p.mel_scale.size(), 64u);
  EXPECT_FLOAT_EQ(p.mel_scale[0], 0.999995f);  // bn0: 1 / sqrt(1 + 1e-5)
  EXPECT_EQ(init_clap_projection(cfg, 3).w1, p.w1);
  EXPECT_NE(init_clap_projection(cfg, 4).w1, p.w1);
}

ClapProjection one_by_one() {
  ClapProjection p;
  p.in = p.out = 1;
  p.w1 = {0.5f};
  p.b1 = {0.0f};
  p.w2 = {-2.0f};
  p.b2 = {0.0f};
  p.ln_gamma = {1.0f};
  p.ln_beta = {0.0f};
  return p;
}

TEST(ClapProjection, BlobLayoutIsTheDocumentedOne) {
  const std::vector<std::uint8_t> bytes = serialize_clap_projection(one_by_one());
  const std::vector<std::uint8_t> expected = {
      'T',  'S',  'C',  'P',                // magic
      1,    0,    0,    0,                  // version
      1,    0,    0,    0,    1, 0, 0, 0,   // in, out
      0,    0,    0,    0,                  // no mel bands
      0xac, 0xc5, 0x27, 0x37,               // eps 1e-5f
      0,    0,    0,    0x3f, 0, 0, 0, 0,   // w1 0.5, b1 0
      0,    0,    0,    0xc0, 0, 0, 0, 0,   // w2 -2, b2 0
      0,    0,    0x80, 0x3f, 0, 0, 0, 0};  // gamma 1, beta 0
  EXPECT_EQ(bytes, expected);
}

TEST(ClapProjection, RoundTripKeepsEveryValue) {
  TinyClapConfig cfg;
  cfg.audio_embedding = 24;
  cfg.shared_embedding = 8;
  cfg.n_mels = 5;
  ClapProjection p = init_clap_projection(cfg, 9);
  p.b2[3] = -0.25f;
  p.mel_shift[4] = 1.5f;
  const ClapProjection back = parse_clap_projection(serialize_clap_projection(p), "m.tflite");
  EXPECT_EQ(back.in, 24);
  EXPECT_EQ(back.out, 8);
  EXPECT_EQ(back.w1, p.w1);
  EXPECT_EQ(back.w2, p.w2);
  EXPECT_EQ(back.b2, p.b2);
  EXPECT_EQ(back.mel_scale, p.mel_scale);
  EXPECT_EQ(back.mel_shift, p.mel_shift);
  EXPECT_EQ(back.ln_eps, p.ln_eps);

  core::Graph g;
  EXPECT_FALSE(find_clap_projection(g, "m.tflite").has_value());
  g.metadata.push_back({"other", {1, 2}});
  g.metadata.push_back({kClapProjectionMetadata, serialize_clap_projection(p)});
  const auto found = find_clap_projection(g, "m.tflite");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->w1, p.w1);
}

TEST(ClapProjection, MalformedBlobsGiveOneClearError) {
  const std::vector<std::uint8_t> good = serialize_clap_projection(one_by_one());
  auto parse = [](std::vector<std::uint8_t> bytes) {
    return error_of([&] { parse_clap_projection(bytes, "m.tflite"); });
  };
  expect_contains(parse({}), "m.tflite: metadata 'tinyscale.clap_projection' holds 0 bytes");
  std::vector<std::uint8_t> b = good;
  b[0] = 'X';
  expect_contains(parse(b), "magic 'TSCP'");
  b = good;
  b[4] = 2;
  expect_contains(parse(b), "format version 2");
  b = good;
  b.pop_back();
  expect_contains(parse(b), "holds 47 bytes; in 1, out 1, 0 mel bands need 48");
  b = good;
  b[12] = 0xff;
  b[13] = 0xff;
  b[14] = 0xff;
  b[15] = 0xff;  // out = 2^32 - 1
  expect_contains(parse(b), "out 4294967295");
  b = good;
  const float nan = std::nanf("");
  std::memcpy(&b[24], &nan, 4);  // w1[0]
  expect_contains(parse(b), "w1[0] is not finite");

  ClapProjection p = one_by_one();
  p.w2.push_back(1.0f);
  expect_contains(error_of([&] { serialize_clap_projection(p); }), "w2 holds 2 values, expected 1");
}

}  // namespace
}  // namespace tinyscale::nets
