"""Scoring one SQuAD answer (an `AnswerRecord`) against the gold answers and paragraph.

Figures per answer (docs/evaluation.md defines each):
- evidence_top1 / evidence_top3: the first / any of the first three evidence quotes contains
  a gold answer (what the encoder found, before the decoder writes anything);
- contained / em / f1: the written answer alone (0 when the answer abstained);
- shown_contained: the evidence quotes shown by default and the written answer together,
  as the chat presents them;
- citation_accuracy: share of the answer's citations whose span lies in the gold paragraph
  (None without citations);
- repeated: the written answer repeats a sentence or a long run of words;
- attention_top1 / encoder_top1: whether the evidence quote the decoder attended to most
  while writing (resp. the encoder ranked first) contains a gold answer.
"""

from __future__ import annotations

from typing import Any

from app.evaluation import metrics
from app.evaluation.corpus import Corpus
from app.evaluation.datasets import SquadQuestion
from app.services.answer_record import AnswerRecord
from generation.attention_map import AttentionMap
from generation.repetition import check_repeats

SHOWN_EVIDENCE = 3  # quotes the chat shows before "more"


def _contains(text: str, golds: tuple[str, ...]) -> float:
    return metrics.contains_answer(text, golds)


def attention_choice(record: AnswerRecord) -> int | None:
    """0-based index of the evidence quote with the most attention mass over the answer."""
    if not record.attention:
        return None
    totals = AttentionMap.from_dict(record.attention).passage_totals()
    return max(range(len(totals)), key=totals.__getitem__) if totals else None


def score_answer(
    corpus: Corpus, question: SquadQuestion, record: AnswerRecord, wall_s: float
) -> dict[str, Any]:
    golds = question.answers
    gold_document = corpus.document_by_key.get(question.paragraph)
    abstained = record.status == "no_evidence"
    written = "" if abstained else metrics.strip_citation_markers(record.content)
    quotes = [q.text for q in record.evidence]
    shown = " ".join([*quotes[:SHOWN_EVIDENCE], written])
    cited = record.citations
    choice = attention_choice(record)
    stats = record.stats
    return {
        "answer": record.content,
        "status": record.status,
        "abstained": abstained,
        "evidence": quotes[:SHOWN_EVIDENCE],
        "evidence_top1": _contains(quotes[0], golds) if quotes else 0.0,
        "evidence_top3": max((_contains(q, golds) for q in quotes[:3]), default=0.0),
        "contained": _contains(written, golds),
        "em": metrics.exact_match(written, golds),
        "f1": metrics.token_f1(written, golds),
        "shown_contained": _contains(shown, golds),
        "passage_hit": any(p.document_id == gold_document for p in record.passages),
        "citations": len(cited),
        "citation_accuracy": (
            sum(c.document_id == gold_document for c in cited) / len(cited) if cited else None
        ),
        "unsupported_sentences": sum(not c.supported for c in record.checks),
        "repeated": bool(written) and check_repeats(written + "\n").repeat_at is not None,
        "attention_top1": None if choice is None else _contains(quotes[choice], golds),
        "encoder_top1": _contains(quotes[0], golds) if quotes else None,
        "evidence_coverage": stats.evidence_coverage,
        "answerability": stats.answerability,
        "stats": {
            "finish_reason": stats.finish_reason,
            "time_to_first_token_s": stats.time_to_first_token_s,
            "decode_tokens_per_s": stats.decode_tokens_per_s,
            "generated_tokens": stats.generated_tokens,
            "prompt_tokens": stats.prompt_tokens,
            "total_s": stats.total_s,
        },
        "wall_s": round(wall_s, 4),
    }
