"""User A never sees user B's documents, on any page."""

from __future__ import annotations

import pytest

from app.models import Document
from app.services.search import search_chunks

SECRET = "The vault combination for the Antwerp office is kept by the night porter."


@pytest.fixture
def two_users(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    alice, bob = make_user("alice"), make_user("bob")
    client.force_login(alice)
    upload(("alice-secret.txt", SECRET.encode()))
    document = Document.objects.get(owner=alice)
    ingestion.wait(document.pk)
    assert Document.objects.get(pk=document.pk).status == Document.Status.INDEXED
    client.force_login(bob)
    return alice, bob, document


def test_other_users_documents_are_invisible(client, two_users):  # type: ignore[no-untyped-def]
    alice, bob, document = two_users
    assert "alice-secret" not in client.get("/documents/").content.decode()
    assert client.get(f"/documents/{document.pk}/").status_code == 404
    assert client.get("/documents/status/", {"ids": str(document.pk)}).json()["documents"] == []
    assert SECRET not in client.get("/search/", {"q": "vault combination Antwerp"}).content.decode()
    assert search_chunks(bob, "vault combination Antwerp") == []
    assert search_chunks(alice, "vault combination Antwerp")


def test_other_users_documents_cannot_be_changed(client, two_users):  # type: ignore[no-untyped-def]
    _, _, document = two_users
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 404
    assert client.post(f"/documents/{document.pk}/reingest/").status_code == 404
    assert Document.objects.get(pk=document.pk).status == Document.Status.INDEXED


def test_same_content_is_not_a_duplicate_across_owners(client, two_users, ingestion, upload):  # type: ignore[no-untyped-def]
    _, bob, _ = two_users
    upload(("bob-copy.txt", SECRET.encode()))
    mine = Document.objects.get(owner=bob)
    ingestion.wait(mine.pk)
    assert search_chunks(bob, "vault combination Antwerp")[0].chunk.document_id == mine.pk


def test_pages_require_login(client, db):  # type: ignore[no-untyped-def]
    for url in ("/documents/", "/search/?q=x", "/documents/status/?ids=1", "/documents/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
