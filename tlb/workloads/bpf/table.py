#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Table of scripts/demo-tlb.sh --workload bpf: BPF programs run through
BPF_PROG_TEST_RUN, stock vs host=bpf, iTLB walks modeled per profile and
address class.

  table.py OUT_PREFIX RUN_DIR KVER...

Reads RUN_DIR/KVER/{stock,hosted}/run1/plugin.out (window label 1) and
guest.log (tlb/tlbparse.py); writes OUT_PREFIX.md and OUT_PREFIX.json.
The module area is the plugin's "modules" class plus the named ranges
inside it ("bpf": JIT images outside execmem, "hosted": execmem's regions
serving bpf).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import tlbparse as tp  # noqa: E402

PATHS = ("stock", "hosted")
MODAREA = ("modules", "bpf", "hosted")


def load(rundir, k, p):
    """Run 1 of kernel K, path P: (window 1's counts, profiles, guest's run lines)."""
    return tp.load_run1(rundir, k, p, "1", r"demo-tlb: run (\w+) (\S+)")


def figures(vals, prof):
    g = lambda cls, key: tp.itlb(vals, prof, cls, key)
    r = tp.base_figures(vals, prof, MODAREA)
    r.update({
        "itlb_walks_by_class": {c: g(c, "walks") for c in MODAREA + ("kernel",)},
        "itlb_l1_misses_module_area": sum(g(c, "l1_misses") for c in MODAREA),
        "code_pages_module_area": {s: sum(tp.code_pages(vals, c, s) for c in MODAREA)
                                   for s in ("4K", "2M")},
    })
    r["itlb_walks_per_minsn_module_area"] = tp.per_minsn(r["itlb_walks_module_area"], r["insns"])
    r["itlb_module_area_share"] = (r["itlb_walks_module_area"] / r["itlb_walks_all"]
                                   if r["itlb_walks_all"] else 0.0)
    return r


def main():
    prefix, rundir, kvers = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows, md = [], []
    md.append("| kernel | profile | path | instructions in window | hot calls | "
              "iTLB walks, all | iTLB walks, module area (modules / bpf / hosted) | "
              "module-area code pages 4K / 2M | iTLB walks per M insns, all | "
              "module area's share of the walks | host / stock: module-area walks | "
              "host / stock: walks per M insns, all |")
    md.append("|" + "---|" * 12)
    for k in kvers:
        runs = {p: load(rundir, k, p) for p in PATHS}
        g = {p: runs[p][2] for p in PATHS}
        for prof in runs["stock"][1]:
            f = {p: figures(runs[p][0], prof) for p in PATHS}
            rm = tp.ratio(f["hosted"]["itlb_walks_module_area"], f["stock"]["itlb_walks_module_area"])
            ra = tp.ratio(f["hosted"]["itlb_walks_per_minsn_all"], f["stock"]["itlb_walks_per_minsn_all"])
            for p in PATHS:
                x = f[p]
                c = x["itlb_walks_by_class"]
                rows.append(dict(kernel=k, profile=prof, path=p, label=tp.label(prof),
                                 hot_calls=int(g[p].get("hot_calls", 0)),
                                 hot_ok=int(g[p].get("hot_ok", 0)),
                                 jited_bytes=int(g[p].get("jited_bytes", 0)),
                                 ratio_module_area=rm, ratio_walks_per_minsn_all=ra, **x))
                md.append("| %s | %s | %s | %d | %s | %d | %d (%d / %d / %d) | %d / %d | %.1f | %.0f %% | %s | %s |" % (
                    k, tp.label(prof), p if p == "stock" else "host=bpf",
                    x["insns"], g[p].get("hot_calls", "?"), x["itlb_walks_all"],
                    x["itlb_walks_module_area"], c["modules"], c["bpf"], c["hosted"],
                    x["code_pages_module_area"]["4K"], x["code_pages_module_area"]["2M"],
                    x["itlb_walks_per_minsn_all"], 100 * x["itlb_module_area_share"],
                    tp.fmt(rm) if p == "hosted" else "", tp.fmt(ra) if p == "hosted" else ""))
    bad = [r for r in rows if r["walk_check_mismatch"] or not r["complete"]
           or r["hot_ok"] != r["hot_calls"] or not r["hot_calls"]]
    return tp.write_table(prefix, rows, md, [
        "table: %s %s %s: window complete %d, walk mismatches %d, hot calls %d ok of %d" % (
            r["kernel"], r["profile"], r["path"], r["complete"], r["walk_check_mismatch"],
            r["hot_ok"], r["hot_calls"]) for r in bad])


if __name__ == "__main__":
    sys.exit(main())
