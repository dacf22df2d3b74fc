"""Acronyms: the questions that ask what one stands for, and where a text spells it out."""

from __future__ import annotations

import pytest

from retrieval.acronyms import asked_acronym, spelled_out
from retrieval.answerability import QuoteSignals, answerability, best_answerability


@pytest.mark.parametrize(
    ("question", "acronym"),
    [
        ("What does RCAC stand for?", "RCAC"),
        ("what does the acronym LEM stand for", "LEM"),
        ("What does the abbreviation NFL mean?", "NFL"),
        ("What is QED short for?", "QED"),
        ("What is the full form of DB2?", "DB2"),
        ("Who built Skerryvore? What does RCAC stand for?", "RCAC"),  # searched with the turn before
        ("What does Tesla stand for?", None),  # a name, not an acronym
        ("What does a duck eat?", None),
        ("What is RCAC used for?", None),
    ],
)
def test_the_questions_that_ask_for_a_long_form(question: str, acronym: str | None) -> None:
    assert asked_acronym(question) == acronym


@pytest.mark.parametrize(
    ("text", "acronym", "long_form"),
    [
        (
            "It covers the IBM DB2 for i Row and Column Access Control (RCAC). Later (RCAC) again.",
            "RCAC",
            "Row and Column Access Control (RCAC)",
        ),
        ("the Command/Service Module (CSM) docked", "CSM", "Command/Service Module (CSM)"),
        ("cells store it as adenosine triphosphate (ATP).", "ATP", "adenosine triphosphate (ATP)"),
        ("We use the thing (RCAC) here.", "RCAC", None),  # the words do not spell it
        ("RCAC rules apply to every row.", "RCAC", None),  # used, never spelled out
    ],
)
def test_a_long_form_is_found_by_its_letters(text: str, acronym: str, long_form: str | None) -> None:
    span = spelled_out(text, acronym)
    assert (text[span[0] : span[1]] if span else None) == long_form


def test_a_quote_that_spells_out_the_acronym_asked_answers_by_construction() -> None:
    weak = QuoteSignals(coverage=0.4, similarity=0.2, passage_coverage=0.3, margin=-0.1)
    assert answerability(weak) < 0.1
    assert answerability(QuoteSignals(0.4, 0.2, 0.3, -0.1, long_form=True)) == 1.0
    assert best_answerability([weak, QuoteSignals(0.4, 0.2, 0.3, 0.5, long_form=True)]) == 1.0
