"""Long real-world PDFs: limits raised but bounded, running headers and footers kept out
of chunks, printed page labels, headings from the outline or from font size, titles,
and scanned pages read by OCR. Every PDF here is crafted in the test (pdf_builder)."""

from __future__ import annotations

import io
import re
import shutil
import time
import zlib
from pathlib import Path
from typing import Any

import pypdf
import pytest
from pypdf.errors import LimitReachedError

from retrieval.chunking import chunk_document, content_text
from retrieval.document import ParseError
from retrieval.parsing import filename_title, parse_document, pdf_lines, real_title
from retrieval.parsing import pdf as pdf_parser
from retrieval.parsing.pdf_spacing import close_kerned_gaps, gap_threshold
from tests.conftest import needs_shared_data
from tests.retrieval.pdf_builder import SCANNED_TEXT, Bookmark, Line, build_pdf, scanned_page_pixels

DOC_SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "doc-samples"
MAX_TOKENS = 254
OVERLAP = 32

PROSE = (
    "The committee reviewed the results of the quarter and found that the new process "
    "reduced the time needed to close the books by two days."
)


TOPICS = ["apples", "bridges", "copper", "dolphins", "engines", "forests", "glaciers", "harbours", "islands"]
_counter = iter(range(10**6))


def prose_lines(top: float, count: int, words: str = PROSE, *, topic: int | None = None) -> list[Line]:
    """``count`` lines of body text (10 pt) from ``top`` down, wrapped at about 90
    characters. Each line starts with a word of its own (a topic word, or a fresh one),
    as lines of real pages do; only running headers repeat from page to page."""
    text = " ".join([words] * count)
    lines, current = [], ""
    for word in text.split():
        if len(current) + len(word) + 1 > 80:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    result = []
    for i, line in enumerate(lines[:count]):
        lead = TOPICS[topic % len(TOPICS)] if topic is not None else _fresh_word()
        result.append(Line(f"{lead.capitalize()} {line}", top - 14 * i))
    return result


def _fresh_word() -> str:
    n = next(_counter)
    letters = "bcdfghjklmnpqrstvwz"
    word = ""
    while True:
        word += letters[n % len(letters)] + "aeiou"[n % 5]
        n //= len(letters)
        if n == 0:
            return word


# 1. PDFs open, within bounds -----------------------------------------------------------------


def big_array_pdf(elements: int) -> bytes:
    """One page whose text is shown by one TJ array of ``elements`` elements."""
    pairs = elements // 2
    content = b"BT /F1 10 Tf 72 700 Td [" + b"(A) -5 " * pairs + b"] TJ ET"
    return build_pdf([content], compress=True)


def test_an_array_past_pypdfs_default_limit_opens() -> None:
    data = big_array_pdf(150_000)
    with pytest.raises(LimitReachedError, match="array element count"):
        pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()  # the default limit refuses it
    doc = parse_document(data, "big-table.pdf")
    assert doc.text.count("A") == 75_000
    assert doc.warnings == ()


def test_a_decompression_bomb_fails_quickly_and_blames_our_limit() -> None:
    # 200 MB of spaces in a 200 KB stream: past the 64 MB cap on one decompressed stream.
    data = build_pdf([b"BT /F1 10 Tf 72 700 Td (x) Tj ET"]).replace(
        b"<< /Length 32 >>\nstream\nBT /F1 10 Tf 72 700 Td (x) Tj ET\nendstream", bomb_stream(200)
    )
    assert len(data) < 1_000_000
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        parse_document(data, "bomb.pdf")
    assert time.monotonic() - started < 10
    reason = str(caught.value)
    assert "limit" in reason and "server" in reason, reason
    assert "damaged" not in reason


def test_an_array_past_our_limit_fails_with_our_reason() -> None:
    data = big_array_pdf(pdf_parser.PYPDF_LIMITS["array_maximum_element_count"] + 10)
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        parse_document(data, "hostile.pdf")
    assert time.monotonic() - started < 60
    assert "this server's limits" in str(caught.value) and "array element count" in str(caught.value)


