"""Search, ask (plain and streamed), conversations and messages, with the real encoder and decoder."""

from __future__ import annotations

import json

import pytest

from app.models import Conversation, Message
from app.services.runtime import reset_engine, use_engine
from tests.api.conftest import MAX_NEW_TOKENS, QUESTION, SECRET, FailingEngine, assert_error, parse_sse


def test_search_returns_chunks_with_score_document_page_heading_and_span(alice):  # type: ignore[no-untyped-def]
    lighthouse, vault = alice.docs
    response = alice.post("/api/search/", {"query": "storm damage to the scaffolding in 1844", "top_k": 2})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["query"] == body["searched_for"] == "storm damage to the scaffolding in 1844"
    assert 1 <= len(body["results"]) <= 2
    best = body["results"][0]
    assert best["document"] == {"id": lighthouse.pk, "title": "Lighthouses of Scotland"}
    assert "forty feet of the iron scaffolding" in best["text"]
    assert best["heading_path"][-1] == "Construction" and best["heading"].endswith("Construction")
    assert (best["page"], best["page_unit"]) == (None, "page")  # Markdown has no pages
    start, end = best["span"]
    lighthouse.refresh_from_db()
    assert lighthouse.text[start:end] == best["text"]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1

    only_vault = alice.post("/api/search/", {"query": "storm damage", "document_ids": [vault.pk]}).json()
    assert {r["document"]["id"] for r in only_vault["results"]} == {vault.pk}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "query"),
        ({"query": ""}, "query"),
        ({"query": 42}, "query"),
        ({"query": "x", "top_k": 0}, "top_k"),
        ({"query": "x", "top_k": "3"}, "top_k"),
        ({"query": "x", "top_k": 101}, "top_k"),
        ({"query": "x", "document_ids": [0]}, "document_ids.0"),
        ({"query": "x", "document_ids": "1"}, "document_ids"),
        ({"query": "x", "document_ids": [2**70]}, "document_ids.0"),
    ],
)
def test_search_rejects_bad_input_with_field_errors(api_client, db, body, field):  # type: ignore[no-untyped-def]
    error = assert_error(api_client("alice").post("/api/search/", body), 400, "invalid")
    assert field in error["fields"], error


@pytest.mark.slow
def test_ask_answers_from_evidence_with_citations_and_attention_then_continues(alice):  # type: ignore[no-untyped-def]
    lighthouse, _ = alice.docs
    response = alice.post("/api/ask/", {"question": QUESTION, "max_new_tokens": MAX_NEW_TOKENS, "top_k": 2})
    assert response.status_code == 200, response.content
    body = response.json()
    answer = body["answer"]
    assert answer["role"] == "assistant" and answer["status"] == "complete" and answer["mode"] == "extract"
    assert answer["content"].strip()
    assert body["question"]["content"] == QUESTION
    assert 1 <= len(answer["passages"]) <= 2
    assert answer["passages"][0]["document_id"] == lighthouse.pk
    lighthouse.refresh_from_db()
    top = answer["evidence"][0]
    assert "forty feet of the iron scaffolding" in top["text"]
    assert lighthouse.text[top["start"] : top["end"]] == top["text"]
    assert answer["stats"]["generated_tokens"] <= MAX_NEW_TOKENS
    for citation in answer["citations"]:
        quote = answer["evidence"][citation["evidence"] - 1]
        assert citation["kind"] == "copy"
        assert quote["start"] <= citation["span"][0] < citation["span"][1] <= quote["end"]
    summary = answer["attention_summary"]
    assert summary["shape"] == [summary["shape"][0], len(answer["evidence"])]
    assert summary["shape"][0] >= 1 and len(summary["passage_mass"]) == len(answer["evidence"])
    assert all(0 <= m <= 1 for m in summary["passage_mass"])
    assert summary["url"] == f"/api/messages/{answer['id']}/"

    full = alice.get(summary["url"]).json()
    assert full == answer
    assert len(full["attention"]["passage_mass"]) == summary["shape"][0]

    conversation = body["conversation"]["id"]
    follow_up = alice.post(
        "/api/ask/",
        {"question": "When was the light automated?", "conversation": conversation, "max_new_tokens": 8},
    )
    assert follow_up.status_code == 200, follow_up.content
    assert follow_up.json()["conversation"]["id"] == conversation
    detail = alice.get(f"/api/conversations/{conversation}/").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
    assert detail["messages"][1] == answer
    listing = alice.get("/api/conversations/").json()
    assert [c["id"] for c in listing["results"]] == [conversation]


