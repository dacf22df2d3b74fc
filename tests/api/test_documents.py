"""Documents through the API: upload one or many, list and filter, read, progress, re-ingest, delete."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from app.models import Chunk, Document
from app.services.runtime import get_index
from tests.api.conftest import LIGHTHOUSE, SECRET, assert_error, upload_files


def test_upload_many_then_list_filter_read_and_progress(api_client, ingestion):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    response = upload_files(alice, ("lighthouses.md", LIGHTHOUSE.encode()), ("vault.txt", SECRET.encode()))
    assert response.status_code == 201, response.content
    rows = response.json()["documents"]
    assert [(r["filename"], r["outcome"]) for r in rows] == [
        ("lighthouses.md", "created"),
        ("vault.txt", "created"),
    ]
    assert rows[0]["document"]["status"] in {"queued", "parsing", "embedding", "indexed"}
    assert rows[0]["document"]["owner"] == "alice"
    md_id, txt_id = (r["document"]["id"] for r in rows)
    ingestion.wait(md_id, txt_id)

    listing = alice.get("/api/documents/").json()
    assert listing["count"] == 2
    assert {d["id"]: d["status"] for d in listing["results"]} == {md_id: "indexed", txt_id: "indexed"}

    def ids(**params: str) -> list[int]:
        response = alice.get("/api/documents/", params)
        assert response.status_code == 200, response.content
        return [d["id"] for d in response.json()["results"]]

    assert ids(format="md") == [md_id]
    assert ids(q="SCOTLAND") == [md_id]  # the parsed title, any case
    assert ids(status="indexed", format="txt") == [txt_id]
    assert ids(status="failed") == []
    assert_error(alice.get("/api/documents/", {"status": "burnt"}), 400, "invalid")["fields"]["status"]

    detail = alice.get(f"/api/documents/{md_id}/").json()
    assert detail["title"] == "Lighthouses of Scotland" and detail["format"] == "md"
    document = Document.objects.get(pk=md_id)
    assert len(detail["chunks"]) == detail["chunk_count"] == document.chunks.count() > 0
    for chunk in detail["chunks"]:
        assert document.text[chunk["start"] : chunk["end"]] == chunk["text"]
        assert chunk["table_header"] is None
    assert any(c["heading_path"][-1:] == ["Construction"] for c in detail["chunks"])

    progress = alice.get(f"/api/documents/{md_id}/progress/").json()
    assert progress == {
        "id": md_id,
        "status": "indexed",
        "progress_done": document.chunk_count,
        "progress_total": document.chunk_count,
        "progress_unit": "",
        "percent": 100,
        "chunk_count": document.chunk_count,
        "failure_reason": "",
    }
    many = alice.get("/api/documents/progress/", {"ids": f"{md_id},{txt_id},999999"}).json()
    assert sorted(p["id"] for p in many) == sorted([md_id, txt_id])
    assert_error(alice.get("/api/documents/progress/", {"ids": "1,x"}), 400)


def test_duplicate_upload_points_at_the_existing_document(api_client, indexed):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    (document,) = indexed(alice, ("vault.txt", SECRET.encode()))
    response = upload_files(alice, ("copy-of-vault.txt", SECRET.encode()))
    assert response.status_code == 200  # nothing new was stored
    (row,) = response.json()["documents"]
    assert row["outcome"] == "duplicate" and row["document"]["id"] == document.pk
    assert Document.objects.count() == 1


def test_reingest_and_delete(api_client, indexed, ingestion):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    (document,) = indexed(alice, ("lighthouses.md", LIGHTHOUSE.encode()))
    old_chunks = set(Chunk.objects.filter(document=document).values_list("id", flat=True))

    response = alice.post(f"/api/documents/{document.pk}/reingest/")
    assert response.status_code == 202
    assert response.json()["status"] in {"queued", "parsing", "embedding", "indexed"}
    ingestion.wait(document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.INDEXED
    new_chunks = set(Chunk.objects.filter(document=document).values_list("id", flat=True))
    assert new_chunks and not new_chunks & old_chunks  # read again: new chunks replaced the old

    assert alice.delete(f"/api/documents/{document.pk}/").status_code == 204
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not new_chunks & set(get_index().ids().tolist())
    assert_error(alice.get(f"/api/documents/{document.pk}/"), 404, "not_found")
    assert alice.post("/api/search/", {"query": "storm of 1844"}).json()["results"] == []


def test_upload_needs_files(api_client, db):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    error = assert_error(alice.post("/api/documents/", {}, format="multipart"), 400, "invalid")
    assert "files" in error["fields"]
    # The upload endpoint reads multipart only.
    assert_error(alice.post("/api/documents/", {"files": "x"}, format="json"), 415)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("setup.exe", b"MZ\x90\x00binary"),
        ("letter.doc", b"\xd0\xcf\x11\xe0old word"),
        ("report.pdf", b"this is not a PDF at all"),
        ("notes.txt", b"%PDF-1.7 a PDF named .txt"),
    ],
)
def test_unsupported_types_are_415_and_store_nothing(api_client, db, name, data):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    response = upload_files(alice, ("fine.md", b"# Fine\n\ntext"), (name, data))
    error = assert_error(response, 415, "unsupported_file_type")
    assert error["fields"]["files"][0].startswith(name)
    assert Document.objects.count() == 0


def test_oversize_file_is_413_and_stores_nothing(api_client, db, settings):  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 2048
    alice = api_client("alice")
    response = upload_files(alice, ("small.txt", b"fits"), ("big.txt", b"x" * 5000))
    error = assert_error(response, 413, "payload_too_large")
    assert "big.txt" in error["message"]
    assert Document.objects.count() == 0
    # A request that cannot fit the limits is refused from its Content-Length alone.
    settings.UPLOAD_MAX_FILES = 1
    response = upload_files(alice, ("big.txt", b"x" * (2048 + 1024**2 + 10)))
    assert_error(response, 413, "payload_too_large")


def test_too_many_files_is_413(api_client, db, settings):  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_FILES = 2
    alice = api_client("alice")
    files = [(f"n{i}.txt", f"note {i}".encode()) for i in range(3)]
    error = assert_error(upload_files(alice, *files), 413, "payload_too_large")
    assert "At most 2 files" in error["message"]
    assert Document.objects.count() == 0


def test_control_characters_never_reach_stored_names(api_client, db):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    upload = SimpleUploadedFile("bad\x01na\x00me.txt", b"text")
    response = alice.post("/api/documents/", {"files": [upload]}, format="multipart")
    if response.status_code == 201:  # Django's parser dropped them from the name
        (document,) = Document.objects.all()
        assert document.original_filename == "badname.txt"
    else:
        assert_error(response, 400)
        assert Document.objects.count() == 0
