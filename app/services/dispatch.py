"""Where ingestion jobs run: Celery workers (stack) or a thread of this process (embedded).

Embedded mode keeps uploads non-blocking without a broker: one background thread takes
jobs in order. One thread is deliberate: the encoder already uses this process's share
of the cores, and SQLite takes one writer at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _run_embedded(document_ids: list[int]) -> None:
    from app.services.ingestion import ingest_documents

    try:
        ingest_documents(document_ids)
    except Exception:
        log.exception("embedded ingestion of %s failed", document_ids)
    finally:
        close_old_connections()


def _embedded_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        return _executor


def dispatch(document_ids: Sequence[int]) -> Future[None] | None:
    """Start ingesting these documents in the background."""
    ids = [int(i) for i in document_ids]
    if settings.EMBEDDED_INGESTION:
        return _embedded_executor().submit(_run_embedded, ids)
    from workers.tasks import ingest_documents_task

    ingest_documents_task.delay(ids)
    return None


def wait_for_embedded_jobs() -> None:
    """Block until every embedded job queued so far has finished (tests, commands)."""
    executor = _embedded_executor()
    executor.submit(lambda: None).result()


def resume_unfinished() -> int:
    """Queue documents left queued or half-done, e.g. by a stopped embedded server."""
    from app.models import Document
    from app.services.ingestion import queue_ingestion

    ids = list(Document.objects.filter(status__in=Document.IN_PROGRESS).values_list("id", flat=True))
    queue_ingestion(ids)
    return len(ids)
