#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "core/error.h"

namespace tinyscale::core {
namespace {

// The signals that kill a process by default and that a user or a supervisor sends to stop
// a run: Ctrl-C, kill / systemd / CI timeouts, a closed terminal.
constexpr std::array<int, 3> kCleanupSignals = {SIGINT, SIGTERM, SIGHUP};

// What the handler may touch: a fixed buffer and a flag (no allocation, no locks).
char g_temp_path[4096 + 64];
volatile std::sig_atomic_t g_temp_armed = 0;

// One temporary file is tracked at a time, so concurrent writers take turns.
std::mutex g_write_mutex;

void remove_temp_and_reraise(int signo) {
  const int saved_errno = errno;
  if (g_temp_armed) ::unlink(g_temp_path);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(signo, &default_action, nullptr);
  // The signal is blocked while this handler runs: it is delivered, with the default
  // action, as the handler returns, so the process dies of it as it would have.
  ::raise(signo);
  errno = saved_errno;
}

// Arms the handler for one temporary file; the destructor restores the previous handlers.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::string& temp) {
    std::memcpy(g_temp_path, temp.c_str(), temp.size() + 1);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    g_temp_armed = 1;
    struct sigaction handler {};
    handler.sa_handler = remove_temp_and_reraise;
    sigemptyset(&handler.sa_mask);
    for (int signo : kCleanupSignals) sigaddset(&handler.sa_mask, signo);
    for (std::size_t i = 0; i < kCleanupSignals.size(); ++i) {
      struct sigaction current {};
      if (::sigaction(kCleanupSignals[i], nullptr, &current) != 0) continue;
      // Only a default disposition is replaced: an ignored signal stays ignored, and a
      // program's own handler decides for itself.
      const bool is_default = !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL;
      if (!is_default) continue;
      if (::sigaction(kCleanupSignals[i], &handler, &previous_[i]) == 0) installed_[i] = true;
    }
  }
  ~TempFileGuard() {
    for (std::size_t i = 0; i < kCleanupSignals.size(); ++i) {
      if (installed_[i]) ::sigaction(kCleanupSignals[i], &previous_[i], nullptr);
    }
    std::atomic_signal_fence(std::memory_order_seq_cst);
    g_temp_armed = 0;
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;

 private:
  std::array<struct sigaction, kCleanupSignals.size()> previous_{};
  std::array<bool, kCleanupSignals.size()> installed_{};
};

}  // namespace

std::string atomic_temp_path(const std::string& path) {
  return path + ".tmp-" + std::to_string(::getpid());
}

void write_bytes_atomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  const std::string temp = atomic_temp_path(path);
  auto failure = [&](const std::string& step, int error_number) {
    return Error("cannot write '" + path + "': " + step + ": " + std::strerror(error_number));
  };
  if (temp.size() >= sizeof g_temp_path) throw failure("path too long", ENAMETOOLONG);
  const std::lock_guard<std::mutex> lock(g_write_mutex);
  // Armed before the file exists: a signal between open() and the rename removes it.
  const TempFileGuard guard(temp);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int open_errno = errno;
    throw failure("cannot create '" + temp + "'", open_errno);
  }
  auto abandon = [&](const std::string& step, int error_number, bool close_fd) {
    if (close_fd) ::close(fd);
    ::unlink(temp.c_str());
    throw failure(step, error_number);
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) abandon("write failed", n < 0 ? errno : EIO, true);
    written += static_cast<std::size_t>(n);
  }
  // Data on disk before the rename makes it visible: a crash leaves the old file or the
  // new one, never a truncated one.
  if (::fsync(fd) != 0) abandon("fsync failed", errno, true);
  if (::close(fd) != 0) abandon("close failed", errno, false);
  if (std::rename(temp.c_str(), path.c_str()) != 0) abandon("rename failed", errno, false);
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  write_bytes_atomically(path,
                         {reinterpret_cast<const std::uint8_t*>(contents.data()), contents.size()});
}

}  // namespace tinyscale::core
