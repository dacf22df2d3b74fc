"""Upload -> parse -> chunk -> embed -> index, through the real runner (worker or thread)."""

from __future__ import annotations

import numpy as np
import pytest

from app.models import Chunk, Document
from app.services.ingestion import ingest_documents
from app.services.library import ingest_progress
from app.services.runtime import get_index
from app.services.search import search_chunks

KNOWN = (
    "The lighthouse keeper of Skerryvore recorded that the great storm of 1844 "
    "carried away forty feet of the iron scaffolding."
)
ARTICLE = f"""# Lighthouses of Scotland

Skerryvore stands on a reef twelve miles west of Tiree.

## Construction

{KNOWN}

Work resumed the next summer with granite brought from Mull.

## Today

The light was automated in 1994 and is monitored remotely.
"""


def _ids() -> list[int]:
    return list(Document.objects.order_by("id").values_list("id", flat=True))


def test_upload_is_indexed_and_searchable(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    user = make_user()
    client.force_login(user)
    response = upload(("lighthouses.md", ARTICLE.encode()))
    assert response.status_code == 200
    assert "uploaded and queued" in response.content.decode()
    (doc_id,) = _ids()
    ingestion.wait(doc_id)

    document = Document.objects.get(pk=doc_id)
    assert document.status == Document.Status.INDEXED, document.failure_reason
    assert document.chunk_count == document.chunks.count() > 0
    assert document.title == "Lighthouses of Scotland"

    results = search_chunks(user, "What did the storm of 1844 destroy at Skerryvore?", top_k=3)
    assert results, "search found nothing"
    best = results[0].chunk
    assert KNOWN in best.text
    assert best.heading_path[-1] == "Construction"
    assert document.text[best.start : best.end] == best.text
    # The web process sees what the worker (or the ingestion thread) published.
    assert set(document.chunks.values_list("id", flat=True)) <= set(get_index().ids().tolist())

    page = client.get("/search/", {"q": "great storm scaffolding"})
    assert KNOWN in page.content.decode()


def test_delete_removes_document_from_search(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    user = make_user()
    client.force_login(user)
    upload(("lighthouses.md", ARTICLE.encode()))
    (doc_id,) = _ids()
    ingestion.wait(doc_id)
    chunk_ids = set(Chunk.objects.filter(document_id=doc_id).values_list("id", flat=True))
    assert search_chunks(user, "storm of 1844 scaffolding")

    response = client.post(f"/documents/{doc_id}/delete/", follow=True)
    assert response.status_code == 200
    assert not Document.objects.filter(pk=doc_id).exists()
    assert not Chunk.objects.filter(id__in=chunk_ids).exists()
    assert not chunk_ids & set(get_index().ids().tolist())
    assert search_chunks(user, "storm of 1844 scaffolding") == []


def test_duplicate_upload_names_the_original(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    client.force_login(make_user())
    upload(("first.md", ARTICLE.encode()))
    (doc_id,) = _ids()
    ingestion.wait(doc_id)
    chunks_before = Chunk.objects.count()

    response = upload(("copy-with-another-name.md", ARTICLE.encode()))
    text = response.content.decode()
    assert "duplicate of" in text and "Lighthouses of Scotland" in text
    assert Document.objects.count() == 1
    assert Chunk.objects.count() == chunks_before


def test_bad_files_fail_alone_with_a_reason(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    client.force_login(make_user())
    upload(
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref"),
        ("empty.txt", b""),
        ("sheet.xlsx", b"PK\x03\x04 not really a spreadsheet"),
        ("good.txt", KNOWN.encode()),
    )
    documents = {d.original_filename: d for d in Document.objects.all()}
    ingestion.wait(*[d.pk for d in documents.values()])
    for name in ("broken.pdf", "empty.txt", "sheet.xlsx"):
        failed = Document.objects.get(pk=documents[name].pk)
        assert failed.status == Document.Status.FAILED, name
        assert len(failed.failure_reason) > 10, (name, failed.failure_reason)
        assert failed.chunks.count() == 0
    good = Document.objects.get(pk=documents["good.txt"].pk)
    assert good.status == Document.Status.INDEXED, good.failure_reason


def test_oversize_upload_is_refused(client, make_user, settings, transactional_db, upload):  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 1000
    client.force_login(make_user())
    response = upload(("big.txt", b"x" * 1001))
    assert "larger than" in response.content.decode()
    assert not Document.objects.exists()


def test_rerunning_a_job_is_idempotent(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    client.force_login(make_user())
    upload(("lighthouses.md", ARTICLE.encode()))
    (doc_id,) = _ids()
    ingestion.wait(doc_id)
    before = list(Chunk.objects.filter(document_id=doc_id).values_list("id", flat=True))

    # A re-delivered message for an indexed document does nothing.
    ingest_documents([doc_id])
    assert list(Chunk.objects.filter(document_id=doc_id).values_list("id", flat=True)) == before

    # A job whose worker died mid-way left the document "embedding" with its old chunks;
    # the re-delivered job starts over and replaces them: no duplicates, no stale vectors.
    Document.objects.filter(pk=doc_id).update(status=Document.Status.EMBEDDING)
    ingest_documents([doc_id])
    after = list(Chunk.objects.filter(document_id=doc_id).values_list("id", flat=True))
    assert len(after) == len(before) and not set(after) & set(before)
    indexed = set(get_index().ids().tolist())
    assert set(after) <= indexed and not set(before) & indexed
    assert Document.objects.get(pk=doc_id).status == Document.Status.INDEXED

    # A job for a deleted document exits cleanly.
    Document.objects.filter(pk=doc_id).delete()
    ingest_documents([doc_id])


def test_reingest_from_library(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    client.force_login(make_user())
    upload(("lighthouses.md", ARTICLE.encode()))
    (doc_id,) = _ids()
    ingestion.wait(doc_id)
    client.post(f"/documents/{doc_id}/reingest/")
    ingestion.wait(doc_id)
    document = Document.objects.get(pk=doc_id)
    assert document.status == Document.Status.INDEXED
    assert document.chunks.count() == document.chunk_count


def test_missing_or_corrupt_index_is_rebuilt(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    user = make_user()
    client.force_login(user)
    upload(("lighthouses.md", ARTICLE.encode()))
    (doc_id,) = _ids()
    ingestion.wait(doc_id)
    index = get_index()
    index.path.write_bytes(b"not a faiss index")
    results = search_chunks(user, "storm of 1844 scaffolding")
    assert results and KNOWN in results[0].chunk.text
    index.path.unlink()
    assert search_chunks(user, "storm of 1844 scaffolding")


def test_status_endpoint_reports_progress(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    client.force_login(make_user())
    upload(("lighthouses.md", ARTICLE.encode()))
    (doc_id,) = _ids()
    ingestion.wait(doc_id)
    body = client.get("/documents/status/", {"ids": str(doc_id)}).json()
    assert body["documents"][0]["status"] == "indexed"
    assert body["documents"][0]["progress"] == 100
    assert client.get("/documents/status/", {"ids": "1,x"}).status_code == 400


@pytest.mark.parametrize(
    ("status", "done", "total", "unit", "label"),
    [
        (Document.Status.QUEUED, 0, 0, "", ""),
        (Document.Status.PARSING, 0, 0, "", ""),  # a text file has no pages to count
        (Document.Status.PARSING, 12, 80, "pages", "page 12 of 80"),
        (Document.Status.EMBEDDING, 256, 900, "chunks", "chunk 256 of 900"),
        (Document.Status.INDEXED, 900, 900, "", ""),
    ],
)
def test_progress_is_counted_in_the_unit_of_the_stage(status, done, total, unit, label):  # type: ignore[no-untyped-def]
    progress = ingest_progress(Document(status=status, progress_done=done, progress_total=total))
    assert (progress.unit, progress.label) == (unit, label)


@pytest.mark.parametrize("size", [3])
def test_batch_of_documents_is_indexed(make_user, ingestion, size):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from app.services.documents import upload_documents

    user = make_user()
    files = [SimpleUploadedFile(f"note-{i}.txt", f"Note number {i}: {KNOWN}".encode()) for i in range(size)]
    outcomes = upload_documents(user, files)
    ingestion.wait(*[o.document.pk for o in outcomes if o.document])
    assert Document.objects.filter(status=Document.Status.INDEXED).count() == size
    vectors = np.stack([c.vector() for c in Chunk.objects.all()])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_document_text_is_never_html(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    client.force_login(make_user())
    hostile = "Quarterly report <img src=x onerror=alert(1)> <script>alert(2)</script> revenue grew."
    upload(("hostile.txt", hostile.encode()), ("<b>name</b>.txt", b"harmless"))
    ids = _ids()
    ingestion.wait(*ids)
    for page in (
        client.get(f"/documents/{ids[0]}/"),
        client.get("/search/", {"q": "quarterly report revenue"}),
        client.get("/documents/"),
    ):
        html = page.content.decode()
        assert "<img src=x" not in html and "<script>alert" not in html and "<b>name</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get(f"/documents/{ids[0]}/").content.decode()
