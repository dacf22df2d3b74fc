"""Which signals tell an answerable question from one whose answer is not in the library?

Abstention (`retrieval/answerability.py`) is calibrated on SQuAD questions asked twice
through the product's own path (`search_library`, then `select_evidence` with the decoder
rerank): with the corpus intact (answerable) and with the gold paragraph excluded
(unanswerable; the article's other paragraphs remain). This script caches both, then
reports each signal of the top quote, alone and combined:

    DATA_DIR=/tmp/abstain .venv/bin/python scripts/abstention_study.py collect \\
        ../shared/data/squad-v1.1-dev/dev-v1.1.reconstructed.json abstain.jsonl --limit 300
    .venv/bin/python scripts/abstention_study.py report abstain.jsonl [more.jsonl ...]

`report` reads one or more caches (a question in several counts once) and ends with the
product rule at thresholds around the default, which is how ANSWER_MIN_EVIDENCE is set.

The questions are a seeded sample that never includes the 500 of the reported evaluation
(`--limit 500 --seed 0`), so nothing here is tuned on the figures docs/evaluation.md
reports. Signals, all of the top evidence quote unless said:

- coverage, similarity, passage_coverage, margin: what `answerability` combines;
- product: what abstention compares with ANSWER_MIN_EVIDENCE, the best answerability of the
  first quotes (`best_answerability`), in caches collected since it exists;
- passage_coverage: the idf share of the question's words held by the quote's passage;
- typed: the quote holds the kind of answer asked for (a year for "when", ...);
- margin: the quote's ranking score minus the next ranked sentence's;
- judge: the decoder asked "Does the text answer the question? Reply Yes or No." over the
  quote's passage, as log P(Yes) - log P(No) (what a larger model would be asked).

Combinations are logistic regressions fitted on one half of the questions and read on the
other (both ways), so that a signal that only fits its own sample does not look useful.

Each record also keeps what a new signal or ranking can be computed from without the models
(`raw`: the passages, the encoder's first RAW_CANDIDATES sentences with the decoder's
question likelihood, the quotes). `depth` replays the ranking and answerability from it for
fewer passages and other numbers of reranked candidates; collect with a larger ANSWER_TOP_K
for that. STUDY_JUDGE=0 skips the judge (the slowest signal):

    DATA_DIR=/tmp/abstain ANSWER_TOP_K=8 STUDY_JUDGE=0 .venv/bin/python \
        scripts/abstention_study.py collect ../shared/data/squad-v1.1-dev/dev-v1.1.reconstructed.json k8.jsonl
    DATA_DIR=/tmp/abstain .venv/bin/python scripts/abstention_study.py depth k8.jsonl \
        ../shared/data/squad-v1.1-dev/dev-v1.1.reconstructed.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings")

import django

django.setup()

import torch  # noqa: E402
from django.conf import settings  # noqa: E402

from app.evaluation.corpus import ensure_corpus, evaluation_user  # noqa: E402
from app.evaluation.datasets import SquadQuestion, load_dataset  # noqa: E402
from app.evaluation.metrics import contains_answer  # noqa: E402
from app.services.answer_record import EvidenceQuote, PassageSnapshot  # noqa: E402
from app.services.evidence import (  # noqa: E402
    as_the_decoder_reads,
    quotes_signals,
    rerank_count,
    rescored,
    select_evidence,
    snapshot,
)
from app.services.runtime import get_engine  # noqa: E402
from app.services.search import search_library, sentence_vectors_of  # noqa: E402
from generation.engine import Engine  # noqa: E402
from retrieval.answer_kind import answer_type  # noqa: E402
from retrieval.answerability import (  # noqa: E402
    QuoteSignals,
    answerability,
    best_answerability,
    quote_answerabilities,
)
from retrieval.evidence import (  # noqa: E402
    Idf,
    ScoredSentence,
    Sentence,
    coverage,
    has_answer_type,
)
from retrieval.spelling import LibraryWords  # noqa: E402

REPORTED = (500, 0)  # (limit, seed) of the evaluation docs/evaluation.md reports
JUDGE = "Text: {text}\n\nQuestion: {question}\n\nDoes the text answer the question? Reply Yes or No."
RAW_CANDIDATES = 12
JUDGE_ON = os.environ.get("STUDY_JUDGE", "1") == "1"  # the slowest signal; 0 skips it
SIGNALS = ("coverage", "similarity", "passage_coverage", "typed", "margin", "judge")


def judge(text: str, question: str) -> float:
    """log P(Yes) - log P(No) for the next token after the judge prompt."""
    engine = get_engine()
    assert isinstance(engine, Engine), "the judge needs the transformers decoder"
    tokenizer = engine.tokenizer
    first = [tokenizer.encode(w)[0] for w in ("Yes", " Yes", "yes", "No", " No", "no")]
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": JUDGE.format(text=text[:1200], question=question)}],
        tokenize=False,
        add_generation_prompt=True,
    )
    ids = torch.tensor([tokenizer.encode(rendered)])  # (1, T)
    with torch.no_grad():
        logprobs = engine.model(input_ids=ids).logits[0, -1].float().log_softmax(-1)  # (V,)
    return float(torch.logsumexp(logprobs[first[:3]], 0) - torch.logsumexp(logprobs[first[3:]], 0))


def signals(
    question: str,
    passages: list[PassageSnapshot],
    ranked: list[ScoredSentence],
    quotes: list[EvidenceQuote],
    library: LibraryWords,
) -> dict[str, float] | None:
    """The product's own signals of the top quote (`quotes_signals`, what abstention reads,
    with `library` the words of the chunks searched), the product's score (`product`: the
    best answerability of the first quotes), and the candidates that are not in it."""
    every = quotes_signals(question, quotes, ranked, passages, library)
    if not every:
        return None
    top = quotes[0]
    passage = next(p for p in passages if p.index == top.passage).text
    kind = answer_type(question)
    return {
        **asdict(every[0]),
        "typed": has_answer_type(kind, top.text, question) if kind else 1.0,
        "judge": judge(passage, question) if JUDGE_ON else 0.0,
        "product": best_answerability(every) or 0.0,
        "quotes_answerability": quote_answerabilities(every),
    }


def raw(
    question: str,
    passages: list[PassageSnapshot],
    texts: dict[int, str],
    quotes: list[EvidenceQuote],
    vectors: dict[int, np.ndarray],
) -> dict[str, Any]:
    """What a new signal or ranking could be computed from offline: the passages, the
    encoder's ranking before the decoder rerank (its first RAW_CANDIDATES with the decoder's
    question likelihood, titled as `rerank` reads them), the quotes."""
    ranked = select_evidence(
        question, passages, 3, texts, rerank_with_decoder=False, sentence_vectors=vectors
    )[1]
    head = ranked[:RAW_CANDIDATES]
    engine = get_engine()
    likelihood = engine.question_likelihood(question, [as_the_decoder_reads(passages, c) for c in head])
    return {
        "passages": [
            {"index": p.index, "document_id": p.document_id, "score": p.score, "text": p.text}
            for p in passages
        ],
        "ranked": [
            {
                "source": c.sentence.source,
                "text": c.sentence.text,
                "score": c.score,
                "similarity": c.similarity,
                "coverage": c.coverage,
                "likelihood": ql,
            }
            for c, ql in zip(head, likelihood, strict=True)
        ],
        "quotes": [
            {"document_id": q.document_id, "passage": q.passage, "text": q.text, "score": q.score}
            for q in quotes
        ],
    }


def collect(dataset_path: Path, out: Path, limit: int, seed: int) -> None:
    dataset = load_dataset(dataset_path)
    items = [q for q in dataset.items if isinstance(q, SquadQuestion)]
    reported = set(random.Random(REPORTED[1]).sample(range(len(items)), REPORTED[0]))
    chosen = [
        i for i in random.Random(seed).sample(range(len(items)), limit + REPORTED[0]) if i not in reported
    ]
    corpus = ensure_corpus(dataset)
    user = evaluation_user()
    with out.open("w") as sink:
        for n, i in enumerate(chosen[:limit]):
            question = items[i]
            gold = corpus.document_by_key.get(question.paragraph)
            record: dict[str, Any] = {"question": question.question}
            for condition, excluded in (("answerable", []), ("removed", [gold])):
                found = search_library(
                    user,
                    question.question,
                    top_k=settings.ANSWER_TOP_K,
                    collection=corpus.collection,
                    exclude_document_ids=[e for e in excluded if e is not None],
                )
                results, asked = found.results, found.query  # misspelt words respelt, as answers read it
                passages = [snapshot(k, r) for k, r in enumerate(results, start=1)]
                texts = {r.chunk.document_id: r.chunk.document.text for r in results}
                # As answers do: sentence vectors stored with their chunks are not encoded again.
                vectors = sentence_vectors_of(results)
                quotes, ranked = select_evidence(asked, passages, 3, texts, sentence_vectors=vectors)
                record[condition] = signals(asked, passages, ranked, quotes, found.words)
                record[condition + "_gold_quote"] = bool(quotes) and quotes[0].document_id == gold
                record[condition + "_raw"] = raw(asked, passages, texts, quotes, vectors)
            record["gold_document"] = gold
            record["answers"] = list(question.answers)
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            print(f"{n + 1}/{limit}", file=sys.stderr, flush=True)


def operating_point(
    answerable: np.ndarray, removed: np.ndarray, answered: float = 0.9
) -> tuple[float, float]:
    """(share of removed abstaining where `answered` of answerable are answered, AUC)."""
    threshold = np.quantile(answerable, 1 - answered)
    auc = float(np.mean([(a > removed).mean() + 0.5 * (a == removed).mean() for a in answerable]))
    return float((removed < threshold).mean()), auc


def logistic_fit(x: np.ndarray, y: np.ndarray, steps: int = 3000, l2: float = 1e-3) -> np.ndarray:
    """Weights (with the bias last) of a logistic regression on standardized columns, by
    gradient descent: a few signals and a few hundred rows need nothing more."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])  # (n, d + 1)
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        w -= 0.5 * (z.T @ (p - y) / len(y) + l2 * w)
    scale = np.append(1 / std, 1.0)
    w = w * scale
    w[-1] -= float(w[:-1] @ mean)
    return w


