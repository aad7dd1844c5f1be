#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the benchmark's statistics and verdicts (bench/stats.py,
bench/timing.py, bench/assemble.py), as KTAP: the numbers the timing goals are judged on."""
import os
import random
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import assemble  # noqa: E402
import stats  # noqa: E402
import timing  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def noisy(centre, n, sd, seed):
    rng = random.Random(seed)
    return [centre + rng.gauss(0, sd) for _ in range(n)]


@test
def one_boot_is_the_rounds_bootstrap():
    g = noisy(1.0, 20, 0.01, 1)
    assert stats.median_ci_boots([g]) == stats.median_ci(g)


@test
def interval_covers_the_shift_between_boots():
    # Three boots whose medians differ by far more than each boot's noise:
    # the two-level interval reaches from about the lowest boot's median to
    # the highest; pooling the rounds (one level) would not.
    groups = [noisy(c, 20, 0.001, i) for i, c in enumerate((1.000, 1.010, 1.020))]
    _, lo, hi = stats.median_ci_boots(groups)
    _, plo, phi = stats.median_ci([v for g in groups for v in g])
    assert lo <= 1.002 and hi >= 1.018, (lo, hi)
    assert hi - lo > 3 * (phi - plo), (lo, hi, plo, phi)


@test
def intervals_are_reproducible():
    groups = [noisy(1.0, 20, 0.02, i) for i in range(3)]
    assert stats.median_ci_boots(groups) == stats.median_ci_boots(groups)


def il(rounds):
    """rounds: [(execmem, bpf_prog_pack)] lifecycle p50 ns -> one boot"""
    return {r: {("bpf", "execmem", "life_p50"): x, ("bpf", "bpf_prog_pack", "life_p50"): o}
            for r, (x, o) in enumerate(rounds, 1)}


def p50_goal(ils):
    g = timing.GOALS[0]
    assert g[0] == "lifecycle_p50_bpf_vs_bpf_prog_pack"
    return timing.goal(ils, *g)


@test
def met_only_when_every_boot_is_below_the_bound():
    below = il([(990 + r % 3, 1000) for r in range(20)])
    above = il([(1010 + r % 3, 1000) for r in range(20)])
    assert p50_goal([below, below, below])["met"]
    res = p50_goal([below, below, above])
    assert not res["met"] and res["ci95"][1] > 1.0, res
    assert res["per_boot"][2] > 1.0 > res["per_boot"][0], res
    assert res["boots"] == 3 and res["rounds"] == 60


def log_text(rounds, noise=True):
    lines = ["[    1.0] booting", "EXECMEM-TIMING-BEGIN\r", "IL begin rounds 2 seed 42"]
    for r, (x, o, wx, wo) in enumerate(rounds, 1):
        lines += [f"IL {r} bpf execmem ops_per_s {x}", f"IL {r} bpf bpf_prog_pack ops_per_s {o}",
                  f"IL {r} write64 execmem_write ns {wx}",
                  f"IL {r} write64 text_poke_copy ns {wo}"]
        if noise:
            lines.append("[    2.0] random console line")
    lines += ["EXECMEM-TIMING-END", "IL 9 bpf execmem ops_per_s 1"]
    return "\n".join(lines) + "\n"


@test
def logs_parse_and_ratios_point_the_right_way():
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for b in range(2):
            p = os.path.join(d, f"timing-{b}.log")
            # execmem: twice the rate, half the write time of the other path
            with open(p, "w") as f:
                f.write(log_text([(2000, 1000, 500, 1000), (2000, 1000, 500, 1000)]))
            paths.append(p)
        res = timing.result(paths)
    assert res["boots"] == 2 and res["rounds"] == 4, res
    ops = res["goals"]["ops_per_s_bpf_vs_bpf_prog_pack"]
    w = res["goals"]["write_64_vs_text_poke_copy"]
    assert ops["ratio"] == 2.0 and ops["met"], ops
    assert w["ratio"] == 2.0 and w["met"] and w["non_inferior"], w
    assert res["goals"]["lifecycle_p50_bpf_vs_bpf_prog_pack"]["verdict"] == "no data"


@test
def write_table_states_the_ratio_not_the_retired_goal():
    x = {"write_64k_mbps": 100, "text_poke_copy_64k_mbps": 80, "memcpy_64k_mbps": 1000}
    text = "\n".join(assemble.write_lines(x, {}))
    assert "1.25×" in text, text
    assert "≥ 2×" not in text and "**no**" not in text, text


def main():
    print("KTAP version 1")
    print(f"1..{len(TESTS)}")
    failed = 0
    for i, fn in enumerate(TESTS, 1):
        try:
            fn()
            print(f"ok {i} bench_stats.{fn.__name__}")
        except AssertionError as e:
            failed += 1
            print(f"# {fn.__name__}: {e!r}")
            print(f"not ok {i} bench_stats.{fn.__name__}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
