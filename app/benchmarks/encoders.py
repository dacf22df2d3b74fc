"""What `manage.py bench_ingest --backends …` measures: encoder variants side by side.

Each variant is a backend (torch, onnx, onnx-int8), a thread count and a batch size, and
optionally torch under bfloat16 autocast or batches taken in the order given instead of
longest first. The variants encode the same texts in interleaved rounds (the machines are
shared, so only ratios measured together mean much), and each one's vectors are compared
with torch float32's: speed is only worth having at (near) the same vectors.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.encoder import ENCODER_BACKENDS, Encoder, EncoderBackend
from retrieval.encoder_loading import load_encoder, prepare_encoder

CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_bf16")


def cpu_flags() -> str:
    """The CPU's vector extensions that decide int8 and bf16 speed (from /proc/cpuinfo)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return " ".join(f for f in CPU_FLAGS if f in flags) or "none of " + " ".join(CPU_FLAGS)


@dataclass(frozen=True)
class Variant:
    backend: EncoderBackend
    threads: int = 1
    batch_size: int = 64
    bf16: bool = False  # torch only: autocast to bfloat16
    unsorted: bool = False  # batches in the order given, not longest first

    @property
    def label(self) -> str:
        name = self.backend + ("-bf16" if self.bf16 else "")
        extra = ", unsorted" if self.unsorted else ""
        return f"{name} t{self.threads} b{self.batch_size}{extra}"


def variants(
    backends: Sequence[str],
    threads: Sequence[int],
    batch_sizes: Sequence[int],
    *,
    bf16: bool = False,
    unsorted: bool = False,
) -> list[Variant]:
    """Every backend × threads × batch size; plus torch bf16 and unsorted twins when asked."""
    for backend in backends:
        if backend not in ENCODER_BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r} (one of {', '.join(ENCODER_BACKENDS)})")
    found: list[Variant] = []
    for backend in backends:
        for t in threads:
            for batch in batch_sizes:
                base = Variant(backend, t, batch)  # type: ignore[arg-type]  # checked above
                found.append(base)
                if bf16 and backend == "torch":
                    found.append(Variant(base.backend, t, batch, bf16=True))
                if unsorted:
                    found.append(Variant(base.backend, t, batch, unsorted=True))
    return found


@dataclass
class Measured:
    variant: Variant
    rates: list[float]  # chunks/s, one per round
    cosine_min: float = 1.0
    cosine_mean: float = 1.0

    @property
    def median(self) -> float:
        return float(np.median(self.rates))


class VariantBench:
    """Loads each variant's encoder once (exporting its ONNX file first if setup did not),
    then times them round after round on the same texts."""

    def __init__(self, model: str, cache_dir: Path, default_threads: int) -> None:
        self.model = model
        self.cache_dir = cache_dir
        self.default_threads = default_threads

    def encoder(self, variant: Variant) -> Encoder:
        prepare_encoder(self.model, variant.backend, self.cache_dir)
        return load_encoder(self.model, variant.batch_size, variant.backend, self.cache_dir, variant.threads)

    @contextlib.contextmanager
    def _running(self, variant: Variant) -> Iterator[None]:
        import torch

        torch.set_num_threads(variant.threads)  # ONNX sessions got theirs when created
        try:
            if variant.bf16:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    yield
            else:
                yield
        finally:
            torch.set_num_threads(self.default_threads)

    def encode(self, variant: Variant, texts: list[str]) -> tuple[np.ndarray, float]:
        """The vectors and the chunks/s of one pass."""
        encoder = self.encoder(variant)
        with self._running(variant):
            started = time.perf_counter()
            if variant.unsorted:
                step = variant.batch_size
                parts = [encoder.encode(texts[i : i + step]) for i in range(0, len(texts), step)]
                vectors = np.concatenate(parts)
            else:
                vectors = encoder.encode(texts)
            seconds = time.perf_counter() - started
        return vectors, len(texts) / seconds

    def measure(self, chosen: list[Variant], texts: list[str], rounds: int) -> list[Measured]:
        """Interleaved: round 1 runs every variant once, then round 2, and so on."""
        for variant in chosen:
            self.encode(variant, texts[:8])  # load, and pay first-call allocations, untimed
        reference, _ = self.encode(Variant("torch", self.default_threads), texts[:256])
        results = [Measured(v, []) for v in chosen]
        for round_ in range(rounds):
            for result in results:
                vectors, rate = self.encode(result.variant, texts)
                result.rates.append(rate)
                if round_ == 0:
                    cosines = (vectors[: len(reference)] * reference).sum(axis=1)
                    result.cosine_min, result.cosine_mean = float(cosines.min()), float(cosines.mean())
        return results
