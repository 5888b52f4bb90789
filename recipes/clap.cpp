#include "recipes/clap.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "core/limits.h"
#include "engine/engine.h"
#include "recipes/log_mel.h"
#include "recipes/mel.h"
#include "recipes/model_io.h"

namespace tinyscale::recipes {
namespace {

void require_size(std::size_t found, std::size_t expected, const char* what) {
  if (found != expected) {
    throw Error(std::string("clap projection: ") + what + " has " + std::to_string(found) +
                " values, expected " + std::to_string(expected));
  }
}

// y[o] = b[o] + Σ_i w[o][i] · x[i], accumulated in double.
std::vector<float> linear(std::span<const float> x, std::span<const float> w,
                          std::span<const float> b, std::size_t out) {
  const std::size_t in = x.size();
  std::vector<float> y(out);
  for (std::size_t o = 0; o < out; ++o) {
    double sum = b.empty() ? 0.0 : b[o];
    const float* row = w.data() + o * in;
    for (std::size_t i = 0; i < in; ++i) sum += static_cast<double>(row[i]) * x[i];
    y[o] = static_cast<float>(sum);
  }
  return y;
}

std::string json_type(const nlohmann::ordered_json& v) {
  return v.is_number()    ? "a number"
         : v.is_string()  ? "a string"
         : v.is_boolean() ? "a boolean"
         : v.is_null()    ? "null"
         : v.is_array()   ? "an array"
                          : "an object";
}

}  // namespace

float gelu(float x) {
  const double v = x;
  return static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
}

void layer_norm(std::span<float> x, std::span<const float> gamma, std::span<const float> beta,
                float eps) {
  require_size(gamma.size(), x.size(), "ln_gamma");
  require_size(beta.size(), x.size(), "ln_beta");
  if (x.empty()) return;
  const double n = static_cast<double>(x.size());
  double mean = 0.0;
  for (float v : x) mean += v;
  mean /= n;
  double var = 0.0;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= n;
  const double inv = 1.0 / std::sqrt(var + static_cast<double>(eps));
  for (std::size_t k = 0; k < x.size(); ++k)
    x[k] = static_cast<float>((x[k] - mean) * inv * gamma[k] + beta[k]);
}

std::vector<float> clap_project(std::span<const float> embedding, const ClapProjectionWeights& w) {
  if (w.in < 1 || w.out < 1) throw Error("clap projection: widths must be positive");
  const auto in = static_cast<std::size_t>(w.in), out = static_cast<std::size_t>(w.out);
  if (embedding.size() != in) {
    throw Error("clap projection: the audio embedding has " + std::to_string(embedding.size()) +
                " values, the projection takes " + std::to_string(in));
  }
  require_size(w.w1.size(), out * in, "w1");
  require_size(w.w2.size(), out * out, "w2");
  if (!w.b1.empty()) require_size(w.b1.size(), out, "b1");
  if (!w.b2.empty()) require_size(w.b2.size(), out, "b2");
  std::vector<float> e1 = linear(embedding, w.w1, w.b1, out);
  std::vector<float> activated(out);
  for (std::size_t k = 0; k < out; ++k) activated[k] = gelu(e1[k]);
  const std::vector<float> e2 = linear(activated, w.w2, w.b2, out);
  // Dropout is the identity at inference; the residual adds the first Linear's output.
  for (std::size_t k = 0; k < out; ++k) e1[k] += e2[k];
  layer_norm(e1, w.ln_gamma, w.ln_beta, w.ln_eps);
  return e1;
}

double l2_normalize(std::span<float> v) {
  double sum = 0.0;
  for (float x : v) sum += static_cast<double>(x) * x;
  const double norm = std::sqrt(sum);
  if (norm > 0.0) {
    for (float& x : v) x = static_cast<float>(x / norm);
  }
  return norm;
}

ClassEmbeddings parse_class_embeddings(std::string_view json, const std::string& origin,
                                       int width) {
  if (const std::string problem = core::json_text_problem(json, origin); !problem.empty()) {
    throw Error(problem);
  }
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) {
    throw Error(origin + ": expected a JSON object {\"label\": [numbers...], ...}, found " +
                json_type(doc));
  }
  if (doc.empty()) throw Error(origin + ": holds no classes");
  ClassEmbeddings classes;
  for (const auto& [label, value] : doc.items()) {
    const std::string where = origin + ": class '" + label + "'";
    if (!value.is_array()) throw Error(where + " is " + json_type(value) + ", expected an array");
    if (value.size() != static_cast<std::size_t>(width)) {
      throw Error(where + " has " + std::to_string(value.size()) +
                  " values; the model's embedding has " + std::to_string(width));
    }
    std::vector<float> vector;
    vector.reserve(value.size());
    double norm = 0.0;
    for (std::size_t k = 0; k < value.size(); ++k) {
      const auto& element = value[k];
      if (!element.is_number()) {
        throw Error(where + " value " + std::to_string(k) + " is " + json_type(element) +
                    ", expected a number");
      }
      const auto f = static_cast<float>(element.get<double>());
      if (!std::isfinite(f)) {
        throw Error(where + " value " + std::to_string(k) + " is not a finite float32");
      }
      norm += static_cast<double>(f) * f;
      vector.push_back(f);
    }
    if (norm == 0.0) {
      throw Error(where + " is a zero vector; its cosine similarity is undefined");
    }
    classes.labels.push_back(label);
    classes.vectors.push_back(std::move(vector));
  }
  return classes;
}

