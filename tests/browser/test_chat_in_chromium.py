"""A person's path through the product, in real headless Chromium (Debian's package).

Upload a document on the library page, watch it get indexed, ask in the chat, see the
evidence quotes first and the answer stream in, open a quote in its document with exactly
that span highlighted, a citation's source and the attention heatmap. Screenshots are saved
to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_comparing_answers import DABBLING, DIVING, PAGE
from tests.browser.chromium import ARTIFACTS, CHROMIUM, ask, log_in_and_upload
from tests.retrieval.pdf_builder import Line, build_pdf

PDF_PAGES = [
    [
        Line("The Hebrides lights", 720, 16),
        Line("Skerryvore stands on a reef twelve miles west of Tiree in the open Atlantic.", 690),
        Line("Many ships were lost on the reef before a light was planned for it.", 676),
    ],
    [
        Line("The tower is the tallest lighthouse in Scotland, at 48 metres.", 720),
        Line("Skerryvore lighthouse was built by Alan Stevenson between", 706),
        Line("1838 and 1844.", 692),
    ],
]

DOC = """# Skerryvore

Skerryvore lighthouse stands on a reef twelve miles west of Tiree.
Skerryvore lighthouse was built by Alan Stevenson between 1838 and 1844.

# Sourdough

Sourdough bread is leavened by a starter of wild yeast and lactobacilli.
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def test_upload_ask_cite_and_heatmap(page, live_server, make_user, ingestion, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.GENERATOR_MAX_NEW_TOKENS = 40
    source = tmp_path / "skerryvore.md"
    source.write_text(DOC)
    log_in_and_upload(page, live_server, make_user, source)

    ask(page, live_server, "Who built Skerryvore lighthouse?")
    # The quotes arrive before the answer is written, then tokens stream into the bubble.
    page.wait_for_selector("li.msg.assistant.streaming .evidence blockquote.quote")
    answer = page.wait_for_selector("li.msg.assistant[data-id]")
    assert "Stevenson" in answer.inner_text()
    quotes = page.query_selector_all("li.msg.assistant[data-id] .evidence blockquote.quote")
    assert quotes and "Alan Stevenson" in quotes[0].inner_text()

    citation = page.query_selector("li.msg.assistant .cite")
    assert citation is not None, "the answer carries no citation"
    citation.click()
    panel = page.wait_for_selector("#source-panel:not([hidden])")
    assert "Alan Stevenson" in panel.inner_text()
    assert panel.query_selector("mark.cited-span"), "the cited characters are not marked"

    page.click("li.msg.assistant .heatmap-button")
    page.wait_for_selector("#heatmap table.heat tr.heat-row")
    rows = page.query_selector_all("#heatmap tr.heat-row")
    assert len(rows) > 1
    # The panel says what attention is not, beside the map.
    assert "not a full explanation" in page.inner_text("#heatmap-panel")
    rows[1].click()
    page.wait_for_selector("#shaded .shaded-passage")
    assert page.query_selector_all("#shaded .hot"), "no words shaded by attention"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    page.reload()  # the conversation, its citations and its heatmap come back from the database
    page.wait_for_selector("li.msg.assistant[data-id] .heatmap-button")

    # A quote opens its document with exactly that span highlighted.
    page.click("li.msg.assistant[data-id] .evidence .quote-link >> nth=0")
    mark = page.wait_for_selector("mark#highlight")
    assert mark.inner_text() == "Skerryvore lighthouse was built by Alan Stevenson between 1838 and 1844."
    page.screenshot(path=str(ARTIFACTS / "evidence-in-document.png"), full_page=True)

    # A misspelt question is answered as spelt in the document, and the answer says so.
    ask(page, live_server, "Who built Skerryvor lighthuose?")
    note = page.wait_for_selector("li.msg.assistant[data-id] .respelt")
    assert note.inner_text() == "Searched for: Who built Skerryvore lighthouse?"
    quote = page.query_selector("li.msg.assistant[data-id] .evidence blockquote.quote")
    assert quote is not None and "Alan Stevenson" in quote.inner_text()


STEVENSON = "Skerryvore lighthouse was built by Alan Stevenson between 1838 and 1844."
# Share of dark pixels of the page image under each highlight box (drawn on a canvas from the
# same image the reader sees): text is printed under a box that sits on its words.
INK_UNDER_MARKS = """marks => {
  const img = document.querySelector("figure.pdf-page img");
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  return marks.map((mark) => {
    const x = Math.round(parseFloat(mark.style.left) / 100 * canvas.width);
    const y = Math.round(parseFloat(mark.style.top) / 100 * canvas.height);
    const w = Math.round(parseFloat(mark.style.width) / 100 * canvas.width);
    const h = Math.round(parseFloat(mark.style.height) / 100 * canvas.height);
    const pixels = context.getImageData(x, y, w, h).data;
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] + pixels[i + 1] + pixels[i + 2] < 384) dark++;
    return dark / (w * h);
  });
}"""


def test_a_pdf_quote_opens_its_page_with_the_span_highlighted(  # type: ignore[no-untyped-def]
    page, live_server, make_user, ingestion, settings, tmp_path
):
    settings.GENERATOR_MAX_NEW_TOKENS = 24
    settings.DATA_DIR = tmp_path  # rendered pages are cached there
    source = tmp_path / "hebrides-lights.pdf"
    source.write_bytes(build_pdf(PDF_PAGES, page_labels=b"0 << /S /r >>"))
    log_in_and_upload(page, live_server, make_user, source)

    ask(page, live_server, "Who built Skerryvore lighthouse?")
    page.wait_for_selector("li.msg.assistant[data-id]")
    quote = page.locator("li.msg.assistant[data-id] .evidence blockquote.quote", has_text="Alan Stevenson")
    quote.locator(".quote-link").click()

    # The document's one chunk starts on page 1; the quote is printed on page 2, over two lines.
    page.wait_for_url("**/pages/2/?start=*")
    page.wait_for_load_state("load")  # the page image too
    assert "Page ii (PDF page 2 of 2)" in page.inner_text(".page-nav")
    image = page.locator("figure.pdf-page img")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1237
    marks = page.locator("mark.page-highlight")
    assert marks.count() == 2
    picture = image.bounding_box()
    assert picture is not None
    boxes = []
    for index in range(marks.count()):
        assert marks.nth(index).is_visible()
        box = marks.nth(index).bounding_box()
        assert box is not None and box["width"] > 20 and box["height"] > 5
        # Over the image, in its upper half (where page 2 prints the sentence).
        assert picture["x"] <= box["x"] and box["x"] + box["width"] <= picture["x"] + picture["width"]
        assert picture["y"] <= box["y"] <= picture["y"] + picture["height"] / 2
        boxes.append(box)
    assert boxes[0]["y"] < boxes[1]["y"]  # the sentence's two lines, in reading order
    ink = marks.evaluate_all(INK_UNDER_MARKS)
    assert all(share > 0.05 for share in ink), ink  # glyphs under every box, not blank paper
    assert page.inner_text("#cited-text") == STEVENSON
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("mark#highlight").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "pdf-page-highlight.png"))

    # The page links back to the same span in the extracted text.
    page.click(".page-nav a.text-view")
    assert page.inner_text("mark#highlight") == STEVENSON


