// libFuzzer harness: bytes -> a class-embeddings JSON file (recipes/clap.h
// parse_class_embeddings, as `tinyscale clap --classes`) -> ranking an embedding against it.
// A tinyscale::Error is a clean rejection; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "recipes/clap.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace recipes = tinyscale::recipes;
  // Two embedding widths: the demo file's 32 and the 3 of the small seeds, so the fuzzer
  // reaches a matching and a mismatching width with small files.
  for (const int width : {3, 32}) {
    try {
      const recipes::ClassEmbeddings classes = recipes::parse_class_embeddings(
          std::string_view(reinterpret_cast<const char*>(data), size), "fuzz_classes.json", width);
      std::vector<float> embedding(static_cast<std::size_t>(width), 0.5f);
      recipes::l2_normalize(embedding);
      (void)recipes::rank_classes(embedding, classes, 5);
    } catch (const tinyscale::Error&) {
    }
  }
  return 0;
}
