#include "recipes/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"

namespace tinyscale::recipes {

namespace {

enum class Format { png, jpeg, bmp, unknown };

const char* format_name(Format format) {
  switch (format) {
    case Format::png:
      return "PNG";
    case Format::jpeg:
      return "JPEG";
    case Format::bmp:
      return "BMP";
    case Format::unknown:
      break;
  }
  return "unknown";
}

Format sniff_format(std::span<const std::uint8_t> b) {
  static constexpr std::uint8_t kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() >= sizeof kPng && std::memcmp(b.data(), kPng, sizeof kPng) == 0) return Format::png;
  if (b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return Format::jpeg;
  if (b.size() >= 2 && b[0] == 'B' && b[1] == 'M') return Format::bmp;
  return Format::unknown;
}

std::string leading_bytes(std::span<const std::uint8_t> b) {
  std::string hex;
  for (std::size_t k = 0; k < std::min<std::size_t>(b.size(), 8); ++k) {
    char text[4];
    std::snprintf(text, sizeof text, k == 0 ? "%02x" : " %02x", b[k]);
    hex += text;
  }
  return hex;
}

std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}
std::uint32_t le16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8;
}

// Bytes an uncompressed BMP needs (pixel data offset + rows padded to 4 bytes), or 0 when
// stb_image will refuse the header itself (RLE or JPEG/PNG compression, a depth under 16 bits
// other than 1, 4 or 8) or the header is one it does not size. stb_image reads missing BMP
// bytes as zeros instead of failing, so a truncated BMP must be caught here; the rule is
// stb_image 2.27's own: a compression field it does not refuse (0, 3, and any negative value
// as an int32) is read as uncompressed, and a depth of 16 or more other than 16 and 24 as 4
// bytes per pixel (a 186-byte BMP declaring 16,767,231 x 2 pixels at "1312 bits" otherwise
// decoded 64 MB of zeros; found by fuzz_image).
std::int64_t bmp_bytes_needed(std::span<const std::uint8_t> b) {
  if (b.size() < 30) return 0;
  const std::uint32_t header_size = le32(b, 14);
  std::int64_t width = 0, height = 0, bits = 0;
  std::int32_t compression = 0;
  if (header_size == 12) {
    width = le16(b, 18);
    height = le16(b, 20);
    bits = le16(b, 24);
  } else if (header_size >= 40 && b.size() >= 34) {
    width = static_cast<std::int32_t>(le32(b, 18));
    height = static_cast<std::int32_t>(le32(b, 22));
    bits = le16(b, 28);
    compression = static_cast<std::int32_t>(le32(b, 30));
  } else {
    return 0;
  }
  if (compression == 1 || compression == 2 || compression >= 4) return 0;
  std::int64_t row_bytes = 0;
  if (bits == 1 || bits == 4 || bits == 8 || bits == 16 || bits == 24) {
    row_bytes = (std::abs(width) * bits + 7) / 8;
  } else if (bits >= 16) {
    row_bytes = std::abs(width) * 4;
  } else {
    return 0;
  }
  return static_cast<std::int64_t>(le32(b, 10)) + (row_bytes + 3) / 4 * 4 * std::abs(height);
}

std::uint32_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) << 8 | static_cast<std::uint32_t>(b[at + 1]);
}

// Width and height as the header declares them, read before stb_image sees the bytes:
// stb_image refuses some huge sizes itself, but then reports "unknown image type". {0, 0}
// when the header is too short to say (stb_image then reports the truncation).
std::array<std::int64_t, 2> declared_size(std::span<const std::uint8_t> b, Format format) {
  switch (format) {
    case Format::png:  // IHDR, the first chunk: big-endian width and height
      if (b.size() >= 24 && std::memcmp(&b[12], "IHDR", 4) == 0) {
        return {(std::int64_t{be16(b, 16)} << 16) | be16(b, 18),
                (std::int64_t{be16(b, 20)} << 16) | be16(b, 22)};
      }
      break;
    case Format::bmp:
      if (b.size() >= 26 && le32(b, 14) == 12) return {le16(b, 18), le16(b, 20)};
      if (b.size() >= 26) {
        return {std::abs(std::int64_t{static_cast<std::int32_t>(le32(b, 18))}),
                std::abs(std::int64_t{static_cast<std::int32_t>(le32(b, 22))})};
      }
      break;
    case Format::jpeg:
      // Marker segments after SOI up to the frame header (SOF0..SOF15 but DHT, JPG, DAC).
      for (std::size_t at = 2; at + 4 <= b.size();) {
        if (b[at] != 0xff) break;
        const std::uint8_t marker = b[at + 1];
        if (marker == 0xff) {  // fill byte
          ++at;
          continue;
        }
        if (marker == 0xda || marker == 0xd9) break;  // scan or end before any frame
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
            marker != 0xcc) {
          if (at + 9 <= b.size()) return {be16(b, at + 7), be16(b, at + 5)};
          break;
        }
        at += 2 + be16(b, at + 2);
      }
      break;
    case Format::unknown:
      break;
  }
  return {0, 0};
}

