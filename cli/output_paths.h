// Checks every command makes on the files it is about to write, before any work: a model
// is never overwritten by its own output, and a wrong name or an unwritable folder fails in
// one line before minutes of calibrating or solving, with nothing written.
//
//   identity     an output that is the same file as any input (the model, --input tensor,
//                --labels, --classes, every file of a --calib folder, ...) or as another
//                output is refused, naming both options. Two existing paths are compared by
//                filesystem identity (std::filesystem::equivalent: hard links, symlinks,
//                "./m.tflite" vs "m.tflite"); otherwise by their normalized absolute paths.
//   extension    an output must end in one of its extensions (case-insensitive: .tflite
//                for TFLite, .onnx for ONNX, .csv, .svg, .png), or must not end in one of
//                its refused ones (raw tensor files are not named like models).
//   directory    a file output's folder exists, is a folder and is writable, and the
//                output itself is not a folder; a folder output (--dump-tensors) is a
//                writable folder or can be created under one. The writes themselves still
//                check every step (core/atomic_file.h).
//
// Every failure throws tinyscale::Error naming the option and the path.
//
// Usage:
//   check_output_paths({{"the model", model}, {"--calib folder", calib_dir}},
//                      {{.option = "-o", .path = out, .extensions = {".tflite"},
//                        .kind = "a TFLite model"}});
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tinyscale::cli {

struct InputPath {
  std::string label;  // as the user knows it: "the model", "--input", "--calib folder"
  std::string path;   // empty: not given; a folder stands for the regular files in it
};

struct OutputPath {
  std::string option;                           // "--tflite", "-o"
  std::string path;                             // empty: not requested, not checked
  std::vector<std::string> extensions;          // one of these (lower case); empty: any
  std::vector<std::string> refused_extensions;  // none of these (lower case)
  std::string kind;                             // "a TFLite model", for the message
  // A folder output: the files written in it are those whose name this accepts.
  std::function<bool(const std::string& file_name)> folder_of;
};

void check_output_paths(const std::vector<InputPath>& inputs,
                        const std::vector<OutputPath>& outputs);

}  // namespace tinyscale::cli