TABLE_DOC = """# What a duck could eat

Here are some interesting things a respectful duck could eat.

| Food | Kinds | Calories per portion |
|---|---|---|
| Leaves | Ash, Elm, Maple | 50 |
| Berries | Blueberry, Strawberry, Cranberry | 150 |
| Grain | Corn, Buckwheat, Barley | 200 |
"""


def test_a_table_row_is_quoted_under_its_column_names(  # type: ignore[no-untyped-def]
    page, live_server, make_user, ingestion, settings, tmp_path
):
    settings.GENERATOR_MAX_NEW_TOKENS = 40
    source = tmp_path / "duck-food.md"
    source.write_text(TABLE_DOC)
    log_in_and_upload(page, live_server, make_user, source)

    ask(page, live_server, "How many calories per portion do berries have?")
    page.wait_for_selector("li.msg.assistant[data-id]")
    quotes = page.query_selector_all("li.msg.assistant[data-id] .evidence blockquote.quote")
    assert quotes, "no evidence quotes"
    first = quotes[0]
    # The row that answers comes first, under the header row that says what 150 is.
    row = first.query_selector(".quote-text")
    assert row is not None and row.inner_text() == "Berries | Blueberry, Strawberry, Cranberry | 150"
    columns = first.query_selector(".quote-columns")
    assert columns is not None and columns.inner_text() == "Food | Kinds | Calories per portion"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "table-quote.png"), full_page=True)


def test_a_question_asking_how_two_things_differ_cites_a_copy_of_each(  # type: ignore[no-untyped-def]
    page, live_server, make_user, ingestion, tmp_path
):
    source = tmp_path / "ducks.md"
    source.write_text(PAGE)
    log_in_and_upload(page, live_server, make_user, source)

    ask(page, live_server, "What is the difference between dabbling ducks and diving ducks?")
    answer = page.wait_for_selector("li.msg.assistant[data-id]")
    written = answer.query_selector(".answer-text")
    assert written is not None and DABBLING in written.inner_text() and DIVING in written.inner_text()
    citations = page.query_selector_all("li.msg.assistant[data-id] .answer-text .cite")
    assert len(citations) == 2, "each side's copy carries its own citation"
    assert not page.query_selector_all("li.msg.assistant[data-id] .not-found")
    for citation, sentence in zip(citations, (DABBLING, DIVING), strict=True):
        citation.click()
        panel = page.wait_for_selector("#source-panel:not([hidden])")
        mark = panel.query_selector("mark.cited-span")
        assert mark is not None and mark.inner_text() == sentence
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "comparing-answer.png"), full_page=True)
