#include "scaling/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace tinyscale::scaling {

std::vector<SweepRow> sweep_boards(const BoardDatabase& db,
                                   const std::vector<std::string>& board_names,
                                   const std::vector<Family>& families, const SolveRequest& base,
                                   const SweepProgress& progress) {
  if (families.empty()) throw Error("sweep: no family to solve for (give phinet, xinet or both)");
  // Resolve every name first, so a typo fails before minutes of solving.
  std::vector<Board> boards;
  if (board_names.empty()) {
    boards = db.boards();
  } else {
    for (const std::string& name : board_names) {
      const Board& b = db.find(name);
      const bool seen = std::any_of(boards.begin(), boards.end(),
                                    [&](const Board& other) { return other.name == b.name; });
      if (!seen) boards.push_back(b);
    }
  }
  std::vector<SweepRow> rows;
  const int total = static_cast<int>(boards.size() * families.size());
  for (const Board& board : boards) {
    const Budgets budgets = budgets_for_board(board);
    for (Family family : families) {
      SweepRow row;
      row.board = board.name;
      row.family = family;
      SolveRequest request = base;
      request.family = family;
      request.budgets = budgets;
      try {
        row.solution = solve(request);
      } catch (const InfeasibleError& e) {
        row.error = e.what();
      }
      rows.push_back(std::move(row));
      if (progress) {
        progress(static_cast<int>(rows.size()), total, board.name + " " + family_name(family));
      }
    }
  }
  return rows;
}

std::vector<ParetoPoint> pareto_front(const SolveRequest& base, std::int64_t ram_min,
                                      std::int64_t ram_max, int points,
                                      const SweepProgress& progress) {
  if (ram_min <= 0 || ram_max < ram_min) {
    throw Error("pareto front: the RAM range " + std::to_string(ram_min) + ".." +
                std::to_string(ram_max) + " bytes must satisfy 0 < min ≤ max");
  }
  if (points < 2) {
    throw Error("pareto front: need at least 2 points, found " + std::to_string(points));
  }
  if (base.budgets.flash_bytes <= 0) {
    throw Error("pareto front: the FLASH budget must be positive, found " +
                std::to_string(base.budgets.flash_bytes) + " bytes");
  }
  std::vector<std::int64_t> budgets;
  const double ratio = static_cast<double>(ram_max) / static_cast<double>(ram_min);
  for (int i = 0; i < points; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(points - 1);
    std::int64_t budget =
        static_cast<std::int64_t>(std::llround(static_cast<double>(ram_min) * std::pow(ratio, t)));
    budget = std::clamp(budget, ram_min, ram_max);  // the ends exactly, despite rounding
    if (budgets.empty() || budget != budgets.back()) budgets.push_back(budget);
  }

  std::vector<ParetoPoint> solved;
  int done = 0;
  for (std::int64_t budget : budgets) {
    SolveRequest request = base;
    request.budgets.ram_bytes = budget;
    request.budgets.macs.reset();
    request.budgets.latency_ms.reset();
    request.objective = Objective{.kind = ObjectiveKind::max_macs};
    try {
      solved.push_back({budget, solve(request)});
    } catch (const InfeasibleError&) {
      // below the smallest network's arena: not on the front
    }
    if (progress) {
      progress(++done, static_cast<int>(budgets.size()), "RAM " + format_size(budget));
    }
  }

  // Sorted by RAM used, most MACs first among equals, then the smaller budget: a point is
  // on the front exactly when it has more MACs than every point before it.
  std::sort(solved.begin(), solved.end(), [](const ParetoPoint& a, const ParetoPoint& b) {
    if (a.solution.cost.ram_bytes != b.solution.cost.ram_bytes)
      return a.solution.cost.ram_bytes < b.solution.cost.ram_bytes;
    if (a.solution.cost.macs != b.solution.cost.macs)
      return a.solution.cost.macs > b.solution.cost.macs;
    return a.ram_budget < b.ram_budget;
  });
  std::vector<ParetoPoint> front;
  for (ParetoPoint& p : solved) {
    if (front.empty() || p.solution.cost.macs > front.back().solution.cost.macs)
      front.push_back(std::move(p));
  }
  return front;
}

