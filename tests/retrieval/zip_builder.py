"""Rewriting one member of a ZIP-based file (DOCX, EPUB, PPTX, XLSX) for a test: a damaged
part, an entity bomb, a missing element; and the entity bomb itself."""

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


def billion_laughs(root: str) -> str:
    """A DOCTYPE for the element `root` whose entity `&lol9;` expands to a billion "lol"s
    (ten of the entity before it, nine times over): what no parser may expand."""
    before = ["lol", *(f"lol{i}" for i in range(1, 9))]  # the entity each one repeats
    entities = "".join(f'<!ENTITY lol{i} "{f"&{before[i - 1]};" * 10}">' for i in range(1, 10))
    return f'<!DOCTYPE {root} [<!ENTITY lol "lol">{entities}]>'
