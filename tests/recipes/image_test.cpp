// Image decoding and encoding on images the tests write themselves (stb_image_write).
#include "recipes/image.h"

#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/support/errors.h"

namespace tinyscale::recipes {
namespace {

namespace fs = std::filesystem;
using testing_support::error_of;
using testing_support::expect_contains;

fs::path temp_dir() {
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_image_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// A 7×5 image whose every byte differs from its neighbours.
Image pattern() {
  Image image(7, 5);
  for (std::size_t k = 0; k < image.pixels.size(); ++k) {
    image.pixels[k] = static_cast<std::uint8_t>(k * 37 % 256);
  }
  return image;
}

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  out->insert(out->end(), static_cast<std::uint8_t*>(data),
              static_cast<std::uint8_t*>(data) + size);
}

TEST(Image, PngAndBmpRoundTripExactly) {
  const Image image = pattern();
  for (const auto& bytes : {encode_png(image), encode_bmp(image)}) {
    const Image decoded = decode_image(bytes, "memory");
    EXPECT_EQ(decoded.width, 7);
    EXPECT_EQ(decoded.height, 5);
    EXPECT_EQ(decoded.pixels, image.pixels);
  }
}

TEST(Image, JpegRoundTripIsCloseOnASmoothImage) {
  Image image(32, 16);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 32; ++x) {
      std::uint8_t* p = image.pixel(x, y);
      p[0] = static_cast<std::uint8_t>(x * 8);
      p[1] = static_cast<std::uint8_t>(y * 16);
      p[2] = 100;
    }
  }
  const Image decoded = decode_image(encode_jpeg(image, 95), "memory");
  ASSERT_EQ(decoded.pixels.size(), image.pixels.size());
  for (std::size_t k = 0; k < image.pixels.size(); ++k) {
    EXPECT_NEAR(decoded.pixels[k], image.pixels[k], 12) << k;
  }
}

TEST(Image, GreyAndRgbaBecomeRgb) {
  const std::uint8_t grey[2] = {10, 200};
  std::vector<std::uint8_t> grey_png;
  ASSERT_TRUE(stbi_write_png_to_func(append, &grey_png, 2, 1, 1, grey, 2));
  const Image g = decode_image(grey_png, "grey");
  EXPECT_EQ(g.pixels, (std::vector<std::uint8_t>{10, 10, 10, 200, 200, 200}));

  const std::uint8_t rgba[8] = {1, 2, 3, 0, 250, 251, 252, 255};  // alpha is dropped
  std::vector<std::uint8_t> rgba_png;
  ASSERT_TRUE(stbi_write_png_to_func(append, &rgba_png, 2, 1, 4, rgba, 8));
  const Image c = decode_image(rgba_png, "rgba");
  EXPECT_EQ(c.pixels, (std::vector<std::uint8_t>{1, 2, 3, 250, 251, 252}));
}

TEST(Image, ReadsFilesAndWritesPngAtomically) {
  const fs::path dir = temp_dir();
  const Image image = pattern();
  write_png(image, (dir / "out.png").string());
  EXPECT_EQ(read_image((dir / "out.png").string()).pixels, image.pixels);
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "out.png") << "temporary file left behind";
  }
  const std::string bad = (dir / "missing_dir" / "out.png").string();
  expect_contains(error_of([&] { write_png(image, bad); }), bad);
  EXPECT_FALSE(fs::exists(bad));
  fs::remove_all(dir);
}

TEST(Image, FileErrorsNameTheFile) {
  const fs::path dir = temp_dir();
  const std::string missing = (dir / "missing.jpg").string();
  std::string e = error_of([&] { read_image(missing); });
  expect_contains(e, "image '" + missing + "'");
  expect_contains(e, "cannot open");

  write_bytes(dir / "empty.png", {});
  e = error_of([&] { read_image((dir / "empty.png").string()); });
  expect_contains(e, "empty.png");
  expect_contains(e, "empty");

  const std::string text = "name,score\nperson,0.9\n";
  write_bytes(dir / "notes.png", {text.begin(), text.end()});
  e = error_of([&] { read_image((dir / "notes.png").string()); });
  expect_contains(e, "notes.png");
  expect_contains(e, "not a PNG, JPEG or BMP image (it starts with bytes 6e 61 6d 65");

  e = error_of([&] { read_image(dir.string()); });
  expect_contains(e, "is a directory");
  fs::remove_all(dir);
}

