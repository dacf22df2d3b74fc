"""What each format parser extracts, checked on known content: docling's samples with
their groundtruth, pdf.js's multi-page paper, and small files built here."""

from __future__ import annotations

import io
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import docx
import pypdf
import pytest

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import parse_document, pdf_ocr
from retrieval.parsing import pdf as pdf_parser
from retrieval.parsing.ocr import OcrError
from retrieval.parsing.pdf_lines import paragraphs
from retrieval.parsing.table_cells import tidy_rows
from tests.conftest import SHARED_DATA, needs_shared_data
from tests.retrieval.conftest import parsed_sample

DOC_SAMPLES = SHARED_DATA / "doc-samples"
DOCLING = DOC_SAMPLES / "docling" / "tests" / "data"
needs_samples = needs_shared_data("doc-samples")


@pytest.fixture(autouse=True)
def _quiet_pypdf() -> None:
    logging.getLogger("pypdf").setLevel(logging.ERROR)


def parse_file(path: Path) -> ParsedDocument:
    return parse_document(path.read_bytes(), path.name)


def row_texts(doc: ParsedDocument) -> list[str]:
    """The rows of the document's one table, as they read in its text."""
    (table,) = doc.tables
    return [doc.text[r.start : r.end] for r in table.rows]


def section_of(doc: ParsedDocument, needle: str):  # type: ignore[no-untyped-def]
    offset = doc.text.find(needle)
    assert offset >= 0, f"{needle!r} not in the text"
    return doc.section_at(offset)


def _comparable(text: str) -> str:
    # docling writes list markers and plain hyphens where the sources have dashes.
    text = re.sub(r"^(\d+\.|-)\s", "", text)
    return re.sub(r"\s+", "", text.replace("\u2013", "-").replace("\u2014", "-"))


# --- docling's sources against docling's groundtruth ----------------------------------------

GROUNDTRUTH_SOURCES = [
    "docx/sources/docx_lists.docx",
    "docx/sources/lorem_ipsum.docx",
    "docx/sources/word_sample.docx",
    "docx/sources/word_tables.docx",
    "html/sources/example_01.html",
    "html/sources/wiki_duck.html",
    "md/sources/wiki.md",
]


@needs_samples
@pytest.mark.parametrize("source", GROUNDTRUTH_SOURCES)
def test_groundtruth_paragraphs_appear_in_the_text(source: str) -> None:
    path = DOCLING / source
    groundtruth = path.parent.parent / "groundtruth" / (path.name + ".md")
    text = _comparable(parse_file(path).text)
    # The groundtruth is Markdown: read it with our own Markdown parser to drop its markup.
    # Prose only: docling's wiki_duck groundtruth also keeps Wikipedia's menus as lists.
    expected = [
        p
        for p in parse_file(groundtruth).text.split("\n\n")
        if len(p) > 30 and "|" not in p and not re.match(r"(- |\d+\. )", p)
    ]
    assert expected, "the groundtruth has prose paragraphs to look for"
    missing = [p for p in expected if _comparable(p) not in text]
    # Differences are ours to own: we drop Wikipedia's hatnotes ("This article is about the
    # bird...") and its "noprint" marks such as [citation needed], which docling keeps.
    assert len(missing) <= 0.2 * len(expected), missing


@needs_samples
def test_docx_headings_lists_tables_and_title() -> None:
    doc = parse_file(DOCLING / "docx/sources/word_sample.docx")
    assert doc.format == "docx"
    assert doc.title == "Swimming in the lake"  # the Title-style paragraph
    paths = {s.heading_path for s in doc.sections}
    assert ("Let\u2019s swim!",) in paths
    assert ("Let\u2019s swim!", "Let\u2019s eat") in paths
    eat = section_of(doc, "After we had a good day of swimming in the lake")
    assert eat.heading_path == ("Let\u2019s swim!", "Let\u2019s eat")
    assert "- Paddle about" in doc.text
    assert "Leaves | Ash, Elm, Maple | 50" in doc.text
    # Body order: the table sits between the paragraphs that surround it in the file.
    assert (
        doc.text.index("respectful duck could eat")
        < doc.text.index("Berries | Blueberry")
        < doc.text.index("another list in the end")
    )


@needs_samples
def test_docx_merged_table_cells_are_read_once() -> None:
    doc = parse_file(DOCLING / "docx/sources/word_tables.docx")
    # Read once, and keeping the columns it spans: Cell 1.3 stays under Header 0.3.
    spanned = "Header 0.0 | Header 0.1 | Header 0.2 | Header 0.3\nCell 1.0 | Merged Cell 1.1 1.2 | | Cell 1.3"
    assert spanned in doc.text
    assert "Header 0.0 | Header 0.1 | Header 0.2" in doc.text


@needs_samples
def test_docx_heading_levels_nest() -> None:
    doc = parse_file(DOCLING / "docx/sources/unit_test_headers.docx")
    assert doc.title == "Test Document"
    assert max(len(s.heading_path) for s in doc.sections) >= 3


@needs_samples
def test_html_headings_paths_and_main_text() -> None:
    doc = parse_file(DOCLING / "html/sources/wiki_duck.html")
    assert doc.title == "Duck - Wikipedia"
    feeding = section_of(doc, "Pecten along the bill")
    assert feeding.heading_path == ("Duck", "Behaviour", "Feeding")
    assert "Ducks have a cosmopolitan distribution" in doc.text
    # Navigation chrome is left out: the language menu, the sidebar tools.
    for chrome in ("Afrikaans", "Printable version", "Jump to content"):
        assert chrome not in doc.text


@needs_samples
def test_html_tables_become_rows_of_cells() -> None:
    doc = parse_file(DOCLING / "html/sources/wiki_duck.html")
    assert "Kingdom: | Animalia" in doc.text


@needs_samples
def test_markdown_headings_and_title() -> None:
    doc = parse_file(DOCLING / "md/sources/wiki.md")
    assert doc.title == "IBM"
    assert section_of(doc, "nicknamed Big Blue").heading_path == ("IBM",)
    assert all(path[:1] == ("IBM",) for path in (s.heading_path for s in doc.sections))


@needs_samples
def test_pdf_text_carries_its_page_numbers() -> None:
    doc = parse_file(DOC_SAMPLES / "pdfjs/web/compressed.tracemonkey-pldi-09.pdf")
    assert doc.format == "pdf"
    assert doc.page_count == 14
    assert section_of(doc, "Trace-based Just-in-Time Type Specialization").page == 1
    assert section_of(doc, "Every compiled trace contains all the guards").page == 2
    pages = [s.page or 0 for s in doc.sections]
    assert pages == sorted(pages) and 0 not in pages


@needs_samples
def test_pdf_pages_and_paragraphs() -> None:
    doc = parse_file(DOCLING / "pdf/sources/multi_page.pdf")
    assert doc.page_count == 5
    assert section_of(doc, "The Modern Era (1990s - Present)").page == 2
    # A wrapped prose line is joined with a space: the sentence reads as one line.
    assert (
        "Other notable software from this era included WordPerfect, which was popular "
        "among legal professionals" in doc.text
    )
    # Bullets start paragraphs of their own.
    assert "\n\n\u2022 Microsoft Office Suite:" in doc.text


def test_a_wrapped_lines_hyphen_is_joined_to_the_next_word() -> None:
    lines = [
        "The archive keeps every record of the northern fleet and its infor-",
        "mation, compared with a strong baseline built on the Lucene-",
        "BM25 system, which it beats by a wide margin in our runs of COVID-",
        "19 data.",
    ]
    assert paragraphs(lines, typical=70) == [
        "The archive keeps every record of the northern fleet and its information, compared with a "
        "strong baseline built on the Lucene-BM25 system, which it beats by a wide margin in our runs "
        "of COVID-19 data."
    ]
    # A short line's hyphen before a capital is no word broken at the margin.
    assert paragraphs(["Flights: Paris-", "London"], typical=70) == ["Flights: Paris-\nLondon"]
    # The page's own spelling decides: a name broken at a capital, a hyphen before lowercase.
    lines = [
        "We implemented these techniques for SpiderMonkey, and we call the VM Trace-",
        "Monkey. The dual-encoder model is trained on pairs; it reads questions with the dual-",
        "encoder and ranks them. TraceMonkey runs all of them as native code.",
    ]
    (text,) = paragraphs(lines, typical=70)
    assert "we call the VM TraceMonkey. The dual-encoder" in text
    assert "with the dual-encoder and ranks" in text


