#include "engine/kernels/device/conv2d_gemm_fast_short.h"

#include "engine/kernels/device/conv2d_gemm_fast_impl.h"

namespace tinyscale::device {

void conv2d_s8_gemm_fast_short(const Conv2dS8Params& p, const std::int8_t* input,
                               const std::int8_t* weights, const std::int32_t* folded_bias,
                               std::int8_t* output, std::int8_t* /*scratch*/) {
  run<dsp::ShortStage>(p, input, weights, folded_bias, output);
}

}  // namespace tinyscale::device
