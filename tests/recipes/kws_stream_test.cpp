// recipes/kws_stream: smoothing, threshold, refractory period and filler classes on posterior
// sequences written out by hand, and the window positions over a recording.
#include "recipes/kws_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/errors.h"

namespace tinyscale::recipes {
namespace {

using testing_support::error_of;
using testing_support::expect_contains;

const std::vector<std::string> kLabels{"go", "stop", "_silence_", "Unknown"};

// Windows every 0.1 s; each row is (go, stop, silence, unknown).
std::vector<WindowPosteriors> windows(const std::vector<std::vector<float>>& rows) {
  std::vector<WindowPosteriors> w;
  for (std::size_t i = 0; i < rows.size(); ++i)
    w.push_back({0.1 * static_cast<double>(i), rows[i]});
  return w;
}

StreamOptions options(int smoothing, float threshold, double refractory) {
  StreamOptions o;
  o.hop_seconds = 0.1;
  o.smoothing_windows = smoothing;
  o.threshold = threshold;
  o.refractory_seconds = refractory;
  return o;
}

const std::vector<float> kNone{0.0f, 0.0f, 0.1f, 0.9f};
const std::vector<float> kGo{0.9f, 0.0f, 0.0f, 0.1f};
const std::vector<float> kStop{0.0f, 0.8f, 0.0f, 0.2f};

TEST(KwsStream, FillerLabelsInEveryCommonSpelling) {
  for (const char* name : {"silence", "_silence_", "Silence", "unknown", "_unknown_", "UNKNOWN"}) {
    EXPECT_TRUE(is_filler_label(name)) << name;
  }
  for (const char* name : {"yes", "no", "silent", "unknown_word"}) {
    EXPECT_FALSE(is_filler_label(name)) << name;
  }
}

TEST(KwsStream, OneEventIsReportedOnceAtTheMiddleOfItsPlateau) {
  // go holds 0.9 in windows 2..4 (starts 0.2..0.4 s, centres 0.7..0.9 s with 1 s windows).
  const auto d = detect_keywords(windows({kNone, kNone, kGo, kGo, kGo, kNone}), kLabels, 1.0,
                                 options(1, 0.5f, 1.0));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].label, "go");
  EXPECT_NEAR(d[0].time_seconds, 0.8, 1e-9);
  EXPECT_FLOAT_EQ(d[0].probability, 0.9f);
}

TEST(KwsStream, SmoothingStopsASingleWindowBlip) {
  const auto w = windows({kNone, kNone, kGo, kNone, kNone});
  EXPECT_EQ(detect_keywords(w, kLabels, 1.0, options(1, 0.5f, 1.0)).size(), 1u);
  // mean over 3 windows: 0.9 / 3 = 0.3 < 0.5
  EXPECT_TRUE(detect_keywords(w, kLabels, 1.0, options(3, 0.5f, 1.0)).empty());
  // Two neighbouring windows reach (0.9 + 0.9) / 3 = 0.6 twice: smoothed over windows 0..2
  // (time (0.0 + 0.2) / 2 + 0.5 = 0.6 s) and 1..3 (0.7 s); the plateau's middle is 0.65 s.
  const auto two =
      detect_keywords(windows({kNone, kGo, kGo, kNone}), kLabels, 1.0, options(3, 0.5f, 1.0));
  ASSERT_EQ(two.size(), 1u);
  EXPECT_NEAR(two[0].probability, 0.6f, 1e-6);
  EXPECT_NEAR(two[0].time_seconds, 0.65, 1e-9);
}

TEST(KwsStream, RefractoryPeriodSuppressesTheNextKeyword) {
  // go at window 1 (0.6 s), stop at window 5 (1.0 s) and window 12 (1.7 s)
  std::vector<std::vector<float>> rows(14, kNone);
  rows[1] = kGo;
  rows[5] = kStop;
  rows[12] = kStop;
  const auto d = detect_keywords(windows(rows), kLabels, 1.0, options(1, 0.5f, 1.0));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].label, "go");
  EXPECT_EQ(d[1].label, "stop");
  EXPECT_NEAR(d[1].time_seconds, 1.7, 1e-9);
  EXPECT_EQ(detect_keywords(windows(rows), kLabels, 1.0, options(1, 0.5f, 0.0)).size(), 3u);
}

TEST(KwsStream, FillerClassesNeverFireAndThresholdApplies) {
  const std::vector<float> loud_silence{0.2f, 0.0f, 0.8f, 0.0f};
  EXPECT_TRUE(
      detect_keywords(windows({loud_silence, loud_silence}), kLabels, 1.0, options(1, 0.1f, 1.0))
          .size() == 1u);  // go at 0.2 passes a 0.1 threshold; silence never reports
  EXPECT_TRUE(
      detect_keywords(windows({loud_silence}), kLabels, 1.0, options(1, 0.5f, 1.0)).empty());
}

TEST(KwsStream, WindowsStartEveryHopUntilOneReachesTheEnd) {
  // A 49x10-input float model (zero weights, bias logits): 1 s windows at 16 kHz.
  core::Graph g;
  const int x = g.add_input("features", {1, 49, 10, 1});
  const std::vector<float> weights(4 * 490, 0.0f), bias{0.0f, 0.0f, 0.0f, 0.0f};
  const int w = g.add_constant("fc.weight", {4, 490}, weights);
  const int b = g.add_constant("fc.bias", {4}, bias);
  core::Attributes flat;
  flat.new_shape = {1, -1};
  const int x_flat = g.add_node(core::OpType::reshape, "flatten", {x}, flat);
  g.mark_output(g.add_node(core::OpType::fully_connected, "fc", {x_flat, w, b}));
  KeywordSpotter spotter(std::move(g), "fc", kLabels, "labels");
  // 2.5 s at hop 0.5 s: starts 0, 0.5, 1.0, 1.5 (the last reaches 2.5 s)
  const auto w25 = sliding_posteriors(spotter, std::vector<float>(40000, 0.1f), 0.5);
  ASSERT_EQ(w25.size(), 4u);
  EXPECT_DOUBLE_EQ(w25[3].start_seconds, 1.5);
  EXPECT_NEAR(w25[3].probabilities[0], 0.25f, 1e-6);  // softmax of equal logits
  // shorter than a window: one (zero-padded) window
  EXPECT_EQ(sliding_posteriors(spotter, std::vector<float>(4000, 0.1f), 0.5).size(), 1u);
  // Progress: after each window, the seconds scanned (the window's end, capped at the
  // recording's length) of the recording's 2.5 s.
  std::vector<double> done;
  (void)sliding_posteriors(spotter, std::vector<float>(40000, 0.1f), 0.5,
                           [&](double seconds, double total) {
                             EXPECT_DOUBLE_EQ(total, 2.5);
                             done.push_back(seconds);
                           });
  EXPECT_EQ(done, (std::vector<double>{1.0, 1.5, 2.0, 2.5}));
}

TEST(KwsStream, OptionsOutOfRangeAreErrors) {
  expect_contains(error_of([] { check_stream_options(options(0, 0.5f, 1.0)); }), "smoothing");
  expect_contains(error_of([] { check_stream_options(options(1, 1.5f, 1.0)); }), "threshold");
  expect_contains(error_of([] { check_stream_options(options(1, 0.5f, -1.0)); }), "refractory");
  StreamOptions o;
  o.hop_seconds = 0;
  expect_contains(error_of([&] { check_stream_options(o); }), "hop");
}

}  // namespace
}  // namespace tinyscale::recipes
