// deploy::generate_package on the host target: the generated package, compiled by the host
// g++ with a small main that reads the inputs and writes the outputs, must give the engine's
// outputs byte for byte; its arena is the engine's activation arena; every data array is
// const; an op without a device kernel is refused before anything is written.
#include "deploy/codegen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "blocks/builder.h"
#include "core/error.h"
#include "core/patch.h"
#include "engine/engine.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "nets/phinet.h"
#include "nets/tinyclap.h"
#include "nets/xinet.h"
#include "nets/yolo.h"
#include "tests/support/byte_files.h"

namespace tinyscale::deploy {
namespace {

namespace fs = std::filesystem;
using testing_support::read_bytes;
using testing_support::write_bytes;
const std::string kInterop = TINYSCALE_SHARED_DIR "/interop/tflite/";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// TINYSCALE_KEEP_PACKAGES=1 keeps the generated packages in the temp folder to read them.
void remove_package(const fs::path& dir) {
  if (!std::getenv("TINYSCALE_KEEP_PACKAGES")) fs::remove_all(dir);
}

fs::path temp_dir(const std::string& what) {
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_codegen_" + what + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// All inputs concatenated in, all outputs concatenated out.
// The engine's outputs under the plain plan (every node writes a fresh buffer), so the
// generated code, whose plan runs element-wise ops in place, is checked against it.
std::vector<std::uint8_t> run_engine(const core::Graph& graph,
                                     const std::vector<std::uint8_t>& in) {
  engine::CompiledModel model;
  char error[256] = "";
  EXPECT_EQ(model.compile(graph, {.in_place = false}, error, sizeof error), engine::Status::ok)
      << error;
  std::size_t at = 0;
  for (int i = 0; i < model.num_inputs(); ++i) {
    const engine::TensorRef& t = model.input(i);
    const auto n =
        static_cast<std::size_t>(core::num_elements(t.shape()) * core::dtype_size(t.tensor->dtype));
    std::memcpy(t.data, in.data() + at, n);
    at += n;
  }
  EXPECT_EQ(model.run(), engine::Status::ok);
  std::vector<std::uint8_t> out;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const engine::TensorRef& t = model.output(i);
    const auto n =
        static_cast<std::size_t>(core::num_elements(t.shape()) * core::dtype_size(t.tensor->dtype));
    const auto* p = static_cast<const std::uint8_t*>(t.data);
    out.insert(out.end(), p, p + n);
  }
  return out;
}

// The generated package built by the host compiler with a main reading argv[1] into the
// inputs and writing the outputs to argv[2]; returns the program's path.
fs::path build_package(const fs::path& package, const std::string& name) {
  const fs::path main_cpp = package / "test_main.cpp";
  std::ofstream(main_cpp) << "#include <cstdio>\n#include \"" << name << ".h\"\n"
                          << "int main(int argc, char** argv) {\n"
                          << "  if (argc != 3) return 2;\n"
                          << "  std::FILE* in = std::fopen(argv[1], \"rb\");\n"
                          << "  if (!in) return 3;\n"
                          << "  for (int i = 0; " << name << "_input(i); ++i) {\n"
                          << "    const " << name << "_tensor_t* t = " << name << "_input(i);\n"
                          << "    if (std::fread(t->data, 1, t->bytes, in) != "
                             "static_cast<std::size_t>(t->bytes)) return 4;\n"
                          << "  }\n  std::fclose(in);\n"
                          << "  " << name << "_invoke();\n"
                          << "  std::FILE* out = std::fopen(argv[2], \"wb\");\n"
                          << "  for (int i = 0; " << name << "_output(i); ++i) {\n"
                          << "    const " << name << "_tensor_t* t = " << name << "_output(i);\n"
                          << "    std::fwrite(t->data, 1, t->bytes, out);\n"
                          << "  }\n  std::fclose(out);\n  return 0;\n}\n";
  std::string sources = (package / (name + ".cpp")).string() + " " + main_cpp.string();
  for (const auto& e : fs::directory_iterator(package / "kernels")) {
    if (e.path().extension() == ".cpp") sources += " " + e.path().string();
  }
  const fs::path program = package / "model_test";
  const std::string command =
      "g++ -O1 -std=c++20 -Wall -Wextra -Werror -fno-exceptions -fno-rtti -I" + package.string() +
      " -I" + (package / "kernels").string() + " " + sources + " -o " + program.string() + " 2>" +
      (package / "build.log").string();
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "the package does not build:\n" << read_text(package / "build.log");
    return {};
  }
  return program;
}

std::vector<std::uint8_t> run_program(const fs::path& program,
                                      const std::vector<std::uint8_t>& in) {
  const fs::path dir = program.parent_path();
  write_bytes(dir / "in.bin", in);
  fs::remove(dir / "out.bin");
  const std::string command =
      program.string() + " " + (dir / "in.bin").string() + " " + (dir / "out.bin").string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return read_bytes(dir / "out.bin");
}

struct Generated {
  PackageSummary summary;
  std::int64_t engine_arena = 0;
  fs::path dir;
};

// Generates the package; skips the test (returns false) when the model still uses an op
// whose device kernel is not written yet, naming it.
bool generate(const core::Graph& graph, const std::string& name, Generated* g) {
  engine::CompiledModel model;
  char error[256] = "";
  EXPECT_EQ(model.compile(graph, {}, error, sizeof error), engine::Status::ok) << error;
  g->engine_arena = model.ram().activation_arena;
  g->dir = temp_dir(name);
  try {
    g->summary = generate_package(
        model, graph, {.name = name, .target = Target::host, .command_line = "codegen_test"},
        g->dir / "pkg");
  } catch (const Error& e) {
    if (std::string(e.what()).find("has no device kernel yet") != std::string::npos) {
      std::printf("  skipped: %s\n", e.what());
      return false;
    }
    throw;
  }
  return true;
}

void expect_matches_engine(const core::Graph& graph, const std::string& name,
                           const std::vector<std::vector<std::uint8_t>>& inputs) {
  Generated g;
  if (!generate(graph, name, &g)) GTEST_SKIP() << "an op has no device kernel yet";
  EXPECT_EQ(g.summary.arena_bytes, g.engine_arena);
  std::string kernels;
  for (const std::string& k : g.summary.kernels) kernels += " " + k;
  std::printf("  %s: arena %lld B (engine %lld B), model data %lld B, kernels:%s\n", name.c_str(),
              static_cast<long long>(g.summary.arena_bytes), static_cast<long long>(g.engine_arena),
              static_cast<long long>(g.summary.model_data_bytes), kernels.c_str());
  const fs::path program = build_package(g.dir / "pkg", name);
  ASSERT_FALSE(program.empty());
  for (const auto& in : inputs) {
    const std::vector<std::uint8_t> expected = run_engine(graph, in);
    const std::vector<std::uint8_t> got = run_program(program, in);
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_TRUE(got == expected) << name
                                 << ": the generated code's outputs differ from the engine's";
  }
  remove_package(g.dir);
}

std::vector<std::uint8_t> random_input(const core::Graph& graph, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> bytes;
  for (int id : graph.inputs) {
    const core::Tensor& t = graph.tensor(id);
    const auto n = static_cast<std::size_t>(core::num_elements(t.shape));
    for (std::size_t i = 0; i < n; ++i) {
      if (t.dtype == core::DType::float32) {  // uniform in [-1.5, 1.5]: some saturate
        const float v = std::uniform_real_distribution<float>(-1.5f, 1.5f)(rng);
        std::uint8_t b[sizeof v];
        std::memcpy(b, &v, sizeof v);
        bytes.insert(bytes.end(), b, b + sizeof v);
      } else {
        bytes.push_back(static_cast<std::uint8_t>(rng()));
      }
    }
  }
  return bytes;
}

// A small int8 network of convolutions only (plain, depthwise, pointwise; ReLU6 fused).
core::Graph conv_net() {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 5});
  int x = b.input("image", 3, 16, 16);
  x = b.conv2d("stem.conv", x,
               {.out_channels = 8, .kernel = 3, .stride = 2, .pad = {1, 1, 1, 1}, .bias = true});
  x = b.activation("stem.act", x, blocks::Activation::relu6);
  x = b.conv2d("dw.conv", x,
               {.out_channels = 8,
                .kernel = 3,
                .stride = 1,
                .pad = {1, 1, 1, 1},
                .groups = 8,
                .bias = true});
  x = b.conv2d("pw.conv", x, {.out_channels = 12, .kernel = 1, .bias = true});
  g.outputs = {x};
  return exporter::quantize(g, exporter::synthetic_calibration(g, 4, 1), {});
}

