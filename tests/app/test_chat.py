"""The chat over HTTP: a streamed, grounded, saved answer from the real default model."""

from __future__ import annotations

import json

import pytest

from app.models import Conversation, Document, Message

FACT = "Skerryvore lighthouse was built by Alan Stevenson between 1838 and 1844."
DOC = f"""# Skerryvore

Skerryvore lighthouse stands on a reef twelve miles west of Tiree. {FACT}

# Sourdough

Sourdough bread is leavened by a starter of wild yeast and lactobacilli.
"""

pytestmark = pytest.mark.slow


def _events(response) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.fixture
def indexed(client, make_user, ingestion, upload, settings):  # type: ignore[no-untyped-def]
    settings.GENERATOR_MAX_NEW_TOKENS = 40
    user = make_user()
    client.force_login(user)
    upload(("skerryvore.md", DOC.encode()))
    document = Document.objects.get()
    ingestion.wait(document.pk)
    return user, Document.objects.get(pk=document.pk)


def test_answer_quotes_evidence_first_then_a_checked_answer(client, indexed, settings):  # type: ignore[no-untyped-def]
    user, document = indexed
    response = client.post("/chat/ask/", {"question": "Who built Skerryvore lighthouse?"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = _events(response)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done" and names.count("token") >= 2

    # Evidence comes first, before a word is written: exact sentences of the document.
    start = events[0][1]
    assert start["mode"] == "extract" and not start["abstained"]
    top = start["evidence"][0]
    assert top["text"] == FACT
    for quote in start["evidence"]:
        assert document.text[quote["start"] : quote["end"]] == quote["text"]
        assert quote["document_id"] == document.pk and quote["original_filename"] == "skerryvore.md"

    message = events[-1][1]["message"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert message["content"] == streamed and "Stevenson" in streamed
    assert message["evidence"] == start["evidence"]
    assert message["stats"]["answerability"] >= settings.ANSWER_MIN_EVIDENCE
    # Extract mode copies one span of the evidence; its citation points at those characters.
    (citation,) = message["citations"]
    assert citation["kind"] == "copy" and citation["document_id"] == document.pk
    a, b = citation["span"]
    assert document.text[a:b].strip() == streamed.strip()
    assert all(check["supported"] for check in message["checks"]) and message["checks"]
    attention = message["attention"]
    assert len(attention["token_spans"]) > 0
    assert all(len(row) == len(message["evidence"]) for row in attention["passage_mass"])

    conversation = Conversation.objects.get(pk=start["conversation"])
    assert conversation.owner == user
    roles = list(conversation.messages.values_list("role", "status"))
    assert roles == [("user", "complete"), ("assistant", "complete")]

    page = client.get(f"/chat/{conversation.pk}/").content.decode()
    assert "Stevenson" in page and "saved-messages" in page
    detail = client.get(f"/documents/{document.pk}/", {"start": a, "end": b})
    assert '<mark class="highlight" id="highlight">' in detail.content.decode()


def test_follow_up_continues_the_conversation(client, indexed):  # type: ignore[no-untyped-def]
    first = _events(client.post("/chat/ask/", {"question": "Who built Skerryvore lighthouse?"}))
    conversation = first[0][1]["conversation"]
    second = _events(
        client.post("/chat/ask/", {"question": "When was it finished?", "conversation": conversation})
    )
    assert second[0][1]["conversation"] == conversation
    stats = second[-1][1]["message"]["stats"]
    # The follow-up prompt extends the first turn's, so its cache is reused exactly.
    assert stats["reuse_source"] == "conversation"
    assert Message.objects.filter(conversation_id=conversation).count() == 4


def test_a_follow_up_on_another_subject_abstains(client, indexed):  # type: ignore[no-untyped-def]
    first = _events(client.post("/chat/ask/", {"question": "Who built Skerryvore lighthouse?"}))
    conversation = first[0][1]["conversation"]
    # Searched together with the question before it, but judged on what was asked now.
    events = _events(
        client.post("/chat/ask/", {"question": "What do ducks eat?", "conversation": conversation})
    )
    assert events[-1][1]["message"]["status"] == "no_evidence"


def test_weak_evidence_abstains_and_shows_the_nearest(client, indexed, settings):  # type: ignore[no-untyped-def]
    settings.ANSWER_MIN_EVIDENCE = 1.0  # answerability is below 1 for any quote
    events = _events(client.post("/chat/ask/", {"question": "What is the capital of Peru?"}))
    assert events[0][1]["abstained"]
    message = events[-1][1]["message"]
    assert message["status"] == "no_evidence"
    assert message["citations"] == [] and message["evidence"], "the nearest quotes are shown"
    assert "do not seem to say" in message["content"]
    assert message["stats"]["finish_reason"] == "abstained"
    assert 0.0 < message["stats"]["answerability"] < 1.0, "stored, so evaluation can redraw its curve"


def test_disconnect_stops_and_keeps_what_was_written(client, indexed):  # type: ignore[no-untyped-def]
    response = client.post("/chat/ask/", {"question": "Who built Skerryvore lighthouse?"})
    stream = iter(response.streaming_content)
    assert b"event: start" in next(stream)
    assert b"event: token" in next(stream)
    response.close()  # what the server does when the client goes away
    message = Message.objects.get(role="assistant")
    assert message.status == "cancelled"


def test_conversations_are_private(client, indexed, make_user):  # type: ignore[no-untyped-def]
    events = _events(client.post("/chat/ask/", {"question": "Who built Skerryvore lighthouse?"}))
    conversation = events[0][1]["conversation"]
    client.force_login(make_user("mallory"))
    assert client.get(f"/chat/{conversation}/").status_code == 404
    response = client.post("/chat/ask/", {"question": "And then?", "conversation": conversation})
    assert response.status_code == 404
    assert client.post(f"/chat/{conversation}/delete/").status_code == 404
    # Mallory's own question finds nothing: Alice's documents are not hers to search.
    mine = _events(client.post("/chat/ask/", {"question": "Who built Skerryvore lighthouse?"}))
    assert mine[-1][1]["message"]["status"] == "no_evidence"


def test_bad_question_is_a_400(client, indexed):  # type: ignore[no-untyped-def]
    assert client.post("/chat/ask/", {"question": "   "}).status_code == 400
    assert client.get("/chat/ask/").status_code == 405
