"""User B can't read, search, ask over or delete user A's documents through any endpoint."""

from __future__ import annotations

import pytest

from app.models import Conversation, Document, Message
from tests.api.conftest import SECRET, assert_error, parse_sse

QUESTION = "Who keeps the vault combination for the Antwerp office?"
LEAK = "night porter"


@pytest.fixture
def alice_and_bob(api_client, indexed):  # type: ignore[no-untyped-def]
    alice, bob = api_client("alice"), api_client("bob")
    (document,) = indexed(alice, ("vault.txt", SECRET.encode()))
    # Alice's own conversation about it, with no decoder run (an unrelated question).
    asked = alice.post("/api/ask/", {"question": "What is the capital of Peru?", "max_new_tokens": 4})
    conversation = Conversation.objects.get(pk=asked.json()["conversation"]["id"])
    # Bob's control: proof his search works, so an empty result below means "not allowed".
    indexed(bob, ("bob.txt", b"Bob's notes: the garden shed key hangs behind the kitchen door."))
    return alice, bob, document, conversation


def test_documents_of_others_are_not_found(alice_and_bob):  # type: ignore[no-untyped-def]
    _, bob, document, _ = alice_and_bob
    listed = [d["id"] for d in bob.get("/api/documents/").json()["results"]]
    assert document.pk not in listed and len(listed) == 1
    assert bob.get("/api/documents/", {"q": "vault"}).json()["count"] == 0
    assert_error(bob.get(f"/api/documents/{document.pk}/"), 404, "not_found")
    assert_error(bob.get(f"/api/documents/{document.pk}/progress/"), 404)
    assert bob.get("/api/documents/progress/", {"ids": str(document.pk)}).json() == []
    assert_error(bob.post(f"/api/documents/{document.pk}/reingest/"), 404)
    assert_error(bob.delete(f"/api/documents/{document.pk}/"), 404)
    document.refresh_from_db()
    assert document.status == Document.Status.INDEXED  # neither re-queued nor deleted


def test_others_documents_are_never_searched(alice_and_bob):  # type: ignore[no-untyped-def]
    alice, bob, document, _ = alice_and_bob
    assert (
        alice.post("/api/search/", {"query": QUESTION}).json()["results"][0]["document"]["id"] == document.pk
    )
    assert bob.post("/api/search/", {"query": "garden shed key"}).json()["results"]  # his own: found
    for body in ({"query": QUESTION}, {"query": QUESTION, "document_ids": [document.pk]}):
        results = bob.post("/api/search/", body).json()["results"]
        assert all(r["document"]["id"] != document.pk for r in results)
        assert all(LEAK not in r["text"] for r in results)


def test_a_query_is_never_respelt_as_only_others_documents_spell_it(alice_and_bob):  # type: ignore[no-untyped-def]
    alice, bob, _, _ = alice_and_bob
    # "Antwerp" is only in Alice's document: respelt for her, left as typed for Bob.
    assert alice.post("/api/search/", {"query": "Antwrep vault"}).json()["searched_for"] == "Antwerp vault"
    assert bob.post("/api/search/", {"query": "Antwrep vault"}).json()["searched_for"] == "Antwrep vault"
    assert "Antwerp" not in bob.get("/search/", {"q": "Antwrep shed"}).content.decode()


def test_others_documents_are_never_used_in_answers(alice_and_bob):  # type: ignore[no-untyped-def]
    _, bob, document, _ = alice_and_bob
    answer = bob.post("/api/ask/", {"question": QUESTION, "max_new_tokens": 8}).json()["answer"]
    assert all(p["document_id"] != document.pk for p in answer["passages"])
    assert LEAK not in answer["content"]

    stream = bob.post("/api/ask/stream/", {"question": QUESTION, "max_new_tokens": 8})
    events = parse_sse(stream.streaming_content)
    assert all(p["document_id"] != document.pk for p in events[0][1]["passages"])
    assert LEAK not in str(events)

    chat = bob.post(
        "/v1/chat/completions",
        {"model": "groundwork", "messages": [{"role": "user", "content": QUESTION}], "max_tokens": 8},
    ).json()
    assert all(p["document_id"] != document.pk for p in chat["passages"])
    assert all(c["document_id"] != document.pk for c in chat["citations"])
    assert LEAK not in chat["choices"][0]["message"]["content"]


def test_others_conversations_are_not_found(alice_and_bob):  # type: ignore[no-untyped-def]
    _, bob, _, conversation = alice_and_bob
    message = Message.objects.filter(conversation=conversation).last()
    assert_error(bob.get(f"/api/conversations/{conversation.pk}/"), 404)
    assert_error(bob.get(f"/api/messages/{message.pk}/"), 404)  # type: ignore[union-attr]
    assert conversation.pk not in [c["id"] for c in bob.get("/api/conversations/").json()["results"]]
    for url in ("/api/ask/", "/api/ask/stream/"):
        error = assert_error(bob.post(url, {"question": QUESTION, "conversation": conversation.pk}), 404)
        assert "conversation" in error["fields"]
    chat = bob.post(
        "/v1/chat/completions",
        {
            "model": "groundwork",
            "messages": [{"role": "user", "content": "hi"}],
            "conversation": conversation.pk,
        },
    )
    assert chat.status_code == 404 and chat.json()["error"]["param"] == "conversation"
    assert conversation.messages.count() == 2  # nothing was added to Alice's conversation


def test_staff_see_and_manage_everyones_documents(alice_and_bob, api_client):  # type: ignore[no-untyped-def]
    _, _, document, conversation = alice_and_bob
    staff = api_client("root", is_staff=True)
    assert document.pk in [d["id"] for d in staff.get("/api/documents/").json()["results"]]
    detail = staff.get(f"/api/documents/{document.pk}/").json()
    assert detail["owner"] == "alice" and detail["chunks"]
    # Conversations stay private, even from staff.
    assert_error(staff.get(f"/api/conversations/{conversation.pk}/"), 404)


def test_embeddings_are_for_anyone_authenticated(api_client, db):  # type: ignore[no-untyped-def]
    response = api_client("bob").post("/v1/embeddings", {"model": "groundwork", "input": "hello"})
    assert response.status_code == 200
