#include "recipes/audio_io.h"

#include <samplerate.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <string_view>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/limits.h"

namespace tinyscale::recipes {

namespace {

std::string where(const std::string& path) { return "audio file '" + path + "': "; }

struct SndfileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

// Streamed WAV writers (espeak-ng --stdout, ffmpeg to a pipe) cannot seek back to patch the
// lengths and leave a placeholder; such a header is not a sign of truncation.
bool is_length_placeholder(long long declared) { return declared == 0 || declared >= 0x7ffff000LL; }

// libsndfile reads a WAV/AIFF whose audio chunk is cut short without an error: it trims the
// frame count and logs "data : <declared> (should be <present>)". A file cut mid-recording is
// a broken input for a recipe, so that log line is turned into an error.
std::string truncation_note(SNDFILE* file) {
  char log[8192] = "";
  sf_command(file, SFC_GET_LOG_INFO, log, sizeof log);
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("data :", 0) != 0 && line.rfind("SSND :", 0) != 0) continue;
    long long declared = 0, present = 0;
    const std::size_t should = line.find("(should be ");
    if (should == std::string::npos) continue;
    if (std::sscanf(line.c_str() + 6, "%lld", &declared) != 1) continue;
    if (std::sscanf(line.c_str() + should + 11, "%lld", &present) != 1) continue;
    if (declared > present && !is_length_placeholder(declared)) {
      return "truncated: the header declares " + std::to_string(declared) +
             " bytes of audio but the file holds " + std::to_string(present) + " (libsndfile: \"" +
             line + "\")";
    }
  }
  return "";
}

// One chunk header of an IFF-style container: RIFF / RF64 (WAV, little-endian), RIFX (WAV,
// big-endian) or FORM (AIFF, big-endian). `at` is the offset of its 8-byte header.
struct Chunk {
  std::string_view id;
  std::size_t at = 0;
  std::uint32_t size = 0;
};

// Calls visit(chunk) for each top-level chunk whose header is in `bytes`, in file order, until
// visit returns false, a chunk (with its pad byte) runs past the end, or the bytes end. Files
// that are not such a container have no chunks.
template <typename Visit>
void for_each_chunk(std::span<const std::uint8_t> bytes, Visit&& visit) {
  if (bytes.size() < 12) return;
  const std::string_view magic(reinterpret_cast<const char*>(bytes.data()), 4);
  const bool little = magic == "RIFF" || magic == "RF64";
  if (!little && magic != "RIFX" && magic != "FORM") return;
  const auto u32 = [&](std::size_t at) {
    const std::uint32_t b0 = bytes[at], b1 = bytes[at + 1], b2 = bytes[at + 2], b3 = bytes[at + 3];
    return little ? b0 | b1 << 8 | b2 << 16 | b3 << 24 : b3 | b2 << 8 | b1 << 16 | b0 << 24;
  };
  std::size_t at = 12;
  while (bytes.size() - at >= 8) {
    const Chunk chunk{{reinterpret_cast<const char*>(bytes.data() + at), 4}, at, u32(at + 4)};
    if (!visit(chunk)) return;
    const std::uint64_t next = std::uint64_t{at} + 8 + chunk.size + (chunk.size & 1);
    if (next > bytes.size()) return;
    at = static_cast<std::size_t>(next);
  }
}

// libsndfile 1.2.0 trusts the sizes of the chunks around the audio: a 67-byte WAV whose LIST
// chunk declares 4 GiB keeps sf_open_virtual busy for minutes (found by fuzz_wav). So every
// chunk other than the audio itself must fit in the file before libsndfile sees it. The audio
// chunk (WAV "data", AIFF "SSND") may run past the end: that is a truncated recording, which
// truncation_note() reports with the byte counts, or a streamed placeholder length.
std::string chunk_overrun(std::span<const std::uint8_t> bytes) {
  std::string problem;
  for_each_chunk(bytes, [&](const Chunk& chunk) {
    const std::uint64_t end = std::uint64_t{chunk.at} + 8 + chunk.size;
    if (end <= bytes.size()) return true;
    if (chunk.id != "data" && chunk.id != "SSND") {
      problem = "chunk '" + printable_text(chunk.id) + "' at byte " + std::to_string(chunk.at) +
                " declares " + std::to_string(chunk.size) + " bytes, but only " +
                std::to_string(bytes.size() - chunk.at - 8) + " follow its header in the " +
                std::to_string(bytes.size()) + "-byte file";
    }
    return false;
  });
  return problem;
}

