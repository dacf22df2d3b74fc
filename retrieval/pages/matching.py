"""Find a passage of extracted text among a page's characters, as PDFium reads them.

The passage comes from pypdf's extraction (`Document.text`), the characters from PDFium's
text page; the two disagree on everything but the letters: line breaks and spaces
(PDFium writes "\\r\\n" and drops or adds spaces between text runs), hyphenation at line ends,
ligatures ("ﬁ"), quote marks and dashes. So both sides are compared folded to their letters
and digits alone (NFKC, casefolded), and every folded letter remembers which page character
it came from, to map a match back to PDFium's character indices.

A passage can run over a page break: then the page holds only its start (the passage goes on
overleaf) or only its end. The longest prefix, or suffix, of the passage found on the page
is taken, when it is long enough not to be a chance match; one that misses only a few letters
at an edge is the whole passage, with a glyph the two extractions read differently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# A part of a passage shorter than this many letters and digits could be found on a page by
# chance ("ofthecompany" is 12); a whole passage of any length is trusted.
MIN_PART_LETTERS = 20
# A passage found but for this many letters at one end is whole: pypdf writes a glyph it
# cannot map by its name ("/SM590000" for a bullet), where PDFium has a control character.
EDGE_SLACK_LETTERS = 10

Part = Literal["whole", "start", "end"]


@dataclass(frozen=True)
class SpanMatch:
    """Where a passage (or the part of it on this page) lies among the page's characters."""

    first: int  # index of its first character on the page
    last: int  # index of its last character (inclusive)
    part: Part  # "whole" passage, its "start" (it runs onto the next page) or its "end"


def fold(text: str) -> str:
    """The letters and digits of `text`, normalized for comparison."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def _folded_page(characters: Sequence[str]) -> tuple[str, list[int]]:
    """The page folded, and for each folded letter the index of its page character."""
    letters: list[str] = []
    origins: list[int] = []
    for index, character in enumerate(characters):
        folded = fold(character)
        letters.append(folded)
        origins.extend([index] * len(folded))
    return "".join(letters), origins


def _longest(passage: str, page: str, *, prefix: bool) -> tuple[int, int]:
    """(length, folded offset on the page) of the longest prefix (or suffix) of `passage`
    found in `page`; (0, -1) when not even one letter is. Finding a part implies finding
    every shorter part, so the length is found by bisection."""
    low, high, at = 0, len(passage), -1
    while low < high:
        length = (low + high + 1) // 2
        part = passage[:length] if prefix else passage[len(passage) - length :]
        # A passage's start runs on overleaf, so it is the last occurrence; its end the first.
        found = page.rfind(part) if prefix else page.find(part)
        if found >= 0:
            low, at = length, found
        else:
            high = length - 1
    return low, at  # `low` only ever grows on a found probe, so `at` is where it was found


def match_span(characters: Sequence[str], passage: str) -> SpanMatch | None:
    """Where `passage` (or the part of it this page holds) lies among `characters`, one string
    per page character; None when the page holds no recognizable part of it."""
    wanted = fold(passage)
    if not wanted:
        return None
    page, origins = _folded_page(characters)
    at = page.find(wanted)
    if at >= 0:
        match = SpanMatch(origins[at], origins[at + len(wanted) - 1], "whole")
    else:
        start_length, start_at = _longest(wanted, page, prefix=True)
        end_length, end_at = _longest(wanted, page, prefix=False)
        if max(start_length, end_length) < MIN_PART_LETTERS:
            return None
        if start_length >= end_length:
            part: Part = "whole" if len(wanted) - start_length <= EDGE_SLACK_LETTERS else "start"
            match = SpanMatch(origins[start_at], origins[start_at + start_length - 1], part)
        else:
            part = "whole" if len(wanted) - end_length <= EDGE_SLACK_LETTERS else "end"
            match = SpanMatch(origins[end_at], origins[end_at + end_length - 1], part)
    return _with_punctuation(characters, passage, match)


def _with_punctuation(characters: Sequence[str], passage: str, match: SpanMatch) -> SpanMatch:
    """The match widened over the punctuation the passage opens or closes with (a quote mark,
    the final full stop) when the page prints it right there: folding dropped it."""
    first, last = match.first, match.last
    if match.part != "end":
        for mark in reversed(_edge_punctuation(passage)):
            if first > 0 and characters[first - 1] == mark:
                first -= 1
    if match.part != "start":
        for mark in reversed(_edge_punctuation(passage[::-1])):
            if last + 1 < len(characters) and characters[last + 1] == mark:
                last += 1
    return SpanMatch(first, last, match.part)


def _edge_punctuation(text: str) -> str:
    """The characters before the first letter or digit of `text`, spaces left out."""
    edge = []
    for character in text:
        if character.isalnum():
            break
        if not character.isspace():
            edge.append(character)
    return "".join(edge)
