#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The timing boots of `make demo` (bench/guest/timing.sh), as JSON.

    timing.py [--kver KVER] LOG...    one LOG per boot; prints the JSON
                                      object and a summary

- "goals": every timing goal of issue 12 as a ratio execmem/other per round
  of the interleaved runs (for ops/s and writes: other/execmem time, i.e. a
  throughput ratio), its median over all rounds of all boots and its 95 %
  bootstrap interval (bench/stats.py: boots, then rounds within them); "met"
  only when the whole interval is on the goal's side.
- "per_boot": each goal's median per boot, to show how far boots differ.
- "phases": one lifecycle, call by call (execmem and bpf_prog_pack, mean ns
  per call) and execmem's own phases (mean ns per lifecycle): the first boot.
- "lock": xm.lock's wait and hold times under the two-vCPU throughput test
  (the first boot).
"""
import json
import re
import statistics
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats import median_ci_boots  # noqa: E402

# (key, workload, metric, other path, bound, "le" or "ge", text)
GOALS = [
    ("lifecycle_p50_bpf_vs_bpf_prog_pack", "bpf", "life_p50", "bpf_prog_pack", 1.0, "le",
     "lifecycle p50, BPF sizes, execmem/bpf_prog_pack ≤ 1.0"),
    ("lifecycle_p99_bpf_vs_bpf_prog_pack", "bpf", "life_p99", "bpf_prog_pack", 1.0, "le",
     "lifecycle p99, BPF sizes, execmem/bpf_prog_pack ≤ 1.0"),
    ("lifecycle_p50_modules_vs_bpf_prog_pack", "modules", "life_p50", "bpf_prog_pack", 1.0,
     "le", "lifecycle p50, module sizes, execmem/bpf_prog_pack ≤ 1.0"),
    ("lifecycle_p99_modules_vs_bpf_prog_pack", "modules", "life_p99", "bpf_prog_pack", 1.0,
     "le", "lifecycle p99, module sizes, execmem/bpf_prog_pack ≤ 1.0"),
    ("lifecycle_p50_modules_vs_stock", "modules", "life_p50", "stock", 0.5, "le",
     "lifecycle p50, module sizes, execmem/stock ≤ 0.5"),
    ("ops_per_s_bpf_vs_bpf_prog_pack", "bpf", "ops_per_s", "bpf_prog_pack", 1.0, "ge",
     "alloc+free ops/s, BPF sizes, execmem/bpf_prog_pack ≥ 1.0"),
    ("ops_per_s_modules_vs_bpf_prog_pack", "modules", "ops_per_s", "bpf_prog_pack", 1.0, "ge",
     "alloc+free ops/s, module sizes, execmem/bpf_prog_pack ≥ 1.0"),
    ("write_64_vs_text_poke_copy", "write64", "ns", "text_poke_copy", 1.0, "ge",
     "execmem_write 64 B, throughput / text_poke_copy ≥ 1.0"),
    ("write_4k_vs_text_poke_copy", "write4096", "ns", "text_poke_copy", 1.0, "ge",
     "execmem_write 4 KiB, throughput / text_poke_copy ≥ 1.0"),
    ("write_64k_vs_text_poke_copy", "write65536", "ns", "text_poke_copy", 1.0, "ge",
     "execmem_write 64 KiB, throughput / text_poke_copy ≥ 1.0"),
]
# execmem_write is text_poke_copy plus a lookup: a non-inferiority margin
# stated up front (README, "Writes"), reported beside the goal, never
# instead of it.
WRITE_NONINFERIORITY = 0.95


def block(path):
    lines, on = [], False
    for line in open(path, errors="replace"):
        line = line.strip().replace("\r", "")
        if line == "EXECMEM-TIMING-BEGIN":
            on = True
        elif line == "EXECMEM-TIMING-END":
            break
        elif on:
            lines.append(line)
    return lines


def parse(path):
    il, ph, phx, lock, info = {}, {}, {}, {}, {}
    for line in block(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "IL" and f[1].isdigit():
            r, wl, p, m, v = int(f[1]), f[2], f[3], f[4], int(f[5])
            il.setdefault(r, {})[(wl, p, m)] = v
        elif f[0] == "IL" and f[1] in ("begin", "end"):
            info.update({f[i]: f[i + 1] for i in range(2, len(f) - 1, 2)})
        elif f[0] == "PH":
            d = {f[i]: int(f[i + 1]) for i in range(3, len(f) - 1, 2)}
            ph.setdefault(f[1], {})[f[2]] = d
        elif f[0] == "PHX" and len(f) == 6:
            phx.setdefault(f[1], {})[f[2]] = [int(x) for x in f[3:6]]
        elif f[0] == "LOCK" and len(f) == 5:
            lock[f[1]] = [int(x) for x in f[2:5]]
        elif f[0] == "CONTEND":
            info["contend_ops_per_s_2cpu"] = int(f[4])
    return il, ph, phx, lock, info


def ratios_of(il, wl, metric, other):
    """One boot's per-round ratios of a goal."""
    ratios = []
    for r in sorted(il):
        x, o = il[r].get((wl, "execmem" if not wl.startswith("write") else "execmem_write",
                          metric)), il[r].get((wl, other, metric))
        if not x or not o:
            continue
        # lifecycle: time ratio; ops/s: rate ratio; writes: other's time / ours
        ratios.append(x / o if metric != "ns" else o / x)
    return ratios


