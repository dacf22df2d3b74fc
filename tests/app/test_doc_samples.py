"""Every real sample document ends indexed or failed with a reason, and its text is findable."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from app.models import Document
from app.services.documents import upload_documents
from app.services.search import search_chunks
from tests.conftest import SHARED_DATA, needs_shared_data

SAMPLES = SHARED_DATA / "doc-samples"
pytestmark = needs_shared_data("doc-samples")


def _files() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and not p.name.startswith("LICENSE"))


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) > 0.5


def test_all_samples_are_indexed_or_fail_with_a_reason(make_user, ingestion):  # type: ignore[no-untyped-def]
    user = make_user()
    files = _files()
    outcomes = upload_documents(user, [SimpleUploadedFile(p.name, p.read_bytes()) for p in files])
    ids = [o.document.pk for o in outcomes if o.document is not None]
    ingestion.wait(*ids, timeout=900)

    documents = list(Document.objects.filter(pk__in=ids))
    stuck = [d.original_filename for d in documents if d.is_in_progress]
    assert not stuck
    indexed = [d for d in documents if d.status == Document.Status.INDEXED]
    failed = [d for d in documents if d.status == Document.Status.FAILED]
    assert len(indexed) + len(failed) == len(documents)
    for document in failed:
        assert len(document.failure_reason) > 10, (document.original_filename, document.failure_reason)
    supported = {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".epub", ".pptx", ".xlsx", ".csv"}
    readable = [p for p in files if p.suffix.lower() in supported]
    assert len(indexed) >= 0.8 * len(readable), [d.failure_reason for d in failed]

    for document in indexed:
        assert document.chunks.count() == document.chunk_count > 0
        longest = max(document.chunks.all(), key=lambda c: len(c.text))
        if not _mostly_latin(longest.text):
            continue  # the default encoder is English-only: Korean text is indexed, not findable
        query = " ".join(longest.text.split()[:40])
        found = search_chunks(user, query, top_k=10)
        # Sample sets repeat content across files: the passage, if not this very file.
        assert any(r.chunk.document_id == document.pk or r.chunk.text == longest.text for r in found), (
            document.original_filename
        )