@needs_samples
def test_a_real_papers_hyphens_at_line_ends() -> None:
    doc = parse_file(DOC_SAMPLES / "unstructured/example-docs/pdf/multi-column-2p.pdf")
    assert "outperforms a strong Lucene-BM25 system greatly by 9%-19% absolute" in doc.text
    assert "Lucene- BM25" not in doc.text
    # Spelt with a hyphen elsewhere in the paper, so kept at a line end too.
    assert "by a simple dual-encoder framework" in doc.text and "dualencoder" not in doc.text
    paper = parse_file(DOC_SAMPLES / "pdfjs/web/compressed.tracemonkey-pldi-09.pdf")
    # A name hyphenated at a capital, printed whole elsewhere.
    assert "We call the resulting tracing VM TraceMonkey." in paper.text


TAM_REVIEW = DOC_SAMPLES / "pdfjs/test/pdfs/TAMReview.pdf"
TAM_TITLE = "Overview of the Technology Acceptance Model: Origins, Developments and Future Directions"


@needs_samples
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_pdf_text_in_a_font_without_a_unicode_map_is_read_by_ocr() -> None:
    # Pages 2-22 set their body in a font without a Unicode map: pypdf gives glyph names
    # ("/g18/g152…"), the headings alone are text. OCR reads the pages, and says so.
    doc = parsed_sample(TAM_REVIEW)
    assert doc.title == TAM_TITLE
    assert doc.warnings == (
        "pages 2-22: text in a font without a Unicode mapping, read by OCR (may contain recognition errors)",
    )
    body = re.sub(r"\s+", " ", doc.text)
    assert "Fred Davis proposed the Technology Acceptance Model (TAM) in his doctoral thesis" in body
    assert "perceived ease of use having a direct influence on perceived usefulness" in body
    assert "/g3" not in doc.text
    assert {s.page for s in doc.sections if s.ocr} == set(range(2, 23))


@needs_samples
def test_without_tesseract_text_in_a_font_without_a_unicode_map_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pdf_parser, "tesseract_available", lambda: False)
    doc = parse_file(TAM_REVIEW)
    assert doc.title == TAM_TITLE
    # What is lost is said, page by page range, and the raw glyph names do not pollute the text.
    assert doc.warnings == (
        "pages 2-22: some text is in a font without a Unicode mapping and was skipped; "
        "OCR skipped: Tesseract is not installed on this server",
    )
    assert "/g3" not in doc.text
    assert "doctoral thesis" not in doc.text
    assert not any(s.ocr for s in doc.sections)


@needs_samples
def test_a_failing_ocr_keeps_what_the_unmapped_pages_could_give(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: object, **kwargs: object) -> str:
        raise OcrError("Tesseract failed (out of memory)")

    monkeypatch.setattr(pdf_parser, "tesseract_available", lambda: True)
    monkeypatch.setattr(pdf_ocr, "ocr_image", failing)
    doc = parse_file(TAM_REVIEW)
    assert doc.warnings == (
        "pages 2-22: some text is in a font without a Unicode mapping and was skipped; "
        "OCR failed: Tesseract failed (out of memory)",
    )
    # The headings, in fonts with a Unicode map, are still there.
    assert "Related studies on perceived usefulness and perceived ease of use" in doc.text


# --- small files built here -------------------------------------------------------------------


def test_html_drops_script_style_and_chrome() -> None:
    html = b"""<!doctype html><html><head><title>The Page</title>
    <style>.MARKER_STYLE { color: red }</style><script>var x = "MARKER_SCRIPT";</script></head>
    <body><nav><a href="/">MARKER_NAV home</a></nav><header>MARKER_BANNER</header>
    <div class="sidebar">MARKER_SIDEBAR</div>
    <article><h1>Main title</h1><p>First <b>bold</b> paragraph
    spread over lines.</p><script>document.write("MARKER_INLINE_SCRIPT")</script>
    <noscript>MARKER_NOSCRIPT</noscript><template>MARKER_TEMPLATE</template>
    <svg><text>MARKER_SVG</text></svg><p hidden>MARKER_HIDDEN</p>
    <p style="display: none">MARKER_NONE</p>
    <h2>Part two</h2><ul><li>one</li><li>two</li></ul>
    <table><tr><th>Name</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr></table>
    <pre>code   line 1
    line 2</pre><form><label>Your MARKER_LABEL</label><input value="MARKER_INPUT"></form>
    </article><footer>MARKER_FOOTER</footer></body></html>"""
    doc = parse_document(html, "page.html")
    assert "MARKER_" not in doc.text.replace("MARKER_LABEL", ""), doc.text
    assert "Your MARKER_LABEL" in doc.text  # form text is kept, form controls are not
    assert doc.title == "The Page"
    assert "First bold paragraph spread over lines." in doc.text
    assert section_of(doc, "one").heading_path == ("Main title", "Part two")
    assert "- one\n\n- two" in doc.text
    assert "Name | Value\nalpha | 1" in doc.text
    assert "code line 1\n    line 2" in doc.text or "code line 1\nline 2" in doc.text


