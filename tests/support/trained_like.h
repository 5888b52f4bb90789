// Test helpers for comparing int8 against float on networks with random weights.
//
// run_outputs     runs a graph on the engine: float input in, every output as floats
//                 (the input quantized and the outputs dequantized for an int8 graph)
// cosine          cosine similarity of two equally long vectors
// standardize_convolutions
//                 a stand-in for trained weights: random init with identity BatchNorm lets
//                 the signal vanish or explode through depth, so every convolution (with a
//                 bias) of a lowered float graph is given what BatchNorm gives a trained
//                 network: per-channel outputs of unit variance over `samples` (population
//                 statistics, as BatchNorm's running averages) and mean beta(node). One
//                 batched pass standardizes each conv output in place, so later layers see
//                 the final values; the same affine maps are then folded into the convs.
//
//   const core::Graph f = standardize_convolutions(lowered, calibration, [](auto&) { return 0.0;
//   }); const double c = cosine(run_outputs(f, x)[0], run_outputs(quantized, x)[0]);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/ops.h"
#include "engine/engine.h"

namespace tinyscale::testing_support {

inline std::vector<std::vector<float>> run_outputs(const core::Graph& g,
                                                   const std::vector<float>& input) {
  engine::CompiledModel model;
  char error[512] = "";
  EXPECT_EQ(model.compile(g, {}, error, sizeof error), engine::Status::ok) << error;
  const engine::TensorRef& in = model.input(0);
  const auto n = static_cast<std::size_t>(core::num_elements(in.shape()));
  if (in.tensor->dtype == core::DType::int8) {
    const core::Quantization& q = in.tensor->quantization;
    for (std::size_t k = 0; k < n; ++k) {
      const float v = std::round(input[k] / q.scales[0]) + static_cast<float>(q.zero_points[0]);
      in.as<std::int8_t>()[k] = static_cast<std::int8_t>(std::clamp(v, -128.0f, 127.0f));
    }
  } else {
    std::memcpy(in.data, input.data(), n * sizeof(float));
  }
  EXPECT_EQ(model.run(), engine::Status::ok);
  std::vector<std::vector<float>> outputs;
  for (int o = 0; o < model.num_outputs(); ++o) {
    const engine::TensorRef& out = model.output(o);
    std::vector<float>& y =
        outputs.emplace_back(static_cast<std::size_t>(core::num_elements(out.shape())));
    for (std::size_t k = 0; k < y.size(); ++k) {
      if (out.tensor->dtype == core::DType::int8) {
        const core::Quantization& q = out.tensor->quantization;
        y[k] =
            (static_cast<float>(out.as<std::int8_t>()[k]) - static_cast<float>(q.zero_points[0])) *
            q.scales[0];
      } else {
        y[k] = out.as<float>()[k];
      }
    }
  }
  return outputs;
}

inline double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ab += static_cast<double>(a[k]) * b[k];
    aa += static_cast<double>(a[k]) * a[k];
    bb += static_cast<double>(b[k]) * b[k];
  }
  return ab / std::sqrt(aa * bb);
}

inline core::Graph standardize_convolutions(core::Graph g,
                                            const std::vector<std::vector<float>>& samples,
                                            const std::function<double(const core::Node&)>& beta) {
  core::Graph batched = g;
  batched.tensor(batched.inputs[0]).shape[0] = static_cast<std::int64_t>(samples.size());
  for (core::Node& node : batched.nodes) {
    if (node.op == core::OpType::reshape && !node.attrs.new_shape.empty() &&
        node.attrs.new_shape[0] == 1) {
      node.attrs.new_shape[0] = static_cast<std::int64_t>(samples.size());  // keep the batch
    }
    const core::Shape shape = core::op_info(node.op).infer_shape(batched, node);
    for (int id : node.outputs) batched.tensor(id).shape = shape;
  }
  struct Stat {
    std::vector<double> mean, inv_std;
    double beta = 0;
  };
  std::vector<Stat> stats(g.nodes.size());
  for (std::size_t n = 0; n < g.nodes.size(); ++n) stats[n].beta = beta(g.nodes[n]);
  engine::CompiledModel model;
  char error[256] = "";
  EXPECT_EQ(model.compile(batched, {}, error, sizeof error), engine::Status::ok) << error;
  auto* in = model.input(0).as<float>();
  for (const std::vector<float>& x : samples) in = std::copy(x.begin(), x.end(), in);
  struct Probe {
    const engine::CompiledModel* model;
    std::vector<Stat>* stats;
  } probe{&model, &stats};
  model.run(
      [](void* user, int at) {
        auto* p = static_cast<Probe*>(user);
        const core::Node& node = p->model->graph().nodes[static_cast<std::size_t>(at)];
        // Convolutions with a bias of their own or from BatchNorm; not the zero bias that
        // lowering gives the others (core::add_conv_bias).
        if (node.op != core::OpType::conv2d || node.inputs.size() < 3) return;
        const std::string& bias = p->model->graph().tensor(node.inputs[2]).name;
        if (bias.size() >= 10 && bias.compare(bias.size() - 10, 10, ".zero_bias") == 0) return;
        const engine::TensorRef& t = p->model->tensor(node.outputs[0]);
        const auto c = static_cast<std::size_t>(t.shape().back());
        const auto total = static_cast<std::size_t>(core::num_elements(t.shape()));
        const double count = static_cast<double>(total / c);
        Stat& s = (*p->stats)[static_cast<std::size_t>(at)];
        s.mean.assign(c, 0.0);
        std::vector<double> sq(c, 0.0);
        for (std::size_t k = 0; k < total; ++k) {
          const double v = t.as<float>()[k];
          s.mean[k % c] += v;
          sq[k % c] += v * v;
        }
        s.inv_std.resize(c);
        for (std::size_t ch = 0; ch < c; ++ch) {
          s.mean[ch] /= count;
          s.inv_std[ch] =
              1.0 / std::sqrt(std::max(sq[ch] / count - s.mean[ch] * s.mean[ch], 1e-12));
        }
        for (std::size_t k = 0; k < total; ++k) {
          float& v = t.as<float>()[k];
          v = static_cast<float>((v - s.mean[k % c]) * s.inv_std[k % c] + s.beta);
        }
      },
      &probe);
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    const Stat& s = stats[n];
    if (s.mean.empty()) continue;
    const core::Node& node = g.nodes[n];
    auto w = g.tensor(node.inputs[1]).mutable_values<float>();
    auto b = g.tensor(node.inputs[2]).mutable_values<float>();
    const std::size_t per_channel = w.size() / s.mean.size();
    for (std::size_t c = 0; c < s.mean.size(); ++c) {
      for (std::size_t k = 0; k < per_channel; ++k)
        w[c * per_channel + k] = static_cast<float>(w[c * per_channel + k] * s.inv_std[c]);
      b[c] = static_cast<float>((b[c] - s.mean[c]) * s.inv_std[c] + s.beta);
    }
  }
  return g;
}

// The BatchNorm mean given to a YOLO's convolutions (tests/nets/yolo_test.cpp explains why
// 1.5): 0 for the head's last 1×1 convolutions (no BatchNorm there; the raw outputs stay
// zero-mean, so no constant part flatters their cosine), 1.5 everywhere else.
inline double yolo_batchnorm_beta(const core::Node& node) {
  const std::string& name = node.name;
  const bool head_output = name.rfind("head.cv", 0) == 0 && name.size() > 2 &&
                           name.compare(name.size() - 2, 2, ".2") == 0;
  return head_output ? 0.0 : 1.5;
}

}  // namespace tinyscale::testing_support
