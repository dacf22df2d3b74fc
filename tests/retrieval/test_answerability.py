"""The answerability score abstention compares with ANSWER_MIN_EVIDENCE."""

from __future__ import annotations

import math

import pytest

from retrieval.answerability import DEFAULT_ANSWERABILITY, AnswerabilityWeights, answerability


def test_hand_computed_logistic() -> None:
    weights = AnswerabilityWeights(coverage=2.0, similarity=1.0, bias=-1.0)
    assert answerability(0.8, 0.7, weights) == pytest.approx(1 / (1 + math.exp(-(1.6 + 0.7 - 1.0))))


def test_a_quote_that_holds_the_question_scores_above_an_unrelated_one() -> None:
    assert answerability(0.8, 0.75) > 0.5 > answerability(0.0, 0.1)


def test_both_signals_raise_the_score() -> None:
    """Both default weights are positive: more of either never makes abstaining likelier."""
    assert DEFAULT_ANSWERABILITY.coverage > 0 and DEFAULT_ANSWERABILITY.similarity > 0
    assert answerability(0.6, 0.4) > answerability(0.4, 0.4)
    assert answerability(0.4, 0.6) > answerability(0.4, 0.4)


def test_extreme_signals_do_not_overflow() -> None:
    assert answerability(-1e6, -1e6) == pytest.approx(0.0) and answerability(1e6, 1e6) == pytest.approx(1.0)
