"""Comparing questions: the two sides, which sentences set them apart, and the order quoted."""

from __future__ import annotations

import pytest

from retrieval.contrast import Sides, compared_sides, contrast_first, differing_sides, mentions, one_side_each
from retrieval.evidence import ScoredSentence, Sentence


@pytest.mark.parametrize(
    ("question", "a", "b"),
    [
        ("What is the difference between prefill and decode?", {"prefill"}, {"decode"}),
        ("What are the differences between dabbling ducks and diving ducks?", {"dabbling"}, {"diving"}),
        ("What was the age difference between Newton and Manning in Super Bowl 50?", {"newton"}, {"manning"}),
        ("How does a KV cache differ from a prefix cache?", {"kv"}, {"prefix"}),
        ("BM25 vs dense retrieval: which is better?", {"bm25"}, {"dense", "retrieval"}),
        ("How was the treatment of Chinese versus Mongols in the Yuan?", {"chinese"}, {"mongol"}),
        ("Compare row permissions with column masks.", {"row", "permission"}, {"column", "mask"}),
    ],
)
def test_the_sides_of_a_comparing_question(question: str, a: set[str], b: set[str]) -> None:
    assert compared_sides(question) == Sides(frozenset(a), frozenset(b))


@pytest.mark.parametrize(
    "question",
    [
        "What do ducks eat?",
        "How many different TV networks broadcast the game?",
        # Sides that only their shared words tell apart, or that are clauses, not things.
        "How are 'un-aided' schools different from 'aided' schools?",
        "What is the term for the difference between what higher paid and lower paid people earn?",
        "How do private schools in Ireland differ from most?",
    ],
)
def test_a_question_that_compares_no_two_things(question: str) -> None:
    assert compared_sides(question) is None


SIDES = Sides(frozenset({"prefill"}), frozenset({"decode"}))


def test_named_together_is_not_set_apart() -> None:
    assert mentions("the prefill/decode loop over a cache", SIDES) == (True, True, False)
    assert mentions("Prefill and decode share the cache.", SIDES) == (True, True, False)
    assert mentions("A decode step reads the weights, and prefill is bound by matmuls.", SIDES) == (
        True,
        True,
        True,
    )
    assert mentions("Prefill runs the prompt in one pass.", SIDES) == (True, False, False)
    assert mentions("Decodes write one token each.", SIDES) == (False, True, False)  # a plural
    rows = compared_sides("What is the difference between row permissions and column masks?")
    assert rows is not None
    assert mentions("implementing the row permissions and column masks", rows) == (True, True, False)
    # A determiner or a count after the conjunction still names the two as one list.
    enabled = "The row permission and the two column masks are enabled, but now you must activate RCAC."
    assert mentions(enabled, rows) == (True, True, False)
    assert mentions("A column mask is a database object.", rows) == (False, True, False)
    assert mentions("A mask hides values.", rows) == (False, True, False), "half the side's words"
    # Three words need two: "earn" alone does not name "lower paid professionals earn".
    three = Sides(frozenset({"higher"}), frozenset({"lower", "professional", "earn"}))
    assert mentions("Teachers with higher education earn more.", three) == (True, False, False)


def scored(*texts: str) -> list[ScoredSentence]:
    return [
        ScoredSentence(Sentence(0, 0, len(t), t), score=1.0 - i / 10, similarity=0.5, coverage=0.5)
        for i, t in enumerate(texts)
    ]


def texts(ranked: list[ScoredSentence]) -> list[str]:
    return [c.sentence.text for c in ranked]


def test_a_sentence_that_sets_the_sides_apart_comes_first_then_one_about_each() -> None:
    ranked = scored(
        "The prefill/decode loop runs over a cache.",
        "Caches are fast.",
        "Decode writes one token per pass.",
        "A decode step reads the weights, and prefill runs matmuls.",
        "Prefill runs the prompt in one pass.",
        "Prefill is the first phase.",
    )
    assert texts(contrast_first(ranked, SIDES, 5)) == [
        "A decode step reads the weights, and prefill runs matmuls.",
        "Decode writes one token per pass.",
        "Prefill runs the prompt in one pass.",
        "The prefill/decode loop runs over a cache.",
        "Caches are fast.",
        "Prefill is the first phase.",  # beyond reach: stays where it was
    ]


def test_one_about_each_side_when_nothing_sets_them_apart() -> None:
    ranked = scored(
        "The prefill/decode loop runs over a cache.",
        "Prefill runs the prompt in one pass.",
        "Decode writes one token per pass.",
    )
    assert texts(contrast_first(ranked, SIDES, 5))[:2] == [
        "Prefill runs the prompt in one pass.",
        "Decode writes one token per pass.",
    ]


def test_the_ranking_stays_when_only_one_side_has_its_own_sentence() -> None:
    ranked = scored("The prefill/decode loop runs over a cache.", "Prefill runs the prompt in one pass.")
    assert contrast_first(ranked, SIDES, 5) == ranked
    far = scored("The prefill/decode loop.", "Caches.", "Prefill runs.", "Decode writes.")
    assert contrast_first(far, SIDES, 2) == far, "the sides' sentences are beyond reach"


@pytest.mark.parametrize(
    ("first", "second", "each"),
    [
        ("Prefill runs the prompt in one pass.", "Decode writes one token per pass.", True),
        ("Decode writes one token per pass.", "Prefill runs the prompt in one pass.", True),
        # The first sets the two apart: it answers alone.
        ("A decode step reads the weights, and prefill runs matmuls.", "Decode writes one token.", False),
        # Both about the same side, or the second about neither.
        ("Prefill runs the prompt in one pass.", "Prefill is the first phase.", False),
        ("Prefill runs the prompt in one pass.", "Caches are fast.", False),
        # The first names the two only as one thing.
        ("The prefill/decode loop runs over a cache.", "Decode writes one token per pass.", False),
    ],
)
def test_an_answer_copies_both_quotes_only_when_each_is_about_one_side(
    first: str, second: str, each: bool
) -> None:
    assert one_side_each(SIDES, first, second) is each


def test_only_a_question_asking_how_two_things_differ_is_answered_about_each() -> None:
    assert differing_sides("What is the difference between prefill and decode?") == SIDES
    assert differing_sides("How does prefill differ from decode?") == SIDES
    assert differing_sides("Compare prefill with decode.") == SIDES
    # Set against each other, but asking for one thing: the sides still order the quotes
    # (`compared_sides`), and the answer copies one.
    question = "How many points did the Broncos score in the last three minutes versus Pittsburgh?"
    assert compared_sides(question) is not None and differing_sides(question) is None
