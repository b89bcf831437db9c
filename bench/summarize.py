#!/usr/bin/env python3
"""Prints the table of ratios from Google Benchmark JSON files (standard library only).

Usage: summarize.py RESULT.json ...   (one file per benchmark program and thread count; the
thread count is read from each file's context "omp_threads"). The PyTorch peers of W1-W4
(bench/peer/train_step_peer.py, PyTorch eager from Python; bench/peer/libtorch, the same steps in
PyTorch's C++ API) and W5 (bench/peer/fashion_mnist_peer.py), and the W5 runner of `ignis train`
(bench/train_job_bench.py), write the same format.

Every ratio compares two benchmarks from the same file, i.e. the same run: absolute numbers on
the shared 2-core machines drift by ±20%, ratios much less. With --benchmark_repetitions the
median is used. A row is marked "contended" when its wall time exceeds its CPU time by > 25%
(another process took the cores: rerun).
"""
import contextlib
import io
import json
import sys

# Goals from docs/benchmarks.md (BENCHMARKS.md, CPU column).
W1_GOAL = 10.0      # ignis steps/s ≥ 10 × PyTorch eager's
W2_GOAL = 5.0       # ignis samples/s ≥ 5 × PyTorch eager's
W3_GOAL = 1.5       # ignis samples/s ≥ 1.5 × PyTorch eager's
W4_GOAL = 1.0       # ignis samples/s ≥ 1 × PyTorch eager's (the CNN)
W8_GOAL = 1.3       # ignis tokens/s ≥ 1.3 × PyTorch eager's (nanoGPT's GPT, issue #20)
# The same steps against libtorch, PyTorch's C++ API (no Python interpreter in its per-op cost).
LIBTORCH_GOALS = {"W1": 3.0, "W2": 2.0, "W3": 1.3, "W4": 1.3, "W8": 1.3}  # W8: no C++ peer yet
W3_GEMM_GOAL = 0.60 # the W3 step's model FLOP rate ≥ 60% of the SGEMM 1024³ rate of the same run
W5_GOAL = 1.5       # PyTorch's seconds per epoch ≥ 1.5 × ignis's ...
W5_ACC_TOL = 0.01   # ... at equal test accuracy: ignis's at most 1 point below the peer's
W6_GOAL = 0.95      # ignis GFLOP/s ≥ 0.95 × oneDNN's
W7_US_GOAL = 1.0    # ≤ 1 µs per op
W7_BW_GOAL = 0.80   # ≥ 80% of the measured copy bandwidth


def short_name(name):
    """'W6/ignis_matmul/1024/min_time:1.000/real_time' -> 'W6/ignis_matmul/1024'."""
    skip = ("min_time:", "iterations:", "repeats:", "real_time")
    return "/".join(p for p in name.split("/") if not p.startswith(skip))


def load(path):
    """-> (threads, load average at start, {short name: benchmark row}, context); medians win."""
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
    return threads, load_avg, rows, data["context"]


def flag(row):
    return " (contended)" if row["real_time"] > 1.25 * row["cpu_time"] else ""


def to_us(row):
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[row["time_unit"]]
    return row["real_time"] * scale


def met(ok):
    return "yes" if ok else "**no**"


