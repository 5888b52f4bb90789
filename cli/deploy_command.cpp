// `tinyscale deploy MODEL --target host|cortex-m4|cortex-m7|cortex-m33 -o DIR [--name NAME]`:
// generate the model's source package (deploy/codegen.h) from an int8 .tflite.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/model_loader.h"
#include "core/error.h"
#include "deploy/codegen.h"
#include "engine/engine.h"

namespace tinyscale::cli {
namespace {

struct DeployOptions {
  std::string model, target = "host", output_dir, name;
};

void deploy_model(const DeployOptions& o) {
  const deploy::Target target = deploy::parse_target(o.target);
  const core::Graph graph = load_model(o.model);
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    throw Error(o.model + ": " + error);
  }
  std::string name = o.name;
  if (name.empty()) name = std::filesystem::path(o.model).stem().string();
  std::string command = "tinyscale deploy " + o.model + " --target " + o.target + " -o " +
                        o.output_dir;
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
      "deploy", "Generate C++ source for a model: const weights, a static arena, one kernel call "
                "per layer (a static library for a Cortex-M firmware or the host)");
  auto o = std::make_shared<DeployOptions>();
  cmd->add_option("model", o->model, "Model file (an int8 .tflite)")->required();
  cmd->add_option("--target", o->target, "host, cortex-m4, cortex-m7 or cortex-m33 (default host)");
  cmd->add_option("-o,--output-dir", o->output_dir, "Directory to write the package into")
      ->required();
  cmd->add_option("--name", o->name,
                  "C identifier prefix of the generated code (default: the model file's stem)");
  return [o] { deploy_model(*o); };
}

}  // namespace tinyscale::cli
