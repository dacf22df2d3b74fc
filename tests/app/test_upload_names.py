"""Uploads never strand: byte-safe stored names, one job per stored file, one bad file alone.

Real ingestion (a Celery worker in stack mode, the embedded thread otherwise).
"""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from app.models import Document
from app.services.documents import stored_name, upload_documents
from app.services.tokens import create_api_token

# 200 × "ü" is 400 bytes; 96 CJK characters 288 bytes; 255 ASCII characters plus Django's
# collision suffix would pass the limit too.
LONG_NAMES = [
    "ü" * 200 + ".txt",
    "東京の灯台" * 19 + "灯.md",
    "a" * 251 + ".txt",
]


def _text(i: int) -> bytes:
    return f"Lighthouse number {i} stands on a granite reef and was automated in 19{i:02d}.".encode()


def _assert_stored_safely(document: Document) -> None:
    path = Path(document.file.path)
    assert path.is_file()
    assert all(len(part.encode()) <= 255 for part in path.parts)
    assert len(path.name.encode()) <= 160


def test_stored_name_is_short_in_bytes() -> None:
    for name in [*LONG_NAMES, "../../etc/passwd", "a\x00b.pdf", ".hidden", "noext", "x." + "y" * 300]:
        safe = stored_name(name)
        assert safe and "/" not in safe and "\x00" not in safe
        assert len(safe.encode()) <= 140, (name, safe)
    assert stored_name("Report 2024 (final).PDF") == "Report_2024__final.pdf"
    assert stored_name("ü" * 200 + ".txt").endswith(".txt")


def test_page_upload_with_too_long_names(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    client.force_login(make_user())
    files = [
        ("before.txt", _text(1)),
        *((n, _text(i + 2)) for i, n in enumerate(LONG_NAMES)),
        ("after.txt", _text(9)),
    ]
    response = upload(*files)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("was uploaded and queued") == len(files), page
    documents = list(Document.objects.order_by("id"))
    assert [d.original_filename for d in documents] == [name for name, _ in files]
    ingestion.wait(*[d.pk for d in documents])
    for document in documents:
        document.refresh_from_db()
        assert document.status == Document.Status.INDEXED, (
            document.original_filename,
            document.failure_reason,
        )
        _assert_stored_safely(document)
    # The library shows the names as uploaded.
    library = client.get("/documents/").content.decode()
    assert "ü" * 200 in library and "東京の灯台" in library


def test_api_upload_with_too_long_names(make_user, ingestion):  # type: ignore[no-untyped-def]
    user = make_user("bob")
    _, key = create_api_token(user, "tests")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    files = [("first.txt", _text(1)), (LONG_NAMES[0], _text(2)), (LONG_NAMES[1], _text(3))]
    response = api.post(
        "/api/documents/", {"files": [SimpleUploadedFile(n, d) for n, d in files]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    rows = response.json()["documents"]
    assert [r["filename"] for r in rows] == [n for n, _ in files]
    assert {r["outcome"] for r in rows} == {"created"} and all(r["queued"] for r in rows)
    ids = [r["document"]["id"] for r in rows]
    ingestion.wait(*ids)
    for document in Document.objects.filter(id__in=ids):
        assert document.status == Document.Status.INDEXED, document.failure_reason
        _assert_stored_safely(document)


class _FailsWhenStored(SimpleUploadedFile):
    """A file whose content can be hashed but not written: the disk fails under it."""

    reads = 0

    def chunks(self, chunk_size=None):  # type: ignore[no-untyped-def]
        self.reads += 1
        if self.reads > 1:
            raise OSError(28, "No space left on device")
        return super().chunks(chunk_size)


def test_a_file_that_cannot_be_stored_fails_alone(make_user, ingestion):  # type: ignore[no-untyped-def]
    user = make_user()
    files = [
        SimpleUploadedFile("one.txt", _text(1)),
        _FailsWhenStored("two.txt", _text(2)),
        SimpleUploadedFile("three.txt", _text(3)),
    ]
    outcomes = upload_documents(user, files)
    assert [o.filename for o in outcomes] == ["one.txt", "two.txt", "three.txt"]
    assert outcomes[1].error == "the file could not be stored (No space left on device)"
    assert outcomes[1].document is None
    stored = [o.document for o in (outcomes[0], outcomes[2])]
    assert all(o.queued for o in (outcomes[0], outcomes[2]))
    assert Document.objects.count() == 2
    ingestion.wait(*[d.pk for d in stored if d is not None])
    assert set(Document.objects.values_list("status", flat=True)) == {Document.Status.INDEXED}
