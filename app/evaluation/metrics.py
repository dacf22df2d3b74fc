"""Evaluation metrics as pure functions: no Django, no ORM, no models.

Ranking metrics follow BEIR (which uses trec_eval through pytrec_eval):

* ``ndcg_at_k``: DCG with *linear* gains (the graded relevance itself, as trec_eval's
  ``ndcg_cut`` does, not 2^rel - 1) and a log2(rank + 1) discount, divided by the DCG of
  the ideal ranking of the judged documents. Documents judged 0 (or not judged) gain 0.
* ``recall_at_k``: relevant documents (relevance > 0) found in the top k, over all
  relevant documents of the query.
* ``mrr_at_k``: 1 / rank of the first relevant document within the top k, else 0.

Answer metrics follow the official SQuAD v1.1 evaluation script: answers are normalized
(lowercase, punctuation removed, the articles a/an/the removed, whitespace collapsed),
then scored by exact match and token F1, each the maximum over the gold answers.
"Contained" is the normalized gold answer appearing, on word boundaries, inside the
normalized generated answer (small generative models answer in sentences).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# --- ranking ----------------------------------------------------------------------------------


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains listed in rank order (rank 1 first)."""
    return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))


def ndcg_at_k(ranking: Sequence[str], relevance: Mapping[str, float], k: int) -> float:
    """NDCG@k of `ranking` (document ids, best first) against graded `relevance`."""
    ideal = sorted((r for r in relevance.values() if r > 0), reverse=True)[:k]
    best = dcg(ideal)
    if best == 0:
        return 0.0
    seen: set[str] = set()
    gains = []
    for doc in ranking[:k]:
        gains.append(0.0 if doc in seen else float(relevance.get(doc, 0)))
        seen.add(doc)
    return dcg(gains) / best


def recall_at_k(ranking: Sequence[str], relevance: Mapping[str, float], k: int) -> float:
    """Share of the relevant documents (relevance > 0) found in the top k."""
    relevant = {doc for doc, r in relevance.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def mrr_at_k(ranking: Sequence[str], relevance: Mapping[str, float], k: int) -> float:
    """Reciprocal rank of the first relevant document in the top k, 0 when there is none."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if relevance.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def rank_by_max(scored_units: Iterable[tuple[str, float]]) -> list[str]:
    """Group ids, best first, from (group id, score) pairs: a group scores its best unit.

    This is how a document is ranked from its chunks' scores (a document's score is the
    maximum over its chunks). Ties keep the order of first appearance.
    """
    best: dict[str, float] = {}
    for group, score in scored_units:
        if group not in best or score > best[group]:
            best[group] = score
    order = {group: i for i, group in enumerate(best)}
    return sorted(best, key=lambda g: (-best[g], order[g]))


def ranking_metrics(
    ranking: Sequence[str], relevance: Mapping[str, float], recall_ks: Sequence[int]
) -> dict[str, float]:
    """The per-query figures the reports use: ndcg@10, mrr@10 and recall@k."""
    out = {"ndcg@10": ndcg_at_k(ranking, relevance, 10), "mrr@10": mrr_at_k(ranking, relevance, 10)}
    for k in recall_ks:
        out[f"recall@{k}"] = recall_at_k(ranking, relevance, k)
    return out


# --- answers ----------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
# Source markers the answerer writes: [1], [1, 2], [1-3], [2; 4]. They are not answer text.
_MARKER = re.compile(r"\s*\[\s*\d{1,3}(?:\s*(?:[,;]|[-\u2013])\s*\d{1,3})*\s*\]")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1's normalization: lowercase, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def strip_citation_markers(text: str) -> str:
    """The answer without its [n] source markers (which would otherwise count as words)."""
    return _MARKER.sub("", text).strip()


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalized prediction equals a normalized gold answer."""
    norm = normalize_answer(prediction)
    return float(any(norm == normalize_answer(g) for g in golds))


