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
  the limit, so a run-on table or list never becomes one unreadable quote;
- a run of letter slivers (`sliver_runs`) is a piece of its own, apart from the sentence it
  was glued to.
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

# Text drawn under a clip path comes out of some PDFs as slivers of its letters, glued to the
# line before: "…is to be initially enabled S ifi th t th i i i t b i iti ll di bl dENABLE"
# (an IBM Redbook's flattened transparency). A sliver is a word of one to three ASCII letters
# that is not a common short word; SLIVER_RUN of them in a row, one space apart, and mostly a
# lone letter or without a vowel ("th", "ll", "bl"), are a run. In SQuAD's 2,067 paragraphs,
# SciFact's 5,183 abstracts and the 80 sample documents, that line is the only run; the
# longest other run of short non-words is six (Wikipedia's backlinks "^ a b c d e f g"). The
# vowel rule keeps out prose of other languages that use short words.
SLIVER_RUN = 8
_SHORT = re.compile(r"[A-Za-z]{1,3}")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")
_TOKEN = re.compile(r"\S+")
# SLIVER_RUN short words in a row, one space apart: the only places a run can be, found in one
# pass over the text (most texts have none, and splitting stays as fast as without the rule).
_SHORT_WORDS = re.compile(rf"(?<!\S)(?:[A-Za-z]{{1,3}} ){{{SLIVER_RUN - 1},}}[A-Za-z]{{1,3}}(?!\S)")
COMMON_SHORT = frozenset(
    str.split(
        "a an as at be by do go he if in is it me my no of on or so to up us we am and are "
        "but can did for had has her him his how its may not now one our out own per see she "
        "the too two use was way who why yes yet you all any few get got let new old put set "
        "six ten via off end far top key add age ago aid air ask big bit box buy car cut day "
        "due eat eye fit fly fun hot job law low map mix net oil pay red run sea sit sun tax "
        "war win won et al vs mr ms dr st co inc ltd"
    )
)


def _sliver(word: str) -> bool:
    # "I" is a word; a lone "i" is the dot of one.
    return bool(_SHORT.fullmatch(word)) and word.lower() not in COMMON_SHORT and word != "I"


def sliver_runs(text: str) -> list[tuple[int, int]]:
    """[start, end) of every run of letter slivers in `text` (see SLIVER_RUN), in order. A run
    never crosses a sentence's end: its words are letters alone, one space apart."""
    found: list[tuple[int, int]] = []
    for words in _SHORT_WORDS.finditer(text):
        run: list[re.Match[str]] = []
        for m in [*_TOKEN.finditer(text, words.start(), words.end()), None]:
            if m is not None and _sliver(m.group()):
                run.append(m)
                continue
            lone = sum(len(r.group()) == 1 or not _VOWEL.search(r.group()) for r in run)
            if len(run) >= SLIVER_RUN and 2 * lone >= len(run):
                found.append((run[0].start(), run[-1].end()))
            run = []
    return found


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


def split_sentences(
    text: str, max_chars: int = MAX_CHARS, *, runs: list[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """[start, end) of every sentence of `text`, in order, non-empty and non-overlapping.
    `runs`: the text's `sliver_runs`, when the caller has them already (each becomes a piece
    of its own)."""
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
    if runs := sliver_runs(text) if runs is None else runs:
        spans = [piece for span in spans for piece in _apart_from_slivers(text, *span, runs)]
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if end > start and any(c.isalnum() for c in text[start:end]):
            out.extend(_split_long(text, start, end, max_chars))
    return out


def _apart_from_slivers(
    text: str, start: int, end: int, runs: list[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """The sentence [start, end) cut before and after each of `runs` (of `text`) in it."""
    for run_start, run_end in (r for r in runs if start <= r[0] and r[1] <= end):
        yield _trimmed(text, start, run_start)
        yield run_start, run_end
        start = run_end
    yield _trimmed(text, start, end)
