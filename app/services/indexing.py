"""Rebuilding the vector index from the database, its source of truth."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from django.db.models import Q

from app.models import Chunk, Document
from app.services.documents import requeue_documents
from app.services.runtime import encoder_identity, get_encoder, get_vector_index
from retrieval.evidence import QUOTABLE_RULES
from retrieval.sentence_match import encode_sentences

log = logging.getLogger(__name__)

BATCH = 5000


@dataclass(frozen=True)
class RebuildReport:
    vectors: int
    requeued_documents: int


def rebuild_index() -> RebuildReport:
    """Publish an index holding exactly the vectors of indexed documents' chunks.

    Documents whose vectors another encoder made (ENCODER_MODEL or ENCODER_BACKEND changed)
    cannot be mixed in: they go back to the queue and are embedded again.
    """
    dim = get_encoder().dim
    name = encoder_identity()
    stale = list(
        Document.objects.filter(status=Document.Status.INDEXED)
        .exclude(encoder=name)
        .values_list("id", flat=True)
    )
    if stale:
        requeue_documents(stale)  # ingestion moves document status, nothing else does
    chunks = (
        Chunk.objects.filter(document__status=Document.Status.INDEXED, document__encoder=name)
        .order_by("id")
        .values_list("id", "embedding")
    )
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    for chunk_id, embedding in chunks.iterator(chunk_size=BATCH):
        vector = np.frombuffer(bytes(embedding), dtype=np.float32)
        if vector.shape != (dim,):
            log.warning("chunk %s has a vector of size %s, expected %s; skipped", chunk_id, vector.size, dim)
            continue
        ids.append(chunk_id)
        vectors.append(vector)
    matrix = np.stack(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
    get_vector_index().replace_all(np.asarray(ids, dtype=np.int64), matrix)
    log.info("vector index rebuilt with %d vectors", len(ids))
    return RebuildReport(vectors=len(ids), requeued_documents=len(stale))


def embed_missing_sentences(batch: int = 256) -> int:
    """Give the chunks embedded before sentence vectors existed (NULL), or cut under older
    sentence rules (`QUOTABLE_RULES`), their sentences' vectors, in place: their documents
    stay indexed and searchable throughout (search matches them on their chunk vector, or
    their old sentences, until then). The number of chunks filled; 0 loads no encoder."""
    name = encoder_identity()
    stale = Q(sentence_embeddings__isnull=True) | ~Q(sentence_rules=QUOTABLE_RULES)
    missing = Chunk.objects.filter(
        stale, document__status=Document.Status.INDEXED, document__encoder=name
    ).order_by("id")
    filled = 0
    while chunks := list(missing.only("id", "text")[:batch]):
        for chunk, packed in zip(
            chunks, encode_sentences([c.text for c in chunks], get_encoder().encode), strict=True
        ):
            chunk.sentence_embeddings = packed
            chunk.sentence_rules = QUOTABLE_RULES
        Chunk.objects.bulk_update(chunks, ["sentence_embeddings", "sentence_rules"])
        filled += len(chunks)
        log.info("sentence vectors for %d chunks so far", filled)
    return filled
