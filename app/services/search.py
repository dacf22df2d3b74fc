"""The one retrieval path: the search page, the API, answers and evaluation all call
`search_chunks`, so what evaluation measures is what users get.

Hybrid by default: dense (FAISS over the encoder's vectors) and BM25 each rank the chunks the
user may search, and reciprocal rank fusion merges them. Measured in docs/evaluation.md:
SciFact NDCG@10 and SQuAD recall@5 are both higher fused than either alone (a lexical match
catches names, codes and numbers the encoder blurs; the encoder catches paraphrases).

Dense and hybrid search then reorder their best SENTENCE_CANDIDATES by each chunk's best
sentence as well (`retrieval.sentence_match`): a question is usually about one sentence.

A misspelt word of the query is respelt first as the chunks the user may search spell it
(`retrieval.spelling`): "edcuation" matched nothing, "education" does. `search_library` says
what it searched for, and respells the question the same way for the answer's evidence.

A question asking what an acronym stands for also brings the chunk that spells it out, from
the documents found (`retrieval.acronyms`): it is used everywhere and defined once. A
question asking who wrote a document brings the chunk with the byline of the document found
first (`retrieval.bylines`): a line of names matches no word of the question.

Every result carries its dense cosine as `score` (also for chunks only BM25 found), so
thresholds and displayed scores mean the same thing in every mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict, Unpack, cast

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.db.models.functions import Substr

from app.models import Chunk, Collection, Document
from app.services.runtime import get_encoder, get_index, get_lexical_index
from app.services.visibility import searchable_chunks
from app.users import User
from retrieval.acronyms import asked_acronym, spelled_out
from retrieval.bylines import BYLINE_WITHIN, asks_authors, byline
from retrieval.evidence import QUOTABLE_RULES
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.library_words import NO_WORDS
from retrieval.sentence_match import SENTENCE_CANDIDATES, best_sentence, reorder, unpack
from retrieval.spelling import LibraryWords, respell

RetrievalMode = Literal["dense", "bm25", "hybrid"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("dense", "bm25", "hybrid")
# Each side ranks this many candidates (at least) before fusion.
CANDIDATES = 50


@dataclass(frozen=True)
class SearchResult:
    chunk: Chunk  # with its document loaded
    score: float  # cosine similarity of the chunk and the query under the encoder
    # Its quotable sentences' stored vectors, (n, dim) in `quotable_spans` order, for evidence
    # to rank with instead of encoding them again; None when the chunk has none stored yet.
    sentence_vectors: np.ndarray | None = None


def _sync_lexical(allowed: np.ndarray) -> None:
    """Bring the BM25 index (and the library's words) up to date with the chunks searched."""
    get_lexical_index().sync(
        allowed.tolist(),
        fetch=lambda ids: dict(Chunk.objects.filter(id__in=ids).values_list("id", "text")),
        existing=lambda: Chunk.objects.values_list("id", flat=True).iterator(chunk_size=10_000),
    )


@dataclass(frozen=True)
class Search:
    query: str  # what was searched for: the query, its misspelt words respelt
    results: list[SearchResult]
    words: LibraryWords  # the words of the chunks searched, which respelt it

    def respelt(self, text: str) -> str:
        """`text` respelt as the query was (the answer's question, judged alone)."""
        return respell(text, self.words)


class SearchOptions(TypedDict, total=False):
    """`search_library`'s options, for `search_chunks` to pass on."""

    top_k: int
    collection: Collection | None
    document_ids: list[int] | None
    exclude_document_ids: Sequence[int]
    mode: RetrievalMode | None


def search_chunks(
    user: User | AnonymousUser, query: str, **options: Unpack[SearchOptions]
) -> list[SearchResult]:
    """The results of `search_library`, the chunks alone."""
    return search_library(user, query, **options).results


def search_library(
    user: User | AnonymousUser,
    query: str,
    *,
    top_k: int = 5,
    collection: Collection | None = None,
    document_ids: list[int] | None = None,
    exclude_document_ids: Sequence[int] = (),
    mode: RetrievalMode | None = None,
) -> Search:
    """The top_k chunks for the query among those the user may search, best first.

    `mode` defaults to RETRIEVAL_MODE (hybrid). `exclude_document_ids` leaves documents out
    (the evaluation asks questions with their gold paragraph removed).
    """
    query = query.strip()
    mode = mode or cast(RetrievalMode, settings.RETRIEVAL_MODE)
    if not query or top_k <= 0:
        return Search(query, [], NO_WORDS)
    scope = searchable_chunks(user, collection=collection, document_ids=document_ids)
    if exclude_document_ids:
        scope = scope.exclude(document_id__in=list(exclude_document_ids))
    allowed = np.fromiter(scope.values_list("id", flat=True), dtype=np.int64)
    if len(allowed) == 0:
        return Search(query, [], NO_WORDS)
    _sync_lexical(allowed)
    words = get_lexical_index().words_within(allowed)
    query = respell(query, words)
    vector = get_encoder().encode_query(query)
    depth = max(CANDIDATES, 2 * top_k)
    rankings: list[list[int]] = []
    if mode in ("dense", "hybrid"):
        hits = get_index().search(vector[None, :], depth, allowed_ids=allowed)[0]
        rankings.append([hit.chunk_id for hit in hits])
    if mode in ("bm25", "hybrid"):
        rankings.append([chunk_id for chunk_id, _ in get_lexical_index().search(query, depth, allowed)])
    ranked = rankings[0] if len(rankings) == 1 else reciprocal_rank_fusion(rankings)
    # The database decides what exists: a hit for a chunk deleted a moment ago is dropped.
    head = ranked[: max(top_k * 2, SENTENCE_CANDIDATES if mode != "bm25" else 0)]
    stored = Chunk.objects.only("id", "embedding", "sentence_embeddings").in_bulk(head)
    present = [chunk_id for chunk_id in head if chunk_id in stored]
    cosine = {pk: float(stored[pk].vector() @ vector) for pk in present}
    # Each candidate's stored sentence vectors, unpacked once: the reordering reads them, and
    # the winners hand theirs to evidence. None: not computed yet (NULL).
    sentences = {pk: _sentence_vectors(stored[pk], len(vector)) for pk in present}
    if mode != "bm25":
        present = _by_best_sentence(
            present, sentences, cosine, vector, rankings[-1] if mode == "hybrid" else None
        )
    top = present[:top_k]
    # The chunk that answers by construction, which the ranking may miss: where an acronym
    # asked about is spelt out, or the byline of the document found first.
    acronym = asked_acronym(query)
    if acronym is not None:
        answering = _spelling_out(acronym, top, scope)
    else:
        answering = _byline_chunk(top[0], scope) if top and asks_authors(query) else None
    if answering is not None and answering not in top:
        extra = Chunk.objects.only("id", "embedding", "sentence_embeddings").get(pk=answering)
        cosine[answering] = float(extra.vector() @ vector)
        sentences[answering] = _sentence_vectors(extra, len(vector))
        top = [answering, *top[: top_k - 1]]
    # Documents (their whole text: evidence quotes from it) for the winners alone.
    chunks = Chunk.objects.select_related("document").defer("sentence_embeddings").in_bulk(top)
    return Search(
        query, [SearchResult(chunks[pk], cosine[pk], sentences[pk]) for pk in top if pk in chunks], words
    )


def _spelling_out(acronym: str, found: list[int], scope: QuerySet[Chunk]) -> int | None:
    """The first chunk, in the documents of the chunks `found` (best first) and in reading
    order within each, that spells `acronym` out; None when none does. Only those documents
    are read: they use the acronym, and a document defines what it uses."""
    documents = dict(Chunk.objects.filter(id__in=found).values_list("id", "document_id"))
    order = list(dict.fromkeys(documents[pk] for pk in found if pk in documents))
    candidates = scope.filter(document_id__in=order, text__contains=f"({acronym})").order_by("ordinal")
    defining = [
        (d, pk)
        for pk, d, text in candidates.values_list("id", "document_id", "text")
        if spelled_out(text, acronym)
    ]
    return next((pk for document in order for d, pk in defining if d == document), None)


def _byline_chunk(found: int, scope: QuerySet[Chunk]) -> int | None:
    """The chunk holding the byline of the document of chunk `found` (`retrieval.bylines`),
    or None when it has none."""
    document = Chunk.objects.filter(pk=found).values_list("document_id", flat=True).first()
    if document is None:
        return None
    # Only the top of the text can hold it: a long document's whole text is not read for it.
    top = Document.objects.filter(pk=document).annotate(top=Substr("text", 1, BYLINE_WITHIN))
    span = byline(top.values_list("top", flat=True).first() or "")
    if span is None:
        return None
    holding = scope.filter(document_id=document, start__lte=span[0], end__gt=span[0]).order_by("ordinal")
    return holding.values_list("id", flat=True).first()


def sentence_vectors_of(results: Sequence[SearchResult]) -> dict[int, np.ndarray]:
    """Chunk id -> stored sentence vectors of the results that have them, cut under the
    current sentence rules: what `evidence.select_evidence` takes so as not to encode those
    sentences again (vectors of older rules need not line up with today's sentences)."""
    return {
        r.chunk.pk: r.sentence_vectors
        for r in results
        if r.sentence_vectors is not None and r.chunk.sentence_rules == QUOTABLE_RULES
    }


def _sentence_vectors(chunk: Chunk, dim: int) -> np.ndarray | None:
    stored = chunk.sentence_embeddings
    return None if stored is None else unpack(bytes(stored), dim)


def _by_best_sentence(
    present: list[int],
    sentences: dict[int, np.ndarray | None],
    cosine: dict[int, float],
    vector: np.ndarray,
    lexical: list[int] | None,
) -> list[int]:
    """The first SENTENCE_CANDIDATES of `present` reordered by chunk + best sentence cosine
    (fused with BM25's order in hybrid search); the rest after them (`sentence_match`)."""
    head, tail = present[:SENTENCE_CANDIDATES], present[SENTENCE_CANDIDATES:]
    match = {pk: cosine[pk] + best_sentence(vector, sentences[pk], cosine[pk]) for pk in head}
    return reorder(head, match, lexical) + tail
