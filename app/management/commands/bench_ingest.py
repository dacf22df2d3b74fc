"""Benchmark: encoder variants, ingestion throughput against raw encoding, search latency.

Side by side in one run (the machines are shared and noisy, so only ratios measured
together mean much), on the chunk texts of the SQuAD dev paragraphs, after the CPU's flags:

* encoder variants (`--backends`, `--threads`, `--batch-sizes`, `--bf16`, `--unsorted`) in
  interleaved rounds, each with its speed ratio to torch float32 and its cosine to it
  (`app/benchmarks/encoders.py`);
* raw torch float32 `encode` (the baseline the ratios are to),
* the whole pipeline over the same paragraphs as documents (store, parse, chunk, embed,
  write chunks, publish vectors) with the `--pipeline-backend` encoder, in-process,
* raw torch float32 again, so drift shows;

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

from app.benchmarks.encoders import Measured, Variant, VariantBench, cpu_flags, variants
from app.models import Collection, Document
from app.services import runtime
from app.services.documents import upload_documents
from app.services.ingestion import DOCUMENTS_PER_JOB, ingest_documents
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


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


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
        parser.add_argument("--backends", default="torch,onnx,onnx-int8", help="encoder variants to compare")
        parser.add_argument("--threads", default="", help="e.g. 1,2 (default TORCH_THREADS)")
        parser.add_argument("--batch-sizes", default="", help="e.g. 16,64 (default ENCODER_BATCH_SIZE)")
        parser.add_argument("--bf16", action="store_true", help="add torch under bfloat16 autocast")
        parser.add_argument("--unsorted", action="store_true", help="add each variant with unsorted batches")
        parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the variants")
        parser.add_argument("--pipeline-backend", default="", help="the pipeline's encoder (ENCODER_BACKEND)")
        parser.add_argument("--skip-variants", action="store_true")
        parser.add_argument("--skip-pipeline", action="store_true")
        parser.add_argument("--skip-search", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["squad"].exists():
            raise CommandError(f"{options['squad']} not found (see ../shared/data/README.md)")
        paragraphs, questions = _squad(options["squad"])
        if options["limit"]:
            paragraphs = paragraphs[: options["limit"]]
        threads = _numbers(options["threads"]) or [settings.TORCH_THREADS]
        batch_sizes = _numbers(options["batch_sizes"]) or [settings.ENCODER_BATCH_SIZE]
        try:
            chosen = variants(
                options["backends"].split(","),
                threads,
                batch_sizes,
                bf16=options["bf16"],
                unsorted=options["unsorted"],
            )
            backend = options["pipeline_backend"] or settings.ENCODER_BACKEND
            (pipeline,) = variants([backend], [settings.TORCH_THREADS], [settings.ENCODER_BATCH_SIZE])
        except ValueError as error:
            raise CommandError(str(error)) from None
        runtime.configure_torch()
        bench = VariantBench(settings.ENCODER_MODEL, settings.MODEL_CACHE_DIR, settings.TORCH_THREADS)
        baseline = Variant("torch", settings.TORCH_THREADS, settings.ENCODER_BATCH_SIZE)
        self.stdout.write(f"CPU flags: {cpu_flags()}")
        self.stdout.write(
            f"{len(paragraphs)} paragraphs; encoder {runtime.encoder_name()}; "
            f"torch threads {settings.TORCH_THREADS}; pipeline encoder {pipeline.label}"
        )
        texts = self._chunk_texts(paragraphs, bench.encoder(baseline))
        if not options["skip_variants"]:
            self._variants(bench, chosen, texts, options["rounds"])
        encoder = bench.encoder(pipeline)
        runtime.use_encoder(encoder)
        with (
            tempfile.TemporaryDirectory() as scratch,
            override_settings(MEDIA_ROOT=Path(scratch) / "media", INDEX_DIR=Path(scratch) / "index"),
        ):
            runtime.reset_index()
            try:
                if not options["skip_pipeline"]:
                    self._ingestion(paragraphs, texts, bench, baseline)
                if not options["skip_search"]:
                    self._search(encoder, questions, options)
            finally:
                runtime.reset_index()
                runtime.reset_encoder()

    # --- encoder variants -------------------------------------------------------------------
    def _variants(self, bench: VariantBench, chosen: list[Variant], texts: list[str], rounds: int) -> None:
        results = bench.measure(chosen, texts, rounds)
        base = next((r for r in results if r.variant == Variant("torch", bench.default_threads, 64)), None)
        base = base or next((r for r in results if r.variant.backend == "torch"), results[0])
        self.stdout.write(
            f"\nEncoder variants: chunks/s over {len(texts)} chunks, {rounds} interleaved rounds; "
            f"ratio of medians to {base.variant.label}; cosine to torch float32"
        )
        header = f"{'variant':<28} {'rounds':<22} {'median':>7} {'ratio':>6} {'cos min':>8} {'cos mean':>8}"
        self.stdout.write(f"  {header}")
        for result in results:
            self._variant_row(result, base)

    def _variant_row(self, result: Measured, base: Measured) -> None:
        rounds = " ".join(f"{rate:.1f}" for rate in result.rates)
        self.stdout.write(
            f"  {result.variant.label:<28} {rounds:<22} {result.median:7.1f} "
            f"{result.median / base.median:6.2f} {result.cosine_min:8.4f} {result.cosine_mean:8.4f}"
        )

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

    def _ingestion(
        self, paragraphs: list[str], texts: list[str], bench: VariantBench, baseline: Variant
    ) -> None:
        user, _ = get_user_model().objects.get_or_create(
            username="bench-ingest", defaults={"is_active": False}
        )
        collection, _ = Collection.objects.get_or_create(owner=user, name="bench-ingest", is_evaluation=True)
        Document.objects.filter(collection=collection).delete()
        try:
            runtime.get_encoder().encode(texts[:64])  # warm-up: first calls pay for allocations
            raw_before = bench.encode(baseline, texts)[1]

            files = [SimpleUploadedFile(f"paragraph-{i}.txt", p.encode()) for i, p in enumerate(paragraphs)]
            started = time.perf_counter()
            outcomes = upload_documents(user, files, collection=collection, queue=False)
            upload_seconds = time.perf_counter() - started
            ids = [o.document.pk for o in outcomes if o.created and o.document is not None]
            started = time.perf_counter()
            for first in range(0, len(ids), DOCUMENTS_PER_JOB):
                ingest_documents(ids[first : first + DOCUMENTS_PER_JOB])
            ingest_seconds = time.perf_counter() - started
            raw_after = bench.encode(baseline, texts)[1]

            indexed = Document.objects.filter(collection=collection, status=Document.Status.INDEXED)
            chunks = sum(indexed.values_list("chunk_count", flat=True))
            raw = (raw_before + raw_after) / 2
            pipeline = chunks / ingest_seconds
            with_upload = chunks / (ingest_seconds + upload_seconds)
            self.stdout.write(f"\nIngestion throughput (chunks/s), pipeline: {runtime.encoder_identity()}")
            self.stdout.write(f"  raw torch float32 encode, before  {raw_before:9.1f}")
            self.stdout.write(f"  raw torch float32 encode, after   {raw_after:9.1f}")
            self.stdout.write(
                f"  pipeline (parse→index)            {pipeline:9.1f}   ratio to raw {pipeline / raw:.2f}"
            )
            row = f"{with_upload:9.1f}   ratio to raw {with_upload / raw:.2f}"
            self.stdout.write(f"  pipeline + upload                 {row}")
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
