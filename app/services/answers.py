"""Answering a question, evidence first: retrieve, quote, write from the quotes, check, save.

1. Retrieval (`search.search_chunks`, hybrid) finds the passages.
2. Evidence (`evidence.select_evidence`) quotes the few sentences of those passages most
   likely to hold the answer, verbatim, with their spans in each document. When none of the
   first three is likely to answer the question (their best answerability,
   `retrieval.answerability`, below ANSWER_MIN_EVIDENCE) the answer abstains ("your
   documents do not say") and shows the nearest quotes; the decoder is not run.
3. The decoder writes from the quotes only (a short prompt), in ANSWER_MODE:
   `extract` copies a span of the top quote (constrained decoding: checkable by
   construction; a question asking how two things differ, whose first two quotes are one
   about each side, copies a span of each), `free` writes freely, `evidence` writes nothing
   (the quotes are the answer).
4. Every written sentence is checked against the quotes; the answer, quotes, citations,
   checks, stats and attention map are stored as one `AnswerRecord`.

`answer_question` is a generator of events so every client can stream. Closing it (the
client went away) stops the decoder and saves what was written as `cancelled`; a decoder
that fails saves the answer as `failed` and ends the stream with `AnswerFailed`, the same for
every client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from django.conf import settings

from app.models import Collection, Conversation, Message
from app.services.answer_record import (
    AnswerMode,
    AnswerRecord,
    AnswerStats,
    EvidenceQuote,
    PassageSnapshot,
    ResolvedCitation,
    SentenceCheck,
)
from app.services.evidence import abstention_question, quotes_signals, select_evidence, snapshot
from app.services.runtime import get_engine
from app.services.search import SearchResult, search_library, sentence_vectors_of
from app.services.threads import use_answer_threads
from app.users import User
from generation.types import Answer, GenerationConfig, Passage, TokenEvent, Turn
from retrieval.answerability import best_answerability
from retrieval.contrast import differing_sides, one_side_each
from retrieval.spelling import LibraryWords

log = logging.getLogger(__name__)

NO_EVIDENCE = (
    "Your documents do not seem to say. The closest passages I found are below; "
    "try rephrasing the question, or upload a document that covers it."
)
FAILED = "The answer failed part-way; what was written is kept above. Please ask again."
# Extract mode copies from the top quote only: the 135M decoder, free to pick among the three,
# picked the quote holding the answer barely more often than chance (docs/evaluation.md).
COPY_FROM = 1


@dataclass(frozen=True)
class AnswerOptions:
    """What a client may choose per question; None means the server's setting."""

    mode: AnswerMode | None = None
    top_k: int | None = None
    max_new_tokens: int | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None


@dataclass(frozen=True)
class AnswerStarted:
    """Retrieval and evidence are done; writing begins (or the answer abstains)."""

    conversation: Conversation
    question: Message
    answer: Message  # saved as `streaming`; AnswerDone carries its final state
    passages: tuple[PassageSnapshot, ...]
    evidence: tuple[EvidenceQuote, ...]
    mode: AnswerMode
    abstained: bool


@dataclass(frozen=True)
class AnswerToken:
    text: str


@dataclass(frozen=True)
class AnswerDone:
    message: Message
    record: AnswerRecord


@dataclass(frozen=True)
class AnswerFailed:
    message: Message  # saved as `failed`, with what was written before the failure
    reason: str


AnswerEvent = AnswerStarted | AnswerToken | AnswerDone | AnswerFailed
AnswerEvents = Generator[AnswerEvent, None, None]


class AnswerStream(Protocol):
    """What consumers of an answer take: its events, and `close()` to stop it (the client
    left). `answer_question`'s generator is one; so is `capacity.stream_in_slot` around it."""

    def __iter__(self) -> Iterator[AnswerEvent]: ...

    def __next__(self) -> AnswerEvent: ...

    def close(self) -> None: ...


def _prompt_passage(quote: EvidenceQuote) -> Passage:
    return Passage(
        chunk_id=quote.chunk_id,
        text=quote.text,
        title=quote.document_title,
        page=quote.page,
        heading=quote.heading,
        score=quote.score,
    )


