"""Marker parsing and resolution on hand-made answers (pure, no model)."""

import itertools

from generation.citations import marker_numbers, parse_citations
from generation.types import Passage

PASSAGES = tuple(Passage(100 + i, f"text {i}", "Doc", i, "") for i in range(1, 4))  # [1]..[3]


def cited(text):
    return parse_citations(text, PASSAGES)


def test_single_marker_resolves_to_chunk_and_claim():
    text = "Paris is big. It is the capital of France [2]."
    (c,) = cited(text).citations
    assert (c.index, c.chunk_id, c.kind) == (2, 102, "model")
    assert text[c.marker_start : c.marker_end] == "[2]"
    assert text[c.claim_start : c.claim_end] == "It is the capital of France"


def test_marker_after_full_stop_attaches_to_that_sentence():
    text = "Backups run nightly. They are kept for 35 days. [1]"
    (c,) = cited(text).citations
    assert text[c.claim_start : c.claim_end] == "They are kept for 35 days"


def test_lists_ranges_and_adjacent_markers():
    text = "A holds [1, 3]. B holds [1-3]. C holds [2][3]. D holds [1] [2]."
    result = cited(text)
    by_claim: dict[str, list[int]] = {}
    for c in result.citations:
        by_claim.setdefault(text[c.claim_start : c.claim_end], []).append(c.index)
    assert by_claim == {"A holds": [1, 3], "B holds": [1, 2, 3], "C holds": [2, 3], "D holds": [1, 2]}
    assert result.unresolved == ()
    assert marker_numbers("1; 2") == [1, 2] and marker_numbers("2\u20133") == [2, 3]


def test_invalid_numbers_are_unresolved_and_left_in_text():
    text = "It opened in 1937 [4]. It is red [0]. It is long [2, 9]."
    result = cited(text)
    assert [c.index for c in result.citations] == [2]
    assert [(n, text[a:b]) for n, a, b in result.unresolved] == [
        (4, "[4]"),
        (0, "[0]"),
        (9, "[2, 9]"),
    ]


def test_no_markers_and_non_markers():
    assert cited("No sources here.").citations == ()
    # brackets that are not numbers, and a huge range kept as its two ends
    result = cited("See [note] and [a1]. Odd [1-300].")
    assert [c.index for c in result.citations] == [1]
    assert [n for n, _, _ in result.unresolved] == [300]


def test_claims_of_consecutive_sentences_do_not_overlap():
    text = "First fact [1]. Second fact [2]. Third fact [3]."
    spans = [(c.claim_start, c.claim_end) for c in cited(text).citations]
    assert [text[a:b] for a, b in spans] == ["First fact", "Second fact", "Third fact"]
    assert all(b <= a2 for (_, b), (a2, _) in itertools.pairwise(spans))


def test_attention_attribution_for_uncited_sentences_only():
    from generation.citations import attribute_by_attention

    text = "Alpha is one. Beta is two [2]. Gamma."
    # one token per word-ish piece; rows: mass on passages [1], [2], [3]
    spans = [(0, 5), (5, 8), (8, 13), (13, 19), (19, 22), (22, 26), (26, 30), (30, 37)]
    mass = [
        (0.10, 0.01, 0.00),
        (0.08, 0.02, 0.01),
        (0.09, 0.01, 0.00),
        (0.01, 0.20, 0.00),
        (0.01, 0.20, 0.00),
        (0.01, 0.20, 0.00),
        (0.01, 0.20, 0.00),
        (0.01, 0.01, 0.01),  # "Gamma": looked at nothing
    ]
    model = parse_citations(text, PASSAGES).citations
    covered = [(c.claim_start, c.claim_end) for c in model]
    found = attribute_by_attention(text, PASSAGES, spans, mass, covered, min_mass=0.03)
    assert [(c.index, c.kind, text[c.claim_start : c.claim_end]) for c in found] == [
        (1, "attention", "Alpha is one")
    ]
    assert found[0].marker_start == found[0].marker_end == found[0].claim_end


def test_attention_attribution_keeps_near_ties_and_drops_weak_rows():
    from generation.citations import attribute_by_attention

    text = "Both sources say so."
    spans = [(0, 4), (4, 20)]
    tie = attribute_by_attention(text, PASSAGES, spans, [(0.06, 0.055, 0.0)] * 2)
    assert [c.index for c in tie] == [1, 2]
    assert attribute_by_attention(text, PASSAGES, spans, [(0.01, 0.01, 0.0)] * 2) == ()
    assert attribute_by_attention(text, (), spans, [(), ()]) == ()
