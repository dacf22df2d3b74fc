"""Respelling a question's misspelt words as the library spells them (`retrieval.spelling`),
over the real BM25 index's words (`retrieval.lexical.LexicalIndex.words_within`)."""

from __future__ import annotations

import numpy as np

from retrieval.lexical import LexicalIndex
from retrieval.library_words import ScopedWords
from retrieval.spelling import respell

TEXTS = {
    1: "The education system of Kenya is the 8-4-4 system.",
    2: "Möngke Khan died in 1259 during the siege of Diaoyu Castle.",
    3: "The Nederrijn changes its name and becomes the Lek. The stadium was renovated.",
    4: "A boat crossed the river. The hermit was taken to the coast.",
    5: "A cannon fired at the harbour; the canyon lay beyond.",
}


def indexed(texts: dict[int, str]) -> LexicalIndex:
    index = LexicalIndex()
    index.sync(texts, fetch=lambda ids: {i: texts[i] for i in ids}, existing=lambda: list(texts))
    return index


def library(texts: dict[int, str] = TEXTS) -> ScopedWords:
    """The words of all of `texts`."""
    return indexed(texts).words_within(np.array(list(texts)))


def test_a_typo_is_respelt_as_the_library_spells_it() -> None:
    index = library()
    assert respell("What is the edcuation system currently?", index) == (
        "What is the education system currently?"
    )
    assert respell("What does the Nederrikn's name change into?", index) == (
        "What does the Nederrijn's name change into?"
    )


def test_a_name_typed_without_its_accents_gets_them() -> None:
    assert respell("When did Mongke Khan die?", library()) == "When did Möngke Khan die?"


def test_words_the_library_or_the_language_knows_are_left_as_typed() -> None:
    index = library()
    # An English word, one edit from the library's "renovated".
    assert respell("Why was the stadium renovate?", index) == "Why was the stadium renovate?"
    # Not English and not held as written: respelt even where BM25 matches its stem.
    assert respell("Which river is the Nederrij?", index) == "Which river is the Nederrijn?"
    # English words, one edit from a library word ("boat", "taken") but not what was meant.
    assert respell("Did they boast about the hermit's waken?", index) == (
        "Did they boast about the hermit's waken?"
    )


def test_only_clear_cases_are_respelt() -> None:
    index = library()
    assert respell("Where is Diaoyu Casle?", index) == "Where is Diaoyu Castle?"
    # "cannyon" is one edit from both "canyon" and "cannon", each held once: no telling which.
    assert respell("What did the cannyon hold?", index) == "What did the cannyon hold?"
    # Short words have too many neighbours ("lek", "lxk").
    assert respell("Is it the Lxk?", index) == "Is it the Lxk?"
    # The first letter is never changed, and codes, numbers and compounds are left alone.
    assert respell("Was it xaken to Lek-Nederrikn or Nederrikn2?", index) == (
        "Was it xaken to Lek-Nederrikn or Nederrikn2?"
    )
    assert respell("Who couldn't cross?", index) == "Who couldn't cross?"


def test_the_most_frequent_neighbour_wins_and_a_swap_first() -> None:
    index = library({1: "The planter was old.", 2: "The plaster was old.", 3: "Plaster again."})
    assert respell("Who made the plaxter?", index) == "Who made the plaster?"
    # "cases" is one letter away from "casues" and more frequent; two letters swapped is the
    # likelier typo.
    cases = library({1: "Smoking causes cancer.", 2: "In most cases.", 3: "Two cases."})
    assert respell("What casues cancer?", cases) == "What causes cancer?"


def test_codes_and_gene_names_are_left_as_written() -> None:
    index = library({1: "The PKC kinase and the apkc gene, in Treg cells; ComYMV is a virus."})
    assert respell("Does aPKCz act on iTregs?", index) == "Does aPKCz act on iTregs?"


def test_the_words_of_a_deleted_chunk_are_forgotten() -> None:
    texts = dict(TEXTS)
    index = indexed(texts)
    assert (
        respell("The edcuation system", index.words_within(np.array(list(texts)))) == "The education system"
    )
    del texts[1]
    index.sync([6], fetch=lambda ids: {6: "Another chunk."}, existing=lambda: [*texts, 6])
    words = index.words_within(np.array([*texts, 6, 1]))
    assert words.frequency("education") == 0
    assert respell("The edcuation system", words) == "The edcuation system"


def test_only_the_words_of_chunks_one_may_search_are_respellings() -> None:
    index = indexed(TEXTS)
    # Chunk 1 ("education") and chunk 2 ("Möngke") are someone else's: their words would
    # tell that they are there.
    mine = index.words_within(np.array([3, 4, 5]))
    assert respell("The edcuation of Mongke", mine) == "The edcuation of Mongke"
    assert respell("The Nederrikn", mine) == "The Nederrijn"