TEST(Codegen, ConvNetMatchesEngineByteForByte) {
  const core::Graph q = conv_net();
  expect_matches_engine(q, "conv_net", {random_input(q, 1), random_input(q, 2)});
}

// Standalone activations and the classifier tail: hard_swish, relu (after hard_swish,
// where nothing fuses it), global average pooling, flatten, fully_connected.
TEST(Codegen, ActivationNetMatchesEngineByteForByte) {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 9});
  int x = b.input("image", 3, 12, 12);
  x = b.conv2d("stem.conv", x,
               {.out_channels = 8, .kernel = 3, .stride = 2, .pad = {1, 1, 1, 1}, .bias = true});
  x = b.activation("stem.act", x, blocks::Activation::hard_swish);
  x = b.activation("relu", x, blocks::Activation::relu);
  x = b.global_avg_pool("gap", x);
  x = b.flatten("flatten", x);
  x = b.fully_connected("classifier", x, 5, true);
  g.outputs = {x};
  const core::Graph q = exporter::quantize(g, exporter::synthetic_calibration(g, 4, 2), {});
  expect_matches_engine(q, "activation_net", {random_input(q, 4), random_input(q, 5)});
}

// Activations that follow no convolution run on their own: where the target takes fast
// kernels (the host's portable twins here) as lookups in a table the generator filled with
// the op's own kernel (lut_s8), byte for byte the engine's.
TEST(Codegen, UnfusedActivationsRunAsTablesMatchingTheEngine) {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 12});
  int x = b.input("x", 16, 1, 1);
  x = b.flatten("flatten", x);
  x = b.fully_connected("fc1", x, 24, true);
  x = b.activation("gate", x, blocks::Activation::sigmoid);
  x = b.fully_connected("fc2", x, 12, true);
  x = b.activation("hswish", x, blocks::Activation::hard_swish);
  g.outputs = {x};
  const core::Graph q = exporter::quantize(g, exporter::synthetic_calibration(g, 4, 3), {});
  expect_matches_engine(q, "lut_net", {random_input(q, 6), random_input(q, 7)});
  Generated gen;
  ASSERT_TRUE(generate(q, "lut_net_kernels", &gen));
  const std::vector<std::string>& k = gen.summary.kernels;
  EXPECT_NE(std::find(k.begin(), k.end(), "lut"), k.end());
  EXPECT_EQ(std::find(k.begin(), k.end(), "sigmoid"), k.end());
  EXPECT_EQ(std::find(k.begin(), k.end(), "hard_swish"), k.end());
  remove_package(gen.dir);
}

