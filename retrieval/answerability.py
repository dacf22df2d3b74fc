"""Answerability: how likely it is that the evidence quotes really answer the question.

Each shown quote gets a score; the answer abstains ("your documents do not say") when the
best of the first QUOTES_JUDGED falls below ANSWER_MIN_EVIDENCE (`best_answerability`). It
is calibrated on data we have (docs/evaluation.md, `scripts/abstention_study.py`): SQuAD
questions asked against the corpus intact (answerable) and with their gold paragraph removed
(unanswerable; the same article's other paragraphs still share the subject's words, which is
what makes it hard).

A logistic model over four signals of a quote and one of the question, with fixed weights
read off a fit on SQuAD dev questions outside the reported sample:

- `coverage`: the idf-weighted share of the question's content words the quote holds;
- `similarity`: the quote's cosine with the question under the retrieval encoder: it
  catches a right quote that paraphrases the question;
- `passage_coverage`: the same share over the quote's whole passage. The answer's
  paragraph was written about what the question asks, so it holds the question's words
  around the answer too; a paragraph of the same article on something else holds fewer.
  Given this, the quote's own coverage weighs slightly *against* answering (a sentence
  that only echoes the question's words, with nothing around them, is the typical near
  miss), hence its negative weight;
- `margin`: the quote's ranking score (encoder, overlap and the decoder's rerank) above the
  next best sentence's. A quote that clearly beats the rest is likelier the answer than one
  of several equally good candidates. It is measured with the decoder rerank on
  (ANSWER_RERANK, the default); without it the scores, and so the margins, are smaller.
  Where the first candidate leads the encoder's ranking by so much that the rerank leaves it
  alone (the app's RERANK_WITHIN), that lead, large by definition, is the margin.
- `unheard`: of the question, not the quote: the idf-weighted share of its words that no
  document searched uses (`retrieval.unheard`). Quotes about waxing skis share most of the
  words of "How do you wax a snowboard?"; no document searched says "snowboard".

Rules stand above the model. A quote that spells out the acronym asked about answers by
construction (1.0), and so does a document's byline when the question asks who wrote it. A
quote with no number cannot say how many (0.0): on 400 "how many" and "what percentage"
questions of SQuAD dev outside the reported sample, 21 more of their gold-removed twins
abstained (183 to 204) for 3 fewer answered (382 to 379), where raising the threshold trades
about 3 to 1. Nor can one with neither a number nor a unit say how
long, old, tall or large (0.0): on the 118 such questions outside the sample, 11 more
twins abstained (74 to 85) for 2 fewer answered (109 to 107), and both of those had quoted
the wrong sentence.

Measured beside them and left out, as they added nothing that held on both halves of the
sample: answer type present, the decoder asked "Does the text answer the question?" (no
better than chance), the decoder's question likelihood and its gain over no text, BM25
scores and margins, dense/BM25 agreement, the rarest missing question word.

Plain Python: the caller hands in numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class QuoteSignals:
    """What answerability reads off the top quote (see the module's docstring)."""

    coverage: float
    similarity: float
    passage_coverage: float
    margin: float
    # The quote spells out the acronym the question asks about ("What does RCAC stand for?",
    # "…Row and Column Access Control (RCAC)."; `retrieval.acronyms`): it answers by
    # construction, whatever the other signals say.
    long_form: bool = False
    # The question asks who wrote a document and the quote is its byline, the line of names
    # under its title (`retrieval.bylines`): it answers by construction too.
    byline: bool = False
    # The question asks how many and the quote holds no number ("How many eggs does a duck
    # lay?", "Many species of duck are temporarily flightless…"), or how long, old, tall…
    # and it holds neither a number nor a unit: whatever words it shares with the question,
    # it cannot say (`retrieval.answer_kind.lacks_quantity`).
    lacks_quantity: bool = False
    # The idf-weighted share of the question's words that no document searched uses
    # (`retrieval.unheard`): of the question, so the same for each of its quotes.
    unheard: float = 0.0


@dataclass(frozen=True)
class AnswerabilityWeights:
    coverage: float
    similarity: float
    passage_coverage: float
    margin: float
    bias: float
    unheard: float = 0.0


# Logistic regression on 300 SQuAD dev questions outside the reported sample
# (`random.Random(7)`), each asked intact and with its gold paragraph removed; rounded.
# Fitted on either half, the weights keep their signs and the other half gets 0.907
# answered with 0.52-0.64 of the gold-removed abstaining (0.43-0.52 for the earlier
# coverage-and-similarity model); docs/evaluation.md has the figures. The unheard words'
# weight came later, beside the four (501 questions outside the reported sample, seeds 7
# and 17; few have an unheard word, so it was read off a sweep, not a fit). From -1 to -3 no
# answerable question goes unanswered on either half, and at -2 two and three more
# gold-removed twins abstain; at -4 an answerable one goes (docs/evaluation.md, *Unheard
# words*).
DEFAULT_ANSWERABILITY = AnswerabilityWeights(
    coverage=-1.0, similarity=4.8, passage_coverage=3.3, margin=2.8, bias=-5.1, unheard=-2.0
)


def answerability(signals: QuoteSignals, weights: AnswerabilityWeights = DEFAULT_ANSWERABILITY) -> float:
    """A score in [0, 1]; higher is likelier answered by the quote."""
    if signals.long_form or signals.byline:
        return 1.0
    if signals.lacks_quantity:
        return 0.0
    logit = (
        weights.coverage * signals.coverage
        + weights.similarity * signals.similarity
        + weights.passage_coverage * signals.passage_coverage
        + weights.margin * signals.margin
        + weights.unheard * signals.unheard
        + weights.bias
    )
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))


# The answer shows its first quotes together, so it abstains only when none of them is
# likely to answer: the top quote is the wrong one in about a fifth of answerable questions,
# and then another shown quote often is the answer (SQuAD: 0.72 top-1, 0.84 of the first three).
# Measured on three samples of SQuAD dev questions outside the reported one (docs/evaluation.md,
# *The best of the shown quotes*): at 0.9 answered, the best of the first three abstains on
# 0.628 of 866 gold-removed questions, the top quote alone on 0.583, with the same share of
# answers citing the gold paragraph. A small gain, the same way on each sample.
QUOTES_JUDGED = 3


def quote_answerabilities(
    quotes: Sequence[QuoteSignals], weights: AnswerabilityWeights = DEFAULT_ANSWERABILITY
) -> list[float]:
    """The answerability of each of the first QUOTES_JUDGED quotes (best first).

    A quote below the top is judged with its margin over the sentence after it, but never a
    larger one than the top quote's: the margin says how clearly the ranking picked a
    sentence, and it picked none more clearly than its first. Uncapped, the second of two
    sentences about the last question's subject ("Who built Skerryvore?", then "What do ducks
    eat?") beat an unrelated third by a wide margin and answered a question nothing in the
    library is about."""
    if not quotes:
        return []
    top = quotes[0].margin
    judged = [quotes[0], *(replace(q, margin=min(q.margin, top)) for q in quotes[1:QUOTES_JUDGED])]
    return [answerability(signals, weights) for signals in judged]


def best_answerability(
    quotes: Sequence[QuoteSignals], weights: AnswerabilityWeights = DEFAULT_ANSWERABILITY
) -> float | None:
    """The highest answerability among the first QUOTES_JUDGED quotes (best first); None
    without quotes."""
    return max(quote_answerabilities(quotes, weights), default=None)
