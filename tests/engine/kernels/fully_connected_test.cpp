#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(FullyConnectedInt8, TwoBatchesWithBiasAndZeroPoints) {
  // x = {1,2,3 | -1,0,1}; w (scale 0.5) = {1,1,1 | 1,0,-1}; bias (scale 0.5) = {1, -1};
  // real outputs {7, -3 | 1, -3}; output scale 0.5, zero point 1.
  const KernelRun r = run_kernel(core::OpType::fully_connected,
                                 {int8_tensor({2, 3}, 1.0f, 0, {1, 2, 3, -1, 0, 1}),
                                  int8_constant({2, 3}, per_tensor(0.5f, 0), {2, 2, 2, 2, 0, -2}),
                                  int32_constant({2}, {0.5f, 0.5f}, {2, -2})},
                                 {}, int8_output(0.5f, 1));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.output_shape, (core::Shape{2, 2}));
  EXPECT_EQ(r.values<std::int8_t>(), (I8{15, -5, 3, -5}));
}

TEST(FullyConnectedInt8, PerChannelWeightsAndFusedRelu) {
  core::Attributes a;
  a.fused_activation = core::FusedActivation::relu;
  // Same weight bytes, channel scales 1 and 0.1: real {6, 0.6} and {-6, -0.6} → relu.
  const KernelRun r = run_kernel(core::OpType::fully_connected,
                                 {int8_tensor({2, 2}, 1.0f, 0, {2, 4, -2, -4}),
                                  int8_constant({2, 2}, per_channel({1.0f, 0.1f}), {1, 1, 1, 1})},
                                 a, int8_output(0.1f, -10));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{50, -4, -10, -10}));
}

TEST(FullyConnectedInt8, MatchesFloatKernelKeepingOrFlatteningDims) {
  std::mt19937 rng(11);
  for (bool keep : {false, true}) {
    core::Attributes a;
    a.keep_num_dims = keep;
    std::vector<float> w_scales, b_scales;
    for (int o = 0; o < 10; ++o) {
      w_scales.push_back(0.004f + 0.001f * static_cast<float>(o));
      b_scales.push_back(0.03f * w_scales.back());
    }
    property_vs_float(
        core::OpType::fully_connected,
        {int8_tensor({1, 2, 2, 24}, 0.03f, -7, random_int8(rng, 96)),
         int8_constant({10, 24}, per_channel(w_scales), random_int8(rng, 240, -127, 127)),
         int32_constant({10}, b_scales, random_int32(rng, 10, -5000, 5000))},
        a, int8_output(0.05f, 4), 1.0);
    property_vs_float(
        core::OpType::fully_connected,
        {int8_tensor({3, 16}, 0.1f, 2, random_int8(rng, 48)),
         int8_constant({5, 16}, per_tensor(0.01f, 0), random_int8(rng, 80, -127, 127))},
        a, int8_output(0.07f, 0), 1.0);
  }
}

TEST(FullyConnectedInt8, PrepareRejectsBadInputs) {
  const TensorSpec w = int8_constant({2, 3}, per_tensor(0.5f, 0), {1, 2, 3, 4, 5, 6});
  KernelRun r =
      run_kernel(core::OpType::fully_connected,
                 {int8_tensor({1, 3}, 1.0f, 0, {1, 2, 3}), w, float_constant({2}, {0, 0})}, {},
                 int8_output(1.0f, 0));
  EXPECT_EQ(r.prepare_status, Status::unsupported_op);  // float bias under int8
  OutputSpec out = int8_output(1.0f, 0);
  out.shape = core::Shape{1, 3};
  r = run_kernel(core::OpType::fully_connected, {int8_tensor({1, 3}, 1.0f, 0, {1, 2, 3}), w}, {},
                 out);
  EXPECT_EQ(r.prepare_status, Status::invalid_model);
  EXPECT_FALSE(r.error.empty());
  r = run_kernel(core::OpType::fully_connected, {int8_tensor({1, 3}, 1.0f, 0, {1, 2, 3}), w}, {},
                 {core::DType::int8, {}, std::nullopt});
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
}

TEST(FullyConnectedFloat, MatrixVectorWithBias) {
  const KernelRun r = run_kernel(
      core::OpType::fully_connected,
      {float_tensor({1, 2}, {1.0f, -2.0f}), float_constant({3, 2}, {1, 1, 2, 0, 0.5f, 0.25f}),
       float_constant({3}, {0.0f, 1.0f, -1.0f})},
      {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{-1.0f, 3.0f, -1.0f}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
