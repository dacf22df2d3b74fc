"""The pure half of matching a chunk by its best sentence (`retrieval.sentence_match`)."""

from __future__ import annotations

import numpy as np

from retrieval.sentence_match import best_sentence, encode_sentences, pack, reorder, unpack


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_pack_round_trips_to_three_decimals() -> None:
    vectors = _unit(np.random.default_rng(0).normal(size=(5, 384)))
    back = unpack(pack(vectors), 384)
    assert back.shape == (5, 384) and back.dtype == np.float32
    np.testing.assert_allclose(back, vectors, atol=1e-3)


def test_unpack_of_nothing_or_damage_is_no_sentences() -> None:
    assert unpack(b"", 384).shape == (0, 384)
    assert unpack(pack(np.ones((2, 384))), 383).shape == (0, 383)  # not a whole number of rows


def test_best_sentence_is_the_highest_cosine_or_the_fallback() -> None:
    query = np.array([1.0, 0.0], dtype=np.float32)
    sentences = np.array([[0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]], dtype=np.float32)
    assert best_sentence(query, sentences, fallback=0.1) == 0.6000000238418579
    assert best_sentence(query, np.zeros((0, 2), dtype=np.float32), fallback=0.1) == 0.1


def test_reorder_by_match_alone() -> None:
    assert reorder(["a", "b", "c"], {"a": 1.0, "b": 1.5, "c": 1.0}, None) == ["b", "a", "c"]


def test_reorder_keeps_bm25_evidence() -> None:
    """Fused with BM25's order: a chunk BM25 ranks first and the sentences second beats one
    the sentences rank first and BM25 never found."""
    match = {"a": 1.2, "b": 1.1, "c": 0.5}
    assert reorder(["a", "b", "c"], match, lexical=["x", "b", "c"]) == ["b", "a", "c"]
    # Candidates BM25 did not find follow in their first-stage order on its side.
    assert reorder(["a", "b", "c"], {"a": 1.0, "b": 1.0, "c": 1.0}, lexical=["c"]) == ["a", "c", "b"]


def test_encode_sentences_packs_each_texts_quotable_sentences_in_order() -> None:
    """One batch for all texts; each text gets its own sentences' rows, a text with no
    quotable sentence (under MIN_WORDS words) gets b""."""
    batches: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        batches.append(texts)
        return _unit(np.array([[len(t), i + 1.0] for i, t in enumerate(texts)]))

    texts = ["The storm came. The scaffolding fell down.", "Results", "Work resumed next summer."]
    packed = encode_sentences(texts, encode)
    assert batches == [["The storm came.", "The scaffolding fell down.", "Work resumed next summer."]]
    expected = encode(batches[0])
    np.testing.assert_allclose(unpack(packed[0], 2), expected[:2], atol=1e-3)
    assert packed[1] == b""
    np.testing.assert_allclose(unpack(packed[2], 2), expected[2:], atol=1e-3)
    assert encode_sentences(["Results"], encode) == [b""]
