"""A corrupted index file is rebuilt from the database like a missing one: never served."""

from __future__ import annotations

import numpy as np

from app.models import Chunk, Document
from app.services.runtime import get_index
from app.services.search import search_chunks
from tests.retrieval.test_index import _flip_a_vector_byte

TEXT = """# Bell Rock

The Bell Rock lighthouse stands on a reef eleven miles off the Firth of Tay.

## Building

Robert Stevenson built it between 1807 and 1810; the granite blocks were dovetailed together.
"""


def test_a_flipped_byte_in_the_vectors_is_rebuilt_not_served(client, make_user, ingestion, upload):  # type: ignore[no-untyped-def]
    user = make_user()
    client.force_login(user)
    upload(("bell-rock.md", TEXT.encode()))
    document = Document.objects.get()
    ingestion.wait(document.pk)
    before = search_chunks(user, "Who built the Bell Rock lighthouse?", top_k=2)
    assert len(before) == 2

    chunk = Chunk.objects.filter(document=document).order_by("ordinal").first()
    assert chunk is not None
    index = get_index()
    _flip_a_vector_byte(index.path, chunk.vector())

    after = search_chunks(user, "Who built the Bell Rock lighthouse?", top_k=2)
    assert [r.chunk.pk for r in after] == [r.chunk.pk for r in before]
    assert [round(r.score, 5) for r in after] == [round(r.score, 5) for r in before]
    assert all(-1.0 <= r.score <= 1.0001 for r in after)
    # The file was rebuilt from the database: the chunk's vector is the stored one again.
    rebuilt = get_index()
    stored = np.frombuffer(bytes(chunk.embedding), dtype=np.float32)
    assert rebuilt.path.read_bytes().find(stored.tobytes()) > 0
