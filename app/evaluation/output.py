"""A run's results: the summary derived from its items, the headline, the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils import timezone

from app.evaluation import metrics
from app.evaluation.beir import CURVE_KS
from app.evaluation.runs import Context, EvaluationError
from app.models import EvaluationRun


def summarize_run(run: EvaluationRun) -> dict[str, Any]:
    """A run's headline metrics, derived from all of its saved items."""
    results = list(run.items.values_list("result", flat=True))
    if run.kind == "beir":
        summary = metrics.summarize_beir(results, CURVE_KS)
    else:
        modes = (run.params or {}).get("answer_modes") or [None]
        summary = metrics.summarize_squad(results, CURVE_KS, headline_mode=modes[0])
    summary["timings"] = dict((run.metrics or {}).get("timings", {}))
    return summary


def finish(ctx: Context) -> None:
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


def _f(value: Any) -> str:
    return "–" if value is None else f"{float(value):.3f}"


def headline(run: EvaluationRun) -> str:
    """The lines a person wants to see at the end of a run."""
    m = run.metrics or {}
    parts = [f"run {run.pk} {run.status}: {run.items_done} items"]
    for mode, figures in m.get("retrieval", {}).items():
        parts.append(
            f"{mode} ndcg@10={_f(figures.get('ndcg@10'))} recall@5={_f(figures.get('recall@5'))} "
            f"recall@100={_f(figures.get('recall@100'))}"
        )
    for mode, a in sorted(
        m.get("answer_modes", {}).items(), key=lambda item: item[0] != m.get("headline_mode")
    ):
        latency = a.get("latency", {})
        parts.append(
            f"answers[{mode}] evidence@1={_f(a['evidence_top1'])} evidence@3={_f(a['evidence_top3'])} "
            f"shown={_f(a['shown_contained'])} written={_f(a['contained'])} "
            f"EM={_f(a['em'])} F1={_f(a['f1'])} "
            f"citations={_f(a['citation_accuracy'])} repeated={a['repeated']:.0f} "
            f"answered={_f(a['answered_rate'])} attention@1={_f(a['attention_top1'])} "
            f"ttft_p50={_f(latency.get('time_to_first_token_s', {}).get('p50'))}s "
            f"answer_p50={_f(latency.get('answer_s', {}).get('p50'))}s"
        )
    abstention = m.get("abstention")
    if abstention and abstention.get("gold_removed_n"):
        parts.append(f"gold removed: abstained={_f(abstention['gold_removed_abstained'])}")
    return "\n".join(parts)


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
