"""Semantic search over the chunks a user may see."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from app.models import Chunk, Collection
from app.services.runtime import get_encoder, get_index
from app.services.visibility import searchable_chunks


@dataclass(frozen=True)
class SearchResult:
    chunk: Chunk  # with its document loaded
    score: float


def search_chunks(
    user: AbstractBaseUser | AnonymousUser,
    query: str,
    *,
    top_k: int = 5,
    collection: Collection | None = None,
    document_ids: list[int] | None = None,
) -> list[SearchResult]:
    """The top_k chunks most similar to the query among those the user may search."""
    query = query.strip()
    if not query or top_k <= 0:
        return []
    scope = searchable_chunks(user, collection=collection, document_ids=document_ids)
    allowed = np.fromiter(scope.values_list("id", flat=True), dtype=np.int64)
    if len(allowed) == 0:
        return []
    vector = get_encoder().encode_query(query)
    hits = get_index().search(vector[None, :], top_k, allowed_ids=allowed)[0]
    # The database decides what exists: a hit for a chunk deleted a moment ago is dropped.
    chunks = Chunk.objects.select_related("document").in_bulk([hit.chunk_id for hit in hits])
    return [SearchResult(chunks[hit.chunk_id], hit.score) for hit in hits if hit.chunk_id in chunks]
