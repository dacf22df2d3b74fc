"""XLSX: each visible sheet a heading, its used range a table, then its charts, as the workbook shows them.

openpyxl reads the workbook in read-only mode (sheets streamed, never loaded whole) with
``data_only``: a formula cell gives the value Excel cached when it last saved the file (a
workbook written by a program that never calculated it has none, and the cell reads empty).
A number is shown through its cell's number format ("12.5%", "(337)", "$1,234.50":
number_formats.py), a date as 2023-06-30 (with its time when it has one), a boolean as
TRUE or FALSE.

A sheet reads as a level-1 heading with its name, then the lines above its table (leading
rows with one filled cell, such as a title or "In millions of CHF", when rows below have
more) as paragraphs, then the rest of its rows as one table: empty rows dropped, trailing
empty cells and columns empty in every row dropped (table_cells.tidy_rows). The table's
first row names its columns, and so do the rows right after it that hold no figures and
leave the first cell empty ("| Sales | Trading profit" under "In millions of CHF | 2023") or
repeat the one above: table_header.guess_header_rows, at least one row.

A merged range reads as Excel shows it: its value (the file keeps it in the range's first
cell, the others empty) fills every cell of the range, so a year merged over two quarters
names both quarters' columns and a label merged down column A labels each of its rows. Two
kinds of rows are left as they are: a row with no text of its own (under the first row of a
tall merged cell) and a row whose one text is a range starting in the sheet's first column
with text (a title or a note across the table: one line, not a row of copies). A range whose
first cell is hidden shows nothing and fills nothing.

Hidden sheets, rows and columns are not read: a person who opens the workbook does not see
them (sheets mostly hold lookup lists and workings, rows and columns workings and the detail
of a collapsed outline group). A warning names each hidden sheet, and says per sheet how many
hidden rows and columns with text the reader passed (the rows a limit leaves out are counted
without the hidden ones). Images and comments are left out.

Charts are read as on a slide (charts.py, from the values the chart caches): after the sheet's
tables, each chart's title as a paragraph, then its data as tables, the charts in the order of
their top-left cells, row then column (xlsx_charts.py finds them: sheet → drawing → chart
parts). A chart sheet is a sheet of its own: a heading with its name, then its chart; a hidden
one is left out and named like a hidden sheet. A drawing or chart that cannot be read costs
only itself, with a warning ("sheet 'Sales': a chart could not be read (…)"); read-only
openpyxl parses a chart sheet's drawing itself, so a workbook it fails to open is opened again
with its drawings emptied.

Read-only mode knows neither merged ranges nor hidden rows and columns: they are read from the
sheet's XML by lxml's streaming parser (entities not expanded, no network, memory flat), in one
pass before openpyxl reads the rows.

Bounds: the archive is checked before openpyxl opens it (zip_limits.py); at most MAX_CELLS
cells are read per workbook (a row counts up to its last filled cell, cells a merged range
fills included) and MAX_SCANNED row slots scanned, empty ones and merge-filled cells
included (a stray cell far down or far right must not make the reader walk millions of empty
rows). A merged range fills only the rows read, and columns no further than the sheet's last
value; at most MAX_MERGED ranges are applied per sheet, the rest keep their value in their
first cell, with a warning. A sheet cut by a limit keeps what was read and the warning says
how many rows were left out; the sheets after it are not read and are named. A sheet that
turns out damaged keeps the rows read before the damage, with a warning. A chart's data points
count against MAX_CELLS too, at most charts.MAX_CHART_POINTS per chart (a warning says how
many it has); drawing and chart parts are read up to xlsx_charts.MAX_PART_BYTES each.
"""

from __future__ import annotations

import datetime
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from typing import IO
from xml.etree.ElementTree import ParseError as ElementTreeParseError

import openpyxl
from lxml import etree
from openpyxl.chartsheet import Chartsheet
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.charts import Chart
from retrieval.parsing.number_formats import format_number
from retrieval.parsing.table_header import guess_header_rows, is_figure
from retrieval.parsing.titles import first_real_title
from retrieval.parsing.xlsx_charts import (
    PartUnreadable,
    SheetCharts,
    WorkbookCharts,
    parse,
    relationships,
    without_drawings,
)
from retrieval.parsing.zip_limits import check_archive

