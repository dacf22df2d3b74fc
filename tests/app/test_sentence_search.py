"""Search matches a chunk by its best sentence too: ingestion stores every quotable
sentence's vector with its chunk, and dense and hybrid search reorder their best candidates
by chunk + best sentence cosine (`retrieval.sentence_match`)."""

from __future__ import annotations

from io import StringIO

import numpy as np
from django.core.management import call_command

from app.models import Chunk
from app.services.evidence import select_evidence, sentence_encoder, snapshot
from app.services.indexing import embed_missing_sentences
from app.services.runtime import get_encoder
from app.services.search import search_chunks, sentence_vectors_of
from retrieval.evidence import QUOTABLE_RULES, quotable_spans
from retrieval.sentence_match import unpack

SECTIONS = {
    "lighthouses.md": """# Lighthouses of Scotland

Skerryvore stands on a reef twelve miles west of Tiree. Its tower is the tallest in Scotland.
The keeper recorded that the great storm of 1844 carried away the iron scaffolding.

## Supply

Coal and oil came by boat from Hynish every fortnight in summer. In winter the boat often
could not land for weeks.
""",
    "ferries.md": """# Ferries of the Hebrides

The ferry to Tiree leaves Oban in the morning and calls at Coll on the way. Timetables change
in winter, when storms can cancel sailings for days. Passengers with cars must book ahead.
""",
    "granite.md": """# Quarrying on Mull

Granite from Mull built harbours, bridges and lighthouses across the west coast. The quarry
at Tormore shipped stone by sea. Its pink granite is still seen in Glasgow.
""",
}
QUESTIONS = (
    "What did the storm of 1844 destroy?",
    "How often did supplies reach the lighthouse?",
    "Where does the Tiree ferry leave from?",
    "What colour is the granite from Mull?",
    "Which is the tallest lighthouse in Scotland?",
    "Can storms cancel ferry sailings?",
)