def bomb_stream(megabytes: int) -> bytes:
    """A FlateDecode stream object of ``megabytes`` MB of spaces (a few hundred KB packed)."""
    packer = zlib.compressobj(9)
    packed = b"".join(packer.compress(b" " * 2**20) for _ in range(megabytes)) + packer.flush()
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"


def test_a_page_over_a_limit_is_reported_per_page_and_the_others_are_kept() -> None:
    data = build_pdf([[Line("First page text.", 700)], b"PLACEHOLDER", [Line("Third page text.", 700)]])
    data = data.replace(b"<< /Length 11 >>\nstream\nPLACEHOLDER\nendstream", bomb_stream(100))
    doc = parse_document(data, "mixed.pdf")
    assert "First page text." in doc.text and "Third page text." in doc.text
    (warning,) = doc.warnings
    assert warning.startswith("page 2: not read: the page is larger than this server's limits allow"), warning


def test_time_budget_stops_inside_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_parser, "TIME_BUDGET_SECONDS", -1)  # already past the deadline
    data = build_pdf([[Line(f"Line {i} of page {p}.", 700 - 12 * i) for i in range(600)] for p in range(2)])
    with pytest.raises(ParseError, match="took too long"):
        parse_document(data, "slow.pdf")


# 2. Titles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("0000320193-23-000077", None),
        ("04.01.2023 10Q Document", None),
        ("Untitled", None),
        ("Microsoft Word - memo.docx", None),
        ("Document1", None),
        ("Annual Report 2023", "Annual Report 2023"),
        ("COVID-19 insurance claims", "COVID-19 insurance claims"),
        ("Microsoft Word - Travel policy", "Travel policy"),
    ],
)
def test_real_titles_are_not_identifiers_dates_or_placeholders(candidate: str, expected: str | None) -> None:
    assert real_title(candidate) == expected


def test_file_name_title() -> None:
    assert filename_title("2023_Q3-AAPL.v2.pdf") == "2023 Q3 AAPL v2"
    assert filename_title("/tmp/Annual report.PDF") == "Annual report"


def test_a_junk_metadata_title_gives_way_and_a_real_one_stays() -> None:
    page = [[Line("Quarterly results.", 700)]]
    assert (
        parse_document(build_pdf(page, info_title="0000320193-23-000077"), "2023 Q3 AAPL.pdf").title is None
    )
    assert parse_document(build_pdf(page, info_title="Apple Q3 Results"), "x.pdf").title == "Apple Q3 Results"


def test_an_html_placeholder_title_gives_way_to_the_first_heading() -> None:
    html = b"<html><head><title>Document</title></head><body><h1>Travel policy</h1><p>Book.</p></body></html>"
    assert parse_document(html, "policy.html").title == "Travel policy"
    assert parse_document(b"<p>Just text.</p>", "policy.html").filename == "policy.html"


# 3. Clean chunks -----------------------------------------------------------------------------------


def running_pdf(pages: int = 4) -> bytes:
    content = []
    for p in range(pages):
        lines = [Line("ACME Corp | Quarterly Report Q3 2023", 760, 8)]
        lines += prose_lines(700, 30, topic=p)
        lines.append(Line(f"Page {p + 1} of {pages}", 30, 8))
        content.append(lines)
    return build_pdf(content)


def test_running_headers_and_footers_stay_in_the_text_but_out_of_chunks(tokenizer: Any) -> None:
    doc = parse_document(running_pdf(), "report.pdf")
    excluded = [doc.text[a:b] for a, b in doc.excluded]
    assert excluded.count("ACME Corp | Quarterly Report Q3 2023") == 4
    assert [e for e in excluded if e.startswith("Page")] == [f"Page {n} of 4" for n in range(1, 5)]
    assert "Page 3 of 4" in doc.text
    chunks = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP, title="Report")
    assert len(chunks) > 4
    for chunk in chunks:
        assert "ACME" not in chunk.text and "of 4" not in chunk.text
        assert chunk.text == content_text(doc, chunk.start, chunk.end)
        # The page is that of the chunk's first body character, never of a footer above it.
        assert chunk.page == doc.section_at(chunk.start).page
        assert not doc.text[chunk.start].isspace()
    # Only the running lines are left out: every body line is in some chunk.
    assert len(doc.excluded) == 8
    body = "".join(c.text for c in chunks)
    for topic in TOPICS[:4]:
        assert body.count(topic.capitalize()) >= doc.text.count(topic.capitalize()) == 30


