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
// the pointers in registers nor loads the weights with one LDM): per step, one LDM for the
// block's 4 x 4 weights, per row SXTB16 + SXTB16 ROR #8 + 2 SMLAD, and the input's two pairs:
// from int8 bytes, LDR + 2 SXTB16 (20 instructions per 16 MACs); from the expanded int16
// copy (expand_pairs), one LDRD (18). The compare and branch are paid once per eight steps.
// LDM fills its registers in ascending order, so the four weight words live in r8-r11.
// Advances x by 4 (bytes) or 8 (pairs) and w by 16 bytes per step.
// clang-format off
#define TS_FC_ROW(acc, wr)                                    \
  "sxtb16 %[t], %[" #wr "]\n\t"                               \
  "smlad %[" #acc "], %[x02], %[t], %[" #acc "]\n\t"          \
  "sxtb16 %[" #wr "], %[" #wr "], ror #8\n\t"                 \
  "smlad %[" #acc "], %[x13], %[" #wr "], %[" #acc "]\n\t"
#define TS_FC_ROWS                                            \
  "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"            \
  TS_FC_ROW(a0, w0) TS_FC_ROW(a1, w1) TS_FC_ROW(a2, w2) TS_FC_ROW(a3, w3)
#define TS_FC_STEP_BYTES                                      \
  "ldr %[x13], [%[x]], #4\n\t"                               \
  "sxtb16 %[x02], %[x13]\n\t"                                \
  "sxtb16 %[x13], %[x13], ror #8\n\t"                        \
  TS_FC_ROWS
#define TS_FC_STEP_PAIRS                                      \
  "ldrd %[x02], %[x13], [%[x]], #8\n\t"                      \
  TS_FC_ROWS
#define TS_FC_LOOP(step)                                      \
  "1:\n\t" step "cmp %[x], %[x_end]\n\t" "bne 1b\n\t"
#define TS_FC_OPERANDS                                                                   \
  [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), \
  [x13] "=&r"(x13), [x02] "=&r"(x02), [t] "=&r"(t), [w0] "=&r"(w0), [w1] "=&r"(w1),     \
  [w2] "=&r"(w2), [w3] "=&r"(w3)
// clang-format on

// The blocks of the stages other than ShortStage, from the int8 input bytes (the int16
// pairs serve ShortStage only, whose blocks short_blocks runs). Out of line, one copy for all
// those stages: the unrolled loop is 700 bytes; what the call costs per block is small beside
// the block's steps.
[[gnu::noinline]] void block_steps(std::int32_t steps, const std::int8_t*& x, const std::int8_t*& w,
                                   std::int32_t& a0, std::int32_t& a1, std::int32_t& a2,
                                   std::int32_t& a3) {
  std::uint32_t x13, x02, t;
  register std::uint32_t w0 __asm__("r8");
  register std::uint32_t w1 __asm__("r9");
  register std::uint32_t w2 __asm__("r10");
  register std::uint32_t w3 __asm__("r11");
  if (steps >= 8) {
    const std::int8_t* const x_end = x + (steps & ~7) * kChunk;
    __asm__ volatile(
        TS_FC_LOOP(TS_FC_STEP_BYTES TS_FC_STEP_BYTES TS_FC_STEP_BYTES TS_FC_STEP_BYTES
                       TS_FC_STEP_BYTES TS_FC_STEP_BYTES TS_FC_STEP_BYTES TS_FC_STEP_BYTES)
        : TS_FC_OPERANDS
        : [x_end] "r"(x_end)
        : "memory", "cc");
  }
  if (steps & 7) {
    const std::int8_t* const x_end = x + (steps & 7) * kChunk;
    __asm__ volatile(TS_FC_LOOP(TS_FC_STEP_BYTES)
                     : TS_FC_OPERANDS
                     : [x_end] "r"(x_end)
                     : "memory", "cc");
  }
}
#undef TS_FC_OPERANDS
#undef TS_FC_LOOP
#endif

