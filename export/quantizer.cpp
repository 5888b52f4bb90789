#include "export/quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "core/error.h"
#include "core/limits.h"
#include "core/ops.h"
#include "core/passes.h"
#include "engine/engine.h"

namespace tinyscale::exporter {
namespace {

// The observed values of one activation tensor over the calibration set.
struct Range {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  std::vector<float> samples;  // a strided subset, for the percentile method
  void add(const float* values, std::size_t count, bool keep_samples) {
    for (std::size_t k = 0; k < count; ++k) {
      lo = std::min(lo, values[k]);
      hi = std::max(hi, values[k]);
    }
    if (!keep_samples) return;
    constexpr std::size_t kMaxSamples = 1 << 16;
    const std::size_t stride = std::max<std::size_t>(1, count / 4096);
    for (std::size_t k = 0; k < count && samples.size() < kMaxSamples; k += stride)
      samples.push_back(values[k]);
  }
};

struct Recorder {
  const engine::CompiledModel* model;
  std::vector<Range>* ranges;
  bool keep_samples;
};

void record_outputs(void* user, int node) {
  auto* r = static_cast<Recorder*>(user);
  const core::Graph& g = r->model->graph();
  for (int id : g.nodes[static_cast<std::size_t>(node)].outputs) {
    const engine::TensorRef& t = r->model->tensor(id);
    (*r->ranges)[static_cast<std::size_t>(id)].add(
        t.as<const float>(), static_cast<std::size_t>(core::num_elements(t.shape())),
        r->keep_samples);
  }
}

// Narrows [lo, hi] to the central `percentile` % of the samples (both tails trimmed equally).
void apply_percentile(Range* r, double percentile) {
  if (r->samples.size() < 16) return;
  std::vector<float>& s = r->samples;
  const double tail = (100.0 - percentile) / 200.0;
  const auto k_lo = static_cast<std::size_t>(tail * static_cast<double>(s.size() - 1));
  const auto k_hi = s.size() - 1 - k_lo;
  std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k_lo), s.end());
  const float lo = s[k_lo];
  std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k_hi), s.end());
  const float hi = s[k_hi];
  r->lo = std::max(r->lo, lo);
  r->hi = std::min(r->hi, hi);
}

// Narrows the range of a tensor whose every consumer saturates below (or above) some
// value: the values beyond it reach the same output, so spending int8 steps on them only
// coarsens the rest. hard_swish is 0 for x <= -3 (a PhiNet expansion's output often
// reaches -15, so this alone gives its non-negative part 20-45 % finer steps); RELU is
// flat below 0, a clip outside its bounds; the int8 LOGISTIC output (scale 1/256) is
// saturated beyond |x| = ln 511 ~ 6.24 (bound 8), TANH (scale 1/128) beyond
// 0.5 ln 255 ~ 2.77 (bound 4). A non-zero bound keeps a step of margin, so the extreme
// representable value is still at or past the saturation point after the zero point is
// rounded. Graph outputs keep their observed range.
void clip_to_saturating_consumers(const core::Graph& g, std::vector<Range>* ranges) {
  constexpr float kUnset = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> floor(g.tensors.size(), kUnset), ceiling(g.tensors.size(), kUnset);
  std::vector<char> blocked(g.tensors.size(), 0);
  for (int id : g.outputs) blocked[static_cast<std::size_t>(id)] = 1;
  for (const core::Node& node : g.nodes) {
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const auto t = static_cast<std::size_t>(node.inputs[i]);
      float lo = -std::numeric_limits<float>::infinity();
      float hi = std::numeric_limits<float>::infinity();
      if (i == 0 && node.op == core::OpType::hard_swish) {
        lo = -3.0f;
      } else if (i == 0 && node.op == core::OpType::relu) {
        lo = 0.0f;
      } else if (i == 0 && node.op == core::OpType::clip) {
        lo = node.attrs.clip_min, hi = node.attrs.clip_max;
      } else if (i == 0 && node.op == core::OpType::sigmoid) {
        lo = -8.0f, hi = 8.0f;
      } else if (i == 0 && node.op == core::OpType::tanh) {
        lo = -4.0f, hi = 4.0f;
      } else {
        blocked[t] = 1;
        continue;
      }
      // Several saturating consumers: the widest of their bounds.
      floor[t] = std::isnan(floor[t]) ? lo : std::min(floor[t], lo);
      ceiling[t] = std::isnan(ceiling[t]) ? hi : std::max(ceiling[t], hi);
    }
  }
  for (std::size_t t = 0; t < g.tensors.size(); ++t) {
    if (blocked[t] || std::isnan(floor[t])) continue;
    Range& r = (*ranges)[t];
    if (!(r.hi >= r.lo)) continue;  // never observed
    const float hi = std::min(r.hi, ceiling[t]);
    const float lo = std::max(r.lo, floor[t]);
    const float step = (std::max(hi, 0.0f) - std::min(lo, 0.0f)) / 255.0f;
    // 0 is always exactly representable, so a bound at 0 needs no margin.
    if (r.lo < floor[t]) r.lo = floor[t] == 0.0f ? 0.0f : floor[t] - step;
    if (r.hi > ceiling[t]) r.hi = ceiling[t] == 0.0f ? 0.0f : ceiling[t] + step;
  }
}

