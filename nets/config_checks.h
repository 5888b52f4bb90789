// Checks of network hyperparameters shared by the builders. Each throws tinyscale::Error
// "<family>: --<option> <value> must be ..." so the CLI's one error line names the option
// as the user spelled it.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"

namespace tinyscale::nets {

inline void require_input(const char* family, const std::array<std::int64_t, 3>& input) {
  for (std::int64_t d : input) {
    if (d < 1)
      throw Error(std::string(family) + ": --input must be three positive sizes C x H x W");
  }
}

inline void require_above(const char* family, const char* option, double value, double bound,
                          bool inclusive = false) {
  const bool ok = std::isfinite(value) && (inclusive ? value >= bound : value > bound);
  if (!ok) {
    throw Error(std::string(family) + ": " + option + " " + number_text(value) + " must be " +
                (inclusive ? "≥ " : "> ") + number_text(bound));
  }
}

inline void require_at_least(const char* family, const char* option, int value, int minimum) {
  if (value < minimum) {
    throw Error(std::string(family) + ": " + option + " " + std::to_string(value) + " must be ≥ " +
                std::to_string(minimum));
  }
}

}  // namespace tinyscale::nets
