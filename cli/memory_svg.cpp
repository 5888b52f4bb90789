#include "cli/memory_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/options.h"
#include "cli/output_paths.h"
#include "core/atomic_file.h"
#include "core/ops.h"
#include "core/passes.h"
#include "engine/engine.h"
#include "scaling/sweep.h"

namespace tinyscale::cli {
namespace {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

std::string kib(std::int64_t bytes) {
  return format("%.1f KiB", static_cast<double>(bytes) / 1024);
}

// A tick step of 1, 2 or 5 times a power of two... of ten, in KiB, giving at most ~6 ticks.
double tick_step_kib(double top_kib) {
  if (top_kib <= 0) return 1;
  const double raw = top_kib / 6;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

struct KindStyle {
  const char* name;
  const char* fill;
};
// Indexed by BufferKind.
constexpr KindStyle kKinds[] = {{"graph input", "#59a14f"},
                                {"activation", "#4e79a7"},
                                {"scratch", "#9c9c9c"},
                                {"graph output", "#f28e2b"}};
constexpr const char* kPeakColor = "#d62728";
constexpr const char* kRoomColor = "#555555";  // a region's room for buffers

constexpr double kWidth = 1100, kLeft = 84, kRight = 24, kTop = 96;
constexpr double kPlotW = kWidth - kLeft - kRight;

std::string step_label(const core::Graph& graph, int step) {
  if (step < 0 || step >= static_cast<int>(graph.nodes.size()))
    return "step " + std::to_string(step);
  const core::Node& node = graph.nodes[static_cast<std::size_t>(step)];
  return "node " + std::to_string(step) + " " + core::op_name(node.op) + " '" + node.name + "'";
}

std::string buffer_tip(const core::Graph& graph, const engine::ArenaPlan& plan, std::size_t b,
                       BufferKind kind) {
  const engine::PlannerBuffer& buffer = plan.buffers.buffers[b];
  std::string tip;
  if (kind == BufferKind::scratch) {
    tip = "scratch of " + step_label(graph, plan.buffers.node[b]);
  } else {
    const std::vector<int> ids = buffer_tensors(plan.buffers, b);
    tip = kKinds[static_cast<int>(kind)].name;
    if (ids.size() > 1) tip += ", " + std::to_string(ids.size()) + " tensors in place,";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const core::Tensor& t = graph.tensor(ids[i]);
      tip += std::string(i ? "; " : " ") + "tensor " + std::to_string(ids[i]) + " '" + t.name +
             "' " + core::shape_string(t.shape);
    }
  }
  tip += ": " + group_digits(buffer.size) + " B at offset " + group_digits(plan.plan.offsets[b]);
  tip += buffer.first_use == buffer.last_use ? ", step " + std::to_string(buffer.first_use)
                                             : ", steps " + std::to_string(buffer.first_use) +
                                                   " to " + std::to_string(buffer.last_use);
  return tip;
}

}  // namespace

std::vector<int> buffer_tensors(const engine::ArenaBuffers& buffers, std::size_t buffer) {
  std::vector<int> ids;
  for (std::size_t t = 0; t < buffers.tensor_buffer.size(); ++t) {
    if (buffers.tensor_buffer[t] == static_cast<int>(buffer)) ids.push_back(static_cast<int>(t));
  }
  if (ids.empty() && buffers.tensor[buffer] >= 0) ids.push_back(buffers.tensor[buffer]);
  return ids;
}

BufferKind buffer_kind(const core::Graph& graph, const engine::ArenaBuffers& buffers,
                       std::size_t buffer) {
  if (buffers.tensor[buffer] < 0) return BufferKind::scratch;
  auto holds = [&](const std::vector<int>& graph_ends) {
    for (const int id : buffer_tensors(buffers, buffer)) {
      if (std::find(graph_ends.begin(), graph_ends.end(), id) != graph_ends.end()) return true;
    }
    return false;
  };
  // A graph output may overwrite a dying intermediate in place: the buffer ends as the output.
  if (holds(graph.outputs)) return BufferKind::graph_output;
  if (holds(graph.inputs)) return BufferKind::graph_input;
  return BufferKind::activation;
}

std::string memory_svg(const core::Graph& graph, const engine::ArenaPlan& plan,
                       const MemorySvgOptions& options) {
  const int steps = std::max<int>(1, static_cast<int>(graph.nodes.size()));
  const std::size_t count = plan.buffers.buffers.size();
  const int regions = std::max<int>(1, static_cast<int>(plan.region_peak_bytes.size()));
  auto region_of = [&](std::size_t b) {
    return b < plan.buffer_regions.size() ? plan.buffer_regions[b] : 0;
  };
  auto occupies = [&](std::size_t b) {
    const engine::PlannerBuffer& buffer = plan.buffers.buffers[b];
    return buffer.size > 0 && buffer.last_use >= buffer.first_use;
  };
  auto region_peak = [&](int r) {
    return r < static_cast<int>(plan.region_peak_bytes.size())
               ? plan.region_peak_bytes[static_cast<std::size_t>(r)]
               : plan.plan.peak_bytes;
  };

  // Per region and step: the bytes live (aligned, the lower bound's terms).
  std::vector<std::vector<std::int64_t>> live(static_cast<std::size_t>(regions),
                                              std::vector<std::int64_t>(steps, 0));
  for (std::size_t b = 0; b < count; ++b) {
    if (!occupies(b)) continue;
    const engine::PlannerBuffer& buffer = plan.buffers.buffers[b];
    const std::int64_t aligned = engine::align_up(buffer.size, engine::kArenaAlignment);
    auto& live_r = live[static_cast<std::size_t>(region_of(b))];
    for (int s = std::max(0, buffer.first_use); s <= std::min(steps - 1, buffer.last_use); ++s) {
      live_r[static_cast<std::size_t>(s)] += aligned;
    }
  }
  auto live_max_of = [&](int r) {
    const auto& live_r = live[static_cast<std::size_t>(r)];
    return live_r.empty() ? std::int64_t{0} : *std::max_element(live_r.begin(), live_r.end());
  };
  // A region's room for buffers (its capacity less the fixed bytes it holds), drawn when it
  // is not far above what the buffers use, so a plan that does not fit shows its overflow;
  // -1: not drawn.
  auto room_of = [&](int r) -> std::int64_t {
    if (r >= static_cast<int>(options.region_capacities.size())) return -1;
    const std::int64_t room = options.region_capacities[static_cast<std::size_t>(r)] -
                              (r == plan.fixed_region ? options.fixed_bytes : 0);
    const std::int64_t used = std::max(region_peak(r), live_max_of(r));
    return used > 0 && room >= 0 && room <= used * 8 / 5 ? room : -1;
  };
  bool any_room = false;
  for (int r = 0; r < regions; ++r) any_room = any_room || room_of(r) >= 0;

  // Op names under the axis while they can be read; beyond that, index ticks and hovering.
  const bool name_steps = steps <= 60;
  // One band per region; a region holding no buffer gets a thin one.
  std::vector<double> band_heights;
  double bands_h = 0;
  for (int r = 0; r < regions; ++r) {
    band_heights.push_back(regions == 1 ? 460 : region_peak(r) > 0 ? 240 : 60);
    bands_h += band_heights.back();
  }
  const double band_gap = regions == 1 ? 0 : 56;
  const double axis_labels_h = name_steps ? 112 : 44;
  const double height =
      kTop + (regions == 1 ? 0 : 22) + bands_h + (regions - 1) * band_gap + axis_labels_h + 34;
  auto px = [&](double step) { return kLeft + step * kPlotW / steps; };

  std::string svg = format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      kWidth, height, kWidth, height);
  const std::string heading = options.title + ": tinyscale engine arena";
  svg += "<title>" + scaling::xml_escape(heading) + "</title>\n";
  svg +=
      format("<rect x=\"0\" y=\"0\" width=\"%g\" height=\"%g\" fill=\"white\"/>\n", kWidth, height);
  // A long network description shrinks to fit the width (bold sans: ~0.62 em per character).
  const double heading_size = std::clamp(
      (kWidth - 24) / (0.62 * static_cast<double>(std::max<std::size_t>(1, heading.size()))), 9.0,
      16.0);
  svg += format(
      "<text x=\"%g\" y=\"24\" text-anchor=\"middle\" font-size=\"%.1f\" "
      "font-weight=\"bold\">%s</text>\n",
      kWidth / 2, heading_size, scaling::xml_escape(heading).c_str());
  const std::int64_t miss = plan.plan.peak_bytes - plan.plan.lower_bound_bytes;
  std::string summary =
      "peak " + group_digits(plan.plan.peak_bytes) + " B (" + kib(plan.plan.peak_bytes) +
      "), live-tensor lower bound " + group_digits(plan.plan.lower_bound_bytes) + " B" +
      (miss == 0 ? " (reached)" : " (missed by " + group_digits(miss) + " B)") + ", " +
      std::to_string(count) + " buffers over " + std::to_string(steps) + " steps";
  if (regions > 1) summary += ", " + std::to_string(regions) + " regions";
  if (!options.patch_text.empty()) summary += ", " + options.patch_text;
  svg += format(
      "<text id=\"peak-label\" x=\"%g\" y=\"46\" text-anchor=\"middle\" "
      "font-size=\"13\">%s</text>\n",
      kWidth / 2, scaling::xml_escape(summary).c_str());

