"""What an answer is made of: typed, built once by the answering service, stored from them.

Every client (the chat page, /api/ask, its stream, /v1 and the evaluation) reads answers as
these dataclasses or as the JSON `answer_payloads` makes of them; nothing passes passage or
citation dicts around by string key. `AnswerRecord.fields()` is what a `Message` row
stores; `AnswerRecord.of(message)` reads it back.

Spans are [start, end) character offsets: `PassageSnapshot.start/end` and
`EvidenceQuote.start/end` into the document's extracted text (`Document.text`), so
`document.text[quote.start:quote.end] == quote.text` while the document is unchanged;
`claim` and `marker` spans into the answer's `content`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, TypeVar

from app.models import Message, PageUnit

AnswerMode = Literal["extract", "free", "evidence"]
CitationKind = Literal["model", "attention", "copy", "support"]

T = TypeVar("T")


def _build(cls: type[T], data: dict[str, Any]) -> T:
    """A dataclass from stored JSON, ignoring keys it does not know (older or newer rows)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Source:
    """Where a passage or quote comes from, as a person would cite it."""

    chunk_id: int
    document_id: int
    document_title: str
    original_filename: str
    page: int | None
    heading: str
    page_label: str = field(default="", kw_only=True)  # the printed page number ("iv"), when known
    page_unit: PageUnit = field(default="page", kw_only=True)  # what `page` counts (`Document.page_unit`)

    def source(self) -> dict[str, Any]:
        """Just the `Source` fields, to build a quote or snapshot from the same source."""
        return {f.name: getattr(self, f.name) for f in fields(Source)}


@dataclass(frozen=True)
class PassageSnapshot(Source):
    """A retrieved chunk, as it was when the answer was made (it outlives the document)."""

    index: int  # 1-based rank in retrieval
    start: int
    end: int
    score: float  # cosine similarity to the question
    text: str
    # The document span of table header lines repeated at the head of `text` (the chunk's
    # `table_header`); `text` then continues, after a newline, with the text at `start`.
    table_header: tuple[int, int] | None = None


@dataclass(frozen=True)
class EvidenceQuote(Source):
    """A sentence of a retrieved passage, quoted exactly: the first part of every answer.

    The decoder's prompt holds exactly these quotes, numbered [1].. in this order.
    """

    index: int  # 1-based number in the prompt and the UI
    passage: int  # `PassageSnapshot.index` of the passage it was taken from
    start: int
    end: int
    text: str
    score: float  # the evidence ranking score (see retrieval.evidence)
    similarity: float  # its cosine similarity to the question alone
    coverage: float = field(default=0.0, kw_only=True)  # share of the question's words it holds
    # When the quote is a row of a table: its table's header rows, as printed (the column
    # names that say which figure is which); "" otherwise.
    table_header_text: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class ResolvedCitation:
    """A claim of the answer tied to the exact characters of a document that back it."""

    evidence: int  # `EvidenceQuote.index`
    kind: CitationKind
    claim: tuple[int, int]  # in the answer's content
    marker: tuple[int, int]  # the written marker ("[2]") in content; empty when none was written
    chunk_id: int
    document_id: int
    document_title: str
    page: int | None
    span: tuple[int, int]  # in the document's text
    page_label: str = ""
    page_unit: PageUnit = "page"


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of the answer checked against the evidence; unsupported ones are flagged."""

    claim: tuple[int, int]  # in the answer's content
    supported: bool
    evidence: int | None  # `EvidenceQuote.index` that supports it
    support: float  # share of its content words found in that evidence


@dataclass(frozen=True)
class AnswerStats:
    finish_reason: str  # eos | stop | length | repeat | cancelled | failed | abstained
    prompt_tokens: int = 0
    reused_prefix_tokens: int = 0
    reuse_source: str = "none"
    generated_tokens: int = 0
    time_to_first_token_s: float = 0.0
    decode_tokens_per_s: float = 0.0
    total_s: float = 0.0  # the whole answer, retrieval included
    retrieval_s: float = 0.0
    evidence_s: float = 0.0
    dropped_passages: int = 0
    # The top quote's coverage of the question (one of the answerability signals).
    evidence_coverage: float | None = None
    # How likely the quotes answer the question (retrieval.answerability: the best of the
    # first three): what abstention compares with ANSWER_MIN_EVIDENCE, kept so evaluation can
    # redraw its curve.
    answerability: float | None = None
    # The question as searched when a misspelt word of it was respelt as the documents spell
    # it (`retrieval.spelling`: "Mongke" -> "Möngke"); "" when it was searched as asked.
    searched_for: str = ""


@dataclass(frozen=True)
class AnswerRecord:
    content: str
    status: str  # Message.Status
    mode: AnswerMode
    passages: tuple[PassageSnapshot, ...]
    evidence: tuple[EvidenceQuote, ...]
    citations: tuple[ResolvedCitation, ...]
    checks: tuple[SentenceCheck, ...]
    stats: AnswerStats
    attention: dict[str, Any] | None = None  # generation.AttentionMap.to_dict(): columns = evidence

    def fields(self) -> dict[str, Any]:
        """The Message fields that store this record."""
        return {
            "content": self.content,
            "status": self.status,
            "passages": [asdict(p) for p in self.passages],
            "evidence": [asdict(e) for e in self.evidence],
            "citations": [asdict(c) for c in self.citations],
            "checks": [asdict(c) for c in self.checks],
            "stats": {**asdict(self.stats), "mode": self.mode},
            "attention": self.attention,
        }

    @classmethod
    def of(cls, message: Message) -> AnswerRecord:
        stats = dict(message.stats or {})
        mode = stats.pop("mode", "free")
        return cls(
            content=message.content,
            status=message.status,
            mode=mode,
            passages=tuple(_build(PassageSnapshot, p) for p in message.passages or []),
            evidence=tuple(_build(EvidenceQuote, e) for e in message.evidence or []),
            citations=tuple(_build(ResolvedCitation, c) for c in message.citations or []),
            checks=tuple(_build(SentenceCheck, c) for c in message.checks or []),
            stats=_build(AnswerStats, {"finish_reason": "", **stats}),
            attention=message.attention,
        )
