"""Tables in chunking: a row is never cut in two, and a chunk that starts below a table's
header row starts with that header row repeated.

A figure means nothing without its column ("81,797" under "July 1, 2023"), and a long
table's header is in one chunk while most of its rows are in the next ones. So a chunk
whose first line is a data row of a table gets the table's last header run before that row
("lead") in front of its text: the encoder embeds the column names with the numbers, and
evidence sentences taken from the chunk can name them.

The lead is extra chunk text, as excluded running headers are missing text: the chunk's
``start``/``end`` still frame its own rows in the document, and its ``table_header`` says
where in the document the repeated lines really are, so a quote taken from them points
there, never at the row's position.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from retrieval.document import ParsedDocument, TableRow
from retrieval.token_counting import TokenCounter

# A header run longer than this share of a chunk's budget is not repeated: it would leave
# too little room for the rows it names (a "header" that long is rarely one).
LEAD_MAX_SHARE = 1 / 3


@dataclass(frozen=True)
class Lead:
    """Header rows to put in front of a chunk: [start, end) of the text, and their tokens."""

    start: int
    end: int
    tokens: int


class TableLayout:
    """Where a document's table rows lie, to keep cuts between rows and find leads."""

    def __init__(self, doc: ParsedDocument, counter: TokenCounter, budget: int) -> None:
        self._doc = doc
        self._counter = counter
        self._max_lead = int(budget * LEAD_MAX_SHARE)
        self._rows: list[tuple[TableRow, int]] = [
            (row, index) for index, table in enumerate(doc.tables) for row in table.rows
        ]
        self._starts = [row.start for row, _ in self._rows]
        self._lead_tokens: dict[tuple[int, int], int] = {}

    def __bool__(self) -> bool:
        return bool(self._rows)

    def _row_at(self, offset: int) -> tuple[TableRow, int] | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i < 0:
            return None
        row, table = self._rows[i]
        return (row, table) if offset < row.end else None

    def splits_row(self, before_start: int, after_start: int) -> bool:
        """Whether a cut between a token starting at ``before_start`` and the next one,
        starting at ``after_start``, falls inside a table row."""
        found = self._row_at(before_start)
        return found is not None and after_start < found[0].end

    def lead(self, offset: int) -> Lead | None:
        """The header rows to repeat in front of a chunk starting at ``offset``: when it
        starts on (or, for a row longer than a chunk, inside) a table's data row."""
        found = self._row_at(offset)
        if found is None or found[0].header:
            return None
        span = self._doc.tables[found[1]].header_before(offset)
        if span is None:
            return None
        tokens = self._lead_tokens.get(span)
        if tokens is None:
            (tokens,) = self._counter.count([self._doc.text[span[0] : span[1]]])
            self._lead_tokens[span] = tokens
        return Lead(span[0], span[1], tokens) if tokens <= self._max_lead else None
