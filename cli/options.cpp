#include "cli/options.h"

#include <CLI/CLI.hpp>
#include <charconv>

#include "core/error.h"

namespace tinyscale::cli {
namespace {

bool parse_int64(std::string_view text, std::int64_t* value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = text.find_first_of(separators, start);
    parts.push_back(
        text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

}  // namespace

std::array<std::int64_t, 3> parse_chw(const std::string& option, const std::string& text) {
  const auto parts = split(text, "x,");
  std::array<std::int64_t, 3> chw{};
  bool ok = parts.size() == 3;
  for (std::size_t i = 0; ok && i < 3; ++i) {
    ok = parse_int64(parts[i], &chw[i]) && chw[i] > 0 && chw[i] <= 1'000'000;
  }
  if (!ok) {
    throw Error(option + " '" + text +
                "' is not a shape: expected CxHxW with three positive integers, e.g. 3x224x224");
  }
  return chw;
}

std::vector<int> parse_int_list(const std::string& option, const std::string& text) {
  std::vector<int> values;
  if (text.empty()) return values;
  for (std::string_view part : split(text, ",")) {
    std::int64_t v = 0;
    if (!parse_int64(part, &v) || v < -1'000'000 || v > 1'000'000) {
      throw Error(option + " '" + text + "' is not a comma-separated list of integers, e.g. 5,7");
    }
    values.push_back(static_cast<int>(v));
  }
  return values;
}

LayerRange parse_layer_range(const std::string& option, const std::string& text,
                             int default_depth) {
  if (text.empty()) return {default_depth, default_depth};
  const std::size_t dots = text.find("..");
  std::vector<int> v =
      dots == std::string::npos
          ? parse_int_list(option, text)
          : parse_int_list(option, text.substr(0, dots) + "," + text.substr(dots + 2));
  if (v.size() == 1) v.push_back(v[0]);
  if (v.size() != 2 || v[0] < 1 || v[1] < v[0]) {
    throw Error(option + " '" + text + "' is not a depth N or a range A..B with 1 ≤ A ≤ B");
  }
  return {v[0], v[1]};
}

std::string group_digits(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

void reject_empty_values(CLI::App& app) {
  const CLI::Validator non_empty(
      [](std::string& value) {
        return value.empty() ? std::string("an empty value; give one or leave the option out")
                             : std::string();
      },
      "");
  for (CLI::Option* option : app.get_options()) {
    if (option->get_items_expected_min() > 0) option->check(non_empty);
  }
  for (CLI::App* sub : app.get_subcommands({})) reject_empty_values(*sub);
}

}  // namespace tinyscale::cli
