"""What a quote needs beside it to be read: the rest of its sentence, a label's figure, a list.

A quote is an exact sentence of the document, cut from a chunk, and chunks overlap: a chunk
may start or end inside a sentence, and its first or last "sentence" is then a piece ("a
majority of their lives in saltwater."). `whole_sentence` gives the quote the rest of it,
from the document.

Some sentences say nothing alone. Report covers, slides and infographics print a figure and
its label on lines of their own ("BY MARKET CAPITALISATION" / "`17,81,841 crore"): the label
matches the question, and the figure, two words or fewer, is too short to be a quote, so the
label alone was quoted and the answer was not in it (`with_adjacent_labels` widens such a
quote). A table row is read with its table's header rows instead
(`retrieval.table_rows.table_header_span`), shown beside it.

A lead-in says only that a list follows ("Also, don't forget:"); the items are what it
introduces ("- Wear sunglasses"), and `with_list_items` takes them along.

A heading or a title alone ("SHARE-BASED COMPENSATION") needs nothing beside it: it is no
quote at all (`states_nothing`), whatever it matches.

Plain Python over the document's text.
"""

from __future__ import annotations

from retrieval.evidence import is_complete, is_contents_entry
from retrieval.parsing.builder import LIST_ITEM
from retrieval.sentences import split_sentences
from retrieval.table_rows import line_around

LABEL_WORDS = 6  # "BY MARKET CAPITALISATION", "`17,81,841 crore", "CSR contribution"
LIST_ITEMS = 6  # a lead-in takes at most this many items of its list…
LIST_CHARS = 600  # …and stops before its quote grows past this many characters


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


def states_nothing(quote: str) -> bool:
    """Whether a quote, with all `quote_span` gave it, is a heading or a title alone
    ("SHARE-BASED COMPENSATION", "Boots Self-Locking Nut", "Swimming in the lake"): one short
    line with no full stop, no figure, not a list item, a table row or a lead-in. It matches a
    question on its subject better than the sentences under it, and answers nothing."""
    line = quote.strip()
    return (
        "\n" not in line
        and not is_complete(line)
        and not line.endswith(":")
        and "|" not in line
        and not any(c.isdigit() for c in line)
        and not LIST_ITEM.match(line)
    )


def quote_span(text: str, start: int, end: int) -> tuple[int, int]:
    """What a quote of the sentence [start, end) of `text` shows: its whole sentence, and a
    label's figures or a lead-in's list items beside it. Always a span around [start, end)."""
    return with_list_items(text, *with_adjacent_labels(text, *whole_sentence(text, start, end)))


def with_adjacent_labels(text: str, start: int, end: int) -> tuple[int, int]:
    """The quote [start, end) of `text`, widened to the line before and the line after when
    it is a whole line that states nothing on its own and they are short lines of the same
    block too.

    Report covers, slides and infographics print a figure and its label on lines of their
    own ("BY MARKET CAPITALISATION" / "`17,81,841 crore"; "2,32,822" / "New jobs created").
    The label matches the question and the figure, two words or fewer, is no quote at all,
    so the label alone was quoted and the answer was not in it. A neighbour is taken only
    across a single line break: a blank line ends the block; and never a contents line
    ("2 Reliance at a Glance" under "New jobs created" on a report's cover)."""
    line = line_around(text, start, end)
    if line != (start, end) or not _is_label(text[start:end]):
        return start, end
    if text[end:].lstrip()[:1].islower():
        return start, end  # a sentence wrapped onto the next line, not a label
    if start >= 2 and text[start - 1] == "\n" and text[start - 2] != "\n":
        before = line_around(text, start - 2, start - 2)
        if _is_label(text[before[0] : before[1]]) and not is_contents_entry(text, *before):
            start = before[0]
    if end + 1 < len(text) and text[end] == "\n" and text[end + 1] != "\n":
        after = line_around(text, end + 1, end + 1)
        if _is_label(text[after[0] : after[1]]) and not is_contents_entry(text, *after):
            end = after[1]
    return start, end


def whole_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The quote [start, end) of `text` widened to the whole sentence of `text` it lies in, as
    `split_sentences` cuts the line that holds it (so a run-on cut at its length limit stays
    the piece it was); the quote itself when it is not inside one sentence."""
    line_start, line_end = line_around(text, start, end)
    for a, b in split_sentences(text[line_start:line_end]):
        if line_start + a <= start and end <= line_start + b:
            return line_start + a, line_start + b
    return start, end


def with_list_items(text: str, start: int, end: int) -> tuple[int, int]:
    """The quote [start, end) of `text`, widened to the list items after it when it ends its
    line with a colon: a lead-in ("TraceMonkey's smaller speedups … can be attributed to a
    few specific causes:", "- Also, don't forget:") names what the reader asked about, and
    its items hold the answer. Items are the lines after it that start with a list marker,
    one line or one blank line apart (DOCX and PDF lists put each item in a paragraph of its
    own), at most LIST_ITEMS of them and while the quote stays within LIST_CHARS."""
    if line_around(text, start, end)[1] != end or not text[start:end].endswith(":"):
        return start, end
    for _ in range(LIST_ITEMS):
        gap, breaks = end, 0
        while gap < len(text) and text[gap] in " \t\n":
            breaks += text[gap] == "\n"
            gap += 1
        if not 1 <= breaks <= 2 or not LIST_ITEM.match(text, gap):
            break
        item = line_around(text, gap, gap)
        if item[1] - start > LIST_CHARS:
            break
        end = item[1]
    return start, end
