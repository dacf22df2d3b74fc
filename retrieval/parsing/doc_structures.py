"""The structures of a Word 97-2003 binary document ([MS-DOC]) that reading its text needs.

A .doc is an OLE2 compound file. Its "WordDocument" stream starts with the FIB (File
Information Block): the format's version, flags (encrypted, which table stream), the length
of each story in characters, and where the other structures lie in the table stream
("0Table" or "1Table"). Of those this reads:

- the piece table (CLX): the text is a sequence of pieces, each a run of characters stored in
  the WordDocument stream as cp1252 bytes ("compressed") or UTF-16; character positions (CPs)
  number the text across pieces, file positions (FCs) are where it is stored;
- paragraph properties (PAPX in FKP pages, found through PlcBtePapx by FC): the style, and
  whether the paragraph is in a table, ends a table row, is a header row, a list item, or
  has an outline level;
- character properties (CHPX, through PlcBteChpx): only whether text is hidden or deleted
  with tracked changes, which is not read;
- the stylesheet (STSH): each style's built-in identifier (sti 1-9 are "heading 1-9"), name,
  and its own paragraph properties (a list style's numbering, a heading's outline level);
- the CPs of footnote and endnote references (PlcffndRef, PlcfendRef).

Everything here is plain data read with `struct` from bytes; offsets outside the streams
raise IndexError or struct.error, which `doc.parse_doc` turns into a refusal.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")
WORD_MAGIC = 0xA5EC  # wIdent, the FIB's first two bytes
NFIB_WORD97 = 0x00C1  # Word 97; later versions write larger values, Word 6 and 95 smaller
FKP_SIZE = 512
# FibRgFcLcb97: the index of each (fc, lcb) pair the reader uses ([MS-DOC] 2.5.6).
PAIR_STSHF, PAIR_FND_REF, PAIR_CHPX, PAIR_PAPX, PAIR_CLX, PAIR_END_REF = 1, 2, 12, 13, 33, 46
# FibRgLw97: the story lengths in CPs, in the order the stories follow each other.
STORIES = ("text", "footnotes", "headers", "comments", "endnotes", "textboxes", "header_textboxes")
_STORY_FIELDS = (3, 4, 5, 7, 8, 9, 10)  # their indices in FibRgLw97


@dataclass(frozen=True)
class Fib:
    version: int  # nFib
    encrypted: bool  # fEncrypted, or fObfuscated (XOR): the text is not readable
    table_stream: str  # "0Table" or "1Table"
    story_lengths: dict[str, int]
    pairs: tuple[tuple[int, int], ...]  # (fc, lcb): an offset and a length in the table stream

    def pair(self, index: int) -> tuple[int, int]:
        return self.pairs[index] if index < len(self.pairs) else (0, 0)


def read_fib(stream: bytes) -> Fib:
    """The FIB at the start of the WordDocument stream. Raises ValueError when the stream does
    not start with one."""
    ident, version = struct.unpack_from("<HH", stream, 0)
    if ident != WORD_MAGIC:
        raise ValueError("the WordDocument stream does not start with a Word header")
    (flags,) = struct.unpack_from("<H", stream, 10)
    at = 32
    (csw,) = struct.unpack_from("<H", stream, at)
    at += 2 + 2 * csw
    (cslw,) = struct.unpack_from("<H", stream, at)
    longs = struct.unpack_from(f"<{cslw}i", stream, at + 2)
    at += 2 + 4 * cslw
    (count,) = struct.unpack_from("<H", stream, at)
    flat = struct.unpack_from(f"<{2 * count}I", stream, at + 2)
    return Fib(
        version=version,
        encrypted=bool(flags & 0x0100) or bool(flags & 0x8000),
        table_stream="1Table" if flags & 0x0200 else "0Table",
        story_lengths={
            name: max(0, longs[i]) if i < len(longs) else 0
            for name, i in zip(STORIES, _STORY_FIELDS, strict=True)
        },
        pairs=tuple(zip(flat[0::2], flat[1::2], strict=True)),
    )


def story_ranges(fib: Fib) -> dict[str, tuple[int, int]]:
    """Each story's [start, end) CPs: they follow each other in STORIES order."""
    ranges, start = {}, 0
    for name in STORIES:
        end = start + fib.story_lengths[name]
        ranges[name] = (start, end)
        start = end
    return ranges


