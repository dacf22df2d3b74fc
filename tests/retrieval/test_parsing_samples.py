"""Every file in the shared doc-samples folder either parses into a valid document or is
refused with a reason: no other exception, no crash, and the outcome we expect."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import pytest

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import EXTENSIONS, SLIDE_FORMATS, SUPPORTED_FORMATS, parse_document
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import parsed_sample

DOC_SAMPLES = SHARED_DATA / "doc-samples"
SAMPLES = sorted(p for p in DOC_SAMPLES.rglob("*") if p.is_file()) if DOC_SAMPLES.is_dir() else []
# Supported files that are refused all the same, and why.
EXPECTED_REFUSALS = {
    "python-docx/tests/test_files/having-images.docx": "no extractable text: the document holds only images",
}


def assert_valid(doc: ParsedDocument) -> None:
    """The ParsedDocument contract: text, and sections that tile it in order."""
    assert doc.text.strip()
    assert doc.format in SUPPORTED_FORMATS
    assert doc.sections, "a document with text has at least one section"
    assert doc.sections[0].start == 0
    assert doc.sections[-1].end == len(doc.text)
    for before, after in itertools.pairwise(doc.sections):
        assert before.end == after.start
        assert (before.page, before.heading_path) != (after.page, after.heading_path)
    for section in doc.sections:
        assert section.start < section.end
        assert doc.text[section.start : section.end].strip(), "a section holds some text"
        assert all(part == part.strip() and part for part in section.heading_path)
        if doc.format == "pdf" or doc.format in SLIDE_FORMATS:
            assert section.page is not None and 1 <= section.page <= (doc.page_count or 0)
        else:
            assert section.page is None
    assert "\n\n\n" not in doc.text
    assert "\r" not in doc.text and "\x00" not in doc.text
    assert all(paragraph.strip() for paragraph in doc.text.split("\n\n"))
    assert doc.title is None or (doc.title.strip() and "\n" not in doc.title)
    assert all(isinstance(w, str) and w for w in doc.warnings)


def assert_read_or_refused(data: bytes, filename: str) -> None:
    """A damaged file either reads into a valid document or is refused with a reason; nothing
    else escapes."""
    try:
        doc = parse_document(data, filename)
    except ParseError as error:
        assert str(error)
    else:
        assert_valid(doc)


def _sample_id(path: Path) -> str:
    return str(path.relative_to(DOC_SAMPLES))


@needs_shared_data("doc-samples")
@pytest.mark.parametrize("path", SAMPLES, ids=_sample_id)
def test_sample_parses_or_is_refused_with_a_reason(path: Path) -> None:
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged-PDF chatter is expected here
    name = _sample_id(path)
    supported = path.suffix.lower() in EXTENSIONS
    try:
        doc = parsed_sample(path)
    except ParseError as error:
        reason = str(error)
        assert reason.strip()
        if not supported:
            assert reason.startswith("unsupported file type")
            assert "supported: " + ", ".join(SUPPORTED_FORMATS.values()) in reason
        else:
            assert name in EXPECTED_REFUSALS, f"{name} was refused: {reason}"
            assert EXPECTED_REFUSALS[name] in reason
        return
    assert supported, f"{name} has an unsupported extension but parsed"
    assert name not in EXPECTED_REFUSALS
    assert doc.format == EXTENSIONS[path.suffix.lower()]
    assert_valid(doc)


@needs_shared_data("doc-samples")
def test_the_sample_folder_holds_what_the_sweep_expects() -> None:
    # Guards the sweep above against silently testing nothing.
    suffixes = {p.suffix.lower() for p in SAMPLES}
    assert {".pdf", ".docx", ".odt", ".rtf", ".epub", ".html", ".md", ".txt"} <= suffixes
    assert any(suffix not in EXTENSIONS for suffix in suffixes)  # unsupported ones too (LICENSE)
    assert all((DOC_SAMPLES / name).is_file() for name in EXPECTED_REFUSALS)