def test_html_charset_declaration_is_honoured() -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><p>caf\u00e9 na\u00efve</p></body></html>'
    doc = parse_document(html.encode("cp1252"), "latin.htm")
    assert "caf\u00e9 na\u00efve" in doc.text


def test_html_made_only_of_chrome_still_gives_its_text() -> None:
    doc = parse_document(b"<html><body><header><p>Only a header here.</p></header></body></html>", "a.html")
    assert doc.text == "Only a header here."


def test_deeply_nested_html_does_not_crash() -> None:
    html = b"<html><body>" + b"<div>" * 50_000 + b"deep text" + b"</div>" * 50_000 + b"</body></html>"
    try:
        doc = parse_document(html, "deep.html")
    except ParseError as error:
        assert str(error)
    else:
        assert "deep text" in doc.text


def test_markdown_keeps_text_not_markup() -> None:
    source = """---
title: Front Matter Title
---
# Guide

Some *emphasis*, **strong**, `code` and a [link text](https://example.com) and ![alt words](x.png).
A soft break.

## Install

```bash
pip install   thing
```

| Col A | Col B |
|-------|-------|
| a1    | b1    |

- item one
- item two

<div>raw <b>html</b> block<script>MARKER_SCRIPT</script></div>

### On Debian

apt-get it.
"""
    doc = parse_document(source.encode(), "guide.md")
    assert doc.title == "Front Matter Title"
    assert "Some emphasis, strong, code and a link text and alt words. A soft break." in doc.text
    assert "pip install   thing" in doc.text or "pip install thing" in doc.text
    assert "Col A | Col B\na1 | b1" in doc.text
    assert "- item one\n\n- item two" in doc.text
    assert "raw html block" in doc.text and "MARKER_SCRIPT" not in doc.text
    assert section_of(doc, "apt-get it.").heading_path == ("Guide", "Install", "On Debian")
    assert section_of(doc, "pip install").heading_path == ("Guide", "Install")
    assert "*" not in doc.text and "](" not in doc.text


def test_markdown_heading_levels_may_skip() -> None:
    doc = parse_document(b"# A\n\n### C\n\ntext c\n\n## B\n\ntext b\n", "skip.md")
    assert section_of(doc, "text c").heading_path == ("A", "C")
    assert section_of(doc, "text b").heading_path == ("A", "B")


def test_deeply_nested_markdown_does_not_crash() -> None:
    source = ("> " * 5_000 + "quoted\n").encode() + b"- " * 5_000 + b"listed\n"
    doc = parse_document(source, "deep.md")
    assert doc.text.strip()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("caf\u00e9 \u2014 na\u00efve".encode("utf-8-sig"), "caf\u00e9 \u2014 na\u00efve"),
        ("caf\u00e9 \u2014 na\u00efve".encode("utf-16"), "caf\u00e9 \u2014 na\u00efve"),  # with BOM
        ("caf\u00e9 \u2014 na\u00efve".encode("utf-16-le"), "caf\u00e9 \u2014 na\u00efve"),  # no BOM
        ("caf\u00e9 \u2014 na\u00efve".encode("cp1252"), "caf\u00e9 \u2014 na\u00efve"),
        # Bytes cp1252 leaves undefined decode as latin-1 C1 controls, which are dropped.
        (b"undefined in cp1252: \x81\x8dok", "undefined in cp1252: ok"),
    ],
)
def test_text_decoding_never_fails(data: bytes, expected: str) -> None:
    assert parse_document(data, "notes.txt").text == expected


def test_text_paragraphs_and_newlines() -> None:
    doc = parse_document(b"line one\r\nline two\r\n\r\n\r\n\r\nsecond   paragraph\t here\rend", "a.txt")
    assert doc.text == "line one\nline two\n\nsecond paragraph here\nend"
    assert doc.sections[0].start == 0 and doc.sections[0].end == len(doc.text)
    assert doc.title is None and doc.format == "txt"


