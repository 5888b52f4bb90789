// core/atomic_file: the target is the old file or the complete new one, and no temporary
// file survives a failure or a SIGINT / SIGTERM that arrives mid-write.
//
// The signal tests are deterministic, not timed: the test creates the child's temporary
// path as a FIFO before telling the child to write, so the child's write blocks once the
// FIFO's buffer is full. The test reads one byte (the child has created the temporary file
// and is writing), sends the signal, and then looks at what the child left.
#include "core/atomic_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace tinyscale::core {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinyscale_atomic_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }
  fs::path dir_;
};

TEST_F(AtomicFile, TempPathIsBesideTheTargetAndNamesThePid) {
  EXPECT_EQ(atomic_temp_path("/a/b.tflite"), "/a/b.tflite.tmp-" + std::to_string(::getpid()));
}

TEST_F(AtomicFile, WriteRestoresTheSignalDispositions) {
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGINT, nullptr, &before), 0);
  write_file_atomically((dir_ / "a.txt").string(), "data");
  struct sigaction after {};
  ASSERT_EQ(::sigaction(SIGINT, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_EQ(read_all(dir_ / "a.txt"), "data");
}

void program_handler(int) {}

TEST_F(AtomicFile, AProgramsOwnHandlerIsLeftInPlace) {
  struct sigaction mine {
  }, old{};
  mine.sa_handler = program_handler;
  sigemptyset(&mine.sa_mask);
  ASSERT_EQ(::sigaction(SIGTERM, &mine, &old), 0);
  write_file_atomically((dir_ / "b.txt").string(), "data");
  struct sigaction after {};
  ::sigaction(SIGTERM, &old, &after);
  EXPECT_EQ(after.sa_handler, program_handler);
}

TEST_F(AtomicFile, TooLongAPathIsRefusedBeforeAnythingIsCreated) {
  const std::string path = (dir_ / std::string(5000, 'x')).string();
  try {
    write_file_atomically(path, "data");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too long"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(entries().empty());
}

// The child, its "go" pipe and the read end of its temporary file (a FIFO).
struct ChildWrite {
  pid_t pid = -1;
  int fifo = -1;
};

// Starts atomic_write_child writing `bytes` bytes to `target` with its temporary path
// replaced by a FIFO, and returns once the child is writing into it (one byte read).
// `ignore_sigint`: the child starts with SIGINT ignored (as under nohup).
ChildWrite start_child_write(const fs::path& target, std::size_t bytes, bool ignore_sigint) {
  int go[2];
  if (::pipe(go) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    // A user's shell gives a command the default dispositions; a test runner started in
    // the background may not have.
    std::signal(SIGINT, ignore_sigint ? SIG_IGN : SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGHUP, SIG_DFL);
    ::dup2(go[0], 3);
    ::close(go[1]);
    const int null = ::open("/dev/null", O_WRONLY);  // the expected fsync error of a FIFO
    if (null >= 0) ::dup2(null, 2);
    const std::string size = std::to_string(bytes);
    ::execl(ATOMIC_WRITE_CHILD, ATOMIC_WRITE_CHILD, target.c_str(), size.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(go[0]);
  ChildWrite child;
  child.pid = pid;
  const std::string temp = target.string() + ".tmp-" + std::to_string(pid);
  if (::mkfifo(temp.c_str(), 0600) != 0 || ::write(go[1], "g", 1) != 1) {
    ::close(go[1]);
    return child;
  }
  ::close(go[1]);
  // Non-blocking open, then poll: a child that fails before opening the FIFO fails the
  // test after the timeout instead of hanging it.
  child.fifo = ::open(temp.c_str(), O_RDONLY | O_NONBLOCK);
  pollfd p{child.fifo, POLLIN, 0};
  char byte = 0;
  if (child.fifo < 0 || ::poll(&p, 1, 60'000) != 1 || ::read(child.fifo, &byte, 1) != 1) {
    if (child.fifo >= 0) ::close(child.fifo);
    child.fifo = -1;
  }
  return child;
}

class AtomicFileSignal : public AtomicFile, public ::testing::WithParamInterface<int> {};

TEST_P(AtomicFileSignal, MidWriteRemovesTheTempFileKeepsTheTargetAndDiesOfTheSignal) {
  const int signo = GetParam();
  const fs::path target = dir_ / "model.tflite";
  std::ofstream(target) << "old model";
  const ChildWrite child = start_child_write(target, std::size_t{4} << 20, false);
  ASSERT_GT(child.pid, 0);
  ASSERT_GE(child.fifo, 0) << "the child never started writing its temporary file";
  ASSERT_EQ(::kill(child.pid, signo), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
  ::close(child.fifo);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << status;
  EXPECT_EQ(WTERMSIG(status), signo);
  EXPECT_EQ(entries(), std::vector<std::string>{"model.tflite"});
  EXPECT_EQ(read_all(target), "old model");
}

INSTANTIATE_TEST_SUITE_P(SigintAndSigterm, AtomicFileSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return std::string(param.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

TEST_F(AtomicFile, AnIgnoredSignalStaysIgnored) {
  // Under nohup (SIGINT ignored) the write goes on; the FIFO then fails fsync, so the
  // child reports an error, removes the temporary file and exits normally.
  const fs::path target = dir_ / "model.tflite";
  std::ofstream(target) << "old model";
  const ChildWrite child = start_child_write(target, std::size_t{1} << 20, true);
  ASSERT_GT(child.pid, 0);
  ASSERT_GE(child.fifo, 0) << "the child never started writing its temporary file";
  ASSERT_EQ(::kill(child.pid, SIGINT), 0);
  ::fcntl(child.fifo, F_SETFL, 0);  // blocking reads: drain until the child closes it
  std::vector<char> buffer(1 << 16);
  while (::read(child.fifo, buffer.data(), buffer.size()) > 0) {
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
  ::close(child.fifo);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(entries(), std::vector<std::string>{"model.tflite"});
  EXPECT_EQ(read_all(target), "old model");
}

}  // namespace
}  // namespace tinyscale::core
