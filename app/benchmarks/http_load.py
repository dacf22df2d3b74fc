"""Questions through the HTTP stream of a running server, as a chat user sees them.

`ask_all` sends each question to `/api/ask/stream/` (N at a time) and times, per answer, the
first `token` event (time to first token, as the reader sees the first word) and the `done`
event (the whole answer), from the moment the request was sent. Standard library only, and
loopback servers only: it is a benchmark, not a test.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Asked:
    question: str
    ttft_s: float | None  # None: no token came (abstained, refused or failed)
    total_s: float
    outcome: str  # done | error | http <status>
    tokens: int


def ask_stream(base: str, token: str, question: str, timeout: float = 300.0) -> Asked:
    request = urllib.request.Request(  # noqa: S310 (checked to be loopback http by ask_all)
        base.rstrip("/") + "/api/ask/stream/",
        data=json.dumps({"question": question}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    first = None
    tokens = 0
    event = ""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "token":
                    tokens += 1
                    if first is None:
                        first = time.perf_counter() - started
                elif line.startswith("data:") and event in {"done", "error"}:
                    return Asked(question, first, time.perf_counter() - started, event, tokens)
    except urllib.error.HTTPError as error:
        return Asked(question, None, time.perf_counter() - started, f"http {error.code}", 0)
    return Asked(question, first, time.perf_counter() - started, "cut", tokens)


def ask_all(base: str, token: str, questions: Sequence[str], concurrency: int = 1) -> list[Asked]:
    """Every question once, `concurrency` at a time, in order of the list per worker."""
    if not base.startswith(("http://127.", "http://localhost")):
        raise ValueError("loopback servers only")
    results: list[Asked | None] = [None] * len(questions)
    cursor = iter(range(len(questions)))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            results[i] = ask_stream(base, token, questions[i])

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def format_load(asked: Sequence[Asked], concurrency: int) -> str:
    ttft = [a.ttft_s for a in asked if a.ttft_s is not None]
    total = [a.total_s for a in asked if a.outcome == "done"]
    outcomes: dict[str, int] = {}
    for a in asked:
        outcomes[a.outcome] = outcomes.get(a.outcome, 0) + 1
    lines = [
        f"{len(asked)} questions, {concurrency} at a time: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        f"time to first token p50 {_pct(ttft, 0.5):.2f} s, p95 {_pct(ttft, 0.95):.2f} s, max "
        f"{max(ttft, default=float('nan')):.2f} s ({len(ttft)} answers with tokens)",
        f"answer time p50 {_pct(total, 0.5):.2f} s, p95 {_pct(total, 0.95):.2f} s, "
        f"mean tokens {statistics.mean(a.tokens for a in asked) if asked else 0:.1f}",
        "| # | first token (s) | answer (s) | token events | outcome | question |",
        "|---:|---:|---:|---:|---|---|",
    ]
    for i, a in enumerate(asked, 1):
        first = f"{a.ttft_s:.2f}" if a.ttft_s is not None else "-"
        lines.append(f"| {i} | {first} | {a.total_s:.2f} | {a.tokens} | {a.outcome} | {a.question[:60]} |")
    return "\n".join(lines)
