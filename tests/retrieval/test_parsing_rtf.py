r"""RTF: text through code pages and \uN, destinations skipped or kept, fields, tables, headings,
lists, notes and the title, and refusals with a reason for files that are not RTF, nested too
deep or too large. Small files are written here by hand; one real file comes from the shared
doc-samples."""

from __future__ import annotations

import random
import time

import pytest

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import detect_format, parse_document, rtf
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import refusal
from tests.retrieval.test_parsing_samples import assert_valid

FAKE_RTF = SHARED_DATA / "doc-samples" / "unstructured" / "example-docs" / "fake-doc.rtf"
HEADER = (
    r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times New Roman;}{\f1\fswiss Arial;}}"
    r"{\colortbl;\red0\green0\blue0;}"
    r"{\stylesheet{\s0 Normal;}{\s1\sbasedon0\snext0\b\fs32 heading 1;}"
    r"{\s2\sbasedon0\snext0\b\fs28 Heading 2;}{\s3\outlinelevel2 Sub Sub;}{\*\cs10 Default Paragraph Font;}}"
)


def make_rtf(body: str, *, info: str = "", header: str = HEADER) -> bytes:
    """An RTF document: ``header`` (font, colour and style tables), ``info``, then ``body``.
    Non-ASCII characters in ``body`` are written as latin-1 bytes (as raw 8-bit text)."""
    return (header + (r"{\info" + info + "}" if info else "") + body + "}").encode("latin-1")


def parse(data: bytes, name: str = "memo.rtf") -> ParsedDocument:
    doc = parse_document(data, name)
    assert_valid(doc)
    return doc


def refused(data: bytes, name: str = "memo.rtf") -> str:
    return refusal(data, name)


def test_rtf_is_a_supported_format() -> None:
    data = make_rtf(r"\pard A short memo.\par")
    assert detect_format("Memo.RTF", data) == "rtf"
    doc = parse(data)
    assert (doc.format, doc.filename, doc.text) == ("rtf", "memo.rtf", "A short memo.")
    assert doc.page_count is None and doc.warnings == ()


@pytest.mark.parametrize(
    "data",
    [b"A text file named .rtf", b"PK\x03\x04 a docx renamed", b"\xd0\xcf\x11\xe0 an old .doc", b" {\\rtf1 }"],
)
def test_a_file_that_is_not_rtf_is_refused(data: bytes) -> None:
    assert refused(data) == r"not an RTF file: it does not start with {\rtf"


def test_hex_escapes_decode_through_the_code_page() -> None:
    body = r"\pard Caf\'e9 \'93quoted\'94 \'80 5\par"
    assert parse(make_rtf(body)).text == "Café “quoted” € 5"
    cyrillic = HEADER.replace(r"\ansicpg1252", r"\ansicpg1251")
    assert parse(make_rtf(r"\pard \'cf\'f0\'e8\'e2\'e5\'f2\par", header=cyrillic)).text == "Привет"
    japanese = HEADER.replace(r"\ansicpg1252", r"\ansicpg932")  # two bytes a character
    assert parse(make_rtf(r"\pard \'93\'fa\'96\'7b\par", header=japanese)).text == "日本"
    mac = HEADER.replace(r"\ansi\ansicpg1252", r"\mac")
    assert parse(make_rtf(r"\pard Caf\'8e\par", header=mac)).text == "Café"
    assert parse(make_rtf("\\pard Raw na\xefve bytes\\par")).text == "Raw naïve bytes"


def test_unicode_escapes_skip_their_stand_ins() -> None:
    body = (
        r"\pard \u8220?quoted\u8221? \u-3971?"  # a negative N is a signed 16-bit unit (U+F07D)
        r"{\uc2 \u26085\'93\'fa\u26412\'96\'7b}"  # two stand-in bytes each
        r"{\uc0 \u955\u956} "
        r"\u55357\'3f\u56832\'3f emoji\par"  # a surrogate pair
    )
    assert parse(make_rtf(body)).text == "“quoted” \uf07d日本λμ 😀 emoji"


def test_symbols_and_special_characters() -> None:
    body = (
        r"\pard A\~B\_C\-D \{braces\} and \\backslash\tab tab\emdash dash\endash"
        r" \lquote x\rquote  \ldblquote y\rdblquote \bullet\line next line\par"
    )
    # The space after a control word ends it and is not text; a second one is. The builder
    # turns the no-break space and the tab into plain spaces.
    expected = (
        "A B-CD {braces} and \\backslash tab\u2014dash\u2013\u2018x\u2019 \u201cy\u201d\u2022\nnext line"
    )
    assert parse(make_rtf(body)).text == expected


