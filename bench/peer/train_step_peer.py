#!/usr/bin/env python3
"""W1, W2, W3 and W4 on the peer, PyTorch eager (CPU, float32): the same workloads as
bench/train_step_bench.cpp, written as Google Benchmark JSON so that bench/summarize.py reads
both sides alike.

  W1/torch/step  the tutorial's PyTorch example: nn.Linear(10, 2), MSELoss, SGD(lr=0.01),
                 batch 100; one iteration = optimizer.zero_grad(), forward, loss, backward(),
                 optimizer.step(). items_per_second counts steps.
  W2/torch/step  the tutorial's Keras example: Linear(8, 64), ReLU, Linear(64, 1), MSELoss,
                 Adam(lr=1e-3), batch 32. items_per_second counts samples (32 per step).
  W3/torch/step  MLP Linear(784, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 10),
                 CrossEntropyLoss (logits, class-index targets), Adam(lr=1e-3), batch 128;
                 items_per_second counts samples, FLOP the model's arithmetic per second
                 (513.6 MFLOP per step, counted as on the ignis side).
  W4/torch/step  CNN Conv2d(1, 32, 3), ReLU, Conv2d(32, 64, 3), ReLU, MaxPool2d(2), Flatten,
                 Linear(9216, 128), ReLU, Linear(128, 10), CrossEntropyLoss, Adam(lr=1e-3), batch
                 64 of 1×28×28; items_per_second counts samples.
  W3/torch/sgemm1024  torch.mm of two 1024×1024 float32 matrices (fresh output per call): the
                 peer's own SGEMM rate, for scale (counter FLOP).
  W8/torch/step  nanoGPT's GPT (bench/peer/nanogpt_model.py) at 4 layers, 4 heads, 256 channels,
                 block 128, vocabulary 256, batch 16, AdamW as nanoGPT (weight decay 0.1 on
                 matrices, betas (0.9, 0.99)); items_per_second counts tokens (2,048 per step).
  W?/torch/phases  the same step with a perf_counter() reading between the phases (counters
                 zero_grad_us, forward_us, loss_us, backward_us, step_us, in µs per step).
  W?/torch/forward_nograd  forward + loss under torch.no_grad().

Everything is PyTorch's default: zero_grad sets gradients to None, and the optimizers use their
default implementation (on CPU tensors that is the per-tensor loop, not foreach). The data is
random, made once, and the same batch is used at every step; 200 warm-up steps run first. The
step benchmarks run --repetitions repetitions of at least --min-time seconds, the diagnostics
min(3, --repetitions) of --min-time / 2 (as the ignis side); each reports the median.

Usage: train_step_peer.py --threads N [--out FILE] [--workloads W1,W2,W3] [--min-time 0.2]
                          [--repetitions 5]
(run through scripts/bench-peer, which provides a virtual environment with torch).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

WARMUP_STEPS = 200


def make_batch(torch, batch, features, outputs, seed):
    """Inputs x and targets y = x·a + 0.1·noise, seeded (as the ignis side)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, features, generator=gen)
    a = torch.randn(features, outputs, generator=gen)
    y = x @ a + 0.1 * torch.randn(batch, outputs, generator=gen)
    return x, y


# W3's model arithmetic per step: 3 GEMMs (x·W1ᵀ, h1·W2ᵀ, h2·W3ᵀ) forward and 6 backward,
# 2·M·N·K each (as bench/train_step_bench.cpp counts it).
W3_FLOP_PER_STEP = 3 * 2 * 128 * (784 * 512 + 512 * 512 + 512 * 10)


