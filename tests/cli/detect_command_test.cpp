// `tinyscale detect` as a user runs it, on a tiny synthetic YOLO-head model built here:
// one 8×8/stride-8 convolution per head level whose class logits respond to red (class 0)
// or blue (class 1) cells and whose distance logits put every side half a cell from the
// anchor, so a red 8×8 cell of the letterboxed image is detected as exactly that cell.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/graph.h"
#include "export/onnx_writer.h"
#include "export/quantizer.h"
#include "export/tflite_writer.h"
#include "recipes/draw.h"
#include "recipes/image.h"
#include "recipes/letterbox.h"
#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;
namespace core = tinyscale::core;
namespace recipes = tinyscale::recipes;

constexpr int kInput = 64;  // network input 64×64: levels 8×8 (stride 8) and 4×4 (stride 16)

// A head level: conv kernel = stride, 3 → 64 + classes channels. `live` levels detect red
// and blue; the other one never fires (class bias −15).
int add_level(core::Graph& g, int x, int stride, int classes, bool live) {
  const int channels = 64 + classes;
  const int taps = stride * stride;
  std::vector<float> weight(static_cast<std::size_t>(channels * taps * 3), 1e-3f);
  std::vector<float> bias(static_cast<std::size_t>(channels), 0.0f);
  for (int side = 0; side < 4; ++side) {
    bias[static_cast<std::size_t>(side * 16)] = 12.0f;  // bins 0 and 1 equally: distance 0.5
    bias[static_cast<std::size_t>(side * 16 + 1)] = 12.0f;
  }
  // Class c responds to its colour channel (red = 0, blue = 2) minus the two others: a
  // fully coloured cell gives 10 − 3 = 7, a grey one about −8.
  const float a = 10.0f / static_cast<float>(taps);
  for (int c = 0; c < classes; ++c) {
    const int colour = c == 0 ? 0 : 2;
    for (int t = 0; t < taps; ++t) {
      for (int ch = 0; ch < 3; ++ch) {
        weight[static_cast<std::size_t>(((64 + c) * taps + t) * 3 + ch)] =
            live ? (ch == colour ? a : -a) : 1e-3f;
      }
    }
    bias[static_cast<std::size_t>(64 + c)] = live ? -3.0f : -15.0f;
  }
  const std::string name = "head" + std::to_string(stride);
  const int w = g.add_constant(name + ".weight", {channels, stride, stride, 3}, weight);
  const int b = g.add_constant(name + ".bias", {channels}, bias);
  core::Attributes attrs;
  attrs.kernel_h = attrs.kernel_w = stride;
  attrs.stride_h = attrs.stride_w = stride;
  const int y = g.add_node(core::OpType::conv2d, name, {x, w, b}, attrs);
  g.mark_output(y);
  return y;
}

core::Graph yolo_like_graph(int classes) {
  core::Graph g;
  const int x = g.add_input("images", {1, kInput, kInput, 3});
  add_level(g, x, 8, classes, true);
  add_level(g, x, 16, classes, false);
  g.validate();
  return g;
}

// 128×96, grey, a red square at x 32..47, y 16..31 and a blue one at x 80..95, y 48..63:
// letterboxed at scale 0.5 under 8 rows of padding, they become the stride-8 cells (2, 2)
// and (5, 4).
recipes::Image test_image() {
  recipes::Image image(128, 96, 128);
  const auto paint = [&](int x, int y, std::uint8_t r, std::uint8_t b) {
    std::uint8_t* p = image.pixel(x, y);
    p[0] = r;
    p[1] = 0;
    p[2] = b;
  };
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      paint(32 + x, 16 + y, 255, 0);
      paint(80 + x, 48 + y, 0, 255);
    }
  }
  return image;
}

void write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

class DetectCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("tinyscale_detect_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const core::Graph graph = yolo_like_graph(2);
    // Calibration: the letterboxed test image and a few random images.
    const recipes::Image image = test_image();
    const recipes::Image boxed =
        recipes::letterbox(image, recipes::letterbox_transform(128, 96, kInput, kInput));
    core::Tensor input;
    input.shape = {1, kInput, kInput, 3};
    std::vector<std::vector<float>> calibration(1, std::vector<float>(kInput * kInput * 3));
    recipes::write_input_tensor(boxed, {&input, calibration[0].data()});
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (int s = 0; s < 3; ++s) {
      calibration.emplace_back(kInput * kInput * 3);
      for (float& v : calibration.back()) v = uniform(rng);
    }
    tinyscale::exporter::write_tflite(tinyscale::exporter::quantize(graph, calibration, {}),
                                      path("yolo.tflite"));
    tinyscale::exporter::write_onnx(graph, path("yolo.onnx"), false);

    // Not a YOLO head: a level of only 10 channels.
    core::Graph small;
    const int x = small.add_input("images", {1, kInput, kInput, 3});
    const int w =
        small.add_constant("conv.weight", {10, 8, 8, 3}, std::vector<float>(10 * 8 * 8 * 3, 0.01f));
    core::Attributes attrs;
    attrs.kernel_h = attrs.kernel_w = attrs.stride_h = attrs.stride_w = 8;
    small.mark_output(small.add_node(core::OpType::conv2d, "conv", {x, w}, attrs));
    tinyscale::exporter::write_tflite(
        tinyscale::exporter::quantize(small, std::span(calibration).subspan(1), {}),
        path("classifier.tflite"));

    recipes::write_png(image, path("scene.png"));
    write_file(path("scene.jpg"), recipes::encode_jpeg(image, 95));
    const std::vector<std::uint8_t> png = recipes::encode_png(image);
    write_file(path("cut.png"), {png.begin(), png.begin() + static_cast<long>(png.size() / 2)});
    std::ofstream(path("names.txt")) << "red\nblue\n";
    std::ofstream(path("three.txt")) << "red\nblue\ngreen\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static std::string path(const std::string& name) { return (dir_ / name).string(); }

  static void expect_one_line_error(const std::string& args, const std::string& mention) {
    fs::remove(path("out.png"));
    const auto r = run_cli("detect " + args + " -o " + path("out.png"));
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find("tinyscale: error: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(mention), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(path("out.png"))) << args;
  }

  static fs::path dir_;
};

fs::path DetectCommand::dir_;

void expect_box(const nlohmann::json& box, float x1, float y1, float x2, float y2) {
  ASSERT_EQ(box.size(), 4u);
  EXPECT_NEAR(box[0].get<double>(), x1, 1.0) << box;
  EXPECT_NEAR(box[1].get<double>(), y1, 1.0) << box;
  EXPECT_NEAR(box[2].get<double>(), x2, 1.0) << box;
  EXPECT_NEAR(box[3].get<double>(), y2, 1.0) << box;
}

TEST_F(DetectCommand, Int8ModelFindsBothSquaresInImagePixels) {
  const auto r = run_cli("detect " + path("yolo.tflite") + " " + path("scene.png") + " --labels " +
                         path("names.txt") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["image_size"], nlohmann::json::array({128, 96}));
  EXPECT_EQ(j["input_size"], nlohmann::json::array({64, 64}));
  EXPECT_EQ(j["num_classes"], 2);
  ASSERT_EQ(j["detections"].size(), 2u) << r.out;
  for (const auto& d : j["detections"]) {
    EXPECT_GT(d["score"].get<double>(), 0.99);
    if (d["class_id"] == 0) {
      EXPECT_EQ(d["label"], "red");
      expect_box(d["box"], 32, 16, 48, 32);
    } else {
      EXPECT_EQ(d["label"], "blue");
      expect_box(d["box"], 80, 48, 96, 64);
    }
  }
  EXPECT_GE(j["times_ms"]["inference"].get<double>(), 0.0);
}

TEST_F(DetectCommand, TextOutputAndAnnotatedPng) {
  fs::remove(path("annotated.png"));
  const auto r = run_cli("detect " + path("yolo.tflite") + " " + path("scene.jpg") + " -o " +
                         path("annotated.png"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("class 0 "), std::string::npos) << r.out;  // no --labels
  EXPECT_NE(r.out.find("class 1 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 detections"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pre-process"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inference"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("post-process"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrote " + path("annotated.png")), std::string::npos) << r.out;
  const recipes::Image annotated = recipes::read_image(path("annotated.png"));
  EXPECT_EQ(annotated.width, 128);
  EXPECT_EQ(annotated.height, 96);
  // The red square's box outline, in class 0's colour, on row 24 near x = 32.
  const recipes::Rgb colour = recipes::class_colour(0);
  bool outline = false;
  for (int x = 30; x <= 35; ++x) {
    const std::uint8_t* p = annotated.pixel(x, 24);
    outline = outline || (recipes::Rgb{p[0], p[1], p[2]} == colour);
  }
  EXPECT_TRUE(outline);
}

TEST_F(DetectCommand, FloatOnnxModelGivesTheSameBoxes) {
  const auto r =
      run_cli("detect " + path("yolo.onnx") + " " + path("scene.png") + " --json --max-det 300");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["detections"].size(), 2u) << r.out;
  const auto& red = j["detections"][0]["class_id"] == 0 ? j["detections"][0] : j["detections"][1];
  expect_box(red["box"], 32, 16, 48, 32);
}

TEST_F(DetectCommand, ThresholdsAndCap) {
  auto r =
      run_cli("detect " + path("yolo.tflite") + " " + path("scene.png") + " --json --max-det 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["detections"].size(), 1u);
  // Scores are sigmoid(7) ≈ 0.9991: a confidence threshold above it leaves nothing.
  r = run_cli("detect " + path("yolo.tflite") + " " + path("scene.png") + " --conf 0.9999");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("0 detections"), std::string::npos) << r.out;
}

TEST_F(DetectCommand, BadInputIsOneErrorLineAndNoOutput) {
  const std::string model = path("yolo.tflite");
  expect_one_line_error(model + " " + path("missing.png"), "missing.png");
  expect_one_line_error(model + " " + path("cut.png"), "truncated or corrupt PNG");
  expect_one_line_error(model + " " + path("names.txt"), "not a PNG, JPEG or BMP image");
  expect_one_line_error(path("classifier.tflite") + " " + path("scene.png"),
                        "classifier.tflite: output 0 (1x8x8x10) is not a YOLO head level");
  expect_one_line_error(model + " " + path("scene.png") + " --labels " + path("three.txt"),
                        "3 labels, but the model has 2 classes");
  expect_one_line_error(model + " " + path("scene.png") + " --conf 1.5", "--conf 1.5");
  expect_one_line_error(model + " " + path("scene.png") + " --max-det 0", "--max-det 0");
  expect_one_line_error(path("missing.tflite") + " " + path("scene.png"), "missing.tflite");
  // A non-PNG output name is refused before anything runs.
  const auto r = run_cli("detect " + model + " " + path("scene.png") + " -o " + path("out.jpg"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("name the file *.png"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(path("out.jpg")));
  // The annotated image never replaces the image it annotates (issue 12 item 6).
  const auto before = fs::file_size(path("scene.png"));
  const auto same =
      run_cli("detect " + model + " " + path("scene.png") + " -o " + path("scene.png"));
  EXPECT_NE(same.exit_code, 0);
  EXPECT_EQ(count_lines(same.out), 1) << same.out;
  EXPECT_NE(same.out.find("would overwrite the image '" + path("scene.png") + "'"),
            std::string::npos)
      << same.out;
  EXPECT_EQ(fs::file_size(path("scene.png")), before);
}

// An untrained YOLO as `export` writes it by default (data-dependent init): its detections
// depend on the image, so their scores differ. (PyTorch's default init, --init pytorch, has
// faded activations: every box gets the class prior of its level, whatever the image, so
// there are at most levels x classes = 6 distinct scores.)
TEST_F(DetectCommand, ExportedUntrainedYoloGivesScoresThatVary) {
  const auto scores = [](const std::string& init) {
    const std::string model = path("untrained_" + init + ".tflite");
    const auto e = run_cli("export yolo-phinet --input 3x64x64 --alpha 0.25 --classes 2 "
                           "--calib-samples 4 --init " + init + " --tflite " + model);
    EXPECT_EQ(e.exit_code, 0) << e.out;
    const auto r = run_cli("detect " + model + " " + path("scene.png") +
                           " --conf 0 --max-det 50 --json");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    std::vector<double> s;
    for (const auto& d : j["detections"]) s.push_back(d["score"].get<double>());
    std::sort(s.begin(), s.end());
    return s;
  };
  const std::vector<double> data = scores("data");
  ASSERT_GE(data.size(), 10u);
  EXPECT_GT(data.back() - data.front(), 0.2);  // 0.46 .. 1.00 when written
  const std::vector<double> pytorch = scores("pytorch");
  ASSERT_GE(pytorch.size(), 10u);
  std::vector<double> distinct = pytorch;
  distinct.erase(std::unique(distinct.begin(), distinct.end(),
                             [](double a, double b) { return std::abs(a - b) < 0.01; }),
                 distinct.end());
  EXPECT_LE(distinct.size(), 6u);
}

}  // namespace
