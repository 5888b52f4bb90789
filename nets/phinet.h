// PhiNet, built exactly as micromind's `PhiNet(...)` constructor builds it: same layers,
// channel counts (with _make_divisible and Python's int() truncation), kernel sizes,
// strides, asymmetric stem padding, BatchNorm eps 1e-3. Every micromind constructor option
// is here under the same name.
//
// Usage:
//   nets::PhiNetConfig cfg;              // micromind's defaults: alpha 0.2, beta 1, t0 6, N 7
//   cfg.input = {3, 224, 224};
//   core::Graph g = nets::build_phinet(cfg, {.materialize_weights = true, .seed = 0});
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "blocks/builder.h"
#include "core/graph.h"

namespace tinyscale::nets {

struct PhiNetConfig {
  std::array<std::int64_t, 3> input = {3, 224, 224};  // (C, H, W) as micromind takes it
  int num_layers = 7;
  double alpha = 0.2;
  double beta = 1.0;
  double t_zero = 6.0;
  bool include_top = false;
  int num_classes = 10;
  bool compatibility = false;  // no h-swish, no squeeze-excite
  std::vector<int> downsampling_layers = {5, 7};
  double conv5_percent = 0.0;
  int first_conv_stride = 2;
  bool residuals = true;
  bool conv2d_input = false;
  bool pool = false;
  bool h_swish = true;
  bool squeeze_excite = true;
  int divisor = 1;
};

// Throws tinyscale::Error naming the parameter, or the layer where the network stops
// fitting the input.
core::Graph build_phinet(const PhiNetConfig& config, const blocks::BuilderOptions& options = {});

}  // namespace tinyscale::nets