MAX_CELLS = 200_000  # about 2 MB of text: thousands of chunks, minutes of encoding
MAX_SCANNED = 20_000_000  # row slots openpyxl hands over, empty cells and rows included
MAX_SHEET_WARNINGS = 20  # past this, one line counts the rest
MAX_MERGED = 20_000  # merged ranges applied per sheet: real sheets have a few hundred at most

_ROWS, _COLUMNS = 1_048_576, 16_384  # the sheet size Excel allows
_DATA, _HIDDEN = 1, 2  # a row's state in _Layout.rows

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_VALUE_TAGS = frozenset({f"{_MAIN}v", f"{_MAIN}is"})  # a cell's value, cached or inline text

_DAMAGE = (
    ElementTreeParseError,
    etree.LxmlError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    struct.error,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
)


@dataclass
class _Budget:
    cells: int = 0
    scanned: int = 0
    spent: str = ""  # which limit stopped reading, once one has


@dataclass
class _Sheet:
    rows: list[list[str] | None] = field(default_factory=list)  # None: one or more empty rows
    hidden_rows: int = 0  # hidden rows with text
    hidden_columns: set[int] = field(default_factory=set)  # hidden columns with text in the rows read
    warning: str = ""  # why the sheet was not read to its end, when it was damaged
    stopped_at: int = 0  # the first row not read, when a limit stopped the reading


@dataclass(slots=True)
class _Merge:
    first_row: int
    first_column: int
    last_row: int
    last_column: int
    value: str = ""  # its first cell's text, once that row is read


@dataclass
class _Layout:
    """What read-only openpyxl does not see of a sheet, from its XML (_read_layout)."""

    rows: bytearray = field(default_factory=bytearray)  # by row number: _DATA, _HIDDEN or 0
    hidden_columns: frozenset[int] = frozenset()
    merges: list[_Merge] = field(default_factory=list)
    merges_left_out: int = 0  # past MAX_MERGED
    first_column: int = 0  # of the leftmost value in a row not hidden
    last_column: int = 0  # of the rightmost one
    complete: bool = False  # read to its end

    def row_hidden(self, number: int) -> bool:
        return number < len(self.rows) and self.rows[number] == _HIDDEN

    def rows_after(self, number: int) -> int | None:
        """How many rows not hidden hold data past row ``number``; None when that is not known."""
        return self.rows.count(_DATA, number + 1) if self.complete else None

    def visible(self, cells: list[str]) -> list[str]:
        if not self.hidden_columns:
            return cells
        return [text for column, text in enumerate(cells, 1) if column not in self.hidden_columns]


def parse_xlsx(data: bytes) -> ParsedDocument:
    check_archive(data, "XLSX")
    workbook = _open(data)
    builder = DocumentBuilder("xlsx")
    warnings: list[str] = []
    budget = _Budget()
    parts = _Parts(data)
    try:
        for name in workbook.sheetnames:
            sheet = workbook[name]
            chart_sheet = isinstance(sheet, Chartsheet)  # no cells: its chart is all it shows
            # openpyxl leaves a chart sheet's state unread: the workbook part says it.
            if parts.hidden(name) if chart_sheet else sheet.sheet_state != "visible":
                warnings.append(f"sheet '{name}' is hidden and was not read")
            elif budget.spent:
                left = None if chart_sheet else parts.layout(name).rows_after(0)
                if left != 0:  # an empty sheet loses nothing
                    warnings.append(_not_reached(name, left, budget.spent))
            else:
                layout = _Layout() if chart_sheet else parts.layout(name)
                read = _Sheet() if chart_sheet else _read_sheet(sheet, layout, budget)
                charts = parts.charts(name, MAX_CELLS - budget.cells)
                budget.cells += charts.points_read
                _add_sheet(builder, name, read.rows, charts.charts)
                notes = _notes(read, layout, budget.spent, charts.notes)
                if notes:
                    warnings.append(f"sheet '{name}': {notes}")
        title = _title(workbook)
    finally:
        workbook.close()
        parts.close()
    if builder.is_empty:
        raise ParseError(f"no text was read: {_nothing_read(warnings)}")
    builder.warnings.extend(warnings[:MAX_SHEET_WARNINGS])
    if len(warnings) > MAX_SHEET_WARNINGS:
        builder.warnings.append(f"and {len(warnings) - MAX_SHEET_WARNINGS} more sheets were not read in full")
    return builder.build(title=title)