def test_non_text_destinations_are_skipped() -> None:
    body = (
        r"{\header \pard Running header\par}{\footer \pard Page footer\par}"
        r"{\*\generator Writer 1.0;}{\*\bkmkstart intro}{\*\unknowndestination lost text}"
        r"\pard Visible{\v  hidden} text{\*\bkmkend intro}.\par"
        r"{\pict\pngblip\picw10\pich10 89504e470d0a1a0a}"
        r"{\pict\wmetafile8 \bin6 }{}{\x} and more\par"  # \bin: raw bytes, braces and all
        r"{\object\objemb{\*\objdata 0102}{\result embedded result}}"
        r"{\xe {\v index entry}}{\tc table of contents entry}"
        r"\pard After the picture.\par"
    )
    assert parse(make_rtf(body)).text == "Visible text.\n\nand more\n\nAfter the picture."


def test_fields_read_as_their_result_never_their_instruction() -> None:
    body = (
        r'\pard See {\field{\*\fldinst {HYPERLINK "https://example.org"}}{\fldrslt {\ul the site}}}'
        r" on page {\field{\fldinst PAGE}{\fldrslt 3}}.\par"
    )
    assert parse(make_rtf(body)).text == "See the site on page 3."


def test_the_title_comes_from_info_else_the_first_heading() -> None:
    body = r"\pard\outlinelevel0 Getting There\par\pard By train.\par"
    info = r"{\title Swiss Resorts in 1913}{\author Ann}{\operator Ann}{\*\company Acme}"
    doc = parse(make_rtf(body, info=info))
    assert doc.title == "Swiss Resorts in 1913"
    assert "Ann" not in doc.text and "Acme" not in doc.text
    assert parse(make_rtf(body, info=r"{\title Microsoft Word - memo.doc}")).title == "Getting There"
    unicode_title = r"{\upr{\title Caf\'e9}{\*\ud{\title Caf\u233?}}}"
    assert parse(make_rtf(body, info=unicode_title)).title == "Café"


def test_headings_from_outline_levels_and_heading_styles() -> None:
    body = (
        r"\pard Before any heading.\par"
        r"\pard\plain\outlinelevel0\b Results\par"
        r"\pard\plain The first result.\par"
        r"\pard\plain\s2 Costs\par"  # style 2 is named "Heading 2"
        r"\pard\plain\s3 Detail\par"  # style 3 has outline level 2: a level-3 heading
        r"\pard\plain\outlinelevel9 Body text despite the level.\par"
        r"{\pard\s1 Appendix\par}"
        r"\pard Tables.\par"
    )
    doc = parse(make_rtf(body))
    sections = [(doc.text[s.start : s.end], s.heading_path) for s in doc.sections]
    assert sections == [
        ("Before any heading.\n\n", ()),
        ("Results\n\nThe first result.\n\n", ("Results",)),
        ("Costs\n\n", ("Results", "Costs")),
        ("Detail\n\nBody text despite the level.\n\n", ("Results", "Costs", "Detail")),
        ("Appendix\n\nTables.", ("Appendix",)),
    ]


def test_list_paragraphs_are_dash_lines_without_their_labels() -> None:
    body = (
        r"\pard Bring:\par"
        r"{\listtext\pard\plain\f3 \'b7\tab}\pard\ls1\ilvl0 Boots\par"
        r"{\listtext\pard\plain 2.\tab}\ls1 A map\par"
        r"{\pntext\f3\'b7\tab}{\*\pn\pnlvlblt{\pntxtb\'b7}}\pard Old style bullet\par"
        r"\pard After the list.\par"
    )
    assert parse(make_rtf(body)).text.split("\n\n") == [
        "Bring:",
        "- Boots",
        "- A map",
        "- Old style bullet",
        "After the list.",
    ]


def test_tables_read_as_rows_with_marked_header_rows() -> None:
    row_definition = r"\trowd\trgaph108\cellx3000\cellx6000\cellx9000 "
    body = (
        r"\pard\outlinelevel0 Prices\par"
        + row_definition.replace(r"\trowd", r"\trowd\trhdr")
        + r"\pard\intbl Resort\cell Francs\cell Shillings\cell\row"
        + row_definition
        + r"\pard\intbl Davos\cell 12\cell 8\cell\row"
        + row_definition
        + r"\pard\intbl M\'fcrren\par (Bernese Oberland)\cell 10\cell 7\cell"
        + r"{\trowd\cellx3000\cellx6000\cellx9000\row}"  # Word repeats the definition before \row
        + r"\pard After the table.\par"
    )
    doc = parse(make_rtf(body))
    assert doc.text == (
        "Prices\n\nResort | Francs | Shillings\nDavos | 12 | 8\nMürren (Bernese Oberland) | 10 | 7"
        "\n\nAfter the table."
    )
    (table,) = doc.tables
    assert [(doc.text[r.start : r.end], r.header) for r in table.rows] == [
        ("Resort | Francs | Shillings", True),
        ("Davos | 12 | 8", False),
        ("Mürren (Bernese Oberland) | 10 | 7", False),
    ]


