#include "blocks/phinet_blocks.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace tinyscale::blocks {
namespace {

// Python's floor division for possibly negative integers.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::int64_t make_divisible(std::int64_t value, int divisor) {
  const auto v = static_cast<double>(value);
  // int(v + divisor / 2) truncates toward zero, then // floors.
  const auto rounded = static_cast<std::int64_t>(v + divisor / 2.0);
  std::int64_t new_v = std::max<std::int64_t>(divisor, floor_div(rounded, divisor) * divisor);
  if (static_cast<double>(new_v) < 0.9 * v) new_v += divisor;
  return new_v;
}

double expansion_factor(double t_zero, double beta, int block_id, int num_blocks) {
  return (t_zero * beta) * block_id / num_blocks + t_zero * (num_blocks - block_id) / num_blocks;
}

Padding correct_pad(std::int64_t size, int kernel) {
  const int adjust = 1 - static_cast<int>(size % 2);
  const int correct = kernel / 2;
  return Padding{
      .top = correct - adjust, .bottom = correct, .left = correct - adjust, .right = correct};
}

int separable_conv(Builder& b, const std::string& prefix, int x, std::int64_t out_channels,
                   int stride, Activation act) {
  const std::int64_t in = b.channels(x);
  x = b.conv2d(prefix + "._layers.0", x,
               {.out_channels = in, .kernel = 3, .stride = stride, .groups = static_cast<int>(in)});
  x = b.conv2d(prefix + "._layers.1", x, {.out_channels = out_channels});
  x = b.batch_norm(prefix + "._layers.2", x, kPhiNetBatchNormEpsilon);
  return b.activation(prefix + "._layers.3", x, act);
}

int squeeze_excite(Builder& b, const std::string& prefix, int x, std::int64_t reduced,
                   Activation act) {
  const std::int64_t c = b.channels(x);
  int s = b.global_avg_pool(prefix + ".pool", x);
  s = b.conv2d(prefix + ".se_conv", s, {.out_channels = reduced});
  s = b.activation(prefix + ".activation", s, act);
  s = b.conv2d(prefix + ".se_conv2", s, {.out_channels = c});
  s = b.activation(prefix + ".sigmoid", s, Activation::sigmoid);
  return b.mul(prefix + ".mult", x, s);
}

int phinet_conv_block(Builder& b, const std::string& prefix, int x, const PhiNetBlockSpec& spec) {
  const int input = x;
  const std::int64_t in_channels = b.channels(x);
  // micromind would build it, but a stride-2 block fed a 1×1 map downsamples nothing: its
  // output is a function of the zero padding around one pixel.
  if (spec.stride == 2 && b.shape(x)[1] == 1 && b.shape(x)[2] == 1) {
    throw Error("layer '" + prefix +
                "' (PhiNet block, stride 2): its input is already 1x1; the input "
                "resolution is too small for this many stride-2 layers (raise --input or change "
                "--downsampling-layers)");
  }
  int index = 0;  // micromind's position in the block's _layers ModuleList
  auto layer = [&] { return prefix + "._layers." + std::to_string(index++); };

  std::int64_t dw_channels = in_channels;
  if (spec.expand) {
    const double expanded = spec.expansion * static_cast<double>(in_channels);
    // int() of a count beyond int32 (or of inf) would be undefined or a negative width; the
    // network builders refuse such configurations by option first (nets/config_checks.h).
    if (!(expanded >= 0.0 && expanded <= 2147483647.0)) {
      throw Error("layer '" + prefix + "' (PhiNet block): expansion " +
                  number_text(spec.expansion) + " of " + std::to_string(in_channels) +
                  " channels gives " + number_text(expanded) + " channels, beyond int32");
    }
    dw_channels = make_divisible(static_cast<std::int64_t>(expanded), spec.divisor);
    x = b.conv2d(layer(), x, {.out_channels = dw_channels});
    x = b.batch_norm(layer(), x, kPhiNetBatchNormEpsilon);
    x = b.activation(layer(), x, spec.act);
  }
  ++index;  // Dropout2d: identity at inference.

  // micromind pads stride-2 depthwise convs with correct_pad(..., 3) evaluated on the
  // `residuals` flag instead of the resolution, which always yields 1 on each side.
  const int pad = spec.stride == 2 ? 1 : spec.kernel / 2;
  x = b.conv2d(layer(), x,
               {.out_channels = dw_channels,
                .kernel = spec.kernel,
                .stride = spec.stride,
                .pad = {pad, pad, pad, pad},
                .groups = static_cast<int>(dw_channels)});
  x = b.batch_norm(layer(), x, kPhiNetBatchNormEpsilon);
  x = b.activation(layer(), x, spec.act);

  if (spec.squeeze_excite) {
    const std::int64_t reduced =
        make_divisible(std::max<std::int64_t>(
                           1, static_cast<std::int64_t>(static_cast<double>(dw_channels) / 6.0)),
                       spec.divisor);
    x = squeeze_excite(b, layer(), x, reduced, spec.act);
  }
  x = b.conv2d(layer(), x, {.out_channels = spec.filters});
  x = b.batch_norm(layer(), x, kPhiNetBatchNormEpsilon);

  if (spec.residuals && in_channels == spec.filters && spec.stride == 1) {
    x = b.add(prefix + ".add", x, input);
  }
  return x;
}

}  // namespace tinyscale::blocks
