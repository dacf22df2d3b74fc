"""Bylines (`retrieval.bylines`): who wrote a document, as its first lines say."""

from __future__ import annotations

from retrieval.bylines import asks_authors, byline

DPR = (
    "Dense Passage Retrieval for Open-Domain Question Answering\n\n"
    "Vladimir Karpukhin∗, Barlas O˘guz∗, Sewon Min†, Patrick Lewis, Ledell Wu, Sergey Edunov, "
    "Danqi Chen‡, Wen-tau Yih Facebook AI †University of Washington ‡Princeton University "
    "{vladk, barlaso, plewis}@fb.com sewon@cs.washington.edu\n"
    "Abstract\nOpen-domain question answering relies on efficient passage retrieval."
)
LAYOUT_PARSER = (
    "LayoutParser: A Unified Toolkit for Deep Learning Based Document Image Analysis\n\n"
    "Zejiang Shen1 ( ), Ruochen Zhang2, Melissa Dell3, Benjamin Charles Germain Lee4, Jacob "
    "Carlson3, and Weining Li5\n1 Allen Institute for AI\nAbstract. Recent advances."
)


def test_questions_asking_who_wrote_a_document() -> None:
    for question in (
        "Who are the authors of Dense Passage Retrieval?",
        "Who wrote the LayoutParser paper?",
        "Who is the author of the handbook?",
        "Name the authors of the report.",
        "Who was the report written by?",
    ):
        assert asks_authors(question), question
    for question in ("Who built Skerryvore?", "What did the authors find?", "Who writes the ledger?"):
        assert not asks_authors(question), question


def test_the_byline_is_the_line_of_names_under_the_title() -> None:
    start, end = byline(DPR) or (0, 0)
    # Names and affiliations, without the e-mail addresses after them.
    assert DPR[start:end].startswith("Vladimir Karpukhin∗") and DPR[start:end].endswith(
        "Princeton University"
    )
    start, end = byline(LAYOUT_PARSER) or (0, 0)
    assert LAYOUT_PARSER[start:end] == (
        "Zejiang Shen1 ( ), Ruochen Zhang2, Melissa Dell3, Benjamin Charles Germain Lee4, Jacob "
        "Carlson3, and Weining Li5"
    )


def test_headings_and_prose_are_no_byline() -> None:
    assert byline("Report\n\nMethods, Results and Discussion\nWe measured it.") is None
    assert byline("The Lighthouse\n\nAlan Stevenson built it, and Robert Stevenson lit it.") is None
    # Past the top of the document a line of names is not the byline.
    assert byline("x" * 1200 + "\nAlan Stevenson, Robert Stevenson\n") is None
