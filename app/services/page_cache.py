"""Rendered PDF pages and their layouts, kept on disk so a page is rendered once, not per view.

Entries live under `DATA_DIR/page-cache/<document id>/`, named by the file's hash, the page
and what was asked, so a document's entries go with it (`forget`, called when it is deleted)
and a changed file never serves an old page. Writes are atomic (a temporary file, then a
rename): two requests rendering the same page at once both write whole files. The cache is
bounded: past `MAX_BYTES` the least recently used entries are removed.

Nothing here checks permissions: callers read entries only for documents the user may see.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

# A page image is 50-500 KB: this keeps a few thousand pages.
MAX_BYTES = 512 * 1024**2


def _root() -> Path:
    return Path(settings.DATA_DIR) / "page-cache"


def _path(document_id: int, name: str) -> Path:
    return _root() / str(document_id) / name


def read(document_id: int, name: str) -> bytes | None:
    path = _path(document_id, name)
    try:
        data = path.read_bytes()
        os.utime(path)  # recently used: trimmed last
    except OSError:  # absent, or removed by a trim or a delete meanwhile
        return None
    return data


def write(document_id: int, name: str, data: bytes) -> None:
    path = _path(document_id, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", delete=False) as temporary:
        temporary.write(data)
    os.replace(temporary.name, path)
    _trim()


def forget(document_id: int) -> None:
    """Remove every entry of a document (it was deleted)."""
    shutil.rmtree(_root() / str(document_id), ignore_errors=True)


def _trim() -> None:
    entries = []
    for path in _root().glob("*/*"):
        if path.name.startswith("."):  # being written
            continue
        try:
            status = path.stat()
        except OSError:
            continue
        entries.append((status.st_mtime, status.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= MAX_BYTES:
            break
        path.unlink(missing_ok=True)
        total -= size
