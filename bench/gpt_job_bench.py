#!/usr/bin/env python3
"""W9: `ignis train --model gpt` against the same job in PyTorch (bench/peer/gpt_train_peer.py),
one after the other at the same thread count: 4 layers, 4 heads, 256 channels, block 128,
batch 16, 600 steps (warm-up 50, cosine to 1e-4, lr 1e-3, AdamW betas (0.9, 0.99), weight decay
0.1, clip 1.0) on the King James Bible. Compares the validation loss (every window of the last
10%) and the training time; goals (issue #20): loss within 0.03 of PyTorch's, ≥ 1.3× faster.

Usage: gpt_job_bench.py --ignis BUILD/ignis --python VENV/bin/python --threads N
                        [--steps 600] [--out FILE.json] [--keep DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ignis", required=True)
    p.add_argument("--python", required=True, help="the peer's Python (with torch)")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--data", default=None, help="default: the KJV text ignis caches")
    p.add_argument("--out")
    p.add_argument("--keep")
    args = p.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    folder = args.keep or tempfile.mkdtemp(prefix="ignis_w9_")
    flags = ["--model", "gpt", "--steps", str(args.steps), "--device", "cpu", "--eval-every", "0",
             "--out", folder]
    if args.data:
        flags += ["--data", args.data]
    print(f"W9 ignis: {' '.join([args.ignis, 'train', *flags])} (OMP_NUM_THREADS={args.threads})", file=sys.stderr)
    subprocess.run([args.ignis, "train", *flags], check=True, env=env, stdout=sys.stderr)
    with open(os.path.join(folder, "results.json")) as f:
        ours = json.load(f)
    data = args.data or json.load(open(os.path.join(folder, "results.json")))["data"]["path"]
    peer_out = os.path.join(folder, "peer.json")
    print(f"W9 PyTorch peer, {args.threads} threads", file=sys.stderr)
    subprocess.run([args.python, os.path.join(HERE, "peer", "gpt_train_peer.py"), "--data", data, "--threads",
                    str(args.threads), "--steps", str(args.steps), "--out", peer_out], check=True, env=env,
                   stdout=sys.stderr)
    with open(peer_out) as f:
        peer = json.load(f)
    speed = peer["seconds"] / ours["seconds"]
    gap = ours["validation_loss"] - peer["validation_loss"]
    result = {"threads": args.threads, "steps": args.steps,
              "ignis": {k: ours[k] for k in ("validation_loss", "seconds", "tokens_per_second", "train_loss")},
              "torch": peer, "speedup": speed, "validation_gap": gap}
    print(f"| W9 GPT job, {args.steps} steps | {args.threads} | ignis {ours['validation_loss']:.4f} in "
          f"{ours['seconds']:.0f} s ({ours['tokens_per_second']:.0f} tok/s) | torch {peer['torch']} "
          f"{peer['validation_loss']:.4f} in {peer['seconds']:.0f} s ({peer['tokens_per_second']:.0f} tok/s) | "
          f"{speed:.2f}× faster, loss {gap:+.4f} | goal ≥ 1.3×, |gap| ≤ 0.03 | bigram {peer['bigram_validation_loss']:.3f} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
