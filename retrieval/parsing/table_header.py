"""Which leading rows of a table name its columns, when the file does not mark them.

DOCX, HTML and Markdown can say which rows are the header (repeat-as-header rows, <th>
and <thead>, a pipe table's first line); a PDF never does, and many HTML tables do not
either. Then the header is guessed from the cells: column names are words and dates
("July 1, 2023", "Three Months Ended", "2023"), data rows hold figures ("81,797",
"(1.2)%", "0.965"). A first row without figures is the header when figures follow; a
table with no figures at all gives no guess, since its first row could as well be data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_HEADER_ROWS = 3
# A figure: digits with separators, signs, currency, percent and brackets, no letters.
_FIGURE = re.compile(r"[\s$€£¥+\-\u2013\u2212(]*\d[\d\s.,\-\u2013\u2212%()/*]*")
# Figures that are column names: a year, a date written with slashes.
_YEAR = re.compile(r"\(?(?:19|20)\d\d\)?")
_SLASH_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")


def is_figure(cell: str) -> bool:
    """Whether a cell holds a data figure (not a year or a date, which name columns)."""
    text = cell.strip()
    if not text or not _FIGURE.fullmatch(text):
        return False
    return not (_YEAR.fullmatch(text) or _SLASH_DATE.fullmatch(text))


def guess_header_rows(rows: Sequence[Sequence[str]]) -> int:
    """How many leading rows hold column names, when a row with figures follows them: the
    first row if it has no figure, and the next ones without figures whose first cell is
    empty (names over the figure columns: "| July 1, 2023 | June 25, 2022" under
    "| Three Months Ended"); a row with a label of its own is data. At most MAX_HEADER_ROWS;
    0 when no row has a figure or the first one does."""
    first_figures = next((i for i, cells in enumerate(rows) if any(is_figure(c) for c in cells)), None)
    if not first_figures:
        return 0  # None: no figures at all; 0: the first row already holds data
    count = 1
    while count < min(first_figures, MAX_HEADER_ROWS) and not (rows[count][:1] or [""])[0].strip():
        count += 1
    return count


def header_rows(rows: Sequence[Sequence[str]], marked: Sequence[bool]) -> int:
    """How many leading rows name the columns: the run of rows from the first that the file
    marks as header rows (RTF's ``\\trhdr``, Word's repeat-as-header rows), else
    guess_header_rows' guess."""
    run = next((i for i, header in enumerate(marked) if not header), len(marked))
    return run or guess_header_rows(rows)