TEST(Image, TruncatedFilesAreRefused) {
  Image image(64, 48);
  for (std::size_t k = 0; k < image.pixels.size(); ++k) {
    image.pixels[k] = static_cast<std::uint8_t>((k * 7) % 251);
  }
  const struct {
    std::vector<std::uint8_t> bytes;
    const char* message;
  } cases[] = {
      {encode_png(image), "truncated or corrupt PNG data: chunk 'IDAT' at byte 33 declares"},
      {encode_jpeg(image), "truncated or corrupt JPEG data (stb_image: "},
      {encode_bmp(image), "truncated BMP: its header needs 9270 bytes"}};
  for (const auto& c : cases) {
    for (const double kept : {0.5, 0.9}) {
      const std::vector<std::uint8_t> cut(
          c.bytes.begin(), c.bytes.begin() + static_cast<std::ptrdiff_t>(
                                                 static_cast<double>(c.bytes.size()) * kept));
      const std::string e = error_of([&] { decode_image(cut, "cut"); });
      expect_contains(e, "image 'cut': ");
      expect_contains(e, c.message);
    }
  }
  // A PNG cut inside its header.
  const std::vector<std::uint8_t> png = encode_png(image);
  const std::string e = error_of(
      [&] { decode_image(std::vector<std::uint8_t>(png.begin(), png.begin() + 12), "h"); });
  expect_contains(e, "truncated or corrupt PNG header");
}

