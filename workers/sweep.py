"""The sweep: every worker re-queues documents nobody is working on, at start and on a timer.

Why not Celery beat: beat is a separate process (or `-B`, for one worker only) that the
documented `celery -A workers worker` command does not start. Instead each worker's main
process runs `app.services.sweep.sweep` when it is ready and then every
INGEST_SWEEP_SECONDS in a daemon thread. The sweep is safe to run in several workers at
once (a document sent twice is ingested once), so no leader is needed.

It re-queues documents whose claim's heartbeat went stale (their worker died: with the
defaults, within INGEST_STALE_SECONDS + INGEST_SWEEP_SECONDS = 45 s) and sends queued
documents that never reached the broker (stored while Redis was down). Jobs are sent to a
queue this worker consumes, so a worker started with `-Q` sweeps into its own queue.
Each sweep also records the worker as seen, which the library uses to say "waiting for a
worker" when there is none.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections, connection

from app.services.library import record_worker_seen
from app.services.sweep import sweep

log = logging.getLogger(__name__)

_stop = threading.Event()


def _own_queue(consumer: Any) -> str | None:
    try:
        names = [queue.name for queue in consumer.task_consumer.queues]
    except AttributeError:
        return None
    default = consumer.app.conf.task_default_queue
    if default in names:
        return str(default)
    return str(names[0]) if names else None


def _sweep_once(worker: str, queue: str | None) -> None:
    try:
        close_old_connections()
        record_worker_seen(worker)
        report = sweep(queue)
        if report.unsent:
            log.warning("%d queued documents wait for the broker", report.unsent)
    except Exception:  # the database or broker may be down; the next round tries again
        log.exception("ingestion sweep failed")
    finally:
        connection.close()


def _loop(worker: str, queue: str | None) -> None:
    _sweep_once(worker, queue)
    while not _stop.wait(settings.INGEST_SWEEP_SECONDS):
        _sweep_once(worker, queue)


@worker_ready.connect
def start_sweeping(sender: Any = None, **kwargs: Any) -> None:
    worker = str(getattr(sender, "hostname", None) or "worker")
    queue = _own_queue(sender)
    log.info("ingestion sweep every %ss into queue %s", settings.INGEST_SWEEP_SECONDS, queue)
    _stop.clear()
    threading.Thread(target=_loop, args=(worker, queue), name="ingest-sweep", daemon=True).start()


@worker_shutdown.connect
def stop_sweeping(**kwargs: Any) -> None:
    _stop.set()
