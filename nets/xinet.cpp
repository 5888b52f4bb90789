#include "nets/xinet.h"

#include <cmath>
#include <string>
#include <vector>

#include "blocks/xinet_blocks.h"
#include "core/error.h"
#include "nets/config_checks.h"

namespace tinyscale::nets {
namespace {

void check_config(const XiNetConfig& c) {
  check_input_limits("xinet", c.input);
  require_above("xinet", "--alpha", c.alpha, 0.0);
  require_above("xinet", "--beta", c.beta, 0.0);
  require_above("xinet", "--gamma", c.gamma, 1.0, /*inclusive=*/true);
  if (!(c.gamma <= static_cast<double>(kMaxChannels))) {  // truncated to int below
    throw Error("xinet: --gamma " + number_text(c.gamma) + " exceeds the limit of " +
                limit_text(static_cast<double>(kMaxChannels)) + " (nets/config_checks.h)");
  }
  require_at_least("xinet", "--num-layers", c.num_layers, 3);
  require_at_most("xinet", "--num-layers", c.num_layers, kMaxNumLayers, "layers");
  require_at_least("xinet", "--num-classes", c.num_classes, 1);
  require_at_most("xinet", "--num-classes", c.num_classes, kMaxNumClasses, "classes");
  require_at_least("xinet", "--base-filters", c.base_filters, 1);
}

// The options an XiNet's size follows, for the limit messages.
std::string size_options(const XiNetConfig& c) {
  std::string s = "--input " + std::to_string(c.input[0]) + "x" + std::to_string(c.input[1]) +
                  "x" + std::to_string(c.input[2]) + " --alpha " + number_text(c.alpha) +
                  " --beta " + number_text(c.beta) + " --gamma " + number_text(c.gamma) +
                  " --num-layers " + std::to_string(c.num_layers);
  if (c.include_top) s += " --num-classes " + std::to_string(c.num_classes);
  if (c.base_filters != 16) s += " --base-filters " + std::to_string(c.base_filters);
  return s;
}

core::Graph build_graph(const XiNetConfig& config, const blocks::BuilderOptions& options) {
  const int L = config.num_layers;
  const double alpha = config.alpha;
  const int gamma = static_cast<int>(config.gamma);
  const std::string base_option = "--base-filters " + std::to_string(config.base_filters) +
                                  " --alpha " + number_text(alpha);

  // micromind sizes the stem as int(base_filters·α) and every skip projection's input as
  // int(2·base_filters·α); both must match the blocks they feed, or micromind's own
  // network fails at the first block or the first skip. Counts are computed in double and
  // checked against the channel limit before they become integers.
  const std::int64_t stem_width =
      channel_count("xinet", "the stem", config.base_filters * alpha, base_option);
  const std::int64_t skip_channels =
      channel_count("xinet", "the broadcast skip", 2.0 * config.base_filters * alpha, base_option);
  // micromind: num_filters[i] = int(2 ** (base_filters ** 0.5 + i)); widths are
  // int(num_filters[i] * alpha), here times the β ramp (exactly 1.0 when β = 1).
  const std::string width_options = base_option + " --beta " + number_text(config.beta) +
                                    " --num-layers " + std::to_string(L);
  std::vector<double> num_filters(static_cast<std::size_t>(L));
  std::vector<std::int64_t> width(static_cast<std::size_t>(L));
  for (int i = 0; i < L; ++i) {
    const auto k = static_cast<std::size_t>(i);
    num_filters[k] =
        std::floor(std::pow(2.0, std::pow(static_cast<double>(config.base_filters), 0.5) + i));
    const double ramp = 1.0 + (config.beta - 1.0) * i / L;
    width[k] = channel_count("xinet", "stage " + std::to_string(i), num_filters[k] * alpha * ramp,
                             width_options);
  }
  const auto micromind_width = [&](std::size_t i) {
    return channel_count("xinet", "stage " + std::to_string(i), num_filters[i] * alpha,
                         width_options);
  };
  if (stem_width != micromind_width(0) || skip_channels != micromind_width(1)) {
    throw Error("xinet: --base-filters " + std::to_string(config.base_filters) + " gives a " +
                std::to_string(stem_width) + "-channel stem and " + std::to_string(skip_channels) +
                " skip channels, but micromind's blocks start at " +
                std::to_string(micromind_width(0)) + " and " + std::to_string(micromind_width(1)) +
                " (XiNet needs 2^sqrt(base_filters) == base_filters, e.g. 16)");
  }

  core::Graph graph;
  blocks::Builder b(graph, options);
  int x = b.input("input", config.input[0], config.input[1], config.input[2]);
  x = b.conv2d("conv1.0", x,
               {.out_channels = stem_width, .kernel = 7, .stride = 2, .pad = {3, 3, 3, 3}});
  x = b.batch_norm("conv1.1", x, blocks::kXiNetBatchNormEpsilon);
  x = b.activation("conv1.2", x, blocks::Activation::silu);

  int downsample_count = 1;
  int skip = -1;
  int layer = 0;
  auto xi = [&](std::int64_t out_channels, bool pool, bool attention, int compression) {
    blocks::XiConvSpec spec;
    spec.out_channels = out_channels;
    spec.compression = compression;
    spec.attention = attention;
    spec.pool = pool;
    spec.skip = layer != 0;
    // micromind: skip_res = input_shape[1:] / 2**count_downsample, truncated by int().
    // (A shift of 63 or more would be undefined; the map is long gone by then.)
    spec.skip_h = downsample_count < 63 ? config.input[1] >> downsample_count : 0;
    spec.skip_w = downsample_count < 63 ? config.input[2] >> downsample_count : 0;
    x = blocks::xi_conv(b, "_layers." + std::to_string(layer), x, skip, spec);
    if (layer == 0) skip = x;
    ++layer;
  };
  for (int i = 0; i < L - 2; ++i) {
    xi(width[static_cast<std::size_t>(i + 1)], true, true, gamma);
    ++downsample_count;
    xi(width[static_cast<std::size_t>(i + 1)], false, true, gamma);
  }
  // The last two blocks: no attention and micromind's default compression 4, whatever gamma.
  xi(width[static_cast<std::size_t>(L - 1)], false, false, 4);
  xi(width[static_cast<std::size_t>(L - 1)], false, false, 4);

  if (config.include_top) {
    x = b.global_avg_pool("classifier.0", x);
    x = b.flatten("classifier.1", x);
    x = b.fully_connected("classifier.2", x, config.num_classes, true);
  }
  graph.mark_output(x);
  return graph;
}

}  // namespace

core::Graph build_xinet(const XiNetConfig& config, const blocks::BuilderOptions& options) {
  check_config(config);
  // A shape-only graph is cheap once every width is checked; its totals are checked before
  // anything allocates weights.
  core::Graph shapes = build_graph(config, {});
  check_network_limits(shapes, "xinet", size_options(config));
  if (!options.materialize_weights) return shapes;
  return build_graph(config, options);
}

}  // namespace tinyscale::nets
