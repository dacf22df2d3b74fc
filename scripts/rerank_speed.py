"""The decoder rerank's speed: one packed sequence (what `Engine.question_likelihood` runs)
against the right-padded batch it replaced, side by side on the same candidates.

Each case is a SQuAD dev question with five sentences of its paragraph, titled as the rerank
reads them ("Super Bowl 50: …"): rerank-sized rows of uneven length. The two ways run
interleaved, after one warm-up each; printed: the CPU, the mean time of each, their ratio,
and the largest difference between their scores.

    MODEL_CACHE_DIR=$PWD/var/model-cache TORCH_THREADS=1 .venv/bin/python scripts/rerank_speed.py \\
        ../shared/data/squad-v1.1-dev/dev-v1.1.reconstructed.json --cases 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")

import django

django.setup()

from app.services.runtime import get_engine  # noqa: E402
from generation.cpu import cpu_summary  # noqa: E402
from generation.engine import Engine  # noqa: E402
from retrieval.sentences import split_sentences  # noqa: E402


def padded(engine: Engine, question: str, texts: Sequence[str]) -> list[float]:
    """The earlier way: a right-padded batch (B, T), every row as long as the longest."""
    rows, asked = engine.likelihood_rows(question, texts)
    width = max(map(len, rows))
    ids = torch.zeros((len(rows), width), dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    with torch.no_grad():
        hidden = engine.model.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, D)
        before = torch.stack([hidden[i, len(r) - len(asked) - 1 : len(r) - 1] for i, r in enumerate(rows)])
        logprobs = engine.model.get_output_embeddings()(before).float().log_softmax(-1)  # (B, Q, V)
    target = torch.tensor(asked).expand(len(rows), -1)  # (B, Q)
    return [float(s) for s in logprobs.gather(2, target[..., None])[..., 0].mean(1)]


def cases(path: Path, n: int) -> list[tuple[str, list[str]]]:
    found = []
    for article in json.loads(path.read_text())["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            sentences = [context[a:b] for a, b in split_sentences(context)][:5]
            if len(sentences) == 5 and paragraph["qas"]:
                title = article["title"].replace("_", " ")
                found.append((paragraph["qas"][0]["question"], [f"{title}: {s}" for s in sentences]))
    return random.Random(0).sample(found, min(n, len(found)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("squad", type=Path)
    parser.add_argument("--cases", type=int, default=60)
    args = parser.parse_args()
    engine = get_engine()
    assert isinstance(engine, Engine)
    chosen = cases(args.squad, args.cases)
    threads = torch.get_num_threads()
    print(f"{cpu_summary()}; torch {torch.__version__}, {threads} thread(s); {len(chosen)} cases")
    question, texts = chosen[0]
    padded(engine, question, texts), engine.question_likelihood(question, texts)  # warm-up
    spent = {"padded": 0.0, "packed": 0.0}
    worst = 0.0
    for question, texts in chosen:
        started = time.perf_counter()
        before = padded(engine, question, texts)
        middle = time.perf_counter()
        after = engine.question_likelihood(question, texts)
        spent["padded"] += middle - started
        spent["packed"] += time.perf_counter() - middle
        worst = max(worst, *(abs(a - b) for a, b in zip(before, after, strict=True)))
    n = len(chosen)
    print(
        f"padded batch {spent['padded'] / n * 1e3:.0f} ms, packed {spent['packed'] / n * 1e3:.0f} ms"
        " a rerank: "
        f"packed {spent['padded'] / spent['packed']:.2f}x faster; largest score difference {worst:.1e}"
    )


if __name__ == "__main__":
    main()
