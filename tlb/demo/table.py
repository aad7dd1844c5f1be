#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Table of scripts/demo-tlb.sh: BPF programs run through BPF_PROG_TEST_RUN,
stock vs host=bpf, iTLB walks modeled per profile and address class.

  table.py OUT_PREFIX RUN_DIR KVER...

Reads RUN_DIR/KVER/{stock,hosted}/plugin.out (window label 1) and
guest.log; writes OUT_PREFIX.md and OUT_PREFIX.json.  The module area is
the plugin's "modules" class plus the named ranges inside it ("bpf":
JIT images outside execmem, "hosted": execmem's regions serving bpf).
"""
import json
import re
import sys

PATHS = ("stock", "hosted")
MODAREA = ("modules", "bpf", "hosted")


def load(path, label="1"):
    vals, profiles = {}, []
    with open(path) as f:
        for line in f:
            p = line.split()
            if p[:2] == ["meta", "profile"]:
                profiles.append(p[2])
            elif len(p) == 3 and p[0] == label:
                vals[p[1]] = int(p[2])
    return vals, profiles


def guest(path):
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"demo-tlb: run (\w+) (\S+)", line)
            if m:
                out[m.group(1)] = m.group(2)
    return out


def figures(vals, prof):
    g = lambda cls, key: vals.get("model.%s.all.%s.insn.%s" % (prof, cls, key), 0)
    pg = lambda cls, size: vals.get("pages.all.insn.%s.%s" % (cls, size), 0)
    insns = vals.get("insns.all", 0)
    r = {
        "insns": insns,
        "complete": vals.get("window.complete", 0),
        "itlb_walks_all": g("all", "walks"),
        "dtlb_walks_all": vals.get("model.%s.all.all.data.walks" % prof, 0),
        "itlb_walks_module_area": sum(g(c, "walks") for c in MODAREA),
        "itlb_walks_by_class": {c: g(c, "walks") for c in MODAREA + ("kernel",)},
        "itlb_l1_misses_module_area": sum(g(c, "l1_misses") for c in MODAREA),
        "code_pages_module_area": {s: sum(pg(c, s) for c in MODAREA) for s in ("4K", "2M")},
        "walk_check_mismatch": sum(v for k, v in vals.items()
                                   if k.startswith("check.") and k.endswith("mismatch")),
    }
    m = insns / 1e6 if insns else float("nan")
    r["itlb_walks_per_minsn_all"] = r["itlb_walks_all"] / m
    r["itlb_walks_per_minsn_module_area"] = r["itlb_walks_module_area"] / m
    r["itlb_module_area_share"] = (r["itlb_walks_module_area"] / r["itlb_walks_all"]
                                   if r["itlb_walks_all"] else 0.0)
    return r


def ratio(a, b):
    return a / b if b else None


def fmt(x, nd=2):
    return "n/a" if x is None else ("%.*f" % (nd, x))


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
        runs = {p: load("%s/%s/%s/plugin.out" % (rundir, k, p)) for p in PATHS}
        g = {p: guest("%s/%s/%s/guest.log" % (rundir, k, p)) for p in PATHS}
        for prof in runs["stock"][1]:
            f = {p: figures(runs[p][0], prof) for p in PATHS}
            rm = ratio(f["hosted"]["itlb_walks_module_area"], f["stock"]["itlb_walks_module_area"])
            ra = ratio(f["hosted"]["itlb_walks_per_minsn_all"], f["stock"]["itlb_walks_per_minsn_all"])
            for p in PATHS:
                x = f[p]
                c = x["itlb_walks_by_class"]
                rows.append(dict(kernel=k, profile=prof, path=p, label="modeled (profile %s)" % prof,
                                 hot_calls=int(g[p].get("hot_calls", 0)),
                                 hot_ok=int(g[p].get("hot_ok", 0)),
                                 jited_bytes=int(g[p].get("jited_bytes", 0)),
                                 ratio_module_area=rm, ratio_walks_per_minsn_all=ra, **x))
                md.append("| %s | %s | %s | %d | %s | %d | %d (%d / %d / %d) | %d / %d | %.1f | %.0f %% | %s | %s |" % (
                    k, "modeled (profile %s)" % prof, p if p == "stock" else "host=bpf",
                    x["insns"], g[p].get("hot_calls", "?"), x["itlb_walks_all"],
                    x["itlb_walks_module_area"], c["modules"], c["bpf"], c["hosted"],
                    x["code_pages_module_area"]["4K"], x["code_pages_module_area"]["2M"],
                    x["itlb_walks_per_minsn_all"], 100 * x["itlb_module_area_share"],
                    fmt(rm, 3) if p == "hosted" else "", fmt(ra, 3) if p == "hosted" else ""))
    with open(prefix + ".json", "w") as f:
        json.dump(rows, f, indent=1)
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    bad = [r for r in rows if r["walk_check_mismatch"] or not r["complete"]
           or r["hot_ok"] != r["hot_calls"] or not r["hot_calls"]]
    for r in bad:
        print("table: %s %s %s: window complete %d, walk mismatches %d, hot calls %d ok of %d" % (
            r["kernel"], r["profile"], r["path"], r["complete"], r["walk_check_mismatch"],
            r["hot_ok"], r["hot_calls"]), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
