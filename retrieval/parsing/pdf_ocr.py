"""PDF pages read by OCR: pages with no text layer, and pages whose text is mostly in fonts
without a Unicode mapping.

``read_by_ocr`` renders each page (``retrieval.parsing.ocr``), reads it with Tesseract and
replaces the page's lines with what it read. What is said of a page depends on why it went to
OCR and how OCR went; both kinds share one loop and differ only in their words
(``SCANNED_LOSSES``, ``UNMAPPED_LOSSES``). The parse's time budget is passed in as a
function, so OCR stops where the rest of the parse would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from retrieval.parsing.ocr import PAGE_TIMEOUT_SECONDS, OcrError, PageRenderer, ocr_image
from retrieval.parsing.pdf_lines import LIGATURES, Line

UNMAPPED = "some text is in a font without a Unicode mapping and was skipped"
UNMAPPED_READ = "text in a font without a Unicode mapping, read by OCR (may contain recognition errors)"


@dataclasses.dataclass(frozen=True)
class OcrLosses:
    """What is said of a page sent to OCR, by how OCR went."""

    skipped: str  # Tesseract is not installed
    late: str  # not tried: the time budget ran out
    failed: str  # followed by the OcrError
    empty: str  # OCR found no text
    read: str
    replaces: str | None = None  # the loss the page was listed under before OCR


_NOT_INSTALLED = "OCR skipped: Tesseract is not installed on this server"
_TOO_LONG = "the PDF took too long to extract"
# A page without a text layer: nothing of it was read before OCR.
SCANNED_LOSSES = OcrLosses(
    skipped=f"no extractable text (scanned?); {_NOT_INSTALLED}",
    late=f"not read: {_TOO_LONG}",
    failed="no extractable text; OCR failed: ",
    empty="no extractable text",
    read="text read by OCR (may contain recognition errors)",
)
# A page mostly in fonts without a Unicode mapping (a Word export whose body font has no
# /ToUnicode: 21 of TAMReview.pdf's 23 pages gave their headings alone). It keeps its readable
# lines where OCR does not help, and its UNMAPPED loss then says why.
UNMAPPED_LOSSES = OcrLosses(
    skipped=f"{UNMAPPED}; {_NOT_INSTALLED}",
    late=f"{UNMAPPED}; OCR not tried: {_TOO_LONG}",
    failed=f"{UNMAPPED}; OCR failed: ",
    empty=f"{UNMAPPED}; OCR found no text",
    read=UNMAPPED_READ,
    replaces=UNMAPPED,
)


def read_by_ocr(
    data: bytes,
    indexes: list[int],
    page_lines: list[list[Line] | None],
    losses: dict[str, list[int]],
    *,
    installed: bool,
    remaining: Callable[[], float],
    each: Callable[[], None],
    said: OcrLosses,
) -> set[int]:
    """OCR the pages `indexes` of the PDF `data`, calling `each` after each, and say how it
    went in `losses` (`said`). `installed`: whether Tesseract is (asked once per parse, so
    the parse's progress and its OCR agree); `remaining()`: the parse's time left in seconds.
    Returns the indexes of the pages that gave text, whose lines replace the text layer's."""

    def lost(index: int, loss: str) -> None:
        if said.replaces is not None:
            losses[said.replaces].remove(index + 1)
            if not losses[said.replaces]:
                del losses[said.replaces]
        losses[loss].append(index + 1)

    if not indexes:
        return set()
    if not installed:
        for index in indexes:
            lost(index, said.skipped)
        return set()
    read: set[int] = set()
    for index, text in _ocr_pages(data, indexes, remaining, each):
        if text is None:
            lost(index, said.late)
        elif isinstance(text, OcrError):
            lost(index, f"{said.failed}{text}")
        elif not text.strip():
            lost(index, said.empty)
        else:
            page_lines[index] = [Line(line) for line in text.split("\n")]
            lost(index, said.read)
            read.add(index)
    return read


def _ocr_pages(
    data: bytes, indexes: list[int], remaining: Callable[[], float], each: Callable[[], None]
) -> Iterator[tuple[int, str | OcrError | None]]:
    """Each page's OCR text, or why it was not read: OcrError, or None past the time budget
    (the page is not tried); `each` is called once per page, after it. The PDF is opened for
    rendering once."""
    renderer: PageRenderer | OcrError
    try:
        renderer = PageRenderer(data)
    except OcrError as error:
        renderer = error
    try:
        for index in indexes:
            if isinstance(renderer, OcrError):
                outcome: str | OcrError | None = renderer
            elif remaining() <= 1:
                outcome = None
            else:
                try:
                    timeout = min(remaining(), PAGE_TIMEOUT_SECONDS)
                    text = ocr_image(renderer.grayscale(index), timeout=timeout)
                    outcome = text.translate(LIGATURES)
                except OcrError as error:
                    outcome = error
            each()
            yield index, outcome
    finally:
        if not isinstance(renderer, OcrError):
            renderer.close()
