// README transcripts: every `$ command` the README shows is run, and what it prints is
// compared with the lines the README shows under it, so a change that moves a figure
// fails here until the README is updated. (The README's promise to a newcomer is only as
// good as its examples.)
//
// What counts as a transcript: inside a fenced code block, a line starting with "$ " is a
// command; the lines after it, up to the next command or the end of the block, are what
// it prints (stdout and stderr together, as a terminal shows them). In the expected lines:
//   - a line that is just "..." (any indentation) stands for any number of lines;
//   - wall-clock figures ("solved in 289 ms", "7.434 ms per inference", detect's "inference
//     59.7 ms", the emulator's "0.11 s:") are compared as "<ms>" / "<s>": they are the only
//     figures that may differ from run to run (kVolatile below);
//   - trailing blanks are ignored.
// A command whose shown output has a "tinyscale: error:" line must exit non-zero; any
// other must exit 0.
//
// How commands run: in document order, in one scratch folder laid out like a checkout
// (`build`, `data`, `scripts` link to the real ones, `../shared` to the interop folder),
// with `tinyscale` on PATH, through bash. Files one command writes are there for the
// next. `./run.sh` is run as `scripts/main_job.sh`, the part of run.sh after set-up (the
// set-up is what builds this test), writing to the scratch folder. Commands that read
// `../shared` are skipped, with a message, where that folder is absent.
//
// Regenerate after a deliberate change (then read the diff of README.md):
//   TINYSCALE_UPDATE_README=1 build/tests/readme_tests
// Each shown block is replaced by the command's real output; in a block with "..." each
// run of lines between the "..." is replaced by the same number of real lines starting at
// the line with the same leading text (the text before its first digit).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Transcript {
  int line = 0;                        // 1-based line of the "$ " command in README.md
  std::string command;                 // without the "$ "
  std::size_t first_expected = 0;      // index (0-based) of the first expected line
  std::vector<std::string> expected;   // the lines shown under the command
};

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<Transcript> parse_transcripts(const std::vector<std::string>& lines) {
  std::vector<Transcript> transcripts;
  bool in_fence = false;
  std::optional<Transcript> current;
  auto close = [&] {
    if (current) transcripts.push_back(*current);
    current.reset();
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("```", 0) == 0) {
      if (in_fence) close();
      in_fence = !in_fence;
      continue;
    }
    if (!in_fence) continue;
    if (line.rfind("$ ", 0) == 0) {
      close();
      current = Transcript{.line = static_cast<int>(i + 1),
                           .command = line.substr(2),
                           .first_expected = i + 1,
                           .expected = {}};
    } else if (current) {
      current->expected.push_back(line);
    }
  }
  close();
  return transcripts;
}

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

bool is_ellipsis(const std::string& line) {
  const auto first = line.find_first_not_of(" \t");
  return first != std::string::npos && rtrim(line.substr(first)) == "...";
}

// The figures that measure wall-clock time: the only ones allowed to move between runs.
const std::array<std::pair<std::regex, const char*>, 4> kVolatile = {{
    {std::regex(R"(solved in [0-9,]+ ms)"), "solved in <ms> ms"},
    {std::regex(R"([0-9][0-9,]*\.[0-9]+ ms per inference)"), "<ms> ms per inference"},
    {std::regex(R"((pre-process|inference|post-process) [0-9][0-9,]*\.[0-9]+ ms)"), "$1 <ms> ms"},
    {std::regex(R"(, [0-9]+\.[0-9]+ s:$)"), ", <s> s:"},  // deploy --qemu's emulator wall time
}};

std::string normalize(const std::string& line) {
  std::string out = rtrim(line);
  for (const auto& [pattern, replacement] : kVolatile) out = std::regex_replace(out, pattern, replacement);
  return out;
}

// Does `actual` match `expected`, where an expected "..." line matches any run of lines?
// Returns a description of the first difference, or nothing.
std::optional<std::string> match(const std::vector<std::string>& expected,
                                 const std::vector<std::string>& actual) {
  // Segments of expected lines between "..." lines.
  std::vector<std::vector<std::string>> segments(1);
  for (const auto& line : expected) {
    if (is_ellipsis(line)) segments.emplace_back();
    else segments.back().push_back(normalize(line));
  }
  std::vector<std::string> got;
  for (const auto& line : actual) got.push_back(normalize(line));
  // Drop trailing blank lines on both sides (a fence often closes after one).
  while (!got.empty() && got.back().empty()) got.pop_back();
  while (!segments.back().empty() && segments.back().back().empty()) segments.back().pop_back();

  auto segment_at = [&](const std::vector<std::string>& segment, std::size_t at) {
    if (at + segment.size() > got.size()) return false;
    return std::equal(segment.begin(), segment.end(), got.begin() + static_cast<long>(at));
  };
  auto first_difference = [&](const std::vector<std::string>& segment, std::size_t at) {
    for (std::size_t k = 0; k < segment.size(); ++k) {
      const std::string have = at + k < got.size() ? got[at + k] : std::string("<end of output>");
      if (have != segment[k])
        return "expected line: " + segment[k] + "\n     got line: " + have;
    }
    return std::string("(output has extra lines)");
  };

  std::size_t at = 0;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const auto& segment = segments[s];
    const bool anchored_start = s == 0;
    const bool anchored_end = s + 1 == segments.size();
    if (anchored_start) {
      if (!segment_at(segment, 0)) return first_difference(segment, 0);
      at = segment.size();
      if (anchored_end && at != got.size()) return first_difference(segment, 0) + "\n" +
                                                   "(output goes on: " + got[at] + ")";
      continue;
    }
    if (anchored_end) {
      if (segment.size() > got.size() || got.size() - segment.size() < at)
        return "the last shown lines are not at the end of the output: " +
               (segment.empty() ? std::string() : segment.front());
      const std::size_t start = got.size() - segment.size();
      if (!segment_at(segment, start)) return first_difference(segment, start);
      continue;
    }
    std::size_t found = at;
    while (found + segment.size() <= got.size() && !segment_at(segment, found)) ++found;
    if (found + segment.size() > got.size())
      return "shown lines not found in the output (after line " + std::to_string(at) +
             "): " + (segment.empty() ? std::string() : segment.front());
    at = found + segment.size();
  }
  return std::nullopt;
}

