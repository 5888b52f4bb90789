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
// Usage:
//   double ms = costmodel::estimate_latency_ms(deployed_graph, "cortex-m7", 480.0);
//   std::int64_t macs = costmodel::mac_budget_for_latency(50.0, "cortex-m7", 480.0);
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

// Estimated time of one inference of `graph` (a float graph is lowered first).
double estimate_latency_ms(const core::Graph& graph, std::string_view core, double mhz);
// The MACs that fit in `latency_ms` at the core's convolution rate: the budget a latency
// target becomes.
std::int64_t mac_budget_for_latency(double latency_ms, std::string_view core, double mhz);

}  // namespace tinyscale::costmodel
