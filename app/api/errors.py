"""One error shape for the whole API, and the exceptions that have no DRF equivalent.

Under /api every error is ``{"error": {"code": ..., "message": ..., "fields": {...}}}``;
``fields`` maps an input field (dotted for nested ones: ``document_ids.2``) to its
messages and is present only for invalid input. Under /v1 errors take OpenAI's shape,
``{"error": {"message", "type", "param", "code"}}``, so OpenAI clients raise the right
exception. Nothing unexpected leaves as an HTML page: it is logged and answered with a
JSON 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
)
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from app.api.exceptions import AnswersBusy, PayloadTooLarge, ServerError
from app.services.capacity import AnswerCapacityExceeded

log = logging.getLogger(__name__)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail -> {"field.sub.0": ["message", ...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            nested = (
                prefix if key == "non_field_errors" and prefix else f"{prefix}.{key}" if prefix else str(key)
            )
            flat.update(_flatten(value, nested))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _translate(exc: Exception) -> Exception:
    """Django's own exceptions (and surprises) as DRF's, so they get a status and a body."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, TooManyFilesSent):
        return PayloadTooLarge("Too many files in one request.")
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge("The request body is too large.")
    if isinstance(exc, TooManyFieldsSent | SuspiciousOperation):
        return exceptions.ParseError("The request could not be read.")
    if isinstance(exc, AnswerCapacityExceeded):
        return AnswersBusy(exc.retry_after)
    return exc


def error_body(exc: exceptions.APIException, style: str = "api") -> dict[str, Any]:
    detail = exc.detail
    fields: dict[str, list[str]] = getattr(exc, "fields", {})
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail)
        first = next(iter(fields.items()))
        message = f"{first[0]}: {first[1][0]}" if first[0] != "non_field_errors" else first[1][0]
        code = "invalid"
    else:
        message = str(detail) if not isinstance(detail, dict | list) else str(_flatten(detail))
        code = exc.default_code if isinstance(exc.default_code, str) else "error"
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    if style == "openai":
        return {"error": openai_error(exc.status_code, message, fields, code)}
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def openai_error(status_code: int, message: str, fields: dict[str, list[str]], code: str) -> dict[str, Any]:
    """OpenAI's error object: type by status, the first invalid parameter as `param`."""
    kind = {
        401: "invalid_request_error",
        403: "permission_error",
        404: "invalid_request_error",
        413: "invalid_request_error",
        429: "rate_limit_error",
    }.get(status_code, "invalid_request_error" if status_code < 500 else "server_error")
    openai_code = {
        "not_authenticated": "invalid_api_key",
        "authentication_failed": "invalid_api_key",
        "throttled": "rate_limit_exceeded",
    }.get(code, code)
    param = next((f for f in fields if f != "non_field_errors"), None)
    return {"message": message, "type": kind, "param": param, "code": openai_code}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every error, expected or not, in the API's shape."""
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:  # not an APIException: a bug, not bad input
        view = context.get("view")
        log.error("unhandled error in %s", type(view).__name__, exc_info=exc)
        set_rollback()
        exc = ServerError()
        response = Response(status=exc.status_code)
    assert isinstance(exc, exceptions.APIException)
    style = getattr(context.get("view"), "error_style", "api")
    response.data = error_body(exc, style)
    return response


# --- the schema's view of errors --------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, throttled, …")
    message = serializers.CharField(help_text="For people.")
    # The serializer metaclass moves declared fields off the class, so `.fields` stays DRF's
    # field mapping; the stubs cannot see that, and "fields" is the error body's key.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input only: field (dotted for nested) -> messages.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class OpenAIErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField()
    param = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_null=True)


class OpenAIErrorSerializer(serializers.Serializer):
    error = OpenAIErrorDetailSerializer()


_DESCRIPTIONS = {
    400: "Invalid input; `fields` says which and why.",
    401: "No credentials, or a bad or revoked token.",
    403: "Authenticated but not allowed (e.g. a session request without its CSRF token).",
    404: "Not found, or not yours.",
    405: "Method not allowed.",
    413: "A file or the request is over the size or count limit.",
    415: "Unsupported file type or content type.",
    429: "Too many requests for this token; see Retry-After.",
}
COMMON = (400, 401, 403, 405, 415, 429)


def error_responses(*codes: int, openai: bool = False) -> dict[int, OpenApiResponse]:
    """Documented error responses for an operation (the ones every operation can give, too)."""
    serializer = OpenAIErrorSerializer if openai else ErrorSerializer
    return {
        code: OpenApiResponse(serializer, description=_DESCRIPTIONS[code])
        for code in sorted({*COMMON, *codes})
    }


# --- paths that match no view -----------------------------------------------------------------


NOT_FOUND_NAMES = ("api-not-found", "openai-not-found")


def _not_found(request: HttpRequest, style: str) -> JsonResponse:
    """The JSON 404 for unknown paths under /api and /v1 (Django's own 404 page is HTML)."""
    message = f"No API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name not in NOT_FOUND_NAMES:
            message += f" Paths under /api end with a slash: {request.path}/"
    return JsonResponse(error_body(exceptions.NotFound(message), style), status=404)


@csrf_exempt
def not_found_api(request: HttpRequest, path: str = "") -> JsonResponse:
    return _not_found(request, "api")


@csrf_exempt
def not_found_openai(request: HttpRequest, path: str = "") -> JsonResponse:
    return _not_found(request, "openai")
