"""The sweep and the claims it relies on: stale claims re-queued, fresh ones left alone,
unsent documents sent, and the library saying why a document is not moving."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from app.models import Document, IngestionWorker
from app.services.documents import upload_documents
from app.services.ingestion import ingest_documents
from app.services.library import waiting_notes
from app.services.sweep import sweep

TEXT = "The Bell Rock lighthouse was built between 1807 and 1810 on a reef in the North Sea."


def _stored(user, *names: str) -> list[Document]:  # type: ignore[no-untyped-def]
    files = [SimpleUploadedFile(name, f"{TEXT} ({name})".encode()) for name in names]
    return [o.document for o in upload_documents(user, files, queue=False) if o.document is not None]


def test_sweep_requeues_dead_claims_and_sends_unsent_documents(make_user, ingestion, settings):  # type: ignore[no-untyped-def]
    dead, live, unsent = _stored(make_user(), "dead.txt", "live.txt", "unsent.txt")
    now = timezone.now()
    Document.objects.filter(pk=dead.pk).update(
        status=Document.Status.EMBEDDING, ingest_token="dead", heartbeat_at=now - timedelta(minutes=5)
    )
    Document.objects.filter(pk=live.pk).update(
        status=Document.Status.PARSING, ingest_token="live", heartbeat_at=now
    )
    Document.objects.filter(pk=unsent.pk).update(dispatched_at=None)  # stored while Redis was down

    report = sweep()
    if settings.EMBEDDED_INGESTION:
        assert (report.abandoned, report.sent, report.unsent) == (1, 2, 0)
    else:  # the session's worker sweeps too, and may have taken some first
        assert report.abandoned <= 1 and report.sent <= 2 and report.unsent == 0
    ingestion.wait(dead.pk, unsent.pk)
    assert Document.objects.get(pk=dead.pk).status == Document.Status.INDEXED
    assert Document.objects.get(pk=unsent.pk).status == Document.Status.INDEXED

    # A duplicate or re-delivered job leaves a live claim alone: no second copy of the work.
    ingest_documents([live.pk])
    row = Document.objects.get(pk=live.pk)
    assert (row.status, row.ingest_token) == (Document.Status.PARSING, "live")
    assert sweep().abandoned == 0


def test_library_says_why_a_document_waits(make_user, db, settings):  # type: ignore[no-untyped-def]
    settings.EMBEDDED_INGESTION = False
    IngestionWorker.objects.all().delete()  # in this test's transaction: workers of the session vanish
    queued, unsent, interrupted, running = _stored(make_user(), "a.txt", "b.txt", "c.txt", "d.txt")
    now = timezone.now()
    Document.objects.filter(pk=unsent.pk).update(dispatched_at=None)
    Document.objects.filter(pk=interrupted.pk).update(
        status=Document.Status.EMBEDDING, heartbeat_at=now - timedelta(minutes=2)
    )
    Document.objects.filter(pk=running.pk).update(status=Document.Status.EMBEDDING, heartbeat_at=now)
    documents = list(Document.objects.all())

    notes = waiting_notes(documents)  # no worker has ever been seen
    assert set(notes) == {queued.pk, unsent.pk, interrupted.pk, running.pk}
    assert all(n.startswith("Waiting for a worker") for n in notes.values())

    IngestionWorker.objects.create(name="w1@host", seen_at=now)
    notes = waiting_notes(documents)
    assert notes[unsent.pk].startswith("Stored, not yet queued")
    assert notes[interrupted.pk].startswith("Interrupted")
    assert queued.pk not in notes and running.pk not in notes

    settings.EMBEDDED_INGESTION = True  # the ingestion thread is the web process itself
    assert waiting_notes(documents) == {}


def test_sweep_resends_lost_messages_but_not_evaluation_runs(make_user, db, settings, monkeypatch):  # type: ignore[no-untyped-def]
    from app.models import Collection
    from app.services import documents

    sent: list[int] = []

    def record(ids, run, **options):  # type: ignore[no-untyped-def]
        sent.extend(ids)
        return True

    monkeypatch.setattr(documents, "dispatch", record)
    user = make_user()
    (lost,) = _stored(user, "lost.txt")
    evaluation = Collection.objects.create(owner=user, name="eval", is_evaluation=True)
    files = [SimpleUploadedFile("eval.txt", b"An evaluation passage about lighthouses.")]
    (outcome,) = upload_documents(user, files, collection=evaluation, queue=False)
    assert outcome.document is not None
    long_ago = timezone.now() - timedelta(seconds=settings.INGEST_VISIBILITY_TIMEOUT + 60)
    Document.objects.update(dispatched_at=long_ago)
    assert sweep().sent == 1
    assert sent == [lost.pk]
