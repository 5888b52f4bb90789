#!/usr/bin/env python3
"""Fits costmodel/latency's per-op instruction model to QEMU measurements (issue 16).

For every model of the corpus and both cores (cortex-m7 on mps2-an500, cortex-m4 on
mps2-an386) it runs

  tinyscale deploy MODEL --target CORE -o DIR --qemu --profile --json (--input F | --random 1)

which times every kernel call of the generated code (exact instruction counts, the profiling
hook's own cost removed) and reports each call's work (class, MACs, outputs, outputs stored
through a fused activation's table). Per core and per class it fits

  instructions = a * macs + b * outputs + c * pixels + d * scalar_macs
               + e * fused_outputs + f + g * channels + h * fused_products
                                                                      (least squares, >= 0)

and writes costmodel/latency_fit.inc. It then reports, per model, the whole-inference
instructions measured against predicted, (1) in sample (the fit uses every model) and
(2) held out (fitted without the model being predicted), as a Markdown table.

Usage: bench/fit_latency_model.py [--tinyscale build/cli/tinyscale] [--shared ../shared]
                                  [--write costmodel/latency_fit.inc]
Runs ~40 QEMU firmwares: about 5-10 minutes on 2 cores.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

CLASSES = ["conv_pointwise", "conv_depthwise", "conv_general", "conv_grouped",
           "fully_connected", "add", "mul", "activation", "pool", "global_pool", "softmax",
           "convert", "copy", "fused"]
FEATURES = ["macs", "outputs", "pixels", "scalar_macs", "fused_outputs", "calls", "channels",
            "fused_products"]


def corpus(shared):
    t = os.path.join(shared, "interop", "tflite")
    models = [
        # (name, deploy arguments, the evaluation set?)
        ("MLPerf DS-CNN", [os.path.join(t, "kws_ref_model", "model.tflite"), "--input",
                           os.path.join(t, "kws_ref_model", "input_sine.bin")], True),
        ("MLPerf autoencoder", [os.path.join(t, "ad01_int8", "model.tflite"), "--input",
                                os.path.join(t, "ad01_int8", "input_sine.bin")], True),
        ("PhiNet a0.25 96", ["phinet", "--alpha", "0.25", "--input", "3x96x96"], True),
        ("XiNet a0.5 96", ["xinet", "--alpha", "0.5", "--input", "3x96x96"], True),
        ("KWS PhiNet", ["phinet", "--alpha", "0.25", "--beta", "0.75", "--t0", "6",
                        "--num-layers", "7", "--input", "1x49x10", "--include-top",
                        "--num-classes", "12"], True),
        ("YOLO-PhiNet a0.25 160", ["yolo-phinet", "--alpha", "0.25", "--input", "3x160x160"],
         True),
        # More shapes for the fit.
        ("PhiNet a0.5 64", ["phinet", "--alpha", "0.5", "--input", "3x64x64"], False),
        ("PhiNet a0.75 48 top", ["phinet", "--alpha", "0.75", "--input", "3x48x48",
                                 "--include-top", "--num-classes", "10"], False),
        ("PhiNet a0.35 128 5 layers", ["phinet", "--alpha", "0.35", "--input", "3x128x128",
                                       "--num-layers", "5"], False),
        ("PhiNet a0.5 64 ReLU6", ["phinet", "--alpha", "0.5", "--input", "3x64x64",
                                  "--compatibility"], False),
        ("XiNet a0.25 64", ["xinet", "--alpha", "0.25", "--input", "3x64x64"], False),
        ("XiNet a0.75 64", ["xinet", "--alpha", "0.75", "--input", "3x64x64"], False),
        ("XiNet a0.5 128 top", ["xinet", "--alpha", "0.5", "--input", "1x128x128",
                                "--include-top", "--num-classes", "10"], False),
    ]
    return models


def measure(tinyscale, name, args, core, work):
    out = os.path.join(work, "pkg")
    cmd = [tinyscale, "deploy"] + args + ["--target", core, "-o", out, "--qemu", "--profile",
                                          "--json"]
    if not args[0].endswith(".tflite"):  # a family: seeded random input
        cmd += ["--random", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{name} on {core}: {' '.join(cmd)}\n{r.stderr}")
    j = json.loads(r.stdout)
    return {"instructions": j["instructions"]["per_inference"], "calls": j["profile"]}


def solve(rows):
    """Least squares with every coefficient >= 0: fit, drop the features whose coefficient
    came out negative, refit (an active-set heuristic)."""
    n = len(FEATURES)
    used = [k for k in range(n) if any(r[0][k] != 0 for r in rows)]
    while True:
        x = solve_on(rows, used)
        negative = [k for k in used if x[k] < 0]
        if not negative:
            return x
        worst = min(negative, key=lambda k: x[k])
        used = [k for k in used if k != worst]


def solve_on(rows, used):
    """Least squares on the features `used` with a tiny ridge (features scaled)."""
    n = len(FEATURES)
    if not used:
        return [0.0] * n
    scale = {k: max(abs(r[0][k]) for r in rows) or 1.0 for k in used}
    m = len(used)
    ata = [[0.0] * m for _ in range(m)]
    atb = [0.0] * m
    for feats, y in rows:
        # Each call weighs 1 / sqrt(its instructions): between absolute least squares (the
        # large layers decide, small ones end up dominated by the intercept) and relative.
        wt = 1.0 / max(y, 100.0) ** 0.5
        f = [feats[k] / scale[k] * wt for k in used]
        yw = y * wt
        for i in range(m):
            atb[i] += f[i] * yw
            for j in range(m):
                ata[i][j] += f[i] * f[j]
    for i in range(m):
        ata[i][i] += 1e-9 * (ata[i][i] or 1.0)
    # Gaussian elimination with partial pivoting.
    a = [row[:] + [atb[i]] for i, row in enumerate(ata)]
    for c in range(m):
        p = max(range(c, m), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        if abs(a[c][c]) < 1e-30:
            continue
        for r in range(m):
            if r != c:
                f = a[r][c] / a[c][c]
                for k in range(c, m + 1):
                    a[r][k] -= f * a[c][k]
    x = [0.0] * n
    for i, k in enumerate(used):
        x[k] = (a[i][m] / a[i][i] if abs(a[i][i]) > 1e-30 else 0.0) / scale[k]
    return x


def features(c):
    """A call's features in FEATURES' order (the call itself as 1)."""
    return [c["macs"], c["outputs"], c["pixels"], c["scalar_macs"], c["fused_outputs"], 1.0,
            c["channels"], c["fused_products"]]


def rows_of(measurements, names):
    by_class = {c: [] for c in CLASSES}
    for name in names:
        for c in measurements[name]["calls"]:
            by_class[c["class"]].append((features(c), c["instructions"]))
    return by_class


def fit(measurements, names):
    rows = rows_of(measurements, names)
    return {c: solve(rows[c]) if rows[c] else [0.0] * len(FEATURES) for c in CLASSES}


def predict(model, m):
    total = 0.0
    for c in m["calls"]:
        x = model[c["class"]]
        total += sum(a * b for a, b in zip(x, features(c)))
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyscale", default="build/cli/tinyscale")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--write", default="costmodel/latency_fit.inc")
    ap.add_argument("--measurements", help="JSON file: reuse it if it exists, else write it")
    o = ap.parse_args()
    models = corpus(o.shared)
    names = [m[0] for m in models]
    cores = ["cortex-m7", "cortex-m4"]
    data = {}
    if o.measurements and os.path.exists(o.measurements):
        data = json.load(open(o.measurements))
    else:
        with tempfile.TemporaryDirectory() as work:
            for core in cores:
                data[core] = {}
                for name, args, _ in models:
                    print(f"  {core}: {name}", file=sys.stderr, flush=True)
                    data[core][name] = measure(o.tinyscale, name, args, core, work)
        if o.measurements:
            json.dump(data, open(o.measurements, "w"))
    fits = {core: fit(data[core], names) for core in cores}

    date = datetime.date.today().isoformat()
    lines = [
        f"// Generated by bench/fit_latency_model.py on {date} (do not edit; rerun it when a",
        "// device kernel changes): per class, instructions = per_mac * macs + per_output *",
        "// outputs + per_pixel * pixels + per_scalar_mac * scalar_macs + per_fused_output *",
        "// fused_outputs + per_call + per_channel * channels + per_fused_product *",
        "// fused_products, least squares (coefficients >= 0)",
        "// over every kernel call",
        "// of these models under QEMU (`deploy --qemu --profile`):",
    ]
    for n in names:
        lines.append(f"//   {n}")
    lines.append("// Whole-model error of the fit: bench/README.md.")
    lines.append("// clang-format off")
    lines.append("constexpr InstructionModel kInstructionModels[] = {")
    for core in cores:
        lines.append(f'    {{"{core}", {{{{')
        for c in CLASSES:
            x = fits[core][c]
            lines.append("        {" + ", ".join(f"{v:.6g}" for v in x) + f"}},  // {c}")
        lines.append("    }}},")
    lines.append("};")
    lines.append("// clang-format on")
    with open(o.write, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {o.write}", file=sys.stderr)

    print(f"Instruction model fit ({date}; `bench/fit_latency_model.py`), whole inference:\n")
    print("| model | core | measured | predicted (in sample) | error | predicted (held out) | error |")
    print("|---|---|---|---|---|---|---|")
    for core in cores:
        for name, _, _ in models:
            m = data[core][name]
            meas = m["instructions"]
            p_in = predict(fits[core], m)
            held = fit(data[core], [n for n in names if n != name])
            p_out = predict(held, m)
            print(f"| {name} | {core} | {meas:,} | {p_in:,.0f} | {100 * (p_in / meas - 1):+.1f}% "
                  f"| {p_out:,.0f} | {100 * (p_out / meas - 1):+.1f}% |")


if __name__ == "__main__":
    main()
