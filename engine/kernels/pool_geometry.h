// The window geometry shared by the pooling kernels (avg_pool, max_pool): sizes, strides
// and the leading padding of an NHWC pool, validated from the node in prepare().
#pragma once

#include "engine/kernels/kernel.h"

namespace tinyscale::engine {

struct PoolGeometry {
  int batches, in_h, in_w, channels, out_h, out_w;
  int kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
};

// Checks arity, rank-4 shapes, window attributes and the output shape against TFLite's
// pooling rules, and fills `g`.
Status prepare_pool_geometry(NodeContext& ctx, PoolGeometry* g);

}  // namespace tinyscale::engine
