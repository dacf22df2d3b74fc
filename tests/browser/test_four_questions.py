"""The four chat questions of issue #12, asked in real Chromium over real documents.

The issue began from a new user's report: over articles about transformers, a Wikipedia
page and a PDF, each of four questions got one plausible sentence, then the same sentence
again and again up to the token limit. Its done-when: those questions, over those kinds of
documents, get short answers with checkable evidence in the browser.

So, on the embedded default (whatever ANSWER_MODE and GENERATOR_MAX_NEW_TOKENS say): upload
two long real articles on generation (this repository's own `docs/generation.md` and
`ARCHITECTURE.md`, copied at test time), Wikipedia's "Duck" page and a 14-page PDF paper on
the library page; wait until the page shows them indexed; ask each question in the chat.

Each question is asked in a fresh conversation: a follow-up is searched together with the
question before it, so only a fresh conversation tests what each question finds on its own.

For each, what a person checking the answer needs, read from the page: the answer finishes
(no streaming bubble left) within a bound generous for a loaded 2-core machine; it shows
evidence quotes, each a verbatim slice of a document at the span its link names, and either
a short written answer (within the token limit, no sentence or run of words repeated) or the
abstention with the nearest passages. Every quote's link is then opened: it lands on its
document with exactly that span highlighted, or on the PDF's page with the span boxed. The
model's wording is not asserted. Screenshots `four-questions-<n>.png` (the answer) and
`four-questions-<n>-quote.png` (its first quote opened) go to test-artifacts/, with a text
summary of what each answer showed (`four-questions.txt`).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.chromium import ARTIFACTS, CHROMIUM, log_in, upload
from tests.conftest import REPO, needs_shared_data, require_shared_data

QUESTIONS = (
    "Why does a KV cache make text generation faster?",
    "What is the difference between prefill and decode?",
    "Are attention maps a full explanation of what the model did?",
    "What do ducks eat?",
)
WIKI_DUCK = "doc-samples/docling/tests/data/html/sources/wiki_duck.html"
TRACEMONKEY = "doc-samples/pdfjs/web/compressed.tracemonkey-pldi-09.pdf"
# Bounds for a 2-core machine shared with other work: the report this test answers saw 72 s
# for a looping answer; a short one should take a fraction of that even on a loaded machine.
ANSWER_BOUND_S = 180
INGEST_BOUND_S = 1200
REPEATED_RUN_WORDS = 6  # a run this long written twice is the loop pattern, not prose

# The written answer as the reader sees it, without the citation buttons and "not found"
# flags the page adds after each checked sentence.
WRITTEN_TEXT = """el => {
  const copy = el.cloneNode(true);
  copy.querySelectorAll(".cite, .not-found").forEach((node) => node.remove());
  return copy.textContent;
}"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    needs_shared_data(WIKI_DUCK, TRACEMONKEY),
]


@dataclass
class Quote:
    text: str
    link: str
    where: str


@dataclass
class Shown:
    """What one answer showed on the page."""

    question: str
    status: str
    seconds: float
    quotes: list[Quote]
    nearest: bool  # the quotes are shown as the nearest passages of an abstention
    written: str
    foot: str
    note: str
    unsupported: int
    opened: list[str] = field(default_factory=list)

    def summary(self, number: int) -> str:
        lines = [f"{number}. {self.question}", f"   status {self.status}, {self.seconds:.1f} s; {self.foot}"]
        for index, quote in enumerate(self.quotes, start=1):
            lines.append(f"   [{index}] {quote.where}: {' '.join(quote.text.split())}")
        lines.append(f"   written: {' '.join(self.written.split())!r} {self.note}".rstrip())
        lines.append(f"   unsupported sentences: {self.unsupported}; opened: {', '.join(self.opened)}")
        return "\n".join(lines)


def normalized(text: str) -> str:
    return " ".join(text.split()).lower()