ClassEmbeddings read_class_embeddings(const std::string& path, int width) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the class embeddings file");
  // Sized before it is read whole.
  std::error_code ec;
  if (const std::uintmax_t size = std::filesystem::file_size(path, ec);
      !ec && size > static_cast<std::uintmax_t>(core::kMaxJsonFileBytes)) {
    throw Error(core::limit_error(path, static_cast<std::int64_t>(size), core::kMaxJsonFileBytes,
                                  "kMaxJsonFileBytes", "for a JSON document"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_class_embeddings(text.str(), path, width);
}

std::vector<ClassScore> rank_classes(std::span<const float> embedding,
                                     const ClassEmbeddings& classes, int top_k) {
  double audio_norm = 0.0;
  for (float v : embedding) audio_norm += static_cast<double>(v) * v;
  audio_norm = std::sqrt(audio_norm);
  // float, as reported: cosines equal to float precision are ties and keep file order.
  std::vector<float> similarity(classes.vectors.size());
  for (std::size_t c = 0; c < classes.vectors.size(); ++c) {
    const std::vector<float>& v = classes.vectors[c];
    if (v.size() != embedding.size()) {
      throw Error("class '" + classes.labels[c] + "' has " + std::to_string(v.size()) +
                  " values; the audio embedding has " + std::to_string(embedding.size()));
    }
    double dot = 0.0, norm = 0.0;
    for (std::size_t k = 0; k < v.size(); ++k) {
      dot += static_cast<double>(v[k]) * embedding[k];
      norm += static_cast<double>(v[k]) * v[k];
    }
    const double denominator = std::sqrt(norm) * audio_norm;
    similarity[c] = static_cast<float>(denominator > 0.0 ? dot / denominator : 0.0);
  }
  std::vector<ClassScore> top;
  for (const int i : top_k_order(similarity, top_k)) {
    const auto c = static_cast<std::size_t>(i);
    top.push_back({i, classes.labels[c], similarity[c]});
  }
  return top;
}

// ---------------------------------------------------------------- the encoder

LogMelConfig clap_log_mel_config(int frames, int bands) {
  LogMelConfig config;
  config.num_mel_bands = bands;
  if (1 + config.clip_samples / config.hop_length != frames)
    config.clip_samples = (frames - 1) * config.hop_length;
  return config;
}

struct ClapAudioEncoder::State {
  std::unique_ptr<core::Graph> graph;  // heap: the compiled model points into it
  engine::CompiledModel model;
  std::optional<LogMelFrontEnd> log_mel;
  std::vector<float> mel_scale, mel_shift;
  std::string origin;
};

ClapAudioEncoder::ClapAudioEncoder(core::Graph graph, const std::string& model_origin)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.origin = model_origin;
  s.graph = std::make_unique<core::Graph>(std::move(graph));
  const core::Graph& g = *s.graph;
  const std::string where = "model '" + model_origin + "': ";
  check_one_in_one_out(g, where, "a tinyCLAP audio encoder");
  const core::Tensor& input = g.tensor(g.inputs[0]);
  const core::Shape& shape = input.shape;
  if (shape.size() != 4 || shape[0] != 1 || shape[3] != 1 || shape[1] < 3) {
    throw Error(where + "input '" + input.name + "' has shape " + core::shape_string(shape) +
                "; a tinyCLAP encoder reads a log-mel image 1x<frames>x<bands>x1 (frames ≥ 3)");
  }
  if (shape[1] > (std::int64_t{1} << 20) || shape[2] > 4096) {
    throw Error(where + "input '" + input.name + "' has shape " + core::shape_string(shape) +
                "; too many frames or mel bands for a log-mel image");
  }
  s.log_mel.emplace(clap_log_mel_config(static_cast<int>(shape[1]), static_cast<int>(shape[2])));

  compile_model(s.model, g, where);
}

ClapAudioEncoder::~ClapAudioEncoder() = default;
ClapAudioEncoder::ClapAudioEncoder(ClapAudioEncoder&&) noexcept = default;
ClapAudioEncoder& ClapAudioEncoder::operator=(ClapAudioEncoder&&) noexcept = default;

int ClapAudioEncoder::sample_rate() const { return state_->log_mel->config().sample_rate; }
int ClapAudioEncoder::clip_samples() const { return state_->log_mel->config().clip_samples; }
int ClapAudioEncoder::num_frames() const { return state_->log_mel->num_frames(); }
int ClapAudioEncoder::num_mel_bands() const { return state_->log_mel->num_mel_bands(); }
int ClapAudioEncoder::embedding_width() const {
  return static_cast<int>(core::num_elements(state_->model.output(0).shape()));
}

void ClapAudioEncoder::set_band_normalization(std::vector<float> mel_scale,
                                              std::vector<float> mel_shift) {
  const auto bands = static_cast<std::size_t>(num_mel_bands());
  const bool none = mel_scale.empty() && mel_shift.empty();
  if (!none && (mel_scale.size() != bands || mel_shift.size() != bands)) {
    throw Error("model '" + state_->origin + "': the mel band normalization has " +
                std::to_string(mel_scale.size()) + " scales and " +
                std::to_string(mel_shift.size()) + " shifts; the input has " +
                std::to_string(bands) + " mel bands");
  }
  state_->mel_scale = std::move(mel_scale);
  state_->mel_shift = std::move(mel_shift);
}

std::vector<float> ClapAudioEncoder::features(std::span<const float> audio) const {
  return state_->log_mel->compute(audio);
}

std::vector<float> ClapAudioEncoder::embed_features(std::span<const float> features) {
  State& s = *state_;
  const engine::TensorRef& in = s.model.input(0);
  const auto count = static_cast<std::size_t>(core::num_elements(in.shape()));
  if (features.size() != count) {
    throw Error("model '" + s.origin + "': " + std::to_string(features.size()) +
                " features for input '" + in.tensor->name + "' of " + std::to_string(count) +
                " values");
  }
  std::vector<float> x(features.begin(), features.end());
  if (!s.mel_scale.empty()) {
    const std::size_t bands = s.mel_scale.size();
    for (std::size_t k = 0; k < x.size(); ++k)
      x[k] = x[k] * s.mel_scale[k % bands] + s.mel_shift[k % bands];
  }
  if (in.tensor->dtype == core::DType::int8) {
    const core::Quantization& q = in.tensor->quantization;
    const std::vector<std::int8_t> quantized = quantize_features(
        x, q.scales[0], static_cast<int>(q.zero_points[0]), FeatureRounding::to_nearest);
    std::memcpy(in.data, quantized.data(), quantized.size());
  } else {
    std::memcpy(in.data, x.data(), count * sizeof(float));
  }
  if (s.model.run() != engine::Status::ok) {
    throw Error("model '" + s.origin + "': the engine failed to run it");
  }
  const engine::TensorRef& out = s.model.output(0);
  return dequantize_output(out);
}

std::vector<float> ClapAudioEncoder::embed(std::span<const float> audio) {
  return embed_features(features(audio));
}

}  // namespace tinyscale::recipes
