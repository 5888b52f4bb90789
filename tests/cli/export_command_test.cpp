// `tinyscale export` and `tinyscale quantize` as a user runs them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/graph.h"
#include "export/tflite_reader.h"
#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;

fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(ExportCommand, PhiNetToOnnxAndTfliteThatTheEngineRuns) {
  const fs::path dir = temp_dir("export");
  const auto r =
      run_cli("export phinet --input 3x32x32 --include-top --onnx " + (dir / "p.onnx").string() +
              " --tflite " + (dir / "p.tflite").string() + " --calib-samples 4");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: no --calib directory"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrote " + (dir / "p.tflite").string()), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(dir / "p.onnx"));
  ASSERT_TRUE(fs::exists(dir / "p.tflite"));
  const auto run = run_cli("run " + (dir / "p.tflite").string() + " --random 2");
  EXPECT_EQ(run.exit_code, 0) << run.out;
  fs::remove_all(dir);
}

TEST(QuantizeCommand, BadInputLeavesNoOutput) {
  const fs::path dir = temp_dir("quantize");
  const fs::path model = fs::path(TINYSCALE_SHARED_DIR) / "interop/onnx/xinet/model_op13.onnx";
  auto expect_error = [&](const std::string& args, const std::string& mention) {
    const auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find(mention), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir / "out.tflite")) << args;
  };
  expect_error(
      "quantize " + (dir / "missing.onnx").string() + " -o " + (dir / "out.tflite").string(),
      "missing.onnx");
  std::ofstream(dir / "junk.onnx") << "not a protobuf at all";
  expect_error("quantize " + (dir / "junk.onnx").string() + " -o " + (dir / "out.tflite").string(),
               "junk.onnx");
  if (fs::exists(model)) {
    fs::create_directories(dir / "calib");
    std::ofstream(dir / "calib" / "a.bin", std::ios::binary) << "short";
    expect_error("quantize " + model.string() + " --calib " + (dir / "calib").string() + " -o " +
                     (dir / "out.tflite").string(),
                 "a.bin");
  }
  fs::remove_all(dir);
}


std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

void write_floats(const fs::path& path, const std::vector<float>& values) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()),
             static_cast<std::streamsize>(values.size() * sizeof(float)));
}

// Issue 12 item 6: `export --tflite x.onnx` wrote TFLite bytes and failed; `--onnx x.tflite`
// wrote ONNX bytes into a .tflite. Both are refused before any work, with nothing written.
TEST(ExportCommand, WrongExtensionsAndMissingFoldersAreRefusedBeforeAnyWork) {
  const fs::path dir = temp_dir("export_paths");
  auto expect_refused = [&](const std::string& outputs, const std::string& mention) {
    const auto r = run_cli("export phinet --input 3x32x32 --include-top " + outputs);
    EXPECT_NE(r.exit_code, 0) << outputs;
    EXPECT_EQ(count_lines(r.out), 1) << "no calibration before the refusal\n" << r.out;
    EXPECT_NE(r.out.find(mention), std::string::npos) << r.out;
    EXPECT_TRUE(entries(dir).empty()) << outputs;
  };
  const std::string x_onnx = (dir / "x.onnx").string(), x_tflite = (dir / "x.tflite").string();
  expect_refused("--tflite " + x_onnx, "--tflite '" + x_onnx + "': name the file *.tflite");
  expect_refused("--onnx " + x_tflite, "--onnx '" + x_tflite + "': name the file *.onnx");
  expect_refused("--onnx " + (dir / "missing" / "x.onnx").string(),
                 "'" + (dir / "missing").string() + "' does not exist");
  expect_refused("--onnx " + x_onnx + " --tflite " + (dir / "x.TXT").string(), "--tflite");
  fs::remove_all(dir);
}

// Issue 12 item 6: `quantize m.onnx -o m.onnx` overwrote its input, then failed.
TEST(QuantizeCommand, AnOutputNamingAnInputIsRefusedAndTheInputKept) {
  const fs::path dir = temp_dir("quantize_no_loss");
  const std::string model = (dir / "m.onnx").string();
  ASSERT_EQ(run_cli("export phinet --input 3x32x32 --onnx " + model + " --quiet").exit_code, 0);
  const std::string before = read_all(model);
  fs::create_directories(dir / "calib");
  write_floats(dir / "calib" / "a.bin", std::vector<float>(3 * 32 * 32, 0.25f));
  auto expect_refused = [&](const std::string& args, const std::string& mention) {
    const auto r = run_cli("quantize " + model + " " + args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find(mention), std::string::npos) << r.out;
  };
  expect_refused("-o " + model, "-o '" + model + "' would overwrite the model '" + model + "'");
  expect_refused("-o " + (dir / "x.onnx").string(), "name the file *.tflite");
  expect_refused("--calib " + (dir / "calib").string() + " -o " +
                     (dir / "calib" / "a.bin").string(),
                 "--calib folder file '" + (dir / "calib" / "a.bin").string() + "'");
  EXPECT_EQ(read_all(model), before);
  EXPECT_EQ(fs::file_size(dir / "calib" / "a.bin"), 3u * 32 * 32 * 4);
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"calib", "m.onnx"}));
  fs::remove_all(dir);
}