def _open(data: bytes) -> Workbook:
    try:
        try:
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (ElementTreeParseError, etree.LxmlError):
            # The one drawing read-only openpyxl parses is a chart sheet's, with its chart, and a
            # damaged one fails the whole workbook: without drawings, it costs only its chart,
            # which xlsx_charts.py reads from the original parts. Damage elsewhere fails again.
            return openpyxl.load_workbook(io.BytesIO(without_drawings(data)), read_only=True, data_only=True)
    except NotImplementedError as error:
        raise ParseError(f"XLSX is compressed with a method the server cannot read ({error})") from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ParseError(f"XLSX is damaged: a part of the archive cannot be unzipped ({error})") from error
    except (InvalidFileException, *_DAMAGE) as error:
        raise ParseError(f"not a readable Excel workbook ({type(error).__name__}: {error})") from error


def _read_sheet(sheet, layout: _Layout, budget: _Budget) -> _Sheet:  # a read-only worksheet
    """The sheet's visible rows with text, merged ranges filled, as far as the workbook's
    budget and the file allow."""
    sheet.reset_dimensions()  # never pad rows to the size the sheet declares: read what is there
    read = _Sheet()
    rows = read.rows
    merges = _Merges(layout)
    number = 0
    try:
        for number, row in enumerate(sheet.iter_rows(), start=1):
            budget.scanned += len(row) + 1
            if budget.scanned > MAX_SCANNED:
                budget.spent = (
                    f"the server's limit of {MAX_SCANNED:,} cells scanned per workbook, empty ones included"
                )
                read.stopped_at = number
                return read
            cells = [_cell_text(cell) for cell in row]
            if layout.row_hidden(number):
                read.hidden_rows += any(text.strip() for text in cells)
                continue
            if layout.hidden_columns:
                read.hidden_columns.update(
                    column
                    for column, text in enumerate(cells, 1)
                    if column in layout.hidden_columns and text.strip()
                )
            budget.scanned += merges.fill(number, cells, MAX_SCANNED - budget.scanned)
            cells = layout.visible(cells)
            while cells and not cells[-1].strip():
                cells.pop()
            if not cells:
                if rows and rows[-1] is not None:
                    rows.append(None)  # an empty row: where one block of the sheet ends
                continue
            if budget.cells + len(cells) > MAX_CELLS:
                budget.spent = f"the server's limit of {MAX_CELLS:,} cells per workbook"
                read.stopped_at = number
                return read
            budget.cells += len(cells)
            rows.append(cells)
    except _DAMAGE as error:
        # The XML is parsed in blocks: the rows of the block that holds the damage are lost too.
        reason = f"{type(error).__name__}: {error}"
        read.warning = (
            f"read to row {number:,}; the rest could not be read ({reason})"
            if number
            else f"could not be read ({reason})"
        )
    return read


