# SPDX-License-Identifier: GPL-2.0
"""Reading what scripts/demo-tlb.sh's boots leave: the plugin's output
(plugin.out: "meta profile NAME" lines, then "WINDOW KEY VALUE" lines, the
keys of docs/tlb-model.md, "Output"), the guest's serial log and the run
directories RUN_DIR/KVER/PATH/runN/.  Imported by the tables of
tlb/workloads/*/table.py, which keep only their own figures and layout.
"""
import glob
import json
import os
import re
import sys


def load(path, labels):
    """({window label: {key: int}} for the labels asked, [profiles])."""
    wins, profiles = {}, []
    with open(path) as f:
        for line in f:
            p = line.split()
            if p[:2] == ["meta", "profile"]:
                profiles.append(p[2])
            elif len(p) == 3 and p[0] in labels:
                wins.setdefault(p[0], {})[p[1]] = int(p[2])
    return wins, profiles


def guest_lines(path, pattern):
    """The guest log's matches of PATTERN (two groups): {group 1: group 2},
    the last match of a key winning."""
    out, rx = {}, re.compile(pattern)
    with open(path, errors="replace") as f:
        for line in f:
            m = rx.search(line)
            if m:
                out[m.group(1)] = m.group(2)
    return out


def pairs(text):
    """"k1 v1 k2 v2 ..." as a dict, values that are digits as ints."""
    t = text.split()
    return {t[i]: (int(t[i + 1]) if t[i + 1].isdigit() else t[i + 1])
            for i in range(0, len(t) - 1, 2)}


def runs_of(rundir, kver, path):
    """The run directories of one kernel and path, run1 first."""
    return sorted(os.path.dirname(p) for p in
                  glob.glob("%s/%s/%s/run*/plugin.out" % (rundir, kver, path)))


def load_run1(rundir, kver, path, window, pattern):
    """Run 1 of KVER, PATH: (window WINDOW's {key: int}, [profiles], the
    guest log's matches of PATTERN as guest_lines() gives them)."""
    d = runs_of(rundir, kver, path)[0]
    wins, profiles = load(os.path.join(d, "plugin.out"), (window,))
    return wins.get(window, {}), profiles, guest_lines(os.path.join(d, "guest.log"), pattern)


def base_figures(vals, prof, modarea):
    """A window's figures every workload's table has: instructions, whether
    complete, iTLB walks (all; in the classes MODAREA, the module area),
    dTLB walks, walk mismatches, iTLB walks per M instructions."""
    insns = vals.get("insns.all", 0)
    r = {
        "insns": insns,
        "complete": vals.get("window.complete", 0),
        "itlb_walks_all": itlb(vals, prof, "all", "walks"),
        "dtlb_walks_all": dtlb_walks_all(vals, prof),
        "itlb_walks_module_area": sum(itlb(vals, prof, c, "walks") for c in modarea),
        "walk_check_mismatch": walk_mismatches(vals),
    }
    r["itlb_walks_per_minsn_all"] = per_minsn(r["itlb_walks_all"], insns)
    return r

def itlb(vals, prof, cls, key):
    """Instruction-side count KEY (walks, l1_misses) of class CLS."""
    return vals.get("model.%s.all.%s.insn.%s" % (prof, cls, key), 0)


def dtlb_walks_all(vals, prof):
    return vals.get("model.%s.all.all.data.walks" % prof, 0)


def code_pages(vals, cls, size):
    """Distinct code pages of CLS touched, SIZE 4K/2M/1G."""
    return vals.get("pages.all.insn.%s.%s" % (cls, size), 0)


def walk_mismatches(vals):
    """Walks whose leaf disagreed with QEMU's physical address."""
    return sum(v for k, v in vals.items() if k.startswith("check.") and k.endswith("mismatch"))


def per_minsn(count, insns):
    return count / (insns / 1e6) if insns else float("nan")


def label(prof):
    return "modeled (profile %s)" % prof


def fmt(x, nd=3):
    return "n/a" if x is None else ("%.*f" % (nd, x))


def ratio(a, b):
    return a / b if b else None


def write_table(prefix, rows, md, errors):
    """A table's outputs: PREFIX.json (the rows) and PREFIX.md (the lines
    of md); errors (one message each) to stderr.  The exit status: 1 if
    there is any error."""
    with open(prefix + ".json", "w") as f:
        json.dump(rows, f, indent=1)
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    for msg in errors:
        print(msg, file=sys.stderr)
    return 1 if errors else 0
