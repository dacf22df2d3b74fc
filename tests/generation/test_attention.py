"""Attention maps captured during generation: shapes, ranges, spans, storage."""

import itertools
import json

import pytest
import torch

from app.benchmarks.cases import CASES
from generation import AttentionMap, GenerationConfig
from generation.attention import default_layers

EPS = 1e-3  # values are stored rounded to 4 decimals


@pytest.fixture(scope="module")
def answered(engine):
    case = CASES[2]
    config = GenerationConfig(max_new_tokens=20, stop=())
    return engine.answer(case.question, case.passages, config=config), case


def test_one_row_per_answer_token_and_one_column_per_passage(answered, engine):
    answer, case = answered
    amap = answer.attention
    assert amap is not None
    n = len([t for t in answer.token_ids if t not in engine.eos_ids])
    assert len(amap.passage_mass) == len(amap.top_spans) == len(amap.token_spans) == n
    assert all(len(row) == len(case.passages) for row in amap.passage_mass)
    assert amap.layers == default_layers(engine.num_layers)


def test_rows_are_probability_mass_over_the_prompt(answered):
    amap = answered[0].attention
    for row in amap.passage_mass:
        assert all(m >= 0 for m in row)
        assert sum(row) <= 1 + EPS
    # the first answer token (from the prefill's last row) looked at the passages at all
    assert sum(amap.passage_mass[0]) > 0


def test_top_spans_point_inside_their_passage_text(answered):
    answer, case = answered
    for row in answer.attention.top_spans:
        assert 0 < len(row) <= 32
        weights = [w for *_, w in row]
        assert weights == sorted(weights, reverse=True)
        for p, start, end, w in row:
            text = case.passages[p].text
            assert 0 <= start < end <= len(text) and 0 <= w <= 1 + EPS


def test_token_spans_tile_the_answer_text(answered):
    answer, _ = answered
    spans = answer.attention.token_spans
    assert spans[0][0] == 0 and spans[-1][1] == len(answer.text)
    assert all(b == a2 for (_, b), (a2, _) in itertools.pairwise(spans))


def test_round_trip_through_json_is_exact_and_small(answered):
    amap = answered[0].attention
    data = json.loads(json.dumps(amap.to_dict()))
    assert AttentionMap.from_dict(data) == amap
    # 20 tokens x 32 spans: a few KB, fine for a database column
    assert len(json.dumps(amap.to_dict())) < 40_000


def test_capture_does_not_change_the_generated_tokens(engine, answered):
    answer, case = answered
    off = engine.answer(
        case.question,
        case.passages,
        config=GenerationConfig(max_new_tokens=20, stop=(), capture_attention=False),
    )
    assert off.attention is None
    assert off.token_ids == answer.token_ids


def test_custom_layers_and_no_passages(engine):
    config = GenerationConfig(max_new_tokens=4, attention_layers=(0, 29), attention_top_k=5)
    answer = engine.answer("What is 2 + 2?", (), config=config)
    amap = answer.attention
    assert amap.layers == (0, 29)
    assert all(row == () for row in amap.passage_mass)
    assert all(row == () for row in amap.top_spans)


@pytest.mark.parametrize("queries", [1, 5])
@pytest.mark.parametrize("masked", [False, True])
def test_narrow_attention_is_sdpa_for_a_few_queries(queries: int, masked: bool) -> None:
    from generation.attention import narrow_attention

    torch.manual_seed(0)
    heads, kv_heads, keys, dim = 9, 3, 40, 16
    query = torch.randn(1, heads, queries, dim)
    key = torch.randn(1, kv_heads, keys, dim)
    value = torch.randn(1, kv_heads, keys, dim)
    # The last `queries` queries sit at the last key positions and see what precedes them.
    causal = torch.arange(keys)[None, :] <= (keys - queries + torch.arange(queries))[:, None]
    mask = causal.clone()
    if masked:
        mask[:, :3] = False  # e.g. left padding
    expected = torch.nn.functional.scaled_dot_product_attention(
        query,
        key.repeat_interleave(heads // kv_heads, dim=1),
        value.repeat_interleave(heads // kv_heads, dim=1),
        attn_mask=mask[None, None],
        scale=dim**-0.5,
    ).transpose(1, 2)  # (1, Q, H, D)
    out, weights = narrow_attention(
        query, key, value, mask[None, None] if masked or queries > 1 else None, dim**-0.5
    )
    assert out.shape == expected.shape
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    assert weights.shape == (kv_heads, heads // kv_heads, queries, keys)