  // Legend: the kinds, the peak, the live bytes.
  {
    double x = kLeft;
    const double y = 66;
    for (const KindStyle& k : kKinds) {
      svg +=
          format("<rect x=\"%g\" y=\"%g\" width=\"14\" height=\"12\" fill=\"%s\"/>", x, y, k.fill);
      svg += format("<text x=\"%g\" y=\"%g\">%s</text>\n", x + 19, y + 10.5, k.name);
      x += 30 + 7.0 * static_cast<double>(std::string(k.name).size());
    }
    svg += format(
        "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"2\" "
        "stroke-dasharray=\"6 3\"/>",
        x, y + 6, x + 22, y + 6, kPeakColor);
    svg += format("<text x=\"%g\" y=\"%g\">peak</text>\n", x + 27, y + 10.5);
    x += 70;
    svg += format(
        "<rect x=\"%g\" y=\"%g\" width=\"14\" height=\"12\" fill=\"%s\" "
        "fill-opacity=\"0.18\" stroke=\"%s\" stroke-width=\"0.5\"/>",
        x, y, kPeakColor, kPeakColor);
    svg += format("<text x=\"%g\" y=\"%g\">most bytes live</text>\n", x + 19, y + 10.5);
    x += 135;
    svg += format(
        "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\" "
        "stroke-width=\"1.5\"/>",
        x, y + 6, x + 22, y + 6);
    const std::string live_text = "bytes live (its maximum: the lower bound)";
    svg += format("<text x=\"%g\" y=\"%g\">%s</text>\n", x + 27, y + 10.5, live_text.c_str());
    if (any_room) {
      x += 27 + 6.4 * static_cast<double>(live_text.size()) + 18;
      svg += format(
          "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"1.5\" "
          "stroke-dasharray=\"2 2\"/>",
          x, y + 6, x + 22, y + 6, kRoomColor);
      svg += format("<text x=\"%g\" y=\"%g\">room</text>\n", x + 27, y + 10.5);
      x += 70;
    }
    if (!options.step_patch.empty()) {
      x += any_room ? 0 : 27 + 6.4 * static_cast<double>(live_text.size()) + 18;
      svg += format(
          "<rect x=\"%g\" y=\"%g\" width=\"7\" height=\"12\" fill=\"#f2e3c9\"/><rect "
          "x=\"%g\" y=\"%g\" width=\"7\" height=\"12\" fill=\"#c9dcf2\"/>",
          x, y, x + 7, y);
      svg += format("<text x=\"%g\" y=\"%g\">patches</text>\n", x + 19, y + 10.5);
    }
  }

