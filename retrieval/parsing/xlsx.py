"""XLSX: each visible sheet a heading and its used range a table, cells as the workbook shows them.

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
leave the first cell empty ("| Sales | Trading profit" under "In millions of CHF | 2023"):
table_header.guess_header_rows, at least one row.

Hidden sheets are not read, with a warning naming each: a person who opens the workbook does
not see them, and they mostly hold lookup lists and workings. Hidden rows and columns are
read (read-only mode does not know them). Charts, images, comments and chart sheets hold no
cell text and are left out.

Bounds: the archive is checked before openpyxl opens it (zip_limits.py); at most MAX_CELLS
cells are read per workbook (a row counts up to its last filled cell) and MAX_SCANNED row
slots scanned, empty ones included (a stray cell far down or far right must not make the
reader walk millions of empty rows). A sheet cut by a limit keeps what was read and the
warning says how many rows were left out; the sheets after it are not read and are named.
A sheet that turns out damaged keeps the rows read before the damage, with a warning.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO
from xml.etree.ElementTree import ParseError as ElementTreeParseError

import openpyxl
from lxml import etree
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.number_formats import format_number
from retrieval.parsing.table_header import guess_header_rows, is_figure
from retrieval.parsing.titles import first_real_title
from retrieval.parsing.zip_limits import check_archive

MAX_CELLS = 200_000  # about 2 MB of text: thousands of chunks, minutes of encoding
MAX_SCANNED = 20_000_000  # row slots openpyxl hands over, empty cells and rows included
MAX_SHEET_WARNINGS = 20  # past this, one line counts the rest

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

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
    rows: list[list[str] | None]  # None: one or more empty rows
    warning: str = ""  # why the sheet was not read to its end, when it was damaged
    stopped_at: int = 0  # the first row not read, when a limit stopped the reading


def parse_xlsx(data: bytes) -> ParsedDocument:
    check_archive(data, "XLSX")
    workbook = _open(data)
    builder = DocumentBuilder("xlsx")
    warnings: list[str] = []
    budget = _Budget()
    counter = _RowCounter(data)
    try:
        for sheet in workbook.worksheets:
            name = sheet.title
            if sheet.sheet_state != "visible":
                warnings.append(f"sheet '{name}' is hidden and was not read")
            elif budget.spent:
                left = counter.rows_after(name, 0)
                if left != 0:  # an empty sheet loses nothing
                    warnings.append(_not_reached(name, left, budget.spent))
            else:
                read = _read_sheet(sheet, budget)
                _add_sheet(builder, name, read.rows)
                if read.stopped_at:
                    left = counter.rows_after(name, read.stopped_at - 1)
                    warnings.append(f"sheet '{name}': {_left_out(read.stopped_at, left, budget.spent)}")
                elif read.warning:
                    warnings.append(f"sheet '{name}': {read.warning}")
        title = _title(workbook)
    finally:
        workbook.close()
    if builder.is_empty:
        raise ParseError(f"no text was read: {_nothing_read(warnings)}")
    builder.warnings.extend(warnings[:MAX_SHEET_WARNINGS])
    if len(warnings) > MAX_SHEET_WARNINGS:
        builder.warnings.append(f"and {len(warnings) - MAX_SHEET_WARNINGS} more sheets were not read in full")
    return builder.build(title=title)


def _open(data: bytes) -> Workbook:
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except NotImplementedError as error:
        raise ParseError(f"XLSX is compressed with a method the server cannot read ({error})") from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ParseError(f"XLSX is damaged: a part of the archive cannot be unzipped ({error})") from error
    except (InvalidFileException, *_DAMAGE) as error:
        raise ParseError(f"not a readable Excel workbook ({type(error).__name__}: {error})") from error


def _read_sheet(sheet, budget: _Budget) -> _Sheet:  # a read-only worksheet
    """The sheet's rows with text, as far as the workbook's budget and the file allow."""
    sheet.reset_dimensions()  # never pad rows to the size the sheet declares: read what is there
    rows: list[list[str] | None] = []
    number = 0
    try:
        for number, row in enumerate(sheet.iter_rows(), start=1):
            budget.scanned += len(row) + 1
            if budget.scanned > MAX_SCANNED:
                budget.spent = (
                    f"the server's limit of {MAX_SCANNED:,} cells scanned per workbook, empty ones included"
                )
                return _Sheet(rows, stopped_at=number)
            cells = [_cell_text(cell) for cell in row]
            while cells and not cells[-1].strip():
                cells.pop()
            if not cells:
                if rows and rows[-1] is not None:
                    rows.append(None)  # an empty row: where one block of the sheet ends
                continue
            if budget.cells + len(cells) > MAX_CELLS:
                budget.spent = f"the server's limit of {MAX_CELLS:,} cells per workbook"
                return _Sheet(rows, stopped_at=number)
            budget.cells += len(cells)
            rows.append(cells)
    except _DAMAGE as error:
        # The XML is parsed in blocks: the rows of the block that holds the damage are lost too.
        reason = f"{type(error).__name__}: {error}"
        if not number:
            return _Sheet(rows, f"could not be read ({reason})")
        return _Sheet(rows, f"read to row {number:,}; the rest could not be read ({reason})")
    return _Sheet(rows)


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


class _RowCounter:
    """How many rows with data a sheet has past a row, counted on the sheet's XML by lxml's
    streaming parser (several times faster than reading them with openpyxl), for the
    warnings that say what a limit left out. None when the count cannot be made."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._paths: dict[str, str] | None = None

    def rows_after(self, sheet_name: str, row: int) -> int | None:
        try:
            with zipfile.ZipFile(io.BytesIO(self._data)) as archive:
                if self._paths is None:
                    self._paths = _sheet_paths(archive)
                path = self._paths.get(sheet_name)
                if path is None:
                    return None
                with archive.open(path) as stream:
                    return _rows_with_data(stream, row)
        except (*_DAMAGE, OSError):
            return None


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet's name and the path of its part: package relationships → workbook →
    its relationships."""
    package_rels = _xml(archive.read("_rels/.rels"))
    workbook = next(
        rel.get("Target", "").lstrip("/")
        for rel in package_rels.iter(f"{_PACKAGE_RELS}Relationship")
        if rel.get("Type", "").endswith("/officeDocument")
    )
    folder = posixpath.dirname(workbook)
    rels = _xml(archive.read(posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")))
    targets = {}
    for rel in rels.iter(f"{_PACKAGE_RELS}Relationship"):
        target = rel.get("Target", "")
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        targets[rel.get("Id")] = posixpath.normpath(resolved)
    return {
        sheet.get("name", ""): targets[sheet.get(f"{_RELATIONSHIP}id")]
        for sheet in _xml(archive.read(workbook)).iter(f"{_MAIN}sheet")
        if sheet.get(f"{_RELATIONSHIP}id") in targets
    }


def _rows_with_data(stream: IO[bytes], after: int) -> int:
    count = index = 0
    for _, row in etree.iterparse(
        stream, tag=f"{_MAIN}row", resolve_entities=False, no_network=True, load_dtd=False
    ):
        number = row.get("r", "")
        index = int(number) if number.isdigit() else index + 1
        if index > after and any(
            cell.find(f"{_MAIN}v") is not None or cell.find(f"{_MAIN}is") is not None for cell in row
        ):
            count += 1
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]  # the rows already counted: memory stays flat
    return count


def _xml(body: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(body, parser)


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


def _add_sheet(builder: DocumentBuilder, name: str, rows: list[list[str] | None]) -> None:
    """The sheet under a heading with its name. Its blocks (rows between empty rows) are read
    together: blocks without figures (titles, column names) lead the block after them, a
    block that starts with figures goes on with the table above it, and any other starts a
    table of its own, so a second table's column names head its own figures."""
    blocks = _blocks(rows)
    if not blocks:
        return
    # Columns left of every row's first filled cell are margin, not the table's first column.
    margin = min(next(i for i, cell in enumerate(row) if cell.strip()) for block in blocks for row in block)
    builder.add_heading(1, name)
    pending: list[list[str]] = []
    table_open = False
    for index, block in enumerate(blocks):
        pending += [row[margin:] for row in block]
        if index < len(blocks) - 1 and not any(_has_figure(row) for row in block):
            continue
        table_open = _add_block(builder, pending, table_open)
        pending = []


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
    """The rows that name the columns: those guess_header_rows finds, else the first row."""
    if len(table) < 2:
        return 0
    return guess_header_rows(table) or 1


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
