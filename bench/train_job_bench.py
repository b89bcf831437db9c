#!/usr/bin/env python3
"""W5, the ignis side: runs `ignis train` (the CLI, unchanged) on Fashion-MNIST and writes its
own numbers as Google Benchmark JSON for bench/summarize.py (standard library only).

The job is `ignis train --device cpu --model M --epochs E --out DIR` with its defaults otherwise:
the MLP 784-256-128-10 (ReLU, --model mlp, the default) or the CNN (--model cnn), Adam lr 1e-3, batch 64, shuffled, the test set as validation data after
every epoch, then a final test evaluation and per-class accuracy (src/train/train_job.cpp).
Threads: OMP_NUM_THREADS=N for the child (ignis and oneDNN share libgomp; `ignis train` has no
thread flag of its own).

Rows (one iteration = one epoch, times in seconds; the prefix is W5 for the MLP, W5cnn for the CNN):
  W5/ignis/epoch    train_seconds / epochs from the job's results.json: the wall time of fit()
                    (training + the per-epoch validation pass), measured by ignis itself.
                    Counters: test_accuracy, test_loss, train_seconds, epochs,
                    samples_per_second (as results.json), peak_rss_mib (the child's peak
                    resident memory, from wait4's rusage).
  W5/ignis/process  wall time of the whole `ignis train` process per epoch (reading the gzip IDX
                    files, model summary, fit, test evaluation, predict, writing results):
                    diagnostic only.

Usage: train_job_bench.py --ignis BUILD/ignis --threads N [--model mlp|cnn] [--epochs 2] [--out FILE]
                          [--keep DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def row(name, seconds, iterations, **counters):
    """A Google Benchmark JSON row (median aggregate of one run), time in seconds."""
    return {"name": name, "run_name": name, "run_type": "aggregate", "aggregate_name": "median",
            "iterations": iterations, "real_time": seconds, "cpu_time": seconds,
            "time_unit": "s", **counters}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ignis", required=True, help="the ignis CLI binary")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--out", help="JSON file (default: stdout)")
    parser.add_argument("--keep", help="folder for the job's results.json, history.csv and output")
    args = parser.parse_args()

    load_avg = list(os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        job_dir = args.keep or os.path.join(tmp, "job")
        os.makedirs(job_dir, exist_ok=True)
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        command = [args.ignis, "train", "--device", "cpu", "--model", args.model, "--epochs", str(args.epochs),
                   "--out", job_dir]
        start = time.perf_counter()
        with open(os.path.join(job_dir, "output.txt"), "w") as log:
            child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            with open(os.path.join(job_dir, "output.txt")) as log:
                sys.stderr.write(log.read())
            raise SystemExit(f"train_job_bench.py: {' '.join(command)} failed")
        with open(os.path.join(job_dir, "results.json")) as f:
            result = json.load(f)

    epochs = result["epochs"]
    train_seconds = result["train_seconds"]
    prefix = "W5" if args.model == "mlp" else "W5cnn"
    benchmarks = [
        row(f"{prefix}/ignis/epoch", train_seconds / epochs, epochs, test_accuracy=result["test_accuracy"],
            test_loss=result["test_loss"], train_seconds=train_seconds, epochs=epochs,
            samples_per_second=result["samples_per_second"], peak_rss_mib=usage.ru_maxrss / 1024),
        row(f"{prefix}/ignis/process", wall / epochs, epochs),
    ]
    context = {
        "program": " ".join(command[:1] + ["train"] + command[2:-2]),
        "omp_threads": str(args.threads),
        "model": args.model,
        "load_avg": load_avg,
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "history": result.get("history", {}),
    }
    text = json.dumps({"context": context, "benchmarks": benchmarks}, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    print(f"train_job_bench.py: ignis train: {train_seconds / epochs:.2f} s/epoch, "
          f"test accuracy {result['test_accuracy']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
