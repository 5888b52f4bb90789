// Checks of network hyperparameters shared by the builders, and the limits on the size of a
// network tinyscale agrees to build. Each check throws tinyscale::Error "<family>: --<option>
// <value> must be ..." so the CLI's one error line names the option as the user spelled it.
//
// The limits are stated here and nowhere else. They are generous for any network that could
// run on a microcontroller (the largest network in the solver's search space has about 25,000
// channels in one layer and a few million parameters), and they keep an absurd request
// (`--num-classes 2000000000`, `--alpha 1e9`, `--num-layers 100000`) from being built at all:
// the builders compute every channel count before adding a layer, and a shape-only graph
// (no weight data) is checked against the totals before anything costs or materializes it.
//
// Usage (inside a builder):
//   require_at_most("phinet", "--num-classes", c.num_classes, kMaxNumClasses, "classes");
//   const std::int64_t w = channel_count("phinet", "layer '_layers.3'", 48 * c.alpha,
//                                        "--alpha " + number_text(c.alpha));
//   ...build the shape-only graph...
//   check_network_limits(graph, "phinet", "--input 3x96x96, --alpha 0.25, ...");
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "core/error.h"
#include "core/graph.h"

namespace tinyscale::nets {

// Channels (or classes, or features) of any one layer.
inline constexpr std::int64_t kMaxChannels = std::int64_t{1} << 20;  // 1,048,576
// Classes of a classifier head (--num-classes) or a detection head (--classes).
inline constexpr std::int64_t kMaxNumClasses = 1'000'000;
// Depth (--num-layers) of PhiNet and XiNet.
inline constexpr int kMaxNumLayers = 100;
// Parameters of the whole network (every constant's elements, as float before deployment).
inline constexpr std::int64_t kMaxParameters = std::int64_t{1} << 31;  // 2,147,483,648
// Bytes of any one activation tensor as deployed (int8: one byte per element); the input too.
inline constexpr std::int64_t kMaxTensorBytes = std::int64_t{1} << 31;
// Multiply-accumulates of one inference (conv + fully-connected).
inline constexpr std::int64_t kMaxMacs = 1'000'000'000'000;  // 10^12
// Nodes of the whole graph.
inline constexpr std::int64_t kMaxNodes = 100'000;

inline void require_input(const char* family, const std::array<std::int64_t, 3>& input) {
  for (std::int64_t d : input) {
    if (d < 1)
      throw Error(std::string(family) + ": --input must be three positive sizes C x H x W");
  }
}

inline void require_above(const char* family, const char* option, double value, double bound,
                          bool inclusive = false) {
  const bool ok = std::isfinite(value) && (inclusive ? value >= bound : value > bound);
  if (!ok) {
    throw Error(std::string(family) + ": " + option + " " + number_text(value) + " must be " +
                (inclusive ? "≥ " : "> ") + number_text(bound));
  }
}

inline void require_at_least(const char* family, const char* option, int value, int minimum) {
  if (value < minimum) {
    throw Error(std::string(family) + ": " + option + " " + std::to_string(value) + " must be ≥ " +
                std::to_string(minimum));
  }
}

// "<family>: <option> <value> exceeds the limit of <limit> <unit> (nets/config_checks.h)".
void require_at_most(const char* family, const char* option, std::int64_t value,
                     std::int64_t limit, const char* unit);

// The input C x H x W: positive, and at most kMaxTensorBytes elements.
void check_input_limits(const char* family, const std::array<std::int64_t, 3>& input);

// Python's int(value) for a channel count computed in floating point, refused unless it is
// finite and at most kMaxChannels: "<family>: <where> would have <value> channels
// (<options>); the limit is 1,048,576 (nets/config_checks.h)". `options` names the options
// the count comes from with their values ("--alpha 1e+09").
std::int64_t channel_count(const char* family, const std::string& where, double value,
                           const std::string& options);

// channel_count with `where` and `options` given as callables returning the texts, called
// only to refuse the count: for a builder that runs many times (the solver's), where building
// the texts costs more than the counts. The same counts, the same message.
template <typename Where, typename Options>
std::int64_t channel_count_lazy(const char* family, const Where& where, double value,
                                const Options& options) {
  if (!(value <= static_cast<double>(kMaxChannels))) {
    return channel_count(family, where(), value, options());  // throws
  }
  return channel_count(family, std::string(), value, std::string());
}

// A shape-only (or any) graph against the totals above: nodes, every tensor's int8 bytes,
// parameters, MACs. The message names the family, the options the network was built from
// (`options`, e.g. "--input 3x96x96 --alpha 0.25 --beta 1 --t0 6 --num-layers 7") and the
// limit; sums saturate instead of overflowing.
void check_network_limits(const core::Graph& graph, const char* family,
                          const std::string& options);
// The same, with `options` built only for the message.
void check_network_limits(const core::Graph& graph, const char* family,
                          const std::function<std::string()>& options);

// 1234567 -> "1,234,567"; values beyond 10^15 as "%g" ("4.8e+16").
std::string limit_text(double value);

}  // namespace tinyscale::nets
