"""PDF: the text of each page, split into paragraphs, with 1-based page numbers.

pypdf gives a page's text as lines in content-stream order, with no paragraph marks.
Paragraphs are rebuilt from line shapes: a blank line, a bullet, or a short line ending
a sentence ends a paragraph. A wrapped prose line (one that runs to near the right
margin) is joined to the next with a space, so a citation reads as prose; a short line
keeps its line break, which is what keeps table rows and addresses apart. Words hyphenated
at a line end are joined again, so "informa-" + "tion" can be found as "information".
"""

from __future__ import annotations

import io
import re
import time
from collections import defaultdict
from typing import Any

import pypdf
from pypdf import PasswordType
from pypdf.errors import DependencyError, FileNotDecryptedError

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder

# Typographic ligatures (U+FB00-FB06) that fonts map to one code point: "ﬁnd" must match "find".
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)
# Glyph names pypdf prints for fonts that have no Unicode mapping ("/g18/g152/g3").
_GLYPH_NAMES = re.compile(r"/g\d+")
# Sentence ends (ASCII and full-width), then closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?:;\u3002\uff01\uff1f]['\")\]\u201d\u2019]*$")
# Bullets and dashes, "1." / "(a)" list markers.
_BULLET = re.compile(
    r"^(?:[\u2022\u25e6\u25aa\u2023\u25cf\u25cb\u25a0\u25a1\-\u2013\u2014*]"
    r"|\(?\d{1,3}[.)]|\(?[a-z][.)])\s"
)
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_WRAPPED_SHARE = 0.75  # a line at least this share of the page's typical width was wrapped
# pypdf is pure Python and some pages (huge vector drawings) are slow to read: past this,
# the remaining pages are reported as not read instead of holding the worker.
TIME_BUDGET_SECONDS = 300
_UNTITLED = re.compile(r"^(untitled|document\d*|slide \d+|\s*)$", re.IGNORECASE)


def parse_pdf(data: bytes) -> ParsedDocument:
    reader = _open(data)
    builder = DocumentBuilder("pdf")
    try:
        pages = list(reader.pages)
    except DependencyError as error:
        raise _unsupported_encryption(error) from error
    except Exception as error:
        raise ParseError(f"PDF is damaged and its pages cannot be read ({error})") from error
    image_only_pages = 0
    losses: dict[str, list[int]] = defaultdict(list)  # what was lost -> on which pages
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    for number, page in enumerate(pages, start=1):
        if number > 1 and time.monotonic() > deadline:  # the first page is always read
            losses["not read: the PDF took too long to extract"].extend(range(number, len(pages) + 1))
            break
        builder.start_page(number)
        text = _page_text(page, number, losses)
        if text is None:
            continue
        if not text.strip():
            losses["no extractable text"].append(number)
            image_only_pages += _has_images(page)
            continue
        for paragraph in _paragraphs(text):
            builder.add_paragraph(paragraph)
    builder.warnings.extend(f"{_page_ranges(numbers)}: {loss}" for loss, numbers in losses.items())
    if builder.is_empty:
        if not pages:
            raise ParseError("PDF has no pages")
        if image_only_pages:
            raise ParseError("no extractable text: the PDF looks scanned (images only)")
        raise ParseError("no extractable text: the PDF has no text layer")
    return builder.build(title=_title(reader), page_count=len(pages))


def _open(data: bytes) -> pypdf.PdfReader:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        # pypdf has already tried the empty password, which opens PDFs that are only
        # protected against printing or copying.
        locked = reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED
    except DependencyError as error:
        raise _unsupported_encryption(error) from error
    except Exception as error:
        raise ParseError(f"PDF is damaged and cannot be read ({error})") from error
    if locked:
        raise ParseError("PDF is encrypted and cannot be read without a password")
    return reader


def _unsupported_encryption(error: DependencyError) -> ParseError:
    # AES needs the optional "cryptography" package; pypdf says so in its message.
    return ParseError(f"PDF uses an encryption this server cannot read ({error})")


def _page_text(page: pypdf.PageObject, number: int, losses: dict[str, list[int]]) -> str | None:
    try:
        text = page.extract_text()
    except FileNotDecryptedError as error:
        raise ParseError("PDF is encrypted and cannot be read without a password") from error
    except DependencyError as error:
        raise _unsupported_encryption(error) from error
    except Exception as error:
        # One broken page must not cost the others: say what was lost and go on.
        losses[f"text could not be extracted ({type(error).__name__})"].append(number)
        return None
    glyph_names = _GLYPH_NAMES.findall(text)
    if len(glyph_names) >= 5:
        text = _GLYPH_NAMES.sub(" ", text)
        losses["some text is in a font without a Unicode mapping and was skipped"].append(number)
    return text.translate(_LIGATURES)


def _paragraphs(text: str) -> list[str]:
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    widths = sorted(len(line) for line in lines if line)
    typical = widths[int(len(widths) * 0.8)] if widths else 0
    paragraphs: list[str] = []
    current = ""
    previous = ""
    for line in lines:
        if not line:
            _close(paragraphs, current)
            current = previous = ""
            continue
        wrapped = len(previous) >= _WRAPPED_SHARE * typical
        ends_paragraph = _SENTENCE_END.search(previous) and not wrapped
        if current and (ends_paragraph or _BULLET.match(line)):
            _close(paragraphs, current)
            current = ""
        if not current:
            current = line
        elif _HYPHENATED.search(previous) and line[:1].islower():
            current = current[:-1] + line
        else:
            current += (" " if wrapped else "\n") + line
        previous = line
    _close(paragraphs, current)
    return paragraphs


def _page_ranges(numbers: list[int]) -> str:
    """[4] -> "page 4"; [2, 3, 4, 7] -> "pages 2-4, 7": one warning line, not one per page."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return "pages " + ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)


def _close(paragraphs: list[str], paragraph: str) -> None:
    if paragraph.strip():
        paragraphs.append(paragraph)


def _has_images(page: pypdf.PageObject) -> bool:
    try:
        resources: Any = page["/Resources"].get_object()
        xobjects = resources["/XObject"].get_object()
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    except Exception:
        return False  # no resources or broken ones: either way, no image we can vouch for


def _title(reader: pypdf.PdfReader) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:
        return None  # a broken info dictionary only costs the title
    if not isinstance(title, str):
        return None
    title = title.removeprefix("Microsoft Word - ").strip()
    return None if _UNTITLED.match(title) else title
