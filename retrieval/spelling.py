"""A question's misspelt words, respelt as the library spells them.

A word the library does not hold matches nothing: BM25 has no posting for it, the encoder
reads an unknown string, and abstention counts it as a rare question word that no quote
covers. So a typo ("edcuation", "Nederrikn") or a name typed without its accents ("Mongke"
for "Möngke") made answerable questions abstain or quote the wrong passage. People type
like that: 243 of SQuAD dev's 10,570 questions have such a word (docs/evaluation.md).

A word is respelt only when all of these hold:
- the library does not hold it as written (one with its stem is not enough: BM25 would
  match "Skerryvor" to "Skerryvore", but the quotes' coverage of the question counts words
  as written);
- it is not an English word (`is_english`: pyspellchecker's list of 160k words): "boast",
  "usurp" or "telnet" may be missing from a library and still be what the person meant, and
  the library's nearest word ("boat", "usury", "telenet") is then another word;
- it has at least MIN_LETTERS letters and no apostrophe ("couldn't"; a possessive "'s" is
  kept and the word before it respelt);
- it has no capital but the first: "ComYMV", "iTregs" or "aPKCz" are codes and names of
  genes, written as their authors write them.
It becomes the library word that reads the same without accents, else the library word one
edit away (a letter left out, added, changed, or two neighbours swapped; the first letter
is never changed: people rarely mistype it, and names differ there) held by the most
chunks, when one is held by more chunks than the others. Two neighbours swapped is the
commonest typo, so such a word wins over the other edits: "casues" is "causes", though
"cases" is one letter away too and more frequent. It keeps the case of the original's
first letter.

Plain Python; the library's words come through `LibraryWords`: `retrieval.library_words`,
counted over the chunks the person may search, so a respelling never reveals a word of a
document they cannot see.
"""

from __future__ import annotations

import functools
import re
from typing import Protocol

MIN_LETTERS = 5  # shorter words have too many neighbours one edit away to pick one
# A word of letters, apostrophes within; not a piece of a code, a number or a compound
# ("Covid19", "BM25", "Lucene-BM25"): those are left as they are.
_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]+(?:['’][^\W\d_]+)*(?![\w'’-])")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class LibraryWords(Protocol):
    """The words of the chunks a question is asked of (lower case)."""

    def frequency(self, word: str) -> int:
        """How many chunks hold exactly this word."""
        ...

    def accented(self, word: str) -> str | None:
        """The library's word that reads as `word` without its accents (the most frequent)."""
        ...


@functools.cache
def _english_words() -> frozenset[str]:
    # Loaded once, by the web process's warm-up: 160k words, ~20 MB.
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.keys())


def is_english(word: str) -> bool:
    """The (lower-case) word is in pyspellchecker's English word list."""
    return word in _english_words()


def swapped(word: str) -> set[str]:
    """Every string that is `word` with two neighbouring letters swapped, but the first."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(1, len(word) - 1)} - {word}


def one_edit(word: str) -> set[str]:
    """Every string one edit from `word` (deletion, insertion, substitution, neighbours
    swapped) that keeps its first letter."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *swapped(word),
        *(a + c + b[1:] for a, b in splits if b for c in _LETTERS),
        *(a + c + b for a, b in splits for c in _LETTERS),
    } - {word}


def _most_frequent(candidates: set[str], library: LibraryWords) -> str | None:
    """The candidate held by the most chunks; None when none is held or two tie."""
    held = sorted(((n, w) for w in candidates if (n := library.frequency(w)) > 0), reverse=True)
    if not held or (len(held) > 1 and held[0][0] == held[1][0]):
        return None
    return held[0][1]


def respelling(word: str, library: LibraryWords) -> str | None:
    """The library's spelling of a (lower-case) word the library does not hold, or None
    (see the module's docstring for when)."""
    if library.frequency(word) > 0 or "'" in word or "’" in word:
        return None
    accented = library.accented(word)
    if accented is not None:
        return accented
    if len(word) < MIN_LETTERS or not word.isalpha() or is_english(word):
        return None
    # A tie (no way to tell which was meant) among swaps is not settled by the other edits.
    swaps = swapped(word)
    if any(library.frequency(w) > 0 for w in swaps):
        return _most_frequent(swaps, library)
    return _most_frequent(one_edit(word), library)


def respell(text: str, library: LibraryWords) -> str:
    """`text` with each misspelt word respelt as the library spells it; the rest as it was."""

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        base, possessive = (word[:-2], word[-2:]) if word[-2:] in ("'s", "’s") else (word, "")
        if any(c.isupper() for c in base[1:]):
            return word  # a code or a gene's name ("ComYMV", "iTregs"), as its authors write it
        found = respelling(base.lower(), library)
        if found is None:
            return word
        return (found[:1].upper() + found[1:] if base[:1].isupper() else found) + possessive

    return _WORD.sub(replace, text)
