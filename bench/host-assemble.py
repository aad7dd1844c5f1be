#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Assemble the boots of the part "host" of scripts/demo.sh ("the kernel's own code").

    host-assemble.py DEMO_DIR RESULTS_DIR KVER...

DEMO_DIR/KVER/json/{hosted,stock}-RUN.json   one object per count boot
DEMO_DIR/KVER/json/timing.{json,lat}         the interleaved timing boot:
                                             "on|off INSNS NS" per load

Writes RESULTS_DIR/host-KVER.json, RESULTS_DIR/host-summary.md (also
printed) and the gnuplot data DEMO_DIR/KVER/plot/latency-{on,off}.dat.
Counts are medians over the runs of a path.  The timing ratio hosted/stock
is the median over batch pairs (16 loads with host=bpf, the next 16 with
host off) of median(on) / median(off), with a 95 % bootstrap interval over
pairs (as bench/ab/ab-summary.py does over rounds).
"""
import glob
import json
import os
import random
import statistics
import sys

PATHS = ["hosted", "stock"]


def median(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    m = statistics.median(vals)
    return int(m) if m == int(m) else m


def pct(sorted_vals, q):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, int(round(q * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[i]


def derive(b):
    """The counts of one count boot: deltas while everything was live and
    after it was freed."""
    def d(key, a, z="before"):
        if f"{a}_{key}" in b and f"{z}_{key}" in b:
            return b[f"{a}_{key}"] - b[f"{z}_{key}"]
        return None
    return {
        "l2_splits_live": d("l2", "live"),
        "l3_splits_live": d("l3", "live"),
        "l2_splits_after_free": d("l2", "after"),
        "l3_splits_after_free": d("l3", "after"),
        "split_2m_ranges_added": d("split_2m", "after"),
        "module_area_leaves_4k_added": d("module_area_leaves_4k", "live"),
        "module_area_leaves_2m_added": d("module_area_leaves_2m", "live"),
        "direct_map_leaves_4k_added": d("leaves_4k", "after"),
        "census_pages_live": {c: b.get(f"live_pages_{c}", 0) for c in ("bpf", "kprobes", "execmem")},
        "load_ns_p50": b.get("load_ns_p50"),
        "load_ns_p99": b.get("load_ns_p99"),
        "run_ns_per_call": b.get("run_ns_per_call"),
        "jited_bytes": b.get("jited_bytes"),
        "loaded": b.get("loaded"),
        "nprobes": b.get("nprobes"),
        "kprobes_optimized": b.get("kprobes_optimized"),
        "kprobe_hits": b.get("kprobe_hits"),
        "host": b.get("host"),
        "ok": b.get("ok"),
    }


def timing(lat_path):
    """Batches of equal tag in load order; pairs (on, off)."""
    batches = []
    for line in open(lat_path):
        f = line.split()
        if len(f) != 3 or f[0] not in ("on", "off"):
            continue
        if not batches or batches[-1][0] != f[0]:
            batches.append((f[0], []))
        batches[-1][1].append(int(f[2]))
    pairs, i = [], 0
    while i + 1 < len(batches):
        if batches[i][0] == "on" and batches[i + 1][0] == "off":
            pairs.append((batches[i][1], batches[i + 1][1]))
            i += 2
        else:
            i += 1
    if not pairs:
        return None
    ratios = [statistics.median(a) / statistics.median(b) for a, b in pairs]
    rng = random.Random(1)
    boot = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
    on = sorted(v for a, _ in pairs for v in a)
    off = sorted(v for _, b in pairs for v in b)
    return {
        "pairs": len(pairs),
        "ratio_hosted_over_stock": round(statistics.median(ratios), 4),
        "ratio_ci95": [round(boot[49], 4), round(boot[1949], 4)],
        "hosted_ns_p50": pct(on, 0.5), "hosted_ns_p99": pct(on, 0.99),
        "stock_ns_p50": pct(off, 0.5), "stock_ns_p99": pct(off, 0.99),
        "samples": {"on": on, "off": off},
    }


def fmt(v, div=1):
    if v is None:
        return "–"
    v = v / div
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.1f}"


def main():
    demo, res, kvers = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(res, exist_ok=True)
    md = ["## The kernel's own code: BPF JIT packs and kprobe slots, hosted by execmem or not", "",
          "Same programs (tests/files/bpfrun, fixed seed) and kprobes on both paths; one fresh boot per "
          "path (counts), one boot interleaving both (load-latency ratio, host toggled every 16 loads). "
          "Splits and leaves are deltas with the workload live; exec leaves are the module area's "
          "(census). TCG guests: no PMU, so no iTLB counts.", "",
          "| kernel | path | L2 / L3 splits (live) | L2 after free | exec 4K / 2M leaves | "
          "load p50 / p99 µs | run ns/call | kprobes (optimized) | served bpf / kprobes |",
          "|---|---|---|---|---|---|---|---|---|"]
    for kver in kvers:
        out = {"kver": kver, "paths": {}, "itlb": None}
        jdir = os.path.join(demo, kver, "json")
        for p in PATHS:
            runs = []
            for f in sorted(glob.glob(os.path.join(jdir, f"{p}-*.json"))):
                try:
                    runs.append(derive(json.load(open(f))))
                except (OSError, ValueError):
                    pass
            if not runs:
                continue
            comb = {k: (median([r[k] for r in runs]) if all(
                isinstance(r[k], (int, float)) or r[k] is None for r in runs) else runs[0][k])
                for k in runs[0]}
            comb["runs"] = len(runs)
            out["paths"][p] = comb
            host = comb.get("host") or {}
            served = "/".join(str(host[c][0]) if c in host else "–" for c in ("bpf", "kprobes"))
            md.append(f"| {kver} | {'**hosted**' if p == 'hosted' else 'stock'} | "
                      f"{fmt(comb['l2_splits_live'])} / {fmt(comb['l3_splits_live'])} | "
                      f"{fmt(comb['l2_splits_after_free'])} | "
                      f"{fmt(comb['module_area_leaves_4k_added'])} / {fmt(comb['module_area_leaves_2m_added'])} | "
                      f"{fmt(comb['load_ns_p50'], 1000)} / {fmt(comb['load_ns_p99'], 1000)} | "
                      f"{fmt(comb['run_ns_per_call'])} | {fmt(comb['nprobes'])} ({fmt(comb['kprobes_optimized'])}) | "
                      f"{served if p == 'hosted' else '–'} |")
        lat = os.path.join(jdir, "timing.lat")
        t = timing(lat) if os.path.exists(lat) else None
        if t:
            pdir = os.path.join(demo, kver, "plot")
            os.makedirs(pdir, exist_ok=True)
            for tag, vals in t["samples"].items():
                with open(os.path.join(pdir, f"latency-{tag}.dat"), "w") as f:
                    for i, v in enumerate(vals):
                        f.write(f"{v / 1000:.3f} {(i + 1) / len(vals):.5f}\n")
            del t["samples"]
            out["timing"] = t
            md.append(f"| {kver} | timing, one boot | load latency hosted/stock "
                      f"{t['ratio_hosted_over_stock']:.3f} [95% {t['ratio_ci95'][0]:.3f}–"
                      f"{t['ratio_ci95'][1]:.3f}] over {t['pairs']} batch pairs | | | "
                      f"{fmt(t['hosted_ns_p50'], 1000)} / {fmt(t['hosted_ns_p99'], 1000)} hosted, "
                      f"{fmt(t['stock_ns_p50'], 1000)} / {fmt(t['stock_ns_p99'], 1000)} stock | | | |")
        notes = [json.load(open(f)).get("itlb_note") for f in glob.glob(os.path.join(jdir, "*-*.json"))]
        out["itlb_note"] = next((n for n in notes if n), "no count boot")
        with open(os.path.join(res, f"host-{kver}.json"), "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")
    md += ["", "iTLB: " + "; ".join(sorted({json.load(open(f)).get("itlb_note", "")
                                             for k in kvers for f in glob.glob(os.path.join(demo, k, "json", "*-*.json"))} - {""})
                                      or ["no boot"]), ""]
    text = "\n".join(md)
    with open(os.path.join(res, "host-summary.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
