#include "nets/tinyclap.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <random>

#include "core/error.h"
#include "nets/config_checks.h"
#include "nets/phinet.h"

namespace tinyscale::nets {
namespace {

constexpr std::uint8_t kMagic[4] = {'T', 'S', 'C', 'P'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderBytes = 4 + 4 * 4 + 4;  // magic, version, in, out, bands, eps
// Far above any CLAP width, small enough that the size arithmetic cannot overflow.
constexpr std::uint32_t kMaxWidth = 1u << 16;

void check_config(const TinyClapConfig& c) {
  require_above("tinyclap", "--alpha", c.alpha, 0.0);
  require_above("tinyclap", "--beta", c.beta, 0.0);
  require_above("tinyclap", "--t0", c.t_zero, 0.0);
  require_at_least("tinyclap", "--num-layers", c.num_layers, 1);
  require_at_least("tinyclap", "--mels", c.n_mels, 1);
  require_at_least("tinyclap", "--frames", c.frames, 1);
  require_at_least("tinyclap", "--embedding", c.audio_embedding, 1);
  require_at_least("tinyclap", "--shared", c.shared_embedding, 1);
  if (c.audio_embedding > static_cast<int>(kMaxWidth) ||
      c.shared_embedding > static_cast<int>(kMaxWidth)) {
    throw Error("tinyclap: --embedding and --shared must be ≤ " + std::to_string(kMaxWidth));
  }
  // The log-mel input is the PhiNet's; named here by the options the user gave.
  if (static_cast<double>(c.frames) * c.n_mels > static_cast<double>(kMaxTensorBytes)) {
    throw Error("tinyclap: --frames " + std::to_string(c.frames) + " x --mels " +
                std::to_string(c.n_mels) + " is " +
                limit_text(static_cast<double>(c.frames) * c.n_mels) +
                " bytes of input as int8; a tensor may have at most " +
                limit_text(static_cast<double>(kMaxTensorBytes)) + " bytes (nets/config_checks.h)");
  }
}

// PyTorch's Linear initialization bound with the Builder's platform-independent stream.
std::vector<float> uniform(std::mt19937_64& rng, std::size_t count, double bound) {
  std::vector<float> values(count);
  for (float& v : values) {
    const double unit = static_cast<double>(rng() >> 40) / static_cast<double>(1 << 24);
    v = static_cast<float>((2.0 * unit - 1.0) * bound);
  }
  return values;
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint32_t get_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(bytes[at + k]) << (8 * k);
  return v;
}

void check_size(const std::vector<float>& v, std::size_t expected, const char* field) {
  if (v.size() != expected) {
    throw Error(std::string("clap projection: ") + field + " holds " + std::to_string(v.size()) +
                " values, expected " + std::to_string(expected));
  }
}

void check_finite(const std::vector<float>& v, const std::string& what) {
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (!std::isfinite(v[k])) throw Error(what + "[" + std::to_string(k) + "] is not finite");
  }
}

// The float arrays of the blob, in their stored order.
template <typename P>
auto fields(P& p) {
  return std::array{&p.w1,       &p.b1,      &p.w2,        &p.b2,
                    &p.ln_gamma, &p.ln_beta, &p.mel_scale, &p.mel_shift};
}
constexpr const char* kFieldNames[] = {"w1",       "b1",      "w2",        "b2",
                                       "ln_gamma", "ln_beta", "mel_scale", "mel_shift"};

}  // namespace

core::Graph build_tinyclap_encoder(const TinyClapConfig& config,
                                   const blocks::BuilderOptions& options) {
  check_config(config);
  PhiNetConfig phinet;
  phinet.input = {1, config.frames, config.n_mels};
  phinet.alpha = config.alpha;
  phinet.beta = config.beta;
  phinet.t_zero = config.t_zero;
  phinet.num_layers = config.num_layers;
  phinet.compatibility = true;
  core::Graph graph = build_phinet(phinet, options);

  // The head continues the same graph; its weights come from a stream of their own so they
  // are not a replay of the stem's.
  const int features = graph.outputs.at(0);
  graph.outputs.clear();
  blocks::Builder b(graph, {.materialize_weights = options.materialize_weights,
                            .seed = options.seed ^ 0x9e3779b97f4a7c15ull});
  int x =
      b.conv2d("pn_block", features,
               {.out_channels = config.audio_embedding, .kernel = 1, .stride = 2, .bias = true});
  x = b.global_avg_pool("mean", x);
  x = b.flatten("audio_embedding", x);
  graph.mark_output(x);
  return graph;
}

ClapProjection init_clap_projection(const TinyClapConfig& config, std::uint64_t seed) {
  check_config(config);
  ClapProjection p;
  p.in = config.audio_embedding;
  p.out = config.shared_embedding;
  const auto in = static_cast<std::size_t>(p.in), out = static_cast<std::size_t>(p.out);
  std::mt19937_64 rng(seed);
  p.w1 = uniform(rng, out * in, 1.0 / std::sqrt(static_cast<double>(in)));
  p.w2 = uniform(rng, out * out, 1.0 / std::sqrt(static_cast<double>(out)));
  p.b1.assign(out, 0.0f);
  p.b2.assign(out, 0.0f);
  p.ln_gamma.assign(out, 1.0f);
  p.ln_beta.assign(out, 0.0f);
  p.ln_eps = 1e-5f;
  const auto bands = static_cast<std::size_t>(config.n_mels);
  p.mel_scale.assign(bands, static_cast<float>(1.0 / std::sqrt(1.0 + 1e-5)));
  p.mel_shift.assign(bands, 0.0f);
  return p;
}

void validate_clap_projection(const ClapProjection& p) {
  if (p.in < 1 || p.out < 1 || p.in > static_cast<int>(kMaxWidth) ||
      p.out > static_cast<int>(kMaxWidth)) {
    throw Error("clap projection: widths in " + std::to_string(p.in) + ", out " +
                std::to_string(p.out) + " must be within 1.." + std::to_string(kMaxWidth));
  }
  const auto in = static_cast<std::size_t>(p.in), out = static_cast<std::size_t>(p.out);
  check_size(p.w1, out * in, "w1");
  check_size(p.b1, out, "b1");
  check_size(p.w2, out * out, "w2");
  check_size(p.b2, out, "b2");
  check_size(p.ln_gamma, out, "ln_gamma");
  check_size(p.ln_beta, out, "ln_beta");
  check_size(p.mel_shift, p.mel_scale.size(), "mel_shift");
  if (!(std::isfinite(p.ln_eps) && p.ln_eps > 0.0f)) {
    throw Error("clap projection: ln_eps " + number_text(p.ln_eps) + " must be > 0");
  }
  const auto arrays = fields(p);
  for (std::size_t f = 0; f < arrays.size(); ++f) {
    check_finite(*arrays[f], std::string("clap projection: ") + kFieldNames[f]);
  }
}

std::vector<std::uint8_t> serialize_clap_projection(const ClapProjection& p) {
  validate_clap_projection(p);
  std::vector<std::uint8_t> out(kMagic, kMagic + 4);
  put_u32(out, kFormatVersion);
  put_u32(out, static_cast<std::uint32_t>(p.in));
  put_u32(out, static_cast<std::uint32_t>(p.out));
  put_u32(out, static_cast<std::uint32_t>(p.mel_scale.size()));
  put_u32(out, std::bit_cast<std::uint32_t>(p.ln_eps));
  for (const std::vector<float>* v : fields(p)) {
    for (float value : *v) put_u32(out, std::bit_cast<std::uint32_t>(value));
  }
  return out;
}

ClapProjection parse_clap_projection(std::span<const std::uint8_t> bytes,
                                     const std::string& origin) {
  const std::string where = origin + ": metadata '" + kClapProjectionMetadata + "'";
  if (bytes.size() < kHeaderBytes) {
    throw Error(where + " holds " + std::to_string(bytes.size()) + " bytes, less than its " +
                std::to_string(kHeaderBytes) + "-byte header");
  }
  if (!std::equal(kMagic, kMagic + 4, bytes.begin())) {
    throw Error(where + " does not start with the magic 'TSCP'");
  }
  const std::uint32_t version = get_u32(bytes, 4);
  if (version != kFormatVersion) {
    throw Error(where + " has format version " + std::to_string(version) +
                "; this tinyscale reads version " + std::to_string(kFormatVersion));
  }
  const std::uint32_t in = get_u32(bytes, 8), out = get_u32(bytes, 12), bands = get_u32(bytes, 16);
  if (in < 1 || out < 1 || in > kMaxWidth || out > kMaxWidth || bands > kMaxWidth) {
    throw Error(where + " declares widths in " + std::to_string(in) + ", out " +
                std::to_string(out) + ", " + std::to_string(bands) +
                " mel bands; each must be within 1.." + std::to_string(kMaxWidth) +
                " (bands may be 0)");
  }
  // All three ≤ 2^16: the float count stays far below 2^64.
  const std::uint64_t floats = std::uint64_t{out} * in + std::uint64_t{out} * out +
                               4 * std::uint64_t{out} + 2 * std::uint64_t{bands};
  const std::uint64_t expected = kHeaderBytes + 4 * floats;
  if (bytes.size() != expected) {
    throw Error(where + " holds " + std::to_string(bytes.size()) + " bytes; in " +
                std::to_string(in) + ", out " + std::to_string(out) + ", " + std::to_string(bands) +
                " mel bands need " + std::to_string(expected));
  }
  ClapProjection p;
  p.in = static_cast<int>(in);
  p.out = static_cast<int>(out);
  p.ln_eps = std::bit_cast<float>(get_u32(bytes, 20));
  const std::size_t sizes[] = {
      std::size_t{out} * in, out, std::size_t{out} * out, out, out, out, bands, bands};
  std::size_t at = kHeaderBytes;
  const auto arrays = fields(p);
  for (std::size_t f = 0; f < arrays.size(); ++f) {
    arrays[f]->resize(sizes[f]);
    for (float& v : *arrays[f]) {
      v = std::bit_cast<float>(get_u32(bytes, at));
      at += 4;
    }
  }
  try {
    validate_clap_projection(p);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return p;
}

std::optional<ClapProjection> find_clap_projection(const core::Graph& graph,
                                                   const std::string& origin) {
  for (const core::MetadataEntry& entry : graph.metadata) {
    if (entry.name == kClapProjectionMetadata) return parse_clap_projection(entry.bytes, origin);
  }
  return std::nullopt;
}

}  // namespace tinyscale::nets
