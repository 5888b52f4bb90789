// Test helpers: find a layer of a built network by its micromind module name.
#pragma once

#include <cstdint>
#include <string>

#include "core/graph.h"

namespace tinyscale::testing_support {

inline const core::Node* find_node(const core::Graph& g, const std::string& name) {
  for (const core::Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// Output channels of the named layer, or -1 when the network has no such layer.
inline std::int64_t out_channels(const core::Graph& g, const std::string& name) {
  const core::Node* n = find_node(g, name);
  return n ? g.tensor(n->outputs[0]).shape.back() : -1;
}

}  // namespace tinyscale::testing_support
