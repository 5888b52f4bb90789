#include "engine/kernels/device/depthwise_fast_in_place.h"

#include <cstring>

#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {
namespace {

using dsp::channel_stage;
using dsp::ChannelStage;
using dsp::finish;
using dsp::smlad;
using dsp::sxtb16;
using dsp::sxtb16_ror8;

// Two signed 16-bit lanes (lo, hi) in a word.
inline std::uint32_t pack16(std::int32_t lo, std::int32_t hi) {
  return (static_cast<std::uint32_t>(lo) & 0xFFFFu) | (static_cast<std::uint32_t>(hi) << 16);
}

// Channel c of one batch (pixels `plane`, channels `in_c`) into plane order.
inline void gather_plane(const std::int8_t* batch, std::int32_t c, std::int32_t in_c,
                         std::int32_t plane, std::int8_t* column) {
  const std::int8_t* src = batch + c;
  std::int32_t i = 0;
  for (; i + 4 <= plane; i += 4, src += 4 * in_c) {
    const std::uint32_t word =
        static_cast<std::uint8_t>(src[0]) |
        (static_cast<std::uint32_t>(static_cast<std::uint8_t>(src[in_c])) << 8) |
        (static_cast<std::uint32_t>(static_cast<std::uint8_t>(src[2 * in_c])) << 16) |
        (static_cast<std::uint32_t>(static_cast<std::uint8_t>(src[3 * in_c])) << 24);
    std::memcpy(column + i, &word, sizeof word);
  }
  for (; i < plane; ++i, src += in_c) column[i] = *src;
}

// One output pixel x of a row from the three input rows (rows[r], weights w[r * 3 + k], zero
// for a row outside), taps outside the row's columns reading pad.
__attribute__((noinline)) std::int32_t pixel_3x3(const std::int8_t* const* rows,
                                                 const std::int32_t* w, std::int32_t x,
                                                 std::int32_t in_w, std::int32_t pad,
                                                 std::int32_t acc) {
  for (int r = 0; r < 3; ++r) {
    const std::int8_t* row = rows[r];
    const std::int32_t left = x > 0 ? row[x - 1] : pad;
    const std::int32_t right = x + 1 < in_w ? row[x + 1] : pad;
    acc += left * w[r * 3] + row[x] * w[r * 3 + 1] + right * w[r * 3 + 2];
  }
  return acc;
}

// The output stage of an edge pixel (one call, not inlined: two per row).
__attribute__((noinline)) std::int8_t edge_output(const Conv2dS8Params& p, const ChannelStage& s,
                                                  std::int32_t acc) {
  return finish(p, s, acc);
}

// The interior pixels' output stage, decided once per call: kLean (no table, the activation
// range all of int8: one saturation), kTable (a table, the range all of int8: the saturation,
// then the table), kFull (anything else: requantize_output). Same bytes.
enum Stage { kLean, kTable, kFull };

template <Stage S>
inline std::int8_t interior_output(const Conv2dS8Params& p, const ChannelStage& s,
                                   std::int32_t acc) {
  if constexpr (S == kFull) {
    return finish(p, s, acc);
  } else {
    const std::int8_t q = dsp::finish_as<true>(p, s, acc);
    if constexpr (S == kLean) return q;
    return p.output_table[q + 128];
  }
}

// One channel's outputs from its plane.
template <Stage S>
void in_place_channel(const Conv2dS8Params& p, std::int8_t* batch, const std::int8_t* weights,
                      const std::int32_t* folded_bias, const std::int8_t* column, std::int32_t c) {
  const ChannelStage stage = channel_stage(p, folded_bias, c);
  const std::int32_t in_h = p.in_h, in_w = p.in_w, in_c = p.in_c;
  const std::int32_t pad = -p.input_offset;  // the input zero point
  const std::int8_t* w = weights + c * 9;
  std::int32_t row_sum[3];
  for (int r = 0; r < 3; ++r) row_sum[r] = pad * (w[r * 3] + w[r * 3 + 1] + w[r * 3 + 2]);
  const std::int32_t row_stride = in_w * in_c;
  for (std::int32_t y = 0; y < in_h; ++y) {
    // Rows y - 1, y, y + 1; one outside reads row y with zero weights and adds its constant.
    const std::int8_t* rows[3];
    std::int32_t wt[9];
    std::int32_t start = 0;
    for (int r = 0; r < 3; ++r) {
      const std::int32_t iy = y - 1 + r;
      const bool inside = iy >= 0 && iy < in_h;
      rows[r] = column + (inside ? iy : y) * in_w;
      for (int k = 0; k < 3; ++k) wt[r * 3 + k] = inside ? w[r * 3 + k] : 0;
      if (!inside) start += row_sum[r];
    }
    const std::uint32_t even0 = pack16(wt[0], wt[2]), odd0 = pack16(wt[1], 0),
                        next0 = pack16(0, wt[1]);
    const std::uint32_t even1 = pack16(wt[3], wt[5]), odd1 = pack16(wt[4], 0),
                        next1 = pack16(0, wt[4]);
    const std::uint32_t even2 = pack16(wt[6], wt[8]), odd2 = pack16(wt[7], 0),
                        next2 = pack16(0, wt[7]);
    const std::int8_t* r0 = rows[0];
    const std::int8_t* r1 = rows[1];
    const std::int8_t* r2 = rows[2];
    std::int8_t* out = batch + y * row_stride + c;
    // x = 0 (its left column outside).
    out[0] = edge_output(p, stage, pixel_3x3(rows, wt, 0, in_w, pad, start));
    std::int32_t x = 1;
    // Pairs x, x + 1 while the word at x - 1 (x - 1 .. x + 2) stays inside the row.
    for (; x + 2 < in_w; x += 2) {
      const std::uint32_t v0 = dsp::load_word(r0 + x - 1);
      const std::uint32_t v1 = dsp::load_word(r1 + x - 1);
      const std::uint32_t v2 = dsp::load_word(r2 + x - 1);
      const std::uint32_t e0 = sxtb16(v0), o0 = sxtb16_ror8(v0);
      const std::uint32_t e1 = sxtb16(v1), o1 = sxtb16_ror8(v1);
      const std::uint32_t e2 = sxtb16(v2), o2 = sxtb16_ror8(v2);
      std::int32_t a = smlad(e0, even0, start);
      std::int32_t b = smlad(o0, even0, start);
      a = smlad(o0, odd0, a);
      b = smlad(e0, next0, b);
      a = smlad(e1, even1, a);
      b = smlad(o1, even1, b);
      a = smlad(o1, odd1, a);
      b = smlad(e1, next1, b);
      a = smlad(e2, even2, a);
      b = smlad(o2, even2, b);
      a = smlad(o2, odd2, a);
      b = smlad(e2, next2, b);
      out[x * in_c] = interior_output<S>(p, stage, a);
      out[(x + 1) * in_c] = interior_output<S>(p, stage, b);
    }
    // The rest (at most two pixels, the last with its right column outside).
    for (; x < in_w; ++x)
      out[x * in_c] = edge_output(p, stage, pixel_3x3(rows, wt, x, in_w, pad, start));
  }
}

}  // namespace