// The hard_swish and the relu after it write over their inputs: the generated code passes
// one arena address as input and output, and says so in the layer comment.
TEST(Codegen, InPlaceNodesShareTheirInputsArenaBytes) {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 9});
  int x = b.input("image", 3, 12, 12);
  x = b.conv2d("stem.conv", x,
               {.out_channels = 8, .kernel = 3, .stride = 2, .pad = {1, 1, 1, 1}, .bias = true});
  x = b.activation("stem.act", x, blocks::Activation::hard_swish);
  x = b.activation("relu", x, blocks::Activation::relu);
  x = b.global_avg_pool("gap", x);
  g.outputs = {x};
  const core::Graph q = exporter::quantize(g, exporter::synthetic_calibration(g, 4, 2), {});
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(q, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path dir = temp_dir("in_place_net");
  generate_package(model, q, {.name = "in_place_net", .target = Target::host}, dir / "pkg");
  std::ifstream f(dir / "pkg" / "in_place_net.cpp");
  const std::string c((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  int in_place = 0;
  for (std::size_t n = 0; n < q.nodes.size(); ++n) {
    const core::Node& node = q.nodes[n];
    if (node.op != core::OpType::hard_swish && node.op != core::OpType::relu) continue;
    ++in_place;
    EXPECT_EQ(model.arena_plan().buffers.in_place_input[n], node.inputs[0]) << node.name;
    const std::int64_t at =
        model.arena_plan().tensor_offsets[static_cast<std::size_t>(node.inputs[0])];
    EXPECT_EQ(model.arena_plan().tensor_offsets[static_cast<std::size_t>(node.outputs[0])], at);
    EXPECT_NE(c.find("' [1, 6, 6, 8] -> [1, 6, 6, 8], in place\n"), std::string::npos) << c;
    EXPECT_NE(c.find("arena + " + std::to_string(at) + ", arena + " + std::to_string(at) + ","),
              std::string::npos)
        << node.name;
  }
  EXPECT_EQ(in_place, 2);
  remove_package(dir);
}

// A stride-1 same-padded depthwise convolution at the peak writes over its input
// (engine/liveness.h: deployment runs it in place only where that lowers the peak): the call
// passes one arena address as input and output and a scratch of one channel plane (12 x 12
// bytes) that overlaps neither; the generated code (depthwise_s8_fast_in_place, the fast
// kernels' portable twins on the host) computes the engine's bytes.
TEST(Codegen, InPlaceDepthwisePassesOneAddressAndAPlaneOfScratch) {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 11});
  int x = b.input("image", 1, 12, 12);
  x = b.conv2d("stem.conv", x, {.out_channels = 32, .kernel = 1, .bias = true});
  x = b.conv2d("dw", x,
               {.out_channels = 32, .kernel = 3, .pad = {1, 1, 1, 1}, .groups = 32, .bias = true});
  x = b.global_avg_pool("gap", x);
  g.outputs = {x};
  const core::Graph q = exporter::quantize(g, exporter::synthetic_calibration(g, 4, 2), {});
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(q, {}, error, sizeof error), engine::Status::ok) << error;
  const engine::ArenaPlan& plan = model.arena_plan();
  int depthwise = -1;
  for (std::size_t n = 0; n < q.nodes.size(); ++n) {
    if (q.nodes[n].op == core::OpType::conv2d && q.nodes[n].attrs.groups == 32) {
      depthwise = static_cast<int>(n);
    }
  }
  ASSERT_GE(depthwise, 0);
  const core::Node& node = q.nodes[static_cast<std::size_t>(depthwise)];
  EXPECT_EQ(plan.buffers.in_place_input[static_cast<std::size_t>(depthwise)], node.inputs[0]);
  const std::int64_t at = plan.tensor_offsets[static_cast<std::size_t>(node.inputs[0])];
  EXPECT_EQ(plan.tensor_offsets[static_cast<std::size_t>(node.outputs[0])], at);
  std::int64_t scratch_at = -1, scratch_bytes = 0;
  for (std::size_t i = 0; i < plan.buffers.node.size(); ++i) {
    if (plan.buffers.node[i] == depthwise) {
      scratch_at = plan.plan.offsets[i];
      scratch_bytes = plan.buffers.buffers[i].size;
    }
  }
  EXPECT_EQ(scratch_bytes, 12 * 12);
  EXPECT_TRUE(scratch_at + scratch_bytes <= at || at + 12 * 12 * 32 <= scratch_at) << scratch_at;
  const fs::path dir = temp_dir("in_place_dw_net");
  generate_package(model, q, {.name = "in_place_dw_net", .target = Target::host}, dir / "pkg");
  std::ifstream f(dir / "pkg" / "in_place_dw_net.cpp");
  const std::string c((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string a = "arena + " + std::to_string(at);
  // The host package takes the fast kernels' portable twins: depthwise_s8_fast_in_place(params,
  // data, weights, folded bias, scratch).
  const std::size_t call = c.find("depthwise_s8_fast_in_place(");
  ASSERT_NE(call, std::string::npos) << c;
  const std::string text = c.substr(call, c.find(';', call) - call);
  EXPECT_NE(text.find(", " + a + ", "), std::string::npos) << text;
  EXPECT_NE(text.find(", arena + " + std::to_string(scratch_at) + ")"), std::string::npos) << text;
  remove_package(dir);
  expect_matches_engine(q, "in_place_dw_net", {random_input(q, 6), random_input(q, 7)});
}

// Patch-based execution's assembly (engine/patch.h): a [1, 6, 8, 3] tensor cut into four
// tiles, each through relu, pasted back by a chain of pastes: the first holds its block alone
// (nullptr destination), each later one writes over the previous one's bytes (one arena
// address as destination and output); the generated code computes the engine's bytes.
TEST(Codegen, PasteChainWritesOneBufferAndMatchesEngine) {
  core::Graph g;
  auto quantize = [&](int id) {
    g.tensor(id).quantization.scales = {0.1f};
    g.tensor(id).quantization.zero_points = {-5};
  };
  const core::Shape shape = {1, 6, 8, 3};
  const int x = g.add_input("x", shape, core::DType::int8);
  quantize(x);
  int assembled = -1;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      const std::string tile = std::to_string(i) + std::to_string(j);
      core::Attributes cut;
      cut.slice_begin = {0, 3 * i, 4 * j, 0};
      cut.slice_size = {1, 3, 4, 3};
      const int s = g.add_node(core::OpType::slice, "slice" + tile, {x}, cut);
      quantize(s);
      const int r = g.add_node(core::OpType::relu, "relu" + tile, {s});
      quantize(r);
      core::Attributes at;
      at.slice_begin = cut.slice_begin;
      if (assembled < 0) {
        at.new_shape = shape;
        assembled = g.add_node(core::OpType::paste, "paste" + tile, {r}, at);
      } else {
        assembled = g.add_node(core::OpType::paste, "paste" + tile, {assembled, r}, at);
      }
      quantize(assembled);
    }
  }
  g.mark_output(assembled);
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(g, {}, error, sizeof error), engine::Status::ok) << error;
  const std::int64_t out = model.arena_plan().tensor_offsets[static_cast<std::size_t>(assembled)];
  const fs::path dir = temp_dir("paste_chain");
  generate_package(model, g, {.name = "paste_chain", .target = Target::host}, dir / "pkg");
  std::ifstream f(dir / "pkg" / "paste_chain.cpp");
  const std::string c((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string a = "arena + " + std::to_string(out);
  EXPECT_NE(c.find("paste_s8(paste00_params, nullptr, arena + "), std::string::npos) << c;
  EXPECT_NE(c.find("paste_s8(paste11_params, " + a + ", arena + "), std::string::npos) << c;
  EXPECT_NE(c.find(", " + a + ", nullptr)"), std::string::npos) << c;
  EXPECT_NE(c.find(".begin = {0, 0, 3, 4, 0}"), std::string::npos) << c;
  remove_package(dir);
  expect_matches_engine(g, "paste_chain", {random_input(g, 12), random_input(g, 13)});
}

// `export --float-io`: QUANTIZE (float32 -> int8) at the input, DEQUANTIZE at the output.
TEST(Codegen, FloatIoModelMatchesEngineByteForByte) {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 12});
  int x = b.input("image", 3, 8, 8);
  x = b.conv2d("conv", x, {.out_channels = 4, .kernel = 3, .pad = {1, 1, 1, 1}, .bias = true});
  g.outputs = {x};
  const core::Graph q =
      exporter::quantize(g, exporter::synthetic_calibration(g, 4, 3), {.float_io = true});
  ASSERT_EQ(q.tensor(q.inputs[0]).dtype, core::DType::float32);
  ASSERT_EQ(q.tensor(q.outputs[0]).dtype, core::DType::float32);
  expect_matches_engine(q, "float_io", {random_input(q, 10), random_input(q, 11)});
}

