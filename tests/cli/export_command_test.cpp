// `tinyscale export` and `tinyscale quantize` as a user runs them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

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

}  // namespace
