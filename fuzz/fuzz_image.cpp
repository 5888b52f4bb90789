// libFuzzer harness: bytes -> image decoding (recipes/image.h: PNG, JPEG, BMP) -> letterbox
// into a 96x96 network input -> the int8 input tensor, as `tinyscale detect` goes
// (cli/detect_command.cpp). A tinyscale::Error is a clean rejection; anything else is a
// finding.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "engine/kernels/kernel.h"
#include "recipes/image.h"
#include "recipes/letterbox.h"

namespace {

constexpr int kInputSize = 96;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace recipes = tinyscale::recipes;
  static const tinyscale::core::Tensor input_tensor{
      .name = "images",
      .shape = {1, kInputSize, kInputSize, 3},
      .dtype = tinyscale::core::DType::int8,
      .quantization = {.scales = {1.0f / 255.0f}, .zero_points = {-128}}};
  static std::vector<std::int8_t> input_bytes(kInputSize * kInputSize * 3);
  try {
    const recipes::Image image = recipes::decode_image(std::span(data, size), "fuzz.img");
    const recipes::LetterboxTransform transform =
        recipes::letterbox_transform(image.width, image.height, kInputSize, kInputSize);
    recipes::write_input_tensor(recipes::letterbox(image, transform),
                                {.tensor = &input_tensor, .data = input_bytes.data()});
  } catch (const tinyscale::Error&) {
  }
  return 0;
}
