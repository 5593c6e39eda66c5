#!/usr/bin/env python3
"""Tables, targets and chart of `make bench` (see scripts/bench.sh).

    bench.py OUTDIR MODE...

Reads OUTDIR/runs/MODE/KERNEL-RUN/run.json (wb/parser.py: the benchmark's
"figure=NAME ... per_fault=X" output lines, and the kernel log's reports),
fails if a boot did not finish or the benchmark failed, prints a table per
mode and the PASS/FAIL
of each target of issue 5, writes the same to OUTDIR/results.md, and a bar chart
of the ratios to OUTDIR/ratios.png (gnuplot).  The first mode is the headline:
its targets are the ones that count; the others are informational.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from wb import parser as wbparser  # noqa: E402

KERNELS = ("base", "patched", "callback")
MODE_TITLES = {
    "aslr": "default mode (the issue's: guest reads, userspace ASLR on)",
    "norandmaps": "default mode with norandmaps (no userspace ASLR)",
    "prefault": "-p (memory populated before the faulting pass), userspace ASLR on",
}
# Targets of issue 5, part 5 (patched/base), and the callback target.
SW_TARGETS = {"sw_private": 0.975, "sw_shared": 0.985}
CALLBACK_TARGETS = ("sw_private", "sw_shared")

def figures_of(lines):
    """{figure: per_fault or None} of the benchmark's output LINES
    ("figure=NAME ... per_fault=X"; no per_fault: skipped)."""
    figs = {}
    for line in lines:
        line = wbparser.strip_guest(line)
        if not line.startswith("figure="):
            continue
        kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
        figs[kv["figure"]] = float(kv["per_fault"]) if "per_fault" in kv else None
    return figs


def run_of(rundir, out, failures):
    """RUNDIR's run.json, or None, with the reason appended to FAILURES, if
    the boot did not finish or the benchmark did not pass (a harness
    failure: no figure is reported then)."""
    run = wbparser.load(rundir) if os.path.isdir(rundir) else None
    tests = (run or {}).get("tests", [])
    if run and run.get("done") and len(tests) == 1 and tests[0]["result"] == "pass":
        return run
    try:
        with open(os.path.join(rundir, "console.log"), errors="replace") as f:
            tail = f.read().splitlines()[-15:]
    except OSError:
        tail = ["(no console.log: see %s)" % os.path.join(
            out, "logs", os.path.basename(os.path.realpath(rundir)) + ".out")]
    why = ("the guest did not finish" if not (run or {}).get("done") else
           "%s: %s" % (tests[0]["name"], tests[0]["result"]) if tests else "no test ran")
    failures.append("%s: the benchmark did not complete (%s):\n%s" % (
        rundir, why, "\n".join("    " + l for l in tail)))
    return None


def parse(rundir, out, failures):
    run = run_of(rundir, out, failures)
    figs = figures_of(run["tests"][0]["output"]) if run else {}
    if run and not figs:
        failures.append("%s: no figure= line in the benchmark's output" % rundir)
    return figs


def load(out, mode, failures):
    """{kernel: [ {figure: per_fault or None}, ... one per run ]}, figure order"""
    runs, order = {}, []
    d = os.path.join(out, "runs", mode)
    for k in KERNELS:
        names = sorted(n for n in os.listdir(d) if re.fullmatch(rf"{k}-\d+", n))
        runs[k] = [parse(os.path.join(d, n), out, failures) for n in names]
        for r in runs[k]:
            order += [f for f in r if f not in order]
    return runs, order


def mean(vals):
    return sum(vals) / len(vals) if vals else None


def stats(runs, order):
    """per kernel: {figure: (mean, spread)}; spread = (max-min)/min over runs"""
    res = {}
    for k, rs in runs.items():
        res[k] = {}
        for f in order:
            vals = [r[f] for r in rs if r.get(f) is not None]
            if len(vals) != len(rs) or not vals:
                res[k][f] = (None, None)
                continue
            res[k][f] = (mean(vals), (max(vals) - min(vals)) / min(vals))
    return res


def num(x):
    return "skipped" if x is None else f"{x:,.1f}"


def ratio(a, b):
    return None if a is None or b is None else a / b


def rat(x):
    return "–" if x is None else f"{x:.4f}"


def pct(x):
    return "–" if x is None else f"{100 * x:.3f}%"


def targets(st, spread, order):
    """The targets of issue 5 on one mode's stats ST (stats()) and measured
    SPREAD ({kernel: {figure: spread}}): [(met, text)], and the line of the
    other figures' callback/patched ratios (None without any)."""
    res = []
    b, p = st["base"]["default_4k"][0], st["patched"]["default_4k"][0]
    if b is None or p is None:
        res.append((False, "ordinary-VM faults: default_4k missing"))
    else:
        s = max(spread["base"].get("default_4k", 0), spread["patched"].get("default_4k", 0))
        res.append((p <= b * (1 + s),
                    f"ordinary-VM faults (default_4k) patched/base {p / b:.4f} ≤ 1.000 "
                    f"within the measured spread {pct(s)} (limit {1 + s:.4f})"))
    for f, lim in SW_TARGETS.items():
        b, p = st["base"][f][0], st["patched"][f][0]
        if b is None or p is None:
            res.append((False, f"{f}: missing"))
            continue
        res.append((p / b <= lim, f"SW-protected {f.split('_')[1]} faults ({f}) "
                    f"patched/base {p / b:.4f} ≤ {lim:.3f}"))
    for f in CALLBACK_TARGETS:
        p, c = st["patched"][f][0], st["callback"][f][0]
        if p is None or c is None:
            res.append((False, f"callback/patched {f}: missing"))
            continue
        s = max(spread["patched"].get(f, 0), spread["callback"].get(f, 0))
        res.append((c / p >= 1.0, f"callback/patched ({f}) {c / p:.4f} ≥ 1.000 "
                    f"(difference {c - p:+,.1f} instructions per fault; spread {pct(s)})"))
    rest = [f for f in order if f not in CALLBACK_TARGETS
            and st["patched"][f][0] is not None and st["callback"][f][0] is not None]
    others = None
    if rest:
        others = ("- callback/patched, other figures (no target): " + ", ".join(
            f"{f} {st['callback'][f][0] / st['patched'][f][0]:.4f} "
            f"({st['callback'][f][0] - st['patched'][f][0]:+,.1f})" for f in rest))
    return res, others


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out, modes = argv[0], argv[1:]
    # Every boot must have finished with the benchmark passed (a harness
    # failure otherwise): all of them are checked, and all failures reported.
    failures = []
    for mode in modes:
        d = os.path.join(out, "runs", mode)
        for n in sorted(os.listdir(d)):
            run_of(os.path.join(d, n), out, failures)
    if failures:
        sys.exit("bench.py: %d boots failed (each a harness failure):\n%s"
                 % (len(failures), "\n".join(failures)))

    lines = []           # results.md
    verdicts = []        # (headline?, PASS/FAIL, text)
    chart = {}           # mode -> [(figure, patched/base, callback/patched)]

    for mi, mode in enumerate(modes):
        runs, order = load(out, mode, failures)
        st = stats(runs, order)
        nruns = {k: len(runs[k]) for k in KERNELS}
        head = mi == 0
        lines.append(f"### {MODE_TITLES.get(mode, mode)}{' — headline' if head else ''}")
        lines.append("")
        lines.append(f"Cost per fault in guest-visible time, i.e. emulated instructions "
                     f"(QEMU TCG, -icount shift=0,sleep=off), mean of "
                     f"{nruns['base']}/{nruns['patched']}/{nruns['callback']} boots "
                     f"(base/patched/callback).")
        lines.append("")
        lines.append("| figure | base | patched | patched/base | callback | callback/patched |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        chart[mode] = []
        for f in order:
            b, p, c = (st[k][f][0] for k in KERNELS)
            pb, cp = ratio(p, b), ratio(c, p)
            lines.append(f"| {f} | {num(b)} | {num(p)} | {rat(pb)} | {num(c)} | {rat(cp)} |")
            chart[mode].append((f, pb, cp))
        lines.append("")
        # Measured repeatability.
        lines.append("Run-to-run max relative difference between boots, measured "
                     "((max − min) / min of each figure):")
        lines.append("")
        lines.append("| kernel | max over figures | " + " | ".join(order) + " |")
        lines.append("|---|---:|" + "---:|" * len(order))
        spread = {}
        for k in KERNELS:
            sp = {f: st[k][f][1] for f in order if st[k][f][1] is not None}
            worst = max(sp, key=sp.get) if sp else None
            spread[k] = sp
            lines.append(f"| {k} | {pct(sp[worst]) if worst else '–'}"
                         f"{f' ({worst})' if worst else ''} | "
                         + " | ".join(pct(sp.get(f)) for f in order) + " |")
        lines.append("")

        # Targets.
        def verdict(ok, text):
            v = "PASS" if ok else "FAIL"
            verdicts.append((head, mode, v, text))
            lines.append(f"- **{v}**{'' if head else ' (informational)'}: {text}")

        lines.append("Targets:" if head else "Targets, evaluated on this mode too (informational):")
        lines.append("")
        results, others = targets(st, spread, order)
        for ok, text in results:
            verdict(ok, text)
        if others:
            lines.append(others)
        lines.append("")

    # Kernel log reports during the runs.
    klog = []
    for mode in modes:
        d = os.path.join(out, "runs", mode)
        for n in sorted(os.listdir(d)):
            klog += [f"{mode}/{n}: {r['who']}: {r['line'].strip()}"
                     for r in wbparser.load(os.path.join(d, n)).get("reports", [])]
    if klog:
        lines.append("Kernel log reports during the runs (WARNING/BUG/...):")
        lines.append("")
        lines += [f"    {l}" for l in klog]
        lines.append("")

    # Chart.
    png = os.path.join(out, "ratios.png")
    gp = shutil.which("gnuplot")
    if gp:
        terms = subprocess.run([gp, "-e", "set terminal"], capture_output=True,
                               text=True).stdout + subprocess.run(
            [gp, "-e", "set terminal"], capture_output=True, text=True).stderr
        term = "pngcairo size 1200,600 noenhanced font 'sans,10'" if "pngcairo" in terms \
            else "png size 1200,600 noenhanced"
        dat = os.path.join(out, "ratios.dat")
        figs = [f for f, _, _ in chart[modes[0]]]
        cols = []
        for mode in modes:
            cols += [f"patched/base ({mode})", f"callback/patched ({mode})"]
        allv = []
        with open(dat, "w") as fh:
            fh.write("# figure\t" + "\t".join(c.replace(" ", "_") for c in cols) + "\n")
            for f in figs:
                row = []
                for mode in modes:
                    m = {x[0]: x for x in chart[mode]}
                    pb, cp = (m[f][1], m[f][2]) if f in m else (None, None)
                    row += ["?" if pb is None else f"{pb:.6f}", "?" if cp is None else f"{cp:.6f}"]
                    allv += [v for v in (pb, cp) if v is not None]
                fh.write(f + "\t" + "\t".join(row) + "\n")
        lo, hi = min(allv + [1.0]), max(allv + [1.0])
        pad = max(0.005, (hi - lo) * 0.15)
        plot = ", ".join(
            f"'{dat}' using {i + 2}{':xtic(1)' if i == 0 else ''} title '{c}'"
            for i, c in enumerate(cols))
        script = f"""
    set terminal {term}
    set output '{png}'
    set datafile missing '?'
    set style data histogram
    set style histogram cluster gap 1
    set style fill solid 0.85 border -1
    set boxwidth 0.9
    set key outside bottom center horizontal
    set grid ytics
    set xtics rotate by -25
    set ylabel 'ratio of costs per fault'
    set title 'make bench: patched/base and callback/patched (icount, {len(figs)} figures; < 1 = cheaper than the reference)'
    set yrange [{lo - pad:.4f}:{hi + pad:.4f}]
    set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 front
    plot {plot}
    """
        with open(os.path.join(out, "ratios.gp"), "w") as fh:
            fh.write(script)
        r = subprocess.run([gp, os.path.join(out, "ratios.gp")], capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            sys.exit("gnuplot failed")
    else:
        print("warning: no gnuplot, no chart", file=sys.stderr)

    lines.append(f"Chart: {os.path.relpath(png, os.path.dirname(out) + '/..')}" if gp else "Chart: none (no gnuplot)")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "results.md"), "w") as fh:
        fh.write("## make bench\n\n" + text)
    print(text)
    print("==== make bench: targets (issue 5), headline mode: " + modes[0])
    for head, mode, v, t in verdicts:
        if head:
            print(f"{v}: {t}")
    n_fail = sum(1 for h, _, v, _ in verdicts if h and v == "FAIL")
    print(f"{sum(1 for h, *_ in verdicts if h) - n_fail} targets met, {n_fail} missed "
          "(reported, not gated)")


if __name__ == "__main__":
    main(sys.argv[1:])
