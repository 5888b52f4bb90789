#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(ReluInt8, RequantizesThenClamps) {
  // {-2, 0, 1.5, 50} from scale 0.5 into scale 0.25, zp -128.
  const KernelRun r = run_kernel(core::OpType::relu, {int8_tensor({4}, 0.5f, 0, {-4, 0, 3, 100})},
                                 {}, int8_output(0.25f, -128));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-128, -128, -122, 72}));
}

TEST(ReluInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(19);
  property_vs_float(core::OpType::relu, {int8_tensor({1, 4, 4, 4}, 0.1f, 10, random_int8(rng, 64))},
                    {}, int8_output(0.06f, -128), 0.5);
}

TEST(ReluFloat, ZeroesNegatives) {
  const KernelRun r =
      run_kernel(core::OpType::relu, {float_tensor({3}, {-1, 0, 2.5f})}, {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{0, 0, 2.5f}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
