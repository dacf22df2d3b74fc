"""Bytes to str for the text formats (TXT, Markdown, HTML) without ever failing on bytes.

Order: a byte-order mark wins; then an encoding the file itself declares (HTML
``<meta charset>``), then strict UTF-8 (what nearly every file is today), then UTF-16
without a BOM (recognizable by its NUL bytes), then cp1252, the usual encoding of old
Windows files, and finally latin-1, which maps every byte and so cannot fail.
"""

from __future__ import annotations

import codecs

from retrieval.document import ParseError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Share of control characters above which a "text" file is really binary.
_BINARY_CONTROL_SHARE = 0.10


def decode_text(data: bytes, *, declared: str | None = None) -> str:
    """Decode ``data``; raise ParseError only when the result is clearly not text."""
    text = _decode(data, declared)
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    if sample and controls / len(sample) > _BINARY_CONTROL_SHARE:
        raise ParseError("file does not look like text (it contains binary data)")
    return text


def _decode(data: bytes, declared: str | None) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if declared:
        try:
            return data.decode(_python_codec(declared))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration is common; fall through to detection
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _python_codec(name: str) -> str:
    name = name.strip().lower()
    # Browsers treat these labels as windows-1252, and so should we.
    return "cp1252" if name in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"} else name


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text that is mostly ASCII has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.4 and even_nuls < 0.05:
        encoding = "utf-16-le"
    elif even_nuls > 0.4 and odd_nuls < 0.05:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None
