#include "scaling/solver.h"

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlopt.hpp>
#include <tuple>

#include "costmodel/latency.h"
#include "nets/config_checks.h"

namespace tinyscale::scaling {
namespace {

// The cost model's options for the search and the solution: the request's runtime, the
// board's core for the tinyscale kernel table, the RAM regions.
costmodel::CostOptions cost_options(const SolveRequest& request,
                                    std::span<const std::int64_t> capacities) {
  return {.tflite_file_bytes = request.tflite_file_bytes,
          .tflite_layout = request.tflite_layout,
          .tflite_layout_moved = request.tflite_layout_moved,
          .tflm_kernels = request.tflm_kernels,
          .per_layer = false,
          .compare_greedy = false,
          .ram_region_capacities = capacities,
          .runtime = request.runtime,
          .generated_code_size = request.generated_code_size,
          .tinyscale_core = request.budgets.core == "cortex-m4" ? engine::DeviceCore::cortex_m4
                                                                : engine::DeviceCore::cortex_m7,
          .patch = request.patch};
}

// ---------------------------------------------------------------------------------------
// The exact model at one point: build the network shape-only and cost it.

struct Costs {
  bool valid = false;  // false: the network cannot be built (too narrow for its layers)
  double flash = 0, ram = 0, macs = 0, params = 0;
  double latency = 0;    // ms, costmodel::estimate_latency_ms; 0 when the core is not known
  bool ram_fits = true;  // a split arena's placement fits every RAM region
};

// The RAM regions the model must fit, placed by the same engine::plan_arena as `run`: every
// region of the board when the arena may be split (--arena-regions auto), else the one
// region a single arena goes to (the check is then ram <= ram_bytes).
std::vector<std::int64_t> ram_capacities(const Budgets& b) { return region_capacities(b); }

// A shape is (β, s) with s = t0 (PhiNet) or γ (XiNet, integer valued).
struct Point {
  double alpha = 0, beta = 0, s = 0;
};

class ExactModel {
 public:
  ExactModel(const SolveRequest& request, int layers, const std::array<std::int64_t, 3>& input)
      : request_(request), layers_(layers), input_(input) {
    // The latency estimate needs a known core; it is checked here, outside evaluate(),
    // so an unknown core is an error rather than a network that "cannot be built".
    const Budgets& b = request.budgets;
    estimate_latency_ = !b.core.empty() && b.mhz > 0;
    if (estimate_latency_) costmodel::cycle_costs(b.core);
    capacities_ = ram_capacities(b);
  }

  core::Graph build(const Point& p) const {
    switch (request_.family) {
      case Family::phinet:
        return nets::build_phinet(phinet_config(p));
      case Family::xinet:
        return nets::build_xinet(xinet_config(p));
      case Family::yolo_phinet:
      case Family::yolo_xinet:
        break;
    }
    return nets::build_yolo(yolo_config(p));
  }

  bool yolo() const {
    return request_.family == Family::yolo_phinet || request_.family == Family::yolo_xinet;
  }

  nets::YoloConfig yolo_config(const Point& p) const {
    nets::YoloConfig c = request_.yolo_base;
    c.input = input_;
    if (request_.family == Family::yolo_phinet) {
      c.backbone = nets::YoloBackbone::phinet;
      c.phinet = phinet_config(p);
    } else {
      c.backbone = nets::YoloBackbone::xinet;
      c.xinet = xinet_config(p);
    }
    return c;
  }

  nets::PhiNetConfig phinet_config(const Point& p) const {
    nets::PhiNetConfig c = yolo() ? request_.yolo_base.phinet : request_.phinet_base;
    c.input = input_;
    c.num_layers = layers_;
    c.alpha = p.alpha;
    c.beta = p.beta;
    c.t_zero = p.s;
    c.include_top = request_.num_classes.has_value();
    if (request_.num_classes) c.num_classes = *request_.num_classes;
    return c;
  }

  nets::XiNetConfig xinet_config(const Point& p) const {
    nets::XiNetConfig c = yolo() ? request_.yolo_base.xinet : request_.xinet_base;
    c.input = input_;
    c.num_layers = layers_;
    c.alpha = p.alpha;
    c.beta = p.beta;
    c.gamma = p.s;
    c.include_top = request_.num_classes.has_value();
    if (request_.num_classes) c.num_classes = *request_.num_classes;
    return c;
  }

  const Costs& evaluate(const Point& p) {
    const auto key = std::make_tuple(p.alpha, p.beta, p.s);
    const auto found = cache_.find(key);
    if (found != cache_.end()) return found->second;
    Costs c;
    try {
      core::Graph graph = build(p);
      // Nearby points often round to the same channel counts: the same network, whose exact
      // costs are known already (the fingerprint covers everything the cost depends on).
      const core::Fingerprint fingerprint = core::structural_fingerprint(graph);
      const auto same = by_structure_.find(fingerprint);
      if (same != by_structure_.end()) {
        c = same->second;
      } else {
        costmodel::CostOptions options = cost_options(request_, capacities_);
        options.figures_only = true;  // the figures read below, nothing more
        const costmodel::CostReport r = costmodel::analyze(std::move(graph), options);
        c = {true, static_cast<double>(r.flash_bytes), static_cast<double>(r.ram_bytes),
             static_cast<double>(r.macs), static_cast<double>(r.params)};
        c.ram_fits = r.ram_fits;
        if (estimate_latency_) {
          c.latency = costmodel::estimate_latency_ms(r.compute, request_.budgets.core,
                                                     request_.budgets.mhz);
        }
        by_structure_.emplace(fingerprint, c);
        ++distinct_networks_;
      }
    } catch (const Error&) {
      c.valid = false;  // e.g. XiNet's attention width rounds to zero at this α
    }
    ++evaluations_;
    return cache_.emplace(key, c).first->second;
  }

