"""Unheard words: the question's words that nothing searched ever uses.

"How do you wax a snowboard?" asked of a book on skiing finds quotes about waxing skis; they
share the question's other words, and the quote-level signals of answerability see a near
match. But no document searched says "snowboard" at all, so none of them can say how to wax
one. `unheard_share` is the idf-weighted share of the question's content words that no
chunk searched holds, in any of its simple inflections ("ducks" is heard where the library
says "duck", "die" where it says "died"), nor one edit away from one (a typo; so a short word
is seldom unheard, many words being one edit from it); answerability reads it as a
question-level signal (`retrieval.answerability`).

It is soft, not a rule: a question may use a word its answer paraphrases ("What amount of
time…" over "for 84 hours"). Of 501 SQuAD dev questions outside the reported sample (words
counted over the dataset's paragraphs), 2.0% have an unheard word, and 12% of their twins
asked with the gold paragraph removed.

Words are what the library's word table holds (`retrieval.lexical`: two letters or more, no
digits); a respelt question has its misspelt words respelt before this is asked.

Plain Python.
"""

from __future__ import annotations

from collections.abc import Callable

from retrieval.evidence import content_words
from retrieval.lexical import SURFACE_WORD
from retrieval.spelling import LibraryWords, one_edit

# Words that frame what kind of answer is asked rather than name what it is about: a page
# answers "What is the difference between dabbling ducks and diving ducks?" with a sentence
# on each kind, never saying "difference". Never unheard.
FRAME_WORDS = frozenset(
    str.split(
        "differ differs differed different difference differences compare compared comparison "
        "contrast distinguish mean means meaning purpose example examples kind kinds type types "
        "reason reasons way ways"
    )
)


def inflections(word: str) -> set[str]:
    """The word and its simple inflections, the library's words being as written, not stemmed:
    plural or singular ("duck" / "ducks", "city" / "cities", "box" / "boxes") and past or
    present participle ("die" / "died", "built" stays, "waxing" / "wax", "rule" / "ruling").
    Some are not words ("speciesed"); asked of the library, they are simply not there."""
    forms = {word, word + "s", word + "es", word + "d", word + "ed", word + "ing"}
    if word.endswith("s"):
        forms.add(word[:-1])
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word.endswith("ed"):
        forms |= {word[:-1], word[:-2]}
    if word.endswith("ing"):
        forms |= {word[:-3], word[:-3] + "e"}
    return forms


def unheard_share(question: str, library: LibraryWords, idf: Callable[[str], float]) -> float:
    """The idf-weighted share of the question's content words that no chunk of `library`
    holds in any simple inflection (0 when it asks no content word)."""
    asked = set(content_words(question))

    def heard(word: str) -> bool:
        return any(library.frequency(form) > 0 for form in inflections(word))

    unheard = {
        word
        for word in asked
        if word not in FRAME_WORDS
        and SURFACE_WORD.fullmatch(word)
        and not heard(word)
        and library.accented(word) is None
        # A typo the respelling left as it was ("Bismark" where the library says "Bismarck":
        # it is in the English word list) is a word the library uses, misspelt.
        and not any(heard(near) for near in one_edit(word))
    }
    return sum(idf(w) for w in unheard) / (sum(idf(w) for w in asked) or 1.0)
