// tinyscale: pick, build, export and run neural networks that fit a microcontroller.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/error.h"

namespace {

// Edit distance counting an adjacent transposition as one edit ("slove" -> "solve": 1).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// "unknown command 'slove'; did you mean: solve?" when the first word is no subcommand:
// the commands within two edits or starting with the word, else the list of commands.
// Empty when the first word names a command (or there is none: CLI11 reports that).
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  std::string word;
  for (int i = 1; i < argc && word.empty(); ++i) {
    if (argv[i][0] != '-') word = argv[i];
  }
  if (word.empty()) return "";
  std::vector<std::pair<std::size_t, std::string>> close;
  std::string all;
  for (const CLI::App* sub : app.get_subcommands({})) {
    const std::string& name = sub->get_name();
    if (name == word) return "";
    all += (all.empty() ? "" : ", ") + name;
    const std::size_t distance = edit_distance(word, name);
    if (distance <= 2 || name.rfind(word, 0) == 0) close.emplace_back(distance, name);
  }
  std::stable_sort(close.begin(), close.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string message = "unknown command '" + word + "'; ";
  if (close.empty()) return message + "the commands are: " + all;
  message += "did you mean: ";
  for (std::size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i].second;
  return message + "?";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tinyscale: neural networks that fit a microcontroller (PhiNet, XiNet)",
               "tinyscale"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tinyscale 0.1.0");

  std::vector<std::pair<CLI::App*, tinyscale::cli::Command>> commands;
  auto add = [&](tinyscale::cli::Command command) {
    commands.emplace_back(app.get_subcommands({}).back(), std::move(command));
  };
  add(tinyscale::cli::add_net_command(app));
  add(tinyscale::cli::add_solve_command(app));
  add(tinyscale::cli::add_boards_command(app));
  add(tinyscale::cli::add_sweep_command(app));
  add(tinyscale::cli::add_kws_command(app));
  add(tinyscale::cli::add_clap_command(app));
  add(tinyscale::cli::add_clap_export_command(app));
  add(tinyscale::cli::add_run_command(app));
  add(tinyscale::cli::add_info_command(app));
  add(tinyscale::cli::add_export_command(app));
  add(tinyscale::cli::add_quantize_command(app));
  add(tinyscale::cli::add_detect_command(app));
  add(tinyscale::cli::add_deploy_command(app));
  tinyscale::cli::reject_empty_values(app);

  if (const std::string unknown = unknown_command(app, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "tinyscale: error: %s\n", unknown.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tinyscale: error: %s (see --help)\n", e.what());
    return 2;
  }
  try {
    for (auto& [subcommand, command] : commands) {
      if (subcommand->parsed()) command();
    }
  } catch (const std::bad_alloc&) {
    // The last resort: the builders refuse oversized networks by option first
    // (nets/config_checks.h), but a model file or a calibration set can still be too large.
    std::string command;
    for (auto& [subcommand, callback] : commands) {
      if (subcommand->parsed()) command = subcommand->get_name();
    }
    std::fprintf(stderr,
                 "tinyscale: error: out of memory in `tinyscale %s`: the request needs more "
                 "memory than this process may use\n",
                 command.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tinyscale: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
