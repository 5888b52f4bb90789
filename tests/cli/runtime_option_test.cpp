// --runtime tflite-micro: the arena `tinyscale info` predicts for a .tflite equals the
// arena_used_bytes the prebuilt TensorFlow Lite Micro (../shared/tools/tflm, commit 90b983c2)
// reports on a Cortex-M7 and a Cortex-M4 under QEMU, with reference and with CMSIS-NN
// kernels, on the interop models and on a spread of tinyscale's own exports. The QEMU runs
// skip with a message where ../shared is absent; the option checks run everywhere.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "engine/tflite_layout.h"
#include "export/tflite_layout.h"
#include "tests/cli/cli_run.h"
#include "tests/support/sanitizers.h"

namespace {

namespace fs = std::filesystem;
using tinyscale::testing_support::run_cli;

const std::string kShared = TINYSCALE_SHARED_DIR;
const std::string kMeasure = kShared + "/tools/tflm/cm/measure.sh";

struct Model {
  std::string name;
  std::string make;  // CLI arguments writing OUT, or empty for a file in ../shared
  std::string file;  // the ../shared file when make is empty
  bool m4 = false;   // also measured on the Cortex-M4
};

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The raw bytes of all inputs: zeros of each input tensor's size.
std::string zero_input(const std::string& model, const fs::path& dir) {
  const tinyscale::engine::TfliteLayout layout =
      tinyscale::exporter::read_tflite_layout(read_all(model), model);
  std::int64_t bytes = 0;
  for (const std::int32_t t : layout.inputs) {
    bytes += layout.tensors[static_cast<std::size_t>(t)].bytes();
  }
  const fs::path input = dir / (fs::path(model).stem().string() + ".input.bin");
  std::ofstream(input, std::ios::binary) << std::string(static_cast<std::size_t>(bytes), '\0');
  return input.string();
}

std::int64_t measured_arena(const std::string& model, const std::string& input,
                            const std::string& cpu, const std::string& kernels) {
  const std::string command =
      kMeasure + " " + model + " " + input + " " + cpu + " " + kernels + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  std::string out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("\"arena_used_bytes\": (\\d+)"))) {
    ADD_FAILURE() << "measure.sh " << model << " " << cpu << " " << kernels << ":\n" << out;
    return -1;
  }
  return std::stoll(m[1]);
}

std::int64_t predicted_arena(const std::string& model, const std::string& kernels) {
  const auto r = run_cli("info " + model + " --json --kernels " + kernels);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return -2;
  EXPECT_TRUE(j["tflite_micro"]["exact"].get<bool>()) << j["notes"].dump();
  EXPECT_EQ(j["ram_bytes"], j["tflite_micro"]["arena_used_bytes"]);
  return j["tflite_micro"]["arena_used_bytes"].get<std::int64_t>();
}