// Whether an int16 copy of the input serves: whole 4-feature steps, and two row blocks or more
// (the copy costs about what one block's byte path spends sign-extending the input).
inline bool pairs_pay_off(const FullyConnectedS8Params& p) {
  return p.in_features % kChunk == 0 && p.out_features >= 2 * kBlockRows;
}

// The input row's 4-feature steps as two int16 pairs each, (x0, x2) then (x1, x3): what the
// byte path's LDR + 2 SXTB16 make, stored once for all the row blocks (in_features % 4 == 0).
inline void expand_pairs(const std::int8_t* x, std::int32_t depth, std::uint32_t* pairs) {
  for (std::int32_t k = 0; k < depth; k += kChunk) {
    const std::uint32_t xw =
        load_word(static_cast<const std::int8_t*>(__builtin_assume_aligned(x + k, 4)));
    *pairs++ = sxtb16(xw);
    *pairs++ = sxtb16_ror8(xw);
  }
}

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

// TFLite's usual requantization (dsp.h's short stage without an output table): one
// per-tensor multiplier with a right shift of 1..31 (or a zero multiplier) and the whole int8
// range, which is what a ReLU layer whose output zero point is -128 has too. About 9
// instructions per output: the doubling high multiply as one SMMULR of 2x where |x| < 2^30
// (the rest out of line), the rounding right shift as one floor shift of
// high + 2^(rs-1) - [high < 0], then the offset and SSAT.
struct ShortStage {
  std::int32_t multiplier, half, right_shift, offset;

  static bool applies(const FullyConnectedS8Params& p) {
    if (p.requant_channels != 1 || p.act_min != -128 || p.act_max != 127) return false;
    if (p.output_offset < -128 || p.output_offset > 127) return false;
    return p.multipliers[0] == 0 || (p.shifts[0] <= -1 && p.shifts[0] >= -31);
  }
  explicit ShortStage(const FullyConnectedS8Params& p) {
    multiplier = p.multipliers[0];
    right_shift = multiplier == 0 ? 1 : -p.shifts[0];
    half = static_cast<std::int32_t>(std::uint32_t{1} << (right_shift - 1));
    offset = p.output_offset;
  }
  // |x| >= 2^30: the 64-bit product (rare; out of line, by value so callers keep the stage
  // in registers).
  [[gnu::noinline]] static std::int8_t wide(ShortStage s, std::int32_t x) {
    const std::int64_t high =
        (static_cast<std::int64_t>(x) * s.multiplier + (std::int64_t{1} << 30)) >> 31;
    const std::int64_t q = (high + s.half - (high < 0 ? 1 : 0)) >> s.right_shift;
    return static_cast<std::int8_t>(saturate_s8(static_cast<std::int32_t>(q) + s.offset));
  }
  // The value in [-128, 127] as an int32 (the caller stores its low byte: no sign extension).
  std::int32_t operator()(std::int32_t acc, const std::int32_t* folded_bias, std::int32_t o) const {
    const auto x = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                             static_cast<std::uint32_t>(folded_bias[o]));
    std::int32_t x2;
    if (__builtin_add_overflow(x, x, &x2)) [[unlikely]] {
      return wide(*this, x);
    }
    const std::int32_t high = rounding_high_mul(x2, multiplier);
    const std::int32_t sum = high + (half + (high >> 31));
    return saturate_s8((sum >> right_shift) + offset);
  }
};

