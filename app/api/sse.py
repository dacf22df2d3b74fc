"""Answers as server-sent events, and the non-streaming collector of the same events.

The response body is a generator over `answer_question`'s events. When the client goes
away, the WSGI server (gunicorn's threads or the dev server) closes the response, which
closes this generator, which closes `answer_question`'s: the decoder stops, and the
partial answer is saved as cancelled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.utils.encoders import JSONEncoder

from app.api import serializers as s
from app.api.errors import error_body
from app.api.exceptions import ServerError
from app.services.answers import AnswerDone, AnswerEvent, AnswerStarted, AnswerToken

log = logging.getLogger(__name__)

AnswerEvents = Iterator[AnswerEvent]


def encode_json(data: Any) -> str:
    return json.dumps(data, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))


def sse_event(event: str | None, data: Any) -> bytes:
    """One event; `data` is JSON, which never contains a raw newline."""
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else encode_json(data)
    return f"{head}data: {payload}\n\n".encode()


def event_stream(body: Iterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through as they come
    return response


def _answer_events(events: AnswerEvents) -> Iterator[bytes]:
    try:
        for event in events:
            if isinstance(event, AnswerStarted):
                yield sse_event(
                    "start",
                    {
                        "conversation": event.conversation.pk,
                        "question": event.question.pk,
                        "passages": s.PassageSerializer(event.passages, many=True).data,
                    },
                )
            elif isinstance(event, AnswerToken):
                yield sse_event("token", {"text": event.text})
            elif isinstance(event, AnswerDone):
                yield sse_event("done", {"message": s.MessageSerializer(event.message).data})
    except Exception:
        log.exception("answer stream failed")
        yield sse_event("error", error_body(ServerError()))
    finally:
        events.close()  # on client disconnect too: stops the decoder


def sse_response(events: AnswerEvents) -> StreamingHttpResponse:
    return event_stream(_answer_events(events))


def collect_answer(events: AnswerEvents) -> tuple[AnswerStarted, AnswerDone]:
    """Run an answer to its end; its start and done events."""
    started: AnswerStarted | None = None
    done: AnswerDone | None = None
    try:
        for event in events:
            if isinstance(event, AnswerStarted):
                started = event
            elif isinstance(event, AnswerDone):
                done = event
    finally:
        events.close()
    assert started is not None and done is not None, "an answer starts and finishes"
    return started, done
