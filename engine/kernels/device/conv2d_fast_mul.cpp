// conv2d_s8_fast_any_mul: conv2d_fast.h's kernel with a multiply fused into its input and any
// output stage (requantize_s8's), in a file of its own as conv2d_fast_short_mul.cpp;
// conv2d_fast.h declares it.
#include "engine/kernels/device/conv2d_fast_mul.h"

#include "engine/kernels/device/conv2d_fast_impl.h"

namespace tinyscale::device {

void conv2d_s8_fast_any_mul(const Conv2dS8Params& p, const PointwiseMulS8Params& m,
                            std::int8_t* input, const std::int8_t* weights,
                            const std::int32_t* folded_bias, std::int8_t* output) {
  if (dsp::lean_output(p)) {  // decided once per call
    run_mul<Stage::kLean>(p, m, input, weights, folded_bias, output);
  } else {
    run_mul<Stage::kFull>(p, m, input, weights, folded_bias, output);
  }
}

}  // namespace tinyscale::device
