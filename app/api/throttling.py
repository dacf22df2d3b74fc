"""Per-token rate limit: API_THROTTLE_RATE (e.g. "600/minute") for each token.

Requests authenticated by the session share one bucket per user; the rate is read from
settings on every request, so it can be changed without a restart of the module.
Counts live in Django's cache: Redis in stack mode, so every web process counts the same
requests. When that cache fails (Redis down), counting falls back to this process's
memory instead of failing the request: the API keeps serving, each process enforces the
rate on its own share, and the fallback is logged (once a minute while it lasts).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:
    from rest_framework.views import APIView

from app.models import ApiToken

log = logging.getLogger(__name__)

WARN_EVERY = 60.0  # seconds between two warnings while the shared cache stays down
# After a failure the shared cache is left alone this long, so a Redis that times out
# (rather than refusing at once) costs one slow request every few seconds, not every one.
RETRY_AFTER = 5.0


class FallbackCache:
    """The shared cache, or this process's memory while the shared one raises."""

    def __init__(self) -> None:
        self.local = LocMemCache("throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._warned_at = float("-inf")
        self._down_until = float("-inf")

    def _shared_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _fell_back(self, error: Exception) -> None:
        now = time.monotonic()
        self._down_until = now + RETRY_AFTER
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning("throttle cache unavailable (%s); counting in this process's memory", error)

    def get(self, key: str, default: Any = None) -> Any:
        if self._shared_down():
            return self.local.get(key, default)
        try:
            return shared_cache.get(key, default)
        except Exception as error:  # redis-py raises ConnectionError, TimeoutError, ...
            self._fell_back(error)
            return self.local.get(key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        if self._shared_down():
            self.local.set(key, value, timeout)
            return
        try:
            shared_cache.set(key, value, timeout)
        except Exception as error:
            self._fell_back(error)
            self.local.set(key, value, timeout)


class ApiTokenThrottle(SimpleRateThrottle):
    scope = "api"
    cache = FallbackCache()  # type: ignore[assignment]

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.key_hash[:24]}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return f"throttle_{self.scope}_{ident}"
