"""`evaluate`: measure the running configuration on a BEIR or SQuAD dataset, resumably.

A run is an `EvaluationRun` row; every query's or question's result is an
`EvaluationItem` saved as soon as it is known, so a run stopped half-way (Ctrl-C, a crash,
a reboot) is resumed by asking only what is missing. The headline metrics are computed from
all of a run's items at the end (`output.summarize_run`), whichever invocation produced them.

What is measured goes through the product's own paths: retrieval through
`search.search_chunks` (the one retrieval function), answers through `answers.answer_question`.
The dataset kinds each have a runner (`beir.run_beir`, `squad.run_squad`) behind one small
protocol: a callable taking the run's `Context`. `evaluate.evaluate` ties them together.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

from app.evaluation.corpus import Corpus, chunking_config, ensure_corpus, evaluation_user
from app.evaluation.datasets import Dataset, load_dataset, sample_items
from app.evaluation.progress import ProgressBar
from app.models import Chunk, EvaluationItem, EvaluationRun
from app.services.runtime import engine_settings, get_encoder
from app.services.search import RETRIEVAL_MODES
from app.users import User
from generation.cpu import resolve_dtype
from retrieval.answerability import DEFAULT_ANSWERABILITY, QUOTES_JUDGED
from retrieval.lexical import stemmer_name

ANSWER_MODES = ("extract", "free", "evidence")


def product_max_new_tokens() -> int:
    """The chat's answer budget, so that evaluation measures the answers people get."""
    return int(settings.GENERATOR_MAX_NEW_TOKENS)


Log = Callable[[str], None]


class EvaluationError(Exception):
    """The evaluation cannot start or go on; the message says why, for people."""


@dataclass(frozen=True)
class Params:
    """What the caller chose; stored in `EvaluationRun.params` and reused on resume."""

    limit: int | None = None
    seed: int = 0
    split: str = "test"
    oracle: bool = False
    max_new_tokens: int = field(default_factory=product_max_new_tokens)
    modes: tuple[str, ...] = RETRIEVAL_MODES  # retrieval modes reported side by side
    # SQuAD: answer modes asked side by side; the first is the one the headline reports.
    answer_modes: tuple[str, ...] = ("extract", "free")
    # SQuAD: also ask each question with its gold paragraph removed (should abstain).
    gold_removed: bool = True

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "modes": list(self.modes), "answer_modes": list(self.answer_modes)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in ("modes", "answer_modes"):
            if name in known:
                known[name] = tuple(known[name])
        return cls(**known)

    def check(self) -> None:
        if not self.modes or set(self.modes) - set(RETRIEVAL_MODES):
            raise EvaluationError(f"retrieval modes must be among {', '.join(RETRIEVAL_MODES)}")
        if not self.answer_modes or set(self.answer_modes) - set(ANSWER_MODES):
            raise EvaluationError(f"answer modes must be among {', '.join(ANSWER_MODES)}")
        if self.max_new_tokens < 1:
            raise EvaluationError("max_new_tokens must be at least 1")
        if self.limit is not None and self.limit < 1:
            raise EvaluationError("limit must be at least 1")


@dataclass
class Context:
    run: EvaluationRun
    dataset: Dataset
    corpus: Corpus
    user: User
    params: Params
    progress: bool
    log: Log
    timings: dict[str, float] = field(default_factory=dict)

    def todo(self) -> list[Any]:
        done = set(self.run.items.values_list("key", flat=True))
        return [item for item in self.dataset.items if item.key not in done]

    def save(self, results: dict[str, dict[str, Any]]) -> None:
        with transaction.atomic():
            EvaluationItem.objects.bulk_create(
                [EvaluationItem(run=self.run, key=key, result=result) for key, result in results.items()],
                ignore_conflicts=True,
            )
            self.run.items_done = self.run.items.count()
            self.run.save(update_fields=["items_done"])


class Runner(Protocol):
    """Asks every item of `ctx.todo()` and saves each result with `ctx.save`."""

    def __call__(self, ctx: Context) -> None: ...


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


# --- configuration ----------------------------------------------------------------------------


def _git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def current_config(kind: str) -> dict[str, Any]:
    """The settings a run of this kind measures (what must match for a resume)."""
    encoder = get_encoder()
    config: dict[str, Any] = {
        **chunking_config(),
        "encoder_dim": encoder.dim,
        "encoder_max_seq_length": encoder.max_seq_length,
        # What ingestion actually uses: CHUNK_TOKENS, capped by the encoder's window.
        "effective_chunk_tokens": min(settings.CHUNK_TOKENS, encoder.max_seq_length - 2),
        "bm25_stemmer": stemmer_name(),
        "retrieval_mode": settings.RETRIEVAL_MODE,
    }
    if kind == "squad":
        source = engine_settings().source()
        config.update(
            {
                "generator": source.location if source.gguf_file is None else source.gguf_file,
                "generator_dtype": resolve_dtype(settings.GENERATOR_DTYPE),
                "generator_context_tokens": settings.GENERATOR_CONTEXT_TOKENS or None,
                "answer_top_k": settings.ANSWER_TOP_K,
                "answer_evidence": settings.ANSWER_EVIDENCE,
                "answer_min_evidence": settings.ANSWER_MIN_EVIDENCE,
                # What ANSWER_MIN_EVIDENCE is compared with: the answerability model's weights,
                # read on each of the first quotes (the best counts).
                "answerability_weights": asdict(DEFAULT_ANSWERABILITY),
                "answerability_quotes": QUOTES_JUDGED,
            }
        )
    return config


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    ignored = {"torch_threads", "git_revision", "collection", "collection_id", "documents", "chunks"}
    ignored |= {"documents_failed", "corpus_reused"}
    return {k: v for k, v in config.items() if k not in ignored}