def test_unmarked_header_rows_are_guessed_and_nested_cells_stay_in_their_cell() -> None:
    body = (
        r"\trowd\cellx3000\cellx6000\pard\intbl Region\cell Sales\cell\row"
        r"\trowd\cellx3000\cellx6000\pard\intbl North\cell 1,200\cell\row"
        r"\trowd\cellx3000\cellx6000\pard\intbl South\cell\itap2 a\nestcell b\nestcell"
        r"{\*\nesttableprops\trowd\cellx1000\cellx2000\nestrow}\itap1 \cell\row"
        r"\pard\par"
    )
    doc = parse(make_rtf(body))
    (table,) = doc.tables
    assert [(doc.text[r.start : r.end], r.header) for r in table.rows] == [
        ("Region | Sales", True),
        ("North | 1,200", False),
        ("South | a b", False),
    ]


def test_footnotes_are_read_at_the_end() -> None:
    body = (
        r"\pard\outlinelevel0 Prices\par\pard Davos cost 12 francs{\super\chftn}"
        r"{\footnote\pard\plain{\super\chftn} Source: the 1913 guide.\par Second paragraph.}."
        r"\par\pard Mürren cost less{\super\chftn}{\footnote\ftnalt{\super\chftn} An endnote.}.\par"
    )
    doc = parse(make_rtf(body))
    assert doc.text == (
        "Prices\n\nDavos cost 12 francs[1].\n\nMürren cost less[2].\n\n"
        "Notes\n\n[1] Source: the 1913 guide.\nSecond paragraph.\n\n[2] An endnote."
    )
    assert doc.sections[-1].heading_path == ("Notes",)


def test_a_document_without_text_is_refused_with_a_reason() -> None:
    assert refused(make_rtf(r"\pard\par\pard \par")) == "no extractable text: the document is empty"
    picture = r"{\*\shppict{\pict\pngblip 89504e47}}{\nonshppict{\pict\wmetafile8 0100}}\par"
    assert refused(make_rtf(picture)) == "no extractable text: the document holds only pictures"


def test_a_deeply_nested_file_is_refused_fast() -> None:
    bomb = b"{\\rtf1 " + b"{\\b " * 1_000_000 + b"deep" + b"}" * 1_000_000 + b"}"
    started = time.perf_counter()
    assert refused(bomb) == f"RTF is nested more than {rtf.MAX_DEPTH} groups deep, past the server's limit"
    assert time.perf_counter() - started < 1
    nested_ok = b"{\\rtf1 " + b"{" * (rtf.MAX_DEPTH - 1) + b"deep enough" + b"}" * rtf.MAX_DEPTH
    assert parse(nested_ok).text == "deep enough"


def test_an_oversized_file_is_refused_fast() -> None:
    data = b"{\\rtf1 " + b"a" * rtf.MAX_BYTES + b"}"
    started = time.perf_counter()
    assert refused(data) == "RTF is larger than the server's limit of 64 MiB"
    assert time.perf_counter() - started < 1


def test_a_file_of_too_many_tokens_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rtf, "MAX_TOKENS", 1000)
    assert refused(b"{\\rtf1 " + b"{}" * 600 + b"x}") == (
        "RTF holds more than 1,000 control words, groups and runs of text, past the server's limit"
    )


def test_a_file_cut_short_keeps_what_was_read_with_a_warning() -> None:
    data = make_rtf(r"\pard First paragraph.\par{\pard Second para")[:-1]
    doc = parse(data)
    assert doc.text == "First paragraph.\n\nSecond para"
    assert doc.warnings == (
        "the file ends before its last group closes (cut short?): the end of the text may be missing",
    )


def test_text_after_the_document_group_is_not_read() -> None:
    assert parse(make_rtf(r"\pard Inside.\par") + b"{\\pard Outside.\\par}").text == "Inside."


def test_random_rtf_bodies_give_a_document_or_a_reason() -> None:
    rng = random.Random(11)
    alphabet = [b"{", b"}", b"\\", b"\\par ", b"\\'e9", b"\\u8364?", b"\\uc0", b"\\*", b"\\pict ", b"\\cell"]
    alphabet += [b"\\row", b"\\intbl", b"\\bin3 ", b"\\footnote ", b"word ", b"\\'", b"\\u", b"\\tab"]
    for _ in range(300):
        data = b"{\\rtf1 " + b"".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80)))
        try:
            doc = parse_document(data, "random.rtf")
        except ParseError as error:
            assert str(error)
        else:
            assert_valid(doc)


@needs_shared_data("doc-samples")
def test_the_sample_rtf_reads_fully_and_in_order() -> None:
    doc = parse(FAKE_RTF.read_bytes(), FAKE_RTF.name)
    assert doc.text == (
        "My First Heading\n\nMy first paragraph.\n\nTable Example:\n\n"
        "Column 1 | Column 2\nRow 1, Cell 1 | Row 1, Cell 2\nRow 2, Cell 1 | Row 2, Cell 2"
    )
    assert [s.heading_path for s in doc.sections] == [("My First Heading",)]
    (table,) = doc.tables
    assert [doc.text[r.start : r.end] for r in table.rows] == doc.text.split("\n\n")[-1].split("\n")
    assert doc.title == "My First Heading" and doc.warnings == ()
