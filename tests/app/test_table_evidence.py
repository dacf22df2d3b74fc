"""Evidence from chunks that repeat a table's header: every quote slices the document's
text exactly, and a quote of the repeated header points at the header, never at the
position of the rows the chunk holds."""

from __future__ import annotations

from app.services.answer_record import EvidenceQuote, PassageSnapshot
from app.services.evidence import as_the_decoder_reads, locate, select_evidence, snapshot
from app.services.search import search_chunks
from retrieval.evidence import ScoredSentence, Sentence
from retrieval.sentences import split_sentences
from retrieval.table_rows import table_header_span
from tests.retrieval.test_tables import statement_pdf

HEADER = "Region | 2023 | 2022"


def passage(document_text: str, start: int, end: int, header: tuple[int, int] | None) -> PassageSnapshot:
    lead = document_text[header[0] : header[1]] + "\n" if header else ""
    return PassageSnapshot(
        chunk_id=1,
        document_id=1,
        document_title="Results",
        original_filename="results.md",
        page=None,
        heading="",
        page_label="",
        index=1,
        start=start,
        end=end,
        score=0.5,
        text=lead + document_text[start:end],
        table_header=header,
    )


def test_sentences_of_a_repeated_header_are_located_at_the_header() -> None:
    rows = [f"North {i} | {100 + i} | {90 + i}" for i in range(6)]
    # The header is printed again inside the passage (the table's next page): a quote of
    # the lead must still point at the first header, a quote of the body at the second.
    text = "\n".join([HEADER, *rows[:3]]) + "\n\n" + "\n".join([HEADER, *rows[3:]])
    start = text.index(rows[2])
    snap = passage(text, start, len(text), (0, len(HEADER)))
    located = [locate(text, snap, a, b, snap.text[a:b]) for a, b in split_sentences(snap.text)]
    assert all(span is not None for span in located)
    for (a, b), span in zip(split_sentences(snap.text), located, strict=True):
        assert span is not None and text[span[0] : span[1]] == snap.text[a:b]
    assert located[0] == (0, len(HEADER))  # the lead: the header where it is printed
    second_header = text.index(HEADER, 1)
    assert (second_header, second_header + len(HEADER)) in located
    assert located[1] == (start, start + len(rows[2]))
    # Without a lead, the same passage text has no header sentence at position 0 to claim.
    plain = passage(text, start, len(text), None)
    assert locate(text, plain, 0, len(rows[2]), rows[2]) == (start, start + len(rows[2]))


