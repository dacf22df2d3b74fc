"""The answerability score abstention compares with ANSWER_MIN_EVIDENCE."""

from __future__ import annotations

import math

import pytest

from retrieval.answerability import DEFAULT_ANSWERABILITY, AnswerabilityWeights, QuoteSignals, answerability


def signals(
    coverage: float = 0.5, similarity: float = 0.5, passage: float = 0.5, margin: float = 0.2
) -> QuoteSignals:
    return QuoteSignals(coverage=coverage, similarity=similarity, passage_coverage=passage, margin=margin)


def test_hand_computed_logistic() -> None:
    weights = AnswerabilityWeights(coverage=2.0, similarity=1.0, passage_coverage=0.5, margin=3.0, bias=-1.0)
    expected = 1 / (1 + math.exp(-(1.6 + 0.7 + 0.25 + 0.6 - 1.0)))
    assert answerability(signals(0.8, 0.7, 0.5, 0.2), weights) == pytest.approx(expected)


def test_a_quote_that_holds_the_question_scores_above_an_unrelated_one() -> None:
    assert answerability(signals(0.8, 0.75, 0.9, 0.5)) > 0.5 > answerability(signals(0.0, 0.1, 0.1, 0.0))


def test_what_points_at_the_answer_raises_the_score() -> None:
    """Similarity, the passage's coverage and a clear margin each make answering likelier."""
    base = answerability(signals())
    assert answerability(signals(similarity=0.7)) > base
    assert answerability(signals(passage=0.8)) > base
    assert answerability(signals(margin=0.6)) > base
    # The quote's own coverage leans the other way once its passage's is known (an echo of
    # the question with nothing around it), but only slightly: never more than the passage's.
    assert DEFAULT_ANSWERABILITY.coverage < 0 < DEFAULT_ANSWERABILITY.passage_coverage
    assert abs(DEFAULT_ANSWERABILITY.coverage) < DEFAULT_ANSWERABILITY.passage_coverage
    assert answerability(signals(coverage=0.8, passage=0.8)) > answerability(
        signals(coverage=0.5, passage=0.5)
    )


def test_extreme_signals_do_not_overflow() -> None:
    low, high = signals(0.0, -1e6, -1e6, -1e6), signals(0.0, 1e6, 1e6, 1e6)
    assert answerability(low) == pytest.approx(0.0) and answerability(high) == pytest.approx(1.0)