#if defined(__ARM_FEATURE_DSP)
// Every row block of a row with ShortStage, the block loop and the output stage included, in
// one assembly loop (in_features % 4 == 0): GCC, once block_steps has taken every register,
// reloads the stage's fields and the pointers from the stack per output, about 60 instructions
// per block more. The loop state lives in this frame, on the stack, read through "m"
// operands (sp-relative: no register spent on it).
struct ShortFrame {
  const std::int8_t* x_start;  // the input bytes, or the pairs
  const std::int8_t* x_end8;   // x_start + (steps rounded down to 8) x stride
  const std::int8_t* x_end;    // x_start + steps x stride
  const std::int8_t* w_end;    // the weights' end after the last block
  const std::int32_t* bias;    // the next block's folded bias
  std::int8_t* y;              // the current block's first output
  std::int32_t multiplier, half, right_shift, offset;
};
// clang-format off
// Output i of the block (a_i holds the bias): t = 2 a_i (on overflow: leave at 8), then
// ShortStage. Registers (the loop's, free by now): x_end = y, w0..w3 = multiplier, half,
// right shift, offset, x02 = scratch.
#define TS_FC_SHORT(acc, i)                                   \
  "adds %[t], %[" #acc "], %[" #acc "]\n\t"                  \
  "bvs 8f\n\t"                                                \
  "smmulr %[t], %[t], %[w0]\n\t"                              \
  "add %[x02], %[w1], %[t], asr #31\n\t"                      \
  "add %[t], %[t], %[x02]\n\t"                                \
  "asr %[t], %[t], %[w2]\n\t"                                 \
  "add %[t], %[t], %[w3]\n\t"                                 \
  "ssat %[t], #8, %[t]\n\t"                                   \
  "strb %[t], [%[x_end], #" #i "]\n\t"
#define TS_FC_BLOCKS(step)                                    \
  "0:\n\t"                                                    \
  "ldr %[x], %[bias]\n\t"                                     \
  "ldmia %[x]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"            \
  "str %[x], %[bias]\n\t"                                     \
  "ldr %[x], %[x_start]\n\t"                                  \
  "ldr %[x_end], %[x_end8]\n\t"                               \
  "cmp %[x], %[x_end]\n\t"                                    \
  "beq 2f\n"                                                  \
  "1:\n\t" step step step step step step step step            \
  "cmp %[x], %[x_end]\n\t"                                    \
  "bne 1b\n"                                                  \
  "2:\n\t"                                                    \
  "ldr %[x_end], %[x_end1]\n\t"                               \
  "cmp %[x], %[x_end]\n\t"                                    \
  "beq 4f\n"                                                  \
  "3:\n\t" step                                               \
  "cmp %[x], %[x_end]\n\t"                                    \
  "bne 3b\n"                                                  \
  "4:\n\t"                                                    \
  "ldr %[w0], %[mul]\n\t" "ldr %[w1], %[half]\n\t"            \
  "ldr %[w2], %[rs]\n\t" "ldr %[w3], %[off]\n\t"              \
  "ldr %[x_end], %[y]\n\t"                                    \
  TS_FC_SHORT(a0, 0) TS_FC_SHORT(a1, 1)                       \
  TS_FC_SHORT(a2, 2) TS_FC_SHORT(a3, 3)                       \
  "adds %[x_end], #4\n\t" "str %[x_end], %[y]\n\t"            \
  "ldr %[t], %[w_end]\n\t"                                    \
  "cmp %[w], %[t]\n\t"                                        \
  "bne 0b\n\t"                                                \
  "movs %[t], #1\n\t"                                         \
  "b 9f\n"                                                    \
  "8:\n\t"                                                    \
  "movs %[t], #0\n"                                           \
  "9:\n\t"
#define TS_FC_BLOCK_OPERANDS                                                             \
  [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x] "=&r"(x),        \
  [x_end] "=&r"(x_end), [w] "+r"(w), [x13] "=&r"(x13), [x02] "=&r"(x02), [t] "=&r"(t),  \
  [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3),                        \
  [bias] "+m"(f.bias), [y] "+m"(f.y)
#define TS_FC_FRAME_OPERANDS                                                             \
  [x_start] "m"(f.x_start), [x_end8] "m"(f.x_end8), [x_end1] "m"(f.x_end),              \
  [w_end] "m"(f.w_end), [mul] "m"(f.multiplier), [half] "m"(f.half),                    \
  [rs] "m"(f.right_shift), [off] "m"(f.offset)
// clang-format on

