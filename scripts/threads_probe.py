#!/usr/bin/env python3
"""Answer speed with and without ingestion running, on 1 and on 2 threads (the threads policy).

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/threads_probe.py

Times the benchmark cases' answers and one over a ~1,000-token prompt (extract mode, as the
app answers) in this process on 1 and on 2 torch threads (decode steps on one either way,
as the engine does), first alone,
then while `manage.py bench_ingest` ingests the SQuAD paragraphs in another process (as a
worker would: one thread). Alternates the thread counts so both see the same neighbour.
Prints medians of time to first token and of answer time. A benchmark, not a test.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from app.benchmarks.cases import CASES  # noqa: E402
from app.benchmarks.generation import prompt_of_about  # noqa: E402
from generation.cpu import cpu_summary, resolve_dtype  # noqa: E402
from generation.engine import Engine, EngineSettings  # noqa: E402
from generation.types import GenerationConfig, final_answer  # noqa: E402


def measure(engine: Engine, threads: int, rounds: int) -> tuple[list[float], list[float]]:
    """The cases' answers, then one over a ~1,000-token prompt (a long conversation's)."""
    ttft, total = [], []
    torch.set_num_threads(threads)
    config = GenerationConfig(64, copy_passages=1)
    long_prompt = prompt_of_about(engine, 1000, 64)
    for _ in range(rounds):
        answers = [engine.answer(c.question, c.passages, config=config) for c in CASES]
        answers.append(final_answer(engine.stream_prompt(long_prompt, config)))
        ttft += [a.stats.time_to_first_token_s for a in answers]
        total += [a.stats.total_s for a in answers]
    return ttft, total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def table(engine: Engine, label: str, rounds: int) -> None:
    results: dict[int, tuple[list[float], list[float]]] = {1: ([], []), 2: ([], [])}
    for _ in range(rounds):
        for threads in (1, 2):
            ttft, total = measure(engine, threads, 1)
            results[threads][0].extend(ttft)
            results[threads][1].extend(total)
    per_round = len(CASES) + 1
    for threads, (ttft, total) in results.items():
        short = [t for i, t in enumerate(ttft) if i % per_round < len(CASES)]
        long = [t for i, t in enumerate(ttft) if i % per_round == len(CASES)]
        answers = [t for i, t in enumerate(total) if i % per_round < len(CASES)]
        print(
            f"{label:<18} {threads} threads: evidence prompts first token p50 "
            f"{statistics.median(short):.3f} s, answer p50 {statistics.median(answers):.3f} s; "
            f"1,000-token prompt first token p50 {statistics.median(long):.3f} s",
            flush=True,
        )


def main() -> None:
    cache = Path(os.environ.get("MODEL_CACHE_DIR", ROOT / "var" / "model-cache"))
    engine = Engine(EngineSettings(dtype=resolve_dtype("auto"), cache_dir=cache))
    print(f"cpu: {cpu_summary()}; dtype {resolve_dtype('auto')}", flush=True)
    measure(engine, 2, 1)  # warm
    table(engine, "no ingestion", 3)
    env = {**os.environ, "TORCH_THREADS": "1"}
    ingest = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "bench_ingest",
            "--backends",
            "onnx-int8",
            "--rounds",
            "1",
            "--skip-search",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(20)  # past loading: the pipeline is encoding
        before, started = cpu_seconds(ingest.pid), time.perf_counter()
        table(engine, "ingestion running", 3)
        busy = (cpu_seconds(ingest.pid) - before) / (time.perf_counter() - started)
        print(f"the ingestion process used {busy:.2f} cores meanwhile", flush=True)
    finally:
        ingest.kill()


if __name__ == "__main__":
    main()
