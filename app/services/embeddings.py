"""Embeddings with the configured encoder, for the OpenAI-compatible /v1/embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.services.runtime import encoder_name, get_encoder


@dataclass(frozen=True)
class Embeddings:
    vectors: np.ndarray  # (n, dim) float32, unit length: the vectors the index holds
    token_count: int  # encoder tokens over all inputs (before truncation to its window)
    model: str


def embed_texts(texts: Sequence[str]) -> Embeddings:
    """Encode texts exactly as documents are encoded for the index."""
    encoder = get_encoder()
    vectors = encoder.encode(list(texts))
    encoded = encoder.tokenizer(list(texts), add_special_tokens=True)["input_ids"] if texts else []
    return Embeddings(vectors=vectors, token_count=sum(len(ids) for ids in encoded), model=encoder_name())
