"""Counting a text's word pieces with the encoder's own tokenizer, for chunking.

Chunk budgets are in the encoder's tokens, so they are measured with its tokenizer: a
private copy of its fast (Rust) backend, which also gives each piece's character offsets.
"""

from __future__ import annotations

import copy
import json
import weakref
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class TokenCounter(Protocol):
    """What chunking needs from a tokenizer; ``token_counter`` adapts a HF fast tokenizer."""

    # True when a text's tokens are the union of its words' tokens (BERT's WordPiece with
    # its whitespace-and-punctuation pre-tokenizer): then a chunk cut between words has
    # exactly the tokens whose offsets it holds, and need not be counted again.
    additive: bool

    def spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """For each text, the character span of each word piece (no special tokens)."""
        ...

    def count(self, texts: Sequence[str]) -> list[int]:
        """For each text, its number of word pieces (no special tokens)."""
        ...


class FastTokenCounter:
    """A HF fast tokenizer's Rust backend, privately copied.

    The copy matters twice: the shared tokenizer carries truncation and padding settings
    (all-MiniLM-L6-v2's tokenizer.json pads and truncates to 128) that would distort
    counts, and the encoder changes those settings on every call, so using it from
    another thread while the encoder runs would race.
    """

    def __init__(self, tokenizer: Any) -> None:
        backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
        if backend is None or not hasattr(backend, "encode_batch"):
            raise TypeError("chunking needs a fast (Rust-backed) tokenizer, which gives offsets")
        self._backend = copy.deepcopy(backend)
        self._backend.no_truncation()
        self._backend.no_padding()
        config = json.loads(self._backend.to_str())
        self.additive = (config.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer" and (
            config.get("model") or {}
        ).get("type") == "WordPiece"

    def spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        encodings = self._backend.encode_batch(list(texts), add_special_tokens=False)
        return [encoding.offsets for encoding in encodings]

    def count(self, texts: Sequence[str]) -> list[int]:
        encodings = self._backend.encode_batch_fast(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]


_counters: weakref.WeakKeyDictionary[Any, FastTokenCounter] = weakref.WeakKeyDictionary()


def token_counter(tokenizer: Any) -> TokenCounter:
    """A TokenCounter for ``tokenizer``: itself if it is one, else a cached FastTokenCounter."""
    if isinstance(tokenizer, TokenCounter):
        return tokenizer
    counter = _counters.get(tokenizer)
    if counter is None:
        counter = _counters[tokenizer] = FastTokenCounter(tokenizer)
    return counter
