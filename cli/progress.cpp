#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

namespace tinyscale::cli {

Progress::Progress(std::string task, long long total, bool quiet, std::string unit)
    : Progress(std::move(task), total, quiet, std::move(unit), stderr,
               ::isatty(::fileno(stderr)) != 0) {}

Progress::Progress(std::string task, long long total, bool quiet, std::string unit,
                   std::FILE* stream, bool terminal, int max_lines)
    : task_(std::move(task)),
      unit_(std::move(unit)),
      total_(std::max<long long>(total, 1)),
      quiet_(quiet),
      stream_(stream),
      terminal_(terminal),
      max_lines_(std::max(max_lines, 1)) {}

Progress::~Progress() {
  if (line_open_) {
    std::fputc('\n', stream_);
    std::fflush(stream_);
  }
}

void Progress::update(long long done, std::string_view step) {
  if (quiet_) return;
  done = std::clamp<long long>(done, 0, total_);
  const std::string count =
      std::to_string(done) + "/" + std::to_string(total_) + (unit_.empty() ? "" : " " + unit_);
  const std::string what = step.empty() ? "" : ": " + std::string(step);
  if (terminal_) {
    constexpr long long kWidth = 24;
    const long long filled = done * kWidth / total_;
    std::fprintf(stream_, "\rtinyscale: %s [%s%s] %s%s\033[K", task_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), count.c_str(),
                 what.c_str());
    line_open_ = done < total_;
    if (!line_open_) std::fputc('\n', stream_);
    std::fflush(stream_);
    return;
  }
  const long long share = done * max_lines_ / total_;
  if (share <= last_share_ && done < total_) return;
  if (done == total_ && last_share_ > max_lines_) return;  // the last step, already printed
  last_share_ = done == total_ ? max_lines_ + 1 : share;
  std::fprintf(stream_, "tinyscale: %s %s%s\n", task_.c_str(), count.c_str(), what.c_str());
  std::fflush(stream_);
}

}  // namespace tinyscale::cli