def test_evidence_from_a_table_split_across_pages(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    document = ingestion.index(user, "statement.pdf", statement_pdf(), timeout=300)
    chunks = list(document.chunks.all())
    led = [c for c in chunks if c.table_header is not None]
    assert led, "the table is longer than a chunk, so later chunks repeat its header"
    for chunk in led:
        assert chunk.table_header is not None
        names = document.text[chunk.table_header[0] : chunk.table_header[1]]
        assert names == "| Three Months Ended\n| July 1, 2023 | June 25, 2022"
        assert chunk.text.startswith(names + "\nCategory")

    results = search_chunks(user, "Category 40 net sales in the three months ended June 25, 2022", top_k=3)
    assert results and results[0].chunk.document_id == document.pk
    assert "Category 40 net sales | 2,480 | 2,540" in results[0].chunk.text
    passages = [snapshot(i + 1, r) for i, r in enumerate(results)]
    quotes, _ = select_evidence(
        "What were Category 40 net sales for the three months ended June 25, 2022?",
        passages,
        count=sum(len(split_sentences(p.text)) for p in passages),  # every sentence that locates
        document_texts={document.pk: document.text},
        rerank_with_decoder=False,
    )
    (row,) = [quote for quote in quotes if quote.text == "Category 40 net sales | 2,480 | 2,540"]
    # Quoted under its column names: page 2 prints the table's header again above its rows.
    assert row.table_header_text == "| Three Months Ended\n| July 1, 2023 | June 25, 2022"
    earlier: list[tuple[int, int]] = []  # the header rows of the rows quoted so far
    for quote in quotes:
        assert document.text[quote.start : quote.end] == quote.text
        # The column names come with each row quoted, so they are not quoted again after it
        # (where a lead's sentence is quoted, `test_sentences_of_a_repeated_header_…` checks).
        assert not any(a < quote.end and quote.start < b for a, b in earlier), quote.text
        header = table_header_span(document.text, quote.start, quote.end)
        if header:
            assert quote.table_header_text == document.text[header[0] : header[1]]
            earlier.append(header)
    assert earlier


def test_the_decoder_rerank_reads_a_candidate_as_it_would_be_quoted() -> None:
    text = (
        "Intro.\n\n| Food | Calories per portion\nBerries | Blueberry | 150\n\n"
        "EMPLOYMENT CREATION\n2,32,822\nNew jobs created\n\nAlso, don't forget:\n- Wear sunglasses"
    )
    snap = passage(text, 0, len(text), None)

    def candidate(line: str) -> ScoredSentence:
        at = text.index(line)
        return ScoredSentence(Sentence(0, at, at + len(line), line), 1.0, 0.5, 0.5)

    # A table row under its column names, a label with its figure, a lead-in with its list.
    assert as_the_decoder_reads([snap], candidate("Berries | Blueberry | 150")) == (
        "Results: | Food | Calories per portion\nBerries | Blueberry | 150"
    )
    assert (
        as_the_decoder_reads([snap], candidate("New jobs created")) == "Results: 2,32,822\nNew jobs created"
    )
    assert as_the_decoder_reads([snap], candidate("Also, don't forget:")) == (
        "Results: Also, don't forget:\n- Wear sunglasses"
    )
    assert as_the_decoder_reads([snap], candidate("Intro.")) == "Results: Intro."


def test_a_follow_ups_coverage_of_a_table_row_counts_its_column_names() -> None:
    # A follow-up is searched with the question before it but judged on what was asked now;
    # judged alone, the row "Berries | Blueberry | 150" held none of "calories per portion".
    text = "| Food | Kind | Calories per portion\nLeaves | Ash, Elm | 50\nBerries | Blueberry | 150"
    header = (0, len("| Food | Kind | Calories per portion"))
    start = text.index("Leaves")
    snap = passage(text, start, len(text), header)
    asked = "And calories per portion of berries?"
    quotes, _ = select_evidence(
        f"What do ducks eat? {asked}", [snap], 3, {1: text}, rerank_with_decoder=False, asked=asked
    )
    (row,) = [quote for quote in quotes if quote.text == "Berries | Blueberry | 150"]
    assert row.coverage == 1.0


def evidence_of(question: str, text: str, count: int) -> tuple[list[EvidenceQuote], list[ScoredSentence]]:
    """The evidence for `question` from one passage that is the whole of `text`, by the
    encoder alone (no decoder rerank)."""
    snap = passage(text, 0, len(text), None)
    return select_evidence(question, [snap], count=count, document_texts={1: text}, rerank_with_decoder=False)


def test_a_lead_in_widens_a_quote_of_its_list_to_the_whole_list(db) -> None:  # type: ignore[no-untyped-def]
    """The item "Don't forget to drink water" ranks first; the lead-in "Also, don't forget:",
    quoted with its items, holds it. The item's quote grows to the whole list, in its place,
    instead of the lead-in being dropped as already shown: the other items answer too."""
    text = (
        "To get started with swimming, lay down in the water:\n\n- You can relax\n\n"
        "- Also, don't forget:\n\n- Wear sunglasses\n\n- Don't forget to drink water\n\n"
        "- Use sun cream\n\nLet's eat\n\nAfter a good day of swimming, eat something nice."
    )
    quotes, ranked = evidence_of("What should you not forget to drink when swimming?", text, count=3)
    assert ranked[0].sentence.text == "- Don't forget to drink water"
    first = quotes[0]
    listed = "- Also, don't forget:\n\n- Wear sunglasses\n\n- Don't forget to drink water\n\n- Use sun cream"
    assert first.text == listed
    assert text[first.start : first.end] == first.text
    spans = [(q.start, q.end) for q in quotes]
    assert all(b <= c or d <= a for i, (a, b) in enumerate(spans) for c, d in spans[i + 1 :]), "no overlap"
    assert [q.index for q in quotes] == list(range(1, len(quotes) + 1))


def test_a_heading_alone_is_never_a_quote(db) -> None:  # type: ignore[no-untyped-def]
    """A heading echoes the question's subject best of all and answers nothing: the sentences
    under it are the quotes."""
    text = (
        "Boots Self-Locking Nut\n"
        "The Boots self-locking nut is of one piece, all-metal construction. "
        "The spring keeps the locking and load-carrying sections apart."
    )
    quotes, ranked = evidence_of("What is a Boots self-locking nut?", text, count=10)
    assert "Boots Self-Locking Nut" in [c.sentence.text for c in ranked], "a candidate, ranked"
    assert [q.text for q in quotes] == [
        "The Boots self-locking nut is of one piece, all-metal construction.",
        "The spring keeps the locking and load-carrying sections apart.",
    ]
