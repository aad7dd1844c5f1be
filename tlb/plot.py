#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Plot of a scripts/demo-tlb.sh table: iTLB walks per million
instructions of the window (every class), per path, one panel per kernel
and profile, log scale, every panel and axis labelled "modeled (profile
X)".  The dmap workload's table (rows with dTLB walks of the directmap
class) is drawn as dTLB walks per million instructions instead, two bars
per path: every class, and the directmap class (run 1 of each path).

  plot.py PREFIX

Reads PREFIX.json (tlb/workloads/*/table.py), writes PREFIX.svg with
gnuplot and links it from PREFIX.md.  A count of 0 cannot sit on a log
axis: its bar is drawn at the axis floor and labelled "0".
"""
import json
import os
import subprocess
import sys

FLOOR = 0.1
# one colour per path, the same in every panel
COLOUR = {"stock": 1, "bpf_prog_pack": 2, "execmem": 3, "host=bpf": 3, "host=kprobes": 3,
          "stock (ROX cache)": 4}
# the dmap workload: one colour per class, a group per path
DMAP_COLOUR = {"all": 1, "directmap": 2}


def path_name(r):
    if r["path"] == "hosted":
        return "host=%s" % r.get("host", "bpf")
    if r["path"] == "stock" and r.get("rox_cache"):
        return "stock (ROX cache)"
    return r["path"]


def is_dmap(rows):
    return bool(rows) and "dtlb_walks_per_minsn_directmap" in rows[0]


def panels(rows):
    """{(kernel, profile): [(group, path name, walks per M insns)]}, in the
    table's order (dmap: (path, class, dTLB walks per M insns), run 1)."""
    out = {}
    for r in rows:
        key = (r["kernel"], r["profile"])
        if is_dmap(rows):
            if r.get("run", 1) == 1:
                out.setdefault(key, []).extend(
                    (r["path"], c, r["dtlb_walks_per_minsn_%s" % c]) for c in DMAP_COLOUR)
            continue
        out.setdefault(key, []).append(
            (r.get("set", ""), path_name(r), r["itlb_walks_per_minsn_all"]))
    return out


def data_block(bars, dmap=False):
    """One gnuplot data block: x, height, label, colour, tic; groups
    (sets; dmap: paths) a gap apart."""
    lines, x, last = [], 0, None
    for group, name, v in bars:
        if last is not None and group != last:
            x += 1
        last = group
        c = (DMAP_COLOUR if dmap else COLOUR).get(name, 5)
        tic = ("%s: %s" % (group, name) if dmap else
               "%s%s" % (name, " (%s set)" % group if group else ""))
        lab = "0" if v == 0 else ("%.0f" % v if v >= 10 else "%.2g" % v)
        lines.append('%d %g "%s" %d "%s"' % (x, max(v, FLOOR), lab, c, tic))
        x += 1
    return "\n".join(lines)


def script(prefix, rows):
    p = panels(rows)
    dmap = is_dmap(rows)
    what = "dTLB" if dmap else "iTLB"
    kernels = sorted({k for k, _ in p}, key=[k for k, _ in p].index)
    profs = sorted({f for _, f in p}, key=[f for _, f in p].index)
    wl = os.path.basename(prefix)
    s = ['set terminal svg size %d,%d noenhanced font "sans,10"' % (
            680 * len(profs), 460 * len(kernels)),
         'set output "%s.svg"' % prefix,
         'set multiplot layout %d,%d title "%s: %s walks per million instructions '
         'of the window, per path%s (modeled under QEMU; 0 drawn at %g)"' % (
             len(kernels), len(profs), wl, what,
             ", every class and the directmap class" if dmap else "", FLOOR),
         "set logscale y", "set style fill solid 0.8",
         "set boxwidth 0.8", "set grid ytics", "unset key", "set xtics rotate by -30",
         "set lmargin 12", "set bmargin 9"]
    for k in kernels:
        for f in profs:
            bars = p.get((k, f), [])
            s += ['set title "%s, modeled (profile %s)"' % (k, f),
                  'set ylabel "%s walks / M insns, modeled (profile %s)"' % (what, f),
                  'set xlabel "%s, modeled (profile %s)"' % (
                      "path: class" if dmap else "path", f),
                  "set xrange [-0.6:%g]" % (len(bars) + len({b[0] for b in bars}) - 1.4),
                  "set yrange [%g:%g]" % (FLOOR, 10 * max([FLOOR] + [b[2] for b in bars])),
                  "$d << EOD", data_block(bars, dmap), "EOD",
                  "plot $d using 1:2:4:xticlabels(5) with boxes lc variable, "
                  "$d using 1:2:3 with labels offset 0,0.6 font \",8\""]
    s.append("unset multiplot")
    return "\n".join(s) + "\n"


def main():
    prefix = sys.argv[1]
    with open(prefix + ".json") as f:
        rows = json.load(f)
    subprocess.run(["gnuplot"], input=script(prefix, rows), text=True, check=True)
    link = "\n![%s](%s.svg)\n" % (
        "%s walks per million instructions per path, modeled (every profile)" % (
            "dTLB" if is_dmap(rows) else "iTLB"),
        os.path.basename(prefix))
    with open(prefix + ".md", "a") as f:
        f.write(link)
    print("plot: wrote %s.svg" % prefix, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
