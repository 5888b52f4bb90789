#include "scaling/sweep.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "costmodel/costmodel.h"

namespace tinyscale::scaling {
namespace {

namespace fs = std::filesystem;

SolveRequest small_request(Family family) {
  SolveRequest r;
  r.family = family;
  r.input = {3, 64, 64};
  r.num_classes = 10;
  r.num_layers_min = r.num_layers_max = family == Family::phinet ? 7 : 5;
  return r;
}

// A board no network fits on, next to a small real one; the name has a comma to be quoted.
BoardDatabase tiny_boards() {
  return BoardDatabase::from_json_text(R"({"boards": [
    {"name": "Speck, 4 KiB", "core": "cortex-m0plus", "mhz": 48,
     "flash_bytes": 16384, "ram_bytes": 4096,
     "reserve_flash_bytes": 8192, "reserve_ram_bytes": 2048}
  ]})",
                                       "test boards");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

// Every solution fits its board's memory minus the reserves, recosted from scratch; the
// impossible board becomes error rows between the good ones and the sweep goes on.
TEST(Sweep, EverySolutionFitsItsBoardAndInfeasibleBoardsBecomeRows) {
  BoardDatabase db = BoardDatabase::builtin();
  db.merge(tiny_boards());
  const std::vector<std::string> names = {"pico", "Speck, 4 KiB", "NUCLEO-F401RE"};
  // One depth for both families (the base request's): 5, XiNet's default.
  const std::vector<SweepRow> rows =
      sweep_boards(db, names, {Family::phinet, Family::xinet}, small_request(Family::xinet));
  ASSERT_EQ(rows.size(), 6u);
  // Board order kept, families in the order given.
  EXPECT_EQ(rows[0].board, "Raspberry Pi Pico");
  EXPECT_EQ(rows[0].family, Family::phinet);
  EXPECT_EQ(rows[1].family, Family::xinet);
  EXPECT_EQ(rows[2].board, "Speck, 4 KiB");
  EXPECT_EQ(rows[4].board, "NUCLEO-F401RE");
  for (const SweepRow& row : rows) {
    const Board& board = db.find(row.board);
    if (row.board == "Speck, 4 KiB") {
      EXPECT_FALSE(row.solution) << row.board;
      const std::string family = row.family == Family::phinet ? "no PhiNet" : "no XiNet";
      EXPECT_EQ(row.error.rfind(family, 0), 0u) << row.error;
      continue;
    }
    ASSERT_TRUE(row.solution) << row.board << ": " << row.error;
    EXPECT_TRUE(row.error.empty());
    const Solution& s = *row.solution;
    EXPECT_EQ(s.family, row.family);
    const costmodel::CostReport exact =
        costmodel::analyze(build_solution(s), {.per_layer = false, .compare_greedy = false});
    EXPECT_LE(exact.flash_bytes, board.flash_bytes - board.reserve_flash_bytes) << row.board;
    // The RAM budget is the board's best single region less the reserve (one arena).
    EXPECT_LE(exact.ram_bytes, budgets_for_board(board).ram_bytes) << row.board;
    EXPECT_EQ(exact.ram_bytes, s.cost.ram_bytes);
    // Board budgets, not the (zero) budgets of the base request, drove the solve.
    EXPECT_GT(s.utilization.flash, 0.0);
    EXPECT_LE(s.utilization.flash, 1.0);
    EXPECT_LE(s.utilization.ram, 1.0);
    EXPECT_GT(std::max(s.utilization.flash, s.utilization.ram), 0.5) << row.board;
    EXPECT_TRUE(s.latency_ms.has_value()) << "board core gives a latency estimate";
  }
}

TEST(Sweep, UnknownBoardFailsBeforeSolving) {
  const BoardDatabase db = BoardDatabase::builtin();
  EXPECT_THROW(
      sweep_boards(db, {"pico", "no-such-board"}, {Family::phinet}, small_request(Family::phinet)),
      Error);
}

