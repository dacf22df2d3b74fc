"""DOC (Word 97-2003 binary): real files LibreOffice wrote (fixtures/doc/README.md says from
what), read as their DOCX twin reads; the piece table on hand-built bytes; and the refusals."""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import pytest
import xlwt  # type: ignore[import-untyped]
from xlrd import compdoc  # type: ignore[import-untyped]

from retrieval.parsing import parse_document
from retrieval.parsing.doc_structures import PAIR_CLX, Fib, Text, read_pieces, read_styles, sprms
from tests.retrieval.conftest import refusal
from tests.retrieval.test_parsing_samples import assert_read_or_refused, assert_valid

FIXTURES = Path(__file__).parent / "fixtures" / "doc"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_doc_reads_as_the_docx_it_was_saved_from() -> None:
    doc = parse_document(fixture("ducks.doc"), "ducks.doc")
    twin = parse_document(fixture("ducks.docx"), "ducks.docx")
    assert_valid(doc)
    assert doc.format == "doc"
    assert (doc.text, doc.title) == (twin.text, twin.title)
    assert [(s.start, s.end, s.heading_path) for s in doc.sections] == [
        (s.start, s.end, s.heading_path) for s in twin.sections
    ]
    assert doc.tables == twin.tables
    assert "- Seeds and grain\n\n- Aquatic plants\n\n- First step" in doc.text  # list styles
    assert "Café owners in Zürich feed them — sometimes." in doc.text


def test_notes_fields_tables_text_boxes_and_tracked_changes() -> None:
    doc = parse_document(fixture("rich.doc"), "rich.doc")
    assert_valid(doc)
    paragraphs = doc.text.split("\n\n")
    # The title from the document's properties; the footnote's mark numbered where it is;
    # the hyperlink field read as its result; the tracked deletion ("removed words") not read.
    assert doc.title == "Skerryvore lighthouse notes"
    assert paragraphs[:2] == [
        "Skerryvore",
        "The lighthouse was built in 1844[1] by Alan Stevenson. See the survey page for maps.",
    ]
    assert "Granite came from Mull.\nWork began in 1838." in paragraphs  # a line break
    # A header row marked to repeat; a cell's two paragraphs and a nested table in one cell.
    table = "Year | Event\n1838 | Work began on the rock\n1844 | inner a inner b"
    assert table in paragraphs
    (rows,) = doc.tables
    assert [doc.text[r.start : r.end] for r in rows.rows if r.header] == ["Year | Event"]
    assert [p for p in paragraphs if p.startswith("- ")] == ["- first item", "- second item"]
    assert "Ελληνικά και 日本語 text, a non-breaking-hyphen and café." in paragraphs
    # The text box after the body, under no heading; the notes last, footnotes then endnotes.
    assert paragraphs[-4:] == [
        "A sidebar: the tower is 48 m tall.",
        "Notes",
        "[1] Stevenson's account, 1848.",
        "[2] An endnote about keepers.",
    ]
    assert "After the table, a page follows.[2]" in paragraphs
    sidebar = doc.text.index("A sidebar")
    assert next(s for s in doc.sections if s.start <= sidebar < s.end).heading_path == ()
    for unread in ("removed words", "Running header", "Page footer", "HYPERLINK", "example.org"):
        assert unread not in doc.text


def test_hidden_text_is_not_read() -> None:
    assert parse_document(fixture("hidden.doc"), "hidden.doc").text == "Shown before shown after."


def test_pieces_stored_as_cp1252_and_as_utf16_read_in_order() -> None:
    # Two pieces: "Café " as one byte a character at 0x100, "日本\r" as UTF-16 at 0x200.
    stream = bytearray(0x300)
    stream[0x100:0x105] = "Café ".encode("cp1252")
    stream[0x200:0x206] = "日本\r".encode("utf-16-le")
    plc = struct.pack("<3I", 0, 5, 8) + struct.pack("<HIH", 0, 0x40000000 | 0x200, 0)
    plc += struct.pack("<HIH", 0, 0x200, 0)
    modifiers = b"\x01" + struct.pack("<h", 3) + b"\x00\x00\x00"  # a Prc first, skipped
    clx = modifiers + b"\x02" + struct.pack("<I", len(plc)) + plc
    pairs = (*((0, 0) for _ in range(PAIR_CLX)), (0, len(clx)))
    fib = Fib(version=0xC1, encrypted=False, table_stream="1Table", story_lengths={}, pairs=pairs)
    text = Text(bytes(stream), read_pieces(clx, fib))
    assert text.read(0, 8) == "Café 日本\r"
    assert text.read(3, 7) == "é 日本"
    assert [text.fc(cp) for cp in (0, 4, 5, 7, 8)] == [0x100, 0x104, 0x200, 0x204, -1]