def test_binary_data_named_txt_is_refused() -> None:
    data = bytes(range(256)) * 64
    with pytest.raises(ParseError, match="does not look like text"):
        parse_document(data, "blob.txt")


def _docx_bytes(build) -> bytes:  # type: ignore[no-untyped-def]
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_built_with_python_docx() -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        document.core_properties.title = "Core Title"
        document.add_paragraph("Intro before any heading.")
        document.add_heading("Chapter One", level=1)
        document.add_paragraph("Chapter text.")
        document.add_heading("Section A", level=2)
        document.add_paragraph("first bullet", style="List Bullet")
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Key", "Value"
        table.cell(1, 0).text, table.cell(1, 1).text = "speed", "42 km/h"
        document.add_paragraph("After the table.")
        document.add_heading("Chapter Two", level=1)
        document.add_paragraph("Second chapter text.")

    doc = parse_document(_docx_bytes(build), "built.docx")
    assert doc.title == "Core Title"
    assert section_of(doc, "Intro before").heading_path == ()
    assert section_of(doc, "Chapter text.").heading_path == ("Chapter One",)
    assert section_of(doc, "speed | 42 km/h").heading_path == ("Chapter One", "Section A")
    assert "- first bullet" in doc.text
    assert doc.text.index("Key | Value") < doc.text.index("After the table.")
    assert section_of(doc, "Second chapter").heading_path == ("Chapter Two",)


def test_pdf_encrypted_with_only_an_owner_password_opens(make_text_pdf: Callable[[str], bytes]) -> None:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_sample_pdf(make_text_pdf)))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = parse_document(buffer.getvalue(), "protected.pdf")
    assert doc.text.strip()


def test_pdf_blank_page_is_a_warning_not_a_failure(make_text_pdf: Callable[[str], bytes]) -> None:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_sample_pdf(make_text_pdf)))
    writer.add_blank_page()
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = parse_document(buffer.getvalue(), "with-blank.pdf")
    assert doc.page_count == 2
    assert doc.warnings == ("page 2: no extractable text",)
    assert {s.page for s in doc.sections} == {1}


def _sample_pdf(make_text_pdf: Callable[[str], bytes]) -> bytes:
    """A small one-page PDF with text: the memo from unstructured's samples if present,
    else one written by hand (pypdf cannot typeset text)."""
    memo = DOC_SAMPLES / "unstructured/example-docs/pdf/fake-memo.pdf"
    if memo.is_file():
        return memo.read_bytes()
    return make_text_pdf("A memo about nothing in particular.")


def test_minimal_pdf_parses(make_text_pdf: Callable[[str], bytes]) -> None:
    doc = parse_document(make_text_pdf("Hello from a hand-made PDF."), "hand.pdf")
    assert doc.text == "Hello from a hand-made PDF."
    assert doc.sections[0].page == 1 and doc.page_count == 1


def test_html_layout_table_is_read_as_blocks() -> None:
    html = b"""<html><body><table><tr><td class="left">Menu-less column</td><td>
    <h1>Old Site</h1><p>First paragraph of the page.</p><p>Second paragraph.</p>
    <h2>News</h2><p>Nothing new.</p></td></tr></table></body></html>"""
    doc = parse_document(html, "old.html")
    assert section_of(doc, "Nothing new.").heading_path == ("Old Site", "News")
    assert "First paragraph of the page.\n\nSecond paragraph." in doc.text
    assert " | " not in doc.text


def test_html_financial_table_with_a_paragraph_per_cell_is_read_as_rows() -> None:
    # As SEC filings are typeset: every value in a <p>, the sign and the closing parenthesis
    # in cells of their own, empty spacer columns, each year spanning a sign and a figure.
    def row(*cells: str | tuple[str, int]) -> str:
        spans = [(c, 1) if isinstance(c, str) else c for c in cells]
        return "<tr>" + "".join(f'<td colspan="{n}"><p>{text}</p></td>' for text, n in spans) + "</tr>"

    html = (
        "<html><body><p>Results of operations.</p><table>"
        + row("Reconciliation:", "&#160;", ("2021", 2), "&#160;", ("2020", 2), "")
        + row("Net income (loss)", "", "$", "2,111,812", "", "$", "(2,208,887", ")")
        + row("Interest expense", "", "", "1,505,386", "", "", "683,357", "")
        + "</table></body></html>"
    )
    doc = parse_document(html.encode(), "10-k.html")
    assert row_texts(doc) == [
        "Reconciliation: | 2021 | 2020",
        "Net income (loss) | $2,111,812 | $(2,208,887)",
        "Interest expense | 1,505,386 | 683,357",
    ]


