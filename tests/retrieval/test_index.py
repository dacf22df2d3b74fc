"""The FAISS index: keyed by chunk id, persisted, shared between processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval.index import IndexUnavailable, VectorIndex

REPO = Path(__file__).resolve().parents[2]
DIM = 8


def _unit(rows: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def index(tmp_path: Path) -> VectorIndex:
    index = VectorIndex(tmp_path, DIM, "test-encoder")
    index.replace_all(np.zeros(0, np.int64), np.zeros((0, DIM), np.float32))
    return index


def test_search_returns_chunk_ids_by_cosine(index: VectorIndex) -> None:
    vectors = _unit(5)
    index.add(np.arange(100, 105), vectors)
    hits = index.search(vectors[2:3], 3)[0]
    assert hits[0].chunk_id == 102 and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_allowed_ids_filter_keeps_top_k(index: VectorIndex) -> None:
    vectors = _unit(50)
    index.add(np.arange(50), vectors)
    allowed = np.array([3, 7, 11, 40])
    hits = index.search(vectors[0:1], 3, allowed_ids=allowed)[0]
    assert len(hits) == 3 and {h.chunk_id for h in hits} <= set(allowed.tolist())
    assert index.search(vectors[0:1], 3, allowed_ids=np.array([], np.int64)) == [[]]


def test_re_adding_an_id_replaces_it(index: VectorIndex) -> None:
    vectors = _unit(2)
    index.add(np.array([1]), vectors[:1])
    index.add(np.array([1]), vectors[1:])
    assert len(index) == 1
    assert index.search(vectors[1:], 1)[0][0].score == pytest.approx(1.0, abs=1e-5)


def test_remove(index: VectorIndex) -> None:
    index.add(np.arange(3), _unit(3))
    index.remove(np.array([1]))
    assert sorted(index.ids().tolist()) == [0, 2]


def test_other_process_sees_changes_without_restart(index: VectorIndex, tmp_path: Path) -> None:
    """A worker process adds vectors; this (web) process's open index sees them."""
    assert len(index) == 0
    script = (
        "import numpy as np; from retrieval.index import VectorIndex;"
        f"i = VectorIndex({str(tmp_path)!r}, {DIM}, 'test-encoder');"
        f"i.add(np.array([7, 8]), np.eye({DIM}, dtype=np.float32)[:2])"
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True, timeout=60)
    assert sorted(index.ids().tolist()) == [7, 8]
    assert index.search(np.eye(DIM, dtype=np.float32)[1:2], 1)[0][0].chunk_id == 8


def test_corrupt_or_foreign_file_is_unavailable(index: VectorIndex, tmp_path: Path) -> None:
    index.add(np.arange(2), _unit(2))
    with pytest.raises(IndexUnavailable):
        VectorIndex(tmp_path, DIM, "another-encoder").refresh()
    with pytest.raises(IndexUnavailable):
        VectorIndex(tmp_path, DIM * 2, "test-encoder").refresh()
    index.path.write_bytes(b'{"format_version": 1}\ngarbage')
    with pytest.raises(IndexUnavailable):
        index.refresh()
    index.path.unlink()
    with pytest.raises(IndexUnavailable):
        index.refresh()


def _flip_a_vector_byte(path: Path, vector: np.ndarray) -> None:
    """Change one byte inside the stored copy of `vector`, as a bad disk block would."""
    raw = bytearray(path.read_bytes())
    at = raw.find(vector.astype(np.float32).tobytes())
    assert at > raw.find(b"\n") > 0, "the vector's bytes are in the FAISS body"
    raw[at + 3] ^= 0x40  # the exponent byte of the first float: a wildly wrong score
    path.write_bytes(bytes(raw))


def test_a_flipped_byte_in_the_vectors_fails_the_checksum(index: VectorIndex, tmp_path: Path) -> None:
    vectors = _unit(3)
    index.add(np.arange(3), vectors)
    _flip_a_vector_byte(index.path, vectors[1])
    with pytest.raises(IndexUnavailable, match="checksum"):
        VectorIndex(tmp_path, DIM, "test-encoder").refresh()
    with pytest.raises(IndexUnavailable, match="checksum"):
        index.refresh()  # the open index sees the file changed and reloads it
