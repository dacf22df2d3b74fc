"""Constrained decoding that copies one contiguous span of the prompt's passages.

The decoder still chooses every token from its own logits, but only among tokens that keep
the answer a verbatim copy of some passage: at the first step any passage token may start
the span; afterwards only the tokens that continue one of the spans matched so far, or an
end-of-answer token. The result is an answer whose every character is in the evidence, with
its exact character span known by construction (the prompt's token offsets).

A span never crosses from one passage into the next, and it may end anywhere after its
first token (the model decides where, by preferring an end token over the continuations).
With `anywhere=False` a span starts where a passage starts: the 135M decoder, free to start
mid-sentence, often copied a fragment ("1838 and 1844.") instead of the claim that holds it.

A passage longer than the answer's token budget is offered only up to its last clause break
within the budget (`within_budget`): a copy of a long list item then ends on a whole clause
instead of being cut mid-phrase at the token limit. A copy neither ends nor is cut inside a
figure ("$9,754,062", `FigureTokens`).

With a `joiner` the answer copies one span from each passage in turn, the spans joined by
that token (a space): a comparing question whose quotes are one about each side is answered
by both ("Dabbling ducks feed on the surface… Diving ducks dive…"), where one copy said half.
Where the model would end a span before the last passage, it can only write the joiner, and
the next span starts at the next passage's start.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class CopiedSpan:
    passage: int  # 0-based index of the passage in the prompt
    start_token: int  # [start, end) token positions within that passage's tokens
    end_token: int
    at: int = 0  # index of the answer token the copy starts with


CLAUSE_BREAKS = (",", ";", ":", "—", "–")


def clause_breaks(tokenizer: Any) -> frozenset[int]:
    """The token ids that are a clause break alone (with or without a leading space); a
    merged token such as ")," is not one: cutting before it would leave "(" open."""
    ids = (
        tokenizer.encode(prefix + mark, add_special_tokens=False)
        for mark in CLAUSE_BREAKS
        for prefix in ("", " ")
    )
    return frozenset(found[0] for found in ids if len(found) == 1)


@dataclass(frozen=True)
class FigureTokens:
    """The tokens a figure is spelled with, where the tokenizer spells numbers one digit per
    token (SmolLM2: "$9,754,062" is "$", "9", ",", "7", "5", "4", ","…). A copy neither ends
    nor is cut for its budget inside a figure: "…an increase of $9,754" and "2" for
    "2,32,822" both said another number than the document."""

    digits: frozenset[int] = frozenset()  # a digit alone, with no space before it
    separators: frozenset[int] = frozenset()  # "," or "." alone

    def inside(self, tokens: Sequence[int], at: int) -> bool:
        """Whether the boundary before `tokens[at]` lies inside a figure: between two digits,
        or beside a separator that stands between two digits ("9|,754", "9,|754")."""
        if not 0 < at < len(tokens):
            return False

        def digit(i: int) -> bool:
            return 0 <= i < len(tokens) and tokens[i] in self.digits

        def joins(i: int) -> bool:  # a separator between two digits
            return tokens[i] in self.separators and digit(i - 1) and digit(i + 1)

        return (digit(at - 1) and digit(at)) or joins(at) or joins(at - 1)


def joiner_token(tokenizer: Any) -> int | None:
    """The token that joins two copied spans: a space, when the tokenizer spells it as one
    token (SmolLM2: "Ġ"; the next span's first token, tokenized alone, has no space)."""
    ids = tokenizer.encode(" ", add_special_tokens=False)
    return ids[0] if len(ids) == 1 else None


def figure_tokens(tokenizer: Any) -> FigureTokens:
    """The tokenizer's digits and separators (see `FigureTokens`)."""
    vocabulary = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    separators = (tokenizer.encode(mark, add_special_tokens=False) for mark in (",", "."))
    return FigureTokens(
        digits=frozenset(i for i, token in enumerate(vocabulary) if token and token.isdigit()),
        separators=frozenset(found[0] for found in separators if len(found) == 1),
    )


def within_budget(
    passage: Sequence[int], budget: int, breaks: Collection[int], figures: FigureTokens = FigureTokens()
) -> list[int]:
    """The tokens of `passage` a copy may take when the answer has room for `budget` tokens:
    all of them when they fit; else those before the last clause break (a token in `breaks`:
    a comma, semicolon, colon or dash, and not inside a figure) that leaves the copy at least
    half the budget; else the first `budget` tokens."""
    if len(passage) <= budget:
        return list(passage)
    cut = max(
        (
            i
            for i in range(max(1, budget // 2), budget)
            if passage[i] in breaks and not figures.inside(passage, i)
        ),
        default=budget,
    )
    return list(passage[:cut])


class CopyConstraint:
    """Tracks which passage positions the answer so far copies, and masks the logits.

    One span from any passage; or, with a `joiner`, one span from each passage in turn."""

    def __init__(
        self,
        passages: Sequence[Sequence[int]],
        end_ids: Iterable[int],
        anywhere: bool = True,
        figures: FigureTokens = FigureTokens(),
        joiner: int | None = None,
    ) -> None:
        self.passages = [list(p) for p in passages]
        self.end_ids = sorted(set(end_ids))
        self.anywhere = anywhere
        self.figures = figures
        self.joiner = joiner
        # (passage, position of the next token to copy, position where the copy started)
        self._active: list[tuple[int, int, int]] | None = None
        self._turn = 0  # with a joiner: the passage the current span copies
        self._done: list[CopiedSpan] = []  # with a joiner: the spans already joined
        self._at = 0  # answer token the current span starts with
        self.copied = 0  # answer tokens so far (copied, and joiners)

    def _sources(self) -> list[int]:
        """The passages the next span may copy from."""
        return [self._turn] if self.joiner is not None else list(range(len(self.passages)))

    def _joins_next(self) -> bool:
        """Ending the current span here means joining the next passage's span."""
        return self.joiner is not None and self._turn + 1 < len(self.passages)

    @property
    def exhausted(self) -> bool:
        """Every matched span reached the end of its passage, and none is to follow: only
        ending is left."""
        return (
            self._active is not None
            and not self._joins_next()
            and all(p == len(self.passages[s]) for s, p, _ in self._active)
        )

    def allowed(self) -> list[int]:
        if self._active is None:
            sources = [self.passages[s] for s in self._sources()]
            if not self.anywhere:
                return sorted({passage[0] for passage in sources if passage})
            return sorted({t for passage in sources for t in passage})
        options = self._next_tokens()
        if self._active and all(self.figures.inside(self.passages[s], p) for s, p, _ in self._active):
            return sorted(options)  # every match is inside a figure: it cannot end here
        ends = {self.joiner} if self._joins_next() and self.joiner is not None else set(self.end_ids)
        return sorted(options | ends)

    def mask(self, logits: torch.Tensor) -> torch.Tensor:
        """logits (V,) with every token that would leave the passages set to -inf."""
        allowed = torch.tensor(self.allowed(), dtype=torch.long)
        masked = torch.full_like(logits, float("-inf"))
        masked[allowed] = logits[allowed]
        return masked

    def advance(self, token: int) -> None:
        if token in self.end_ids:
            return
        if self._active is None:
            # Where the copy may start: anywhere the token occurs, or only at a passage's
            # start. The first token alone does not say which; "2" of "2,32,822\nNew jobs
            # created" also ends the figure, and a copy went on from there ("2\nNew jobs").
            self._at = self.copied
            self._active = [
                (s, p + 1, p)
                for s in self._sources()
                for p, t in enumerate(self.passages[s] if self.anywhere else self.passages[s][:1])
                if t == token
            ]
        elif token == self.joiner and self._joins_next() and token not in self._next_tokens():
            if (span := self._current()) is not None:
                self._done.append(span)
            self._turn += 1
            self._active = None
        else:
            self._active = [
                (s, p + 1, start)
                for s, p, start in self._active
                if p < len(self.passages[s]) and self.passages[s][p] == token
            ]
        self.copied += 1

    def _next_tokens(self) -> set[int]:
        """The tokens that continue one of the spans matched so far."""
        return {self.passages[s][p] for s, p, _ in self._active or () if p < len(self.passages[s])}

    def forced_run(self, limit: int) -> list[int]:
        """The next tokens (up to `limit`) that every matched span continues with alike: the
        copy can only go on this way (or end), so they can be verified in one forward pass."""
        if not self._active:
            return []
        run: list[int] = []
        for offset in range(limit):
            if any(p + offset >= len(self.passages[s]) for s, p, _ in self._active):
                break
            nexts = {self.passages[s][p + offset] for s, p, _ in self._active}
            if len(nexts) != 1:
                break
            run.append(nexts.pop())
        return run

    def _current(self) -> CopiedSpan | None:
        """The span being copied (the earliest match when several passages hold it)."""
        if not self._active:
            return None
        s, p, start = self._active[0]
        return CopiedSpan(s, start, p, self._at)

    def spans(self) -> list[CopiedSpan]:
        """The spans copied so far, in the answer's order."""
        current = self._current()
        return [*self._done, *([current] if current is not None else [])]
