"""A question comparing two things, over a page that says each side in its own sentence: the
quotes are one about each side, and the written answer copies both, each span cited where it
was copied (one copy said half of the difference)."""

from __future__ import annotations

import pytest

from tests.app.answering import ask

pytestmark = pytest.mark.slow

DABBLING = "Dabbling ducks feed mainly on vegetation by upending at the surface of the water."
DIVING = "Diving ducks dive deep underwater to feed on molluscs and crustaceans."
PAGE = f"""# Ducks

Ducks are birds of the family Anatidae. Most ducks live near fresh water. {DABBLING} Many ducks
are migratory and fly south in winter. {DIVING} Ducks have webbed feet for swimming.

# Breeding

Ducks nest on the ground near water. A clutch holds eight to twelve eggs.
"""


def test_a_comparing_question_is_answered_by_a_copy_of_each_side(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    ingestion.index(user, "ducks.md", PAGE.encode(), timeout=300)

    _, record = ask(user, "What is the difference between dabbling ducks and diving ducks?")
    assert record.status == "complete", record.content
    assert {record.evidence[0].text, record.evidence[1].text} == {DABBLING, DIVING}
    copies = [c for c in record.citations if c.kind == "copy"]
    assert [c.evidence for c in copies] == [1, 2], record.content
    for copy in copies:
        quote = record.evidence[copy.evidence - 1]
        claimed = record.content[copy.claim[0] : copy.claim[1]]
        assert claimed and quote.text[copy.span[0] - quote.start : copy.span[1] - quote.start] == claimed
    assert record.evidence[0].text.startswith(record.content[copies[0].claim[0] : copies[0].claim[1]])
    assert all(check.supported for check in record.checks)


def test_a_question_about_one_side_copies_one_quote(make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    ingestion.index(user, "ducks.md", PAGE.encode(), timeout=300)

    _, record = ask(user, "What do diving ducks feed on?")
    assert record.status == "complete", record.content
    assert [c.evidence for c in record.citations if c.kind == "copy"] == [1]