class _Merges:
    """A sheet's merged ranges, spread over its rows as they are read."""

    def __init__(self, layout: _Layout) -> None:
        self._layout = layout
        self._waiting = sorted(layout.merges, key=lambda merge: merge.first_row, reverse=True)
        self._open: list[_Merge] = []  # the ranges over the current row whose value is text

    def fill(self, number: int, cells: list[str], room: int) -> int:
        """Spread the ranges over row ``number`` (not hidden) in place; how many cells were
        filled, stopping once past ``room``."""
        layout = self._layout
        self._open = [merge for merge in self._open if merge.last_row >= number]
        while self._waiting and self._waiting[-1].first_row <= number:
            merge = self._waiting.pop()
            first = merge.first_column
            # A range starting in a hidden row (never handed here) or column shows nothing.
            if merge.first_row == number and first <= len(cells) and first not in layout.hidden_columns:
                merge.value = cells[first - 1]
                if merge.value.strip():
                    self._open.append(merge)
        if not self._open:
            return 0
        texts = [c for c, text in enumerate(cells, 1) if text.strip() and c not in layout.hidden_columns]
        if not texts:
            return 0  # no text of its own: the lower rows of a tall merged cell add nothing
        if texts == [layout.first_column] and any(m.first_row == number for m in self._open):
            return 0  # its one text starts a range at the table's left: a title or a note, one line
        filled = 0
        for merge in self._open:
            last = min(merge.last_column, layout.last_column)  # no further than the sheet's values
            cells.extend([""] * (last - len(cells)))
            cells[merge.first_column - 1 : last] = [merge.value] * (last - merge.first_column + 1)
            filled += last - merge.first_column + 1
            if filled > room:
                break
        return filled


def _left_out(number: int, left: int | None, limit: str) -> str:
    """The warning for a sheet cut at row ``number`` (not read), ``left`` rows with data after."""
    read = f"read to row {number - 1:,}" if number > 1 else "not read"
    if left is None:
        return f"{read}; the rows after it were left out ({limit})"
    more = "1 more row with data was" if left == 1 else f"{left:,} more rows with data were"
    return f"{read}; {more} left out ({limit})"


def _not_reached(name: str, left: int | None, limit: str) -> str:
    """The warning for a sheet after the one a limit cut, ``left`` rows with data in it."""
    shown = "" if left is None else f" ({left:,} {'row' if left == 1 else 'rows'} with data left out)"
    return f"sheet '{name}' was not read: {limit} was reached before it{shown}"


class _Parts:
    """What read-only openpyxl does not read of a sheet, from the workbook's package: a chart
    sheet's state, a worksheet's _Layout (lxml's streaming parser, several times faster than
    openpyxl) and a sheet's charts (xlsx_charts.py). A sheet whose part cannot be found is
    visible, with an empty, incomplete layout and no charts."""

    def __init__(self, data: bytes) -> None:
        self._archive = zipfile.ZipFile(io.BytesIO(data))  # openpyxl has opened it already
        self._charts = WorkbookCharts(self._archive)
        try:
            self._sheets = _sheet_parts(self._archive)
        except (*_DAMAGE, OSError, PartUnreadable):
            self._sheets = {}

    def hidden(self, sheet_name: str) -> bool:
        return self._sheets.get(sheet_name, ("", "visible"))[1] != "visible"

    def layout(self, sheet_name: str) -> _Layout:
        path = self._sheets.get(sheet_name, ("", ""))[0]
        try:
            if path:
                with self._archive.open(path) as stream:
                    return _read_layout(stream)
        except (*_DAMAGE, OSError):
            pass
        return _Layout()

    def charts(self, sheet_name: str, room: int) -> SheetCharts:
        """The sheet's charts, at most ``room`` data points in all."""
        path = self._sheets.get(sheet_name, ("", ""))[0]
        return self._charts.read(path, room) if path else SheetCharts()

    def close(self) -> None:
        self._archive.close()


