"""A cited passage on its PDF page, as the reader knows the page: which page holds it, the
page's layout with the passage's boxes as CSS percentages, and the page's image.

The passage is always the document's own extracted text between two offsets
(`Document.text[start:end]`, the offsets citations and quotes carry): text from a query
string is never what is looked for. Chunks record the page they start on, which bounds the
pages a passage can start on; the renderer (`retrieval.pages`, in a child process) finds it
there among PDFium's characters. Layouts and images are cached on disk (`page_cache`).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from app.models import Document
from app.services import page_cache
from retrieval.pages.layout import MAX_SIDE, Box, PageError, PageLayout, PdfSource, Placement, RenderedPage
from retrieval.pages.sandbox import show_page_isolated

__all__ = [
    "Highlight",
    "PageBusy",
    "PageError",
    "PageView",
    "Passage",
    "cited_passage",
    "has_pages",
    "page_image",
    "page_view",
    "passage_page",
]

# A quote is a sentence and a search result a chunk (about 1,500 characters); a longer span
# is highlighted over its first this many characters.
MAX_PASSAGE_CHARS = 5_000
# The pages searched for where a passage starts, at most: chunks bound it to a page or two.
MAX_CANDIDATE_PAGES = 6
# Renderer processes one web process runs at once; more requests wait, then get "busy".
_RENDERERS = threading.BoundedSemaphore(2)
_WAIT_SECONDS = 10


class PageBusy(Exception):
    """Every renderer is busy: try again in a moment."""


@dataclass(frozen=True)
class Passage:
    start: int
    end: int
    text: str  # `document.text[start:end]`, cut at MAX_PASSAGE_CHARS


@dataclass(frozen=True)
class Highlight:
    """One box of the passage, in percentages of the page image (it scales with it)."""

    left: str
    top: str
    width: str
    height: str


@dataclass(frozen=True)
class PageView:
    page: int  # 1-based
    page_count: int
    label: str  # printed page label, "" when the PDF has none
    width: int  # the image's pixels
    height: int
    highlights: tuple[Highlight, ...]
    placement: Placement
    passage: Passage | None


def has_pages(document: Document) -> bool:
    """Whether the document is a PDF whose pages can be shown."""
    return document.format == "pdf" and bool(document.page_count) and bool(document.file)


def cited_passage(document: Document, start: str | None, end: str | None) -> Passage | None:
    """The passage between two offsets given as request parameters; None when they are not
    a span of the document's text."""
    try:
        first, last = int(start or ""), int(end or "")
    except ValueError:
        return None
    if not 0 <= first < last <= len(document.text):
        return None
    return Passage(first, last, document.text[first : min(last, first + MAX_PASSAGE_CHARS)])


def passage_page(document: Document, passage: Passage) -> int:
    """The page the passage starts on (the first of its possible pages when it cannot be
    placed). Raises PageError, PageBusy."""
    return _layout(document, _candidate_pages(document, passage.start), passage.text).page


def page_view(document: Document, page: int, passage: Passage | None) -> PageView:
    """Page `page` with the passage's boxes on it (the part of it on this page). Raises
    PageError, PageBusy."""
    layout = _layout(document, [page], passage.text if passage else "")
    return PageView(
        page=layout.page,
        page_count=layout.page_count,
        label=layout.label,
        width=layout.width,
        height=layout.height,
        highlights=tuple(_highlight(box, layout) for box in layout.boxes),
        placement=layout.placement,
        passage=passage,
    )


def page_image(document: Document, page: int) -> bytes:
    """The page rendered as a PNG, its longest side at most MAX_SIDE pixels. Raises
    PageError, PageBusy."""
    cached = page_cache.read(document.pk, _image_name(document, page))
    if cached is not None:
        return cached
    png = _render(document, [page], "", render=True).png
    assert png is not None
    return png


def _highlight(box: Box, layout: PageLayout) -> Highlight:
    def percent(value: int, whole: int) -> str:
        return f"{100 * value / whole:.3f}%"

    return Highlight(
        left=percent(box.left, layout.width),
        top=percent(box.top, layout.height),
        width=percent(box.width, layout.width),
        height=percent(box.height, layout.height),
    )


def _candidate_pages(document: Document, offset: int) -> list[int]:
    """The pages text at `offset` can be on: from the page of the last chunk starting at or
    before it to the page of the first chunk starting after it (pages only grow along the
    text)."""
    chunks = document.chunks.filter(page__isnull=False)
    low = chunks.filter(start__lte=offset).order_by("-start").values_list("page", flat=True).first() or 1
    high = chunks.filter(start__gt=offset).order_by("start").values_list("page", flat=True).first()
    high = min(high or document.page_count or low, low + MAX_CANDIDATE_PAGES - 1)
    return list(range(low, max(low, high) + 1))


def _layout(document: Document, pages: list[int], passage: str) -> PageLayout:
    name = _layout_name(document, pages, passage)
    cached = page_cache.read(document.pk, name)
    if cached is not None:
        return PageLayout.from_json(cached)
    # The browser asks for the image right after the layout: render it in the same run
    # unless it is cached already.
    render = page_cache.read(document.pk, _image_name(document, pages[0])) is None or len(pages) > 1
    return _render(document, pages, passage, render=render).layout


def _render(document: Document, pages: list[int], passage: str, *, render: bool) -> RenderedPage:
    if not _RENDERERS.acquire(timeout=_WAIT_SECONDS):
        raise PageBusy
    try:
        result = show_page_isolated(_source(document), pages, passage, render=render)
    finally:
        _RENDERERS.release()
    layout = result.layout.to_json()
    page_cache.write(document.pk, _layout_name(document, pages, passage), layout)
    if len(pages) > 1:  # the page view that follows asks for the page it was found on
        page_cache.write(document.pk, _layout_name(document, [result.layout.page], passage), layout)
    if result.png is not None:
        page_cache.write(document.pk, _image_name(document, result.layout.page), result.png)
    return result


def _source(document: Document) -> PdfSource:
    """The stored file's path (the renderer reads only the pages it needs), or its bytes
    from a storage without local paths."""
    try:
        return Path(document.file.path)
    except NotImplementedError:
        with document.file.open("rb") as stored:
            return bytes(stored.read())


def _image_name(document: Document, page: int) -> str:
    return f"{document.sha256[:16]}-{page}-{MAX_SIDE}.png"


def _layout_name(document: Document, pages: list[int], passage: str) -> str:
    digest = hashlib.sha256(passage.encode()).hexdigest()[:16]
    return f"{document.sha256[:16]}-{pages[0]}-{pages[-1]}-{MAX_SIDE}-{digest}.json"
