"""`show_page` in a child process, bounded in time and memory.

PDFium is C code: a hostile or broken file can make it loop, balloon or crash, and a thread
cannot be stopped. The web process therefore never runs it itself: each page is shown by a
fresh `python -m retrieval.pages.sandbox` (about 0.1 s to start), killed at the time limit,
whose address space is capped, so whatever PDFium does happens there. It also keeps PDFium,
which is not thread-safe, out of the web process's threads.

The wire, all on the pipes: the request is one JSON line on stdin (then the PDF's bytes when
no path is given); the answer is one JSON line (the layout) on stdout, then the PNG's
bytes. A `PageError` is exit status 3 with its message on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from retrieval.pages.layout import MAX_SIDE, PageError, PageLayout, PdfSource, RenderedPage

TIMEOUT_SECONDS = 20.0
# Address space of the child: the interpreter, PDFium and one bitmap need under 200 MB;
# the rest is room for a page's images decoded at full size.
MEMORY_BYTES = 1 << 30
_PAGE_ERROR = 3
_ROOT = Path(__file__).resolve().parents[2]

log = logging.getLogger(__name__)


def show_page_isolated(
    source: PdfSource,
    pages: Sequence[int],
    passage: str,
    *,
    render: bool,
    max_side: int = MAX_SIDE,
    timeout: float = TIMEOUT_SECONDS,
) -> RenderedPage:
    """`show_page(source, pages, passage, render=render)`, run in a child process; a page
    that takes longer than `timeout` seconds, or kills its process, is a `PageError`."""
    path = None if isinstance(source, bytes) else os.path.abspath(os.fspath(source))
    request = {"path": path, "pages": list(pages), "passage": passage, "render": render, "max_side": max_side}
    data = json.dumps(request).encode() + b"\n" + (source if isinstance(source, bytes) else b"")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "retrieval.pages.sandbox"],
            input=data,
            capture_output=True,
            timeout=timeout,
            cwd=_ROOT,  # `-m` imports from the working directory: this checkout
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise PageError(f"the page took longer than {timeout:.0f} s to render") from error
    if result.returncode == _PAGE_ERROR:
        raise PageError(result.stderr.decode("utf-8", "replace").strip() or "the page cannot be shown")
    if result.returncode != 0:
        detail = result.stderr[-2000:].decode("utf-8", "replace")
        log.warning("page renderer exited with %s: %s", result.returncode, detail)
        raise PageError(f"the page could not be rendered (the renderer stopped: status {result.returncode})")
    head, _, png = result.stdout.partition(b"\n")
    return RenderedPage(PageLayout.from_json(head), png if render else None)


def main() -> int:
    """The child: read the request, show the page, write the answer."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    from retrieval.pages.render import show_page  # PDFium is loaded in the child alone

    head = sys.stdin.buffer.readline()
    request = json.loads(head)
    source: PdfSource = request["path"] if request["path"] is not None else sys.stdin.buffer.read()
    try:
        pages, passage = request["pages"], request["passage"]
        page = show_page(source, pages, passage, render=request["render"], max_side=request["max_side"])
    except (PageError, MemoryError) as error:
        message = str(error) if isinstance(error, PageError) else "the page needs more memory than allowed"
        sys.stderr.write(message)
        return _PAGE_ERROR
    sys.stdout.buffer.write(page.layout.to_json() + b"\n")
    sys.stdout.buffer.write(page.png or b"")
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