// Overwrites `count` big-endian (or little-endian) bytes of `bytes` at `at` with `value`.
void poke(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint64_t value, int count,
          bool big_endian) {
  for (int k = 0; k < count; ++k) {
    const int shift = 8 * (big_endian ? count - 1 - k : k);
    bytes[at + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(value >> shift);
  }
}

TEST(Image, HugeDeclaredSizesAreRefusedBeforeDecoding) {
  // A small file whose header declares 10000 × 10000 pixels (above 2^26, but small enough
  // for stb_image to accept the header) or 2^32 − 1 squared (which stb_image refuses).
  for (const std::uint64_t side : {std::uint64_t{10000}, std::uint64_t{0xffffffff}}) {
    std::vector<std::uint8_t> png = encode_png(pattern());
    poke(png, 16, side, 4, true);  // IHDR width, height
    poke(png, 20, side, 4, true);
    const std::string e = error_of([&] { decode_image(png, "bomb.png"); });
    expect_contains(e, "image 'bomb.png': the PNG header declares " + std::to_string(side) + "x" +
                           std::to_string(side) + " pixels");
    expect_contains(e, "at most 67108864 pixels");
  }
  std::vector<std::uint8_t> bmp = encode_bmp(pattern());
  poke(bmp, 18, 20000, 4, false);
  poke(bmp, 22, 20000, 4, false);
  expect_contains(error_of([&] { decode_image(bmp, "bomb.bmp"); }),
                  "BMP header declares 20000x20000 pixels");
  // Under the pixel limit but far past the file: fuzz_image's 186-byte BMP declared
  // 16,767,231 x 2 pixels with a negative compression field, which stb_image reads as
  // uncompressed and filled with zeros (64 MB, seconds). 24-bit here.
  std::vector<std::uint8_t> wide = encode_bmp(pattern());
  poke(wide, 18, 1000000, 4, false);
  poke(wide, 22, 2, 4, false);
  poke(wide, 30, 0xffffffff, 4, false);  // compression -1
  expect_contains(error_of([&] { decode_image(wide, "wide.bmp"); }),
                  "image 'wide.bmp': truncated BMP: its header needs 6000054 bytes, the file has");
  // JPEG: the frame header (SOF0) follows SOI and stb_image_write's APP/DQT segments.
  std::vector<std::uint8_t> jpeg = encode_jpeg(pattern());
  std::size_t sof = 2;
  while (jpeg[sof + 1] != 0xc0) sof += 2 + (std::size_t{jpeg[sof + 2]} << 8 | jpeg[sof + 3]);
  poke(jpeg, sof + 5, 60000, 2, true);  // height
  poke(jpeg, sof + 7, 50000, 2, true);  // width
  expect_contains(error_of([&] { decode_image(jpeg, "bomb.jpg"); }),
                  "JPEG header declares 50000x60000 pixels");
}

// A file over kMaxImageFileBytes (a sparse 300 MiB file here) is refused before it is read.
TEST(Image, FileOverTheSizeLimitIsRefusedBeforeReading) {
  const fs::path dir = temp_dir();
  const fs::path big = dir / "huge.png";
  write_bytes(big, encode_png(pattern()));
  fs::resize_file(big, 300 * 1024 * 1024);
  EXPECT_EQ(error_of([&] { read_image(big.string()); }),
            "image '" + big.string() +
                "' needs 314572800 bytes, over the 256 MiB limit for an image file "
                "(kMaxImageFileBytes)");
  fs::remove_all(dir);
}

// Found by fuzz/fuzz_image (reproducer fuzz/corpus/fuzz_image/dht_more_than_256_codes.jpg):
// a huffman table declaring more than 256 codes made stb_image 2.27 write past its table.
TEST(Image, JpegHuffmanTableWithMoreThan256CodesIsRefused) {
  // SOI, DHT of length 0x4160 whose code counts (0x60 + 0x82 + 0x41, the rest past the end of
  // the file reading as 0) add up to 291.
  const std::vector<std::uint8_t> dht = {0xff, 0xd8, 0xff, 0xc4, 0x41,
                                         0x60, 0x00, 0x60, 0x82, 0x41};
  const std::string e = error_of([&] { decode_image(dht, "dht.jpg"); });
  expect_contains(e, "image 'dht.jpg': corrupt JPEG: huffman table (DHT segment at byte 2)");
  expect_contains(e, "declares 291 codes; a JPEG table holds at most 256");
  // A sound table after a scan (progressive JPEGs) is read too: a valid file still decodes.
  EXPECT_EQ(decode_image(encode_jpeg(pattern()), "ok.jpg").width, 7);
  std::vector<std::uint8_t> jpeg = encode_jpeg(pattern());
  jpeg.insert(jpeg.end() - 2, {0xff, 0xc4, 0x00, 0x13, 0x10, 0xff, 0xff});
  jpeg.insert(jpeg.end() - 2, 14, std::uint8_t{0});
  expect_contains(error_of([&] { decode_image(jpeg, "late.jpg"); }), "declares 510 codes");
}

// Found by fuzz/fuzz_image (reproducer fuzz/corpus/fuzz_image/idat_length_past_the_end.png): a
// 106-byte PNG whose chunk declared 3.6 GB made stb_image allocate it before reading it.
TEST(Image, PngChunkLongerThanTheFileIsRefusedBeforeAllocating) {
  std::vector<std::uint8_t> png = encode_png(pattern());
  ASSERT_EQ(std::string(png.begin() + 37, png.begin() + 41), "IDAT");
  poke(png, 33, 0xd8418241, 4, true);
  const std::string e = error_of([&] { decode_image(png, "idat.png"); });
  expect_contains(e,
                  "image 'idat.png': truncated or corrupt PNG data: chunk 'IDAT' at byte 33 "
                  "declares 3628171841 bytes, the file holds ");
  EXPECT_EQ(e.find('\n'), std::string::npos);
  png[38] = 0xff;  // an unprintable chunk type is named byte by byte
  expect_contains(error_of([&] { decode_image(png, "idat.png"); }), "chunk 'I\\xffAT'");
}

TEST(Image, EncodingAnInvalidImageThrows) {
  Image image;
  expect_contains(error_of([&] { encode_png(image); }), "cannot encode a 0x0 image");
  expect_contains(error_of([&] { write_png(image, "never.png"); }), "cannot encode");
  EXPECT_FALSE(fs::exists("never.png"));
  image.width = 2;
  image.height = 2;
  image.pixels.resize(5);
  expect_contains(error_of([&] { encode_bmp(image); }), "holding 5 bytes as BMP");
}

}  // namespace
}  // namespace tinyscale::recipes
