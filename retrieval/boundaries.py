"""Where a chunk may end: the strength of the boundary between two tokens of a text.

Strongest first: a paragraph break, a sentence end, a line break, whitespace (or between
two CJK ideographs), and last the join of two word pieces of one word.
"""

from __future__ import annotations

from retrieval.chunk_tables import TableLayout

# Boundary strengths between two tokens, strongest first.
PARAGRAPH, SENTENCE, LINE, WORD, PIECE = 4, 3, 2, 1, 0
# What a boundary inside a table row loses: it then ranks below all others.
IN_ROW = PARAGRAPH + 1
# Sentence ends, including the ideographic full stop and full-width marks of CJK text.
_CJK_SENTENCE_ENDS = frozenset("\u3002\uff01\uff1f\uff61")
_SENTENCE_ENDS = frozenset(".!?\u2026") | _CJK_SENTENCE_ENDS
# Closing quotes and brackets that may follow a sentence end.
_CLOSERS = frozenset("\"')]}\u00bb\u201d\u2019\u300d\u300f")


class Boundaries:
    """Boundary strength before each token, computed on demand from the token offsets.

    A boundary inside a table row ranks below every boundary between rows or outside
    tables (its strength less ``IN_ROW``, so negative): a cut falls inside a row only
    when a window holds no other place, a row longer than a chunk.
    """

    def __init__(self, text: str, tokens: list[tuple[int, int]], tables: TableLayout | None = None) -> None:
        self.text = text
        self.tokens = tokens
        self._tables = tables or None  # an empty layout is no layout
        self._cache: dict[int, int] = {}

    def best(self, low: int, high: int, *, prefer_late: bool) -> int:
        """The token index in [low, high] with the strongest boundary before it."""
        order = range(high, low - 1, -1) if prefer_late else range(low, high + 1)
        best_index, best_strength = high if prefer_late else low, -IN_ROW - 1
        for index in order:
            value = self.at(index)
            if value > best_strength:
                best_index, best_strength = index, value
                if value == PARAGRAPH:
                    break
        return best_index

    def end_before(self, index: int) -> int:
        """Where a chunk cut before token ``index`` ends: after the previous token and any
        non-whitespace the tokenizer skipped (so no visible character falls between chunks)."""
        previous_end = self.tokens[index - 1][1]
        gap = self.text[previous_end : self.tokens[index][0]]
        return previous_end + len(gap.rstrip())

    def at(self, index: int) -> int:
        """The strength of the boundary before token ``index``; negative inside a row."""
        value = self._cache.get(index)
        if value is None:
            value = self.base(index)
            tables = self._tables
            if tables is not None and tables.splits_row(self.tokens[index - 1][0], self.tokens[index][0]):
                value -= IN_ROW
            self._cache[index] = value
        return value

    def base(self, index: int) -> int:
        """The boundary's strength as text (paragraph, sentence, line, word or piece)."""
        text = self.text
        previous_start, previous_end = self.tokens[index - 1]
        start = self.tokens[index][0]
        gap = text[previous_end:start]
        if "\n\n" in gap:
            return PARAGRAPH
        spaced = any(ch.isspace() for ch in gap)
        last = text[previous_end - 1] if previous_end > previous_start else ""
        if last in _CLOSERS and index >= 2:
            before = self.tokens[index - 2]
            last = text[before[1] - 1] if before[1] == previous_start and before[1] > before[0] else last
        if last in _SENTENCE_ENDS and (spaced or last in _CJK_SENTENCE_ENDS):
            return SENTENCE
        if "\n" in gap:
            return LINE
        if spaced or _is_cjk(text[start : start + 1]) or _is_cjk(text[previous_end - 1 : previous_end]):
            return WORD
        return PIECE


def _is_cjk(char: str) -> bool:
    """CJK ideographs, which BERT-style tokenizers treat as words of their own, so a cut
    between two of them is clean. (Kana and Hangul are not split that way.)"""
    if not char:
        return False
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )
