"""EPUB (2 and 3): the book's content documents in reading order, each read as HTML.

An EPUB is a ZIP archive. ``META-INF/container.xml`` names the package document (the OPF),
whose manifest lists the book's files and whose spine gives their reading order. Every
XHTML content document in the spine goes through html.py's reader into one shared builder,
so the book's headings become the document's sections in order, and paragraphs, lists and
tables read exactly as they do in an HTML page. There are no pages: EPUB text reflows.

A chapter that is missing or unreadable costs only itself (a warning names it); a book
whose content documents are encrypted (DRM) is refused, while font obfuscation, which only
scrambles embedded fonts, is not DRM and is ignored. The archive is bounded before
anything is inflated, and every member is read with a size cap.
"""

from __future__ import annotations

import posixpath
import urllib.parse
import zipfile

from lxml import etree

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder
from retrieval.parsing.html import add_html_document
from retrieval.parsing.safe_xml import XML_LIMITS, parse_part
from retrieval.parsing.titles import first_real_title
from retrieval.parsing.zip_limits import MAX_MEMBER_BYTES, MemberUnreadable, open_archive, read_member

# One file of the book is read up to MAX_MEMBER_BYTES, far above real books, beside the
# archive's own limits (zip_limits.py: entries and declared unzipped size, checked first).
MAX_CHAPTER_WARNINGS = 20  # past this, one line counts the rest

_CONTAINER = "META-INF/container.xml"
_ENCRYPTION = "META-INF/encryption.xml"
_PACKAGE_MEDIA_TYPE = "application/oebps-package+xml"
_CONTENT_MEDIA_TYPES = frozenset({"application/xhtml+xml", "text/html"})
# IDPF and Adobe font obfuscation: it scrambles embedded fonts only and is not DRM.
_FONT_OBFUSCATION = frozenset({"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"})
_DC = "{http://purl.org/dc/elements/1.1/}"


class _Unreadable(Exception):
    """One member of the archive cannot be read; ``str(error)`` says why."""


def parse_epub(data: bytes) -> ParsedDocument:
    archive = open_archive(data, "EPUB")
    with archive:
        package_path = _package_path(archive)
        package = _read_xml(archive, package_path, "package document")
        names = set(archive.namelist())
        encrypted = _encrypted_paths(archive, names)
        chapters, skipped = _reading_order(package, posixpath.dirname(package_path), names)
        total = len(chapters) + len(skipped)  # spine entries, those that name no manifest item too
        drm = sorted(encrypted & ({package_path} | set(chapters)))
        if drm:
            raise ParseError(
                "EPUB is DRM-protected (encrypted) and cannot be read; upload a DRM-free copy "
                f"(encrypted: {drm[0]}{' and others' if len(drm) > 1 else ''})"
            )
        if not chapters and not skipped:
            raise ParseError(
                "no text was read: the EPUB's reading order (spine) lists no XHTML content documents"
            )

        builder = DocumentBuilder("epub")
        for path in chapters:
            before = len(builder.warnings)
            try:
                add_html_document(builder, _read(archive, path))
            except (_Unreadable, ParseError, etree.LxmlError, ValueError) as error:
                skipped.append(f"chapter {path}: {error}")
            # The page reader's own warnings (a page read flat) say which chapter they are about.
            builder.warnings[before:] = [
                f"chapter {path}: {warning}" for warning in builder.warnings[before:]
            ]

    if builder.is_empty:
        raise ParseError(f"no text was read: {_nothing_read(skipped, total)}")
    builder.warnings.extend(skipped[:MAX_CHAPTER_WARNINGS])
    if len(skipped) > MAX_CHAPTER_WARNINGS:
        builder.warnings.append(f"and {len(skipped) - MAX_CHAPTER_WARNINGS} more chapters were skipped")
    return builder.build(title=_title(package))


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, never more than MAX_MEMBER_BYTES of them. Raises _Unreadable."""
    try:
        return read_member(archive, name, limit=MAX_MEMBER_BYTES, what="one file of the book")
    except KeyError:
        raise _Unreadable("missing from the archive") from None
    except MemberUnreadable as error:
        raise _Unreadable(str(error)) from error


def _read_xml(archive: zipfile.ZipFile, name: str, what: str) -> etree._Element:
    """A member parsed as XML (safe_xml). Raises ParseError naming the ``what`` that is wrong."""
    try:
        part = parse_part(_read(archive, name))
    except _Unreadable as error:
        raise ParseError(f"EPUB is damaged: its {what} {name} is {error}") from error
    if part.past_limits:
        raise ParseError(f"EPUB cannot be read: its {what} {name} goes past {XML_LIMITS}")
    if part.root is None:
        raise ParseError(f"EPUB is damaged: its {what} {name} is not readable XML")
    return part.root


def _package_path(archive: zipfile.ZipFile) -> str:
    """The package document's path in the archive, from META-INF/container.xml."""
    container = _read_xml(archive, _CONTAINER, "container file")
    rootfiles = [el for el in container.iter("{*}rootfile") if (el.get("full-path") or "").strip()]
    packages = [el for el in rootfiles if el.get("media-type") == _PACKAGE_MEDIA_TYPE] or rootfiles
    if not packages:
        raise ParseError(f"EPUB is damaged: {_CONTAINER} names no package document (rootfile)")
    return _resolve("", packages[0].get("full-path", "").strip(), set(archive.namelist()))


