"""Rewriting one member of a ZIP-based file (DOCX, EPUB, PPTX, XLSX) for a test: a damaged
part, an entity bomb, a missing element."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable


def rewritten(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """``data`` with the archive member ``name`` rewritten by ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info)
            archive.writestr(info.filename, change(body) if info.filename == name else body)
    return buffer.getvalue()
