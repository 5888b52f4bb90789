#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

// PyTorch's eval-mode BatchNorm: (x - mean) / sqrt(var + eps) · gamma + beta, per channel.
TEST(BatchNormFloat, NormalizesEachChannelWithItsStatistics) {
  const std::vector<float> x = {1.0f, -2.0f, 0.5f, 3.0f, 4.0f, 0.0f};  // [1, 1, 2, 3]
  const std::vector<float> gamma = {2.0f, 0.5f, -1.0f}, beta = {0.1f, -0.2f, 0.0f},
                           mean = {1.0f, -1.0f, 0.25f}, var = {3.0f, 0.25f, 1.0f};
  core::Attributes a;
  a.epsilon = 1e-3f;
  const KernelRun r =
      run_kernel(core::OpType::batch_norm,
                 {float_tensor({1, 1, 2, 3}, x), float_constant({3}, gamma),
                  float_constant({3}, beta), float_constant({3}, mean), float_constant({3}, var)},
                 a, float_output());
  ASSERT_TRUE(r.found);
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  const std::vector<float> y = r.values<float>();
  ASSERT_EQ(y.size(), x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    const std::size_t c = k % 3;
    const double expected = (x[k] - mean[c]) / std::sqrt(var[c] + 1e-3) * gamma[c] + beta[c];
    EXPECT_NEAR(y[k], expected, 1e-6) << "element " << k;
  }
}

TEST(BatchNormFloat, RankTwoFeatures) {
  // BatchNorm1d on [N, C]: the channel is the last axis.
  core::Attributes a;
  a.epsilon = 1e-5f;
  const KernelRun r = run_kernel(
      core::OpType::batch_norm,
      {float_tensor({2, 2}, {1, 2, 3, 4}), float_constant({2}, {1, 1}), float_constant({2}, {0, 1}),
       float_constant({2}, {2, 0}), float_constant({2}, {4, 1})},
      a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  const std::vector<float> y = r.values<float>();
  EXPECT_NEAR(y[0], (1 - 2) / std::sqrt(4 + 1e-5), 1e-6);
  EXPECT_NEAR(y[1], 2 / std::sqrt(1 + 1e-5) + 1, 1e-6);
  EXPECT_NEAR(y[2], (3 - 2) / std::sqrt(4 + 1e-5), 1e-6);
  EXPECT_NEAR(y[3], 4 / std::sqrt(1 + 1e-5) + 1, 1e-6);
}

}  // namespace
}  // namespace tinyscale::engine::testing
