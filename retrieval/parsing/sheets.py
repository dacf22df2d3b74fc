"""A workbook's sheets read as the person sees them, whatever the file format (xlsx.py, xls.py).

This module is what the workbook readers share, so that every format reads alike by
construction. A reader opens the file, learns each sheet's Layout (what it hides, its merged
ranges, its rows with data) before its rows, and hands the rows over as a SheetCells: each row
a sequence of Cells, from the sheet's first row, a cell a value (text, number, boolean, date,
time or duration, None when empty) with its Excel number format. read_sheet then reads the
sheet, and a Reading (one per workbook) adds it to the document, words what was not read and
builds the document at the end.

Values: a number is shown through its cell's number format ("12.5%", "(337)", "$1,234.50":
number_formats.py), a date as 2023-06-30 (with its time when it has one), a time as 14:05, a
boolean as TRUE or FALSE (cell_text).

How the rows read, its heading, paragraphs, tables and charts, is sheet_tables.py's.

A merged range reads as Excel shows it: its value (the file keeps it in the range's first
cell, the others empty) fills every cell of the range, so a year merged over two quarters
names both quarters' columns and a label merged down column A labels each of its rows. Two
kinds of rows are left as they are: a row with no text of its own (under the first row of a
tall merged cell) and a row whose one text is a range starting in the sheet's first column
with text (a title or a note across the table: one line, not a row of copies). A range whose
first cell is hidden shows nothing and fills nothing.

Hidden sheets, rows and columns are not read: a person who opens the workbook does not see
them (sheets mostly hold lookup lists and workings, rows and columns workings and the detail
of a collapsed outline group). A warning names each hidden sheet (the reader's), and says per
sheet how many hidden rows and columns with text the reader passed (the rows a limit leaves
out are counted without the hidden ones).

Bounds: at most MAX_CELLS cells are read per workbook (a row counts up to its last filled cell,
cells a merged range fills included; a reader counts its charts' data points against it too)
and MAX_SCANNED row slots scanned, empty ones and merge-filled cells included (a stray cell far
down or far right must not make the reader walk millions of empty rows; a run of empty rows a
reader hands over at once, EmptyRows, costs what the reader says it cost it): one Budget per
workbook. A merged range fills only the rows read, and columns no further than the sheet's
last value; at most MAX_MERGED ranges are applied per sheet (Layout.add_merge), the rest keep
their value in their first cell, with a warning. A sheet cut by a limit keeps what was read
and the warning says how many rows were left out; the sheets after it are not read and are
named (Reading.not_reached). A sheet that turns out damaged keeps the rows read before the
damage, with a warning. At most MAX_SHEET_WARNINGS warnings are kept, one more line counting
the rest.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.charts import Chart
from retrieval.parsing.number_formats import format_moment, format_number
from retrieval.parsing.sheet_tables import add_sheet

MAX_CELLS = 200_000  # about 2 MB of text: thousands of chunks, minutes of encoding
MAX_SCANNED = 20_000_000  # row slots the reader hands over, empty cells and rows included
MAX_SHEET_WARNINGS = 20  # past this, one line counts the rest
MAX_MERGED = 20_000  # merged ranges applied per sheet: real sheets have a few hundred at most

ROW_DATA, ROW_HIDDEN = 1, 2  # a row's state in Layout.rows (0: empty, or not known)


class Cell(Protocol):
    """A cell as a reader hands it over (a read-only openpyxl cell is one): its value (str,
    int, float, bool, datetime, date, time, timedelta; None when empty) and the Excel number
    format a number is shown through (None: General)."""

    @property
    def value(self) -> object: ...

    @property
    def number_format(self) -> str | None: ...


@dataclass(frozen=True)
class EmptyRows:
    """A run of empty rows a reader hands over at once, and the row slots walking them cost the
    reader (counted against MAX_SCANNED): ODS repeats one row element (one slot, however many
    rows), openpyxl yields each row a file leaves out (a slot each, but nothing more)."""

    count: int
    scanned: int


class SheetCells(Protocol):
    """A sheet's rows as a reader hands them over: every row from the sheet's first (an empty
    row as an empty sequence, or a run of them as EmptyRows), each row's cells from column A,
    up to its last cell at least."""

    def iter_rows(self) -> Iterable[Sequence[Cell] | EmptyRows]: ...


@dataclass
class Budget:
    """What a workbook has spent of its bounds, across its sheets."""

    cells: int = 0  # cells read, against MAX_CELLS
    scanned: int = 0  # row slots scanned, against MAX_SCANNED
    spent: str = ""  # which limit stopped reading, once one has


@dataclass
class SheetRead:
    """What read_sheet read of a sheet."""

    rows: list[list[str] | None] = field(default_factory=list)  # None: one or more empty rows
    hidden_rows: int = 0  # hidden rows with text
    hidden_columns: set[int] = field(default_factory=set)  # hidden columns with text in the rows read
    warning: str = ""  # why the sheet was not read to its end, when it was damaged
    stopped_at: int = 0  # the first row not read, when a limit stopped the reading


@dataclass(slots=True)
class Merge:
    """A merged range, rows and columns numbered from 1, both ends included."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int
    value: str = ""  # its first cell's text, once that row is read


