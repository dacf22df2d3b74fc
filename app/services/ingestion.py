"""Ingestion: a stored file -> parsed text -> chunks -> vectors -> index.

`ingest_documents` does the work, in a Celery worker (stack) or a thread of the web process
(embedded); `documents.py` stores uploads and queues them, `sweep.py` recovers what a stopped
worker left. The status state machine is documented on `Document`; this module is the only
place that moves a document through parsing and embedding.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from app.models import Chunk, Document
from app.services.runtime import encoder_identity, get_encoder, get_index
from retrieval.chunking import ChunkSpec, chunk_document
from retrieval.document import ParseError
from retrieval.evidence import QUOTABLE_RULES
from retrieval.parsing import filename_title, parse_document
from retrieval.sentence_match import encode_sentences

log = logging.getLogger(__name__)

# Documents handed to `ingest_documents` together share encoder batches and database round
# trips (benchmarks and evaluation ingest in runs of this many). Uploads queue one job per
# document: each document is queued in the transaction that stores it, a small document
# is not held behind a large one's job, and a killed job loses one document's work.
DOCUMENTS_PER_JOB = 64
# How many chunk texts are encoded between two progress updates (and cancellation checks).
PROGRESS_STEP = 256
# Errors worth retrying the whole job for: the database went away for a moment. The
# documents stay in progress, and the retry claims them again and starts over.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# A job's claimed documents are in one of these while it works on them.
ACTIVE = (Document.Status.PARSING, Document.Status.EMBEDDING)


def abandoned_claims(stale_before: object) -> Q:
    """In progress, but the claim's heartbeat stopped before `stale_before`: its worker died.

    Every claim sets a heartbeat, so an in-progress document without one (a row from before
    heartbeats existed) has no live claim either.
    """
    return Q(status__in=ACTIVE) & (Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))


class _Heartbeat:
    """Renews `heartbeat_at` of the run's claimed documents every INGEST_HEARTBEAT_SECONDS.

    A thread, so the beat goes on while a parser or the encoder holds the job's thread for
    a long time; it dies with the process, which is exactly what makes a claim go stale.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="ingest-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.INGEST_HEARTBEAT_SECONDS):
                try:
                    Document.objects.filter(ingest_token=self.token, status__in=ACTIVE).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception as error:  # a missed beat is retried; never kill the job
                    log.warning("ingestion heartbeat failed: %s", error)
        finally:
            connection.close()


# --- the job ------------------------------------------------------------------------------


@dataclass
class _Job:
    """One claimed document travelling through the pipeline."""

    document: Document
    chunks: list[ChunkSpec] = field(default_factory=list)
    vectors: np.ndarray | None = None
    sentence_vectors: list[bytes] = field(default_factory=list)  # sentence_match.pack, per chunk


