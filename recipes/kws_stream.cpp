#include "recipes/kws_stream.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"

namespace tinyscale::recipes {

void check_stream_options(const StreamOptions& o) {
  if (!(o.hop_seconds > 0) || !std::isfinite(o.hop_seconds)) {
    throw Error("streaming: hop must be a positive number of seconds, got " +
                number_text(o.hop_seconds));
  }
  if (o.smoothing_windows < 1) {
    throw Error("streaming: smoothing must average at least 1 window, got " +
                std::to_string(o.smoothing_windows));
  }
  if (!(o.threshold >= 0.0f && o.threshold <= 1.0f)) {
    throw Error("streaming: threshold must be a probability in [0, 1], got " +
                number_text(o.threshold));
  }
  if (!(o.refractory_seconds >= 0) || !std::isfinite(o.refractory_seconds)) {
    throw Error("streaming: refractory period must be >= 0 seconds, got " +
                number_text(o.refractory_seconds));
  }
}

bool is_filler_label(const std::string& label) {
  std::string name;
  for (char c : label) {
    if (c != '_') name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name == "silence" || name == "unknown";
}

std::vector<WindowPosteriors> sliding_posteriors(KeywordSpotter& spotter,
                                                 std::span<const float> audio, double hop_seconds,
                                                 const StreamProgress& progress) {
  StreamOptions check;
  check.hop_seconds = hop_seconds;
  check_stream_options(check);
  const auto window = static_cast<std::size_t>(spotter.window_samples());
  const auto hop = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::lround(hop_seconds * spotter.sample_rate())));
  std::vector<WindowPosteriors> windows;
  for (std::size_t start = 0;; start += hop) {
    const std::size_t available = start < audio.size() ? audio.size() - start : 0;
    const std::span<const float> slice =
        audio.subspan(std::min(start, audio.size()), std::min(window, available));
    windows.push_back(
        {static_cast<double>(start) / spotter.sample_rate(), spotter.classify(slice)});
    if (progress) {
      const double rate = spotter.sample_rate();
      progress(static_cast<double>(std::min(start + window, audio.size())) / rate,
               static_cast<double>(audio.size()) / rate);
    }
    if (start + window >= audio.size()) break;
  }
  return windows;
}

std::vector<KeywordDetection> detect_keywords(std::span<const WindowPosteriors> windows,
                                              const std::vector<std::string>& labels,
                                              double window_seconds, const StreamOptions& options) {
  check_stream_options(options);
  std::vector<bool> filler(labels.size());
  for (std::size_t k = 0; k < labels.size(); ++k) filler[k] = is_filler_label(labels[k]);
  for (const WindowPosteriors& w : windows) {
    if (w.probabilities.size() != labels.size()) {
      throw Error("streaming: window at " + number_text(w.start_seconds) + " s has " +
                  std::to_string(w.probabilities.size()) + " posteriors for " +
                  std::to_string(labels.size()) + " labels");
    }
  }

  std::vector<KeywordDetection> detections;
  bool in_event = false;       // the last detection's keyword is still at or above the threshold
  double plateau_start = 0.0;  // first time the event reached its current peak
  const auto span = static_cast<std::size_t>(options.smoothing_windows);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const std::size_t first = i + 1 >= span ? i + 1 - span : 0;
    int best = -1;
    float best_probability = -1.0f;
    for (std::size_t k = 0; k < labels.size(); ++k) {
      if (filler[k]) continue;
      double sum = 0.0;
      for (std::size_t j = first; j <= i; ++j) sum += windows[j].probabilities[k];
      const auto smoothed = static_cast<float>(sum / static_cast<double>(i - first + 1));
      if (smoothed > best_probability) {
        best_probability = smoothed;
        best = static_cast<int>(k);
      }
    }
    const double time =
        (windows[first].start_seconds + windows[i].start_seconds) / 2 + window_seconds / 2;
    if (best < 0 || best_probability < options.threshold) {
      in_event = false;
      continue;
    }
    if (in_event && detections.back().index == best) {
      // Same event: follow its peak; a flat top (int8 posteriors saturate at 255/256)
      // reports the middle of the plateau.
      KeywordDetection& d = detections.back();
      if (best_probability > d.probability) {
        d.probability = best_probability;
        plateau_start = d.time_seconds = time;
      } else if (best_probability == d.probability) {
        d.time_seconds = (plateau_start + time) / 2;
      }
      continue;
    }
    in_event = false;
    if (!detections.empty() && time - detections.back().time_seconds < options.refractory_seconds) {
      continue;
    }
    detections.push_back({best, labels[static_cast<std::size_t>(best)], time, best_probability});
    plateau_start = time;
    in_event = true;
  }
  return detections;
}

std::vector<KeywordDetection> spot_keywords(KeywordSpotter& spotter, std::span<const float> audio,
                                            const StreamOptions& options) {
  check_stream_options(options);
  const std::vector<WindowPosteriors> windows =
      sliding_posteriors(spotter, audio, options.hop_seconds);
  return detect_keywords(windows, spotter.labels(), spotter.window_seconds(), options);
}

}  // namespace tinyscale::recipes
