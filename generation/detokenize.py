"""Incremental detokenization with stop strings.

Each step decodes all answer ids so far (a few hundred ids: microseconds in the Rust
tokenizer) and emits only the part that can no longer change:
- a trailing U+FFFD means a multi-byte character is split across tokens: wait for the rest;
- a tail that could still grow into a stop string is held back until it cannot;
- a tail that may be turning into a repeat of earlier text is held back until it diverges,
  and a repeat ends the text where it starts (`repetition.check_repeats`).
So the deltas always concatenate to `tokenizer.decode(ids, skip_special_tokens=True)`, cut
at the first stop string or repeat.
"""

from __future__ import annotations

from typing import Any

from generation.repetition import DEFAULT_WINDOW, check_repeats


class IncrementalDetokenizer:
    def __init__(self, tokenizer: Any, stop: tuple[str, ...] = (), repeat_window: int = DEFAULT_WINDOW):
        self.tokenizer = tokenizer
        self.stop = tuple(s for s in stop if s)
        self.repeat_window = repeat_window  # 0: no loop detection
        self.repeated = False  # the text ended because it started repeating itself
        self.ids: list[int] = []
        self.text = ""  # decode of all ids
        self.emitted = 0  # characters of `text` handed out so far
        self.stop_at: int | None = None  # where the first stop string starts in `text`
        # Per pushed token, the [start, end) of the stable text it completed.
        self.token_spans: list[tuple[int, int]] = []
        self._stable = 0

    @property
    def stopped(self) -> bool:
        return self.stop_at is not None

    def push(self, token_id: int) -> str:
        """Add one token; return the newly emittable text ('' while something is pending)."""
        self.ids.append(token_id)
        self.text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        stable = len(self.text.rstrip("\ufffd"))
        self.token_spans.append((self._stable, max(self._stable, stable)))
        self._stable = max(self._stable, stable)
        limit = stable
        if self.stop:
            # A stop string may straddle the last emitted character: search a little before it.
            search_from = max(0, self.emitted - max(map(len, self.stop)))
            hits = [i for s in self.stop if (i := self.text.find(s, search_from)) >= 0]
            if hits:
                self.stop_at = min(hits)
                return self._emit_until(self.stop_at)
            limit = stable - self._held_back(stable)
        if self.repeat_window:
            check = check_repeats(self.text[:stable], self.repeat_window)
            if check.repeat_at is not None:
                self._stop_repeat(check.repeat_at)
                return ""
            limit = min(limit, check.hold_from)
        return self._emit_until(limit)

    def finish(self) -> str:
        """The rest of the text at the end of generation, pending bytes included."""
        if self.repeat_window and not self.stopped:
            # The last sentence is finished by the end of the text itself.
            check = check_repeats(self.text + "\n", self.repeat_window)
            if check.repeat_at is not None:
                self._stop_repeat(check.repeat_at)
        return self._emit_until(self.final_length)

    def _stop_repeat(self, at: int) -> None:
        # Held-back text was never emitted, so the repeat normally starts at or after
        # `emitted`; the text ends at whichever is later, so it always equals what was sent.
        self.stop_at = max(min(at, len(self.text)), self.emitted)
        while self.stop_at > self.emitted and self.text[self.stop_at - 1].isspace():
            self.stop_at -= 1
        self.repeated = True

    @property
    def final_length(self) -> int:
        return self.stop_at if self.stop_at is not None else len(self.text)

    @property
    def final_text(self) -> str:
        return self.text[: self.final_length]

    def _held_back(self, end: int) -> int:
        """Length of the longest tail of text[:end] that is a proper prefix of a stop string."""
        for n in range(min(end, max(map(len, self.stop)) - 1), 0, -1):
            tail = self.text[end - n : end]
            if any(s.startswith(tail) for s in self.stop):
                return n
        return 0

    def _emit_until(self, end: int) -> str:
        if end <= self.emitted:
            return ""
        delta, self.emitted = self.text[self.emitted : end], end
        return delta
