"""One page of a PDF as its reader knows it: rendered by PDFium, with a passage's boxes on it.

The page is rendered to a PNG whose longest side is at most `max_side` pixels, and the
passage (text from `Document.text`) is found among PDFium's own characters of that page
(`matching`), then drawn as PDFium's text rectangles mapped into the image's pixels by the
same transform the rendering used (`FPDF_PageToDevice`), so rotated and cropped pages line up.

This runs PDFium in the calling process, unbounded in time: the web goes through `sandbox`,
which runs it in a child process with a time and memory limit.
"""

from __future__ import annotations

import ctypes
import math
import os
from collections.abc import Sequence

import pypdfium2
import pypdfium2.raw as pdfium_c

from retrieval.pages.layout import MAX_SIDE, Box, PageError, PageLayout, PdfSource, RenderedPage
from retrieval.pages.matching import SpanMatch, match_span
from retrieval.pages.png import encode_png

# A small page (a receipt, a slide) is not blown up beyond 288 dpi.
MAX_SCALE = 4.0
# Passages are sentences or chunks; anything longer is not a passage to place on one page.
MAX_PASSAGE_CHARS = 20_000
# Pages have a few thousand characters; a crafted page with millions would be read one by one.
MAX_PAGE_CHARS = 200_000


def show_page(
    source: PdfSource, pages: Sequence[int], passage: str, *, render: bool, max_side: int = MAX_SIDE
) -> RenderedPage:
    """The page of `pages` (1-based, in order) where `passage` starts, laid out with its boxes
    and rendered when `render`. With one page, that page; with several (the pages a passage
    may be on), the first holding the whole passage or its start, else the first holding its
    end, else the first. An empty passage places nothing."""
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
        page = document[number - 1]
        try:
            return _rendered(document, page, number, count, match, render=render, max_side=max_side)
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
    *,
    render: bool,
    max_side: int,
) -> RenderedPage:
    points_wide, points_high = page.get_size()
    scale = _scale(points_wide, points_high, max_side)
    # Exactly the size `PdfPage.render` gives its bitmap, so boxes and image agree.
    width, height = max(1, math.ceil(points_wide * scale)), max(1, math.ceil(points_high * scale))
    boxes = _boxes(page, match, width, height, pad=max(1, round(scale))) if match else ()
    layout = PageLayout(
        page=number,
        page_count=count,
        label=document.get_page_label(number - 1) or "",
        width=width,
        height=height,
        boxes=boxes,
        placement=match.part if match and boxes else "none",
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


def _to_pixels(page: pypdfium2.PdfPage, x: float, y: float, width: int, height: int) -> tuple[int, int]:
    """A point of the page, in the pixels of the image rendered `width` × `height` unrotated
    (PDFium applies the page's own /Rotate and crop box, as when it renders)."""
    device_x, device_y = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDF_PageToDevice(page, 0, 0, width, height, 0, x, y, device_x, device_y):
        raise PageError("the page's coordinates cannot be mapped")
    return device_x.value, device_y.value