// The text of a line before its first digit, trimmed: how the updater finds where a shown
// run of lines now is in the output.
std::string leading_key(const std::string& line) {
  const auto digit = line.find_first_of("0123456789");
  return rtrim(line.substr(0, digit));
}

// The expected block rewritten from the actual output, keeping the "..." structure.
std::optional<std::vector<std::string>> regenerate(const std::vector<std::string>& expected,
                                                   const std::vector<std::string>& actual) {
  std::vector<std::string> got = actual;
  while (!got.empty() && rtrim(got.back()).empty()) got.pop_back();
  const bool has_ellipsis = std::any_of(expected.begin(), expected.end(), is_ellipsis);
  if (!has_ellipsis) return got;
  std::vector<std::string> out;
  std::vector<std::vector<std::string>> segments(1);
  std::vector<std::string> ellipsis_lines;
  for (const auto& line : expected) {
    if (is_ellipsis(line)) {
      segments.emplace_back();
      ellipsis_lines.push_back(line);
    } else {
      segments.back().push_back(line);
    }
  }
  std::size_t at = 0;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    auto segment = segments[s];
    while (s + 1 == segments.size() && !segment.empty() && rtrim(segment.back()).empty())
      segment.pop_back();
    if (s > 0) out.push_back(ellipsis_lines[s - 1]);
    if (segment.empty()) continue;
    std::size_t start = at;
    if (s == 0) {
      start = 0;
    } else if (s + 1 == segments.size() && got.size() >= segment.size()) {
      start = got.size() - segment.size();
    } else {
      const std::string key = leading_key(segment.front());
      while (start < got.size() && leading_key(got[start]) != key) ++start;
      if (start >= got.size()) return std::nullopt;
    }
    if (start + segment.size() > got.size()) return std::nullopt;
    for (std::size_t k = 0; k < segment.size(); ++k) out.push_back(got[start + k]);
    at = start + segment.size();
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

struct CommandRun {
  int exit_code = -1;
  std::vector<std::string> lines;
};

CommandRun run_in(const fs::path& dir, const fs::path& bin, const std::string& command) {
  const std::string shell = "cd " + shell_quote(dir.string()) + " && PATH=" +
                            shell_quote(bin.string()) + ":\"$PATH\" " +
                            "timeout 600 bash -c " + shell_quote(command) + " 2>&1";
  CommandRun r;
  FILE* pipe = popen(shell.c_str(), "r");
  if (!pipe) return r;
  std::string text;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) text.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.lines = split_lines(text);
  return r;
}

// A scratch folder laid out like a checkout: <scratch>/main is the working directory,
// <scratch>/shared the interop material.
struct Scratch {
  fs::path root, main, bin;
  bool have_shared = false;
  Scratch() {
    std::string templ = (fs::temp_directory_path() / "tinyscale-readme-XXXXXX").string();
    root = mkdtemp(templ.data());
    main = root / "main";
    fs::create_directories(main);
    const fs::path cli = TINYSCALE_CLI;
    const fs::path source = TINYSCALE_SOURCE_DIR;
    fs::create_directory_symlink(cli.parent_path().parent_path(), main / "build");
    fs::create_directory_symlink(source / "data", main / "data");
    fs::create_directory_symlink(source / "scripts", main / "scripts");
    bin = root / "bin";
    fs::create_directories(bin);
    fs::create_symlink(cli, bin / "tinyscale");
    const fs::path shared = TINYSCALE_SHARED_DIR;
    have_shared = fs::exists(shared / "interop");
    if (have_shared) fs::create_directory_symlink(fs::canonical(shared), root / "shared");
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }
};

std::string command_to_run(const std::string& command) {
  if (command == "./run.sh") return "scripts/main_job.sh";
  return command;
}