def _f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = Counter(predicted) & Counter(expected)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1, the maximum over the gold answers."""
    return max((_f1(prediction, g) for g in golds), default=0.0)


def contains_answer(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when a normalized gold answer appears, as whole words, in the normalized prediction."""
    norm = f" {normalize_answer(prediction)} "
    return float(any(normalize_answer(g) and f" {normalize_answer(g)} " in norm for g in golds))


# --- summaries --------------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def histogram(
    values: Sequence[float], bins: int = 20, clip_percentile: float = 99.0
) -> dict[str, list[float]]:
    """Equal-width bins from the minimum to the `clip_percentile`-th percentile.

    Returns {"edges": bins + 1 floats, "counts": bins, "overflow": [n]}: values above the
    last edge (a shared machine's rare stalls) are counted in `overflow` rather than
    stretching the axis until every other bar is squeezed into the first bin.
    """
    if not values:
        return {"edges": [], "counts": [], "overflow": [0.0]}
    low = min(values)
    high = percentile(values, clip_percentile) if clip_percentile < 100 else max(values)
    assert high is not None
    if high <= low:
        high = max(max(values), low + 1.0)
    width = (high - low) / bins
    counts = [0] * bins
    overflow = 0
    for v in values:
        if v > high:
            overflow += 1
        else:
            counts[min(int((v - low) / width), bins - 1)] += 1
    return {
        "edges": [low + i * width for i in range(bins + 1)],
        "counts": [float(c) for c in counts],
        "overflow": [float(overflow)],
    }


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "mean": mean(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "n": float(len(values)),
    }


def _retrieval(results: Sequence[Mapping], curve_ks: Sequence[int]) -> tuple[dict, dict]:
    """Mean of each ranking metric per mode, and each mode's recall curve [[k, recall], ...]."""
    modes: list[str] = []
    for result in results:
        modes.extend(m for m in result.get("metrics", {}) if m not in modes)
    retrieval: dict[str, dict[str, float | None]] = {}
    curves: dict[str, list[list[float | None]]] = {}
    for mode in modes:
        rows = [r["metrics"][mode] for r in results if mode in r.get("metrics", {})]
        names = [name for name in rows[0] if not name.startswith("curve@")]
        retrieval[mode] = {name: mean(row.get(name) for row in rows) for name in names}
        curves[mode] = [[float(k), mean(row.get(f"curve@{k}") for row in rows)] for k in curve_ks]
    return retrieval, curves


def summarize_beir(results: Sequence[Mapping], curve_ks: Sequence[int]) -> dict:
    """A BEIR run's headline figures from its per-query results."""
    retrieval, curves = _retrieval(results, curve_ks)
    return {"n": len(results), "retrieval": retrieval, "recall_curve": curves}


def answer_mode_figures(rows: Sequence[Mapping]) -> dict[str, Any]:
    """One answer mode's figures over its per-question scores (see evaluation.scoring)."""
    n = len(rows)
    answered = [r for r in rows if not r["abstained"]]
    citing = [r for r in answered if r["citation_accuracy"] is not None]

    def stat(name: str) -> list[float]:
        return [float(r["stats"][name]) for r in answered if r["stats"].get(name) is not None]

    ttft, answer_s = stat("time_to_first_token_s"), stat("total_s")
    return {
        "n": float(n),
        "evidence_top1": mean(r["evidence_top1"] for r in rows),
        "evidence_top3": mean(r["evidence_top3"] for r in rows),
        "contained": mean(r["contained"] for r in rows),
        "em": mean(r["em"] for r in rows),
        "f1": mean(r["f1"] for r in rows),
        "shown_contained": mean(r["shown_contained"] for r in rows),
        "answered_rate": len(answered) / n if n else None,
        "abstention_rate": (n - len(answered)) / n if n else None,
        "citation_accuracy": mean(r["citation_accuracy"] for r in citing),
        "citing_answers": float(len(citing)),
        "repeated": float(sum(bool(r["repeated"]) for r in rows)),
        "unsupported_sentences": mean(float(r["unsupported_sentences"]) for r in answered),
        "attention_top1": mean(r["attention_top1"] for r in answered),
        "encoder_top1": mean(r["encoder_top1"] for r in answered),
        "passage_hit_rate": mean(float(r["passage_hit"]) for r in rows),
        "hit_at_length_limit": float(sum(r["stats"].get("finish_reason") == "length" for r in rows)),
        "latency": {
            "time_to_first_token_s": _spread(ttft),
            "decode_tokens_per_s": _spread(stat("decode_tokens_per_s")),
            "generated_tokens": _spread(stat("generated_tokens")),
            "prompt_tokens": _spread(stat("prompt_tokens")),
            "answer_s": _spread(answer_s),
            "wall_s": _spread([float(r["wall_s"]) for r in rows]),
            "histograms": {"time_to_first_token_s": histogram(ttft), "answer_s": histogram(answer_s)},
        },
    }


