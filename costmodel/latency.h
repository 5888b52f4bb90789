// Latency estimate of an int8 deployment on a microcontroller core, from per-core
// cycles-per-MAC figures by op kind. These are ESTIMATES (stated as such wherever they are
// printed) taken from published CMSIS-NN / ESP-NN class kernel throughput, until the
// engine measures them on the targets (qemu cycle counts or real boards).
//
//   latency_ms = Σ_layers cycles(layer) / (mhz · 1000)
//   cycles(conv2d, groups == 1)  = MACs · conv
//   cycles(conv2d, depthwise)    = MACs · depthwise
//   cycles(fully_connected)      = MACs · fully_connected
//   cycles(elementwise / pool / activation) = output elements · elementwise
//
// The sums per kind are a ComputeBreakdown of the deployed graph; costmodel::analyze puts
// one in every CostReport, so the estimate of a costed network is one dot product (the
// solver constrains this very figure when given a latency target).
//
// Usage:
//   double ms = costmodel::estimate_latency_ms(graph, "cortex-m7", 480.0);
//   double same = costmodel::estimate_latency_ms(costmodel::analyze(graph).compute,
//                                                "cortex-m7", 480.0);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.h"

namespace tinyscale::costmodel {

struct CycleCosts {
  const char* core;
  double conv;             // cycles per MAC, standard and pointwise convolution
  double depthwise;        // cycles per MAC, depthwise convolution
  double fully_connected;  // cycles per MAC
  double elementwise;      // cycles per output element of any other op
};

// The table, one row per known core.
const std::vector<CycleCosts>& cycle_costs_table();
// Throws tinyscale::Error "unknown core 'x'; known cores: ..." when absent.
const CycleCosts& cycle_costs(std::string_view core);

// The work of a deployed (lowered) graph by the kinds the table prices differently.
struct ComputeBreakdown {
  std::int64_t conv_macs = 0;       // conv2d, groups == 1 or grouped but not depthwise
  std::int64_t depthwise_macs = 0;  // conv2d, one input channel per output channel
  std::int64_t fully_connected_macs = 0;
  std::int64_t elementwise_elements = 0;  // output elements of every other op
};
ComputeBreakdown compute_breakdown(const core::Graph& deployed);

// Estimated time of one inference of `graph` (a float graph is lowered first).
double estimate_latency_ms(const core::Graph& graph, std::string_view core, double mhz);
// The same from the breakdown of the deployed graph (CostReport::compute). Both throw
// tinyscale::Error for an unknown core or a clock that is not a positive number.
double estimate_latency_ms(const ComputeBreakdown& compute, std::string_view core, double mhz);

}  // namespace tinyscale::costmodel
