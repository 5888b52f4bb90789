// `tinyscale clap`: tinyCLAP zero-shot audio classification (recipes/clap.h), and
// `tinyscale clap-export`: an int8 tinyCLAP encoder .tflite that `clap` runs.
//
//   tinyscale clap model.tflite audio.wav --classes embeddings.json [--top K] [--json]
//       the K classes whose text embeddings are most similar to the recording's audio
//       embedding, "label cosine" per line
//   tinyscale clap-export -o tinyclap.tflite [--alpha 1.5 --beta 0.75 --t0 6 --num-layers 7]
//       [--embedding 2048] [--shared 1024] [--frames 690] [--mels 64] [--seed 0]
//       [--init data|pytorch] [--calib DIR | --calib-samples 8]
//
// clap-export builds the student encoder (nets/tinyclap.h) with seeded PyTorch-style weights,
// by default initializes it from the calibration features (--init data: bn0 from the mel
// bands' statistics, then exporter::data_dependent_init), quantizes it to int8, and stores
// the float projection (and bn0's per-band affine) as the Model.metadata entry
// "tinyscale.clap_projection". Calibration runs the real front end:
// every audio file of --calib DIR (.wav .flac .ogg .aiff, name order) resampled to 44.1 kHz,
// or, without --calib, seeded synthetic clips (one to three tones plus white noise, levels
// from quiet to loud), with a warning that real recordings would set better ranges.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
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
#include "export/data_init.h"
#include "export/quantizer.h"
#include "export/tflite_writer.h"
#include "nets/tinyclap.h"
#include "recipes/audio_io.h"
#include "recipes/clap.h"
#include "recipes/log_mel.h"

