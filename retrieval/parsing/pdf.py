"""PDF: the text of each page, split into paragraphs, with pages, page labels and headings.

pypdf gives a page's text as lines in content-stream order, with no paragraph marks; a
visitor sees each piece of text with its font size and position, which is what the
structure below is read from.

* Paragraphs are rebuilt from line shapes (``pdf_lines``). Tables are recognized from
  them too (``pdf_tables``, measuring each shown string beside pypdf: ``pdf_geometry``):
  their rows become " | "-joined lines with their header rows marked, one table even
  where a page break splits it.
* Running headers and footers (a line among the top or bottom lines of many pages that
  show other text too, page numbers allowed to differ) stay in the text but are marked
  excluded, so no chunk carries "Table of Contents" or "Company | Q3 2023 Form 10-Q | 17"
  (``pdf_running``).
* Headings come from the outline (bookmarks), placed where the bookmark's title is
  printed on its page; a PDF without an outline gets headings from font size (short
  lines clearly larger than the body text, one level per size): ``pdf_headings``.
* Page labels (/PageLabels: "i", "ii", "1") are kept beside the page index.
* A page with no text layer is read by OCR (``pdf_ocr``) and said so, and so
  is a page whose text is mostly in fonts without a Unicode mapping: pypdf gives such a font's
  glyph names ("/g18/g152"), which are not text; the page's pixels are.

Bounds: pypdf's resource limits are raised to what real files need (``PYPDF_LIMITS``),
the whole parse has a time budget that is checked inside a page too, and the process's
resident memory may grow by at most MEMORY_BUDGET_BYTES while a PDF is read. A limit of
ours that stops a page is reported as ours, never as damage to the file.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

import pypdf
from pypdf import PasswordType
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.ocr import tesseract_available
from retrieval.parsing.pdf_geometry import RunTracker
from retrieval.parsing.pdf_headings import font_headings, outline_headings
from retrieval.parsing.pdf_lines import (
    LIGATURES,
    Line,
    Piece,
    Spellings,
    assemble,
    join_drop_caps,
    paragraphs,
    typical_width,
)
from retrieval.parsing.pdf_ocr import SCANNED_LOSSES, UNMAPPED, UNMAPPED_LOSSES, read_by_ocr
from retrieval.parsing.pdf_running import running_lines
from retrieval.parsing.pdf_spacing import close_kerned_gaps, gap_threshold
from retrieval.parsing.pdf_tables import find_tables, line_cells
from retrieval.parsing.titles import real_title

# Glyph names pypdf prints for fonts that have no Unicode mapping ("/g18/g152/g3").
_GLYPH_NAMES = re.compile(r"/g\d+")
MIB = 1024**2
# pypdf's defaults refuse arrays and dictionaries over 100,000 elements, and valid
# filings hold bigger ones (a long table's TJ arrays, a structure tree's /Nums). One
# element costs about 80 bytes and 5 microseconds to parse (measured with pypdf 7.1), so
# these caps bound one object at about 80 MB and 5 s. Decompressed streams are capped
# below pypdf's 75 MB, and a content stream at 4 million tokens (about 320 MB, 20 s).
PYPDF_LIMITS: dict[str, Any] = {
    "array_maximum_element_count": 1_000_000,
    "dictionary_maximum_element_count": 1_000_000,
    "stream_parsing_work_maximum_count": 4_000_000,
    "maximum_declared_stream_length": 64 * MIB,
    "array_based_stream_maximum_output_length": 64 * MIB,
    "zlib_maximum_output_length": 64 * MIB,
    "lzw_maximum_output_length": 64 * MIB,
    "run_length_maximum_output_length": 64 * MIB,
    "brotli_maximum_output_length": 64 * MIB,
    "image_maximum_buffer_size": 64 * MIB,
}
# pypdf is pure Python and some pages (huge vector drawings) are slow to read: past this,
# the remaining pages are reported as not read instead of holding the worker.
TIME_BUDGET_SECONDS = 300
# What reading one PDF may add to the process's resident memory (pypdf keeps every
# object it has parsed until the reader goes away).
MEMORY_BUDGET_BYTES = 1536 * MIB
# The budgets are checked every this many content-stream operators inside a page.
_CHECK_EVERY = 512

Progress = Callable[[int, int], None]


class _PageText(NamedTuple):
    lines: list[Line] | None  # None: extraction failed
    # Most of the page's characters were glyph names of a font without a Unicode mapping
    # (they are left out of `lines`): OCR reads it better than its text layer.
    unmapped: bool = False


class _Stop(BaseException):
    """Raised from inside pypdf's extraction to stop it. A BaseException because pypdf
    catches Exception around form XObjects and would swallow it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Budget:
    """The parse's time and memory budget, checked between pages and inside a page."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + TIME_BUDGET_SECONDS
        self._memory_start = _resident_bytes()

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Stop("not read: the PDF took too long to extract")
        resident = _resident_bytes()
        start = self._memory_start
        if resident is not None and start is not None and resident - start > MEMORY_BUDGET_BYTES:
            raise _Stop(
                f"not read: the PDF needs more memory than this server's {MEMORY_BUDGET_BYTES // MIB} MB"
            )

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None  # not Linux: the time budget and pypdf's caps still hold


def parse_pdf(data: bytes, progress: Progress | None = None) -> ParsedDocument:
    """Parse a PDF; ``progress(pages_read, page_count)`` is called as pages are read."""
    with pypdf.apply_configuration(None, **PYPDF_LIMITS):
        return _parse(data, progress)


def _parse(data: bytes, progress: Progress | None) -> ParsedDocument:
    reader = _open(data)
    try:
        pages = list(reader.pages)
    except DependencyError as error:
        raise _unsupported_encryption(error) from error
    except LimitReachedError as error:
        raise _our_limit(error) from error
    except Exception as error:
        raise ParseError(f"PDF is damaged and its pages cannot be read ({error})") from error
    losses: dict[str, list[int]] = defaultdict(list)  # what was lost -> on which pages
    budget = _Budget()
    page_lines: list[list[Line] | None] = []
    unread: list[int] = []  # 0-based indexes of pages with no text layer
    unmapped: list[int] = []  # and of those whose text is mostly unmapped glyphs
    # Pages read so far, as progress counts them: a page OCR is to read counts once it has
    # (a scanned PDF's OCR takes seconds a page, its text layer none).
    read_pages = 0
    ocr_installed = tesseract_available()

    def one_more_read() -> None:
        nonlocal read_pages
        read_pages += 1
        if progress is not None:
            progress(read_pages, len(pages))

    for index, page in enumerate(pages):
        number = index + 1
        read = _PageText(None)
        try:
            if index > 0:  # the first page is always read
                budget.check()
            read = _page_lines(page, number, losses, budget)
        except _Stop as stop:
            losses[stop.reason].extend(range(number, len(pages) + 1))
            page_lines.extend([None] * (len(pages) - index))
            break
        page_lines.append(read.lines)
        blank = read.lines is not None and not any(line.text for line in read.lines)
        if read.unmapped:  # a page all in such a font too: its warning is about the font
            unmapped.append(index)
        elif blank:
            unread.append(index)
        if not (ocr_installed and (read.unmapped or blank)):
            one_more_read()
        elif index == 0 and progress is not None:
            progress(0, len(pages))  # the page count, at once
    ocr_pages: set[int] = set()
    for indexes, said in ((unread, SCANNED_LOSSES), (unmapped, UNMAPPED_LOSSES)):
        ocr_pages |= read_by_ocr(
            data,
            indexes,
            page_lines,
            losses,
            installed=ocr_installed,
            remaining=budget.remaining,
            each=one_more_read,
            said=said,
        )
    labels = _page_labels(reader, len(pages))
    excluded = running_lines(page_lines, ocr_pages)
    headings, consumed = outline_headings(reader, page_lines, excluded)
    if not headings:
        headings, consumed = font_headings(page_lines, excluded)
    tables = find_tables(page_lines, excluded | consumed)
    table_lines = {(part.page, j) for part in tables.values() for j in part.lines}

    builder = DocumentBuilder("pdf")
    spelt = Spellings([line.text for lines in page_lines for line in lines or ()])
    for index, lines in enumerate(page_lines):
        if not lines:
            continue
        builder.start_page(index + 1, labels[index], ocr=index in ocr_pages)
        body: list[str] = []
        typical = typical_width(lines)

        def flush(body: list[str] = body, typical: int = typical) -> None:
            for paragraph in paragraphs(body, typical, spelt):
                builder.add_paragraph(paragraph)
            body.clear()

        for j, line in enumerate(lines):
            for heading in headings.get((index, j), ()):
                flush()
                builder.add_heading(heading.level, heading.text, in_text=heading.in_text)
            if (index, j) in consumed:
                continue
            if (index, j) in excluded:
                flush()
                builder.add_paragraph(line.text, excluded=True)
                continue
            part = tables.get((index, j))
            if part is not None:
                flush()
                builder.add_table(part.rows, header_rows=part.header_rows, continues=part.continues)
            if (index, j) not in table_lines:
                body.append(line.text)
        flush()
        for heading in headings.get((index, len(lines)), ()):
            builder.add_heading(heading.level, heading.text, in_text=heading.in_text)
    builder.warnings.extend(f"{_page_ranges(numbers)}: {loss}" for loss, numbers in losses.items())
    if builder.is_empty:
        raise _nothing_read(pages, losses, scanned=any(_has_images(pages[index]) for index in unread))
    return builder.build(title=_title(reader), page_count=len(pages))


def _open(data: bytes) -> pypdf.PdfReader:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        # pypdf has already tried the empty password, which opens PDFs that are only
        # protected against printing or copying.
        locked = reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED
    except DependencyError as error:
        raise _unsupported_encryption(error) from error
    except LimitReachedError as error:
        raise _our_limit(error) from error
    except Exception as error:
        raise ParseError(f"PDF is damaged and cannot be read ({error})") from error
    if locked:
        raise ParseError("PDF is encrypted and cannot be read without a password")
    return reader


def _unsupported_encryption(error: DependencyError) -> ParseError:
    # AES needs the optional "cryptography" package; pypdf says so in its message.
    return ParseError(f"PDF uses an encryption this server cannot read ({error})")


def _our_limit(error: LimitReachedError) -> ParseError:
    return ParseError(
        f"PDF was not read: it is larger than this server's limits for one PDF allow ({error}). "
        "This is a limit of the server, not damage to the file."
    )


def _nothing_read(
    pages: list[pypdf.PageObject], losses: dict[str, list[int]], *, scanned: bool
) -> ParseError:
    """The reason a PDF gave no text at all: ours (a limit) before the file's."""
    if not pages:
        return ParseError("PDF has no pages")
    ours = [loss for loss in losses if loss.startswith("not read")]
    if ours:
        return ParseError(f"no text was read: {ours[0]}")
    failed = [loss for loss in losses if loss.startswith("text could not be extracted")]
    if failed:
        return ParseError(f"no page could be read: {failed[0]}")
    ocr = [loss.split("; ", 1)[1] for loss in losses if "; OCR" in loss]
    if scanned:
        found = ocr[0] if ocr else "OCR found no text in its images"
        return ParseError(f"no extractable text: the PDF looks scanned (images only); {found}")
    return ParseError("no extractable text: the PDF has no text layer")