# --- starting, resuming, preparing -------------------------------------------------------------


def start(
    path: str | Path | None, params: Params, created_by: User | None, say: Log
) -> tuple[EvaluationRun, Params, Dataset]:
    params.check()
    if path is None:
        raise EvaluationError("give the dataset's path (or --resume RUN_ID)")
    resolved = Path(path).resolve()
    dataset = _load(resolved, params)
    if params.oracle and dataset.kind != "squad":
        raise EvaluationError("--oracle applies to SQuAD-format datasets (answers), not to BEIR")
    config = {**current_config(dataset.kind), "dataset_fingerprint": dataset.fingerprint()}
    run = EvaluationRun.objects.create(
        created_by=created_by,
        dataset=str(resolved),
        kind=dataset.kind,
        params={**params.to_json(), "dataset_name": dataset.name},
        config=config,
        items_total=len(dataset.items),
    )
    say(
        f"run {run.pk}: {dataset.kind} {dataset.name}, "
        f"{len(dataset.items)} items, {len(dataset.documents)} documents"
    )
    return run, params, dataset


def resume(path: str | Path | None, resume: int | bool, say: Log) -> tuple[EvaluationRun, Params, Dataset]:
    run = _find_resumable(path, resume)
    params = Params.from_json(run.params)
    say(f"resuming run {run.pk} ({run.items.count()}/{run.items_total} done)")
    dataset = _load(Path(run.dataset), params)
    if dataset.fingerprint() != run.config.get("dataset_fingerprint"):
        raise EvaluationError(f"the dataset at {run.dataset} changed since run {run.pk} started")
    now = current_config(run.kind)
    changed = {
        k: (v, now.get(k))
        for k, v in _comparable(run.config).items()
        if k != "dataset_fingerprint" and now.get(k) != v
    }
    if changed:
        details = "; ".join(f"{k}: was {a!r}, now {b!r}" for k, (a, b) in changed.items())
        raise EvaluationError(f"the configuration changed since run {run.pk} started ({details})")
    run.status = EvaluationRun.Status.RUNNING
    run.failure_reason = ""
    run.finished_at = None
    run.save(update_fields=["status", "failure_reason", "finished_at"])
    return run, params, dataset


def _load(path: Path, params: Params) -> Dataset:
    try:
        dataset = load_dataset(path, params.split)
    except (OSError, ValueError) as error:
        raise EvaluationError(str(error)) from None
    sample_items(dataset, params.limit, params.seed)
    return dataset


def _find_resumable(path: str | Path | None, resume: int | bool) -> EvaluationRun:
    unfinished = EvaluationRun.objects.exclude(status=EvaluationRun.Status.COMPLETE)
    if resume is True:
        if path is None:
            raise EvaluationError("--resume without a run id needs the dataset's path")
        run = unfinished.filter(dataset=str(Path(path).resolve())).order_by("-created_at", "-id").first()
        if run is None:
            raise EvaluationError(f"no unfinished run of {path} to resume")
        return run
    run = EvaluationRun.objects.filter(pk=int(resume)).first()
    if run is None:
        raise EvaluationError(f"there is no evaluation run {resume}")
    if run.status == EvaluationRun.Status.COMPLETE:
        raise EvaluationError(f"run {run.pk} is already complete")
    if path is not None and str(Path(path).resolve()) != run.dataset:
        raise EvaluationError(f"run {run.pk} evaluated {run.dataset}, not {path}")
    return run


def prepare(run: EvaluationRun, dataset: Dataset, params: Params, progress: bool, say: Log) -> Context:
    started = time.perf_counter()
    bar = ProgressBar(progress, len(dataset.documents), "documents", "doc")
    try:
        corpus = ensure_corpus(dataset, progress=bar.set)
    finally:
        bar.close()
    ingest_seconds = time.perf_counter() - started
    chunks = Chunk.objects.filter(document__collection=corpus.collection).count()
    say(
        f"collection {corpus.collection.name!r}: {'reused' if corpus.reused else 'ingested'} "
        f"({len(corpus.document_by_key)} documents, {chunks} chunks, {len(corpus.failed)} not indexed) "
        f"in {ingest_seconds:.1f}s"
    )
    if len(corpus.failed) == len(dataset.documents):
        raise EvaluationError("no document of the dataset could be ingested")
    run.config = {
        **run.config,
        "collection": corpus.collection.name,
        "collection_id": corpus.collection.pk,
        "documents": len(corpus.document_by_key),
        "documents_failed": len(corpus.failed),
        "chunks": chunks,
        "torch_threads": settings.TORCH_THREADS,
        "git_revision": _git_revision(),
    }
    run.save(update_fields=["config"])
    ctx = Context(run, dataset, corpus, evaluation_user(), params, progress, say)
    if not corpus.reused:
        ctx.timings["ingest_s"] = round(ingest_seconds, 2)
    return ctx
