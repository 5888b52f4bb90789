// Test helper: run the real `tinyscale` binary and capture what a user sees.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tinyscale::testing_support {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together (run_cli); stdout alone (run_cli_split)
  std::string err;  // stderr alone (run_cli_split)
};

inline CliRun run_cli_redirected(const std::string& args, const std::string& redirection) {
  const std::string command = std::string(TINYSCALE_CLI) + " " + args + redirection;
  CliRun r;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    r.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CliRun run_cli(const std::string& args) { return run_cli_redirected(args, " 2>&1"); }

// As run_cli, with stdout in `out` and stderr in `err` (progress reports go to stderr).
inline CliRun run_cli_split(const std::string& args) {
  char err_path[] = "/tmp/tinyscale_cli_stderr_XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd < 0) return {};
  close(fd);
  CliRun r = run_cli_redirected(args, std::string(" 2>") + err_path);
  FILE* err = std::fopen(err_path, "rb");
  if (err) {
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), err)) > 0)
      r.err.append(buffer.data(), n);
    std::fclose(err);
  }
  std::remove(err_path);
  return r;
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace tinyscale::testing_support
