// `tinyscale deploy` as a user runs it: a package for the MLPerf autoencoder; `--qemu` on
// the MLPerf DS-CNN and autoencoder for Cortex-M7 and M4 (outputs equal to the interop
// fixtures, deterministic instruction counts, FLASH and RAM figures, RAM below TensorFlow
// Lite Micro's arena); and the one-line refusals (unknown target, a core QEMU has no machine
// for, a board whose RAM region is too small) that write nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/cli_run.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;
using tinyscale::testing_support::run_cli_split;

const std::string kAutoencoder = TINYSCALE_SHARED_DIR "/interop/tflite/ad01_int8/model.tflite";
const std::string kKwsDir = TINYSCALE_SHARED_DIR "/interop/tflite/kws_ref_model";
const std::string kAutoencoderDir = TINYSCALE_SHARED_DIR "/interop/tflite/ad01_int8";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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
                        "README.md", "kernels/fully_connected_fast.cpp"}) {
    EXPECT_TRUE(fs::exists(dir / "pkg" / f)) << f;
  }
  std::ifstream header(dir / "pkg" / "anomaly.h");
  const std::string h{std::istreambuf_iterator<char>(header), std::istreambuf_iterator<char>()};
  EXPECT_NE(h.find("Command: tinyscale deploy " + kAutoencoder + " --target cortex-m4"),
            std::string::npos);
  // The converter's ';'-joined fused names give way to <op>_<node>; plain ones stay.
  std::ifstream source(dir / "pkg" / "anomaly.cpp");
  const std::string c{std::istreambuf_iterator<char>(source), std::istreambuf_iterator<char>()};
  // The Cortex-M4 takes the DSP GEMV, with its weights reordered and its bias folded.
  EXPECT_NE(c.find("fully_connected_0_weights_reordered"), std::string::npos);
  EXPECT_NE(c.find("fully_connected_0_folded_bias"), std::string::npos);
  EXPECT_NE(c.find("fully_connected_s8_fast(fully_connected_0_params, arena + "),
            std::string::npos);
  fs::remove_all(dir);
}

// A network given by net options takes --input as its shape, as `net` and `export` do; the
// QEMU run's tensor file then comes with --input-file (a file of the wrong size is named).
TEST(DeployCommand, FamilyTakesInputAsItsShapeAndInputFileAsTheTensor) {
  const fs::path dir = temp_dir();
  const std::string net =
      "deploy xinet --input 3x32x32 --alpha 0.25 --include-top --num-classes 4 ";
  const auto host = run_cli(net + "--target host -o " + (dir / "host").string());
  ASSERT_EQ(host.exit_code, 0) << host.out;
  EXPECT_TRUE(fs::exists(dir / "host" / "xinet.cpp")) << host.out;
  {
    std::ofstream bad(dir / "short.bin", std::ios::binary);
    bad << "abc";
  }
  const auto wrong = run_cli(net + "--target cortex-m7 -o " + (dir / "m7").string() +
                             " --qemu --input-file " + (dir / "short.bin").string());
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.out.find("holds 3 bytes; the model's inputs need 3072"), std::string::npos)
      << wrong.out;
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

struct QemuDeploy {
  nlohmann::json report;
  std::string output_bytes;
};

