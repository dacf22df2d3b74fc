"""Streaming under gunicorn's threads, as deployed: events arrive, other requests are served
meanwhile, and a client that goes away stops the answer.

The server is a real `gunicorn` process on the embedded default (its own data directory,
SQLite, ingestion in a thread), set up with `migrate` and `create_api_token`.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.api.conftest import LIGHTHOUSE, MAX_NEW_TOKENS, QUESTION, parse_sse

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, port: int, key: str):
        self.port, self.key = port, key

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Authorization": f"Bearer {self.key}", **headers}
        if body is not None and "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(data) if is_json and data else data

    def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        return self.request("POST", path, json.dumps(payload).encode())

    def upload(self, name: str, data: bytes) -> tuple[int, Any]:
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", "/api/documents/", body, **{"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )

    def open_stream(self, payload: dict[str, Any]) -> socket.socket:
        body = json.dumps(payload).encode()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=120)
        sock.sendall(
            f"POST /api/ask/stream/ HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return sock


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    data_dir = tmp_path_factory.mktemp("gunicorn-data")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DATA_DIR=str(data_dir),
        MODEL_CACHE_DIR=str(settings.MODEL_CACHE_DIR),
        HF_HUB_OFFLINE="1",
        TORCH_THREADS="1",
        WEB_THREADS="4",
        DJANGO_SETTINGS_MODULE="app.settings",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0", "--skip-checks"], cwd=REPO, env=env, check=True)
    key = subprocess.run(
        [*manage, "create_api_token", "gunicorn-user", "--create-user"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = _free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "app.wsgi", "--config", "gunicorn.conf.py"]
    log_path = data_dir / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*gunicorn, "--bind", f"127.0.0.1:{port}"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield Server(port, key)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def document(server: Server) -> dict[str, Any]:
    status, body = server.upload("lighthouses.md", LIGHTHOUSE.encode())
    assert status == 201, body
    doc_id = body["documents"][0]["document"]["id"]
    deadline = time.monotonic() + 180
    while True:
        status, progress = server.request("GET", f"/api/documents/{doc_id}/progress/")
        assert status == 200, progress
        if progress["status"] not in {"queued", "parsing", "embedding"}:
            break
        assert time.monotonic() < deadline, progress
        time.sleep(0.3)
    assert progress["status"] == "indexed", progress
    return progress


def test_stream_under_gunicorn(server: Server, document: dict[str, Any]) -> None:
    payload = {"question": QUESTION, "max_new_tokens": MAX_NEW_TOKENS}
    status, raw = server.post_json("/api/ask/stream/", payload)
    assert status == 200
    events = parse_sse(raw)
    assert events[0][0] == "start" and events[-1][0] == "done"
    assert {name for name, _ in events[1:-1]} == {"token"}
    assert events[0][1]["passages"][0]["document_id"] == document["id"]
    assert events[-1][1]["message"]["status"] == "complete"


def test_disconnect_under_gunicorn_stops_the_answer(server: Server, document: dict[str, Any]) -> None:
    # Written freely (not copied), so the answer is long enough to leave in the middle.
    sock = server.open_stream({"question": QUESTION, "max_new_tokens": 400, "mode": "free"})
    data = b""
    while b"event: token" not in data:
        piece = sock.recv(4096)
        assert piece, data
        data += piece
    start = next(d for name, d in parse_sse(data.split(b"\r\n\r\n", 1)[1]) if name == "start")

    # Meanwhile another thread serves other requests.
    began = time.monotonic()
    status, listing = server.request("GET", "/api/documents/")
    assert status == 200 and listing["count"] == 1
    assert time.monotonic() - began < 10

    sock.close()
    deadline = time.monotonic() + 60
    while True:
        status, conversation = server.request("GET", f"/api/conversations/{start['conversation']}/")
        assert status == 200
        messages = conversation["messages"]
        if len(messages) == 2 and messages[1]["status"] != "streaming":
            break
        assert time.monotonic() < deadline, "the answer was never saved"
        time.sleep(0.2)
    answer = messages[1]
    assert answer["status"] == "cancelled", answer["status"]
    assert answer["content"]  # what was written before the client left