def _encrypted_paths(archive: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Paths that META-INF/encryption.xml lists as encrypted by anything but font obfuscation."""
    if _ENCRYPTION not in names:
        return set()
    encryption = _read_xml(archive, _ENCRYPTION, "encryption list")
    paths = set()
    for data in encryption.iter("{*}EncryptedData"):
        method = data.find("{*}EncryptionMethod")
        algorithm = (method.get("Algorithm") or "").strip() if method is not None else ""
        if algorithm in _FONT_OBFUSCATION:
            continue
        for reference in data.iter("{*}CipherReference"):
            uri = (reference.get("URI") or "").strip()
            if uri:
                # Paths in META-INF files are relative to the root of the container.
                paths.add(_resolve("", uri, names))
    return paths


def _resolve(base: str, href: str, names: set[str] | None = None) -> str:
    """The archive path ``href`` (percent-encoded, relative to ``base``) names. With the
    archive's ``names``, a path stored with its escapes left in is found too."""
    href = href.split("#", 1)[0]
    decoded = posixpath.normpath(posixpath.join(base, urllib.parse.unquote(href))).lstrip("/")
    if names is not None and decoded not in names:
        raw = posixpath.normpath(posixpath.join(base, href)).lstrip("/")
        if raw in names:
            return raw
    return decoded


def _reading_order(package: etree._Element, base: str, names: set[str]) -> tuple[list[str], list[str]]:
    """The content documents of the spine, in its order and each once, and a warning for each
    spine entry that names no manifest item."""
    manifest = {
        item.get("id"): item
        for item in package.iterfind(".//{*}manifest/{*}item")
        if item.get("id") and item.get("href")
    }
    spine = package.find(".//{*}spine")
    if spine is None:
        raise ParseError("EPUB is damaged: its package document has no spine (reading order)")
    chapters: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for itemref in spine.iterfind("{*}itemref"):
        idref = itemref.get("idref") or ""
        item = manifest.get(idref)
        if item is None:
            skipped.append(f"spine entry '{idref}': not in the package's manifest")
            continue
        media_type = (item.get("media-type") or "").split(";")[0].strip().lower()
        if media_type not in _CONTENT_MEDIA_TYPES:
            continue  # an image or SVG page: nothing to read as text
        path = _resolve(base, item.get("href", ""), names)
        if path not in seen:
            seen.add(path)
            chapters.append(path)
    return chapters, skipped


def _title(package: etree._Element) -> str | None:
    """dc:title, the EPUB 3 main title first when titles are typed."""
    titles = list(package.iter(f"{_DC}title"))
    main = {
        (meta.get("refines") or "").lstrip("#")
        for meta in package.iter("{*}meta")
        if meta.get("property") == "title-type" and (meta.text or "").strip() == "main"
    }
    ordered = [title for title in titles if title.get("id") in main] + titles
    texts = (etree.tostring(title, method="text", encoding="unicode", with_tail=False) for title in ordered)
    return first_real_title(*texts)


def _nothing_read(skipped: list[str], total: int) -> str:
    if not skipped:
        return "the book's chapters hold no text (only images?)"
    shown = "; ".join(skipped[:3]) + ("; …" if len(skipped) > 3 else "")
    if len(skipped) == total:
        return f"no chapter of the book could be read ({shown})"
    return f"{len(skipped)} of {total} chapters could not be read ({shown}) and the others hold no text"
