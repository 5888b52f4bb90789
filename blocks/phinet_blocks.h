// PhiNet building blocks, as micromind's networks/phinet.py defines them (PhiNets, Paissan
// et al., ACM TECS 2022). Node names follow micromind's module paths so that a layer here
// maps onto the same parameter in a micromind state_dict.
//
// Usage:
//   int y = blocks::phinet_conv_block(b, "_layers.3", x, spec);
#pragma once

#include <cstdint>
#include <string>

#include "blocks/builder.h"

namespace tinyscale::blocks {

// micromind's _make_divisible (from TF's MobileNet): round `value` to the nearest multiple of
// `divisor` (at least `divisor`), and add one `divisor` if rounding lost more than 10%.
std::int64_t make_divisible(std::int64_t value, int divisor);

// micromind's get_xpansion_factor: t_i = t0·β·i/N + t0·(N−i)/N, in double arithmetic.
double expansion_factor(double t_zero, double beta, int block_id, int num_blocks);

// micromind's correct_pad for a square kernel: (left, right, top, bottom) zero padding. An
// even size pads right/bottom by kernel/2 and left/top by kernel/2 − 1; an odd one kernel/2
// on every side.
Padding correct_pad(std::int64_t size, int kernel);

// SeparableConv2d: depthwise 3×3 (no padding; callers pad first), pointwise 1×1, BN(1e-3), act.
int separable_conv(Builder& b, const std::string& prefix, int x, std::int64_t out_channels,
                   int stride, Activation act);

// SEBlock: global average, 1×1 to `reduced`, act, 1×1 back, sigmoid, multiply with the input.
int squeeze_excite(Builder& b, const std::string& prefix, int x, std::int64_t reduced,
                   Activation act);

struct PhiNetBlockSpec {
  bool expand = true;  // false for micromind's block1 (block_id None): no 1×1 expansion
  double expansion = 1.0;
  int stride = 1;
  std::int64_t filters = 1;
  bool squeeze_excite = true;
  bool residuals = true;
  Activation act = Activation::hard_swish;
  int kernel = 3;
  int divisor = 1;
};

// PhiNetConvBlock: [1×1 expand, BN, act] → depthwise k×k (stride 2: padding 1 on every side
// whatever k, as micromind computes it) → BN → act → [SE] → 1×1 project → BN → [+ input].
int phinet_conv_block(Builder& b, const std::string& prefix, int x, const PhiNetBlockSpec& spec);

inline constexpr float kPhiNetBatchNormEpsilon = 1e-3f;

}  // namespace tinyscale::blocks