namespace {

std::string format(const char* spec, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

std::string input_text(const std::array<std::int64_t, 3>& chw) {
  return std::to_string(chw[0]) + "x" + std::to_string(chw[1]) + "x" + std::to_string(chw[2]);
}

// The solution's columns, from family to command, already CSV-quoted.
std::string solution_fields(Family family, const Solution* s) {
  std::string line = csv_field(family_name(family));
  auto add = [&](const std::string& field) { line += "," + csv_field(field); };
  if (!s) {
    for (int i = 0; i < 16; ++i) add("");
    return line;
  }
  const bool phinet = s->family == Family::phinet;
  add(format("%.6g", s->alpha));
  add(format("%.6g", s->beta));
  add(phinet ? format("%.6g", s->t0) : "");
  add(phinet ? "" : std::to_string(s->gamma));
  add(std::to_string(s->num_layers));
  add(input_text(s->input));
  add(std::to_string(s->cost.params));
  add(std::to_string(s->cost.macs));
  add(std::to_string(s->cost.flash_bytes));
  add(std::to_string(s->cost.ram_bytes));
  add(format("%.6g", s->utilization.flash));
  add(format("%.6g", s->utilization.ram));
  add(s->utilization.macs ? format("%.6g", *s->utilization.macs) : "");
  add(s->latency_ms ? format("%.3f", *s->latency_ms) : "");
  add(s->binding);
  add(s->command);
  return line;
}

constexpr const char* kSolutionHeader =
    "family,alpha,beta,t0,gamma,num_layers,input,params,macs,flash_bytes,ram_bytes,"
    "flash_utilization,ram_utilization,macs_utilization,latency_ms,binding,command";

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string sweep_csv(const std::vector<SweepRow>& rows) {
  std::string csv = std::string("board,") + kSolutionHeader + ",error\n";
  for (const SweepRow& row : rows) {
    csv += csv_field(row.board) + "," +
           solution_fields(row.family, row.solution ? &*row.solution : nullptr) + "," +
           csv_field(row.error) + "\n";
  }
  return csv;
}

std::string pareto_csv(const std::vector<ParetoPoint>& front) {
  std::string csv = std::string("ram_budget_bytes,") + kSolutionHeader + "\n";
  for (const ParetoPoint& p : front) {
    csv +=
        std::to_string(p.ram_budget) + "," + solution_fields(p.solution.family, &p.solution) + "\n";
  }
  return csv;
}

namespace {

// An axis over [lo, hi] widened to round tick values: 1, 2 or 5 × 10^k apart, 4 to 10 ticks.
struct Axis {
  double lo = 0.0, hi = 1.0, step = 0.2;
};

Axis nice_axis(double data_lo, double data_hi) {
  if (!(data_hi > data_lo)) {
    const double pad = data_lo != 0.0 ? std::abs(data_lo) * 0.1 : 1.0;
    data_lo -= pad;
    data_hi += pad;
  }
  const double margin = 0.04 * (data_hi - data_lo);  // markers off the frame
  data_lo = std::max(0.0, data_lo - margin);
  data_hi += margin;
  const double raw = (data_hi - data_lo) / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  const double step = (normalized < 1.5   ? 1.0
                       : normalized < 3.0 ? 2.0
                       : normalized < 7.0 ? 5.0
                                          : 10.0) *
                      magnitude;
  return {std::floor(data_lo / step) * step, std::ceil(data_hi / step) * step, step};
}

void append(std::string* svg, const char* spec, auto... values) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, spec, values...);
  *svg += buffer;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string pareto_svg(const std::vector<ParetoPoint>& front, const std::string& title) {
  constexpr double kWidth = 800, kHeight = 520;
  constexpr double kLeft = 90, kRight = 30, kTop = 50, kBottom = 70;
  constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

  auto kib = [](const ParetoPoint& p) {
    return static_cast<double>(p.solution.cost.ram_bytes) / 1024.0;
  };
  auto mmacs = [](const ParetoPoint& p) { return static_cast<double>(p.solution.cost.macs) / 1e6; };
  Axis x, y;
  if (!front.empty()) {
    double x_lo = kib(front[0]), x_hi = x_lo, y_lo = mmacs(front[0]), y_hi = y_lo;
    for (const ParetoPoint& p : front) {
      x_lo = std::min(x_lo, kib(p));
      x_hi = std::max(x_hi, kib(p));
      y_lo = std::min(y_lo, mmacs(p));
      y_hi = std::max(y_hi, mmacs(p));
    }
    x = nice_axis(x_lo, x_hi);
    y = nice_axis(y_lo, y_hi);
  }
  auto px = [&](double v) { return kLeft + (v - x.lo) / (x.hi - x.lo) * kPlotW; };
  auto py = [&](double v) { return kTop + kPlotH - (v - y.lo) / (y.hi - y.lo) * kPlotH; };

  std::string svg;
  append(&svg,
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
         "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"12\">\n",
         kWidth, kHeight, kWidth, kHeight);
  svg += "<title>" + xml_escape(title) + "</title>\n";
  append(&svg, "<rect x=\"0\" y=\"0\" width=\"%g\" height=\"%g\" fill=\"white\"/>\n", kWidth,
         kHeight);
  svg += "<text x=\"" + format("%g", kWidth / 2) +
         "\" y=\"28\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">" +
         xml_escape(title) + "</text>\n";

  // Grid and tick labels.
  svg += "<g stroke=\"#dddddd\" stroke-width=\"1\">\n";
  const int x_ticks = static_cast<int>(std::lround((x.hi - x.lo) / x.step));
  const int y_ticks = static_cast<int>(std::lround((y.hi - y.lo) / y.step));
  for (int i = 0; i <= x_ticks; ++i) {
    const double v = px(x.lo + i * x.step);
    append(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", v, kTop, v,
           kTop + kPlotH);
  }
  for (int i = 0; i <= y_ticks; ++i) {
    const double v = py(y.lo + i * y.step);
    append(&svg, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", kLeft, v,
           kLeft + kPlotW, v);
  }
  svg += "</g>\n<g fill=\"#333333\">\n";
  for (int i = 0; i <= x_ticks; ++i) {
    const double value = x.lo + i * x.step;
    append(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", px(value),
           kTop + kPlotH + 18, std::abs(value) < 1e-9 * x.step ? 0.0 : value);
  }
  for (int i = 0; i <= y_ticks; ++i) {
    const double value = y.lo + i * y.step;
    append(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", kLeft - 8,
           py(value) + 4, std::abs(value) < 1e-9 * y.step ? 0.0 : value);
  }
  svg += "</g>\n";
  append(&svg,
         "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#333333\"/>\n",
         kLeft, kTop, kPlotW, kPlotH);

  // Axis titles.
  append(&svg, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" font-size=\"14\">%s</text>\n",
         kLeft + kPlotW / 2, kHeight - 20, "RAM used (KiB)");
  append(&svg,
         "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" font-size=\"14\" "
         "transform=\"rotate(-90 %g %g)\">%s</text>\n",
         24.0, kTop + kPlotH / 2, 24.0, kTop + kPlotH / 2, "MACs (millions)");

  if (front.empty()) {
    append(&svg, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" font-size=\"14\">%s</text>\n",
           kLeft + kPlotW / 2, kTop + kPlotH / 2, "no network fits any RAM budget of the range");
    return svg + "</svg>\n";
  }

  svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  for (std::size_t i = 0; i < front.size(); ++i) {
    append(&svg, "%s%.1f,%.1f", i ? " " : "", px(kib(front[i])), py(mmacs(front[i])));
  }
  svg += "\"/>\n<g fill=\"#1f77b4\" stroke=\"white\" stroke-width=\"1\">\n";
  for (const ParetoPoint& p : front) {
    const Solution& s = p.solution;
    const bool phinet = s.family == Family::phinet;
    std::string tip =
        std::string(phinet ? "PhiNet" : "XiNet") + ": alpha " + format("%.4g", s.alpha) +
        ", beta " + format("%.4g", s.beta) +
        (phinet ? ", t0 " + format("%.4g", s.t0) : ", gamma " + std::to_string(s.gamma)) + ", " +
        std::to_string(s.num_layers) + " layers\nRAM " + format_size(s.cost.ram_bytes) +
        " (budget " + format_size(p.ram_budget) + ")\nMACs " +
        format("%.4g", static_cast<double>(s.cost.macs) / 1e6) + " M, FLASH " +
        format_size(s.cost.flash_bytes) + ", params " + std::to_string(s.cost.params);
    append(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\">", px(kib(p)), py(mmacs(p)));
    svg += "<title>" + xml_escape(tip) + "</title></circle>\n";
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

}  // namespace tinyscale::scaling
