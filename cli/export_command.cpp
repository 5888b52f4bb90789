// `tinyscale export` (a PhiNet/XiNet from hyperparameters to ONNX and int8 TFLite) and
// `tinyscale quantize` (a float ONNX model to int8 TFLite).
//
// Calibration data (--calib DIR): every *.bin file of DIR, in name order, is one float32
// little-endian input sample in NCHW layout as PyTorch gives it (--nhwc for NHWC). Without
// --calib, seeded synthetic samples are used and a warning says so.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/model_loader.h"
#include "cli/options.h"
#include "cli/output_paths.h"
#include "cli/progress.h"
#include "cli/runtime_option.h"
#include "core/error.h"
#include "core/ops.h"
#include "engine/engine.h"
#include "engine/tflm_arena.h"
#include "export/data_init.h"
#include "export/onnx_reader.h"
#include "export/onnx_writer.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "export/tflite_writer.h"

namespace tinyscale::cli {
namespace {

struct CalibrationOptions {
  std::string dir;
  bool nhwc = false;
  int synthetic_samples = 32;
  bool percentile = false;
  bool float_io = false;
  bool quiet = false;
};

void add_calibration_options(CLI::App* cmd, CalibrationOptions& o) {
  cmd->add_option("--calib", o.dir, "Directory of calibration inputs (*.bin, float32, NCHW)");
  cmd->add_flag("--nhwc", o.nhwc, "Calibration files are NHWC, not NCHW");
  cmd->add_option("--calib-samples", o.synthetic_samples,
                  "Synthetic samples when --calib is absent (default 32)");
  cmd->add_flag("--percentile", o.percentile,
                "Activation ranges by the 99.99th percentile instead of min/max");
  cmd->add_flag("--float-io", o.float_io,
                "Float input/output with QUANTIZE/DEQUANTIZE (default int8 I/O)");
  cmd->add_flag("-q,--quiet", o.quiet, "No calibration progress on stderr");
}

std::vector<std::vector<float>> load_calibration(const core::Graph& g, const CalibrationOptions& o,
                                                 bool detector = false) {
  if (o.dir.empty()) {
    if (o.synthetic_samples < 1) throw Error("--calib-samples must be ≥ 1");
    if (detector) {
      std::fprintf(stderr,
                   "tinyscale: warning: no --calib directory; calibrating on %d synthetic images "
                   "in [0, 1] (gradients and rectangles; real images set better ranges)\n",
                   o.synthetic_samples);
      return exporter::synthetic_images(g, o.synthetic_samples, 1);
    }
    std::fprintf(
        stderr,
        "tinyscale: warning: no --calib directory; calibrating on %d synthetic uniform samples in "
        "[-1, 1] (activation ranges of real data may differ)\n",
        o.synthetic_samples);
    return exporter::synthetic_calibration(g, o.synthetic_samples, 1);
  }
  if (!std::filesystem::is_directory(o.dir))
    throw Error("--calib '" + o.dir + "' is not a directory");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(o.dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".bin")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error("--calib '" + o.dir + "' holds no .bin files");
  exporter::check_calibration_bytes(g, static_cast<std::int64_t>(files.size()),
                                    "--calib '" + o.dir + "'");
  const core::Shape& shape = g.tensor(g.inputs[0]).shape;  // NHWC
  const auto count = static_cast<std::size_t>(core::num_elements(shape));
  std::vector<std::vector<float>> samples;
  for (const auto& file : files) {
    // Sized before it is read: a file of another size is refused without loading it.
    if (const std::uintmax_t size = std::filesystem::file_size(file);
        size != count * sizeof(float)) {
      throw Error("calibration file '" + file.string() + "' holds " + std::to_string(size) +
                  " bytes; the input " + core::shape_string(shape) + " needs " +
                  std::to_string(count * sizeof(float)) + " (float32)");
    }
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    if (bytes.size() != count * sizeof(float)) {
      throw Error("calibration file '" + file.string() + "' holds " + std::to_string(bytes.size()) +
                  " bytes; the input " + core::shape_string(shape) + " needs " +
                  std::to_string(count * sizeof(float)) + " (float32)");
    }
    std::vector<float> raw(count);
    std::memcpy(raw.data(), bytes.data(), bytes.size());
    const auto bad =
        std::find_if(raw.begin(), raw.end(), [](float v) { return !std::isfinite(v); });
    if (bad != raw.end()) {
      throw Error("calibration file '" + file.string() + "': value " +
                  std::to_string(bad - raw.begin()) + " (in file order) is " + number_text(*bad) +
                  "; calibration data must be finite");
    }
    if (o.nhwc || shape.size() != 4) {
      samples.push_back(std::move(raw));
      continue;
    }
    // NCHW -> NHWC
    const auto h = static_cast<std::size_t>(shape[1]), w = static_cast<std::size_t>(shape[2]),
               c = static_cast<std::size_t>(shape[3]);
    std::vector<float> nhwc(count);
    for (std::size_t ch = 0; ch < c; ++ch) {
      for (std::size_t y = 0; y < h; ++y) {
        for (std::size_t x = 0; x < w; ++x) nhwc[(y * w + x) * c + ch] = raw[(ch * h + y) * w + x];
      }
    }
    samples.push_back(std::move(nhwc));
  }
  return samples;
}

void report_progress(void* progress, int done, int) {
  static_cast<Progress*>(progress)->update(done);
}

// `loaded`: samples already read for the data-dependent init (read here otherwise).
core::Graph quantize_with(const core::Graph& float_graph, const CalibrationOptions& o,
                          const std::vector<std::vector<float>>* loaded = nullptr) {
  std::vector<std::vector<float>> read;
  if (!loaded) read = load_calibration(float_graph, o);
  const std::vector<std::vector<float>>& calibration = loaded ? *loaded : read;
  exporter::QuantizeOptions q;
  q.ranges = o.percentile ? exporter::RangeMethod::percentile : exporter::RangeMethod::min_max;
  q.float_io = o.float_io;
  Progress progress("calibrating", static_cast<long long>(calibration.size()), o.quiet, "samples");
  q.progress = report_progress;
  q.progress_user = &progress;
  exporter::QuantizeResult result = exporter::quantize_with_warnings(float_graph, calibration, q);
  for (const std::string& warning : result.warnings)
    std::fprintf(stderr, "tinyscale: warning: %s\n", warning.c_str());
  return std::move(result.graph);
}

// What was written: the TFLite file read back (so the figures are the file's, e.g. with
// the PAD ops TFLite needs where a convolution's padding is neither SAME nor VALID), its
// size, MACs, the arena TFLite Micro will report for it (CMSIS-NN kernels) and the engine's.
void report_tflite(const std::string& path) {
  const core::Graph int8_graph = load_model(path);  // as `tinyscale run` will load it
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(int8_graph, {}, error, sizeof error) != engine::Status::ok)
    throw Error(path + ": " + error);
  std::int64_t macs = 0, params = 0;
  for (const core::Node& n : int8_graph.nodes) macs += core::op_info(n.op).macs(int8_graph, n);
  for (const core::Tensor& t : int8_graph.tensors) {
    if (t.is_constant) params += core::num_elements(t.shape);
  }
  const engine::TflmArena tflm = tflm_arena_of_file(path, engine::TflmKernels::cmsis_nn);
  std::printf(
      "wrote %s: FLASH %s B (the file)   RAM %s B (TFLite Micro's arena, cmsis-nn "
      "kernels%s; engine %s B)   params %s   MACs %s\n",
      path.c_str(),
      group_digits(static_cast<std::int64_t>(std::filesystem::file_size(path))).c_str(),
      group_digits(tflm.used_bytes).c_str(), tflm.exact ? "" : ", not exact",
      group_digits(model.arena_bytes()).c_str(), group_digits(params).c_str(),
      group_digits(macs).c_str());
}

}  // namespace

