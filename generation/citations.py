"""Source markers in an answer, resolved to the prompt's numbered passages.

Accepted forms: [1], [1, 2], [1; 2], [1-3] (also with an en dash) (ranges up to MAX_RANGE long), and
adjacent markers such as [1][2] or "[1] [2]", which share the claim before them.

The claim a marker supports is the sentence it ends: from the previous sentence end
(`answer_sentences`: the same cut as checking's) or the end of an earlier marker group, up
to the marker, trailing space and punctuation before the marker excluded. A marker written
after the full stop ("It opened in 1932. [2]") attaches to the sentence it follows.

A number that names no passage is not a citation. It stays in the text exactly as the model
wrote it (the text was already streamed to the reader, and the stored answer must be what
they saw) and is reported in `unresolved` so the UI can show it as unresolved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from generation.answer_sentences import sentence_ends
from generation.types import Citation, Passage

MAX_RANGE = 10
MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:[,;]|[-\u2013])\s*\d{1,3})*)\s*\]")
GROUP_GAP = re.compile(r"[\s,;]*")  # what may sit between two markers of one group


@dataclass(frozen=True)
class CitationResult:
    citations: tuple[Citation, ...]
    unresolved: tuple[tuple[int, int, int], ...]  # (number, marker start, marker end)


def marker_numbers(body: str) -> list[int]:
    """'1, 3-4' -> [1, 3, 4]; a range longer than MAX_RANGE is kept as its two ends."""
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", body):
        ends = [int(n) for n in re.split(r"\s*[-\u2013]\s*", part)]
        lo, hi = ends[0], ends[-1]
        if len(ends) == 2 and lo < hi and hi - lo < MAX_RANGE:
            numbers += range(lo, hi + 1)
        else:
            numbers += ends
    return numbers


def claim_span(text: str, end: int, floor: int) -> tuple[int, int]:
    """The sentence ending at `end` (exclusive), not reaching back before `floor`."""
    stop = end
    while stop > floor and (text[stop - 1].isspace() or text[stop - 1] in ".!?,;:"):
        stop -= 1
    start = floor
    # An end at `stop` is this sentence's own, kept with its closing quote or bracket
    # ('It is "done." [1]'): the claim starts after the end before it.
    for end_of_previous in sentence_ends(text, floor):
        if end_of_previous >= stop:
            break
        start = end_of_previous
    while start < stop and text[start].isspace():
        start += 1
    return start, stop


def parse_citations(text: str, passages: Sequence[Passage]) -> CitationResult:
    citations: list[Citation] = []
    unresolved: list[tuple[int, int, int]] = []
    markers = list(MARKER.finditer(text))
    floor = 0  # claims never reach back past the previous marker group
    group_claim: tuple[int, int] | None = None
    prev_end = -1
    for m in markers:
        joined = prev_end >= 0 and GROUP_GAP.fullmatch(text, prev_end, m.start()) is not None
        if not joined or group_claim is None:
            claim = claim_span(text, m.start(), floor)
            # "A [1]. [2]": nothing between the groups, so the later one backs the same claim.
            if claim[0] < claim[1] or group_claim is None:
                group_claim = claim
        for n in dict.fromkeys(marker_numbers(m.group(1))):  # dedupe, keep order
            if 1 <= n <= len(passages):
                citations.append(Citation(n, passages[n - 1].chunk_id, m.start(), m.end(), *group_claim))
            else:
                unresolved.append((n, m.start(), m.end()))
        floor = prev_end = m.end()
    return CitationResult(tuple(citations), tuple(unresolved))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence with a word in it, end punctuation excluded."""
    spans, start = [], 0
    for end in [*sentence_ends(text), len(text)]:
        a, b = claim_span(text, end, start)
        if re.search(r"\w", text[a:b]):
            spans.append((a, b))
        start = end
    return spans


def attribute_by_attention(
    text: str,
    passages: Sequence[Passage],
    token_spans: Sequence[tuple[int, int]],
    passage_mass: Sequence[Sequence[float]],
    covered: Sequence[tuple[int, int]] = (),
    min_mass: float = 0.03,
    near_best: float = 0.8,
) -> tuple[Citation, ...]:
    """`kind="attention"` citations for sentences the model left uncited.

    Per sentence, the mean attention mass its tokens put on each passage. The best passage
    is attributed if its mean is at least `min_mass`, and so is any other within
    `near_best` of it (a sentence can draw on two sources). On the default model a grounded
    sentence puts 0.05-0.12 on its source and an off-topic one about 0.01 on any
    (docs/generation.md). This is where the model looked, not a source it claimed: the UI
    must say so.
    """
    out = []
    for a, b in sentence_spans(text):
        if not passages or any(ca < b and a < cb for ca, cb in covered):
            continue
        rows = [m for (s, e), m in zip(token_spans, passage_mass, strict=False) if a <= s < b and e > s]
        if not rows:
            continue
        means = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
        best = max(means)
        for i, mean in enumerate(means):
            if mean >= min_mass and mean >= near_best * best:
                out.append(Citation(i + 1, passages[i].chunk_id, b, b, a, b, kind="attention"))
    return tuple(out)