def goal(ils, key, wl, metric, other, bound, side, text):
    groups = [g for g in (ratios_of(il, wl, metric, other) for il in ils) if g]
    if not groups:
        return {"goal": text, "verdict": "no data"}
    med, lo, hi = median_ci_boots(groups)
    met = hi <= bound if side == "le" else lo >= bound
    res = {"goal": text, "bound": bound, "side": side, "boots": len(groups),
           "rounds": sum(len(g) for g in groups),
           "ratio": round(med, 4), "ci95": [round(lo, 4), round(hi, 4)],
           "per_boot": [round(statistics.median(g), 4) for g in groups],
           "met": met, "verdict": "met" if met else "not met"}
    if key.startswith("write"):
        res["non_inferior_at"] = WRITE_NONINFERIORITY
        res["non_inferior"] = lo >= WRITE_NONINFERIORITY
    return res


def phases(ph, phx):
    """Per workload: call-by-call means, and execmem's phases per lifecycle."""
    out = {}
    for wl, paths in ph.items():
        d = {"calls_ns": paths}
        n = paths.get("execmem", {}).get("lifecycles")
        if n and wl in phx:
            d["execmem_phases_ns_per_lifecycle"] = {
                k: round(v[1] / n) for k, v in phx[wl].items()
                if not k.startswith("lock_")}
            d["execmem_lock_per_lifecycle"] = {
                k: {"count": round(v[0] / n, 2), "ns": round(v[1] / n)}
                for k, v in phx[wl].items() if k.startswith("lock_")}
        b = paths.get("bpf_prog_pack")
        if b:
            # its free refills under its lock: the refill timed alone beside it
            d["bpf_prog_pack_phases_ns_per_lifecycle"] = {
                "alloc": b["alloc"], "text_poke": b["write"],
                "int3_refill": b["text_poke_set_alone"],
                "free": max(b["free"] - b["text_poke_set_alone"], 0), "call": b["call"]}
        out[wl] = d
    return out


def lock_stats(lock, info):
    if not lock:
        return None
    res = {"test": "execmem alloc + 16-byte write + free, one kthread per vCPU, 2 vCPUs "
                   "(TCG runs them on one host thread: they interleave, never run at once)",
           "ops_per_s_2cpu": info.get("contend_ops_per_s_2cpu")}
    for k in ("lock_wait", "lock_hold"):
        c, ns, mx = lock.get(k, [0, 0, 0])
        res[k] = {"acquisitions": c, "total_ns": ns, "mean_ns": round(ns / c) if c else None,
                  "max_ns": mx}
    return res


def result(paths):
    boots = [parse(p) for p in paths]
    ils = [b[0] for b in boots if b[0]]
    _, ph, phx, lock, info = boots[0]
    rounds = [r for il in ils for r in il.values()]
    return {
        "method": "in each of several boots, all paths in that boot, rounds of the same "
                  "requests with the paths in rotating order (round 0 a warm-up, not "
                  "reported); per round each path's median (p50), 99th percentile (p99) or "
                  "rate; per goal the median of the per-round ratios of all boots and its "
                  "95 % bootstrap interval (boots, then rounds within them); met only "
                  "when the whole interval is on the goal's side",
        "boots": len(ils), "rounds": len(rounds), "params": info,
        "goals": {g[0]: goal(ils, *g) for g in GOALS},
        "phases": phases(ph, phx),
        "lock_contention": lock_stats(lock, info),
        "medians": {f"{wl}/{p}/{m}": statistics.median(r[(wl, p, m)] for r in rounds
                                                       if (wl, p, m) in r)
                    for wl, p, m in sorted({k for r in rounds for k in r})},
    }


def goal_lines(kver, res):
    lines = []
    for g in res["goals"].values():
        if "ratio" not in g:
            lines.append(f"| {kver} | {g['goal']} | n/a | n/a | n/a | {g['verdict']} |")
            continue
        extra = ""
        if "non_inferior" in g:
            extra = (f" (non-inferior at {g['non_inferior_at']}: "
                     f"{'yes' if g['non_inferior'] else 'no'})")
        lines.append(f"| {kver} | {g['goal']} | {g['ratio']:.3f} | "
                     f"[{g['ci95'][0]:.3f}–{g['ci95'][1]:.3f}] | "
                     f"{' '.join(f'{x:.3f}' for x in g['per_boot'])} | "
                     f"{'met' if g['met'] else '**not met**'}{extra} |")
    return lines


def main():
    args, kver = sys.argv[1:], "?"
    if len(args) > 1 and args[0] == "--kver":
        kver, args = args[1], args[2:]
    res = result(args)
    print(json.dumps(res, indent=1))
    print("| kernel | goal | ratio | 95 % interval | per boot | verdict |\n"
          "|---|---|---|---|---|---|")
    print("\n".join(goal_lines(kver, res)))


if __name__ == "__main__":
    main()
