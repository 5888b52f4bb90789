// The 4 x 2 quad of the convolution GEMMs (4 output channels x 2 pixels, 8 accumulators),
// shared by conv2d_fast (pointwise: the pixels' channels) and conv2d_gemm_fast (full
// convolutions: the pixels' windows), each over "groups" of 4 values of the dot products'
// depth, expanded for two pixels as expand_pair lays them out (conv2d_fast_impl.h): per group,
// pixel 0's (v0, v2), pixel 1's (v0, v2), pixel 0's (v1, v3), pixel 1's (v1, v3). The
// weights in conv2d_s8_fast_reorder_weights' quad order. Included by the kernels' *_impl.h
// (internal linkage: each entry point's file holds its own copy).
#pragma once

#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {
namespace {

// Four output channels (a, b, c, d) x two pixels, accumulators acc[2 * channel + pixel], over
// `groups` groups of 4 input channels. inputs(g) gives group g's pixel pairs: e0, e1 (pixel 0's
// and pixel 1's channels 0 and 2) and o0, o1 (channels 1 and 3). The group's 4 weight words at w
// (conv2d_s8_fast_reorder_weights): (a0 b0 a2 b2), (c0 d0 c2 d2), (a1 b1 a3 b3), (c1 d1 c3 d3),
// so SXTB16 gives one channel's pair for the even or odd inputs and SXTB16 ROR #8 the next
// channel's. The accumulators are locals, so that the compiler keeps them in registers.
struct GroupInputs {
  std::uint32_t e0, e1, o0, o1;
};
template <typename Inputs>
inline void quad_groups(std::int32_t groups, const std::int8_t* w, std::int32_t* acc,
                        const Inputs& inputs) {
  std::int32_t a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3];
  std::int32_t c0 = acc[4], c1 = acc[5], d0 = acc[6], d1 = acc[7];
  for (std::int32_t g = 0; g < groups; ++g, w += 16) {
    const GroupInputs in = inputs(g);
    for (int half = 0; half < 2; ++half) {
      const std::uint32_t y0 = half ? in.o0 : in.e0, y1 = half ? in.o1 : in.e1;
      const std::uint32_t ab = dsp::load_word(w + 8 * half), cd = dsp::load_word(w + 8 * half + 4);
      std::uint32_t k = dsp::sxtb16(ab);
      a0 = dsp::smlad(y0, k, a0);
      a1 = dsp::smlad(y1, k, a1);
      k = dsp::sxtb16_ror8(ab);
      b0 = dsp::smlad(y0, k, b0);
      b1 = dsp::smlad(y1, k, b1);
      k = dsp::sxtb16(cd);
      c0 = dsp::smlad(y0, k, c0);
      c1 = dsp::smlad(y1, k, c1);
      k = dsp::sxtb16_ror8(cd);
      d0 = dsp::smlad(y0, k, d0);
      d1 = dsp::smlad(y1, k, d1);
    }
  }
  acc[0] = a0, acc[1] = a1, acc[2] = b0, acc[3] = b1;
  acc[4] = c0, acc[5] = c1, acc[6] = d0, acc[7] = d1;
}