@dataclass(frozen=True)
class Piece:
    cp: int  # the first character's CP
    end: int  # one past the last character's CP
    fc: int  # where the first character is stored in the WordDocument stream
    compressed: bool  # one cp1252 byte per character, else two (UTF-16LE)


class Text:
    """The document's characters by CP, through the piece table."""

    def __init__(self, stream: bytes, pieces: list[Piece]) -> None:
        self.stream = stream
        self.pieces = pieces
        self._starts = [piece.cp for piece in pieces]

    def read(self, start: int, end: int) -> str:
        parts = []
        for piece in self.pieces:
            lo, hi = max(start, piece.cp), min(end, piece.end)
            if lo >= hi:
                continue
            width = 1 if piece.compressed else 2
            raw = self.stream[piece.fc + (lo - piece.cp) * width : piece.fc + (hi - piece.cp) * width]
            if len(raw) != (hi - lo) * width:
                raise IndexError("a piece of the text lies beyond the end of the WordDocument stream")
            parts.append(
                raw.decode("cp1252", "replace") if piece.compressed else raw.decode("utf-16-le", "replace")
            )
        return "".join(parts)

    def fc(self, cp: int) -> int:
        """Where the character at `cp` is stored (-1 when no piece holds it)."""
        i = bisect.bisect_right(self._starts, cp) - 1
        if i < 0 or cp >= self.pieces[i].end:
            return -1
        piece = self.pieces[i]
        return piece.fc + (cp - piece.cp) * (1 if piece.compressed else 2)


def read_pieces(table: bytes, fib: Fib) -> list[Piece]:
    """The piece table from the CLX: any property modifiers (Prc) first, then the PlcPcd."""
    fc, lcb = fib.pair(PAIR_CLX)
    clx = table[fc : fc + lcb]
    if lcb == 0 or len(clx) != lcb:
        raise IndexError("the piece table lies outside the table stream")
    at = 0
    while clx[at] == 0x01:  # Prc: a size, then that many bytes of properties
        (size,) = struct.unpack_from("<h", clx, at + 1)
        at += 3 + max(size, 0)
    if clx[at] != 0x02:
        raise ValueError("the piece table has no piece descriptors")
    (size,) = struct.unpack_from("<I", clx, at + 1)
    plc = clx[at + 5 : at + 5 + size]
    count = (len(plc) - 4) // 12
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    pieces = []
    for i in range(count):
        (raw_fc,) = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * i + 2)
        compressed = bool(raw_fc & 0x40000000)
        stored = (raw_fc & 0x3FFFFFFF) // 2 if compressed else raw_fc
        if cps[i + 1] > cps[i]:
            pieces.append(Piece(cps[i], cps[i + 1], stored, compressed))
    return pieces


@dataclass(frozen=True)
class Paragraph:
    """What a paragraph's PAPX (or its style) says about it."""

    style: int = 0  # istd
    in_table: bool = False
    row_end: bool = False  # fTtp: the mark that ends a table row
    header_row: bool = False  # the row ending here repeats as a header (sprmTTableHeader)
    listed: bool | None = None  # it has numbering or bullets (ilfo); None: as its style says
    outline_level: int | None = None  # 0-8 a heading's level less one, 9 body text


# The sprms read from a paragraph's grpprl ([MS-DOC] 2.6.2 and 2.6.3).
_IN_TABLE, _TTP, _ILFO, _OUTLINE, _HEADER_ROW = 0x2416, 0x2417, 0x460B, 0x2640, 0x3404
_VANISH, _DELETED = 0x083C, 0x0800  # character sprms: hidden text, deleted with tracked changes
_OPERAND_SIZES = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # by spra, the sprm's top 3 bits


def sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """Each (sprm, operand) of a list of property modifiers; stops where one cannot be sized."""
    at = 0
    while at + 2 <= len(grpprl):
        (sprm,) = struct.unpack_from("<H", grpprl, at)
        at += 2
        spra = sprm >> 13
        if spra != 6:
            size = _OPERAND_SIZES[spra]
        elif sprm == 0xD608:  # sprmTDefTable: a 2-byte size, counting itself less one
            if at + 2 > len(grpprl):
                return
            size = struct.unpack_from("<H", grpprl, at)[0] + 1
        elif sprm == 0xC615 and at < len(grpprl) and grpprl[at] == 255:
            return  # sprmPChgTabs in its long form: sized by its contents; the rest is not needed
        else:
            if at >= len(grpprl):
                return
            size = grpprl[at] + 1  # a size byte, then that many bytes
        operand = grpprl[at : at + size]
        if len(operand) < size:
            return
        yield sprm, operand
        at += size


def paragraph_properties(istd: int, grpprl: bytes) -> Paragraph:
    in_table = row_end = header_row = False
    listed: bool | None = None
    outline: int | None = None
    for sprm, operand in sprms(grpprl):
        if sprm == _IN_TABLE:
            in_table = operand[0] != 0
        elif sprm == _TTP:
            row_end = operand[0] != 0
        elif sprm == _HEADER_ROW:
            header_row = operand[0] != 0
        elif sprm == _ILFO:
            listed = struct.unpack_from("<h", operand)[0] != 0
        elif sprm == _OUTLINE:
            outline = operand[0]
    return Paragraph(istd, in_table, row_end, header_row, listed, outline)


class Runs(Generic[V]):
    """Properties by FC from FKP pages: a sorted list of [start, end) FC runs and their value."""

    def __init__(self, runs: list[tuple[int, int, V]]) -> None:
        runs.sort(key=lambda run: run[0])
        self.runs = runs
        self._ends = [end for _, end, _ in runs]

    def at(self, fc: int) -> V | None:
        """The value of the run that holds `fc`, None when none does."""
        i = bisect.bisect_right(self._ends, fc)
        if i < len(self.runs) and self.runs[i][0] <= fc:
            return self.runs[i][2]
        return None


def _fkp_entries(
    stream: bytes, table: bytes, pair: tuple[int, int], entry_size: int
) -> Iterator[tuple[int, int, bytes, int]]:
    """Each entry of the FKP pages a PlcBte (PlcBtePapx or PlcBteChpx) points to: the [start,
    end) FCs it covers, its page, and its properties' byte offset in the page (0: none). A page
    ends with its entry count; its FCs come first, then an entry of `entry_size` bytes each
    (1 for a CHPX, 13 for a PAPX), whose first byte is the offset in 2-byte words."""
    fc, lcb = pair
    plc = table[fc : fc + lcb]
    count = (len(plc) - 4) // 8
    if count <= 0:
        return
    for (pn,) in struct.iter_unpack("<I", plc[4 * (count + 1) : 4 * (count + 1) + 4 * count]):
        page = stream[(pn & 0x3FFFFF) * FKP_SIZE : (pn & 0x3FFFFF) * FKP_SIZE + FKP_SIZE]
        if len(page) != FKP_SIZE:
            continue
        entries = page[FKP_SIZE - 1]
        fcs = struct.unpack_from(f"<{entries + 1}I", page, 0)
        for i in range(entries):
            yield fcs[i], fcs[i + 1], page, page[4 * (entries + 1) + entry_size * i] * 2


def read_paragraphs(stream: bytes, table: bytes, fib: Fib) -> Runs[Paragraph]:
    """Each paragraph's properties by the FC range its text (its mark included) is stored in."""
    runs: list[tuple[int, int, Paragraph]] = []
    for start, end, page, offset in _fkp_entries(stream, table, fib.pair(PAIR_PAPX), 13):
        if offset == 0:
            runs.append((start, end, Paragraph()))
            continue
        # PapxInFkp: a size in words (less one byte), or 0 and then the size in words
        size = page[offset]
        grp = (
            page[offset + 2 : offset + 2 + 2 * page[offset + 1]]
            if size == 0
            else page[offset + 1 : offset + 2 * size]
        )
        if len(grp) >= 2:
            runs.append((start, end, paragraph_properties(struct.unpack_from("<H", grp)[0], grp[2:])))
    return Runs(runs)


