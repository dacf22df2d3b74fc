"""Turn an uploaded file's bytes into a ParsedDocument: text, sections, title, warnings.

``parse_document`` is the only entry point the rest of the project needs. Whatever the
bytes, it either returns a document with text or raises ParseError with a reason a person
can read; no other exception escapes it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.csv_table import parse_csv
from retrieval.parsing.doc import not_a_doc, parse_doc
from retrieval.parsing.docx import parse_docx
from retrieval.parsing.eml import parse_eml
from retrieval.parsing.epub import parse_epub
from retrieval.parsing.html import parse_html
from retrieval.parsing.markdown import parse_markdown
from retrieval.parsing.msg import NOT_OLE2 as NOT_A_MSG
from retrieval.parsing.msg import parse_msg
from retrieval.parsing.ods import parse_ods
from retrieval.parsing.odt import parse_odt
from retrieval.parsing.ole import OLE2_MAGIC
from retrieval.parsing.pdf import parse_pdf
from retrieval.parsing.ppt import NOT_OLE2 as NOT_A_PPT
from retrieval.parsing.ppt import parse_ppt
from retrieval.parsing.pptx import parse_pptx
from retrieval.parsing.rtf import parse_rtf
from retrieval.parsing.text import parse_text
from retrieval.parsing.titles import filename_title, real_title
from retrieval.parsing.xls import parse_xls
from retrieval.parsing.xlsx import parse_xlsx

__all__ = [
    "EXTENSIONS",
    "SLIDE_FORMATS",
    "SUPPORTED_FORMATS",
    "ParseError",
    "detect_format",
    "filename_title",
    "formats_named",
    "parse_document",
    "real_title",
]

SUPPORTED_FORMATS: dict[str, str] = {
    "txt": "TXT",
    "md": "Markdown",
    "html": "HTML",
    "pdf": "PDF",
    "docx": "DOCX",
    "doc": "DOC",
    "odt": "ODT",
    "rtf": "RTF",
    "epub": "EPUB",
    "pptx": "PPTX",
    "ppt": "PPT",
    "xlsx": "XLSX",
    "xls": "XLS",
    "ods": "ODS",
    "csv": "CSV",
    "eml": "EML",
    "msg": "MSG",
}
EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".docm": "docx",  # macro-enabled (macros are never run), and templates
    ".dotx": "docx",
    ".dotm": "docx",
    ".doc": "doc",
    ".dot": "doc",
    ".odt": "odt",
    ".rtf": "rtf",
    ".epub": "epub",
    ".pptx": "pptx",
    ".pptm": "pptx",
    ".ppsx": "pptx",  # a slide show
    ".ppsm": "pptx",
    ".potx": "pptx",
    ".potm": "pptx",
    ".ppt": "ppt",
    ".pps": "ppt",
    ".pot": "ppt",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xltx": "xlsx",
    ".xltm": "xlsx",
    ".xls": "xls",
    ".xlt": "xls",
    ".ods": "ods",
    ".csv": "csv",
    ".tsv": "csv",
    ".eml": "eml",
    ".msg": "msg",
}


def formats_named() -> str:
    """The supported formats as a person reads them in a form's or API's help: "TXT, …, or CSV"."""
    names = list(SUPPORTED_FORMATS.values())
    return f"{', '.join(names[:-1])} or {names[-1]}"


_PARSERS: dict[str, Callable[[bytes], ParsedDocument]] = {
    "txt": parse_text,
    "md": parse_markdown,
    "html": parse_html,
    "pdf": parse_pdf,
    "docx": parse_docx,
    "doc": parse_doc,
    "odt": parse_odt,
    "rtf": parse_rtf,
    "epub": parse_epub,
    "pptx": parse_pptx,
    "ppt": parse_ppt,
    "xlsx": parse_xlsx,
    "xls": parse_xls,
    "ods": parse_ods,
    "csv": parse_csv,
    "eml": parse_eml,
    "msg": parse_msg,
}
# The formats whose pages are slides (a ParsedDocument's `page` counts slides).
SLIDE_FORMATS = frozenset({"pptx", "ppt"})
_PDF_MAGIC = b"%PDF-"
_RTF_MAGIC = b"{\\rtf"
_ZIP_MAGIC = b"PK\x03\x04"
# The formats that are ZIP archives, and what is said of a file of theirs that is not one.
_NOT_A_ZIP = {
    "docx": "not a DOCX: the file is not a ZIP archive (an old .doc renamed?)",
    "epub": "not an EPUB: the file is not a ZIP archive",
    "odt": "not an ODT: the file is not a ZIP archive",
    "ods": "not an ODS: the file is not a ZIP archive",
    "pptx": "not a PPTX: the file is not a ZIP archive (an old .ppt renamed?)",
    "xlsx": "not an XLSX: the file is not a ZIP archive (an old .xls renamed?)",
}
# What detect_format reads of a file, and no further (the upload API hands it this much):
# readers accept a PDF header anywhere in it, as some generators prepend junk.
_HEAD = 1024
_HINTS = {
    ".odp": " (save it as .pptx or PDF)",
}


def detect_format(filename: str, data: bytes) -> str:
    """The format key for ``filename``, checked against the file's first bytes."""
    extension = os.path.splitext(filename)[1].lower()
    format = _disguised(extension, data) or EXTENSIONS.get(extension)
    if format is None:
        supported = ", ".join(SUPPORTED_FORMATS.values())
        shown = extension or "(no extension)"
        hint = _HINTS.get(extension, "")
        raise ParseError(f"unsupported file type {shown}{hint}; supported: {supported}")
    if format == "pdf" and _PDF_MAGIC not in data[:_HEAD]:
        raise ParseError("not a PDF: the file does not start with a PDF header")
    if format == "doc" and not data.startswith(OLE2_MAGIC):
        raise ParseError(not_a_doc(data[:_HEAD]))
    if format == "ppt" and not data.startswith(OLE2_MAGIC):
        raise ParseError(NOT_A_PPT)
    if format == "msg" and not data.startswith(OLE2_MAGIC):
        raise ParseError(NOT_A_MSG)
    if format == "rtf" and not data.startswith(_RTF_MAGIC):
        raise ParseError("not an RTF file: it does not start with {\\rtf")
    if format in _NOT_A_ZIP and not data.startswith(_ZIP_MAGIC):
        raise ParseError(_NOT_A_ZIP[format])
    if format in {"txt", "md", "html", "csv", "eml"}:
        if data.startswith(_PDF_MAGIC):
            raise ParseError(f"file named {extension} is a PDF: rename it to .pdf")
        if data.startswith(_ZIP_MAGIC):
            raise ParseError(f"file named {extension} is a ZIP archive (an Office file?), not text")
    return format


