"""The decoder rerank reads each candidate sentence after its document's title, so a
sentence that names its subject only as "it" is judged about the right subject; and the
signals answerability reads off the top quote compare it with its own ranking pass."""

from __future__ import annotations

import pytest

from app.services.answer_record import EvidenceQuote, PassageSnapshot
from app.services.evidence import RERANK_CANDIDATES, RERANK_WITHIN, quotes_signals, rerank, rerank_count
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


def quote(passage_index: int, text: str) -> EvidenceQuote:
    return EvidenceQuote(
        **passage(passage_index, "Skerryvore").source(),
        index=1,
        passage=passage_index,
        start=0,
        end=len(text),
        text=text,
        score=0.0,
        similarity=0.6,
        coverage=0.5,
    )


@pytest.mark.django_db
def test_the_margin_is_over_the_next_sentence_of_the_same_ranking_pass() -> None:
    """The rerank rescored the head alone (its scores fell by the decoder's log-likelihood);
    the tail keeps encoder scores, higher but not comparable. The margin must not see them."""
    passages = [passage(1, "Skerryvore"), passage(2, "Bell Rock Lighthouse")]
    texts = ["It was built in 1844.", "It stands on a reef.", "Bell Rock is older."]
    ranked = [
        ScoredSentence(Sentence(0, 0, len(texts[0]), texts[0]), score=-0.5, similarity=0.6, coverage=0.5),
        ScoredSentence(Sentence(0, 0, len(texts[1]), texts[1]), score=-1.25, similarity=0.5, coverage=0.2),
        ScoredSentence(Sentence(1, 0, len(texts[2]), texts[2]), score=0.9, similarity=0.4, coverage=0.1),
    ]
    [signals] = quotes_signals("When was Skerryvore built?", [quote(1, texts[0])], ranked, passages)
    assert signals.margin == pytest.approx(0.75)
    assert (signals.coverage, signals.similarity) == (0.5, 0.6)
    assert 0.0 < signals.passage_coverage <= 1.0
    [alone] = quotes_signals("When was Skerryvore built?", [quote(1, texts[0])], ranked[:1], passages)
    assert alone.margin == 1.0
    assert quotes_signals("When was Skerryvore built?", [], ranked, passages) == []
    # Each shown quote is measured in its own place in the ranking: the second one's margin
    # is over the sentence after it.
    both = quotes_signals(
        "When was Skerryvore built?", [quote(1, texts[0]), quote(1, texts[1])], ranked, passages
    )
    assert [s.margin for s in both] == [pytest.approx(0.75), pytest.approx(-2.15)]


def test_only_the_candidates_within_reach_of_the_first_are_reranked() -> None:
    def ranked(*scores: float) -> list[ScoredSentence]:
        return [ScoredSentence(Sentence(0, 0, 1, "x"), score=s, similarity=0.5, coverage=0.5) for s in scores]

    step = RERANK_WITHIN / 3
    close = ranked(*(2.0 - i * step * 0.9 for i in range(RERANK_CANDIDATES + 2)))
    assert rerank_count(close) == 4, "three steps of 0.9 x RERANK_WITHIN / 3 are within reach"
    assert rerank_count(ranked(*([1.0] * (RERANK_CANDIDATES + 3)))) == RERANK_CANDIDATES, "at most that many"
    assert rerank_count(ranked(1.0, 1.0 - RERANK_WITHIN, 0.0)) == 0, "the first alone: no decoder pass"
    assert rerank_count(ranked(1.0)) == 0 and rerank_count([]) == 0
    assert rerank_count(ranked(*([1.0] * 8)), candidates=7) == 7


