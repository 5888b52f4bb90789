// Choosing patch-based execution's stage and grid (see costmodel/patches.h).
#include "costmodel/patches.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/error.h"

namespace tinyscale::costmodel {
namespace {

constexpr int kMaxAutoGrid = 8;
constexpr int kMaxGrid = 64;

bool parse_int(const std::string& text, int* value) {
  if (text.empty() || text.size() > 6) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  *value = std::atoi(text.c_str());
  return true;
}

}  // namespace

PatchOption parse_patch_option(const std::string& text) {
  PatchOption o;
  if (text == "off") return o;
  if (text == "auto") {
    o.mode = PatchOption::Mode::automatic;
    return o;
  }
  const std::size_t comma = text.find(',');
  int k = 0, n = 0;
  if (comma == std::string::npos || !parse_int(text.substr(0, comma), &k) ||
      !parse_int(text.substr(comma + 1), &n) || k < 1 || n < 2 || n > kMaxGrid) {
    throw Error("--patch '" + text +
                "': expected auto, off, or k,n (k layers from 1, an n×n grid with n from 2 to " +
                std::to_string(kMaxGrid) + ", e.g. 6,4)");
  }
  o.mode = PatchOption::Mode::fixed;
  o.fixed = {k, n};
  return o;
}

double parse_extra_macs(const std::string& text) {
  std::string number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  char* end = nullptr;
  errno = 0;
  const double v = number.empty() ? NAN : std::strtod(number.c_str(), &end);
  const double share = percent ? v / 100.0 : v;
  if (number.empty() || errno != 0 || end != number.c_str() + number.size() ||
      !std::isfinite(share) || share < 0.0 || share > 10.0) {
    throw Error("--max-extra-macs '" + text +
                "': expected a share of the network's MACs from 0% to 1000% (e.g. 20% or 0.2)");
  }
  return share;
}

std::string patch_option_text(const PatchOption& option) {
  switch (option.mode) {
    case PatchOption::Mode::off:
      return "off";
    case PatchOption::Mode::automatic:
      return "auto";
    case PatchOption::Mode::fixed:
      break;
  }
  return core::patch_choice_text(option.fixed);
}

PatchSearchResult choose_patches(const core::Graph& graph, double max_extra_macs,
                                 const engine::ArenaOptions& arena,
                                 FixedBytesFunction fixed_bytes) {
  PatchSearchResult r;
  r.plain_peak_bytes = engine::plan_arena(graph, arena).plan.peak_bytes;
  r.plain_fixed_bytes = fixed_bytes ? fixed_bytes(graph) : 0;
  r.best_peak_bytes = r.plain_peak_bytes;
  r.best_fixed_bytes = r.plain_fixed_bytes;
  const std::vector<core::PatchStage> stages = core::patch_stages(graph);
  if (stages.empty()) return r;
  const std::int64_t plain_macs = core::graph_macs(graph);
  const auto cap =
      static_cast<std::int64_t>(std::floor(max_extra_macs * static_cast<double>(plain_macs)));
  std::int64_t best_extra = 0;
  // A patched plan holds the stage's input and its output together (while the last
  // patch slices the input, the pastes' buffer already holds the others): a bound that spares
  // planning the stages that cannot win. The longest stages, usually the best, go first.
  auto arena_bytes = [&](int id) {
    const core::Tensor& t = graph.tensor(id);
    const std::int64_t element =
        arena.int8_activations && t.dtype == core::DType::float32 ? 1 : core::dtype_size(t.dtype);
    return engine::align_up(core::num_elements(t.shape) * element, arena.alignment);
  };
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
    const core::PatchStage& stage = *it;
    if (arena_bytes(stage.input) + arena_bytes(stage.tensor) + r.plain_fixed_bytes >=
        r.best_peak_bytes + r.best_fixed_bytes) {
      continue;
    }
    const std::int64_t largest =
        std::min<std::int64_t>(kMaxAutoGrid, std::min(stage.height, stage.width));
    for (int n = 2; n <= largest; ++n) {
      PatchCandidate c;
      c.choice = {stage.layers, n};
      c.peak_bytes = -1;
      core::PatchedGraph p;
      try {
        p = core::apply_patches(graph, c.choice);
      } catch (const Error&) {
        r.tried.push_back(c);  // a patch wholly in the padding: not a candidate
        continue;
      }
      c.extra_macs = p.macs - p.plain_macs;
      if (c.extra_macs <= cap) {
        c.peak_bytes = engine::plan_arena(p.graph, arena).plan.peak_bytes;
        c.fixed_bytes = fixed_bytes ? fixed_bytes(p.graph) : 0;
        const std::int64_t ram = c.peak_bytes + c.fixed_bytes;
        const std::int64_t best_ram = r.best_peak_bytes + r.best_fixed_bytes;
        const bool better =
            ram < best_ram || (r.best.enabled() && ram == best_ram && c.extra_macs < best_extra);
        if (better) {
          r.best = c.choice;
          r.best_peak_bytes = c.peak_bytes;
          r.best_fixed_bytes = c.fixed_bytes;
          best_extra = c.extra_macs;
          r.best_graph = std::move(p);
        }
      }
      r.tried.push_back(c);
      if (c.extra_macs > cap) break;  // finer grids recompute more
    }
  }
  return r;
}

core::PatchedGraph patch_graph(const core::Graph& graph, const PatchOption& option,
                               const engine::ArenaOptions& arena, FixedBytesFunction fixed_bytes) {
  if (option.mode == PatchOption::Mode::automatic) {
    PatchSearchResult search = choose_patches(graph, option.max_extra_macs, arena, fixed_bytes);
    if (search.best.enabled()) return std::move(search.best_graph);
  }
  return core::apply_patches(
      graph, option.mode == PatchOption::Mode::fixed ? option.fixed : core::PatchChoice{});
}

}  // namespace tinyscale::costmodel
