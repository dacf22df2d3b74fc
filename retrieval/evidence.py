"""Evidence: the sentences of the retrieved passages that most likely hold the answer.

Measured on SQuAD dev (docs/evaluation.md), the sentence the encoder finds holds the answer
far more often than the bundled decoder writes it, and a verbatim sentence is checkable by
construction. So every answer starts here: the retrieved passages are cut into sentences
(exact spans into the document's text), each sentence is scored against the question, and
the best few become the evidence shown first and the only text the decoder writes from.

A sentence's score is a linear blend of features that each measured better than chance
and generalize beyond one dataset (weights fitted on one SQuAD sample, checked on another):

- `similarity`: cosine of the sentence and the question under the retrieval encoder;
- `passage`: the cosine of its passage (a sentence means more inside a relevant passage);
- `overlap`: the share of the question's content words (idf-weighted) the sentence holds
  (a table row with its header rows' words: the column names say what its figures are);
- `novelty`: the share of the sentence's content words that are not in the question (the
  answer is what the question does not already say; an echo of the question is no answer);
- `answer_type`: whether the sentence holds the kind of thing asked for (a year for
  "when", a number for "how many", a capitalized name for "who"/"where");
- `complete`: whether the sentence can state something on its own. A lead-in ending with
  a colon ("Reuse (kv_cache.py), always decided on token ids:"), a row of figures (mostly
  not words) or a short line without a full stop (a heading) matches a question's words
  as well as a claim does and states nothing; over technical notes they took first place
  from the claim. A piece of a run-on cut at the length limit does count as a statement:
  on SQuAD's Wikipedia prose those pieces hold answers (a first rule that wanted a full
  stop lost 5 top quotes of 500).

Plain Python and numpy: the caller hands in the encoder's vectors.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.answer_kind import answer_type, holds_date, holds_number
from retrieval.sentences import sliver_runs, split_sentences
from retrieval.table_rows import table_header_span

# Words that carry no content for overlap: function words and question words.
STOPWORDS = frozenset(
    str.split(
        "a an the of in on at to for by with from and or nor but is are was were be been being "
        "am what which who whom whose when where why how did do does done that this these those "
        "as it its into than then there their they them he she his her him we our you your i me "
        "my not no if so such can could would should will shall may might must has have had "
        "having about after before during over under between also only other some any each many "
        "much more most name named called"
    )
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STATEMENT_END = re.compile(r"[.!?][\"'”’)\]]*(\s*\[[^\]]{1,40}\])*$")  # footnote marks may follow
HEADING_WORDS = 12  # a line this short without a full stop reads as a heading or a label
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")

FEATURES = ("similarity", "passage", "overlap", "novelty", "answer_type", "complete")


def content_words(text: str) -> list[str]:
    return [w for w in (m.group().lower() for m in _WORD.finditer(text)) if w not in STOPWORDS]


def has_answer_type(kind: str, sentence: str, question: str) -> float:
    if kind == "number":
        return float(holds_number(sentence))
    if kind == "date":
        return float(holds_date(sentence))
    if kind == "name":
        asked = set(content_words(question))
        names = (m.group() for m in _NAME.finditer(sentence))
        return float(any(w.lower() not in asked for n in names for w in n.split()))
    return 0.0


def is_complete(sentence: str) -> float:
    """1.0 when the sentence can state something on its own (see `complete` above)."""
    text = sentence.rstrip()
    tokens = text.split()
    if not tokens or text.endswith(":"):
        return 0.0
    if sum(any(c.isalpha() for c in t) for t in tokens) < 0.6 * len(tokens):
        return 0.0
    return float(len(tokens) > HEADING_WORDS or _STATEMENT_END.search(text) is not None)


@dataclass(frozen=True)
class EvidenceSource:
    """A retrieved passage offered as a source of evidence, best first."""

    key: int  # the caller's id for it (a chunk id)
    text: str
    score: float  # its retrieval similarity to the question (cosine)


@dataclass(frozen=True)
class Sentence:
    source: int  # index into the sources
    start: int  # [start, end) in the source's text
    end: int
    text: str


@dataclass(frozen=True)
class ScoredSentence:
    sentence: Sentence
    score: float
    similarity: float  # the encoder's cosine alone, for reports
    # The idf-weighted share of the question's content words the sentence holds: what
    # abstention tests (measured the best single signal that the answer is really there).
    coverage: float


@dataclass(frozen=True)
class EvidenceWeights:
    similarity: float = 1.0
    passage: float = 0.5
    overlap: float = 0.5
    novelty: float = 0.0
    answer_type: float = 0.0
    complete: float = 0.2

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float32)


DEFAULT_WEIGHTS = EvidenceWeights()


class Idf:
    """Inverse document frequency of words over a set of texts; unseen words get the maximum."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts: dict[str, int] = {}
        for text in texts:
            for word in set(content_words(text)):
                counts[word] = counts.get(word, 0) + 1
        self.n = max(len(texts), 1)
        self._idf = {w: math.log((self.n + 1) / (c + 0.5)) for w, c in counts.items()}
        self.unseen = math.log((self.n + 1) / 0.5)

    def __call__(self, word: str) -> float:
        return self._idf.get(word, self.unseen)


