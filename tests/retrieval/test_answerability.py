"""The answerability score abstention compares with ANSWER_MIN_EVIDENCE."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from retrieval.answerability import (
    DEFAULT_ANSWERABILITY,
    QUOTES_JUDGED,
    AnswerabilityWeights,
    QuoteSignals,
    answerability,
    best_answerability,
)


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


def test_the_answer_is_judged_by_the_best_of_its_first_quotes() -> None:
    """A weak top quote does not abstain when a quote shown beside it answers; quotes past
    the first QUOTES_JUDGED are not shown by default and do not count."""
    weak, strong = signals(0.0, 0.1, 0.1, 0.6), signals(0.8, 0.75, 0.9, 0.5)
    assert best_answerability([]) is None
    assert best_answerability([weak]) == answerability(weak)
    assert best_answerability([weak, strong]) == answerability(strong)
    assert best_answerability([weak] * QUOTES_JUDGED + [strong]) == answerability(weak)


def test_a_quote_below_the_top_is_no_clearer_a_pick_than_the_top() -> None:
    """Its margin counts up to the top quote's: the second of two close sentences on another
    subject, far above an unrelated third, must not answer for them."""
    top = signals(0.0, 0.55, 0.0, 0.12)
    second = signals(0.0, 0.49, 0.0, 1.16)  # its margin is over the unrelated third
    best = best_answerability([top, second])
    assert best == pytest.approx(max(answerability(top), answerability(signals(0.0, 0.49, 0.0, 0.12))))
    assert best is not None and best < 0.3 < answerability(second)


def test_a_quote_without_a_number_cannot_say_how_many() -> None:
    """However close it reads, a quote with no number does not answer "How many…?"; the
    answer abstains unless another shown quote can."""
    close = signals(0.8, 0.75, 0.9, 0.5)
    counted = replace(close, lacks_quantity=True)
    assert answerability(counted) == 0.0 < 0.5 < answerability(close)
    assert best_answerability([counted, close]) == answerability(close)
