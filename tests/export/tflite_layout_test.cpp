// Tests of export/tflite_layout: the arithmetic .tflite size equals the writer's output on
// random configurations of every family (PhiNet, XiNet, YOLO, KWS, tinyCLAP encoder; int8
// and float I/O; with metadata); tflite_layout(g) equals read_tflite_layout of the written
// file field by field; the interop models read (skipped without ../shared); truncated and
// garbage bytes give an Error naming the file; the writer's bytes are unchanged.
#include "export/tflite_layout.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "export/quantizer.h"
#include "export/tflite_writer.h"
#include "nets/kws.h"
#include "nets/phinet.h"
#include "nets/tinyclap.h"
#include "nets/xinet.h"
#include "nets/yolo.h"

namespace tinyscale::exporter {
namespace {

// The int8 graph `export` writes for a shape-only float graph, with every constant given
// deterministic bytes (the file's layout does not depend on their values).
core::Graph filled_int8(const core::Graph& float_graph, bool float_io) {
  core::Graph g = quantize_layout(float_graph, float_io);
  std::uint32_t state = 12345;
  for (core::Tensor& t : g.tensors) {
    if (!t.is_constant || t.has_data()) continue;
    t.data.resize(
        static_cast<std::size_t>(core::num_elements(t.shape) * core::dtype_size(t.dtype)));
    for (std::uint8_t& b : t.data) {
      state = state * 1664525u + 1013904223u;
      b = static_cast<std::uint8_t>(state >> 24);
    }
  }
  return g;
}

// The same with zero bytes: enough for the writer, and cheap.
core::Graph zero_filled(core::Graph g) {
  for (core::Tensor& t : g.tensors) {
    if (!t.is_constant || t.has_data()) continue;
    t.data.assign(static_cast<std::size_t>(core::num_elements(t.shape) * core::dtype_size(t.dtype)),
                  0);
  }
  return g;
}

std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (const std::uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

core::Graph phinet(std::int64_t size, double alpha) {
  nets::PhiNetConfig c;
  c.input = {3, size, size};
  c.alpha = alpha;
  c.include_top = true;
  return nets::build_phinet(c);
}

core::Graph xinet(std::int64_t size) {
  nets::XiNetConfig c;
  c.input = {3, size, size};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 10;
  return nets::build_xinet(c);
}

core::Graph small_yolo() {
  nets::YoloConfig c;
  c.input = {3, 96, 96};
  c.phinet.alpha = 0.25;
  c.num_classes = 3;
  c.depth_multiple = 0.33;
  return nets::build_yolo(c);
}

// The bytes write_tflite_buffer produced before the arithmetic layout existed (recorded with
// the closure-based writer): the refactoring of the builtin options changed no byte.
TEST(TfliteLayout, WrittenBytesAreUnchanged) {
  struct Case {
    const char* name;
    core::Graph graph;
    bool float_io;
    std::size_t size;
    std::uint64_t hash;
  };
  core::Graph with_metadata = phinet(96, 0.25);
  with_metadata.metadata.push_back({"a", {1, 2, 3}});
  with_metadata.metadata.push_back({"tinyscale.labels", std::vector<std::uint8_t>(37, 9)});
  std::vector<Case> cases;
  cases.push_back({"phinet_96", phinet(96, 0.25), false, 126800, 0x1d37e789c4bc5d33ull});
  cases.push_back({"phinet_96_float_io", phinet(96, 0.25), true, 127104, 0x7bd9e0f5f24edeafull});
  cases.push_back({"xinet_96", xinet(96), false, 174576, 0x3b43961aad1477eaull});
  cases.push_back({"yolo_96", small_yolo(), true, 402976, 0x81953438dcfed93aull});
  cases.push_back(
      {"kws", nets::build_kws(nets::KwsFeatures::mfcc), false, 104624, 0x37dbee8ab19ef06bull});
  cases.push_back({"metadata", with_metadata, false, 126992, 0x62db7be618638f68ull});
  for (const Case& c : cases) {
    const std::vector<std::uint8_t> bytes = write_tflite_buffer(filled_int8(c.graph, c.float_io));
    EXPECT_EQ(bytes.size(), c.size) << c.name;
    EXPECT_EQ(fnv1a(bytes), c.hash) << c.name;
  }
}

void expect_same_layout(const engine::TfliteLayout& a, const engine::TfliteLayout& b,
                        const std::string& where) {
  EXPECT_EQ(a.file_bytes, b.file_bytes) << where;
  EXPECT_EQ(a.subgraphs, b.subgraphs) << where;
  EXPECT_EQ(a.buffers, b.buffers) << where;
  EXPECT_EQ(a.operator_codes, b.operator_codes) << where;
  EXPECT_EQ(a.inputs, b.inputs) << where;
  EXPECT_EQ(a.outputs, b.outputs) << where;
  EXPECT_EQ(a.metadata_names, b.metadata_names) << where;
  ASSERT_EQ(a.tensors.size(), b.tensors.size()) << where;
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const engine::TfliteTensorLayout& x = a.tensors[i];
    const engine::TfliteTensorLayout& y = b.tensors[i];
    const std::string at = where + " tensor " + std::to_string(i);
    EXPECT_EQ(x.type, y.type) << at;
    EXPECT_EQ(x.shape, y.shape) << at;
    EXPECT_EQ(x.has_shape, y.has_shape) << at;
    EXPECT_EQ(x.constant, y.constant) << at;
    EXPECT_EQ(x.variable, y.variable) << at;
    EXPECT_EQ(x.quantized, y.quantized) << at;
    EXPECT_EQ(x.scales, y.scales) << at;
    EXPECT_EQ(x.zero_points, y.zero_points) << at;
    EXPECT_EQ(x.quantized_dimension, y.quantized_dimension) << at;
  }
  ASSERT_EQ(a.operators.size(), b.operators.size()) << where;
  for (std::size_t k = 0; k < a.operators.size(); ++k) {
    const engine::TfliteOperatorLayout& x = a.operators[k];
    const engine::TfliteOperatorLayout& y = b.operators[k];
    const std::string at = where + " operator " + std::to_string(k);
    EXPECT_EQ(x.builtin, y.builtin) << at;
    EXPECT_EQ(x.version, y.version) << at;
    EXPECT_EQ(x.inputs, y.inputs) << at;
    EXPECT_EQ(x.outputs, y.outputs) << at;
    EXPECT_EQ(x.intermediates, y.intermediates) << at;
    const engine::TfliteOptionsLayout& p = x.options;
    const engine::TfliteOptionsLayout& q = y.options;
    EXPECT_EQ(p.type, q.type) << at;
    EXPECT_EQ(p.padding, q.padding) << at;
    EXPECT_EQ(p.stride_w, q.stride_w) << at;
    EXPECT_EQ(p.stride_h, q.stride_h) << at;
    EXPECT_EQ(p.dilation_w, q.dilation_w) << at;
    EXPECT_EQ(p.dilation_h, q.dilation_h) << at;
    EXPECT_EQ(p.filter_w, q.filter_w) << at;
    EXPECT_EQ(p.filter_h, q.filter_h) << at;
    EXPECT_EQ(p.depth_multiplier, q.depth_multiplier) << at;
    EXPECT_EQ(p.fused_activation, q.fused_activation) << at;
    EXPECT_EQ(p.keep_num_dims, q.keep_num_dims) << at;
    EXPECT_EQ(p.weights_format, q.weights_format) << at;
    EXPECT_EQ(p.axis, q.axis) << at;
    EXPECT_EQ(p.num_splits, q.num_splits) << at;
    EXPECT_EQ(p.beta, q.beta) << at;
    EXPECT_EQ(p.alpha, q.alpha) << at;
    EXPECT_EQ(p.align_corners, q.align_corners) << at;
    EXPECT_EQ(p.half_pixel_centers, q.half_pixel_centers) << at;
    EXPECT_EQ(p.new_shape, q.new_shape) << at;
  }
}

// Random metadata: 0–3 entries, names and payloads of assorted lengths (each length mod 4
// and mod 16 matters to the padding).
void add_random_metadata(core::Graph& g, std::mt19937& rng) {
  const int count = static_cast<int>(rng() % 4);
  for (int k = 0; k < count; ++k) {
    core::MetadataEntry e;
    e.name = "m" + std::string(rng() % 23, 'x');
    e.bytes.assign(rng() % 70, static_cast<std::uint8_t>(k));
    g.metadata.push_back(std::move(e));
  }
}

// One random float network: its layouts (from the float graph, the graph consumed, and from
// its int8 layout graph) equal the written file's size and read_tflite_layout of it. Returns false when
// the configuration does not build (the builders reject some combinations).
template <typename Build>
bool check_random(Build build, std::mt19937& rng, const std::string& where) {
  core::Graph g;
  try {
    g = build();
  } catch (const Error&) {
    return false;
  }
  add_random_metadata(g, rng);
  const bool float_io = (rng() & 1) != 0;
  const engine::TfliteLayout from_float = tflite_layout(g, float_io);
  const core::Graph int8 = quantize_layout(g, float_io);
  const engine::TfliteLayout from_int8 = tflite_layout(int8);
  const std::vector<std::uint8_t> file = write_tflite_buffer(zero_filled(int8));
  const std::string at = where + (float_io ? " (float I/O)" : "");
  EXPECT_EQ(from_float.file_bytes, static_cast<std::int64_t>(file.size())) << at;
  EXPECT_EQ(tflite_file_bytes(g), tflite_layout(g, false).file_bytes) << at;
  const engine::TfliteLayout read = read_tflite_layout(file, at);
  expect_same_layout(from_float, read, at);
  expect_same_layout(from_int8, read, at + " (int8 graph)");
  // The consuming form (the solver's) is the same layout.
  expect_same_layout(tflite_layout_moved(core::Graph(g), float_io), read, at + " (moved)");
  return !::testing::Test::HasFailure();
}

double uniform(std::mt19937& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int pick(std::mt19937& rng, int lo, int hi) {  // [lo, hi]
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

nets::PhiNetConfig random_phinet(std::mt19937& rng) {
  nets::PhiNetConfig c;
  c.input = {pick(rng, 0, 1) != 0 ? 3 : 1, pick(rng, 24, 128), pick(rng, 16, 128)};
  c.num_layers = pick(rng, 4, 8);
  c.alpha = uniform(rng, 0.1, 0.8);
  c.beta = uniform(rng, 0.5, 1.0);
  c.t_zero = pick(rng, 2, 6);
  c.include_top = pick(rng, 0, 1) != 0;
  c.num_classes = pick(rng, 2, 20);
  c.compatibility = pick(rng, 0, 3) == 0;
  c.conv5_percent = pick(rng, 0, 1) != 0 ? 0.0 : uniform(rng, 0.0, 1.0);
  c.first_conv_stride = pick(rng, 1, 2);
  c.residuals = pick(rng, 0, 3) != 0;
  c.conv2d_input = pick(rng, 0, 2) == 0;
  c.pool = pick(rng, 0, 2) == 0;
  c.h_swish = pick(rng, 0, 2) != 0;
  c.squeeze_excite = pick(rng, 0, 2) != 0;
  c.divisor = pick(rng, 0, 2) == 0 ? 8 : 1;
  return c;
}

class TfliteLayoutRandom : public ::testing::Test {
 protected:
  // Runs `configs` random configurations; at least a third must build.
  template <typename Build>
  void run(const char* family, int configs, std::uint32_t seed, Build build) {
    std::mt19937 rng(seed);
    int built = 0;
    for (int i = 0; i < configs && !HasFailure(); ++i) {
      const std::string where = std::string(family) + " #" + std::to_string(i);
      if (check_random([&] { return build(rng); }, rng, where)) ++built;
    }
    EXPECT_GE(built, configs / 3) << family << ": too few configurations built";
    std::printf("  %s: %d of %d random configurations built and matched\n", family, built, configs);
  }
};

TEST_F(TfliteLayoutRandom, PhiNet) {
  run("phinet", 1200, 1, [](std::mt19937& rng) { return nets::build_phinet(random_phinet(rng)); });
}

TEST_F(TfliteLayoutRandom, XiNet) {
  run("xinet", 900, 2, [](std::mt19937& rng) {
    nets::XiNetConfig c;
    c.input = {pick(rng, 0, 1) != 0 ? 3 : 1, pick(rng, 48, 160), pick(rng, 48, 160)};
    c.alpha = uniform(rng, 0.1, 0.8);
    c.beta = uniform(rng, 0.5, 1.0);
    c.gamma = pick(rng, 2, 4);
    c.num_layers = pick(rng, 3, 6);
    c.include_top = pick(rng, 0, 1) != 0;
    c.num_classes = pick(rng, 2, 20);
    c.base_filters = pick(rng, 0, 3) == 0 ? 4 : 16;  // 2^sqrt(b) == b
    return nets::build_xinet(c);
  });
}

TEST_F(TfliteLayoutRandom, Yolo) {
  run("yolo", 150, 3, [](std::mt19937& rng) {
    nets::YoloConfig c;
    const std::int64_t size = 32 * pick(rng, 2, 4);
    c.input = {3, size, size};
    c.backbone = pick(rng, 0, 1) != 0 ? nets::YoloBackbone::phinet : nets::YoloBackbone::xinet;
    c.phinet.alpha = uniform(rng, 0.1, 0.4);
    c.xinet.alpha = uniform(rng, 0.1, 0.4);
    c.num_classes = pick(rng, 1, 10);
    c.heads = {pick(rng, 0, 1) != 0, pick(rng, 0, 1) != 0, true};
    c.neck = pick(rng, 0, 1) != 0 ? nets::YoloNeck::c2f : nets::YoloNeck::xiconv;
    c.depth_multiple = pick(rng, 0, 1) != 0 ? 0.33 : 0.5;
    c.reg_max = pick(rng, 0, 1) != 0 ? 8 : 16;
    return nets::build_yolo(c);
  });
}

TEST_F(TfliteLayoutRandom, Kws) {
  run("kws", 200, 4, [](std::mt19937& rng) {
    const auto features =
        pick(rng, 0, 1) != 0 ? nets::KwsFeatures::mfcc : nets::KwsFeatures::log_mel;
    if (pick(rng, 0, 3) == 0) return nets::build_kws(features, {}, pick(rng, 0, 1) != 0);
    nets::PhiNetConfig c = nets::kws_phinet_config(features);
    c.alpha = uniform(rng, 0.1, 1.0);
    c.beta = uniform(rng, 0.5, 1.0);
    c.num_layers = pick(rng, 4, 7);
    return nets::build_phinet(c);
  });
}

TEST_F(TfliteLayoutRandom, TinyClapEncoder) {
  run("tinyclap", 120, 5, [](std::mt19937& rng) {
    nets::TinyClapConfig c;
    c.alpha = uniform(rng, 0.1, 0.6);
    c.beta = uniform(rng, 0.5, 1.0);
    c.num_layers = pick(rng, 4, 7);
    c.n_mels = pick(rng, 16, 64);
    c.frames = pick(rng, 32, 160);
    c.audio_embedding = pick(rng, 16, 256);
    return nets::build_tinyclap_encoder(c);
  });
}

TEST(TfliteLayout, ReadsTheInteropModels) {
  const std::filesystem::path dir = std::string(TINYSCALE_SHARED_DIR) + "/interop/tflite";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " is absent";
  int models = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::filesystem::path path = entry.path() / "model.tflite";
    if (!std::filesystem::is_regular_file(path)) continue;
    std::ifstream f(path, std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(f),
                                          std::istreambuf_iterator<char>()};
    const engine::TfliteLayout l = read_tflite_layout(bytes, path.string());
    EXPECT_EQ(l.file_bytes, static_cast<std::int64_t>(bytes.size())) << path;
    EXPECT_FALSE(l.tensors.empty()) << path;
    EXPECT_FALSE(l.operators.empty()) << path;
    EXPECT_FALSE(l.inputs.empty()) << path;
    for (const engine::TfliteOperatorLayout& op : l.operators) {
      for (const std::int32_t id : op.inputs) EXPECT_LT(id, static_cast<int>(l.tensors.size()));
    }
    ++models;
  }
  EXPECT_GT(models, 0) << "no model.tflite under " << dir;
}

TEST(TfliteLayout, TruncatedOrGarbageBytesAreErrorsNamingTheFile) {
  const std::vector<std::uint8_t> file =
      write_tflite_buffer(zero_filled(quantize_layout(phinet(32, 0.25))));
  ASSERT_NO_THROW(read_tflite_layout(file, "ok.tflite"));
  const auto expect_error = [](const std::vector<std::uint8_t>& bytes, const std::string& what) {
    try {
      read_tflite_layout(bytes, "bad.tflite");
      ADD_FAILURE() << what << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.tflite"), std::string::npos) << e.what();
    }
  };
  expect_error({}, "empty");
  expect_error({1, 2, 3}, "3 bytes");
  for (const std::size_t keep : {8ul, 64ul, file.size() / 2, file.size() - 1}) {
    expect_error({file.begin(), file.begin() + static_cast<std::ptrdiff_t>(keep)},
                 "truncated to " + std::to_string(keep));
  }
  std::mt19937 rng(9);
  std::vector<std::uint8_t> garbage(4096);
  for (std::uint8_t& b : garbage) b = static_cast<std::uint8_t>(rng());
  expect_error(garbage, "random bytes");
  garbage[4] = 'T', garbage[5] = 'F', garbage[6] = 'L', garbage[7] = '3';
  expect_error(garbage, "random bytes with the identifier");
  // Damaged in place: an error or a layout, never a crash.
  for (int k = 0; k < 300; ++k) {
    std::vector<std::uint8_t> damaged = file;
    for (int j = 0; j < 4; ++j)
      damaged[rng() % std::min<std::size_t>(damaged.size(), 4096)] ^=
          static_cast<std::uint8_t>(1 + rng() % 255);
    try {
      read_tflite_layout(damaged, "damaged.tflite");
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("damaged.tflite"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tinyscale::exporter