# A quote shorter than this many words is a heading or a fragment ("Skerryvore", "Results"),
# which can match a question well and answer nothing.
MIN_WORDS = 3


# The version of what `quotable_spans` returns. Sentence vectors are stored per chunk in its
# order (`Chunk.sentence_embeddings`); when the rules change, those stored under an older
# version no longer line up with the sentences, even where their number happens to match.
# Raise it whenever `split_sentences` or MIN_WORDS change what a text's spans are.
# 1: the first rules; 2: a sentence ends after footnote marks ("saltwater.[13] The");
# 3: letter slivers are cut from the sentence they were glued to, and are never quoted.
QUOTABLE_RULES = 3


def quotable_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every sentence of `text` that can be a quote (MIN_WORDS or more,
    and not a run of letter slivers); ingestion gives each its own vector
    (`retrieval.sentence_match`)."""
    runs = sliver_runs(text)
    return [
        (s, e)
        for s, e in split_sentences(text, runs=runs)
        if len(_WORD.findall(text[s:e])) >= MIN_WORDS and not any(a <= s and e <= b for a, b in runs)
    ]


# A table of contents joins each entry to its page number with a leader of dots ("Roles
# . . . . . 8", "Roles........8"). Four dots or more, then a page number: an ellipsis is
# three dots, and prose after one goes on with words ("Christmas .... The title").
_DOTS = r"(?:[.·…]\s?)"
_PAGE = r"\s*\|?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\b"  # after a table cell's bar too (Markdown)
_LEADER_IN = re.compile(_DOTS + "{4,}" + _PAGE)
_LEADER_AFTER = re.compile(r"\s*" + _DOTS + "{3,}" + _PAGE)  # the entry's own "." is a fourth
_LEADER_BEFORE = re.compile(_DOTS + r"{4,}\s*\|?\s*$")
_PAGE_NUMBER = re.compile(_PAGE)


# A contents line without leaders: a page number, then a title ("32 ESG", "14 We Care for an
# Inclusive Ecosystem"). One alone may be a numbered heading; CONTENTS_LINES of them among a
# line's neighbours (CONTENTS_LINES lines either side, no blank line between) are a contents
# page, read in whatever order its columns came, unless they count 1, 2, 3: that is a numbered
# list or the authors' affiliations ("2 Brown University", "3 Harvard University").
_NUMBERED_LINE = re.compile(r"(\d{1,4}) +[A-Z]")
CONTENTS_LINES = 3


def is_contents_entry(text: str, start: int, end: int) -> bool:
    """Whether the sentence [start, end) of `text` is an entry of a table of contents: it holds
    a dot leader, one follows it, or it starts right after one (the page number, then the
    next entry: "10 Chapter 3."); or it starts a line "32 ESG" among other such lines. The
    sentence splitter cuts a contents page at its leaders' dots into "13 3.1 Explanation of
    RCAC and the concept of access control .": a section's title, which matches a question
    about that section better than the section's own text does and answers nothing."""
    return bool(
        _LEADER_IN.search(text, start, end)
        or _LEADER_AFTER.match(text, end)
        or (_LEADER_BEFORE.search(text, max(0, start - 24), start) and _PAGE_NUMBER.match(text, start))
        or _in_numbered_lines(text, start)
    )