def read_skipped_text(stream: bytes, table: bytes, fib: Fib) -> Runs[bool]:
    """The FC runs of characters not read: hidden (vanish) or deleted with tracked changes."""
    runs: list[tuple[int, int, bool]] = []
    for start, end, page, offset in _fkp_entries(stream, table, fib.pair(PAIR_CHPX), 1):
        if offset == 0:
            continue
        grpprl = page[offset + 1 : offset + 1 + page[offset]]  # Chpx: a size in bytes, then sprms
        # 1 sets the property; 0x81 toggles the style's, which a body style never hides
        if any(s in (_VANISH, _DELETED) and o[0] in (1, 0x81) for s, o in sprms(grpprl)):
            runs.append((start, end, True))
    return Runs(runs)


@dataclass(frozen=True)
class Style:
    sti: int  # the built-in style's identifier (1-9: heading 1-9; 0xFFE a user's own)
    name: str
    base: int  # istdBase: the style it is based on (0xFFF: none)
    paragraph: Paragraph  # its own paragraph properties


def read_styles(table: bytes, fib: Fib) -> dict[int, Style]:
    """The stylesheet's paragraph styles by istd; a style's listed and outline level are
    inherited from the styles it is based on."""
    fc, lcb = fib.pair(PAIR_STSHF)
    stsh = table[fc : fc + lcb]
    if lcb < 6 or len(stsh) != lcb:
        return {}
    (header_size,) = struct.unpack_from("<H", stsh, 0)
    count, base_size = struct.unpack_from("<HH", stsh, 2)
    at = 2 + header_size
    own: dict[int, Style] = {}
    for istd in range(count):
        if at + 2 > len(stsh):
            break
        (size,) = struct.unpack_from("<H", stsh, at)
        std = stsh[at + 2 : at + 2 + size]
        at += 2 + size
        if size < base_size + 2:
            continue
        w0, w1, w2 = struct.unpack_from("<HHH", std, 0)
        (length,) = struct.unpack_from("<H", std, base_size)
        name = std[base_size + 2 : base_size + 2 + 2 * length].decode("utf-16-le", "replace")
        paragraph = Paragraph()
        upx = base_size + 2 + 2 * length + 2
        upx += upx % 2
        if w1 & 0x000F == 1 and w2 & 0x000F >= 1 and upx + 4 <= len(std):  # a paragraph style's UpxPapx
            (upx_size,) = struct.unpack_from("<H", std, upx)
            grp = std[upx + 2 : upx + 2 + upx_size]
            if len(grp) >= 2:
                paragraph = paragraph_properties(istd, grp[2:])
        own[istd] = Style(w0 & 0x0FFF, name, w1 >> 4, paragraph)
    resolved: dict[int, Style] = {}
    return {istd: _inherited(istd, own, resolved) for istd in own}


def _inherited(istd: int, styles: dict[int, Style], resolved: dict[int, Style]) -> Style:
    """The style with the listed and outline level it inherits filled in. Each style is
    resolved once (`resolved`), so a long chain of styles based on each other costs one walk,
    not one per style; a chain that loops ends where it loops."""
    chain, at = [], istd
    while at in styles and at not in resolved and at not in chain:
        chain.append(at)
        at = styles[at].base
    for number in reversed(chain):
        style = styles[number]
        listed, outline = style.paragraph.listed, style.paragraph.outline_level
        parent = resolved.get(style.base)
        if parent is not None:
            listed = listed if listed is not None else parent.paragraph.listed
            outline = outline if outline is not None else parent.paragraph.outline_level
        paragraph = Paragraph(number, listed=listed, outline_level=outline)
        resolved[number] = Style(style.sti, style.name, style.base, paragraph)
    return resolved[istd]


def reference_cps(table: bytes, pair: tuple[int, int]) -> list[int]:
    """The CPs of a PlcffndRef's or PlcfendRef's references (n + 1 CPs, then n 2-byte FRDs)."""
    fc, lcb = pair
    count = (lcb - 4) // 6
    if count <= 0 or fc + lcb > len(table):
        return []
    return list(struct.unpack_from(f"<{count}I", table, fc))
