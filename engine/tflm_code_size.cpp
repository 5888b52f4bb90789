#include "engine/tflm_code_size.h"

#include <algorithm>
#include <array>
#include <span>

namespace tinyscale::engine {
namespace {

// One group of input sections: the operators whose links keep it (bit i = kOps[i]) and its bytes.
struct Group {
  std::uint32_t ops;
  std::int64_t bytes;
};

struct Config {
  TflmKernels kernels;
  DeviceCore core;
  std::int64_t interpreter_bytes;        // the core link's FLASH (arm-none-eabi-size of its ELF)
  std::int64_t other_builtin_ops_bytes;  // every other builtin op the QEMU runner registers
  std::int64_t runner_libc_bytes;        // newlib code only the runner's main() needs
  std::span<const Group> groups;
};

// BuiltinOperator codes, in the order of the groups' bits.
constexpr std::array<int, 23> kOps = {
    3,    // CONV_2D
    4,    // DEPTHWISE_CONV_2D
    9,    // FULLY_CONNECTED
    0,    // ADD
    18,   // MUL
    1,    // AVERAGE_POOL_2D
    17,   // MAX_POOL_2D
    40,   // MEAN
    22,   // RESHAPE
    2,    // CONCATENATION
    25,   // SOFTMAX
    34,   // PAD
    97,   // RESIZE_NEAREST_NEIGHBOR
    49,   // SPLIT
    65,   // SLICE
    117,  // HARD_SWISH
    14,   // LOGISTIC
    28,   // TANH
    98,   // LEAKY_RELU
    19,   // RELU
    21,   // RELU6
    114,  // QUANTIZE
    6,    // DEQUANTIZE
};

// MEASURED 2026-12-07 with scripts/measure_tflm_code_size.sh (its output below, verbatim), on
// the prebuilt TFLite Micro 90b983c2 of ../shared/tools/tflm/cm/lib/{m7,m4}_{ref,cmsis}
// (libtensorflow-microlite.a built -O2 -ffunction-sections -fdata-sections by TFLM's Makefile,
// TARGET=cortex_m_generic, hard float; CMSIS-NN at the commit TFLM pins) linked by Debian's
// arm-none-eabi-g++ 12.2.1 with build_fw.sh's flags, linker script and libraries
// (-nostartfiles, nano.specs, nosys.specs, --gc-sections, -lc -lm -lgcc -lnosys). Each link
// keeps what is reachable from -Wl,-u roots: the core (the TFLM functions fw_main.cc calls and
// its op resolver), and the core plus one operator's Register_X and ParseX. Group bytes are the
// sizes of the input sections the map file places in FLASH (.text with .rodata, .ARM.exidx,
// .data's initial values), strings of mergeable string sections counted once each (ld merges
// duplicates); an operator's own group also takes the difference between its link's ELF and
// core + its groups (alignment padding, suffix-merged strings), so core + one operator is that
// link's FLASH to the byte. interpreter_bytes: the core link's ELF. Re-measure when the
// prebuilt library or the toolchain changes (the tests that link fail when the table drifts).
// Op bit i = kOps[i]: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, RESHAPE, CONCATENATION, SOFTMAX, PAD, RESIZE_NEAREST_NEIGHBOR, SPLIT, SLICE, HARD_SWISH, LOGISTIC, TANH, LEAKY_RELU, RELU, RELU6, QUANTIZE, DEQUANTIZE
// m7_ref: build_fw.sh ELF 418400 B = runner objects and model 6855 B + all builtin ops' link 410928 B + newlib code only the runner needs 617 B
// m7_ref: core link 29508 B (ELF; 29661 B as sections and distinct strings); the 23 ops' link 125516 B (ELF; table: 125514 B)
constexpr Group kM7RefGroups[] = {
    {0x000001, 7464},  // CONV_2D
    {0x000002, 6322},  // DEPTHWISE_CONV_2D
    {0x000004, 5118},  // FULLY_CONNECTED
    {0x000008, 9167},  // ADD
    {0x000010, 8322},  // MUL
    {0x000020, 2331},  // AVERAGE_POOL_2D
    {0x000040, 2363},  // MAX_POOL_2D
    {0x000080, 4944},  // MEAN
    {0x000100, 1499},  // RESHAPE
    {0x000200, 5273},  // CONCATENATION
    {0x000400, 4796},  // SOFTMAX
    {0x000800, 4487},  // PAD
    {0x001000, 3363},  // RESIZE_NEAREST_NEIGHBOR
    {0x002000, 1865},  // SPLIT
    {0x004000, 4125},  // SLICE
    {0x008000, 1561},  // HARD_SWISH
    {0x010000, 2596},  // LOGISTIC
    {0x020000, 3256},  // TANH
    {0x040000, 1352},  // LEAKY_RELU
    {0x080000, 1074},  // RELU
    {0x100000, 863},  // RELU6
    {0x200000, 2322},  // QUANTIZE
    {0x400000, 1033},  // DEQUANTIZE
    {0x000003, 994},  // CONV_2D+DEPTHWISE_CONV_2D
    {0x000006, 36},  // DEPTHWISE_CONV_2D+FULLY_CONNECTED
    {0x200004, 28},  // FULLY_CONNECTED+QUANTIZE
    {0x000018, 752},  // ADD+MUL
    {0x008008, 108},  // ADD+HARD_SWISH
    {0x000060, 1072},  // AVERAGE_POOL_2D+MAX_POOL_2D
    {0x002080, 16},  // MEAN+SPLIT
    {0x001080, 16},  // MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x040400, 34},  // SOFTMAX+LEAKY_RELU
    {0x010400, 872},  // SOFTMAX+LOGISTIC
    {0x020400, 556},  // SOFTMAX+TANH
    {0x080800, 62},  // PAD+RELU
    {0x030000, 668},  // LOGISTIC+TANH
    {0x180000, 116},  // RELU+RELU6
    {0x000105, 6},  // CONV_2D+FULLY_CONNECTED+RESHAPE
    {0x000007, 762},  // CONV_2D+DEPTHWISE_CONV_2D+FULLY_CONNECTED
    {0x000083, 20},  // CONV_2D+DEPTHWISE_CONV_2D+MEAN
    {0x200003, 28},  // CONV_2D+DEPTHWISE_CONV_2D+QUANTIZE
    {0x001090, 4},  // MUL+MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x200180, 26},  // MEAN+RESHAPE+QUANTIZE
    {0x030400, 1440},  // SOFTMAX+LOGISTIC+TANH
    {0x000063, 16},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D
    {0x630000, 36},  // LOGISTIC+TANH+QUANTIZE+DEQUANTIZE
    {0x0000e3, 872},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D+MEAN
    {0x000479, 28},  // CONV_2D+ADD+MUL+AVERAGE_POOL_2D+MAX_POOL_2D+SOFTMAX
    {0x1b0600, 28},  // CONCATENATION+SOFTMAX+LOGISTIC+TANH+RELU+RELU6
    {0x1b0c00, 28},  // SOFTMAX+PAD+LOGISTIC+TANH+RELU+RELU6
    {0x00007f, 466},  // 7 ops
    {0x1b0610, 4},  // MUL+CONCATENATION+SOFTMAX+LOGISTIC+TANH+RELU+RELU6
    {0x00027f, 18},  // 8 ops
    {0x070d05, 16},  // CONV_2D+FULLY_CONNECTED+RESHAPE+SOFTMAX+PAD+LOGISTIC+TANH+LEAKY_RELU
    {0x070f05, 12},  // 9 ops
    {0x070794, 28},  // 9 ops
    {0x66d410, 16},  // 9 ops
    {0x2f0497, 333},  // 11 ops
    {0x2c849f, 224},  // 11 ops
    {0x66dd10, 20},  // 11 ops
    {0x2f849f, 120},  // 13 ops
    {0x0437ff, 22},  // 14 ops
    {0x66dd93, 4},  // 14 ops
    {0x7f8f67, 20},  // 17 ops
    {0x7f8d7f, 20},  // 18 ops
    {0x7fdf9f, 28},  // 20 ops
    {0x7fdeff, 44},  // 21 ops
    {0x6fdfff, 42},  // 21 ops
    {0x7fafff, 24},  // 21 ops
    {0x7fffff, 425},  // 23 ops
};
// m7_cmsis: build_fw.sh ELF 478512 B = runner objects and model 6855 B + all builtin ops' link 471008 B + newlib code only the runner needs 649 B
// m7_cmsis: core link 29508 B (ELF; 29661 B as sections and distinct strings); the 23 ops' link 175788 B (ELF; table: 175812 B)
constexpr Group kM7CmsisGroups[] = {
    {0x000001, 25128},  // CONV_2D
    {0x000002, 18076},  // DEPTHWISE_CONV_2D
    {0x000004, 16308},  // FULLY_CONNECTED
    {0x000008, 11487},  // ADD
    {0x000010, 10130},  // MUL
    {0x000020, 2437},  // AVERAGE_POOL_2D
    {0x000040, 2595},  // MAX_POOL_2D
    {0x000080, 4944},  // MEAN
    {0x000100, 1499},  // RESHAPE
    {0x000200, 5273},  // CONCATENATION
    {0x000400, 7431},  // SOFTMAX
    {0x000800, 4775},  // PAD
    {0x001000, 3359},  // RESIZE_NEAREST_NEIGHBOR
    {0x002000, 1865},  // SPLIT
    {0x004000, 4125},  // SLICE
    {0x008000, 1561},  // HARD_SWISH
    {0x010000, 2912},  // LOGISTIC
    {0x020000, 3812},  // TANH
    {0x040000, 1352},  // LEAKY_RELU
    {0x080000, 1074},  // RELU
    {0x100000, 863},  // RELU6
    {0x200000, 2302},  // QUANTIZE
    {0x400000, 1033},  // DEQUANTIZE
    {0x000003, 1114},  // CONV_2D+DEPTHWISE_CONV_2D
    {0x000005, 2452},  // CONV_2D+FULLY_CONNECTED
    {0x001001, 4},  // CONV_2D+RESIZE_NEAREST_NEIGHBOR
    {0x200002, 48},  // DEPTHWISE_CONV_2D+QUANTIZE
    {0x000018, 768},  // ADD+MUL
    {0x008008, 108},  // ADD+HARD_SWISH
    {0x000060, 1288},  // AVERAGE_POOL_2D+MAX_POOL_2D
    {0x002080, 16},  // MEAN+SPLIT
    {0x001080, 16},  // MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x040400, 34},  // SOFTMAX+LEAKY_RELU
    {0x010400, 556},  // SOFTMAX+LOGISTIC
    {0x030000, 944},  // LOGISTIC+TANH
    {0x180000, 116},  // RELU+RELU6
    {0x000105, 6},  // CONV_2D+FULLY_CONNECTED+RESHAPE
    {0x000007, 295},  // CONV_2D+DEPTHWISE_CONV_2D+FULLY_CONNECTED
    {0x000083, 20},  // CONV_2D+DEPTHWISE_CONV_2D+MEAN
    {0x200006, 28},  // DEPTHWISE_CONV_2D+FULLY_CONNECTED+QUANTIZE
    {0x001090, 4},  // MUL+MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x200180, 26},  // MEAN+RESHAPE+QUANTIZE
    {0x030400, 1164},  // SOFTMAX+LOGISTIC+TANH
    {0x000063, 16},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D
    {0x630000, 36},  // LOGISTIC+TANH+QUANTIZE+DEQUANTIZE
    {0x0000e3, 872},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D+MEAN
    {0x080c26, 62},  // DEPTHWISE_CONV_2D+FULLY_CONNECTED+AVERAGE_POOL_2D+SOFTMAX+PAD+RELU
    {0x00007f, 466},  // 7 ops
    {0x2f0090, 333},  // MUL+MEAN+LOGISTIC+TANH+LEAKY_RELU+RELU+QUANTIZE
    {0x00027f, 18},  // 8 ops
    {0x00047f, 28},  // 8 ops
    {0x070790, 28},  // MUL+MEAN+RESHAPE+CONCATENATION+SOFTMAX+LOGISTIC+TANH+LEAKY_RELU
    {0x1b0607, 28},  // 9 ops
    {0x66d410, 16},  // 9 ops
    {0x070d0f, 16},  // 10 ops
    {0x070f07, 12},  // 10 ops
    {0x1b0c0f, 28},  // 10 ops
    {0x2c849f, 224},  // 11 ops
    {0x1b061f, 4},  // 11 ops
    {0x66dd10, 20},  // 11 ops
    {0x2f849f, 120},  // 13 ops
    {0x0437ff, 22},  // 14 ops
    {0x66dd93, 4},  // 14 ops
    {0x7f8f67, 20},  // 17 ops
    {0x7f8d7f, 20},  // 18 ops
    {0x7fdf9f, 28},  // 20 ops
    {0x7fdeff, 44},  // 21 ops
    {0x6fdfff, 42},  // 21 ops
    {0x7fafff, 24},  // 21 ops
    {0x7fffff, 425},  // 23 ops
};
// m4_ref: build_fw.sh ELF 434352 B = runner objects and model 6891 B + all builtin ops' link 426816 B + newlib code only the runner needs 645 B
// m4_ref: core link 29540 B (ELF; 29685 B as sections and distinct strings); the 23 ops' link 130080 B (ELF; table: 130068 B)
constexpr Group kM4RefGroups[] = {
    {0x000001, 7416},  // CONV_2D
    {0x000002, 6178},  // DEPTHWISE_CONV_2D
    {0x000004, 5138},  // FULLY_CONNECTED
    {0x000008, 9283},  // ADD
    {0x000010, 8758},  // MUL
    {0x000020, 2363},  // AVERAGE_POOL_2D
    {0x000040, 2427},  // MAX_POOL_2D
    {0x000080, 4952},  // MEAN
    {0x000100, 1531},  // RESHAPE
    {0x000200, 5313},  // CONCATENATION
    {0x000400, 5213},  // SOFTMAX
    {0x000800, 4655},  // PAD
    {0x001000, 3671},  // RESIZE_NEAREST_NEIGHBOR
    {0x002000, 1897},  // SPLIT
    {0x004000, 3869},  // SLICE
    {0x008000, 1665},  // HARD_SWISH
    {0x010000, 2725},  // LOGISTIC
    {0x020000, 3481},  // TANH
    {0x040000, 1392},  // LEAKY_RELU
    {0x080000, 1134},  // RELU
    {0x100000, 887},  // RELU6
    {0x200000, 2478},  // QUANTIZE
    {0x400000, 1133},  // DEQUANTIZE
    {0x000003, 1030},  // CONV_2D+DEPTHWISE_CONV_2D
    {0x000006, 36},  // DEPTHWISE_CONV_2D+FULLY_CONNECTED
    {0x200004, 28},  // FULLY_CONNECTED+QUANTIZE
    {0x000018, 752},  // ADD+MUL
    {0x008008, 108},  // ADD+HARD_SWISH
    {0x000060, 1108},  // AVERAGE_POOL_2D+MAX_POOL_2D
    {0x002080, 16},  // MEAN+SPLIT
    {0x001080, 16},  // MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x040400, 34},  // SOFTMAX+LEAKY_RELU
    {0x010400, 948},  // SOFTMAX+LOGISTIC
    {0x020400, 616},  // SOFTMAX+TANH
    {0x080800, 62},  // PAD+RELU
    {0x030000, 820},  // LOGISTIC+TANH
    {0x180000, 116},  // RELU+RELU6
    {0x000105, 6},  // CONV_2D+FULLY_CONNECTED+RESHAPE
    {0x000007, 826},  // CONV_2D+DEPTHWISE_CONV_2D+FULLY_CONNECTED
    {0x000083, 20},  // CONV_2D+DEPTHWISE_CONV_2D+MEAN
    {0x200003, 28},  // CONV_2D+DEPTHWISE_CONV_2D+QUANTIZE
    {0x001090, 4},  // MUL+MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x200180, 26},  // MEAN+RESHAPE+QUANTIZE
    {0x030400, 695},  // SOFTMAX+LOGISTIC+TANH
    {0x600400, 160},  // SOFTMAX+QUANTIZE+DEQUANTIZE
    {0x000063, 16},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D
    {0x130400, 80},  // SOFTMAX+LOGISTIC+TANH+RELU6
    {0x630000, 36},  // LOGISTIC+TANH+QUANTIZE+DEQUANTIZE
    {0x0000e3, 872},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D+MEAN
    {0x000479, 28},  // CONV_2D+ADD+MUL+AVERAGE_POOL_2D+MAX_POOL_2D+SOFTMAX
    {0x1b0600, 28},  // CONCATENATION+SOFTMAX+LOGISTIC+TANH+RELU+RELU6
    {0x1b0c00, 28},  // SOFTMAX+PAD+LOGISTIC+TANH+RELU+RELU6
    {0x00007f, 474},  // 7 ops
    {0x1b0610, 4},  // MUL+CONCATENATION+SOFTMAX+LOGISTIC+TANH+RELU+RELU6
    {0x00027f, 18},  // 8 ops
    {0x070d05, 16},  // CONV_2D+FULLY_CONNECTED+RESHAPE+SOFTMAX+PAD+LOGISTIC+TANH+LEAKY_RELU
    {0x070f05, 12},  // 9 ops
    {0x070794, 28},  // 9 ops
    {0x66d410, 16},  // 9 ops
    {0x2f0497, 333},  // 11 ops
    {0x2c849f, 316},  // 11 ops
    {0x66dd10, 20},  // 11 ops
    {0x2f849f, 104},  // 13 ops
    {0x2b147f, 76},  // 13 ops
    {0x0437ff, 22},  // 14 ops
    {0x6f849f, 1060},  // 14 ops
    {0x3f849f, 160},  // 14 ops
    {0x66dd93, 4},  // 14 ops
    {0x2f84ff, 272},  // 15 ops
    {0x7f8f67, 20},  // 17 ops
    {0x7f8d7f, 20},  // 18 ops
    {0x7f8eff, 888},  // 19 ops
    {0x7fdf9f, 28},  // 20 ops
    {0x7fdeff, 44},  // 21 ops
    {0x6fdfff, 42},  // 21 ops
    {0x7fafff, 24},  // 21 ops
    {0x7fffff, 425},  // 23 ops
};
// m4_cmsis: build_fw.sh ELF 493856 B = runner objects and model 6891 B + all builtin ops' link 486320 B + newlib code only the runner needs 645 B
// m4_cmsis: core link 29540 B (ELF; 29685 B as sections and distinct strings); the 23 ops' link 179680 B (ELF; table: 179658 B)
constexpr Group kM4CmsisGroups[] = {
    {0x000001, 24888},  // CONV_2D
    {0x000002, 17996},  // DEPTHWISE_CONV_2D
    {0x000004, 16200},  // FULLY_CONNECTED
    {0x000008, 11475},  // ADD
    {0x000010, 10566},  // MUL
    {0x000020, 2437},  // AVERAGE_POOL_2D
    {0x000040, 2627},  // MAX_POOL_2D
    {0x000080, 4952},  // MEAN
    {0x000100, 1531},  // RESHAPE
    {0x000200, 5313},  // CONCATENATION
    {0x000400, 7588},  // SOFTMAX
    {0x000800, 4943},  // PAD
    {0x001000, 3667},  // RESIZE_NEAREST_NEIGHBOR
    {0x002000, 1897},  // SPLIT
    {0x004000, 3869},  // SLICE
    {0x008000, 1665},  // HARD_SWISH
    {0x010000, 3029},  // LOGISTIC
    {0x020000, 4097},  // TANH
    {0x040000, 1392},  // LEAKY_RELU
    {0x080000, 1134},  // RELU
    {0x100000, 887},  // RELU6
    {0x200000, 2458},  // QUANTIZE
    {0x400000, 1133},  // DEQUANTIZE
    {0x000003, 1150},  // CONV_2D+DEPTHWISE_CONV_2D
    {0x000005, 2452},  // CONV_2D+FULLY_CONNECTED
    {0x001001, 4},  // CONV_2D+RESIZE_NEAREST_NEIGHBOR
    {0x200002, 48},  // DEPTHWISE_CONV_2D+QUANTIZE
    {0x000018, 768},  // ADD+MUL
    {0x008008, 108},  // ADD+HARD_SWISH
    {0x000060, 1324},  // AVERAGE_POOL_2D+MAX_POOL_2D
    {0x002080, 16},  // MEAN+SPLIT
    {0x001080, 16},  // MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x040400, 34},  // SOFTMAX+LEAKY_RELU
    {0x010400, 644},  // SOFTMAX+LOGISTIC
    {0x030000, 1108},  // LOGISTIC+TANH
    {0x180000, 116},  // RELU+RELU6
    {0x000105, 6},  // CONV_2D+FULLY_CONNECTED+RESHAPE
    {0x000007, 359},  // CONV_2D+DEPTHWISE_CONV_2D+FULLY_CONNECTED
    {0x000083, 20},  // CONV_2D+DEPTHWISE_CONV_2D+MEAN
    {0x200006, 28},  // DEPTHWISE_CONV_2D+FULLY_CONNECTED+QUANTIZE
    {0x001090, 4},  // MUL+MEAN+RESIZE_NEAREST_NEIGHBOR
    {0x200180, 26},  // MEAN+RESHAPE+QUANTIZE
    {0x030400, 407},  // SOFTMAX+LOGISTIC+TANH
    {0x600400, 160},  // SOFTMAX+QUANTIZE+DEQUANTIZE
    {0x000063, 16},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D
    {0x130400, 80},  // SOFTMAX+LOGISTIC+TANH+RELU6
    {0x630000, 36},  // LOGISTIC+TANH+QUANTIZE+DEQUANTIZE
    {0x0000e3, 872},  // CONV_2D+DEPTHWISE_CONV_2D+AVERAGE_POOL_2D+MAX_POOL_2D+MEAN
    {0x080c26, 62},  // DEPTHWISE_CONV_2D+FULLY_CONNECTED+AVERAGE_POOL_2D+SOFTMAX+PAD+RELU
    {0x00007f, 474},  // 7 ops
    {0x2f0090, 333},  // MUL+MEAN+LOGISTIC+TANH+LEAKY_RELU+RELU+QUANTIZE
    {0x00027f, 18},  // 8 ops
    {0x00047f, 28},  // 8 ops
    {0x070790, 28},  // MUL+MEAN+RESHAPE+CONCATENATION+SOFTMAX+LOGISTIC+TANH+LEAKY_RELU
    {0x1b0607, 28},  // 9 ops
    {0x66d410, 16},  // 9 ops
    {0x070d0f, 16},  // 10 ops
    {0x070f07, 12},  // 10 ops
    {0x1b0c0f, 28},  // 10 ops
    {0x2c849f, 316},  // 11 ops
    {0x1b061f, 4},  // 11 ops
    {0x66dd10, 20},  // 11 ops
    {0x2f849f, 104},  // 13 ops
    {0x2b147f, 76},  // 13 ops
    {0x0437ff, 22},  // 14 ops
    {0x6f849f, 1060},  // 14 ops
    {0x3f849f, 160},  // 14 ops
    {0x66dd93, 4},  // 14 ops
    {0x2f84ff, 272},  // 15 ops
    {0x7f8f67, 20},  // 17 ops
    {0x7f8d7f, 20},  // 18 ops
    {0x7f8eff, 888},  // 19 ops
    {0x7fdf9f, 28},  // 20 ops
    {0x7fdeff, 44},  // 21 ops
    {0x6fdfff, 42},  // 21 ops
    {0x7fafff, 24},  // 21 ops
    {0x7fffff, 425},  // 23 ops
};
constexpr Config kConfigs[] = {
    {TflmKernels::reference, DeviceCore::cortex_m7, 29508, 285412, 617, kM7RefGroups},
    {TflmKernels::cmsis_nn, DeviceCore::cortex_m7, 29508, 295220, 649, kM7CmsisGroups},
    {TflmKernels::reference, DeviceCore::cortex_m4, 29540, 296736, 645, kM4RefGroups},
    {TflmKernels::cmsis_nn, DeviceCore::cortex_m4, 29540, 306640, 645, kM4CmsisGroups},
};

const Config* find_config(TflmKernels kernels, DeviceCore core) {
  for (const Config& c : kConfigs) {
    if (c.kernels == kernels && c.core == core) return &c;
  }
  return nullptr;
}

int op_index(int builtin) {
  for (std::size_t i = 0; i < kOps.size(); ++i) {
    if (kOps[i] == builtin) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

std::vector<int> tflm_code_size_ops() { return {kOps.begin(), kOps.end()}; }

TflmCodeSize tflm_code_size_of_ops(const std::vector<int>& builtins, TflmKernels kernels,
                                   DeviceCore core) {
  TflmCodeSize size;
  const Config* config = find_config(kernels, core);
  if (config == nullptr) {  // every (kernels, core) pair is measured; kept for safety
    size.exact = false;
    size.notes.push_back("no measured TFLite Micro code size for this core and kernel set");
    return size;
  }
  size.interpreter_bytes = config->interpreter_bytes;
  size.notes.push_back(std::string("TFLite Micro 90b983c2 code measured on ") +
                       device_core_name(core) + " with " + tflm_kernels_name(kernels) +
                       " kernels (arm-none-eabi-gcc 12, -O2, --gc-sections)");
  std::vector<int> distinct;
  for (int b : builtins) {
    if (std::find(distinct.begin(), distinct.end(), b) == distinct.end()) distinct.push_back(b);
  }
  std::uint32_t counted = 0;  // the groups already counted under an earlier operator
  for (int b : distinct) {
    int i = op_index(b);
    std::int64_t bytes = 0;
    if (i < 0) {
      size.exact = false;
      size.notes.push_back("builtin operator " + std::to_string(b) +
                           " is not in the measured code-size table: its kernel counts 0 B");
    } else {
      for (const Group& g : config->groups) {
        if ((g.ops >> i & 1U) != 0 && (g.ops & counted) == 0) bytes += g.bytes;
      }
      counted |= 1U << i;
    }
    size.per_op.emplace_back(b, bytes);
    size.kernel_bytes += bytes;
  }
  return size;
}

TflmCodeSize tflm_code_size(const TfliteLayout& model, TflmKernels kernels, DeviceCore core) {
  std::vector<int> builtins;
  builtins.reserve(model.operators.size());
  for (const TfliteOperatorLayout& op : model.operators) builtins.push_back(op.builtin);
  return tflm_code_size_of_ops(builtins, kernels, core);
}

TflmLinkRest tflm_link_rest(TflmKernels kernels, DeviceCore core) {
  const Config* config = find_config(kernels, core);
  if (config == nullptr) return {};
  return {config->other_builtin_ops_bytes, config->runner_libc_bytes};
}

}  // namespace tinyscale::engine
