"""A cited passage on its rendered PDF page (`retrieval.pages`): found among PDFium's
characters despite whitespace, line breaks and hyphenation, boxed where its words are printed,
split over a page break, not placed when it is not there; the image bounded in size; the
whole run in a child process that a bad file or a time limit cannot take down."""

from __future__ import annotations

import shutil
import struct
import zlib

import pytest

from retrieval.pages import render as page_render
from retrieval.pages.layout import PageError, PageLayout
from retrieval.pages.matching import MIN_PART_LETTERS, fold, match_span
from retrieval.pages.png import encode_png
from retrieval.pages.render import show_page
from retrieval.pages.sandbox import show_page_isolated
from retrieval.parsing import parse_document
from tests.retrieval.pdf_builder import SCANNED_TEXT, Line, build_pdf, scanned_page_pixels

SCALE = 1600 / 792  # a letter page rendered 1600 px high

VOYAGE = [
    Line("The archive keeps the infor-", 700),
    Line("mation about every voyage of the", 686),
    Line("northern fleet since 1820.", 672),
    Line("Nothing else is written here.", 600),
]
# A passage that runs over the page break (and over page 1's footer).
BREAK = [
    [
        Line("The keepers' log is short.", 700),
        Line("The harbour master recorded that the", 686),
        Line("- 1 -", 40),
    ],
    [Line("northern light was rebuilt in 1892 after the storm.", 700), Line("- 2 -", 40)],
]
REBUILT = "The harbour master recorded that the northern light was rebuilt in 1892 after the storm."


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def baseline_pixel(y: float) -> float:
    return (792 - y) * SCALE


# --- matching, on characters as PDFium gives them -------------------------------------------


def test_fold_keeps_letters_and_digits_only() -> None:
    assert fold("The ﬁrst  “quote”—\r\n1,820 Ünits") == "thefirstquote1820ünits"


def test_a_passage_is_matched_across_line_breaks_spaces_and_hyphenation() -> None:
    page = list("Intro.\r\nThe archive keeps the infor-\r\nmation about every  voyage.\r\nEnd.")
    match = match_span(page, "The archive keeps the information about every voyage.")
    assert match is not None and match.part == "whole"
    matched = "".join(page[match.first : match.last + 1])
    assert matched == "The archive keeps the infor-\r\nmation about every  voyage."  # its full stop too


def test_the_punctuation_around_a_passage_is_included_where_the_page_prints_it() -> None:
    page = list('He said: ("Skerryvore stands.") Then')
    match = match_span(page, '("Skerryvore stands.")')
    assert match is not None and "".join(page[match.first : match.last + 1]) == '("Skerryvore stands.")'
    match = match_span(page, "Skerryvore stands!")  # a mark the page does not print is not taken
    assert match is not None and "".join(page[match.first : match.last + 1]) == "Skerryvore stands"


def test_a_ligature_on_the_page_matches_its_letters_in_the_text() -> None:
    match = match_span(["ﬁ", "n", "d", " ", "i", "t"], "find it")
    assert match is not None and (match.first, match.last, match.part) == (0, 5, "whole")


def test_the_part_of_a_passage_on_a_page_is_its_start_or_its_end() -> None:
    passage = "The harbour master recorded that the northern light was rebuilt in 1892."
    first_page = list("Log.\r\nThe harbour master recorded that the\r\n- 1 -")
    second_page = list("northern light was rebuilt in 1892.\r\n- 2 -")
    start = match_span(first_page, passage)
    end = match_span(second_page, passage)
    assert start is not None and start.part == "start"
    assert "".join(first_page[start.first : start.last + 1]) == "The harbour master recorded that the"
    assert end is not None and end.part == "end"
    assert "".join(second_page[end.first : end.last + 1]) == "northern light was rebuilt in 1892."


def test_a_glyph_read_differently_at_an_edge_leaves_the_passage_whole() -> None:
    page = list("used:\r\n\x02 A user connects to the server using the user profile ALICE.\r\n\x02 USER")
    match = match_span(page, "/SM590000 A user connects to the server using the user profile ALICE.")
    assert match is not None and match.part == "whole"
    matched = "".join(page[match.first : match.last + 1])
    assert matched == "A user connects to the server using the user profile ALICE."


def test_a_short_part_is_not_taken_for_the_passage() -> None:
    passage = "the northern light was rebuilt in 1892 after the storm"
    page = list("Nothing here but the northern wind.")  # shares "thenorthern" (11 letters)
    assert len(fold("the northern")) < MIN_PART_LETTERS
    assert match_span(page, passage) is None
    assert match_span(page, "") is None
    assert match_span(page, "...") is None


# --- rendering with PDFium ------------------------------------------------------------------


def test_a_passage_is_boxed_where_its_lines_are_printed() -> None:
    data = build_pdf([VOYAGE], page_labels=b"0 << /S /r >>")
    passage = "The archive keeps the information about every voyage of the northern fleet."
    shown = show_page(data, [1], passage, render=True)
    layout = shown.layout
    assert (layout.page, layout.page_count, layout.label, layout.placement) == (1, 1, "i", "whole")
    assert (layout.width, layout.height) == (1237, 1600)
    assert png_size(shown.png or b"") == (1237, 1600)
    assert len(layout.boxes) == 3  # one per printed line
    for box, line in zip(layout.boxes, VOYAGE, strict=False):
        assert box.top < baseline_pixel(line.y) < box.top + box.height
        assert abs(box.left - 72 * SCALE) < 6  # every line starts at the left margin
        assert box.left >= 0 and box.left + box.width <= layout.width
        assert box.top >= 0 and box.top + box.height <= layout.height
    # "Nothing else is written here." is not in the passage, and no box reaches its line.
    assert all(box.top + box.height < baseline_pixel(600) - 10 for box in layout.boxes)


