"""One page of a PDF as its reader knows it: rendered by PDFium, with a passage's boxes on it.

The page is rendered to a PNG whose longest side is at most `max_side` pixels, and the
passage (text from `Document.text`) is found among PDFium's own characters of that page
(`matching`), then drawn as PDFium's text rectangles mapped into the image's pixels by the
same transform the rendering used (`FPDF_PageToDevice`), so rotated and cropped pages line up.

A page whose text the parser read by OCR (a scan, or a font without a Unicode map:
`retrieval.parsing.pdf`) has no PDFium characters that spell the passage. Where PDFium places
it on none of the pages, it is looked for among the words Tesseract reads on each in turn
(`ocr_words`: the recognition the parser's text came from; for at most OCR_SECONDS), and
drawn as those words' boxes, one per line.

This runs PDFium in the calling process, unbounded in time: the web goes through `sandbox`,
which runs it in a child process with a time and memory limit.
"""

from __future__ import annotations

import ctypes
import math
import os
import time
from collections.abc import Sequence

import pypdfium2
import pypdfium2.raw as pdfium_c

from retrieval.pages.layout import MAX_SIDE, Box, PageError, PageLayout, PdfSource, Placement, RenderedPage
from retrieval.pages.matching import Part, SpanMatch, match_span
from retrieval.pages.png import encode_png
from retrieval.parsing.ocr import OcrError, OcrWord, ocr_words, render_grayscale, tesseract_available

# A small page (a receipt, a slide) is not blown up beyond 288 dpi.
MAX_SCALE = 4.0
# Passages are sentences or chunks; anything longer is not a passage to place on one page.
MAX_PASSAGE_CHARS = 20_000
# Pages have a few thousand characters; a crafted page with millions would be read one by one.
MAX_PAGE_CHARS = 200_000
# OCR of one page takes about 3 s here, and the sandbox gives the whole request 20 s: the
# pages of a passage PDFium does not place are read by OCR for at most this long.
OCR_SECONDS = 12.0


def show_page(
    source: PdfSource, pages: Sequence[int], passage: str, *, render: bool, max_side: int = MAX_SIDE
) -> RenderedPage:
    """The page of `pages` (1-based, in order) where `passage` starts, laid out with its boxes
    and rendered when `render`. With one page, that page; with several (the pages a passage
    may be on), the first holding the whole passage or its start, else the first holding its
    end, else the first where OCR finds it (see above), else the first. An empty passage
    places nothing."""
    if not pages or max_side < 1:
        raise ValueError("a page and a positive size are needed")
    if len(passage) > MAX_PASSAGE_CHARS:
        raise PageError(f"the passage is longer than {MAX_PASSAGE_CHARS:,} characters")
    try:
        document = pypdfium2.PdfDocument(source if isinstance(source, bytes) else os.fspath(source))
    except pypdfium2.PdfiumError as error:
        raise PageError(f"the PDF cannot be opened ({error})") from error
    try:
        count = len(document)
        if any(not 1 <= number <= count for number in pages):
            raise PageError(f"the PDF has {count} pages")
        number, match = _page_of(document, pages, passage)
        read = None
        if match is None and passage and tesseract_available():
            number, read = _ocr_page_of(document, pages, passage, default=number)
        page = document[number - 1]
        try:
            return _rendered(document, page, number, count, match, read, render=render, max_side=max_side)
        finally:
            page.close()
    except pypdfium2.PdfiumError as error:
        raise PageError(f"the page cannot be read ({error})") from error
    finally:
        document.close()


def _page_of(
    document: pypdfium2.PdfDocument, pages: Sequence[int], passage: str
) -> tuple[int, SpanMatch | None]:
    ending: tuple[int, SpanMatch] | None = None
    for number in pages:
        match = _match(document, number, passage) if passage else None
        if match is not None and match.part != "end":
            return number, match
        if match is not None and ending is None:
            ending = (number, match)
        if len(pages) == 1:
            return number, match
    return ending if ending is not None else (pages[0], None)


def _match(document: pypdfium2.PdfDocument, number: int, passage: str) -> SpanMatch | None:
    page = document[number - 1]
    try:
        text = page.get_textpage()
        try:
            return match_span(_characters(text), passage)
        finally:
            text.close()
    finally:
        page.close()


OcrPlacement = tuple[Part, list[list[OcrWord]], int, int]  # part, words by line, OCR image size


def _ocr_page_of(
    document: pypdfium2.PdfDocument, pages: Sequence[int], passage: str, default: int
) -> tuple[int, OcrPlacement | None]:
    """The first of `pages` where OCR finds the passage (or a part of it), while OCR_SECONDS
    last; else (`default`, None)."""
    deadline = time.monotonic() + OCR_SECONDS
    for number in pages:
        remaining = deadline - time.monotonic()
        if remaining < 1:
            break
        page = document[number - 1]
        try:
            read = _ocr_match(page, passage, remaining)
        finally:
            page.close()
        if read is not None:
            return number, read
    return default, None


