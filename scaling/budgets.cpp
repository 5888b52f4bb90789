#include "scaling/budgets.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "core/error.h"

namespace tinyscale::scaling {
namespace {

__extension__ typedef unsigned __int128 uint128;  // exact decimal × multiplier products

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
// Fraction digits beyond this many are ignored (they change the result by < 10⁻⁹ bytes).
constexpr std::size_t kMaxFractionDigits = 18;

// "1.5 MiB" split into its parts. Only plain decimals ("512", "1.5", ".5") and exponent
// forms ("1e6") are numbers: "nan", "inf" and hex are not.
struct Quantity {
  bool negative = false;
  std::string_view integer_digits;
  std::string_view fraction_digits;
  std::string_view number;  // the whole number text, exponent included
  bool has_exponent = false;
  std::string_view suffix;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// False when `text` is not a number followed by an optional suffix of letters.
bool split_quantity(std::string_view text, Quantity* q) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) q->negative = text[i++] == '-';
  const std::size_t number_begin = i;
  const std::size_t integer_begin = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  q->integer_digits = text.substr(integer_begin, i - integer_begin);
  if (i < text.size() && text[i] == '.') {
    const std::size_t fraction_begin = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    q->fraction_digits = text.substr(fraction_begin, i - fraction_begin);
  }
  if (q->integer_digits.empty() && q->fraction_digits.empty()) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '-' || text[j] == '+')) ++j;
    const std::size_t exponent_digits = j;
    while (j < text.size() && is_digit(text[j])) ++j;
    if (j == exponent_digits) return false;
    q->has_exponent = true;
    i = j;
  }
  q->number = text.substr(number_begin, i - number_begin);
  while (i < text.size() && is_space(text[i])) ++i;
  q->suffix = text.substr(i);
  for (const char c : q->suffix) {
    // Letters, and the UTF-8 bytes of 'µ' in "µs".
    if (!std::isalpha(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `number` has passed split_quantity, so strtod sees only decimal digits, '.', an exponent;
// it returns HUGE_VAL on overflow and 0 on underflow, which the callers want.
double number_value(std::string_view number) {
  const std::string text(number);
  return std::strtod(text.c_str(), nullptr);
}

enum class Outcome { ok, overflow };

// floor(number × multiplier) as an exact integer for plain decimals; exponent forms go
// through double.
Outcome scaled_integer(const Quantity& q, std::int64_t multiplier, std::int64_t* result) {
  if (q.has_exponent) {
    const double value = number_value(q.number) * static_cast<double>(multiplier);
    if (!std::isfinite(value) || value >= 9223372036854775808.0) return Outcome::overflow;
    *result = static_cast<std::int64_t>(std::floor(value));
    return Outcome::ok;
  }
  std::uint64_t integer = 0;
  if (!q.integer_digits.empty()) {
    const auto [end, error] = std::from_chars(
        q.integer_digits.data(), q.integer_digits.data() + q.integer_digits.size(), integer);
    if (error != std::errc()) return Outcome::overflow;
  }
  uint128 total = static_cast<uint128>(integer) * static_cast<uint128>(multiplier);
  std::uint64_t fraction = 0;
  std::uint64_t denominator = 1;
  for (std::size_t d = 0; d < q.fraction_digits.size() && d < kMaxFractionDigits; ++d) {
    fraction = fraction * 10 + static_cast<std::uint64_t>(q.fraction_digits[d] - '0');
    denominator *= 10;
  }
  total += static_cast<uint128>(fraction) * static_cast<uint128>(multiplier) / denominator;
  if (total > static_cast<uint128>(kInt64Max)) return Outcome::overflow;
  *result = static_cast<std::int64_t>(total);
  return Outcome::ok;
}

std::string quoted(const std::string& option, const std::string& text) {
  return option + " '" + text + "'";
}

}  // namespace

std::int64_t parse_size(const std::string& option, const std::string& text) {
  const std::string prefix = quoted(option, text) + " is not a size: ";
  const std::string expected =
      "expected a number with an optional K, M, G, KiB, MiB, kB suffix (e.g. 512K, 1.5MiB)";
  Quantity q;
  if (!split_quantity(text, &q)) throw Error(prefix + expected);
  std::int64_t multiplier = 0;
  const std::string suffix = lower(q.suffix);
  if (q.suffix == "kB") {
    multiplier = 1000;  // the one decimal unit: "case of the k matters only there"
  } else if (suffix.empty() || suffix == "b" || suffix == "bytes") {
    multiplier = 1;
  } else if (suffix == "k" || suffix == "kb" || suffix == "kib") {
    multiplier = std::int64_t{1} << 10;
  } else if (suffix == "m" || suffix == "mb" || suffix == "mib") {
    multiplier = std::int64_t{1} << 20;
  } else if (suffix == "g" || suffix == "gb" || suffix == "gib") {
    multiplier = std::int64_t{1} << 30;
  } else {
    throw Error(prefix + expected);
  }
  if (q.negative) throw Error(prefix + "a size cannot be negative");
  std::int64_t bytes = 0;
  if (scaled_integer(q, multiplier, &bytes) == Outcome::overflow) {
    throw Error(prefix + "it exceeds the largest size, " + std::to_string(kInt64Max) + " bytes");
  }
  if (bytes == 0) throw Error(prefix + "it must be at least 1 byte");
  return bytes;
}

std::int64_t parse_count(const std::string& option, const std::string& text) {
  const std::string prefix = quoted(option, text) + " is not a count: ";
  const std::string expected =
      "expected a number with an optional K, M, G suffix (powers of 1000, e.g. 20M, 1.5G)";
  Quantity q;
  if (!split_quantity(text, &q)) throw Error(prefix + expected);
  std::int64_t multiplier = 0;
  const std::string suffix = lower(q.suffix);
  if (suffix.empty()) {
    multiplier = 1;
  } else if (suffix == "k") {
    multiplier = 1'000;
  } else if (suffix == "m") {
    multiplier = 1'000'000;
  } else if (suffix == "g") {
    multiplier = 1'000'000'000;
  } else {
    throw Error(prefix + expected);
  }
  if (q.negative) throw Error(prefix + "a count cannot be negative");
  std::int64_t count = 0;
  if (scaled_integer(q, multiplier, &count) == Outcome::overflow) {
    throw Error(prefix + "it exceeds the largest count, " + std::to_string(kInt64Max));
  }
  if (count == 0) throw Error(prefix + "it must be at least 1");
  return count;
}

double parse_duration_ms(const std::string& option, const std::string& text) {
  const std::string prefix = quoted(option, text) + " is not a duration: ";
  const std::string expected =
      "expected a number with an optional ms, s, us suffix (e.g. 50ms, 0.05s; a bare number "
      "is milliseconds)";
  Quantity q;
  if (!split_quantity(text, &q)) throw Error(prefix + expected);
  double ms_per_unit = 0.0;
  const std::string suffix = lower(q.suffix);
  if (suffix.empty() || suffix == "ms") {
    ms_per_unit = 1.0;
  } else if (suffix == "s") {
    ms_per_unit = 1000.0;
  } else if (suffix == "us" || q.suffix == "\xC2\xB5s") {
    ms_per_unit = 1e-3;
  } else {
    throw Error(prefix + expected);
  }
  if (q.negative) throw Error(prefix + "a duration cannot be negative");
  const double ms = number_value(q.number) * ms_per_unit;
  if (!std::isfinite(ms)) throw Error(prefix + "it is too large");
  if (ms <= 0.0) throw Error(prefix + "it must be positive");
  return ms;
}

std::string format_size(std::int64_t bytes) {
  const bool negative = bytes < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(bytes) : static_cast<std::uint64_t>(bytes);
  const std::string sign = negative ? "-" : "";
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (magnitude < 1024) return sign + std::to_string(magnitude) + " B";
  int unit = 0;
  std::uint64_t scale = 1024;
  while (unit + 1 < 6 && magnitude / scale >= 1024) {
    scale *= 1024;
    ++unit;
  }
  if (magnitude % scale == 0) return sign + std::to_string(magnitude / scale) + " " + kUnits[unit];
  // Three significant digits at most, trailing zeros dropped: "1.34 MiB", "12.5 KiB".
  const double value = static_cast<double>(magnitude) / static_cast<double>(scale);
  const int decimals = value < 10.0 ? 2 : value < 100.0 ? 1 : 0;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return sign + text + " " + kUnits[unit];
}

Budgets budgets_for_board(const Board& board, std::optional<std::int64_t> reserve_flash_bytes,
                          std::optional<std::int64_t> reserve_ram_bytes,
                          ArenaRegions arena_regions) {
  const std::int64_t reserve_flash = reserve_flash_bytes.value_or(board.reserve_flash_bytes);
  const std::int64_t reserve_ram = reserve_ram_bytes.value_or(board.reserve_ram_bytes);
  auto check = [&](const char* memory, std::int64_t reserve, std::int64_t size) {
    if (reserve < 0) {
      throw Error(std::string("the ") + memory + " reserve of board " + board.name +
                  " cannot be negative (found " + std::to_string(reserve) + " bytes)");
    }
    if (reserve >= size) {
      throw Error(std::string("the ") + memory + " reserve of " + format_size(reserve) + " (" +
                  std::to_string(reserve) + " bytes) leaves nothing of board " + board.name +
                  "'s " + format_size(size) + " (" + std::to_string(size) +
                  " bytes) for the model");
    }
  };
  check("FLASH", reserve_flash, board.flash_bytes);
  check("RAM", reserve_ram, board.ram_bytes);
  const std::vector<RamRegion> regions = ram_regions_of(board);
  const std::size_t reserve_region = reserve_region_of(board);
  if (reserve_ram >= regions[reserve_region].size_bytes) {
    throw Error("the RAM reserve of " + format_size(reserve_ram) + " (" +
                std::to_string(reserve_ram) + " bytes) leaves nothing of region '" +
                regions[reserve_region].name + "' of board " + board.name + " (" +
                format_size(regions[reserve_region].size_bytes) + ", " +
                std::to_string(regions[reserve_region].size_bytes) +
                " bytes), where the reserve is taken from");
  }

  Budgets b;
  b.flash_bytes = board.flash_bytes - reserve_flash;
  std::int64_t total = 0;
  for (std::size_t r = 0; r < regions.size(); ++r) {
    RamRegionBudget region{regions[r].name, regions[r].kind, regions[r].size_bytes,
                           r == reserve_region ? reserve_ram : 0};
    if (b.ram_region < 0 ||
        region.model_bytes() > b.ram_regions[static_cast<std::size_t>(b.ram_region)].model_bytes())
      b.ram_region = static_cast<int>(r);
    total += region.model_bytes();
    b.ram_regions.push_back(std::move(region));
  }
  b.arena_regions = arena_regions;
  b.ram_bytes = arena_regions == ArenaRegions::split
                    ? total
                    : b.ram_regions[static_cast<std::size_t>(b.ram_region)].model_bytes();
  b.core = board.core;
  b.mhz = board.mhz;
  b.board_mhz = board.mhz;
  b.board = board.name;
  return b;
}

std::vector<std::int64_t> region_capacities(const Budgets& budgets) {
  if (budgets.ram_regions.empty()) return {budgets.ram_bytes};
  if (budgets.arena_regions == ArenaRegions::single) {
    return {budgets.ram_regions[static_cast<std::size_t>(budgets.ram_region)].model_bytes()};
  }
  std::vector<std::int64_t> capacities;
  for (const RamRegionBudget& r : budgets.ram_regions) capacities.push_back(r.model_bytes());
  return capacities;
}

ArenaRegions parse_arena_regions(const std::string& text) {
  if (text == "auto") return ArenaRegions::split;
  if (text == "single") return ArenaRegions::single;
  throw Error("--arena-regions '" + text +
              "' is not one of single (the whole arena in the board's best region, the default) "
              "or auto (activation buffers split over the board's RAM regions)");
}

}  // namespace tinyscale::scaling