@dataclass
class Layout:
    """What must be known of a sheet before its rows are read: rows and columns numbered from 1
    as in Excel. A reader that cannot tell leaves it empty and not ``complete``: the rows are
    then all shown, no range merged, and a cut sheet's warning does not count the rows left."""

    rows: bytearray = field(default_factory=bytearray)  # by row number: ROW_DATA, ROW_HIDDEN or 0
    hidden_columns: frozenset[int] = frozenset()
    merges: list[Merge] = field(default_factory=list)  # at most MAX_MERGED
    merges_left_out: int = 0  # past MAX_MERGED
    first_column: int = 0  # of the leftmost value in a row not hidden (outside hidden columns)
    last_column: int = 0  # of the rightmost one
    complete: bool = False  # read to its end

    def add_merge(self, merge: Merge) -> None:
        """Keep the merged range, or count it once MAX_MERGED are kept."""
        if len(self.merges) < MAX_MERGED:
            self.merges.append(merge)
        else:
            self.merges_left_out += 1

    def row_hidden(self, number: int) -> bool:
        return number < len(self.rows) and self.rows[number] == ROW_HIDDEN

    def rows_after(self, number: int) -> int | None:
        """How many rows not hidden hold data past row ``number``; None when that is not known."""
        return self.rows.count(ROW_DATA, number + 1) if self.complete else None

    def visible(self, cells: list[str]) -> list[str]:
        """The row's cells outside hidden columns."""
        if not self.hidden_columns:
            return cells
        return [text for column, text in enumerate(cells, 1) if column not in self.hidden_columns]


def read_sheet(
    sheet: SheetCells, layout: Layout, budget: Budget, damage: tuple[type[Exception], ...]
) -> SheetRead:
    """The sheet's visible rows with text, merged ranges filled, as far as the workbook's
    budget and the file allow; an error of ``damage`` while the rows are read is the file's
    damage: the rows read before it are kept, with a warning."""
    read = SheetRead()
    rows = read.rows
    merges = _Merges(layout)
    number = 0
    try:
        for row in sheet.iter_rows():
            if isinstance(row, EmptyRows):  # as its rows one by one: a block break if one is shown
                room = MAX_SCANNED - budget.scanned
                budget.scanned += row.scanned
                count = row.count if row.scanned <= room else row.count * max(room, 0) // row.scanned
                shown = count - layout.rows[number + 1 : number + 1 + count].count(ROW_HIDDEN)
                if shown and rows and rows[-1] is not None:
                    rows.append(None)
                number += count
                if count < row.count:  # the limit fell inside the run
                    budget.spent = _scanned_spent()
                    read.stopped_at = number + 1
                    return read
                continue
            number += 1
            budget.scanned += len(row) + 1
            if budget.scanned > MAX_SCANNED:
                budget.spent = _scanned_spent()
                read.stopped_at = number
                return read
            cells = [cell_text(cell) for cell in row]
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
    except damage as error:
        # An XLSX's XML is parsed in blocks: the rows of the block that holds the damage are lost too.
        reason = f"{type(error).__name__}: {error}"
        read.warning = (
            f"read to row {number:,}; the rest could not be read ({reason})"
            if number
            else f"could not be read ({reason})"
        )
    return read