def _has_images(page: pypdf.PageObject) -> bool:
    try:
        resources: Any = page["/Resources"].get_object()
        xobjects = resources["/XObject"].get_object()
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    except Exception:
        return False  # no resources or broken ones: either way, no image we can vouch for


def _page_lines(
    page: pypdf.PageObject, number: int, losses: dict[str, list[int]], budget: _Budget
) -> _PageText:
    """The page's lines with their font sizes and heights (None when extraction failed)."""
    pieces: list[Piece] = []
    operators = 0
    tracker = RunTracker(page)

    def on_text(text: str, cm: Any, tm: Any, font: Any, font_size: Any) -> None:
        runs = tracker.take()  # the strings shown since the last piece are this piece's
        if not text:
            return
        try:
            # The text matrix times the current transformation: its y axis's length is
            # the scale of the font size, its last entry the baseline height.
            c = tm[2] * cm[0] + tm[3] * cm[2]
            d = tm[2] * cm[1] + tm[3] * cm[3]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            size = abs(float(font_size)) * math.hypot(c, d)
        except (TypeError, ValueError, IndexError):
            size, y = 0.0, math.nan
        pieces.append((text, size, y, runs))

    def on_operator(operator: Any, operands: Any, cm: Any, tm: Any) -> None:
        nonlocal operators
        operators += 1
        if operators % _CHECK_EVERY == 0:
            budget.check()
        tracker.before(operator, operands, cm, tm)
        if operator == b"TJ" and operands and isinstance(operands[0], list):
            # Letter-spaced text: a kern is not a word gap ("mo del"); before pypdf reads it.
            width = tracker.space_width()
            if width:
                close_kerned_gaps(operands[0], gap_threshold(width))

    try:
        page.extract_text(
            visitor_text=on_text, visitor_operand_before=on_operator, visitor_operand_after=tracker.after
        )
    except FileNotDecryptedError as error:
        raise ParseError("PDF is encrypted and cannot be read without a password") from error
    except DependencyError as error:
        raise _unsupported_encryption(error) from error
    except LimitReachedError as error:
        losses[f"not read: the page is larger than this server's limits allow ({error})"].append(number)
        return _PageText(None)
    except MemoryError:
        losses["not read: the page needs more memory than this server has"].append(number)
        return _PageText(None)
    except Exception as error:
        # One broken page must not cost the others: say precisely what was lost and go on.
        name, detail = type(error).__name__, str(error).strip()[:120]
        losses[f"text could not be extracted ({name}{': ' + detail if detail else ''})"].append(number)
        return _PageText(None)
    lines = join_drop_caps(assemble(pieces))
    glyph_names = sum(len(_GLYPH_NAMES.findall(line.text)) for line in lines)
    # One glyph name is one character shown; the rest of the page's letters and digits are read.
    readable = sum(c.isalnum() for line in lines for c in _GLYPH_NAMES.sub("", line.text))

    def clean(text: str) -> str:
        return (_GLYPH_NAMES.sub(" ", text) if glyph_names >= 5 else text).translate(LIGATURES).strip()

    for line in lines:
        cells = line_cells(line.text, line.runs)
        line.cells = [dataclasses.replace(cell, text=clean(cell.text)) for cell in cells] if cells else None
        line.text = clean(line.text)
    if glyph_names >= 5:
        losses[UNMAPPED].append(number)
    return _PageText(lines, unmapped=glyph_names >= 5 and glyph_names > readable)


def _page_ranges(numbers: list[int]) -> str:
    """[4] -> "page 4"; [2, 3, 4, 7] -> "pages 2-4, 7": one warning line, not one per page."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return "pages " + ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)


# Page labels -----------------------------------------------------------------------------


def _page_labels(reader: pypdf.PdfReader, count: int) -> list[str | None]:
    """Each page's printed label when the PDF defines /PageLabels, else None for all."""
    try:
        if "/PageLabels" not in reader.root_object:
            return [None] * count
        labels = [clean_inline(str(label)) or None for label in reader.page_labels]
    except Exception:
        return [None] * count  # broken labels cost only the labels
    return (labels + [None] * count)[:count]


# Title ---------------------------------------------------------------------------------------


def _title(reader: pypdf.PdfReader) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:
        return None  # a broken info dictionary only costs the title
    return real_title(title) if isinstance(title, str) else None