def workload(torch, name):
    """-> (model, optimizer, loss function, x, y, items per step, FLOP per step)."""
    nn = torch.nn
    torch.manual_seed(0)
    if name == "W1":
        model = nn.Linear(10, 2)
        x, y = make_batch(torch, 100, 10, 2, 1)
        return model, torch.optim.SGD(model.parameters(), lr=0.01), nn.MSELoss(), x, y, 1, None
    if name == "W2":
        model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
        x, y = make_batch(torch, 32, 8, 1, 2)
        return model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.MSELoss(), x, y, 32, None
    if name == "W3":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        gen = torch.Generator().manual_seed(3)
        x = torch.randn(128, 784, generator=gen)
        y = torch.randint(0, 10, (128,), generator=gen)
        return (model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), x, y, 128,
                W3_FLOP_PER_STEP)
    if name == "W4":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10))
        gen = torch.Generator().manual_seed(4)
        x = torch.randn(64, 1, 28, 28, generator=gen)
        y = torch.randint(0, 10, (64,), generator=gen)
        return model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), x, y, 64, None
    if name == "W8":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from nanogpt_model import GPT, adamw
        model = GPT(dict(block_size=128, vocab_size=256, n_layer=4, n_head=4, n_embd=256))
        gen = torch.Generator().manual_seed(8)
        t = torch.randint(0, 256, (16, 129), generator=gen)
        x, y = t[:, :-1].contiguous(), t[:, 1:].contiguous()

        def loss(logits, target):
            return torch.nn.functional.cross_entropy(logits.view(-1, 256), target.view(-1))
        return model, adamw(model, lr=1e-3, weight_decay=0.1, betas=(0.9, 0.99)), loss, x, y, 16 * 128, None
    raise SystemExit(f"train_step_peer.py: unknown workload {name}")


def timed(run, iterations):
    """Runs run(iterations) -> (wall s, CPU s of this thread) per iteration. The CPU time is the
    calling thread's, as Google Benchmark's: wall ≫ CPU means another process took the core
    (summarize.py flags "contended"), which process CPU time would hide (OpenMP workers spin)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    run(iterations)
    return (time.perf_counter() - wall) / iterations, (time.thread_time() - cpu) / iterations


def measure(run, min_time, repetitions):
    """Calibrates the iteration count to min_time, then -> (median wall, median CPU, iterations)."""
    iterations = 10
    while True:
        wall, _ = timed(run, iterations)
        if wall * iterations >= min_time / 4:
            break
        iterations *= 4
    iterations = max(iterations, int(min_time / wall) + 1)
    samples = [timed(run, iterations) for _ in range(repetitions)]
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
            iterations)


def row(name, wall, cpu, iterations, **counters):
    """A Google Benchmark JSON row: the median aggregate, times in µs."""
    return {"name": name, "run_name": name, "run_type": "aggregate", "aggregate_name": "median",
            "iterations": iterations, "real_time": wall * 1e6, "cpu_time": cpu * 1e6,
            "time_unit": "us", **counters}


def synchronizer(torch, device):
    """-> a function that waits for the device's queued kernels (a no-op on the CPU)."""
    if device.startswith("cuda"):
        return torch.cuda.synchronize
    return lambda: None


def bench_workload(torch, name, args):
    model, opt, loss_fn, x, y, items, flop = workload(torch, name)
    # To the device before the optimizer's state exists (as the ignis side; the optimizer keeps
    # the same Parameter objects, which .to() moves in place).
    model.to(args.device)
    x, y = x.to(args.device), y.to(args.device)
    sync = synchronizer(torch, args.device)
    forward = torch.compile(model) if args.compile else model
    tag = "torch_compile" if args.compile else "torch"
    last = {}

    def steps(n):
        for _ in range(n):
            opt.zero_grad()
            loss = loss_fn(forward(x), y)
            loss.backward()
            opt.step()
            sync()
        last["loss"] = loss

    steps(WARMUP_STEPS if name != "W8" else 5)  # a W8 step takes ~0.1 s
    wall, cpu, it = measure(steps, args.min_time, args.repetitions)
    rows = [row(f"{name}/{tag}/step", wall, cpu, it, items_per_second=items / wall,
                loss=last["loss"].item(), **({"FLOP": flop / wall} if flop else {}))]

    phase_names = ("zero_grad_us", "forward_us", "loss_us", "backward_us", "step_us")
    phase_runs = []

    def phased(n):
        acc = [0.0] * 5
        def clock():  # on a GPU each phase ends with a synchronisation (as the ignis side)
            sync()
            return time.perf_counter()

        for _ in range(n):
            t0 = clock()
            opt.zero_grad()
            t1 = clock()
            out = forward(x)
            t2 = clock()
            loss = loss_fn(out, y)
            t3 = clock()
            loss.backward()
            t4 = clock()
            opt.step()
            t5 = clock()
            for i, (a, b) in enumerate(((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5))):
                acc[i] += b - a
        phase_runs.append([v / n * 1e6 for v in acc])

    diag_time, diag_reps = args.min_time / 2, min(3, args.repetitions)
    wall, cpu, it = measure(phased, diag_time, diag_reps)
    phase_runs = phase_runs[-diag_reps:]  # the timed repetitions, not the calibration
    rows.append(row(f"{name}/{tag}/phases", wall, cpu, it,
                    **{p: statistics.median(r[i] for r in phase_runs) for i, p in enumerate(phase_names)}))

    def nograd(n):
        with torch.no_grad():
            for _ in range(n):
                loss_fn(forward(x), y)
                sync()

    wall, cpu, it = measure(nograd, diag_time, diag_reps)
    rows.append(row(f"{name}/{tag}/forward_nograd", wall, cpu, it))
    if name == "W3" and not args.compile:
        rows.append(bench_sgemm(torch, 1024, args))
    return rows


