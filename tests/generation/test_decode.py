"""The decode loop against `model.generate`: token-for-token equal under greedy decoding,
with no reuse, with the system-prefix KV reused, and with a conversation's KV reused."""

import torch

from app.benchmarks.cases import CASES
from generation import Answer, GenerationConfig, TokenEvent, Turn

N = 24  # new tokens per answer: enough to diverge if anything were off, cheap on 2 cores
GREEDY = GenerationConfig(max_new_tokens=N, stop=(), capture_attention=False)


def reference(engine, prompt_ids, n=N):
    """What transformers' own generate() produces for these ids, greedy."""
    ids = torch.tensor([list(prompt_ids)])
    with torch.no_grad():
        out = engine.model.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False
        )
    return tuple(out[0, ids.shape[1] :].tolist())


def run(engine, prompt, config, key=None):
    events = list(engine.stream_prompt(prompt, config, key))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert all(isinstance(e, TokenEvent) for e in events[:-1])
    assert "".join(e.text for e in events[:-1]) == answer.text
    return answer


def test_greedy_equals_generate_without_and_with_prefix_reuse(engine):
    from dataclasses import replace

    for case in CASES[:2]:
        prompt = engine.build_prompt(case.question, case.passages, max_new_tokens=N)
        expected = reference(engine, prompt.ids)
        plain = run(engine, prompt, replace(GREEDY, reuse_cache=False))
        reused = run(engine, prompt, GREEDY)
        assert plain.stats.reused_prefix_tokens == 0
        assert reused.stats.reuse_source == "system"
        assert reused.stats.reused_prefix_tokens == prompt.prefix_len
        assert plain.token_ids == expected
        assert reused.token_ids == expected
        text = engine.tokenizer.decode(list(expected), skip_special_tokens=True)
        assert reused.text == text


def test_greedy_equals_generate_with_conversation_reuse(engine):
    c1, c2 = CASES[2], CASES[5]
    key = "test-conversation"
    p1 = engine.build_prompt(c1.question, c1.passages, max_new_tokens=N)
    a1 = run(engine, p1, GREEDY, key)
    assert a1.token_ids == reference(engine, p1.ids)

    history = (Turn(c1.question, a1.text, a1.passages),)
    p2 = engine.build_prompt(c2.question, c2.passages, history, max_new_tokens=N)
    assert p2.ids[: len(p1)] == p1.ids
    a2 = run(engine, p2, GREEDY, key)
    assert a2.stats.reuse_source == "conversation"
    # at least the whole first prompt came from the conversation's cache
    assert len(p1) <= a2.stats.reused_prefix_tokens < len(p2)
    assert a2.token_ids == reference(engine, p2.ids)


def test_conversation_reuse_compares_ids_not_text(engine):
    """An answer that re-tokenizes differently only reuses the common id prefix."""
    c1, c2 = CASES[6], CASES[7]
    key = "test-edited-answer"
    p1 = engine.build_prompt(c1.question, c1.passages, max_new_tokens=8)
    a1 = run(engine, p1, GreedyShort := GenerationConfig(max_new_tokens=8, stop=()), key)
    edited = "Edited: " + a1.text  # the stored answer is not what the model produced
    p2 = engine.build_prompt(c2.question, c2.passages, (Turn(c1.question, edited, a1.passages),), 8)
    a2 = run(engine, p2, GreedyShort, key)
    assert a2.stats.reuse_source == "conversation"
    assert a2.stats.reused_prefix_tokens == len(p1)  # the edit starts right after prompt 1
    assert a2.token_ids == reference(engine, p2.ids, 8)


def test_system_prefix_cache_is_unchanged_by_requests(engine):
    before = [(layer.keys.clone(), layer.values.clone()) for layer in engine.prefix.cache.layers]
    ptrs = [layer.keys.data_ptr() for layer in engine.prefix.cache.layers]
    case = CASES[3]
    engine.answer(case.question, case.passages, config=GenerationConfig(max_new_tokens=4))
    after = engine.prefix.cache.layers
    assert engine.prefix.cache.get_seq_length() == len(engine.prefix.ids)
    assert [layer.keys.data_ptr() for layer in after] == ptrs
    for (k, v), layer in zip(before, after, strict=True):
        assert torch.equal(k, layer.keys) and torch.equal(v, layer.values)


def test_finish_reasons(engine):
    case = CASES[0]
    short = engine.answer(case.question, case.passages, config=GenerationConfig(max_new_tokens=3))
    assert short.finish_reason == "length" and len(short.token_ids) == 3
    full = engine.answer(case.question, case.passages, config=GenerationConfig(max_new_tokens=96))
    assert full.finish_reason == "eos" and full.token_ids[-1] in engine.eos_ids
    assert full.stats.generated_tokens == len(full.token_ids)
    # a stop string taken from the greedy answer itself ends it there
    stop = full.text[len(full.text) // 2 :][:6]
    cut = engine.answer(
        case.question, case.passages, config=GenerationConfig(max_new_tokens=96, stop=(stop,))
    )
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.index(stop)]


def test_seeded_sampling_is_reproducible_and_top_p_tiny_is_greedy(engine):
    case = CASES[1]
    hot = GenerationConfig(max_new_tokens=12, temperature=1.0, seed=7, stop=())
    a = engine.answer(case.question, case.passages, config=hot)
    b = engine.answer(case.question, case.passages, config=hot)
    assert a.token_ids == b.token_ids
    nucleus = GenerationConfig(max_new_tokens=12, temperature=1.0, top_p=1e-6, seed=1, stop=())
    greedy = GenerationConfig(max_new_tokens=12, stop=())
    assert (
        engine.answer(case.question, case.passages, config=nucleus).token_ids
        == engine.answer(case.question, case.passages, config=greedy).token_ids
    )
