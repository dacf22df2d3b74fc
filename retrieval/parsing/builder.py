"""Assemble a ParsedDocument paragraph by paragraph, keeping track of headings and pages.

Every format parser walks its file in reading order and calls ``add_paragraph``,
``add_heading`` and ``start_page``; the builder owns whitespace cleanup, the "\\n\\n"
paragraph separator and the section bookkeeping, so all formats agree on them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.document import ParsedDocument, ParseError, Section, Table, TableRow
from retrieval.parsing.table_cells import tidy_rows

PARAGRAPH_SEPARATOR = "\n\n"
CELL_SEPARATOR = " | "
HEADING_MAX_CHARS = 200  # a whole paragraph wrongly styled as a heading must not bloat every path
# What starts a list item in the text: the "- " the DOCX, HTML and Markdown parsers write, the
# bullets and dashes PDFs print, "1." / "(a)" markers. Matched at the start of a line.
LIST_ITEM = re.compile(
    r"(?:[\u2022\u25e6\u25aa\u2023\u25cf\u25cb\u25a0\u25a1\-\u2013\u2014*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s"
)

# Characters that carry no text: C0/C1 controls (except tab and newline), lone surrogates
# (pypdf can produce them; they cannot be stored as UTF-8), zero-width marks, soft hyphens.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u00ad\u200b\u2060\ufeff]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n")


def clean_text(text: str, *, preformatted: bool = False) -> str:
    """Normalize newlines, drop invisible characters and collapse runs of spaces.

    Inside ``preformatted`` text (code blocks) a line's leading indentation is kept,
    because it is what makes code readable in a citation snippet.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    lines = []
    for line in text.split("\n"):
        if preformatted:
            stripped = line.lstrip()
            indent = line[: len(line) - len(stripped)].replace("\t", "    ")
            lines.append(indent + _HORIZONTAL_SPACE.sub(" ", stripped).rstrip())
        else:
            lines.append(_HORIZONTAL_SPACE.sub(" ", line).strip())
    return "\n".join(lines).strip("\n") if preformatted else "\n".join(lines).strip()


def clean_inline(text: str) -> str:
    """Clean text that must stay on one line (headings, table cells, titles)."""
    return _HORIZONTAL_SPACE.sub(" ", _INVISIBLE.sub("", text).replace("\n", " ")).strip()


