"""One real engine per test session: the default SmolLM2-135M GGUF, converted once into
$GROUNDWORK_MODEL_CACHE (default var/model-cache), float32 so that greedy equality with
`model.generate` is a property of the code, not of rounding luck."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded while testing

import pytest

from app.benchmarks.cases import CASES
from generation import Engine, EngineSettings, Passage, get_engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return get_engine(EngineSettings(dtype="float32", threads=2))


@pytest.fixture(scope="session")
def tokenizer(engine: Engine):
    return engine.tokenizer


@pytest.fixture
def passages() -> tuple[Passage, ...]:
    return CASES[1].passages