TEST(Codegen, PackageShape) {
  const core::Graph q = conv_net();
  Generated g;
  if (!generate(q, "tiny", &g)) GTEST_SKIP() << "conv2d has no device kernel yet";
  const fs::path pkg = g.dir / "pkg";
  for (const char* f : {"tiny.h", "tiny.cpp", "CMakeLists.txt", "README.md", "kernels/conv2d.h",
                        "kernels/conv2d_fast_short.cpp", "kernels/conv2d_fast_impl.h",
                        "kernels/dsp.h", "kernels/fixed_point.h"}) {
    EXPECT_TRUE(fs::exists(pkg / f)) << f;
  }
  const std::string h = read_text(pkg / "tiny.h"), c = read_text(pkg / "tiny.cpp");
  EXPECT_NE(h.find("Generated by tinyscale " + std::string(tinyscale_version())),
            std::string::npos);
  EXPECT_NE(h.find("#define TINY_ARENA_BYTES " + std::to_string(g.engine_arena)),
            std::string::npos);
  EXPECT_NE(h.find("void tiny_invoke(void);"), std::string::npos);
  EXPECT_NE(h.find("#define TINY_INPUT0_SHAPE {1, 16, 16, 3}"), std::string::npos);
  EXPECT_NE(c.find("alignas(16) int8_t tiny_arena[TINY_ARENA_BYTES];"), std::string::npos);
  // Every array but the arena is const data (FLASH), named after its layer.
  const std::regex array_definition(R"(^[^/\n]*\b(\w+)\[[0-9A-Z_]+\] = )", std::regex::multiline);
  int arrays = 0;
  for (auto it = std::sregex_iterator(c.begin(), c.end(), array_definition);
       it != std::sregex_iterator(); ++it) {
    const std::string line = it->str();
    if (line.find("tiny_arena") != std::string::npos) continue;
    ++arrays;
    EXPECT_NE(line.find("static const"), std::string::npos) << line;
  }
  EXPECT_GE(arrays, 3 * 4);  // weights, bias, multipliers, shifts of each conv
  EXPECT_NE(c.find("stem_conv_weights"), std::string::npos);
  EXPECT_NE(c.find("// node 0: conv2d 'stem.conv'"), std::string::npos);
  // No interpreter, no heap.
  for (const char* word : {"malloc", "new ", "flatbuffers", "std::vector"}) {
    EXPECT_EQ(c.find(word), std::string::npos) << word;
  }
  // Its 1x1 convolution runs as conv2d_s8_fast, its 3x3 stem as conv2d_s8_gemm_fast, its
  // depthwise (out of place: in place would not lower the peak) as depthwise_s8_fast, each in
  // its short-stage variant (TFLite's usual requantization, dsp.h short_output), whose file
  // alone the package holds.
  EXPECT_EQ(g.summary.kernels,
            (std::vector<std::string>{"conv2d_fast_short", "conv2d_gemm_fast_short",
                                      "depthwise_fast_short"}));
  EXPECT_NE(c.find("conv2d_s8_gemm_fast_short("), std::string::npos);
  EXPECT_NE(c.find("conv2d_s8_fast_short("), std::string::npos);
  EXPECT_FALSE(fs::exists(pkg / "kernels/conv2d_fast.cpp"));
  // Regenerated in place for a model without convolutions, the package drops conv2d's files.
  {
    core::Graph fc;
    blocks::Builder b(fc, {.materialize_weights = true, .seed = 2});
    int x = b.input("x", 4, 1, 1);
    x = b.flatten("flatten", x);
    x = b.fully_connected("fc", x, 3, true);
    fc.outputs = {x};
    const core::Graph qfc = exporter::quantize(fc, exporter::synthetic_calibration(fc, 2, 1), {});
    engine::CompiledModel m;
    char error[256] = "";
    ASSERT_EQ(m.compile(qfc, {}, error, sizeof error), engine::Status::ok) << error;
    generate_package(m, qfc, {.name = "tiny"}, pkg);
    EXPECT_FALSE(fs::exists(pkg / "kernels/conv2d.cpp"));
    // The host takes the fast kernels' portable twins: the GEMV, not fully_connected_s8.
    EXPECT_TRUE(fs::exists(pkg / "kernels/fully_connected_fast.cpp"));
    EXPECT_FALSE(fs::exists(pkg / "kernels/fully_connected.cpp"));
    EXPECT_TRUE(fs::exists(pkg / "kernels/fixed_point.h"));
  }
  remove_package(g.dir);
}

