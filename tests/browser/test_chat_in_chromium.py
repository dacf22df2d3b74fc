"""A person's path through the product, in real headless Chromium (Debian's package).

Upload a document on the library page, watch it get indexed, ask in the chat, see the
evidence quotes first and the answer stream in, open a quote in its document with exactly
that span highlighted, a citation's source and the attention heatmap. Screenshots are saved
to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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


@pytest.fixture
def page(live_server, tmp_path):  # type: ignore[no-untyped-def]
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between page steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(240_000)
        yield page
        browser.close()
        # While Playwright's loop runs in this thread, asgiref keeps database connections per
        # context, not per thread: the ORM calls the test made opened a connection that
        # pytest-django never sees once the loop stops. Closed here, inside the loop, or the
        # test database cannot be dropped at the end of the session.
        connections.close_all()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def test_upload_ask_cite_and_heatmap(page, live_server, make_user, ingestion, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.GENERATOR_MAX_NEW_TOKENS = 40
    make_user("alice")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw-alice")
    page.click("button[type=submit]")

    page.goto(live_server.url + "/documents/")
    source = tmp_path / "skerryvore.md"
    source.write_text(DOC)
    page.set_input_files("input[type=file]", str(source))
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("tr[data-status=indexed] .badge.indexed")  # the page polls status

    page.goto(live_server.url + "/chat/")
    page.fill("#question", "Who built Skerryvore lighthouse?")
    page.keyboard.press("Enter")
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
