#include "deploy/qemu_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

namespace tinyscale::deploy {
namespace {

constexpr const char* kQemu = "qemu-system-arm";

// A temporary working directory, removed with everything in it.
class WorkDir {
 public:
  WorkDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tinyscale-qemu-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw Error("cannot create a temporary directory for QEMU under " +
                  std::filesystem::temp_directory_path().string());
    path_ = pattern;
  }
  ~WorkDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0)
      return true;
  return false;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::uint64_t QemuRun::figure(const std::string& key) const {
  auto found = figures.find(key);
  if (found == figures.end())
    throw Error("the firmware reported no '" + key + "' (console: " + console + ")");
  const std::string& text = found->second;
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw Error("the firmware reported " + key + "=" + text + ", not an unsigned number");
  return value;
}

std::string QemuRun::failure_text() const {
  for (std::string_view rest = console; !rest.empty();) {
    std::size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    if (line.starts_with("TINYSCALE fault="))
      return "firmware fault: " + std::string(line.substr(10));
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  }
  std::string text = console;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  for (char& c : text)
    if (c == '\n') c = ' ';
  return "qemu-system-arm exited with code " + std::to_string(exit_code) +
         (text.empty() ? std::string() : ": " + text);
}

std::map<std::string, std::string> parse_report(std::string_view console) {
  std::map<std::string, std::string> figures;
  constexpr std::string_view kPrefix = "TINYSCALE ";
  for (std::string_view rest = console; !rest.empty();) {
    std::size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.starts_with(kPrefix)) continue;
    line.remove_prefix(kPrefix.size());
    while (!line.empty()) {
      std::size_t space = line.find(' ');
      std::string_view pair = line.substr(0, space);
      line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
      std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos || equals == 0) continue;
      figures[std::string(pair.substr(0, equals))] = std::string(pair.substr(equals + 1));
    }
  }
  return figures;
}

QemuRun run_qemu(const std::filesystem::path& elf, std::string_view machine,
                 const std::filesystem::path& input_file, const std::filesystem::path& output_file,
                 std::chrono::milliseconds timeout) {
  if (machine != "mps2-an500" && machine != "mps2-an386" && machine != "mps2-an385")
    throw Error("QEMU machine '" + std::string(machine) +
                "' has no firmware support; expected mps2-an500 (Cortex-M7), mps2-an386 "
                "(Cortex-M4) or mps2-an385 (Cortex-M3)");
  if (!std::filesystem::is_regular_file(elf))
    throw Error("firmware ELF " + elf.string() + " not found");
  if (!input_file.empty() && !std::filesystem::is_regular_file(input_file))
    throw Error("input file " + input_file.string() + " not found");
  if (!on_path(kQemu))
    throw Error(std::string(kQemu) + " not found on PATH (Debian package qemu-system-arm)");

  WorkDir work;
  if (!input_file.empty()) std::filesystem::copy_file(input_file, work.path() / "input.bin");
  const std::filesystem::path console_path = work.path() / "console.txt";
  const std::string elf_text = std::filesystem::absolute(elf).string();
  const std::string machine_text(machine);
  std::vector<std::string> args = {kQemu,
                                   "-M",
                                   machine_text,
                                   "-nographic",
                                   "-monitor",
                                   "none",
                                   "-serial",
                                   "null",
                                   "-semihosting-config",
                                   "enable=on,target=native",
                                   "-icount",
                                   "shift=0",
                                   "-kernel",
                                   elf_text};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string work_text = work.path().string();
  const std::string console_text = console_path.string();

  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot start " + std::string(kQemu) + ": fork failed");
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    int console = open(console_text.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null_in = open("/dev/null", O_RDONLY);
    if (console < 0 || null_in < 0 || chdir(work_text.c_str()) != 0) _exit(126);
    dup2(null_in, 0);
    dup2(console, 1);
    dup2(console, 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }

  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) throw Error("waiting for " + std::string(kQemu) + " failed");
    if (std::chrono::steady_clock::now() - started > timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      const std::string console = read_text(console_path);
      throw QemuTimeout(std::string(kQemu) + " -M " + machine_text + " " + elf.string() +
                        " did not finish within " + std::to_string(timeout.count()) +
                        " ms (killed)" + (console.empty() ? "" : "; it printed: " + console));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  QemuRun run;
  run.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.console = read_text(console_path);
  run.figures = parse_report(run.console);
  if (!output_file.empty() && run.exit_code == 0) {
    const std::filesystem::path written = work.path() / "output.bin";
    if (!std::filesystem::is_regular_file(written))
      throw Error("firmware " + elf.string() + " exited 0 but wrote no output.bin");
    std::filesystem::copy_file(written, output_file,
                               std::filesystem::copy_options::overwrite_existing);
  }
  return run;
}

}  // namespace tinyscale::deploy