  double next_band_top = kTop + (regions == 1 ? 0 : 22);
  for (int r = 0; r < regions; ++r) {
    const double band_h = band_heights[static_cast<std::size_t>(r)];
    const double band_top = next_band_top;
    next_band_top += band_h + band_gap;
    const double bottom = band_top + band_h;
    const std::int64_t peak = region_peak(r);
    const auto& live_r = live[static_cast<std::size_t>(r)];
    const std::int64_t live_max = live_max_of(r);
    const std::int64_t room = room_of(r);
    const double top_kib =
        static_cast<double>(std::max<std::int64_t>({peak, live_max, room, 1024})) / 1024;
    const double tick = tick_step_kib(top_kib * 1.04);
    const double axis_kib = std::ceil(top_kib * 1.04 / tick) * tick;
    auto py = [&](double bytes) { return bottom - bytes / 1024 / axis_kib * band_h; };

    if (regions > 1) {
      std::string label = r < static_cast<int>(options.region_names.size())
                              ? options.region_names[static_cast<std::size_t>(r)]
                              : "region " + std::to_string(r);
      label += ": buffers peak " + group_digits(peak) + " B";
      if (r == plan.fixed_region && options.fixed_bytes > 0)
        label += " + fixed " + group_digits(options.fixed_bytes) + " B";
      if (r < static_cast<int>(options.region_capacities.size()))
        label +=
            " of " + group_digits(options.region_capacities[static_cast<std::size_t>(r)]) + " B";
      svg += format(
          "<text class=\"region-label\" x=\"%g\" y=\"%g\" font-size=\"13\" "
          "font-weight=\"bold\">%s</text>\n",
          kLeft, band_top - 8, scaling::xml_escape(label).c_str());
    }
    svg += format("<g class=\"region\" data-region=\"%d\">\n", r);
    if (peak == 0 && live_max == 0 && regions > 1) {
      svg += format(
          "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"#f7f7f7\" "
          "stroke=\"#333333\"/>\n<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" "
          "fill=\"#666666\">no buffer in this region</text>\n</g>\n",
          kLeft, band_top, kPlotW, band_h, kLeft + kPlotW / 2, band_top + band_h / 2 + 4);
      continue;
    }
    // Grid and offset ticks.
    svg += "<g stroke=\"#e4e4e4\" stroke-width=\"1\">";
    const int ticks = static_cast<int>(std::lround(axis_kib / tick));
    for (int i = 0; i <= ticks; ++i) {
      const double y = py(i * tick * 1024);
      svg += format("<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\"/>", kLeft, y, kLeft + kPlotW,
                    y);
    }
    svg += "</g>\n<g fill=\"#333333\" text-anchor=\"end\">";
    for (int i = 0; i <= ticks; ++i) {
      svg += format("<text x=\"%g\" y=\"%.1f\">%g KiB</text>", kLeft - 6, py(i * tick * 1024) + 4,
                    i * tick);
    }
    svg += "</g>\n";
    // Steps at the peak, shaded behind everything; every step a hover target naming its node.
    for (int s = 0; s < steps; ++s) {
      // The steps whose live buffers alone need the most bytes: where the peak is reached
      // when the plan sits on the lower bound (the planner may touch the peak's offset at
      // other steps too, as it stacks buffers against the ceiling).
      const bool at_peak = live_max > 0 && live_r[static_cast<std::size_t>(s)] == live_max;
      svg += format(
          "<rect class=\"%s\" x=\"%.2f\" y=\"%g\" width=\"%.2f\" height=\"%g\" "
          "fill=\"%s\" fill-opacity=\"%s\"><title>%s</title></rect>\n",
          at_peak ? "step peak-step" : "step", px(s), band_top, px(s + 1) - px(s), band_h,
          at_peak ? kPeakColor : "white", at_peak ? "0.18" : "0",
          scaling::xml_escape(step_label(graph, s) +
                              (s < static_cast<int>(live_r.size())
                                   ? ": " + group_digits(live_r[static_cast<std::size_t>(s)]) +
                                         " B live" + (at_peak ? ", the most" : "")
                                   : ""))
              .c_str());
    }
    // Patches: each one's steps tinted, alternately, with its number on top.
    for (int s = 0; s < steps && !options.step_patch.empty();) {
      const int patch = s < static_cast<int>(options.step_patch.size())
                            ? options.step_patch[static_cast<std::size_t>(s)]
                            : -1;
      int e = s + 1;
      while (e < steps && e < static_cast<int>(options.step_patch.size()) &&
             options.step_patch[static_cast<std::size_t>(e)] == patch) {
        ++e;
      }
      if (patch >= 0) {
        svg += format(
            "<rect class=\"patch\" data-patch=\"%d\" x=\"%.2f\" y=\"%g\" width=\"%.2f\" "
            "height=\"%g\" fill=\"%s\" fill-opacity=\"0.35\"><title>patch %d: steps %d-%d"
            "</title></rect>\n",
            patch, px(s), band_top, px(e) - px(s), band_h, patch % 2 ? "#c9dcf2" : "#f2e3c9", patch,
            s, e - 1);
        if (px(e) - px(s) >= 14) {
          svg += format(
              "<text x=\"%.2f\" y=\"%g\" text-anchor=\"middle\" font-size=\"9\" "
              "fill=\"#555555\">p%d</text>\n",
              (px(s) + px(e)) / 2, band_top + 10, patch);
        }
      }
      s = e;
    }
    // The same steps marked under the band, where no buffer hides them.
    for (int s = 0; s < steps; ++s) {
      if (live_max == 0 || live_r[static_cast<std::size_t>(s)] != live_max) continue;
      svg += format("<rect x=\"%.2f\" y=\"%g\" width=\"%.2f\" height=\"4\" fill=\"%s\"/>\n", px(s),
                    bottom + 1, px(s + 1) - px(s), kPeakColor);
    }
    // The buffers.
    for (std::size_t b = 0; b < count; ++b) {
      if (!occupies(b) || region_of(b) != r) continue;
      const engine::PlannerBuffer& buffer = plan.buffers.buffers[b];
      const BufferKind kind = buffer_kind(graph, plan.buffers, b);
      const double offset = static_cast<double>(plan.plan.offsets[b]);
      const double y0 = py(offset + static_cast<double>(buffer.size)), y1 = py(offset);
      const double h = std::max(2.0, y1 - y0);
      const double x0 = px(std::max(0, buffer.first_use)),
                   x1 = px(std::min(steps - 1, buffer.last_use) + 1);
      svg += format(
          "<rect class=\"buffer\" data-kind=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
          "height=\"%.2f\" fill=\"%s\" stroke=\"white\" stroke-width=\"0.6\">",
          kKinds[static_cast<int>(kind)].name, x0, y1 - h, std::max(0.5, x1 - x0), h,
          kKinds[static_cast<int>(kind)].fill);
      svg +=
          "<title>" + scaling::xml_escape(buffer_tip(graph, plan, b, kind)) + "</title></rect>\n";
    }
    // Bytes live at each step, as a step line.
    if (!live_r.empty()) {
      svg +=
          "<polyline class=\"live\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\" "
          "points=\"";
      for (int s = 0; s < steps; ++s) {
        const double y = py(static_cast<double>(live_r[static_cast<std::size_t>(s)]));
        svg += format("%s%.2f,%.2f %.2f,%.2f", s ? " " : "", px(s), y, px(s + 1), y);
      }
      svg += "\"/>\n";
    }
    // The region's room for buffers.
    {
      if (room >= 0) {
        const double room_y = py(static_cast<double>(room));
        svg += format(
            "<line class=\"room\" x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" stroke=\"%s\" "
            "stroke-width=\"1.5\" stroke-dasharray=\"2 2\"/>\n",
            kLeft, room_y, kLeft + kPlotW, room_y, kRoomColor);
        svg += format(
            "<text x=\"%g\" y=\"%.2f\" fill=\"%s\" stroke=\"white\" stroke-width=\"3\" "
            "paint-order=\"stroke\">room %s B%s</text>\n",
            kLeft + 4, room_y - 5, kRoomColor, group_digits(room).c_str(),
            room < peak ? ": the buffers do not fit" : "");
      }
    }
    // The peak line, labelled at its right end.
    const double peak_y = py(static_cast<double>(peak));
    svg += format(
        "<line class=\"peak\" x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" stroke=\"%s\" "
        "stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\n",
        kLeft, peak_y, kLeft + kPlotW, peak_y, kPeakColor);
    svg += format(
        "<text x=\"%g\" y=\"%.2f\" text-anchor=\"end\" fill=\"%s\" font-weight=\"bold\" "
        "stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">peak %s B</text>\n",
        kLeft + kPlotW - 4, peak_y - 5, kPeakColor, group_digits(peak).c_str());
    svg += format(
        "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
        "stroke=\"#333333\"/>\n",
        kLeft, band_top, kPlotW, band_h);
    svg += "</g>\n";
  }
  // The step axis under the last band: op names, or index ticks.
  {
    const double bottom = next_band_top - band_gap;
    svg += "<g fill=\"#333333\" font-size=\"10\">";
    if (name_steps) {
      for (int s = 0; s < steps; ++s) {
        const double x = (px(s) + px(s + 1)) / 2;
        if (s >= static_cast<int>(graph.nodes.size())) break;  // a graph without nodes
        const std::string text =
            std::to_string(s) + " " + core::op_name(graph.nodes[static_cast<std::size_t>(s)].op);
        svg += format(
            "<text x=\"%.2f\" y=\"%g\" text-anchor=\"end\" "
            "transform=\"rotate(-60 %.2f %g)\">%s</text>",
            x + 3, bottom + 12, x + 3, bottom + 12, scaling::xml_escape(text).c_str());
      }
    } else {
      const int every = steps <= 120 ? 10 : steps <= 300 ? 25 : 50;
      for (int s = 0; s < steps; s += every) {
        const double x = (px(s) + px(s + 1)) / 2;
        svg += format("<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" stroke=\"#333333\"/>", x,
                      bottom, x, bottom + 5);
        svg += format("<text x=\"%.2f\" y=\"%g\" text-anchor=\"middle\" font-size=\"11\">%d</text>",
                      x, bottom + 18, s);
      }
    }
    svg += "</g>\n";
    svg += format("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n",
                  kLeft + kPlotW / 2, bottom + axis_labels_h,
                  name_steps ? "node step (deployed graph; hover a column for its node)"
                             : "node step (deployed graph; hover a column for its op and node)");
  }
  const double mid = kTop + (height - kTop - axis_labels_h - 34) / 2;
  svg += format(
      "<text x=\"16\" y=\"%g\" text-anchor=\"middle\" font-size=\"13\" "
      "transform=\"rotate(-90 16 %g)\">arena offset (KiB)</text>\n",
      mid, mid);
  return svg + "</svg>\n";
}

