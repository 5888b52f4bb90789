// recipes/audio_io: reading (mix-down, libsndfile formats), resampling and the atomic WAV
// writer, and every bad-input error. Test files are written byte by byte here, so the
// reader is checked against WAVs it did not write.
#include "recipes/audio_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "tests/support/errors.h"

namespace tinyscale::recipes {
namespace {

namespace fs = std::filesystem;
using testing_support::error_of;
using testing_support::expect_contains;

void put32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>(v >> 8);
}

// A canonical 44-byte WAV header (RIFF, a 16-byte fmt chunk, the data chunk's header) for
// `data_bytes` of samples of `bits` each in format `format` (1 PCM, 3 IEEE float).
constexpr std::uint16_t kPcm = 1, kIeeeFloat = 3;
std::string wav_header(std::uint16_t format, int channels, std::uint32_t rate, int bits,
                       std::uint32_t data_bytes) {
  const auto block = static_cast<std::uint32_t>(channels * bits / 8);
  std::string s = "RIFF";
  put32(s, 36 + data_bytes);
  s += "WAVEfmt ";
  put32(s, 16);
  put16(s, format);
  put16(s, static_cast<std::uint16_t>(channels));
  put32(s, rate);
  put32(s, rate * block);
  put16(s, static_cast<std::uint16_t>(block));
  put16(s, static_cast<std::uint16_t>(bits));
  s += "data";
  put32(s, data_bytes);
  return s;
}

// A 16-bit PCM WAV: header fields as given, `frames` interleaved samples after it.
std::string wav_bytes(int channels, std::uint32_t rate, const std::vector<std::int16_t>& samples,
                      std::int64_t declared_data_bytes = -1) {
  const auto data_bytes = static_cast<std::uint32_t>(
      declared_data_bytes >= 0 ? declared_data_bytes
                               : static_cast<std::int64_t>(2 * samples.size()));
  std::string s = wav_header(kPcm, channels, rate, 16, data_bytes);
  for (std::int16_t v : samples) put16(s, static_cast<std::uint16_t>(v));
  return s;
}

// A 32-bit IEEE float WAV (format tag 3) holding `samples` interleaved.
std::string float_wav_bytes(int channels, std::uint32_t rate, const std::vector<float>& samples) {
  const auto data_bytes = static_cast<std::uint32_t>(4 * samples.size());
  std::string s = wav_header(kIeeeFloat, channels, rate, 32, data_bytes);
  for (float v : samples) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    put32(s, bits);
  }
  return s;
}

class AudioIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinyscale_audio_io_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::vector<float> tone(double hz, int rate, int count, double amplitude = 0.5) {
  std::vector<float> x(static_cast<std::size_t>(count));
  for (int n = 0; n < count; ++n) {
    x[static_cast<std::size_t>(n)] =
        static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * hz * n / rate));
  }
  return x;
}

int zero_crossings(const std::vector<float>& x, std::size_t from, std::size_t to) {
  int n = 0;
  for (std::size_t i = from + 1; i < to; ++i) n += (x[i - 1] < 0) != (x[i] < 0);
  return n;
}

TEST_F(AudioIoTest, ReadsPcm16AsSampleOver32768) {
  const auto file = write("pcm.wav", wav_bytes(1, 16000, {0, 16384, -32768, 32767}));
  const Audio audio = read_audio(file);
  EXPECT_EQ(audio.sample_rate, 16000);
  ASSERT_EQ(audio.samples.size(), 4u);
  EXPECT_FLOAT_EQ(audio.samples[1], 0.5f);
  EXPECT_FLOAT_EQ(audio.samples[2], -1.0f);
  EXPECT_FLOAT_EQ(audio.samples[3], 32767.0f / 32768.0f);
  EXPECT_DOUBLE_EQ(audio.seconds(), 4.0 / 16000);
}

TEST_F(AudioIoTest, StereoIsMixedDownByAveraging) {
  // frames (L, R): (16384, -8192) -> (0.5 - 0.25) / 2; (-32768, 0) -> -0.5
  const auto file = write("stereo.wav", wav_bytes(2, 8000, {16384, -8192, -32768, 0}));
  const Audio audio = read_audio(file);
  ASSERT_EQ(audio.samples.size(), 2u);
  EXPECT_FLOAT_EQ(audio.samples[0], 0.125f);
  EXPECT_FLOAT_EQ(audio.samples[1], -0.5f);
}

