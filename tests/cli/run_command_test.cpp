// `tinyscale run` and `tinyscale info` on MLPerf Tiny's models, as a user runs them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "export/onnx_proto.h"
#include "export/tflite_schema.h"
#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;

const std::string kKws = TINYSCALE_SHARED_DIR "/interop/tflite/kws_ref_model/";

std::vector<char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(RunCommand, OutputAndEveryTensorMatchTfliteMicro) {
  if (!fs::exists(kKws + "model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir("run");
  const auto r =
      run_cli("run " + kKws + "model.tflite --input " + kKws + "input_uniform.bin --output " +
              (dir / "y.bin").string() + " --dump-tensors " + (dir / "tensors").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(bytes_of((dir / "y.bin").string()), bytes_of(kKws + "output_uniform.bin"));
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(kKws + "tensors_uniform")) {
    const std::string name = entry.path().filename().string();
    ASSERT_TRUE(fs::exists(dir / "tensors" / name)) << name;
    EXPECT_EQ(bytes_of((dir / "tensors" / name).string()), bytes_of(entry.path().string())) << name;
    ++compared;
  }
  EXPECT_GT(compared, 20);
  fs::remove_all(dir);
}

TEST(RunCommand, JsonReportsArenaTimeMacsAndOutputs) {
  if (!fs::exists(kKws + "model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const auto r = run_cli("run " + kKws + "model.tflite --random 3 --repeat 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["arena_bytes"].get<long>(), 16000);
  EXPECT_GT(j["ms_per_inference"].get<double>(), 0.0);
  EXPECT_EQ(j["macs"], 2656768);
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json::array({1, 12}));
  EXPECT_EQ(j["outputs"][0]["zero_point"][0], -128);
  EXPECT_DOUBLE_EQ(j["outputs"][0]["scale"][0].get<double>(), 0.00390625);
}

TEST(InfoCommand, PerLayerTableAndTotals) {
  if (!fs::exists(kKws + "model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const auto r = run_cli("info " + kKws + "model.tflite --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  // TFLite Micro (the default runtime): the file + the interpreter's and kernels' code; RAM the
  // arena TFLite Micro reports for the DS-CNN with CMSIS-NN kernels (../shared/ANCHORS.md).
  const nlohmann::json& tflm = j["tflite_micro"];
  EXPECT_EQ(tflm["file_bytes"].get<long>(), static_cast<long>(fs::file_size(kKws + "model.tflite")));
  EXPECT_EQ(j["flash_bytes"].get<long>(), tflm["file_bytes"].get<long>() +
                                              tflm["interpreter_code_bytes"].get<long>() +
                                              tflm["kernel_code_bytes"].get<long>());
  EXPECT_EQ(j["ram_bytes"], 22820);
  EXPECT_EQ(tflm["arena_used_bytes"], 22820);
  EXPECT_TRUE(tflm["exact"].get<bool>());
  const auto reference = run_cli("info " + kKws + "model.tflite --json --kernels reference");
  EXPECT_EQ(nlohmann::json::parse(reference.out)["ram_bytes"], 22772);
  // The host engine's own arena, as before.
  const auto engine = run_cli("info " + kKws + "model.tflite --json --runtime engine");
  const nlohmann::json e = nlohmann::json::parse(engine.out);
  EXPECT_EQ(e["flash_bytes"].get<long>(), static_cast<long>(fs::file_size(kKws + "model.tflite")));
  EXPECT_EQ(e["ram_bytes"], 20584);  // 9 conv2d params with their output_table pointer
  EXPECT_EQ(j["layers"].size(), 13u);
  EXPECT_EQ(j["layers"][0]["op"], "conv2d");
  EXPECT_EQ(j["macs"], 2656768);
}

void expect_one_line_error(const std::string& args, const std::string& mention) {
  const auto r = run_cli(args);
  EXPECT_NE(r.exit_code, 0) << args;
  EXPECT_EQ(count_lines(r.out), 1) << args << "\n" << r.out;
  EXPECT_NE(r.out.find("error"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(mention), std::string::npos) << args << "\n" << r.out;
}

TEST(RunCommand, BadModelsAndInputsGiveOneClearLine) {
  const fs::path dir = temp_dir("bad");
  expect_one_line_error("run " + (dir / "missing.tflite").string(), "missing.tflite");
  std::ofstream((dir / "garbage.tflite").string())
      << "this is not a flatbuffer at all, not even close";
  expect_one_line_error("run " + (dir / "garbage.tflite").string(), "garbage.tflite");
  expect_one_line_error("info " + (dir / "model.onnx").string(), "model.onnx");
  if (fs::exists(kKws + "model.tflite")) {
    const std::vector<char> model = bytes_of(kKws + "model.tflite");
    std::ofstream((dir / "cut.tflite").string(), std::ios::binary).write(model.data(), 1000);
    expect_one_line_error("run " + (dir / "cut.tflite").string(), "cut.tflite");
    std::ofstream((dir / "short.bin").string(), std::ios::binary) << "abc";
    expect_one_line_error("run " + kKws + "model.tflite --input " + (dir / "short.bin").string(),
                          "490");
    expect_one_line_error("run " + kKws + "model.tflite --repeat 0", "--repeat");
  }
  fs::remove_all(dir);
}

// A .tflite of one RELU whose input and output are float tensors of `shape` (activations: the
// file holds no data for them).
std::vector<std::uint8_t> relu_tflite(const std::vector<int>& shape) {
  flatbuffers::FlatBufferBuilder fbb;
  const std::vector<flatbuffers::Offset<tflite::Buffer>> buffers = {tflite::CreateBuffer(fbb)};
  const std::vector<flatbuffers::Offset<tflite::Tensor>> tensors = {
      tflite::CreateTensorDirect(fbb, &shape, tflite::TensorType::FLOAT32, 0, "x"),
      tflite::CreateTensorDirect(fbb, &shape, tflite::TensorType::FLOAT32, 0, "y")};
  const auto relu = tflite::BuiltinOperator::RELU;
  const std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes = {
      tflite::CreateOperatorCodeDirect(fbb, static_cast<std::int8_t>(relu), nullptr, 1, relu)};
  const std::vector<int> in = {0}, out = {1};
  const std::vector<flatbuffers::Offset<tflite::Operator>> ops = {
      tflite::CreateOperatorDirect(fbb, 0, &in, &out)};
  const std::vector<flatbuffers::Offset<tflite::SubGraph>> subgraphs = {
      tflite::CreateSubGraphDirect(fbb, &tensors, &in, &out, &ops, "main")};
  tflite::FinishModelBuffer(
      fbb, tflite::CreateModelDirect(fbb, 3, &codes, &subgraphs, "test", &buffers));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// An .onnx adding three float inputs of NCHW `shape`: (a + b) + c.
std::string add3_onnx(const std::vector<std::int64_t>& shape) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("add3");
  for (const char* name : {"a", "b", "c"}) {
    onnx::ValueInfoProto* v = g->add_input();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (const std::int64_t d : shape) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  auto add = [&](const char* x, const char* y, const char* out) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type("Add");
    n->set_name(out);
    n->add_input(x);
    n->add_input(y);
    n->add_output(out);
  };
  add("a", "b", "ab");
  add("ab", "c", "abc");
  onnx::ValueInfoProto* y = g->add_output();
  y->set_name("abc");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  y->mutable_type()->mutable_tensor_type()->mutable_shape();
  std::string bytes;
  model.SerializeToString(&bytes);
  return bytes;
}

// Sizes a model declares that would need more memory than core/limits.h allows are refused
// with one line naming the limit, before anything of that size is allocated.
TEST(RunCommand, ModelsOverTheMemoryLimitsAreRefusedInOneLine) {
  const fs::path dir = temp_dir("limits");
  const std::vector<std::uint8_t> big = relu_tflite({1, 16384, 16384, 4});  // 4 GiB tensor
  std::ofstream((dir / "big.tflite").string(), std::ios::binary)
      .write(reinterpret_cast<const char*>(big.data()), static_cast<std::streamsize>(big.size()));
  expect_one_line_error("run " + (dir / "big.tflite").string(),
                        "big.tflite: tensor 0 'x' (1x16384x16384x4 float32) needs 4294967296 "
                        "bytes, over the 256 MiB limit for one tensor (kMaxTensorBytes)");
  // Three 196 MiB inputs live at once: each tensor is allowed, the arena is not.
  std::ofstream((dir / "arena.onnx").string(), std::ios::binary) << add3_onnx({1, 1, 7168, 7168});
  expect_one_line_error("run " + (dir / "arena.onnx").string(),
                        "over the 512 MiB limit for the engine's arena (kMaxArenaBytes)");
  fs::remove_all(dir);
}

}  // namespace

namespace {

TEST(InfoCommand, NetworksFromHyperparametersGiveTheNetReport) {
  const auto r = tinyscale::testing_support::run_cli("info phinet --input 3x224x224 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["params"], 30917);
  EXPECT_EQ(j["macs_torchinfo"], 9817670);
  const auto bad = tinyscale::testing_support::run_cli("info xinet --alpha 0");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--alpha"), std::string::npos) << bad.out;
}

}  // namespace

namespace {

TEST(RunCommand, FloatOnnxFromPyTorchMatchesItsOutput) {
  const std::string dir = TINYSCALE_SHARED_DIR "/interop/onnx/phinet_a/";
  if (!fs::exists(dir + "model_op13.onnx")) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path out =
      fs::temp_directory_path() / ("tinyscale_onnx_" + std::to_string(::getpid()) + ".bin");
  const auto r = run_cli("run " + dir + "model_op13.onnx --input " + dir + "input_0.bin --output " +
                         out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::vector<char> got = bytes_of(out.string()), expected = bytes_of(dir + "output_0.bin");
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t k = 0; k < got.size() / 4; ++k) {
    float a, b;
    std::memcpy(&a, &got[k * 4], 4);
    std::memcpy(&b, &expected[k * 4], 4);
    EXPECT_NEAR(a, b, 1e-4) << k;
  }
  fs::remove(out);
}

}  // namespace

namespace {

// Issue 12 item 6: `run m.tflite --output m.tflite` replaced the model with 12 bytes.
TEST(RunCommand, AnOutputNamingAnInputIsRefusedAndTheInputKept) {
  const fs::path dir = temp_dir("run_no_loss");
  const std::string model = (dir / "m.tflite").string();
  const auto exported = run_cli("export phinet --input 3x32x32 --include-top --num-classes 3 "
                                "--tflite " + model + " --calib-samples 2 --quiet");
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  const std::vector<char> before = bytes_of(model);
  expect_one_line_error("run " + model + " --output " + model, "the model '" + model + "'");
  expect_one_line_error("run " + model + " --output " + (dir / "." / "m.tflite").string(),
                        "--output");
  expect_one_line_error("run " + model + " --output " + (dir / "y.tflite").string(),
                        "name it e.g. *.bin");
  std::ofstream((dir / "x.bin").string(), std::ios::binary) << std::string(3 * 32 * 32, '\0');
  expect_one_line_error("run " + model + " --input " + (dir / "x.bin").string() + " --output " +
                            (dir / "x.bin").string(),
                        "--input '" + (dir / "x.bin").string() + "'");
  // --dump-tensors DIR writes DIR/t<i>.bin: an input named so would be overwritten.
  fs::create_directories(dir / "dump");
  std::ofstream((dir / "dump" / "t0.bin").string(), std::ios::binary)
      << std::string(3 * 32 * 32, '\0');
  expect_one_line_error("run " + model + " --input " + (dir / "dump" / "t0.bin").string() +
                            " --dump-tensors " + (dir / "dump").string(),
                        "--dump-tensors");
  EXPECT_EQ(bytes_of(model), before);
  EXPECT_EQ(fs::file_size(dir / "x.bin"), 3u * 32 * 32);
  EXPECT_EQ(fs::file_size(dir / "dump" / "t0.bin"), 3u * 32 * 32);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"dump", "m.tflite", "x.bin"}));
  fs::remove_all(dir);
}

TEST(RunCommand, NonFiniteFloatInputIsRefusedNamingTheFileAndTheIndex) {
  const fs::path dir = temp_dir("run_nan");
  const std::string model = (dir / "m.onnx").string();
  const auto exported =
      run_cli("export phinet --input 3x32x32 --onnx " + model + " --quiet");
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  for (const float bad : {std::nanf(""), -INFINITY}) {
    std::vector<float> input(3 * 32 * 32, 0.5f);
    input[700] = bad;
    std::ofstream((dir / "x.bin").string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()),
               static_cast<std::streamsize>(input.size() * sizeof(float)));
    expect_one_line_error("run " + model + " --input " + (dir / "x.bin").string(),
                          "--input '" + (dir / "x.bin").string() +
                              "': value 700 (in file order) is " +
                              (std::isnan(bad) ? "nan" : "-inf"));
  }
  fs::remove_all(dir);
}

}  // namespace

namespace {

// README: `run` takes a float .onnx with NCHW tensor files as PyTorch gives them, or NHWC
// with --nhwc. The same input in either layout must give the same output, each in its layout.
TEST(RunCommand, NhwcFlagReadsAndWritesNhwcFilesOfAnOnnxModel) {
  const fs::path dir = temp_dir("nhwc");
  const std::string onnx = (dir / "m.onnx").string();
  // No classifier: the output is a 1x12x2x2 feature map, so its layout matters too.
  const auto exported =
      run_cli("export phinet --input 3x16x16 --alpha 0.25 --num-layers 4 --onnx " + onnx);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  constexpr int C = 3, H = 16, W = 16;
  std::vector<float> nchw(C * H * W), nhwc(C * H * W);
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const float v = std::sin(0.37f * static_cast<float>(c * 101 + y * 13 + x * 7));
        nchw[static_cast<std::size_t>((c * H + y) * W + x)] = v;
        nhwc[static_cast<std::size_t>((y * W + x) * C + c)] = v;
      }
  const auto write = [](const fs::path& path, const std::vector<float>& values) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(values.data()),
               static_cast<std::streamsize>(values.size() * sizeof(float)));
  };
  write(dir / "nchw.bin", nchw);
  write(dir / "nhwc.bin", nhwc);
  const auto a = run_cli("run " + onnx + " --input " + (dir / "nchw.bin").string() +
                         " --output " + (dir / "a.bin").string());
  ASSERT_EQ(a.exit_code, 0) << a.out;
  const auto b = run_cli("run " + onnx + " --nhwc --input " + (dir / "nhwc.bin").string() +
                         " --output " + (dir / "b.bin").string());
  ASSERT_EQ(b.exit_code, 0) << b.out;
  const std::vector<char> out_nchw = bytes_of((dir / "a.bin").string());
  const std::vector<char> out_nhwc = bytes_of((dir / "b.bin").string());
  constexpr std::size_t OC = 12, OH = 2, OW = 2;
  ASSERT_EQ(out_nchw.size(), OC * OH * OW * sizeof(float));
  ASSERT_EQ(out_nhwc.size(), out_nchw.size());
  for (std::size_t c = 0; c < OC; ++c)
    for (std::size_t y = 0; y < OH; ++y)
      for (std::size_t x = 0; x < OW; ++x) {
        float from_nchw = 0, from_nhwc = 0;
        std::memcpy(&from_nchw, &out_nchw[((c * OH + y) * OW + x) * sizeof(float)], sizeof(float));
        std::memcpy(&from_nhwc, &out_nhwc[((y * OW + x) * OC + c) * sizeof(float)], sizeof(float));
        EXPECT_EQ(from_nchw, from_nhwc) << "channel " << c << " at " << y << "," << x;
      }
  // The layouts really differ: the NHWC file is not the NCHW file.
  EXPECT_NE(out_nchw, out_nhwc);
  fs::remove_all(dir);
}

