// The ONNX protobuf classes (onnx::ModelProto, ...) and onnx's model checker, from Debian's
// libonnx-dev. Include this wrapper, never the onnx headers themselves: it silences the
// warnings the generated protobuf code triggers under the project's flags, for that code
// only. tinyscale_export defines ONNX_ML=1 and ONNX_NAMESPACE=onnx (publicly, so tests can
// build small models with the same classes) and links onnx, onnx_proto and protobuf.
//
// Usage:
//   onnx::ModelProto model;
//   if (model.ParseFromArray(bytes, size)) onnx::checker::check_model(model);
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#pragma GCC diagnostic pop