  int evaluations() const { return evaluations_; }
  int distinct_networks() const { return distinct_networks_; }
  int layers() const { return layers_; }
  // Every valid point evaluated so far, for refitting the surrogate.
  void valid_points(std::vector<Point>* points, std::vector<Costs>* costs) const {
    points->clear();
    costs->clear();
    for (const auto& [key, c] : cache_) {
      if (!c.valid) continue;
      points->push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
      costs->push_back(c);
    }
  }
  const std::array<std::int64_t, 3>& input() const { return input_; }

 private:
  const SolveRequest& request_;
  int layers_;
  std::array<std::int64_t, 3> input_;
  std::map<std::tuple<double, double, double>, Costs> cache_;
  std::map<core::Fingerprint, Costs> by_structure_;
  int evaluations_ = 0;
  int distinct_networks_ = 0;
  bool estimate_latency_ = false;
  std::vector<std::int64_t> capacities_;
};

// ---------------------------------------------------------------------------------------
// Objective and feasibility, shared by the exact model and the surrogate.

struct Scorer {
  const Budgets& budgets;
  const Objective& objective;

  bool feasible(const Costs& c) const {
    return c.valid && c.flash <= static_cast<double>(budgets.flash_bytes) &&
           c.ram <= static_cast<double>(budgets.ram_bytes) && c.ram_fits &&
           (!budgets.macs || c.macs <= static_cast<double>(*budgets.macs)) &&
           (!budgets.latency_ms || c.latency <= *budgets.latency_ms);
  }

  Utilization utilization(const Costs& c) const {
    Utilization u;
    u.flash = c.flash / static_cast<double>(budgets.flash_bytes);
    u.ram = c.ram / static_cast<double>(budgets.ram_bytes);
    if (budgets.macs) u.macs = c.macs / static_cast<double>(*budgets.macs);
    if (budgets.latency_ms) u.latency = c.latency / *budgets.latency_ms;
    return u;
  }

  double value(const Costs& c) const {
    const Utilization u = utilization(c);
    constexpr double kNone = std::numeric_limits<double>::infinity();
    switch (objective.kind) {
      case ObjectiveKind::balanced:
        return std::min({u.flash, u.ram, u.macs.value_or(kNone), u.latency.value_or(kNone)});
      case ObjectiveKind::max_macs:
        return c.macs;
      case ObjectiveKind::max_params:
        return c.params;
      case ObjectiveKind::weighted:
        // w_macs weights the compute budget: the fuller of the MAC budget and the latency
        // target when both are given.
        return objective.w_flash * u.flash + objective.w_ram * u.ram +
               objective.w_macs * std::max(u.macs.value_or(0.0), u.latency.value_or(0.0));
    }
    return 0.0;
  }

  // Strictly better; balanced ties (within 1e-4) go to more MACs.
  bool better(const Costs& a, const Costs& b) const {
    if (!feasible(a)) return false;
    if (!feasible(b)) return true;
    const double va = value(a), vb = value(b);
    if (objective.kind == ObjectiveKind::balanced && std::fabs(va - vb) <= 1e-4)
      return a.macs > b.macs;
    return va > vb;
  }
};

// ---------------------------------------------------------------------------------------
// The surrogate: ln cost ≈ quadratic in (ln α, ln β, ln s), fitted by least squares.

constexpr int kFeatures = 10;

Eigen::Matrix<double, kFeatures, 1> features(double alpha, double beta, double s) {
  const double a = std::log(alpha), b = std::log(beta), t = std::log(s);
  Eigen::Matrix<double, kFeatures, 1> f;
  f << 1.0, a, b, t, a * a, b * b, t * t, a * b, a * t, b * t;
  return f;
}

struct Surrogate {
  // flash, ram, macs, params, latency
  std::array<Eigen::Matrix<double, kFeatures, 1>, 5> coefficients;

  Costs predict(double alpha, double beta, double s) const {
    const auto f = features(alpha, beta, s);
    Costs c;
    c.valid = true;
    c.flash = std::exp(coefficients[0].dot(f));
    c.ram = std::exp(coefficients[1].dot(f));
    c.macs = std::exp(coefficients[2].dot(f));
    c.params = std::exp(coefficients[3].dot(f));
    c.latency = std::exp(coefficients[4].dot(f));
    return c;
  }
};

Surrogate fit_surrogate(const std::vector<Point>& points, const std::vector<Costs>& costs) {
  const auto n = static_cast<Eigen::Index>(points.size());
  Eigen::MatrixXd design(n, kFeatures);
  Eigen::MatrixXd targets(n, 5);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Point& p = points[static_cast<std::size_t>(i)];
    const Costs& c = costs[static_cast<std::size_t>(i)];
    design.row(i) = features(p.alpha, p.beta, p.s).transpose();
    targets.row(i) << std::log(c.flash), std::log(c.ram), std::log(std::max(c.macs, 1.0)),
        std::log(std::max(c.params, 1.0)), std::log(std::max(c.latency, 1e-9));
  }
  // A little ridge keeps the fit defined when a variable is pinned (e.g. a one-value γ range).
  const Eigen::MatrixXd normal =
      design.transpose() * design + 1e-8 * Eigen::MatrixXd::Identity(kFeatures, kFeatures);
  const Eigen::MatrixXd solution = normal.ldlt().solve(design.transpose() * targets);
  Surrogate s;
  for (int k = 0; k < 5; ++k) s.coefficients[static_cast<std::size_t>(k)] = solution.col(k);
  return s;
}

// ---------------------------------------------------------------------------------------
// The search for one depth and input size.

struct Candidate {
  Point point;
  Costs costs;
};

class DepthSearch {
 public:
  DepthSearch(const SolveRequest& request, ExactModel& model)
      : request_(request), model_(model), scorer_{request.budgets, request.objective} {}

