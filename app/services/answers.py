"""Grounded answers: retrieve, generate with citations and attention, save the turn.

`answer_question` is a generator of events so the chat page and the API can stream the
answer as it is written; closing the generator (the client went away) stops the decoder
and saves what was written so far as a cancelled answer.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from app.models import Chunk, Collection, Conversation, Message
from app.services.runtime import get_engine
from app.services.search import SearchResult, search_chunks
from generation.types import Answer, GenerationConfig, Passage, TokenEvent, Turn

NO_EVIDENCE = (
    "I could not find anything in your documents that answers this question, "
    "so I won't guess. Try rephrasing it, or upload a document that covers it."
)


@dataclass(frozen=True)
class AnswerStarted:
    """Retrieval is done; generation begins. `passages` are the snapshots shown as sources."""

    conversation: Conversation
    question: Message
    passages: list[dict[str, Any]]


@dataclass(frozen=True)
class AnswerToken:
    text: str


@dataclass(frozen=True)
class AnswerDone:
    message: Message  # the saved answer, with citations, passages, attention and stats


AnswerEvent = AnswerStarted | AnswerToken | AnswerDone


def _snapshot(index: int, chunk: Chunk, score: float) -> dict[str, Any]:
    return {
        "index": index,
        "chunk_id": chunk.pk,
        "document_id": chunk.document_id,
        "document_title": chunk.document.title,
        "page": chunk.page,
        "heading": chunk.heading,
        "start": chunk.start,
        "end": chunk.end,
        "score": round(score, 4),
        "text": chunk.text,
    }


def _passage(snapshot: dict[str, Any]) -> Passage:
    return Passage(
        chunk_id=snapshot["chunk_id"],
        text=snapshot["text"],
        title=snapshot["document_title"],
        page=snapshot["page"],
        heading=snapshot["heading"],
        score=snapshot["score"],
    )


def _history(conversation: Conversation) -> list[Turn]:
    """Earlier finished turns, with exactly the passages their prompts held."""
    turns: list[Turn] = []
    question: Message | None = None
    for message in conversation.messages.order_by("id"):
        if message.role == Message.Role.USER:
            question = message
        elif question is not None and message.status in (Message.Status.COMPLETE, Message.Status.NO_EVIDENCE):
            turns.append(Turn(question.content, message.content, tuple(map(_passage, message.passages))))
            question = None
    return turns


def _retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """What to search for. A follow-up ("when was it finished?") rarely names its subject,
    so it is searched together with the question before it."""
    return f"{history[-1].question} {question}" if history else question


def _citations(answer: Answer, snapshots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resolve each citation to its chunk, document, page, heading and span."""
    resolved = []
    for citation in answer.citations:
        source = snapshots[citation.index - 1]
        resolved.append(
            {
                "index": citation.index,
                "kind": citation.kind,
                "marker": [citation.marker_start, citation.marker_end],
                "claim": [citation.claim_start, citation.claim_end],
                **{k: source[k] for k in ("chunk_id", "document_id", "document_title", "page", "heading")},
                "span": [source["start"], source["end"]],
            }
        )
    return resolved


def start_conversation(
    user: AbstractBaseUser, question: str, collection: Collection | None = None
) -> Conversation:
    title = " ".join(question.split())[:80] or "New conversation"
    return Conversation.objects.create(owner=user, title=title, collection=collection)


def answer_question(
    user: AbstractBaseUser,
    question: str,
    *,
    conversation: Conversation | None = None,
    top_k: int | None = None,
    min_score: float | None = None,
    config: GenerationConfig | None = None,
    passages: Sequence[SearchResult] | None = None,
) -> Generator[AnswerEvent, None, None]:
    """Answer `question` from the user's documents, streaming, and save the turn.

    `passages` bypasses retrieval (the evaluation's oracle mode hands in the gold
    paragraph); otherwise the top_k chunks scoring at least `min_score` are used, and
    when none does, the answer says the documents do not contain it instead of guessing.
    """
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    if conversation is None:
        conversation = start_conversation(user, question)
    history = _history(conversation)
    asked = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=question)
    config = config or GenerationConfig(max_new_tokens=settings.GENERATOR_MAX_NEW_TOKENS)
    if passages is None:
        threshold = settings.ANSWER_MIN_SCORE if min_score is None else min_score
        found = search_chunks(
            user,
            _retrieval_query(question, history),
            top_k=top_k or settings.ANSWER_TOP_K,
            collection=conversation.collection,
        )
        passages = [r for r in found if r.score >= threshold]
    snapshots = [_snapshot(i + 1, r.chunk, r.score) for i, r in enumerate(passages)]
    yield AnswerStarted(conversation, asked, snapshots)

    if not snapshots:
        message = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            content=NO_EVIDENCE,
            status=Message.Status.NO_EVIDENCE,
        )
        yield AnswerToken(NO_EVIDENCE)
        conversation.save(update_fields=["updated_at"])
        yield AnswerDone(message)
        return

    written: list[str] = []
    answer: Answer | None = None
    stream = get_engine().stream(
        question,
        [_passage(s) for s in snapshots],
        history,
        config,
        conversation_key=f"conversation-{conversation.pk}",
    )
    try:
        for event in stream:
            if isinstance(event, TokenEvent):
                if event.text:
                    written.append(event.text)
                    yield AnswerToken(event.text)
            else:
                answer = event
    finally:
        stream.close()
        if answer is None:  # the client went away (or generation broke) mid-answer
            Message.objects.create(
                conversation=conversation,
                role=Message.Role.ASSISTANT,
                content="".join(written),
                status=Message.Status.CANCELLED,
                passages=snapshots,
            )
    assert answer is not None, "a finished stream ends with an Answer"
    # The prompt may have dropped low-ranked passages to fit the context window.
    used = [s for s in snapshots if s["chunk_id"] in {p.chunk_id for p in answer.passages}]
    for number, snapshot in enumerate(used, start=1):
        snapshot["index"] = number
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content=answer.text,
        status=Message.Status.COMPLETE,
        passages=used,
        citations=_citations(answer, used),
        attention=answer.attention.to_dict() if answer.attention is not None else None,
        stats={
            "finish_reason": answer.finish_reason,
            "prompt_tokens": answer.stats.prompt_tokens,
            "reused_prefix_tokens": answer.stats.reused_prefix_tokens,
            "reuse_source": answer.stats.reuse_source,
            "generated_tokens": answer.stats.generated_tokens,
            "time_to_first_token_s": round(answer.stats.time_to_first_token_s, 4),
            "decode_tokens_per_s": round(answer.stats.decode_tokens_per_s, 2),
            "total_s": round(answer.stats.total_s, 4),
            "dropped_passages": answer.stats.dropped_passages,
        },
    )
    conversation.save(update_fields=["updated_at"])
    yield AnswerDone(message)
