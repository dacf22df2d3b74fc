"""Server-sent events: the wire format shared by the chat page and the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.utils.encoders import JSONEncoder

from app.services.answer_payloads import answer_event_payloads
from app.services.answers import AnswerStream


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


def answer_event_stream(events: AnswerStream) -> StreamingHttpResponse:
    """An answer as server-sent events (`start`, `token`…, `done` or `error`): the chat page
    and /api/ask/stream/ send exactly this. When the client goes away, the WSGI server closes
    the body, which closes the answer: the decoder stops and the partial answer is saved."""
    return event_stream(_answer_events(events))


def _answer_events(events: AnswerStream) -> Iterator[bytes]:
    payloads = answer_event_payloads(events)
    try:
        for name, payload in payloads:
            yield sse_event(name, payload)
    finally:
        payloads.close()
