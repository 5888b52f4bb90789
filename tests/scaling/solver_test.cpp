#include "scaling/solver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "costmodel/costmodel.h"
#include "costmodel/latency.h"
#include "scaling/boards.h"
#include "tests/support/sanitizers.h"

namespace tinyscale::scaling {
namespace {

SolveRequest request(Family family, std::int64_t flash, std::int64_t ram, std::int64_t side = 96) {
  SolveRequest r;
  r.family = family;
  r.input = {3, side, side};
  r.num_classes = 10;
  if (family == Family::xinet) r.num_layers_min = r.num_layers_max = 5;
  r.budgets.flash_bytes = flash;
  r.budgets.ram_bytes = ram;
  return r;
}

// The solution re-costed from scratch, from its configuration only.
costmodel::CostReport recost(const Solution& s) {
  return costmodel::analyze(build_solution(s), {.per_layer = false, .compare_greedy = false});
}

void expect_fits(const Solution& s, const Budgets& b, const std::string& what) {
  const costmodel::CostReport r = recost(s);
  EXPECT_LE(r.flash_bytes, b.flash_bytes) << what;
  EXPECT_LE(r.ram_bytes, b.ram_bytes) << what;
  if (b.macs) {
    EXPECT_LE(r.macs, *b.macs) << what;
  }
  EXPECT_EQ(r.flash_bytes, s.cost.flash_bytes) << what;
  EXPECT_EQ(r.ram_bytes, s.cost.ram_bytes) << what;
}

// Property: hundreds of random budgets, zero violations under the exact cost model; when
// the solver says nothing fits, the smallest network really does not fit.
TEST(Solver, NeverExceedsABudget) {
  std::mt19937 rng(20261121);
  auto log_uniform = [&](double lo, double hi) {
    const double u = static_cast<double>(rng() >> 8) / static_cast<double>(1u << 24);
    return std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
  };
  int solved = 0, infeasible = 0;
  const int cases = testing::property_cases(200);
  for (int i = 0; i < cases; ++i) {
    const Family family = i % 3 == 2 ? Family::xinet : Family::phinet;
    SolveRequest r = request(family, static_cast<std::int64_t>(log_uniform(16e3, 4e6)),
                             static_cast<std::int64_t>(log_uniform(8e3, 1e6)), 32 + 16 * (i % 4));
    if (i % 4 == 1) r.budgets.macs = static_cast<std::int64_t>(log_uniform(2e5, 2e8));
    if (i % 5 == 3) r.objective.kind = ObjectiveKind::max_macs;
    const std::string what = "case " + std::to_string(i) + ": flash " +
                             std::to_string(r.budgets.flash_bytes) + " ram " +
                             std::to_string(r.budgets.ram_bytes);
    try {
      const Solution s = solve(r);
      expect_fits(s, r.budgets, what);
      ++solved;
    } catch (const InfeasibleError& e) {
      ++infeasible;
      EXPECT_NE(std::string(e.what()).find("smallest"), std::string::npos) << e.what();
      // The smallest network of the box must really exceed something.
      SolveRequest tiny = r;
      tiny.space.alpha_max = tiny.space.alpha_min;
      tiny.space.beta_max = tiny.space.beta_min;
      tiny.space.t0_max = tiny.space.t0_min;
      tiny.space.gamma_min = tiny.space.gamma_max;
      tiny.budgets.flash_bytes = tiny.budgets.ram_bytes = std::int64_t{1} << 40;
      tiny.budgets.macs.reset();
      try {
        const Solution smallest = solve(tiny);
        const bool exceeds = smallest.cost.flash_bytes > r.budgets.flash_bytes ||
                             smallest.cost.ram_bytes > r.budgets.ram_bytes ||
                             (r.budgets.macs && smallest.cost.macs > *r.budgets.macs);
        EXPECT_TRUE(exceeds) << what << ": " << e.what();
      } catch (const InfeasibleError&) {
        // the smallest XiNet may not build at all (attention width rounds to zero)
      }
    }
  }
  std::printf("  %d solved, %d infeasible\n", solved, infeasible);
  EXPECT_GT(solved, cases / 2);
  EXPECT_GT(infeasible, cases / 40);
}

struct BoardCase {
  const char* name;
  std::int64_t flash, ram;  // model budgets (board memory minus reserves)
};
constexpr BoardCase kBoards[] = {
    {"STM32F746G-DISCO", 1048576 - 131072, 327680 - 49152},
    {"NUCLEO-H743ZI2", 2097152 - 131072, 1048576 - 65536},
    {"Raspberry Pi Pico", 2097152 - 131072, 270336 - 40960},
    {"MAX78000", 524288 - 98304, 131072 - 24576},
};

// Quality: at least 99% of the best point of a brute-force grid over (β, t0|γ), each grid
// shape with its own largest feasible α.
TEST(Solver, MatchesABruteForceGrid) {
  for (const BoardCase& board : kBoards) {
    for (Family family : {Family::phinet, Family::xinet}) {
      const SolveRequest r = request(family, board.flash, board.ram);
      const Solution s = solve(r);
      const Solution g = solve_grid(r, 8, family == Family::phinet ? 8 : 0);
      std::printf("  %-18s %-6s solver %.4f (%d evals, %.0f ms)  grid %.4f (%d evals, %.0f ms)\n",
                  board.name, family_name(family), s.objective_value, s.evaluations, s.solve_ms,
                  g.objective_value, g.evaluations, g.solve_ms);
      EXPECT_GE(s.objective_value, 0.99 * g.objective_value)
          << board.name << " " << family_name(family);
      expect_fits(s, r.budgets, board.name);
    }
  }
}

// The same quality bar for the other objectives.
TEST(Solver, MaxMacsAndMaxParamsMatchTheGrid) {
  for (ObjectiveKind kind : {ObjectiveKind::max_macs, ObjectiveKind::max_params}) {
    for (const BoardCase& board : {kBoards[0], kBoards[3]}) {
      SolveRequest r = request(Family::phinet, board.flash, board.ram);
      r.objective.kind = kind;
      const Solution s = solve(r);
      const Solution g = solve_grid(r, 8, 8);
      EXPECT_GE(s.objective_value, 0.99 * g.objective_value)
          << board.name << " " << objective_name(r.objective);
    }
  }
}

TEST(Solver, ObjectivesMaximizeWhatTheySay) {
  // RAM 200 KB: the engine's in-place element-wise ops make RAM cheaper, so at 250 KB the
  // FLASH budget would bind first.
  const SolveRequest base = request(Family::phinet, 900000, 200000);
  SolveRequest macs = base;
  macs.objective.kind = ObjectiveKind::max_macs;
  SolveRequest params = base;
  params.objective.kind = ObjectiveKind::max_params;
  const Solution balanced = solve(base), by_macs = solve(macs), by_params = solve(params);
  // Each objective's own figure is the best of the three, within 4%: the exact costs are
  // piecewise constant (channel counts move in steps) and the polish is a local search, so
  // another objective's answer can land on a neighbouring ridge a few percent higher.
  const auto m = [](const Solution& s) { return static_cast<double>(s.cost.macs); };
  const auto p = [](const Solution& s) { return static_cast<double>(s.cost.params); };
  const auto min_u = [](const Solution& s) {
    return std::min(s.utilization.flash, s.utilization.ram);
  };
  EXPECT_GE(m(by_macs), 0.96 * std::max(m(balanced), m(by_params)));
  EXPECT_GE(p(by_params), 0.96 * std::max(p(balanced), p(by_macs)));
  EXPECT_GE(min_u(balanced), 0.96 * std::max(min_u(by_macs), min_u(by_params)));
  // RAM binds first here (β is at the top of its box, and kernel state counts as RAM), so
  // FLASH can be filled to about 72%: 0.7 is what this pair allows, not a loose bound.
  EXPECT_GT(min_u(balanced), 0.7);
  EXPECT_GT(balanced.utilization.ram, 0.99);
}

// Monotonicity: a larger budget never yields a smaller objective.
TEST(Solver, LargerBudgetsNeverGiveSmallerObjectives) {
  for (ObjectiveKind kind : {ObjectiveKind::max_macs, ObjectiveKind::max_params}) {
    for (Family family : {Family::phinet, Family::xinet}) {
      double previous = 0;
      for (double scale : {1.0, 1.2, 1.5, 2.0, 3.0}) {
        SolveRequest r = request(family, static_cast<std::int64_t>(300000 * scale),
                                 static_cast<std::int64_t>(90000 * scale), 64);
        r.objective.kind = kind;
        const Solution s = solve(r);
        EXPECT_GE(s.objective_value, previous) << family_name(family) << " scale " << scale;
        previous = s.objective_value;
      }
    }
  }
}

TEST(Solver, MacBudgetBinds) {
  SolveRequest r = request(Family::phinet, 2000000, 900000);
  r.budgets.macs = 5'000'000;
  const Solution s = solve(r);
  EXPECT_LE(s.cost.macs, 5'000'000);
  EXPECT_GT(s.cost.macs, 4'500'000);
  EXPECT_EQ(s.binding, "macs");
}

// Issue 12: `--latency 50ms` on the F746 gave a network estimated at 65 ms, because the
// target became a MAC budget at the convolution rate while the estimate also prices
// depthwise and elementwise work. The target now bounds the estimate itself: over every
// board of the database with a known core, targets from 5 ms to 300 ms, both families and
// two inputs, the reported estimate (re-derived here from the rebuilt network) never
// exceeds the target, and it comes close to it unless FLASH or RAM fills first.
TEST(Solver, LatencyEstimateNeverExceedsTheTarget) {
  const BoardDatabase db = BoardDatabase::builtin();
  int solved = 0, infeasible = 0;
  std::vector<double> binding_use;  // estimate / target where latency binds
  int index = 0;
  for (const Board& board : db.boards()) {
    if (!testing::runs_case(index++)) continue;
    try {
      costmodel::cycle_costs(board.core);
    } catch (const Error&) {
      continue;  // no latency estimate without a known core
    }
    const Budgets budgets = budgets_for_board(board);
    for (double target : {5.0, 20.0, 50.0, 100.0, 300.0}) {
      for (const auto& [family, side] :
           {std::pair{Family::phinet, 64}, std::pair{Family::phinet, 96},
            std::pair{Family::xinet, 64}, std::pair{Family::xinet, 96}}) {
        SolveRequest r = request(family, budgets.flash_bytes, budgets.ram_bytes, side);
        r.budgets = budgets;
        r.budgets.latency_ms = target;
        const std::string what = board.name + " " + family_name(family) + " " +
                                 std::to_string(side) + "px " + std::to_string(target) + " ms";
        Solution s;
        try {
          s = solve(r);
        } catch (const InfeasibleError& e) {
          ++infeasible;
          const std::string m = e.what();
          if (m.find("even the smallest") != std::string::npos) {
            EXPECT_NE(m.find("latency target"), std::string::npos) << what << ": " << m;
          }
          continue;
        }
        ++solved;
        ASSERT_TRUE(s.latency_ms.has_value()) << what;
        EXPECT_LE(*s.latency_ms, target) << what;
        const double rebuilt =
            costmodel::estimate_latency_ms(build_solution(s), board.core, board.mhz);
        EXPECT_NEAR(rebuilt, *s.latency_ms, 1e-9 * target) << what;
        ASSERT_TRUE(s.utilization.latency.has_value()) << what;
        EXPECT_NEAR(*s.utilization.latency, *s.latency_ms / target, 1e-12) << what;
        if (s.binding == "latency") {
          binding_use.push_back(*s.utilization.latency);
        } else {
          EXPECT_GT(std::max(s.utilization.flash, s.utilization.ram), 0.9) << what;
        }
      }
    }
  }
  ASSERT_GT(binding_use.size(), static_cast<std::size_t>(testing::property_cases(100)));
  std::sort(binding_use.begin(), binding_use.end());
  const double median = binding_use[binding_use.size() / 2];
  std::printf(
      "  %d solved, %d infeasible; %zu latency-bound, estimate / target: min %.3f, "
      "median %.3f\n",
      solved, infeasible, binding_use.size(), binding_use.front(), median);
  // Close to the target: widths move in steps, so the balanced optimum may stop below it
  // (the lowest, 0.76, is Pico PhiNet 96px at 100 ms: β = 4, t0 = 8, α = 0.083, where the
  // next channel step passes the target and FLASH, the least used budget, is what the
  // balanced objective maximizes), but not far below.
  EXPECT_GE(binding_use.front(), 0.75);
  EXPECT_GE(median, 0.98);
}

// The weighted objective's compute weight counts a latency target as it counts a MAC budget;
// a target without a core to estimate on is refused, not ignored.
TEST(Solver, WeightedObjectiveFillsTheLatencyTargetAndATargetNeedsACore) {
  SolveRequest r = request(Family::phinet, 2000000, 900000, 64);
  r.budgets.latency_ms = 20.0;
  r.budgets.core = "cortex-m4";
  r.budgets.mhz = 120.0;
  r.objective = parse_objective("weights:0,0,1");
  const Solution s = solve(r);
  ASSERT_TRUE(s.latency_ms.has_value());
  EXPECT_LE(*s.latency_ms, 20.0);
  EXPECT_GT(*s.latency_ms, 19.0);
  EXPECT_NEAR(s.objective_value, *s.latency_ms / 20.0, 1e-12);
  r.budgets.core.clear();
  EXPECT_THROW(solve(r), Error);
}

TEST(Solver, DepthRangeAndResolutionSearch) {
  SolveRequest r = request(Family::phinet, 800000, 200000, 64);
  r.num_layers_min = 6;
  r.num_layers_max = 9;
  r.resolutions = {{3, 96, 96}, {3, 128, 128}};
  const Solution s = solve(r);
  EXPECT_GE(s.num_layers, 6);
  EXPECT_LE(s.num_layers, 9);
  expect_fits(s, r.budgets, "depth range");
  const SolveRequest fixed = request(Family::phinet, 800000, 200000, 64);
  EXPECT_GE(s.objective_value + 1e-4, solve(fixed).objective_value);
}

TEST(Solver, CommandRebuildsTheSameNetwork) {
  const Solution s = solve(request(Family::phinet, 700000, 200000));
  EXPECT_EQ(s.command.rfind("tinyscale net phinet --input 3x96x96 --alpha ", 0), 0u) << s.command;
  EXPECT_NE(s.command.find("--include-top --num-classes 10"), std::string::npos);
  const Solution x = solve(request(Family::xinet, 700000, 200000));
  EXPECT_NE(x.command.find("--gamma "), std::string::npos) << x.command;
}

TEST(Solver, InfeasibleBudgetsNameTheBudgetAndTheSmallestNetwork) {
  try {
    solve(request(Family::phinet, 1000000, 4096));
    FAIL();
  } catch (const InfeasibleError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("RAM budget 4096 B"), std::string::npos) << m;
    EXPECT_NE(m.find("smallest"), std::string::npos) << m;
    EXPECT_NE(m.find("alpha 0.05"), std::string::npos) << m;
  }
}

// Options beyond the builders' limits (nets/config_checks.h) are named at once, not found
// "infeasible" at every candidate (and no sweep row is written for them).
TEST(Solver, RequestsBeyondTheNetworkLimitsNameTheOption) {
  const auto message = [](const SolveRequest& r) {
    try {
      solve(r);
    } catch (const InfeasibleError& e) {
      return std::string("infeasible: ") + e.what();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("solved");
  };
  SolveRequest r = request(Family::phinet, 1000000, 400000);
  r.num_classes = 2'000'000'000;
  EXPECT_EQ(message(r),
            "phinet: --num-classes 2000000000 exceeds the limit of 1,000,000 classes "
            "(nets/config_checks.h)");
  r = request(Family::xinet, 1000000, 400000);
  r.num_layers_min = r.num_layers_max = 100'000;
  EXPECT_EQ(message(r).rfind("xinet: --num-layers 100000 exceeds the limit of 100 layers", 0), 0u)
      << message(r);
  r = request(Family::yolo_phinet, 1000000, 400000, 64);
  r.num_classes.reset();
  r.yolo_base.num_classes = 2'000'000'000;
  EXPECT_EQ(message(r).rfind("yolo-phinet: --classes 2000000000", 0), 0u) << message(r);
  r = request(Family::phinet, 1000000, 400000);
  r.resolutions = {{3, 100000, 100000}};
  EXPECT_EQ(message(r).rfind("--resolutions: phinet: --input 3x100000x100000 is", 0), 0u)
      << message(r);
}

// On boards whose RAM is several regions: with one arena the solution stays inside the
// best single region (the arena is one block); split over the regions (--arena-regions
// auto), the engine's own placement of the solution, recomputed from its configuration,
// fits every region.
TEST(Solver, NeverExceedsAnyRegion) {
  const BoardDatabase db = BoardDatabase::builtin();
  for (const char* board : {"NUCLEO-H743ZI2", "STM32H7A3", "STM32U585", "STM32F746G-DISCO"}) {
    for (const ArenaRegions mode : {ArenaRegions::single, ArenaRegions::split}) {
      const std::string what =
          std::string(board) + (mode == ArenaRegions::split ? " split" : " single");
      SolveRequest r;
      r.input = {3, 160, 160};
      r.num_classes = 10;
      r.budgets = budgets_for_board(db.find(board), std::nullopt, std::nullopt, mode);
      const Solution s = solve(r);
      const std::vector<std::int64_t> capacities = region_capacities(r.budgets);
      const costmodel::CostReport again = costmodel::analyze(
          build_solution(s),
          {.per_layer = false, .compare_greedy = false, .ram_region_capacities = capacities});
      EXPECT_TRUE(again.ram_fits) << what;
      ASSERT_EQ(again.ram_region_bytes.size(), capacities.size()) << what;
      std::int64_t total = 0;
      for (std::size_t i = 0; i < capacities.size(); ++i) {
        EXPECT_LE(again.ram_region_bytes[i], capacities[i]) << what << " region " << i;
        total += again.ram_region_bytes[i];
      }
      EXPECT_EQ(total, again.ram_bytes) << what;
      EXPECT_EQ(again.ram_bytes, s.cost.ram_bytes) << what;
      EXPECT_EQ(again.ram_region_bytes, s.cost.ram_region_bytes) << what;
      if (mode == ArenaRegions::single) {
        const RamRegionBudget& best = r.budgets.ram_regions[static_cast<std::size_t>(r.budgets.ram_region)];
        EXPECT_LE(s.cost.ram_bytes, best.model_bytes()) << what;
      }
    }
  }
}

// The STM32H743's largest region is the 512 KiB AXI SRAM; split over DTCM, AXI SRAM and
// SRAM1-4, a network's RAM can exceed it, and does when RAM is what binds.
TEST(Solver, SplitArenaUsesMoreThanTheLargestRegion) {
  const BoardDatabase db = BoardDatabase::builtin();
  const Board& h743 = db.find("h743");
  SolveRequest r;
  r.input = {3, 224, 224};
  r.num_classes = 10;
  r.budgets = budgets_for_board(h743);
  const Solution one = solve(r);
  EXPECT_LE(one.cost.ram_bytes, 448 * 1024);
  r.budgets = budgets_for_board(h743, std::nullopt, std::nullopt, ArenaRegions::split);
  const Solution split = solve(r);
  EXPECT_TRUE(split.cost.ram_fits);
  EXPECT_GT(split.cost.ram_bytes, 512 * 1024);
  EXPECT_GT(split.cost.macs, one.cost.macs);
  int used = 0;
  for (const std::int64_t bytes : split.cost.ram_region_bytes) used += bytes > 0;
  EXPECT_GE(used, 2);
  std::printf("  H743 3x224x224: one arena %lld B, %lld MACs; split %lld B (", 
              static_cast<long long>(one.cost.ram_bytes), static_cast<long long>(one.cost.macs),
              static_cast<long long>(split.cost.ram_bytes));
  for (const std::int64_t bytes : split.cost.ram_region_bytes) std::printf(" %lld", static_cast<long long>(bytes));
  std::printf(" ), %lld MACs\n", static_cast<long long>(split.cost.macs));
}

TEST(Solver, InfeasibleOnABoardNamesTheRegionAndTheSplit) {
  const BoardDatabase db = BoardDatabase::builtin();
  SolveRequest r;
  r.input = {3, 640, 640};
  r.budgets = budgets_for_board(db.find("h743"));
  try {
    solve(r);
    ADD_FAILURE() << "a 640x640 PhiNet fits one 448 KiB arena?";
  } catch (const InfeasibleError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("exceeds the RAM budget 458752 B of region 'AXI SRAM'"), std::string::npos)
        << m;
    EXPECT_NE(m.find("--arena-regions auto spreads it over the board's 4 RAM regions"),
              std::string::npos)
        << m;
  }
}

TEST(Solver, ObjectiveParsing) {
  EXPECT_EQ(parse_objective("balanced").kind, ObjectiveKind::balanced);
  EXPECT_EQ(parse_objective("max-macs").kind, ObjectiveKind::max_macs);
  const Objective w = parse_objective("weights:1,2,0.5");
  EXPECT_EQ(w.kind, ObjectiveKind::weighted);
  EXPECT_DOUBLE_EQ(w.w_ram, 2.0);
  EXPECT_EQ(objective_name(w), "weights:1,2,0.5");
  for (const char* bad :
       {"fast", "weights:1,2", "weights:1,-1,1", "weights:0,0,0", "weights:1,2,3x"}) {
    EXPECT_THROW(parse_objective(bad), Error) << bad;
  }
}

}  // namespace
}  // namespace tinyscale::scaling
