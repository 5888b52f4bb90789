#include "deploy/cortex_m.h"

#include <array>

namespace tinyscale::deploy {
namespace {

constexpr std::array<CortexMTarget, 5> kTargets{{
    {"cortex-m7", "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb", "mps2-an500",
     "mps2_an500.ld"},
    {"cortex-m4", "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb", "mps2-an386",
     "mps2_an386.ld"},
    {"cortex-m33", "-mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard -mthumb", "", ""},
    {"cortex-m3", "-mcpu=cortex-m3 -mfloat-abi=soft -mthumb", "mps2-an385", "mps2_an385.ld"},
    {"cortex-m0plus", "-mcpu=cortex-m0plus -mfloat-abi=soft -mthumb", "", ""},
}};

}  // namespace

std::span<const CortexMTarget> cortex_m_targets() { return kTargets; }

const CortexMTarget* find_cortex_m_target(std::string_view name) {
  for (const CortexMTarget& target : kTargets)
    if (target.name == name) return &target;
  return nullptr;
}

std::filesystem::path firmware_dir() { return TINYSCALE_DEPLOY_FIRMWARE_DIR; }

}  // namespace tinyscale::deploy