def _notes(read: _Sheet, layout: _Layout, limit: str, charts: Sequence[str]) -> str:
    """What the sheet's warning says was not read, "" when all was; ``charts``: its charts'."""
    hidden = " and ".join(
        f"{count:,} hidden {unit}{'' if count == 1 else 's'}"
        for count, unit in ((read.hidden_rows, "row"), (len(read.hidden_columns), "column"))
        if count
    )
    notes = [
        f"{hidden} not read" if hidden else "",
        f"{len(layout.merges) + layout.merges_left_out:,} merged ranges, more than the server's limit of "
        f"{MAX_MERGED:,} per sheet: those past it fill only their first cell"
        if layout.merges_left_out
        else "",
        _left_out(read.stopped_at, layout.rows_after(read.stopped_at - 1), limit)
        if read.stopped_at
        else read.warning,
        *charts,
    ]
    return "; ".join(note for note in notes if note)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Each sheet's name, with the path of its part and its state ("visible", "hidden" or
    "veryHidden"): package relationships → workbook → its relationships."""
    package = relationships(archive, "").values()
    workbook = next((path for kind, path in package if kind == "officeDocument"), "")
    targets = relationships(archive, workbook)
    return {
        sheet.get("name", ""): (targets[relationship][1], sheet.get("state", "visible"))
        for sheet in parse(archive, workbook).iter(f"{_MAIN}sheet")
        if (relationship := sheet.get(f"{_RELATIONSHIP}id", "")) in targets
    }


def _read_layout(stream: IO[bytes]) -> _Layout:
    """The sheet's rows with data and hidden rows, its hidden columns (``<cols>``, before the
    rows) and merged ranges (``<mergeCells>``, after them). What was read before any damage
    holds: the reading of the rows reports the damage."""
    layout = _Layout()
    edges: list[int] = []  # +1 where a span of hidden columns starts, -1 past its end
    number = 0
    try:
        for element in _stream(stream, "col", "cols", "row", "mergeCell"):
            if element.tag == f"{_MAIN}row":
                number = _number(element.get("r")) or number + 1
                if number > _ROWS:
                    continue  # past any real sheet: read as not hidden, not counted
                if number >= len(layout.rows):
                    layout.rows.extend(bytes(number + 1 - len(layout.rows)))
                if _true(element.get("hidden")):
                    layout.rows[number] = _HIDDEN
                elif filled := _value_columns(element, layout.hidden_columns):
                    layout.rows[number] = _DATA
                    layout.first_column = min(layout.first_column or _COLUMNS, filled[0])
                    layout.last_column = max(layout.last_column, filled[1])
            elif element.tag == f"{_MAIN}col":
                first, last = max(_number(element.get("min")), 1), min(_number(element.get("max")), _COLUMNS)
                if _true(element.get("hidden")) and first <= last:
                    edges = edges or [0] * (_COLUMNS + 2)  # O(1) a <col>, however wide
                    edges[first] += 1
                    edges[last + 1] -= 1
            elif element.tag == f"{_MAIN}cols":  # its <col>s read, before the rows
                layout.hidden_columns = frozenset(c for c, depth in enumerate(accumulate(edges)) if depth > 0)
            elif merge := _merge(element.get("ref", "")):
                if len(layout.merges) < MAX_MERGED:
                    layout.merges.append(merge)
                else:
                    layout.merges_left_out += 1
        layout.complete = True
    except (*_DAMAGE, OSError):
        pass
    return layout


def _stream(stream: IO[bytes], *names: str) -> Iterator[etree._Element]:
    """The elements ``names`` of a sheet's XML, each once it ends; each is freed after, with the
    ones before it, so memory stays flat however long the sheet."""
    for _, element in etree.iterparse(
        stream,
        tag=[f"{_MAIN}{name}" for name in names],
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    ):
        yield element
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]


def _value_columns(row: etree._Element, hidden: frozenset[int]) -> tuple[int, int] | None:
    """The columns of the row's first and last values outside hidden columns, sought from each
    end of the row (not cell by cell: a long row costs what its ends do)."""
    cells = list(row)
    first = _first_value(cells, range(len(cells)), hidden)
    if first is None:
        return None
    return first, _first_value(cells, reversed(range(len(cells))), hidden) or first


def _first_value(cells: list[etree._Element], order: Iterable[int], hidden: frozenset[int]) -> int | None:
    """The column of the first cell in ``order`` that holds a value outside ``hidden``."""
    for index in order:
        if _has_value(cells[index]) and (column := _column(cells[index], index + 1)) not in hidden:
            return column
    return None


def _has_value(cell: etree._Element) -> bool:
    return any(child.tag in _VALUE_TAGS for child in cell)


def _column(cell: etree._Element, position: int) -> int:
    """The cell's column from its reference ("AB12"); its position in the row without one."""
    letters = cell.get("r", "").rstrip("0123456789")
    try:
        return column_index_from_string(letters) if letters else position
    except ValueError:
        return position


