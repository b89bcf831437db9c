#!/usr/bin/env python3
"""Cross-checks of ignis's files against the real Python tools (issue #8, part 5).

  (a) safetensors files ignis writes load in the safetensors package with identical values, and
      files the package writes (every dtype ignis reads) load in ignis with identical values;
  (b) a PyTorch model's weights saved with safetensors.torch load into the same architecture in
      ignis and give the same outputs, and the reverse;
  (c) TensorBoard's own event reader (EventAccumulator) reads ignis's scalars, histogram and text
      with the right tags, steps and values;
  (d) optim::warmup_cosine gives, in each of two parameter groups, the rates of PyTorch's
      SequentialLR(LinearLR, CosineAnnealingLR) that nanoGPT's schedule is built from.

Usage: crosscheck.py TOOL WORKDIR   (TOOL is the crosscheck_tool executable built by CMake)
Prints one line per check and "N passed, N failed" last; exit 1 when any check failed.
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import safetensors.numpy
import safetensors.torch
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

TOOL, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def tool(*args):
    return subprocess.run([TOOL, *args], check=True, capture_output=True, text=True).stdout


def pattern(shape, dtype):
    """The formula of crosscheck_tool.cpp: element i is (i * 37 % 101) - 50."""
    n = int(np.prod(shape))
    v = np.array([(i * 37) % 101 - 50 for i in range(n)], dtype=np.float64).reshape(shape)
    return v / 8 if dtype in (np.float32, np.float64) else v


# (a) ignis -> safetensors ----------------------------------------------------------------------
path = os.path.join(WORK, "ignis_dtypes.safetensors")
tool("write-dtypes", path)
loaded = safetensors.numpy.load_file(path)
expected = {
    "f32": pattern((2, 3, 4), np.float32).astype(np.float32),
    "f64": pattern((7,), np.float64).astype(np.float64),
    "i64": pattern((3, 2), np.int64).astype(np.int64) * 1_000_000_007,
    "i32": pattern((5,), np.int32).astype(np.int32),
    "u8": (pattern((4, 4), np.int64) + 50).astype(np.uint8),
    "bool": (pattern((6,), np.int64) + 13) != 0,
    "scalar": np.array(2.5, dtype=np.float32),
    "empty": np.zeros((0, 3), dtype=np.float32),
}
check("(a) ignis file has the expected names", sorted(loaded) == sorted(expected), str(sorted(loaded)))
for name, want in expected.items():
    got = loaded.get(name)
    ok = got is not None and got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
    check(f"(a) ignis->safetensors {name}", ok,
          f"{got.dtype if got is not None else None}{list(got.shape) if got is not None else ''} "
          f"first values {got.ravel()[:4].tolist() if got is not None else None}")
with open(path, "rb") as f:
    header_len = int.from_bytes(f.read(8), "little")
    meta = json.loads(f.read(header_len))["__metadata__"]
check("(a) metadata survives", meta == {"format": "pt", "writer": "ignis"}, str(meta))

golden = safetensors.numpy.save({"a": np.array([1, 2], dtype=np.float32)})
want_hex = "3800000000000000" + '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  '.encode().hex() + "0000803f00000040"
check("(a) reference writer bytes equal the golden bytes of safetensors_test.cpp", golden.hex() == want_hex, golden.hex())

# (a) safetensors -> ignis: every dtype ignis reads, written by the package
src = {
    "f32": torch.arange(-6, 6, dtype=torch.float32).reshape(3, 4) / 4,
    "f64": torch.tensor([1e300, -1e-300, 0.1], dtype=torch.float64),
    "f16": torch.tensor([1.0, -2.5, 6.1e-5, 65504.0], dtype=torch.float16),
    "bf16": torch.tensor([1.0, -0.5, 3.0e38, 1.5e-3], dtype=torch.bfloat16),
    "i64": torch.tensor([2**62, -7], dtype=torch.int64),
    "i32": torch.tensor([2**31 - 1, -(2**31)], dtype=torch.int32),
    "i16": torch.tensor([-300, 32767], dtype=torch.int16),
    "i8": torch.tensor([-128, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
}
path = os.path.join(WORK, "torch_dtypes.safetensors")
safetensors.torch.save_file(src, path, metadata={"format": "pt"})
dumped = json.loads(tool("dump", path))
for name, t in src.items():
    want = t.to(torch.float64).numpy().ravel().tolist()
    got = dumped.get(name, {})
    ok = got.get("values") == want and got.get("shape") == list(t.shape)
    check(f"(a) safetensors->ignis {name} ({got.get('dtype')} read as {got.get('ignis_dtype')})", ok,
          f"got {got.get('values')} want {want}" if not ok else f"{want[:3]}")

# (b) PyTorch -> ignis ----------------------------------------------------------------------------
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
x = torch.randn(16, 5)
with torch.no_grad():
    y_torch = model(x)
model_path = os.path.join(WORK, "torch_model.safetensors")
safetensors.torch.save_file(model.state_dict(), model_path)
safetensors.torch.save_file({"x": x}, os.path.join(WORK, "x.safetensors"))
tool("torch-model", model_path, os.path.join(WORK, "x.safetensors"), os.path.join(WORK, "ignis_y.safetensors"))
y_ignis = safetensors.torch.load_file(os.path.join(WORK, "ignis_y.safetensors"))["y"]
diff = (y_ignis - y_torch).abs().max().item()
check("(b) PyTorch weights in ignis give PyTorch's outputs", y_ignis.shape == y_torch.shape and diff <= 1e-5,
      f"max |ignis - torch| = {diff:.3g} over {y_torch.numel()} outputs")

# (b) ignis -> PyTorch
tool("ignis-model", WORK)
state = safetensors.torch.load_file(os.path.join(WORK, "ignis_model.safetensors"))
reverse = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
missing, unexpected = reverse.load_state_dict(state, strict=True)
io = safetensors.torch.load_file(os.path.join(WORK, "ignis_io.safetensors"))
with torch.no_grad():
    y_back = reverse(io["x"])
diff = (y_back - io["y"]).abs().max().item()
check("(b) ignis weights in PyTorch (strict load_state_dict) give ignis's outputs",
      not missing and not unexpected and diff <= 1e-5,
      f"keys {sorted(state)}; max |torch - ignis| = {diff:.3g}")

# (c) TensorBoard ---------------------------------------------------------------------------------
log_dir = os.path.join(WORK, "tb")
if os.path.isdir(log_dir):
    for f in os.listdir(log_dir):
        os.remove(os.path.join(log_dir, f))
tool("events", log_dir)
acc = EventAccumulator(log_dir, size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
acc.Reload()
tags = acc.Tags()
check("(c) tags", sorted(tags["scalars"]) == ["accuracy", "loss"] and tags["histograms"] == ["weights"]
      and "notes" in tags["tensors"], str({k: v for k, v in tags.items() if v}))
loss = [(e.step, e.value) for e in acc.Scalars("loss")]
want = [(s * 10, float(np.float32(1 / (s + 1)))) for s in range(5)]
check("(c) scalar steps and values", loss == want, str(loss))
acc_events = acc.Scalars("accuracy")
check("(c) second scalar", [(e.step, e.value) for e in acc_events] == [(3, 0.875)], str(acc_events))
h = acc.Histograms("weights")[0]
hv = h.histogram_value
ok = (h.step == 7 and hv.min == 0 and hv.max == 10 and hv.num == 8 and hv.sum == 23 and hv.sum_squares == 133
      and list(hv.bucket_limit) == [2, 4, 6, 8, 10] and list(hv.bucket) == [3, 4, 0, 0, 1])
check("(c) histogram", ok, f"step {h.step} min {hv.min} max {hv.max} num {hv.num} sum {hv.sum} "
      f"buckets {list(hv.bucket_limit)} counts {list(hv.bucket)}")
text = acc.Tensors("notes")[0]
got_text = text.tensor_proto.string_val[0].decode()
check("(c) text", text.step == 2 and got_text == "hello from ignis", f"step {text.step} {got_text!r}")

# (d) warm-up + cosine ----------------------------------------------------------------------------
# nanoGPT's W9 job: warm-up 50, cosine to 1e-4 at 600, lr 1e-3; a second group at 3e-4.
warmup, total, lr, min_lr, lr1 = 50, 600, 1e-3, 1e-4, 3e-4
ignis_rates = json.loads(tool("warmup-cosine", str(warmup), str(total), repr(lr), repr(min_lr), repr(lr1)))
a, b = torch.zeros(2, 2, requires_grad=True), torch.zeros(2, requires_grad=True)
opt = torch.optim.AdamW([{"params": [a], "weight_decay": 0.1}, {"params": [b], "lr": lr1, "weight_decay": 0.0}],
                        lr=lr)
sched = torch.optim.lr_scheduler
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # scheduler steps without optimizer steps, step(0) at the milestone
    torch_schedule = sched.SequentialLR(opt, [sched.LinearLR(opt, 1 / (warmup + 1), 1.0, warmup),
                                              sched.CosineAnnealingLR(opt, total - warmup, min_lr)], [warmup])
    torch_rates = []
    for it in range(total + 1):
        torch_rates.append([g["lr"] for g in opt.param_groups])
        torch_schedule.step()
worst = max(abs(x - y) for row_i, row_t in zip(ignis_rates, torch_rates) for x, y in zip(row_i, row_t))
check("(d) warmup_cosine matches torch's SequentialLR(LinearLR, CosineAnnealingLR) in both groups",
      len(ignis_rates) == len(torch_rates) == total + 1 and all(len(r) == 2 for r in ignis_rates) and worst <= 1e-15,
      f"{len(ignis_rates)} steps, max |ignis - torch| = {worst:.3g}; peak {ignis_rates[warmup]}, last {ignis_rates[-1]}")

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
