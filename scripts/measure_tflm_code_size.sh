#!/usr/bin/env bash
# measure_tflm_code_size.sh [SHARED_DIR]
#   Measures the FLASH that TensorFlow Lite Micro's code takes in a Cortex-M firmware, for the
#   prebuilt TFLM (commit 90b983c2) in SHARED_DIR/tools/tflm/cm/lib/{m7,m4}_{ref,cmsis}, and
#   prints the table engine/tflm_code_size.cpp holds (paste it there to re-measure).
# measure_tflm_code_size.sh --link CFG OUT_PREFIX [BUILTIN_CODE...] [--shared SHARED_DIR]
#   Links the interpreter core plus the kernels of the given builtin operators only (a firmware
#   registering just those ops) and prints its FLASH bytes; keeps OUT_PREFIX.elf/.map.
#
# How (no TFLM headers are needed): every link uses build_fw.sh's compiler, flags, linker
# script and libraries (arm-none-eabi-g++ CPUFLAGS -nostartfiles nano/nosys specs, mps2.ld,
# --gc-sections, -lc -lm -lgcc -lnosys) but replaces the runner's main() by garbage-collection
# roots given with -Wl,-u (ld keeps every section reachable from a symbol undefined on the
# command line):
#   core  = what fw_main.cc calls in TFLM (MicroInterpreter ctor/dtor, AllocateTensors, Invoke,
#           input, output, arena_used_bytes, MicroPrintf, RegisterDebugLogCallback) plus the
#           op resolver fw_main.o instantiates (MicroMutableOpResolver's vtable and AddBuiltin);
#   op X  = core + tflite::Register_X() + the ParseX function MicroMutableOpResolver::AddX
#           registers with it.
# FLASH = the input sections the map file places in .text (code + .rodata), .ARM.exidx/extab,
# the init/fini arrays and .data (its initial values are stored in flash); the strings of
# mergeable string sections (.rodata.*.str1.*) count once each however many objects hold them,
# as ld merges them (read from the objects themselves).
# A section (or string) that an op's link keeps and the core link does not belongs to the op;
# one kept by several ops' links forms a shared group with the set of ops that need it, so the
# union over any set of ops is core + the groups any of them needs. Each op's own group also
# takes what its link's ELF has beyond core + its groups (alignment padding, suffix-merged
# strings), so core + one op is that link's ELF to the byte; for several ops the sum is within
# ~0.1 % of their link. The runner's own pieces (startup.o, semihost.o, fw_main.o's main, the
# model data and the newlib code only main's snprintf pulls in) are not counted.
# Takes ~10 s (about 110 links).
set -euo pipefail
HERE=$(dirname "$(readlink -f "$0")")
exec python3 - "$HERE" "$@" <<'PY'
import os, re, struct, subprocess, sys, tempfile

here = sys.argv[1]
args = sys.argv[2:]
shared = os.path.normpath(os.path.join(here, "..", "..", "shared"))
if "--shared" in args:
    i = args.index("--shared"); shared = args[i + 1]; del args[i:i + 2]
elif args and not args[0].startswith("--"):
    shared = args.pop(0)
CM = os.path.join(shared, "tools", "tflm", "cm")
if not os.path.isdir(CM):
    sys.exit("no %s (the prebuilt TFLM of ../shared/tools)" % CM)

