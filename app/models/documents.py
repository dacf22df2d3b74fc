"""Documents, the chunks they are cut into, and the collections that group them."""

from __future__ import annotations

from typing import Literal

import numpy as np
from django.conf import settings
from django.db import models

from retrieval.parsing import SLIDE_FORMATS

PageUnit = Literal["page", "slide"]  # what a chunk's `page` counts (`Document.page_unit`)


class Collection(models.Model):
    """A named group of one owner's documents; search and answers can be limited to one.

    The evaluation command keeps its datasets in collections of its own, so users'
    documents are never mixed with benchmark data.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=200)
    # Evaluation datasets live in collections of their own, left out of everyday search.
    is_evaluation = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="collection_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """An uploaded file and the state of its ingestion.

    Status is a small state machine; only `app.services.ingestion` moves it::

        queued ──> parsing ──> embedding ──> indexed
          │           │            │
          └───────────┴────────────┴──────> failed (failure_reason says why, for people)

        indexed | failed ──(re-ingest)──> queued

    A job that died half-way (worker killed) leaves `parsing` or `embedding`; running the
    job again starts that document over, replacing any chunks it had, so a re-delivered
    Celery message never duplicates chunks. `indexed` means the chunks are in the
    database *and* their vectors are in the FAISS index.

    While a job works on a document it renews `heartbeat_at`; a claim whose heartbeat went
    stale belongs to a dead worker, and the workers' sweep queues the document again.
    `dispatched_at` is when the document was last handed to the queue; a queued document
    without it was stored while the broker was unreachable, and the sweep sends it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PARSING = "parsing", "Parsing"
        EMBEDDING = "embedding", "Embedding"
        INDEXED = "indexed", "Indexed"
        FAILED = "failed", "Failed"

    IN_PROGRESS = (Status.QUEUED, Status.PARSING, Status.EMBEDDING)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(max_length=500)
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=500)
    original_filename = models.CharField(max_length=500)
    format = models.CharField(max_length=16, blank=True)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    failure_reason = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Which run of the ingestion job owns the document right now; a stale run (its worker
    # presumed dead and the job re-delivered) notices it lost the claim and stops.
    ingest_token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    text = models.TextField(blank=True, help_text="The extracted text; chunk spans index into it.")
    page_count = models.PositiveIntegerField(null=True, blank=True)
    encoder = models.CharField(max_length=300, blank=True, help_text="Encoder that made the vectors.")
    chunk_count = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One copy of the same content per owner and collection: an upload of a
            # duplicate points at the existing document instead (see upload_documents).
            # Two partial constraints, because NULL collections never compare equal.
            models.UniqueConstraint(
                fields=["owner", "sha256"],
                condition=models.Q(collection__isnull=True),
                name="document_unique_content",
            ),
            models.UniqueConstraint(
                fields=["owner", "collection", "sha256"],
                condition=models.Q(collection__isnull=False),
                name="document_unique_content_in_collection",
            ),
        ]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS

    @property
    def page_unit(self) -> PageUnit:
        """What a chunk's `page` counts: a slide deck's pages are its slides."""
        return "slide" if self.format in SLIDE_FORMATS else "page"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.INDEXED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class IngestionWorker(models.Model):
    """A worker process that sweeps and ingests, with when it was last seen alive.

    Workers renew `seen_at` on every sweep; the library says "waiting for a worker" when
    documents are queued and no worker was seen recently.
    """

    name = models.CharField(max_length=300, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Chunk(models.Model):
    """A piece of a document's extracted text, the unit of search and citation.

    Its primary key is also its id in the FAISS index; `embedding` keeps the vector
    (float32 bytes) so the index can always be rebuilt from the database;
    `sentence_embeddings` its sentences' (see `retrieval.sentence_match`).

    `text` is the document's text from `start` to `end` (less running headers and footers)
    and, when the chunk starts with rows of a table whose header row lies before `start`,
    that header first: `document.text[table_header_start:table_header_end]` and a newline.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    start = models.PositiveIntegerField(help_text="Offset of the chunk in the document's text.")
    end = models.PositiveIntegerField()
    page = models.PositiveIntegerField(null=True, blank=True)
    # The page as printed ("iv", "A-3"), from the PDF's page labels; "" when it has none.
    page_label = models.CharField(max_length=32, blank=True, default="")
    heading_path = models.JSONField(default=list, blank=True)
    token_count = models.PositiveIntegerField()
    embedding = models.BinaryField()
    # Every quotable sentence's vector, float16 (n, dim), in `text` order: search matches a
    # chunk by its best sentence too (retrieval.sentence_match). NULL for chunks embedded
    # before it existed (matched on `embedding` alone until `manage.py embed_sentences`).
    sentence_embeddings = models.BinaryField(null=True, blank=True, default=None)
    # The sentence rules (`retrieval.evidence.QUOTABLE_RULES`) those vectors were cut under.
    # Under older rules they still rank the chunk (its best sentence is still a sentence of
    # it) but no longer line up with its sentences, so evidence encodes them again.
    sentence_rules = models.PositiveSmallIntegerField(default=1)
    table_header_start = models.PositiveIntegerField(null=True, blank=True)
    table_header_end = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["document_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["document", "ordinal"], name="chunk_unique_ordinal"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal}"

    @property
    def heading(self) -> str:
        return " › ".join(self.heading_path)

    @property
    def table_header(self) -> tuple[int, int] | None:
        """The span of the document's text repeated at the head of `text`, if any."""
        if self.table_header_start is None or self.table_header_end is None:
            return None
        return (self.table_header_start, self.table_header_end)

    def vector(self) -> np.ndarray:
        return np.frombuffer(bytes(self.embedding), dtype=np.float32)
