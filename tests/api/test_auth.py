"""Authentication: bearer tokens (created and revoked in the UI, admin and a command), sessions with CSRF."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from app.models import ApiToken
from app.services.tokens import create_api_token, revoke_api_token
from tests.api.conftest import assert_error

# Every endpoint, with a body that would be valid: only the missing credentials are wrong.
ENDPOINTS = [
    ("get", "/api/documents/", None),
    ("post", "/api/documents/", None),
    ("get", "/api/documents/1/", None),
    ("delete", "/api/documents/1/", None),
    ("post", "/api/documents/1/reingest/", None),
    ("get", "/api/documents/1/progress/", None),
    ("get", "/api/documents/progress/?ids=1", None),
    ("post", "/api/search/", {"query": "x"}),
    ("post", "/api/ask/", {"question": "x"}),
    ("post", "/api/ask/stream/", {"question": "x"}),
    ("get", "/api/conversations/", None),
    ("get", "/api/conversations/1/", None),
    ("get", "/api/messages/1/", None),
]
OPENAI_ENDPOINTS = [
    ("get", "/v1/models", None),
    ("get", "/v1/models/groundwork", None),
    ("post", "/v1/chat/completions", {"model": "groundwork", "messages": [{"role": "user", "content": "x"}]}),
    ("post", "/v1/embeddings", {"model": "groundwork", "input": "x"}),
]


def _call(client: Client, method: str, url: str, body: object) -> Any:
    return (
        getattr(client, method)(url, body, content_type="application/json")
        if body
        else getattr(client, method)(url)
    )


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
@pytest.mark.parametrize("authorization", [None, "Bearer gw_not-a-real-token", "Bearer", "Token abc"])
def test_every_endpoint_needs_a_valid_token(db, method, url, body, authorization):  # type: ignore[no-untyped-def]
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = _call(client, method, url, body)
    error = assert_error(response, 401)
    assert error["code"] in {"not_authenticated", "authentication_failed"}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(("method", "url", "body"), OPENAI_ENDPOINTS)
def test_openai_endpoints_need_a_token_and_answer_in_openai_shape(db, method, url, body):  # type: ignore[no-untyped-def]
    response = _call(APIClient(), method, url, body)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_api_key"
    assert set(error) == {"message", "type", "param", "code"}


def test_revoked_token_stops_working_and_use_is_recorded(make_user, db):  # type: ignore[no-untyped-def]
    alice = make_user("alice")
    token, key = create_api_token(alice, "laptop")
    assert key.startswith("gw_") and token.prefix == key[3:11] and key not in token.key_hash
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/documents/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    revoke_api_token(token)
    assert_error(client.get("/api/documents/"), 401, "authentication_failed")
    alice.is_active = False
    alice.save()
    _, other_key = create_api_token(alice, "another")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert_error(client.get("/api/documents/"), 401)  # an inactive user's tokens do not work


def test_session_auth_works_with_csrf_only(make_user, db):  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("alice"))
    assert client.get("/api/documents/").status_code == 200
    # A write without the CSRF token is refused, even though the session is valid.
    error = assert_error(client.post("/api/search/", {"query": "x"}, content_type="application/json"), 403)
    assert "CSRF" in error["message"]
    page = client.get("/tokens/")  # any page sets the CSRF cookie
    csrf = page.cookies["csrftoken"].value
    response = client.post(
        "/api/search/", {"query": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200, response.content


def test_tokens_page_creates_shows_once_and_revokes(make_user, db):  # type: ignore[no-untyped-def]
    client = Client()
    assert client.get("/tokens/").status_code == 302  # login first
    alice = make_user("alice")
    client.force_login(alice)
    page = client.post("/tokens/", {"name": "my <script>"})
    assert page.status_code == 201
    html = page.content.decode()
    key = re.search(r'<code id="new-token">(gw_[A-Za-z0-9_-]{43})</code>', html).group(1)  # type: ignore[union-attr]
    assert "my &lt;script&gt;" in html and "my <script>" not in html  # escaped
    assert page["Cache-Control"] == "no-store"
    assert key not in client.get("/tokens/").content.decode()  # shown once only

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/documents/").status_code == 200

    token = ApiToken.objects.get(user=alice)
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 302
    assert_error(api.get("/api/documents/"), 401)
    assert "Revoked" in client.get("/tokens/").content.decode()

    # Another user can neither see nor revoke it.
    client.force_login(make_user("bob"))
    assert token.prefix not in client.get("/tokens/").content.decode()
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post("/tokens/", {"name": ""}).status_code == 400


def test_admin_creates_and_revokes_tokens(make_user, db):  # type: ignore[no-untyped-def]
    admin = make_user("root", is_staff=True, is_superuser=True)
    alice = make_user("alice")
    client = Client()
    client.force_login(admin)
    response = client.post("/admin/groundwork/apitoken/add/", {"user": alice.pk, "name": "ci"}, follow=True)
    assert response.status_code == 200
    key = re.search(r"gw_[A-Za-z0-9_-]{43}", response.content.decode()).group(0)  # type: ignore[union-attr]
    token = ApiToken.objects.get(user=alice, name="ci")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/documents/").status_code == 200

    changelist = client.get("/admin/groundwork/apitoken/")
    assert token.prefix in changelist.content.decode()
    client.post(
        "/admin/groundwork/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_error(api.get("/api/documents/"), 401)


def test_create_api_token_command(make_user, db):  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("create_api_token", "carol", "--create-user", "--name", "schemathesis", stdout=out)
    key = out.getvalue().strip()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/documents/").status_code == 200
    assert ApiToken.objects.get(user__username="carol").name == "schemathesis"
    with pytest.raises(Exception, match="no user 'nobody'"):
        call_command("create_api_token", "nobody", stdout=StringIO())