// TFLite Micro's int8 LOGISTIC and TANH rescale the input by scale × 2^27 as a Q31 mantissa
// and a left shift; below a scale of 2^-28 the shift turns negative and the input radius
// is computed with a negative shift count (undefined; on x86 every input saturates). A
// range that narrow carries nothing at the output's 1/256 or 1/128 step anyway (the
// function is flat to within 2^-13 over it), so it is widened to a step of 2^-20.
void widen_fixed_point_activation_inputs(const core::Graph& g, std::vector<Range>* ranges) {
  constexpr float kMinSpan = 255.0f / (1 << 20);
  for (const core::Node& node : g.nodes) {
    if (node.op != core::OpType::sigmoid && node.op != core::OpType::tanh) continue;
    Range& r = (*ranges)[static_cast<std::size_t>(node.inputs[0])];
    if (!(r.hi >= r.lo)) r.lo = r.hi = 0.0f;  // never observed
    if (std::max(r.hi, 0.0f) - std::min(r.lo, 0.0f) >= kMinSpan) continue;
    r.lo = std::min(r.lo, -kMinSpan / 2);
    r.hi = std::max(r.hi, kMinSpan / 2);
  }
}

// Asymmetric int8 quantization of [lo, hi], widened to include 0 (TFLite's rule, so that
// zero padding is exact), with the zero point rounded and clamped to [-128, 127].
core::Quantization activation_quantization(float lo, float hi) {
  double min = std::min(0.0, static_cast<double>(lo));
  double max = std::max(0.0, static_cast<double>(hi));
  if (!(max - min > 1e-9)) max = min + 1e-9;
  const double scale = (max - min) / 255.0;
  const double zero_point = std::clamp(std::round(-128.0 - min / scale), -128.0, 127.0);
  core::Quantization q;
  q.scales = {static_cast<float>(scale)};
  q.zero_points = {static_cast<std::int64_t>(zero_point)};
  return q;
}

core::Quantization fixed_quantization(float scale, std::int64_t zero_point) {
  core::Quantization q;
  q.scales = {scale};
  q.zero_points = {zero_point};
  return q;
}

template <typename T>
void store(core::Tensor* t, const std::vector<T>& values) {
  t->data.resize(values.size() * sizeof(T));
  std::memcpy(t->data.data(), values.data(), t->data.size());
}

// Weight scales [O, ...]: symmetric per output channel, max |w| / 127.
std::vector<float> weight_scales(const core::Tensor& w) {
  const auto channels = static_cast<std::size_t>(w.shape[0]);
  const auto values = w.values<float>();
  const std::size_t per_channel = values.size() / channels;
  std::vector<float> scales(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    float max_abs = 0.0f;
    for (std::size_t k = 0; k < per_channel; ++k)
      max_abs = std::max(max_abs, std::fabs(values[c * per_channel + k]));
    // An all-zero channel still needs a positive scale; its weights quantize to 0 anyway.
    // 1, not a tiny value: the bias scale is input scale × this.
    scales[c] = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
  }
  return scales;
}