def _in_numbered_lines(text: str, start: int) -> bool:
    """Whether `start` begins a line "N Title" with at least CONTENTS_LINES - 1 more of them
    among the CONTENTS_LINES lines before it and after it, with no blank line between."""
    if (start and text[start - 1] != "\n") or not _NUMBERED_LINE.match(text, start):
        return False
    lines = _lines_around(text, start, CONTENTS_LINES)
    found = [m for m in (_NUMBERED_LINE.match(line.strip()) for line in lines) if m]
    numbers = [int(m.group(1)) for m in found]
    counting = all(b - a == 1 for a, b in itertools.pairwise(numbers))
    return len(found) >= CONTENTS_LINES and not counting


def _lines_around(text: str, start: int, count: int) -> list[str]:
    """The line that starts at `start`, with up to `count` lines before it and after it, in
    order; never across a blank line. Read line by line, so a long document costs no more
    than the lines read."""
    before: list[str] = []
    at = start
    while len(before) < count and at > 0:
        previous = text.rfind("\n", 0, at - 1) + 1
        if previous == at - 1:
            break  # a blank line
        before.append(text[previous : at - 1])
        at = previous
    after: list[str] = []
    at = start
    while len(after) <= count:
        newline = text.find("\n", at)
        line = text[at : len(text) if newline < 0 else newline]
        if after and not line:
            break  # a blank line
        after.append(line)
        if newline < 0:
            break
        at = newline + 1
    return before[::-1] + after


# A run-in heading opens a paragraph with a short title and a full stop, its text following
# on the same line: "Net income per share. Basic net income per share is calculated by…"
# (notes to financial statements, papers' paragraph headings: 54 in the sample 10-K, 10 in
# the TraceMonkey paper, none in SQuAD). It matches a question on its subject better than any
# sentence of its paragraph and states nothing: "What was net income in 2021?" quoted "Net
# income per share." above the table row that answers. A claim that short names a verb or a
# pronoun ("It failed.", "He is."), and a title has no comma or figure.
RUN_IN_WORDS = 5
# A title may also be an indirect question ("Why the cache makes generation faster. The
# decoder writes…", "What the heatmap does not show."): it has verbs, but no clause of its own
# follows the wh-word, so it states nothing either. Up to RUN_IN_QUESTION_WORDS words; SQuAD
# has no sentence of that form at all, the doc-samples none in a paragraph's first place.
RUN_IN_QUESTION_WORDS = 8
_QUESTION_TITLE = re.compile(r"(?:Why|How|What|When|Where|Which|Who|Whether)\b")
_CLAIM_WORDS = frozenset(
    str.split(
        "is are was were be been being am has have had do does did can could will would may "
        "might must shall should he she it they we i you this these that there"
    )
)


def is_run_in_heading(text: str, start: int, end: int) -> bool:
    """Whether the sentence [start, end) of `text` is a run-in heading (see RUN_IN_WORDS): it
    opens a paragraph, its line goes on with text, it ends with a full stop, starts with a
    capital, has no comma or digit, and has at most RUN_IN_WORDS words, none a verb or
    pronoun of a claim, or is an indirect question of at most RUN_IN_QUESTION_WORDS."""
    sentence = text[start:end].rstrip()
    words = _WORD.findall(sentence)
    if _QUESTION_TITLE.match(sentence):
        titled = len(words) <= RUN_IN_QUESTION_WORDS
    else:
        titled = len(words) <= RUN_IN_WORDS and not any(w.lower() in _CLAIM_WORDS for w in words)
    if not (
        titled and sentence.endswith(".") and sentence[:1].isupper() and not re.search(r"[,\d]", sentence)
    ):
        return False
    newline = text.find("\n", end)
    if len(_WORD.findall(text, end, len(text) if newline < 0 else newline)) < MIN_WORDS:
        return False  # alone on its line: a heading, which `is_complete` already tells
    before = text[:start].rstrip(" \t")
    if start and not before.endswith("\n"):
        return False  # inside a line
    previous = before[:-1].rstrip(" \t")
    # A paragraph starts after a blank line or a line that ended a sentence; after any other
    # line it is a wrapped line's continuation ("Nottingham\nForest or Huddersfield Town.").
    return not previous or previous.endswith(("\n", ".", "!", "?", ":"))


