#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Table of scripts/demo-tlb.sh --workload work: code that does work,
placed by each path, iTLB walks modeled per profile (docs/tlb-model.md,
"Code that does work").

  table.py OUT_PREFIX RUN_DIR KVER...

Reads RUN_DIR/KVER/PATH/runN/{plugin.out,guest.log} (tlb/tlbparse.py):
windows 11 (the BPF-sized set) and 12 (the module-sized set), the
module's WORK lines.  The
set's code is the plugin class "work" (bench/kmod/execmem_bench_work.c
names it).  Writes OUT_PREFIX.md and OUT_PREFIX.json; exits 1 when a
window is incomplete, a walk disagreed with QEMU, a call returned a wrong
value, a placement failed, or the instructions the plugin counted in the
set's code differ from those the module generated for the measured calls.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import tlbparse as tp  # noqa: E402

PATHS = ("stock", "bpf_prog_pack", "execmem")
SETS = (("bpf", "11"), ("loaded", "12"))
# goal of issue 23: execmem <= 0.2 x the 4 KiB-mapped paths; against the
# ROX cache, walks per call within this absolute tolerance
RATIO_GOAL = 0.2
ROX_TOL = 0.01
# two boots of one kernel and path: the code's iTLB walks within this
# fraction of the larger count, or this many walks, whichever is larger
REPEAT_FRAC, REPEAT_ABS = 0.05, 10


def figures(v, prof, w):
    g = lambda cls, key: tp.itlb(v, prof, cls, key)
    insns = v.get("insns.all", 0)
    calls = w.get("calls", 0)
    r = {
        "insns": insns,
        "insns_work": v.get("insns.class.work", 0),
        "insns_expected": w.get("insns_expected", 0),
        "calls": calls,
        "complete": v.get("window.complete", 0),
        "itlb_walks_work": g("work", "walks"),
        "itlb_walks_all": g("all", "walks"),
        "itlb_l1_misses_work": g("work", "l1_misses"),
        "itlb_l1_misses_all": g("all", "l1_misses"),
        "dtlb_walks_all": tp.dtlb_walks_all(v, prof),
        "code_pages_work": {s: tp.code_pages(v, "work", s) for s in ("4K", "2M")},
        "leaves": {s: w.get("leaf_%s" % s.lower(), 0) for s in ("4K", "2M")},
        "walk_check_mismatch": tp.walk_mismatches(v),
        "bad_calls": w.get("bad_calls", -1),
        "failed": w.get("failed", -1),
        "rox_cache": w.get("rox_cache", 0),
        "n_allocs": w.get("n", 0),
        "bytes": w.get("bytes", 0),
    }
    r["itlb_walks_per_minsn_all"] = tp.per_minsn(r["itlb_walks_all"], insns)
    r["itlb_walks_per_minsn_work"] = tp.per_minsn(r["itlb_walks_work"], insns)
    r["itlb_walks_per_call_work"] = r["itlb_walks_work"] / calls if calls else float("nan")
    return r


def path_name(p, rox):
    return "stock (ROX cache)" if p == "stock" and rox else p


def rows_for(rundir, k):
    """{(prof, set, path): [figures per run]} and the profiles."""
    res, profiles = {}, []
    for p in PATHS:
        for d in tp.runs_of(rundir, k, p):
            wins, profiles = tp.load(os.path.join(d, "plugin.out"), [lab for _, lab in SETS])
            wl = {s: tp.pairs(t) for s, t in tp.guest_lines(
                os.path.join(d, "guest.log"), r"demo-tlb-work: WORK set (\S+) (.*)").items()}
            for prof in profiles:
                for s, label in SETS:
                    res.setdefault((prof, s, p), []).append(
                        figures(wins.get(label, {}), prof, wl.get(s, {})))
    return res, profiles


HDR = ("| kernel | profile | set | path | leaves 4K / 2M | instructions in window | calls | "
       "instructions in the code (plugin / generated) | iTLB walks, the code | iTLB walks, all | "
       "iTLB walks per M insns, all | iTLB walks per call, the code | L1 iTLB misses, the code | "
       "code pages touched 4K / 2M | execmem / this path: walks of the code |")


def table_rows(k, res, profiles, md, rows, verdicts):
    for prof in profiles:
        for s, _ in SETS:
            f = {p: res[(prof, s, p)][0] for p in PATHS if (prof, s, p) in res}
            xm = f.get("execmem")
            for p, x in f.items():
                rat = (xm["itlb_walks_work"] / x["itlb_walks_work"]
                       if xm and p != "execmem" and x["itlb_walks_work"] else None)
                label = tp.label(prof)
                rows.append(dict(kernel=k, profile=prof, label=label, set=s, path=p,
                                 execmem_over_path=rat, runs=len(res[(prof, s, p)]), **x))
                md.append("| %s | %s | %s | %s | %d / %d | %d | %d | %d / %d | %d | %d | %.1f | "
                          "%.4f | %d | %d / %d | %s |" % (
                              k, label, s, path_name(p, x["rox_cache"]),
                              x["leaves"]["4K"], x["leaves"]["2M"], x["insns"], x["calls"],
                              x["insns_work"], x["insns_expected"], x["itlb_walks_work"],
                              x["itlb_walks_all"], x["itlb_walks_per_minsn_all"],
                              x["itlb_walks_per_call_work"], x["itlb_l1_misses_work"],
                              x["code_pages_work"]["4K"], x["code_pages_work"]["2M"],
                              "" if p == "execmem" else (tp.fmt(rat) if rat is not None else
                                                         "n/a (0 walks)")))
                if xm and p != "execmem":
                    verdicts.append(verdict(k, prof, s, p, x, xm))


def verdict(k, prof, s, p, x, xm):
    lab = "%s, modeled (profile %s), %s set, execmem vs %s" % (k, prof, s,
                                                             path_name(p, x["rox_cache"]))
    if p == "stock" and x["rox_cache"]:
        d = xm["itlb_walks_per_call_work"] - x["itlb_walks_per_call_work"]
        ok = abs(d) <= ROX_TOL
        return "%s: walks per call %.4f vs %.4f, difference %+.4f (tolerance %.2f): %s" % (
            lab, xm["itlb_walks_per_call_work"], x["itlb_walks_per_call_work"], d, ROX_TOL,
            "met" if ok else "NOT met")
    if x["itlb_walks_work"] == 0:
        return "%s: the path walked 0 times (%d 4K / %d 2M leaves): no ratio" % (
            lab, x["leaves"]["4K"], x["leaves"]["2M"])
    rat = xm["itlb_walks_work"] / x["itlb_walks_work"]
    return "%s: %d / %d walks = %.3f (goal <= %.1f): %s" % (
        lab, xm["itlb_walks_work"], x["itlb_walks_work"], rat, RATIO_GOAL,
        "met" if rat <= RATIO_GOAL else "NOT met")


def repeat_lines(k, res, bad):
    out = []
    for key, runs in sorted(res.items()):
        if len(runs) < 2:
            continue
        w = [r["itlb_walks_work"] for r in runs]
        a = [r["itlb_walks_all"] for r in runs]
        i = [r["insns"] for r in runs]
        tol = max(REPEAT_ABS, REPEAT_FRAC * max(w))
        ok = max(w) - min(w) <= tol
        if not ok:
            bad.append("table: %s %s %s %s: runs disagree: walks %s (tolerance %.0f)" % (
                k, key[0], key[1], key[2], w, tol))
        out.append("| %s | modeled (profile %s) | %s | %s | %s | %s | %s | %d | %d | %s |" % (
            k, key[0], key[1], key[2], " / ".join(map(str, w)), " / ".join(map(str, a)),
            " / ".join(map(str, i)), max(w) - min(w), max(a) - min(a),
            "yes" if ok else "NO"))
    return out


def bad_runs(k, res):
    """Every run's failures, as messages."""
    out = []
    for (prof, s, p), runs in sorted(res.items()):
        for n, r in enumerate(runs, 1):
            if (r["walk_check_mismatch"] or not r["complete"] or r["bad_calls"] or r["failed"]
                    or not r["calls"] or r["insns_work"] != r["insns_expected"]):
                out.append("table: %s %s %s %s run %d: window complete %d, walk mismatches %d, "
                           "bad calls %d, failed %d, instructions in the code %d (generated %d)" % (
                               k, prof, s, p, n, r["complete"], r["walk_check_mismatch"],
                               r["bad_calls"], r["failed"], r["insns_work"], r["insns_expected"]))
    return out


def main():
    prefix, rundir, kvers = sys.argv[1], sys.argv[2], sys.argv[3:]
    md, rows, verdicts, rep, bad = [HDR, "|" + "---|" * 15], [], [], [], []
    for k in kvers:
        res, profiles = rows_for(rundir, k)
        table_rows(k, res, profiles, md, rows, verdicts)
        bad += bad_runs(k, res)
        rep += repeat_lines(k, res, bad)
    md += ["", "Goal of issue 23 (code that does work; every figure modeled, profile as named):", ""]
    md += ["- " + v for v in verdicts]
    if rep:
        md += ["", "Runs of the same kernel and path (fresh boots), run 1 / run 2 / ...:", "",
               "| kernel | profile | set | path | iTLB walks, the code | iTLB walks, all | "
               "instructions in window | spread, the code | spread, all | "
               "within tolerance (the code: %d %% or %d walks) |" % (100 * REPEAT_FRAC, REPEAT_ABS),
               "|" + "---|" * 10]
        md += rep
    return tp.write_table(prefix, rows, md, bad)


if __name__ == "__main__":
    sys.exit(main())