// TFLite's converter rule (AdjustWeightsForBiasScale, tools/optimize/quantization_utils.cc):
// a bias must quantize into the middle half of int32 (|q| < 2^31 / 2, leaving headroom for
// the accumulation it is added to), or its channel's weight scale is enlarged to
// 2 |bias| / ((2^31 - 1) · input_scale), which puts the bias at a quarter of the int32 range
// at the price of that channel's weight precision. Arises where a layer's input range is
// tiny next to its bias (the signal has faded by then, so the bias is what the channel
// outputs). Returns how many channels were enlarged.
int enlarge_scales_for_bias(std::vector<float>* scales, const core::Tensor& bias,
                            float input_scale) {
  constexpr double kInt32Max = 2147483647.0;
  const auto values = bias.values<float>();
  int enlarged = 0;
  for (std::size_t c = 0; c < values.size() && c < scales->size(); ++c) {
    const double magnitude = std::fabs(static_cast<double>(values[c]));
    const double bias_scale = static_cast<double>(input_scale) * (*scales)[c];
    if (!(magnitude >= 0.5 * bias_scale * kInt32Max)) continue;
    (*scales)[c] = static_cast<float>(2.0 * magnitude / kInt32Max / input_scale);
    ++enlarged;
  }
  return enlarged;
}

// Weights [O, ...]: int8 in [-127, 127] with the given per-output-channel scales, axis 0.
// Without `scales`, max |w| / 127 per channel.
void quantize_weights(core::Tensor* w, std::vector<float> scales = {}) {
  const auto channels = static_cast<std::size_t>(w->shape[0]);
  if (!w->has_data()) {  // a layout (shape-only graph): the parameters' shape, no values
    w->dtype = core::DType::int8;
    w->quantization = {std::vector<float>(channels, 1.0f), std::vector<std::int64_t>(channels, 0),
                       0};
    return;
  }
  if (scales.empty()) scales = weight_scales(*w);
  const auto values = w->values<float>();
  const std::size_t per_channel = values.size() / channels;
  std::vector<std::int8_t> q(values.size());
  for (std::size_t c = 0; c < channels; ++c) {
    for (std::size_t k = 0; k < per_channel; ++k) {
      const float v = std::round(values[c * per_channel + k] / scales[c]);
      q[c * per_channel + k] = static_cast<std::int8_t>(std::clamp(v, -127.0f, 127.0f));
    }
  }
  core::Quantization quant;
  quant.axis = 0;
  quant.scales = std::move(scales);
  quant.zero_points.assign(channels, 0);
  w->dtype = core::DType::int8;
  w->quantization = std::move(quant);
  store(w, q);
}

// Bias [O]: int32 with scale input_scale × weight_scale[c] and zero point 0. A value that
// does not fit int32 (a bias or weight shared with a layer whose scales differ from the
// one the weight scale was fitted to) is an error naming `layer`, never a clipped value.
void quantize_bias(core::Tensor* b, float input_scale, const core::Quantization& weight,
                   const std::string& layer) {
  if (!b->has_data()) {
    const auto channels = static_cast<std::size_t>(b->shape[0]);
    b->dtype = core::DType::int32;
    b->quantization = {std::vector<float>(channels, input_scale),
                       std::vector<std::int64_t>(channels, 0), 0};
    return;
  }
  const auto values = b->values<float>();
  std::vector<std::int32_t> q(values.size());
  core::Quantization quant;
  quant.axis = 0;
  for (std::size_t c = 0; c < values.size(); ++c) {
    const double scale = static_cast<double>(input_scale) *
                         static_cast<double>(weight.scales[weight.scales.size() == 1 ? 0 : c]);
    const double v = std::round(static_cast<double>(values[c]) / scale);
    if (!(std::fabs(v) <= 2147483647.0)) {
      throw Error("quantize: layer '" + layer + "': bias '" + b->name + "' channel " +
                  std::to_string(c) + " is " + number_text(values[c]) + ", " + number_text(v) +
                  " steps of its scale " + number_text(scale) + "; int32 holds at most 2147483647");
    }
    q[c] = static_cast<std::int32_t>(v);
    quant.scales.push_back(static_cast<float>(scale));
    quant.zero_points.push_back(0);
  }
  b->dtype = core::DType::int32;
  b->quantization = std::move(quant);
  store(b, q);
}

// A constant operand of add / mul (a BatchNorm lowered to mul + add: its per-channel scale
// and shift): int8 per-tensor, asymmetric over its own values, as TFLite's converter
// quantizes a constant input of ADD / MUL; the kernels take its scale like any input's.
void quantize_constant_operand(core::Tensor* t) {
  if (!t->has_data()) {  // a layout: one per-tensor scale, no values
    t->dtype = core::DType::int8;
    t->quantization = activation_quantization(-1.0f, 1.0f);
    return;
  }
  const auto values = t->values<float>();
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  core::Quantization q = activation_quantization(*lo, *hi);
  std::vector<std::int8_t> stored(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    const double v = std::round(values[k] / q.scales[0]) + static_cast<double>(q.zero_points[0]);
    stored[k] = static_cast<std::int8_t>(std::clamp(v, -128.0, 127.0));
  }
  t->dtype = core::DType::int8;
  t->quantization = std::move(q);
  store(t, stored);
}

