"""The process's heavy objects: encoder, vector index, BM25 index and decoder.

A small registry, one slot per object: `get_*` loads on first use (importing the app never
imports torch, and a `manage.py` command pays only for what it uses), `use_*` installs a
given object (tests hand in a failing engine to see every client report the same error),
`reset_*` forgets it so the next `get_*` loads afresh (tests that point INDEX_DIR elsewhere).
`warm_up` loads them before the first request (gunicorn's post-fork hook, a Celery worker's
process init), so no request pays for a load.

`get_index` is the index to search and write: it reloads a file another process published,
and rebuilds a missing, corrupt or stale one through the rebuilder that the app registers at
start-up (`indexing.rebuild_index`; indexing imports this module, so this one cannot import
it). `get_vector_index` is the raw object, for the rebuild itself.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.conf import settings

from generation.cpu import resolve_dtype
from retrieval.encoder import DEFAULT_ENCODER_NAME, Encoder, EncoderBackend
from retrieval.encoder import encoder_identity as identity_of
from retrieval.encoder_loading import load_encoder, planned_backend
from retrieval.index import IndexUnavailable, VectorIndex
from retrieval.lexical import LexicalIndex
from retrieval.spelling import is_english

if TYPE_CHECKING:
    from generation.engine import EngineSettings
    from generation.types import AnswerEngine

log = logging.getLogger(__name__)

_lock = threading.RLock()
_encoder: Encoder | None = None
_index: VectorIndex | None = None
_lexical: LexicalIndex | None = None
_engine: AnswerEngine | None = None
_index_rebuilder: Callable[[], object] | None = None


@functools.cache
def configure_torch() -> None:
    """Give torch this process's share of the cores (see TORCH_THREADS)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads must not spin
    import torch

    torch.set_num_threads(settings.TORCH_THREADS)


def encoder_name() -> str:
    """The encoder's model, as the API names it (/v1/models, /v1/embeddings)."""
    return settings.ENCODER_MODEL or DEFAULT_ENCODER_NAME


def _backend() -> EncoderBackend:
    return cast(EncoderBackend, settings.ENCODER_BACKEND)  # env_choice checked it at start


def encoder_identity() -> str:
    """What this process's vectors are recorded as made by: the model and its backend. The
    index, each document and evaluation collections carry it; changing ENCODER_MODEL or
    ENCODER_BACKEND forces a rebuild, and documents embedded by another one are re-embedded.

    The loaded encoder's when there is one; before that, the one `get_encoder` will load
    (ENCODER_BACKEND, or torch when setup exported no ONNX file), without loading it.
    """
    encoder = _encoder
    if encoder is not None:
        return identity_of(encoder_name(), encoder.backend)
    backend = planned_backend(settings.ENCODER_MODEL, _backend(), settings.MODEL_CACHE_DIR)
    return identity_of(encoder_name(), backend)


# --- encoder -------------------------------------------------------------------------------------


def get_encoder() -> Encoder:
    global _encoder
    with _lock:
        if _encoder is None:
            configure_torch()
            _encoder = load_encoder(
                settings.ENCODER_MODEL,
                settings.ENCODER_BATCH_SIZE,
                _backend(),
                settings.MODEL_CACHE_DIR,
                settings.TORCH_THREADS,
            )
        return _encoder


def use_encoder(encoder: Encoder | None) -> None:
    global _encoder
    with _lock:
        _encoder = encoder


def reset_encoder() -> None:
    use_encoder(None)


# --- vector index --------------------------------------------------------------------------------


def get_vector_index() -> VectorIndex:
    """The FAISS index of this process for INDEX_DIR, as last loaded (see indexing.get_index)."""
    global _index
    with _lock:
        if _index is None:
            _index = VectorIndex(settings.INDEX_DIR, get_encoder().dim, encoder_identity())
        return _index


