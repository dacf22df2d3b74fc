"""PDF pages on the web: a passage of an uploaded PDF opens on the page it is printed on,
highlighted over the rendered image; only for users who may see the document; pages that do
not exist, non-PDF documents and files that cannot be rendered are handled, not crashed on.
The PDF is ingested for real and rendered by the real renderer process."""

from __future__ import annotations

import shutil
import struct
import threading
from html import escape
from pathlib import Path

import pytest
from django.urls import reverse

from app.models import Document
from app.services import pdf_pages
from app.services.documents import delete_document
from app.services.evidence import select_evidence, snapshot
from app.services.search import search_chunks
from tests.retrieval.pdf_builder import SCANNED_TEXT, Line, build_pdf, scanned_page_pixels
from tests.retrieval.test_parsing_pptx import make_deck, titled

BUILT = "Skerryvore lighthouse was built by Alan Stevenson between 1838 and 1844."
CROSSING = "The tower was lit for the first time on the first of February in 1844."
PAGES = [
    [
        Line("The Hebrides lights", 720, 16),
        Line("The reef lies twelve miles west of Tiree in the open Atlantic.", 690),
        Line("Many ships were lost on it before a light was planned.", 676),
        Line("The tower was lit for the first time", 662),
        Line("i", 40),
    ],
    [
        Line("on the first of February in 1844.", 720),
        Line("Skerryvore lighthouse was built by Alan Stevenson between", 706),
        Line("1838 and 1844.", 692),
        Line("ii", 40),
    ],
    [Line("Keepers lived on the tower until the light was automated in 1994.", 720), Line("iii", 40)],
]


@pytest.fixture
def lighthouse(make_user, ingestion, settings, tmp_path) -> Document:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path  # the page cache of this test alone
    owner = make_user("alice")
    data = build_pdf(PAGES, page_labels=b"0 << /S /r >>")
    return ingestion.index(owner, "lights.pdf", data)


