"""`evaluate`: measure the running configuration on a BEIR or SQuAD dataset, resumably.

A run is an `EvaluationRun` row; every query's or question's result is an
`EvaluationItem` saved as soon as it is known, so a run stopped half-way (Ctrl-C, a
crash, a reboot) is resumed by asking only what is missing. The headline metrics are
computed from all of a run's items at the end, whichever invocation produced them.

BEIR (retrieval only): queries are encoded in batches and searched in the dataset's
collection through the index, exactly as `search_chunks` does (same encoder, same index,
the same chunk ids the evaluation user may search); a document's score is its best
chunk's. BM25 over whole documents and a reciprocal-rank fusion of the two are reported
beside it.

SQuAD (retrieval and answers): the same retrieval figures, at the level of chunks (a hit
is a chunk of the gold paragraph among the top k), then one answer per question through
`answer_question`, the service the chat uses, in a conversation limited to the dataset's
collection, or with the gold paragraph's chunks handed in (`oracle`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from app.evaluation import metrics
from app.evaluation.corpus import Corpus, chunking_config, ensure_corpus, evaluation_user
from app.evaluation.datasets import BeirQuery, Dataset, SquadQuestion, load_dataset, sample_items
from app.evaluation.lexical import Bm25, stemmer_name
from app.models import Chunk, EvaluationItem, EvaluationRun
from app.services.answers import AnswerDone, answer_question, start_conversation
from app.services.runtime import engine_settings, get_encoder, get_index
from app.services.search import SearchResult
from app.services.visibility import searchable_chunks
from generation.types import GenerationConfig

MODES = ("dense", "bm25", "hybrid")
RECALL_KS = (1, 5, 10, 100)
CURVE_KS = (1, 2, 3, 5, 10, 20, 30, 50, 100)
RANKING_DEPTH = 100  # documents (BEIR) or chunks (SQuAD) kept per query and mode
BEIR_CHUNK_DEPTH = 1000  # chunks searched to rank RANKING_DEPTH documents by their best chunk
BATCH = 64  # queries encoded and saved together
RRF_K = 60
DEFAULT_MAX_NEW_TOKENS = 48

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
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    modes: tuple[str, ...] = MODES

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "modes": list(self.modes)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "modes" in known:
            known["modes"] = tuple(known["modes"])
        return cls(**known)


@dataclass
class _Context:
    run: EvaluationRun
    dataset: Dataset
    corpus: Corpus
    user: AbstractBaseUser
    params: Params
    progress: bool
    log: Log
    timings: dict[str, float] = field(default_factory=dict)


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
    }
    if kind == "squad":
        source = engine_settings().source()
        config.update(
            {
                "generator": source.location if source.gguf_file is None else source.gguf_file,
                "generator_dtype": settings.GENERATOR_DTYPE,
                "generator_context_tokens": settings.GENERATOR_CONTEXT_TOKENS or None,
                "answer_top_k": settings.ANSWER_TOP_K,
                "answer_min_score": settings.ANSWER_MIN_SCORE,
            }
        )
    return config


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    ignored = {"torch_threads", "git_revision", "collection", "collection_id", "documents", "chunks"}
    ignored |= {"documents_failed", "corpus_reused"}
    return {k: v for k, v in config.items() if k not in ignored}


# --- progress ---------------------------------------------------------------------------------


class _Bar:
    """A one-line progress bar on stderr (count/total, rate, ETA), or nothing."""

    def __init__(self, enabled: bool, total: int, desc: str, unit: str, initial: int = 0) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True
            )

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set(self, phase: str, done: int, total: int) -> None:
        if self._bar is not None:
            if phase != self._bar.desc:
                self._bar.set_description(phase, refresh=False)
                self._bar.reset(total=total)
            self._bar.total = total
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# --- the entry point --------------------------------------------------------------------------


def evaluate(
    path: str | Path | None = None,
    *,
    limit: int | None = None,
    seed: int = 0,
    split: str = "test",
    oracle: bool = False,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    modes: Sequence[str] = MODES,
    resume: int | bool | None = None,
    created_by: AbstractBaseUser | None = None,
    output: str | Path | None = None,
    html: str | Path | None = None,
    progress: bool = False,
    log: Log | None = None,
) -> EvaluationRun:
    """Evaluate the configuration on the dataset at `path`; returns the finished run.

    `resume=True` takes up the latest unfinished run of that dataset, `resume=<id>` that
    run (then `path` may be omitted); a resumed run keeps its own limit, seed and options,
    and refuses to go on if the configuration changed since it started.
    """
    say = log or (lambda message: None)
    run, params, dataset = _start(
        path, limit, seed, split, oracle, max_new_tokens, modes, resume, created_by, say
    )
    try:
        ctx = _prepare(run, dataset, params, progress, say)
        if run.kind == "beir":
            _run_beir(ctx)
        else:
            _run_squad(ctx)
        _finish(ctx)
    except KeyboardInterrupt:
        say(f"interrupted: run {run.pk} stays unfinished; resume it with --resume {run.pk}")
        raise
    except Exception as error:
        run.status = EvaluationRun.Status.FAILED
        run.failure_reason = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "failure_reason", "finished_at"])
        raise
    if output:
        write_json(run, Path(output))
        say(f"results written to {output}")
    if html:
        from app.evaluation.report import render_standalone

        Path(html).write_text(render_standalone(run), encoding="utf-8")
        say(f"report written to {html}")
    return run


def _start(
    path: str | Path | None,
    limit: int | None,
    seed: int,
    split: str,
    oracle: bool,
    max_new_tokens: int,
    modes: Sequence[str],
    resume: int | bool | None,
    created_by: AbstractBaseUser | None,
    say: Log,
) -> tuple[EvaluationRun, Params, Dataset]:
    unknown = set(modes) - set(MODES)
    if unknown or not modes:
        raise EvaluationError(f"retrieval modes must be among {', '.join(MODES)}; got {', '.join(modes)}")
    if "hybrid" in modes and not {"dense", "bm25"} <= set(modes):
        modes = tuple(dict.fromkeys(("dense", "bm25", *modes)))
    if resume is not None and resume is not False:
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
    if path is None:
        raise EvaluationError("give the dataset's path (or --resume RUN_ID)")
    if max_new_tokens < 1:
        raise EvaluationError("max_new_tokens must be at least 1")
    if limit is not None and limit < 1:
        raise EvaluationError("limit must be at least 1")
    params = Params(
        limit=limit, seed=seed, split=split, oracle=oracle, max_new_tokens=max_new_tokens, modes=tuple(modes)
    )
    resolved = Path(path).resolve()
    dataset = _load(resolved, params)
    if oracle and dataset.kind != "squad":
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


def _prepare(run: EvaluationRun, dataset: Dataset, params: Params, progress: bool, say: Log) -> _Context:
    started = time.perf_counter()
    bar = _Bar(progress, len(dataset.documents), "documents", "doc")
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
    ctx = _Context(run, dataset, corpus, evaluation_user(), params, progress, say)
    if not corpus.reused:
        ctx.timings["ingest_s"] = round(ingest_seconds, 2)
    return ctx


def _todo(ctx: _Context) -> list[Any]:
    done = set(ctx.run.items.values_list("key", flat=True))
    return [item for item in ctx.dataset.items if item.key not in done]


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def _save_items(run: EvaluationRun, results: dict[str, dict[str, Any]]) -> None:
    with transaction.atomic():
        EvaluationItem.objects.bulk_create(
            [EvaluationItem(run=run, key=key, result=result) for key, result in results.items()],
            ignore_conflicts=True,
        )
        run.items_done = run.items.count()
        run.save(update_fields=["items_done"])


# --- retrieval ----------------------------------------------------------------------------------


@dataclass
class _Searcher:
    """Dense search limited to a collection's chunks, in batches, as `search_chunks` does."""

    allowed: np.ndarray
    chunk_document: dict[int, int]

    @classmethod
    def for_corpus(cls, ctx: _Context) -> _Searcher:
        scope = searchable_chunks(ctx.user, collection=ctx.corpus.collection)
        pairs = list(scope.values_list("id", "document_id"))
        return cls(np.array([p[0] for p in pairs], dtype=np.int64), dict(pairs))

    def search(self, queries: list[str], depth: int) -> list[list[tuple[int, float]]]:
        """For each query, (chunk id, cosine) of the `depth` nearest chunks, best first."""
        vectors = get_encoder().encode(queries)
        hits = get_index().search(vectors, depth, allowed_ids=self.allowed)
        return [[(h.chunk_id, h.score) for h in row if h.chunk_id in self.chunk_document] for row in hits]


