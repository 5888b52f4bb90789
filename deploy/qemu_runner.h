// Runs a Cortex-M firmware under Debian's qemu-system-arm and collects what it reports.
//
// The command is
//   qemu-system-arm -M <machine> -nographic -monitor none -serial null
//       -semihosting-config enable=on,target=native -icount shift=0 -kernel <elf>
// run in a fresh temporary directory: the input file is copied there as input.bin, the
// firmware (deploy/firmware/semihost.h) reads it and writes output.bin, which is copied
// to the output path. -icount shift=0 makes the run deterministic and the SysTick
// counter an instruction counter (deploy/firmware/firmware.h).
//
// Line protocol: the firmware prints lines `TINYSCALE key=value [key=value ...]` on the
// semihosting console; every pair lands in QemuRun::figures. Known keys:
//   instructions=N   instructions the measured region took (40-instruction granularity)
//   stack_bytes=N    stack high-water mark, from stack painting
//   fault=NAME pc=0x... cfsr=0x... hfsr=0x...   a fault (the firmware then exits 3)
//
//   QemuRun run = run_qemu("fw.elf", "mps2-an500", "in.bin", "out.bin", std::chrono::seconds(10));
//   if (run.exit_code != 0) throw Error(run.failure_text());
//   std::uint64_t n = run.figure("instructions");
//
// Errors: a missing ELF, input file or qemu-system-arm, or an unknown machine throw
// tinyscale::Error before QEMU starts; a run past the timeout is killed and throws
// QemuTimeout; a firmware that exits 0 without writing output.bin when an output was
// asked for throws Error. A non-zero exit is returned, not thrown (the caller decides).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/error.h"

namespace tinyscale::deploy {

class QemuTimeout : public Error {
 public:
  explicit QemuTimeout(const std::string& message) : Error(message) {}
};

struct QemuRun {
  int exit_code = -1;
  std::string console;                         // all QEMU and the firmware printed
  std::map<std::string, std::string> figures;  // TINYSCALE key=value pairs
  double wall_seconds = 0;                     // QEMU start to exit

  bool has(const std::string& key) const { return figures.count(key) != 0; }
  // The figure as an unsigned integer; throws Error if absent or not a number.
  std::uint64_t figure(const std::string& key) const;
  // One line for a failed run: the fault line if any, else the exit code and console.
  std::string failure_text() const;
};

// machine: "mps2-an500" (Cortex-M7), "mps2-an386" (Cortex-M4) or "mps2-an385" (Cortex-M3).
// input_file and output_file may be empty (no input.bin given, no output.bin collected).
QemuRun run_qemu(const std::filesystem::path& elf, std::string_view machine,
                 const std::filesystem::path& input_file, const std::filesystem::path& output_file,
                 std::chrono::milliseconds timeout);

// Parses the TINYSCALE lines of a console text (exposed for tests).
std::map<std::string, std::string> parse_report(std::string_view console);

}  // namespace tinyscale::deploy
