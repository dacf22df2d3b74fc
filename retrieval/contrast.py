"""Questions that compare two things, and the sentences that answer them.

"What is the difference between prefill and decode?" is answered by a sentence that sets the
two apart ("a decode step is bound by reading the weights…, and prefill by matmul
throughput"), or else by one sentence about each. A sentence that only names the two
together ("the prefill/decode loop") holds every word of the question and so ranks first,
while saying nothing about how they differ; a sentence about one side holds half the words
and ranks below it.

So for a comparing question (`compared_sides`), `contrast_first` reorders the first
candidates: the best sentence that names both sides apart, then the best sentence about each
side alone, then the rest as ranked. Only the first few are reordered (the app: as many as
the decoder rerank judges at most): a sentence far down the ranking is not promoted for a word
it holds.

Plain Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.evidence import STOPWORDS, ScoredSentence, content_words

# "the difference(s) between A and B", "how does A differ from B", "A vs B", "compare A and /
# with / to B", "distinguish (between) A and / from B", "contrast A with B".
_SIDES = (
    re.compile(r"\bdifferences?\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)", re.I),
    re.compile(
        r"\b(?:how|in\s+what\s+ways?)\s+(?:does|do|did|is|are|was|were)\s+(?P<a>.+?)\s+"
        r"(?:differ|different)\s+from\s+(?P<b>.+)",
        re.I,
    ),
    # Before "vs", side a is the run of content words next to it (`_last_run`): "How did the
    # treatment of Chinese versus Mongols…" compares Chinese and Mongols.
    re.compile(r"(?P<run>[^,;:?]+?)\s+(?:vs\.?|versus)\s+(?P<b>.+)", re.I),
    re.compile(r"\b(?:compare|contrast)\s+(?P<a>.+?)\s+(?:and|with|to)\s+(?P<b>.+)", re.I),
    re.compile(r"\bdistinguish\s+(?:between\s+)?(?P<a>.+?)\s+(?:and|from)\s+(?P<b>.+)", re.I),
)
# A side ends where the question goes on about something else: "…between Newton and Manning
# in Super Bowl 50?" compares Newton and Manning.
_SIDE_END = re.compile(
    r"[,;:?!]|\s(?:in|on|at|for|during|when|where|that|which|regarding|within|under|after|before)\s",
    re.I,
)
# A side that starts a clause is not a thing named: the comparison is of what the clause says.
_CLAUSE = re.compile(r"(?:what|how|who|whom|whose|which|when|where|why|whether)\b", re.I)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SIDE_WORDS = 4  # a side named in more content words than this is not a thing compared
# Between two sides named as one thing: "prefill/decode", "prefill and decode", "A or B",
# "the row permission and the two column masks" (a conjunction may take a determiner or a
# count: the sentence still names the two as one list, not each for what it is).
_TOGETHER = re.compile(
    r"[\s/&,\-–]*(?:(?:and|or|vs\.?|versus)[\s/&,\-–]*"
    r"(?:(?:the|a|an|its|their|both|all|two|each)\s+){0,2})?",
    re.I,
)


@dataclass(frozen=True)
class Sides:
    """The words that name each side of a comparison, less the words the two share
    ("online pharmacies" and "community pharmacies" are told apart by "online" and
    "community")."""

    a: frozenset[str]
    b: frozenset[str]


def singular(word: str) -> str:
    """`word` without a plural ending, so that "mask" names "masks" and "caches" "cache"."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _content(phrase: str) -> list[str]:
    return [singular(w) for w in content_words(phrase)]


def _last_run(phrase: str) -> str:
    """The words at the end of `phrase` after its last stopword."""
    words = phrase.split()
    at = len(words)
    while at > 0 and re.sub(r"\W", "", words[at - 1].lower()) not in STOPWORDS:
        at -= 1
    return " ".join(words[at:])


