"""Putting a dataset's documents into Groundwork, once, in a space of their own.

Each dataset is ingested through the ordinary pipeline (`upload_documents` then
`ingest_documents`, in-process) as `.txt` files owned by an inactive "evaluation" user,
into a `Collection(is_evaluation=True)` whose name holds the dataset, a fingerprint of
its documents and the configuration that shapes chunks and vectors (encoder, chunk size,
overlap). A later run with the same dataset and configuration finds that collection and
reuses it; an interrupted ingestion carries on where it stopped (uploads of documents
already stored are recognized as duplicates, indexed documents are skipped).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from app.evaluation.datasets import Dataset, SourceDocument
from app.models import Collection, Document
from app.services.documents import upload_documents
from app.services.indexing import embed_missing_sentences
from app.services.ingestion import DOCUMENTS_PER_JOB, ingest_documents
from app.services.runtime import encoder_identity
from app.users import User

EVALUATION_USERNAME = "evaluation"
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

Progress = Callable[[str, int, int], None]  # called with (phase, documents done, documents in all)


@dataclass(frozen=True)
class Corpus:
    collection: Collection
    keys_by_document: dict[int, list[str]]  # Document pk -> dataset keys (duplicates share one)
    document_by_key: dict[str, int]
    failed: dict[str, str]  # dataset key -> failure reason, for documents that did not ingest
    reused: bool  # True when every document was already indexed before this call


def evaluation_user() -> User:
    """The inactive user that owns evaluation documents (it can never log in)."""
    user, created = User.objects.get_or_create(username=EVALUATION_USERNAME, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def chunking_config() -> dict[str, object]:
    """What shapes chunks and their vectors: a different value means a different corpus."""
    return {
        "encoder": encoder_identity(),
        "chunk_tokens": settings.CHUNK_TOKENS,
        "chunk_overlap_tokens": settings.CHUNK_OVERLAP_TOKENS,
    }


def collection_name(dataset: Dataset) -> str:
    config = chunking_config()
    name = (
        f"eval {dataset.kind} {dataset.name} #{dataset.fingerprint()[:12]} "
        f"{config['encoder']} chunks {config['chunk_tokens']}/{config['chunk_overlap_tokens']}"
    )
    return name[:200]


def filename_for(key: str) -> str:
    """The uploaded file's name for a dataset key (an unsafe key becomes its digest)."""
    safe = key if _SAFE_KEY.match(key) else "k" + hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"{safe}.txt"


def content_sha256(doc: SourceDocument) -> str:
    return hashlib.sha256(doc.text.encode("utf-8")).hexdigest()


def _mapping(collection: Collection, documents: list[SourceDocument]) -> dict[str, Document]:
    """Dataset key -> its Document, matched on content (as uploads are): documents with the
    same text share one Document, and so are found through either key."""
    by_sha = {d.sha256: d for d in Document.objects.filter(collection=collection).defer("text")}
    found = {}
    for doc in documents:
        document = by_sha.get(content_sha256(doc))
        if document is not None:
            found[doc.key] = document
    return found


def ensure_corpus(dataset: Dataset, *, progress: Progress | None = None) -> Corpus:
    """The dataset's documents, ingested into their evaluation collection (reused when there)."""
    user = evaluation_user()
    collection, _ = Collection.objects.get_or_create(
        owner=user, name=collection_name(dataset), defaults={"is_evaluation": True}
    )
    found = _mapping(collection, dataset.documents)
    reused = len(found) == len(dataset.documents) and all(
        d.status in (Document.Status.INDEXED, Document.Status.FAILED) for d in found.values()
    )
    if not reused:
        _ingest_missing(user, collection, dataset, found, progress)
        found = _mapping(collection, dataset.documents)
    else:
        # A collection indexed by a version without sentence vectors gets them first, so that
        # evaluation measures the search users get (a no-op once done).
        embed_missing_sentences()
        if progress is not None:
            progress("reused", len(found), len(found))
    keys_by_document: dict[int, list[str]] = {}
    for key, document in found.items():
        keys_by_document.setdefault(document.pk, []).append(key)
    failed = {
        key: d.failure_reason or d.status for key, d in found.items() if d.status != Document.Status.INDEXED
    }
    failed.update({doc.key: "not stored" for doc in dataset.documents if doc.key not in found})
    return Corpus(
        collection=collection,
        keys_by_document=keys_by_document,
        document_by_key={key: d.pk for key, d in found.items()},
        failed=failed,
        reused=reused,
    )


def _ingest_missing(
    user: User,
    collection: Collection,
    dataset: Dataset,
    found: dict[str, Document],
    progress: Progress | None,
) -> None:
    """Upload what is not stored yet, then ingest everything not indexed, in jobs."""
    missing = [doc for doc in dataset.documents if doc.key not in found]
    for first in range(0, len(missing), DOCUMENTS_PER_JOB):
        if progress is not None:
            progress("upload", first, len(missing))
        batch = missing[first : first + DOCUMENTS_PER_JOB]
        files = [SimpleUploadedFile(filename_for(doc.key), doc.text.encode("utf-8")) for doc in batch]
        outcomes = upload_documents(user, files, collection=collection, queue=False)
        # Name each document after its title (an article's or a paper's), as a person would;
        # chunking puts the title in front of every chunk it embeds.
        titled = []
        for doc, outcome in zip(batch, outcomes, strict=True):
            if outcome.created and outcome.document is not None and doc.title.strip():
                outcome.document.title = doc.title.strip()[:500]
                titled.append(outcome.document)
        Document.objects.bulk_update(titled, ["title"])
    pending = list(
        Document.objects.filter(collection=collection, status__in=Document.IN_PROGRESS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = Document.objects.filter(collection=collection).count()
    for first in range(0, len(pending), DOCUMENTS_PER_JOB):
        if progress is not None:
            progress("ingest", total - len(pending) + first, total)
        ingest_documents(pending[first : first + DOCUMENTS_PER_JOB])
    if progress is not None:
        progress("ingest", total, total)
