// scaling::solve — hardware-aware scaling: the PhiNet or XiNet hyperparameters whose network
// uses a board's FLASH, RAM and compute as fully as possible without exceeding any budget
// under the exact cost model.
//
// The YOLO families (a PhiNet or XiNet backbone with micromind's neck and detection head,
// nets/yolo.h) are solved like their backbone: the same variables, the whole detector costed
// exactly. The neck and head follow the backbone's features as micromind derives them;
// SolveRequest::yolo_base holds what stays fixed (classes, heads, neck, depth multiple).
//
// Variables: PhiNet α, β, t0; XiNet α, β, γ (an integer, as micromind truncates it); the
// depth N over a range; the input resolution fixed or searched over a list. The exact costs
// are piecewise constant in the hyperparameters (channel rounding), so the solver works in
// three stages:
//   1. Surrogate. For each depth (and resolution), sample the exact cost model on a small
//      design over (α, β, t0|γ) and fit every cost (FLASH, RAM, MACs, params) with a
//      smooth log-quadratic model in (ln α, ln β, ln t0|γ), least squares (Eigen); the
//      latency estimate (costmodel/latency.h) is fitted the same way.
//   2. Continuous optimum. Maximize the objective on the surrogate under the surrogate
//      budget constraints with NLopt (COBYLA, epigraph form for the balanced objective),
//      and rank shapes (β, t0|γ) by their surrogate objective at the surrogate's largest
//      feasible α.
//   3. Discrete polish on the exact model. Every cost is non-decreasing in α at a fixed
//      shape, so for each candidate shape the largest exactly-feasible α is found by
//      bracketing + bisection; a pattern search over the shape then improves the best one.
// Every returned configuration has been built and costed exactly and fits every budget.
//
// RAM is checked where the model will live: the cost model places the arena in the budgets'
// memory regions (scaling::region_capacities) with the engine's own planner, as `run` does.
// With one arena (the default) that is the best single region of the board, so the whole RAM
// must fit it; with Budgets::arena_regions == split the activation buffers may be spread
// over every region, and a configuration fits only when each region holds its share
// (CostReport::ram_fits); RAM utilization is then measured against the regions' total.
//
// A latency target is a budget on the tool's own estimate (costmodel::estimate_latency_ms of
// the exact cost report, with the budgets' core and clock), checked exactly like FLASH and
// RAM: the reported estimate of a solution never exceeds the target. A MAC budget is a
// separate, plain budget on MACs; both may be given.
//
// Objectives (u_b = cost_b / budget_b over the given budgets: FLASH, RAM, and MACs and
// latency when given):
//   balanced    maximize min_b u_b; ties (within 1e-4) go to more MACs   (default)
//   max_macs    maximize MACs
//   max_params  maximize parameters
//   weighted    maximize w_flash·u_flash + w_ram·u_ram + w_macs·max(u_macs, u_latency)
//
// Usage:
//   scaling::SolveRequest r;
//   r.family = scaling::Family::phinet;
//   r.budgets = scaling::budgets_for_board(db.find("NUCLEO-H743ZI2"));
//   r.input = {3, 96, 96};
//   scaling::Solution s = scaling::solve(r);    // throws InfeasibleError
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "costmodel/costmodel.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "nets/yolo.h"
#include "scaling/budgets.h"