def compared_sides(question: str) -> Sides | None:
    """The two things `question` asks to compare, or None when it compares nothing."""
    for pattern in _SIDES:
        found = pattern.search(question)
        if not found:
            continue
        groups = found.groupdict()
        a_phrase = re.split(r"[,;:]", groups["a"])[-1] if groups.get("a") else _last_run(groups["run"])
        b_phrase = _SIDE_END.split(" " + found.group("b") + " ", maxsplit=1)[0]
        if any(_CLAUSE.match(phrase.strip()) for phrase in (a_phrase, b_phrase)):
            continue  # "the difference between what higher paid and lower paid … earn"
        a, b = _content(a_phrase), _content(b_phrase)
        shared = set(a) & set(b)
        a_own, b_own = frozenset(a) - shared, frozenset(b) - shared
        if a_own and b_own and len(a) <= SIDE_WORDS and len(b) <= SIDE_WORDS:
            return Sides(a_own, b_own)
    return None


# A question that asks how two things differ, not one that only sets them against each other.
_ASKS_DIFFERENCE = re.compile(r"\b(?:differ|different|differences?|compare|contrast|distinguish)\b", re.I)


def differing_sides(question: str) -> Sides | None:
    """The two sides of a question that asks how they differ ("the difference between A and
    B", "how does A differ from B", "compare A with B"): its answer is about each. None for
    one that only sets them against each other ("How many points did the Broncos score …
    versus Pittsburgh?" asks for a number)."""
    return compared_sides(question) if _ASKS_DIFFERENCE.search(question) else None


def mentions(text: str, sides: Sides) -> tuple[bool, bool, bool]:
    """Whether `text` names side a, side b, and both apart: an occurrence of one side that
    is not joined to the other as one thing ("prefill/decode", "prefill and decode")."""
    spans: list[tuple[int, int, str]] = []  # (start, end, "a" | "b")
    held: dict[str, set[str]] = {"a": set(), "b": set()}
    for m in _WORD.finditer(text):
        word = singular(m.group().lower())
        for side, words in (("a", sides.a), ("b", sides.b)):
            if word in words:
                spans.append((m.start(), m.end(), side))
                held[side].add(word)
                break
    # A side named in several words is named by half of them at least: "lower paid
    # professionals" not by "earn" alone.
    has_a = 2 * len(held["a"]) >= len(sides.a)
    has_b = 2 * len(held["b"]) >= len(sides.b)
    if not (has_a and has_b):
        return has_a, has_b, False
    # One occurrence per run of a side's words: "row permissions" is one mention of side a.
    runs: list[tuple[int, int, str]] = []
    for start, end, side in spans:
        if runs and runs[-1][2] == side and not text[runs[-1][1] : start].strip(" -"):
            runs[-1] = (runs[-1][0], end, side)
        else:
            runs.append((start, end, side))
    spans = runs

    def joined(i: int) -> bool:
        """Occurrence i stands next to one of the other side with only a joiner between."""
        start, end, side = spans[i]
        for j in (i - 1, i + 1):
            if 0 <= j < len(spans) and spans[j][2] != side:
                left, right = (spans[j][1], start) if j < i else (end, spans[j][0])
                if _TOGETHER.fullmatch(text[left:right]):
                    return True
        return False

    return True, True, not all(joined(i) for i in range(len(spans)))


def contrast_first(ranked: Sequence[ScoredSentence], sides: Sides, within: int) -> list[ScoredSentence]:
    """`ranked` with its first `within` candidates reordered for a comparing question: the
    best that names both sides apart, then the best about side a alone and the best about
    side b alone (in their ranked order), then the others as they were. Unchanged when the
    head holds neither a sentence that sets the sides apart nor one about each side."""
    head, tail = list(ranked[:within]), list(ranked[within:])
    named = [mentions(c.sentence.text, sides) for c in head]
    apart = [i for i, (_, _, both) in enumerate(named) if both]
    only_a = [i for i, (a, b, _) in enumerate(named) if a and not b]
    only_b = [i for i, (a, b, _) in enumerate(named) if b and not a]
    if not apart and not (only_a and only_b):
        return list(ranked)  # nothing in reach says more than the ranking's own first
    first = apart[:1] + sorted(only_a[:1] + only_b[:1])
    return [head[i] for i in first] + [c for i, c in enumerate(head) if i not in first] + tail


def one_side_each(sides: Sides, first: str, second: str) -> bool:
    """Whether `first` is about one side alone and `second` about the other alone: neither
    sets the two apart on its own, so the answer needs both (`contrast_first` puts them
    first when no sentence in reach names both apart)."""
    a1, b1, _ = mentions(first, sides)
    a2, b2, _ = mentions(second, sides)
    return a1 != b1 and a2 != b2 and a1 != a2
