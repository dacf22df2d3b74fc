"""The decoder rerank reads each candidate sentence after its document's title, so a
sentence that names its subject only as "it" is judged about the right subject."""

from __future__ import annotations

import pytest

from app.services.answer_record import PassageSnapshot
from app.services.evidence import rerank
from retrieval.evidence import ScoredSentence, Sentence

SENTENCE = "It was built in 1844 by Alan Stevenson."


def passage(index: int, title: str) -> PassageSnapshot:
    return PassageSnapshot(
        chunk_id=index,
        document_id=index,
        document_title=title,
        original_filename=f"{index}.txt",
        page=None,
        heading="",
        index=index,
        start=0,
        end=len(SENTENCE),
        score=0.5,
        text=SENTENCE,
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_the_same_sentence_is_judged_by_the_document_it_belongs_to() -> None:
    passages = [passage(1, "Bell Rock Lighthouse"), passage(2, "Skerryvore")]
    # Equal encoder scores, Bell Rock's first: only the titles can put Skerryvore's ahead.
    ranked = [
        ScoredSentence(Sentence(i, 0, len(SENTENCE), SENTENCE), score=1.0, similarity=0.5, coverage=0.5)
        for i in range(2)
    ]
    reranked = rerank("When was Skerryvore built?", ranked, passages)
    assert passages[reranked[0].sentence.source].document_title == "Skerryvore"
    assert reranked[0].score > reranked[1].score
    reranked = rerank("When was the Bell Rock Lighthouse built?", ranked, passages)
    assert passages[reranked[0].sentence.source].document_title == "Bell Rock Lighthouse"
