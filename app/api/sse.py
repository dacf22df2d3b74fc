"""Answers as server-sent events, and the non-streaming collector of the same events.

The response body is a generator over `answer_question`'s events. When the client goes
away, the WSGI server (gunicorn's threads or the dev server) closes the response, which
closes this generator, which closes `answer_question`'s: the decoder stops, and the
partial answer is saved as cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator

from django.http import StreamingHttpResponse

from app.api import serializers as s
from app.api.errors import error_body
from app.api.exceptions import ServerError
from app.services.answers import AnswerDone, AnswerEvent, AnswerStarted, AnswerToken
from app.sse import event_stream, sse_event

log = logging.getLogger(__name__)

AnswerEvents = Generator[AnswerEvent, None, None]


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
