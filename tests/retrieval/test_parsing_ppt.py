"""PPT (PowerPoint 97-2003 binary): a file LibreOffice wrote (fixtures/ppt/README.md) read as
its PPTX twin reads; PowerPoint's own way of keeping placeholder text, on hand-built records;
and the refusals."""

from __future__ import annotations

import gzip
import io
import random
import struct
from pathlib import Path

import pytest
import xlwt  # type: ignore[import-untyped]

from retrieval.parsing import parse_document, ppt
from retrieval.parsing.ppt import Presentation
from retrieval.parsing.ppt_records import Stream, paragraph_bullets
from tests.retrieval.conftest import refusal
from tests.retrieval.test_parsing_samples import assert_read_or_refused, assert_valid

FIXTURES = Path(__file__).parent / "fixtures" / "ppt"


def deck() -> bytes:
    return gzip.decompress((FIXTURES / "deck.ppt.gz").read_bytes())


def test_a_ppt_reads_as_the_pptx_it_was_saved_from() -> None:
    doc = parse_document(deck(), "deck.ppt")
    twin = parse_document((FIXTURES / "deck.pptx").read_bytes(), "deck.pptx")
    assert_valid(doc)
    assert doc.format == "ppt"
    assert (doc.text, doc.title, doc.page_count, doc.sections) == (
        twin.text,
        twin.title,
        twin.page_count,
        twin.sections,
    )
    assert doc.tables == twin.tables
    # Bullets, notes under the slide, a table from a grid of cells, the slide number's "*" not read.
    assert "- The tower is 48 m tall\n\n- Granite came from Mull — café nearby" in doc.text
    assert "Notes\n\nMention the 1844 lamp.\n\nKeepers by year" in doc.text
    assert "Year | Keepers\n1844 | 4\n1900 | 3" in doc.text
    assert "*" not in doc.text


def record(kind: int, data: bytes, instance: int = 0, container: bool = False) -> bytes:
    version = 0xF if container else 0
    return struct.pack("<HHI", version | instance << 4, kind, len(data)) + data


def text(kind: int, chars: str) -> bytes:
    return record(0x0F9F, struct.pack("<I", kind)) + record(0x0FA0, chars.encode("utf-16-le"))


def shape(top: int, left: int, textbox: bytes) -> bytes:
    anchor = record(0xF010, struct.pack("<hhhh", top, left, left + 100, top + 50))
    return record(0xF004, anchor + record(0xF00D, textbox, container=True), container=True)


def test_placeholder_text_kept_in_the_slide_list_is_read_where_its_shape_points() -> None:
    # As PowerPoint writes a slide: its placeholders' text after its SlidePersistAtom in the
    # document's slide list, the shapes pointing to it by index (OutlineTextRefAtom); a text
    # box's own text in its shape. The body is placed above the text box, the title above both.
    persist = record(0x03F3, struct.pack("<IIIII", 1, 0, 2, 256, 0))
    listing = persist + text(0, "Quarterly review") + text(1, "Revenue rose 4%\rCosts fell")
    document = record(0x03E8, record(0x0FF0, listing, instance=0, container=True), container=True)
    shapes = (
        record(0xF004, b"", container=True)  # the group's own shape
        + shape(900, 100, text(4, "Source: finance team"))
        + shape(400, 100, record(0x0F9E, struct.pack("<I", 1)))
        + shape(100, 100, record(0x0F9E, struct.pack("<I", 0)))
    )
    drawing = record(
        0x040C, record(0xF002, record(0xF003, shapes, container=True), container=True), container=True
    )
    slide_atom = record(0x03EF, struct.pack("<IQII", 0, 0, 0x80000000, 0) + b"\x00" * 4)
    slide = record(0x03EE, slide_atom + drawing, container=True)
    directory_at = len(document) + len(slide)
    directory = record(0x1772, struct.pack("<III", 2 << 20 | 0, 0, len(document)))
    edit_at = directory_at + len(directory)
    edit = record(0x0FF5, struct.pack("<IHBBIIIIHH", 0, 0, 0, 3, 0, directory_at, 0, 2, 1, 0))
    presentation = Presentation(Stream(document + slide + directory + edit), edit_at)
    (persist_id, outline), *_ = presentation.slides
    read, center_title = presentation.slide(persist_id, outline)
    assert (read.title, center_title) == ("Quarterly review", False)
    assert read.blocks == ["- Revenue rose 4%", "- Costs fell", "Source: finance team"]


def test_refusals_say_what_the_file_is() -> None:
    data = deck()
    # The Current User stream's header token says the document is encrypted.
    token = struct.pack("<I", 0xE391C05F)
    assert data.count(token) == 1
    encrypted = data.replace(token, struct.pack("<I", 0xF3D1C4DF))
    assert refusal(encrypted, "deck.ppt").startswith("the presentation is password-protected")
    book = xlwt.Workbook()
    book.add_sheet("Costs").write(0, 0, "Rent")
    buffer = io.BytesIO()
    book.save(buffer)
    assert (
        refusal(buffer.getvalue(), "costs.ppt")
        == "this is an Excel 97-2003 workbook named .ppt: rename it to .xls"
    )
    assert "save it as .pptx" in refusal(b"\xd0\xcf\x11\xe0 old OLE file", "slides.ppt")
    assert refusal(data[: len(data) // 3], "deck.ppt").startswith(
        "not a readable PowerPoint 97-2003 presentation"
    )


def test_damaged_files_are_refused_with_a_reason_or_read() -> None:
    data = deck()
    rng = random.Random(5)
    for _ in range(40):
        mangled = bytearray(data)
        for _ in range(8):
            mangled[rng.randrange(512, 40_000)] = rng.randrange(256)
        assert_read_or_refused(bytes(mangled), "deck.ppt")


def test_a_ppt_over_the_bound_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ppt, "MAX_BYTES", 10_000)
    assert refusal(deck(), "deck.ppt").startswith("PPT is larger than the server's limit")


def test_each_paragraph_takes_the_bullet_of_the_run_its_first_character_is_in() -> None:
    # Two runs: 10 characters with a bullet (and tab stops to step over), then the rest without.
    tab_stops = struct.pack("<H", 2) + struct.pack("<HHHH", 100, 0, 200, 0)
    first = struct.pack("<IHIH", 10, 0, 0x100001, 0x1) + tab_stops
    second = struct.pack("<IHIH", 6, 0, 0x1, 0x0)
    style = record(0x0FA1, first + second)
    stream = Stream(style)
    lengths = [5, 5, 6]  # "abcd\r", "efgh\r", "ijklm" and the end
    assert paragraph_bullets(stream, stream.record(0), lengths) == [True, True, False]
    no_say = record(0x0FA1, struct.pack("<IHI", 16, 0, 0x0100) + struct.pack("<H", 50))  # a margin only
    assert paragraph_bullets(Stream(no_say), Stream(no_say).record(0), lengths) == [None, None, None]
