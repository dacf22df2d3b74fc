"""Grounded answer generation: prompt, decode loop with KV reuse, citations, attention maps.

Plain Python over torch + transformers; never imports Django, Celery or the app.
"""

from generation.attention import AttentionMap
from generation.engine import Engine, EngineSettings, get_engine
from generation.loading import ModelSource, default_cache_dir, default_model_source
from generation.prompt import Prompt, PromptTokenizationError, PromptTooLong
from generation.types import (
    Answer,
    Citation,
    Event,
    GenerationConfig,
    GenerationStats,
    Passage,
    TokenEvent,
    Turn,
)

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
