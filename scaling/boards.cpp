#include "scaling/boards.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "core/limits.h"
#include "costmodel/latency.h"
#include "scaling/boards_json.h"  // generated from data/boards.json

namespace tinyscale::scaling {
namespace {

using nlohmann::json;

constexpr const char* kBuiltinOrigin = "data/boards.json (built in)";
constexpr const char* kFields[] = {"name",
                                   "aliases",
                                   "core",
                                   "mhz",
                                   "flash_bytes",
                                   "ram_bytes",
                                   "ram_regions",
                                   "reserve_flash_bytes",
                                   "reserve_ram_bytes",
                                   "reserve_ram_region",
                                   "notes"};
constexpr const char* kRegionFields[] = {"name", "kind", "address", "size_bytes"};

template <std::size_t N>
std::string joined(const char* const (&items)[N]) {
  std::string list;
  for (const char* item : items) list += std::string(list.empty() ? "" : ", ") + item;
  return list;
}

// The spelling lookup compares: "NUCLEO_H743ZI2", "nucleo-h743zi2" and "Nucleo H743ZI2"
// are one board.
std::string normalized(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == '-' || c == '_' || c == ' ' || c == '(' || c == ')') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Parsing one entry: every error names the origin, the entry (index and name when known)
// and the field.
class EntryReader {
 public:
  EntryReader(const json& entry, std::size_t index, const std::string& origin)
      : entry_(entry), origin_(origin) {
    where_ = origin + ": boards[" + std::to_string(index) + "]";
    if (entry.is_object()) {
      const auto name = entry.find("name");
      if (name != entry.end() && name->is_string()) {
        where_ += " ('" + name->get<std::string>() + "')";
      }
    }
  }

  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }

  const json& field(const char* key) const {
    const auto it = entry_.find(key);
    if (it == entry_.end()) fail(std::string("missing required field '") + key + "'");
    return *it;
  }

  std::string string_field(const char* key) const {
    const json& v = field(key);
    if (!v.is_string())
      fail(std::string("field '") + key + "' must be a string, found " + v.dump());
    return v.get<std::string>();
  }

  std::int64_t bytes_field(const char* key, bool allow_zero) const {
    return bytes_value(field(key), key, allow_zero);
  }

  std::int64_t bytes_value(const json& v, const std::string& key, bool allow_zero) const {
    if (!v.is_number_integer()) {
      fail("field '" + key + "' must be an integer number of bytes, found " + v.dump());
    }
    if (v.is_number_unsigned() &&
        v.get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail("field '" + key + "' is too large: " + v.dump());
    }
    const std::int64_t bytes = v.get<std::int64_t>();
    if (bytes < 0 || (bytes == 0 && !allow_zero)) {
      fail("field '" + key + "' must be " + (allow_zero ? "at least 0" : "positive") +
           ", found " + std::to_string(bytes));
    }
    return bytes;
  }