def status_mib(field):
    """VmRSS: or VmHWM: of /proc/self/status in MiB (-1 if missing)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return -1


def memory_rows(torch, name):
    """memory/W?/torch: peak resident memory while building the workload and running 20 steps,
    and its increase over the resident memory before (torch imported), as memory/W?/ignis."""
    before = status_mib("VmRSS:")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident size
        reset = 1
    except OSError:
        reset = 0
    start = time.perf_counter()
    model, opt, loss_fn, x, y, _, _ = workload(torch, name)
    for _ in range(20):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    peak = status_mib("VmHWM:")
    return [row(f"memory/{name}/torch", time.perf_counter() - start, 0, 1, peak_rss_mib=peak,
                increase_mib=peak - before, peak_reset=reset)]


def bench_sgemm(torch, n, args):
    """torch.mm n×n×n, float32, a fresh output per call: the peer's SGEMM rate (W3's scale)."""
    gen = torch.Generator().manual_seed(42)
    a, b = torch.rand(n, n, generator=gen).to(args.device), torch.rand(n, n, generator=gen).to(args.device)
    sync = synchronizer(torch, args.device)
    torch.mm(a, b)

    def mms(k):
        for _ in range(k):
            torch.mm(a, b)
            sync()

    wall, cpu, it = measure(mms, args.min_time, min(3, args.repetitions))
    return row(f"W3/torch/sgemm{n}", wall, cpu, it, FLOP=2.0 * n ** 3 / wall)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--out", help="JSON file (default: stdout)")
    parser.add_argument("--workloads", default="W1,W2,W3")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per repetition")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (each step then ends with a synchronisation)")
    parser.add_argument("--compile", action="store_true", help="the model through torch.compile (W3's GPU peer)")
    parser.add_argument("--memory", action="store_true",
                        help="only memory/W?/torch rows: peak resident memory of 20 steps (one workload per "
                             "process, as memory/W?/ignis)")
    args = parser.parse_args()

    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch loads its OpenMP runtime
    import torch

    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda"):
        # Float32 GEMMs in full precision, as ignis's default (no TF32).
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    context = {
        "peer": "pytorch-compile" if args.compile else "pytorch-eager",
        "device": args.device,
        "gpu": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "",
        "torch_version": torch.__version__,
        "torch_config": torch.__config__.show(),
        "torch_parallel_info": torch.__config__.parallel_info(),
        "omp_threads": str(torch.get_num_threads()),
        "python": platform.python_version(),
        "load_avg": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    benchmarks = []
    for name in args.workloads.split(","):
        benchmarks += memory_rows(torch, name.strip()) if args.memory else bench_workload(torch, name.strip(), args)
    text = json.dumps({"context": context, "benchmarks": benchmarks}, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    for b in benchmarks:
        print(f"train_step_peer.py: {b['name']}: {b['real_time']:.2f} µs", file=sys.stderr)


if __name__ == "__main__":
    main()
