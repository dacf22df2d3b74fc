"""A question asking who wrote a document, over a paper whose sections all use its title's
words: search brings the chunk with its byline, and the answer quotes the byline first."""

from __future__ import annotations

import pytest

from app.services.search import search_chunks
from tests.app.answering import ask

pytestmark = pytest.mark.slow

TITLE = "Dense Passage Retrieval for Open-Domain Question Answering"
BYLINE = "Vladimir Karpukhin∗, Barlas Oğuz∗, Sewon Min†, Patrick Lewis, Ledell Wu"
SECTIONS = ("training", "negatives", "indexing", "latency", "datasets", "baselines", "ablations", "errors")


def paper() -> str:
    addresses = "{vladk, barlaso}@fb.com sewon@cs.washington.edu"  # not part of the answer
    parts = [f"# {TITLE}\n\n{BYLINE} {addresses}\n\nAbstract. We study open-domain question answering."]
    for section in SECTIONS:
        body = " ".join(
            f"Dense passage retrieval handles {section} in step {step}: the dense passage retrieval "
            f"model retrieves passages for open-domain question answering."
            for step in range(1, 7)
        )
        parts.append(f"# {section.title()}\n\n{body}")
    return "\n\n".join(parts)


def test_a_question_about_the_authors_quotes_the_byline(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    ingestion.index(user, "dpr.md", paper().encode(), timeout=300)
    question = "Who are the authors of Dense Passage Retrieval?"
    found = search_chunks(user, question, top_k=4)
    assert BYLINE in found[0].chunk.text

    _, record = ask(user, question)
    assert record.status == "complete"
    assert record.evidence[0].text == BYLINE
    assert record.stats.answerability == 1.0
    assert "Karpukhin" in record.content and "@" not in record.content