def test_property_modifiers_are_sized_by_their_kind() -> None:
    table_definition = struct.pack("<HH", 0xD608, 4) + b"abc"  # sprmTDefTable: a 2-byte size
    grpprl = struct.pack("<HB", 0x2416, 1) + table_definition + struct.pack("<Hh", 0x460B, 3)
    grpprl += struct.pack("<HB", 0xC615, 2) + b"xy"  # a variable operand: a size byte first
    assert list(sprms(grpprl)) == [
        (0x2416, b"\x01"),
        (0xD608, struct.pack("<H", 4) + b"abc"),
        (0x460B, struct.pack("<h", 3)),
        (0xC615, b"\x02xy"),
    ]
    assert list(sprms(struct.pack("<H", 0x6649) + b"\x01")) == []  # cut short: nothing made up


def word_document_at(data: bytes) -> int:
    """Where the WordDocument stream (its FIB) starts in the file."""
    _, at, _ = compdoc.CompDoc(data, logfile=io.StringIO()).locate_named_stream("WordDocument")
    assert data[at : at + 2] == b"\xec\xa5"
    return int(at)


def patched(data: bytes, offset: int, value: bytes) -> bytes:
    at = word_document_at(data) + offset
    return data[:at] + value + data[at + len(value) :]


def test_refusals_say_what_the_file_is() -> None:
    data = fixture("ducks.doc")
    (flags,) = struct.unpack_from("<H", data, word_document_at(data) + 10)
    encrypted = patched(data, 10, struct.pack("<H", flags | 0x0100))
    assert refusal(encrypted, "ducks.doc").startswith("the document is password-protected")
    word95 = patched(data, 2, struct.pack("<H", 104))
    assert refusal(word95, "ducks.doc").startswith("this is a Word 6.0/95 document")
    book = xlwt.Workbook()
    book.add_sheet("Costs").write(0, 0, "Rent")
    buffer = io.BytesIO()
    book.save(buffer)
    assert (
        refusal(buffer.getvalue(), "costs.doc")
        == "this is an Excel 97-2003 workbook named .doc: rename it to .xls"
    )
    assert refusal(b"Minutes of the meeting\nAll present.", "minutes.doc") == (
        "this is a text file named .doc: rename it to .txt"
    )
    assert "save it as .docx" in refusal(b"\x31\xbe\x00\x00\x00\xab" + bytes(200), "old.doc")  # Word for DOS
    not_word = patched(data, 0, b"\x00\x00")
    assert refusal(not_word, "ducks.doc").startswith("not a readable Word 97-2003 document (ValueError")


def test_damaged_files_are_refused_with_a_reason_or_read() -> None:
    data = fixture("rich.doc")
    assert refusal(data[: len(data) // 2], "rich.doc").startswith("not a readable Word 97-2003 document")
    rng = random.Random(7)
    start = word_document_at(data)
    for _ in range(60):
        mangled = bytearray(data)
        for _ in range(6):
            # Within the FIB and the text, where a flipped byte reaches the reader, not compdoc.
            mangled[rng.randrange(start, start + 2048)] = rng.randrange(256)
        assert_read_or_refused(bytes(mangled), "rich.doc")


def test_a_doc_over_the_bound_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.parsing import doc

    monkeypatch.setattr(doc, "MAX_BYTES", 10_000)
    assert refusal(fixture("ducks.doc"), "ducks.doc").startswith("DOC is larger than the server's limit")


def stylesheet(count: int) -> bytes:
    """A stylesheet of `count` paragraph styles, each based on the one before; the first has
    outline level 0 (a level-1 heading)."""
    header = struct.pack("<HHH", 4, count, 10)  # cbStshi, then cstd and cbSTDBaseInFile
    entries = []
    for istd in range(count):
        base = 0xFFF if istd == 0 else istd - 1
        std = struct.pack("<HHHHH", 0xFFE, 1 | base << 4, 2, 0, 0)  # a user's paragraph style
        std += struct.pack("<H", 1) + "s".encode("utf-16-le") + b"\x00\x00"  # its name, "s"
        grpprl = struct.pack("<HB", 0x2640, 0) if istd == 0 else b""
        std += struct.pack("<HH", 2 + len(grpprl), istd) + grpprl
        std += b"\x00" * (len(std) % 2) + struct.pack("<H", 0)  # padding, then an empty UpxChpx
        entries.append(struct.pack("<H", len(std)) + std)
    return header + b"".join(entries)


def test_a_style_inherits_its_bases_outline_level_down_a_long_chain() -> None:
    # 4,000 styles each based on the one before (istdBase has 12 bits): each is resolved once.
    stsh = stylesheet(4000)
    fib = Fib(
        version=0xC1, encrypted=False, table_stream="1Table", story_lengths={}, pairs=((0, 0), (0, len(stsh)))
    )
    styles = read_styles(stsh, fib)
    assert len(styles) == 4000
    assert {style.paragraph.outline_level for style in styles.values()} == {0}
    assert styles[3999].paragraph.style == 3999 and styles[3999].base == 3998
