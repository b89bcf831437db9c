#!/usr/bin/env python3
"""Prints the table of ratios from Google Benchmark JSON files (standard library only).

Usage: summarize.py RESULT.json ...   (one file per benchmark program and thread count; the
thread count is read from each file's context "omp_threads").

Every ratio compares two benchmarks from the same file, i.e. the same run: absolute numbers on
the shared 2-core machines drift by ±20%, ratios much less. With --benchmark_repetitions the
median is used. A row is marked "contended" when its wall time exceeds its CPU time by > 25%
(another process took the cores: rerun).
"""
import json
import sys

# Goals from docs/benchmarks.md (BENCHMARKS.md, CPU column).
W6_GOAL = 0.95      # ignis GFLOP/s ≥ 0.95 × oneDNN's
W7_US_GOAL = 1.0    # ≤ 1 µs per op
W7_BW_GOAL = 0.80   # ≥ 80% of the measured copy bandwidth


def short_name(name):
    """'W6/ignis_matmul/1024/min_time:1.000/real_time' -> 'W6/ignis_matmul/1024'."""
    skip = ("min_time:", "iterations:", "repeats:", "real_time")
    return "/".join(p for p in name.split("/") if not p.startswith(skip))


def load(path):
    """-> (threads, load average at start, {short name: benchmark row}); medians win."""
    with open(path) as f:
        data = json.load(f)
    threads = int(data["context"].get("omp_threads", 0))
    load_avg = (data["context"].get("load_avg") or [float("nan")])[0]
    rows = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = short_name(b.get("run_name", b["name"]))
        if b.get("run_type") == "aggregate" or name not in rows:
            rows[name] = b
    return threads, load_avg, rows


def flag(row):
    return " (contended)" if row["real_time"] > 1.25 * row["cpu_time"] else ""


def to_us(row):
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[row["time_unit"]]
    return row["real_time"] * scale


def met(ok):
    return "yes" if ok else "**no**"


def main(paths):
    results = {}  # threads -> rows of all programs
    loads = []  # 1-minute load average at each start (the previous program counts too)
    for p in paths:
        try:
            threads, load_avg, rows = load(p)
        except (OSError, ValueError) as e:  # e.g. a filter that matched nothing: empty file
            print(f"summarize.py: skipping {p}: {e}", file=sys.stderr)
            continue
        results.setdefault(threads, {}).update(rows)
        loads.append(f"{p.rsplit('/', 1)[-1]} {load_avg:.2f}")
    print("load average at start:", ", ".join(loads))
    print()

    print("| workload | threads | ignis | reference | ratio | goal | met |")
    print("|---|---|---|---|---|---|---|")
    for t in sorted(results):
        r = results[t]
        for n in (1024, 4096):
            ours, peer = r.get(f"W6/ignis_matmul/{n}"), r.get(f"W6/onednn_sgemm/{n}")
            if ours and peer:
                ratio = ours["FLOP"] / peer["FLOP"]
                print(f"| W6 SGEMM {n}³ | {t} | {ours['FLOP'] / 1e9:.0f} GFLOP/s{flag(ours)} "
                      f"| {peer['FLOP'] / 1e9:.0f} GFLOP/s (dnnl_sgemm){flag(peer)} | {ratio:.3f}× "
                      f"| ≥ {W6_GOAL}× | {met(ratio >= W6_GOAL)} |")
            fresh = r.get(f"W6/onednn_sgemm_fresh/{n}")
            if fresh:  # how much of the gap a fresh output explains
                print(f"| (W6 dnnl_sgemm {n}³ into a fresh output) | {t} "
                      f"| {fresh['FLOP'] / 1e9:.0f} GFLOP/s{flag(fresh)} | as above "
                      f"| {fresh['FLOP'] / peer['FLOP']:.3f}× | (info) | – |")
        add = r.get("W7/overhead/add16")
        if add:
            us = to_us(add)
            print(f"| W7 add, 16 elements | {t} | {us:.3f} µs/op{flag(add)} | – | – "
                  f"| ≤ {W7_US_GOAL:g} µs | {met(us <= W7_US_GOAL)} |")
        empty = r.get("W7/overhead/empty16")
        if empty:  # the allocation part of the add, for scale
            print(f"| (W7 empty, 16 elements) | {t} | {to_us(empty):.3f} µs/op{flag(empty)} "
                  f"| – | – | (info) | – |")
        copy = r.get("W7/bw/memcpy")
        for op in ("relu", "add"):
            row = r.get(f"W7/bw/ignis_{op}")
            if row and copy:
                ratio = row["bytes_per_second"] / copy["bytes_per_second"]
                print(f"| W7 {op}, 64 MiB | {t} | {row['bytes_per_second'] / 1e9:.1f} GB/s{flag(row)} "
                      f"| {copy['bytes_per_second'] / 1e9:.1f} GB/s (memcpy){flag(copy)} "
                      f"| {ratio:.0%} | ≥ {W7_BW_GOAL:.0%} | {met(ratio >= W7_BW_GOAL)} |")

    # Diagnostics: where the W7 bandwidth goes (all against the pre-allocated memcpy).
    diag = []
    for t in sorted(results):
        r = results[t]
        copy = r.get("W7/bw/memcpy")
        for name in ("memcpy", "memcpy_fresh", "ignis_copy_", "ignis_clone", "ignis_relu",
                     "ignis_add", "loop_relu"):
            row = r.get(f"W7/bw/{name}")
            if row and copy:
                bw = row["bytes_per_second"]
                diag.append(f"| {name} | {t} | {bw / 1e9:.1f}{flag(row)} "
                            f"| {bw / copy['bytes_per_second']:.0%} | {row.get('faults', 0):.0f} |")
    if diag:
        print()
        print("| W7 64 MiB diagnostics | threads | GB/s | % of memcpy | page faults/op |")
        print("|---|---|---|---|---|")
        print("\n".join(diag))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
