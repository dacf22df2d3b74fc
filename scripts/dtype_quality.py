#!/usr/bin/env python3
"""Does a dtype change what the decoder does in the product? A benchmark, not a test.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/dtype_quality.py int8,float32 120 [free]

For N SQuAD dev questions (seed 1: not the sample docs/evaluation.md reports), the sentences
of the question's paragraph and of two other paragraphs of its article are the candidates.
Per dtype it counts how often the decoder's question likelihood ranks a gold-holding sentence
first (the evidence rerank), how often the extract answer over the top three contains a gold
answer (copy mode, the default) and, with `free`, the free answer.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from generation.engine import Engine, EngineSettings  # noqa: E402
from generation.types import GenerationConfig, Passage  # noqa: E402
from retrieval.sentences import split_sentences  # noqa: E402

SQUAD = ROOT.parent / "shared" / "data" / "squad-v1.1-dev" / "dev-v1.1.reconstructed.json"


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _contains(text: str, golds: list[str]) -> bool:
    return any(_norm(g) in _norm(text) for g in golds)


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def main() -> None:
    dtypes = sys.argv[1].split(",")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 120
    free = "free" in sys.argv[3:]
    torch.set_num_threads(1)
    items = []
    for article in json.loads(SQUAD.read_text())["data"]:
        paragraphs = article["paragraphs"]
        for i, paragraph in enumerate(paragraphs):
            items += [(article["title"], paragraphs, i, qa) for qa in paragraph["qas"]]
    sample = random.Random(1).sample(items, n)
    cache = Path(os.environ.get("MODEL_CACHE_DIR", ROOT / "var" / "model-cache"))
    for dtype in dtypes:
        engine = Engine(EngineSettings(dtype=dtype, cache_dir=cache))
        top1 = extract = written = 0
        started = time.perf_counter()
        for title, paragraphs, i, qa in sample:
            golds = [a["text"] for a in qa["answers"]]
            others = [j for j in range(len(paragraphs)) if j != i]
            candidates = _sentences(paragraphs[i]["context"])
            for j in random.Random(qa["id"]).sample(others, min(2, len(others))):
                candidates += _sentences(paragraphs[j]["context"])
            candidates = [c for c in candidates if len(c.split()) >= 3][:24]
            scores = engine.question_likelihood(qa["question"], candidates)
            order = sorted(range(len(candidates)), key=lambda k: -scores[k])
            top1 += _contains(candidates[order[0]], golds)
            passages = [Passage(k + 1, candidates[o], title, None, "", 1.0) for k, o in enumerate(order[:3])]
            config = GenerationConfig(48, copy_passages=1, capture_attention=False)
            extract += _contains(engine.answer(qa["question"], passages, config=config).text, golds)
            if free:
                config = GenerationConfig(48, capture_attention=False)
                written += _contains(engine.answer(qa["question"], passages, config=config).text, golds)
        print(
            f"{dtype}: n={n} rerank top-1 contains gold {top1 / n:.3f}, extract answer {extract / n:.3f}"
            + (f", free answer {written / n:.3f}" if free else "")
            + f" ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
