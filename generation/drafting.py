"""Prompt-lookup drafting: guess the next tokens of a free answer from the prompt itself.

Answers over evidence repeat the evidence: names, dates and whole clauses come out of the
prompt. When the last few tokens written also occur earlier in the prompt (or the answer),
the tokens that followed them there are a good guess at what comes next. The decode loop
feeds such a guess ahead and verifies it in one forward pass, keeping only the tokens the
model itself would have chosen (see `decode.decode_tokens`), so a guess can only save
forward passes, never change the answer. This is "prompt lookup decoding" (Saxena, 2023),
the draft-free cousin of speculative decoding: no second model, no training.
"""

from __future__ import annotations

from collections.abc import Sequence

# Longest and shortest suffix looked up. A 1-token match ("the", ",") predicts little and
# costs a wider forward pass, so matches start at two tokens.
MAX_NGRAM = 3
MIN_NGRAM = 2


def prompt_lookup(context: Sequence[int], limit: int) -> list[int]:
    """Up to `limit` tokens that followed the latest earlier occurrence of the longest
    suffix of `context` (MAX_NGRAM down to MIN_NGRAM tokens); [] when none occurs.

    `context` is the prompt followed by the answer so far, its last token the one just
    chosen. The latest occurrence wins: in a copied clause it is the one being copied.
    """
    if limit < 1:
        return []
    n_ctx = len(context)
    for n in range(min(MAX_NGRAM, n_ctx - 1), MIN_NGRAM - 1, -1):
        suffix = list(context[n_ctx - n :])
        # Scan right to left over start positions whose match ends before the suffix itself.
        for start in range(n_ctx - n - 1, -1, -1):
            if context[start] == suffix[0] and list(context[start : start + n]) == suffix:
                follow = start + n
                return list(context[follow : min(follow + limit, n_ctx)])
    return []