def test_html_colspans_widen_a_row_only_so_far() -> None:
    row = "<tr>" + "".join(f'<td colspan="1000">v{i}</td>' for i in range(300)) + "</tr>"
    doc = parse_document(f"<html><body><table>{row * 3}</table></body></html>".encode(), "wide.html")
    lines = row_texts(doc)
    assert len(lines) == 3 and all(line.split(" | ") == [f"v{i}" for i in range(300)] for line in lines)


def test_docx_merged_cells_keep_the_columns_they_span() -> None:
    document = docx.Document()
    table = document.add_table(rows=3, cols=5)
    header = table.rows[0].cells
    header[1].merge(header[2]).text = "2021"  # w:gridSpan 2
    header[3].merge(header[4]).text = "2020"
    body = [["", "Q1", "Q2", "Q1", "Q2"], ["Revenue", "10", "11", "20", "21"]]
    for row, texts in zip(table.rows[1:], body, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    doc = parse_document(out.getvalue(), "quarters.docx")
    # 2020 stands over its own quarters, not over 2021's second one.
    assert row_texts(doc) == [
        "| 2021 | | 2020",
        "| Q1 | Q2 | Q1 | Q2",
        "Revenue | 10 | 11 | 20 | 21",
    ]


def test_table_cells_keep_their_columns_when_tidied() -> None:
    # A missing value keeps its place; columns some row fills both of stay apart.
    assert tidy_rows([["Item", "Debit", "Credit"], ["Rent", "1,200", ""], ["Fee", "", "80"]]) == [
        ["Item", "Debit", "Credit"],
        ["Rent", "1,200"],
        ["Fee", "", "80"],
    ]
    assert tidy_rows([["Growth", "", "12", "%"], ["Loss", "", "(3", ")"]]) == [
        ["Growth", "12%"],
        ["Loss", "(3)"],
    ]
    assert tidy_rows([["Total", "$", "—"]]) == [["Total", "$—"]]
    # A year spanning a sign's cell and a figure's names the figures, not the labels before.
    assert tidy_rows([["", "", "2021", "", "2020", ""], ["Revenue", "", "$", "19,984", "$", "10,230"]]) == [
        ["", "2021", "2020"],
        ["Revenue", "$19,984", "$10,230"],
    ]
    assert tidy_rows([["Price", "$", "n/a"]]) == [["Price", "$", "n/a"]]  # a sign beside words stays


def test_markdown_link_definitions_are_not_text() -> None:
    doc = parse_document(b"See [the docs][docs].\n\n[docs]: https://example.com/docs\n", "refs.md")
    assert doc.text == "See the docs."


def test_html_content_wrapper_with_a_chrome_class_is_kept() -> None:
    article = " ".join(["The article says something worth finding."] * 30)
    html = f"""<html><body><div class="menu">Home | About</div>
    <div class="page share-enabled"><p>{article}</p></div>
    <div class="post-content social-buttons"><p>Also content.</p></div></body></html>"""
    doc = parse_document(html.encode(), "blog.html")
    assert article in doc.text and "Also content." in doc.text
    assert "Home | About" not in doc.text


def test_pdf_time_budget_reports_the_pages_not_read(
    monkeypatch: pytest.MonkeyPatch, make_text_pdf: Callable[[str], bytes]
) -> None:
    from retrieval.parsing import pdf

    writer = pypdf.PdfWriter()
    for text in ("Page one text.", "Page two text.", "Page three text."):
        writer.append(pypdf.PdfReader(io.BytesIO(make_text_pdf(text))))
    buffer = io.BytesIO()
    writer.write(buffer)
    monkeypatch.setattr(pdf, "TIME_BUDGET_SECONDS", 0)  # over budget once the first page is read
    doc = parse_document(buffer.getvalue(), "slow.pdf")
    assert doc.text == "Page one text."
    assert doc.warnings == ("pages 2-3: not read: the PDF took too long to extract",)
    assert doc.page_count == 3
