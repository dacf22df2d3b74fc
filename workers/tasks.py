"""Celery tasks: take ids, call one service function, nothing else.

Idempotent by construction (see `ingest_documents`): a re-delivered message, a duplicate
sent by the sweep, a retry or a job for a deleted document does no harm. `acks_late`
(settings) means a job whose worker was killed is delivered again; the sweep
(`workers/sweep.py`) does not wait for that.
"""

from celery import shared_task

from app.queue import INGEST_TASK
from app.services.ingestion import TRANSIENT_ERRORS, ingest_documents
from workers import sweep, warm  # noqa: F401  (the sweep and the warm-up hook up to every worker)


@shared_task(
    name=INGEST_TASK,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def ingest_documents_task(document_ids: list[int]) -> None:
    ingest_documents(document_ids)
