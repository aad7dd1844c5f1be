#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Assemble the per-boot results of `make demo` into results/.

    assemble.py DEMO_DIR RESULTS_DIR KVER...

DEMO_DIR/KVER/json/PATH-WORKLOAD-RUN.json   one object per boot (bench module)
DEMO_DIR/KVER/json/modload-RUN.json         one object per modload boot
DEMO_DIR/KVER/modload/mods/*.ko             the modules that were loaded
DEMO_DIR/KVER/json/timing.json              the timing boot (bench/timing.py)
DEMO_DIR/accel                              "tcg" or "kvm"

Writes RESULTS_DIR/KVER.json, RESULTS_DIR/summary.md (also printed) and the
gnuplot data files DEMO_DIR/KVER/plot/*.dat.  Every number is the median
of the runs; "range" holds [min, max] per key.
"""
import json
import os
import statistics
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import goal_lines  # noqa: E402

PATHS = ["execmem", "stock", "bpf_prog_pack"]
WORKLOADS = ["modules", "loaded", "bpf"]
MAIN_KEYS = ["direct_map_level2_splits", "direct_map_level3_splits", "leaf_4k", "leaf_2m",
             "live_bytes", "mapped_bytes", "utilization", "lifecycle_ns_p50",
             "lifecycle_ns_p99"]
SHF_ALLOC, SHF_EXECINSTR = 0x2, 0x4


def load(path):
    with open(path) as f:
        return json.load(f)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def median(vals):
    m = statistics.median(vals)
    return int(m) if all(isinstance(v, int) for v in vals) and m == int(m) else m


def combine(runs):
    """Median of every numeric key over the runs, with ranges."""
    out, rng = {}, {}
    keys = [k for k in runs[0] if k not in ("lifecycle_ns_quantiles", "growth")]
    for k in keys:
        vals = [r.get(k) for r in runs]
        if all(is_num(v) for v in vals):
            out[k] = median(vals)
            rng[k] = [min(vals), max(vals)]
        elif all(isinstance(v, dict) for v in vals):
            sub, _ = combine(vals)
            out[k] = sub
        else:
            out[k] = vals[0]
    if "lifecycle_ns_quantiles" in runs[0]:
        q = list(zip(*[r["lifecycle_ns_quantiles"] for r in runs]))
        out["lifecycle_ns_quantiles"] = [median(list(v)) for v in q]
    out["runs"] = len(runs)
    out["ok"] = all(r.get("ok", True) for r in runs)
    return out, rng


def elf_exec_bytes(path):
    """Sum of the SHF_ALLOC|SHF_EXECINSTR sections but .init.* (freed after init)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return 0
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = secs[shstrndx][4]

    def name(s):
        end = data.index(b"\0", stroff + s[0])
        return data[stroff + s[0]:end].decode()
    return sum(s[5] for s in secs
               if s[2] & SHF_ALLOC and s[2] & SHF_EXECINSTR and not name(s).startswith(".init"))


def modload(kdir):
    runs = []
    i = 1
    while os.path.exists(f"{kdir}/json/modload-{i}.json"):
        d = load(f"{kdir}/json/modload-{i}.json")
        b, a = d["before"], d["after"]
        loaded = set(d["loaded"])
        live = 0
        for f, rc in d["loads"]:
            mod = f[:-3].replace("-", "_")
            if rc == 0 and mod in loaded:
                live += elf_exec_bytes(f"{kdir}/modload/mods/{f}")
        l4, l2m = a["exec_leaf_4k"] - b["exec_leaf_4k"], a["exec_leaf_2m"] - b["exec_leaf_2m"]
        mapped = l4 * 4096 + l2m * 2 * 1024 * 1024
        runs.append({
            "workload": "loaded (real modules)",
            "modules_loaded": sum(1 for _, rc in d["loads"] if rc == 0),
            "modules_failed": sum(1 for _, rc in d["loads"] if rc != 0),
            "direct_map_level2_splits": a["direct_map_level2_splits"] - b["direct_map_level2_splits"],
            "direct_map_level3_splits": a["direct_map_level3_splits"] - b["direct_map_level3_splits"],
            "direct_map_4k_kb_delta": a["direct_map_4k_kb"] - b["direct_map_4k_kb"],
            "direct_map_2m_kb_delta": a["direct_map_2m_kb"] - b["direct_map_2m_kb"],
            "leaf_4k": l4, "leaf_2m": l2m, "live_bytes": live, "mapped_bytes": mapped,
            "utilization": round(live / mapped, 4) if mapped else None,
            "module_text_bytes": a["module_text_bytes"] - b["module_text_bytes"],
            "load_all_ms": d["load_all_ms"],
            "lifecycle_ns_p50": None, "lifecycle_ns_p99": None,
        })
        i += 1
    if not runs:
        return None, None
    return combine(runs)


def rox_cache_kernel(kver):
    """The kernel keeps module text in its own 2 MiB ROX cache (6.15+ x86):
    the bench's stock path is then that cache, as the module loader uses it."""
    cache = os.environ.get("EXECMEM_CACHE",
                           os.path.join(os.environ.get("XDG_CACHE_HOME",
                                                       os.path.expanduser("~/.cache")), "execmem"))
    try:
        with open(f"{cache}/kernels/{kver}/config") as f:
            return "CONFIG_ARCH_HAS_EXECMEM_ROX=y\n" in f.read()
    except OSError:
        return False


def with_census(run, path):
    """Add the direct-map census of the boot (bench/guest/bench.sh), taken
    before the path ran and after its workload was freed: the split 2 MiB
    ranges it added, and the change in live and stale ones."""
    if not os.path.exists(path):
        return run
    c = load(path)
    for key, name in (("split_2m", "new"), ("split_2m_live", "live"),
                      ("split_2m_stale", "stale")):
        if f"census_after_{key}" in c and f"census_before_{key}" in c:
            run[f"census_{name}_split_2m_after_free"] = (
                c[f"census_after_{key}"] - c[f"census_before_{key}"])
    run.update(heal_figures(c))
    return run


HEAL_COUNTERS = ("split", "healable", "healed", "boot_tables", "tables_freed", "flushes")


def heal_figures(c):
    """The heal bench/guest/bench.sh ran once the path's workload was freed:
    stale split 2 MiB ranges of the whole direct map before and after it,
    ranges healed, the verdicts of those left, and whether /proc/meminfo's
    DirectMap lines moved by exactly the healed ranges (2048 kB each from
    4k to 2M)."""
    if "census_healed_split_2m_stale" not in c or "heal_last_healed" not in c:
        return {}
    healed = c["heal_last_healed"]
    d4k = c.get("heal_after_DirectMap4k", 0) - c.get("heal_before_DirectMap4k", 0)
    d2m = c.get("heal_after_DirectMap2M", 0) - c.get("heal_before_DirectMap2M", 0)
    left = ", ".join(f"{k[len('heal_last_'):]} {v}" for k, v in sorted(c.items())
                     if k.startswith("heal_last_") and v and k != "heal_last_result"
                     and k[len("heal_last_"):] not in HEAL_COUNTERS) or "none"
    return {"heal_stale_before": c["census_after_split_2m_stale"],
            "heal_healed": healed,
            "heal_stale_after": c["census_healed_split_2m_stale"],
            "heal_left": left,
            "heal_directmap_4k_kb": d4k, "heal_directmap_2m_kb": d2m,
            "heal_meminfo_agrees": int(not c.get("heal_failed", 1)
                                       and d4k == -2048 * healed and d2m == 2048 * healed)}


def kernel_result(demo, kver, accel):
    kdir = f"{demo}/{kver}"
    res = {"kernel": kver, "accel": accel, "workload": "modules",
           "method": "fresh boot per path, workload and run; counters read in-module "
                     "around the work; median of the runs, ranges in 'range'",
           "paths": {}, "range": {}, "workloads": {}}
    for wl in WORKLOADS:
        paths, ranges = {}, {}
        for p in PATHS:
            runs = []
            i = 1
            while os.path.exists(f"{kdir}/json/{p}-{wl}-{i}.json"):
                runs.append(with_census(load(f"{kdir}/json/{p}-{wl}-{i}.json"),
                                        f"{kdir}/json/{p}-{wl}-{i}.census"))
                i += 1
            if runs:
                paths[p], ranges[p] = combine(runs)
                paths[p]["growth"] = runs[0].get("growth", [])
        res["workloads"][wl] = {"paths": paths, "range": ranges}
    if os.path.exists(f"{kdir}/json/timing.json"):
        res["timing"] = load(f"{kdir}/json/timing.json")
    ml, mlr = modload(kdir)
    if ml:
        res["workloads"]["loaded"]["paths"]["modload"] = ml
        res["workloads"]["loaded"]["range"]["modload"] = mlr
    res["paths"] = dict(res["workloads"]["modules"]["paths"])
    res["range"] = dict(res["workloads"]["modules"]["range"])
    if ml:
        res["paths"]["modload"] = ml
        res["range"]["modload"] = mlr
    if rox_cache_kernel(kver):
        # Same measurements under the name the comparison is about.
        res["stock_is"] = "kernel_rox_cache"
        for w in [res] + list(res["workloads"].values()):
            if "stock" in w["paths"]:
                w["paths"]["kernel_rox_cache"] = w["paths"]["stock"]
                w["range"]["kernel_rox_cache"] = w["range"].get("stock", {})
    return res


def fmt(v, rng=None):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        s = f"{v:.4f}" if v < 10 else f"{v:,.1f}"
    elif is_num(v):
        s = f"{v:,}"
    else:
        return str(v)
    if rng and rng[0] != rng[1]:
        lo, hi = rng
        s += f" [{lo:,}–{hi:,}]" if isinstance(lo, int) else f" [{lo:.4g}–{hi:.4g}]"
    return s


def ratio(a, b):
    if not is_num(a) or not is_num(b):
        return "n/a"
    if b == 0:
        return "0/0" if a == 0 else "∞"
    return f"{a / b:.3g}"


ROWS = [  # (workload, metric, goal text, goal check(execmem, stock, bpf, x_path))
    ("modules", "direct_map_level2_splits", "0", lambda x, s, b, p: x == 0),
    ("loaded", "direct_map_level2_splits", "0", lambda x, s, b, p: x == 0),
    ("bpf", "direct_map_level2_splits", "0", lambda x, s, b, p: x == 0),
    ("modules", "direct_map_level3_splits", "", None),
    ("modules", "census_new_split_2m_after_free", "0", lambda x, s, b, p: x == 0),
    ("modules", "census_stale_split_2m_after_free", "", None),
    ("modules", "census_live_split_2m_after_free", "", None),
    ("bpf", "census_new_split_2m_after_free", "0", lambda x, s, b, p: x == 0),
    ("bpf", "census_stale_split_2m_after_free", "", None),
    ("modules", "direct_map_4k_kb_delta", "", None),
    ("modules", "leaf_4k", "0", lambda x, s, b, p: x == 0),
    ("modules", "leaf_2m", "≤ ⌈live/2M⌉+2",
     lambda x, s, b, p: x <= -(-p["live_bytes"] // (2 << 20)) + 2),
    ("loaded", "leaf_4k", "0", lambda x, s, b, p: x == 0),
    ("loaded", "leaf_2m", "≤ ⌈live/2M⌉+2",
     lambda x, s, b, p: x <= -(-p["live_bytes"] // (2 << 20)) + 2),
    ("bpf", "leaf_4k", "0", lambda x, s, b, p: x == 0),
    ("bpf", "leaf_2m", "≤ ⌈live/2M⌉+2",
     lambda x, s, b, p: x <= -(-p["live_bytes"] // (2 << 20)) + 2),
    ("modules", "live_bytes", "", None),
    ("modules", "mapped_bytes", "", None),
    ("modules", "utilization", "≥ 0.98", lambda x, s, b, p: x >= 0.98),
    ("loaded", "utilization", "", None),
    ("bpf", "utilization", "", None),
    ("modules", "lifecycle_ns_p50", "", None),
    ("modules", "lifecycle_ns_p99", "", None),
    ("loaded", "lifecycle_ns_p50", "", None),
    ("bpf", "lifecycle_ns_p50", "", None),
    ("bpf", "lifecycle_ns_p99", "", None),
    ("modules", "exec_ns_per_hop", "", None),
    ("modules", "itlb_misses_per_call", "", None),
    ("modules", "alloc_ops_per_s_1cpu", "", None),
    ("modules", "alloc_ops_per_s_2cpu", "", None),
    ("bpf", "alloc_ops_per_s_1cpu", "", None),
]


PHASES = ["check", "record", "pool", "owner", "lookup", "text_poke", "int3_refill", "free"]


def timing_lines(results):
    """The goals from the interleaved timing boots, then where the time goes."""
    rs = [r for r in results if "timing" in r]
    if not rs:
        return []
    lines = ["## Timings: every path in the same boots, interleaved", "",
             rs[0]["timing"]["method"] + ".", "",
             "| kernel | goal | ratio | 95 % interval | per boot | verdict |",
             "|---|---|---|---|---|---|"]
    for r in rs:
        lines += goal_lines(r["kernel"], r["timing"])
    lines += ["", "Where one lifecycle's time goes (mean ns per lifecycle, phase timing on; "
              "bpf_prog_pack's int3 refill is its text_poke_set timed alone, beside its free):",
              "", "| kernel | sizes | path | " + " | ".join(PHASES) + " | sum |",
              "|---|---|---|" + "---|" * (len(PHASES) + 1)]
    for r in rs:
        for wl, d in r["timing"]["phases"].items():
            for path, key in (("execmem", "execmem_phases_ns_per_lifecycle"),
                              ("bpf_prog_pack", "bpf_prog_pack_phases_ns_per_lifecycle")):
                ph = d.get(key, {})
                if path == "bpf_prog_pack":
                    ph = {"pool": ph.get("alloc"), "text_poke": ph.get("text_poke"),
                          "int3_refill": ph.get("int3_refill"), "free": ph.get("free")}
                cells = [f"{ph[k]:,}" if ph.get(k) is not None else "" for k in PHASES]
                total = sum(v for v in ph.values() if v)
                lines.append(f"| {r['kernel']} | {wl} | {path} | {' | '.join(cells)} | "
                             f"{total:,} |")
    lines += ["", "xm.lock under the two-vCPU throughput test (TCG: the vCPUs take turns on "
              "one host thread):", "",
              "| kernel | ops/s | acquisitions | wait mean / max ns | hold mean / max ns |",
              "|---|---|---|---|---|"]
    for r in rs:
        lc = r["timing"].get("lock_contention")
        if lc:
            w, h = lc["lock_wait"], lc["lock_hold"]
            lines.append(f"| {r['kernel']} | {lc['ops_per_s_2cpu']} | {w['acquisitions']:,} | "
                         f"{w['mean_ns']:,} / {w['max_ns']:,} | "
                         f"{h['mean_ns']:,} / {h['max_ns']:,} |")
    return lines + [""]


def write_lines(x, xr):
    """The 64 KiB write table of one kernel (execmem path, modules workload)."""
    if "write_64k_mbps" not in x:
        return []
    wr, tp = x["write_64k_mbps"], x["text_poke_copy_64k_mbps"]
    lines = ["", "| 64 KiB write, same boot | MB/s |", "|---|---|",
             f"| execmem_write | {fmt(wr, xr.get('write_64k_mbps'))} |",
             f"| text_poke_copy | {fmt(tp, xr.get('text_poke_copy_64k_mbps'))} |",
             f"| memcpy to vmalloc | {fmt(x['memcpy_64k_mbps'], xr.get('memcpy_64k_mbps'))} |",
             f"| execmem_write / text_poke_copy | {wr / tp:.2f}× (for information: "
             "docs/benchmark.md, \"Writes\") |"]
    b = x.get("write_breakdown", {})
    if b:
        lines.append(f"\nBreakdown (median ns): text_poke_copy 64 B {b['text_poke_copy_64b_ns']:,}"
                     f" (fixed cost of one __text_poke), 8 KiB {b['text_poke_copy_8k_ns']:,}"
                     f" (one two-page mapping), 64 KiB {b['text_poke_copy_64k_ns']:,}"
                     f" ({b['text_poke_calls_per_64k']} calls); execmem_write 64 B "
                     f"{b['execmem_write_64b_ns']:,}, 64 KiB {b['execmem_write_64k_ns']:,};"
                     f" memcpy 64 KiB {b['memcpy_64k_ns']:,}.")
    return lines


def heal_lines(r):
    """Per workload and path: what a heal (docs/dmap.md) did once the path's
    workload was freed (run 1 of each: the ranges differ from boot to boot)."""
    rows = []
    for wl in WORKLOADS:
        for n in ("stock", "bpf_prog_pack", "execmem"):
            p = r["workloads"][wl]["paths"].get(n, {})
            if "heal_healed" not in p:
                continue
            ok = p["heal_stale_after"] == 0 and p["heal_meminfo_agrees"]
            rows.append(f"| {wl} | {n} | {p['heal_stale_before']} | {p['heal_healed']} | "
                        f"{p['heal_left']} | {p['heal_stale_after']} | {p['heal_directmap_4k_kb']:+,} / "
                        f"{p['heal_directmap_2m_kb']:+,} | "
                        f"{'yes' if p['heal_meminfo_agrees'] else '**no**'} | "
                        f"{'yes' if ok else '**no**'} |")
    if not rows:
        return []
    return ["", "Heal after the path (`echo heal > /sys/kernel/debug/execmem/dmap` once the "
            "workload was freed, the bench module still loaded; stale split 2 MiB ranges of "
            "the whole direct map, from the census; docs/dmap.md):", "",
            "| workload | path | stale before | healed | left split, by verdict (live ranges too) | stale after | "
            "DirectMap4k / 2M (kB) | meminfo = healed × 2 MiB | goal: stale 0, meminfo agrees |",
            "|---|---|---|---|---|---|---|---|---|"] + rows


def summary(results):
    lines = ["# execmem benchmark (`make demo`)", ""] + timing_lines(results)
    for r in results:
        if not runs_of(r):
            continue
        lines += [f"## {r['kernel']} ({r['accel']}; counts: medians of {runs_of(r)} fresh "
                  "boot(s) per path, [min–max] when they differ; their latencies are "
                  "per-boot, for information: the ratios above are the timings)", ""]
        if r.get("stock_is") == "kernel_rox_cache":
            lines += ["stock = the kernel's own execmem ROX cache (`kernel_rox_cache` in the "
                      "JSON): execmem_alloc_rw(EXECMEM_MODULE_TEXT), memcpy, "
                      "execmem_restore_rox, execmem_free, as the 7.2 module loader does.", ""]
        lines += [
                  "| workload | metric | stock | bpf_prog_pack | execmem | execmem/stock | "
                  "execmem/bpf_prog_pack | goal | met |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for wl, key, goal, check in ROWS:
            w = r["workloads"][wl]
            p, rg = w["paths"], w["range"]
            vals = [p.get(n, {}).get(key) for n in ("stock", "bpf_prog_pack", "execmem")]
            cells = [fmt(v, rg.get(n, {}).get(key))
                     for v, n in zip(vals, ("stock", "bpf_prog_pack", "execmem"))]
            met = ""
            if check and all(is_num(v) for v in vals):
                met = "yes" if check(vals[2], vals[0], vals[1], p["execmem"]) else "**no**"
            lines.append(f"| {wl} | {key} | {' | '.join(cells)} | {ratio(vals[2], vals[0])} | "
                         f"{ratio(vals[2], vals[1])} | {goal} | {met} |")
        lines += heal_lines(r)
        x = r["workloads"]["modules"]["paths"].get("execmem", {})
        xr = r["workloads"]["modules"]["range"].get("execmem", {})
        lines += write_lines(x, xr)
        ml = r["workloads"]["loaded"]["paths"].get("modload")
        mr = r["workloads"]["loaded"]["range"].get("modload", {})
        if ml:
            lines += ["", f"modload (real modules of this kernel, {ml['modules_loaded']} loaded, "
                      f"{ml['modules_failed']} refused in the guest): "
                      f"{fmt(ml['leaf_4k'], mr.get('leaf_4k'))} exec 4K leaves, "
                      f"{fmt(ml['leaf_2m'], mr.get('leaf_2m'))} 2M, "
                      f"{fmt(ml['direct_map_level2_splits'], mr.get('direct_map_level2_splits'))} "
                      f"level-2 splits, utilization {fmt(ml['utilization'])} "
                      f"({ml['live_bytes']:,} B of text), loading took {ml['load_all_ms']:,} ms."]
        lines.append("")
    return "\n".join(lines)


def runs_of(r):
    return r["paths"].get("execmem", {}).get("runs", 0)


def plot_data(demo, r):
    d = f"{demo}/{r['kernel']}/plot"
    os.makedirs(d, exist_ok=True)
    for wl in WORKLOADS:
        for p, v in r["workloads"][wl]["paths"].items():
            if v.get("growth"):
                with open(f"{d}/growth-{wl}-{p}.dat", "w") as f:
                    f.write("# live_MiB leaves_4k leaves_2m leaves_total\n")
                    for live, l4, l2 in v["growth"]:
                        f.write(f"{live / 2**20:.3f} {l4} {l2} {l4 + l2}\n")
            if v.get("lifecycle_ns_quantiles"):
                with open(f"{d}/latency-{wl}-{p}.dat", "w") as f:
                    f.write("# lifecycle_us fraction\n")
                    for i, ns in enumerate(v["lifecycle_ns_quantiles"]):
                        f.write(f"{ns / 1000:.3f} {i / 100:.2f}\n")
    ml = r["workloads"]["loaded"]["paths"].get("modload")
    if ml:
        with open(f"{d}/modload.dat", "w") as f:
            f.write(f"{ml['live_bytes'] / 2**20:.3f} {ml['leaf_4k']} {ml['leaf_2m']} "
                    f"{ml['leaf_4k'] + ml['leaf_2m']}\n")


def main():
    demo, out, kvers = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    accel = open(f"{demo}/accel").read().strip() if os.path.exists(f"{demo}/accel") else "tcg"
    results = []
    for kver in kvers:
        r = kernel_result(demo, kver, accel)
        with open(f"{out}/{kver}.json", "w") as f:
            json.dump(r, f, indent=1)
        plot_data(demo, r)
        results.append(r)
    s = summary(results)
    with open(f"{out}/summary.md", "w") as f:
        f.write(s)
    print(s)


if __name__ == "__main__":
    main()