def test_a_line_repeated_on_few_pages_is_content() -> None:
    pages = [
        [Line("Summary", 760, 8), *prose_lines(700, 5, topic=p)] if p < 2 else prose_lines(700, 5, topic=p)
        for p in range(8)
    ]
    doc = parse_document(build_pdf(pages), "r.pdf")
    assert doc.excluded == ()


def test_pages_of_one_numbered_line_are_content_not_running_lines(tokenizer: Any) -> None:
    """Each page's only line differs by its numbers alone: it is the text, not a footer
    (such reports failed as "no text could be extracted" in a 20-file upload)."""
    pages = [[Line(f"Report 3, page {p}: the depot counted {21 + p} crates today.", 700)] for p in range(3)]
    doc = parse_document(build_pdf(pages), "report.pdf")
    assert doc.excluded == ()
    (chunk,) = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP)
    assert "counted 23 crates" in chunk.text


def test_printed_page_labels_sit_beside_page_numbers(tokenizer: Any) -> None:
    pages = [prose_lines(700, 3, f"Page content number {n}.") for n in range(4)]
    doc = parse_document(build_pdf(pages, page_labels=b"0 << /S /r >> 2 << /S /D >>"), "labels.pdf")
    labels = [(s.page, s.page_label) for s in doc.sections]
    assert labels == [(1, "i"), (2, "ii"), (3, "1"), (4, "2")]
    chunks = chunk_document(doc, tokenizer, 24, 0, title="Labels")  # a page's line per chunk
    assert [(c.page, c.page_label) for c in chunks] == labels


def test_without_page_labels_there_is_no_label() -> None:
    doc = parse_document(build_pdf([[Line("Only page.", 700)]]), "one.pdf")
    assert doc.sections[0].page_label is None


def test_headings_come_from_the_outline(tokenizer: Any) -> None:
    pages = [
        [Line("Introduction", 740, 10), *prose_lines(720, 4)],
        [*prose_lines(740, 3), Line("Results", 680, 10), *prose_lines(660, 3)],
        [Line("Revenue", 740, 10), *prose_lines(720, 3, "Revenue rose by nine percent.")],
    ]
    outline = [
        Bookmark("Introduction", 0, 750),
        Bookmark("Results", 1, 690, children=[Bookmark("Revenue", 2, 750)]),
    ]
    doc = parse_document(build_pdf(pages, outline=outline), "outline.pdf")
    paths = {doc.text[s.start : s.end].strip()[:30]: s.heading_path for s in doc.sections}
    assert paths[doc.text[: doc.text.index("\n\n") + 20][:30]] == ("Introduction",)
    by_page = {(s.page, s.heading_path) for s in doc.sections}
    assert (2, ("Introduction",)) in by_page  # the top of page 2 still belongs to the introduction
    assert (2, ("Results",)) in by_page
    assert (3, ("Results", "Revenue")) in by_page
    chunks = chunk_document(doc, tokenizer, MAX_TOKENS, OVERLAP, title="Outline")
    revenue = [c for c in chunks if "nine percent" in c.text]
    assert revenue and all(c.heading_path == ("Results", "Revenue") for c in revenue)
    assert revenue[0].embed_text.startswith("Outline \u203a Results \u203a Revenue\n")


