// The tinyscale subcommands. Each add_* function registers its options on the app and
// returns the callback main() runs when that subcommand was given. Callbacks throw
// tinyscale::Error; main() prints it as one line and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace tinyscale::cli {

using Command = std::function<void()>;

Command add_net_command(CLI::App& app);

}  // namespace tinyscale::cli
