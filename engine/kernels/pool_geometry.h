// The window geometry shared by the pooling kernels (avg_pool, max_pool): sizes, strides
// and the leading padding of an NHWC pool, validated from the node in prepare().
#pragma once

#include "engine/kernels/device/pool_geometry.h"
#include "engine/kernels/kernel.h"

namespace tinyscale::engine {

// The device kernels' geometry struct (engine/kernels/device/pool_geometry.h).
using device::PoolGeometry;

// Checks arity, rank-4 shapes, window attributes and the output shape against TFLite's
// pooling rules, and fills `g`.
Status prepare_pool_geometry(NodeContext& ctx, PoolGeometry* g);

}  // namespace tinyscale::engine