def span(document: Document, sentence: str) -> str:
    start = document.text.index(sentence.split()[0] + " " + sentence.split()[1])
    return f"?start={start}&end={start + len(sentence)}"


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_a_passage_opens_on_its_page_highlighted_over_the_image(lighthouse, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(lighthouse.owner)
    assert lighthouse.text.count("Skerryvore lighthouse") == 1
    query = span(lighthouse, BUILT)
    response = client.get(reverse("document-passage", args=[lighthouse.pk]) + query)
    # The document's chunk starts on page 1; the renderer finds the sentence on page 2.
    assert response.status_code == 302
    assert response["Location"] == reverse("document-page", args=[lighthouse.pk, 2]) + query + "#highlight"

    page = client.get(response["Location"]).content.decode()
    assert page.count('class="page-highlight"') == 2  # the sentence is printed on two lines
    assert 'data-placement="whole"' in page
    assert "Page ii (PDF page 2 of 3)" in page
    assert 'id="cited-text">' + BUILT in page  # the server's own slice of the text
    href = escape(query)  # "&" is "&amp;" in an attribute
    assert reverse("document-page", args=[lighthouse.pk, 1]) + href in page  # previous page
    assert reverse("document-page", args=[lighthouse.pk, 3]) + href in page  # next page
    assert reverse("document-detail", args=[lighthouse.pk]) + href + "#highlight" in page

    image = client.get(reverse("document-page-image", args=[lighthouse.pk, 2]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["Cache-Control"].startswith("private")
    assert png_size(image.content) == (1237, 1600)
    assert list((Path(lighthouse.file.path).parent).glob("*.pdf"))  # the stored file stays
    cached = list((Path(pdf_pages.page_cache._root()) / str(lighthouse.pk)).iterdir())
    assert any(p.suffix == ".png" for p in cached) and any(p.suffix == ".json" for p in cached)

    # A search result from the PDF links its chunk's first page, the chunk highlighted.
    results = client.get(reverse("search") + "?q=Who+built+Skerryvore").content.decode()
    chunk = lighthouse.chunks.get()
    page_link = reverse("document-page", args=[lighthouse.pk, chunk.page])
    assert f'{page_link}?start={chunk.start}&amp;end={chunk.end}#highlight">page i</a>' in results


@pytest.fixture
def scan(make_user, ingestion, settings, tmp_path) -> Document:  # type: ignore[no-untyped-def]
    """A PDF whose second page is an image of two printed lines, read by OCR."""
    settings.DATA_DIR = tmp_path
    data = build_pdf([[Line("A typed first page.", 700)], []], images={1: scanned_page_pixels(SCANNED_TEXT)})
    return ingestion.index(make_user("alice"), "scan.pdf", data)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_a_quote_from_a_scanned_page_is_highlighted_where_ocr_read_it(scan, client) -> None:  # type: ignore[no-untyped-def]
    document = scan
    start = document.text.index("Invoice")
    query = f"?start={start}&end={document.text.index('March', start) + len('March.')}"
    client.force_login(document.owner)
    response = client.get(reverse("document-passage", args=[document.pk]) + query)
    assert response.status_code == 302
    assert response["Location"] == reverse("document-page", args=[document.pk, 2]) + query + "#highlight"
    page = client.get(response["Location"]).content.decode()
    assert page.count('class="page-highlight"') == 1  # one printed line
    assert 'data-placement="whole"' in page


def test_a_passage_over_a_page_break_is_highlighted_in_part_on_each_page(lighthouse, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(lighthouse.owner)
    query = span(lighthouse, CROSSING)
    response = client.get(reverse("document-passage", args=[lighthouse.pk]) + query)
    assert response["Location"].startswith(reverse("document-page", args=[lighthouse.pk, 1]))
    first = client.get(reverse("document-page", args=[lighthouse.pk, 1]) + query).content.decode()
    second = client.get(reverse("document-page", args=[lighthouse.pk, 2]) + query).content.decode()
    assert 'data-placement="start"' in first and "continues on the next" in first
    assert 'data-placement="end"' in second
    third = client.get(reverse("document-page", args=[lighthouse.pk, 3]) + query).content.decode()
    assert 'data-placement="none"' in third and "could not be placed" in third
    assert 'class="page-highlight"' not in third


def test_pages_are_only_for_those_who_may_see_the_document(lighthouse, client, make_user) -> None:  # type: ignore[no-untyped-def]
    urls = [
        reverse("document-passage", args=[lighthouse.pk]) + span(lighthouse, BUILT),
        reverse("document-page", args=[lighthouse.pk, 1]),
        reverse("document-page-image", args=[lighthouse.pk, 1]),
    ]
    for url in urls:
        assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(make_user("bob"))
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(make_user("root", is_staff=True))  # staff may read every document
    assert client.get(urls[2]).status_code == 200


def test_pages_that_do_not_exist_and_spans_that_are_not_in_the_text(lighthouse, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(lighthouse.owner)
    for page in (0, 4, 10**9):
        assert client.get(reverse("document-page", args=[lighthouse.pk, page])).status_code == 404
        assert client.get(reverse("document-page-image", args=[lighthouse.pk, page])).status_code == 404
    assert client.post(reverse("document-page", args=[lighthouse.pk, 1])).status_code == 405
    passage = reverse("document-passage", args=[lighthouse.pk])
    detail = reverse("document-detail", args=[lighthouse.pk])
    for query in ("", "?start=5&end=2", f"?start=0&end={len(lighthouse.text) + 1}", "?start=a&end=b"):
        assert client.get(passage + query)["Location"] == detail
    page = client.get(reverse("document-page", args=[lighthouse.pk, 1]) + "?start=5&end=2").content.decode()
    assert "page-highlight" not in page and "Cited passage" not in page and "<img" in page


def test_a_document_without_pages_opens_its_text(make_user, ingestion, client) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("alice")
    document = ingestion.index(owner, "notes.md", b"# Notes\n\nThe tide was high.\n")
    client.force_login(owner)
    start = document.text.index("The tide")
    query = f"?start={start}&end={start + 18}"
    response = client.get(reverse("document-passage", args=[document.pk]) + query)
    assert response["Location"] == reverse("document-detail", args=[document.pk]) + query + "#highlight"
    assert client.get(reverse("document-page", args=[document.pk, 1])).status_code == 404


def test_a_slide_decks_pages_are_slides_that_open_in_its_text(make_user, ingestion, client) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("alice")
    deck = make_deck(titled("Keepers", "Keepers lived on Skerryvore until 1994."))
    document = ingestion.index(owner, "lights.pptx", deck)
    client.force_login(owner)
    results = client.get(reverse("search") + "?q=Keepers+lived+on+Skerryvore").content.decode()
    assert "slide 1" in results and "page-link" not in results  # no rendered page to link
    assert "slide 1" in client.get(reverse("document-detail", args=[document.pk])).content.decode()
    (hit,) = search_chunks(owner, "Keepers lived on Skerryvore", top_k=1)
    assert (hit.chunk.page, hit.chunk.document.page_unit) == (1, "slide")
    # The chat, the API and /v1 label a quote by the same unit.
    (quote,), _ = select_evidence(
        "Until when did keepers live on Skerryvore?",
        [snapshot(1, hit)],
        count=1,
        document_texts={document.pk: document.text},
        rerank_with_decoder=False,
    )
    assert (quote.page, quote.page_unit) == (1, "slide")
    start = document.text.index("Keepers lived")
    query = f"?start={start}&end={start + 13}"
    response = client.get(reverse("document-passage", args=[document.pk]) + query)
    assert response["Location"] == reverse("document-detail", args=[document.pk]) + query + "#highlight"


def test_a_file_that_cannot_be_rendered_says_so_and_its_text_still_opens(lighthouse, client) -> None:  # type: ignore[no-untyped-def]
    Path(lighthouse.file.path).write_bytes(b"%PDF-1.7 damaged on disk since it was read")
    client.force_login(lighthouse.owner)
    query = span(lighthouse, BUILT)
    response = client.get(reverse("document-passage", args=[lighthouse.pk]) + query)
    assert response["Location"] == reverse("document-detail", args=[lighthouse.pk]) + query + "#highlight"
    page = client.get(reverse("document-page", args=[lighthouse.pk, 2]) + query)
    assert page.status_code == 200
    assert "This page cannot be shown: the PDF cannot be opened" in page.content.decode()
    image = client.get(reverse("document-page-image", args=[lighthouse.pk, 2]))
    assert image.status_code == 422


def test_busy_renderers_answer_503_and_deleting_drops_the_pages(lighthouse, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client.force_login(lighthouse.owner)
    monkeypatch.setattr(pdf_pages, "_RENDERERS", threading.BoundedSemaphore(1))
    monkeypatch.setattr(pdf_pages, "_WAIT_SECONDS", 0.05)
    pdf_pages._RENDERERS.acquire()  # another request holds the only renderer
    busy = client.get(reverse("document-page-image", args=[lighthouse.pk, 3]))
    assert busy.status_code == 503 and busy["Retry-After"]
    pdf_pages._RENDERERS.release()
    assert client.get(reverse("document-page-image", args=[lighthouse.pk, 3])).status_code == 200
    cache = Path(pdf_pages.page_cache._root()) / str(lighthouse.pk)
    assert cache.is_dir()
    delete_document(lighthouse)
    assert not cache.exists()
