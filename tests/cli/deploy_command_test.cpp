// `tinyscale deploy` as a user runs it: a package for the MLPerf autoencoder, and the
// one-line refusals (unknown target) that write nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;

const std::string kAutoencoder = TINYSCALE_SHARED_DIR "/interop/tflite/ad01_int8/model.tflite";

fs::path temp_dir() {
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_deploy_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(DeployCommand, WritesThePackageAndReportsItsFigures) {
  if (!fs::exists(kAutoencoder)) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  const auto r = run_cli("deploy " + kAutoencoder + " --target cortex-m4 -o " +
                         (dir / "pkg").string() + " --name anomaly");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("cortex-m4 package 'anomaly'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arena 768 bytes (RAM)"), std::string::npos) << r.out;
  for (const char* f : {"anomaly.h", "anomaly.cpp", "CMakeLists.txt", "arm-none-eabi.cmake",
                        "README.md", "kernels/fully_connected.cpp"}) {
    EXPECT_TRUE(fs::exists(dir / "pkg" / f)) << f;
  }
  std::ifstream header(dir / "pkg" / "anomaly.h");
  const std::string h{std::istreambuf_iterator<char>(header), std::istreambuf_iterator<char>()};
  EXPECT_NE(h.find("Command: tinyscale deploy " + kAutoencoder + " --target cortex-m4"),
            std::string::npos);
  // The converter's ';'-joined fused names give way to <op>_<node>; plain ones stay.
  std::ifstream source(dir / "pkg" / "anomaly.cpp");
  const std::string c{std::istreambuf_iterator<char>(source), std::istreambuf_iterator<char>()};
  EXPECT_NE(c.find("fully_connected_0_weights"), std::string::npos);
  EXPECT_NE(c.find("fully_connected_s8(fully_connected_0_params, arena + "), std::string::npos);
  fs::remove_all(dir);
}

TEST(DeployCommand, UnknownTargetIsOneLineAndWritesNothing) {
  if (!fs::exists(kAutoencoder)) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  const auto r =
      run_cli("deploy " + kAutoencoder + " --target cortex-m0 -o " + (dir / "pkg").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("unknown target 'cortex-m0'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "pkg"));
  fs::remove_all(dir);
}

}  // namespace
