"""Ingestion: uploaded file -> parsed text -> chunks -> vectors -> index.

`upload_documents` stores files and queues them; `ingest_documents` does the work, in
a Celery worker (stack) or a thread of the web process (embedded). The status state
machine is documented on `Document`; this module is the only place that moves it.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from app.models import Chunk, Collection, Document
from app.services.runtime import encoder_name, get_encoder, get_index
from retrieval.chunking import ChunkSpec, chunk_document
from retrieval.document import ParseError
from retrieval.parsing import filename_title, parse_document

log = logging.getLogger(__name__)

# Documents uploaded together are ingested together (up to this many per job), so their
# chunks share encoder batches and database round trips; a large upload still becomes
# several jobs that several workers can share.
DOCUMENTS_PER_JOB = 64
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
    return filename_title(filename)  # "2023_Q3-AAPL.pdf" -> "2023 Q3 AAPL"


def upload_documents(
    owner: AbstractBaseUser,
    files: Iterable[UploadedFile],
    *,
    collection: Collection | None = None,
    queue: bool = True,
) -> list[UploadOutcome]:
    """Store each file as a queued document and schedule its ingestion.

    A file over UPLOAD_MAX_BYTES is refused; a file whose content the owner already has
    (same sha256 in the same collection) is not stored again: its outcome names the
    document it duplicates. Anything else is stored, even an unsupported or broken file,
    so that its failure and reason show in the library like any other document's.
    With `queue=False` the caller runs `ingest_documents` itself (benchmarks, evaluation).
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
    if queue:
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
    chunks: list[ChunkSpec] = field(default_factory=list)
    vectors: np.ndarray | None = None


class _Run:
    """One run of the ingestion job over some documents.

    The run claims its documents with a token of its own; every later write is
    conditional on that token still being there. A run presumed dead (its message
    re-delivered) thus loses its documents to the newer run instead of racing it. All
    writes are batched across the run's documents: per-document queries would cost more
    than encoding short documents does.
    """

    def __init__(self, document_ids: Sequence[int]) -> None:
        self.token = uuid.uuid4().hex
        # Only queued or abandoned in-progress documents are taken: indexed, failed and
        # deleted ones are left alone, which makes a re-delivered job idempotent.
        Document.objects.filter(pk__in=list(document_ids), status__in=Document.IN_PROGRESS).update(
            status=Document.Status.PARSING,
            ingest_token=self.token,
            started_at=timezone.now(),
            failure_reason="",
            progress_done=0,
            progress_total=0,
        )
        self.jobs = [_Job(d) for d in Document.objects.filter(ingest_token=self.token).order_by("pk")]

    def owned(self, jobs: Iterable[_Job]) -> QuerySet[Document]:
        return Document.objects.filter(pk__in=[j.document.pk for j in jobs], ingest_token=self.token)

    def fail(self, job: _Job, reason: str) -> None:
        log.info("document %s failed: %s", job.document.pk, reason)
        self.owned([job]).update(status=Document.Status.FAILED, failure_reason=reason[:2000], progress_done=0)

    def save(self, jobs: list[_Job], fields: list[str]) -> None:
        """Write these fields of the jobs' documents in one query, if still ours."""
        still_ours = set(self.owned(jobs).values_list("pk", flat=True))
        Document.objects.bulk_update([j.document for j in jobs if j.document.pk in still_ours], fields)


