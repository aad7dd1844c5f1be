#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Table of scripts/demo-tlb.sh --workload dmap: the kernel's data paths
(tests/files/dmapwork: page cache, slab, loopback network) with the direct
map intact, split at several fractions, and healed; dTLB walks modeled per
profile (docs/dmap.md, "The experiment: what fragmentation costs").

  table.py OUT_PREFIX RUN_DIR KVER...

Reads RUN_DIR/KVER/PATH/runN/{plugin.out,guest.log} (tlb/tlbparse.py;
the paths of $DEMO_TLB_PATHS when set, else every PATH there):
window 1 (dmapwork zeroes it after its warm-up pass), the guest's
"demo-tlb-dmap:" lines (the split asked for, execmem's dmap counters, the
census, /proc/meminfo's DirectMap lines right before the window, the
workload's result).  Writes OUT_PREFIX.md and OUT_PREFIX.json (one row per
kernel, profile, path and run); exits 1 when a window is incomplete, a walk
disagreed with QEMU or the workload failed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import tlbparse as tp  # noqa: E402

PFX = r"demo-tlb-dmap: "
# a ratio to intact's walks is flagged when intact walked fewer times
FEW = 100


def path_order(p):
    if p == "intact":
        return (0, 0)
    m = re.match(r"split(\d+)$", p)
    return (1, int(m.group(1))) if m else (2, 0)


def paths_of(rundir, k):
    """The paths of $DEMO_TLB_PATHS (the runner's: this run's), else every
    path directory with a run."""
    d = os.path.join(rundir, k)
    want = os.environ.get("DEMO_TLB_PATHS", "").split()
    return sorted((p for p in (want or os.listdir(d)) if tp.runs_of(rundir, k, p)),
                  key=path_order)


def guest(logf):
    """The guest's figures: {key: value} from its demo-tlb-dmap lines."""
    g = {}
    for kind in ("dmap", "census", "before", "after"):
        for key, v in tp.guest_lines(logf, PFX + kind + r" (\S+) (\S+)").items():
            g["%s_%s" % (kind, key)] = int(v) if v.isdigit() else v
    a = tp.guest_lines(logf, PFX + r"(asked) (.*)").get("asked", "")
    m = re.search(r"percent (\d+) ranges (\d+) of (\d+)", a)
    g["asked_percent"], g["asked_ranges"], g["ranges_total"] = (
        [int(x) for x in m.groups()] if m else [-1, -1, -1])
    r = tp.guest_lines(logf, PFX + r"(result) (.*)").get("result", "")
    g["result_ok"] = r.startswith("ok ")
    g["result"] = tp.pairs(r[3:]) if g["result_ok"] else {"fail": r or "no result line"}
    return g


def dmap_share(g, when="before"):
    kb = [g.get("%s_DirectMap%s" % (when, s), 0) for s in ("4k", "2M", "1G")]
    return kb[0] / sum(kb) if sum(kb) else float("nan")


def figures(v, prof, g):
    d = lambda cls, key: v.get("model.%s.all.%s.data.%s" % (prof, cls, key), 0)
    insns = v.get("insns.all", 0)
    r = tp.base_figures(v, prof, ())
    del r["itlb_walks_module_area"]
    r.update({
        "dtlb_walks_directmap": d("directmap", "walks"),
        "dtlb_walks_directmap_4K": d("directmap", "walks_4K"),
        "dtlb_walks_directmap_2M": d("directmap", "walks_2M"),
        "dtlb_l1_misses_directmap": d("directmap", "l1_misses"),
        "dtlb_l1_misses_all": d("all", "l1_misses"),
        "data_accesses_directmap": d("directmap", "accesses"),
        "data_accesses_all": d("all", "accesses"),
        "data_pages_directmap": {s: v.get("pages.all.data.directmap.%s" % s, 0)
                                 for s in ("4K", "2M", "1G")},
        "directmap_4k_share": dmap_share(g),
        "directmap_4k_kb": g.get("before_DirectMap4k", -1),
        "split_2m_ranges": g.get("census_split_2m", -1),
        "split_2m_stale": g.get("census_split_2m_stale", -1),
        "split_requested": g.get("dmap_split_requested", 0),
        "split_done": g.get("dmap_split_done", 0),
        "split_already": g.get("dmap_split_already", 0),
        "split_alloc_failed": g.get("dmap_split_alloc_failed", 0),
        "healed": g.get("dmap_last_healed", 0),
        "asked_percent": g["asked_percent"],
        "asked_ranges": g["asked_ranges"],
        "ranges_total": g["ranges_total"],
        "result_ok": g["result_ok"],
        "workload": g["result"],
    })
    r["dtlb_walks_per_minsn_all"] = tp.per_minsn(r["dtlb_walks_all"], insns)
    r["dtlb_walks_per_minsn_directmap"] = tp.per_minsn(r["dtlb_walks_directmap"], insns)
    r["dtlb_l1_misses_per_minsn_directmap"] = tp.per_minsn(r["dtlb_l1_misses_directmap"], insns)
    return r


