"""The library's words as written, and which chunks hold each: what a question's misspelt
words are respelt against (`retrieval.spelling`), counted only over the chunks the person
asking may search. A word held only by documents they cannot see is never a respelling: it
would tell them the word is there.

`LexicalIndex` builds a `WordTable` at each rebuild from each chunk's distinct words, as
ids into one vocabulary that only grows; a word of a deleted chunk is held by no chunk
after that rebuild. Plain Python and numpy.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np


def unaccented(word: str) -> str:
    """The word without combining marks ("möngke" -> "mongke")."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


class WordTable:
    """For each word id, the positions of the chunks that hold it (one sorted run per word:
    a column-major table of chunks x words)."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        word_ids: Mapping[str, int],
        chunk_ids: Sequence[int],
        chunk_words: Sequence[np.ndarray],
    ) -> None:
        # chunk_words[p]: the distinct word ids of the chunk chunk_ids[p]
        ids = np.asarray(chunk_ids, dtype=np.int64)
        self._by_id = np.argsort(ids, kind="stable")  # (n_chunks,) positions in id order
        self._sorted_ids = ids[self._by_id]  # (n_chunks,)
        self._word_ids = word_ids
        self._vocabulary = vocabulary
        n_words = len(vocabulary)
        words = np.concatenate(chunk_words) if chunk_words else np.zeros(0, np.int64)  # (nnz,)
        sizes = [len(w) for w in chunk_words]
        positions = np.repeat(np.arange(len(chunk_words), dtype=np.int32), sizes)  # (nnz,)
        order = np.argsort(words, kind="stable")
        self._chunks = positions[order]  # (nnz,) chunk positions, grouped by word id
        self._start = np.concatenate([[0], np.cumsum(np.bincount(words, minlength=n_words))])  # (n_words+1,)
        # Accented words by their plain form ("mongke" -> ids of "möngke", ...).
        held = np.flatnonzero(np.diff(self._start))
        accented: dict[str, list[int]] = {}
        for at in held.tolist():
            word = vocabulary[at]
            if not word.isascii() and (plain := unaccented(word)) != word:
                accented.setdefault(plain, []).append(at)
        self._accented = accented

    def chunks_holding(self, word: str) -> np.ndarray:
        """Positions of the chunks that hold the (lower-case) word."""
        at = self._word_ids.get(word)
        if at is None or at + 1 >= len(self._start):
            return self._chunks[:0]
        return self._chunks[self._start[at] : self._start[at + 1]]

    def accented_forms(self, plain: str) -> list[str]:
        """The held words that read as `plain` without their accents."""
        return [self._vocabulary[at] for at in self._accented.get(plain, ())]

    def within(self, allowed_ids: np.ndarray) -> ScopedWords:
        """The words of the chunks among `allowed_ids` (chunk ids; others are ignored)."""
        allowed = np.zeros(len(self._sorted_ids), dtype=bool)  # (n_chunks,) by position
        if len(self._sorted_ids):
            ids = np.asarray(allowed_ids, dtype=np.int64)
            at = np.minimum(np.searchsorted(self._sorted_ids, ids), len(self._sorted_ids) - 1)
            indexed = self._sorted_ids[at] == ids
            allowed[self._by_id[at[indexed]]] = True
        return ScopedWords(self, allowed)


class ScopedWords:
    """The words of the chunks one person may search (`retrieval.spelling.LibraryWords`)."""

    def __init__(self, table: WordTable, allowed: np.ndarray) -> None:
        self._table, self._allowed = table, allowed

    def frequency(self, word: str) -> int:
        """How many of these chunks hold exactly this (lower-case) word."""
        return int(self._allowed[self._table.chunks_holding(word)].sum())

    def accented(self, word: str) -> str | None:
        """The most frequent of these chunks' words that reads as `word` without its accents."""
        forms = self._table.accented_forms(word)
        held = sorted(((self.frequency(form), form) for form in forms), reverse=True)
        return held[0][1] if held and held[0][0] > 0 else None


NO_WORDS = WordTable([], {}, [], []).within(np.zeros(0, dtype=np.int64))  # the words of no chunk
