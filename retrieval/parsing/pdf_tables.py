"""Tables in a PDF, recognized from line shapes: rows of cells aligned in columns.

A PDF has no table markup, only strings drawn at positions. A line is cut into cells
where a gap between two of its runs (``pdf_geometry``) is wider than CELL_GAP_EM of the
font size; word spaces are a quarter to a third of it. A table is then a run of at least
MIN_ROWS consecutive lines of two cells or more whose cells fall in the same columns (the
extents of the widest row shape two rows share; a row with fewer cells leaves columns
empty or spans them). A one-cell line between two rows (a group label, "Operating
expenses:") stays in the table, and so do the lines just above it that lie over its figure
columns only ("Three Months Ended"); a line whose cells cross the columns ends it. Two
columns of prose set on shared lines look like a table too, and are told apart by their
length: a table's cells are short (median at most MAX_MEDIAN_CELL_CHARS characters).

A table that ends its page (low on it) and one that starts the next page (high on it),
with only running headers and footers between them and the same columns, are one table
split by the page break; leading rows of the continuation that read like the table's
header rows are its header repeated.

A PDF never says which rows name the columns: leading rows set in bold above rows that
are not are the header, else they are guessed from the cells (``table_header``).
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.parsing.pdf_geometry import Cell, Run
from retrieval.parsing.pdf_lines import Line
from retrieval.parsing.table_header import MAX_HEADER_ROWS, guess_header_rows

CELL_GAP_EM = 1.0
MIN_ROWS = 3
MAX_MEDIAN_CELL_CHARS = 40
# How far (points) a cell may stick out of its column and still belong to it.
_SLACK = 2.0


@dataclass(frozen=True)
class TablePart:
    """A table's rows on one page: consecutive lines of the page, and their cells."""

    page: int  # 0-based page index
    lines: tuple[int, ...]
    rows: tuple[tuple[str, ...], ...]
    header_rows: int
    continues: bool  # the rest of the table that ended the page before


def line_cells(text: str, runs: list[Run] | None) -> list[Cell] | None:
    """The cells of a line: its runs laid over its text (pypdf's), split at wide gaps.

    None when the runs are unknown or do not spell the line's text exactly (whitespace
    aside), so that no cell is ever a guess.
    """
    if not runs:
        return None
    cells: list[Cell] = []
    position = 0  # how far into ``text`` the runs have spelled it
    current: tuple[int, float, float, float, bool] | None = None  # (text start, x0, x1, size, bold)
    for run in runs:
        visible = "".join(run.text.split())
        if not visible:
            continue
        span = _spell(text, position, visible)
        if span is None:
            return None
        start, position = span
        if current is not None:
            cell_start, x0, x1, size, bold = current
            if run.x0 < x0:
                return None  # drawn right to left or out of order: not read as columns
            if run.x0 - x1 > CELL_GAP_EM * max(size, run.size):
                cells.append(Cell(x0, x1, text[cell_start:start].strip(), bold))
                current = None
            else:
                current = (cell_start, x0, max(x1, run.x1), run.size, bold and run.bold)
        if current is None:
            current = (start, run.x0, run.x1, run.size, run.bold)
    if current is None or text[position:].strip():
        return None
    cells.append(Cell(current[1], current[2], text[current[0] :].strip(), current[4]))
    return cells


def _spell(text: str, position: int, visible: str) -> tuple[int, int] | None:
    """[start, end) of ``text`` from ``position`` that spells ``visible`` (no whitespace),
    whitespace allowed before and between its characters (pypdf adds spaces where a
    string's glyphs are spread out); None if it does not."""
    start = None
    for char in visible:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text) or text[position] != char:
            return None
        start = position if start is None else start
        position += 1
    return (start, position) if start is not None else None


def find_tables(
    page_lines: list[list[Line] | None], skipped: set[tuple[int, int]]
) -> dict[tuple[int, int], TablePart]:
    """Table parts by (page index, first line index). ``skipped`` lines (running headers
    and footers, heading lines) are in no table and end any table they interrupt."""
    found: dict[tuple[int, int], TablePart] = {}
    previous: _Candidate | None = None  # a table that ended the previous page
    for index, lines in enumerate(page_lines):
        page = _Page(index, lines or [], skipped)
        candidates = _candidates(index, page.lines, skipped)
        for candidate in candidates:
            opens_page = (
                candidate is candidates[0]
                and not page.content(0, candidate.lines[0])
                and page.high(candidate.lines[0])
            )
            if previous is not None and opens_page and _same_columns(previous, candidate):
                candidate.origin = previous.origin
                candidate.header_rows = _repeated_header(previous.origin, candidate)
                candidate.continues = True
            elif len(candidate.lines) >= MIN_ROWS and _short_cells(candidate):
                candidate.origin = candidate
                candidate.header_rows = _header_rows(candidate)
            else:
                continue
            found[(index, candidate.lines[0])] = candidate.part(index)
        # A table that ends the page, low on it, may go on at the top of the next.
        last = candidates[-1] if candidates else None
        previous = None
        if last is not None and (index, last.lines[0]) in found:
            end = last.lines[-1]
            previous = last if not page.content(end + 1, len(page.lines)) and not page.high(end) else None
    return found