def _scanned_spent() -> str:
    return f"the server's limit of {MAX_SCANNED:,} cells scanned per workbook, empty ones included"


def cell_text(cell: Cell) -> str:
    """The cell's value as the workbook shows it."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return format_number(value, cell.number_format)
    if isinstance(value, datetime.date | datetime.time):
        return format_moment(value)
    return str(value)  # a duration (timedelta) and anything else a reader may hand over


class _Merges:
    """A sheet's merged ranges, spread over its rows as they are read."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._waiting = sorted(layout.merges, key=lambda merge: merge.first_row, reverse=True)
        self._open: list[Merge] = []  # the ranges over the current row whose value is text

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


def _sheet_notes(read: SheetRead, layout: Layout, limit: str, charts: Sequence[str] = ()) -> str:
    """What the sheet's warning says was not read, "" when all was: hidden rows and columns
    with text, merged ranges past MAX_MERGED, the rows a limit (``limit``: which, once one is
    spent) left out or the damage that stopped the reading; then ``charts``, the notes of its
    charts. The caller prefixes "sheet 'name': "."""
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


def _left_out(number: int, left: int | None, limit: str) -> str:
    """The warning for a sheet cut at row ``number`` (not read), ``left`` rows with data after."""
    read = f"read to row {number - 1:,}" if number > 1 else "not read"
    if left is None:
        return f"{read}; the rows after it were left out ({limit})"
    more = "1 more row with data was" if left == 1 else f"{left:,} more rows with data were"
    return f"{read}; {more} left out ({limit})"


def _not_reached(name: str, left: int | None, limit: str) -> str:
    """The warning for a sheet after the one a limit cut, ``left`` rows with data in it (None:
    not known)."""
    shown = "" if left is None else f" ({left:,} {'row' if left == 1 else 'rows'} with data left out)"
    return f"sheet '{name}' was not read: {limit} was reached before it{shown}"


def _add_warnings(builder: DocumentBuilder, warnings: list[str]) -> None:
    """The workbook's warnings, one per sheet not read in full: the first MAX_SHEET_WARNINGS,
    then a line counting the rest."""
    builder.warnings.extend(warnings[:MAX_SHEET_WARNINGS])
    if len(warnings) > MAX_SHEET_WARNINGS:
        builder.warnings.append(f"and {len(warnings) - MAX_SHEET_WARNINGS} more sheets were not read in full")


def _nothing_read(warnings: list[str]) -> str:
    """Why a workbook gave no text (its refusal reads "no text was read: …"): its sheets are
    empty, or those read are, with the first warnings."""
    if not warnings:
        return "the workbook's sheets are empty"
    shown = "; ".join(warnings[:3]) + ("; …" if len(warnings) > 3 else "")
    return f"the sheets read are empty ({shown})"


@dataclass
class Reading:
    """One workbook read into ``builder`` sheet by sheet, in the workbook's order: the Budget
    its sheets share, a warning line per sheet not read in full, and the document at the end."""

    builder: DocumentBuilder
    budget: Budget = field(default_factory=Budget)
    warnings: list[str] = field(default_factory=list)

    def hidden(self, name: str) -> None:
        self.warnings.append(f"sheet '{name}' is hidden and was not read")

    def not_reached(self, name: str, left: int | None) -> None:
        """A sheet after the budget was spent, ``left`` rows with data in it (None: not known)."""
        if left != 0:  # an empty sheet loses nothing
            self.warnings.append(_not_reached(name, left, self.budget.spent))

    def add(
        self,
        name: str,
        read: SheetRead,
        layout: Layout,
        charts: Sequence[Chart] = (),
        chart_notes: Sequence[str] = (),
    ) -> None:
        """A sheet read (and its charts) into the document, with its warning if it has one."""
        add_sheet(self.builder, name, read.rows, charts)
        notes = _sheet_notes(read, layout, self.budget.spent, chart_notes)
        if notes:
            self.warnings.append(f"sheet '{name}': {notes}")

    def build(self, title: str | None) -> ParsedDocument:
        """The document; ParseError when no sheet gave text."""
        if self.builder.is_empty:
            raise ParseError(f"no text was read: {_nothing_read(self.warnings)}")
        _add_warnings(self.builder, self.warnings)
        return self.builder.build(title=title)
