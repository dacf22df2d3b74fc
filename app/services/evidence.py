"""From retrieved chunks to evidence quotes: exact sentences of the user's documents.

The ranking itself is `retrieval.evidence` (plain Python); this module feeds it the
encoder, word statistics of the whole library (BM25's document frequencies), and turns the
winners into `EvidenceQuote`s with spans into each document's text.

With ANSWER_RERANK (the default) the decoder then reranks the encoder's best
`RERANK_CANDIDATES`, those within `RERANK_WITHIN` of the first (`rerank_count`): each
candidate's score gains `RERANK_WEIGHT` times the mean log-probability of the question given
the sentence (`Engine.question_likelihood`). A small language model is a poor writer but a
fair judge of which sentence a question is about: measured on SQuAD dev (docs/evaluation.md),
it lifts the top quote's hit rate by about five points for one short batched forward pass.

A question asking what an acronym stands for puts the sentence that spells it out first
(`retrieval.acronyms`; search brings the chunk that holds it), and that quote answers it by
construction. A question comparing two things puts first a sentence that sets them apart, or
one about each (`retrieval.contrast`), not one that merely names both.

Sentences are not encoded again when search found their vectors stored with their chunk
under the current sentence rules (`search.sentence_vectors_of`, the same sentences ingestion
encoded): only the rest are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from app.services.answer_record import EvidenceQuote, PassageSnapshot
from app.services.runtime import get_encoder, get_engine, get_lexical_index
from app.services.search import SearchResult
from retrieval.acronyms import asked_acronym, spelled_out
from retrieval.answer_kind import lacks_quantity
from retrieval.answerability import QUOTES_JUDGED, QuoteSignals
from retrieval.bylines import asks_authors, byline, is_byline
from retrieval.contrast import compared_sides, contrast_first
from retrieval.evidence import (
    EvidenceSource,
    Idf,
    ScoredSentence,
    content_words,
    coverage,
    quotable_spans,
    rank_sentences,
    sentence_coverage,
)
from retrieval.quote_context import quote_span, states_nothing
from retrieval.spelling import LibraryWords
from retrieval.table_rows import table_header_span
from retrieval.unheard import unheard_share

RERANK_CANDIDATES = 5
RERANK_WEIGHT = 0.5  # measured best of 0.1-1.0 on a SQuAD dev sample (0.3-1.0 within a point)
# A candidate this far below the encoder's first is not reranked. Over 454 SQuAD dev questions
# outside the reported sample, the rerank never lifted one from there to the top: the top
# quotes were the same with 0.3 as with all five, 29% of the rows were spared, and three
# answers more abstained (a lone first's margin is the encoder's); with 0.2 two top quotes
# were lost. Where the first alone is within reach, the decoder is not run at all.
RERANK_WITHIN = 0.3


def snapshot(index: int, result: SearchResult) -> PassageSnapshot:
    chunk = result.chunk
    return PassageSnapshot(
        chunk_id=chunk.pk,
        document_id=chunk.document_id,
        document_title=chunk.document.title,
        original_filename=chunk.document.original_filename,
        page=chunk.page,
        heading=chunk.heading,
        page_label=chunk.page_label,
        page_unit=chunk.document.page_unit,
        index=index,
        start=chunk.start,
        end=chunk.end,
        score=round(result.score, 4),
        text=chunk.text,
        table_header=chunk.table_header,
    )


def _idf(texts: Sequence[str]) -> Callable[[str], float]:
    """Word rarity over the whole library (BM25's document frequencies, synced by the search
    that found these passages); over the passages themselves only when BM25 is empty (oracle
    passages handed in). Rarity among four passages alone is degenerate: the subject's own
    words occur in all of them and would count for nothing."""
    lexical = get_lexical_index()
    return lexical.idf if len(lexical) else Idf(texts)


def abstention_question(question: str, query: str) -> str:
    """What abstention judges the quotes against: the question as asked, unless it says too
    little on its own ("When was it finished?"), then the search query with the turn before.
    A follow-up on another subject ("What do ducks eat?") must not borrow the previous
    question's words and look answered."""
    return question if len(set(content_words(question))) >= 2 else query


def rerank(
    question: str, ranked: list[ScoredSentence], passages: Sequence[PassageSnapshot]
) -> list[ScoredSentence]:
    """The best candidates reordered by encoder score + decoder question likelihood.

    The decoder reads each sentence after its document's title ("Skerryvore: It was built in
    1844."): a sentence often names its subject only as "it" or "the team", and the title says
    which. Measured on 288 SQuAD questions outside the reported sample, the top quote came
    from the question's own paragraph 0.861 of the time with titles, 0.844 without; top-1
    0.781 vs 0.778. A table row is read under its table's header rows, which say what its
    figures are: alone, "Berries | Blueberry | 150" lost to the header "| Food | Calories per
    portion" for "How many calories per portion do berries have?"."""
    head = ranked[: rerank_count(ranked)]
    if not head:
        return ranked
    texts = [as_the_decoder_reads(passages, c) for c in head]
    return rescored(ranked, get_engine().question_likelihood(question, texts))