def cross_fitted(x: np.ndarray, y: np.ndarray, first_half: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each half of the rows: that half's mask, and every row's score under a logistic
    regression fitted on that half alone (so the other half reads it as unseen data)."""
    out = []
    for fit in (first_half, ~first_half):
        w = logistic_fit(x[fit], y[fit])
        out.append((fit, x @ w[:-1] + w[-1]))
    return out


def load_records(paths: list[Path]) -> list[dict[str, Any]]:
    """The records of one or more caches, each question once (seeded samples overlap)."""
    records: dict[str, dict[str, Any]] = {}
    for path in paths:
        for line in path.open():
            if line.strip():
                record = json.loads(line)
                records.setdefault(record["question"], record)
    return list(records.values())


def thresholds(score: np.ndarray, label: np.ndarray, gold: np.ndarray) -> None:
    """The product rule at thresholds around the default: answered, gold-removed abstaining,
    and how often the answered ones' top quote is from the gold paragraph (what citation
    accuracy counts); then the threshold that answers 0.9 of the answerable questions."""
    answerable, removed = score[label == 1], score[label == 0]
    print("threshold  answered  gold-removed abstaining  top quote from gold paragraph")
    for threshold in (0.26, 0.28, 0.30, 0.32, 0.34, 0.36, 0.38, 0.40):
        answered = answerable >= threshold
        print(
            f"{threshold:9.2f}  {answered.mean():8.3f}  {(removed < threshold).mean():23.3f}"
            f"  {gold[answered].mean():29.3f}"
        )
    at = float(np.quantile(answerable, 0.1))
    print(f"0.9 answered at {at:.3f}: {(removed < at).mean():.3f} of gold-removed abstaining")


def report(paths: list[Path]) -> None:
    records = load_records(paths)
    missing = dict.fromkeys(SIGNALS, -10.0)
    cases = [r[c] for r in records for c in ("answerable", "removed")]
    rows = np.array([[(case or missing)[s] for s in SIGNALS] for case in cases])
    label = np.array([1, 0] * len(records))  # answerable, removed, per record
    first_half = np.repeat(np.arange(len(records)) < len(records) // 2, 2)
    print(f"{len(records)} questions, each answerable and gold-removed")
    print(f"{'signal(s)':45s} {'abstain@0.9':>12s} {'AUC':>6s}")
    for i, name in enumerate(SIGNALS):
        share, auc = operating_point(rows[label == 1, i], rows[label == 0, i])
        print(f"{name:45s} {share:12.3f} {auc:6.3f}")
    top = np.array([answerability(QuoteSignals(*row[[0, 1, 2, 4]])) for row in rows])
    share, auc = operating_point(top[label == 1], top[label == 0])
    print(f"{'answerability of the top quote':45s} {share:12.3f} {auc:6.3f}")
    # The product's rule: the best of the first quotes (caches collected before it hold the
    # top quote's signals alone, and count as the top quote).
    current = np.array([(case or {}).get("product", t) for case, t in zip(cases, top, strict=True)])
    share, auc = operating_point(current[label == 1], current[label == 0])
    print(f"{'best of the shown quotes (the product rule)':45s} {share:12.3f} {auc:6.3f}")
    thresholds(current, label, np.array([r["answerable_gold_quote"] for r in records]))
    # Each combination fitted on one half and read on the other: the share abstaining at 0.9
    # answered on the other half (its own threshold), then with the threshold carried over
    # from the fitted half (answered / abstaining), which is what a fixed default does.
    print("cross-fitted: abstain@0.9 per half, AUC per half, carried threshold answered/abstaining per half")
    combos = [
        (0, 1),
        (0, 1, 2),
        (0, 1, 3),
        (0, 1, 4),
        (0, 1, 5),
        (0, 1, 2, 4),
        (0, 1, 2, 3, 4),
        (0, 1, 2, 3, 4, 5),
    ]
    for columns in combos:
        cols = list(columns)
        read, carried = [], []
        for fit, score in cross_fitted(rows[:, cols], label, first_half):
            test = ~fit
            read.append(operating_point(score[test & (label == 1)], score[test & (label == 0)]))
            threshold = np.quantile(score[fit & (label == 1)], 0.1)
            carried.append(
                (
                    float((score[test & (label == 1)] >= threshold).mean()),
                    float((score[test & (label == 0)] < threshold).mean()),
                )
            )
        name = " + ".join(SIGNALS[c] for c in cols)
        print(
            f"{name:45s} "
            + " / ".join(f"{s:.3f}" for s, _ in read)
            + "  "
            + " / ".join(f"{a:.3f}" for _, a in read)
            + "  "
            + " / ".join(f"{a:.3f}:{b:.3f}" for a, b in carried)
        )
    cited_fit(rows, label, first_half, np.array([r["answerable_gold_quote"] for r in records]))


def cited_fit(rows: np.ndarray, label: np.ndarray, first_half: np.ndarray, gold: np.ndarray) -> None:
    """The model's four signals fitted to two targets, each read on the other half at the
    threshold that answers 0.9 of the fitted half's answerable questions: answerable (the
    product's), and the top quote being from the gold paragraph, what citation accuracy counts
    (an answerable question quoting another paragraph is then a 0, as a gold-removed one is)."""
    columns = [0, 1, 2, 4]  # coverage, similarity, passage_coverage, margin
    cited = np.zeros(len(label), dtype=bool)
    cited[label == 1] = gold
    print("fitted to: carried threshold answered / abstaining / citations, per half")
    for name, target in (("answerable", label == 1), ("top quote from the gold paragraph", cited)):
        read = []
        for fit, score in cross_fitted(rows[:, columns], target.astype(float), first_half):
            threshold = np.quantile(score[fit & (label == 1)], 0.1)
            test = ~fit
            answered = test & (label == 1) & (score >= threshold)
            read.append(
                f"{answered.sum() / (test & (label == 1)).sum():.3f} "
                f"{(score[test & (label == 0)] < threshold).mean():.3f} {cited[answered].mean():.3f}"
            )
        print(f"{name:45s} " + " / ".join(read))


def depth(path: Path, dataset_path: Path, top_ks: list[int], candidates: list[int]) -> None:
    """The evidence ranking and answerability replayed from `collect`'s raw records for a
    smaller ANSWER_TOP_K (passages ranked within it) and another number of reranked
    candidates: top-1 quote holding a gold answer, top quote from the gold paragraph,
    answered / abstaining at ANSWER_MIN_EVIDENCE, citation accuracy among the answered, and
    abstaining with 0.9 answered. Passage coverage uses word rarity over the dataset's
    paragraphs (the product uses BM25's, which tokenizes alike but counts chunks)."""
    records = load_records([path])
    dataset = load_dataset(dataset_path)
    idf = Idf([document.text for document in dataset.documents])
    threshold = settings.ANSWER_MIN_EVIDENCE

    def replay(record: dict[str, Any], condition: str, k: int, n: int) -> tuple[float, bool, bool]:
        raw = record[condition + "_raw"]
        passages = raw["passages"]
        within = [c for c in raw["ranked"] if passages[c["source"]]["index"] <= k]
        # Spans are not stored (nor needed to rank): each sentence is its text and passage.
        encoder_ranked = [
            ScoredSentence(Sentence(c["source"], 0, 0, c["text"]), c["score"], c["similarity"], c["coverage"])
            for c in within
        ]
        reranked = within[: rerank_count(encoder_ranked, n)]  # as the product: those within reach
        ranked = rescored(encoder_ranked, [c["likelihood"] for c in reranked])
        top = ranked[0]
        margin = top.score - ranked[1].score if len(ranked) > 1 else 1.0
        passage = passages[top.sentence.source]
        signals = QuoteSignals(
            top.coverage, top.similarity, coverage(record["question"], passage["text"], idf), margin
        )
        holds = contains_answer(top.sentence.text, tuple(record["answers"])) > 0
        return answerability(signals), holds, passage["document_id"] == record["gold_document"]

    print(f"{len(records)} questions; ANSWER_MIN_EVIDENCE={threshold}")
    print("top_k candidates  top-1  gold-para  answered  abstaining  citations  abstaining@0.9")
    for k in top_ks:
        for n in candidates:
            asked = [replay(r, "answerable", k, n) for r in records]
            removed = np.array([replay(r, "removed", k, n)[0] for r in records])
            score = np.array([a for a, _, _ in asked])
            gold = np.array([g for _, _, g in asked])
            answered = score >= threshold
            print(
                f"{k:5d} {n:10d}  {np.mean([h for _, h, _ in asked]):.3f}  {gold.mean():9.3f}"
                f"  {answered.mean():8.3f}  {(removed < threshold).mean():10.3f}"
                f"  {gold[answered].mean():9.3f}  {operating_point(score, removed)[0]:14.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    c = verbs.add_parser("collect")
    c.add_argument("dataset", type=Path)
    c.add_argument("out", type=Path)
    c.add_argument("--limit", type=int, default=300)
    c.add_argument("--seed", type=int, default=7)
    r = verbs.add_parser("report")
    r.add_argument("cache", type=Path, nargs="+")
    d = verbs.add_parser("depth")
    d.add_argument("cache", type=Path)
    d.add_argument("dataset", type=Path)
    d.add_argument("--top-k", type=int, nargs="+", default=[4, 6, 8])
    d.add_argument("--candidates", type=int, nargs="+", default=[5, 8, 12])
    args = parser.parse_args()
    if args.verb == "collect":
        collect(args.dataset, args.out, args.limit, args.seed)
    elif args.verb == "depth":
        depth(args.cache, args.dataset, args.top_k, args.candidates)
    else:
        report(args.cache)


if __name__ == "__main__":
    main()
