"""What a parser hands to the chunker: the extracted text and where its sections lie."""

from __future__ import annotations

from dataclasses import dataclass


class ParseError(Exception):
    """A file could not be turned into text; ``str(error)`` says why, for the uploader."""


@dataclass(frozen=True)
class Section:
    """A run of ``ParsedDocument.text`` that shares one page and one heading path.

    Offsets are character offsets into the document text, half-open ``[start, end)``.
    """

    start: int
    end: int
    page: int | None  # 1-based, for paged formats (a PDF page, a PPTX slide); None otherwise
    heading_path: tuple[str, ...]  # () before the first heading
    # The page's printed label from the PDF's /PageLabels ("iv", "A-3"), when it has them.
    page_label: str | None = None
    ocr: bool = False  # the text was read from the page's image by OCR


@dataclass(frozen=True)
class TableRow:
    """One row of a table: a single line of ``ParsedDocument.text``, cells joined by " | "."""

    start: int
    end: int
    header: bool = False  # a row of column names (a table split over pages may repeat it)


@dataclass(frozen=True)
class Table:
    """A table's rows, in order, each a line of the text; consecutive rows are separated
    by a line break, or by a paragraph break (and excluded running lines) where a table
    continues on the next page."""

    rows: tuple[TableRow, ...]

    @property
    def start(self) -> int:
        return self.rows[0].start

    @property
    def end(self) -> int:
        return self.rows[-1].end

    def header_before(self, offset: int) -> tuple[int, int] | None:
        """The [start, end) span of the last run of header rows that ends at or before
        ``offset``: the column names of the rows from there on. The header rows of one run
        are consecutive lines, so the span is one contiguous piece of the text."""
        span: tuple[int, int] | None = None
        run_start: int | None = None
        for row in self.rows:
            if row.end > offset:
                break
            if row.header:
                run_start = row.start if run_start is None else run_start
                span = (run_start, row.end)
            else:
                run_start = None
        return span


@dataclass(frozen=True)
class ParsedDocument:
    """The full text of one file, paragraphs separated by a blank line ("\\n\\n").

    ``sections`` are in order, do not overlap and together cover ``text`` exactly; a new
    section starts wherever the page or the heading path changes.

    ``excluded`` spans are text that stays in ``text`` (it was on the page) but is not
    content: running headers and footers, page numbers. Chunking leaves them out.
    """

    text: str
    sections: tuple[Section, ...]
    format: str  # a key of retrieval.parsing.SUPPORTED_FORMATS ("pdf", "docx", "pptx"…)
    title: str | None
    # What could not be extracted, e.g. "page 4: no extractable text".
    warnings: tuple[str, ...] = ()
    page_count: int | None = None
    # [start, end) spans of ``text`` kept out of chunks, in order, not overlapping.
    excluded: tuple[tuple[int, int], ...] = ()
    filename: str | None = None  # the uploaded file's name, set by parse_document
    # Tables whose rows the parser recognized, in order, not overlapping: chunking keeps
    # their rows whole and repeats their header row in chunks that lack it.
    tables: tuple[Table, ...] = ()

    def section_at(self, offset: int) -> Section:
        """The section holding the character at ``offset`` (binary search)."""
        lo, hi = 0, len(self.sections) - 1
        if hi < 0 or not 0 <= offset < len(self.text):
            raise IndexError(f"offset {offset} outside the document text")
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.sections[mid].start <= offset:
                lo = mid
            else:
                hi = mid - 1
        return self.sections[lo]
