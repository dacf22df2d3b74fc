"""An OpenDocument package (ODT, ODS): opened within the server's limits, checked to be the
kind it is named, its content read safely.

The package is a ZIP (``zip_limits.open_archive``); what it is comes from its ``mimetype``
member, else its manifest's root entry. Another OpenDocument kind under the name is refused
naming what it is ("an OpenDocument spreadsheet, not a text document"); an encrypted
content.xml is refused as password-protected. Parts are read through
``zip_limits.read_member`` and ``safe_xml.parse_part``. content.xml broken midway keeps what
was read, and says where (``Package.damage``); a damaged meta.xml or manifest costs only what
it holds (the title, the manifest's hints). Refusals name the format (``kind``: "ODT").
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field

from lxml import etree

from retrieval.document import ParseError
from retrieval.parsing.safe_xml import XML_LIMITS, parse_part
from retrieval.parsing.zip_limits import MAX_MEMBER_BYTES, MemberUnreadable, open_archive, read_member

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_HREF = "{http://www.w3.org/1999/xlink}href"
MAX_OBJECTS = 100  # embedded objects read per package (a chart each, in real files a few)
# Whitespace in the XML of ODF text reads as one space: spaces to keep are written as text:s.
XML_SPACE = re.compile(r"[ \t\r\n]+")
_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_MEDIA_TYPE_PREFIX = "application/vnd.oasis.opendocument."
_CONTENT, _META, _MANIFEST_PART = "content.xml", "meta.xml", "META-INF/manifest.xml"


@dataclass(frozen=True)
class Package:
    content: etree._Element  # content.xml's root
    damage: str | None  # the first error its parse recovered from ("line 3: …"), if any
    title: str | None  # meta.xml's dc:title
    has_pictures: bool  # the package holds pictures (for a refusal of a document without text)
    # The embedded objects content.xml refers to (a chart: "./Object 1"), by that reference:
    # each object's own content.xml root, or why it could not be read.
    objects: dict[str, etree._Element | str] = field(default_factory=dict)


def read_package(data: bytes, kind: str, media_types: Collection[str], noun: str) -> Package:
    """The package of an OpenDocument ``kind`` ("ODT") whose media type is one of
    ``media_types``; ``noun`` says what it is ("text document"). Raises ParseError."""
    with open_archive(data, kind) as archive:
        manifest = _optional_xml(archive, _MANIFEST_PART, kind)
        media_type = _media_type(archive, manifest, kind)
        if media_type is not None and media_type not in media_types:
            raise ParseError(_wrong_type(kind, media_type, noun))
        if manifest is not None and _content_encrypted(manifest):
            raise ParseError(
                f"{kind} is password-protected (encrypted) and cannot be read; save a copy without a password"
            )
        if media_type is None and _CONTENT not in archive.namelist():
            raise ParseError(f"not an {kind}: the ZIP archive holds no OpenDocument content (content.xml)")
        content, damage = _xml(archive, _CONTENT, kind)
        meta = _optional_xml(archive, _META, kind)
        has_pictures = any(name.startswith("Pictures/") for name in archive.namelist())
        objects = _objects(archive, content, kind)
    title = meta.find(f"{OFFICE}meta/{_DC}title") if meta is not None else None
    return Package(content, damage, all_text(title) if title is not None else None, has_pictures, objects)


def _objects(archive: zipfile.ZipFile, content: etree._Element, kind: str) -> dict[str, etree._Element | str]:
    """The embedded objects (``draw:object``) content.xml refers to inside the package, at most
    MAX_OBJECTS: each one's content.xml root, or why it could not be read."""
    objects: dict[str, etree._Element | str] = {}
    for element in content.iter(f"{DRAW}object"):
        reference = (element.get(_HREF) or "").strip()
        name = reference.removeprefix("./").strip("/")
        if not name or "://" in reference or name.startswith("/") or reference in objects:
            continue  # a linked file outside the package is not read
        if len(objects) >= MAX_OBJECTS:
            break
        try:
            root, _ = _xml(archive, f"{name}/{_CONTENT}", kind)
        except ParseError as error:
            objects[reference] = str(error).split(": ", 1)[-1]  # "its Object 1/content.xml is …"
        else:
            objects[reference] = root
    return objects


def attribute_count(element: etree._Element, attribute: str) -> int:
    """A positive count attribute (a repeat, a span, a level); 1 when absent or not a sensible
    number (ten digits or more)."""
    value = (element.get(attribute) or "").strip()
    return int(value) if value.isdigit() and 0 < len(value) <= 9 and int(value) > 0 else 1


def all_text(element: etree._Element) -> str:
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


def _media_type(archive: zipfile.ZipFile, manifest: etree._Element | None, kind: str) -> str | None:
    """What the package says it is: the ``mimetype`` member, else the manifest's root entry."""
    try:
        declared = _read(archive, "mimetype", kind, limit=1024)
    except ParseError:
        declared = None
    if declared is not None:
        return declared.decode("ascii", errors="replace").strip()
    if manifest is not None:
        for entry in manifest.iter(f"{_MANIFEST}file-entry"):
            if entry.get(f"{_MANIFEST}full-path") == "/":
                return (entry.get(f"{_MANIFEST}media-type") or "").strip() or None
    return None


def _wrong_type(kind: str, media_type: str, noun: str) -> str:
    shown = media_type[:100]
    if shown.startswith(_MEDIA_TYPE_PREFIX):
        other = shown.removeprefix(_MEDIA_TYPE_PREFIX).replace("-", " ")
        return f"not an {kind}: the file is an OpenDocument {other} ({shown}), not a {noun}"
    return f"not an {kind}: the file says it is {shown} (its mimetype), not an OpenDocument {noun}"


def _content_encrypted(manifest: etree._Element) -> bool:
    return any(
        entry.get(f"{_MANIFEST}full-path") == _CONTENT
        and entry.find(f"{_MANIFEST}encryption-data") is not None
        for entry in manifest.iter(f"{_MANIFEST}file-entry")
    )


def _read(archive: zipfile.ZipFile, name: str, kind: str, *, limit: int = MAX_MEMBER_BYTES) -> bytes | None:
    """A member's bytes, None when it is missing. Raises ParseError when it cannot be read
    or is larger than ``limit`` unzipped (never reading more than that)."""
    try:
        return read_member(archive, name, limit=limit)
    except KeyError:
        return None
    except MemberUnreadable as error:
        raise ParseError(f"{kind} cannot be read: its {name} is {error}") from error


def _xml(archive: zipfile.ZipFile, name: str, kind: str) -> tuple[etree._Element, str | None]:
    """A member parsed safely, and the damage the parser recovered from, if any (what was read
    before it is kept). Raises ParseError when the member is missing or cannot be read."""
    body = _read(archive, name, kind)
    if body is None:
        raise ParseError(f"{kind} is damaged: its {name} is missing from the archive")
    part = parse_part(body)
    if part.past_limits:
        # What was read stops at the limit: the rest of the part is not in the tree.
        raise ParseError(f"{kind} cannot be read: its {name} goes past {XML_LIMITS}")
    if part.root is None:
        raise ParseError(f"{kind} is damaged: its {name} is not readable XML")
    return part.root, part.damage


def _optional_xml(archive: zipfile.ZipFile, name: str, kind: str) -> etree._Element | None:
    """A part whose loss costs only what it holds (the title, the manifest's hints): None
    when it is missing or cannot be read."""
    try:
        return _xml(archive, name, kind)[0]
    except ParseError:
        return None
