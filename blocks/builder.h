// blocks::Builder — appends PyTorch-style layers to a core::Graph.
//
// Each call adds one primitive node (conv2d, batch_norm, activation, pool, ...) with its
// parameters as constant tensors named like PyTorch's state_dict ("<layer>.weight",
// "<layer>.running_mean"), so a network built here maps onto the micromind module it
// reproduces. Weights are either left shape-only (fast; what the solver and cost model
// need) or materialized deterministically from a seed with PyTorch's default
// initialization: Conv2d / Linear weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
// (kaiming_uniform_ with a = sqrt(5)), BatchNorm gamma 1, beta 0, mean 0, var 1.
//
// Usage:
//   core::Graph g;
//   blocks::Builder b(g, {.materialize_weights = true, .seed = 42});
//   int x = b.input("input", 3, 96, 96);
//   x = b.conv2d("conv1", x, {.out_channels = 16, .kernel = 3, .stride = 2, .pad = {1, 1, 1, 1}});
//   x = b.batch_norm("bn1", x, 1e-3f);
//   x = b.activation("act1", x, blocks::Activation::hard_swish);
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "core/graph.h"

namespace tinyscale::blocks {

struct BuilderOptions {
  bool materialize_weights = false;
  std::uint64_t seed = 0;
};

enum class Activation { none, relu, relu6, hard_swish, sigmoid, silu };

struct Padding {
  int top = 0, bottom = 0, left = 0, right = 0;
};

struct ConvSpec {
  std::int64_t out_channels = 1;
  int kernel = 1;
  int stride = 1;
  Padding pad;
  int groups = 1;
  int dilation = 1;
  bool bias = false;
};

class Builder {
 public:
  Builder(core::Graph& graph, BuilderOptions options);

  // An NHWC graph input [1, height, width, channels].
  int input(const std::string& name, std::int64_t channels, std::int64_t height,
            std::int64_t width);
  int conv2d(const std::string& name, int x, const ConvSpec& spec);
  int batch_norm(const std::string& name, int x, float epsilon);
  int activation(const std::string& name, int x, Activation activation);
  int add(const std::string& name, int a, int b);
  int mul(const std::string& name, int a, int b);
  int max_pool(const std::string& name, int x, int kernel, int stride);
  int global_avg_pool(const std::string& name, int x);
  // PyTorch's AdaptiveAvgPool2d((out_h, out_w)): nothing when the size already matches, a
  // plain avg_pool when it divides the input, adaptive_avg_pool otherwise.
  int adaptive_avg_pool(const std::string& name, int x, std::int64_t out_h, std::int64_t out_w);
  int zero_pad(const std::string& name, int x, const Padding& pad);
  int flatten(const std::string& name, int x);
  int fully_connected(const std::string& name, int x, std::int64_t out_features, bool bias);

  // Sets every bias of the conv2d / fully_connected layer just added (whose output is
  // `output`) to `value`: a prior such as YOLOv8's class bias. Shape-only builds keep no
  // values, so it does nothing there.
  void fill_bias(int output, float value);

  const core::Shape& shape(int tensor) const { return graph_.tensor(tensor).shape; }
  std::int64_t channels(int tensor) const { return shape(tensor).back(); }
  core::Graph& graph() { return graph_; }

 private:
  int parameter(const std::string& name, core::Shape shape, float bound);
  int constant_fill(const std::string& name, core::Shape shape, float value);

  core::Graph& graph_;
  BuilderOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace tinyscale::blocks
