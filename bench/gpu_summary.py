#!/usr/bin/env python3
"""Prints the GPU benchmark table of scripts/gpu-check (standard library only).

Usage: gpu_summary.py OUT_DIR   reads, when present:
  train_step_cuda.json     bench/train_step_bench with IGNIS_BENCH_DEVICE=cuda (W1-W4, ignis)
  peer_cuda.json           bench/peer/train_step_peer.py --device cuda --workloads W1,W2,W3,W4 (PyTorch eager)
  peer_cuda_compile.json   bench/peer/train_step_peer.py --device cuda --compile --workloads W3
  libtorch_cuda.json       scripts/bench-libtorch --device cuda --workloads W1,W2,W3,W4 (libtorch, C++)
  cuda_bench.json          bench/cuda_bench (W6 vs cuBLAS, W7 overhead and bandwidth)
Goals: the GPU column of BENCHMARKS.md (W1, W2 >= 3x PyTorch eager; W3 >= 1x torch.compile;
W4 (the CNN step, batch 64 on both sides, so the step-time ratio is the samples/s ratio) >= 1x
PyTorch eager; W6 >= 0.95x cuBLAS; W7 <= 5 us per op); against libtorch (issue 22): W1, W2 >= 2x,
W3, W4 reported.
"""
import json
import os
import sys


def rows(path):
    """-> ({short name: median row}, context) or ({}, {}) when the file is missing or broken."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}, {}
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = "/".join(p for p in b.get("run_name", b["name"]).split("/")
                        if not p.startswith(("min_time:", "iterations:", "repeats:", "real_time")))
        if b.get("run_type") == "aggregate" or name not in out:
            out[name] = b
    return out, data.get("context", {})


def line(name, ours, peer, ratio, goal, ok):
    mark = "-" if ok is None else ("met" if ok else "NOT met")
    print(f"  {name:<34} {ours:>16} {peer:>16} {ratio:>8}  {goal:<22} {mark}")


def main():
    out = sys.argv[1]
    ignis, _ = rows(os.path.join(out, "train_step_cuda.json"))
    eager, eager_ctx = rows(os.path.join(out, "peer_cuda.json"))
    compiled, _ = rows(os.path.join(out, "peer_cuda_compile.json"))
    cxx, cxx_ctx = rows(os.path.join(out, "libtorch_cuda.json"))
    cuda, cuda_ctx = rows(os.path.join(out, "cuda_bench.json"))
    print(f"GPU benchmarks on {cuda_ctx.get('device', '?')}; peer torch {eager_ctx.get('torch_version', 'not run')}, "
          f"libtorch {cxx_ctx.get('torch_version', 'not run')}")
    print(f"  {'workload':<34} {'ignis':>16} {'peer':>16} {'ratio':>8}  {'goal':<22} result")
    for w, peer_rows, tag, goal in (("W1", eager, "torch", 3.0), ("W2", eager, "torch", 3.0),
                                    ("W3", compiled, "torch_compile", 1.0), ("W4", eager, "torch", 1.0),
                                    ("W1", cxx, "libtorch", 2.0), ("W2", cxx, "libtorch", 2.0),
                                    ("W3", cxx, "libtorch", None), ("W4", cxx, "libtorch", None)):
        a, b = ignis.get(f"{w}/ignis/step"), peer_rows.get(f"{w}/{tag}/step")
        target = f">= {goal}x {tag}" if goal else f"(info) vs {tag}"
        if a is None or b is None:
            line(f"{w} step (us)", "missing" if a is None else f"{a['real_time']:.1f}",
                 "missing" if b is None else f"{b['real_time']:.1f}", "", target, None)
            continue
        ratio = b["real_time"] / a["real_time"]  # both in us per step
        line(f"{w} step (us)", f"{a['real_time']:.1f}", f"{b['real_time']:.1f}", f"{ratio:.2f}x",
             target, ratio >= goal if goal else None)
    for n in (1024, 4096):
        a, b = cuda.get(f"W6/ignis_matmul_cuda/{n}"), cuda.get(f"W6/cublas_sgemm/{n}")
        if a and b:
            ratio = a["FLOP"] / b["FLOP"]
            line(f"W6 SGEMM {n} (TFLOP/s)", f"{a['FLOP'] / 1e12:.2f}", f"{b['FLOP'] / 1e12:.2f}", f"{ratio:.2f}x",
                 ">= 0.95x cuBLAS", ratio >= 0.95)
        else:
            line(f"W6 SGEMM {n}", "missing", "missing", "", ">= 0.95x cuBLAS", None)
    add = cuda.get("W7/cuda/add16")
    if add:
        us = add["us_per_op"]
        line("W7 add16 (us/op)", f"{us:.2f}", "", "", "<= 5 us/op", us <= 5.0)
    relu, copy = cuda.get("W7/cuda/bw_relu"), cuda.get("W7/cuda/bw_memcpy")
    if relu and copy:
        ratio = relu["bytes"] / copy["bytes"]
        line("W7 relu 64 MiB (GB/s)", f"{relu['bytes'] / 1e9:.0f}", f"{copy['bytes'] / 1e9:.0f}", f"{ratio:.2f}x",
             "(vs cudaMemcpy D2D)", None)


if __name__ == "__main__":
    main()
