"""Weight-only int8: close to the float layer on both paths; "auto" follows the CPU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from generation import cpu
from generation.cpu import NARROW_PASS
from generation.quantize import Int8Linear, quantize_linear_layers


@pytest.mark.parametrize("rows", [1, NARROW_PASS, NARROW_PASS + 1])
def test_int8_linear_is_close_to_the_float_layer(rows: int) -> None:
    torch.manual_seed(0)
    linear = nn.Linear(64, 48)
    x = torch.randn(1, rows, 64)
    expected = linear(x)
    got = Int8Linear(linear)(x.to(torch.bfloat16)).float()
    assert got.shape == expected.shape
    # int8 weights with a scale per output row, bfloat16 activations: about 1% error.
    error = (got - expected).norm() / expected.norm()
    assert error < 0.02, float(error)


def test_linear_layers_are_replaced_where_the_kernel_takes_their_width() -> None:
    model = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Sequential(nn.Linear(16, 8), nn.Linear(8, 4)))
    quantize_linear_layers(model)
    kinds = [type(m).__name__ for m in model.modules() if isinstance(m, (nn.Linear, Int8Linear))]
    assert kinds == ["Int8Linear", "Int8Linear", "Linear"]  # 8 wide: would crash the kernel
    assert model(torch.randn(2, 32, dtype=torch.bfloat16)).shape == (2, 4)


def test_auto_picks_int8_only_where_bfloat16_is_native(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    assert cpu.resolve_dtype("auto") == "int8"
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
    assert cpu.resolve_dtype("auto") == "float32"
    assert cpu.resolve_dtype("bfloat16") == "bfloat16"
