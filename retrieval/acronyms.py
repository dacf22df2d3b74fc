"""Acronyms: a question that asks what one stands for, and the place a text spells it out.

A document spells an acronym out once, where it first uses it ("…Row and Column Access
Control (RCAC)."), and uses the short form everywhere after. So "What does RCAC stand for?"
finds the passages that use RCAC most, a book's worth of them, and rarely the one sentence
that answers. Search looks for that sentence in the documents it found (`spelled_out`).

The long form is found as Schwartz and Hearst do ("A simple algorithm for identifying
abbreviation definitions in biomedical text", 2003): among the few words before the
parenthesis, the acronym's characters in order, from the last, the first one starting a word
("Row and Column Access Control", "adenosine triphosphate", "Command/Service Module").

Plain Python.
"""

from __future__ import annotations

import re

# "What does RCAC stand for?", "what is RCAC short for", "What is the full form of RCAC?",
# "What does the abbreviation DB2 mean?": an acronym has two capitals or more, within ten
# characters.
_ACRONYM = r"(?P<acronym>[A-Z][A-Za-z0-9&]{1,9})"
_ASKED = (
    re.compile(
        r"\bwhat\s+(?:does|do|did)\s+(?:the\s+)?(?:acronym\s+|abbreviation\s+|term\s+)?"
        + _ACRONYM
        + r"\s+(?:stand\s+for|mean)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bwhat\s+is\s+" + _ACRONYM + r"\s+(?:short|an\s+abbreviation|an\s+acronym)\s+for\b", re.I),
    re.compile(r"\b(?:full\s+form|expansion|long\s+form)\s+of\s+(?:the\s+)?" + _ACRONYM + r"\b", re.I),
)


def asked_acronym(question: str) -> str | None:
    """The acronym `question` asks the long form of, or None."""
    for pattern in _ASKED:
        found = pattern.search(question)
        if found and sum(c.isupper() for c in found.group("acronym")) >= 2:
            return found.group("acronym")
    return None


def spelled_out(text: str, acronym: str) -> tuple[int, int] | None:
    """[start, end) in `text` of the first long form of `acronym` followed by the acronym in
    parentheses ("Row and Column Access Control (RCAC)"), or None."""
    for parenthesis in re.finditer(r"\(\s*" + re.escape(acronym) + r"\s*\)", text):
        # Schwartz and Hearst's window: at most min(n + 5, 2n) words for n characters.
        n = len(acronym)
        words = list(re.finditer(r"\S+", text[max(0, parenthesis.start() - 300) : parenthesis.start()]))
        window = words[-min(n + 5, 2 * n) :]
        if not window:
            continue
        offset = max(0, parenthesis.start() - 300) + window[0].start()
        start = _long_form_start(text[offset : parenthesis.start()].rstrip(), acronym)
        if start is not None:
            return offset + start, parenthesis.end()
    return None


def _long_form_start(before: str, acronym: str) -> int | None:
    """Where in `before` the long form of `acronym` starts (Schwartz and Hearst): match the
    acronym's letters and digits from the last, each to the nearest same character to the
    left, the first one at the start of a word; None when one is missing."""
    at = len(before) - 1
    letters = [c.lower() for c in acronym if c.isalnum()]
    for i in range(len(letters) - 1, -1, -1):
        while at >= 0 and (
            before[at].lower() != letters[i] or (i == 0 and at > 0 and before[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return None
        at -= 1
    return at + 1
