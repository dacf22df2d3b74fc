"""A question with a typo, or a name typed without its accents, is searched and answered as
if it were spelt as the documents spell it (`retrieval.spelling`), and kept as typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.models import Message
from app.services.search import search_chunks
from tests.app.answering import ask

pytestmark = pytest.mark.slow

NOTES = (
    "# Lighthouses\n\n"
    "Skerryvore lighthouse was built between 1838 and 1844 by Alan Stevenson. "
    "It stands on a reef twelve miles south-west of Tiree.\n\n"
    "# Rivers\n\n"
    "The Nederrijn changes its name near Wijk bij Duurstede and becomes the Lek.\n\n"
    "# Khans\n\n"
    "Möngke Khan died in 1259 during the siege of Diaoyu Castle."
)


def test_a_misspelt_question_finds_and_quotes_what_it_meant(make_user, ingestion, client) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    ingestion.index(user, "notes.md", NOTES.encode(), timeout=300)
    other = b"# Other\n\nThe harbour was rebuilt in 1990 after a storm."
    ingestion.index(user, "other.md", other, timeout=300)

    # BM25 alone has no posting for a typo: respelt, it finds the chunk.
    found = search_chunks(user, "Skerryvroe lighthuose", top_k=2, mode="bm25")
    assert found and "Skerryvore" in found[0].chunk.text
    # The search page says what it searched for.
    client.force_login(user)
    page = client.get(reverse("search"), {"q": "Skerryvroe lighthuose"}).content.decode()
    assert "Searched for <em>Skerryvore lighthouse</em>" in page
    page = client.get(reverse("search"), {"q": "Skerryvore lighthouse"}).content.decode()
    assert "Searched for" not in page and "Alan Stevenson" in page

    pairs = [
        ("When was the Skerryvore lighthouse built?", "When was the Skerryvor lighthuose built?"),
        ("When did Möngke Khan die?", "When did Mongke Khan die?"),
    ]
    for spelt, typed in pairs:
        _, right = ask(user, spelt)
        conversation, record = ask(user, typed)
        assert record.status == right.status == "complete"
        assert record.evidence[0].text == right.evidence[0].text
        assert record.stats.answerability == right.stats.answerability
        # The answer says what it searched for; a question spelt right was searched as asked.
        assert (record.stats.searched_for, right.stats.searched_for) == (spelt, "")
        # The question is kept as the person typed it.
        asked = conversation.messages.filter(role=Message.Role.USER).get()
        assert asked.content == typed
