"""XLSX: each visible sheet a heading, its used range a table, then its charts, as the workbook shows them.

What every workbook format shares (how a sheet reads, values shown through their number
formats, merged ranges, hidden rows and columns, the bounds MAX_CELLS, MAX_SCANNED and
MAX_MERGED, the warnings) is sheets.py's: its docstring is the contract. What follows is
particular to XLSX.

openpyxl reads the workbook in read-only mode (sheets streamed, never loaded whole) with
``data_only``: a formula cell gives the value Excel cached when it last saved the file (a
workbook written by a program that never calculated it has none, and the cell reads empty).
openpyxl's cells are handed to sheets.read_sheet as they are (a value and a number format).

Hidden sheets are named in a warning. Images and comments are left out.

Charts are read as on a slide (charts.py, from the values the chart caches): after the sheet's
tables, each chart's title as a paragraph, then its data as tables, the charts in the order of
their top-left cells, row then column (xlsx_charts.py finds them: sheet → drawing → chart
parts). A chart sheet is a sheet of its own: a heading with its name, then its chart; a hidden
one is left out and named like a hidden sheet. A drawing or chart that cannot be read costs
only itself, with a warning ("sheet 'Sales': a chart could not be read (…)"); read-only
openpyxl parses a chart sheet's drawing itself, so a workbook it fails to open is opened again
with its drawings emptied.

Read-only mode knows neither merged ranges nor hidden rows and columns: the sheet's Layout is
read from the sheet's XML by lxml's streaming parser (entities not expanded, no network,
memory flat), in one pass before openpyxl reads the rows.

Bounds: the archive is checked before openpyxl opens it (zip_limits.py); openpyxl is told
never to pad rows to the size a sheet declares. A chart's data points count against
sheets.MAX_CELLS too, at most charts.MAX_CHART_POINTS per chart (a warning says how many it
has); drawing and chart parts are read up to xlsx_charts.MAX_PART_BYTES each.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import IO
from xml.etree.ElementTree import ParseError as ElementTreeParseError

import openpyxl
from lxml import etree
from openpyxl.chartsheet import Chartsheet
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing import sheets
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.sheets import (
    ROW_DATA,
    ROW_HIDDEN,
    Budget,
    Cell,
    EmptyRows,
    Layout,
    Merge,
    Reading,
    SheetRead,
    read_sheet,
)
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

_ROWS, _COLUMNS = 1_048_576, 16_384  # the sheet size Excel allows

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


def parse_xlsx(data: bytes) -> ParsedDocument:
    check_archive(data, "XLSX")
    workbook = _open(data)
    reading = Reading(DocumentBuilder("xlsx"))
    budget = reading.budget
    parts = _Parts(data)
    try:
        for name in workbook.sheetnames:
            sheet = workbook[name]
            chart_sheet = isinstance(sheet, Chartsheet)  # no cells: its chart is all it shows
            # openpyxl leaves a chart sheet's state unread: the workbook part says it.
            if parts.hidden(name) if chart_sheet else sheet.sheet_state != "visible":
                reading.hidden(name)
            elif budget.spent:
                reading.not_reached(name, None if chart_sheet else parts.layout(name).rows_after(0))
            else:
                layout = Layout() if chart_sheet else parts.layout(name)
                read = SheetRead() if chart_sheet else _read_sheet(sheet, layout, budget)
                charts = parts.charts(name, sheets.MAX_CELLS - budget.cells)
                budget.cells += charts.points_read
                reading.add(name, read, layout, charts.charts, charts.notes)
        title = _title(workbook)
    finally:
        workbook.close()
        parts.close()
    return reading.build(title)


def _read_sheet(sheet, layout: Layout, budget: Budget) -> SheetRead:  # a read-only worksheet
    """The sheet read by sheets.read_sheet from openpyxl's cells, as far as the file allows."""
    sheet.reset_dimensions()  # never pad rows to the size the sheet declares: read what is there
    return read_sheet(_Rows(sheet), layout, budget, _DAMAGE)


class _Rows:
    """A read-only worksheet's rows as sheets.read_sheet reads them (a sheets.SheetCells), the
    rows the file leaves out between two (openpyxl hands each over, empty) as one run of
    EmptyRows: still a row slot each, as openpyxl walks them, but no more work than that."""

    def __init__(self, sheet) -> None:  # a read-only worksheet
        self._sheet = sheet

    def iter_rows(self) -> Iterator[Sequence[Cell] | EmptyRows]:
        gap = 0
        for row in self._sheet.iter_rows():
            if not row:
                gap += 1
                continue
            if gap:
                yield EmptyRows(gap, gap)
                gap = 0
            yield row


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


class _Parts:
    """What read-only openpyxl does not read of a sheet, from the workbook's package: a chart
    sheet's state, a worksheet's Layout (lxml's streaming parser, several times faster than
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

    def layout(self, sheet_name: str) -> Layout:
        path = self._sheets.get(sheet_name, ("", ""))[0]
        try:
            if path:
                with self._archive.open(path) as stream:
                    return _read_layout(stream)
        except (*_DAMAGE, OSError):
            pass
        return Layout()

    def charts(self, sheet_name: str, room: int) -> SheetCharts:
        """The sheet's charts, at most ``room`` data points in all."""
        path = self._sheets.get(sheet_name, ("", ""))[0]
        return self._charts.read(path, room) if path else SheetCharts()

    def close(self) -> None:
        self._archive.close()


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


def _read_layout(stream: IO[bytes]) -> Layout:
    """The sheet's rows with data and hidden rows, its hidden columns (``<cols>``, before the
    rows) and merged ranges (``<mergeCells>``, after them). What was read before any damage
    holds: the reading of the rows reports the damage."""
    layout = Layout()
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
                    layout.rows[number] = ROW_HIDDEN
                elif filled := _value_columns(element, layout.hidden_columns):
                    layout.rows[number] = ROW_DATA
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
                layout.add_merge(merge)
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


def _merge(ref: str) -> Merge | None:
    """The merged range "B2:C3", None when it is malformed or one cell."""
    try:
        bounds = range_boundaries(ref)
    except ValueError:
        return None
    match bounds:
        case (int(column), int(row), int(end_column), int(end_row)) if (column, row) != (end_column, end_row):
            return Merge(
                min(row, end_row), min(column, end_column), max(row, end_row), max(column, end_column)
            )
    return None  # whole rows or columns ("A:B"): never a merged range


def _number(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() else 0


def _true(text: str | None) -> bool:
    return text in ("1", "true")  # xsd:boolean


def _title(workbook: Workbook) -> str | None:
    try:
        return first_real_title(workbook.properties.title)
    except Exception:
        return None  # a broken core.xml only costs the title