def repeated_sentences(text: str) -> list[str]:
    sentences = [normalized(s) for s in re.split(r"(?<=[.!?])\s+", text)]
    counts = Counter(s for s in sentences if len(s.split()) >= 3)
    return [s for s, n in counts.items() if n > 1]


def repeated_runs(text: str, words: int) -> list[str]:
    tokens = normalized(text).split()
    runs = Counter(" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1))
    return [run for run, n in runs.items() if n > 1]


def quoted_span(link: str) -> tuple[int, int, int]:
    """(document id, start, end) named by a quote's link into its document."""
    parts = urlsplit(link)
    document = int(re.match(r"/documents/(\d+)/", parts.path).group(1))  # type: ignore[union-attr]
    query = parse_qs(parts.query)
    return document, int(query["start"][0]), int(query["end"][0])


def ask_in_fresh_conversation(page, live_server, question: str) -> Shown:  # type: ignore[no-untyped-def]
    from app.models import Message

    page.goto(live_server.url + "/chat/")
    page.fill("#question", question)
    started = time.monotonic()
    page.keyboard.press("Enter")
    answer = page.locator("li.msg.assistant[data-id]")
    answer.wait_for(timeout=ANSWER_BOUND_S * 1000)
    seconds = time.monotonic() - started
    # Finished: no bubble still streaming, the Ask button usable again.
    assert page.locator("li.msg.assistant.streaming").count() == 0
    page.wait_for_function("() => !document.getElementById('ask-button').disabled")
    classes = (answer.get_attribute("class") or "").split()
    status = next((c for c in ("complete", "no_evidence", "failed", "cancelled") if c in classes), "?")
    quotes = [
        Quote(
            text=block.locator(".quote-text").text_content() or "",
            link=block.locator("a.quote-link").get_attribute("href") or "",
            where=block.locator("a.quote-link").text_content() or "",
        )
        for block in answer.locator(".evidence blockquote.quote").all()
    ]
    bubble = answer.locator(".bubble")
    stored = Message.objects.get(pk=int(answer.get_attribute("data-id") or 0))
    written = answer.locator(".answer-text").evaluate(WRITTEN_TEXT) if bubble.count() else ""
    assert written == stored.content, "the page shows other words than the answer saved"
    note = answer.locator(".note")
    return Shown(
        question=question,
        status=status,
        seconds=seconds,
        quotes=quotes,
        nearest=answer.locator(".evidence.nearest").count() == 1,
        written=written,
        foot=answer.locator(".msg-foot").text_content() or "",
        note=(note.text_content() or "") if note.count() else "",
        unsupported=answer.locator(".claim.unsupported").count(),
    )


def check_answer(shown: Shown, settings) -> None:  # type: ignore[no-untyped-def]
    from app.models import Document

    assert shown.status in {"complete", "no_evidence"}, shown
    assert shown.seconds < ANSWER_BOUND_S, shown
    assert 1 <= len(shown.quotes) <= settings.ANSWER_EVIDENCE, shown
    for quote in shown.quotes:  # every quote is the very characters its link names
        document, start, end = quoted_span(quote.link)
        assert Document.objects.get(pk=document).text[start:end] == quote.text, quote
    if shown.status == "no_evidence":
        assert shown.nearest and "do not seem to say" in shown.written, shown
        return
    assert not shown.nearest, shown
    assert shown.written.strip(), "a complete answer with nothing written"
    tokens = re.search(r"(\d+) tokens", shown.foot)
    assert tokens is not None, shown.foot
    assert int(tokens.group(1)) <= settings.GENERATOR_MAX_NEW_TOKENS
    assert not repeated_sentences(shown.written), shown.written
    assert not repeated_runs(shown.written, REPEATED_RUN_WORDS), shown.written
    if settings.ANSWER_MODE == "extract":  # copied from the top quote, by construction
        assert normalized(shown.written) in normalized(shown.quotes[0].text), shown


def open_quote(page, live_server, quote: Quote, screenshot: Path | None) -> str:  # type: ignore[no-untyped-def]
    """Follow a quote's link as the reader would; return where it landed."""
    page.goto(live_server.url + quote.link)
    if "/pages/" in quote.link:  # a PDF quote: its rendered page, the span boxed on it
        page.wait_for_url("**/pages/*/?start=*")
        page.wait_for_load_state("load")  # the page image too
        assert page.text_content("#cited-text") == quote.text
        placement = page.get_attribute(".placement", "data-placement")
        assert placement in {"whole", "start", "end"}, f"not placed on the page: {quote}"
        assert page.locator("mark.page-highlight").count() >= 1
        assert page.locator("figure.pdf-page img").evaluate("img => img.complete && img.naturalWidth") > 0
        landed = f"PDF {urlsplit(page.url).path} ({placement})"
    else:
        assert page.text_content("mark#highlight") == quote.text
        landed = "text highlighted"
    if screenshot is not None:
        page.locator("#highlight").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot))
    return landed