namespace tinyscale::cli {
namespace {

struct ClapOptions {
  std::string model, audio, classes;
  int top = 5;
  bool json = false;
};

recipes::ClapProjectionWeights weights_of(const nets::ClapProjection& p) {
  return {p.in, p.out, p.w1, p.b1, p.w2, p.b2, p.ln_gamma, p.ln_beta, p.ln_eps};
}

void run_clap(const ClapOptions& o) {
  core::Graph graph = load_model(o.model);
  const std::optional<nets::ClapProjection> projection = nets::find_clap_projection(graph, o.model);
  recipes::ClapAudioEncoder encoder(std::move(graph), o.model);
  if (projection) {
    if (projection->in != encoder.embedding_width()) {
      throw Error("model '" + o.model + "': its projection takes " +
                  std::to_string(projection->in) + " values, the encoder outputs " +
                  std::to_string(encoder.embedding_width()));
    }
    encoder.set_band_normalization(projection->mel_scale, projection->mel_shift);
  } else {
    std::fprintf(stderr,
                 "tinyscale: warning: '%s' carries no %s metadata; ranking its %d-value audio "
                 "embedding without the projection\n",
                 o.model.c_str(), nets::kClapProjectionMetadata, encoder.embedding_width());
  }
  const int width = projection ? projection->out : encoder.embedding_width();
  const recipes::ClassEmbeddings classes = recipes::read_class_embeddings(o.classes, width);
  const recipes::Audio audio = recipes::read_audio(o.audio, encoder.sample_rate());
  if (audio.samples.size() > static_cast<std::size_t>(encoder.clip_samples()) * 101 / 100) {
    std::fprintf(stderr, "tinyscale: note: '%s' lasts %.2f s; embedding its first %.2f s\n",
                 o.audio.c_str(), audio.seconds(),
                 static_cast<double>(encoder.clip_samples()) / encoder.sample_rate());
  }

  std::vector<float> embedding = encoder.embed(audio.samples);
  if (projection) embedding = recipes::clap_project(embedding, weights_of(*projection));
  recipes::l2_normalize(embedding);
  const auto top = recipes::rank_classes(embedding, classes, o.top);

  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = o.model;
    j["audio"] = o.audio;
    j["audio_seconds"] = audio.seconds();
    j["projection"] = projection.has_value();
    j["embedding_width"] = width;
    j["classes"] = classes.labels.size();
    j["top"] = nlohmann::ordered_json::array();
    for (const auto& s : top) {
      j["top"].push_back({{"label", s.label}, {"index", s.index}, {"similarity", s.similarity}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  for (const auto& s : top) std::printf("%-24s %+.4f\n", s.label.c_str(), s.similarity);
}

// ---------------------------------------------------------------- clap-export

struct ExportOptions {
  std::string output, calib;
  bool quiet = false;
  nets::TinyClapConfig config;
  std::uint64_t seed = 0;
  int synthetic_samples = 8;
  std::string init = "data";
};

bool is_audio_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".wav" || ext == ".flac" || ext == ".ogg" || ext == ".aiff" || ext == ".aif";
}

// Seeded clips that exercise the whole dB range of the front end: 1-3 tones at 60 Hz-12 kHz
// plus white noise, peak levels from -60 dBFS to -3 dBFS.
std::vector<std::vector<float>> synthetic_clips(int count, int samples, int rate) {
  std::mt19937 rng(20240);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::vector<std::vector<float>> clips;
  for (int c = 0; c < count; ++c) {
    const double level = std::pow(10.0, (-60.0 + 57.0 * unit(rng)) / 20.0);
    const int tones = 1 + static_cast<int>(rng() % 3);
    std::vector<double> hz(static_cast<std::size_t>(tones));
    for (double& f : hz) f = 60.0 * std::pow(200.0, unit(rng));
    const double noise = unit(rng);
    std::vector<float> clip(static_cast<std::size_t>(samples));
    for (std::size_t n = 0; n < clip.size(); ++n) {
      double v = noise * gauss(rng) / 3.0;
      for (double f : hz) v += std::sin(2.0 * M_PI * f * static_cast<double>(n) / rate) / tones;
      clip[n] = static_cast<float>(std::clamp(level * v, -1.0, 1.0));
    }
    clips.push_back(std::move(clip));
  }
  return clips;
}

// bn0 from the calibration features (--init data): per mel band, running mean and variance
// the band's population statistics, gamma absorbing eps (as exporter::data_dependent_init
// does), so every band enters the encoder with mean 0 and variance 1.
void set_band_normalization(const std::vector<std::vector<float>>& features,
                            nets::ClapProjection* p) {
  const std::size_t bands = p->mel_scale.size();
  if (bands == 0) return;
  std::vector<double> sum(bands, 0.0), sum_sq(bands, 0.0);
  double count = 0;
  for (const std::vector<float>& x : features) {
    for (std::size_t k = 0; k < x.size(); ++k) {
      sum[k % bands] += x[k];
      sum_sq[k % bands] += static_cast<double>(x[k]) * x[k];
    }
    count += static_cast<double>(x.size() / bands);
  }
  for (std::size_t m = 0; m < bands; ++m) {
    const double mean = sum[m] / count;
    const double var = std::max(0.0, sum_sq[m] / count - mean * mean);
    const double scale =
        var > 1e-10 * mean * mean + 1e-24 ? 1.0 / std::sqrt(var) : 1.0 / std::sqrt(1.0 + 1e-5);
    p->mel_scale[m] = static_cast<float>(scale);
    p->mel_shift[m] = static_cast<float>(-mean * scale);
  }
}

std::vector<std::vector<float>> calibration_features(const ExportOptions& o,
                                                     nets::ClapProjection& p) {
  const recipes::LogMelFrontEnd front_end(
      recipes::clap_log_mel_config(o.config.frames, o.config.n_mels));
  const int rate = front_end.config().sample_rate;
  std::vector<std::vector<float>> clips;
  if (o.calib.empty()) {
    if (o.synthetic_samples < 1) throw Error("--calib-samples must be ≥ 1");
    std::fprintf(stderr,
                 "tinyscale: warning: no --calib directory; calibrating on %d synthetic clips "
                 "(tones + noise; recordings of the target sounds set better ranges)\n",
                 o.synthetic_samples);
    clips = synthetic_clips(o.synthetic_samples, front_end.config().clip_samples, rate);
  } else {
    if (!std::filesystem::is_directory(o.calib))
      throw Error("--calib '" + o.calib + "' is not a directory");
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(o.calib)) {
      if (entry.is_regular_file() && is_audio_file(entry.path())) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      throw Error("--calib '" + o.calib + "' holds no audio files (.wav, .flac, .ogg, .aiff)");
    }
    for (const auto& file : files)
      clips.push_back(recipes::read_audio(file.string(), rate).samples);
  }
  std::vector<std::vector<float>> samples;
  for (const auto& clip : clips) samples.push_back(front_end.compute(clip));
  if (o.init == "data") set_band_normalization(samples, &p);
  for (std::vector<float>& x : samples) {
    const std::size_t bands = p.mel_scale.size();
    for (std::size_t k = 0; bands > 0 && k < x.size(); ++k)
      x[k] = x[k] * p.mel_scale[k % bands] + p.mel_shift[k % bands];
  }
  return samples;
}

void report_progress(void* progress, int done, int) {
  static_cast<Progress*>(progress)->update(done);
}

void run_clap_export(const ExportOptions& o) {
  check_output_paths(
      {{"--calib folder", o.calib}},
      {{.option = "-o", .path = o.output, .extensions = {".tflite"}, .kind = "a TFLite model"}});
  core::Graph float_graph =
      nets::build_tinyclap_encoder(o.config, {.materialize_weights = true, .seed = o.seed});
  nets::ClapProjection projection = nets::init_clap_projection(o.config, o.seed + 1);
  const std::vector<std::vector<float>> calibration = calibration_features(o, projection);
  if (o.init == "data") {
    std::printf("init: %s; bn0 from the features' band statistics\n",
                exporter::data_dependent_init(float_graph, calibration).summary().c_str());
  } else {
    std::printf("init: %s\n", kPytorchInitSummary);
  }
  std::fflush(stdout);  // before the calibration's progress on stderr
  Progress progress("calibrating", static_cast<long long>(calibration.size()), o.quiet, "samples");
  exporter::QuantizeOptions options;
  options.progress = report_progress;
  options.progress_user = &progress;
  exporter::QuantizeResult quantized =
      exporter::quantize_with_warnings(float_graph, calibration, options);
  for (const std::string& warning : quantized.warnings)
    std::fprintf(stderr, "tinyscale: warning: %s\n", warning.c_str());
  core::Graph q = std::move(quantized.graph);
  const std::vector<std::uint8_t> blob = nets::serialize_clap_projection(projection);
  q.metadata.push_back({nets::kClapProjectionMetadata, blob});
  exporter::write_tflite(q, o.output);

  // The figures of the file as written, loaded and compiled as `clap` will run it.
  const core::Graph written = load_model(o.output);
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(written, {}, error, sizeof error) != engine::Status::ok)
    throw Error(o.output + ": " + error);
  std::int64_t macs = 0, params = 0;
  for (const core::Node& n : written.nodes) macs += core::op_info(n.op).macs(written, n);
  for (const core::Tensor& t : written.tensors) {
    if (t.is_constant) params += core::num_elements(t.shape);
  }
  const engine::TflmArena tflm = tflm_arena_of_file(o.output, engine::TflmKernels::cmsis_nn);
  std::printf(
      "wrote %s: int8 tinyCLAP encoder %s -> %d, projection %d -> %d in metadata (%s B)\n"
      "  FLASH %s B (the file)   RAM %s B (TFLite Micro's arena, cmsis-nn kernels%s; engine %s "
      "B)   params %s (int8 graph)   MACs %s\n",
      o.output.c_str(), core::shape_string(written.tensor(written.inputs[0]).shape).c_str(),
      o.config.audio_embedding, projection.in, projection.out,
      group_digits(static_cast<std::int64_t>(blob.size())).c_str(),
      group_digits(static_cast<std::int64_t>(std::filesystem::file_size(o.output))).c_str(),
      group_digits(tflm.used_bytes).c_str(), tflm.exact ? "" : ", not exact",
      group_digits(model.arena_bytes()).c_str(), group_digits(params).c_str(),
      group_digits(macs).c_str());
}

}  // namespace

Command add_clap_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "clap",
      "tinyCLAP zero-shot audio classification: rank classes by the cosine similarity "
      "of their text embeddings with the recording's audio embedding");
  auto o = std::make_shared<ClapOptions>();
  cmd->add_option("model", o->model, "tinyCLAP audio encoder (.tflite from clap-export)")
      ->required();
  cmd->add_option("audio", o->audio, "Recording (WAV, FLAC, ... anything libsndfile reads)")
      ->required();
  cmd->add_option("--classes", o->classes,
                  "Class text embeddings: JSON {\"label\": [numbers...], ...}")
      ->required();
  cmd->add_option("--top", o->top, "How many classes to print (default 5)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o->json, "Print as JSON");
  return [o] { run_clap(*o); };
}

