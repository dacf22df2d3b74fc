"""The OpenAI-compatible API, driven by the real `openai` package against a live server."""

from __future__ import annotations

import base64
import socket
import time
from urllib.parse import urlsplit

import numpy as np
import openai
import pytest

from app.models import Message
from app.services.runtime import get_encoder, get_engine
from generation.engine import Engine
from tests.api.conftest import MAX_NEW_TOKENS, QUESTION


@pytest.fixture
def openai_client(live_server, alice):  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key=alice.key, max_retries=0, timeout=120)
    yield client
    # Closes its keep-alive connections: the live server's threads then close their database
    # connections, and the test database can be dropped at the end of the session.
    client.close()


def test_models(openai_client):  # type: ignore[no-untyped-def]
    models = openai_client.models.list()
    assert [m.id for m in models.data] == ["groundwork"]
    assert models.data[0].decoder == "SmolLM2-135M-Instruct"  # an extra field, kept by the client
    assert openai_client.models.retrieve("groundwork").id == "groundwork"
    with pytest.raises(openai.NotFoundError):
        openai_client.models.retrieve("gpt-4o")


@pytest.mark.slow
def test_chat_completion_answers_from_documents_with_citations(openai_client, alice):  # type: ignore[no-untyped-def]
    lighthouse, _ = alice.docs
    completion = openai_client.chat.completions.create(
        model="groundwork",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": QUESTION},
        ],
        max_tokens=MAX_NEW_TOKENS,
    )
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason in {"stop", "length"}
    assert 0 < completion.usage.completion_tokens <= MAX_NEW_TOKENS
    usage = completion.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    extra = completion.model_extra
    assert extra["passages"][0]["document_id"] == lighthouse.pk
    assert extra["citations"] == choice.message.model_extra["citations"]
    assert extra["evidence"] and extra["message"]["evidence"] == extra["evidence"]
    for citation in extra["citations"]:
        assert citation["chunk_id"] in {p["chunk_id"] for p in extra["passages"]}
        assert extra["evidence"][citation["evidence"] - 1]["document_id"] == citation["document_id"]
    saved = Message.objects.filter(conversation_id=extra["conversation"], role="assistant").get()
    assert saved.content == choice.message.content


