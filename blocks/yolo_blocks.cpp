#include "blocks/yolo_blocks.h"

#include <algorithm>
#include <cmath>

#include "blocks/xinet_blocks.h"
#include "core/error.h"

namespace tinyscale::blocks {

int yolo_conv(Builder& b, const std::string& prefix, int x, std::int64_t out_channels, int kernel,
              int stride) {
  const int pad = kernel / 2;  // micromind's autopad
  x = b.conv2d(prefix + ".conv", x,
               {.out_channels = out_channels,
                .kernel = kernel,
                .stride = stride,
                .pad = {pad, pad, pad, pad}});
  x = b.batch_norm(prefix + ".bn", x, kYoloBatchNormEpsilon);
  return b.activation(prefix + ".silu", x, Activation::silu);
}

int bottleneck(Builder& b, const std::string& prefix, int x, std::int64_t out_channels,
               bool shortcut, double channel_factor) {
  const int input = x;
  const auto hidden = static_cast<std::int64_t>(static_cast<double>(out_channels) * channel_factor);
  x = yolo_conv(b, prefix + ".cv1", x, hidden, 3);
  x = yolo_conv(b, prefix + ".cv2", x, out_channels, 3);
  if (shortcut && b.channels(input) == out_channels) x = b.add(prefix + ".add", input, x);
  return x;
}

int c2f(Builder& b, const std::string& prefix, int x, std::int64_t out_channels, int n,
        bool shortcut) {
  const std::int64_t c = out_channels / 2;  // int(c2 * 0.5)
  x = yolo_conv(b, prefix + ".cv1", x, 2 * c);
  std::vector<int> parts = split_channels(b, prefix + ".chunk", x, 2);
  for (int i = 0; i < n; ++i) {
    parts.push_back(
        bottleneck(b, prefix + ".bottleneck." + std::to_string(i), parts.back(), c, shortcut, 1.0));
  }
  x = concat_channels(b, prefix + ".cat", parts);
  return yolo_conv(b, prefix + ".cv2", x, out_channels);
}

int sppf(Builder& b, const std::string& prefix, int x, std::int64_t out_channels, int kernel) {
  const std::int64_t hidden = b.channels(x) / 2;
  x = yolo_conv(b, prefix + ".cv1", x, hidden);
  core::Attributes pool;
  pool.kernel_h = pool.kernel_w = kernel;
  pool.pad_top = pool.pad_bottom = pool.pad_left = pool.pad_right = kernel / 2;
  std::vector<int> parts = {x};
  for (int i = 0; i < 3; ++i) {
    parts.push_back(b.graph().add_node(
        core::OpType::max_pool, prefix + ".maxpool." + std::to_string(i), {parts.back()}, pool));
  }
  x = concat_channels(b, prefix + ".cat", parts);
  return yolo_conv(b, prefix + ".cv2", x, out_channels);
}

int upsample_nearest(Builder& b, const std::string& name, int x, int factor) {
  core::Attributes a;
  a.scale_h = a.scale_w = factor;
  return b.graph().add_node(core::OpType::resize_nearest, name, {x}, a);
}

int concat_channels(Builder& b, const std::string& name, const std::vector<int>& parts) {
  core::Attributes a;
  a.axis = -1;
  return b.graph().add_node(core::OpType::concat, name, parts, a);
}

std::vector<int> split_channels(Builder& b, const std::string& name, int x, int parts) {
  core::Attributes a;
  a.axis = -1;
  return b.graph().add_node_with_outputs(core::OpType::split, name, {x}, parts, a);
}

int yolo_xi_conv(Builder& b, const std::string& prefix, int x, std::int64_t out_channels,
                 int stride) {
  XiConvSpec spec;
  spec.out_channels = out_channels;
  spec.kernel = 3;
  spec.stride = stride;
  spec.compression = kYoloXiConvCompression;
  spec.attention = true;
  spec.attention_kernel = 3;
  if (out_channels / spec.compression / 2 < 1) {
    throw Error("layer '" + prefix + "' (XiConv): " + std::to_string(out_channels) +
                " output channels leave no channel for the attention after compression by " +
                std::to_string(spec.compression) + " (XiConv needs at least 6)");
  }
  return xi_conv(b, prefix, x, -1, spec);
}

DetectHeadWidths detect_head_widths(std::int64_t first_level_channels, int num_classes,
                                    int reg_max) {
  return {std::max<std::int64_t>({16, first_level_channels / 4, std::int64_t{4} * reg_max}),
          std::max<std::int64_t>(first_level_channels, std::min(num_classes, 104))};
}

int detect_level(Builder& b, const std::string& prefix, int index, int x,
                 const DetectHeadWidths& widths, int num_classes, int reg_max) {
  const std::string i = "." + std::to_string(index);
  int box = yolo_conv(b, prefix + ".cv2" + i + ".0", x, widths.box, 3);
  box = yolo_conv(b, prefix + ".cv2" + i + ".1", box, widths.box, 3);
  box = b.conv2d(prefix + ".cv2" + i + ".2", box, {.out_channels = 4 * reg_max, .bias = true});
  int cls = yolo_conv(b, prefix + ".cv3" + i + ".0", x, widths.cls, 3);
  cls = yolo_conv(b, prefix + ".cv3" + i + ".1", cls, widths.cls, 3);
  cls = b.conv2d(prefix + ".cv3" + i + ".2", cls, {.out_channels = num_classes, .bias = true});
  // YOLOv8's class prior (Ultralytics' Detect.bias_init, after focal loss's): about 5 objects
  // over the image's cells and classes, so an untrained head starts from few confident boxes.
  const core::Shape& cells = b.shape(cls);
  b.fill_bias(cls, static_cast<float>(
                       std::log(5.0 / num_classes / static_cast<double>(cells[1] * cells[2]))));
  return concat_channels(b, prefix + ".cat" + i, {box, cls});
}

}  // namespace tinyscale::blocks