def _history(conversation: Conversation, before: int) -> list[Turn]:
    """Earlier finished turns, with exactly the quotes their prompts held (for exact KV reuse)."""
    turns: list[Turn] = []
    question: Message | None = None
    for message in conversation.messages.filter(id__lt=before).order_by("id"):
        if message.role == Message.Role.USER:
            question = message
        elif question is not None and message.status == Message.Status.COMPLETE and message.content:
            quotes = AnswerRecord.of(message).evidence
            turns.append(Turn(question.content, message.content, tuple(map(_prompt_passage, quotes))))
            question = None
    return turns


def _retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """What to search for. A follow-up ("when was it finished?") rarely names its subject,
    so it is searched together with the question before it."""
    return f"{history[-1].question} {question}" if history else question


def copied_quotes(question: str, evidence: Sequence[EvidenceQuote]) -> int:
    """How many quotes an extract answer copies from, one span each: the first two when the
    question asks how two things differ and they are one about each side (neither says how
    the two differ alone: "What is the difference between dabbling and diving ducks?"), else
    the top quote only (COPY_FROM)."""
    sides = differing_sides(question)
    if sides is not None and len(evidence) > 1 and one_side_each(sides, evidence[0].text, evidence[1].text):
        return 2
    return COPY_FROM


def generation_config(
    mode: AnswerMode, options: AnswerOptions, copy_from: int = COPY_FROM
) -> GenerationConfig:
    asked = options.max_new_tokens or settings.GENERATOR_MAX_NEW_TOKENS
    return GenerationConfig(
        max_new_tokens=min(asked, settings.GENERATOR_MAX_NEW_TOKENS),
        temperature=options.temperature,
        top_p=options.top_p,
        seed=options.seed,
        copy_passages=copy_from if mode == "extract" else 0,
        copy_each=copy_from > 1,
        attention_layers=settings.ATTENTION_LAYERS,
        # Checking against the quotes attributes sentences; attention stays the heatmap.
        attention_citations=False,
    )


def _resolve(answer: Answer, evidence: Sequence[EvidenceQuote]) -> tuple[ResolvedCitation, ...]:
    resolved = []
    for citation in answer.citations:
        quote = evidence[citation.index - 1]
        span = (quote.start, quote.end)
        if citation.quote is not None:
            span = (quote.start + citation.quote[0], quote.start + citation.quote[1])
        resolved.append(
            ResolvedCitation(
                evidence=quote.index,
                kind=citation.kind,
                claim=(citation.claim_start, citation.claim_end),
                marker=(citation.marker_start, citation.marker_end),
                chunk_id=quote.chunk_id,
                document_id=quote.document_id,
                document_title=quote.document_title,
                page=quote.page,
                span=span,
                page_label=quote.page_label,
                page_unit=quote.page_unit,
            )
        )
    return tuple(resolved)


def _stats(
    answer: Answer | None, finish: str, started: float, searched_for: str, **timings: float | None
) -> AnswerStats:
    total = round(time.perf_counter() - started, 4)
    if answer is None:
        return AnswerStats(finish_reason=finish, total_s=total, searched_for=searched_for, **timings)  # type: ignore[arg-type]
    s = answer.stats
    return AnswerStats(
        finish_reason=finish,
        searched_for=searched_for,
        prompt_tokens=s.prompt_tokens,
        reused_prefix_tokens=s.reused_prefix_tokens,
        reuse_source=s.reuse_source,
        generated_tokens=s.generated_tokens,
        # Measured from the question's arrival: retrieval and evidence are part of the wait.
        time_to_first_token_s=round(
            s.time_to_first_token_s
            + (timings.get("retrieval_s") or 0.0)
            + (timings.get("evidence_s") or 0.0),
            4,
        ),
        decode_tokens_per_s=round(s.decode_tokens_per_s, 2),
        total_s=total,
        dropped_passages=s.dropped_passages,
        **timings,  # type: ignore[arg-type]
    )