  bool is_xinet() const { return !family_uses_t0(request_.family); }
  double s_min() const { return is_xinet() ? request_.space.gamma_min : request_.space.t0_min; }
  double s_max() const { return is_xinet() ? request_.space.gamma_max : request_.space.t0_max; }
  double clamp_s(double s) const {
    s = std::clamp(s, s_min(), s_max());
    return is_xinet() ? std::round(s) : s;
  }

  // The largest α at which the shape (β, s) is exactly feasible, starting near `hint`.
  // Below the valid range the network cannot be built (too narrow); above the feasible
  // range it exceeds a budget; in between every cost grows with α.
  std::optional<Candidate> max_alpha(double beta, double s, double hint, double tolerance = 1.001) {
    const double lo_limit = request_.space.alpha_min, hi_limit = request_.space.alpha_max;
    enum class State { too_small, feasible, too_big };
    Costs last;
    auto state = [&](double alpha) {
      last = model_.evaluate({alpha, beta, s});
      if (!last.valid) return State::too_small;
      return scorer_.feasible(last) ? State::feasible : State::too_big;
    };
    // Bracket [feasible_alpha, infeasible_alpha] from the hint with a step that doubles in
    // log space (4%, 8%, 17%, ...): a good hint costs two or three evaluations.
    double a = std::clamp(hint, lo_limit, hi_limit);
    State st = state(a);
    double feasible_alpha = -1, infeasible_alpha = -1;
    Costs best;
    double step = 1.04;
    if (st == State::too_small) {
      while (st == State::too_small) {  // too narrow to build: widen until it builds
        if (a >= hi_limit) return std::nullopt;
        a = std::min(hi_limit, a * step);
        step *= step;
        st = state(a);
      }
      step = 1.04;
    }
    if (st == State::feasible) {
      feasible_alpha = a;
      best = last;
      while (infeasible_alpha < 0) {
        if (feasible_alpha >= hi_limit) return Candidate{{feasible_alpha, beta, s}, best};
        a = std::min(hi_limit, feasible_alpha * step);
        step *= step;
        st = state(a);
        if (st == State::feasible) {
          feasible_alpha = a;
          best = last;
        } else {
          infeasible_alpha = a;  // too_small cannot follow a feasible α
        }
      }
    } else {
      infeasible_alpha = a;
      while (feasible_alpha < 0) {
        if (infeasible_alpha <= lo_limit) return std::nullopt;
        a = std::max(lo_limit, infeasible_alpha / step);
        step *= step;
        st = state(a);
        if (st == State::feasible) {
          feasible_alpha = a;
          best = last;
        } else if (st == State::too_small) {
          return std::nullopt;  // nothing between "too narrow to build" and "too big"
        } else {
          infeasible_alpha = a;
        }
      }
    }
    // Bisection in log space down to the tolerance (a ratio of α).
    while (infeasible_alpha / feasible_alpha > tolerance) {
      const double mid = std::sqrt(feasible_alpha * infeasible_alpha);
      if (state(mid) == State::feasible) {
        feasible_alpha = mid;
        best = last;
      } else {
        infeasible_alpha = mid;
      }
    }
    return Candidate{{feasible_alpha, beta, s}, best};
  }

  std::optional<Candidate> run() {
    const SearchSpace& box = request_.space;
    const double beta_mid = std::clamp(1.0, box.beta_min, box.beta_max);
    const double s_mid = clamp_s(std::sqrt(s_min() * s_max()));

    // Where does the feasible boundary sit? One exact α search at the centre of the box.
    std::optional<Candidate> centre = max_alpha(beta_mid, s_mid, 0.5);
    if (!centre) {
      // Perhaps only small shapes fit: try the smallest one before giving up.
      centre = max_alpha(box.beta_min, is_xinet() ? s_max() : s_min(), box.alpha_min);
      if (!centre) return std::nullopt;
    }
    std::optional<Candidate> best = centre;

    // Stage 1: sample around the boundary and fit the surrogate.
    std::vector<Point> points;
    std::vector<Costs> costs;
    const double a0 = centre->point.alpha;
    for (double fa : {0.7, 1.0, 1.4}) {
      for (double b : {box.beta_min, beta_mid, box.beta_max}) {
        for (double s : {s_min(), s_mid, s_max()}) {
          const Point p{std::clamp(a0 * fa, box.alpha_min, box.alpha_max), b, clamp_s(s)};
          const Costs& c = model_.evaluate(p);
          if (!c.valid) continue;
          points.push_back(p);
          costs.push_back(c);
          consider(best, Candidate{p, c});
        }
      }
    }
    std::vector<Point> shapes;
    if (points.size() >= static_cast<std::size_t>(kFeatures) + 2) {
      surrogate_ = fit_surrogate(points, costs);
      shapes = surrogate_candidates(*surrogate_, a0);
    } else {
      shapes.push_back(centre->point);
    }

    // Stage 3: exact α for each candidate shape, then a pattern search from the two best
    // distinct ones (the exact landscape is rugged: one start can stop on a lesser ridge).
    std::vector<Candidate> exact;
    for (const Point& shape : shapes) {
      const std::optional<Candidate> c =
          max_alpha(shape.beta, clamp_s(shape.s), shape.alpha, kProbeTolerance);
      if (c) exact.push_back(*c);
    }
    // Refit on every exact point so far (the candidates' α searches sampled the boundary
    // where the optimum lies) and try the refit's best shapes too.
    model_.valid_points(&points, &costs);
    if (surrogate_ && points.size() >= static_cast<std::size_t>(kFeatures) + 2) {
      surrogate_ = fit_surrogate(points, costs);
      std::vector<Point> second = surrogate_candidates(*surrogate_, a0);
      second.resize(std::min<std::size_t>(second.size(), 2));
      for (const Point& shape : second) {
        const std::optional<Candidate> c =
            max_alpha(shape.beta, clamp_s(shape.s), shape.alpha, kProbeTolerance);
        if (c) exact.push_back(*c);
      }
    }
    // A coarse exact grid of shapes, corners included: where α is small the widths move in
    // steps of 20% and more, the surrogate cannot see such a landscape, and a broad look
    // is what finds the right region.
    for (int i = 0; i < 4; ++i) {
      const double beta = box.beta_min + (box.beta_max - box.beta_min) * i / 3.0;
      for (int j = 0; j < 4; ++j) {
        const double s = clamp_s(s_min() + (s_max() - s_min()) * j / 3.0);
        const double hint = surrogate_ ? surrogate_alpha(*surrogate_, beta, s) : a0;
        const std::optional<Candidate> c = max_alpha(beta, s, hint, kProbeTolerance);
        if (c) exact.push_back(*c);
      }
    }
    if (best) exact.push_back(*best);
    std::sort(exact.begin(), exact.end(), [&](const Candidate& a, const Candidate& b) {
      return scorer_.better(a.costs, b.costs);
    });
    std::vector<Candidate> starts;
    for (const Candidate& c : exact) {
      bool distinct = true;
      for (const Candidate& q : starts) {
        distinct = distinct &&
                   (std::fabs(c.point.beta - q.point.beta) > 0.05 * (box.beta_max - box.beta_min) ||
                    std::fabs(c.point.s - q.point.s) > 0.05 * (s_max() - s_min()));
      }
      if (distinct) starts.push_back(c);
      if (starts.size() == 2) break;
    }
    // Budgets keep a solve near 200-300 exact evaluations: most of the gain comes early.
    int budget = 150;
    for (const Candidate& start : starts) {
      std::optional<Candidate> local = start;
      pattern_search(local, budget);
      consider(best, local);
      budget = 60;
    }
    // The probes stopped at 0.5% of α; finish the winner to 0.1%.
    if (best) consider(best, max_alpha(best->point.beta, best->point.s, best->point.alpha));
    return best;
  }

