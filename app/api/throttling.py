"""Per-token rate limit: API_THROTTLE_RATE (e.g. "600/minute") for each token.

Requests authenticated by the session share one bucket per user; the rate is read from
settings on every request, so it can be changed without a restart of the module.
Counts live in Django's cache (per process unless a shared cache is configured).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:
    from rest_framework.views import APIView

from app.models import ApiToken


class ApiTokenThrottle(SimpleRateThrottle):
    scope = "api"

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