#if defined(__ARM_FEATURE_DSP)
// One quad (4 output channels x 2 pixels) from expanded inputs with the short output stage, in
// assembly: quad_groups_expanded's loop, then the stage on the 8 accumulators in registers and
// the 8 stores, where the C++ stage (about 21 instructions per output: GCC reloads the
// channel's fields from the stack for each) would follow a call. The rounding right shift is
// written without 2^(rs-1): with S = high + [high < 0] (high's sign as 0 or -1),
//   floor((S + 2^(rs-1)) / 2^rs) = ((S >> (rs-1)) + 1) >> 1,
// and with the offset, ((S >> (rs-1)) + 2 offset + 1) >> 1, the last shift inside SSAT's
// operand; rs - 1 = ~shift (MVN). A zero multiplier gives high = 0 and so the offset, for any
// shift. 11 to 12 instructions per output; the groups' loop runs two per iteration (an odd
// count enters at the second). The frame: pointers the call advances past the
// quad (w, bias, multipliers, shifts, out0) and per-call constants; acc receives the 8
// accumulators (bias included) when the call returns 1: an accumulator reached 2^30 (the
// doubling overflows), and the caller applies the stage in C++ to acc and advances
// multipliers, shifts and out0 itself (w and bias have moved).
struct QuadFrame {
  const std::int8_t* xs;      // [0] the expanded inputs
  const std::int8_t* xs_end;  // [4]
  const std::int8_t* w;       // [8] the quad's weights; advanced
  const std::int32_t* bias;   // [12] advanced by 4 channels
  const std::int32_t* mult;   // [16] advanced on success
  const std::int8_t* shift;   // [20] advanced on success
  std::int8_t* out0;          // [24] pixel 0's outputs (pixel 1's at + out_c); advanced
  std::int32_t out_c;         // [28]
  std::int32_t offset2;       // [32] 2 x output offset + 1
  const std::int8_t* table;   // [36] output table + 128 (kIdentity without one)
  std::int32_t acc[8];        // [40] on overflow: a0 a1 b0 b1 c0 c1 d0 d1
};
// clang-format off
// Half a group of 4 input values for the quad: the two pixels' pairs (v0, v2) or (v1, v3)
// (LDRD from r0) against the 4 channels' weight words (LDR from r1, one SXTB16 per channel), 8
// SMLAD into r4-r11 (a0 a1 b0 b1 c0 c1 d0 d1); r2, r3, r12 and lr scratch. A group is two
// halves: 30 instructions for 32 MACs.
#define TS_QUAD_HALF \
  "ldrd r2, r3, [r0], #8\n\t" \
  "ldr r12, [r1], #4\n\t" \
  "sxtb16 lr, r12\n\t" \
  "smlad r4, r2, lr, r4\n\t" \
  "smlad r5, r3, lr, r5\n\t" \
  "sxtb16 lr, r12, ror #8\n\t" \
  "smlad r6, r2, lr, r6\n\t" \
  "smlad r7, r3, lr, r7\n\t" \
  "ldr r12, [r1], #4\n\t" \
  "sxtb16 lr, r12\n\t" \
  "smlad r8, r2, lr, r8\n\t" \
  "smlad r9, r3, lr, r9\n\t" \
  "sxtb16 lr, r12, ror #8\n\t" \
  "smlad r10, r2, lr, r10\n\t" \
  "smlad r11, r3, lr, r11\n\t"
#define TS_QUAD_GROUP TS_QUAD_HALF TS_QUAD_HALF
// Pass 1 for channel (lo, hi): multiplier in r3, rs - 1 in r12 (from the shift at r2).
#define TS_QS_PASS1(lo, hi)                  \
  "ldr r3, [r1], #4\n\t"                     \
  "ldrsb r12, [r2], #1\n\t"                  \
  "mvn r12, r12\n\t"                         \
  "adds " lo ", " lo ", " lo "\n\t"          \
  "bvs 8f\n\t"                               \
  "smmulr " lo ", " lo ", r3\n\t"            \
  "add " lo ", " lo ", " lo ", asr #31\n\t"  \
  "asr " lo ", " lo ", r12\n\t"              \
  "adds " hi ", " hi ", " hi "\n\t"          \
  "bvs 8f\n\t"                               \
  "smmulr " hi ", " hi ", r3\n\t"            \
  "add " hi ", " hi ", " hi ", asr #31\n\t"  \
  "asr " hi ", " hi ", r12\n\t"
// Pass 2 for channel c's (lo, hi): offset in r1, table in r2, out0 in r3, out1 in r12.
#define TS_QS_PASS2(lo, hi, c)               \
  "add " lo ", " lo ", r1\n\t"               \
  "ssat " lo ", #8, " lo ", asr #1\n\t"      \
  "ldrsb " lo ", [r2, " lo "]\n\t"           \
  "strb " lo ", [r3, #" #c "]\n\t"           \
  "add " hi ", " hi ", r1\n\t"               \
  "ssat " hi ", #8, " hi ", asr #1\n\t"      \
  "ldrsb " hi ", [r2, " hi "]\n\t"           \
  "strb " hi ", [r12, #" #c "]\n\t"
