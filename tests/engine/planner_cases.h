// Buffer sets shaped like neural-network graphs, shared by the planner's tests and its
// benchmark so both measure the same families. Deterministic for a given std::mt19937 seed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/memory_planner.h"

namespace tinyscale::engine::planner_cases {

// Random numbers from the raw engine only: std::uniform_*_distribution differ between
// standard libraries, and the measured rates below should not.
inline int random_below(std::mt19937& rng, int bound) { return int(rng() % std::uint32_t(bound)); }

// A chain of nodes, each producing one buffer read by the next node; 15% of the outputs are
// also read 2-5 nodes later (residual adds) and 5% much later (long skips). Sizes are
// uniform in 1..100000, so neighbouring buffers differ far more than in a real network.
inline std::vector<PlannerBuffer> random_chain_with_skips(std::mt19937& rng, int node_count) {
  std::vector<PlannerBuffer> buffers;
  for (int node = 0; node < node_count; ++node) {
    PlannerBuffer output{1 + random_below(rng, 100000), node, node + 1};
    const int kind = random_below(rng, 100);
    if (kind < 15) {
      output.last_use = std::min(node_count, node + 2 + random_below(rng, 4));
    } else if (kind < 20) {
      output.last_use = std::min(node_count, node + 2 + random_below(rng, node_count - node));
    }
    buffers.push_back(output);
  }
  return buffers;
}

// The int8 activations of a MobileNet-like network on a 96x96 input: inverted residual
// blocks (1x1 expand, depthwise, squeeze-excite on half of them, 1x1 project, residual add
// when the shape is kept), stride-2 blocks that halve the resolution, and ~10% of the block
// outputs broadcast to the head (live to the end). One node per step. Stops after
// `max_blocks` blocks or once about `max_buffers` buffers exist, whichever comes first.
inline std::vector<PlannerBuffer> inverted_residual_network(std::mt19937& rng, int max_blocks,
                                                            int max_buffers = 1 << 30) {
  std::vector<PlannerBuffer> buffers;
  int step = 0;
  const auto produce = [&](std::int64_t size) {
    buffers.push_back({size, step, step});
    ++step;
    return buffers.size() - 1;
  };
  const auto read = [&](std::size_t buffer) {
    buffers[buffer].last_use = std::max(buffers[buffer].last_use, step);
  };
  std::int64_t pixels = 96 * 96;
  std::int64_t channels = 16;
  std::size_t block_input = produce(pixels * 3);
  read(block_input);
  block_input = produce(pixels * channels);
  std::vector<std::size_t> broadcast;
  for (int block = 0; block < max_blocks && static_cast<int>(buffers.size()) < max_buffers - 1;
       ++block) {
    const bool downsample = random_below(rng, 4) == 0 && pixels > 16;
    const std::int64_t expanded = channels * (2 + random_below(rng, 5));
    const std::int64_t out_pixels = downsample ? pixels / 4 : pixels;
    const std::int64_t out_channels = downsample ? channels * 2 : channels;
    read(block_input);
    const std::size_t expand = produce(pixels * expanded);
    read(expand);
    std::size_t activation = produce(out_pixels * expanded);
    if (random_below(rng, 2) == 0) {
      read(activation);
      const std::size_t pooled = produce(expanded);
      read(pooled);
      const std::size_t squeezed = produce(expanded / 4);
      read(squeezed);
      const std::size_t scale = produce(expanded);
      read(scale);
      read(activation);
      activation = produce(out_pixels * expanded);
    }
    read(activation);
    std::size_t output = produce(out_pixels * out_channels);
    if (!downsample) {
      read(block_input);
      read(output);
      output = produce(out_pixels * out_channels);
    }
    if (random_below(rng, 10) == 0) broadcast.push_back(output);
    block_input = output;
    pixels = out_pixels;
    channels = out_channels;
  }
  for (std::size_t skip : broadcast) read(skip);
  read(block_input);
  produce(channels);
  return buffers;
}

}  // namespace tinyscale::engine::planner_cases
