"""A sheet's rows as the document reads them: a heading, paragraphs, tables, then its charts.

A sheet reads as a level-1 heading with its name, then the lines above its table (leading
rows with one filled cell, such as a title or "In millions of CHF", when rows below have
more) as paragraphs, then the rest of its rows as one table: empty rows dropped, trailing
empty cells and columns empty in every row dropped (table_cells.tidy_rows). The table's
first row names its columns, and so do the rows right after it that hold no figures and
leave the first cell empty ("| Sales | Trading profit" under "In millions of CHF | 2023") or
repeat the one above: table_header.guess_header_rows, at least one row. Rows between empty
rows are a block: blocks without figures lead the block after them, a block that starts with
figures goes on with the table above it, any other starts a table of its own. A sheet's
charts, when its format has them, follow its tables: each chart's title as a paragraph, then
its data as tables, as on a slide.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.charts import Chart, add_chart
from retrieval.parsing.table_header import guess_header_rows, is_figure


def add_sheet(
    builder: DocumentBuilder, name: str, rows: list[list[str] | None], charts: Sequence[Chart] = ()
) -> None:
    """The sheet under a heading with its name (nothing when it has neither rows nor charts).
    Its blocks (rows between empty rows) are read together: blocks without figures (titles,
    column names) lead the block after them, a block that starts with figures goes on with the
    table above it, and any other starts a table of its own, so a second table's column names
    head its own figures. Its charts follow, each its title as a paragraph, then its tables, as
    on a slide."""
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
        add_chart(builder, chart)


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
