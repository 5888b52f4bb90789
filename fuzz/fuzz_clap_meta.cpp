// libFuzzer harness: bytes -> the tinyCLAP projection metadata entry a model file carries
// (nets/tinyclap.h parse_clap_projection, "tinyscale.clap_projection") -> the projection of
// an embedding and its normalization, as `tinyscale clap` goes (cli/clap_command.cpp). A
// tinyscale::Error is a clean rejection; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "nets/tinyclap.h"
#include "recipes/clap.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace recipes = tinyscale::recipes;
  try {
    const tinyscale::nets::ClapProjection p =
        tinyscale::nets::parse_clap_projection(std::span(data, size), "fuzz.tflite");
    std::vector<float> embedding(static_cast<std::size_t>(p.in), 0.25f);
    std::vector<float> projected = recipes::clap_project(
        embedding, {p.in, p.out, p.w1, p.b1, p.w2, p.b2, p.ln_gamma, p.ln_beta, p.ln_eps});
    recipes::l2_normalize(projected);
  } catch (const tinyscale::Error&) {
  }
  return 0;
}
