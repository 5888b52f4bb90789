// cli/progress: the report a log file or CI job sees (one line per step, at most
// max_lines of them, the last step always), the rewritten terminal line, and --quiet.
#include "cli/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tinyscale::cli {
namespace {

// What `report` writes to a stream, as text.
template <typename Report>
std::string written(Report report) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* stream = open_memstream(&buffer, &size);
  report(stream);
  std::fclose(stream);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(Progress, NotATerminalPrintsOneLinePerStepWhenFew) {
  const std::string text = written([](std::FILE* s) {
    Progress p("solving", 3, false, "", s, false);
    p.update(1, "pico phinet");
    p.update(2, "pico xinet");
    p.update(3, "f746 phinet");
  });
  EXPECT_EQ(text,
            "tinyscale: solving 1/3: pico phinet\n"
            "tinyscale: solving 2/3: pico xinet\n"
            "tinyscale: solving 3/3: f746 phinet\n");
}

TEST(Progress, NotATerminalThinsManyStepsToMaxLinesEndingWithTheLast) {
  const std::string text = written([](std::FILE* s) {
    Progress p("calibrating", 32, false, "samples", s, false);
    for (int i = 1; i <= 32; ++i) p.update(i);
    p.update(32);  // a repeated last step is not printed twice
  });
  EXPECT_EQ(text,
            "tinyscale: calibrating 4/32 samples\n"
            "tinyscale: calibrating 7/32 samples\n"
            "tinyscale: calibrating 10/32 samples\n"
            "tinyscale: calibrating 13/32 samples\n"
            "tinyscale: calibrating 16/32 samples\n"
            "tinyscale: calibrating 20/32 samples\n"
            "tinyscale: calibrating 23/32 samples\n"
            "tinyscale: calibrating 26/32 samples\n"
            "tinyscale: calibrating 29/32 samples\n"
            "tinyscale: calibrating 32/32 samples\n");
}

TEST(Progress, NotATerminalAlwaysEndsWithTheLastStepEvenWhenSkipped) {
  // 600 one-second steps, 20 lines at most: every 30 s, and 600/600.
  const std::string text = written([](std::FILE* s) {
    Progress p("scanning", 600, false, "s of audio", s, false, 20);
    for (int i = 1; i <= 600; ++i) p.update(i);
  });
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 20);
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), "tinyscale: scanning 30/600 s of audio\n");
  EXPECT_NE(text.find("tinyscale: scanning 600/600 s of audio\n"), std::string::npos);
}

TEST(Progress, QuietPrintsNothing) {
  EXPECT_EQ(written([](std::FILE* s) {
              Progress p("solving", 2, true, "", s, false);
              p.update(1);
              p.update(2);
            }),
            "");
  EXPECT_EQ(written([](std::FILE* s) {
              Progress p("solving", 2, true, "", s, true);
              p.update(1);
            }),
            "");
}

TEST(Progress, TerminalRewritesOneLineAndEndsIt) {
  const std::string text = written([](std::FILE* s) {
    Progress p("solving", 2, false, "", s, true);
    p.update(1, "pico");
    p.update(2, "f746");
  });
  EXPECT_EQ(text,
            "\rtinyscale: solving [############............] 1/2: pico\033[K"
            "\rtinyscale: solving [########################] 2/2: f746\033[K\n");
}

TEST(Progress, AnUnfinishedTerminalLineIsEndedSoAnErrorStartsAfresh) {
  const std::string text = written([](std::FILE* s) {
    Progress p("solving", 4, false, "", s, true);
    p.update(1);
  });
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "exactly one newline, at the end";
}

}  // namespace
}  // namespace tinyscale::cli
