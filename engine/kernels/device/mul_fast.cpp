#include "engine/kernels/device/mul_fast.h"

#include "engine/kernels/device/broadcast.h"
#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

using dsp::load_word;
using dsp::rounding_high_mul;
using dsp::saturate_s8;
using dsp::sxtab16;
using dsp::sxtab16_ror8;

// The products of lanes 0 and of lanes 1 (SMULBB, SMULTT) and lane-wise doubling (SADD16).
#if defined(__ARM_FEATURE_DSP)
// (GCC 12's <arm_acle.h> has no __smulbb / __smultt.)
inline std::int32_t mul_low(std::uint32_t a, std::uint32_t b) {
  std::int32_t r;
  __asm__("smulbb %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline std::int32_t mul_high(std::uint32_t a, std::uint32_t b) {
  std::int32_t r;
  __asm__("smultt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline std::uint32_t double_lanes(std::uint32_t a) {
  return static_cast<std::uint32_t>(__sadd16(static_cast<int16x2_t>(a), static_cast<int16x2_t>(a)));
}
#else
inline std::int32_t mul_low(std::uint32_t a, std::uint32_t b) {
  return dsp::lane(a, 0) * dsp::lane(b, 0);
}
inline std::int32_t mul_high(std::uint32_t a, std::uint32_t b) {
  return dsp::lane(a, 1) * dsp::lane(b, 1);
}
inline std::uint32_t double_lanes(std::uint32_t a) {
  return dsp::pack(2 * dsp::lane(a, 0), 2 * dsp::lane(a, 1));
}
#endif

// The short stage of a call (mul_fast.h) on the doubled product 2(a + o1)(b + o2): the stored
// value. Clamp: the activation range is narrower than int8's.
template <bool Clamp>
struct ShortMulStage {
  std::int32_t multiplier, rounding, right_shift, act_min, act_max;
  std::int32_t operator()(std::int32_t product2) const {
    const std::int32_t high = rounding_high_mul(product2, multiplier);
    const std::int32_t q = saturate_s8((high + rounding + (high >> 31)) >> right_shift);
    if constexpr (Clamp) return clamp_s32(q, act_min, act_max);
    return q;
  }
};

// The two input offsets in both 16-bit lanes of a word.
struct Offsets {
  std::uint32_t o1, o2;
};

// out[i] = stage(a[i], b[i]) for i < n; out may be a or b. One copy per stage.
template <typename Stage>
[[gnu::noinline]] void mul_row(const std::int8_t* a, const std::int8_t* b, std::int8_t* out,
                               std::int32_t n, Offsets o, std::int32_t o1, std::int32_t o2,
                               const Stage& stage) {
  std::int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const std::uint32_t wa = load_word(a + i), wb = load_word(b + i);
    // Lanes (a0, a2) and (a1, a3) with the offset, doubled: 2(a + o1) fits a lane.
    const std::uint32_t ae = double_lanes(sxtab16(o.o1, wa));
    const std::uint32_t ao = double_lanes(sxtab16_ror8(o.o1, wa));
    const std::uint32_t be = sxtab16(o.o2, wb), bo = sxtab16_ror8(o.o2, wb);
    const std::int32_t q0 = stage(mul_low(ae, be)), q1 = stage(mul_low(ao, bo));
    const std::int32_t q2 = stage(mul_high(ae, be)), q3 = stage(mul_high(ao, bo));
    out[i] = static_cast<std::int8_t>(q0);
    out[i + 1] = static_cast<std::int8_t>(q1);
    out[i + 2] = static_cast<std::int8_t>(q2);
    out[i + 3] = static_cast<std::int8_t>(q3);
  }
  for (; i < n; ++i) out[i] = static_cast<std::int8_t>(stage(2 * (a[i] + o1) * (b[i] + o2)));
}

// An axis of the broadcast the output walks: dims > 1 (size-1 axes do not move).
bool contiguous(const Broadcast4d& s, const std::int32_t* stride) {
  std::int32_t step = 1;
  for (int i = 3; i >= 0; --i) {
    if (s.dims[i] > 1 && stride[i] != step) return false;
    step *= s.dims[i];
  }
  return true;
}
// One value per channel, the same for every pixel: [.., C] against [N, H, W, C].
bool channel_row(const Broadcast4d& s, const std::int32_t* stride) {
  for (int i = 0; i < 3; ++i) {
    if (s.dims[i] > 1 && stride[i] != 0) return false;
  }
  return s.dims[3] == 1 || stride[3] == 1;
}

// mul_s8's loops and arithmetic, one value at a time: the broadcasts without a row, and the
// params the short stage does not serve.
[[gnu::noinline]] void any_broadcast(const MulS8Params& p, const std::int8_t* input1,
                                     const std::int8_t* input2, std::int8_t* output) {
  broadcast_binary(p.shape, input1, input2, output, [&p](std::int8_t a, std::int8_t b) {
    const std::int32_t raw = p.output_offset + multiply_by_quantized_multiplier(
                                                   (p.input1_offset + a) * (p.input2_offset + b),
                                                   p.output_multiplier, p.output_shift);
    return static_cast<std::int8_t>(clamp_s32(raw, p.act_min, p.act_max));
  });
}

// The call as rows: `rows` runs of `length` values, row r of x at x + r * x_step against the
// other operand at other + r * other_step (0: the same C values for every pixel), written at
// output + r * length. False where the broadcast has no such form.
struct Rows {
  const std::int8_t *x, *other;
  std::int32_t rows, length, x_step, other_step;
  Offsets o;
  std::int32_t ox, oother;
};

bool as_rows(const MulS8Params& p, const std::int8_t* input1, const std::int8_t* input2, Rows* r) {
  const Broadcast4d& s = p.shape;
  const std::int32_t o1 = p.input1_offset, o2 = p.input2_offset;
  const std::uint32_t l1 =
      dsp::pack_low_halves(static_cast<std::uint32_t>(o1), static_cast<std::uint32_t>(o1));
  const std::uint32_t l2 =
      dsp::pack_low_halves(static_cast<std::uint32_t>(o2), static_cast<std::uint32_t>(o2));
  const std::int32_t pixels = s.dims[0] * s.dims[1] * s.dims[2];
  const std::int32_t c = s.dims[3];
  const bool a_full = contiguous(s, s.stride_a), b_full = contiguous(s, s.stride_b);
  if (a_full && b_full) {  // elementwise: one row
    *r = {input1, input2, 1, pixels * c, 0, 0, {l1, l2}, o1, o2};
  } else if (a_full && channel_row(s, s.stride_b)) {  // the gate as input 2
    *r = {input1, input2, pixels, c, c, 0, {l1, l2}, o1, o2};
  } else if (b_full && channel_row(s, s.stride_a)) {  // as input 1: the product commutes
    *r = {input2, input1, pixels, c, c, 0, {l2, l1}, o2, o1};
  } else {
    return false;
  }
  return true;
}

template <typename Stage>
void run_rows(const Rows& r, std::int8_t* output, const Stage& stage) {
  for (std::int32_t k = 0; k < r.rows; ++k) {
    mul_row(r.x + k * r.x_step, r.other + k * r.other_step, output + k * r.length, r.length, r.o,
            r.ox, r.oother, stage);
  }
}

}  // namespace