TEST(Codegen, UnsupportedOpIsRefusedBeforeWriting) {
  // A float graph's batch_norm has no int8 device kernel.
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 1});
  int x = b.input("image", 3, 8, 8);
  x = b.batch_norm("bn", x, 1e-3f);
  g.outputs = {x};
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(g, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path dir = temp_dir("refused") / "pkg";
  try {
    generate_package(model, g, {.name = "m"}, dir);
    FAIL() << "batch_norm was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("batch_norm"), std::string::npos) << what;
    EXPECT_NE(what.find("node 0 'bn'"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(dir));
  fs::remove_all(dir.parent_path());
}

TEST(Codegen, SanitizedNames) {
  EXPECT_EQ(sanitize_identifier("model/conv2d_1/Conv2D"), "model_conv2d_1_conv2d");
  EXPECT_EQ(sanitize_identifier("stem.conv"), "stem_conv");
  EXPECT_EQ(sanitize_identifier("3x3 conv--a"), "_3x3_conv_a");
  EXPECT_EQ(sanitize_identifier("::"), "x");
  EXPECT_EQ(parse_target("cortex-m7"), Target::cortex_m7);
  EXPECT_THROW(parse_target("cortex-m0"), Error);
}

// The package builds as the README says, `cmake -DCMAKE_TOOLCHAIN_FILE=arm-none-eabi.cmake`
// then `cmake --build`, warning-free under -Wall -Wextra -Werror for every Cortex-M target,
// with a model using many kernels (a small YOLO-PhiNet: add, concat, conv2d, pools, mul,
// hard_swish, resize_nearest, sigmoid, split).
TEST(Codegen, CortexMPackagesBuildWithTheirToolchainFileWithoutWarnings) {
  if (std::system("command -v arm-none-eabi-g++ >/dev/null 2>&1 && command -v cmake "
                  ">/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "arm-none-eabi-g++ is absent (scripts/setup.sh installs gcc-arm-none-eabi)";
  }
  nets::YoloConfig c;
  c.input = {3, 32, 32};
  c.phinet.alpha = 0.25;
  c.num_classes = 2;
  c.depth_multiple = 1.0 / 3.0;
  core::Graph f = nets::build_yolo(c, {.materialize_weights = true, .seed = 13});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_images(f, 2, 8), {});
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(q, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path dir = temp_dir("cross");
  for (const Target target : {Target::cortex_m4, Target::cortex_m7, Target::cortex_m33,
                              Target::cortex_m3, Target::cortex_m0plus}) {
    const fs::path pkg = dir / target_name(target);
    const PackageSummary s = generate_package(model, q, {.name = "det", .target = target}, pkg);
    EXPECT_NE(read_text(pkg / "CMakeLists.txt").find(std::string("-mcpu=") + target_name(target)),
              std::string::npos);
    const std::string command = "cmake -S " + pkg.string() + " -B " + (pkg / "build").string() +
                                " -DCMAKE_TOOLCHAIN_FILE=arm-none-eabi.cmake >" +
                                (pkg / "build.log").string() + " 2>&1 && cmake --build " +
                                (pkg / "build").string() + " >>" + (pkg / "build.log").string() +
                                " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << read_text(pkg / "build.log");
    EXPECT_TRUE(fs::exists(pkg / "build" / "libdet.a")) << target_name(target);
    EXPECT_EQ(read_text(pkg / "build.log").find("warning"), std::string::npos)
        << read_text(pkg / "build.log");
    EXPECT_GE(s.kernels.size(), 8u);
    // The cores with the DSP extension take the fast kernels; the M3 and M0+ do not.
    const bool dsp = target != Target::cortex_m3 && target != Target::cortex_m0plus;
    const bool pointwise_fast = std::any_of(s.kernels.begin(), s.kernels.end(), [](const auto& k) {
      return k == "conv2d_fast" || k == "conv2d_fast_short";
    });
    EXPECT_EQ(pointwise_fast, dsp) << target_name(target);
    // ... and their library holds the DSP instructions (SMLAD) only where the core has them.
    const std::string objdump = "arm-none-eabi-objdump -d " +
                                (pkg / "build" / "libdet.a").string() + " > " +
                                (pkg / "disassembly.txt").string();
    ASSERT_EQ(std::system(objdump.c_str()), 0);
    EXPECT_EQ(read_text(pkg / "disassembly.txt").find("smlad") != std::string::npos, dsp)
        << target_name(target);
    if (target != Target::cortex_m7) continue;
    // NAME_MODEL_DATA_BYTES is the read-only data the compiler emits for NAME.cpp, to the
    // byte: the sizes of its const symbols (all but the I/O descriptor tables).
    const std::string nm = "cd " + pkg.string() +
                           " && arm-none-eabi-g++ -std=c++20 -O2 -fno-exceptions -fno-rtti "
                           "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16 -I. -Ikernels "
                           "-c det.cpp -o det.o && arm-none-eabi-nm -S det.o > symbols.txt";
    ASSERT_EQ(std::system(nm.c_str()), 0);
    std::istringstream symbols(read_text(pkg / "symbols.txt"));
    std::string line;
    std::int64_t rodata = 0;
    while (std::getline(symbols, line)) {
      std::istringstream fields(line);
      std::string address, size, kind, symbol;
      if (!(fields >> address >> size >> kind >> symbol)) continue;
      if ((kind == "r" || kind == "R") && symbol.find("kInputs") == std::string::npos &&
          symbol.find("kOutputs") == std::string::npos) {
        rodata += std::stoll(size, nullptr, 16);
      }
    }
    EXPECT_EQ(rodata, s.model_data_bytes);
  }
  remove_package(dir);
}

// The README's main.c compiles as C against the generated header (C linkage, C types).
TEST(Codegen, ReadmeMainCompilesAsC) {
  if (std::system("command -v gcc >/dev/null 2>&1") != 0) GTEST_SKIP() << "no gcc";
  const core::Graph q = conv_net();
  Generated g;
  if (!generate(q, "kws", &g)) GTEST_SKIP() << "conv2d has no device kernel yet";
  const fs::path pkg = g.dir / "pkg";
  const std::string readme = read_text(pkg / "README.md");
  const auto begin = readme.find("```c\n"), end = readme.find("```\n", begin + 5);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::string main_c = readme.substr(begin + 5, end - begin - 5);
  int lines = 0;
  for (const char ch : main_c) lines += ch == '\n';
  EXPECT_LE(lines, 20) << main_c;
  std::ofstream(pkg / "main.c") << main_c;
  const std::string command = "gcc -std=c11 -Wall -Wextra -Werror -I" + pkg.string() + " -c " +
                              (pkg / "main.c").string() + " -o " + (pkg / "main.o").string() +
                              " 2>" + (pkg / "c.log").string();
  EXPECT_EQ(std::system(command.c_str()), 0) << main_c << read_text(pkg / "c.log");
  remove_package(g.dir);
}

// The issue's small detector and audio encoder (shapes as tests/export/data_init_test.cpp).
TEST(Codegen, SmallYoloPhiNetMatchesEngineByteForByte) {
  nets::YoloConfig c;
  c.input = {3, 64, 64};
  c.phinet.alpha = 0.25;
  c.num_classes = 3;
  c.depth_multiple = 1.0 / 3.0;
  core::Graph f = nets::build_yolo(c, {.materialize_weights = true, .seed = 10});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_images(f, 2, 6), {});
  expect_matches_engine(q, "yolo_phinet", {random_input(q, 8)});
}

TEST(Codegen, SmallTinyClapEncoderMatchesEngineByteForByte) {
  nets::TinyClapConfig c;
  c.alpha = 0.25;
  c.frames = 64;
  c.n_mels = 32;
  c.audio_embedding = 32;
  c.shared_embedding = 16;
  core::Graph f = nets::build_tinyclap_encoder(c, {.materialize_weights = true, .seed = 11});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 7), {});
  expect_matches_engine(q, "tinyclap", {random_input(q, 9)});
}

