#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

core::Attributes block(core::Shape begin, core::Shape size) {
  core::Attributes a;
  a.slice_begin = std::move(begin);
  a.slice_size = std::move(size);
  return a;
}

TEST(SliceFloat, CutsABlockOfRowsColumnsAndChannels) {
  // NHWC [1, 3, 4, 2], value = 100 h + 10 w + c; rows 1..2, columns 2..3, channel 1.
  std::vector<float> x;
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 4; ++w)
      for (int c = 0; c < 2; ++c) x.push_back(static_cast<float>(100 * h + 10 * w + c));
  const KernelRun r = run_kernel(core::OpType::slice, {float_tensor({1, 3, 4, 2}, x)},
                                 block({0, 1, 2, 1}, {1, 2, 2, 1}), float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.output_shape, (core::Shape{1, 2, 2, 1}));
  EXPECT_EQ(r.values<float>(), (std::vector<float>{121, 131, 221, 231}));
}

TEST(SliceFloat, WholeInnerAxesAndBatches) {
  // [2, 3]: the second row's last two; then a rank-1 slice.
  KernelRun r = run_kernel(core::OpType::slice, {float_tensor({2, 3}, {1, 2, 3, 4, 5, 6})},
                           block({1, 1}, {1, 2}), float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{5, 6}));
  r = run_kernel(core::OpType::slice, {float_tensor({5}, {1, 2, 3, 4, 5})}, block({2}, {3}),
                 float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{3, 4, 5}));
}

TEST(SliceInt8, CopiesTheBytesOfTheBlock) {
  const KernelRun r = run_kernel(core::OpType::slice,
                                 {int8_tensor({1, 2, 3, 1}, 0.5f, -3, {-128, 1, 2, 3, 4, 127})},
                                 block({0, 0, 1, 0}, {1, 2, 2, 1}), int8_output(0.5f, -3));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{1, 2, 4, 127}));
}

TEST(SliceInt8, PrepareRejectsAnotherQuantization) {
  // TFLite's converter gives SLICE its input's scale; a byte copy cannot rescale.
  const KernelRun r = run_kernel(core::OpType::slice, {int8_tensor({1, 1, 1, 2}, 0.5f, 0, {1, 2})},
                                 block({0, 0, 0, 1}, {1, 1, 1, 1}), int8_output(0.25f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_NE(r.error.find("must share quantization"), std::string::npos) << r.error;
}

TEST(SliceFloat, PrepareRejectsABlockOutsideTheInput) {
  // Shape inference refuses it first; a graph edited afterwards still fails in prepare.
  core::Graph g;
  const int x = g.add_input("x", {1, 4});
  const int y = g.add_node(core::OpType::slice, "s", {x}, block({0, 1}, {1, 2}));
  g.nodes[0].attrs.slice_begin = {0, 3};
  g.mark_output(y);
  const KernelInfo* k = find_kernel(core::OpType::slice, core::DType::float32);
  ASSERT_NE(k, nullptr);
  TensorRef refs[2] = {{&g.tensor(x), nullptr}, {&g.tensor(y), nullptr}};
  Buffer op_data(op_data_bytes(*k, g, g.nodes[0]));
  char error[256] = "";
  NodeContext ctx;
  ctx.graph = &g;
  ctx.node = &g.nodes[0];
  ctx.inputs = refs;
  ctx.num_inputs = 1;
  ctx.outputs = refs + 1;
  ctx.num_outputs = 1;
  ctx.op_data = op_data.data();
  ctx.error = error;
  ctx.error_size = sizeof error;
  std::int64_t scratch = 0;
  EXPECT_EQ(k->prepare(ctx, &scratch), Status::invalid_model);
  EXPECT_NE(std::string(error).find("block at 3 of length 2 along axis 1"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace tinyscale::engine::testing
