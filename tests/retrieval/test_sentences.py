"""Sentences are the unit of evidence: their spans must slice the text exactly, in order,
covering every word, on hand-made cases and on every real sample document."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import numpy as np
import pytest

from retrieval.answer_kind import answer_type
from retrieval.document import ParseError
from retrieval.evidence import (
    EvidenceSource,
    is_complete,
    is_contents_entry,
    is_run_in_heading,
    quotable_spans,
    rank_sentences,
)
from retrieval.parsing import parse_document
from retrieval.quote_context import quote_span
from retrieval.sentences import split_sentences
from retrieval.table_rows import table_header_span
from tests.conftest import needs_shared_data
from tests.retrieval.test_parsing_samples import DOC_SAMPLES, SAMPLES, _sample_id


def assert_sentences(text: str) -> list[str]:
    spans = split_sentences(text)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and any(c.isalnum() for c in piece)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, "sentences never overlap and come in order"
    covered = np.zeros(len(text), dtype=bool)
    for start, end in spans:
        covered[start:end] = True
    missed = [c for c, hit in zip(text, covered, strict=True) if c.isalnum() and not hit]
    assert not missed, f"words left out of every sentence: {''.join(missed)[:80]!r}"
    return [text[a:b] for a, b in spans]


def test_sentence_rules() -> None:
    text = (
        "Dr. Smith went to Washington, D.C. in 1999. He met J. K. Rowling there! "
        '"Why?" she asked. It cost $3.50, e.g. for apples.\n\nA table row | 2023 | 2022\n'
        "He said no. and left. The U.S. economy grew 3.1%.\n"
        "Sea ducks live in saltwater.[13][14] The tribe is small.[citation needed] It e.g.[3] dives."
    )
    assert assert_sentences(text) == [
        "Dr. Smith went to Washington, D.C. in 1999.",
        "He met J. K. Rowling there!",
        '"Why?" she asked.',
        "It cost $3.50, e.g. for apples.",
        "A table row | 2023 | 2022",
        "He said no. and left.",
        "The U.S. economy grew 3.1%.",
        "Sea ducks live in saltwater.[13][14]",  # footnote marks end with their sentence
        "The tribe is small.[citation needed]",
        "It e.g.[3] dives.",
    ]


def test_a_run_on_sentence_is_cut_where_a_reader_would_pause() -> None:
    text = "; ".join(f"item {i} costs {i * 3} euros and ships in {i} days" for i in range(40)) + "."
    pieces = assert_sentences(text)
    assert len(pieces) > 1 and all(len(p) <= 400 for p in pieces)


def test_evidence_ranking_returns_every_sentence_once_best_first_with_exact_spans() -> None:
    question = "When did the bridge open?"
    sources = [
        EvidenceSource(1, "The bridge is painted red. It opened in 1932 after six years of work.", 0.6),
        EvidenceSource(2, "Bridges carry roads over rivers.", 0.4),
    ]
    vocab = sorted({w for t in [question, *(s.text for s in sources)] for w in t.lower().split()})

    def encode(texts: list[str]) -> np.ndarray:  # a bag-of-words stand-in for the encoder
        rows = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], dtype=np.float32)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)

    ranked = rank_sentences(question, encode([question])[0], sources, encode)
    assert answer_type(question) == "date"
    assert sorted(r.sentence.text for r in ranked) == [
        "Bridges carry roads over rivers.",
        "It opened in 1932 after six years of work.",
        "The bridge is painted red.",
    ]
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    for r in ranked:
        assert sources[r.sentence.source].text[r.sentence.start : r.sentence.end] == r.sentence.text
    # The sentence that holds a date (what "when" asks for) outranks the off-topic one.
    order = [r.sentence.text for r in ranked]
    assert order.index("It opened in 1932 after six years of work.") < order.index(
        "Bridges carry roads over rivers."
    )


def test_a_statement_two_overlapping_chunks_hold_is_a_candidate_once() -> None:
    # The later chunk starts inside the sentence the earlier one ends with (chunk overlap):
    # its head is that sentence's tail, the same statement, and must not be a second quote.
    whole = "In a few programs, where tracing is aborted, this cost can rise to 10% of the time."
    sources = [
        EvidenceSource(1, f"Recording is cheap. {whole}", 0.6),
        EvidenceSource(2, f"{whole[whole.index('where') :]} Native code runs.", 0.5),
        EvidenceSource(3, "Recording is cheap.", 0.4),  # repeated word for word
    ]
    ranked = rank_sentences("How high can the cost rise?", np.ones(2), sources, unit_rows)
    texts = [s.sentence.text for s in ranked]
    assert sorted(texts) == sorted([whole, "Recording is cheap.", "Native code runs."])


def test_a_table_of_contents_is_not_evidence_but_an_ellipsis_in_prose_is() -> None:
    # As pypdf reads a contents page: entries, dot leaders and page numbers run together,
    # and the splitter cuts them at the leaders' dots into section titles.
    contents = (
        "Chapter 3. Row and Column Access Control. . . . . . . . . . 13 3.1 Explanation of RCAC "
        "and the concept of access control . . . . . . . . 14 3.1.1 Row permission and column "
        "mask definitions . . . . . . . . 14\n2.1 Roles..........8 2.2 Separation of duties ...... ix"
    )
    body = "RCAC stands for Row and Column Access Control. The book was entitled All I want .... Its title"
    sources = [EvidenceSource(1, contents, 0.7), EvidenceSource(2, body, 0.5)]
    ranked = rank_sentences("What is the concept of RCAC access control?", np.ones(2), sources, unit_rows)
    assert [s.sentence.text for s in ranked if s.sentence.source == 0] == []
    assert is_contents_entry(contents, 0, contents.index(" . "))
    assert {s.sentence.text for s in ranked} == {
        "RCAC stands for Row and Column Access Control.",
        "The book was entitled All I want ....",
    }


def test_a_contents_page_without_leaders_is_not_evidence_but_a_numbered_list_is() -> None:
    # A report's contents as pypdf reads it: page numbers then titles, columns interleaved.
    contents = (
        "2,32,822\nNew jobs created\n2 Reliance at a Glance\n4 Stakeholder Value-creation 6 Key "
        "Performance Indicators\n14 We Care for an Inclusive Ecosystem\nTransformation\n32 ESG\n"
        "144 Awards and Recognition\n42 Management Discussion and Analysis"
    )
    entries = [line for line in contents.split("\n") if line[:1].isdigit() and " " in line]
    for line in entries:
        at = contents.index(line)
        assert is_contents_entry(contents, at, at + len(line)), line
    at = contents.index("New jobs created")
    assert not is_contents_entry(contents, at, at + len("New jobs created"))
    # Affiliations or a numbered list count 1, 2, 3: not page numbers.
    authors = (
        "Zejiang Shen 1, Ruochen Zhang 2\n1 Allen Institute for AI\n2 Brown University\n3 Harvard University"
    )
    at = authors.index("2 Brown")
    assert not is_contents_entry(authors, at, at + len("2 Brown University"))


def run_in_heading(text: str, sentence: str) -> bool:
    """`is_run_in_heading` for the first place `sentence` occurs in `text`."""
    at = text.index(sentence)
    return is_run_in_heading(text, at, at + len(sentence))


def test_a_run_in_heading_is_not_evidence_but_a_short_claim_is() -> None:
    # Notes to financial statements set a paragraph's title on its first line, then its text.
    notes = (
        "Notes\n\nNet income per share. Basic net income per share is calculated by dividing net "
        "income by the weighted-average number of shares.\nIt failed. The test was run again "
        "on the next day.\nThe clubs were Nottingham\nForest or Huddersfield Town. Both said no."
    )

    assert run_in_heading(notes, "Net income per share.")
    assert not run_in_heading(notes, "It failed.")  # a claim: a pronoun and a verb
    assert not run_in_heading(notes, "Forest or Huddersfield Town.")  # a wrapped sentence
    assert not run_in_heading(notes, "Both said no.")  # inside its line
    alone = "Net income per share.\nBasic net income per share is calculated as above."
    assert not is_run_in_heading(alone, 0, len("Net income per share."))  # a heading's own line
    sources = [EvidenceSource(1, notes, 0.6)]
    ranked = rank_sentences("What was net income per share?", np.ones(2), sources, unit_rows)
    assert "Net income per share." not in [s.sentence.text for s in ranked]


def test_a_run_in_title_worded_as_a_question_is_not_evidence() -> None:
    # A technical article's bold paragraph titles: they echo a question best and say nothing.
    text = (
        "Why the cache makes generation faster. The decoder writes one token per pass.\n\n"
        "What the heatmap does not show. It shows where the token looked.\n\n"
        "How they did it remains unknown to this day and to everyone who tried."
    )

    assert run_in_heading(text, "Why the cache makes generation faster.")
    assert run_in_heading(text, "What the heatmap does not show.")  # verbs, no clause after "What"
    assert not run_in_heading(text, "The decoder writes one token per pass.")  # inside its line
    # Longer than a title: a claim whose subject is a question.
    assert not run_in_heading(text, "How they did it remains unknown to this day and to everyone who tried.")


@needs_shared_data("doc-samples")
def test_the_run_in_headings_of_a_real_10k_are_not_evidence() -> None:
    path = DOC_SAMPLES / "unstructured/example-docs/example-10k.html"
    text = parse_document(path.read_bytes(), path.name).text
    headings = [text[a:b] for a, b in split_sentences(text) if is_run_in_heading(text, a, b)]
    assert "Net income per share." in headings
    assert "Revenue recognition." in headings
    assert all(len(h.split()) <= 5 for h in headings)


def test_letter_slivers_are_cut_from_their_sentence_and_never_quoted() -> None:
    text = (
        "Specifies that the row permission is to be initially enabled S ifi th t th i i i t b i "
        "iti ll di bl dENABLE\nDuck plumage varies. ^ a b c d e f g Carboneras 1992, p. 536.\n"
        "Y no se lo da a su tio de la ciudad si no es de la que se ve."
    )
    pieces = assert_sentences(text)
    assert pieces[:3] == [
        "Specifies that the row permission is to be initially enabled",
        "S ifi th t th i i i t b i iti ll di bl",
        "dENABLE",
    ]
    quoted = [text[a:b] for a, b in quotable_spans(text)]
    assert "S ifi th t th i i i t b i iti ll di bl" not in quoted
    assert "Specifies that the row permission is to be initially enabled" in quoted
    # Six backlinks are not a run; nor is prose of short words that have their vowels.
    assert "^ a b c d e f g Carboneras 1992, p. 536." in quoted
    assert text.splitlines()[-1] in quoted


@needs_shared_data("doc-samples")
def test_the_slivers_of_a_real_flattened_pdf_are_not_evidence() -> None:
    path = DOC_SAMPLES / "docling/tests/data/pdf/sources/redp5110_sampled.pdf"
    text = parse_document(path.read_bytes(), path.name).text
    quoted = [text[a:b] for a, b in quotable_spans(text)]
    assert "Specifies that the row permission is to be initially enabled" in quoted
    assert not [q for q in quoted if "S ifi th" in q]


def test_a_table_row_is_ranked_with_its_column_names() -> None:
    table = "| Food | Calories per portion\nLeaves | Ash, Elm | 50\nBerries | Blueberry, Cranberry | 150"
    sources = [EvidenceSource(1, f"Here is what a duck could eat:\n\n{table}", 0.6)]
    ranked = rank_sentences("How many calories per portion do berries have?", np.ones(2), sources, unit_rows)
    # The header holds two of the question's words and the row one; the row under the
    # header holds all three, and it is the answer.
    assert ranked[0].sentence.text == "Berries | Blueberry, Cranberry | 150"
    assert ranked[0].coverage == 1.0


def unit_rows(texts: list[str]) -> np.ndarray:
    return np.full((len(texts), 2), 2**-0.5, dtype=np.float32)


def test_a_whole_statement_outranks_a_lead_in_or_a_table_row_with_the_same_words() -> None:
    assert is_complete("Prefill computes the prompt in one pass; decode adds one token per step.")
    assert is_complete('He said "it opened in 1932."')
    assert not is_complete("Reuse of the cache, always decided on token ids:")
    assert not is_complete("216 | (b) KV cache | 0 | 32 | 0.746 | 13.2 | 9.5x")
    assert not is_complete("Decode loop and cache reuse")
    assert is_complete("Ducks eat grasses and insects.[24]")  # a footnote mark after the stop
    cut = "The Age of Imperialism, a period beginning around 1700, saw industrializing nations"
    assert is_complete(f"{cut} colonizing, influencing and annexing other parts of the world, and")
    question = "What does the KV cache reuse?"
    sources = [
        EvidenceSource(1, "KV cache reuse, decided on token ids:\n216 | KV cache reuse | 79 | 32", 0.5),
        EvidenceSource(2, "The KV cache reuse keeps the prompt's keys and values.", 0.5),
    ]

    def encode(texts: list[str]) -> np.ndarray:  # every text equally close: only words decide
        return np.ones((len(texts), 4), dtype=np.float32) / 2

    ranked = rank_sentences(question, np.ones(4, dtype=np.float32) / 2, sources, encode, idf=lambda w: 1.0)
    assert ranked[0].sentence.text == "The KV cache reuse keeps the prompt's keys and values."


@needs_shared_data("doc-samples")
@pytest.mark.parametrize("path", SAMPLES, ids=_sample_id)
def test_sentences_of_every_sample_slice_its_text_exactly(path: Path) -> None:
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        doc = parse_document(path.read_bytes(), path.name)
    except ParseError:
        return  # refusals are test_parsing_samples' business
    assert_sentences(doc.text)
    # What a quote takes beside it (its whole sentence, a label's figure, a row's header
    # rows) is a span of the same text around it, never one that cuts it.
    for start, end in quotable_spans(doc.text):
        a, b = quote_span(doc.text, start, end)
        assert 0 <= a <= start < end <= b <= len(doc.text)
        assert doc.text[a:b] == doc.text[a:b].strip()
        header = table_header_span(doc.text, a, b)
        assert header is None or header[1] <= a
