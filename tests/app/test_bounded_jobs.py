"""Bounded documents and cancellable jobs: a cap names its setting; deleting or re-queueing a
document stops the job working on it between encoder batches.

The job runs in this process (`ingest_documents`), the real pipeline, so that the settings
and the moment of deletion are the test's own in both modes.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from app.models import Chunk, Document
from app.services import ingestion as service
from app.services.documents import delete_document, reingest_document, upload_documents
from app.services.ingestion import ingest_documents
from app.services.runtime import get_index


def _store(user, name: str, paragraphs: int) -> Document:  # type: ignore[no-untyped-def]
    text = "\n\n".join(
        f"Entry {i}: the keeper noted the wind, the tide at the reef and the state of the lamp in his log."
        for i in range(paragraphs)
    )
    (outcome,) = upload_documents(user, [SimpleUploadedFile(name, text.encode())], queue=False)
    assert outcome.document is not None
    return outcome.document


def test_character_cap_fails_with_a_reason_naming_the_setting(make_user, transactional_db, settings):  # type: ignore[no-untyped-def]
    settings.INGEST_MAX_CHARACTERS = 1000
    document = _store(make_user(), "long.txt", 40)
    ingest_documents([document.pk])
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert (
        "over the limit of 1,000 characters per document (INGEST_MAX_CHARACTERS)" in document.failure_reason
    )
    assert not Chunk.objects.filter(document=document).exists()


def test_chunk_cap_fails_with_a_reason_naming_the_setting(make_user, transactional_db, settings):  # type: ignore[no-untyped-def]
    settings.INGEST_MAX_CHUNKS = 2
    settings.CHUNK_TOKENS = 64
    settings.CHUNK_OVERLAP_TOKENS = 8
    document = _store(make_user(), "long.txt", 40)
    ingest_documents([document.pk])
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert "over the limit of 2 chunks per document (INGEST_MAX_CHUNKS)" in document.failure_reason
    small = _store(make_user("bob"), "short.txt", 1)
    ingest_documents([small.pk])
    assert Document.objects.get(pk=small.pk).status == Document.Status.INDEXED


def _run_in_background(document: Document) -> threading.Thread:
    def run() -> None:
        from django.db import connection

        try:
            ingest_documents([document.pk])
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while Document.objects.get(pk=document.pk).progress_done == 0:
        assert thread.is_alive() and time.monotonic() < deadline, "the job never started embedding"
        time.sleep(0.05)
    return thread


@pytest.fixture
def small_batches(monkeypatch, settings):  # type: ignore[no-untyped-def]
    """Check between batches of 4 chunks of 64 tokens: a job of many short encoder steps."""
    monkeypatch.setattr(service, "PROGRESS_STEP", 4)
    settings.CHUNK_TOKENS = 64
    settings.CHUNK_OVERLAP_TOKENS = 8


def test_delete_stops_a_running_job(make_user, ingestion, small_batches, caplog):  # type: ignore[no-untyped-def]
    document = _store(make_user(), "log.txt", 120)
    thread = _run_in_background(document)
    delete_document(Document.objects.get(pk=document.pk))
    thread.join(timeout=30)
    assert not thread.is_alive(), "the job went on after its document was deleted"
    assert any("their job stops" in r.getMessage() for r in caplog.records)
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not Chunk.objects.filter(document_id=document.pk).exists()


def test_reingest_stops_the_running_job_and_starts_over(make_user, ingestion, small_batches, caplog):  # type: ignore[no-untyped-def]
    document = _store(make_user(), "log.txt", 120)
    thread = _run_in_background(document)
    reingest_document(Document.objects.get(pk=document.pk))  # queues a new job (worker or thread)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert any("their job stops" in r.getMessage() for r in caplog.records)
    ingestion.wait(document.pk, timeout=300)
    document.refresh_from_db()
    assert document.status == Document.Status.INDEXED, document.failure_reason
    ordinals = list(Chunk.objects.filter(document=document).values_list("ordinal", flat=True))
    assert sorted(ordinals) == list(range(document.chunk_count))
    assert set(Chunk.objects.filter(document=document).values_list("id", flat=True)) <= set(
        get_index().ids().tolist()
    )
