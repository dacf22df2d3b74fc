"""PDF lines and the paragraphs rebuilt from their shapes.

pypdf's text visitor hands over pieces of text with their font size and height; they are
cut at newlines into lines. A line keeps the size of most of its characters, the height of
its first piece and, where they could be measured, the runs of text it shows (for tables).

Paragraphs are rebuilt from line shapes: a blank line, a bullet, or a short line ending a
sentence ends a paragraph. A wrapped prose line (one that runs to near the right margin)
is joined to the next with a space, so a citation reads as prose; a short line keeps its
line break, which is what keeps addresses apart. Words hyphenated at a line end are joined
again ("informa-" + "tion"), and so is a drop cap to the rest of its word ("T" + "he"); a
hyphen the word has anyway ("Lucene-BM25", "dual-encoder") is kept, as the page spells the
word elsewhere (`_Spellings`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from retrieval.parsing.builder import LIST_ITEM
from retrieval.parsing.pdf_geometry import Cell, Run

# Sentence ends (ASCII and full-width), then closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?:;\u3002\uff01\uff1f]['\")\]\u201d\u2019]*$")
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_WRAPPED_SHARE = 0.75  # a line at least this share of the page's typical width was wrapped
# Typographic ligatures (U+FB00-FB06) that fonts map to one code point: "ﬁnd" must match "find".
LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)


@dataclass
class Line:
    text: str
    size: float = 0.0  # font size in points (after scaling) of most of its characters
    y: float | None = None  # baseline height of its first piece, from the page bottom
    runs: list[Run] | None = None  # the strings it shows, where they could all be measured
    cells: list[Cell] | None = None  # its runs grouped into table cells (pdf_tables)


Piece = tuple[str, float, float, list[Run] | None]  # (text, font size, height, runs)


def assemble(pieces: list[Piece]) -> list[Line]:
    """Cut the visited pieces at newlines into lines; a line's size is that of most of
    its characters, its height that of its first visible piece, its runs those of its
    pieces (unknown when a piece's runs cannot be told apart between two lines)."""
    lines: list[Line] = []
    parts: list[str] = []
    sizes: Counter[float] = Counter()
    height: float | None = None
    runs: list[Run] | None = []

    def close() -> None:
        nonlocal height, runs
        text = "".join(parts).replace("\r", "")
        size = sizes.most_common(1)[0][0] if sizes else 0.0
        lines.append(Line(text, size, height, runs))
        parts.clear()
        sizes.clear()
        height = None
        runs = []

    for text, size, y, piece_runs in pieces:
        chunks = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        # A piece's strings belong to one line, unless its text goes on past a newline.
        spread = any(chunks[1:])
        if runs is not None:
            runs = None if piece_runs is None or spread else runs + piece_runs
        for k, chunk in enumerate(chunks):
            if k > 0:
                close()
                runs = None if spread else runs
            if chunk:
                parts.append(chunk)
                visible = len(chunk.strip())
                if visible:
                    sizes[round(size * 2) / 2] += visible
                    if height is None and not math.isnan(y):
                        height = y
    if parts:
        close()
    return lines


_FIRST_WORD = re.compile(r"[^\W\d_]+")


def join_drop_caps(lines: list[Line]) -> list[Line]:
    """`lines` with each drop cap joined to the rest of its word.

    A chapter or section that opens with a large initial letter reaches pypdf as a line of
    that letter alone, then the paragraph from the second letter on: "T" / "he Boots
    self-locking nut is…". Left apart, the paragraph's first sentence starts "he Boots", and
    a quote of it reads wrong. The font size does not tell a drop cap (pypdf reports the
    body's size for it in the samples seen), so the words do: a single capital letter on its
    line, then a line starting in lower case, are one word unless the page uses the second
    part as a word of its own and never the joined one ("A" / "book …" stays apart)."""
    words = Counter(w.lower() for line in lines for w in _FIRST_WORD.findall(line.text))
    out: list[Line] = []
    for line in lines:
        # pypdf may hand the letter over with a space after it; lines are cleaned later.
        before = out[-1].text.rstrip() if out else ""
        rest = _FIRST_WORD.match(line.text)
        if len(before) == 1 and before.isupper() and rest and line.text[:1].islower():
            joined, alone = (before + rest.group()).lower(), rest.group().lower()
            if joined in words or words[alone] < 2:  # the piece itself counts once
                # Its runs and cells were measured for the line without the letter.
                out[-1] = Line(before + line.text, line.size, line.y)
                continue
        out.append(line)
    return out


def typical_width(lines: list[Line]) -> int:
    widths = sorted(len(line.text) for line in lines if line.text)
    return widths[int(len(widths) * 0.8)] if widths else 0


def paragraphs(lines: list[str], typical: int, spelt: Spellings | None = None) -> list[str]:
    """The paragraphs of a page's body ``lines`` (see the module docstring); ``spelt``, the
    document's spellings, decides hyphens at line ends (the page's own by default)."""
    paragraphs: list[str] = []
    current = ""
    previous = ""
    spelt = spelt or Spellings(lines)
    for raw in lines:
        line = raw.strip()
        if not line:
            _close(paragraphs, current)
            current = previous = ""
            continue
        wrapped = len(previous) >= _WRAPPED_SHARE * typical
        ends_paragraph = _SENTENCE_END.search(previous) and not wrapped
        if current and (ends_paragraph or LIST_ITEM.match(line)):
            _close(paragraphs, current)
            current = ""
        if not current:
            current = line
        elif _HYPHENATED.search(previous) and (line[:1].islower() or (wrapped and line[:1].isalnum())):
            current = current[:-1] + line if spelt.unhyphenated(previous, line) else current + line
        else:
            current += (" " if wrapped else "\n") + line
        previous = line
    _close(paragraphs, current)
    return paragraphs


class Spellings:
    """Whether a word hyphenated at a line end is one word ("informa-" + "tion") or keeps its
    hyphen ("Lucene-" + "BM25", "dual-" + "encoder"), as the document spells it elsewhere.

    Before a lowercase letter the hyphen is dropped unless the text prints the hyphenated word
    and never the joined one; before a capital or a digit it is kept unless the text prints
    the joined word ("Trace-" + "Monkey": "TraceMonkey"). Either way there is no space after
    it: "Lucene- BM25" matched neither spelling."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._words: set[str] | None = None  # the words of ``lines``, hyphenated ones whole, once asked

    def unhyphenated(self, previous: str, line: str) -> bool:
        head = _LAST_WORD.search(previous[:-1])
        tail = _FIRST_WORD.match(line)
        if head is None or tail is None:
            return line[:1].islower()
        if self._words is None:
            self._words = set(_PAGE_WORD.findall("\n".join(self._lines)))
        joined, hyphenated = head.group() + tail.group(), head.group() + "-" + tail.group()
        if line[:1].islower():
            return joined in self._words or hyphenated not in self._words
        return joined in self._words


_LAST_WORD = re.compile(r"[^\W_]+$")
_FIRST_WORD = re.compile(r"[^\W_]+")
_PAGE_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def _close(paragraphs: list[str], paragraph: str) -> None:
    if paragraph.strip():
        paragraphs.append(paragraph)
