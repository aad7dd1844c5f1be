#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ab-summary.py KVER OLD LOG...: per-round ratios new/old of execmem_ab.ko's
medians, their median and a 95 % bootstrap interval; one LOG per boot (with
several boots the interval is two-level, boots then rounds: stats.py's
median_ci_boots, so that it covers how a ratio shifts from boot to boot)."""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from stats import median_ci_boots  # noqa: E402


def rounds_of(path):
    """The complete rounds of one boot's log: [{"new": (ops, lc), "old": ...}]."""
    rounds = {}
    for line in open(path, errors="replace"):
        m = re.search(r"AB round (\d+) (new|old) ops_ns (\d+) lifecycle_ns (\d+)", line)
        if m:
            r = rounds.setdefault(int(m.group(1)), {})
            r[m.group(2)] = (int(m.group(3)), int(m.group(4)))
    return [r for r in rounds.values() if "new" in r and "old" in r]


kver, old, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
boots = [rounds_of(p) for p in paths]
if not any(boots):
    sys.exit(f"ab-summary: no complete round in {' '.join(paths)}")
full = [r for b in boots for r in b]
nboots = sum(1 for b in boots if b)
for i, metric in enumerate(("ops", "lifecycle")):
    groups = [[r["new"][i] / r["old"][i] for r in b] for b in boots]
    med, lo, hi = median_ci_boots(groups, seed=1 + i)
    new = statistics.median(r["new"][i] for r in full)
    oldv = statistics.median(r["old"][i] for r in full)
    per_boot = ""
    if nboots > 1:
        per_boot = "; per boot " + " ".join(f"{statistics.median(g):.3f}" for g in groups if g)
    print(f"{kver} {metric}: new/old {med:.3f} "
          f"[95% {lo:.3f}-{hi:.3f}] over {len(full)} rounds in {nboots} boot(s) "
          f"(medians {new} ns new, {oldv} ns old {old}{per_boot})")
