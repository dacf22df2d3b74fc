"""What a quote needs beside it to be read: a label's figure, a table row's column names.

A quote is an exact sentence of the document, and some sentences say nothing alone. Report
covers, slides and infographics print a figure and its label on lines of their own ("BY
MARKET CAPITALISATION" / "`17,81,841 crore"): the label matches the question, and the figure,
two words or fewer, is too short to be a quote, so the label alone was quoted and the answer
was not in it (`with_adjacent_labels` widens such a quote). A table row ("Total revenue |
$19,984,378 | $10,230,316") does not say which column is which year: its table's header rows
do (`table_header_span`, shown beside the quote).

Plain Python over the document's text.
"""

from __future__ import annotations

from retrieval.evidence import is_complete
from retrieval.parsing.table_header import guess_header_rows
from retrieval.sentences import split_sentences


def _line_around(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of the line of `text` holding [start, end), less surrounding spaces."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    while line_start < line_end and text[line_start].isspace():
        line_start += 1
    while line_end > line_start and text[line_end - 1].isspace():
        line_end -= 1
    return line_start, line_end


LABEL_WORDS = 6  # "BY MARKET CAPITALISATION", "`17,81,841 crore", "CSR contribution"


def _is_label(line: str) -> bool:
    """A short line that states nothing on its own: a label, a figure, a heading. Not a table
    row, which has its header and comes with it (`table_header`)."""
    return (
        bool(line)
        and "|" not in line
        and not is_complete(line)
        and len(line.split()) <= LABEL_WORDS
        and len(split_sentences(line)) == 1
    )


def with_adjacent_labels(text: str, start: int, end: int) -> tuple[int, int]:
    """The quote [start, end) of `text`, widened to the line before and the line after when
    it is a whole line that states nothing on its own and they are short lines of the same
    block too.

    Report covers, slides and infographics print a figure and its label on lines of their
    own ("BY MARKET CAPITALISATION" / "`17,81,841 crore"; "2,32,822" / "New jobs created").
    The label matches the question and the figure, two words or fewer, is no quote at all,
    so the label alone was quoted and the answer was not in it. A neighbour is taken only
    across a single line break: a blank line ends the block."""
    line = _line_around(text, start, end)
    if line != (start, end) or not _is_label(text[start:end]):
        return start, end
    if text[end:].lstrip()[:1].islower():
        return start, end  # a sentence wrapped onto the next line, not a label
    if start >= 2 and text[start - 1] == "\n" and text[start - 2] != "\n":
        before = _line_around(text, start - 2, start - 2)
        if _is_label(text[before[0] : before[1]]):
            start = before[0]
    if end + 1 < len(text) and text[end] == "\n" and text[end + 1] != "\n":
        after = _line_around(text, end + 1, end + 1)
        if _is_label(text[after[0] : after[1]]):
            end = after[1]
    return start, end


CELL_SEPARATOR = " | "


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
    line_start, line_end = _line_around(text, start, end)
    if CELL_SEPARATOR not in text[line_start:line_end]:
        return None
    block_start = text.rfind("\n\n", 0, line_start)
    block_start = 0 if block_start < 0 else block_start + 2
    block_end = text.find("\n\n", line_end)
    block_end = len(text) if block_end < 0 else block_end
    lines = text[block_start:block_end].split("\n")
    header_rows = guess_header_rows([_cells(line) for line in lines])
    if header_rows == 0:
        return None
    header_end = block_start + sum(len(line) + 1 for line in lines[:header_rows]) - 1
    if start < header_end:
        return None
    return block_start, header_end
