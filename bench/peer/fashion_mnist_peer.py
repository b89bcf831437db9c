#!/usr/bin/env python3
"""W5 on the peer, PyTorch eager (CPU, float32): what `ignis train` does, written the PyTorch
way, timed the same way, as Google Benchmark JSON for bench/summarize.py.

The job, as src/train/train_job.cpp and src/train/fit.cpp do it:
  data     the four Fashion-MNIST IDX files (gzip) decoded with the standard library into
           tensors; pixels / 255, standardised with mean 0.2860 and std 0.3530 (the ignis
           loader's constants); labels int64.
  model    --model mlp (default): Flatten, Linear(784, 256), ReLU, Linear(256, 128), ReLU,
           Linear(128, 10). --model cnn: (N, 1, 28, 28), Conv2d(1, 32, 3, padding=1), ReLU,
           MaxPool2d(2), Conv2d(32, 64, 3, padding=1), ReLU, MaxPool2d(2), Flatten,
           Linear(3136, 128), ReLU, Linear(128, 10) (`ignis train --model cnn`). PyTorch's
           default initialisation (as ignis's nn::Linear / nn::Conv2d under keras::Dense /
           keras::Conv2D);
           CrossEntropyLoss on logits; Adam(lr=1e-3, eps=1e-7) (ignis's Keras-style "adam").
  fit      per epoch: model.train(); for every batch of a torch.utils.data.DataLoader over a
           TensorDataset (batch 64, shuffle, num_workers=0): zero_grad, forward, loss, backward,
           step, loss.item() and the batch's accuracy for the epoch's running means (fit's
           logs); then the validation pass over the test set (batch 64, no_grad, eval mode),
           as `ignis train` passes the test set as validation_data.
  test     after fit, the test loss and accuracy (batch 512), as `ignis train` reports.

Rows (one iteration = one epoch, times in seconds; the prefix is W5 for the MLP, W5cnn for the CNN):
  W5/torch/epoch     fit's wall time / epochs: training + the per-epoch validation pass (what
                     `ignis train`'s train_seconds covers). Counters: test_accuracy (after the
                     last epoch), train_seconds, epochs, samples_per_second (training samples
                     / fit time), peak_rss_mib (the process's peak resident memory, torch's own
                     libraries included).
  W5/torch/phases    the same run's seconds per epoch by phase: data_s (waiting for the
                     DataLoader's next batch), step_s (zero_grad .. optimizer.step), logs_s
                     (loss.item() and the accuracy count), validation_s.
  W5/torch/process   wall time of this whole script per epoch (import torch, reading the IDX
                     files, fit, test); diagnostic only.

Usage: fashion_mnist_peer.py --threads N [--epochs 2] [--seed 0] [--data DIR] [--out FILE]
(run through scripts/bench-peer --script fashion_mnist_peer.py, which provides torch).
"""
import argparse
import gzip
import json
import os
import platform
import resource
import struct
import sys
import time

START = time.perf_counter()
MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    """-> (shape, bytes) of an IDX file of unsigned bytes (gzip or plain)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"fashion_mnist_peer.py: {path}: not an IDX file of uint8")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return shape, data[4 + 4 * ndim:]


def locate(directory, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    raise SystemExit(f"fashion_mnist_peer.py: {directory}/{name}(.gz) not found")


def load(torch, directory):
    """-> train images, train labels, test images, test labels (as the ignis loader)."""
    out = []
    for prefix in ("train", "t10k"):
        shape, raw = read_idx(locate(directory, f"{prefix}-images-idx3-ubyte"))
        images = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(shape)
        images = (images.to(torch.float32) / 255.0 - MEAN) / STD
        shape, raw = read_idx(locate(directory, f"{prefix}-labels-idx1-ubyte"))
        labels = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(shape).to(torch.int64)
        out += [images, labels]
    return out


def evaluate(torch, model, loss_fn, loader):
    """-> (mean loss, accuracy) over the loader, eval mode, no gradients."""
    model.eval()
    loss_sum, correct, samples = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss_sum += loss_fn(out, y).item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            samples += len(y)
    model.train()
    return loss_sum / samples, correct / samples


def row(name, seconds, iterations, **counters):
    """A Google Benchmark JSON row (median aggregate of one run), time in seconds."""
    return {"name": name, "run_name": name, "run_type": "aggregate", "aggregate_name": "median",
            "iterations": iterations, "real_time": seconds, "cpu_time": seconds,
            "time_unit": "s", **counters}


def build_model(nn, name):
    """The model of `ignis train --model NAME` (src/train/train_job.cpp)."""
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Unflatten(1, (1, 28)), nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", help="JSON file (default: stdout)")
    args = parser.parse_args()

    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch loads its OpenMP runtime
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, train_y, test_x, test_y = load(torch, args.data)
    model = build_model(nn, args.model)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=64, shuffle=True, num_workers=0)
    val_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=64, shuffle=False, num_workers=0)

    clock = time.perf_counter
    phases = dict.fromkeys(("data_s", "step_s", "logs_s", "validation_s"), 0.0)
    history = []
    fit_start = clock()
    for epoch in range(args.epochs):
        model.train()
        loss_sum, correct, samples = 0.0, 0, 0
        batches = iter(train_loader)
        while True:
            t0 = clock()
            try:
                x, y = next(batches)
            except StopIteration:
                break
            t1 = clock()
            opt.zero_grad()
            out = model(x)
            loss = loss_fn(out, y)
            loss.backward()
            opt.step()
            t2 = clock()
            loss_sum += loss.item() * len(y)
            correct += (out.detach().argmax(1) == y).sum().item()
            samples += len(y)
            t3 = clock()
            phases["data_s"] += t1 - t0
            phases["step_s"] += t2 - t1
            phases["logs_s"] += t3 - t2
        t0 = clock()
        val_loss, val_acc = evaluate(torch, model, loss_fn, val_loader)
        phases["validation_s"] += clock() - t0
        history.append((loss_sum / samples, correct / samples, val_loss, val_acc))
        print(f"fashion_mnist_peer.py: epoch {epoch + 1}/{args.epochs}: loss {loss_sum / samples:.4f}, "
              f"accuracy {correct / samples:.4f}, val_loss {val_loss:.4f}, val_accuracy {val_acc:.4f}",
              file=sys.stderr)
    fit_seconds = clock() - fit_start
    test_loss, test_acc = evaluate(torch, model, loss_fn, DataLoader(TensorDataset(test_x, test_y), batch_size=512))

    epochs = args.epochs
    prefix = "W5" if args.model == "mlp" else "W5cnn"
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    benchmarks = [
        row(f"{prefix}/torch/epoch", fit_seconds / epochs, epochs, test_accuracy=test_acc, test_loss=test_loss,
            train_seconds=fit_seconds, epochs=epochs, samples_per_second=len(train_y) * epochs / fit_seconds,
            peak_rss_mib=peak_rss_mib),
        row(f"{prefix}/torch/phases", fit_seconds / epochs, epochs, **{k: v / epochs for k, v in phases.items()}),
        row(f"{prefix}/torch/process", (clock() - START) / epochs, epochs),
    ]
    context = {
        "peer": "pytorch-eager",
        "model": args.model,
        "torch_version": torch.__version__,
        "torch_config": torch.__config__.show(),
        "omp_threads": str(torch.get_num_threads()),
        "python": platform.python_version(),
        "load_avg": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "history": history,
    }
    text = json.dumps({"context": context, "benchmarks": benchmarks}, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    print(f"fashion_mnist_peer.py: {fit_seconds / epochs:.2f} s/epoch, test accuracy {test_acc:.4f}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
