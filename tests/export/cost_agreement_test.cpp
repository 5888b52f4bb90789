// The numbers `solve` and `net` promise are the numbers of the file `export` writes: the cost
// model's FLASH (with exporter::tflite_file_bytes) is the size of the .tflite the quantizer
// and writer produce, to the byte, and its RAM is the arena the engine allocates for that
// file as `tinyscale run` loads it (PADs folded into the convolutions they feed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/passes.h"
#include "costmodel/costmodel.h"
#include "engine/engine.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "export/tflite_writer.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace tinyscale::exporter {
namespace {

struct Case {
  std::string name;
  core::Graph (*build)(const blocks::BuilderOptions&);
};

core::Graph phinet_96(const blocks::BuilderOptions& o) {
  nets::PhiNetConfig c;
  c.input = {3, 96, 96};
  c.alpha = 0.25;
  c.beta = 0.75;
  c.include_top = true;
  c.num_classes = 10;
  return nets::build_phinet(c, o);
}

core::Graph phinet_kws(const blocks::BuilderOptions& o) {  // odd sizes: 49x10
  nets::PhiNetConfig c;
  c.input = {1, 49, 10};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 12;
  return nets::build_phinet(c, o);
}

core::Graph phinet_wide(const blocks::BuilderOptions& o) {  // 1.2 MB of weights
  nets::PhiNetConfig c;
  c.input = {3, 64, 64};
  c.alpha = 1.3;
  c.beta = 0.9;
  return nets::build_phinet(c, o);
}

core::Graph xinet_96(const blocks::BuilderOptions& o) {
  nets::XiNetConfig c;
  c.input = {3, 96, 96};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 10;
  return nets::build_xinet(c, o);
}

core::Graph xinet_224_7(const blocks::BuilderOptions& o) {  // 56 -> 3 skip pools (slices)
  nets::XiNetConfig c;
  c.input = {3, 224, 224};
  c.alpha = 0.25;
  c.num_layers = 7;
  return nets::build_xinet(c, o);
}

core::Graph phinet_conv_stem(const blocks::BuilderOptions& o) {  // BatchNorm as MUL + ADD
  nets::PhiNetConfig c;
  c.input = {3, 96, 96};
  c.conv2d_input = true;
  return nets::build_phinet(c, o);
}

class CostAgreement : public ::testing::TestWithParam<Case> {};

TEST_P(CostAgreement, FlashIsTheFileSizeAndRamIsTheEngineArena) {
  // What `net` / `solve` report: a shape-only build, costed.
  const core::Graph shape_only = GetParam().build({});
  const costmodel::CostReport report = costmodel::analyze(
      shape_only, {.tflite_file_bytes = tflite_file_bytes, .compare_greedy = false});
  EXPECT_TRUE(report.flash_exact);

  // What `export` writes: weights, calibration, quantization, the file.
  const core::Graph weighted = GetParam().build({.materialize_weights = true, .seed = 7});
  const core::Graph int8 = quantize(weighted, synthetic_calibration(weighted, 2, 1), {});
  const std::vector<std::uint8_t> file = write_tflite_buffer(int8);
  EXPECT_EQ(report.flash_bytes, static_cast<std::int64_t>(file.size()));
  EXPECT_EQ(tflite_file_bytes(int8), static_cast<std::int64_t>(file.size()));

  // What `run` allocates for that file.
  core::Graph loaded = read_tflite_buffer(file, GetParam().name);
  core::fold_pad_into_conv(loaded);
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(loaded, {}, error, sizeof error), engine::Status::ok) << error;
  EXPECT_EQ(report.ram_bytes, model.arena_bytes());
  EXPECT_EQ(report.ram_activation_bytes, model.ram().activation_arena);
  EXPECT_EQ(report.ram_kernel_state_bytes, model.ram().kernel_state);
  EXPECT_EQ(report.ram_runtime_bytes, model.ram().runtime_structures);
}

INSTANTIATE_TEST_SUITE_P(
    Nets, CostAgreement,
    ::testing::Values(Case{"phinet_96", phinet_96}, Case{"phinet_kws", phinet_kws},
                      Case{"phinet_wide", phinet_wide}, Case{"xinet_96", xinet_96},
                      Case{"xinet_224_7", xinet_224_7}, Case{"phinet_conv_stem", phinet_conv_stem}),
    [](const auto& param_info) { return param_info.param.name; });

// A writer that cannot write the graph: FLASH falls back to the estimate and says why;
// params, MACs and RAM are still reported (net must report a network it cannot export).
std::int64_t refusing_writer(const core::Graph&) {
  throw Error("write_tflite: node 7 'x' (some_op): no TFLite operator");
}

TEST(CostAgreement, AWriterFailureLeavesAnEstimateAndANote) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  const costmodel::CostReport exact =
      costmodel::analyze(nets::build_phinet(c), {.tflite_file_bytes = tflite_file_bytes});
  const costmodel::CostReport r =
      costmodel::analyze(nets::build_phinet(c), {.tflite_file_bytes = refusing_writer});
  EXPECT_FALSE(r.flash_exact);
  EXPECT_EQ(r.flash_bytes, r.flash.weight_bytes + r.flash.bias_bytes + r.flash.quantization_bytes +
                               r.flash.overhead_bytes);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("FLASH is an estimate"), std::string::npos) << r.notes[0];
  EXPECT_NE(r.notes[0].find("node 7 'x'"), std::string::npos) << r.notes[0];
  EXPECT_EQ(r.params, exact.params);
  EXPECT_EQ(r.macs, exact.macs);
  EXPECT_EQ(r.ram_bytes, exact.ram_bytes);
  EXPECT_TRUE(exact.notes.empty());
}

TEST(CostAgreement, WithoutTheWriterFlashIsTheStatedEstimate) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  const costmodel::CostReport r = costmodel::analyze(nets::build_phinet(c));
  EXPECT_FALSE(r.flash_exact);
  EXPECT_EQ(r.flash_bytes, r.flash.weight_bytes + r.flash.bias_bytes + r.flash.quantization_bytes +
                               r.flash.overhead_bytes);
}

}  // namespace
}  // namespace tinyscale::exporter
