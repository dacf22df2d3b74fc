"""The kind of answer a question asks for, and whether a text can hold it.

"How many eggs…?" is answered by a number, "When…?" by a date, "Who…?" by a name. Evidence
ranking reads the kind as a feature (`retrieval.evidence.has_answer_type`), and abstention
reads one rule off it: a quote with no number cannot say how many (`asks_count`,
`holds_number`; `retrieval.answerability`).

Plain Python.
"""

from __future__ import annotations

import re

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b"
)
# A number in digits or in words, or a count said without one ("a single", "a few", "twice").
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:thir|four|fif|"
    r"six|seven|eigh|nine)teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|hundreds?|"
    r"thousands?|millions?|billions?|trillions?|dozens?|half|once|twice|thrice|single|pair|"
    r"couple|several|few|numerous|infinite(?:ly)?)\b",
    re.IGNORECASE,
)
_FOOTNOTE_MARK = re.compile(r"\[\d{1,3}\]")
# A count ("How many…", "What percentage…") is answered by a number: 632 of SQuAD dev's 642
# "how many" questions have one in a gold answer, in digits or words, and the other ten a
# count said without one ("several", "a few", "infinitely many"). "How much" and "how long"
# are not counts as often ("free", "almost a month"), so `answer_type`'s "number" is wider.
_COUNT_QUESTION = re.compile(
    r"\bhow\s+many\b|\bwhat\s+(?:percentage|percent|proportion|fraction|number)\b", re.I
)
# "Since NASA didn't know how many attempts each test would need, what did they use…?" asks
# what, not how many: a count after a verb of knowing is an indirect question.
_INDIRECT_COUNT = re.compile(
    r"\b(?:know|knew|known|determined?|decided?|unknown|unclear|sure|tell|told|asked?|wonder(?:ed)?)"
    r"\s+how\s+many\b",
    re.I,
)


def answer_type(question: str) -> str:
    """What kind of answer the question asks for, from its wording ("" when unclear)."""
    q = question.lower()
    if re.search(r"\bhow (many|much|long|far|old|large|big|tall|high)\b|\bwhat (percentage|number)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|century|decade|date|month|day)\b|\bwhich year\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return "name"
    if re.search(r"\bwhere\b|\bwhat (city|country|state|place|region)\b", q):
        return "name"
    return ""


def asks_count(question: str) -> bool:
    """The question asks how many (or what share): its answer is a number."""
    return _COUNT_QUESTION.search(question) is not None and _INDIRECT_COUNT.search(question) is None


def holds_number(text: str) -> bool:
    """The text holds a number or a count (`_NUMBER`), footnote marks ("[5]") aside."""
    return _NUMBER.search(_FOOTNOTE_MARK.sub(" ", text)) is not None


def holds_date(text: str) -> bool:
    """The text holds a year or a month's name."""
    return bool(_YEAR.search(text) or _MONTH.search(text))