// Runs `blocks` (>= 1) row blocks from w; where a block's accumulator plus bias reaches 2^30
// (the doubling overflows: rare), that block's four outputs take ShortStage in C++.
template <bool kPairs>
__attribute__((noinline)) void short_blocks(const ShortStage& st, const std::int8_t* x_start,
                                            std::int32_t steps, const std::int8_t* w,
                                            std::int32_t blocks, const std::int32_t* bias,
                                            std::int8_t* y) {
  constexpr std::int32_t kStride = kPairs ? 2 * kChunk : kChunk;
  ShortFrame f{x_start,
               x_start + (steps & ~7) * kStride,
               x_start + steps * kStride,
               w + blocks * kBlockRows * kChunk * steps,
               bias,
               y,
               st.multiplier,
               st.half,
               st.right_shift,
               st.offset};
  for (;;) {
    // LDM fills a0..a3 with the block's bias in ascending register order.
    register std::int32_t a0 __asm__("r0");
    register std::int32_t a1 __asm__("r1");
    register std::int32_t a2 __asm__("r2");
    register std::int32_t a3 __asm__("r3");
    std::int32_t t;
    const std::int8_t *x, *x_end;
    std::uint32_t x13, x02;
    register std::uint32_t w0 __asm__("r8");
    register std::uint32_t w1 __asm__("r9");
    register std::uint32_t w2 __asm__("r10");
    register std::uint32_t w3 __asm__("r11");
    if constexpr (kPairs) {
      __asm__ volatile(TS_FC_BLOCKS(TS_FC_STEP_PAIRS)
                       : TS_FC_BLOCK_OPERANDS:TS_FC_FRAME_OPERANDS
                       : "memory", "cc");
    } else {
      __asm__ volatile(TS_FC_BLOCKS(TS_FC_STEP_BYTES)
                       : TS_FC_BLOCK_OPERANDS:TS_FC_FRAME_OPERANDS
                       : "memory", "cc");
    }
    if (t != 0) return;
    // The accumulators hold the bias already (f.bias has moved past it).
    const std::int32_t acc[kBlockRows] = {a0, a1, a2, a3};
    const std::int32_t no_bias[kBlockRows] = {};
    for (std::int32_t r = 0; r < kBlockRows; ++r) {
      f.y[r] = static_cast<std::int8_t>(st(acc[r], no_bias, r));
    }
    f.y += kBlockRows;
    if (w == f.w_end) return;
  }
}
#undef TS_FC_FRAME_OPERANDS
#undef TS_FC_BLOCK_OPERANDS
#undef TS_FC_BLOCKS
#undef TS_FC_SHORT
#undef TS_FC_STEP_PAIRS
#undef TS_FC_STEP_BYTES
#undef TS_FC_ROWS
#undef TS_FC_ROW
#endif