class _Run:
    """One run of the ingestion job over some documents.

    The run claims its documents with a token of its own and keeps the claim alive with
    a heartbeat; every later write is conditional on that token still being there. A
    document re-queued (re-ingest, or the sweep after this run's heartbeat went stale) or
    deleted is thus lost to this run, which stops working on it. All writes are batched
    across the run's documents: per-document queries would cost more than encoding short
    documents does.
    """

    def __init__(self, document_ids: Sequence[int]) -> None:
        self.token = uuid.uuid4().hex
        now = timezone.now()
        # Only queued or abandoned in-progress documents are taken: indexed, failed and
        # deleted ones are left alone, and so are ones a live run holds (fresh heartbeat),
        # which makes a re-delivered or duplicate job harmless.
        claimable = Q(status=Document.Status.QUEUED) | abandoned_claims(
            now - timedelta(seconds=settings.INGEST_STALE_SECONDS)
        )
        Document.objects.filter(claimable, pk__in=list(document_ids)).update(
            status=Document.Status.PARSING,
            ingest_token=self.token,
            started_at=now,
            heartbeat_at=now,
            failure_reason="",
            progress_done=0,
            progress_total=0,
        )
        self.jobs = [_Job(d) for d in Document.objects.filter(ingest_token=self.token).order_by("pk")]

    def owned(self, jobs: Iterable[_Job]) -> QuerySet[Document]:
        return Document.objects.filter(pk__in=[j.document.pk for j in jobs], ingest_token=self.token)

    def fail(self, job: _Job, reason: str) -> None:
        log.info("document %s failed: %s", job.document.pk, reason)
        self.owned([job]).update(
            status=Document.Status.FAILED, failure_reason=reason[:2000], progress_done=0, heartbeat_at=None
        )

    def save(self, jobs: list[_Job], fields: list[str]) -> None:
        """Write these fields of the jobs' documents, each only if still ours.

        One plain UPDATE per document, in one transaction: `bulk_update`'s CASE WHEN per field
        and row cost more CPU to build than encoding short documents does (0.4 s for 64
        documents × 8 fields, on the shared machine, 15% of a SQuAD ingestion's time).
        """
        with transaction.atomic():
            for job in jobs:
                self.owned([job]).update(**{name: getattr(job.document, name) for name in fields})


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
    if len(parsed.text) > settings.INGEST_MAX_CHARACTERS:
        run.fail(job, _over_limit("extracted text", len(parsed.text), "characters", "INGEST_MAX_CHARACTERS"))
        return False
    encoder = get_encoder()
    max_tokens = min(settings.CHUNK_TOKENS, encoder.max_seq_length - 2)
    overlap = min(settings.CHUNK_OVERLAP_TOKENS, max_tokens // 2)
    if parsed.title and document.title == filename_title(document.original_filename):
        document.title = parsed.title[:500]
    job.chunks = chunk_document(parsed, encoder.tokenizer, max_tokens, overlap, title=document.title)
    if not job.chunks:
        run.fail(job, "no text could be extracted from this file")
        return False
    if len(job.chunks) > settings.INGEST_MAX_CHUNKS:
        run.fail(job, _over_limit("text", len(job.chunks), "chunks", "INGEST_MAX_CHUNKS"))
        return False
    document.status = Document.Status.EMBEDDING
    document.text = parsed.text
    document.format = parsed.format
    document.page_count = parsed.page_count
    document.warnings = list(parsed.warnings)
    document.progress_done, document.progress_total = 0, len(job.chunks)  # from pages read to chunks embedded
    return True


PAGE_PROGRESS_SECONDS = 1.0


def _page_progress(run: _Run, job: _Job) -> Callable[[int, int], None]:
    """While a paged file is parsed, progress is pages read / pages: written at the first
    page (the library learns the page count at once, even for a PDF read in a second) and
    then at most once every PAGE_PROGRESS_SECONDS."""
    last: float | None = None

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if last is None or now - last >= PAGE_PROGRESS_SECONDS:
            last = now
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


def _over_limit(what: str, size: int, unit: str, setting: str) -> str:
    limit = getattr(settings, setting)
    return (
        f"the {what} is {size:,} {unit}, over the limit of {limit:,} {unit} per document "
        f"({setting}); split the file, or ask an administrator to raise {setting}"
    )


def _embed(run: _Run, jobs: list[_Job]) -> list[_Job]:
    """Encode the jobs' chunks in shared batches; the jobs still ours at the end.

    Between batches the run reports progress and checks its claims: a document deleted
    or re-queued meanwhile is dropped at once instead of being embedded to the end.
    """
    encoder = get_encoder()
    for job in jobs:
        job.vectors = np.zeros((len(job.chunks), encoder.dim), dtype=np.float32)
        job.sentence_vectors = [b""] * len(job.chunks)
    order = [(i, k) for i, job in enumerate(jobs) for k in range(len(job.chunks))]
    live = set(range(len(jobs)))
    cursor = 0
    while cursor < len(order):
        batch = order[cursor : cursor + PROGRESS_STEP]
        cursor += len(batch)
        encoded = encoder.encode([jobs[i].chunks[k].embed_text for i, k in batch])
        for (i, k), vector in zip(batch, encoded, strict=True):
            _vectors(jobs[i])[k] = vector
        sentences = encode_sentences([jobs[i].chunks[k].text for i, k in batch], encoder.encode)
        for (i, k), packed in zip(batch, sentences, strict=True):
            jobs[i].sentence_vectors[k] = packed
        if cursor == len(order):
            break  # the final write (_store) sets completed counts
        ours = set(run.owned([jobs[i] for i in live]).values_list("pk", flat=True))
        lost = {i for i in live if jobs[i].document.pk not in ours}
        if lost:
            gone = [jobs[i].document.pk for i in lost]
            log.info("documents %s were deleted or re-queued; their job stops", gone)
            live -= lost
            order = order[:cursor] + [(i, k) for i, k in order[cursor:] if i in live]
        touched = sorted({i for i, _ in batch} & live)
        for i in touched:
            jobs[i].document.progress_done = sum(1 for j, _ in order[:cursor] if j == i)
        run.save([jobs[i] for i in touched], ["progress_done"])
    return [jobs[i] for i in sorted(live)]


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
                sentence_embeddings=sentences,
                sentence_rules=QUOTABLE_RULES,
                table_header_start=spec.table_header[0] if spec.table_header else None,
                table_header_end=spec.table_header[1] if spec.table_header else None,
            )
            for job in jobs
            for spec, vector, sentences in zip(job.chunks, _vectors(job), job.sentence_vectors, strict=True)
        )
        now, name = timezone.now(), encoder_identity()
        by_count: dict[int, list[int]] = {}
        for job in jobs:
            job.document.status = Document.Status.INDEXED
            job.document.chunk_count = job.document.progress_done = len(job.chunks)
            job.document.indexed_at = now
            job.document.encoder = name
            job.document.heartbeat_at = None
            by_count.setdefault(len(job.chunks), []).append(job.document.pk)
        for count, pks in by_count.items():  # one UPDATE per chunk count (see _Run.save)
            Document.objects.filter(pk__in=pks).update(
                status=Document.Status.INDEXED,
                chunk_count=count,
                progress_done=count,
                indexed_at=now,
                encoder=name,
                heartbeat_at=None,
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
    if not run.jobs:
        return
    with _Heartbeat(run.token):
        _ingest(run)


def _ingest(run: _Run) -> None:
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
        ready = _embed(run, ready)
        if ready:
            _store(run, ready)
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:
        log.exception("indexing failed for documents %s", [job.document.pk for job in ready])
        for job in ready:
            run.fail(job, f"indexing failed ({type(error).__name__}: {error}); re-ingest to try again")