  // Brute force: every shape of a grid, each with its largest exactly-feasible α.
  std::optional<Candidate> grid(int beta_points, int s_points) {
    const SearchSpace& box = request_.space;
    const int s_count =
        is_xinet() && s_points <= 0 ? static_cast<int>(s_max() - s_min()) + 1 : s_points;
    std::optional<Candidate> best;
    double hint = 0.5;
    for (int i = 0; i < beta_points; ++i) {
      const double beta =
          beta_points == 1 ? box.beta_min
                           : box.beta_min + (box.beta_max - box.beta_min) * i / (beta_points - 1);
      for (int j = 0; j < s_count; ++j) {
        const double s =
            s_count == 1 ? s_min() : clamp_s(s_min() + (s_max() - s_min()) * j / (s_count - 1));
        const std::optional<Candidate> c = max_alpha(beta, s, hint);
        if (c) hint = c->point.alpha;
        consider(best, c);
      }
    }
    return best;
  }

 private:
  void consider(std::optional<Candidate>& best, const std::optional<Candidate>& c) const {
    if (c && (!best || scorer_.better(c->costs, best->costs))) best = c;
  }

  // The surrogate's largest feasible α at a shape (bisection on the surrogate).
  double surrogate_alpha(const Surrogate& m, double beta, double s) const {
    double lo = request_.space.alpha_min, hi = request_.space.alpha_max;
    if (!scorer_.feasible(m.predict(lo, beta, s))) return lo;
    if (scorer_.feasible(m.predict(hi, beta, s))) return hi;
    for (int i = 0; i < 40; ++i) {
      const double mid = std::sqrt(lo * hi);
      (scorer_.feasible(m.predict(mid, beta, s)) ? lo : hi) = mid;
    }
    return lo;
  }

  // Stage 2: rank shapes on a dense grid by the surrogate objective at the surrogate α,
  // refine the best with NLopt, and return a few well-separated candidates.
  std::vector<Point> surrogate_candidates(const Surrogate& m, double alpha_hint) const {
    const SearchSpace& box = request_.space;
    struct Ranked {
      Point p;
      Costs c;
    };
    std::vector<Ranked> ranked;
    constexpr int kGrid = 13;
    const int s_steps = is_xinet() ? static_cast<int>(s_max() - s_min()) + 1 : kGrid;
    for (int i = 0; i < kGrid; ++i) {
      const double beta =
          box.beta_min * std::pow(box.beta_max / box.beta_min, i / double(kGrid - 1));
      for (int j = 0; j < s_steps; ++j) {
        const double s = is_xinet() ? s_min() + j
                                    : s_min() * std::pow(s_max() / s_min(),
                                                         j / double(std::max(1, s_steps - 1)));
        const double alpha = surrogate_alpha(m, beta, s);
        ranked.push_back({{alpha, beta, s}, m.predict(alpha, beta, s)});
      }
    }
    std::sort(ranked.begin(), ranked.end(),
              [&](const Ranked& a, const Ranked& b) { return scorer_.better(a.c, b.c); });
    std::vector<Point> out;
    if (!ranked.empty()) {
      const std::optional<Point> refined = nlopt_refine(m, ranked.front().p);
      if (refined) out.push_back(*refined);
    }
    // Up to four more, each at least a grid cell away from those already taken.
    for (const Ranked& r : ranked) {
      if (out.size() >= 5) break;
      bool distinct = true;
      for (const Point& q : out) {
        distinct = distinct && (std::fabs(std::log(r.p.beta / q.beta)) > 0.2 ||
                                std::fabs(std::log(r.p.s / q.s)) > 0.2);
      }
      if (distinct && scorer_.feasible(r.c)) out.push_back(r.p);
    }
    if (out.empty()) out.push_back({alpha_hint, 1.0, clamp_s(std::sqrt(s_min() * s_max()))});
    return out;
  }