def _rrf(*rankings: list[Any]) -> list[Any]:
    return metrics.reciprocal_rank_fusion(rankings, k=RRF_K)[:RANKING_DEPTH]


def _bm25_documents(ctx: _Context) -> Bm25:
    """BM25 over whole documents (title and text, as stored), keyed by dataset key."""
    indexed = {key for key in ctx.corpus.document_by_key if key not in ctx.corpus.failed}
    docs = [d for d in ctx.dataset.documents if d.key in indexed]
    return Bm25([d.key for d in docs], [d.text for d in docs])


def _run_beir(ctx: _Context) -> None:
    todo: list[BeirQuery] = _todo(ctx)
    modes = ctx.params.modes
    searcher = _Searcher.for_corpus(ctx)
    keys_by_document = ctx.corpus.keys_by_document
    bm25 = _bm25_documents(ctx) if "bm25" in modes else None
    titles = {doc.key: doc.title for doc in ctx.dataset.documents}
    bar = _Bar(ctx.progress, ctx.run.items_total, "queries", "q", initial=ctx.run.items_total - len(todo))
    started = time.perf_counter()
    try:
        for batch in _batches(todo, BATCH):
            texts = [q.text for q in batch]
            dense_hits = searcher.search(texts, BEIR_CHUNK_DEPTH) if "dense" in modes else None
            lexical = bm25.rank(texts, RANKING_DEPTH) if bm25 is not None else None
            results = {}
            for i, query in enumerate(batch):
                rankings: dict[str, list[str]] = {}
                if dense_hits is not None:
                    rankings["dense"] = metrics.rank_by_max(
                        (key, score)
                        for chunk_id, score in dense_hits[i]
                        for key in keys_by_document.get(searcher.chunk_document[chunk_id], [])
                    )[:RANKING_DEPTH]
                if lexical is not None:
                    rankings["bm25"] = lexical[i]
                if "hybrid" in modes:
                    rankings["hybrid"] = _rrf(rankings["dense"], rankings["bm25"])
                results[query.key] = _ranking_result(query.text, query.relevance, rankings)
                shown = [*query.relevance, *results[query.key]["top"].get("dense", [])[:5]]
                results[query.key]["titles"] = {key: titles.get(key, "") for key in shown}
            _save_items(ctx.run, results)
            bar.update(len(batch))
    finally:
        bar.close()
    ctx.timings["retrieval_s"] = round(time.perf_counter() - started, 2)


