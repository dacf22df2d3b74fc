"""Recovery: queue again what nobody is working on (workers at start and on a timer; the
embedded web process at start)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from app.models import Document
from app.services.documents import queue_ingestion, send_queued
from app.services.ingestion import abandoned_claims

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    abandoned: int  # claims of dead workers, queued again
    sent: int  # queued documents handed to the queue
    unsent: int  # still waiting: the broker is unreachable


SWEEP_BATCH = 500


def sweep(queue: str | None = None) -> SweepReport:
    """Queue again what nobody is working on; workers run this at start and on a timer.

    * A document whose claim's heartbeat is older than INGEST_STALE_SECONDS was being
      ingested by a worker that died (killed, out of memory, machine lost): back to queued.
    * A queued document never handed to the queue (stored while Redis was down), or handed
      over longer ago than the visibility timeout (message lost), is sent now.
    Sending twice is harmless: a job skips documents another live job has claimed.
    """
    now = timezone.now()
    abandoned = Document.objects.filter(
        abandoned_claims(now - timedelta(seconds=settings.INGEST_STALE_SECONDS))
    )
    count = abandoned.update(
        status=Document.Status.QUEUED, ingest_token="", heartbeat_at=None, dispatched_at=None, progress_done=0
    )
    if count:
        log.warning("%d documents were abandoned by a stopped worker; queued again", count)
    lost_before = now - timedelta(seconds=settings.INGEST_VISIBILITY_TIMEOUT)
    # Evaluation and benchmark collections are ingested by their own command, which may keep
    # documents queued for longer than that: they are not "lost", leave them to it.
    lost = Q(dispatched_at__lt=lost_before) & ~Q(collection__is_evaluation=True)
    waiting = list(
        Document.objects.filter(status=Document.Status.QUEUED)
        .filter(Q(dispatched_at__isnull=True) | lost)
        .order_by("pk")
        .values_list("pk", "size_bytes")[:SWEEP_BATCH]
    )
    sent = 0
    for pk, size in waiting:
        if not send_queued(pk, size, queue):
            break  # the broker is down; the next sweep tries again
        sent += 1
    if sent:
        log.info("sweep queued %d documents", sent)
    return SweepReport(abandoned=count, sent=sent, unsent=len(waiting) - sent)


def resume_unfinished() -> int:
    """Embedded start-up: queue documents a stopped server left queued or half-done.

    In embedded mode the ingestion thread lives in the web process, so at start nothing
    else can be working on them, whatever their heartbeat says.
    """
    ids = list(Document.objects.filter(status__in=Document.IN_PROGRESS).values_list("id", flat=True))
    Document.objects.filter(pk__in=ids).update(
        status=Document.Status.QUEUED, ingest_token="", heartbeat_at=None, dispatched_at=None
    )
    queue_ingestion(ids)
    return len(ids)
