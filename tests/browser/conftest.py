"""The `page` fixture: a page of headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import os

import pytest

from tests.browser.chromium import CHROMIUM


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