  // ram_regions[i]: {name, kind, size_bytes, address (optional hex string)}.
  RamRegion region(const json& entry, std::size_t i) const {
    const std::string where = "ram_regions[" + std::to_string(i) + "]";
    if (!entry.is_object()) fail(where + " must be an object, found " + entry.dump());
    for (const auto& item : entry.items()) {
      const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
      if (std::none_of(std::begin(kRegionFields), std::end(kRegionFields),
                       [&](const char* f) { return key == f; })) {
        fail(where + ": unknown field '" + key + "' (known fields: " + joined(kRegionFields) +
             ")");
      }
    }
    auto text = [&](const char* key) {
      const auto it = entry.find(key);
      if (it == entry.end()) fail(where + ": missing required field '" + key + "'");
      if (!it->is_string() || it->get<std::string>().empty())
        fail(where + ": field '" + key + "' must be a non-empty string, found " + it->dump());
      return it->get<std::string>();
    };
    RamRegion r;
    r.name = text("name");
    r.kind = text("kind");
    const auto& kinds = ram_region_kinds();
    if (std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end()) {
      std::string list;
      for (const std::string& k : kinds) list += (list.empty() ? "" : ", ") + k;
      fail(where + " ('" + r.name + "'): unknown kind '" + r.kind + "' (known kinds: " + list +
           ")");
    }
    const auto size = entry.find("size_bytes");
    if (size == entry.end()) fail(where + " ('" + r.name + "'): missing required field 'size_bytes'");
    r.size_bytes = bytes_value(*size, where + ".size_bytes", false);
    if (const auto address = entry.find("address"); address != entry.end()) {
      const std::string a = address->is_string() ? address->get<std::string>() : "";
      std::uint64_t value = 0;
      const bool hex = a.size() > 2 && a.size() <= 18 && a[0] == '0' && (a[1] == 'x' || a[1] == 'X') &&
                       std::all_of(a.begin() + 2, a.end(),
                                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
      if (!hex) {
        fail(where + " ('" + r.name + "'): field 'address' must be a hex string such as "
             "\"0x24000000\", found " + address->dump());
      }
      value = std::stoull(a.substr(2), nullptr, 16);
      if (value > std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(r.size_bytes))
        fail(where + " ('" + r.name + "'): the region runs past the end of the address space");
      r.address = value;
    }
    return r;
  }

  // ram_regions, ram_bytes (either may be absent, not both; together they must agree) and
  // the reserve's region.
  void read_ram(Board* b) const {
    if (const auto regions = entry_.find("ram_regions"); regions != entry_.end()) {
      if (!regions->is_array() || regions->empty())
        fail("field 'ram_regions' must be a non-empty array of regions, found " + regions->dump());
      std::int64_t total = 0;
      for (std::size_t i = 0; i < regions->size(); ++i) {
        RamRegion r = region((*regions)[i], i);
        for (const RamRegion& other : b->ram_regions) {
          if (normalized(other.name) == normalized(r.name))
            fail("two ram_regions are named '" + r.name + "'");
          if (r.address && other.address && *r.address < *other.address + other.size_bytes &&
              *other.address < *r.address + r.size_bytes) {
            fail("ram_regions '" + other.name + "' and '" + r.name + "' overlap in the address space");
          }
        }
        if (r.size_bytes > std::numeric_limits<std::int64_t>::max() - total)
          fail("field 'ram_regions' adds up to more than 2^63 bytes");
        total += r.size_bytes;
        b->ram_regions.push_back(std::move(r));
      }
      if (entry_.contains("ram_bytes")) {
        b->ram_bytes = bytes_field("ram_bytes", false);
        if (b->ram_bytes != total) {
          fail("field 'ram_bytes' (" + std::to_string(b->ram_bytes) +
               ") must be the sum of the ram_regions' sizes (" + std::to_string(total) + ")");
        }
      }
      b->ram_bytes = total;
    } else {
      b->ram_bytes = bytes_field("ram_bytes", false);
      b->ram_regions.push_back({"RAM", "sram", b->ram_bytes, std::nullopt});
    }
    b->reserve_ram_bytes = bytes_field("reserve_ram_bytes", true);
    if (b->reserve_ram_bytes >= b->ram_bytes) {
      fail("field 'reserve_ram_bytes' (" + std::to_string(b->reserve_ram_bytes) +
           ") must be smaller than 'ram_bytes' (" + std::to_string(b->ram_bytes) + ")");
    }
    if (entry_.contains("reserve_ram_region")) {
      b->reserve_ram_region = string_field("reserve_ram_region");
      const bool known = std::any_of(b->ram_regions.begin(), b->ram_regions.end(), [&](const RamRegion& r) {
        return normalized(r.name) == normalized(b->reserve_ram_region);
      });
      if (!known) {
        std::string names;
        for (const RamRegion& r : b->ram_regions) names += (names.empty() ? "'" : ", '") + r.name + "'";
        fail("field 'reserve_ram_region' names no region: '" + b->reserve_ram_region +
             "' (the regions are " + names + ")");
      }
    }
    const RamRegion& home = b->ram_regions[reserve_region_of(*b)];
    b->reserve_ram_region = home.name;
    if (b->reserve_ram_bytes >= home.size_bytes) {
      fail("field 'reserve_ram_bytes' (" + std::to_string(b->reserve_ram_bytes) +
           ") must be smaller than its region '" + home.name + "' (" +
           std::to_string(home.size_bytes) + " bytes)");
    }
  }

  Board read() const {
    if (!entry_.is_object()) fail("expected an object, found " + entry_.dump());
    for (const auto& item : entry_.items()) {
      const std::string& key = item.key();
      const bool known = std::any_of(std::begin(kFields), std::end(kFields),
                                     [&](const char* f) { return key == f; });
      if (!known) {
        fail("unknown field '" + key + "' (known fields: " + joined(kFields) + ")");
      }
    }
    Board b;
    b.origin = origin_;
    b.name = string_field("name");
    if (normalized(b.name).empty()) fail("field 'name' is empty");
    if (entry_.contains("aliases")) {
      const json& aliases = entry_.at("aliases");
      if (!aliases.is_array()) fail("field 'aliases' must be an array of strings");
      for (const json& a : aliases) {
        if (!a.is_string() || normalized(a.get<std::string>()).empty()) {
          fail("field 'aliases' must hold non-empty strings, found " + a.dump());
        }
        b.aliases.push_back(a.get<std::string>());
      }
    }
    b.core = string_field("core");
    if (b.core.empty() || !std::all_of(b.core.begin(), b.core.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+' ||
                 c == '.';
        })) {
      fail("field 'core' must name a CPU core such as cortex-m7 or xtensa-lx7, found '" + b.core +
           "'");
    }
    try {
      costmodel::cycle_costs(b.core);
    } catch (const Error& e) {
      fail(std::string("field 'core': ") + e.what());
    }
    const json& mhz = field("mhz");
    if (!mhz.is_number() || !std::isfinite(mhz.get<double>()) || mhz.get<double>() <= 0.0) {
      fail("field 'mhz' must be a positive number (the core clock in MHz), found " + mhz.dump());
    }
    b.mhz = mhz.get<double>();
    b.flash_bytes = bytes_field("flash_bytes", false);
    b.reserve_flash_bytes = bytes_field("reserve_flash_bytes", true);
    if (b.reserve_flash_bytes >= b.flash_bytes) {
      fail("field 'reserve_flash_bytes' (" + std::to_string(b.reserve_flash_bytes) +
           ") must be smaller than 'flash_bytes' (" + std::to_string(b.flash_bytes) + ")");
    }
    read_ram(&b);
    if (entry_.contains("notes")) b.notes = string_field("notes");
    return b;
  }

