#!/usr/bin/env python3
"""ignis's GPT against nanoGPT's architecture in PyTorch (issue #20, part 4; llm.c's test_gpt2 in
spirit): gpt_crosscheck_tool writes ignis's initial weights (nanoGPT's names), a batch, its logits,
every gradient of the first loss and the losses of 10 AdamW steps; this script builds the same
model in PyTorch (nanoGPT's model.py structure: pre-norm blocks, one c_attn projection, causal
attention, exact GELU, tied lm_head), loads those weights with load_state_dict(strict=True), and
requires the same logits, gradients and losses within float32 tolerances.

Usage: gpt_crosscheck.py TOOL WORKDIR [DEVICE]
Prints one line per check and "N passed, N failed" last; exit 1 when any check failed.
"""
import json
import math
import os
import subprocess
import sys

import safetensors.torch
import torch
import torch.nn.functional as F

TOOL, WORK = sys.argv[1], sys.argv[2]
DEVICE = sys.argv[3] if len(sys.argv) > 3 else "cpu"  # ignis's device
# PyTorch runs on the GPU only where this torch has CUDA (Debian's is CPU-only): the comparison
# is then ignis-on-DEVICE against torch-on-CPU, as llm.c compares against its CPU reference.
TORCH_DEVICE = "cuda" if DEVICE.startswith("cuda") and torch.cuda.is_available() else "cpu"
os.makedirs(WORK, exist_ok=True)
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


# nanoGPT's architecture, shared with the peer benchmarks (W8, W9).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peer"))
from nanogpt_model import GPT, adamw  # noqa: E402


def close(a, b, rtol, atol):
    """max |a - b| against atol + rtol · max |b|, and the numbers for the report."""
    diff = (a.double() - b.double()).abs().max().item()
    scale = b.double().abs().max().item()
    return diff <= atol + rtol * scale, f"max diff {diff:.3g} (max |value| {scale:.3g})"


tool = subprocess.run([TOOL, WORK, DEVICE])
if tool.returncode == 77:  # CUDA asked for where there is none: ctest reports a skip
    sys.exit(77)
tool.check_returncode()
config = dict(block_size=16, vocab_size=256, n_layer=2, n_head=2, n_embd=32)
torch.manual_seed(0)
model = GPT(config).to(TORCH_DEVICE)
init = safetensors.torch.load_file(os.path.join(WORK, "init.safetensors"))
missing, unexpected = model.load_state_dict(init, strict=True)
check("ignis's initial state dict loads into nanoGPT's architecture (strict, tied weight under both names)",
      not missing and not unexpected, f"{len(init)} tensors")
check("the tied weights arrive equal", torch.equal(init["transformer.wte.weight"], init["lm_head.weight"]))
check("nanoGPT's initialisation: std 0.02, residual projections 0.02/sqrt(2*n_layer)",
      abs(init["transformer.h.0.mlp.c_fc.weight"].std().item() - 0.02) < 0.002 and
      abs(init["transformer.h.1.attn.c_proj.weight"].std().item() - 0.02 / math.sqrt(4)) < 0.001)

batch = safetensors.torch.load_file(os.path.join(WORK, "batch.safetensors"))
idx, targets = batch["idx"].to(TORCH_DEVICE), batch["targets"].to(TORCH_DEVICE)
step0 = safetensors.torch.load_file(os.path.join(WORK, "step0.safetensors"))
ignis_losses = json.load(open(os.path.join(WORK, "losses.json")))

optimizer = adamw(model, lr=1e-3, weight_decay=0.1, betas=(0.9, 0.99))
losses = []
for step in range(len(ignis_losses)):
    optimizer.zero_grad(set_to_none=True)
    logits = model(idx)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
    loss.backward()
    losses.append(loss.item())
    if step == 0:
        ok, detail = close(step0["logits"], logits.detach().cpu(), 1e-4, 1e-5)
        check("logits of the first forward pass", ok, detail)
        failures, count, worst = [], 0, (0.0, "")
        for name, p in model.named_parameters():
            ok, detail = close(step0["grad." + name], p.grad.cpu(), 1e-3, 1e-6)
            count += 1
            relative = (step0["grad." + name].double() - p.grad.cpu().double()).abs().max().item() / max(
                p.grad.abs().max().item(), 1e-30)
            worst = max(worst, (relative, name))
            if not ok:
                failures.append(f"{name}: {detail}")
        check(f"every gradient ({count} parameters, the tied one under transformer.wte.weight)", not failures,
              "; ".join(failures[:3]) or f"largest difference {worst[0]:.2g} of the largest value, in {worst[1]}")
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()

ok, detail = close(torch.tensor(ignis_losses), torch.tensor(losses), 1e-4, 1e-6)
check(f"the losses of {len(losses)} AdamW steps", ok,
      f"{detail}; ignis {ignis_losses[0]:.6f} -> {ignis_losses[-1]:.6f}, torch {losses[0]:.6f} -> {losses[-1]:.6f}")
check("training lowers the loss", losses[-1] < losses[0] - 0.05, f"{losses[0]:.4f} -> {losses[-1]:.4f}")

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed (torch {torch.__version__} on {TORCH_DEVICE}, ignis on {DEVICE})")
sys.exit(0 if passed == len(results) else 1)
