"""The records of a PowerPoint 97-2003 binary presentation ([MS-PPT]) that reading its text needs.

The "PowerPoint Document" stream is a sequence of records, each an 8-byte header (version and
instance, type, length) and its data; a container's data is more records. The "Current
User" stream says where the last edit's UserEditAtom is; each edit's persist directory maps
persist ids to the offsets of the slides, notes and the document container, newer edits'
entries winning over older ones (incremental saves append edits).

The text of a shape is in its OfficeArtClientTextbox: a TextHeaderAtom (what kind of text:
title, body, notes…), the characters (TextCharsAtom, UTF-16; TextBytesAtom, one byte each),
and a StyleTextPropAtom whose paragraph runs may say whether a paragraph has a bullet. A
placeholder's text may instead be in the document's SlideListWithText, after the slide's
SlidePersistAtom, which the shape points to with an OutlineTextRefAtom (PowerPoint writes
it so).

Everything here is plain data read with `struct`; an offset outside the stream raises
IndexError or struct.error, which `ppt.parse_ppt` turns into a refusal or a slide's warning.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

# Record types ([MS-PPT] 2.13.24).
DOCUMENT, SLIDE, NOTES, SLIDE_ATOM, NOTES_ATOM = 0x03E8, 0x03EE, 0x03F0, 0x03EF, 0x03F1
SLIDE_LIST, SLIDE_PERSIST, USER_EDIT, PERSIST_DIRECTORY = 0x0FF0, 0x03F3, 0x0FF5, 0x1772
TEXT_HEADER, TEXT_CHARS, TEXT_BYTES, STYLE_TEXT, OUTLINE_REF = 0x0F9F, 0x0FA0, 0x0FA8, 0x0FA1, 0x0F9E
DRAWING, GROUP, SHAPE, CLIENT_TEXTBOX, CLIENT_DATA, PLACEHOLDER = (
    0x040C,
    0xF003,
    0xF004,
    0xF00D,
    0xF011,
    0x0BC3,
)
CLIENT_ANCHOR, CHILD_ANCHOR = 0xF010, 0xF00F
# Fields whose value PowerPoint shows in place of a "*" in the text: slide number, date, header,
# footer. Their stand-in is not read.
FIELDS = frozenset({0x0FD8, 0x0FF7, 0x0FF9, 0x0FFA, 0x0FFB})
# TextHeaderAtom's textType: the title kinds, and the body kinds PowerPoint bullets by default.
TITLE_TYPES = frozenset({0, 6})
BULLETED_TYPES = frozenset({1, 7, 8})
NOTES_TYPE = 2
# PlaceholderAtom's placementId of what repeats on every slide: date, slide number, footer, header.
REPEATED_PLACEHOLDERS = frozenset({0x07, 0x08, 0x09, 0x0A})
ENCRYPTED_TOKEN = 0xF3D1C4DF  # CurrentUserAtom's headerToken when the document is encrypted
MAX_RECORDS = 2_000_000  # records walked in one presentation: a bound on the time, whatever the file


@dataclass(frozen=True)
class Record:
    type: int
    instance: int
    start: int  # of its data
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


class Stream:
    """The PowerPoint Document stream, walked record by record within MAX_RECORDS."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.walked = 0

    def record(self, at: int) -> Record:
        version_instance, kind, size = struct.unpack_from("<HHI", self.data, at)
        if at + 8 + size > len(self.data):
            raise IndexError(f"a record at offset {at} runs past the end of the stream")
        return Record(kind, version_instance >> 4, at + 8, at + 8 + size)

    def children(self, parent: Record) -> Iterator[Record]:
        at = parent.start
        while at + 8 <= parent.end:
            self.walked += 1
            if self.walked > MAX_RECORDS:
                raise ValueError(f"over {MAX_RECORDS:,} records, the server's limit")
            child = self.record(at)
            if child.end > parent.end:
                raise IndexError(f"a record at offset {at} runs past its container")
            yield child
            at = child.end

    def child(self, parent: Record, kind: int) -> Record | None:
        return next((c for c in self.children(parent) if c.type == kind), None)

    def descendants(self, parent: Record, kind: int) -> Iterator[Record]:
        """Records of `kind` anywhere inside `parent`, in file order (containers are records
        whose version nibble is 0xF; the walk only enters those)."""
        for child in self.children(parent):
            if child.type == kind:
                yield child
            elif self.data[child.start - 8] & 0x0F == 0x0F:
                yield from self.descendants(child, kind)

    def u32(self, at: int) -> int:
        return int(struct.unpack_from("<I", self.data, at)[0])


