"""Upload limits that hold while the request is read, and the file-type check (415).

`LimitedUploads` sits first among Django's upload handlers: it refuses a request whose
declared length cannot fit UPLOAD_MAX_FILES files of UPLOAD_MAX_BYTES, and stops reading
as soon as one file passes UPLOAD_MAX_BYTES or the request carries more than
UPLOAD_MAX_FILES files, so an oversize upload is never written to disk whole.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from app.api.exceptions import PayloadTooLarge, UnsupportedFileType
from retrieval.parsing import ParseError, detect_format

# Room for multipart boundaries, headers and other form fields around the files.
ENVELOPE_BYTES = 1024**2
HEAD_BYTES = 1024  # detect_format looks at no more than the first KiB


def _limit_mb() -> str:
    return f"{settings.UPLOAD_MAX_BYTES / 1024**2:g} MB"


class LimitedUploads(FileUploadHandler):
    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, *args: Any, **kw: Any
    ) -> None:
        most = settings.UPLOAD_MAX_BYTES * settings.UPLOAD_MAX_FILES + ENVELOPE_BYTES
        if content_length and content_length > most:
            raise PayloadTooLarge(
                f"The request is larger than {settings.UPLOAD_MAX_FILES} files of {_limit_mb()} can be."
            )
        self.files = 0
        return None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        self.files = getattr(self, "files", 0) + 1
        self.name, self.received = file_name, 0
        if self.files > settings.UPLOAD_MAX_FILES:
            raise PayloadTooLarge(f"At most {settings.UPLOAD_MAX_FILES} files per request.")
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            raise PayloadTooLarge(f"{self.name}: the file is larger than the {_limit_mb()} limit.")
        return raw_data  # the next handler stores it

    def file_complete(self, file_size: int) -> None:
        return None


def check_filename(name: str) -> str | None:
    """A reason the file name cannot be stored, or None."""
    if not name or not name.strip():
        return "the file has no name"
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        return "the file name contains control characters"
    return None


def check_files(files: list[UploadedFile]) -> None:
    """413 for a file over the limit, 415 for a type the parsers cannot read."""
    too_large = [f.name for f in files if f.size is not None and f.size > settings.UPLOAD_MAX_BYTES]
    if too_large:
        raise PayloadTooLarge(f"{', '.join(map(str, too_large))}: larger than the {_limit_mb()} limit.")
    unsupported: list[str] = []
    for upload in files:
        head = upload.read(HEAD_BYTES)
        upload.seek(0)
        try:
            detect_format(str(upload.name), head)
        except ParseError as error:
            unsupported.append(f"{upload.name}: {error}")
    if unsupported:
        raise UnsupportedFileType({"files": unsupported})