TEST(Pareto, FrontIsNonDominatedSortedAndWithinBudgets) {
  SolveRequest base = small_request(Family::phinet);
  base.budgets.flash_bytes = 256 * 1024;
  base.budgets.macs = 1000;  // ignored by the front
  const std::int64_t ram_min = 16 * 1024, ram_max = 256 * 1024;
  const std::vector<ParetoPoint> front = pareto_front(base, ram_min, ram_max, 6);
  ASSERT_GE(front.size(), 2u);
  for (std::size_t i = 0; i < front.size(); ++i) {
    const ParetoPoint& p = front[i];
    const Solution& s = p.solution;
    EXPECT_LE(s.cost.flash_bytes, base.budgets.flash_bytes);
    EXPECT_LE(s.cost.ram_bytes, p.ram_budget);
    EXPECT_GE(p.ram_budget, ram_min);
    EXPECT_LE(p.ram_budget, ram_max);
    EXPECT_GT(s.cost.macs, 1000) << "the MAC budget must be ignored";
    if (i > 0) {
      const Solution& prev = front[i - 1].solution;
      EXPECT_GT(s.cost.ram_bytes, prev.cost.ram_bytes) << "sorted by RAM used";
      EXPECT_GT(s.cost.macs, prev.cost.macs) << "MACs increase with RAM along the front";
    }
    for (const ParetoPoint& q : front) {
      if (&q == &p) continue;
      const bool dominates =
          q.solution.cost.ram_bytes <= s.cost.ram_bytes && q.solution.cost.macs >= s.cost.macs;
      EXPECT_FALSE(dominates) << "point " << i << " is dominated";
    }
  }
  // The front spends its RAM: the largest budget gives more MACs than the smallest.
  EXPECT_GT(front.back().solution.cost.macs, 2 * front.front().solution.cost.macs);
}

TEST(Pareto, SkipsInfeasibleBudgetsAndRejectsBadRanges) {
  SolveRequest base = small_request(Family::phinet);
  base.budgets.flash_bytes = 256 * 1024;
  // 1 KiB fits no PhiNet on 3x64x64; 64 KiB does.
  const std::vector<ParetoPoint> front = pareto_front(base, 1024, 64 * 1024, 3);
  ASSERT_FALSE(front.empty());
  for (const ParetoPoint& p : front) EXPECT_GT(p.ram_budget, 1024);
  EXPECT_TRUE(pareto_front(base, 512, 1024, 2).empty());
  EXPECT_THROW(pareto_front(base, 2048, 1024, 4), Error);
  EXPECT_THROW(pareto_front(base, 0, 1024, 4), Error);
  EXPECT_THROW(pareto_front(base, 1024, 2048, 1), Error);
}

// A solution with known figures, for the report formats.
Solution fake_solution(std::int64_t ram, std::int64_t macs) {
  Solution s;
  s.family = Family::phinet;
  s.alpha = 0.25;
  s.beta = 1.5;
  s.t0 = 6;
  s.num_layers = 7;
  s.input = {3, 64, 64};
  s.cost.params = 12345;
  s.cost.macs = macs;
  s.cost.flash_bytes = 50000;
  s.cost.ram_bytes = ram;
  s.utilization.flash = 0.5;
  s.utilization.ram = 0.75;
  s.binding = "ram";
  s.command = "tinyscale net phinet --alpha 0.25";
  return s;
}

// The progress callbacks the CLI reports from: one call per solve, in order, infeasible
// solves included, the last with done == total.
TEST(SweepProgress, OneCallPerSolveNamingIt) {
  std::vector<std::string> steps;
  const auto record = [&](int done, int total, const std::string& step) {
    steps.push_back(std::to_string(done) + "/" + std::to_string(total) + " " + step);
  };
  (void)sweep_boards(tiny_boards(), {}, {Family::phinet, Family::xinet},
                     small_request(Family::phinet), record);
  EXPECT_EQ(steps, (std::vector<std::string>{"1/2 Speck, 4 KiB phinet", "2/2 Speck, 4 KiB xinet"}));
  steps.clear();
  SolveRequest base = small_request(Family::phinet);
  base.budgets.flash_bytes = 256 * 1024;
  (void)pareto_front(base, 1024, 64 * 1024, 3, record);
  EXPECT_EQ(steps, (std::vector<std::string>{"1/3 RAM 1 KiB", "2/3 RAM 8 KiB", "3/3 RAM 64 KiB"}));
}

TEST(Csv, HeaderOneLinePerRowAndRfc4180Quoting) {
  std::vector<SweepRow> rows(2);
  rows[0].board = "Plain";
  rows[0].solution = fake_solution(40000, 3'000'000);
  rows[1].board = "Speck, 4 KiB";
  rows[1].family = Family::xinet;
  rows[1].error = "no XiNet fits: \"smallest\" needs 9 KiB";
  const std::vector<std::string> lines = lines_of(sweep_csv(rows));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "board,family,alpha,beta,t0,gamma,num_layers,input,params,macs,flash_bytes,ram_bytes,"
            "flash_utilization,ram_utilization,macs_utilization,latency_ms,binding,command,error");
  EXPECT_EQ(lines[1],
            "Plain,phinet,0.25,1.5,6,,7,3x64x64,12345,3000000,50000,40000,0.5,0.75,,,ram,"
            "tinyscale net phinet --alpha 0.25,");
  EXPECT_EQ(lines[2],
            "\"Speck, 4 KiB\",xinet,,,,,,,,,,,,,,,,,"
            "\"no XiNet fits: \"\"smallest\"\" needs 9 KiB\"");
  // Every line has as many fields as the header once quoted commas are discounted.
  EXPECT_EQ(count(lines[1], ","), count(lines[0], ","));
  EXPECT_EQ(count(lines[2], ",") - 1, count(lines[0], ","));

  EXPECT_EQ(csv_field("a\nb"), "\"a\nb\"");
  EXPECT_EQ(csv_field("plain"), "plain");
}