class MlperfModel : public ::testing::TestWithParam<const char*> {};

TEST_P(MlperfModel, MatchesEngineByteForByte) {
  const std::string dir = kInterop + GetParam() + "/";
  if (!fs::exists(dir + "model.tflite")) GTEST_SKIP() << "../shared/interop is absent";
  const core::Graph graph = exporter::read_tflite(dir + "model.tflite");
  std::vector<std::vector<std::uint8_t>> inputs;
  for (const char* c : {"uniform", "sine", "narrow"}) {
    inputs.push_back(read_bytes(dir + "input_" + c + ".bin"));
  }
  expect_matches_engine(
      graph, GetParam() == std::string("kws_ref_model") ? "ds_cnn" : "autoencoder", inputs);
}

INSTANTIATE_TEST_SUITE_P(Interop, MlperfModel, ::testing::Values("kws_ref_model", "ad01_int8"));

TEST(Codegen, PhiNetMatchesEngineByteForByte) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.alpha = 0.25;
  c.num_layers = 4;
  c.downsampling_layers = {2};
  c.compatibility = true;  // conv2d, ReLU6 and add only
  core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 7});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 3), {});
  expect_matches_engine(q, "phinet", {random_input(q, 3)});
}

// The full PhiNet block (h-swish, squeeze-excite) with the classifier head.
TEST(Codegen, PhiNetWithSqueezeExciteAndHeadMatchesEngine) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.alpha = 0.25;
  c.num_layers = 4;
  c.downsampling_layers = {2};
  c.include_top = true;
  core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 8});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 4), {});
  expect_matches_engine(q, "phinet_se", {random_input(q, 6)});
}