bool keeps_input_quantization(core::OpType op) {
  switch (op) {
    case core::OpType::avg_pool:
    case core::OpType::max_pool:
    case core::OpType::reshape:
    case core::OpType::pad:
    case core::OpType::resize_nearest:
    case core::OpType::split:
    case core::OpType::slice:
      return true;
    default:
      return false;
  }
}

void rewrite_as_int8(core::Graph& g, const std::vector<Range>& ranges, bool float_io,
                     std::vector<std::string>* warnings);

}  // namespace

void check_calibration_bytes(const core::Graph& float_graph, std::int64_t samples,
                             const std::string& origin) {
  if (float_graph.inputs.empty()) throw Error("the graph has no input to calibrate");
  if (samples < 0) throw Error(origin + ": " + std::to_string(samples) + " calibration samples");
  const core::Tensor& input = float_graph.tensor(float_graph.inputs[0]);
  core::Shape set = input.shape;
  set.insert(set.begin(), samples);
  const std::int64_t bytes = core::shape_bytes(set, sizeof(float));
  if (bytes < 0 || bytes > core::kMaxCalibrationBytes) {
    throw Error(core::limit_error(
        origin + ": " + std::to_string(samples) + " calibration samples of input '" + input.name +
            "' (" + core::shape_string(input.shape) + " float32)",
        bytes, core::kMaxCalibrationBytes, "kMaxCalibrationBytes", "for calibration data"));
  }
}

