// Images for the vision recipes: decoding PNG, JPEG and BMP files into 8-bit RGB, and
// encoding RGB images back (PNG for annotated results; JPEG and BMP for tests and tools).
//
// Contract:
//   - Decoding uses stb_image, restricted to PNG, JPEG (baseline and progressive) and BMP,
//     recognized by their first bytes. Grey images are expanded to RGB; the alpha channel of
//     RGBA images is dropped (not blended); 16-bit PNGs are reduced to 8 bits. EXIF
//     orientation is not applied.
//   - Every byte is untrusted. A missing, unreadable or empty file, bytes that are not a PNG,
//     JPEG or BMP image, a truncated or corrupt image (stb_image's reason is quoted), and an
//     image of more than kMaxImagePixels pixels (checked from the header, before anything is
//     decoded: a small file can declare a huge image) each throw tinyscale::Error whose
//     message starts with "image '<file>':".
//   - write_png writes atomically (temporary file beside the target, renamed over it): the
//     target is the complete new image or whatever was there before.
//
// Usage:
//   recipes::Image image = recipes::read_image("street.jpg");
//   std::uint8_t* rgb = image.pixel(10, 20);   // rgb[0..2] at x = 10, y = 20
//   recipes::write_png(image, "copy.png");
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/limits.h"

namespace tinyscale::recipes {

// The largest image decoded: 2^26 pixels (8192 × 8192), 192 MiB of RGB; files over
// core::kMaxImageFileBytes are refused before they are read.
inline constexpr std::int64_t kMaxImagePixels = core::kMaxImagePixels;

// An 8-bit RGB image, rows top to bottom, 3 interleaved bytes per pixel, no row padding.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;

  Image() = default;
  Image(int image_width, int image_height, std::uint8_t fill = 0);

  std::uint8_t* pixel(int x, int y) { return &pixels[offset(x, y)]; }
  const std::uint8_t* pixel(int x, int y) const { return &pixels[offset(x, y)]; }

 private:
  std::size_t offset(int x, int y) const {
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
            static_cast<std::size_t>(x)) *
           3;
  }
};

// An axis-aligned box in pixel coordinates: x grows to the right, y downwards, (x1, y1) the
// top-left corner and (x2, y2) the bottom-right one, as YOLO's xyxy boxes.
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

// Reads and decodes the image file at `path`.
Image read_image(const std::string& path);
// Decodes an image held in memory; `origin` names it in error messages.
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& origin);

// Encoded files of `image`. Throw tinyscale::Error for an image without pixels or whose
// pixel buffer does not match its size.
std::vector<std::uint8_t> encode_png(const Image& image);
std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality = 90);
std::vector<std::uint8_t> encode_bmp(const Image& image);

// encode_png, then an atomic write to `path`; tinyscale::Error names the path on failure.
void write_png(const Image& image, const std::string& path);

}  // namespace tinyscale::recipes