def test_a_bookmark_not_printed_on_its_page_names_the_section_without_adding_text() -> None:
    pages = [prose_lines(740, 3), prose_lines(740, 3, "Appendix material follows here.")]
    outline = [Bookmark("Body", 0), Bookmark("Appendix", 1)]
    doc = parse_document(build_pdf(pages, outline=outline), "o.pdf")
    assert "Appendix\n" not in doc.text
    assert doc.section_at(doc.text.index("Appendix material")).heading_path == ("Appendix",)


def test_headings_come_from_font_size_without_an_outline() -> None:
    pages = [
        [Line("Annual Review", 740, 20), Line("Operations", 700, 14), *prose_lines(680, 6)],
        [Line("Sales", 740, 14), *prose_lines(720, 6), Line("Outlook", 600, 20), *prose_lines(580, 4)],
        [Line("Risks", 740, 14), *prose_lines(720, 6), Line("12.5%", 500, 30)],
    ]
    doc = parse_document(build_pdf(pages), "fonts.pdf")
    paths = [s.heading_path for s in doc.sections]
    assert ("Annual Review", "Operations") in paths
    assert ("Annual Review", "Sales") in paths
    assert ("Outlook", "Risks") in paths
    assert not any("12.5%" in part for path in paths for part in path)  # a big figure is no heading


# 4. Scanned pages ------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_a_scanned_page_is_read_by_ocr_and_marked(tokenizer: Any) -> None:
    data = build_pdf(
        [[Line("A typed first page.", 700)], [], [Line("A typed last page.", 700)]],
        images={1: scanned_page_pixels(SCANNED_TEXT)},
    )
    doc = parse_document(data, "scan.pdf")
    assert "quick brown fox" in doc.text and "Invoice number 4711" in doc.text
    assert "page 2: text read by OCR (may contain recognition errors)" in doc.warnings
    ocr_sections = [s for s in doc.sections if s.ocr]
    assert ocr_sections and {s.page for s in ocr_sections} == {2}
    chunks = chunk_document(doc, tokenizer, 20, 4, title="Scan")
    assert any(c.ocr and "fox" in c.text for c in chunks)
    assert not any(c.ocr for c in chunks if c.text == "A typed first page.")


def test_without_tesseract_a_scanned_page_is_skipped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_parser, "tesseract_available", lambda: False)
    data = build_pdf([[Line("Typed page.", 700)], []], images={1: scanned_page_pixels(SCANNED_TEXT)})
    doc = parse_document(data, "scan.pdf")
    assert doc.warnings == (
        "page 2: no extractable text (scanned?); OCR skipped: Tesseract is not installed on this server",
    )
    only_scan = build_pdf([[]], images={0: scanned_page_pixels(SCANNED_TEXT)})
    with pytest.raises(ParseError, match=r"looks scanned.*Tesseract is not installed"):
        parse_document(only_scan, "scan.pdf")


# 5. Progress --------------------------------------------------------------------------------------------


