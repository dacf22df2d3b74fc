"""API tokens: create, revoke, and authenticate the bearer tokens of the REST and /v1 APIs.

A token is `gw_` followed by 43 URL-safe characters (256 random bits). It is shown once,
at creation; the database keeps its SHA-256 and the 8 characters after `gw_` as a prefix
that tells tokens apart in lists.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from app.models import ApiToken
from app.users import User

TOKEN_PREFIX = "gw_"  # noqa: S105 (a public marker, not a secret)
_SECRET_CHARS = 43  # secrets.token_urlsafe(32)
# last_used_at is written at most this often per token: a write per request would make
# every API call a database write (and SQLite takes one writer at a time).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret, which is never stored."""
    secret = secrets.token_urlsafe(32)
    key = TOKEN_PREFIX + secret
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "API token", prefix=secret[:8], key_hash=_hash(key)
    )
    return token, key


def revoke_api_token(token: ApiToken) -> None:
    """Revoke a token for good (revoking twice keeps the first revocation time)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=token.revoked_at)


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def authenticate_api_token(key: str) -> ApiToken | None:
    """The active token whose secret is `key` (with its user loaded), or None."""
    if not key.startswith(TOKEN_PREFIX) or len(key) != len(TOKEN_PREFIX) + _SECRET_CHARS:
        return None
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=_hash(key), revoked_at__isnull=True).first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
