"""Sentences with exact character spans: the unit of evidence.

An evidence quote must slice the document's extracted text exactly, so the splitter never
rewrites text: it returns [start, end) spans into the string it was given, trimmed of
surrounding whitespace. Rules, in order of strength:

- a blank line (paragraph break) or a line break always ends a sentence: parsed documents put
  one paragraph, list item or table row per line;
- ".", "!", "?" (optionally followed by closing quotes or brackets, then footnote marks such
  as "[12]") followed by whitespace end a sentence unless the word before is a known
  abbreviation ("e.g.", "Dr.", "U.S.") or a single capital initial ("J. K. Rowling"), or the
  next word starts in lower case;
- a sentence longer than `max_chars` is cut at the last "; " or ", " (else a space) before
  the limit, so a run-on table or list never becomes one unreadable quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Lower-cased words that end with a full stop without ending the sentence.
ABBREVIATIONS = frozenset(
    str.split(
        "mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig figs no nos vol pp p ed eds approx "
        "inc ltd co corp dept est jan feb mar apr jun jul aug sep sept oct nov dec mt ft u.s u.k "
        "u.n a.m p.m ph.d b.c a.d"
    )
)

# Footnote marks may follow the stop ("saltwater.[13] The tribe…"): Wikipedia's pages keep
# them, and without this every paragraph of one read as a single run-on, cut at commas.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:\[[^\]\n]{1,40}\])*(?=\s)")
_LINE = re.compile(r"\s*\n\s*")
MAX_CHARS = 400


def _is_boundary(text: str, end: int, match_start: int) -> bool:
    """Whether the terminal punctuation ending at `end` closes a sentence."""
    word_start = match_start
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:match_start].lower().lstrip("(\"'“‘")
    if text[match_start] == "." and (word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
        return False
    rest = text[end:].lstrip()
    # "He said no. and then…" — a lower-case continuation is rarely a new sentence.
    return not (rest and rest[0].islower())


def _split_long(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind("; "), window.rfind(", "))
        if cut < max_chars // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = max_chars - 1
        piece = _trimmed(text, start, start + cut + 1)
        if piece[1] > piece[0]:
            yield piece
        start += cut + 1
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        yield _trimmed(text, start, end)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str, max_chars: int = MAX_CHARS) -> list[tuple[int, int]]:
    """[start, end) of every sentence of `text`, in order, non-empty and non-overlapping."""
    spans: list[tuple[int, int]] = []
    line_start = 0
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text)] + [(len(text), len(text))]
    for line_end, next_start in lines:
        start = line_start
        for m in _END.finditer(text, line_start, line_end):
            if _is_boundary(text, m.end(), m.start()):
                spans.append(_trimmed(text, start, m.end()))
                start = m.end()
        spans.append(_trimmed(text, start, line_end))
        line_start = next_start
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if end > start and any(c.isalnum() for c in text[start:end]):
            out.extend(_split_long(text, start, end, max_chars))
    return out
