"""What the evaluation pages and the standalone HTML report show about runs.

Templates autoescape every value; the charts are SVG built by `charts`, which escapes
its own text, and are the only markup marked safe.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from app.evaluation import charts
from app.models import EvaluationRun

MODE_LABELS = {"dense": "Dense (encoder)", "bm25": "BM25", "hybrid": "Hybrid (RRF)"}
RANKING_COLUMNS = ("ndcg@10", "mrr@10", "recall@1", "recall@5", "recall@10", "recall@100")
EXAMPLES = 40


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


def _num(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{float(value):.{digits}f}"


def dataset_name(run: EvaluationRun) -> str:
    return str(run.params.get("dataset_name") or run.dataset.rsplit("/", 1)[-1])


def params_summary(run: EvaluationRun) -> str:
    p = run.params
    parts = [f"limit {p['limit']}" if p.get("limit") else "all items", f"seed {p.get('seed', 0)}"]
    if run.kind == "squad":
        parts.append("oracle passages" if p.get("oracle") else "retrieved passages")
        parts.append(f"max {p.get('max_new_tokens')} new tokens")
    return ", ".join(parts)


def config_summary(run: EvaluationRun) -> str:
    c = run.config
    parts = [
        str(c.get("encoder", "?")),
        f"chunks {c.get('effective_chunk_tokens', c.get('chunk_tokens', '?'))}"
        f"/{c.get('chunk_overlap_tokens', '?')}",
    ]
    if run.kind == "squad":
        parts.append(str(c.get("generator", "?")))
        parts.append(f"top {c.get('answer_top_k')}, abstain below {c.get('answer_min_evidence')}")
    return ", ".join(parts)


def headline_metrics(run: EvaluationRun) -> list[tuple[str, str]]:
    """The few figures the list of runs shows, as (label, formatted value)."""
    m = run.metrics or {}
    retrieval = m.get("retrieval", {})
    out: list[tuple[str, str]] = []
    if run.kind == "beir":
        for mode in retrieval:
            out.append((f"NDCG@10 {mode}", _num(retrieval[mode].get("ndcg@10"))))
        if "dense" in retrieval:
            out.append(("R@100 dense", _num(retrieval["dense"].get("recall@100"))))
    else:
        for mode in ("hybrid", "dense"):
            if mode in retrieval:
                out.append((f"R@5 {mode}", _num(retrieval[mode].get("recall@5"))))
                break
        answers = m.get("answers", {})
        if answers:
            out += [
                ("evidence@1", _num(answers.get("evidence_top1"))),
                ("shown", _num(answers.get("shown_contained"))),
                ("written", _num(answers.get("contained"))),
                ("answered", _pct(answers.get("answered_rate"))),
            ]
        ttft = m.get("latency", {}).get("time_to_first_token_s", {})
        if ttft.get("p50") is not None:
            out.append(("TTFT p50", f"{ttft['p50']:.2f}s"))
    return out


def _charts(run: EvaluationRun) -> list[SafeString]:
    m = run.metrics or {}
    out = []
    curves = m.get("recall_curve") or {}
    if curves:
        unit = "documents" if run.kind == "beir" else "chunks"
        out.append(
            charts.line_chart(
                {MODE_LABELS.get(mode, mode): points for mode, points in curves.items()},
                title="Recall@k",
                x_label=f"k (top {unit}, log scale)",
                y_label="recall",
            )
        )
    split = m.get("by_retrieval")
    if split:
        groups = [
            (f"gold passage given (n={split['hit']['n']:.0f})", split["hit"]),
            (f"gold passage missed (n={split['miss']['n']:.0f})", split["miss"]),
        ]
        out.append(
            charts.bar_chart(
                [(label, {k: v.get(k) for k in ("f1", "em", "contained")}) for label, v in groups],
                title="Answer scores by retrieval hit and miss",
                y_label="mean score",
            )
        )
    histograms = m.get("latency", {}).get("histograms", {})
    titles = {
        "time_to_first_token_s": ("Time to first token", "seconds"),
        "answer_s": ("Answer time (prefill + decode)", "seconds"),
    }
    for name, (title, unit) in titles.items():
        hist = histograms.get(name)
        if hist and hist.get("counts"):
            out.append(
                charts.histogram_chart(
                    hist["edges"],
                    hist["counts"],
                    title=title,
                    x_label=unit,
                    overflow=sum(hist.get("overflow", [0])),
                )
            )
    # Built by `charts`, which escapes every piece of text it puts in.
    return [mark_safe(svg) for svg in out]  # noqa: S308


def _ranking_rows(retrieval: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    return [
        {"mode": MODE_LABELS.get(mode, mode), "values": [_num(figures.get(c)) for c in RANKING_COLUMNS]}
        for mode, figures in retrieval.items()
    ]


def _examples(run: EvaluationRun) -> list[dict[str, Any]]:
    """A sample of per-item results, worst first, for reading what went wrong."""
    items = list(run.items.order_by("id").values_list("key", "result")[:2000])
    rows: list[dict[str, Any]] = []
    if run.kind == "beir":
        for key, r in items:
            dense: dict[str, float] = r.get("metrics", {}).get("dense") or next(
                iter(r.get("metrics", {}).values()), {}
            )
            top: list[str] = r.get("top", {}).get("dense") or next(iter(r.get("top", {}).values()), [])
            titles = r.get("titles", {})

            def named(keys: list[str], titles: dict[str, str] = titles) -> str:
                return " | ".join(f"{k}: {titles[k]}" if titles.get(k) else k for k in keys)

            rows.append(
                {
                    "key": key,
                    "question": r.get("query", ""),
                    "gold": named(sorted(r.get("relevant", {}))),
                    "answer": named(top[:3]),
                    "score": dense.get("ndcg@10", 0.0),
                }
            )
    else:
        headline = (run.metrics or {}).get("headline_mode")
        for key, r in items:
            a = r.get("modes", {}).get(headline, {})  # the headline answer mode's result
            rows.append(
                {
                    "key": key,
                    "question": r.get("question", ""),
                    "gold": " | ".join(r.get("answers", [])),
                    "answer": a.get("answer", ""),
                    "score": a.get("f1", 0.0),
                    "hit": a.get("passage_hit"),
                    "cited": bool(a.get("citation_accuracy") is not None),
                    "status": "abstained" if a.get("abstained") else "",
                }
            )
    rows.sort(key=lambda row: row["score"])
    for row in rows:
        row["score"] = _num(row["score"], 2)
    return rows[:EXAMPLES]


def report_context(run: EvaluationRun) -> dict[str, Any]:
    m = run.metrics or {}
    latency = m.get("latency", {})
    answer_rows = []
    for mode, a in (m.get("answer_modes") or {}).items():
        answer_rows += [
            (f"[{mode}] {label}", value)
            for label, value in (
                ("Top evidence quote contains gold", _num(a.get("evidence_top1"))),
                ("One of the top three quotes contains gold", _num(a.get("evidence_top3"))),
                ("Shown answer (quotes + written) contains gold", _num(a.get("shown_contained"))),
                ("Written answer contains gold", _num(a.get("contained"))),
                ("Exact match / token F1 (written)", f"{_num(a.get('em'))} / {_num(a.get('f1'))}"),
                ("Citation accuracy (of citing answers)", _pct(a.get("citation_accuracy"))),
                ("Answers with a repeat", _num(a.get("repeated"), 0)),
                ("Answerable questions answered", _pct(a.get("answered_rate"))),
                (
                    "Most-attended quote contains gold / encoder's top",
                    f"{_num(a.get('attention_top1'))} / {_num(a.get('encoder_top1'))}",
                ),
                ("Gold paragraph among the passages", _pct(a.get("passage_hit_rate"))),
            )
        ]
    abstention = m.get("abstention") or {}
    if abstention.get("gold_removed_n"):
        answer_rows.append(
            ("Gold-removed questions abstaining", _pct(abstention.get("gold_removed_abstained")))
        )
    latency_rows = []
    for name, label, digits in (
        ("time_to_first_token_s", "Time to first token (s)", 3),
        ("decode_tokens_per_s", "Decode speed (tokens/s)", 1),
        ("generated_tokens", "Generated tokens", 1),
        ("prompt_tokens", "Prompt tokens", 0),
        ("answer_s", "Answer time (s)", 2),
        ("wall_s", "Wall time per question, retrieval included (s)", 2),
    ):
        spread = latency.get(name)
        if spread:
            latency_rows.append(
                (
                    label,
                    _num(spread.get("mean"), digits),
                    _num(spread.get("p50"), digits),
                    _num(spread.get("p95"), digits),
                )
            )
    return {
        "run": run,
        "dataset_name": dataset_name(run),
        "params_summary": params_summary(run),
        "config_items": sorted(run.config.items()),
        "params_items": sorted(run.params.items()),
        "ranking_columns": RANKING_COLUMNS,
        "ranking_rows": _ranking_rows(m.get("retrieval", {})),
        "answer_rows": answer_rows,
        "latency_rows": latency_rows,
        "timings": sorted((m.get("timings") or {}).items()),
        "charts": _charts(run),
        "examples": _examples(run),
        "examples_limit": EXAMPLES,
    }


def render_standalone(run: EvaluationRun) -> str:
    """The report as one self-contained HTML file (for `--html`)."""
    return render_to_string("evaluations/standalone.html", report_context(run))