def _ranking_result(
    query: str, relevance: dict[str, float], rankings: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "query": query,
        "relevant": relevance,
        "metrics": {
            mode: {
                **metrics.ranking_metrics(ranking, relevance, RECALL_KS),
                **{f"curve@{k}": metrics.recall_at_k(ranking, relevance, k) for k in CURVE_KS},
            }
            for mode, ranking in rankings.items()
        },
        "top": {mode: ranking[:10] for mode, ranking in rankings.items()},
    }


# --- answers ------------------------------------------------------------------------------------


def _squad_rankings(ctx: _Context, questions: Sequence[SquadQuestion]) -> dict[str, dict[str, list[str]]]:
    """Per question and mode, the paragraph key of each of the top chunks, best first."""
    modes = ctx.params.modes
    searcher = _Searcher.for_corpus(ctx)
    key_of = {doc: keys[0] for doc, keys in ctx.corpus.keys_by_document.items()}
    chunk_key = {chunk: key_of[doc] for chunk, doc in searcher.chunk_document.items() if doc in key_of}
    bm25 = None
    if "bm25" in modes:
        rows = Chunk.objects.filter(id__in=list(chunk_key)).select_related("document")
        texts = {row.pk: f"{row.document.title}\n{row.text}" for row in rows}
        bm25 = Bm25(list(texts), list(texts.values()))
    out: dict[str, dict[str, list[str]]] = {}
    for batch in _batches(questions, BATCH):
        texts_ = [q.question for q in batch]
        dense = searcher.search(texts_, RANKING_DEPTH) if "dense" in modes else None
        lexical = bm25.rank(texts_, RANKING_DEPTH) if bm25 is not None else None
        for i, question in enumerate(batch):
            chunk_rankings: dict[str, list[int]] = {}
            if dense is not None:
                chunk_rankings["dense"] = [chunk for chunk, _ in dense[i]]
            if lexical is not None:
                chunk_rankings["bm25"] = lexical[i]
            if "hybrid" in modes:
                chunk_rankings["hybrid"] = _rrf(chunk_rankings["dense"], chunk_rankings["bm25"])
            out[question.key] = {
                mode: [chunk_key[c] for c in ranking if c in chunk_key]
                for mode, ranking in chunk_rankings.items()
            }
    return out


