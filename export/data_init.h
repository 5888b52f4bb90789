// Data-dependent initialization of an untrained float network (LSUV-style BatchNorm init),
// so that an exported network's outputs depend on its input before any training.
//
// Why: with PyTorch's default initialization (kaiming_uniform_ with a = sqrt(5), BatchNorm
// at identity) every convolution shrinks its input's variance, and after the ~30-100 layers
// of a PhiNet, XiNet, YOLO or tinyCLAP encoder the activations are ~1e-8: every output is
// the same for every input, in float as in int8.
//
// What data_dependent_init does, on the calibration inputs the quantizer calibrates on:
//   1. BatchNorm: every batch_norm node is given the population statistics of its input
//      channel over the samples (all samples × positions): running_mean = mean, running_var
//      = variance, beta = 0, and gamma = sqrt(var + eps) / sqrt(var), so that its output is
//      exactly zero-mean and unit-variance with the node's own eps (micromind's 1e-3 for
//      PhiNet, 1e-5 for XiNet) kept as it is. A channel that is constant over the samples
//      (variance <= 1e-24) gets mean = its value, var = 1, gamma = 1: output 0.
//      The nodes are set in topological order within one batched pass: each BatchNorm output
//      is rewritten in place as soon as it is computed, so every later BatchNorm sees the
//      already-normalized upstream.
//   2. Output layers: a conv2d / fully_connected without a BatchNorm after it whose output
//      reaches a graph output only through ops that commute with a positive per-channel
//      affine map (reshape keeping the last axis, global/unpadded average pooling, max
//      pooling, nearest resize, channel concatenation), each tensor on the way read once,
//      has its weights and bias scaled so every channel of that graph output has standard
//      deviation 1 over the samples and mean 0 (a layer without bias: root mean square 1),
//      except a layer whose biases the builder set to one value, a prior: its channels keep
//      that value as their mean (YOLOv8's class bias log(5 / classes / cells), so an
//      untrained detector proposes few boxes, as Ultralytics' Detect.bias_init intends).
//      The classifier's Linear, YOLO's last head convolutions and tinyCLAP's pn_block are
//      such layers.
// The float activations come from the engine's float reference kernels, on the graph as the
// quantizer lowers it (core::lower_for_deployment), with every BatchNorm output kept apart
// from a following activation; a BatchNorm the lowering cannot fold into a convolution runs
// as a depthwise 1×1 convolution in that private copy. Samples form one batch: the first
// `max_samples` of them, fewer if the batched activations would exceed `max_batch_bytes`.
// The last sample of the batch is then run alone through the initialized graph and must give
// what the batched pass gave (an op pinned to batch 1 would mix the samples up silently).
//
// Usage:
//   core::Graph g = nets::build_phinet(config, {.materialize_weights = true});
//   const auto calib = exporter::synthetic_calibration(g, 32, 1);
//   const exporter::DataInitReport r = exporter::data_dependent_init(g, calib);
//   core::Graph q = exporter::quantize(g, calib, {});   // ONNX and TFLite share the weights
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyscale::exporter {

struct DataInitOptions {
  int max_samples = 32;
  std::int64_t max_batch_bytes = std::int64_t{512} << 20;  // engine arena of the batched pass
};

struct DataInitReport {
  int samples = 0;            // samples in the batch
  int batch_norms = 0;        // BatchNorm nodes set from the samples
  int output_layers = 0;      // conv2d / fully_connected layers scaled for a graph output
  int constant_channels = 0;  // BatchNorm or output channels constant over the samples
  // One line for a report: "data-dependent (BatchNorm statistics of 32 samples: 45
  // BatchNorms, 1 output layer scaled)".
  std::string summary() const;
};

// Rewrites `graph`'s BatchNorm parameters and output layers in place (see above). Throws
// tinyscale::Error naming the node or sample: a graph without exactly one input, weights
// without data, samples of the wrong size or with non-finite values, a graph the float
// kernels cannot run.
DataInitReport data_dependent_init(core::Graph& graph, std::span<const std::vector<float>> samples,
                                   const DataInitOptions& options = {});

}  // namespace tinyscale::exporter