def rerank_count(ranked: Sequence[ScoredSentence], candidates: int = RERANK_CANDIDATES) -> int:
    """How many of the first candidates the decoder reranks: of the first `candidates`, those
    within RERANK_WITHIN of the first's score; none when that is the first alone."""
    head = ranked[:candidates]
    within = sum(1 for c in head if head[0].score - c.score < RERANK_WITHIN)
    return within if within > 1 else 0


def as_the_decoder_reads(passages: Sequence[PassageSnapshot], candidate: ScoredSentence) -> str:
    """A candidate as the rerank reads it: as it would be quoted (`quote_span` within its
    passage: a label with its figures, a lead-in with its list), after its document's title,
    and after its table's header rows when it is a table row. Read alone, the label "New jobs
    created" lost "How many new jobs did Reliance create?" to a sentence naming Reliance;
    its figure "2,32,822" on the line above is what answers."""
    sentence = candidate.sentence
    passage = passages[sentence.source]
    start, end = quote_span(passage.text, sentence.start, sentence.end)
    shown = passage.text[start:end]
    header = table_header_span(passage.text, start, end)
    text = f"{passage.text[header[0] : header[1]]}\n{shown}" if header else shown
    return titled(passage.document_title, text)


def rescored(ranked: list[ScoredSentence], likelihood: Sequence[float]) -> list[ScoredSentence]:
    """`ranked` with its first `len(likelihood)` sentences' scores raised by RERANK_WEIGHT times
    their question likelihood and reordered among themselves; the rest after them, as they
    were (the abstention study replays the rerank from stored likelihoods through this)."""
    head, tail = ranked[: len(likelihood)], ranked[len(likelihood) :]
    raised = [replace(c, score=c.score + RERANK_WEIGHT * ql) for c, ql in zip(head, likelihood, strict=True)]
    return sorted(raised, key=lambda c: -c.score) + tail


def titled(title: str, text: str) -> str:
    """A sentence as the decoder rerank reads it: after its document's title."""
    title = " ".join(title.split())
    return f"{title}: {text}" if title else text


def locate(
    document_text: str, passage: PassageSnapshot, start: int, end: int, text: str
) -> tuple[int, int] | None:
    """The span of a passage's sentence in its document's text. A chunk's text is the
    document's from `start` to `end` less running headers and footers (PDFs), after the
    table header lines it repeats (`table_header`), so a sentence is found where its offset
    says, else searched for in the chunk's range; one that runs across a removed header
    cannot be quoted exactly and is not used (None). A sentence of the repeated header is
    quoted where the header really is, never at the position of the rows after it."""
    if passage.table_header is not None:
        header_start, header_end = passage.table_header
        lead = header_end - header_start + 1  # the header lines and their newline
        if end <= lead:
            at = header_start + start
            return (at, at + len(text)) if document_text[at : at + len(text)] == text else None
        if start < lead:
            return None  # runs from the repeated header into the rows: in no one place
        start, end = start - lead, end - lead
    at = passage.start + start
    if document_text[at : at + (end - start)] == text:
        return at, at + (end - start)
    found = document_text.find(text, passage.start, passage.end + 1)
    return (found, found + len(text)) if found >= 0 else None


def sentence_encoder(
    encode_texts: Callable[[list[str]], np.ndarray],
    dim: int,
    passages: Sequence[PassageSnapshot],
    stored: Mapping[int, np.ndarray],
) -> Callable[[list[str]], np.ndarray]:
    """An `encode` for `rank_sentences` that takes a sentence's vector from `stored` (chunk
    id -> its quotable sentences' vectors, in `quotable_spans` order) when its chunk has them,
    and encodes only the others, in one batch. Stored vectors that do not match the chunk's
    sentences in number (written by an older sentence splitter) are not used."""
    known: dict[str, np.ndarray] = {}
    for passage in passages:
        vectors = stored.get(passage.chunk_id)
        spans = quotable_spans(passage.text)
        if vectors is not None and len(vectors) == len(spans):
            known.update((passage.text[s:e], vector) for (s, e), vector in zip(spans, vectors, strict=True))

    def encode(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), dim), np.float32)  # (n, dim)
        missing = [i for i, text in enumerate(texts) if text not in known]
        if missing:
            out[missing] = encode_texts([texts[i] for i in missing])
        for i, text in enumerate(texts):
            if text in known:
                out[i] = known[text]
        return out

    return encode


