"""What a quote needs beside it to be read: a label's figure, a table row's column names."""

from __future__ import annotations

from collections.abc import Callable

from retrieval.quote_context import (
    LIST_ITEMS,
    states_nothing,
    whole_sentence,
    with_adjacent_labels,
    with_list_items,
)
from retrieval.table_rows import table_header_span


def widened(widen: Callable[[str, int, int], tuple[int, int]], text: str, sentence: str) -> str:
    """`sentence` of `text` as `widen` quotes it."""
    at = text.index(sentence)
    start, end = widen(text, at, at + len(sentence))
    return text[start:end]


def test_a_label_is_quoted_with_the_figures_printed_beside_it() -> None:
    cover = (
        "RIL has always strived to positively touch lives and empower society in India.\n"
        "BY MARKET CAPITALISATION\n`17,81,841 crore\nEMPLOYMENT CREATION\n2,32,822\nNew jobs created\n\n"
        "Region | 2023 | 2022\nNorth | 120 | 110\n"
        "Reliance Industries Limited is a Fortune 500 company\nand the largest private corporation.\n"
        "Prefill computes the prompt in one pass.\nDecode adds one token per step."
    )

    def quoted(line: str) -> str:
        return widened(with_adjacent_labels, cover, line)

    # A label takes the short line on each side in its block; the long line before is no label.
    assert quoted("BY MARKET CAPITALISATION") == "BY MARKET CAPITALISATION\n`17,81,841 crore"
    assert quoted("EMPLOYMENT CREATION") == "`17,81,841 crore\nEMPLOYMENT CREATION\n2,32,822"
    # The block ends at the blank line: the table after it is not pulled in.
    assert quoted("New jobs created") == "2,32,822\nNew jobs created"
    # Not widened: a table row, a sentence wrapped onto the next line, a whole statement.
    assert quoted("North | 120 | 110") == "North | 120 | 110"
    assert quoted("Reliance Industries Limited is a Fortune 500 company") == (
        "Reliance Industries Limited is a Fortune 500 company"
    )
    assert quoted("Decode adds one token per step.") == "Decode adds one token per step."
    # A contents line is no figure of a label ("New jobs created" / "2 Reliance at a Glance").
    page = "2,32,822\nNew jobs created\n2 Reliance at a Glance\n4 Stakeholder Value\n14 We Care\n32 ESG"
    assert widened(with_adjacent_labels, page, "New jobs created") == "2,32,822\nNew jobs created"
    # Part of a line is never widened: only a whole line can be a label.
    at, end = cover.index("MARKET"), cover.index("\n`17")
    assert with_adjacent_labels(cover, at, end) == (at, end)


def test_a_table_row_is_quoted_with_its_tables_header_rows() -> None:
    header = "| Three Months Ended\n| July 1, 2023 | June 25, 2022"
    table = f"{header}\nTotal net sales | 81,797 | 82,959\nServices | 21,213 | 19,604"
    text = f"Net sales rose.\n\n{table}\n\nNotes | see below\nmore | text"

    def named(line: str) -> str | None:
        at = text.index(line)
        span = table_header_span(text, at, at + len(line))
        return None if span is None else text[span[0] : span[1]]

    assert named("Services | 21,213 | 19,604") == header
    assert named("Total net sales | 81,797 | 82,959") == header
    assert named("| July 1, 2023 | June 25, 2022") is None  # a header row names nothing more
    assert named("Net sales rose.") is None  # not a table row
    assert named("Notes | see below") is None  # a table without figures: no header to guess


def test_a_piece_of_a_sentence_cut_by_a_chunk_is_quoted_whole() -> None:
    text = "Ducks dive. The sea ducks spend a majority of their lives in saltwater.[13] Teal dabble.\nNext."
    piece = "a majority of their lives in saltwater.[13]"  # where the next chunk started
    at = text.index(piece)
    start, end = whole_sentence(text, at, at + len(piece))
    assert text[start:end] == "The sea ducks spend a majority of their lives in saltwater.[13]"
    whole = text.index("Teal dabble.")
    assert whole_sentence(text, whole, whole + len("Teal dabble.")) == (whole, whole + len("Teal dabble."))
    # A quote running over two sentences (none holds it) is left as it is.
    assert whole_sentence(text, 0, at) == (0, at)


def test_a_lead_in_is_quoted_with_the_items_of_its_list() -> None:
    text = (
        "To get started, lay down in the water:\n\n- You can relax\n\n- Also, don't forget:\n\n"
        "- Wear sunglasses\n\n- Use sun cream\n\nLet's eat\n\n- Leaves\n"
        "Several causes explain it:\n1. Recursion\n2. Slow natives\n\n\n3. Far away\n"
        "The rule is: keep going\n- not an item of it"
    )

    def quoted(sentence: str) -> str:
        return widened(with_list_items, text, sentence)

    # Items one line or one blank line apart; the list ends at the next paragraph of prose.
    assert quoted("- Also, don't forget:") == "- Also, don't forget:\n\n- Wear sunglasses\n\n- Use sun cream"
    assert quoted("To get started, lay down in the water:").endswith("- Use sun cream")
    # Numbered items; two blank lines end the list.
    assert quoted("Several causes explain it:") == "Several causes explain it:\n1. Recursion\n2. Slow natives"
    # Not a lead-in: a colon inside its line, or an item that is no lead-in.
    assert quoted("The rule is: keep going") == "The rule is: keep going"
    assert quoted("- You can relax") == "- You can relax"
    # At most LIST_ITEMS items.
    many = "Pick one:\n" + "\n".join(f"- item {i}" for i in range(20))
    start, end = with_list_items(many, 0, len("Pick one:"))
    assert many[start:end].count("- item") == LIST_ITEMS


def test_a_heading_alone_states_nothing() -> None:
    for heading in ("SHARE-BASED COMPENSATION", "Boots Self-Locking Nut", "Swimming in the lake"):
        assert states_nothing(heading), heading
    # Each of these says something, or is what its label or lead-in needs to be read.
    for quote in (
        "Ducks eat grasses and insects.",
        "Let's swim!",
        "- Wear sunglasses",
        "Also, don't forget:",
        "Share-based compensation | 1,532,455 | 737,991",
        "EMPLOYMENT CREATION\n2,32,822\nNew jobs created",
        "Revenue grew 95.3%",
        "The decoder is small and so a decode step is bound by reading the weights",
    ):
        assert not states_nothing(quote), quote
