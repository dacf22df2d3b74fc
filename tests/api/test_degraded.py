"""Degrade, don't fail, when Redis is down: throttling counts locally, uploads are stored and
queued later by the workers' sweep, and /healthz says which part is missing (503).

"Redis down" is a closed port: the same refusal a stopped Redis gives.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from app.api import throttling
from app.models import Document
from tests.api.conftest import LIGHTHOUSE
from tests.servers import base_env, free_port, gunicorn, multipart, request

JSON: dict[str, Any] = {"Content-Type": "application/json"}

CLOSED_REDIS = f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def redis_cache_down(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """The shared cache is a Redis that refuses connections; the throttle starts afresh."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    monkeypatch.setattr(throttling.ApiTokenThrottle, "cache", throttling.FallbackCache())


def test_api_serves_and_throttles_locally_without_redis(api_client, redis_cache_down, settings, caplog):  # type: ignore[no-untyped-def]
    settings.API_THROTTLE_RATE = "3/minute"
    client = api_client("alice")
    began = time.monotonic()
    statuses = [client.get("/api/documents/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429], statuses  # counted in memory, still enforced
    assert time.monotonic() - began < 5
    warnings = [r for r in caplog.records if "throttle cache unavailable" in r.getMessage()]
    assert len(warnings) == 1, "the fallback is logged once, not on every request"


def test_healthz_is_ready_and_fast(client, db):  # type: ignore[no-untyped-def]
    began = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - began
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {k: v["ok"] for k, v in body.items() if k != "status"} == {
        "database": True,
        "broker": True,
        "index": True,
        "models": True,
    }
    assert "loaded" in body["models"]["detail"]
    assert elapsed < 1, elapsed


def test_healthz_tells_warming_from_ready(client, db):  # type: ignore[no-untyped-def]
    """A process warming its models is starting (503); once warm it is ready (200)."""
    from app.services import runtime

    thread = runtime.warm_up_in_background(engine=False)
    # Either still warming (503 and says so) or already warm: never "ready" before it is.
    early = client.get("/healthz")
    if early.status_code == 503:
        assert early.json()["models"]["detail"].endswith("warming")
    thread.join(timeout=120)
    ready = client.get("/healthz")
    assert ready.status_code == 200 and ready.json()["models"]["detail"].endswith("ready")
    assert runtime.loaded()["encoder"]


def test_healthz_says_503_when_the_broker_is_down(client, db, settings):  # type: ignore[no-untyped-def]
    settings.REDIS_URL = CLOSED_REDIS
    settings.EMBEDDED_INGESTION = False
    began = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - began < 1
    body = response.json()
    assert response.status_code == 503, body
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False and "unreachable" in body["broker"]["detail"]
    assert body["database"]["ok"] is True


@pytest.mark.skipif(settings.EMBEDDED_INGESTION, reason="stack mode: needs PostgreSQL and a Celery worker")
def test_uploads_without_redis_are_stored_then_queued_by_the_sweep(  # type: ignore[no-untyped-def]
    ingestion, api_client, tmp_path
):
    """A real gunicorn whose REDIS_URL is a closed port, beside a worker that reaches Redis."""
    from django.db import connection

    from tests.conftest import _database_url

    alice = api_client("alice")
    browser = Client()
    browser.force_login(alice.user)
    session = browser.cookies["sessionid"].value
    env = base_env(REDIS_URL=CLOSED_REDIS, DATABASE_URL=_database_url(connection.settings_dict))
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        auth: dict[str, Any] = {"Authorization": f"Bearer {alice.key}"}
        # API upload: stored, answered at once, and it says the file waits for the queue.
        body, content_type = multipart([("lighthouses.md", LIGHTHOUSE.encode())])
        began = time.monotonic()
        status, raw, _ = request(
            server, "POST", "/api/documents/", body, **{**auth, "Content-Type": content_type}
        )
        assert status == 201, raw
        assert time.monotonic() - began < 10
        (row,) = json.loads(raw)["documents"]
        assert row["outcome"] == "created" and row["queued"] is False

        # Page upload: stored, with a message saying so instead of "Server Error (500)".
        jar = {"sessionid": session}

        def page(method: str, body: bytes | None = None, **headers: Any) -> tuple[int, str]:
            cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
            status, raw, received = request(server, method, "/documents/", body, Cookie=cookie, **headers)
            for line in received.get_all("Set-Cookie") or []:
                name, value = line.split(";", 1)[0].split("=", 1)
                jar[name] = value
            return status, raw.decode()

        status, _ = page("GET")
        assert status == 200
        body, content_type = multipart(
            [("notes.txt", b"The fog signal at Skerryvore was a siren fitted in 1908.")],
            csrfmiddlewaretoken=jar["csrftoken"],
        )
        status, _ = page("POST", body, **{"Content-Type": content_type})
        assert status == 302
        status, text = page("GET")
        assert "notes.txt was stored, but the ingestion queue cannot be reached right now" in text, text

        # Reads, search and answers keep working (the throttle counts in memory).
        for path in ("/api/documents/", f"/api/documents/{row['document']['id']}/"):
            status, raw, _ = request(server, "GET", path, **auth)
            assert status == 200, raw
        status, raw, _ = request(
            server,
            "POST",
            "/api/search/",
            b'{"query": "storm"}',
            **auth,
            **JSON,
        )
        assert status == 200, raw
        question = b'{"question": "What did the storm carry away?", "max_new_tokens": 8}'
        status, raw, _ = request(server, "POST", "/api/ask/", question, **auth, **JSON)
        assert status == 200, raw  # answers too (nothing indexed yet: "the documents don't say")
        status, raw, _ = request(server, "GET", "/healthz")
        assert status == 503 and json.loads(raw)["broker"]["ok"] is False
        log = Path(tmp_path / "gunicorn.log").read_text()
        assert "Server Error" not in log and "Traceback" not in log, log[-3000:]

    documents = list(Document.objects.all())
    assert len(documents) == 2
    # The worker's sweep (it reaches Redis) hands them to the queue: both end indexed.
    ingestion.wait(*[d.pk for d in documents], timeout=120)
    for document in Document.objects.all():
        assert document.status == Document.Status.INDEXED, document.failure_reason
        assert document.dispatched_at is not None