class DocumentBuilder:
    def __init__(self, format: str) -> None:
        self.format = format
        self.warnings: list[str] = []
        self.first_h1: str | None = None
        self._parts: list[str] = []
        self._length = 0
        # Each open or closed section as (start, page, heading_path, page_label, ocr); ends
        # are implied.
        self._sections: list[tuple[int, int | None, tuple[str, ...], str | None, bool]] = []
        self._headings: list[tuple[int, str]] = []  # (level, text), levels strictly increasing
        self._page: int | None = None
        self._page_label: str | None = None
        self._ocr = False
        self._excluded: list[tuple[int, int]] = []
        self._tables: list[list[TableRow]] = []
        self._table_open = False  # nothing but excluded text was added since the last table

    @property
    def heading_path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._headings)

    @property
    def is_empty(self) -> bool:
        return self._length == 0

    @property
    def length(self) -> int:
        """Characters of text added so far: a reader of one part of a document (a chapter
        of an EPUB) compares it before and after to know whether the part held any text."""
        return self._length

    def start_page(self, page: int, label: str | None = None, *, ocr: bool = False) -> None:
        """Paragraphs from here on are on ``page`` (1-based), printed as ``label``; ``ocr``
        when their text was read from the page's image."""
        self._page = page
        self._page_label = label
        self._ocr = ocr

    def add_heading(self, level: int, text: str, *, in_text: bool = True) -> None:
        """Enter a heading of ``level`` (1 = top) and add its text as a paragraph.

        Skipped levels are fine (an H3 right under an H1 gives a two-element path).
        With ``in_text=False`` only the heading path changes: for a PDF bookmark whose
        title is not printed on the page, the text must not claim it is.
        """
        heading = clean_inline(text)
        if not heading:
            return  # an empty heading would only add an unnamed level to the path
        if len(heading) > HEADING_MAX_CHARS:
            heading = heading[: HEADING_MAX_CHARS - 1].rstrip() + "…"
        while self._headings and self._headings[-1][0] >= level:
            self._headings.pop()
        self._headings.append((level, heading))
        if level == 1 and self.first_h1 is None and in_text:
            self.first_h1 = heading
        if in_text:
            self.add_paragraph(clean_inline(text))

    def clear_headings(self) -> None:
        """Leave every open heading: what follows is under none (a slide without a title
        must not read as part of the slide before it)."""
        self._headings.clear()

    def add_paragraph(self, text: str, *, preformatted: bool = False, excluded: bool = False) -> None:
        """Add one block of text; blank lines inside it split it into several paragraphs.

        ``excluded`` text (a running header or footer) is part of the document's text but
        not of any chunk.
        """
        cleaned = clean_text(text, preformatted=preformatted)
        for paragraph in _BLANK_LINES.split(cleaned):
            if paragraph.strip():
                self._append(paragraph, excluded=excluded)

    def add_table(
        self, rows: Sequence[Sequence[str]], *, header_rows: int = 0, continues: bool = False
    ) -> None:
        """Add a table as one paragraph, a line per row, its cells joined by " | ".

        The first ``header_rows`` rows hold column names. With ``continues`` the rows are
        the rest of the table added last (its part on the next page of a PDF): they join
        that table, and their header rows, if any, are its header repeated.
        """
        lines: list[tuple[str, bool]] = []
        for index, cells in enumerate(tidy_rows(rows)):
            line = clean_inline(CELL_SEPARATOR.join(clean_inline(cell) for cell in cells))
            if line.replace("|", "").strip():
                lines.append((line, index < header_rows))
        if not lines:
            return
        joins = continues and self._table_open
        self._append("\n".join(line for line, _ in lines))
        self._table_open = True
        offset = self._length - sum(len(line) + 1 for line, _ in lines) + 1
        table_rows = []
        for line, header in lines:
            table_rows.append(TableRow(offset, offset + len(line), header))
            offset += len(line) + 1
        if joins:
            self._tables[-1].extend(table_rows)
        else:
            self._tables.append(table_rows)

    def _append(self, paragraph: str, *, excluded: bool = False) -> None:
        if self._parts:
            self._parts.append(PARAGRAPH_SEPARATOR)
            self._length += len(PARAGRAPH_SEPARATOR)
        key = (self._page, self.heading_path, self._page_label, self._ocr)
        if not self._sections or self._sections[-1][1:] != key:
            # The separator before this paragraph stays with the previous section, so the
            # sections tile the text with no gaps.
            self._sections.append((self._length, *key))
        if excluded:
            self._excluded.append((self._length, self._length + len(paragraph)))
        else:
            self._table_open = False
        self._parts.append(paragraph)
        self._length += len(paragraph)

    def build(self, *, title: str | None, page_count: int | None = None) -> ParsedDocument:
        if self.is_empty:
            raise ParseError("no extractable text: the file contains no readable text")
        text = "".join(self._parts)
        sections = []
        for i, (start, page, path, label, ocr) in enumerate(self._sections):
            end = self._sections[i + 1][0] if i + 1 < len(self._sections) else len(text)
            sections.append(
                Section(start=start, end=end, page=page, heading_path=path, page_label=label, ocr=ocr)
            )
        title = clean_inline(title) if title else None
        return ParsedDocument(
            text=text,
            sections=tuple(sections),
            format=self.format,
            title=title or None,
            warnings=tuple(self.warnings),
            page_count=page_count,
            excluded=tuple(self._excluded),
            tables=tuple(Table(tuple(rows)) for rows in self._tables),
        )
