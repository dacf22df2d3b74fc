"""BM25 over a list of texts (bm25s), the lexical baseline reported beside dense retrieval.

Plain Python, no ORM. Tokenization: lowercase, words of two or more characters, English
stopwords removed, and Snowball English stemming when PyStemmer is installed (it is not a
dependency of the project; `stemmed` says which way a run went). BEIR's own BM25 figures
come from Elasticsearch's English analyzer, which stems.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def stemmer_name() -> str:
    """Which stemming BM25 uses in this environment (recorded with each run)."""
    return "snowball-english (PyStemmer)" if _stemmer() is not None else "none"


def _stemmer() -> Any:
    try:
        import Stemmer  # PyStemmer, optional
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


class Bm25:
    """A BM25 index over `texts`, ranking their `ids` (Lucene's BM25, k1=1.5, b=0.75)."""

    def __init__(self, ids: Sequence[Any], texts: Sequence[str]) -> None:
        import bm25s

        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        self.ids = list(ids)
        self._stemmer = _stemmer()
        self.stemmed = self._stemmer is not None
        self._bm25s = bm25s
        self._index = bm25s.BM25()
        if self.ids:
            tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=self._stemmer, show_progress=False)
            self._index.index(tokens, show_progress=False)

    def rank(self, queries: Sequence[str], k: int) -> list[list[Any]]:
        """For each query, the ids of the k best-scoring texts, best first (no zero scores)."""
        if not queries:
            return []
        if not self.ids:
            return [[] for _ in queries]
        k = min(k, len(self.ids))
        tokens = self._bm25s.tokenize(
            list(queries), stopwords="en", stemmer=self._stemmer, show_progress=False
        )
        rankings: list[list[Any]] = []
        # A query made only of stopwords has no tokens; bm25s needs at least one per query.
        nonempty = [i for i, ids in enumerate(tokens.ids) if ids]
        results: dict[int, list[Any]] = {i: [] for i in range(len(queries))}
        if nonempty:
            subset = type(tokens)(ids=[tokens.ids[i] for i in nonempty], vocab=tokens.vocab)
            documents, scores = self._index.retrieve(subset, k=k, show_progress=False, n_threads=1)
            for row, i in enumerate(nonempty):
                positive = np.asarray(scores[row]) > 0
                results[i] = [
                    self.ids[int(d)] for d, keep in zip(documents[row], positive, strict=True) if keep
                ]
        for i in range(len(queries)):
            rankings.append(results[i])
        return rankings