@pytest.mark.slow
def test_chat_completion_streams_with_citations_on_the_final_chunk(openai_client):  # type: ignore[no-untyped-def]
    stream = openai_client.chat.completions.create(
        model="groundwork",
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=MAX_NEW_TOKENS,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    assert final.choices[0].finish_reason in {"stop", "length"}
    assert isinstance(final.model_extra["citations"], list) and final.model_extra["evidence"]
    assert final.model_extra["message"]["content"] == text
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and 0 < usage.completion_tokens <= MAX_NEW_TOKENS
    saved = Message.objects.filter(conversation_id=final.model_extra["conversation"], role="assistant").get()
    assert saved.content.strip() == text.strip() and saved.status == Message.Status.COMPLETE

    # The same conversation goes on when its id comes back (the saved history is used).
    follow = openai_client.chat.completions.create(
        model="groundwork",
        messages=[{"role": "user", "content": "When was the light automated?"}],
        max_tokens=4,
        extra_body={"conversation": final.model_extra["conversation"]},
    )
    assert follow.model_extra["conversation"] == final.model_extra["conversation"]
    assert Message.objects.filter(conversation_id=follow.model_extra["conversation"]).count() == 4


def test_embeddings_match_the_encoder(openai_client):  # type: ignore[no-untyped-def]
    texts = ["granite from Mull", "the night porter keeps the combination"]
    expected = get_encoder().encode(texts)
    # The client asks for base64 by default and decodes it; floats are asked for explicitly.
    for encoding_format in (None, "float"):
        kwargs = {"encoding_format": encoding_format} if encoding_format else {}
        response = openai_client.embeddings.create(model="groundwork", input=texts, **kwargs)
        got = np.array([row.embedding for row in response.data], dtype=np.float32)
        assert got.shape == expected.shape and np.allclose(got, expected, atol=1e-6)
        assert [row.index for row in response.data] == [0, 1]
        assert response.usage.prompt_tokens > len(texts)
    cleaned = openai_client.embeddings.create(model="groundwork", input="granite\x00 from Mull")
    assert np.allclose(cleaned.data[0].embedding, get_encoder().encode(["granite from Mull"])[0], atol=1e-6)
    single = openai_client.embeddings.create(model="groundwork", input="granite from Mull")
    assert np.allclose(single.data[0].embedding, expected[0], atol=1e-6)
    raw = openai_client.embeddings.with_raw_response.create(
        model="groundwork", input="x", encoding_format="base64"
    ).http_response.json()
    assert len(base64.b64decode(raw["data"][0]["embedding"])) == 4 * get_encoder().dim


def test_openai_errors_are_what_the_client_expects(openai_client, live_server):  # type: ignore[no-untyped-def]
    with pytest.raises(openai.NotFoundError) as missing:
        openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        openai_client.chat.completions.create(model="groundwork", messages=[])
    assert bad.value.param == "messages"
    with pytest.raises(openai.BadRequestError):
        openai_client.chat.completions.create(
            model="groundwork", messages=[{"role": "assistant", "content": "no question"}]
        )
    with pytest.raises(openai.BadRequestError) as bad:
        openai_client.embeddings.create(model="groundwork", input=[])
    assert bad.value.param == "input"
    with pytest.raises(openai.BadRequestError):
        openai_client.embeddings.create(model="groundwork", input=[1, 2, 3])
    with (
        openai.OpenAI(base_url=live_server.url + "/v1", api_key="gw_wrong", max_retries=0) as intruder,
        pytest.raises(openai.AuthenticationError),
    ):
        intruder.models.list()


def _read_until(sock: socket.socket, marker: bytes, limit: float = 120) -> bytes:
    data, deadline = b"", time.monotonic() + limit
    while marker not in data:
        assert time.monotonic() < deadline, data[-500:]
        piece = sock.recv(4096)
        assert piece, data[-500:]
        data += piece
    return data


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/api/ask/stream/", "/v1/chat/completions"])
def test_client_disconnect_stops_generation(live_server, alice, path, settings):  # type: ignore[no-untyped-def]
    """Closing the connection mid-answer stops the decoder and saves a cancelled answer."""
    settings.GENERATOR_MAX_NEW_TOKENS = 400
    settings.ANSWER_MODE = "free"  # written freely, so the answer is long enough to leave mid-way
    engine = get_engine()
    assert isinstance(engine, Engine)  # the real decoder, whose forward passes we count
    body = (
        f'{{"question": "{QUESTION}", "max_new_tokens": 400}}'
        if path.startswith("/api")
        else f'{{"model": "groundwork", "stream": true, "max_tokens": 400, '
        f'"messages": [{{"role": "user", "content": "{QUESTION}"}}]}}'
    ).encode()
    url = urlsplit(live_server.url)
    sock = socket.create_connection((url.hostname, url.port))
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {alice.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    marker = b"event: token" if path.startswith("/api") else b'"content":"'
    head = _read_until(sock, marker)
    assert b" 200 " in head.split(b"\r\n", 1)[0]
    sock.close()

    deadline = time.monotonic() + 60
    while not Message.objects.filter(role="assistant", status=Message.Status.CANCELLED).exists():
        assert time.monotonic() < deadline, "no cancelled answer was saved"
        time.sleep(0.1)
    passes = engine.forward_passes
    time.sleep(1.5)
    assert engine.forward_passes == passes, "the decoder kept running after the client left"
    cancelled = Message.objects.get(role="assistant", status=Message.Status.CANCELLED)
    assert len(cancelled.content) < 400 * 3  # far from the 400 tokens it was allowed
