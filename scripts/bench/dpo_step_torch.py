#!/usr/bin/env python3
"""The PyTorch peer of jdpo's DPO step (scripts/bench/dpo-step.sh runs both in one go).

A Llama-architecture model of the given shape with F32 weights, frozen; LoRA of the given
rank on every attention and MLP projection (A Kaiming-uniform, B small); one step = policy
forward on chosen and rejected (prompt P + completion C tokens each), DPO loss against fixed
reference sums, backward, AdamW on the LoRA parameters. Weight values do not change the work
done, so they are random here; shapes, rank, targets, threads and lengths match jdpo's run.

usage: dpo_step_torch.py dim layers heads kv_heads ffn vocab P C rank reps threads label
"""
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F

dim, layers, heads, kv_heads, ffn, vocab, P, C, rank, reps, threads = map(int, sys.argv[1:12])
label = sys.argv[12]
torch.set_num_threads(threads)
torch.manual_seed(0)
hd = dim // heads
T = P + C


class LoraLinear(torch.nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(n_out, n_in) * 0.02, requires_grad=False)
        self.a = torch.nn.Parameter(torch.empty(rank, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))
        self.b = torch.nn.Parameter(torch.randn(n_out, rank) * 1e-3)
        self.scale = 2.0  # alpha = 2r

    def forward(self, x):
        return x @ self.w.t() + self.scale * ((x @ self.a.t()) @ self.b.t())


def rms_norm(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k = LoraLinear(dim, heads * hd), LoraLinear(dim, kv_heads * hd)
        self.v, self.o = LoraLinear(dim, kv_heads * hd), LoraLinear(heads * hd, dim)
        self.gate, self.up, self.down = LoraLinear(dim, ffn), LoraLinear(dim, ffn), LoraLinear(ffn, dim)
        self.n1 = torch.nn.Parameter(torch.ones(dim), requires_grad=False)
        self.n2 = torch.nn.Parameter(torch.ones(dim), requires_grad=False)

    def forward(self, x, cos, sin, mask):
        h = rms_norm(x, self.n1)
        q = rope(self.q(h).view(T, heads, hd).transpose(0, 1), cos, sin)
        k = rope(self.k(h).view(T, kv_heads, hd).transpose(0, 1), cos, sin)
        v = self.v(h).view(T, kv_heads, hd).transpose(0, 1)
        k = k.repeat_interleave(heads // kv_heads, dim=0)
        v = v.repeat_interleave(heads // kv_heads, dim=0)
        s = (q @ k.transpose(1, 2)) / math.sqrt(hd) + mask
        a = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, dim)
        x = x + self.o(a)
        h = rms_norm(x, self.n2)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


emb = torch.randn(vocab, dim) * 0.02
out_w = torch.randn(vocab, dim) * 0.02
out_norm = torch.ones(dim)
blocks = torch.nn.ModuleList(Block() for _ in range(layers))
inv = 10000.0 ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
cos, sin = torch.cos(ang), torch.sin(ang)
mask = torch.full((T, T), float("-inf")).triu(1)
params = [p for p in blocks.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)

g = torch.Generator().manual_seed(1)
chosen = torch.randint(3, vocab, (T,), generator=g)
rejected = torch.cat([chosen[:P], torch.randint(3, vocab, (C,), generator=g)])


def completion_logp(tokens):
    x = emb[tokens]
    for b in blocks:
        x = b(x, cos, sin, mask)
    logits = rms_norm(x[P - 1:T - 1], out_norm) @ out_w.t()
    return torch.log_softmax(logits, dim=-1).gather(1, tokens[P:, None]).sum()


def step():
    opt.zero_grad(set_to_none=True)
    pc, pr = completion_logp(chosen), completion_logp(rejected)
    ref = -5.0 * C
    loss = -F.logsigmoid(0.1 * ((pc - ref) - (pr - ref)))
    loss.backward()
    opt.step()


step()
t0 = time.perf_counter()
for _ in range(reps):
    step()
secs = (time.perf_counter() - t0) / reps
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"torch model={label} secs={secs:.4f} rss_mib={rss:.0f} version={torch.__version__}")