 private:
  const json& entry_;
  std::string origin_;
  std::string where_;
};

std::string describe(const Board& b) { return "'" + b.name + "' (" + b.origin + ")"; }

}  // namespace

const std::vector<std::string>& ram_region_kinds() {
  static const std::vector<std::string> kinds = {"dtcm", "itcm", "axi", "sram", "psram", "sdram"};
  return kinds;
}

std::vector<RamRegion> ram_regions_of(const Board& board) {
  if (!board.ram_regions.empty()) return board.ram_regions;
  return {{"RAM", "sram", board.ram_bytes, std::nullopt}};
}

std::size_t reserve_region_of(const Board& board) {
  const std::vector<RamRegion> regions = ram_regions_of(board);
  if (!board.reserve_ram_region.empty()) {
    for (std::size_t i = 0; i < regions.size(); ++i) {
      if (normalized(regions[i].name) == normalized(board.reserve_ram_region)) return i;
    }
    throw Error("board " + board.name + ": reserve_ram_region '" + board.reserve_ram_region +
                "' names none of its RAM regions");
  }
  std::size_t largest = 0;
  for (std::size_t i = 1; i < regions.size(); ++i) {
    if (regions[i].size_bytes > regions[largest].size_bytes) largest = i;
  }
  return largest;
}

BoardDatabase BoardDatabase::builtin() {
  static const BoardDatabase database = [] {
    const std::string text(reinterpret_cast<const char*>(generated::kBoardsJson),
                           sizeof generated::kBoardsJson);
    return from_json_text(text, kBuiltinOrigin);
  }();
  return database;
}

