"""Citations and checking cut the written answer into the same sentences (pure, no model)."""

from generation import checking, citations
from generation.types import Passage

TEXT = (
    'Reuse (kv_cache.py) costs 3.5 s. He said "Go." Then it rained [1]. Wait... what?! '
    "(It opened in 1932.) A line\nand another [2]"
)


def test_citations_and_checking_cut_an_answer_at_the_same_places() -> None:
    checked = checking.sentence_spans(TEXT)
    claimed = citations.sentence_spans(TEXT)
    assert [TEXT[a:b] for a, b in checked] == [
        "Reuse (kv_cache.py) costs 3.5 s.",
        'He said "Go."',
        "Then it rained [1].",
        "Wait...",
        "what?!",
        "(It opened in 1932.)",
        "A line",
        "and another [2]",
    ]
    # Citations leave out the stop itself, and only that.
    assert [a for a, _ in claimed] == [a for a, _ in checked]
    assert all(TEXT[b1:b2].strip(".!?") == "" for (_, b1), (_, b2) in zip(claimed, checked, strict=True))


def test_a_marker_backs_the_sentence_checking_sees() -> None:
    passages = tuple(Passage(100 + i, f"text {i}", "Doc", i, "") for i in (1, 2))
    claims = [TEXT[c.claim_start : c.claim_end] for c in citations.parse_citations(TEXT, passages).citations]
    assert claims == ["Then it rained", "and another"]