# The ops the table covers: (BuiltinOperator code, name, Register_ function, Parse function).
OPS = [
    (3, "CONV_2D", "Register_CONV_2D", "ParseConv2D"),
    (4, "DEPTHWISE_CONV_2D", "Register_DEPTHWISE_CONV_2D", "ParseDepthwiseConv2D"),
    (9, "FULLY_CONNECTED", "Register_FULLY_CONNECTED", "ParseFullyConnected"),
    (0, "ADD", "Register_ADD", "ParseAdd"),
    (18, "MUL", "Register_MUL", "ParseMul"),
    (1, "AVERAGE_POOL_2D", "Register_AVERAGE_POOL_2D", "ParsePool"),
    (17, "MAX_POOL_2D", "Register_MAX_POOL_2D", "ParsePool"),
    (40, "MEAN", "Register_MEAN", "ParseReducer"),
    (22, "RESHAPE", "Register_RESHAPE", "ParseReshape"),
    (2, "CONCATENATION", "Register_CONCATENATION", "ParseConcatenation"),
    (25, "SOFTMAX", "Register_SOFTMAX", "ParseSoftmax"),
    (34, "PAD", "Register_PAD", "ParsePad"),
    (97, "RESIZE_NEAREST_NEIGHBOR", "Register_RESIZE_NEAREST_NEIGHBOR", "ParseResizeNearestNeighbor"),
    (49, "SPLIT", "Register_SPLIT", "ParseSplit"),
    (65, "SLICE", "Register_SLICE", "ParseSlice"),
    (117, "HARD_SWISH", "Register_HARD_SWISH", "ParseHardSwish"),
    (14, "LOGISTIC", "Register_LOGISTIC", "ParseLogistic"),
    (28, "TANH", "Register_TANH", "ParseTanh"),
    (98, "LEAKY_RELU", "Register_LEAKY_RELU", "ParseLeakyRelu"),
    (19, "RELU", "Register_RELU", "ParseRelu"),
    (21, "RELU6", "Register_RELU6", "ParseRelu6"),
    (114, "QUANTIZE", "Register_QUANTIZE", "ParseQuantize"),
    (6, "DEQUANTIZE", "Register_DEQUANTIZE", "ParseDequantize"),
]
CFGS = ["m7_ref", "m7_cmsis", "m4_ref", "m4_cmsis"]
RUNNER_ONLY = {"__aeabi_atexit", "__dso_handle", "__assert_func", "memcpy", "snprintf",
               "strcmp", "sh_write0", "tseval_input", "tseval_input_len", "tseval_model",
               "tseval_model_len", "tseval_systick_wraps"}
RESOLVER = ["_ZTVN6tflite22MicroMutableOpResolverILj128EEE",
            "_ZN6tflite22MicroMutableOpResolverILj128EE10AddBuiltinENS_15BuiltinOperatorERK16"
            "TFLMRegistrationPF12TfLiteStatusPKNS_8OperatorEPNS_13ErrorReporterEPNS_20"
            "BuiltinDataAllocatorEPPvE"]
FLASH_OUT = {".text", ".ARM.extab", ".ARM.exidx", ".preinit_array", ".init_array",
             ".fini_array", ".data"}

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

def undefined_of_runner(lib):
    mangled = run(["arm-none-eabi-nm", "-u", os.path.join(lib, "fw_main.o")]).split()
    mangled = [m for m in mangled if m != "U"]
    demangled = run(["c++filt"], ) if False else subprocess.run(
        ["c++filt"], input="\n".join(mangled), capture_output=True, text=True).stdout.split("\n")
    return list(zip(mangled, demangled))

def roots_for(lib):
    und = undefined_of_runner(lib)
    core = [m for m, d in und if m not in RUNNER_ONLY and not re.search(r"::(Register_|Parse)", d)]
    byname = {}
    for m, d in und:
        g = re.search(r"::((Register_|Parse)\w+)\(", d)
        if g: byname[g.group(1)] = m
    return core + RESOLVER, byname

