"""The metric functions against cases computed by hand (no database, no models)."""

from __future__ import annotations

import math

import pytest

from app.evaluation import metrics as m
from retrieval.fusion import reciprocal_rank_fusion

LOG2_3 = math.log2(3)  # discount at rank 2


# --- ranking ------------------------------------------------------------------------------------


def test_ndcg_binary_relevance() -> None:
    # Relevant d2, d3 retrieved at ranks 2 and 3: DCG = 1/log2(3) + 1/log2(4);
    # ideal: ranks 1 and 2: 1 + 1/log2(3).
    expected = (1 / LOG2_3 + 1 / 2) / (1 + 1 / LOG2_3)
    assert m.ndcg_at_k(["d1", "d2", "d3"], {"d2": 1, "d3": 1}, 10) == pytest.approx(expected)
    assert expected == pytest.approx(0.693426, abs=1e-6)


def test_ndcg_graded_relevance_uses_linear_gains() -> None:
    # Gains 1, 2, 0 at ranks 1-3; ideal order of the judged documents is 3, 2, 1.
    relevance = {"a": 1, "b": 2, "c": 0, "d": 3}
    dcg = 1 + 2 / LOG2_3 + 0
    ideal = 3 + 2 / LOG2_3 + 1 / 2
    assert m.ndcg_at_k(["a", "b", "c"], relevance, 10) == pytest.approx(dcg / ideal)
    assert dcg / ideal == pytest.approx(0.474995, abs=1e-6)


def test_ndcg_cutoff_and_edges() -> None:
    relevance = {"x": 1}
    assert m.ndcg_at_k(["x"], relevance, 10) == 1.0
    # Found at rank 3, but the cut is at 2.
    assert m.ndcg_at_k(["a", "b", "x"], relevance, 2) == 0.0
    assert m.ndcg_at_k(["a", "b", "x"], relevance, 3) == pytest.approx(1 / 2)
    assert m.ndcg_at_k(["a"], {}, 10) == 0.0  # nothing relevant: 0, not a division by zero
    # The ideal ranking is cut at k too: two relevant documents, k = 1, one found first.
    assert m.ndcg_at_k(["x", "y"], {"x": 1, "y": 1}, 1) == 1.0
    # A duplicate in a ranking gains once.
    assert m.ndcg_at_k(["x", "x"], {"x": 1, "y": 1}, 10) == pytest.approx(1 / (1 + 1 / LOG2_3))


def test_recall_at_k() -> None:
    relevance = {"a": 1, "b": 2, "c": 1, "z": 0}
    ranking = ["x", "a", "y", "b", "z"]
    assert m.recall_at_k(ranking, relevance, 1) == 0.0
    assert m.recall_at_k(ranking, relevance, 2) == pytest.approx(1 / 3)
    assert m.recall_at_k(ranking, relevance, 4) == pytest.approx(2 / 3)
    assert m.recall_at_k(ranking, relevance, 100) == pytest.approx(2 / 3)  # z is judged irrelevant
    assert m.recall_at_k(ranking, {}, 10) == 0.0


def test_mrr_at_k() -> None:
    relevance = {"a": 1, "b": 1}
    assert m.mrr_at_k(["x", "y", "a", "b"], relevance, 10) == pytest.approx(1 / 3)
    assert m.mrr_at_k(["b"], relevance, 10) == 1.0
    assert m.mrr_at_k(["x", "y", "a"], relevance, 2) == 0.0
    assert m.mrr_at_k(["x", "y"], {"x": 0}, 10) == 0.0  # judged 0 is not relevant


def test_rank_by_max_scores_a_document_by_its_best_chunk() -> None:
    pairs = [("a", 0.5), ("b", 0.9), ("a", 0.95), ("c", 0.1), ("b", 0.2)]
    assert m.rank_by_max(pairs) == ["a", "b", "c"]


def test_reciprocal_rank_fusion() -> None:
    # a: 1/61; b: 1/62 + 1/61; c: 1/63 + 1/62; d: 1/63.
    assert reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60) == ["b", "c", "a", "d"]