# What an old binary Office name holds when it is not the old format: web apps export RTF or
# HTML as ".doc" and HTML as ".xls" (Word and Excel open them), and people rename .docx and
# .xlsx files. By the file's first bytes: RTF, a ZIP (the newer format), HTML.
_DISGUISES = {".doc": ("rtf", "docx", "html"), ".xls": (None, "xlsx", "html")}


def _disguised(extension: str, data: bytes) -> str | None:
    """The format a ".doc" or ".xls" file really is, when it is not the old binary one."""
    if extension not in _DISGUISES:
        return None
    rtf, zipped, html = _DISGUISES[extension]
    if data.startswith(_RTF_MAGIC):
        return rtf
    if data.startswith(_ZIP_MAGIC):
        return zipped
    head = data[:_HEAD].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return html if head.startswith((b"<html", b"<!doctype html", b"<table")) else None


def parse_document(
    data: bytes, filename: str, progress: Callable[[int, int], None] | None = None
) -> ParsedDocument:
    """Parse an uploaded file. Raises ParseError, and only ParseError, on bad input.

    The document's ``title`` is a real title the file carries (see ``real_title``) or
    None; the caller falls back to ``filename_title(filename)``. ``progress(done, total)``
    is called as a paged format (PDF) reads its pages.
    """
    try:
        if not data:
            raise ParseError("file is empty")
        format = detect_format(filename, data)
        parsed = parse_pdf(data, progress) if format == "pdf" else _PARSERS[format](data)
        return dataclasses.replace(parsed, filename=filename)
    except ParseError:
        raise
    except RecursionError as error:
        raise ParseError("file is nested too deeply to be read") from error
    except MemoryError as error:
        raise ParseError("file is too large to be read in memory") from error
    except Exception as error:
        # Parsing libraries raise whatever they like on malformed files; the uploader
        # still gets a reason, and the log keeps the chained original.
        human = SUPPORTED_FORMATS.get(_format_guess(filename), "the")
        reason = f"{type(error).__name__}: {error}"
        raise ParseError(f"{human} file could not be read ({reason})") from error


def _format_guess(filename: str) -> str:
    return EXTENSIONS.get(os.path.splitext(filename)[1].lower(), "")
