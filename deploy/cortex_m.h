// The Cortex-M cores tinyscale cross-builds for, and how each is built and emulated.
//
// The compiler flags are those of deploy/firmware/arm-none-eabi.cmake (keep the two in
// step); the QEMU machine and linker script say where a firmware for the core runs here.
// Cortex-M33 builds but has no QEMU firmware support yet (mps2-an505's memory map needs
// its own linker script): its machine and linker script are empty.
//
//   const CortexMTarget* target = find_cortex_m_target("cortex-m4");
//   // arm-none-eabi-gcc <target->gcc_flags> ... -T <firmware_dir()/target->linker_script>
//   run_qemu(elf, target->qemu_machine, ...);
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

namespace tinyscale::deploy {

struct CortexMTarget {
  std::string_view name;           // "cortex-m7", as --target spells it
  std::string_view gcc_flags;      // -mcpu/-mfpu/-mfloat-abi/-mthumb
  std::string_view qemu_machine;   // "mps2-an500"; empty if none
  std::string_view linker_script;  // in firmware_dir(); empty if none
};

std::span<const CortexMTarget> cortex_m_targets();
// nullptr when the name is not a known core.
const CortexMTarget* find_cortex_m_target(std::string_view name);

// deploy/firmware in the source tree this binary was built from: startup code, linker
// scripts, semihosting, the toolchain file (the code generator copies from here).
std::filesystem::path firmware_dir();

}  // namespace tinyscale::deploy
