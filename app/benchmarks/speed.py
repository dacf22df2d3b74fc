"""Answer speed side by side: our engine's answer modes, plain `model.generate`, llama.cpp.

One run, the same prompts, the same machine, interleaved repeats (these machines are shared
and noisy: only figures measured side by side are compared). For each prompt (an
evidence-sized one, as the app builds, and one of about 1,000 tokens) and each runner:
time to first token, decode rate after it, and whole-answer time for `new_tokens` tokens.

Runners:
- `extract`: the app's default answer mode (copies the top quote; speculative copying).
- `free`: free writing with prompt-lookup drafting; `free-1by1` the same one token a step.
- `generate`: `model.generate` of transformers on the same weights, greedy.
- `llama.cpp`: the same GGUF through `llama-cpp-python` (optional: `pip install
  llama-cpp-python`; skipped with a note when absent), greedy, as many threads as torch.

`extract` ends when its copy ends (a real answer); the other runners decode exactly
`new_tokens` tokens (EOS ignored), so their whole-answer times compare like for like.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from transformers.generation.streamers import BaseStreamer

from app.benchmarks.cases import CASES
from app.benchmarks.generation import machine_note, prompt_of_about
from generation.engine import Engine
from generation.prompt import Prompt
from generation.types import Answer, GenerationConfig

LLAMA_CPP = "llama.cpp"


@dataclass(frozen=True)
class Run:
    """One answer: seconds to the first token, tokens, seconds in all."""

    ttft_s: float
    tokens: int
    total_s: float

    @property
    def decode_tokens_per_s(self) -> float:
        after = self.total_s - self.ttft_s
        return (self.tokens - 1) / after if self.tokens > 1 and after > 0 else 0.0


@dataclass(frozen=True)
class SpeedRow:
    prompt: str  # "evidence" or "long"
    prompt_tokens: int
    runner: str
    runs: tuple[Run, ...]

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in self.runs)


@dataclass(frozen=True)
class SpeedResult:
    machine: str
    rows: tuple[SpeedRow, ...]
    notes: tuple[str, ...]


def _engine_run(engine: Engine, prompt: Prompt, config: GenerationConfig) -> Run:
    started = time.perf_counter()
    answer: Answer | None = None
    for event in engine.stream_prompt(prompt, config, None, started):
        if isinstance(event, Answer):
            answer = event
    assert answer is not None
    s = answer.stats
    return Run(s.time_to_first_token_s, s.generated_tokens, s.total_s)


class _FirstToken(BaseStreamer):
    """Notes when `generate` hands over its first new token (its first `put` is the prompt)."""

    def __init__(self) -> None:
        self.calls = 0
        self.first_at: float | None = None

    def put(self, value: Any) -> None:
        self.calls += 1
        if self.calls == 2:
            self.first_at = time.perf_counter()

    def end(self) -> None:
        pass


def _generate_run(engine: Engine, prompt: Prompt, new_tokens: int) -> Run:
    streamer = _FirstToken()
    started = time.perf_counter()
    with torch.no_grad():
        out = engine.model.generate(
            torch.tensor([list(prompt.ids)]),
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            streamer=streamer,
            pad_token_id=engine.tokenizer.eos_token_id,
        )
    end = time.perf_counter()
    return Run((streamer.first_at or end) - started, out.shape[1] - len(prompt.ids), end - started)


def _llama_runner(threads: int) -> tuple[Callable[[Prompt, int], Run] | None, str]:
    """A runner over the default GGUF with llama.cpp, or None and why not."""
    try:
        from llama_cpp import Llama  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None, "llama.cpp skipped: llama-cpp-python is not installed (pip install llama-cpp-python)"
    from generation.loading import default_model_source

    source = default_model_source()
    assert source.gguf_file is not None
    path = Path(source.location) / source.gguf_file
    llm = Llama(model_path=str(path), n_ctx=2048, n_batch=1024, n_threads=threads, verbose=False)

    def run(prompt: Prompt, new_tokens: int) -> Run:
        llm.reset()  # no KV reuse between runs: each one prefills the whole prompt
        started = time.perf_counter()
        first = None
        tokens: Iterator[int] = llm.generate(
            list(prompt.ids), top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0
        )
        for n, _ in enumerate(tokens, start=1):
            if first is None:
                first = time.perf_counter()
            if n == new_tokens:
                break
        end = time.perf_counter()
        return Run((first or end) - started, new_tokens, end - started)

    return run, f"llama.cpp {path.name}, {threads} threads, n_batch 1024"


def measure_speed(
    engine: Engine, new_tokens: int = 48, repeats: int = 3, long_tokens: int = 1000
) -> SpeedResult:
    case = CASES[0]
    prompts = {
        "evidence": engine.build_prompt(case.question, case.passages, (), new_tokens),
        "long": prompt_of_about(engine, long_tokens, new_tokens),
    }
    # Exactly `new_tokens` tokens: no EOS, stop string or loop guard ends a timed run early.
    free = GenerationConfig(
        max_new_tokens=new_tokens, ignore_eos=True, stop=(), repeat_window=0, attention_citations=False
    )
    runners: dict[str, Callable[[Prompt], Run]] = {
        "extract": lambda p: _engine_run(
            engine, p, replace(free, ignore_eos=False, repeat_window=8, copy_passages=1)
        ),
        "free": lambda p: _engine_run(engine, p, free),
        "free-1by1": lambda p: _engine_run(engine, p, replace(free, speculative=False)),
        "generate": lambda p: _generate_run(engine, p, new_tokens),
    }
    llama, note = _llama_runner(torch.get_num_threads())
    if llama is not None:
        runners[LLAMA_CPP] = lambda p: llama(p, new_tokens)
    for run in runners.values():  # warm every runner's kernels before timing any
        run(prompts["evidence"])
    runs: dict[tuple[str, str], list[Run]] = {}
    for _ in range(repeats):
        for name, prompt in prompts.items():
            for runner, run in runners.items():
                runs.setdefault((name, runner), []).append(run(prompt))
    rows = tuple(SpeedRow(name, len(prompts[name]), runner, tuple(r)) for (name, runner), r in runs.items())
    return SpeedResult(machine_note(), rows, (note,))


def drafting_ab(engine: Engine, repeats: int = 2, max_new_tokens: int = 64) -> str:
    """Free answers to the benchmark cases as the app writes them (EOS and loop guard on),
    with and without prompt-lookup drafts, alternating: the median decode rates."""
    rates: dict[bool, list[float]] = {False: [], True: []}
    totals = {False: 0.0, True: 0.0}
    for _ in range(repeats):
        for case in CASES:
            for speculative in (False, True):
                config = GenerationConfig(max_new_tokens, speculative=speculative)
                answer = engine.answer(case.question, case.passages, config=config)
                rates[speculative].append(answer.stats.decode_tokens_per_s)
                totals[speculative] += answer.stats.total_s
    return (
        f"free answers to {len(CASES)} cases x{repeats} (EOS honoured, at most {max_new_tokens} tokens): "
        f"median decode {statistics.median(rates[False]):.1f} tok/s one by one, "
        f"{statistics.median(rates[True]):.1f} with drafts; "
        f"total {totals[False]:.2f} s vs {totals[True]:.2f} s"
    )


def format_speed(result: SpeedResult) -> str:
    lines = [
        f"machine: {result.machine}",
        *result.notes,
        "| prompt | tokens | runner | TTFT (s) | new tokens | decode tok/s | answer (s) | "
        "answer vs llama.cpp | decode vs llama.cpp |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    by = {(r.prompt, r.runner): r for r in result.rows}
    for row in result.rows:
        ref = by.get((row.prompt, LLAMA_CPP))
        answer_ratio = decode_ratio = "-"
        if ref is not None:
            answer_ratio = f"{row.median('total_s') / ref.median('total_s'):.2f}x"
            decode_ratio = f"{row.median('decode_tokens_per_s') / ref.median('decode_tokens_per_s'):.2f}x"
        lines.append(
            f"| {row.prompt} | {row.prompt_tokens} | {row.runner} | {row.median('ttft_s'):.3f} | "
            f"{row.median('tokens'):.0f} | {row.median('decode_tokens_per_s'):.1f} | "
            f"{row.median('total_s'):.3f} | {answer_ratio} | {decode_ratio} |"
        )
    lines.append("medians over the repeats; answer vs llama.cpp below 1 means ours is faster")
    return "\n".join(lines)