bool mul_s8_fast_short_stage(const MulS8Params& p) {
  return p.output_shift >= -23 && p.output_shift <= -1 && p.output_multiplier >= 0 &&
         p.output_offset >= -128 && p.output_offset <= 127 && p.input1_offset >= -255 &&
         p.input1_offset <= 255 && p.input2_offset >= -255 && p.input2_offset <= 255;
}

void mul_s8_fast(const MulS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
                 std::int8_t* output, std::int8_t* /*scratch*/) {
  const MulS8Params local = p;  // the output stores may alias the params
  Rows rows;
  if (!mul_s8_fast_short_stage(local) || !as_rows(local, input1, input2, &rows)) {
    any_broadcast(local, input1, input2, output);
    return;
  }
  const std::int32_t rs = -local.output_shift;
  const auto rounding = static_cast<std::int32_t>(
      (std::uint32_t{1} << (rs - 1)) + (static_cast<std::uint32_t>(local.output_offset) << rs));
  if (local.act_min > -128 || local.act_max < 127) {
    run_rows(
        rows, output,
        ShortMulStage<true>{local.output_multiplier, rounding, rs, local.act_min, local.act_max});
  } else {
    run_rows(rows, output, ShortMulStage<false>{local.output_multiplier, rounding, rs, -128, 127});
  }
}

std::int32_t mul_s8_fast_scratch_bytes(const MulS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