TEST_F(AudioIoTest, WavWriteReadRoundTrip) {
  const std::vector<float> x = tone(440, 16000, 8000, 0.8);
  write_wav(path("tone.wav"), x, 16000);
  const Audio audio = read_audio(path("tone.wav"));
  EXPECT_EQ(audio.sample_rate, 16000);
  ASSERT_EQ(audio.samples.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    // written as round(x * 32767), read back / 32768: within one step of 16-bit PCM
    ASSERT_NEAR(audio.samples[i], x[i], 2.0 / 32768) << i;
  }
  // exactly one file, no temporary left beside it
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(AudioIoTest, WriterClipsAndReplacesAtomically) {
  write_wav(path("clip.wav"), std::vector<float>{2.0f, -3.0f, 0.25f}, 8000);
  write_wav(path("clip.wav"), std::vector<float>{2.0f, -3.0f}, 8000);  // over the old one
  const Audio audio = read_audio(path("clip.wav"));
  ASSERT_EQ(audio.samples.size(), 2u);
  EXPECT_FLOAT_EQ(audio.samples[0], 32767.0f / 32768.0f);
  EXPECT_FLOAT_EQ(audio.samples[1], -32767.0f / 32768.0f);
  const std::string missing_dir = path("no/such/dir/x.wav");
  expect_contains(error_of([&] { write_wav(missing_dir, std::vector<float>{0.0f}, 8000); }),
                  missing_dir);
  EXPECT_FALSE(fs::exists(missing_dir));
  expect_contains(error_of([&] { write_wav(path("r.wav"), std::vector<float>{0.0f}, 0); }),
                  "sample rate");
}

TEST_F(AudioIoTest, ResampledToneKeepsItsFrequencyAndAmplitude) {
  // 1 kHz at 44.1 kHz -> 16 kHz: 2000 zero crossings per second either way.
  const std::vector<float> x = tone(1000, 44100, 44100);
  const std::vector<float> y = resample(x, 44100, 16000, "tone");
  EXPECT_NEAR(static_cast<double>(y.size()), 16000.0, 2.0);
  EXPECT_NEAR(zero_crossings(y, 1000, 15000), 2000 * 14000 / 16000, 2);
  float peak = 0.0f;
  for (std::size_t i = 1000; i < 15000; ++i) peak = std::max(peak, std::fabs(y[i]));
  EXPECT_NEAR(peak, 0.5f, 0.01f);
  // 3 kHz survives too (below 8 kHz Nyquist); 10 kHz is above it and is filtered out.
  const std::vector<float> high = resample(tone(10000, 44100, 44100), 44100, 16000, "high");
  float residue = 0.0f;
  for (std::size_t i = 1000; i < 15000; ++i) residue = std::max(residue, std::fabs(high[i]));
  EXPECT_LT(residue, 0.01f);
}

TEST_F(AudioIoTest, ReadWithRateResamples) {
  write_wav(path("22k.wav"), tone(500, 22050, 22050), 22050);
  const Audio audio = read_audio(path("22k.wav"), 16000);
  EXPECT_EQ(audio.sample_rate, 16000);
  EXPECT_NEAR(static_cast<double>(audio.samples.size()), 16000.0, 2.0);
  EXPECT_NEAR(zero_crossings(audio.samples, 500, 15500), 1000 * 15000 / 16000, 2);
}

TEST_F(AudioIoTest, StreamedWavWithPlaceholderLengthIsAccepted) {
  // espeak-ng --stdout writes 0x7ffff000 as the data length: not a truncation.
  const auto file = write("stream.wav", wav_bytes(1, 22050, {1, 2, 3}, 0x7ffff000));
  EXPECT_EQ(read_audio(file).samples.size(), 3u);
}

TEST_F(AudioIoTest, BadFilesGiveOneLineErrorsNamingTheFile) {
  const auto expect_error = [](const std::string& file, const std::string& part) {
    const std::string message = error_of([&] { read_audio(file, 16000); });
    expect_contains(message, file);
    expect_contains(message, part);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  expect_error(path("missing.wav"), "no such file");
  expect_error(write("empty.wav", ""), "empty file");
  expect_error(write("noframes.wav", wav_bytes(1, 16000, {})), "no audio frames");
  expect_error(write("text.wav", "hello, this is text\n"), "not a readable audio file");
  // header declares 16000 frames (32000 bytes), 500 are present
  expect_error(write("cut.wav", wav_bytes(1, 16000, std::vector<std::int16_t>(500, 7), 32000)),
               "truncated");
  // cut inside the fmt chunk
  expect_error(write("header.wav", wav_bytes(1, 16000, {1, 2}).substr(0, 30)),
               "chunk 'fmt ' at byte 12 declares 16 bytes, but only 10 follow its header");
  // 1 Hz cannot become 16 kHz (ratio 16000 > 256); libsndfile refuses a 0 Hz header and the
  // message says why
  expect_error(write("1hz.wav", wav_bytes(1, 1, {1, 2, 3})), "outside libsamplerate's 1/256..256");
  expect_error(write("0hz.wav", wav_bytes(1, 0, {1, 2, 3})), "sample rate of 0 Hz");
}

// fuzz_wav found a 67-byte WAV whose LIST chunk declares ~4 GiB: libsndfile 1.2.0 then
// stays in sf_open for minutes. A chunk other than the audio must fit in the file.
TEST_F(AudioIoTest, ChunkLongerThanTheFileIsRefusedBeforeLibsndfileSeesIt) {
  const std::string wav = wav_bytes(1, 16000, {1, 2, 3, 4});
  const auto with_list = [&](std::uint32_t declared, const std::string& body) {
    std::string list = "LIST";
    put32(list, declared);
    return wav.substr(0, 36) + list + body + wav.substr(36);  // before the data chunk
  };
  const std::string fits = with_list(8, "INFOIART");
  EXPECT_EQ(read_audio(write("list.wav", fits)).samples.size(), 4u) << "a LIST that fits is fine";
  EXPECT_EQ(read_audio(write("trailing.wav", wav + "junk" + std::string(4, '\0'))).samples.size(),
            4u)
      << "an empty chunk after the audio is fine";

  const std::string file = write("huge_list.wav", with_list(0xff880024u, "INFO"));
  const std::string message = error_of([&] { (void)read_audio(file, 16000); });
  expect_contains(message, "audio file '" + file + "': chunk 'LIST' at byte 36 declares " +
                               "4287103012 bytes, but only 20 follow its header in the " +
                               "64-byte file");
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  // A non-printable id is shown escaped; big-endian AIFF sizes are read as such.
  std::string form = "FORM";
  put32(form, 0);
  form += "AIFF\x01MM\x7f";
  form += std::string("\x00\x00\x10\x00", 4);  // 4096, big-endian
  expect_contains(error_of([&] { (void)read_audio(write("bad.aiff", form)); }),
                  "chunk '\\x01MM\\x7f' at byte 12 declares 4096 bytes, but only 0 follow");
  // The audio chunk itself may be longer than the file: that is a truncated recording.
  expect_contains(error_of([&] {
                    (void)read_audio(write("cut.wav", wav_bytes(1, 16000, {1, 2}, 1000)));
                  }),
                  "truncated: the header declares 1000 bytes of audio");
}

// The fuzz harness (fuzz/fuzz_wav.cpp) decodes from memory: the same samples as the file,
// and errors name the origin given.
TEST_F(AudioIoTest, DecodesFromMemoryAsFromTheFile) {
  const std::string bytes = wav_bytes(2, 8000, {100, 300, -200, 0, 32767, -32768});
  const std::vector<std::uint8_t> memory(bytes.begin(), bytes.end());
  const Audio decoded = decode_audio(memory, "in-memory.wav");
  const Audio read = read_audio(write("stereo.wav", bytes));
  EXPECT_EQ(decoded.sample_rate, 8000);
  EXPECT_EQ(decoded.samples, read.samples);
  ASSERT_EQ(decoded.samples.size(), 3u);
  EXPECT_FLOAT_EQ(decoded.samples[0], 200.0f / 32768);
  const std::vector<std::uint8_t> cut(memory.begin(), memory.begin() + 10);
  const std::string message = error_of([&] { decode_audio(cut, "in-memory.wav"); });
  expect_contains(message, "audio file 'in-memory.wav'");
  expect_contains(message, "libsndfile");
  expect_contains(error_of([&] { decode_audio({}, "nothing.wav"); }), "empty file (0 bytes)");
}

// Issue 12 item 7: NaN audio gave `clap` the same score as silence and speech.
TEST_F(AudioIoTest, NanOrInfiniteSamplesAreRefusedNamingTheFileAndTheFirstIndex) {
  std::vector<float> mono(10000, 0.25f);
  EXPECT_EQ(read_audio(write("fine.wav", float_wav_bytes(1, 16000, mono))).samples[9999], 0.25f)
      << "float WAVs are read as they are";
  mono[6000] = INFINITY;  // after 4096 frames: in the second chunk read
  mono[7000] = std::nanf("");
  const std::string inf_path = write("inf.wav", float_wav_bytes(1, 16000, mono));
  const std::string message = error_of([&] { (void)read_audio(inf_path, 44100); });
  expect_contains(message, "audio file '" + inf_path + "': sample 6000 is inf");
  // Stereo: the frame index and the channel.
  std::vector<float> stereo(2 * 100, 0.0f);
  stereo[2 * 42 + 1] = std::nanf("");
  const std::string stereo_path = write("nan.wav", float_wav_bytes(2, 16000, stereo));
  expect_contains(error_of([&] { (void)read_audio(stereo_path); }),
                  "audio file '" + stereo_path + "': sample 42 (channel 1) is nan");
}

// ---------------------------------------------------------------- size limits (core/limits.h)

// An 8-bit PCM WAV of `channels` x `frames` silent samples (the smallest bytes per sample).
std::vector<std::uint8_t> pcm8_wav(int channels, std::uint32_t frames) {
  const std::uint32_t data_bytes = frames * static_cast<std::uint32_t>(channels);
  const std::string s = wav_header(kPcm, channels, 16000, 8, data_bytes);
  std::vector<std::uint8_t> bytes(s.begin(), s.end());
  bytes.resize(bytes.size() + data_bytes, 0x80);
  return bytes;
}

TEST(AudioLimits, SamplesOverTheLimitAreRefusedBeforeDecoding) {
  // Two channels of 2^24 + 1 frames: 2^25 + 2 samples, two over the limit.
  const std::vector<std::uint8_t> wav = pcm8_wav(2, (1u << 24) + 1);
  EXPECT_EQ(error_of([&] { decode_audio(wav, "long.wav"); }),
            "audio file 'long.wav' (2 channels at 16000 Hz) needs 33554434 samples, over the "
            "33554432 samples limit for one audio file (kMaxAudioSamples)");
}

TEST(AudioLimits, ResamplingOverTheLimitIsRefusedBeforeAllocating) {
  const std::vector<float> x(200000, 0.0f);  // x 256 = 51.2 M samples
  EXPECT_EQ(error_of([&] { resample(x, 1000, 256000, "x.wav"); }),
            "audio file 'x.wav': resampling 200000 samples from 1000 Hz to 256000 Hz needs "
            "51200016 samples, over the 33554432 samples limit for one audio file "
            "(kMaxAudioSamples)");
}

TEST_F(AudioIoTest, FileOverTheSizeLimitIsRefusedBeforeReading) {
  const std::string file = write("huge.wav", wav_bytes(1, 16000, {1, 2, 3}));
  fs::resize_file(file, 300 * 1024 * 1024);  // sparse
  EXPECT_EQ(error_of([&] { read_audio(file); }),
            "audio file '" + file +
                "' needs 314572800 bytes, over the 256 MiB limit for an audio file "
                "(kMaxAudioFileBytes)");
}

TEST(Resample, ImpossibleRatiosAreErrors) {
  const std::vector<float> x(100, 0.0f);
  expect_contains(error_of([&] { resample(x, 8000, 8000 * 300, "x.wav"); }), "ratio 300");
  expect_contains(error_of([&] { resample(x, 0, 16000, "x.wav"); }), "rates must be positive");
  EXPECT_EQ(resample(x, 16000, 16000, "x.wav").size(), 100u);  // same rate: unchanged
}

}  // namespace
}  // namespace tinyscale::recipes
