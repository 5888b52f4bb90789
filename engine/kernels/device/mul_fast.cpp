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

template <typename Stage>
void run_rows(const BroadcastRows& r, const std::int8_t* input1, const std::int8_t* input2,
              const MulRowOffsets& offsets, std::int8_t* output, const Stage& stage) {
  // The product commutes: the full operand first.
  const std::int8_t* full = r.swapped ? input2 : input1;
  const std::int8_t* other = r.swapped ? input1 : input2;
  const MulRowOffsets o = r.swapped ? offsets.swapped() : offsets;
  for (std::int32_t k = 0; k < r.rows; ++k) {
    row(full + k * r.full_step, other + k * r.other_step, output + k * r.length, r.length, o,
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
  BroadcastRows rows;
  if (!mul_s8_fast_short_stage(local) || !broadcast_rows(local.shape, &rows)) {
    // mul_s8's loops and arithmetic, one value at a time (its own, not a call out of the file:
    // the stack bound counts this file's chain).
    broadcast_binary(local.shape, input1, input2, output,
                     [&local](std::int8_t a, std::int8_t b) { return mul_s8_value(local, a, b); });
    return;
  }
  const std::int32_t m = local.output_multiplier, shift = local.output_shift;
  const MulRowOffsets offsets = MulRowOffsets::of(local.input1_offset, local.input2_offset);
  if (local.act_min > -128 || local.act_max < 127) {
    run_rows(rows, input1, input2, offsets, output,
             mul_row_stage<true>(m, shift, local.output_offset, local.act_min, local.act_max));
  } else {
    run_rows(rows, input1, input2, offsets, output,
             mul_row_stage<false>(m, shift, local.output_offset, -128, 127));
  }
}

std::int32_t mul_s8_fast_scratch_bytes(const MulS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