// Whether gemv's row blocks ran as a whole (short_blocks: ShortStage on the DSP, in_features %
// 4 == 0), or the caller runs them block by block.
template <bool kPairs, typename Stage>
bool all_blocks(const Stage& /*st*/, const std::int8_t* /*x*/, std::int32_t /*steps*/,
                const std::int8_t* /*w*/, std::int32_t /*blocks*/, const std::int32_t* /*bias*/,
                std::int8_t* /*y*/) {
  return false;
}
#if defined(__ARM_FEATURE_DSP)
template <bool kPairs>
bool all_blocks(const ShortStage& st, const std::int8_t* x, std::int32_t steps,
                const std::int8_t* w, std::int32_t blocks, const std::int32_t* bias,
                std::int8_t* y) {
  short_blocks<kPairs>(st, x, steps, w, blocks, bias, y);
  return true;
}
#endif

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
// kPairs: the row blocks read `pairs`, the row expanded by expand_pairs (in_features % 4 == 0).
template <bool kPairs, typename Stage>
void gemv(const FullyConnectedS8Params& p, const std::int8_t* x, const std::uint32_t* pairs,
          const std::int8_t* weights, const std::int32_t* folded_bias, std::int8_t* y,
          const Stage& stage) {
  const Stage st = stage;  // a local: no store can change it
  const std::int32_t depth = p.in_features;
  const std::int32_t chunks = depth / kChunk;
  const std::int32_t tail = depth - chunks * kChunk;
  const std::int32_t blocks = p.out_features / kBlockRows;
  const std::int8_t* w = weights;
  std::int32_t first_block = 0;
  if (blocks > 0 && tail == 0 &&
      all_blocks<kPairs>(st, kPairs ? reinterpret_cast<const std::int8_t*>(pairs) : x, chunks, w,
                         blocks, folded_bias, y)) {
    first_block = blocks;
    w += blocks * kBlockRows * depth;
  }
  for (std::int32_t block = first_block; block < blocks; ++block) {
    std::int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const std::int8_t* xk = kPairs ? reinterpret_cast<const std::int8_t*>(pairs) : x;
#if defined(__ARM_FEATURE_DSP)
    // From the pairs, short_blocks has run every block already (all_blocks: the pairs serve
    // ShortStage only, and in_features % 4 == 0), so this loop runs from the bytes.
    if constexpr (!kPairs) block_steps(chunks, xk, w, a0, a1, a2, a3);
#else
    for (std::int32_t c = 0; c < chunks; ++c) {
      std::uint32_t x02, x13;
      if constexpr (kPairs) {
        x02 = pairs[2 * c];
        x13 = pairs[2 * c + 1];
      } else {
        const std::uint32_t xw =
            load_word(static_cast<const std::int8_t*>(__builtin_assume_aligned(xk, 4)));
        x02 = sxtb16(xw);
        x13 = sxtb16_ror8(xw);
        xk += kChunk;
      }
      a0 = dot4(x02, x13, w, a0);
      a1 = dot4(x02, x13, w + kChunk, a1);
      a2 = dot4(x02, x13, w + 2 * kChunk, a2);
      a3 = dot4(x02, x13, w + 3 * kChunk, a3);
      w += kBlockRows * kChunk;
    }
#endif
    if (!kPairs && tail > 0) {
      for (std::int32_t k = 0; k < tail; ++k) {
        const std::int32_t xv = xk[k];
        a0 += xv * w[k];
        a1 += xv * w[tail + k];
        a2 += xv * w[2 * tail + k];
        a3 += xv * w[3 * tail + k];
      }
      w += kBlockRows * tail;
    }
    // All four values before any store: an int8 store may alias the stage and the bias, so
    // the compiler would reload them after each one.
    const std::int32_t o = block * kBlockRows;
    const std::int32_t q0 = st(a0, folded_bias, o), q1 = st(a1, folded_bias, o + 1),
                       q2 = st(a2, folded_bias, o + 2), q3 = st(a3, folded_bias, o + 3);
    y[o] = static_cast<std::int8_t>(q0);
    y[o + 1] = static_cast<std::int8_t>(q1);
    y[o + 2] = static_cast<std::int8_t>(q2);
    y[o + 3] = static_cast<std::int8_t>(q3);
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
    y[o] = static_cast<std::int8_t>(st(acc, folded_bias, o));
  }
}

// Without scratch, a row whose output is long enough holds the pairs in its own last bytes
// (2 x in_features, 4-byte aligned): the rows before them (a multiple of 4, at least three
// blocks) run from the pairs, the rest, written over them, from the bytes. Returns that row
// count, or 0. Per-tensor requantization only: the stages index per-channel fields by row
// from 0, and the rest runs as a layer of its own.
inline std::int32_t rows_before_pairs(const FullyConnectedS8Params& p, const std::int8_t* y) {
  if (p.in_features % kChunk != 0 || p.requant_channels != 1) return 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(y);
  const std::uintptr_t end = begin + static_cast<std::uintptr_t>(p.out_features);
  const auto pairs_bytes = static_cast<std::uintptr_t>(2 * p.in_features);
  if (end - begin < pairs_bytes) return 0;
  const std::uintptr_t pairs = (end - pairs_bytes) & ~std::uintptr_t{3};
  if (pairs < begin) return 0;
  const auto rows = static_cast<std::int32_t>((pairs - begin) & ~std::uintptr_t{kBlockRows - 1});
  return rows >= 3 * kBlockRows ? rows : 0;
}