def _merge(ref: str) -> _Merge | None:
    """The merged range "B2:C3", None when it is malformed or one cell."""
    try:
        bounds = range_boundaries(ref)
    except ValueError:
        return None
    match bounds:
        case (int(column), int(row), int(end_column), int(end_row)) if (column, row) != (end_column, end_row):
            return _Merge(
                min(row, end_row), min(column, end_column), max(row, end_row), max(column, end_column)
            )
    return None  # whole rows or columns ("A:B"): never a merged range


def _number(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() else 0


def _true(text: str | None) -> bool:
    return text in ("1", "true")  # xsd:boolean


def _cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return format_number(value, cell.number_format)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    return str(value)  # a duration (timedelta) and anything else openpyxl may hand over


def _add_sheet(
    builder: DocumentBuilder, name: str, rows: list[list[str] | None], charts: Sequence[Chart]
) -> None:
    """The sheet under a heading with its name. Its blocks (rows between empty rows) are read
    together: blocks without figures (titles, column names) lead the block after them, a
    block that starts with figures goes on with the table above it, and any other starts a
    table of its own, so a second table's column names head its own figures. Its charts
    follow, each its title as a paragraph, then its tables, as on a slide."""
    blocks = _blocks(rows)
    charts = [chart for chart in charts if chart.title or chart.tables]
    if not blocks and not charts:
        return
    # Columns left of every row's first filled cell are margin, not the table's first column.
    margin = min(
        (next(i for i, cell in enumerate(row) if cell.strip()) for block in blocks for row in block),
        default=0,
    )
    builder.add_heading(1, name)
    pending: list[list[str]] = []
    table_open = False
    for index, block in enumerate(blocks):
        pending += [row[margin:] for row in block]
        if index < len(blocks) - 1 and not any(_has_figure(row) for row in block):
            continue
        table_open = _add_block(builder, pending, table_open)
        pending = []
    for chart in charts:
        if chart.title:
            builder.add_paragraph(chart.title)
        for table in chart.tables:
            builder.add_table(table, header_rows=1)


def _add_block(builder: DocumentBuilder, rows: list[list[str]], table_open: bool) -> bool:
    """Add rows: their leading one-cell lines (a title, "In millions of CHF") as paragraphs
    when wider rows follow, the rest as a table. Whether a table was added last."""
    captions = 0  # all of them when every row has one cell: notes, not a table
    while captions < len(rows) and _filled(rows[captions]) < 2:
        captions += 1
    for row in rows[:captions]:
        builder.add_paragraph(" ".join(cell.strip() for cell in row if cell.strip()))
    table = rows[captions:]
    if not table:
        return False
    if table_open and not captions and _has_figure(table[0]):
        builder.add_table(table, continues=True)  # more rows of the table above
    else:
        builder.add_table(table, header_rows=_header_rows(table))
    return True


def _blocks(rows: list[list[str] | None]) -> list[list[list[str]]]:
    blocks: list[list[list[str]]] = [[]]
    for row in rows:
        if row is None:
            blocks.append([])
        else:
            blocks[-1].append(row)
    return [block for block in blocks if block]


def _filled(row: Sequence[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def _has_figure(row: Sequence[str]) -> bool:
    return any(is_figure(cell) for cell in row)


def _header_rows(table: list[list[str]]) -> int:
    """The rows that name the columns: those guess_header_rows finds, else the first row. A
    first cell that repeats the one above it (a label merged down over two header rows,
    "Region" beside "2023" and then "Q1 | Q2") is not a row label of its own."""
    if len(table) < 2:
        return 0
    guessed = [
        table[0],
        *(["", *row[1:]] if row[:1] == above[:1] else row for above, row in pairwise(table)),
    ]
    return guess_header_rows(guessed) or 1


def _title(workbook: Workbook) -> str | None:
    try:
        return first_real_title(workbook.properties.title)
    except Exception:
        return None  # a broken core.xml only costs the title


def _nothing_read(warnings: list[str]) -> str:
    if not warnings:
        return "the workbook's sheets are empty"
    shown = "; ".join(warnings[:3]) + ("; …" if len(warnings) > 3 else "")
    return f"the sheets read are empty ({shown})"
