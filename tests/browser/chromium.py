"""What every browser test shares: Debian's Chromium, where screenshots go, and a person's
first steps (log in, upload on the library page, wait until the page shows them indexed)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots for a human to look at (git-ignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# True when the library table lists `count` documents and none is still queued, parsing or
# embedding (library.js polls their status and rewrites each row's data-status).
ALL_SETTLED = """count => {
  const rows = [...document.querySelectorAll("#documents tbody tr")];
  const busy = new Set(["queued", "parsing", "embedding"]);
  return rows.length === count && rows.every((row) => !busy.has(row.dataset.status));
}"""


def log_in(page, live_server, make_user, username: str = "alice") -> None:  # type: ignore[no-untyped-def]
    make_user(username)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-" + username)
    page.click("button[type=submit]")


def upload(page, live_server, sources: Sequence[Path], timeout_s: float = 240) -> None:  # type: ignore[no-untyped-def]
    """Upload `sources` in one go on the library page and wait until each has settled."""
    page.goto(live_server.url + "/documents/")
    page.set_input_files("input[type=file]", [str(source) for source in sources])
    page.click("form.upload button[type=submit]")
    page.wait_for_function(ALL_SETTLED, arg=len(sources), timeout=timeout_s * 1000, polling=1000)


def log_in_and_upload(page, live_server, make_user, source: Path) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live_server, make_user)
    upload(page, live_server, [source])
    page.wait_for_selector("tr[data-status=indexed] .badge.indexed")


def ask(page, live_server, question: str) -> None:  # type: ignore[no-untyped-def]
    """Open the chat (a fresh conversation) and send `question` as a person would."""
    page.goto(live_server.url + "/chat/")
    page.fill("#question", question)
    page.keyboard.press("Enter")
