"""PDF running headers and footers: lines repeated at the top or bottom of many pages.

A line among the RUNNING_EDGE_LINES top or bottom lines of at least RUNNING_MIN_SHARE of
the pages with text (and of at least 3 pages) is page furniture ("Table of Contents",
"Company | Q3 2023 Form 10-Q | 17"): numbers may differ from page to page, and only pages
that show other text too count, so that a PDF whose pages are each one numbered line is
read as text. Such lines stay in the document's text but are excluded from chunks.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from retrieval.parsing.pdf_lines import Line

RUNNING_EDGE_LINES = 3
RUNNING_MIN_SHARE = 0.3
_DIGITS = re.compile(r"\d+")
_ROMAN = re.compile(r"^[ivxlcdm]+$")


def _running_key(text: str) -> str:
    """What stays the same from page to page: case-folded, numbers as "#"."""
    key = " ".join(text.casefold().split())
    if _ROMAN.match(key):
        return "#"
    return _DIGITS.sub("#", key)


def running_lines(page_lines: list[list[Line] | None], ocr_pages: set[int]) -> set[tuple[int, int]]:
    """(page index, line index) of the lines that are running headers or footers.

    A running line is at the edge of other text: a key counts on a page only when the page
    shows something else too. Pages that are each a single line with a number in it
    ("Report 3, page 1: ...") would otherwise be read as nothing but page furniture.
    """
    pages = [i for i, lines in enumerate(page_lines) if lines and i not in ocr_pages]
    if len(pages) < 3:
        return set()
    found: dict[str, set[int]] = defaultdict(set)
    where: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i in pages:
        lines = page_lines[i] or []
        shown = [j for j, line in enumerate(lines) if line.text]
        heights = [lines[j].y for j in shown]
        if all(y is not None for y in heights):
            # Top to bottom by height: content-stream order often draws headers last.
            shown.sort(key=lambda j: -(lines[j].y or 0.0))
        keys = {j: _running_key(lines[j].text) for j in shown}
        edges = set(shown[:RUNNING_EDGE_LINES] + shown[-RUNNING_EDGE_LINES:])
        for j in sorted(edges):
            key = keys[j]
            if key:
                where[key].append((i, j))
                if any(other != key for other in keys.values()):
                    found[key].add(i)
    needed = max(3, math.ceil(RUNNING_MIN_SHARE * len(pages)))
    return {spot for key, on in found.items() if len(on) >= needed for spot in where[key]}
