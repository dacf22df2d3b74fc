"""Every answer sentence checked against the passages its prompt held.

A sentence is *supported* when one passage holds at least `threshold` of its content words
and every number in it ("1932" is not "1933"). A sentence that copies a span
(a "copy" citation covers it) is supported by construction. Supported sentences without a
citation get one of kind "support" pointing at the passage sentence that holds them, so
every supported claim can be checked by a click; unsupported ones are flagged, never hidden.

Word overlap is a deliberately plain test: it cannot be fooled into calling a claim with a
different number or name supported, and what it reports is easy to verify by eye. It does
miss paraphrases, which is the safe direction for a tool that promises checkable answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from generation.answer_sentences import sentence_ends
from generation.types import Citation, Passage, SentenceCheck

SUPPORT_THRESHOLD = 0.75
_WORD = re.compile(r"[^\W_]+")
_MARKER = re.compile(r"\[[\d,;\s\-\u2013]+\]")
# Function words carry no claim: "It was the" is supported by any passage.
_FUNCTION_WORDS = frozenset(
    str.split(
        "a an the of in on at to for by with from and or but is are was were be been being it "
        "its this that these those as which who whom whose what when where why how there their "
        "they he she his her him them we you i not no so than then also into about can could "
        "would should will may might has have had do does did"
    )
)


def content_words(text: str) -> list[str]:
    return [
        w
        for w in (m.group().lower() for m in _WORD.finditer(_MARKER.sub(" ", text)))
        if w not in _FUNCTION_WORDS
    ]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for end in [*sentence_ends(text), len(text)]:
        a, b = start, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if any(ch.isalnum() for ch in text[a:b]):
            spans.append((a, b))
        start = end
    return spans


def _best_passage(words: list[str], passages: Sequence[Passage]) -> tuple[int | None, float]:
    """The passage holding the largest share of `words`; a passage missing any of its
    numbers holds none of it (a changed figure is a different claim)."""
    if not words:
        return None, 1.0
    numbers = [w for w in words if any(ch.isdigit() for ch in w)]
    best, best_share = None, 0.0
    for i, passage in enumerate(passages):
        held = set(content_words(passage.text))
        if any(n not in held for n in numbers):
            continue
        share = sum(1 for w in words if w in held) / len(words)
        if share > best_share:
            best, best_share = i, share
    return best, best_share


def check_answer(
    text: str,
    passages: Sequence[Passage],
    citations: Sequence[Citation],
    threshold: float = SUPPORT_THRESHOLD,
) -> tuple[tuple[SentenceCheck, ...], tuple[Citation, ...]]:
    """Per answer sentence, whether the passages support it; and the citations to add."""
    copies = [c for c in citations if c.kind == "copy"]
    checks: list[SentenceCheck] = []
    added: list[Citation] = []
    for start, end in sentence_spans(text):
        copy = next((c for c in copies if c.claim_start <= start and end <= c.claim_end + 1), None)
        if copy is not None:
            checks.append(SentenceCheck(start, end, True, copy.index, 1.0))
            continue
        best, share = _best_passage(content_words(text[start:end]), passages)
        supported = best is not None and share >= threshold
        number = best + 1 if best is not None and supported else None
        checks.append(SentenceCheck(start, end, supported, number, round(share, 3)))
        covered = any(c.claim_start < end and start < c.claim_end for c in citations)
        if number is not None and not covered:
            passage = passages[number - 1]
            added.append(
                Citation(number, passage.chunk_id, end, end, start, end, "support", (0, len(passage.text)))
            )
    return tuple(checks), tuple(added)
