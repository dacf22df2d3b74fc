"""Macro-enabled files, templates and slide shows read as the document they are a variant of:
the OOXML ones differ only in their main part's content type, the binary ones not at all."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from retrieval.parsing import parse_document

FIXTURES = Path(__file__).parent / "fixtures"
VARIANT_TYPES = {
    "docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
    "dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "dotm": "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    "potx": "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    "potm": "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
    "pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    "ppsx": "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
}
MAIN_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}


def retyped(data: bytes, old: str, new: str) -> bytes:
    """The package with its main part's content type changed, as Word and PowerPoint save a
    macro-enabled file, a template or a slide show."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "[Content_Types].xml":
                assert f'"{old}"'.encode() in body
                body = body.replace(f'"{old}"'.encode(), f'"{new}"'.encode())
            copy.writestr(info, body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("extension", "source"),
    [(e, "doc/ducks.docx") for e in ("docm", "dotx", "dotm")]
    + [(e, "ppt/deck.pptx") for e in ("pptm", "ppsx", "potx", "potm")],
)
def test_an_ooxml_variant_reads_as_its_document(extension: str, source: str) -> None:
    data = (FIXTURES / source).read_bytes()
    kind = source.rsplit(".", 1)[1]
    variant = retyped(data, MAIN_TYPES[kind], VARIANT_TYPES[extension])
    doc, twin = parse_document(variant, f"x.{extension}"), parse_document(data, f"x.{kind}")
    assert (doc.format, doc.text, doc.title, doc.sections) == (kind, twin.text, twin.title, twin.sections)


@pytest.mark.parametrize(
    ("extension", "kind", "data"),
    [
        ("dot", "doc", lambda: (FIXTURES / "doc" / "ducks.doc").read_bytes()),
        ("pps", "ppt", lambda: gzip.decompress((FIXTURES / "ppt" / "deck.ppt.gz").read_bytes())),
        ("pot", "ppt", lambda: gzip.decompress((FIXTURES / "ppt" / "deck.ppt.gz").read_bytes())),
        ("xlt", "xls", lambda: (FIXTURES / "xls" / "budget.xls").read_bytes()),
    ],
)
def test_a_binary_template_or_show_reads_as_its_format(extension: str, kind: str, data) -> None:  # type: ignore[no-untyped-def]
    doc = parse_document(data(), f"x.{extension}")
    assert (doc.format, doc.text) == (kind, parse_document(data(), f"x.{kind}").text)