  // Continuous optimum of the surrogate with NLopt COBYLA over (ln α, ln β, ln s, t): for
  // the balanced objective t is the epigraph variable (t ≤ ln u_b for every budget b);
  // otherwise t is unused and the objective is the surrogate's own value.
  struct NloptData {
    const Surrogate* model;
    const Scorer* scorer;
    int budget;     // which budget: 0 flash, 1 ram, 2 macs, 3 latency
    bool epigraph;  // t ≤ ln u_budget rather than ln u_budget ≤ 0
  };

  std::optional<Point> nlopt_refine(const Surrogate& m, const Point& start) const {
    const SearchSpace& box = request_.space;
    const bool balanced = request_.objective.kind == ObjectiveKind::balanced;
    nlopt::opt opt(nlopt::LN_COBYLA, 4);
    opt.set_lower_bounds(
        {std::log(box.alpha_min), std::log(box.beta_min), std::log(s_min()), -20.0});
    opt.set_upper_bounds({std::log(box.alpha_max), std::log(box.beta_max), std::log(s_max()), 1.0});
    std::vector<int> budgets = {0, 1};
    if (request_.budgets.macs) budgets.push_back(2);
    if (request_.budgets.latency_ms) budgets.push_back(3);
    std::vector<NloptData> data;
    for (int b : budgets) data.push_back({&m, &scorer_, b, false});
    if (balanced) {
      for (int b : budgets) data.push_back({&m, &scorer_, b, true});
    }
    static const auto log_utilization = [](const NloptData& d, const std::vector<double>& x,
                                           int b) {
      const Costs c = d.model->predict(std::exp(x[0]), std::exp(x[1]), std::exp(x[2]));
      const Budgets& bud = d.scorer->budgets;
      if (b == 0) return std::log(c.flash / static_cast<double>(bud.flash_bytes));
      if (b == 1) return std::log(c.ram / static_cast<double>(bud.ram_bytes));
      if (b == 2) return std::log(c.macs / static_cast<double>(*bud.macs));
      return std::log(c.latency / *bud.latency_ms);
    };
    auto constraint = [](const std::vector<double>& x, std::vector<double>&, void* raw) {
      const auto& d = *static_cast<const NloptData*>(raw);
      if (!d.epigraph) return log_utilization(d, x, d.budget);  // ln u_b ≤ 0
      return x[3] - log_utilization(d, x, d.budget);            // t ≤ ln u_b
    };
    for (NloptData& d : data) opt.add_inequality_constraint(constraint, &d, 1e-6);
    NloptData objective_data{&m, &scorer_, -1, false};
    auto objective = [](const std::vector<double>& x, std::vector<double>&, void* raw) {
      const auto& d = *static_cast<const NloptData*>(raw);
      if (d.scorer->objective.kind == ObjectiveKind::balanced) return x[3];
      const Costs c = d.model->predict(std::exp(x[0]), std::exp(x[1]), std::exp(x[2]));
      return std::log(std::max(d.scorer->value(c), 1e-12));
    };
    opt.set_max_objective(objective, &objective_data);
    opt.set_xtol_rel(1e-5);
    opt.set_maxeval(600);
    std::vector<double> x = {std::log(start.alpha), std::log(start.beta), std::log(start.s), -2.0};
    double best_value = 0;
    try {
      opt.optimize(x, best_value);
    } catch (const std::exception&) {
      return std::nullopt;  // a failed refinement leaves the grid candidates
    }
    return Point{std::exp(x[0]), std::exp(x[1]), clamp_s(std::exp(x[2]))};
  }

  // Pattern search over the shape on the exact model, α maximized at every probe.
  // Each of the five rounds (steps halving from 12% of the range) gets an equal share of
  // `evaluation_budget`, so the fine rounds always run: optima in channel space are sharp.
  void pattern_search(std::optional<Candidate>& best, int evaluation_budget) {
    if (!best) return;
    constexpr int kRounds = 5;
    const SearchSpace& box = request_.space;
    double step_beta = 0.12 * (box.beta_max - box.beta_min);
    double step_s = is_xinet() ? 1.0 : 0.12 * (s_max() - s_min());
    for (int round = 0; round < kRounds; ++round) {
      const int evaluation_limit = model_.evaluations() + evaluation_budget / kRounds;
      bool improved = true;
      while (improved && model_.evaluations() < evaluation_limit) {
        improved = false;
        const Point at = best->point;
        // Axis moves first, then diagonals (ridges of the binding constraint run diagonally).
        const std::array<std::pair<double, double>, 8> moves = {
            {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1}}};
        for (const auto& [db, ds] : moves) {
          if (model_.evaluations() >= evaluation_limit) break;
          const double beta = std::clamp(at.beta + db * step_beta, box.beta_min, box.beta_max);
          const double s = clamp_s(at.s + ds * step_s);
          if (beta == at.beta && s == at.s) continue;
          const std::optional<Candidate> c =
              max_alpha(beta, s, alpha_hint(at, beta, s), kProbeTolerance);
          if (c && scorer_.better(c->costs, best->costs)) {
            best = c;
            improved = true;
            break;
          }
        }
      }
      step_beta /= 2;
      if (!is_xinet()) step_s /= 2;
    }
  }

  // Where α should land at a new shape: the current α scaled by the surrogate's ratio of
  // largest feasible α between the two shapes (1 without a surrogate).
  double alpha_hint(const Point& at, double beta, double s) const {
    if (!surrogate_) return at.alpha;
    const double here = surrogate_alpha(*surrogate_, at.beta, at.s);
    const double there = surrogate_alpha(*surrogate_, beta, s);
    return here > 0 ? at.alpha * there / here : at.alpha;
  }

  static constexpr double kProbeTolerance = 1.005;

  const SolveRequest& request_;
  ExactModel& model_;
  Scorer scorer_;
  std::optional<Surrogate> surrogate_;
};

std::string size_text(std::int64_t v) { return std::to_string(v) + " B"; }

