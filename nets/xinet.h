// XiNet, built exactly as micromind's `XiNet(...)` constructor builds it (7×7 stride-2 stem,
// 2L−2 XiConv blocks with compression, broadcast skip from the first block, max-pool
// downsampling, lite attention except in the last two blocks, BatchNorm eps 1e-5), plus the
// paper's β as a per-width ramp: width_i = int(2^(√base_filters + i) · α · (1 + (β−1)·i/L)).
// With β = 1 the network equals micromind's exactly.
//
// Usage:
//   nets::XiNetConfig cfg;
//   cfg.input = {3, 96, 96};  cfg.alpha = 0.5;  cfg.include_top = true;
//   core::Graph g = nets::build_xinet(cfg);
#pragma once

#include <array>
#include <cstdint>

#include "blocks/builder.h"
#include "core/graph.h"

namespace tinyscale::nets {

struct XiNetConfig {
  std::array<std::int64_t, 3> input = {3, 224, 224};  // (C, H, W)
  double alpha = 1.0;
  double beta = 1.0;
  double gamma = 4.0;  // truncated to an integer compression factor, as micromind does
  int num_layers = 5;
  int num_classes = 1000;
  bool include_top = false;
  int base_filters = 16;
};

core::Graph build_xinet(const XiNetConfig& config, const blocks::BuilderOptions& options = {});

}  // namespace tinyscale::nets