def _ocr_match(page: pypdfium2.PdfPage, passage: str, timeout: float) -> OcrPlacement | None:
    """Where the passage lies among the words OCR reads on the page: its part, its words line
    by line, and the OCR image's size; None where OCR fails or finds no part of it."""
    try:
        image = render_grayscale(page)
        words = ocr_words(image, timeout=timeout)
    except OcrError:
        return None
    # One string per character, a space after each word, and the word each came from.
    characters = [c for word in words for c in (*word.text, " ")]
    owners = [i for i, word in enumerate(words) for _ in range(len(word.text) + 1)]
    match = match_span(characters, passage)
    if match is None:
        return None
    lines: list[list[OcrWord]] = []
    for word in words[owners[match.first] : owners[match.last] + 1]:
        if lines and lines[-1][0].line == word.line:
            lines[-1].append(word)
        else:
            lines.append([word])
    return match.part, lines, image.shape[1], image.shape[0]


def _characters(text: pypdfium2.PdfTextPage) -> list[str]:
    """Each of the text page's characters, by its index (generated spaces and line breaks
    included, as PDFium counts them), so a match maps back to character indices exactly."""
    count = text.count_chars()
    if count > MAX_PAGE_CHARS:
        raise PageError(f"the page has more than {MAX_PAGE_CHARS:,} characters")
    codes = (pdfium_c.FPDFText_GetUnicode(text, index) for index in range(count))
    return [chr(code) if 0 < code <= 0x10FFFF else "" for code in codes]


def _scale(width: float, height: float, max_side: int) -> float:
    """Pixels per point such that the longest side, rounded up as PDFium does, fits."""
    if not (width > 0 and height > 0 and math.isfinite(width) and math.isfinite(height)):
        raise PageError("the page has no size")
    longest = max(width, height)
    scale = min(max_side / longest, MAX_SCALE)
    while math.ceil(longest * scale) > max_side:  # floating point: 792 * (1600/792) > 1600
        scale = math.nextafter(scale, 0.0)
    return scale


def _rendered(
    document: pypdfium2.PdfDocument,
    page: pypdfium2.PdfPage,
    number: int,
    count: int,
    match: SpanMatch | None,
    read: OcrPlacement | None,
    *,
    render: bool,
    max_side: int,
) -> RenderedPage:
    points_wide, points_high = page.get_size()
    scale = _scale(points_wide, points_high, max_side)
    # Exactly the size `PdfPage.render` gives its bitmap, so boxes and image agree.
    width, height = max(1, math.ceil(points_wide * scale)), max(1, math.ceil(points_high * scale))
    pad = max(1, round(scale))
    boxes: tuple[Box, ...] = ()
    placement: Placement = "none"
    if match is not None:
        boxes, placement = _boxes(page, match, width, height, pad), match.part
    elif read is not None:
        part, lines, ocr_width, ocr_height = read
        scales = width / ocr_width, height / ocr_height
        boxes, placement = _word_boxes(lines, *scales, width, height, pad), part
    layout = PageLayout(
        page=number,
        page_count=count,
        label=document.get_page_label(number - 1) or "",
        width=width,
        height=height,
        boxes=boxes,
        placement=placement if boxes else "none",
    )
    if not render:
        return RenderedPage(layout, None)
    bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=False)
    try:
        if (bitmap.width, bitmap.height) != (width, height):
            raise PageError("the page rendered at an unexpected size")
        png = encode_png(bitmap.buffer, bitmap.width, bitmap.height, bitmap.n_channels, bitmap.stride)
    finally:
        bitmap.close()
    return RenderedPage(layout, png)


def _boxes(page: pypdfium2.PdfPage, match: SpanMatch, width: int, height: int, pad: int) -> tuple[Box, ...]:
    """PDFium's rectangles of the matched characters (one per run of text on a line), in
    the image's pixels, padded a little so the highlight does not clip the glyphs."""
    text = page.get_textpage()
    try:
        count = text.count_rects(match.first, match.last - match.first + 1)
        rectangles = [text.get_rect(i) for i in range(count)]
    finally:
        text.close()
    boxes = []
    for left, bottom, right, top in rectangles:
        corners = [_to_pixels(page, x, y, width, height) for x, y in ((left, top), (right, bottom))]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        x0, x1 = max(0, min(xs) - pad), min(width, max(xs) + pad)
        y0, y1 = max(0, min(ys) - pad), min(height, max(ys) + pad)
        if x1 > x0 and y1 > y0:
            boxes.append(Box(x0, y0, x1 - x0, y1 - y0))
    return tuple(boxes)


def _word_boxes(
    lines: list[list[OcrWord]], x_scale: float, y_scale: float, width: int, height: int, pad: int
) -> tuple[Box, ...]:
    """One box per line of OCR words, from the OCR image's pixels into the shown image's."""
    boxes = []
    for words in lines:
        x0 = max(0, math.floor(min(w.left for w in words) * x_scale) - pad)
        y0 = max(0, math.floor(min(w.top for w in words) * y_scale) - pad)
        x1 = min(width, math.ceil(max(w.left + w.width for w in words) * x_scale) + pad)
        y1 = min(height, math.ceil(max(w.top + w.height for w in words) * y_scale) + pad)
        if x1 > x0 and y1 > y0:
            boxes.append(Box(x0, y0, x1 - x0, y1 - y0))
    return tuple(boxes)


def _to_pixels(page: pypdfium2.PdfPage, x: float, y: float, width: int, height: int) -> tuple[int, int]:
    """A point of the page, in the pixels of the image rendered `width` × `height` unrotated
    (PDFium applies the page's own /Rotate and crop box, as when it renders)."""
    device_x, device_y = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDF_PageToDevice(page, 0, 0, width, height, 0, x, y, device_x, device_y):
        raise PageError("the page's coordinates cannot be mapped")
    return device_x.value, device_y.value
