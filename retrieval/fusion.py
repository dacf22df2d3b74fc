"""Reciprocal rank fusion: several rankings of the same items made into one.

Cormack et al. (2009): an item scores the sum of 1 / (k + rank) over the rankings it appears
in (rank from 1); k = 60 damps the top ranks so that no single ranking dominates. Robust, not
tuned: it needs no score calibration between, say, BM25 and cosine similarity.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[T]], k: int = 60) -> list[T]:
    """The items of all rankings (each best first), best first; ties keep first appearance."""
    scores: dict[T, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])  # stable: ties stay in insertion order
