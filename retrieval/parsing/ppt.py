"""PPT (PowerPoint 97-2003 binary): each slide a page, its title a heading, its text in reading
order, then its notes, as a PPTX reads (`slides.py`).

The records are read by `ppt_records`. The slides are those of the document's slide list,
in its order (hidden ones too, as for PPTX); each slide's shapes are read from its drawing:
a shape's text, or the placeholder text it points to in the slide list (placeholder text no
shape points to is read after the shapes). Shapes read top to bottom and, among those whose
tops are within ROW_TOLERANCE of each other, left to right. A group whose text shapes make a
full grid of at least two rows and two columns (how a table is stored) reads as a table,
its first row the header; another group's shapes read in the same order inside it.

The title-kind text is the slide's heading; a paragraph with a bullet (its own, or the
default of a body placeholder) is a "- " list item; a line break inside a paragraph is kept.
Date, slide number, footer and header placeholders, which repeat on every slide, are left
out, as are masters, pictures, charts (OLE objects) and comments. Speaker notes are the text
of the slide's notes page. Title: the document's properties, else a title slide's title.

A slide that cannot be read costs only itself ("slide 4: could not be read (…)"). Refusals
say what the file is: password-protected; an OLE2 file holding a Word or Excel file or an
encrypted Office 2007+ one; not an OLE2 file at all (PowerPoint 95 and older); else "not a
readable PowerPoint 97-2003 presentation (…)". Bounds: MAX_BYTES of file, MAX_RECORDS
records walked (`ppt_records`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from xlrd import compdoc  # type: ignore[import-untyped]

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.ole import DAMAGE, OLE2_MAGIC, damage, holds, open_compound, summary_title
from retrieval.parsing.ppt_records import (
    CHILD_ANCHOR,
    CLIENT_ANCHOR,
    CLIENT_DATA,
    CLIENT_TEXTBOX,
    DOCUMENT,
    DRAWING,
    ENCRYPTED_TOKEN,
    GROUP,
    NOTES,
    OUTLINE_REF,
    PLACEHOLDER,
    REPEATED_PLACEHOLDERS,
    SHAPE,
    SLIDE,
    SLIDE_ATOM,
    SLIDE_LIST,
    SLIDE_PERSIST,
    TEXT_HEADER,
    TITLE_TYPES,
    Record,
    Stream,
    TextBlock,
    persist_offsets,
    text_block,
)
from retrieval.parsing.slides import Slide, add_slide, slide_warnings
from retrieval.parsing.titles import first_real_title

MAX_BYTES = 64 * 2**20  # above the default upload limit (50 MB); pictures make a .ppt large
ROW_TOLERANCE = 115  # 0.2 inch in master units (576 an inch), as PPTX's ROW_TOLERANCE_EMU
_UNREADABLE = "not a readable PowerPoint 97-2003 presentation"
_PROTECTED = (
    "the presentation is password-protected: open it in PowerPoint, remove the password "
    "(File › Info › Protect Presentation) and upload it again"
)
NOT_OLE2 = (
    f"{_UNREADABLE}: it is not an OLE2 compound file, as PowerPoint 97-2003 presentations are "
    "(PowerPoint 95 or older?): open it in PowerPoint or LibreOffice and save it as .pptx"
)
_CENTER_TITLE = 6  # a title slide's title


@dataclass(frozen=True)
class _Item:
    """A shape's text, or a group's, where it sits on the slide."""

    top: int
    left: int
    blocks: tuple[TextBlock | list[list[str]], ...]


def parse_ppt(data: bytes) -> ParsedDocument:
    if len(data) > MAX_BYTES:
        raise ParseError(
            f"PPT is larger than the server's limit of {MAX_BYTES // 2**20} MiB for PowerPoint "
            "97-2003 presentations: save it as .pptx"
        )
    if not data.startswith(OLE2_MAGIC):
        raise ParseError(NOT_OLE2)
    try:
        ole = open_compound(data)
        raw = ole.get_named_stream("PowerPoint Document")
        if raw is None:
            raise ParseError(_other_ole2(ole))
        current = ole.get_named_stream("Current User") or b""
        if len(current) < 20:
            raise ParseError(f"{_UNREADABLE} (its Current User stream is missing)")
        token, current_edit = struct.unpack_from("<II", current, 12)
        if token == ENCRYPTED_TOKEN:
            raise ParseError(_PROTECTED)
        reader = Presentation(Stream(raw), current_edit)
    except DAMAGE as error:
        raise ParseError(f"{_UNREADABLE} ({damage(error)})") from error
    builder = DocumentBuilder("ppt")
    warnings: list[str] = []
    opening_title = None
    for number, (persist, outline) in enumerate(reader.slides, start=1):
        try:
            slide, center_title = reader.slide(persist, outline)
        except DAMAGE as error:
            warnings.append(f"slide {number}: could not be read ({damage(error)})")
            continue
        if number == 1 and center_title:
            opening_title = slide.title
        add_slide(builder, number, slide)
    if builder.is_empty:
        if not reader.slides:
            raise ParseError("no text was read: the presentation has no slides")
        shown = "; ".join(warnings[:3])
        raise ParseError(
            f"no text was read: {shown}" if warnings else "no text was read: the slides hold no text"
        )
    slide_warnings(builder, warnings)
    title = first_real_title(summary_title(ole), opening_title)
    return builder.build(title=title, page_count=len(reader.slides))


def _other_ole2(ole: compdoc.CompDoc) -> str:
    """Why an OLE2 file with no PowerPoint Document stream is refused: what it holds instead."""
    kind = holds(ole)
    if kind == "encrypted":
        return (
            "the presentation is a password-protected PowerPoint 2007+ file: remove the password "
            "and upload it again"
        )
    if kind == "doc":
        return "this is a Word 97-2003 document named .ppt: rename it to .doc"
    if kind == "xls":
        return "this is an Excel 97-2003 workbook named .ppt: rename it to .xls"
    return f"{_UNREADABLE}: the file holds no PowerPoint Document stream"


class Presentation:
    """The slides of a PowerPoint Document stream, from the last edit's persist directory;
    `slide` reads one."""

    def __init__(self, stream: Stream, current_edit: int) -> None:
        self.stream = stream
        self.offsets, document_ref = persist_offsets(stream, current_edit)
        document = stream.record(self.offsets[document_ref])
        if document.type != DOCUMENT:
            raise ValueError("the document container is not where the persist directory says")
        # Each slide: its persist id and the placeholder texts stored after it in the slide
        # list; and each notes page's persist id by its id.
        self.slides: list[tuple[int, list[TextBlock]]] = []
        self.notes: dict[int, int] = {}
        for listing in stream.children(document):
            if listing.type != SLIDE_LIST or listing.instance not in (0, 2):
                continue
            for persist, slide_id, texts in self._listed(listing):
                if listing.instance == 0:
                    self.slides.append((persist, texts))
                else:
                    self.notes[slide_id] = persist

    def _listed(self, listing: Record) -> Iterator[tuple[int, int, list[TextBlock]]]:
        """Each SlidePersistAtom of a slide list: its persist id, its slide id, and the texts
        after it (each starting at a TextHeaderAtom)."""
        stream = self.stream
        entry: tuple[int, int] | None = None
        runs: list[list[Record]] = []
        for record in [*stream.children(listing), None]:
            if record is None or record.type == SLIDE_PERSIST:
                if entry is not None:
                    texts = [t for t in (text_block(stream, run) for run in runs) if t is not None]
                    yield entry[0], entry[1], texts
                if record is not None:
                    entry = (stream.u32(record.start), stream.u32(record.start + 12))
                    runs = []
            elif record.type == TEXT_HEADER:
                runs.append([record])
            elif runs:
                runs[-1].append(record)

    def slide(self, persist: int, outline: list[TextBlock]) -> tuple[Slide, bool]:
        """A slide's text, and whether its title is a title slide's."""
        stream = self.stream
        record = stream.record(self.offsets[persist])
        if record.type != SLIDE:
            raise ValueError("the slide is not where the persist directory says")
        used: set[int] = set()
        blocks = self._drawing_blocks(record, outline, used)
        blocks += [text for i, text in enumerate(outline) if i not in used]
        slide = Slide()
        center_title = False
        for block in blocks:
            if isinstance(block, list):
                slide.blocks.append(block)
            elif block.kind in TITLE_TYPES and not slide.title:
                slide.title = clean_inline(" ".join(text for text, _ in block.paragraphs))
                center_title = block.kind == _CENTER_TITLE
            else:
                slide.blocks += _paragraphs(block)
        atom = stream.child(record, SLIDE_ATOM)
        notes_id = stream.u32(atom.start + 16) if atom is not None and atom.size >= 20 else 0
        if notes_id in self.notes:
            notes = stream.record(self.offsets[self.notes[notes_id]])
            if notes.type == NOTES:
                notes_blocks = self._drawing_blocks(notes, [], set())
                slide.notes = [p for b in notes_blocks if isinstance(b, TextBlock) for p in _paragraphs(b)]
        return slide, center_title

    def _drawing_blocks(
        self, record: Record, outline: list[TextBlock], used: set[int]
    ) -> list[TextBlock | list[list[str]]]:
        drawing = self.stream.child(record, DRAWING)
        if drawing is None:
            return []
        group = next(self.stream.descendants(drawing, GROUP), None)
        if group is None:
            return []
        return [
            block for item in _in_reading_order(self._items(group, outline, used)) for block in item.blocks
        ]

    def _items(self, group: Record, outline: list[TextBlock], used: set[int]) -> list[_Item]:
        items = []
        for child in self.stream.children(group):
            if child.type == SHAPE:
                item = self._shape(child, outline, used)
            elif child.type == GROUP:
                item = self._group(child, outline, used)
            else:
                continue
            if item is not None:
                items.append(item)
        return items

    def _group(self, group: Record, outline: list[TextBlock], used: set[int]) -> _Item | None:
        items = self._items(group, outline, used)
        if not items:
            return None
        table = _grid(items)
        top, left = min((i.top, i.left) for i in items)
        if table is not None:
            return _Item(top, left, (table,))
        return _Item(top, left, tuple(b for i in _in_reading_order(items) for b in i.blocks))

    def _shape(self, shape: Record, outline: list[TextBlock], used: set[int]) -> _Item | None:
        stream = self.stream
        top = left = 0
        text: TextBlock | None = None
        for child in stream.children(shape):
            if child.type == CLIENT_ANCHOR and child.size == 8:
                top, left = struct.unpack_from("<hh", stream.data, child.start)
            elif child.type == CLIENT_ANCHOR and child.size >= 16:
                top, left = struct.unpack_from("<ii", stream.data, child.start)
            elif child.type == CHILD_ANCHOR and child.size >= 16:
                left, top = struct.unpack_from("<ii", stream.data, child.start)
            elif child.type == CLIENT_DATA:
                placeholder = stream.child(child, PLACEHOLDER)
                if placeholder is not None and stream.data[placeholder.start + 4] in REPEATED_PLACEHOLDERS:
                    return None
            elif child.type == CLIENT_TEXTBOX:
                records = list(stream.children(child))
                text = TextBlock(4, ())
                reference = next((r for r in records if r.type == OUTLINE_REF), None)
                if reference is not None:
                    index = stream.u32(reference.start)
                    if index < len(outline):
                        used.add(index)
                        text = outline[index]
                else:
                    text = text_block(stream, records) or text
        if text is None:
            return None  # no text box: a line, a picture (a table's borders are lines)
        return _Item(top, left, (text,))  # an empty text too: a table's empty cell


def _paragraphs(block: TextBlock) -> list[str]:
    return [f"- {text.strip()}" if bullet else text for text, bullet in block.paragraphs if text.strip()]


def _in_reading_order(items: list[_Item]) -> list[_Item]:
    """Top to bottom; those whose tops are within ROW_TOLERANCE of the first of a row, left to
    right. Sorted by top, a row is a run of items: one sort and one pass, however many shapes."""
    ordered: list[_Item] = []
    rest = sorted(items, key=lambda i: (i.top, i.left))
    start = 0
    while start < len(rest):
        end = start + 1
        while end < len(rest) and rest[end].top - rest[start].top <= ROW_TOLERANCE:
            end += 1
        ordered += sorted(rest[start:end], key=lambda i: i.left)
        start = end
    return ordered


def _grid(items: list[_Item]) -> list[list[str]] | None:
    """A group's shapes as a table's rows, when each holds one text and together they fill a
    grid of at least two rows and two columns (a table's cells); else None."""
    cells: dict[tuple[int, int], str] = {}
    for item in items:
        if len(item.blocks) != 1 or not isinstance(item.blocks[0], TextBlock):
            return None
        cells[(item.top, item.left)] = " ".join(text for text, _ in item.blocks[0].paragraphs)
    tops = sorted({top for top, _ in cells})
    lefts = sorted({left for _, left in cells})
    if len(tops) < 2 or len(lefts) < 2 or len(tops) * len(lefts) != len(cells) or len(cells) != len(items):
        return None
    return [[cells[(top, left)] for left in lefts] for top in tops]