def start_conversation(user: User, question: str, collection: Collection | None = None) -> Conversation:
    title = " ".join(question.split())[:80] or "New conversation"
    return Conversation.objects.create(owner=user, title=title, collection=collection)


def answer_question(
    user: User,
    question: str,
    *,
    conversation: Conversation | None = None,
    options: AnswerOptions | None = None,
    passages: Sequence[SearchResult] | None = None,
    exclude_document_ids: Sequence[int] = (),
) -> AnswerEvents:
    """Answer `question` from the user's documents, streaming events, and save the turn.

    `passages` bypasses retrieval (the evaluation's oracle mode hands in the gold paragraph);
    `exclude_document_ids` leaves documents out of retrieval (its gold-removed mode).
    Whatever happens, the answer message ends `complete`, `no_evidence`, `cancelled` (the
    consumer closed the stream) or `failed` (an error, reported as `AnswerFailed`).
    """
    started = time.perf_counter()
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    options = options or AnswerOptions()
    mode: AnswerMode = options.mode or cast(AnswerMode, settings.ANSWER_MODE)
    if conversation is None:
        conversation = start_conversation(user, question)
    asked = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=question)
    history = _history(conversation, before=asked.pk)
    message = Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.STREAMING
    )
    turn = _Turn(conversation, message, mode, started)
    try:
        # Threads are chosen once the engine exists: loading it sets the process's count to
        # TORCH_THREADS, which made the first answer after a cold start run on one thread
        # (and score its evidence differently from every later answer to the question).
        get_engine()
        use_answer_threads()
        yield from turn.run(user, question, history, options, passages, exclude_document_ids, asked)
    except Exception as error:  # retrieval or the decoder broke: saved as failed, reported in-band
        log.exception("answering failed")
        failed = turn.save(turn.unfinished(Message.Status.FAILED, "failed"))
        yield AnswerFailed(failed, f"{FAILED} ({type(error).__name__})")
    finally:
        if not turn.saved:  # the consumer closed the stream: keep what was written
            turn.save(turn.unfinished(Message.Status.CANCELLED, "cancelled"))


