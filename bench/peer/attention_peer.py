#!/usr/bin/env python3
"""Attention alone, the peer of bench/attention_bench.cpp: torch.nn.functional.
scaled_dot_product_attention, causal, forward + backward of out.sum(), batch 4, 8 heads, head dim
64, L in 128..1024, float32; Google Benchmark JSON rows ATT/torch/L (median of 3 repetitions).

Usage: attention_peer.py --threads N [--device cpu|cuda] [--dtype float32|bfloat16] [--out FILE]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--out")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    rows = []
    for length in (128, 256, 512, 1024):
        gen = torch.Generator().manual_seed(1)
        q, k, v = (torch.randn(4, 8, length, 64, generator=gen).to(args.device, dtype).requires_grad_()
                   for _ in range(3))

        def step():
            F.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
            q.grad = k.grad = v.grad = None
            sync()

        step()
        iterations = 1
        while True:
            t = time.perf_counter()
            for _ in range(iterations):
                step()
            if time.perf_counter() - t >= 0.3:
                break
            iterations *= 2
        samples = []
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(iterations):
                step()
            samples.append((time.perf_counter() - t) / iterations)
        wall = statistics.median(samples)
        rows.append({"name": f"ATT/torch/{length}", "run_name": f"ATT/torch/{length}", "run_type": "aggregate",
                     "aggregate_name": "median", "iterations": iterations, "real_time": wall * 1e3,
                     "cpu_time": wall * 1e3, "time_unit": "ms", "items_per_second": 4 * 8 * length / wall})
        print(f"ATT/torch/{length}: {wall * 1e3:.2f} ms", flush=True)
    out = {"context": {"omp_threads": str(args.threads), "torch": torch.__version__, "device": args.device},
           "benchmarks": rows}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
