"""Ingestion: uploaded file -> parsed text -> chunks -> vectors -> index.

`upload_documents` stores files and queues them; `ingest_documents` does the work, in
a Celery worker (stack) or a thread of the web process (embedded). The status state
machine is documented on `Document`; this module is the only place that moves it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from app.models import Chunk, Collection, Document
from app.services.runtime import encoder_name, get_encoder, get_index
from retrieval.chunking import ChunkSpec, chunk_document
from retrieval.document import ParseError
from retrieval.parsing import parse_document

log = logging.getLogger(__name__)

# Documents uploaded together are ingested together (up to this many per job), so their
# chunks share encoder batches; one large upload still gets a few parallel jobs.
DOCUMENTS_PER_JOB = 16
# How many chunk texts are encoded between two progress updates.
PROGRESS_STEP = 256
# Errors worth retrying the whole job for: the database went away for a moment. The
# documents stay in progress, and the retry claims them again and starts over.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded file."""

    filename: str
    document: Document | None = None
    duplicate_of: Document | None = None
    error: str | None = None

    @property
    def created(self) -> bool:
        return self.document is not None and self.duplicate_of is None


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for piece in upload.chunks():
        digest.update(piece)
    upload.seek(0)
    return digest.hexdigest()


def _title_for(filename: str) -> str:
    return Path(filename).stem.replace("_", " ").strip() or filename


def upload_documents(
    owner: AbstractBaseUser,
    files: Iterable[UploadedFile],
    *,
    collection: Collection | None = None,
) -> list[UploadOutcome]:
    """Store each file as a queued document and schedule its ingestion.

    A file over UPLOAD_MAX_BYTES is refused; a file whose content the owner already has
    (same sha256 in the same collection) is not stored again: its outcome names the
    document it duplicates. Anything else is stored, even an unsupported or broken file,
    so that its failure and reason show in the library like any other document's.
    """
    outcomes: list[UploadOutcome] = []
    for upload in files:
        name = Path(upload.name or "upload").name
        if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES / 1024**2
            outcomes.append(UploadOutcome(name, error=f"file is larger than the {limit:g} MB limit"))
            continue
        sha256 = _sha256(upload)
        same = Document.objects.filter(owner=owner, collection=collection, sha256=sha256).first()
        if same is not None:
            outcomes.append(UploadOutcome(name, document=same, duplicate_of=same))
            continue
        try:
            with transaction.atomic():
                document = Document.objects.create(
                    owner=owner,
                    collection=collection,
                    title=_title_for(name)[:500],
                    file=upload,
                    original_filename=name[:500],
                    format=Path(name).suffix.lower().lstrip(".")[:16],
                    size_bytes=upload.size or 0,
                    sha256=sha256,
                )
        except IntegrityError:
            # The same content arrived twice at once; the other request won.
            same = Document.objects.get(owner=owner, collection=collection, sha256=sha256)
            outcomes.append(UploadOutcome(name, document=same, duplicate_of=same))
            continue
        outcomes.append(UploadOutcome(name, document=document))
    queue_ingestion([o.document.pk for o in outcomes if o.created and o.document is not None])
    return outcomes


def queue_ingestion(document_ids: Sequence[int]) -> None:
    """Hand documents to the ingestion runner once the current transaction commits."""
    if not document_ids:
        return
    from app.services.dispatch import dispatch

    ids = list(document_ids)
    for start in range(0, len(ids), DOCUMENTS_PER_JOB):
        batch = ids[start : start + DOCUMENTS_PER_JOB]
        transaction.on_commit(lambda batch=batch: dispatch(batch))


def reingest_document(document: Document) -> None:
    """Start a document over: it goes back to queued and is read again from its file."""
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.QUEUED, failure_reason="", progress_done=0, progress_total=0, ingest_token=""
    )
    queue_ingestion([document.pk])


def delete_document(document: Document) -> None:
    """Delete a document, its chunks, its vectors and its stored file."""
    chunk_ids = np.fromiter(document.chunks.values_list("id", flat=True), dtype=np.int64)
    stored_file = document.file
    document.delete()
    if len(chunk_ids):
        get_index().remove(chunk_ids)
    stored_file.delete(save=False)


# --- the job ------------------------------------------------------------------------------


@dataclass
class _Job:
    """One claimed document travelling through the pipeline."""

    document: Document
    token: str
    chunks: list[ChunkSpec] = field(default_factory=list)
    vectors: np.ndarray | None = None


def _claim(document_id: int) -> _Job | None:
    """Take a queued (or abandoned in-progress) document for this run, or None.

    Indexed, failed and deleted documents are left alone: that is what makes a
    re-delivered job idempotent.
    """
    token = uuid.uuid4().hex
    claimed = Document.objects.filter(pk=document_id, status__in=Document.IN_PROGRESS).update(
        status=Document.Status.PARSING,
        ingest_token=token,
        started_at=timezone.now(),
        failure_reason="",
        progress_done=0,
        progress_total=0,
    )
    if not claimed:
        return None
    return _Job(Document.objects.get(pk=document_id), token)


def _set(job: _Job, **fields: object) -> bool:
    """Update the document if this run still owns it; False when it lost the claim."""
    return bool(Document.objects.filter(pk=job.document.pk, ingest_token=job.token).update(**fields))


