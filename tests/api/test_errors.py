"""One JSON error shape everywhere under /api (OpenAI's under /v1), throttling, and the schema."""

from __future__ import annotations

import json
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from app.api.uploads import check_filename
from tests.api.conftest import assert_error


def test_unknown_paths_are_json_404s(api_client, db):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    assert_error(alice.get("/api/nothing/here/"), 404, "not_found")
    assert_error(alice.post("/api/nothing/"), 404, "not_found")  # no CSRF page either
    hint = assert_error(alice.get("/api/documents"), 404)["message"]
    assert "/api/documents/" in hint  # the missing slash is named
    assert_error(alice.get("/api/documents/abc/"), 404)
    response = alice.get("/v1/completions")
    assert response.status_code == 404 and response.json()["error"]["type"] == "invalid_request_error"
    assert_error(Client().get("/api/unknown/"), 404)  # before authentication, too


def test_wrong_method_and_malformed_bodies(api_client, db):  # type: ignore[no-untyped-def]
    alice = api_client("alice")
    assert_error(alice.get("/api/search/"), 405, "method_not_allowed")
    assert_error(alice.put("/api/documents/1/"), 405)
    error = assert_error(
        alice.generic("POST", "/api/search/", b'{"query": ', content_type="application/json"), 400
    )
    assert error["code"] == "parse_error"
    assert_error(alice.generic("POST", "/api/search/", b"[1, 2]", content_type="application/json"), 400)
    assert_error(alice.generic("POST", "/api/search/", b"query=x", content_type="text/plain"), 415)
    assert_error(
        alice.generic("POST", "/api/search/", b'{"query": NaN}', content_type="application/json"), 400
    )
    error = assert_error(alice.get("/api/documents/", {"page": 99}), 404)
    assert error["message"]


def test_oversize_json_body_is_413(api_client, db, settings):  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"query": "x" * 2000})
    response = api_client("alice").generic("POST", "/api/search/", body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_throttling_is_per_token(api_client, db, settings):  # type: ignore[no-untyped-def]
    settings.API_THROTTLE_RATE = "3/minute"
    alice, also_alice = api_client("alice"), api_client("alice")
    for _ in range(3):
        assert alice.get("/api/documents/").status_code == 200
    response = alice.get("/api/documents/")
    error = assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in error["message"].lower()
    # Another token of the same user has its own budget.
    assert also_alice.get("/api/documents/").status_code == 200
    # /v1 is throttled the same way, in OpenAI's shape.
    for _ in range(2):
        also_alice.get("/v1/models")
    response = also_alice.get("/v1/models")
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limit_exceeded"


def test_file_names_with_control_characters_are_refused() -> None:
    assert check_filename("report.pdf") is None
    assert check_filename("Übersicht – 2024.md") is None
    assert check_filename("a\x00b.txt") and check_filename("a\nb.txt") and check_filename("\ud800.txt")
    assert check_filename("") and check_filename("  ")


def test_schema_validates_without_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path), stderr=StringIO())
    schema = yaml.safe_load(path.read_text())
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for expected in (
        "/api/documents/",
        "/api/documents/{id}/",
        "/api/documents/{id}/reingest/",
        "/api/documents/{id}/progress/",
        "/api/documents/progress/",
        "/api/search/",
        "/api/ask/",
        "/api/ask/stream/",
        "/api/conversations/",
        "/api/conversations/{id}/",
        "/api/messages/{id}/",
        "/v1/chat/completions",
        "/v1/models",
        "/v1/embeddings",
    ):
        assert expected in paths, expected
    assert "bearerAuth" in schema["components"]["securitySchemes"]
    stream = schema["paths"]["/api/ask/stream/"]["post"]["responses"]["200"]["content"]
    assert list(stream) == ["text/event-stream"]


@pytest.mark.django_db
def test_schema_and_docs_pages_are_served() -> None:
    client = Client()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Groundwork API"
    assert client.get("/api/schema/").content.startswith(b"openapi: 3")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content and b"/api/schema/" in docs.content
    assert b'id="docs-offline"' in docs.content  # what shows when the CDN is out of reach
