#!/usr/bin/env python3
"""W9's peer: the job of `ignis train --model gpt` in PyTorch, step for step as nanoGPT's train.py
runs it: nanoGPT's model (nanogpt_model.py) on the bytes of a text file (the first 90% trains, the
last 10% validates), random block_size windows, AdamW (weight decay on matrices only, betas
(0.9, 0.99)), gradient norm clipped to 1, nanoGPT's get_lr (linear warm-up, cosine to min_lr).
The validation loss is ignis's definition: the mean cross-entropy over every non-overlapping
block_size window of the validation split, every next byte predicted. Also reports the loss of a
bigram model fitted on the training split (add-one smoothing): the floor the GPT must beat.

Usage: gpt_train_peer.py --data FILE --threads N [--steps 600] [--out FILE.json] [--compile]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nanogpt_model import GPT, adamw  # noqa: E402


def get_lr(it, lr, min_lr, warmup, decay_steps):
    """nanoGPT's train.py: linear warm-up, then cosine decay to min_lr at decay_steps."""
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_steps:
        return min_lr
    ratio = (it - warmup) / (decay_steps - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def validation_loss(model, val, block, batch=32):
    windows = (len(val) - 1) // block
    total = 0.0
    model.eval()
    with torch.no_grad():
        for first in range(0, windows, batch):
            starts = range(first, min(windows, first + batch))
            x = torch.stack([torch.from_numpy(val[w * block:(w + 1) * block].astype(np.int64)) for w in starts])
            y = torch.stack([torch.from_numpy(val[w * block + 1:(w + 1) * block + 1].astype(np.int64)) for w in starts])
            logits = model(x)
            total += F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)).item() * len(starts)
    model.train()
    return total / windows, windows


def bigram_loss(train, val):
    counts = np.ones((256, 256))
    np.add.at(counts, (train[:-1], train[1:]), 1)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(-np.log(probs[val[:-1], val[1:]]).mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--block-size", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--embd", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--out")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    data = np.fromfile(args.data, dtype=np.uint8)
    split = len(data) * 9 // 10
    train, val = data[:split], data[split:]
    block = args.block_size
    model = GPT(dict(block_size=block, vocab_size=256, n_layer=args.layers, n_head=args.heads, n_embd=args.embd))
    optimizer = adamw(model, lr=args.lr, weight_decay=0.1, betas=(0.9, 0.99))
    forward = torch.compile(model) if args.compile else model
    gen = torch.Generator().manual_seed(args.seed)
    train_t = torch.from_numpy(train.astype(np.int64))

    losses, seconds = [], 0.0
    for it in range(args.steps):
        start = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = get_lr(it, args.lr, args.min_lr, args.warmup, args.steps)
        ix = torch.randint(len(train) - block - 1, (args.batch_size,), generator=gen)
        x = torch.stack([train_t[i:i + block] for i in ix])
        y = torch.stack([train_t[i + 1:i + 1 + block] for i in ix])
        logits = forward(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        seconds += time.perf_counter() - start
        if (it + 1) % 50 == 0:
            print(f"step {it + 1}/{args.steps} loss {sum(losses[-50:]) / 50:.4f} "
                  f"{(it + 1) * args.batch_size * block / seconds:.0f} tok/s", flush=True)
    val_loss, windows = validation_loss(model, val, block)
    result = {
        "peer": "torch.compile" if args.compile else "torch eager",
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "validation_loss": val_loss, "validation_windows": windows,
        "train_loss": sum(losses[-10:]) / 10, "seconds": seconds,
        "tokens_per_second": args.steps * args.batch_size * block / seconds,
        "bigram_validation_loss": bigram_loss(train, val),
    }
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
