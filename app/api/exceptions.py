"""API errors that DRF has no class for (kept free of DRF's views: parsers import them)."""

from __future__ import annotations

from rest_framework import exceptions, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "payload_too_large"


class UnsupportedFileType(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "Unsupported file type."
    default_code = "unsupported_file_type"

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(m for messages in problems.values() for m in messages))
        self.fields = problems


class ServerError(exceptions.APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "Something went wrong on the server; it has been logged."
    default_code = "server_error"


class NotFoundField(exceptions.NotFound):
    """404 for an id given in the body (a conversation to continue), naming the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.fields = {field: [message]}


class AnswerFailed(exceptions.APIException):
    """The answer failed (search, evidence or the decoder broke); what was written of it is saved
    as `failed`."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "The answer failed part-way. Please ask again."
    default_code = "answer_failed"


class AnswersBusy(exceptions.APIException):
    """Every answer slot is busy and the wait queue is full: come back after `Retry-After`."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The server is busy answering other questions; try again shortly."
    default_code = "busy"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.wait = retry_after  # DRF's handler sends it as Retry-After