# --- answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("The Denver Broncos!", "denver broncos"),
        ("  an   apple, A pear ", "apple pear"),
        ("Anne thematic", "anne thematic"),  # articles only as whole words
        ("Eiffel-Tower", "eiffeltower"),  # SQuAD deletes punctuation, it does not split on it
        ("$1,000.50", "100050"),
        ("THE", ""),
        ("Jos\u00e9 \u201cPepe\u201d", "jos\u00e9 \u201cpepe\u201d"),  # only ASCII punctuation goes
    ],
)
def test_squad_normalization(text: str, normalized: str) -> None:
    assert m.normalize_answer(text) == normalized


def test_exact_match_takes_the_best_gold() -> None:
    assert m.exact_match("the Denver Broncos", ["Broncos", "Denver Broncos"]) == 1.0
    assert m.exact_match("Denver Broncos won", ["Denver Broncos"]) == 0.0
    assert m.exact_match("", ["x"]) == 0.0


def test_token_f1() -> None:
    # 2 of 3 predicted tokens are gold, all 2 gold tokens predicted: P=2/3, R=1, F1=0.8.
    assert m.token_f1("Denver Broncos won", ["Denver Broncos"]) == pytest.approx(0.8)
    # Repeated tokens count as often as both sides have them: common = {y: 2}; P = R = 2/3.
    assert m.token_f1("x y y", ["y y z"]) == pytest.approx(2 / 3)
    # The maximum over gold answers.
    assert m.token_f1("in 1932", ["1931", "1932", "in the year 1932"]) == pytest.approx(
        max(2 * 0.5 * 1 / 1.5, 2 * 1 * (2 / 3) / (1 + 2 / 3))
    )
    assert m.token_f1("the", ["the"]) == 0.0  # both normalize to nothing
    assert m.token_f1("anything", []) == 0.0


def test_contains_answer_on_word_boundaries() -> None:
    assert m.contains_answer("The game was won by the Denver Broncos.", ["Denver Broncos"]) == 1.0
    assert m.contains_answer("Broncos won", ["Bronco"]) == 0.0
    assert m.contains_answer("It cost $1,000.", ["1,000"]) == 1.0
    assert m.contains_answer("nothing here", ["the"]) == 0.0  # an all-article gold matches nothing


def test_citation_markers_are_not_answer_text() -> None:
    answer = "It opened in 1932 [2]. It closed [1, 3] in 1990 [4-5]."
    assert m.strip_citation_markers(answer) == "It opened in 1932. It closed in 1990."
    assert m.exact_match(m.strip_citation_markers("1932 [2]"), ["1932"]) == 1.0
    assert m.exact_match("1932 [2]", ["1932"]) == 0.0  # why they are stripped first


# --- summaries ----------------------------------------------------------------------------------


def test_percentile_and_histogram() -> None:
    assert m.percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    assert m.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert m.percentile([], 50) is None
    hist = m.histogram([0.0, 0.1, 0.9, 1.0], bins=2, clip_percentile=100)
    assert hist == {"edges": [0.0, 0.5, 1.0], "counts": [2.0, 2.0], "overflow": [0.0]}
    # 99 values in [0, 0.99] and one stall at 50 s: the stall is overflow, not the axis's end.
    hist = m.histogram([i / 100 for i in range(99)] + [50.0], bins=10, clip_percentile=99)
    assert hist["overflow"] == [1.0] and sum(hist["counts"]) == 99
    assert hist["edges"][-1] == pytest.approx(m.percentile([i / 100 for i in range(99)] + [50.0], 99))
    assert m.mean([1.0, None, 3.0]) == 2.0 and m.mean([None]) is None


def _answer(**fields: object) -> dict:
    base = {
        "abstained": False,
        "evidence_top1": 0.0,
        "evidence_top3": 0.0,
        "contained": 0.0,
        "em": 0.0,
        "f1": 0.0,
        "shown_contained": 0.0,
        "passage_hit": True,
        "citation_accuracy": None,
        "unsupported_sentences": 0,
        "repeated": False,
        "attention_top1": None,
        "encoder_top1": None,
        "evidence_coverage": 1.0,
        "stats": {"time_to_first_token_s": 0.5, "total_s": 1.0, "decode_tokens_per_s": 20.0},
        "wall_s": 1.1,
    }
    return {**base, **fields}


def _item(modes: dict, **fields: object) -> dict:
    base = {
        "modes": modes,
        "metrics": {"hybrid": {"ndcg@10": 1.0, "mrr@10": 1.0, "recall@1": 1.0, "curve@1": 1.0}},
    }
    return {**base, **fields}


