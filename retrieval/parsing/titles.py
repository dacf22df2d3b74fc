"""Document titles a person recognizes: the file name, unless the file carries a real title.

Metadata titles are often not titles at all: an EDGAR accession number
("0000320193-23-000077"), a date and a form name ("04.01.2023 10Q Document"), the
generator's placeholder ("Untitled", "Microsoft Word - report.docx"). Such a title would
hide the file name the uploader chose, which usually names the company, the quarter or
the subject, and the title heads every chunk's embedded text, so search would lose it
too. ``real_title`` keeps a candidate only when it has words of its own.
"""

from __future__ import annotations

import os
import re

from retrieval.parsing.builder import clean_inline

# Words that say what a file is, not what it is about.
_PLACEHOLDER_WORDS = frozenset(
    {
        "untitled",
        "document",
        "doc",
        "docx",
        "epub",
        "pdf",
        "file",
        "draft",
        "final",
        "copy",
        "new",
        "page",
        "slide",
        "scan",
        "scanned",
        "image",
        "img",
        "microsoft",
        "word",
        "powerpoint",
        "excel",
        "version",
        "rev",
        "presentation",
        "title",
        "template",
    }
)
_FILE_NAME_SEPARATORS = re.compile(r"[_\-.\s]+")
_WORD = re.compile(r"[^\W_]+")
_FILE_EXTENSION = re.compile(
    r"\.(pdf|docx?|epub|rtf|odt|txt|html?|md|pptx?|xlsx?|indd|qxd|tex)$", re.IGNORECASE
)
TITLE_MAX_CHARS = 300


def filename_title(filename: str) -> str:
    """ "2023_Q3-AAPL.v2.pdf" -> "2023 Q3 AAPL v2": the name without its extension,
    separators turned to spaces. A name that is nothing but separators stays as it is."""
    stem, _ = os.path.splitext(os.path.basename(filename))
    title = _FILE_NAME_SEPARATORS.sub(" ", stem).strip()
    return title or filename


def real_title(candidate: str | None) -> str | None:
    """``candidate`` cleaned, or None when it is an identifier, a date or a placeholder.

    A real title has at least one word of two or more letters, no digits, that is not a
    placeholder word ("Document", "Untitled", "Microsoft Word"...). "Annual Report 2023"
    and "COVID-19 insurance claims" pass; "0000320193-23-000077", "04.01.2023 10Q
    Document" and "Microsoft Word - memo.docx" do not.
    """
    if not candidate:
        return None
    title = clean_inline(candidate).removeprefix("Microsoft Word - ").strip()
    if not title or _FILE_EXTENSION.search(title):
        return None  # a file name, which the uploader's own file name beats
    if not any(_is_topic_word(word) for word in _WORD.findall(title)):
        return None
    if len(title) > TITLE_MAX_CHARS:
        title = title[: TITLE_MAX_CHARS - 1].rstrip() + "…"
    return title


def names_more_than(file_title: str, title: str | None) -> bool:
    """True when ``file_title`` has a word the title lacks that is not a placeholder:
    "2023 Q3 AAPL" says more than "Apple Inc. Form 10-Q"; "ideas page" says nothing more
    than "How to Get New Ideas"."""
    known = {word.casefold() for word in _WORD.findall(title or "")}
    return any(
        word.casefold() not in known and word.casefold() not in _PLACEHOLDER_WORDS
        for word in _WORD.findall(file_title)
    )


def _is_topic_word(word: str) -> bool:
    return (
        len(word) >= 2 and not any(ch.isdigit() for ch in word) and word.casefold() not in _PLACEHOLDER_WORDS
    )


def first_real_title(*candidates: str | None) -> str | None:
    """The first candidate that is a real title, in the order given (preference order)."""
    for candidate in candidates:
        title = real_title(candidate)
        if title:
            return title
    return None
