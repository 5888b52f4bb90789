// Keyword spotting over a long recording: sliding windows, posterior smoothing, a detection
// threshold and a refractory period (the scheme of Chen et al., "Small-footprint keyword
// spotting using deep neural networks", ICASSP 2014, and TFLite Micro's RecognizeCommands).
//
//   windows     the spotter's window (1 s for MFCC models) starts at 0, hop, 2·hop, ... up to
//               the first window that reaches the end of the recording (zero-padded there);
//               a recording shorter than one window gives one window.
//   smoothing   the posterior of window i is the mean of windows max(0, i-M+1)..i (M =
//               smoothing_windows, 1 = none); its time is the centre of that span:
//               (start_{i-M+1} + start_i) / 2 + window / 2.
//   filler      classes named silence or unknown (case-insensitive, with or without
//               surrounding underscores: "silence", "_silence_", "Unknown", "_unknown_") are
//               never reported; they still take probability mass from the keywords.
//   detection   an event starts when the keyword with the highest smoothed posterior
//               reaches the threshold, unless it falls within refractory_seconds of the
//               previous detection's time. It lasts while that keyword stays the best and at
//               or above the threshold, and is reported once: at its peak smoothed posterior
//               (a flat top, common since int8 posteriors saturate at 255/256, reports the
//               middle of the plateau).
//
// Defaults, for 1 s windows on 16 kHz speech: hop 0.1 s (10 inferences per second of audio;
// MLPerf's DS-CNN was trained on clips without time-shift augmentation, so its answer for a
// word can hold for only one or two window positions 0.125 s apart, and a coarser hop
// misses them), 3 windows of smoothing (0.2 s: one stray window cannot fire on its own, a
// word seen by two or three neighbouring windows does), threshold 0.5 (more than all other
// classes together), refractory 1 s (one detection per window length).
//
// Usage:
//   recipes::KeywordSpotter spotter(...);
//   recipes::Audio audio = recipes::read_audio("sentence.wav", spotter.sample_rate());
//   for (const auto& d : recipes::spot_keywords(spotter, audio.samples, {}))
//     std::printf("%.2f s  %s  %.3f\n", d.time_seconds, d.label.c_str(), d.probability);
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "recipes/kws.h"

namespace tinyscale::recipes {

struct StreamOptions {
  double hop_seconds = 0.1;
  int smoothing_windows = 3;
  float threshold = 0.5f;
  double refractory_seconds = 1.0;
};

struct WindowPosteriors {
  double start_seconds = 0.0;
  std::vector<float> probabilities;
};

// Not `Detection`: that is YOLO's (yolo_decode.h) in this namespace, and two classes of one
// name break the one-definition rule (found by the sanitizer build: std::vector's code for one
// served the other).
struct KeywordDetection {
  int index = 0;
  std::string label;
  double time_seconds = 0.0;
  float probability = 0.0f;  // smoothed
};

// Throws tinyscale::Error naming the option when it is out of range (hop <= 0, smoothing
// < 1, threshold outside [0, 1], refractory < 0).
void check_stream_options(const StreamOptions& options);

// True for the silence / unknown labels described above.
bool is_filler_label(const std::string& label);

// Called after each window (for a progress report): seconds of audio scanned (the window's
// end, at most the recording's length) and the recording's length in seconds.
using StreamProgress = std::function<void(double seconds_done, double seconds_total)>;

// Class probabilities of every sliding window of `audio` (at spotter.sample_rate()).
std::vector<WindowPosteriors> sliding_posteriors(KeywordSpotter& spotter,
                                                 std::span<const float> audio, double hop_seconds,
                                                 const StreamProgress& progress = {});

// Smoothing, threshold and refractory period over window posteriors (in time order).
std::vector<KeywordDetection> detect_keywords(std::span<const WindowPosteriors> windows,
                                              const std::vector<std::string>& labels,
                                              double window_seconds, const StreamOptions& options);

// sliding_posteriors + detect_keywords.
std::vector<KeywordDetection> spot_keywords(KeywordSpotter& spotter, std::span<const float> audio,
                                            const StreamOptions& options);

}  // namespace tinyscale::recipes