def set_index_rebuilder(rebuild: Callable[[], object] | None) -> None:
    """What rebuilds the index from the database (the app config registers it at start-up)."""
    global _index_rebuilder
    _index_rebuilder = rebuild


def get_index() -> VectorIndex:
    """The index, reloaded when another process published a newer file, and rebuilt from the
    database when its file is missing, corrupt or made by another encoder."""
    index = get_vector_index()
    try:
        index.refresh()
    except IndexUnavailable as reason:
        if _index_rebuilder is None:
            raise
        log.warning("rebuilding the vector index from the database: %s", reason)
        _index_rebuilder()
    return index


def reset_index() -> None:
    """Forget the index (and the BM25 index beside it): the next use loads from INDEX_DIR."""
    global _index, _lexical
    with _lock:
        _index = None
        _lexical = None


# --- BM25 ----------------------------------------------------------------------------------------


def get_lexical_index() -> LexicalIndex:
    """The BM25 index of this process; `search.search_chunks` keeps it in step with the database."""
    global _lexical
    with _lock:
        if _lexical is None:
            _lexical = LexicalIndex()
        return _lexical


# --- decoder -------------------------------------------------------------------------------------


def engine_settings() -> EngineSettings:
    from generation.engine import EngineSettings

    return EngineSettings(
        model=settings.GENERATOR_MODEL or None,
        gguf_file=settings.GENERATOR_GGUF_FILE or None,
        cache_dir=settings.MODEL_CACHE_DIR,
        dtype=resolve_dtype(settings.GENERATOR_DTYPE),
        threads=settings.TORCH_THREADS,
        context_tokens=settings.GENERATOR_CONTEXT_TOKENS or None,
    )


def get_engine() -> AnswerEngine:
    """The process-wide decoder (converted from GGUF once, then loaded from MODEL_CACHE_DIR)."""
    global _engine
    with _lock:
        if _engine is None:
            from generation.engine import get_engine as load_engine

            configure_torch()
            _engine = load_engine(engine_settings())
        return _engine


def use_engine(engine: AnswerEngine | None) -> None:
    global _engine
    with _lock:
        _engine = engine


def reset_engine() -> None:
    use_engine(None)


# --- start-up ------------------------------------------------------------------------------------


_warm_state = "cold"  # cold (loads on first use) | warming | ready | failed: <reason>


def loaded() -> dict[str, bool]:
    """Which heavy objects this process has loaded."""
    return {"encoder": _encoder is not None, "engine": _engine is not None}


def warm_state() -> str:
    """For /healthz: `warming` while `warm_up` runs (not ready yet), `ready` after it."""
    return _warm_state


def warm_up(*, engine: bool = True) -> None:
    """Load the encoder (and the decoder) now and run each once, so the first request is as
    fast as the later ones: torch's first forward pass allocates and picks its kernels."""
    global _warm_state
    _warm_state = "warming"
    try:
        get_encoder().encode_query("warm up")
        if engine:
            from generation.types import GenerationConfig, Passage, final_answer

            is_english("warm")  # loads the English word list a misspelt question is read with

            passage = Passage(chunk_id=0, text="Groundwork answers questions.", title="warm-up")
            config = GenerationConfig(max_new_tokens=2, copy_passages=1)
            engine_ = get_engine()
            engine_.question_likelihood("What does it answer?", [passage.text])
            final_answer(engine_.stream("What does it answer?", [passage], (), config, None))
    except Exception as error:  # the process still serves; the first request will load again
        _warm_state = f"failed: {type(error).__name__}: {error}"
        log.exception("warming up the models failed")
        return
    _warm_state = "ready"
    log.info("models loaded and warm")


def warm_up_in_background(*, engine: bool = True) -> threading.Thread:
    """Warm up on a thread of its own, so the process answers /healthz ("warming") meanwhile."""
    thread = threading.Thread(target=warm_up, kwargs={"engine": engine}, name="warm-up", daemon=True)
    thread.start()
    return thread
