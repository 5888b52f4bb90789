// Progress of long work (calibration, sweeps, Pareto traces, streaming KWS) on stderr, so
// stdout keeps only the results that scripts parse.
//
// On a terminal the report is one line rewritten in place ("\r", cleared to the end),
// finished with a newline at the last step. Anywhere else (a log file, a CI job, a pipe)
// it is one line per reported step, "tinyscale: <task> <done>/<total>[ <unit>][: <step>]",
// thinned so that a run prints at most `max_lines` of them: a step is printed when it
// crosses into a new 1/max_lines share of the work, and the last step always is. A
// quiet report prints nothing. The libraries only take callbacks; this class is the CLI's
// side of them.
//
// Usage:
//   cli::Progress progress("calibrating", samples, quiet);
//   for (int i = 0; i < samples; ++i) { ...; progress.update(i + 1); }
//   cli::Progress scan("scanning", seconds, quiet, "s");   // "scanning 60/600 s"
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace tinyscale::cli {

class Progress {
 public:
  // Reports on stderr, as a rewritten line when stderr is a terminal.
  Progress(std::string task, long long total, bool quiet, std::string unit = "");
  // Reports on `stream`; `terminal` chooses the rewritten line (tests use a file).
  Progress(std::string task, long long total, bool quiet, std::string unit, std::FILE* stream,
           bool terminal, int max_lines = kDefaultMaxLines);
  // A terminal line left unfinished (the work threw) is ended, so an error starts afresh.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` of `total` steps are complete; `step` says what the last one was.
  void update(long long done, std::string_view step = {});

  static constexpr int kDefaultMaxLines = 10;

 private:
  std::string task_, unit_;
  long long total_;
  bool quiet_;
  std::FILE* stream_;
  bool terminal_;
  int max_lines_;
  long long last_share_ = 0;  // the share (0..max_lines) of the last printed line
  bool line_open_ = false;    // a terminal line awaits its newline
};

}  // namespace tinyscale::cli
