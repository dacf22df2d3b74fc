"""Prompt-lookup drafting: the guess is what followed the latest earlier match."""

from __future__ import annotations

from generation.drafting import prompt_lookup


def test_the_longest_suffix_match_proposes_what_followed_it() -> None:
    #          0  1  2  3  4  5  6  7  8  9
    context = [5, 6, 7, 8, 9, 1, 6, 7, 2, 6, 7]
    # suffix (2, 6, 7) never occurred before; (6, 7) did, latest at 6..7, followed by 2, 6, 7
    assert prompt_lookup(context, 2) == [2, 6]
    assert prompt_lookup(context, 10) == [2, 6, 7]  # never past the end of the context


def test_a_three_token_match_wins_over_a_later_two_token_one() -> None:
    context = [1, 2, 3, 40, 41, 9, 2, 3, 50, 1, 2, 3]
    assert prompt_lookup(context, 2) == [40, 41]


def test_no_match_or_no_room_proposes_nothing() -> None:
    assert prompt_lookup([1, 2, 3, 4], 5) == []
    assert prompt_lookup([1, 2, 1, 2], 0) == []
    assert prompt_lookup([7], 3) == []
    assert prompt_lookup([], 3) == []
    # A single repeated token is too weak a signal to draft on.
    assert prompt_lookup([4, 8, 9, 4], 3) == []
