// cli/output_paths: outputs that would overwrite an input, carry the wrong extension or
// point into a missing or unwritable folder are refused, naming the option and the path.
#include "cli/output_paths.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"

namespace tinyscale::cli {
namespace {

namespace fs = std::filesystem;

class OutputPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinyscale_output_paths_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "calib");
    std::ofstream(path("m.tflite")) << "model";
    std::ofstream(path("calib/a.bin")) << "sample";
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // The message of the refusal, or "" when the paths are accepted.
  static std::string refusal(const std::vector<InputPath>& inputs,
                             const std::vector<OutputPath>& outputs) {
    try {
      check_output_paths(inputs, outputs);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  OutputPath tflite(const std::string& p) const {
    return {.option = "-o", .path = p, .extensions = {".tflite"}, .kind = "a TFLite model"};
  }
  fs::path dir_;
};

TEST_F(OutputPaths, TheSameFileAsAnInputIsRefusedNamingBoth) {
  const std::string m = path("m.tflite");
  for (const std::string& same :
       {m, (dir_ / "." / "m.tflite").string(), (dir_ / "calib" / ".." / "m.tflite").string()}) {
    const std::string message = refusal({{"the model", m}}, {tflite(same)});
    EXPECT_NE(message.find("-o '" + same + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("the model '" + m + "'"), std::string::npos) << message;
  }
  // A symlink and a hard link are the same file too.
  fs::create_symlink(m, path("link.tflite"));
  fs::create_hard_link(m, path("hard.tflite"));
  EXPECT_NE(refusal({{"the model", m}}, {tflite(path("link.tflite"))}), "");
  EXPECT_NE(refusal({{"the model", m}}, {tflite(path("hard.tflite"))}), "");
  EXPECT_EQ(refusal({{"the model", m}}, {tflite(path("other.tflite"))}), "");
}

TEST_F(OutputPaths, AFileOfAnInputFolderIsAnInput) {
  const std::string message = refusal({{"--calib folder", path("calib")}},
                                      {{.option = "--output", .path = path("calib/a.bin")}});
  EXPECT_NE(message.find("--calib folder file '" + path("calib/a.bin") + "'"), std::string::npos)
      << message;
  EXPECT_EQ(refusal({{"--calib folder", path("calib")}},
                    {{.option = "--output", .path = path("calib/b.bin")}}),
            "");
}

TEST_F(OutputPaths, AFolderOutputRefusesTheInputsItWouldRewrite) {
  auto dump = [&](const std::string& folder) {
    return OutputPath{.option = "--dump-tensors",
                      .path = folder,
                      .folder_of = [](const std::string& name) { return name == "a.bin"; }};
  };
  const std::string message = refusal({{"--input", path("calib/a.bin")}}, {dump(path("calib"))});
  EXPECT_NE(message.find("--dump-tensors"), std::string::npos) << message;
  EXPECT_NE(message.find("--input '" + path("calib/a.bin") + "'"), std::string::npos) << message;
  EXPECT_EQ(refusal({{"--input", path("m.tflite")}}, {dump(path("calib"))}), "");
  EXPECT_EQ(refusal({}, {dump(path("new/deeper"))}), "") << "created with its parents";
  EXPECT_NE(refusal({}, {dump(path("m.tflite"))}).find("is not a directory"), std::string::npos);
}

TEST_F(OutputPaths, ExtensionsAreCheckedIgnoringCase) {
  EXPECT_EQ(refusal({}, {tflite(path("x.TFLite"))}), "");
  const std::string message = refusal({}, {tflite(path("x.onnx"))});
  EXPECT_NE(message.find("-o '" + path("x.onnx") + "': name the file *.tflite"), std::string::npos)
      << message;
  const std::string raw = refusal(
      {}, {{.option = "--output", .path = path("y.onnx"), .refused_extensions = {".onnx"}}});
  EXPECT_NE(raw.find("--output '" + path("y.onnx") + "'"), std::string::npos) << raw;
  EXPECT_EQ(
      refusal({}, {{.option = "--output", .path = path("y.bin"), .refused_extensions = {".onnx"}}}),
      "");
}

TEST_F(OutputPaths, TheFolderMustExistBeWritableAndTheOutputNotBeAFolder) {
  EXPECT_NE(refusal({}, {tflite(path("missing/x.tflite"))})
                .find("'" + path("missing") + "' does not exist"),
            std::string::npos);
  EXPECT_NE(refusal({}, {tflite(path("m.tflite/x.tflite"))}).find("is not a directory"),
            std::string::npos);
  fs::create_directories(path("folder.tflite"));
  EXPECT_NE(refusal({}, {tflite(path("folder.tflite"))}).find("is a directory"), std::string::npos);
  if (::geteuid() != 0) {  // root writes anywhere
    fs::permissions(dir_ / "calib", fs::perms::owner_write, fs::perm_options::remove);
    EXPECT_NE(refusal({}, {tflite(path("calib/x.tflite"))}).find("cannot write in"),
              std::string::npos);
  }
}

TEST_F(OutputPaths, TwoOutputsNamingOneFileAreRefused) {
  const std::string message =
      refusal({}, {{.option = "--csv", .path = path("out.txt")},
                   {.option = "--svg", .path = (dir_ / "." / "out.txt").string()}});
  EXPECT_NE(message.find("--svg"), std::string::npos) << message;
  EXPECT_NE(message.find("--csv"), std::string::npos) << message;
}

TEST_F(OutputPaths, EmptyPathsAreNotRequestedAndNotChecked) {
  EXPECT_EQ(refusal({{"--labels", ""}}, {tflite(""), {.option = "--csv", .path = ""}}), "");
}

}  // namespace
}  // namespace tinyscale::cli
