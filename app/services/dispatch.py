"""Where ingestion jobs run: Celery workers (stack) or a thread of this process (embedded).

Embedded mode keeps uploads non-blocking without a broker: one background thread takes
jobs in order. One thread is deliberate: the encoder already uses this process's share
of the cores, and SQLite takes one writer at a time.

This module knows nothing of what a job does: the caller passes the function to run
(embedded) and the job is sent to workers by task name (stack), so neither this module
nor the service layer imports `workers` (see `app/queue.py`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from app.queue import INGEST_TASK, celery_app

log = logging.getLogger(__name__)

# Redis priorities: lower runs first. Small documents go ahead of large ones waiting in the
# queue, so a one-page upload is not stuck behind a queue of books.
PRIORITY_SMALL, PRIORITY_LARGE = 0, 6
SMALL_DOCUMENT_BYTES = 512 * 1024
# Sending must fail fast when the broker is down: the upload is stored either way and the
# sweep sends it later, so a page must not hang on retries.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _run_embedded(run: Callable[[list[int]], None], document_ids: list[int]) -> None:
    try:
        run(document_ids)
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


def priority_for(size_bytes: int) -> int:
    return PRIORITY_SMALL if size_bytes <= SMALL_DOCUMENT_BYTES else PRIORITY_LARGE


def dispatch(
    document_ids: Sequence[int],
    run: Callable[[list[int]], None],
    *,
    priority: int = PRIORITY_SMALL,
    queue: str | None = None,
) -> bool:
    """Start ingesting these documents in the background; False if the queue is unreachable.

    Embedded: `run(ids)` in the ingestion thread. Stack: a message for the worker's task
    (named `INGEST_TASK`) on `queue` (default: the configured default queue). A broker
    that cannot be reached is logged and reported, never raised: the caller keeps the
    documents queued and the workers' sweep sends them when the broker is back.
    """
    ids = [int(i) for i in document_ids]
    if settings.EMBEDDED_INGESTION:
        _embedded_executor().submit(_run_embedded, run, ids)
        return True
    options: dict[str, object] = {"priority": priority, "retry_policy": PUBLISH_RETRY_POLICY}
    if queue:
        options["queue"] = queue
    try:
        celery_app.send_task(INGEST_TASK, args=[ids], **options)  # type: ignore[arg-type]
    except Exception as error:  # kombu/redis raise several unrelated types for "unreachable"
        log.warning("cannot queue documents %s, the broker is unreachable: %s", ids, error)
        return False
    return True


def wait_for_embedded_jobs() -> None:
    """Block until every embedded job queued so far has finished (tests, commands)."""
    executor = _embedded_executor()
    executor.submit(lambda: None).result()