def select_evidence(
    question: str,
    passages: Sequence[PassageSnapshot],
    count: int,
    document_texts: dict[int, str],
    *,
    rerank_with_decoder: bool = True,
    asked: str | None = None,
    sentence_vectors: Mapping[int, np.ndarray] | None = None,
) -> tuple[list[EvidenceQuote], list[ScoredSentence]]:
    """The `count` best evidence sentences of `passages` for `question`, best first, each
    an exact span of its document's text (`document_texts`: document id -> text); and every
    ranked sentence (for reports). Each quote's `coverage` is measured against `asked`
    (default `question`): what the person asked, when `question` adds earlier context.
    `sentence_vectors` (chunk id -> stored sentence vectors) spares encoding those again."""
    if not passages or count <= 0:
        return [], []
    encoder = get_encoder()
    sources = [EvidenceSource(p.chunk_id, p.text, p.score) for p in passages]
    idf = _idf([p.text for p in passages])
    ranked = rank_sentences(
        question,
        encoder.encode_query(question),
        sources,
        sentence_encoder(encoder.encode, encoder.dim, passages, sentence_vectors or {}),
        idf,
    )
    if rerank_with_decoder:
        ranked = rerank(question, ranked, passages)
    acronym = asked_acronym(asked or question)
    if acronym is not None:
        # The sentence that spells out the acronym asked about answers it (retrieval.acronyms).
        ranked = sorted(ranked, key=lambda c: spelled_out(c.sentence.text, acronym) is None)
    # A question asking who wrote a document: each document's byline, found once.
    authors = asks_authors(asked or question)
    bylines = (
        {d: span for d, text in document_texts.items() if (span := byline(text)) is not None}
        if authors
        else {}
    )
    if bylines:
        # The byline of the first document found that has one answers who wrote it
        # (retrieval.bylines).
        ranked = _byline_first(ranked, passages, document_texts, bylines)
    # A comparing question quotes first a sentence that sets the two apart, or one about each
    # (retrieval.contrast), among the first RERANK_CANDIDATES (the most the rerank judges,
    # whether or not it ran on all of them here). Only the quotes' order changes: `ranked`
    # stays in score order, which the margins of abstention are read from.
    sides = compared_sides(asked or question)
    order = ranked if sides is None else contrast_first(ranked, sides, RERANK_CANDIDATES)
    quotes: list[EvidenceQuote] = []
    # (document, start, end, quote position): each quote's span, and its table's header rows
    shown: list[tuple[int, int, int, int]] = []
    for scored in order:
        if len(quotes) == count:
            break
        sentence = scored.sentence
        passage = passages[sentence.source]
        document_text = document_texts[passage.document_id]
        span = locate(document_text, passage, sentence.start, sentence.end, sentence.text)
        if span is None:
            continue
        span = _as_byline(quote_span(document_text, *span), bylines.get(passage.document_id))
        text = document_text[span[0] : span[1]]
        if states_nothing(text) and not (authors and is_byline(text, span[0])):
            continue  # a heading alone: the sentences under it are the quotes (not a byline)
        overlapped = [k for d, a, b, k in shown if d == passage.document_id and a < span[1] and span[0] < b]
        if overlapped:
            # Already shown: overlapping chunks, a label's figure quoted with it, or a table's
            # header rows, which come with each of its rows quoted. A lead-in whose list holds
            # a quote already shown ("Also, don't forget:" over "- Drink water") widens that
            # quote to the whole list, in its place: the other items answer too.
            k = overlapped[0]
            if len(overlapped) == 1 and _holds(span, quotes[k], document_text):
                quotes[k] = replace(quotes[k], start=span[0], end=span[1], text=text)
                shown = [(d, a, b, j) if j != k else (d, *span, j) for d, a, b, j in shown]
            continue
        header = table_header_span(document_text, *span)
        at = len(quotes)
        shown += [(passage.document_id, *span, at)] + ([(passage.document_id, *header, at)] if header else [])
        quotes.append(
            EvidenceQuote(
                **passage.source(),
                index=at + 1,
                passage=passage.index,
                start=span[0],
                end=span[1],
                text=text,
                score=round(scored.score, 4) if math.isfinite(scored.score) else 0.0,
                similarity=round(scored.similarity, 4),
                coverage=round(
                    scored.coverage
                    if asked in (None, question)
                    else sentence_coverage(asked, passage.text, sentence, idf),
                    4,
                ),
                table_header_text=document_text[header[0] : header[1]] if header else "",
            )
        )
    return quotes, ranked