namespace tinyscale::scaling {

enum class Family { phinet, xinet, yolo_phinet, yolo_xinet };
const char* family_name(Family family);  // "phinet", "xinet", "yolo-phinet", "yolo-xinet"
// PhiNet backbones take t0 as their third variable, XiNet backbones γ.
bool family_uses_t0(Family family);

enum class ObjectiveKind { balanced, max_macs, max_params, weighted };

struct Objective {
  ObjectiveKind kind = ObjectiveKind::balanced;
  double w_flash = 1.0, w_ram = 1.0, w_macs = 1.0;  // weighted only
};
// "balanced", "max-macs", "max-params", "weights:F,R,M"; throws tinyscale::Error.
Objective parse_objective(const std::string& text);
std::string objective_name(const Objective& objective);

// The search box. Defaults cover the published PhiNet / XiNet design spaces.
struct SearchSpace {
  double alpha_min = 0.05, alpha_max = 4.0;
  double beta_min = 0.5, beta_max = 4.0;
  double t0_min = 1.0, t0_max = 8.0;  // PhiNet
  int gamma_min = 2, gamma_max = 8;   // XiNet (γ < 2 breaks micromind's skip connections)
};

struct SolveRequest {
  Family family = Family::phinet;
  std::array<std::int64_t, 3> input = {3, 96, 96};
  // Extra input sizes (C, H, W) to search; empty: the input is fixed.
  std::vector<std::array<std::int64_t, 3>> resolutions;
  std::optional<int> num_classes;  // a classifier head with this many classes, or none
  int num_layers_min = 7, num_layers_max = 7;
  Budgets budgets;
  Objective objective;
  SearchSpace space;
  // The exact file size for FLASH (exporter::tflite_file_bytes, passed in by the CLI); without
  // it the cost model's FLASH is its itemized estimate (costmodel::CostOptions).
  costmodel::FileBytesFunction tflite_file_bytes = nullptr;
  // The .tflite layout (exporter::tflite_layout, passed in by the CLI): exact FLASH and, for
  // Runtime::tflite_micro (which needs it), TFLite Micro's arena with tflm_kernels.
  costmodel::TfliteLayoutFunction tflite_layout = nullptr;
  // Optional, with tflite_layout (exporter::tflite_layout_moved): the same layout, the
  // candidate's graph consumed instead of copied.
  costmodel::TfliteLayoutMovedFunction tflite_layout_moved = nullptr;
  engine::TflmKernels tflm_kernels = engine::TflmKernels::cmsis_nn;
  // The runtime FLASH and RAM are priced for (costmodel::Runtime); tinyscale needs
  // generated_code_size (deploy::generated_code_size, passed in by the CLI) and prices the
  // kernels for budgets.core (cortex-m4, else the cortex-m7 table), as tflite_micro prices
  // TFLite Micro's code.
  costmodel::Runtime runtime = costmodel::Runtime::engine;
  costmodel::GeneratedCodeSizeFunction generated_code_size = nullptr;
  // Patch-based execution of each candidate (costmodel::CostOptions::patch; tinyscale and
  // engine runtimes): with auto, every candidate's RAM is its best patched plan's, so the
  // solver spends the RAM patches free on a larger network.
  costmodel::PatchOption patch;
  // Options of the family kept fixed (e.g. compatibility mode); the solver sets α, β,
  // t0/γ, depth, input and head.
  nets::PhiNetConfig phinet_base;
  nets::XiNetConfig xinet_base;
  // YOLO families: everything but the backbone's α, β, t0|γ, depth and the input; the
  // backbone's other options come from yolo_base.phinet / yolo_base.xinet.
  nets::YoloConfig yolo_base;
};

struct Utilization {
  double flash = 0.0, ram = 0.0;
  std::optional<double> macs;     // with a MAC budget
  std::optional<double> latency;  // with a latency target: estimate / target
};

struct Solution {
  Family family = Family::phinet;
  nets::PhiNetConfig phinet;  // the chosen configuration (family == phinet)
  nets::XiNetConfig xinet;    // (family == xinet)
  nets::YoloConfig yolo;      // (yolo families)
  double alpha = 0.0, beta = 0.0, t0 = 0.0;
  int gamma = 0;
  int num_layers = 0;
  std::array<std::int64_t, 3> input{};
  costmodel::CostReport cost;  // exact, totals only
  // costmodel::estimate_latency_ms(cost.compute, core, mhz), when the core is known
  std::optional<double> latency_ms;
  Utilization utilization;
  std::string binding;  // "flash", "ram", "macs" or "latency": the fullest budget
  double objective_value = 0.0;
  std::string command;  // the `tinyscale net ...` command that rebuilds it
  int evaluations = 0;  // points whose exact costs the search used
  int distinct_networks = 0;  // of them, distinct networks (each costed once by the cost model)
  double solve_ms = 0.0;
};

// No network of the family fits: the message names the budget that cannot be met and
// what the smallest network of the family costs.
class InfeasibleError : public Error {
 public:
  explicit InfeasibleError(const std::string& message) : Error(message) {}
};

Solution solve(const SolveRequest& request);

// The brute-force baseline the solver is measured against: every shape of a
// beta_points × s_points grid over the search box (s = t0, or every integer γ for XiNet when
// s_points ≤ 0), each with its largest exactly-feasible α, at every depth and resolution.
Solution solve_grid(const SolveRequest& request, int beta_points, int s_points);

// Builds the network of a solution (shape only unless weights are asked for).
core::Graph build_solution(const Solution& solution, const blocks::BuilderOptions& options = {});
// "tinyscale net phinet --input 3x96x96 --alpha 0.4321 ..." for a configuration.
std::string net_command(const nets::PhiNetConfig& config);
std::string net_command(const nets::XiNetConfig& config);
std::string net_command(const nets::YoloConfig& config);

}  // namespace tinyscale::scaling
