#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "core/ops.h"
#include "engine/kernels/kernel.h"

namespace tinyscale::engine {
namespace {

TEST(KernelRegistry, UnknownCombinationsHaveNoKernel) {
  EXPECT_EQ(find_kernel(core::OpType::batch_norm, core::DType::int8),
            nullptr);  // folded, never run
  EXPECT_EQ(find_kernel(core::OpType::conv2d, core::DType::int32), nullptr);
}

// The code generator (deploy/) calls the device function the registry names, with the params
// op_data begins with (engine/kernels/device/README.md).
TEST(KernelRegistry, Int8KernelsNameTheirDeviceFunction) {
  const std::pair<core::OpType, const char*> expected[] = {
      {core::OpType::conv2d, "conv2d_s8"},
      {core::OpType::fully_connected, "fully_connected_s8"},
      {core::OpType::avg_pool, "avg_pool_s8"},
      {core::OpType::softmax, "softmax_s8"},
      {core::OpType::reshape, "reshape_s8"},
      {core::OpType::global_avg_pool, "global_avg_pool_s8"},
      {core::OpType::add, "add_s8"},
      {core::OpType::mul, "mul_s8"},
      {core::OpType::paste, "paste_s8"},
  };
  for (const auto& [op, name] : expected) {
    const KernelInfo* int8 = find_kernel(op, core::DType::int8);
    ASSERT_NE(int8, nullptr) << core::op_name(op);
    ASSERT_NE(int8->device_function, nullptr) << core::op_name(op);
    EXPECT_EQ(std::string(int8->device_function), name);
    const KernelInfo* float32 = find_kernel(op, core::DType::float32);
    ASSERT_NE(float32, nullptr) << core::op_name(op);
    EXPECT_EQ(float32->device_function, nullptr) << core::op_name(op) << ": float is host-only";
  }
}

}  // namespace
}  // namespace tinyscale::engine
