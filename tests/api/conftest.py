"""API fixtures: token-authenticated clients, real uploads through the API, SSE parsing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from app.models import Document
from app.services.tokens import create_api_token

LIGHTHOUSE = """# Lighthouses of Scotland

Skerryvore stands on a reef twelve miles west of Tiree.

## Construction

The lighthouse keeper of Skerryvore recorded that the great storm of 1844 carried away forty
feet of the iron scaffolding. Work resumed the next summer with granite brought from Mull.

## Today

The light was automated in 1994 and is monitored remotely from Edinburgh.
"""

SECRET = (
    "Vault procedures. The vault combination for the Antwerp office is kept by the night porter, "
    "who changes it every second Tuesday and writes it in the red ledger."
)

# Answers are short in tests: two cores, and the decoder's speed is not what is tested.
MAX_NEW_TOKENS = 24


QUESTION = "What did the great storm of 1844 carry away at Skerryvore?"


class FailingEngine:
    """A decoder that writes `tokens` pieces of an answer, then breaks (an injected fault)."""

    def __init__(self, tokens: int = 2) -> None:
        self.tokens = tokens
        self.calls = 0

    def stream(self, question, passages, history=(), config=None, conversation_key=None):  # type: ignore[no-untyped-def]
        from generation.types import TokenEvent

        self.calls += 1
        for i, text in enumerate(["The storm ", "carried "][: self.tokens]):
            yield TokenEvent(text, i + 1)
        raise RuntimeError("the decoder broke")

    def question_likelihood(self, question, texts):  # type: ignore[no-untyped-def]
        return [0.0] * len(texts)  # no opinion: the encoder's order stands


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    """Throttle counts live in the cache; a test must not inherit another's."""
    cache.clear()


@pytest.fixture
def api_client(make_user) -> Callable[..., APIClient]:  # type: ignore[no-untyped-def]
    """`api_client("alice")`: a client sending a fresh bearer token of that user (made if new)."""
    from django.contrib.auth import get_user_model

    def make(username: str = "alice", **extra: Any) -> APIClient:
        user = get_user_model().objects.filter(username=username).first() or make_user(username, **extra)
        _, key = create_api_token(user, "tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        client.user, client.key = user, key  # type: ignore[attr-defined]
        return client

    return make


def upload_files(client: APIClient, *files: tuple[str, bytes]) -> Any:
    payload = [SimpleUploadedFile(name, data) for name, data in files]
    return client.post("/api/documents/", {"files": payload}, format="multipart")


@pytest.fixture
def indexed(ingestion) -> Callable[..., list[Document]]:  # type: ignore[no-untyped-def]
    """Upload files through the API as `client` and wait until they are indexed."""

    def upload(client: APIClient, *files: tuple[str, bytes]) -> list[Document]:
        response = upload_files(client, *files)
        assert response.status_code == 201, response.content
        ids = [row["document"]["id"] for row in response.json()["documents"]]
        ingestion.wait(*ids)
        documents = list(Document.objects.filter(id__in=ids).order_by("id"))
        for document in documents:
            assert document.status == Document.Status.INDEXED, document.failure_reason
        return documents

    return upload


def parse_sse(body: bytes | Iterable[bytes]) -> list[tuple[str | None, Any]]:
    """Server-sent events -> [(event name or None, parsed data)]."""
    raw = body if isinstance(body, bytes) else b"".join(body)
    events: list[tuple[str | None, Any]] = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        payload = "\n".join(data)
        events.append((name, payload if payload == "[DONE]" else json.loads(payload)))
    return events


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The API's one error shape, with this status (and code)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "fields"} and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture
def alice(api_client, indexed):  # type: ignore[no-untyped-def]
    client = api_client("alice")
    client.docs = indexed(client, ("lighthouses.md", LIGHTHOUSE.encode()), ("vault.txt", SECRET.encode()))
    return client