// The sample rate a RIFF/WAVE header declares, or -1 when the bytes are not a WAV with a fmt
// chunk. Only used to explain why libsndfile refused a file (it rejects 0 Hz headers with
// "SF_INFO struct incomplete").
long long wav_header_rate(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    return -1;
  }
  long long rate = -1;
  for_each_chunk(bytes, [&](const Chunk& chunk) {
    if (chunk.id != "fmt ") return true;
    if (bytes.size() - chunk.at >= 16) {
      const std::uint8_t* p = bytes.data() + chunk.at + 12;
      rate = p[0] | p[1] << 8 | p[2] << 16 | static_cast<long long>(p[3]) << 24;
    }
    return false;
  });
  return rate;
}

// Frames as sf_count_t, for the header / libsndfile APIs; sizes here are far below 2^63.
sf_count_t frames_of(std::size_t n) { return static_cast<sf_count_t>(n); }

// An in-memory file for libsndfile's virtual I/O, so writes can go through
// core::write_bytes_atomically.
struct MemoryFile {
  std::vector<std::uint8_t> bytes;
  sf_count_t position = 0;
};

// A read-only view for decoding from memory.
struct MemoryReader {
  std::span<const std::uint8_t> bytes;
  sf_count_t position = 0;
};

// libsndfile's virtual I/O over either: File is MemoryFile or MemoryReader. When reading, the
// header being decoded is untrusted, so a seek offset from it is clamped instead of overflowing
// the position.
template <typename File>
sf_count_t memory_length(void* user) {
  return frames_of(static_cast<File*>(user)->bytes.size());
}

template <typename File>
sf_count_t memory_seek(sf_count_t offset, int whence, void* user) {
  auto* file = static_cast<File*>(user);
  const sf_count_t base = whence == SEEK_CUR   ? file->position
                          : whence == SEEK_END ? frames_of(file->bytes.size())
                                               : 0;
  const sf_count_t room = std::numeric_limits<sf_count_t>::max() - base;
  file->position = offset < -base  ? 0
                   : offset > room ? std::numeric_limits<sf_count_t>::max()
                                   : base + offset;
  return file->position;
}

template <typename File>
sf_count_t memory_read(void* destination, sf_count_t count, void* user) {
  auto* file = static_cast<File*>(user);
  const sf_count_t available =
      std::max<sf_count_t>(0, frames_of(file->bytes.size()) - file->position);
  const sf_count_t n = std::clamp<sf_count_t>(count, 0, available);
  if (n > 0) {
    std::memcpy(destination, file->bytes.data() + file->position, static_cast<std::size_t>(n));
  }
  file->position += n;
  return n;
}

template <typename File>
sf_count_t memory_tell(void* user) {
  return static_cast<File*>(user)->position;
}

sf_count_t memory_write(const void* source, sf_count_t count, void* user) {
  auto* file = static_cast<MemoryFile*>(user);
  const auto end = static_cast<std::size_t>(file->position + count);
  if (end > file->bytes.size()) file->bytes.resize(end);
  std::memcpy(file->bytes.data() + file->position, source, static_cast<std::size_t>(count));
  file->position += count;
  return count;
}

sf_count_t no_write(const void*, sf_count_t, void*) { return 0; }

}  // namespace