std::string input_text(const std::array<std::int64_t, 3>& in) {
  return std::to_string(in[0]) + "x" + std::to_string(in[1]) + "x" + std::to_string(in[2]);
}

// A 4-decimal value never above v: a rounded-up α can cross a channel boundary
// (int(48 · 0.49999999995) = 23 but int(48 · 0.5) = 24) and make the network larger.
double round_down_4(double v) {
  double r = std::floor(v * 10000.0) / 10000.0;
  if (r > v) r -= 0.0001;
  return r;
}

std::string decimal(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4f", v);
  std::string s = buffer;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

[[noreturn]] void report_infeasible(const SolveRequest& request) {
  // The smallest network of the family in the search box: every variable at its small end.
  SolveRequest smallest = request;
  std::array<std::int64_t, 3> input = request.input;
  for (const auto& r : request.resolutions) {
    if (r[1] * r[2] < input[1] * input[2]) input = r;
  }
  ExactModel model(smallest, request.num_layers_min, input);
  const bool xinet = !family_uses_t0(request.family);
  Point p{request.space.alpha_min, request.space.beta_min,
          xinet ? static_cast<double>(request.space.gamma_max) : request.space.t0_min};
  Costs c = model.evaluate(p);
  while (!c.valid && p.alpha < request.space.alpha_max) {
    p.alpha *= 1.25;
    c = model.evaluate(p);
  }
  const std::string name = std::string(model.yolo() ? "YOLO-" : "") + (xinet ? "XiNet" : "PhiNet");
  if (!c.valid) {
    throw InfeasibleError("no " + name + " can be built for input " + input_text(input) + " with " +
                          std::to_string(request.num_layers_min) + " layers");
  }
  const Budgets& b = request.budgets;
  std::string over;
  auto check = [&](const char* what, double need, std::int64_t budget) {
    if (need > static_cast<double>(budget)) {
      if (!over.empty()) over += " and ";
      over += std::string(what) + " budget " + size_text(budget) + " (it needs " +
              size_text(static_cast<std::int64_t>(need)) + ")";
    }
  };
  if (b.ram_region >= 0 && b.arena_regions == ArenaRegions::single &&
      c.ram > static_cast<double>(b.ram_bytes)) {
    // A board's RAM budget is one region: say which, and that the arena may be split.
    over = "RAM budget " + size_text(b.ram_bytes) + " of region '" +
           b.ram_regions[static_cast<std::size_t>(b.ram_region)].name + "' (it needs " +
           size_text(static_cast<std::int64_t>(c.ram)) + " in one arena" +
           (b.ram_regions.size() > 1 ? "; --arena-regions auto spreads it over the board's " +
                                           std::to_string(b.ram_regions.size()) + " RAM regions"
                                     : std::string()) +
           ")";
  } else {
    check("RAM", c.ram, b.ram_bytes);
  }
  if (!c.ram_fits && c.ram <= static_cast<double>(b.ram_bytes)) {
    if (!over.empty()) over += " and ";
    over += "RAM regions (no split of its buffers fits them)";
  }
  check("FLASH", c.flash, b.flash_bytes);
  if (b.macs && c.macs > static_cast<double>(*b.macs)) {
    if (!over.empty()) over += " and ";
    over += "MAC budget " + std::to_string(*b.macs) + " (it needs " +
            std::to_string(static_cast<std::int64_t>(c.macs)) + ")";
  }
  if (b.latency_ms && c.latency > *b.latency_ms) {
    if (!over.empty()) over += " and ";
    over += "latency target " + decimal(*b.latency_ms) + " ms (its estimate on " + b.core + " @ " +
            decimal(b.mhz) + " MHz is " + decimal(c.latency) + " ms)";
  }
  const std::string shape = "alpha " + decimal(p.alpha) + ", beta " + decimal(p.beta) +
                            (xinet ? ", gamma " : ", t0 ") + decimal(p.s) + ", " +
                            std::to_string(request.num_layers_min) + " layers, input " +
                            input_text(input);
  throw InfeasibleError("no " + name + " fits: even the smallest one (" + shape + ": FLASH " +
                        size_text(static_cast<std::int64_t>(c.flash)) + ", RAM " +
                        size_text(static_cast<std::int64_t>(c.ram)) + ", " +
                        std::to_string(static_cast<std::int64_t>(c.macs)) + " MACs) exceeds the " +
                        (over.empty() ? std::string("budgets") : over));
}

void check_request(const SolveRequest& r) {
  if (r.budgets.flash_bytes <= 0)
    throw Error(
        "the FLASH budget must be positive (is the reserve larger than the board's flash?)");
  if (r.budgets.ram_bytes <= 0)
    throw Error("the RAM budget must be positive (is the reserve larger than the board's RAM?)");
  if (r.budgets.macs && *r.budgets.macs <= 0) throw Error("the MAC budget must be positive");
  if (r.budgets.latency_ms) {
    if (!(*r.budgets.latency_ms > 0) || !std::isfinite(*r.budgets.latency_ms))
      throw Error("the latency target must be a positive number of milliseconds");
    if (r.budgets.core.empty() || !(r.budgets.mhz > 0))
      throw Error("a latency target needs the core and its clock (a board, or --core and --mhz)");
  }
  if (r.num_layers_min < 1 || r.num_layers_max < r.num_layers_min) {
    throw Error("--num-layers range " + std::to_string(r.num_layers_min) + ".." +
                std::to_string(r.num_layers_max) + " is empty");
  }
  if (r.num_layers_max - r.num_layers_min > 16)
    throw Error("--num-layers range spans more than 16 depths");
  // The network options against the builders' limits (nets/config_checks.h): named here, not
  // found "infeasible" at every candidate.
  const char* family = family_name(r.family);
  nets::require_at_most(family, "--num-layers", r.num_layers_max, nets::kMaxNumLayers, "layers");
  if (r.num_classes) {
    nets::require_at_least(family, "--num-classes", *r.num_classes, 1);
    nets::require_at_most(family, "--num-classes", *r.num_classes, nets::kMaxNumClasses, "classes");
  }
  if (r.family == Family::yolo_phinet || r.family == Family::yolo_xinet) {
    nets::require_at_most(family, "--classes", r.yolo_base.num_classes, nets::kMaxNumClasses,
                          "classes");
  }
  nets::check_input_limits(family, r.input);
  for (const auto& input : r.resolutions) {
    try {
      nets::check_input_limits(family, input);
    } catch (const Error& e) {
      throw Error(std::string("--resolutions: ") + e.what());
    }
  }
  const SearchSpace& s = r.space;
  if (!(s.alpha_min > 0 && s.alpha_min <= s.alpha_max && s.beta_min > 0 &&
        s.beta_min <= s.beta_max && s.t0_min > 0 && s.t0_min <= s.t0_max && s.gamma_min >= 1 &&
        s.gamma_min <= s.gamma_max)) {
    throw Error("the search space is empty or not positive");
  }
}

}  // namespace

