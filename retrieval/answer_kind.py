"""The kind of answer a question asks for, and whether a text can hold it.

"How many eggs…?" is answered by a number, "When…?" by a date, "Who…?" by a name. Evidence
ranking reads the kind as a feature (`retrieval.evidence.has_answer_type`), and abstention
reads one rule off it: a quote with no number cannot say how many, nor one with neither a
number nor a unit how long, old, tall or large (`lacks_quantity`; `retrieval.answerability`).

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
# An author-year citation ("(Davis, 1986, p. 24)", "(Venkatesh et al. 2003; Lee, 2020)"): its
# year and page name the work cited, and say neither when nor how many. Papers and reports
# carry one in nearly every sentence; "Users found it useful (Davis, 1989, p. 320)." must
# not count as saying how many users did. (SQuAD's Wikipedia paragraphs hold two in all.)
_AUTHORS = r"[A-Z][\w'’-]+(?:\s+(?:and|&)\s+[A-Z][\w'’-]+)?(?:\s+et\s+al\.?)?"
_PAGES = r"(?:,\s*(?i:p|pp|ch|chap|chapter|sec|section)\.?\s*[\d.–-]+)?"
_CITED = _AUTHORS + r",?\s+(?:1[5-9]|20)\d{2}[a-z]?" + _PAGES
_CITATION = re.compile(rf"\((?:(?:see|e\.g\.,?|cf\.)\s+)?{_CITED}(?:;\s*{_CITED})*\)")
# A count ("How many…", "What percentage…") is answered by a number: 632 of SQuAD dev's 642
# "how many" questions have one in a gold answer, in digits or words, and the other ten a
# count said without one ("several", "a few", "infinitely many"). "How much" and "how long"
# are not counts as often ("free", "almost a month"), so `answer_type`'s "number" is wider.
_COUNT_QUESTION = re.compile(
    r"\bhow\s+many\b|\bwhat\s+(?:percentage|percent|proportion|fraction|number)\b", re.I
)
# A measure ("How old…", "How long…", "How tall…") is answered by a number or a unit ("about
# a month", "for the rest of his life"): in SQuAD dev, 120 of the 122 such questions have one
# in a gold answer. Not "how far" ("How far west did the empire extend?": "Lake Balkhash"),
# "how fast" ("quickly") or "how much" ("very little").
_MEASURE_QUESTION = re.compile(r"\bhow\s+(?:old|tall|high|large|big|wide|deep|heavy|long)\b", re.I)
_UNIT = re.compile(
    r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centur(?:y|ies)|"
    r"miles?|kilomet(?:er|re)s?|met(?:er|re)s?|feet|foot|inch(?:es)?|km|mph|pounds?|kg|tons?|"
    r"tonnes?|lifetime|life)\b",
    re.I,
)
# "Since NASA didn't know how many attempts each test would need, what did they use…?" asks
# what, not how many: a count or measure after a verb of knowing is an indirect question.
_INDIRECT = re.compile(
    r"\b(?:know|knew|known|determined?|decided?|unknown|unclear|sure|tell|told|asked?|wonder(?:ed)?)"
    r"\s+how\s+(?:many|old|tall|high|large|big|wide|deep|heavy|long)\b",
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
    return _COUNT_QUESTION.search(question) is not None and _INDIRECT.search(question) is None


def asks_measure(question: str) -> bool:
    """The question asks how long, old, tall, large…: its answer is a number or a unit."""
    return _MEASURE_QUESTION.search(question) is not None and _INDIRECT.search(question) is None


def lacks_quantity(question: str, text: str) -> bool:
    """The question asks for a count and the text holds no number, or for a measure and the
    text holds neither a number nor a unit: whatever words it shares with the question, it
    cannot say how many or how long."""
    if asks_count(question):
        return not holds_number(text)
    return asks_measure(question) and not (holds_number(text) or _UNIT.search(text) is not None)


def holds_number(text: str) -> bool:
    """The text holds a number or a count (`_NUMBER`), footnote marks ("[5]") and author-year
    citations aside."""
    return _NUMBER.search(_uncited(_FOOTNOTE_MARK.sub(" ", text))) is not None


def holds_date(text: str) -> bool:
    """The text holds a year or a month's name, author-year citations aside."""
    text = _uncited(text)
    return bool(_YEAR.search(text) or _MONTH.search(text))


def _uncited(text: str) -> str:
    return _CITATION.sub(" ", text) if "(" in text else text
