"""Table cells as a reader would group them: spacer columns out, units beside their figures.

Financial statements typeset by filing software (SEC filings in HTML and DOCX) put every
currency sign and closing parenthesis of a figure in a cell of its own and separate the
columns with empty ones, so a row read "Net income (loss) | | $ | 2,111,812 | | | $ |
(2,208,887 | )". Tidied, it reads "Net income (loss) | $2,111,812 | $(2,208,887)".

Only what cannot change a figure's column is done: a currency sign joins the figure in the
next cell, a ")" or "%" the figure in the cell before, each leaving its own cell empty; then
columns are joined only where no row has text in both, and empty cells at a row's end are
dropped. A cell empty in some rows only (a missing value) keeps its place when its column's
other rows need it, so the figures after it stay under their column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from retrieval.parsing.table_header import is_figure

MAX_SPAN = 100  # browsers cap colspan at 1,000; a file asking more wants no such table
MAX_SPANNED_COLUMNS = 200  # how wide spanning cells may make a row (their own text is kept)

LEADING_UNITS = frozenset({"$", "€", "£", "¥", "US$", "C$", "A$", "Rs.", "₹"})
TRAILING_UNITS = frozenset({")", "%", ")%", "%)"})


def _glued(cells: Sequence[str]) -> list[str]:
    row = [cell.strip() for cell in cells]
    for i, cell in enumerate(row):
        if cell in LEADING_UNITS and i + 1 < len(row) and row[i + 1] and row[i + 1][0] in "0123456789(-.—–":
            row[i + 1] = cell + row[i + 1]
            row[i] = ""
        elif cell in TRAILING_UNITS and i > 0 and row[i - 1] and row[i - 1][-1] in "0123456789":
            row[i - 1] += cell
            row[i] = ""
    return row


def tidy_rows(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """`rows` with units joined to their figures, empty columns dropped, and each column that
    the typesetting split off joined with its neighbour: two adjacent columns no row fills
    both of are one. A column with text only above the first row of figures (a year spanning
    a sign's cell and a figure's) joins the column after it, the figures it names; any other
    joins the one before. Two columns some row fills both of stay apart, so "Debit | Credit"
    keep theirs even when each line below fills only one."""
    glued = [_glued(cells) for cells in rows]
    width = max((len(row) for row in glued), default=0)
    columns = [[row[i] if i < len(row) else "" for row in glued] for i in range(width)]
    columns = [column for column in columns if any(column)]
    first_data = next((r for r, row in enumerate(glued) if any(is_figure(c) for c in row)), len(glued))

    def apart(a: list[str], b: list[str]) -> bool:
        return any(x and y for x, y in zip(a, b, strict=True))

    def joined(a: list[str], b: list[str]) -> list[str]:
        return [x or y for x, y in zip(a, b, strict=True)]

    merged: list[list[str]] = []
    for i, column in enumerate(columns):
        after = columns[i + 1] if i + 1 < len(columns) else None
        if after is not None and not any(column[first_data:]) and not apart(column, after):
            columns[i + 1] = joined(column, after)  # column names over the figures after them
        elif merged and not apart(merged[-1], column):
            merged[-1] = joined(merged[-1], column)
        else:
            merged.append(column)
    out = [[column[r] for column in merged] for r in range(len(glued))]
    for row in out:
        while row and not row[-1]:
            row.pop()  # empty cells at a row's end say nothing ("Adjustments to …: | |")
    return out


def spread(cells: Iterable[tuple[str, int]]) -> list[str]:
    """A row of (text, columns spanned) as one cell per column: a cell spanning columns is
    followed by empty ones, so the figures under a spanning year stay under it (`tidy_rows`
    joins them). The empty cells are bounded (MAX_SPANNED_COLUMNS a row): a file of huge
    spans must not make a table of millions of cells. Every cell's text is kept."""
    row: list[str] = []
    for text, span in cells:
        fill = min(min(max(span, 1), MAX_SPAN) - 1, max(0, MAX_SPANNED_COLUMNS - len(row) - 1))
        row += [text] + [""] * fill
    return row
