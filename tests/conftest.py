"""Shared fixtures: users, and ingestion that runs for real.

With DATABASE_URL and REDIS_URL set (as `.ci/run` does) ingestion goes through a real
Celery worker process reading the same PostgreSQL test database; otherwise it runs in
embedded mode, in a thread of the test process. Tests that ingest use the
`ingestion` fixture, which gives them committed transactions (workers only see
committed rows) and a way to wait for documents to settle.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # app modules load once Django is set up, inside the fixtures
    from app.models import Document
    from app.users import User

REPO = Path(__file__).resolve().parent.parent
# The shared evaluation data: ../shared/data beside the checkout, or SHARED_DATA_DIR.
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR") or REPO.parent / "shared" / "data")
# CI sets CI=true (GitHub, GitLab and .ci/run all do).
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_shared_data(relative: str) -> Path:
    """`../shared/data/<relative>`, which the calling test needs, or the test does not run.

    Locally a missing data set skips the test: not every checkout has the shared data. In
    CI it fails it, with what is missing: a CI run without the data would otherwise pass
    with every test that needs it skipped. The one place that makes that choice; tests
    call it from fixtures, or mark themselves `@needs_shared_data(...)`.
    """
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"{path} is missing (the shared evaluation data; see its README)"
        if IN_CI:
            pytest.fail(f"{message}: with CI=true a test that needs it fails, not skips", pytrace=False)
        pytest.skip(message)
    return path


def needs_shared_data(*relative: str) -> pytest.MarkDecorator:
    """Mark a test (or module, as `pytestmark`) that reads these paths under ../shared/data."""
    return pytest.mark.shared_data(*relative)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # tryfirst: before the skip of an empty parameter set (a sweep over a missing folder).
    for mark in item.iter_markers("shared_data"):
        for relative in mark.args:
            require_shared_data(relative)


@pytest.fixture
def make_user(django_user_model):  # type: ignore[no-untyped-def]
    def make(username: str = "alice", **extra: object):  # type: ignore[no-untyped-def]
        return django_user_model.objects.create_user(username=username, password="pw-" + username, **extra)

    return make


def _database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A real `celery worker` process on a queue of this session's own."""
    from django.conf import settings
    from django.db import connection

    from workers.celery import app as celery_app

    if settings.EMBEDDED_INGESTION:
        yield None
        return
    queue = f"test-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = queue
    env = dict(os.environ, DATABASE_URL=_database_url(connection.settings_dict), TORCH_THREADS="1")
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    node = f"{queue}@%h"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                node,
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("celery worker did not start:\n" + log_path.read_text()[-4000:])
        time.sleep(0.2)
    yield None
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    print("celery worker log:", log_path)


class Ingestion:
    """Waits for documents to leave the queued/parsing/embedding states."""

    def index(self, owner: User, name: str, data: bytes, timeout: float = 180) -> Document:
        """Upload one file as `owner`, wait for it and return its Document, indexed."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from app.models import Document
        from app.services.documents import upload_documents

        (outcome,) = upload_documents(owner, [SimpleUploadedFile(name, data)])
        assert outcome.document is not None
        self.wait(outcome.document.pk, timeout=timeout)
        document = Document.objects.get(pk=outcome.document.pk)
        assert document.status == Document.Status.INDEXED, document.failure_reason
        return document

    def wait(self, *document_ids: int, timeout: float = 180) -> None:
        from app.models import Document

        deadline = time.monotonic() + timeout
        while True:
            busy = Document.objects.filter(id__in=document_ids, status__in=Document.IN_PROGRESS)
            if not busy.exists():
                return
            if time.monotonic() > deadline:
                states = list(busy.values_list("id", "status"))
                raise AssertionError(f"documents still in progress after {timeout}s: {states}")
            time.sleep(0.2)


@pytest.fixture
def ingestion(transactional_db, celery_worker_process, settings, tmp_path) -> Iterator[Ingestion]:  # type: ignore[no-untyped-def]
    """Real ingestion for this test: a Celery worker (stack) or the embedded thread."""
    from app.services import runtime

    if settings.EMBEDDED_INGESTION:
        # SQLite may reuse the ids of rolled-back rows, so each test gets its own index.
        settings.INDEX_DIR = tmp_path / "index"
        runtime.reset_index()
    yield Ingestion()
    if settings.EMBEDDED_INGESTION:
        from app.services.dispatch import wait_for_embedded_jobs

        wait_for_embedded_jobs()
        runtime.reset_index()


@pytest.fixture
def upload(client) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """POST files to the library page as the logged-in client."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def post(*files: tuple[str, bytes]):  # type: ignore[no-untyped-def]
        payload = [SimpleUploadedFile(name, data) for name, data in files]
        return client.post("/documents/", {"files": payload}, follow=True)

    return post
