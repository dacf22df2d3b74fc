"""The vector index: FAISS inner product over unit vectors, keyed by chunk id, shared on disk.

The database is the source of truth; this file is derived from it and can always be
rebuilt (`manage.py rebuild_index`). Several processes use one index: workers write,
web processes read. The protocol:

* Writers take an exclusive `flock` on `index.lock`, reload the file if another process
  changed it, apply their change, and publish it atomically (write a temp file,
  `os.replace`). Readers never see a half-written file.
* Readers `stat` the file before each search and reload when it was replaced, so a web
  process sees vectors a worker added without a restart.
* The file starts with a one-line JSON header (format version, dimension, encoder name,
  count, CRC-32 of the FAISS bytes); a file that does not match what this process
  expects, whose bytes do not match their checksum (a flipped bit in a vector would
  otherwise be served as a wrong score), or that FAISS cannot read, raises
  `IndexUnavailable`, and the caller rebuilds from the database. The CRC costs about
  0.1 s per 100k vectors of 384 dimensions, once per load, beside reading the file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

FORMAT_VERSION = 2  # 2: the header carries the CRC-32 of the FAISS bytes
INDEX_FILE = "vectors.idx"
LOCK_FILE = "index.lock"


class IndexUnavailable(Exception):
    """The index file is missing, unreadable or built for another encoder: rebuild it."""


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    score: float  # cosine similarity, since vectors are unit length


def _empty(dim: int) -> faiss.IndexIDMap2:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


class VectorIndex:
    """One FAISS index in `directory` for vectors of size `dim` made by `encoder`."""

    def __init__(self, directory: Path, dim: int, encoder: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self.encoder = encoder
        self._index: faiss.IndexIDMap2 | None = None
        self._stamp: tuple[int, int, int] | None = None  # (inode, mtime_ns, size) loaded
        self._lock = threading.RLock()  # guards self._index within this process

    # --- reading ---------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.directory / INDEX_FILE

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _load(self) -> None:
        """Load the published file, or raise IndexUnavailable."""
        stamp = self._file_stamp()
        if stamp is None:
            raise IndexUnavailable(f"no index file at {self.path}")
        try:
            raw = self.path.read_bytes()
            header, _, body = raw.partition(b"\n")
            meta = json.loads(header)
        except (OSError, ValueError) as error:
            raise IndexUnavailable(f"index file unreadable: {error}") from None
        expected = {"format_version": FORMAT_VERSION, "dim": self.dim, "encoder": self.encoder}
        found = {key: meta.get(key) for key in expected}
        if found != expected:
            raise IndexUnavailable(f"index was built as {found}, this process expects {expected}")
        if zlib.crc32(body) != meta.get("crc32"):
            raise IndexUnavailable(f"index file {self.path} is corrupt: its vector data fails the checksum")
        try:
            index = faiss.deserialize_index(np.frombuffer(body, dtype=np.uint8))
        except RuntimeError as error:
            raise IndexUnavailable(f"FAISS cannot read {self.path}: {error}") from None
        if index.d != self.dim or index.ntotal != meta.get("count"):
            raise IndexUnavailable(f"index file disagrees with its header ({index.ntotal} vectors)")
        self._index = faiss.IndexIDMap2(index) if not isinstance(index, faiss.IndexIDMap2) else index
        self._stamp = stamp

    def refresh(self) -> None:
        """Reload if another process published a new file since we last looked."""
        with self._lock:
            if self._index is None or self._file_stamp() != self._stamp:
                self._load()

    def __len__(self) -> int:
        with self._lock:
            self.refresh()
            assert self._index is not None
            return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """All chunk ids in the index, (n,) int64."""
        with self._lock:
            self.refresh()
            assert self._index is not None
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def search(
        self, queries: np.ndarray, top_k: int, allowed_ids: np.ndarray | None = None
    ) -> list[list[Hit]]:
        """(n, dim) unit queries -> for each, up to top_k hits, best first.

        `allowed_ids` limits the search to those chunk ids (a user's documents): FAISS skips
        the others while scanning, so filtering never starves the result of its top_k.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        with self._lock:
            self.refresh()
            assert self._index is not None
            if self._index.ntotal == 0 or top_k <= 0:
                return [[] for _ in range(len(queries))]
            params = None
            if allowed_ids is not None:
                if len(allowed_ids) == 0:
                    return [[] for _ in range(len(queries))]
                allowed = np.ascontiguousarray(allowed_ids, dtype=np.int64)
                params = faiss.SearchParameters()
                params.sel = faiss.IDSelectorBatch(allowed)
            k = min(top_k, self._index.ntotal)
            scores, ids = self._index.search(queries, k, params=params)
        return [
            [Hit(int(i), float(s)) for s, i in zip(row_scores, row_ids, strict=True) if i != -1]
            for row_scores, row_ids in zip(scores, ids, strict=True)
        ]

    # --- writing ---------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[faiss.IndexIDMap2]:
        """Exclusive access across processes to the latest index; publishes on success."""
        with self._lock, open(self.directory / LOCK_FILE, "a+") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                self.refresh()
                assert self._index is not None
                yield self._index
                self._publish(self._index)
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _publish(self, index: faiss.IndexIDMap2) -> None:
        """Write header + FAISS bytes as one file and swap it in atomically."""
        body = faiss.serialize_index(index).tobytes()
        header = {
            "format_version": FORMAT_VERSION,
            "dim": self.dim,
            "encoder": self.encoder,
            "count": int(index.ntotal),
            "crc32": zlib.crc32(body),
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".index-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(json.dumps(header).encode() + b"\n")
                out.write(body)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._stamp = self._file_stamp()

    def update(
        self,
        *,
        remove: np.ndarray | None = None,
        add_ids: np.ndarray | None = None,
        add_vectors: np.ndarray | None = None,
    ) -> None:
        """Remove some chunk ids and add (or replace) others, published as one new file.

        (r,) int64 ids to remove; (n,) int64 ids with (n, dim) float32 vectors to add.
        """
        drop = np.zeros(0, np.int64) if remove is None else np.asarray(remove, dtype=np.int64)
        ids = np.zeros(0, np.int64) if add_ids is None else np.asarray(add_ids, dtype=np.int64)
        vectors = np.zeros((0, self.dim), np.float32) if add_vectors is None else add_vectors
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if len(drop) == 0 and len(ids) == 0:
            return
        with self._writing() as index:
            # Re-adding an id must not leave two copies: a re-run job re-adds its chunks.
            index.remove_ids(faiss.IDSelectorBatch(np.concatenate([drop, ids])))
            if len(ids):
                index.add_with_ids(vectors, np.ascontiguousarray(ids))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.update(add_ids=ids, add_vectors=vectors)

    def remove(self, ids: np.ndarray) -> None:
        self.update(remove=ids)

    def replace_all(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Publish a new index holding exactly these vectors (a rebuild)."""
        index = _empty(self.dim)
        if len(ids):
            index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim),
                np.ascontiguousarray(ids, dtype=np.int64),
            )
        with self._lock, open(self.directory / LOCK_FILE, "a+") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                self._publish(index)
                self._index = index
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
