"""The attention map stored with an answer: plain data, no torch.

It crosses into the web layer (stored as JSON, served by the API, drawn as the heatmap), so
it lives apart from the capture code in `attention.py`, which needs torch and registers an
attention implementation on import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AttentionMap:
    """Answer-token x passage attention, compact enough to store with the message.

    `passage_mass[i][p]`: attention mass answer token i puts on passage p's text tokens
    (mean over heads and `layers`); a row sums to <= 1, the rest of the mass is on the
    instruction, headers, question, history and earlier answer tokens.
    `top_spans[i]`: the `top_k` passage tokens answer token i attends to most, as
    (passage index, char start, char end, weight) into that passage's `text`, best first.
    `token_spans[i]`: the characters of the answer text that token i produced.
    Weights are rounded to 4 decimals.
    """

    layers: tuple[int, ...]
    token_spans: tuple[tuple[int, int], ...]
    passage_mass: tuple[tuple[float, ...], ...]
    top_spans: tuple[tuple[tuple[int, int, int, float], ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "layers": list(self.layers),
            "token_spans": [list(s) for s in self.token_spans],
            "passage_mass": [list(r) for r in self.passage_mass],
            "top_spans": [[list(s) for s in row] for row in self.top_spans],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttentionMap:
        if data.get("version") != 1:
            raise ValueError(f"unknown attention map version {data.get('version')!r}")
        return cls(
            layers=tuple(data["layers"]),
            token_spans=tuple((int(a), int(b)) for a, b in data["token_spans"]),
            passage_mass=tuple(tuple(r) for r in data["passage_mass"]),
            top_spans=tuple(
                tuple((int(p), int(a), int(b), float(w)) for p, a, b, w in row) for row in data["top_spans"]
            ),
        )

    def passage_totals(self) -> tuple[float, ...]:
        """Mean mass per passage over the answer tokens: a whole-answer attribution."""
        if not self.passage_mass:
            return ()
        n = len(self.passage_mass)
        return tuple(sum(col) / n for col in zip(*self.passage_mass, strict=True))