def load(rundir, k):
    """{(profile, path): [figures per run]}, the profiles, the paths."""
    res, profiles, paths = {}, [], paths_of(rundir, k)
    for p in paths:
        for d in tp.runs_of(rundir, k, p):
            wins, profiles = tp.load(os.path.join(d, "plugin.out"), ("1",))
            g = guest(os.path.join(d, "guest.log"))
            for prof in profiles:
                res.setdefault((prof, p), []).append(figures(wins.get("1", {}), prof, g))
    return res, profiles, paths


HDR = ("| kernel | profile | path | split asked: % (2 MiB ranges) | achieved: DirectMap4k share "
       "(split 2 MiB ranges, census) | instructions in window | dTLB walks, all (directmap) | "
       "dTLB walks per M insns, all | "
       "dTLB walks per M insns, directmap | L1 dTLB misses per M insns, directmap | "
       "directmap data pages touched 4K / 2M | iTLB walks per M insns, all | "
       "dTLB walks per M insns / intact's: all, directmap |")


def asked(p, x):
    if x["asked_percent"] <= 0:
        return "0"
    s = "%d %% (%d)" % (x["asked_percent"], x["asked_ranges"])
    if x["split_done"] < x["asked_ranges"]:
        s += ", %d split, %d allocation failure" % (x["split_done"], x["split_alloc_failed"])
    return s + (", healed %d" % x["healed"] if p == "healed" else "")


def md_row(k, prof, p, x, base):
    ra = tp.ratio(x["dtlb_walks_per_minsn_all"], base["dtlb_walks_per_minsn_all"]) if base else None
    rd = (tp.ratio(x["dtlb_walks_per_minsn_directmap"], base["dtlb_walks_per_minsn_directmap"])
          if base else None)
    x["ratio_to_intact_all"], x["ratio_to_intact_directmap"] = ra, rd
    pg = x["data_pages_directmap"]
    return "| %s | %s | %s | %s | %.1f %% (%d) | %d | %d (%d) | %.2f | %.2f | %.1f | %d / %d | %.2f | %s |" % (
        k, tp.label(prof), p, asked(p, x), 100 * x["directmap_4k_share"], x["split_2m_ranges"],
        x["insns"], x["dtlb_walks_all"], x["dtlb_walks_directmap"], x["dtlb_walks_per_minsn_all"], x["dtlb_walks_per_minsn_directmap"],
        x["dtlb_l1_misses_per_minsn_directmap"], pg["4K"], pg["2M"],
        x["itlb_walks_per_minsn_all"],
        "" if p == "intact" else "%s, %s" % (tp.fmt(ra), tp.fmt(rd)) + (
            " (intact: under %d walks)" % FEW if base and base["dtlb_walks_all"] < FEW else ""))


def repeat_lines(k, res):
    out = []
    for (prof, p), runs in res.items():
        if len(runs) < 2:
            continue
        a = [r["dtlb_walks_per_minsn_all"] for r in runs]
        d = [r["dtlb_walks_per_minsn_directmap"] for r in runs]
        out.append("| %s | %s | %s | %s | %s | %.1f %% | %.1f %% |" % (
            k, tp.label(prof), p, " / ".join("%.1f" % z for z in a),
            " / ".join("%.1f" % z for z in d), 100 * (max(a) - min(a)) / max(a) if max(a) else 0,
            100 * (max(d) - min(d)) / max(d) if max(d) else 0))
    return out


def main():
    prefix, rundir, kvers = sys.argv[1], sys.argv[2], sys.argv[3:]
    md, rows, rep, bad = [HDR, "|" + "---|" * 13], [], [], []
    for k in kvers:
        res, profiles, paths = load(rundir, k)
        for prof in profiles:
            base = res.get((prof, "intact"), [None])[0]
            for p in paths:
                for n, x in enumerate(res[(prof, p)], 1):
                    line = md_row(k, prof, p, x, base)
                    if n == 1:
                        md.append(line)
                    rows.append(dict(kernel=k, profile=prof, label=tp.label(prof), path=p,
                                     run=n, **x))
        rep += repeat_lines(k, res)
    if rep:
        md += ["", "Runs of the same kernel and path (fresh boots), run 1 / run 2 / ..., every "
               "figure modeled (profile as named):", "",
               "| kernel | profile | path | dTLB walks per M insns, all | dTLB walks per M insns, "
               "directmap | spread, all | spread, directmap |", "|" + "---|" * 7]
        md += rep
    for r in rows:
        if r["walk_check_mismatch"] or not r["complete"] or not r["result_ok"] or not r["insns"]:
            bad.append("table: %s %s %s run %d: window complete %d, walk mismatches %d, "
                       "workload %s" % (r["kernel"], r["profile"], r["path"], r["run"],
                                        r["complete"], r["walk_check_mismatch"],
                                        "ok" if r["result_ok"] else r["workload"]))
    return tp.write_table(prefix, rows, md, bad)


if __name__ == "__main__":
    sys.exit(main())