def _byline_first(
    ranked: list[ScoredSentence],
    passages: Sequence[PassageSnapshot],
    document_texts: dict[int, str],
    bylines: dict[int, tuple[int, int]],
) -> list[ScoredSentence]:
    """`ranked` with the sentences of a byline first (`bylines`: document id -> its byline's
    span): that of the first passage's document which has one among the candidates (search
    brings the best document's byline chunk)."""

    def in_byline(candidate: ScoredSentence) -> int | None:
        sentence = candidate.sentence
        passage = passages[sentence.source]
        span = bylines.get(passage.document_id)
        if span is None:
            return None
        text = document_texts[passage.document_id]
        found = locate(text, passage, sentence.start, sentence.end, sentence.text)
        if found is None or not (found[0] < span[1] and span[0] < found[1]):
            return None
        return passage.document_id

    documents = {c: d for c in ranked if (d := in_byline(c)) is not None}
    order = [p.document_id for p in passages if p.document_id in documents.values()]
    if not order:
        return ranked
    return sorted(ranked, key=lambda c: documents.get(c) != order[0])


def _as_byline(span: tuple[int, int], line: tuple[int, int] | None) -> tuple[int, int]:
    """A quote that overlaps its document's byline (`line`, when the question asks who wrote
    it) is the byline itself: the names and affiliations, without the title a sentence may
    run on from or the addresses after."""
    if line is None or not (span[0] < line[1] and line[0] < span[1]):
        return span
    return line


def _holds(span: tuple[int, int], quote: EvidenceQuote, document_text: str) -> bool:
    """`span` strictly holds the whole of `quote`, with no other lead-in between them (a
    nested list's own lead-in is nearer to its items than the outer list's), and neither is
    a table row (whose header rows come with it)."""
    between = document_text[span[0] : quote.start].splitlines()
    return (
        span[0] <= quote.start
        and quote.end <= span[1]
        and span != (quote.start, quote.end)
        and sum(line.rstrip().endswith(":") for line in between) <= 1
        and not quote.table_header_text
        and table_header_span(document_text, *span) is None
    )


def quotes_signals(
    asked: str,
    quotes: Sequence[EvidenceQuote],
    ranked: Sequence[ScoredSentence],
    passages: Sequence[PassageSnapshot],
    library: LibraryWords | None = None,
) -> list[QuoteSignals]:
    """What answerability reads off each of the first QUOTES_JUDGED quotes
    (`retrieval.answerability`): its coverage of `asked` (the question as the person asked
    it) and similarity, as `select_evidence` measured them; its passage's coverage of
    `asked`; its ranking score's margin over the next sentence in the ranking (1.0 when it is
    the only one); and the share of `asked` that no chunk of `library`, the words of the
    chunks searched, uses (0 without it: passages handed in). In the ranking's order, which
    is the quotes' own but for a comparing question's (`retrieval.contrast`): answerability
    caps the others' margins at the first's, and the first is the one the ranking put first."""
    idf = _idf([p.text for p in passages])
    unheard = unheard_share(asked, library, idf) if library is not None else 0.0
    acronym, authors = asked_acronym(asked), asks_authors(asked)
    judged = quotes[:QUOTES_JUDGED]
    at = [_ranked_at(quote, ranked, passages) for quote in judged]
    unranked = len(ranked)  # a quote not found in the ranking goes last
    in_order = sorted(range(len(judged)), key=lambda i: unranked if (found := at[i]) is None else found)
    return [
        replace(
            _signals(asked, judged[i], at[i], ranked, passages, idf),
            long_form=acronym is not None and spelled_out(judged[i].text, acronym) is not None,
            byline=authors and is_byline(judged[i].text, judged[i].start),
            lacks_quantity=lacks_quantity(asked, judged[i].text),
            unheard=unheard,
        )
        for i in in_order
    ]


def _ranked_at(
    quote: EvidenceQuote, ranked: Sequence[ScoredSentence], passages: Sequence[PassageSnapshot]
) -> int | None:
    """The position in `ranked` of the sentence `quote` quotes."""
    return next(
        (
            i
            for i, c in enumerate(ranked)
            # `in`, not `==`: a quote may be wider than its ranked sentence (the whole sentence
            # a chunk cut, a label's figures beside it).
            if passages[c.sentence.source].index == quote.passage and c.sentence.text in quote.text
        ),
        None,
    )


def _signals(
    asked: str,
    quote: EvidenceQuote,
    at: int | None,
    ranked: Sequence[ScoredSentence],
    passages: Sequence[PassageSnapshot],
    idf: Callable[[str], float],
) -> QuoteSignals:
    passage = next(p for p in passages if p.index == quote.passage)
    # The margin is over the sentence ranked next to it: only neighbours are comparable, as
    # the decoder rerank rescored the first `rerank_count` alone.
    if at is None or len(ranked) < 2:
        margin = 1.0
    else:
        neighbour = ranked[at + 1] if at + 1 < len(ranked) else ranked[at - 1]
        margin = ranked[at].score - neighbour.score
    return QuoteSignals(
        coverage=quote.coverage,
        similarity=quote.similarity,
        passage_coverage=coverage(asked, passage.text, idf),
        margin=margin,
    )