def test_a_passage_not_on_the_page_is_not_placed_but_the_page_is_shown() -> None:
    shown = show_page(build_pdf([VOYAGE]), [1], "A sentence printed nowhere in this file.", render=True)
    assert shown.layout.placement == "none" and shown.layout.boxes == ()
    assert png_size(shown.png or b"") == (1237, 1600)
    assert show_page(build_pdf([VOYAGE]), [1], "", render=False).layout.placement == "none"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_a_passage_on_a_scanned_page_is_boxed_where_ocr_reads_its_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Page 2 is an image of two printed lines: PDFium has no characters there, the parser's
    # text came from OCR, and the renderer finds the quote among the words OCR reads.
    data = build_pdf([[Line("A typed first page.", 700)], []], images={1: scanned_page_pixels(SCANNED_TEXT)})
    text = parse_document(data, "scan.pdf").text
    start = text.index("Invoice")
    passage = text[start : text.index("March", start) + len("March.")]  # as OCR spelt it
    shown = show_page(data, [1, 2], passage, render=False)
    layout = shown.layout
    assert (layout.page, layout.placement) == (2, "whole")
    (box,) = layout.boxes  # one printed line
    assert box.top < baseline_pixel(670) < box.top + box.height
    assert abs(box.left - 72 * SCALE) < 8
    assert box.top > baseline_pixel(700)  # below the first line, which is not quoted
    # Without Tesseract the page is shown, the passage not placed.
    monkeypatch.setattr(page_render, "tesseract_available", lambda: False)
    assert show_page(data, [2], passage, render=False).layout.placement == "none"


def test_a_passage_over_a_page_break_starts_on_the_first_page_and_ends_on_the_next() -> None:
    data = build_pdf(BREAK)
    found = show_page(data, [1, 2], REBUILT, render=False)
    assert (found.layout.page, found.layout.placement, found.png) == (1, "start", None)
    (box,) = found.layout.boxes
    assert box.top < baseline_pixel(686) < box.top + box.height
    ending = show_page(data, [2], REBUILT, render=False).layout
    assert ending.placement == "end" and len(ending.boxes) == 1
    # A passage wholly on page 2 is found there when pages 1 and 2 are the candidates.
    assert show_page(data, [1, 2], "northern light was rebuilt in 1892", render=False).layout.page == 2


def test_boxes_follow_the_page_rotation() -> None:
    layout = show_page(build_pdf([VOYAGE], rotate=90), [1], "northern fleet since 1820", render=False).layout
    assert (layout.width, layout.height) == (1600, 1237)  # shown landscape
    (box,) = layout.boxes
    # Turned a quarter clockwise, a line near the top of the page runs down near its right side.
    assert box.height > 3 * box.width
    assert box.left > layout.width / 2
    assert box.left + box.width <= layout.width and box.top + box.height <= layout.height


def test_the_image_is_bounded_however_large_the_page() -> None:
    banner = build_pdf([VOYAGE]).replace(b"[0 0 612 792]", b"[0 0 7200 72]")  # 100 in x 1 in, same length
    layout = show_page(banner, [1], "", render=True)
    assert png_size(layout.png or b"") == (layout.layout.width, layout.layout.height) == (1600, 16)
    small = show_page(build_pdf([VOYAGE]), [1], "", render=True, max_side=300)
    assert max(png_size(small.png or b"")) <= 300


def test_pages_that_do_not_exist_and_files_that_are_not_pdfs_are_page_errors() -> None:
    data = build_pdf([VOYAGE])
    with pytest.raises(PageError, match="has 1 pages"):
        show_page(data, [2], "", render=False)
    with pytest.raises(PageError, match="cannot be opened"):
        show_page(b"%PDF-1.7 this is not a PDF", [1], "", render=False)
    with pytest.raises(PageError, match="longer than"):
        show_page(data, [1], "x" * 20_001, render=False)


def test_png_rows_are_the_bitmap_rows() -> None:
    rows = bytes(range(6)) + b"\xff\xff" + bytes(range(6, 12)) + b"\xff\xff"  # 2 RGB pixels, stride 8
    png = encode_png(rows, 2, 2, 3, 8)
    assert png_size(png) == (2, 2)
    length = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    idat = png[41 : 41 + length]
    assert struct.unpack(">I", png[41 + length : 45 + length])[0] == zlib.crc32(b"IDAT" + idat)
    assert zlib.decompress(idat) == b"\x00" + bytes(range(6)) + b"\x00" + bytes(range(6, 12))
    with pytest.raises(ValueError):
        encode_png(rows, 3, 2, 3, 8)


# --- in a child process ---------------------------------------------------------------------


def test_the_child_process_shows_the_same_page_from_bytes_or_a_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = build_pdf(BREAK)
    path = tmp_path / "break.pdf"
    path.write_bytes(data)
    direct = show_page(data, [1, 2], REBUILT, render=True)
    for source in (data, path):
        isolated = show_page_isolated(source, [1, 2], REBUILT, render=True)
        assert isolated == direct
        assert PageLayout.from_json(isolated.layout.to_json()) == isolated.layout
    assert show_page_isolated(path, [2], "", render=False).png is None


def test_the_child_process_reports_a_bad_file_and_is_stopped_at_its_time_limit() -> None:
    with pytest.raises(PageError, match="cannot be opened"):
        show_page_isolated(b"%PDF-1.7 garbage", [1], "", render=False)
    with pytest.raises(PageError, match="took longer than"):
        show_page_isolated(build_pdf([VOYAGE]), [1], "", render=True, timeout=0.01)
