"""Loop detection on the answer text: stop before a repeat reaches the reader.

Small decoders fall into loops ("The model uses a sequential dependency to generate
tokens." eighteen times). Two rules end the answer where the repeat begins:

- a finished sentence that says again what an earlier sentence said (same words, any case
  and punctuation);
- the last `window` words already appeared, in that order, earlier in the answer.

So that a repeat is never streamed, text that *may* be turning into one is held back: the
current sentence while its words are a prefix of an earlier sentence, and the tail of words
that already occurred earlier. Held text is released as soon as it diverges, so a loop-free
answer streams with at most a few words of delay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s)|\n+")
DEFAULT_WINDOW = 8
# A word tail shorter than this that occurred before is normal language ("of the"), not a loop.
HOLD_WORDS = 2


@dataclass(frozen=True)
class RepeatCheck:
    repeat_at: int | None  # where the repeat starts in the text, or None
    hold_from: int  # text from here on may be turning into a repeat: do not emit it yet


def _words(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, str]]:
    return [
        (m.start(), m.group().lower()) for m in _WORD.finditer(text, start, len(text) if end is None else end)
    ]


def _sentences(text: str) -> tuple[list[tuple[int, int]], int]:
    """Finished sentences as [start, end), and where the unfinished one starts."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    return spans, start


def _occurs_before(words: list[str], tail: int) -> bool:
    """Whether words[-tail:] occurs at an earlier start than its own."""
    if tail > len(words) - 1:
        return False
    needle = words[-tail:]
    last_start = len(words) - tail
    return any(words[i : i + tail] == needle for i in range(last_start))


def check_repeats(text: str, window: int = DEFAULT_WINDOW) -> RepeatCheck:
    """Where `text` starts repeating itself (if it does) and how much of it to hold back."""
    if window <= 0:
        return RepeatCheck(None, len(text))
    sentences, open_start = _sentences(text)
    seen: list[list[str]] = []
    for start, end in sentences:
        words = [w for _, w in _words(text, start, end)]
        if words and words in seen:
            return RepeatCheck(start, start)
        if words:
            seen.append(words)

    located = _words(text)
    words = [w for _, w in located]
    if len(words) > window and _occurs_before(words, window):
        return RepeatCheck(located[-window][0], located[-window][0])

    hold = len(text)
    current = [w for _, w in _words(text, open_start)]
    if current and any(s[: len(current)] == current for s in seen):
        hold = min(hold, open_start)
    tail = 0
    while tail < min(window, len(words) - 1) and _occurs_before(words, tail + 1):
        tail += 1
    if tail >= HOLD_WORDS:
        hold = min(hold, located[-tail][0])
    return RepeatCheck(None, hold)