std::vector<std::vector<float>> synthetic_calibration(const core::Graph& float_graph, int samples,
                                                      std::uint32_t seed) {
  check_calibration_bytes(float_graph, samples, "synthetic calibration");
  const auto count =
      static_cast<std::size_t>(core::num_elements(float_graph.tensor(float_graph.inputs[0]).shape));
  std::mt19937 rng(seed);
  std::vector<std::vector<float>> out(static_cast<std::size_t>(samples), std::vector<float>(count));
  for (auto& sample : out) {
    for (float& v : sample) v = static_cast<float>(rng() >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return out;
}

std::vector<std::vector<float>> synthetic_images(const core::Graph& float_graph, int samples,
                                                 std::uint32_t seed) {
  check_calibration_bytes(float_graph, samples, "synthetic calibration");
  const core::Shape& shape = float_graph.tensor(float_graph.inputs[0]).shape;
  if (shape.size() != 4) throw Error("synthetic images need an NHWC image input");
  const auto h = static_cast<std::size_t>(shape[1]), w = static_cast<std::size_t>(shape[2]),
             c = static_cast<std::size_t>(shape[3]);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<std::vector<float>> out(static_cast<std::size_t>(samples),
                                      std::vector<float>(h * w * c));
  for (auto& image : out) {
    std::vector<float> top(c), bottom(c);
    for (std::size_t k = 0; k < c; ++k) top[k] = unit(rng), bottom[k] = unit(rng);
    for (std::size_t y = 0; y < h; ++y) {
      const float t = h > 1 ? static_cast<float>(y) / static_cast<float>(h - 1) : 0.0f;
      for (std::size_t x = 0; x < w; ++x)
        for (std::size_t k = 0; k < c; ++k) image[(y * w + x) * c + k] = top[k] + (bottom[k] - top[k]) * t;
    }
    const int rectangles = 2 + static_cast<int>(rng() % 5);
    for (int r = 0; r < rectangles; ++r) {
      const auto x0 = static_cast<std::size_t>(unit(rng) * static_cast<float>(w));
      const auto y0 = static_cast<std::size_t>(unit(rng) * static_cast<float>(h));
      const auto x1 = std::min(w, x0 + 1 + static_cast<std::size_t>(unit(rng) * static_cast<float>(w) / 2));
      const auto y1 = std::min(h, y0 + 1 + static_cast<std::size_t>(unit(rng) * static_cast<float>(h) / 2));
      std::vector<float> colour(c);
      for (float& v : colour) v = unit(rng);
      for (std::size_t y = y0; y < y1; ++y)
        for (std::size_t x = x0; x < x1; ++x)
          for (std::size_t k = 0; k < c; ++k) image[(y * w + x) * c + k] = colour[k];
    }
    for (float& v : image) v = std::clamp(v + (unit(rng) - 0.5f) * 0.04f, 0.0f, 1.0f);
  }
  return out;
}

QuantizeResult quantize_with_warnings(const core::Graph& float_graph,
                                      std::span<const std::vector<float>> calibration,
                                      const QuantizeOptions& options) {
  if (calibration.empty()) throw Error("quantize: no calibration samples");
  if (float_graph.inputs.size() != 1)
    throw Error("quantize: graphs with exactly one input are supported");
  QuantizeResult result;
  core::Graph& g = result.graph;
  g = core::lower_for_deployment(float_graph);
  for (const core::Tensor& t : g.tensors) {
    if (t.dtype != core::DType::float32)
      throw Error("quantize: tensor '" + t.name + "' is not float32");
    if (t.is_constant && !t.has_data())
      throw Error("quantize: constant '" + t.name + "' has no data (build with weights)");
  }

  // Calibration on the float reference kernels.
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(g, {}, error, sizeof error) != engine::Status::ok) {
    throw Error(std::string("quantize: cannot run the float graph for calibration: ") + error);
  }
  const int input = g.inputs[0];
  const auto input_count = static_cast<std::size_t>(core::num_elements(g.tensor(input).shape));
  const bool keep_samples = options.ranges == RangeMethod::percentile;
  std::vector<Range> ranges(g.tensors.size());
  Recorder recorder{&model, &ranges, keep_samples};
  for (std::size_t i = 0; i < calibration.size(); ++i) {
    if (calibration[i].size() != input_count) {
      throw Error("quantize: calibration sample " + std::to_string(i) + " has " +
                  std::to_string(calibration[i].size()) + " values; the input " +
                  core::shape_string(g.tensor(input).shape) + " needs " +
                  std::to_string(input_count));
    }
    // One NaN would make every range it reaches NaN, and the int8 model garbage.
    const auto bad = std::find_if(calibration[i].begin(), calibration[i].end(),
                                  [](float v) { return !std::isfinite(v); });
    if (bad != calibration[i].end()) {
      throw Error("quantize: calibration sample " + std::to_string(i) + ": value " +
                  std::to_string(bad - calibration[i].begin()) + " is " + number_text(*bad) +
                  "; calibration data must be finite");
    }
    ranges[static_cast<std::size_t>(input)].add(calibration[i].data(), input_count, keep_samples);
    std::memcpy(model.input(0).data, calibration[i].data(), input_count * sizeof(float));
    if (model.run(record_outputs, &recorder) != engine::Status::ok)
      throw Error("quantize: calibration run failed");
    if (options.progress)
      options.progress(options.progress_user, static_cast<int>(i + 1),
                       static_cast<int>(calibration.size()));
  }
  if (keep_samples) {
    for (Range& r : ranges) {
      apply_percentile(&r, options.percentile);
      r.samples = {};
    }
  }
  clip_to_saturating_consumers(g, &ranges);
  widen_fixed_point_activation_inputs(g, &ranges);
  rewrite_as_int8(g, ranges, options.float_io, &result.warnings);
  g.validate();
  // The int8 kernels' prepare() checks every TFLite constraint the graph must meet.
  engine::CompiledModel check;
  if (check.compile(g, {}, error, sizeof error) != engine::Status::ok) {
    throw Error(std::string("quantize: the quantized graph does not fit the int8 kernels: ") +
                error);
  }
  return result;
}

core::Graph quantize(const core::Graph& float_graph,
                     std::span<const std::vector<float>> calibration,
                     const QuantizeOptions& options) {
  return quantize_with_warnings(float_graph, calibration, options).graph;
}

core::Graph quantize_layout(const core::Graph& float_graph, bool float_io) {
  return quantize_layout(core::Graph(float_graph), float_io);
}

core::Graph quantize_layout(core::Graph&& float_graph, bool float_io) {
  core::Graph g = core::lower_for_deployment(std::move(float_graph));
  for (const core::Tensor& t : g.tensors) {
    if (t.dtype != core::DType::float32)
      throw Error("quantize: tensor '" + t.name + "' is not float32");
  }
  Range unit;
  unit.lo = -1.0f;
  unit.hi = 1.0f;
  rewrite_as_int8(g, std::vector<Range>(g.tensors.size(), unit), float_io, nullptr);
  return g;
}

namespace {

bool has_fixed_output_quantization(core::OpType op) {
  return op == core::OpType::sigmoid || op == core::OpType::softmax || op == core::OpType::tanh;
}

// TFLite's int8 kernels want one quantization on both sides of pooling, reshape, pad,
// resize and split, and on every input and the output of CONCATENATION
// (kernels/concatenation.cc: "t->params.scale != output->params.scale"). Such tensors form
// groups (union-find); each group gets the union of its members' ranges. A concatenated
// tensor whose quantization is fixed (a LOGISTIC, SOFTMAX or TANH output) cannot take the
// group's: it is requantized by a QUANTIZE node in front of the concatenation, as TFLite's
// converter does.
std::vector<Range> share_quantization(core::Graph& g, std::vector<Range> ranges) {
  std::vector<int> parent(g.tensors.size());
  for (std::size_t t = 0; t < parent.size(); ++t) parent[t] = static_cast<int>(t);
  const auto find = [&](int t) {
    while (parent[static_cast<std::size_t>(t)] != t) {
      parent[static_cast<std::size_t>(t)] =
          parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(t)])];
      t = parent[static_cast<std::size_t>(t)];
    }
    return t;
  };
  const auto unite = [&](int a, int b) { parent[static_cast<std::size_t>(find(a))] = find(b); };
  std::vector<char> fixed(g.tensors.size(), 0);
  for (const core::Node& node : g.nodes) {
    if (has_fixed_output_quantization(node.op))
      for (int id : node.outputs) fixed[static_cast<std::size_t>(id)] = 1;
    if (keeps_input_quantization(node.op))
      for (int id : node.outputs) unite(node.inputs[0], id);
  }
  std::vector<char> fixed_group(g.tensors.size(), 0);
  for (std::size_t t = 0; t < g.tensors.size(); ++t)
    if (fixed[t]) fixed_group[static_cast<std::size_t>(find(static_cast<int>(t)))] = 1;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].op != core::OpType::concat) continue;
    for (std::size_t i = 0; i < g.nodes[n].inputs.size(); ++i) {
      const int in = g.nodes[n].inputs[i];
      if (!fixed_group[static_cast<std::size_t>(find(in))]) {
        unite(in, g.nodes[n].outputs[0]);
        continue;
      }
      core::Tensor copy = g.tensor(in);
      copy.name += "/requantized";
      const int id = g.add_tensor(std::move(copy));
      parent.push_back(id);
      fixed_group.push_back(0);
      ranges.push_back(ranges[static_cast<std::size_t>(in)]);
      unite(id, g.nodes[n].outputs[0]);
      core::Node requantize;
      requantize.op = core::OpType::quantize;
      requantize.name = g.tensor(id).name;
      requantize.inputs = {in};
      requantize.outputs = {id};
      g.nodes[n].inputs[i] = id;
      g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(n), std::move(requantize));
      ++n;  // the concatenation moved one place on
    }
  }
  std::vector<Range> group(g.tensors.size());
  for (std::size_t t = 0; t < g.tensors.size(); ++t) {
    const Range& r = ranges[t];
    if (!(r.hi >= r.lo)) continue;  // never observed
    Range& u = group[static_cast<std::size_t>(find(static_cast<int>(t)))];
    u.lo = std::min(u.lo, r.lo);
    u.hi = std::max(u.hi, r.hi);
  }
  for (std::size_t t = 0; t < g.tensors.size(); ++t) {
    const Range& u = group[static_cast<std::size_t>(find(static_cast<int>(t)))];
    if (u.hi >= u.lo) ranges[t] = u;
  }
  return ranges;
}

