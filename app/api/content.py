"""What the API reads and writes: JSON (bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE) and JSON.

The API speaks JSON only (answers can also stream as server-sent events, which those
views return themselves), so content negotiation never fails on an `Accept` header:
a client asking for `text/event-stream` still gets a JSON error body when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from app.api.exceptions import PayloadTooLarge


class JSONOnly(DefaultContentNegotiation):
    """DRF's negotiation, except that an unmatched `Accept` gets the first renderer, not a 406."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


class LimitedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE (Django's limit for form bodies)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise PayloadTooLarge(f"The JSON body is larger than {limit} bytes.")
        return super().parse(stream, media_type, parser_context)
