"""PDF headings: from the outline (bookmarks), else from font size.

* Outline headings are placed where the bookmark's title is printed on its page (one or
  two lines that read the same, punctuation and case aside); a bookmark whose title is
  not printed begins its section at the bookmark's height, without adding text.
* Without an outline, headings come from font size: short lines clearly larger than the
  body text, one level per common size, only sizes that head more than one run.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pypdf

from retrieval.parsing.builder import clean_inline
from retrieval.parsing.pdf_lines import Line

# Font-size headings: at least this much larger than the body text, short, mostly letters.
HEADING_MIN_RATIO = 1.2
HEADING_MIN_POINTS = 1.0
HEADING_MAX_CHARS = 150
HEADING_MAX_LEVELS = 3
HEADING_MAX_LINES = 3  # a heading set on more lines than this is a block of large text
_HEADING_MAX_SHARE = 0.2  # more "heading" text than this means the body size guess is wrong
OUTLINE_MAX_DEPTH = 6
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    in_text: bool  # the heading's line is on the page (False: a bookmark title only)


def _normal(text: str) -> str:
    return _NOT_ALNUM.sub("", text.casefold())


def outline_headings(
    reader: pypdf.PdfReader, page_lines: list[list[Line] | None], excluded: set[tuple[int, int]]
) -> tuple[dict[tuple[int, int], list[Heading]], set[tuple[int, int]]]:
    """Headings from the bookmarks, each placed at the line that prints its title."""
    entries: list[tuple[int, int, str, float | None]] = []  # (page index, level, title, top)
    try:
        _flatten(reader, reader.outline, 1, entries)
    except Exception:
        entries = []  # a broken outline costs only the headings it would have given
    entries.sort(key=lambda entry: entry[0])  # stable: bookmarks of one page keep their order
    if len(entries) < 2:
        entries = []  # one bookmark (often the source file's name) is no outline: use font sizes
    headings: dict[tuple[int, int], list[Heading]] = defaultdict(list)
    consumed: set[tuple[int, int]] = set()
    cursor: dict[int, int] = {}
    for index, level, title, top in entries:
        lines = page_lines[index] if 0 <= index < len(page_lines) else None
        if lines is None:
            continue
        start = cursor.get(index, 0)
        wanted = _normal(title)
        spot = None
        for j in range(start, len(lines)):
            if (index, j) in excluded or (index, j) in consumed:
                continue
            here = _normal(lines[j].text)
            if here and here == wanted:
                spot, span = j, 1
                break
            two_lines = here and j + 1 < len(lines) and here + _normal(lines[j + 1].text) == wanted
            if two_lines:  # a title set on two lines
                spot, span = j, 2
                break
        if spot is not None:
            text = " ".join(lines[k].text for k in range(spot, spot + span))
            headings[(index, spot)].append(Heading(level, text, in_text=True))
            consumed.update((index, k) for k in range(spot, spot + span))
            cursor[index] = spot + span
            continue
        # Not printed as such: the bookmark's height (or the page start) begins the section.
        at = start
        if top is not None:
            below = [j for j in range(start, len(lines)) if (y := lines[j].y) is not None and y <= top + 1]
            at = below[0] if below else len(lines)
        # (index, len(lines)) is after the page's last line.
        headings[(index, at)].append(Heading(level, title, in_text=False))
        cursor[index] = at
    return headings, consumed


_Entry = tuple[int, int, str, float | None]  # (page index, level, title, top)


def _flatten(reader: pypdf.PdfReader, outline: Any, level: int, into: list[_Entry]) -> None:
    """Bookmarks in order as (page index, level, title, top); pypdf gives an entry's
    children as a list right after it, one level down."""
    for item in outline:
        if isinstance(item, list):
            _flatten(reader, item, min(level + 1, OUTLINE_MAX_DEPTH), into)
            continue
        title = clean_inline(str(getattr(item, "title", "") or ""))
        page = reader.get_destination_page_number(item)
        if not title or page is None or page < 0:
            continue
        top = getattr(item, "top", None)
        into.append((page, level, title, float(top) if isinstance(top, (int, float)) else None))


def font_headings(
    page_lines: list[list[Line] | None], excluded: set[tuple[int, int]]
) -> tuple[dict[tuple[int, int], list[Heading]], set[tuple[int, int]]]:
    """Headings from font size: short lines clearly larger than the body text."""
    sizes: Counter[float] = Counter()
    for i, lines in enumerate(page_lines):
        for j, line in enumerate(lines or ()):
            if line.size > 0 and (i, j) not in excluded:
                sizes[line.size] += len(line.text)
    if not sizes:
        return {}, set()
    body = sizes.most_common(1)[0][0]
    threshold = max(body * HEADING_MIN_RATIO, body + HEADING_MIN_POINTS)
    candidates: list[tuple[int, int]] = []
    for i, lines in enumerate(page_lines):
        for j, line in enumerate(lines or ()):
            if line.size >= threshold and (i, j) not in excluded and _looks_like_heading(line.text):
                candidates.append((i, j))
    total = sum(sizes.values())
    heading_chars = sum(len((page_lines[i] or [])[j].text) for i, j in candidates)
    if not candidates or heading_chars > _HEADING_MAX_SHARE * total:
        return {}, set()
    # Runs of consecutive candidate lines of one size on one page: a heading set on
    # several lines is one heading; a longer run is a block of large text (a cover's
    # blurb, a list of authors), not a heading.
    runs: list[list[tuple[int, int]]] = []
    for i, j in candidates:
        last = runs[-1][-1] if runs else None
        if last == (i, j - 1) and (page_lines[i] or [])[j - 1].size == (page_lines[i] or [])[j].size:
            runs[-1].append((i, j))
        else:
            runs.append([(i, j)])
    runs = [run for run in runs if len(run) <= HEADING_MAX_LINES]
    # A size that heads one run only, past the first page, is a figure's label or a pull
    # quote more often than a heading: headings come in series.
    runs_of_size = Counter((page_lines[run[0][0]] or [])[run[0][1]].size for run in runs)
    runs = [
        run
        for run in runs
        if run[0][0] == 0 or runs_of_size[(page_lines[run[0][0]] or [])[run[0][1]].size] > 1
    ]
    # Levels from the most used heading sizes (a cover's one giant line must not push
    # every chapter heading down a level): a heading's level is one more than the number
    # of common heading sizes larger than its own.
    used = Counter((page_lines[run[0][0]] or [])[run[0][1]].size for run in runs)
    common = [size for size, _ in used.most_common(HEADING_MAX_LEVELS)]
    headings: dict[tuple[int, int], list[Heading]] = defaultdict(list)
    consumed: set[tuple[int, int]] = set()
    for run in runs:
        i, j = run[0]
        size = (page_lines[i] or [])[j].size
        level = min(1 + sum(other > size for other in common), HEADING_MAX_LEVELS)
        text = " ".join((page_lines[i] or [])[k].text for _, k in run)
        if len(text) <= HEADING_MAX_CHARS:
            headings[(i, j)].append(Heading(level, text, in_text=True))
            consumed.update(run)
    return headings, consumed


def _looks_like_heading(text: str) -> bool:
    text = text.strip()
    if not 2 <= len(text) <= HEADING_MAX_CHARS:
        return False
    letters = sum(ch.isalpha() for ch in text)
    visible = sum(not ch.isspace() for ch in text)
    if letters < 2 or letters < 0.5 * visible:
        return False  # a large figure, a date, a chart label
    words = text.split()
    return len(words) <= 20 and not (text.endswith(".") and len(words) > 8)
