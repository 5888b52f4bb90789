#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/graph.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace tinyscale::core {
namespace {

TEST(Dump, OneLinePerNodeWithAttributes) {
  Graph g;
  const int x = g.add_input("input", {1, 8, 8, 3});
  const int w = g.add_constant("conv.weight", {4, 3, 3, 3});
  Attributes a;
  a.kernel_h = a.kernel_w = 3;
  a.stride_h = a.stride_w = 2;
  a.pad_bottom = a.pad_right = 1;
  const int y = g.add_node(OpType::conv2d, "conv", {x, w}, a);
  Attributes clip;
  const int z = g.add_node(OpType::clip, "act", {y}, clip);
  g.mark_output(z);
  EXPECT_EQ(dump(g),
            "input %0 \"input\" 1x8x8x3 float32\n"
            "#0 conv2d \"conv\" (%0:1x8x8x3, const 1:4x3x3x3) -> %2:1x4x4x4 kernel=3x3 stride=2x2 "
            "pad=0,1,0,1\n"
            "#1 clip \"act\" (%2:1x4x4x4) -> %3:1x4x4x4 min=0 max=6\n"
            "output %3 \"act\" 1x4x4x4\n");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Golden dumps; regenerate with
//   build/cli/tinyscale net phinet --input 3x32x32 --include-top --dump >
//   tests/golden/phinet_3x32x32.txt build/cli/tinyscale net xinet --input 3x64x64 --alpha 0.5
//   --include-top --num-classes 10 --dump > tests/golden/xinet_3x64x64.txt
TEST(Dump, PhiNetGolden) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.include_top = true;
  const std::string golden = read_file(TINYSCALE_SOURCE_DIR "/tests/golden/phinet_3x32x32.txt");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(dump(nets::build_phinet(c)), golden);
}

TEST(Dump, XiNetGolden) {
  nets::XiNetConfig c;
  c.input = {3, 64, 64};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 10;
  const std::string golden = read_file(TINYSCALE_SOURCE_DIR "/tests/golden/xinet_3x64x64.txt");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(dump(nets::build_xinet(c)), golden);
}

}  // namespace
}  // namespace tinyscale::core