def si(x):
    """17060.3 -> '17.1k', 1.75e6 -> '1.75M' (three significant digits)."""
    for div, suffix in ((1e6, "M"), (1e3, "k"), (1, "")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def peer_line(context):
    """'torch 2.15.0 (BLAS_INFO=mkl, oneDNN v3.13.3), 2 threads, Python 3.11.7' from the peer's JSON
    context ('libtorch 2.15.0 (…), 2 threads, g++ 12.2.0' for the C++ peer)."""
    config = context.get("torch_config", "")
    blas = next((w.rstrip(",") for w in config.split() if w.startswith("BLAS_INFO=")), "BLAS ?")
    onednn = next((line.split("MKL-DNN ")[1].split(" (")[0] for line in config.splitlines()
                   if "MKL-DNN " in line), "?")
    if context.get("peer") == "libtorch":
        return (f"libtorch {context.get('torch_wheel') or context.get('torch_version', '?')} ({blas}, oneDNN {onednn}), "
                f"{context.get('omp_threads', '?')} threads ({context.get('interop_threads', '?')} inter-op), "
                f"g++ {context.get('compiler', '?')}")
    return (f"torch {context.get('torch_version', '?')} ({blas}, oneDNN {onednn}), "
            f"{context.get('omp_threads', '?')} threads, Python {context.get('python', '?')}")


def per_step(row):
    """'5.5 µs/step' or '3.61 ms/step'."""
    us = to_us(row)
    return f"{us / 1e3:.2f} ms/step" if us >= 1e3 else f"{us:.1f} µs/step"


# W1-W4: (id, description, metric unit, goal against PyTorch eager).
TRAIN_STEPS = (("W1", "W1 step: Linear(10, 2), MSE, SGD, batch 100", "steps/s", W1_GOAL),
               ("W2", "W2 step: 8→64→ReLU→1, MSE, Adam, batch 32", "samples/s", W2_GOAL),
               ("W3", "W3 step: MLP 784→512→512→10, cross-entropy, Adam, batch 128", "samples/s", W3_GOAL),
               ("W4", "W4 step: CNN conv32-conv64-pool-fc128-fc10, cross-entropy, Adam, batch 64", "samples/s",
                W4_GOAL),
               ("W8", "W8 step: GPT 4 layers, 4 heads, 256 channels, block 128, AdamW, batch 16", "tokens/s",
                W8_GOAL))
PHASES = ("zero_grad_us", "forward_us", "loss_us", "backward_us", "step_us")


def rate_cell(row, unit, side=""):
    return f"{si(row['items_per_second'])} {unit} ({per_step(row)}{side}){flag(row)}" if row else "– (not run)"


def ratio_cells(ours, peer, goal):
    """'3.21× | ≥ 3× | yes': ignis's rate over the peer's, its goal and whether it is met."""
    if not (ours and peer):
        return f"– | ≥ {goal:g}× | –"
    ratio = ours["items_per_second"] / peer["items_per_second"]
    return f"{ratio:.2f}× | ≥ {goal:g}× | {met(ratio >= goal)}"


def train_step_table(results):
    """W1–W4 steps, both peers side by side: ignis, libtorch (C++), PyTorch eager (Python), and
    ignis's ratio against each with its goal."""
    lines = []
    for t in sorted(results):
        r = results[t]
        for wid, what, unit, goal in TRAIN_STEPS:
            ours, lt, eager = (r.get(f"{wid}/{side}/step") for side in ("ignis", "libtorch", "torch"))
            if not (ours or lt or eager):
                continue
            lines.append(f"| {what} | {t} | {rate_cell(ours, unit)} | {rate_cell(lt, unit, ', libtorch')} "
                         f"| {rate_cell(eager, unit, ', torch')} | {ratio_cells(ours, lt, LIBTORCH_GOALS[wid])} "
                         f"| {ratio_cells(ours, eager, goal)} |")
    if lines:
        print("| training step | threads | ignis | libtorch (C++) | PyTorch eager (Python) "
              "| ignis vs libtorch | goal | met | ignis vs eager | goal | met |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(lines))


def w3_gemm_rows(t, r):
    """W3's second goal: the step's model FLOP rate against SGEMM 1024³, same program and run;
    and, for scale, the peer's own step rate against its own torch.mm 1024³ (info)."""
    for side, ref_name in (("ignis", "ignis::matmul 1024³"), ("libtorch", "torch::mm 1024³"),
                           ("torch", "torch.mm 1024³")):
        step, gemm = r.get(f"W3/{side}/step"), r.get(f"W3/{side}/sgemm1024")
        if not (step and gemm):
            continue
        share = step["FLOP"] / gemm["FLOP"]
        cells = (f"{step['FLOP'] / 1e9:.0f} GFLOP/s{flag(step)} | {gemm['FLOP'] / 1e9:.0f} GFLOP/s "
                 f"({ref_name}){flag(gemm)} | {share:.0%}")
        if side == "ignis":
            print(f"| W3 model FLOP rate, % of SGEMM | {t} | {cells} | ≥ {W3_GEMM_GOAL:.0%} "
                  f"| {met(share >= W3_GEMM_GOAL)} |")
        else:
            print(f"| (W3 {side}'s model FLOP rate, % of its own SGEMM) | {t} | {cells} | (info) | – |")


def train_step_phases(results):
    """Where a W1–W4 step's time goes, every side: µs per step by phase."""
    lines = []
    for t in sorted(results):
        r = results[t]
        for wid, *_ in TRAIN_STEPS:
            for side in ("ignis", "libtorch", "torch"):
                ph, step = r.get(f"{wid}/{side}/phases"), r.get(f"{wid}/{side}/step")
                nograd = r.get(f"{wid}/{side}/forward_nograd")
                if not ph:
                    continue
                parts = " | ".join(f"{ph.get(p, float('nan')):.2f}" for p in PHASES)
                total = sum(ph.get(p, 0.0) for p in PHASES)
                news = f"{ph['news']:.0f}" if "news" in ph else "–"
                lines.append(f"| {wid} | {t} | {side} | {parts} | {total:.2f} "
                             f"| {to_us(step) if step else float('nan'):.2f} "
                             f"| {to_us(nograd) if nograd else float('nan'):.2f} | {news} |")
    if lines:
        print()
        print("| W1–W4 µs per step | threads | side | zero_grad | forward | loss | backward "
              "| optimizer step | sum of phases | whole step | forward + loss, no grad "
              "| C++ heap allocations/step |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(lines))


def w3_diagnostics(results):
    """W3: the step against its GEMMs alone (same shapes, through ignis::matmul)."""
    lines = []
    for t in sorted(results):
        r = results[t]
        step, gemms, ref = r.get("W3/ignis/step"), r.get("W3/ignis/gemms_only"), r.get("W3/ignis/sgemm1024")
        ph = r.get("W3/ignis/phases")
        if not (step and gemms and ref):
            continue
        opt = f"{ph['step_us'] / 1e3:.2f}" if ph else "–"
        lines.append(f"| {t} | {to_us(step) / 1e3:.2f} | {to_us(gemms) / 1e3:.2f} | {opt} "
                     f"| {(to_us(step) - to_us(gemms)) / 1e3:.2f} | {gemms['FLOP'] / 1e9:.0f} "
                     f"| {gemms['FLOP'] / ref['FLOP']:.0%} |")
    if lines:
        print()
        print("| W3 ignis, ms per step | threads | whole step | its 8 GEMMs alone | optimizer step "
              "(phases) | step − GEMMs | GEMMs alone, GFLOP/s | GEMMs alone, % of SGEMM 1024³ |")
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join("| W3 " + line for line in lines))


def memory_rows(t, r):
    """Peak resident memory of W3 and W4 (memory/W?/*): ignis must not use more than the peer.
    Compared by the increase over the process's memory before the workload was built (the
    peak includes the libraries: ~30 MiB for ignis, several hundred for torch)."""
    for w in ("W1", "W2", "W3", "W4", "W8"):
        for side in ("torch", "libtorch"):
            ours, peer = r.get(f"memory/{w}/ignis"), r.get(f"memory/{w}/{side}")
            if not (ours and peer):
                continue
            cells = [f"+{row['increase_mib']:.1f} MiB (peak {row['peak_rss_mib']:.0f} MiB)" for row in (ours, peer)]
            ratio = ours["increase_mib"] / peer["increase_mib"] if peer["increase_mib"] > 0 else float("nan")
            print(f"| {w} peak memory (increase over the idle process) | {t} | {cells[0]} | {cells[1]} ({side}) "
                  f"| {ratio:.2f}× | ≤ 1× | {met(ratio <= 1.0)} |")


def w5_rows(t, r, prefix="W5", model="MLP"):
    """W5 goal row: `ignis train` against the PyTorch script, seconds per epoch and accuracy."""
    ours, peer = r.get(f"{prefix}/ignis/epoch"), r.get(f"{prefix}/torch/epoch")
    if not (ours or peer):
        return
    cells = []
    for row, side in ((ours, ""), (peer, ", torch")):
        cells.append(f"{to_us(row) / 1e6:.2f} s/epoch, test accuracy {row['test_accuracy']:.2%} "
                     f"({row['epochs']:.0f} epochs{side})" if row else "– (not run)")
    if ours and peer:
        ratio = to_us(peer) / to_us(ours)
        equal = ours["test_accuracy"] >= peer["test_accuracy"] - W5_ACC_TOL
        verdict = f"{ratio:.2f}× | ≥ {W5_GOAL:g}× at equal accuracy | {met(ratio >= W5_GOAL and equal)}"
    else:
        verdict = f"– | ≥ {W5_GOAL:g}× at equal accuracy | –"
    print(f"| {prefix} `ignis train` {model}, Fashion-MNIST | {t} | {cells[0]} | {cells[1]} | {verdict} |")
    for side, row in (("ignis", ours), ("torch", peer)):
        if prefix != "W5" and row and "peak_rss_mib" in row:  # W5's are in its "whole runs" table
            print(f"| ({prefix} peak RSS, {side}) | {t} | {row['peak_rss_mib']:.0f} MiB | – | – | (info) | – |")


def w5_phases(results):
    """Where a W5 epoch goes: seconds per epoch by phase, both sides."""
    lines = []
    for t in sorted(results):
        r = results[t]
        peer, gather = r.get("W5/torch/phases"), r.get("W5/ignis/gather")
        for name, side in (("phases", "ignis, as fit (prefetch thread)"), ("phases_sync", "ignis, no prefetch thread")):
            ours = r.get(f"W5/ignis/{name}")
            if not ours:
                continue
            step = ours["forward_s"] + ours["backward_s"] + ours["optimizer_s"]
            lines.append(f"| {t} | {side} | {ours['data_s']:.3f} | {step:.3f} "
                         f"({ours['forward_s']:.3f} + {ours['backward_s']:.3f} + {ours['optimizer_s']:.3f}) "
                         f"| {ours['logs_s']:.3f} | {ours['validation_s']:.3f} | {to_us(ours) / 1e6:.3f} "
                         f"| {to_us(gather) / 1e6 if gather else float('nan'):.3f} |")
        if peer:
            lines.append(f"| {t} | torch | {peer['data_s']:.3f} | {peer['step_s']:.3f} | {peer['logs_s']:.3f} "
                         f"| {peer['validation_s']:.3f} | {to_us(peer) / 1e6:.3f} | – |")
    if lines:
        print()
        print("| W5 seconds per epoch | threads | side | waiting for data | training steps "
              "(forward + backward + optimizer) | logs (loss.item, accuracy) | validation pass "
              "| whole epoch | batch assembly alone |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join("| W5 " + line for line in lines))
        extra = []
        for t in sorted(results):
            r = results[t]
            for side in ("ignis", "torch"):
                epoch, process = r.get(f"W5/{side}/epoch"), r.get(f"W5/{side}/process")
                if epoch and process:
                    extra.append(f"| {t} | {side} | {to_us(process) / 1e6 * epoch['epochs']:.2f} "
                                 f"| {epoch['train_seconds']:.2f} | {si(epoch['samples_per_second'])} "
                                 f"| {epoch['peak_rss_mib']:.0f} |")
        if extra:
            print()
            print("| W5 whole runs | threads | side | process wall time, s | fit time, s | training samples/s "
                  "| peak RSS, MiB |")
            print("|---|---|---|---|---|---|---|")
            print("\n".join("| W5 " + line for line in extra))


def main_table_rows(results):
    """The main table's rows: W3's share of SGEMM, peak memory, W5, W5cnn, W6, W7."""
    for t in sorted(results):
        r = results[t]
        w3_gemm_rows(t, r)
        memory_rows(t, r)
        w5_rows(t, r)
        w5_rows(t, r, "W5cnn", "CNN")
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


def main(paths):
    results = {}  # threads -> rows of all programs
    loads = []  # 1-minute load average at each start (the previous program counts too)
    peers = []
    for p in paths:
        try:
            threads, load_avg, rows, context = load(p)
        except (OSError, ValueError) as e:  # e.g. a filter that matched nothing: empty file
            print(f"summarize.py: skipping {p}: {e}", file=sys.stderr)
            continue
        results.setdefault(threads, {}).update(rows)
        loads.append(f"{p.rsplit('/', 1)[-1]} {load_avg:.2f}")
        if "torch_version" in context and peer_line(context) not in peers:
            peers.append(peer_line(context))
    print("load average at start:", ", ".join(loads))
    for line in peers:
        print("peer:", line)
    print()

    train_step_table(results)
    table = io.StringIO()  # the other workloads' rows, under a header only when there are any
    with contextlib.redirect_stdout(table):
        main_table_rows(results)
    if table.getvalue():
        print()
        print("| workload | threads | ignis | reference | ratio | goal | met |")
        print("|---|---|---|---|---|---|---|")
        print(table.getvalue(), end="")

    train_step_phases(results)
    w3_diagnostics(results)
    w5_phases(results)

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
