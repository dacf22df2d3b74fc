"""Unheard words (`retrieval.unheard`): the question's words no chunk searched uses, over
the real BM25 index's words, and what they do to answerability."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from retrieval.answerability import DEFAULT_ANSWERABILITY, QuoteSignals, answerability
from retrieval.lexical import LexicalIndex
from retrieval.library_words import ScopedWords
from retrieval.unheard import inflections, unheard_share

TEXTS = {
    1: "Wax rubbed on to the skis prevents the snow from sticking to them.",
    2: "Duck is the common name for numerous species of waterfowl. The city lies by the lake.",
    4: "Bismarck was influenced by his neighbours.",
    3: "Möngke Khan died in 1259 during the siege of Diaoyu Castle.",
}


def library(ids: list[int] | None = None) -> ScopedWords:
    index = LexicalIndex()
    index.sync(TEXTS, fetch=lambda ids: {i: TEXTS[i] for i in ids}, existing=lambda: list(TEXTS))
    return index.words_within(np.array(ids if ids is not None else list(TEXTS)))


def flat(word: str) -> float:
    return 1.0


def test_a_word_no_document_uses_is_unheard() -> None:
    # wax, snowboard: one of the two content words is unheard.
    assert unheard_share("How do you wax a snowboard?", library(), flat) == pytest.approx(0.5)
    assert unheard_share("How do you wax skis?", library(), flat) == 0.0


def test_the_share_is_weighted_by_rarity() -> None:
    def idf(word: str) -> float:
        return 3.0 if word == "snowboard" else 1.0

    assert unheard_share("How do you wax a snowboard?", library(), idf) == pytest.approx(3.0 / 4.0)


def test_only_the_chunks_searched_count() -> None:
    """A word held only by a document left out of the search (one the person cannot see, or
    the gold paragraph the evaluation removes) is unheard."""
    assert unheard_share("Where do ducks migrate?", library([1, 3]), flat) == pytest.approx(2 / 2)
    assert unheard_share("Where do ducks migrate?", library(), flat) == pytest.approx(1 / 2)  # "migrate"


def test_a_plural_or_singular_of_a_library_word_is_heard() -> None:
    assert unheard_share("Where do ducks migrate?", library(), flat) == pytest.approx(1 / 2)  # "migrate"
    assert unheard_share("Which cities lie by the lake?", library(), flat) == 0.0
    assert unheard_share("Which specie?", library(), flat) == 0.0  # "species"
    assert {"duck", "ducks", "city", "cities"} <= inflections("ducks") | inflections("city")


def test_a_typo_of_a_library_word_is_heard() -> None:
    """A misspelling the respelling left as it was (it stands in the English word list, as
    "bismark" does) names what the library speaks of."""
    assert unheard_share("Who influenced Bismark?", library(), flat) == 0.0
    assert unheard_share("Who influenced Gorbachev?", library(), flat) == pytest.approx(1 / 2)


def test_numbers_and_accents_are_not_unheard() -> None:
    """The word table holds words of letters; a year is never counted unheard, and a word
    written without its accents is heard as the library writes it."""
    assert unheard_share("Where was Mongke in 1259?", library(), flat) == 0.0
    assert unheard_share("Where did Mongke die?", library(), flat) == 0.0  # "died"


def test_words_that_frame_the_question_are_not_unheard() -> None:
    """A comparing question's "difference" names no subject the library should hold."""
    asked = "What is the difference between ducks and waterfowl?"
    assert unheard_share(asked, library(), flat) == 0.0


def test_no_content_word_is_no_signal() -> None:
    assert unheard_share("What is it?", library(), flat) == 0.0


def test_unheard_words_lower_answerability_by_their_weight() -> None:
    quote = QuoteSignals(coverage=0.5, similarity=0.6, passage_coverage=0.6, margin=0.2)
    before, after = answerability(quote), answerability(replace(quote, unheard=0.5))
    assert DEFAULT_ANSWERABILITY.unheard < 0
    logit = math.log(before / (1 - before)) + 0.5 * DEFAULT_ANSWERABILITY.unheard
    assert after == pytest.approx(1 / (1 + math.exp(-logit)))
    # A quote that answers by construction (it spells out the acronym asked about) still does.
    assert answerability(replace(quote, unheard=1.0, long_form=True)) == 1.0
