// `tinyscale detect`: run a YOLO detector (.tflite int8 or float .onnx whose outputs follow
// the YOLO head contract of recipes/yolo_decode.h) on one image, print the detections in
// the image's own pixels and optionally write the image with the boxes drawn.
//
// Pipeline and timing: the image is decoded (not timed), letterboxed and written into the
// model input (pre-process), the engine runs (inference), the head outputs are decoded,
// suppressed and mapped back to the image (post-process). Every check (model outputs,
// labels, image) happens before anything is written, so a failure leaves no output file.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/model_loader.h"
#include "cli/output_paths.h"
#include "core/error.h"
#include "engine/engine.h"
#include "recipes/draw.h"
#include "recipes/image.h"
#include "recipes/labels.h"
#include "recipes/letterbox.h"
#include "recipes/yolo_decode.h"

namespace tinyscale::cli {
namespace {

struct DetectOptions {
  std::string model;
  std::string image;
  std::string labels;
  std::string output;
  float confidence = 0.25f;
  float iou = 0.7f;
  int max_detections = 300;
  bool json = false;
};

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

void check_options(const DetectOptions& o) {
  if (!(o.confidence >= 0.0f && o.confidence <= 1.0f)) {
    throw Error("--conf " + number_text(o.confidence) + " is outside [0, 1]");
  }
  if (!(o.iou >= 0.0f && o.iou <= 1.0f)) {
    throw Error("--iou " + number_text(o.iou) + " is outside [0, 1]");
  }
  if (o.max_detections < 1) {
    throw Error("--max-det " + std::to_string(o.max_detections) + " must be at least 1");
  }
  check_output_paths(
      {{"the model", o.model}, {"the image", o.image}, {"--labels", o.labels}},
      {{.option = "-o", .path = o.output, .extensions = {".png"}, .kind = "a PNG image"}});
}

recipes::HeadLayout head_layout_or_throw(const engine::CompiledModel& model,
                                         const std::string& path) {
  try {
    const recipes::HeadLayout layout = recipes::yolo_head_layout(model);
    const core::Tensor& input = *model.input(0).tensor;
    if (input.shape[3] != 3) {
      throw Error("model input '" + input.name + "' (" + core::shape_string(input.shape) +
                  ") has " + std::to_string(input.shape[3]) + " channels; detect feeds RGB (3)");
    }
    return layout;
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

std::string strides_text(const recipes::HeadLayout& layout) {
  std::string text;
  for (const recipes::HeadLevel& level : layout.levels) {
    text += (text.empty() ? "" : ", ") + std::to_string(level.stride);
  }
  return text;
}

void detect(const DetectOptions& o) {
  check_options(o);
  const core::Graph graph = load_model(o.model);
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    throw Error(o.model + ": " + error);
  }
  const recipes::HeadLayout layout = head_layout_or_throw(model, o.model);
  std::vector<std::string> labels;
  if (!o.labels.empty()) {
    labels = recipes::read_labels(o.labels);
    recipes::check_label_count(labels, o.labels, static_cast<std::size_t>(layout.num_classes));
  }
  const recipes::Image image = recipes::read_image(o.image);

  const Clock::time_point start = Clock::now();
  const recipes::LetterboxTransform transform = recipes::letterbox_transform(
      image.width, image.height, layout.input_width, layout.input_height);
  recipes::write_input_tensor(recipes::letterbox(image, transform), model.input(0));
  const Clock::time_point preprocessed = Clock::now();
  const engine::Status status = model.run();
  if (status != engine::Status::ok) {
    throw Error(o.model + ": run failed: " + engine::status_name(status));
  }
  const Clock::time_point inferred = Clock::now();
  std::vector<recipes::Detection> detections =
      recipes::decode_yolo(layout, recipes::dequantize_outputs(model),
                           {.confidence_threshold = o.confidence,
                            .iou_threshold = o.iou,
                            .max_detections = o.max_detections});
  for (recipes::Detection& d : detections) d.box = recipes::to_source_box(d.box, transform);
  const Clock::time_point postprocessed = Clock::now();

  if (!o.output.empty()) {
    recipes::Image annotated = image;
    recipes::draw_detections(annotated, detections, labels);
    recipes::write_png(annotated, o.output);
  }

  const double pre_ms = ms_between(start, preprocessed);
  const double inference_ms = ms_between(preprocessed, inferred);
  const double post_ms = ms_between(inferred, postprocessed);
  const auto label_of = [&](int class_id) {
    return static_cast<std::size_t>(class_id) < labels.size()
               ? labels[static_cast<std::size_t>(class_id)]
               : "class " + std::to_string(class_id);
  };
  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = o.model;
    j["image"] = o.image;
    j["image_size"] = {image.width, image.height};
    j["input_size"] = {layout.input_width, layout.input_height};
    j["num_classes"] = layout.num_classes;
    nlohmann::ordered_json found = nlohmann::ordered_json::array();
    for (const recipes::Detection& d : detections) {
      found.push_back({{"class_id", d.class_id},
                       {"label", label_of(d.class_id)},
                       {"score", d.score},
                       {"box", {d.box.x1, d.box.y1, d.box.x2, d.box.y2}}});
    }
    j["detections"] = found;
    j["times_ms"] = {{"preprocess", pre_ms}, {"inference", inference_ms}, {"postprocess", post_ms}};
    j["output"] = o.output.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(o.output);
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%s: %dx%d input, %d classes, strides %s; image %s %dx%d\n", o.model.c_str(),
              layout.input_width, layout.input_height, layout.num_classes,
              strides_text(layout).c_str(), o.image.c_str(), image.width, image.height);
  for (const recipes::Detection& d : detections) {
    std::printf("%-20s %.2f  %7.1f %7.1f %7.1f %7.1f\n", label_of(d.class_id).c_str(),
                static_cast<double>(d.score), static_cast<double>(d.box.x1),
                static_cast<double>(d.box.y1), static_cast<double>(d.box.x2),
                static_cast<double>(d.box.y2));
  }
  std::printf(
      "%zu detection%s (box x1 y1 x2 y2 in image pixels)   pre-process %.3f ms   inference %.3f "
      "ms   post-process %.3f ms\n",
      detections.size(), detections.size() == 1 ? "" : "s", pre_ms, inference_ms, post_ms);
  if (!o.output.empty()) std::printf("wrote %s\n", o.output.c_str());
}

}  // namespace

Command add_detect_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "detect", "Detect objects in an image with a YOLO model (.tflite int8 or float .onnx)");
  auto o = std::make_shared<DetectOptions>();
  cmd->add_option("model", o->model, "YOLO model (.tflite or .onnx)")->required();
  cmd->add_option("image", o->image, "Image (PNG, JPEG or BMP)")->required();
  cmd->add_option("--labels", o->labels, "Class names, one per line in output order");
  cmd->add_option("--conf", o->confidence, "Confidence threshold on the best class score")
      ->capture_default_str();
  cmd->add_option("--iou", o->iou, "IoU threshold of the per-class NMS")->capture_default_str();
  cmd->add_option("--max-det", o->max_detections, "At most this many detections")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write the image with boxes and labels (PNG)");
  cmd->add_flag("--json", o->json, "Print the detections and times as JSON");
  return [o] { detect(*o); };
}

}  // namespace tinyscale::cli
