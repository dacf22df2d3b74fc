"""ODS (OpenDocument Spreadsheet, as LibreOffice Calc writes it): read as an XLSX is, each visible
sheet a heading over its used range as a table, values as Calc shows them.

The package is opened as an ODT's is (opendocument.py: the ZIP limits, parts read up to
MAX_MEMBER_BYTES, XML through ``safe_xml``): its ``mimetype`` member (else its manifest's root
entry) must say ``application/vnd.oasis.opendocument.spreadsheet`` (or its -template); another
OpenDocument type named .ods is refused naming what it is, and so is a password-protected one.
The sheets are ``content.xml``'s ``office:spreadsheet/table:table``, each named by
``table:name``. Each sheet's Layout (hidden rows and columns, merged ranges, rows with values) is
read from its XML, then its cells handed to sheets.read_sheet, so ODS, XLS and XLSX read alike by
construction: the same rules for title lines, header rows, empty rows splitting tables, merged
ranges, hidden rows and columns, limits, and the same warnings (sheets.py's docstring is the
contract; what follows is what differs or is particular to ODS).

Values: an ODS keeps, besides a cell's value (``office:value``, ``office:date-value``...), the
text Calc displays for it (``text:p``: "12.5%", "$1,200.00", "30/06/2023"), already formatted by
the cell's style. That text is what is read: it is what the person sees, and it spares a second
number-format engine. A cell with several paragraphs reads as them joined by a space, a line
break as a space too. Only a cell without displayed text falls back to its value: a number
through General ("0.125"; a percentage "12.5%"), a date as 2023-06-30 (with its time when it has
one), a time as 14:05, a boolean as TRUE or FALSE, as sheets.cell_text words them. A covered cell
(``table:covered-table-cell``, under a merged range) is empty, as Calc shows it.

Rows: ``table:table-row`` (in ``table:table-header-rows``, ``table:table-row-group`` and
``table:table-rows`` too), cells ``table:table-cell`` and ``table:covered-table-cell``;
``table:number-rows-repeated`` and ``table:number-columns-repeated`` repeat them. Calc writes
the empty rest of a sheet as one repeated empty row ("1048000") or cell ("16000"): empty repeats
cost nothing (a row ends at its last value, a sheet at its last row with one), while repeats of a
value are cells like any other, counted against sheets.MAX_CELLS and MAX_SCANNED; a repeated
empty row between values is one run (sheets.EmptyRows), one row slot however many rows it
repeats (a 1.4 KB file of 25 sheets, each a million empty rows above a value, read in 30 s
walked row by row, and is now read whole in 0.02 s). Rows past
1,048,576 and columns past 16,384 (Calc's largest sheet) are not read. Hidden: a sheet whose
table style says ``table:display="false"`` (named in a warning), rows and columns whose
``table:visibility`` is "collapse" (a collapsed outline group) or "filter" (filtered out).
Merged ranges: ``table:number-columns-spanned`` and ``table:number-rows-spanned``.

Charts are read after the sheet's tables, as XLSX's are: each an embedded chart object read by
odf_charts.py (its title, then its data as a table), those in cells in reading order, then
those placed on the sheet; their data points count against sheets.MAX_CELLS, and a chart
object that cannot be read costs only itself, with a warning. Not read: comments
(``office:annotation``), images and other shapes. Title: ``dc:title`` in
meta.xml (titles.first_real_title), else the caller's fallback. A content.xml that is not
well-formed keeps what was read before the damage, with a warning.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import sheets
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.charts import Chart
from retrieval.parsing.odf_charts import embedded_charts
from retrieval.parsing.opendocument import DRAW, XML_SPACE, attribute_count, read_package
from retrieval.parsing.sheets import (
    ROW_DATA,
    ROW_HIDDEN,
    EmptyRows,
    Layout,
    Merge,
    Reading,
    read_sheet,
)
from retrieval.parsing.titles import first_real_title

ODS_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.spreadsheet-template",
    }
)
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Calc's largest sheet (and Excel's)


_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"

_ROW, _CELL, _COVERED = f"{_TABLE}table-row", f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"
_COLUMN = f"{_TABLE}table-column"
_ROW_GROUPS = frozenset({f"{_TABLE}table-header-rows", f"{_TABLE}table-rows", f"{_TABLE}table-row-group"})
_COLUMN_GROUPS = frozenset(
    {f"{_TABLE}table-header-columns", f"{_TABLE}table-columns", f"{_TABLE}table-column-group"}
)
_PARAGRAPHS = frozenset({f"{_TEXT}p", f"{_TEXT}h"})
# Blocks of a cell whose paragraphs are read in place; anything else (comments, frames) is not.
_CELL_BLOCKS = frozenset({f"{_TEXT}list", f"{_TEXT}list-item", f"{_TEXT}list-header", f"{_TEXT}section"})
_HIDDEN_VISIBILITY = frozenset({"collapse", "filter"})
_BREAKS = frozenset({f"{_TEXT}s", f"{_TEXT}tab", f"{_TEXT}line-break"})
_DURATION = re.compile(r"-?P(?:(\d{1,9})D)?T?(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9}(?:\.\d+)?)S)?")


def parse_ods(data: bytes) -> ParsedDocument:
    package = read_package(data, "ODS", ODS_MEDIA_TYPES, "spreadsheet")
    content, damage = package.content, package.damage
    body = content.find(f"{_OFFICE}body/{_OFFICE}spreadsheet")
    if body is None:
        raise ParseError("ODS is damaged: its content.xml holds no spreadsheet body (office:spreadsheet)")

    hidden_styles = _hidden_table_styles(content)
    reading = Reading(DocumentBuilder("ods"))
    for table in body.iterfind(f"{_TABLE}table"):
        name = (table.get(f"{_TABLE}name") or "").strip() or "Sheet"
        if table.get(f"{_TABLE}style-name") in hidden_styles:
            reading.hidden(name)
            continue
        layout, rows = _read_table(table)
        if reading.budget.spent:
            reading.not_reached(name, layout.rows_after(0))
            continue
        read = read_sheet(_Rows(rows), layout, reading.budget, ())
        charts, notes = _charts(table, package.objects, sheets.MAX_CELLS - reading.budget.cells)
        reading.budget.cells += sum(chart.points_read for chart in charts)
        reading.add(name, read, layout, charts, notes)
    if damage:
        reading.warnings.append(
            f"content.xml is damaged ({damage}): the sheets after the damage may be missing"
        )
    return reading.build(first_real_title(package.title))


def _charts(
    table: etree._Element, objects: dict[str, etree._Element | str], room: int
) -> tuple[list[Chart], list[str]]:
    """A sheet's charts, as XLSX orders them: those in cells in reading order (row by row),
    then those placed on the sheet (``table:shapes``); at most `room` data points together;
    and notes for the sheet's warning on what could not be read."""
    shapes = table.find(f"{_TABLE}shapes")
    placed = list(shapes.iter(f"{DRAW}object")) if shapes is not None else []
    on_sheet = set(placed)
    in_cells = [element for element in table.iter(f"{DRAW}object") if element not in on_sheet]
    return embedded_charts(in_cells + placed, objects, room)