TEST(Csv, ParetoHasBudgetColumnAndOneLinePerPoint) {
  const std::vector<ParetoPoint> front = {{65536, fake_solution(40000, 3'000'000)},
                                          {131072, fake_solution(90000, 7'000'000)}};
  const std::vector<std::string> lines = lines_of(pareto_csv(front));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("ram_budget_bytes,family,alpha,", 0), 0u);
  EXPECT_EQ(lines[2].rfind("131072,phinet,0.25,1.5,6,,7,3x64x64,12345,7000000,", 0), 0u);
}

TEST(Svg, SelfContainedPlotWithOneMarkerPerPoint) {
  const std::vector<ParetoPoint> front = {{65536, fake_solution(40000, 3'000'000)},
                                          {131072, fake_solution(90000, 7'000'000)},
                                          {262144, fake_solution(200000, 9'500'000)}};
  const std::string svg = pareto_svg(front, "PhiNet <front> & co");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("</svg>\n"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 1);
  EXPECT_EQ(count(svg, "<circle"), 3);
  EXPECT_EQ(count(svg, "</circle>"), 3);
  EXPECT_NE(svg.find("PhiNet &lt;front&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(svg.find("<front>"), std::string::npos) << "title must be escaped";
  EXPECT_NE(svg.find("RAM used (KiB)"), std::string::npos);
  EXPECT_NE(svg.find("MACs (millions)"), std::string::npos);
  EXPECT_NE(svg.find("alpha 0.25, beta 1.5, t0 6"), std::string::npos) << "tooltip";
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos) << "no external resources";
  // Balanced tags: every opened element is closed or self-closed.
  for (const char* tag : {"g", "text", "title", "svg"}) {
    EXPECT_EQ(count(svg, std::string("<") + tag + ">") + count(svg, std::string("<") + tag + " "),
              count(svg, std::string("</") + tag + ">"))
        << tag;
  }
  // Higher MACs are drawn higher (smaller y) and more RAM further right.
  const std::size_t first = svg.find("<circle cx=\"");
  const std::size_t last = svg.rfind("<circle cx=\"");
  const double x0 = std::stod(svg.substr(first + 12)), x2 = std::stod(svg.substr(last + 12));
  const double y0 = std::stod(svg.substr(svg.find("cy=\"", first) + 4));
  const double y2 = std::stod(svg.substr(svg.find("cy=\"", last) + 4));
  EXPECT_LT(x0, x2);
  EXPECT_GT(y0, y2);

  const std::string empty = pareto_svg({}, "nothing");
  EXPECT_EQ(count(empty, "<circle"), 0);
  EXPECT_NE(empty.find("no network fits"), std::string::npos);
}

class AtomicWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinyscale_sweep_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }
  fs::path dir_;
};

TEST_F(AtomicWrite, ReplacesContentAndLeavesNoTempFile) {
  const std::string path = (dir_ / "out.csv").string();
  core::write_file_atomically(path, "first version, longer than the second\n");
  core::write_file_atomically(path, "second\n");
  EXPECT_EQ(read_all(path), "second\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.csv"});
  core::write_file_atomically(path, "");
  EXPECT_EQ(read_all(path), "");
}

TEST_F(AtomicWrite, MissingDirectoryThrowsAndLeavesNothing) {
  const std::string path = (dir_ / "missing" / "out.csv").string();
  try {
    core::write_file_atomically(path, "data");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicWrite, FailedRenameRemovesTheTempFileAndKeepsTheTarget) {
  // The target is a non-empty directory: the temp file is written, the rename fails.
  const fs::path target = dir_ / "taken";
  fs::create_directories(target / "inside");
  EXPECT_THROW(core::write_file_atomically(target.string(), "data"), Error);
  EXPECT_EQ(entries(), std::vector<std::string>{"taken"});
  EXPECT_TRUE(fs::is_directory(target / "inside"));
}

}  // namespace
}  // namespace tinyscale::scaling
