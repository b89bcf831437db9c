#!/usr/bin/env python3
"""ignis's MultiheadAttention, TransformerEncoderLayer and TransformerDecoderLayer against
torch.nn's (issue #20): transformer_crosscheck_tool writes, for each case, ignis's initial state
dict, the inputs and masks, the outputs (and attention weights) in eval mode and the gradients of
sum(output · probe) with respect to the inputs and every parameter; this script builds torch's
module with the same constructor arguments, loads the state dict with load_state_dict(strict=True)
(so every name and shape must be torch's), repeats the forward and backward passes in eval mode
and requires the same numbers within float32 tolerances.

Where a case says is_causal, ignis got only the flag and torch gets the causal mask
(torch 1.13 has no is_causal argument): that checks ignis's causal rule, too.

Usage: transformer_crosscheck.py TOOL WORKDIR
Prints one line per check and "N passed, N failed" last; exit 1 when any check failed.
"""
import json
import os
import subprocess
import sys

import safetensors.torch
import torch

TOOL, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
results = []
worst = {"output": 0.0, "gradient": 0.0}


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def close(a, b, rtol, atol, kind):
    """max |a - b| against atol + rtol · max |b|, and the numbers for the report."""
    diff = (a.double() - b.double()).abs().max().item()
    scale = b.double().abs().max().item()
    worst[kind] = max(worst[kind], diff / max(scale, 1e-30))
    return diff <= atol + rtol * scale, f"max diff {diff:.3g} (max |value| {scale:.3g})"


def causal_mask(n):
    """torch's generate_square_subsequent_mask: -inf above the diagonal."""
    return torch.triu(torch.full((n, n), float("-inf")), diagonal=1)


def build(case):
    kind = case["kind"]
    if kind == "mha":
        return torch.nn.MultiheadAttention(case["embed_dim"], case["num_heads"], dropout=case.get("dropout", 0.0),
                                           kdim=case.get("kdim"), vdim=case.get("vdim"),
                                           batch_first=case.get("batch_first", False))
    layer = torch.nn.TransformerEncoderLayer if kind == "encoder" else torch.nn.TransformerDecoderLayer
    # torch 1.13's layers take no `bias` argument: ignis's default, bias=True, is what is compared.
    return layer(case["d_model"], case["nhead"], dim_feedforward=case["dim_feedforward"],
                 dropout=case.get("dropout", 0.1), activation=case.get("activation", "relu"),
                 batch_first=case.get("batch_first", False), norm_first=case.get("norm_first", False))


def run(case, module, inputs, masks):
    """The forward call ignis made, in torch's spelling: (output, weights or None)."""
    kind, bf = case["kind"], case.get("batch_first", False)
    if kind == "mha":
        q, k, v = (inputs["x"],) * 3 if "x" in inputs else (inputs["query"], inputs["key"], inputs["value"])
        return module(q, k, v, key_padding_mask=masks.get("key_padding_mask"), attn_mask=masks.get("attn_mask"),
                      need_weights=case.get("need_weights", False),
                      average_attn_weights=case.get("average_attn_weights", True))
    if kind == "encoder":
        src = inputs["src"]
        src_mask = masks.get("src_mask")
        if case.get("is_causal"):
            src_mask = causal_mask(src.shape[1 if bf else 0])
        return module(src, src_mask=src_mask, src_key_padding_mask=masks.get("src_key_padding_mask")), None
    tgt, memory = inputs["tgt"], inputs["memory"]
    tgt_mask = masks.get("tgt_mask")
    if case.get("tgt_is_causal"):
        tgt_mask = causal_mask(tgt.shape[1 if bf else 0])
    return module(tgt, memory, tgt_mask=tgt_mask, memory_mask=masks.get("memory_mask"),
                  tgt_key_padding_mask=masks.get("tgt_key_padding_mask"),
                  memory_key_padding_mask=masks.get("memory_key_padding_mask")), None


subprocess.run([TOOL, WORK], check=True)
cases = json.load(open(os.path.join(WORK, "cases.json")))
check("the tool wrote every case", len(cases) == 7, f"{len(cases)} cases")
for case in cases:
    name = case["name"]
    t = safetensors.torch.load_file(os.path.join(WORK, name + ".safetensors"))
    part = lambda prefix: {k[len(prefix):]: v for k, v in t.items() if k.startswith(prefix)}  # noqa: E731
    module = build(case)
    module.eval()
    state = part("state.")
    missing, unexpected = module.load_state_dict(state, strict=True)
    check(f"{name}: ignis's state dict loads into torch.nn (strict)", not missing and not unexpected,
          f"{len(state)} tensors: {', '.join(state)}")
    inputs = {k: v.clone().requires_grad_() for k, v in part("input.").items()}
    output, weights = run(case, module, inputs, part("mask."))
    ok, detail = close(t["output"], output.detach(), 1e-4, 1e-5, "output")
    check(f"{name}: output {tuple(output.shape)}", ok, detail)
    if "weights" in t:
        ok, detail = close(t["weights"], weights.detach(), 1e-4, 1e-6, "output")
        check(f"{name}: attention weights {tuple(weights.shape)}", ok, detail)
    (output * t["probe"]).sum().backward()
    failures, count = [], 0
    expected = [("input." + k, v.grad) for k, v in inputs.items()]
    expected += [("state." + k, p.grad) for k, p in module.named_parameters()]
    largest = (0.0, "")
    for key, grad in expected:
        count += 1
        ok, detail = close(t["grad." + key], grad, 1e-3, 1e-6, "gradient")
        rel = (t["grad." + key].double() - grad.double()).abs().max().item() / max(grad.abs().max().item(), 1e-30)
        largest = max(largest, (rel, key))
        if not ok:
            failures.append(f"{key}: {detail}")
    check(f"{name}: gradients of {count} tensors (inputs and parameters)", not failures,
          "; ".join(failures[:3]) or f"largest difference {largest[0]:.2g} of the largest value, in {largest[1]}")

passed = sum(results)
print(f"largest differences relative to the largest value: outputs {worst['output']:.2g}, "
      f"gradients {worst['gradient']:.2g}")
print(f"{passed} passed, {len(results) - passed} failed (torch {torch.__version__})")
sys.exit(0 if passed == len(results) else 1)
