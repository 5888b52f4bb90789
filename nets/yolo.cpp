#include "nets/yolo.h"

#include <cmath>
#include <optional>
#include <string>

#include "blocks/yolo_blocks.h"
#include "core/error.h"
#include "nets/config_checks.h"

namespace tinyscale::nets {
namespace {

void check_config(const YoloConfig& c) {
  check_input_limits("yolo", c.input);
  if (c.input[1] % 32 != 0 || c.input[2] % 32 != 0) {
    throw Error("yolo: --input " + std::to_string(c.input[0]) + "x" + std::to_string(c.input[1]) +
                "x" + std::to_string(c.input[2]) +
                ": height and width must be multiples of 32 (the stride-8, 16 and 32 feature "
                "maps must halve exactly for the neck's x2 upsampling)");
  }
  if (!c.heads[0] && !c.heads[1] && !c.heads[2]) {
    throw Error("yolo: --heads enables no detection head; enable at least one of 8, 16, 32");
  }
  require_at_least("yolo", "--classes", c.num_classes, 1);
  require_at_most("yolo", "--classes", c.num_classes, kMaxNumClasses, "classes");
  require_at_least("yolo", "--reg-max", c.reg_max, 1);
  require_at_most("yolo", "--reg-max", c.reg_max, kMaxChannels / 4, "bins");
  require_above("yolo", "--depth-multiple", c.depth_multiple, 0.0, /*inclusive=*/true);
  // round(3·d) bottlenecks per C2f, counted in double before it becomes an int.
  if (!(3.0 * c.depth_multiple <= kMaxNumLayers)) {
    throw Error("yolo: --depth-multiple " + number_text(c.depth_multiple) +
                " would put more than " + std::to_string(kMaxNumLayers) +
                " bottlenecks in each C2f block; the limit is " + std::to_string(kMaxNumLayers) +
                " (nets/config_checks.h)");
  }
  if (!c.return_layers.empty() && c.return_layers.size() != 2) {
    throw Error("yolo: --return-layers needs 2 layers (the stride-8 and stride-16 features), got " +
                std::to_string(c.return_layers.size()));
  }
}

// The backbone layer index of a node named "_layers.<k>..." (-1 for other nodes).
int layer_index(const std::string& name) {
  const std::string prefix = "_layers.";
  if (name.rfind(prefix, 0) != 0) return -1;
  std::size_t end = prefix.size();
  while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
  if (end == prefix.size()) return -1;
  return std::stoi(name.substr(prefix.size(), end - prefix.size()));
}

struct Features {
  int p3 = -1, p4 = -1, p5 = -1;  // tensor ids at strides 8, 16, 32
};

// The stride-8/16/32 features of a backbone graph (its output is p5), as micromind's
// return_layers pick them: the output of layer k is its last node's output.
Features find_features(const core::Graph& g, const YoloConfig& c, const char* backbone) {
  Features f;
  f.p5 = g.outputs.at(0);
  const core::Shape& s5 = g.tensor(f.p5).shape;
  if (s5[1] * 32 != c.input[1] || s5[2] * 32 != c.input[2]) {
    throw Error(
        "yolo: the " + std::string(backbone) + " backbone ends at " +
        core::shape_string({s5[1], s5[2]}) + " for input " +
        core::shape_string({c.input[1], c.input[2]}) + ", not at stride 32; " +
        (c.backbone == YoloBackbone::xinet
             ? "XiNet needs --num-layers 6 or more"
             : "PhiNet needs stride-2 blocks that reach stride 32 (--downsampling-layers)"));
  }
  std::vector<int> layer_output;
  for (const core::Node& node : g.nodes) {
    const int k = layer_index(node.name);
    if (k < 0) continue;
    if (static_cast<int>(layer_output.size()) <= k) layer_output.resize(k + 1, -1);
    layer_output[static_cast<std::size_t>(k)] = node.outputs[0];
  }
  auto at_stride = [&](int factor) {  // factor = 32 / stride
    for (int k = static_cast<int>(layer_output.size()) - 1; k >= 0; --k) {
      const int id = layer_output[static_cast<std::size_t>(k)];
      if (id < 0) continue;
      const core::Shape& s = g.tensor(id).shape;
      if (s[1] == s5[1] * factor && s[2] == s5[2] * factor) return id;
    }
    throw Error("yolo: the " + std::string(backbone) + " backbone has no layer at stride " +
                std::to_string(32 / factor));
  };
  if (c.return_layers.empty()) {
    f.p3 = at_stride(4);
    f.p4 = at_stride(2);
    return f;
  }
  int* picked[2] = {&f.p3, &f.p4};
  for (std::size_t i = 0; i < 2; ++i) {
    const int k = c.return_layers[i];
    const std::int64_t factor = i == 0 ? 4 : 2;
    const bool exists = k >= 0 && k < static_cast<int>(layer_output.size()) &&
                        layer_output[static_cast<std::size_t>(k)] >= 0;
    const int id = exists ? layer_output[static_cast<std::size_t>(k)] : -1;
    if (id < 0 || g.tensor(id).shape[1] != s5[1] * factor ||
        g.tensor(id).shape[2] != s5[2] * factor) {
      throw Error(
          "yolo: --return-layers " + std::to_string(c.return_layers[0]) + "," +
          std::to_string(c.return_layers[1]) + ": layer " + std::to_string(k) + " " +
          (exists ? "is " + core::shape_string({g.tensor(id).shape[1], g.tensor(id).shape[2]})
                  : std::string("does not exist")) +
          ", but the neck needs the resolution to double from layer to layer (" +
          core::shape_string({s5[1] * factor, s5[2] * factor}) + " here, as micromind asserts)");
    }
    *picked[i] = id;
  }
  return f;
}

// micromind's state_dict prefix of the backbone module.
void prefix_backbone(core::Graph& g) {
  std::vector<char> is_input(g.tensors.size(), 0);
  for (int id : g.inputs) is_input[static_cast<std::size_t>(id)] = 1;
  for (std::size_t t = 0; t < g.tensors.size(); ++t) {
    if (!is_input[t]) g.tensors[t].name = "backbone." + g.tensors[t].name;
  }
  for (core::Node& node : g.nodes) node.name = "backbone." + node.name;
}

}  // namespace

PhiNetConfig yolo_phinet_backbone() {
  PhiNetConfig c;
  c.alpha = 2.3;
  c.beta = 0.75;
  c.t_zero = 5.0;
  c.num_layers = 7;
  c.divisor = 8;
  c.downsampling_layers = {5, 7};
  return c;
}

XiNetConfig yolo_xinet_backbone() {
  XiNetConfig c;
  c.num_layers = 6;
  return c;
}

const char* yolo_backbone_name(YoloBackbone backbone) {
  return backbone == YoloBackbone::phinet ? "phinet" : "xinet";
}
const char* yolo_neck_name(YoloNeck neck) { return neck == YoloNeck::c2f ? "c2f" : "xiconv"; }

namespace {

// The options a YOLO's size follows beyond its backbone's, for the limit messages.
std::string size_options(const YoloConfig& c) {
  const bool phinet = c.backbone == YoloBackbone::phinet;
  return "--input " + std::to_string(c.input[0]) + "x" + std::to_string(c.input[1]) + "x" +
         std::to_string(c.input[2]) + " --alpha " +
         number_text(phinet ? c.phinet.alpha : c.xinet.alpha) + " --beta " +
         number_text(phinet ? c.phinet.beta : c.xinet.beta) +
         (phinet ? " --t0 " + number_text(c.phinet.t_zero)
                 : " --gamma " + number_text(c.xinet.gamma)) +
         " --num-layers " + std::to_string(phinet ? c.phinet.num_layers : c.xinet.num_layers) +
         " --classes " + std::to_string(c.num_classes) + " --depth-multiple " +
         number_text(c.depth_multiple);
}

core::Graph build_graph(const YoloConfig& config, const blocks::BuilderOptions& options) {
  const char* backbone = yolo_backbone_name(config.backbone);
  core::Graph graph;
  if (config.backbone == YoloBackbone::phinet) {
    PhiNetConfig c = config.phinet;
    c.input = config.input;
    c.include_top = false;
    graph = build_phinet(c, options);
  } else {
    XiNetConfig c = config.xinet;
    c.input = config.input;
    c.include_top = false;
    graph = build_xinet(c, options);
  }
  const Features features = find_features(graph, config, backbone);
  graph.outputs.clear();
  prefix_backbone(graph);

  // A different seed, so the neck's weights do not repeat the backbone's stream.
  blocks::Builder b(graph, {options.materialize_weights, options.seed + 1});
  const std::int64_t c3 = b.channels(features.p3), c4 = b.channels(features.p4);
  const int p5 = blocks::sppf(b, "sppf", features.p5, b.channels(features.p5));
  const std::int64_t c5 = b.channels(p5);
  // Python's round(3 * d): half to even, as nearbyint in the default rounding mode.
  const int depth = static_cast<int>(std::nearbyint(3.0 * config.depth_multiple));
  const bool xi = config.neck == YoloNeck::xiconv;
  auto block = [&](const std::string& name, int x, std::int64_t out) {
    return xi ? blocks::yolo_xi_conv(b, name, x, out) : blocks::c2f(b, name, x, out, depth, false);
  };
  auto down = [&](const std::string& name, int x) {
    return xi ? blocks::yolo_xi_conv(b, name, x, b.channels(x), 2)
              : blocks::yolo_conv(b, name, x, b.channels(x), 3, 2);
  };

  int x = blocks::upsample_nearest(b, "neck.up1", p5);
  x = block("neck.n1", blocks::concat_channels(b, "neck.cat1", {x, features.p4}), c4);
  int h = blocks::upsample_nearest(b, "neck.up2", x);
  std::array<int, 3> levels = {-1, -1, -1};
  levels[0] = block("neck.n2", blocks::concat_channels(b, "neck.cat2", {h, features.p3}), c3);
  if (config.heads[1] || config.heads[2]) {
    h = down("neck.n3", levels[0]);
    levels[1] = block("neck.n4", blocks::concat_channels(b, "neck.cat3", {h, x}), c4);
  }
  if (config.heads[2]) {
    h = down("neck.n5", levels[1]);
    levels[2] = block("neck.n6", blocks::concat_channels(b, "neck.cat4", {h, p5}), c5);
  }

  std::optional<blocks::DetectHeadWidths> widths;
  int index = 0;
  for (std::size_t level = 0; level < 3; ++level) {
    if (!config.heads[level]) continue;
    if (!widths) {
      widths =
          blocks::detect_head_widths(b.channels(levels[level]), config.num_classes, config.reg_max);
    }
    graph.mark_output(blocks::detect_level(b, "head", index++, levels[level], *widths,
                                           config.num_classes, config.reg_max));
  }
  return graph;
}

}  // namespace

core::Graph build_yolo(const YoloConfig& config, const blocks::BuilderOptions& options) {
  check_config(config);
  // The backbone checks its own widths and totals; the whole network's totals are checked on
  // a shape-only graph before anything allocates weights.
  core::Graph shapes = build_graph(config, {});
  check_network_limits(shapes, config.backbone == YoloBackbone::phinet ? "yolo-phinet"
                                                                        : "yolo-xinet",
                       size_options(config));
  if (!options.materialize_weights) return shapes;
  return build_graph(config, options);
}

}  // namespace tinyscale::nets