const char* family_name(Family family) {
  switch (family) {
    case Family::phinet:
      return "phinet";
    case Family::xinet:
      return "xinet";
    case Family::yolo_phinet:
      return "yolo-phinet";
    case Family::yolo_xinet:
      return "yolo-xinet";
  }
  return "?";
}

bool family_uses_t0(Family family) {
  return family == Family::phinet || family == Family::yolo_phinet;
}

Objective parse_objective(const std::string& text) {
  Objective o;
  if (text == "balanced") return o;
  if (text == "max-macs") {
    o.kind = ObjectiveKind::max_macs;
    return o;
  }
  if (text == "max-params") {
    o.kind = ObjectiveKind::max_params;
    return o;
  }
  if (text.rfind("weights:", 0) == 0) {
    double w[3];
    char tail = 0;
    if (std::sscanf(text.c_str() + 8, "%lf,%lf,%lf%c", &w[0], &w[1], &w[2], &tail) == 3 &&
        w[0] >= 0 && w[1] >= 0 && w[2] >= 0 && w[0] + w[1] + w[2] > 0 &&
        std::isfinite(w[0] + w[1] + w[2])) {
      o.kind = ObjectiveKind::weighted;
      o.w_flash = w[0];
      o.w_ram = w[1];
      o.w_macs = w[2];
      return o;
    }
  }
  throw Error("--objective '" + text +
              "' is not one of balanced, max-macs, max-params, weights:F,R,M (three non-negative "
              "weights, e.g. weights:1,2,0.5)");
}

std::string objective_name(const Objective& o) {
  switch (o.kind) {
    case ObjectiveKind::balanced:
      return "balanced";
    case ObjectiveKind::max_macs:
      return "max-macs";
    case ObjectiveKind::max_params:
      return "max-params";
    case ObjectiveKind::weighted:
      return "weights:" + decimal(o.w_flash) + "," + decimal(o.w_ram) + "," + decimal(o.w_macs);
  }
  return "?";
}

namespace {

// The PhiNet options that differ from `d` (after --num-layers, the head aside).
std::string phinet_arguments(const nets::PhiNetConfig& c, const nets::PhiNetConfig& d) {
  std::string s;
  if (c.compatibility) s += " --compatibility";
  if (c.downsampling_layers != d.downsampling_layers) {
    s += " --downsampling-layers ";
    for (std::size_t i = 0; i < c.downsampling_layers.size(); ++i) {
      s += (i ? "," : "") + std::to_string(c.downsampling_layers[i]);
    }
  }
  if (c.conv5_percent != d.conv5_percent) s += " --conv5-percent " + decimal(c.conv5_percent);
  if (c.first_conv_stride != d.first_conv_stride)
    s += " --first-conv-stride " + std::to_string(c.first_conv_stride);
  if (!c.residuals) s += " --no-residuals";
  if (c.conv2d_input) s += " --conv2d-input";
  if (c.pool) s += " --pool";
  if (!c.h_swish) s += " --no-h-swish";
  if (!c.squeeze_excite) s += " --no-squeeze-excite";
  if (c.divisor != d.divisor) s += " --divisor " + std::to_string(c.divisor);
  return s;
}

std::string phinet_hyperparameters(const nets::PhiNetConfig& c) {
  return " --alpha " + decimal(c.alpha) + " --beta " + decimal(c.beta) + " --t0 " +
         decimal(c.t_zero) + " --num-layers " + std::to_string(c.num_layers);
}

std::string xinet_hyperparameters(const nets::XiNetConfig& c) {
  return " --alpha " + decimal(c.alpha) + " --beta " + decimal(c.beta) + " --gamma " +
         decimal(c.gamma) + " --num-layers " + std::to_string(c.num_layers);
}

}  // namespace

std::string net_command(const nets::PhiNetConfig& c) {
  std::string s = "tinyscale net phinet --input " + input_text(c.input) + phinet_hyperparameters(c);
  if (c.include_top) s += " --include-top --num-classes " + std::to_string(c.num_classes);
  return s + phinet_arguments(c, nets::PhiNetConfig{});
}

std::string net_command(const nets::XiNetConfig& c) {
  std::string s = "tinyscale net xinet --input " + input_text(c.input) + " --alpha " +
                  decimal(c.alpha) + " --beta " + decimal(c.beta) + " --gamma " + decimal(c.gamma) +
                  " --num-layers " + std::to_string(c.num_layers);
  if (c.include_top) s += " --include-top --num-classes " + std::to_string(c.num_classes);
  if (c.base_filters != nets::XiNetConfig{}.base_filters)
    s += " --base-filters " + std::to_string(c.base_filters);
  return s;
}