class _Page:
    """A page's lines, with what counts as its content and where it lies."""

    def __init__(self, index: int, lines: list[Line], skipped: set[tuple[int, int]]) -> None:
        self.index = index
        self.lines = lines
        self._skipped = skipped
        heights = sorted(line.y for j, line in enumerate(lines) if line.y is not None and self._counts(j))
        self._middle = heights[len(heights) // 2] if heights else None

    def _counts(self, j: int) -> bool:
        return bool(self.lines[j].text.strip()) and (self.index, j) not in self._skipped

    def content(self, start: int, end: int) -> bool:
        """Whether lines [start, end) hold text that counts (not skipped, not blank)."""
        return any(self._counts(j) for j in range(start, end))

    def high(self, j: int) -> bool:
        """Whether line ``j`` lies in the upper half of the page's text (True when heights
        are unknown): content-stream order is not always reading order, and a footer drawn
        first must not pass for the top of the page."""
        y = self.lines[j].y
        return y is None or self._middle is None or y >= self._middle


@dataclass
class _Candidate:
    """A run of lines that may be a table."""

    lines: list[int]
    cells: list[list[Cell]]
    columns: list[tuple[float, float]] | None = None
    header_rows: int = 0
    continues: bool = False
    origin: _Candidate | None = None  # the part on the page where the table starts

    def rows(self) -> list[tuple[str, ...]]:
        return [_placed(row, self.columns or []) for row in self.cells]

    def part(self, page: int) -> TablePart:
        return TablePart(page, tuple(self.lines), tuple(self.rows()), self.header_rows, self.continues)


def _candidates(page: int, lines: list[Line], skipped: set[tuple[int, int]]) -> list[_Candidate]:
    """Runs of consecutive multi-cell lines (one-cell lines between two of them kept),
    cut where a line leaves the run's columns."""
    runs: list[_Candidate] = []
    current: list[int] = []
    for j, line in enumerate(lines):
        cells = line.cells
        usable = (page, j) not in skipped and cells is not None and line.text.strip()
        if usable and cells is not None and len(cells) >= 2:
            current.append(j)
            continue
        sandwiched = (
            usable
            and current
            and j + 1 < len(lines)
            and (page, j + 1) not in skipped
            and len(lines[j + 1].cells or ()) >= 2
        )
        if sandwiched:
            current.append(j)
            continue
        if current:
            runs.append(_Candidate(current, [lines[k].cells or [] for k in current]))
        current = []
    if current:
        runs.append(_Candidate(current, [lines[k].cells or [] for k in current]))
    pieces = [piece for run in runs for piece in _split_by_columns(run)]
    for piece in pieces:
        _take_spanning_header(piece, page, lines, skipped)
    return pieces


def _take_spanning_header(
    candidate: _Candidate, page: int, lines: list[Line], skipped: set[tuple[int, int]]
) -> None:
    """Put in front of the candidate the lines just above it that lie over its columns but
    not over the first one: column names of the figure columns ("Three Months Ended" over
    both quarters), which are often a single cell and so start no run of their own."""
    columns = candidate.columns or []
    j = candidate.lines[0] - 1
    while j >= 0 and candidate.lines[0] - j <= MAX_HEADER_ROWS:
        cells = lines[j].cells
        if (page, j) in skipped or not cells or not lines[j].text.strip() or not _fits(cells, columns):
            return
        if any(0 in _columns_under(cell, columns) for cell in cells):
            return
        candidate.lines.insert(0, j)
        candidate.cells.insert(0, cells)
        j -= 1


def _split_by_columns(run: _Candidate) -> list[_Candidate]:
    """The run's columns (``_columns``); rows that do not fit them cut it."""
    columns = _columns(run.cells)
    if columns is None:
        return []
    columns = _widened(columns, [row for row in run.cells if _fits(row, columns)])
    pieces: list[_Candidate] = []
    lines: list[int] = []
    cells: list[list[Cell]] = []
    for j, row in zip(run.lines, run.cells, strict=True):
        if _fits(row, columns):
            lines.append(j)
            cells.append(row)
            continue
        if lines:
            pieces.append(_Candidate(lines, cells, columns))
        lines, cells = [], []
    if lines:
        pieces.append(_Candidate(lines, cells, columns))
    return [_trim(piece) for piece in pieces if any(len(row) >= 2 for row in piece.cells)]


def _widened(columns: list[tuple[float, float]], rows: list[list[Cell]]) -> list[tuple[float, float]]:
    """Columns grown to the cells that lie over one of them only (a date over right-aligned
    figures), as long as they stay apart; so that a cell spanning columns is placed in the
    first one it covers."""
    columns = list(columns)
    for row in rows:
        for cell in row:
            over = _columns_under(cell, columns)
            if len(over) != 1:
                continue
            k = over[0]
            grown = (min(columns[k][0], cell.x0), max(columns[k][1], cell.x1))
            clear_left = k == 0 or columns[k - 1][1] < grown[0]
            clear_right = k + 1 == len(columns) or grown[1] < columns[k + 1][0]
            if clear_left and clear_right:
                columns[k] = grown
    return columns


def _trim(candidate: _Candidate) -> _Candidate:
    """Without trailing one-cell lines (a paragraph's first line after a table)."""
    while candidate.cells and len(candidate.cells[-1]) < 2:
        candidate.cells.pop()
        candidate.lines.pop()
    return candidate


def _columns(rows: list[list[Cell]]) -> list[tuple[float, float]] | None:
    """Column extents from the rows of the widest shape that two rows share (rows with
    fewer cells leave columns empty or span them)."""
    shapes = Counter(len(row) for row in rows if len(row) >= 2)
    shared = [n for n, count in shapes.items() if count >= 2] or list(shapes)
    if not shared:
        return None
    width = max(shared)
    model = [row for row in rows if len(row) == width]
    columns = [(min(row[k].x0 for row in model), max(row[k].x1 for row in model)) for k in range(width)]
    for (_, right), (left, _) in itertools.pairwise(columns):
        if right > left + _SLACK:
            return None  # rows of this shape do not line up: not columns
    return columns


def _fits(row: list[Cell], columns: list[tuple[float, float]]) -> bool:
    """Every cell lies over one column or spans neighbours, left to right."""
    lowest = 0
    for cell in row:
        over = _columns_under(cell, columns)
        if not over or over[0] < lowest:
            return False
        lowest = over[-1] + 1
    return True


def _placed(row: list[Cell], columns: list[tuple[float, float]]) -> tuple[str, ...]:
    """The row's cell texts in their columns: an empty cell where a column has none
    ("| July 1, 2023 | June 25, 2022" above "Net sales | 81,797 | 82,959"), none after
    the last, and a cell spanning columns in the first of them."""
    texts: list[str] = []
    for cell in row:
        over = _columns_under(cell, columns)
        texts.extend([""] * ((over[0] if over else len(texts)) - len(texts)))
        texts.append(cell.text)
    return tuple(texts)


def _columns_under(cell: Cell, columns: list[tuple[float, float]]) -> list[int]:
    """The indexes of the columns a cell lies over."""
    over = []
    for k, (left, right) in enumerate(columns):
        if left - _SLACK < cell.x1 and cell.x0 < right + _SLACK:
            over.append(k)
    return over


def _short_cells(candidate: _Candidate) -> bool:
    lengths = [len(cell.text) for row in candidate.cells for cell in row]
    return statistics.median(lengths) <= MAX_MEDIAN_CELL_CHARS


def _same_columns(before: _Candidate, after: _Candidate) -> bool:
    a, b = before.columns, after.columns
    if a is None or b is None or len(a) != len(b):
        return False
    return all(x0 < y1 + _SLACK and y0 < x1 + _SLACK for (x0, x1), (y0, y1) in zip(a, b, strict=True))


def _repeated_header(origin: _Candidate | None, candidate: _Candidate) -> int:
    """How many leading rows of a continuation repeat the table's header rows."""
    if origin is None or not origin.header_rows:
        return 0
    header = [_normal(row) for row in origin.rows()[: origin.header_rows]]
    rows = [_normal(row) for row in candidate.rows()[: len(header)]]
    return len(header) if rows == header else 0


def _header_rows(candidate: _Candidate) -> int:
    """The leading rows set all in bold when rows not all bold follow (how most PDFs mark
    a header), else the guess from the cells' words and figures."""
    bold = [all(cell.bold for cell in row if cell.text) for row in candidate.cells]
    leading = next((i for i, is_bold in enumerate(bold) if not is_bold), len(bold))
    if 0 < leading < len(bold):
        return min(leading, MAX_HEADER_ROWS)
    return guess_header_rows(candidate.rows())


def _normal(cells: Sequence[str]) -> str:
    return " ".join(" ".join(cells).casefold().split())
