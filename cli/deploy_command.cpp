// `tinyscale deploy MODEL --target host|cortex-m4|cortex-m7|cortex-m33 -o DIR [--name NAME]`:
// generate the model's source package (deploy/codegen.h) from an int8 .tflite, or from a
// network given by family and net options as `export` takes them (`deploy phinet --alpha
// 0.25 --input 3x32x32 ...`: built with seed 0, initialized and quantized on seeded synthetic
// samples, as `export --tflite` does without --calib).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/model_loader.h"
#include "core/error.h"
#include "deploy/codegen.h"
#include "engine/engine.h"
#include "export/data_init.h"
#include "export/quantizer.h"

namespace tinyscale::cli {
namespace {

struct DeployOptions {
  std::string model, target = "host", output_dir, name;
};

bool is_family(const std::string& word) {
  return word == "phinet" || word == "xinet" || word == "yolo-phinet" || word == "yolo-xinet";
}

// The int8 graph of `family` + net options, as `export --tflite` makes it without --calib.
core::Graph build_quantized_net(const std::string& family, std::vector<std::string> extras) {
  CLI::App net_app;
  const std::shared_ptr<NetOptions> net = add_net_options(&net_app);
  std::vector<std::string> args = {family};
  args.insert(args.end(), extras.begin(), extras.end());
  std::reverse(args.begin(), args.end());  // CLI11 parses a vector from the back
  try {
    net_app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw Error("deploy " + family + ": " + e.what());
  }
  core::Graph graph = build_net(*net, {.materialize_weights = true, .seed = 0});
  const std::vector<std::vector<float>> calibration =
      is_detector(*net) ? exporter::synthetic_images(graph, 32, 1)
                        : exporter::synthetic_calibration(graph, 32, 1);
  std::fprintf(stderr,
               "tinyscale: warning: calibrating %s on 32 synthetic samples (export --tflite with "
               "--calib, then deploy the .tflite, for real data)\n",
               family.c_str());
  exporter::data_dependent_init(graph, calibration);
  return exporter::quantize(graph, calibration, {});
}

void deploy_model(const DeployOptions& o, const std::vector<std::string>& extras) {
  const deploy::Target target = deploy::parse_target(o.target);
  if (!is_family(o.model) && !extras.empty()) {
    throw Error("deploy " + o.model + ": unexpected argument '" + extras[0] + "'");
  }
  const core::Graph graph =
      is_family(o.model) ? build_quantized_net(o.model, extras) : load_model(o.model);
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    throw Error(o.model + ": " + error);
  }
  std::string name = o.name;
  if (name.empty()) name = std::filesystem::path(o.model).stem().string();
  std::string command = "tinyscale deploy " + o.model;
  for (const std::string& e : extras) command += " " + e;
  command += " --target " + o.target + " -o " + o.output_dir;
  if (!o.name.empty()) command += " --name " + o.name;
  const deploy::PackageSummary s = deploy::generate_package(
      model, graph, {.name = name, .target = target, .command_line = command}, o.output_dir);
  std::printf("%s: %s package '%s' in %s\n", o.model.c_str(), deploy::target_name(target),
              s.name.c_str(), o.output_dir.c_str());
  std::printf("  arena %lld bytes (RAM), model data %lld bytes (FLASH), %zu layers\n",
              static_cast<long long>(s.arena_bytes), static_cast<long long>(s.model_data_bytes),
              graph.nodes.size());
  std::printf("  kernels:");
  for (const std::string& k : s.kernels) std::printf(" %s", k.c_str());
  std::printf("\n  files:");
  for (const std::string& f : s.files) std::printf(" %s", f.c_str());
  std::printf("\n");
}

}  // namespace

Command add_deploy_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "deploy",
      "Generate C++ source for a model: const weights, a static arena, one kernel call "
      "per layer (a static library for a Cortex-M firmware or the host)");
  auto o = std::make_shared<DeployOptions>();
  cmd->add_option("model", o->model,
                  "Model file (an int8 .tflite), or a family (phinet, xinet, yolo-phinet, "
                  "yolo-xinet) followed by net options")
      ->required();
  cmd->add_option("--target", o->target, "host, cortex-m4, cortex-m7 or cortex-m33 (default host)");
  cmd->add_option("-o,--output-dir", o->output_dir, "Directory to write the package into")
      ->required();
  cmd->add_option("--name", o->name,
                  "C identifier prefix of the generated code (default: the model file's stem)");
  cmd->allow_extras();
  return [cmd, o] { deploy_model(*o, cmd->remaining()); };
}

}  // namespace tinyscale::cli
