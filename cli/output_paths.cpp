#include "cli/output_paths.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace tinyscale::cli {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& text) { return "'" + text + "'"; }

std::string lower_extension(const std::string& path) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

std::string join(const std::vector<std::string>& items, const std::string& last_separator) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += i + 1 == items.size() ? last_separator : ", ";
    text += items[i];
  }
  return text;
}

fs::path normalized(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  const fs::path canonical = fs::weakly_canonical(absolute, ec);  // symlinks of the prefix
  return (ec ? absolute : canonical).lexically_normal();
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec_a, ec_b;
  if (fs::exists(a, ec_a) && fs::exists(b, ec_b)) {
    std::error_code ec;
    const bool same = fs::equivalent(a, b, ec);
    if (!ec) return same;
  }
  return normalized(a) == normalized(b);
}

// An input given as a folder stands for its regular files (the --calib convention).
struct InputFile {
  const InputPath* input;
  fs::path file;
};

std::vector<InputFile> input_files(const std::vector<InputPath>& inputs) {
  std::vector<InputFile> files;
  for (const InputPath& input : inputs) {
    if (input.path.empty()) continue;
    std::error_code ec;
    if (fs::is_directory(input.path, ec)) {
      for (const auto& entry : fs::directory_iterator(input.path, ec)) {
        std::error_code type_ec;
        if (entry.is_regular_file(type_ec)) files.push_back({&input, entry.path()});
      }
    } else {
      files.push_back({&input, input.path});
    }
  }
  return files;
}

std::string input_text(const InputFile& f) {
  const bool inside_folder = f.file.string() != f.input->path;
  return inside_folder ? f.input->label + " file " + quoted(f.file.string())
                       : f.input->label + " " + quoted(f.input->path);
}

void check_extension(const OutputPath& out) {
  const std::string extension = lower_extension(out.path);
  const std::string what = out.kind.empty() ? "" : " (it is written as " + out.kind + ")";
  if (!out.extensions.empty() &&
      std::find(out.extensions.begin(), out.extensions.end(), extension) == out.extensions.end()) {
    std::vector<std::string> names;
    for (const std::string& e : out.extensions) names.push_back("*" + e);
    throw Error(out.option + " " + quoted(out.path) + ": name the file " + join(names, " or ") +
                what);
  }
  if (std::find(out.refused_extensions.begin(), out.refused_extensions.end(), extension) !=
      out.refused_extensions.end()) {
    throw Error(out.option + " " + quoted(out.path) + ": a " + extension + " name is for a model" +
                what + "; name it e.g. *.bin");
  }
}

void check_writable_folder(const OutputPath& out, const fs::path& folder) {
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    throw Error(out.option + " " + quoted(out.path) + ": cannot write in " +
                quoted(folder.string()) + ": " + std::strerror(errno));
  }
}

void check_file_location(const OutputPath& out) {
  std::error_code ec;
  if (fs::is_directory(out.path, ec))
    throw Error(out.option + " " + quoted(out.path) + " is a directory");
  fs::path folder = fs::path(out.path).parent_path();
  if (folder.empty()) folder = ".";
  if (!fs::exists(folder, ec)) {
    throw Error(out.option + " " + quoted(out.path) + ": directory " + quoted(folder.string()) +
                " does not exist");
  }
  if (!fs::is_directory(folder, ec)) {
    throw Error(out.option + " " + quoted(out.path) + ": " + quoted(folder.string()) +
                " is not a directory");
  }
  check_writable_folder(out, folder);
}

void check_folder_location(const OutputPath& out) {
  std::error_code ec;
  if (fs::exists(out.path, ec)) {
    if (!fs::is_directory(out.path, ec)) {
      throw Error(out.option + " " + quoted(out.path) + " exists and is not a directory");
    }
    check_writable_folder(out, out.path);
    return;
  }
  // Created with its missing parents: the nearest existing ancestor must take them.
  fs::path ancestor = normalized(out.path).parent_path();
  while (!ancestor.empty() && !fs::exists(ancestor, ec) && ancestor != ancestor.root_path())
    ancestor = ancestor.parent_path();
  if (!fs::is_directory(ancestor, ec)) {
    throw Error(out.option + " " + quoted(out.path) + ": " + quoted(ancestor.string()) +
                " is not a directory");
  }
  check_writable_folder(out, ancestor);
}

// Whether `out` writes `file`: the same file, or (a folder output) a file it creates in it.
bool writes(const OutputPath& out, const fs::path& file) {
  if (!out.folder_of) return same_file(out.path, file);
  return out.folder_of(file.filename().string()) && same_file(out.path, file.parent_path());
}

}  // namespace

void check_output_paths(const std::vector<InputPath>& inputs,
                        const std::vector<OutputPath>& outputs) {
  const std::vector<InputFile> files = input_files(inputs);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const OutputPath& out = outputs[i];
    if (out.path.empty()) continue;
    for (const InputFile& f : files) {
      if (writes(out, f.file)) {
        throw Error(out.option + " " + quoted(out.path) + " would overwrite " + input_text(f) +
                    "; tinyscale never writes over its inputs: choose another output");
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      const OutputPath& other = outputs[j];
      if (other.path.empty() || other.folder_of) continue;
      if (writes(out, other.path)) {
        throw Error(out.option + " " + quoted(out.path) + " and " + other.option + " " +
                    quoted(other.path) + " name the same file");
      }
    }
    if (out.folder_of) {
      check_folder_location(out);
    } else {
      check_extension(out);
      check_file_location(out);
    }
  }
}

}  // namespace tinyscale::cli
