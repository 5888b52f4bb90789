#include "engine/kernels/device/add_fast.h"

#include "engine/kernels/device/broadcast.h"
#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

// One rescaling: SRDHM(x, multiplier) of a value whose double is `twice` (|twice| < 2^31),
// then the rounding right shift as one floor shift. sign_mask -1 where right_shift > 0 (the
// rounding's [h < 0]), 0 for a shift of 0, whose half is 0 too.
struct Rescale {
  std::int32_t multiplier, half, sign_mask, right_shift;
  std::int32_t operator()(std::int32_t twice) const {
    const std::int32_t h = dsp::rounding_high_mul(twice, multiplier);
    return (h + half + ((h >> 31) & sign_mask)) >> right_shift;
  }
};

Rescale make_rescale(std::int32_t multiplier, std::int32_t shift) {
  const std::int32_t rs = -shift;
  return {multiplier, rs > 0 ? static_cast<std::int32_t>(std::uint32_t{1} << (rs - 1)) : 0,
          rs > 0 ? -1 : 0, rs};
}

// One input: its offset times 2^21 (so that offset + x * 2^21 is twice TFLite's shifted
// value) and its rescaling.
struct AddInput {
  std::int32_t offset;
  Rescale scale;
};

AddInput add_input(std::int32_t offset, std::int32_t multiplier, std::int32_t shift) {
  return {static_cast<std::int32_t>(static_cast<std::uint32_t>(offset) << (kAddLeftShift + 1)),
          make_rescale(multiplier, shift)};
}

// TFLite's rescaling of the input with the larger scale: real 0.5, a multiplier of 2^30 and
// no shift, which is exactly twice / 4 (SMMULR of an exact multiple of 4 by 2^30).
bool is_half(const AddInput& in) {
  return in.scale.multiplier == (1 << 30) && in.scale.right_shift == 0;
}

// Half: in1 is is_half's (a shift instead of the multiply). Clamp: the activation range is
// narrower than int8's.
template <bool Half, bool Clamp>
struct AddStage {
  AddInput in1, in2;
  Rescale out;
  std::int32_t output_offset, act_min, act_max;
  std::int32_t operator()(std::int32_t a, std::int32_t b) const {
    const std::int32_t x1 = in1.offset + a * (1 << (kAddLeftShift + 1));
    const std::int32_t x2 = in2.offset + b * (1 << (kAddLeftShift + 1));
    const std::int32_t sum = (Half ? x1 >> 2 : in1.scale(x1)) + in2.scale(x2);
    const std::int32_t q = dsp::saturate_s8(out(2 * sum) + output_offset);
    if constexpr (Clamp) return clamp_s32(q, act_min, act_max);
    return q;
  }
};

// out[i] = stage(a[i], b[i]); out may be a or b. One copy per stage.
template <typename Stage>
[[gnu::noinline]] void add_row(const std::int8_t* a, const std::int8_t* b, std::int8_t* out,
                               std::int32_t n, const Stage& stage) {
  const Stage s = stage;  // a local: the stores may alias the caller's
  for (std::int32_t i = 0; i < n; ++i) out[i] = static_cast<std::int8_t>(s(a[i], b[i]));
}

template <bool Half, bool Clamp>
void run_rows(const AddS8Params& p, const BroadcastRows& r, const std::int8_t* input1,
              const std::int8_t* input2, std::int8_t* output) {
  AddInput in1 = add_input(p.input1_offset, p.input1_multiplier, p.input1_shift);
  AddInput in2 = add_input(p.input2_offset, p.input2_multiplier, p.input2_shift);
  const std::int8_t* x1 = input1;
  const std::int8_t* x2 = input2;
  std::int32_t step1 = r.swapped ? r.other_step : r.full_step;
  std::int32_t step2 = r.swapped ? r.full_step : r.other_step;
  if (Half && !is_half(in1)) {  // the sum commutes: the half input first
    const AddInput in = in1;
    in1 = in2;
    in2 = in;
    const std::int8_t* x = x1;
    x1 = x2;
    x2 = x;
    const std::int32_t step = step1;
    step1 = step2;
    step2 = step;
  }
  const AddStage<Half, Clamp> stage = {
      in1,       in2,      make_rescale(p.output_multiplier, p.output_shift), p.output_offset,
      p.act_min, p.act_max};
  for (std::int32_t k = 0; k < r.rows; ++k) {
    add_row(x1 + k * step1, x2 + k * step2, output + k * r.length, r.length, stage);
  }
}

template <bool Half>
void run_rows(const AddS8Params& p, const BroadcastRows& r, const std::int8_t* input1,
              const std::int8_t* input2, std::int8_t* output) {
  if (p.act_min > -128 || p.act_max < 127) {
    run_rows<Half, true>(p, r, input1, input2, output);
  } else {
    run_rows<Half, false>(p, r, input1, input2, output);
  }
}

}  // namespace

bool add_s8_fast_short_stage(const AddS8Params& p) {
  const std::int32_t shifts[3] = {p.input1_shift, p.input2_shift, p.output_shift};
  for (const std::int32_t shift : shifts) {
    if (shift > 0 || shift < -31) return false;
  }
  return p.input1_multiplier >= 0 && p.input2_multiplier >= 0 && p.output_multiplier >= 0 &&
         p.input1_offset >= -255 && p.input1_offset <= 255 && p.input2_offset >= -255 &&
         p.input2_offset <= 255 && p.output_offset >= -128 && p.output_offset <= 127;
}

void add_s8_fast(const AddS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
                 std::int8_t* output, std::int8_t* /*scratch*/) {
  const AddS8Params local = p;  // the output stores may alias the params
  BroadcastRows rows;
  if (!add_s8_fast_short_stage(local) || !broadcast_rows(local.shape, &rows)) {
    // add_s8's loops and arithmetic, one value at a time (in this file: the stack bound counts
    // this file's chain).
    broadcast_binary(local.shape, input1, input2, output,
                     [&local](std::int8_t a, std::int8_t b) { return add_s8_value(local, a, b); });
    return;
  }
  if (is_half(add_input(0, local.input1_multiplier, local.input1_shift)) ||
      is_half(add_input(0, local.input2_multiplier, local.input2_shift))) {
    run_rows<true>(local, rows, input1, input2, output);
  } else {
    run_rows<false>(local, rows, input1, input2, output);
  }
}

std::int32_t add_s8_fast_scratch_bytes(const AddS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
