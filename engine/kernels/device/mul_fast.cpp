#include "engine/kernels/device/mul_fast.h"

#include "engine/kernels/device/broadcast.h"
#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fixed_point.h"
#include "engine/kernels/device/mul_rows.h"

namespace tinyscale::device {
namespace {

// One copy of a row per stage.
template <typename Stage>
[[gnu::noinline]] void row(const std::int8_t* a, const std::int8_t* b, std::int8_t* out,
                           std::int32_t n, const MulRowOffsets& o, const Stage& stage) {
  mul_row(a, b, out, n, o, stage);
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
  MulRowOffsets o;
};

bool as_rows(const MulS8Params& p, const std::int8_t* input1, const std::int8_t* input2, Rows* r) {
  const Broadcast4d& s = p.shape;
  const MulRowOffsets o = MulRowOffsets::of(p.input1_offset, p.input2_offset);
  const std::int32_t pixels = s.dims[0] * s.dims[1] * s.dims[2];
  const std::int32_t c = s.dims[3];
  const bool a_full = contiguous(s, s.stride_a), b_full = contiguous(s, s.stride_b);
  if (a_full && b_full) {  // elementwise: one row
    *r = {input1, input2, 1, pixels * c, 0, 0, o};
  } else if (a_full && channel_row(s, s.stride_b)) {  // the gate as input 2
    *r = {input1, input2, pixels, c, c, 0, o};
  } else if (b_full && channel_row(s, s.stride_a)) {  // as input 1: the product commutes
    *r = {input2, input1, pixels, c, c, 0, o.swapped()};
  } else {
    return false;
  }
  return true;
}

template <typename Stage>
void run_rows(const Rows& r, std::int8_t* output, const Stage& stage) {
  for (std::int32_t k = 0; k < r.rows; ++k) {
    row(r.x + k * r.x_step, r.other + k * r.other_step, output + k * r.length, r.length, r.o,
        stage);
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
  const std::int32_t m = local.output_multiplier, shift = local.output_shift;
  if (local.act_min > -128 || local.act_max < 127) {
    run_rows(rows, output,
             mul_row_stage<true>(m, shift, local.output_offset, local.act_min, local.act_max));
  } else {
    run_rows(rows, output, mul_row_stage<false>(m, shift, local.output_offset, -128, 127));
  }
}

std::int32_t mul_s8_fast_scratch_bytes(const MulS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
