// Test helper: a small XML well-formedness check for the SVG files tinyscale writes (no XML
// library is a dependency): one root element, every tag closed in order, attribute values
// quoted, '<' never inside text or values, '&' only as an entity.
#pragma once

#include <cctype>
#include <regex>
#include <string>
#include <vector>

namespace tinyscale::testing_support {

// "" when `xml` is well-formed, else what is wrong and where.
inline std::string xml_problem(const std::string& xml) {
  static const std::regex entity("&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);");
  auto check_text = [&](const std::string& text, std::size_t at) -> std::string {
    if (text.find('<') != std::string::npos) return "'<' in text or value at " + std::to_string(at);
    for (std::size_t i = text.find('&'); i != std::string::npos; i = text.find('&', i + 1)) {
      if (!std::regex_search(text.substr(i, 12), entity, std::regex_constants::match_continuous))
        return "bare '&' at " + std::to_string(at + i);
    }
    return "";
  };
  std::vector<std::string> open;
  int roots = 0;
  std::size_t i = 0;
  while (i < xml.size()) {
    const std::size_t lt = xml.find('<', i);
    const std::string text = xml.substr(i, lt == std::string::npos ? std::string::npos : lt - i);
    if (const std::string p = check_text(text, i); !p.empty()) return p;
    if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos)
      return "text outside the root at " + std::to_string(i);
    if (lt == std::string::npos) break;
    if (xml.compare(lt, 4, "<!--") == 0 || xml.compare(lt, 2, "<?") == 0) {
      const std::size_t end = xml.find(xml[lt + 1] == '!' ? "-->" : "?>", lt);
      if (end == std::string::npos) return "unclosed comment at " + std::to_string(lt);
      i = end + 2;
      continue;
    }
    // A tag: scan to its '>' outside quoted values.
    std::size_t j = lt + 1;
    char quote = 0;
    for (; j < xml.size(); ++j) {
      if (quote) {
        if (xml[j] == quote) quote = 0;
      } else if (xml[j] == '"' || xml[j] == '\'') {
        quote = xml[j];
      } else if (xml[j] == '>') {
        break;
      }
    }
    if (j >= xml.size()) return "unclosed tag at " + std::to_string(lt);
    std::string tag = xml.substr(lt + 1, j - lt - 1);
    i = j + 1;
    if (!tag.empty() && tag[0] == '/') {
      const std::string name = tag.substr(1, tag.find_first_of(" \t\r\n", 1) - 1);
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">") +
               " at " + std::to_string(lt);
      open.pop_back();
      continue;
    }
    const bool self_closing = !tag.empty() && tag.back() == '/';
    if (self_closing) tag.pop_back();
    std::size_t k = 0;
    while (k < tag.size() && !std::isspace(static_cast<unsigned char>(tag[k]))) ++k;
    const std::string name = tag.substr(0, k);
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
      return "bad tag name at " + std::to_string(lt);
    // Attributes: name="value" pairs, each value checked as text. Scanned by hand: libstdc++'s
    // regex recurses once per character, which overflows the stack on a long path's value
    // under AddressSanitizer.
    auto is_name_start = [](char c) {
      return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
    };
    auto is_name_char = [&](char c) {
      return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
             c == '.';
    };
    auto skip_space = [&](std::size_t at) {
      while (at < tag.size() && std::isspace(static_cast<unsigned char>(tag[at]))) ++at;
      return at;
    };
    const std::string bad_attribute = "bad attribute in <" + name + "> at " + std::to_string(lt);
    for (std::size_t a = skip_space(k); a < tag.size(); a = skip_space(a)) {
      if (!is_name_start(tag[a])) return bad_attribute;
      std::size_t b = a + 1;
      while (b < tag.size() && is_name_char(tag[b])) ++b;
      b = skip_space(b);
      if (b >= tag.size() || tag[b] != '=') return bad_attribute;
      b = skip_space(b + 1);
      if (b >= tag.size() || (tag[b] != '"' && tag[b] != '\'')) return bad_attribute;
      const std::size_t close = tag.find(tag[b], b + 1);
      if (close == std::string::npos) return bad_attribute;
      if (const std::string p = check_text(tag.substr(b + 1, close - b - 1), lt); !p.empty())
        return p;
      a = close + 1;
    }
    if (open.empty() && ++roots > 1) return "a second root element at " + std::to_string(lt);
    if (!self_closing) open.push_back(name);
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  if (roots != 1) return "no root element";
  return "";
}

}  // namespace tinyscale::testing_support
