"""A document's text without its excluded spans (running headers and footers), which is
the text chunks are cut from, and the maps between offsets in the two texts."""

from __future__ import annotations

import bisect
import dataclasses

from retrieval.document import ParsedDocument, Table, TableRow


def content_text(doc: ParsedDocument, start: int, end: int) -> str:
    """``doc.text[start:end]`` less its excluded spans: the text a chunk there holds."""
    if not doc.excluded:
        return doc.text[start:end]
    view = ContentView(doc)
    return view.doc.text[view.to_view(start) : view.to_view(end - 1) + 1] if end > start else ""


class ContentView:
    """The document with its excluded spans (and the whitespace before each) removed,
    and the offset maps between the two texts. Table rows never hold excluded text (a
    running header is a paragraph of its own), so they map whole."""

    def __init__(self, doc: ParsedDocument) -> None:
        text = doc.text
        runs: list[tuple[int, int, int]] = []  # kept (document start, document end, view start)
        position = length = 0
        for start, end in doc.excluded:
            cut = start
            while cut > position and text[cut - 1].isspace():
                cut -= 1
            if cut > position:
                runs.append((position, cut, length))
                length += cut - position
            position = max(position, end)
        if position < len(text):
            runs.append((position, len(text), length))
            length += len(text) - position
        self._runs = runs
        self._view_starts = [run[2] for run in runs]
        self._document_starts = [run[0] for run in runs]
        view_text = "".join(text[a:b] for a, b, _ in runs)
        sections = []
        for section in doc.sections:
            a, b = self.to_view(section.start), self.to_view(section.end)
            if b > a:
                sections.append(dataclasses.replace(section, start=a, end=b))
        tables = tuple(Table(tuple(self._row(row) for row in table.rows)) for table in doc.tables)
        self.doc = dataclasses.replace(
            doc, text=view_text, sections=tuple(sections), excluded=(), tables=tables
        )

    def _row(self, row: TableRow) -> TableRow:
        return TableRow(self.to_view(row.start), self.to_view(row.end - 1) + 1, row.header)

    def to_document(self, offset: int) -> int:
        """The document offset of the view's character at ``offset``."""
        i = bisect.bisect_right(self._view_starts, offset) - 1
        start, _, view_start = self._runs[i]
        return start + offset - view_start

    def to_view(self, offset: int) -> int:
        """The view offset of the document's ``offset``; inside a removed span, the offset
        of the next kept character."""
        i = bisect.bisect_right(self._document_starts, offset) - 1
        if i < 0:
            return 0
        start, end, view_start = self._runs[i]
        return view_start + min(offset, end) - start
