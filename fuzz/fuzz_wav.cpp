// libFuzzer harness: bytes -> audio decoding (recipes/audio_io.h, libsndfile from memory) ->
// resampling -> the keyword-spotting front ends, as `tinyscale kws` and `tinyscale clap` go:
// MLPerf's MFCC at 16 kHz (49 x 10) and tinyCLAP's log-mel at 44.1 kHz for the 138 frames of
// a ~1 s model (recipes/kws.h). A tinyscale::Error is a clean rejection; anything else is a
// finding.
//
// The front ends cost ~40 ms per input under the sanitizers and coverage, whatever the input
// (they always read a fixed 1 s clip and only see finite sample values), while decoding and
// resampling, where sizes and rates come from the file, take well under a millisecond. With
// TINYSCALE_FUZZ_WAV_DECODE_ONLY=1 in the environment the harness stops after resampling, for
// the long runs (fuzz/README.md); the corpus replay runs the whole path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/error.h"
#include "recipes/audio_io.h"
#include "recipes/log_mel.h"
#include "recipes/mfcc.h"

namespace {

namespace recipes = tinyscale::recipes;

const recipes::LogMelFrontEnd& kws_log_mel() {
  static const recipes::LogMelFrontEnd front_end(
      {.clip_samples = 137 * 320});  // F = 138 frames: (F - 1) * hop samples
  return front_end;
}

}  // namespace

// libsndfile (1.2.0) leaks libvorbis' decoder state when it gives up on a corrupt Ogg Vorbis
// header (reproducer fuzz/corpus/fuzz_wav/ogg_vorbis_leak_in_libsndfile.ogg): a third-party
// leak of a few KiB per refused file, reported in fuzz/README.md, not a tinyscale one.
extern "C" const char* __lsan_default_suppressions() { return "leak:libvorbis.so\n"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const recipes::MfccFrontEnd mfcc;
  static const bool decode_only = [] {
    const char* value = std::getenv("TINYSCALE_FUZZ_WAV_DECODE_ONLY");
    return value != nullptr && value[0] == '1';
  }();
  try {
    const recipes::Audio audio = recipes::decode_audio(std::span(data, size), "fuzz.wav");
    const std::vector<float> at_16k =
        recipes::resample(audio.samples, audio.sample_rate, 16000, "fuzz.wav");
    const std::vector<float> at_44k =
        recipes::resample(audio.samples, audio.sample_rate, 44100, "fuzz.wav");
    if (decode_only) return 0;
    (void)mfcc.compute(at_16k);
    (void)kws_log_mel().compute(at_44k);
  } catch (const tinyscale::Error&) {
  }
  return 0;
}
