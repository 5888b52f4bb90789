// Internal to deploy/: what one node's code generator (an "emitter", deploy/op_emitters.cpp)
// sees and produces. generate_package (deploy/codegen.cpp) walks the nodes, hands each
// emitter a NodeEmitContext and collects the const data and the call it returns.
//
// An emitter reads its node's device params from the compiled model, declares the const
// arrays they point to (ctx.array / ctx.constant_input), the params struct itself
// (ctx.params) and returns the call, e.g.
//   const std::string w = ctx.constant_input(1, "weights");
//   const std::string p = ctx.params("Conv2dParams", "params", "{.batches = 1, ...}");
//   return "conv2d_s8(" + p + ", " + ctx.arena(in) + ", " + w + ", ...)";
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/graph.h"
#include "engine/engine.h"

namespace tinyscale::deploy {

// One `static const` definition of NAME.cpp.
struct ConstDefinition {
  std::string text;        // the full definition, ending with ";\n"
  std::int64_t bytes = 0;  // its data bytes (arrays), 0 for a params struct
  bool is_params = false;
};

class NodeEmitContext {
 public:
  NodeEmitContext(const engine::CompiledModel& model, const core::Graph& graph, int node,
                  std::string layer, std::map<int, std::string>* constant_names,
                  std::vector<ConstDefinition>* definitions, std::vector<std::string>* used_names,
                  const void* op_data)
      : model_(model),
        graph_(graph),
        node_(node),
        layer_(std::move(layer)),
        constant_names_(constant_names),
        definitions_(definitions),
        used_names_(used_names),
        op_data_(op_data) {}

  const engine::CompiledModel& model() const { return model_; }
  const core::Graph& graph() const { return graph_; }
  int node_index() const { return node_; }
  const core::Node& node() const { return graph_.nodes[static_cast<std::size_t>(node_)]; }
  const core::Tensor& input(int k) const {
    return graph_.tensor(node().inputs[static_cast<std::size_t>(k)]);
  }
  const core::Tensor& output(int k) const {
    return graph_.tensor(node().outputs[static_cast<std::size_t>(k)]);
  }
  const std::string& layer() const { return layer_; }
  // The node's int8 op_data as the engine's prepare() fills it: it begins with the node's
  // device params struct (KernelInfo::device_function), whose pointers point into the rest
  // of it or at constant tensors (engine/kernels/kernel.h).
  const void* op_data() const { return op_data_; }
  // The arena's symbol (NAME_arena), for const data that points into it.
  std::string arena_symbol;
  // False when only the package's figures are wanted (summarize_package): arrays keep their
  // names and sizes but their values are not written out as text.
  bool array_values = true;
  // Arrays already defined for the copies of one node in a patched graph (core/patch.h),
  // by node, suffix, type and contents: a copy's array equal to another copy's is that one
  // (its per-channel multipliers, shifts and tables are the same), not a new definition.
  // Null: every array its own.
  std::map<std::string, std::string>* patch_arrays = nullptr;
  // The target takes the fast kernels (device/*_fast.h) where they apply: Cortex-M4/M7/M33
  // (DSP extension) and the host (their portable twins). False: reference kernels only.
  bool fast_kernels = false;
  bool assume_usual_requantization = false;  // GenerateOptions
  // A convolution running a multiply fused into its input (engine/mul_fusion.h; the code
  // generator decided the target's fast pointwise kernel takes it): the multiply's node and
  // its prepared device params (device::MulS8Params); else -1 and null.
  int fused_multiply = -1;
  const void* fused_multiply_params = nullptr;

  // "arena + 1234": where the node's k-th input / output lives (throws if it is a constant).
  std::string arena_input(int k) const;
  std::string arena_output(int k) const;
  // "arena + 1234" for any tensor of the arena plan (e.g. the output of an activation a
  // convolution applies in its output stage).
  std::string arena_tensor(int id) const;
  // A const table of arena pointers named <layer>_<suffix>, for kernels taking several
  // inputs (`outputs` false: `const int8_t* const`) or outputs (`int8_t* const`): the
  // node's inputs k (activations only) or all its outputs. Returns its identifier.
  std::string arena_pointer_table(const std::string& suffix, bool outputs,
                                  const std::vector<int>& ks);
  // "arena + N" for the node's planned scratch buffer, "nullptr" without one.
  std::string scratch() const;
  std::int64_t scratch_offset() const;  // -1 without one

  // A const array named <layer>_<suffix> of `count` values of C type `type` ("int8_t",
  // "int32_t", "int16_t", "uint8_t", "float"); returns its identifier.
  std::string array(const char* type, const std::string& suffix, const void* data,
                    std::int64_t count);
  // The node's k-th input, a constant tensor, as a const array named <layer>_<suffix>
  // (or the name it already got from an earlier node).
  std::string constant_input(int k, const std::string& suffix);
  // A `static const tinyscale::device::<type> <layer>_<suffix> = <initializer>;`.
  // `device_bytes`: its size on a 32-bit Cortex-M (4-byte pointers), counted as model data.
  std::string params(const std::string& type, const std::string& suffix,
                     const std::string& initializer, std::int64_t device_bytes);

  // Device kernel files (op stems under engine/kernels/device/) the call needs.
  std::vector<std::string> kernels;

 private:
  std::string unique_name(const std::string& suffix);
  const engine::CompiledModel& model_;
  const core::Graph& graph_;
  int node_;
  std::string layer_;
  std::map<int, std::string>* constant_names_;
  std::vector<ConstDefinition>* definitions_;
  std::vector<std::string>* used_names_;
  const void* op_data_;
};

// The generator of one op: returns the call statement (without ';'), or throws
// tinyscale::Error. Null: the op has no device kernel yet.
using Emitter = std::string (*)(NodeEmitContext& ctx);
Emitter find_emitter(core::OpType op);

}  // namespace tinyscale::deploy