Command add_clap_export_command(CLI::App& app) {
  CLI::App* cmd =
      app.add_subcommand("clap-export",
                         "Build tinyCLAP's student audio encoder and write it as int8 TFLite with "
                         "its float projection in the file's metadata");
  auto o = std::make_shared<ExportOptions>();
  nets::TinyClapConfig& c = o->config;
  cmd->add_option("-o,--output", o->output, "Output .tflite")->required();
  cmd->add_option("--alpha", c.alpha, "PhiNet width multiplier α (default 1.5)");
  cmd->add_option("--beta", c.beta, "PhiNet shape factor β (default 0.75)");
  cmd->add_option("--t0", c.t_zero, "PhiNet base expansion t0 (default 6)");
  cmd->add_option("--num-layers", c.num_layers, "PhiNet depth N (default 7)");
  cmd->add_option("--embedding", c.audio_embedding, "Audio embedding width (default 2048)");
  cmd->add_option("--shared", c.shared_embedding, "Shared embedding width (default 1024)");
  cmd->add_option("--frames", c.frames,
                  "Log-mel frames the model reads (default 690 = 5 s at 44.1 kHz, hop 320)");
  cmd->add_option("--mels", c.n_mels, "Mel bands (default 64)");
  cmd->add_option("--seed", o->seed, "Seed of the weight initialization (default 0)");
  add_init_option(cmd, o->init);
  cmd->add_option("--calib", o->calib, "Directory of calibration recordings (.wav, .flac, ...)");
  cmd->add_option("--calib-samples", o->synthetic_samples,
                  "Synthetic clips when --calib is absent (default 8)");
  cmd->add_flag("-q,--quiet", o->quiet, "No calibration progress on stderr");
  return [o] { run_clap_export(*o); };
}

}  // namespace tinyscale::cli
