#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print one window of the TLB plugin's output (scripts/tlb-run.sh).

  report.py PLUGIN_OUT [LABEL]

Every figure is a model's: each table says which profile.
"""
import sys

KINDS = ("insn", "data")
SIZES = ("4K", "2M", "1G")


def load(path, label):
    vals, profiles = {}, []
    with open(path) as f:
        for line in f:
            p = line.split()
            if p[:2] == ["meta", "profile"]:
                profiles.append(p[2])
            elif len(p) == 3 and p[0] == label:
                vals[p[1]] = int(p[2])
    return vals, profiles


def classes(vals):
    out = []
    for key in vals:
        f = key.split(".")
        if f[0] == "model" and f[2] == "all" and f[3] != "all" and f[3] not in out:
            out.append(f[3])
    return out


def row(vals, prof, cpu, cls):
    g = lambda k, m: vals.get("model.%s.%s.%s.%s.%s" % (prof, cpu, cls, k, m), 0)
    return [g("insn", "accesses"), g("insn", "l1_misses"), g("insn", "walks"),
            g("data", "accesses"), g("data", "l1_misses"), g("data", "walks")]


def walks_sum(vals, prof, cpu, cls, kind):
    return sum(vals.get("model.%s.%s.%s.%s.walks_%s" % (prof, cpu, cls, kind, s), 0)
               for s in SIZES)


def print_profile(vals, prof):
    insns = vals.get("insns.all", 0)
    print("\nTLB counts, modeled (profile %s), measured window only:" % prof)
    hdr = ("class", "I fetches", "L1 I miss", "I walks", "D accesses", "L1 D miss", "D walks")
    print("  %-10s %12s %10s %9s %12s %10s %9s" % hdr)
    for cls in classes(vals) + ["all"]:
        r = row(vals, prof, "all", cls)
        if cls != "all":
            r[2] = walks_sum(vals, prof, "all", cls, "insn")
            r[5] = walks_sum(vals, prof, "all", cls, "data")
        print("  %-10s %12d %10d %9d %12d %10d %9d" % ((cls,) + tuple(r)))
    tot = row(vals, prof, "all", "all")
    if insns:
        print("  walks per million instructions, modeled (profile %s): I %.1f  D %.1f" %
              (prof, tot[2] * 1e6 / insns, tot[5] * 1e6 / insns))
    cpus = sorted({k.split(".")[2] for k in vals
                   if k.startswith("model.%s.cpu" % prof)})
    for cpu in cpus:
        r = row(vals, prof, cpu, "all")
        print("  %-10s %12d %10d %9d %12d %10d %9d" % ((cpu,) + tuple(r)))


def print_pages(vals):
    print("\nDistinct pages touched in the window (leaf sizes from the guest's page tables):")
    for kind in KINDS:
        n = [vals.get("pages.all.%s.all.%s" % (kind, s), 0) for s in SIZES]
        print("  %-5s 4K %d  2M %d  1G %d" % (kind, n[0], n[1], n[2]))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    label = sys.argv[2] if len(sys.argv) > 2 else "1"
    vals, profiles = load(sys.argv[1], label)
    if "window.complete" not in vals:
        sys.exit("report: no window %s in %s (did the guest reach tlbmark begin/end?)" %
                 (label, sys.argv[1]))
    print("Instructions in the window: %d (%s)" %
          (vals.get("insns.all", 0), "complete" if vals["window.complete"] else
           "INCOMPLETE: no end marker"))
    mm = vals.get("check.insn.mismatch", 0) + vals.get("check.data.mismatch", 0)
    print("Page walks checked against QEMU's physical address: %d insn, %d data, %d mismatches" %
          (vals.get("check.insn.checked", 0), vals.get("check.data.checked", 0), mm))
    print("Flushes seen: CR3 %d, CR4 %d, INVLPG %d (%d operands not decoded)" %
          (vals.get("flush.cr3", 0), vals.get("flush.cr4", 0), vals.get("flush.invlpg", 0),
           vals.get("flush.invlpg_unknown", 0)))
    print_pages(vals)
    for prof in profiles:
        print_profile(vals, prof)
    return 1 if mm else 0


if __name__ == "__main__":
    sys.exit(main())
