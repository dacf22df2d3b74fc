"""Answering takes every core unless ingestion is running (here or in a worker)."""

from __future__ import annotations

import datetime

import pytest
import torch
from django.utils import timezone

from app.models import Document
from app.services import threads

pytestmark = pytest.mark.django_db


def _document(owner, status: str, heartbeat_age_s: float | None) -> Document:  # type: ignore[no-untyped-def]
    beat = None if heartbeat_age_s is None else timezone.now() - datetime.timedelta(seconds=heartbeat_age_s)
    return Document.objects.create(
        owner=owner,
        title="t",
        file="documents/t.txt",
        size_bytes=1,
        sha256=f"{Document.objects.count():064d}",
        status=status,
        heartbeat_at=beat,
    )


def test_answers_use_every_core_when_nothing_is_ingested_and_yield_when_something_is(
    make_user, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.ANSWER_THREADS = 0
    settings.TORCH_THREADS = 1
    settings.INGEST_HEARTBEAT_SECONDS = 10
    owner = make_user()
    # Waiting, finished or failed documents, and a job whose worker died, use no core.
    _document(owner, Document.Status.QUEUED, None)
    _document(owner, Document.Status.INDEXED, 1)
    _document(owner, Document.Status.FAILED, None)
    stale = _document(owner, Document.Status.EMBEDDING, 60)
    assert not threads.ingestion_running()
    assert threads.answer_threads() == threads.available_cores()

    stale.heartbeat_at = timezone.now()
    stale.save()
    assert threads.ingestion_running()
    assert threads.answer_threads() == 1

    before = torch.get_num_threads()
    try:
        assert threads.use_answer_threads() == 1 and torch.get_num_threads() == 1
        Document.objects.filter(pk=stale.pk).update(status=Document.Status.INDEXED)
        settings.ANSWER_THREADS = 2
        assert threads.use_answer_threads() == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
