"""Chunks matched by their best sentence, not only by their average.

A chunk's vector is the mean of its words' meaning over a paragraph or more; a question is
usually about one sentence of it, and that sentence's match is diluted by the rest. So every
quotable sentence of a chunk gets its own vector at ingestion (stored with the chunk, float16),
and search reorders its best `SENTENCE_CANDIDATES` by the chunk's cosine plus its best
sentence's cosine, fused with their BM25 order (hybrid) as the first stage fuses.

Measured (docs/evaluation.md): through the product on SQuAD dev (the reported 500), hybrid
NDCG@10 0.849 -> 0.875 and the top evidence quote 0.704 -> 0.716; on SciFact, whose 200-token
chunks hold a few sentences each, dense 0.675 -> 0.690 and hybrid unchanged (0.707 -> 0.706).
Offline, over whole paragraphs and abstracts, it had promised more on SciFact (0.714 -> 0.737):
a chunk of a few sentences averages less away than a whole abstract.

Plain Python and numpy: the caller hands in vectors and rankings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from retrieval.evidence import quotable_spans
from retrieval.fusion import reciprocal_rank_fusion

T = TypeVar("T", bound=Hashable)

# How many of the first stage's best chunks are reordered. Offline, 8/12/20/30 gave SQuAD
# recall@4 0.929/0.934/0.940/0.938 and SciFact NDCG@10 0.728/0.734/0.737/0.743; 20 loads
# few enough stored vectors to cost milliseconds.
SENTENCE_CANDIDATES = 20
STORED_DTYPE = np.float16  # a cosine to three decimals is enough to rank; half the bytes


def pack(vectors: np.ndarray) -> bytes:
    """(n, dim) unit vectors as stored in `Chunk.sentence_embeddings`."""
    return np.ascontiguousarray(vectors, dtype=STORED_DTYPE).tobytes()


def unpack(stored: bytes, dim: int) -> np.ndarray:
    """(n, dim) float32 from `pack`; (0, dim) for a chunk stored without them (or damaged)."""
    values = np.frombuffer(stored, dtype=STORED_DTYPE)
    if values.size % dim:
        return np.zeros((0, dim), dtype=np.float32)
    return values.reshape(-1, dim).astype(np.float32)


def encode_sentences(texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> list[bytes]:
    """Each text's quotable sentences (`quotable_spans`) encoded in one batch, packed per text
    (b"" for a text with none): what ingestion stores for each chunk."""
    groups = [[text[s:e] for s, e in quotable_spans(text)] for text in texts]
    flat = [sentence for group in groups for sentence in group]
    if not flat:
        return [b""] * len(texts)
    encoded = encode(flat)  # (len(flat), dim)
    packed, at = [], 0
    for group in groups:
        packed.append(pack(encoded[at : at + len(group)]) if group else b"")
        at += len(group)
    return packed


def best_sentence(query: np.ndarray, sentences: np.ndarray | None, fallback: float) -> float:
    """The highest cosine of `query` (dim,) with any of `sentences` (n, dim); `fallback` (the
    chunk's own cosine) when the chunk has no sentence vectors (None: not computed yet)."""
    return float((sentences @ query).max()) if sentences is not None and len(sentences) else fallback


def reorder(candidates: Sequence[T], match: Mapping[T, float], lexical: Sequence[T] | None) -> list[T]:
    """`candidates` (best first) reordered by `match` (chunk + best sentence cosine), fused by
    reciprocal rank with their order in `lexical` (BM25's ranking; candidates it did not find
    follow in their first-stage order) when given: BM25's evidence is kept, the encoder's is
    sharpened."""
    by_match = sorted(candidates, key=lambda c: -match[c])  # stable: ties keep first-stage order
    if lexical is None:
        return by_match
    wanted = set(candidates)
    found = [c for c in lexical if c in wanted]
    seen = set(found)
    by_lexical = found + [c for c in candidates if c not in seen]
    return reciprocal_rank_fusion([by_match, by_lexical])
