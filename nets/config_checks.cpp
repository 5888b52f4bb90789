#include "nets/config_checks.h"

#include <limits>

#include "core/ops.h"

namespace tinyscale::nets {
namespace {

constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max();

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? kSaturated : sum;
}

// The elements of a shape, kSaturated when the product does not fit int64.
std::int64_t elements(const core::Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return kSaturated;
  }
  return n;
}

[[noreturn]] void exceeds(const char* family, const std::string& options, const std::string& what,
                          double value, std::int64_t limit, const char* unit) {
  throw Error(std::string(family) + ": " + what + " would have " + limit_text(value) + " " + unit +
              " (" + options + "); the limit is " + limit_text(static_cast<double>(limit)) +
              " (nets/config_checks.h)");
}

}  // namespace

std::string limit_text(double value) {
  if (!(value < 1e15) || value < 0) return number_text(value);
  const std::string digits = std::to_string(static_cast<std::int64_t>(value));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void require_at_most(const char* family, const char* option, std::int64_t value,
                     std::int64_t limit, const char* unit) {
  if (value <= limit) return;
  throw Error(std::string(family) + ": " + option + " " + std::to_string(value) +
              " exceeds the limit of " + limit_text(static_cast<double>(limit)) + " " + unit +
              " (nets/config_checks.h)");
}

void check_input_limits(const char* family, const std::array<std::int64_t, 3>& input) {
  require_input(family, input);
  const std::int64_t bytes = elements({input[0], input[1], input[2]});
  if (bytes > kMaxTensorBytes) {
    throw Error(std::string(family) + ": --input " + std::to_string(input[0]) + "x" +
                std::to_string(input[1]) + "x" + std::to_string(input[2]) + " is " +
                limit_text(static_cast<double>(bytes)) +
                " bytes as int8; a tensor may have at most " +
                limit_text(static_cast<double>(kMaxTensorBytes)) + " bytes (nets/config_checks.h)");
  }
}

std::int64_t channel_count(const char* family, const std::string& where, double value,
                           const std::string& options) {
  // NaN and infinity fail the comparison too.
  if (!(value <= static_cast<double>(kMaxChannels))) {
    exceeds(family, options, where, value, kMaxChannels, "channels");
  }
  return value < 0 ? 0 : static_cast<std::int64_t>(value);
}

void check_network_limits(const core::Graph& graph, const char* family,
                          const std::string& options) {
  check_network_limits(graph, family, std::function<std::string()>([&] { return options; }));
}

void check_network_limits(const core::Graph& graph, const char* family,
                          const std::function<std::string()>& options) {
  if (static_cast<std::int64_t>(graph.nodes.size()) > kMaxNodes) {
    exceeds(family, options(), "the graph", static_cast<double>(graph.nodes.size()), kMaxNodes,
            "nodes");
  }
  std::int64_t params = 0;
  for (const core::Tensor& t : graph.tensors) {
    const std::int64_t n = elements(t.shape);
    if (t.is_constant) {
      params = saturating_add(params, n);
    } else if (n > kMaxTensorBytes) {
      exceeds(family, options(), "tensor '" + t.name + "' (" + core::shape_string(t.shape) + ")",
              static_cast<double>(n), kMaxTensorBytes, "bytes");
    }
  }
  if (params > kMaxParameters) {
    exceeds(family, options(), "the network", static_cast<double>(params), kMaxParameters,
            "parameters");
  }
  // Every activation and weight is now bounded, so no single node's count overflows.
  std::int64_t macs = 0;
  for (const core::Node& node : graph.nodes) {
    macs = saturating_add(macs, core::op_info(node.op).macs(graph, node));
  }
  if (macs > kMaxMacs) {
    exceeds(family, options(), "the network", static_cast<double>(macs), kMaxMacs, "MACs");
  }
}

}  // namespace tinyscale::nets