TEST(Codegen, XiNetMatchesEngineByteForByte) {
  nets::XiNetConfig c;
  c.input = {3, 32, 32};
  c.alpha = 0.25;
  c.num_layers = 4;
  c.include_top = true;
  c.num_classes = 10;
  core::Graph f = nets::build_xinet(c, {.materialize_weights = true, .seed = 9});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 5), {});
  expect_matches_engine(q, "xinet", {random_input(q, 7)});
}

// A patched graph (core/patch.h) repeats the stage's nodes per patch; their per-channel
// multipliers, shifts and activation tables are the same, so the package defines them once
// (only the params structs, which hold each patch's geometry, repeat), matches the engine,
// and generated_code_size prices that shared data as the package holds it.
TEST(Codegen, PatchCopiesShareTheirArrays) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.alpha = 0.25;
  c.num_layers = 4;
  c.downsampling_layers = {2};
  core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 12});
  const core::Graph q = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 6), {});
  const core::PatchStage stage = core::patch_stages(q).back();
  const core::PatchedGraph p = core::apply_patches(q, {stage.layers, 3});
  engine::CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(p.graph, {}, error, sizeof error), engine::Status::ok) << error;
  const fs::path dir = temp_dir("patch_arrays");
  const PackageSummary s =
      generate_package(model, p.graph, {.name = "patched", .target = Target::host}, dir / "pkg");
  std::ifstream in(dir / "pkg" / "patched.cpp");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::regex array_definition(R"(static const \w+ (\w+)\[)");
  int first_patch = 0, other_patches = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), array_definition), end; it != end; ++it) {
    const std::string name = (*it)[1];
    if (name.find("_p0_") != std::string::npos) ++first_patch;
    if (std::regex_search(name, std::regex("_p[1-8]_"))) ++other_patches;
  }
  EXPECT_GT(first_patch, 5) << "the first patch defines its arrays";
  EXPECT_EQ(other_patches, 0) << "the other patches' arrays are the first's";
  EXPECT_EQ(generated_code_size(p.graph).model_data_bytes, s.model_data_bytes);
  EXPECT_EQ(generated_code_size(f).model_data_bytes,
            generated_code_size(q).model_data_bytes);  // unchanged without patches
  remove_package(dir);
  expect_matches_engine(p.graph, "patched", {random_input(p.graph, 8)});
}

}  // namespace
}  // namespace tinyscale::deploy