// clang-format on
// AAPCS: r0 the frame; returns 0, or 1 on overflow. r4-r11 and lr saved.
__attribute__((naked, noinline)) std::int32_t quad_expanded_short(QuadFrame* /*f*/) {
  // clang-format off
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "ldr r12, [r0, #4]\n\t"
      "push {r0, r12}\n\t"              // [sp] the frame, [sp + 4] the end of xs
      "ldr r12, [r0, #12]\n\t"
      "ldm r12!, {r4, r6, r8, r10}\n\t" // the 4 channels' bias, once per pixel
      "str r12, [r0, #12]\n\t"
      "mov r5, r4\n\t"
      "mov r7, r6\n\t"
      "mov r9, r8\n\t"
      "mov r11, r10\n\t"
      "ldr r1, [r0, #8]\n\t"
      "ldr r2, [r0, #4]\n\t"
      "ldr r0, [r0, #0]\n\t"
      "sub r2, r2, r0\n\t"            // 16 bytes per group: an odd count enters at the second
      "tst r2, #16\n\t"
      "bne 2f\n"
      "1:\n\t"
      TS_QUAD_GROUP
      "2:\n\t"
      TS_QUAD_GROUP
      "ldr r12, [sp, #4]\n\t"
      "cmp r0, r12\n\t"
      "bne 1b\n\t"
      "ldr r0, [sp]\n\t"
      "str r1, [r0, #8]\n\t"
      "add r1, r0, #40\n\t"
      "stm r1, {r4-r11}\n\t"            // for the overflow path
      "ldr r1, [r0, #16]\n\t"
      "ldr r2, [r0, #20]\n\t"
      TS_QS_PASS1("r4", "r5") TS_QS_PASS1("r6", "r7")
      TS_QS_PASS1("r8", "r9") TS_QS_PASS1("r10", "r11")
      "str r1, [r0, #16]\n\t"
      "str r2, [r0, #20]\n\t"
      "ldr r1, [r0, #32]\n\t"
      "ldr r2, [r0, #36]\n\t"
      "ldrd r3, r12, [r0, #24]\n\t"     // out0, out_c
      "add r12, r3, r12\n\t"            // out1
      TS_QS_PASS2("r4", "r5", 0) TS_QS_PASS2("r6", "r7", 1)
      TS_QS_PASS2("r8", "r9", 2) TS_QS_PASS2("r10", "r11", 3)
      "adds r3, #4\n\t"
      "str r3, [r0, #24]\n\t"
      "movs r0, #0\n\t"
      "add sp, #8\n\t"
      "pop {r4-r11, pc}\n"
      "8:\n\t"
      "movs r0, #1\n\t"
      "add sp, #8\n\t"
      "pop {r4-r11, pc}\n\t");
  // clang-format on
}
#undef TS_QS_PASS1
#undef TS_QS_PASS2

// Output channels [0, channels) (a multiple of 4) of the pixel pair whose inputs are expanded
// at xs (`expanded` bytes), as quad_expanded_short calls, out1 = out0 + out_c; where one
// returns 1, that quad's stage in C++ (dsp::requantize_short). Returns the weights after
// those channels' quads. Per-channel requantization (the assembly reads each channel's
// multiplier and shift).
inline const std::int8_t* quads_expanded_short(const Conv2dS8Params& p, const std::int8_t* xs,
                                               std::int32_t expanded, const std::int8_t* w,
                                               const std::int32_t* bias, std::int8_t* out0,
                                               std::int32_t channels) {
  QuadFrame f;
  f.xs = xs;
  f.xs_end = xs + expanded;
  f.w = w;
  f.bias = bias;
  f.mult = p.multipliers;
  f.shift = p.shifts;
  f.out0 = out0;
  f.out_c = p.out_c;
  f.offset2 = 2 * p.output_offset + 1;
  f.table = (p.output_table ? p.output_table : dsp::kIdentity.v) + 128;
  for (std::int32_t oc = 0; oc < channels; oc += 4) {
    if (quad_expanded_short(&f) == 0) continue;
    for (std::int32_t c = 0; c < 4; ++c) {
      const dsp::ShortStage s = dsp::short_stage(p, nullptr, oc + c);
      out0[p.out_c + oc + c] = dsp::requantize_short(s, f.acc[2 * c + 1]);
      out0[oc + c] = dsp::requantize_short(s, f.acc[2 * c]);
    }
    f.mult += 4;
    f.shift += 4;
    f.out0 += 4;
  }
  return f.w;
}
#endif

}  // namespace
}  // namespace tinyscale::device