void add_region_labels(const std::optional<scaling::Budgets>& budgets, MemorySvgOptions* options) {
  if (!budgets) return;
  options->region_capacities = scaling::region_capacities(*budgets);
  if (budgets->ram_regions.empty()) return;
  if (budgets->arena_regions == scaling::ArenaRegions::single) {
    options->region_names = {
        budgets->ram_regions[static_cast<std::size_t>(budgets->ram_region)].name};
    return;
  }
  for (const scaling::RamRegionBudget& r : budgets->ram_regions)
    options->region_names.push_back(r.name);
}

DeployedPlan plan_like_costmodel(const core::Graph& graph, const costmodel::CostOptions& options,
                                 const costmodel::CostReport& report) {
  // As costmodel::analyze: a graph with float activations is lowered as a converter deploys it.
  bool float_activations = false;
  for (const core::Tensor& t : graph.tensors) {
    float_activations = float_activations || (!t.is_constant && t.dtype == core::DType::float32);
  }
  DeployedPlan d{float_activations ? core::lower_for_deployment(graph) : graph, {}, 0, {}};
  if (report.patch.enabled()) {
    core::PatchedGraph p = core::apply_patches(d.graph, report.patch);
    d.graph = std::move(p.graph);
    d.step_patch = std::move(p.patch);
  }
  const engine::RamBreakdown ram = engine::ram_breakdown(d.graph, 0, core::DType::int8);
  d.fixed_bytes = options.runtime == costmodel::Runtime::tinyscale
                      ? report.tinyscale.stack_bytes
                      : ram.kernel_state + ram.runtime_structures;
  d.plan = engine::plan_arena(d.graph, {.algorithm = options.planner,
                                        .region_capacities = options.ram_region_capacities,
                                        .home_region_fixed_bytes = d.fixed_bytes});
  return d;
}

void check_memory_svg_path(const std::string& path, const std::string& model_path) {
  if (path.empty()) return;
  std::vector<InputPath> inputs;
  if (!model_path.empty()) inputs.push_back({"the model", model_path});
  check_output_paths(
      inputs,
      {{.option = "--memory-svg", .path = path, .extensions = {".svg"}, .kind = "an SVG picture"}});
}

void write_memory_svg(const std::string& path, const std::string& svg) {
  core::write_file_atomically(path, svg);
}

}  // namespace tinyscale::cli