@pytest.mark.slow
def test_ask_stream_sends_start_tokens_and_done(alice):  # type: ignore[no-untyped-def]
    response = alice.post(
        "/api/ask/stream/",
        {"question": QUESTION, "max_new_tokens": MAX_NEW_TOKENS},
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache"
    events = parse_sse(response.streaming_content)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done" and "token" in names
    assert set(names[1:-1]) == {"token"}
    start, done = events[0][1], events[-1][1]
    assert start["passages"] and start["passages"][0]["document_title"] == "Lighthouses of Scotland"
    assert start["evidence"] and not start["abstained"]
    message = done["message"]
    assert message["id"] == start["answer"]
    assert message["conversation"] == start["conversation"] and message["status"] == "complete"
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert streamed == message["content"]
    assert Message.objects.get(pk=message["id"]).content == message["content"]
    assert message["attention_summary"]["shape"][1] == len(message["evidence"])


def test_unanswerable_question_abstains_without_running_the_decoder(api_client, indexed):  # type: ignore[no-untyped-def]
    """With the calibrated ANSWER_MIN_EVIDENCE, a question the documents do not touch abstains;
    a decoder that fails if called proves it never runs."""
    alice = api_client("alice")
    indexed(alice, ("vault.txt", SECRET.encode()))
    use_engine(FailingEngine(tokens=0))
    try:
        body = alice.post("/api/ask/", {"question": "What do ducks eat?"}).json()
    finally:
        reset_engine()
    answer = body["answer"]
    assert answer["status"] == "no_evidence", answer
    assert answer["evidence"], "the nearest quotes are shown"
    assert answer["attention"] is None and answer["citations"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": "   "}, "question"),
        ({"question": ["a"]}, "question"),
        ({"question": "q", "max_new_tokens": 0}, "max_new_tokens"),
        ({"question": "q", "max_new_tokens": 1.5}, "max_new_tokens"),
        ({"question": "q", "top_k": 51}, "top_k"),
        ({"question": "q", "conversation": "one"}, "conversation"),
        ({"question": "q" * 4001}, "question"),
    ],
)
def test_ask_rejects_bad_input_with_field_errors(api_client, db, body, field):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    for url in ("/api/ask/", "/api/ask/stream/"):
        error = assert_error(alice.post(url, body, HTTP_ACCEPT="text/event-stream"), 400, "invalid")
        assert field in error["fields"], error
    assert not Conversation.objects.exists()


def test_continuing_an_unknown_conversation_is_404(api_client, db):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    for url in ("/api/ask/", "/api/ask/stream/"):
        error = assert_error(alice.post(url, {"question": "q", "conversation": 987654}), 404, "not_found")
        assert error["fields"] == {"conversation": ["No conversation of yours has this id."]}
    assert not Conversation.objects.exists()


def test_nul_and_lone_surrogates_are_cleaned_out_of_text(api_client, db):  # type: ignore[no-untyped-def]
    """PostgreSQL cannot store NUL and UTF-8 cannot encode a lone surrogate: neither is a 500."""
    alice = api_client("alice")
    body = json.dumps({"question": "ducks\x00 \ud800?"})  # ensure_ascii: the JSON escapes them
    response = alice.generic("POST", "/api/ask/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["question"]["content"] == "ducks \ufffd?"
    assert Message.objects.get(role="user").content == "ducks \ufffd?"
    body = json.dumps({"query": "\x00\udfff"})
    assert alice.generic("POST", "/api/search/", body, content_type="application/json").status_code == 200
