// quant_quality — how close int8 comes to float on the micromind interop fixtures, and how
// long quantization takes. Not a timing benchmark of the engine: a study run by hand, whose
// table goes into bench/README.md.
//
// For every fixture in ../shared/interop/onnx and every range method and calibration-set
// size: the fixture input's cosine (int8 vs float) and top-1, then the same over held-out
// inputs drawn from the fixture's input distribution (uniform [-1, 1], a seed the
// calibration does not use): median and 10th-percentile cosine, top-1 agreement.
//
// Usage: build/bench/quant_quality [held-out inputs, default 200]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/passes.h"
#include "engine/engine.h"
#include "export/onnx_reader.h"
#include "export/quantizer.h"
#include "recipes/mel.h"
#include "recipes/model_io.h"

namespace {

using namespace tinyscale;

// Runs `g` on a float NHWC input (quantized as TFLite's QUANTIZE would, for an int8 input)
// and returns its first output as floats.
std::vector<float> run(const core::Graph& g, const std::vector<float>& input) {
  engine::CompiledModel model;
  recipes::compile_model(model, g, "quant_quality: ");
  const engine::TensorRef& in = model.input(0);
  if (in.tensor->dtype == core::DType::int8) {
    const core::Quantization& q = in.tensor->quantization;
    const std::vector<std::int8_t> x =
        recipes::quantize_features(input, q.scales[0], static_cast<int>(q.zero_points[0]),
                                   recipes::FeatureRounding::to_nearest);
    std::copy(x.begin(), x.end(), in.as<std::int8_t>());
  } else {
    std::copy(input.begin(), input.end(), in.as<float>());
  }
  if (model.run() != engine::Status::ok) throw Error("run failed");
  return recipes::dequantize_output(model.output(0));
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ab += static_cast<double>(a[k]) * b[k];
    aa += static_cast<double>(a[k]) * a[k];
    bb += static_cast<double>(b[k]) * b[k];
  }
  return ab / std::sqrt(aa * bb);
}

std::ptrdiff_t top(const std::vector<float>& v) {
  return std::max_element(v.begin(), v.end()) - v.begin();
}

// The fixture's NCHW input as NHWC for `shape` (NHWC).
std::vector<float> fixture_input(const std::string& path, const core::Shape& shape) {
  const auto h = static_cast<std::size_t>(shape[1]), w = static_cast<std::size_t>(shape[2]),
             c = static_cast<std::size_t>(shape[3]);
  std::vector<float> nchw(h * w * c), x(h * w * c);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(nchw.data()),
          static_cast<std::streamsize>(nchw.size() * sizeof(float)));
  if (!in) throw Error(path + ": shorter than the model's input");
  for (std::size_t ch = 0; ch < c; ++ch)
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t xx = 0; xx < w; ++xx) x[(y * w + xx) * c + ch] = nchw[(ch * h + y) * w + xx];
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  const int held_out = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  const std::string root = std::string(TINYSCALE_SHARED_DIR) + "/interop/onnx/";
  if (!std::filesystem::exists(root)) {
    std::fprintf(stderr, "quant_quality: %s is absent\n", root.c_str());
    return 1;
  }
  try {
    std::printf(
        "| fixture | ranges | calib | quantize | fixture cos | top-1 f/q | held-out median | "
        "p10 | top-1 agree |\n|---|---|---|---|---|---|---|---|---|\n");
    for (const char* name : {"phinet_a", "xinet", "phinet_kws"}) {
      const core::Graph f = exporter::read_onnx(root + name + "/model_op13.onnx");
      const core::Graph lowered = core::lower_for_deployment(f);
      const std::vector<float> x =
          fixture_input(root + name + "/input_0.bin", f.tensor(f.inputs[0]).shape);
      const std::vector<float> fx = run(lowered, x);
      const auto inputs = exporter::synthetic_calibration(f, held_out, 12345);
      std::vector<std::vector<float>> reference;
      for (const auto& input : inputs) reference.push_back(run(lowered, input));
      for (const exporter::RangeMethod method :
           {exporter::RangeMethod::min_max, exporter::RangeMethod::percentile}) {
        for (const int samples : {16, 64, 256}) {
          exporter::QuantizeOptions options;
          options.ranges = method;
          const auto calibration = exporter::synthetic_calibration(f, samples, 11);
          const auto t0 = std::chrono::steady_clock::now();
          const core::Graph q = exporter::quantize(f, calibration, options);
          const double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          const std::vector<float> qx = run(q, x);
          std::vector<double> cosines;
          int agree = 0;
          for (std::size_t i = 0; i < inputs.size(); ++i) {
            const std::vector<float> qy = run(q, inputs[i]);
            cosines.push_back(cosine(reference[i], qy));
            agree += top(reference[i]) == top(qy);
          }
          std::sort(cosines.begin(), cosines.end());
          std::printf("| %s | %s | %d | %.2f s | %.4f | %td/%td | %.4f | %.4f | %d/%d |\n", name,
                      method == exporter::RangeMethod::min_max ? "min/max" : "99.99 %", samples,
                      seconds, cosine(fx, qx), top(fx), top(qx), cosines[cosines.size() / 2],
                      cosines[cosines.size() / 10], agree, held_out);
          std::fflush(stdout);
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quant_quality: %s\n", e.what());
    return 1;
  }
  return 0;
}
