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
import torch.nn as nn
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


# nanoGPT's architecture (github.com/karpathy/nanoGPT, model.py), written out for this check with
# the same module names so that state dicts line up key for key. Attention is the explicit
# masked softmax (this torch predates F.scaled_dot_product_attention).
class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"])
        self.n_head, self.n_embd = c["n_head"], c["n_embd"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))
        att = F.softmax(att.masked_fill(~causal, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["n_embd"], 4 * c["n_embd"])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * c["n_embd"], c["n_embd"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["n_embd"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c["n_embd"])
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]),
            wpe=nn.Embedding(c["block_size"], c["n_embd"]),
            h=nn.ModuleList([Block(c) for _ in range(c["n_layer"])]),
            ln_f=nn.LayerNorm(c["n_embd"]),
        ))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT

    def forward(self, idx):
        pos = torch.arange(idx.size(1), device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def close(a, b, rtol, atol):
    """max |a - b| against atol + rtol · max |b|, and the numbers for the report."""
    diff = (a.double() - b.double()).abs().max().item()
    scale = b.double().abs().max().item()
    return diff <= atol + rtol * scale, f"max diff {diff:.3g} (max |value| {scale:.3g})"


subprocess.run([TOOL, WORK, DEVICE], check=True)
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

decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=1e-3, betas=(0.9, 0.99))
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