// `deploy MODEL_DIR/model.tflite --target TARGET --qemu --input input_sine.bin --json`.
QemuDeploy deploy_under_qemu(const std::string& model_dir, const std::string& target,
                             const fs::path& dir) {
  const auto r =
      run_cli_split("deploy " + model_dir + "/model.tflite --target " + target + " -o " +
                    (dir / "pkg").string() + " --name net --qemu --input " + model_dir +
                    "/input_sine.bin --output " + (dir / "out.bin").string() + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  QemuDeploy d{nlohmann::json::parse(r.out, nullptr, false), read_file(dir / "out.bin")};
  EXPECT_FALSE(d.report.is_discarded()) << r.out;
  return d;
}

// The figures every --qemu report must give, printed for the record.
void check_report(const nlohmann::json& j, const std::string& what, std::int64_t tflm_arena) {
  ASSERT_TRUE(j.is_object()) << what;
  EXPECT_EQ(j["byte_identical_to_host"], true) << what;
  const std::int64_t instructions = j["instructions"]["per_inference"];
  EXPECT_GT(instructions, 0) << what;
  EXPECT_EQ(j["instructions"]["granularity"], 40) << what;
  const nlohmann::json& flash = j["flash"];
  const nlohmann::json& ram = j["ram"];
  EXPECT_GT(flash["model_data_bytes"].get<std::int64_t>(), 0) << what;
  EXPECT_GT(flash["code_bytes"].get<std::int64_t>(), 0) << what;
  EXPECT_GE(flash["total_bytes"].get<std::int64_t>(),
            flash["model_data_bytes"].get<std::int64_t>() + flash["code_bytes"].get<std::int64_t>())
      << what;
  EXPECT_GT(ram["stack_bytes"].get<std::int64_t>(), 0) << what;
  EXPECT_EQ(ram["total_bytes"].get<std::int64_t>(), ram["arena_bytes"].get<std::int64_t>() +
                                                        ram["data_bss_bytes"].get<std::int64_t>() +
                                                        ram["stack_bytes"].get<std::int64_t>())
      << what;
  // The issue's target: RAM on the board below TensorFlow Lite Micro's arena_used_bytes.
  EXPECT_LT(ram["total_bytes"].get<std::int64_t>(), tflm_arena) << what;
  EXPECT_GT(j["estimate"]["ms"].get<double>(), 0) << what;
  std::printf(
      "[ figures  ] %s: %lld instructions; FLASH model %lld + code %lld, total %lld B; RAM "
      "arena %lld + data/bss %lld + stack %lld = %lld B (TFLite Micro arena %lld B)\n",
      what.c_str(), static_cast<long long>(instructions),
      static_cast<long long>(flash["model_data_bytes"].get<std::int64_t>()),
      static_cast<long long>(flash["code_bytes"].get<std::int64_t>()),
      static_cast<long long>(flash["total_bytes"].get<std::int64_t>()),
      static_cast<long long>(ram["arena_bytes"].get<std::int64_t>()),
      static_cast<long long>(ram["data_bss_bytes"].get<std::int64_t>()),
      static_cast<long long>(ram["stack_bytes"].get<std::int64_t>()),
      static_cast<long long>(ram["total_bytes"].get<std::int64_t>()),
      static_cast<long long>(tflm_arena));
}

TEST(DeployCommandQemu, DsCnnOnCortexM7MatchesTheFixtureWithDeterministicInstructions) {
  if (!fs::exists(kKwsDir + "/model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  const QemuDeploy first = deploy_under_qemu(kKwsDir, "cortex-m7", dir);
  check_report(first.report, "DS-CNN on cortex-m7", 22772);
  EXPECT_EQ(first.output_bytes, read_file(kKwsDir + "/output_sine.bin"));
  EXPECT_EQ(first.report["qemu_machine"], "mps2-an500");
  const std::string fixture = read_file(kKwsDir + "/output_sine.bin");
  const nlohmann::json& values = first.report["outputs"][0]["values"];
  ASSERT_EQ(values.size(), fixture.size());
  for (std::size_t k = 0; k < fixture.size(); ++k)
    EXPECT_EQ(values[k].get<int>(), static_cast<int>(static_cast<signed char>(fixture[k]))) << k;
  const QemuDeploy second = deploy_under_qemu(kKwsDir, "cortex-m7", dir);
  EXPECT_EQ(second.report["instructions"]["per_inference"],
            first.report["instructions"]["per_inference"]);
  fs::remove_all(dir);
}

TEST(DeployCommandQemu, DsCnnOnCortexM4MatchesTheFixture) {
  if (!fs::exists(kKwsDir + "/model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  const QemuDeploy d = deploy_under_qemu(kKwsDir, "cortex-m4", dir);
  check_report(d.report, "DS-CNN on cortex-m4", 22772);
  EXPECT_EQ(d.report["qemu_machine"], "mps2-an386");
  EXPECT_EQ(d.output_bytes, read_file(kKwsDir + "/output_sine.bin"));
  fs::remove_all(dir);
}

TEST(DeployCommandQemu, AutoencoderOnCortexM7AndM4MatchesTheFixture) {
  if (!fs::exists(kAutoencoder)) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  for (const char* target : {"cortex-m7", "cortex-m4"}) {
    const QemuDeploy d = deploy_under_qemu(kAutoencoderDir, target, dir);
    check_report(d.report, std::string("autoencoder on ") + target, 2260);
    EXPECT_EQ(d.output_bytes, read_file(kAutoencoderDir + "/output_sine.bin")) << target;
  }
  fs::remove_all(dir);
}

TEST(DeployCommandQemu, TextReportSaysWhatEachFigureIs) {
  if (!fs::exists(kAutoencoder)) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  const auto r = run_cli("deploy " + kAutoencoder + " --board NUCLEO-H743ZI2 -o " +
                         (dir / "pkg").string() + " --qemu");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* text :
       {"cortex-m7 package", "QEMU mps2-an500", "outputs: byte-identical to the host engine",
        "steps of 40 instructions", "(.text)", "_MODEL_DATA_BYTES", "firmware included",
        "high-water mark, painted", "at 480 MHz (NUCLEO-H743ZI2's clock)",
        "estimate (instructions / MHz, 1 instruction per cycle)", "of 1,966,080 B budget"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  // No temporary build folder is left behind in the package.
  EXPECT_FALSE(fs::exists(dir / "pkg" / "build"));
  fs::remove_all(dir);
}

TEST(DeployCommandQemu, CoreWithoutQemuMachineIsOneLineAndWritesNothing) {
  if (!fs::exists(kAutoencoder)) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  const auto r = run_cli("deploy " + kAutoencoder + " --target cortex-m33 --qemu -o " +
                         (dir / "pkg").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("no QEMU machine for cortex-m33 here"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "pkg"));
  fs::remove_all(dir);
}

TEST(DeployCommand, ArenaOverTheBoardsRegionIsOneLineNamingTheSizesAndWritesNothing) {
  if (!fs::exists(kKwsDir + "/model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const fs::path dir = temp_dir();
  std::ofstream(dir / "boards.json") << R"({"boards": [{"name": "Tiny M4", "aliases": [],
    "core": "cortex-m4", "mhz": 64, "flash_bytes": 262144, "ram_bytes": 16384,
    "ram_regions": [{"name": "SRAM", "kind": "sram", "size_bytes": 16384}],
    "reserve_flash_bytes": 32768, "reserve_ram_bytes": 4096, "notes": "test"}]})";
  const auto r = run_cli("deploy " + kKwsDir + "/model.tflite --board 'Tiny M4' --boards-file " +
                         (dir / "boards.json").string() + " --qemu -o " + (dir / "pkg").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find("arena 16,000 B exceeds board Tiny M4's best RAM region (SRAM, 12,288 B"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(dir / "pkg"));
  fs::remove_all(dir);
}

}  // namespace