def test_summarize_squad_answer_modes_side_by_side() -> None:
    results = [
        _item(
            {
                "extract": _answer(
                    evidence_top1=1.0,
                    evidence_top3=1.0,
                    contained=1.0,
                    em=1.0,
                    f1=1.0,
                    shown_contained=1.0,
                    citation_accuracy=1.0,
                    attention_top1=1.0,
                    encoder_top1=1.0,
                ),
                "free": _answer(
                    evidence_top1=1.0, evidence_top3=1.0, shown_contained=1.0, f1=0.5, repeated=True
                ),
            },
            gold_removed={"abstained": True, "evidence_coverage": 0.2},
        ),
        _item(
            {
                "extract": _answer(
                    evidence_top3=1.0,
                    shown_contained=1.0,
                    citation_accuracy=0.0,
                    passage_hit=False,
                    attention_top1=1.0,
                    encoder_top1=0.0,
                    evidence_coverage=0.9,
                ),
                "free": _answer(abstained=True, stats={}),
            },
            gold_removed={"abstained": False, "evidence_coverage": 0.95},
            metrics={"hybrid": {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@1": 0.0, "curve@1": 0.0}},
        ),
    ]
    summary = m.summarize_squad(results, [1])
    extract, free = summary["answer_modes"]["extract"], summary["answer_modes"]["free"]
    assert summary["answers"] == extract
    assert extract["evidence_top1"] == 0.5 and extract["evidence_top3"] == 1.0
    assert extract["contained"] == 0.5 and extract["shown_contained"] == 1.0
    assert extract["citation_accuracy"] == 0.5 and extract["passage_hit_rate"] == 0.5
    assert extract["attention_top1"] == 1.0 and extract["encoder_top1"] == 0.5
    assert free["repeated"] == 1 and free["abstention_rate"] == 0.5 and free["answered_rate"] == 0.5
    assert free["latency"]["time_to_first_token_s"]["n"] == 1  # an abstention has no timing
    assert summary["abstention"]["gold_removed_abstained"] == 0.5
    curve = {row["threshold"]: row for row in summary["abstention"]["curve"]}
    assert curve[0.95] == {"threshold": 0.95, "answered": 0.5, "abstained_removed": 0.5}
    assert summary["retrieval"]["hybrid"]["recall@1"] == 0.5
    assert summary["recall_curve"]["hybrid"] == [[1.0, 0.5]]


def test_abstention_curve_follows_answerability_and_reads_older_items_by_coverage() -> None:
    """The curve is drawn over the score abstention compared (answerability); items saved
    before it existed only have the top quote's coverage, which was that score then."""
    new = _item(
        {"extract": _answer(evidence_coverage=0.9, answerability=0.3)},
        gold_removed={"abstained": True, "evidence_coverage": 0.9, "answerability": 0.1},
    )
    old = _item(
        {"extract": _answer(evidence_coverage=0.6)},
        gold_removed={"abstained": False, "evidence_coverage": 0.7},
    )
    assert m.abstention_score(new["modes"]["extract"]) == 0.3
    assert m.abstention_score(new["gold_removed"]) == 0.1
    assert m.abstention_score(old["modes"]["extract"]) == 0.6
    curve = {row["threshold"]: row for row in m.summarize_squad([new, old], [1])["abstention"]["curve"]}
    assert set(curve) == {0.1, 0.3, 0.6, 0.7}
    assert curve[0.3] == {"threshold": 0.3, "answered": 1.0, "abstained_removed": 0.5}
    assert curve[0.7] == {"threshold": 0.7, "answered": 0.0, "abstained_removed": 0.5}


def test_a_missing_answerability_abstains_at_every_threshold() -> None:
    """None (no evidence at all) is stored as such and never counts as answered."""
    item = _item(
        {"extract": _answer(answerability=None)}, gold_removed={"abstained": True, "answerability": None}
    )
    other = _item(
        {"extract": _answer(answerability=0.5)}, gold_removed={"abstained": False, "answerability": 0.4}
    )
    curve = m.summarize_squad([item, other], [1])["abstention"]["curve"]
    assert [row["answered"] for row in curve] == [0.5, 0.5]
    assert [row["abstained_removed"] for row in curve] == [0.5, 1.0]
