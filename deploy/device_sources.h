// The device kernel sources (engine/kernels/device/*.h, *.cpp) compiled into the tinyscale
// binary, so `tinyscale deploy` copies them into a package without the source tree. The
// table is generated at build time by deploy/embed_sources.cmake.
#pragma once

#include <span>
#include <string_view>

namespace tinyscale::deploy {

struct DeviceSource {
  std::string_view file;  // "conv2d.h": the name under engine/kernels/device/
  std::string_view text;
};

std::span<const DeviceSource> device_sources();

}  // namespace tinyscale::deploy