TEST(TfliteMicroRuntime, PredictedArenaEqualsTfliteMicrosOwnFigure) {
  if (!fs::exists(kMeasure)) GTEST_SKIP() << "../shared/tools/tflm is absent";
  const fs::path dir = fs::temp_directory_path() / "tinyscale_tflm_arena_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<Model> models = {
      {"autoencoder", "", kShared + "/interop/tflite/ad01_int8/model.tflite", true},
      {"ds_cnn", "", kShared + "/interop/tflite/kws_ref_model/model.tflite", true},
      {"phinet_32", "export phinet --input 3x32x32 --alpha 0.25", "", false},
      {"phinet_32_top_fio",
       "export phinet --input 3x32x32 --alpha 0.25 --include-top --float-io", "", true},
      {"phinet_64_t4_fio", "export phinet --input 3x64x64 --alpha 0.35 --t0 4 --num-layers 5 "
                           "--float-io", "", false},
      {"phinet_80_conv5_top",
       "export phinet --input 3x80x80 --alpha 0.25 --conv5-percent 0.5 --include-top", "", false},
      {"phinet_48_relu", "export phinet --input 3x48x48 --alpha 0.5 --no-squeeze-excite "
                         "--no-h-swish", "", false},
      {"xinet_64", "export xinet --input 3x64x64 --alpha 0.25", "", false},
      {"xinet_32_top", "export xinet --input 3x32x32 --alpha 0.5 --include-top --num-classes 10",
       "", true},
      {"yolo_phinet_64", "export yolo-phinet --input 3x64x64 --alpha 0.25 --classes 2 --neck "
                         "xiconv --depth-multiple 0.34", "", false},
      {"clap_encoder", "clap-export --alpha 0.25 --embedding 64 --shared 32 --frames 101", "",
       false},
      {"kws_phinet_fio", "export phinet --input 1x49x10 --alpha 0.5 --num-layers 5 --include-top "
                         "--num-classes 12 --float-io", "", false},
  };
  int compared = 0;
  for (const Model& m : models) {
    std::string file = m.file;
    if (!m.make.empty()) {
      file = (dir / (m.name + ".tflite")).string();
      const bool clap = m.make.rfind("clap-export", 0) == 0;
      const auto r = run_cli(m.make + " -q " + (clap ? "-o " : "--tflite ") + file);
      ASSERT_EQ(r.exit_code, 0) << m.make << "\n" << r.out;
    }
    const std::string input = zero_input(file, dir);
    for (const std::string kernels : {"reference", "cmsis-nn"}) {
      const std::int64_t predicted = predicted_arena(file, kernels);
      const std::string tool_kernels = kernels == "reference" ? "ref" : "cmsis";
      for (const std::string cpu : {"m7", "m4"}) {
        if (cpu == "m4" && !m.m4) continue;
        EXPECT_EQ(predicted, measured_arena(file, input, cpu, tool_kernels))
            << m.name << " " << cpu << " " << kernels;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 2 * (static_cast<int>(models.size()) + 4));
  fs::remove_all(dir);
}

// The solver fits TFLite Micro by default: on every board the solved network's predicted arena
// and FLASH (file + code) are within the board's budgets, for both families and both kernel
// sets, and `info` on the exported file predicts the same arena.
TEST(TfliteMicroRuntime, SolvedNetworksFitTheirBoardsUnderTfliteMicro) {
  int solved = 0, index = 0;
  for (const std::string board : {"f746", "h743", "l4r5", "nano33ble", "pico", "max78000", "f401",
                                  "u585"}) {
    for (const std::string family : {"phinet", "xinet"}) {
      for (const std::string kernels : {"cmsis-nn", "reference"}) {
        // a quarter of the cases in the sanitizer pass (tests/support/sanitizers.h)
        if (!tinyscale::testing::runs_case(index++)) continue;
        const auto r = run_cli("solve --board " + board + " --family " + family +
                               " --input 3x64x64 --num-classes 10 --kernels " + kernels + " --json");
        if (r.exit_code != 0) {
          // A board nothing fits on says so (one line) and the test moves on.
          EXPECT_NE(r.out.find("no "), std::string::npos) << board << " " << family << r.out;
          continue;
        }
        const auto j = nlohmann::json::parse(r.out);
        const std::string what = board + " " + family + " " + kernels;
        EXPECT_EQ(j["runtime"], "tflite-micro") << what;
        EXPECT_EQ(j["tflite_micro"]["kernels"], kernels) << what;
        EXPECT_LE(j["ram_bytes"].get<long>(), j["budgets"]["ram_bytes"].get<long>()) << what;
        EXPECT_LE(j["flash_bytes"].get<long>(), j["budgets"]["flash_bytes"].get<long>()) << what;
        EXPECT_EQ(j["ram_bytes"], j["tflite_micro"]["arena_used_bytes"]) << what;
        EXPECT_EQ(j["flash_bytes"], j["tflite_micro"]["flash_bytes"]) << what;
        EXPECT_TRUE(j["ram_regions"]["fits"].get<bool>()) << what;
        // The generated code's figures for the same network are stated beside.
        ASSERT_EQ(j["other_runtimes"].size(), 1u) << what;
        EXPECT_EQ(j["other_runtimes"][0]["runtime"], "tinyscale") << what;
        ++solved;
      }
    }
  }
  EXPECT_GE(solved, tinyscale::testing::property_cases(24));
}

// End to end on TFLite Micro itself: the network solved for a small budget, exported, allocates
// exactly the arena the solver promised, within the budget.
TEST(TfliteMicroRuntime, SolvedExportedNetworkAllocatesThePromisedArena) {
  if (!fs::exists(kMeasure)) GTEST_SKIP() << "../shared/tools/tflm is absent";
  const fs::path dir = fs::temp_directory_path() / "tinyscale_tflm_solve_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const std::string kernels : {"cmsis-nn", "reference"}) {
    const auto r = run_cli("solve --flash 400K --ram 96K --input 3x64x64 --num-classes 10 "
                           "--kernels " + kernels + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out);
    const std::string command = j["command"].get<std::string>().substr(13);  // after "tinyscale net"
    const std::string file = (dir / (kernels + ".tflite")).string();
    const auto exported = run_cli("export" + command + " -q --calib-samples 2 --tflite " + file);
    ASSERT_EQ(exported.exit_code, 0) << exported.out;
    const std::string input = zero_input(file, dir);
    const std::int64_t arena =
        measured_arena(file, input, "m7", kernels == "reference" ? "ref" : "cmsis");
    EXPECT_EQ(arena, j["ram_bytes"].get<std::int64_t>()) << kernels;
    EXPECT_LE(arena, 96 * 1024) << kernels;
    EXPECT_GE(arena, 90 * 1024) << kernels << ": the budget is filled";
  }
  fs::remove_all(dir);
}

TEST(TfliteMicroRuntime, KernelsNeedTheTfliteMicroRuntime) {
  const auto r = run_cli("net phinet --input 3x32x32 --alpha 0.25 --runtime tinyscale "
                         "--kernels reference");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("--kernels applies to --runtime tflite-micro"), std::string::npos) << r.out;
}

TEST(TfliteMicroRuntime, OneArenaCannotBeSplitOverRegions) {
  const auto r = run_cli("net phinet --input 3x32x32 --alpha 0.25 --board h743 "
                         "--arena-regions auto");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("TFLite Micro has one arena"), std::string::npos) << r.out;
  const auto engine = run_cli("net phinet --input 3x32x32 --alpha 0.25 --board h743 "
                              "--arena-regions auto --runtime engine");
  EXPECT_EQ(engine.exit_code, 0) << engine.out;
}

}  // namespace
