#include <gtest/gtest.h>

#include "engine/kernels/kernel.h"

namespace tinyscale::engine {
namespace {

TEST(KernelRegistry, UnknownCombinationsHaveNoKernel) {
  EXPECT_EQ(find_kernel(core::OpType::batch_norm, core::DType::int8),
            nullptr);  // folded, never run
  EXPECT_EQ(find_kernel(core::OpType::conv2d, core::DType::int32), nullptr);
}

}  // namespace
}  // namespace tinyscale::engine
