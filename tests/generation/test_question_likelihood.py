"""The decoder rerank's score: the question's mean log-probability after each text, from one
packed sequence (each text attending only to itself) whose output head runs only where a
question token is predicted."""

from __future__ import annotations

import pytest
import torch

from generation import Engine

pytestmark = pytest.mark.slow

TEXTS = (
    "Skerryvore: The lighthouse was built by Alan Stevenson between 1838 and 1844.",
    "Skerryvore: It stands on a reef.",
    "Architecture: - generation/ — plain Python: loading the decoder (GGUF converted once and cached), "
    "the prompt and its token budget, the prefill/decode loop over a DynamicCache.",
)
QUESTION = "Who built the Skerryvore lighthouse?"


def _alone(engine: Engine, question: str, text: str) -> float:
    """The same score from the full logits of the text on its own (no batch, no padding)."""
    encode = engine.prompts.encode
    asked = encode(" " + question)
    row = encode(f"Passage: {text}\nA question this passage answers:") + asked
    with torch.no_grad():
        logits = engine.model(input_ids=torch.tensor([row])).logits[0]  # (T, V)
    logprobs = logits[len(row) - len(asked) - 1 : len(row) - 1].float().log_softmax(-1)  # (Q, V)
    return float(logprobs.gather(1, torch.tensor(asked)[:, None]).mean())


def test_the_packed_scores_are_each_texts_own(engine: Engine) -> None:
    packed = engine.question_likelihood(QUESTION, TEXTS)
    alone = [_alone(engine, QUESTION, text) for text in TEXTS]
    assert packed == pytest.approx(alone, abs=2e-3)
    assert packed[0] == max(packed), "the sentence that answers predicts the question best"
    # In reverse order, each text still reads only itself from position 0.
    assert engine.question_likelihood(QUESTION, TEXTS[::-1]) == pytest.approx(alone[::-1], abs=2e-3)
    assert engine.question_likelihood(QUESTION, ()) == []


def test_a_pass_short_enough_for_narrow_attention_scores_alike(engine: Engine) -> None:
    # Under 32 tokens in all, the pass takes the decode steps' attention (generation.attention).
    text = "It stands."
    assert engine.question_likelihood("Who?", (text,)) == pytest.approx(
        [_alone(engine, "Who?", text)], abs=2e-3
    )
