"""SQuAD (retrieval and answers): every question asked through the product's own paths.

Per question:
- retrieval figures at the level of chunks (a hit is a chunk of the gold paragraph among the
  top k), through `search_chunks` in each retrieval mode;
- one answer per answer mode through `answer_question` (the service the chat uses), in a
  conversation limited to the dataset's collection, or with the gold paragraph's chunks
  handed in (`oracle`), scored by `scoring.score_answer`;
- unless disabled, the question again with its gold paragraph removed from retrieval: every
  SQuAD question is answered by its paragraph, so without it the answer should abstain.
"""

from __future__ import annotations

import time
from typing import Any, cast

from app.evaluation import metrics
from app.evaluation.beir import CURVE_KS, RANKING_DEPTH, RECALL_KS
from app.evaluation.datasets import SquadQuestion
from app.evaluation.progress import ProgressBar
from app.evaluation.runs import Context
from app.evaluation.scoring import score_answer
from app.models import Chunk
from app.services.answer_record import AnswerMode
from app.services.answers import AnswerFailed, AnswerOptions, answer_question, run_answer, start_conversation
from app.services.search import RetrievalMode, SearchResult, search_chunks


def _retrieval(ctx: Context, question: SquadQuestion) -> dict[str, Any]:
    key_of = {doc: keys[0] for doc, keys in ctx.corpus.keys_by_document.items()}
    relevance = {question.paragraph: 1.0}
    rankings = {}
    for mode in ctx.params.modes:
        found = search_chunks(
            ctx.user,
            question.question,
            top_k=RANKING_DEPTH,
            collection=ctx.corpus.collection,
            mode=cast(RetrievalMode, mode),
        )
        rankings[mode] = [key_of[r.chunk.document_id] for r in found if r.chunk.document_id in key_of]
    return {
        "metrics": {
            mode: {
                **metrics.ranking_metrics(ranking, relevance, RECALL_KS),
                **{f"curve@{k}": metrics.recall_at_k(ranking, relevance, k) for k in CURVE_KS},
            }
            for mode, ranking in rankings.items()
        },
        "top": {mode: ranking[:5] for mode, ranking in rankings.items()},
    }


def _oracle_passages(ctx: Context, paragraph: str) -> list[SearchResult]:
    document = ctx.corpus.document_by_key.get(paragraph)
    if document is None:
        raise RuntimeError(f"the gold paragraph {paragraph} was not indexed; oracle mode cannot ask")
    chunks = Chunk.objects.filter(document_id=document).select_related("document").order_by("ordinal")
    return [SearchResult(chunk, 1.0) for chunk in chunks]


def _ask(ctx: Context, question: SquadQuestion, options: AnswerOptions, **kwargs: Any) -> tuple[Any, float]:
    conversation = start_conversation(ctx.user, question.question, collection=ctx.corpus.collection)
    started = time.perf_counter()
    try:
        outcome = run_answer(
            answer_question(ctx.user, question.question, conversation=conversation, options=options, **kwargs)
        )
        if isinstance(outcome, AnswerFailed):
            raise RuntimeError(f"the answer failed: {outcome.reason}")
        return outcome.done.record, time.perf_counter() - started
    finally:
        conversation.delete()  # the item keeps everything; the eval user's chat history is noise


def run_squad(ctx: Context) -> None:
    todo: list[SquadQuestion] = ctx.todo()
    bar = ProgressBar(
        ctx.progress, ctx.run.items_total, "answers", "q", initial=ctx.run.items_total - len(todo)
    )
    gold_document = ctx.corpus.document_by_key
    try:
        for question in todo:
            result: dict[str, Any] = {
                "question": question.question,
                "answers": list(question.answers),
                "paragraph": question.paragraph,
                **_retrieval(ctx, question),
                "modes": {},
            }
            passages = _oracle_passages(ctx, question.paragraph) if ctx.params.oracle else None
            for mode in ctx.params.answer_modes:
                options = AnswerOptions(mode=cast(AnswerMode, mode), max_new_tokens=ctx.params.max_new_tokens)
                record, wall = _ask(ctx, question, options, passages=passages)
                result["modes"][mode] = score_answer(ctx.corpus, question, record, wall)
            gold = gold_document.get(question.paragraph)
            if ctx.params.gold_removed and not ctx.params.oracle and gold is not None:
                record, _ = _ask(
                    ctx,
                    question,
                    AnswerOptions(mode="evidence"),
                    exclude_document_ids=[gold],
                )
                result["gold_removed"] = {
                    "abstained": record.status == "no_evidence",
                    "evidence_coverage": record.stats.evidence_coverage,
                    "answerability": record.stats.answerability,
                }
            ctx.save({question.key: result})
            bar.update()
    finally:
        bar.close()
