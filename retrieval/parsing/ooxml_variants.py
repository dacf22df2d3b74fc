"""Macro-enabled files, templates and slide shows of Word and PowerPoint (.docm, .dotx, .dotm,
.pptm, .ppsx, .ppsm, .potx, .potm) read as the documents they are.

They are the same packages as a .docx or a .pptx; only the content type of their main part
differs, and python-docx and python-pptx refuse (some of) them for it. `as_document` rewrites
that one line of `[Content_Types].xml`; every other part is copied as it is (macros are
never run, only carried along). Call it after `zip_limits.check_archive`: it inflates every
part once.
"""

from __future__ import annotations

import io
import zipfile

from retrieval.parsing.zip_limits import MAX_MEMBER_BYTES, read_member

_CONTENT_TYPES = "[Content_Types].xml"
_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_VARIANTS = {
    "docx": (
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    ),
    "pptx": (
        "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
        "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
        "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
    ),
}


def as_document(data: bytes, kind: str) -> bytes:
    """`data` with its main part typed as a `kind` ("docx", "pptx") document's when it is one
    of the variants; else `data` itself, untouched."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if _CONTENT_TYPES not in archive.namelist():
            return data
        types = read_member(archive, _CONTENT_TYPES, limit=MAX_MEMBER_BYTES).decode("utf-8", "replace")
        variant = next((v for v in _VARIANTS[kind] if f'"{v}"' in types), None)
        if variant is None:
            return data
        rewritten = io.BytesIO()
        with zipfile.ZipFile(rewritten, "w") as copy:
            for info in archive.infolist():
                if info.filename == _CONTENT_TYPES:
                    copy.writestr(info, types.replace(f'"{variant}"', f'"{_MAIN[kind]}"').encode("utf-8"))
                else:
                    copy.writestr(info, archive.read(info))
    return rewritten.getvalue()
