"""Recovery after a killed worker: nothing stranded, no duplicates, index = database.

Stack mode only (PostgreSQL, Redis and real `celery worker` processes, started the way the
README says). Embedded mode has no separate worker to kill: its ingestion thread dies with
the web process, and the next start resumes (`resume_unfinished`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from app.models import Chunk, Document
from app.services.runtime import get_index
from tests.conftest import REPO, _database_url

pytestmark = pytest.mark.skipif(
    settings.EMBEDDED_INGESTION, reason="stack mode: needs PostgreSQL, Redis and Celery workers"
)

WORDS = [
    *("keeper", "lamp", "reef", "granite", "tide", "storm", "beacon", "harbour", "signal", "fog"),
    *("lens", "tower", "ship", "rock", "light", "island", "gale", "wave", "chart", "coast"),
]


def _document(seed: int, paragraphs: int = 60) -> bytes:
    lines = []
    for p in range(paragraphs):
        words = [WORDS[(seed * 7 + p * 3 + i * i) % len(WORDS)] for i in range(60)]
        lines.append(f"Record {seed}.{p}: " + " ".join(words) + ".")
    return "\n\n".join(lines).encode()


class Workers:
    def __init__(self, queue: str, log_dir: Path) -> None:
        self.queue, self.log_dir = queue, log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        from django.db import connection

        env = dict(os.environ, DATABASE_URL=_database_url(connection.settings_dict), TORCH_THREADS="1")
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "workers", "worker", "--concurrency=1",
                    "-Q", self.queue, "-n", f"{name}-{self.queue}@%h", "--loglevel=INFO",
                ],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, to kill the whole worker
            )  # fmt: skip
        self.processes.append(process)
        deadline = time.monotonic() + 120
        while b"ready." not in log_path.read_bytes():
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@pytest.fixture
def workers(ingestion, tmp_path) -> Iterator[Workers]:  # type: ignore[no-untyped-def]
    """Workers on a queue of this test's own; uploads from this process go to it."""
    from app.queue import celery_app

    queue = f"recovery-{uuid.uuid4().hex[:8]}"
    before = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    pool = Workers(queue, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        celery_app.conf.task_default_queue = before


def test_killed_worker_group_recovers_every_document(client, make_user, ingestion, upload, workers):  # type: ignore[no-untyped-def]
    first = workers.start("doomed")
    client.force_login(make_user())
    upload(*[(f"log-{i}.txt", _document(i)) for i in range(6)])
    ids = list(Document.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 6

    deadline = time.monotonic() + 120
    while not Document.objects.filter(id__in=ids, status=Document.Status.EMBEDDING).exists():
        assert time.monotonic() < deadline, list(Document.objects.values_list("status", flat=True))
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # the main process and its pool child, mid-embedding
    first.wait()
    killed_at = time.monotonic()
    stranded = Document.objects.filter(id__in=ids, status__in=Document.IN_PROGRESS).count()
    assert stranded > 0, "the kill came too late to test anything"

    workers.start("rescuer")
    ingestion.wait(*ids, timeout=120 - (time.monotonic() - killed_at))
    recovered_in = time.monotonic() - killed_at
    print(f"{stranded} documents stranded by the kill; all indexed {recovered_in:.0f} s after it")

    documents = list(Document.objects.filter(id__in=ids))
    assert {d.status for d in documents} == {Document.Status.INDEXED}, [
        (d.pk, d.failure_reason) for d in documents
    ]
    chunk_ids = set(Chunk.objects.filter(document_id__in=ids).values_list("id", flat=True))
    for document in documents:
        ordinals = list(document.chunks.values_list("ordinal", flat=True))
        assert sorted(ordinals) == list(range(document.chunk_count)), "missing or duplicate chunks"
    # Index = database for these documents: every chunk's vector once, nothing else in their id range.
    index_ids = get_index().ids().tolist()
    assert len(index_ids) == len(set(index_ids)), "a vector is in the index twice"
    in_range = {i for i in index_ids if min(chunk_ids) <= i <= max(chunk_ids)}
    assert in_range == chunk_ids


def test_a_small_document_goes_ahead_of_large_ones(
    client, make_user, ingestion, upload, workers, monkeypatch
):  # type: ignore[no-untyped-def]
    """While the worker is busy, a small upload waits behind no large one queued before it."""
    from app.services import dispatch

    monkeypatch.setattr(dispatch, "SMALL_DOCUMENT_BYTES", 2000)  # "large" at test scale
    workers.start("only")
    client.force_login(make_user())
    upload(("busy.txt", _document(1)))
    busy = Document.objects.get()
    deadline = time.monotonic() + 120
    while Document.objects.get(pk=busy.pk).status == Document.Status.QUEUED:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    upload(("large-1.txt", _document(2, 20)), ("large-2.txt", _document(3, 20)), ("small.txt", b"One line."))
    documents = {d.original_filename: d for d in Document.objects.all()}
    ingestion.wait(*[d.pk for d in documents.values()], timeout=180)
    done = {d.original_filename: d.indexed_at for d in Document.objects.all()}
    small, large_1, large_2 = done["small.txt"], done["large-1.txt"], done["large-2.txt"]
    assert small is not None and large_1 is not None and large_2 is not None, done
    assert small < large_1 < large_2, done
