#include "engine/kernels/device/fully_connected_fast.h"

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {
namespace {

using dsp::load_word;
using dsp::rounding_high_mul;
using dsp::saturate_s8;
using dsp::saturating_add;
using dsp::smlad;
using dsp::sxtb16;
using dsp::sxtb16_ror8;

constexpr std::int32_t kBlockRows = 4;
constexpr std::int32_t kChunk = 4;  // features per step; a block's step reads 16 weight bytes

// acc + the dot product of 4 weights at w (4-byte aligned) with the input pairs x02 (values 0
// and 2) and x13 (1 and 3).
inline std::int32_t dot4(std::uint32_t x02, std::uint32_t x13, const std::int8_t* w,
                         std::int32_t acc) {
  const std::uint32_t a =
      load_word(static_cast<const std::int8_t*>(__builtin_assume_aligned(w, 4)));
  return smlad(x13, sxtb16_ror8(a), smlad(x02, sxtb16(a), acc));
}

#if defined(__ARM_FEATURE_DSP)
// The block loop in assembly (GCC neither keeps the four accumulators, the input pairs and
// the pointers in registers nor loads the weights with one LDM): per step 20 instructions for
// 16 MACs: LDR + 2 SXTB16 for the input, one LDM for the block's 4 x 4 weights, per row
// SXTB16 + SXTB16 ROR #8 + 2 SMLAD; the compare and branch paid once per four steps. LDM
// fills its registers in ascending order, so the four weight words live in r8-r11.
// Advances x by 4 and w by 16 bytes per step.
// clang-format off
#define TS_FC_ROW(acc, wr)                                    \
  "sxtb16 %[t], %[" #wr "]\n\t"                               \
  "smlad %[" #acc "], %[x02], %[t], %[" #acc "]\n\t"          \
  "sxtb16 %[" #wr "], %[" #wr "], ror #8\n\t"                 \
  "smlad %[" #acc "], %[x13], %[" #wr "], %[" #acc "]\n\t"
#define TS_FC_STEP                                            \
  "ldr %[x13], [%[x]], #4\n\t"                               \
  "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"            \
  "sxtb16 %[x02], %[x13]\n\t"                                \
  "sxtb16 %[x13], %[x13], ror #8\n\t"                        \
  TS_FC_ROW(a0, w0) TS_FC_ROW(a1, w1) TS_FC_ROW(a2, w2) TS_FC_ROW(a3, w3)
#define TS_FC_OPERANDS                                                                   \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), \
  [x13] "=&r"(x13), [x02] "=&r"(x02), [t] "=&r"(t), [w0] "=&r"(w0), [w1] "=&r"(w1),     \
  [w2] "=&r"(w2), [w3] "=&r"(w3)
// clang-format on

__attribute__((always_inline)) inline void block_steps(std::int32_t steps, const std::int8_t*& x,
                                                       const std::int8_t*& w, std::int32_t& a0,
                                                       std::int32_t& a1, std::int32_t& a2,
                                                       std::int32_t& a3) {
  std::uint32_t x13, x02, t;
  register std::uint32_t w0 __asm__("r8");
  register std::uint32_t w1 __asm__("r9");
  register std::uint32_t w2 __asm__("r10");
  register std::uint32_t w3 __asm__("r11");
  if (steps >= 4) {
    const std::int8_t* const x_end = x + (steps & ~3) * kChunk;
    __asm__ volatile("1:\n\t" TS_FC_STEP TS_FC_STEP TS_FC_STEP TS_FC_STEP
                     "cmp %[x], %[x_end]\n\t"
                     "bne 1b\n\t"
                     : TS_FC_OPERANDS
                     : [x_end] "r"(x_end)
                     : "memory", "cc");
  }
  if (steps & 3) {
    const std::int8_t* const x_end = x + (steps & 3) * kChunk;
    __asm__ volatile("1:\n\t" TS_FC_STEP
                     "cmp %[x], %[x_end]\n\t"
                     "bne 1b\n\t"
                     : TS_FC_OPERANDS
                     : [x_end] "r"(x_end)
                     : "memory", "cc");
  }
}
#undef TS_FC_OPERANDS
#undef TS_FC_STEP
#undef TS_FC_ROW
#endif

// The output stage, byte for byte requantize_s8 (fixed_point.h) on acc + bias, in fewer
// instructions than dsp::finish where a row's requantization allows (`lean`):
//   high = (x * multiplier + 2^30) >> 31   (dsp.h: the doubling high multiply, floor), and
//   rounding_divide_by_pot(high, rs) = (high + 2^(rs-1) - [high < 0]) >> rs, the add
// saturating (QADD). That add overflows only for high > 2^31 - 2^(rs-1), where the exact
// quotient is 2^(31-rs) and the saturated one 2^(31-rs) - 1: both clamp to act_max (<= 127)
// after any output offset (>= -128) while 2^(31-rs) >= 256, i.e. rs <= 23; larger right
// shifts take dsp::finish. Multipliers are Q0.31 values in [0, 2^31) (dsp.h).
//
// Per-tensor requantization whose right shift is at most 23: the common case, its constants
// in registers and no branch but the clamp's (one SSAT without a fused activation range).
template <bool kFullRange>
struct LeanStage {
  std::int32_t multiplier, left_shift, right_shift, round, round_on;
  std::int32_t output_offset, act_min, act_max;

  static bool applies(const FullyConnectedS8Params& p) {
    return p.requant_channels == 1 && p.shifts[0] >= -23 &&
           kFullRange == (p.act_min == -128 && p.act_max == 127);
  }
  explicit LeanStage(const FullyConnectedS8Params& p) {
    const std::int32_t shift = p.shifts[0];
    multiplier = p.multipliers[0];
    left_shift = shift > 0 ? shift : 0;
    right_shift = shift > 0 ? 0 : -shift;
    round = right_shift > 0 ? static_cast<std::int32_t>(1u << (right_shift - 1)) : 0;
    round_on = right_shift > 0 ? 1 : 0;
    output_offset = p.output_offset;
    act_min = p.act_min;
    act_max = p.act_max;
  }
  std::int8_t operator()(std::int32_t acc, const std::int32_t* folded_bias, std::int32_t o) const {
    const auto x = static_cast<std::int32_t>(
        (static_cast<std::uint32_t>(acc) + static_cast<std::uint32_t>(folded_bias[o]))
        << left_shift);
    // The doubling high multiply as one SMMULR of 2x where 2x fits:
    // (2x * m + 2^31) >> 32 = (x * m + 2^30) >> 31.
    std::int32_t x2, high;
    if (__builtin_add_overflow(x, x, &x2)) {
      high = static_cast<std::int32_t>(
          (static_cast<std::int64_t>(x) * multiplier + (std::int64_t{1} << 30)) >> 31);
    } else {
      high = rounding_high_mul(x2, multiplier);
    }
    // With right_shift 0, round and round_on are 0: scaled = high.
    const auto negative = static_cast<std::int32_t>((static_cast<std::uint32_t>(high) >> 31) &
                                                    static_cast<std::uint32_t>(round_on));
    const std::int32_t scaled = saturating_add(high, round - negative) >> right_shift;
    const auto q = static_cast<std::int32_t>(static_cast<std::uint32_t>(scaled) +
                                             static_cast<std::uint32_t>(output_offset));
    if constexpr (kFullRange) {
      return static_cast<std::int8_t>(saturate_s8(q));
    } else {
      return static_cast<std::int8_t>(clamp_s32(q, act_min, act_max));
    }
  }
};

// Every other requantization (per-channel, large right shifts): dsp.h's output stage, read
// through conv2d params holding FC's requantization fields (no output table).
struct ChannelStage {
  Conv2dS8Params view;

  explicit ChannelStage(const FullyConnectedS8Params& p) : view{} {
    view.output_offset = p.output_offset;
    view.act_min = p.act_min;
    view.act_max = p.act_max;
    view.requant_channels = p.requant_channels;
    view.multipliers = p.multipliers;
    view.shifts = p.shifts;
    view.output_table = nullptr;
  }
  std::int8_t operator()(std::int32_t acc, const std::int32_t* folded_bias, std::int32_t o) const {
    return dsp::finish(view, dsp::channel_stage(view, folded_bias, o), acc);
  }
};

// One batch row: y[o] = stage(sum_k x[k] * w[o][k] + folded_bias[o]), weights reordered.
template <typename Stage>
void gemv(const FullyConnectedS8Params& p, const std::int8_t* x, const std::int8_t* weights,
          const std::int32_t* folded_bias, std::int8_t* y, const Stage& stage) {
  const std::int32_t depth = p.in_features;
  const std::int32_t chunks = depth / kChunk;
  const std::int32_t tail = depth - chunks * kChunk;
  const std::int32_t blocks = p.out_features / kBlockRows;
  const std::int8_t* w = weights;
  for (std::int32_t block = 0; block < blocks; ++block) {
    std::int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const std::int8_t* xk = x;
#if defined(__ARM_FEATURE_DSP)
    block_steps(chunks, xk, w, a0, a1, a2, a3);
#else
    for (std::int32_t c = 0; c < chunks; ++c) {
      const std::uint32_t xw =
          load_word(static_cast<const std::int8_t*>(__builtin_assume_aligned(xk, 4)));
      const std::uint32_t x02 = sxtb16(xw), x13 = sxtb16_ror8(xw);
      xk += kChunk;
      a0 = dot4(x02, x13, w, a0);
      a1 = dot4(x02, x13, w + kChunk, a1);
      a2 = dot4(x02, x13, w + 2 * kChunk, a2);
      a3 = dot4(x02, x13, w + 3 * kChunk, a3);
      w += kBlockRows * kChunk;
    }
#endif
    if (tail > 0) {
      for (std::int32_t k = 0; k < tail; ++k) {
        const std::int32_t xv = xk[k];
        a0 += xv * w[k];
        a1 += xv * w[tail + k];
        a2 += xv * w[2 * tail + k];
        a3 += xv * w[3 * tail + k];
      }
      w += kBlockRows * tail;
    }
    const std::int32_t o = block * kBlockRows;
    y[o] = stage(a0, folded_bias, o);
    y[o + 1] = stage(a1, folded_bias, o + 1);
    y[o + 2] = stage(a2, folded_bias, o + 2);
    y[o + 3] = stage(a3, folded_bias, o + 3);
  }
  // Rows past the last block: [row][in_features], one at a time (no alignment assumed).
  for (std::int32_t o = blocks * kBlockRows; o < p.out_features; ++o) {
    std::int32_t acc = 0;
    std::int32_t k = 0;
    for (; k + 4 <= depth; k += 4) {
      const std::uint32_t xw = load_word(x + k), ww = load_word(w + k);
      acc = smlad(sxtb16(xw), sxtb16(ww), acc);
      acc = smlad(sxtb16_ror8(xw), sxtb16_ror8(ww), acc);
    }
    for (; k < depth; ++k) acc += static_cast<std::int32_t>(x[k]) * w[k];
    w += depth;
    y[o] = stage(acc, folded_bias, o);
  }
}

template <typename Stage>
void run_batches(const FullyConnectedS8Params& p, const std::int8_t* input,
                 const std::int8_t* weights, const std::int32_t* folded_bias, std::int8_t* output) {
  const Stage stage(p);
  for (std::int32_t b = 0; b < p.batches; ++b) {
    gemv(p, input + b * p.in_features, weights, folded_bias, output + b * p.out_features, stage);
  }
}

}  // namespace

bool fully_connected_s8_fast_applies(const FullyConnectedS8Params& p) {
  return p.weight_offset == 0 && p.batches > 0 && p.in_features > 0 && p.out_features > 0 &&
         (p.in_features % 4 == 0 || p.batches == 1);
}

void fully_connected_s8_fast(const FullyConnectedS8Params& p, const std::int8_t* input,
                             const std::int8_t* weights, const std::int32_t* folded_bias,
                             std::int8_t* output, std::int8_t* /*scratch*/) {
  // A local copy: the int8 output stores may alias anything the caller's params point into,
  // so the compiler would reload every field after each store; a local it need not.
  const FullyConnectedS8Params local = p;
  if (LeanStage<true>::applies(local)) {
    run_batches<LeanStage<true>>(local, input, weights, folded_bias, output);
  } else if (LeanStage<false>::applies(local)) {
    run_batches<LeanStage<false>>(local, input, weights, folded_bias, output);
  } else {
    run_batches<ChannelStage>(local, input, weights, folded_bias, output);
  }
}

void fully_connected_s8_fold_bias(const FullyConnectedS8Params& p, const std::int8_t* weights,
                                  const std::int32_t* bias, std::int32_t* folded) {
  for (std::int32_t o = 0; o < p.out_features; ++o) {
    std::uint32_t sum = 0;
    const std::int8_t* w = weights + o * p.in_features;
    for (std::int32_t k = 0; k < p.in_features; ++k) {
      sum += static_cast<std::uint32_t>(static_cast<std::int32_t>(w[k]));
    }
    const std::uint32_t b = bias ? static_cast<std::uint32_t>(bias[o]) : 0u;
    folded[o] = static_cast<std::int32_t>(b + static_cast<std::uint32_t>(p.input_offset) * sum);
  }
}

void fully_connected_s8_fast_reorder_weights(const FullyConnectedS8Params& p, const std::int8_t* in,
                                             std::int8_t* out) {
  const std::int32_t depth = p.in_features;
  const std::int32_t chunks = depth / kChunk;
  const std::int32_t tail = depth - chunks * kChunk;
  const std::int32_t blocks = p.out_features / kBlockRows;
  std::int8_t* w = out;
  for (std::int32_t block = 0; block < blocks; ++block) {
    const std::int8_t* rows = in + block * kBlockRows * depth;
    for (std::int32_t c = 0; c < chunks; ++c) {
      for (std::int32_t r = 0; r < kBlockRows; ++r) {
        for (std::int32_t k = 0; k < kChunk; ++k) *w++ = rows[r * depth + c * kChunk + k];
      }
    }
    for (std::int32_t r = 0; r < kBlockRows; ++r) {
      for (std::int32_t k = 0; k < tail; ++k) *w++ = rows[r * depth + chunks * kChunk + k];
    }
  }
  for (std::int32_t i = blocks * kBlockRows * depth; i < p.out_features * depth; ++i) {
    *w++ = in[i];
  }
}

std::int32_t fully_connected_s8_fast_scratch_bytes(const FullyConnectedS8Params& /*p*/) {
  return 0;
}

}  // namespace tinyscale::device