// stb_image grows its IDAT buffer to a chunk's declared length before reading the chunk, so
// a 100-byte PNG declaring a 3 GB chunk allocates it. Every chunk up to IEND must fit in the
// file (its CRC may be cut, stb_image does not check it). "" when they do.
std::string png_chunk_problem(std::span<const std::uint8_t> b) {
  for (std::size_t at = 8; at + 8 <= b.size();) {
    const std::uint64_t length = std::uint64_t{be16(b, at)} << 16 | be16(b, at + 2);
    const std::string type(reinterpret_cast<const char*>(&b[at + 4]), 4);
    if (length > b.size() - at - 8) {
      return "chunk '" + printable_text(type) + "' at byte " + std::to_string(at) + " declares " +
             std::to_string(length) + " bytes, the file holds " +
             std::to_string(b.size() - at - 8) + " after its header";
    }
    if (type == "IEND") break;
    at += 12 + static_cast<std::size_t>(length);
  }
  return "";
}

// stb_image 2.27 (Debian 12's) writes past its 257-entry code-size table when a JPEG huffman
// table (DHT) declares more than 256 codes (fixed upstream in 2.28), already in
// stbi_info_from_memory. Such a table is found here first, reading every marker segment (the
// tables between progressive scans too) as stb_image does: a segment's tables run while its
// length lasts, bytes past the end of the file count as 0. "" when every table is sound.
std::string jpeg_huffman_table_problem(std::span<const std::uint8_t> b) {
  const auto byte_at = [&](std::size_t at) -> std::size_t { return at < b.size() ? b[at] : 0; };
  for (std::size_t at = 2; at + 4 <= b.size();) {
    const std::uint8_t marker = b[at + 1];
    if (b[at] != 0xff || marker == 0xff) {  // entropy-coded data of a scan, or a fill byte
      ++at;
      continue;
    }
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      at += 2;  // stuffed 0xff, TEM, RSTn, SOI, EOI: no length field
      continue;
    }
    const std::size_t length = be16(b, at + 2);
    if (marker == 0xc4) {
      std::size_t table = at + 4;
      for (std::int64_t left = static_cast<std::int64_t>(length) - 2;
           left > 0 && table < b.size();) {
        std::size_t codes = 0;
        for (std::size_t i = 1; i <= 16; ++i) codes += byte_at(table + i);
        if (codes > 256) {
          return "huffman table (DHT segment at byte " + std::to_string(at) + ") declares " +
                 std::to_string(codes) + " codes; a JPEG table holds at most 256";
        }
        left -= static_cast<std::int64_t>(17 + codes);
        table += 17 + codes;
      }
    }
    at += 2 + length;
  }
  return "";
}

std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason ? reason : "no reason given";
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

void check_encodable(const Image& image, const char* format) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() !=
          static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3) {
    throw Error(std::string("cannot encode a ") + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " image holding " +
                std::to_string(image.pixels.size()) + " bytes as " + format);
  }
}

}  // namespace

Image::Image(int image_width, int image_height, std::uint8_t fill)
    : width(image_width),
      height(image_height),
      pixels(static_cast<std::size_t>(image_width) * static_cast<std::size_t>(image_height) * 3,
             fill) {}