bool depthwise_s8_fast_in_place_applies(const Conv2dS8Params& p) {
  return p.in_c_per_group == 1 && p.out_c_per_group == 1 && p.out_c == p.in_c && p.in_c > 0 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.in_h > 0 && p.in_w > 0 &&
         // The padding value -input_offset must be an int8.
         p.input_offset >= -127 && p.input_offset <= 128 && p.kernel_h == 3 && p.kernel_w == 3 &&
         p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 1 && p.pad_left == 1 &&
         p.out_h == p.in_h && p.out_w == p.in_w && p.batches > 0;
}

void depthwise_s8_fast_in_place(const Conv2dS8Params& p, std::int8_t* data,
                                const std::int8_t* weights, const std::int32_t* folded_bias,
                                std::int8_t* scratch) {
  // A local copy: the int8 output stores may alias anything the caller's params point into.
  const Conv2dS8Params local = p;
  const std::int32_t plane = local.in_h * local.in_w;
  const bool full_range = local.act_min == -128 && local.act_max == 127;
  const Stage stage = !full_range ? kFull : (local.output_table == nullptr ? kLean : kTable);
  for (std::int32_t b = 0; b < local.batches; ++b) {
    std::int8_t* batch = data + b * plane * local.in_c;
    for (std::int32_t c = 0; c < local.in_c; ++c) {
      gather_plane(batch, c, local.in_c, plane, scratch);
      if (stage == kLean) {
        in_place_channel<kLean>(local, batch, weights, folded_bias, scratch, c);
      } else if (stage == kTable) {
        in_place_channel<kTable>(local, batch, weights, folded_bias, scratch, c);
      } else {
        in_place_channel<kFull>(local, batch, weights, folded_bias, scratch, c);
      }
    }
  }
}

std::int32_t depthwise_s8_fast_in_place_scratch_bytes(const Conv2dS8Params& p) {
  return p.in_h * p.in_w;
}

}  // namespace tinyscale::device