class _Turn:
    """One answer being made: what it has gathered and written so far, and how it is saved."""

    def __init__(
        self, conversation: Conversation, message: Message, mode: AnswerMode, started: float
    ) -> None:
        self.conversation, self.message, self.mode, self.started = conversation, message, mode, started
        self.passages: tuple[PassageSnapshot, ...] = ()
        self.evidence: tuple[EvidenceQuote, ...] = ()
        self.timings: dict[str, float | None] = {}
        self.searched_for = ""  # the question respelt, when it was (AnswerStats.searched_for)
        self.written: list[str] = []
        self.saved = False

    def unfinished(self, status: str, finish_reason: str) -> AnswerRecord:
        """The record of an answer that ends without the decoder's: what was written so far."""
        return AnswerRecord(
            "".join(self.written),
            status,
            self.mode,
            self.passages,
            self.evidence,
            (),
            (),
            _stats(None, finish_reason, self.started, self.searched_for, **self.timings),
        )

    def save(self, record: AnswerRecord) -> Message:
        for name, value in record.fields().items():
            setattr(self.message, name, value)
        self.message.save()
        self.conversation.save(update_fields=["updated_at"])
        self.saved = True
        return self.message

    def run(
        self,
        user: User,
        question: str,
        history: list[Turn],
        options: AnswerOptions,
        passages: Sequence[SearchResult] | None,
        exclude_document_ids: Sequence[int],
        asked: Message,
    ) -> AnswerEvents:
        query, as_read = _retrieval_query(question, history), question
        library: LibraryWords | None = None  # the words of the chunks searched
        if passages is None:
            found = search_library(
                user,
                query,
                top_k=options.top_k or settings.ANSWER_TOP_K,
                collection=self.conversation.collection,
                exclude_document_ids=exclude_document_ids,
            )
            # Search respelt the query's misspelt words as the documents spell them; evidence
            # and abstention read the question respelt the same way ("edcuation" covers nothing).
            passages, query, as_read = found.results, found.query, found.respelt(question)
            library = found.words
        retrieved = time.perf_counter()
        self.passages = tuple(snapshot(i, r) for i, r in enumerate(passages, start=1))
        texts = {r.chunk.document_id: r.chunk.document.text for r in passages}
        self.searched_for = as_read if as_read != question else ""
        asked_alone = abstention_question(as_read, query)
        quotes, ranked = select_evidence(
            query,
            self.passages,
            settings.ANSWER_EVIDENCE,
            texts,
            rerank_with_decoder=settings.ANSWER_RERANK,
            asked=asked_alone,
            sentence_vectors=sentence_vectors_of(passages),
        )
        self.evidence = tuple(quotes)
        # Abstain when none of the first quotes is likely to answer what was asked: coverage
        # is judged on the question as asked, similarity on what was searched for.
        top = self.evidence[0] if self.evidence else None
        best = best_answerability(quotes_signals(asked_alone, quotes, ranked, self.passages, library))
        score = round(best, 4) if best is not None else None
        abstained = score is None or score < settings.ANSWER_MIN_EVIDENCE
        self.timings = {
            "retrieval_s": round(retrieved - self.started, 4),
            "evidence_s": round(time.perf_counter() - retrieved, 4),
            "evidence_coverage": top.coverage if top else None,
            "answerability": score,
        }
        yield AnswerStarted(
            self.conversation, asked, self.message, self.passages, self.evidence, self.mode, abstained
        )

        if abstained:
            self.written.append(NO_EVIDENCE)
            yield AnswerToken(NO_EVIDENCE)
        if abstained or self.mode == "evidence":
            status = Message.Status.NO_EVIDENCE if abstained else Message.Status.COMPLETE
            record = self.unfinished(status, "abstained" if abstained else "evidence")
            yield AnswerDone(self.save(record), record)
            return

        answer: Answer | None = None
        stream = get_engine().stream(
            question,
            [_prompt_passage(q) for q in self.evidence],
            history,
            generation_config(self.mode, options, copied_quotes(as_read, self.evidence)),
            conversation_key=f"conversation-{self.conversation.pk}",
        )
        try:
            for event in stream:
                if isinstance(event, TokenEvent):
                    if event.text:
                        self.written.append(event.text)
                        yield AnswerToken(event.text)
                else:
                    answer = event
        finally:
            stream.close()
        if answer is None:
            raise RuntimeError("the decoder's stream ended without an answer")
        checks = tuple(
            SentenceCheck((c.start, c.end), c.supported, c.passage, c.support) for c in answer.checks
        )
        record = AnswerRecord(
            content=answer.text,
            status=Message.Status.COMPLETE,
            mode=self.mode,
            passages=self.passages,
            evidence=self.evidence,
            citations=_resolve(answer, self.evidence),
            checks=checks,
            stats=_stats(answer, answer.finish_reason, self.started, self.searched_for, **self.timings),
            attention=answer.attention.to_dict() if answer.attention is not None else None,
        )
        yield AnswerDone(self.save(record), record)


@dataclass(frozen=True)
class Answered:
    """An answer run to its end and saved (`run_answer`): how it started and how it ended."""

    started: AnswerStarted
    done: AnswerDone


def run_answer(events: AnswerStream) -> Answered | AnswerFailed:
    """Run an answer to its end (closing it either way): `Answered`, or the `AnswerFailed` it
    ended with, which may come without a start (search or evidence broke before writing)."""
    started: AnswerStarted | None = None
    last: AnswerDone | AnswerFailed | None = None
    try:
        for event in events:
            if isinstance(event, AnswerStarted):
                started = event
            elif isinstance(event, AnswerDone | AnswerFailed):
                last = event
    finally:
        events.close()
    if isinstance(last, AnswerFailed):
        return last
    if last is None or started is None:
        raise RuntimeError("an answer stream always ends with an event, and starts unless it failed")
    return Answered(started, last)