void add_init_option(CLI::App* cmd, std::string& init) {
  cmd->add_option("--init", init,
                  "Weight initialization: data (default: each BatchNorm set to zero mean, unit "
                  "variance over the calibration inputs, output layers scaled to unit variance) "
                  "or pytorch (PyTorch's default, BatchNorm at identity)")
      ->check(CLI::IsMember({"data", "pytorch"}));
}

Command add_export_command(CLI::App& app) {
  CLI::App* cmd =
      app.add_subcommand("export", "Build a PhiNet/XiNet and write it as ONNX and/or int8 TFLite");
  const std::shared_ptr<NetOptions> net = add_net_options(cmd);
  auto onnx = std::make_shared<std::string>();
  auto tflite = std::make_shared<std::string>();
  auto fold_bn = std::make_shared<bool>(false);
  auto seed = std::make_shared<std::uint64_t>(0);
  auto calib = std::make_shared<CalibrationOptions>();
  auto init = std::make_shared<std::string>("data");
  cmd->add_option("--onnx", *onnx, "Write the float network as ONNX (opset 13)");
  cmd->add_option("--tflite", *tflite, "Write the int8-quantized network as TFLite");
  cmd->add_flag("--fold-bn", *fold_bn, "Fold BatchNorm into the convolutions in the ONNX file");
  cmd->add_option("--seed", *seed, "Seed of the weight initialization (default 0)");
  add_init_option(cmd, *init);
  add_calibration_options(cmd, *calib);
  return [net, onnx, tflite, fold_bn, seed, calib, init] {
    if (onnx->empty() && tflite->empty())
      throw Error("export: give --onnx FILE and/or --tflite FILE");
    check_output_paths(
        {{"--calib folder", calib->dir}},
        {{.option = "--onnx", .path = *onnx, .extensions = {".onnx"}, .kind = "an ONNX model"},
         {.option = "--tflite",
          .path = *tflite,
          .extensions = {".tflite"},
          .kind = "a TFLite model"}});
    core::Graph graph = build_net(*net, {.materialize_weights = true, .seed = *seed});
    std::vector<std::vector<float>> calibration;
    if (*init == "data") {
      calibration = load_calibration(graph, *calib, is_detector(*net));
      std::printf("init: %s\n",
                  exporter::data_dependent_init(graph, calibration).summary().c_str());
    } else {
      std::printf("init: %s\n", kPytorchInitSummary);
    }
    std::fflush(stdout);  // before the calibration's progress on stderr
    if (!onnx->empty()) {
      exporter::write_onnx(graph, *onnx, *fold_bn);
      std::printf(
          "wrote %s: float ONNX, %zu layers, %s B\n", onnx->c_str(), graph.nodes.size(),
          group_digits(static_cast<std::int64_t>(std::filesystem::file_size(*onnx))).c_str());
    }
    if (!tflite->empty()) {
      if (calibration.empty() && is_detector(*net))
        calibration = load_calibration(graph, *calib, true);
      const core::Graph q =
          quantize_with(graph, *calib, calibration.empty() ? nullptr : &calibration);
      exporter::write_tflite(q, *tflite);
      report_tflite(*tflite);
    }
  };
}

Command add_quantize_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("quantize", "Quantize a float ONNX model to int8 TFLite");
  auto model = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto calib = std::make_shared<CalibrationOptions>();
  cmd->add_option("model", *model, "Float model (.onnx)")->required();
  cmd->add_option("-o,--output", *output, "Output .tflite")->required();
  add_calibration_options(cmd, *calib);
  return [model, output, calib] {
    check_output_paths(
        {{"the model", *model}, {"--calib folder", calib->dir}},
        {{.option = "-o", .path = *output, .extensions = {".tflite"}, .kind = "a TFLite model"}});
    const core::Graph graph = exporter::read_onnx(*model);
    const core::Graph q = quantize_with(graph, *calib);
    exporter::write_tflite(q, *output);
    report_tflite(*output);
  };
}

}  // namespace tinyscale::cli
