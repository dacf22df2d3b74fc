"""The process's encoder for a model and backend: prepared once at setup (`prepare_encoder`,
run by `manage.py prepare_models`), then loaded once per process (`load_encoder` caches it).

An ONNX backend runs a file exported from the model folder at setup, never at request time.
When setup could not export it, the encoder is torch's, with a warning in the log: slower,
never wrong, and its vectors carry torch's identity so none are mixed with ONNX ones."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from retrieval.encoder import Encoder, EncoderBackend, TorchEncoder, default_encoder_path
from retrieval.onnx_encoder import OnnxEncoder
from retrieval.onnx_export import OnnxPrecision, exported_model, find_exported_model

log = logging.getLogger(__name__)


def onnx_precision(backend: EncoderBackend) -> OnnxPrecision | None:
    """The exported file a backend runs (None: torch runs the model folder itself)."""
    return {"torch": None, "onnx": "float32", "onnx-int8": "int8"}[backend]


def prepare_encoder(name_or_path: str, backend: EncoderBackend, cache_dir: Path) -> Path | None:
    """Export the file `backend` needs into `cache_dir` unless it is there (offline: only the
    local model folder is read). Raises when the export fails; None for torch."""
    precision = onnx_precision(backend)
    if precision is None:
        return None
    return exported_model(name_or_path or default_encoder_path(), precision, cache_dir)


def planned_backend(name_or_path: str, backend: EncoderBackend, cache_dir: Path | None) -> EncoderBackend:
    """The backend `load_encoder` will run: `backend`, or torch when its file was not exported."""
    precision = onnx_precision(backend)
    if precision is None or cache_dir is None:
        return "torch"
    path = name_or_path or default_encoder_path()
    return backend if find_exported_model(path, precision, cache_dir) is not None else "torch"


@functools.cache
def load_encoder(
    name_or_path: str = "",
    batch_size: int = 64,
    backend: EncoderBackend = "torch",
    cache_dir: Path | None = None,
    threads: int = 1,
) -> Encoder:
    """The process-wide encoder for a model name ("" means the packaged default).

    An ONNX backend needs the file `prepare_models` exported into `cache_dir`; when there is
    none (the export failed, or setup never ran) this says so in the log and loads torch,
    whose vectors carry their own identity, so nothing is mixed.
    """
    path = name_or_path or default_encoder_path()
    precision = onnx_precision(backend)
    if precision is not None:
        found = find_exported_model(path, precision, cache_dir) if cache_dir is not None else None
        if found is not None:
            return OnnxEncoder(path, found, backend=backend, batch_size=batch_size, threads=threads)
        log.warning(
            "ENCODER_BACKEND=%s but no ONNX file was exported for %s in %s (run `manage.py "
            "prepare_models`; its output says why an export failed): using torch instead",
            backend,
            path,
            cache_dir,
        )
    return TorchEncoder(path, batch_size=batch_size)
