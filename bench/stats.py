# SPDX-License-Identifier: GPL-2.0
"""The statistics of the benchmark's timings, shared by bench/ab/ab-summary.py
and bench/timing.py: the median of per-round ratios and its 95 % bootstrap
interval over rounds (2000 resamples of the rounds, fixed seed: the same
input gives the same interval); for rounds from several boots, a two-level
bootstrap (boots, then rounds within them)."""
import random
import statistics


def median_ci(values, resamples=2000, seed=1):
    """(median, low, high): the median of @values and the 2.5th and 97.5th
    percentiles of the medians of @resamples resamples with replacement."""
    rng = random.Random(seed)
    boot = sorted(statistics.median(rng.choices(values, k=len(values)))
                  for _ in range(resamples))
    lo = boot[int(resamples * 0.025) - 1]
    hi = boot[int(resamples * 0.975) - 1]
    return statistics.median(values), lo, hi


def median_ci_boots(groups, resamples=2000, seed=1):
    """(median, low, high) for per-round values grouped by boot: the median
    of all of them, and the 2.5th and 97.5th percentiles of the medians of
    @resamples two-level resamples (as many boots as there are, drawn with
    replacement, then each drawn boot's rounds with replacement).  A ratio
    shifts from boot to boot (where the module and its data land, which
    TCG's direct-mapped software TLB sees), by more than one boot's rounds
    vary: the interval then covers that shift.  One boot: median_ci()."""
    groups = [list(g) for g in groups if g]
    if len(groups) == 1:
        return median_ci(groups[0], resamples, seed)
    rng = random.Random(seed)
    boot = []
    for _ in range(resamples):
        sample = []
        for g in rng.choices(groups, k=len(groups)):
            sample.extend(rng.choices(g, k=len(g)))
        boot.append(statistics.median(sample))
    boot.sort()
    lo = boot[int(resamples * 0.025) - 1]
    hi = boot[int(resamples * 0.975) - 1]
    return statistics.median([v for g in groups for v in g]), lo, hi
