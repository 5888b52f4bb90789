// conv2d_s8_fast_short_mul: conv2d_fast.h's kernel with a multiply fused into its input and
// dsp.h's short output stage, in a file of its own so that conv2d_s8_fast_short's code stays
// as it is (GCC inlines the loops' helpers into one entry point, not two) and a package holds
// it only where a layer calls it; conv2d_fast.h declares it.
#include "engine/kernels/device/conv2d_fast_short_mul.h"

#include "engine/kernels/device/conv2d_fast_impl.h"

namespace tinyscale::device {

void conv2d_s8_fast_short_mul(const Conv2dS8Params& p, const PointwiseMulS8Params& m,
                              std::int8_t* input, const std::int8_t* weights,
                              const std::int32_t* folded_bias, std::int8_t* output) {
  run_mul<Stage::kShort>(p, m, input, weights, folded_bias, output);
}

}  // namespace tinyscale::device
