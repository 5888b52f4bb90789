#include "core/graph.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "nets/phinet.h"

namespace tinyscale::core {
namespace {

std::string validation_error(const Graph& g) {
  try {
    g.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Graph small_graph() {
  Graph g;
  const int x = g.add_input("x", {1, 8, 8, 4});
  const int w = g.add_constant("w", {4, 1, 1, 4});
  const int y = g.add_node(OpType::conv2d, "conv", {x, w});
  const int z = g.add_node(OpType::relu, "relu", {y});
  g.mark_output(z);
  return g;
}

TEST(Graph, BasicsAndHelpers) {
  EXPECT_EQ(num_elements({1, 112, 112, 16}), 200704);
  EXPECT_EQ(num_elements({}), 1);
  EXPECT_EQ(shape_string({1, 96, 96, 3}), "1x96x96x3");
  EXPECT_EQ(dtype_size(DType::int32), 4);
  EXPECT_STREQ(dtype_name(DType::int8), "int8");
  const Graph g = small_graph();
  EXPECT_EQ(validation_error(g), "");
  EXPECT_EQ(g.producers(), (std::vector<int>{-1, -1, 0, 1}));
  EXPECT_EQ(g.use_counts(), (std::vector<int>{1, 1, 1, 1}));
}

TEST(Graph, ValidateNamesTheNodeForAWrongShape) {
  Graph g = small_graph();
  g.tensors[2].shape = {1, 8, 8, 5};
  const std::string e = validation_error(g);
  EXPECT_NE(e.find("node 0 'conv' (conv2d)"), std::string::npos) << e;
  EXPECT_NE(e.find("1x8x8x5"), std::string::npos) << e;
}

TEST(Graph, ValidateCatchesUseBeforeProduction) {
  Graph g = small_graph();
  std::swap(g.nodes[0], g.nodes[1]);
  const std::string e = validation_error(g);
  EXPECT_NE(e.find("node 0 'relu'"), std::string::npos) << e;
  EXPECT_NE(e.find("'conv'"), std::string::npos) << e;
  EXPECT_NE(e.find("not produced before"), std::string::npos) << e;
}

TEST(Graph, ValidateCatchesBadIdsAndConstantData) {
  Graph g = small_graph();
  g.nodes[1].inputs[0] = 99;
  EXPECT_NE(validation_error(g).find("node 1 'relu'"), std::string::npos);
  Graph h = small_graph();
  h.tensors[1].data.resize(3);  // 3 bytes for 16 floats
  EXPECT_NE(validation_error(h).find("constant 'w'"), std::string::npos);
  Graph o = small_graph();
  o.outputs = {1000};
  EXPECT_NE(validation_error(o).find("graph output"), std::string::npos);
  Graph d = small_graph();
  d.nodes[1].outputs = {2};  // writes the conv's output again
  EXPECT_NE(validation_error(d).find("already has a producer"), std::string::npos);
}

TEST(Graph, ValidateChecksEveryOutputOfASplit) {
  Graph g;
  const int x = g.add_input("x", {1, 2, 2, 8});
  Attributes a;
  a.axis = 3;
  const std::vector<int> parts = g.add_node_with_outputs(OpType::split, "chunk", {x}, 2, a);
  const int y = g.add_node(OpType::add, "add", {parts[0], parts[1]});
  g.mark_output(y);
  EXPECT_EQ(validation_error(g), "");
  EXPECT_NE(dump(g).find("-> %1:1x2x2x4, %2:1x2x2x4 axis=3"), std::string::npos) << dump(g);
  Graph wrong = g;
  wrong.tensor(parts[1]).shape = {1, 2, 2, 8};
  EXPECT_NE(validation_error(wrong).find("'chunk.1' has shape 1x2x2x8, the op gives 1x2x2x4"),
            std::string::npos)
      << validation_error(wrong);
}

TEST(Graph, ConstantWithValuesChecksCount) {
  Graph g;
  const std::vector<float> three = {1, 2, 3};
  EXPECT_THROW(g.add_constant("c", {4}, three), Error);
  const int c = g.add_constant("c", {3}, three);
  EXPECT_EQ(g.tensor(c).values<float>()[2], 3.0f);
}

TEST(Graph, ElementCountsSaturateAndOverflowingShapesAreNamed) {
  EXPECT_EQ(num_elements({1, 96, 96, 3}), 27648);
  // 2^32 · 2^32 does not fit int64: saturated, never a wrapped (here: zero) count.
  constexpr std::int64_t kBig = std::int64_t{1} << 32;
  EXPECT_EQ(num_elements({kBig, kBig}), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(num_elements({kBig, kBig, 0}), std::numeric_limits<std::int64_t>::max());
  Graph g;
  try {
    g.add_input("huge", {1, kBig, kBig, 3});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'huge': shape 1x4294967296x4294967296x3"),
              std::string::npos)
        << e.what();
  }
  // 2^61 float32 elements: the element count fits, the bytes do not.
  EXPECT_THROW(g.add_constant("w", {std::int64_t{1} << 61}), Error);
  // A shape edited after the fact is caught by validate() the same way.
  const int x = g.add_input("x", {1, 2, 2, 3});
  g.mark_output(x);
  g.tensor(x).shape = {1, kBig, kBig, 3};
  EXPECT_NE(validation_error(g).find("tensor 'x': shape 1x4294967296x4294967296x3 has more"),
            std::string::npos)
      << validation_error(g);
}

TEST(Graph, BuiltNetworksValidate) {
  nets::PhiNetConfig c;
  c.include_top = true;
  EXPECT_NO_THROW(nets::build_phinet(c, {.materialize_weights = true, .seed = 1}).validate());
}

// The solver reuses one network's costs for another with the same fingerprint: it must see
// every channel count, attribute and name, and nothing of the weights' values.
TEST(StructuralFingerprint, SeesStructureNotValues) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.alpha = 0.25;
  const Graph a = nets::build_phinet(c);
  EXPECT_EQ(structural_fingerprint(a), structural_fingerprint(nets::build_phinet(c)));
  // Weights' values are not part of it: a materialized build has the same fingerprint.
  EXPECT_EQ(structural_fingerprint(a),
            structural_fingerprint(nets::build_phinet(c, {.materialize_weights = true, .seed = 7})));
  // An alpha that rounds to the same channel counts gives the same network.
  nets::PhiNetConfig near = c;
  near.alpha = 0.2501;
  EXPECT_EQ(structural_fingerprint(a), structural_fingerprint(nets::build_phinet(near)));
  // One more channel anywhere, one attribute, one name, one output: a different fingerprint.
  nets::PhiNetConfig wider = c;
  wider.alpha = 0.3;
  EXPECT_FALSE(structural_fingerprint(a) == structural_fingerprint(nets::build_phinet(wider)));
  Graph stride = a;
  for (Node& n : stride.nodes) {
    if (n.op == OpType::conv2d) {
      n.attrs.pad_left += 1;
      break;
    }
  }
  EXPECT_FALSE(structural_fingerprint(a) == structural_fingerprint(stride));
  Graph renamed = a;
  renamed.tensors.back().name += "x";
  EXPECT_FALSE(structural_fingerprint(a) == structural_fingerprint(renamed));
  Graph more_outputs = a;
  more_outputs.outputs.push_back(0);
  EXPECT_FALSE(structural_fingerprint(a) == structural_fingerprint(more_outputs));
}

}  // namespace
}  // namespace tinyscale::core
