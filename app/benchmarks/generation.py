"""Measurements: decode speed by caching strategy, dtype, citation rate, attention layers.

Each function takes a loaded Engine (or settings), runs the real model and returns a small
dataclass; `format_*` turns it into the text the management command prints and the docs
quote. Timings are medians over `repeats` runs, because a 2-core box is easily disturbed.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from transformers import DynamicCache

from app.benchmarks.cases import CASES, Case
from generation.attention import AttentionRecorder, default_layers
from generation.engine import Engine, EngineSettings
from generation.prompt import Prompt
from generation.types import Answer, GenerationConfig, Passage

MODES = {
    "a": "recompute the whole sequence every step (no cache)",
    "b": "KV cache",
    "c": "KV cache + system-prefix reuse",
    "d": "(c) + attention capture",
}


@dataclass(frozen=True)
class ModeTiming:
    mode: str
    prompt_tokens: int
    reused_tokens: int
    new_tokens: int
    ttft_s: float
    decode_tokens_per_s: float


@dataclass(frozen=True)
class BenchResult:
    machine: str
    timings: tuple[ModeTiming, ...]
    same_tokens: bool  # (a)-(d) produced the same greedy tokens, as they must


def machine_note() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__} threads={torch.get_num_threads()}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
        f"load average at start {load:.2f}"
    )


def prompt_of_about(engine: Engine, tokens: int, max_new_tokens: int) -> Prompt:
    """A realistic prompt near `tokens` long: eval-case passages, as many as fit."""
    pool: list[Passage] = [p for case in CASES for p in case.passages]
    question = CASES[0].question
    passages: list[Passage] = []
    while True:
        nxt = pool[len(passages) % len(pool)]
        candidate = engine.build_prompt(question, [*passages, nxt], (), max_new_tokens)
        if len(candidate) > tokens:
            break
        passages.append(nxt)
    return engine.build_prompt(question, passages, (), max_new_tokens)


def recompute_decode(engine: Engine, ids: Sequence[int], n: int) -> tuple[list[int], float, float]:
    """Greedy without a cache: every step runs the whole sequence again.
    Returns (tokens, time to first token, decode tokens/s)."""
    seq, out = list(ids), []
    start = time.perf_counter()
    first = start
    for step in range(n):
        token = int(engine.forward(seq, DynamicCache(config=engine.model.config), None)[-1].argmax())
        out.append(token)
        seq.append(token)
        if step == 0:
            first = time.perf_counter()
    end = time.perf_counter()
    rate = (n - 1) / (end - first) if n > 1 else 0.0
    return out, first - start, rate


def _cached_run(engine: Engine, prompt: Prompt, config: GenerationConfig) -> Answer:
    for event in engine.stream_prompt(prompt, config):
        if isinstance(event, Answer):
            return event
    raise AssertionError("no answer")


def run_benchmark(
    engine: Engine,
    prompt_sizes: Sequence[int] = (250, 1000),
    new_tokens: int = 32,
    recompute_tokens: int = 8,
    repeats: int = 3,
) -> BenchResult:
    """Time to first token and decode rate for modes (a)-(d) at each prompt size.

    Every run decodes exactly `new_tokens` greedy tokens (EOS ignored), and all modes must
    produce the same ones; (a) is limited to `recompute_tokens` steps since each of its
    steps costs a whole prefill.
    """
    note = machine_note()
    base = GenerationConfig(max_new_tokens=new_tokens, stop=(), capture_attention=False, ignore_eos=True)
    configs = {
        "b": replace(base, reuse_cache=False),
        "c": base,
        "d": replace(base, capture_attention=True),
    }
    _cached_run(engine, engine.build_prompt("Warm up?", (), (), 4), replace(base, max_new_tokens=4))
    timings: list[ModeTiming] = []
    same = True
    for size in prompt_sizes:
        prompt = prompt_of_about(engine, size, new_tokens)
        tokens_a, ttft_a, rate_a = recompute_decode(engine, prompt.ids, recompute_tokens)
        timings.append(ModeTiming("a", len(prompt), 0, recompute_tokens, ttft_a, rate_a))
        for mode, config in configs.items():
            runs = [_cached_run(engine, prompt, config) for _ in range(repeats)]
            n = len(runs[0].token_ids)
            same &= all(r.token_ids == runs[0].token_ids for r in runs)
            same &= list(runs[0].token_ids[: len(tokens_a)]) == tokens_a[:n]
            timings.append(
                ModeTiming(
                    mode,
                    len(prompt),
                    runs[0].stats.reused_prefix_tokens,
                    n,
                    statistics.median(r.stats.time_to_first_token_s for r in runs),
                    statistics.median(r.stats.decode_tokens_per_s for r in runs),
                )
            )
    return BenchResult(note, tuple(timings), same)


def format_benchmark(result: BenchResult) -> str:
    lines = [
        f"machine: {result.machine}",
        "| prompt tokens | mode | reused | new tokens | TTFT (s) | decode tok/s | vs (a) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    recompute = {t.prompt_tokens: t.decode_tokens_per_s for t in result.timings if t.mode == "a"}
    for t in result.timings:
        ratio = t.decode_tokens_per_s / recompute[t.prompt_tokens] if recompute[t.prompt_tokens] else 0
        lines.append(
            f"| {t.prompt_tokens} | ({t.mode}) {MODES[t.mode]} | {t.reused_tokens} | "
            f"{t.new_tokens} | {t.ttft_s:.3f} | {t.decode_tokens_per_s:.1f} | {ratio:.1f}x |"
        )
    by = {(t.prompt_tokens, t.mode): t for t in result.timings}
    for size in sorted(recompute):
        b, c, d = by[size, "b"], by[size, "c"], by[size, "d"]
        lines.append(
            f"{size} tokens: cached decode {b.decode_tokens_per_s / recompute[size]:.1f}x faster "
            f"than recomputing; prefix reuse TTFT {b.ttft_s / c.ttft_s:.2f}x; attention capture "
            f"costs {100 * (1 - d.decode_tokens_per_s / c.decode_tokens_per_s):.0f}% decode rate"
        )
    lines.append(f"same greedy tokens in every mode: {result.same_tokens}")
    return "\n".join(lines)


@dataclass(frozen=True)
class DtypeTiming:
    dtype: str
    threads: int
    prompt_tokens: int
    prefill_s: float
    decode_tokens_per_s: float
    same_tokens: float  # share of greedy tokens equal to the first variant's, position by position
    answer: str  # the greedy answer to the first eval case, to check it still makes sense


def compare_dtypes(
    settings: EngineSettings,
    dtypes: Sequence[str] = ("float32", "bfloat16"),
    prompt_sizes: Sequence[int] = (250, 1000),
    new_tokens: int = 32,
    repeats: int = 3,
    threads: Sequence[int] = (),
) -> list[DtypeTiming]:
    """Prefill time and decode rate per dtype and thread count (plain KV cache, no reuse, no
    capture), repeats interleaved across the variants so a noisy neighbour hits them alike."""
    config = GenerationConfig(
        max_new_tokens=new_tokens, stop=(), capture_attention=False, reuse_cache=False, ignore_eos=True
    )
    # Every pass on the thread count being compared (not the engine's narrow-pass default).
    engines = {dtype: Engine(replace(settings, dtype=dtype, decode_threads=None)) for dtype in dtypes}
    variants = [(d, t) for d in dtypes for t in (threads or [torch.get_num_threads()])]
    case = CASES[0]
    answers = {}
    for dtype, engine in engines.items():
        _cached_run(engine, engine.build_prompt("Warm up?", (), (), 4), config)
        answers[dtype] = engine.answer(
            case.question, case.passages, config=GenerationConfig(48, capture_attention=False)
        ).text
    prompts = {size: prompt_of_about(engines[dtypes[0]], size, new_tokens) for size in prompt_sizes}
    runs: dict[tuple[str, int, int], list[Answer]] = {}
    for _ in range(repeats):
        for size, prompt in prompts.items():
            for dtype, n in variants:
                torch.set_num_threads(n)
                runs.setdefault((dtype, n, size), []).append(_cached_run(engines[dtype], prompt, config))
    out = []
    for (dtype, n, size), answered in runs.items():
        reference = runs[variants[0][0], variants[0][1], size][0].token_ids
        same = sum(a == b for a, b in zip(answered[0].token_ids, reference, strict=False))
        out.append(
            DtypeTiming(
                dtype,
                n,
                len(prompts[size]),
                statistics.median(r.stats.time_to_first_token_s for r in answered),
                statistics.median(r.stats.decode_tokens_per_s for r in answered),
                same / max(1, len(reference)),
                answers[dtype],
            )
        )
    return out


def format_dtypes(timings: Sequence[DtypeTiming]) -> str:
    lines = [
        "| dtype | threads | prompt tokens | prefill (s) | decode tok/s | greedy tokens as first row |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.dtype} | {t.threads} | {t.prompt_tokens} | {t.prefill_s:.3f} | "
        f"{t.decode_tokens_per_s:.1f} | {t.same_tokens:.0%} |"
        for t in timings
    ]
    for dtype in dict.fromkeys(t.dtype for t in timings):
        answer = next(t.answer for t in timings if t.dtype == dtype)
        lines.append(f"{dtype} greedy answer to eval case 1: {answer!r}")
    return "\n".join(lines)


@dataclass(frozen=True)
class CitationReport:
    cases: int
    cited: int  # answers with at least one valid model-written marker
    cited_correct: int  # ... naming the passage that holds the answer
    invalid_markers: int  # markers naming no passage
    attention_correct: int  # the passage with most attention mass is the one with the answer
    attributed: int  # answers with kind="attention" citations (sentences left uncited)
    attributed_correct: int  # ... all of which name the passage holding the answer
    answers: tuple[str, ...]


def measure_citations(
    engine: Engine, cases: Sequence[Case] = CASES, max_new_tokens: int = 48
) -> CitationReport:
    config = GenerationConfig(max_new_tokens=max_new_tokens)
    cited = correct = invalid = attention = attributed = attributed_correct = 0
    answers = []
    for case in cases:
        answer = engine.answer(case.question, case.passages, config=config)
        numbers = {c.index for c in answer.citations if c.kind == "model"}
        cited += bool(numbers)
        correct += case.answer_index in numbers
        invalid += len(answer.unresolved_markers)
        by_attention = {c.index for c in answer.citations if c.kind == "attention"}
        attributed += bool(by_attention)
        attributed_correct += by_attention == {case.answer_index}
        if answer.attention is not None:
            totals = answer.attention.passage_totals()
            attention += bool(totals) and 1 + totals.index(max(totals)) == case.answer_index
        answers.append(answer.text)
    return CitationReport(
        len(cases), cited, correct, invalid, attention, attributed, attributed_correct, tuple(answers)
    )


def format_citations(report: CitationReport) -> str:
    n = report.cases
    lines = [
        f"answers citing a valid source: {report.cited}/{n}",
        f"answers citing the source that holds the answer: {report.cited_correct}/{n}",
        f"markers naming no source: {report.invalid_markers}",
        f"most-attended source is the one holding the answer: {report.attention_correct}/{n}",
        f"answers with attention attributions: {report.attributed}/{n}, "
        f"naming only the source that holds the answer: {report.attributed_correct}/{n}",
    ]
    lines += [f"  {i + 1}. {text!r}" for i, text in enumerate(report.answers)]
    return "\n".join(lines)


class _PerLayerRecorder(AttentionRecorder):
    """Keeps each layer's row separately (the engine's recorder averages them)."""

    def __init__(self, layers: tuple[int, ...]):
        super().__init__(layers)
        self.rows: dict[int, torch.Tensor] = {}

    def record(self, layer: int, row: torch.Tensor) -> None:
        self.rows[layer] = row


def measure_attention_layers(
    engine: Engine, cases: Sequence[Case] = CASES, new_tokens: int = 16
) -> dict[int, tuple[int, float]]:
    """Per layer: in how many cases the answer-holding passage gets the most attention mass
    (averaged over the first `new_tokens` greedy answer tokens), and the mean share of the
    passages' total mass it gets. The basis for `default_layers`."""
    layers = tuple(range(engine.num_layers))
    hits = dict.fromkeys(layers, 0)
    share = dict.fromkeys(layers, 0.0)
    for case in cases:
        prompt = engine.build_prompt(case.question, case.passages, (), new_tokens)
        cache = DynamicCache(config=engine.model.config)
        recorder = _PerLayerRecorder(layers)
        sums = {layer: torch.zeros(len(prompt.passages)) for layer in layers}
        ids = list(prompt.ids)
        for _ in range(new_tokens):
            logits = engine.forward(ids[cache.get_seq_length() :], cache, recorder)[-1]
            for layer, row in recorder.rows.items():
                for p, (a, b) in enumerate(prompt.passage_ranges):
                    sums[layer][p] += row[a:b].sum()
            token = int(logits.argmax())
            if token in engine.eos_ids:
                break
            ids.append(token)
        gold = case.answer_index - 1
        for layer in layers:
            hits[layer] += int(sums[layer].argmax()) == gold
            share[layer] += float(sums[layer][gold] / sums[layer].sum()) / len(cases)
    return {layer: (hits[layer], share[layer]) for layer in layers}


def format_attention_layers(result: dict[int, tuple[int, float]], cases: int) -> str:
    default = set(default_layers(len(result)))
    lines = ["| layer | gold passage most attended | gold share of passage mass | default |"]
    lines.append("|---:|---:|---:|---|")
    lines += [
        f"| {layer} | {hits}/{cases} | {share:.2f} | {'yes' if layer in default else ''} |"
        for layer, (hits, share) in result.items()
    ]
    return "\n".join(lines)
