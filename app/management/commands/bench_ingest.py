"""Benchmark: ingestion throughput against raw encoding, and search latency.

Side by side in one run (the machines are shared and noisy, so only ratios measured
together mean much):

* raw `SentenceTransformer.encode` over the chunk texts of the SQuAD dev paragraphs,
* the whole pipeline over the same paragraphs as documents (store, parse, chunk, embed,
  write chunks, publish vectors), run in-process without a queue,
* raw encoding again, so drift shows;

then search latency (p50/p95) on indexes of 10k and 100k vectors. Everything happens in
temporary directories and an evaluation collection that is deleted afterwards.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from app.models import Collection, Document
from app.services import runtime
from app.services.ingestion import DOCUMENTS_PER_JOB, ingest_documents, upload_documents
from retrieval.chunking import chunk_document
from retrieval.index import VectorIndex
from retrieval.parsing import parse_document

DEFAULT_SQUAD = (
    settings.BASE_DIR.parent / "shared" / "data" / "squad-v1.1-dev" / "dev-v1.1.reconstructed.json"
)


def _squad(path: Path) -> tuple[list[str], list[str]]:
    data = json.loads(path.read_text())["data"]
    paragraphs = [p["context"] for article in data for p in article["paragraphs"]]
    questions = [qa["question"] for article in data for p in article["paragraphs"] for qa in p["qas"]]
    return paragraphs, questions


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


class Command(BaseCommand):
    help = "Measure ingestion throughput beside raw encoding, and search latency."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, help="SQuAD-format JSON")
        parser.add_argument("--limit", type=int, default=0, help="use only the first N paragraphs")
        parser.add_argument("--sizes", default="10000,100000", help="index sizes for search latency")
        parser.add_argument("--queries", type=int, default=300, help="queries per latency measurement")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["squad"].exists():
            raise CommandError(f"{options['squad']} not found (see ../shared/data/README.md)")
        paragraphs, questions = _squad(options["squad"])
        if options["limit"]:
            paragraphs = paragraphs[: options["limit"]]
        encoder = runtime.get_encoder()
        self.stdout.write(
            f"{len(paragraphs)} paragraphs; encoder {runtime.encoder_name()} "
            f"(dim {encoder.dim}); torch threads {settings.TORCH_THREADS}"
        )
        with (
            tempfile.TemporaryDirectory() as scratch,
            override_settings(MEDIA_ROOT=Path(scratch) / "media", INDEX_DIR=Path(scratch) / "index"),
        ):
            runtime.reset_index()
            try:
                self._ingestion(paragraphs, encoder)
                self._search(encoder, questions, options)
            finally:
                runtime.reset_index()

    # --- throughput -------------------------------------------------------------------------
    def _chunk_texts(self, paragraphs: list[str], encoder: Any) -> list[str]:
        max_tokens = min(settings.CHUNK_TOKENS, encoder.max_seq_length - 2)
        overlap = min(settings.CHUNK_OVERLAP_TOKENS, max_tokens // 2)
        texts: list[str] = []
        for i, paragraph in enumerate(paragraphs):
            parsed = parse_document(paragraph.encode(), f"paragraph-{i}.txt")
            chunks = chunk_document(parsed, encoder.tokenizer, max_tokens, overlap, title=f"paragraph {i}")
            texts.extend(c.embed_text for c in chunks)
        return texts

    def _raw(self, encoder: Any, texts: list[str]) -> float:
        started = time.perf_counter()
        encoder.encode(texts)
        return len(texts) / (time.perf_counter() - started)

    def _ingestion(self, paragraphs: list[str], encoder: Any) -> None:
        user, _ = get_user_model().objects.get_or_create(
            username="bench-ingest", defaults={"is_active": False}
        )
        collection, _ = Collection.objects.get_or_create(owner=user, name="bench-ingest", is_evaluation=True)
        Document.objects.filter(collection=collection).delete()
        try:
            texts = self._chunk_texts(paragraphs, encoder)
            encoder.encode(texts[:64])  # warm-up: first calls pay for allocations
            raw_before = self._raw(encoder, texts)

            files = [SimpleUploadedFile(f"paragraph-{i}.txt", p.encode()) for i, p in enumerate(paragraphs)]
            started = time.perf_counter()
            outcomes = upload_documents(user, files, collection=collection, queue=False)
            upload_seconds = time.perf_counter() - started
            ids = [o.document.pk for o in outcomes if o.created and o.document is not None]
            started = time.perf_counter()
            for first in range(0, len(ids), DOCUMENTS_PER_JOB):
                ingest_documents(ids[first : first + DOCUMENTS_PER_JOB])
            ingest_seconds = time.perf_counter() - started
            raw_after = self._raw(encoder, texts)

            indexed = Document.objects.filter(collection=collection, status=Document.Status.INDEXED)
            chunks = sum(indexed.values_list("chunk_count", flat=True))
            raw = (raw_before + raw_after) / 2
            pipeline = chunks / ingest_seconds
            with_upload = chunks / (ingest_seconds + upload_seconds)
            self.stdout.write("\nIngestion throughput (chunks/s)")
            self.stdout.write(f"  raw encode, before      {raw_before:9.1f}")
            self.stdout.write(f"  raw encode, after       {raw_after:9.1f}")
            self.stdout.write(
                f"  pipeline (parse→index)  {pipeline:9.1f}   ratio to raw {pipeline / raw:.2f}"
            )
            self.stdout.write(
                f"  pipeline + upload       {with_upload:9.1f}   ratio to raw {with_upload / raw:.2f}"
            )
            self.stdout.write(
                f"  {indexed.count()}/{len(ids)} documents indexed, {chunks} chunks ({len(texts)} in raw run)"
            )
        finally:
            Document.objects.filter(collection=collection).delete()
            collection.delete()

    # --- latency ----------------------------------------------------------------------------
    def _search(self, encoder: Any, questions: list[str], options: dict[str, Any]) -> None:
        rng = np.random.default_rng(0)
        queries = encoder.encode(questions[: options["queries"]])
        self.stdout.write("\nSearch latency, one query at a time (ms)")
        self.stdout.write(
            f"  {'vectors':>8}  {'p50':>7}  {'p95':>7}  {'p50 filtered':>13}  {'p95 filtered':>13}"
        )
        for size in (int(s) for s in options["sizes"].split(",") if s):
            with tempfile.TemporaryDirectory() as directory:
                index = VectorIndex(Path(directory), encoder.dim, "bench")
                vectors = rng.normal(size=(size, encoder.dim)).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                index.replace_all(np.arange(size, dtype=np.int64), vectors)
                allowed = np.arange(0, size, 2, dtype=np.int64)  # a user owning half the chunks
                plain, filtered = [], []
                for query in queries:
                    started = time.perf_counter()
                    index.search(query[None, :], 5)
                    plain.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    index.search(query[None, :], 5, allowed_ids=allowed)
                    filtered.append(time.perf_counter() - started)
                p50, p95 = _percentiles(plain)
                f50, f95 = _percentiles(filtered)
                self.stdout.write(f"  {size:>8}  {p50:7.2f}  {p95:7.2f}  {f50:13.2f}  {f95:13.2f}")
