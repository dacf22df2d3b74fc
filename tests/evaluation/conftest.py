"""Tiny datasets cut from the real ones, and an isolated index for evaluation tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_shared_data

HOSTILE = "<script>alert('x')</script> Does aspirin reduce mortality?"


@pytest.fixture
def isolated_index(settings, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each test gets its own index and media folder (SQLite reuses rolled-back ids)."""
    from app.services import runtime

    settings.INDEX_DIR = tmp_path / "index"
    settings.MEDIA_ROOT = tmp_path / "media"
    runtime.reset_index()
    yield
    runtime.reset_index()


@pytest.fixture
def tiny_beir(tmp_path: Path) -> Path:
    """3 SciFact test queries, their relevant abstracts, and filler up to 10 documents,
    plus one unjudged-irrelevant query text that would break an unescaped page."""
    scifact = require_shared_data("beir-scifact")
    qrels: dict[str, dict[str, int]] = {}
    lines = (scifact / "qrels" / "test.tsv").read_text().splitlines()[1:]
    for line in lines:
        query, doc, score = line.split("\t")
        qrels.setdefault(query, {})[doc] = int(score)
    chosen = [q for q in qrels if len(qrels[q]) == 1][:3]
    wanted = {doc for q in chosen for doc in qrels[q]}
    corpus = [json.loads(line) for line in (scifact / "corpus.jsonl").open()]
    docs = [d for d in corpus if d["_id"] in wanted]
    docs += [d for d in corpus if d["_id"] not in wanted][: 10 - len(docs)]
    queries = {json.loads(line)["_id"]: json.loads(line) for line in (scifact / "queries.jsonl").open()}
    folder = tmp_path / "scifact-tiny"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    rows = [queries[q] for q in chosen]
    rows[0] = {**rows[0], "text": HOSTILE}
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    tsv = "query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t{s}\n" for q in chosen for d, s in qrels[q].items()
    )
    (folder / "qrels" / "test.tsv").write_text(tsv)
    return folder


@pytest.fixture
def tiny_squad(tmp_path: Path) -> Path:
    """The first article's first four paragraphs, and one question from each of three."""
    squad = require_shared_data("squad-v1.1-dev/dev-v1.1.reconstructed.json")
    article = json.loads(squad.read_text())["data"][0]
    paragraphs = []
    for i, paragraph in enumerate(article["paragraphs"][:4]):
        paragraphs.append({**paragraph, "qas": paragraph["qas"][:1] if i < 3 else []})
    path = tmp_path / "squad-tiny.json"
    path.write_text(
        json.dumps({"version": "1.1", "data": [{"title": article["title"], "paragraphs": paragraphs}]})
    )
    return path
