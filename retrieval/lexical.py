"""BM25 over chunk texts (bm25s): the lexical half of hybrid retrieval.

Plain Python, no ORM. Tokenization: lower case, words of two or more characters, English
stopwords removed, Snowball English stemming (PyStemmer; BEIR's BM25 figures come from
Elasticsearch's English analyzer, which stems too, and stemming measured +0.024 NDCG@10 on
SciFact). Lucene's BM25 with k1=1.5, b=0.75.

`LexicalIndex` is derived data, like the FAISS file: it holds the tokens of every chunk it
was given and is brought up to date with `sync(ids, fetch)` whenever the caller's source of
truth (the database) holds chunks it has not seen; only the missing texts are fetched and
tokenized, then the index is rebuilt from the cached tokens (bm25s indexes ~100k short
texts a second). Search is restricted to the ids the caller may see.

It also knows the library's words as written (lower case, with their accents), for
respelling a question's misspelt words (`words_within`, `retrieval.library_words`): each
chunk's distinct words are kept as ids into one vocabulary and tabled again at each
rebuild, so a word of a deleted document is forgotten with it.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from retrieval.library_words import ScopedWords, WordTable

# A word as the library's word table holds it (two letters or more, no digits), lower-cased.
SURFACE_WORD = re.compile(r"[^\W\d_]{2,}")


@functools.cache
def _stemmer() -> Any:
    try:
        import Stemmer  # PyStemmer
    except ImportError:  # a requirement, but BM25 still works (worse) without it
        return None
    return Stemmer.Stemmer("english")


def stemmer_name() -> str:
    """Which stemming BM25 uses in this environment (recorded with evaluation runs)."""
    return "snowball-english (PyStemmer)" if _stemmer() is not None else "none"


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    import bm25s

    tokens = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return [list(t) for t in tokens]


class Bm25:
    """A BM25 index over tokenized texts (`tokenize`), ranking their `ids`."""

    def __init__(self, ids: Sequence[Any], tokens: Sequence[list[str]]) -> None:
        import bm25s

        if len(ids) != len(tokens):
            raise ValueError(f"{len(ids)} ids for {len(tokens)} texts")
        self.ids = list(ids)
        self._index = bm25s.BM25()
        if self.ids:
            self._index.index(list(tokens), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """(len(ids),) BM25 score of every text for `query` (zeros when nothing matches)."""
        words = tokenize([query])[0]
        if not self.ids or not words:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._index.get_scores(words), dtype=np.float32)

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[Any, float]]:
        """The k best (id, score) for `query`, best first, zero scores left out.
        `allowed`: a boolean mask over `ids` of what may be returned."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, int((scores > 0).sum()))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in best]


def _ids(words: array) -> np.ndarray:
    return np.frombuffer(words, dtype=np.dtype(f"u{words.itemsize}"))


class LexicalIndex:
    """BM25 over integer chunk ids, kept in step with a source of truth by `sync`."""

    def __init__(self) -> None:
        self._tokens: dict[int, list[str]] = {}
        self._bm25: Bm25 | None = None
        self._position: dict[int, int] = {}
        self._document_frequency: dict[str, int] = {}
        # The words as written: chunk id -> ids of its distinct words in `_vocabulary`.
        self._word_ids: dict[str, int] = {}
        self._vocabulary: list[str] = []
        self._chunk_words: dict[int, array] = {}
        self._words = WordTable([], {}, [], [])
        self._lock = threading.Lock()

    def idf(self, word: str) -> float:
        """How rare a (lower-case) word is across the indexed chunks: log((N+1)/(df+0.5)).
        Evidence ranking weighs question words by it."""
        stemmer = _stemmer()
        term = stemmer.stemWord(word) if stemmer is not None else word
        n = len(self._tokens)
        return math.log((n + 1) / (self._document_frequency.get(term, 0) + 0.5))

    def __len__(self) -> int:
        return len(self._tokens)

    def words_within(self, allowed_ids: np.ndarray) -> ScopedWords:
        """The words as written of the indexed chunks among `allowed_ids`."""
        return self._words.within(allowed_ids)

    def _words_of(self, text: str) -> array:
        ids = self._word_ids
        found = {m.group().lower() for m in SURFACE_WORD.finditer(text)}
        for word in found:
            if word not in ids:
                ids[word] = len(self._vocabulary)
                self._vocabulary.append(word)
        return array("I", sorted(ids[w] for w in found))

    def sync(
        self,
        wanted: Iterable[int],
        fetch: Callable[[list[int]], dict[int, str]],
        existing: Callable[[], Iterable[int]],
    ) -> bool:
        """Make sure every id in `wanted` is indexed. When some are missing, fetch their texts,
        forget ids that no longer `existing()`, and rebuild. Returns whether it rebuilt."""
        with self._lock:
            missing = [i for i in wanted if i not in self._tokens]
            if not missing and self._bm25 is not None:
                return False
            texts = fetch(missing)
            for chunk_id, tokens in zip(texts, tokenize(list(texts.values())), strict=True):
                self._tokens[chunk_id] = tokens
            for chunk_id, text in texts.items():
                self._chunk_words[chunk_id] = self._words_of(text)
            alive = set(existing())
            self._tokens = {i: t for i, t in self._tokens.items() if i in alive}
            self._chunk_words = {i: w for i, w in self._chunk_words.items() if i in alive}
            ids = list(self._tokens)
            self._bm25 = Bm25(ids, [self._tokens[i] for i in ids])
            self._position = {chunk_id: n for n, chunk_id in enumerate(ids)}
            frequency: dict[str, int] = {}
            for tokens in self._tokens.values():
                for term in set(tokens):
                    frequency[term] = frequency.get(term, 0) + 1
            self._document_frequency = frequency
            # One reference swapped whole: a search reading it meanwhile sees the old table.
            self._words = WordTable(
                self._vocabulary, self._word_ids, ids, [_ids(self._chunk_words[i]) for i in ids]
            )
            return True

    def search(self, query: str, k: int, allowed_ids: np.ndarray) -> list[tuple[int, float]]:
        """The k best (chunk id, BM25 score) among `allowed_ids`, best first."""
        bm25 = self._bm25
        if bm25 is None or not len(allowed_ids):
            return []
        mask = np.zeros(len(bm25.ids), dtype=bool)
        positions = [self._position[i] for i in allowed_ids.tolist() if i in self._position]
        mask[positions] = True
        return bm25.top(query, k, mask)
