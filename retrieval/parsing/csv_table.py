"""CSV: the file is one table, its first row the header, bounded like a workbook.

The bytes are decoded as the other text formats are (decoding.py: a byte-order mark, UTF-8,
UTF-16, cp1252), the delimiter is found by csv.Sniffer among comma, semicolon, tab and pipe
on the first lines (comma when it cannot tell: a one-column file), and quoted fields follow
the usual rules (a quote inside a field doubled; line breaks inside quotes kept in the cell).
Values are text as written: a CSV carries no number formats. There are no headings or pages.

Bounds: at most sheets.MAX_CELLS cells (a row counts up to its last filled cell), as for a
workbook. Past it the rows are not kept, only counted, and a warning says how many were left
out. A row the csv module cannot read (a field over its 128 KiB limit) ends the table there,
with a warning.
"""

from __future__ import annotations

import csv
import io

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.decoding import decode_text
from retrieval.parsing.sheets import MAX_CELLS as WORKBOOK_MAX_CELLS

MAX_CELLS = WORKBOOK_MAX_CELLS
DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 50


def parse_csv(data: bytes) -> ParsedDocument:
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    rows: list[list[str]] = []
    cells = 0
    warning = ""
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            while row and not row[-1].strip():
                row.pop()
            if not row:
                continue
            if cells + len(row) > MAX_CELLS:
                warning = _left_out(number, rows, 1 + _rows_with_values(reader))
                break
            cells += len(row)
            rows.append(row)
    except csv.Error as error:
        warning = f"row {number + 1:,} could not be read, nor the rows after it ({error})"

    builder = DocumentBuilder("csv")
    builder.add_table(rows, header_rows=1 if len(rows) > 1 else 0)
    if builder.is_empty:
        raise ParseError(f"no text was read: {warning or 'the file holds no values, only separators'}")
    if warning:
        builder.warnings.append(warning)
    return builder.build(title=None)


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The file's delimiter and whether a space follows it, from its first lines; the
    standard quoting either way (the sniffer's guesses about quotes are unreliable)."""
    lines = text[:_SNIFF_CHARS].splitlines(keepends=True)
    if len(text) > _SNIFF_CHARS and len(lines) > 1:
        lines.pop()  # cut off mid-line
    sample = "".join(lines[:_SNIFF_LINES])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel  # one column, or nothing a delimiter could be told from

    class Sniffed(csv.excel):
        delimiter = sniffed.delimiter
        skipinitialspace = sniffed.skipinitialspace

    return Sniffed


def _rows_with_values(reader) -> int:  # the rest of a csv.reader
    """The rows left in ``reader`` that hold a value, counted, not kept; as many as can be
    read when one cannot."""
    count = 0
    try:
        for row in reader:
            count += any(cell.strip() for cell in row)
    except csv.Error:
        pass
    return count


def _left_out(number: int, rows: list[list[str]], left: int) -> str:
    """Why row ``number`` and the ``left`` rows with values from it on were not read."""
    limit = f"the server's limit of {MAX_CELLS:,} cells per file"
    if not rows:
        return f"the first row alone has more cells than {limit}"
    more = "1 more row was" if left == 1 else f"{left:,} more rows were"
    return f"read to row {number - 1:,}; {more} left out ({limit})"
