// Parsing of the CLI's value syntax: shapes ("3x224x224"), integer lists ("5,7").
// Every parser throws tinyscale::Error naming the option and the offending text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace tinyscale::cli {

// "CxHxW" (also "C,H,W") into three positive sizes.
std::array<std::int64_t, 3> parse_chw(const std::string& option, const std::string& text);
// "5,7" into integers; "" into an empty list.
std::vector<int> parse_int_list(const std::string& option, const std::string& text);
// A depth "N" or range "A..B" into {min, max} with 1 ≤ min ≤ max; "" into
// {default_depth, default_depth}.
struct LayerRange {
  int min = 0, max = 0;
};
LayerRange parse_layer_range(const std::string& option, const std::string& text, int default_depth);
// 1234567 -> "1,234,567".
std::string group_digits(std::int64_t value);

// Makes every value-taking option of `app` and of its subcommands refuse an empty value
// (`--alpha ""`, `--output=`), which CLI11 would otherwise leave at the default unnoticed.
void reject_empty_values(CLI::App& app);

}  // namespace tinyscale::cli
