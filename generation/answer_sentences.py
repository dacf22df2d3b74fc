"""Where a sentence of the written answer ends: one rule for citations and checking.

A sentence ends after . ! ? (any run of them, then any closing quotes or brackets) that is
followed by whitespace or the end of the text, or after a line break: "kv_cache.py" or
"3.5" do not end one, 'He said "no." Then' does. It is the rule of retrieval/sentences.py
without that module's exceptions (abbreviations, initials, a lower-case next word), and
the one checking has always used; citations used to miss the quotes and brackets.

Citations and checking must cut an answer at the same places: a claim a marker backs, a
sentence attention is attributed to and a sentence checked against the evidence are then
the same sentence. The loop guard (`repetition.py`) keeps a rule of its own: it reads an
answer still being written, whose end is not yet the end of a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|\n")


def sentence_ends(text: str, start: int = 0) -> Iterator[int]:
    """The offset just past each sentence end in `text` from `start` on, in order."""
    # Matched on the whole text, never on a slice: the end of a slice is not the end of
    # the text, and a stop before it must not count as one.
    for m in SENTENCE_END.finditer(text, start):
        yield m.end()