// Where the int16 copy of the input (the optional scratch, or the output row's own last
// bytes) serves: TFLite's usual requantization (ShortStage), whose blocks run in assembly.
// The other stages run from the bytes, so the kernel holds one copy of their loops.
template <typename Stage>
inline constexpr bool kTakesPairs = false;
template <>
inline constexpr bool kTakesPairs<ShortStage> = true;

template <typename Stage>
void run_batches(const FullyConnectedS8Params& p, const std::int8_t* input,
                 const std::int8_t* weights, const std::int32_t* folded_bias, std::int8_t* output,
                 std::uint32_t* pairs) {
  const Stage stage(p);
  for (std::int32_t b = 0; b < p.batches; ++b) {
    const std::int8_t* x = input + b * p.in_features;
    std::int8_t* y = output + b * p.out_features;
    if constexpr (kTakesPairs<Stage>) {
      if (pairs != nullptr) {
        expand_pairs(x, p.in_features, pairs);
        gemv<true>(p, x, pairs, weights, folded_bias, y, stage);
        continue;
      }
      if (const std::int32_t rows = rows_before_pairs(p, y); rows > 0) {
        auto* own = reinterpret_cast<std::uint32_t*>(
            (reinterpret_cast<std::uintptr_t>(y) + static_cast<std::uintptr_t>(p.out_features) -
             static_cast<std::uintptr_t>(2 * p.in_features)) &
            ~std::uintptr_t{3});
        expand_pairs(x, p.in_features, own);
        FullyConnectedS8Params head = p;
        head.out_features = rows;
        gemv<true>(head, x, own, weights, folded_bias, y, stage);
        FullyConnectedS8Params rest = p;
        rest.out_features = p.out_features - rows;
        gemv<false>(rest, x, nullptr, weights + rows * p.in_features, folded_bias + rows, y + rows,
                    stage);
        continue;
      }
    }
    gemv<false>(p, x, nullptr, weights, folded_bias, y, stage);
  }
}

}  // namespace

bool fully_connected_s8_fast_applies(const FullyConnectedS8Params& p) {
  return p.weight_offset == 0 && p.batches > 0 && p.in_features > 0 && p.out_features > 0 &&
         (p.in_features % 4 == 0 || p.batches == 1);
}

void fully_connected_s8_fast(const FullyConnectedS8Params& p, const std::int8_t* input,
                             const std::int8_t* weights, const std::int32_t* folded_bias,
                             std::int8_t* output, std::int8_t* scratch) {
  // A local copy: the int8 output stores may alias anything the caller's params point into,
  // so the compiler would reload every field after each store; a local it need not.
  const FullyConnectedS8Params local = p;
  // Only ShortStage's blocks read the pairs (run_batches), so the shape is all to check here.
  std::uint32_t* const pairs =
      scratch != nullptr && pairs_pay_off(local)
          ? static_cast<std::uint32_t*>(__builtin_assume_aligned(scratch, 4))
          : nullptr;
  if (ShortStage::applies(local)) {
    run_batches<ShortStage>(local, input, weights, folded_bias, output, pairs);
  } else if (LeanStage<true>::applies(local)) {
    run_batches<LeanStage<true>>(local, input, weights, folded_bias, output, pairs);
  } else if (LeanStage<false>::applies(local)) {
    run_batches<LeanStage<false>>(local, input, weights, folded_bias, output, pairs);
  } else {
    run_batches<ChannelStage>(local, input, weights, folded_bias, output, pairs);
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

std::int32_t fully_connected_s8_fast_optional_scratch_bytes(const FullyConnectedS8Params& p) {
  // The pairs serve ShortStage's blocks only (short_blocks). in_features is bounded by the
  // layer's weights in FLASH.
  if (!fully_connected_s8_fast_applies(p) || !ShortStage::applies(p) || !pairs_pay_off(p)) {
    return 0;
  }
  return 2 * p.in_features;
}

}  // namespace tinyscale::device
