"""Weight-only int8 for decoding: a quarter of float32's bytes per decode step.

Decoding one token reads every weight once and does little arithmetic with it, so its speed
is the memory bandwidth divided by the model's size. `Int8Linear` keeps each linear layer's
weight as int8 with one scale per output row (symmetric, per channel), multiplied in by
`torch.ops.aten._weight_int8pack_mm` (bfloat16 activations; the same kernel gpt-fast uses).
Activations stay bfloat16: quantizing them too (`torch.ao` dynamic quantization) changed the
135M model's greedy answers almost from the first token, weight-only int8 about as much as
plain bfloat16 does (docs/generation.md).

Prefill is the opposite case (many tokens per weight read, compute-bound), and there the
int8 kernel is slower than a bfloat16 matmul, so each layer also keeps its bfloat16 weight
and inputs of more than `NARROW_PASS` rows take it. Memory: 1.5 bytes a weight, not 4.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from generation.cpu import NARROW_PASS

# The kernel reads the input dimension in blocks of 16: other widths crash the process
# (measured on torch 2.13 CPU), so those layers stay bfloat16.
BLOCK = 16


class Int8Linear(nn.Module):
    weight_int8: torch.Tensor  # (out, in) int8
    scales: torch.Tensor  # (out,) bfloat16
    weight: torch.Tensor  # (out, in) bfloat16, for wide inputs
    bias: torch.Tensor | None

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()  # (out, in)
        scales = weight.abs().amax(dim=1).clamp(min=1e-8) / 127.0  # (out,)
        q = torch.round(weight / scales[:, None]).clamp(-128, 127).to(torch.int8)
        self.register_buffer("weight_int8", q, persistent=False)
        self.register_buffer("scales", scales.to(torch.bfloat16), persistent=False)
        self.register_buffer("weight", linear.weight.detach().to(torch.bfloat16), persistent=False)
        bias = linear.bias
        self.register_buffer(
            "bias", None if bias is None else bias.detach().to(torch.bfloat16), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., in) -> (..., out)
        rows = x.reshape(-1, x.shape[-1])
        if rows.shape[0] > NARROW_PASS:
            return F.linear(x, self.weight, self.bias)
        y = torch.ops.aten._weight_int8pack_mm(rows, self.weight_int8, self.scales)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], -1)


def quantize_linear_layers(model: nn.Module) -> nn.Module:
    """Cast `model` to bfloat16 and replace every nn.Linear (the output head included) whose
    input width the kernel takes with an Int8Linear, in place; returns the model."""
    model.to(torch.bfloat16)
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Linear) and child.in_features % BLOCK == 0:
                setattr(module, name, Int8Linear(child))
    return model