Image read_image(const std::string& path) {
  const std::string where = "image '" + path + "': ";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(where + "is a directory");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) throw Error(where + "cannot open it (" + std::strerror(errno) + ")");
  // Sized before it is read whole.
  if (const std::uintmax_t size = std::filesystem::file_size(path, ec);
      !ec && size > static_cast<std::uintmax_t>(core::kMaxImageFileBytes)) {
    throw Error(core::limit_error("image '" + path + "'", static_cast<std::int64_t>(size),
                                  core::kMaxImageFileBytes, "kMaxImageFileBytes",
                                  "for an image file"));
  }
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  if (std::ferror(file.get())) throw Error(where + "cannot read it (" + std::strerror(errno) + ")");
  return decode_image(bytes, path);
}

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& origin) {
  const std::string where = "image '" + origin + "': ";
  if (bytes.empty()) throw Error(where + "the file is empty");
  const Format format = sniff_format(bytes);
  if (format == Format::unknown) {
    throw Error(where + "not a PNG, JPEG or BMP image (it starts with bytes " +
                leading_bytes(bytes) + ")");
  }
  const std::string name = format_name(format);
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw Error(where + std::to_string(bytes.size()) + " bytes is more than stb_image reads");
  }
  const auto refuse_if_too_large = [&](std::int64_t w, std::int64_t h) {
    if (w <= 0 || h <= kMaxImagePixels / w) return;  // w · h ≤ max, without overflow
    throw Error(where + "the " + name + " header declares " + std::to_string(w) + "x" +
                std::to_string(h) + " pixels; tinyscale decodes at most " +
                std::to_string(kMaxImagePixels) + " pixels (2^26, kMaxImagePixels)");
  };
  if (format == Format::jpeg) {
    const std::string problem = jpeg_huffman_table_problem(bytes);
    if (!problem.empty()) throw Error(where + "corrupt JPEG: " + problem);
  }
  if (format == Format::png) {
    const std::string problem = png_chunk_problem(bytes);
    if (!problem.empty()) throw Error(where + "truncated or corrupt PNG data: " + problem);
  }
  const auto [declared_width, declared_height] = declared_size(bytes, format);
  refuse_if_too_large(declared_width, declared_height);
  const auto size = static_cast<int>(bytes.size());
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(bytes.data(), size, &width, &height, &channels)) {
    throw Error(where + "truncated or corrupt " + name + " header (stb_image: " + stb_reason() +
                ")");
  }
  refuse_if_too_large(width, height);
  if (format == Format::bmp) {
    const std::int64_t needed = bmp_bytes_needed(bytes);
    if (needed > static_cast<std::int64_t>(bytes.size())) {
      throw Error(where + "truncated BMP: its header needs " + std::to_string(needed) +
                  " bytes, the file has " + std::to_string(bytes.size()));
    }
  }
  int decoded_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> rgb(
      stbi_load_from_memory(bytes.data(), size, &width, &height, &decoded_channels, 3),
      &stbi_image_free);
  if (!rgb) {
    throw Error(where + "truncated or corrupt " + name + " data (stb_image: " + stb_reason() + ")");
  }
  Image image;
  image.width = width;
  image.height = height;
  image.pixels.assign(rgb.get(), rgb.get() + static_cast<std::size_t>(width) *
                                                 static_cast<std::size_t>(height) * 3);
  return image;
}

std::vector<std::uint8_t> encode_png(const Image& image) {
  check_encodable(image, "PNG");
  std::vector<std::uint8_t> out;
  if (!stbi_write_png_to_func(append_bytes, &out, image.width, image.height, 3, image.pixels.data(),
                              image.width * 3)) {
    throw Error("stb_image_write could not encode a " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " PNG");
  }
  return out;
}

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality) {
  check_encodable(image, "JPEG");
  std::vector<std::uint8_t> out;
  if (!stbi_write_jpg_to_func(append_bytes, &out, image.width, image.height, 3, image.pixels.data(),
                              quality)) {
    throw Error("stb_image_write could not encode a " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " JPEG");
  }
  return out;
}

std::vector<std::uint8_t> encode_bmp(const Image& image) {
  check_encodable(image, "BMP");
  std::vector<std::uint8_t> out;
  if (!stbi_write_bmp_to_func(append_bytes, &out, image.width, image.height, 3,
                              image.pixels.data())) {
    throw Error("stb_image_write could not encode a " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " BMP");
  }
  return out;
}

void write_png(const Image& image, const std::string& path) {
  core::write_bytes_atomically(path, encode_png(image));
}

}  // namespace tinyscale::recipes
