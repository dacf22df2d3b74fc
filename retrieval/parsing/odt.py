"""ODT (OpenDocument Text, as LibreOffice and Google Docs write it): the body in reading order.

An ODT is a ZIP archive whose ``mimetype`` member (else its manifest's root entry) says
``application/vnd.oasis.opendocument.text``; another OpenDocument type named .odt (a
spreadsheet, a presentation) is refused naming what it is. The text is ``content.xml``'s
``office:text``: ``text:h`` are headings at their ``text:outline-level`` (1 when absent),
``text:p`` paragraphs, ``text:list`` items "- " lines, ``table:table`` tables (header rows:
``table:table-header-rows``, else ``table_header.guess_header_rows``), sections, text boxes and
generated indexes (a table of contents) read in place. Inside a paragraph: spans, links,
fields' shown values, ``text:s`` spaces, tabs and line breaks; whitespace in the XML collapses
as ODF says it does. A footnote or endnote leaves its mark where it is anchored ("[1]"); its
text is read at the end, under a level-1 "Notes" heading, a paragraph starting with the same
mark ("[1] …"), so it neither splits the sentence it is anchored in nor is lost. Left out:
comments, deleted text kept for tracked changes, pictures and embedded objects (their alt text
too), page headers and footers (they live in styles.xml), the templates of generated indexes.
Hidden text is read. There are no pages (text reflows). Title: ``dc:title`` in meta.xml, else
the first paragraph in the Title style, else the first level-1 heading (titles.py decides which
are real).

The package is opened, checked and read by opendocument.py (the ZIP limits, the media type,
password protection, safe XML, the title). Repeated table rows and cells (``table:number-rows-repeated``,
``number-columns-repeated``) are spread up to a row's MAX_SPANNED_COLUMNS cells and, over the
whole document, MAX_CELLS cells (a row counts to its last filled cell, as in a workbook); past
it the rest of the rows are left out with a warning. A content.xml that is not well-formed keeps
what was read before the damage, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.charts import MAX_CHART_POINTS, add_chart
from retrieval.parsing.odf_charts import embedded_charts
from retrieval.parsing.opendocument import XML_SPACE, all_text, attribute_count, read_package
from retrieval.parsing.sheets import MAX_CELLS as WORKBOOK_MAX_CELLS
from retrieval.parsing.table_cells import MAX_SPANNED_COLUMNS
from retrieval.parsing.table_header import guess_header_rows
from retrieval.parsing.titles import first_real_title

MAX_CELLS = WORKBOOK_MAX_CELLS  # table cells per document, as for a workbook
MAX_HEADING_LEVEL = 10  # ODF's outline levels are 1-10

ODT_MEDIA_TYPE = "application/vnd.oasis.opendocument.text"

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"

_H, _P, _LIST, _NOTE = f"{_TEXT}h", f"{_TEXT}p", f"{_TEXT}list", f"{_TEXT}note"
_LIST_ITEM, _LIST_HEADER = f"{_TEXT}list-item", f"{_TEXT}list-header"
_ROW, _CELL, _COVERED = f"{_TABLE}table-row", f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"
_HEADER_ROWS = f"{_TABLE}table-header-rows"
_ROW_GROUPS = frozenset({_HEADER_ROWS, f"{_TABLE}table-rows", f"{_TABLE}table-row-group"})
# Subtrees that are not the document as it reads.
_SKIPPED = frozenset(
    {
        f"{_OFFICE}annotation",  # comments
        f"{_OFFICE}annotation-end",
        f"{_TEXT}tracked-changes",  # deleted text, kept to show the changes; inserted text is in place
        f"{_DRAW}image",  # pictures (an embedded one is base64 text)
        f"{_DRAW}object",  # charts, formulas, OLE objects
        f"{_DRAW}object-ole",
        f"{_SVG}title",  # a frame's alt text is not on the page
        f"{_SVG}desc",
        *(
            f"{_TEXT}{kind}-source"  # the templates of generated indexes ("Table of Contents")
            for kind in (
                "table-of-content",
                "illustration-index",
                "table-index",
                "object-index",
                "user-index",
                "alphabetical-index",
                "bibliography",
            )
        ),
    }
)


def parse_odt(data: bytes) -> ParsedDocument:
    package = read_package(data, "ODT", {ODT_MEDIA_TYPE}, "text document")
    content, damage = package.content, package.damage
    body = content.find(f"{_OFFICE}body/{_OFFICE}text")
    if body is None:
        raise ParseError("ODT is damaged: its content.xml holds no text body (office:text)")

    reader = _Reader(content, package.objects)
    reader.block(body)
    reader.add_notes()
    builder = reader.builder
    if damage:
        builder.warnings.append(f"content.xml is damaged ({damage}): text after the damage may be missing")
    if builder.is_empty:
        has_images = package.has_pictures or next(body.iter(f"{_DRAW}image"), None) is not None
        raise ParseError(
            "no extractable text: the document holds only images"
            if has_images
            else "no extractable text: the document is empty"
        )
    return builder.build(title=first_real_title(package.title, reader.title_paragraph, builder.first_h1))


class _Reader:
    """Walks office:text into a DocumentBuilder, collecting notes for the end."""

    def __init__(self, content: etree._Element, objects: dict[str, etree._Element | str]) -> None:
        self.builder = DocumentBuilder("odt")
        self.objects = objects  # embedded objects (charts) by reference
        self.title_paragraph: str | None = None
        self.notes: list[tuple[str, str]] = []  # (mark, text), in document order
        self.cells_left = MAX_CELLS
        self.cut = False  # the cell limit was reached
        # Automatic styles ("P3") stand for a named style with local changes: their parent
        # says whether a paragraph is in the Title style.
        self.parent_styles = {
            style.get(f"{_STYLE}name"): style.get(f"{_STYLE}parent-style-name")
            for style in content.iterfind(f"{_OFFICE}automatic-styles/{_STYLE}style")
        }

    def block(self, element: etree._Element, marker: str = "") -> None:
        """Read one block-level element; ``marker`` ("- ") starts a list item's first line.
        Recursive: libxml2 (huge_tree off) bounds the depth at 256 elements."""
        tag = element.tag
        if tag == _H:
            level = min(max(attribute_count(element, f"{_TEXT}outline-level"), 1), MAX_HEADING_LEVEL)
            self.builder.add_heading(level, self.inline(element))
            self.charts(element)
        elif tag == _P:
            text = self.inline(element)
            if self.title_paragraph is None and self._styled_title(element):
                self.title_paragraph = clean_inline(text) or None
            self.builder.add_paragraph(marker + text.strip() if marker and text.strip() else text)
            self.charts(element)
        elif tag == _LIST:
            for item in element:
                if item.tag not in {_LIST_ITEM, _LIST_HEADER}:
                    continue
                item_marker = "- " if item.tag == _LIST_ITEM else ""  # a list header has no label
                for child in item:
                    before = self.builder.length
                    self.block(child, item_marker)
                    if self.builder.length > before:
                        item_marker = ""  # an item's further paragraphs continue it
        elif tag == f"{_TABLE}table":
            self.table(element)
        elif isinstance(tag, str) and tag not in _SKIPPED and tag != f"{_TEXT}number":
            for child in element:  # sections, text boxes, indexes' bodies, frames: read in place
                self.block(child)

    def inline(self, root: etree._Element) -> str:
        """The text of a paragraph or heading (or a table cell) as shown. A paragraph inside
        it (in a text box) is a line of its own. Notes met on the way are kept for the end."""
        parts: list[str] = []

        def visit(element: etree._Element, top: bool) -> None:
            tag = element.tag
            if tag == _NOTE:
                mark = self._note(element)
                parts.append(f"[{mark}]" if mark else "")
            elif tag == f"{_TEXT}s":
                parts.append(" ")  # text:c repeats it, but the builder keeps one space of a run
            elif tag == f"{_TEXT}tab":
                parts.append("\t")
            elif tag == f"{_TEXT}line-break":
                parts.append("\n")
            elif isinstance(tag, str) and tag not in _SKIPPED:  # not an unexpanded entity
                nested = not top and tag in {_P, _H}
                parts.append("\n" if nested else "")
                parts.append(XML_SPACE.sub(" ", element.text or ""))
                for child in element:
                    visit(child, False)
                # A heading's number ("2.1") is followed by a tab or space when shown.
                parts.append("\n" if nested else " " if tag == f"{_TEXT}number" else "")
            if not top and element.tail:
                parts.append(XML_SPACE.sub(" ", element.tail))

        visit(root, True)
        return "".join(parts)

    def charts(self, paragraph: etree._Element) -> None:
        """The charts anchored in a paragraph (embedded chart objects, odf_charts.py), after
        it; their data points count against the document's cells."""
        room = min(MAX_CHART_POINTS, self.cells_left)
        charts, notes = embedded_charts(paragraph.iter(f"{_DRAW}object"), self.objects, room)
        for chart in charts:
            self.cells_left -= chart.points_read
            add_chart(self.builder, chart)
        self.builder.warnings.extend(notes)

    def table(self, table: etree._Element) -> None:
        rows: list[list[str]] = []
        header_rows = 0
        for row, in_header in _rows(table):
            cells: list[str] = []
            for cell in row:
                if cell.tag not in {_CELL, _COVERED}:
                    continue
                # A covered cell is the place of a merged cell's other columns: it keeps them.
                text = clean_inline(self.inline(cell)) if cell.tag == _CELL else ""
                # Repeats fill a row up to MAX_SPANNED_COLUMNS; a cell of its own is always kept.
                room = max(MAX_SPANNED_COLUMNS - len(cells), 1)
                cells += [text] * min(attribute_count(cell, f"{_TABLE}number-columns-repeated"), room)
            width = max((i + 1 for i, text in enumerate(cells) if text), default=0)
            repeat = attribute_count(row, f"{_TABLE}number-rows-repeated") if width else 1
            if width * repeat > self.cells_left:
                repeat = self.cells_left // width  # this row fits in part; the rows after it not at all
                self.cells_left = 0
                if not self.cut:
                    self.cut = True
                    self.builder.warnings.append(
                        f"table rows past the server's limit of {MAX_CELLS:,} table cells were left out"
                    )
            else:
                self.cells_left -= width * repeat
            rows += [cells] * repeat
            header_rows = len(rows) if in_header else header_rows
        if not header_rows:
            header_rows = guess_header_rows(rows)
        self.builder.add_table(rows, header_rows=header_rows)

    def add_notes(self) -> None:
        notes = [(mark, text) for mark, text in self.notes if text]
        if notes:
            self.builder.add_heading(1, "Notes")
        for mark, text in notes:
            self.builder.add_paragraph(f"[{mark}] {text}" if mark else text)

    def _note(self, note: etree._Element) -> str:
        """Keep a note for the end; its mark ("1")."""
        citation = note.find(f"{_TEXT}note-citation")
        mark = clean_inline(all_text(citation)) if citation is not None else ""
        body = note.find(f"{_TEXT}note-body")
        self.notes.append((mark, self.inline(body).strip() if body is not None else ""))
        return mark

    def _styled_title(self, paragraph: etree._Element) -> bool:
        name = paragraph.get(f"{_TEXT}style-name")
        return name == "Title" or self.parent_styles.get(name) == "Title"


def _rows(parent: etree._Element, header: bool = False) -> Iterator[tuple[etree._Element, bool]]:
    """A table's rows in order, each with whether it is a header row (repeated on each page)."""
    for child in parent:
        if child.tag == _ROW:
            yield child, header
        elif child.tag in _ROW_GROUPS:
            yield from _rows(child, header or child.tag == _HEADER_ROWS)
