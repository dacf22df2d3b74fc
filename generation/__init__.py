"""Grounded answer generation: prompt, decode loop with KV reuse, citations, attention maps.

Plain Python over torch + transformers; never imports Django, Celery or the app.
"""

from importlib import import_module
from typing import Any

# Names are imported on first use (PEP 562): `from generation.types import Passage` must not
# pay for torch and transformers, which only the engine needs.
_WHERE = {
    "AttentionMap": "attention_map",
    "Engine": "engine",
    "EngineSettings": "engine",
    "get_engine": "engine",
    "ModelSource": "loading",
    "default_cache_dir": "loading",
    "default_model_source": "loading",
    "Prompt": "prompt",
    "PromptTokenizationError": "prompt",
    "PromptTooLong": "prompt",
    "Answer": "types",
    "Citation": "types",
    "Event": "types",
    "GenerationConfig": "types",
    "GenerationStats": "types",
    "Passage": "types",
    "TokenEvent": "types",
    "Turn": "types",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'generation' has no attribute {name!r}")
    return getattr(import_module(f"generation.{_WHERE[name]}"), name)


__all__ = [
    "Answer",
    "AttentionMap",
    "Citation",
    "Engine",
    "EngineSettings",
    "Event",
    "GenerationConfig",
    "GenerationStats",
    "ModelSource",
    "Passage",
    "Prompt",
    "PromptTokenizationError",
    "PromptTooLong",
    "TokenEvent",
    "Turn",
    "default_cache_dir",
    "default_model_source",
    "get_engine",
]
