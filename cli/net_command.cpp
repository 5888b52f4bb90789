// `tinyscale net phinet|xinet|yolo-phinet|yolo-xinet [options]`: build a network from
// micromind's hyperparameters and print its exact cost (summary + per-layer table), as JSON,
// or as the graph dump. The yolo-* families are micromind's detection recipe (nets/yolo.h):
// the backbone options as for phinet / xinet (defaults: the recipe's backbone), plus
// --classes, --heads, --neck, --depth-multiple and --return-layers. Every boolean option takes
// both spellings (--include-top / --no-include-top, as micromind's include_top=True/False);
// an option that would have no effect (--num-classes without --include-top, a
// --downsampling-layers block micromind never consults) is refused rather than ignored, and
// the networks' size limits are nets/config_checks.h's.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/board_regions.h"
#include "cli/commands.h"
#include "cli/memory_svg.h"
#include "cli/options.h"
#include "cli/runtime_option.h"
#include "core/error.h"
#include "core/ops.h"
#include "costmodel/costmodel.h"
#include "costmodel/latency.h"
#include "export/tflite_writer.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "nets/yolo.h"

namespace tinyscale::cli {

struct NetOptions {
  std::string family;
  std::string input = "3x224x224";
  std::optional<double> alpha, beta, t_zero, gamma, conv5_percent;
  std::optional<int> num_layers, num_classes, divisor, first_conv_stride, base_filters;
  std::optional<std::string> downsampling_layers;
  // yolo-phinet / yolo-xinet
  std::optional<int> classes;
  std::optional<std::string> heads, neck, return_layers;
  std::optional<double> depth_multiple;
  // Boolean network options, each given either way (--include-top / --no-include-top, as
  // micromind's include_top=True/False) or not at all (the family's default).
  std::optional<bool> include_top, compatibility, residuals, conv2d_input, pool, h_swish,
      squeeze_excite;
  bool json = false, dump = false;
  std::string planner = "best_of";
  std::string memory_svg;  // --memory-svg FILE
};
namespace {

bool is_yolo(const std::string& family) { return family.rfind("yolo-", 0) == 0; }

// "--pool" or "--no-pool", as given.
std::string flag_text(const char* name, bool value) {
  return std::string(value ? "--" : "--no-") + name;
}

void reject_for_xinet(const NetOptions& o) {
  auto reject = [](bool given, const char* option) {
    if (given) throw Error(std::string(option) + " applies to phinet only");
  };
  reject(o.t_zero.has_value(), "--t0");
  reject(o.conv5_percent.has_value(), "--conv5-percent");
  reject(o.divisor.has_value(), "--divisor");
  reject(o.first_conv_stride.has_value(), "--first-conv-stride");
  reject(o.downsampling_layers.has_value(), "--downsampling-layers");
  auto reject_flag = [](const std::optional<bool>& flag, const char* name) {
    if (flag) throw Error(flag_text(name, *flag) + " applies to phinet only");
  };
  reject_flag(o.compatibility, "compatibility");
  reject_flag(o.residuals, "residuals");
  reject_flag(o.conv2d_input, "conv2d-input");
  reject_flag(o.pool, "pool");
  reject_flag(o.h_swish, "h-swish");
  reject_flag(o.squeeze_excite, "squeeze-excite");
}

// The options of the detection network belong to the yolo-* families, and a YOLO has no
// classifier head. --num-classes sizes the classifier head, so without --include-top it
// would be ignored (micromind ignores num_classes when include_top=False): refused instead.
void check_head_options(const NetOptions& o) {
  if (is_yolo(o.family)) {
    if (o.include_top.value_or(false))
      throw Error("--include-top applies to phinet and xinet only");
    if (o.num_classes) {
      throw Error("--num-classes applies to phinet and xinet only (use --classes for YOLO)");
    }
    return;
  }
  if (o.num_classes && !o.include_top.value_or(false)) {
    throw Error("--num-classes " + std::to_string(*o.num_classes) +
                " sizes the classifier head, which only --include-top adds; give --include-top "
                "too, or leave --num-classes out");
  }
  auto reject = [](bool given, const char* option) {
    if (given) throw Error(std::string(option) + " applies to yolo-phinet and yolo-xinet only");
  };
  reject(o.classes.has_value(), "--classes");
  reject(o.heads.has_value(), "--heads");
  reject(o.neck.has_value(), "--neck");
  reject(o.depth_multiple.has_value(), "--depth-multiple");
  reject(o.return_layers.has_value(), "--return-layers");
}

// micromind downsamples at block b of 4..num_layers when b is listed (blocks 1 and 3 always
// downsample, block 2 never); any other value would be silently ignored, so it is refused.
void check_downsampling_layers(const std::string& text, const std::vector<int>& layers,
                               int num_layers) {
  if (layers.empty()) {
    throw Error("--downsampling-layers '" + text + "' lists no block; list blocks of 4.." +
                std::to_string(num_layers) + ", e.g. 5,7");
  }
  for (const int block : layers) {
    if (block >= 4 && block <= num_layers) continue;
    throw Error("--downsampling-layers '" + text + "': block " + std::to_string(block) +
                (num_layers >= 4
                     ? " is not one of the blocks 4.." + std::to_string(num_layers) +
                           " it can pick with --num-layers " + std::to_string(num_layers)
                     : " cannot be picked: with --num-layers " + std::to_string(num_layers) +
                           " there is no block past 3") +
                " (blocks 1 and 3 always downsample, block 2 never)");
  }
}

// PhiNet from the options on top of `c` (micromind's defaults, or the detection recipe's);
// the configuration keys are micromind's argument names.
nets::PhiNetConfig phinet_config(const NetOptions& o, nets::PhiNetConfig c,
                                 nlohmann::ordered_json* config) {
  if (o.gamma) throw Error("--gamma applies to xinet only");
  if (o.base_filters) throw Error("--base-filters applies to xinet only");
  c.alpha = o.alpha.value_or(c.alpha);
  c.beta = o.beta.value_or(c.beta);
  c.t_zero = o.t_zero.value_or(c.t_zero);
  c.num_layers = o.num_layers.value_or(c.num_layers);
  c.include_top = o.include_top.value_or(false);
  c.num_classes = o.num_classes.value_or(c.num_classes);
  c.compatibility = o.compatibility.value_or(c.compatibility);
  if (o.downsampling_layers) {
    c.downsampling_layers = parse_int_list("--downsampling-layers", *o.downsampling_layers);
    check_downsampling_layers(*o.downsampling_layers, c.downsampling_layers, c.num_layers);
  }
  c.conv5_percent = o.conv5_percent.value_or(c.conv5_percent);
  c.first_conv_stride = o.first_conv_stride.value_or(c.first_conv_stride);
  c.residuals = o.residuals.value_or(c.residuals);
  c.conv2d_input = o.conv2d_input.value_or(c.conv2d_input);
  c.pool = o.pool.value_or(c.pool);
  c.h_swish = o.h_swish.value_or(c.h_swish);
  c.squeeze_excite = o.squeeze_excite.value_or(c.squeeze_excite);
  c.divisor = o.divisor.value_or(c.divisor);
  nlohmann::ordered_json& j = *config;
  j["alpha"] = c.alpha;
  j["beta"] = c.beta;
  j["t0"] = c.t_zero;
  j["num_layers"] = c.num_layers;
  if (!is_yolo(o.family)) {
    j["include_top"] = c.include_top;
    j["num_classes"] = c.num_classes;
  }
  j["compatibility"] = c.compatibility;
  j["downsampling_layers"] = c.downsampling_layers;
  j["conv5_percent"] = c.conv5_percent;
  j["first_conv_stride"] = c.first_conv_stride;
  j["residuals"] = c.residuals;
  j["conv2d_input"] = c.conv2d_input;
  j["pool"] = c.pool;
  j["h_swish"] = c.h_swish;
  j["squeeze_excite"] = c.squeeze_excite;
  j["divisor"] = c.divisor;
  return c;
}

nets::XiNetConfig xinet_config(const NetOptions& o, nets::XiNetConfig c,
                               nlohmann::ordered_json* config) {
  reject_for_xinet(o);
  c.alpha = o.alpha.value_or(c.alpha);
  c.beta = o.beta.value_or(c.beta);
  c.gamma = o.gamma.value_or(c.gamma);
  c.num_layers = o.num_layers.value_or(c.num_layers);
  c.include_top = o.include_top.value_or(false);
  c.num_classes = o.num_classes.value_or(c.num_classes);
  c.base_filters = o.base_filters.value_or(c.base_filters);
  nlohmann::ordered_json& j = *config;
  j["alpha"] = c.alpha;
  j["beta"] = c.beta;
  j["gamma"] = c.gamma;
  j["num_layers"] = c.num_layers;
  if (!is_yolo(o.family)) {
    j["include_top"] = c.include_top;
    j["num_classes"] = c.num_classes;
  }
  j["base_filters"] = c.base_filters;
  return c;
}

// "8,16,32" into the enabled head levels.
std::array<bool, 3> parse_heads(const std::string& text) {
  std::array<bool, 3> heads = {false, false, false};
  for (const int stride : parse_int_list("--heads", text)) {
    if (stride != 8 && stride != 16 && stride != 32) {
      throw Error("--heads '" + text + "': " + std::to_string(stride) +
                  " is not a head stride; list some of 8, 16, 32");
    }
    heads[stride == 8 ? 0 : stride == 16 ? 1 : 2] = true;
  }
  return heads;
}

core::Graph build(const NetOptions& o, nlohmann::ordered_json* config,
                  const blocks::BuilderOptions& weights = {}) {
  const auto input = parse_chw("--input", o.input);
  check_head_options(o);
  *config = {{"family", o.family}, {"input", {input[0], input[1], input[2]}}};
  if (o.family == "phinet") {
    nets::PhiNetConfig c = phinet_config(o, {}, config);
    c.input = input;
    return nets::build_phinet(c, weights);
  }
  if (o.family == "xinet") {
    nets::XiNetConfig c = xinet_config(o, {}, config);
    c.input = input;
    return nets::build_xinet(c, weights);
  }
  nets::YoloConfig c;
  c.input = input;
  if (o.family == "yolo-phinet") {
    c.backbone = nets::YoloBackbone::phinet;
    c.phinet = phinet_config(o, c.phinet, config);
  } else {
    c.backbone = nets::YoloBackbone::xinet;
    c.xinet = xinet_config(o, c.xinet, config);
  }
  c.num_classes = o.classes.value_or(c.num_classes);
  if (o.heads) c.heads = parse_heads(*o.heads);
  if (o.neck) c.neck = *o.neck == "xiconv" ? nets::YoloNeck::xiconv : nets::YoloNeck::c2f;
  c.depth_multiple = o.depth_multiple.value_or(c.depth_multiple);
  if (o.return_layers) c.return_layers = parse_int_list("--return-layers", *o.return_layers);
  nlohmann::ordered_json& j = *config;
  j["classes"] = c.num_classes;
  std::vector<int> strides;
  for (std::size_t level = 0; level < 3; ++level) {
    if (c.heads[level]) strides.push_back(8 << level);
  }
  j["heads"] = strides;
  j["neck"] = nets::yolo_neck_name(c.neck);
  j["depth_multiple"] = c.depth_multiple;
  j["return_layers"] = c.return_layers;
  return nets::build_yolo(c, weights);
}

// "PhiNet(input 3x96x96, alpha 0.25, ...)": the hyperparameters, then any option that
// differs from the family's default (micromind's; for YOLO its detection recipe's).
std::string describe(const nlohmann::ordered_json& config) {
  const std::string family = config["family"];
  NetOptions defaults;
  defaults.family = family;
  nlohmann::ordered_json default_config;
  build(defaults, &default_config);
  const bool phinet = family == "phinet" || family == "yolo-phinet";
  std::string text = family == "phinet"        ? "PhiNet("
                     : family == "xinet"       ? "XiNet("
                     : family == "yolo-phinet" ? "YOLO-PhiNet("
                                               : "YOLO-XiNet(";
  text += "input " + std::to_string(config["input"][0].get<int>()) + "x" +
          std::to_string(config["input"][1].get<int>()) + "x" +
          std::to_string(config["input"][2].get<int>());
  std::vector<std::string> core =
      phinet ? std::vector<std::string>{"alpha", "beta", "t0", "num_layers"}
             : std::vector<std::string>{"alpha", "beta", "gamma", "num_layers"};
  if (is_yolo(family)) core.insert(core.end(), {"classes", "heads"});
  for (const std::string& key : core) text += ", " + key + " " + config[key].dump();
  for (const auto& [key, value] : config.items()) {
    if (key == "family" || key == "input" || std::find(core.begin(), core.end(), key) != core.end())
      continue;
    if (value != default_config[key]) text += ", " + key + " " + value.dump();
  }
  return text + ")";
}

void print_json(const nlohmann::ordered_json& config, const costmodel::CostReport& r,
                const nlohmann::ordered_json& others, const costmodel::PatchOption& patch,
                const nlohmann::ordered_json* ram_regions = nullptr,
                const nlohmann::ordered_json* latency = nullptr) {
  nlohmann::ordered_json j;
  j["config"] = config;
  j["params"] = r.params;
  j["params_deployed"] = r.params_deployed;
  j["macs"] = r.macs;
  j["macs_torchinfo"] = r.macs_torchinfo;
  j["runtime"] = costmodel::runtime_name(r.runtime);  // what flash_bytes and ram_bytes are for
  j["flash_bytes"] = r.flash_bytes;
  j["flash"] = {{"weight_bytes", r.flash.weight_bytes},
                {"bias_bytes", r.flash.bias_bytes},
                {"quantization_bytes", r.flash.quantization_bytes},
                {"overhead_bytes", r.flash.overhead_bytes}};
  j["ram_bytes"] = r.ram_bytes;
  j["ram_lower_bound_bytes"] = r.ram_lower_bound_bytes;
  j["ram_greedy_bytes"] = r.ram_greedy_bytes;
  j["ram"] = {{"activation_arena", r.ram_activation_bytes},
              {"kernel_state", r.ram_kernel_state_bytes},
              {"runtime_structures", r.ram_runtime_bytes}};
  if (r.runtime == costmodel::Runtime::tinyscale) {
    j["tinyscale"] = tinyscale_json(r.tinyscale, r.tinyscale_core);
  }
  if (r.tflm_known) {
    j["tflite_micro"] =
        tflm_json(r.tflm, r.tflm_code, r.tflite_file_bytes, r.tflm_kernels, r.tinyscale_core);
  }
  j["other_runtimes"] = others;  // what the other runtimes would need
  j["planner"] = engine::planner_algorithm_name(r.planner);
  j["deployed_nodes"] = r.deployed_nodes;
  if (patch.enabled()) j["patch"] = patch_json(r, patch);  // with --patch
  if (ram_regions) j["ram_regions"] = *ram_regions;        // with --board
  if (latency) j["latency"] = *latency;                    // with --board
  j["notes"] = r.notes;  // what is not exact (an estimated FLASH and why), else empty
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const costmodel::LayerCost& l : r.layers) {
    layers.push_back({{"node", l.node},
                      {"name", l.name},
                      {"op", core::op_name(l.op)},
                      {"output_shape", l.output_shape},
                      {"params", l.params},
                      {"macs", l.macs},
                      {"macs_torchinfo", l.macs_torchinfo},
                      {"live_bytes", l.live_bytes},
                      {"in_place", l.in_place},
                      {"patched", l.patched}});
  }
  j["layers"] = std::move(layers);
  std::cout << j.dump(2) << "\n";
}

void print_table(const nlohmann::ordered_json& config, const costmodel::CostReport& r,
                 const std::string& others, const costmodel::PatchOption& patch) {
  std::printf("%s\n\n", describe(config).c_str());
  std::printf("  %-4s %-42s %-18s %-16s %10s %12s %10s\n", "#", "layer", "op", "output (NHWC)",
              "params", "MACs", "live B");
  bool any_in_place = false;
  bool any_patched = false;
  for (const costmodel::LayerCost& l : r.layers) {
    const std::string marks = std::string(l.in_place || l.patched ? " " : "") +
                              (l.in_place ? "*" : "") + (l.patched ? "p" : "");
    std::printf("  %-4d %-42s %-18s %-16s %10s %12s %10s%s\n", l.node, l.name.c_str(),
                core::op_name(l.op), core::shape_string(l.output_shape).c_str(),
                group_digits(l.params).c_str(), group_digits(l.macs).c_str(),
                group_digits(l.live_bytes).c_str(), marks.c_str());
    any_in_place = any_in_place || l.in_place;
    any_patched = any_patched || l.patched;
  }
  if (any_in_place) {
    std::printf("  (* in place: the layer writes its output over its input, one buffer)\n");
  }
  if (any_patched) {
    std::printf("  (p patch by patch: live B is the most while any of its patches runs)\n");
  }
  std::printf("\n");
  std::printf("  params           %12s  (torchinfo; %s after BatchNorm folding)\n",
              group_digits(r.params).c_str(), group_digits(r.params_deployed).c_str());
  std::printf("  MACs             %12s  (conv + fully-connected; torchinfo total_mult_adds %s)\n",
              group_digits(r.macs).c_str(), group_digits(r.macs_torchinfo).c_str());
  if (r.runtime == costmodel::Runtime::tinyscale) {
    const engine::DeviceFootprint& t = r.tinyscale;
    std::printf(
        "  FLASH (tinyscale generated code, %s) %s B (model data %s, kernel code %s, "
        "invoke %s)\n",
        engine::device_core_name(r.tinyscale_core), group_digits(r.flash_bytes).c_str(),
        group_digits(t.model_data_bytes).c_str(), group_digits(t.kernel_code_bytes).c_str(),
        group_digits(t.invoke_code_bytes).c_str());
    std::printf(
        "  RAM (tinyscale generated code) %s B (arena %s B by the %s planner, lower bound "
        "%s B; stack bound %s B)\n",
        group_digits(r.ram_bytes).c_str(), group_digits(t.arena_bytes).c_str(),
        engine::planner_algorithm_name(r.planner),
        group_digits(r.ram_lower_bound_bytes - t.stack_bytes).c_str(),
        group_digits(t.stack_bytes).c_str());
  } else if (r.runtime == costmodel::Runtime::tflite_micro) {
    std::printf("  FLASH            %12s B  (%s)\n", group_digits(r.flash_bytes).c_str(),
                runtime_label(r).c_str());
    std::printf(
        "    .tflite file                %10s B  (weights %s, biases %s, quantization %s, "
        "container %s)\n",
        group_digits(r.tflite_file_bytes).c_str(), group_digits(r.flash.weight_bytes).c_str(),
        group_digits(r.flash.bias_bytes).c_str(), group_digits(r.flash.quantization_bytes).c_str(),
        group_digits(r.flash.overhead_bytes).c_str());
    std::printf("    interpreter code            %10s B  (measured table)\n",
                group_digits(r.tflm_code.interpreter_bytes).c_str());
    std::printf("    kernel code                 %10s B  (measured table, %zu operators)\n",
                group_digits(r.tflm_code.kernel_bytes).c_str(), r.tflm_code.per_op.size());
    std::printf("  RAM              %12s B  (the arena_used_bytes TFLite Micro reports)\n",
                group_digits(r.ram_bytes).c_str());
    print_tflm_arena(r.tflm, r.tflm_kernels);
  } else {
    const std::int64_t miss = r.ram_bytes - r.ram_lower_bound_bytes;
    std::printf(
        "  FLASH (int8)     %12s B (weights %s, biases %s, quantization %s, container %s)\n",
        group_digits(r.flash_bytes).c_str(), group_digits(r.flash.weight_bytes).c_str(),
        group_digits(r.flash.bias_bytes).c_str(), group_digits(r.flash.quantization_bytes).c_str(),
        group_digits(r.flash.overhead_bytes).c_str());
    std::printf(
        "  RAM (engine)     %12s B (activations %s B by the %s planner, lower bound %s B, %s;\n"
        "                                  kernel state %s B, runtime %s B; greedy_by_size "
        "planner %s B)\n",
        group_digits(r.ram_bytes).c_str(), group_digits(r.ram_activation_bytes).c_str(),
        engine::planner_algorithm_name(r.planner),
        group_digits(r.ram_activation_bytes - miss).c_str(),
        miss == 0 ? "reached" : ("missed by " + group_digits(miss) + " B").c_str(),
        group_digits(r.ram_kernel_state_bytes).c_str(), group_digits(r.ram_runtime_bytes).c_str(),
        group_digits(r.ram_greedy_bytes).c_str());
  }
  if (patch.enabled()) std::printf("  patches          %s\n", patch_summary(r).c_str());
  if (!others.empty()) std::printf("  other runtimes   %s\n", others.c_str());
  for (const std::string& note : r.notes) std::printf("  note: %s\n", note.c_str());
}

// --NAME and --no-NAME for one boolean option; the last one given wins.
void add_bool_flag(CLI::App* app, const std::string& name, std::optional<bool>* value,
                   const std::string& help) {
  app->add_flag_function(
         "--" + name + ",!--no-" + name, [value](std::int64_t count) { *value = count > 0; }, help)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

}  // namespace

std::shared_ptr<NetOptions> add_net_options(CLI::App* net) {
  auto o = std::make_shared<NetOptions>();
  net->add_option("family", o->family, "Network family")
      ->required()
      ->check(CLI::IsMember({"phinet", "xinet", "yolo-phinet", "yolo-xinet"}));
  net->add_option("--input", o->input, "Input shape CxHxW (default 3x224x224)");
  net->add_option("--alpha", o->alpha,
                  "Width multiplier (default: phinet 0.2, xinet 1, yolo-phinet 2.3)");
  net->add_option("--beta", o->beta, "Shape factor (default 1; yolo-phinet 0.75)");
  net->add_option("--t0", o->t_zero, "[phinet] Base expansion factor (default 6; yolo-phinet 5)");
  net->add_option("--gamma", o->gamma,
                  "[xinet] Compression factor, truncated to an integer (default 4)");
  net->add_option("--num-layers", o->num_layers,
                  "Depth (default: phinet 7, xinet 5, yolo-xinet 6)");
  add_bool_flag(net, "include-top", &o->include_top,
                "Add the classifier head (micromind's include_top; default: no head)");
  net->add_option("--num-classes", o->num_classes,
                  "Classes of the head; needs --include-top (default: phinet 10, xinet 1000)");
  add_bool_flag(net, "compatibility", &o->compatibility,
                "[phinet] No h-swish, no squeeze-excite (default: off)");
  net->add_option("--downsampling-layers", o->downsampling_layers,
                  "[phinet] Stride-2 blocks (default 5,7)");
  net->add_option("--conv5-percent", o->conv5_percent,
                  "[phinet] Fraction of last blocks with 5x5 kernels");
  net->add_option("--first-conv-stride", o->first_conv_stride,
                  "[phinet] Stride of the stem (default 2)");
  add_bool_flag(net, "residuals", &o->residuals,
                "[phinet] Residual connections (default: on; --no-residuals drops them)");
  add_bool_flag(net, "conv2d-input", &o->conv2d_input,
                "[phinet] Plain 3x3 conv stem (default: off)");
  add_bool_flag(net, "pool", &o->pool,
                "[phinet] Downsample with max pooling instead of strides (default: off)");
  add_bool_flag(net, "h-swish", &o->h_swish,
                "[phinet] h-swish activations (default: on; --no-h-swish: ReLU6)");
  add_bool_flag(net, "squeeze-excite", &o->squeeze_excite,
                "[phinet] Squeeze-excite in the blocks (default: on)");
  net->add_option("--divisor", o->divisor, "[phinet] Channel divisor (default 1; yolo-phinet 8)");
  net->add_option("--base-filters", o->base_filters, "[xinet] Base filters (default 16)");
  net->add_option("--classes", o->classes, "[yolo] Detection classes (default 80)");
  net->add_option("--heads", o->heads, "[yolo] Strides of the enabled heads (default 8,16,32)");
  net->add_option("--neck", o->neck, "[yolo] c2f (Yolov8Neck, default) or xiconv (Yolov8NeckOpt)")
      ->check(CLI::IsMember({"c2f", "xiconv"}));
  net->add_option("--depth-multiple", o->depth_multiple,
                  "[yolo] C2f blocks hold round(3*d) bottlenecks (default 1)");
  net->add_option("--return-layers", o->return_layers,
                  "[yolo] Backbone layers of the stride-8 and -16 features (default: the last "
                  "layer at each stride)");
  return o;
}

bool is_detector(const NetOptions& options) { return options.family.rfind("yolo-", 0) == 0; }

core::Graph build_net(const NetOptions& options, const blocks::BuilderOptions& weights) {
  nlohmann::ordered_json config;
  return build(options, &config, weights);
}

Command add_net_command(CLI::App& app) {
  CLI::App* net =
      app.add_subcommand("net", "Build a PhiNet, XiNet or YOLO and report its exact cost");
  const std::shared_ptr<NetOptions> o = add_net_options(net);
  net->add_option("--planner", o->planner, "Arena planner: best_of (default) or greedy_by_size")
      ->check(CLI::IsMember({"best_of", "greedy_by_size"}));
  net->add_flag("--json", o->json, "Print the report as JSON");
  net->add_flag("--dump", o->dump, "Print the graph, one node per line");
  net->add_option("--memory-svg", o->memory_svg,
                  "Draw the engine's activation arena over the node steps to this .svg file");
  auto regions = std::make_shared<RegionOptions>();
  regions->add_to(net);
  auto runtime = std::make_shared<RuntimeOption>();
  runtime->add_to(net);

  return [o, regions, runtime] {
    if (o->dump && !o->memory_svg.empty()) throw Error("--memory-svg does not go with --dump");
    check_memory_svg_path(o->memory_svg);
    const std::optional<scaling::Budgets> budgets = regions->budgets();
    nlohmann::ordered_json config;
    const core::Graph graph = build(*o, &config);
    if (o->dump) {
      std::cout << core::dump(graph);
      return;
    }
    costmodel::CostOptions options;
    options.planner = o->planner == "greedy_by_size" ? engine::PlannerAlgorithm::greedy_by_size
                                                     : engine::PlannerAlgorithm::best_of;
    // With --board, the arena is placed in the board's regions as `run` and `solve` place it.
    const std::vector<std::int64_t> capacities =
        budgets ? scaling::region_capacities(*budgets) : std::vector<std::int64_t>{};
    options.ram_region_capacities = capacities;
    runtime->check(budgets ? &*budgets : nullptr);
    runtime->apply(&options, budgets ? budgets->core : "");
    const costmodel::CostReport report = costmodel::analyze(graph, options);
    if (!o->memory_svg.empty()) {
      const DeployedPlan d = plan_like_costmodel(graph, options, report);
      if (d.plan.plan.peak_bytes != report.ram_activation_bytes) {
        throw Error("--memory-svg: the picture's plan (" + group_digits(d.plan.plan.peak_bytes) +
                    " B) differs from the report's activation arena (" +
                    group_digits(report.ram_activation_bytes) + " B)");
      }
      MemorySvgOptions picture{.title = describe(config),
                               .fixed_bytes = d.fixed_bytes,
                               .step_patch = d.step_patch,
                               .patch_text = patch_text(report)};
      add_region_labels(budgets, &picture);
      write_memory_svg(o->memory_svg, memory_svg(d.graph, d.plan, picture));
      std::fprintf(stderr, "  wrote %s (memory picture: activation arena %s B)\n",
                   o->memory_svg.c_str(), group_digits(report.ram_activation_bytes).c_str());
    }
    // With a board: the latency `solve` bounds, for the board's core and clock (on a Cortex-M4,
    // M7 or M33, tinyscale's generated code by the per-op instruction model).
    const bool timed = budgets && !budgets->core.empty() && budgets->mhz > 0;
    const double ms =
        timed ? costmodel::estimate_latency_ms(report.compute, budgets->core, budgets->mhz) : 0.0;
    const bool modelled = timed && costmodel::instruction_model(budgets->core) != nullptr;
    const std::string how = modelled ? "tinyscale's generated code, per-op instruction model"
                                     : "estimate, cycles per MAC of the core";
    if (o->json) {
      const nlohmann::ordered_json use =
          budgets ? region_use_json(*budgets, report.ram_region_bytes, report.ram_fits)
                  : nlohmann::ordered_json();
      nlohmann::ordered_json latency;
      if (timed) {
        latency = {{"ms", ms}, {"core", budgets->core}, {"mhz", budgets->mhz}, {"method", how}};
        if (modelled) {
          latency["instructions"] =
              std::llround(costmodel::predicted_instructions(report.compute, budgets->core));
        }
      }
      print_json(config, report, other_runtimes_json(graph, report, options, false), options.patch,
                 budgets ? &use : nullptr, timed ? &latency : nullptr);
    } else {
      print_table(config, report, other_runtimes(graph, report, options, false), options.patch);
      const std::string note = code_table_note(budgets ? budgets->core : "");
      if (!note.empty()) std::printf("  note: %s\n", note.c_str());
      if (budgets) print_region_use(*budgets, report.ram_region_bytes, report.ram_fits);
      if (timed) {
        std::printf("  latency on %s: ~%.1f ms (%s, %s @ %g MHz)\n", budgets->board.c_str(), ms,
                    how.c_str(), budgets->core.c_str(), budgets->mhz);
      }
    }
  };
}

}  // namespace tinyscale::cli
