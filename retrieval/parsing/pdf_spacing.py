"""Letter-spaced text: a kern between two letters is not a word gap.

A TJ array places strings with offsets between them, in thousandths of an em; pypdf reads an
offset that moves the pen on by more than 95 % of half the font's space width as a word gap
and puts a space there (its threshold: `gap_threshold`). Text set with letter-spacing
(tracking) places every letter alone, moved on by about the same offset each time, a little
under that threshold; a kern on top of it (between "o" and "d", "p" and "e") crosses it, and
words come out split: "We picked the mo del parameter configuration that pro duced the b est
prediction quality" (arXiv 2305.03393, page 9, whose "Ta b l e 1." is tracked above the
threshold). A reader sees the split words, and neither search nor the encoder finds "model".

In such an array a word gap is the tracking plus a space, so `close_kerned_gaps` rewrites
the offsets between the threshold and the threshold plus the tracking to just under the
threshold, before pypdf reads the array. The tracking is the array's lower-quartile offset
(most offsets of letter-spaced text are tracking), at most the threshold itself: so an
offset is never read as a letter's kern when it is twice pypdf's threshold or more. Arrays
that place whole words, not letters, are left as they are: their offsets are word gaps and
kerns, and nothing in them is tracking.
"""

from __future__ import annotations

from typing import Any

from pypdf.generic import FloatObject

# pypdf's extraction reads a TJ offset as a space from this share of half a space width on.
_PYPDF_SHARE = 0.95
# The array places letters one by one when at least this share of its strings is one
# character: "We", "h", "a", "v", "e"; never "to", "sparse", "representations", "by".
LETTERS = 0.6
MIN_OFFSETS = 4  # fewer offsets say nothing about tracking
# A closed gap becomes this share of the threshold: a move pypdf reads as no space, and as
# near the kern's own width as that allows.
JUST_UNDER = 0.99


def gap_threshold(space_width: float) -> float:
    """The TJ offset (thousandths of an em, as a positive move) from which pypdf puts a space,
    for a font whose space is `space_width` wide (`Font.space_width`)."""
    return space_width / 2 * _PYPDF_SHARE


def close_kerned_gaps(array: list[Any], threshold: float) -> int:
    """Rewrite, in place, the offsets of the TJ operand `array` that letter-spacing and a kern
    pushed over pypdf's `threshold` (see the module docstring); return how many."""
    strings = [item for item in array if isinstance(item, (str, bytes))]
    moves = {
        i: -float(item)
        for i, item in enumerate(array)
        if isinstance(item, (int, float)) and not isinstance(item, bool) and item < 0
    }  # position -> how far the offset moves the pen on
    if len(moves) < MIN_OFFSETS or sum(len(s) == 1 for s in strings) < LETTERS * len(strings):
        return 0
    tracking = min(sorted(moves.values())[len(moves) // 4], threshold)
    kerned = [i for i, move in moves.items() if threshold <= move < threshold + tracking]
    for i in kerned:
        array[i] = FloatObject(-threshold * JUST_UNDER)
    return len(kerned)
