"""Finding documents in what a user may see, and saying honestly why one is not moving."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from app.models import Document, IngestionWorker
from app.services.visibility import visible_documents
from app.users import User

ACTIVE = (Document.Status.PARSING, Document.Status.EMBEDDING)


def find_documents(
    user: User | AnonymousUser,
    *,
    status: str | None = None,
    format: str | None = None,
    title_contains: str | None = None,
    ids: list[int] | None = None,
) -> QuerySet[Document]:
    """Documents the user may see (newest first), narrowed by the filters given."""
    documents = visible_documents(user)
    if status:
        documents = documents.filter(status=status)
    if format:
        documents = documents.filter(format=format)
    if title_contains:
        documents = documents.filter(title__icontains=title_contains)
    if ids is not None:
        documents = documents.filter(id__in=ids)
    return documents.select_related("owner")


@dataclass(frozen=True)
class IngestProgress:
    """How far a document's ingestion is, counted in the unit of its current stage."""

    done: int
    total: int
    unit: str  # "pages" while a paged file (PDF) is read, "chunks" while embedding, else ""

    @property
    def label(self) -> str:
        """ "page 12 of 80", "chunk 256 of 900"; "" when there is nothing to count."""
        if not self.unit:
            return ""
        return f"{self.unit.removesuffix('s')} {self.done} of {self.total}"


def ingest_progress(document: Document) -> IngestProgress:
    """The progress the library shows. `progress_done/total` count pages read while a PDF is
    parsed (formats without pages have none to count) and chunks embedded after that."""
    units = {Document.Status.PARSING: "pages", Document.Status.EMBEDDING: "chunks"}
    unit = units.get(Document.Status(document.status), "") if document.progress_total else ""
    if not unit:
        return IngestProgress(0, 0, "")
    return IngestProgress(min(document.progress_done, document.progress_total), document.progress_total, unit)


def record_worker_seen(name: str) -> None:
    """A worker is alive (called by its sweep); rows of long-gone workers are dropped."""
    now = timezone.now()
    IngestionWorker.objects.update_or_create(name=name[:300], defaults={"seen_at": now})
    IngestionWorker.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


def workers_alive() -> int:
    """Workers whose sweep ran recently (two sweep periods, plus slack for a busy machine)."""
    window = timedelta(seconds=2 * settings.INGEST_SWEEP_SECONDS + 15)
    return IngestionWorker.objects.filter(seen_at__gte=timezone.now() - window).count()


def waiting_notes(documents: Iterable[Document]) -> dict[int, str]:
    """For in-progress documents that are not moving, why, in words for the uploader.

    Embedded mode has none to give: its ingestion thread lives in the web process itself.
    """
    if settings.EMBEDDED_INGESTION:
        return {}
    pending = [d for d in documents if d.status in Document.IN_PROGRESS]
    if not pending:
        return {}
    stale_before = timezone.now() - timedelta(seconds=settings.INGEST_STALE_SECONDS)
    alive = workers_alive() > 0
    notes: dict[int, str] = {}
    for document in pending:
        if not alive:
            notes[document.pk] = "Waiting for a worker: no ingestion worker is running right now."
        elif document.status == Document.Status.QUEUED and document.dispatched_at is None:
            notes[document.pk] = (
                "Stored, not yet queued: the ingestion queue (Redis) cannot be reached. "
                "It is queued automatically as soon as the queue is back."
            )
        elif document.status in ACTIVE and (
            document.heartbeat_at is None or document.heartbeat_at < stale_before
        ):
            notes[document.pk] = "Interrupted: its worker stopped. It starts over when a worker picks it up."
    return notes