def parse_map(path):
    """{(file, section): size} of the input sections placed in FLASH output sections."""
    secs = {}
    text = open(path).read()
    body = text[text.index("Linker script and memory map"):]
    out = None
    pending = None
    for line in body.split("\n"):
        m = re.match(r"^(\.[\w.]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+", line)
        if m and not line.startswith(" "):
            out = m.group(1); pending = None; continue
        m = re.match(r"^(\.[\w.]+)\s*$", line)
        if m:
            out = m.group(1); pending = None; continue
        if out not in FLASH_OUT:
            continue
        m = re.match(r"^ (\S+)\s*$", line)
        if m and not line.startswith(" *"):
            pending = m.group(1); continue
        m = re.match(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        name = None
        if m and not m.group(1).startswith("*"):
            name, size, f = m.group(1), int(m.group(3), 16), m.group(4)
        else:
            m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
            if m and pending:
                name, size, f = pending, int(m.group(2), 16), m.group(3)
        pending = None
        if name and size:
            key = (f.strip(), name, 0)
            while key in secs:
                key = (key[0], key[1], key[2] + 1)
            secs[key] = size
    return secs

_objects = {}
def object_sections(path):
    """[(name, flags, align, data)] of an object file or archive member 'lib.a(x.o)'."""
    if path not in _objects:
        m = re.match(r"^(.*\.a)\((.*)\)$", path)
        if m:
            data = subprocess.run(["arm-none-eabi-ar", "p", m.group(1), m.group(2)],
                                  check=True, capture_output=True).stdout
        else:
            data = open(path, "rb").read()
        shoff, = struct.unpack_from("<I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
        hdrs = [struct.unpack_from("<10I", data, shoff + i * shentsize) for i in range(shnum)]
        strtab = hdrs[shstrndx]
        def name(off):
            b = data[strtab[4] + off:]
            return b[:b.index(0)].decode()
        _objects[path] = [(name(h[0]), h[2], h[8], data[h[4]:h[4] + h[5]]) for h in hdrs]
    return _objects[path]

def items_of(secs):
    """The link's FLASH as items: each non-string section, and each distinct string of the
    mergeable string sections (ld keeps one copy of a string however many objects hold it),
    padded to its section's alignment. {item: bytes}."""
    items = {}
    for key, size in secs.items():
        if ".str" not in key[1]:
            items[key] = size
            continue
        found = [s for s in object_sections(key[0]) if s[0] == key[1] and s[1] & 0x30 == 0x30]
        if len(found) <= key[2]:
            items[key] = size
            continue
        _, _, align, data = found[key[2]]
        align = max(align, 1)
        for raw in data.split(b"\0"):
            if raw:
                items[("str", align, raw)] = -(-(len(raw) + 1) // align) * align
    return items

def flash_of_elf(elf):
    total = 0
    for line in run(["arm-none-eabi-size", "-A", elf]).split("\n"):
        p = line.split()
        if len(p) >= 2 and p[0] in FLASH_OUT:
            total += int(p[1])
    return total

def link(cfg, roots, out):
    lib = os.path.join(CM, "lib", cfg)
    cpuflags = open(os.path.join(lib, "cpuflags.txt")).read().split()
    cmd = (["arm-none-eabi-g++"] + cpuflags +
           ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
            "-T", os.path.join(CM, "fw", "mps2.ld"), "-Wl,--gc-sections",
            "-Wl,-Map," + out + ".map", "-Wl,-e," + roots[0]] +
           ["-Wl,-u," + r for r in roots] +
           [os.path.join(lib, "fw_main.o"), os.path.join(lib, "libtensorflow-microlite.a"),
            "-Wl,--start-group", "-lc", "-lm", "-lgcc", "-lnosys", "-Wl,--end-group",
            "-o", out + ".elf"])
    run(cmd)
    return items_of(parse_map(out + ".map")), flash_of_elf(out + ".elf")

def op_roots(byname, op):
    return [byname[op[2]], byname[op[3]]]

def is_runner(key):
    f, sec = key[0], key[1]
    f = os.path.basename(f)
    if f in ("startup.o", "semihost.o", "model_data.o"):
        return True
    return f == "fw_main.o" and "MicroMutableOpResolver" not in sec

if args and args[0] == "--link":
    cfg, prefix, codes = args[1], args[2], [int(c) for c in args[3:]]
    lib = os.path.join(CM, "lib", cfg)
    core, byname = roots_for(lib)
    roots = list(core)
    for c in codes:
        ops = [o for o in OPS if o[0] == c]
        if not ops:
            sys.exit("builtin %d is not in the table" % c)
        roots += op_roots(byname, ops[0])
    secs, flash = link(cfg, roots, prefix)
    print(flash)
    sys.exit(0)

def total(s): return sum(s.values())

tmp = tempfile.mkdtemp(prefix="tflm_code_size_")
rows = []
print("// Op bit i = kOps[i]: " + ", ".join(o[1] for o in OPS))
for cfg in CFGS:
    lib = os.path.join(CM, "lib", cfg)
    core_roots, byname = roots_for(lib)
    core, core_flash = link(cfg, core_roots, os.path.join(tmp, cfg + "_core"))
    owners = {}  # section -> set of op indices
    op_flash = []
    for i, op in enumerate(OPS):
        secs, flash = link(cfg, core_roots + op_roots(byname, op), os.path.join(tmp, "%s_%d" % (cfg, i)))
        op_flash.append(flash)
        for k, v in secs.items():
            if k not in core:
                owners.setdefault(k, (v, set()))[1].add(i)
    groups = {}
    for k, (v, who) in owners.items():
        mask = sum(1 << i for i in who)
        groups[mask] = groups.get(mask, 0) + v
    # The map gives string sections' sizes before the linker merges duplicate strings (most of
    # a kernel's TF_LITE_ENSURE messages are already in the core) and no alignment padding: the
    # op's own group takes the difference, so core + op is its link's ELF to the byte.
    for i in range(len(OPS)):
        counted = sum(v for m, v in groups.items() if m >> i & 1)
        groups[1 << i] = groups.get(1 << i, 0) + (op_flash[i] - core_flash) - counted
    table_roots = list(core_roots)
    for op in OPS: table_roots += op_roots(byname, op)
    table_secs, table_flash = link(cfg, table_roots, os.path.join(tmp, cfg + "_table"))
    all_roots = list(core_roots) + [m for n, m in byname.items()]
    all_secs, all_flash = link(cfg, all_roots, os.path.join(tmp, cfg + "_all"))
    other = all_flash - table_flash  # every other builtin op, as the ELFs differ
    # The runner's firmware exactly as build_fw.sh links it (a 4-byte model: only linked).
    model = os.path.join(tmp, "m.tflite"); open(model, "wb").write(b"\0" * 4)
    fw = os.path.join(tmp, cfg + "_fw")
    run([os.path.join(CM, "build_fw.sh"), model, model, cfg, fw + ".elf"])
    fw_secs = parse_map(fw + ".map")
    runner_secs = total({k: v for k, v in fw_secs.items() if is_runner(k)})
    fw_flash = flash_of_elf(fw + ".elf")
    # What is left of the runner's firmware without its objects and without TFLM: the newlib
    # code its main()'s snprintf pulls in.
    runner_libc = fw_flash - runner_secs - all_flash
    print("// %s: build_fw.sh ELF %d B = runner objects and model %d B + all builtin ops' link %d B"
          " + newlib code only the runner needs %d B" % (cfg, fw_flash, runner_secs, all_flash, runner_libc))
    kernels, core_name = ("cmsis_nn" if "cmsis" in cfg else "reference"), cfg[:2]
    ident = "k" + "".join(w.capitalize() for w in cfg.split("_")) + "Groups"
    rows.append("    {TflmKernels::%s, DeviceCore::cortex_%s, %d, %d, %d, %s},"
                % (kernels, core_name, core_flash, other, runner_libc, ident))
    print("// %s: core link %d B (ELF; %d B as sections and distinct strings); the 23 ops' link"
          " %d B (ELF; table: %d B)" % (cfg, core_flash, total(core), table_flash,
                                       core_flash + sum(groups.values())))
    print("constexpr Group %s[] = {" % ident)
    for mask in sorted(groups, key=lambda m: (bin(m).count("1"), min(i for i in range(len(OPS)) if m >> i & 1))):
        names = "+".join(OPS[i][1] for i in range(len(OPS)) if mask >> i & 1)
        if len(names) > 70: names = "%d ops" % bin(mask).count("1")
        print("    {0x%06x, %d},  // %s" % (mask, groups[mask], names))
    print("};")
    sys.stdout.flush()
print("constexpr Config kConfigs[] = {")
print("\n".join(rows))
print("};")
import shutil; shutil.rmtree(tmp)
PY