def library_rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Each document as the library page lists it: title, file, status, chunks."""
    rows = []
    for row in page.locator("#documents tbody tr").all():
        names = " · ".join(row.locator("td").first.inner_text().split("\n"))
        status, chunks = row.get_attribute("data-status"), row.locator("td.chunks").inner_text()
        rows.append(f"{names}: {status}, {chunks} chunks {row.locator('.reason').inner_text()}".rstrip())
    return rows


def write_report(library: list[str], answers: list[Shown], settings) -> None:  # type: ignore[no-untyped-def]
    head = [
        f"ANSWER_MODE={settings.ANSWER_MODE}",
        f"GENERATOR_MAX_NEW_TOKENS={settings.GENERATOR_MAX_NEW_TOKENS}",
    ]
    parts = ["\n".join([" ".join(head), *library])]
    parts += [shown.summary(number) for number, shown in enumerate(answers, start=1)]
    report = "\n\n".join(parts)
    (ARTIFACTS / "four-questions.txt").write_text(report + "\n")
    print(report)


def test_the_four_questions_of_issue_12(page, live_server, make_user, ingestion, settings, tmp_path):  # type: ignore[no-untyped-def]
    from app.services import runtime

    settings.DATA_DIR = tmp_path  # rendered PDF pages are cached there
    sources = []
    for name in ("docs/generation.md", "ARCHITECTURE.md"):  # copies: the upload takes files
        copy = tmp_path / Path(name).name
        copy.write_bytes((REPO / name).read_bytes())
        sources.append(copy)
    sources += [require_shared_data(WIKI_DUCK), require_shared_data(TRACEMONKEY)]

    log_in(page, live_server, make_user)
    started = time.monotonic()
    upload(page, live_server, sources, timeout_s=INGEST_BOUND_S)
    library = [
        f"all settled on the library page {time.monotonic() - started:.0f} s after upload",
        *library_rows(page),
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "four-questions-library.png"), full_page=True)
    assert page.locator("#documents tbody tr:not([data-status=indexed])").count() == 0, library
    runtime.warm_up()  # as a server does at start: the first answer does not pay for loading

    answers = []
    for number, question in enumerate(QUESTIONS, start=1):
        shown = ask_in_fresh_conversation(page, live_server, question)
        page.screenshot(path=str(ARTIFACTS / f"four-questions-{number}.png"), full_page=True)
        answers.append(shown)

    try:
        for number, shown in enumerate(answers, start=1):
            for index, quote in enumerate(shown.quotes):
                screenshot = ARTIFACTS / f"four-questions-{number}-quote.png" if index == 0 else None
                shown.opened.append(open_quote(page, live_server, quote, screenshot))
    finally:  # what each answer showed is written down whatever fails
        write_report(library, answers, settings)
    # Checked after all four were asked, so one poor answer does not hide the others.
    for shown in answers:
        check_answer(shown, settings)