def _hidden_table_styles(content: etree._Element) -> frozenset[str]:
    """The automatic table styles that hide a sheet (``table:display="false"``)."""
    return frozenset(
        style.get(f"{_STYLE}name") or ""
        for style in content.iterfind(f"{_OFFICE}automatic-styles/{_STYLE}style")
        if style.get(f"{_STYLE}family") == "table"
        and any(
            (properties.get(f"{_TABLE}display") or "").strip() == "false"
            for properties in style.iterfind(f"{_STYLE}table-properties")
        )
    )


@dataclass(slots=True)
class _Cell:
    """A cell as sheets.read_sheet reads it (a sheets.Cell): its text as Calc shows it (the
    number format None: cell_text hands text over unchanged), or a value it formats."""

    value: object
    number_format: str | None = None


@dataclass(slots=True)
class _Row:
    """One table:table-row: its values as runs of (first column, columns, cell), repeated."""

    repeat: int
    runs: list[tuple[int, int, _Cell]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((start + count - 1 for start, count, _ in self.runs), default=0)


class _Rows:
    """A sheet's rows as sheets.read_sheet reads them (a sheets.SheetCells): every row from the
    first to the last with a value, each up to its last value; a repeated row is built once."""

    def __init__(self, rows: list[_Row]) -> None:
        self._rows = rows

    def iter_rows(self) -> Iterator[list[_Cell] | EmptyRows]:
        for row in self._rows:
            if not row.runs:
                yield EmptyRows(row.repeat, 1)  # one row element, however many (a million in 1 KB)
                continue
            cells = [_EMPTY] * row.width
            for start, count, cell in row.runs:
                cells[start - 1 : start - 1 + count] = [cell] * count
            for _ in range(row.repeat):
                yield cells


_EMPTY = _Cell(None)


def _read_table(table: etree._Element) -> tuple[Layout, list[_Row]]:
    """The sheet's Layout (its hidden columns and rows, rows with values, merged ranges and the
    columns of its leftmost and rightmost values) and its rows up to the last with a value."""
    hidden = bytearray(MAX_COLUMNS + 2)  # 1 where a column is hidden; [0] and the end unused
    column = 1
    for element in _within(table, _COLUMN, _COLUMN_GROUPS):
        count = min(attribute_count(element, f"{_TABLE}number-columns-repeated"), MAX_COLUMNS + 1 - column)
        if (element.get(f"{_TABLE}visibility") or "").strip() in _HIDDEN_VISIBILITY:
            hidden[column : column + count] = b"\x01" * count
        column += count
        if column > MAX_COLUMNS:
            break
    shown = frozenset(c for c in range(1, MAX_COLUMNS + 1) if hidden[c]) if any(hidden) else frozenset()
    layout = Layout(hidden_columns=shown, complete=True)
    layout.rows.append(0)  # row numbers start at 1
    rows: list[_Row] = []
    last = 0  # the last row with a value, hidden or not
    number = 1
    for element in _within(table, _ROW, _ROW_GROUPS):
        repeat = min(attribute_count(element, f"{_TABLE}number-rows-repeated"), MAX_ROWS + 1 - number)
        row = _read_row(element, number, layout)
        row.repeat = repeat
        rows.append(row)
        state = 0
        if (element.get(f"{_TABLE}visibility") or "").strip() in _HIDDEN_VISIBILITY:
            state = ROW_HIDDEN
        elif filled := _visible_values(row, hidden):
            state = ROW_DATA
            layout.first_column = min(layout.first_column or MAX_COLUMNS, filled[0])
            layout.last_column = max(layout.last_column, filled[1])
        if state:
            layout.rows.extend(bytes(number - len(layout.rows)))
            layout.rows.extend(bytes([state]) * repeat)
        if row.runs:
            last = number + repeat - 1
        number += repeat
        if number > MAX_ROWS:
            break
    # The rows past the last value (Calc's empty tail, hidden or not) are neither read nor counted.
    del layout.rows[last + 1 :]
    while rows and not rows[-1].runs:
        rows.pop()
    return layout, rows


def _read_row(element: etree._Element, number: int, layout: Layout) -> _Row:
    """The row's values as runs, and its merged ranges added to ``layout``."""
    row = _Row(repeat=1)
    column = 1
    for cell in element:
        if cell.tag not in (_CELL, _COVERED):
            continue
        count = min(attribute_count(cell, f"{_TABLE}number-columns-repeated"), MAX_COLUMNS + 1 - column)
        if cell.tag == _CELL:
            value = _value(cell)
            if value is not None:
                row.runs.append((column, count, value))
            columns = attribute_count(cell, f"{_TABLE}number-columns-spanned")
            rows = attribute_count(cell, f"{_TABLE}number-rows-spanned")
            if columns > 1 or rows > 1:  # a repeated merged cell merges its first place only
                layout.add_merge(
                    Merge(
                        number,
                        column,
                        min(number + rows - 1, MAX_ROWS),
                        min(column + columns - 1, MAX_COLUMNS),
                    )
                )
        column += count
        if column > MAX_COLUMNS:
            break
    return row


def _visible_values(row: _Row, hidden: bytearray) -> tuple[int, int] | None:
    """The columns of the row's first and last values outside hidden columns."""
    first, last = 0, 0
    for start, count, _ in row.runs:
        shown = hidden.find(0, start, start + count)
        if shown >= 0:
            first = min(first or shown, shown)
            last = max(last, hidden.rfind(0, start, start + count))
    return (first, last) if first else None


def _within(parent: etree._Element, tag: str, groups: frozenset[str]) -> Iterator[etree._Element]:
    """The ``tag`` elements of ``parent`` in order, those inside its ``groups`` (header rows,
    row or column groups) included."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag in groups:
            yield from _within(child, tag, groups)


def _value(cell: etree._Element) -> _Cell | None:
    """The cell as Calc shows it: its paragraphs' text, else its value; None when empty."""
    text = " ".join(part for part in _paragraphs(cell) if part)
    if text:
        return _Cell(text)
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        try:
            number = float(cell.get(f"{_OFFICE}value") or "")
        except ValueError:
            return None
        return _Cell(number, "0.##%" if kind == "percentage" else None)
    if kind == "date":
        return _Cell(_date(cell.get(f"{_OFFICE}date-value") or ""))
    if kind == "time":
        return _Cell(_time(cell.get(f"{_OFFICE}time-value") or ""))
    if kind == "boolean":
        value = (cell.get(f"{_OFFICE}boolean-value") or "").strip().lower()
        return _Cell(value == "true") if value in ("true", "false") else None
    string = (cell.get(f"{_OFFICE}string-value") or "").strip()
    return _Cell(string) if string else None


def _paragraphs(element: etree._Element) -> Iterator[str]:
    """The text of the cell's paragraphs, in lists and sections too; comments and frames left out."""
    for child in element:
        if child.tag in _PARAGRAPHS:
            yield XML_SPACE.sub(" ", _inline(child)).strip()
        elif child.tag in _CELL_BLOCKS:
            yield from _paragraphs(child)


def _inline(element: etree._Element) -> str:
    """A paragraph's text: spans, links and fields read, spaces, tabs and line breaks as a
    space, comments and frames (images, charts) left out."""
    parts = [element.text or ""]
    for child in element:
        if child.tag in _BREAKS:
            parts.append(" ")
        elif isinstance(child.tag, str) and child.tag.startswith(_TEXT):
            parts.append(_inline(child))  # spans, links, fields: recursive, libxml2 bounds the depth
        parts.append(child.tail or "")
    return "".join(parts)


def _date(value: str) -> object:
    try:
        return datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return value.strip() or None


def _time(value: str) -> object:
    """An ODF duration ("PT14H05M00S") as a time of day, or a duration past a day."""
    match = _DURATION.fullmatch(value.strip())
    if not match or not any(match.groups()):
        return value.strip() or None
    days, hours, minutes, seconds = (float(group or 0) for group in match.groups())
    try:
        duration = datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=round(seconds))
    except OverflowError:
        return value.strip()
    if datetime.timedelta(0) <= duration < datetime.timedelta(days=1) and not value.strip().startswith("-"):
        return (datetime.datetime.min + duration).time()
    return duration
