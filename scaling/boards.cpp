#include "scaling/boards.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
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
                                   "reserve_flash_bytes",
                                   "reserve_ram_bytes",
                                   "notes"};

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
  EntryReader(const json& entry, std::size_t index, const std::string& origin) : entry_(entry) {
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
    const json& v = field(key);
    if (!v.is_number_integer()) {
      fail(std::string("field '") + key + "' must be an integer number of bytes, found " +
           v.dump());
    }
    if (v.is_number_unsigned() &&
        v.get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail(std::string("field '") + key + "' is too large: " + v.dump());
    }
    const std::int64_t bytes = v.get<std::int64_t>();
    if (bytes < 0 || (bytes == 0 && !allow_zero)) {
      fail(std::string("field '") + key + "' must be " + (allow_zero ? "at least 0" : "positive") +
           ", found " + std::to_string(bytes));
    }
    return bytes;
  }

  Board read() const {
    if (!entry_.is_object()) fail("expected an object, found " + entry_.dump());
    for (const auto& [key, value] : entry_.items()) {
      const bool known = std::any_of(std::begin(kFields), std::end(kFields),
                                     [&](const char* f) { return key == f; });
      if (!known) {
        std::string list;
        for (const char* f : kFields) list += std::string(list.empty() ? "" : ", ") + f;
        fail("unknown field '" + key + "' (known fields: " + list + ")");
      }
    }
    Board b;
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
    const json& mhz = field("mhz");
    if (!mhz.is_number() || !std::isfinite(mhz.get<double>()) || mhz.get<double>() <= 0.0) {
      fail("field 'mhz' must be a positive number (the core clock in MHz), found " + mhz.dump());
    }
    b.mhz = mhz.get<double>();
    b.flash_bytes = bytes_field("flash_bytes", false);
    b.ram_bytes = bytes_field("ram_bytes", false);
    b.reserve_flash_bytes = bytes_field("reserve_flash_bytes", true);
    b.reserve_ram_bytes = bytes_field("reserve_ram_bytes", true);
    if (b.reserve_flash_bytes >= b.flash_bytes) {
      fail("field 'reserve_flash_bytes' (" + std::to_string(b.reserve_flash_bytes) +
           ") must be smaller than 'flash_bytes' (" + std::to_string(b.flash_bytes) + ")");
    }
    if (b.reserve_ram_bytes >= b.ram_bytes) {
      fail("field 'reserve_ram_bytes' (" + std::to_string(b.reserve_ram_bytes) +
           ") must be smaller than 'ram_bytes' (" + std::to_string(b.ram_bytes) + ")");
    }
    if (entry_.contains("notes")) b.notes = string_field("notes");
    return b;
  }

 private:
  const json& entry_;
  std::string where_;
};

}  // namespace

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
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read boards file '" + path + "'");
  return from_json_text(text.str(), path);
}

BoardDatabase BoardDatabase::from_json_text(const std::string& text, const std::string& origin) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
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
  for (const Board& incoming : other.boards_) {
    const std::string key = normalized(incoming.name);
    const auto existing = std::find_if(boards_.begin(), boards_.end(),
                                       [&](const Board& b) { return normalized(b.name) == key; });
    if (existing != boards_.end()) {
      *existing = incoming;
    } else {
      boards_.push_back(incoming);
    }
  }
}

const Board& BoardDatabase::find(std::string_view name) const {
  const std::string key = normalized(name);
  for (const Board& b : boards_) {
    if (normalized(b.name) == key) return b;
  }
  // Aliases after names, and the most recently merged board first, so a user's file can
  // take over an alias of a built-in board.
  for (auto b = boards_.rbegin(); b != boards_.rend(); ++b) {
    for (const std::string& alias : b->aliases) {
      if (normalized(alias) == key) return *b;
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