def persist_offsets(stream: Stream, current_edit: int) -> tuple[dict[int, int], int]:
    """Persist id -> offset of its record, over every edit from the last back to the first;
    and the document container's persist id (the last edit's)."""
    offsets: dict[int, int] = {}
    documents: list[int] = []
    at, seen = current_edit, set()
    while at not in seen:
        seen.add(at)
        edit = stream.record(at)
        if edit.type != USER_EDIT:
            raise ValueError("the last edit's record is not a UserEditAtom")
        last_edit, directory_at, document_ref = struct.unpack_from("<III", stream.data, edit.start + 8)
        documents.append(document_ref)
        directory = stream.record(directory_at)
        at_entry = directory.start
        while at_entry + 4 <= directory.end:
            head = stream.u32(at_entry)
            first, count = head & 0xFFFFF, head >> 20
            for i in range(count):
                offsets.setdefault(first + i, stream.u32(at_entry + 4 + 4 * i))
            at_entry += 4 + 4 * count
        if last_edit == 0:
            break
        at = last_edit
    return offsets, documents[0]


@dataclass(frozen=True)
class TextBlock:
    """A shape's text: its kind (TextHeaderAtom) and its paragraphs, each with whether it is
    a bulleted item."""

    kind: int
    paragraphs: tuple[tuple[str, bool], ...]


def text_block(stream: Stream, records: list[Record]) -> TextBlock | None:
    """The text a run of records holds (a client textbox's children, or the records after a
    SlidePersistAtom up to the next TextHeaderAtom): None when it holds no characters."""
    kind, chars, bullets = 4, None, None
    fields: set[int] = set()  # the positions of fields' stand-ins
    for record in records:
        if record.type in FIELDS and record.size >= 4:
            fields.add(stream.u32(record.start))
        elif record.type == TEXT_HEADER:
            kind = stream.u32(record.start)
        elif record.type == TEXT_CHARS:
            chars = stream.data[record.start : record.end].decode("utf-16-le", "replace")
        elif record.type == TEXT_BYTES:
            chars = stream.data[record.start : record.end].decode("cp1252", "replace")
        elif record.type == STYLE_TEXT:
            bullets = record
    if chars is None:
        return None
    lines = chars.split("\r")
    flags = paragraph_bullets(stream, bullets, [len(line) + 1 for line in lines]) if bullets else []
    if fields:
        kept, at = [], 0
        for line in lines:
            kept.append("".join(c for i, c in enumerate(line, start=at) if not (i in fields and c == "*")))
            at += len(line) + 1
        lines = kept
    default = kind in BULLETED_TYPES
    paragraphs = []
    for i, line in enumerate(lines):
        flag = flags[i] if i < len(flags) else None
        paragraphs.append((line.replace("\x0b", "\n"), default if flag is None else flag))
    return TextBlock(kind, tuple(paragraphs))


# TextPFException's optional fields in order, each with the mask bits that make it present and
# its size ([MS-PPT] 2.9.18); the tab stops (0x100000) are sized by their count.
_PF_FIELDS = (
    (0x0000000F, 2),  # bulletFlags
    (0x00000080, 2),  # bulletChar
    (0x00000010, 2),  # bulletFontRef
    (0x00000040, 2),  # bulletSize
    (0x00000020, 4),  # bulletColor
    (0x00000800, 2),  # textAlignment
    (0x00001000, 2),  # lineSpacing
    (0x00002000, 2),  # spaceBefore
    (0x00004000, 2),  # spaceAfter
    (0x00000100, 2),  # leftMargin
    (0x00000400, 2),  # indent
    (0x00008000, 2),  # defaultTabSize
    (0x00100000, -1),  # tabStops
    (0x00010000, 2),  # fontAlign
    (0x000E0000, 2),  # wrapFlags
    (0x00200000, 2),  # textDirection
)


def paragraph_bullets(stream: Stream, style: Record, lengths: list[int]) -> list[bool | None]:
    """Whether each paragraph (of `lengths` characters, its mark included) has a bullet, as
    its StyleTextPropAtom's paragraph runs say (None where they do not say)."""
    data, at = stream.data, style.start
    runs: list[tuple[int, bool | None]] = []
    covered = 0
    while covered < sum(lengths) and at + 10 <= style.end:
        count, _, mask = struct.unpack_from("<IHI", data, at)
        at += 10
        bullet: bool | None = None
        for bits, size in _PF_FIELDS:
            if not mask & bits:
                continue
            if bits == 0x0000000F and mask & 0x1:
                bullet = bool(struct.unpack_from("<H", data, at)[0] & 0x1)
            at += 2 + 4 * struct.unpack_from("<H", data, at)[0] if size < 0 else size
        runs.append((count, bullet))
        covered += count
    flags: list[bool | None] = []
    run, run_end, start = 0, runs[0][0] if runs else 0, 0
    for length in lengths:  # a paragraph takes the run its first character is in
        while run < len(runs) and start >= run_end:
            run += 1
            run_end += runs[run][0] if run < len(runs) else 0
        flags.append(runs[run][1] if run < len(runs) else None)
        start += length
    return flags
