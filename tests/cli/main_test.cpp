// Tests of cli/main.cpp: what a user sees for a misspelt or unknown subcommand.
#include <gtest/gtest.h>

#include <string>

#include "tests/cli/cli_run.h"

namespace {

using tinyscale::testing_support::count_lines;
using tinyscale::testing_support::run_cli;

TEST(Main, MisspeltSubcommandGetsADidYouMean) {
  // A transposition, a dropped letter, a prefix: one line, the closest commands, exit 2.
  for (const auto& [word, suggestion] :
       {std::pair<std::string, std::string>{"slove", "did you mean: solve?"},
        {"sweeep", "did you mean: sweep?"},
        {"exp", "did you mean: export?"},
        {"inf", "did you mean: info?"},
        {"quantise", "did you mean: quantize?"}}) {
    const auto r = run_cli(word + " --input 3x96x96");
    EXPECT_EQ(r.exit_code, 2) << word;
    EXPECT_EQ(count_lines(r.out), 1) << r.out;
    EXPECT_EQ(r.out, "tinyscale: error: unknown command '" + word + "'; " + suggestion + "\n");
  }
  // Nothing close: the list of commands.
  const auto far = run_cli("frobnicate");
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_NE(far.out.find("unknown command 'frobnicate'; the commands are: net, solve,"),
            std::string::npos)
      << far.out;
  // Real commands and the top-level flags are untouched.
  EXPECT_EQ(run_cli("--version").exit_code, 0);
  EXPECT_EQ(run_cli("boards").exit_code, 0);
  EXPECT_NE(run_cli("").exit_code, 0);
}

}  // namespace