def _parse_and_chunk(run: _Run, job: _Job) -> bool:
    """Read the file, extract text, cut it into chunks; False (and failed) on bad input."""
    document = job.document
    try:
        with document.file.open("rb") as handle:
            data = handle.read()
    except OSError as error:
        run.fail(job, f"the uploaded file cannot be read: {error.strerror or error}")
        return False
    try:
        parsed = parse_document(data, document.original_filename, progress=_page_progress(run, job))
    except ParseError as error:
        run.fail(job, str(error))
        return False
    encoder = get_encoder()
    max_tokens = min(settings.CHUNK_TOKENS, encoder.max_seq_length - 2)
    overlap = min(settings.CHUNK_OVERLAP_TOKENS, max_tokens // 2)
    if parsed.title and document.title == _title_for(document.original_filename):
        document.title = parsed.title[:500]
    job.chunks = chunk_document(parsed, encoder.tokenizer, max_tokens, overlap, title=document.title)
    if not job.chunks:
        run.fail(job, "no text could be extracted from this file")
        return False
    document.status = Document.Status.EMBEDDING
    document.text = parsed.text
    document.format = parsed.format
    document.page_count = parsed.page_count
    document.warnings = list(parsed.warnings)
    document.progress_done, document.progress_total = 0, len(job.chunks)  # from pages read to chunks embedded
    return True


def _page_progress(run: _Run, job: _Job) -> Callable[[int, int], None]:
    """While a paged file is parsed, progress is pages read / pages (written at most once a second)."""
    last = time.monotonic()

    def report(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= 1.0:
            last = time.monotonic()
            run.owned([job]).update(progress_done=done, progress_total=total)

    return report


_PARSED_FIELDS = [
    "status",
    "text",
    "format",
    "page_count",
    "warnings",
    "progress_done",
    "progress_total",
    "title",
]


def _embed(run: _Run, jobs: list[_Job]) -> None:
    """Encode every job's chunks in shared batches, reporting progress as it goes."""
    encoder = get_encoder()
    texts = [spec.embed_text for job in jobs for spec in job.chunks]
    owner = [i for i, job in enumerate(jobs) for _ in job.chunks]
    vectors = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for start in range(0, len(texts), PROGRESS_STEP):
        end = min(start + PROGRESS_STEP, len(texts))
        vectors[start:end] = encoder.encode(texts[start:end])
        if end < len(texts):  # the final write sets completed counts
            done = np.bincount(owner[:end], minlength=len(jobs))
            touched = sorted(set(owner[start:end]))
            for i in touched:
                jobs[i].document.progress_done = int(done[i])
            run.save([jobs[i] for i in touched], ["progress_done"])
    offset = 0
    for job in jobs:
        job.vectors = vectors[offset : offset + len(job.chunks)]
        offset += len(job.chunks)


def _vectors(job: _Job) -> np.ndarray:
    assert job.vectors is not None, "_embed runs before _store"
    return job.vectors


def _store(run: _Run, jobs: list[_Job]) -> None:
    """Write chunks and vectors and mark the documents indexed, all or nothing.

    Vectors are published inside the transaction: if publishing fails, no document
    claims to be indexed. If the process dies after publishing but before the commit,
    the index holds vectors for chunk ids that never existed; search only admits ids of
    indexed chunks from the database, and `rebuild_index` sweeps them.
    """
    with transaction.atomic():
        ours = set(run.owned(jobs).select_for_update().values_list("pk", flat=True))
        jobs = [job for job in jobs if job.document.pk in ours]  # others were deleted or re-queued
        if not jobs:
            return
        old = Chunk.objects.filter(document_id__in=ours)
        removed = np.fromiter(old.values_list("id", flat=True), dtype=np.int64)
        old.delete()
        rows = Chunk.objects.bulk_create(
            Chunk(
                document_id=job.document.pk,
                ordinal=spec.ordinal,
                text=spec.text,
                start=spec.start,
                end=spec.end,
                page=spec.page,
                page_label=(spec.page_label or "")[:32],
                heading_path=list(spec.heading_path),
                token_count=spec.token_count,
                embedding=vector.tobytes(),
            )
            for job in jobs
            for spec, vector in zip(job.chunks, _vectors(job), strict=True)
        )
        now, name = timezone.now(), encoder_name()
        for job in jobs:
            job.document.status = Document.Status.INDEXED
            job.document.chunk_count = job.document.progress_done = len(job.chunks)
            job.document.indexed_at = now
            job.document.encoder = name
        Document.objects.bulk_update(
            [job.document for job in jobs],
            ["status", "chunk_count", "progress_done", "indexed_at", "encoder"],
        )
        get_index().update(
            remove=removed,
            add_ids=np.fromiter((row.pk for row in rows), dtype=np.int64, count=len(rows)),
            add_vectors=np.concatenate([_vectors(job) for job in jobs]),
        )


def ingest_documents(document_ids: Sequence[int]) -> None:
    """Ingest documents: each ends indexed, or failed with a reason a person can read.

    Safe to run again for the same ids (a re-delivered job): indexed and failed
    documents are skipped, abandoned ones start over. One document's bad file never
    stops the others.
    """
    run = _Run(document_ids)
    ready: list[_Job] = []
    for job in run.jobs:
        try:
            if _parse_and_chunk(run, job):
                ready.append(job)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:  # a parser bug must fail one document, not the batch
            log.exception("unexpected error while reading document %s", job.document.pk)
            run.fail(job, f"unexpected error while reading the file ({type(error).__name__}: {error})")
    if not ready:
        return
    run.save(ready, _PARSED_FIELDS)
    try:
        _embed(run, ready)
        _store(run, ready)
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:
        log.exception("indexing failed for documents %s", [job.document.pk for job in ready])
        for job in ready:
            run.fail(job, f"indexing failed ({type(error).__name__}: {error}); re-ingest to try again")


def ingest_document(document_id: int) -> None:
    ingest_documents([document_id])
