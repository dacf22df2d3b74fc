"""OLE2 compound files, the container of Office 97-2003 files (.doc, .xls, .ppt): opening one
with xlrd's reader (`compdoc`, which XLS reads through too), telling which Office file it
holds by its streams' names, and the title in its document properties.

xlrd's reader refuses to read one sector twice (it takes that for a damaged file), so each
stream is read once: callers keep what `get_named_stream` returns.
"""

from __future__ import annotations

import codecs
import struct
from typing import Literal

from xlrd import compdoc  # type: ignore[import-untyped]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What reading a damaged OLE2 file and the structures in its streams raises: the container's
# own errors (xlrd's compdoc checks some with assert) and offsets or values out of range.
DAMAGE = (
    compdoc.CompDocError,
    struct.error,
    IndexError,
    ValueError,
    KeyError,
    OverflowError,
    AssertionError,
)
Holds = Literal["doc", "xls", "ppt", "encrypted"]
# The stream each kind of file is known by ("Book": Excel 5/95).
_STREAMS: tuple[tuple[str, Holds], ...] = (
    ("EncryptedPackage", "encrypted"),  # an Office 2007+ file with a password
    ("WordDocument", "doc"),
    ("Workbook", "xls"),
    ("Book", "xls"),
    ("PowerPoint Document", "ppt"),
)


class Discard:
    """xlrd's log: it writes notes on odd sectors and records there, which nobody reads."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def open_compound(data: bytes) -> compdoc.CompDoc:
    """The compound file; raises compdoc.CompDocError when it is damaged."""
    return compdoc.CompDoc(data, logfile=Discard())


def holds(ole: compdoc.CompDoc) -> Holds | None:
    """Which Office file the compound file holds, by its streams; None when none is known."""
    names = {entry.name for entry in ole.dirlist}
    return next((kind for stream, kind in _STREAMS if stream in names), None)


def damage(error: Exception) -> str:
    """A damaged file's error as said in a refusal: its kind and message ("struct.error:
    unpack_from requires…"); xlrd's asserts say nothing of their own."""
    name = "struct.error" if isinstance(error, struct.error) else type(error).__name__
    return f"{name}: {error}" if str(error) else f"{name} in the OLE2 container"


def summary_title(ole: compdoc.CompDoc) -> str | None:
    """The title in the document's properties: PIDSI_TITLE in the SummaryInformation property
    set ([MS-OLEPS]), decoded by the set's own code page. Damaged properties cost only the
    title (None)."""
    try:
        return _summary_title(ole)
    except DAMAGE:
        return None


def _summary_title(ole: compdoc.CompDoc) -> str | None:
    data = ole.get_named_stream("\x05SummaryInformation")
    if not data or len(data) < 48:
        return None
    (section,) = struct.unpack_from("<I", data, 44)  # the first property set's offset
    _, count = struct.unpack_from("<II", data, section)
    pairs = struct.unpack_from(f"<{2 * count}I", data, section + 8)  # (property id, offset) each
    offsets = dict(zip(pairs[0::2], pairs[1::2], strict=True))
    code_page = 1252
    if 1 in offsets:  # PIDSI_CODEPAGE, a VT_I2
        code_page = struct.unpack_from("<H", data, section + offsets[1] + 4)[0]
    if 2 not in offsets:  # PIDSI_TITLE
        return None
    at = section + offsets[2]
    kind, size = struct.unpack_from("<II", data, at)
    if kind == 0x1F:  # VT_LPWSTR: a count of UTF-16 characters
        return data[at + 8 : at + 8 + 2 * size].decode("utf-16-le", "replace").split("\x00")[0] or None
    if kind != 0x1E:  # VT_LPSTR
        return None
    encoding = {1200: "utf-16-le", 65001: "utf-8"}.get(code_page, f"cp{code_page}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "cp1252"
    return data[at + 8 : at + 8 + size].decode(encoding, "replace").split("\x00")[0] or None