def _oracle_passages(ctx: _Context, paragraph: str) -> list[SearchResult]:
    document = ctx.corpus.document_by_key.get(paragraph)
    chunks = Chunk.objects.filter(document_id=document).select_related("document").order_by("ordinal")
    return [SearchResult(chunk, 1.0) for chunk in chunks]


def _answer(ctx: _Context, question: SquadQuestion) -> dict[str, Any]:
    """Ask one question through the answer service and score what comes back."""
    conversation = start_conversation(ctx.user, question.question, collection=ctx.corpus.collection)
    passages = _oracle_passages(ctx, question.paragraph) if ctx.params.oracle else None
    config = GenerationConfig(max_new_tokens=ctx.params.max_new_tokens)
    started = time.perf_counter()
    message = None
    for event in answer_question(
        ctx.user, question.question, conversation=conversation, config=config, passages=passages
    ):
        if isinstance(event, AnswerDone):
            message = event.message
    wall = time.perf_counter() - started
    assert message is not None, "answer_question ends with AnswerDone"
    try:
        return score_answer(
            ctx,
            question,
            message.content,
            message.status,
            message.passages,
            message.citations,
            message.stats,
            wall,
        )
    finally:
        conversation.delete()  # the item keeps everything; the eval user's chat history is noise


def score_answer(
    ctx: _Context,
    question: SquadQuestion,
    content: str,
    status: str,
    passages: list[dict[str, Any]],
    citations: list[dict[str, Any]],
    stats: dict[str, Any],
    wall_s: float,
) -> dict[str, Any]:
    key_of = {doc: keys[0] for doc, keys in ctx.corpus.keys_by_document.items()}
    gold_document = ctx.corpus.document_by_key.get(question.paragraph)
    no_evidence = status == "no_evidence"
    text = metrics.strip_citation_markers(content)
    model_cited = list(
        dict.fromkeys((c["chunk_id"], c["document_id"]) for c in citations if c.get("kind") == "model")
    )
    attention_cited = list(
        dict.fromkeys((c["chunk_id"], c["document_id"]) for c in citations if c.get("kind") == "attention")
    )
    scored = not no_evidence
    return {
        "question": question.question,
        "answers": list(question.answers),
        "paragraph": question.paragraph,
        "answer": content,
        "status": status,
        "no_evidence": no_evidence,
        "declined": (not no_evidence) and metrics.declined(content),
        "em": metrics.exact_match(text, question.answers) if scored else 0.0,
        "f1": metrics.token_f1(text, question.answers) if scored else 0.0,
        "contained": metrics.contains_answer(text, question.answers) if scored else 0.0,
        "passages": [key_of.get(p["document_id"], "?") for p in passages],
        "passage_hit": any(p["document_id"] == gold_document for p in passages),
        "cited": bool(model_cited),
        "cited_paragraphs": [key_of.get(d, "?") for _, d in model_cited],
        "citation_precision": metrics.citation_precision([d for _, d in model_cited], gold_document or -1),
        "attention_citation_precision": metrics.citation_precision(
            [d for _, d in attention_cited], gold_document or -1
        ),
        "stats": {
            k: stats.get(k)
            for k in (
                "time_to_first_token_s",
                "decode_tokens_per_s",
                "generated_tokens",
                "prompt_tokens",
                "total_s",
                "finish_reason",
            )
        },
        "wall_s": round(wall_s, 4),
    }


