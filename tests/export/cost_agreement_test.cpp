// The numbers `solve` and `net` promise are the numbers of the file `export` writes: the cost
// model's FLASH (with exporter::tflite_file_bytes) is the size of the .tflite the quantizer
// and writer produce, to the byte, and its RAM is the arena the engine allocates for that
// file as `tinyscale run` loads it (PADs folded into the convolutions they feed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

INSTANTIATE_TEST_SUITE_P(Nets, CostAgreement,
                         ::testing::Values(Case{"phinet_96", phinet_96},
                                           Case{"phinet_kws", phinet_kws},
                                           Case{"phinet_wide", phinet_wide},
                                           Case{"xinet_96", xinet_96}),
                         [](const auto& param_info) { return param_info.param.name; });

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
