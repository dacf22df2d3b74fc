"""Answerability: how likely it is that the best evidence quote really answers the question.

The answer abstains ("your documents do not say") when this falls below
ANSWER_MIN_EVIDENCE. It is calibrated on data we have (docs/evaluation.md): SQuAD questions
asked against the corpus intact (answerable) and with their gold paragraph removed
(unanswerable; the same article's other paragraphs still share the subject's words, which is
what makes it hard).

A logistic model over two signals of the top quote, with fixed weights read off a fit on
SQuAD dev questions outside the reported sample and checked on XQuAD (a different question
set and corpus):

- `coverage`: the idf-weighted share of the question's content words the quote holds. An
  unrelated sentence rarely holds the question's rare words.
- `similarity`: the quote's cosine with the question under the retrieval encoder. It catches
  what coverage misses both ways: a right quote that paraphrases the question, and a quote
  of the same subject that shares its words but is about something else.

Measured beside them and left out, as they added nothing once these two were in (area under
the answerable/unanswerable curve within 0.01 on both samples): the decoder's question
likelihood and its gain over no text (pointwise mutual information), the passage's cosine,
the margin to the second quote, the share of the question's words found anywhere in the
passages, BM25 scores and margins, dense/BM25 agreement, answer type.

Plain Python: the caller hands in numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerabilityWeights:
    coverage: float
    similarity: float
    bias: float


# Logistic regression on 95 SQuAD dev questions outside the reported sample, each asked intact
# and with its gold paragraph removed; rounded (docs/evaluation.md: the fit and the checks).
DEFAULT_ANSWERABILITY = AnswerabilityWeights(coverage=2.6, similarity=7.6, bias=-5.9)


def answerability(
    coverage: float, similarity: float, weights: AnswerabilityWeights = DEFAULT_ANSWERABILITY
) -> float:
    """A score in (0, 1); higher is likelier answered by the quote."""
    logit = weights.coverage * coverage + weights.similarity * similarity + weights.bias
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