@pytest.mark.django_db
def test_a_comparing_questions_quotes_are_judged_in_the_rankings_order() -> None:
    """A comparing question shows a sentence about one side before the one the ranking put
    first (retrieval.contrast); answerability must still cap margins at the ranking's first,
    not at the shown first's small one."""
    passages = [passage(1, "Skerryvore"), passage(2, "Bell Rock Lighthouse")]
    texts = ["Skerryvore and Bell Rock are lighthouses.", "Skerryvore is taller.", "Bell Rock is older."]
    ranked = [
        ScoredSentence(Sentence(0, 0, len(texts[0]), texts[0]), score=1.0, similarity=0.6, coverage=0.9),
        ScoredSentence(Sentence(0, 0, len(texts[1]), texts[1]), score=0.2, similarity=0.5, coverage=0.4),
        ScoredSentence(Sentence(1, 0, len(texts[2]), texts[2]), score=0.1, similarity=0.4, coverage=0.4),
    ]
    shown = [quote(1, texts[1]), quote(2, texts[2]), quote(1, texts[0])]
    signals = quotes_signals("How does Skerryvore differ from Bell Rock?", shown, ranked, passages)
    assert [s.margin for s in signals] == [pytest.approx(0.8), pytest.approx(0.1), pytest.approx(-0.1)]
    assert [s.similarity for s in signals] == [0.6, 0.6, 0.6]  # quote() sets 0.6 for each


@pytest.mark.django_db
def test_a_count_question_is_answered_only_by_a_quote_that_holds_a_number() -> None:
    passages = [passage(1, "Duck"), passage(2, "Duck")]
    texts = [
        "Many species of duck lay eggs in a clutch.",
        "A duck lays a single clutch of eggs a year [24].",
    ]
    ranked = [
        ScoredSentence(Sentence(i, 0, len(text), text), score=1.0 - i, similarity=0.6, coverage=0.8)
        for i, text in enumerate(texts)
    ]
    quotes = [quote(1, texts[0]), quote(2, texts[1])]
    first, second = quotes_signals("How many eggs does a duck lay in a clutch?", quotes, ranked, passages)
    assert (first.lacks_quantity, second.lacks_quantity) == (True, False)
    # A footnote mark is no count, and a question that asks no count needs no number.
    [marked] = quotes_signals("How many ducks?", [quote(1, "Ducks eat grass [24].")], ranked, passages)
    assert marked.lacks_quantity
    # Nor is an author-year citation: its year and page name the work cited.
    for cited in (
        "Ducks eat grass (Kear, 2005, p. 24).",
        "Ducks eat grass (Kear 2005; Todd and Lee, 1996a).",
    ):
        [marked] = quotes_signals("How many ducks?", [quote(1, cited)], ranked, passages)
        assert marked.lacks_quantity, cited
    [counted] = quotes_signals(
        "How many ducks?", [quote(1, "Kear (2005) counted 40 ducks.")], ranked, passages
    )
    assert not counted.lacks_quantity
    assert not any(s.lacks_quantity for s in quotes_signals("What do ducks lay?", quotes, ranked, passages))
    # "…didn't know how many…, what did they use?" asks what, not how many.
    indirect = "Since they didn't know how many eggs a duck lays, what did they count?"
    assert not any(s.lacks_quantity for s in quotes_signals(indirect, quotes, ranked, passages))


def test_a_measure_question_is_answered_only_by_a_quote_that_holds_a_number_or_a_unit() -> None:
    passages = [passage(1, "Duck"), passage(2, "Duck"), passage(3, "Duck")]
    texts = [
        "Many ducks live long lives in the wild.",
        "A mallard may live for the rest of its life on one lake.",
        "Wild mallards live 5 to 10 years.",
    ]
    ranked = [
        ScoredSentence(Sentence(i, 0, len(text), text), score=1.0 - i, similarity=0.6, coverage=0.8)
        for i, text in enumerate(texts)
    ]
    quotes = [quote(i + 1, text) for i, text in enumerate(texts)]
    marks = [s.lacks_quantity for s in quotes_signals("How long do ducks live?", quotes, ranked, passages)]
    assert marks == [True, False, False]  # a unit ("life") says how long as a number does
    # "How far" and "how fast" are not measures only ("How far west…?": a place).
    assert not any(
        s.lacks_quantity for s in quotes_signals("How far west do ducks fly?", quotes, ranked, passages)
    )
    indirect = "Since they did not know how old the ducks were, what did they ring?"
    assert not any(s.lacks_quantity for s in quotes_signals(indirect, quotes, ranked, passages))
