"""BEIR (retrieval only): every query searched through `search_chunks` in each mode.

The same function the search page, the API and answers call, limited to the dataset's
collection; a document ranks by its best chunk (MaxP), the usual way to score documents cut
into passages.
"""

from __future__ import annotations

import time
from typing import Any, cast

from app.evaluation import metrics
from app.evaluation.datasets import BeirQuery
from app.evaluation.progress import ProgressBar
from app.evaluation.runs import Context
from app.services.search import RetrievalMode, search_chunks

RECALL_KS = (1, 5, 10, 100)
CURVE_KS = (1, 2, 3, 5, 10, 20, 30, 50, 100)
RANKING_DEPTH = 100  # documents (BEIR) or chunks (SQuAD) kept per query and mode
CHUNK_DEPTH = 300  # chunks retrieved to rank RANKING_DEPTH documents by their best chunk


def ranking_result(query: str, relevance: dict[str, float], rankings: dict[str, list[str]]) -> dict[str, Any]:
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


def document_ranking(ctx: Context, query: str, mode: RetrievalMode, depth: int) -> list[str]:
    """Dataset keys of the documents of the top chunks, each at its best chunk's rank."""
    results = search_chunks(ctx.user, query, top_k=depth, collection=ctx.corpus.collection, mode=mode)
    keys = ctx.corpus.keys_by_document
    return list(dict.fromkeys(key for r in results for key in keys.get(r.chunk.document_id, [])))


def run_beir(ctx: Context) -> None:
    todo: list[BeirQuery] = ctx.todo()
    titles = {doc.key: doc.title for doc in ctx.dataset.documents}
    bar = ProgressBar(
        ctx.progress, ctx.run.items_total, "queries", "q", initial=ctx.run.items_total - len(todo)
    )
    started = time.perf_counter()
    try:
        for query in todo:
            rankings = {
                mode: document_ranking(ctx, query.text, cast(RetrievalMode, mode), CHUNK_DEPTH)[
                    :RANKING_DEPTH
                ]
                for mode in ctx.params.modes
            }
            result = ranking_result(query.text, query.relevance, rankings)
            first = next(iter(rankings.values()))
            result["titles"] = {key: titles.get(key, "") for key in [*query.relevance, *first[:5]]}
            ctx.save({query.key: result})
            bar.update()
    finally:
        bar.close()
    ctx.timings["retrieval_s"] = round(time.perf_counter() - started, 2)
