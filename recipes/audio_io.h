// Audio files in and out for the audio recipes.
//
// Reading goes through libsndfile, so anything it reads works (WAV, FLAC, OGG, AIFF, ...).
// Samples come back as float mono in [-1, 1] (libsndfile's normalization: 16-bit PCM is
// divided by 32768); several channels are mixed down by averaging them. Resampling to the
// model's rate goes through libsamplerate with SRC_SINC_MEDIUM_QUALITY: its pass band (90 %
// of the output Nyquist frequency, 97 dB stop band) covers every band the front ends look at
// (MFCC up to 4 kHz of 8 kHz at 16 kHz; log-mel up to 14 kHz of 22.05 kHz at 44.1 kHz), and it
// runs 3.5x faster than SRC_SINC_BEST_QUALITY (5 s from 44.1 to 16 kHz: 0.12 s against 0.43 s
// here), whose wider pass band (97 %) only adds content above what the filterbanks keep.
//
// Every failure throws tinyscale::Error with one line that names the file: missing, empty
// (0 bytes or 0 frames), not audio (libsndfile's reason), truncated (a WAV whose data chunk
// is shorter than its header says, or a decoder error / short read, with libsndfile's
// reason), or a rate that cannot be resampled (a 0 Hz header, ratios outside libsamplerate's
// 1/256..256), or a NaN or infinite sample (a float WAV can hold them; the message gives the
// first one's index, in frames from the start). Streamed WAVs whose header carries a
// placeholder length (espeak-ng --stdout, 0x7ffff000) are accepted.
//
// Writing (for the project's own sample generation): 16-bit PCM mono WAV, samples clipped to
// [-1, 1] and rounded to the nearest of x · 32767; the file is encoded in memory and written
// with core::write_bytes_atomically, so the target is either complete or untouched.
//
// Usage:
//   recipes::Audio audio = recipes::read_audio("yes.wav", 16000);  // mono, resampled
//   recipes::write_wav("tone.wav", samples, 16000);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tinyscale::recipes {

struct Audio {
  std::vector<float> samples;  // mono
  int sample_rate = 0;
  double seconds() const {
    return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate : 0.0;
  }
};

// Reads `path` at its own rate (channels averaged).
Audio read_audio(const std::string& path);
// Decodes an audio file held in memory (what read_audio does after reading the file);
// `origin` names it in error messages.
Audio decode_audio(std::span<const std::uint8_t> bytes, const std::string& origin);
// Reads `path` and resamples it to `sample_rate` (no resampling when the rates agree).
Audio read_audio(const std::string& path, int sample_rate);

// Resamples `samples` from `from_rate` to `to_rate` with libsamplerate (SINC_MEDIUM).
// `origin` names the source in the error thrown for an impossible ratio.
std::vector<float> resample(std::span<const float> samples, int from_rate, int to_rate,
                            const std::string& origin);

// Writes a 16-bit PCM mono WAV atomically. Throws tinyscale::Error naming the path.
void write_wav(const std::string& path, std::span<const float> samples, int sample_rate);

}  // namespace tinyscale::recipes
