"""Table rows in a document's text, and the header rows that name their columns.

A parsed table is a paragraph of its own, a line per row, cells joined by " | "
(`DocumentBuilder.add_table`). A row alone ("Total revenue | $19,984,378 | $10,230,316") does
not say which column is which; its table's header rows do ("| 2021 | 2020"). Evidence ranks a
row with its header's words and shows the header above the quoted row.

Plain Python over text: the document's, or a chunk's (a chunk that starts inside a table
repeats the header at its head, so the header is in its text too).
"""

from __future__ import annotations

from retrieval.parsing.builder import CELL_SEPARATOR, PARAGRAPH_SEPARATOR
from retrieval.parsing.table_header import guess_header_rows


def line_around(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of the line of `text` holding [start, end), less surrounding spaces."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    while line_start < line_end and text[line_start].isspace():
        line_start += 1
    while line_end > line_start and text[line_end - 1].isspace():
        line_end -= 1
    return line_start, line_end


def _cells(line: str) -> list[str]:
    """A row's cells; a row whose first cell is empty starts with "| " ("| July 1, 2023 | …")."""
    cells = line.split(CELL_SEPARATOR)
    if cells[0] == "|" or cells[0].startswith("| "):
        cells = ["", cells[0][2:], *cells[1:]]
    return cells


def table_header_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """[start, end) in `text` of the header rows of the table whose row the quote [start, end)
    is, or None: not a table row, no header rows, or the quote is in the header itself.

    A table is a paragraph of its own, a line per row, cells joined by " | "
    (`DocumentBuilder.add_table`); its header rows are guessed from the cells as parsing
    guesses them (`guess_header_rows`: names above figures)."""
    line_start, line_end = line_around(text, start, end)
    if CELL_SEPARATOR not in text[line_start:line_end]:
        return None
    block_start = text.rfind(PARAGRAPH_SEPARATOR, 0, line_start)
    block_start = 0 if block_start < 0 else block_start + len(PARAGRAPH_SEPARATOR)
    block_end = text.find(PARAGRAPH_SEPARATOR, line_end)
    block_end = len(text) if block_end < 0 else block_end
    lines = text[block_start:block_end].split("\n")
    header_rows = guess_header_rows([_cells(line) for line in lines])
    if header_rows == 0:
        return None
    header_end = block_start + sum(len(line) + 1 for line in lines[:header_rows]) - 1
    if start < header_end:
        return None
    return block_start, header_end
