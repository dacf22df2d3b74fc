"""Bylines: a question asking who wrote a document, and the line under its title that says.

A paper or a report names its authors once, under its title ("Vladimir Karpukhin∗, Barlas
Oğuz∗, Sewon Min†, …"), and that line shares no word with "Who are the authors of Dense
Passage Retrieval?": the encoder and BM25 rank it low, and abstention sees a quote that
covers none of the question. So a question of that form (`asks_authors`) quotes first the
byline of a document search found (`byline`), and that quote answers it by construction.

A byline is a line near the top of a document that begins with two names or more, set apart
by commas or "and"; a name is two to four capitalized words ("Wen-tau Yih", "Benjamin
Charles Germain Lee"), footnote marks after it ("Karpukhin∗", "Shen1") aside. (One word
would make "Methods, Results and Discussion" a byline.) The affiliations that follow the
names on that line are part of it; the e-mail addresses after them are not ("{vladk,
barlaso}@fb.com" says nothing about who wrote it, and an answer copied them).

Plain Python.
"""

from __future__ import annotations

import re

# "Who wrote …?", "Who are the authors of …?", "Who is the author of …?", "… written by whom?"
_ASKED = re.compile(
    r"\bwho\s+(?:wrote|authored|(?:is|was|are|were)\s+(?:the\s+)?(?:authors?|writers?))\b"
    r"|\b(?:authors?|writers?)\s+of\b|\bwritten\s+by\s+whom\b|\bwho\s+(?:is|was|are|were)\s+\S.*\bwritten\s+by\b",
    re.IGNORECASE,
)
# A byline is looked for this near the top: under the title, before the abstract.
BYLINE_WITHIN = 1000
_SEPARATOR = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_MARKS = re.compile(r"[\d∗*†‡§¶⋆]+|\(\s*\)")  # footnote marks, an envelope icon's empty "( )"
_NAME_WORD = re.compile(r"[A-Z][^\s,]*$")
_ADDRESSES = re.compile(r"\s*(?:\{|\S+@\S+).*$")  # "{vladk, …}@fb.com", "sewon@cs.washington.edu"


def asks_authors(question: str) -> bool:
    """The question asks who wrote a document."""
    return _ASKED.search(question) is not None


def _is_name(piece: str) -> bool:
    words = _MARKS.sub(" ", piece).split()
    return 2 <= len(words) <= 4 and all(_NAME_WORD.match(w) for w in words) and len(words[0]) > 1


def _names_at_start(line: str) -> int:
    """How many names the line begins with, one after another."""
    count = 0
    for piece in _SEPARATOR.split(line):
        if not _is_name(piece):
            break
        count += 1
    return count


def byline(text: str) -> tuple[int, int] | None:
    """The [start, end) span of the document's byline in `text` (a document's text from its
    start), or None: the first line within BYLINE_WITHIN characters that begins with two
    names or more."""
    at = 0
    for line in text[:BYLINE_WITHIN].split("\n"):
        if _names_at_start(line.strip()) >= 2:
            start = at + len(line) - len(line.lstrip())
            return start, at + len(_ADDRESSES.sub("", line).rstrip())
        at += len(line) + 1
    return None


def is_byline(text: str, start: int) -> bool:
    """Whether a quote, `text` at offset `start` of its document's text, is a byline: a line
    within BYLINE_WITHIN of the top that begins with two names or more."""
    return start < BYLINE_WITHIN and _names_at_start(text.strip()) >= 2