def abstention_score(row: Mapping) -> float | None:
    """The score abstention compared with ANSWER_MIN_EVIDENCE for one stored answer: its
    answerability; the top quote's coverage for items saved before answerability existed."""
    return row["answerability"] if "answerability" in row else row.get("evidence_coverage")


def abstention_curve(answerable: Sequence[float | None], removed: Sequence[float | None]) -> list[dict]:
    """For thresholds over the observed abstention scores: the share of answerable
    questions still answered and of gold-removed ones abstaining (calibrates
    ANSWER_MIN_EVIDENCE). A None score (no evidence at all) always abstains."""
    a = [s for s in answerable]
    r = [s for s in removed]
    scores = sorted({s for s in (*a, *r) if s is not None})
    if not scores:
        return []
    step = max(1, len(scores) // 40)
    curve = []
    for t in scores[::step]:
        curve.append(
            {
                "threshold": round(t, 4),
                "answered": sum(s is not None and s >= t for s in a) / len(a) if a else None,
                "abstained_removed": sum(s is None or s < t for s in r) / len(r) if r else None,
            }
        )
    return curve


def summarize_squad(
    results: Sequence[Mapping], curve_ks: Sequence[int], headline_mode: str | None = None
) -> dict:
    """A SQuAD run's headline figures from its per-question results (see docs/evaluation.md).

    `answer_modes`: each answer mode's figures, side by side; `answers` repeats the first
    mode's (the configuration under test). `abstention`: the gold-removed questions that
    abstained, and the threshold curve that calibrates it.
    """
    retrieval, curves = _retrieval(results, curve_ks)
    modes: list[str] = []
    for result in results:
        modes.extend(m for m in result.get("modes", {}) if m not in modes)
    answer_modes = {
        mode: answer_mode_figures([r["modes"][mode] for r in results if mode in r.get("modes", {})])
        for mode in modes
    }
    removed = [r["gold_removed"] for r in results if "gold_removed" in r]
    # The headline mode is the run's first; stored JSON need not keep key order (PostgreSQL).
    first = headline_mode if headline_mode in answer_modes else (modes[0] if modes else None)
    answerable_scores = [abstention_score(r["modes"][first]) for r in results if first in r.get("modes", {})]
    abstention = {
        "gold_removed_n": float(len(removed)),
        "gold_removed_abstained": mean(float(r["abstained"]) for r in removed),
        "answerable_answered": answer_modes[first]["answered_rate"] if first else None,
        "curve": abstention_curve(answerable_scores, [abstention_score(r) for r in removed]),
    }
    return {
        "n": len(results),
        "retrieval": retrieval,
        "recall_curve": curves,
        "answer_modes": answer_modes,
        "headline_mode": first,
        "answers": answer_modes[first] if first else {},
        "abstention": abstention,
        "latency": answer_modes[first]["latency"] if first else {},
    }
