// `tinyscale kws`: keyword spotting on a recording with a KWS model (MLPerf Tiny's DS-CNN or
// any model on the 49x10 MFCC / <frames>x64 log-mel map; recipes/kws.h).
//
//   tinyscale kws model.tflite yes.wav --labels data/kws_labels.txt [--top 3] [--json]
//       the top keywords of the recording's first window, "label probability" per line
//   tinyscale kws model.tflite speech.wav --labels ... --stream [--hop 0.1] [--smooth 3]
//       [--threshold 0.5] [--refractory 1.0] [--json]
//       keywords found in a long recording, "time_s label probability" per line
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/model_loader.h"
#include "cli/progress.h"
#include "recipes/audio_io.h"
#include "recipes/kws.h"
#include "recipes/kws_stream.h"
#include "recipes/labels.h"

namespace tinyscale::cli {
namespace {

struct KwsOptions {
  std::string model, audio, labels;
  int top = 3;
  bool json = false;
  bool stream = false;
  bool quiet = false;
  recipes::StreamOptions streaming;
};

// Recordings at least this long show their scanning progress (a line per tenth of them
// when stderr is not a terminal); shorter ones finish in a few seconds.
constexpr double kProgressFromSeconds = 60.0;

nlohmann::ordered_json header_json(const KwsOptions& o, const recipes::KeywordSpotter& spotter,
                                   const recipes::Audio& audio) {
  nlohmann::ordered_json j;
  j["model"] = o.model;
  j["audio"] = o.audio;
  j["front_end"] = recipes::kws_front_end_name(spotter.front_end());
  j["sample_rate"] = spotter.sample_rate();
  j["audio_seconds"] = audio.seconds();
  j["window_seconds"] = spotter.window_seconds();
  return j;
}

void classify_once(const KwsOptions& o, recipes::KeywordSpotter& spotter,
                   const recipes::Audio& audio) {
  if (audio.samples.size() > static_cast<std::size_t>(spotter.window_samples()) * 101 / 100) {
    std::fprintf(stderr,
                 "tinyscale: note: '%s' lasts %.2f s; classifying its first %.2f s "
                 "(--stream scans the whole recording)\n",
                 o.audio.c_str(), audio.seconds(), spotter.window_seconds());
  }
  const std::vector<float> probabilities = spotter.classify(audio.samples);
  const auto top = recipes::top_keywords(probabilities, spotter.labels(), o.top);
  if (o.json) {
    nlohmann::ordered_json j = header_json(o, spotter, audio);
    j["top"] = nlohmann::ordered_json::array();
    for (const auto& k : top) {
      j["top"].push_back({{"label", k.label}, {"index", k.index}, {"probability", k.probability}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  for (const auto& k : top) std::printf("%-12s %.4f\n", k.label.c_str(), k.probability);
}

void stream(const KwsOptions& o, recipes::KeywordSpotter& spotter, const recipes::Audio& audio) {
  std::optional<Progress> progress;
  if (audio.seconds() >= kProgressFromSeconds) {
    progress.emplace("scanning", std::llround(std::ceil(audio.seconds())), o.quiet,
                     "s of audio");
  }
  const auto windows = recipes::sliding_posteriors(
      spotter, audio.samples, o.streaming.hop_seconds, [&](double done, double total) {
        if (progress) progress->update(done >= total ? std::llround(std::ceil(total))
                                                     : std::llround(std::floor(done)));
      });
  const auto detections =
      recipes::detect_keywords(windows, spotter.labels(), spotter.window_seconds(), o.streaming);
  if (o.json) {
    nlohmann::ordered_json j = header_json(o, spotter, audio);
    j["hop_seconds"] = o.streaming.hop_seconds;
    j["smoothing_windows"] = o.streaming.smoothing_windows;
    j["threshold"] = o.streaming.threshold;
    j["refractory_seconds"] = o.streaming.refractory_seconds;
    j["windows"] = windows.size();
    j["detections"] = nlohmann::ordered_json::array();
    for (const auto& d : detections) {
      j["detections"].push_back({{"time_seconds", std::round(d.time_seconds * 1000) / 1000},
                                 {"label", d.label},
                                 {"index", d.index},
                                 {"probability", d.probability}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  if (detections.empty()) {
    std::printf("no keyword reached the threshold %.2f in %zu windows\n", o.streaming.threshold,
                windows.size());
  }
  for (const auto& d : detections) {
    std::printf("%7.2f s  %-12s %.4f\n", d.time_seconds, d.label.c_str(), d.probability);
  }
}

void run_kws(const KwsOptions& o) {
  if (o.stream) recipes::check_stream_options(o.streaming);
  std::vector<std::string> labels = recipes::read_labels(o.labels);
  recipes::KeywordSpotter spotter(load_model(o.model), o.model, std::move(labels), o.labels);
  const recipes::Audio audio = recipes::read_audio(o.audio, spotter.sample_rate());
  if (o.stream) {
    stream(o, spotter, audio);
  } else {
    classify_once(o, spotter, audio);
  }
}

}  // namespace

Command add_kws_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "kws",
      "Keyword spotting: the top keywords of a recording, or (--stream) keywords with "
      "their times in a long one");
  auto o = std::make_shared<KwsOptions>();
  cmd->add_option("model", o->model,
                  "KWS model (.tflite, or a float .onnx) on 49x10 MFCC or <frames>x64 log-mel")
      ->required();
  cmd->add_option("audio", o->audio, "Recording (WAV, FLAC, ... anything libsndfile reads)")
      ->required();
  cmd->add_option("--labels", o->labels, "Labels file, one per model output (data/kws_labels.txt)")
      ->required();
  cmd->add_option("--top", o->top, "How many keywords to print (default 3)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o->json, "Print as JSON");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr (--stream over long recordings)");
  CLI::Option* stream = cmd->add_flag("--stream", o->stream,
                                      "Slide windows over a long recording and report "
                                      "keywords with their times");
  cmd->add_option("--hop", o->streaming.hop_seconds, "Seconds between windows (default 0.1)")
      ->needs(stream);
  cmd->add_option("--smooth", o->streaming.smoothing_windows,
                  "Windows averaged per posterior (default 3; 1 = no smoothing)")
      ->needs(stream);
  cmd->add_option("--threshold", o->streaming.threshold,
                  "Smoothed probability a keyword must reach (default 0.5)")
      ->needs(stream);
  cmd->add_option("--refractory", o->streaming.refractory_seconds,
                  "Seconds after a detection in which no other fires (default 1.0)")
      ->needs(stream);
  return [o] { run_kws(*o); };
}

}  // namespace tinyscale::cli
