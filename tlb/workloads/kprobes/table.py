#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Table of scripts/demo-tlb.sh --workload kprobes: tracefs kprobes firing
under a workload, stock vs host=kprobes, iTLB walks modeled per profile
and address class.

  table.py OUT_PREFIX RUN_DIR KVER...

Reads RUN_DIR/KVER/{stock,hosted}/run1/plugin.out (window label 21) and
guest.log (tlb/tlbparse.py); writes OUT_PREFIX.md and OUT_PREFIX.json.
The class "kprobes" is the kprobe instruction pages (slots and detour
buffers); the module area is it plus the plugin's "modules" class.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import tlbparse as tp  # noqa: E402

PATHS = ("stock", "hosted")
MODAREA = ("modules", "kprobes")


def load(rundir, k, p):
    """Run 1 of kernel K, path P: (window 21's counts, profiles, guest lines)."""
    w, profiles, g = tp.load_run1(rundir, k, p, "21", r"demo-tlb-kprobes: (probes|fired) (.*)")
    return w, profiles, {key: tp.pairs(key + " " + v) for key, v in g.items()}


def figures(vals, prof):
    g = lambda cls, key: tp.itlb(vals, prof, cls, key)
    r = tp.base_figures(vals, prof, MODAREA)
    r.update({
        "insns_kprobes": vals.get("insns.class.kprobes", 0),
        "itlb_walks_kprobes": g("kprobes", "walks"),
        "itlb_l1_misses_kprobes": g("kprobes", "l1_misses"),
        "code_pages_kprobes": {s: tp.code_pages(vals, "kprobes", s) for s in ("4K", "2M")},
    })
    return r


HDR = ("| kernel | profile | path | probes (optimized) | fires in the window | "
       "instructions in window | instructions in kprobes pages | "
       "iTLB walks, kprobes pages | iTLB walks, module area | iTLB walks, all | "
       "L1 iTLB misses, kprobes pages | kprobes code pages touched 4K / 2M | "
       "iTLB walks per M insns, all | host / stock: kprobes-page walks |")


def main():
    prefix, rundir, kvers = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows, md = [], [HDR, "|" + "---|" * 14]
    for k in kvers:
        runs = {p: load(rundir, k, p) for p in PATHS}
        for prof in runs["stock"][1]:
            f = {p: figures(runs[p][0], prof) for p in PATHS}
            rk = tp.ratio(f["hosted"]["itlb_walks_kprobes"], f["stock"]["itlb_walks_kprobes"])
            for p in PATHS:
                x, g = f[p], runs[p][2]
                pr, fi = g.get("probes", {}), g.get("fired", {})
                rows.append(dict(kernel=k, profile=prof, path=p, host="kprobes", label=tp.label(prof),
                                 probes=pr.get("probes", 0), optimized=pr.get("optimized", 0),
                                 fired=fi.get("fired", 0), rounds=fi.get("rounds", 0),
                                 ratio_kprobes=rk, **x))
                md.append("| %s | %s | %s | %s (%s) | %s | %d | %d | %d | %d | %d | %d | %d / %d | "
                          "%.1f | %s |" % (
                              k, tp.label(prof), p if p == "stock" else "host=kprobes",
                              pr.get("probes", "?"), pr.get("optimized", "?"),
                              fi.get("fired", "?"), x["insns"], x["insns_kprobes"],
                              x["itlb_walks_kprobes"], x["itlb_walks_module_area"],
                              x["itlb_walks_all"], x["itlb_l1_misses_kprobes"],
                              x["code_pages_kprobes"]["4K"], x["code_pages_kprobes"]["2M"],
                              x["itlb_walks_per_minsn_all"],
                              (tp.fmt(rk) if rk is not None else "n/a (0 walks on stock)")
                              if p == "hosted" else ""))
    bad = [r for r in rows if r["walk_check_mismatch"] or not r["complete"]
           or not r["fired"] or not r["insns_kprobes"]]
    return tp.write_table(prefix, rows, md, [
        "table: %s %s %s: window complete %d, walk mismatches %d, fires %d, "
        "instructions in kprobes pages %d" % (
            r["kernel"], r["profile"], r["path"], r["complete"],
            r["walk_check_mismatch"], r["fired"], r["insns_kprobes"]) for r in bad])


if __name__ == "__main__":
    sys.exit(main())