def _run_squad(ctx: _Context) -> None:
    todo: list[SquadQuestion] = _todo(ctx)
    if not todo:
        return
    started = time.perf_counter()
    rankings = _squad_rankings(ctx, todo)
    ctx.timings["retrieval_s"] = round(time.perf_counter() - started, 2)
    bar = _Bar(ctx.progress, ctx.run.items_total, "answers", "q", initial=ctx.run.items_total - len(todo))
    try:
        for question in todo:
            relevance = {question.paragraph: 1.0}
            result = _answer(ctx, question)
            result["metrics"] = {
                mode: {
                    **metrics.ranking_metrics(ranking, relevance, RECALL_KS),
                    **{f"curve@{k}": metrics.recall_at_k(ranking, relevance, k) for k in CURVE_KS},
                }
                for mode, ranking in rankings[question.key].items()
            }
            result["top"] = {mode: ranking[:5] for mode, ranking in rankings[question.key].items()}
            _save_items(ctx.run, {question.key: result})
            bar.update()
    finally:
        bar.close()


# --- the end ------------------------------------------------------------------------------------


def summarize_run(run: EvaluationRun) -> dict[str, Any]:
    """A run's headline metrics, derived from all of its saved items."""
    results = list(run.items.values_list("result", flat=True))
    summarize = metrics.summarize_beir if run.kind == "beir" else metrics.summarize_squad
    summary = summarize(results, CURVE_KS)
    summary["timings"] = dict((run.metrics or {}).get("timings", {}))
    return summary


def _finish(ctx: _Context) -> None:
    run = ctx.run
    summary = summarize_run(run)
    # A resumed run keeps its earlier invocations' timings unless this one measured the same.
    summary["timings"].update(ctx.timings)
    run.metrics = summary
    run.items_done = summary["n"]
    run.status = EvaluationRun.Status.COMPLETE
    run.finished_at = timezone.now()
    run.save(update_fields=["metrics", "items_done", "status", "finished_at"])
    ctx.log(headline(run))


def resummarize(run_id: int) -> EvaluationRun:
    """Derive a complete run's metrics again from its items (after the summaries changed);
    the items themselves, and so every per-question score, stay as they were measured."""
    run = EvaluationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise EvaluationError(f"there is no evaluation run {run_id}")
    if run.status != EvaluationRun.Status.COMPLETE:
        raise EvaluationError(f"run {run_id} is not complete; resume it instead")
    run.metrics = summarize_run(run)
    run.save(update_fields=["metrics"])
    return run


def headline(run: EvaluationRun) -> str:
    """The one line a person wants to see at the end of a run."""
    m = run.metrics or {}
    retrieval = m.get("retrieval", {})
    parts = [f"run {run.pk} {run.status}: {run.items_done} items"]
    for mode, figures in retrieval.items():
        parts.append(
            f"{mode} ndcg@10={figures.get('ndcg@10', 0):.4f} recall@5={figures.get('recall@5', 0):.4f} "
            f"recall@100={figures.get('recall@100', 0):.4f}"
        )
    answers = m.get("answers")
    if answers:
        parts.append(
            f"EM={answers['em']:.3f} F1={answers['f1']:.3f} contained={answers['contained']:.3f} "
            f"abstained={answers['abstention_rate']:.3f}"
        )
    return "; ".join(parts)


def run_payload(run: EvaluationRun, items: bool = True) -> dict[str, Any]:
    """Everything about a run as JSON-serializable data (the --output file)."""
    payload: dict[str, Any] = {
        "id": run.pk,
        "dataset": run.dataset,
        "kind": run.kind,
        "status": run.status,
        "failure_reason": run.failure_reason,
        "params": run.params,
        "config": run.config,
        "metrics": run.metrics,
        "items_done": run.items_done,
        "items_total": run.items_total,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
    if items:
        payload["items"] = {
            key: result for key, result in run.items.order_by("id").values_list("key", "result")
        }
    return payload


def write_json(run: EvaluationRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run_payload(run), indent=1, ensure_ascii=False), encoding="utf-8")
