# SPDX-License-Identifier: GPL-2.0
"""The statistics of the benchmark's timings, shared by bench/ab/ab-summary.py
and bench/timing.py: the median of per-round ratios and its 95 % bootstrap
interval over rounds (2000 resamples of the rounds, fixed seed: the same
input gives the same interval)."""
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