def sentences_of(sources: Sequence[EvidenceSource]) -> list[Sentence]:
    """Every sentence of every source that can be a quote, each statement once, none of a
    table of contents (`is_contents_entry`) and no run-in heading (`is_run_in_heading`).

    Consecutive chunks of a document overlap, and the later one may start inside a sentence
    the earlier one holds whole: its first "sentence" is then the tail of that one ("where
    the system is prevented from recording …"). Such a piece, or a sentence repeated word for
    word, is dropped when another candidate holds its text; otherwise the reader is shown
    the same statement twice, and the ranking compares a sentence with its own tail."""
    found: list[Sentence] = []
    seen: set[str] = set()
    for i, source in enumerate(sources):
        for start, end in quotable_spans(source.text):
            text = source.text[start:end]
            if (
                text in seen
                or is_contents_entry(source.text, start, end)
                or is_run_in_heading(source.text, start, end)
            ):
                continue
            seen.add(text)
            found.append(Sentence(i, start, end, text))
    return [s for s in found if not any(len(o.text) > len(s.text) and s.text in o.text for o in found)]


def coverage(question: str, sentence: str, idf: Callable[[str], float]) -> float:
    """The idf-weighted share of the question's content words that the sentence holds."""
    return _share(set(content_words(question)), set(content_words(sentence)), idf)


def _share(asked: set[str], held: set[str], idf: Callable[[str], float]) -> float:
    """The idf-weighted share of the words `asked` that are `held` (0 when none is asked)."""
    return sum(idf(w) for w in asked & held) / (sum(idf(w) for w in asked) or 1.0)


def _column_names(text: str, sentence: Sentence) -> set[str]:
    """The content words of the header rows above `sentence` when it is a table row: "How
    many calories per portion do berries have?" is answered by "Berries | Blueberry,
    Strawberry | 150" under "| Food | Calories per portion", and the row alone holds one of
    its words. Without them the header row, which answers nothing, outranked the row."""
    header = table_header_span(text, sentence.start, sentence.end)
    return set(content_words(text[header[0] : header[1]])) if header else set()


def sentence_coverage(question: str, text: str, sentence: Sentence, idf: Callable[[str], float]) -> float:
    """`coverage` of `question` by a sentence of `text`, a table row counting its column
    names as its own words (`_column_names`): what the ranking calls overlap."""
    held = set(content_words(sentence.text)) | _column_names(text, sentence)
    return _share(set(content_words(question)), held, idf)


def features(
    question: str,
    sentences: Sequence[Sentence],
    sources: Sequence[EvidenceSource],
    similarity: np.ndarray,
    idf: Callable[[str], float],
) -> np.ndarray:
    """(n sentences, len(FEATURES)) float32."""
    asked = set(content_words(question))
    kind = answer_type(question)
    rows = []
    for sentence, sim in zip(sentences, similarity, strict=True):
        words = content_words(sentence.text)
        # sentence_coverage, with the question's words and the sentence's read once
        held = set(words) | _column_names(sources[sentence.source].text, sentence)
        overlap = _share(asked, held, idf)
        novelty = sum(1 for w in words if w not in asked) / len(words) if words else 0.0
        rows.append(
            (
                float(sim),
                sources[sentence.source].score,
                overlap,
                novelty,
                has_answer_type(kind, sentence.text, question),
                is_complete(sentence.text),
            )
        )
    return np.array(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))


def rank_sentences(
    question: str,
    question_vector: np.ndarray,
    sources: Sequence[EvidenceSource],
    encode: Callable[[list[str]], np.ndarray],
    idf: Callable[[str], float] | None = None,
    weights: EvidenceWeights = DEFAULT_WEIGHTS,
) -> list[ScoredSentence]:
    """Every sentence of `sources`, best first. `encode` gives unit vectors, (n, dim)."""
    sentences = sentences_of(sources)
    if not sentences:
        return []
    vectors = encode([s.text for s in sentences])
    similarity = vectors @ question_vector  # (n,)
    idf = idf or Idf([s.text for s in sources])
    table = features(question, sentences, sources, similarity, idf)  # (n, len(FEATURES))
    scores = table @ weights.vector()
    coverage = table[:, FEATURES.index("overlap")]
    order = np.argsort(-scores, kind="stable")
    return [
        ScoredSentence(sentences[i], float(scores[i]), float(similarity[i]), float(coverage[i]))
        for i in order
    ]
