"""A question asking what an acronym stands for, over a document that spells it out once in
its preface and uses it everywhere after (as the sample Redbook does with RCAC): search
brings the preface, and the answer quotes the sentence that spells it out."""

from __future__ import annotations

import pytest

from app.services.search import search_chunks
from tests.app.answering import ask

pytestmark = pytest.mark.slow

PREFACE = "This guide describes the Row and Column Access Control (RCAC) feature of the database."
TOPICS = (
    "row permissions",
    "column masks",
    "the security administrator",
    "auditing",
    "performance",
    "application design",
    "migration",
    "backups",
    "views",
    "triggers",
    "query optimization",
    "multiple tables",
)


def manual() -> str:
    sections = [f"# Preface\n\n{PREFACE} It was written for administrators."]
    for topic in TOPICS:
        body = " ".join(
            f"RCAC applies to {topic} in step {step}: RCAC checks each request, and RCAC rules for "
            f"{topic} are kept with the table."
            for step in range(1, 7)
        )
        sections.append(f"# RCAC and {topic}\n\n{body}")
    return "\n\n".join(sections)


def test_an_acronym_question_quotes_where_it_is_spelled_out(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    ingestion.index(user, "rcac-guide.md", manual().encode(), timeout=300)
    plain = search_chunks(user, "RCAC stand for", top_k=4)
    assert all(PREFACE not in r.chunk.text for r in plain), "the chunks that use RCAC most come first"

    question = "What does RCAC stand for?"
    found = search_chunks(user, question, top_k=4)
    assert len(found) == 4 and PREFACE in found[0].chunk.text

    _, record = ask(user, question)
    assert record.status == "complete"
    assert record.evidence[0].text == PREFACE
    assert record.stats.answerability == 1.0
    assert "Row and Column Access Control" in record.content