def test_progress_reports_pages_read() -> None:
    seen: list[tuple[int, int]] = []
    parse_document(running_pdf(3), "p.pdf", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_progress_counts_a_page_to_ocr_once_ocr_has_read_it() -> None:
    # OCR takes seconds a page, the text layer none: the count waits for it, and never goes back.
    data = build_pdf(
        [[], [Line("A typed page.", 700)], []],
        images={0: scanned_page_pixels(SCANNED_TEXT), 2: scanned_page_pixels(SCANNED_TEXT)},
    )
    seen: list[tuple[int, int]] = []
    parse_document(data, "scan.pdf", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


SAMPLE_PAGE = DOC_SAMPLES / "unstructured" / "example-docs" / "pdf" / "chevron-page.pdf"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
@pytest.mark.skipif(not SAMPLE_PAGE.is_file(), reason="../shared/data/doc-samples is not there")
def test_a_real_page_scanned_without_its_text_layer_reads_back_by_ocr() -> None:
    """A sample page as a scanner would deliver it (pixels only, 200 dpi): OCR finds most
    of the words its text layer has."""
    import pypdfium2

    original = SAMPLE_PAGE.read_bytes()
    document = pypdfium2.PdfDocument(original)
    array = document[0].render(scale=200 / 72, grayscale=True).to_numpy()
    document.close()
    pixels = array.reshape(array.shape[0], array.shape[1], -1)[:, :, 0].copy()
    scanned = build_pdf([[]], images={0: (pixels.shape[1], pixels.shape[0], pixels.tobytes())})
    doc = parse_document(scanned, "scan.pdf")
    assert doc.warnings == ("page 1: text read by OCR (may contain recognition errors)",)
    expected = {w.casefold() for w in re.findall(r"[A-Za-z]{4,}", parse_document(original, "p.pdf").text)}
    found = {w.casefold() for w in re.findall(r"[A-Za-z]{4,}", doc.text)}
    assert len(expected & found) >= 0.8 * len(expected), sorted(expected - found)


def test_a_drop_cap_joins_the_rest_of_its_word() -> None:
    # A section that opens with a large initial: pypdf hands over the letter alone on its
    # line, then the paragraph from its second letter.
    pages = [
        [
            Line("T", 688, 30),  # set lower than the line it begins, across two lines
            Line("he committee reviewed the results of the quarter in one book.", 700, 10, x=100),
            Line("A", 588, 30),  # a word of its own: the page has "book" and never "abook"
            Line("book was kept of the meeting.", 600, 10, x=100),
        ]
    ]
    text = parse_document(build_pdf(pages), "dropcap.pdf").text
    assert "The committee reviewed the results" in text
    assert "A\nbook was kept" in text


def test_a_drop_cap_followed_by_a_space_joins_too() -> None:
    # Lines reach join_drop_caps before they are cleaned; a space pypdf left after the
    # letter must not keep it apart.
    lines = [pdf_lines.Line("T "), pdf_lines.Line("he committee met."), pdf_lines.Line("A ")]
    joined = pdf_lines.join_drop_caps([*lines, pdf_lines.Line("book was kept."), pdf_lines.Line("book")])
    assert [line.text for line in joined] == ["The committee met.", "A ", "book was kept.", "book"]


@needs_shared_data("doc-samples")
def test_a_real_drop_cap_is_joined() -> None:
    path = DOC_SAMPLES / "docling/tests/data/pdf/sources/amt_handbook_sample.pdf"
    text = parse_document(path.read_bytes(), path.name).text
    assert "The Boots self-locking nut is of one piece" in text


def test_a_kern_in_letter_spaced_text_is_not_a_word_gap() -> None:
    threshold = gap_threshold(200.0)  # 95: pypdf's for a font without a space width
    # "the model": letters moved on by 84 (tracking), "o" to "d" by 111 (tracking and a kern),
    # words by 376.
    letters: list[Any] = ["t", -84, "h", -84, "e", -376, "m", -84, "o", -111, "d", -84, "e", -83, "l"]
    assert close_kerned_gaps(letters, threshold) == 1
    assert letters[9] > -threshold and letters[5] == -376, "the kern is closed, the word gap kept"
    # Whole words placed with their gaps: nothing there is tracking, even with gaps this narrow.
    words: list[Any] = ["to", -213, "sparse", -214, "representations", -213, "by", -213, "design.", -303, "F"]
    assert close_kerned_gaps(list(words), threshold) == 0
    # Letters with kerns of a fraction of an em and real gaps: no tracking, nothing changes.
    kerned: list[Any] = ["O", -0.2, "p", 0.2, "t", 0.4, "i", -0.4, "m", -0.3, "e", -342.8, "T", 85.9, "a"]
    assert close_kerned_gaps(list(kerned), threshold) == 0


@needs_shared_data("doc-samples")
def test_a_real_letter_spaced_page_keeps_its_words_whole() -> None:
    path = DOC_SAMPLES / "docling/tests/data/pdf/sources/2305.03393v1-pg9.pdf"
    text = parse_document(path.read_bytes(), path.name).text
    assert "We picked the model parameter configuration that produced the best prediction" in text
    assert "the PubTabNet data set to perform HPO" in text
    assert "Table 1. HPO performed" in text
