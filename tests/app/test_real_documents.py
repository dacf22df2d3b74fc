"""A long PDF as a user uploads it: the file name as title when the metadata title is an
identifier, printed page labels on chunks and on the document page, running footers out
of chunks."""

from __future__ import annotations

from django.urls import reverse

from tests.retrieval.pdf_builder import Line, build_pdf

WORDS = ["apples", "bridges", "copper", "dolphins"]


def filing() -> bytes:
    pages = []
    for p, word in enumerate(WORDS):
        lines = [Line(f"{word.capitalize()} line {i} tells how {word} did.", 700 - 14 * i) for i in range(8)]
        lines.append(Line(f"ACME Corp | Form 10-Q | {p + 1}", 30, 8))
        pages.append(lines)
    return build_pdf(pages, page_labels=b"0 << /S /r >> 2 << /S /D >>", info_title="0000320193-23-000077")


def test_a_filing_keeps_its_file_name_title_page_labels_and_no_footers(make_user, ingestion, client):  # type: ignore[no-untyped-def]
    user = make_user()
    document = ingestion.index(user, "2023_Q3-ACME.pdf", filing(), timeout=300)
    assert document.title == "2023 Q3 ACME"
    assert document.original_filename == "2023_Q3-ACME.pdf"
    chunks = list(document.chunks.all())
    assert {(c.page, c.page_label) for c in chunks} <= {(1, "i"), (2, "ii"), (3, "1"), (4, "2")}
    assert chunks[0].page_label == "i"
    assert not any("ACME Corp" in c.text for c in chunks)
    assert "ACME Corp | Form 10-Q | 3" in document.text
    client.force_login(user)
    page = client.get(reverse("document-detail", args=[document.pk])).content.decode()
    assert "2023_Q3-ACME.pdf" in page and "2023 Q3 ACME" in page
    shown = {f"page {c.page_label} (PDF page {c.page})" for c in chunks if c.page_label != str(c.page)}
    assert shown and all(s in page for s in shown)
