"""One answer contract for every client: the chat page, /api/ask(/stream) and /v1.

A decoder that breaks mid-answer, or before the answer starts, gives every client the same
error event and saves the answer as `failed`; the same question gets the same payload fields
everywhere; streamed events are exactly what the schema's serializers describe.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from app.api.serializers.answers import MessageSerializer
from app.api.serializers.stream_events import STREAM_EVENTS
from app.models import Message
from app.services import evidence
from app.services.runtime import reset_engine, use_engine
from tests.api.conftest import MAX_NEW_TOKENS, QUESTION, FailingEngine, assert_error, parse_sse


@pytest.fixture
def failing(settings) -> Iterator[FailingEngine]:  # type: ignore[no-untyped-def]
    settings.ANSWER_MIN_EVIDENCE = 0.0  # never abstain: the decoder must be reached
    engine = FailingEngine(tokens=2)
    use_engine(engine)
    yield engine
    reset_engine()


def _failed_message() -> Message:
    message = Message.objects.filter(role="assistant").latest("id")
    assert message.status == Message.Status.FAILED
    assert message.content == "The storm carried "  # what was written before the failure is kept
    return message


def _assert_failed_event(data: dict) -> None:  # type: ignore[type-arg]
    assert data["error"]["code"] == "answer_failed" and "RuntimeError" in data["error"]["message"]
    assert data["message"]["status"] == "failed"
    assert data["message"]["content"] == "The storm carried "


def test_a_decoder_failure_is_one_error_for_every_client(alice, client, failing):  # type: ignore[no-untyped-def]
    # REST, streamed: tokens, then the error event with the failed answer.
    response = alice.post("/api/ask/stream/", {"question": QUESTION})
    events = parse_sse(response.streaming_content)
    assert [name for name, _ in events] == ["start", "token", "token", "error"]
    _assert_failed_event(events[-1][1])
    _failed_message()

    # The chat page gets exactly the same events.
    client.force_login(alice.user)
    chat = parse_sse(client.post("/chat/ask/", {"question": QUESTION}).streaming_content)
    assert [name for name, _ in chat] == ["start", "token", "token", "error"]
    _assert_failed_event(chat[-1][1])
    assert set(chat[-1][1]["message"]) == set(events[-1][1]["message"])
    _failed_message()

    # REST, not streamed: the API's error shape.
    assert_error(alice.post("/api/ask/", {"question": QUESTION}), 500, "answer_failed")
    _failed_message()

    # /v1 streamed: content chunks, then OpenAI's error object beside the failed answer.
    body = {"model": "groundwork", "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    v1 = parse_sse(alice.post("/v1/chat/completions", body, format="json").streaming_content)
    assert v1[-1][1]["error"]["message"].startswith("The answer failed")
    assert v1[-1][1]["message"]["status"] == "failed"
    assert "".join(c["choices"][0]["delta"].get("content", "") for _, c in v1[:-1]) == "The storm carried "
    _failed_message()

    # /v1 not streamed: an OpenAI error.
    response = alice.post("/v1/chat/completions", {**body, "stream": False}, format="json")
    assert response.status_code == 500 and response.json()["error"]["message"].startswith("The answer failed")
    _failed_message()
    assert failing.calls == 5
    assert not Message.objects.filter(status=Message.Status.STREAMING).exists()


class BrokenJudge(FailingEngine):
    """A decoder that breaks in the evidence rerank, before the answer has started."""

    def question_likelihood(self, question, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("the decoder broke")


@pytest.fixture
def broken_judge(settings, monkeypatch) -> Iterator[BrokenJudge]:  # type: ignore[no-untyped-def]
    settings.ANSWER_RERANK = True
    monkeypatch.setattr(evidence, "RERANK_WITHIN", math.inf)  # every candidate is reranked
    engine = BrokenJudge()
    use_engine(engine)
    yield engine
    reset_engine()


def test_a_failure_before_the_answer_starts_is_one_error_for_every_client(alice, client, broken_judge):  # type: ignore[no-untyped-def]
    """Search or evidence breaking (here the decoder's rerank) fails the answer before any
    start event: every client gets its answer_failed error, with the answer saved as failed
    and empty; the non-streamed endpoints too, which wait for a start that never comes."""

    def failed() -> None:
        message = Message.objects.filter(role="assistant").latest("id")
        assert message.status == Message.Status.FAILED and message.content == ""

    def assert_error_event(data: dict) -> None:  # type: ignore[type-arg]
        assert data["error"]["code"] == "answer_failed" and "RuntimeError" in data["error"]["message"]
        assert data["message"]["status"] == "failed" and data["message"]["content"] == ""

    events = parse_sse(alice.post("/api/ask/stream/", {"question": QUESTION}).streaming_content)
    assert [name for name, _ in events] == ["error"]
    assert_error_event(events[0][1])
    failed()

    client.force_login(alice.user)
    chat = parse_sse(client.post("/chat/ask/", {"question": QUESTION}).streaming_content)
    assert [name for name, _ in chat] == ["error"]
    assert_error_event(chat[0][1])
    failed()

    assert_error(alice.post("/api/ask/", {"question": QUESTION}), 500, "answer_failed")
    failed()

    body = {"model": "groundwork", "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    v1 = parse_sse(alice.post("/v1/chat/completions", body, format="json").streaming_content)
    assert v1[-1][1]["error"]["message"].startswith("The answer failed")
    assert v1[-1][1]["message"]["status"] == "failed"
    failed()

    response = alice.post("/v1/chat/completions", {**body, "stream": False}, format="json")
    assert response.status_code == 500 and response.json()["error"]["message"].startswith("The answer failed")
    failed()
    assert broken_judge.calls == 0  # writing never began
    assert not Message.objects.filter(status=Message.Status.STREAMING).exists()


def _validate(serializer_class, data):  # type: ignore[no-untyped-def]
    serializer = serializer_class(data=data)
    assert serializer.is_valid(), (serializer_class.__name__, serializer.errors)


@pytest.mark.slow
def test_every_client_gets_the_same_answer_payload(alice, client, settings):  # type: ignore[no-untyped-def]
    settings.GENERATOR_MAX_NEW_TOKENS = MAX_NEW_TOKENS  # the chat page takes the server's limit
    ask = {"question": QUESTION, "max_new_tokens": MAX_NEW_TOKENS}
    rest = parse_sse(alice.post("/api/ask/stream/", ask).streaming_content)
    client.force_login(alice.user)
    chat = parse_sse(client.post("/chat/ask/", {"question": QUESTION}).streaming_content)
    body = {
        "model": "groundwork",
        "messages": [{"role": "user", "content": QUESTION}],
        "stream": True,
        "max_tokens": MAX_NEW_TOKENS,
    }
    v1 = parse_sse(alice.post("/v1/chat/completions", body, format="json").streaming_content)

    # Every streamed event is exactly what the schema says it is.
    for name, data in [*rest, *chat]:
        _validate(STREAM_EVENTS[str(name)], data)
    chunks = [chunk for _, chunk in v1 if chunk != "[DONE]"]
    final = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])
    _validate(MessageSerializer, final["message"])

    answers = [rest[-1][1]["message"], chat[-1][1]["message"], final["message"]]
    assert all(set(a) == set(answers[0]) for a in answers)
    # Ids, times and float attention weights vary; what the answer says and rests on does not.
    moving = {"id", "conversation", "created_at", "stats", "attention", "attention_summary"}
    same = [{k: v for k, v in a.items() if k not in moving} for a in answers]
    assert same[0] == same[1] == same[2]  # greedy decoding over the same evidence
    assert set(rest[0][1]) == set(chat[0][1])
    assert final["evidence"] == answers[2]["evidence"] and final["citations"] == answers[2]["citations"]