def test_ingestion_stores_each_quotable_sentence_vector(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    document = ingestion.index(make_user(), "lighthouses.md", SECTIONS["lighthouses.md"].encode())
    encoder = get_encoder()
    for chunk in Chunk.objects.filter(document=document):
        sentences = [chunk.text[s:e] for s, e in quotable_spans(chunk.text)]
        stored = unpack(bytes(chunk.sentence_embeddings or b""), encoder.dim)
        assert len(stored) == len(sentences) > 0, chunk.text
        np.testing.assert_allclose(stored, encoder.encode(sentences), atol=2e-3)


def test_dense_search_orders_by_chunk_and_best_sentence(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    """With fewer chunks than the candidates reordered, dense search's order is exactly
    chunk cosine + best sentence cosine, recomputed here from the encoder; and for at least
    one question that differs from the chunk cosine alone (so the test sees the sentences)."""
    user = make_user()
    for name, text in SECTIONS.items():
        ingestion.index(user, name, text.encode())
    encoder = get_encoder()
    differs = 0
    for question in QUESTIONS:
        results = search_chunks(user, question, top_k=10, mode="dense")
        query = encoder.encode_query(question)
        chunks = list(Chunk.objects.all())
        assert len(results) == len(chunks) < 20
        cosine = {c.pk: float(c.vector() @ query) for c in chunks}
        best = {
            c.pk: max(
                float(v @ query) for v in encoder.encode([c.text[s:e] for s, e in quotable_spans(c.text)])
            )
            for c in chunks
        }
        expected = sorted(cosine, key=lambda pk: -(cosine[pk] + best[pk]))
        assert [r.chunk.pk for r in results] == expected, question
        assert all(abs(r.score - cosine[r.chunk.pk]) < 1e-5 for r in results)  # score: the chunk's cosine
        differs += expected != sorted(cosine, key=lambda pk: -cosine[pk])
    assert differs, "every question ranks alike on chunk vectors alone: the test would not see sentences"


def test_chunks_without_sentence_vectors_still_rank(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    """A chunk embedded before sentence vectors existed is matched on its own vector."""
    user = make_user()
    for name, text in SECTIONS.items():
        ingestion.index(user, name, text.encode())
    Chunk.objects.update(sentence_embeddings=None)
    results = search_chunks(user, "What colour is the granite from Mull?", top_k=3)
    assert "pink granite" in results[0].chunk.text


def test_embed_sentences_fills_chunks_indexed_before_them(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    """`manage.py embed_sentences` gives chunks of an earlier version (NULL) the vectors
    ingestion gives, in place; a second run finds nothing to do."""
    user = make_user()
    for name, text in SECTIONS.items():
        ingestion.index(user, name, text.encode())
    before = dict(Chunk.objects.values_list("id", "sentence_embeddings"))
    Chunk.objects.update(sentence_embeddings=None)
    out = StringIO()
    call_command("embed_sentences", stdout=out)
    assert f"added to {len(before)} chunk(s)" in out.getvalue()
    dim = get_encoder().dim
    for chunk_id, stored in Chunk.objects.values_list("id", "sentence_embeddings"):
        assert stored is not None
        np.testing.assert_allclose(
            unpack(bytes(stored), dim), unpack(bytes(before[chunk_id] or b""), dim), atol=2e-3
        )
    assert embed_missing_sentences() == 0


def test_sentence_vectors_cut_under_older_rules_are_not_quoted_from_and_are_refreshed(  # type: ignore[no-untyped-def]
    make_user, ingestion
) -> None:
    """Vectors stored under older sentence rules still rank their chunk, but evidence does not
    take them (they need not line up with today's sentences), and `embed_sentences` cuts and
    encodes them again under the current rules."""
    user = make_user()
    for name, text in SECTIONS.items():
        ingestion.index(user, name, text.encode())
    assert set(Chunk.objects.values_list("sentence_rules", flat=True)) == {QUOTABLE_RULES}
    question = "What colour is the granite from Mull?"
    assert sentence_vectors_of(search_chunks(user, question, top_k=3))
    Chunk.objects.update(sentence_rules=QUOTABLE_RULES - 1)
    results = search_chunks(user, question, top_k=3)
    assert "pink granite" in results[0].chunk.text and results[0].sentence_vectors is not None
    assert sentence_vectors_of(results) == {}
    assert embed_missing_sentences() == Chunk.objects.count()
    assert set(Chunk.objects.values_list("sentence_rules", flat=True)) == {QUOTABLE_RULES}
    assert sentence_vectors_of(search_chunks(user, question, top_k=3))
    assert embed_missing_sentences() == 0


def test_evidence_ranks_with_the_sentence_vectors_search_found(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    """Answers do not encode a passage's sentences again: search hands evidence the vectors
    stored with each chunk, and only sentences without one are encoded."""
    user = make_user()
    for name, text in SECTIONS.items():
        ingestion.index(user, name, text.encode())
    encoder = get_encoder()
    question = "What did the storm of 1844 destroy?"
    results = search_chunks(user, question, top_k=3)
    assert results and all(r.sentence_vectors is not None for r in results)
    passages = [snapshot(i, r) for i, r in enumerate(results, start=1)]
    stored = sentence_vectors_of(results)
    sentences = [p.text[s:e] for p in passages for s, e in quotable_spans(p.text)]
    unheld = "Puffins nest on the cliffs of Lunga every summer."

    calls: list[list[str]] = []

    def counted(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return encoder.encode(texts)

    vectors = sentence_encoder(counted, encoder.dim, passages, stored)([*sentences, unheld])
    assert calls == [[unheld]]  # every passage sentence came from the database
    np.testing.assert_allclose(vectors, encoder.encode([*sentences, unheld]), atol=2e-3)

    # Vectors that do not match the chunk's sentences in number are not trusted.
    first = passages[0]
    wrong = {**stored, first.chunk_id: stored[first.chunk_id][:-1]}
    calls.clear()
    sentence_encoder(counted, encoder.dim, passages, wrong)(sentences)
    assert calls == [[first.text[s:e] for s, e in quotable_spans(first.text)]]

    # The evidence chosen is the same as with every sentence encoded afresh.
    texts = {r.chunk.document_id: r.chunk.document.text for r in results}
    reused, _ = select_evidence(
        question, passages, 3, texts, rerank_with_decoder=False, sentence_vectors=stored
    )
    fresh, _ = select_evidence(question, passages, 3, texts, rerank_with_decoder=False)
    assert [q.text for q in reused] == [q.text for q in fresh]
    assert "1844" in reused[0].text
    for a, b in zip(reused, fresh, strict=True):
        assert abs(a.similarity - b.similarity) < 2e-3
