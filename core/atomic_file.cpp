#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace tinyscale::core {

void write_bytes_atomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  auto failure = [&](const std::string& step, int error_number) {
    return Error("cannot write '" + path + "': " + step + ": " + std::strerror(error_number));
  };
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