TEST(QuantizeCommand, NonFiniteCalibrationDataIsRefusedNamingTheFileAndIndex) {
  const fs::path dir = temp_dir("quantize_nan");
  const std::string model = (dir / "m.onnx").string();
  ASSERT_EQ(run_cli("export phinet --input 3x32x32 --onnx " + model + " --quiet").exit_code, 0);
  fs::create_directories(dir / "calib");
  std::vector<float> sample(3 * 32 * 32, 0.25f);
  write_floats(dir / "calib" / "a.bin", sample);
  sample[7] = INFINITY;
  write_floats(dir / "calib" / "b.bin", sample);
  const std::string out = (dir / "m.tflite").string();
  const auto r =
      run_cli("quantize " + model + " --calib " + (dir / "calib").string() + " -o " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("calibration file '" + (dir / "calib" / "b.bin").string() +
                       "': value 7 (in file order) is inf"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

TEST(QuantizeCommand, CalibrationProgressGoesToStderrAndQuietSilencesIt) {
  const fs::path dir = temp_dir("quantize_progress");
  const std::string model = (dir / "m.onnx").string();
  ASSERT_EQ(run_cli("export phinet --input 3x32x32 --onnx " + model + " --quiet").exit_code, 0);
  fs::create_directories(dir / "calib");
  for (const char* name : {"a.bin", "b.bin", "c.bin"})
    write_floats(dir / "calib" / name, std::vector<float>(3 * 32 * 32, 0.25f));
  const std::string args =
      "quantize " + model + " --calib " + (dir / "calib").string() + " -o " +
      (dir / "m.tflite").string();
  const auto r = tinyscale::testing_support::run_cli_split(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("tinyscale: calibrating 1/3 samples\n"
                       "tinyscale: calibrating 2/3 samples\n"
                       "tinyscale: calibrating 3/3 samples\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.rfind("wrote " + (dir / "m.tflite").string(), 0), 0u) << r.out;
  const auto quiet = tinyscale::testing_support::run_cli_split(args + " --quiet");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("calibrating"), std::string::npos) << quiet.err;
  fs::remove_all(dir);
}

// ./run.sh's flow (export, then `run --random 1` and `--random 2`) on a small PhiNet with a
// classifier: the default data-dependent init gives logits that depend on the input; the old
// init, still selectable as --init pytorch, gives the same logits for every input.
TEST(ExportCommand, DataInitByDefaultGivesLogitsThatDependOnTheInput) {
  const fs::path dir = temp_dir("export_init");
  const std::string export_phinet =
      "export phinet --input 3x32x32 --alpha 0.25 --include-top --calib-samples 8 --tflite ";
  const std::string data = (dir / "data.tflite").string();
  const std::string pytorch = (dir / "pytorch.tflite").string();
  const auto by_data = run_cli(export_phinet + data);
  ASSERT_EQ(by_data.exit_code, 0) << by_data.out;
  EXPECT_NE(by_data.out.find("init: data-dependent (BatchNorm statistics of 8 samples: 24 "
                             "BatchNorms, 1 output layer scaled)\n"),
            std::string::npos)
      << by_data.out;
  const auto by_pytorch = run_cli(export_phinet + pytorch + " --init pytorch");
  ASSERT_EQ(by_pytorch.exit_code, 0) << by_pytorch.out;
  EXPECT_NE(by_pytorch.out.find("init: pytorch (PyTorch's default"), std::string::npos)
      << by_pytorch.out;
  // "output 0 'classifier.2' 1x10 int8: ..."
  const auto logits = [](const std::string& model, int seed) {
    const auto r = run_cli("run " + model + " --random " + std::to_string(seed));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.rfind("output 0 'classifier.2' 1x10 int8:", 0), 0u) << r.out;
    return r.out.substr(0, r.out.find('\n'));
  };
  EXPECT_NE(logits(data, 1), logits(data, 2));
  EXPECT_NE(logits(data, 1), logits(data, 3));
  EXPECT_EQ(logits(pytorch, 1), logits(pytorch, 2));
  const auto unknown = run_cli(export_phinet + (dir / "x.tflite").string() + " --init lsuv");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.out.find("--init"), std::string::npos) << unknown.out;
  EXPECT_FALSE(fs::exists(dir / "x.tflite"));
  fs::remove_all(dir);
}

// The README's `export phinet --input 3x96x96 --alpha 0.25 --include-top`. With PyTorch's
// init the signal fades to ~1e-8 before the classifier, whose int32 biases were written as
// ±2147483647 (so the int8 model gave the zero point for every input): the quantizer now
// enlarges those channels' weight scales and says so, naming the layer. Whatever the init,
// no bias of the file is clipped; with the default init the logits follow the input.
TEST(ExportCommand, ReadmePhiNetBiasesAreNeverClipped) {
  const fs::path dir = temp_dir("export_bias");
  const std::string readme = "export phinet --input 3x96x96 --alpha 0.25 --include-top --tflite ";
  const auto clipped_biases = [](const std::string& path) {
    const tinyscale::core::Graph g = tinyscale::exporter::read_tflite(path);
    int clipped = 0, biases = 0;
    for (const tinyscale::core::Node& n : g.nodes) {
      if (n.inputs.size() < 3 || (n.op != tinyscale::core::OpType::conv2d &&
                                  n.op != tinyscale::core::OpType::fully_connected))
        continue;
      ++biases;
      for (const std::int32_t v : g.tensor(n.inputs[2]).values<std::int32_t>())
        clipped += v == 2147483647 || v == -2147483647 || v == -2147483647 - 1;
    }
    EXPECT_GT(biases, 0) << path;
    return clipped;
  };
  const std::string by_default = (dir / "p.tflite").string();
  const auto r = run_cli(readme + by_default);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(clipped_biases(by_default), 0);
  const auto logits = [](const std::string& model, int seed) {
    const auto run = run_cli("run " + model + " --random " + std::to_string(seed));
    EXPECT_EQ(run.exit_code, 0) << run.out;
    return run.out.substr(0, run.out.find('\n'));
  };
  EXPECT_NE(logits(by_default, 1), logits(by_default, 2));

  const std::string by_pytorch = (dir / "pytorch.tflite").string();
  const auto faded = run_cli(readme + by_pytorch + " --init pytorch");
  ASSERT_EQ(faded.exit_code, 0) << faded.out;
  EXPECT_NE(faded.out.find("tinyscale: warning: layer 'classifier.2': its bias does not fit "
                           "int32 with headroom"),
            std::string::npos)
      << faded.out;
  EXPECT_NE(faded.out.find("weight scale enlarged on 10 of 10 output channels"),
            std::string::npos)
      << faded.out;
  EXPECT_EQ(clipped_biases(by_pytorch), 0);
  fs::remove_all(dir);
}

// micromind's XiNet(num_layers=7) at 3x224x224 pools its first block's 56x56 output to 3x3 with
// uneven bins: `net` reports it, `export` writes both files, `run` runs them, and the arena
// `run` allocates is the RAM `net --runtime engine` promised.
TEST(ExportCommand, XiNetWithUnevenSkipPoolsIsCostedExportedAndRun) {
  const fs::path dir = temp_dir("export_xinet7");
  const auto net = run_cli("net xinet --input 3x224x224 --num-layers 7 --runtime engine --json");
  ASSERT_EQ(net.exit_code, 0) << net.out;
  const nlohmann::json report = nlohmann::json::parse(net.out);
  EXPECT_EQ(report["params"].get<long>(), 7729488);
  EXPECT_TRUE(report["notes"].empty()) << report["notes"];  // every figure exact
  const auto r = run_cli("export xinet --input 3x224x224 --num-layers 7 --calib-samples 2 --onnx " +
                         (dir / "x.onnx").string() + " --tflite " + (dir / "x.tflite").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(fs::exists(dir / "x.onnx"));
  ASSERT_TRUE(fs::exists(dir / "x.tflite"));
  EXPECT_EQ(static_cast<long>(fs::file_size(dir / "x.tflite")), report["flash_bytes"].get<long>());
  const auto run = run_cli("run " + (dir / "x.tflite").string() + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(nlohmann::json::parse(run.out)["arena_bytes"].get<long>(),
            report["ram_bytes"].get<long>());
  EXPECT_EQ(run_cli("run " + (dir / "x.onnx").string()).exit_code, 0);
  fs::remove_all(dir);
}

// PhiNet's plain-conv stem puts a BatchNorm after the activation, where no convolution can
// take it: it is exported as MUL + ADD, and the .tflite is written beside the ONNX.
TEST(ExportCommand, PhiNetConvStemWritesTheTfliteToo) {
  const fs::path dir = temp_dir("export_conv_stem");
  const auto r = run_cli("export phinet --input 3x96x96 --conv2d-input --calib-samples 2 --onnx " +
                         (dir / "a.onnx").string() + " --tflite " + (dir / "a.tflite").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(fs::exists(dir / "a.onnx"));
  ASSERT_TRUE(fs::exists(dir / "a.tflite"));
  const tinyscale::core::Graph g = tinyscale::exporter::read_tflite((dir / "a.tflite").string());
  EXPECT_TRUE(std::any_of(g.nodes.begin(), g.nodes.end(), [&](const tinyscale::core::Node& n) {
    return n.op == tinyscale::core::OpType::mul && g.tensor(n.inputs[1]).is_constant;
  }));
  EXPECT_EQ(run_cli("run " + (dir / "a.tflite").string()).exit_code, 0);
  fs::remove_all(dir);
}

}  // namespace