Audio read_audio(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(where(path) + "no such file");
  if (std::filesystem::is_directory(path, ec)) throw Error(where(path) + "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(where(path) + "cannot open it (" + std::strerror(errno) + ")");
  // Sized before it is read whole.
  if (const std::uintmax_t size = std::filesystem::file_size(path, ec);
      !ec && size > static_cast<std::uintmax_t>(core::kMaxAudioFileBytes)) {
    throw Error(core::limit_error("audio file '" + path + "'", static_cast<std::int64_t>(size),
                                  core::kMaxAudioFileBytes, "kMaxAudioFileBytes",
                                  "for an audio file"));
  }
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  if (in.bad()) throw Error(where(path) + "cannot read it (" + std::strerror(errno) + ")");
  return decode_audio(bytes, path);
}

Audio decode_audio(std::span<const std::uint8_t> bytes, const std::string& origin) {
  if (bytes.empty()) throw Error(where(origin) + "empty file (0 bytes)");
  if (const std::string overrun = chunk_overrun(bytes); !overrun.empty()) {
    throw Error(where(origin) + overrun);
  }

  MemoryReader reader{bytes};
  SF_VIRTUAL_IO io{memory_length<MemoryReader>, memory_seek<MemoryReader>,
                   memory_read<MemoryReader>, no_write, memory_tell<MemoryReader>};
  SF_INFO info{};
  SndfileHandle file(sf_open_virtual(&io, SFM_READ, &info, &reader));
  if (!file) {
    const std::string reason = sf_strerror(nullptr);
    if (wav_header_rate(bytes) == 0) {
      throw Error(where(origin) + "declares a sample rate of 0 Hz, which cannot be resampled " +
                  "(libsndfile: " + reason + ")");
    }
    throw Error(where(origin) + "not a readable audio file (libsndfile: " + reason + ")");
  }
  if (info.channels <= 0) throw Error(where(origin) + "declares no audio channels");
  if (info.samplerate <= 0) {
    throw Error(where(origin) + "declares a sample rate of " + std::to_string(info.samplerate) +
                " Hz");
  }
  const std::string truncated = truncation_note(file.get());
  if (!truncated.empty()) throw Error(where(origin) + truncated);
  if (info.frames == 0) throw Error(where(origin) + "holds no audio frames");

  // A compressed file (FLAC, OGG) can declare far more frames than it holds bytes: bounded
  // before anything is sized from the header, and again as the samples come.
  const auto too_long = [&](std::int64_t samples) {
    return Error(core::limit_error("audio file '" + origin + "' (" + std::to_string(info.channels) +
                                       " channels at " + std::to_string(info.samplerate) + " Hz)",
                                   samples, core::kMaxAudioSamples, "kMaxAudioSamples",
                                   "for one audio file", "samples"));
  };
  const bool length_known = info.frames != SF_COUNT_MAX;  // SF_COUNT_MAX: libsndfile cannot tell
  std::int64_t declared = 0;
  if (info.frames < 0 ||
      __builtin_mul_overflow(std::int64_t{info.frames}, std::int64_t{info.channels}, &declared)) {
    declared = -1;
  }
  if (length_known && (declared < 0 || declared > core::kMaxAudioSamples)) {
    throw too_long(declared);
  }
  const auto channels = static_cast<std::size_t>(info.channels);
  Audio audio;
  audio.sample_rate = info.samplerate;
  if (length_known) audio.samples.reserve(static_cast<std::size_t>(info.frames));
  std::vector<float> chunk(4096 * channels);
  for (;;) {
    const sf_count_t got = sf_readf_float(file.get(), chunk.data(), 4096);
    if (got <= 0) break;
    const auto decoded =
        static_cast<std::int64_t>(audio.samples.size() + static_cast<std::size_t>(got)) *
        info.channels;
    if (decoded > core::kMaxAudioSamples) throw too_long(decoded);
    for (sf_count_t frame = 0; frame < got; ++frame) {
      float sum = 0.0f;
      for (std::size_t c = 0; c < channels; ++c) {
        const float sample = chunk[static_cast<std::size_t>(frame) * channels + c];
        // A float WAV can hold NaN or infinity; one would turn every feature after it into
        // NaN and the model's answer into noise, so it is refused here.
        if (!std::isfinite(sample)) {
          throw Error(where(origin) + "sample " + std::to_string(audio.samples.size()) +
                      (channels > 1 ? " (channel " + std::to_string(c) + ")" : "") + " is " +
                      number_text(sample) + "; audio must be finite");
        }
        sum += sample;
      }
      audio.samples.push_back(sum / static_cast<float>(channels));
    }
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR) {
    throw Error(where(origin) + "truncated or corrupt after " +
                std::to_string(audio.samples.size()) +
                " frames (libsndfile: " + sf_strerror(file.get()) + ")");
  }
  if (frames_of(audio.samples.size()) < info.frames) {
    throw Error(where(origin) + "truncated: read " + std::to_string(audio.samples.size()) +
                " of the " + std::to_string(info.frames) + " frames its header declares");
  }
  if (audio.samples.empty()) throw Error(where(origin) + "holds no audio frames");
  return audio;
}

Audio read_audio(const std::string& path, int sample_rate) {
  Audio audio = read_audio(path);
  if (audio.sample_rate != sample_rate) {
    audio.samples = resample(audio.samples, audio.sample_rate, sample_rate, path);
    audio.sample_rate = sample_rate;
  }
  return audio;
}

std::vector<float> resample(std::span<const float> samples, int from_rate, int to_rate,
                            const std::string& origin) {
  const std::string cannot = where(origin) + "cannot resample " + std::to_string(from_rate) +
                             " Hz to " + std::to_string(to_rate) + " Hz: ";
  if (from_rate <= 0 || to_rate <= 0) throw Error(cannot + "rates must be positive");
  const double ratio = static_cast<double>(to_rate) / from_rate;
  if (!src_is_valid_ratio(ratio)) {
    throw Error(cannot + "ratio " + number_text(ratio) + " is outside libsamplerate's 1/256..256");
  }
  if (from_rate == to_rate) return {samples.begin(), samples.end()};
  // Up to 256 times the input: bounded before the output is allocated.
  const double needed = std::ceil(static_cast<double>(samples.size()) * ratio) + 16;
  if (needed > static_cast<double>(core::kMaxAudioSamples)) {
    throw Error(core::limit_error(where(origin) + "resampling " + std::to_string(samples.size()) +
                                      " samples from " + std::to_string(from_rate) + " Hz to " +
                                      std::to_string(to_rate) + " Hz",
                                  static_cast<std::int64_t>(needed), core::kMaxAudioSamples,
                                  "kMaxAudioSamples", "for one audio file", "samples"));
  }
  std::vector<float> out(static_cast<std::size_t>(needed));
  SRC_DATA data{};
  data.data_in = samples.data();
  data.input_frames = static_cast<long>(samples.size());
  data.data_out = out.data();
  data.output_frames = static_cast<long>(out.size());
  data.src_ratio = ratio;
  const int status = src_simple(&data, SRC_SINC_MEDIUM_QUALITY, 1);
  if (status != 0) throw Error(cannot + "libsamplerate: " + src_strerror(status));
  out.resize(static_cast<std::size_t>(data.output_frames_gen));
  return out;
}

void write_wav(const std::string& path, std::span<const float> samples, int sample_rate) {
  if (sample_rate <= 0) {
    throw Error("wav file '" + path + "': sample rate must be positive, got " +
                std::to_string(sample_rate));
  }
  std::vector<short> pcm(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const float x = std::isnan(samples[i]) ? 0.0f : std::clamp(samples[i], -1.0f, 1.0f);
    pcm[i] = static_cast<short>(std::lround(x * 32767.0f));
  }
  MemoryFile memory;
  SF_VIRTUAL_IO io{memory_length<MemoryFile>, memory_seek<MemoryFile>, memory_read<MemoryFile>,
                   memory_write, memory_tell<MemoryFile>};
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  {
    SndfileHandle file(sf_open_virtual(&io, SFM_WRITE, &info, &memory));
    if (!file) {
      throw Error("wav file '" + path + "': libsndfile cannot encode it (" + sf_strerror(nullptr) +
                  ")");
    }
    if (sf_writef_short(file.get(), pcm.data(), frames_of(pcm.size())) != frames_of(pcm.size())) {
      throw Error("wav file '" + path + "': encoding failed (" + sf_strerror(file.get()) + ")");
    }
  }  // sf_close patches the header lengths
  core::write_bytes_atomically(path, memory.bytes);
}

}  // namespace tinyscale::recipes
