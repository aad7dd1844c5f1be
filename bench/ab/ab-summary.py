#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ab-summary.py KVER OLD LOG: per-round ratios new/old of execmem_ab.ko's
medians, their median and a 95 % bootstrap interval over rounds."""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from stats import median_ci  # noqa: E402

kver, old, path = sys.argv[1:4]
rounds = {}
for line in open(path, errors="replace"):
    m = re.search(r"AB round (\d+) (new|old) ops_ns (\d+) lifecycle_ns (\d+)", line)
    if m:
        r = rounds.setdefault(int(m.group(1)), {})
        r[m.group(2)] = (int(m.group(3)), int(m.group(4)))
full = [r for r in rounds.values() if "new" in r and "old" in r]
if not full:
    sys.exit(f"ab-summary: no complete round in {path}")
for i, metric in enumerate(("ops", "lifecycle")):
    ratios = [r["new"][i] / r["old"][i] for r in full]
    med, lo, hi = median_ci(ratios, seed=1 + i)
    new = statistics.median(r["new"][i] for r in full)
    oldv = statistics.median(r["old"][i] for r in full)
    print(f"{kver} {metric}: new/old {med:.3f} "
          f"[95% {lo:.3f}-{hi:.3f}] over {len(full)} rounds "
          f"(medians {new} ns new, {oldv} ns old {old})")