TEST(ReadmeTranscripts, EveryShownCommandPrintsWhatTheReadmeShows) {
  const fs::path readme = fs::path(TINYSCALE_SOURCE_DIR) / "README.md";
  std::vector<std::string> lines = read_lines(readme);
  const std::vector<Transcript> transcripts = parse_transcripts(lines);
  ASSERT_GE(transcripts.size(), 10u) << "README.md shows too few commands: is it the right file?";
  const bool update = std::getenv("TINYSCALE_UPDATE_README") != nullptr;

  Scratch scratch;
  std::vector<std::pair<const Transcript*, std::vector<std::string>>> replacements;
  int skipped = 0;
  for (const Transcript& t : transcripts) {
    if (t.command == "./test.sh") continue;  // the suite this test is part of
    if (!scratch.have_shared && t.command.find("../shared") != std::string::npos) {
      ++skipped;
      continue;
    }
    const std::string where = "README.md:" + std::to_string(t.line) + ": $ " + t.command + "\n";
    const CommandRun run = run_in(scratch.main, scratch.bin, command_to_run(t.command));
    const bool shows_error = std::any_of(t.expected.begin(), t.expected.end(), [](const auto& l) {
      return l.rfind("tinyscale: error:", 0) == 0;
    });
    if (update) {
      const auto block = regenerate(t.expected, run.lines);
      if (!block) {
        ADD_FAILURE() << where << "cannot regenerate this block automatically (a shown line's leading text "
                         "is no longer in the output): edit it by hand";
      } else {
        replacements.emplace_back(&t, *block);
      }
      continue;
    }
    if (shows_error) {
      EXPECT_NE(run.exit_code, 0) << where << "the README shows an error, but the command succeeded";
    } else {
      EXPECT_EQ(run.exit_code, 0) << where << "the command failed";
    }
    if (const auto difference = match(t.expected, run.lines)) {
      std::string output;
      for (const auto& l : run.lines) output += "  | " + l + "\n";
      ADD_FAILURE() << where << *difference << "\nfull output:\n"
                    << output
                    << "(regenerate with TINYSCALE_UPDATE_README=1 build/tests/readme_tests, "
                       "then read the diff)";
    }
  }
  if (skipped > 0)
    std::printf("skipped %d README command(s) that read ../shared (absent here)\n", skipped);

  if (update && !replacements.empty()) {
    // Bottom to top, so earlier line indices stay valid.
    std::sort(replacements.begin(), replacements.end(),
              [](const auto& a, const auto& b) { return a.first->line > b.first->line; });
    for (const auto& [t, block] : replacements) {
      const auto begin = lines.begin() + static_cast<long>(t->first_expected);
      lines.erase(begin, begin + static_cast<long>(t->expected.size()));
      lines.insert(lines.begin() + static_cast<long>(t->first_expected), block.begin(), block.end());
    }
    const fs::path temporary = readme.string() + ".tmp";
    {
      std::ofstream out(temporary);
      for (const auto& l : lines) out << l << '\n';
    }
    fs::rename(temporary, readme);
    std::printf("README.md regenerated: read `git diff README.md`\n");
  }
}

// The matcher itself: a transcript check that could never fail would be worthless.
TEST(ReadmeTranscripts, MatcherHonoursEllipsisAndOnlyTimingsMayMove) {
  EXPECT_FALSE(match({"a", "b"}, {"a", "b"}));
  EXPECT_FALSE(match({"a", "b  "}, {"a", "b", ""}));
  EXPECT_TRUE(match({"a", "b"}, {"a", "c"}));
  EXPECT_TRUE(match({"a"}, {"a", "b"}));
  EXPECT_FALSE(match({"a", "...", "d"}, {"a", "b", "c", "d"}));
  EXPECT_FALSE(match({"a", "  ...", "c", "...", "e"}, {"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(match({"a", "...", "x", "...", "e"}, {"a", "b", "c", "d", "e"}));
  EXPECT_FALSE(match({"a", "..."}, {"a", "b"}));
  EXPECT_FALSE(match({"solved in 289 ms (378 exact cost evaluations)"},
                     {"solved in 1,201 ms (378 exact cost evaluations)"}));
  EXPECT_TRUE(match({"solved in 289 ms (378 exact cost evaluations)"},
                    {"solved in 289 ms (379 exact cost evaluations)"}));
  EXPECT_FALSE(match({"arena 1 B   7.434 ms per inference"}, {"arena 1 B   12.5 ms per inference"}));
  EXPECT_TRUE(match({"arena 1 B   7.434 ms per inference"}, {"arena 2 B   7.434 ms per inference"}));
}

TEST(ReadmeTranscripts, RegenerationKeepsTheShownSelection) {
  const auto block = regenerate({"head 1", "...", "  params 10", "  MACs 20", "...", "tail 3"},
                                {"head 2", "x", "  params 11", "  MACs 21", "y", "tail 4"});
  ASSERT_TRUE(block);
  EXPECT_EQ(*block, (std::vector<std::string>{"head 2", "...", "  params 11", "  MACs 21", "...",
                                              "tail 4"}));
}

}  // namespace