std::string net_command(const nets::YoloConfig& c) {
  const bool phinet = c.backbone == nets::YoloBackbone::phinet;
  std::string s = std::string("tinyscale net ") + (phinet ? "yolo-phinet" : "yolo-xinet") +
                  " --input " + input_text(c.input);
  if (phinet) {
    s +=
        phinet_hyperparameters(c.phinet) + phinet_arguments(c.phinet, nets::yolo_phinet_backbone());
  } else {
    s += xinet_hyperparameters(c.xinet);
    if (c.xinet.base_filters != nets::yolo_xinet_backbone().base_filters)
      s += " --base-filters " + std::to_string(c.xinet.base_filters);
  }
  s += " --classes " + std::to_string(c.num_classes);
  const nets::YoloConfig d;
  if (c.heads != d.heads) {
    std::string heads;
    for (std::size_t level = 0; level < 3; ++level) {
      if (c.heads[level]) heads += (heads.empty() ? "" : ",") + std::to_string(8 << level);
    }
    s += " --heads " + heads;
  }
  if (c.neck != d.neck) s += std::string(" --neck ") + nets::yolo_neck_name(c.neck);
  if (c.depth_multiple != d.depth_multiple) s += " --depth-multiple " + decimal(c.depth_multiple);
  if (!c.return_layers.empty()) {
    s += " --return-layers ";
    for (std::size_t i = 0; i < c.return_layers.size(); ++i) {
      s += (i ? "," : "") + std::to_string(c.return_layers[i]);
    }
  }
  return s;
}

core::Graph build_solution(const Solution& s, const blocks::BuilderOptions& options) {
  switch (s.family) {
    case Family::phinet:
      return nets::build_phinet(s.phinet, options);
    case Family::xinet:
      return nets::build_xinet(s.xinet, options);
    case Family::yolo_phinet:
    case Family::yolo_xinet:
      break;
  }
  return nets::build_yolo(s.yolo, options);
}

namespace {

struct Best {
  Candidate candidate;
  int layers;
  std::array<std::int64_t, 3> input;
};

// Runs `search(model, depth_search)` for every input size and depth; keeps the best
// exactly-feasible result after rounding its hyperparameters to 4 decimals (downward: every
// cost is non-decreasing in α, β and t0, and γ is already an integer, so it still fits).
template <typename Search>
Solution solve_with(const SolveRequest& request, Search search) {
  const auto start = std::chrono::steady_clock::now();
  check_request(request);
  const Scorer scorer{request.budgets, request.objective};
  std::vector<std::array<std::int64_t, 3>> inputs = {request.input};
  for (const auto& r : request.resolutions) {
    if (std::find(inputs.begin(), inputs.end(), r) == inputs.end()) inputs.push_back(r);
  }
  std::optional<Best> best;
  int evaluations = 0;
  int distinct_networks = 0;
  for (const auto& input : inputs) {
    for (int layers = request.num_layers_min; layers <= request.num_layers_max; ++layers) {
      ExactModel model(request, layers, input);
      DepthSearch depth(request, model);
      const std::optional<Candidate> found = search(depth);
      if (found) {
        Point p = found->point;
        p.alpha = std::max(request.space.alpha_min, round_down_4(p.alpha));
        p.beta = std::max(request.space.beta_min, round_down_4(p.beta));
        if (family_uses_t0(request.family)) p.s = std::max(request.space.t0_min, round_down_4(p.s));
        const Candidate rounded{p, model.evaluate(p)};
        if (scorer.feasible(rounded.costs) &&
            (!best || scorer.better(rounded.costs, best->candidate.costs))) {
          best = Best{rounded, layers, input};
        }
      }
      evaluations += model.evaluations();
      distinct_networks += model.distinct_networks();
    }
  }
  if (!best) report_infeasible(request);

  Solution s;
  s.family = request.family;
  const Point& p = best->candidate.point;
  const ExactModel model(request, best->layers, best->input);
  s.alpha = p.alpha;
  s.beta = p.beta;
  s.num_layers = best->layers;
  s.input = best->input;
  if (family_uses_t0(request.family)) {
    s.t0 = p.s;
    s.phinet = model.phinet_config(p);
    s.command = net_command(s.phinet);
  } else {
    s.gamma = static_cast<int>(p.s);
    s.xinet = model.xinet_config(p);
    s.command = net_command(s.xinet);
  }
  if (model.yolo()) {
    s.yolo = model.yolo_config(p);
    s.command = net_command(s.yolo);
  }
  const core::Graph graph = build_solution(s);
  const std::vector<std::int64_t> capacities = ram_capacities(request.budgets);
  s.cost = costmodel::analyze(graph, cost_options(request, capacities));
  if (!request.budgets.core.empty() && request.budgets.mhz > 0) {
    // From the report, as during the search: the figure the latency target constrains.
    s.latency_ms =
        costmodel::estimate_latency_ms(s.cost.compute, request.budgets.core, request.budgets.mhz);
  }
  s.utilization = scorer.utilization(best->candidate.costs);
  s.binding = "flash";
  double fullest = s.utilization.flash;
  if (s.utilization.ram > fullest) {
    fullest = s.utilization.ram;
    s.binding = "ram";
  }
  if (s.utilization.macs && *s.utilization.macs > fullest) {
    fullest = *s.utilization.macs;
    s.binding = "macs";
  }
  if (s.utilization.latency && *s.utilization.latency > fullest) s.binding = "latency";
  s.objective_value = scorer.value(best->candidate.costs);
  s.evaluations = evaluations;
  s.distinct_networks = distinct_networks;
  s.solve_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace

Solution solve(const SolveRequest& request) {
  return solve_with(request, [](DepthSearch& depth) { return depth.run(); });
}

Solution solve_grid(const SolveRequest& request, int beta_points, int s_points) {
  return solve_with(request, [&](DepthSearch& depth) { return depth.grid(beta_points, s_points); });
}

}  // namespace tinyscale::scaling
