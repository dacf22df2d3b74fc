"""One answer contract for every client: the chat page, /api/ask(/stream) and /v1.

A decoder that breaks mid-answer, or before the answer starts, gives every client the same
error event and saves the answer as `failed`; the same question gets the same payload fields
everywhere; streamed events are exactly what the schema's serializers describe.
"""

from __future__ import annotations

import math

import pytest

from app.api.serializers.answers import MessageSerializer
from app.api.serializers.stream_events import STREAM_EVENTS
from app.models import Message
from app.services import evidence
from app.services.runtime import reset_engine, use_engine
from tests.api.conftest import MAX_NEW_TOKENS, QUESTION, FailingEngine, assert_error, parse_sse


class BrokenJudge(FailingEngine):
    """A decoder that breaks in the evidence rerank, before the answer has started."""

    def question_likelihood(self, question, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("the decoder broke")


# (engine, the stream's events, what was written before the failure and is kept)
FAULTS = {
    "mid-answer": (
        lambda: FailingEngine(tokens=2),
        ["start", "token", "token", "error"],
        "The storm carried ",
    ),
    # Search or evidence breaking fails the answer before any start event; the non-streamed
    # endpoints, which wait for a start, must report it as they report any failed answer.
    "before-start": (BrokenJudge, ["error"], ""),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failure_is_one_error_for_every_client(alice, client, settings, monkeypatch, fault):  # type: ignore[no-untyped-def]
    make_engine, names, written = FAULTS[fault]
    settings.ANSWER_MIN_EVIDENCE = 0.0  # never abstain: the decoder must be reached
    settings.ANSWER_RERANK = True
    monkeypatch.setattr(evidence, "RERANK_WITHIN", math.inf)  # every candidate is reranked
    engine = make_engine()
    use_engine(engine)

    def failed() -> None:
        message = Message.objects.filter(role="assistant").latest("id")
        assert message.status == Message.Status.FAILED
        assert message.content == written  # what was written before the failure is kept

    def assert_failed_event(data: dict) -> None:  # type: ignore[type-arg]
        assert data["error"]["code"] == "answer_failed" and "RuntimeError" in data["error"]["message"]
        assert data["message"]["status"] == "failed"
        assert data["message"]["content"] == written

    try:
        # REST, streamed: the events, the last the error with the failed answer.
        events = parse_sse(alice.post("/api/ask/stream/", {"question": QUESTION}).streaming_content)
        assert [name for name, _ in events] == names
        assert_failed_event(events[-1][1])
        failed()

        # The chat page gets exactly the same events.
        client.force_login(alice.user)
        chat = parse_sse(client.post("/chat/ask/", {"question": QUESTION}).streaming_content)
        assert [name for name, _ in chat] == names
        assert_failed_event(chat[-1][1])
        assert set(chat[-1][1]["message"]) == set(events[-1][1]["message"])
        failed()

        # REST, not streamed: the API's error shape.
        assert_error(alice.post("/api/ask/", {"question": QUESTION}), 500, "answer_failed")
        failed()

        # /v1 streamed: content chunks, then OpenAI's error object beside the failed answer.
        body = {"model": "groundwork", "messages": [{"role": "user", "content": QUESTION}], "stream": True}
        v1 = parse_sse(alice.post("/v1/chat/completions", body, format="json").streaming_content)
        assert v1[-1][1]["error"]["message"].startswith("The answer failed")
        assert v1[-1][1]["message"]["status"] == "failed"
        assert "".join(c["choices"][0]["delta"].get("content", "") for _, c in v1[:-1]) == written
        failed()

        # /v1 not streamed: an OpenAI error.
        response = alice.post("/v1/chat/completions", {**body, "stream": False}, format="json")
        assert response.status_code == 500 and response.json()["error"]["message"].startswith(
            "The answer failed"
        )
        failed()
    finally:
        reset_engine()
    assert engine.calls == (5 if names[0] == "start" else 0)  # writing began on every client, or never
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