// Rewrites a lowered float graph as int8 from each tensor's observed range: activations
// int8 per-tensor, the per-op fixed and shared scales, weights and biases, and the float
// I/O boundary when asked for.
void rewrite_as_int8(core::Graph& g, const std::vector<Range>& observed, bool float_io,
                     std::vector<std::string>* warnings) {
  const int input = g.inputs[0];
  const std::vector<Range> ranges = share_quantization(g, observed);
  // Activations: int8, per-tensor.
  for (std::size_t t = 0; t < g.tensors.size(); ++t) {
    core::Tensor& tensor = g.tensors[t];
    if (tensor.is_constant) continue;
    tensor.dtype = core::DType::int8;
    tensor.quantization = activation_quantization(ranges[t].lo, ranges[t].hi);
  }
  // Per-op rules, in execution order so copied quantization is already final.
  for (const core::Node& node : g.nodes) {
    const core::Tensor& in = g.tensor(node.inputs[0]);
    for (const int id : node.outputs) {  // split: every part keeps the input's scale
      core::Tensor& out = g.tensor(id);
      if (node.op == core::OpType::sigmoid || node.op == core::OpType::softmax) {
        out.quantization = fixed_quantization(1.0f / 256.0f, -128);
      } else if (node.op == core::OpType::tanh) {
        out.quantization = fixed_quantization(1.0f / 128.0f, 0);
      } else if (keeps_input_quantization(node.op)) {
        out.quantization = in.quantization;
      }
    }
  }
  // Constants: weights and biases of conv2d / fully_connected; nothing else may be float.
  std::vector<char> done(g.tensors.size(), 0);
  for (const core::Node& node : g.nodes) {
    if (node.op != core::OpType::conv2d && node.op != core::OpType::fully_connected) continue;
    const auto w = static_cast<std::size_t>(node.inputs[1]);
    const float input_scale = g.tensor(node.inputs[0]).quantization.scales[0];
    const bool has_bias = node.inputs.size() == 3;
    const auto b = has_bias ? static_cast<std::size_t>(node.inputs[2]) : 0;
    if (!done[w] && g.tensors[w].has_data()) {
      std::vector<float> scales = weight_scales(g.tensors[w]);
      if (has_bias && !done[b] && g.tensors[b].has_data()) {
        const int enlarged = enlarge_scales_for_bias(&scales, g.tensors[b], input_scale);
        if (enlarged > 0 && warnings) {
          warnings->push_back(
              "layer '" + node.name + "': its bias does not fit int32 with headroom at input " +
              "scale " + number_text(input_scale) + "; weight scale enlarged on " +
              std::to_string(enlarged) + " of " + std::to_string(scales.size()) +
              " output channels (those weights lose precision; the bias stays exact)");
        }
      }
      quantize_weights(&g.tensors[w], std::move(scales));
    } else if (!done[w]) {
      quantize_weights(&g.tensors[w]);
    }
    done[w] = 1;
    if (has_bias) {
      if (!done[b]) quantize_bias(&g.tensors[b], input_scale, g.tensors[w].quantization, node.name);
      done[b] = 1;
    }
  }
  for (const core::Node& node : g.nodes) {
    if (node.op != core::OpType::add && node.op != core::OpType::mul) continue;
    for (const int id : node.inputs) {
      const auto t = static_cast<std::size_t>(id);
      if (!g.tensors[t].is_constant || done[t]) continue;
      quantize_constant_operand(&g.tensors[t]);
      done[t] = 1;
    }
  }
  for (std::size_t t = 0; t < g.tensors.size(); ++t) {
    if (g.tensors[t].is_constant && !done[t]) {
      throw Error("quantize: constant '" + g.tensors[t].name +
                  "' is not the weight or bias of a convolution or fully-connected layer nor "
                  "an operand of add / mul; tinyscale cannot quantize it yet");
    }
  }

  if (float_io) {
    // float input -> QUANTIZE -> (int8 graph) -> DEQUANTIZE -> float output
    core::Tensor float_in = g.tensor(input);
    float_in.name = g.tensor(input).name + "_float";
    float_in.dtype = core::DType::float32;
    float_in.quantization = {};
    const int float_in_id = g.add_tensor(std::move(float_in));
    core::Node quant;
    quant.op = core::OpType::quantize;
    quant.name = "quantize_input";
    quant.inputs = {float_in_id};
    quant.outputs = {input};
    g.nodes.insert(g.nodes.begin(), std::move(quant));
    g.inputs = {float_in_id};
    for (int& out_id : g.outputs) {
      core::Tensor float_out = g.tensor(out_id);
      float_out.name = g.tensor(out_id).name + "_float";
      float_out.dtype = core::DType::float32;
      float_out.quantization = {};
      const int float_out_id = g.add_tensor(std::move(float_out));
      core::Node dequant;
      dequant.op = core::OpType::dequantize;
      dequant.name = "dequantize_" + g.tensor(out_id).name;
      dequant.inputs = {out_id};
      dequant.outputs = {float_out_id};
      g.nodes.push_back(std::move(dequant));
      out_id = float_out_id;
    }
  }
}

}  // namespace
}  // namespace tinyscale::exporter
