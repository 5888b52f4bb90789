#include "nets/phinet.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "blocks/phinet_blocks.h"
#include "core/error.h"
#include "nets/config_checks.h"

namespace tinyscale::nets {
namespace {

void check_config(const PhiNetConfig& c) {
  check_input_limits("phinet", c.input);
  require_above("phinet", "--alpha", c.alpha, 0.0);
  require_above("phinet", "--beta", c.beta, 0.0);
  require_above("phinet", "--t0", c.t_zero, 0.0);
  require_at_least("phinet", "--num-layers", c.num_layers, 1);
  require_at_most("phinet", "--num-layers", c.num_layers, kMaxNumLayers, "layers");
  require_at_least("phinet", "--num-classes", c.num_classes, 1);
  require_at_most("phinet", "--num-classes", c.num_classes, kMaxNumClasses, "classes");
  require_at_least("phinet", "--divisor", c.divisor, 1);
  require_at_most("phinet", "--divisor", c.divisor, kMaxChannels, "channels");
  require_at_least("phinet", "--first-conv-stride", c.first_conv_stride, 1);
  if (!(c.conv5_percent >= 0.0 && c.conv5_percent <= 1.0)) {
    throw Error("phinet: --conv5-percent " + number_text(c.conv5_percent) +
                " must be within [0, 1]");
  }
}

// The options a PhiNet's size follows, for the limit messages.
std::string size_options(const PhiNetConfig& c) {
  std::string s = "--input " + std::to_string(c.input[0]) + "x" + std::to_string(c.input[1]) +
                  "x" + std::to_string(c.input[2]) + " --alpha " + number_text(c.alpha) +
                  " --beta " + number_text(c.beta) + " --t0 " + number_text(c.t_zero) +
                  " --num-layers " + std::to_string(c.num_layers);
  if (c.include_top) s += " --num-classes " + std::to_string(c.num_classes);
  if (c.divisor != 1) s += " --divisor " + std::to_string(c.divisor);
  return s;
}

core::Graph build_graph(const PhiNetConfig& config, const blocks::BuilderOptions& options) {
  const bool h_swish = config.h_swish && !config.compatibility;
  const bool squeeze_excite = config.squeeze_excite && !config.compatibility;
  const blocks::Activation act =
      h_swish ? blocks::Activation::hard_swish : blocks::Activation::relu6;
  const int divisor = config.divisor;
  const int N = config.num_layers;
  const double alpha = config.alpha;
  // micromind: int(filters * alpha) truncates before _make_divisible. Every count is checked
  // against the channel limit before its layer is added.
  // The texts of the limit messages are built only for a message (channel_count_lazy).
  const auto alpha_text = [&] { return "--alpha " + number_text(alpha); };
  auto width = [&](double filters, const auto& where) {
    const std::int64_t w = blocks::make_divisible(
        channel_count_lazy("phinet", where, filters * alpha, alpha_text), divisor);
    return channel_count_lazy("phinet", where, static_cast<double>(w), [&] {
      return alpha_text() + " --divisor " + std::to_string(divisor);
    });
  };
  const auto text = [](const char* t) { return [t] { return std::string(t); }; };
  const auto block_text = [](int block_id) {
    return [block_id] { return "block " + std::to_string(block_id); };
  };
  constexpr int kFirstConvFilters = 48, kB1Filters = 24, kB2Filters = 48;

  core::Graph graph;
  blocks::Builder b(graph, options);
  int x = b.input("input", config.input[0], config.input[1], config.input[2]);
  const std::int64_t res = std::max(config.input[1], config.input[2]);
  int layer = 0;
  auto next = [&] { return "_layers." + std::to_string(layer++); };

  blocks::PhiNetBlockSpec spec;
  spec.residuals = config.residuals;
  spec.act = act;
  spec.divisor = divisor;

  if (!config.conv2d_input) {
    x = b.zero_pad(next(), x, blocks::correct_pad(res, 3));
    x = blocks::separable_conv(b, next(), x, width(kFirstConvFilters, text("the stem")),
                               config.first_conv_stride, act);
    spec.expand = false;
    spec.expansion = 1.0;
    spec.stride = 1;
    spec.filters = width(kB1Filters, text("the stem"));
    spec.squeeze_excite = false;
    x = blocks::phinet_conv_block(b, next(), x, spec);
  } else {
    // micromind's conv2d_input stem: 3×3 valid conv to int(24·α), activation, then a
    // BatchNorm with PyTorch's default eps.
    const std::int64_t filters =
        channel_count_lazy("phinet", text("the stem"), kB1Filters * alpha, alpha_text);
    x = b.conv2d(next(), x, {.out_channels = filters, .kernel = 3});
    x = b.activation(next(), x, act);
    x = b.batch_norm(next(), x, 1e-5f);
  }

  spec.expand = true;
  spec.squeeze_excite = squeeze_excite;
  auto block = [&](int block_id, std::int64_t filters, int stride, int kernel) {
    spec.expansion = blocks::expansion_factor(config.t_zero, config.beta, block_id, N);
    // The expanded width phinet_conv_block will compute, checked first.
    const auto shape_options = [&] {
      return "--t0 " + number_text(config.t_zero) + " --beta " + number_text(config.beta) + " " +
             alpha_text() + (divisor != 1 ? " --divisor " + std::to_string(divisor) : "");
    };
    const auto where = [&] { return "block " + std::to_string(block_id) + " (expansion)"; };
    channel_count_lazy("phinet", where,
                       static_cast<double>(blocks::make_divisible(
                           channel_count_lazy("phinet", where,
                                              spec.expansion * static_cast<double>(b.channels(x)),
                                              shape_options),
                           divisor)),
                       shape_options);
    spec.filters = filters;
    spec.stride = stride;
    spec.kernel = kernel;
    x = blocks::phinet_conv_block(b, next(), x, spec);
  };
  auto max_pool = [&] { x = b.max_pool(next(), x, 2, 2); };

  block(1, width(kB1Filters, block_text(1)), config.pool ? 1 : 2, 3);
  if (config.pool) max_pool();
  block(2, width(kB1Filters, block_text(2)), 1, 3);
  block(3, width(kB2Filters, block_text(3)), config.pool ? 1 : 2, 3);
  if (config.pool) max_pool();

  double block_filters = kB2Filters;  // doubles at each downsampling block: exact in double
  for (int block_id = 4; block_id <= N; ++block_id) {
    const bool downsample =
        std::find(config.downsampling_layers.begin(), config.downsampling_layers.end(), block_id) !=
        config.downsampling_layers.end();
    if (downsample) {
      block_filters *= 2;
      if (config.pool) max_pool();
    }
    const int kernel = (static_cast<double>(block_id) / N) > (1.0 - config.conv5_percent) ? 5 : 3;
    block(block_id, width(block_filters, block_text(block_id)), downsample && !config.pool ? 2 : 1,
          kernel);
  }

  if (config.include_top) {
    x = b.global_avg_pool("classifier.0", x);
    x = b.flatten("classifier.1", x);
    x = b.fully_connected("classifier.2", x, config.num_classes, true);
  }
  graph.mark_output(x);
  return graph;
}

}  // namespace

core::Graph build_phinet(const PhiNetConfig& config, const blocks::BuilderOptions& options) {
  check_config(config);
  // A shape-only graph is cheap once every width is checked; its totals are checked before
  // anything allocates weights.
  core::Graph shapes = build_graph(config, {});
  check_network_limits(shapes, "phinet",
                       std::function<std::string()>([&] { return size_options(config); }));
  if (!options.materialize_weights) return shapes;
  return build_graph(config, options);
}

}  // namespace tinyscale::nets
