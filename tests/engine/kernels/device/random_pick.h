// The device kernels' host tests' one random draw: an int uniform in [lo, hi].
#pragma once

#include <random>

namespace tinyscale::device {

inline int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

}  // namespace tinyscale::device
