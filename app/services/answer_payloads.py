"""The one encoder of answers into JSON: every client gets the same payloads.

The chat page (saved messages and its stream), /api/ask, /api/ask/stream, /v1/chat/completions
(inside its own envelope) and conversation endpoints all build answers here, and the API
schema's serializers (`app.api.serializers.answers` and `.stream_events`) describe exactly
these shapes (a test checks real streamed events against them).

Stream events, in order: `start` once retrieval and evidence are done, `token` per piece
of written text, then `done` with the saved answer, or `error` (the answer failed; the
message saved as `failed` comes with it when there is one).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import asdict
from typing import Any

from app.models import Message
from app.services.answer_record import AnswerRecord
from app.services.answers import AnswerDone, AnswerFailed, AnswerStarted, AnswerStream, AnswerToken
from generation.attention_map import AttentionMap

log = logging.getLogger(__name__)

UNEXPECTED = "The answer failed unexpectedly. Please try again."


def attention_summary(message: Message) -> dict[str, Any] | None:
    if not message.attention:
        return None
    attention = AttentionMap.from_dict(message.attention)
    totals = attention.passage_totals()
    return {
        "shape": [len(attention.passage_mass), len(totals)],
        "layers": list(attention.layers),
        "passage_mass": [round(m, 4) for m in totals],
        "url": f"/api/messages/{message.pk}/",
    }


def message_payload(message: Message) -> dict[str, Any]:
    """A question or an answer, as every client receives it."""
    payload: dict[str, Any] = {
        "id": message.pk,
        "conversation": message.conversation_id,
        "role": message.role,
        "content": message.content,
        "status": message.status,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
    if message.role == Message.Role.USER:
        return payload
    record = AnswerRecord.of(message)
    stored = record.fields()
    return {
        **payload,
        "mode": record.mode,
        "passages": stored["passages"],
        "evidence": stored["evidence"],
        "citations": stored["citations"],
        "checks": stored["checks"],
        "stats": {**asdict(record.stats)},
        "attention": message.attention,
        "attention_summary": attention_summary(message),
    }


def start_payload(event: AnswerStarted) -> dict[str, Any]:
    return {
        "conversation": event.conversation.pk,
        "title": event.conversation.title,
        "question": event.question.pk,
        "answer": event.answer.pk,
        "mode": event.mode,
        "abstained": event.abstained,
        "passages": [asdict(p) for p in event.passages],
        "evidence": [asdict(e) for e in event.evidence],
    }


def error_payload(reason: str, message: Message | None = None) -> dict[str, Any]:
    return {
        "error": {"code": "answer_failed", "message": reason},
        "message": message_payload(message) if message is not None else None,
    }


def answer_event_payloads(events: AnswerStream) -> Generator[tuple[str, dict[str, Any]], None, None]:
    """(event name, JSON payload) for each answer event. Closing this closes the answer
    (the decoder stops; the partial answer is saved as cancelled)."""
    try:
        for event in events:
            if isinstance(event, AnswerStarted):
                yield "start", start_payload(event)
            elif isinstance(event, AnswerToken):
                yield "token", {"text": event.text}
            elif isinstance(event, AnswerDone):
                yield "done", {"message": message_payload(event.message)}
            elif isinstance(event, AnswerFailed):
                yield "error", error_payload(event.reason, event.message)
    except Exception:  # the stream has started: report in-band, the same way for every client
        log.exception("answer stream failed")
        yield "error", error_payload(UNEXPECTED)
    finally:
        events.close()
