"""What this CPU can do fast, read from /proc/cpuinfo (Linux; elsewhere: nothing known).

The default dtype follows it: bfloat16 matmuls are native with AVX512-BF16 or AMX and
emulated (several times slower than float32) without; docs/generation.md has both
measurements.
"""

from __future__ import annotations

import functools
from pathlib import Path

# A forward pass of at most this many new tokens is a decode step (or a verified draft): it
# runs on one thread (engine), its attention as two small matmuls (attention) and its linear
# layers on the int8 kernel (quantize). Longer passes are prefill: every thread, SDPA, and
# bfloat16 matmuls. One number, since the three choices are measured on the same passes.
NARROW_PASS = 32

# Flags that decide kernels and dtypes; benchmarks print which of them are present.
NOTABLE = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "avx_vnni")
NATIVE_BF16 = ("avx512_bf16", "amx_bf16")


@functools.cache
def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_flags() -> frozenset[str]:
    line = next((ln for ln in _cpuinfo().splitlines() if ln.startswith("flags")), "")
    return frozenset(line.split(":", 1)[-1].split())


def cpu_summary() -> str:
    """e.g. "AMD EPYC: avx2, avx512f, avx512_bf16" (the model name and the notable flags)."""
    lines = _cpuinfo().splitlines()
    names = (ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name"))
    flags = cpu_flags()
    return f"{next(names, 'unknown CPU')}: " + (", ".join(f for f in NOTABLE if f in flags) or "none notable")


def native_bf16() -> bool:
    return any(flag in cpu_flags() for flag in NATIVE_BF16)


def resolve_dtype(dtype: str) -> str:
    """The dtype to load: "auto" is weight-only int8 (bfloat16 activations) where the CPU
    computes bfloat16 natively, float32 where it would be emulated; others pass through."""
    if dtype != "auto":
        return dtype
    return "int8" if native_bf16() else "float32"
