// A generated model package (deploy/codegen.h) linked into a minimal firmware for QEMU's
// mps2 boards: the firmware support of deploy/firmware (startup, linker script,
// semihosting, SysTick instruction counter, stack painting) plus a main that
//   reads input.bin into the model's inputs (input 0 first, concatenated; its size must
//     be the inputs' total or the firmware exits 2 with a TINYSCALE error= line),
//   repaints the stack, starts the counter, calls NAME_invoke(), reads the counter,
//   writes the outputs (concatenated) to output.bin, and reports
//     TINYSCALE instructions=N stack_bytes=N arena_bytes=N model_data_bytes=N
// Under run_qemu (deploy/qemu_runner.h) `instructions` is NAME_invoke()'s instruction
// count (to 40 instructions; it includes the call and the counter read, < 40) and
// `stack_bytes` the stack high-water mark of main's frame plus everything invoke called.
//
//   const CortexMTarget& m7 = *find_cortex_m_target("cortex-m7");
//   auto elf = build_qemu_firmware("out/kws", "kws", m7, "out/kws/qemu");
//   QemuRun run = run_qemu(elf, m7.qemu_machine, "in.bin", "out.bin", std::chrono::seconds(60));
//
// The build calls arm-none-eabi-gcc/g++ directly (-O2, the target's flags, sections per
// function, --gc-sections, no exceptions or RTTI, -Wall -Wextra -Werror) and throws
// tinyscale::Error with the compiler's output when a step fails, or when the target has
// no QEMU machine (Cortex-M33 for now).
#pragma once

#include <filesystem>
#include <string>

#include "deploy/cortex_m.h"

namespace tinyscale::deploy {

// Profiling (profile = true): model.cpp is compiled with TINYSCALE_OP_DONE(k) recording the
// counter after each kernel call, and the firmware also reports
//   TINYSCALE profile_hook_x256=N   256 calls of the hook, in instructions (its own cost)
//   TINYSCALE profile_calls=N       calls recorded
//   TINYSCALE callK=N               instructions from the start to the end of call K's hook
// (40-instruction steps). The calls' figures then include the hooks; `instructions` too.
constexpr int kProfileMaxCalls = 4096;

// The firmware's main.cpp for the package whose C identifier prefix is `name`.
std::string qemu_firmware_main(const std::string& name, bool profile = false);

// Builds build_dir/NAME.elf from package_dir and returns its path.
std::filesystem::path build_qemu_firmware(const std::filesystem::path& package_dir,
                                          const std::string& name, const CortexMTarget& target,
                                          const std::filesystem::path& build_dir,
                                          bool profile = false);

}  // namespace tinyscale::deploy
