"""DOCX: body paragraphs and tables in document order, headings from styles and outline levels.

python-docx opens the package and resolves styles and core properties; the body is read
from its XML directly, because python-docx's own iteration skips content controls
(``w:sdt``) and drops equation text. Page headers, footers, footnotes and comments are
not part of the body and are left out: they repeat on every page or sit outside the
reading order.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from lxml import etree

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.ooxml_variants import as_document
from retrieval.parsing.table_cells import spread
from retrieval.parsing.table_header import guess_header_rows
from retrieval.parsing.titles import first_real_title
from retrieval.parsing.zip_limits import check_archive

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Subtrees whose text is not (or not here) part of the document as it reads: an older
# rendering of the same content as its mc:Choice sibling, and the origin of moved text
# (tracked changes keep it at both places).
_SKIPPED = frozenset({_MC_FALLBACK, f"{_W}moveFrom"})

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_BODY_TEXT_OUTLINE_LEVEL = 9  # outline level 9 means "body text", not a heading


def parse_docx(data: bytes) -> ParsedDocument:
    # A DOCX is a ZIP; python-docx inflates every part in memory: a zip bomb is refused first.
    parts = check_archive(data, "DOCX")
    try:
        document = docx.Document(io.BytesIO(as_document(data, "docx")))
    except Exception as error:
        raise ParseError(f"not a readable Word document ({error})") from error
    styles = _ParagraphStyles(document.styles.element)
    builder = DocumentBuilder("docx")
    title_paragraph = None
    for block in _body_blocks(document.element.body):
        if block.tag == f"{_W}tbl":
            rows = list(_table_rows(block))
            builder.add_table([cells for cells, _ in rows], header_rows=_header_rows(block, rows))
            continue
        text = _paragraph_text(block)
        style_id = _pstyle(block)
        level = _outline_level(block)
        level = level if level is not None else styles.heading_level(style_id)
        if level:
            builder.add_heading(level, text)
        elif styles.is_title(style_id):
            title_paragraph = title_paragraph or clean_inline(text)
            builder.add_paragraph(text)
        elif text.strip() and (_has_numbering(block) or styles.is_list(style_id)):
            builder.add_paragraph("- " + text.strip())
        else:
            builder.add_paragraph(text)
    if builder.is_empty:
        has_images = any(name.startswith("word/media/") for name in parts)
        raise ParseError(
            "no extractable text: the document holds only images"
            if has_images
            else "no extractable text: the document is empty"
        )
    return builder.build(title=first_real_title(_core_title(document), title_paragraph, builder.first_h1))


def _body_blocks(body: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in reading order, looking inside content controls."""
    stack = list(reversed(body))
    while stack:
        element = stack.pop()
        if element.tag in {f"{_W}p", f"{_W}tbl"}:
            yield element
        elif element.tag in {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"}:
            stack.extend(reversed(element))


def _paragraph_text(paragraph: etree._Element) -> str:
    """Visible text of a paragraph: runs, hyperlinks, fields' results, equations, text boxes."""
    parts: list[str] = []
    stack = [paragraph]
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag in _SKIPPED:
            continue
        if tag in {f"{_W}t", f"{_M}t"}:
            parts.append(element.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in {f"{_W}br", f"{_W}cr"}:
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
        elif tag == f"{_W}p" and element is not paragraph:
            parts.append("\n")  # a paragraph of a text box inside this one
        stack.extend(reversed(element))
    return "".join(parts)


def _table_rows(table: etree._Element) -> Iterator[tuple[list[str], etree._Element]]:
    """Each row with text as (cell texts, the row element)."""
    for row in table.iter(f"{_W}tr"):
        if _nearest(row, f"{_W}tbl") is not table:
            continue  # a nested table's row: its text is already in the outer cell
        # A merged cell spans grid columns (w:gridSpan): it keeps them, as HTML's colspan does.
        cells = spread(
            (_cell_text(c), _grid_span(c)) for c in row.iter(f"{_W}tc") if _nearest(c, f"{_W}tr") is row
        )
        if any(cells):
            yield cells, row


def _grid_span(cell: etree._Element) -> int:
    span = cell.find(f"{_W}tcPr/{_W}gridSpan")
    value = "" if span is None else (span.get(f"{_W}val") or "").strip()
    return int(value) if value.isdigit() else 1


def _header_rows(table: etree._Element, rows: list[tuple[list[str], etree._Element]]) -> int:
    """How many leading rows hold column names: the rows marked to repeat as the header on
    every page (w:tblHeader), else the first row when the table's look formats it as a
    header (w:tblLook firstRow, on in Word's default table styles), else (no look at all)
    the rows before the first with figures (``guess_header_rows``)."""
    marked = 0
    for _, row in rows:
        flag = row.find(f"{_W}trPr/{_W}tblHeader")
        if flag is None or flag.get(f"{_W}val", "1") in {"0", "false", "off"}:
            break
        marked += 1
    if marked:
        return marked
    look = table.find(f"{_W}tblPr/{_W}tblLook")
    if len(rows) < 2:
        return 0
    if look is None:
        return guess_header_rows([cells for cells, _ in rows])
    first_row = look.get(f"{_W}firstRow")
    if first_row is not None:
        return 1 if first_row in {"1", "true", "on"} else 0
    try:  # the older form: a hexadecimal bit mask, 0x0020 = first row
        return 1 if int(look.get(f"{_W}val", "0"), 16) & 0x0020 else 0
    except ValueError:
        return 0


def _cell_text(cell: etree._Element) -> str:
    paragraphs = [p for p in cell.iter(f"{_W}p") if _nearest(p, f"{_W}p") is None]
    return clean_inline(" ".join(_paragraph_text(p) for p in paragraphs))


def _nearest(element: etree._Element, tag: str) -> etree._Element | None:
    return next(element.iterancestors(tag), None)


def _pstyle(paragraph: etree._Element) -> str | None:
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return style.get(f"{_W}val") if style is not None else None


def _outline_level(paragraph: etree._Element) -> int | None:
    value = paragraph.find(f"{_W}pPr/{_W}outlineLvl")
    return _heading_level_from_outline(value)


def _heading_level_from_outline(element: etree._Element | None) -> int | None:
    if element is None:
        return None
    try:
        level = int(element.get(f"{_W}val", ""))
    except ValueError:
        return None
    return level + 1 if 0 <= level < _BODY_TEXT_OUTLINE_LEVEL else 0


def _has_numbering(paragraph_or_style: etree._Element) -> bool:
    # numId 0, or a numPr with only a level (as in Word's Subtitle style), means "no list".
    num_id = paragraph_or_style.find(f"{_W}pPr/{_W}numPr/{_W}numId")
    return num_id is not None and num_id.get(f"{_W}val") not in {None, "0"}


def _core_title(document) -> str | None:
    try:
        return clean_inline(document.core_properties.title or "") or None
    except Exception:
        return None  # a broken core.xml only costs the title


class _ParagraphStyles:
    """Heading level, title-ness and list-ness of each paragraph style, following basedOn."""

    def __init__(self, styles: etree._Element) -> None:
        self._styles: dict[str, etree._Element] = {}
        self._default: str | None = None
        for style in styles.iter(f"{_W}style"):
            style_id = style.get(f"{_W}styleId")
            if style.get(f"{_W}type") != "paragraph" or not style_id:
                continue
            self._styles[style_id] = style
            if style.get(f"{_W}default") in {"1", "true"}:
                self._default = style_id
        self._cache: dict[str | None, tuple[int, bool, bool]] = {}

    def heading_level(self, style_id: str | None) -> int:
        return self._resolve(style_id)[0]

    def is_title(self, style_id: str | None) -> bool:
        return self._resolve(style_id)[1]

    def is_list(self, style_id: str | None) -> bool:
        return self._resolve(style_id)[2]

    def _resolve(self, style_id: str | None) -> tuple[int, bool, bool]:
        if style_id not in self._cache:
            self._cache[style_id] = self._compute(style_id or self._default)
        return self._cache[style_id]

    def _compute(self, style_id: str | None) -> tuple[int, bool, bool]:
        level: int | None = None
        is_title = has_numbering = False
        seen: set[str] = set()
        while style_id and style_id in self._styles and style_id not in seen:
            seen.add(style_id)  # basedOn chains can loop in damaged files
            style = self._styles[style_id]
            name_element = style.find(f"{_W}name")
            name = (name_element.get(f"{_W}val", "") if name_element is not None else "").strip()
            # The nearest style that says anything wins; built-in names are English in
            # the file whatever the language of Word's user interface.
            if level is None:
                heading = _HEADING_STYLE.match(name)
                outline = _heading_level_from_outline(style.find(f"{_W}pPr/{_W}outlineLvl"))
                level = int(heading.group(1)) if heading else outline
            is_title = is_title or name.lower() == "title"
            has_numbering = has_numbering or _has_numbering(style)
            based_on = style.find(f"{_W}basedOn")
            style_id = based_on.get(f"{_W}val") if based_on is not None else None
        return (level or 0, is_title, has_numbering)