def _fail(job: _Job, reason: str) -> None:
    log.info("document %s failed: %s", job.document.pk, reason)
    _set(job, status=Document.Status.FAILED, failure_reason=reason[:2000], progress_done=0)


def _parse_and_chunk(job: _Job) -> bool:
    """Read the file, extract text, cut it into chunks; False (and failed) on bad input."""
    document = job.document
    try:
        with document.file.open("rb") as handle:
            data = handle.read()
    except OSError as error:
        _fail(job, f"the uploaded file cannot be read: {error.strerror or error}")
        return False
    try:
        parsed = parse_document(data, document.original_filename)
    except ParseError as error:
        _fail(job, str(error))
        return False
    encoder = get_encoder()
    max_tokens = min(settings.CHUNK_TOKENS, encoder.max_seq_length - 2)
    overlap = min(settings.CHUNK_OVERLAP_TOKENS, max_tokens // 2)
    title = parsed.title or document.title
    job.chunks = chunk_document(parsed, encoder.tokenizer, max_tokens, overlap, title=title)
    if not job.chunks:
        _fail(job, "no text could be extracted from this file")
        return False
    fields: dict[str, object] = {
        "status": Document.Status.EMBEDDING,
        "text": parsed.text,
        "format": parsed.format,
        "page_count": parsed.page_count,
        "warnings": list(parsed.warnings),
        "progress_total": len(job.chunks),
    }
    if parsed.title and document.title == _title_for(document.original_filename):
        fields["title"] = parsed.title[:500]
    return _set(job, **fields)


def _embed(jobs: list[_Job]) -> None:
    """Encode every job's chunks in shared batches, reporting progress as it goes."""
    encoder = get_encoder()
    texts = [spec.embed_text for job in jobs for spec in job.chunks]
    owners = [i for i, job in enumerate(jobs) for _ in job.chunks]
    vectors = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for start in range(0, len(texts), PROGRESS_STEP):
        end = min(start + PROGRESS_STEP, len(texts))
        vectors[start:end] = encoder.encode(texts[start:end])
        done: dict[int, int] = {}
        for i in owners[:end]:
            done[i] = done.get(i, 0) + 1
        for i in set(owners[start:end]):
            if done[i] < len(jobs[i].chunks):  # the final write sets completed counts
                _set(jobs[i], progress_done=done[i])
    offset = 0
    for job in jobs:
        job.vectors = vectors[offset : offset + len(job.chunks)]
        offset += len(job.chunks)


def _store(jobs: list[_Job]) -> None:
    """Write chunks and vectors and mark the documents indexed, all or nothing.

    Vectors are published inside the transaction: if publishing fails, no document
    claims to be indexed. If the process dies after publishing but before the commit,
    the index holds vectors for chunk ids that never existed; search only admits ids of
    indexed chunks from the database, and `rebuild_index` sweeps them.
    """
    name = encoder_name()
    with transaction.atomic():
        removed: list[int] = []
        added_ids: list[int] = []
        added_vectors: list[np.ndarray] = []
        for job in jobs:
            owned = Document.objects.select_for_update().filter(pk=job.document.pk, ingest_token=job.token)
            if not owned.exists():
                continue  # deleted, or re-queued and claimed by a newer run
            removed.extend(Chunk.objects.filter(document_id=job.document.pk).values_list("id", flat=True))
            Chunk.objects.filter(document_id=job.document.pk).delete()
            assert job.vectors is not None
            rows = Chunk.objects.bulk_create(
                Chunk(
                    document_id=job.document.pk,
                    ordinal=spec.ordinal,
                    text=spec.text,
                    start=spec.start,
                    end=spec.end,
                    page=spec.page,
                    heading_path=list(spec.heading_path),
                    token_count=spec.token_count,
                    embedding=vector.tobytes(),
                )
                for spec, vector in zip(job.chunks, job.vectors, strict=True)
            )
            added_ids.extend(row.pk for row in rows)
            added_vectors.append(job.vectors)
            owned.update(
                status=Document.Status.INDEXED,
                chunk_count=len(rows),
                progress_done=len(rows),
                indexed_at=timezone.now(),
                encoder=name,
            )
        if added_ids or removed:
            get_index().update(
                remove=np.asarray(removed, dtype=np.int64),
                add_ids=np.asarray(added_ids, dtype=np.int64),
                add_vectors=np.concatenate(added_vectors) if added_vectors else None,
            )


def ingest_documents(document_ids: Sequence[int]) -> None:
    """Ingest documents: each ends indexed, or failed with a reason a person can read.

    Safe to run again for the same ids (a re-delivered job): indexed and failed
    documents are skipped, abandoned ones start over. One document's bad file never
    stops the others.
    """
    jobs = [job for job in map(_claim, document_ids) if job is not None]
    ready: list[_Job] = []
    for job in jobs:
        try:
            if _parse_and_chunk(job):
                ready.append(job)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:  # a parser bug must fail one document, not the batch
            log.exception("unexpected error while reading document %s", job.document.pk)
            _fail(job, f"unexpected error while reading the file ({type(error).__name__}: {error})")
    if not ready:
        return
    try:
        _embed(ready)
        _store(ready)
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:
        log.exception("indexing failed for documents %s", [job.document.pk for job in ready])
        for job in ready:
            _fail(job, f"indexing failed ({type(error).__name__}: {error}); re-ingest to try again")


def ingest_document(document_id: int) -> None:
    ingest_documents([document_id])
