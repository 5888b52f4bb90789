// ONNX reader: converts a float model exported by torch.onnx.export (opsets 11-17; older
// opsets where the same ops apply) into an NHWC core::Graph, with no runtime transposes.
//
// Contract:
//   - Every byte is untrusted. The file must parse as an onnx::ModelProto and pass onnx's
//     checker; every dimension, element count, attribute and index is then checked before
//     use. Anything wrong throws tinyscale::Error whose message starts with the file name
//     and names the node (index in the file, ONNX name and op type) or tensor, and what was
//     expected versus found. A corrupt file never crashes.
//   - Sizes are bounded before anything is allocated from them (core/limits.h): a file over
//     kMaxModelFileBytes, a graph input, inferred output or folded constant over
//     kMaxTensorBytes, constants adding up to more than kMaxConstantBytes are refused with a
//     message naming the limit and the bytes asked for.
//   - Layout: a rank-4 activation [N,C,H,W] of the file is the NHWC tensor [N,H,W,C] of the
//     graph (graph inputs included); other ranks keep their shape. Conv weights OIHW become
//     OHWI constants, constant operands of Add/Mul are transposed to match, Concat/Softmax
//     axes are remapped. Reshape/Flatten/Squeeze/Unsqueeze of a computed tensor are
//     accepted only where NCHW and NHWC hold the elements in the same order (the [N,C,1,1]
//     -> [N,C] after a global pool); a layout-changing one is refused by name.
//   - Values known at import time (initializers, Constant nodes, torch's shape arithmetic:
//     Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, ConstantOfShape, Slice, Split,
//     Reshape, Transpose, Add/Sub/Mul/Div on constants) are folded; only constants a
//     computed node consumes become float32 graph constants (named after the ONNX tensor).
//   - Split of a computed tensor into equal parts becomes one split node (unequal sizes are
//     refused by name); so do the Slices torch writes for torch.chunk at opset 13+ (each an
//     equal part [k·n, (k+1)·n) along one axis), sharing one split node per tensor and axis.
//     Any other Slice of a computed tensor with unit steps becomes a slice node (a step other
//     than 1 is refused by name).
//   - x·HardSigmoid(x) with alpha 1/6, beta 1/2 (torch's hardswish export) becomes one
//     hard_swish node; a HardSigmoid used any other way is refused. Sub/Div by a constant
//     become add/mul by its negation/reciprocal. Nodes are named after the ONNX nodes.
//   - Anything else is refused: "<file>: node 12 '<name>' is <OpType>, which tinyscale
//     does not import; supported: ...". The result passes core::Graph::validate().
//   - BatchNormalization stays batch_norm; run core::lower_for_deployment before the engine.
//
// Usage:
//   core::Graph g = exporter::read_onnx("phinet.onnx");
//   core::Graph deployed = core::lower_for_deployment(g);
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/graph.h"

namespace tinyscale::exporter {

// Reads and converts the file at `path`; the path names the file in error messages.
core::Graph read_onnx(const std::string& path);

// Converts a serialized ModelProto held in memory; `origin` names it in error messages.
core::Graph read_onnx_buffer(std::span<const std::uint8_t> bytes, const std::string& origin);

// The ONNX op types read_onnx imports, comma-separated ("Conv, BatchNormalization, ...").
const char* onnx_supported_operators();

}  // namespace tinyscale::exporter