// README: `net`, `export`, `info` and `solve --family yolo-phinet|yolo-xinet` treat YOLO like
// any other network; `info <family> [net options]` gives the `net` report.
TEST(InfoCommand, YoloFamiliesGiveTheNetReport) {
  for (const std::string family : {"yolo-phinet", "yolo-xinet"}) {
    const std::string options = " --input 3x64x64 --alpha 0.25 --classes 3 --json";
    const auto info = run_cli("info " + family + options);
    ASSERT_EQ(info.exit_code, 0) << info.out;
    const auto net = run_cli("net " + family + options);
    ASSERT_EQ(net.exit_code, 0) << net.out;
    const nlohmann::json i = nlohmann::json::parse(info.out), n = nlohmann::json::parse(net.out);
    EXPECT_EQ(i["config"]["family"], family);
    EXPECT_GT(i["params"].get<long>(), 0);
    EXPECT_EQ(i["params"], n["params"]);
    EXPECT_EQ(i["flash_bytes"], n["flash_bytes"]);
    EXPECT_EQ(i["ram_bytes"], n["ram_bytes"]);
  }
}

TEST(InfoCommand, TinyscaleRuntimeGivesTheGeneratedCodesFigures) {
  if (!fs::exists(kKws + "model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const auto r = run_cli("info " + kKws + "model.tflite --runtime tinyscale --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["runtime"], "tinyscale");
  // The DS-CNN's package: 28,277 B of const data, the 16,000 B arena.
  EXPECT_EQ(j["tinyscale"]["model_data_bytes"], 28277);
  EXPECT_EQ(j["tinyscale"]["arena_bytes"], 16000);
  EXPECT_EQ(j["ram_bytes"].get<long>(), 16000 + j["tinyscale"]["stack_bytes"].get<long>());
  EXPECT_EQ(j["flash_bytes"], j["tinyscale"]["flash_bytes"]);
  const auto d = run_cli("info " + kKws + "model.tflite --json");
  EXPECT_EQ(nlohmann::json::parse(d.out)["runtime"], "tflite-micro");
  const auto text = run_cli("info " + kKws + "model.tflite --runtime tinyscale");
  EXPECT_NE(text.out.find("tinyscale generated code"), std::string::npos) << text.out;
}

}  // namespace