BoardDatabase BoardDatabase::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open boards file '" + path + "'");
  // Sized before it is read whole.
  std::error_code ec;
  if (const std::uintmax_t size = std::filesystem::file_size(path, ec);
      !ec && size > static_cast<std::uintmax_t>(core::kMaxJsonFileBytes)) {
    throw Error(core::limit_error("boards file '" + path + "'", static_cast<std::int64_t>(size),
                                  core::kMaxJsonFileBytes, "kMaxJsonFileBytes",
                                  "for a JSON document"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read boards file '" + path + "'");
  return from_json_text(text.str(), path);
}

BoardDatabase BoardDatabase::from_json_text(const std::string& text, const std::string& origin) {
  if (const std::string problem = core::json_text_problem(text, origin); !problem.empty()) {
    throw Error(problem);
  }
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw Error(origin + ": not valid JSON: " + e.what());
  }
  if (!document.is_object()) {
    throw Error(origin + ": expected an object with a \"boards\" array at the top level");
  }
  const auto boards = document.find("boards");
  if (boards == document.end() || !boards->is_array()) {
    throw Error(origin + ": expected a \"boards\" array at the top level");
  }

  BoardDatabase db;
  // Every spelling (name or alias, normalized) of this file, to reject ambiguous entries.
  std::unordered_map<std::string, std::size_t> owner;
  for (std::size_t i = 0; i < boards->size(); ++i) {
    const EntryReader reader((*boards)[i], i, origin);
    Board board = reader.read();
    std::vector<std::string> spellings{normalized(board.name)};
    for (const std::string& a : board.aliases) spellings.push_back(normalized(a));
    for (std::size_t s = 0; s < spellings.size(); ++s) {
      const auto [it, inserted] = owner.emplace(spellings[s], i);
      if (inserted || it->second == i) continue;
      const Board& other = db.boards_[it->second];
      if (s == 0 && normalized(other.name) == spellings[0]) {
        reader.fail("duplicate board name '" + board.name + "' (also boards[" +
                    std::to_string(it->second) + "])");
      }
      reader.fail("the spelling '" + (s == 0 ? board.name : board.aliases[s - 1]) +
                  "' also names boards[" + std::to_string(it->second) + "] ('" + other.name + "')");
    }
    db.boards_.push_back(std::move(board));
  }
  return db;
}

void BoardDatabase::merge(const BoardDatabase& other) {
  std::vector<Board> merged = boards_;
  for (const Board& incoming : other.boards_) {
    const std::string key = normalized(incoming.name);
    const auto existing = std::find_if(merged.begin(), merged.end(),
                                       [&](const Board& b) { return normalized(b.name) == key; });
    if (existing != merged.end()) {
      *existing = incoming;
    } else {
      merged.push_back(incoming);
    }
  }
  // A spelling must name one board, or the lookup would depend on the order of the files.
  std::unordered_map<std::string, std::size_t> owner;
  for (std::size_t i = 0; i < merged.size(); ++i) {
    std::vector<std::string> spellings{merged[i].name};
    spellings.insert(spellings.end(), merged[i].aliases.begin(), merged[i].aliases.end());
    for (const std::string& spelling : spellings) {
      const auto [it, inserted] = owner.emplace(normalized(spelling), i);
      if (inserted || it->second == i) continue;
      // Name the board that came later (the one being added) first.
      const Board& first = merged[it->second];
      const Board& second = merged[i];
      throw Error("board " + describe(second) + ": its " +
                  (normalized(spelling) == normalized(second.name) ? "name" : "alias") + " '" +
                  spelling + "' is already a name or alias of board " + describe(first) +
                  "; remove it from one of them, or give the entry the same name to replace "
                  "that board");
    }
  }
  boards_ = std::move(merged);
}

const Board& BoardDatabase::find(std::string_view name) const {
  const std::string key = normalized(name);
  for (const Board& b : boards_) {
    if (normalized(b.name) == key) return b;
  }
  // merge() keeps every spelling unique, so the order of this search does not matter.
  for (const Board& b : boards_) {
    for (const std::string& alias : b.aliases) {
      if (normalized(alias) == key) return b;
    }
  }

  std::string message = "unknown board '" + std::string(name) + "'";
  if (boards_.empty()) throw Error(message + "; the board database is empty");
  std::vector<std::pair<std::size_t, std::size_t>> distance_of_board;  // (distance, index)
  for (std::size_t i = 0; i < boards_.size(); ++i) {
    std::size_t best = levenshtein(key, normalized(boards_[i].name));
    for (const std::string& alias : boards_[i].aliases) {
      best = std::min(best, levenshtein(key, normalized(alias)));
    }
    distance_of_board.emplace_back(best, i);
  }
  std::stable_sort(distance_of_board.begin(), distance_of_board.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  message += "; did you mean: ";
  for (std::size_t s = 0; s < std::min<std::size_t>(3, distance_of_board.size()); ++s) {
    message += (s ? ", " : "") + boards_[distance_of_board[s].second].name;
  }
  throw Error(message + "?");
}

}  // namespace tinyscale::scaling
